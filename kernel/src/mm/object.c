/*
 * mm/object.c: frames on behalf of memory capabilities, the life of kernel
 * objects, and the kernel's deferred work.
 *
 * page_alloc takes a frame from the free list, charges it to a quota (it
 * goes on the quota's charged list) and zeroes it; obj_alloc makes it a
 * kernel object.  Reference counts live in the frame table.  When an
 * object's count reaches zero its frame goes on the reap list, and reap
 * destroys what is there a step at a time: a destructor may drop the last
 * reference to another object, which is then queued behind it, never
 * destroyed recursively, and a destructor with much to do (a cspace's
 * slots, a vspace's tables, an endpoint's waiters) keeps its progress in
 * the frame and goes on in the next slice.  Page tables are reaped the
 * same way; user pages, which own nothing, are freed at once.
 */
#include "kern/arch.h"
#include "kern/mm.h"
#include "kern/object.h"
#include "kern/task.h"
#include "abi/helios.h"

u32 reap_head;
static u32 reap_tail;           /* the reap list is in order: nothing waits for ever */
static u32 reaping;             /* the frame being destroyed, 0 = none */
i32 work_budget;
bool work_due;
struct tqueue reap_waiters;

/* The charged list of a quota. */
static void list_add(struct memq *q, u64 pfn)
{
	struct frame *f = frame_get(pfn);
	f->qprev = 0;
	f->qnext = q->charged;
	if (q->charged)
		frame_get(q->charged)->qprev = (u32)pfn;
	q->charged = (u32)pfn;
	f->flags |= FRAME_LISTED;
}

void frame_unlist(u64 pfn)
{
	struct frame *f = frame_get(pfn);
	if (!(f->flags & FRAME_LISTED))
		return;
	if (f->qprev)
		frame_get(f->qprev)->qnext = f->qnext;
	else
		f->quota->charged = f->qnext;
	if (f->qnext)
		frame_get(f->qnext)->qprev = f->qprev;
	f->qnext = f->qprev = 0;
	f->flags &= (u16)~FRAME_LISTED;
}

u64 page_alloc(struct memq *q, enum frame_kind kind, int *err)
{
	u64 pa = page_alloc_dirty(q, kind, err);
	if (pa)
		memset(phys_to_virt(pa), 0, PAGE_SIZE);
	return pa;
}

u64 page_alloc_dirty(struct memq *q, enum frame_kind kind, int *err)
{
	if (q && (q->used >= q->limit || q->dying)) {
		*err = HELIOS_ENOMEM;
		return 0;
	}
	u64 pfn = frame_alloc();
	if (!pfn) {
		*err = HELIOS_ENOMEM;
		return 0;
	}
	struct frame *f = frame_get(pfn);
	f->kind = (u8)kind;
	f->refs = 1;
	f->quota = q;
	if (q) {
		q->used++;
		obj_ref(q);
		list_add(q, pfn);
	}
	return pfn << PAGE_SHIFT;
}

void *obj_alloc(struct memq *q, unsigned type, int *err)
{
	u64 pa = page_alloc(q, FRAME_OBJECT, err);
	if (!pa)
		return NULL;
	frame_get(pa >> PAGE_SHIFT)->obj_type = (u8)type;
	return phys_to_virt(pa);
}

/* The frame goes back to the free list and its quota gets it back. */
void frame_return(u64 pfn)
{
	struct frame *f = frame_get(pfn);
	struct memq *q = f->quota;
	kassert(!f->rmap);
	frame_unlist(pfn);
	frame_free(pfn);
	if (q) {
		kassert(q->used > 0);
		q->used--;
		obj_unref(q);
	}
}

void reap_push(u64 pfn)
{
	frame_get(pfn)->next = 0;
	if (reap_head)
		frame_get(reap_tail)->next = (u32)pfn;
	else
		reap_head = (u32)pfn;
	reap_tail = (u32)pfn;
	if (current)
		current->reap_wait = true;      /* sched_return: T_REAP until it is done */
	work_due = sched_work = true;
}

void obj_ref(void *obj)
{
	struct frame *f = frame_get(frame_of_virt(obj));
	kassert(f && f->kind == FRAME_OBJECT && f->refs > 0);
	f->refs++;
}

void obj_unref(void *obj)
{
	u64 pfn = frame_of_virt(obj);
	struct frame *f = frame_get(pfn);
	kassert(f && f->kind == FRAME_OBJECT && f->refs > 0);
	if (--f->refs)
		return;
	/* A quota or a range with no reference left has no children (they
	 * hold references on it): out of its parent's children now, so that no
	 * revocation walks into it while it waits to be reaped. */
	if (f->obj_type == HELIOS_CAP_MEMORY)
		memq_unlink(obj);
	else if (f->obj_type == HELIOS_CAP_IOPORT || f->obj_type == HELIOS_CAP_IRQ ||
	         f->obj_type == HELIOS_CAP_LOG)
		range_detach(obj);
	reap_push(pfn);
}

unsigned obj_type(const void *obj)
{
	return frame_get(frame_of_virt(obj))->obj_type;
}

u32 obj_refs(const void *obj)
{
	return frame_get(frame_of_virt(obj))->refs;
}

void page_ref(u64 pa)
{
	struct frame *f = frame_get(pa >> PAGE_SHIFT);
	kassert(f && (f->kind == FRAME_PAGE || f->kind == FRAME_TABLE) && f->refs > 0);
	f->refs++;
}

/* A page is freed at once; a page table, which still holds its entries,
 * is reaped. */
void page_unref(u64 pa)
{
	u64 pfn = pa >> PAGE_SHIFT;
	struct frame *f = frame_get(pfn);
	kassert(f && (f->kind == FRAME_PAGE || f->kind == FRAME_TABLE) && f->refs > 0);
	if (--f->refs)
		return;
	if (f->kind == FRAME_TABLE)
		reap_push(pfn);
	else
		frame_return(pfn);
}

/* Quotas */

int memq_split(struct memq *q, u64 pages, struct memq **out)
{
	if (q->dying || pages > q->limit - q->used || q->limit - q->used - pages < 1)
		return HELIOS_ENOMEM;           /* the child's own frame must fit too */
	int err = 0;
	struct memq *c = obj_alloc(q, HELIOS_CAP_MEMORY, &err);
	if (!c)
		return err;
	c->limit = pages;
	c->parent = q;
	c->next_sib = q->child;
	if (q->child)
		q->child->prev_sib = c;
	q->child = c;
	q->used += pages;
	obj_ref(q);
	*out = c;
	return 0;
}

void memq_unlink(struct memq *q)
{
	struct memq *p = q->parent;
	if (!p)
		return;
	if (q->prev_sib)
		q->prev_sib->next_sib = q->next_sib;
	else if (p->child == q)
		p->child = q->next_sib;
	if (q->next_sib)
		q->next_sib->prev_sib = q->prev_sib;
	q->next_sib = q->prev_sib = NULL;
}

static void memq_destroy(struct memq *q)
{
	kassert(q->used == 0 && !q->charged && !q->child && !q->queued);
	if (q->parent) {
		memq_unlink(q);
		q->parent->used -= q->limit;
		obj_unref(q->parent);
	}
}

/* Reap */

/* One step (or more, within the budget) of destroying frame pfn, whose last
 * reference went: true when it is done and may be freed. */
static bool destroy_step(u64 pfn)
{
	struct frame *f = frame_get(pfn);
	if (f->kind == FRAME_TABLE)
		return table_destroy_step(pfn);
	void *obj = phys_to_virt(pfn << PAGE_SHIFT);
	switch (f->obj_type) {
	case HELIOS_CAP_MEMORY: memq_destroy(obj); return true;
	case HELIOS_CAP_ENDPOINT: return endpoint_destroy_step(obj);
	case HELIOS_CAP_NOTIFICATION: return notification_destroy_step(obj);
	case HELIOS_CAP_CSPACE: return cspace_destroy_step(obj, &f->progress);
	case HELIOS_CAP_VSPACE: return vspace_destroy_step(obj);
	case HELIOS_CAP_TASK: task_destroy(obj); return true;
	case HELIOS_CAP_REGION: return region_destroy_step(obj, &f->progress);
	case HELIOS_CAP_IOPORT:
	case HELIOS_CAP_IRQ:
	case HELIOS_CAP_LOG: range_destroy(obj); return true;
	default: panic("reap: object of type %u", f->obj_type);
	}
}

bool reap_busy(void)
{
	return reaping || reap_head;
}

/* Reap a slice's worth; once nothing is left, the threads that waited for
 * their system calls' destruction run on. */
bool reap_some(void)
{
	while (reaping || reap_head) {
		if (work_budget <= 0)
			return false;
		if (!reaping) {
			reaping = reap_head;
			reap_head = frame_get(reaping)->next;
			frame_get(reaping)->progress = 0;
		}
		work_budget--;
		if (!destroy_step(reaping))
			return false;
		u32 done = reaping;
		reaping = 0;
		frame_return(done);
	}
	struct tcb *t;
	while ((t = reap_waiters.head)) {
		if (work_budget-- <= 0)
			return false;
		tq_pop(&reap_waiters);
		sched_wake(t);
	}
	return true;
}

bool work_pending(void)
{
	return reaping || reap_head || reap_waiters.head || poll_pending() || revoke_pending() ||
	       timers_due() || ep_drain_pending();
}

/* One slice of deferred work: timers that are due, revocations (they make
 * the reaping), the pollers to wake, then the reaping, within one budget.  Page
 * table entries removed on the way are flushed before any thread runs
 * (sched_return). */
void work_slice(void)
{
	work_budget = WORK_SLICE;
	timer_fire_some();
	ep_drain_some();
	revoke_some();
	poll_wake_some();
	reap_some();
	work_due = work_pending();
}
