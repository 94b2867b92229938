/*
 * check_threads.c: one endpoint served from several threads
 * (ipc_posix_serve_threads), saved replies answered from other threads,
 * and many client threads in the same process, each on its own connection
 * or sharing one, calling synchronously and asynchronously.  Built twice:
 * plain, and under ThreadSanitizer (check-runtime-threads-tsan), which
 * fails the test on any data race in the runtime.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mercury/ipc.h"
#include "mercury/posix.h"

#define TEST_ID 0x7411u
enum {
	M_ADD = 1,  /* reply word[0] + word[1] */
	M_NAP,      /* sleep 1 ms (a blocking implementation), reply word[0] */
	M_DEFER,    /* saved; a worker thread answers word[0] * 2 */
	M_MEET,     /* wait until word[0] calls are inside at once, reply how many */
};
#define L(m) IPC_LABEL(TEST_ID, (m))

/* The server: a hand-written dispatch as a generated one would be. */
static ipc_cap server_ep;
static atomic_long served;

/* Saved replies, answered by the worker. */
static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_cond = PTHREAD_COND_INITIALIZER;
static struct {
	ipc_cap reply;
	uint64_t w;
} q[1024];
static size_t q_len;
static bool q_stop;

/* M_MEET's rendezvous. */
static pthread_mutex_t meet_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t meet_cond = PTHREAD_COND_INITIALIZER;
static unsigned meet_in, meet_max;

static int meet(unsigned want)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 20; /* a bound, so that a failure ends by itself */
	pthread_mutex_lock(&meet_lock);
	meet_in++;
	if (meet_in > meet_max)
		meet_max = meet_in;
	pthread_cond_broadcast(&meet_cond);
	int rc = 0;
	while (meet_max < want && rc == 0)
		rc = pthread_cond_timedwait(&meet_cond, &meet_lock, &ts);
	meet_in--;
	unsigned got = meet_max;
	pthread_mutex_unlock(&meet_lock);
	return (int)got;
}

static int dispatch(void *obj)
{
	(void)obj;
	struct ipc_msg in, out;
	int rc = ipc_recv(server_ep, &in);
	if (rc < 0)
		return rc;
	atomic_fetch_add(&served, 1);
	ipc_drop_caps(in.cap, in.ncaps, 0);
	ipc_msg_init(&out, 0, 1, 0);
	out.word[0] = 0;
	switch (IPC_LABEL_METHOD(in.label)) {
	case M_ADD:
		out.word[0] = in.word[0] + in.word[1];
		break;
	case M_NAP:
		usleep(1000);
		out.word[0] = in.word[0];
		break;
	case M_DEFER: {
		ipc_cap r;
		if ((rc = ipc_reply_save(&r)) < 0) {
			out.label = (uint64_t)(int64_t)rc;
			out.nwords = 0;
			break;
		}
		pthread_mutex_lock(&q_lock);
		if (q_len < sizeof q / sizeof q[0]) {
			q[q_len].reply = r;
			q[q_len++].w = in.word[0];
			r = IPC_CAP_NONE;
		}
		pthread_cond_signal(&q_cond);
		pthread_mutex_unlock(&q_lock);
		if (r != IPC_CAP_NONE)
			ipc_cap_drop(r); /* its caller gets IPC_EPEER */
		return 0;
	}
	case M_MEET:
		out.word[0] = (uint64_t)meet((unsigned)in.word[0]);
		break;
	default:
		out.label = (uint64_t)(int64_t)IPC_ENOSYS;
		out.nwords = 0;
	}
	return ipc_reply(&out);
}

static void *worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&q_lock);
	for (;;) {
		while (!q_len && !q_stop)
			pthread_cond_wait(&q_cond, &q_lock);
		if (!q_len && q_stop)
			break;
		ipc_cap r = q[--q_len].reply;
		uint64_t w = q[q_len].w;
		pthread_mutex_unlock(&q_lock);
		struct ipc_msg m;
		ipc_msg_init(&m, 0, 1, 0);
		m.word[0] = w * 2;
		ipc_reply_to(r, &m);
		pthread_mutex_lock(&q_lock);
	}
	pthread_mutex_unlock(&q_lock);
	return NULL;
}

struct serve_job {
	unsigned nthreads;
	int status;
};

static void *serve_thread(void *arg)
{
	struct serve_job *j = arg;
	j->status = ipc_posix_serve_threads(server_ep, j->nthreads, dispatch, NULL);
	return NULL;
}

static pthread_t serve_tid, worker_tid;
static struct serve_job serve_job;

static void start_server(unsigned nthreads)
{
	atomic_store(&served, 0);
	q_len = 0;
	q_stop = false;
	meet_in = meet_max = 0;
	ck_assert_int_eq(ipc_posix_endpoint(&server_ep), 0);
	serve_job.nthreads = nthreads;
	ck_assert_int_eq(pthread_create(&serve_tid, NULL, serve_thread, &serve_job), 0);
	ck_assert_int_eq(pthread_create(&worker_tid, NULL, worker, NULL), 0);
}

static void stop_server(void)
{
	ck_assert_int_eq(ipc_posix_stop(server_ep), 0);
	pthread_join(serve_tid, NULL);
	ck_assert_int_eq(serve_job.status, 0);
	pthread_mutex_lock(&q_lock);
	q_stop = true;
	pthread_cond_signal(&q_cond);
	pthread_mutex_unlock(&q_lock);
	pthread_join(worker_tid, NULL);
	ck_assert_int_eq(ipc_cap_drop(server_ep), 0);
}

/* A client thread: a mix of calls on its connection. */
struct client {
	ipc_cap conn;
	int id, rounds, ok;
	bool shared; /* its connection is others' too: wait by handle */
};

static bool add_call(ipc_cap c, uint64_t a, uint64_t b)
{
	struct ipc_msg m;
	ipc_msg_init(&m, L(M_ADD), 2, 0);
	m.word[0] = a;
	m.word[1] = b;
	return ipc_call(c, &m) == 0 && m.label == 0 && m.word[0] == a + b;
}

static void *client_thread(void *arg)
{
	struct client *cl = arg;
	ipc_cap c = cl->conn;
	uint64_t base = (uint64_t)cl->id << 40;
	for (int r = 0; r < cl->rounds; r++) {
		if (!add_call(c, base, (uint64_t)r))
			return NULL;
		/* Pipelined: adds, naps and deferred calls outstanding at once. */
		enum { K = 12 };
		ipc_call_t h[K];
		uint64_t want[K];
		for (int k = 0; k < K; k++) {
			struct ipc_msg m;
			int kind = k % 3;
			ipc_msg_init(&m, L(kind == 0 ? M_ADD : kind == 1 ? M_NAP : M_DEFER), 2, 0);
			m.word[0] = base + (uint64_t)(r * K + k);
			m.word[1] = 5;
			want[k] = kind == 0 ? m.word[0] + 5 : kind == 1 ? m.word[0] : m.word[0] * 2;
			if (ipc_call_start(c, &m, -1, &h[k]) != 0)
				return NULL;
		}
		for (int k = 0; k < K; k++) {
			struct ipc_msg m;
			ipc_call_t got = h[K - 1 - k];
			/* ipc_call_next takes any thread's call. */
			if ((cl->shared ? ipc_call_wait(c, got, &m, -1)
			                : ipc_call_next(c, &got, &m, -1)) != 0 || m.label != 0)
				return NULL;
			int i = 0;
			while (i < K && h[i] != got)
				i++;
			if (i == K || m.word[0] != want[i])
				return NULL;
			h[i] = IPC_CALL_NONE;
		}
	}
	cl->ok = 1;
	return NULL;
}

START_TEST(many_clients_on_a_threaded_server)
{
	start_server(4);
	enum { NC = 8, SHARED = 3 };
	struct client cl[NC + SHARED];
	pthread_t t[NC + SHARED];
	ipc_cap shared;
	ck_assert_int_eq(ipc_posix_connection(server_ep, &shared), 0);
	ck_assert_int_ge(ipc_posix_async_fd(shared), 0); /* threads may share it */
	for (int i = 0; i < NC + SHARED; i++) {
		cl[i] = (struct client){ .id = i + 1, .rounds = 15 };
		if (i < NC)
			ck_assert_int_eq(ipc_posix_connection(server_ep, &cl[i].conn), 0);
		else
			cl[i].conn = shared, cl[i].shared = true;
		ck_assert_int_eq(pthread_create(&t[i], NULL, client_thread, &cl[i]), 0);
	}
	for (int i = 0; i < NC + SHARED; i++) {
		pthread_join(t[i], NULL);
		ck_assert_msg(cl[i].ok, "client %d failed", i);
		if (i < NC)
			ipc_cap_drop(cl[i].conn);
	}
	ipc_cap_drop(shared);
	ck_assert_int_eq(atomic_load(&served), (NC + SHARED) * 15 * 13);
	stop_server();
}
END_TEST

/* Four calls inside the implementation at once: four threads serve. */
static void *meet_thread(void *arg)
{
	struct client *cl = arg;
	struct ipc_msg m;
	ipc_msg_init(&m, L(M_MEET), 1, 0);
	m.word[0] = 4;
	cl->ok = ipc_call(cl->conn, &m) == 0 && m.label == 0 && m.word[0] >= 4;
	return NULL;
}

START_TEST(blocking_implementations_do_not_stop_the_others)
{
	start_server(4);
	struct client cl[4];
	pthread_t t[4];
	for (int i = 0; i < 4; i++) {
		cl[i] = (struct client){ .id = i };
		ck_assert_int_eq(ipc_posix_connection(server_ep, &cl[i].conn), 0);
		ck_assert_int_eq(pthread_create(&t[i], NULL, meet_thread, &cl[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ck_assert_msg(cl[i].ok, "call %d did not meet the others", i);
		ipc_cap_drop(cl[i].conn);
	}
	stop_server();
}
END_TEST

/* Clients that hang up with calls outstanding, while four threads serve
 * and a worker answers their saved replies. */
static void *hangup_thread(void *arg)
{
	struct client *cl = arg;
	for (int r = 0; r < cl->rounds; r++) {
		ipc_cap c;
		if (ipc_posix_connection(server_ep, &c) < 0)
			return NULL;
		for (int k = 0; k < 6; k++) {
			struct ipc_msg m;
			ipc_msg_init(&m, L(k % 2 ? M_DEFER : M_NAP), 1, 0);
			m.word[0] = (uint64_t)k;
			ipc_call_t h;
			if (ipc_call_start(c, &m, -1, &h) != 0)
				return NULL;
		}
		if (r % 2 && !add_call(c, 1, 2))
			return NULL;
		ipc_cap_drop(c);
	}
	cl->ok = 1;
	return NULL;
}

START_TEST(clients_hanging_up_midway)
{
	start_server(4);
	enum { NC = 6 };
	struct client cl[NC];
	pthread_t t[NC];
	for (int i = 0; i < NC; i++) {
		cl[i] = (struct client){ .id = i, .rounds = 20 };
		ck_assert_int_eq(pthread_create(&t[i], NULL, hangup_thread, &cl[i]), 0);
	}
	for (int i = 0; i < NC; i++) {
		pthread_join(t[i], NULL);
		ck_assert_msg(cl[i].ok, "client %d failed", i);
	}
	/* Still serving. */
	ipc_cap c;
	ck_assert_int_eq(ipc_posix_connection(server_ep, &c), 0);
	ck_assert(add_call(c, 40, 2));
	ipc_cap_drop(c);
	stop_server();
}
END_TEST

START_TEST(serve_threads_arguments)
{
	ipc_cap ep;
	ck_assert_int_eq(ipc_posix_serve_threads(IPC_CAP_NONE, 2, dispatch, NULL), IPC_EBADCAP);
	ck_assert_int_eq(ipc_posix_endpoint(&ep), 0);
	ck_assert_int_eq(ipc_posix_serve_threads(ep, 0, dispatch, NULL), IPC_EINVAL);
	ck_assert_int_eq(ipc_posix_serve_threads(ep, IPC_POSIX_MAX_THREADS + 1, dispatch, NULL),
	                 IPC_EINVAL);
	/* Stopped before it starts: it returns at once. */
	ck_assert_int_eq(ipc_posix_stop(ep), 0);
	ck_assert_int_eq(ipc_posix_stop(ep), 0);
	server_ep = ep;
	ck_assert_int_eq(ipc_posix_serve_threads(ep, 3, dispatch, NULL), 0);
	struct ipc_msg m;
	ck_assert_int_eq(ipc_recv(ep, &m), IPC_EPEER);
	ck_assert_int_eq(ipc_cap_drop(ep), 0);
	ck_assert_int_eq(ipc_posix_stop(ep), IPC_EBADCAP);
}
END_TEST

static Suite *threads_suite(void)
{
	Suite *s = suite_create("threads");
	TCase *tc = tcase_create("server");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, many_clients_on_a_threaded_server);
	tcase_add_test(tc, blocking_implementations_do_not_stop_the_others);
	tcase_add_test(tc, clients_hanging_up_midway);
	tcase_add_test(tc, serve_threads_arguments);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(threads_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
