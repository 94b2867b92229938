/*
 * mm/frame.c: the frame table and the free list.  The boot code sizes the
 * table from the memory map, marks everything reserved, then releases the
 * usable RAM that the kernel image, the boot modules and the table itself
 * do not occupy.  Pure bookkeeping: nothing here touches the frames, so
 * the host unit tests run it over an ordinary array.
 */
#include "kern/mm.h"

struct frame *frame_table;
u64 frame_count;
u64 frames_free;
static u32 free_head;           /* 0 = empty: frame 0 is never free */

void frame_table_init(struct frame *table, u64 count)
{
	frame_table = table;
	frame_count = count;
	frames_free = 0;
	free_head = 0;
	for (u64 i = 0; i < count; i++)
		table[i] = (struct frame){ .kind = FRAME_RESERVED };
}

void frame_release(u64 pfn)
{
	if (pfn == 0 || pfn >= frame_count || frame_table[pfn].kind != FRAME_RESERVED)
		return;
	frame_free(pfn);
}

u64 frame_alloc(void)
{
	u32 pfn = free_head;
	if (!pfn)
		return 0;
	struct frame *f = &frame_table[pfn];
	kassert(f->kind == FRAME_FREE);
	free_head = f->next;
	*f = (struct frame){ .kind = FRAME_RESERVED };
	frames_free--;
	return pfn;
}

void frame_free(u64 pfn)
{
	kassert(pfn && pfn < frame_count);
	struct frame *f = &frame_table[pfn];
	kassert(f->kind != FRAME_FREE);
	*f = (struct frame){ .kind = FRAME_FREE, .next = free_head };
	free_head = (u32)pfn;
	frames_free++;
}
