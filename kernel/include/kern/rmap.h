/*
 * kern/rmap.h: reverse maps.  Every reference to a frame that revocation
 * must be able to take away is on that frame's list (frame.rmap): the
 * capabilities that name it, the page table entries that map it, and the
 * bindings of tasks to it (cspace, vspace, IPC buffer, death notification).
 * A reference is a 32-bit id, its kind in the top three bits:
 *
 *   REF_SLOT   cspace frame << 7 | slot        (a capability)
 *   REF_ENTRY  table frame << 9 | index        (a page table entry)
 *   REF_TCB    tcb frame << 2 | TCB_BIND_*      (a task's binding)
 *   REF_WATCH  endpoint frame                  (an endpoint's EP_WATCH notification)
 *
 * Frame numbers are below 2^20 (physical memory below 4 GiB), so every id
 * fits, and 0 is no id (frame 0 is never an object or a table).  The links
 * live beside what refers: in the capability (struct cap), in the links
 * frame of the page table (FRAME_LINKS), in the TCB.  Adding and removing a
 * reference is O(1); mm/revoke.c walks a frame's list to sever it.
 */
#ifndef KERN_RMAP_H
#define KERN_RMAP_H

#include "kern/lib.h"

struct rlink {
	u32 next, prev;
};

#define REF_SLOT 0u
#define REF_ENTRY 1u
#define REF_TCB 2u
#define REF_WATCH 3u
#define REF_KIND(r) ((r) >> 29)
#define REF_ARG(r) ((r) & ((1u << 29) - 1))
#define REF_MAKE(kind, arg) ((u32)(kind) << 29 | (u32)(arg))

/* What a task is bound to (struct tcb.bind[]). */
enum {
	TCB_BIND_CSPACE,
	TCB_BIND_VSPACE,
	TCB_BIND_IPCBUF,
	TCB_BIND_DEATH,
	TCB_BINDS
};

void rmap_add(u64 pfn, u32 ref);
void rmap_del(u64 pfn, u32 ref);
u32 ref_of_entry(const u64 *entry);     /* a page table entry's id */
u64 *entry_of_ref(u32 ref);

#endif
