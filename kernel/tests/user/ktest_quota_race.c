/*
 * ktest_quota_race: the last capability to an empty sub-quota goes while
 * the revocation of its parent is under way.  The sub-quota's count drops
 * to zero and it waits on the reap list, still among its parent's
 * children; the revocation, which runs before the reaping in each slice of
 * deferred work, must not take it for a live quota.
 *
 * ktest_storm found this, once ktest_rebind's bug was fixed locally (its
 * task_bind rebinding moved its reference off the old map first): seed
 * 601 (and seed 8 with earlier versions of the storm) ends in a kernel
 * panic, "assertion failed: f && f->kind == FRAME_OBJECT && f->refs > 0
 * (kernel/src/mm/object.c:120)", in obj_ref from set_cursor in the
 * revocation's walk (empty_some; here mark_some), on a quota whose count
 * is zero.  Its threads drop sub-quotas and chains of quotas while the
 * root revokes their processes' quotas; the reaping that would take the
 * dead quota out of its parent's children waits for the revocation, which
 * takes every slice.
 *
 * Here: a chain of DEPTH quotas, each split off the one before (the
 * capabilities to the links go: each is kept by the next), so that marking
 * them dying takes more than one slice (WORK_SLICE steps); a thread of the
 * root's revokes the first, and between two slices another destroys the
 * only capability to the last, which the walk reaches later.
 */
#include "ulib.h"

const char *ktest_name = "quota_race";

#define DEPTH 80
#define REVOKE_TICKS 100
#define T_AREA 0x50000000ull    /* the destroying thread's stack and IPC buffer */

static u32 make(u32 mem, u64 type, u64 pages)
{
	struct sysret r = h_alloc(mem, type, NONE, pages);
	CHECK_EQ(r.st, 0);
	return (u32)r.r0;
}

/* The thread that destroys the last link's capability (it shares the
 * root's cspace, vspace and globals).  It was started before the root's
 * revoking thread (revoke_within), so it runs first when the root waits:
 * it yields once, the revoking thread blocks in MEM_REVOKE after one slice
 * of marking, and it runs again. */
static volatile u32 last;
static volatile i64 destroyed = 1;

void child_main(u64 role, u64 arg)
{
	(void)role;
	(void)arg;
	S(YIELD, 0, 0, 0, 0, 0);
	destroyed = h_destroy(last);
	h_exit(0);
}

void test_main(void)
{
	u32 q = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_MEMORY, 2 * DEPTH + 4);
	last = q;
	for (int i = 0; i < DEPTH; i++) {
		struct sysret m = h_info(last);
		u32 next = make(last, HELIOS_CAP_MEMORY, m.r1 - m.r2 - 2);
		if (last != q)
			h_destroy(last);        /* the next link keeps it */
		last = next;
	}
	u32 task;
	CHECK_EQ(root_thread(T_AREA, 1, 0, &task), 0);
	CHECK_EQ(revoke_within(q, REVOKE_TICKS), 0);
	CHECK_EQ(destroyed, 0);
	CHECK_EQ(h_info(q).r2, 0);
	h_destroy(task);
	h_destroy(q);
}
