/*
 * port.h: internals shared by the files of the POSIX port (transport.c,
 * endpoint.c, page.c).  Nothing outside runtime/port/posix includes it.
 *
 * A capability value names what it is in its top bits:
 *
 *   0x0fffffff & cap   the descriptor (kind FD) or the table slot
 *   cap >> 28          kind: 0 a descriptor, 1 a server endpoint (slot in
 *                      px_eps), 2 a saved reply (slot in px_replies), 3 a
 *                      tail: a small region held in memory (slot in the
 *                      table of ool.c)
 *
 * On a connection, a message is one SOCK_SEQPACKET packet: a 16-byte header
 * (struct px_hdr, host byte order: both ends share a machine), then nwords
 * 64-bit words, then, if any capability is a tail, the tail block; and the
 * other capabilities as SCM_RIGHTS descriptors, in their order.  The tail
 * block: a word whose bit i says capability i is a tail (no other bits),
 * one word per tail giving its length (1 to PX_TAIL_MAX bytes, at most
 * PX_TAIL_MAX in all), then each tail's bytes, zeros after them up to a
 * multiple of 8.  mercury_posix(3) documents the frame, and the limits that keep one
 * client from exhausting a server.
 */
#ifndef PX_PORT_H
#define PX_PORT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#include "mercury/ipc.h"
#include "mercury/posix.h"

#define PX_KIND_SHIFT 28
#define PX_INDEX_MASK ((UINT32_C(1) << PX_KIND_SHIFT) - 1)
enum px_kind { PX_K_FD = 0, PX_K_EP = 1, PX_K_REPLY = 2, PX_K_TAIL = 3 };
#define PX_KIND(cap) ((cap) >> PX_KIND_SHIFT)
#define PX_INDEX(cap) ((int)((cap) & PX_INDEX_MASK))
#define PX_CAP(kind, index) ((ipc_cap)(kind) << PX_KIND_SHIFT | (ipc_cap)(index))

/* The frame header. */
enum px_type {
	PX_CALL = 1,  /* a request that wants a reply */
	PX_SEND = 2,  /* a one-way request */
	PX_REPLY = 3, /* the answer to a PX_CALL or PX_COPY, same seq; seq 0:
	               * why the server closes the connection (a farewell) */
	PX_COPY = 4,  /* runtime control: "a fresh connection, please" */
};
struct px_hdr {
	uint64_t label;  /* request: label; reply: status */
	uint16_t nwords; /* words that follow the header */
	uint16_t ncaps;  /* descriptors in SCM_RIGHTS */
	uint8_t version; /* IPC_WIRE_VERSION */
	uint8_t type;    /* enum px_type */
	uint16_t seq;    /* matches a reply to its call */
};
_Static_assert(sizeof(struct px_hdr) == 16, "frame header is 16 bytes");
#define PX_FRAME_MAX (sizeof(struct px_hdr) + IPC_MAX_WORDS * sizeof(uint64_t))
/* A frame is received straight into a struct ipc_msg: the header over its
 * label and counts, the words onto its words, never past them. */
_Static_assert(offsetof(struct ipc_msg, word) == sizeof(struct px_hdr),
               "ipc_msg words sit where the frame's do");
_Static_assert(offsetof(struct ipc_msg, word) + sizeof(((struct ipc_msg *)0)->word) == PX_FRAME_MAX,
               "a whole frame fits before ipc_msg's capabilities");

/*
 * Tails (ool.c): a region of at most PX_TAIL_MAX bytes is kept in memory
 * and travels inside the frame of the message that carries it, which costs
 * a copy where a memfd costs a handful of system calls.  A frame carries
 * at most PX_TAIL_MAX bytes of tails in all: past that, the sender makes
 * the others memfds as it sends.  In the descriptor array of a message
 * being sent, a tail is PX_FD_TAIL(its slot) rather than a descriptor.
 */
#define PX_TAIL_MAX 8192u
#define PX_TAIL_BUF (8 + IPC_MAX_CAPS * 16 + PX_TAIL_MAX)   /* a tail block, padding included */
#define PX_FD_TAIL(slot) (-2 - (int)(slot))
#define PX_FD_IS_TAIL(fd) ((fd) <= -2)
#define PX_FD_TAIL_SLOT(fd) ((uint32_t)(-2 - (fd)))
unsigned char *px_bytes_new(size_t len, bool zero);          /* bytes for a tail */
void px_bytes_unref(unsigned char *b);
int px_tail_new(unsigned char *bytes, size_t len, ipc_cap *cap);  /* takes px_bytes_new's */
bool px_tail_find(uint32_t slot, const unsigned char **bytes, size_t *len);
bool px_tail_free(uint32_t slot);                           /* false: no such tail */
int px_tail_memfd(uint32_t slot, int *fd);                  /* a sealed memfd of its bytes */

/* What px_frame_out builds for sendmsg(2): the frame of h, words and the
 * descriptors or tails fds (h->ncaps of them). */
struct px_out {
	struct msghdr m;
	struct iovec iov[3 + 2 * IPC_MAX_CAPS];
	uint64_t tailhdr[1 + IPC_MAX_CAPS];
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * IPC_MAX_CAPS)];
	} cb;
};
void px_frame_out(struct px_out *o, const struct px_hdr *h, const uint64_t *words, const int *fds);

/* Most ready events one epoll_wait hands to a server endpoint. */
#define PX_EV_BATCH 16

/* Slots of an endpoint's limits, by enum ipc_posix_limit (0 unused). */
#define PX_NLIMITS (IPC_POSIX_LIMIT_UNREAD + 1)

/* A connection of a server endpoint: a slot it keeps while it lives. */
struct px_conn {
	int fd;         /* -1: the slot is free */
	pid_t client;   /* the client process it counts against, or PX_NO_CLIENT */
	uint32_t saved; /* its saved replies not yet answered */
	uint32_t busy;  /* threads receiving from or answering it right now */
	bool closing;   /* removed: closed when the last busy thread lets go */
	uint64_t id;    /* unique in the process: how a saved reply names it */
};
#define PX_NO_CLIENT ((pid_t)-1) /* made or given by the program itself */

/* Server endpoints: a table of slots, so that a capability names one. */
struct px_ep {
	pthread_mutex_t lock; /* guards everything below but epfd and the events */
	int epfd;             /* the wait set; -1: slot free */
	int lfd;              /* listening socket or -1 */
	char *path;           /* published path to unlink, or NULL */
	struct px_conn *conns; /* nslots slots, nconns of them in use */
	size_t nconns, nslots;
	unsigned limit[PX_NLIMITS]; /* by enum ipc_posix_limit */
	bool nonblock;
	bool lpaused;         /* lfd left the wait set: out of descriptors */
	/* Ready events not yet served, under evlock: the thread that holds
	 * it takes the next, or waits in epoll_wait for more while the other
	 * receiving threads wait for the lock (one wakes per event). */
	pthread_mutex_t evlock;
	struct epoll_event evbuf[PX_EV_BATCH];
	int nev, iev;
	atomic_bool stopped;  /* ipc_posix_stop: every receive ends */
	int stopfd;           /* an eventfd, readable for ever once stopped */
};
extern struct px_ep px_eps[IPC_POSIX_MAX_ENDPOINTS];

/* epoll data: a connection's slot + 1 above its descriptor, 0 above the
 * listening socket's; PX_EV_STOP above the stop descriptor.  An event
 * buffered for a connection since removed is recognised by px_ep_hold. */
#define PX_EV(slot, fd) ((uint64_t)(uint32_t)((slot) + 1) << 32 | (uint32_t)(fd))
#define PX_EV_SLOT(u) ((int)((u) >> 32) - 1) /* -1: the listening socket */
#define PX_EV_FD(u) ((int)(uint32_t)(u))
#define PX_EV_STOP UINT64_MAX

/* Where a request came from: connection slot of endpoint e, or (e NULL) a
 * lone connection served directly. */
struct px_src {
	struct px_ep *e;
	int slot;
	int fd;
};

/* transport.c */
int px_status_errno(int err);
int64_t px_now_ms(void);
int64_t px_deadline(int timeout_ms);
int px_remaining(int64_t deadline);
bool px_passed(int64_t deadline);   /* a deadline (not -1) that has come */
int px_wait(int fd, short events, int64_t deadline);
void px_close_fds(const int *fds, size_t n);
void px_close_sent(const ipc_cap *caps, const int *fds, size_t n);
int px_send_frame(int fd, const struct px_hdr *h, const uint64_t *words, const ipc_cap *caps,
                  int flags, int timeout_ms);
int px_status_alone(const struct ipc_msg *m);
int px_recv_frame(int fd, struct px_hdr *h, struct ipc_msg *msg, int flags, bool server,
                  bool *hdr_ok);
struct msghdr;
/* Room for the descriptors of one frame. */
union px_cmsgbuf {
	struct cmsghdr align;
	char buf[CMSG_SPACE(sizeof(int) * IPC_MAX_CAPS)];
};
/* Room to receive one frame beside its message: its descriptors, its tails. */
struct px_room {
	struct iovec iov[2];
	unsigned char tail[PX_TAIL_BUF];
	union px_cmsgbuf cb;    /* last: clang takes CMSG_SPACE for a variable size */
};
/* Up to n frames with one recvmmsg(2), frame i into msg[i] (mm, room: the
 * caller's for n); each then goes to px_frame_decode with mm[i].  How many
 * came, or a status (IPC_EAGAIN: none). */
int px_recv_frames(int fd, struct ipc_msg *const *msg, unsigned n, int flags,
                   struct mmsghdr *mm, struct px_room *room);
int px_frame_decode(struct msghdr *m, size_t n, struct px_hdr *h, struct ipc_msg *msg,
                    bool server, bool *hdr_ok);
int px_check_out(ipc_cap ep, struct ipc_msg *msg);
int px_last_word(int fd);
int px_call_timeout(void);
void px_drop_caps(const ipc_cap *caps, size_t n);
int px_sendmsg(int fd, const struct px_hdr *h, const uint64_t *words, const int *fds,
               int flags, int timeout_ms);
int px_send_answer(int fd, const struct px_hdr *h, const uint64_t *words, const int *fds);
void px_farewell(int fd, int status);

/* async.c: a connection's asynchronous calls, found by its descriptor. */
struct px_async;
struct px_async *px_async_find(int fd);
int px_async_call(struct px_async *a, struct ipc_msg *msg, int type, int timeout_ms);
void px_async_forget(int fd);

/* endpoint.c */
struct px_ep *px_ep_get(ipc_cap ep);
int px_ep_add(struct px_ep *e, int fd, pid_t client);
void px_ep_remove(struct px_ep *e, int slot);
bool px_ep_hold(struct px_ep *e, int slot, int fd);
void px_ep_release(struct px_ep *e, int slot);
int px_ep_accept(struct px_ep *e);
int px_ep_drop(ipc_cap ep);
int px_ep_new_conn(struct px_ep *e, pid_t client, int *clientfd);
pid_t px_ep_client(struct px_ep *e, int slot, uint64_t id);
bool px_ep_has(struct px_ep *e, int slot, uint64_t id);
int px_ep_save(struct px_ep *e, int slot, uint64_t *id);
int px_ep_answer_saved(struct px_ep *e, int slot, uint64_t id, const struct px_hdr *h,
                       const uint64_t *words, const int *fds);

#endif
