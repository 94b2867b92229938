/*
 * mercury/posix.h: what the POSIX (Linux) port of the Mercury transport adds
 * to mercury/ipc.h: making and finding endpoints, shared-memory pages,
 * waiting on several endpoints, timeouts, and the descriptors beneath.
 *
 * Generated stubs never include this header; the programs that set up
 * endpoints for them do.  See mercury_posix(3).
 *
 * A capability (ipc_cap) is, in this port, one of:
 *   - a descriptor: a connection (one end of an AF_UNIX SOCK_SEQPACKET
 *     socket, which can be called, or served), a page (a sealed memfd), or
 *     any other descriptor the program passes along;
 *   - a server endpoint: a wait set (an epoll descriptor) over a listening
 *     socket and the connections it accepted or was given;
 *   - a reply capability, from ipc_reply_save().
 * Capabilities sent in a message move, as mercury_ipc(3) says.  Sending a
 * server endpoint sends a fresh connection to it; the endpoint stays.
 */
#ifndef MERCURY_POSIX_H
#define MERCURY_POSIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Size of a page: the unit of page capabilities. */
#define IPC_PAGE_SIZE 4096

/* Most server endpoints one process holds at once. */
#define IPC_POSIX_MAX_ENDPOINTS 1024
/* Most saved (deferred) replies one process holds at once. */
#define IPC_POSIX_MAX_REPLIES 4096

/* Limits of a server endpoint, so that no one client exhausts its server
 * (see LIMITS in mercury_posix(3)); the defaults: */
#define IPC_POSIX_MAX_CONNS 512       /* connections to one endpoint */
#define IPC_POSIX_MAX_CLIENT_CONNS 64 /* of which one client process opened */
#define IPC_POSIX_MAX_SAVED 16        /* saved replies of one connection */
#define IPC_POSIX_MAX_UNREAD 262144   /* bytes of answers one leaves unread */
enum ipc_posix_limit {
	IPC_POSIX_LIMIT_CONNS = 1,    /* IPC_POSIX_MAX_CONNS */
	IPC_POSIX_LIMIT_CLIENT_CONNS, /* IPC_POSIX_MAX_CLIENT_CONNS */
	IPC_POSIX_LIMIT_SAVED,        /* IPC_POSIX_MAX_SAVED */
	IPC_POSIX_LIMIT_UNREAD,       /* IPC_POSIX_MAX_UNREAD */
};

/* Endpoints and connections. */

/* Make a server endpoint and publish it at the socket path.  A stale socket
 * there is replaced; a live one is IPC_EBUSY.  Dropping the endpoint unlinks
 * the path. */
int ipc_posix_listen(const char *path, ipc_cap *ep);
/* Make a server endpoint with no name: connections reach it through
 * ipc_posix_connection(), ipc_posix_serve(), or by sending it. */
int ipc_posix_endpoint(ipc_cap *ep);
/* Make a server endpoint from a listening SOCK_SEQPACKET descriptor (e.g.
 * one inherited from a service manager).  The endpoint owns fd. */
int ipc_posix_endpoint_fd(int fd, ipc_cap *ep);
/* Connect to the server endpoint published at path. */
int ipc_posix_connect(const char *path, ipc_cap *conn);
/* A fresh connection to a server endpoint of this process. */
int ipc_posix_connection(ipc_cap ep, ipc_cap *conn);
/* Serve a connection on server endpoint ep: conn joins ep's wait set.
 * Consumes conn on every path. */
int ipc_posix_serve(ipc_cap ep, ipc_cap conn);
/* A connected pair: call one end, serve (or hand over) the other. */
int ipc_posix_pair(ipc_cap *a, ipc_cap *b);
/* Copy a connection: ask the server at its other end for a fresh
 * connection to the same endpoint (one round trip).  Connections carry one
 * call at a time; give each thread or process its own copy. */
int ipc_posix_copy(ipc_cap conn, ipc_cap *copy);
/* A capability for a descriptor this process holds, e.g. one inherited
 * across exec.  The capability owns fd. */
int ipc_posix_adopt(int fd, ipc_cap *cap);
/* The descriptor beneath a capability: for a server endpoint, its wait set,
 * readable when a request (or a connection) is waiting; watch it with poll,
 * epoll or libuv, then receive.  -1 for anything else. */
int ipc_posix_fd(ipc_cap cap);

/* Set a limit of server endpoint ep to value (at least 1), and return the
 * previous one in *old unless old is NULL.  A limit lowered below what is
 * in use refuses more, and takes nothing away; IPC_POSIX_LIMIT_UNREAD holds
 * for connections the endpoint takes from then on. */
int ipc_posix_set_limit(ipc_cap ep, enum ipc_posix_limit limit, unsigned value, unsigned *old);

/* Serving one endpoint from several threads. */

/* Most threads ipc_posix_serve_threads runs. */
#define IPC_POSIX_MAX_THREADS 64
/* Serve endpoint ep from nthreads threads, the calling one among them:
 * each runs dispatch(obj) (a generated dispatch, through a function taking
 * void *) again and again, so that the implementation's functions may
 * block while other threads serve on.  Returns once every thread has
 * stopped: 0 after ipc_posix_stop(ep), IPC_EBADCAP if ep went, IPC_EINVAL
 * or IPC_ENOMEM if they could not start.  Any thread may answer a saved
 * reply (ipc_reply_to). */
int ipc_posix_serve_threads(ipc_cap ep, unsigned nthreads, int (*dispatch)(void *obj), void *obj);
/* Make every ipc_recv on ep, waiting or to come, return IPC_EPEER: how
 * ipc_posix_serve_threads, and any thread serving ep, is told to stop.
 * Drop ep only once no thread uses it. */
int ipc_posix_stop(ipc_cap ep);

/* Receiving without blocking, waiting on several endpoints. */

/* Make ipc_recv on server endpoint ep return IPC_EAGAIN instead of waiting
 * when no request is ready (for programs with their own event loop). */
int ipc_posix_nonblock(ipc_cap ep, bool nonblock);
/* ipc_recv with a timeout in milliseconds (-1: none, 0: do not wait). */
int ipc_posix_recv_timeout(ipc_cap ep, struct ipc_msg *msg, int timeout_ms);

#define IPC_POLLRECV 1u  /* a message waits; on an endpoint, work (a request, a
                            connection, a hang-up): receive non-blocking */
#define IPC_POLLHUP 2u   /* the peer closed (connections and descriptors) */
struct ipc_pollcap {
	ipc_cap cap;
	unsigned events;  /* IPC_POLLRECV */
	unsigned revents; /* set by ipc_posix_poll */
};
/* Wait until one of the capabilities is ready or timeout_ms passes (-1: no
 * timeout).  Returns how many are ready (0 on timeout) or a status < 0. */
int ipc_posix_poll(struct ipc_pollcap *caps, size_t ncaps, int timeout_ms);

/* Asynchronous calls (mercury_ipc(3)): at most IPC_POSIX_MAX_CALLS
 * outstanding on one connection, of which IPC_POSIX_WINDOW in flight at
 * once (the others wait in the runtime, in order, and go as replies come).
 * The window is more than the replies a server may save per connection
 * (IPC_POSIX_MAX_SAVED), so that a call can always reach a server that
 * holds as many as it may, and its answers all fit what a server lets a
 * connection leave unread (IPC_POSIX_MAX_UNREAD: 32 of the largest). */
#define IPC_POSIX_MAX_CALLS 256
#define IPC_POSIX_WINDOW 24
/* The readiness descriptor of connection conn's asynchronous calls: one
 * descriptor for any event loop, readable when a reply has come, a call's
 * deadline has passed or ended calls wait; then call ipc_call_dispatch (or
 * collect).  Made when first asked for; it lives as long as conn does, and
 * goes when conn is dropped.  A status < 0 on failure. */
int ipc_posix_async_fd(ipc_cap conn);

/* Timeouts of calls. */

/* Set the calling thread's timeout for ipc_call (and ipc_posix_copy and
 * ipc_posix_connect) in milliseconds, -1 for none (the default).  A call that times out returns
 * IPC_ETIMEDOUT; a reply arriving later is recognised and discarded.
 * Returns the previous timeout. */
int ipc_posix_set_timeout(int timeout_ms);
/* ipc_call with a timeout for this call only. */
int ipc_posix_call_timeout(ipc_cap ep, struct ipc_msg *msg, int timeout_ms);

/* Pages: shared memory that moves as capabilities. */

/* Allocate npages pages of shared memory as one page capability (a sealed
 * memfd) and map it read-write at *addr (NULL: do not map). */
int ipc_page_alloc(size_t npages, ipc_cap *page, void **addr);
/* Another capability for the same pages (to send while keeping one). */
int ipc_page_dup(ipc_cap page, ipc_cap *copy);
/* The size in bytes of the pages a page capability names. */
int ipc_page_size(ipc_cap page, size_t *size);
/* Map the page capabilities received in a message, contiguously and in
 * order, writable if writable.  Refuses (IPC_EBADCAP) a capability that is
 * not a page or whose size its sender could still change.  The capabilities
 * stay owned by the caller; unmap with ipc_page_unmap. */
int ipc_page_map(const ipc_cap *pages, size_t npages, bool writable,
                 void **addr, size_t *len);
int ipc_page_unmap(void *addr, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* MERCURY_POSIX_H */
