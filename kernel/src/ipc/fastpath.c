/*
 * ipc/fastpath.c: the two system calls of a client-server round trip, CALL
 * and REPLY_RECV, as straight lines for the common case: a message in
 * registers only (no capabilities, at most HELIOS_REG_WORDS words), a
 * partner already waiting, nothing else due (no handoff, no deferred work,
 * nobody polling the endpoint).  They do what ipc/endpoint.c would do, in the same
 * order, and switch to the partner directly: one mov cr3 between vspaces,
 * TSS.rsp0 and cur_ctx, sysret.  On anything unusual they return, having
 * changed nothing, and the general path (syscall/syscall.c) takes over.
 */
#include "kern/cap.h"
#include "kern/task.h"

/* A thread waiting in RECV or REPLY_RECV, first on the queue, taken off. */
static inline struct tcb *dequeue_head(struct tqueue *q)
{
	struct tcb *r = q->head;
	q->head = r->qnext;
	if (r->qnext)
		r->qnext->qprev = NULL;
	else
		q->tail = NULL;
	r->qnext = NULL;
	return r;
}

void fastpath_call(struct tcb *t)
{
	struct ctx *c = &t->ctx;
	u64 info = c->rdx;
	if (unlikely(info > HELIOS_REG_WORDS || sched_work))
		return;
	struct cap *cap = cap_slot(t->cspace, c->rdi);
	if (unlikely(!cap || cap->type != HELIOS_CAP_ENDPOINT || !(cap->rights & HELIOS_EP_SEND)))
		return;
	struct endpoint *ep = cap->obj;
	if (unlikely(!ep->receivers.head))
		return;

	struct tcb *r = dequeue_head(&ep->receivers);
	MSG_COPY_REGS(&r->ctx, c, c->rsi, info);
	r->ctx.rdx = info;
	r->ctx.rax = HELIOS_OK;
	t->call_seq++;
	r->reply_to = t;                /* the call becomes r's current reply */
	r->reply_seq = t->call_seq;
	t->replier = r;
	t->state = T_REPLY;
	r->state = T_RUNNABLE;
	r->blocked_on = NULL;
	sched_run_syscall(r);
}

void fastpath_reply_recv(struct tcb *t)
{
	struct ctx *c = &t->ctx;
	u64 info = c->rdx;
	struct tcb *caller = t->reply_to;
	if (unlikely(info > HELIOS_REG_WORDS || !caller || sched_work))
		return;
	struct cap *cap = cap_slot(t->cspace, c->rdi);
	if (unlikely(!cap || cap->type != HELIOS_CAP_ENDPOINT || !(cap->rights & HELIOS_EP_RECV)))
		return;
	struct endpoint *ep = cap->obj;
	if (unlikely(ep->senders.head || !plist_empty(&ep->pollers) || caller->state != T_REPLY ||
	             caller->call_seq != t->reply_seq))
		return;

	/* The reply: the label is the status. */
	t->reply_to = NULL;
	caller->replier = NULL;
	MSG_COPY_REGS(&caller->ctx, c, c->rsi, info);
	caller->ctx.rdx = info;
	caller->ctx.rax = HELIOS_OK;
	caller->state = T_RUNNABLE;
	/* The receive: nobody is sending, so t waits. */
	t->reply_lost = false;
	t->state = T_RECV;
	t->blocked_on = ep;
	tq_push(&ep->receivers, t);
	sched_run_syscall(caller);
}
