/*
 * syscall/syscall.c: the system call table and every call's decoding.
 *
 * syscall_dispatch is entered from arch/trap.S with the caller's registers
 * saved in current->ctx.  Each sys_* function first decodes: it looks up
 * every capability it names (slot in range, right type), checks every
 * argument, and fails with a status before it has changed anything.  Only
 * then does it invoke the operation, which cannot fail for anything the
 * caller did (running out of memory is the caller's quota, checked first
 * too where it can be).  A status goes back in rax; results in rsi, rdx,
 * r10, r8 (r0..r3).  An operation that blocked the caller returns
 * IPC_BLOCKED and its rax is written by whoever wakes it.
 */
#include "kern/arch.h"
#include "kern/cap.h"
#include "kern/irq.h"
#include "kern/mm.h"
#include "kern/task.h"

#define A0 t->ctx.rdi
#define A1 t->ctx.rsi
#define A2 t->ctx.rdx
#define A3 t->ctx.r10
#define A4 t->ctx.r8
#define R0 t->ctx.rsi
#define R1 t->ctx.rdx
#define R2 t->ctx.r10

typedef i64 (*syscall_fn)(struct tcb *t);

/* Look up slot in t's cspace as type (EMPTY: any), or return the status. */
#define DECODE(var, slot, type)                                                \
	struct cap *var = cap_get(t->cspace, (slot), (type), &err);            \
	if (!var)                                                              \
		return err

static i64 sys_null(struct tcb *t)
{
	(void)t;
	return HELIOS_OK;
}

/* Writing the kernel log is an authority: a log capability (cap/range.c). */
static i64 sys_debug_write(struct tcb *t)
{
	int err = 0;
	DECODE(log, A0, HELIOS_CAP_LOG);
	struct helios_ipc_buffer *buf = ipcbuf(t);
	if (!buf || A1 > sizeof(buf->word))
		return HELIOS_EINVAL;
	log_write(log->obj, (const char *)buf->word, A1);
	return HELIOS_OK;
}

/* IPC */

static i64 sys_call(struct tcb *t)
{
	fastpath_call(t);               /* returns if it cannot */
	int err = 0;
	DECODE(ep, A0, HELIOS_CAP_ENDPOINT);
	if (!(ep->rights & HELIOS_EP_SEND))
		return HELIOS_EPERM;
	if ((err = msg_check(t)))
		return err;
	return ipc_call(t, ep->obj);
}

static int reply_with_cap(struct tcb *t, struct cap *rc)
{
	struct cap reply = cap_take(rc);        /* consumed on every path */
	int err = msg_check(t);
	if (!err)
		err = ipc_reply(t, reply.obj, reply.seq);
	else
		reply_abandon(reply.obj, reply.seq);
	obj_unref(reply.obj);
	return err;
}

static i64 sys_send(struct tcb *t)
{
	int err = 0;
	DECODE(cap, A0, HELIOS_CAP_EMPTY);
	if (cap->type == HELIOS_CAP_REPLY)
		return reply_with_cap(t, cap);
	if (cap->type != HELIOS_CAP_ENDPOINT)
		return HELIOS_EBADCAP;
	if (!(cap->rights & HELIOS_EP_SEND))
		return HELIOS_EPERM;
	if ((err = msg_check(t)))
		return err;
	return ipc_send(t, cap->obj);
}

static i64 sys_recv(struct tcb *t)
{
	int err = 0;
	DECODE(ep, A0, HELIOS_CAP_ENDPOINT);
	if (!(ep->rights & HELIOS_EP_RECV))
		return HELIOS_EPERM;            /* a client does not take its server's calls */
	if (A1 & ~(u64)HELIOS_RECV_POLL)
		return HELIOS_EINVAL;
	return ipc_recv(t, ep->obj, !(A1 & HELIOS_RECV_POLL));
}

static int reply_current(struct tcb *t)
{
	u64 seq;
	struct tcb *caller = reply_take(t, &seq);
	return ipc_reply(t, caller, seq);
}

static i64 sys_reply(struct tcb *t)
{
	if (!t->reply_to)
		return t->reply_lost ? HELIOS_EPEER : HELIOS_EINVAL;
	int err = msg_check(t);
	return err ? err : reply_current(t);
}

/* The server's loop in one call: a failed reply (the caller died) does not
 * stop it from receiving. */
static i64 sys_reply_recv(struct tcb *t)
{
	fastpath_reply_recv(t);         /* returns if it cannot */
	int err = 0;
	DECODE(ep, A0, HELIOS_CAP_ENDPOINT);
	if (!(ep->rights & HELIOS_EP_RECV))
		return HELIOS_EPERM;
	/* Take the object now: the reply may move this very capability away. */
	struct endpoint *e = ep->obj;
	if (t->reply_to) {
		if ((err = msg_check(t)))
			return err;
		reply_current(t);
	}
	return ipc_recv(t, e, true);
}

static i64 sys_reply_save(struct tcb *t)
{
	u32 slot;
	if (!t->reply_to)
		return HELIOS_EINVAL;
	int err = cap_dest(t->cspace, A0, &slot);
	if (err)
		return err;
	u64 seq;
	struct tcb *caller = reply_take(t, &seq);
	obj_ref(caller);                /* the capability's reference */
	cap_set(t->cspace, slot, (struct cap){ .type = HELIOS_CAP_REPLY, .seq = seq, .obj = caller });
	R0 = slot;
	return HELIOS_OK;
}

static i64 sys_poll(struct tcb *t)
{
	return ipc_poll(t, (unsigned)MIN(A0, 0xffffu + 0ull));
}

static i64 sys_signal(struct tcb *t)
{
	int err = 0;
	DECODE(n, A0, HELIOS_CAP_NOTIFICATION);
	notification_signal(n->obj, A1);
	return HELIOS_OK;
}

static i64 sys_wait(struct tcb *t)
{
	int err = 0;
	DECODE(n, A0, HELIOS_CAP_NOTIFICATION);
	return notification_wait(t, n->obj);
}

/* Capabilities */

/* The cspace that slot a names: NONE means the caller's own. */
static struct cspace *target_cspace(struct tcb *t, u64 a, int *err)
{
	if (a == HELIOS_CAP_NONE)
		return t->cspace;
	struct cap *c = cap_get(t->cspace, a, HELIOS_CAP_CSPACE, err);
	return c ? c->obj : NULL;
}

static int copy_or_move(struct tcb *t, bool move)
{
	int err = 0;
	u32 slot;
	DECODE(src, A0, HELIOS_CAP_EMPTY);
	struct cspace *cs = target_cspace(t, A2, &err);
	if (!cs)
		return err;
	if (!move && src->type == HELIOS_CAP_REPLY)
		return HELIOS_EPERM;    /* one reply per call: reply caps move, never copy */
	if (move && cs == t->cspace && A1 == A0) {
		R0 = A0;
		return HELIOS_OK;
	}
	if ((err = cap_dest(cs, A1, &slot)))
		return err;
	cap_install(cs, slot, src, move);
	R0 = slot;
	return HELIOS_OK;
}

static i64 sys_cap_copy(struct tcb *t) { return copy_or_move(t, false); }
static i64 sys_cap_move(struct tcb *t) { return copy_or_move(t, true); }

/* A log's name from a2 a3: 1 to HELIOS_LOG_NAME_MAX bytes of [A-Za-z0-9._-],
 * then zeros; its length, or 0 if it is not one. */
static u32 log_name(const u64 w[2], char *name)
{
	u32 len = 0;
	for (u32 i = 0; i < HELIOS_LOG_NAME_MAX; i++) {
		char c = (char)(w[i / 8] >> (8 * (i % 8)));
		if (!c)
			break;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
		name[len++] = c;
	}
	for (u32 i = len; i < HELIOS_LOG_NAME_MAX; i++)
		if ((char)(w[i / 8] >> (8 * (i % 8))))
			return 0;               /* one name, one encoding */
	return len;
}

/* A copy with less authority: a sub-range of ports or lines, or a named
 * log, as a new range object paid for by memory a4; fewer page rights. */
static i64 sys_cap_narrow(struct tcb *t)
{
	int err = 0;
	u32 slot;
	DECODE(src, A0, HELIOS_CAP_EMPTY);
	struct cap n = *src;
	struct range *from = src->obj, *r;
	char name[HELIOS_LOG_NAME_MAX];
	u32 namelen = 0;
	switch (src->type) {
	case HELIOS_CAP_IOPORT:
	case HELIOS_CAP_IRQ:
		if (A2 >= A3 || A2 < from->lo || A3 > from->hi)
			return HELIOS_EPERM;
		break;
	case HELIOS_CAP_LOG: {
		if (from->namelen)
			return HELIOS_EPERM;    /* a name is given once */
		u64 w[2] = { A2, A3 };
		if (!(namelen = log_name(w, name)))
			return HELIOS_EINVAL;
		break;
	}
	case HELIOS_CAP_PAGE:
	case HELIOS_CAP_ENDPOINT:
		if (A2 & ~(u64)src->rights)
			return HELIOS_EPERM;
		n.rights = (u8)A2;
		if ((err = cap_dest(t->cspace, A1, &slot)))
			return err;
		cap_install(t->cspace, slot, &n, false);
		R0 = slot;
		return HELIOS_OK;
	default:
		return HELIOS_EINVAL;
	}
	DECODE(mem, A4, HELIOS_CAP_MEMORY);
	if ((err = cap_dest(t->cspace, A1, &slot)))
		return err;
	if (!(r = range_new(mem->obj, src->type, from, &err)))
		return err;
	if (src->type == HELIOS_CAP_LOG) {
		memcpy(r->name, name, namelen);
		r->namelen = namelen;
	} else {
		r->lo = A2;
		r->hi = A3;
	}
	cap_set(t->cspace, slot, (struct cap){ .type = src->type, .obj = r });
	R0 = slot;
	return HELIOS_OK;
}

static i64 sys_cap_destroy(struct tcb *t)
{
	int err = 0;
	DECODE(cap, A0, HELIOS_CAP_EMPTY);
	cap_clear(cap);
	return HELIOS_OK;
}

static i64 sys_cap_info(struct tcb *t)
{
	int err = 0;
	struct cspace *cs = target_cspace(t, A1, &err);
	if (!cs)
		return err;
	struct cap *cap = cap_get(cs, A0, HELIOS_CAP_EMPTY, &err);
	if (!cap)
		return err;
	u64 a = 0, b = 0;
	switch (cap->type) {
	case HELIOS_CAP_MEMORY:
		a = ((struct memq *)cap->obj)->limit;
		b = ((struct memq *)cap->obj)->used;
		break;
	case HELIOS_CAP_PAGE:
	case HELIOS_CAP_ENDPOINT:
		a = cap->rights;
		break;
	case HELIOS_CAP_IOPORT:
	case HELIOS_CAP_IRQ:
		a = ((struct range *)cap->obj)->lo;
		b = ((struct range *)cap->obj)->hi;
		break;
	case HELIOS_CAP_LOG:
		a = ((struct range *)cap->obj)->namelen;
		break;
	case HELIOS_CAP_TASK:
		a = ((struct tcb *)cap->obj)->id;
		break;
	case HELIOS_CAP_REGION:
		a = region_len(cap->obj);
		b = region_sealed(cap->obj);
		break;
	}
	R0 = cap->type;
	R1 = a;
	R2 = b;
	return HELIOS_OK;
}

/* Memory */

static i64 sys_mem_alloc(struct tcb *t)
{
	int err = 0;
	u32 slot;
	DECODE(mem, A0, HELIOS_CAP_MEMORY);
	struct memq *q = mem->obj;
	u64 type = A1;
	if (type != HELIOS_CAP_MEMORY && type != HELIOS_CAP_PAGE && type != HELIOS_CAP_ENDPOINT &&
	    type != HELIOS_CAP_NOTIFICATION && type != HELIOS_CAP_CSPACE &&
	    type != HELIOS_CAP_VSPACE && type != HELIOS_CAP_TASK && type != HELIOS_CAP_REGION)
		return HELIOS_EINVAL;
	if ((err = cap_dest(t->cspace, A2, &slot)))
		return err;
	struct cap n = { .type = (u8)type };
	if (type == HELIOS_CAP_MEMORY) {
		struct memq *child;
		if ((err = memq_split(q, A3, &child)))
			return err;
		n.obj = child;
	} else if (type == HELIOS_CAP_PAGE) {
		if (!(n.pa = page_alloc(q, FRAME_PAGE, &err)))
			return err;
		n.rights = HELIOS_PAGE_RWX;
	} else if (type == HELIOS_CAP_REGION) {
		if (!(n.obj = region_new(q, A3, &err)))
			return err;
	} else {
		if (type == HELIOS_CAP_ENDPOINT)
			n.rights = HELIOS_EP_ALL;
		if (!(n.obj = obj_alloc(q, (unsigned)type, &err)))
			return err;
		if (type == HELIOS_CAP_VSPACE)
			vspace_init(n.obj);
		else if (type == HELIOS_CAP_TASK)
			task_init(n.obj);
	}
	cap_set(t->cspace, slot, n);    /* the new object's first reference */
	R0 = slot;
	return HELIOS_OK;
}

/* Everything made from the quota goes, wherever it is; see mm/revoke.c. */
static i64 sys_mem_revoke(struct tcb *t)
{
	int err = 0;
	DECODE(mem, A0, HELIOS_CAP_MEMORY);
	return mem_revoke(t, mem->obj);
}

static bool user_page_addr(u64 va)
{
	return va >= HELIOS_USER_MIN && va < HELIOS_USER_TOP && !(va & (PAGE_SIZE - 1));
}

static i64 sys_map(struct tcb *t)
{
	int err = 0;
	DECODE(vs, A0, HELIOS_CAP_VSPACE);
	DECODE(page, A2, HELIOS_CAP_PAGE);
	DECODE(mem, A4, HELIOS_CAP_MEMORY);
	if (!user_page_addr(A1) || (A3 & ~(u64)(HELIOS_MAP_W | HELIOS_MAP_X)))
		return HELIOS_EINVAL;
	if (((A3 & HELIOS_MAP_W) && !(page->rights & HELIOS_PAGE_W)) ||
	    ((A3 & HELIOS_MAP_X) && !(page->rights & HELIOS_PAGE_X)) || !(page->rights & HELIOS_PAGE_R))
		return HELIOS_EPERM;
	return vspace_map(vs->obj, A1, page->pa, (unsigned)A3, mem->obj);
}

static i64 sys_unmap(struct tcb *t)
{
	int err = 0;
	DECODE(vs, A0, HELIOS_CAP_VSPACE);
	if (!user_page_addr(A1))
		return HELIOS_EINVAL;
	return vspace_unmap(vs->obj, A1);
}

/* Regions: see mm/region.c. */

static i64 region_io(struct tcb *t, bool write)
{
	int err = 0;
	DECODE(rc, A0, HELIOS_CAP_REGION);
	u64 done;
	if ((err = region_copy(rc->obj, A1, t->vspace, A2, A3, write, &done)))
		return err;
	R0 = done;
	return HELIOS_OK;
}

static i64 sys_region_write(struct tcb *t) { return region_io(t, true); }
static i64 sys_region_read(struct tcb *t) { return region_io(t, false); }

static i64 sys_region_seal(struct tcb *t)
{
	int err = 0;
	DECODE(rc, A0, HELIOS_CAP_REGION);
	return region_seal(rc->obj, A1);
}

/* Tasks */

static i64 sys_task_config(struct tcb *t)
{
	int err = 0;
	DECODE(tc, A0, HELIOS_CAP_TASK);
	struct tcb *task = tc->obj;
	struct cap *cs = NULL, *vs = NULL, *pg = NULL;
	if (A1 != HELIOS_CAP_NONE && !(cs = cap_get(t->cspace, A1, HELIOS_CAP_CSPACE, &err)))
		return err;
	if (A2 != HELIOS_CAP_NONE && !(vs = cap_get(t->cspace, A2, HELIOS_CAP_VSPACE, &err)))
		return err;
	if (A3 != HELIOS_CAP_NONE && !(pg = cap_get(t->cspace, A3, HELIOS_CAP_PAGE, &err)))
		return err;
	/* The kernel writes the buffer and reads it (what the thread sends,
	 * DEBUG_WRITE) for the thread: both rights, or a page with write alone,
	 * which no MAP can read, would be read all the same. */
	if (pg && (pg->rights & (HELIOS_PAGE_R | HELIOS_PAGE_W)) != (HELIOS_PAGE_R | HELIOS_PAGE_W))
		return HELIOS_EPERM;
	if (task->state != T_INACTIVE)
		return HELIOS_EBUSY;
	if (cs)
		task_bind(task, TCB_BIND_CSPACE, cap_frame(cs));
	if (vs)
		task_bind(task, TCB_BIND_VSPACE, cap_frame(vs));
	if (pg)
		task_bind(task, TCB_BIND_IPCBUF, cap_frame(pg));
	return HELIOS_OK;
}

static i64 sys_task_regs(struct tcb *t)
{
	int err = 0;
	DECODE(tc, A0, HELIOS_CAP_TASK);
	struct tcb *task = tc->obj;
	if (A1 >= HELIOS_USER_TOP || A2 > HELIOS_USER_TOP)
		return HELIOS_EINVAL;
	if (task->state != T_INACTIVE)
		return HELIOS_EBUSY;
	task->ctx.rip = A1;
	task->ctx.rsp = A2;
	task->ctx.rdi = A3;
	task->ctx.rsi = A4;
	return HELIOS_OK;
}

static i64 sys_task_start(struct tcb *t)
{
	int err = 0;
	DECODE(tc, A0, HELIOS_CAP_TASK);
	struct tcb *task = tc->obj;
	if (task->state != T_INACTIVE)
		return HELIOS_EBUSY;
	if (!task->cspace || !task->vspace)
		return HELIOS_EINVAL;
	task->status = HELIOS_TASK_RUNNING;
	sched_wake(task);
	return HELIOS_OK;
}

static i64 sys_task_notify(struct tcb *t)
{
	int err = 0;
	DECODE(tc, A0, HELIOS_CAP_TASK);
	DECODE(n, A1, HELIOS_CAP_NOTIFICATION);
	struct tcb *task = tc->obj;
	task_bind(task, TCB_BIND_DEATH, cap_frame(n));
	task->death_bits = A2;
	if (task->state == T_DEAD)
		notification_signal(n->obj, A2);
	return HELIOS_OK;
}

static i64 sys_task_status(struct tcb *t)
{
	int err = 0;
	DECODE(tc, A0, HELIOS_CAP_TASK);
	struct tcb *task = tc->obj;
	R0 = task->status;
	R1 = (u64)task->exit_code;
	R2 = task->fault_addr;
	return HELIOS_OK;
}

static i64 sys_exit(struct tcb *t)
{
	task_kill(t, HELIOS_TASK_EXITED, (i64)A0, 0);
	return IPC_BLOCKED;
}

static i64 sys_yield(struct tcb *t)
{
	t->ctx.rax = HELIOS_OK;
	sched_preempt();
	return IPC_BLOCKED;
}

/* Devices */

static int decode_port(struct tcb *t, int *err)
{
	struct cap *io = cap_get(t->cspace, A0, HELIOS_CAP_IOPORT, err);
	if (!io)
		return 0;
	const struct range *r = io->obj;
	if (A2 != 1 && A2 != 2 && A2 != 4) {
		*err = HELIOS_EINVAL;
		return 0;
	}
	if (A1 < r->lo || A1 >= r->hi || A2 > r->hi - A1) {      /* no overflow */
		*err = HELIOS_EPERM;
		return 0;
	}
	return 1;
}

static i64 sys_io_in(struct tcb *t)
{
	int err = 0;
	if (!decode_port(t, &err))
		return err;
	u16 port = (u16)A1;
	R0 = A2 == 1 ? inb(port) : A2 == 2 ? inw(port) : inl(port);
	return HELIOS_OK;
}

static i64 sys_io_out(struct tcb *t)
{
	int err = 0;
	if (!decode_port(t, &err))
		return err;
	u16 port = (u16)A1;
	if (A2 == 1)
		outb(port, (u8)A3);
	else if (A2 == 2)
		outw(port, (u16)A3);
	else
		outl(port, (u32)A3);
	return HELIOS_OK;
}

static i64 sys_irq_bind(struct tcb *t)
{
	int err = 0;
	DECODE(irq, A0, HELIOS_CAP_IRQ);
	struct range *r = irq->obj;
	struct cap *n = NULL;
	if (A2 != HELIOS_CAP_NONE && !(n = cap_get(t->cspace, A2, HELIOS_CAP_NOTIFICATION, &err)))
		return err;
	if (A1 < r->lo || A1 >= r->hi)
		return HELIOS_EPERM;
	if (n && !A3)
		return HELIOS_EINVAL;
	return irq_bind((unsigned)A1, n ? n->obj : NULL, A3, r);
}

static i64 sys_irq_ack(struct tcb *t)
{
	int err = 0;
	DECODE(irq, A0, HELIOS_CAP_IRQ);
	const struct range *r = irq->obj;
	if (A1 < r->lo || A1 >= r->hi)
		return HELIOS_EPERM;
	return irq_ack((unsigned)A1);
}

static i64 sys_clock(struct tcb *t)
{
	(void)t;
	R0 = timer_ticks;
	R1 = TIMER_HZ;
	return HELIOS_OK;
}

/* The endpoint's server hears when its last client has gone. */
static i64 sys_ep_watch(struct tcb *t)
{
	int err = 0;
	DECODE(ep, A0, HELIOS_CAP_ENDPOINT);
	struct cap *n = NULL;
	if (!(ep->rights & HELIOS_EP_RECV))
		return HELIOS_EPERM;
	if (A1 != HELIOS_CAP_NONE && !(n = cap_get(t->cspace, A1, HELIOS_CAP_NOTIFICATION, &err)))
		return err;
	if (n && !A2)
		return HELIOS_EINVAL;
	ep_watch(ep->obj, n ? n->obj : NULL, A2);
	return HELIOS_OK;
}

/* A one-shot timer on a notification; a tick already past fires at once. */
static i64 sys_timer(struct tcb *t)
{
	int err = 0;
	DECODE(n, A0, HELIOS_CAP_NOTIFICATION);
	if (A1)
		timer_arm(n->obj, A2, A1);
	else
		timer_disarm(n->obj);
	return HELIOS_OK;
}

static const syscall_fn syscalls[HELIOS_SYS_COUNT] = {
	[HELIOS_SYS_NULL] = sys_null,
	[HELIOS_SYS_DEBUG_WRITE] = sys_debug_write,
	[HELIOS_SYS_CALL] = sys_call,
	[HELIOS_SYS_SEND] = sys_send,
	[HELIOS_SYS_RECV] = sys_recv,
	[HELIOS_SYS_REPLY] = sys_reply,
	[HELIOS_SYS_REPLY_RECV] = sys_reply_recv,
	[HELIOS_SYS_REPLY_SAVE] = sys_reply_save,
	[HELIOS_SYS_POLL] = sys_poll,
	[HELIOS_SYS_SIGNAL] = sys_signal,
	[HELIOS_SYS_WAIT] = sys_wait,
	[HELIOS_SYS_CAP_COPY] = sys_cap_copy,
	[HELIOS_SYS_CAP_MOVE] = sys_cap_move,
	[HELIOS_SYS_CAP_NARROW] = sys_cap_narrow,
	[HELIOS_SYS_CAP_DESTROY] = sys_cap_destroy,
	[HELIOS_SYS_CAP_INFO] = sys_cap_info,
	[HELIOS_SYS_MEM_ALLOC] = sys_mem_alloc,
	[HELIOS_SYS_MAP] = sys_map,
	[HELIOS_SYS_UNMAP] = sys_unmap,
	[HELIOS_SYS_TASK_CONFIG] = sys_task_config,
	[HELIOS_SYS_TASK_REGS] = sys_task_regs,
	[HELIOS_SYS_TASK_START] = sys_task_start,
	[HELIOS_SYS_TASK_NOTIFY] = sys_task_notify,
	[HELIOS_SYS_TASK_STATUS] = sys_task_status,
	[HELIOS_SYS_EXIT] = sys_exit,
	[HELIOS_SYS_YIELD] = sys_yield,
	[HELIOS_SYS_IO_IN] = sys_io_in,
	[HELIOS_SYS_IO_OUT] = sys_io_out,
	[HELIOS_SYS_IRQ_BIND] = sys_irq_bind,
	[HELIOS_SYS_IRQ_ACK] = sys_irq_ack,
	[HELIOS_SYS_CLOCK] = sys_clock,
	[HELIOS_SYS_MEM_REVOKE] = sys_mem_revoke,
	[HELIOS_SYS_TIMER] = sys_timer,
	[HELIOS_SYS_EP_WATCH] = sys_ep_watch,
	[HELIOS_SYS_REGION_WRITE] = sys_region_write,
	[HELIOS_SYS_REGION_READ] = sys_region_read,
	[HELIOS_SYS_REGION_SEAL] = sys_region_seal,
};

/* Every number in HELIOS_SYSCALL_LIST has its handler: checked once at
 * boot, so that a call added to the ABI but not here stops every boot test
 * instead of jumping through NULL. */
void syscall_init(void)
{
	for (unsigned nr = 0; nr < HELIOS_SYS_COUNT; nr++)
		if (!syscalls[nr])
			panic("system call %u has no handler", nr);
}

NORETURN void syscall_dispatch(void)
{
	struct tcb *t = current;
	struct ctx *c = &t->ctx;
	u64 nr = c->rax;
	lat_enter(nr);
	i64 r = likely(nr < HELIOS_SYS_COUNT) ? syscalls[nr](t) : HELIOS_ENOSYS;
	if (unlikely(msg_undelivered))
		msg_release();          /* may kill t: the check below sees it */
	if (likely(r != IPC_BLOCKED)) {
		/* The caller carries on (not blocked, not killed) and nothing
		 * else is due: straight back, the status in rax. */
		if (likely(current == t && !sched_pending())) {
			lat_exit();
			ctx_return_status(c, r);
		}
		c->rax = (u64)r;
	}
	sched_return();
}
