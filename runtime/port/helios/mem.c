/*
 * mem.c: memory over the process's capabilities.  malloc takes pages from
 * the memory capability and maps them at the top of the heap through the
 * vspace capability; small blocks come from power-of-two free lists,
 * large ones are page runs (reused by an exact fit).  mercury_map places
 * other pages (a client's buffer) in the mmap window.  One lock for all:
 * sysinit has threads.
 */
#include "mercury/helios.h"

static volatile int mem_lock;
static uint64_t heap_top = MERCURY_HEAP;

struct block {
	uint64_t size;          /* bytes after the header: 2^k, or whole pages minus the header */
	struct block *next;     /* while free */
};
#define HDR 16
#define SMALL_MIN 4
#define SMALL_MAX 11            /* 2^4 .. 2^11 bytes */
static struct block *small_free[SMALL_MAX + 1];
static struct block *large_free;

void mercury_heap_init(void);
void mercury_heap_init(void)
{
}

static void *grow(uint64_t bytes)
{
	uint64_t n = (bytes + HELIOS_PAGE_SIZE - 1) / HELIOS_PAGE_SIZE;
	if (mercury_memory == IPC_CAP_NONE || mercury_vspace == IPC_CAP_NONE ||
	    heap_top + n * HELIOS_PAGE_SIZE > MERCURY_HEAP + MERCURY_HEAP_MAX)
		return NULL;
	uint64_t va = heap_top;
	for (uint64_t i = 0; i < n; i++) {
		ipc_cap pg;
		if (hl_mem_alloc(mercury_memory, HELIOS_CAP_PAGE, IPC_CAP_NONE, 0, &pg))
			return NULL;
		int st = hl_map(mercury_vspace, va + i * HELIOS_PAGE_SIZE, pg, HELIOS_MAP_W, mercury_memory);
		hl_cap_destroy(pg);
		if (st)
			return NULL;
		heap_top += HELIOS_PAGE_SIZE;
	}
	return (void *)va;
}

static void *alloc_locked(size_t n)
{
	if (n > MERCURY_HEAP_MAX)
		return NULL;
	unsigned k = SMALL_MIN;
	while (k <= SMALL_MAX && ((size_t)1 << k) < n)
		k++;
	struct block *b;
	if (k <= SMALL_MAX) {
		if ((b = small_free[k])) {
			small_free[k] = b->next;
			return (char *)b + HDR;
		}
		/* A page cut into blocks of this class. */
		uint64_t sz = (uint64_t)1 << k, step = sz + HDR;
		char *p = grow(HELIOS_PAGE_SIZE);
		if (!p)
			return NULL;
		for (uint64_t off = 0; off + step <= HELIOS_PAGE_SIZE; off += step) {
			b = (struct block *)(p + off);
			b->size = sz;
			b->next = small_free[k];
			small_free[k] = b;
		}
		b = small_free[k];
		small_free[k] = b->next;
		return (char *)b + HDR;
	}
	uint64_t bytes = (n + HDR + HELIOS_PAGE_SIZE - 1) & ~(uint64_t)(HELIOS_PAGE_SIZE - 1);
	for (struct block **pp = &large_free; *pp; pp = &(*pp)->next) {
		if ((*pp)->size == bytes - HDR) {
			b = *pp;
			*pp = b->next;
			return (char *)b + HDR;
		}
	}
	if (!(b = grow(bytes)))
		return NULL;
	b->size = bytes - HDR;
	return (char *)b + HDR;
}

void *malloc(size_t n)
{
	mercury_lock(&mem_lock);
	void *p = alloc_locked(n ? n : 1);
	mercury_unlock(&mem_lock);
	return p;
}

void *calloc(size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	void *p = malloc(n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

void free(void *p)
{
	if (!p)
		return;
	struct block *b = (struct block *)((char *)p - HDR);
	mercury_lock(&mem_lock);
	unsigned k = SMALL_MIN;
	while (k <= SMALL_MAX && ((uint64_t)1 << k) != b->size)
		k++;
	if (k <= SMALL_MAX) {
		b->next = small_free[k];
		small_free[k] = b;
	} else {
		b->next = large_free;
		large_free = b;
	}
	mercury_unlock(&mem_lock);
}

/* The mmap window: one bit per page. */
static uint64_t map_used[MERCURY_MMAP_PAGES / 64];

static bool bit(size_t i) { return map_used[i / 64] >> (i % 64) & 1; }
static void set_bits(size_t i, size_t n, bool v)
{
	for (size_t j = i; j < i + n; j++) {
		if (v)
			map_used[j / 64] |= UINT64_C(1) << (j % 64);
		else
			map_used[j / 64] &= ~(UINT64_C(1) << (j % 64));
	}
}

void *mercury_map(const ipc_cap *pages, size_t n, bool writable)
{
	if (n == 0 || n > MERCURY_MMAP_PAGES || mercury_vspace == IPC_CAP_NONE ||
	    mercury_memory == IPC_CAP_NONE)
		return NULL;
	mercury_lock(&mem_lock);
	size_t run = 0, at = MERCURY_MMAP_PAGES;
	for (size_t i = 0; i < MERCURY_MMAP_PAGES; i++) {
		run = bit(i) ? 0 : run + 1;
		if (run == n) {
			at = i + 1 - n;
			break;
		}
	}
	if (at < MERCURY_MMAP_PAGES)
		set_bits(at, n, true);
	mercury_unlock(&mem_lock);
	if (at == MERCURY_MMAP_PAGES)
		return NULL;
	uint64_t va = MERCURY_MMAP + at * HELIOS_PAGE_SIZE;
	for (size_t i = 0; i < n; i++) {
		if (hl_map(mercury_vspace, va + i * HELIOS_PAGE_SIZE, pages[i],
		           writable ? HELIOS_MAP_W : 0, mercury_memory)) {
			mercury_unmap((void *)va, i);
			mercury_lock(&mem_lock);
			set_bits(at + i, n - i, false);
			mercury_unlock(&mem_lock);
			return NULL;
		}
	}
	return (void *)va;
}

void mercury_unmap(void *p, size_t n)
{
	uint64_t va = (uint64_t)p;
	if (va < MERCURY_MMAP || va >= MERCURY_MMAP + (uint64_t)MERCURY_MMAP_PAGES * HELIOS_PAGE_SIZE)
		return;
	size_t at = (va - MERCURY_MMAP) / HELIOS_PAGE_SIZE;
	if (n > MERCURY_MMAP_PAGES - at)
		n = MERCURY_MMAP_PAGES - at;
	for (size_t i = 0; i < n; i++)
		hl_unmap(mercury_vspace, va + i * HELIOS_PAGE_SIZE);
	mercury_lock(&mem_lock);
	set_bits(at, n, false);
	mercury_unlock(&mem_lock);
}

/* Shared buffers. */

int mercury_buf_alloc(struct mercury_buf *b, size_t npages)
{
	if (npages == 0 || npages > IPC_MAX_CAPS)
		return IPC_EINVAL;
	b->npages = 0;
	for (size_t i = 0; i < npages; i++) {
		int st = hl_mem_alloc(mercury_memory, HELIOS_CAP_PAGE, IPC_CAP_NONE, 0, &b->page[i]);
		if (st) {
			mercury_buf_free(b);
			return st;
		}
		b->npages++;
	}
	if (!(b->va = mercury_map(b->page, npages, true))) {
		mercury_buf_free(b);
		return IPC_ENOMEM;
	}
	return 0;
}

void mercury_buf_free(struct mercury_buf *b)
{
	if (b->va)
		mercury_unmap(b->va, b->npages);
	for (size_t i = 0; i < b->npages; i++)
		hl_cap_destroy(b->page[i]);
	b->npages = 0;
	b->va = NULL;
}

int mercury_buf_lend(const struct mercury_buf *b, size_t off, size_t len, ipc_cap *caps, size_t *n)
{
	size_t size = b->npages * HELIOS_PAGE_SIZE;
	if (off > size || len > size - off)
		return IPC_EINVAL;
	size_t first = off / HELIOS_PAGE_SIZE, last = len ? (off + len - 1) / HELIOS_PAGE_SIZE : first;
	*n = 0;
	for (size_t i = first; i <= last && i < b->npages; i++) {
		int st = hl_cap_copy(b->page[i], IPC_CAP_NONE, IPC_CAP_NONE, &caps[*n]);
		if (st) {
			ipc_drop_caps(caps, *n, 0);
			return st;
		}
		(*n)++;
	}
	return 0;
}

/*
 * Out-of-line regions (mercury_ipc(3)) are the kernel's REGION objects
 * (helios(7)): bytes no address space maps, filled by copy, sealed, and
 * copied out by their receiver.  So a value's bytes are always in this
 * process's own memory (the heap) on both sides: a sender's until it is
 * sealed into a region, a receiver's copy after it has checked the region.
 * Heap buffers for values are whole powers of two of pages, so that the
 * heap reuses them (it reuses large blocks by an exact fit) whatever the
 * lengths that come.
 */
static void *ool_buf(size_t n)
{
	size_t sz = HELIOS_PAGE_SIZE;
	if (n > IPC_OOL_MAX + 1)
		return NULL;
	while (sz < n + HDR)
		sz <<= 1;
	return malloc(sz - HDR);
}

int ipc_ool_alloc(size_t n, struct ipc_ool *o)
{
	*o = (struct ipc_ool)IPC_OOL_INIT;
	if (n == 0 || n > IPC_OOL_MAX + 1)
		return IPC_EINVAL;
	if (!(o->addr = ool_buf(n)))
		return IPC_ENOMEM;
	memset(o->addr, 0, n);          /* what the filler leaves unwritten must not leak */
	o->size = n;
	return 0;
}

int ipc_ool_seal(struct ipc_ool *o, size_t len, ipc_cap *cap)
{
	int st = o->addr && len <= o->size ? ipc_ool_put(o->addr, len, cap) : IPC_EINVAL;
	if (st)
		*cap = IPC_CAP_NONE;
	ipc_ool_free(o);
	return st;
}

/* Copies len bytes between region r at 0 and buf, a chunk a call. */
static int region_io(unsigned nr, ipc_cap r, void *buf, size_t len)
{
	for (size_t off = 0; off < len;) {
		struct hl_ret c = hl_syscall(nr, r, off, (uint64_t)(uintptr_t)buf + off, len - off, 0);
		if (c.st)
			return (int)c.st;
		if (c.r0 == 0 || c.r0 > len - off)
			return IPC_EPROTO;
		off += c.r0;
	}
	return 0;
}

int ipc_ool_put(const void *data, size_t len, ipc_cap *cap)
{
	ipc_cap r;
	*cap = IPC_CAP_NONE;
	if (!data || len == 0 || len > IPC_OOL_MAX + 1)
		return IPC_EINVAL;
	int st = hl_mem_alloc(mercury_memory, HELIOS_CAP_REGION, IPC_CAP_NONE, len, &r);
	if (st)
		return st;
	if (!(st = region_io(HELIOS_SYS_REGION_WRITE, r, (void *)(uintptr_t)data, len)))
		st = (int)HL_(REGION_SEAL, r, len, 0, 0, 0).st;
	if (st)
		hl_cap_destroy(r);
	else
		*cap = r;
	return st;
}

/* Received cap is a sealed region of exactly len bytes. */
static bool ool_check(ipc_cap cap, size_t len)
{
	struct hl_ret i = hl_cap_info(cap);
	return cap != IPC_CAP_NONE && len != 0 && i.st == 0 && i.r0 == HELIOS_CAP_REGION &&
	       i.r1 == len && i.r2 == 1;
}

int ipc_ool_map(ipc_cap cap, size_t len, struct ipc_ool *o)
{
	*o = (struct ipc_ool)IPC_OOL_INIT;
	if (!ool_check(cap, len))
		return IPC_EPROTO;
	if (!(o->addr = ool_buf(len)))
		return IPC_ENOMEM;
	o->size = len;
	int st = region_io(HELIOS_SYS_REGION_READ, cap, o->addr, len);
	if (st)
		ipc_ool_free(o);
	return st;
}

int ipc_ool_read(ipc_cap cap, void *buf, size_t len)
{
	if (!ool_check(cap, len))
		return IPC_EPROTO;
	return region_io(HELIOS_SYS_REGION_READ, cap, buf, len);
}

void ipc_ool_free(struct ipc_ool *o)
{
	free(o->addr);
	*o = (struct ipc_ool)IPC_OOL_INIT;
}
