/*
 * endpoint.c: server endpoints of the POSIX port, and the ways to make,
 * find and hand over connections to them.
 *
 * A server endpoint is a slot in px_eps: an epoll set (the wait set, one
 * descriptor a program's own event loop can watch) over an optional
 * listening socket, published at a path, and the connections accepted from
 * it or given to it.  Many clients share an endpoint, each over its own
 * connection, so replies never mix.  Slots are allocated when an endpoint is
 * made; the connection table grows when a connection arrives; nothing is
 * allocated per message.
 *
 * Its clients are untrusted, so an endpoint has limits (mercury_posix(3),
 * LIMITS): connections in all, connections one client process opened (by
 * its credentials when it connected), saved replies per connection, and the
 * bytes of answers a connection leaves unread (the kernel counts them: the
 * send buffer of the server's end, whose overflow drops the client).  A
 * connection past a limit is told IPC_EBUSY (a farewell frame) and closed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "port.h"

struct px_ep px_eps[IPC_POSIX_MAX_ENDPOINTS];
/* Read without the lock by px_ep_get, so atomic: set last when a slot is
 * filled (release), cleared first when it is emptied. */
static atomic_bool px_eps_used[IPC_POSIX_MAX_ENDPOINTS];
static pthread_mutex_t px_eps_lock = PTHREAD_MUTEX_INITIALIZER;
/* The last connection id given. */
static atomic_uint_fast64_t px_conn_ids;

/* An endpoint's limits when it is made. */
static const unsigned px_limit_default[PX_NLIMITS] = {
	[IPC_POSIX_LIMIT_CONNS] = IPC_POSIX_MAX_CONNS,
	[IPC_POSIX_LIMIT_CLIENT_CONNS] = IPC_POSIX_MAX_CLIENT_CONNS,
	[IPC_POSIX_LIMIT_SAVED] = IPC_POSIX_MAX_SAVED,
	[IPC_POSIX_LIMIT_UNREAD] = IPC_POSIX_MAX_UNREAD,
};
_Static_assert(IPC_POSIX_LIMIT_CONNS == 1 && PX_NLIMITS == 5, "a default for every limit");

struct px_ep *px_ep_get(ipc_cap ep)
{
	if (ep == IPC_CAP_NONE || PX_KIND(ep) != PX_K_EP ||
	    PX_INDEX(ep) >= IPC_POSIX_MAX_ENDPOINTS ||
	    !atomic_load_explicit(&px_eps_used[PX_INDEX(ep)], memory_order_acquire))
		return NULL;
	return &px_eps[PX_INDEX(ep)];
}

/* A new endpoint over listening socket lfd (or -1); takes lfd and path. */
static int px_ep_new(int lfd, char *path, ipc_cap *ep)
{
	int rc = IPC_ENOMEM;
	*ep = IPC_CAP_NONE;
	int epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0) {
		rc = px_status_errno(errno);
		goto fail;
	}
	if (lfd >= 0) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = PX_EV(-1, lfd) };
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev) < 0) {
			rc = px_status_errno(errno);
			goto fail;
		}
	}
	pthread_mutex_lock(&px_eps_lock);
	for (size_t i = 0; i < IPC_POSIX_MAX_ENDPOINTS; i++) {
		if (atomic_load_explicit(&px_eps_used[i], memory_order_relaxed))
			continue;
		struct px_ep *e = &px_eps[i];
		pthread_mutex_init(&e->lock, NULL);
		pthread_mutex_init(&e->evlock, NULL);
		atomic_store(&e->stopped, false);
		e->stopfd = -1;
		e->epfd = epfd;
		e->lfd = lfd;
		e->path = path;
		e->conns = NULL;
		e->nconns = e->nslots = 0;
		memcpy(e->limit, px_limit_default, sizeof e->limit);
		e->nonblock = false;
		e->lpaused = false;
		e->nev = e->iev = 0;
		atomic_store_explicit(&px_eps_used[i], true, memory_order_release);
		pthread_mutex_unlock(&px_eps_lock);
		*ep = PX_CAP(PX_K_EP, i);
		return 0;
	}
	pthread_mutex_unlock(&px_eps_lock);
fail:
	if (epfd >= 0)
		close(epfd);
	if (lfd >= 0)
		close(lfd);
	if (path)
		unlink(path);
	free(path);
	return rc;
}

/* Connections of e that client opened (e locked). */
static unsigned px_ep_count(const struct px_ep *e, pid_t client)
{
	unsigned n = 0;
	for (size_t i = 0; i < e->nslots; i++)
		n += e->conns[i].fd >= 0 && e->conns[i].client == client;
	return n;
}

/* A free slot of e, the table grown if need be (e locked): -1 if out of
 * memory. */
static int px_ep_slot(struct px_ep *e)
{
	for (size_t i = 0; i < e->nslots; i++)
		if (e->conns[i].fd < 0)
			return (int)i;
	size_t first = e->nslots, n = first ? 2 * first : 16;
	struct px_conn *p = n < INT_MAX ? realloc(e->conns, n * sizeof *p) : NULL;
	if (!p)
		return -1;
	for (size_t i = first; i < n; i++)
		p[i].fd = -1;
	e->conns = p;
	e->nslots = n;
	return (int)first;
}

/*
 * Serve connection fd on e, counted against client (PX_NO_CLIENT: the
 * program's own).  Returns its slot, or a status with fd closed; past a
 * limit, IPC_EBUSY, which the client is told in a farewell first.
 */
int px_ep_add(struct px_ep *e, int fd, pid_t client)
{
	if ((uint32_t)fd > PX_INDEX_MASK) {
		close(fd);
		return IPC_ENOMEM;
	}
	pthread_mutex_lock(&e->lock);
	int rc = IPC_EBUSY, slot = -1;
	if (e->nconns >= e->limit[IPC_POSIX_LIMIT_CONNS] ||
	    (client != PX_NO_CLIENT &&
	     px_ep_count(e, client) >= e->limit[IPC_POSIX_LIMIT_CLIENT_CONNS]))
		goto refuse;
	rc = IPC_ENOMEM;
	if ((slot = px_ep_slot(e)) < 0)
		goto refuse;
	/* Linux counts a buffer's bookkeeping too, and doubles what it is
	 * given to make room for it: half the limit, it takes the limit. */
	int unread = (int)(e->limit[IPC_POSIX_LIMIT_UNREAD] / 2);
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &unread, sizeof unread);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.u64 = PX_EV(slot, fd) };
	if (epoll_ctl(e->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		rc = px_status_errno(errno);
		goto refuse;
	}
	e->conns[slot] = (struct px_conn){
		.fd = fd, .client = client, .saved = 0, .busy = 0, .closing = false,
		.id = atomic_fetch_add(&px_conn_ids, 1) + 1,
	};
	e->nconns++;
	pthread_mutex_unlock(&e->lock);
	return slot;
refuse:
	pthread_mutex_unlock(&e->lock);
	if (rc == IPC_EBUSY)
		px_farewell(fd, rc);
	close(fd);
	return rc;
}

/* Close connection c of e now (e locked, nobody busy with it). */
static void px_ep_close(struct px_ep *e, struct px_conn *c)
{
	close(c->fd);
	c->fd = -1;
	c->closing = false;
	e->nconns--;
}

/*
 * A thread is about to receive from connection slot of e, whose event named
 * descriptor fd: true, and the connection stays open until px_ep_release,
 * if it is still that one and not removed.  (Other threads may remove it
 * meanwhile: its descriptor must not be closed, and its number reused,
 * under a thread that still uses it.)
 */
bool px_ep_hold(struct px_ep *e, int slot, int fd)
{
	pthread_mutex_lock(&e->lock);
	struct px_conn *c = (size_t)slot < e->nslots ? &e->conns[slot] : NULL;
	bool ok = c && c->fd == fd && !c->closing;
	if (ok)
		c->busy++;
	pthread_mutex_unlock(&e->lock);
	return ok;
}

void px_ep_release(struct px_ep *e, int slot)
{
	pthread_mutex_lock(&e->lock);
	struct px_conn *c = &e->conns[slot];
	if (--c->busy == 0 && c->closing)
		px_ep_close(e, c);
	pthread_mutex_unlock(&e->lock);
}

void px_ep_remove(struct px_ep *e, int slot)
{
	pthread_mutex_lock(&e->lock);
	struct px_conn *c = (size_t)slot < e->nslots ? &e->conns[slot] : NULL;
	if (c && c->fd >= 0 && !c->closing) {
		epoll_ctl(e->epfd, EPOLL_CTL_DEL, c->fd, NULL);
		if (c->busy) {
			/* Closed by the last thread to let go; meanwhile its
			 * client sees the end, and its slot stays taken. */
			shutdown(c->fd, SHUT_RDWR);
			c->closing = true;
		} else {
			px_ep_close(e, c);
		}
	}
	/* A descriptor is free again: accept the clients that waited. */
	if (e->lpaused) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = PX_EV(-1, e->lfd) };
		if (epoll_ctl(e->epfd, EPOLL_CTL_ADD, e->lfd, &ev) == 0)
			e->lpaused = false;
	}
	pthread_mutex_unlock(&e->lock);
}

/* Stop accepting until a connection goes (a level-triggered listener that
 * cannot be accepted from would otherwise wake every ipc_recv). */
static void px_ep_pause_listen(struct px_ep *e)
{
	pthread_mutex_lock(&e->lock);
	if (!e->lpaused && e->lfd >= 0 && epoll_ctl(e->epfd, EPOLL_CTL_DEL, e->lfd, NULL) == 0)
		e->lpaused = true;
	pthread_mutex_unlock(&e->lock);
}

/*
 * Accept the clients waiting on e's listening socket, a batch at a time so
 * that clients connecting without end cannot keep the server from serving
 * (the listener, level-triggered, is ready again next time).  Each counts
 * against the process that connected.  Returns 0 or a status.
 */
int px_ep_accept(struct px_ep *e)
{
	for (int k = 0; k < PX_EV_BATCH; k++) {
		int c = accept4(e->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOMEM || errno == ENOBUFS) {
				/* Out of descriptors: serve the clients we have;
				 * new ones wait in the backlog until one of them
				 * hangs up (px_ep_remove). */
				px_ep_pause_listen(e);
				return 0;
			}
			return errno == EAGAIN ? 0 : px_status_errno(errno);
		}
		struct ucred cred;
		socklen_t len = sizeof cred;
		pid_t client = getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 ? cred.pid : 0;
		int rc = px_ep_add(e, c, client);
		if (rc < 0 && rc != IPC_EBUSY) {
			px_ep_pause_listen(e); /* px_ep_add closed c */
			return 0;
		}
	}
	return 0;
}

int px_ep_new_conn(struct px_ep *e, pid_t client, int *clientfd)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return px_status_errno(errno);
	int rc = px_ep_add(e, sv[0], client);
	if (rc < 0) {
		close(sv[1]);
		return rc;
	}
	*clientfd = sv[1];
	return 0;
}

/* Connection slot of e, if that is still connection id (0: whichever it
 * is), or NULL (e locked). */
static struct px_conn *px_ep_conn(struct px_ep *e, int slot, uint64_t id)
{
	struct px_conn *c = (size_t)slot < e->nslots ? &e->conns[slot] : NULL;
	return c && c->fd >= 0 && (!id || c->id == id) ? c : NULL;
}

/* The client connection slot of e counts against, if that is still
 * connection id (0: whichever it is); PX_NO_CLIENT if it is gone. */
pid_t px_ep_client(struct px_ep *e, int slot, uint64_t id)
{
	pthread_mutex_lock(&e->lock);
	struct px_conn *c = px_ep_conn(e, slot, id);
	pid_t client = c ? c->client : PX_NO_CLIENT;
	pthread_mutex_unlock(&e->lock);
	return client;
}

/* Whether connection slot of e is still connection id. */
bool px_ep_has(struct px_ep *e, int slot, uint64_t id)
{
	pthread_mutex_lock(&e->lock);
	bool has = px_ep_conn(e, slot, id) != NULL;
	pthread_mutex_unlock(&e->lock);
	return has;
}

/* Count a saved reply against connection slot of e: 0 and its id, or
 * IPC_EBUSY when it holds as many as it may. */
int px_ep_save(struct px_ep *e, int slot, uint64_t *id)
{
	int rc = IPC_EBUSY;
	pthread_mutex_lock(&e->lock);
	struct px_conn *c = &e->conns[slot];
	if (c->saved < e->limit[IPC_POSIX_LIMIT_SAVED]) {
		c->saved++;
		*id = c->id;
		rc = 0;
	}
	pthread_mutex_unlock(&e->lock);
	return rc;
}

/*
 * Answer a saved reply on connection slot of e, if that is still connection
 * id, with frame h (NULL: only uncount the reply).  Under e's lock, so that
 * the connection cannot close meanwhile.  A client that leaves so many
 * answers unread that this one finds no room is dropped: shut down here,
 * closed by the receiving thread when it sees the end.  Returns 0, or
 * IPC_EPEER if the connection is gone, or a status.
 */
int px_ep_answer_saved(struct px_ep *e, int slot, uint64_t id, const struct px_hdr *h,
                       const uint64_t *words, const int *fds)
{
	int rc = IPC_EPEER;
	pthread_mutex_lock(&e->lock);
	struct px_conn *c = px_ep_conn(e, slot, id);
	if (c) {
		c->saved--;
		rc = h ? px_send_answer(c->fd, h, words, fds) : 0;
		if (rc == IPC_EAGAIN)
			shutdown(c->fd, SHUT_RDWR);
	}
	pthread_mutex_unlock(&e->lock);
	return rc;
}

int ipc_posix_set_limit(ipc_cap ep, enum ipc_posix_limit limit, unsigned value, unsigned *old)
{
	struct px_ep *e = px_ep_get(ep);
	if (!e)
		return IPC_EBADCAP;
	if (limit < IPC_POSIX_LIMIT_CONNS || limit >= PX_NLIMITS || value == 0 || value > INT_MAX)
		return IPC_EINVAL;
	pthread_mutex_lock(&e->lock);
	if (old)
		*old = e->limit[limit];
	e->limit[limit] = value;
	pthread_mutex_unlock(&e->lock);
	return 0;
}

int px_ep_drop(ipc_cap ep)
{
	pthread_mutex_lock(&px_eps_lock);
	struct px_ep *e = px_ep_get(ep);
	if (!e) {
		pthread_mutex_unlock(&px_eps_lock);
		return IPC_EBADCAP;
	}
	atomic_store_explicit(&px_eps_used[PX_INDEX(ep)], false, memory_order_relaxed);
	for (size_t i = 0; i < e->nslots; i++)
		if (e->conns[i].fd >= 0)
			close(e->conns[i].fd);
	free(e->conns);
	e->conns = NULL;
	if (e->lfd >= 0)
		close(e->lfd);
	if (e->path) {
		unlink(e->path);
		free(e->path);
	}
	close(e->epfd);
	if (e->stopfd >= 0)
		close(e->stopfd);
	pthread_mutex_destroy(&e->lock);
	pthread_mutex_destroy(&e->evlock);
	pthread_mutex_unlock(&px_eps_lock);
	return 0;
}

static int px_sockaddr(const char *path, struct sockaddr_un *sa)
{
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof sa->sun_path)
		return IPC_EINVAL;
	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, n);
	return 0;
}

int ipc_posix_listen(const char *path, ipc_cap *ep)
{
	struct sockaddr_un sa;
	struct stat st;
	int rc;

	*ep = IPC_CAP_NONE;
	if ((rc = px_sockaddr(path, &sa)) < 0)
		return rc;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return px_status_errno(errno);
	/* Replace a stale socket (nobody listening), never a live service or
	 * any other file. */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
		int probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (probe >= 0 && (connect(probe, (struct sockaddr *)&sa, sizeof sa) == 0 ||
		                   errno == EAGAIN)) { /* EAGAIN: alive, backlog full */
			close(probe);
			close(fd);
			return IPC_EBUSY;
		}
		if (probe >= 0)
			close(probe);
		unlink(path);
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, SOMAXCONN) < 0) {
		rc = px_status_errno(errno);
		close(fd);
		return rc;
	}
	char *copy = strdup(path);
	if (!copy) {
		close(fd);
		unlink(path);
		return IPC_ENOMEM;
	}
	return px_ep_new(fd, copy, ep);
}

int ipc_posix_endpoint(ipc_cap *ep)
{
	return px_ep_new(-1, NULL, ep);
}

int ipc_posix_endpoint_fd(int fd, ipc_cap *ep)
{
	int type;
	socklen_t len = sizeof type;
	*ep = IPC_CAP_NONE;
	if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
	    type != SOCK_SEQPACKET)
		return IPC_EBADCAP;
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return px_status_errno(errno);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	return px_ep_new(fd, NULL, ep);
}

int ipc_posix_connect(const char *path, ipc_cap *conn)
{
	struct sockaddr_un sa;
	int rc;

	*conn = IPC_CAP_NONE;
	if ((rc = px_sockaddr(path, &sa)) < 0)
		return rc;
	/* Under a call timeout, a server whose backlog stays full (stopped,
	 * or swamped) is IPC_ETIMEDOUT rather than a wait for ever: Linux
	 * answers a non-blocking connect to a full backlog with EAGAIN. */
	int timeout = px_call_timeout();
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | (timeout >= 0 ? SOCK_NONBLOCK : 0), 0);
	if (fd < 0)
		return px_status_errno(errno);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN && timeout >= 0) {
			struct timespec t1;
			clock_gettime(CLOCK_MONOTONIC, &t1);
			if ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < timeout) {
				usleep(1000);
				continue;
			}
			errno = ETIMEDOUT;
		}
		rc = px_status_errno(errno);
		close(fd);
		return rc;
	}
	if (timeout >= 0)
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return ipc_posix_adopt(fd, conn);
}

int ipc_posix_connection(ipc_cap ep, ipc_cap *conn)
{
	struct px_ep *e = px_ep_get(ep);
	int fd, rc;
	*conn = IPC_CAP_NONE;
	if (!e)
		return IPC_EBADCAP;
	if ((rc = px_ep_new_conn(e, PX_NO_CLIENT, &fd)) < 0)
		return rc;
	*conn = PX_CAP(PX_K_FD, fd);
	return 0;
}

int ipc_posix_serve(ipc_cap ep, ipc_cap conn)
{
	struct px_ep *e = px_ep_get(ep);
	if (conn == IPC_CAP_NONE || PX_KIND(conn) != PX_K_FD) {
		if (conn != IPC_CAP_NONE)
			ipc_cap_drop(conn);
		return IPC_EBADCAP;
	}
	if (!e) {
		close(PX_INDEX(conn));
		return IPC_EBADCAP;
	}
	int rc = px_ep_add(e, PX_INDEX(conn), PX_NO_CLIENT);
	return rc < 0 ? rc : 0;
}

int ipc_posix_pair(ipc_cap *a, ipc_cap *b)
{
	int sv[2];
	*a = *b = IPC_CAP_NONE;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return px_status_errno(errno);
	if ((uint32_t)sv[0] > PX_INDEX_MASK || (uint32_t)sv[1] > PX_INDEX_MASK) {
		close(sv[0]);
		close(sv[1]);
		return IPC_ENOMEM;
	}
	*a = PX_CAP(PX_K_FD, sv[0]);
	*b = PX_CAP(PX_K_FD, sv[1]);
	return 0;
}

int ipc_posix_adopt(int fd, ipc_cap *cap)
{
	*cap = IPC_CAP_NONE;
	if (fd < 0 || (uint32_t)fd > PX_INDEX_MASK || fcntl(fd, F_GETFD) < 0)
		return IPC_EBADCAP;
	*cap = PX_CAP(PX_K_FD, fd);
	return 0;
}

int ipc_posix_fd(ipc_cap cap)
{
	struct px_ep *e;
	if (cap != IPC_CAP_NONE && PX_KIND(cap) == PX_K_FD)
		return PX_INDEX(cap);
	if ((e = px_ep_get(cap)) != NULL)
		return e->epfd;
	return -1;
}

int ipc_posix_nonblock(ipc_cap ep, bool nonblock)
{
	struct px_ep *e = px_ep_get(ep);
	if (!e)
		return IPC_EBADCAP;
	e->nonblock = nonblock;
	return 0;
}

int ipc_posix_poll(struct ipc_pollcap *caps, size_t ncaps, int timeout_ms)
{
	struct pollfd small[32], *p = small;
	if (ncaps > sizeof small / sizeof small[0]) {
		p = calloc(ncaps, sizeof *p);
		if (!p)
			return IPC_ENOMEM;
	}
	int rc = 0;
	for (size_t i = 0; i < ncaps; i++) {
		caps[i].revents = 0;
		p[i].fd = ipc_posix_fd(caps[i].cap);
		p[i].events = caps[i].events & IPC_POLLRECV ? POLLIN : 0;
		p[i].revents = 0;
		if (p[i].fd < 0)
			rc = IPC_EBADCAP;
	}
	if (rc == 0) {
		int n;
		do
			n = poll(p, ncaps, timeout_ms < 0 ? -1 : timeout_ms);
		while (n < 0 && errno == EINTR);
		if (n < 0) {
			rc = px_status_errno(errno);
		} else {
			for (size_t i = 0; i < ncaps; i++) {
				if (p[i].revents & POLLIN)
					caps[i].revents |= IPC_POLLRECV;
				if (p[i].revents & (POLLHUP | POLLERR))
					caps[i].revents |= IPC_POLLHUP;
			}
			rc = n;
		}
	}
	if (p != small)
		free(p);
	return rc;
}

int ipc_posix_stop(ipc_cap ep)
{
	struct px_ep *e = px_ep_get(ep);
	if (!e)
		return IPC_EBADCAP;
	pthread_mutex_lock(&e->lock);
	int rc = 0;
	if (!atomic_load(&e->stopped)) {
		/* A descriptor readable for ever wakes every epoll_wait. */
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = PX_EV_STOP };
		int fd = eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK);
		if (fd < 0 || epoll_ctl(e->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			rc = px_status_errno(errno);
			if (fd >= 0)
				close(fd);
		} else {
			e->stopfd = fd;
			atomic_store(&e->stopped, true);
		}
	}
	pthread_mutex_unlock(&e->lock);
	return rc;
}

/* A thread of ipc_posix_serve_threads. */
struct px_server {
	struct px_ep *e;
	int (*dispatch)(void *);
	void *obj;
	int status; /* why it stopped, if not for ipc_posix_stop */
};

static void *px_serve_loop(void *arg)
{
	struct px_server *t = arg;
	for (;;) {
		int rc = t->dispatch(t->obj);
		if (rc >= 0)
			continue;
		if (atomic_load(&t->e->stopped))
			break;
		if (rc == IPC_EBADCAP) {
			t->status = rc;
			break;
		}
	}
	return NULL;
}

int ipc_posix_serve_threads(ipc_cap ep, unsigned nthreads, int (*dispatch)(void *obj), void *obj)
{
	struct px_ep *e = px_ep_get(ep);
	if (!e)
		return IPC_EBADCAP;
	if (nthreads == 0 || nthreads > IPC_POSIX_MAX_THREADS || !dispatch)
		return IPC_EINVAL;
	struct px_server t[IPC_POSIX_MAX_THREADS];
	pthread_t id[IPC_POSIX_MAX_THREADS];
	unsigned n;
	int rc = 0;
	for (unsigned i = 0; i < nthreads; i++)
		t[i] = (struct px_server){ .e = e, .dispatch = dispatch, .obj = obj };
	/* The calling thread is the first of them. */
	for (n = 1; n < nthreads; n++) {
		if (pthread_create(&id[n], NULL, px_serve_loop, &t[n]) != 0) {
			rc = IPC_ENOMEM;
			break;
		}
	}
	if (rc == 0)
		px_serve_loop(&t[0]);
	else
		ipc_posix_stop(ep); /* those started stop again */
	for (unsigned i = 1; i < n; i++)
		pthread_join(id[i], NULL);
	for (unsigned i = 0; i < n && rc == 0; i++)
		rc = t[i].status;
	return rc;
}
