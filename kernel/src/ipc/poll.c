/*
 * ipc/poll.c: wait on several endpoints and notifications at once, the
 * shape of a driver's main loop.
 *
 * The entries are in the caller's IPC buffer (poll[]): a capability and the
 * events wanted; POLL writes each entry's revents and returns how many are
 * ready.  If none is, the thread sleeps on the poll list with the objects
 * it watches.  Whatever might make one of them ready (a sender or receiver
 * arriving, a signal) or destroys it calls poll_wake, which restarts the
 * sleeping poll system call from the top, so a woken poll decodes its
 * entries again and can never act on a stale capability.
 */
#include "kern/cap.h"
#include "kern/task.h"

struct tcb *poll_head;

void poll_remove(struct tcb *t)
{
	if (t->pprev)
		t->pprev->pnext = t->pnext;
	else
		poll_head = t->pnext;
	if (t->pnext)
		t->pnext->pprev = t->pprev;
	t->pnext = t->pprev = NULL;
	t->npoll = 0;
}

static u16 ready_events(const struct cap *c, u16 events)
{
	u16 rev = 0;
	if (c->type == HELIOS_CAP_ENDPOINT) {
		const struct endpoint *ep = c->obj;
		if ((events & HELIOS_POLL_RECV) && ep->senders.head)
			rev |= HELIOS_POLL_RECV;
		if ((events & HELIOS_POLL_SEND) && ep->receivers.head)
			rev |= HELIOS_POLL_SEND;
	} else if ((events & HELIOS_POLL_RECV) && ((const struct notification *)c->obj)->word) {
		rev |= HELIOS_POLL_RECV;
	}
	return rev;
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
	for (unsigned i = 0; i < n; i++)
		t->poll_obj[i] = caps[i]->obj;
	t->npoll = n;
	t->state = T_POLL;
	t->pprev = NULL;
	t->pnext = poll_head;
	if (poll_head)
		poll_head->pprev = t;
	poll_head = t;
	return IPC_BLOCKED;
}

void poll_wake(void *obj)
{
	struct tcb *t = poll_head, *next;
	for (; t; t = next) {
		next = t->pnext;
		for (unsigned i = 0; i < t->npoll; i++) {
			if (t->poll_obj[i] == obj) {
				poll_remove(t);
				wake_restart(t);
				break;
			}
		}
	}
}
