/*
 * boot/entry.S: from Multiboot 1 to long mode.
 *
 * QEMU's -kernel loads Multiboot 1 images and refuses 64-bit ELF files, so
 * the image is a flat binary (objcopy -O binary of kernel.elf) whose header
 * sets the a.out-kludge flag: the loader takes the load addresses from the
 * header below instead of from ELF program headers.  The boot loader
 * enters _start in 32-bit protected mode, paging off, with eax = the
 * Multiboot magic and ebx = the physical address of the Multiboot info.
 *
 * _start builds just enough page tables to turn on long mode: the first
 * GiB of physical memory mapped twice with 2 MiB pages, at 0 (so that this
 * code keeps running once paging is on) and at KERNEL_VBASE (where the C
 * kernel is linked, -mcmodel=kernel).  kmain replaces both with the real
 * kernel page tables (mm/vspace.c) soon after.
 *
 * Everything in .boot runs at its physical address; everything else is
 * linked at KERNEL_VBASE + physical.
 */
#define KERNEL_VBASE 0xffffffff80000000

#define MB_MAGIC 0x1badb002
#define MB_FLAGS ((1 << 0) | (1 << 1) | (1 << 16))   /* align modules, memory map, a.out kludge */

	.section .multiboot, "a"
	.align 4
mb_header:
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)
	.long mb_header                 /* header_addr */
	.long _kernel_phys_start        /* load_addr */
	.long _load_end_phys            /* load_end_addr */
	.long _bss_end_phys             /* bss_end_addr */
	.long _start                    /* entry_addr */

	.section .boot.text, "ax"
	.code32
	.globl _start
_start:
	cli
	mov $boot_stack_top, %esp
	mov %eax, %edi                  /* magic and info: kmain's arguments */
	mov %ebx, %esi

	/* PML4[0] and PML4[511] -> the two PDPTs; both -> one PD of 2 MiB pages. */
	mov $boot_pdpt_low, %eax
	or $3, %eax
	mov %eax, boot_pml4
	mov $boot_pdpt_high, %eax
	or $3, %eax
	mov %eax, boot_pml4 + 511 * 8
	mov $boot_pd, %eax
	or $3, %eax
	mov %eax, boot_pdpt_low
	mov %eax, boot_pdpt_high + 510 * 8
	xor %ecx, %ecx
1:	mov %ecx, %eax
	shl $21, %eax
	or $0x83, %eax                  /* present, writable, 2 MiB */
	mov %eax, boot_pd(, %ecx, 8)
	inc %ecx
	cmp $512, %ecx
	jne 1b

	mov %cr4, %eax
	or $(1 << 5), %eax              /* PAE */
	mov %eax, %cr4
	mov $boot_pml4, %eax
	mov %eax, %cr3

	/* EFER: long mode, syscall/sysret, and no-execute if the CPU has it. */
	mov %edi, %ebp
	mov $0x80000001, %eax
	cpuid
	xor %ebx, %ebx
	bt $20, %edx
	jnc 2f
	mov $(1 << 11), %ebx            /* NXE */
2:	mov $0xc0000080, %ecx
	rdmsr
	or $((1 << 8) | (1 << 0)), %eax /* LME, SCE */
	or %ebx, %eax
	wrmsr
	mov %ebp, %edi

	mov %cr0, %eax
	or $((1 << 31) | (1 << 16) | (1 << 0)), %eax   /* PG, WP, PE */
	mov %eax, %cr0

	lgdt boot_gdt_ptr
	ljmp $0x08, $start64

	.code64
start64:
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	xor %ax, %ax
	mov %ax, %fs
	mov %ax, %gs
	movabs $kstack_top, %rsp
	movabs $kmain, %rax
	call *%rax                      /* kmain(magic, info): never returns */
3:	hlt
	jmp 3b

	.section .boot.data, "aw"
	.align 8
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff        /* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff        /* 0x10: data */
boot_gdt_ptr:
	.word boot_gdt_ptr - boot_gdt - 1
	.long boot_gdt

	.align 4096
boot_pml4:
	.space 4096
boot_pdpt_low:
	.space 4096
boot_pdpt_high:
	.space 4096
boot_pd:
	.space 4096
	.space 4096
boot_stack_top:
