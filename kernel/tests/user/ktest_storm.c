/*
 * ktest_storm: hostile tasks of several threads make hundreds of thousands
 * of system calls, every number there is (DEBUG_WRITE and EXIT among them,
 * and numbers past the last), with random arguments (most of the time a
 * slot that holds the right kind of capability, an address where something
 * is mapped; else NONE, huge values, kernel addresses, powers of two) and
 * random IPC buffer contents, while the root revokes, piece by piece, the
 * memory their objects, threads and IPC buffers were made from.
 *
 * A round: the root splits a quota R off its own and nested sub-quotas
 * below it,
 *
 *         R ---- A ---- B ---- C          (D, E: a second branch)
 *          `---- D ---- E
 *
 * and builds one or two processes (a cspace and a vspace from R, shared
 * endpoints and notifications from R, B and C, memory capabilities to C
 * and E, a page from E, an I/O port, an IRQ line), each with two to four
 * threads whose tasks, stacks and IPC buffers come from different ones of
 * those quotas.  The threads storm: most calls are random, the rest are
 * deliberate: sends and calls of long messages and capabilities, receives,
 * replies now or later or never, waits (some with a timer), polls,
 * signals, revocations of their own quotas, chains of quotas with a page
 * mapped hundreds of times, threads of their own.  So at any time some
 * threads are blocked in every kind of wait.  The root lets them run until
 * they are all blocked (or have made their share of calls, or one waits in
 * a revocation of its own), then moves: it revokes one of the sub-quotas
 * while they live (a partial revoke: some threads die, some lose their
 * IPC buffers in the middle of a send, a call or a poll, some the endpoint
 * they wait on), or adds a thread to a process; and so on, six to
 * fourteen times, then it revokes R.  After each revoke it checks that the
 * quota is empty, that every capability it held to what was made from it
 * is gone and every other one is still there, and that EFAULT came only to
 * threads whose buffer went; after each round, that its own quota is
 * back where it was; at the end, that the revokes hit threads blocked in
 * every kind of wait and that the kernel still works.  A watchdog thread
 * fails the test if the root stops making progress (a revocation that
 * never ends).
 *
 * The seed comes from the kernel command line (storm-seed=N; make check
 * draws a fresh one per run) and is printed first: under QEMU's -icount
 * the whole run is deterministic, so a seed replays a failure exactly
 * (make check-kernel-storm STORM_SEED=N).  Under -icount rdtsc counts
 * guest time too, so it tells how many ticks the clock should have
 * counted; with storm-clock=icount on the command line a shortfall fails
 * the test (a kernel that keeps interrupts off across two ticks loses
 * one).
 */
#include "ulib.h"

const char *ktest_name = "storm";

#define TOTAL 300000            /* system calls of all threads together */
#define PHASE_CALLS 1000        /* between two moves of the root's, at most */
#define MAX_ROUNDS 1000
#define KICKS 1                 /* signals to threads all blocked, before the root moves */
#define WATCHDOG_TICKS 300      /* without progress of the root's: the test fails */

/* The capabilities of every process, in these slots (the root hands out
 * the first C_HANDED; a new kind of capability is one more line). */
enum {
	C_EP,           /* endpoint from R: it outlives the partial revokes */
	C_NOTE,         /* notification from R */
	C_EP2,          /* endpoint from B */
	C_NOTE2,        /* notification from C */
	C_MEM,          /* memory: C */
	C_MEM2,         /* memory: E */
	C_PAGE,         /* a page from E */
	C_IOPORT,       /* port 0x80 (POST) */
	C_IRQ,          /* line 5 (unused) */
	C_HANDED,
	C_CSPACE = C_HANDED,    /* its own cspace and vspace */
	C_VSPACE,
	C_TASK,         /* C_TASK + i: the root's thread i of the process */
};

/* Where thread area a lives in a process's vspace: a stack of two pages
 * below AREA(a) + 0x2000 and the IPC buffer at AREA(a) + 0x8000.  Areas
 * 0 .. NTHR_MAX - 1 are the root's threads, the rest the ones the process
 * makes itself.  A thread's chain of quotas maps its page at BUILD(a). */
#define T_BASE 0x60000000ull
#define AREA(a) (T_BASE + (u64)(a) * 0x10000)
#define AREA_BUF(a) ((struct helios_ipc_buffer *)(AREA(a) + 0x8000))
#define NTHR_MAX 8
#define NAREA 16
#define BUILD(a) (0x70000000ull + (u64)(a) * 0x200000)

/* The page the root shares with every process: one record per thread,
 * the root's threads' first (RREC of them), then the processes' own. */
#define RREC 16
#define MAXREC 48
#define MAGIC 0x5701u           /* label >> 32 of a deliberate message: its sender's record below */
struct rec {
	volatile u64 calls;     /* system calls made */
	volatile u64 taken;     /* calls + 1 when a receiver took its call: it waits for the reply */
	volatile u32 nr;        /* the call in progress (in) or last made */
	volatile u32 in;
	volatile u32 nobuf;     /* its IPC buffer is gone or going: leave it alone */
	volatile u64 efault;    /* calls that ended with HELIOS_EFAULT */
	volatile u64 deliberate;
};
struct shared {
	volatile u32 nown;      /* records taken by the processes' own threads */
	struct rec rec[MAXREC];
};
_Static_assert(sizeof(struct shared) <= 4096, "the shared page");

/* ---- The threads ---- */

struct thr {
	u64 rng;
	struct rec *rec;
	struct helios_ipc_buffer *buf;
	unsigned area;
	unsigned temper;        /* per mille of deliberate calls */
	u32 saved;              /* a saved reply capability, or NONE */
	u32 chain;              /* the bottom of the chain of quotas it built, or NONE */
	u32 kept[4];            /* small quotas it split off, or NONE */
};

extern char _start[];           /* crt0: the entry of threads a process makes */
static u32 next_area;           /* the process's: areas for its own threads */
static struct rec spare_rec;    /* theirs when the shared page is full */

static u64 rnd(struct thr *t)
{
	t->rng ^= t->rng << 13;
	t->rng ^= t->rng >> 7;
	t->rng ^= t->rng << 17;
	return t->rng;
}

static bool has_buf(const struct thr *t)
{
	return !t->rec->nobuf;
}

/* Every register a system call takes or gives. */
struct regs {
	u64 rax, rdi, rsi, rdx, r10, r8, r9, r12, r13, r14;
};

static void raw(struct regs *r)
{
	register u64 r10 __asm__("r10") = r->r10;
	register u64 r8 __asm__("r8") = r->r8;
	register u64 r9 __asm__("r9") = r->r9;
	register u64 r12 __asm__("r12") = r->r12;
	register u64 r13 __asm__("r13") = r->r13;
	register u64 r14 __asm__("r14") = r->r14;
	__asm__ volatile("syscall"
	                 : "+a"(r->rax), "+D"(r->rdi), "+S"(r->rsi), "+d"(r->rdx), "+r"(r10), "+r"(r8),
	                   "+r"(r9), "+r"(r12), "+r"(r13), "+r"(r14)
	                 :
	                 : "rcx", "r11", "memory");
	r->r10 = r10;
	r->r8 = r8;
	r->r9 = r9;
	r->r12 = r12;
	r->r13 = r13;
	r->r14 = r14;
}

/* A system call, on the record: the root sees what each thread is in. */
static i64 call(struct thr *t, struct regs *r)
{
	struct shared *sh = (struct shared *)U_SHARED;
	struct rec *rec = t->rec;
	u64 nr = r->rax;
	rec->nr = (u32)nr;
	rec->in = 1;
	raw(r);
	i64 st = (i64)r->rax;
	rec->in = 0;
	rec->calls++;
	/* EFAULT comes from an IPC buffer taken away, but for a region's copy,
	 * whose own address argument (a2) may be anything here. */
	if (st == HELIOS_EFAULT && nr != HELIOS_SYS_REGION_WRITE && nr != HELIOS_SYS_REGION_READ) {
		rec->efault++;
		rec->nobuf = 1;
	}
	if (st == 0 && (nr == HELIOS_SYS_RECV || nr == HELIOS_SYS_REPLY_RECV) && r->rsi >> 32 == MAGIC &&
	    (r->rsi & 0xffff) < MAXREC) {
		struct rec *caller = &sh->rec[r->rsi & 0xffff];
		caller->taken = caller->calls + 1;
	}
	return st;
}

static struct sysret sc(struct thr *t, u64 nr, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4)
{
	struct regs r = { nr, a0, a1, a2, a3, a4, 0, 0, 0, 0 };
	i64 st = call(t, &r);
	return (struct sysret){ st, r.rsi, r.rdx, r.r10, r.r8 };
}

static u64 arg(struct thr *t)
{
	switch (rnd(t) % 10) {
	case 0: case 1: case 2: return rnd(t) % 16;                      /* a slot it may hold */
	case 3: return HELIOS_CAP_NONE;
	case 4: return rnd(t);
	case 5: return (rnd(t) % 0x4000) << 12;                          /* a user page */
	case 6: return 1ull << (rnd(t) % 64);
	case 7: return rnd(t) % 5;                                       /* types, widths, flags */
	case 8: return 0xffffffff80000000ull + (rnd(t) % 0x1000000);    /* the kernel */
	default: return 0x7ff000000000ull - (rnd(t) % 16) * 4096;       /* below the root's stack */
	}
}

/* What each argument of each call is, so that most of the time it gets a
 * plausible value (a slot that holds the right kind of capability, an
 * address where something is mapped, a port or line near those it holds)
 * and the storm reaches past decoding into the operations themselves.
 * A_ANY (0): a small number, or anything. */
enum {
	A_ANY, A_CAP, A_DEST, A_EP, A_NOTE, A_MEM, A_PAGE, A_TASK, A_CSPACE, A_VSPACE, A_IO, A_IRQ,
	A_VA, A_RANGE, A_BITS,
};
static const u8 shape[HELIOS_SYS_COUNT][6] = {
	[HELIOS_SYS_CALL] = { A_EP }, [HELIOS_SYS_SEND] = { A_CAP }, [HELIOS_SYS_RECV] = { A_EP },
	[HELIOS_SYS_REPLY_RECV] = { A_EP }, [HELIOS_SYS_REPLY_SAVE] = { A_DEST },
	[HELIOS_SYS_SIGNAL] = { A_NOTE, A_BITS }, [HELIOS_SYS_WAIT] = { A_NOTE },
	[HELIOS_SYS_CAP_COPY] = { A_CAP, A_DEST, A_CSPACE }, [HELIOS_SYS_CAP_MOVE] = { A_CAP, A_DEST, A_CSPACE },
	[HELIOS_SYS_CAP_NARROW] = { A_CAP, A_DEST, A_RANGE, A_RANGE, A_MEM },
	[HELIOS_SYS_CAP_DESTROY] = { A_CAP }, [HELIOS_SYS_CAP_INFO] = { A_CAP },
	[HELIOS_SYS_MEM_ALLOC] = { A_MEM, A_ANY, A_DEST },
	[HELIOS_SYS_MAP] = { A_VSPACE, A_VA, A_PAGE, A_ANY, A_MEM }, [HELIOS_SYS_UNMAP] = { A_VSPACE, A_VA },
	[HELIOS_SYS_TASK_CONFIG] = { A_TASK, A_CSPACE, A_VSPACE, A_PAGE },
	[HELIOS_SYS_TASK_REGS] = { A_TASK, A_VA, A_VA }, [HELIOS_SYS_TASK_START] = { A_TASK },
	[HELIOS_SYS_TASK_NOTIFY] = { A_TASK, A_NOTE, A_BITS }, [HELIOS_SYS_TASK_STATUS] = { A_TASK },
	[HELIOS_SYS_IO_IN] = { A_IO, A_RANGE }, [HELIOS_SYS_IO_OUT] = { A_IO, A_RANGE },
	[HELIOS_SYS_IRQ_BIND] = { A_IRQ, A_RANGE, A_NOTE, A_BITS }, [HELIOS_SYS_IRQ_ACK] = { A_IRQ, A_RANGE },
	[HELIOS_SYS_MEM_REVOKE] = { A_MEM }, [HELIOS_SYS_TIMER] = { A_NOTE, A_BITS },
};

static u32 pick_ep(struct thr *t)
{
	return rnd(t) % 4 ? C_EP : C_EP2;
}

static u32 pick_note(struct thr *t)
{
	return rnd(t) % 3 ? C_NOTE : C_NOTE2;
}

static u32 pick_mem(struct thr *t)
{
	if (t->chain != NONE && rnd(t) % 2)
		return t->chain;
	return rnd(t) % 2 ? C_MEM : C_MEM2;
}

/* A slot: one of the process's that may hold a capability of that kind. */
static u64 slot_of(struct thr *t, unsigned kind)
{
	switch (kind) {
	case A_EP: return pick_ep(t);
	case A_NOTE: return pick_note(t);
	case A_MEM: return pick_mem(t);
	case A_PAGE: return C_PAGE;
	case A_TASK: return C_TASK + rnd(t) % NTHR_MAX;
	case A_CSPACE: return rnd(t) % 4 ? C_CSPACE : NONE;     /* (NONE: its own, or keep) */
	case A_VSPACE: return rnd(t) % 4 ? C_VSPACE : NONE;
	case A_IO: return C_IOPORT;
	case A_IRQ: return C_IRQ;
	default: return rnd(t) % 16 ? rnd(t) % (C_TASK + NTHR_MAX + 4) : rnd(t) % HELIOS_CSPACE_SLOTS;
	}
}

static u64 shaped(struct thr *t, u64 nr, unsigned i)
{
	unsigned kind = nr < HELIOS_SYS_COUNT ? shape[nr][i] : A_ANY;
	if (rnd(t) % 8 == 0)
		return arg(t);
	switch (kind) {
	case A_ANY: return rnd(t) % 4 ? rnd(t) % 16 : arg(t);
	case A_CAP: return slot_of(t, A_CAP);
	case A_DEST: return rnd(t) % 2 ? NONE : slot_of(t, A_CAP);
	case A_BITS: return rnd(t) % 2 ? 1ull << (rnd(t) % 64) : rnd(t);
	case A_RANGE: return rnd(t) % 2 ? 0x7f + rnd(t) % 3 : 4 + rnd(t) % 3;  /* port 0x80, line 5 */
	case A_VA:
		switch (rnd(t) % 5) {
		case 0: return 0x400000 + (rnd(t) % 8) * 4096;                  /* its code and data */
		case 1: return AREA(rnd(t) % NAREA) + (rnd(t) % 2) * 4096;      /* threads' stacks */
		case 2: return (u64)AREA_BUF(rnd(t) % NAREA);                  /* threads' IPC buffers */
		case 3: return BUILD(rnd(t) % NAREA) + (rnd(t) % 64) * 4096;
		default: return 0x10000000 + (rnd(t) % 64) * 4096;
		}
	default:
		return rnd(t) % 4 ? slot_of(t, kind) : slot_of(t, A_CAP);
	}
}

/* A word of printable junk (a line ends now and then): DEBUG_WRITE logs
 * what the buffer holds. */
static u64 junk_word(struct thr *t)
{
	u64 r = rnd(t), w = (r & 0x0f0f0f0f0f0f0f0full) + 0x6161616161616161ull;    /* a .. p */
	return r >> 61 ? w : (w & ~(0xffull << 56)) | (u64)'\n' << 56;
}

static void scramble(struct thr *t)
{
	struct helios_ipc_buffer *b = t->buf;
	for (int i = 0; i < HELIOS_MAX_CAPS; i++)
		b->cap[i] = rnd(t) % 3 ? (u32)(rnd(t) % (C_TASK + NTHR_MAX + 4)) : (u32)rnd(t);
	for (int i = 0; i < HELIOS_MAX_POLL; i++)
		b->poll[i] = (struct helios_pollcap){ (u32)(rnd(t) % (C_TASK + 8)), (u16)rnd(t), 0 };
	for (int i = 0; i < 8; i++)
		b->word[rnd(t) % HELIOS_MAX_WORDS] = junk_word(t);
}

/* Any system call number, EXIT now and then, with shaped arguments. */
static void random_call(struct thr *t)
{
	u64 nr = rnd(t) % (HELIOS_SYS_COUNT + 3);
	if (nr == HELIOS_SYS_EXIT && rnd(t) % 8)
		nr = HELIOS_SYS_YIELD;
	if (rnd(t) % 8 == 0 && has_buf(t))
		scramble(t);
	bool ipc = nr >= HELIOS_SYS_CALL && nr <= HELIOS_SYS_REPLY_RECV;
	u64 info = rnd(t) % 4 ? HELIOS_INFO(rnd(t) % 12, rnd(t) % 3) : arg(t);
	struct regs r = {
		nr, shaped(t, nr, 0), shaped(t, nr, 1), ipc ? info : shaped(t, nr, 2), shaped(t, nr, 3),
		shaped(t, nr, 4), shaped(t, nr, 5), arg(t), arg(t), arg(t),
	};
	call(t, &r);
}

/* Deliberate calls: good arguments, so that threads block in every kind
 * of wait and the messages use the IPC buffer. */

/* A message from this thread: label MAGIC and its record, words past the
 * registers' and copies of capabilities in its IPC buffer. */
static struct regs message(struct thr *t, u64 nr, u32 cap, bool with_caps)
{
	u64 nwords = rnd(t) % 7, ncaps = 0;
	if (has_buf(t)) {
		if (rnd(t) % 3)
			nwords = HELIOS_REG_WORDS + 1 + rnd(t) % (HELIOS_MAX_WORDS - HELIOS_REG_WORDS);
		for (u64 i = HELIOS_REG_WORDS; i < nwords; i++)
			t->buf->word[i] = junk_word(t);
		static const u32 give[] = { C_NOTE, C_PAGE, C_NOTE2, C_MEM2 };
		for (u64 n = with_caps && rnd(t) % 4 == 0 ? 1 + rnd(t) % 2 : 0; ncaps < n; ncaps++) {
			struct sysret c = sc(t, HELIOS_SYS_CAP_COPY, give[rnd(t) % 4], NONE, NONE, 0, 0);
			if (c.st || !has_buf(t))
				break;
			t->buf->cap[ncaps] = (u32)c.r0;
		}
	}
	struct shared *sh = (struct shared *)U_SHARED;
	u64 me = (u64)(t->rec - sh->rec);
	return (struct regs){ nr, cap, (u64)MAGIC << 32 | me, HELIOS_INFO(nwords, ncaps),
	                      junk_word(t), junk_word(t), junk_word(t), junk_word(t), junk_word(t), junk_word(t) };
}

/* Capabilities that arrived in the IPC buffer: drop most, or the cspace
 * fills up. */
static void drop_received(struct thr *t, u64 info)
{
	for (u32 i = 0; i < HELIOS_INFO_CAPS(info) && i < HELIOS_MAX_CAPS && has_buf(t); i++)
		if (rnd(t) % 4)
			sc(t, HELIOS_SYS_CAP_DESTROY, t->buf->cap[i], 0, 0, 0, 0);
}

/* Send m, made by message(): the copies of capabilities it carries go
 * again if it failed (if the kernel refused it, nothing moved). */
static i64 send(struct thr *t, struct regs *m)
{
	u32 ncaps = HELIOS_INFO_CAPS(m->rdx), copies[2] = { NONE, NONE };
	for (u32 i = 0; i < ncaps && i < 2; i++)
		copies[i] = t->buf->cap[i];
	i64 st = call(t, m);
	for (u32 i = 0; st && i < ncaps && i < 2; i++)
		sc(t, HELIOS_SYS_CAP_DESTROY, copies[i], 0, 0, 0, 0);
	return st;
}

static void d_send(struct thr *t, u64 nr)
{
	struct regs m = message(t, nr, pick_ep(t), true);
	if (send(t, &m) == 0 && nr == HELIOS_SYS_CALL)
		drop_received(t, m.rdx);
}

/* Receive, then answer now, later (a saved reply capability) or never
 * (the caller waits until this thread receives again). */
static void d_recv(struct thr *t, u64 nr)
{
	struct regs r = message(t, nr, pick_ep(t), false);      /* REPLY_RECV: the reply */
	if (call(t, &r))
		return;
	drop_received(t, r.rdx);
	switch (rnd(t) % 5) {
	case 0: case 1: {
		struct regs m = message(t, HELIOS_SYS_REPLY, 0, true);
		m.rsi = 0;
		send(t, &m);
		break;
	}
	case 2:
		if (t->saved != NONE)
			sc(t, HELIOS_SYS_CAP_DESTROY, t->saved, 0, 0, 0, 0);   /* that caller: EPEER */
		struct sysret s = sc(t, HELIOS_SYS_REPLY_SAVE, NONE, 0, 0, 0, 0);
		t->saved = s.st ? NONE : (u32)s.r0;
		break;
	default:
		break;
	}
}

static void d_answer_saved(struct thr *t)
{
	if (t->saved == NONE)
		return;
	struct regs m = message(t, HELIOS_SYS_SEND, t->saved, true);
	m.rsi = 0;
	send(t, &m);
	t->saved = NONE;
}

static void d_wait(struct thr *t)
{
	u32 n = pick_note(t);
	if (rnd(t) % 3 == 0) {
		u64 now = sc(t, HELIOS_SYS_CLOCK, 0, 0, 0, 0, 0).r0;
		sc(t, HELIOS_SYS_TIMER, n, 1ull << (rnd(t) % 8), now + 1 + rnd(t) % 8, 0, 0);
	}
	sc(t, HELIOS_SYS_WAIT, n, 0, 0, 0, 0);
}

static void d_poll(struct thr *t)
{
	static const struct helios_pollcap what[] = {
		{ C_EP, HELIOS_POLL_RECV | HELIOS_POLL_SEND, 0 }, { C_NOTE, HELIOS_POLL_RECV, 0 },
		{ C_EP2, HELIOS_POLL_RECV, 0 }, { C_NOTE2, HELIOS_POLL_RECV, 0 }, { C_EP2, HELIOS_POLL_SEND, 0 },
	};
	unsigned n = 1 + rnd(t) % ARRAY_LEN(what);
	if (has_buf(t))
		for (unsigned i = 0; i < n; i++)
			t->buf->poll[i] = what[(i + rnd(t)) % ARRAY_LEN(what)];
	sc(t, HELIOS_SYS_POLL, n, 0, 0, 0, 0);
}

/* A chain of quotas, each split off the one before, and a page from the
 * last mapped many times: what makes a revocation long.  Once the chain
 * is there, the page again (after a revoke took it). */
static void d_build(struct thr *t)
{
	u32 m = t->chain;
	if (m == NONE) {
		m = rnd(t) % 2 ? C_MEM : C_MEM2;
		for (unsigned d = 4 + rnd(t) % 28; d; d--) {
			struct sysret q = sc(t, HELIOS_SYS_CAP_INFO, m, 0, 0, 0, 0);
			if (q.st || q.r0 != HELIOS_CAP_MEMORY || q.r1 < q.r2 + 8)
				break;
			struct sysret c = sc(t, HELIOS_SYS_MEM_ALLOC, m, HELIOS_CAP_MEMORY, NONE, q.r1 - q.r2 - 2, 0);
			if (c.st)
				break;
			if (m != C_MEM && m != C_MEM2)
				sc(t, HELIOS_SYS_CAP_DESTROY, m, 0, 0, 0, 0);  /* its child keeps it */
			m = (u32)c.r0;
		}
		t->chain = m;
	}
	struct sysret pg = sc(t, HELIOS_SYS_MEM_ALLOC, m, HELIOS_CAP_PAGE, NONE, 0, 0);
	if (pg.st)
		return;
	for (u64 i = 0, n = 128 + rnd(t) % 384; i < n; i++)
		if (sc(t, HELIOS_SYS_MAP, C_VSPACE, BUILD(t->area) + i * 4096, pg.r0, 0, m).st)
			break;
	sc(t, HELIOS_SYS_CAP_DESTROY, pg.r0, 0, 0, 0, 0);
}

/* Small quotas split off and kept, to be dropped later (likely while a
 * revoke is under way), or the chain dropped (its links go one by one,
 * each kept only by the next). */
static void d_quota(struct thr *t)
{
	u32 *k = &t->kept[rnd(t) % ARRAY_LEN(t->kept)];
	if (t->chain != NONE && rnd(t) % 4 == 0) {
		sc(t, HELIOS_SYS_CAP_DESTROY, t->chain, 0, 0, 0, 0);
		t->chain = NONE;
	} else if (*k == NONE) {
		struct sysret q = sc(t, HELIOS_SYS_MEM_ALLOC, pick_mem(t), HELIOS_CAP_MEMORY, NONE, rnd(t) % 4, 0);
		*k = q.st ? NONE : (u32)q.r0;
	} else {
		sc(t, HELIOS_SYS_CAP_DESTROY, *k, 0, 0, 0, 0);
		*k = NONE;
	}
}

/* A thread of the process's own, from its own memory. */
static void d_fork(struct thr *t)
{
	struct shared *sh = (struct shared *)U_SHARED;
	u32 area = NTHR_MAX + __atomic_fetch_add(&next_area, 1, __ATOMIC_RELAXED);
	if (area >= NAREA)
		return;
	u32 m = pick_mem(t);
	struct sysret task = sc(t, HELIOS_SYS_MEM_ALLOC, m, HELIOS_CAP_TASK, NONE, 0, 0);
	struct sysret stack = sc(t, HELIOS_SYS_MEM_ALLOC, m, HELIOS_CAP_PAGE, NONE, 0, 0);
	struct sysret buf = sc(t, HELIOS_SYS_MEM_ALLOC, m, HELIOS_CAP_PAGE, NONE, 0, 0);
	if (!task.st && !stack.st && !buf.st &&
	    !sc(t, HELIOS_SYS_MAP, C_VSPACE, AREA(area), stack.r0, HELIOS_MAP_W, m).st &&
	    !sc(t, HELIOS_SYS_MAP, C_VSPACE, (u64)AREA_BUF(area), buf.r0, HELIOS_MAP_W, m).st &&
	    !sc(t, HELIOS_SYS_TASK_CONFIG, task.r0, C_CSPACE, C_VSPACE, rnd(t) % 3 ? buf.r0 : C_PAGE, 0).st &&
	    !sc(t, HELIOS_SYS_TASK_CONFIG, task.r0, NONE, NONE, buf.r0, 0).st) {     /* again: the buffer */
		u32 rec = RREC + __atomic_fetch_add(&sh->nown, 1, __ATOMIC_RELAXED);
		u64 role = (u64)area << 16 | MIN(rec, (u32)MAXREC);
		sc(t, HELIOS_SYS_TASK_REGS, task.r0, (u64)(uptr)_start, AREA(area) + 0x1000, role, rnd(t));
		sc(t, HELIOS_SYS_TASK_START, task.r0, 0, 0, 0, 0);
	}
	if (!stack.st)
		sc(t, HELIOS_SYS_CAP_DESTROY, stack.r0, 0, 0, 0, 0);   /* the mappings keep them */
	if (!buf.st)
		sc(t, HELIOS_SYS_CAP_DESTROY, buf.r0, 0, 0, 0, 0);
}

static void deliberate(struct thr *t)
{
	t->rec->deliberate++;
	switch (rnd(t) % 26) {
	case 0: case 1: case 2: d_send(t, HELIOS_SYS_SEND); break;
	case 3: case 4: case 5: d_send(t, HELIOS_SYS_CALL); break;
	case 6: case 7: case 8: case 9: d_recv(t, HELIOS_SYS_RECV); break;
	case 10: case 11: d_recv(t, HELIOS_SYS_REPLY_RECV); break;
	case 12: case 13: d_wait(t); break;
	case 14: case 15: d_poll(t); break;
	case 16: case 17: sc(t, HELIOS_SYS_SIGNAL, pick_note(t), 1ull << (rnd(t) % 64), 0, 0, 0); break;
	case 18: case 19: case 20: sc(t, HELIOS_SYS_MEM_REVOKE, pick_mem(t), 0, 0, 0, 0); break;
	case 21: d_answer_saved(t); break;
	case 22: case 23: d_build(t); break;
	case 24: d_quota(t); break;
	default: d_fork(t); break;
	}
}

#define ROLE_WATCHDOG (1ull << 40)
static NORETURN void watchdog(void);

/* A thread: role = its area << 16 | its record (MAXREC: none); or the
 * root's watchdog. */
void child_main(u64 role, u64 seed)
{
	if (role == ROLE_WATCHDOG)
		watchdog();
	struct shared *sh = (struct shared *)U_SHARED;
	unsigned r = role & 0xffff;
	struct thr t = {
		.rng = seed * 0x9e3779b97f4a7c15ull | 1,
		.rec = r < MAXREC ? &sh->rec[r] : &spare_rec,
		.area = (unsigned)(role >> 16) % NAREA,
		.saved = NONE,
		.chain = NONE,
		.kept = { NONE, NONE, NONE, NONE },
	};
	t.buf = AREA_BUF(t.area);
	static const unsigned tempers[] = { 10, 50, 150, 300 };
	t.temper = tempers[rnd(&t) % ARRAY_LEN(tempers)];
	if (has_buf(&t))
		for (int i = 0; i < HELIOS_MAX_WORDS; i++)
			t.buf->word[i] = junk_word(&t);
	for (;;) {
		if (rnd(&t) % 1000 < t.temper)
			deliberate(&t);
		else
			random_call(&t);
	}
}

/* ---- The root ---- */

enum { QR, QA, QB, QC, QD, QE, NQ };
static const int q_parent[NQ] = { -1, QR, QA, QB, QR, QD };
static const u64 q_pages[NQ] = { 1100, 400, 200, 80, 220, 80 };
static const char q_name[] = "RABCDE";

/* Was quota q made from quota top (or is it top)? */
static bool under(int q, int top)
{
	for (; q >= 0; q = q_parent[q])
		if (q == top)
			return true;
	return false;
}

/* Could the processes have revoked it themselves (they hold C and E)? */
static bool theirs(int q)
{
	return under(q, QC) || under(q, QE);
}

/* Kinds of wait, as the root sees a blocked thread's record. */
enum { K_SEND, K_CALL, K_REPLY, K_RECV, K_WAIT, K_POLL, K_REVOKE, K_OTHER, NKIND };
static const char *const kind_name[NKIND] = { "send", "call", "reply", "recv", "wait", "poll", "revoke", "other" };

static int kind_of(const struct rec *r)
{
	switch (r->nr) {
	case HELIOS_SYS_SEND: return K_SEND;
	case HELIOS_SYS_CALL: return r->taken == r->calls + 1 ? K_REPLY : K_CALL;
	case HELIOS_SYS_RECV: case HELIOS_SYS_REPLY_RECV: return K_RECV;
	case HELIOS_SYS_WAIT: return K_WAIT;
	case HELIOS_SYS_POLL: return K_POLL;
	case HELIOS_SYS_MEM_REVOKE: return K_REVOKE;
	default: return K_OTHER;
	}
}

/* A capability the root holds this round, and the quota its object was
 * made from. */
struct held {
	u32 slot;               /* NONE once it went */
	int q;
};

struct rthread {
	u32 task;               /* the root's capability; its record is its index */
	unsigned proc, area;
	int q_task, q_stack, q_buf;
	bool gone;              /* its task went with a revoke */
	bool buf_taken;         /* a revoke of the root's took its IPC buffer */
	u64 seen;               /* its calls before the root's last yield */
};

struct round {
	u32 q[NQ];              /* NONE once it went with its parent's revoke */
	u32 obj[C_HANDED];      /* the root's copies of what the processes get */
	int obj_q[C_HANDED];    /* the quotas they are made from */
	struct held held[60];
	unsigned nheld;
	u32 fresh;              /* the next slot for hold() */
	struct child proc[2];
	unsigned nproc, nroot[2];       /* the root's threads in each */
	struct rthread th[RREC];
	unsigned nth;
	char line[80];          /* what happened, for the log */
	unsigned len;
};

/* Counts for the summary. */
static struct {
	u64 calls, deliberate, threads, own, procs, rounds, partial, joins, quiet, behind, efault;
	u64 exited, faulted, killed, running, revoked_tasks, self_revoked;
	u64 blocked[NKIND], buf_hit[NKIND], task_hit[NKIND];
} tally;

static u64 rng, seed;

/* What the root is doing, for the watchdog. */
static volatile u64 progress, doing_round;
static const char *volatile doing = "starting";
static char doing_quota;

static void step(const char *what)
{
	doing = what;
	progress++;
}

static u64 root_rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static u32 make(u32 mem, u64 type, u64 pages)
{
	struct sysret r = h_alloc(mem, type, NONE, pages);
	CHECK_EQ(r.st, 0);
	return (u32)r.r0;
}

/* What the root holds this round it keeps in slots it uses once (from
 * the top down), so that a slot emptied behind its back (the processes
 * revoke C and E too) never holds anything else when it looks. */
static u32 hold(struct round *rd, u32 slot, int q)
{
	u32 to = rd->fresh--;
	CHECK(rd->nheld < ARRAY_LEN(rd->held) && to > HELIOS_CSPACE_SLOTS / 2);
	i64 st = h_move(slot, to, NONE).st;
	if (st == HELIOS_EBADCAP && theirs(q))
		return NONE;            /* the processes revoked C or E already */
	CHECK_EQ(st, 0);
	if (rd->nheld < ARRAY_LEN(rd->held))
		rd->held[rd->nheld++] = (struct held){ to, q };
	return to;
}

static u64 used(u32 mem)
{
	return h_info(mem).r2;
}

static u64 clock(void)
{
	return S(CLOCK, 0, 0, 0, 0, 0).r0;
}

/* Lost ticks: the clock must count what rdtsc, guest time under -icount,
 * says passed, but for a small slack (rdtsc read a little after the tick;
 * ticks per rdtsc measured).  A kernel that keeps interrupts off across
 * two ticks loses one.  Checked whenever the root has let the threads
 * run and after every revoke (the first shortfall is reported with its
 * round), and at the end; returns the ticks lost. */
static u64 per_tick, tsc0, tick0, clock_slack;
static bool icount, clock_failed;

static u64 lost_ticks(void)
{
	u64 expect = (rdtsc() - tsc0) / per_tick, got = clock() - tick0;
	u64 lost = expect > got ? expect - got : 0;
	clock_slack = 2 + expect / 500;
	if (lost > clock_slack && !clock_failed) {
		clock_failed = true;
		uprintf("\n%sstorm: round %lu: the clock counted %lu ticks where rdtsc says %lu passed: %lu lost\n",
		        icount ? "FAIL: " : "", doing_round, got, expect, lost);
		if (icount)
			CHECK(lost <= clock_slack);
	}
	return lost;
}

static void note(struct round *rd, const char *fmt, unsigned long v)
{
	if (rd->len < sizeof(rd->line))
		rd->len += (unsigned)ksnprintf(rd->line + rd->len, sizeof(rd->line) - rd->len, fmt, v);
}

/* One of the quotas of the round that are still there, as weighted. */
static int pick_q(const struct round *rd, const int *qs, unsigned n)
{
	int q = qs[root_rnd() % n];
	while (rd->q[q] == NONE)
		q = q_parent[q];
	return q;
}

/* What the processes get in slots C_EP ... C_PAGE, made (again, if a
 * revoke took it) from its quota while that is there. */
static void make_handed(struct round *rd)
{
	static const u64 type[C_IOPORT] = {
		[C_EP] = HELIOS_CAP_ENDPOINT, [C_NOTE] = HELIOS_CAP_NOTIFICATION,
		[C_EP2] = HELIOS_CAP_ENDPOINT, [C_NOTE2] = HELIOS_CAP_NOTIFICATION, [C_PAGE] = HELIOS_CAP_PAGE,
	};
	rd->obj[C_MEM] = rd->q[QC];
	rd->obj[C_MEM2] = rd->q[QE];
	for (unsigned i = 0; i < C_IOPORT; i++) {
		if (!type[i] || rd->obj[i] != NONE || rd->q[rd->obj_q[i]] == NONE)
			continue;
		struct sysret r = h_alloc(rd->q[rd->obj_q[i]], type[i], NONE, 0);
		if (!r.st)              /* (ENOMEM: the processes filled C or E) */
			rd->obj[i] = hold(rd, (u32)r.r0, rd->obj_q[i]);
	}
}

/* ... copied into the process's slots that are empty. */
static void hand_out(struct round *rd, struct child *p)
{
	make_handed(rd);
	for (unsigned i = 0; i < C_IOPORT; i++)
		if (rd->obj[i] != NONE)
			h_copy(rd->obj[i], i, p->cspace);       /* EBUSY where the slot is taken */
}

/* TASK_START of the root's thread j; then, and only then (its process
 * could configure it else), its process gets a capability to it. */
static void start(struct round *rd, unsigned j)
{
	struct rthread *th = &rd->th[j];
	i64 st = th->task == NONE ? HELIOS_EBADCAP : S(TASK_START, th->task, 0, 0, 0, 0).st;
	if (st == HELIOS_EBADCAP && theirs(th->q_task)) {
		th->gone = true;        /* a thread already running revoked C or E */
		tally.self_revoked++;
		return;
	}
	CHECK_EQ(st, 0);
	h_copy(th->task, C_TASK + th->area, rd->proc[th->proc].cspace);    /* EBUSY if taken */
}

/* A thread of the root's in process k, its task, stack and IPC buffer
 * from quotas picked at random (or, if those are full, from R), not
 * started; false if the process has no room for it. */
static bool add_thread(struct round *rd, unsigned k, struct shared *sh)
{
	static const int task_q[] = { QR, QR, QR, QA, QB, QB, QE };
	static const int stack_q[] = { QR, QR, QR, QR, QR, QR, QR, QR, QA, QE };
	static const int buf_q[] = { QR, QA, QB, QB, QC, QC, QD, QE, QE };
	struct child *p = &rd->proc[k];
	for (int tries = 0; tries < 3; tries++) {
		if (rd->nroot[k] >= NTHR_MAX || rd->nth >= RREC)
			return false;
		unsigned i = rd->nroot[k]++, j = rd->nth;
		struct rthread *th = &rd->th[j];
		*th = (struct rthread){ .proc = k, .area = i,
		                        .q_task = pick_q(rd, task_q, ARRAY_LEN(task_q)),
		                        .q_stack = pick_q(rd, stack_q, ARRAY_LEN(stack_q)),
		                        .q_buf = pick_q(rd, buf_q, ARRAY_LEN(buf_q)) };
		if (tries)
			th->q_task = th->q_stack = th->q_buf = QR;
		sh->rec[j] = (struct rec){ 0 };
		for (u64 va = AREA(i); va < AREA(i) + 0x10000; va += 0x1000)
			h_unmap(p->vspace, va);         /* what the process mapped there */
		struct thread_spec spec = {
			.task_mem = rd->q[th->q_task], .stack_mem = rd->q[th->q_stack], .buf_mem = rd->q[th->q_buf],
			.stack_top = AREA(i) + 0x2000, .stack_pages = 2, .buf_va = (u64)AREA_BUF(i),
			.role = (u64)i << 16 | j, .arg = root_rnd(), .unstarted = true,
		};
		if (thread_start(p, &spec, &th->task))
			continue;       /* a quota was full (or a thread mapped something there
			                 * again): from R, in the next area */
		rd->nth++;
		th->task = hold(rd, th->task, th->q_task);
		tally.threads++;
		return true;
	}
	CHECK(false);           /* not even from R */
	return false;
}

static void build_proc(struct round *rd, u32 shared_pg, struct shared *sh, unsigned n)
{
	unsigned k = rd->nproc++;
	struct child *p = &rd->proc[k];
	CHECK_EQ(proc_make(rd->obj, C_HANDED, SPAWN_SELF | SPAWN_SHARED_PAGE, shared_pg, p), 0);
	p->cspace = hold(rd, p->cspace, QR);
	p->vspace = hold(rd, p->vspace, QR);
	for (unsigned i = 0; i < n; i++)
		add_thread(rd, k, sh);
	tally.procs++;
}

static u64 round_calls(const struct round *rd, const struct shared *sh)
{
	u64 n = 0;
	for (u32 j = 0; j < rd->nth; j++)
		n += sh->rec[j].calls;
	for (u32 j = RREC; j < RREC + sh->nown && j < MAXREC; j++)
		n += sh->rec[j].calls;
	return n;
}

/* Let the threads run until they have made budget calls, or are all
 * blocked or dead (nothing moved for three yields), or one is waiting in a
 * revocation of its own (then the root's own revoke queues behind it).
 * Blocked the first time, they get a kick: a signal on their notification. */
enum { RUN_BUDGET, RUN_QUIET, RUN_REVOKING };

static int run(struct round *rd, struct shared *sh, u64 budget)
{
	u64 start = round_calls(rd, sh), last = start;
	for (int still = 0, kicks = 0;;) {
		for (unsigned j = 0; j < rd->nth; j++)
			rd->th[j].seen = sh->rec[j].calls;
		step("running the threads");
		S(YIELD, 0, 0, 0, 0, 0);
		lost_ticks();
		for (unsigned j = 0; j < rd->nth; j++) {
			const struct rec *r = &sh->rec[j];
			if (r->in && r->nr == HELIOS_SYS_MEM_REVOKE && r->calls == rd->th[j].seen && !rd->th[j].gone &&
			    h_status(rd->th[j].task).r0 == HELIOS_TASK_RUNNING)
				return RUN_REVOKING;
		}
		u64 now = round_calls(rd, sh);
		if (now - start >= budget)
			return RUN_BUDGET;
		still = now == last ? still + 1 : 0;
		if (still >= 3 && kicks++ < KICKS && rd->obj[C_NOTE] != NONE) {
			h_signal(rd->obj[C_NOTE], root_rnd() | 1);
			still = 0;
		}
		if (still >= 3)
			return RUN_QUIET;
		last = now;
	}
}

/* Revoke quota q of the round while its threads live: first count what
 * the blocked ones wait in, and what the revoke takes from them; then
 * check that it took what was made from q, and only that. */
static void revoke(struct round *rd, struct shared *sh, int q)
{
	for (unsigned j = 0; j < rd->nth; j++) {
		struct rthread *th = &rd->th[j];
		const struct rec *r = &sh->rec[j];
		if (under(th->q_buf, q))
			sh->rec[j].nobuf = 1;   /* from now on it leaves its buffer alone */
		if (th->gone || !r->in || r->calls != th->seen || h_status(th->task).r0 != HELIOS_TASK_RUNNING)
			continue;
		int k = kind_of(r);
		tally.blocked[k]++;
		if (under(th->q_task, q))
			tally.task_hit[k]++;
		else if (under(th->q_buf, q))
			tally.buf_hit[k]++;
	}
	step("in MEM_REVOKE of quota");
	doing_quota = q_name[q];
	CHECK_EQ(S(MEM_REVOKE, rd->q[q], 0, 0, 0, 0).st, 0);
	doing_quota = 0;
	step("checking after the revoke of a quota");
	lost_ticks();
	/* Only the root can allocate from R, A, B and D: they are empty now. */
	if (!theirs(q))
		CHECK_EQ(used(rd->q[q]), 0);
	for (int i = 0; i < NQ; i++)
		if (i != q && under(i, q))
			rd->q[i] = NONE;
	for (unsigned i = 0; i < C_IOPORT; i++)
		if (under(rd->obj_q[i], q))
			rd->obj[i] = NONE;
	/* Every capability the root held to what was made from q is gone;
	 * every other one is still there (but what the processes could have
	 * revoked themselves). */
	for (unsigned i = 0; i < rd->nheld; i++) {
		struct held *h = &rd->held[i];
		if (h->slot == NONE)
			continue;
		i64 info = h_info(h->slot).st;
		if (under(h->q, q)) {
			CHECK_EQ(info, HELIOS_EBADCAP);
			h->slot = NONE;
		} else if (theirs(h->q) && info == HELIOS_EBADCAP) {
			h->slot = NONE;
		} else {
			CHECK_EQ(info, 0);
		}
	}
	for (unsigned j = 0; j < rd->nth; j++) {
		struct rthread *th = &rd->th[j];
		if (!th->gone && under(th->q_task, q)) {
			th->gone = true;
			tally.revoked_tasks += q != QR;
		}
		th->buf_taken |= under(th->q_buf, q);
		/* EFAULT comes only from an IPC buffer taken away. */
		if (sh->rec[j].efault && !theirs(th->q_buf))
			CHECK(th->buf_taken);
	}
}

/* How the root's threads ended, and the round's calls. */
static void count_round(struct round *rd, struct shared *sh)
{
	for (unsigned j = 0; j < rd->nth; j++) {
		struct rthread *th = &rd->th[j];
		if (th->gone)
			continue;
		struct sysret s = h_status(th->task);
		switch (s.st ? HELIOS_TASK_KILLED + 1 : s.r0) {
		case HELIOS_TASK_EXITED: tally.exited++; break;
		case HELIOS_TASK_FAULTED: tally.faulted++; break;
		case HELIOS_TASK_KILLED: tally.killed++; break;
		case HELIOS_TASK_RUNNING: tally.running++; break;
		default: tally.self_revoked++; break;      /* its process revoked E */
		}
	}
	u32 nown = MIN(sh->nown, (u32)(MAXREC - RREC));
	for (u32 j = 0; j < MAXREC; j++) {
		if (j >= rd->nth && (j < RREC || j >= RREC + nown))
			continue;
		tally.calls += sh->rec[j].calls;
		tally.deliberate += sh->rec[j].deliberate;
		tally.efault += sh->rec[j].efault;
	}
	tally.own += sh->nown;
}

/* A round: the quotas, one or two processes, then phases of running, each
 * ended by a move of the root's (a partial revoke, or another thread),
 * and the revoke of the lot. */
static void one_round(u64 n, u32 shared_pg, struct shared *sh)
{
	struct round rd = { .fresh = HELIOS_CSPACE_SLOTS - 1 };
	doing_round = n;
	step("making the processes");
	rd.q[QR] = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_MEMORY, q_pages[QR]);
	for (int i = QA; i < NQ; i++)
		rd.q[i] = hold(&rd, make(rd.q[q_parent[i]], HELIOS_CAP_MEMORY, q_pages[i]), q_parent[i]);
	spawn_memory = rd.q[QR];
	static const int obj_q[C_HANDED] = {
		[C_EP] = QR, [C_NOTE] = QR, [C_EP2] = QB, [C_NOTE2] = QC, [C_MEM] = QB, [C_MEM2] = QD,
		[C_PAGE] = QE, [C_IOPORT] = QR, [C_IRQ] = QR,
	};
	memcpy(rd.obj_q, obj_q, sizeof(obj_q));
	for (unsigned i = 0; i < C_HANDED; i++)
		rd.obj[i] = NONE;
	make_handed(&rd);
	/* (a4: the quota they will be made from once they are objects) */
	rd.obj[C_IOPORT] = (u32)S(CAP_NARROW, HELIOS_ROOT_IOPORT, NONE, 0x80, 0x81, rd.q[QR]).r0;
	rd.obj[C_IRQ] = (u32)S(CAP_NARROW, HELIOS_ROOT_IRQ, NONE, 5, 6, rd.q[QR]).r0;
	memset((void *)sh, 0, sizeof(*sh));
	unsigned nproc = 1 + root_rnd() % 2;
	for (unsigned k = 0; k < nproc; k++)
		build_proc(&rd, shared_pg, sh, 2 + root_rnd() % 3);
	h_destroy(rd.obj[C_IOPORT]);
	h_destroy(rd.obj[C_IRQ]);
	rd.obj[C_IOPORT] = rd.obj[C_IRQ] = NONE;
	for (unsigned j = 0; j < rd.nth; j++)
		start(&rd, j);

	unsigned phases = 6 + root_rnd() % 9, partial = 0;
	for (unsigned ph = 0; ph < phases; ph++) {
		int how = run(&rd, sh, PHASE_CALLS);
		tally.quiet += how == RUN_QUIET;
		tally.behind += how == RUN_REVOKING;
		int q = QA + (int)(root_rnd() % (NQ - 1));
		while (rd.q[q] == NONE)
			q = q_parent[q];
		if (q != QR && (how == RUN_REVOKING || root_rnd() % 2 || (ph == phases - 1 && !partial))) {
			revoke(&rd, sh, q);
			note(&rd, " -%c", (unsigned long)q_name[q]);
			partial++;
			continue;
		}
		unsigned k = (unsigned)(root_rnd() % rd.nproc);
		step("adding a thread");
		if (add_thread(&rd, k, sh)) {
			hand_out(&rd, &rd.proc[k]);
			start(&rd, rd.nth - 1);
			note(&rd, " +%lu", k);
			tally.joins++;
		}
	}
	tally.partial += partial;
	count_round(&rd, sh);
	revoke(&rd, sh, QR);
	CHECK_EQ(h_destroy(rd.q[QR]), 0);
	spawn_memory = HELIOS_ROOT_MEMORY;
	uprintf("storm: round %lu: %u processes, %u+%u threads:%s -R; %lu calls so far\n", n, rd.nproc, rd.nth,
	        MIN(sh->nown, (u32)(MAXREC - RREC)), rd.line, tally.calls);
}

/* What rdtsc counts in a tick of the kernel's clock: from one tick to
 * another a few later, idle between. */
static u64 tsc_per_tick(void)
{
	u32 n = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_NOTIFICATION, 0);
	CHECK_EQ(S(TIMER, n, 1, clock() + 1, 0, 0).st, 0);
	h_wait(n);
	u64 c0 = clock(), t0 = rdtsc();
	CHECK_EQ(S(TIMER, n, 1, c0 + 16, 0, 0).st, 0);
	h_wait(n);
	u64 c1 = clock(), t1 = rdtsc();
	h_destroy(n);
	CHECK(c1 > c0);
	return c1 > c0 ? (t1 - t0) / (c1 - c0) : 1;
}

/* The kernel still works: a thread of the root's answers a call, a timer
 * fires. */
static void echo_thread(u64 ep, u64 unused)
{
	(void)unused;
	struct umsg m = { 0 };
	ipc(HELIOS_SYS_RECV, ep, &m);
	m.label = 0;
	m.w[0]++;
	ipc(HELIOS_SYS_REPLY, 0, &m);
	h_exit(0);
}

static void still_works(void)
{
	u32 ep = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_ENDPOINT, 0);
	u32 task = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_TASK, 0);
	u32 stack = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_PAGE, 0);
	u32 buf = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_PAGE, 0);
	CHECK_EQ(h_map(HELIOS_ROOT_VSPACE, AREA(0), stack, HELIOS_MAP_W, HELIOS_ROOT_MEMORY), 0);
	CHECK_EQ(S(TASK_CONFIG, task, HELIOS_ROOT_CSPACE, HELIOS_ROOT_VSPACE, buf, 0).st, 0);
	CHECK_EQ(S(TASK_REGS, task, (u64)(uptr)echo_thread, AREA(0) + 0x1000 - 8, ep, 0).st, 0);
	CHECK_EQ(S(TASK_START, task, 0, 0, 0, 0).st, 0);
	struct umsg m = { .label = 1, .info = HELIOS_INFO(1, 0), .w = { 41 } };
	CHECK_EQ(ipc(HELIOS_SYS_CALL, ep, &m), 0);
	CHECK_EQ(m.w[0], 42);
	u32 n = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_NOTIFICATION, 0);
	CHECK_EQ(S(TIMER, n, 5, clock() + 2, 0, 0).st, 0);
	CHECK_EQ(h_wait(n).r0, 5);
	h_destroy(n);
	h_destroy(task);
	h_unmap(HELIOS_ROOT_VSPACE, AREA(0));
	h_destroy(stack);
	h_destroy(buf);
	h_destroy(ep);
}

/* The watchdog: a thread of the root's that ends the test with a failure
 * when the root has made no progress for WATCHDOG_TICKS (a revocation
 * that never ends, a system call that never returns), saying what it was
 * doing, rather than leave it to the harness's timeout. */
#define WD_AREA 0x58000000ull
static u32 wd_note;

static NORETURN void watchdog(void)
{
	u64 last = progress, idle = 0;
	for (;;) {
		S(TIMER, wd_note, 1, clock() + 10, 0, 0);
		h_wait(wd_note);
		if (progress != last) {
			last = progress;
			idle = 0;
			continue;
		}
		if ((idle += 10) < WATCHDOG_TICKS)
			continue;
		uprintf_buf = (struct helios_ipc_buffer *)(WD_AREA + 0x8000);
		uprintf("\nFAIL: storm: the root has been %s%s%c in round %lu for %lu ticks\n", doing,
		        doing_quota ? " " : "", doing_quota, doing_round, idle);
		ktest_check(false, "the root goes on", __LINE__);
		uprintf("storm: FAILED with seed %lu: replay with make check-kernel-storm STORM_SEED=%lu\n", seed, seed);
		ktest_finish();
	}
}

static void watchdog_start(void)
{
	wd_note = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_NOTIFICATION, 0);
	u32 task;
	CHECK_EQ(root_thread(WD_AREA, ROLE_WATCHDOG, 0, &task), 0);
}

/* "word=N" on the kernel command line, or dflt; *found says whether. */
static u64 cmdline_num(const char *word, u64 dflt, bool *found)
{
	usize n = strlen(word);
	*found = false;
	for (const char *p = bootinfo->cmdline; *p; p++) {
		if (!strncmp(p, word, n) && (p == bootinfo->cmdline || p[-1] == ' ')) {
			u64 v = 0;
			for (p += n; *p >= '0' && *p <= '9'; p++)
				v = v * 10 + (u64)(*p - '0');
			*found = true;
			return v;
		}
	}
	return dflt;
}

void test_main(void)
{
	bool given;
	seed = cmdline_num("storm-seed=", 1, &given);
	uprintf("storm: seed %lu%s\n", seed, given ? "" : " (no storm-seed= on the command line)");
	rng = seed * 0x9e3779b97f4a7c15ull | 1;
	const char *p = bootinfo->cmdline;
	icount = false;
	for (; *p; p++)
		if (!strncmp(p, "storm-clock=icount", 18))
			icount = true;

	per_tick = tsc_per_tick();
	uprintf("storm: %lu rdtsc a tick (%s)\n", per_tick,
	        icount ? "-icount: guest time; a lost tick fails the test" : "not under -icount: lost ticks only reported");
	watchdog_start();
	tsc0 = rdtsc();
	tick0 = clock();

	u32 shared_pg = make(HELIOS_ROOT_MEMORY, HELIOS_CAP_PAGE, 0);
	CHECK_EQ(h_map(HELIOS_ROOT_VSPACE, U_SHARED, shared_pg, HELIOS_MAP_W, HELIOS_ROOT_MEMORY), 0);
	struct shared *sh = (struct shared *)U_SHARED;
	u64 base = 0;
	for (u64 n = 0; tally.calls < TOTAL && n < MAX_ROUNDS; n++) {
		one_round(n, shared_pg, sh);
		tally.rounds++;
		if (n == 0)
			base = used(HELIOS_ROOT_MEMORY);        /* after the scratch window's tables */
		else
			CHECK_EQ(used(HELIOS_ROOT_MEMORY), base);
	}
	step("checking at the end");

	uprintf("\nstorm: %lu system calls (%lu deliberate) by %lu threads (%lu of them the processes' own) "
	        "of %lu processes in %lu rounds\n",
	        tally.calls, tally.deliberate, tally.threads + tally.own, tally.own, tally.procs, tally.rounds);
	uprintf("storm: the root's threads: %lu exited, %lu faulted, %lu killed (task capability destroyed), "
	        "%lu taken by a partial revoke, %lu by their process's own, %lu alive at the last revoke\n",
	        tally.exited, tally.faulted, tally.killed, tally.revoked_tasks, tally.self_revoked, tally.running);
	uprintf("storm: %lu partial revokes (%lu while a thread waited in a revoke of its own), %lu threads added "
	        "to running processes; the root moved %lu times with the threads all blocked; %lu EFAULT wake-ups\n",
	        tally.partial, tally.behind, tally.joins, tally.quiet, tally.efault);
	uprintf("storm: blocked threads at a revoke, by wait: blocked / buffer taken / killed\n");
	for (int k = 0; k < NKIND; k++)
		uprintf("storm:   %s %lu / %lu / %lu\n", kind_name[k], tally.blocked[k], tally.buf_hit[k], tally.task_hit[k]);
	CHECK(tally.calls >= TOTAL);
	CHECK(tally.efault > 0);
	/* The revokes hit threads blocked in every kind of wait. */
	for (int k = K_SEND; k <= K_REVOKE; k++)
		CHECK(tally.blocked[k] > 0);
	for (int k = K_SEND; k <= K_POLL; k++)
		CHECK(tally.buf_hit[k] + tally.task_hit[k] > 0);

	u64 used_end = used(HELIOS_ROOT_MEMORY);
	uprintf("storm: root quota used %lu after the first round, %lu after the last\n", base, used_end);
	CHECK_EQ(used_end, base);
	still_works();

	u64 lost = lost_ticks();
	uprintf("storm: clock %lu ticks in %lu rdtsc, %lu expected: %lu lost (%lu allowed)\n", clock() - tick0,
	        rdtsc() - tsc0, (rdtsc() - tsc0) / per_tick, lost, clock_slack);
	if (ktest_failures)
		uprintf("storm: FAILED with seed %lu: replay with make check-kernel-storm STORM_SEED=%lu\n", seed, seed);
}
