/*
 * ool.c: out-of-line values on the kernel port, booted as the root task.
 * The stubs of tests/ipcgen/ok/ool.ipc (as check_ool.c runs them on
 * POSIX, and its server, tests/ipcgen/ool_store.h) between a server
 * thread and the main task: byte arrays and strings around each share up
 * to 1 MiB both ways, through the call, the reply function, the split form
 * and one-way sends; lists of u32 and of structs around their shares up to
 * their bounds both ways, through the call and the reply function; then
 * regions made by hand that the server and the client must refuse (a
 * list's among them).  After each part the
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

/* ---- lists ------------------------------------------------------------------------ */

/* nums' list is alone in its reply: 488 words, its count's among them, so
 * 487 elements in the message and 488 in a region. */
static const size_t num_counts[] = {0, 1, 486, 487, 488, 489, 10000, 100000};
/* items of 9 words (uniform: fill_items) beside n: 1 + 9 * 54 = 487 words
 * in the message, 55 items out of line; and with a note every seventh. */
static const size_t item_counts[] = {0, 1, 53, 54, 55, 56, 1000, 20000};

/* nums and items at every count around their shares, up to their bounds,
 * both ways: nv and nb hold 100001 u32, iv and ib 20000 items. */
static void lists(uint32_t *nv, uint32_t *nb, struct ool_item *iv, struct ool_item *ib)
{
	for (size_t i = 0; i < 100000; i++)
		nv[i] = (uint32_t)(i * 2654435761u);
	for (size_t i = 0; i < sizeof num_counts / sizeof num_counts[0]; i++) {
		size_t n = num_counts[i], nback = 7;
		memset(nb, 0xee, 100001 * sizeof *nb);
		CHECK(ool_store_nums(ep, nv, n, nb, &nback) == 0 && nback == n);
		CHECK(memcmp(nb, nv, n * sizeof *nv) == 0 && nb[n] == 0xeeeeeeeeu);
	}
	size_t nback;
	CHECK(ool_store_nums(ep, nv, 100001, nb, &nback) == IPC_EINVAL);
	for (int uniform = 1; uniform >= 0; uniform--) {
		fill_items(iv, 20000, uniform);
		for (size_t i = 0; i < sizeof item_counts / sizeof item_counts[0]; i++) {
			size_t n = item_counts[i];
			uint64_t sum = 0;
			nback = 3;
			CHECK(ool_store_items(ep, iv, n, 0, ib, &nback, &sum) == 0 && nback == n);
			CHECK(sum == n * (n + 1) / 2 && same_items(iv, ib, n));
			nback = 0;
			CHECK(ool_store_items_later(ep, iv, n, ib, &nback) == 0 && nback == n);
			CHECK(same_items(iv, ib, n));
		}
	}
	/* the server's faults: a count past the bound, a bad element */
	uint64_t sum;
	CHECK(ool_store_items(ep, iv, 20000, 1, ib, &nback, &sum) == IPC_EFAULT);
	CHECK(ool_store_items(ep, iv, 20000, 2, ib, &nback, &sum) == IPC_EFAULT);
}

/* A region made by hand holding buf's size bytes, sealed unless not. */
static ipc_cap region_of(const void *buf, size_t size, bool sealed)
{
	ipc_cap r = IPC_CAP_NONE;
	CHECK(hl_mem_alloc(mercury_memory, HELIOS_CAP_REGION, IPC_CAP_NONE, size, &r) == 0);
	for (size_t off = 0; off < size;) {
		struct hl_ret w = HL_(REGION_WRITE, r, off, (uint64_t)(uintptr_t)buf + off, size - off, 0);
		CHECK(w.st == 0);
		if (w.st)
			break;
		off += w.r0;
	}
	if (sealed)
		CHECK(HL_(REGION_SEAL, r, size, 0, 0, 0).st == 0);
	return r;
}

/* A region made by hand: size bytes of fill (NUL last when nul), sealed
 * unless not. */
static ipc_cap region(size_t size, char fill_byte, bool nul, bool sealed)
{
	char *buf = malloc(size);
	CHECK(buf != NULL);
	if (!buf)
		return IPC_CAP_NONE;
	memset(buf, fill_byte, size);
	if (nul)
		buf[size - 1] = 0;
	ipc_cap r = region_of(buf, size, sealed);
	free(buf);
	return r;
}

/* nums' list of 1000 elements 0, 1, ... out of line, by hand: its words
 * (1001) in a region of nwords, sent to the server (what it answers) or
 * given to the client as a reply (what it makes of it). */
static int raw_nums(size_t nwords, bool to_server, uint32_t *back)
{
	uint64_t *w = calloc(nwords, 8);
	CHECK(w != NULL);
	if (!w)
		return IPC_ENOMEM;
	w[0] = 1000;
	for (size_t i = 1; i < nwords && i <= 1000; i++)
		w[i] = i - 1;
	struct ipc_msg m;
	ipc_msg_init(&m, to_server ? OOL_STORE_NUMS : 0, 1, 1);
	m.word[0] = IPC_OOL_FLAG | 1001;
	m.cap[0] = region_of(w, nwords * 8, true);
	free(w);
	if (!to_server) {
		size_t n = 0;
		int st = ool_store_nums_async_finish(0, &m, back, &n);
		CHECK(st != 0 || (n == 1000 && back[999] == 999));
		return st;
	}
	int st = ipc_call(ep, &m);
	if (st != 0)
		return st;
	st = (int)ipc_word_signed(m.label);
	/* the same list back: out of line too, a region the reply carries */
	CHECK(st != 0 || (m.nwords == 1 && m.word[0] == (IPC_OOL_FLAG | 1001) && m.ncaps == 1));
	ipc_drop_caps(m.cap, m.ncaps, 0);
	return st;
}

static void hostile(uint8_t *back)
{
	/* to the server: put's data inline up to 1944 bytes */
	CHECK(raw_put(ep, IPC_OOL_FLAG | 3000, region(3000, 'a', false, true)) == 0);
	CHECK(raw_put(ep, IPC_OOL_FLAG | 3000, region(2999, 'a', false, true)) == IPC_EPROTO);
	CHECK(raw_put(ep, IPC_OOL_FLAG | 3000, region(3001, 'a', false, true)) == IPC_EPROTO);
	CHECK(raw_put(ep, IPC_OOL_FLAG | 3000, region(3000, 'a', false, false)) == IPC_EPROTO);
	CHECK(raw_put(ep, IPC_OOL_FLAG | 1944, region(1944, 'a', false, true)) == IPC_EPROTO);
	CHECK(raw_put(ep, IPC_OOL_FLAG | (OOL_BIG + 1), region(3000, 'a', false, true)) == IPC_EPROTO);
	CHECK(raw_put(ep, IPC_OOL_FLAG | 3000, IPC_CAP_NONE) == IPC_EPROTO);
	ipc_cap note;
	CHECK(hl_mem_alloc(mercury_memory, HELIOS_CAP_NOTIFICATION, IPC_CAP_NONE, 0, &note) == 0);
	CHECK(raw_put(ep, IPC_OOL_FLAG | 3000, note) == IPC_EPROTO);      /* not a region */
	CHECK(raw_put(ep, 0, region(3000, 'a', false, true)) == IPC_EPROTO); /* one too many */
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
	/* a list's region one word short or long, both ways */
	uint32_t *nb = (uint32_t *)back;
	CHECK(raw_nums(1001, true, nb) == 0);
	CHECK(raw_nums(1000, true, nb) == IPC_EPROTO);
	CHECK(raw_nums(1002, true, nb) == IPC_EPROTO);
	CHECK(raw_nums(1001, false, nb) == 0);
	CHECK(raw_nums(1000, false, nb) == IPC_EPROTO);
	CHECK(raw_nums(1002, false, nb) == IPC_EPROTO);
}

int main(void)
{
	static struct ool_store obj;
	ipc_cap task;
	CHECK(hl_mem_alloc(mercury_memory, HELIOS_CAP_ENDPOINT, IPC_CAP_NONE, 0, &ep) == 0);
	ool_store_init(&obj, &store_impl, ep);
	CHECK(mercury_thread_spawn(server, &obj, &task) == 0);
	uint8_t *data = malloc(OOL_BIG + 2), *back = malloc(OOL_BIG + 2);
	uint32_t *nums = malloc(100001 * sizeof *nums);
	struct ool_item *items = malloc(2 * 20000 * sizeof *items);
	CHECK(data && back && nums && items);
	if (!data || !back || !nums || !items)
		return 1;

	/* Warm: the heap's buffers for every size class exist after one pass. */
	round_trips(data, back);
	lists((uint32_t *)data, nums, items, items + 20000);
	uint32_t slots = slots_used(), sslots = 0;
	uint64_t pages = pages_used();
	round_trips(data, back);
	CHECK(ool_store_fds(ep, &sslots) == 0 && sslots == slots);
	CHECK(slots_used() == slots);
	CHECK(pages_used() == pages);
	lists((uint32_t *)data, nums, items, items + 20000);
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
