/*
 * check_kernel.c: host unit tests (Check) for the kernel code that needs no
 * hardware: the frame allocator, memory quotas and object lifetimes, the
 * capability space, and the ELF loader.  The kernel's sources are compiled
 * as they are, with KERNEL_HOST_TEST making "physical memory" a malloc'd
 * array; the destructors of objects these tests never make are stubs.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kern/arch.h"
#include "kern/cap.h"
#include "kern/irq.h"
#include "kern/elf.h"
#include "kern/object.h"
#include "kern/mm.h"
#include "abi/helios.h"

#define NFRAMES 64

u8 *host_phys_base;
bool sched_work;
static struct frame table[NFRAMES];

void panic(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	abort();
}

bool endpoint_destroy_step(struct endpoint *ep) { (void)ep; return true; }
bool notification_destroy_step(struct notification *n) { (void)n; return true; }
bool vspace_destroy_step(struct vspace *vs) { (void)vs; return true; }
bool table_destroy_step(u64 pfn) { (void)pfn; return true; }
void task_destroy(struct tcb *t) { (void)t; }
void reply_abandon(struct tcb *t, u64 seq) { (void)t; (void)seq; }
void task_kill(struct tcb *t, u32 status, i64 code, u64 addr) { (void)t; (void)status; (void)code; (void)addr; }
bool poll_pending(void) { return false; }
void irq_unbind_range(struct range *r) { (void)r; }
struct tcb *current;
struct tcb *tq_pop(struct tqueue *q) { (void)q; return NULL; }
void sched_wake(struct tcb *t) { (void)t; }
bool revoke_pending(void) { return false; }
bool revoke_some(void) { return true; }
bool poll_wake_some(void) { return true; }
bool ep_drain_pending(void) { return false; }
bool ep_drain_some(void) { return true; }
void ep_caps(struct endpoint *ep, u8 rights, int delta) { (void)ep; (void)rights; (void)delta; }

/* "User memory" for the region tests: the frames user_page made, each at
 * a va equal to its physical address, readable, and writable unless it is
 * ro_page. */
static u64 user_pages[4], ro_page;
u64 vspace_user_frame(struct vspace *vs, u64 va, bool write)
{
	for (unsigned i = 0; vs && i < 4; i++)
		if (user_pages[i] && va == user_pages[i] && !(write && va == ro_page))
			return va;
	return 0;
}

/* Everything the reap list holds is destroyed. */
static void reap(void)
{
	do
		work_budget = 1000;
	while (!reap_some());
}

/* The references on a frame's reverse map. */
static int rmap_count(u64 pfn)
{
	int n = 0;
	for (u32 r = frame_get(pfn)->rmap; r; r = cap_of_ref(r)->link.next)
		n++;
	return n;
}

static void setup(void)
{
	memset(user_pages, 0, sizeof user_pages);
	ro_page = 0;
	host_phys_base = aligned_alloc(4096, NFRAMES * 4096);
	memset(host_phys_base, 0xa5, NFRAMES * 4096);
	frame_table_init(table, NFRAMES);
	for (u64 i = 0; i < NFRAMES; i++)
		frame_release(i);       /* frame 0 stays reserved */
}

static void teardown(void)
{
	free(host_phys_base);
}

/* Frames */

START_TEST(frame_zero_is_never_free)
{
	ck_assert_uint_eq(frames_free, NFRAMES - 1);
	ck_assert_int_eq(table[0].kind, FRAME_RESERVED);
}
END_TEST

START_TEST(frame_alloc_until_empty)
{
	int seen[NFRAMES] = { 0 };
	for (int i = 0; i < NFRAMES - 1; i++) {
		u64 pfn = frame_alloc();
		ck_assert_uint_gt(pfn, 0);
		ck_assert_uint_lt(pfn, NFRAMES);
		ck_assert_int_eq(seen[pfn], 0);
		seen[pfn] = 1;
	}
	ck_assert_uint_eq(frame_alloc(), 0);
	ck_assert_uint_eq(frames_free, 0);
	frame_free(5);
	ck_assert_uint_eq(frame_alloc(), 5);
}
END_TEST

START_TEST(frame_release_ignores_out_of_range)
{
	u64 before = frames_free;
	frame_release(NFRAMES + 3);
	frame_release(1);               /* already free */
	ck_assert_uint_eq(frames_free, before);
}
END_TEST

/* Quotas and objects */

static struct memq *root_quota(u64 limit)
{
	int err = 0;
	struct memq *q = obj_alloc(NULL, HELIOS_CAP_MEMORY, &err);
	ck_assert_ptr_nonnull(q);
	q->limit = limit;
	return q;
}

START_TEST(quota_limits_pages)
{
	struct memq *q = root_quota(3);
	int err = 0;
	u64 a = page_alloc(q, FRAME_PAGE, &err), b = page_alloc(q, FRAME_PAGE, &err),
	    c = page_alloc(q, FRAME_PAGE, &err);
	ck_assert(a && b && c);
	ck_assert_uint_eq(q->used, 3);
	ck_assert_uint_eq(page_alloc(q, FRAME_PAGE, &err), 0);
	ck_assert_int_eq(err, HELIOS_ENOMEM);
	/* Pages come zeroed. */
	for (int i = 0; i < 4096; i++)
		ck_assert_int_eq(((u8 *)phys_to_virt(a))[i], 0);
	page_unref(b);
	ck_assert_uint_eq(q->used, 2);
	ck_assert_uint_eq(obj_refs(q), 3);      /* its cap + two pages */
	reap();
	ck_assert_ptr_nonnull(page_alloc(q, FRAME_PAGE, &err) ? q : NULL);
}
END_TEST

START_TEST(quota_split_and_return)
{
	struct memq *q = root_quota(10);
	struct memq *child;
	ck_assert_int_eq(memq_split(q, 10, &child), HELIOS_ENOMEM);  /* its own frame too */
	ck_assert_int_eq(memq_split(q, 4, &child), 0);
	ck_assert_uint_eq(q->used, 5);
	ck_assert_uint_eq(child->limit, 4);
	int err = 0;
	u64 pa = page_alloc(child, FRAME_PAGE, &err);
	ck_assert_uint_ne(pa, 0);
	ck_assert_uint_eq(child->used, 1);
	u64 free_before = frames_free;
	obj_unref(child);               /* the cap goes; the page keeps it alive */
	reap();
	ck_assert_uint_eq(q->used, 5);
	page_unref(pa);                 /* the last page: the child quota dies */
	reap();
	ck_assert_uint_eq(q->used, 0);
	ck_assert_uint_eq(frames_free, free_before + 2);
}
END_TEST

START_TEST(frames_run_out_before_quota)
{
	struct memq *q = root_quota(1000);
	int err = 0, n = 0;
	while (page_alloc(q, FRAME_PAGE, &err))
		n++;
	ck_assert_int_eq(err, HELIOS_ENOMEM);
	ck_assert_int_eq(n, NFRAMES - 2);       /* frame 0, and the quota's own */
}
END_TEST

/* Regions */

#define FAKE_VS ((struct vspace *)(uptr)1)

/* A page of "user memory" (its pa is its va for vspace_user_frame). */
static u64 user_page(struct memq *q)
{
	int err = 0;
	u64 pa = page_alloc(q, FRAME_PAGE, &err);
	ck_assert_uint_ne(pa, 0);
	for (unsigned i = 0; i < 4; i++)
		if (!user_pages[i]) {
			user_pages[i] = pa;
			return pa;
		}
	ck_abort_msg("too many user pages");
	return 0;
}

START_TEST(region_made_checked)
{
	struct memq *q = root_quota(5);
	int err = 0;
	ck_assert_ptr_null(region_new(q, 0, &err));
	ck_assert_int_eq(err, HELIOS_EINVAL);
	ck_assert_ptr_null(region_new(q, HELIOS_REGION_MAX + 1, &err));
	ck_assert_int_eq(err, HELIOS_EINVAL);
	/* 16 MiB and a page: the header and five index frames, no data yet. */
	ck_assert_ptr_null(region_new(q, HELIOS_REGION_MAX, &err));
	ck_assert_int_eq(err, HELIOS_ENOMEM);
	ck_assert_uint_eq(q->used, 0);
	q->limit = 6;
	struct region *r = region_new(q, HELIOS_REGION_MAX, &err);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(q->used, 6);
	ck_assert_uint_eq(region_len(r), HELIOS_REGION_MAX);
	ck_assert(!region_sealed(r));
	obj_unref(r);
	reap();
	ck_assert_uint_eq(q->used, 0);
}
END_TEST

START_TEST(region_write_read_seal)
{
	struct memq *q = root_quota(20);
	int err = 0;
	u64 src = user_page(q), dst = user_page(q);
	struct region *r = region_new(q, 3 * 4096 + 10, &err);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(q->used, 4);
	u8 *s = phys_to_virt(src), *d = phys_to_virt(dst);
	for (int i = 0; i < 4096; i++)
		s[i] = (u8)(i * 7 + 1);
	u64 done = 99;
	/* Out of bounds, in any way: nothing happens. */
	ck_assert_int_eq(region_copy(r, 3 * 4096 + 10, FAKE_VS, src, 1, true, &done), HELIOS_EINVAL);
	ck_assert_int_eq(region_copy(r, ~0ull, FAKE_VS, src, 2, true, &done), HELIOS_EINVAL);
	ck_assert_int_eq(region_copy(r, 0, FAKE_VS, src, 0, true, &done), HELIOS_EINVAL);
	ck_assert_int_eq(region_copy(r, 0, FAKE_VS, src + 100, 4096, true, &done), HELIOS_EFAULT);
	ck_assert_int_eq(region_copy(r, 0, NULL, src, 10, true, &done), HELIOS_EFAULT);
	ck_assert_int_eq(region_copy(r, 0, FAKE_VS, 0, 10, true, &done), HELIOS_EFAULT);
	ck_assert_uint_eq(done, 0);
	ck_assert_uint_eq(q->used, 4);
	/* 4000 bytes across the first page boundary: two pages charged. */
	ck_assert_int_eq(region_copy(r, 4000, FAKE_VS, src, 4000, true, &done), 0);
	ck_assert_uint_eq(done, 4000);
	ck_assert_uint_eq(q->used, 6);
	/* Read back, unaligned both sides; unwritten bytes are zeros. */
	ro_page = dst;
	ck_assert_int_eq(region_copy(r, 0, FAKE_VS, dst, 10, false, &done), HELIOS_EFAULT);
	ro_page = 0;
	memset(d, 0xee, 4096);
	ck_assert_int_eq(region_copy(r, 3990, FAKE_VS, dst + 5, 4020, false, &done), 0);
	for (int i = 0; i < 10; i++)
		ck_assert_uint_eq(d[5 + i], 0);
	for (int i = 0; i < 4000; i++)
		ck_assert_uint_eq(d[15 + i], s[i]);
	for (int i = 0; i < 10; i++)
		ck_assert_uint_eq(d[4015 + i], 0);
	ck_assert_uint_eq(d[4], 0xee);
	ck_assert_uint_eq(d[4025], 0xee);
	/* Sealing: cut to 4100 bytes; the tail of its last page is zeroed,
	 * and nothing more is written. */
	ck_assert_int_eq(region_seal(r, 0), HELIOS_EINVAL);
	ck_assert_int_eq(region_seal(r, 3 * 4096 + 11), HELIOS_EINVAL);
	ck_assert(!region_sealed(r));
	ck_assert_int_eq(region_seal(r, 4100), 0);
	ck_assert(region_sealed(r));
	ck_assert_uint_eq(region_len(r), 4100);
	ck_assert_uint_eq(q->used, 6);
	ck_assert_int_eq(region_seal(r, 4100), HELIOS_EPERM);
	ck_assert_int_eq(region_copy(r, 0, FAKE_VS, src, 1, true, &done), HELIOS_EPERM);
	ck_assert_int_eq(region_copy(r, 4000, FAKE_VS, dst, 101, false, &done), HELIOS_EINVAL);
	ck_assert_int_eq(region_copy(r, 4000, FAKE_VS, dst, 100, false, &done), 0);
	for (int i = 0; i < 100; i++)
		ck_assert_uint_eq(d[i], s[i]);
	obj_unref(r);
	reap();
	ck_assert_uint_eq(q->used, 2);
}
END_TEST

START_TEST(region_sealed_short_frees_all)
{
	struct memq *q = root_quota(20);
	int err = 0;
	u64 src = user_page(q), dst = user_page(q);
	struct region *r = region_new(q, 4 * 4096, &err);
	u64 done;
	ck_assert_int_eq(region_copy(r, 0, FAKE_VS, src, 4096, true, &done), 0);
	ck_assert_int_eq(region_copy(r, 3 * 4096, FAKE_VS, src, 4096, true, &done), 0);
	ck_assert_uint_eq(q->used, 6);
	ck_assert_int_eq(region_seal(r, 100), 0);
	ck_assert_int_eq(region_copy(r, 3 * 4096, FAKE_VS, dst, 1, false, &done), HELIOS_EINVAL);
	ck_assert_int_eq(region_copy(r, 0, FAKE_VS, dst, 100, false, &done), 0);
	ck_assert_int_eq(memcmp(phys_to_virt(dst), phys_to_virt(src), 100), 0);
	obj_unref(r);
	reap();
	ck_assert_uint_eq(q->used, 2);
}
END_TEST

START_TEST(region_write_needs_quota)
{
	struct memq *q = root_quota(4);
	int err = 0;
	u64 src = user_page(q);
	struct region *r = region_new(q, 4 * 4096, &err);
	u64 done = 1;
	ck_assert_uint_eq(q->used, 3);
	/* Two pages needed, one left: refused whole, nothing charged. */
	ck_assert_int_eq(region_copy(r, 100, FAKE_VS, src, 4096, true, &done), HELIOS_ENOMEM);
	ck_assert_uint_eq(done, 0);
	ck_assert_uint_eq(q->used, 3);
	ck_assert_int_eq(region_copy(r, 4096, FAKE_VS, src, 4096, true, &done), 0);
	ck_assert_uint_eq(q->used, 4);
	obj_unref(r);
	reap();
	ck_assert_uint_eq(q->used, 1);
}
END_TEST

/* Capability spaces */

START_TEST(cspace_slots)
{
	struct memq *q = root_quota(10);
	int err = 0;
	struct cspace *cs = obj_alloc(q, HELIOS_CAP_CSPACE, &err);
	ck_assert_ptr_nonnull(cs);
	u32 slot = 99;
	ck_assert_int_eq(cap_dest(cs, HELIOS_CAP_NONE, &slot), 0);
	ck_assert_uint_eq(slot, 0);
	ck_assert_int_eq(cap_dest(cs, CSPACE_SLOTS, &slot), HELIOS_EBADCAP);
	ck_assert_int_eq(cap_dest(cs, 0xffffffffull << 8, &slot), HELIOS_EBADCAP);
	struct range *io = range_new(q, HELIOS_CAP_IOPORT, NULL, &err);
	cap_set(cs, 0, (struct cap){ .type = HELIOS_CAP_IOPORT, .obj = io });
	ck_assert_int_eq(cap_dest(cs, 0, &slot), HELIOS_EBUSY);
	ck_assert_int_eq(cap_dest(cs, HELIOS_CAP_NONE, &slot), 0);
	ck_assert_uint_eq(slot, 1);
	ck_assert_ptr_nonnull(cap_get(cs, 0, HELIOS_CAP_IOPORT, &err));
	ck_assert_ptr_null(cap_get(cs, 0, HELIOS_CAP_ENDPOINT, &err));
	ck_assert_int_eq(err, HELIOS_EBADCAP);
	ck_assert_ptr_null(cap_get(cs, 1, HELIOS_CAP_EMPTY, &err));
	ck_assert_ptr_null(cap_get(cs, 1u << 31, HELIOS_CAP_EMPTY, &err));
}
END_TEST

START_TEST(cspace_full)
{
	struct memq *q = root_quota(10);
	int err = 0;
	struct cspace *cs = obj_alloc(q, HELIOS_CAP_CSPACE, &err);
	for (int i = 0; i < CSPACE_SLOTS; i++)
		cs->slot[i].type = HELIOS_CAP_IRQ;
	u32 slot;
	ck_assert_int_eq(cap_dest(cs, HELIOS_CAP_NONE, &slot), HELIOS_ENOMEM);
	for (int i = 0; i < CSPACE_SLOTS; i++)
		cs->slot[i].type = HELIOS_CAP_EMPTY;
}
END_TEST

START_TEST(cap_references)
{
	struct memq *q = root_quota(10);
	int err = 0;
	struct cspace *cs = obj_alloc(q, HELIOS_CAP_CSPACE, &err);
	void *ep = obj_alloc(q, HELIOS_CAP_ENDPOINT, &err);
	u64 pa = page_alloc(q, FRAME_PAGE, &err);
	cap_set(cs, 0, (struct cap){ .type = HELIOS_CAP_ENDPOINT, .obj = ep });
	cap_set(cs, 1, (struct cap){ .type = HELIOS_CAP_PAGE, .rights = 7, .pa = pa });
	cap_install(cs, 2, &cs->slot[0], false);
	cap_install(cs, 3, &cs->slot[1], false);
	ck_assert_uint_eq(obj_refs(ep), 2);
	ck_assert_uint_eq(frame_get(pa >> 12)->refs, 2);
	ck_assert_int_eq(rmap_count(frame_of_virt(ep)), 2);
	ck_assert_int_eq(rmap_count(pa >> 12), 2);
	cap_clear(&cs->slot[0]);
	ck_assert_uint_eq(obj_refs(ep), 1);
	ck_assert_int_eq(cs->slot[0].type, HELIOS_CAP_EMPTY);
	ck_assert_int_eq(rmap_count(frame_of_virt(ep)), 1);
	/* A move keeps the reference and follows the slot on the reverse map. */
	cap_install(cs, 5, &cs->slot[2], true);
	ck_assert_uint_eq(obj_refs(ep), 1);
	ck_assert_int_eq(rmap_count(frame_of_virt(ep)), 1);
	ck_assert_ptr_eq(cap_of_ref(frame_get(frame_of_virt(ep))->rmap), &cs->slot[5]);
	u64 used = q->used;
	/* The cspace's last reference: everything in it goes. */
	obj_unref(cs);
	reap();
	ck_assert_uint_eq(q->used, used - 3);
}
END_TEST

START_TEST(cspace_self_reference_is_weak)
{
	struct memq *q = root_quota(10);
	int err = 0;
	struct cspace *cs = obj_alloc(q, HELIOS_CAP_CSPACE, &err);
	struct cspace *other = obj_alloc(q, HELIOS_CAP_CSPACE, &err);
	obj_ref(cs);
	cap_set(other, 1, (struct cap){ .type = HELIOS_CAP_CSPACE, .obj = cs });
	cap_install(cs, 0, &other->slot[1], true);      /* moved into itself: weak, the ref dropped */
	ck_assert_uint_eq(obj_refs(cs), 1);
	ck_assert(cs->slot[0].rights & CAP_WEAK);
	cap_install(other, 0, &cs->slot[0], false);    /* copied elsewhere: strong */
	ck_assert_uint_eq(obj_refs(cs), 2);
	ck_assert(!(other->slot[0].rights & CAP_WEAK));
	cap_clear(&other->slot[0]);
	ck_assert_uint_eq(obj_refs(cs), 1);
	u64 used = q->used;
	obj_unref(cs);                          /* the last strong one: it goes */
	reap();
	ck_assert_uint_eq(q->used, used - 1);
}
END_TEST

/* Timers: the AVL tree of ipc/timer.c against a plain sorted array. */

struct notification *timer_tree(struct notification **earliest);
static struct notification *fired[1000];
static int nfired;
struct tcb *notification_signal(struct notification *n, u64 bits)
{
	(void)bits;
	if (nfired < 1000)
		fired[nfired++] = n;
	return NULL;
}

/* The tree's height, or -1 if its order, links, heights or balance are
 * wrong (no ck_assert per node: each costs a message to the runner). */
static int tree_check(struct notification *n, struct notification *parent, struct notification **prev)
{
	if (!n)
		return 0;
	if (n->timer_parent != parent || !n->timer_armed)
		return -1;
	int l = tree_check(n->timer_left, n, prev);
	if (*prev && !((*prev)->timer_at < n->timer_at || ((*prev)->timer_at == n->timer_at && *prev < n)))
		return -1;
	*prev = n;
	int r = tree_check(n->timer_right, n, prev);
	if (l < 0 || r < 0 || l - r > 1 || r - l > 1 || n->timer_height != 1 + (l > r ? l : r))
		return -1;
	return n->timer_height;
}

START_TEST(timers_in_order)
{
	enum { N = 500 };
	static struct notification ns[N];
	memset(ns, 0, sizeof(ns));
	u64 rng = 88172645463325252ull, tick = 0;
	int armed = 0;
	for (int step = 0; step < 40000; step++) {
		bool ticked = false;
		rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
		struct notification *n = &ns[rng % N];
		switch ((rng >> 20) % 8) {
		case 0: case 1: case 2: case 3:
			armed += !n->timer_armed;
			timer_arm(n, tick + (rng >> 32) % 50, 1);
			break;
		case 4: case 5:
			armed -= n->timer_armed;
			timer_disarm(n);
			break;
		default: {
			/* A tick: what fires is what is due, earliest first. */
			tick += (rng >> 40) % 4;
			timer_tick(tick);
			nfired = 0;
			work_budget = 1000000;
			ck_assert(timer_fire_some());
			for (int i = 0; i < nfired; i++)
				if (fired[i]->timer_at > tick || fired[i]->timer_armed ||
				    (i && fired[i - 1]->timer_at > fired[i]->timer_at))
					ck_abort_msg("step %d: fired out of order", step);
			armed -= nfired;
			ticked = true;
			break;
		}
		}
		struct notification *earliest, *prev = NULL;
		struct notification *root = timer_tree(&earliest);
		int h = tree_check(root, NULL, &prev);
		int count = 0;
		for (int i = 0; i < N; i++)
			count += ns[i].timer_armed;
		if (count != armed || h < 0 || h > 14)  /* 1.44 log2(500) + 2 */
			ck_abort_msg("step %d: %d armed, %d counted, height %d", step, armed, count, h);
		if (root) {
			struct notification *m = root;
			while (m->timer_left)
				m = m->timer_left;
			if (earliest != m || (ticked && earliest->timer_at <= tick))
				ck_abort_msg("step %d: the earliest is wrong, or still due", step);
		} else if (earliest) {
			ck_abort_msg("step %d: an earliest in an empty tree", step);
		}
	}
}
END_TEST

/* Logs */

static char logged[1024];
static size_t nlogged;
static void capture(const char *s, usize n)
{
	ck_assert_uint_le(nlogged + n, sizeof(logged));
	memcpy(logged + nlogged, s, n);
	nlogged += n;
}

static const char *log_through(const struct range *log, const char *s, usize n)
{
	nlogged = 0;
	log_sink = capture;
	log_write(log, s, n);
	log_sink = NULL;
	logged[nlogged] = 0;
	return logged;
}

START_TEST(log_untagged_as_is)
{
	struct range log = { 0 };
	ck_assert_str_eq(log_through(&log, "a\r\x1b[2Kb", 7), "a\r\x1b[2Kb");
}
END_TEST

START_TEST(log_tagged_every_line)
{
	struct range log = { .name = "drv", .namelen = 3 };
	ck_assert_str_eq(log_through(&log, "kernel panic: x\n\nlast", 21),
	                 "[drv] kernel panic: x\n[drv] \n[drv] last\n");
	ck_assert_str_eq(log_through(&log, "a\rb\x1b[2K\tc\x80\x7f\n", 12), "[drv] a?b?[2K\tc??\n");
	ck_assert_str_eq(log_through(&log, "", 0), "");
	/* A long line is one line, however the kernel writes it out. */
	char big[300];
	memset(big, 'x', sizeof(big));
	const char *out = log_through(&log, big, sizeof(big));
	ck_assert_uint_eq(strlen(out), 6 + sizeof(big) + 1);
	ck_assert_ptr_eq(strchr(out, '\n'), out + strlen(out) - 1);
	ck_assert_ptr_eq(strchr(out + 1, '['), NULL);
}
END_TEST

/* ELF */

struct image {
	unsigned char b[4096];
};

static void put16(unsigned char *p, unsigned v) { p[0] = v; p[1] = v >> 8; }
static void put32(unsigned char *p, unsigned long v) { for (int i = 0; i < 4; i++) p[i] = v >> (8 * i); }
static void put64(unsigned char *p, unsigned long long v) { for (int i = 0; i < 8; i++) p[i] = v >> (8 * i); }

/* A one-segment executable: 100 bytes at 0x400000, 0x2000 in memory. */
static void make_elf(struct image *im)
{
	memset(im, 0, sizeof(*im));
	unsigned char *e = im->b, *ph = im->b + 64;
	memcpy(e, "\177ELF", 4);
	e[4] = 2;
	e[5] = 1;
	e[6] = 1;
	put16(e + 16, 2);
	put16(e + 18, 62);
	put32(e + 20, 1);
	put64(e + 24, 0x400010);
	put64(e + 32, 64);
	put16(e + 52, 64);
	put16(e + 54, 56);
	put16(e + 56, 1);
	put32(ph, 1);
	put32(ph + 4, 5);
	put64(ph + 8, 0x200);
	put64(ph + 16, 0x400000);
	put64(ph + 32, 100);
	put64(ph + 40, 0x2000);
}

static int nsegs;
static struct elf_segment last;
static int count_segment(void *arg, const struct elf_segment *s)
{
	(void)arg;
	nsegs++;
	last = *s;
	return 0;
}

static int load(struct image *im, usize size)
{
	u64 entry;
	nsegs = 0;
	return elf_load(im->b, size, 0x1000, 0x7fffffff0000ull, &entry, count_segment, NULL);
}

START_TEST(elf_good)
{
	struct image im;
	make_elf(&im);
	ck_assert_int_eq(load(&im, sizeof(im)), 0);
	ck_assert_int_eq(nsegs, 1);
	ck_assert_uint_eq(last.vaddr, 0x400000);
	ck_assert_uint_eq(last.memsz, 0x2000);
	ck_assert_uint_eq(last.filesz, 100);
	ck_assert_uint_eq(last.flags, 5);
}
END_TEST

START_TEST(elf_bad)
{
	struct image im;
	make_elf(&im);
	ck_assert_int_eq(load(&im, 63), -1);            /* truncated header */
	ck_assert_int_eq(load(&im, 64 + 55), -1);       /* truncated program headers */
	make_elf(&im);
	im.b[1] = 'X';
	ck_assert_int_eq(load(&im, sizeof(im)), -1);
	make_elf(&im);
	put16(im.b + 18, 3);                            /* i386 */
	ck_assert_int_eq(load(&im, sizeof(im)), -1);
	make_elf(&im);
	put64(im.b + 64 + 32, 0x3000);                  /* filesz > memsz */
	ck_assert_int_eq(load(&im, sizeof(im)), -1);
	make_elf(&im);
	put64(im.b + 64 + 8, 0xfffffffffffff000ull);    /* offset wraps */
	ck_assert_int_eq(load(&im, sizeof(im)), -1);
	make_elf(&im);
	put64(im.b + 64 + 16, 0xffffffff80000000ull);   /* a kernel address */
	ck_assert_int_eq(load(&im, sizeof(im)), -1);
	make_elf(&im);
	put64(im.b + 64 + 40, 0xffffffffffffffffull);   /* memsz wraps */
	put64(im.b + 64 + 32, 0);
	ck_assert_int_eq(load(&im, sizeof(im)), -1);
	make_elf(&im);
	put64(im.b + 24, 0);                            /* entry outside */
	ck_assert_int_eq(load(&im, sizeof(im)), -1);
	make_elf(&im);
	put32(im.b + 64, 4);                            /* no PT_LOAD at all */
	ck_assert_int_eq(load(&im, sizeof(im)), -1);
	ck_assert_int_eq(nsegs, 0);
}
END_TEST

/* Mutated images: whatever elf_load accepts lies inside the image and the
 * address range; nothing it is given makes it read out of bounds (ASan
 * watches). */
static usize image_size;
static int bounded_segment(void *arg, const struct elf_segment *sg)
{
	(void)arg;
	ck_assert(sg->filesz <= sg->memsz);
	ck_assert(sg->offset <= image_size && sg->filesz <= image_size - sg->offset);
	ck_assert(sg->vaddr >= 0x1000 && sg->memsz <= 0x7fffffff0000ull - sg->vaddr);
	return 0;
}

START_TEST(elf_mutations)
{
	unsigned long long rng = 0x2545f4914f6cdd1dull;
	int accepted = 0;
	for (int round = 0; round < 20000; round++) {
		struct image im;
		make_elf(&im);
		int flips = 1 + (int)(rng % 8);
		for (int i = 0; i < flips; i++) {
			rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
			/* Mostly the headers, where the fields are. */
			unsigned at = rng % 4 ? (unsigned)(rng >> 8) % 128 : (unsigned)(rng >> 8) % sizeof(im.b);
			im.b[at] ^= (unsigned char)(1u << ((rng >> 20) % 8));
		}
		rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
		image_size = rng % 5 ? sizeof(im.b) : (usize)(rng >> 16) % sizeof(im.b);
		unsigned char *copy = malloc(image_size ? image_size : 1);   /* exact size: ASan sees overreads */
		memcpy(copy, im.b, image_size);
		u64 entry;
		if (elf_load(copy, image_size, 0x1000, 0x7fffffff0000ull, &entry, bounded_segment, NULL) == 0)
			accepted++;
		free(copy);
	}
	ck_assert_int_gt(accepted, 0);          /* some flips are harmless */
}
END_TEST

/* The log formatter, which the test tasks use too. */
START_TEST(log_format)
{
	char buf[64];
	ksnprintf(buf, sizeof(buf), "%s %d %u %x %lx %05d|%c", "a", -12, 7u, 0xbeefu, 0x1234567890ul, 42, 'z');
	ck_assert_str_eq(buf, "a -12 7 beef 1234567890 00042|z");
	ck_assert_int_eq(ksnprintf(buf, 4, "%s", "truncated"), 9);
	ck_assert_str_eq(buf, "tru");
}
END_TEST

static Suite *kernel_suite(void)
{
	Suite *s = suite_create("kernel");
	TCase *t = tcase_create("frames");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, frame_zero_is_never_free);
	tcase_add_test(t, frame_alloc_until_empty);
	tcase_add_test(t, frame_release_ignores_out_of_range);
	suite_add_tcase(s, t);
	t = tcase_create("objects");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, quota_limits_pages);
	tcase_add_test(t, quota_split_and_return);
	tcase_add_test(t, frames_run_out_before_quota);
	suite_add_tcase(s, t);
	t = tcase_create("region");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, region_made_checked);
	tcase_add_test(t, region_write_read_seal);
	tcase_add_test(t, region_sealed_short_frees_all);
	tcase_add_test(t, region_write_needs_quota);
	suite_add_tcase(s, t);

	t = tcase_create("cspace");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, cspace_slots);
	tcase_add_test(t, cspace_full);
	tcase_add_test(t, cap_references);
	tcase_add_test(t, cspace_self_reference_is_weak);
	suite_add_tcase(s, t);
	t = tcase_create("elf");
	tcase_add_test(t, elf_good);
	tcase_add_test(t, elf_bad);
	tcase_add_test(t, elf_mutations);
	tcase_add_test(t, log_format);
	tcase_add_test(t, timers_in_order);
	tcase_add_test(t, log_untagged_as_is);
	tcase_add_test(t, log_tagged_every_line);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(kernel_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
