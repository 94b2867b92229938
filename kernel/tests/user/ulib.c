/*
 * ulib.c: printing, checks and spawn for the kernel's test tasks.
 */
#include "ulib.h"
#include "kern/elf.h"

const struct helios_bootinfo *bootinfo;
u32 spawn_memory = HELIOS_ROOT_MEMORY;
u32 u_log = HELIOS_ROOT_LOG;
struct helios_ipc_buffer *uprintf_buf = U_IPCBUF;
int ktest_checks, ktest_failures;

void uprintf(const char *fmt, ...)
{
	char buf[512];
	__builtin_va_list ap;
	__builtin_va_start(ap, fmt);
	struct helios_ipc_buffer *b = uprintf_buf;
	/* Format with the kernel's formatter, into the IPC buffer, then log. */
	int n = kvsnprintf(buf, sizeof(buf), fmt, ap);
	__builtin_va_end(ap);
	n = MIN(n, (int)sizeof(buf) - 1);
	memcpy(b->word, buf, n);
	sys(HELIOS_SYS_DEBUG_WRITE, u_log, (u64)n, 0, 0, 0);
}

void ktest_check(bool ok, const char *what, int line)
{
	ktest_checks++;
	if (!ok) {
		ktest_failures++;
		uprintf("FAIL: %s:%d: %s\n", ktest_name, line, what);
	}
}

void ktest_check_eq(i64 got, i64 want, const char *what, int line)
{
	ktest_checks++;
	if (got != want) {
		ktest_failures++;
		uprintf("FAIL: %s:%d: %s: got %ld, want %ld\n", ktest_name, line, what, got, want);
	}
}

NORETURN void ktest_finish(void)
{
	uprintf("ktest %s: %d checks, %d failed\n", ktest_name, ktest_checks, ktest_failures);
	h_io_out(HELIOS_ROOT_IOPORT, HELIOS_QEMU_EXIT_PORT, 4,
	         ktest_failures ? HELIOS_QEMU_FAIL : HELIOS_QEMU_PASS);
	h_exit(ktest_failures ? 1 : 0);
}

/* A fresh page from the root's memory, filled through the scratch window,
 * mapped at va in vspace vs; the mapping keeps it, the cap goes. */
static int place_page(u32 vs, u64 va, unsigned flags, const u8 *src, u64 off, u64 n)
{
	struct sysret pg = h_alloc(spawn_memory, HELIOS_CAP_PAGE, NONE, 0);
	if (pg.st)
		return (int)pg.st;
	if (n) {
		i64 st = h_map(HELIOS_ROOT_VSPACE, U_SCRATCH, (u32)pg.r0, HELIOS_MAP_W, HELIOS_ROOT_MEMORY);
		if (st)
			return (int)st;
		memcpy((u8 *)U_SCRATCH + off, src, n);
		h_unmap(HELIOS_ROOT_VSPACE, U_SCRATCH);
	}
	i64 st = h_map(vs, va, (u32)pg.r0, flags, spawn_memory);
	h_destroy((u32)pg.r0);
	return (int)st;
}

struct load {
	u32 vs;
	const u8 *image;
};

static int load_segment(void *arg, const struct elf_segment *s)
{
	struct load *l = arg;
	unsigned flags = (s->flags & ELF_PF_W ? HELIOS_MAP_W : 0) | (s->flags & ELF_PF_X ? HELIOS_MAP_X : 0);
	for (u64 va = ALIGN_DOWN(s->vaddr, 4096); va < s->vaddr + s->memsz; va += 4096) {
		u64 lo = MAX(va, s->vaddr), hi = MIN(va + 4096, s->vaddr + s->filesz);
		int st = place_page(l->vs, va, flags, l->image + s->offset + (lo - s->vaddr), lo - va,
		                    lo < hi ? hi - lo : 0);
		if (st)
			return st;
	}
	return 0;
}

int spawn(u64 role, u64 arg, const u32 *caps, unsigned ncaps, struct child *out)
{
	return spawn_ex(role, arg, caps, ncaps, 0, NONE, out);
}

int spawn_ex(u64 role, u64 arg, const u32 *caps, unsigned ncaps, unsigned flags, u32 page,
             struct child *out)
{
	int st = proc_make(caps, ncaps, flags, page, out);
	if (st)
		return st;
	struct thread_spec main_thread = {
		.task_mem = spawn_memory, .stack_mem = spawn_memory, .buf_mem = spawn_memory,
		.stack_top = U_STACK_TOP, .stack_pages = 4, .buf_va = (u64)U_IPCBUF,
		.role = role, .arg = arg,
	};
	return thread_start(out, &main_thread, &out->task);
}

int proc_make(const u32 *caps, unsigned ncaps, unsigned flags, u32 page, struct child *out)
{
	struct sysret cs = flags & SPAWN_SHARE_CSPACE
		? h_copy(HELIOS_ROOT_CSPACE, NONE, NONE)
		: h_alloc(spawn_memory, HELIOS_CAP_CSPACE, NONE, 0);
	struct sysret vs = h_alloc(spawn_memory, HELIOS_CAP_VSPACE, NONE, 0);
	if (cs.st || vs.st)
		return -1;
	out->task = NONE;
	out->cspace = (u32)cs.r0;
	out->vspace = (u32)vs.r0;
	struct load l = { (u32)vs.r0, (const u8 *)bootinfo->module[0].vaddr };
	if (elf_load(l.image, bootinfo->module[0].size, HELIOS_USER_MIN, HELIOS_USER_TOP, &out->entry,
	             load_segment, &l))
		return -2;
	if ((flags & SPAWN_SHARED_PAGE) && h_map(l.vs, U_SHARED, page, HELIOS_MAP_W, spawn_memory))
		return -9;
	if (flags & SPAWN_SHARE_CSPACE)
		ncaps = 0;
	for (unsigned i = 0; i < ncaps; i++)
		if (h_copy(caps[i], i, out->cspace).st)
			return -5;
	if ((flags & SPAWN_SELF) && (h_copy(out->cspace, ncaps, out->cspace).st ||
	                             h_copy(out->vspace, ncaps + 1, out->cspace).st))
		return -10;
	return 0;
}

/* A fresh page from mem mapped at va in vspace vs (tables from
 * spawn_memory); the mapping keeps it, the cap goes. */
static int map_fresh(u32 mem, u32 vs, u64 va)
{
	struct sysret pg = h_alloc(mem, HELIOS_CAP_PAGE, NONE, 0);
	if (pg.st)
		return (int)pg.st;
	i64 st = h_map(vs, va, (u32)pg.r0, HELIOS_MAP_W, spawn_memory);
	h_destroy((u32)pg.r0);
	return (int)st;
}

int thread_start(const struct child *c, const struct thread_spec *s, u32 *task)
{
	*task = NONE;
	struct sysret t = h_alloc(s->task_mem, HELIOS_CAP_TASK, NONE, 0);
	if (t.st)
		return -1;
	struct sysret buf = h_alloc(s->buf_mem, HELIOS_CAP_PAGE, NONE, 0);
	int st = buf.st ? -1 : 0;
	for (u64 i = 1; i <= s->stack_pages && !st; i++)
		if (map_fresh(s->stack_mem, c->vspace, s->stack_top - i * 4096))
			st = -3;
	if (!st && h_map(c->vspace, s->buf_va, (u32)buf.r0, HELIOS_MAP_W, spawn_memory))
		st = -4;
	if (!st && S(TASK_CONFIG, t.r0, c->cspace, c->vspace, buf.r0, 0).st)
		st = -6;
	if (!buf.st)
		h_destroy((u32)buf.r0);
	if (!st && S(TASK_REGS, t.r0, c->entry, s->stack_top, s->role, s->arg).st)
		st = -7;
	if (!st && !s->unstarted && S(TASK_START, t.r0, 0, 0, 0, 0).st)
		st = -8;
	if (st)
		h_destroy((u32)t.r0);
	else
		*task = (u32)t.r0;
	return st;
}

void child_free(struct child *c)
{
	h_destroy(c->task);
	h_destroy(c->cspace);
	h_destroy(c->vspace);
}

int root_thread(u64 area, u64 role, u64 arg, u32 *task)
{
	extern char _start[];
	struct child self = { NONE, HELIOS_ROOT_CSPACE, HELIOS_ROOT_VSPACE, (u64)(uptr)_start };
	struct thread_spec spec = {
		.task_mem = HELIOS_ROOT_MEMORY, .stack_mem = HELIOS_ROOT_MEMORY, .buf_mem = HELIOS_ROOT_MEMORY,
		.stack_top = area + 0x2000, .stack_pages = 2, .buf_va = area + 0x8000, .role = role, .arg = arg,
	};
	return thread_start(&self, &spec, task);
}

/* revoke_within: the revocation runs in a thread of the root's (in its
 * cspace and vspace, at REVOKER_AREA), so that the root can stop waiting. */
#define REVOKER_ROLE 0x7ff0002c0000ull          /* umain's a0 for it */
#define REVOKER_AREA 0x7e8000000000ull
static volatile u32 revoker_mem, revoker_note;
static volatile i64 revoker_status;

static NORETURN void revoker(void)
{
	revoker_status = S(MEM_REVOKE, revoker_mem, 0, 0, 0, 0).st;
	h_signal(revoker_note, 1);
	h_exit(0);
}

i64 revoke_within(u32 mem, u64 ticks)
{
	struct sysret n = h_alloc(HELIOS_ROOT_MEMORY, HELIOS_CAP_NOTIFICATION, NONE, 0);
	if (n.st)
		return n.st;
	revoker_mem = mem;
	revoker_note = (u32)n.r0;
	u32 task;
	int st = root_thread(REVOKER_AREA, REVOKER_ROLE, 0, &task);
	if (st)
		return st;
	S(TIMER, revoker_note, 2, S(CLOCK, 0, 0, 0, 0, 0).r0 + ticks, 0, 0);
	if (!(h_wait(revoker_note).r0 & 1))
		return 1;       /* it goes on (and the thread with it) */
	h_destroy(task);
	for (u64 va = REVOKER_AREA; va < REVOKER_AREA + 0x10000; va += 4096)
		h_unmap(HELIOS_ROOT_VSPACE, va);
	h_destroy(revoker_note);
	return revoker_status;
}

/* The root task gets its bootinfo's address; children a small role. */
i64 umain(u64 a0, u64 a1)
{
	if (a0 == 0x7ff000200000ull) {
		bootinfo = (const void *)a0;
		test_main();
		ktest_finish();
	}
	if (a0 == REVOKER_ROLE)
		revoker();
	child_main(a0, a1);
	return 0;
}
