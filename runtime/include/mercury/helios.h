/*
 * mercury/helios.h: the Mercury runtime on the bundled kernel (the helios
 * port, runtime/port/helios).  Programs that run on the kernel (sysinit,
 * drivers, usrinit) include this beside the generated stubs; it gives them
 * the system calls, the auxiliary vector (services by interface ID, the
 * manifest's `_` capabilities), an allocator over the memory capability,
 * mmap over the vspace capability, shared buffers for io::file calls, a
 * log, threads, and the few libc functions a freestanding program needs.
 *
 * Address space of a process the runtime starts (sysinit lays it out):
 *
 *   MERCURY_STACK_TOP    the main thread's stack grows down from here
 *   MERCURY_IPCBUF       the main thread's IPC buffer (one page)
 *   MERCURY_AUXV         the auxiliary vector (one page, read-only)
 *   MERCURY_HEAP         malloc's pages, mapped on demand
 *   MERCURY_MMAP         mercury_map's window
 *   MERCURY_THREADS      other threads: stack + IPC buffer, one slot each
 *
 * The root task (sysinit) starts with the kernel's bootinfo in rdi instead
 * of an auxiliary vector; crt0 tells them apart by their magic word.
 */
#ifndef MERCURY_HELIOS_H
#define MERCURY_HELIOS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mercury/ipc.h"
#include "abi/helios.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Layout (see above). */
#define MERCURY_STACK_TOP UINT64_C(0x00007ff000000000)
#define MERCURY_STACK_PAGES 8
#define MERCURY_IPCBUF UINT64_C(0x00007ff000100000)
#define MERCURY_AUXV UINT64_C(0x00007ff000200000)
#define MERCURY_HEAP UINT64_C(0x0000100000000000)
#define MERCURY_HEAP_MAX (UINT64_C(256) << 20)
#define MERCURY_MMAP UINT64_C(0x0000200000000000)
#define MERCURY_MMAP_PAGES 4096
#define MERCURY_THREADS UINT64_C(0x0000300000000000)
#define MERCURY_THREAD_SPAN (UINT64_C(1) << 20)     /* stack below, IPC buffer on top */
#define MERCURY_THREAD_STACK_PAGES 8     /* a struct ipc_msg is ~4 KiB: room for a few */
#define MERCURY_MAX_THREADS 16

/*
 * The auxiliary vector: a magic word, a count, and entries.  A service is
 * an endpoint found by its interface ID; a capability entry reports where
 * a manifest's `_` capability (cspace, vspace, memory, note, ...) landed.
 */
#define MERCURY_AUXV_MAGIC UINT64_C(0x7675617972637265)     /* "erc yauv" */
enum mercury_aux_type {
	MERCURY_AT_SERVICE = 1, /* a = interface ID, b = slot */
	MERCURY_AT_CAP = 2,     /* a = HELIOS_CAP_* type, b = slot */
	MERCURY_AT_NAME = 3,    /* a = 8 bytes of the process name (several entries) */
};
struct mercury_aux {
	uint64_t type, a, b;
};
#define MERCURY_AUX_MAX ((HELIOS_PAGE_SIZE - 16) / sizeof(struct mercury_aux))
struct mercury_auxv {
	uint64_t magic;
	uint64_t count;
	struct mercury_aux ent[MERCURY_AUX_MAX];
};
_Static_assert(sizeof(struct mercury_auxv) <= HELIOS_PAGE_SIZE, "the aux vector fits a page");

/* System calls: the register convention of abi/helios.h. */
struct hl_ret {
	int64_t st;
	uint64_t r0, r1, r2, r3;
};

static inline struct hl_ret hl_syscall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
                                       uint64_t a3, uint64_t a4)
{
	register uint64_t r10 __asm__("r10") = a3;
	register uint64_t r8 __asm__("r8") = a4;
	uint64_t rax = nr, rdi = a0, rsi = a1, rdx = a2;
	__asm__ volatile("syscall"
	                 : "+a"(rax), "+D"(rdi), "+S"(rsi), "+d"(rdx), "+r"(r10), "+r"(r8)
	                 :
	                 : "rcx", "r11", "r9", "memory");
	struct hl_ret r = { (int64_t)rax, rsi, rdx, r10, r8 };
	return r;
}

#define HL_(name, a0, a1, a2, a3, a4) hl_syscall(HELIOS_SYS_##name, (a0), (a1), (a2), (a3), (a4))
static inline int hl_cap_copy(ipc_cap src, ipc_cap dst, ipc_cap cspace, ipc_cap *out)
{
	struct hl_ret r = HL_(CAP_COPY, src, dst, cspace, 0, 0);
	if (out)
		*out = r.st ? IPC_CAP_NONE : (ipc_cap)r.r0;
	return (int)r.st;
}
static inline int hl_cap_move(ipc_cap src, ipc_cap dst, ipc_cap cspace, ipc_cap *out)
{
	struct hl_ret r = HL_(CAP_MOVE, src, dst, cspace, 0, 0);
	if (out)
		*out = r.st ? IPC_CAP_NONE : (ipc_cap)r.r0;
	return (int)r.st;
}
/* Ports, IRQ lines to [lo, hi), paid for by memory mem (abi/helios.h). */
static inline int hl_cap_narrow(ipc_cap src, ipc_cap dst, uint64_t lo, uint64_t hi, ipc_cap mem,
                                ipc_cap *out)
{
	struct hl_ret r = HL_(CAP_NARROW, src, dst, lo, hi, mem);
	if (out)
		*out = r.st ? IPC_CAP_NONE : (ipc_cap)r.r0;
	return (int)r.st;
}
/* A client's capability to endpoint ep: SEND alone, so that it can call the
 * server but neither receive its calls nor answer them. */
static inline int hl_ep_client(ipc_cap ep, ipc_cap *out)
{
	struct hl_ret r = HL_(CAP_NARROW, ep, IPC_CAP_NONE, HELIOS_EP_SEND, 0, 0);
	if (out)
		*out = r.st ? IPC_CAP_NONE : (ipc_cap)r.r0;
	return (int)r.st;
}
static inline int hl_cap_destroy(ipc_cap c) { return (int)HL_(CAP_DESTROY, c, 0, 0, 0, 0).st; }
static inline struct hl_ret hl_cap_info(ipc_cap c) { return HL_(CAP_INFO, c, IPC_CAP_NONE, 0, 0, 0); }
/* Slot c of another cspace (a capability to it). */
static inline struct hl_ret hl_cap_info_in(ipc_cap cspace, ipc_cap c) { return HL_(CAP_INFO, c, cspace, 0, 0, 0); }
static inline int hl_mem_alloc(ipc_cap mem, unsigned type, ipc_cap dst, uint64_t pages, ipc_cap *out)
{
	struct hl_ret r = HL_(MEM_ALLOC, mem, type, dst, pages, 0);
	if (out)
		*out = r.st ? IPC_CAP_NONE : (ipc_cap)r.r0;
	return (int)r.st;
}
static inline int hl_map(ipc_cap vs, uint64_t va, ipc_cap page, unsigned flags, ipc_cap mem)
{
	return (int)HL_(MAP, vs, va, page, flags, mem).st;
}
static inline int hl_unmap(ipc_cap vs, uint64_t va) { return (int)HL_(UNMAP, vs, va, 0, 0, 0).st; }
static inline int hl_task_config(ipc_cap t, ipc_cap cs, ipc_cap vs, ipc_cap ipcbuf)
{
	return (int)HL_(TASK_CONFIG, t, cs, vs, ipcbuf, 0).st;
}
static inline int hl_task_regs(ipc_cap t, uint64_t rip, uint64_t rsp, uint64_t rdi, uint64_t rsi)
{
	return (int)HL_(TASK_REGS, t, rip, rsp, rdi, rsi).st;
}
static inline int hl_task_start(ipc_cap t) { return (int)HL_(TASK_START, t, 0, 0, 0, 0).st; }
static inline int hl_task_notify(ipc_cap t, ipc_cap note, uint64_t bits)
{
	return (int)HL_(TASK_NOTIFY, t, note, bits, 0, 0).st;
}
static inline struct hl_ret hl_task_status(ipc_cap t) { return HL_(TASK_STATUS, t, 0, 0, 0, 0); }
static inline int hl_signal(ipc_cap n, uint64_t bits) { return (int)HL_(SIGNAL, n, bits, 0, 0, 0).st; }
static inline int hl_wait(ipc_cap n, uint64_t *bits)
{
	struct hl_ret r = HL_(WAIT, n, 0, 0, 0, 0);
	if (bits)
		*bits = r.st ? 0 : r.r0;
	return (int)r.st;
}
static inline void hl_yield(void) { HL_(YIELD, 0, 0, 0, 0, 0); }
static inline int hl_io_in(ipc_cap io, uint16_t port, unsigned width, uint32_t *v)
{
	struct hl_ret r = HL_(IO_IN, io, port, width, 0, 0);
	*v = r.st ? 0 : (uint32_t)r.r0;
	return (int)r.st;
}
static inline int hl_io_out(ipc_cap io, uint16_t port, unsigned width, uint32_t v)
{
	return (int)HL_(IO_OUT, io, port, width, v, 0).st;
}
static inline int hl_irq_bind(ipc_cap irq, unsigned line, ipc_cap note, uint64_t bits)
{
	return (int)HL_(IRQ_BIND, irq, line, note, bits, 0).st;
}
static inline int hl_irq_ack(ipc_cap irq, unsigned line) { return (int)HL_(IRQ_ACK, irq, line, 0, 0, 0).st; }
static inline uint64_t hl_rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}
_Noreturn void hl_exit(int64_t code);

/* Poll over n (<= HELIOS_MAX_POLL) entries; revents are written back.
 * Returns the number ready or a status < 0. */
int hl_poll(struct helios_pollcap *ents, unsigned n);
/* ipc_recv that does not wait: IPC_EAGAIN when nobody is sending (a server
 * that polls, then receives, is not stuck when the caller it saw died). */
int ipc_recv_poll(ipc_cap ep, struct ipc_msg *msg);
/* Revoke memory capability mem: everything made from it goes (it stays). */
static inline int hl_mem_revoke(ipc_cap mem) { return (int)HL_(MEM_REVOKE, mem, 0, 0, 0, 0).st; }
/* The kernel's clock: ticks since boot, and ticks per second. */
static inline uint64_t hl_clock(void) { return HL_(CLOCK, 0, 0, 0, 0, 0).r0; }
/* Signal notification n with bits at tick `at` (bits 0: cancel). */
static inline int hl_timer(ipc_cap n, uint64_t bits, uint64_t at) { return (int)HL_(TIMER, n, bits, at, 0, 0).st; }
/* Signal note with bits when endpoint ep (with RECV) has no client left. */
static inline int hl_ep_watch(ipc_cap ep, ipc_cap note, uint64_t bits) { return (int)HL_(EP_WATCH, ep, note, bits, 0, 0).st; }

/*
 * Asynchronous calls (mercury_ipc(3)) on this port: the kernel's CALL blocks
 * its thread until the reply, so started calls are made by call threads, at
 * most MERCURY_ASYNC_THREADS of them (made when first needed, kept): that
 * many calls are in flight at once, the others wait in the runtime, in
 * order.  At most MERCURY_ASYNC_CALLS calls outstanding in the process, on
 * at most MERCURY_ASYNC_CONNS endpoints.  A call past its deadline ends
 * with IPC_ETIMEDOUT, but its thread stays in the kernel's CALL until the
 * server answers.  One thread collects a connection's calls at a time.
 */
#define MERCURY_ASYNC_THREADS 4
#define MERCURY_ASYNC_CALLS 64
#define MERCURY_ASYNC_CONNS 16
/* The readiness notification of ep's asynchronous calls: signalled when
 * one ends or a deadline passes.  Poll it with the other capabilities of
 * the loop (HELIOS_POLL_RECV), wait on it to clear it, then call
 * ipc_call_dispatch(ep, 0). */
int mercury_async_note(ipc_cap ep, ipc_cap *note);

/* The calling thread's IPC buffer. */
struct helios_ipc_buffer *mercury_ipcbuf(void);

/* The process: its own capabilities (IPC_CAP_NONE where it has none). */
extern ipc_cap mercury_cspace, mercury_vspace, mercury_memory;
/* Where mercury_log writes: a log capability named after the process, whose
 * lines the kernel prefixes with "[name] " (IPC_CAP_NONE: none, and the log
 * is lost). */
extern ipc_cap mercury_logcap;
/* A log named name (up to HELIOS_LOG_NAME_MAX of [A-Za-z0-9._-]) narrowed
 * from the untagged log, paid for by mem; 0 or a status. */
int mercury_log_name(ipc_cap untagged, const char *name, ipc_cap mem, ipc_cap *out);
extern const struct helios_bootinfo *mercury_bootinfo;     /* sysinit only */
extern const struct mercury_auxv *mercury_auxv;            /* the others */
extern char mercury_name[32];
/* The endpoint of the service with interface ID iface, or IPC_CAP_NONE. */
ipc_cap mercury_service(uint32_t iface);
/* The first `_` capability of type (HELIOS_CAP_*), or IPC_CAP_NONE. */
ipc_cap mercury_cap(unsigned type);

/* Each program defines main; its return value is the exit code. */
int main(void);

/* Memory: malloc over the memory capability (thread-safe). */
void *malloc(size_t n);
void *calloc(size_t n, size_t size);
void free(void *p);

/* mmap over the vspace capability: maps n pages (writable if asked) at a
 * free place in the mmap window, or NULL.  The page capabilities stay the
 * caller's; the mappings keep the frames alive until mercury_unmap. */
void *mercury_map(const ipc_cap *pages, size_t n, bool writable);
void mercury_unmap(void *va, size_t n);

/*
 * A shared buffer: pages this process owns, mapped, whose capabilities it
 * lends to a server (io::file read/write) by sending copies.
 */
struct mercury_buf {
	void *va;
	size_t npages;
	ipc_cap page[IPC_MAX_CAPS];
};
int mercury_buf_alloc(struct mercury_buf *b, size_t npages);
void mercury_buf_free(struct mercury_buf *b);
/* Copies of the page capabilities covering [off, off + len), for one call. */
int mercury_buf_lend(const struct mercury_buf *b, size_t off, size_t len, ipc_cap *caps, size_t *n);
/* io::file read and write over a shared buffer (the generated stubs underneath). */
int mercury_read(ipc_cap file, struct mercury_buf *b, size_t off, size_t amt, size_t *got);
int mercury_write(ipc_cap file, struct mercury_buf *b, size_t off, size_t amt, size_t *put);

/* Threads: a task sharing this process's cspace and vspace. */
int mercury_thread_spawn(void (*fn)(void *), void *arg, ipc_cap *task);

/* A spin lock that yields (user threads are preempted by the timer). */
static inline void mercury_lock(volatile int *l)
{
	while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
		hl_yield();
}
static inline void mercury_unlock(volatile int *l) { __atomic_store_n(l, 0, __ATOMIC_RELEASE); }

/* The log: the kernel's debug channel, one line per call. */
void mercury_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int mercury_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
int mercury_snprintf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* What the compiler may call, and what programs here use. */
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

#ifdef __cplusplus
}
#endif
#endif /* MERCURY_HELIOS_H */
