/*
 * mm/region.c: regions, the memory that out-of-line values travel in.
 *
 * A region is up to HELIOS_REGION_MAX bytes that no vspace maps: its
 * holder fills it with REGION_WRITE, REGION_SEAL fixes its length and makes
 * it immutable for good, and whoever it is sent to copies it out with
 * REGION_READ.  Since only the kernel touches its pages, a sealed region
 * cannot change under a reader that has checked it (no one holds a
 * writable mapping), and nothing but the region refers to its pages: they
 * need no reverse map, and revoking their quota only has to destroy the
 * region, whose capabilities are on the reverse map of its own frame.
 *
 * The object is one frame: the header below and the frame numbers of its
 * index frames, each listing up to INDEX_SLOTS data frames (0: never
 * written, reads as zeros).  Index frames are taken when the region is
 * made, data frames when first written; all are charged to the quota that
 * made the region, as user pages holding one reference (the region's).
 * Destruction gives them back a few at a time, as deferred work.
 *
 * Copies reach user memory through the frames its vspace maps there, read
 * from the direct map: never through a user pointer (SMAP stays on), and a
 * page that is not mapped for the task (writable, for a read into it) is
 * HELIOS_EFAULT before anything is copied.
 */
#include "kern/arch.h"
#include "kern/mm.h"
#include "abi/helios.h"

#define INDEX_SLOTS (PAGE_SIZE / sizeof(u32))
#define REGION_PAGES_MAX ((HELIOS_REGION_MAX + PAGE_SIZE - 1) / PAGE_SIZE)
#define REGION_INDEX_MAX ((REGION_PAGES_MAX + INDEX_SLOTS - 1) / INDEX_SLOTS)
#define CHUNK_PAGES (HELIOS_REGION_CHUNK / PAGE_SIZE + 1)  /* pages a chunk can touch */

struct region {
	u64 size;               /* bytes it was made with */
	u64 len;                /* bytes it has: size until sealed, then what SEAL gave */
	bool sealed;
	u32 nindex;
	u32 index[REGION_INDEX_MAX];
};
_Static_assert(sizeof(struct region) <= PAGE_SIZE, "a region's header fits its frame");

static u32 *index_of(const struct region *r, u64 page)
{
	u32 *ix = phys_to_virt((u64)r->index[page / INDEX_SLOTS] << PAGE_SHIFT);
	return &ix[page % INDEX_SLOTS];
}

struct region *region_new(struct memq *q, u64 size, int *err)
{
	if (size == 0 || size > HELIOS_REGION_MAX) {
		*err = HELIOS_EINVAL;
		return NULL;
	}
	u64 pages = (size + PAGE_SIZE - 1) / PAGE_SIZE;
	u32 nindex = (u32)((pages + INDEX_SLOTS - 1) / INDEX_SLOTS);
	if (q->dying || q->limit - q->used < 1 + nindex) {
		*err = HELIOS_ENOMEM;
		return NULL;
	}
	struct region *r = obj_alloc(q, HELIOS_CAP_REGION, err);
	if (!r)
		return NULL;
	r->size = r->len = size;
	for (; r->nindex < nindex; r->nindex++) {
		u64 pa = page_alloc(q, FRAME_PAGE, err);
		kassert(pa);            /* the quota was checked; frames are the quota's */
		r->index[r->nindex] = (u32)(pa >> PAGE_SHIFT);
	}
	return r;
}

u64 region_len(const struct region *r) { return r->len; }
bool region_sealed(const struct region *r) { return r->sealed; }

/* The pages of [va, va + n) in vs, if the task may read them (write: and
 * write them); else HELIOS_EFAULT. */
static int user_frames(struct vspace *vs, u64 va, u64 n, bool write, u64 *pa)
{
	if (!vs || va < HELIOS_USER_MIN || va >= HELIOS_USER_TOP || n > HELIOS_USER_TOP - va)
		return HELIOS_EFAULT;
	u64 first = va & ~(PAGE_SIZE - 1);
	for (u64 i = 0, p = first; p < va + n; p += PAGE_SIZE, i++)
		if (!(pa[i] = vspace_user_frame(vs, p, write)))
			return HELIOS_EFAULT;
	return 0;
}

int region_copy(struct region *r, u64 off, struct vspace *vs, u64 va, u64 n, bool write, u64 *done)
{
	u64 upa[CHUNK_PAGES + 1];
	u64 limit = write ? r->size : r->len;
	*done = 0;
	if (write && r->sealed)
		return HELIOS_EPERM;
	if (n == 0 || off > limit || n > limit - off)
		return HELIOS_EINVAL;
	n = MIN(n, HELIOS_REGION_CHUNK);
	int err = user_frames(vs, va, n, !write, upa);
	if (err)
		return err;
	if (write) {
		/* Every page it needs, before any is taken or anything copied. */
		struct memq *q = frame_get(frame_of_virt(r))->quota;
		u64 need = 0;
		for (u64 p = off / PAGE_SIZE; p <= (off + n - 1) / PAGE_SIZE; p++)
			need += !*index_of(r, p);
		if (q->dying || q->limit - q->used < need)
			return HELIOS_ENOMEM;
		for (u64 p = off / PAGE_SIZE; p <= (off + n - 1) / PAGE_SIZE; p++) {
			u32 *slot = index_of(r, p);
			/* A page this write covers whole is not zeroed first. */
			bool whole = p * PAGE_SIZE >= off && (p + 1) * PAGE_SIZE <= off + n;
			if (!*slot) {
				u64 pa = whole ? page_alloc_dirty(q, FRAME_PAGE, &err) : page_alloc(q, FRAME_PAGE, &err);
				kassert(pa);
				*slot = (u32)(pa >> PAGE_SHIFT);
			}
		}
	}
	for (u64 pos = 0; pos < n;) {
		u64 ro = off + pos, uo = va + pos;
		u64 step = MIN(n - pos, MIN(PAGE_SIZE - ro % PAGE_SIZE, PAGE_SIZE - uo % PAGE_SIZE));
		u32 f = *index_of(r, ro / PAGE_SIZE);
		char *u = (char *)phys_to_virt(upa[(uo - (va & ~(PAGE_SIZE - 1))) / PAGE_SIZE]) +
		          uo % PAGE_SIZE;
		char *k = f ? (char *)phys_to_virt((u64)f << PAGE_SHIFT) + ro % PAGE_SIZE : NULL;
		if (write)
			memcpy(k, u, step);
		else if (k)
			memcpy(u, k, step);
		else
			memset(u, 0, step);
		pos += step;
	}
	*done = n;
	return 0;
}

int region_seal(struct region *r, u64 len)
{
	if (r->sealed)
		return HELIOS_EPERM;
	if (len == 0 || len > r->size)
		return HELIOS_EINVAL;
	/* The bytes past len in its last page are zeroed; pages past it stay
	 * until the region goes (freeing them here would be a loop over up
	 * to 4096 slots with interrupts off), unread. */
	u32 *last = index_of(r, (len - 1) / PAGE_SIZE);
	if (*last && len % PAGE_SIZE)
		memset((char *)phys_to_virt((u64)*last << PAGE_SHIFT) + len % PAGE_SIZE, 0,
		       PAGE_SIZE - len % PAGE_SIZE);
	r->len = len;
	r->sealed = true;
	return 0;
}

/* Reap: a page (or SCAN_STEP empty slots) a step, then the index frames. */
bool region_destroy_step(struct region *r, u32 *progress)
{
	u64 pages = (r->size + PAGE_SIZE - 1) / PAGE_SIZE;
	u32 p = *progress;
	while (p < pages && work_budget > 0) {
		u64 end = MIN(p + SCAN_STEP, pages);
		while (p < end && !*index_of(r, p))
			p++;
		work_budget--;
		if (p < end) {
			u32 *slot = index_of(r, p++);
			page_unref((u64)*slot << PAGE_SHIFT);
			*slot = 0;
		}
	}
	*progress = p;
	if (p < pages)
		return false;
	while (r->nindex)
		page_unref((u64)r->index[--r->nindex] << PAGE_SHIFT);
	return true;
}
