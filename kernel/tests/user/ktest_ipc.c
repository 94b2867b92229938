/*
 * ktest_ipc: IPC between address spaces.  The root task is the client of a
 * server child (its own vspace) that answers with REPLY_RECV: register
 * messages, 64-word messages through the IPC buffer, capabilities that
 * move, a reply saved as a capability and answered later (the seed's
 * serial driver), a stale saved reply, one-way sends, a server that dies
 * mid-call, notifications (bits accumulate, a waiter in another task
 * wakes), and poll over an endpoint and a notification at once.
 */
#include "ulib.h"

const char *ktest_name = "ipc";

enum { SERVER = 1, CLIENT, WAITER, POLLER, ADDER, HELPER };
enum { ECHO = 1, ADD, ZEROS, BIG, CAPS, DEFER, SAVED, RELEASE, ONEWAY, GET_ONEWAY, DIE, FORWARD, DROP, GIVE_EP };

#define EP 0    /* the children's slots */
#define NOTE 1

static u64 sum_words(const struct umsg *m)
{
	u32 n = HELIOS_INFO_WORDS(m->info);
	u64 s = 0;
	for (u32 i = 0; i < n; i++)
		s += i < HELIOS_REG_WORDS ? m->w[i] : U_IPCBUF->word[i];
	return s;
}

static void server(void)
{
	struct helios_ipc_buffer *b = U_IPCBUF;
	struct umsg m = { 0 };
	u32 saved = NONE;
	u64 oneway = 0;
	i64 st = h_recv(EP, &m);
	for (;;) {
		struct umsg r = { .label = 0, .info = HELIOS_INFO(1, 0) };
		if (st) {
			uprintf("server: receive failed: %ld\n", st);
			h_exit(1);
		}
		switch (m.label) {
		case ECHO:
			r = m;
			r.label = 0;
			break;
		case ADD:
			r.w[0] = m.w[0] + m.w[1];
			break;
		case ZEROS:
			r.w[0] = m.w[2] | m.w[3] | m.w[4] | m.w[5];
			break;
		case BIG:
			r.w[0] = sum_words(&m);
			r.w[1] = HELIOS_INFO_WORDS(m.info);
			for (u32 i = 2; i < HELIOS_MAX_WORDS; i++)
				if (i < HELIOS_REG_WORDS)
					r.w[i] = i * 3;
				else
					b->word[i] = i * 3;
			r.info = HELIOS_INFO(HELIOS_MAX_WORDS, 0);
			break;
		case CAPS: {
			u32 n = HELIOS_INFO_CAPS(m.info);
			r.w[0] = n;
			r.w[1] = h_info(b->cap[0]).r0;
			r.w[2] = n > 1 ? h_info(b->cap[1]).r0 : 0;
			h_destroy(b->cap[0]);
			b->cap[0] = b->cap[1];  /* the second goes back */
			r.info = HELIOS_INFO(3, 1);
			break;
		}
		case DEFER: {
			struct sysret s = S(REPLY_SAVE, NONE, 0, 0, 0, 0);
			saved = s.st ? NONE : (u32)s.r0;
			st = h_recv(EP, &m);      /* answer later */
			continue;
		}
		case SAVED:
			r.w[0] = saved != NONE;
			break;
		case RELEASE: {
			struct umsg d = { .label = 0, .info = HELIOS_INFO(1, 0), .w = { m.w[0] } };
			r.w[0] = (u64)ipc(HELIOS_SYS_SEND, saved, &d);
			r.w[1] = (u64)h_info(saved).st;        /* the reply cap is gone either way */
			r.info = HELIOS_INFO(2, 0);
			saved = NONE;
			break;
		}
		case ONEWAY:
			oneway = m.w[0];
			break;                          /* no reply to give: REPLY_RECV just receives */
		case GET_ONEWAY:
			r.w[0] = oneway;
			break;
		case DIE:
			h_exit(0);
		case GIVE_EP:                   /* the reply carries the endpoint we receive on */
			b->cap[0] = EP;
			r.info = HELIOS_INFO(0, 1);
			break;
		case DROP:                      /* save the reply, then throw it away */
			h_destroy((u32)S(REPLY_SAVE, NONE, 0, 0, 0, 0).r0);
			st = h_recv(EP, &m);
			continue;
		case FORWARD: {
			/* Hand the caller's reply to the helper, which answers it. */
			u32 rc = (u32)S(REPLY_SAVE, NONE, 0, 0, 0, 0).r0;
			i64 copy = h_copy(rc, NONE, NONE).st;   /* one reply per call */
			b->cap[0] = rc;
			struct umsg f = { .label = 1, .info = HELIOS_INFO(2, 1), .w = { m.w[0], (u64)copy } };
			ipc(HELIOS_SYS_SEND, NOTE, &f);         /* slot 1: the helper's endpoint */
			st = h_recv(EP, &m);
			continue;
		}
		default:
			r.label = (u64)HELIOS_ENOSYS;
			r.info = 0;
		}
		st = ipc(HELIOS_SYS_REPLY_RECV, EP, &r);
		m = r;
	}
}

static void poller(void)
{
	struct helios_ipc_buffer *b = U_IPCBUF;
	u64 bits = 0, polls = 0;
	for (;;) {
		b->poll[0] = (struct helios_pollcap){ EP, HELIOS_POLL_RECV, 0 };
		b->poll[1] = (struct helios_pollcap){ NOTE, HELIOS_POLL_RECV, 0 };
		struct sysret p = S(POLL, 2, 0, 0, 0, 0);
		polls++;
		if (p.st)
			h_exit(100);
		if (b->poll[1].revents & HELIOS_POLL_RECV)
			bits |= h_wait(NOTE).r0;
		if (b->poll[0].revents & HELIOS_POLL_RECV) {
			struct umsg m = { 0 };
			h_recv(EP, &m);
			struct umsg r = { .label = 0, .info = HELIOS_INFO(2, 0), .w = { bits, polls } };
			ipc(HELIOS_SYS_REPLY, 0, &r);
		}
	}
}

void child_main(u64 role, u64 arg)
{
	(void)arg;
	if (role == SERVER)
		server();
	if (role == POLLER)
		poller();
	if (role == CLIENT) {
		struct umsg m = { .label = DEFER, .info = 0 };
		i64 st = ipc(HELIOS_SYS_CALL, EP, &m);
		h_exit(st ? 1000 - st : (i64)m.w[0]);
	}
	if (role == WAITER)
		h_exit((i64)h_wait(NOTE).r0);
	if (role == HELPER) {
		struct umsg m = { 0 };
		h_recv(EP, &m);
		u32 rc = HELIOS_INFO_CAPS(m.info) == 1 ? U_IPCBUF->cap[0] : NONE;
		struct umsg r = { .label = 0, .info = HELIOS_INFO(2, 0), .w = { m.w[0] + 1, m.w[1] } };
		h_exit(ipc(HELIOS_SYS_SEND, rc, &r));
	}
	if (role == ADDER) {            /* one of several clients of one server */
		int bad = 0;
		for (u64 i = 0; i < 300; i++) {
			struct umsg m = { .label = ADD, .info = HELIOS_INFO(2, 0), .w = { arg, i } };
			if (ipc(HELIOS_SYS_CALL, EP, &m) || m.label || m.w[0] != arg + i)
				bad++;
			if (i % 50 == 0)
				S(YIELD, 0, 0, 0, 0, 0);
		}
		h_exit(bad);
	}
}

static struct umsg call(u32 ep, u64 label, u64 info, u64 w0, u64 w1, i64 *st)
{
	struct umsg m = { .label = label, .info = info, .w = { w0, w1, 0xdead, 0xbeef, 0xf00d, 0xcafe } };
	*st = ipc(HELIOS_SYS_CALL, ep, &m);
	return m;
}

static u32 alloc(u64 type)
{
	struct sysret r = h_alloc(HELIOS_ROOT_MEMORY, type, NONE, 0);
	CHECK_EQ(r.st, 0);
	return (u32)r.r0;
}

static void wait_saved(u32 ep)
{
	i64 st;
	for (int i = 0; i < 100; i++) {
		if (call(ep, SAVED, 0, 0, 0, &st).w[0])
			return;
		S(YIELD, 0, 0, 0, 0, 0);
	}
	CHECK(!"the server never saved a reply");
}

void test_main(void)
{
	struct helios_ipc_buffer *b = U_IPCBUF;
	u32 ep = alloc(HELIOS_CAP_ENDPOINT), note = alloc(HELIOS_CAP_NOTIFICATION);
	u32 death = alloc(HELIOS_CAP_NOTIFICATION);
	struct child srv;
	u32 caps[] = { ep };
	u32 ep_h = alloc(HELIOS_CAP_ENDPOINT);
	u32 srv_caps[] = { ep, ep_h };
	CHECK_EQ(spawn(SERVER, 0, srv_caps, 2, &srv), 0);
	S(TASK_NOTIFY, srv.task, death, 1, 0, 0);
	i64 st;

	/* Registers only. */
	struct umsg m = { .label = ECHO, .info = HELIOS_INFO(6, 0), .w = { 1, 2, 3, 4, 5, 6 } };
	CHECK_EQ(ipc(HELIOS_SYS_CALL, ep, &m), 0);
	CHECK_EQ(m.label, 0);
	CHECK_EQ(m.info, HELIOS_INFO(6, 0));
	CHECK(m.w[0] == 1 && m.w[3] == 4 && m.w[5] == 6);
	m = call(ep, ADD, HELIOS_INFO(2, 0), 40, 2, &st);
	CHECK_EQ(st, 0);
	CHECK_EQ(m.w[0], 42);
	/* Registers past nwords arrive as zeros, and go back as zeros. */
	m = call(ep, ZEROS, HELIOS_INFO(2, 0), 1, 2, &st);
	CHECK_EQ(m.w[0], 0);
	CHECK(m.w[1] == 0 && m.w[5] == 0);
	/* An unknown label: the server's status comes back in the label. */
	m = call(ep, 999, 0, 0, 0, &st);
	CHECK_EQ(st, 0);
	CHECK_EQ((i64)m.label, HELIOS_ENOSYS);

	/* 64 words, then as many as the IPC buffer holds; the full page
	 * comes back. */
	static const u32 big[] = { 64, HELIOS_MAX_WORDS };
	for (u32 k = 0; k < 2; k++) {
		u64 n = big[k];
		for (u32 i = HELIOS_REG_WORDS; i < HELIOS_MAX_WORDS; i++)
			b->word[i] = i < n ? i : 1000000;
		m = (struct umsg){ .label = BIG, .info = HELIOS_INFO(n, 0), .w = { 0, 1, 2, 3, 4, 5 } };
		CHECK_EQ(ipc(HELIOS_SYS_CALL, ep, &m), 0);
		CHECK_EQ(m.w[0], (n - 1) * n / 2);
		CHECK_EQ(m.w[1], n);
		CHECK_EQ(HELIOS_INFO_WORDS(m.info), HELIOS_MAX_WORDS);
		CHECK_EQ(m.w[4], 12);
		CHECK(b->word[6] == 18 && b->word[63] == 189);
		CHECK_EQ(b->word[HELIOS_MAX_WORDS - 1], 3 * (HELIOS_MAX_WORDS - 1));
	}

	/* Capabilities move: they leave us, one comes back in a new slot. */
	u32 page = alloc(HELIOS_CAP_PAGE), n2 = alloc(HELIOS_CAP_NOTIFICATION);
	b->cap[0] = page;
	b->cap[1] = n2;
	m = call(ep, CAPS, HELIOS_INFO(0, 2), 0, 0, &st);
	CHECK_EQ(st, 0);
	CHECK_EQ(m.w[0], 2);
	CHECK_EQ(m.w[1], HELIOS_CAP_PAGE);
	CHECK_EQ(m.w[2], HELIOS_CAP_NOTIFICATION);
	CHECK_EQ(HELIOS_INFO_CAPS(m.info), 1);
	CHECK_EQ(h_info(b->cap[0]).r0, HELIOS_CAP_NOTIFICATION);
	CHECK(h_info(page).st == HELIOS_EBADCAP || page == b->cap[0]);
	CHECK(h_info(n2).st == HELIOS_EBADCAP || n2 == b->cap[0]);
	h_destroy(b->cap[0]);

	/* Malformed messages are refused and move nothing. */
	page = alloc(HELIOS_CAP_PAGE);
	b->cap[0] = page;
	b->cap[1] = 200;                /* empty */
	call(ep, CAPS, HELIOS_INFO(0, 2), 0, 0, &st);
	CHECK_EQ(st, HELIOS_EBADCAP);
	CHECK_EQ(h_info(page).st, 0);
	b->cap[1] = page;               /* twice */
	call(ep, CAPS, HELIOS_INFO(0, 2), 0, 0, &st);
	CHECK_EQ(st, HELIOS_EINVAL);
	call(ep, ECHO, HELIOS_INFO(HELIOS_MAX_WORDS + 1, 0), 0, 0, &st);
	CHECK_EQ(st, HELIOS_EINVAL);
	call(ep, ECHO, HELIOS_INFO(0, HELIOS_MAX_CAPS + 1), 0, 0, &st);
	CHECK_EQ(st, HELIOS_EINVAL);
	call(ep, ECHO, 1ull << 40, 0, 0, &st);
	CHECK_EQ(st, HELIOS_EINVAL);
	call(note, ECHO, 0, 0, 0, &st);
	CHECK_EQ(st, HELIOS_EBADCAP);
	call(250, ECHO, 0, 0, 0, &st);
	CHECK_EQ(st, HELIOS_EBADCAP);
	call(0x12345678, ECHO, 0, 0, 0, &st);
	CHECK_EQ(st, HELIOS_EBADCAP);
	m = (struct umsg){ 0 };
	CHECK_EQ(ipc(HELIOS_SYS_REPLY, 0, &m), HELIOS_EINVAL);
	CHECK_EQ(S(REPLY_SAVE, NONE, 0, 0, 0, 0).st, HELIOS_EINVAL);

	/* A saved reply, answered when another call comes. */
	struct child cl;
	CHECK_EQ(spawn(CLIENT, 0, caps, 1, &cl), 0);
	S(TASK_NOTIFY, cl.task, death, 2, 0, 0);
	wait_saved(ep);
	m = call(ep, RELEASE, HELIOS_INFO(1, 0), 777, 0, &st);
	CHECK_EQ(st, 0);
	CHECK_EQ(m.w[0], 0);
	CHECK_EQ(m.w[1], HELIOS_EBADCAP);
	CHECK_EQ(h_wait(death).r0, 2);
	CHECK_EQ(h_status(cl.task).r0, HELIOS_TASK_EXITED);
	CHECK_EQ(h_status(cl.task).r1, 777);
	child_free(&cl);

	/* A saved reply whose caller died: answering it fails harmlessly. */
	CHECK_EQ(spawn(CLIENT, 0, caps, 1, &cl), 0);
	wait_saved(ep);
	child_free(&cl);                /* killed while waiting for the reply */
	m = call(ep, RELEASE, HELIOS_INFO(1, 0), 1, 0, &st);
	CHECK_EQ(st, 0);
	CHECK_EQ((i64)m.w[0], HELIOS_EPEER);
	CHECK_EQ(m.w[1], HELIOS_EBADCAP);

	/* A saved reply moves to a third task, which answers it; reply
	 * capabilities move but never copy. */
	struct child hp;
	u32 hcaps[] = { ep_h };
	CHECK_EQ(spawn(HELPER, 0, hcaps, 1, &hp), 0);
	S(TASK_NOTIFY, hp.task, death, 2, 0, 0);
	m = call(ep, FORWARD, HELIOS_INFO(1, 0), 4241, 0, &st);
	CHECK_EQ(st, 0);
	CHECK_EQ(m.label, 0);
	CHECK_EQ(m.w[0], 4242);
	CHECK_EQ((i64)m.w[1], HELIOS_EPERM);
	CHECK_EQ(h_wait(death).r0, 2);
	CHECK_EQ(h_status(hp.task).r1, 0);
	child_free(&hp);

	/* A reply capability destroyed unanswered: the call still ends. */
	m = call(ep, DROP, 0, 0, 0, &st);
	CHECK_EQ(st, HELIOS_EPEER);

	/* One-way. */
	m = (struct umsg){ .label = ONEWAY, .info = HELIOS_INFO(1, 0), .w = { 55 } };
	CHECK_EQ(ipc(HELIOS_SYS_SEND, ep, &m), 0);
	m = call(ep, GET_ONEWAY, 0, 0, 0, &st);
	CHECK_EQ(m.w[0], 55);

	/* Notifications: bits accumulate until taken. */
	CHECK_EQ(h_signal(note, 1), 0);
	CHECK_EQ(h_signal(note, 4), 0);
	struct sysret w = h_wait(note);
	CHECK_EQ(w.st, 0);
	CHECK_EQ(w.r0, 5);
	u32 note2 = alloc(HELIOS_CAP_NOTIFICATION);
	u32 wcaps[] = { ep, note2 };
	struct child wt;
	CHECK_EQ(spawn(WAITER, 0, wcaps, 2, &wt), 0);
	S(TASK_NOTIFY, wt.task, death, 4, 0, 0);
	for (int i = 0; i < 5; i++)
		S(YIELD, 0, 0, 0, 0, 0);
	CHECK_EQ(h_signal(note2, 0x30), 0);
	CHECK_EQ(h_wait(death).r0, 4);
	CHECK_EQ(h_status(wt.task).r1, 0x30);
	child_free(&wt);

	/* Poll: an endpoint and a notification served by one loop. */
	u32 ep2 = alloc(HELIOS_CAP_ENDPOINT), note3 = alloc(HELIOS_CAP_NOTIFICATION);
	u32 pcaps[] = { ep2, note3 };
	struct child pl;
	CHECK_EQ(spawn(POLLER, 0, pcaps, 2, &pl), 0);
	h_signal(note3, 2);
	m = call(ep2, 1, 0, 0, 0, &st);
	CHECK_EQ(st, 0);
	CHECK_EQ(m.w[0], 2);
	h_signal(note3, 8);
	h_signal(note3, 16);
	for (int i = 0; i < 5; i++)
		S(YIELD, 0, 0, 0, 0, 0);
	m = call(ep2, 1, 0, 0, 0, &st);
	CHECK_EQ(m.w[0], 2 | 8 | 16);
	child_free(&pl);

	/* Our own poll: ready at once, and its refusals. */
	h_signal(note, 1);
	b->poll[0] = (struct helios_pollcap){ ep, HELIOS_POLL_RECV, 0 };
	b->poll[1] = (struct helios_pollcap){ note, HELIOS_POLL_RECV, 0 };
	struct sysret p = S(POLL, 2, 0, 0, 0, 0);
	CHECK_EQ(p.st, 0);
	CHECK_EQ(p.r0, 1);
	CHECK_EQ(b->poll[0].revents, 0);
	CHECK_EQ(b->poll[1].revents, HELIOS_POLL_RECV);
	h_wait(note);
	/* The server waits in REPLY_RECV: SEND is ready on its endpoint. */
	b->poll[0] = (struct helios_pollcap){ ep, HELIOS_POLL_SEND, 0 };
	CHECK_EQ(S(POLL, 1, 0, 0, 0, 0).st, 0);
	CHECK_EQ(b->poll[0].revents, HELIOS_POLL_SEND);
	CHECK_EQ(S(POLL, 0, 0, 0, 0, 0).st, HELIOS_EINVAL);
	CHECK_EQ(S(POLL, 17, 0, 0, 0, 0).st, HELIOS_EINVAL);
	b->poll[0] = (struct helios_pollcap){ 200, HELIOS_POLL_RECV, 0 };
	CHECK_EQ(S(POLL, 1, 0, 0, 0, 0).st, HELIOS_EBADCAP);
	b->poll[0] = (struct helios_pollcap){ HELIOS_ROOT_MEMORY, HELIOS_POLL_RECV, 0 };
	CHECK_EQ(S(POLL, 1, 0, 0, 0, 0).st, HELIOS_EBADCAP);

	/* Several clients in their own vspaces share the server's endpoint,
	 * with us among them. */
	struct child adders[4];
	for (u64 i = 0; i < 4; i++) {
		CHECK_EQ(spawn(ADDER, 1000 * (i + 1), caps, 1, &adders[i]), 0);
		S(TASK_NOTIFY, adders[i].task, death, 8 << i, 0, 0);
	}
	int bad = 0;
	for (u64 i = 0; i < 300; i++) {
		m = call(ep, ADD, HELIOS_INFO(2, 0), 7, i, &st);
		bad += st || m.w[0] != 7 + i;
	}
	CHECK_EQ(bad, 0);
	u64 done = 0;
	while (done != 0x78)
		done |= h_wait(death).r0 & 0x78;
	for (int i = 0; i < 4; i++) {
		CHECK_EQ(h_status(adders[i].task).r0, HELIOS_TASK_EXITED);
		CHECK_EQ(h_status(adders[i].task).r1, 0);
		child_free(&adders[i]);
	}

	/* REPLY_RECV whose reply moves away the very endpoint capability it
	 * then receives on (the storm found this one).  The server still
	 * waits on the endpoint; its next REPLY_RECV finds the slot empty. */
	u32 ep3 = alloc(HELIOS_CAP_ENDPOINT);
	u32 caps3[] = { ep3 };
	struct child s3;
	CHECK_EQ(spawn(SERVER, 0, caps3, 1, &s3), 0);
	S(TASK_NOTIFY, s3.task, death, 0x100, 0, 0);
	m = call(ep3, GIVE_EP, 0, 0, 0, &st);
	CHECK_EQ(st, 0);
	CHECK_EQ(HELIOS_INFO_CAPS(m.info), 1);
	CHECK_EQ(h_info(b->cap[0]).r0, HELIOS_CAP_ENDPOINT);
	m = call(b->cap[0], ECHO, 0, 0, 0, &st);
	CHECK_EQ(st, HELIOS_EPEER);
	CHECK_EQ(h_wait(death).r0 & 0x100, 0x100);
	child_free(&s3);

	/* The server dies in the middle of our call: we hear of it. */
	m = call(ep, DIE, 0, 0, 0, &st);
	CHECK_EQ(st, HELIOS_EPEER);
	CHECK_EQ(h_wait(death).r0, 1);
	child_free(&srv);
}
