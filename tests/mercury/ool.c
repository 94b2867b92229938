/*
 * ool.c: out-of-line values on the kernel port, booted as the root task.
 * The stubs of tests/ipcgen/ok/ool.ipc (as check_ool.c runs them on
 * POSIX, and its server, tests/ipcgen/ool_store.h) between a server
 * thread and the main task: byte arrays and strings around each share up
 * to 1 MiB both ways, through the call, the reply function, the split form
 * and one-way sends; lists of u32 and of structs around their shares up to
 * their bounds both ways, through the call and the reply function; structs
 * and optional values around their shares (a 1 MiB field among them) and
 * lists of large structs; then regions made by hand that the server and
 * the client must refuse (a list's, a struct's and an optional value's
 * among them).  After each part the
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

/* ---- structs and optional values ------------------------------------------------ */

/* blob alone on its sides: inline up to 487 words after its length word (a
 * 1-byte name and 3872 bytes of data); huge's 1 MiB field: up to 3880
 * bytes; maybe's value: 3888 bytes after its presence and length words;
 * blobs: 16 of 64 KiB at most; mixed: the blob and the byte array 243
 * words each.  bv holds 16 blobs, bb as many; h and hb a huge each. */
static void values(struct ool_blob *bv, struct ool_blob *bb, struct ool_huge *h, struct ool_huge *hb,
                   uint8_t *data, uint8_t *back)
{
	static const size_t bn[] = {0, 1, 3871, 3872, 3873, 65536};
	for (size_t i = 0; i < sizeof bn / sizeof bn[0]; i++) {
		for (int later = 0; later < 2; later++) {
			blob_fill(bv, later ? "later" : "b", bn[i], (unsigned)i);
			memset(bb, 0xee, sizeof *bb);
			CHECK(ool_store_blob(ep, bv, bb) == 0 && same_blob(bv, bb));
		}
	}
	blob_fill(bv, "fault", 10, 1);
	CHECK(ool_store_blob(ep, bv, bb) == IPC_EFAULT);
	bv->ndata = 65537;
	CHECK(ool_store_blob(ep, bv, bb) == IPC_EINVAL);
	static const size_t hn[] = {0, 3880, 3881, OOL_BIG};
	for (size_t i = 0; i < sizeof hn / sizeof hn[0]; i++) {
		h->id = i * 1000003;
		fill(h->data, hn[i], (unsigned)i);
		h->ndata = hn[i];
		memset(hb, 0xee, sizeof *hb);
		CHECK(ool_store_huge(ep, h, hb) == 0 && hb->id == h->id && hb->ndata == hn[i] &&
		      memcmp(hb->data, h->data, hn[i]) == 0);
	}
	static const size_t mn[] = {0, 3888, 3889, OOL_BIG};
	for (size_t i = 0; i < sizeof mn / sizeof mn[0]; i++) {
		bool has = false;
		size_t nback = 7;
		fill(data, mn[i], (unsigned)i);
		CHECK(ool_store_maybe(ep, data, mn[i], &has, back, &nback) == 0 && has && nback == mn[i] &&
		      memcmp(back, data, mn[i]) == 0);
	}
	bool has = true;
	size_t nback = 7;
	CHECK(ool_store_maybe(ep, NULL, 0, &has, back, &nback) == 0 && !has);
	/* opt: both absent, both present and long */
	uint32_t *v = (uint32_t *)data, *vb = (uint32_t *)back;
	for (size_t i = 0; i < 100000; i++)
		v[i] = (uint32_t)(i * 2654435761u);
	bool hr = true, hv = true;
	size_t nvb = 99;
	CHECK(ool_store_opt(ep, NULL, NULL, 0, &hr, bb, &hv, vb, &nvb) == 0 && !hr && !hv);
	blob_fill(bv, "b", 65536, 7);
	CHECK(ool_store_opt(ep, bv, v, 100000, &hr, bb, &hv, vb, &nvb) == 0 && hr && hv &&
	      same_blob(bv, bb) && nvb == 100000 && memcmp(vb, v, 100000 * sizeof *v) == 0);
	/* a list of blobs, and a side of a blob beside a byte array and a word */
	for (size_t i = 0; i < 16; i++)
		blob_fill(&bv[i], i % 2 ? "odd" : "even", i * 4096 + (i == 15 ? 4095 : 0), (unsigned)i);
	static const size_t ln[] = {0, 1, 16};
	for (size_t i = 0; i < sizeof ln / sizeof ln[0]; i++) {
		nback = 99;
		CHECK(ool_store_blobs(ep, bv, ln[i], bb, &nback) == 0 && nback == ln[i]);
		for (size_t k = 0; k < ln[i]; k++)
			CHECK(same_blob(&bv[k], &bb[k]));
	}
	static const size_t xn[][2] = {{0, 0}, {1912, 1936}, {1913, 1937}, {65536, OOL_BIG}};
	fill(data, OOL_BIG, 5);
	for (size_t i = 0; i < sizeof xn / sizeof xn[0]; i++) {
		uint64_t got = 0;
		blob_fill(bv, "b", xn[i][0], (unsigned)i);
		CHECK(ool_store_mixed(ep, 17, bv, data, xn[i][1], bb, &got) == 0 && same_blob(bv, bb) &&
		      got == 17 + xn[i][1]);
	}
	/* one way */
	uint64_t before = 0, after = 0;
	CHECK(ool_store_count(ep, &before) == 0);
	blob_fill(bv, "b", 65536, 3);
	CHECK(ool_store_blob_sink(ep, bv) == 0);
	CHECK(ool_store_count(ep, &after) == 0 && after == before + 65536);
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

/* blob's and maybe's encodings out of line, made by hand, sent to the
 * server and given to the client as replies: a region one word short or
 * long, of a length the message could hold, past the bound, unsealed; a
 * presence word 2. */
static void hostile_values(uint8_t *back)
{
	static uint64_t w[602];
	static struct ool_blob b;
	CHECK(blob_words(w, 602, "b", 4776) == 600);
	static const struct { uint64_t lw; size_t nwords; bool sealed; int want; } bad[] = {
		{IPC_OOL_FLAG | 600, 600, true, 0},
		{IPC_OOL_FLAG | 600, 599, true, IPC_EPROTO},
		{IPC_OOL_FLAG | 600, 601, true, IPC_EPROTO},
		{IPC_OOL_FLAG | 600, 600, false, IPC_EPROTO},
		{IPC_OOL_FLAG | 487, 487, true, IPC_EPROTO},
		{IPC_OOL_FLAG | 8227, 600, true, IPC_EPROTO},
	};
	for (int to_server = 1; to_server >= 0; to_server--)
		for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			struct ipc_msg m;
			ipc_msg_init(&m, to_server ? OOL_STORE_BLOB : 0, 1, 1);
			m.word[0] = bad[i].lw;
			m.cap[0] = region_of(w, bad[i].nwords * 8, bad[i].sealed);
			if (to_server) {
				CHECK(ipc_call(ep, &m) == 0 && (int)ipc_word_signed(m.label) == bad[i].want);
				ipc_drop_caps(m.cap, m.ncaps, 0);
			} else {
				CHECK(ool_store_blob_async_finish(0, &m, &b) == bad[i].want);
			}
		}
	/* maybe: a presence word, a length of 4000 bytes: 502 words */
	memset(w, 0, sizeof w);
	for (int presence = 1; presence <= 2; presence++) {
		w[0] = (uint64_t)presence;
		w[1] = 4000;
		for (int to_server = 1; to_server >= 0; to_server--) {
			struct ipc_msg m;
			int want = presence == 1 ? 0 : IPC_EPROTO;
			ipc_msg_init(&m, to_server ? OOL_STORE_MAYBE : 0, 1, 1);
			m.word[0] = IPC_OOL_FLAG | 502;
			m.cap[0] = region_of(w, 502 * 8, true);
			if (to_server) {
				CHECK(ipc_call(ep, &m) == 0 && (int)ipc_word_signed(m.label) == want);
				ipc_drop_caps(m.cap, m.ncaps, 0);
			} else {
				bool has;
				size_t n;
				CHECK(ool_store_maybe_async_finish(0, &m, &has, back, &n) == want);
			}
		}
	}
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
	hostile_values(back);
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
	struct ool_blob *blobs = malloc(2 * 16 * sizeof *blobs);
	struct ool_huge *huge = malloc(2 * sizeof *huge);
	CHECK(data && back && nums && items && blobs && huge);
	if (!data || !back || !nums || !items || !blobs || !huge)
		return 1;

	/* Warm: the heap's buffers for every size class exist after one pass. */
	round_trips(data, back);
	lists((uint32_t *)data, nums, items, items + 20000);
	values(blobs, blobs + 16, huge, huge + 1, data, back);
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
	values(blobs, blobs + 16, huge, huge + 1, data, back);
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
