/*
 * ktest_revoke: revoking what a blocked or queued thread depends on.
 *
 * Each case takes away, by revoking the quota it was made from, one thing
 * a thread is waiting with or on: its IPC buffer while it waits to send,
 * call, poll, receive or be replied to; the endpoint, the notification
 * (with a timer armed on it), the reply capability of its call, its
 * cspace, its death notification, an IRQ line's notification; I/O port and
 * IRQ ranges handed on and narrowed by others; the quota of the revoking
 * thread itself; and a quota being revoked by two threads
 * at once, from above and below.  The thread must wake with an error
 * status or go on waiting safely, the kernel must stay up, and every quota
 * must come back empty.
 *
 * The threads run in the root's own cspace and vspace (thread_make), so
 * they share its capabilities and report through its globals.
 */
#include "ulib.h"

const char *ktest_name = "revoke";

#define T_BASE 0x50000000ull    /* thread k: stack page at T_BASE + k * 64 KiB, IPC buffer 32 KiB above */

static volatile i64 result[32];
static volatile u64 info[32], word[32][HELIOS_REG_WORDS];
static volatile u32 stage[32];
static unsigned nthreads;

struct thread {
	u32 task;
	unsigned k;                     /* its index in result[], stage[] ... */
	struct helios_ipc_buffer *buf;
};

static u32 make(u32 mem, u64 type, u64 pages)
{
	struct sysret r = h_alloc(mem, type, NONE, pages);
	CHECK_EQ(r.st, 0);
	return (u32)r.r0;
}

static u64 used(u32 mem)
{
	return h_info(mem).r2;
}

/* A thread of the root running fn(k, arg), its IPC buffer a page made from
 * buf_mem (mapped at its own address in the root's vspace). */
static struct thread thread_make(u32 buf_mem, void (*fn)(u64, u64), u64 arg)
{
	unsigned k = nthreads++;
	u64 base = T_BASE + (u64)k * 0x10000;
	struct thread th = { .k = k, .buf = (struct helios_ipc_buffer *)(base + 0x8000) };
	th.task = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_TASK, 0);
	u32 stack = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_PAGE, 0);
	u32 buf = make(buf_mem, HELIOS_CAP_PAGE, 0);
	CHECK_EQ(h_map(HELIOS_ROOT_VSPACE, base, stack, HELIOS_MAP_W, HELIOS_ROOT_MEMORY), 0);
	CHECK_EQ(h_map(HELIOS_ROOT_VSPACE, (u64)th.buf, buf, HELIOS_MAP_W, HELIOS_ROOT_MEMORY), 0);
	CHECK_EQ(S(TASK_CONFIG, th.task, HELIOS_ROOT_CSPACE, HELIOS_ROOT_VSPACE, buf, 0).st, 0);
	CHECK_EQ(S(TASK_REGS, th.task, (u64)(uptr)fn, base + 0x1000 - 8, k, arg).st, 0);
	CHECK_EQ(S(TASK_START, th.task, 0, 0, 0, 0).st, 0);
	h_destroy(stack);               /* the mappings keep them */
	h_destroy(buf);
	return th;
}

static struct helios_ipc_buffer *my_buf(u64 k)
{
	return (struct helios_ipc_buffer *)(T_BASE + k * 0x10000 + 0x8000);
}

static void yield(int n)
{
	while (n--)
		S(YIELD, 0, 0, 0, 0, 0);
}

/* Until the thread has reached stage s, and a little more (it blocks). */
static void reach(const struct thread *th, u32 s)
{
	for (int i = 0; i < 1000 && stage[th->k] < s; i++)
		yield(1);
	CHECK(stage[th->k] >= s);
	yield(5);
}

static void done(u64 k, i64 st, const struct umsg *m)
{
	result[k] = st;
	if (m) {
		info[k] = m->info;
		for (int i = 0; i < HELIOS_REG_WORDS; i++)
			word[k][i] = m->w[i];
	}
	stage[k] = 9;
	h_exit(0);
}

/* Thread bodies: each reports the status of its blocking call. */

static void t_send10(u64 k, u64 ep)
{
	struct helios_ipc_buffer *b = my_buf(k);
	for (int i = HELIOS_REG_WORDS; i < 10; i++)
		b->word[i] = 100 + i;
	struct umsg m = { .label = 7, .info = HELIOS_INFO(10, 0) };
	stage[k] = 1;
	done(k, ipc(HELIOS_SYS_SEND, ep, &m), NULL);
}

static void t_sendcap(u64 k, u64 ep_and_cap)
{
	my_buf(k)->cap[0] = (u32)(ep_and_cap >> 32);
	struct umsg m = { .label = 7, .info = HELIOS_INFO(1, 1) };
	stage[k] = 1;
	done(k, ipc(HELIOS_SYS_SEND, (u32)ep_and_cap, &m), NULL);
}

static void t_call10(u64 k, u64 ep)
{
	struct umsg m = { .label = 8, .info = HELIOS_INFO(10, 0) };
	stage[k] = 1;
	i64 st = ipc(HELIOS_SYS_CALL, ep, &m);
	done(k, st, &m);
}

static void t_poll(u64 k, u64 ep)
{
	my_buf(k)->poll[0] = (struct helios_pollcap){ (u32)ep, HELIOS_POLL_RECV, 0 };
	stage[k] = 1;
	done(k, S(POLL, 1, 0, 0, 0, 0).st, NULL);
}

static void t_recv(u64 k, u64 ep)
{
	struct umsg m = { 0 };
	stage[k] = 1;
	i64 st = h_recv(ep, &m);
	done(k, st, &m);
}

static void t_wait(u64 k, u64 n)
{
	stage[k] = 1;
	done(k, h_wait((u32)n).st, NULL);
}

static void t_spin(u64 k, u64 arg)
{
	(void)arg;
	stage[k] = 1;
	for (;;)
		S(YIELD, 0, 0, 0, 0, 0);
}

static void t_revoke(u64 k, u64 mem)
{
	stage[k] = 1;
	done(k, S(MEM_REVOKE, mem, 0, 0, 0, 0).st, NULL);
}

/* Whether anybody waits to send on ep (a poll with a timeout of a few ticks). */
static bool sender_waits(u32 ep)
{
	u32 n = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_NOTIFICATION, 0);
	CHECK_EQ(S(TIMER, n, 1, S(CLOCK, 0, 0, 0, 0, 0).r0 + 3, 0, 0).st, 0);
	struct helios_ipc_buffer *b = U_IPCBUF;
	b->poll[0] = (struct helios_pollcap){ ep, HELIOS_POLL_RECV, 0 };
	b->poll[1] = (struct helios_pollcap){ n, HELIOS_POLL_RECV, 0 };
	CHECK_EQ(S(POLL, 2, 0, 0, 0, 0).st, 0);
	bool waits = b->poll[0].revents & HELIOS_POLL_RECV;
	h_destroy(n);
	return waits;
}

/* The quota is revoked: the call returns once it is empty. */
static void revoke(u32 mem)
{
	CHECK_EQ(S(MEM_REVOKE, mem, 0, 0, 0, 0).st, 0);
	CHECK_EQ(used(mem), 0);
}

static void finished(const struct thread *th, i64 want)
{
	for (int i = 0; i < 100 && stage[th->k] != 9; i++)
		yield(1);
	CHECK_EQ(stage[th->k], 9);
	CHECK_EQ(result[th->k], want);
	CHECK_EQ(h_status(th->task).r0, HELIOS_TASK_EXITED);
	h_destroy(th->task);
}

/* The IPC buffer of a thread waiting to send, call or poll goes: it fails
 * with EFAULT, and nothing is delivered from the missing buffer. */
static void buffer_of_a_sender(void)
{
	u32 ep = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_ENDPOINT, 0);
	u32 note = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_NOTIFICATION, 0);
	void (*body[])(u64, u64) = { t_send10, t_sendcap, t_call10, t_poll };
	for (unsigned i = 0; i < ARRAY_LEN(body); i++) {
		u32 mem = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_MEMORY, 4);
		struct thread th = thread_make(mem, body[i], body[i] == t_sendcap ? (u64)note << 32 | ep : ep);
		reach(&th, 1);
		revoke(mem);
		/* A receiver now finds nobody: the sender is gone from the queue
		 * (the kernel used to leave it there, and crash delivering from
		 * its missing buffer). */
		if (sender_waits(ep)) {
			CHECK(!"the sender still waits");
			struct umsg m = { 0 };
			h_recv(ep, &m);
		}
		finished(&th, HELIOS_EFAULT);
		CHECK_EQ(h_info(note).r0, HELIOS_CAP_NOTIFICATION);     /* nothing moved */
		h_destroy(mem);
	}
	h_destroy(ep);
	h_destroy(note);
}

/* The IPC buffer of a thread waiting to receive, or for its reply, goes:
 * it goes on waiting and gets what the registers carry. */
static void buffer_of_a_receiver(void)
{
	u32 ep = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_ENDPOINT, 0);
	struct helios_ipc_buffer *b = U_IPCBUF;
	for (int i = HELIOS_REG_WORDS; i < 10; i++)
		b->word[i] = 1000 + i;

	u32 mem = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_MEMORY, 4);
	struct thread th = thread_make(mem, t_recv, ep);
	reach(&th, 1);
	revoke(mem);
	u32 gift = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_NOTIFICATION, 0);
	b->cap[0] = gift;
	struct umsg m = { .label = 5, .info = HELIOS_INFO(10, 1), .w = { 1, 2, 3, 4, 5, 6 } };
	CHECK_EQ(ipc(HELIOS_SYS_SEND, ep, &m), 0);
	finished(&th, 0);
	CHECK_EQ(info[th.k], HELIOS_INFO(HELIOS_REG_WORDS, 0));
	CHECK_EQ(word[th.k][5], 6);
	CHECK_EQ(h_info(gift).st, HELIOS_EBADCAP);              /* it left us, and was dropped */
	h_destroy(mem);

	mem = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_MEMORY, 4);
	th = thread_make(mem, t_call10, ep);
	m = (struct umsg){ 0 };
	CHECK_EQ(h_recv(ep, &m), 0);             /* the call: it now waits for the reply */
	CHECK_EQ(m.label, 8);
	revoke(mem);
	gift = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_NOTIFICATION, 0);
	b->cap[0] = gift;
	m = (struct umsg){ .label = 0, .info = HELIOS_INFO(10, 1), .w = { 9, 8, 7, 6, 5, 4 } };
	CHECK_EQ(ipc(HELIOS_SYS_REPLY, NONE, &m), 0);
	finished(&th, 0);
	CHECK_EQ(info[th.k], HELIOS_INFO(HELIOS_REG_WORDS, 0));
	CHECK_EQ(word[th.k][0], 9);
	CHECK_EQ(h_info(gift).st, HELIOS_EBADCAP);
	h_destroy(mem);
	h_destroy(ep);
}

/* The endpoint goes under a sender, a caller and a receiver; the
 * notification under a waiter, with a timer armed on it. */
static void objects_waited_on(void)
{
	u32 mem = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_MEMORY, 8);
	u32 ep = make(mem, HELIOS_CAP_ENDPOINT, 0), ep2 = make(mem, HELIOS_CAP_ENDPOINT, 0);
	u32 n = make(mem, HELIOS_CAP_NOTIFICATION, 0);
	struct thread th[4] = {
		thread_make(HELIOS_ROOT_MEMORY, t_send10, ep),
		thread_make(HELIOS_ROOT_MEMORY, t_call10, ep),
		thread_make(HELIOS_ROOT_MEMORY, t_recv, ep2),
		thread_make(HELIOS_ROOT_MEMORY, t_wait, n),
	};
	for (int i = 0; i < 4; i++)
		reach(&th[i], 1);
	u64 now = S(CLOCK, 0, 0, 0, 0, 0).r0;
	CHECK_EQ(S(TIMER, n, 4, now + 3, 0, 0).st, 0);
	revoke(mem);
	for (int i = 0; i < 4; i++)
		finished(&th[i], HELIOS_EPEER);
	CHECK_EQ(h_info(ep).st, HELIOS_EBADCAP);
	/* The timer's tick passes: nothing fires into the freed notification. */
	while (S(CLOCK, 0, 0, 0, 0, 0).r0 < now + 6)
		yield(1);
	u32 n2 = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_NOTIFICATION, 0);
	CHECK_EQ(S(TIMER, n2, 2, S(CLOCK, 0, 0, 0, 0, 0).r0 + 1, 0, 0).st, 0);
	CHECK_EQ(h_wait(n2).r0, 2);
	h_destroy(n2);
	h_destroy(mem);
}

/* A saved reply capability goes with the cspace that holds it: its caller
 * hears EPEER. */
static void reply_capability(void)
{
	u32 ep = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_ENDPOINT, 0);
	u32 mem = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_MEMORY, 4);
	u32 cs = make(mem, HELIOS_CAP_CSPACE, 0);
	struct thread th = thread_make(HELIOS_ROOT_MEMORY, t_call10, ep);
	struct umsg m = { 0 };
	CHECK_EQ(h_recv(ep, &m), 0);
	struct sysret r = S(REPLY_SAVE, NONE, 0, 0, 0, 0);
	CHECK_EQ(r.st, 0);
	CHECK_EQ(h_move((u32)r.r0, NONE, cs).st, 0);
	reach(&th, 1);
	CHECK_EQ(stage[th.k], 1);                               /* still waiting */
	revoke(mem);
	finished(&th, HELIOS_EPEER);
	h_destroy(mem);
	h_destroy(ep);
}

/* A thread's cspace goes: it dies.  Its death notification goes: it dies
 * later, and nothing is signalled. */
static void bindings(void)
{
	u32 mem = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_MEMORY, 4);
	u32 cs = make(mem, HELIOS_CAP_CSPACE, 0);
	struct thread th = thread_make(HELIOS_ROOT_MEMORY, t_spin, 0);
	reach(&th, 1);
	/* It spins in the root's cspace; give it one from mem, by hand: a new
	 * thread, configured before it starts. */
	u32 t2 = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_TASK, 0);
	CHECK_EQ(S(TASK_CONFIG, t2, cs, HELIOS_ROOT_VSPACE, NONE, 0).st, 0);
	CHECK_EQ(S(TASK_REGS, t2, (u64)(uptr)t_spin, T_BASE + (u64)th.k * 0x10000 + 0x800, 31, 0).st, 0);
	CHECK_EQ(S(TASK_START, t2, 0, 0, 0, 0).st, 0);
	yield(3);
	CHECK_EQ(h_status(t2).r0, HELIOS_TASK_RUNNING);
	u32 death = make(mem, HELIOS_CAP_NOTIFICATION, 0);
	CHECK_EQ(S(TASK_NOTIFY, th.task, death, 1, 0, 0).st, 0);
	revoke(mem);
	CHECK_EQ(h_status(t2).r0, HELIOS_TASK_KILLED);          /* its cspace went */
	CHECK_EQ(h_status(th.task).r0, HELIOS_TASK_RUNNING);    /* only its death note went */
	h_destroy(th.task);                                     /* it dies: nothing to signal */
	h_destroy(t2);
	CHECK_EQ(h_null(), 0);
	h_destroy(mem);
}

/* An IRQ line bound to a notification of the quota is unbound. */
static void irq_line(void)
{
	u32 mem = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_MEMORY, 4);
	u32 n = make(mem, HELIOS_CAP_NOTIFICATION, 0);
	CHECK_EQ(S(IRQ_BIND, HELIOS_ROOT_IRQ, 5, n, 1, 0).st, 0);
	CHECK_EQ(S(IRQ_ACK, HELIOS_ROOT_IRQ, 5, 0, 0, 0).st, 0);
	revoke(mem);
	CHECK_EQ(S(IRQ_ACK, HELIOS_ROOT_IRQ, 5, 0, 0, 0).st, HELIOS_EINVAL);      /* not bound */
	h_destroy(mem);
}

/* I/O ports and IRQ lines go with the quota that paid for them, and so do
 * the copies handed to a colluder and the ranges it narrowed from them,
 * paid for from its own quota; a line it bound through them is unbound. */
static void ranges(void)
{
	u32 drv = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_MEMORY, 8);
	u32 other = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_MEMORY, 8);
	struct sysret io = h_narrow_from(HELIOS_ROOT_IOPORT, NONE, 0x80, 0x88, drv);
	struct sysret irq = h_narrow_from(HELIOS_ROOT_IRQ, NONE, 5, 7, drv);
	CHECK_EQ(io.st, 0);
	CHECK_EQ(irq.st, 0);
	CHECK_EQ(used(drv), 2);
	u32 io_copy = (u32)h_copy((u32)io.r0, NONE, NONE).r0;
	struct sysret io_sub = h_narrow_from((u32)io.r0, NONE, 0x80, 0x81, other);
	struct sysret irq_sub = h_narrow_from((u32)irq.r0, NONE, 5, 6, other);
	struct sysret deeper = h_narrow_from((u32)io_sub.r0, NONE, 0x80, 0x81, other);
	CHECK_EQ(io_sub.st, 0);
	CHECK_EQ(irq_sub.st, 0);
	CHECK_EQ(deeper.st, 0);
	u32 n = make(other, HELIOS_CAP_NOTIFICATION, 0);
	CHECK_EQ(S(IRQ_BIND, irq_sub.r0, 5, n, 1, 0).st, 0);
	CHECK_EQ(h_io_out((u32)deeper.r0, 0x80, 1, 0), 0);
	CHECK_EQ(h_info(io_copy).r1, 0x80);
	revoke(drv);
	CHECK_EQ(h_info((u32)io.r0).st, HELIOS_EBADCAP);
	CHECK_EQ(h_info((u32)irq.r0).st, HELIOS_EBADCAP);
	CHECK_EQ(h_info(io_copy).st, HELIOS_EBADCAP);
	CHECK_EQ(h_info((u32)io_sub.r0).st, HELIOS_EBADCAP);
	CHECK_EQ(h_info((u32)irq_sub.r0).st, HELIOS_EBADCAP);
	CHECK_EQ(h_io_out((u32)deeper.r0, 0x80, 1, 0), HELIOS_EBADCAP);
	CHECK_EQ(S(IRQ_ACK, HELIOS_ROOT_IRQ, 5, 0, 0, 0).st, HELIOS_EINVAL);      /* unbound */
	CHECK_EQ(used(other), 1);                               /* the notification; its ranges went */
	revoke(other);
	h_destroy(drv);
	h_destroy(other);
}

/* A thread made from the quota it revokes dies on the way; a quota and
 * one below it revoked at once, from two threads. */
static void revokers(void)
{
	u32 mem = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_MEMORY, 16);
	u32 death = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_NOTIFICATION, 0);
	unsigned k = nthreads++;
	u64 base = T_BASE + (u64)k * 0x10000;
	u32 t = make(mem, HELIOS_CAP_TASK, 0);
	u32 stack = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_PAGE, 0);
	CHECK_EQ(h_map(HELIOS_ROOT_VSPACE, base, stack, HELIOS_MAP_W, HELIOS_ROOT_MEMORY), 0);
	h_destroy(stack);
	CHECK_EQ(S(TASK_CONFIG, t, HELIOS_ROOT_CSPACE, HELIOS_ROOT_VSPACE, NONE, 0).st, 0);
	CHECK_EQ(S(TASK_REGS, t, (u64)(uptr)t_revoke, base + 0x1000 - 8, k, mem).st, 0);
	CHECK_EQ(S(TASK_NOTIFY, t, death, 1, 0, 0).st, 0);
	CHECK_EQ(S(TASK_START, t, 0, 0, 0, 0).st, 0);
	CHECK_EQ(h_wait(death).r0, 1);
	CHECK_EQ(stage[k], 1);                                  /* it never returned */
	revoke(mem);
	h_destroy(mem);

	/* Below first, then above: the two wait in order. */
	u32 top = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_MEMORY, 64);
	u32 below = make(top, HELIOS_CAP_MEMORY, 32);
	for (int i = 0; i < 8; i++) {
		make(below, HELIOS_CAP_ENDPOINT, 0);
		make(top, HELIOS_CAP_PAGE, 0);
	}
	struct thread th = thread_make(HELIOS_ROOT_MEMORY, t_revoke, below);
	reach(&th, 1);
	revoke(top);
	finished(&th, 0);
	/* Above first, then below while above is under way: below's request
	 * is answered when above's revocation takes below (0), or refused if
	 * its capability went first (EBADCAP). */
	below = make(top, HELIOS_CAP_MEMORY, 60);
	u32 pages[56];
	for (int i = 0; i < 56; i++)
		pages[i] = make(below, HELIOS_CAP_PAGE, 0);
	for (int i = 0; i < 56; i++)
		h_copy(pages[i], NONE, NONE);   /* more references to sever */
	th = thread_make(HELIOS_ROOT_MEMORY, t_revoke, below);
	revoke(top);
	for (int i = 0; i < 100 && stage[th.k] != 9; i++)
		yield(1);
	CHECK(result[th.k] == 0 || result[th.k] == HELIOS_EBADCAP);
	uprintf("revoke: below while above is revoked: %ld\n", (i64)result[th.k]);
	h_destroy(th.task);
	CHECK_EQ(used(top), 0);
	h_destroy(top);
	h_destroy(death);
}

void child_main(u64 role, u64 arg)
{
	(void)role;
	(void)arg;
}

void test_main(void)
{
	u64 base = used(HELIOS_ROOT_MEMORY);
	buffer_of_a_sender();
	buffer_of_a_receiver();
	objects_waited_on();
	reply_capability();
	bindings();
	irq_line();
	ranges();
	revokers();
	CHECK_EQ(h_null(), 0);
	uprintf("revoke: %u threads; root quota used %lu at the start, %lu at the end\n", nthreads, base,
	        used(HELIOS_ROOT_MEMORY));
}
