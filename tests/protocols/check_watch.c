/*
 * check_watch.c: tests/protocols/watch.ipc end to end over the POSIX port.
 * The watcher is a child process serving three kinds of object: the feed a
 * file system reports changes through, the watcher clients subscribe at,
 * and one endpoint per subscription.  The test plays both the file system
 * and the subscribers: events filtered by mask, read in batches, rewound,
 * acknowledged; a queue overflowing reported in-band; cancellation; every
 * error; hostile encodings.
 */
#include <stdio.h>
#include <unistd.h>

#include "harness.h"
#include "watch.h"

/* ---- the server ----------------------------------------------------------------------- */

#define MAXSUBS 3
#define MAXDIRS 4

struct sub {
	struct watch_subscription obj;  /* first: the generated server's self */
	bool used, cancelled;
	char dir[WATCH_PATH_MAX + 1];
	watch_mask mask;
	uint32_t room;
	struct watch_event q[WATCH_QUEUE_MAX];   /* seq s at q[(s - 1) % QUEUE_MAX] */
	uint64_t last, acked, cursor, lost;
};

static struct sub subs[MAXSUBS];
static char dirs[MAXDIRS][WATCH_PATH_MAX + 1];
static size_t ndirs;
static uint64_t taken;

static const struct watch_subscription_iface sub_impl;

static watch_mask mask_of(enum watch_event_kind k)
{
	switch (k) {
	case WATCH_EVENT_KIND_CREATED: return WATCH_MASK_CREATE;
	case WATCH_EVENT_KIND_REMOVED: return WATCH_MASK_REMOVE;
	case WATCH_EVENT_KIND_MODIFIED: return WATCH_MASK_MODIFY;
	case WATCH_EVENT_KIND_MOVED_FROM:
	case WATCH_EVENT_KIND_MOVED_TO: return WATCH_MASK_MOVE;
	case WATCH_EVENT_KIND_ATTRIB: return WATCH_MASK_ATTRIB;
	}
	return 0;
}

static void feed_changed(struct watch_feed *self, const char *dir, enum watch_event_kind kind,
                         const char *name, const uint32_t *cookie)
{
	(void)self;
	bool move = mask_of(kind) == WATCH_MASK_MOVE;
	if (move != (cookie != NULL))
		return;
	taken++;
	for (int i = 0; i < MAXSUBS; i++) {
		struct sub *s = &subs[i];
		if (!s->used || s->cancelled || strcmp(s->dir, dir) != 0 || !(s->mask & mask_of(kind)))
			continue;
		if (s->last - s->acked >= s->room) {
			s->lost++;               /* the newest is lost */
			continue;
		}
		struct watch_event *e = &s->q[s->last % WATCH_QUEUE_MAX];
		e->seq = ++s->last;
		e->kind = kind;
		strcpy(e->name, name);
		e->has_cookie = cookie != NULL;
		e->cookie = cookie ? *cookie : 0;
	}
}

static int feed_add_dir(struct watch_feed *self, const char *dir)
{
	(void)self;
	if (dir[0] != '/')
		return WATCH_ERR_INVALID;
	if (ndirs == MAXDIRS)
		return WATCH_ERR_TOO_MANY;
	strcpy(dirs[ndirs++], dir);
	return 0;
}

static int feed_sync(struct watch_feed *self, uint64_t *result)
{
	(void)self;
	*result = taken;
	return 0;
}

static const struct watch_feed_iface feed_impl = {
	.changed = feed_changed,
	.add_dir = feed_add_dir,
	.sync = feed_sync,
};

static int w_subscribe(struct watch_watcher *self, const char *dir, watch_mask mask,
                       const uint32_t *queue, ipc_cap *sub, uint32_t *id)
{
	(void)self;
	size_t d = 0;
	while (d < ndirs && strcmp(dirs[d], dir) != 0)
		d++;
	if (d == ndirs)
		return WATCH_ERR_NOT_FOUND;
	uint32_t room = queue ? *queue : WATCH_QUEUE_DEFAULT;
	if (!mask || room == 0 || room > WATCH_QUEUE_MAX)
		return WATCH_ERR_INVALID;
	int i = 0;
	while (i < MAXSUBS && subs[i].used)
		i++;
	if (i == MAXSUBS)
		return WATCH_ERR_TOO_MANY;
	ipc_cap ep;
	if (ipc_posix_endpoint(&ep) < 0)
		return IPC_EFAULT;
	memset(&subs[i], 0, sizeof subs[i]);
	subs[i].used = true;
	strcpy(subs[i].dir, dir);
	subs[i].mask = mask;
	subs[i].room = room;
	ipc_posix_nonblock(ep, true);
	watch_subscription_init(&subs[i].obj, &sub_impl, ep);
	*sub = IPC_LEND(ep);
	*id = (uint32_t)i + 1;
	return 0;
}

static const struct watch_watcher_iface watcher_impl = {.subscribe = w_subscribe};

static int sub_next(struct watch_subscription *self, const uint32_t *max, bool rewind,
                    struct watch_event *events, size_t *nevents, uint64_t *lost, bool *overflow)
{
	struct sub *s = (struct sub *)self;
	if (s->cancelled)
		return WATCH_ERR_CANCELLED;
	uint32_t want = max ? *max : WATCH_BATCH;
	if (want == 0 || want > WATCH_BATCH)
		return WATCH_ERR_INVALID;
	if (rewind)
		s->cursor = s->acked;
	size_t n = 0;
	while (n < want && s->cursor < s->last)
		events[n++] = s->q[s->cursor++ % WATCH_QUEUE_MAX];
	*nevents = n;
	*lost = s->lost;
	*overflow = s->lost > 0;
	s->lost = 0;
	return 0;
}

static void sub_ack(struct watch_subscription *self, uint64_t seq)
{
	struct sub *s = (struct sub *)self;
	if (seq <= s->cursor && seq > s->acked)   /* only what was delivered */
		s->acked = seq;
}

static int sub_cancel(struct watch_subscription *self)
{
	struct sub *s = (struct sub *)self;
	if (s->cancelled)
		return WATCH_ERR_CANCELLED;
	s->cancelled = true;            /* its slot stays taken while held */
	return 0;
}

static const struct watch_subscription_iface sub_impl = {
	.next = sub_next,
	.ack = sub_ack,
	.cancel = sub_cancel,
};

static void serve(ipc_cap feed_ep, ipc_cap watcher_ep)
{
	struct watch_feed feed;
	struct watch_watcher watcher;
	ipc_posix_nonblock(feed_ep, true);
	ipc_posix_nonblock(watcher_ep, true);
	watch_feed_init(&feed, &feed_impl, feed_ep);
	watch_watcher_init(&watcher, &watcher_impl, watcher_ep);
	for (;;) {
		struct ipc_pollcap pc[2 + MAXSUBS] = {{feed_ep, IPC_POLLRECV, 0},
		                                      {watcher_ep, IPC_POLLRECV, 0}};
		struct sub *who[2 + MAXSUBS] = {NULL, NULL};
		size_t n = 2;
		for (int i = 0; i < MAXSUBS; i++)
			if (subs[i].used) {
				pc[n] = (struct ipc_pollcap){subs[i].obj.endpoint, IPC_POLLRECV, 0};
				who[n++] = &subs[i];
			}
		if (ipc_posix_poll(pc, n, -1) < 0)
			_exit(3);
		/* each drained: ready may mean a connection came or went, with
		 * no request to receive */
		if (pc[0].revents & IPC_POLLRECV)
			while (watch_feed_dispatch(&feed) != IPC_EAGAIN)
				;
		if (pc[1].revents & IPC_POLLRECV)
			while (watch_watcher_dispatch(&watcher) != IPC_EAGAIN)
				;
		for (size_t k = 2; k < n; k++)
			if (pc[k].revents & IPC_POLLRECV)
				while (watch_subscription_dispatch(&who[k]->obj) != IPC_EAGAIN)
					;
	}
}

static ipc_cap feed, watcher;
static pid_t server;

static void start(void)
{
	ipc_cap fep, wep;
	ck_assert_int_eq(ipc_posix_endpoint(&fep), 0);
	ck_assert_int_eq(ipc_posix_endpoint(&wep), 0);
	ck_assert_int_eq(ipc_posix_connection(fep, &feed), 0);
	ck_assert_int_eq(ipc_posix_connection(wep, &watcher), 0);
	server = fork();
	ck_assert_int_ge(server, 0);
	if (server == 0) {
		ipc_cap_drop(feed);
		ipc_cap_drop(watcher);
		serve(fep, wep);
	}
	ipc_cap_drop(fep);
	ipc_cap_drop(wep);
	ck_assert_int_eq(watch_feed_add_dir(feed, "/home"), 0);
	ck_assert_int_eq(watch_feed_add_dir(feed, "/tmp"), 0);
}

static void stop(void)
{
	ipc_cap_drop(feed);
	ipc_cap_drop(watcher);
	stop_child(server);
}

/* ---- helpers ---------------------------------------------------------------------------- */

static void change(const char *dir, enum watch_event_kind kind, const char *name)
{
	ck_assert_int_eq(watch_feed_changed(feed, dir, kind, name, NULL), 0);
}

static void move(const char *dir, const char *from, const char *to, uint32_t cookie)
{
	ck_assert_int_eq(watch_feed_changed(feed, dir, WATCH_EVENT_KIND_MOVED_FROM, from, &cookie), 0);
	ck_assert_int_eq(watch_feed_changed(feed, dir, WATCH_EVENT_KIND_MOVED_TO, to, &cookie), 0);
}

static uint64_t sync_feed(void)
{
	uint64_t n = 0;
	ck_assert_int_eq(watch_feed_sync(feed, &n), 0);
	return n;
}

static ipc_cap subscribe(const char *dir, watch_mask mask, const uint32_t *queue, uint32_t *id)
{
	ipc_cap s = IPC_CAP_NONE;
	ck_assert_int_eq(watch_watcher_subscribe(watcher, dir, mask, queue, &s, id), 0);
	return s;
}

/* ---- the tests ---------------------------------------------------------------------------- */

START_TEST(events_filtered_in_order_with_move_cookies)
{
	uint32_t id = 0, id2 = 0;
	const watch_mask all = WATCH_MASK_CREATE | WATCH_MASK_REMOVE | WATCH_MASK_MODIFY |
	                       WATCH_MASK_MOVE | WATCH_MASK_ATTRIB;
	ipc_cap s = subscribe("/home", all, NULL, &id);
	ipc_cap c = subscribe("/home", WATCH_MASK_CREATE, NULL, &id2);
	ck_assert_uint_eq(id, 1);
	ck_assert_uint_eq(id2, 2);
	ck_assert_int_eq(watch_subscription_describe(s), 0);
	change("/home", WATCH_EVENT_KIND_CREATED, "a.txt");
	change("/tmp", WATCH_EVENT_KIND_CREATED, "elsewhere");
	change("/home", WATCH_EVENT_KIND_MODIFIED, "a.txt");
	move("/home", "a.txt", "b.txt", 77);
	change("/home", WATCH_EVENT_KIND_CREATED, "c");
	change("/home", WATCH_EVENT_KIND_ATTRIB, "c");
	ck_assert_uint_eq(sync_feed(), 7);
	struct watch_event ev[WATCH_BATCH];
	size_t n = 0;
	uint64_t lost = 9;
	bool overflow = true;
	ck_assert_int_eq(watch_subscription_next(s, NULL, false, ev, &n, &lost, &overflow), 0);
	ck_assert_uint_eq(n, WATCH_BATCH);
	ck_assert_uint_eq(lost, 0);
	ck_assert(!overflow);
	for (size_t i = 0; i < n; i++)
		ck_assert_uint_eq(ev[i].seq, i + 1);
	ck_assert_int_eq(ev[0].kind, WATCH_EVENT_KIND_CREATED);
	ck_assert_str_eq(ev[0].name, "a.txt");
	ck_assert(!ev[0].has_cookie);
	ck_assert_int_eq(ev[1].kind, WATCH_EVENT_KIND_MODIFIED);
	ck_assert_int_eq(ev[2].kind, WATCH_EVENT_KIND_MOVED_FROM);
	ck_assert_int_eq(ev[3].kind, WATCH_EVENT_KIND_MOVED_TO);
	ck_assert(ev[2].has_cookie && ev[3].has_cookie);
	ck_assert_uint_eq(ev[2].cookie, 77);
	ck_assert_uint_eq(ev[3].cookie, ev[2].cookie);
	ck_assert_str_eq(ev[3].name, "b.txt");
	uint32_t one = 1;
	ck_assert_int_eq(watch_subscription_next(s, &one, false, ev, &n, &lost, &overflow), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(ev[0].kind, WATCH_EVENT_KIND_ATTRIB);
	ck_assert_uint_eq(ev[0].seq, 6);
	ck_assert_int_eq(watch_subscription_next(s, NULL, false, ev, &n, &lost, &overflow), 0);
	ck_assert_uint_eq(n, 0);
	/* the CREATE-only subscription saw the two creations in /home */
	ck_assert_int_eq(watch_subscription_next(c, NULL, false, ev, &n, &lost, &overflow), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(ev[0].name, "a.txt");
	ck_assert_str_eq(ev[1].name, "c");
	ck_assert_uint_eq(ev[1].seq, 2);
	/* a change whose cookie does not match its kind is dropped */
	uint32_t k = 5;
	ck_assert_int_eq(watch_feed_changed(feed, "/home", WATCH_EVENT_KIND_CREATED, "x", &k), 0);
	ck_assert_int_eq(watch_feed_changed(feed, "/home", WATCH_EVENT_KIND_MOVED_TO, "x", NULL), 0);
	ck_assert_uint_eq(sync_feed(), 7);
	ck_assert_int_eq(watch_subscription_next(c, NULL, false, ev, &n, &lost, &overflow), 0);
	ck_assert_uint_eq(n, 0);
	ipc_cap_drop(s);
	ipc_cap_drop(c);
}
END_TEST

START_TEST(acknowledgement_and_rewind)
{
	uint32_t id;
	ipc_cap s = subscribe("/tmp", WATCH_MASK_CREATE | WATCH_MASK_REMOVE, NULL, &id);
	char name[8];
	for (int i = 0; i < 4; i++) {
		snprintf(name, sizeof name, "f%d", i);
		change("/tmp", i % 2 ? WATCH_EVENT_KIND_REMOVED : WATCH_EVENT_KIND_CREATED, name);
	}
	sync_feed();
	struct watch_event ev[WATCH_BATCH];
	size_t n;
	uint64_t lost;
	bool overflow;
	uint32_t three = 3;
	ck_assert_int_eq(watch_subscription_next(s, &three, false, ev, &n, &lost, &overflow), 0);
	ck_assert_uint_eq(n, 3);
	/* handled the first two; a crash: rewind redelivers from the third */
	ck_assert_int_eq(watch_subscription_ack(s, 2), 0);
	ck_assert_int_eq(watch_subscription_next(s, NULL, true, ev, &n, &lost, &overflow), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(ev[0].seq, 3);
	ck_assert_str_eq(ev[0].name, "f2");
	ck_assert_uint_eq(ev[1].seq, 4);
	ck_assert_int_eq(ev[1].kind, WATCH_EVENT_KIND_REMOVED);
	/* an ack of what was not delivered, or going back, is ignored */
	ck_assert_int_eq(watch_subscription_ack(s, 99), 0);
	ck_assert_int_eq(watch_subscription_ack(s, 1), 0);
	ck_assert_int_eq(watch_subscription_next(s, NULL, true, ev, &n, &lost, &overflow), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(ev[0].seq, 3);
	ck_assert_int_eq(watch_subscription_ack(s, 4), 0);
	ck_assert_int_eq(watch_subscription_next(s, NULL, true, ev, &n, &lost, &overflow), 0);
	ck_assert_uint_eq(n, 0);
	ipc_cap_drop(s);
}
END_TEST

START_TEST(overflow_is_reported_in_band)
{
	uint32_t id, room = 4;
	ipc_cap s = subscribe("/home", WATCH_MASK_MODIFY, &room, &id);
	char name[8];
	for (int i = 0; i < 7; i++) {
		snprintf(name, sizeof name, "m%d", i);
		change("/home", WATCH_EVENT_KIND_MODIFIED, name);
	}
	sync_feed();
	struct watch_event ev[WATCH_BATCH];
	size_t n;
	uint64_t lost = 0;
	bool overflow = false;
	ck_assert_int_eq(watch_subscription_next(s, NULL, false, ev, &n, &lost, &overflow), 0);
	ck_assert_uint_eq(n, 4);              /* the oldest kept, the newest lost */
	ck_assert_str_eq(ev[3].name, "m3");
	ck_assert_uint_eq(lost, 3);
	ck_assert(overflow);
	/* reported once; room comes back only with an ack */
	change("/home", WATCH_EVENT_KIND_MODIFIED, "late");
	sync_feed();
	ck_assert_int_eq(watch_subscription_next(s, NULL, false, ev, &n, &lost, &overflow), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_uint_eq(lost, 1);
	ck_assert(overflow);
	ck_assert_int_eq(watch_subscription_ack(s, 4), 0);
	/* the ack is a send on s, the change comes through the feed: a call
	 * on s orders them (nothing is queued, nothing lost since) */
	ck_assert_int_eq(watch_subscription_next(s, NULL, false, ev, &n, &lost, &overflow), 0);
	ck_assert_uint_eq(n + lost, 0);
	change("/home", WATCH_EVENT_KIND_MODIFIED, "after");
	sync_feed();
	ck_assert_int_eq(watch_subscription_next(s, NULL, false, ev, &n, &lost, &overflow), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(ev[0].seq, 5);      /* lost events took no number */
	ck_assert_str_eq(ev[0].name, "after");
	ck_assert_uint_eq(lost, 0);
	ck_assert(!overflow);
	ipc_cap_drop(s);
}
END_TEST

START_TEST(errors_and_cancellation)
{
	ipc_cap s = 42;
	uint32_t id, room = WATCH_QUEUE_MAX + 1, zero = 0;
	ck_assert_int_eq(watch_watcher_subscribe(watcher, "/nowhere", WATCH_MASK_CREATE, NULL, &s, &id),
	                 WATCH_ERR_NOT_FOUND);
	ck_assert_int_eq(watch_watcher_subscribe(watcher, "/home", 0, NULL, &s, &id), WATCH_ERR_INVALID);
	ck_assert_int_eq(watch_watcher_subscribe(watcher, "/home", WATCH_MASK_CREATE, &room, &s, &id),
	                 WATCH_ERR_INVALID);
	ck_assert_int_eq(watch_watcher_subscribe(watcher, "/home", WATCH_MASK_CREATE, &zero, &s, &id),
	                 WATCH_ERR_INVALID);
	ck_assert_int_eq(watch_watcher_subscribe(watcher, "/home", 0x20, NULL, &s, &id), IPC_EINVAL);
	ck_assert_uint_eq(s, 42);
	ck_assert_int_eq(watch_feed_add_dir(feed, "relative"), WATCH_ERR_INVALID);
	ck_assert_int_eq(watch_feed_add_dir(feed, "/a"), 0);
	ck_assert_int_eq(watch_feed_add_dir(feed, "/b"), 0);
	ck_assert_int_eq(watch_feed_add_dir(feed, "/c"), WATCH_ERR_TOO_MANY);
	ipc_cap subs_held[MAXSUBS];
	for (int i = 0; i < MAXSUBS; i++)
		subs_held[i] = subscribe("/a", WATCH_MASK_CREATE, NULL, &id);
	ck_assert_int_eq(watch_watcher_subscribe(watcher, "/a", WATCH_MASK_CREATE, NULL, &s, &id),
	                 WATCH_ERR_TOO_MANY);
	struct watch_event ev[WATCH_BATCH];
	size_t n;
	uint64_t lost;
	bool overflow;
	uint32_t six = WATCH_BATCH + 1;
	ck_assert_int_eq(watch_subscription_next(subs_held[0], &zero, false, ev, &n, &lost, &overflow),
	                 WATCH_ERR_INVALID);
	ck_assert_int_eq(watch_subscription_next(subs_held[0], &six, false, ev, &n, &lost, &overflow),
	                 WATCH_ERR_INVALID);
	change("/a", WATCH_EVENT_KIND_CREATED, "x");
	ck_assert_int_eq(watch_subscription_cancel(subs_held[1]), 0);
	ck_assert_int_eq(watch_subscription_cancel(subs_held[1]), WATCH_ERR_CANCELLED);
	ck_assert_int_eq(watch_subscription_next(subs_held[1], NULL, false, ev, &n, &lost, &overflow),
	                 WATCH_ERR_CANCELLED);
	ck_assert_int_eq(watch_subscription_next(subs_held[2], NULL, false, ev, &n, &lost, &overflow), 0);
	ck_assert_uint_eq(n, 1);
	for (int i = 0; i < MAXSUBS; i++)
		ipc_cap_drop(subs_held[i]);
}
END_TEST

/* "ab" as a string: a length word, then the bytes in one word. */
#define STR(a, b) 2, ((uint64_t)(b) << 8 | (uint64_t)(a))
/* "/home" */
#define HOME 5, UINT64_C(0x656d6f682f)

START_TEST(servers_refuse_hostile_encodings)
{
	uint32_t id;
	ipc_cap s = subscribe("/home", WATCH_MASK_CREATE | WATCH_MASK_MOVE, NULL, &id);
	/* changed(dir, kind, name, cookie?): well formed, then a kind no member
	 * names, a cookie's presence of 2, a cookie past u32, a word too many;
	 * sends: the server drops the bad ones, sync and next tell */
	uint64_t ok[] = {HOME, WATCH_EVENT_KIND_CREATED, STR('o', 'k'), 0};
	ck_assert_int_eq(raw_send(feed, WATCH_FEED_CHANGED, ok, 6), 0);
	uint64_t kind0[] = {HOME, 0, STR('k', '0'), 0};
	ck_assert_int_eq(raw_send(feed, WATCH_FEED_CHANGED, kind0, 6), 0);
	uint64_t flag2[] = {HOME, WATCH_EVENT_KIND_MOVED_TO, STR('f', '2'), 2, 1};
	ck_assert_int_eq(raw_send(feed, WATCH_FEED_CHANGED, flag2, 7), 0);
	uint64_t wide[] = {HOME, WATCH_EVENT_KIND_MOVED_TO, STR('w', 'i'), 1, UINT64_C(1) << 32};
	ck_assert_int_eq(raw_send(feed, WATCH_FEED_CHANGED, wide, 7), 0);
	uint64_t extra[] = {HOME, WATCH_EVENT_KIND_CREATED, STR('e', 'x'), 0, 0};
	ck_assert_int_eq(raw_send(feed, WATCH_FEED_CHANGED, extra, 7), 0);
	uint64_t bad_utf8[] = {HOME, WATCH_EVENT_KIND_CREATED, 1, 0xff, 0};
	ck_assert_int_eq(raw_send(feed, WATCH_FEED_CHANGED, bad_utf8, 6), 0);
	uint64_t moved[] = {HOME, WATCH_EVENT_KIND_MOVED_TO, STR('m', 'v'), 1, 0xffffffff};
	ck_assert_int_eq(raw_send(feed, WATCH_FEED_CHANGED, moved, 7), 0);
	ck_assert_uint_eq(sync_feed(), 2);
	struct watch_event ev[WATCH_BATCH];
	size_t n;
	uint64_t lost;
	bool overflow;
	ck_assert_int_eq(watch_subscription_next(s, NULL, false, ev, &n, &lost, &overflow), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(ev[0].name, "ok");
	ck_assert_str_eq(ev[1].name, "mv");
	ck_assert_uint_eq(ev[1].cookie, 0xffffffff);
	/* subscribe(dir, mask, queue?): a mask bit no member names; next(max?,
	 * rewind: bool): a bool of 2; ack(seq) with a word too many, none */
	uint64_t mask[] = {HOME, 0x40, 0};
	ck_assert_int_eq(raw_call(watcher, WATCH_WATCHER_SUBSCRIBE, mask, 4), IPC_EPROTO);
	uint64_t okmask[] = {HOME, WATCH_MASK_CREATE, 1, 2};
	ck_assert_int_eq(raw_call(watcher, WATCH_WATCHER_SUBSCRIBE, okmask, 5), 0);
	uint64_t bool2[] = {0, 2};
	ck_assert_int_eq(raw_call(s, WATCH_SUBSCRIPTION_NEXT, bool2, 2), IPC_EPROTO);
	uint64_t ack2[] = {2, 0};
	ck_assert_int_eq(raw_send(s, WATCH_SUBSCRIPTION_ACK, ack2, 2), 0);
	ck_assert_int_eq(raw_send(s, WATCH_SUBSCRIPTION_ACK, NULL, 0), 0);
	uint64_t rewind[] = {0, 1};
	ck_assert_int_eq(raw_call(s, WATCH_SUBSCRIPTION_NEXT, rewind, 2), 0);
	ck_assert_int_eq(watch_subscription_next(s, NULL, true, ev, &n, &lost, &overflow), 0);
	ck_assert_uint_eq(n, 2);                  /* the malformed acks acknowledged nothing */
	/* a well-formed one does */
	ck_assert_int_eq(watch_subscription_ack(s, 2), 0);
	ck_assert_int_eq(watch_subscription_next(s, NULL, true, ev, &n, &lost, &overflow), 0);
	ck_assert_uint_eq(n, 0);
	/* the number after the last method answers nothing */
	ck_assert_int_eq(raw_call(s, IPC_LABEL(WATCH_SUBSCRIPTION_ID, 4), NULL, 0), IPC_ENOSYS);
	ipc_cap_drop(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("protocols-watch");
	TCase *t = tcase_create("watch");
	tcase_add_checked_fixture(t, start, stop);
	tcase_add_test(t, events_filtered_in_order_with_move_cookies);
	tcase_add_test(t, acknowledgement_and_rewind);
	tcase_add_test(t, overflow_is_reported_in_band);
	tcase_add_test(t, errors_and_cancellation);
	tcase_add_test(t, servers_refuse_hostile_encodings);
	suite_add_tcase(s, t);
	return run_suite(s);
}
