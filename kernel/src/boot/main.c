/*
 * boot/main.c: kmain, the kernel's C entry, and physical memory setup.
 *
 * In order: the log (QEMU's debug console, port 0xE9), the Multiboot
 * information, the processor's tables, the kernel page tables, the frame
 * table, the root task; then the scheduler takes over and kmain's stack is
 * forgotten.
 *
 * Physical memory at boot: [1 MiB, boot_alloc_end) holds the kernel image,
 * the boot modules, the kernel page tables and the frame table, and stays
 * reserved; every other page of RAM below 4 GiB goes on the free list.
 */
#include "kern/arch.h"
#include "kern/boot.h"
#include "kern/irq.h"
#include "kern/mm.h"
#include "kern/task.h"

extern char _kernel_end[];

static u64 boot_alloc_next, boot_alloc_limit;

static void debugcon_write(const char *s, usize n)
{
	while (n--)
		outb(0xe9, (u8)*s++);
}

NORETURN void panic(const char *fmt, ...)
{
	__builtin_va_list ap;
	__builtin_va_start(ap, fmt);
	kprintf("\nkernel panic: ");
	kvprintf(fmt, ap);
	kprintf("\n");
	__builtin_va_end(ap);
	machine_exit(HELIOS_QEMU_PANIC);
}

u64 boot_alloc_page(void)
{
	if (boot_alloc_next + PAGE_SIZE > boot_alloc_limit)
		panic("boot: no room for the kernel's tables after the modules");
	u64 pa = boot_alloc_next;
	boot_alloc_next += PAGE_SIZE;
	return pa;
}

static void mem_init(void)
{
	u64 max_pa = 0, end = virt_to_phys(_kernel_end);
	for (unsigned i = 0; i < boot_info.nram; i++)
		max_pa = MAX(max_pa, boot_info.ram[i].base + boot_info.ram[i].len);
	max_pa = MIN(max_pa, DIRECT_LIMIT);
	for (unsigned i = 0; i < boot_info.nmodules; i++)
		end = MAX(end, boot_info.module[i].end);
	end = ALIGN_UP(end, PAGE_SIZE);

	/* The boot allocator: the RAM right after the image and the modules. */
	for (unsigned i = 0; i < boot_info.nram; i++) {
		struct boot_range *r = &boot_info.ram[i];
		if (r->base <= end && end < r->base + r->len)
			boot_alloc_limit = MIN(ALIGN_DOWN(r->base + r->len, PAGE_SIZE), 1ull << 30);
	}
	if (!boot_alloc_limit)
		panic("boot: no RAM after the kernel image at %lx", end);
	boot_alloc_next = end;

	kernel_vspace_init(max_pa);

	u64 count = max_pa >> PAGE_SHIFT;
	u64 table_pages = ALIGN_UP(count * sizeof(struct frame), PAGE_SIZE) / PAGE_SIZE;
	u64 table_pa = boot_alloc_page();
	for (u64 i = 1; i < table_pages; i++)
		boot_alloc_page();
	frame_table_init(phys_to_virt(table_pa), count);

	for (unsigned i = 0; i < boot_info.nram; i++) {
		struct boot_range *r = &boot_info.ram[i];
		u64 lo = ALIGN_UP(r->base, PAGE_SIZE), hi = ALIGN_DOWN(MIN(r->base + r->len, max_pa), PAGE_SIZE);
		for (u64 pa = lo; pa < hi; pa += PAGE_SIZE)
			if (pa >= 0x100000 && !(pa >= 0x100000 && pa < boot_alloc_next))
				frame_release(pa >> PAGE_SHIFT);
	}
	kprintf("mem: %lu MiB of RAM, %lu free pages, kernel and modules in [%x, %lx)\n",
	        max_pa >> 20, frames_free, 0x100000, boot_alloc_next);
}

/* Faults the kernel provokes on purpose (the boot tests' exception check). */
static void selftest(void)
{
	if (cmdline_has("selftest=ud"))
		__asm__ volatile("ud2");
	if (cmdline_has("selftest=pf"))
		*(volatile u64 *)(uptr)0x7000dead0000ull = 1;
	if (cmdline_has("selftest=stack")) {
		extern char kstack_guard[];
		*(volatile u64 *)(kstack_guard + 4088) = 1;     /* as a stack overflow would */
	}
	if (cmdline_has("selftest=frames")) {
		u64 before = frames_free, a = frame_alloc(), b = frame_alloc();
		kassert(a && b && a != b && frames_free == before - 2);
		frame_free(a);
		frame_free(b);
		kassert(frames_free == before);
		kprintf("selftest: frames ok\n");
	}
}

NORETURN void kmain(u32 magic, u64 info_pa)
{
	log_sink = debugcon_write;
	kprintf("helios: x86_64 capability microkernel\n");
	if (multiboot_parse(magic, info_pa) < 0)
		panic("not started by a Multiboot loader (eax = %x)", magic);
	kprintf("boot: command line \"%s\", %u modules\n", boot_info.cmdline, boot_info.nmodules);
	cpu_init();
	syscall_init();
	mem_init();
	selftest();
	if (boot_info.nmodules == 0) {
		kprintf("boot: no root task module; nothing to run\n");
		machine_exit(cmdline_has("expect-empty") ? HELIOS_QEMU_PASS : HELIOS_QEMU_FAIL);
	}
	root_task_create();
	sched_return();
}
