/*
 * sched/task.c: a task's life.  MEM_ALLOC makes one (task_init), TASK_*
 * configure and start it (syscall/), and it ends in task_kill: by EXIT, by
 * a fault (arch/trapc.c), when its last task capability goes
 * (cap/cspace.c), or when its quota is revoked (mm/revoke.c).  A dead task
 * keeps its TCB (its status stays readable) while any capability refers to
 * it, task or reply, but lets go of its cspace, vspace and IPC buffer at
 * once, and of its FPU, CPU and queues (task_unblock).
 */
#include "kern/arch.h"
#include "kern/boot.h"
#include "kern/cap.h"
#include "kern/mm.h"
#include "kern/task.h"

struct tcb *root_task;
static u32 next_id = 1;

void task_init(struct tcb *t)
{
	t->id = next_id++;
	t->task_caps = 1;               /* MEM_ALLOC's */
	t->state = T_INACTIVE;
	t->status = HELIOS_TASK_INACTIVE;
	t->ctx.cs = SEL_UCODE;
	t->ctx.ss = SEL_UDATA;
	t->ctx.rflags = RFLAGS_IF | 2;
	t->ctx.vector = VEC_SYSCALL;
	/* The FPU as after finit: x87 control word 0x37f, MXCSR 0x1f80
	 * (every exception masked). */
	*(u16 *)&t->fpu[0] = 0x37f;
	*(u32 *)&t->fpu[24] = 0x1f80;
}

void task_kill(struct tcb *t, u32 status, i64 code, u64 addr)
{
	if (t->state == T_DEAD)
		return;
	if (t->state == T_REPLY && t->replier) {
		t->replier->reply_to = NULL;    /* its server's current reply goes */
		t->replier->reply_lost = true;
		t->replier = NULL;
	}
	task_unblock(t);
	t->call_seq++;                  /* no reply finds it any more */
	ipc_drop_reply(t);
	t->state = T_DEAD;
	t->status = status;
	t->exit_code = code;
	t->fault_addr = addr;
	if (t->cspace)
		obj_unref(t->cspace);
	if (t->vspace)
		obj_unref(t->vspace);
	if (t->ipcbuf_pa)
		page_unref(t->ipcbuf_pa);
	t->cspace = NULL;
	t->vspace = NULL;
	t->ipcbuf_pa = 0;
	if (t->death_note)
		notification_signal(t->death_note, t->death_bits);
	if (t == root_task) {
		bool ok = status == HELIOS_TASK_EXITED && code == 0;
		kprintf("kernel: the root task %s (%ld); halting\n",
		        status == HELIOS_TASK_EXITED ? "exited" : status == HELIOS_TASK_FAULTED ? "faulted" : "was killed",
		        code);
		machine_exit(ok ? HELIOS_QEMU_PASS : HELIOS_QEMU_FAIL);
	}
}

void task_destroy(struct tcb *t)
{
	task_kill(t, HELIOS_TASK_KILLED, 0, 0);        /* already dead, but for the root */
	if (t->death_note)
		obj_unref(t->death_note);
}
