/*
 * transport.c: mercury/ipc.h on the kernel's IPC.  A message's label, info
 * word and first HELIOS_REG_WORDS words travel in registers; further words
 * and the capabilities in the calling thread's IPC buffer (abi/helios.h).
 * Capabilities sent leave the sender on every path: when the kernel
 * refuses a message, nothing has moved, so the port drops them itself.
 */
#include "mercury/helios.h"

/* The registers of one IPC system call. */
struct regs {
	uint64_t label, info, w[HELIOS_REG_WORDS];
};

static inline int64_t hl_ipc(uint64_t nr, uint64_t cap, struct regs *m)
{
	register uint64_t r10 __asm__("r10") = m->w[0];
	register uint64_t r8 __asm__("r8") = m->w[1];
	register uint64_t r9 __asm__("r9") = m->w[2];
	register uint64_t r12 __asm__("r12") = m->w[3];
	register uint64_t r13 __asm__("r13") = m->w[4];
	register uint64_t r14 __asm__("r14") = m->w[5];
	uint64_t rax = nr, rdi = cap, rsi = m->label, rdx = m->info;
	__asm__ volatile("syscall"
	                 : "+a"(rax), "+D"(rdi), "+S"(rsi), "+d"(rdx), "+r"(r10), "+r"(r8),
	                   "+r"(r9), "+r"(r12), "+r"(r13), "+r"(r14)
	                 :
	                 : "rcx", "r11", "memory");
	m->label = rsi;
	m->info = rdx;
	m->w[0] = r10;
	m->w[1] = r8;
	m->w[2] = r9;
	m->w[3] = r12;
	m->w[4] = r13;
	m->w[5] = r14;
	return (int64_t)rax;
}

/* A lent capability goes as a copy, which the message moves; the copies
 * are made before the message is laid out, and on failure the message's
 * capabilities are released as usual but for the lent ones. */
static int lend_copies(struct ipc_msg *msg)
{
	for (uint32_t i = 0; i < msg->ncaps; i++) {
		if (!IPC_CAP_IS_LENT(msg->cap[i]))
			continue;
		ipc_cap copy;
		int st = hl_cap_copy(msg->cap[i] & ~IPC_CAP_LENT, IPC_CAP_NONE, IPC_CAP_NONE, &copy);
		if (st) {
			ipc_drop_caps(msg->cap, msg->ncaps, 0); /* the copies made, and the rest */
			return st;
		}
		msg->cap[i] = copy;
	}
	return 0;
}

/* msg -> registers and IPC buffer; false if it does not fit. */
static bool put(const struct ipc_msg *msg, struct regs *r)
{
	if (msg->nwords > IPC_MAX_WORDS || msg->ncaps > IPC_MAX_CAPS)
		return false;
	uint32_t nw = msg->nwords;
	for (uint32_t i = 0; i < HELIOS_REG_WORDS; i++)
		r->w[i] = i < nw ? msg->word[i] : 0;
	if (nw > HELIOS_REG_WORDS || msg->ncaps) {
		struct helios_ipc_buffer *b = mercury_ipcbuf();
		for (uint32_t i = HELIOS_REG_WORDS; i < nw; i++)
			b->word[i] = msg->word[i];
		for (uint32_t i = 0; i < msg->ncaps; i++)
			b->cap[i] = msg->cap[i];
	}
	r->label = msg->label;
	r->info = HELIOS_INFO(nw, msg->ncaps);
	return true;
}

/* registers and IPC buffer -> msg. */
static void get(struct ipc_msg *msg, const struct regs *r)
{
	uint32_t nw = HELIOS_INFO_WORDS(r->info), nc = HELIOS_INFO_CAPS(r->info);
	if (nw > IPC_MAX_WORDS)
		nw = IPC_MAX_WORDS;
	if (nc > IPC_MAX_CAPS)
		nc = IPC_MAX_CAPS;
	msg->label = r->label;
	msg->nwords = nw;
	msg->ncaps = nc;
	for (uint32_t i = 0; i < nw && i < HELIOS_REG_WORDS; i++)
		msg->word[i] = r->w[i];
	if (nw > HELIOS_REG_WORDS || nc) {
		struct helios_ipc_buffer *b = mercury_ipcbuf();
		for (uint32_t i = HELIOS_REG_WORDS; i < nw; i++)
			msg->word[i] = b->word[i];
		for (uint32_t i = 0; i < nc; i++)
			msg->cap[i] = b->cap[i];
	}
}

/* A refused message: its capabilities go all the same. */
static int refused(const struct ipc_msg *msg, int st)
{
	uint32_t n = msg->ncaps < IPC_MAX_CAPS ? msg->ncaps : IPC_MAX_CAPS;
	for (uint32_t i = 0; i < n; i++)
		hl_cap_destroy(msg->cap[i]);
	return st;
}

int ipc_call(ipc_cap ep, struct ipc_msg *msg)
{
	struct regs r;
	int lst;
	if (msg->ncaps <= IPC_MAX_CAPS && (lst = lend_copies(msg)) != 0)
		return lst;
	if (!put(msg, &r))
		return refused(msg, IPC_EINVAL);
	int64_t st = hl_ipc(HELIOS_SYS_CALL, ep, &r);
	if (st)
		return refused(msg, (int)st);
	get(msg, &r);
	return 0;
}

int ipc_send(ipc_cap ep, struct ipc_msg *msg)
{
	struct regs r;
	int lst;
	if (msg->ncaps <= IPC_MAX_CAPS && (lst = lend_copies(msg)) != 0)
		return lst;
	if (!put(msg, &r))
		return refused(msg, IPC_EINVAL);
	int64_t st = hl_ipc(HELIOS_SYS_SEND, ep, &r);
	return st ? refused(msg, (int)st) : 0;
}

static int recv_flags(ipc_cap ep, struct ipc_msg *msg, uint64_t flags)
{
	struct regs r = { flags, 0, { 0 } };
	int64_t st = hl_ipc(HELIOS_SYS_RECV, ep, &r);
	if (st)
		return (int)st;
	get(msg, &r);
	return 0;
}

int ipc_recv(ipc_cap ep, struct ipc_msg *msg)
{
	return recv_flags(ep, msg, 0);
}

int ipc_recv_poll(ipc_cap ep, struct ipc_msg *msg)
{
	return recv_flags(ep, msg, HELIOS_RECV_POLL);
}

int ipc_reply(struct ipc_msg *msg)
{
	struct regs r;
	int lst;
	if (msg->ncaps <= IPC_MAX_CAPS && (lst = lend_copies(msg)) != 0)
		return lst;
	if (!put(msg, &r))
		return refused(msg, IPC_EINVAL);
	int64_t st = hl_ipc(HELIOS_SYS_REPLY, 0, &r);
	return st ? refused(msg, (int)st) : 0;
}

int ipc_reply_save(ipc_cap *reply)
{
	struct hl_ret r = hl_syscall(HELIOS_SYS_REPLY_SAVE, HELIOS_CAP_NONE, 0, 0, 0, 0);
	if (r.st)
		return (int)r.st;
	*reply = (ipc_cap)r.r0;
	return 0;
}

int ipc_reply_to(ipc_cap reply, struct ipc_msg *msg)
{
	struct regs r;
	int lst;
	if (msg->ncaps <= IPC_MAX_CAPS && (lst = lend_copies(msg)) != 0) {
		hl_cap_destroy(reply);
		return lst;
	}
	if (!put(msg, &r)) {
		hl_cap_destroy(reply);
		return refused(msg, IPC_EINVAL);
	}
	int64_t st = hl_ipc(HELIOS_SYS_SEND, reply, &r);
	if (st) {
		/* The kernel consumed the reply capability if it was one. */
		return refused(msg, (int)st);
	}
	return 0;
}

int ipc_cap_drop(ipc_cap cap)
{
	if (IPC_CAP_IS_LENT(cap))
		return 0; /* still its lender's */
	return hl_cap_destroy(cap);
}

int hl_poll(struct helios_pollcap *ents, unsigned n)
{
	if (n == 0 || n > HELIOS_MAX_POLL)
		return IPC_EINVAL;
	struct helios_ipc_buffer *b = mercury_ipcbuf();
	for (unsigned i = 0; i < n; i++) {
		b->poll[i] = ents[i];
		b->poll[i].revents = 0;
	}
	struct hl_ret r = hl_syscall(HELIOS_SYS_POLL, n, 0, 0, 0, 0);
	if (r.st)
		return (int)r.st;
	for (unsigned i = 0; i < n; i++)
		ents[i].revents = b->poll[i].revents;
	return (int)r.r0;
}

_Noreturn void hl_exit(int64_t code)
{
	hl_syscall(HELIOS_SYS_EXIT, (uint64_t)code, 0, 0, 0, 0);
	for (;;)
		;
}
