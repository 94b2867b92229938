/*
 * arch/cpu.c: the processor's tables and the legacy devices the kernel
 * itself drives.  The GDT (in the order syscall/sysret require), the TSS
 * (rsp0 = the current thread's register save area; IST1 for the faults
 * that must not run on a possibly broken stack), the IDT, the syscall MSRs,
 * the two 8259 PICs (remapped to vectors 32..47) and the PIT as the
 * scheduler's timer on IRQ 0.
 */
#include "kern/arch.h"
#include "kern/irq.h"
#include "abi/helios.h"

struct tss {
	u32 reserved0;
	u64 rsp0, rsp1, rsp2;
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3, iomap_base;
} __attribute__((packed));
_Static_assert(sizeof(struct tss) == 104, "TSS layout");

struct idt_entry {
	u16 offset0, selector;
	u8 ist, type;
	u16 offset1;
	u32 offset2, reserved;
};

struct tss tss __attribute__((aligned(16)));   /* arch/trap.S reads tss.rsp0 */
static u64 gdt[7] __attribute__((aligned(16)));
static struct idt_entry idt[256] __attribute__((aligned(16)));
static u8 ist1_stack[4096] __attribute__((aligned(16)));
u64 kernel_cr3;

struct __attribute__((packed)) table_ptr {
	u16 limit;
	u64 base;
};

#define MSR_EFER 0xc0000080
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_FMASK 0xc0000084

static void gdt_init(void)
{
	gdt[0] = 0;
	gdt[1] = 0x00af9a000000ffffull;        /* 0x08 kernel code */
	gdt[2] = 0x00cf92000000ffffull;        /* 0x10 kernel data */
	gdt[3] = 0x00cff2000000ffffull;        /* 0x18 user data (sysret: STAR.user + 8) */
	gdt[4] = 0x00affa000000ffffull;        /* 0x20 user code (sysret: STAR.user + 16) */
	u64 base = (u64)(uptr)&tss, limit = sizeof(tss) - 1;
	gdt[5] = (limit & 0xffff) | (base & 0xffffff) << 16 | 0x89ull << 40 |
	         ((limit >> 16) & 0xf) << 48 | ((base >> 24) & 0xff) << 56;
	gdt[6] = base >> 32;
	tss.ist[0] = (u64)(uptr)(ist1_stack + sizeof(ist1_stack));
	tss.iomap_base = sizeof(tss);           /* no I/O bitmap: user I/O goes through the kernel */
	tss.rsp0 = (u64)(uptr)kstack_top;

	struct table_ptr p = { sizeof(gdt) - 1, (u64)(uptr)gdt };
	__asm__ volatile("lgdt %0\n\t"
	                 "mov %1, %%ds\n\t"
	                 "mov %1, %%es\n\t"
	                 "mov %1, %%ss\n\t"
	                 "pushq %2\n\t"
	                 "lea 1f(%%rip), %%rax\n\t"
	                 "pushq %%rax\n\t"
	                 "lretq\n"
	                 "1:\n\t"
	                 "ltr %w3"
	                 :
	                 : "m"(p), "r"((u64)SEL_KDATA), "i"(SEL_KCODE), "r"(SEL_TSS)
	                 : "rax", "memory");
}

static void idt_init(void)
{
	for (unsigned v = 0; v < ARRAY_LEN(isr_table); v++) {
		u64 h = isr_table[v];
		idt[v] = (struct idt_entry){
			.offset0 = h & 0xffff,
			.selector = SEL_KCODE,
			/* NMI, double fault and machine check switch to IST1. */
			.ist = (v == 2 || v == 8 || v == 18) ? 1 : 0,
			.type = 0x8e,   /* present, DPL 0, interrupt gate: int n from user is #GP */
			.offset1 = (h >> 16) & 0xffff,
			.offset2 = h >> 32,
		};
	}
	struct table_ptr p = { sizeof(idt) - 1, (u64)(uptr)idt };
	__asm__ volatile("lidt %0" ::"m"(p));
}

void tss_set_rsp0(u64 rsp0)
{
	tss.rsp0 = rsp0;
}

/* The 8259 pair, remapped to 32..47, every line masked but the timer's
 * and the cascade. */
#define PIC1 0x20
#define PIC2 0xa0
static u16 pic_masks = 0xffff;

static void pic_write_masks(void)
{
	outb(PIC1 + 1, pic_masks & 0xff);
	outb(PIC2 + 1, pic_masks >> 8);
}

void pic_mask(unsigned irq)
{
	pic_masks |= 1u << irq;
	pic_write_masks();
}

void pic_unmask(unsigned irq)
{
	pic_masks &= ~(1u << irq);
	if (irq >= 8)
		pic_masks &= ~(1u << 2);
	pic_write_masks();
}

void pic_eoi(unsigned irq)
{
	if (irq >= 8)
		outb(PIC2, 0x20);
	outb(PIC1, 0x20);
}

/* IRQ 7 and 15 may be spurious: then the PIC's in-service bit is clear. */
bool pic_spurious(unsigned irq)
{
	if (irq == 7) {
		outb(PIC1, 0x0b);
		return !(inb(PIC1) & 0x80);
	}
	if (irq == 15) {
		outb(PIC2, 0x0b);
		if (!(inb(PIC2) & 0x80)) {
			outb(PIC1, 0x20);       /* the master did see the cascade */
			return true;
		}
	}
	return false;
}

static void pic_init(void)
{
	outb(PIC1, 0x11);
	outb(PIC2, 0x11);
	outb(PIC1 + 1, VEC_IRQ0);
	outb(PIC2 + 1, VEC_IRQ0 + 8);
	outb(PIC1 + 1, 4);
	outb(PIC2 + 1, 2);
	outb(PIC1 + 1, 1);
	outb(PIC2 + 1, 1);
	pic_masks = 0xffff & ~(1u << 2);
	pic_write_masks();
}

static void pit_init(void)
{
	unsigned divisor = 1193182 / TIMER_HZ;
	outb(0x43, 0x34);               /* channel 0, lo/hi, rate generator */
	outb(0x40, divisor & 0xff);
	outb(0x40, divisor >> 8);
	pic_unmask(0);
}

void cpu_init(void)
{
	gdt_init();
	idt_init();
	/* syscall: kernel CS/SS from STAR[47:32]; sysret: user SS = STAR[63:48] + 8,
	 * CS = + 16.  FMASK clears IF, TF, DF, AC and NT on entry. */
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | 1);
	wrmsr(MSR_STAR, (u64)0x10 << 48 | (u64)SEL_KCODE << 32);
	wrmsr(MSR_LSTAR, (u64)(uptr)syscall_entry);
	wrmsr(MSR_FMASK, 0x200 | 0x100 | 0x400 | 0x40000 | 0x4000);
	write_cr4(read_cr4() & ~(1ull << 2));   /* TSD off: rdtsc in user mode (benchmarks) */
	/* The kernel never touches user memory (it reaches IPC buffers and
	 * pages through the direct map), so SMEP and SMAP, where the CPU has
	 * them, cost nothing and turn a stray user pointer into a fault. */
	u32 a, b, c, d;
	cpuid(0, &a, &b, &c, &d);
	if (a >= 7) {
		cpuid(7, &a, &b, &c, &d);
		write_cr4(read_cr4() | (b & (1u << 7) ? 1ull << 20 : 0) | (b & (1u << 20) ? 1ull << 21 : 0));
	}
	u64 cr4 = read_cr4();
	kprintf("cpu: syscall sse%s%s%s\n", rdmsr(MSR_EFER) & (1ull << 11) ? " nx" : "",
	        cr4 & (1ull << 20) ? " smep" : "", cr4 & (1ull << 21) ? " smap" : "");
	/* SSE for tasks: OSFXSR and OSXMMEXCPT; no x87 emulation, no lazy
	 * switching (CR0.EM and TS clear; MP set).  sched/sched.c switches the
	 * registers with fxsave64/fxrstor64.  NE: an unmasked x87 exception
	 * is the task's #MF, not the PC's legacy FERR# on IRQ 13, which let a
	 * task go on past it and raise a line it holds no capability to (and
	 * aborts QEMU 7.2 when the line is unmasked). */
	write_cr4(read_cr4() | (1ull << 9) | (1ull << 10));
	u64 cr0;
	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	cr0 = (cr0 & ~((1ull << 2) | (1ull << 3))) | (1ull << 1) | (1ull << 5);
	__asm__ volatile("mov %0, %%cr0" ::"r"(cr0));
	__asm__ volatile("fninit");
	pic_init();
	pit_init();
}

NORETURN void machine_exit(u32 value)
{
	outl(HELIOS_QEMU_EXIT_PORT, value);
	halt_forever();
	__builtin_unreachable();
}
