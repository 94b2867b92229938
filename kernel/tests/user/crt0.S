/* crt0.S: a task starts here with rdi and rsi from TASK_REGS (the root
 * task: rdi = its bootinfo), and ends with EXIT if umain returns. */
	.section .text.start, "ax"
	.globl _start
_start:
	and $-16, %rsp
	call umain
	mov %rax, %rdi
	mov $24, %eax                   /* HELIOS_SYS_EXIT */
	syscall
	ud2
