/*
 * check_ool.c: byte arrays and strings out of line, end to end over the
 * POSIX port: stubs generated from tests/ipcgen/ok/ool.ipc, a server in a
 * child process.  Every length around the inline limit up to the 1 MiB
 * bound, both ways, through the synchronous call, the split form and the
 * reply function; descriptors counted on both sides, so that a region kept
 * anywhere shows; and regions made by hand that a server and a client must
 * refuse: short, long, unsealed, not a memfd, for a length that is inline,
 * missing, a string without its NUL or with one inside.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <mercury/posix.h>
#include "../protocols/harness.h"
#include "ool.h"

/* ---- the server ---------------------------------------------------------------- */

static uint8_t *kept;
static size_t nkept;
static uint64_t dropped;

static int srv_put(struct ool_store *self, const char *name, const uint8_t *data, size_t ndata,
                   uint32_t *result)
{
	(void)self, (void)name;
	free(kept);
	kept = malloc(ndata ? ndata : 1);
	memcpy(kept, data, ndata);
	nkept = ndata;
	*result = (uint32_t)ndata + (uint32_t)strlen(name) * 0;
	return 0;
}

static int srv_get(struct ool_store *self, const char *name, uint32_t n, uint8_t *result,
                   size_t *nresult)
{
	(void)self;
	if (strcmp(name, "missing") == 0)
		return OOL_ERR_MISSING;
	if (n > OOL_BIG) {           /* claims more than the bound: the server's fault */
		*nresult = n;
		return 0;
	}
	size_t len = n < nkept ? n : nkept;
	memcpy(result, kept, len);
	*nresult = len;
	return 0;
}

static int srv_echo(struct ool_store *self, const char *s, char *result)
{
	(void)self;
	strcpy(result, s);
	return 0;
}

static int srv_later(struct ool_store *self, const uint8_t *data, size_t ndata, uint8_t *result,
                     size_t *nresult)
{
	(void)self, (void)result, (void)nresult;
	ipc_cap r;
	int st = ipc_reply_save(&r);
	if (st != 0)
		return st;
	ool_store_later_reply(r, 0, data, ndata);
	return IPC_DEFERRED;
}

static void srv_drop(struct ool_store *self, const uint8_t *data, size_t ndata)
{
	(void)self, (void)data;
	dropped += ndata;
}

static int srv_count(struct ool_store *self, uint64_t *result)
{
	(void)self;
	*result = dropped;
	return 0;
}

static int srv_fds(struct ool_store *self, uint32_t *result)
{
	(void)self;
	*result = (uint32_t)open_fds();
	return 0;
}

static int srv_caps(struct ool_store *self, const ipc_cap *fds, size_t nfds, const uint8_t *data,
                    size_t ndata, ipc_cap *back, size_t *nback, uint8_t *result, size_t *nresult)
{
	(void)self;
	memcpy(back, fds, nfds * sizeof *fds);
	*nback = nfds;
	memcpy(result, data, ndata);
	*nresult = ndata;
	return 0;
}

static const struct ool_store_iface impl = {
	.put = srv_put, .get = srv_get, .echo = srv_echo, .later = srv_later, .drop = srv_drop,
	.count = srv_count, .fds = srv_fds, .caps = srv_caps,
};

/* ---- the fixture ------------------------------------------------------------------- */

static ipc_cap client;
static pid_t server;

static void serve(ipc_cap ep)
{
	struct ool_store obj;
	ool_store_init(&obj, &impl, ep);
	for (;;)
		ool_store_dispatch(&obj);
}

static void start(void)
{
	server = fork_server(serve, &client, 1);
}

static void stop(void)
{
	ipc_cap_drop(client);
	stop_child(server);
}

static uint32_t server_fds(void)
{
	uint32_t n = 0;
	ck_assert_int_eq(ool_store_fds(client, &n), 0);
	return n;
}

static uint8_t *pattern(size_t n, unsigned seed)
{
	uint8_t *p = malloc(n ? n : 1);
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 131 + seed);
	return p;
}

/* ---- round trips ------------------------------------------------------------------ */

/* around each side's share of the words: put's data 1944 bytes (it shares
 * them with the name), get's and later's results 3896 */
static const size_t sizes[] = {0, 1, 1944, 1945, 3896, 3897, 65536, 1048575, 1048576};
#define NSIZES (sizeof sizes / sizeof sizes[0])

START_TEST(bytes_every_length_both_ways)
{
	int fds0 = open_fds();
	uint32_t sfds = server_fds();
	uint8_t *back = malloc(OOL_BIG);
	for (size_t i = 0; i < NSIZES; i++) {
		size_t n = sizes[i];
		uint8_t *data = pattern(n, (unsigned)i);
		uint32_t got = 0;
		ck_assert_int_eq(ool_store_put(client, "k", data, n, &got), 0);
		ck_assert_uint_eq(got, n);
		size_t nback = 12345;
		memset(back, 0xee, OOL_BIG);
		ck_assert_int_eq(ool_store_get(client, "k", (uint32_t)n, back, &nback), 0);
		ck_assert_uint_eq(nback, n);
		ck_assert(memcmp(back, data, n) == 0);
		/* through the reply function */
		nback = 0;
		ck_assert_int_eq(ool_store_later(client, data, n, back, &nback), 0);
		ck_assert_uint_eq(nback, n);
		ck_assert(memcmp(back, data, n) == 0);
		free(data);
	}
	free(back);
	ck_assert_int_eq(open_fds(), fds0);
	ck_assert_uint_eq(server_fds(), sfds);
}
END_TEST

START_TEST(long_strings_both_ways)
{
	int fds0 = open_fds();
	char *s = malloc(OOL_BIG), *back = malloc(65537);
	static const size_t lens[] = {0, 3896, 3897, 4096, 65536};
	for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		for (size_t k = 0; k < lens[i]; k++)
			s[k] = (char)('a' + k % 26);
		s[lens[i]] = 0;
		memset(back, 1, 65537);
		ck_assert_int_eq(ool_store_echo(client, s, back), 0);
		ck_assert_str_eq(back, s);
	}
	/* UTF-8 out of line: two-byte characters, valid */
	for (size_t k = 0; k < 5000; k += 2)
		memcpy(s + k, "\xc3\xa9", 2);
	s[5000] = 0;
	ck_assert_int_eq(ool_store_echo(client, s, back), 0);
	ck_assert_str_eq(back, s);
	/* refused before anything is sent: too long, not UTF-8 */
	memset(s, 'x', 65537);
	s[65537] = 0;
	ck_assert_int_eq(ool_store_echo(client, s, back), IPC_EINVAL);
	memset(s, 'x', 1000);
	s[500] = (char)0xff;
	s[1000] = 0;
	ck_assert_int_eq(ool_store_echo(client, s, back), IPC_EINVAL);
	/* a 4096-byte name beside 1 MiB of data */
	memset(s, 'n', 4096);
	s[4096] = 0;
	uint8_t *data = pattern(OOL_BIG, 7);
	uint32_t got;
	ck_assert_int_eq(ool_store_put(client, s, data, OOL_BIG, &got), 0);
	ck_assert_uint_eq(got, OOL_BIG);
	free(data);
	free(s);
	free(back);
	ck_assert_int_eq(open_fds(), fds0);
}
END_TEST

START_TEST(split_form_and_sends)
{
	int fds0 = open_fds();
	uint32_t sfds = server_fds();
	uint8_t *data = pattern(300000, 3), *back = malloc(OOL_BIG);
	uint32_t got;
	ck_assert_int_eq(ool_store_put(client, "k", data, 300000, &got), 0);
	ipc_call_t call[4];
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(ool_store_get_async_start(client, "k", 100000u * (uint32_t)i, -1, &call[i]), 0);
	for (int i = 3; i >= 0; i--) {
		size_t n = 1;
		ck_assert_int_eq(ool_store_get_async_wait(client, call[i], 5000, back, &n), 0);
		ck_assert_uint_eq(n, (i < 3 ? 100000u * (unsigned)i : 300000u));
		ck_assert(memcmp(back, data, n) == 0);
	}
	/* a cancelled call's region is released when its reply comes */
	ck_assert_int_eq(ool_store_get_async_start(client, "k", 200000, -1, &call[0]), 0);
	ck_assert_int_eq(ipc_call_cancel(client, call[0]), 0);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(ool_store_drop(client, data, 100000 + (size_t)i), 0);
	uint64_t total = 0;
	ck_assert_int_eq(ool_store_count(client, &total), 0);
	ck_assert_uint_eq(total, 5 * 100000 + 10);
	free(data);
	free(back);
	ck_assert_int_eq(open_fds(), fds0);
	ck_assert_uint_eq(server_fds(), sfds);
}
END_TEST

START_TEST(capabilities_beside_regions)
{
	int fds0 = open_fds();
	ipc_cap f[3], back[IPC_MAX_CAPS];
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(ipc_posix_adopt(open("/dev/null", O_RDONLY | O_CLOEXEC), &f[i]), 0);
	uint8_t *data = pattern(5000, 9), *out = malloc(OOL_BIG);
	size_t nback = 0, nout = 0;
	ck_assert_int_eq(ool_store_caps(client, f, 3, data, 5000, back, &nback, out, &nout), 0);
	ck_assert_uint_eq(nback, 3);
	ck_assert_uint_eq(nout, 5000);
	ck_assert(memcmp(out, data, 5000) == 0);
	ipc_drop_caps(back, nback, 0);
	/* the list's room shrinks by the regions the call may need */
	ipc_cap many[IPC_MAX_CAPS];
	for (int i = 0; i < IPC_MAX_CAPS; i++)
		ck_assert_int_eq(ipc_posix_adopt(open("/dev/null", O_RDONLY | O_CLOEXEC), &many[i]), 0);
	ck_assert_int_eq(ool_store_caps(client, many, IPC_MAX_CAPS, data, 1, back, &nback, out, &nout),
	                 IPC_EINVAL);
	free(data);
	free(out);
	ck_assert_int_eq(open_fds(), fds0);
}
END_TEST

/* ---- faults and refusals ----------------------------------------------------------- */

START_TEST(bounds_and_faults)
{
	int fds0 = open_fds();
	uint32_t sfds = server_fds();
	uint8_t *data = pattern(OOL_BIG + 1, 1), *back = malloc(OOL_BIG);
	uint32_t got;
	size_t n;
	ck_assert_int_eq(ool_store_put(client, "k", data, OOL_BIG + 1, &got), IPC_EINVAL);
	ck_assert_int_eq(ool_store_put(client, "k", NULL, 300, &got), IPC_EINVAL);
	ck_assert_int_eq(ool_store_get(client, "k", OOL_BIG + 1, back, &n), IPC_EFAULT);
	ck_assert_int_eq(ool_store_get(client, "missing", 10, back, &n), OOL_ERR_MISSING);
	ck_assert_int_eq(ool_store_get(client, "k", 10, NULL, &n), IPC_EINVAL);
	free(data);
	free(back);
	ck_assert_int_eq(open_fds(), fds0);
	ck_assert_uint_eq(server_fds(), sfds);
}
END_TEST

/* A region made by hand: a memfd holding len bytes of fill (a string's NUL
 * last when nul), sealed unless not. */
static ipc_cap region(size_t size, char fill, bool nul, bool sealed)
{
	int fd = memfd_create("test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	ck_assert_int_ge(fd, 0);
	char *buf = malloc(size);
	memset(buf, fill, size);
	if (nul)
		buf[size - 1] = 0;
	ck_assert_int_eq(write(fd, buf, size), (ssize_t)size);
	free(buf);
	if (sealed)
		ck_assert_int_eq(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL), 0);
	ipc_cap c;
	ck_assert_int_eq(ipc_posix_adopt(fd, &c), 0);
	return c;
}

/* put("k", data) by hand: its length word lw, the region (or none). */
static int raw_put(uint64_t lw, ipc_cap r)
{
	struct ipc_msg m;
	ipc_msg_init(&m, OOL_STORE_PUT, 3, r == IPC_CAP_NONE ? 0 : 1);
	m.word[0] = 1;
	m.word[1] = 'k';
	m.word[2] = lw;
	m.cap[0] = r;
	int st = ipc_call(client, &m);
	if (st != 0)
		return st;
	ipc_drop_caps(m.cap, m.ncaps, 0);
	return (int)ipc_word_signed(m.label);
}

START_TEST(server_refuses_hostile_regions)
{
	uint32_t sfds = server_fds();
	int fds0 = open_fds();
	/* put's name and data share the words: each inline up to 1944 bytes */
	ck_assert_int_eq(raw_put(IPC_OOL_FLAG | 3000, region(3000, 'a', false, true)), 0);   /* well formed */
	ck_assert_int_eq(raw_put(IPC_OOL_FLAG | 3000, region(2999, 'a', false, true)), IPC_EPROTO);  /* short */
	ck_assert_int_eq(raw_put(IPC_OOL_FLAG | 3000, region(3001, 'a', false, true)), IPC_EPROTO); /* long */
	ck_assert_int_eq(raw_put(IPC_OOL_FLAG | 3000, region(3000, 'a', false, false)), IPC_EPROTO); /* unsealed */
	ck_assert_int_eq(raw_put(IPC_OOL_FLAG | 1944, region(1944, 'a', false, true)), IPC_EPROTO); /* inline length */
	ck_assert_int_eq(raw_put(IPC_OOL_FLAG | (OOL_BIG + 1), region(3000, 'a', false, true)), IPC_EPROTO);
	ck_assert_int_eq(raw_put(IPC_OOL_FLAG | 3000, IPC_CAP_NONE), IPC_EPROTO);          /* missing */
	ipc_cap pa, pb;
	ck_assert_int_eq(ipc_posix_pair(&pa, &pb), 0);
	ck_assert_int_eq(raw_put(IPC_OOL_FLAG | 3000, pa), IPC_EPROTO);                    /* not a memfd */
	ipc_cap_drop(pb);
	ck_assert_int_eq(raw_put(1945, IPC_CAP_NONE), IPC_EPROTO);     /* inline past its share */
	/* a region beside an inline value: one capability too many */
	ck_assert_int_eq(raw_put(0, region(3000, 'a', false, true)), IPC_EPROTO);
	/* strings: echo's region holds the NUL, and nothing else is one */
	struct ipc_msg m;
	struct { size_t size; bool nul; char fill; int want; } str[] = {
		{5001, true, 'a', 0},            /* 5000 bytes and the NUL */
		{5000, false, 'a', IPC_EPROTO},  /* no NUL */
		{5001, true, 0, IPC_EPROTO},     /* NULs inside */
		{5001, true, (char)0xff, IPC_EPROTO},   /* not UTF-8 */
	};
	for (size_t i = 0; i < sizeof str / sizeof str[0]; i++) {
		ipc_msg_init(&m, OOL_STORE_ECHO, 1, 1);
		m.word[0] = IPC_OOL_FLAG | 5000;
		m.cap[0] = region(str[i].size, str[i].fill, str[i].nul, true);
		ck_assert_int_eq(ipc_call(client, &m), 0);
		ck_assert_int_eq((int)ipc_word_signed(m.label), str[i].want);
		ipc_drop_caps(m.cap, m.ncaps, 0);
	}
	ck_assert_int_eq(open_fds(), fds0);
	ck_assert_uint_eq(server_fds(), sfds);
}
END_TEST

START_TEST(client_refuses_hostile_regions)
{
	int fds0 = open_fds();
	uint8_t *back = malloc(OOL_BIG);
	/* get's result is alone in its reply: inline up to 3896 bytes */
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
		ck_assert_int_eq(ool_store_get_async_finish(0, &m, back, &n), bad[i].want);
		if (bad[i].want == 0) {
			ck_assert_uint_eq(n, 5000);
			ck_assert_int_eq(back[4999], 'z');
		}
	}
	/* a region named, none carried */
	struct ipc_msg m;
	size_t n;
	ipc_msg_init(&m, 0, 1, 0);
	m.word[0] = IPC_OOL_FLAG | 5000;
	ck_assert_int_eq(ool_store_get_async_finish(0, &m, back, &n), IPC_EPROTO);
	free(back);
	ck_assert_int_eq(open_fds(), fds0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ool");
	TCase *tc = tcase_create("ool");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, start, stop);
	tcase_add_test(tc, bytes_every_length_both_ways);
	tcase_add_test(tc, long_strings_both_ways);
	tcase_add_test(tc, split_form_and_sends);
	tcase_add_test(tc, capabilities_beside_regions);
	tcase_add_test(tc, bounds_and_faults);
	tcase_add_test(tc, server_refuses_hostile_regions);
	tcase_add_test(tc, client_refuses_hostile_regions);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
