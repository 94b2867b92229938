/*
 * ktest_endpoint: an endpoint's life as its server and clients see it.
 * The server hears when its last client has gone (EP_WATCH): clients that
 * destroy their capabilities, and a client that dies with one.  When the
 * last capability that can receive goes, the endpoint is dead: a caller and
 * a sender waiting on it wake with EPEER, later calls and sends are EPEER
 * at once, a poll for sending says ready.  A receive that must not wait
 * (HELIOS_RECV_POLL) says EAGAIN when nobody is sending.
 *
 * Children run in the root's cspace (SPAWN_SHARE_CSPACE) and report with
 * their exit code.
 */
#include "ulib.h"

const char *ktest_name = "endpoint";

enum { CALLER = 1, SENDER, HOLDER };

void child_main(u64 role, u64 ep)
{
	struct umsg m = { .label = 1, .info = HELIOS_INFO(1, 0) };
	if (role == CALLER)
		h_exit(ipc(HELIOS_SYS_CALL, ep, &m));
	if (role == SENDER)
		h_exit(ipc(HELIOS_SYS_SEND, ep, &m));
	for (;;)                        /* HOLDER: holds what it was given, until killed */
		S(YIELD, 0, 0, 0, 0, 0);
}

static u32 make(u64 type)
{
	struct sysret r = h_alloc(HELIOS_ROOT_MEMORY, type, NONE, 0);
	CHECK_EQ(r.st, 0);
	return (u32)r.r0;
}

static u32 client_of(u32 ep)
{
	struct sysret r = h_narrow(ep, NONE, HELIOS_EP_SEND, 0);
	CHECK_EQ(r.st, 0);
	return (u32)r.r0;
}

/* A child blocked in role on ep; returns its exit code once it has ended. */
struct waiter {
	struct child c;
	u32 death;
};

static void start(struct waiter *w, u64 role, u32 ep)
{
	w->death = make(HELIOS_CAP_NOTIFICATION);
	CHECK_EQ(spawn_ex(role, ep, NULL, 0, SPAWN_SHARE_CSPACE, NONE, &w->c), 0);
	CHECK_EQ(S(TASK_NOTIFY, w->c.task, w->death, 1, 0, 0).st, 0);
	for (int i = 0; i < 10; i++)
		S(YIELD, 0, 0, 0, 0, 0);
}

static i64 finish(struct waiter *w)
{
	CHECK_EQ(h_wait(w->death).r0, 1);
	i64 code = (i64)h_status(w->c.task).r1;
	child_free(&w->c);
	h_destroy(w->death);
	return code;
}

/* Whether notification n has been signalled (a poll that does not wait). */
static u64 signalled(u32 n)
{
	U_IPCBUF->poll[0] = (struct helios_pollcap){ n, HELIOS_POLL_RECV, 0 };
	u32 t = make(HELIOS_CAP_NOTIFICATION);
	S(TIMER, t, 1, S(CLOCK, 0, 0, 0, 0, 0).r0 + 2, 0, 0);
	U_IPCBUF->poll[1] = (struct helios_pollcap){ t, HELIOS_POLL_RECV, 0 };
	S(POLL, 2, 0, 0, 0, 0);
	u64 bits = U_IPCBUF->poll[0].revents ? h_wait(n).r0 : 0;
	h_destroy(t);
	return bits;
}

static void watch(void)
{
	u32 ep = make(HELIOS_CAP_ENDPOINT), note = make(HELIOS_CAP_NOTIFICATION);
	CHECK_EQ(S(EP_WATCH, ep, note, 0, 0, 0).st, HELIOS_EINVAL);     /* no bits */
	u32 c1 = client_of(ep), c2 = client_of(ep);
	CHECK_EQ(S(EP_WATCH, c1, note, 4, 0, 0).st, HELIOS_EPERM);      /* a client's */
	CHECK_EQ(S(EP_WATCH, ep, note, 4, 0, 0).st, 0);
	CHECK_EQ(signalled(note), 0);                           /* two clients */
	h_destroy(c1);
	CHECK_EQ(signalled(note), 0);
	u32 c3 = (u32)h_copy(c2, NONE, NONE).r0;                /* a copy is a client too */
	h_destroy(c2);
	CHECK_EQ(signalled(note), 0);
	h_destroy(c3);
	CHECK_EQ(signalled(note), 4);                           /* the last went */
	/* Armed with none: at once.  A client that dies with one: then. */
	CHECK_EQ(S(EP_WATCH, ep, note, 8, 0, 0).st, 0);
	CHECK_EQ(signalled(note), 8);
	struct child holder;
	u32 give = client_of(ep);
	CHECK_EQ(spawn(HOLDER, 0, &give, 1, &holder), 0);
	h_destroy(give);
	CHECK_EQ(signalled(note), 0);                           /* the child holds one */
	child_free(&holder);                                    /* it dies, and its cspace goes */
	CHECK_EQ(signalled(note), 8);
	/* Moving one to another cspace and back is not a release. */
	give = client_of(ep);
	u32 cs = make(HELIOS_CAP_CSPACE);
	CHECK_EQ(h_move(give, 5, cs).st, 0);
	CHECK_EQ(signalled(note), 0);
	h_destroy(cs);
	CHECK_EQ(signalled(note), 8);
	CHECK_EQ(S(EP_WATCH, ep, NONE, 0, 0, 0).st, 0);         /* no more watching */
	h_destroy(client_of(ep));
	CHECK_EQ(signalled(note), 0);
	h_destroy(ep);
	h_destroy(note);
}

static void dead(void)
{
	u32 ep = make(HELIOS_CAP_ENDPOINT);
	u32 c = client_of(ep);
	struct waiter caller, sender;
	start(&caller, CALLER, c);
	start(&sender, SENDER, c);
	/* A receive that does not wait takes the caller's call at once... */
	struct umsg m = { .label = HELIOS_RECV_POLL };
	CHECK_EQ(ipc(HELIOS_SYS_RECV, ep, &m), 0);
	CHECK_EQ(m.label, 1);
	m.label = 77;
	CHECK_EQ(ipc(HELIOS_SYS_REPLY, NONE, &m), 0);
	CHECK_EQ(finish(&caller), 0);
	m = (struct umsg){ .label = HELIOS_RECV_POLL };
	CHECK_EQ(ipc(HELIOS_SYS_RECV, ep, &m), 0);             /* ... and the sender's */
	CHECK_EQ(finish(&sender), 0);
	m = (struct umsg){ .label = HELIOS_RECV_POLL };
	CHECK_EQ(ipc(HELIOS_SYS_RECV, ep, &m), HELIOS_EAGAIN); /* nobody: no wait */
	m = (struct umsg){ .label = 2 };
	CHECK_EQ(ipc(HELIOS_SYS_RECV, ep, &m), HELIOS_EINVAL); /* no such flag */

	/* The server's capability goes under a waiting caller and sender. */
	start(&caller, CALLER, c);
	start(&sender, SENDER, c);
	h_destroy(ep);
	CHECK_EQ(finish(&caller), HELIOS_EPEER);
	CHECK_EQ(finish(&sender), HELIOS_EPEER);
	m = (struct umsg){ .label = 1, .info = HELIOS_INFO(1, 0) };
	CHECK_EQ(ipc(HELIOS_SYS_CALL, c, &m), HELIOS_EPEER);    /* later: at once */
	CHECK_EQ(ipc(HELIOS_SYS_SEND, c, &m), HELIOS_EPEER);
	U_IPCBUF->poll[0] = (struct helios_pollcap){ c, HELIOS_POLL_SEND, 0 };
	CHECK_EQ(S(POLL, 1, 0, 0, 0, 0).st, 0);
	CHECK_EQ(U_IPCBUF->poll[0].revents, HELIOS_POLL_SEND);
	h_destroy(c);

	/* Narrowing the last server away kills it too. */
	ep = make(HELIOS_CAP_ENDPOINT);
	c = client_of(ep);
	u32 none = (u32)h_narrow(ep, NONE, 0, 0).r0;
	h_destroy(ep);
	CHECK_EQ(ipc(HELIOS_SYS_SEND, c, &m), HELIOS_EPEER);
	h_destroy(c);
	h_destroy(none);
}

void test_main(void)
{
	u64 base = h_info(HELIOS_ROOT_MEMORY).r2;
	watch();
	dead();
	/* Everything came back but the page tables of the scratch window the
	 * first spawn filled pages through (three, and a links frame). */
	CHECK_EQ(h_info(HELIOS_ROOT_MEMORY).r2, base + 4);
}
