/*
 * cap/cspace.c: slots.  Looking a capability up checks the slot number and
 * the type and nothing else has side effects; installing one takes a
 * reference on what it names and puts the slot on that frame's reverse map,
 * clearing one undoes both.  A task lives while a task capability to it
 * does: the last one to go kills it.
 */
#include "kern/cap.h"
#include "kern/mm.h"
#include "kern/task.h"
#include "abi/helios.h"

struct cap *cap_get(struct cspace *cs, u64 slot, unsigned type, int *err)
{
	struct cap *c = cap_slot(cs, slot);
	if (!c || c->type == HELIOS_CAP_EMPTY || (type != HELIOS_CAP_EMPTY && c->type != type)) {
		*err = HELIOS_EBADCAP;
		return NULL;
	}
	return c;
}

int cap_dest(struct cspace *cs, u64 want, u32 *slot)
{
	if (want == HELIOS_CAP_NONE) {
		for (u32 i = 0; i < CSPACE_SLOTS; i++) {
			if (cs->slot[i].type == HELIOS_CAP_EMPTY) {
				*slot = i;
				return 0;
			}
		}
		return HELIOS_ENOMEM;
	}
	struct cap *c = cap_slot(cs, want);
	if (!c)
		return HELIOS_EBADCAP;
	if (c->type != HELIOS_CAP_EMPTY)
		return HELIOS_EBUSY;
	*slot = (u32)want;
	return 0;
}

static bool names_object(unsigned type)
{
	return type != HELIOS_CAP_EMPTY && type != HELIOS_CAP_PAGE;
}

u64 cap_frame(const struct cap *c)
{
	if (c->type == HELIOS_CAP_PAGE)
		return c->pa >> PAGE_SHIFT;
	return names_object(c->type) ? frame_of_virt(c->obj) : 0;
}

static u32 slot_ref(const struct cap *c)
{
	u64 pa = virt_to_phys(c);
	return REF_MAKE(REF_SLOT, (u32)(pa >> PAGE_SHIFT) << 7 | (u32)(pa & (PAGE_SIZE - 1)) / sizeof(struct cap));
}

struct cap *cap_of_ref(u32 ref)
{
	u32 arg = REF_ARG(ref);
	struct cspace *cs = phys_to_virt((u64)(arg >> 7) << PAGE_SHIFT);
	return &cs->slot[arg & (CSPACE_SLOTS - 1)];
}

/* The slot takes n (whose references are counted already) and goes on the
 * reverse map of what n names. */
static void slot_fill(struct cap *slot, struct cap n)
{
	n.link = (struct rlink){ 0 };
	*slot = n;
	u64 pfn = cap_frame(slot);
	if (pfn)
		rmap_add(pfn, slot_ref(slot));
}

void cap_set(struct cspace *cs, u32 slot, struct cap n)
{
	slot_fill(&cs->slot[slot], n);
	if (n.type == HELIOS_CAP_ENDPOINT)
		ep_caps(n.obj, n.rights, 1);
}

void cap_install(struct cspace *cs, u32 slot, struct cap *src, bool move)
{
	struct cap n = *src;
	bool weak_before = n.type == HELIOS_CAP_CSPACE && (n.rights & CAP_WEAK);
	bool weak_after = n.type == HELIOS_CAP_CSPACE && n.obj == cs;
	if (n.type == HELIOS_CAP_CSPACE)
		n.rights = weak_after ? CAP_WEAK : 0;
	if (move) {
		u64 pfn = cap_frame(src);
		if (pfn)
			rmap_del(pfn, slot_ref(src));
		*src = (struct cap){ 0 };       /* the reference moves with it */
		if (weak_before && !weak_after)
			obj_ref(n.obj);
		else if (!weak_before && weak_after)
			obj_unref(n.obj);
	} else if (n.type == HELIOS_CAP_PAGE) {
		page_ref(n.pa);
	} else if (names_object(n.type) && !weak_after) {
		obj_ref(n.obj);
	}
	if (!move && n.type == HELIOS_CAP_TASK)
		((struct tcb *)n.obj)->task_caps++;
	if (!move && n.type == HELIOS_CAP_ENDPOINT)
		ep_caps(n.obj, n.rights, 1);
	slot_fill(&cs->slot[slot], n);
}

struct cap cap_take(struct cap *c)
{
	struct cap old = *c;
	u64 pfn = cap_frame(c);
	if (pfn)
		rmap_del(pfn, slot_ref(c));
	*c = (struct cap){ 0 };
	old.link = (struct rlink){ 0 };
	if (old.type == HELIOS_CAP_ENDPOINT)
		ep_caps(old.obj, old.rights, -1);
	return old;
}

void cap_drop(struct cap old)
{
	if (old.type == HELIOS_CAP_TASK && --((struct tcb *)old.obj)->task_caps == 0) {
		struct tcb *t = old.obj;
		if (t->state != T_DEAD && t->state != T_INACTIVE)
			kprintf("task %u: last task capability destroyed: killed\n", t->id);
		task_kill(t, HELIOS_TASK_KILLED, 0, 0);
	}
	if (old.type == HELIOS_CAP_REPLY)
		reply_abandon(old.obj, old.seq);        /* unanswered: the caller hears EPEER */
	if (old.type == HELIOS_CAP_PAGE)
		page_unref(old.pa);
	else if (names_object(old.type) && !(old.type == HELIOS_CAP_CSPACE && (old.rights & CAP_WEAK)))
		obj_unref(old.obj);
}

void cap_clear(struct cap *c)
{
	cap_drop(cap_take(c));
}

/* Reap: empty the slots, a few per step of the slice. */
bool cspace_destroy_step(struct cspace *cs, u32 *progress)
{
	u32 i = *progress;
	while (i < CSPACE_SLOTS && work_budget > 0) {
		u32 end = MIN(i + SCAN_STEP, CSPACE_SLOTS);
		while (i < end && cs->slot[i].type == HELIOS_CAP_EMPTY)
			i++;
		work_budget--;
		if (i < end)
			cap_clear(&cs->slot[i++]);
	}
	*progress = i;
	return i == CSPACE_SLOTS;
}
