/*
 * sched/sched.c: the run queue and the way back to user mode.
 *
 * sched_return is where every kernel entry ends.  It first does a slice of
 * deferred work (destroying what the entry left unreferenced, revoking,
 * waking pollers: mm/object.c), then keeps the current thread
 * if it is still runnable, else takes the thread an IPC operation handed
 * the CPU to (the handoff: a call runs the server next, a reply-and-receive
 * the client, an IRQ its handler), else the head of the run queue, else
 * idles.  A handoff thread that does not get the CPU at once (its waker
 * keeps running) joins the run queue's tail.
 *
 * On the way out to a thread other than the one that last ran: fxsave64
 * and fxrstor64 of the x87/SSE registers, one `mov cr3` when it lives in
 * another address space (no PCID: the TLB's user entries go, the kernel's
 * are global and stay), one store of TSS.rsp0 and one of cur_ctx so that
 * the next entry saves into its ctx.  Then sysretq or iretq, as the
 * ctx's vector says (kern/arch.h).  No swapgs, no wrmsr, no fence, on any
 * path.
 *
 * syscall_dispatch skips all of this when the caller simply continues:
 * straight back through sysret.  The IPC fast path (ipc/fastpath.c) leaves
 * through sched_run_syscall: the same switch, always sysret.
 */
#include "kern/arch.h"
#include "kern/mm.h"
#include "kern/task.h"

struct tcb *current;
static struct tqueue runq;
static struct tcb *handoff;     /* runnable, on no queue: the next to run */
bool sched_work;                /* handoff, or reap_head: see sched_pending */
static struct tcb *resumed;     /* whose cr3, TSS.rsp0 and cur_ctx are loaded */
static struct tcb *fpu_owner;   /* whose x87/SSE registers the FPU holds */
static u64 loaded_cr3;
static bool tlb_flush;          /* user mappings went: reload cr3 before user mode */

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

void sched_handoff(struct tcb *t)
{
	t->state = T_RUNNABLE;
	t->blocked_on = NULL;
	if (handoff)
		tq_push(&runq, handoff);
	handoff = t;
	sched_work = true;
}

void wake_handoff(struct tcb *t, i64 status)
{
	t->ctx.rax = (u64)status;
	sched_handoff(t);
}

/* A thread on the run queue goes first instead (an IRQ's handler). */
void sched_promote(struct tcb *t)
{
	if (t == current || t == handoff)
		return;
	tq_remove(&runq, t);
	sched_handoff(t);
}



/* The timer: the current thread goes to the back of the queue. */
void sched_preempt(void)
{
	if (current && current->state == T_RUNNABLE && (runq.head || handoff)) {
		tq_push(&runq, current);
		current = NULL;
	}
}

/* Take t off whatever queue holds it. */
void task_unblock(struct tcb *t)
{
	switch (t->state) {
	case T_RUNNABLE:
		if (t == handoff)
			handoff = NULL;
		else if (t != current)
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
	case T_REVOKE:
		tq_remove(&((struct memq *)t->blocked_on)->revokers, t);
		break;
	case T_REAP:
		tq_remove(&reap_waiters, t);
		break;
	}
	t->blocked_on = NULL;
	if (current == t)
		current = NULL;
	if (resumed == t)
		resumed = NULL;         /* its frame may be another TCB's next */
	if (fpu_owner == t)
		fpu_owner = NULL;
}

/*
 * The FPU follows the CPU: saved into the thread that had it, loaded from
 * the one that gets it, eagerly (two instructions per switch; no lazy #NM
 * games).  The kernel itself never touches it (-mgeneral-regs-only).
 */
static inline void fpu_switch(struct tcb *t)
{
	if (fpu_owner != t) {
		if (fpu_owner)
			__asm__ volatile("fxsave64 %0" : "=m"(*(u8(*)[512])fpu_owner->fpu));
		__asm__ volatile("fxrstor64 %0" ::"m"(*(const u8(*)[512])t->fpu));
		fpu_owner = t;
	}
}

static NORETURN void resume(struct tcb *t)
{
	if (t != resumed) {
		resumed = t;
		fpu_switch(t);
		if (t->cr3 != loaded_cr3) {
			loaded_cr3 = t->cr3;
			write_cr3(t->cr3);
		}
		tss_set_rsp0((u64)(uptr)(&t->ctx + 1));
		cur_ctx = &t->ctx;
	}
	lat_exit();
	if (t->ctx.vector == VEC_SYSCALL)
		ctx_return_sysret(&t->ctx);
	ctx_return_iret(&t->ctx);
}

void tlb_stale(void)
{
	tlb_flush = true;
	sched_work = true;
}

/* The idle loop (arch/trap.S), interrupts off, on a fresh stack: a slice of
 * deferred work, and whoever it made runnable runs.  Returns whether there
 * is more to do (the loop then takes interrupts and comes back) or not (it
 * halts until an interrupt). */
bool idle_work(void)
{
	if (!work_due)
		return false;
	lat_enter(0x2000);
	work_slice();
	if (runq.head || handoff)
		sched_return();
	lat_exit();
	return work_due;
}

#ifdef KERNEL_LATENCY
static u64 lat_t0, lat_cause, lat_max;

static inline u64 rdtsc(void)
{
	u32 lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (u64)hi << 32 | lo;
}

void lat_enter(u64 cause)
{
	if (!lat_t0) {
		lat_t0 = rdtsc();
		lat_cause = cause;
	}
}

void lat_exit(void)
{
	if (!lat_t0)
		return;
	u64 d = rdtsc() - lat_t0;
	lat_t0 = 0;
	if (d > lat_max) {
		lat_max = d;
		if (d > LAT_REPORT)
			kprintf("latency: %lu instructions with interrupts off (%s %lu)\n", d,
			        lat_cause >= 0x2000 ? "idle work" : lat_cause >= 0x1000 ? "vector" : "syscall",
			        lat_cause >= 0x2000 ? 0 : lat_cause & 0xfff);
	}
}
#endif

NORETURN void sched_return(void)
{
	if (work_due)
		work_slice();
	/* A system call that queued destruction returns once it is done, so
	 * that what it freed is back in its quota when it returns. */
	struct tcb *c = current;
	if (c && c->reap_wait) {
		c->reap_wait = false;
		if (c->state == T_RUNNABLE && reap_busy()) {
			c->state = T_REAP;
			tq_push(&reap_waiters, c);
			current = NULL;
			work_due = true;
		}
	}
	sched_work = work_due;
	if (tlb_flush) {
		tlb_flush = false;
		loaded_cr3 = 0;         /* the next resume reloads cr3 */
		resumed = NULL;
	}
	struct tcb *t = current;
	if (handoff) {
		if (t && t->state == T_RUNNABLE)
			tq_push(&runq, handoff);
		else
			t = handoff;
		handoff = NULL;
	}
	if (!t || t->state != T_RUNNABLE)
		t = tq_pop(&runq);
	current = t;
	if (!t) {
		/* Nothing to run: the next interrupt comes back here. */
		resumed = NULL;
		if (loaded_cr3 != kernel_cr3) {
			loaded_cr3 = kernel_cr3;
			write_cr3(kernel_cr3);
		}
		lat_exit();
		idle_enter();
	}
	resume(t);
}

/*
 * The IPC fast path's way out: t, which was blocked in a system call (so
 * its ctx was saved by syscall and sysret restores it), runs now.  The
 * fast path has checked that nothing else is due (no handoff, no reap).
 */
NORETURN void sched_run_syscall(struct tcb *t)
{
	current = t;
	if (t != resumed) {
		resumed = t;
		fpu_switch(t);
		if (t->cr3 != loaded_cr3) {
			loaded_cr3 = t->cr3;
			write_cr3(t->cr3);      /* the one mov cr3 of an IPC between vspaces */
		}
		tss_set_rsp0((u64)(uptr)(&t->ctx + 1));
		cur_ctx = &t->ctx;
	}
	lat_exit();
	ctx_return_sysret(&t->ctx);
}

/* A vspace on its way out must not stay loaded (mm/vspace.c). */
void sched_forget_cr3(u64 cr3)
{
	if (loaded_cr3 == cr3) {
		loaded_cr3 = kernel_cr3;
		resumed = NULL;
		write_cr3(kernel_cr3);
	}
}
