/*
 * ipc/timer.c: one-shot timers on notifications.  TIMER arms a
 * notification to be signalled with some bits at a given tick of the
 * kernel's clock (TIMER_HZ); a driver's timeout is a poll over its
 * endpoint and such a notification.  The armed notifications are kept in
 * deadline order, so each tick looks at the head only; arming walks the
 * list, which is as long as the notifications that tasks paid for.
 */
#include "kern/task.h"

static struct notification *armed;      /* earliest deadline first */

void timer_disarm(struct notification *n)
{
	if (!n->timer_armed)
		return;
	if (n->timer_prev)
		n->timer_prev->timer_next = n->timer_next;
	else
		armed = n->timer_next;
	if (n->timer_next)
		n->timer_next->timer_prev = n->timer_prev;
	n->timer_next = n->timer_prev = NULL;
	n->timer_armed = false;
}

void timer_arm(struct notification *n, u64 at, u64 bits)
{
	timer_disarm(n);
	n->timer_at = at;
	n->timer_bits = bits;
	n->timer_armed = true;
	struct notification *prev = NULL, *next = armed;
	while (next && next->timer_at <= at) {
		prev = next;
		next = next->timer_next;
	}
	n->timer_prev = prev;
	n->timer_next = next;
	if (prev)
		prev->timer_next = n;
	else
		armed = n;
	if (next)
		next->timer_prev = n;
}

/* From the timer interrupt: signal every notification whose time has come. */
void timer_tick(u64 now)
{
	while (armed && armed->timer_at <= now) {
		struct notification *n = armed;
		timer_disarm(n);
		notification_signal(n, n->timer_bits);
	}
}
