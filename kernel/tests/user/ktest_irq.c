/*
 * ktest_irq: I/O port and IRQ capabilities against a real (emulated)
 * device, COM1's 16550 at 0x3f8 on IRQ 4.  The root writes a line to the
 * serial port (the harness checks QEMU's serial output), takes the UART's
 * transmit-empty and loopback-receive interrupts through a notification,
 * sees that an unacknowledged line stays masked, and hands the line to a
 * handler task in another address space.
 */
#include "ulib.h"

const char *ktest_name = "irq";

#define COM1 0x3f8
#define THR 0
#define RBR 0
#define IER 1
#define IIR 2
#define FCR 2
#define LCR 3
#define MCR 4
#define LSR 5
#define IRQ_BIT (1u << 4)

/* Child slots. */
#define C_IO 0
#define C_IRQ 1
#define C_NOTE 2

static u8 in(u32 io, unsigned reg) { return (u8)h_io_in(io, COM1 + reg, 1).r0; }
static void out(u32 io, unsigned reg, u8 v) { h_io_out(io, COM1 + reg, 1, v); }

void child_main(u64 role, u64 arg)
{
	(void)role;
	(void)arg;
	/* The handler: one interrupt, dealt with at the device, acknowledged. */
	struct sysret w = h_wait(C_NOTE);
	u8 iir = in(C_IO, IIR);
	out(C_IO, IER, 0);
	S(IRQ_ACK, C_IRQ, 4, 0, 0, 0);
	h_exit(w.st ? 1000 : (i64)(w.r0 | (u64)(iir & 0xf) << 8));
}

/* Is notification n signalled?  Poll it with one that always is. */
static bool pending(u32 n, u32 always)
{
	struct helios_ipc_buffer *b = U_IPCBUF;
	h_signal(always, 1);
	b->poll[0] = (struct helios_pollcap){ n, HELIOS_POLL_RECV, 0 };
	b->poll[1] = (struct helios_pollcap){ always, HELIOS_POLL_RECV, 0 };
	S(POLL, 2, 0, 0, 0, 0);
	h_wait(always);
	return b->poll[0].revents != 0;
}

void test_main(void)
{
	u32 io = (u32)h_narrow(HELIOS_ROOT_IOPORT, NONE, COM1, COM1 + 8).r0;
	u32 irq = (u32)h_narrow(HELIOS_ROOT_IRQ, NONE, 4, 5).r0;
	u32 note = (u32)h_alloc(HELIOS_ROOT_MEMORY, HELIOS_CAP_NOTIFICATION, NONE, 0).r0;
	u32 always = (u32)h_alloc(HELIOS_ROOT_MEMORY, HELIOS_CAP_NOTIFICATION, NONE, 0).r0;

	out(io, IER, 0);
	out(io, LCR, 0x03);                     /* 8N1 */
	out(io, FCR, 0x07);                     /* FIFOs on and cleared */
	out(io, MCR, 0x08);                     /* OUT2: the UART's IRQ reaches the PIC */
	const char *msg = "irq: hello COM1 from user mode\n";
	for (const char *p = msg; *p; p++) {
		while (!(in(io, LSR) & 0x20))
			;
		out(io, THR, (u8)*p);
	}

	CHECK_EQ(S(IRQ_BIND, irq, 4, note, IRQ_BIT, 0).st, 0);
	CHECK(!pending(note, always));

	/* Transmitter empty: the interrupt comes at once. */
	out(io, IER, 0x02);
	struct sysret w = h_wait(note);
	CHECK_EQ(w.st, 0);
	CHECK_EQ(w.r0, IRQ_BIT);
	CHECK_EQ(in(io, IIR) & 0xf, 0x2);       /* THR empty; reading IIR clears it */
	/* Not acknowledged yet: the line stays masked. */
	out(io, IER, 0);
	out(io, IER, 0x02);
	CHECK(!pending(note, always));
	CHECK_EQ(S(IRQ_ACK, irq, 4, 0, 0, 0).st, 0);
	w = h_wait(note);                       /* now it arrives */
	CHECK_EQ(w.r0, IRQ_BIT);
	in(io, IIR);
	out(io, IER, 0);
	S(IRQ_ACK, irq, 4, 0, 0, 0);

	/* Loopback: a byte sent comes back and raises the receive interrupt. */
	out(io, MCR, 0x18);
	out(io, IER, 0x01);
	out(io, THR, 'Z');
	w = h_wait(note);
	CHECK_EQ(w.r0, IRQ_BIT);
	CHECK(in(io, LSR) & 0x01);
	CHECK_EQ(in(io, RBR), 'Z');
	out(io, IER, 0);
	out(io, MCR, 0x08);
	S(IRQ_ACK, irq, 4, 0, 0, 0);

	/* A handler in another task; the line now goes to its notification. */
	u32 note2 = (u32)h_alloc(HELIOS_ROOT_MEMORY, HELIOS_CAP_NOTIFICATION, NONE, 0).r0;
	u32 death = (u32)h_alloc(HELIOS_ROOT_MEMORY, HELIOS_CAP_NOTIFICATION, NONE, 0).r0;
	CHECK_EQ(S(IRQ_BIND, irq, 4, note2, 0x100, 0).st, 0);
	u32 caps[] = { io, irq, note2 };
	struct child c;
	CHECK_EQ(spawn(1, 0, caps, 3, &c), 0);
	S(TASK_NOTIFY, c.task, death, 1, 0, 0);
	for (int i = 0; i < 5; i++)
		S(YIELD, 0, 0, 0, 0, 0);
	out(io, IER, 0x02);
	h_wait(death);
	CHECK_EQ(h_status(c.task).r0, HELIOS_TASK_EXITED);
	CHECK_EQ(h_status(c.task).r1, 0x100 | 0x2 << 8);
	child_free(&c);

	/* The RTC's periodic interrupt, IRQ 8 on the second PIC, wakes the
	 * kernel from idle: nobody else is runnable while we wait. */
	u32 rtc = (u32)h_narrow(HELIOS_ROOT_IOPORT, NONE, 0x70, 0x72).r0;
	u32 irq8 = (u32)h_narrow(HELIOS_ROOT_IRQ, NONE, 8, 9).r0;
	CHECK_EQ(S(IRQ_BIND, irq8, 8, note, 0x100, 0).st, 0);
	h_io_out(rtc, 0x70, 1, 0x8b);
	u8 regb = (u8)h_io_in(rtc, 0x71, 1).r0;
	h_io_out(rtc, 0x70, 1, 0x8b);
	h_io_out(rtc, 0x71, 1, regb | 0x40);    /* periodic interrupt on */
	for (int i = 0; i < 3; i++) {
		w = h_wait(note);
		CHECK_EQ(w.r0, 0x100);
		h_io_out(rtc, 0x70, 1, 0x0c);   /* reading register C acknowledges the RTC */
		h_io_in(rtc, 0x71, 1);
		CHECK_EQ(S(IRQ_ACK, irq8, 8, 0, 0, 0).st, 0);
	}
	h_io_out(rtc, 0x70, 1, 0x8b);
	h_io_out(rtc, 0x71, 1, regb & ~0x40);
	CHECK_EQ(S(IRQ_BIND, irq8, 8, NONE, 0, 0).st, 0);
	h_io_out(rtc, 0x70, 1, 0x0c);
	h_io_in(rtc, 0x71, 1);

	/* Unbinding masks the line; the kernel's timer line is not ours. */
	CHECK_EQ(S(IRQ_BIND, irq, 4, NONE, 0, 0).st, 0);
	CHECK_EQ(S(IRQ_ACK, irq, 4, 0, 0, 0).st, HELIOS_EINVAL);
	CHECK_EQ(S(IRQ_BIND, HELIOS_ROOT_IRQ, 0, note, 1, 0).st, HELIOS_EPERM);
	u64 t0 = S(CLOCK, 0, 0, 0, 0, 0).r0;
	while (S(CLOCK, 0, 0, 0, 0, 0).r0 < t0 + 2)
		S(YIELD, 0, 0, 0, 0, 0);
	CHECK(S(CLOCK, 0, 0, 0, 0, 0).r0 >= t0 + 2);

	/* Timers: a notification signalled at a tick; the earlier first;
	 * cancelled ones never; a timeout as a poll over an endpoint and one. */
	u32 ta = (u32)h_alloc(HELIOS_ROOT_MEMORY, HELIOS_CAP_NOTIFICATION, NONE, 0).r0;
	u32 tb = (u32)h_alloc(HELIOS_ROOT_MEMORY, HELIOS_CAP_NOTIFICATION, NONE, 0).r0;
	u64 now = S(CLOCK, 0, 0, 0, 0, 0).r0;
	CHECK_EQ(S(TIMER, ta, 0x1, now + 6, 0, 0).st, 0);
	CHECK_EQ(S(TIMER, tb, 0x2, now + 3, 0, 0).st, 0);
	CHECK_EQ(S(TIMER, note, 0x4, now + 4, 0, 0).st, 0);
	CHECK_EQ(S(TIMER, note, 0, 0, 0, 0).st, 0);            /* cancelled */
	w = h_wait(tb);
	CHECK_EQ(w.r0, 0x2);
	CHECK(S(CLOCK, 0, 0, 0, 0, 0).r0 >= now + 3);
	CHECK(!pending(ta, always));
	w = h_wait(ta);
	CHECK_EQ(w.r0, 0x1);
	CHECK(S(CLOCK, 0, 0, 0, 0, 0).r0 >= now + 6);
	CHECK(!pending(note, always));
	CHECK_EQ(S(TIMER, HELIOS_ROOT_IOPORT, 1, 0, 0, 0).st, HELIOS_EBADCAP);
	u32 ep = (u32)h_alloc(HELIOS_ROOT_MEMORY, HELIOS_CAP_ENDPOINT, NONE, 0).r0;
	S(TIMER, ta, 0x8, S(CLOCK, 0, 0, 0, 0, 0).r0 + 2, 0, 0);
	struct helios_ipc_buffer *b = U_IPCBUF;
	b->poll[0] = (struct helios_pollcap){ ep, HELIOS_POLL_RECV, 0 };
	b->poll[1] = (struct helios_pollcap){ ta, HELIOS_POLL_RECV, 0 };
	CHECK_EQ(S(POLL, 2, 0, 0, 0, 0).st, 0);                 /* nobody calls: the timeout */
	CHECK_EQ(b->poll[0].revents, 0);
	CHECK_EQ(b->poll[1].revents, HELIOS_POLL_RECV);
	CHECK_EQ(h_wait(ta).r0, 0x8);
	/* An armed notification destroyed: its timer goes with it. */
	S(TIMER, tb, 1, S(CLOCK, 0, 0, 0, 0, 0).r0 + 1, 0, 0);
	CHECK_EQ(h_destroy(tb), 0);
	now = S(CLOCK, 0, 0, 0, 0, 0).r0;
	while (S(CLOCK, 0, 0, 0, 0, 0).r0 < now + 3)
		S(YIELD, 0, 0, 0, 0, 0);
}
