/*
 * kern/ipc.h: endpoints, notifications and the message transfer between
 * threads (ipc/).  An endpoint is two queues: threads waiting to send (or
 * call) and threads waiting to receive.  A notification is a word of bits
 * and a queue of waiters.
 */
#ifndef KERN_IPC_H
#define KERN_IPC_H

#include "kern/lib.h"
#include "kern/rmap.h"

struct tcb;

/* A circular list with a head of its own (ipc/poll.c); a zeroed head is
 * an empty list. */
struct plink {
	struct plink *next, *prev;
};

struct endpoint {
	struct tqueue senders;          /* T_SEND: callers and senders, in order */
	struct tqueue receivers;        /* T_RECV */
	struct plink pollers;           /* T_POLL threads watching it */
	/* Its capabilities by rights: servers have RECV, clients SEND alone. */
	u32 servers, clients;
	bool dead;                      /* no server is left: every wait ends in EPEER */
	bool draining;                  /* on the list of dead endpoints to drain */
	struct endpoint *drain_next;
	/* EP_WATCH: signal watch_bits on watch when no client is left; the
	 * binding is on the notification's reverse map (REF_WATCH). */
	struct notification *watch;
	u64 watch_bits;
	struct rlink watch_link;
};

struct notification {
	u64 word;
	struct tqueue waiters;          /* T_WAIT */
	struct plink pollers;           /* T_POLL threads watching it */
	/* An armed timer (TIMER): signal timer_bits at tick timer_at; a node
	 * of the tree of armed timers (ipc/timer.c). */
	u64 timer_at, timer_bits;
	struct notification *timer_left, *timer_right, *timer_parent;
	int timer_height;
	bool timer_armed;
};

void tq_push(struct tqueue *q, struct tcb *t);
struct tcb *tq_pop(struct tqueue *q);
void tq_remove(struct tqueue *q, struct tcb *t);

/* ipc/msg.c: decode a thread's outgoing message (no side effects), and
 * deliver it (cannot fail). */
int msg_check(struct tcb *from);
void msg_deliver(struct tcb *from, struct tcb *to, u64 label);
/* The capabilities that deliveries could not place go: at the end of every
 * system call that made some (msg_undelivered). */
extern u32 msg_undelivered;
void msg_release(void);

/* The register part of a message: label, info and words 0..5, zeros past
 * nwords so that nothing of the sender leaks. */
#define MSG_COPY_REGS(d, s, label, nwords)                                     \
	do {                                                                   \
		(d)->rsi = (label);                                            \
		(d)->r10 = (nwords) > 0 ? (s)->r10 : 0;                        \
		(d)->r8 = (nwords) > 1 ? (s)->r8 : 0;                          \
		(d)->r9 = (nwords) > 2 ? (s)->r9 : 0;                          \
		(d)->r12 = (nwords) > 3 ? (s)->r12 : 0;                        \
		(d)->r13 = (nwords) > 4 ? (s)->r13 : 0;                        \
		(d)->r14 = (nwords) > 5 ? (s)->r14 : 0;                        \
	} while (0)

/* ipc/fastpath.c: CALL and REPLY_RECV of register-only messages between
 * two threads when nothing unusual is going on; returns only if it could
 * not take the fast path. */
void fastpath_call(struct tcb *t);
void fastpath_reply_recv(struct tcb *t);

/* Returned by an operation that blocked the calling thread: its rax is
 * written when it wakes. */
#define IPC_BLOCKED 1

/* ipc/endpoint.c */
int ipc_call(struct tcb *t, struct endpoint *ep);
int ipc_send(struct tcb *t, struct endpoint *ep);
int ipc_recv(struct tcb *t, struct endpoint *ep, bool wait);
int ipc_reply(struct tcb *t, struct tcb *caller, u64 seq);
struct tcb *reply_take(struct tcb *t, u64 *seq);       /* detach t's current reply */
void ipc_drop_reply(struct tcb *t);
void reply_abandon(struct tcb *caller, u64 seq);        /* EPEER, if still waiting */
bool endpoint_destroy_step(struct endpoint *ep);        /* reap: true when done */
void ep_caps(struct endpoint *ep, u8 rights, int delta);        /* a capability came or went */
void ep_watch(struct endpoint *ep, struct notification *n, u64 bits);
bool ep_drain_some(void);               /* deferred work: dead endpoints' waiters wake */
bool ep_drain_pending(void);

/* ipc/notification.c */
struct tcb *notification_signal(struct notification *n, u64 bits);  /* the waiter woken */
int notification_wait(struct tcb *t, struct notification *n);
bool notification_destroy_step(struct notification *n); /* reap: true when done */

/* ipc/timer.c */
void timer_arm(struct notification *n, u64 at, u64 bits);
void timer_disarm(struct notification *n);
void timer_tick(u64 now);
bool timers_due(void);
bool timer_fire_some(void);             /* deferred work: true when nothing is due */

/* ipc/poll.c */
int ipc_poll(struct tcb *t, unsigned n);
void poll_wake(struct plink *pollers);  /* the object changed: its pollers poll again */
void poll_remove(struct tcb *t);
bool poll_pending(void);
bool poll_wake_some(void);              /* deferred work: true when nobody is left to wake */
static inline bool plist_empty(const struct plink *h)
{
	return !h->next || h->next == h;
}

#endif
