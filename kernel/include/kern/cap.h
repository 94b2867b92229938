/*
 * kern/cap.h: capabilities and capability spaces.
 *
 * A capability is 32 bytes in a slot of a cspace: a type, and either an
 * object (with a reference held on it), a page, or a range (I/O ports, IRQ
 * lines); a capability that names a frame is on that frame's reverse map
 * (kern/rmap.h), so that revoking the frame finds it.  A cspace is one
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
	u32 a;                  /* IOPORT, IRQ: range start */
	union {
		void *obj;      /* MEMORY ENDPOINT NOTIFICATION REPLY(caller) CSPACE VSPACE TASK */
		u64 pa;         /* PAGE: the frame */
		u64 b;          /* IOPORT, IRQ: range end (exclusive) */
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
u64 cap_frame(const struct cap *c);                             /* the frame it names, or 0 */
struct cap *cap_of_ref(u32 ref);                                /* a REF_SLOT's capability */
bool cspace_destroy_step(struct cspace *cs, u32 *progress);    /* reap: true when done */

#endif
