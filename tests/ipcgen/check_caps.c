/*
 * check_caps.c: capabilities in any shape (optional ones, several lists, a
 * list before another capability) end to end over the POSIX port: stubs
 * generated from tests/ipcgen/ok/caps.ipc, a server in a child process.
 * Each capability is the write end of a pipe, so that which one came back
 * where is seen by writing to it; every descriptor is accounted for.
 * Besides the round trips: what a client refuses, what a server faults,
 * and hostile shapes sent and answered by hand.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mercury/posix.h>
#include "../protocols/harness.h"
#include "caps.h"

/* ---- the server ---------------------------------------------------------------- */

static uint32_t drops_with, drops_without;

static int srv_swap(struct caps_box *self, ipc_cap a, const ipc_cap *fds, size_t nfds,
                    const ipc_cap *ports, size_t nports, uint32_t extra, ipc_cap *one,
                    ipc_cap *out, size_t *nout, ipc_cap *more, size_t *nmore, uint32_t *result)
{
	(void)self;
	*result = (uint32_t)((a != IPC_CAP_NONE) + nfds + nports);
	if (extra == 1000) {                    /* refused: it releases what it took */
		ipc_drop_made(&a, 1);
		ipc_drop_caps(fds, nfds, 0);
		ipc_drop_caps(ports, nports, 0);
		return CAPS_ERR_REFUSED;
	}
	*one = a;
	memcpy(out, fds, nfds * sizeof *fds);
	*nout = nfds;
	memcpy(more, ports, nports * sizeof *ports);
	*nmore = nports;
	for (uint32_t i = 0; i < extra && *nmore < IPC_MAX_CAPS; i++) {
		ipc_cap x, y;
		if (ipc_posix_pair(&x, &y) != 0)
			return IPC_ENOMEM;
		ipc_cap_drop(y);
		more[(*nmore)++] = x;
	}
	return 0;
}

static int srv_first(struct caps_box *self, const ipc_cap *fds, size_t nfds, ipc_cap last,
                     uint32_t *n, bool *has_last)
{
	(void)self;
	*n = (uint32_t)nfds;
	*has_last = last != IPC_CAP_NONE;
	ipc_drop_caps(fds, nfds, 0);
	ipc_cap_drop(last);
	return 0;
}

static int srv_later(struct caps_box *self, ipc_cap a, const ipc_cap *fds, size_t nfds,
                     ipc_cap *one, ipc_cap *out, size_t *nout)
{
	(void)self, (void)one, (void)out, (void)nout;
	ipc_cap r;
	int st = ipc_reply_save(&r);
	if (st != 0)
		return st;
	caps_box_later_reply(r, 0, a, fds, nfds);   /* moves them into the reply */
	return IPC_DEFERRED;
}

static void srv_drop(struct caps_box *self, ipc_cap x, uint32_t tag)
{
	(void)self, (void)tag;
	if (x != IPC_CAP_NONE) {
		drops_with++;
		ipc_cap_drop(x);
	} else {
		drops_without++;
	}
}

static int srv_drops(struct caps_box *self, uint32_t *with, uint32_t *without)
{
	(void)self;
	*with = drops_with;
	*without = drops_without;
	return 0;
}

static const struct caps_box_iface impl = {
	.swap = srv_swap, .first = srv_first, .later = srv_later, .drop = srv_drop,
	.drops = srv_drops,
};

/* ---- the fixture ------------------------------------------------------------------- */

static ipc_cap client;
static pid_t server;

static void serve(ipc_cap ep)
{
	struct caps_box obj;
	caps_box_init(&obj, &impl, ep);
	for (;;)
		caps_box_dispatch(&obj);
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

/* A capability for the write end of a fresh pipe; its read end in *rfd. */
static ipc_cap pipe_cap(int *rfd)
{
	int p[2];
	ipc_cap c;
	ck_assert_int_eq(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
	ck_assert_int_eq(ipc_posix_adopt(p[1], &c), 0);
	*rfd = p[0];
	return c;
}

/* Whether c writes into the pipe whose read end is rfd. */
static bool same_pipe(ipc_cap c, int rfd)
{
	char x = 'x';
	if (write(ipc_posix_fd(c), &x, 1) != 1)
		return false;
	return read(rfd, &x, 1) == 1;
}

/* ---- round trips ------------------------------------------------------------------- */

START_TEST(every_shape_comes_back_where_it_belongs)
{
	int fds0 = open_fds();
	for (int shape = 0; shape < 4; shape++) {
		int ra, rf[3], rp[2];
		bool with_a = shape & 1;
		size_t nf = shape & 2 ? 3 : 0, np = 2;
		ipc_cap a = with_a ? pipe_cap(&ra) : IPC_CAP_NONE;
		ipc_cap f[3], p[2];
		for (size_t i = 0; i < nf; i++)
			f[i] = pipe_cap(&rf[i]);
		for (size_t i = 0; i < np; i++)
			p[i] = pipe_cap(&rp[i]);
		ipc_cap one = 123, out[IPC_MAX_CAPS], more[IPC_MAX_CAPS];
		size_t nout = 99, nmore = 99;
		uint32_t n = 0;
		ck_assert_int_eq(caps_box_swap(client, a, f, nf, p, np, 0, &one, out, &nout, more,
		                               &nmore, &n), 0);
		ck_assert_uint_eq(n, with_a + nf + np);
		if (with_a) {
			ck_assert(same_pipe(one, ra));
			ck_assert_int_eq(ipc_cap_drop(one), 0);
			close(ra);
		} else {
			ck_assert(one == IPC_CAP_NONE);
		}
		ck_assert_uint_eq(nout, nf);
		for (size_t i = 0; i < nf; i++) {
			ck_assert(same_pipe(out[i], rf[i]));
			ipc_cap_drop(out[i]);
			close(rf[i]);
		}
		ck_assert_uint_eq(nmore, np);
		for (size_t i = 0; i < np; i++) {
			ck_assert(same_pipe(more[i], rp[i]));
			ipc_cap_drop(more[i]);
			close(rp[i]);
		}
	}
	ck_assert_int_eq(open_fds(), fds0);
}
END_TEST

START_TEST(a_list_first_then_a_capability)
{
	int r[5];
	ipc_cap f[4];
	for (int i = 0; i < 4; i++)
		f[i] = pipe_cap(&r[i]);
	ipc_cap last = pipe_cap(&r[4]);
	uint32_t n = 0;
	bool has_last = false;
	ck_assert_int_eq(caps_box_first(client, f, 4, last, &n, &has_last), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert(has_last);
	ck_assert_int_eq(caps_box_first(client, NULL, 0, pipe_cap(&r[0]), &n, &has_last), 0);
	ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(reply_function_and_split_form)
{
	int fds0 = open_fds();
	int ra, rf[2];
	ipc_cap a = pipe_cap(&ra), f[2] = {pipe_cap(&rf[0]), pipe_cap(&rf[1])};
	ipc_cap one, out[IPC_MAX_CAPS];
	size_t nout = 0;
	ck_assert_int_eq(caps_box_later(client, a, f, 2, &one, out, &nout), 0);
	ck_assert(same_pipe(one, ra));
	ck_assert_uint_eq(nout, 2);
	ck_assert(same_pipe(out[0], rf[0]) && same_pipe(out[1], rf[1]));
	ipc_cap_drop(one);
	ipc_drop_caps(out, nout, 0);
	/* The same through the split form, with nothing optional there. */
	ipc_call_t call;
	ck_assert_int_eq(caps_box_later_async_start(client, IPC_CAP_NONE, f, 0, -1, &call), 0);
	one = 7;
	ck_assert_int_eq(caps_box_later_async_wait(client, call, 5000, &one, out, &nout), 0);
	ck_assert(one == IPC_CAP_NONE);
	ck_assert_uint_eq(nout, 0);
	close(ra), close(rf[0]), close(rf[1]);
	ck_assert_int_eq(open_fds(), fds0);
}
END_TEST

START_TEST(a_send_with_and_without_its_capability)
{
	int r;
	ck_assert_int_eq(caps_box_drop(client, pipe_cap(&r), 1), 0);
	ck_assert_int_eq(caps_box_drop(client, IPC_CAP_NONE, 2), 0);
	ck_assert_int_eq(caps_box_drop(client, IPC_CAP_NONE, 3), 0);
	uint32_t with = 0, without = 0;
	ck_assert_int_eq(caps_box_drops(client, &with, &without), 0);
	ck_assert_uint_eq(with, 1);
	ck_assert_uint_eq(without, 2);
	close(r);
}
END_TEST

/* ---- refused, and faults ------------------------------------------------------------ */

START_TEST(client_refuses_and_releases)
{
	int fds0 = open_fds();
	int r[IPC_MAX_CAPS + 1];
	ipc_cap f[IPC_MAX_CAPS + 1], one, out[IPC_MAX_CAPS], more[IPC_MAX_CAPS];
	size_t nout, nmore;
	uint32_t n;
	/* 17 in all: 1 + 10 + 6 */
	for (int i = 0; i < IPC_MAX_CAPS + 1; i++)
		f[i] = pipe_cap(&r[i]);
	ck_assert_int_eq(caps_box_swap(client, f[0], f + 1, 10, f + 11, 6, 0, &one, out, &nout, more,
	                               &nmore, &n), IPC_EINVAL);
	/* every one of them released: writing to it now fails */
	for (int i = 0; i < IPC_MAX_CAPS + 1; i++)
		close(r[i]);
	ck_assert_int_eq(open_fds(), fds0);
	/* a list NULL with a count: the others still released */
	ipc_cap a = pipe_cap(&r[0]);
	ck_assert_int_eq(caps_box_swap(client, a, NULL, 2, NULL, 0, 0, &one, out, &nout, more, &nmore,
	                               &n), IPC_EINVAL);
	close(r[0]);
	ck_assert_int_eq(open_fds(), fds0);
	/* NULL for a returned list */
	a = pipe_cap(&r[0]);
	ck_assert_int_eq(caps_box_swap(client, a, NULL, 0, NULL, 0, 0, &one, NULL, &nout, more,
	                               &nmore, &n), IPC_EINVAL);
	close(r[0]);
	ck_assert_int_eq(open_fds(), fds0);
}
END_TEST

START_TEST(server_faults_on_too_many_and_releases_them)
{
	int fds0 = open_fds();
	int r[10];
	ipc_cap f[10], one, out[IPC_MAX_CAPS], more[IPC_MAX_CAPS];
	size_t nout, nmore;
	uint32_t n;
	for (int i = 0; i < 10; i++)
		f[i] = pipe_cap(&r[i]);
	/* 10 back plus 8 made: 18, more than a message carries */
	ck_assert_int_eq(caps_box_swap(client, IPC_CAP_NONE, f, 5, f + 5, 5, 8, &one, out, &nout, more,
	                               &nmore, &n), IPC_EFAULT);
	for (int i = 0; i < 10; i++)
		close(r[i]);
	ck_assert_int_eq(open_fds(), fds0);
	/* A declared error: nothing comes back. */
	ipc_cap a = pipe_cap(&r[0]);
	one = 5;
	ck_assert_int_eq(caps_box_swap(client, a, NULL, 0, NULL, 0, 1000, &one, out, &nout, more,
	                               &nmore, &n), CAPS_ERR_REFUSED);
	close(r[0]);
	ck_assert_int_eq(open_fds(), fds0);
	/* and the server goes on */
	ck_assert_int_eq(caps_box_swap(client, IPC_CAP_NONE, NULL, 0, NULL, 0, 2, &one, out, &nout,
	                               more, &nmore, &n), 0);
	ck_assert_uint_eq(nmore, 2);
	ipc_drop_caps(more, nmore, 0);
}
END_TEST

/* ---- hostile shapes by hand ------------------------------------------------------------- */

/* A request to swap with words w and k capabilities (pipes): its status. */
static int raw_swap(const uint64_t *w, uint32_t nw, uint32_t k)
{
	struct ipc_msg m;
	int r;
	ipc_msg_init(&m, CAPS_BOX_SWAP, nw, k);
	memcpy(m.word, w, nw * sizeof *w);
	for (uint32_t i = 0; i < k; i++) {
		m.cap[i] = pipe_cap(&r);
		close(r);
	}
	int st = ipc_call(client, &m);
	if (st != 0)
		return st;
	ipc_drop_caps(m.cap, m.ncaps, 0);
	return (int)ipc_word_signed(m.label);
}

START_TEST(server_refuses_hostile_shapes)
{
	int fds0 = open_fds();
	/* words: a present, nfds, nports, extra */
	ck_assert_int_eq(raw_swap((uint64_t[]){1, 1, 1, 0}, 4, 3), 0);          /* well formed */
	ck_assert_int_eq(raw_swap((uint64_t[]){2, 1, 1, 0}, 4, 4), IPC_EPROTO); /* presence 2 */
	ck_assert_int_eq(raw_swap((uint64_t[]){1, 1, 1, 0}, 4, 2), IPC_EPROTO); /* one missing */
	ck_assert_int_eq(raw_swap((uint64_t[]){0, 1, 1, 0}, 4, 3), IPC_EPROTO); /* one too many */
	ck_assert_int_eq(raw_swap((uint64_t[]){0, 17, 0, 0}, 4, 16), IPC_EPROTO); /* count past 16 */
	ck_assert_int_eq(raw_swap((uint64_t[]){0, (uint64_t)-1, 1, 0}, 4, 0), IPC_EPROTO); /* wraps */
	ck_assert_int_eq(raw_swap((uint64_t[]){0, 0, 0}, 3, 0), IPC_EPROTO);    /* a word short */
	ck_assert_int_eq(open_fds(), fds0);
}
END_TEST

START_TEST(client_refuses_hostile_replies)
{
	int fds0 = open_fds();
	ipc_cap one, out[IPC_MAX_CAPS], more[IPC_MAX_CAPS];
	size_t nout, nmore;
	uint32_t n;
	static const struct { uint64_t w[4]; uint32_t k; } bad[] = {
		{{2, 0, 0, 1}, 1},    /* presence 2 */
		{{1, 1, 0, 1}, 1},    /* says 2, carries 1 */
		{{0, 0, 0, 1}, 1},    /* says 0, carries 1 */
		{{0, 17, 0, 1}, 16},  /* count past 16 */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct ipc_msg m;
		int r;
		ipc_msg_init(&m, 0, 4, bad[i].k);
		memcpy(m.word, bad[i].w, sizeof bad[i].w);
		for (uint32_t k = 0; k < bad[i].k; k++) {
			m.cap[k] = pipe_cap(&r);
			close(r);
		}
		ck_assert_int_eq(caps_box_swap_async_finish(0, &m, &one, out, &nout, more, &nmore, &n),
		                 IPC_EPROTO);
	}
	ck_assert_int_eq(open_fds(), fds0);   /* each reply's capabilities released */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("caps");
	TCase *tc = tcase_create("caps");
	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, start, stop);
	tcase_add_test(tc, every_shape_comes_back_where_it_belongs);
	tcase_add_test(tc, a_list_first_then_a_capability);
	tcase_add_test(tc, reply_function_and_split_form);
	tcase_add_test(tc, a_send_with_and_without_its_capability);
	tcase_add_test(tc, client_refuses_and_releases);
	tcase_add_test(tc, server_faults_on_too_many_and_releases_them);
	tcase_add_test(tc, server_refuses_hostile_shapes);
	tcase_add_test(tc, client_refuses_hostile_replies);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
