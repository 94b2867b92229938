/*
 * ipc/notification.c: a word of bits that signal ORs into and wait takes
 * (and clears) whole, waking one waiter at a time.  IRQs arrive as signals
 * (irq/irq.c); a task's death can be one too (TASK_NOTIFY), and so can a
 * timer (ipc/timer.c).
 */
#include "kern/task.h"

struct tcb *notification_signal(struct notification *n, u64 bits)
{
	n->word |= bits;
	if (!n->word)
		return NULL;
	struct tcb *w = tq_pop(&n->waiters);
	if (w) {
		w->ctx.rsi = n->word;
		n->word = 0;
		wake_status(w, HELIOS_OK);
		return w;
	}
	poll_wake(&n->pollers);
	return NULL;
}

int notification_wait(struct tcb *t, struct notification *n)
{
	if (n->word) {
		t->ctx.rsi = n->word;
		n->word = 0;
		return HELIOS_OK;
	}
	t->state = T_WAIT;
	t->blocked_on = n;
	tq_push(&n->waiters, t);
	return IPC_BLOCKED;
}

/* Reap: every waiter wakes with EPEER, one per step. */
bool notification_destroy_step(struct notification *n)
{
	timer_disarm(n);
	poll_wake(&n->pollers);
	struct tcb *t;
	while ((t = tq_pop(&n->waiters))) {
		wake_status(t, HELIOS_EPEER);
		if (--work_budget <= 0)
			return !n->waiters.head;
	}
	return true;
}
