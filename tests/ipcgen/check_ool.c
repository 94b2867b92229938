/*
 * check_ool.c: byte arrays and strings out of line, end to end over the
 * POSIX port: stubs generated from tests/ipcgen/ok/ool.ipc, a server in a
 * child process.  Every length around the inline limit up to the 1 MiB
 * bound, both ways, through the synchronous call, the split form and the
 * reply function; descriptors counted on both sides, so that a region kept
 * anywhere shows; and regions made by hand that a server and a client must
 * refuse: short, long, unsealed, not a memfd, for a length that is inline,
 * missing, a string without its NUL or with one inside.  Lists (of
 * scalars, of structs, of strings) likewise: every count around their
 * share, and regions whose words are short, long, past the bound, an
 * element invalid, padding not zero.  Structs (a length word before them
 * inline) and optional values likewise, up to 1 MiB: a length word or a
 * presence word that is wrong, regions short, long or of an inline
 * length, counts past the bound, padding not zero.
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

/* ---- the server: tests/ipcgen/ool_store.h --------------------------------------- */

static uint32_t store_fds(void)
{
	return (uint32_t)open_fds();
}
#include "ool_store.h"

/* ---- the fixture ------------------------------------------------------------------- */

static ipc_cap client;
static pid_t server;

static void serve(ipc_cap ep)
{
	struct ool_store obj;
	ool_store_init(&obj, &store_impl, ep);
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

START_TEST(server_refuses_hostile_regions)
{
	uint32_t sfds = server_fds();
	int fds0 = open_fds();
	/* put's name and data share the words: each inline up to 1944 bytes */
	ck_assert_int_eq(raw_put(client, IPC_OOL_FLAG | 3000, region(3000, 'a', false, true)), 0);   /* well formed */
	ck_assert_int_eq(raw_put(client, IPC_OOL_FLAG | 3000, region(2999, 'a', false, true)), IPC_EPROTO);  /* short */
	ck_assert_int_eq(raw_put(client, IPC_OOL_FLAG | 3000, region(3001, 'a', false, true)), IPC_EPROTO); /* long */
	ck_assert_int_eq(raw_put(client, IPC_OOL_FLAG | 3000, region(3000, 'a', false, false)), IPC_EPROTO); /* unsealed */
	ck_assert_int_eq(raw_put(client, IPC_OOL_FLAG | 1944, region(1944, 'a', false, true)), IPC_EPROTO); /* inline length */
	ck_assert_int_eq(raw_put(client, IPC_OOL_FLAG | (OOL_BIG + 1), region(3000, 'a', false, true)), IPC_EPROTO);
	ck_assert_int_eq(raw_put(client, IPC_OOL_FLAG | 3000, IPC_CAP_NONE), IPC_EPROTO);          /* missing */
	ipc_cap pa, pb;
	ck_assert_int_eq(ipc_posix_pair(&pa, &pb), 0);
	ck_assert_int_eq(raw_put(client, IPC_OOL_FLAG | 3000, pa), IPC_EPROTO);                    /* not a memfd */
	ipc_cap_drop(pb);
	ck_assert_int_eq(raw_put(client, 1945, IPC_CAP_NONE), IPC_EPROTO);     /* inline past its share */
	/* a region beside an inline value: one capability too many */
	ck_assert_int_eq(raw_put(client, 0, region(3000, 'a', false, true)), IPC_EPROTO);
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

/* ---- lists out of line ------------------------------------------------------------ */

/* A list's share: nums' and names' lists are alone on their sides (488
 * words, their count word included), items' beside a word (487). */
static const size_t counts[] = {0, 1, 486, 487, 488, 489, 10000, 100000};
#define NCOUNTS (sizeof counts / sizeof counts[0])

START_TEST(list_of_scalars_every_count_both_ways)
{
	int fds0 = open_fds();
	uint32_t sfds = server_fds();
	uint32_t *v = malloc(100000 * sizeof *v), *back = malloc(100001 * sizeof *back);
	for (size_t i = 0; i < 100000; i++)
		v[i] = (uint32_t)(i * 2654435761u);
	for (size_t i = 0; i < NCOUNTS; i++) {
		size_t n = counts[i], nback = 7;
		memset(back, 0xee, 100001 * sizeof *back);
		ck_assert_int_eq(ool_store_nums(client, v, n, back, &nback), 0);
		ck_assert_uint_eq(nback, n);
		ck_assert(memcmp(back, v, n * sizeof *v) == 0);
		ck_assert_uint_eq(back[n], 0xeeeeeeeeu);
	}
	/* past the bound, or NULL with elements: refused before anything is sent */
	size_t nback;
	ck_assert_int_eq(ool_store_nums(client, v, 100001, back, &nback), IPC_EINVAL);
	ck_assert_int_eq(ool_store_nums(client, NULL, 600, back, &nback), IPC_EINVAL);
	/* two lists sharing the words: 244 each */
	static const size_t pairs[][2] = {{243, 243}, {243, 244}, {244, 0}, {0, 244}, {5000, 1}, {100000, 100000}};
	for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
		uint64_t sum = 0, want = 0;
		for (size_t k = 0; k < pairs[i][0]; k++)
			want += v[k];
		for (size_t k = 0; k < pairs[i][1]; k++)
			want += v[k];
		ck_assert_int_eq(ool_store_pair(client, v, pairs[i][0], v, pairs[i][1], &sum), 0);
		ck_assert_uint_eq(sum, want);
	}
	free(v);
	free(back);
	ck_assert_int_eq(open_fds(), fds0);
	ck_assert_uint_eq(server_fds(), sfds);
}
END_TEST

START_TEST(list_of_structs_every_count_both_ways)
{
	int fds0 = open_fds();
	uint32_t sfds = server_fds();
	struct ool_item *v = malloc(20000 * sizeof *v), *back = malloc(20000 * sizeof *back);
	/* 1 + 9 * 54 = 487 words: inline at its share; 55, out of line */
	static const size_t n[] = {0, 1, 53, 54, 55, 56, 1000, 20000};
	for (int uniform = 1; uniform >= 0; uniform--) {
		fill_items(v, 20000, uniform);
		for (size_t i = 0; i < sizeof n / sizeof n[0]; i++) {
			size_t nback = 3;
			uint64_t sum = 0;
			ck_assert_int_eq(ool_store_items(client, v, n[i], 0, back, &nback, &sum), 0);
			ck_assert_uint_eq(nback, n[i]);
			ck_assert_uint_eq(sum, n[i] * (n[i] + 1) / 2);
			ck_assert(same_items(v, back, n[i]));
			nback = 0;
			ck_assert_int_eq(ool_store_items_later(client, v, n[i], back, &nback), 0);
			ck_assert_uint_eq(nback, n[i]);
			ck_assert(same_items(v, back, n[i]));
		}
	}
	/* the server's faults: a count past the bound, a bad element; its regions released */
	size_t nback;
	uint64_t sum;
	ck_assert_int_eq(ool_store_items(client, v, 20000, 1, back, &nback, &sum), IPC_EFAULT);
	ck_assert_int_eq(ool_store_items(client, v, 20000, 2, back, &nback, &sum), IPC_EFAULT);
	ck_assert_int_eq(ool_store_items(client, v, 10, 2, back, &nback, &sum), IPC_EFAULT);
	/* a bad element of the caller's: refused before anything is sent */
	v[19999].color = (enum ool_color)9;
	ck_assert_int_eq(ool_store_items(client, v, 20000, 0, back, &nback, &sum), IPC_EINVAL);
	free(v);
	free(back);
	ck_assert_int_eq(open_fds(), fds0);
	ck_assert_uint_eq(server_fds(), sfds);
}
END_TEST

START_TEST(list_of_strings_every_count_both_ways)
{
	int fds0 = open_fds();
	uint32_t sfds = server_fds();
	char (*s)[101] = malloc(5000 * sizeof *s), (*back)[101] = malloc(5000 * sizeof *back);
	const char **v = malloc(5000 * sizeof *v);
	for (size_t i = 0; i < 5000; i++) {
		snprintf(s[i], sizeof s[i], "name%04zu", i);   /* 8 bytes: 2 words */
		v[i] = s[i];
	}
	/* 1 + 2 * 243 = 487 words, inline; 244 names, 489: out of line; and
	 * one 9 bytes long among 243: 488, inline at its share exactly */
	static const size_t n[] = {0, 1, 243, 244, 245, 4999, 5000};
	for (int longer = 0; longer < 2; longer++) {
		if (longer)
			strcpy(s[0], "name-long");
		for (size_t i = 0; i < sizeof n / sizeof n[0]; i++) {
			size_t nback = 9;
			ck_assert_int_eq(ool_store_names(client, v, n[i], back, &nback), 0);
			ck_assert_uint_eq(nback, n[i]);
			for (size_t k = 0; k < n[i]; k++)
				ck_assert_str_eq(back[k], s[k]);
		}
	}
	/* one not UTF-8, one too long: refused before anything is sent */
	size_t nback;
	s[4000][2] = (char)0xff;
	ck_assert_int_eq(ool_store_names(client, v, 5000, back, &nback), IPC_EINVAL);
	memset(s[4000], 'x', 100);
	ck_assert_int_eq(ool_store_names(client, v, 5000, back, &nback), 0);
	char big[200];
	memset(big, 'y', 101);
	big[101] = 0;
	v[4000] = big;
	ck_assert_int_eq(ool_store_names(client, v, 5000, back, &nback), IPC_EINVAL);
	free(s);
	free(back);
	free(v);
	ck_assert_int_eq(open_fds(), fds0);
	ck_assert_uint_eq(server_fds(), sfds);
}
END_TEST

START_TEST(lists_split_form_and_sends)
{
	int fds0 = open_fds();
	uint32_t sfds = server_fds();
	struct ool_item *v = malloc(20000 * sizeof *v), *back = malloc(20000 * sizeof *back);
	fill_items(v, 20000, false);
	ipc_call_t call[4];
	static const size_t n[4] = {20000, 54, 55, 3};
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(ool_store_items_async_start(client, v, n[i], 0, -1, &call[i]), 0);
	for (int i = 3; i >= 0; i--) {
		size_t nback = 0;
		uint64_t sum;
		ck_assert_int_eq(ool_store_items_async_wait(client, call[i], 5000, back, &nback, &sum), 0);
		ck_assert_uint_eq(nback, n[i]);
		ck_assert(same_items(v, back, n[i]));
	}
	/* a cancelled call's region is released when its reply comes */
	ck_assert_int_eq(ool_store_items_async_start(client, v, 20000, 0, -1, &call[0]), 0);
	ck_assert_int_eq(ipc_call_cancel(client, call[0]), 0);
	uint64_t before = 0, after = 0;
	ck_assert_int_eq(ool_store_count(client, &before), 0);
	for (size_t i = 0; i < 4; i++)
		ck_assert_int_eq(ool_store_sink(client, v, n[i]), 0);
	ck_assert_int_eq(ool_store_count(client, &after), 0);
	ck_assert_uint_eq(after - before, 20000 + 54 + 55 + 3);
	free(v);
	free(back);
	ck_assert_int_eq(open_fds(), fds0);
	ck_assert_uint_eq(server_fds(), sfds);
}
END_TEST

/* A region of n words made by hand, sealed unless not. */
static ipc_cap region_words(const uint64_t *w, size_t n, bool sealed)
{
	int fd = memfd_create("test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, w, n * 8), (ssize_t)(n * 8));
	if (sealed)
		ck_assert_int_eq(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL), 0);
	ipc_cap c;
	ck_assert_int_eq(ipc_posix_adopt(fd, &c), 0);
	return c;
}

/* The words of nums' list of count elements 0, 1, ... */
static uint64_t *num_words(size_t count, size_t room)
{
	uint64_t *w = calloc(room > count + 1 ? room : count + 1, 8);
	w[0] = count;
	for (size_t i = 0; i < count; i++)
		w[1 + i] = i;
	return w;
}

/* A hostile encoding of a list: the word the message holds, the words of
 * its region (nwords of them, none if 0), and what the receiver says. */
struct hostile {
	const char *what;
	uint64_t word;
	size_t count, nwords;   /* num_words(count), cut or padded to nwords */
	size_t poke;            /* if not 0: word poke of the region set to val */
	uint64_t val;
	bool unsealed;
	int want;
};

static const struct hostile hostile_nums[] = {
	{"well formed", IPC_OOL_FLAG | 1001, 1000, 1001, 0, 0, false, 0},
	{"short region", IPC_OOL_FLAG | 1001, 1000, 1000, 0, 0, false, IPC_EPROTO},
	{"long region", IPC_OOL_FLAG | 1001, 1000, 1002, 0, 0, false, IPC_EPROTO},
	{"words left over", IPC_OOL_FLAG | 1002, 1000, 1002, 0, 0, false, IPC_EPROTO},
	{"words missing", IPC_OOL_FLAG | 1001, 1001, 1001, 0, 0, false, IPC_EPROTO},
	{"count past the bound", IPC_OOL_FLAG | 1001, 1000, 1001, 0, 100001, false, IPC_EPROTO},
	{"element past u32", IPC_OOL_FLAG | 1001, 1000, 1001, 500, 1ull << 32, false, IPC_EPROTO},
	{"unsealed", IPC_OOL_FLAG | 1001, 1000, 1001, 0, 0, true, IPC_EPROTO},
	{"inline length", IPC_OOL_FLAG | 488, 487, 488, 0, 0, false, IPC_EPROTO},
	{"past the bound's words", IPC_OOL_FLAG | 100002, 1000, 1001, 0, 0, false, IPC_EPROTO},
	{"no region", IPC_OOL_FLAG | 1001, 0, 0, 0, 0, false, IPC_EPROTO},
};

static ipc_cap hostile_region(const struct hostile *h)
{
	if (!h->nwords)
		return IPC_CAP_NONE;
	uint64_t *w = num_words(h->count, h->nwords);
	if (h->val)
		w[h->poke] = h->val;
	ipc_cap c = region_words(w, h->nwords, !h->unsealed);
	free(w);
	return c;
}

/* A request or reply of one list word and its region (or none). */
static void one_list(struct ipc_msg *m, uint64_t label, const struct hostile *h)
{
	ipc_cap r = hostile_region(h);
	ipc_msg_init(m, label, 1, r == IPC_CAP_NONE ? 0 : 1);
	m->word[0] = h->word;
	m->cap[0] = r;
}

static int raw(struct ipc_msg *m)
{
	int st = ipc_call(client, m);
	if (st != 0)
		return st;
	ipc_drop_caps(m->cap, m->ncaps, 0);
	return (int)ipc_word_signed(m->label);
}

START_TEST(server_refuses_hostile_lists)
{
	uint32_t sfds = server_fds();
	int fds0 = open_fds();
	struct ipc_msg m;
	for (size_t i = 0; i < sizeof hostile_nums / sizeof hostile_nums[0]; i++) {
		one_list(&m, OOL_STORE_NUMS, &hostile_nums[i]);
		ck_assert_msg(raw(&m) == hostile_nums[i].want, "%s", hostile_nums[i].what);
	}
	/* an inline list and a region nothing names: one capability too many */
	uint64_t *w = num_words(3, 4);
	ipc_msg_init(&m, OOL_STORE_NUMS, 4, 1);
	memcpy(m.word, w, 4 * 8);
	m.cap[0] = region_words(w, 4, true);
	ck_assert_int_eq(raw(&m), IPC_EPROTO);
	/* inline past its share: pair's lists have 244 words each */
	free(w);
	w = num_words(300, 302);
	ipc_msg_init(&m, OOL_STORE_PAIR, 302, 0);
	memcpy(m.word, w, 301 * 8);
	m.word[301] = 0;   /* b: empty */
	ck_assert_int_eq(raw(&m), IPC_EPROTO);
	ipc_msg_init(&m, OOL_STORE_PAIR, 244, 0);   /* 243 and an empty one: fine */
	memcpy(m.word, w, 243 * 8);
	m.word[0] = 242;
	m.word[243] = 0;
	ck_assert_int_eq(raw(&m), 0);
	free(w);
	/* a struct list's element invalid in its region: items(v, tag) with
	 * 60 items of 9 words, the last one's colour 7, its note's presence 2 */
	struct ool_item *v = malloc(60 * sizeof *v);
	fill_items(v, 60, true);
	for (int k = 0; k < 3; k++) {
		struct ipc_words c;
		uint64_t *rw = calloc(600, 8);
		uint32_t n = 0;
		c.word = rw;
		c.n = 600;
		ck_assert(ipc_w_put_word(&c, &n, 60));
		for (size_t i = 0; i < 60; i++)
			ck_assert(ool_item_put_words(&c, &n, &v[i]));
		ck_assert_uint_eq(n, 541);
		if (k == 1)
			rw[540 - 1] = 7;                 /* the last item's colour */
		if (k == 2)
			rw[540 - 2] = 2;                 /* its note's presence */
		ipc_msg_init(&m, OOL_STORE_ITEMS, 2, 1);
		m.word[0] = IPC_OOL_FLAG | 541;
		m.word[1] = 0;
		m.cap[0] = region_words(rw, 541, true);
		ck_assert_int_eq(raw(&m), k == 0 ? 0 : IPC_EPROTO);
		free(rw);
	}
	free(v);
	/* a string list's padding not zero in its region: names of 300 "abc" */
	uint64_t *sw = calloc(601, 8);
	sw[0] = 300;
	for (size_t i = 0; i < 300; i++) {
		sw[1 + 2 * i] = 3;
		memcpy(&sw[2 + 2 * i], "abc", 3);
	}
	ipc_msg_init(&m, OOL_STORE_NAMES, 1, 1);
	m.word[0] = IPC_OOL_FLAG | 601;
	m.cap[0] = region_words(sw, 601, true);
	ck_assert_int_eq(raw(&m), 0);
	((char *)&sw[2 + 2 * 299])[5] = 'x';
	ipc_msg_init(&m, OOL_STORE_NAMES, 1, 1);
	m.word[0] = IPC_OOL_FLAG | 601;
	m.cap[0] = region_words(sw, 601, true);
	ck_assert_int_eq(raw(&m), IPC_EPROTO);
	free(sw);
	/* a one-way send refused: nothing counted, its region released */
	uint64_t before = 0, after = 0;
	ck_assert_int_eq(ool_store_count(client, &before), 0);
	ipc_msg_init(&m, OOL_STORE_SINK, 1, 1);
	m.word[0] = IPC_OOL_FLAG | 600;
	uint64_t *bad = num_words(100, 600);
	m.cap[0] = region_words(bad, 600, true);
	free(bad);
	ck_assert_int_eq(ipc_send(client, &m), 0);
	ck_assert_int_eq(ool_store_count(client, &after), 0);
	ck_assert_uint_eq(after, before);
	ck_assert_int_eq(open_fds(), fds0);
	ck_assert_uint_eq(server_fds(), sfds);
}
END_TEST

START_TEST(client_refuses_hostile_lists)
{
	int fds0 = open_fds();
	uint32_t *back = malloc(100000 * sizeof *back);
	for (size_t i = 0; i < sizeof hostile_nums / sizeof hostile_nums[0]; i++) {
		struct ipc_msg m;
		size_t n = 0;
		one_list(&m, 0, &hostile_nums[i]);
		ck_assert_msg(ool_store_nums_async_finish(0, &m, back, &n) == hostile_nums[i].want, "%s",
		              hostile_nums[i].what);
		if (hostile_nums[i].want == 0) {
			ck_assert_uint_eq(n, 1000);
			ck_assert_uint_eq(back[999], 999);
		}
	}
	/* an inline list and a region nothing names */
	struct ipc_msg m;
	size_t n;
	uint64_t *w = num_words(3, 4);
	ipc_msg_init(&m, 0, 4, 1);
	memcpy(m.word, w, 4 * 8);
	m.cap[0] = region_words(w, 4, true);
	ck_assert_int_eq(ool_store_nums_async_finish(0, &m, back, &n), IPC_EPROTO);
	free(w);
	free(back);
	ck_assert_int_eq(open_fds(), fds0);
}
END_TEST

/* ---- structs and optional values out of line --------------------------------------- */

/* The descriptors open on both sides, to be the same after a test: a
 * region kept anywhere shows. */
struct fds {
	int here;
	uint32_t there;
};

static struct fds fds_now(void)
{
	struct fds f = {open_fds(), server_fds()};
	return f;
}

static void fds_same(struct fds f)
{
	ck_assert_int_eq(open_fds(), f.here);
	ck_assert_uint_eq(server_fds(), f.there);
}

/* A new blob named name with n bytes of data from seed (blob_fill). */
static struct ool_blob *make_blob(const char *name, size_t n, unsigned seed)
{
	struct ool_blob *b = malloc(sizeof *b);
	ck_assert_ptr_nonnull(b);
	blob_fill(b, name, n, seed);
	return b;
}

/* blob is alone on its sides: inline up to 487 words after its length
 * word, so a 1-byte name and up to 3872 bytes of data (3 + 484 words) */
START_TEST(structs_every_length_both_ways)
{
	struct fds f = fds_now();
	static const size_t n[] = {0, 1, 3871, 3872, 3873, 3880, 3881, 65535, 65536};
	static const char *const names[] = {"b", "later", ""};
	struct ool_blob *back = malloc(sizeof *back);
	for (size_t k = 0; k < 3; k++)
		for (size_t i = 0; i < sizeof n / sizeof n[0]; i++) {
			struct ool_blob *b = make_blob(names[k], n[i], (unsigned)i);
			memset(back, 0xee, sizeof *back);
			ck_assert_int_eq(ool_store_blob(client, b, back), 0);
			ck_assert(same_blob(b, back));
			free(b);
		}
	/* a name of 255 bytes and 64 KiB of data */
	struct ool_blob *b = make_blob("", 65536, 3);
	memset(b->name, 'n', 255);
	ck_assert_int_eq(ool_store_blob(client, b, back), 0);
	ck_assert(same_blob(b, back));
	/* refused before anything is sent: data past its bound, a name not UTF-8 */
	b->ndata = 65537;
	ck_assert_int_eq(ool_store_blob(client, b, back), IPC_EINVAL);
	b->ndata = 10;
	b->name[3] = (char)0xff;
	ck_assert_int_eq(ool_store_blob(client, b, back), IPC_EINVAL);
	ck_assert_int_eq(ool_store_blob(client, b, NULL), IPC_EINVAL);
	/* no struct at all: refused, in a message and where it may go out of
	 * line, sent one way too */
	ck_assert_int_eq(ool_store_blob(client, NULL, back), IPC_EINVAL);
	ck_assert_int_eq(ool_store_blob_sink(client, NULL), IPC_EINVAL);
	/* the server's fault: its result's data past the bound */
	strcpy(b->name, "fault");
	ck_assert_int_eq(ool_store_blob(client, b, back), IPC_EFAULT);
	free(b);
	/* a struct with a 1 MiB field: inline up to 3880 bytes (2 + 485 words) */
	struct ool_huge *h = malloc(sizeof *h), *hb = malloc(sizeof *hb);
	ck_assert_int_eq(ool_store_huge(client, NULL, hb), IPC_EINVAL);
	static const size_t hn[] = {0, 3880, 3881, 500000, OOL_BIG};
	for (size_t i = 0; i < sizeof hn / sizeof hn[0]; i++) {
		h->id = i * 1000003;
		for (size_t k = 0; k < hn[i]; k++)
			h->data[k] = (uint8_t)(k * 7 + i);
		h->ndata = hn[i];
		memset(hb, 0xee, sizeof *hb);
		ck_assert_int_eq(ool_store_huge(client, h, hb), 0);
		ck_assert_uint_eq(hb->id, h->id);
		ck_assert_uint_eq(hb->ndata, hn[i]);
		ck_assert(memcmp(hb->data, h->data, hn[i]) == 0);
	}
	free(h);
	free(hb);
	free(back);
	fds_same(f);
}
END_TEST

/* maybe's value is alone on its sides: 488 words inline, its presence
 * word, its length and 3888 bytes at most; opt's two share them, 244 each */
START_TEST(optionals_every_length_both_ways)
{
	struct fds f = fds_now();
	uint8_t *back = malloc(OOL_BIG);
	static const size_t n[] = {0, 1, 3887, 3888, 3889, 65536, OOL_BIG};
	for (size_t i = 0; i < sizeof n / sizeof n[0]; i++) {
		uint8_t *data = pattern(n[i], (unsigned)i);
		bool has = false;
		size_t nback = 7;
		memset(back, 0xee, 4000);
		ck_assert_int_eq(ool_store_maybe(client, data, n[i], &has, back, &nback), 0);
		ck_assert(has);
		ck_assert_uint_eq(nback, n[i]);
		ck_assert(memcmp(back, data, n[i]) == 0);
		free(data);
	}
	bool has = true;
	size_t nback = 7;
	ck_assert_int_eq(ool_store_maybe(client, NULL, 0, &has, back, &nback), 0);
	ck_assert(!has);
	/* absent with a length; past the bound: refused before anything is sent */
	ck_assert_int_eq(ool_store_maybe(client, NULL, 10, &has, back, &nback), IPC_EINVAL);
	ck_assert_int_eq(ool_store_maybe(client, back, OOL_BIG + 1, &has, back, &nback), IPC_EINVAL);
	/* opt: a blob of a 1-byte name inline up to 1920 bytes (1 + 3 + 240
	 * words), a list up to 242 numbers (1 + 1 + 242) */
	uint32_t *v = malloc(100000 * sizeof *v), *vb = malloc(100000 * sizeof *vb);
	for (size_t i = 0; i < 100000; i++)
		v[i] = (uint32_t)(i * 2654435761u);
	struct ool_blob *rb = malloc(sizeof *rb);
	static const struct { long nb; size_t nv; } c[] = {
		{-1, 0}, {0, 0}, {-1, 242}, {1920, 242}, {1921, 243}, {1920, 100000}, {65536, 0}, {65536, 100000},
	};
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
		for (int with_v = 0; with_v < 2; with_v++) {
			struct ool_blob *b = c[i].nb < 0 ? NULL : make_blob("b", (size_t)c[i].nb, (unsigned)i);
			bool hb = !b, hv = !with_v;
			size_t nvb = 99;
			memset(rb, 0xee, sizeof *rb);
			ck_assert_int_eq(ool_store_opt(client, b, with_v ? v : NULL, with_v ? c[i].nv : 0, &hb, rb,
			                               &hv, vb, &nvb), 0);
			ck_assert(hb == (b != NULL));
			ck_assert(!b || same_blob(b, rb));
			ck_assert(hv == with_v);
			ck_assert_uint_eq(nvb, with_v ? c[i].nv : 99);   /* absent: as small ones, not written */
			ck_assert(!with_v || memcmp(vb, v, nvb * sizeof *v) == 0);
			free(b);
		}
	free(rb);
	free(v);
	free(vb);
	free(back);
	fds_same(f);
}
END_TEST

START_TEST(lists_of_blobs_and_mixed_sides)
{
	struct fds f = fds_now();
	struct ool_blob *v = calloc(16, sizeof *v), *back = malloc(16 * sizeof *back);
	for (size_t i = 0; i < 16; i++) {
		struct ool_blob *b = make_blob(i % 2 ? "odd" : "even", i * 4096 + (i == 15 ? 4096 - 1 : 0), (unsigned)i);
		memcpy(&v[i], b, sizeof *b);
		free(b);
	}
	static const size_t n[] = {0, 1, 2, 16};
	for (size_t i = 0; i < sizeof n / sizeof n[0]; i++) {
		size_t nback = 99;
		ck_assert_int_eq(ool_store_blobs(client, v, n[i], back, &nback), 0);
		ck_assert_uint_eq(nback, n[i]);
		for (size_t k = 0; k < n[i]; k++)
			ck_assert(same_blob(&v[k], &back[k]));
	}
	/* mixed: the blob inline up to 242 words (1912 bytes of data), the byte
	 * array up to 1936 bytes */
	static const size_t m[][2] = {{0, 0}, {1912, 1936}, {1913, 1937}, {1912, 1937}, {1913, 1936},
	                              {65536, OOL_BIG}};
	uint8_t *data = pattern(OOL_BIG, 5);
	for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
		struct ool_blob *b = make_blob("b", m[i][0], (unsigned)i);
		uint64_t got = 0;
		ck_assert_int_eq(ool_store_mixed(client, 17, b, data, m[i][1], back, &got), 0);
		ck_assert(same_blob(b, back));
		ck_assert_uint_eq(got, 17 + m[i][1]);
		free(b);
	}
	free(data);
	free(v);
	free(back);
	fds_same(f);
}
END_TEST

START_TEST(structs_split_form_and_sends)
{
	struct fds f = fds_now();
	struct ool_blob *b[4], *back = malloc(sizeof *back);
	static const size_t n[4] = {65536, 3872, 3873, 3};
	ipc_call_t call[4];
	for (int i = 0; i < 4; i++) {
		b[i] = make_blob(i % 2 ? "later" : "b", n[i], (unsigned)i);
		ck_assert_int_eq(ool_store_blob_async_start(client, b[i], -1, &call[i]), 0);
	}
	for (int i = 3; i >= 0; i--) {
		ck_assert_int_eq(ool_store_blob_async_wait(client, call[i], 5000, back), 0);
		ck_assert(same_blob(b[i], back));
	}
	/* a cancelled call's region is released when its reply comes */
	ck_assert_int_eq(ool_store_blob_async_start(client, b[0], -1, &call[0]), 0);
	ck_assert_int_eq(ipc_call_cancel(client, call[0]), 0);
	uint64_t before = 0, after = 0;
	ck_assert_int_eq(ool_store_count(client, &before), 0);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(ool_store_blob_sink(client, b[i]), 0);
	ck_assert_int_eq(ool_store_count(client, &after), 0);
	ck_assert_uint_eq(after - before, 65536 + 3872 + 3873 + 3);
	for (int i = 0; i < 4; i++)
		free(b[i]);
	free(back);
	fds_same(f);
}
END_TEST

/* A request (label) or reply (0) of the words w[0..n) and region r (or none). */
static void words_msg(struct ipc_msg *m, uint64_t label, const uint64_t *w, size_t n, ipc_cap r)
{
	ipc_msg_init(m, label, (uint32_t)n, r == IPC_CAP_NONE ? 0 : 1);
	memcpy(m->word, w, n * 8);
	m->cap[0] = r;
}

/* A hostile encoding of a struct or an optional value: the words of the
 * message, and of its region (if nr), and what the receiver says. */
struct hostile_value {
	const char *what;
	uint64_t msg[8];
	size_t nmsg;
	const uint64_t *region;
	size_t nr;
	bool unsealed;
	int want;
};

/* What blob's and maybe's receivers refuse, and what they take: their
 * regions' words are made by hostile_values. */
static uint64_t rw[6][600];

static size_t hostile_values(struct hostile_value *h, bool blob)
{
	size_t k = 0;
	if (blob) {
		/* a blob of 1 byte of name and 8 of data: 4 words, with a length word */
		uint64_t w[8];
		size_t n = blob_words(w, 8, "b", 8);
		ck_assert_uint_eq(n, 4);
		h[k++] = (struct hostile_value){"inline", {4, w[0], w[1], w[2], w[3]}, 5, NULL, 0, false, 0};
		h[k++] = (struct hostile_value){"length short", {3, w[0], w[1], w[2], w[3]}, 5, NULL, 0, false, IPC_EPROTO};
		h[k++] = (struct hostile_value){"length long", {5, w[0], w[1], w[2], w[3], 0}, 6, NULL, 0, false, IPC_EPROTO};
		h[k++] = (struct hostile_value){"length past the share", {488, w[0], w[1], w[2], w[3]}, 5, NULL, 0, false, IPC_EPROTO};
		h[k++] = (struct hostile_value){"padding not zero", {4, w[0], w[1], 7, w[3] | 0xffull << 56}, 5, NULL, 0, false, IPC_EPROTO};
		h[k++] = (struct hostile_value){"data past its bound", {4, w[0], w[1], 65537, w[3]}, 5, NULL, 0, false, IPC_EPROTO};
		/* regions: 488 words (3880 bytes), 487 (3872), 600 (4776) */
		ck_assert_uint_eq(blob_words(rw[0], 600, "b", 3880), 488);
		ck_assert_uint_eq(blob_words(rw[1], 600, "b", 3872), 487);
		ck_assert_uint_eq(blob_words(rw[2], 600, "b", 4776), 600);
		memcpy(rw[3], rw[2], sizeof rw[3]);
		rw[3][2] = 65537;   /* data's length past its bound */
		memcpy(rw[4], rw[2], sizeof rw[4]);
		rw[4][2] = 4770;    /* its padding: the last word's last bytes, not zero */
		rw[4][599] |= 0xffull << 56;
		h[k++] = (struct hostile_value){"region", {IPC_OOL_FLAG | 488}, 1, rw[0], 488, false, 0};
		h[k++] = (struct hostile_value){"region of an inline length", {IPC_OOL_FLAG | 487}, 1, rw[1], 487, false, IPC_EPROTO};
		h[k++] = (struct hostile_value){"region short", {IPC_OOL_FLAG | 600}, 1, rw[2], 599, false, IPC_EPROTO};
		h[k++] = (struct hostile_value){"region long", {IPC_OOL_FLAG | 600}, 1, rw[2], 601, false, IPC_EPROTO};
		h[k++] = (struct hostile_value){"words left over", {IPC_OOL_FLAG | 600}, 1, rw[0], 600, false, IPC_EPROTO};
		h[k++] = (struct hostile_value){"count past the bound", {IPC_OOL_FLAG | 600}, 1, rw[3], 600, false, IPC_EPROTO};
		h[k++] = (struct hostile_value){"padding in the region", {IPC_OOL_FLAG | 600}, 1, rw[4], 600, false, IPC_EPROTO};
		h[k++] = (struct hostile_value){"past the bound's words", {IPC_OOL_FLAG | 8227}, 1, rw[2], 600, false, IPC_EPROTO};
		h[k++] = (struct hostile_value){"unsealed", {IPC_OOL_FLAG | 600}, 1, rw[2], 600, true, IPC_EPROTO};
		h[k++] = (struct hostile_value){"no region", {IPC_OOL_FLAG | 600}, 1, NULL, 0, false, IPC_EPROTO};
		h[k++] = (struct hostile_value){"a region too many", {4, w[0], w[1], w[2], w[3]}, 5, rw[2], 600, false, IPC_EPROTO};
		return k;
	}
	/* maybe: a presence word, then a byte array */
	h[k++] = (struct hostile_value){"absent", {0}, 1, NULL, 0, false, 0};
	h[k++] = (struct hostile_value){"present", {1, 3, 0x616263}, 3, NULL, 0, false, 0};
	h[k++] = (struct hostile_value){"presence 2", {2, 3, 0x616263}, 3, NULL, 0, false, IPC_EPROTO};
	h[k++] = (struct hostile_value){"absent, then words", {0, 3, 0x616263}, 3, NULL, 0, false, IPC_EPROTO};
	h[k++] = (struct hostile_value){"padding not zero", {1, 3, 0x71616263}, 3, NULL, 0, false, IPC_EPROTO};
	memset(rw[5], 0, sizeof rw[5]);
	rw[5][0] = 1;
	rw[5][1] = 4000;   /* 500 words of bytes: 502 in all */
	h[k++] = (struct hostile_value){"region", {IPC_OOL_FLAG | 502}, 1, rw[5], 502, false, 0};
	h[k++] = (struct hostile_value){"region short", {IPC_OOL_FLAG | 502}, 1, rw[5], 501, false, IPC_EPROTO};
	h[k++] = (struct hostile_value){"region long", {IPC_OOL_FLAG | 502}, 1, rw[5], 503, false, IPC_EPROTO};
	h[k++] = (struct hostile_value){"region of an inline length", {IPC_OOL_FLAG | 488}, 1, rw[5], 488, false, IPC_EPROTO};
	h[k++] = (struct hostile_value){"past the bound's words", {IPC_OOL_FLAG | 131075}, 1, rw[5], 502, false, IPC_EPROTO};
	return k;
}

/* The same, with maybe's region's presence word 0 or 2, or its length past
 * the bound (k: 0, 1, 2); the caller frees it. */
static uint64_t *maybe_region(int k)
{
	uint64_t *w = calloc(600, 8);
	w[0] = k == 0 ? 0 : k == 1 ? 2 : 1;
	w[1] = k == 2 ? OOL_BIG + 1 : 4000;
	return w;
}

static ipc_cap value_region(const struct hostile_value *h)
{
	return h->nr ? region_words(h->region, h->nr, !h->unsealed) : IPC_CAP_NONE;
}

START_TEST(server_refuses_hostile_values)
{
	struct fds f = fds_now();
	struct hostile_value h[32];
	struct ipc_msg m;
	for (int blob = 1; blob >= 0; blob--) {
		size_t n = hostile_values(h, blob);
		for (size_t i = 0; i < n; i++) {
			words_msg(&m, blob ? OOL_STORE_BLOB : OOL_STORE_MAYBE, h[i].msg, h[i].nmsg, value_region(&h[i]));
			ck_assert_msg(raw(&m) == h[i].want, "%s: %s", blob ? "blob" : "maybe", h[i].what);
		}
	}
	for (int k = 0; k < 3; k++) {   /* maybe's region: presence 0, presence 2, length past its bound */
		uint64_t *w = maybe_region(k), one = IPC_OOL_FLAG | 502;
		words_msg(&m, OOL_STORE_MAYBE, &one, 1, region_words(w, 502, true));
		ck_assert_int_eq(raw(&m), IPC_EPROTO);
		free(w);
	}
	/* mixed: the blob after tag, its share 243 words, less its length word */
	uint64_t w[300] = {17, 242};
	ck_assert_uint_eq(blob_words(w + 2, 298, "b", 1912), 242);
	w[244] = 0;   /* data: empty */
	words_msg(&m, OOL_STORE_MIXED, w, 245, IPC_CAP_NONE);
	ck_assert_int_eq(raw(&m), 0);
	w[1] = 243;   /* 243 words inline: past the share */
	ck_assert_uint_eq(blob_words(w + 2, 298, "b", 1920), 243);
	w[245] = 0;
	words_msg(&m, OOL_STORE_MIXED, w, 246, IPC_CAP_NONE);
	ck_assert_int_eq(raw(&m), IPC_EPROTO);
	/* the same in a region: taken; 242 words in one: refused */
	uint64_t r[300];
	uint64_t three[3] = {17, IPC_OOL_FLAG | 243, 0};
	ck_assert_uint_eq(blob_words(r, 300, "b", 1920), 243);
	words_msg(&m, OOL_STORE_MIXED, three, 3, region_words(r, 243, true));
	ck_assert_int_eq(raw(&m), 0);
	three[1] = IPC_OOL_FLAG | 242;
	ck_assert_uint_eq(blob_words(r, 300, "b", 1912), 242);
	words_msg(&m, OOL_STORE_MIXED, three, 3, region_words(r, 242, true));
	ck_assert_int_eq(raw(&m), IPC_EPROTO);
	/* a one-way send refused: nothing counted, its region released */
	uint64_t before = 0, after = 0;
	ck_assert_int_eq(ool_store_count(client, &before), 0);
	uint64_t one = IPC_OOL_FLAG | 600;
	ck_assert_uint_eq(blob_words(r, 300, "b", 1912), 242);
	words_msg(&m, OOL_STORE_BLOB_SINK, &one, 1, region_words(rw[3], 600, true));
	ck_assert_int_eq(ipc_send(client, &m), 0);
	ck_assert_int_eq(ool_store_count(client, &after), 0);
	ck_assert_uint_eq(after, before);
	fds_same(f);
}
END_TEST

START_TEST(client_refuses_hostile_values)
{
	struct fds f = fds_now();
	struct hostile_value h[32];
	struct ipc_msg m;
	struct ool_blob *b = malloc(sizeof *b);
	uint8_t *back = malloc(OOL_BIG);
	for (int blob = 1; blob >= 0; blob--) {
		size_t n = hostile_values(h, blob);
		for (size_t i = 0; i < n; i++) {
			bool has = false;
			size_t nback = 0;
			words_msg(&m, 0, h[i].msg, h[i].nmsg, value_region(&h[i]));
			int st = blob ? ool_store_blob_async_finish(0, &m, b)
			              : ool_store_maybe_async_finish(0, &m, &has, back, &nback);
			ck_assert_msg(st == h[i].want, "%s: %s", blob ? "blob" : "maybe", h[i].what);
		}
	}
	for (int k = 0; k < 3; k++) {
		uint64_t *w = maybe_region(k), one = IPC_OOL_FLAG | 502;
		bool has;
		size_t nback;
		words_msg(&m, 0, &one, 1, region_words(w, 502, true));
		ck_assert_int_eq(ool_store_maybe_async_finish(0, &m, &has, back, &nback), IPC_EPROTO);
		free(w);
	}
	free(b);
	free(back);
	fds_same(f);
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
	tcase_add_test(tc, list_of_scalars_every_count_both_ways);
	tcase_add_test(tc, list_of_structs_every_count_both_ways);
	tcase_add_test(tc, list_of_strings_every_count_both_ways);
	tcase_add_test(tc, lists_split_form_and_sends);
	tcase_add_test(tc, server_refuses_hostile_lists);
	tcase_add_test(tc, client_refuses_hostile_lists);
	tcase_add_test(tc, structs_every_length_both_ways);
	tcase_add_test(tc, optionals_every_length_both_ways);
	tcase_add_test(tc, lists_of_blobs_and_mixed_sides);
	tcase_add_test(tc, structs_split_form_and_sends);
	tcase_add_test(tc, server_refuses_hostile_values);
	tcase_add_test(tc, client_refuses_hostile_values);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
