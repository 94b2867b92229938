/*
 * ktest_rebind: binding a task to something a second time.  A task's
 * death notification (TASK_NOTIFY), cspace, vspace and IPC buffer
 * (TASK_CONFIG) are each a reference on the reverse map of what it is
 * bound to; binding again must move that reference from the old frame's
 * map to the new one's and leave every other reference on both maps, so
 * that revoking either quota still takes every capability to what it
 * made, and nothing else.
 *
 * ktest_storm found this: on the kernel of 1c2f3a8 it fails within its
 * first rounds with every seed tried, its threads calling TASK_NOTIFY and
 * TASK_CONFIG again on tasks: a revocation never ends (seed 701: "the
 * root has been in MEM_REVOKE of quota A in round 4 for 300 ticks"; the
 * root's capability to a notification of the quota was left off the
 * notification's reverse map, so the quota never emptied), or a page's
 * count goes wrong (with earlier versions of the storm: a kernel panic,
 * "assertion failed: f && (f->kind == FRAME_PAGE || f->kind ==
 * FRAME_TABLE) && f->refs > 0 (kernel/src/mm/object.c:156)", in
 * page_unref from entry_sever).  task_bind puts the binding on the new
 * frame's map (rmap_add rewrites the binding's links) before it takes it
 * off the old one's (rmap_del then unlinks with the new links).
 *
 * Each case ends with a revocation that the root waits for at most
 * REVOKE_TICKS (revoke_within): one that never ends stops the test at once
 * with a failure instead of hanging it (revocations are served one at a
 * time, and one that loops for ever starves the reaping too, so that the
 * next CAP_DESTROY would never return).
 */
#include "ulib.h"

const char *ktest_name = "rebind";

#define REVOKE_TICKS 100

static u32 make(u32 mem, u64 type, u64 pages)
{
	struct sysret r = h_alloc(mem, type, NONE, pages);
	CHECK_EQ(r.st, 0);
	return (u32)r.r0;
}

/* No threads of its own (revoke_within's is ulib's). */
void child_main(u64 role, u64 arg)
{
	(void)role;
	(void)arg;
}

/* Revoke quota mem; if that does not return in time, the test ends. */
static void revoke(u32 mem, const char *what)
{
	i64 st = revoke_within(mem, REVOKE_TICKS);
	if (st == 1) {
		uprintf("FAIL: rebind: %s: MEM_REVOKE did not return in %d ticks: "
		        "the reverse maps are broken\n", what, REVOKE_TICKS);
		CHECK(false);
		ktest_finish();
	}
	CHECK_EQ(st, 0);
	CHECK_EQ(h_info(mem).r2, 0);
}

static bool gone(u32 slot)
{
	return h_info(slot).st == HELIOS_EBADCAP;
}

/* TASK_NOTIFY twice with the same notification. */
static void notify_same_twice(void)
{
	u32 q = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_MEMORY, 4);
	u32 n = make(q, HELIOS_CAP_NOTIFICATION, 0);
	u32 t = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_TASK, 0);
	CHECK_EQ(S(TASK_NOTIFY, t, n, 1, 0, 0).st, 0);
	CHECK_EQ(S(TASK_NOTIFY, t, n, 2, 0, 0).st, 0);
	revoke(q, "TASK_NOTIFY twice, the same notification");
	CHECK(gone(n));
	h_destroy(t);
	h_destroy(q);
}

/* TASK_NOTIFY with one notification, then another of another quota: the
 * second quota's revocation must take its capabilities, the first's must
 * leave them. */
static void notify_other(void)
{
	u32 q1 = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_MEMORY, 4);
	u32 q2 = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_MEMORY, 4);
	u32 n1 = make(q1, HELIOS_CAP_NOTIFICATION, 0);
	u32 n2 = make(q2, HELIOS_CAP_NOTIFICATION, 0);
	u32 n2b = (u32)h_copy(n2, NONE, NONE).r0;
	u32 t = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_TASK, 0);
	CHECK_EQ(S(TASK_NOTIFY, t, n1, 1, 0, 0).st, 0);
	CHECK_EQ(S(TASK_NOTIFY, t, n2, 1, 0, 0).st, 0);
	revoke(q1, "TASK_NOTIFY with another quota's notification: the first quota");
	CHECK(gone(n1));
	CHECK(!gone(n2));
	CHECK(!gone(n2b));
	revoke(q2, "TASK_NOTIFY with another quota's notification: the second quota");
	CHECK(gone(n2));
	CHECK(gone(n2b));
	h_destroy(t);
	h_destroy(q1);
	h_destroy(q2);
}

/* TASK_CONFIG twice on a task not yet started: IPC buffer and cspace. */
static void config_twice(void)
{
	u32 q1 = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_MEMORY, 4);
	u32 q2 = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_MEMORY, 4);
	u32 pg1 = make(q1, HELIOS_CAP_PAGE, 0), pg2 = make(q2, HELIOS_CAP_PAGE, 0);
	u32 cs1 = make(q1, HELIOS_CAP_CSPACE, 0), cs2 = make(q2, HELIOS_CAP_CSPACE, 0);
	u32 pg2b = (u32)h_copy(pg2, NONE, NONE).r0, cs2b = (u32)h_copy(cs2, NONE, NONE).r0;
	u32 t = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_TASK, 0);
	CHECK_EQ(S(TASK_CONFIG, t, cs1, NONE, pg1, 0).st, 0);
	CHECK_EQ(S(TASK_CONFIG, t, cs2, NONE, pg2, 0).st, 0);
	revoke(q1, "TASK_CONFIG twice: the first quota");
	CHECK(gone(pg1) && gone(cs1));
	CHECK(!gone(pg2) && !gone(pg2b) && !gone(cs2) && !gone(cs2b));
	revoke(q2, "TASK_CONFIG twice: the second quota");
	CHECK(gone(pg2) && gone(pg2b) && gone(cs2) && gone(cs2b));
	h_destroy(t);
	h_destroy(q1);
	h_destroy(q2);
}

void test_main(void)
{
	notify_same_twice();
	notify_other();
	config_twice();
}
