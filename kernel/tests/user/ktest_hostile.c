/*
 * ktest_hostile: a task's last task capability sent in a message that
 * cannot deliver it.  A capability that finds no place at the receiver (no
 * IPC buffer, or a full cspace) is destroyed, and destroying the last
 * capability to a task kills it; here the task killed is one of the two
 * threads of the message itself, in the middle of its delivery:
 *
 *   SEND, CALL  the receiver's own (it waited in RECV, without a buffer);
 *   CALL        the caller's own: the receiver gets the call of a dead task;
 *   REPLY_RECV  the replier's own, and it goes on to receive.
 *
 * The kernel used to kill the task at once and then finish the operation
 * on it, making the dead thread runnable again (or the current reply of
 * its server, or a receiver), without a cspace or a vspace: a dead thread
 * run with cr3 = 0 took QEMU down (a triple fault).  Its TCB is reaped
 * behind its cspace, so a cspace that takes more than a slice of deferred
 * work to empty (FILL slots) left the window open every time.  Now the
 * task dies once the system call is done: the message is delivered, the
 * dead thread is off every queue, and its peers hear HELIOS_EPEER.
 *
 * Last, REPLY_RECV with the endpoint's only capability to receive, which
 * the caller cannot take: the endpoint dies in the reply, and the receive
 * that follows used to wait on it for ever; now it is HELIOS_EPEER.
 */
#include "ulib.h"

const char *ktest_name = "hostile";

#define FILL 100                /* slots of a victim's cspace: reaping them takes > 1 slice */
#define AREA(k) (0x50000000ull + (u64)(k) * 0x10000)   /* stacks, IPC buffers */

enum { RECEIVER, CALLER, ANSWERER, REPLIER, PLAIN_CALLER, LAST_SERVER };

static u32 make(u32 mem, u64 type, u64 pages)
{
	struct sysret r = h_alloc(mem, type, NONE, pages);
	CHECK_EQ(r.st, 0);
	return (u32)r.r0;
}

/* A thread in the root's vspace and cspace cs, its stack below AREA(k) +
 * 0x2000, with an IPC buffer at AREA(k) + 0x8000 only if buf. */
static u32 thread(u32 cs, unsigned k, bool buf, u64 role, u64 arg)
{
	extern char _start[];
	if (buf) {
		struct child self = { NONE, cs, HELIOS_ROOT_VSPACE, (u64)(uptr)_start };
		struct thread_spec spec = {
			.task_mem = HELIOS_ROOT_MEMORY, .stack_mem = HELIOS_ROOT_MEMORY,
			.buf_mem = HELIOS_ROOT_MEMORY, .stack_top = AREA(k) + 0x2000, .stack_pages = 2,
			.buf_va = AREA(k) + 0x8000, .role = role, .arg = arg, .unstarted = true,
		};
		u32 t = NONE;
		CHECK_EQ(thread_start(&self, &spec, &t), 0);
		return t;
	}
	u32 t = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_TASK, 0);
	for (u64 i = 1; i <= 2; i++) {
		u32 pg = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_PAGE, 0);
		CHECK_EQ(h_map(HELIOS_ROOT_VSPACE, AREA(k) + 0x2000 - i * 4096, pg, HELIOS_MAP_W, HELIOS_ROOT_MEMORY), 0);
		h_destroy(pg);
	}
	CHECK_EQ(S(TASK_CONFIG, t, cs, HELIOS_ROOT_VSPACE, NONE, 0).st, 0);
	CHECK_EQ(S(TASK_REGS, t, (u64)(uptr)_start, AREA(k) + 0x2000, role, arg).st, 0);
	return t;
}

static void start(u32 t)
{
	CHECK_EQ(S(TASK_START, t, 0, 0, 0, 0).st, 0);
}

/* The victim: a thread (area k) in a cspace of its own holding ep at slot
 * 0 and FILL copies of note, which gets bit 1 when it dies.  With own, it
 * has an IPC buffer and holds its only task capability, at slot 1;
 * without, it has no IPC buffer and the root holds it (returned). */
static u32 victim(u32 ep, u32 note, unsigned k, u64 role, bool own)
{
	u32 cs = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_CSPACE, 0);
	CHECK_EQ(h_copy(ep, 0, cs).st, 0);
	for (u32 i = 2; i < 2 + FILL; i++)
		CHECK_EQ(h_copy(note, i, cs).st, 0);
	u32 t = thread(cs, k, own, role, AREA(k) + 0x8000);
	CHECK_EQ(S(TASK_NOTIFY, t, note, 1, 0, 0).st, 0);
	start(t);
	if (own) {
		CHECK_EQ(h_move(t, 1, cs).st, 0);
		t = NONE;
	}
	h_destroy(cs);
	return t;
}

static void area_free(unsigned k)
{
	for (u64 va = AREA(k); va < AREA(k) + 0x10000; va += 4096)
		h_unmap(HELIOS_ROOT_VSPACE, va);
}

/* Until a receiver waits on ep (slot in the root's cspace). */
static void await_receiver(u32 ep)
{
	U_IPCBUF->poll[0] = (struct helios_pollcap){ ep, HELIOS_POLL_SEND, 0 };
	CHECK_EQ(S(POLL, 1, 0, 0, 0, 0).st, 0);
}

/* Whether a receiver waits on ep now, without waiting for one: a poll that
 * also watches a notification with a bit set. */
static bool receiver_waits(u32 ep, u32 note)
{
	h_signal(note, 1);
	U_IPCBUF->poll[0] = (struct helios_pollcap){ ep, HELIOS_POLL_SEND, 0 };
	U_IPCBUF->poll[1] = (struct helios_pollcap){ note, HELIOS_POLL_RECV, 0 };
	CHECK_EQ(S(POLL, 2, 0, 0, 0, 0).st, 0);
	bool waits = U_IPCBUF->poll[0].revents != 0;
	h_wait(note);
	return waits;
}

/* What the threads saw, in the globals they share with the root. */
static volatile i64 seen_status = 99, seen_label;

void child_main(u64 role, u64 arg)
{
	struct umsg m = { 0 };
	struct helios_ipc_buffer *buf = (struct helios_ipc_buffer *)arg;
	switch (role) {
	case RECEIVER:          /* slot 0: the endpoint; no IPC buffer */
		seen_status = h_recv(0, &m);
		seen_label = (i64)m.label;
		h_exit(1);
	case CALLER:            /* slot 0: the endpoint, slot 1: its own task */
		buf->cap[0] = 1;
		m = (struct umsg){ .label = 0x42, .info = HELIOS_INFO(0, 1) };
		ipc(HELIOS_SYS_CALL, 0, &m);
		h_exit(1);
	case ANSWERER:          /* the root's cspace; no IPC buffer */
		if (h_recv(arg, &m))
			h_exit(2);
		seen_label = (i64)m.label;
		m = (struct umsg){ .label = 0 };
		seen_status = ipc(HELIOS_SYS_REPLY, 0, &m);
		h_exit(0);
	case REPLIER:           /* slot 0: the endpoint, slot 1: its own task */
		if (h_recv(0, &m))
			h_exit(2);
		buf->cap[0] = 1;
		m = (struct umsg){ .label = 0, .info = HELIOS_INFO(0, 1) };
		ipc(HELIOS_SYS_REPLY_RECV, 0, &m);
		h_exit(1);
	case PLAIN_CALLER:      /* the root's cspace; no IPC buffer */
		m = (struct umsg){ .label = 0x43 };
		seen_status = ipc(HELIOS_SYS_CALL, arg, &m);
		seen_label = (i64)m.info;
		h_exit(0);
	case LAST_SERVER:       /* slot 0: the endpoint's only capability to receive */
		if (h_recv(0, &m))
			h_exit(2);
		buf->cap[0] = 0;
		m = (struct umsg){ .label = 0, .info = HELIOS_INFO(0, 1) };
		h_exit(ipc(HELIOS_SYS_REPLY_RECV, 0, &m));
	}
	h_exit(3);
}

/* SEND or CALL of the only capability to the receiver, which has no IPC
 * buffer: it dies having received, the call ends with HELIOS_EPEER. */
static void to_receiver_its_task(u32 ep, u32 note, u64 nr, i64 want)
{
	u32 v = victim(ep, note, 0, RECEIVER, false);
	await_receiver(ep);
	U_IPCBUF->cap[0] = v;
	struct umsg m = { .label = 0x41, .info = HELIOS_INFO(0, 1) };
	CHECK_EQ(ipc(nr, ep, &m), want);
	CHECK_EQ(h_info(v).st, HELIOS_EBADCAP);         /* it left us */
	CHECK_EQ(h_wait(note).r0, 1);                   /* and killed the receiver */
	CHECK_EQ(seen_status, 99);                      /* which never ran again */
	CHECK(!receiver_waits(ep, note));               /* nor waits */
}

static void send_receiver_its_task(u32 ep, u32 note)
{
	to_receiver_its_task(ep, note, HELIOS_SYS_SEND, 0);
}

static void call_receiver_its_task(u32 ep, u32 note)
{
	to_receiver_its_task(ep, note, HELIOS_SYS_CALL, HELIOS_EPEER);
}

/* CALL with the caller's own last task capability, to a receiver without
 * an IPC buffer: the call arrives, its caller is dead, the reply fails. */
static void call_with_own_task(u32 ep, u32 note)
{
	u32 a = thread(HELIOS_ROOT_CSPACE, 1, false, ANSWERER, ep);
	start(a);
	await_receiver(ep);
	victim(ep, note, 2, CALLER, true);
	CHECK_EQ(h_wait(note).r0, 1);                   /* the caller died */
	CHECK_EQ(S(TASK_NOTIFY, a, note, 2, 0, 0).st, 0);
	CHECK_EQ(h_wait(note).r0, 2);                   /* the answerer ended */
	CHECK_EQ(h_status(a).r0, HELIOS_TASK_EXITED);
	CHECK_EQ(seen_label, 0x42);                     /* the call arrived */
	CHECK_EQ(seen_status, HELIOS_EPEER);            /* its caller was gone */
	h_destroy(a);
}

/* REPLY_RECV with the replier's own last task capability, to a caller
 * without an IPC buffer: the reply arrives, the replier receives no more. */
static void reply_recv_own_task(u32 ep, u32 note)
{
	victim(ep, note, 3, REPLIER, true);
	await_receiver(ep);
	u32 p = thread(HELIOS_ROOT_CSPACE, 4, false, PLAIN_CALLER, ep);
	CHECK_EQ(S(TASK_NOTIFY, p, note, 2, 0, 0).st, 0);
	start(p);
	u64 bits = 0;
	while (bits != 3)
		bits |= h_wait(note).r0;                /* both ended */
	CHECK_EQ(h_status(p).r0, HELIOS_TASK_EXITED);
	CHECK_EQ(seen_status, 0);                       /* the reply arrived */
	CHECK_EQ(seen_label, HELIOS_INFO(0, 0));        /* without the capability */
	CHECK(!receiver_waits(ep, note));               /* the dead replier does not wait */
	h_destroy(p);
}

/* REPLY_RECV whose reply carries the endpoint's only capability to receive
 * to a caller without an IPC buffer: the capability goes, the endpoint is
 * dead, and the receive that follows must say so, not wait for ever. */
static void reply_recv_last_server(u32 ep, u32 note)
{
	u32 client = (u32)h_narrow(ep, NONE, HELIOS_EP_SEND, 0).r0;
	u32 cs = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_CSPACE, 0);
	CHECK_EQ(h_move(ep, 0, cs).st, 0);
	u32 s = thread(cs, 3, true, LAST_SERVER, AREA(3) + 0x8000);
	CHECK_EQ(S(TASK_NOTIFY, s, note, 1, 0, 0).st, 0);
	start(s);
	h_destroy(cs);
	await_receiver(client);
	u32 p = thread(HELIOS_ROOT_CSPACE, 4, false, PLAIN_CALLER, client);
	CHECK_EQ(S(TASK_NOTIFY, p, note, 2, 0, 0).st, 0);
	start(p);
	CHECK_EQ(S(TIMER, note, 4, S(CLOCK, 0, 0, 0, 0, 0).r0 + 500, 0, 0).st, 0);
	u64 bits = 0;
	while ((bits & 3) != 3 && !(bits & 4))
		bits |= h_wait(note).r0;
	CHECK_EQ(bits & 3, 3);                          /* both ended (the timer: 5 s) */
	CHECK_EQ(seen_status, 0);                       /* the reply arrived */
	CHECK_EQ(h_status(s).r0, HELIOS_TASK_EXITED);
	CHECK_EQ(h_status(s).r1, HELIOS_EPEER);         /* the receive found the endpoint dead */
	S(TIMER, note, 0, 0, 0, 0);
	h_destroy(p);
	h_destroy(s);
	h_destroy(client);
}

void test_main(void)
{
	static void (*const attack[])(u32 ep, u32 note) = {
		send_receiver_its_task, call_receiver_its_task, call_with_own_task, reply_recv_own_task,
		reply_recv_last_server,
	};
	for (unsigned i = 0; i < ARRAY_LEN(attack); i++) {
		u32 ep = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_ENDPOINT, 0);
		u32 note = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_NOTIFICATION, 0);
		seen_status = 99;
		attack[i](ep, note);
		h_destroy(note);
		h_destroy(ep);
		for (unsigned k = 0; k < 5; k++)
			area_free(k);
	}
}
