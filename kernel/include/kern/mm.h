/*
 * kern/mm.h: physical memory, kernel objects and address spaces.
 *
 * Physical memory is a table of struct frame, one per 4 KiB frame below
 * 4 GiB, and one free list threaded through it (mm/frame.c).  The kernel has
 * no heap: every kernel object (task, endpoint, notification, cspace,
 * vspace, memory quota) occupies one frame, taken from the free list on
 * behalf of a memory capability and charged to its quota (mm/object.c).
 * The frame's reference count is the object's: capabilities, mappings and
 * the kernel's own pointers each hold one, and the last unref queues the
 * object for destruction, which runs as a loop (reap) rather than a
 * recursion, so that chains of objects cannot exhaust the kernel stack.
 *
 * A vspace is a PML4 whose upper half is the kernel's (mm/vspace.c); the
 * page tables of its lower half are charged to the memory capability that
 * the MAP call names.
 */
#ifndef KERN_MM_H
#define KERN_MM_H

#include "kern/lib.h"

enum frame_kind {
	FRAME_RESERVED,         /* not RAM, or the kernel's own */
	FRAME_FREE,
	FRAME_PAGE,             /* a user page: refs = caps + mappings + IPC buffer uses */
	FRAME_TABLE,            /* a page table of a vspace */
	FRAME_OBJECT,           /* a kernel object: type in obj_type */
};

struct memq;

struct frame {
	u32 refs;
	u8 kind;                /* enum frame_kind */
	u8 obj_type;            /* HELIOS_CAP_* when kind == FRAME_OBJECT */
	u16 flags;
	u32 next;               /* free list or reap list: a frame number, 0 = end */
	struct memq *quota;     /* charged to; NULL for the kernel's own frames */
};

/* mm/frame.c: the frame table and its free list (also built on the host). */
extern struct frame *frame_table;
extern u64 frame_count;
extern u64 frames_free;
void frame_table_init(struct frame *table, u64 count);
void frame_release(u64 pfn);            /* a reserved frame becomes free */
u64 frame_alloc(void);                  /* a free frame's number, 0 if none */
void frame_free(u64 pfn);
static inline struct frame *frame_get(u64 pfn) { return pfn < frame_count ? &frame_table[pfn] : NULL; }

/* A memory capability's object: a quota of frames. */
struct memq {
	u64 limit;              /* frames this quota may hold */
	u64 used;               /* frames it holds, child quotas' limits included */
	struct memq *parent;    /* charged with this quota's limit; NULL for the root's */
};

/* mm/object.c */
void *obj_alloc(struct memq *q, unsigned type, int *err);
u64 page_alloc(struct memq *q, enum frame_kind kind, int *err);  /* a zeroed frame's address */
void obj_ref(void *obj);
void obj_unref(void *obj);
void page_ref(u64 pa);
void page_unref(u64 pa);
unsigned obj_type(const void *obj);
u32 obj_refs(const void *obj);
void reap(void);                        /* destroy what the last unrefs queued */
extern u32 reap_head;
static inline bool reap_pending(void) { return reap_head != 0; }
int memq_split(struct memq *q, u64 pages, struct memq **out);

/* mm/vspace.c */
/* A vspace object is its own PML4: the frame holds nothing else. */
struct vspace {
	u64 entry[512];
};
void kernel_vspace_init(u64 max_pa);
void vspace_init(struct vspace *vs);
int vspace_map(struct vspace *vs, u64 va, u64 pa, unsigned flags, struct memq *tables);
int vspace_unmap(struct vspace *vs, u64 va);
void vspace_destroy(struct vspace *vs);
/* Unmap every page, and drop every table, whose frame doomed() picks. */
void vspace_prune(struct vspace *vs, bool (*doomed)(u64 pa, void *arg), void *arg);

/* mm/revoke.c: everything made from a quota (and its sub-quotas) goes. */
void mem_revoke(struct memq *q);
u64 vspace_lookup(struct vspace *vs, u64 va);   /* pa of a user page, or 0 */
void sched_forget_cr3(u64 cr3);                 /* sched/sched.c */

#endif
