/*
 * ool.c: out-of-line values on the kernel port, booted as the root task.
 * The stubs of tests/ipcgen/ok/ool.ipc (as check_ool.c runs them on
 * POSIX) between a server thread and the main task: byte arrays and
 * strings around each share up to 1 MiB both ways, through the call, the
 * reply function, the split form and one-way sends; then regions made by
 * hand that the server and the client must refuse.  After each part the
 * capability slots in use and the memory quota's pages are counted, so
 * that a region kept anywhere shows (the server is a thread of this task:
 * they share the cspace and the quota).  Last, the guest instructions of a
 * 1 MiB round trip (make bench).
 */
#include "mercury/helios.h"
#include "ool.h"

static int checks, failures;
#define CHECK(c) check((c), #c, __LINE__)
static void check(bool ok, const char *what, int line)
{
	checks++;
	if (!ok) {
		failures++;
		mercury_log("FAIL: ool.c:%d: %s", line, what);
	}
}

/* ---- the server (tests/ipcgen/ool_store.h) ------------------------------------------ */

/* The capability slots in use (the cspace is the client's too). */
static uint32_t slots_used(void)
{
	uint32_t n = 0;
	for (ipc_cap c = 0; c < HELIOS_CSPACE_SLOTS; c++)
		n += hl_cap_info(c).st == 0;
	return n;
}

static uint32_t store_fds(void)
{
	return slots_used();
}
#include "ool_store.h"

static void server(void *arg)
{
	struct ool_store *obj = arg;
	for (;;)
		ool_store_dispatch(obj);
}

/* ---- the client ----------------------------------------------------------------- */

static ipc_cap ep;

static uint64_t pages_used(void)
{
	return hl_cap_info(mercury_memory).r2;
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 131 + seed);
}

/* around each side's share of the words: put's data 1944 bytes (it shares
 * them with the name), get's and later's results 3896 */
static const size_t sizes[] = {0, 1, 1944, 1945, 3896, 3897, 65536, 65537, 1048575, 1048576};
#define NSIZES (sizeof sizes / sizeof sizes[0])

static void round_trips(uint8_t *data, uint8_t *back)
{
	for (size_t i = 0; i < NSIZES; i++) {
		size_t n = sizes[i], nback = 12345;
		uint32_t got = 0;
		fill(data, n, (unsigned)i);
		CHECK(ool_store_put(ep, "k", data, n, &got) == 0 && got == n);
		memset(back, 0xee, OOL_BIG);
		CHECK(ool_store_get(ep, "k", (uint32_t)n, back, &nback) == 0 && nback == n);
		CHECK(memcmp(back, data, n) == 0);
		nback = 0;
		CHECK(ool_store_later(ep, data, n, back, &nback) == 0 && nback == n);
		CHECK(memcmp(back, data, n) == 0);
	}
	size_t nback;
	CHECK(ool_store_get(ep, "missing", 5000, back, &nback) == OOL_ERR_MISSING);

	/* strings out of line each way, and refused before they go */
	char *s = (char *)data, *sb = (char *)back;
	static const size_t lens[] = {0, 3896, 3897, 65536};
	for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		for (size_t k = 0; k < lens[i]; k++)
			s[k] = (char)('a' + k % 26);
		s[lens[i]] = 0;
		memset(sb, 1, 65537);
		CHECK(ool_store_echo(ep, s, sb) == 0 && strcmp(sb, s) == 0);
	}
	memset(s, 'x', 65537);
	s[65537] = 0;
	CHECK(ool_store_echo(ep, s, sb) == IPC_EINVAL);

	/* the split form, several outstanding; one-way sends */
	uint32_t got;
	fill(data, 300000, 3);
	CHECK(ool_store_put(ep, "k", data, 300000, &got) == 0);
	ipc_call_t call[3];
	for (int i = 0; i < 3; i++)
		CHECK(ool_store_get_async_start(ep, "k", 100000u * (uint32_t)(i + 1), -1, &call[i]) == 0);
	for (int i = 2; i >= 0; i--) {
		size_t n = 1;
		CHECK(ool_store_get_async_wait(ep, call[i], -1, back, &n) == 0);
		CHECK(n == 100000u * (unsigned)(i + 1) && memcmp(back, data, n) == 0);
	}
	uint64_t total = 0, before = 0;
	CHECK(ool_store_count(ep, &before) == 0);
	for (int i = 0; i < 3; i++)
		CHECK(ool_store_drop(ep, data, 100000 + (size_t)i) == 0);
	CHECK(ool_store_count(ep, &total) == 0 && total == before + 300003);
}

/* A region made by hand: size bytes of fill (NUL last when nul), sealed
 * unless not. */
static ipc_cap region(size_t size, char fill_byte, bool nul, bool sealed)
{
	ipc_cap r = IPC_CAP_NONE;
	char *buf = malloc(size);
	CHECK(buf && hl_mem_alloc(mercury_memory, HELIOS_CAP_REGION, IPC_CAP_NONE, size, &r) == 0);
	if (!buf)
		return r;
	memset(buf, fill_byte, size);
	if (nul)
		buf[size - 1] = 0;
	for (size_t off = 0; off < size;) {
		struct hl_ret w = HL_(REGION_WRITE, r, off, (uint64_t)(uintptr_t)buf + off, size - off, 0);
		CHECK(w.st == 0);
		if (w.st)
			break;
		off += w.r0;
	}
	free(buf);
	if (sealed)
		CHECK(HL_(REGION_SEAL, r, size, 0, 0, 0).st == 0);
	return r;
}

/* put("k", data) by hand: its length word lw, the capability (or none). */
static int raw_put(uint64_t lw, ipc_cap r)
{
	struct ipc_msg m;
	ipc_msg_init(&m, OOL_STORE_PUT, 3, r == IPC_CAP_NONE ? 0 : 1);
	m.word[0] = 1;
	m.word[1] = 'k';
	m.word[2] = lw;
	m.cap[0] = r;
	int st = ipc_call(ep, &m);
	if (st != 0)
		return st;
	ipc_drop_caps(m.cap, m.ncaps, 0);
	return (int)ipc_word_signed(m.label);
}

static void hostile(uint8_t *back)
{
	/* to the server: put's data inline up to 1944 bytes */
	CHECK(raw_put(IPC_OOL_FLAG | 3000, region(3000, 'a', false, true)) == 0);
	CHECK(raw_put(IPC_OOL_FLAG | 3000, region(2999, 'a', false, true)) == IPC_EPROTO);
	CHECK(raw_put(IPC_OOL_FLAG | 3000, region(3001, 'a', false, true)) == IPC_EPROTO);
	CHECK(raw_put(IPC_OOL_FLAG | 3000, region(3000, 'a', false, false)) == IPC_EPROTO);
	CHECK(raw_put(IPC_OOL_FLAG | 1944, region(1944, 'a', false, true)) == IPC_EPROTO);
	CHECK(raw_put(IPC_OOL_FLAG | (OOL_BIG + 1), region(3000, 'a', false, true)) == IPC_EPROTO);
	CHECK(raw_put(IPC_OOL_FLAG | 3000, IPC_CAP_NONE) == IPC_EPROTO);
	ipc_cap note;
	CHECK(hl_mem_alloc(mercury_memory, HELIOS_CAP_NOTIFICATION, IPC_CAP_NONE, 0, &note) == 0);
	CHECK(raw_put(IPC_OOL_FLAG | 3000, note) == IPC_EPROTO);      /* not a region */
	CHECK(raw_put(0, region(3000, 'a', false, true)) == IPC_EPROTO); /* one too many */
	struct { size_t size; bool nul; char fill; int want; } str[] = {
		{5001, true, 'a', 0}, {5000, false, 'a', IPC_EPROTO},
		{5001, true, 0, IPC_EPROTO}, {5001, true, (char)0xff, IPC_EPROTO},
	};
	for (size_t i = 0; i < sizeof str / sizeof str[0]; i++) {
		struct ipc_msg m;
		ipc_msg_init(&m, OOL_STORE_ECHO, 1, 1);
		m.word[0] = IPC_OOL_FLAG | 5000;
		m.cap[0] = region(str[i].size, str[i].fill, str[i].nul, true);
		CHECK(ipc_call(ep, &m) == 0 && (int)ipc_word_signed(m.label) == str[i].want);
		ipc_drop_caps(m.cap, m.ncaps, 0);
	}
	/* to the client: get's result inline up to 3896 bytes */
	struct { uint64_t lw; size_t size; bool sealed; int want; } bad[] = {
		{IPC_OOL_FLAG | 5000, 5000, true, 0},
		{IPC_OOL_FLAG | 5000, 4999, true, IPC_EPROTO},
		{IPC_OOL_FLAG | 5000, 5000, false, IPC_EPROTO},
		{IPC_OOL_FLAG | 3896, 3896, true, IPC_EPROTO},
		{IPC_OOL_FLAG | (OOL_BIG + 1), 5000, true, IPC_EPROTO},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct ipc_msg m;
		size_t n = 0;
		ipc_msg_init(&m, 0, 1, 1);
		m.word[0] = bad[i].lw;
		m.cap[0] = region(bad[i].size, 'z', false, bad[i].sealed);
		CHECK(ool_store_get_async_finish(0, &m, back, &n) == bad[i].want);
		if (bad[i].want == 0)
			CHECK(n == 5000 && back[4999] == 'z');
	}
}

int main(void)
{
	static struct ool_store obj;
	ipc_cap task;
	CHECK(hl_mem_alloc(mercury_memory, HELIOS_CAP_ENDPOINT, IPC_CAP_NONE, 0, &ep) == 0);
	ool_store_init(&obj, &store_impl, ep);
	CHECK(mercury_thread_spawn(server, &obj, &task) == 0);
	uint8_t *data = malloc(OOL_BIG + 2), *back = malloc(OOL_BIG + 2);
	CHECK(data && back);
	if (!data || !back)
		return 1;

	/* Warm: the heap's buffers for every size class exist after one pass. */
	round_trips(data, back);
	uint32_t slots = slots_used(), sslots = 0;
	uint64_t pages = pages_used();
	round_trips(data, back);
	CHECK(ool_store_fds(ep, &sslots) == 0 && sslots == slots);
	CHECK(slots_used() == slots);
	CHECK(pages_used() == pages);
	hostile(back);
	CHECK(slots_used() == slots);
	pages = pages_used();                   /* the heap grew for hostile's buffers */
	hostile(back);
	CHECK(slots_used() == slots);
	CHECK(pages_used() == pages);

	/* Guest instructions (under -icount shift=0) of a 1 MiB round trip:
	 * out in a region, back in another. */
	fill(data, OOL_BIG, 9);
	size_t nback;
	uint64_t t0 = hl_rdtsc();
	for (int i = 0; i < 4; i++)
		ool_store_later(ep, data, OOL_BIG, back, &nback);
	uint64_t t1 = hl_rdtsc();
	CHECK(nback == OOL_BIG && memcmp(back, data, OOL_BIG) == 0);
	mercury_log("ool 1 MiB round trip: %lu ticks", (t1 - t0) / 4);
	uint64_t t2 = hl_rdtsc();
	for (int i = 0; i < 4; i++)
		memcpy(back, data, OOL_BIG);
	uint64_t t3 = hl_rdtsc();
	mercury_log("memcpy 1 MiB: %lu ticks", (t3 - t2) / 4);

	mercury_log("ool: %d checks, %d failed", checks, failures);
	return failures ? 1 : 0;
}
