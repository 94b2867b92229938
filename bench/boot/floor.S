/*
 * floor.S: the floor of any boot: a minimal Multiboot 1 kernel that writes
 * its entry time stamp (under -icount shift=0: the guest instructions so
 * far, i.e. the firmware's and the loader's) to the debug console as hex,
 * and ends QEMU through isa-debug-exit.  bench/boot/run times its whole
 * QEMU run against the example OS's boot to echo-ready.
 */
	.section .multiboot, "a"
	.align 4
	.long 0x1badb002                /* magic */
	.long 0                         /* flags: nothing asked */
	.long -0x1badb002               /* checksum */

	.text
	.code32
	.globl _start
_start:
	rdtsc
	mov %edx, %esi
	mov %eax, %edi
	mov $0xe9, %dx
	mov $'t', %al
	out %al, %dx
	mov $'s', %al
	out %al, %dx
	mov $'c', %al
	out %al, %dx
	mov $' ', %al
	out %al, %dx
	mov %esi, %ebx
	call hex32
	mov %edi, %ebx
	call hex32
	mov $'\n', %al
	out %al, %dx
	mov $0xf4, %dx
	mov $0x10, %al
	out %al, %dx                    /* QEMU exits with status 33 */
1:	hlt
	jmp 1b

/* ebx as 8 hex digits on port dx. */
hex32:
	mov $8, %ecx
2:	rol $4, %ebx
	mov %bl, %al
	and $15, %al
	add $'0', %al
	cmp $'9', %al
	jbe 3f
	add $('a' - '9' - 1), %al
3:	out %al, %dx
	loop 2b
	ret
	.section .note.GNU-stack, "", @progbits
