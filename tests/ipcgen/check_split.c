/*
 * check_split.c: the split form ipcgen writes for every call (NAME_start,
 * NAME_async, NAME_wait, NAME_finish) end to end over the POSIX port:
 * stubs generated from tests/ipcgen/ok/split.ipc, a server in a child
 * process that holds calls and answers them last first.  Many calls
 * outstanding on one connection, replies matched whatever their order,
 * callbacks, deadlines, cancelling (a cancelled call's returned capability
 * released), a reply read twice or never, and hostile replies given to
 * NAME_finish by hand.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mercury/posix.h>
#include "../protocols/harness.h"
#include "split.h"

/* ---- the server ---------------------------------------------------------------- */

#define MAXHELD IPC_POSIX_MAX_SAVED   /* what the runtime lets a connection hold */

static struct held {
	ipc_cap reply;
	bool make;
	uint64_t x;
} held[MAXHELD];
static unsigned nheld;

static int hold_one(bool make, uint64_t x)
{
	if (nheld == MAXHELD)
		return SPLIT_ERR_BUSY;
	ipc_cap r;
	int st = ipc_reply_save(&r);
	if (st != 0)
		return st;
	held[nheld++] = (struct held){r, make, x};
	return IPC_DEFERRED;
}

static int srv_inc(struct split_svc *self, uint64_t x, uint64_t *result)
{
	(void)self;
	*result = x + 1;
	return 0;
}

static int srv_hold(struct split_svc *self, uint64_t x, uint64_t *result)
{
	(void)self, (void)result;
	return hold_one(false, x);
}

static int srv_release(struct split_svc *self, uint32_t *result)
{
	*result = nheld;
	while (nheld) {
		struct held *h = &held[--nheld];
		if (!h->make) {
			split_svc_hold_reply(h->reply, 0, h->x * 10);
			continue;
		}
		ipc_cap conn;
		if (ipc_posix_connection(self->endpoint, &conn) != 0) {
			split_svc_make_reply(h->reply, IPC_ENOMEM, IPC_CAP_NONE, NULL, NULL, 0, NULL);
			continue;
		}
		struct split_pair p = {h->x, ""};
		snprintf(p.name, sizeof p.name, "pair%u", (unsigned)h->x);
		uint16_t tags[4] = {1, 2, 3, 4};
		split_svc_make_reply(h->reply, 0, conn, &p, tags, h->x % 5, h->x % 2 ? "odd" : NULL);
	}
	return 0;
}

static int srv_make(struct split_svc *self, uint32_t n, ipc_cap *conn, struct split_pair *p,
                    uint16_t *tags, size_t *ntags, bool *has_note, char *note)
{
	(void)self, (void)conn, (void)p, (void)tags, (void)ntags, (void)has_note, (void)note;
	return hold_one(true, n);
}

static int srv_fail(struct split_svc *self, uint32_t code)
{
	(void)self;
	return code == 1 ? SPLIT_ERR_BUSY : code == 2 ? SPLIT_ERR_GONE : 0;
}

static int srv_echo(struct split_svc *self, const char *s, char *result)
{
	(void)self;
	strcpy(result, s);
	return 0;
}

static const struct split_svc_iface impl = {
	.inc = srv_inc, .hold = srv_hold, .release = srv_release, .make = srv_make,
	.fail = srv_fail, .echo = srv_echo,
};

/* ---- the fixture: a server child, two connections to it -------------------------- */

static ipc_cap conn, other;   /* calls are started on conn; release goes on other */
static pid_t server;

static void serve(ipc_cap ep)
{
	struct split_svc obj;
	split_svc_init(&obj, &impl, ep);
	for (;;)
		split_svc_dispatch(&obj);
}

static void start(void)
{
	ipc_cap c[2];
	server = fork_server(serve, c, 2);
	conn = c[0];
	other = c[1];
}

static void stop(void)
{
	ipc_cap_drop(conn);
	ipc_cap_drop(other);
	stop_child(server);
}

/* Once this returns, the server has taken every call started on conn
 * before it: it serves a connection's requests in order. */
static void settle(void)
{
	ipc_call_t call;
	uint64_t r = 0;
	ck_assert_int_eq(split_svc_inc_async_start(conn, 1, -1, &call), 0);
	ck_assert_int_eq(split_svc_inc_async_wait(conn, call, 5000, &r), 0);
	ck_assert_uint_eq(r, 2);
}

static unsigned release(void)
{
	uint32_t n = 0;
	ck_assert_int_eq(split_svc_release(other, &n), 0);
	return n;
}

/* ---- many outstanding, answered in any order ------------------------------------- */

#define N MAXHELD

START_TEST(many_outstanding_collected_by_handle)
{
	ipc_call_t call[N];
	for (unsigned i = 0; i < N; i++) {
		ck_assert_int_eq(split_svc_hold_async_start(conn, i, -1, &call[i]), 0);
		ck_assert(call[i] != IPC_CALL_NONE);
	}
	/* A call started after them is answered at once, before them. */
	uint64_t r = 0;
	ipc_call_t quick;
	ck_assert_int_eq(split_svc_inc_async_start(conn, 41, -1, &quick), 0);
	ck_assert_int_eq(split_svc_inc_async_wait(conn, quick, 5000, &r), 0);
	ck_assert_uint_eq(r, 42);
	/* Not answered yet: IPC_EAGAIN, and each stays outstanding. */
	ck_assert_int_eq(split_svc_hold_async_wait(conn, call[0], 0, &r), IPC_EAGAIN);
	ck_assert_int_eq(split_svc_hold_async_wait(conn, call[N - 1], 50, &r), IPC_EAGAIN);
	/* A bad output pointer: refused before waiting, the call stays. */
	ck_assert_int_eq(split_svc_hold_async_wait(conn, call[3], -1, NULL), IPC_EINVAL);
	ck_assert_uint_eq(release(), N);
	/* Answered last first; collected first first. */
	for (unsigned i = 0; i < N; i++) {
		r = 0;
		ck_assert_int_eq(split_svc_hold_async_wait(conn, call[i], 5000, &r), 0);
		ck_assert_uint_eq(r, i * 10);
	}
	/* A call collected is over: its handle names nothing now. */
	ck_assert_int_lt(split_svc_hold_async_wait(conn, call[0], 0, &r), 0);
	ck_assert_int_ne(split_svc_hold_async_wait(conn, call[0], 0, &r), IPC_EAGAIN);
}
END_TEST

START_TEST(collected_as_they_end_with_finish)
{
	bool seen[N] = {false};
	ipc_call_t call[N];
	for (unsigned i = 0; i < N; i++)
		ck_assert_int_eq(split_svc_hold_async_start(conn, 100 + i, -1, &call[i]), 0);
	settle();
	ck_assert_uint_eq(release(), N);
	for (unsigned k = 0; k < N; k++) {
		struct ipc_msg m;
		ipc_call_t which;
		uint64_t r = 0;
		int st = ipc_call_next(conn, &which, &m, 5000);
		ck_assert_int_eq(split_svc_hold_async_finish(st, &m, &r), 0);
		unsigned i = 0;
		while (i < N && call[i] != which)
			i++;
		ck_assert_uint_lt(i, N);
		ck_assert(!seen[i]);
		seen[i] = true;
		ck_assert_uint_eq(r, (100 + i) * 10);
	}
	struct ipc_msg m;
	ipc_call_t which;
	ck_assert_int_eq(ipc_call_next(conn, &which, &m, 0), IPC_EINVAL);   /* none left */
}
END_TEST

/* ---- callbacks -------------------------------------------------------------------- */

struct made {
	int status, ran;
	ipc_cap conn;
	struct split_pair p;
	uint16_t tags[4];
	size_t ntags;
	bool has_note;
	char note[9];
};

static void make_done(int status, struct ipc_msg *reply, ipc_fn fn, void *arg)
{
	struct made *d = arg;
	ck_assert_ptr_null(fn);
	d->ran++;
	d->status = split_svc_make_async_finish(status, reply, &d->conn, &d->p, d->tags, &d->ntags,
	                                  &d->has_note, d->note);
}

START_TEST(callbacks_with_several_results_and_a_capability)
{
	struct made d[6];
	memset(d, 0, sizeof d);
	for (unsigned i = 0; i < 6; i++)
		ck_assert_int_eq(split_svc_make_async_cb(conn, i, -1, make_done, NULL, &d[i], NULL), 0);
	settle();
	ck_assert_int_eq(ipc_call_dispatch(conn, 0), 0);   /* none has ended */
	ck_assert_uint_eq(release(), 6);
	int ran = 0;
	while (ran < 6) {
		int n = ipc_call_dispatch(conn, 5000);
		ck_assert_int_gt(n, 0);
		ran += n;
	}
	for (unsigned i = 0; i < 6; i++) {
		ck_assert_int_eq(d[i].ran, 1);
		ck_assert_int_eq(d[i].status, 0);
		ck_assert_uint_eq(d[i].p.n, i);
		char name[16];
		snprintf(name, sizeof name, "pair%u", i);
		ck_assert_str_eq(d[i].p.name, name);
		ck_assert_uint_eq(d[i].ntags, i % 5);
		for (size_t k = 0; k < d[i].ntags; k++)
			ck_assert_uint_eq(d[i].tags[k], k + 1);
		ck_assert(d[i].has_note == (i % 2 == 1));
		if (d[i].has_note)
			ck_assert_str_eq(d[i].note, "odd");
		/* The returned capability is the caller's: a working connection. */
		uint64_t r = 0;
		ck_assert_int_eq(split_svc_inc(d[i].conn, i, &r), 0);
		ck_assert_uint_eq(r, i + 1);
		ck_assert_int_eq(ipc_cap_drop(d[i].conn), 0);
	}
}
END_TEST

static int errs_seen[3];

static void fail_done(int status, struct ipc_msg *reply, ipc_fn fn, void *arg)
{
	(void)fn;
	errs_seen[(uintptr_t)arg] = split_svc_fail_async_finish(status, reply);
}

START_TEST(errors_through_the_split_form)
{
	for (uintptr_t code = 0; code < 3; code++)
		ck_assert_int_eq(split_svc_fail_async_cb(conn, (uint32_t)code, -1, fail_done, NULL,
		                                      (void *)code, NULL), 0);
	int ran = 0;
	while (ran < 3) {
		int n = ipc_call_dispatch(conn, 5000);
		ck_assert_int_gt(n, 0);
		ran += n;
	}
	ck_assert_int_eq(errs_seen[0], 0);
	ck_assert_int_eq(errs_seen[1], SPLIT_ERR_BUSY);
	ck_assert_int_eq(errs_seen[2], IPC_EFAULT);   /* gone: the server refuses an error fail does not declare */
	ipc_call_t call;
	ck_assert_int_eq(split_svc_fail_async_start(conn, 1, -1, &call), 0);
	ck_assert_int_eq(split_svc_fail_async_wait(conn, call, 5000), SPLIT_ERR_BUSY);
}
END_TEST

/* ---- what a client refuses, before anything is sent -------------------------------- */

START_TEST(invalid_arguments_start_nothing)
{
	ipc_call_t call = 12345;
	ck_assert_int_eq(split_svc_echo_async_start(conn, "\xff", -1, &call), IPC_EINVAL);
	ck_assert(call == IPC_CALL_NONE);
	call = 12345;
	ck_assert_int_eq(split_svc_echo_async_start(conn, "too long a string", -1, &call), IPC_EINVAL);
	ck_assert(call == IPC_CALL_NONE);
	ck_assert_int_eq(split_svc_echo_async_cb(conn, NULL, -1, fail_done, NULL, NULL, NULL), IPC_EINVAL);
	ck_assert_int_eq(split_svc_echo_async_start(conn, "fine", -1, NULL), 0);   /* no handle wanted */
	struct ipc_msg m;
	ipc_call_t which;
	char s[9];
	int st = ipc_call_next(conn, &which, &m, 5000);
	ck_assert_int_eq(split_svc_echo_async_finish(st, &m, s), 0);
	ck_assert_str_eq(s, "fine");
	ck_assert_int_eq(ipc_call_next(conn, &which, &m, 0), IPC_EINVAL);   /* nothing else went */
}
END_TEST

/* ---- deadlines and cancelling ------------------------------------------------------ */

START_TEST(deadline_passes_and_late_reply_is_dropped)
{
	int fds = open_fds();
	ipc_call_t call;
	uint64_t r = 0;
	ck_assert_int_eq(split_svc_hold_async_start(conn, 7, 50, &call), 0);
	ck_assert_int_eq(split_svc_hold_async_wait(conn, call, -1, &r), IPC_ETIMEDOUT);
	/* The same for a reply that carries a capability: it is released. */
	struct made d;
	memset(&d, 0, sizeof d);
	ck_assert_int_eq(split_svc_make_async_cb(conn, 3, 50, make_done, NULL, &d, NULL), 0);
	while (!d.ran)
		ck_assert_int_ge(ipc_call_dispatch(conn, 5000), 0);
	ck_assert_int_eq(d.status, IPC_ETIMEDOUT);
	settle();
	ck_assert_uint_eq(release(), 2);   /* both late replies come now */
	/* The connection goes on; the late replies were read and dropped. */
	ck_assert_int_eq(split_svc_inc(conn, 1, &r), 0);
	ck_assert_uint_eq(r, 2);
	ck_assert_int_eq(split_svc_inc(conn, 2, &r), 0);
	ck_assert_uint_eq(r, 3);
	ck_assert_int_eq(open_fds(), fds);
}
END_TEST

START_TEST(cancelled_call_releases_its_capability)
{
	int fds = open_fds();
	struct made d;
	memset(&d, 0, sizeof d);
	ipc_call_t call, kept;
	ck_assert_int_eq(split_svc_make_async_cb(conn, 4, -1, make_done, NULL, &d, &call), 0);
	ck_assert_int_eq(split_svc_make_async_start(conn, 5, -1, &kept), 0);
	ck_assert_int_eq(ipc_call_cancel(conn, call), 0);
	settle();
	ck_assert_uint_eq(release(), 2);
	ipc_cap c = IPC_CAP_NONE;
	struct split_pair p;
	uint16_t tags[4];
	size_t ntags;
	bool has_note;
	char note[9];
	ck_assert_int_eq(split_svc_make_async_wait(conn, kept, 5000, &c, &p, tags, &ntags, &has_note, note), 0);
	ck_assert_uint_eq(p.n, 5);
	ck_assert_int_eq(ipc_cap_drop(c), 0);
	ck_assert_int_eq(ipc_call_dispatch(conn, 0), 0);
	ck_assert_int_eq(d.ran, 0);   /* a cancelled call's callback never runs */
	uint64_t r;
	ck_assert_int_eq(split_svc_inc(conn, 9, &r), 0);
	ck_assert_int_eq(open_fds(), fds);
}
END_TEST

/* ---- _finish on replies made by hand ------------------------------------------------ */

START_TEST(finish_refuses_hostile_replies)
{
	int fds = open_fds();
	struct ipc_msg m;
	uint64_t r = 0;
	ipc_cap c;
	struct split_pair p;
	uint16_t tags[4];
	size_t ntags;
	bool has_note;
	char note[9];
	/* A transport status is given back as it is. */
	ck_assert_int_eq(split_svc_hold_async_finish(IPC_ETIMEDOUT, &m, &r), IPC_ETIMEDOUT);
	/* A trailing word. */
	ipc_msg_init(&m, 0, 2, 0);
	m.word[0] = 5;
	m.word[1] = 0;
	ck_assert_int_eq(split_svc_hold_async_finish(0, &m, &r), IPC_EPROTO);
	/* No word. */
	ipc_msg_init(&m, 0, 0, 0);
	ck_assert_int_eq(split_svc_hold_async_finish(0, &m, &r), IPC_EPROTO);
	/* An error hold does not declare. */
	ipc_msg_init(&m, (uint64_t)SPLIT_ERR_GONE, 0, 0);
	ck_assert_int_eq(split_svc_hold_async_finish(0, &m, &r), IPC_EPROTO);
	ipc_msg_init(&m, (uint64_t)SPLIT_ERR_BUSY, 0, 0);
	ck_assert_int_eq(split_svc_hold_async_finish(0, &m, &r), SPLIT_ERR_BUSY);
	/* A reply with a capability it must release: a list count past the
	 * bound, then an optional's presence flag 2, then a missing capability. */
	ipc_cap pa, pb;
	ck_assert_int_eq(ipc_posix_pair(&pa, &pb), 0);
	ipc_cap_drop(pb);
	uint64_t words[][6] = {
		{1, 1, (uint64_t)'x', 5, 0, 0},   /* pair{1, "x"}, 5 tags: past 4 */
		{1, 1, (uint64_t)'x', 0, 2, 0},   /* no tags, presence 2 */
	};
	for (size_t k = 0; k < 2; k++) {
		ipc_cap dup;
		ck_assert_int_eq(ipc_posix_copy(conn, &dup), 0);
		ipc_msg_init(&m, 0, 5, 1);
		memcpy(m.word, words[k], 5 * sizeof m.word[0]);
		m.cap[0] = dup;
		ck_assert_int_eq(split_svc_make_async_finish(0, &m, &c, &p, tags, &ntags, &has_note, note),
		                 IPC_EPROTO);
		ck_assert_int_ne(ipc_cap_drop(dup), 0);   /* released by finish */
	}
	ipc_msg_init(&m, 0, 5, 0);
	memcpy(m.word, (uint64_t[]){1, 1, (uint64_t)'x', 0, 0}, 5 * sizeof m.word[0]);
	ck_assert_int_eq(split_svc_make_async_finish(0, &m, &c, &p, tags, &ntags, &has_note, note), IPC_EPROTO);
	/* NULL outputs: refused, the reply's capabilities released. */
	ipc_cap dup;
	ck_assert_int_eq(ipc_posix_copy(conn, &dup), 0);
	ipc_msg_init(&m, 0, 5, 1);
	memcpy(m.word, (uint64_t[]){1, 1, (uint64_t)'x', 0, 0}, 5 * sizeof m.word[0]);
	m.cap[0] = dup;
	ck_assert_int_eq(split_svc_make_async_finish(0, &m, NULL, &p, tags, &ntags, &has_note, note), IPC_EINVAL);
	ck_assert_int_ne(ipc_cap_drop(dup), 0);
	ipc_cap_drop(pa);
	ck_assert_int_eq(open_fds(), fds);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("split");
	TCase *tc = tcase_create("split");
	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, start, stop);
	tcase_add_test(tc, many_outstanding_collected_by_handle);
	tcase_add_test(tc, collected_as_they_end_with_finish);
	tcase_add_test(tc, callbacks_with_several_results_and_a_capability);
	tcase_add_test(tc, errors_through_the_split_form);
	tcase_add_test(tc, invalid_arguments_start_nothing);
	tcase_add_test(tc, deadline_passes_and_late_reply_is_dropped);
	tcase_add_test(tc, cancelled_call_releases_its_capability);
	tcase_add_test(tc, finish_refuses_hostile_replies);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
