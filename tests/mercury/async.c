/*
 * async.c: asynchronous calls on the kernel port, booted as the root task.
 * Two server threads serve one endpoint (adds at once; holds, answered
 * when a release comes); the main thread starts calls and collects them by
 * handle, as they end, and through callbacks and the readiness
 * notification; deadlines, cancelling, and a lent page.
 */
#include "mercury/helios.h"

static int checks, failures;
#define CHECK(c) check((c), #c, __LINE__)
static void check(bool ok, const char *what, int line)
{
	checks++;
	if (!ok) {
		failures++;
		mercury_log("FAIL: async.c:%d: %s", line, what);
	}
}

#define ID 0xa5c1u
enum { M_ADD = 1, M_HOLD, M_RELEASE, M_PAGE };

static ipc_cap ep;
static volatile int held_lock;
static ipc_cap held[16];
static unsigned nheld;

static void server(void *arg)
{
	(void)arg;
	for (;;) {
		struct ipc_msg in, out;
		if (ipc_recv(ep, &in))
			continue;
		ipc_msg_init(&out, 0, 1, 0);
		out.word[0] = 0;
		switch (IPC_LABEL_METHOD(in.label)) {
		case M_ADD:
			out.word[0] = in.word[0] + in.word[1];
			break;
		case M_HOLD: {
			ipc_cap r;
			if (ipc_reply_save(&r) == 0) {
				mercury_lock(&held_lock);
				held[nheld++ % 16] = r;
				mercury_unlock(&held_lock);
				continue;
			}
			out.label = (uint64_t)(int64_t)IPC_EBUSY;
			break;
		}
		case M_RELEASE: /* answers every held call with word[0] */
			mercury_lock(&held_lock);
			while (nheld) {
				struct ipc_msg r;
				ipc_msg_init(&r, 0, 1, 0);
				r.word[0] = in.word[0];
				ipc_reply_to(held[--nheld % 16], &r);
			}
			mercury_unlock(&held_lock);
			break;
		case M_PAGE: /* a page came: say what it is, and drop it */
			out.word[0] = in.ncaps == 1 ? hl_cap_info(in.cap[0]).r0 : 0;
			ipc_drop_caps(in.cap, in.ncaps, 0);
			break;
		default:
			out.label = (uint64_t)(int64_t)IPC_ENOSYS;
			out.nwords = 0;
		}
		ipc_reply(&out);
	}
}

static void add_msg(struct ipc_msg *m, uint64_t a, uint64_t b)
{
	ipc_msg_init(m, IPC_LABEL(ID, M_ADD), 2, 0);
	m->word[0] = a;
	m->word[1] = b;
}

static int ran, ran_bad;
static void done_cb(int st, struct ipc_msg *reply, ipc_fn fn, void *arg)
{
	(void)fn;
	uint64_t want = (uint64_t)(uintptr_t)arg;
	ran++;
	if (st != 0 || reply->label != 0 || reply->word[0] != want)
		ran_bad++;
}

static void release(uint64_t w)
{
	struct ipc_msg m;
	ipc_msg_init(&m, IPC_LABEL(ID, M_RELEASE), 1, 0);
	m.word[0] = w;
	CHECK(ipc_call(ep, &m) == 0 && m.label == 0);
}

int main(void)
{
	ipc_cap task1, task2;
	struct ipc_msg m;

	/* First, with no call thread yet: a process whose memory cannot make
	 * one is told so (IPC_ENOMEM), not left with a call that nothing will
	 * ever make.  Quotas of 1 to 3 pages: too small for a thread, each
	 * fails somewhere (the connection's notification, the thread's). */
	ipc_cap whole = mercury_memory;
	for (uint64_t pages = 1; pages <= 3; pages++) {
		ipc_cap tiny, nobody;
		CHECK(hl_mem_alloc(whole, HELIOS_CAP_ENDPOINT, IPC_CAP_NONE, 0, &nobody) == 0);
		CHECK(hl_mem_alloc(whole, HELIOS_CAP_MEMORY, IPC_CAP_NONE, pages, &tiny) == 0);
		mercury_memory = tiny;
		ipc_call_t c = 99;
		add_msg(&m, 1, 2);
		int st = ipc_call_start(nobody, &m, 100, &c);
		mercury_memory = whole;
		mercury_log("async: start with a quota of %lu pages: %d", (unsigned long)pages, st);
		CHECK(st == IPC_ENOMEM && c == IPC_CALL_NONE);
		if (st == 0)   /* the old way: it never ends but by its deadline */
			CHECK(ipc_call_wait(nobody, c, &m, -1) != IPC_ETIMEDOUT);
		/* nobody is kept: a connection record of the runtime names it */
	}

	CHECK(hl_mem_alloc(mercury_memory, HELIOS_CAP_ENDPOINT, IPC_CAP_NONE, 0, &ep) == 0);
	CHECK(mercury_thread_spawn(server, NULL, &task1) == 0);
	CHECK(mercury_thread_spawn(server, NULL, &task2) == 0);

	/* Many outstanding, collected by handle in reverse order. */
	ipc_call_t h[12];
	for (int i = 0; i < 12; i++) {
		add_msg(&m, (uint64_t)i, 100);
		CHECK(ipc_call_start(ep, &m, -1, &h[i]) == 0);
	}
	for (int i = 11; i >= 0; i--) {
		CHECK(ipc_call_wait(ep, h[i], &m, -1) == 0 && m.label == 0 && m.word[0] == 100u + (unsigned)i);
		CHECK(ipc_call_wait(ep, h[i], &m, 0) == IPC_EINVAL);
	}

	/* Held calls outstanding while a later one is answered first. */
	ipc_call_t hold[2], add;
	for (int i = 0; i < 2; i++) {
		ipc_msg_init(&m, IPC_LABEL(ID, M_HOLD), 0, 0);
		CHECK(ipc_call_start(ep, &m, -1, &hold[i]) == 0);
	}
	add_msg(&m, 40, 2);
	CHECK(ipc_call_start(ep, &m, -1, &add) == 0);
	CHECK(ipc_call_wait(ep, add, &m, -1) == 0 && m.word[0] == 42);
	CHECK(ipc_call_wait(ep, hold[0], &m, 0) == IPC_EAGAIN);
	release(7);
	for (int i = 0; i < 2; i++)
		CHECK(ipc_call_wait(ep, hold[i], &m, -1) == 0 && m.word[0] == 7);

	/* A deadline the server does not meet; its late reply is discarded. */
	ipc_call_t late;
	ipc_msg_init(&m, IPC_LABEL(ID, M_HOLD), 0, 0);
	CHECK(ipc_call_start(ep, &m, 30, &late) == 0);
	CHECK(ipc_call_wait(ep, late, &m, -1) == IPC_ETIMEDOUT);
	release(8);

	/* Cancelled: its handle names nothing. */
	ipc_call_t gone;
	ipc_msg_init(&m, IPC_LABEL(ID, M_HOLD), 0, 0);
	CHECK(ipc_call_start(ep, &m, -1, &gone) == 0);
	CHECK(ipc_call_cancel(ep, gone) == 0);
	CHECK(ipc_call_cancel(ep, gone) == IPC_EINVAL);
	release(9);

	/* Callbacks, woken through the readiness notification. */
	ipc_cap note;
	CHECK(mercury_async_note(ep, &note) == 0);
	for (int i = 0; i < 10; i++) {
		add_msg(&m, (uint64_t)i, 1000);
		CHECK(ipc_call_start_cb(ep, &m, -1, done_cb, NULL, (void *)(uintptr_t)(1000 + i), NULL) == 0);
	}
	while (ran < 10) {
		struct helios_pollcap pc = { .cap = note, .events = HELIOS_POLL_RECV };
		uint64_t bits;
		CHECK(hl_poll(&pc, 1) == 1);
		CHECK(hl_wait(note, &bits) == 0);
		CHECK(ipc_call_dispatch(ep, 0) >= 0);
	}
	CHECK(ran == 10 && ran_bad == 0);
	/* A deadline wakes the loop too. */
	ipc_msg_init(&m, IPC_LABEL(ID, M_HOLD), 0, 0);
	CHECK(ipc_call_start_cb(ep, &m, 30, done_cb, NULL, NULL, NULL) == 0);
	while (ran < 11) {
		uint64_t bits;
		CHECK(hl_wait(note, &bits) == 0);
		ipc_call_dispatch(ep, 0);
	}
	CHECK(ran_bad == 1); /* it ended with IPC_ETIMEDOUT */
	release(10);

	/* A lent page stays its sender's; the server gets a page of its own. */
	ipc_cap pg;
	CHECK(hl_mem_alloc(mercury_memory, HELIOS_CAP_PAGE, IPC_CAP_NONE, 0, &pg) == 0);
	for (int i = 0; i < 3; i++) {
		ipc_msg_init(&m, IPC_LABEL(ID, M_PAGE), 0, 1);
		m.cap[0] = IPC_LEND(pg);
		CHECK(ipc_call(ep, &m) == 0 && m.word[0] == HELIOS_CAP_PAGE);
		CHECK(hl_cap_info(pg).r0 == HELIOS_CAP_PAGE);
	}
	CHECK(ipc_cap_drop(IPC_LEND(pg)) == 0 && hl_cap_info(pg).r0 == HELIOS_CAP_PAGE);

	/* Timing: calls kept outstanding against one at a time, in time
	 * stamp ticks per call (guest instructions under -icount). */
	enum { N = 200 };
	uint64_t t0 = hl_rdtsc();
	for (int i = 0; i < N; i++) {
		add_msg(&m, 1, 2);
		ipc_call(ep, &m);
	}
	uint64_t t1 = hl_rdtsc();
	int started = 0;
	for (; started < 8; started++) {
		add_msg(&m, 1, 2);
		ipc_call_start(ep, &m, -1, NULL);
	}
	for (int done = 0; done < N; done++) {
		ipc_call_t c;
		CHECK(ipc_call_next(ep, &c, &m, -1) == 0 && m.word[0] == 3);
		if (started < N) {
			add_msg(&m, 1, 2);
			ipc_call_start(ep, &m, -1, NULL);
			started++;
		}
	}
	uint64_t t2 = hl_rdtsc();
	mercury_log("async: sync call %lu ticks, async call %lu ticks", (t1 - t0) / N, (t2 - t1) / N);

	mercury_log("async: %d checks, %d failed", checks, failures);
	return failures ? 1 : 0;
}
