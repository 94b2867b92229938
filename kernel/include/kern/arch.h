/*
 * kern/arch.h: the x86_64 processor as the kernel sees it: the saved
 * register context of a thread, segment selectors, the entry points in
 * arch/trap.S, and one-line wrappers of the privileged instructions.
 */
#ifndef KERN_ARCH_H
#define KERN_ARCH_H

#include "kern/lib.h"

/* Segment selectors (arch/cpu.c builds the GDT in this order: syscall and
 * sysret derive four of them from STAR and need exactly this layout). */
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UDATA (0x18 | 3)
#define SEL_UCODE (0x20 | 3)
#define SEL_TSS 0x28

/* Where the kernel lives: the image at KERNEL_VBASE + its physical address
 * (-mcmodel=kernel), all of physical memory (up to 4 GiB) at DIRECT_BASE. */
#define KERNEL_VBASE 0xffffffff80000000ull
#define DIRECT_BASE 0xffff800000000000ull
#define DIRECT_LIMIT (4ull << 30)
#define PAGE_SIZE 4096ull
#define PAGE_SHIFT 12

#ifdef KERNEL_HOST_TEST
/* The host unit tests' "physical memory" is an ordinary allocation. */
extern u8 *host_phys_base;
static inline void *phys_to_virt(u64 pa) { return host_phys_base + pa; }
static inline u64 virt_to_phys(const void *va) { return (u64)((const u8 *)va - host_phys_base); }
#else
static inline void *phys_to_virt(u64 pa) { return (void *)(uptr)(pa + DIRECT_BASE); }
static inline u64 virt_to_phys(const void *va)
{
	u64 v = (u64)(uptr)va;
	return v >= KERNEL_VBASE ? v - KERNEL_VBASE : v - DIRECT_BASE;
}
#endif

/* Interrupt vectors. */
#define VEC_IRQ0 32             /* the PIC's 16 lines: 32..47 */
#define VEC_SYSCALL 0x100       /* not a vector: a ctx that sysret may restore (see below) */

/*
 * A thread's user registers, saved on every entry to the kernel.  The order
 * is fixed by arch/trap.S: the processor pushes rip..ss (and the error code),
 * the interrupt stubs push vector, then rax..r15, straight into the current
 * thread's struct ctx (TSS.rsp0 points at its end).  The syscall entry
 * stores by mov instead, and skips what a system call gives up: rcx, r11,
 * and the constant cs and ss.  vector is the last interrupt's, or
 * VEC_SYSCALL for a thread that has never been interrupted: the way back
 * is sysret for the latter, iret otherwise, and both are right after a
 * system call.
 */
struct ctx {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, err;
	u64 rip, cs, rflags, rsp, ss;
};
_Static_assert(sizeof(struct ctx) == 22 * 8, "arch/trap.S knows this layout");
_Static_assert(__builtin_offsetof(struct ctx, cs) == 18 * 8, "arch/trap.S tests cs here");

#define RFLAGS_IF 0x200ull
#define RFLAGS_USER_MASK 0xcd5ull    /* CF PF AF ZF SF DF OF: what a task may set */

/* arch/trap.S */
NORETURN void ctx_return_iret(struct ctx *c);
NORETURN void ctx_return_sysret(struct ctx *c);
NORETURN void ctx_return_status(struct ctx *c, i64 status);
NORETURN void idle_enter(void);

/*
 * Latency accounting, in the kernel built with KERNEL_LATENCY only (the
 * benchmarks' kernel-lat.bin): every stretch the kernel runs with
 * interrupts off, from an entry (lat_enter, with what caused it) to the
 * return to user mode or the idle loop's interrupt window (lat_exit), is
 * timed with rdtsc, which under QEMU's -icount counts instructions; each
 * new longest stretch above LAT_REPORT is logged as
 *   latency: N instructions with interrupts off (syscall S | vector V)
 */
#ifdef KERNEL_LATENCY
#define LAT_REPORT 1000
void lat_enter(u64 cause);              /* cause: a syscall number, or 0x1000 + vector */
void lat_exit(void);
#else
static inline void lat_enter(u64 cause) { (void)cause; }
static inline void lat_exit(void) {}
#endif
bool idle_work(void);                   /* sched/sched.c */
extern char kstack_top[];
extern struct ctx *cur_ctx;             /* where syscall_entry saves */
void syscall_entry(void);
extern u64 isr_table[48];

/* arch/cpu.c */
void cpu_init(void);
void tss_set_rsp0(u64 rsp0);
extern u64 kernel_cr3;
NORETURN void machine_exit(u32 value);  /* QEMU's isa-debug-exit, else halt */
void pic_mask(unsigned irq);
void pic_unmask(unsigned irq);
void pic_eoi(unsigned irq);
bool pic_spurious(unsigned irq);

static inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outw(u16 port, u16 v) { __asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outl(u16 port, u32 v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
static inline u8 inb(u16 port) { u8 v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u16 inw(u16 port) { u16 v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u32 inl(u16 port) { u32 v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static inline u64 read_cr2(void) { u64 v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline u64 read_cr3(void) { u64 v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline void write_cr3(u64 v) { __asm__ volatile("mov %0, %%cr3" ::"r"(v) : "memory"); }
static inline u64 read_cr4(void) { u64 v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void write_cr4(u64 v) { __asm__ volatile("mov %0, %%cr4" ::"r"(v) : "memory"); }
static inline void invlpg(u64 va) { __asm__ volatile("invlpg (%0)" ::"r"(va) : "memory"); }
static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (u64)hi << 32 | lo;
}
static inline void wrmsr(u32 msr, u64 v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((u32)v), "d"((u32)(v >> 32)));
}
static inline void cpuid(u32 leaf, u32 *a, u32 *b, u32 *c, u32 *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}
static inline void halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

#endif
