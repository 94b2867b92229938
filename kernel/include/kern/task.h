/*
 * kern/task.h: tasks (threads with a cspace and a vspace) and the
 * scheduler.
 *
 * A struct tcb fills one frame and begins with the thread's saved user
 * registers (struct ctx), which the entry code writes in place.  The
 * kernel is single-CPU and not preemptible; `current` is the thread whose
 * context the next return to user mode restores.  Runnable threads other
 * than current wait in a round-robin run queue; the timer rotates it.
 */
#ifndef KERN_TASK_H
#define KERN_TASK_H

#include "kern/arch.h"
#include "kern/ipc.h"
#include "kern/mm.h"
#include "kern/cap.h"
#include "kern/rmap.h"
#include "abi/helios.h"

enum tstate {
	T_INACTIVE,             /* made, not started */
	T_RUNNABLE,             /* current, or on the run queue */
	T_SEND,                 /* on an endpoint's senders (is_call: a call) */
	T_RECV,                 /* on an endpoint's receivers */
	T_REPLY,                /* called; waits for the reply */
	T_WAIT,                 /* on a notification's waiters */
	T_POLL,                 /* on the poller lists of what it polls */
	T_REVOKE,               /* waits for the revocation of a quota (blocked_on) */
	T_REAP,                 /* waits for what its system call destroyed to be reaped */
	T_DEAD,                 /* exited or faulted: only its status remains */
};

struct cspace;
struct vspace;

struct tcb {
	struct ctx ctx;                 /* first: TSS.rsp0 = &ctx + 1 */

	/* Scheduling and blocking. */
	u32 state;                      /* enum tstate */
	u32 id;
	struct tcb *qnext, *qprev;      /* the run queue or the queue in blocked_on */
	void *blocked_on;               /* T_SEND, T_RECV: endpoint; T_WAIT: notification; T_REVOKE: memq */
	bool is_call;                   /* T_SEND: the message is a call */
	bool reap_wait;                 /* its system call queued destruction: T_REAP after it */

	/* What the task runs in: bindings, each a reference on the reverse
	 * map of what it is bound to (bind[TCB_BIND_*]); task_bind sets them. */
	struct cspace *cspace;
	struct vspace *vspace;
	u64 cr3;
	u64 ipcbuf_pa;                  /* 0: no IPC buffer */
	struct rlink bind[TCB_BINDS];

	/* Calls: the current reply (a caller waiting on us), and our own calls.
	 * reply_to and the caller's replier point at each other while the
	 * caller waits (T_REPLY), so neither needs a reference: whichever dies
	 * first unlinks them (task_kill).  A saved reply capability holds a
	 * real reference instead. */
	struct tcb *reply_to;
	u64 reply_seq;
	bool reply_lost;                /* reply_to's caller died: REPLY says EPEER */
	u64 call_seq;                   /* bumped per call, and at death: never wraps */
	struct tcb *replier;            /* T_REPLY: the thread whose reply_to we are */

	/* Poll: one entry on the poller list of each object polled. */
	u32 npoll;
	struct pollreg {
		struct plink link;
		struct tcb *t;
	} poll[HELIOS_MAX_POLL];

	/* Death: when the last task capability goes (reply capabilities keep
	 * the TCB, not the task). */
	u32 task_caps;
	struct notification *death_note;
	u64 death_bits;
	u32 status;                     /* HELIOS_TASK_* */
	i64 exit_code;                  /* or the exception vector */
	u64 fault_addr;

	/* The x87/SSE registers (fxsave64 format), saved when another task
	 * takes the FPU. */
	u8 fpu[512] __attribute__((aligned(16)));
};
_Static_assert(sizeof(struct tcb) <= 4096, "a TCB fits its frame");
/* A reply capability matches its call by sequence number: 64 bits do not
 * wrap (a billion calls a second for 584 years), so a stale one never
 * answers a later call. */
_Static_assert(sizeof(((struct tcb *)0)->call_seq) == 8 && sizeof(((struct tcb *)0)->reply_seq) == 8,
               "call sequence numbers never wrap");
_Static_assert(sizeof(((struct cap *)0)->seq) == 8, "a reply capability keeps the whole sequence number");

static inline struct helios_ipc_buffer *ipcbuf(struct tcb *t)
{
	return t->ipcbuf_pa ? phys_to_virt(t->ipcbuf_pa) : NULL;
}

extern struct tcb *current;
extern struct tcb *root_task;

/* sched/sched.c */
void sched_wake(struct tcb *t);                 /* runnable, at the run queue's tail */
void sched_handoff(struct tcb *t);              /* runnable, and next (IPC direct switch) */
void sched_promote(struct tcb *t);              /* from the run queue to next */
/* Is there more to do than return to the current thread: a handoff or
 * objects to reap?  (One flag for both, for the system call fast path.) */
extern bool sched_work;
static inline bool sched_pending(void)
{
	return sched_work;
}
void wake_handoff(struct tcb *t, i64 status);   /* wake_status, and run t next */
void sched_preempt(void);
NORETURN void sched_return(void);               /* reap, pick a thread, return to it */
NORETURN void sched_run_syscall(struct tcb *t); /* the IPC fast path's way out */
void wake_status(struct tcb *t, i64 status);    /* end t's block with rax = status */
void wake_restart(struct tcb *t);               /* end t's block by rerunning its syscall */

/* sched/task.c */
void task_init(struct tcb *t);
void task_kill(struct tcb *t, u32 status, i64 code, u64 addr);
void task_destroy(struct tcb *t);
void task_unblock(struct tcb *t);               /* off whatever queue holds it */
void task_bind(struct tcb *t, unsigned what, u64 pfn);  /* TCB_BIND_*: to frame pfn, 0: none */
void task_sever(struct tcb *t, unsigned what);  /* revoke: the binding's frame goes */

/* syscall/syscall.c */
void syscall_init(void);
NORETURN void syscall_dispatch(void);

#endif
