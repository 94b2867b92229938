/*
 * ktest_fpu: tasks may use SSE, and each keeps its own registers.  Three
 * tasks in three address spaces fill xmm0 and xmm15 with their own
 * patterns and check them across yields, timer preemption and IPC round
 * trips through the fast path.  (The test tasks are otherwise built with
 * -mgeneral-regs-only; the registers are touched here by hand.)
 */
#include "ulib.h"

const char *ktest_name = "fpu";

enum { SPINNER = 1, SERVER };

static void set_xmm(u64 v)
{
	__asm__ volatile("movq %0, %%xmm0\n\t"
	                 "movq %1, %%xmm15"
	                 :
	                 : "r"(v), "r"(~v));
}

static bool xmm_is(u64 v)
{
	u64 a, b;
	__asm__ volatile("movq %%xmm0, %0\n\t"
	                 "movq %%xmm15, %1"
	                 : "=r"(a), "=r"(b));
	return a == v && b == ~v;
}

static u64 pattern(u64 role)
{
	return 0x0123456789abcdefull * (role + 1);
}

void child_main(u64 role, u64 arg)
{
	(void)arg;
	u64 p = pattern(role);
	set_xmm(p);
	if (role == SERVER) {
		struct umsg m = { 0 };
		h_recv(0, &m);
		for (;;) {
			m.label = xmm_is(p) ? 0 : 1;
			m.info = 0;
			ipc(HELIOS_SYS_REPLY_RECV, 0, &m);
		}
	}
	/* Spin through a few timer ticks, yielding now and then. */
	u64 t0 = S(CLOCK, 0, 0, 0, 0, 0).r0;
	int bad = 0;
	for (u64 i = 0; S(CLOCK, 0, 0, 0, 0, 0).r0 < t0 + 5; i++) {
		if (!xmm_is(p))
			bad++;
		if (i % 1000 == 0)
			S(YIELD, 0, 0, 0, 0, 0);
	}
	h_exit(bad);
}

void test_main(void)
{
	u64 mine = pattern(0);
	set_xmm(mine);
	u32 death = (u32)h_alloc(HELIOS_ROOT_MEMORY, HELIOS_CAP_NOTIFICATION, NONE, 0).r0;
	u32 ep = (u32)h_alloc(HELIOS_ROOT_MEMORY, HELIOS_CAP_ENDPOINT, NONE, 0).r0;
	struct child a, b, srv;
	CHECK_EQ(spawn(SPINNER, 0, NULL, 0, &a), 0);
	CHECK_EQ(spawn(SPINNER + 2, 0, NULL, 0, &b), 0);
	u32 caps[] = { ep };
	CHECK_EQ(spawn(SERVER, 0, caps, 1, &srv), 0);
	S(TASK_NOTIFY, a.task, death, 1, 0, 0);
	S(TASK_NOTIFY, b.task, death, 2, 0, 0);
	int bad_calls = 0;
	for (int i = 0; i < 200; i++) {
		struct umsg m = { .label = 1, .info = 0 };
		ipc(HELIOS_SYS_CALL, ep, &m);
		bad_calls += m.label != 0 || !xmm_is(mine);
	}
	CHECK_EQ(bad_calls, 0);
	u64 bits = 0;
	while (bits != 3)
		bits |= h_wait(death).r0;
	CHECK_EQ(h_status(a.task).r0, HELIOS_TASK_EXITED);
	CHECK_EQ(h_status(a.task).r1, 0);
	CHECK_EQ(h_status(b.task).r1, 0);
	CHECK(xmm_is(mine));
	child_free(&a);
	child_free(&b);
	child_free(&srv);
}
