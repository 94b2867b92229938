/*
 * ktest_basic: the root task's first steps.  System calls from user mode
 * (null, an unknown number, the clock, the log), what the kernel handed the
 * root task, and a child task in its own address space that runs, prints
 * and exits, its death reported through a notification.
 */
#include "ulib.h"

const char *ktest_name = "basic";

void child_main(u64 role, u64 arg)
{
	uprintf("child: role %lu, arg %lx, running in its own vspace\n", role, arg);
	h_exit((i64)arg);
}

void test_main(void)
{
	uprintf("root: hello from user mode\n");
	CHECK_EQ(bootinfo->magic, HELIOS_BOOTINFO_MAGIC);
	CHECK_EQ(bootinfo->nmodules, 2);
	/* Module 1: a tar archive, mapped read-only, its first file intact. */
	const char *tar = (const char *)bootinfo->module[1].vaddr;
	CHECK(bootinfo->module[1].size >= 1024);
	CHECK(!memcmp(tar, "hello.txt", 10));
	CHECK(!memcmp(tar + 257, "ustar", 5));
	CHECK(!memcmp(tar + 512, "hello from the initramfs\n", 25));
	uprintf("root: module 1 is %s, %lu bytes\n", bootinfo->module[1].name, bootinfo->module[1].size);
	CHECK_EQ(h_null(), HELIOS_OK);
	CHECK_EQ(sys(HELIOS_SYS_COUNT, 0, 0, 0, 0, 0).st, HELIOS_ENOSYS);
	CHECK_EQ(sys(~0ull, 0, 0, 0, 0, 0).st, HELIOS_ENOSYS);

	/* What the root task holds. */
	struct sysret r = h_info(HELIOS_ROOT_MEMORY);
	CHECK_EQ(r.st, 0);
	CHECK_EQ(r.r0, HELIOS_CAP_MEMORY);
	CHECK(r.r1 > 1000 && r.r2 > 0 && r.r2 < r.r1);
	r = h_info(HELIOS_ROOT_IOPORT);
	CHECK(r.r0 == HELIOS_CAP_IOPORT && r.r1 == 0 && r.r2 == 0x10000);
	r = h_info(HELIOS_ROOT_IRQ);
	CHECK(r.r0 == HELIOS_CAP_IRQ && r.r1 == 1 && r.r2 == 16);
	CHECK_EQ(h_info(HELIOS_ROOT_TASK).r0, HELIOS_CAP_TASK);
	CHECK_EQ(h_info(HELIOS_ROOT_CSPACE).r0, HELIOS_CAP_CSPACE);
	CHECK_EQ(h_info(HELIOS_ROOT_VSPACE).r0, HELIOS_CAP_VSPACE);
	CHECK_EQ(h_info(HELIOS_ROOT_IPCBUF).r0, HELIOS_CAP_PAGE);
	CHECK_EQ(h_info(HELIOS_ROOT_FIRST_FREE).st, HELIOS_EBADCAP);

	/* The clock ticks while we spin. */
	r = S(CLOCK, 0, 0, 0, 0, 0);
	CHECK_EQ(r.r1, 100);
	u64 t0 = r.r0;
	for (int i = 0; i < 200 && S(CLOCK, 0, 0, 0, 0, 0).r0 == t0; i++)
		for (volatile int j = 0; j < 100000; j++)
			;
	CHECK(S(CLOCK, 0, 0, 0, 0, 0).r0 > t0);

	/* A child that exits with 42; its death signals bit 4. */
	struct sysret note = h_alloc(HELIOS_ROOT_MEMORY, HELIOS_CAP_NOTIFICATION, NONE, 0);
	CHECK_EQ(note.st, 0);
	struct child c;
	CHECK_EQ(spawn(1, 42, NULL, 0, &c), 0);
	CHECK_EQ(S(TASK_NOTIFY, c.task, note.r0, 16, 0, 0).st, 0);
	r = h_wait((u32)note.r0);
	CHECK_EQ(r.st, 0);
	CHECK_EQ(r.r0, 16);
	r = h_status(c.task);
	CHECK_EQ(r.r0, HELIOS_TASK_EXITED);
	CHECK_EQ(r.r1, 42);
	/* Starting it again is refused; freeing it returns every page. */
	CHECK_EQ(S(TASK_START, c.task, 0, 0, 0, 0).st, HELIOS_EBUSY);
	child_free(&c);
	/* (The first spawn left the root's scratch window's page tables.) */
	u64 used = h_info(HELIOS_ROOT_MEMORY).r2;

	/* Many children, one after another, leave nothing behind. */
	for (int i = 0; i < 20; i++) {
		CHECK_EQ(spawn(2, 0, NULL, 0, &c), 0);
		S(TASK_NOTIFY, c.task, note.r0, 1, 0, 0);
		h_wait((u32)note.r0);
		child_free(&c);
	}
	CHECK_EQ(h_info(HELIOS_ROOT_MEMORY).r2, used);
}
