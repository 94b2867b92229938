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
 * object for destruction, which runs as deferred work in bounded slices
 * (reap) rather than a recursion, so that chains of objects can neither
 * exhaust the kernel stack nor keep interrupts off for long.
 *
 * A vspace is a PML4 whose upper half is the kernel's (mm/vspace.c); the
 * page tables of its lower half are charged to the memory capability that
 * the MAP call names (a last-level table costs two frames: the table and
 * the reverse-map links of its entries).
 */
#ifndef KERN_MM_H
#define KERN_MM_H

#include "kern/arch.h"

enum frame_kind {
	FRAME_RESERVED,         /* not RAM, or the kernel's own */
	FRAME_FREE,
	FRAME_PAGE,             /* a user page: refs = caps + mappings + IPC buffer bindings */
	FRAME_TABLE,            /* a page table of a vspace: refs = the one entry above it */
	FRAME_LINKS,            /* the reverse-map links of a last-level page table */
	FRAME_OBJECT,           /* a kernel object: type in obj_type */
};

/* frame.flags */
#define FRAME_LEVEL 0x3u        /* TABLE: 3 PDPT, 2 PD, 1 page table */
#define FRAME_LISTED 0x4u       /* on its quota's charged list */

struct memq;

/*
 * One per 4 KiB frame.  Besides its kind and reference count, a frame in
 * use knows who paid for it (quota, and its place on that quota's charged
 * list) and who refers to it (rmap, the first of a list of references:
 * capabilities, page table entries, a task's bindings; see kern/rmap.h),
 * so that revoking a quota finds everything it has to undo without looking
 * at anything else.
 */
struct frame {
	u32 refs;
	u8 kind;                /* enum frame_kind */
	u8 obj_type;            /* HELIOS_CAP_* when kind == FRAME_OBJECT */
	u16 flags;
	u32 next;               /* free list or reap list: a frame number, 0 = end */
	u32 rmap;               /* first reference to it (a REF_*), 0 = none */
	u32 qnext, qprev;       /* the charged list of quota */
	u32 parent;             /* TABLE: the entry that points at it (a REF_ENTRY) */
	u32 links;              /* level-1 TABLE: its FRAME_LINKS frame */
	u32 progress;           /* reap: how far its destruction has gone */
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
static inline u64 frame_of_virt(const void *p) { return virt_to_phys(p) >> PAGE_SHIFT; }

/*
 * A memory capability's object: a quota of frames.  Every frame charged
 * to it is on its charged list (sub-quotas' objects among them), and the
 * quotas split off it are its children, so that a revocation walks what
 * it revokes and nothing else (mm/revoke.c).
 */
struct memq {
	u64 limit;              /* frames this quota may hold */
	u64 used;               /* frames it holds, child quotas' limits included */
	struct memq *parent;    /* charged with this quota's limit; NULL for the root's */
	struct memq *child, *next_sib, *prev_sib;
	u32 charged;            /* first frame of the charged list */
	bool dying;             /* being revoked: nothing more is charged to it */
	bool queued;            /* on the revocation queue */
	struct memq *job_next;  /* the revocation queue */
	struct tqueue revokers;     /* T_REVOKE: tasks waiting for its revocation */
};

/* mm/object.c */
void *obj_alloc(struct memq *q, unsigned type, int *err);
u64 page_alloc(struct memq *q, enum frame_kind kind, int *err);  /* a zeroed frame's address */
u64 page_alloc_dirty(struct memq *q, enum frame_kind kind, int *err);  /* not zeroed: overwrite it all */
void obj_ref(void *obj);
void obj_unref(void *obj);
void page_ref(u64 pa);
void page_unref(u64 pa);
unsigned obj_type(const void *obj);
u32 obj_refs(const void *obj);
int memq_split(struct memq *q, u64 pages, struct memq **out);
void frame_return(u64 pfn);             /* free, and uncharged */
void frame_unlist(u64 pfn);             /* off its quota's charged list (it stays charged) */

/*
 * Deferred work.  Destroying an object or a page table, and revoking a
 * quota, can take long; the kernel does it in slices of bounded cost with
 * interrupts off, between which interrupts are taken and threads run: at
 * the end of every kernel entry while work is pending (sched_return), and
 * in the idle loop.  WORK_SLICE bounds one slice, in steps (a step clears
 * one capability, one page table entry, wakes one thread ...).
 */
#define WORK_SLICE 48
#define SCAN_STEP 32                    /* empty entries or slots looked at: a step */
extern u32 reap_head;
extern i32 work_budget;                 /* steps left in this slice */
extern bool work_due;                   /* deferred work may be pending (set by who makes it) */
extern struct tqueue reap_waiters;      /* T_REAP */
bool reap_busy(void);                   /* frames are queued or being reaped */
void reap_push(u64 pfn);                /* the frame's last reference went */
bool reap_some(void);                   /* true when nothing is left to reap */
bool work_pending(void);
void work_slice(void);                  /* one slice; work_due says what is left */

/* mm/vspace.c */
/* A vspace object is its own PML4: the frame holds nothing else. */
struct vspace {
	u64 entry[512];
};
void kernel_vspace_init(u64 max_pa);
void vspace_init(struct vspace *vs);
int vspace_map(struct vspace *vs, u64 va, u64 pa, unsigned flags, struct memq *tables);
int vspace_unmap(struct vspace *vs, u64 va);
u64 vspace_lookup(struct vspace *vs, u64 va);   /* pa of a user page, or 0 */
u64 vspace_user_frame(struct vspace *vs, u64 va, bool write);  /* ... if the task may (write) it */
bool vspace_destroy_step(struct vspace *vs);    /* reap: true when done */
bool table_destroy_step(u64 pfn);               /* reap of a page table: true when done */
void entry_sever(u32 ref);                      /* clear a page table entry (revoke) */
void table_sever(u64 pfn);                      /* take a table out of its vspace (revoke) */
void sched_forget_cr3(u64 cr3);                 /* sched/sched.c */
void tlb_stale(void);                           /* sched/sched.c: mappings went; flush */

/* mm/region.c: out-of-line memory that only the kernel maps. */
struct region;
struct region *region_new(struct memq *q, u64 size, int *err);
u64 region_len(const struct region *r);
bool region_sealed(const struct region *r);
/* Copies up to HELIOS_REGION_CHUNK of n bytes between the region at off
 * and the task's memory at va (write: into the region); *done = bytes. */
int region_copy(struct region *r, u64 off, struct vspace *vs, u64 va, u64 n, bool write, u64 *done);
int region_seal(struct region *r, u64 len);
bool region_destroy_step(struct region *r, u32 *progress);     /* reap: true when done */

/* mm/revoke.c: everything made from a quota (and its sub-quotas) goes.
 * The caller waits (T_REVOKE) until it has; the work is deferred work. */
int mem_revoke(struct tcb *t, struct memq *q);
bool revoke_some(void);                 /* true when no revocation is left */
bool revoke_pending(void);
void memq_unlink(struct memq *q);       /* out of its parent's children */

#endif
