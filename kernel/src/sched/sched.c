/*
 * sched/sched.c: the run queue and the way back to user mode.
 *
 * sched_return is where every kernel entry ends.  It first destroys what
 * the entry's work left unreferenced (reap), then keeps the current thread
 * if it is still runnable, else takes the thread an IPC operation handed
 * the CPU to (the switch hint: a call runs the server next, a reply the
 * client), else the head of the run queue, else idles.
 *
 * On the way out, one `mov cr3` when the next thread lives in another
 * address space (no PCID: the TLB's user entries go, the kernel's are
 * global and stay), one store of TSS.rsp0 so that the next entry saves
 * into the right ctx, and sysretq (after a syscall) or iretq (after an
 * interrupt or exception, which must restore rcx and r11 too).  No swapgs,
 * no wrmsr, no fence.
 */
#include "kern/arch.h"
#include "kern/mm.h"
#include "kern/task.h"

struct tcb *current;
static struct tqueue runq;
static struct tcb *hint;
static u64 loaded_cr3;

void tq_push(struct tqueue *q, struct tcb *t)
{
	t->qnext = NULL;
	t->qprev = q->tail;
	if (q->tail)
		q->tail->qnext = t;
	else
		q->head = t;
	q->tail = t;
}

void tq_remove(struct tqueue *q, struct tcb *t)
{
	if (t->qprev)
		t->qprev->qnext = t->qnext;
	else
		q->head = t->qnext;
	if (t->qnext)
		t->qnext->qprev = t->qprev;
	else
		q->tail = t->qprev;
	t->qnext = t->qprev = NULL;
}

struct tcb *tq_pop(struct tqueue *q)
{
	struct tcb *t = q->head;
	if (t)
		tq_remove(q, t);
	return t;
}

void sched_wake(struct tcb *t)
{
	t->state = T_RUNNABLE;
	t->blocked_on = NULL;
	if (t != current)
		tq_push(&runq, t);
}

void wake_status(struct tcb *t, i64 status)
{
	t->ctx.rax = (u64)status;
	sched_wake(t);
}

/* Rerun the system call t is blocked in (poll): back over the 2-byte syscall. */
void wake_restart(struct tcb *t)
{
	t->ctx.rip -= 2;
	sched_wake(t);
}

void sched_switch_hint(struct tcb *t)
{
	hint = t;
}

/* The timer: the current thread goes to the back of the queue. */
void sched_preempt(void)
{
	if (current && current->state == T_RUNNABLE && runq.head) {
		tq_push(&runq, current);
		current = NULL;
	}
}

/* Take t off whatever queue holds it. */
void task_unblock(struct tcb *t)
{
	switch (t->state) {
	case T_RUNNABLE:
		if (t != current)
			tq_remove(&runq, t);
		break;
	case T_SEND:
		tq_remove(&((struct endpoint *)t->blocked_on)->senders, t);
		break;
	case T_RECV:
		tq_remove(&((struct endpoint *)t->blocked_on)->receivers, t);
		break;
	case T_WAIT:
		tq_remove(&((struct notification *)t->blocked_on)->waiters, t);
		break;
	case T_POLL:
		poll_remove(t);
		break;
	}
	t->blocked_on = NULL;
	if (hint == t)
		hint = NULL;
	if (current == t)
		current = NULL;
}

static NORETURN void resume(struct tcb *t)
{
	if (t->cr3 != loaded_cr3) {
		loaded_cr3 = t->cr3;
		write_cr3(t->cr3);
	}
	tss_set_rsp0((u64)(uptr)(&t->ctx + 1));
	if (t->ctx.vector == VEC_SYSCALL)
		ctx_return_sysret(&t->ctx);
	ctx_return_iret(&t->ctx);
}

NORETURN void sched_return(void)
{
	reap();
	struct tcb *t = current;
	if (!t || t->state != T_RUNNABLE) {
		if (hint && hint->state == T_RUNNABLE && hint != t) {
			t = hint;
			tq_remove(&runq, t);
		} else {
			t = tq_pop(&runq);
		}
		current = t;
	}
	hint = NULL;
	if (!t) {
		/* Nothing to run: the next interrupt comes back here. */
		if (loaded_cr3 != kernel_cr3) {
			loaded_cr3 = kernel_cr3;
			write_cr3(kernel_cr3);
		}
		idle_enter();
	}
	resume(t);
}

/* A vspace on its way out must not stay loaded (mm/vspace.c). */
void sched_forget_cr3(u64 cr3)
{
	if (loaded_cr3 == cr3) {
		loaded_cr3 = kernel_cr3;
		write_cr3(kernel_cr3);
	}
}
