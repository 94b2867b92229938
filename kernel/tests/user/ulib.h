/*
 * ulib.h: the little runtime of the kernel's test and benchmark tasks:
 * system call wrappers (the register convention of abi/helios.h), printing
 * to the kernel log, a check macro, and spawn() to start a task from the
 * boot image in a fresh address space.  The real runtime port
 * (runtime/port/helios) is a separate, later piece of work.
 */
#ifndef KTEST_ULIB_H
#define KTEST_ULIB_H

#include "kern/lib.h"
#include "abi/helios.h"

/* Where every task's IPC buffer is mapped (the root's by the kernel). */
#define U_IPCBUF ((struct helios_ipc_buffer *)0x7ff000100000ull)
#define U_STACK_TOP 0x7ff000000000ull
#define U_SCRATCH 0x7e0000000000ull     /* the root's window for filling pages */

struct sysret {
	i64 st;
	u64 r0, r1, r2, r3;
};

static inline struct sysret sys(u64 nr, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4)
{
	register u64 r10 __asm__("r10") = a3;
	register u64 r8 __asm__("r8") = a4;
	u64 rax = nr, rdi = a0, rsi = a1, rdx = a2;
	__asm__ volatile("syscall"
	                 : "+a"(rax), "+D"(rdi), "+S"(rsi), "+d"(rdx), "+r"(r10), "+r"(r8)
	                 :
	                 : "rcx", "r11", "r9", "memory");
	return (struct sysret){ (i64)rax, rsi, rdx, r10, r8 };
}

/* A message as the registers carry it. */
struct umsg {
	u64 label, info;
	u64 w[HELIOS_REG_WORDS];
};

static inline i64 ipc(u64 nr, u64 cap, struct umsg *m)
{
	register u64 r10 __asm__("r10") = m->w[0];
	register u64 r8 __asm__("r8") = m->w[1];
	register u64 r9 __asm__("r9") = m->w[2];
	register u64 r12 __asm__("r12") = m->w[3];
	register u64 r13 __asm__("r13") = m->w[4];
	register u64 r14 __asm__("r14") = m->w[5];
	u64 rax = nr, rdi = cap, rsi = m->label, rdx = m->info;
	__asm__ volatile("syscall"
	                 : "+a"(rax), "+D"(rdi), "+S"(rsi), "+d"(rdx), "+r"(r10), "+r"(r8),
	                   "+r"(r9), "+r"(r12), "+r"(r13), "+r"(r14)
	                 :
	                 : "rcx", "r11", "memory");
	m->label = rsi;
	m->info = rdx;
	m->w[0] = r10;
	m->w[1] = r8;
	m->w[2] = r9;
	m->w[3] = r12;
	m->w[4] = r13;
	m->w[5] = r14;
	return (i64)rax;
}

/* RECV that waits: its a1 (the label register) holds the flags, none here. */
static inline i64 h_recv(u64 ep, struct umsg *m)
{
	m->label = 0;
	return ipc(HELIOS_SYS_RECV, ep, m);
}

#define NONE HELIOS_CAP_NONE
#define S(name, ...) sys(HELIOS_SYS_##name, __VA_ARGS__)
static inline i64 h_null(void) { return sys(HELIOS_SYS_NULL, 0, 0, 0, 0, 0).st; }
static inline struct sysret h_alloc(u32 mem, u64 type, u32 dest, u64 pages) { return S(MEM_ALLOC, mem, type, dest, pages, 0); }
static inline i64 h_destroy(u32 slot) { return S(CAP_DESTROY, slot, 0, 0, 0, 0).st; }
static inline struct sysret h_copy(u32 src, u32 dest, u32 cspace) { return S(CAP_COPY, src, dest, cspace, 0, 0); }
static inline struct sysret h_move(u32 src, u32 dest, u32 cspace) { return S(CAP_MOVE, src, dest, cspace, 0, 0); }
/* Ports and IRQ lines narrowed into a new range paid for by spawn_memory
 * (h_narrow_from: by mem); page rights. */
extern u32 spawn_memory;
static inline struct sysret h_narrow_from(u32 src, u32 dest, u64 lo, u64 hi, u32 mem) { return S(CAP_NARROW, src, dest, lo, hi, mem); }
static inline struct sysret h_narrow(u32 src, u32 dest, u64 lo, u64 hi) { return h_narrow_from(src, dest, lo, hi, spawn_memory); }
static inline struct sysret h_info(u32 slot) { return S(CAP_INFO, slot, NONE, 0, 0, 0); }
static inline i64 h_map(u32 vs, u64 va, u32 page, u64 flags, u32 mem) { return S(MAP, vs, va, page, flags, mem).st; }
static inline i64 h_unmap(u32 vs, u64 va) { return S(UNMAP, vs, va, 0, 0, 0).st; }
static inline i64 h_signal(u32 n, u64 bits) { return S(SIGNAL, n, bits, 0, 0, 0).st; }
static inline struct sysret h_wait(u32 n) { return S(WAIT, n, 0, 0, 0, 0); }
static inline struct sysret h_status(u32 task) { return S(TASK_STATUS, task, 0, 0, 0, 0); }
static inline struct sysret h_io_in(u32 io, u64 port, u64 width) { return S(IO_IN, io, port, width, 0, 0); }
static inline i64 h_io_out(u32 io, u64 port, u64 width, u64 v) { return S(IO_OUT, io, port, width, v, 0).st; }
static inline NORETURN void h_exit(i64 code)
{
	sys(HELIOS_SYS_EXIT, (u64)code, 0, 0, 0, 0);
	__builtin_unreachable();
}

/* rdtsc: under -icount shift=0, the guest instructions executed so far. */
static inline u64 rdtsc(void)
{
	u32 lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (u64)hi << 32 | lo;
}

/* ulib.c: uprintf writes through log capability u_log, HELIOS_ROOT_LOG:
 * the root's and its threads'; in a child's own cspace that slot holds no
 * log unless the child was given one there (or sets u_log). */
void uprintf(const char *fmt, ...) PRINTF(1, 2);
extern u32 u_log;
/* The IPC buffer uprintf writes through: U_IPCBUF, the root's.  Another
 * thread of the root's, with a buffer of its own, prints by pointing this
 * at its own while the root does not print. */
extern struct helios_ipc_buffer *uprintf_buf;
extern const struct helios_bootinfo *bootinfo;

/* Checks: a failure is printed; ktest_finish reports and ends the test. */
extern const char *ktest_name;
extern int ktest_checks, ktest_failures;
void ktest_check(bool ok, const char *what, int line);
void ktest_check_eq(i64 got, i64 want, const char *what, int line);
NORETURN void ktest_finish(void);
#define CHECK(c) ktest_check((c), #c, __LINE__)
#define CHECK_EQ(got, want) ktest_check_eq((i64)(got), (i64)(want), #got " == " #want, __LINE__)

/* A task running this same image in its own vspace, entering
 * child_main(role, arg) with caps[i] of the caller copied to its slot i. */
struct child {
	u32 task, cspace, vspace;
	u64 entry;                      /* the image's entry point (crt0) */
};
int spawn(u64 role, u64 arg, const u32 *caps, unsigned ncaps, struct child *out);
/* spawn_memory: the quota spawn makes children from (HELIOS_ROOT_MEMORY) */

/* spawn_ex's flags: SPAWN_SHARE_CSPACE runs the child in the caller's own
 * cspace (caps ignored); SPAWN_SHARED_PAGE maps page cap `page` at U_SHARED
 * in the child too; SPAWN_SELF gives the child caps to its own cspace and
 * vspace, in the slots after caps[]. */
#define SPAWN_SHARE_CSPACE 1u
#define SPAWN_SHARED_PAGE 2u
#define SPAWN_SELF 4u
#define U_SHARED 0x7ff000300000ull
int spawn_ex(u64 role, u64 arg, const u32 *caps, unsigned ncaps, unsigned flags, u32 page,
             struct child *out);
void child_free(struct child *c);

/* spawn_ex in two halves, for tasks of several threads.  proc_make: the
 * cspace and vspace (from spawn_memory) with the image loaded, caps and
 * flags as spawn_ex's, and no thread (out->task is NONE).  thread_start:
 * a thread in c's cspace and vspace entering child_main(role, arg), its
 * task from task_mem, a stack of stack_pages pages from stack_mem ending at
 * stack_top, an IPC buffer page from buf_mem mapped at buf_va (page tables
 * from spawn_memory); *task is the caller's capability to it.  A thread
 * that fails to start takes its task and buffer capabilities with it (but
 * not what it mapped). */
struct thread_spec {
	u32 task_mem, stack_mem, buf_mem;
	u64 stack_top, stack_pages, buf_va;
	u64 role, arg;
	bool unstarted;                 /* leave the TASK_START to the caller */
};
int proc_make(const u32 *caps, unsigned ncaps, unsigned flags, u32 page, struct child *out);
int thread_start(const struct child *c, const struct thread_spec *s, u32 *task);

/* A thread of the root's (its cspace and vspace, everything from its
 * memory) entering child_main(role, arg), its stack the two pages below
 * area + 0x2000 and its IPC buffer at area + 0x8000. */
int root_thread(u64 area, u64 role, u64 arg, u32 *task);

/* MEM_REVOKE of mem by a thread of the root's, the root waiting at most
 * ticks ticks: the revocation's status, or 1 if it has not returned by
 * then (a revocation that never ends: the test can still report it). */
i64 revoke_within(u32 mem, u64 ticks);

/* Each test task defines these. */
void test_main(void);
void child_main(u64 role, u64 arg);

#endif
