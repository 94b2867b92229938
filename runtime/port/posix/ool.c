/*
 * ool.c: out-of-line regions of the POSIX port (mercury_ipc(3), "Out of
 * line").
 *
 * A region is a memfd holding exactly the bytes of one value, sealed before
 * it is sent (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL): no
 * one, its sender included, can change or resize it afterwards, so its
 * receiver may check the bytes once, in place, and use them after.  A
 * region that is not a memfd so sealed, or whose size is not the length
 * its message gives, is refused (IPC_EPROTO).  Sending one moves the
 * descriptor (SCM_RIGHTS) as for any capability.
 *
 * A region of at most PX_TAIL_MAX bytes is a tail instead (port.h): its
 * bytes in this process's memory, sent inside the frame of its message
 * (a copy, where a memfd costs a handful of system calls), and received
 * into memory of the receiver's own, which nothing else can change.  A
 * tail is a capability like the others, a slot in a table here.
 *
 * A sender's region (ipc_ool_alloc) is plain memory: from the heap up to
 * PX_TAIL_MAX, else a private anonymous mapping, zero until written and
 * costing nothing where it is not; ipc_ool_seal copies what was written
 * into a tail or a memfd.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "port.h"

#define PX_OOL_SEALS (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

/* ---- tails ------------------------------------------------------------------ */

/* A tail's bytes are counted, so that a mapping of them (ipc_ool_map)
 * outlives the capability, as a memfd's mapping outlives its descriptor:
 * generated code releases a request's regions before it calls the
 * implementation with their bytes. */
struct px_bytes {
	union {
		atomic_uint refs;
		max_align_t align;      /* b as aligned as malloc's: lists read words from it */
	} h;
	unsigned char b[];
};

unsigned char *px_bytes_new(size_t len, bool zero)
{
	struct px_bytes *p = zero ? calloc(1, sizeof *p + len) : malloc(sizeof *p + len);
	if (!p)
		return NULL;
	atomic_init(&p->h.refs, 1);
	return p->b;
}

static struct px_bytes *px_bytes_of(unsigned char *b)
{
	return (struct px_bytes *)(void *)(b - offsetof(struct px_bytes, b));
}

void px_bytes_unref(unsigned char *b)
{
	if (b && atomic_fetch_sub(&px_bytes_of(b)->h.refs, 1) == 1)
		free(px_bytes_of(b));
}

/* In a struct ipc_ool's cap: its addr holds a reference to a tail's bytes. */
#define PX_TAIL_HELD PX_CAP(PX_K_TAIL, PX_INDEX_MASK)

struct px_tail {
	unsigned char *bytes;   /* NULL: the slot is free */
	size_t len;
	uint32_t next_free;     /* free slots: a stack through this */
};
static pthread_mutex_t px_tail_lock = PTHREAD_MUTEX_INITIALIZER;
static struct px_tail *px_tails;
static uint32_t px_tails_cap, px_tails_top, px_tail_free_head = UINT32_MAX;

int px_tail_new(unsigned char *bytes, size_t len, ipc_cap *cap)
{
	uint32_t slot;
	pthread_mutex_lock(&px_tail_lock);
	if (px_tail_free_head != UINT32_MAX) {
		slot = px_tail_free_head;
		px_tail_free_head = px_tails[slot].next_free;
	} else {
		if (px_tails_top == px_tails_cap) {
			uint32_t ncap = px_tails_cap ? px_tails_cap * 2 : 64;
			struct px_tail *t = ncap < PX_INDEX_MASK ? realloc(px_tails, ncap * sizeof *t) : NULL;
			if (!t) {
				pthread_mutex_unlock(&px_tail_lock);
				px_bytes_unref(bytes);
				return IPC_ENOMEM;
			}
			px_tails = t;
			px_tails_cap = ncap;
		}
		slot = px_tails_top++;
	}
	px_tails[slot] = (struct px_tail){ .bytes = bytes, .len = len };
	pthread_mutex_unlock(&px_tail_lock);
	*cap = PX_CAP(PX_K_TAIL, slot);
	return 0;
}

/* The bytes of tail slot, and (hold) a reference to them. */
static bool px_tail_get(uint32_t slot, const unsigned char **bytes, size_t *len, bool hold)
{
	pthread_mutex_lock(&px_tail_lock);
	bool ok = slot < px_tails_top && px_tails[slot].bytes;
	if (ok) {
		*bytes = px_tails[slot].bytes;
		*len = px_tails[slot].len;
		if (hold)
			atomic_fetch_add(&px_bytes_of(px_tails[slot].bytes)->h.refs, 1);
	}
	pthread_mutex_unlock(&px_tail_lock);
	return ok;
}

bool px_tail_find(uint32_t slot, const unsigned char **bytes, size_t *len)
{
	return px_tail_get(slot, bytes, len, false);
}

/* cap is a tail of exactly len bytes (len > 0): its bytes, held if hold. */
static bool px_tail_exact(ipc_cap cap, size_t len, bool hold, const unsigned char **bytes)
{
	size_t have;
	if (len == 0 || !px_tail_get((uint32_t)PX_INDEX(cap), bytes, &have, hold))
		return false;
	if (have == len)
		return true;
	if (hold)
		px_bytes_unref((unsigned char *)*bytes);
	return false;
}

bool px_tail_free(uint32_t slot)
{
	unsigned char *bytes = NULL;
	pthread_mutex_lock(&px_tail_lock);
	if (slot < px_tails_top && (bytes = px_tails[slot].bytes)) {
		px_tails[slot] = (struct px_tail){ .next_free = px_tail_free_head };
		px_tail_free_head = slot;
	}
	pthread_mutex_unlock(&px_tail_lock);
	px_bytes_unref(bytes);
	return bytes != NULL;
}

/* ---- memfds ------------------------------------------------------------------ */

/*
 * Large regions in this process's memory are private anonymous mappings,
 * kept per thread for the next use: a fresh mapping each time costs page
 * tables made and torn down, which on some machines is most of a call.
 *
 * fill is a sender's region (a server fills one per call of a method with
 * a large result).  Each use must find it zero, so that nothing of one call
 * reaches the next, whatever the implementation wrote and did not send.
 * Finding out what a use touched takes a system call (mincore(2)), about as
 * long as a small call's own work; so a kept fill mapping is a row of
 * slots, each as large as the use that made it, lent in turn: every slot
 * lent is one that nothing has touched since the row was last zeroed, and
 * the row is zeroed once all its slots have been lent, with one mincore(2)
 * for all of them.  Zeroing clears the resident pages (those touched) of
 * a slot with memset as far as its use sent (or PX_KEEP bytes, if more),
 * which a copy of that much can afford, and those past that, if any, with
 * MADV_DONTNEED, after which they read as zeros.  A use that sent more
 * than PX_KEEP has its slot zeroed as it is given back, and lent again
 * next: such a copy dwarfs the system call, and a row of them would hold
 * many times the memory.  A row spans at most PX_ROW bytes (a slot of more
 * is a row of one): address space is cheap, and what stays resident until
 * the row is zeroed is what its uses touched.
 *
 * read holds a received memfd's bytes (ipc_ool_map reads rather than maps
 * it, for the same reason), each time overwritten whole: a row of one.
 */
#define PX_KEEP (64u << 10)
#define PX_ROW ((size_t)16 << 20)
#define PX_ROW_SLOTS 16u
struct px_keep {
	unsigned char *addr;    /* NULL: none kept */
	size_t slot;            /* bytes a slot (a multiple of the page) */
	unsigned nslots;
	unsigned next;          /* slots [0, next) lent since the row was zeroed */
	size_t sent;            /* what the use lent sent (ipc_ool_seal) */
	unsigned char *lent;    /* the slot lent out, or NULL */
};
#define PX_FILLS 3       /* a call's list parameter, its result, one more */
static _Thread_local struct px_keeps {
	struct px_keep fill[PX_FILLS], read[1];
} px_keeps;
static pthread_key_t px_keeps_key;
static pthread_once_t px_keeps_once = PTHREAD_ONCE_INIT;

static void px_keeps_drop(void *p)
{
	struct px_keeps *k = p;
	for (int i = 0; i < PX_FILLS; i++)
		if (k->fill[i].addr)
			munmap(k->fill[i].addr, k->fill[i].slot * k->fill[i].nslots);
	if (k->read[0].addr)
		munmap(k->read[0].addr, k->read[0].slot * k->read[0].nslots);
}

static void px_keeps_key_init(void)
{
	pthread_key_create(&px_keeps_key, px_keeps_drop);
}

/* The n slots of slot bytes at p zeroed (see above), keeping the pages of
 * the first keep bytes of each. */
static void px_slots_zero(unsigned char *p, unsigned n, size_t slot, size_t keep)
{
	unsigned char vec[(PX_ROW > IPC_OOL_MAX ? PX_ROW : IPC_OOL_MAX) / 4096 + 2];
	size_t pages = slot / 4096, kp = (keep + 4095) / 4096;
	if (mincore(p, slot * n, vec) < 0) {
		madvise(p, slot * n, MADV_DONTNEED);
		return;
	}
	for (unsigned s = 0; s < n; s++, p += slot) {
		const unsigned char *v = vec + s * pages;
		for (size_t i = 0; i < pages && i < kp; i++)
			if (v[i] & 1)
				memset(p + i * 4096, 0, 4096);
		for (size_t i = kp; i < pages; i++) {
			if (v[i] & 1) {
				madvise(p + kp * 4096, (pages - kp) * 4096, MADV_DONTNEED);
				break;
			}
		}
	}
}

/* The kept row of the nk at k that lent p, or NULL. */
static struct px_keep *px_kept(struct px_keep *k, int nk, const void *p)
{
	for (int i = 0; i < nk; i++)
		if (k[i].lent && k[i].lent == p)
			return &k[i];
	return NULL;
}

/* n bytes mapped: a slot of one of the nk rows at k that is free and whose
 * slots are large enough, zeros if zero (else as the last use left it);
 * else a new row, kept in place of none or of the smallest free one; else
 * (all lent) a mapping of its own, unmapped when given back. */
static void *px_anon_get(struct px_keep *k, int nk, size_t n, bool zero)
{
	struct px_keep *c = NULL;
	for (int i = 0; i < nk; i++) {
		struct px_keep *x = &k[i];
		if (x->lent)
			continue;
		if (x->addr && x->slot >= n) {
			if (!zero)
				return x->lent = x->addr;
			if (x->next == x->nslots) {
				px_slots_zero(x->addr, x->next, x->slot, PX_KEEP);
				x->next = 0;
			}
			return x->lent = x->addr + x->next++ * x->slot;
		}
		if (!c || (c->addr && (!x->addr || x->slot < c->slot)))
			c = x;  /* an empty one first, else the smallest */
	}
	size_t slot = (n + 4095) & ~(size_t)4095, fit = PX_ROW / slot;   /* slots a row spans */
	unsigned nslots = !c || !zero || fit < 1 ? 1 : fit > PX_ROW_SLOTS ? PX_ROW_SLOTS : (unsigned)fit;
	void *p = mmap(NULL, slot * nslots, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (!c)
		return p;
	pthread_once(&px_keeps_once, px_keeps_key_init);
	if (c->addr)
		munmap(c->addr, c->slot * c->nslots);
	*c = (struct px_keep){ .addr = p, .slot = slot, .nslots = nslots, .next = 1, .lent = p };
	pthread_setspecific(px_keeps_key, &px_keeps);
	return p;
}

/* p, of n bytes, given back by its use. */
static void px_anon_put(struct px_keep *k, int nk, void *p, size_t n)
{
	struct px_keep *c = px_kept(k, nk, p);
	if (!c) {
		munmap(p, n);
		return;
	}
	if (c->sent > PX_KEEP) {        /* zeroed now, and lent again next */
		px_slots_zero(c->lent, 1, c->slot, c->sent);
		c->next--;
	}
	c->lent = NULL;
	c->sent = 0;
}

int ipc_ool_alloc(size_t n, struct ipc_ool *o)
{
	memset(o, 0, sizeof *o);
	o->cap = IPC_CAP_NONE;
	if (n == 0 || n > IPC_OOL_MAX + 1)
		return IPC_EINVAL;
	void *p = n <= PX_TAIL_MAX ? (void *)px_bytes_new(n, true) : px_anon_get(px_keeps.fill, PX_FILLS, n, true);
	if (!p)
		return IPC_ENOMEM;
	o->addr = p;
	o->size = n;
	o->own = true;
	return 0;
}

/* len bytes at data into a new memfd (written from 0, so exactly len bytes
 * long), sealed: *fd (untouched on failure). */
static int px_ool_fill(const void *data, size_t len, int *fd)
{
	int rc = 0, d = memfd_create("mercury-ool", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (d < 0)
		return px_status_errno(errno);
	if ((uint32_t)d > PX_INDEX_MASK) {
		close(d);
		return IPC_ENOMEM;
	}
	const char *p = data;
	size_t done = 0;
	while (done < len) {
		ssize_t n = pwrite(d, p + done, len - done, (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? px_status_errno(errno) : IPC_ENOMEM;
			break;
		}
		done += (size_t)n;
	}
	if (rc == 0 && fcntl(d, F_ADD_SEALS, PX_OOL_SEALS) < 0)
		rc = px_status_errno(errno);
	if (rc != 0)
		close(d);
	else
		*fd = d;
	return rc;
}

int ipc_ool_seal(struct ipc_ool *o, size_t len, ipc_cap *cap)
{
	*cap = IPC_CAP_NONE;
	int rc = IPC_EINVAL;
	if (o->own && o->addr && len > 0 && len <= o->size) {
		if (o->size <= PX_TAIL_MAX) {   /* the buffer itself becomes the tail */
			rc = px_tail_new(o->addr, len, cap);
			o->addr = NULL;
		} else {
			rc = ipc_ool_put(o->addr, len, cap);
			struct px_keep *c = px_kept(px_keeps.fill, PX_FILLS, o->addr);
			if (c)
				c->sent = len;
		}
	}
	ipc_ool_free(o);
	return rc;
}

int px_tail_memfd(uint32_t slot, int *fd)
{
	const unsigned char *bytes;
	size_t len;
	if (!px_tail_find(slot, &bytes, &len))
		return IPC_EBADCAP;
	return px_ool_fill(bytes, len, fd);
}

int ipc_ool_put(const void *data, size_t len, ipc_cap *cap)
{
	int fd, rc;
	*cap = IPC_CAP_NONE;
	if (!data || len == 0 || len > IPC_OOL_MAX + 1)
		return IPC_EINVAL;
	if (len <= PX_TAIL_MAX) {
		unsigned char *copy = px_bytes_new(len, false);
		if (!copy)
			return IPC_ENOMEM;
		memcpy(copy, data, len);
		return px_tail_new(copy, len, cap);
	}
	if ((rc = px_ool_fill(data, len, &fd)) != 0)
		return rc;
	*cap = PX_CAP(PX_K_FD, fd);
	return 0;
}

/* The descriptor of received region cap, if it is an immutable memfd of
 * exactly len bytes; else -1. */
static int px_ool_check(ipc_cap cap, size_t len)
{
	struct stat st;
	if (cap == IPC_CAP_NONE || PX_KIND(cap) != PX_K_FD || len == 0)
		return -1;
	int fd = (int)PX_INDEX(cap);
	int seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || (seals & PX_OOL_SEALS) != PX_OOL_SEALS || fstat(fd, &st) < 0 ||
	    !S_ISREG(st.st_mode) || (uint64_t)st.st_size != len)
		return -1;
	return fd;
}

/* The len bytes of memfd fd into buf. */
static int px_ool_pread(int fd, void *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? px_status_errno(errno) : IPC_EPROTO;
		done += (size_t)n;
	}
	return 0;
}

int ipc_ool_map(ipc_cap cap, size_t len, struct ipc_ool *o)
{
	memset(o, 0, sizeof *o);
	o->cap = IPC_CAP_NONE;
	const unsigned char *bytes;
	if (cap != IPC_CAP_NONE && PX_KIND(cap) == PX_K_TAIL) {
		/* Its bytes in place, held: the tail stays the message's. */
		if (!px_tail_exact(cap, len, true, &bytes))
			return IPC_EPROTO;
		o->addr = (void *)bytes;
		o->size = len;
		o->cap = PX_TAIL_HELD;
		return 0;
	}
	int fd = px_ool_check(cap, len);
	if (fd < 0)
		return IPC_EPROTO;
	if (!(o->addr = px_anon_get(px_keeps.read, 1, len, false)))
		return IPC_ENOMEM;
	o->size = len;
	int rc = px_ool_pread(fd, o->addr, len);
	if (rc != 0)
		ipc_ool_free(o);
	return rc;
}

/* Read, not mapped: one copy from the page cache, no page tables to build
 * and tear down. */
int ipc_ool_read(ipc_cap cap, void *buf, size_t len)
{
	const unsigned char *bytes;
	if (cap != IPC_CAP_NONE && PX_KIND(cap) == PX_K_TAIL) {
		if (!px_tail_exact(cap, len, false, &bytes))
			return IPC_EPROTO;
		memcpy(buf, bytes, len);
		return 0;
	}
	int fd = px_ool_check(cap, len);
	return fd < 0 ? IPC_EPROTO : px_ool_pread(fd, buf, len);
}

void ipc_ool_free(struct ipc_ool *o)
{
	if (o->addr && ((o->own && o->size <= PX_TAIL_MAX) || o->cap == PX_TAIL_HELD))
		px_bytes_unref(o->addr);    /* a tail's bytes, or bytes to become one */
	else if (o->addr && o->own)
		px_anon_put(px_keeps.fill, PX_FILLS, o->addr, o->size);
	else if (o->addr)
		px_anon_put(px_keeps.read, 1, o->addr, o->size);
	memset(o, 0, sizeof *o);
	o->cap = IPC_CAP_NONE;
}
