/*
 * async.c: asynchronous calls of the POSIX port (mercury_ipc(3), ASYNCHRONOUS
 * CALLS; mercury_posix(3)).
 *
 * A connection that has had a call started on it gets a state of its own,
 * found by its descriptor (a table of two levels, read without a lock): the
 * calls outstanding on it, each in a slot.  A call's sequence number is its
 * slot's index in the low byte and the slot's round (1 to 255, changed at
 * each use) in the high byte, so a reply finds its call in one step and is
 * never 0, a farewell's.
 *
 * A window: at most IPC_POSIX_WINDOW calls are in flight (sent, their reply
 * not yet read) on a connection; further calls wait in their slots, in
 * order, and go as replies come in.  So a server holds at most that many
 * unread answers for a pipelining client, which its LIMIT_UNREAD admits: a
 * well-behaved client is never dropped for leaving answers unread.  A call
 * that timed out or was cancelled after it was sent stays in flight, a
 * zombie, until its reply comes and is discarded, its capabilities
 * released: its sequence number is not reused before then.
 *
 * Threads may share a connection once it has this state (every call on it,
 * ipc_call included, then goes through here): one of them at a time reads
 * the socket, without the lock, and hands each reply to its slot; the others
 * wait on the condition variable.
 *
 * The readiness descriptor (ipc_posix_async_fd), made when first asked for:
 * an epoll set over the connection and a timerfd that fires at the earliest
 * deadline, or at once when ended calls wait for ipc_call_dispatch.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <poll.h>
#include <unistd.h>

#include "port.h"

#define PX_WINDOW IPC_POSIX_WINDOW
#define PX_CHUNK 16 /* slots allocated at a time */
#define PX_MAX_CALLS IPC_POSIX_MAX_CALLS
_Static_assert(PX_MAX_CALLS <= 256, "a slot's index is the low byte of a sequence number");
_Static_assert(PX_MAX_CALLS % PX_CHUNK == 0, "whole chunks");
_Static_assert(PX_WINDOW <= PX_MAX_CALLS, "the window fits the slots");
_Static_assert(PX_WINDOW > IPC_POSIX_MAX_SAVED, "a call can pass the replies a server holds");

enum px_cstate {
	C_FREE = 0,
	C_QUEUED, /* waits for room in the window: msg is the request */
	C_SENT,   /* in flight */
	C_DONE,   /* ended: status, and msg is the reply if status is 0 */
	C_ZOMBIE, /* ended and gone, its reply still to come */
};

struct px_slot {
	uint8_t state;
	uint8_t index;  /* its place: the low byte of the sequence number */
	uint8_t round;  /* the high byte, 1..255 */
	uint8_t type;   /* PX_CALL or PX_COPY */
	bool waited;    /* a thread waits for it by handle */
	bool cb;        /* ends through its callback */
	bool zombie;    /* C_DONE, its reply still to come */
	int status;
	uint64_t gen;   /* the handle's upper part */
	uint64_t order; /* C_QUEUED: start order */
	int64_t deadline;
	ipc_call_done *done;
	ipc_fn fn;
	void *arg;
	struct ipc_msg msg;
};

/* Replies that have come while one was being read are taken with one
 * recvmmsg(2), up to PX_AS_RBATCH at once, as a server takes requests: a
 * client with many calls outstanding wakes once per batch of replies, not
 * once per reply.  Per connection, made when first needed. */
#define PX_AS_RBATCH 16
struct px_as_batch {
	struct mmsghdr mm[PX_AS_RBATCH];
	struct px_room room[PX_AS_RBATCH];
	struct ipc_msg m[PX_AS_RBATCH];
	struct ipc_msg *to[PX_AS_RBATCH];
};

struct px_async {
	int fd;
	struct px_as_batch *batch;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool reading;      /* a thread reads the socket */
	bool reset;        /* a first end of stream was seen (see px_last_word) */
	int bye;           /* the status a farewell gave, or 0 */
	int dead;          /* 0, or the status every call now ends with */
	unsigned nslots, inflight, nqueued, ndeadline, ndone_cb;
	uint64_t gen, order;
	int efd, tfd;      /* readiness, -1 until asked for */
	int64_t armed;     /* the timer's expiry (ms), -1: disarmed */
	/* Slots in chunks that never move: a waiting thread keeps a pointer
	 * to its call's slot while others start calls. */
	struct px_slot *chunk[PX_MAX_CALLS / PX_CHUNK];
};

/* The table: descriptor -> state. */
#define PX_AS_CHUNK 4096
#define PX_AS_TOP ((PX_INDEX_MASK + 1) / PX_AS_CHUNK)
struct px_as_chunk {
	_Atomic(struct px_async *) p[PX_AS_CHUNK];
};
static _Atomic(struct px_as_chunk *) px_as_dir[PX_AS_TOP];
static pthread_mutex_t px_as_lock = PTHREAD_MUTEX_INITIALIZER;

struct px_async *px_async_find(int fd)
{
	if ((uint32_t)fd > PX_INDEX_MASK)
		return NULL;
	struct px_as_chunk *c = atomic_load_explicit(&px_as_dir[fd / PX_AS_CHUNK], memory_order_acquire);
	return c ? atomic_load_explicit(&c->p[fd % PX_AS_CHUNK], memory_order_acquire) : NULL;
}

#define SLOT(a, i) (&(a)->chunk[(i) / PX_CHUNK][(i) % PX_CHUNK])

/* The state of connection fd, made if need be: NULL if out of memory. */
static struct px_async *px_async_get(int fd)
{
	struct px_async *a = px_async_find(fd);
	if (a)
		return a;
	pthread_mutex_lock(&px_as_lock);
	struct px_as_chunk *c = atomic_load_explicit(&px_as_dir[fd / PX_AS_CHUNK], memory_order_relaxed);
	if (!c && (c = calloc(1, sizeof *c)) != NULL)
		atomic_store_explicit(&px_as_dir[fd / PX_AS_CHUNK], c, memory_order_release);
	if (c && !(a = atomic_load_explicit(&c->p[fd % PX_AS_CHUNK], memory_order_relaxed)) &&
	    (a = calloc(1, sizeof *a)) != NULL) {
		a->fd = fd;
		a->efd = a->tfd = -1;
		a->armed = -1;
		pthread_mutex_init(&a->lock, NULL);
		pthread_cond_init(&a->cond, NULL);
		atomic_store_explicit(&c->p[fd % PX_AS_CHUNK], a, memory_order_release);
	}
	pthread_mutex_unlock(&px_as_lock);
	return a;
}

static void px_msg_copy(struct ipc_msg *d, const struct ipc_msg *s)
{
	d->label = s->label;
	d->nwords = s->nwords;
	d->ncaps = s->ncaps;
	memcpy(d->word, s->word, s->nwords * sizeof s->word[0]);
	memcpy(d->cap, s->cap, s->ncaps * sizeof s->cap[0]);
}

/* What a slot holds, released: a queued request's or a reply's capabilities. */
static void px_slot_release(struct px_slot *s)
{
	if (s->state == C_QUEUED || (s->state == C_DONE && s->status == 0))
		px_drop_caps(s->msg.cap, s->msg.ncaps);
	s->msg.ncaps = 0;
}

void px_async_forget(int fd)
{
	if ((uint32_t)fd > PX_INDEX_MASK)
		return;
	pthread_mutex_lock(&px_as_lock);
	struct px_as_chunk *c = atomic_load_explicit(&px_as_dir[fd / PX_AS_CHUNK], memory_order_relaxed);
	struct px_async *a = c ? atomic_load_explicit(&c->p[fd % PX_AS_CHUNK], memory_order_relaxed) : NULL;
	if (a)
		atomic_store_explicit(&c->p[fd % PX_AS_CHUNK], NULL, memory_order_release);
	pthread_mutex_unlock(&px_as_lock);
	if (!a)
		return;
	for (unsigned i = 0; i < a->nslots; i++)
		px_slot_release(SLOT(a, i));
	if (a->efd >= 0)
		close(a->efd);
	if (a->tfd >= 0)
		close(a->tfd);
	pthread_cond_destroy(&a->cond);
	pthread_mutex_destroy(&a->lock);
	for (unsigned i = 0; i < a->nslots / PX_CHUNK; i++)
		free(a->chunk[i]);
	free(a->batch);
	free(a);
}

/* Readiness ------------------------------------------------------------- */

/* Arm the timer for when (ms; -1: disarm) if the readiness descriptor
 * exists; a time past fires at once. */
static void px_as_arm(struct px_async *a, int64_t when)
{
	if (a->tfd < 0 || when == a->armed)
		return;
	struct itimerspec its = { 0 };
	if (when >= 0) {
		its.it_value.tv_sec = when / 1000;
		its.it_value.tv_nsec = (long)(when % 1000) * 1000000 + 1;
	}
	if (timerfd_settime(a->tfd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
		a->armed = when;
}

/* The earliest deadline of the calls still running, or -1. */
static int64_t px_as_earliest(const struct px_async *a)
{
	int64_t d = -1;
	if (!a->ndeadline)
		return -1;
	for (unsigned i = 0; i < a->nslots; i++) {
		const struct px_slot *s = SLOT(a, i);
		if ((s->state == C_QUEUED || s->state == C_SENT) && s->deadline >= 0 &&
		    (d < 0 || s->deadline < d))
			d = s->deadline;
	}
	return d;
}

/* Rearm after a change: at once if callbacks wait, else the earliest
 * deadline. */
static void px_as_rearm(struct px_async *a)
{
	if (a->tfd >= 0)
		px_as_arm(a, a->ndone_cb ? 0 : px_as_earliest(a));
}

/* Slots ------------------------------------------------------------------- */

static uint16_t px_slot_seq(const struct px_async *a, const struct px_slot *s)
{
	(void)a;
	return (uint16_t)(s->round << 8 | s->index);
}

/* A free slot, the table grown if need be: its index, or a status. */
static int px_slot_alloc(struct px_async *a)
{
	for (unsigned i = 0; i < a->nslots; i++)
		if (SLOT(a, i)->state == C_FREE)
			return (int)i;
	if (a->nslots >= PX_MAX_CALLS)
		return IPC_EBUSY;
	struct px_slot *p = calloc(PX_CHUNK, sizeof *p);
	if (!p)
		return IPC_ENOMEM;
	for (unsigned k = 0; k < PX_CHUNK; k++)
		p[k].index = (uint8_t)(a->nslots + k);
	a->chunk[a->nslots / PX_CHUNK] = p;
	int i = (int)a->nslots;
	a->nslots += PX_CHUNK;
	return i;
}

/* A call ends with status (0: s->msg is its reply). */
static void px_slot_end(struct px_async *a, struct px_slot *s, int status)
{
	if (s->state == C_QUEUED) {
		px_drop_caps(s->msg.cap, s->msg.ncaps);
		s->msg.ncaps = 0;
		a->nqueued--;
	}
	if ((s->state == C_QUEUED || s->state == C_SENT) && s->deadline >= 0)
		a->ndeadline--;
	s->state = C_DONE;
	s->status = status;
	if (status != 0)
		s->msg.nwords = s->msg.ncaps = 0, s->msg.label = 0;
	if (s->cb)
		a->ndone_cb++;
}

/* Free an ended slot, or leave it a zombie until its reply comes. */
static void px_slot_free(struct px_async *a, struct px_slot *s)
{
	if (s->state == C_DONE && s->cb)
		a->ndone_cb--;
	s->state = s->zombie ? C_ZOMBIE : C_FREE;
	s->zombie = false;
	s->waited = false;
	s->cb = false;
	s->gen = 0;
}

/* The call a handle names (started with ipc_call_start), or NULL. */
static struct px_slot *px_slot_find(struct px_async *a, ipc_call_t call)
{
	unsigned i = (unsigned)(call & 0xff);
	if (i >= a->nslots)
		return NULL;
	struct px_slot *s = SLOT(a, i);
	if (s->gen != call >> 8 || s->cb ||
	    (s->state != C_QUEUED && s->state != C_SENT && s->state != C_DONE))
		return NULL;
	return s;
}

/* The connection is over: every call ends with st. */
static void px_as_kill(struct px_async *a, int st)
{
	a->dead = st;
	for (unsigned i = 0; i < a->nslots; i++) {
		struct px_slot *s = SLOT(a, i);
		if (s->state == C_QUEUED || s->state == C_SENT)
			px_slot_end(a, s, st);
		if (s->state == C_ZOMBIE)
			s->state = C_FREE;
		s->zombie = false;
	}
	a->inflight = 0;
	pthread_cond_broadcast(&a->cond);
}

/* Sending ----------------------------------------------------------------- */

static int64_t px_min_deadline(int64_t x, int64_t y)
{
	return x < 0 ? y : y < 0 ? x : x < y ? x : y;
}


/* Send the call in slot s with request m (consumed); on failure the call
 * ends with the status, which is returned. */
static int px_as_send(struct px_async *a, struct px_slot *s, struct ipc_msg *m)
{
	struct px_hdr h = {
		.label = m->label, .nwords = (uint16_t)m->nwords, .ncaps = (uint16_t)m->ncaps,
		.version = IPC_WIRE_VERSION, .type = s->type, .seq = px_slot_seq(a, s),
	};
	bool queued = s->state == C_QUEUED;
	if (queued)
		a->nqueued--;
	s->state = C_SENT;
	a->inflight++;
	int rc = px_send_frame(a->fd, &h, m->word, m->cap, 0, px_remaining(s->deadline));
	m->ncaps = 0;
	if (rc == 0)
		return 0;
	a->inflight--;
	if (rc == IPC_EPEER)
		rc = a->bye ? a->bye : IPC_EPEER;
	px_slot_end(a, s, rc);
	return rc;
}

/* The oldest queued call started after order after, or NULL. */
static struct px_slot *px_as_oldest(struct px_async *a, uint64_t after)
{
	struct px_slot *first = NULL;
	for (unsigned i = 0; i < a->nslots; i++) {
		struct px_slot *s = SLOT(a, i);
		if (s->state == C_QUEUED && s->order + 1 > after &&
		    (!first || s->order < first->order))
			first = s;
	}
	return first;
}

/* Send calls b[0..n), which carry no capabilities, with one sendmmsg(2):
 * what could not go for want of room stays queued (nothing of it is
 * consumed), what failed otherwise ends. */
static void px_as_send_batch(struct px_async *a, struct px_slot **b, unsigned n)
{
	struct mmsghdr mm[PX_WINDOW];
	struct iovec iov[PX_WINDOW][2];
	struct px_hdr h[PX_WINDOW];
	int64_t deadline = -1;
	for (unsigned i = 0; i < n; i++) {
		struct ipc_msg *m = &b[i]->msg;
		h[i] = (struct px_hdr){
			.label = m->label, .nwords = (uint16_t)m->nwords, .version = IPC_WIRE_VERSION,
			.type = b[i]->type, .seq = px_slot_seq(a, b[i]),
		};
		iov[i][0] = (struct iovec){ .iov_base = &h[i], .iov_len = sizeof h[i] };
		iov[i][1] = (struct iovec){ .iov_base = m->word, .iov_len = m->nwords * sizeof m->word[0] };
		mm[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = iov[i], .msg_iovlen = m->nwords ? 2 : 1 } };
		deadline = px_min_deadline(deadline, b[i]->deadline);
	}
	unsigned sent = 0;
	while (sent < n) {
		int k = sendmmsg(a->fd, mm + sent, n - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (k > 0) {
			for (int i = 0; i < k; i++) {
				struct px_slot *s = b[sent + (unsigned)i];
				s->state = C_SENT;
				a->nqueued--;
				a->inflight++;
			}
			sent += (unsigned)k;
			continue;
		}
		if (errno == EINTR)
			continue;
		int rc = px_status_errno(errno);
		if (rc == IPC_EAGAIN) {
			/* No room: replies in flight will bring the next flush;
			 * with none, wait for room (an ipc_send's frames fill
			 * it) until the first deadline. */
			if (a->inflight || px_wait(a->fd, POLLOUT, deadline) < 0)
				return;
			continue;
		}
		if (rc == IPC_EPEER)
			rc = a->bye ? a->bye : IPC_EPEER;
		for (unsigned i = sent; i < n; i++)
			px_slot_end(a, b[i], rc);
		return;
	}
}

/* Send the queued calls the window has room for, oldest first: those
 * without capabilities in batches, the others one by one. */
static void px_as_flush(struct px_async *a)
{
	struct px_slot *b[PX_WINDOW];
	unsigned n = 0;
	uint64_t after = 0;
	while (a->nqueued > n && a->inflight + n < PX_WINDOW && !a->dead) {
		struct px_slot *s = px_as_oldest(a, after);
		if (!s)
			break;
		after = s->order + 1;
		if (!s->msg.ncaps) {
			b[n++] = s;
			continue;
		}
		if (n)
			px_as_send_batch(a, b, n);
		if ((n && b[n - 1]->state == C_QUEUED) || a->dead || a->inflight >= PX_WINDOW)
			return; /* no room yet: keep the order */
		n = 0;
		px_as_send(a, s, &s->msg);
	}
	if (n)
		px_as_send_batch(a, b, n);
}

/* Receiving --------------------------------------------------------------- */

/* Take a frame that arrived (rc as px_recv_frame returned it). */
static void px_as_take(struct px_async *a, int rc, const struct px_hdr *h, bool hdr_ok,
                       struct ipc_msg *m)
{
	if (rc == IPC_EPEER && !a->reset) {
		a->reset = true; /* see px_last_word: what the peer left may follow */
		return;
	}
	if (rc < 0 && !(hdr_ok && (rc == IPC_EPROTO || rc == IPC_EVERSION))) {
		px_as_kill(a, a->bye ? a->bye : rc == IPC_EPEER ? IPC_EPEER : rc);
		return;
	}
	if (rc == 0 && h->seq == 0) { /* a farewell */
		px_drop_caps(m->cap, m->ncaps);
		a->bye = px_status_alone(m);
		return;
	}
	unsigned i = h->seq & 0xff;
	struct px_slot *s = i < a->nslots ? SLOT(a, i) : NULL;
	if (!s || s->round != h->seq >> 8 ||
	    (s->state != C_SENT && s->state != C_ZOMBIE && !(s->state == C_DONE && s->zombie))) {
		if (rc == 0)
			px_drop_caps(m->cap, m->ncaps); /* no call of ours */
		return;
	}
	a->inflight--;
	if (s->state == C_SENT) {
		if (rc == 0)
			px_msg_copy(&s->msg, m);
		px_slot_end(a, s, rc);
		pthread_cond_broadcast(&a->cond);
		return;
	}
	/* The late reply of a call that ended: discarded. */
	if (rc == 0)
		px_drop_caps(m->cap, m->ncaps);
	if (s->state == C_ZOMBIE)
		s->state = C_FREE;
	s->zombie = false;
}

/* Takes the frames that have come on a's connection, up to PX_AS_RBATCH,
 * without waiting (the caller holds the lock, and is its reader): how many,
 * or a status (IPC_EAGAIN: none). */
static int px_as_read_batch(struct px_async *a)
{
	struct px_as_batch *b = a->batch;
	if (!b && !(b = a->batch = malloc(sizeof *b)))
		return IPC_EAGAIN;   /* then one at a time, as before */
	for (int i = 0; i < PX_AS_RBATCH; i++)
		b->to[i] = &b->m[i];
	pthread_mutex_unlock(&a->lock);
	int k = px_recv_frames(a->fd, b->to, PX_AS_RBATCH, MSG_DONTWAIT, b->mm, b->room);
	pthread_mutex_lock(&a->lock);
	if (k < 0)
		return k;
	for (int i = 0; i < k; i++) {
		struct px_hdr h;
		bool hdr_ok;
		int rc = px_frame_decode(&b->mm[i].msg_hdr, b->mm[i].msg_len, &h, &b->m[i], false, &hdr_ok);
		px_as_take(a, rc, &h, hdr_ok, &b->m[i]);
	}
	return k;
}

/*
 * Read one frame (the caller holds the lock and a->reading is false),
 * waiting until deadline (-1: for ever; 0: not at all, and not even
 * poll(2): the cheapest drain).  Returns 0 when a
 * frame was taken, or IPC_EAGAIN / IPC_ETIMEDOUT.
 */
static int px_as_read(struct px_async *a, int64_t deadline)
{
	struct ipc_msg m;
	struct px_hdr h;
	bool hdr_ok = false;
	int rc, got = 0;
	a->reading = true;
	pthread_mutex_unlock(&a->lock);
	for (;;) {
		if (deadline > 0 && (rc = px_wait(a->fd, POLLIN, deadline)) < 0)
			break;
		rc = px_recv_frame(a->fd, &h, &m, deadline >= 0 ? MSG_DONTWAIT : 0, false, &hdr_ok);
		if (rc == IPC_EAGAIN && deadline != 0) {
			/* An O_NONBLOCK descriptor: wait here. */
			if (deadline < 0 && (rc = px_wait(a->fd, POLLIN, -1)) < 0)
				break;
			continue;
		}
		break;
	}
	pthread_mutex_lock(&a->lock);
	if (rc != IPC_EAGAIN && rc != IPC_ETIMEDOUT) {
		px_as_take(a, rc, &h, hdr_ok, &m);
		got++;
	}
	/* Take what else has come, without waiting, before sending more: the
	 * calls held meanwhile then go in one batch. */
	while (got && !a->dead && a->inflight) {
		int k = px_as_read_batch(a);
		if (k == IPC_EAGAIN)
			break;
		if (k < 0) {
			px_as_take(a, k, &h, false, &m);
			break;
		}
		got += k;
		if (k < PX_AS_RBATCH)
			break;
	}
	a->reading = false;
	if (got)
		px_as_flush(a);
	pthread_cond_broadcast(&a->cond);
	return got ? 0 : rc;
}

/* Read whatever has arrived, without waiting. */
static void px_as_drain(struct px_async *a)
{
	while (!a->reading && !a->dead && px_as_read(a, 0) == 0)
		;
}

/* End the calls whose deadline has passed. */
static void px_as_expire(struct px_async *a)
{
	if (!a->ndeadline)
		return;
	int64_t now = px_now_ms();
	for (unsigned i = 0; i < a->nslots; i++) {
		struct px_slot *s = SLOT(a, i);
		if ((s->state == C_QUEUED || s->state == C_SENT) && s->deadline >= 0 &&
		    s->deadline <= now) {
			s->zombie = s->state == C_SENT;
			px_slot_end(a, s, IPC_ETIMEDOUT);
			pthread_cond_broadcast(&a->cond);
		}
	}
}

/* Wait for something to change, until deadline: read if nobody does,
 * else wait for the reader. */
static int px_as_step(struct px_async *a, int64_t deadline)
{
	px_as_flush(a);
	if (deadline >= 0 && px_now_ms() >= deadline)
		return IPC_ETIMEDOUT;
	if (!a->reading && !a->dead)
		return px_as_read(a, deadline);
	if (deadline < 0) {
		pthread_cond_wait(&a->cond, &a->lock);
		return 0;
	}
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	int64_t left = deadline - px_now_ms();
	if (left < 0)
		left = 0;
	ts.tv_sec += left / 1000;
	ts.tv_nsec += (long)(left % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000)
		ts.tv_sec++, ts.tv_nsec -= 1000000000;
	return pthread_cond_timedwait(&a->cond, &a->lock, &ts) == ETIMEDOUT ? IPC_ETIMEDOUT : 0;
}

/* The public functions ---------------------------------------------------- */

/* Start a call (msg checked by px_check_out) on a's connection. */
static int px_as_start(struct px_async *a, struct ipc_msg *msg, int type, int timeout_ms,
                       ipc_call_done *done, ipc_fn fn, void *arg, ipc_call_t *call)
{
	pthread_mutex_lock(&a->lock);
	int rc = a->dead;
	int i = rc ? rc : px_slot_alloc(a);
	if (i < 0) {
		pthread_mutex_unlock(&a->lock);
		px_drop_caps(msg->cap, msg->ncaps);
		return i;
	}
	struct px_slot *s = SLOT(a, i);
	s->round = (uint8_t)(s->round % 255 + 1);
	s->type = (uint8_t)type;
	s->waited = s->zombie = false;
	s->cb = done != NULL;
	s->done = done;
	s->fn = fn;
	s->arg = arg;
	s->gen = ++a->gen;
	s->deadline = px_deadline(timeout_ms);
	if (s->deadline >= 0)
		a->ndeadline++;
	if (!a->inflight && !a->nqueued) {
		rc = px_as_send(a, s, msg);
	} else {
		/* Calls in flight: this one waits for the next flush (a wait,
		 * a dispatch, or the reply that comes first), and goes with
		 * those started meanwhile in one sendmmsg.  The readiness
		 * descriptor says so at once, for an event loop to flush. */
		px_msg_copy(&s->msg, msg);
		s->state = C_QUEUED;
		s->order = a->order++;
		a->nqueued++;
		px_as_arm(a, 0);
	}
	if (rc < 0) {
		px_slot_free(a, s);
	} else {
		if (call)
			*call = s->gen << 8 | (unsigned)i;
		if (s->deadline >= 0 && a->tfd >= 0 && (a->armed < 0 || s->deadline < a->armed))
			px_as_arm(a, s->deadline);
	}
	pthread_mutex_unlock(&a->lock);
	return rc;
}

/* Hand an ended call's reply to msg, and free its slot. */
static int px_as_collect(struct px_async *a, struct px_slot *s, struct ipc_msg *msg)
{
	int st = s->status;
	if (st == 0)
		px_msg_copy(msg, &s->msg);
	else
		ipc_msg_init(msg, 0, 0, 0);
	s->msg.ncaps = 0;
	px_slot_free(a, s);
	return st;
}

/* Wait for call s (handle form) until until. */
static int px_as_wait(struct px_async *a, struct px_slot *s, struct ipc_msg *msg,
                      int64_t until)
{
	s->waited = true;
	for (;;) {
		px_as_expire(a);
		if (s->state == C_DONE)
			return px_as_collect(a, s, msg);
		if (until >= 0 && px_now_ms() >= until) {
			s->waited = false;
			return IPC_EAGAIN;
		}
		px_as_step(a, px_min_deadline(until, s->deadline));
	}
}

int px_async_call(struct px_async *a, struct ipc_msg *msg, int type, int timeout_ms)
{
	ipc_call_t call;
	int rc = px_as_start(a, msg, type, timeout_ms, NULL, NULL, NULL, &call);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&a->lock);
	struct px_slot *s = px_slot_find(a, call);
	rc = px_as_wait(a, s, msg, -1);
	px_as_rearm(a); /* callbacks its reading ended wait for dispatch */
	pthread_mutex_unlock(&a->lock);
	return rc;
}

static int px_as_begin(ipc_cap ep, struct ipc_msg *msg, int timeout_ms, ipc_call_done *done,
                       ipc_fn fn, void *arg, ipc_call_t *call)
{
	if (call)
		*call = IPC_CALL_NONE;
	int st = px_check_out(ep, msg);
	if (st)
		return st;
	struct px_async *a = px_async_get(PX_INDEX(ep));
	if (!a) {
		px_drop_caps(msg->cap, msg->ncaps);
		return IPC_ENOMEM;
	}
	return px_as_start(a, msg, PX_CALL, timeout_ms, done, fn, arg, call);
}

int ipc_call_start(ipc_cap ep, struct ipc_msg *msg, int timeout_ms, ipc_call_t *call)
{
	return px_as_begin(ep, msg, timeout_ms, NULL, NULL, NULL, call);
}

int ipc_call_start_cb(ipc_cap ep, struct ipc_msg *msg, int timeout_ms, ipc_call_done *done,
                      ipc_fn fn, void *arg, ipc_call_t *call)
{
	if (!done) {
		if (call)
			*call = IPC_CALL_NONE;
		if (msg->ncaps <= IPC_MAX_CAPS)
			px_drop_caps(msg->cap, msg->ncaps);
		return IPC_EINVAL;
	}
	return px_as_begin(ep, msg, timeout_ms, done, fn, arg, call);
}

/* The state of connection ep, if it has one. */
static struct px_async *px_as_of(ipc_cap ep)
{
	if (ep == IPC_CAP_NONE || PX_KIND(ep) != PX_K_FD)
		return NULL;
	return px_async_find(PX_INDEX(ep));
}

int ipc_call_wait(ipc_cap ep, ipc_call_t call, struct ipc_msg *msg, int timeout_ms)
{
	struct px_async *a = px_as_of(ep);
	if (!a)
		return IPC_EINVAL;
	pthread_mutex_lock(&a->lock);
	struct px_slot *s = px_slot_find(a, call);
	int rc = !s ? IPC_EINVAL : s->waited ? IPC_EBUSY : px_as_wait(a, s, msg, px_deadline(timeout_ms));
	px_as_rearm(a);
	pthread_mutex_unlock(&a->lock);
	return rc;
}

int ipc_call_next(ipc_cap ep, ipc_call_t *call, struct ipc_msg *msg, int timeout_ms)
{
	struct px_async *a = px_as_of(ep);
	*call = IPC_CALL_NONE;
	if (!a)
		return IPC_EINVAL;
	int64_t until = px_deadline(timeout_ms);
	int rc;
	pthread_mutex_lock(&a->lock);
	for (;;) {
		px_as_expire(a);
		struct px_slot *any = NULL, *done = NULL;
		for (unsigned i = 0; i < a->nslots && !done; i++) {
			struct px_slot *s = SLOT(a, i);
			if (s->cb || s->waited ||
			    (s->state != C_QUEUED && s->state != C_SENT && s->state != C_DONE))
				continue;
			any = s;
			if (s->state == C_DONE)
				done = s;
		}
		if (done) {
			*call = done->gen << 8 | done->index;
			rc = px_as_collect(a, done, msg);
			break;
		}
		rc = !any ? IPC_EINVAL : IPC_EAGAIN;
		if (!any || (until >= 0 && px_now_ms() >= until))
			break;
		px_as_step(a, px_min_deadline(until, px_as_earliest(a)));
	}
	px_as_rearm(a);
	pthread_mutex_unlock(&a->lock);
	return rc;
}

int ipc_call_cancel(ipc_cap ep, ipc_call_t call)
{
	struct px_async *a = px_as_of(ep);
	if (!a)
		return IPC_EINVAL;
	pthread_mutex_lock(&a->lock);
	unsigned i = (unsigned)(call & 0xff);
	struct px_slot *s = i < a->nslots ? SLOT(a, i) : NULL;
	int rc = 0;
	if (!s || s->gen != call >> 8 ||
	    (s->state != C_QUEUED && s->state != C_SENT && s->state != C_DONE)) {
		rc = IPC_EINVAL;
	} else if (s->waited) {
		rc = IPC_EBUSY;
	} else {
		if (s->state != C_DONE) {
			s->zombie = s->state == C_SENT;
			px_slot_end(a, s, IPC_ETIMEDOUT);
		}
		px_slot_release(s);
		px_slot_free(a, s);
		px_as_rearm(a);
	}
	pthread_mutex_unlock(&a->lock);
	return rc;
}

int ipc_call_dispatch(ipc_cap ep, int timeout_ms)
{
	struct px_async *a = px_as_of(ep);
	if (!a)
		return IPC_EINVAL;
	int64_t until = px_deadline(timeout_ms);
	int n = 0;
	pthread_mutex_lock(&a->lock);
	if (a->tfd >= 0 && a->armed >= 0 && a->armed <= px_now_ms()) {
		uint64_t ticks;
		if (read(a->tfd, &ticks, sizeof ticks) >= 0 || errno == EAGAIN)
			a->armed = -1;
	}
	for (;;) {
		px_as_drain(a);
		px_as_expire(a);
		for (unsigned i = 0; i < a->nslots; i++) {
			struct px_slot *s = SLOT(a, i);
			if (s->state != C_DONE || !s->cb)
				continue;
			ipc_call_done *done = s->done;
			ipc_fn fn = s->fn;
			void *arg = s->arg;
			struct ipc_msg m;
			int st = px_as_collect(a, s, &m);
			pthread_mutex_unlock(&a->lock);
			done(st, &m, fn, arg);
			pthread_mutex_lock(&a->lock);
			n++;
		}
		if (n || (until >= 0 && px_now_ms() >= until))
			break;
		/* Wait only for a call that ends through its callback. */
		bool any = false;
		for (unsigned i = 0; i < a->nslots && !any; i++)
			any = SLOT(a, i)->cb && SLOT(a, i)->state != C_FREE && SLOT(a, i)->state != C_ZOMBIE;
		if (!any)
			break;
		px_as_step(a, px_min_deadline(until, px_as_earliest(a)));
	}
	px_as_rearm(a);
	pthread_mutex_unlock(&a->lock);
	return n;
}

int ipc_posix_async_fd(ipc_cap conn)
{
	if (conn == IPC_CAP_NONE || PX_KIND(conn) != PX_K_FD)
		return IPC_EBADCAP;
	struct px_async *a = px_async_get(PX_INDEX(conn));
	if (!a)
		return IPC_ENOMEM;
	pthread_mutex_lock(&a->lock);
	int rc = a->efd;
	if (rc < 0) {
		int efd = epoll_create1(EPOLL_CLOEXEC);
		int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0 };
		struct epoll_event tev = { .events = EPOLLIN, .data.u64 = 1 };
		if (efd < 0 || tfd < 0 || epoll_ctl(efd, EPOLL_CTL_ADD, a->fd, &ev) < 0 ||
		    epoll_ctl(efd, EPOLL_CTL_ADD, tfd, &tev) < 0) {
			rc = px_status_errno(errno);
			if (efd >= 0)
				close(efd);
			if (tfd >= 0)
				close(tfd);
		} else {
			a->efd = rc = efd;
			a->tfd = tfd;
			a->armed = -1;
			px_as_rearm(a);
		}
	}
	pthread_mutex_unlock(&a->lock);
	return rc;
}
