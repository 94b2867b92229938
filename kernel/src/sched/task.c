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

static u32 bind_ref(struct tcb *t, unsigned what)
{
	return REF_MAKE(REF_TCB, (u32)frame_of_virt(t) << 2 | what);
}

static u64 bound(struct tcb *t, unsigned what)
{
	switch (what) {
	case TCB_BIND_CSPACE: return t->cspace ? frame_of_virt(t->cspace) : 0;
	case TCB_BIND_VSPACE: return t->vspace ? frame_of_virt(t->vspace) : 0;
	case TCB_BIND_IPCBUF: return t->ipcbuf_pa >> PAGE_SHIFT;
	default: return t->death_note ? frame_of_virt(t->death_note) : 0;
	}
}

/* Bind t to frame pfn (0: to nothing) as its cspace, vspace, IPC buffer or
 * death notification: a reference, on the frame's reverse map. */
void task_bind(struct tcb *t, unsigned what, u64 pfn)
{
	u64 old = bound(t, what);
	void *obj = pfn ? phys_to_virt(pfn << PAGE_SHIFT) : NULL;
	/* Off the old frame's map first: the binding has one set of links. */
	if (old)
		rmap_del(old, bind_ref(t, what));
	if (pfn) {
		if (what == TCB_BIND_IPCBUF)
			page_ref(pfn << PAGE_SHIFT);
		else
			obj_ref(obj);
		rmap_add(pfn, bind_ref(t, what));
	}
	switch (what) {
	case TCB_BIND_CSPACE: t->cspace = obj; break;
	case TCB_BIND_VSPACE:
		t->vspace = obj;
		t->cr3 = pfn << PAGE_SHIFT;
		break;
	case TCB_BIND_IPCBUF: t->ipcbuf_pa = pfn << PAGE_SHIFT; break;
	default: t->death_note = obj; break;
	}
	if (old) {
		if (what == TCB_BIND_IPCBUF)
			page_unref(old << PAGE_SHIFT);
		else
			obj_unref(phys_to_virt(old << PAGE_SHIFT));
	}
}

/*
 * Revocation takes away what t is bound to.  Without its cspace or vspace
 * a task cannot run: it dies.  Without its IPC buffer it can: a send or
 * call still waiting to be received, whose words and capabilities are in
 * the buffer, fails with EFAULT, and so does a poll, whose entries are;
 * a thread waiting to receive, or for a reply, waits on, and gets what
 * the registers carry.  Its death notification is forgotten.
 */
void task_sever(struct tcb *t, unsigned what)
{
	switch (what) {
	case TCB_BIND_CSPACE:
	case TCB_BIND_VSPACE:
		task_kill(t, HELIOS_TASK_KILLED, 0, 0);
		break;
	case TCB_BIND_IPCBUF:
		if (t->state == T_SEND || t->state == T_POLL) {
			task_unblock(t);
			wake_status(t, HELIOS_EFAULT);
		}
		task_bind(t, what, 0);
		break;
	default:
		task_bind(t, what, 0);
		break;
	}
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
	task_bind(t, TCB_BIND_CSPACE, 0);
	task_bind(t, TCB_BIND_VSPACE, 0);
	task_bind(t, TCB_BIND_IPCBUF, 0);
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
	task_bind(t, TCB_BIND_DEATH, 0);
}
