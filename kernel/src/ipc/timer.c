/*
 * ipc/timer.c: one-shot timers on notifications.  TIMER arms a
 * notification to be signalled with some bits at a given tick of the
 * kernel's clock (TIMER_HZ); a driver's timeout is a poll over its
 * endpoint and such a notification.
 *
 * The armed notifications form an AVL tree ordered by deadline (then by
 * address, so that keys are distinct), linked through the notifications
 * themselves, with the earliest kept at hand: arming and disarming cost
 * O(log n) in the worst case, however many timers tasks have paid for, and
 * a tick looks at the earliest only.  The timer interrupt does not fire
 * timers itself: what is due fires as deferred work (mm/object.c), a step
 * each, so that a thousand timers due at one tick cannot keep interrupts
 * off for long.
 */
#include "kern/task.h"

static struct notification *root;       /* of the tree of armed timers */
static struct notification *first;      /* the earliest deadline */
static u64 now;                         /* the last tick seen */

static bool before(const struct notification *a, const struct notification *b)
{
	return a->timer_at < b->timer_at || (a->timer_at == b->timer_at && a < b);
}

static int height(const struct notification *n)
{
	return n ? n->timer_height : 0;
}

static void fix_height(struct notification *n)
{
	n->timer_height = 1 + MAX(height(n->timer_left), height(n->timer_right));
}

/* In p (or at the root, p NULL), child old is replaced by new. */
static void replace(struct notification *p, struct notification *old, struct notification *new)
{
	if (!p)
		root = new;
	else if (p->timer_left == old)
		p->timer_left = new;
	else
		p->timer_right = new;
	if (new)
		new->timer_parent = p;
}

static struct notification *rotate_left(struct notification *x)
{
	struct notification *y = x->timer_right;
	x->timer_right = y->timer_left;
	if (y->timer_left)
		y->timer_left->timer_parent = x;
	replace(x->timer_parent, x, y);
	y->timer_left = x;
	x->timer_parent = y;
	fix_height(x);
	fix_height(y);
	return y;
}

static struct notification *rotate_right(struct notification *x)
{
	struct notification *y = x->timer_left;
	x->timer_left = y->timer_right;
	if (y->timer_right)
		y->timer_right->timer_parent = x;
	replace(x->timer_parent, x, y);
	y->timer_right = x;
	x->timer_parent = y;
	fix_height(x);
	fix_height(y);
	return y;
}

/* Heights and balance from n up to the root. */
static void rebalance(struct notification *n)
{
	for (; n; n = n->timer_parent) {
		fix_height(n);
		int b = height(n->timer_left) - height(n->timer_right);
		if (b > 1) {
			if (height(n->timer_left->timer_left) < height(n->timer_left->timer_right))
				rotate_left(n->timer_left);
			n = rotate_right(n);
		} else if (b < -1) {
			if (height(n->timer_right->timer_right) < height(n->timer_right->timer_left))
				rotate_right(n->timer_right);
			n = rotate_left(n);
		}
	}
}

static struct notification *leftmost(struct notification *n)
{
	while (n->timer_left)
		n = n->timer_left;
	return n;
}

void timer_disarm(struct notification *n)
{
	if (!n->timer_armed)
		return;
	if (n == first)
		first = n->timer_right ? leftmost(n->timer_right) : n->timer_parent;
	struct notification *p = n->timer_parent;
	if (n->timer_left && n->timer_right) {
		/* Its successor, which has no left child, takes its place. */
		struct notification *s = leftmost(n->timer_right), *from = s;
		if (s->timer_parent != n) {
			from = s->timer_parent;
			replace(from, s, s->timer_right);
			s->timer_right = n->timer_right;
			s->timer_right->timer_parent = s;
		}
		s->timer_left = n->timer_left;
		s->timer_left->timer_parent = s;
		replace(p, n, s);
		rebalance(from);
	} else {
		replace(p, n, n->timer_left ? n->timer_left : n->timer_right);
		rebalance(p);
	}
	n->timer_left = n->timer_right = n->timer_parent = NULL;
	n->timer_armed = false;
}

void timer_arm(struct notification *n, u64 at, u64 bits)
{
	timer_disarm(n);
	n->timer_at = at;
	n->timer_bits = bits;
	n->timer_armed = true;
	n->timer_left = n->timer_right = NULL;
	n->timer_height = 1;
	struct notification *p = NULL, *c = root;
	while (c) {
		p = c;
		c = before(n, c) ? c->timer_left : c->timer_right;
	}
	n->timer_parent = p;
	if (!p)
		root = n;
	else if (before(n, p))
		p->timer_left = n;
	else
		p->timer_right = n;
	rebalance(p);
	if (!first || before(n, first))
		first = n;
	if (at <= now)
		work_due = sched_work = true;
}

/* From the timer interrupt: if anything is due, the deferred work fires it. */
void timer_tick(u64 tick)
{
	now = tick;
	if (first && first->timer_at <= now)
		work_due = sched_work = true;
}

bool timers_due(void)
{
	return first && first->timer_at <= now;
}

#ifdef KERNEL_HOST_TEST
struct notification *timer_tree(struct notification **earliest)
{
	*earliest = first;
	return root;
}
#endif

/* Deferred work: fire what is due, a step each. */
bool timer_fire_some(void)
{
	while (first && first->timer_at <= now) {
		if (work_budget-- <= 0)
			return false;
		struct notification *n = first;
		timer_disarm(n);
		notification_signal(n, n->timer_bits);
	}
	return true;
}
