/*
 * async.c: asynchronous calls (mercury_ipc(3)) on the kernel's IPC, with no
 * kernel primitive of their own.
 *
 * The kernel's CALL is a rendezvous that blocks its thread until the reply:
 * a thread can have one call outstanding.  So calls started here are made
 * by call threads, a pool of at most MERCURY_ASYNC_THREADS threads of the
 * process (same capability space, same address space; made when first
 * needed, kept for the next calls): each takes a started call, makes it
 * with an ordinary CALL from its own IPC buffer, stores the reply in the
 * call's slot and signals the connection's notifications.  Calls past the
 * pool wait in their slots, in order.  Replies are matched to calls by
 * construction (each thread's CALL gets its own reply), whatever the order
 * the server answers in.
 *
 * Each connection (endpoint capability) that has had a call started has
 * an internal notification, which the runtime's own waits block on, and,
 * once asked for (mercury_async_note), a readiness notification for the
 * program's loop: both signalled when a call ends, the latter's timer
 * armed at the earliest deadline.  A call's deadline ends it with
 * IPC_ETIMEDOUT, but its CALL runs on in its thread until the server
 * answers (the kernel has no call timeout): the slot stays taken, an
 * orphan, and the reply's capabilities are destroyed when it comes, as are
 * those of a cancelled call's reply.
 *
 * One thread collects a connection's calls (waits, dispatches) at a time.
 */
#include "mercury/helios.h"

enum { C_FREE, C_QUEUED, C_RUNNING, C_DONE, C_ORPHAN };

struct hl_call {
	int state;
	bool cb, waited, orphan; /* orphan: C_DONE, its CALL still running */
	unsigned conn;
	uint64_t gen, order;
	int64_t deadline; /* clock ticks, -1: none */
	int status;
	ipc_call_done *done;
	ipc_fn fn;
	void *arg;
	struct ipc_msg msg; /* the request, then the reply */
};

struct hl_conn {
	bool used;
	ipc_cap ep;
	ipc_cap internal; /* the runtime's waits */
	ipc_cap ready;    /* the program's loop, or IPC_CAP_NONE */
	int64_t armed;    /* ready's timer, -1: not armed */
};

struct hl_worker {
	ipc_cap task, note;
	struct hl_call *job;
};

static volatile int lock;
static struct hl_call calls[MERCURY_ASYNC_CALLS];
static struct hl_conn conns[MERCURY_ASYNC_CONNS];
static struct hl_worker workers[MERCURY_ASYNC_THREADS];
static unsigned nworkers, nidle;
static struct hl_worker *idle[MERCURY_ASYNC_THREADS];
static uint64_t gen, order, tick_hz;

#define NOTE_DONE 1u
#define NOTE_TIMER 2u

static int64_t deadline_of(int timeout_ms)
{
	if (timeout_ms < 0)
		return -1;
	if (!tick_hz)
		tick_hz = HL_(CLOCK, 0, 0, 0, 0, 0).r1;
	return (int64_t)(hl_clock() + ((uint64_t)timeout_ms * tick_hz + 999) / 1000);
}

static int64_t min_deadline(int64_t x, int64_t y)
{
	return x < 0 ? y : y < 0 ? x : x < y ? x : y;
}

static void drop_caps(struct ipc_msg *m)
{
	ipc_drop_caps(m->cap, m->ncaps < IPC_MAX_CAPS ? m->ncaps : IPC_MAX_CAPS, 0);
	m->ncaps = 0;
}

/* The connection of ep (made if make): NULL if none, or out of room. */
static struct hl_conn *conn_of(ipc_cap ep, bool make)
{
	struct hl_conn *free = NULL;
	for (unsigned i = 0; i < MERCURY_ASYNC_CONNS; i++) {
		if (conns[i].used && conns[i].ep == ep)
			return &conns[i];
		if (!free && !conns[i].used)
			free = &conns[i];
	}
	if (!make || !free || ep == IPC_CAP_NONE)
		return NULL;
	if (hl_mem_alloc(mercury_memory, HELIOS_CAP_NOTIFICATION, IPC_CAP_NONE, 0, &free->internal))
		return NULL;
	free->used = true;
	free->ep = ep;
	free->ready = IPC_CAP_NONE;
	free->armed = -1;
	return free;
}

/* A call of c's ended: wake its waiters and its loop. */
static void signal_conn(const struct hl_conn *c)
{
	hl_signal(c->internal, NOTE_DONE);
	if (c->ready != IPC_CAP_NONE)
		hl_signal(c->ready, NOTE_DONE);
}

/* The next queued call, oldest first (lock held), or NULL. */
static struct hl_call *next_queued(void)
{
	struct hl_call *first = NULL;
	for (unsigned i = 0; i < MERCURY_ASYNC_CALLS; i++)
		if (calls[i].state == C_QUEUED && (!first || calls[i].order < first->order))
			first = &calls[i];
	return first;
}

/* A call thread: make the calls it is given, one at a time. */
static void worker_main(void *arg)
{
	struct hl_worker *w = arg;
	for (;;) {
		uint64_t bits;
		while (!__atomic_load_n(&w->job, __ATOMIC_ACQUIRE))
			hl_wait(w->note, &bits);
		struct hl_call *c = w->job;
		struct ipc_msg m = c->msg; /* its capabilities move with the CALL */
		int st = ipc_call(conns[c->conn].ep, &m);
		mercury_lock(&lock);
		struct hl_conn *cn = &conns[c->conn];
		if (c->state == C_ORPHAN || c->orphan) {
			if (st == 0)
				drop_caps(&m); /* nobody wants it */
			if (c->state == C_ORPHAN)
				c->state = C_FREE;
			c->orphan = false;
		} else {
			c->msg = m;
			c->status = st;
			c->state = C_DONE;
		}
		/* The next call waiting, or rest. */
		struct hl_call *n = next_queued();
		if (n)
			n->state = C_RUNNING;
		else
			idle[nidle++] = w;
		__atomic_store_n(&w->job, n, __ATOMIC_RELEASE);
		mercury_unlock(&lock);
		signal_conn(cn);
	}
}

/* Give call c to a call thread (lock held); false if none is free and
 * none can be made: c stays queued. */
static bool hand_over(struct hl_call *c)
{
	struct hl_worker *w = nidle ? idle[--nidle] : NULL;
	if (!w && nworkers < MERCURY_ASYNC_THREADS) {
		struct hl_worker *nw = &workers[nworkers];
		if (hl_mem_alloc(mercury_memory, HELIOS_CAP_NOTIFICATION, IPC_CAP_NONE, 0, &nw->note))
			return false;
		nw->job = NULL;
		if (mercury_thread_spawn(worker_main, nw, &nw->task)) {
			hl_cap_destroy(nw->note);
			return false;
		}
		nworkers++;
		w = nw;
	}
	if (!w)
		return false;
	c->state = C_RUNNING;
	__atomic_store_n(&w->job, c, __ATOMIC_RELEASE);
	hl_signal(w->note, 1);
	return true;
}

/* End the calls of connection k past their deadline (lock held); true if
 * any ended. */
static bool expire(unsigned k)
{
	bool any = false;
	uint64_t now = 0;
	for (unsigned i = 0; i < MERCURY_ASYNC_CALLS; i++) {
		struct hl_call *c = &calls[i];
		if (c->conn != k || (c->state != C_QUEUED && c->state != C_RUNNING) || c->deadline < 0)
			continue;
		if (!now)
			now = hl_clock();
		if ((uint64_t)c->deadline > now)
			continue;
		if (c->state == C_QUEUED)
			drop_caps(&c->msg);
		c->orphan = c->state == C_RUNNING; /* its thread still reads msg */
		c->state = C_DONE;
		c->status = IPC_ETIMEDOUT;
		any = true;
	}
	return any;
}

/* The earliest deadline of connection k's running calls, or -1. */
static int64_t earliest(unsigned k)
{
	int64_t d = -1;
	for (unsigned i = 0; i < MERCURY_ASYNC_CALLS; i++)
		if (calls[i].conn == k && (calls[i].state == C_QUEUED || calls[i].state == C_RUNNING))
			d = min_deadline(d, calls[i].deadline);
	return d;
}

/* Arm the readiness notification's timer at the earliest deadline. */
static void rearm(struct hl_conn *cn)
{
	if (cn->ready == IPC_CAP_NONE)
		return;
	int64_t d = earliest((unsigned)(cn - conns));
	if (d == cn->armed)
		return;
	hl_timer(cn->ready, d < 0 ? 0 : NOTE_TIMER, d < 0 ? 0 : (uint64_t)d);
	cn->armed = d;
}

/* Hand an ended call's reply to msg and free its slot (lock held). */
static int collect(struct hl_call *c, struct ipc_msg *msg)
{
	int st = c->status;
	if (st == 0)
		*msg = c->msg;
	else
		ipc_msg_init(msg, 0, 0, 0);
	c->state = c->orphan ? C_ORPHAN : C_FREE;
	c->orphan = c->waited = false;
	return st;
}

static int start(ipc_cap ep, struct ipc_msg *msg, int timeout_ms, ipc_call_done *done, ipc_fn fn,
                 void *arg, ipc_call_t *call)
{
	if (call)
		*call = IPC_CALL_NONE;
	if (msg->nwords > IPC_MAX_WORDS || msg->ncaps > IPC_MAX_CAPS || msg->label > IPC_LABEL_MAX) {
		drop_caps(msg);
		return IPC_EINVAL;
	}
	mercury_lock(&lock);
	struct hl_conn *cn = conn_of(ep, true);
	struct hl_call *c = NULL;
	for (unsigned i = 0; cn && i < MERCURY_ASYNC_CALLS && !c; i++)
		if (calls[i].state == C_FREE)
			c = &calls[i];
	if (!c) {
		mercury_unlock(&lock);
		drop_caps(msg);
		return cn ? IPC_EBUSY : IPC_ENOMEM;
	}
	*c = (struct hl_call){
		.state = C_QUEUED, .cb = done != NULL, .conn = (unsigned)(cn - conns),
		.gen = ++gen, .order = order++, .deadline = deadline_of(timeout_ms),
		.done = done, .fn = fn, .arg = arg, .msg = *msg,
	};
	if (next_queued() == c && !hand_over(c) && nworkers == 0) {
		/* No call thread, and none can be made (the process's memory is
		 * short): nothing would ever make this call. */
		c->state = C_FREE;
		mercury_unlock(&lock);
		drop_caps(msg);
		return IPC_ENOMEM;
	}
	if (call)
		*call = c->gen << 8 | (uint64_t)(c - calls);
	rearm(cn);
	mercury_unlock(&lock);
	return 0;
}

int ipc_call_start(ipc_cap ep, struct ipc_msg *msg, int timeout_ms, ipc_call_t *call)
{
	return start(ep, msg, timeout_ms, NULL, NULL, NULL, call);
}

int ipc_call_start_cb(ipc_cap ep, struct ipc_msg *msg, int timeout_ms, ipc_call_done *done,
                      ipc_fn fn, void *arg, ipc_call_t *call)
{
	if (!done) {
		if (call)
			*call = IPC_CALL_NONE;
		drop_caps(msg);
		return IPC_EINVAL;
	}
	return start(ep, msg, timeout_ms, done, fn, arg, call);
}

/* The call a handle names, of connection ep (lock held), or NULL. */
static struct hl_call *find(ipc_cap ep, ipc_call_t call)
{
	uint64_t i = call & 0xff;
	if (i >= MERCURY_ASYNC_CALLS)
		return NULL;
	struct hl_call *c = &calls[i];
	if (c->gen != call >> 8 || c->state == C_FREE || c->state == C_ORPHAN ||
	    conns[c->conn].ep != ep)
		return NULL;
	return c;
}

/* Block on connection cn until something ends or until passes (lock
 * released meanwhile).  Returns false once until has passed. */
static bool block(struct hl_conn *cn, int64_t until, int64_t deadline)
{
	int64_t wake = min_deadline(until, deadline);
	if (until >= 0 && (uint64_t)until <= hl_clock())
		return false;
	if (wake >= 0)
		hl_timer(cn->internal, NOTE_TIMER, (uint64_t)wake);
	mercury_unlock(&lock);
	uint64_t bits;
	hl_wait(cn->internal, &bits);
	mercury_lock(&lock);
	return true;
}

int ipc_call_wait(ipc_cap ep, ipc_call_t call, struct ipc_msg *msg, int timeout_ms)
{
	int64_t until = deadline_of(timeout_ms);
	mercury_lock(&lock);
	struct hl_call *c = find(ep, call);
	int st = !c || c->cb ? IPC_EINVAL : c->waited ? IPC_EBUSY : 1;
	if (st == 1) {
		struct hl_conn *cn = &conns[c->conn];
		c->waited = true;
		for (;;) {
			expire(c->conn);
			if (c->state == C_DONE) {
				st = collect(c, msg);
				break;
			}
			if (timeout_ms == 0 || !block(cn, until, c->deadline)) {
				c->waited = false;
				st = IPC_EAGAIN;
				break;
			}
		}
		rearm(cn);
	}
	mercury_unlock(&lock);
	return st;
}

int ipc_call_next(ipc_cap ep, ipc_call_t *call, struct ipc_msg *msg, int timeout_ms)
{
	int64_t until = deadline_of(timeout_ms);
	int st;
	*call = IPC_CALL_NONE;
	mercury_lock(&lock);
	struct hl_conn *cn = conn_of(ep, false);
	for (;;) {
		struct hl_call *any = NULL, *done = NULL;
		unsigned k = cn ? (unsigned)(cn - conns) : 0;
		if (cn)
			expire(k);
		for (unsigned i = 0; cn && i < MERCURY_ASYNC_CALLS && !done; i++) {
			struct hl_call *c = &calls[i];
			if (c->conn != k || c->cb || c->waited ||
			    (c->state != C_QUEUED && c->state != C_RUNNING && c->state != C_DONE))
				continue;
			any = c;
			if (c->state == C_DONE)
				done = c;
		}
		if (done) {
			*call = done->gen << 8 | (uint64_t)(done - calls);
			st = collect(done, msg);
			break;
		}
		st = any ? IPC_EAGAIN : IPC_EINVAL;
		if (!any || timeout_ms == 0 || !block(cn, until, earliest(k)))
			break;
	}
	if (cn)
		rearm(cn);
	mercury_unlock(&lock);
	return st;
}

int ipc_call_cancel(ipc_cap ep, ipc_call_t call)
{
	mercury_lock(&lock);
	struct hl_call *c = find(ep, call);
	int st = 0;
	if (!c) {
		st = IPC_EINVAL;
	} else if (c->waited) {
		st = IPC_EBUSY;
	} else {
		if (c->state == C_QUEUED || (c->state == C_DONE && c->status == 0))
			drop_caps(&c->msg);
		c->state = c->state == C_RUNNING || c->orphan ? C_ORPHAN : C_FREE;
		c->orphan = false;
		rearm(&conns[c->conn]);
	}
	mercury_unlock(&lock);
	return st;
}

int ipc_call_dispatch(ipc_cap ep, int timeout_ms)
{
	int64_t until = deadline_of(timeout_ms);
	int n = 0;
	mercury_lock(&lock);
	struct hl_conn *cn = conn_of(ep, false);
	if (!cn) {
		mercury_unlock(&lock);
		return IPC_EINVAL;
	}
	unsigned k = (unsigned)(cn - conns);
	for (;;) {
		expire(k);
		for (unsigned i = 0; i < MERCURY_ASYNC_CALLS; i++) {
			struct hl_call *c = &calls[i];
			if (c->conn != k || !c->cb || c->state != C_DONE)
				continue;
			ipc_call_done *done = c->done;
			ipc_fn fn = c->fn;
			void *arg = c->arg;
			struct ipc_msg m;
			int st = collect(c, &m);
			mercury_unlock(&lock);
			done(st, &m, fn, arg);
			mercury_lock(&lock);
			n++;
		}
		bool any = false;
		for (unsigned i = 0; i < MERCURY_ASYNC_CALLS && !any; i++)
			any = calls[i].conn == k && calls[i].cb &&
			      (calls[i].state == C_QUEUED || calls[i].state == C_RUNNING);
		if (n || !any || timeout_ms == 0 || !block(cn, until, earliest(k)))
			break;
	}
	rearm(cn);
	mercury_unlock(&lock);
	return n;
}

int mercury_async_note(ipc_cap ep, ipc_cap *note)
{
	*note = IPC_CAP_NONE;
	mercury_lock(&lock);
	struct hl_conn *cn = conn_of(ep, true);
	int st = cn ? 0 : IPC_ENOMEM;
	if (cn && cn->ready == IPC_CAP_NONE &&
	    (st = hl_mem_alloc(mercury_memory, HELIOS_CAP_NOTIFICATION, IPC_CAP_NONE, 0, &cn->ready)))
		cn->ready = IPC_CAP_NONE;
	if (cn && !st) {
		*note = cn->ready;
		cn->armed = -1;
		rearm(cn);
	}
	mercury_unlock(&lock);
	return st;
}
