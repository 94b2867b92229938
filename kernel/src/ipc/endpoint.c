/*
 * ipc/endpoint.c: call, send, receive and reply.
 *
 * Synchronous rendezvous: whoever comes first waits on the endpoint's queue
 * for the other side.  A call leaves its caller in T_REPLY and makes it the
 * receiver's current reply (tcb.reply_to, with the caller's call sequence
 * number); the receiver answers it with REPLY or REPLY_RECV, or takes it
 * into a reply capability (REPLY_SAVE) to answer later.  A reply finds its
 * caller only while the caller still waits for that very call: the
 * sequence number changes with each call and at death, so a stale reply
 * capability gets HELIOS_EPEER and harms nobody.  A receiver that receives
 * again without answering drops its current reply: that caller wakes with
 * HELIOS_EPEER instead of waiting for ever, and so does the caller of a
 * reply capability destroyed unanswered (cap/cspace.c): every call ends.
 *
 * When a call finds a receiver, the CPU goes straight to the receiver
 * (the handoff); a reply-and-receive that blocks goes straight back to
 * the caller.  The callers here have decoded their capabilities and the
 * message (msg_check) already; nothing below fails for a user's mistake.
 */
#include "kern/mm.h"
#include "kern/rmap.h"
#include "kern/task.h"

static void take_reply(struct tcb *server, struct tcb *caller)
{
	server->reply_to = caller;
	server->reply_seq = caller->call_seq;
	caller->replier = server;
	caller->state = T_REPLY;
	caller->blocked_on = NULL;
}

struct tcb *reply_take(struct tcb *t, u64 *seq)
{
	struct tcb *c = t->reply_to;
	if (c) {
		t->reply_to = NULL;
		c->replier = NULL;
		*seq = t->reply_seq;
	}
	return c;
}

int ipc_call(struct tcb *t, struct endpoint *ep)
{
	if (ep->dead)
		return HELIOS_EPEER;
	struct tcb *r = tq_pop(&ep->receivers);
	t->call_seq++;
	if (r) {
		msg_deliver(t, r, t->ctx.rsi);
		take_reply(r, t);
		wake_handoff(r, HELIOS_OK);
	} else {
		t->state = T_SEND;
		t->is_call = true;
		t->blocked_on = ep;
		tq_push(&ep->senders, t);
		poll_wake(&ep->pollers);
	}
	return IPC_BLOCKED;
}

int ipc_send(struct tcb *t, struct endpoint *ep)
{
	if (ep->dead)
		return HELIOS_EPEER;
	struct tcb *r = tq_pop(&ep->receivers);
	if (r) {
		msg_deliver(t, r, t->ctx.rsi);
		wake_status(r, HELIOS_OK);
		return HELIOS_OK;
	}
	t->state = T_SEND;
	t->is_call = false;
	t->blocked_on = ep;
	tq_push(&ep->senders, t);
	poll_wake(&ep->pollers);
	return IPC_BLOCKED;
}

int ipc_recv(struct tcb *t, struct endpoint *ep, bool wait)
{
	ipc_drop_reply(t);
	t->reply_lost = false;
	/* Only REPLY_RECV gets here without a capability that can receive:
	 * its reply took the last one, and nothing would wake it. */
	if (ep->dead)
		return HELIOS_EPEER;
	struct tcb *s = tq_pop(&ep->senders);
	if (!s && !wait)
		return HELIOS_EAGAIN;
	if (s) {
		msg_deliver(s, t, s->ctx.rsi);
		if (s->is_call)
			take_reply(t, s);
		else
			wake_status(s, HELIOS_OK);
		return HELIOS_OK;
	}
	t->state = T_RECV;
	t->blocked_on = ep;
	tq_push(&ep->receivers, t);
	poll_wake(&ep->pollers);
	return IPC_BLOCKED;
}

/* Answer caller's call number seq with t's message; the label is the status. */
int ipc_reply(struct tcb *t, struct tcb *caller, u64 seq)
{
	if (caller->state != T_REPLY || caller->call_seq != seq)
		return HELIOS_EPEER;
	msg_deliver(t, caller, t->ctx.rsi);
	wake_handoff(caller, HELIOS_OK);
	return HELIOS_OK;
}

/* Nobody will answer call number seq of caller: it ends with EPEER. */
void reply_abandon(struct tcb *caller, u64 seq)
{
	if (caller->state == T_REPLY && caller->call_seq == seq) {
		caller->call_seq++;
		wake_status(caller, HELIOS_EPEER);
	}
}

void ipc_drop_reply(struct tcb *t)
{
	u64 seq;
	struct tcb *c = reply_take(t, &seq);
	if (c)
		reply_abandon(c, seq);
}

/*
 * Capabilities come and go (cap/cspace.c).  When the last server goes the
 * endpoint is dead for good: no capability can get RECV back; its waiters
 * are woken with EPEER as deferred work (there may be many).  When the last
 * client goes, the watch, if any, is signalled.
 */
static struct endpoint *drain_head;

void ep_caps(struct endpoint *ep, u8 rights, int delta)
{
	if (rights & HELIOS_EP_RECV) {
		ep->servers += (u32)delta;
		if (ep->servers || delta > 0 || ep->dead)
			return;
		ep->dead = true;
		poll_wake(&ep->pollers);
		if (ep->senders.head || ep->receivers.head) {
			obj_ref(ep);
			ep->draining = true;
			ep->drain_next = drain_head;
			drain_head = ep;
			work_due = sched_work = true;
		}
	} else if (rights & HELIOS_EP_SEND) {
		ep->clients += (u32)delta;
		if (!ep->clients && delta < 0 && ep->watch)
			notification_signal(ep->watch, ep->watch_bits);
	}
}

bool ep_drain_pending(void)
{
	return drain_head != NULL;
}

static struct tcb *next_waiter(struct endpoint *ep)
{
	return ep->senders.head ? tq_pop(&ep->senders) : tq_pop(&ep->receivers);
}

bool ep_drain_some(void)
{
	while (drain_head) {
		struct endpoint *ep = drain_head;
		struct tcb *t;
		while ((t = next_waiter(ep))) {
			wake_status(t, HELIOS_EPEER);
			if (--work_budget <= 0)
				return false;
		}
		drain_head = ep->drain_next;
		ep->draining = false;
		obj_unref(ep);
	}
	return true;
}

static u32 watch_ref(struct endpoint *ep)
{
	return REF_MAKE(REF_WATCH, (u32)frame_of_virt(ep));
}

/* EP_WATCH, and revocation of the notification (n NULL: no watch). */
void ep_watch(struct endpoint *ep, struct notification *n, u64 bits)
{
	if (ep->watch) {
		rmap_del(frame_of_virt(ep->watch), watch_ref(ep));
		obj_unref(ep->watch);
	}
	ep->watch = n;
	ep->watch_bits = bits;
	if (n) {
		obj_ref(n);
		rmap_add(frame_of_virt(n), watch_ref(ep));
		if (!ep->clients)
			notification_signal(n, bits);
	}
}

/* Reap: every waiter wakes with EPEER, one per step. */
bool endpoint_destroy_step(struct endpoint *ep)
{
	ep_watch(ep, NULL, 0);
	poll_wake(&ep->pollers);
	for (;;) {
		struct tcb *t = next_waiter(ep);
		if (!t)
			return true;
		wake_status(t, HELIOS_EPEER);
		if (--work_budget <= 0)
			return !ep->senders.head && !ep->receivers.head;
	}
}
