/*
 * ktest_caps: capability operations.  Copy, move (within the cspace and
 * into another), narrow (I/O ports, IRQ lines, page rights), destroy; a
 * memory quota split off and given back; objects made and freed with the
 * quota; an endpoint destroyed under a blocked receiver; a task killed by
 * destroying its last task capability.
 */
#include "ulib.h"

const char *ktest_name = "caps";

enum { RECEIVER = 1, SPINNER };

void child_main(u64 role, u64 arg)
{
	if (role == RECEIVER) {         /* shares the root's cspace: arg is the slot */
		struct umsg m = { 0 };
		h_exit(h_recv(arg, &m));
	}
	for (;;)
		;
}

static u32 alloc(u64 type)
{
	struct sysret r = h_alloc(HELIOS_ROOT_MEMORY, type, NONE, 0);
	CHECK_EQ(r.st, 0);
	return (u32)r.r0;
}

static u64 used(u32 mem)
{
	return h_info(mem).r2;
}

void test_main(void)
{
	u64 base = used(HELIOS_ROOT_MEMORY);

	/* Objects cost a page of the quota each, and give it back. */
	u32 ep = alloc(HELIOS_CAP_ENDPOINT);
	CHECK_EQ(used(HELIOS_ROOT_MEMORY), base + 1);
	CHECK_EQ(h_info(ep).r0, HELIOS_CAP_ENDPOINT);
	CHECK_EQ(h_destroy(ep), 0);
	CHECK_EQ(used(HELIOS_ROOT_MEMORY), base);
	CHECK_EQ(h_destroy(ep), HELIOS_EBADCAP);
	CHECK_EQ(h_alloc(HELIOS_ROOT_MEMORY, HELIOS_CAP_REPLY, NONE, 0).st, HELIOS_EINVAL);
	CHECK_EQ(h_alloc(HELIOS_ROOT_MEMORY, HELIOS_CAP_IOPORT, NONE, 0).st, HELIOS_EINVAL);
	CHECK_EQ(h_alloc(HELIOS_ROOT_MEMORY, 999, NONE, 0).st, HELIOS_EINVAL);
	CHECK_EQ(h_alloc(HELIOS_ROOT_MEMORY, HELIOS_CAP_NOTIFICATION, HELIOS_ROOT_IOPORT, 0).st, HELIOS_EBUSY);
	CHECK_EQ(used(HELIOS_ROOT_MEMORY), base);

	/* Copy: both name the same notification; it lives while either does. */
	u32 n = alloc(HELIOS_CAP_NOTIFICATION);
	struct sysret r = h_copy(n, 100, NONE);
	CHECK_EQ(r.st, 0);
	CHECK_EQ(r.r0, 100);
	CHECK_EQ(h_copy(n, 100, NONE).st, HELIOS_EBUSY);
	CHECK_EQ(h_copy(n, 256, NONE).st, HELIOS_EBADCAP);
	CHECK_EQ(h_copy(150, NONE, NONE).st, HELIOS_EBADCAP);
	h_signal(100, 2);
	CHECK_EQ(h_destroy(n), 0);
	CHECK_EQ(h_wait(100).r0, 2);
	/* Move: the source empties. */
	r = h_move(100, 101, NONE);
	CHECK_EQ(r.st, 0);
	CHECK_EQ(h_info(100).st, HELIOS_EBADCAP);
	CHECK_EQ(h_info(101).r0, HELIOS_CAP_NOTIFICATION);
	CHECK_EQ(h_move(101, 101, NONE).r0, 101);
	CHECK_EQ(h_destroy(101), 0);
	CHECK_EQ(used(HELIOS_ROOT_MEMORY), base);

	/* Into another cspace. */
	u32 cs = alloc(HELIOS_CAP_CSPACE);
	n = alloc(HELIOS_CAP_NOTIFICATION);
	CHECK_EQ(h_copy(n, 5, cs).st, 0);
	CHECK_EQ(h_copy(n, 5, cs).st, HELIOS_EBUSY);
	CHECK_EQ(h_move(n, NONE, cs).r0, 0);
	CHECK_EQ(h_info(n).st, HELIOS_EBADCAP);
	CHECK_EQ(h_copy(HELIOS_ROOT_IOPORT, 0, HELIOS_ROOT_IOPORT).st, HELIOS_EBADCAP);
	/* A cspace that holds a capability to itself still goes away. */
	CHECK_EQ(h_copy(cs, 9, cs).st, 0);
	CHECK_EQ(h_destroy(cs), 0);
	CHECK_EQ(used(HELIOS_ROOT_MEMORY), base);

	/* Narrow: I/O ports. */
	r = h_narrow(HELIOS_ROOT_IOPORT, NONE, 0x3f8, 0x400);
	CHECK_EQ(r.st, 0);
	u32 com1 = (u32)r.r0;
	r = h_info(com1);
	CHECK(r.r0 == HELIOS_CAP_IOPORT && r.r1 == 0x3f8 && r.r2 == 0x400);
	CHECK_EQ(h_narrow(com1, NONE, 0x3f0, 0x400).st, HELIOS_EPERM);
	CHECK_EQ(h_narrow(com1, NONE, 0x3f8, 0x401).st, HELIOS_EPERM);
	CHECK_EQ(h_narrow(com1, NONE, 0x3fa, 0x3fa).st, HELIOS_EPERM);
	r = h_narrow(com1, NONE, 0x3fd, 0x3fe);         /* the line status register */
	CHECK_EQ(r.st, 0);
	u32 lsr = (u32)r.r0;
	CHECK_EQ(h_io_in(lsr, 0x3fd, 1).st, 0);
	CHECK_EQ(h_io_in(lsr, 0x3fc, 1).st, HELIOS_EPERM);
	CHECK_EQ(h_io_in(lsr, 0x3fd, 2).st, HELIOS_EPERM);
	CHECK_EQ(h_io_in(com1, 0x3fe, 2).st, 0);
	CHECK_EQ(h_io_in(com1, 0x3ff, 2).st, HELIOS_EPERM);
	CHECK_EQ(h_io_in(com1, 0x3f8, 3).st, HELIOS_EINVAL);
	h_destroy(lsr);
	h_destroy(com1);
	/* IRQ lines. */
	r = h_narrow(HELIOS_ROOT_IRQ, NONE, 4, 5);
	CHECK_EQ(r.st, 0);
	CHECK(h_info((u32)r.r0).r1 == 4 && h_info((u32)r.r0).r2 == 5);
	CHECK_EQ(h_narrow(HELIOS_ROOT_IRQ, NONE, 0, 5).st, HELIOS_EPERM);
	CHECK_EQ(h_narrow((u32)r.r0, NONE, 4, 6).st, HELIOS_EPERM);
	h_destroy((u32)r.r0);
	/* Page rights only go down. */
	u32 pg = alloc(HELIOS_CAP_PAGE);
	CHECK_EQ(h_info(pg).r1, HELIOS_PAGE_RWX);
	r = h_narrow(pg, NONE, HELIOS_PAGE_R, 0);
	CHECK_EQ(r.st, 0);
	u32 ro = (u32)r.r0;
	CHECK_EQ(h_narrow(ro, NONE, HELIOS_PAGE_R | HELIOS_PAGE_W, 0).st, HELIOS_EPERM);
	CHECK_EQ(h_map(HELIOS_ROOT_VSPACE, 0x10000000, ro, HELIOS_MAP_W, HELIOS_ROOT_MEMORY), HELIOS_EPERM);
	CHECK_EQ(h_map(HELIOS_ROOT_VSPACE, 0x10000000, ro, HELIOS_MAP_X, HELIOS_ROOT_MEMORY), HELIOS_EPERM);
	CHECK_EQ(h_map(HELIOS_ROOT_VSPACE, 0x10000000, ro, 0, HELIOS_ROOT_MEMORY), 0);
	CHECK_EQ(h_map(HELIOS_ROOT_VSPACE, 0x10001000, pg, HELIOS_MAP_W, HELIOS_ROOT_MEMORY), 0);
	/* A page with write alone (MAP refuses it: no read) is no IPC buffer:
	 * the kernel reads the buffer for its thread (the words and
	 * capabilities it sends, DEBUG_WRITE), which would read the page. */
	r = h_narrow(pg, NONE, HELIOS_PAGE_W, 0);
	CHECK_EQ(r.st, 0);
	u32 wo = (u32)r.r0, task = alloc(HELIOS_CAP_TASK);
	CHECK_EQ(h_map(HELIOS_ROOT_VSPACE, 0x10002000, wo, HELIOS_MAP_W, HELIOS_ROOT_MEMORY), HELIOS_EPERM);
	CHECK_EQ(S(TASK_CONFIG, task, NONE, NONE, wo, 0).st, HELIOS_EPERM);
	CHECK_EQ(S(TASK_CONFIG, task, NONE, NONE, ro, 0).st, HELIOS_EPERM);
	CHECK_EQ(S(TASK_CONFIG, task, NONE, NONE, pg, 0).st, 0);
	h_destroy(task);
	h_destroy(wo);
	/* Two mappings of one page: what one writes, the other reads. */
	*(volatile u64 *)0x10001008 = 0x1234;
	CHECK_EQ(*(volatile u64 *)0x10000008, 0x1234);
	CHECK_EQ(h_narrow(ep = alloc(HELIOS_CAP_NOTIFICATION), NONE, 0, 1).st, HELIOS_EINVAL);
	h_destroy(ep);
	CHECK_EQ(h_narrow(ep = alloc(HELIOS_CAP_ENDPOINT), NONE, 4, 0).st, HELIOS_EPERM);      /* no such right */
	h_destroy(ep);
	/* The page outlives its caps while mapped. */
	h_destroy(pg);
	h_destroy(ro);
	CHECK_EQ(*(volatile u64 *)0x10000008, 0x1234);
	CHECK_EQ(h_unmap(HELIOS_ROOT_VSPACE, 0x10000000), 0);
	CHECK_EQ(h_unmap(HELIOS_ROOT_VSPACE, 0x10001000), 0);
	CHECK_EQ(h_unmap(HELIOS_ROOT_VSPACE, 0x10001000), HELIOS_EINVAL);

	/* A memory quota split off: its limit holds, and it all comes back. */
	u64 before = used(HELIOS_ROOT_MEMORY);
	r = h_alloc(HELIOS_ROOT_MEMORY, HELIOS_CAP_MEMORY, NONE, 4);
	CHECK_EQ(r.st, 0);
	u32 mem = (u32)r.r0;
	CHECK_EQ(h_info(mem).r1, 4);
	CHECK_EQ(used(HELIOS_ROOT_MEMORY), before + 5);
	u32 pages[4];
	for (int i = 0; i < 4; i++) {
		r = h_alloc(mem, HELIOS_CAP_PAGE, NONE, 0);
		CHECK_EQ(r.st, 0);
		pages[i] = (u32)r.r0;
	}
	CHECK_EQ(h_alloc(mem, HELIOS_CAP_PAGE, NONE, 0).st, HELIOS_ENOMEM);
	CHECK_EQ(h_alloc(mem, HELIOS_CAP_MEMORY, NONE, 1).st, HELIOS_ENOMEM);
	CHECK_EQ(h_alloc(HELIOS_ROOT_MEMORY, HELIOS_CAP_MEMORY, NONE, 1ull << 40).st, HELIOS_ENOMEM);
	CHECK_EQ(h_destroy(mem), 0);            /* the pages keep the quota */
	CHECK_EQ(used(HELIOS_ROOT_MEMORY), before + 5);
	for (int i = 0; i < 4; i++)
		h_destroy(pages[i]);
	CHECK_EQ(used(HELIOS_ROOT_MEMORY), before);

	/* An endpoint destroyed under a thread blocked on it. */
	ep = alloc(HELIOS_CAP_ENDPOINT);
	u32 death = alloc(HELIOS_CAP_NOTIFICATION);
	struct child c;
	CHECK_EQ(spawn_ex(RECEIVER, ep, NULL, 0, SPAWN_SHARE_CSPACE, NONE, &c), 0);
	S(TASK_NOTIFY, c.task, death, 1, 0, 0);
	for (int i = 0; i < 5; i++)
		S(YIELD, 0, 0, 0, 0, 0);
	CHECK_EQ(h_status(c.task).r0, HELIOS_TASK_RUNNING);
	h_destroy(ep);
	CHECK_EQ(h_wait(death).r0, 1);
	CHECK_EQ(h_status(c.task).r0, HELIOS_TASK_EXITED);
	CHECK_EQ((i64)h_status(c.task).r1, HELIOS_EPEER);
	child_free(&c);

	/* A task lives while a task capability does. */
	CHECK_EQ(spawn(SPINNER, 0, NULL, 0, &c), 0);
	S(TASK_NOTIFY, c.task, death, 2, 0, 0);
	u32 copy = (u32)h_copy(c.task, NONE, NONE).r0;
	S(YIELD, 0, 0, 0, 0, 0);
	CHECK_EQ(h_destroy(c.task), 0);
	CHECK_EQ(h_status(copy).r0, HELIOS_TASK_RUNNING);
	CHECK_EQ(h_destroy(copy), 0);
	CHECK_EQ(h_wait(death).r0, 2);
	h_destroy(c.cspace);
	h_destroy(c.vspace);
	h_destroy(death);
	/* A cycle that reference counting cannot free: a task whose own cspace
	 * holds its task capability, spinning for ever, all made from a
	 * quota.  Revoking the quota takes it all, our capabilities to it
	 * included. */
	before = used(HELIOS_ROOT_MEMORY);
	mem = (u32)h_alloc(HELIOS_ROOT_MEMORY, HELIOS_CAP_MEMORY, NONE, 64).r0;
	u32 t2 = (u32)h_alloc(mem, HELIOS_CAP_TASK, NONE, 0).r0;
	u32 cs2 = (u32)h_alloc(mem, HELIOS_CAP_CSPACE, NONE, 0).r0;
	u32 ep2 = (u32)h_alloc(mem, HELIOS_CAP_ENDPOINT, NONE, 0).r0;
	u32 pg2 = (u32)h_alloc(mem, HELIOS_CAP_PAGE, NONE, 0).r0;
	CHECK_EQ(h_copy(t2, NONE, cs2).st, 0);                 /* the cycle */
	CHECK_EQ(h_copy(cs2, NONE, cs2).st, 0);                /* and cspace = self */
	CHECK_EQ(S(TASK_CONFIG, t2, cs2, HELIOS_ROOT_VSPACE, NONE, 0).st, 0);
	/* It shares our vspace and spins in child_main's loop. */
	CHECK_EQ(S(TASK_REGS, t2, (u64)(uptr)child_main, U_STACK_TOP - 0x100000, SPINNER, 0).st, 0);
	CHECK_EQ(h_map(HELIOS_ROOT_VSPACE, U_STACK_TOP - 0x101000, pg2, HELIOS_MAP_W, mem), 0);
	CHECK_EQ(S(TASK_START, t2, 0, 0, 0, 0).st, 0);
	h_destroy(t2);
	h_destroy(cs2);
	S(YIELD, 0, 0, 0, 0, 0);
	CHECK(used(HELIOS_ROOT_MEMORY) > before);
	CHECK_EQ(S(MEM_REVOKE, mem, 0, 0, 0, 0).st, 0);
	CHECK_EQ(h_info(mem).r2, 0);                            /* all of it back */
	CHECK_EQ(h_info(ep2).st, HELIOS_EBADCAP);               /* gone from our cspace too */
	CHECK_EQ(h_info(pg2).st, HELIOS_EBADCAP);
	CHECK_EQ(h_unmap(HELIOS_ROOT_VSPACE, U_STACK_TOP - 0x101000), HELIOS_EINVAL);
	CHECK_EQ(h_destroy(mem), 0);
	CHECK_EQ(used(HELIOS_ROOT_MEMORY), before);
	CHECK_EQ(S(MEM_REVOKE, HELIOS_ROOT_IOPORT, 0, 0, 0, 0).st, HELIOS_EBADCAP);

	/* Another cspace's slot, through a capability to it. */
	u32 other = alloc(HELIOS_CAP_CSPACE);
	u32 inside = alloc(HELIOS_CAP_NOTIFICATION);
	CHECK_EQ(h_move(inside, 9, other).st, 0);
	CHECK_EQ(S(CAP_INFO, 9, other, 0, 0, 0).r0, HELIOS_CAP_NOTIFICATION);
	CHECK_EQ(S(CAP_INFO, 10, other, 0, 0, 0).st, HELIOS_EBADCAP);
	CHECK_EQ(S(CAP_INFO, 9, HELIOS_ROOT_MEMORY, 0, 0, 0).st, HELIOS_EBADCAP);
	h_destroy(other);

	/* Everything made here is gone, but for page tables: the scratch
	 * window's (3, the last with its links frame) and the one for
	 * 0x10000000 (with its links frame).  */
	uprintf("root: quota used %lu at the start, %lu at the end\n", base, used(HELIOS_ROOT_MEMORY));
	CHECK_EQ(used(HELIOS_ROOT_MEMORY), base + 6);
}
