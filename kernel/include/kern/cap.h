/*
 * kern/cap.h: capabilities and capability spaces.
 *
 * A capability is 32 bytes in a slot of a cspace: a type, and an object
 * (with a reference held on it) or a page; it is on the reverse map of the
 * frame it names (kern/rmap.h), so that revoking the frame finds it.  A cspace is one
 * frame of CSPACE_SLOTS slots; slot numbers are what userspace passes.
 * Copy, move, narrow and destroy are cap/cspace.c; the system calls that
 * expose them are in syscall/.
 */
#ifndef KERN_CAP_H
#define KERN_CAP_H

#include "kern/lib.h"
#include "kern/rmap.h"
#include "abi/helios.h"

struct cap {
	u8 type;                /* HELIOS_CAP_*; EMPTY = 0, so a zeroed slot is empty */
	u8 rights;              /* PAGE: HELIOS_PAGE_*; CSPACE: CAP_WEAK */
	u16 reserved;
	u32 reserved2;
	union {
		void *obj;      /* every type but PAGE (REPLY: the caller's TCB) */
		u64 pa;         /* PAGE: the frame */
	};
	u64 seq;                /* REPLY: the call's sequence number (64 bits: never reused) */
	struct rlink link;      /* on the reverse map of the frame it names */
};
_Static_assert(sizeof(struct cap) == 32, "a cspace frame holds 128 slots");

#define CSPACE_SLOTS HELIOS_CSPACE_SLOTS

/*
 * A cspace capability stored in the cspace it names (a task's "cspace =
 * self") is weak: it holds no reference, or the cspace would keep itself
 * alive for ever.  cap_install makes a cspace capability weak or strong by
 * where it lands.  (Longer cycles, A holding B holding A, leak until their
 * quota is revoked.)
 */
#define CAP_WEAK 0x80

struct cspace {
	struct cap slot[CSPACE_SLOTS];
};

/*
 * An I/O port range, an IRQ line range or a log (cap/range.c).  These are
 * objects like the others, a frame each, charged to the memory capability
 * that CAP_NARROW names, so that they go with the quota that paid for them:
 * revoking it takes every capability to the range, and to every range
 * narrowed from it, wherever they were copied or moved, and unbinds the
 * IRQ lines bound through them.  The root's three come with its quota.
 */
struct memq;
struct range {
	u64 lo, hi;                     /* IOPORT, IRQ: [lo, hi) */
	char name[HELIOS_LOG_NAME_MAX]; /* LOG: "[name] " starts each line; empty: untagged */
	u32 namelen;
	struct range *parent;           /* narrowed from (holds a reference) */
	struct range *child, *next_sib, *prev_sib;
};
struct range *range_new(struct memq *q, unsigned type, struct range *parent, int *err);
void range_destroy(struct range *r);
void range_detach(struct range *r);     /* out of its parent's children */
bool range_sever_step(struct range *r); /* revoke, once r's own capabilities went: its descendants' */
void log_write(const struct range *log, const char *s, usize n);

/* The slot, or NULL if out of range. */
static inline struct cap *cap_slot(struct cspace *cs, u64 slot)
{
	return slot < CSPACE_SLOTS ? &cs->slot[slot] : NULL;
}
struct cap *cap_get(struct cspace *cs, u64 slot, unsigned type, int *err);
int cap_dest(struct cspace *cs, u64 want, u32 *slot);   /* an empty slot: want, or any if NONE */
void cap_install(struct cspace *cs, u32 slot, struct cap *src, bool move);  /* into an empty slot */
void cap_set(struct cspace *cs, u32 slot, struct cap n);        /* a new object's first reference */
void cap_clear(struct cap *c);                                  /* drops it */
struct cap cap_take(struct cap *c);     /* out of its slot, with its reference */
void cap_drop(struct cap old);          /* cap_clear's rest: a taken capability goes */
u64 cap_frame(const struct cap *c);                             /* the frame it names, or 0 */
struct cap *cap_of_ref(u32 ref);                                /* a REF_SLOT's capability */
bool cspace_destroy_step(struct cspace *cs, u32 *progress);    /* reap: true when done */

#endif
