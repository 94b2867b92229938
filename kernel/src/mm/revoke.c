/*
 * mm/revoke.c: revoking a memory capability.  Everything made from the
 * quota, or from quotas split off it, goes at once, whoever holds it:
 * its tasks die, every capability to its objects and pages vanishes from
 * every cspace, its pages are unmapped from every vspace (and its page
 * tables taken out of them), IRQ lines bound to its notifications are
 * unbound, IPC buffers in it are unbound.  The quota itself stays, empty.
 *
 * This is how a process manager reclaims a process whatever it did with
 * its capabilities: reference counting alone cannot free a cycle (a task
 * whose cspace holds its own task capability, two cspaces holding each
 * other).  Revocation first removes every reference from outside the
 * doomed set, then empties the doomed cspaces and kills the doomed tasks,
 * which removes the references inside it; the reap at the end of the
 * system call frees the lot.  It walks the whole frame table, so it is not cheap: it is an
 * administrative operation, never on a fast path.
 */
#include "kern/arch.h"
#include "kern/cap.h"
#include "kern/irq.h"
#include "kern/mm.h"
#include "kern/task.h"

static bool charged_to(const struct memq *q, const struct memq *root)
{
	for (; q; q = q->parent)
		if (q == root)
			return true;
	return false;
}

/* Was the frame at pa made from root (a page, a page table or an object)? */
static bool doomed_frame(u64 pa, void *arg)
{
	const struct frame *f = frame_get(pa >> PAGE_SHIFT);
	return f && (f->kind == FRAME_PAGE || f->kind == FRAME_TABLE || f->kind == FRAME_OBJECT) &&
	       charged_to(f->quota, arg);
}

static bool doomed_obj(const void *obj, struct memq *root)
{
	return obj && doomed_frame(virt_to_phys(obj), root);
}

static bool doomed_cap(const struct cap *c, struct memq *root)
{
	switch (c->type) {
	case HELIOS_CAP_EMPTY:
	case HELIOS_CAP_IOPORT:
	case HELIOS_CAP_IRQ:
		return false;
	case HELIOS_CAP_PAGE:
		return doomed_frame(c->pa, root);
	default:
		return doomed_obj(c->obj, root);
	}
}

static void *object_at(u64 pfn, unsigned type)
{
	const struct frame *f = frame_get(pfn);
	if (f->kind != FRAME_OBJECT || f->obj_type != type || f->refs == 0)
		return NULL;
	return phys_to_virt(pfn << PAGE_SHIFT);
}

void mem_revoke(struct memq *root)
{
	/* Tasks: the doomed die; the others let go of what is doomed. */
	for (u64 pfn = 1; pfn < frame_count; pfn++) {
		struct tcb *t = object_at(pfn, HELIOS_CAP_TASK);
		if (!t || t->state == T_DEAD)
			continue;
		if (doomed_obj(t, root) || doomed_obj(t->cspace, root) || doomed_obj(t->vspace, root)) {
			task_kill(t, HELIOS_TASK_KILLED, 0, 0);
			continue;
		}
		if (t->ipcbuf_pa && doomed_frame(t->ipcbuf_pa, root)) {
			page_unref(t->ipcbuf_pa);
			t->ipcbuf_pa = 0;
		}
		if (t->state == T_POLL) {
			for (unsigned i = 0; i < t->npoll; i++) {
				if (doomed_obj(t->poll_obj[i], root)) {
					poll_remove(t);
					wake_restart(t);        /* it decodes again, and fails */
					break;
				}
			}
		}
	}
	for (u64 pfn = 1; pfn < frame_count; pfn++) {
		struct tcb *t = object_at(pfn, HELIOS_CAP_TASK);
		if (t && t->death_note && doomed_obj(t->death_note, root)) {
			obj_unref(t->death_note);
			t->death_note = NULL;
		}
	}
	/* Capabilities: out of every cspace; a doomed cspace is emptied. */
	for (u64 pfn = 1; pfn < frame_count; pfn++) {
		struct cspace *cs = object_at(pfn, HELIOS_CAP_CSPACE);
		if (!cs)
			continue;
		bool all = doomed_obj(cs, root);
		for (unsigned i = 0; i < CSPACE_SLOTS; i++)
			if (cs->slot[i].type && (all || doomed_cap(&cs->slot[i], root)))
				cap_clear(&cs->slot[i]);
	}
	/* Mappings, and page tables, out of every vspace that stays. */
	for (u64 pfn = 1; pfn < frame_count; pfn++) {
		struct vspace *vs = object_at(pfn, HELIOS_CAP_VSPACE);
		if (vs && !doomed_obj(vs, root))
			vspace_prune(vs, doomed_frame, root);
	}
	/* IRQ lines. */
	for (u64 pfn = 1; pfn < frame_count; pfn++) {
		struct notification *n = object_at(pfn, HELIOS_CAP_NOTIFICATION);
		if (n && doomed_obj(n, root))
			irq_unbind_notification(n);
	}
	/* The doomed set now holds no reference from outside, and none inside
	 * that keeps it alive: sched_return's reap frees it (after this
	 * system call, whose caller may be among the dead). */
}
