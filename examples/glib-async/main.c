/*
 * main.c: a generated server and asynchronous clients in one GLib main
 * loop, in one thread.
 *
 * The server serves table::squares on an endpoint whose wait set the loop
 * watches (ipc_posix_fd); it answers square at once and defers later,
 * answering it from a GLib timeout through the generated reply function.
 * Three clients, each on its own connection, start calls through the split
 * form ipcgen writes for every call (NAME_async) with callbacks, which read
 * their replies with NAME_finish; the loop watches each connection's
 * readiness descriptor (ipc_posix_async_fd) and runs ipc_call_dispatch,
 * which runs the callbacks.  One call has a deadline the server does not
 * meet, one is cancelled, one is collected by its handle.
 *
 * The results are printed once the loop is done, in a fixed order (the
 * replies come in whatever order the server gives them).
 *
 *   usage: glib-async
 */
#include <glib.h>
#include <glib-unix.h>
#include <stdio.h>
#include <stdlib.h>

#include <mercury/posix.h>
#include "table.h"

static GMainLoop *loop;

/* The server ------------------------------------------------------------- */

struct server {
	struct table_squares base; /* the generated object comes first */
	unsigned deferred;         /* later calls not yet answered */
	GSList *held;              /* later(x, 0) calls: answered at the end */
};

static int srv_square(struct table_squares *self, uint64_t x, uint64_t *result)
{
	(void)self;
	*result = x * x;
	return 0;
}

struct pending {
	struct server *srv;
	ipc_cap reply;
	uint64_t x;
};

static gboolean answer(gpointer p)
{
	struct pending *d = p;
	table_squares_later_reply(d->reply, 0, d->x * d->x); /* consumes the reply */
	d->srv->deferred--;
	g_free(d);
	return G_SOURCE_REMOVE;
}

static int srv_later(struct table_squares *self, uint64_t x, uint32_t ms, uint64_t *result)
{
	struct server *s = (struct server *)self;
	struct pending *d = g_new(struct pending, 1);
	(void)result;
	if (ipc_reply_save(&d->reply) < 0) {
		g_free(d);
		return IPC_ENOMEM; /* not declared: the caller gets IPC_EFAULT */
	}
	d->srv = s;
	d->x = x;
	s->deferred++;
	if (ms)
		g_timeout_add(ms, answer, d);
	else
		s->held = g_slist_prepend(s->held, d);
	return IPC_DEFERRED;
}

static const struct table_squares_iface server_impl = {
	.square = srv_square,
	.later = srv_later,
};

/* The endpoint's wait set is readable: serve what waits, never blocking. */
static gboolean on_request(gint fd, GIOCondition cond, gpointer p)
{
	struct server *s = p;
	int rc;
	(void)fd, (void)cond;
	while ((rc = table_squares_dispatch(&s->base)) >= 0)
		;
	if (rc != IPC_EAGAIN) {
		fprintf(stderr, "glib-async: dispatch: %s\n", ipc_status_name(rc));
		exit(1);
	}
	return G_SOURCE_CONTINUE;
}

/* The clients ------------------------------------------------------------- */

#define NCLIENTS 3
#define NSQUARES 4

struct client {
	int id;
	ipc_cap conn;
	guint watch;
	int sq_status[NSQUARES];
	uint64_t sq[NSQUARES];
	int later_status, late_status, cancelled_ran;
	uint64_t later;
	ipc_call_t by_handle;
	int outstanding; /* callbacks still to run */
};

static struct client clients[NCLIENTS];
static int callbacks_left;

static void one_done(struct client *c)
{
	c->outstanding--;
	if (--callbacks_left == 0)
		g_main_loop_quit(loop);
}

struct sq_arg {
	struct client *c;
	int i;
};
static struct sq_arg sq_args[NCLIENTS][NSQUARES];

/* The callbacks (ipc_call_done): status and the reply, which the generated
 * NAME_finish checks and reads as the synchronous call would. */
static void square_done(int status, struct ipc_msg *reply, ipc_fn fn, void *arg)
{
	struct sq_arg *a = arg;
	(void)fn;
	a->c->sq_status[a->i] = table_squares_square_async_finish(status, reply, &a->c->sq[a->i]);
	one_done(a->c);
}

static void later_done(int status, struct ipc_msg *reply, ipc_fn fn, void *arg)
{
	struct client *c = arg;
	(void)fn;
	c->later_status = table_squares_later_async_finish(status, reply, &c->later);
	one_done(c);
}

static void late_done(int status, struct ipc_msg *reply, ipc_fn fn, void *arg)
{
	struct client *c = arg;
	uint64_t result;
	(void)fn;
	c->late_status = table_squares_later_async_finish(status, reply, &result);
	one_done(c);
}

static void cancelled_done(int status, struct ipc_msg *reply, ipc_fn fn, void *arg)
{
	struct client *c = arg;
	(void)status, (void)reply, (void)fn;
	c->cancelled_ran = 1; /* never: a cancelled call's callback does not run */
}

/* A connection's readiness descriptor is readable: run what has ended. */
static gboolean on_reply(gint fd, GIOCondition cond, gpointer p)
{
	struct client *c = p;
	(void)fd, (void)cond;
	int rc = ipc_call_dispatch(c->conn, 0);
	if (rc < 0) {
		fprintf(stderr, "glib-async: client %d: %s\n", c->id, ipc_status_name(rc));
		exit(1);
	}
	return G_SOURCE_CONTINUE;
}

static void check(int rc, const char *what)
{
	if (rc != 0) {
		fprintf(stderr, "glib-async: %s: %s\n", what, ipc_status_name(rc));
		exit(1);
	}
}

static void start_client(struct client *c, int id, ipc_cap ep)
{
	c->id = id;
	check(ipc_posix_connection(ep, &c->conn), "ipc_posix_connection");
	int fd = ipc_posix_async_fd(c->conn);
	if (fd < 0)
		check(fd, "ipc_posix_async_fd");
	c->watch = g_unix_fd_add(fd, G_IO_IN, on_reply, c);
	for (int i = 0; i < NSQUARES; i++) {
		sq_args[id - 1][i] = (struct sq_arg){ c, i };
		check(table_squares_square_async_cb(c->conn, (uint64_t)(10 * id + i), -1, square_done,
		                                 NULL, &sq_args[id - 1][i], NULL), "square");
	}
	/* Answered after a while, the clients' in reverse order. */
	check(table_squares_later_async_cb(c->conn, (uint64_t)id, (uint32_t)(50 + 100 * (NCLIENTS - id)),
	                                -1, later_done, NULL, c, NULL), "later");
	/* Held by the server until the end: its 100 ms deadline passes. */
	check(table_squares_later_async_cb(c->conn, (uint64_t)(100 + id), 0, 100, late_done, NULL, c, NULL),
	      "later with a deadline");
	/* Started, then cancelled at once. */
	ipc_call_t call;
	check(table_squares_later_async_cb(c->conn, 7, 20, -1, cancelled_done, NULL, c, &call), "later");
	check(ipc_call_cancel(c->conn, call), "ipc_call_cancel");
	/* Collected by its handle once the loop is over. */
	check(table_squares_square_async_start(c->conn, (uint64_t)(1000 + id), -1, &c->by_handle), "start");
	c->outstanding = NSQUARES + 2;
	callbacks_left += c->outstanding;
}

int main(void)
{
	ipc_cap ep;
	struct server srv = { .deferred = 0 };
	check(ipc_posix_endpoint(&ep), "ipc_posix_endpoint");
	check(ipc_posix_nonblock(ep, true), "ipc_posix_nonblock");
	table_squares_init(&srv.base, &server_impl, ep);
	loop = g_main_loop_new(NULL, FALSE);
	guint server_watch = g_unix_fd_add(ipc_posix_fd(ep), G_IO_IN, on_request, &srv);

	for (int i = 0; i < NCLIENTS; i++)
		start_client(&clients[i], i + 1, ep);
	g_main_loop_run(loop);

	/* Every callback ran.  The calls held past their deadline are
	 * answered now: their late replies are discarded by the clients. */
	for (GSList *l = srv.held; l; l = l->next)
		answer(l->data);
	g_slist_free(srv.held);
	while (g_main_context_iteration(NULL, FALSE))
		;

	for (int i = 0; i < NCLIENTS; i++) {
		struct client *c = &clients[i];
		for (int k = 0; k < NSQUARES; k++)
			printf("client %d: square(%d) = %llu (%s)\n", c->id, 10 * c->id + k,
			       (unsigned long long)c->sq[k], ipc_status_name(c->sq_status[k]));
		printf("client %d: later(%d, %d ms) = %llu (%s)\n", c->id, c->id,
		       50 + 100 * (NCLIENTS - c->id), (unsigned long long)c->later,
		       ipc_status_name(c->later_status));
		printf("client %d: later(%d) held past its 100 ms deadline: %s\n", c->id, 100 + c->id,
		       ipc_status_name(c->late_status));
		printf("client %d: later(7) cancelled: its callback %s\n", c->id,
		       c->cancelled_ran ? "ran" : "never ran");
		uint64_t r = 0;
		int rc = table_squares_square_async_wait(c->conn, c->by_handle, 1000, &r);
		printf("client %d: square(%d) collected by its handle = %llu (%s)\n", c->id,
		       1000 + c->id, (unsigned long long)r, ipc_status_name(rc));
		g_source_remove(c->watch);
		ipc_cap_drop(c->conn);
	}
	printf("server: %u deferred replies left unanswered\n", srv.deferred);
	g_source_remove(server_watch);
	g_main_loop_unref(loop);
	ipc_cap_drop(ep);
	return 0;
}
