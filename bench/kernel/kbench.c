/*
 * kbench: the kernel's benchmarks, run as the root task under QEMU with
 * -icount shift=0, where rdtsc counts guest instructions.  Each figure is
 * the best of several batches (a timer tick in a batch only adds to it),
 * less the cost of the measuring loop itself, and is printed as
 *   bench kernel.NAME N instructions
 * for bench/kernel/run to collect.
 *
 *   kernel.syscall.null         one NULL system call, user to user
 *   kernel.ipc.roundtrip        CALL + REPLY_RECV with a one-word message, the
 *                               client and the server in different vspaces
 *   kernel.ipc.roundtrip64      the same with 64 words (58 through the buffers)
 *   kernel.ipc.roundtrip.page   the same with HELIOS_MAX_WORDS words, a full
 *                               IPC buffer page each way
 *   kernel.ipc.roundtrip_pollers the round trip while POLLERS tasks poll
 *                               other endpoints
 *   kernel.notify.signal_wake   half a ping-pong through two notifications
 *                               between two vspaces: SIGNAL, then WAIT
 *                               blocks and the waiter runs
 *   kernel.irq.to_handler       from the IO_OUT that makes COM1 raise IRQ 4
 *                               to the handler task (another vspace) back
 *                               from WAIT
 *   kernel.region.1m            1 MiB through a region: made, written a
 *                               chunk a call, sealed, read back, destroyed;
 *                               "vs memcpy": the same 2 MiB copied by hand
 *                               in user mode (the same rep movsq), / ours
 *
 * Then a hostile task builds what once made revocation quadratic with
 * interrupts off: from a quota of HOSTILE_PAGES pages, a chain of
 * HOSTILE_DEPTH quotas each split off the one above, and at the bottom one
 * page mapped as many times as the rest of the quota holds page tables for.
 * While it stands:
 *
 *   kernel.revoke.empty         MEM_REVOKE of an empty quota, by the root
 *   kernel.revoke.hostile       MEM_REVOKE of the hostile task's quota: it,
 *                               the chain and every mapping go
 *   kernel.revoke.per_mapping   the same per mapping
 *   kernel.timer.arm            TIMER, with TIMERS timers armed for one tick
 *                               (which then all fire at once)
 *
 * The kernel built with KERNEL_LATENCY (bench/kernel/run boots it with this
 * same task) logs the longest stretch it ran with interrupts off; that is
 * kernel.irq.worst.
 */
#include "ulib.h"

const char *ktest_name = "bench";

#define BATCH 1000
#define BATCHES 7
enum { SERVER = 1, PONG, HANDLER, HOSTILE, POLLER };

#define HOSTILE_PAGES 1500
#define HOSTILE_DEPTH 500
#define HOSTILE_VA 0x100000000ull
#define TIMERS 1000
#define POLLERS 8

/* Child slots */
#define C_EP 0
#define C_PING 1
#define C_PONG 2
#define C_IO 3
#define C_IRQ 4

struct shared {
	volatile u64 t_wake;
	volatile u64 mappings;          /* HOSTILE: done when set */
};

static u64 loop_cost;

static inline void null_syscall(void)
{
	u64 rax = HELIOS_SYS_NULL;
	__asm__ volatile("syscall" : "+a"(rax) : : "rcx", "r11", "memory");
}

static u64 best(u64 (*batch)(void))
{
	u64 b = ~0ull;
	for (int i = 0; i < BATCHES; i++) {
		u64 v = batch();
		b = MIN(b, v);
	}
	return b;
}

static u64 batch_empty(void)
{
	u64 t0 = rdtsc();
	for (int i = 0; i < BATCH; i++)
		__asm__ volatile("" ::: "memory");
	return rdtsc() - t0;
}

static u64 batch_null(void)
{
	u64 t0 = rdtsc();
	for (int i = 0; i < BATCH; i++)
		null_syscall();
	return rdtsc() - t0;
}

static u32 ep, ping, pong;

static u64 batch_call(void)
{
	struct umsg m = { 0 };
	u64 t0 = rdtsc();
	for (int i = 0; i < BATCH; i++) {
		m.label = 1;
		m.info = HELIOS_INFO(1, 0);
		m.w[0] = i;
		ipc(HELIOS_SYS_CALL, ep, &m);
	}
	return rdtsc() - t0;
}

/* A round trip of nwords words each way (the server echoes them). */
static u64 call_words(u64 nwords)
{
	struct umsg m = { 0 };
	u64 t0 = rdtsc();
	for (int i = 0; i < BATCH; i++) {
		m.label = 2;
		m.info = HELIOS_INFO(nwords, 0);
		ipc(HELIOS_SYS_CALL, ep, &m);
	}
	return rdtsc() - t0;
}

static u64 batch_call64(void)
{
	return call_words(64);
}

static u64 batch_call_page(void)
{
	return call_words(HELIOS_MAX_WORDS);
}

static u64 batch_notify(void)
{
	u64 t0 = rdtsc();
	for (int i = 0; i < BATCH; i++) {
		h_signal(ping, 1);
		h_wait(pong);
	}
	return rdtsc() - t0;
}

void child_main(u64 role, u64 arg)
{
	(void)arg;
	if (role == SERVER) {
		struct umsg m = { 0 };
		h_recv(C_EP, &m);
		for (;;) {
			m.label = 0;            /* the reply: the same words back */
			ipc(HELIOS_SYS_REPLY_RECV, C_EP, &m);
		}
	}
	if (role == PONG) {
		for (;;) {
			h_wait(C_PING);
			h_signal(C_PONG, 1);
		}
	}
	if (role == POLLER) {
		/* Slot C_IO: an endpoint nobody sends to. */
		U_IPCBUF->poll[0] = (struct helios_pollcap){ C_IO, HELIOS_POLL_RECV, 0 };
		for (;;)
			S(POLL, 1, 0, 0, 0, 0);
	}
	if (role == HOSTILE) {
		/* Slot 0: its quota; 1, 2: its own cspace and vspace. */
		struct shared *sh = (struct shared *)U_SHARED;
		u32 cur = 0;
		for (int i = 0; i < HOSTILE_DEPTH; i++) {
			struct sysret q = h_info(cur);
			struct sysret r = h_alloc(cur, HELIOS_CAP_MEMORY, NONE, q.r1 - q.r2 - 1);
			if (r.st)
				break;
			if (cur)
				h_destroy(cur);         /* its child's frame keeps it */
			cur = (u32)r.r0;
		}
		u32 page = (u32)h_alloc(cur, HELIOS_CAP_PAGE, NONE, 0).r0;
		u64 n = 0;
		while (h_map(2, HOSTILE_VA + n * 4096, page, 0, cur) == 0)
			n++;
		sh->mappings = n;
		u32 never = (u32)h_alloc(cur, HELIOS_CAP_NOTIFICATION, NONE, 0).r0;
		for (;;)
			h_wait(never);
	}
	if (role == HANDLER) {
		struct shared *sh = (struct shared *)U_SHARED;
		for (;;) {
			h_wait(C_PING);
			sh->t_wake = rdtsc();
			h_io_in(C_IO, 0x3fa, 1);                /* IIR: clears the interrupt */
			h_io_out(C_IO, 0x3f9, 1, 0);            /* IER off */
			S(IRQ_ACK, C_IRQ, 4, 0, 0, 0);
			h_signal(C_PONG, 1);
		}
	}
}

static void report(const char *name, u64 v, u64 target)
{
	uprintf("bench kernel.%s %lu instructions\n", name, v);
	if (target)
		uprintf("# kernel.%s: target <= %lu: %s\n", name, target, v <= target ? "met" : "MISSED");
}

#define REGION_BUF 0x200000000ull       /* 2 x 64 KiB: the bytes written, and read */
#define REGION_BYTES (1ull << 20)

static void region_1m(void)
{
	for (u64 i = 0; i < 32; i++) {
		u32 pg = (u32)h_alloc(HELIOS_ROOT_MEMORY, HELIOS_CAP_PAGE, NONE, 0).r0;
		CHECK_EQ(h_map(HELIOS_ROOT_VSPACE, REGION_BUF + i * 4096, pg, HELIOS_MAP_W, HELIOS_ROOT_MEMORY), 0);
		h_destroy(pg);
	}
	u8 *in = (u8 *)REGION_BUF, *out = in + 0x10000;
	for (u64 i = 0; i < 0x10000; i++)
		in[i] = (u8)(i * 7);
	u64 ours = ~0ull, hand = ~0ull;
	bool same = true;
	for (int b = 0; b < BATCHES; b++) {
		u64 t0 = rdtsc();
		struct sysret r = h_alloc(HELIOS_ROOT_MEMORY, HELIOS_CAP_REGION, NONE, REGION_BYTES);
		for (u64 off = 0; off < REGION_BYTES;)
			off += S(REGION_WRITE, r.r0, off, REGION_BUF + off % 0x10000, REGION_BYTES - off, 0).r0;
		S(REGION_SEAL, r.r0, REGION_BYTES, 0, 0, 0);
		for (u64 off = 0; off < REGION_BYTES;)
			off += S(REGION_READ, r.r0, off, (u64)(uptr)out, MIN(REGION_BYTES - off, 0x10000), 0).r0;
		h_destroy((u32)r.r0);
		u64 t1 = rdtsc();
		for (u64 off = 0; off < REGION_BYTES; off += 0x10000) {
			memcpy(out, in, 0x10000);       /* into a region's place */
			memcpy(out, in, 0x10000);       /* and out of it */
		}
		u64 t2 = rdtsc();
		same &= r.st == 0 && memcmp(out, in, 0x10000) == 0;
		ours = MIN(ours, t1 - t0);
		hand = MIN(hand, t2 - t1);
	}
	CHECK(same);
	uprintf("bench kernel.region.1m %lu instructions\n", ours);
	uprintf("# kernel.region.1m: vs memcpy %lu.%02lu (the same 2 MiB copied by hand: %lu instructions)\n",
	        hand / ours, hand * 100 / ours % 100, hand);
}

static u32 make(u64 type)
{
	return (u32)h_alloc(HELIOS_ROOT_MEMORY, type, NONE, 0).r0;
}

void test_main(void)
{
	loop_cost = best(batch_empty);
	u64 null = (best(batch_null) - loop_cost + BATCH / 2) / BATCH;
	report("syscall.null", null, 60);

	ep = make(HELIOS_CAP_ENDPOINT);
	ping = make(HELIOS_CAP_NOTIFICATION);
	pong = make(HELIOS_CAP_NOTIFICATION);
	u32 caps[] = { ep, ping, pong };
	struct child srv, pg;
	CHECK_EQ(spawn(SERVER, 0, caps, 3, &srv), 0);
	CHECK_EQ(spawn(PONG, 0, caps, 3, &pg), 0);
	S(YIELD, 0, 0, 0, 0, 0);
	report("ipc.roundtrip", (best(batch_call) - loop_cost + BATCH / 2) / BATCH, 400);
	report("ipc.roundtrip64", (best(batch_call64) - loop_cost + BATCH / 2) / BATCH, 0);
	report("ipc.roundtrip.page", (best(batch_call_page) - loop_cost + BATCH / 2) / BATCH, 0);
	report("notify.signal_wake", (best(batch_notify) - loop_cost + BATCH) / (2 * BATCH), 0);
	/* Pollers elsewhere cost this round trip nothing. */
	struct child pl[POLLERS];
	for (int i = 0; i < POLLERS; i++) {
		u32 pcaps[] = { ep, ping, pong, make(HELIOS_CAP_ENDPOINT) };
		CHECK_EQ(spawn(POLLER, 0, pcaps, 4, &pl[i]), 0);
		h_destroy(pcaps[3]);
	}
	S(YIELD, 0, 0, 0, 0, 0);
	report("ipc.roundtrip_pollers", (best(batch_call) - loop_cost + BATCH / 2) / BATCH, 0);
	for (int i = 0; i < POLLERS; i++)
		child_free(&pl[i]);
	child_free(&pg);

	/* IRQ 4 from COM1's transmit-empty interrupt, to a handler task. */
	u32 io = (u32)h_narrow(HELIOS_ROOT_IOPORT, NONE, 0x3f8, 0x400).r0;
	u32 irq = (u32)h_narrow(HELIOS_ROOT_IRQ, NONE, 4, 5).r0;
	u32 shared_pg = make(HELIOS_CAP_PAGE);
	CHECK_EQ(h_map(HELIOS_ROOT_VSPACE, U_SHARED, shared_pg, HELIOS_MAP_W, HELIOS_ROOT_MEMORY), 0);
	struct shared *sh = (struct shared *)U_SHARED;
	h_io_out(io, 0x3f9, 1, 0);
	h_io_out(io, 0x3fc, 1, 0x08);           /* OUT2 */
	CHECK_EQ(S(IRQ_BIND, irq, 4, ping, 1, 0).st, 0);
	u32 hcaps[] = { ep, ping, pong, io, irq };
	struct child h;
	CHECK_EQ(spawn_ex(HANDLER, 0, hcaps, 5, SPAWN_SHARED_PAGE, shared_pg, &h), 0);
	S(YIELD, 0, 0, 0, 0, 0);
	u64 irq_best = ~0ull;
	for (int i = 0; i < 50; i++) {
		u64 t0 = rdtsc();
		h_io_out(io, 0x3f9, 1, 0x02);   /* IER: THR empty -> IRQ 4 now */
		h_wait(pong);
		irq_best = MIN(irq_best, sh->t_wake - t0);
	}
	report("irq.to_handler", irq_best, 0);
	child_free(&h);
	child_free(&srv);
	region_1m();

	/* The hostile construction, and revocations while it stands. */
	sh->mappings = 0;
	u32 hq = (u32)h_alloc(HELIOS_ROOT_MEMORY, HELIOS_CAP_MEMORY, NONE, HOSTILE_PAGES).r0;
	struct child x;
	spawn_memory = hq;              /* all of it from its quota */
	CHECK_EQ(spawn_ex(HOSTILE, 0, &hq, 1, SPAWN_SELF | SPAWN_SHARED_PAGE, shared_pg, &x), 0);
	spawn_memory = HELIOS_ROOT_MEMORY;
	while (!sh->mappings)
		S(YIELD, 0, 0, 0, 0, 0);
	uprintf("# kernel.revoke: a hostile task's quota of %u pages: %u quotas deep, one page mapped "
	        "%lu times\n", HOSTILE_PAGES, HOSTILE_DEPTH, sh->mappings);
	u64 empty = ~0ull;
	for (int i = 0; i < 20; i++) {
		u32 e = (u32)h_alloc(HELIOS_ROOT_MEMORY, HELIOS_CAP_MEMORY, NONE, 1).r0;
		u64 t0 = rdtsc();
		CHECK_EQ(S(MEM_REVOKE, e, 0, 0, 0, 0).st, 0);
		empty = MIN(empty, rdtsc() - t0);
		h_destroy(e);
	}
	report("revoke.empty", empty, 0);
	u64 t0 = rdtsc();
	CHECK_EQ(S(MEM_REVOKE, hq, 0, 0, 0, 0).st, 0);
	u64 all = rdtsc() - t0;
	CHECK_EQ(h_info(hq).r2, 0);
	CHECK_EQ(h_status(x.task).st, HELIOS_EBADCAP);         /* it went too */
	report("revoke.hostile", all, 0);
	report("revoke.per_mapping", all / sh->mappings, 0);
	child_free(&x);
	h_destroy(hq);

	/* TIMERS notifications armed for one tick, kept in cspaces of their
	 * own; arming the last costs log(TIMERS); all fire as deferred work. */
	u32 tq = (u32)h_alloc(HELIOS_ROOT_MEMORY, HELIOS_CAP_MEMORY, NONE, TIMERS + TIMERS / 100 + 8).r0;
	u32 holder = NONE;
	u64 at = S(CLOCK, 0, 0, 0, 0, 0).r0 + 20, arm = 0;
	for (int i = 0; i < TIMERS; i++) {
		if (i % 100 == 0)
			holder = (u32)h_alloc(tq, HELIOS_CAP_CSPACE, NONE, 0).r0;
		u32 n = (u32)h_alloc(tq, HELIOS_CAP_NOTIFICATION, NONE, 0).r0;
		u64 t0 = rdtsc();
		CHECK_EQ(S(TIMER, n, 1, at + (i == TIMERS - 1), 0, 0).st, 0);
		arm = rdtsc() - t0;             /* the last: TIMERS - 1 armed already */
		CHECK_EQ(h_move(n, NONE, holder).st, 0);
	}
	report("timer.arm", arm, 0);
	u32 last = (u32)h_alloc(tq, HELIOS_CAP_NOTIFICATION, NONE, 0).r0;
	CHECK_EQ(S(TIMER, last, 1, at + 2, 0, 0).st, 0);
	CHECK_EQ(h_wait(last).r0, 1);                           /* after all the others fired */
	CHECK_EQ(S(MEM_REVOKE, tq, 0, 0, 0, 0).st, 0);
	h_destroy(tq);
}
