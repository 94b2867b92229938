/*
 * ipc/poll.c: wait on several endpoints and notifications at once, the
 * shape of a driver's main loop.
 *
 * The entries are in the caller's IPC buffer (poll[]): a capability and the
 * events wanted; POLL writes each entry's revents and returns how many are
 * ready.  If none is, the thread sleeps with one entry on the poller list
 * of each object it watches.  Whatever might make an object ready (a
 * sender or receiver arriving, a signal) or destroys it calls poll_wake on
 * that object's list alone, which moves the list's entries, in one step
 * whatever their number, onto the list of pollers to wake; the deferred
 * work (mm/object.c) wakes them a few at a time, each by restarting its
 * poll system call from the top, so a woken poll decodes its entries again
 * and can never act on a stale capability.  A poller costs only the
 * objects it polls, and nothing at all while nobody polls.
 */
#include "kern/cap.h"
#include "kern/task.h"

static struct plink woken;      /* entries of pollers to wake */

static void plist_init(struct plink *h)
{
	if (!h->next)
		h->next = h->prev = h;
}

static void plink_remove(struct plink *l)
{
	l->prev->next = l->next;
	l->next->prev = l->prev;
	l->next = l->prev = NULL;
}

static void plink_add(struct plink *h, struct plink *l)
{
	plist_init(h);
	l->next = h;
	l->prev = h->prev;
	h->prev->next = l;
	h->prev = l;
}

void poll_remove(struct tcb *t)
{
	for (unsigned i = 0; i < t->npoll; i++)
		if (t->poll[i].link.next)
			plink_remove(&t->poll[i].link);
	t->npoll = 0;
}

void poll_wake(struct plink *pollers)
{
	if (plist_empty(pollers))
		return;
	plist_init(&woken);
	/* Splice the whole of pollers at the end of woken. */
	struct plink *first = pollers->next, *last = pollers->prev;
	first->prev = woken.prev;
	woken.prev->next = first;
	last->next = &woken;
	woken.prev = last;
	pollers->next = pollers->prev = pollers;
	work_due = sched_work = true;
}

bool poll_pending(void)
{
	return !plist_empty(&woken);
}

bool poll_wake_some(void)
{
	while (!plist_empty(&woken)) {
		if (work_budget <= 0)
			return false;
		work_budget--;
		struct tcb *t = container_of(woken.next, struct pollreg, link)->t;
		poll_remove(t);         /* this entry and the others */
		t->blocked_on = NULL;
		wake_restart(t);
	}
	return true;
}

static u16 ready_events(const struct cap *c, u16 events)
{
	u16 rev = 0;
	if (c->type == HELIOS_CAP_ENDPOINT) {
		const struct endpoint *ep = c->obj;
		if ((events & HELIOS_POLL_RECV) && ep->senders.head)
			rev |= HELIOS_POLL_RECV;
		if ((events & HELIOS_POLL_SEND) && (ep->receivers.head || ep->dead))
			rev |= HELIOS_POLL_SEND;       /* a dead one answers EPEER at once */
	} else if ((events & HELIOS_POLL_RECV) && ((const struct notification *)c->obj)->word) {
		rev |= HELIOS_POLL_RECV;
	}
	return rev;
}

static struct plink *pollers_of(const struct cap *c)
{
	if (c->type == HELIOS_CAP_ENDPOINT)
		return &((struct endpoint *)c->obj)->pollers;
	return &((struct notification *)c->obj)->pollers;
}

int ipc_poll(struct tcb *t, unsigned n)
{
	struct helios_ipc_buffer *buf = ipcbuf(t);
	if (!buf || n == 0 || n > HELIOS_MAX_POLL)
		return HELIOS_EINVAL;
	struct cap *caps[HELIOS_MAX_POLL];
	for (unsigned i = 0; i < n; i++) {
		int err = 0;
		struct cap *c = cap_get(t->cspace, buf->poll[i].cap, HELIOS_CAP_EMPTY, &err);
		if (!c)
			return err;
		if (c->type != HELIOS_CAP_ENDPOINT && c->type != HELIOS_CAP_NOTIFICATION)
			return HELIOS_EBADCAP;
		if (buf->poll[i].events & ~(HELIOS_POLL_RECV | HELIOS_POLL_SEND))
			return HELIOS_EINVAL;
		/* On an endpoint, waiting for a sender is a receiver's business. */
		if (c->type == HELIOS_CAP_ENDPOINT &&
		    (((buf->poll[i].events & HELIOS_POLL_RECV) && !(c->rights & HELIOS_EP_RECV)) ||
		     ((buf->poll[i].events & HELIOS_POLL_SEND) && !(c->rights & HELIOS_EP_SEND))))
			return HELIOS_EPERM;
		caps[i] = c;
	}
	unsigned ready = 0;
	for (unsigned i = 0; i < n; i++) {
		buf->poll[i].revents = ready_events(caps[i], buf->poll[i].events);
		ready += buf->poll[i].revents != 0;
	}
	if (ready) {
		t->ctx.rsi = ready;
		return HELIOS_OK;
	}
	for (unsigned i = 0; i < n; i++) {
		t->poll[i].t = t;
		plink_add(pollers_of(caps[i]), &t->poll[i].link);
	}
	t->npoll = n;
	t->state = T_POLL;
	return IPC_BLOCKED;
}
