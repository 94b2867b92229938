/*
 * arch/trapc.c: what happens after arch/trap.S has saved a context.
 *
 * From user mode: an interrupt is handled and the scheduler picks who runs
 * next; an exception is the task's fault: it is logged, the task dies
 * (task_kill signals whoever asked to hear of it) and everything else
 * keeps running.  From kernel mode only interrupts are expected (the idle
 * loop); an exception there is a kernel bug: dump and panic.
 */
#include "kern/arch.h"
#include "kern/irq.h"
#include "kern/task.h"

static const char *const exception_name[32] = {
	"divide error", "debug", "NMI", "breakpoint", "overflow", "bound range",
	"invalid opcode", "device not available", "double fault", "coprocessor overrun",
	"invalid TSS", "segment not present", "stack fault", "general protection",
	"page fault", "reserved", "x87 error", "alignment check", "machine check",
	"SIMD error", "virtualization", "control protection",
};

static const char *name_of(u64 vector)
{
	const char *n = vector < 32 ? exception_name[vector] : NULL;
	return n ? n : "exception";
}

static void dump(const struct ctx *c)
{
	kprintf("  rip %lx cs %lx rflags %lx rsp %lx ss %lx error %lx cr2 %lx\n",
	        c->rip, c->cs, c->rflags, c->rsp, c->ss, c->err, read_cr2());
	kprintf("  rax %lx rbx %lx rcx %lx rdx %lx rsi %lx rdi %lx rbp %lx\n",
	        c->rax, c->rbx, c->rcx, c->rdx, c->rsi, c->rdi, c->rbp);
	kprintf("  r8 %lx r9 %lx r10 %lx r11 %lx r12 %lx r13 %lx r14 %lx r15 %lx\n",
	        c->r8, c->r9, c->r10, c->r11, c->r12, c->r13, c->r14, c->r15);
}

static bool is_irq(u64 vector)
{
	return vector >= VEC_IRQ0 && vector < VEC_IRQ0 + IRQ_LINES;
}

NORETURN void trap_user(struct ctx *c)
{
	lat_enter(0x1000 + c->vector);
	if (is_irq(c->vector)) {
		irq_handle(c->vector - VEC_IRQ0);
		sched_return();
	}
	struct tcb *t = current;
	u64 addr = c->vector == 14 ? read_cr2() : c->rip;
	kprintf("task %u: %s (vector %lu) at rip %lx, address %lx: killed\n",
	        t->id, name_of(c->vector), c->vector, c->rip, addr);
	task_kill(t, HELIOS_TASK_FAULTED, (i64)c->vector, addr);
	sched_return();
}

void trap_kernel(struct ctx *c)
{
	lat_enter(0x1000 + c->vector);
	if (is_irq(c->vector)) {
		irq_handle(c->vector - VEC_IRQ0);
		sched_return();         /* from idle: leaves if anything became runnable */
	}
	kprintf("kernel: %s (vector %lu) in kernel mode\n", name_of(c->vector), c->vector);
	dump(c);
	panic("exception in the kernel");
}
