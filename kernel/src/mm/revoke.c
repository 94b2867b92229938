/*
 * mm/revoke.c: revoking a memory capability.  Everything made from the
 * quota, or from quotas split off it, goes, whoever holds it: its tasks
 * die, every capability to its objects and pages vanishes from every
 * cspace, its pages are unmapped from every vspace (and its page tables
 * taken out of them), IRQ lines bound to its notifications are unbound,
 * the I/O port ranges, IRQ ranges and logs it paid for go with every range
 * narrowed from them,
 * tasks lose the IPC buffers and death notifications it paid for.  The
 * quota itself stays, empty.
 *
 * This is how a process manager reclaims a process whatever it did with
 * its capabilities: reference counting alone cannot free a cycle (a task
 * whose cspace holds its own task capability, two cspaces holding each
 * other).  Revocation removes every reference to every frame charged to
 * the doomed quotas, from inside the doomed set or from outside, and the
 * reference counts then free the lot.
 *
 * Its cost is that of what it revokes, not of the system around it: the
 * quotas split off a quota are its children, the frames charged to a quota
 * are on its charged list, and the references to a frame are on its
 * reverse map (kern/rmap.h).  A revocation is deferred work, done a step at
 * a time (a step removes one reference) in bounded slices between which
 * interrupts are taken and threads run; the caller waits (T_REVOKE) until
 * it is done.  Requests are served in order, one at a time, in three
 * phases:
 *
 *   MARK    the quota and every quota below it become dying: nothing more
 *           is charged to them (a pre-order walk of the children);
 *   EMPTY   from the bottom up, each dying quota's charged frames are
 *           severed, reference by reference, and the quota leaves its
 *           parent's children once it is empty;
 *   REAP    the destruction of what was severed runs (mm/object.c) until
 *           the quota's count of frames is back to zero; then its waiters
 *           wake.
 */
#include "kern/arch.h"
#include "kern/cap.h"
#include "kern/irq.h"
#include "kern/mm.h"
#include "kern/task.h"

enum { MARK, EMPTY, REAP, DONE };

static struct memq *queue_head, *queue_tail;    /* requests, in order; each holds a reference */
static unsigned phase;                          /* of queue_head's revocation */
static struct memq *cursor;                     /* where it is (holds a reference) */
static bool ascending;                          /* MARK: cursor's subtree is marked */

bool revoke_pending(void)
{
	return queue_head != NULL;
}

static void set_cursor(struct memq *q)
{
	if (q)
		obj_ref(q);
	if (cursor)
		obj_unref(cursor);
	cursor = q;
}

static void dequeue(struct memq *q)
{
	struct memq **p = &queue_head, *prev = NULL;
	while (*p != q) {
		prev = *p;
		p = &(*p)->job_next;
	}
	*p = q->job_next;
	if (queue_tail == q)
		queue_tail = prev;
	q->job_next = NULL;
	q->queued = false;
}

int mem_revoke(struct tcb *t, struct memq *q)
{
	if (!q->used && !q->queued)
		return HELIOS_OK;
	if (!q->queued) {
		q->queued = true;
		obj_ref(q);
		if (queue_tail)
			queue_tail->job_next = q;
		else
			queue_head = q;
		queue_tail = q;
		work_due = sched_work = true;
	}
	t->state = T_REVOKE;
	t->blocked_on = q;
	tq_push(&q->revokers, t);
	return IPC_BLOCKED;
}

/* MARK: a pre-order walk of root's quotas, a step per move. */
static bool mark_some(struct memq *root)
{
	while (cursor) {
		if (work_budget-- <= 0)
			return false;
		struct memq *c = cursor;
		if (!ascending) {
			c->dying = true;
			if (c->child) {
				set_cursor(c->child);
				continue;
			}
			ascending = true;
		}
		if (c == root) {
			set_cursor(NULL);
		} else if (c->next_sib) {
			set_cursor(c->next_sib);
			ascending = false;
		} else {
			set_cursor(c->parent);
		}
	}
	return true;
}

/* Take one reference to a frame away. */
static void drop_ref(u32 ref)
{
	switch (REF_KIND(ref)) {
	case REF_SLOT:
		cap_clear(cap_of_ref(ref));
		break;
	case REF_ENTRY:
		entry_sever(ref);
		break;
	case REF_TCB: {
		u32 arg = REF_ARG(ref);
		task_sever(phys_to_virt((u64)(arg >> 2) << PAGE_SHIFT), arg & 3);
		break;
	}
	default:
		ep_watch(phys_to_virt((u64)REF_ARG(ref) << PAGE_SHIFT), NULL, 0);
		break;
	}
}

/* A revocation waiting behind this one covers a quota this one takes: it
 * is done too. */
static void finish_early(struct memq *q)
{
	if (!q->queued || q == queue_head)
		return;
	dequeue(q);
	struct tcb *t;
	while ((t = tq_pop(&q->revokers)))
		wake_status(t, HELIOS_OK);
	obj_unref(q);
}

/* One step of severing a charged frame: its first reference goes, or, once
 * there are none, what is left: a table leaves its vspace, a notification
 * its IRQ lines; then the frame leaves the charged list, to be freed when
 * its count reaches zero. */
static void sever_step(u64 pfn)
{
	struct frame *f = frame_get(pfn);
	work_budget--;
	if (f->rmap) {
		drop_ref(f->rmap);
		return;
	}
	if (f->kind == FRAME_TABLE) {
		table_sever(pfn);
	} else if (f->kind == FRAME_OBJECT && f->refs) {
		void *obj = phys_to_virt(pfn << PAGE_SHIFT);
		if (f->obj_type == HELIOS_CAP_NOTIFICATION)
			irq_unbind_notification(obj);
		else if (f->obj_type == HELIOS_CAP_MEMORY)
			finish_early(obj);
		else if ((f->obj_type == HELIOS_CAP_IOPORT || f->obj_type == HELIOS_CAP_IRQ ||
		          f->obj_type == HELIOS_CAP_LOG) && !range_sever_step(obj))
			return;                 /* the ranges narrowed from it go first */
	}
	frame_unlist(pfn);
}

/* EMPTY: a post-order walk; a quota's children first, then its frames. */
static bool empty_some(struct memq *root)
{
	for (;;) {
		if (work_budget <= 0)
			return false;
		struct memq *c = cursor;
		if (c->child) {
			work_budget--;
			set_cursor(c->child);
		} else if (c->charged) {
			sever_step(c->charged);
		} else if (c == root) {
			set_cursor(NULL);
			return true;
		} else {
			work_budget--;
			memq_unlink(c);         /* its own frame is its parent's to sever */
			set_cursor(c->parent);
		}
	}
}

bool revoke_some(void)
{
	while (queue_head) {
		struct memq *q = queue_head;
		switch (phase) {
		case MARK:
			if (!cursor && !ascending)
				set_cursor(q);
			if (!mark_some(q))
				return false;
			ascending = false;
			set_cursor(q);
			phase = EMPTY;
			break;
		case EMPTY:
			if (!empty_some(q))
				return false;
			phase = REAP;
			break;
		case REAP:
			if (!reap_some() || q->used)
				return false;
			q->dying = false;
			phase = DONE;
			break;
		default: {
			struct tcb *t;
			while ((t = tq_pop(&q->revokers))) {
				wake_status(t, HELIOS_OK);
				if (work_budget-- <= 0)
					return false;
			}
			dequeue(q);
			obj_unref(q);
			phase = MARK;
			break;
		}
		}
	}
	return true;
}
