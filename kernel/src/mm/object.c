/*
 * mm/object.c: frames on behalf of memory capabilities, and the life of
 * kernel objects.
 *
 * page_alloc takes a frame from the free list, charges it to a quota and
 * zeroes it; obj_alloc makes it a kernel object.  Reference counts live in
 * the frame table.  When a count reaches zero the frame goes on the reap
 * list, and reap() destroys what is there, one object at a time: a
 * destructor may drop the last reference to another object, which is then
 * queued behind it, never destroyed recursively.  The syscall layer calls
 * reap() before it returns to user mode.
 */
#include "kern/arch.h"
#include "kern/mm.h"
#include "kern/object.h"
#include "kern/task.h"
#include "abi/helios.h"

u32 reap_head;

static struct frame *frame_of(const void *obj)
{
	return frame_get(virt_to_phys(obj) >> PAGE_SHIFT);
}

u64 page_alloc(struct memq *q, enum frame_kind kind, int *err)
{
	if (q && q->used >= q->limit) {
		*err = HELIOS_ENOMEM;
		return 0;
	}
	u64 pfn = frame_alloc();
	if (!pfn) {
		*err = HELIOS_ENOMEM;
		return 0;
	}
	struct frame *f = frame_get(pfn);
	f->kind = kind;
	f->refs = 1;
	f->quota = q;
	if (q) {
		q->used++;
		obj_ref(q);
	}
	memset(phys_to_virt(pfn << PAGE_SHIFT), 0, PAGE_SIZE);
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
static void frame_return(u64 pfn)
{
	struct memq *q = frame_get(pfn)->quota;
	frame_free(pfn);
	if (q) {
		kassert(q->used > 0);
		q->used--;
		obj_unref(q);
	}
}

void obj_ref(void *obj)
{
	struct frame *f = frame_of(obj);
	kassert(f && f->kind == FRAME_OBJECT && f->refs > 0);
	f->refs++;
}

void obj_unref(void *obj)
{
	struct frame *f = frame_of(obj);
	kassert(f && f->kind == FRAME_OBJECT && f->refs > 0);
	if (--f->refs == 0) {
		f->next = reap_head;
		reap_head = (u32)(f - frame_table);
		sched_work = true;
	}
}

unsigned obj_type(const void *obj)
{
	return frame_of(obj)->obj_type;
}

u32 obj_refs(const void *obj)
{
	return frame_of(obj)->refs;
}

void page_ref(u64 pa)
{
	struct frame *f = frame_get(pa >> PAGE_SHIFT);
	kassert(f && (f->kind == FRAME_PAGE || f->kind == FRAME_TABLE) && f->refs > 0);
	f->refs++;
}

void page_unref(u64 pa)
{
	struct frame *f = frame_get(pa >> PAGE_SHIFT);
	kassert(f && (f->kind == FRAME_PAGE || f->kind == FRAME_TABLE) && f->refs > 0);
	if (--f->refs == 0)
		frame_return(pa >> PAGE_SHIFT);
}

int memq_split(struct memq *q, u64 pages, struct memq **out)
{
	if (pages > q->limit - q->used || q->limit - q->used - pages < 1)
		return HELIOS_ENOMEM;           /* the child's own frame must fit too */
	int err = 0;
	struct memq *c = obj_alloc(q, HELIOS_CAP_MEMORY, &err);
	if (!c)
		return err;
	c->limit = pages;
	c->parent = q;
	q->used += pages;
	obj_ref(q);
	*out = c;
	return 0;
}

static void memq_destroy(struct memq *q)
{
	kassert(q->used == 0);
	if (q->parent) {
		q->parent->used -= q->limit;
		obj_unref(q->parent);
	}
}

void reap(void)
{
	while (reap_head) {
		u32 pfn = reap_head;
		struct frame *f = frame_get(pfn);
		reap_head = f->next;
		void *obj = phys_to_virt((u64)pfn << PAGE_SHIFT);
		switch (f->obj_type) {
		case HELIOS_CAP_MEMORY: memq_destroy(obj); break;
		case HELIOS_CAP_ENDPOINT: endpoint_destroy(obj); break;
		case HELIOS_CAP_NOTIFICATION: notification_destroy(obj); break;
		case HELIOS_CAP_CSPACE: cspace_destroy(obj); break;
		case HELIOS_CAP_VSPACE: vspace_destroy(obj); break;
		case HELIOS_CAP_TASK: task_destroy(obj); break;
		default: panic("reap: object of type %u", f->obj_type);
		}
		frame_return(pfn);
	}
}
