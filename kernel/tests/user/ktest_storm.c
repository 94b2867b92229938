/*
 * ktest_storm: a hostile task makes hundreds of thousands of system calls
 * with random numbers and random arguments (slot numbers near its own,
 * NONE, huge values, user and kernel addresses, powers of two) and random
 * IPC buffer contents, holding a few capabilities of every kind, its own
 * cspace and vspace among them.  It may block, fault or wreck its own
 * address space; the root watches its progress through a shared page,
 * kills it when it stalls or has done its share, and starts the next one
 * with another seed; every other round two children share their
 * capabilities and storm each other (calls, replies, capabilities moving
 * between them).  The kernel must answer every call with a status and
 * stay up; the root checks that it still works afterwards and how much of
 * its quota the dead children left behind.
 */
#include "ulib.h"

const char *ktest_name = "storm";

#define TOTAL 300000            /* system calls, all children together */
#define PER_CHILD 20000
#define NCAPS 6                 /* then its own cspace and vspace: 8 slots */

struct shared {
	volatile u64 calls;
	volatile u64 last_nr;
};

static u64 rng;

static u64 rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static u64 arg(void)
{
	switch (rnd() % 10) {
	case 0: case 1: case 2: return rnd() % 10;                      /* a slot it may hold */
	case 3: return HELIOS_CAP_NONE;
	case 4: return rnd();
	case 5: return (rnd() % 0x4000) << 12;                          /* a user page */
	case 6: return 1ull << (rnd() % 64);
	case 7: return rnd() % 5;                                       /* types, widths, flags */
	case 8: return 0xffffffff80000000ull + (rnd() % 0x1000000);    /* the kernel */
	default: return 0x7ff000000000ull - (rnd() % 16) * 4096;       /* its stack, IPC buffer */
	}
}

/* Which arguments of each call name capabilities (C) or addresses (V):
 * most of the time those get plausible values, so that the storm reaches
 * past decoding into the operations themselves. */
#define C(i) (1u << (i))
#define V(i) (1u << (8 + (i)))
static const u16 shape[HELIOS_SYS_COUNT] = {
	[HELIOS_SYS_CALL] = C(0), [HELIOS_SYS_SEND] = C(0), [HELIOS_SYS_RECV] = C(0),
	[HELIOS_SYS_REPLY_RECV] = C(0), [HELIOS_SYS_REPLY_SAVE] = C(0), [HELIOS_SYS_SIGNAL] = C(0),
	[HELIOS_SYS_WAIT] = C(0), [HELIOS_SYS_CAP_COPY] = C(0) | C(1) | C(2),
	[HELIOS_SYS_CAP_MOVE] = C(0) | C(1) | C(2), [HELIOS_SYS_CAP_NARROW] = C(0) | C(1),
	[HELIOS_SYS_CAP_DESTROY] = C(0), [HELIOS_SYS_CAP_INFO] = C(0),
	[HELIOS_SYS_MEM_ALLOC] = C(0) | C(2), [HELIOS_SYS_MAP] = C(0) | V(1) | C(2) | C(4),
	[HELIOS_SYS_UNMAP] = C(0) | V(1), [HELIOS_SYS_TASK_CONFIG] = C(0) | C(1) | C(2) | C(3),
	[HELIOS_SYS_TASK_REGS] = C(0) | V(1) | V(2), [HELIOS_SYS_TASK_START] = C(0),
	[HELIOS_SYS_TASK_NOTIFY] = C(0) | C(1), [HELIOS_SYS_TASK_STATUS] = C(0),
	[HELIOS_SYS_IO_IN] = C(0), [HELIOS_SYS_IO_OUT] = C(0), [HELIOS_SYS_IRQ_BIND] = C(0) | C(2),
	[HELIOS_SYS_IRQ_ACK] = C(0), [HELIOS_SYS_MEM_REVOKE] = C(0), [HELIOS_SYS_TIMER] = C(0),
};

static u64 shaped(u64 nr, unsigned i)
{
	u16 sh = nr < HELIOS_SYS_COUNT ? shape[nr] : 0;
	if (rnd() % 8 == 0)
		return arg();
	if (sh & C(i))
		return rnd() % 16;                              /* its slots, and some past them */
	if (sh & V(i)) {
		switch (rnd() % 4) {
		case 0: return 0x400000 + (rnd() % 8) * 4096;  /* its own code and data */
		case 1: return 0x7ff000000000ull - (rnd() % 4 + 1) * 4096;     /* its stack */
		case 2: return 0x7ff000100000ull;              /* its IPC buffer */
		default: return 0x10000000 + (rnd() % 64) * 4096;
		}
	}
	return rnd() % 4 ? rnd() % 16 : arg();
}

static void scramble(struct helios_ipc_buffer *b)
{
	for (int i = 0; i < HELIOS_MAX_CAPS; i++)
		b->cap[i] = rnd() % 3 ? (u32)(rnd() % 12) : (u32)rnd();
	for (int i = 0; i < HELIOS_MAX_POLL; i++)
		b->poll[i] = (struct helios_pollcap){ (u32)(rnd() % 12), (u16)rnd(), 0 };
	for (int i = 0; i < 8; i++)
		b->word[rnd() % HELIOS_MAX_WORDS] = rnd();
}

void child_main(u64 role, u64 seed)
{
	(void)role;
	struct shared *sh = (struct shared *)U_SHARED;
	rng = seed * 0x9e3779b97f4a7c15ull | 1;
	for (;;) {
		u64 nr = rnd() % (HELIOS_SYS_COUNT + 3);
		if (nr == HELIOS_SYS_DEBUG_WRITE || (nr == HELIOS_SYS_EXIT && rnd() % 64))
			nr = HELIOS_SYS_NULL;   /* no junk in the log; exit but rarely */
		if (rnd() % 8 == 0)
			scramble(U_IPCBUF);
		u64 info = rnd() % 4 ? HELIOS_INFO(rnd() % 8, rnd() % 3) : arg();
		sh->last_nr = nr;
		register u64 r10 __asm__("r10") = shaped(nr, 3);
		register u64 r8 __asm__("r8") = shaped(nr, 4);
		register u64 r9 __asm__("r9") = shaped(nr, 5);
		register u64 r12 __asm__("r12") = arg();
		u64 rax = nr, rdi = shaped(nr, 0), rsi = shaped(nr, 1);
		u64 rdx = nr >= HELIOS_SYS_CALL && nr <= HELIOS_SYS_REPLY_RECV ? info : shaped(nr, 2);
		__asm__ volatile("syscall"
		                 : "+a"(rax), "+D"(rdi), "+S"(rsi), "+d"(rdx), "+r"(r10), "+r"(r8),
		                   "+r"(r9), "+r"(r12)
		                 :
		                 : "rcx", "r11", "r13", "r14", "memory");
		sh->calls++;
	}
}

static u32 make(u32 mem, u64 type, u64 pages)
{
	struct sysret r = h_alloc(mem, type, NONE, pages);
	CHECK_EQ(r.st, 0);
	return (u32)r.r0;
}

void test_main(void)
{
	u32 shared_pg = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_PAGE, 0);
	CHECK_EQ(h_map(HELIOS_ROOT_VSPACE, U_SHARED, shared_pg, HELIOS_MAP_W, HELIOS_ROOT_MEMORY), 0);
	struct shared *sh = (struct shared *)U_SHARED;
	u64 total = 0, children = 0, stalled = 0, exited = 0, faulted = 0, killed = 0;
	u64 base = 0;
	/* "storm-seed=N" on the kernel command line starts elsewhere. */
	u64 seed0 = 1;
	for (const char *p = bootinfo->cmdline; *p; p++) {
		if (!strncmp(p, "storm-seed=", 11)) {
			seed0 = 0;
			for (p += 11; *p >= '0' && *p <= '9'; p++)
				seed0 = seed0 * 10 + (u64)(*p - '0');
			break;
		}
	}
	if (seed0 != 1)
		uprintf("storm: seeds from %lu\n", seed0);
	for (u64 seed = seed0; total < TOTAL && children < 3000; seed++) {
		/* Each round's children are made from a quota of their own,
		 * which the root revokes at the end of the round. */
		u32 round = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_MEMORY, 400);
		spawn_memory = round;
		u32 caps[NCAPS] = {
			make(round, HELIOS_CAP_NOTIFICATION, 0),
			make(round, HELIOS_CAP_ENDPOINT, 0),
			make(round, HELIOS_CAP_MEMORY, 48),
			(u32)h_narrow(HELIOS_ROOT_IOPORT, NONE, 0x80, 0x81).r0,         /* the POST port */
			(u32)h_narrow(HELIOS_ROOT_IRQ, NONE, 5, 6).r0,                  /* an unused line */
			make(round, HELIOS_CAP_PAGE, 0),
		};
		/* Every other round, two children share the capabilities above
		 * (their endpoint and notification too) and storm each other. */
		unsigned n = seed % 2 ? 1 : 2;
		sh->calls = 0;
		struct child c[2];
		for (unsigned k = 0; k < n; k++)
			CHECK_EQ(spawn_ex(1, seed * 2 + k, caps, NCAPS, SPAWN_SELF | SPAWN_SHARED_PAGE,
			                  shared_pg, &c[k]), 0);
		for (unsigned i = 0; i < NCAPS; i++)
			h_destroy(caps[i]);
		u64 last = 0;
		int stalls = 0;
		for (;;) {
			S(YIELD, 0, 0, 0, 0, 0);
			bool running = false;
			for (unsigned k = 0; k < n; k++)
				running |= h_status(c[k].task).r0 == HELIOS_TASK_RUNNING;
			if (!running)
				break;
			u64 now = sh->calls;
			if (now >= PER_CHILD * n)
				break;
			if (now == last && ++stalls >= 3) {
				stalled++;
				break;
			}
			if (now != last)
				stalls = 0;
			last = now;
		}
		for (unsigned k = 0; k < n; k++) {
			struct sysret st = h_status(c[k].task);
			if (st.r0 == HELIOS_TASK_EXITED)
				exited++;
			else if (st.r0 == HELIOS_TASK_FAULTED)
				faulted++;
			else
				killed++;
			children++;
			child_free(&c[k]);
		}
		total += sh->calls;
		/* Whatever they built, cycles included, goes with their quota. */
		spawn_memory = HELIOS_ROOT_MEMORY;
		CHECK_EQ(S(MEM_REVOKE, round, 0, 0, 0, 0).st, 0);
		CHECK_EQ(h_info(round).r2, 0);
		h_destroy(round);
		CHECK_EQ(h_null(), 0);
		if (seed == seed0)
			base = h_info(HELIOS_ROOT_MEMORY).r2;   /* after the scratch window's tables */
	}
	u64 used = h_info(HELIOS_ROOT_MEMORY).r2;
	uprintf("storm: %lu system calls from %lu children: %lu rounds stalled (blocked), %lu exited, "
	        "%lu faulted, %lu killed by the root\n",
	        total, children, stalled, exited, faulted, killed);
	uprintf("storm: root quota used %lu after the first round, %lu after the last\n", base, used);
	CHECK(total >= TOTAL);
	CHECK_EQ(used, base);
	/* The kernel still works: a round of real IPC-free work. */
	u32 n = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_NOTIFICATION, 0);
	h_signal(n, 3);
	CHECK_EQ(h_wait(n).r0, 3);
	CHECK_EQ(h_destroy(n), 0);
}
