/* crt0.S: every program on the kernel starts here.  rdi holds the kernel's
 * bootinfo (the root task) or the auxiliary vector (anything sysinit
 * started); mercury_start sets the runtime up, runs main and exits. */
	.section .text.start, "ax"
	.globl _start
_start:
	and $-16, %rsp
	xor %ebp, %ebp
	call mercury_start
	ud2

/* A thread other than the main one: rdi = function, rsi = argument. */
	.globl mercury_thread_entry
mercury_thread_entry:
	and $-16, %rsp
	xor %ebp, %ebp
	call mercury_thread_start
	ud2
	.section .note.GNU-stack, "", @progbits
