/*
 * ipc/msg.c: moving a message from one thread to another.
 *
 * A message is the sender's registers (label in rsi, info in rdx, words
 * 0..5 in r10 r8 r9 r12 r13 r14) plus, past word 5 and for capabilities,
 * its IPC buffer.  msg_check decodes it when the sender asks to send,
 * without side effects; msg_deliver copies it when a receiver is there,
 * which may be later (a queued sender), and cannot fail: a capability that
 * vanished from the sender's space meanwhile, or that finds no free slot
 * (or no IPC buffer) at the receiver, arrives as HELIOS_CAP_NONE, and it
 * has left the sender all the same: it goes once the system call is done
 * (msg_release).  Register words past nwords reach the receiver as zeros,
 * so that nothing of the sender leaks.
 */
#include "kern/cap.h"
#include "kern/mm.h"
#include "kern/task.h"

int msg_check(struct tcb *from)
{
	u64 info = from->ctx.rdx;
	u32 nwords = HELIOS_INFO_WORDS(info), ncaps = HELIOS_INFO_CAPS(info);
	if (likely(info <= HELIOS_REG_WORDS))
		return 0;                       /* the fast case: registers only */
	if (info >> 32 || nwords > HELIOS_MAX_WORDS || ncaps > HELIOS_MAX_CAPS)
		return HELIOS_EINVAL;
	struct helios_ipc_buffer *buf = ipcbuf(from);
	if (!buf)
		return HELIOS_EINVAL;
	for (u32 i = 0; i < ncaps; i++) {
		int err = 0;
		if (!cap_get(from->cspace, buf->cap[i], HELIOS_CAP_EMPTY, &err))
			return err;
		for (u32 j = 0; j < i; j++)
			if (buf->cap[j] == buf->cap[i])
				return HELIOS_EINVAL;
	}
	return 0;
}

/*
 * Capabilities a delivery took from the sender and could not place.  They
 * are dropped after the system call, not during the delivery: dropping the
 * last capability to a task kills it, and that task may be the sender or
 * the receiver of the message itself, whose state the operation has yet
 * to set.  Killed in the middle, a dead thread was then made runnable,
 * queued as a receiver or made a server's current reply, and ran without
 * a vspace.  A system call delivers at most two messages (REPLY_RECV: the
 * reply, then the message it receives).
 */
static struct cap undelivered[2 * HELIOS_MAX_CAPS];
u32 msg_undelivered;

void msg_release(void)
{
	while (msg_undelivered)
		cap_drop(undelivered[--msg_undelivered]);
}

static void move_caps(struct tcb *from, struct tcb *to, u32 ncaps)
{
	struct helios_ipc_buffer *src = ipcbuf(from), *dst = ipcbuf(to);
	for (u32 i = 0; i < ncaps; i++) {
		int err = 0;
		struct cap *c = from->cspace ? cap_get(from->cspace, src->cap[i], HELIOS_CAP_EMPTY, &err) : NULL;
		u32 slot = HELIOS_CAP_NONE;
		if (c && dst && to->cspace && cap_dest(to->cspace, HELIOS_CAP_NONE, &slot) == 0) {
			cap_install(to->cspace, slot, c, true);
		} else {
			slot = HELIOS_CAP_NONE;
			if (c) {
				kassert(msg_undelivered < ARRAY_LEN(undelivered));
				undelivered[msg_undelivered++] = cap_take(c);
			}
		}
		if (dst)
			dst->cap[i] = slot;
	}
}

void msg_deliver(struct tcb *from, struct tcb *to, u64 label)
{
	struct ctx *s = &from->ctx, *d = &to->ctx;
	u64 info = s->rdx;
	u32 nwords = HELIOS_INFO_WORDS(info), ncaps = HELIOS_INFO_CAPS(info);
	MSG_COPY_REGS(d, s, label, nwords);
	if (unlikely(info > HELIOS_REG_WORDS)) {
		struct helios_ipc_buffer *dst = ipcbuf(to);
		if (nwords > HELIOS_REG_WORDS) {
			if (dst) {
				/* rep movsq: one instruction per word under icount,
				 * and as fast as anything on hardware. */
				u64 *d = &dst->word[HELIOS_REG_WORDS];
				const u64 *w = &ipcbuf(from)->word[HELIOS_REG_WORDS];
				u64 n = nwords - HELIOS_REG_WORDS;
				__asm__ volatile("rep movsq" : "+D"(d), "+S"(w), "+c"(n) : : "memory");
			} else
				nwords = HELIOS_REG_WORDS;
		}
		move_caps(from, to, ncaps);
		if (!dst)
			ncaps = 0;
	}
	d->rdx = HELIOS_INFO(nwords, ncaps);
}
