/*
 * arch/trap.S: every way into the kernel and back out.
 *
 * The kernel has one stack (kstack) and is never preempted: it runs with
 * interrupts off, from an entry to a return to user mode, and keeps no
 * state on the stack in between.  A thread's user registers are saved in
 * its struct ctx (kern/arch.h), and they are saved in place: TSS.rsp0 points
 * at the end of the current thread's ctx, so an interrupt or exception from
 * user mode pushes its frame straight into it, and the stubs push the rest
 * of the registers after it.  The syscall entry stores them there by hand
 * (cur_ctx).  Only then does the stack move to kstack.  Returning to a thread is
 * ctx_return_*: point rsp at its ctx, pop, and sysretq or iretq.
 *
 * An interrupt that arrives while the kernel idles (idle_enter, the one
 * place where interrupts are on in kernel mode) is pushed on kstack and
 * handled by trap_kernel, which may leave for a thread and never come back.
 *
 * Neither path executes swapgs: there is one CPU, the kernel reaches its
 * data RIP-relative, and userspace cannot change GS (CR4.FSGSBASE is off).
 */

	.text

/* Save rax..r15 below the vector and error code already on the stack. */
.macro SAVE_REGS
	push %rax
	push %rbx
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %rbp
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
.endm

.macro RESTORE_REGS
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rbp
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rbx
	pop %rax
.endm

/* Exceptions without an error code get a 0 so that every frame looks alike. */
.macro ISR_NOERR n
	.align 16
isr_\n:
	push $0
	push $\n
	jmp isr_common
.endm
.macro ISR_ERR n
	.align 16
isr_\n:
	push $\n
	jmp isr_common
.endm

ISR_NOERR 0
ISR_NOERR 1
ISR_NOERR 2
ISR_NOERR 3
ISR_NOERR 4
ISR_NOERR 5
ISR_NOERR 6
ISR_NOERR 7
ISR_ERR 8
ISR_NOERR 9
ISR_ERR 10
ISR_ERR 11
ISR_ERR 12
ISR_ERR 13
ISR_ERR 14
ISR_NOERR 15
ISR_NOERR 16
ISR_ERR 17
ISR_NOERR 18
ISR_NOERR 19
ISR_NOERR 20
ISR_ERR 21
.irp n, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
ISR_NOERR \n
.endr
.irp n, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47
ISR_NOERR \n
.endr

isr_common:
	SAVE_REGS
	cld
	mov %rsp, %rdi                  /* the struct ctx just completed */
	testb $3, 18*8(%rsp)            /* ctx.cs: from user mode? */
	jz 1f
	lea kstack_top(%rip), %rsp      /* from user: ctx is the thread's; leave it */
	call trap_user                  /* never returns */
	ud2
1:	call trap_kernel                /* from the kernel (idle): may return */
	RESTORE_REGS
	add $16, %rsp                   /* vector, error code */
	iretq

/*
 * syscall: rcx = user rip, r11 = user rflags, interrupts off (FMASK).
 *
 * The fast way in: the registers go straight into the current thread's
 * ctx (cur_ctx), by mov rather than push, and only those a system call
 * leaves meaningful: not rcx and r11 (the instruction destroys them; their
 * slots get rip and rflags), not cs, ss, the error code or the vector (a
 * user thread's cs and ss are constant).  Whatever the vector slot says
 * from an earlier interrupt, both ways out are right for this ctx: sysret
 * (syscall_dispatch's fast return) or iret (sched/sched.c when it was not
 * marked VEC_SYSCALL), which restores the stale rcx and r11 that the ABI
 * gave up anyway.  21 instructions from syscall to C.
 */
#define CTX_R15 0
#define CTX_R14 8
#define CTX_R13 16
#define CTX_R12 24
#define CTX_R11 32
#define CTX_R10 40
#define CTX_R9 48
#define CTX_R8 56
#define CTX_RBP 64
#define CTX_RDI 72
#define CTX_RSI 80
#define CTX_RDX 88
#define CTX_RCX 96
#define CTX_RBX 104
#define CTX_RAX 112
#define CTX_VEC 120
#define CTX_RIP 136
#define CTX_RFLAGS 152
#define CTX_RSP 160

	.globl syscall_entry
	.align 16
syscall_entry:
	mov %rsp, syscall_user_rsp(%rip)
	mov cur_ctx(%rip), %rsp         /* the current thread's struct ctx */
	mov %rax, CTX_RAX(%rsp)
	mov %rbx, CTX_RBX(%rsp)
	mov %rdx, CTX_RDX(%rsp)
	mov %rsi, CTX_RSI(%rsp)
	mov %rdi, CTX_RDI(%rsp)
	mov %rbp, CTX_RBP(%rsp)
	mov %r8, CTX_R8(%rsp)
	mov %r9, CTX_R9(%rsp)
	mov %r10, CTX_R10(%rsp)
	mov %r12, CTX_R12(%rsp)
	mov %r13, CTX_R13(%rsp)
	mov %r14, CTX_R14(%rsp)
	mov %r15, CTX_R15(%rsp)
	mov %rcx, CTX_RIP(%rsp)
	mov %r11, CTX_RFLAGS(%rsp)
	mov syscall_user_rsp(%rip), %rax
	mov %rax, CTX_RSP(%rsp)
	lea kstack_top(%rip), %rsp
	jmp syscall_dispatch            /* never returns */

/* ctx_return_iret(ctx): every register as saved. */
	.globl ctx_return_iret
ctx_return_iret:
	mov %rdi, %rsp
	RESTORE_REGS
	add $16, %rsp
	iretq

/* ctx_return_sysret(ctx): every register but rcx and r11 (the ABI gives
 * them up), then rip and rflags through them.  17 instructions.
 * ctx_return_status(ctx, status): the same with rax = status, for the
 * fast return of a system call that did not need to store it. */
.macro SYSRET_REST
	mov CTX_R15(%rdi), %r15
	mov CTX_R14(%rdi), %r14
	mov CTX_R13(%rdi), %r13
	mov CTX_R12(%rdi), %r12
	mov CTX_R10(%rdi), %r10
	mov CTX_R9(%rdi), %r9
	mov CTX_R8(%rdi), %r8
	mov CTX_RBP(%rdi), %rbp
	mov CTX_RSI(%rdi), %rsi
	mov CTX_RDX(%rdi), %rdx
	mov CTX_RBX(%rdi), %rbx
	mov CTX_RIP(%rdi), %rcx
	mov CTX_RFLAGS(%rdi), %r11
	mov CTX_RSP(%rdi), %rsp         /* the user stack; nothing runs before sysret */
	mov CTX_RDI(%rdi), %rdi
	sysretq
.endm

	.globl ctx_return_sysret
ctx_return_sysret:
	mov CTX_RAX(%rdi), %rax
	SYSRET_REST

	.globl ctx_return_status
ctx_return_status:
	mov %rsi, %rax
	SYSRET_REST

/* idle_enter: drop whatever is on the stack and wait for an interrupt;
 * while deferred work is pending (idle_work returns true), do it a slice
 * at a time, with a window for interrupts before each slice (the
 * instruction after sti still runs with interrupts held off: the nop). */
	.globl idle_enter
idle_enter:
	lea kstack_top(%rip), %rsp
	sti
	nop
	cli
	call idle_work
	test %al, %al
	jnz idle_enter
	sti
	hlt
	cli
	jmp idle_enter

	.section .rodata
	.align 8
	.globl isr_table
isr_table:
.irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	.quad isr_\n
.endr
.irp n, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47
	.quad isr_\n
.endr

	.bss
	.align 16
syscall_user_rsp:
	.quad 0
	.globl cur_ctx
cur_ctx:                                /* &current->ctx, for syscall_entry */
	.quad 0
	.align 4096
	.globl kstack_guard, kstack_top
kstack_guard:                           /* left unmapped (mm/vspace.c): an overflow faults */
	.space 4096
kstack:
	.space 16384
kstack_top:
