/*
 * transport.c: the functions of mercury/ipc.h over AF_UNIX SOCK_SEQPACKET
 * connections (the POSIX port).
 *
 * A call is one packet each way: the client sends a PX_CALL frame on its
 * connection and waits on the same connection for the PX_REPLY frame with
 * the same sequence number (a reply that arrives after its call timed out
 * has an older one and is discarded).  Capabilities travel as SCM_RIGHTS
 * descriptors.  A server receives from a server endpoint (endpoint.c: an
 * epoll set over a listening socket and its connections) or directly from
 * one connection; the connection and sequence number of the request being
 * served are the thread's current reply.
 *
 * No allocation happens on these paths but for the tails a frame brings
 * (port.h: small regions in the frame itself); a page transfer maps memory
 * only in ipc_page_map (page.c).  Errors are values: a peer that died, a closed
 * endpoint, a truncated or malformed frame all become a status, and a
 * server answers a malformed request with IPC_EPROTO and goes on serving.
 *
 * A server never waits for a client: it answers without blocking, and a
 * client that leaves so many answers unread that the next finds no room in
 * its connection is dropped.  A connection refused at a limit (endpoint.c)
 * is first told why in a farewell: a reply frame with sequence number 0,
 * which no call uses, and which the client's next call returns.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "port.h"

/* Per thread: the call timeout, the last sequence number, the current reply. */
static _Thread_local int px_timeout = -1;
static _Thread_local uint16_t px_seq;
static _Thread_local struct {
	struct px_src src; /* the connection the request came on */
	uint16_t seq;      /* its sequence number */
	uint8_t type;      /* PX_CALL: a reply is owed; PX_SEND: none; 0: no request */
} px_cur;

/* Saved replies.  An endpoint's connection is named by the endpoint's slot,
 * its own and its id, since it may close before the answer; a lone
 * connection by a duplicate, which stays whatever its owner does with it.
 * A reply's capability names its slot and the slot's generation, bumped
 * whenever the slot is freed, so that a slot can go to another reply while
 * the program still holds the capability of the one before (px_reply_put):
 * that capability then answers nothing. */
#define PX_REPLY_BITS 12
_Static_assert(IPC_POSIX_MAX_REPLIES <= 1u << PX_REPLY_BITS &&
               PX_KIND_SHIFT - PX_REPLY_BITS == 16, "a reply capability holds slot and generation");
static struct px_saved {
	bool used;
	uint16_t gen; /* the slot's generation */
	uint32_t lost; /* 1 + the generation of the last reply whose place
	                * went to another (px_reply_put); 0: none */
	uint16_t seq; /* the request's sequence number */
	int dup;      /* a lone connection's duplicate, or -1 */
	int lone;     /* the lone connection's own descriptor (counts its replies) */
	uint32_t ep;  /* the endpoint's slot in px_eps */
	int slot;     /* the connection's slot in it */
	uint64_t id;  /* and its id */
} px_replies[IPC_POSIX_MAX_REPLIES];
static size_t px_replies_next; /* where the next search starts */
static pthread_mutex_t px_replies_lock = PTHREAD_MUTEX_INITIALIZER;

int px_status_errno(int err)
{
	switch (err) {
	case EPIPE: case ECONNRESET: case ENOTCONN: case ECONNREFUSED:
	case ENOENT: case ECONNABORTED:
		return IPC_EPEER;
	case EBADF: case ENOTSOCK:
		return IPC_EBADCAP;
	case EMFILE: case ENFILE: case ENOMEM: case ENOBUFS: case ETOOMANYREFS:
		return IPC_ENOMEM;
	case EAGAIN:
		return IPC_EAGAIN;
	case ETIMEDOUT:
		return IPC_ETIMEDOUT;
	case EACCES: case EPERM:
		return IPC_EPERM;
	case EMSGSIZE:
		return IPC_EPROTO;
	default:
		return IPC_EINVAL;
	}
}

void px_drop_caps(const ipc_cap *caps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (caps[i] != IPC_CAP_NONE)
			ipc_cap_drop(caps[i]);
}

/* Deadlines: CLOCK_MONOTONIC milliseconds; -1 stays "none". */
int64_t px_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t px_deadline(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : px_now_ms() + timeout_ms;
}

bool px_passed(int64_t deadline)
{
	return deadline >= 0 && px_now_ms() >= deadline;
}

int px_remaining(int64_t deadline)
{
	if (deadline < 0)
		return -1;
	int64_t left = deadline - px_now_ms();
	return left < 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int)left;
}

/* Wait for events on fd until deadline: 0, IPC_ETIMEDOUT or IPC_EPEER. */
int px_wait(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		int n = poll(&p, 1, px_remaining(deadline));
		if (n > 0)
			return 0;
		if (n == 0)
			return IPC_ETIMEDOUT;
		if (errno != EINTR)
			return px_status_errno(errno);
	}
}

/* Close each descriptor once, even if a message named one twice (closing
 * it again could close another thread's new descriptor of that number). */
void px_close_fds(const int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (fds[i] < 0)
			continue;
		size_t j = 0;
		while (j < i && fds[j] != fds[i])
			j++;
		if (j == i)
			close(fds[i]);
	}
}

/*
 * After a message went (or failed to), close the descriptors sent in it
 * but those lent (a lent descriptor stays its sender's), each once; a
 * connection sent away takes its asynchronous state with it.
 */
void px_close_sent(const ipc_cap *caps, const int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (caps[i] != IPC_CAP_NONE && PX_KIND(caps[i] & ~IPC_CAP_LENT) == PX_K_TAIL) {
			if (!IPC_CAP_IS_LENT(caps[i]))
				px_tail_free((uint32_t)PX_INDEX(caps[i] & ~IPC_CAP_LENT));
			if (fds[i] >= 0)
				close(fds[i]);  /* the memfd it went as */
			continue;
		}
		if (IPC_CAP_IS_LENT(caps[i]) && PX_KIND(caps[i] & ~IPC_CAP_LENT) == PX_K_FD)
			continue;
		size_t j = 0;
		while (j < i && (fds[j] != fds[i] || (IPC_CAP_IS_LENT(caps[j]) &&
		                                      PX_KIND(caps[j] & ~IPC_CAP_LENT) == PX_K_FD)))
			j++;
		if (j < i)
			continue;
		if (px_async_find(fds[i]))
			px_async_forget(fds[i]);
		close(fds[i]);
	}
}

/*
 * Turn the capabilities of a message into descriptors to send: a descriptor
 * goes as itself; a server endpoint as a fresh connection to it, counted
 * against client (the process the message goes to, if a client of ours;
 * PX_NO_CLIENT if not); a tail in the frame, as long as the frame's tails
 * stay within PX_TAIL_MAX, and as a sealed memfd after.  On failure every
 * capability is consumed (but lent ones) and IPC_EBADCAP, IPC_ENOMEM or
 * (a connection past a limit) IPC_EBUSY returned.
 */
static int px_caps_to_fds(const ipc_cap *caps, size_t n, int *fds, pid_t client)
{
	size_t i, tails = 0;
	int rc = 0;
	for (i = 0; i < n; i++) {
		ipc_cap c = caps[i] == IPC_CAP_NONE ? IPC_CAP_NONE : caps[i] & ~IPC_CAP_LENT;
		struct px_ep *e;
		const unsigned char *bytes;
		size_t len;
		if (c != IPC_CAP_NONE && PX_KIND(c) == PX_K_FD) {
			fds[i] = PX_INDEX(c);
		} else if (c != IPC_CAP_NONE && PX_KIND(c) == PX_K_TAIL) {
			uint32_t slot = (uint32_t)PX_INDEX(c);
			fds[i] = -1;
			if (!px_tail_find(slot, &bytes, &len)) {
				rc = IPC_EBADCAP;
				break;
			}
			if (len <= PX_TAIL_MAX - tails) {
				tails += len;
				fds[i] = PX_FD_TAIL(slot);
			} else if ((rc = px_tail_memfd(slot, &fds[i])) < 0) {
				break;
			}
		} else if ((e = px_ep_get(c)) != NULL) {
			if ((rc = px_ep_new_conn(e, client, &fds[i])) < 0)
				break;
		} else {
			rc = IPC_EBADCAP;
			break;
		}
	}
	if (rc == 0)
		return 0;
	/* Consume: descriptors converted so far, and the rest as capabilities. */
	if (i < n && caps[i] != IPC_CAP_NONE && PX_KIND(caps[i] & ~IPC_CAP_LENT) == PX_K_TAIL)
		i++;    /* a tail that failed: fds[i] is -1, and px_close_sent frees it */
	px_close_sent(caps, fds, i);
	for (size_t j = i; j < n; j++)
		if (caps[j] != IPC_CAP_NONE && px_ep_get(caps[j]) == NULL)
			ipc_cap_drop(caps[j]);
	return rc;
}

static const unsigned char px_zeros[8];

void px_frame_out(struct px_out *o, const struct px_hdr *h, const uint64_t *words, const int *fds)
{
	size_t niov = 0, nfds = 0, ntails = 0;
	int real[IPC_MAX_CAPS];
	uint64_t mask = 0;
	o->iov[niov++] = (struct iovec){ .iov_base = (void *)h, .iov_len = sizeof *h };
	if (h->nwords)
		o->iov[niov++] = (struct iovec){ .iov_base = (void *)words,
		                                 .iov_len = h->nwords * sizeof(uint64_t) };
	bool tails = false;
	for (size_t i = 0; i < h->ncaps; i++)
		tails |= PX_FD_IS_TAIL(fds[i]);
	size_t head = tails ? niov++ : 0;       /* the tail block's words */
	for (size_t i = 0; i < h->ncaps; i++) {
		const unsigned char *bytes;
		size_t len;
		if (!PX_FD_IS_TAIL(fds[i])) {
			real[nfds++] = fds[i];
		} else if (px_tail_find(PX_FD_TAIL_SLOT(fds[i]), &bytes, &len)) {
			/* (px_caps_to_fds found it: it is there until sent) */
			mask |= UINT64_C(1) << i;
			o->tailhdr[1 + ntails++] = len;
			o->iov[niov++] = (struct iovec){ .iov_base = (void *)bytes, .iov_len = len };
			if (len % 8)
				o->iov[niov++] = (struct iovec){ .iov_base = (void *)px_zeros,
				                                 .iov_len = 8 - len % 8 };
		}
	}
	o->tailhdr[0] = mask;
	if (tails)
		o->iov[head] = (struct iovec){ .iov_base = o->tailhdr,
		                               .iov_len = (1 + ntails) * sizeof(uint64_t) };
	o->m = (struct msghdr){ .msg_iov = o->iov, .msg_iovlen = niov };
	if (nfds) {
		memset(&o->cb, 0, sizeof o->cb);
		o->m.msg_control = o->cb.buf;
		o->m.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&o->m);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cm), real, sizeof(int) * nfds);
	}
}

/* Send frame h, its words, and h->ncaps descriptors or tails fds (which
 * stay the caller's); wait for room until timeout_ms unless flags say
 * MSG_DONTWAIT. */
int px_sendmsg(int fd, const struct px_hdr *h, const uint64_t *words, const int *fds,
               int flags, int timeout_ms)
{
	struct px_out o;
	int rc;

	if (h->ncaps)
		px_frame_out(&o, h, words, fds);
	/* Without capabilities, one contiguous buffer and send(2), which
	 * costs the kernel less than sendmsg's msghdr and iovec. */
	union {
		struct px_hdr h;
		unsigned char bytes[PX_FRAME_MAX];
	} flat;
	size_t flatlen = 0;
	if (!h->ncaps) {
		flat.h = *h;
		if (h->nwords)
			memcpy(flat.bytes + sizeof *h, words, h->nwords * sizeof(uint64_t));
		flatlen = sizeof *h + h->nwords * sizeof(uint64_t);
	}
	int64_t deadline = px_deadline(timeout_ms);
	/* Wait for room unless the caller said not to; a descriptor set
	 * O_NONBLOCK by its owner (an event loop's) waits here too. */
	bool may_wait = !(flags & MSG_DONTWAIT);
	if (timeout_ms >= 0)
		flags |= MSG_DONTWAIT;
	for (;;) {
		ssize_t n = h->ncaps ? sendmsg(fd, &o.m, flags | MSG_NOSIGNAL)
		                     : send(fd, flat.bytes, flatlen, flags | MSG_NOSIGNAL);
		if (n >= 0) {
			rc = 0;
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN && may_wait) {
			if ((rc = px_wait(fd, POLLOUT, deadline)) < 0)
				break;
			continue;
		}
		rc = px_status_errno(errno);
		break;
	}
	return rc;
}

/* Send frame h with the capabilities caps, which move: consumed on every
 * path. */
int px_send_frame(int fd, const struct px_hdr *h, const uint64_t *words,
                         const ipc_cap *caps, int flags, int timeout_ms)
{
	int fds[IPC_MAX_CAPS];
	int rc;
	if (h->ncaps && (rc = px_caps_to_fds(caps, h->ncaps, fds, PX_NO_CLIENT)) < 0)
		return rc;
	rc = px_sendmsg(fd, h, words, fds, flags, timeout_ms);
	px_close_sent(caps, fds, h->ncaps);
	return rc;
}

/*
 * Send answer h on connection fd without waiting.  Linux may refuse a frame
 * for its descriptors alone: it charges those a client has not read yet to
 * the server's user, and past the server's descriptor limit refuses it any
 * more (ETOOMANYREFS), so that a client that never reads its capabilities
 * can stop the server sending any.  The caller is then told IPC_EFAULT
 * rather than left waiting, and the status that stopped the answer
 * returned (IPC_EAGAIN if even that found no room: drop the client).
 */
/* Whether answer h, which failed to go with status *rc, was refused for
 * its descriptors: its caller is then told IPC_EFAULT, and *rc becomes
 * IPC_EAGAIN if even that found no room. */
static bool px_answer_refused(int fd, const struct px_hdr *h, int *rc)
{
	if (*rc >= 0 || *rc == IPC_EAGAIN || *rc == IPC_EPEER || !h->ncaps)
		return false;
	struct px_hdr bare = {
		.label = (uint64_t)(int64_t)IPC_EFAULT, .version = IPC_WIRE_VERSION,
		.type = PX_REPLY, .seq = h->seq,
	};
	if (px_sendmsg(fd, &bare, NULL, NULL, MSG_DONTWAIT, -1) == IPC_EAGAIN)
		*rc = IPC_EAGAIN;
	return true;
}

int px_send_answer(int fd, const struct px_hdr *h, const uint64_t *words, const int *fds)
{
	int rc = px_sendmsg(fd, h, words, fds, MSG_DONTWAIT, -1);
	px_answer_refused(fd, h, &rc);
	return rc;
}

/* Tell the client at fd why its connection closes: a farewell. */
void px_farewell(int fd, int status)
{
	struct px_hdr h = {
		.label = (uint64_t)(int64_t)status, .version = IPC_WIRE_VERSION,
		.type = PX_REPLY, .seq = 0,
	};
	px_sendmsg(fd, &h, NULL, NULL, MSG_DONTWAIT, -1);
}

/* A reply that is a transport status alone, as a refusal or a farewell is:
 * that status, or IPC_EPROTO for anything else. */
int px_status_alone(const struct ipc_msg *m)
{
	int st = (int)(int64_t)m->label; /* an int32_t: px_frame_check */
	return st < 0 && ipc_status_name(st) && m->nwords == 0 && m->ncaps == 0 ? st : IPC_EPROTO;
}

/*
 * Decode a received frame's header: n bytes arrived with nfds descriptors
 * and recvmsg's flags.  A server takes calls, one-way messages and copies,
 * a client replies.  Every value has one encoding, so anything else is
 * refused: IPC_EVERSION for another version, IPC_EPROTO otherwise.
 */
static int px_frame_check(const struct px_hdr *h, size_t n, int flags, bool server)
{
	if (h->version != IPC_WIRE_VERSION)
		return IPC_EVERSION;
	if ((flags & (MSG_TRUNC | MSG_CTRUNC)) || h->nwords > IPC_MAX_WORDS ||
	    n < sizeof *h + h->nwords * sizeof(uint64_t) || h->ncaps > IPC_MAX_CAPS)
		return IPC_EPROTO;
	switch (h->type) {
	case PX_CALL: /* a label has 48 bits */
		return server && h->label <= IPC_LABEL_MAX ? 0 : IPC_EPROTO;
	case PX_SEND: /* nothing to answer: no sequence number */
		return server && h->label <= IPC_LABEL_MAX && h->seq == 0 ? 0 : IPC_EPROTO;
	case PX_COPY: /* asks for a connection, and carries nothing */
		return server && h->label == 0 && h->nwords == 0 && h->ncaps == 0 ? 0 : IPC_EPROTO;
	case PX_REPLY: /* a status is an int32_t, sign-extended */
		return !server && (int64_t)h->label == (int32_t)h->label ? 0 : IPC_EPROTO;
	default:
		return IPC_EPROTO;
	}
}

/*
 * Receive one frame from fd into h and msg, as a server or a client (see
 * px_frame_check).  Returns 0, IPC_EAGAIN, IPC_EPEER (end of stream),
 * another errno status, or, for a frame that arrived but is refused,
 * IPC_EPROTO or IPC_EVERSION with *hdr_ok telling whether h->type and h->seq
 * can be trusted enough to answer.  Every descriptor that arrived is in
 * msg->cap on success and closed on every error.
 */
/* What recvmsg(2) fills to receive a frame into msg and r. */
static struct msghdr px_room_msghdr(struct px_room *r, struct ipc_msg *msg)
{
	r->iov[0] = (struct iovec){ .iov_base = msg, .iov_len = PX_FRAME_MAX };
	r->iov[1] = (struct iovec){ .iov_base = r->tail, .iov_len = sizeof r->tail };
	return (struct msghdr){
		.msg_iov = r->iov, .msg_iovlen = 2,
		.msg_control = r->cb.buf, .msg_controllen = sizeof r->cb.buf,
	};
}

int px_recv_frame(int fd, struct px_hdr *h, struct ipc_msg *msg, int flags,
                         bool server, bool *hdr_ok)
{
	/* The frame lands on msg itself, whose label and counts take as many
	 * bytes as the frame's header and whose words sit where the frame's
	 * do (see port.h); the header is copied out below and the counts
	 * rewritten.  A tail block goes on past the words, into room.tail
	 * where msg has no more room. */
	struct px_room room;
	struct msghdr m = px_room_msghdr(&room, msg);
	ssize_t n;

	*hdr_ok = false;
	do
		n = recvmsg(fd, &m, flags | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return px_status_errno(errno);
	return px_frame_decode(&m, (size_t)n, h, msg, server, hdr_ok);
}

/* The bytes of a frame past its words: alen of them at a, the rest at b. */
struct px_stream {
	const unsigned char *a, *b;
	size_t alen, len;
};

static void px_stream_get(const struct px_stream *s, size_t off, void *dst, size_t len)
{
	unsigned char *d = dst;
	if (off < s->alen) {
		size_t k = len < s->alen - off ? len : s->alen - off;
		memcpy(d, s->a + off, k);
		d += k, off += k, len -= k;
	}
	if (len)
		memcpy(d, s->b + (off - s->alen), len);
}

/*
 * The capabilities of a frame whose header says ncaps: nfds descriptors
 * fds, and the tails of its tail block (port.h), if it has one, in the
 * places its mask gives; into cap.  The block must be exact: a mask with
 * no bit past ncaps, as many descriptors as other places, each length 1
 * to PX_TAIL_MAX and all within it, zeros as padding, nothing after.
 * IPC_EPROTO (or IPC_ENOMEM) makes no tail and leaves fds to the caller.
 */
static int px_tails_take(const struct px_stream *s, size_t ncaps, const int *fds, size_t nfds,
                         ipc_cap *cap)
{
	uint64_t mask = 0, len[IPC_MAX_CAPS];
	size_t ntails = 0, total = 0, off;
	if (s->len) {
		if (s->len < 8)
			return IPC_EPROTO;
		px_stream_get(s, 0, &mask, 8);
		if (!mask || mask >> ncaps)     /* (ncaps <= 16: px_frame_check) */
			return IPC_EPROTO;
		ntails = (size_t)__builtin_popcountll(mask);
		if (s->len < 8 + 8 * ntails)
			return IPC_EPROTO;
		off = 8 + 8 * ntails;
		for (size_t j = 0; j < ntails; j++) {
			px_stream_get(s, 8 + 8 * j, &len[j], 8);
			if (len[j] == 0 || len[j] > PX_TAIL_MAX - total)
				return IPC_EPROTO;
			total += len[j];
			size_t pad = (8 - len[j] % 8) % 8;
			if (len[j] + pad > s->len - off)
				return IPC_EPROTO;
			unsigned char z[8] = { 0 }, p[8];
			px_stream_get(s, off + len[j], p, pad);
			if (memcmp(p, z, pad) != 0)
				return IPC_EPROTO;
			off += len[j] + pad;
		}
		if (off != s->len)
			return IPC_EPROTO;
	}
	if (nfds + ntails != ncaps)
		return IPC_EPROTO;
	off = 8 + 8 * ntails;
	for (size_t i = 0, j = 0, k = 0; i < ncaps; i++) {
		if (!(mask >> i & 1)) {
			cap[i] = PX_CAP(PX_K_FD, fds[k++]);
			continue;
		}
		unsigned char *bytes = px_bytes_new(len[j], false);
		int rc = bytes ? 0 : IPC_ENOMEM;
		if (bytes) {
			px_stream_get(s, off, bytes, len[j]);
			rc = px_tail_new(bytes, len[j], &cap[i]);
		}
		if (rc < 0) {
			for (size_t q = 0; q < i; q++)  /* the tails made so far */
				if (mask >> q & 1)
					px_tail_free((uint32_t)PX_INDEX(cap[q]));
			return rc;
		}
		off += (len[j] + 7) / 8 * 8;
		j++;
	}
	return 0;
}

/* The rest of px_recv_frame, once recvmsg(2) or recvmmsg(2) gave m and n
 * bytes: the same checks, the same descriptors closed on every error. */
int px_frame_decode(struct msghdr *mh, size_t n, struct px_hdr *h, struct ipc_msg *msg,
                    bool server, bool *hdr_ok)
{
	struct msghdr m = *mh;
	int fds[IPC_MAX_CAPS];
	size_t nfds = 0;

	*hdr_ok = false;
	/* Descriptors past the buffer were never installed (MSG_CTRUNC: the
	 * kernel drops them); those that were are ours to close. */
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int d;
			memcpy(&d, CMSG_DATA(cm) + i * sizeof(int), sizeof d);
			if (nfds < IPC_MAX_CAPS)
				fds[nfds++] = d;
			else
				close(d);
		}
	}
	if (n == 0) {
		/* End of stream (or an empty packet: malformed, and
		 * indistinguishable from it, so treated the same). */
		px_close_fds(fds, nfds);
		return IPC_EPEER;
	}
	int rc = IPC_EPROTO;
	if (n < sizeof *h)
		goto bad;
	memcpy(h, msg, sizeof *h);
	*hdr_ok = true;
	if ((rc = px_frame_check(h, n, m.msg_flags, server)) < 0)
		goto bad;
	for (size_t i = 0; i < nfds; i++) {
		if ((uint32_t)fds[i] > PX_INDEX_MASK) {
			rc = IPC_EPROTO;
			goto bad;
		}
	}
	/* The bytes past the words: in msg's own room first, then the tail
	 * buffer (px_room). */
	size_t at = sizeof *h + h->nwords * sizeof(uint64_t);
	struct px_stream s = {
		.a = (const unsigned char *)msg + at, .alen = PX_FRAME_MAX - at,
		.b = m.msg_iovlen > 1 ? m.msg_iov[1].iov_base : NULL, .len = n - at,
	};
	if ((rc = px_tails_take(&s, h->ncaps, fds, nfds, msg->cap)) < 0)
		goto bad;
	msg->label = h->label;
	msg->nwords = h->nwords;
	msg->ncaps = h->ncaps;
	return 0;
bad:
	px_close_fds(fds, nfds);
	return rc;
}

/*
 * A reply whose caller has gone (hung up, died, or stopped reading its
 * replies) is discarded, as the kernel discards a reply to a dead caller:
 * that is no fault of the server's, and a dispatch loop need not stop.
 */
static int px_gone_ok(int rc)
{
	return rc == IPC_EPEER || rc == IPC_EAGAIN ? 0 : rc;
}

/*
 * The frame and descriptors answering request seq with msg (consumed), for
 * client (the process that asked, whom the connections made for msg's
 * endpoints count against): 0, or, for an answer the server cannot give (a
 * message no client would take: counts past the limits, a status that is
 * not an int32_t; capabilities it does not hold or cannot send), a status
 * for the server's code, and the frame rewritten to tell the caller
 * IPC_EFAULT rather than leave it waiting; or IPC_EBUSY for both, when an
 * endpoint's connection would be past its limits.
 */
static int px_answer_frame(struct ipc_msg *msg, uint16_t seq, struct px_hdr *h, int *fds,
                           pid_t client)
{
	*h = (struct px_hdr){
		.label = msg->label, .nwords = (uint16_t)msg->nwords,
		.ncaps = (uint16_t)msg->ncaps, .version = IPC_WIRE_VERSION,
		.type = PX_REPLY, .seq = seq,
	};
	int rc = 0;
	if (msg->nwords > IPC_MAX_WORDS || msg->ncaps > IPC_MAX_CAPS ||
	    (int64_t)msg->label != (int32_t)msg->label) {
		if (msg->ncaps <= IPC_MAX_CAPS)
			px_drop_caps(msg->cap, msg->ncaps);
		rc = IPC_EINVAL;
	} else if (msg->ncaps) {
		rc = px_caps_to_fds(msg->cap, msg->ncaps, fds, client);
	}
	if (rc < 0) {
		h->label = (uint64_t)(int64_t)(rc == IPC_EBUSY ? IPC_EBUSY : IPC_EFAULT);
		h->nwords = h->ncaps = 0;
	}
	return rc;
}

static int px_answer_now(const struct px_src *s, uint16_t seq, struct ipc_msg *msg);

/*
 * A lone connection's requests in batches.  A client that pipelines calls
 * leaves several requests queued: the thread serving the connection takes
 * up to PX_RBATCH of them with one recvmmsg(2), and holds back the replies
 * to all but the last it serves, then sends them together with one
 * sendmmsg(2), so that the client wakes once per batch rather than once per
 * reply (on a shared CPU each wake-up preempts the server).  A client that
 * calls one at a time leaves one request, received straight into the
 * caller's message, and its reply goes at once (the recvmmsg(2) that finds
 * one costs what a recvmsg(2) does, within the noise of posix.call).  Held
 * replies go before the thread waits for anything, when it drops the
 * connection, when it ends, and at exit(3) (not at _exit(2): a process
 * that dies loses them, as it loses the requests it had not served).  Per
 * thread, made when it first serves one.
 */
#define PX_RBATCH 24

struct px_rbatch {
	int fd;               /* the connection f came from; -1: none */
	unsigned n, next;     /* frames in f, the next to serve */
	struct {
		int rc;
		bool hdr_ok;
		struct px_hdr h;
		struct ipc_msg m;
	} f[PX_RBATCH];
	int outfd;            /* where the held replies go */
	unsigned nout;
	struct px_hdr oh[PX_RBATCH];
	uint64_t ow[PX_RBATCH][IPC_MAX_WORDS];
	int ofd[PX_RBATCH][IPC_MAX_CAPS];
	ipc_cap ocap[PX_RBATCH][IPC_MAX_CAPS];
	struct px_out out[PX_RBATCH];
	struct px_room room[PX_RBATCH];   /* frame i's descriptors and tails */
};
static _Thread_local struct px_rbatch *px_rb;
static pthread_key_t px_rb_key;
static pthread_once_t px_rb_once = PTHREAD_ONCE_INIT;

/* Send the replies held back. */
static void px_rb_flush(struct px_rbatch *b)
{
	if (!b || !b->nout)
		return;
	struct mmsghdr mm[PX_RBATCH];
	for (unsigned i = 0; i < b->nout; i++) {
		px_frame_out(&b->out[i], &b->oh[i], b->ow[i], b->ofd[i]);
		mm[i] = (struct mmsghdr){ .msg_hdr = b->out[i].m };
	}
	for (unsigned sent = 0; sent < b->nout;) {
		int k = sendmmsg(b->outfd, mm + sent, b->nout - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (k > 0) {
			sent += (unsigned)k;
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		int rc = k < 0 ? px_status_errno(errno) : IPC_EPEER;
		if (px_answer_refused(b->outfd, &b->oh[sent], &rc) && rc != IPC_EAGAIN) {
			sent++;         /* refused for its descriptors, and told: on */
			continue;
		}
		if (rc == IPC_EAGAIN) /* no room: the client is dropped (px_answer) */
			shutdown(b->outfd, SHUT_RDWR);
		break; /* or it has gone: discarded */
	}
	for (unsigned i = 0; i < b->nout; i++)
		px_close_sent(b->ocap[i], b->ofd[i], b->oh[i].ncaps);
	b->nout = 0;
}

/* Send what is held for fd, and release the frames of fd not served. */
static void px_rb_forget(struct px_rbatch *b, int fd)
{
	if (!b)
		return;
	if (b->nout && b->outfd == fd)
		px_rb_flush(b);
	if (b->fd == fd) {
		for (; b->next < b->n; b->next++)
			if (b->f[b->next].rc == 0)
				px_drop_caps(b->f[b->next].m.cap, b->f[b->next].m.ncaps);
		b->fd = -1;
	}
}

static void px_rb_free(void *p)
{
	struct px_rbatch *b = p;
	px_rb_flush(b);
	px_rb_forget(b, b->fd);
	free(b);
}

/* A server that returns from main after answering: what it answered goes. */
static void px_rb_atexit(void)
{
	px_rb_flush(px_rb);
}

static void px_rb_key_init(void)
{
	pthread_key_create(&px_rb_key, px_rb_free);
	atexit(px_rb_atexit);
}

static struct px_rbatch *px_rb_get(void)
{
	if (!px_rb) {
		pthread_once(&px_rb_once, px_rb_key_init);
		struct px_rbatch *b = malloc(sizeof *b);
		if (b) {
			b->fd = b->outfd = -1;
			b->n = b->next = b->nout = 0;
			pthread_setspecific(px_rb_key, b);
		}
		px_rb = b;
	}
	return px_rb;
}

int px_recv_frames(int fd, struct ipc_msg *const *msg, unsigned n, int flags,
                   struct mmsghdr *mm, struct px_room *room)
{
	for (unsigned i = 0; i < n; i++)
		mm[i] = (struct mmsghdr){ .msg_hdr = px_room_msghdr(&room[i], msg[i]) };
	int k;
	do
		k = recvmmsg(fd, mm, n, flags | MSG_CMSG_CLOEXEC, NULL);
	while (k < 0 && errno == EINTR);
	if (k <= 0)
		return k < 0 ? px_status_errno(errno) : IPC_EAGAIN;
	return k;
}

/* Receive up to PX_RBATCH frames from fd, the first into msg (no copy
 * for a batch of one) and the others into b: 0, or a status. */
static int px_rb_fill(struct px_rbatch *b, int fd, int flags, struct ipc_msg *msg)
{
	struct mmsghdr mm[PX_RBATCH];
	struct ipc_msg *to[PX_RBATCH];
	for (unsigned i = 0; i < PX_RBATCH; i++)
		to[i] = i ? &b->f[i].m : msg;
	int k = px_recv_frames(fd, to, PX_RBATCH, flags | MSG_WAITFORONE, mm, b->room);
	if (k < 0)
		return k;
	for (unsigned i = 0; i < (unsigned)k; i++)
		b->f[i].rc = px_frame_decode(&mm[i].msg_hdr, mm[i].msg_len, &b->f[i].h,
		                             i ? &b->f[i].m : msg, true, &b->f[i].hdr_ok);
	b->fd = fd;
	b->n = (unsigned)k;
	b->next = 0;
	return 0;
}

/* Whether msg lends a capability: its owner keeps it, and may close it
 * once the reply is answered, so such a reply is not held back. */
static bool px_lends(const struct ipc_msg *msg)
{
	for (uint32_t i = 0; i < msg->ncaps && i < IPC_MAX_CAPS; i++)
		if (IPC_CAP_IS_LENT(msg->cap[i]))
			return true;
	return false;
}

/* Answer request seq from s with msg (consumed), never waiting: a client
 * that leaves so many answers unread that this one finds no room is
 * dropped. */
static int px_answer(const struct px_src *s, uint16_t seq, struct ipc_msg *msg)
{
	struct px_rbatch *b = s->e ? NULL : px_rb;
	if (b && b->fd == s->fd && b->next < b->n && b->nout < PX_RBATCH &&
	    (!b->nout || b->outfd == s->fd) && !px_lends(msg)) {
		/* More of its requests wait: held back (px_rbatch). */
		unsigned i = b->nout++;
		int bad = px_answer_frame(msg, seq, &b->oh[i], b->ofd[i], PX_NO_CLIENT);
		memcpy(b->ow[i], msg->word, b->oh[i].nwords * sizeof(uint64_t));
		memcpy(b->ocap[i], msg->cap, b->oh[i].ncaps * sizeof(ipc_cap));
		b->outfd = s->fd;
		return bad;
	}
	px_rb_flush(b);
	return px_answer_now(s, seq, msg);
}

static int px_answer_now(const struct px_src *s, uint16_t seq, struct ipc_msg *msg)
{
	struct px_hdr h;
	int fds[IPC_MAX_CAPS];
	pid_t client = s->e && msg->ncaps ? px_ep_client(s->e, s->slot, 0) : PX_NO_CLIENT;
	int bad = px_answer_frame(msg, seq, &h, fds, client);
	int rc = px_send_answer(s->fd, &h, msg->word, fds);
	px_close_sent(msg->cap, fds, h.ncaps);
	if (rc == IPC_EAGAIN) {
		if (s->e)
			px_ep_remove(s->e, s->slot);
		else
			shutdown(s->fd, SHUT_RDWR);
	}
	return bad ? bad : px_gone_ok(rc);
}

/* Answer with a bare status. */
static void px_answer_status(const struct px_src *s, uint16_t seq, int status)
{
	struct ipc_msg m;
	ipc_msg_init(&m, (uint64_t)(int64_t)status, 0, 0);
	px_answer(s, seq, &m);
}

/* An outgoing request on connection ep, checked before it is sent: 0, or
 * the status to return, with its capabilities released (those it could
 * hold: a count past IPC_MAX_CAPS names none that can be trusted). */
int px_check_out(ipc_cap ep, struct ipc_msg *msg)
{
	if (msg->ncaps > IPC_MAX_CAPS)
		return IPC_EINVAL;
	if (msg->nwords > IPC_MAX_WORDS || msg->label > IPC_LABEL_MAX) {
		px_drop_caps(msg->cap, msg->ncaps);
		return IPC_EINVAL;
	}
	if (ep == IPC_CAP_NONE || PX_KIND(ep) != PX_K_FD) {
		px_drop_caps(msg->cap, msg->ncaps);
		return IPC_EBADCAP;
	}
	return 0;
}

/*
 * The peer of connection fd hung up: why, if it said so in a farewell
 * before it did, or IPC_EPEER.  What it left unread is discarded.  A peer
 * that closed with frames of ours unread makes the first receive fail
 * (ECONNRESET) before what it left: receive on once.
 */
int px_last_word(int fd)
{
	for (bool reset = false;;) {
		struct ipc_msg m;
		struct px_hdr h;
		bool hdr_ok;
		int rc = px_recv_frame(fd, &h, &m, MSG_DONTWAIT, false, &hdr_ok);
		if (rc == IPC_EPEER && !reset) {
			reset = true;
			continue;
		}
		if (rc < 0 && rc != IPC_EPROTO && rc != IPC_EVERSION)
			return IPC_EPEER;
		if (rc == 0) {
			px_drop_caps(m.cap, m.ncaps);
			if (h.seq == 0)
				return px_status_alone(&m);
		}
	}
}

/* A call (type PX_CALL or PX_COPY) on connection ep. */
static int px_call(ipc_cap ep, struct ipc_msg *msg, int type, int timeout_ms)
{
	int st = px_check_out(ep, msg);
	if (st)
		return st;
	int fd = PX_INDEX(ep);
	/* A connection with calls of its own (async.c) takes this one too. */
	struct px_async *a = px_async_find(fd);
	if (a)
		return px_async_call(a, msg, type, timeout_ms);
	uint16_t seq = ++px_seq ? px_seq : ++px_seq; /* 0 is a farewell's */
	struct px_hdr h = {
		.label = msg->label, .nwords = (uint16_t)msg->nwords,
		.ncaps = (uint16_t)msg->ncaps, .version = IPC_WIRE_VERSION,
		.type = (uint8_t)type, .seq = seq,
	};
	int64_t deadline = px_deadline(timeout_ms);
	int rc = px_send_frame(fd, &h, msg->word, msg->cap, 0, timeout_ms);
	if (rc < 0)
		return rc == IPC_EPEER ? px_last_word(fd) : rc;
	for (bool reset = false;;) {
		struct px_hdr rh;
		bool hdr_ok;
		if (deadline >= 0 && (rc = px_wait(fd, POLLIN, deadline)) < 0)
			return rc;
		rc = px_recv_frame(fd, &rh, msg, deadline >= 0 ? MSG_DONTWAIT : 0, false, &hdr_ok);
		if (rc == IPC_EAGAIN) {
			/* An O_NONBLOCK descriptor: wait here, not spin. */
			if (deadline < 0 && (rc = px_wait(fd, POLLIN, -1)) < 0)
				return rc;
			continue;
		}
		if (rc == IPC_EPEER && !reset) {
			reset = true; /* see px_last_word */
			continue;
		}
		if (rc < 0)
			return rc;
		if (rh.seq == seq)
			return 0;
		/* A late reply to a call that timed out, discarded, or a
		 * farewell, whose status is this call's. */
		px_drop_caps(msg->cap, msg->ncaps);
		if (rh.seq == 0)
			return px_status_alone(msg);
		/* A peer that keeps sending other replies does not hold the
		 * call past its deadline (px_wait finds them ready at once). */
		if (px_passed(deadline))
			return IPC_ETIMEDOUT;
	}
}

int ipc_call(ipc_cap ep, struct ipc_msg *msg)
{
	return px_call(ep, msg, PX_CALL, px_timeout);
}

int ipc_posix_call_timeout(ipc_cap ep, struct ipc_msg *msg, int timeout_ms)
{
	return px_call(ep, msg, PX_CALL, timeout_ms);
}

int px_call_timeout(void)
{
	return px_timeout;
}

int ipc_posix_set_timeout(int timeout_ms)
{
	int old = px_timeout;
	px_timeout = timeout_ms < 0 ? -1 : timeout_ms;
	return old;
}

int ipc_posix_copy(ipc_cap conn, ipc_cap *copy)
{
	struct ipc_msg m = {0};   /* no words, no capabilities */
	*copy = IPC_CAP_NONE;
	int rc = px_call(conn, &m, PX_COPY, px_timeout);
	if (rc < 0)
		return rc;
	/* A connection and nothing else, or a transport status alone. */
	if (m.label == 0 && m.ncaps == 1 && m.nwords == 0) {
		*copy = m.cap[0];
		return 0;
	}
	px_drop_caps(m.cap, m.ncaps);
	return px_status_alone(&m);
}

int ipc_send(ipc_cap ep, struct ipc_msg *msg)
{
	int st = px_check_out(ep, msg);
	if (st)
		return st;
	struct px_hdr h = {
		.label = msg->label, .nwords = (uint16_t)msg->nwords,
		.ncaps = (uint16_t)msg->ncaps, .version = IPC_WIRE_VERSION,
		.type = PX_SEND, .seq = 0,
	};
	int rc = px_send_frame(PX_INDEX(ep), &h, msg->word, msg->cap, 0, px_timeout);
	return rc == IPC_EPEER ? px_last_word(PX_INDEX(ep)) : rc;
}

/*
 * Serve one frame that arrived from s: a request becomes the current reply
 * and 1 is returned; copies and refused frames are answered here and 0
 * returned (receive the next).
 */
static int px_take(const struct px_src *s, int rc, const struct px_hdr *h, bool hdr_ok)
{
	if (rc < 0) {
		if (hdr_ok && (h->type == PX_CALL || h->type == PX_COPY))
			px_answer_status(s, h->seq, rc);
		else if (!hdr_ok && s->e)
			px_ep_remove(s->e, s->slot); /* not even a header: hang up */
		return 0;
	}
	if (h->type == PX_COPY) {
		/* A fresh connection, counted against the asker's client. */
		struct ipc_msg m;
		int c;
		ipc_msg_init(&m, 0, 0, 1);
		rc = s->e ? px_ep_new_conn(s->e, px_ep_client(s->e, s->slot, 0), &c) : IPC_ENOSYS;
		if (rc < 0)
			ipc_msg_init(&m, (uint64_t)(int64_t)rc, 0, 0);
		else
			m.cap[0] = PX_CAP(PX_K_FD, c);
		px_answer(s, h->seq, &m);
		return 0;
	}
	px_cur.src = *s;
	px_cur.seq = h->seq;
	px_cur.type = h->type;
	return 1;
}

/* The current request is over: its connection may close (px_ep_hold). */
static void px_cur_done(void)
{
	if (px_cur.type && px_cur.src.e)
		px_ep_release(px_cur.src.e, px_cur.src.slot);
	px_cur.type = 0;
}

/* Lock the event buffer of e until deadline: 0, or IPC_ETIMEDOUT. */
static int px_evlock(struct px_ep *e, int64_t deadline)
{
	if (deadline < 0)
		return pthread_mutex_lock(&e->evlock) == 0 ? 0 : IPC_EINVAL;
	int left = px_remaining(deadline);
	if (left == 0)
		return pthread_mutex_trylock(&e->evlock) == 0 ? 0 : IPC_ETIMEDOUT;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += left / 1000;
	ts.tv_nsec += (long)(left % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000)
		ts.tv_sec++, ts.tv_nsec -= 1000000000;
	return pthread_mutex_timedlock(&e->evlock, &ts) == 0 ? 0 : IPC_ETIMEDOUT;
}

static int px_recv(ipc_cap ep, struct ipc_msg *msg, int timeout_ms)
{
	/* A request the server neither answered nor saved fails now rather
	 * than leave its caller waiting for ever. */
	if (px_cur.type == PX_CALL)
		px_answer_status(&px_cur.src, px_cur.seq, IPC_EFAULT);
	px_cur_done();

	int64_t deadline = px_deadline(timeout_ms);
	struct px_hdr h;
	bool hdr_ok;
	int rc;

	if (ep != IPC_CAP_NONE && PX_KIND(ep) == PX_K_FD) {
		/* Serve a lone connection. */
		struct px_src s = { .e = NULL, .slot = -1, .fd = PX_INDEX(ep) };
		struct px_rbatch *b = px_rb_get();
		bool handled = false;
		for (;;) {
			if (b && b->fd == s.fd && b->next < b->n) {
				/* The next of a batch already received. */
				unsigned i = b->next++;
				rc = b->f[i].rc;
				h = b->f[i].h;
				hdr_ok = b->f[i].hdr_ok;
				if (rc == 0 && i) { /* the first is in msg already */
					msg->label = b->f[i].m.label;
					msg->nwords = b->f[i].m.nwords;
					msg->ncaps = b->f[i].m.ncaps;
					memcpy(msg->word, b->f[i].m.word, msg->nwords * sizeof msg->word[0]);
					memcpy(msg->cap, b->f[i].m.cap, msg->ncaps * sizeof msg->cap[0]);
				}
			} else {
				px_rb_flush(b); /* before waiting */
				/* Frames handled here (dropped, or answered by the
				 * runtime) do not hold the receive past its deadline;
				 * none is left in the batch then. */
				if (handled && px_passed(deadline))
					return timeout_ms == 0 ? IPC_EAGAIN : IPC_ETIMEDOUT;
				if (deadline >= 0 && (rc = px_wait(s.fd, POLLIN, deadline)) < 0)
					return timeout_ms == 0 && rc == IPC_ETIMEDOUT ? IPC_EAGAIN : rc;
				int flags = deadline >= 0 ? MSG_DONTWAIT : 0;
				if (b && (b->fd < 0 || b->next >= b->n)) {
					if ((rc = px_rb_fill(b, s.fd, flags, msg)) == 0)
						continue;
				} else { /* another connection's frames wait in b */
					rc = px_recv_frame(s.fd, &h, msg, flags, true, &hdr_ok);
				}
			}
			if (rc == IPC_EAGAIN) {
				if (deadline < 0 && (rc = px_wait(s.fd, POLLIN, -1)) < 0)
					return rc;
				continue;
			}
			if (rc == IPC_EPEER || (rc < 0 && rc != IPC_EPROTO && rc != IPC_EVERSION))
				return rc;
			if (px_take(&s, rc, &h, hdr_ok))
				return 0;
			handled = true;
		}
	}

	struct px_ep *e = px_ep_get(ep);
	if (!e)
		return IPC_EBADCAP;
	if (timeout_ms < 0 && e->nonblock)
		deadline = px_deadline(0), timeout_ms = 0;
	for (bool first = true;; first = false) {
		/* Events handled here (connections accepted, frames dropped or
		 * answered by the runtime) do not hold the receive past its
		 * deadline, however many arrive. */
		if (!first && px_passed(deadline))
			return timeout_ms == 0 ? IPC_EAGAIN : IPC_ETIMEDOUT;
		/* Events from one epoll_wait are served one per receive, so
		 * that busy clients cost one wait for several requests; with
		 * several receiving threads, the one holding evlock waits in
		 * epoll_wait and the others for the lock. */
		if ((rc = px_evlock(e, deadline)) < 0)
			return timeout_ms == 0 ? IPC_EAGAIN : rc;
		if (atomic_load_explicit(&e->stopped, memory_order_relaxed)) {
			pthread_mutex_unlock(&e->evlock);
			return IPC_EPEER;
		}
		if (e->iev >= e->nev) {
			int n = epoll_wait(e->epfd, e->evbuf, PX_EV_BATCH, px_remaining(deadline));
			if (n <= 0) {
				pthread_mutex_unlock(&e->evlock);
				if (n < 0 && errno == EINTR)
					continue;
				if (n < 0)
					return px_status_errno(errno);
				return timeout_ms == 0 ? IPC_EAGAIN : IPC_ETIMEDOUT;
			}
			e->nev = n;
			e->iev = 0;
		}
		uint64_t data = e->evbuf[e->iev++].data.u64;
		pthread_mutex_unlock(&e->evlock);
		if (data == PX_EV_STOP)
			continue;
		struct px_src s = { .e = e, .slot = PX_EV_SLOT(data), .fd = PX_EV_FD(data) };
		if (s.slot < 0) {
			if ((rc = px_ep_accept(e)) < 0)
				return rc;
			continue;
		}
		if (!px_ep_hold(e, s.slot, s.fd))
			continue; /* removed since its event */
		rc = px_recv_frame(s.fd, &h, msg, MSG_DONTWAIT, true, &hdr_ok);
		if (rc == IPC_EAGAIN) {
			px_ep_release(e, s.slot); /* another thread took it */
			continue;
		}
		if (rc < 0 && rc != IPC_EPROTO && rc != IPC_EVERSION)
			px_ep_remove(e, s.slot); /* the client hung up or failed */
		else if (px_take(&s, rc, &h, hdr_ok))
			return 0; /* released when the request is over */
		px_ep_release(e, s.slot);
	}
}

int ipc_recv(ipc_cap ep, struct ipc_msg *msg)
{
	return px_recv(ep, msg, -1);
}

int ipc_posix_recv_timeout(ipc_cap ep, struct ipc_msg *msg, int timeout_ms)
{
	return px_recv(ep, msg, timeout_ms < 0 ? -1 : timeout_ms);
}

int ipc_reply(struct ipc_msg *msg)
{
	int type = px_cur.type;
	if (type == PX_CALL) {
		int rc = px_answer(&px_cur.src, px_cur.seq, msg);
		px_cur_done();
		return rc;
	}
	px_cur_done();
	if (msg->ncaps <= IPC_MAX_CAPS)
		px_drop_caps(msg->cap, msg->ncaps);
	/* A one-way request wants no reply: the reply is discarded. */
	return type == PX_SEND ? 0 : IPC_EINVAL;
}

/* Whether saved reply x answers a connection of an endpoint that has gone
 * (a lone connection's duplicate keeps its connection). */
static bool px_reply_orphan(const struct px_saved *x)
{
	struct px_ep *e;
	return x->dup < 0 && (!(e = px_ep_get(PX_CAP(PX_K_EP, x->ep))) || !px_ep_has(e, x->slot, x->id));
}

/* Put saved reply r in the table: 0 and its capability in *reply, or
 * IPC_EBUSY for a lone connection that holds as many as one may, or
 * IPC_ENOMEM when the table is full. */
static int px_reply_put(const struct px_saved *r, ipc_cap *reply)
{
	int rc = IPC_ENOMEM;
	pthread_mutex_lock(&px_replies_lock);
	if (r->dup >= 0) {
		/* An endpoint counts its connections' replies; a lone
		 * connection's are counted here. */
		unsigned n = 0;
		for (size_t i = 0; i < IPC_POSIX_MAX_REPLIES; i++)
			n += px_replies[i].used && px_replies[i].dup >= 0 && px_replies[i].lone == r->lone;
		if (n >= IPC_POSIX_MAX_SAVED)
			rc = IPC_EBUSY;
	}
	/* Scan from after the last slot taken: usually free at once.  When
	 * none is, a reply whose connection has gone gives its place: its
	 * caller waits for nothing, and a client that hangs up with calls
	 * saved, again and again, would otherwise fill the table for all. */
	for (int pass = 0; rc == IPC_ENOMEM && pass < 2; pass++) {
		for (size_t k = 0; rc == IPC_ENOMEM && k < IPC_POSIX_MAX_REPLIES; k++) {
			size_t i = (px_replies_next + k) % IPC_POSIX_MAX_REPLIES;
			struct px_saved *x = &px_replies[i];
			if (x->used && !(pass && px_reply_orphan(x)))
				continue;
			uint16_t gen = (uint16_t)(x->gen + x->used);
			uint32_t lost = x->used ? x->gen + 1u : x->lost;
			px_replies_next = i + 1;
			*x = *r;
			x->gen = gen;
			x->lost = lost;
			*reply = PX_CAP(PX_K_REPLY, (ipc_cap)gen << PX_REPLY_BITS | i);
			rc = 0;
		}
	}
	pthread_mutex_unlock(&px_replies_lock);
	return rc;
}

int ipc_reply_save(ipc_cap *reply)
{
	*reply = IPC_CAP_NONE;
	if (px_cur.type != PX_CALL)
		return IPC_EINVAL;
	const struct px_src *s = &px_cur.src;
	struct px_saved r = { .used = true, .seq = px_cur.seq, .dup = -1, .lone = s->fd };
	int rc;
	if (s->e) {
		r.ep = (uint32_t)(s->e - px_eps);
		r.slot = s->slot;
		if ((rc = px_ep_save(s->e, s->slot, &r.id)) < 0)
			return rc;
	} else if ((r.dup = fcntl(s->fd, F_DUPFD_CLOEXEC, 0)) < 0) {
		/* A duplicate keeps the connection whatever its owner does. */
		return px_status_errno(errno);
	}
	if ((rc = px_reply_put(&r, reply)) < 0) {
		if (s->e)
			px_ep_answer_saved(s->e, s->slot, r.id, NULL, NULL, NULL);
		else
			close(r.dup);
		return rc;
	}
	px_cur_done();
	return 0;
}

/* Take saved reply cap out of the table into *r: 1; 0 if its place went
 * to another reply (its caller had gone); -1 if it is no saved reply, or
 * one answered or dropped already. */
static int px_reply_take(ipc_cap reply, struct px_saved *r)
{
	uint32_t i = (uint32_t)PX_INDEX(reply) & ((1u << PX_REPLY_BITS) - 1);
	uint16_t gen = (uint16_t)(PX_INDEX(reply) >> PX_REPLY_BITS);
	if (reply == IPC_CAP_NONE || PX_KIND(reply) != PX_K_REPLY || i >= IPC_POSIX_MAX_REPLIES)
		return -1;
	pthread_mutex_lock(&px_replies_lock);
	const struct px_saved *x = &px_replies[i];
	int rc = x->gen == gen && x->used ? 1 : x->lost == gen + 1u ? 0 : -1;
	if (rc > 0) {
		*r = px_replies[i];
		px_replies[i].used = false;
		px_replies[i].gen++;
	}
	pthread_mutex_unlock(&px_replies_lock);
	return rc;
}

int ipc_reply_to(ipc_cap reply, struct ipc_msg *msg)
{
	struct px_saved r;
	int taken = px_reply_take(reply, &r);
	if (taken <= 0) {
		if (msg->ncaps <= IPC_MAX_CAPS)
			px_drop_caps(msg->cap, msg->ncaps);
		/* A reply whose place went to another: its caller had gone. */
		return taken < 0 ? IPC_EBADCAP : 0;
	}
	if (r.dup >= 0) {
		struct px_src s = { .e = NULL, .slot = -1, .fd = r.dup };
		int rc = px_answer(&s, r.seq, msg);
		close(r.dup);
		return rc;
	}
	/* The endpoint and its connection may have gone meanwhile. */
	struct px_hdr h;
	int fds[IPC_MAX_CAPS];
	struct px_ep *e = px_ep_get(PX_CAP(PX_K_EP, r.ep));
	pid_t client = e && msg->ncaps ? px_ep_client(e, r.slot, r.id) : PX_NO_CLIENT;
	int bad = px_answer_frame(msg, r.seq, &h, fds, client);
	int rc = e ? px_ep_answer_saved(e, r.slot, r.id, &h, msg->word, fds) : IPC_EPEER;
	px_close_sent(msg->cap, fds, h.ncaps);
	return bad ? bad : px_gone_ok(rc);
}

int ipc_cap_drop(ipc_cap cap)
{
	if (cap == IPC_CAP_NONE)
		return IPC_EBADCAP;
	if (IPC_CAP_IS_LENT(cap))
		return 0; /* still its lender's */
	switch (PX_KIND(cap)) {
	case PX_K_TAIL:
		return px_tail_free((uint32_t)PX_INDEX(cap)) ? 0 : IPC_EBADCAP;
	case PX_K_FD:
		if (px_async_find(PX_INDEX(cap)))
			px_async_forget(PX_INDEX(cap));
		px_rb_forget(px_rb, PX_INDEX(cap));
		return close(PX_INDEX(cap)) == 0 || errno == EINTR ? 0 : IPC_EBADCAP;
	case PX_K_EP:
		return px_ep_drop(cap);
	case PX_K_REPLY: {
		/* Dropped unanswered: the caller learns it, rather than wait. */
		struct ipc_msg m;
		ipc_msg_init(&m, (uint64_t)(int64_t)IPC_EPEER, 0, 0);
		return ipc_reply_to(cap, &m) == IPC_EBADCAP ? IPC_EBADCAP : 0;
	}
	default:
		return IPC_EBADCAP;
	}
}
