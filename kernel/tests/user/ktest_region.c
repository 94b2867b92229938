/*
 * ktest_region: regions, the memory out-of-line values travel in.
 *
 * Made, filled, sealed and read back; every bad argument refused before
 * anything changes (sizes, slots of other types, kernel and unmapped
 * addresses, a read into a read-only page, offsets past the end, writes
 * after the seal); a region sent to another address space and read there,
 * its receiver unable to change it; pages charged as first written and
 * given back on seal, destruction and revocation.
 */
#include "ulib.h"

const char *ktest_name = "region";

enum { READER = 1 };

#define SCRATCH 0x600000000000ull               /* 17 writable pages */
#define RO_PAGE (SCRATCH + 0x100000)            /* one read-only page */
#define CHUNK HELIOS_REGION_CHUNK

static struct sysret rwrite(u32 r, u64 off, u64 va, u64 n) { return S(REGION_WRITE, r, off, va, n, 0); }
static struct sysret rread(u32 r, u64 off, u64 va, u64 n) { return S(REGION_READ, r, off, va, n, 0); }
static i64 rseal(u32 r, u64 len) { return S(REGION_SEAL, r, len, 0, 0, 0).st; }

static u64 fnv(u64 h, const u8 *p, u64 n)
{
	for (u64 i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static u8 pattern(u64 i) { return (u8)(i * 131 + (i >> 12)); }

/* The reader: each call brings a region; it answers with its length, its
 * seal, the FNV-1a of its bytes (read through its IPC buffer's words, a
 * page's worth at a time), and what its attempts to change it got. */
static void reader(void)
{
	struct umsg m = { 0 };
	h_recv(0, &m);
	for (;;) {
		u32 rc = HELIOS_INFO_CAPS(m.info) == 1 ? U_IPCBUF->cap[0] : NONE;
		struct sysret info = h_info(rc);
		u64 len = info.r1, h = 0xcbf29ce484222325ull;
		i64 st = 0;
		u8 *buf = (u8 *)&U_IPCBUF->word[HELIOS_REG_WORDS];
		for (u64 off = 0; off < len && !st;) {
			struct sysret r = rread(rc, off, (u64)(uptr)buf, MIN(len - off, 3000));
			st = r.st;
			h = fnv(h, buf, r.r0);
			off += r.r0;
		}
		i64 w = rwrite(rc, 0, (u64)(uptr)buf, 1).st, s = rseal(rc, 1);
		h_destroy(rc);
		struct umsg r = { .label = 0, .info = HELIOS_INFO(6, 0),
		                  .w = { info.r0, len, info.r2, h, (u64)st, (u64)(w * 100 + s) } };
		ipc(HELIOS_SYS_REPLY_RECV, 0, &r);
		m = r;
	}
}

void child_main(u64 role, u64 arg)
{
	(void)arg;
	if (role == READER)
		reader();
	h_exit(1);
}

static u32 make(u32 mem, u64 type, u64 a3)
{
	struct sysret r = h_alloc(mem, type, NONE, a3);
	CHECK_EQ(r.st, 0);
	return (u32)r.r0;
}

static u64 used(u32 mem)
{
	return h_info(mem).r2;
}

/* Fills [0, n) of region r with pattern(), a chunk (or less) per call. */
static void fill(u32 r, u64 n)
{
	u8 *s = (u8 *)SCRATCH;
	for (u64 off = 0; off < n;) {
		u64 k = MIN(n - off, CHUNK);
		for (u64 i = 0; i < k; i++)
			s[i] = pattern(off + i);
		struct sysret w = rwrite(r, off, SCRATCH, k);
		CHECK_EQ(w.st, 0);
		CHECK_EQ(w.r0, k);
		if (w.st)
			return;
		off += k;
	}
}

static u64 pattern_fnv(u64 n)
{
	u64 h = 0xcbf29ce484222325ull;
	for (u64 i = 0; i < n; i++) {
		u8 b = pattern(i);
		h = fnv(h, &b, 1);
	}
	return h;
}

static void arguments(void)
{
	u64 base = used(HELIOS_ROOT_MEMORY);
	CHECK_EQ(h_alloc(HELIOS_ROOT_MEMORY, HELIOS_CAP_REGION, NONE, 0).st, HELIOS_EINVAL);
	CHECK_EQ(h_alloc(HELIOS_ROOT_MEMORY, HELIOS_CAP_REGION, NONE, HELIOS_REGION_MAX + 1).st, HELIOS_EINVAL);
	CHECK_EQ(h_alloc(HELIOS_ROOT_MEMORY, HELIOS_CAP_REGION, NONE, ~0ull).st, HELIOS_EINVAL);
	CHECK_EQ(used(HELIOS_ROOT_MEMORY), base);

	u32 r = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_REGION, 3 * 4096);
	CHECK_EQ(used(HELIOS_ROOT_MEMORY), base + 2);   /* its frame, one index frame */
	struct sysret info = h_info(r);
	CHECK_EQ(info.r0, HELIOS_CAP_REGION);
	CHECK_EQ(info.r1, 3 * 4096);
	CHECK_EQ(info.r2, 0);

	/* Not a region, no such slot. */
	u32 pg = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_PAGE, 0);
	CHECK_EQ(rwrite(pg, 0, SCRATCH, 1).st, HELIOS_EBADCAP);
	CHECK_EQ(rread(HELIOS_ROOT_MEMORY, 0, SCRATCH, 1).st, HELIOS_EBADCAP);
	CHECK_EQ(rseal(HELIOS_ROOT_VSPACE, 1), HELIOS_EBADCAP);
	CHECK_EQ(rwrite(999, 0, SCRATCH, 1).st, HELIOS_EBADCAP);
	CHECK_EQ(rread(NONE, 0, SCRATCH, 1).st, HELIOS_EBADCAP);
	/* Addresses the task may not use that way, or at all. */
	CHECK_EQ(rwrite(r, 0, 0, 8).st, HELIOS_EFAULT);
	CHECK_EQ(rwrite(r, 0, 0xffffffff80000000ull, 8).st, HELIOS_EFAULT);
	CHECK_EQ(rwrite(r, 0, 0xffff800000000000ull, 8).st, HELIOS_EFAULT);  /* the direct map */
	CHECK_EQ(rwrite(r, 0, HELIOS_USER_TOP - 4, 8).st, HELIOS_EFAULT);
	CHECK_EQ(rwrite(r, 0, SCRATCH + 0x40000, 8).st, HELIOS_EFAULT);       /* unmapped */
	CHECK_EQ(rwrite(r, 0, SCRATCH + 17 * 4096 - 4, 8).st, HELIOS_EFAULT); /* runs off the end */
	CHECK_EQ(rread(r, 0, RO_PAGE, 8).st, HELIOS_EFAULT);                  /* read-only */
	CHECK_EQ(rread(r, 0, (u64)(uptr)&test_main, 8).st, HELIOS_EFAULT);     /* text */
	/* Offsets and lengths. */
	CHECK_EQ(rwrite(r, 3 * 4096, SCRATCH, 1).st, HELIOS_EINVAL);
	CHECK_EQ(rwrite(r, 3 * 4096 - 1, SCRATCH, 2).st, HELIOS_EINVAL);
	CHECK_EQ(rwrite(r, ~0ull, SCRATCH, 2).st, HELIOS_EINVAL);
	CHECK_EQ(rwrite(r, 0, SCRATCH, 0).st, HELIOS_EINVAL);
	CHECK_EQ(rread(r, 1, SCRATCH, ~0ull).st, HELIOS_EINVAL);
	CHECK_EQ(used(HELIOS_ROOT_MEMORY), base + 3);   /* + pg: nothing was charged */

	/* A read-only source is fine for a write; a read lands anywhere writable. */
	struct sysret w = rwrite(r, 4000, RO_PAGE, 200);
	CHECK_EQ(w.st, 0);
	CHECK_EQ(w.r0, 200);
	CHECK_EQ(used(HELIOS_ROOT_MEMORY), base + 5);   /* two data pages */
	u8 *s = (u8 *)SCRATCH;
	for (int i = 0; i < 300; i++)
		s[i] = 0x5a;
	w = rread(r, 3950, SCRATCH, 300);
	CHECK_EQ(w.r0, 300);
	bool same = true;
	for (int i = 0; i < 300; i++)
		same &= s[i] == (i < 50 || i >= 250 ? 0 : ((u8 *)RO_PAGE)[i - 50]);
	CHECK(same);

	/* Sealed: cut and immutable; its pages stay until it goes. */
	CHECK_EQ(rseal(r, 0), HELIOS_EINVAL);
	CHECK_EQ(rseal(r, 3 * 4096 + 1), HELIOS_EINVAL);
	CHECK_EQ(rseal(r, 4050), 0);
	CHECK_EQ(used(HELIOS_ROOT_MEMORY), base + 5);
	info = h_info(r);
	CHECK_EQ(info.r1, 4050);
	CHECK_EQ(info.r2, 1);
	CHECK_EQ(rseal(r, 4050), HELIOS_EPERM);
	CHECK_EQ(rwrite(r, 0, SCRATCH, 1).st, HELIOS_EPERM);
	CHECK_EQ(rread(r, 4000, SCRATCH, 51).st, HELIOS_EINVAL);
	CHECK_EQ(rread(r, 4049, SCRATCH, 1).r0, 1);
	CHECK_EQ(s[0], ((u8 *)RO_PAGE)[49]);
	/* A copy names the same region; the last reference frees it all. */
	u32 c = (u32)h_copy(r, NONE, NONE).r0;
	CHECK_EQ(h_info(c).r1, 4050);
	h_destroy(r);
	CHECK_EQ(used(HELIOS_ROOT_MEMORY), base + 5);
	h_destroy(c);
	h_destroy(pg);
	CHECK_EQ(used(HELIOS_ROOT_MEMORY), base);

	/* One call copies at most a chunk. */
	r = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_REGION, 2 * CHUNK);
	w = rwrite(r, 1, SCRATCH, CHUNK + 1);
	CHECK_EQ(w.st, 0);
	CHECK_EQ(w.r0, CHUNK);
	h_destroy(r);
	CHECK_EQ(used(HELIOS_ROOT_MEMORY), base);
}

/* 1 MiB filled here, sealed, sent to another address space, read there. */
static void sent(void)
{
	struct child c;
	CHECK_EQ(spawn(0, 0, NULL, 0, &c), 0);  /* spawn's window keeps its page tables */
	child_free(&c);
	u64 base = used(HELIOS_ROOT_MEMORY);
	u32 ep = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_ENDPOINT, 0);
	CHECK_EQ(spawn(READER, 0, &ep, 1, &c), 0);
	u64 mem_child = used(HELIOS_ROOT_MEMORY);
	const u64 sizes[] = { 1, 4095, 4097, 1 << 20 };
	for (unsigned k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		u64 n = sizes[k];
		u32 r = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_REGION, n + 5000);
		fill(r, n);
		CHECK_EQ(rseal(r, n), 0);
		struct helios_ipc_buffer *b = U_IPCBUF;
		b->cap[0] = r;
		struct umsg m = { .label = 1, .info = HELIOS_INFO(0, 1) };
		CHECK_EQ(ipc(HELIOS_SYS_CALL, ep, &m), 0);
		CHECK_EQ(h_info(r).st, HELIOS_EBADCAP);     /* it moved */
		CHECK_EQ(m.w[0], HELIOS_CAP_REGION);
		CHECK_EQ(m.w[1], n);
		CHECK_EQ(m.w[2], 1);
		CHECK_EQ(m.w[3], pattern_fnv(n));
		CHECK_EQ(m.w[4], 0);
		CHECK_EQ(m.w[5], HELIOS_EPERM * 100 + HELIOS_EPERM);
		CHECK_EQ(used(HELIOS_ROOT_MEMORY), mem_child);  /* the reader let it go */
	}
	child_free(&c);
	h_destroy(ep);
	CHECK_EQ(used(HELIOS_ROOT_MEMORY), base);
}

/* The largest region, sparse; then regions whose quota is revoked. */
static void large_and_revoked(void)
{
	u64 base = used(HELIOS_ROOT_MEMORY);
	u32 r = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_REGION, HELIOS_REGION_MAX);
	CHECK_EQ(used(HELIOS_ROOT_MEMORY), base + 6);
	u8 *s = (u8 *)SCRATCH;
	s[0] = 0xab;
	CHECK_EQ(rwrite(r, HELIOS_REGION_MAX - 1, SCRATCH, 1).r0, 1);
	CHECK_EQ(rseal(r, HELIOS_REGION_MAX), 0);
	CHECK_EQ(used(HELIOS_ROOT_MEMORY), base + 7);
	s[0] = 1;
	CHECK_EQ(rread(r, HELIOS_REGION_MAX - 1, SCRATCH, 1).r0, 1);
	CHECK_EQ(s[0], 0xab);
	CHECK_EQ(rread(r, 0, SCRATCH, 1).r0, 1);
	CHECK_EQ(s[0], 0);
	h_destroy(r);
	CHECK_EQ(used(HELIOS_ROOT_MEMORY), base);

	/* A quota that cannot pay for more pages refuses the write whole. */
	u32 q = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_MEMORY, 4);
	r = make(q, HELIOS_CAP_REGION, 3 * CHUNK);
	CHECK_EQ(used(q), 2);
	CHECK_EQ(rwrite(r, 4095, SCRATCH, 4098).st, HELIOS_ENOMEM);
	CHECK_EQ(used(q), 2);
	CHECK_EQ(rwrite(r, 4096, SCRATCH, 8192).r0, 8192);
	CHECK_EQ(used(q), 4);
	CHECK_EQ(h_alloc(q, HELIOS_CAP_REGION, NONE, 1).st, HELIOS_ENOMEM);
	h_destroy(r);
	CHECK_EQ(used(q), 0);

	/* Revoked: every region made from the quota, and its pages, go, with
	 * the copies held elsewhere. */
	h_destroy(q);
	q = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_MEMORY, 400);
	r = make(q, HELIOS_CAP_REGION, 1 << 20);
	fill(r, 1 << 20);
	u32 r2 = make(q, HELIOS_CAP_REGION, 100);
	CHECK_EQ(rseal(r2, 50), 0);
	u32 cs = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_CSPACE, 0);
	CHECK_EQ(h_copy(r, 7, cs).st, 0);
	CHECK_EQ(used(q), 2 + 256 + 2);
	CHECK_EQ(S(MEM_REVOKE, q, 0, 0, 0, 0).st, 0);
	CHECK_EQ(used(q), 0);
	CHECK_EQ(h_info(r).st, HELIOS_EBADCAP);
	CHECK_EQ(h_info(r2).st, HELIOS_EBADCAP);
	CHECK_EQ(S(CAP_INFO, 7, cs, 0, 0, 0).st, HELIOS_EBADCAP);
	r = make(q, HELIOS_CAP_REGION, 10);             /* the quota is usable again */
	h_destroy(r);
	h_destroy(cs);
	h_destroy(q);
	CHECK_EQ(used(HELIOS_ROOT_MEMORY), base);
}

void test_main(void)
{
	for (u64 i = 0; i < 17; i++) {
		u32 pg = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_PAGE, 0);
		CHECK_EQ(h_map(HELIOS_ROOT_VSPACE, SCRATCH + i * 4096, pg, HELIOS_MAP_W, HELIOS_ROOT_MEMORY), 0);
		h_destroy(pg);
	}
	u32 pg = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_PAGE, 0);
	CHECK_EQ(h_map(HELIOS_ROOT_VSPACE, RO_PAGE - 4096, pg, HELIOS_MAP_W, HELIOS_ROOT_MEMORY), 0);
	for (int i = 0; i < 4096; i++)
		((u8 *)RO_PAGE - 4096)[i] = (u8)(i ^ 0x3c);
	CHECK_EQ(h_unmap(HELIOS_ROOT_VSPACE, RO_PAGE - 4096), 0);
	CHECK_EQ(h_map(HELIOS_ROOT_VSPACE, RO_PAGE, pg, 0, HELIOS_ROOT_MEMORY), 0);
	h_destroy(pg);

	arguments();
	sent();
	large_and_revoked();
	ktest_finish();
}
