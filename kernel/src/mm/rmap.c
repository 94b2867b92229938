/*
 * mm/rmap.c: the reverse maps of kern/rmap.h, doubly linked lists of
 * 32-bit reference ids whose links live in what refers.
 */
#include "kern/cap.h"
#include "kern/mm.h"
#include "kern/rmap.h"
#include "kern/task.h"

static struct rlink *rlink_of(u32 ref)
{
	u32 arg = REF_ARG(ref);
	switch (REF_KIND(ref)) {
	case REF_SLOT:
		return &cap_of_ref(ref)->link;
	case REF_ENTRY: {
		const struct frame *t = frame_get(arg >> 9);
		kassert(t && t->kind == FRAME_TABLE && t->links);
		return (struct rlink *)phys_to_virt((u64)t->links << PAGE_SHIFT) + (arg & 511);
	}
	case REF_TCB: {
		struct tcb *t = phys_to_virt((u64)(arg >> 2) << PAGE_SHIFT);
		return &t->bind[arg & 3];
	}
	default:
		return &((struct endpoint *)phys_to_virt((u64)arg << PAGE_SHIFT))->watch_link;
	}
}

void rmap_add(u64 pfn, u32 ref)
{
	struct frame *f = frame_get(pfn);
	struct rlink *l = rlink_of(ref);
	l->prev = 0;
	l->next = f->rmap;
	if (f->rmap)
		rlink_of(f->rmap)->prev = ref;
	f->rmap = ref;
}

void rmap_del(u64 pfn, u32 ref)
{
	struct frame *f = frame_get(pfn);
	struct rlink *l = rlink_of(ref);
	if (l->prev)
		rlink_of(l->prev)->next = l->next;
	else
		f->rmap = l->next;
	if (l->next)
		rlink_of(l->next)->prev = l->prev;
	l->next = l->prev = 0;
}

u32 ref_of_entry(const u64 *entry)
{
	u64 pa = virt_to_phys(entry);
	return REF_MAKE(REF_ENTRY, (u32)(pa >> PAGE_SHIFT) << 9 | (u32)(pa & (PAGE_SIZE - 1)) / 8);
}

u64 *entry_of_ref(u32 ref)
{
	u32 arg = REF_ARG(ref);
	return (u64 *)phys_to_virt((u64)(arg >> 9) << PAGE_SHIFT) + (arg & 511);
}
