/*
 * ktest_confine: every way of asking for more than one holds is an error
 * code, and changes nothing.  Slots that do not exist or hold the wrong
 * kind of object, I/O outside a port range, IRQ lines outside a range,
 * mapping memory one does not hold (or at addresses that are not one's
 * own), quotas that run out, an endpoint capability with SEND alone that
 * tries to receive, and a child with no capabilities at all that tries the
 * root's slot numbers.
 */
#include "ulib.h"

const char *ktest_name = "confine";

static const u64 bad_slots[] = { HELIOS_ROOT_FIRST_FREE, 127, 128, 200, 255, 256, 0x10000, HELIOS_CAP_NONE, 1ull << 32, ~0ull };

void child_main(u64 role, u64 arg)
{
	(void)role;
	(void)arg;
	/* No capabilities: every one of these is refused. */
	int refused = 0;
	refused += h_io_out(HELIOS_ROOT_IOPORT, HELIOS_QEMU_EXIT_PORT, 4, HELIOS_QEMU_PASS) == HELIOS_EBADCAP;
	refused += h_alloc(HELIOS_ROOT_MEMORY, HELIOS_CAP_PAGE, NONE, 0).st == HELIOS_EBADCAP;
	refused += h_map(HELIOS_ROOT_VSPACE, 0x10000000, HELIOS_ROOT_IPCBUF, HELIOS_MAP_W, HELIOS_ROOT_MEMORY) == HELIOS_EBADCAP;
	refused += h_destroy(HELIOS_ROOT_TASK) == HELIOS_EBADCAP;
	refused += S(IRQ_BIND, HELIOS_ROOT_IRQ, 4, 0, 1, 0).st == HELIOS_EBADCAP;
	refused += h_copy(HELIOS_ROOT_CSPACE, 0, NONE).st == HELIOS_EBADCAP;
	refused += S(TASK_STATUS, HELIOS_ROOT_TASK, 0, 0, 0, 0).st == HELIOS_EBADCAP;
	h_exit(refused);
}

void test_main(void)
{
	/* Slots that are not there. */
	for (unsigned i = 0; i < ARRAY_LEN(bad_slots); i++) {
		u64 s = bad_slots[i];
		CHECK_EQ(S(CAP_DESTROY, s, 0, 0, 0, 0).st, HELIOS_EBADCAP);
		CHECK_EQ(S(CAP_INFO, s, NONE, 0, 0, 0).st, HELIOS_EBADCAP);
		CHECK_EQ(S(CAP_INFO, HELIOS_ROOT_TASK, s, 0, 0, 0).st, s == NONE ? 0 : HELIOS_EBADCAP);  /* no such cspace */
		CHECK_EQ(S(CAP_COPY, s, NONE, NONE, 0, 0).st, HELIOS_EBADCAP);
		CHECK_EQ(S(MEM_ALLOC, s, HELIOS_CAP_PAGE, NONE, 0, 0).st, HELIOS_EBADCAP);
		CHECK_EQ(S(SIGNAL, s, 1, 0, 0, 0).st, HELIOS_EBADCAP);
		CHECK_EQ(S(WAIT, s, 0, 0, 0, 0).st, HELIOS_EBADCAP);
		CHECK_EQ(S(CALL, s, 0, 0, 0, 0).st, HELIOS_EBADCAP);
		CHECK_EQ(S(RECV, s, 0, 0, 0, 0).st, HELIOS_EBADCAP);
		CHECK_EQ(S(SEND, s, 0, 0, 0, 0).st, HELIOS_EBADCAP);
		CHECK_EQ(S(IO_IN, s, 0x80, 1, 0, 0).st, HELIOS_EBADCAP);
		CHECK_EQ(S(TASK_START, s, 0, 0, 0, 0).st, HELIOS_EBADCAP);
		CHECK_EQ(S(MAP, HELIOS_ROOT_VSPACE, 0x10000000, s, 0, HELIOS_ROOT_MEMORY).st, HELIOS_EBADCAP);
		CHECK_EQ(S(MAP, s, 0x10000000, HELIOS_ROOT_IPCBUF, 0, HELIOS_ROOT_MEMORY).st, HELIOS_EBADCAP);
		CHECK_EQ(S(CAP_COPY, HELIOS_ROOT_IRQ, NONE, s, 0, 0).st, s == HELIOS_CAP_NONE ? 0 : HELIOS_EBADCAP);
	}
	/* Clean up the one copy that NONE (= our own cspace) allowed. */
	for (u32 s = HELIOS_ROOT_FIRST_FREE; s < 256; s++)
		if (h_info(s).r0 == HELIOS_CAP_IRQ && s != HELIOS_ROOT_IRQ)
			h_destroy(s);

	/* The wrong kind of object. */
	CHECK_EQ(S(CALL, HELIOS_ROOT_MEMORY, 0, 0, 0, 0).st, HELIOS_EBADCAP);
	CHECK_EQ(S(SIGNAL, HELIOS_ROOT_IOPORT, 1, 0, 0, 0).st, HELIOS_EBADCAP);
	CHECK_EQ(S(WAIT, HELIOS_ROOT_TASK, 0, 0, 0, 0).st, HELIOS_EBADCAP);
	CHECK_EQ(S(IO_IN, HELIOS_ROOT_IRQ, 4, 1, 0, 0).st, HELIOS_EBADCAP);
	CHECK_EQ(S(IRQ_BIND, HELIOS_ROOT_IOPORT, 4, NONE, 0, 0).st, HELIOS_EBADCAP);
	CHECK_EQ(S(MEM_ALLOC, HELIOS_ROOT_VSPACE, HELIOS_CAP_PAGE, NONE, 0, 0).st, HELIOS_EBADCAP);
	CHECK_EQ(S(MAP, HELIOS_ROOT_CSPACE, 0x10000000, HELIOS_ROOT_IPCBUF, 0, HELIOS_ROOT_MEMORY).st, HELIOS_EBADCAP);
	CHECK_EQ(S(MAP, HELIOS_ROOT_VSPACE, 0x10000000, HELIOS_ROOT_TASK, 0, HELIOS_ROOT_MEMORY).st, HELIOS_EBADCAP);
	CHECK_EQ(S(MAP, HELIOS_ROOT_VSPACE, 0x10000000, HELIOS_ROOT_IPCBUF, 0, HELIOS_ROOT_IOPORT).st, HELIOS_EBADCAP);
	CHECK_EQ(S(TASK_START, HELIOS_ROOT_CSPACE, 0, 0, 0, 0).st, HELIOS_EBADCAP);
	CHECK_EQ(S(TASK_CONFIG, HELIOS_ROOT_TASK, HELIOS_ROOT_VSPACE, NONE, NONE, 0).st, HELIOS_EBADCAP);
	CHECK_EQ(S(TASK_NOTIFY, HELIOS_ROOT_TASK, HELIOS_ROOT_MEMORY, 1, 0, 0).st, HELIOS_EBADCAP);
	CHECK_EQ(S(CAP_NARROW, HELIOS_ROOT_TASK, NONE, 0, 1, 0).st, HELIOS_EINVAL);
	CHECK_EQ(S(TASK_CONFIG, HELIOS_ROOT_TASK, NONE, NONE, NONE, 0).st, HELIOS_EBUSY);
	CHECK_EQ(S(TASK_REGS, HELIOS_ROOT_TASK, 0x400000, 0, 0, 0).st, HELIOS_EBUSY);

	/* An endpoint capability with SEND alone, a client's: it neither
	 * receives its server's calls nor answers them, nor gets rights back. */
	u32 full = (u32)h_alloc(HELIOS_ROOT_MEMORY, HELIOS_CAP_ENDPOINT, NONE, 0).r0;
	CHECK_EQ(h_info(full).r1, HELIOS_EP_ALL);
	struct sysret cl = h_narrow(full, NONE, HELIOS_EP_SEND, 0);
	CHECK_EQ(cl.st, 0);
	u32 client = (u32)cl.r0;
	CHECK_EQ(h_info(client).r1, HELIOS_EP_SEND);
	CHECK_EQ(S(RECV, client, 0, 0, 0, 0).st, HELIOS_EPERM);
	CHECK_EQ(S(REPLY_RECV, client, 0, 0, 0, 0).st, HELIOS_EPERM);
	U_IPCBUF->poll[0] = (struct helios_pollcap){ client, HELIOS_POLL_RECV, 0 };
	CHECK_EQ(S(POLL, 1, 0, 0, 0, 0).st, HELIOS_EPERM);
	CHECK_EQ(h_narrow(client, NONE, HELIOS_EP_ALL, 0).st, HELIOS_EPERM);
	CHECK_EQ(h_narrow(client, NONE, HELIOS_EP_RECV, 0).st, HELIOS_EPERM);
	u32 none = (u32)h_narrow(full, NONE, 0, 0).r0;
	CHECK_EQ(S(SEND, none, 0, 0, 0, 0).st, HELIOS_EPERM);
	CHECK_EQ(S(CALL, none, 0, 0, 0, 0).st, HELIOS_EPERM);
	U_IPCBUF->poll[0] = (struct helios_pollcap){ none, HELIOS_POLL_SEND, 0 };
	CHECK_EQ(S(POLL, 1, 0, 0, 0, 0).st, HELIOS_EPERM);
	/* Copied, it keeps its rights. */
	u32 copy = (u32)h_copy(client, NONE, NONE).r0;
	CHECK_EQ(h_info(copy).r1, HELIOS_EP_SEND);
	CHECK_EQ(S(RECV, copy, 0, 0, 0, 0).st, HELIOS_EPERM);
	h_destroy(copy);
	h_destroy(none);
	h_destroy(client);
	h_destroy(full);

	/* I/O outside the range. */
	u32 io = (u32)h_narrow(HELIOS_ROOT_IOPORT, NONE, 0x80, 0x81).r0;
	CHECK_EQ(h_io_out(io, 0x80, 1, 0), 0);
	CHECK_EQ(h_io_out(io, 0x7f, 1, 0), HELIOS_EPERM);
	CHECK_EQ(h_io_out(io, 0x81, 1, 0), HELIOS_EPERM);
	CHECK_EQ(h_io_out(io, 0x80, 2, 0), HELIOS_EPERM);
	CHECK_EQ(h_io_out(io, HELIOS_QEMU_EXIT_PORT, 4, HELIOS_QEMU_PASS), HELIOS_EPERM);
	CHECK_EQ(h_io_out(io, 0x80 + (1ull << 16), 1, 0), HELIOS_EPERM);
	CHECK_EQ(h_io_out(io, ~0ull, 1, 0), HELIOS_EPERM);
	CHECK_EQ(h_io_out(io, 0x80, 0, 0), HELIOS_EINVAL);
	CHECK_EQ(h_io_out(io, 0x80, 8, 0), HELIOS_EINVAL);
	CHECK_EQ(h_io_in(io, 0x80, ~0ull).st, HELIOS_EINVAL);
	h_destroy(io);

	/* IRQ lines outside the range, and the kernel's own. */
	u32 note = (u32)h_alloc(HELIOS_ROOT_MEMORY, HELIOS_CAP_NOTIFICATION, NONE, 0).r0;
	CHECK_EQ(S(IRQ_BIND, HELIOS_ROOT_IRQ, 0, note, 1, 0).st, HELIOS_EPERM);
	CHECK_EQ(S(IRQ_BIND, HELIOS_ROOT_IRQ, 16, note, 1, 0).st, HELIOS_EPERM);
	CHECK_EQ(S(IRQ_BIND, HELIOS_ROOT_IRQ, ~0ull, note, 1, 0).st, HELIOS_EPERM);
	CHECK_EQ(S(IRQ_BIND, HELIOS_ROOT_IRQ, 2, note, 1, 0).st, HELIOS_EPERM);
	CHECK_EQ(S(IRQ_BIND, HELIOS_ROOT_IRQ, 5, note, 0, 0).st, HELIOS_EINVAL);
	CHECK_EQ(S(IRQ_ACK, HELIOS_ROOT_IRQ, 5, 0, 0, 0).st, HELIOS_EINVAL);    /* not bound */
	CHECK_EQ(S(IRQ_ACK, HELIOS_ROOT_IRQ, 0, 0, 0, 0).st, HELIOS_EPERM);

	/* Mapping: only pages one holds, only at one's own addresses. */
	u32 pg = (u32)h_alloc(HELIOS_ROOT_MEMORY, HELIOS_CAP_PAGE, NONE, 0).r0;
	static const u64 bad_va[] = {
		0, 0xfff, 0x10000001, HELIOS_USER_TOP, 0x00007ffffffff000ull, 0x0000800000000000ull,
		0xffff800000000000ull, 0xffffffff80100000ull, ~0ull & ~0xfffull,
	};
	for (unsigned i = 0; i < ARRAY_LEN(bad_va); i++) {
		CHECK_EQ(h_map(HELIOS_ROOT_VSPACE, bad_va[i], pg, HELIOS_MAP_W, HELIOS_ROOT_MEMORY), HELIOS_EINVAL);
		CHECK_EQ(h_unmap(HELIOS_ROOT_VSPACE, bad_va[i]), HELIOS_EINVAL);
	}
	CHECK_EQ(h_map(HELIOS_ROOT_VSPACE, 0x20000000, pg, 8, HELIOS_ROOT_MEMORY), HELIOS_EINVAL);
	CHECK_EQ(h_map(HELIOS_ROOT_VSPACE, 0x20000000, pg, HELIOS_MAP_W, HELIOS_ROOT_MEMORY), 0);
	CHECK_EQ(h_map(HELIOS_ROOT_VSPACE, 0x20000000, pg, HELIOS_MAP_W, HELIOS_ROOT_MEMORY), HELIOS_EBUSY);
	/* Over our own code: already mapped. */
	CHECK_EQ(h_map(HELIOS_ROOT_VSPACE, 0x400000, pg, HELIOS_MAP_W, HELIOS_ROOT_MEMORY), HELIOS_EBUSY);
	CHECK_EQ(S(TASK_REGS, (u32)h_alloc(HELIOS_ROOT_MEMORY, HELIOS_CAP_TASK, 50, 0).r0,
	           0xffffffff80100000ull, 0, 0, 0).st, HELIOS_EINVAL);
	CHECK_EQ(S(TASK_REGS, 50, 0x400000, 0x0000800000000000ull, 0, 0).st, HELIOS_EINVAL);
	CHECK_EQ(S(TASK_START, 50, 0, 0, 0, 0).st, HELIOS_EINVAL);      /* no cspace, no vspace */
	h_destroy(50);

	/* Quotas run out, and say so. */
	u32 small = (u32)h_alloc(HELIOS_ROOT_MEMORY, HELIOS_CAP_MEMORY, NONE, 2).r0;
	u32 vs = (u32)h_alloc(small, HELIOS_CAP_VSPACE, NONE, 0).r0;
	/* A fresh vspace needs three tables for its first page: one left. */
	CHECK_EQ(h_map(vs, 0x400000, pg, 0, small), HELIOS_ENOMEM);
	CHECK_EQ(h_alloc(small, HELIOS_CAP_ENDPOINT, NONE, 0).st, HELIOS_ENOMEM);
	h_destroy(vs);
	h_destroy(small);
	CHECK_EQ(S(DEBUG_WRITE, HELIOS_ROOT_LOG, 4097, 0, 0, 0).st, HELIOS_EINVAL);

	/* A child with nothing tries the root's slot numbers. */
	u32 death = (u32)h_alloc(HELIOS_ROOT_MEMORY, HELIOS_CAP_NOTIFICATION, NONE, 0).r0;
	struct child c;
	CHECK_EQ(spawn(1, 0, NULL, 0, &c), 0);
	S(TASK_NOTIFY, c.task, death, 1, 0, 0);
	h_wait(death);
	CHECK_EQ(h_status(c.task).r0, HELIOS_TASK_EXITED);
	CHECK_EQ(h_status(c.task).r1, 7);
	child_free(&c);
}
