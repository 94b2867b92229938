/*
 * check_lang.c: language 2's values end to end (constants, structs, lists,
 * optional values, bit sets, several results, raises (ns::*), skip): stubs
 * generated from tests/ipcgen/ok/lang2.ipc, a server in a child process,
 * the POSIX transport between them.  Besides the round trips: what a client
 * refuses to send, what a server refuses to answer, and hostile encodings
 * of each construct sent by hand, which the generated server must refuse.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mercury/posix.h>
#include "../protocols/harness.h"
#include "lang.h"

/* ---- the server ---------------------------------------------------------------- */

static void fill_entry(struct lang_entry *e, const char *name, unsigned i)
{
	memset(e, 0, sizeof *e);
	snprintf(e->name, sizeof e->name, "%s", name);
	e->kind = i % 2 ? LANG_KIND_DIR : LANG_KIND_LINK;
	e->mode = LANG_MODE_READ | (i % 2 ? LANG_MODE_EXEC : 0);
	e->has_size = i % 2 == 0;
	e->size = 1000 + i;
	e->mtime.sec = -5 - (int64_t)i;
	e->mtime.nsec = 999999999;
	e->ntags = i % 5;
	for (size_t k = 0; k < e->ntags; k++)
		e->tags[k] = (uint8_t)(0xf0 + k);
}

static int srv_stat(struct lang_fs *self, const char *name, struct lang_entry *result)
{
	(void)self;
	if (strcmp(name, "missing") == 0)
		return LANG_ERR_MISSING;
	if (strcmp(name, "badenum") == 0) {      /* an implementation at fault */
		fill_entry(result, name, 1);
		result->kind = (enum lang_kind)3;
		return 0;
	}
	if (strcmp(name, "badbits") == 0) {
		fill_entry(result, name, 1);
		result->mode = 0x4;
		return 0;
	}
	if (strcmp(name, "badcount") == 0) {
		fill_entry(result, name, 1);
		result->ntags = 5;
		return 0;
	}
	if (strcmp(name, "full") == 0)           /* not among stat's errors */
		return LANG_ERR_FULL;
	fill_entry(result, name, 2);
	return 0;
}

static int srv_list(struct lang_fs *self, const char *dir, const uint32_t *max,
                    struct lang_entry *ents, size_t *nents, bool *more)
{
	(void)self;
	if (strcmp(dir, "full") == 0)
		return LANG_ERR_FULL;               /* declared by lang::* */
	if (strcmp(dir, "einval") == 0)
		return IPC_EINVAL;                  /* a transport status: its fault */
	if (strcmp(dir, "zero") == 0)           /* lang's high half, number 0: no error */
		return (int)(LANG_ERR_FULL & 0xffff0000);
	if (strcmp(dir, "future") == 0)         /* an error lang may add later */
		return (int)(LANG_ERR_FULL & 0xffff0000) | 0xfff0;
	size_t n = max ? *max : LANG_NITEMS;
	if (n > LANG_NITEMS)
		n = LANG_NITEMS + (strcmp(dir, "over") == 0);   /* past the bound: its fault */
	for (size_t i = 0; i < n && i < LANG_NITEMS; i++) {
		char name[16];
		snprintf(name, sizeof name, "%s%zu", dir, i);
		fill_entry(&ents[i], name, (unsigned)i);
	}
	*nents = n;
	*more = max != NULL;
	return 0;
}

static int srv_lookup(struct lang_fs *self, const char *path, enum lang_kind *kind, bool *has_rest,
                      char *rest, lang_mode *mode)
{
	(void)self;
	const char *slash = strchr(path, '/');
	*kind = slash ? LANG_KIND_DIR : LANG_KIND_FILE;
	*has_rest = slash != NULL;
	if (slash)
		strcpy(rest, slash + 1);
	*mode = LANG_MODE_READ | LANG_MODE_WRITE;
	return 0;
}

static int srv_names(struct lang_fs *self, const char *const *parts, size_t nparts, char *joined,
                     uint32_t *count)
{
	(void)self;
	joined[0] = 0;
	for (size_t i = 0; i < nparts; i++) {
		if (i)
			strcat(joined, "+");
		strcat(joined, parts[i]);
	}
	*count = (uint32_t)nparts;
	return 0;
}

static int srv_blobs(struct lang_fs *self, const struct lang_blob *b, lang_wide w, bool *has_ob,
                     struct lang_blob *ob, lang_wide *ow)
{
	(void)self;
	*has_ob = b != NULL;
	if (b) {
		*ob = *b;
		for (size_t i = 0; i < ob->ndata; i++)
			ob->data[i] ^= 0xff;
		if (b->has_note && strcmp(b->note, "fault") == 0)
			ob->ndata = 17;                /* past the bound: its fault */
	}
	*ow = w ^ LANG_WIDE_LOW;
	return 0;
}

static bool noted;
static struct lang_time note_when;
static lang_mode note_flags;

static void srv_note(struct lang_fs *self, const struct lang_time *when, lang_mode flags)
{
	(void)self;
	noted = when != NULL;
	if (when)
		note_when = *when;
	note_flags = flags;
}

static int srv_last(struct lang_fs *self, bool *has_when, struct lang_time *when, lang_mode *flags)
{
	(void)self;
	*has_when = noted;
	*when = note_when;
	*flags = note_flags;
	return 0;
}

/* Answered later, through the reply function, with results as given. */
static int srv_later(struct lang_fs *self, uint32_t n, bool *has_when, struct lang_time *when,
                     struct lang_entry *ents, size_t *nents)
{
	(void)self;
	(void)has_when;
	(void)when;
	(void)ents;
	(void)nents;
	ipc_cap reply;
	ck_assert_int_eq(ipc_reply_save(&reply), 0);
	struct lang_time t = {.sec = 42, .nsec = 7};
	struct lang_entry e[3];
	for (unsigned i = 0; i < 3; i++)
		fill_entry(&e[i], "later", i);
	if (n == 0)
		lang_fs_later_reply(reply, 0, NULL, e, 2);
	else if (n == 1)
		lang_fs_later_reply(reply, 0, &t, e, 1);
	else if (n == 2)
		lang_fs_later_reply(reply, 0, &t, e, 3);     /* past the bound: a fault */
	else
		lang_fs_later_reply(reply, 0, &t, NULL, 1);  /* a count with no entries */
	return IPC_DEFERRED;
}

static int srv_version(struct lang_fs *self, uint32_t msize, const char *version,
                       uint32_t *msize_out, char *version_out)
{
	(void)self;
	*msize_out = msize < 4096 ? msize : 4096;
	strcpy(version_out, strcmp(version, "9P2000") == 0 ? "9P2000" : "unknown");
	return 0;
}

/* Echoes its values; n picks a fault: 1 a bit no member names, 2 an enum
 * value no member names, 3 and 4 answered later (3 with a bad bit). */
static int srv_chmod(struct lang_fs *self, lang_mode flags, enum lang_kind kind, uint32_t n,
                     lang_mode *flags_out, enum lang_kind *kind_out, uint32_t *n_out)
{
	(void)self;
	*flags_out = n == 1 ? 0x4 : flags;
	*kind_out = n == 2 ? (enum lang_kind)3 : kind;
	*n_out = n + 1;
	if (n == 3 || n == 4) {
		ipc_cap reply;
		ck_assert_int_eq(ipc_reply_save(&reply), 0);
		lang_fs_chmod_reply(reply, 0, n == 3 ? LANG_MODE_WRITE | 0x4 : LANG_MODE_WRITE,
		                    LANG_KIND_LINK, n * 10);
		return IPC_DEFERRED;
	}
	return 0;
}

static const struct lang_fs_iface impl = {
	.stat = srv_stat,
	.list = srv_list,
	.lookup = srv_lookup,
	.names = srv_names,
	.blobs = srv_blobs,
	.note = srv_note,
	.last = srv_last,
	.later = srv_later,
	.version = srv_version,
	.chmod = srv_chmod,
};

static ipc_cap client;
static pid_t server;

static void serve(ipc_cap ep)
{
	struct lang_fs obj;
	lang_fs_init(&obj, &impl, ep);
	for (;;)
		lang_fs_dispatch(&obj);
}

static void start(void)
{
	server = fork_server(serve, &client, 1);
}

static void stop(void)
{
	ipc_cap_drop(client);
	stop_child(server);
}

/* ---- round trips ------------------------------------------------------------------ */

START_TEST(constants_and_numbers)
{
	ck_assert_int_eq(LANG_NAME_MAX, 24);
	ck_assert_int_eq(LANG_NITEMS, 3);
	ck_assert_int_eq(LANG_ERR_MISSING & 0xffff, 10);   /* error missing = FIRST_ERR */
	ck_assert_int_eq(LANG_ERR_FULL & 0xffff, 11);
	ck_assert_uint_eq(LANG_WIDE_HIGH, UINT64_C(0x8000000000000000));
	ck_assert_int_eq(LANG_KIND_LINK, 7);
	/* skip: list is method 3, stat method 1 */
	ck_assert_uint_eq(IPC_LABEL_METHOD(LANG_FS_STAT), 1);
	ck_assert_uint_eq(IPC_LABEL_METHOD(LANG_FS_LIST), 3);
	ck_assert_int_eq(lang_fs_describe(client), 0);
}
END_TEST

START_TEST(struct_results_round_trip)
{
	struct lang_entry e, want;
	ck_assert_int_eq(lang_fs_stat(client, "hello", &e), 0);
	fill_entry(&want, "hello", 2);
	ck_assert_str_eq(e.name, "hello");
	ck_assert_int_eq(e.kind, want.kind);
	ck_assert_uint_eq(e.mode, want.mode);
	ck_assert(e.has_size);
	ck_assert_uint_eq(e.size, 1002);
	ck_assert_int_eq(e.mtime.sec, -7);
	ck_assert_uint_eq(e.mtime.nsec, 999999999);
	ck_assert_uint_eq(e.ntags, 2);
	ck_assert_uint_eq(e.tags[0], 0xf0);
	ck_assert_uint_eq(e.tags[1], 0xf1);
	ck_assert_int_eq(lang_fs_stat(client, "missing", &e), LANG_ERR_MISSING);
	ck_assert_str_eq(lang_status_name(LANG_ERR_MISSING), "lang::missing");
}
END_TEST

START_TEST(lists_of_structs_and_optional_arguments)
{
	struct lang_entry ents[LANG_NITEMS];
	size_t n = 99;
	bool more = true;
	ck_assert_int_eq(lang_fs_list(client, "d", NULL, ents, &n, &more), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert(!more);
	ck_assert_str_eq(ents[0].name, "d0");
	ck_assert_str_eq(ents[2].name, "d2");
	ck_assert(ents[0].has_size && !ents[1].has_size && ents[2].has_size);
	ck_assert_uint_eq(ents[1].ntags, 1);
	uint32_t max = 1;
	ck_assert_int_eq(lang_fs_list(client, "d", &max, ents, &n, &more), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert(more);
	max = 0;
	ck_assert_int_eq(lang_fs_list(client, "d", &max, ents, &n, &more), 0);
	ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(raises_every_error_of_a_namespace)
{
	struct lang_entry ents[LANG_NITEMS];
	size_t n;
	bool more;
	ck_assert_int_eq(lang_fs_list(client, "full", NULL, ents, &n, &more), LANG_ERR_FULL);
	ck_assert_int_eq(lang_fs_list(client, "einval", NULL, ents, &n, &more), IPC_EFAULT);
	/* any number of lang's, present or future, but none is 0 */
	ck_assert_int_eq(lang_fs_list(client, "future", NULL, ents, &n, &more),
	                 (int)(LANG_ERR_FULL & 0xffff0000) | 0xfff0);
	ck_assert_int_eq(lang_fs_list(client, "zero", NULL, ents, &n, &more), IPC_EFAULT);
	ck_assert_str_eq(lang_status_name((int)(LANG_ERR_FULL & 0xffff0000) | 0xfff0), "lang::*");
	ck_assert_str_eq(lang_status_name(LANG_ERR_FULL), "lang::full");
	ck_assert_ptr_null(lang_status_name((int)(LANG_ERR_FULL & 0xffff0000)));
	struct ipc_msg r;
	memset(&r, 0, sizeof r);
	r.label = (uint64_t)(int64_t)(int)(LANG_ERR_FULL & 0xffff0000);   /* a reply claiming it */
	ck_assert_int_eq(lang_fs_list_async_finish(0, &r, ents, &n, &more), IPC_EPROTO);
	r.label = (uint64_t)(int64_t)LANG_ERR_FULL;
	ck_assert_int_eq(lang_fs_list_async_finish(0, &r, ents, &n, &more), LANG_ERR_FULL);
	/* stat raises only missing: full from its implementation is a fault */
	struct lang_entry e;
	ck_assert_int_eq(lang_fs_stat(client, "full", &e), IPC_EFAULT);
}
END_TEST

START_TEST(several_results_and_optional_results)
{
	enum lang_kind kind;
	bool has_rest = true;
	char rest[LANG_NAME_MAX + 1] = "x";
	lang_mode mode = 0;
	ck_assert_int_eq(lang_fs_lookup(client, "file", &kind, &has_rest, rest, &mode), 0);
	ck_assert_int_eq(kind, LANG_KIND_FILE);
	ck_assert(!has_rest);
	ck_assert_uint_eq(mode, LANG_MODE_READ | LANG_MODE_WRITE);
	ck_assert_int_eq(lang_fs_lookup(client, "dir/a/b", &kind, &has_rest, rest, &mode), 0);
	ck_assert_int_eq(kind, LANG_KIND_DIR);
	ck_assert(has_rest);
	ck_assert_str_eq(rest, "a/b");
}
END_TEST

START_TEST(results_named_as_parameters)
{
	uint32_t msize = 0;
	char version[17] = "";
	ck_assert_int_eq(lang_fs_version(client, 8192, "9P2000", &msize, version), 0);
	ck_assert_uint_eq(msize, 4096);
	ck_assert_str_eq(version, "9P2000");
	ck_assert_int_eq(lang_fs_version(client, 512, "9P1", &msize, version), 0);
	ck_assert_uint_eq(msize, 512);
	ck_assert_str_eq(version, "unknown");
}
END_TEST

START_TEST(lists_of_strings)
{
	const char *parts[] = {"a", "bc", "", "\xc3\xa9t\xc3\xa9"};
	char joined[41];
	uint32_t count = 0;
	ck_assert_int_eq(lang_fs_names(client, parts, 4, joined, &count), 0);
	ck_assert_str_eq(joined, "a+bc++\xc3\xa9t\xc3\xa9");
	ck_assert_uint_eq(count, 4);
	ck_assert_int_eq(lang_fs_names(client, NULL, 0, joined, &count), 0);
	ck_assert_str_eq(joined, "");
	ck_assert_uint_eq(count, 0);
}
END_TEST

START_TEST(optional_structs_bytes_and_wide_bits)
{
	struct lang_blob b = {.data = {1, 2, 3}, .ndata = 3, .has_note = true, .note = "hi"};
	struct lang_blob ob;
	bool has_ob = false;
	lang_wide ow = 0;
	ck_assert_int_eq(lang_fs_blobs(client, &b, LANG_WIDE_HIGH, &has_ob, &ob, &ow), 0);
	ck_assert(has_ob);
	ck_assert_uint_eq(ob.ndata, 3);
	ck_assert_uint_eq(ob.data[0], 0xfe);
	ck_assert_uint_eq(ob.data[2], 0xfc);
	ck_assert(ob.has_note);
	ck_assert_str_eq(ob.note, "hi");
	ck_assert_uint_eq(ow, LANG_WIDE_HIGH | LANG_WIDE_LOW);
	ck_assert_int_eq(lang_fs_blobs(client, NULL, 0, &has_ob, &ob, &ow), 0);
	ck_assert(!has_ob);
	ck_assert_uint_eq(ow, LANG_WIDE_LOW);
}
END_TEST

START_TEST(sends_with_optional_structs)
{
	struct lang_time t = {.sec = -1, .nsec = 5}, got;
	bool has = false;
	lang_mode flags = 0;
	ck_assert_int_eq(lang_fs_note(client, &t, LANG_MODE_EXEC), 0);
	ck_assert_int_eq(lang_fs_last(client, &has, &got, &flags), 0);
	ck_assert(has);
	ck_assert_int_eq(got.sec, -1);
	ck_assert_uint_eq(got.nsec, 5);
	ck_assert_uint_eq(flags, LANG_MODE_EXEC);
	ck_assert_int_eq(lang_fs_note(client, NULL, LANG_MODE_READ), 0);
	ck_assert_int_eq(lang_fs_last(client, &has, &got, &flags), 0);
	ck_assert(!has);
	ck_assert_uint_eq(flags, LANG_MODE_READ);
}
END_TEST

START_TEST(deferred_replies_carry_every_result)
{
	bool has = true;
	struct lang_time t;
	struct lang_entry ents[2];
	size_t n = 9;
	ck_assert_int_eq(lang_fs_later(client, 0, &has, &t, ents, &n), 0);
	ck_assert(!has);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(ents[1].name, "later");
	ck_assert_int_eq(lang_fs_later(client, 1, &has, &t, ents, &n), 0);
	ck_assert(has);
	ck_assert_int_eq(t.sec, 42);
	ck_assert_uint_eq(n, 1);
	/* results the reply function cannot send are the server's fault */
	ck_assert_int_eq(lang_fs_later(client, 2, &has, &t, ents, &n), IPC_EFAULT);
	ck_assert_int_eq(lang_fs_later(client, 3, &has, &t, ents, &n), IPC_EFAULT);
}
END_TEST

START_TEST(scalars_each_way)
{
	lang_mode flags = 0;
	enum lang_kind kind = LANG_KIND_FILE;
	uint32_t n = 0;
	ck_assert_int_eq(lang_fs_chmod(client, LANG_MODE_READ | LANG_MODE_EXEC, LANG_KIND_LINK, 7,
	                               &flags, &kind, &n), 0);
	ck_assert_uint_eq(flags, LANG_MODE_READ | LANG_MODE_EXEC);
	ck_assert_int_eq(kind, LANG_KIND_LINK);
	ck_assert_uint_eq(n, 8);
	ck_assert_int_eq(lang_fs_chmod(client, 0, LANG_KIND_DIR, UINT32_MAX, &flags, &kind, &n), 0);
	ck_assert_uint_eq(flags, 0);
	ck_assert_int_eq(kind, LANG_KIND_DIR);
	ck_assert_uint_eq(n, 0);
	/* answered later, through the reply function */
	ck_assert_int_eq(lang_fs_chmod(client, 0, LANG_KIND_DIR, 4, &flags, &kind, &n), 0);
	ck_assert_uint_eq(flags, LANG_MODE_WRITE);
	ck_assert_int_eq(kind, LANG_KIND_LINK);
	ck_assert_uint_eq(n, 40);
}
END_TEST

/* ---- what a client refuses, what a server must not answer ------------------------- */

START_TEST(clients_refuse_invalid_values)
{
	struct lang_time t = {0};
	bool has;
	lang_mode flags;
	ck_assert_int_eq(lang_fs_note(client, &t, LANG_MODE_WRITE), 0);
	/* a bit no member names, an unknown enum member inside a struct, a list
	 * past its bound, a NULL list with elements, a string that is not UTF-8,
	 * a missing result pointer: IPC_EINVAL, nothing sent */
	ck_assert_int_eq(lang_fs_note(client, &t, 0x4), IPC_EINVAL);
	ck_assert_int_eq(lang_fs_last(client, &has, &t, &flags), 0);
	ck_assert_uint_eq(flags, LANG_MODE_WRITE);
	const char *five[] = {"a", "b", "c", "d", "e"};
	char joined[41];
	uint32_t count;
	ck_assert_int_eq(lang_fs_names(client, five, 5, joined, &count), IPC_EINVAL);
	ck_assert_int_eq(lang_fs_names(client, NULL, 2, joined, &count), IPC_EINVAL);
	const char *bad[] = {"\xff"};
	ck_assert_int_eq(lang_fs_names(client, bad, 1, joined, &count), IPC_EINVAL);
	const char *longer[] = {"123456789"};
	ck_assert_int_eq(lang_fs_names(client, longer, 1, joined, &count), IPC_EINVAL);
	ck_assert_int_eq(lang_fs_names(client, five, 1, NULL, &count), IPC_EINVAL);
	ck_assert_int_eq(lang_fs_names(client, five, 1, joined, NULL), IPC_EINVAL);
	struct lang_blob b = {.ndata = 17};
	struct lang_blob ob;
	bool has_ob;
	lang_wide ow;
	ck_assert_int_eq(lang_fs_blobs(client, &b, 0, &has_ob, &ob, &ow), IPC_EINVAL);
	ck_assert_int_eq(lang_fs_blobs(client, NULL, 2, &has_ob, &ob, &ow), IPC_EINVAL);
	ck_assert_int_eq(lang_fs_blobs(client, NULL, 0, NULL, &ob, &ow), IPC_EINVAL);
	/* values at fixed words: a bit or an enum value no member names */
	enum lang_kind kind;
	uint32_t n;
	ck_assert_int_eq(lang_fs_chmod(client, LANG_MODE_READ | 0x4, LANG_KIND_DIR, 0, &flags, &kind, &n),
	                 IPC_EINVAL);
	ck_assert_int_eq(lang_fs_chmod(client, LANG_MODE_READ, (enum lang_kind)3, 0, &flags, &kind, &n),
	                 IPC_EINVAL);
	ck_assert_int_eq(lang_fs_chmod(client, LANG_MODE_READ, LANG_KIND_DIR, 0, &flags, NULL, &n),
	                 IPC_EINVAL);
	ipc_call_t call = 1;
	ck_assert_int_eq(lang_fs_chmod_async_start(client, 0x10, LANG_KIND_DIR, 0, -1, &call), IPC_EINVAL);
	ck_assert(call == IPC_CALL_NONE);
	/* the server is still there, and answers */
	ck_assert_int_eq(lang_fs_names(client, five, 2, joined, &count), 0);
	ck_assert_str_eq(joined, "a+b");
}
END_TEST

START_TEST(servers_refuse_invalid_results)
{
	struct lang_entry e;
	ck_assert_int_eq(lang_fs_stat(client, "badenum", &e), IPC_EFAULT);
	ck_assert_int_eq(lang_fs_stat(client, "badbits", &e), IPC_EFAULT);
	ck_assert_int_eq(lang_fs_stat(client, "badcount", &e), IPC_EFAULT);
	struct lang_entry ents[LANG_NITEMS];
	size_t n;
	bool more;
	uint32_t max = 4;
	ck_assert_int_eq(lang_fs_list(client, "over", &max, ents, &n, &more), IPC_EFAULT);
	struct lang_blob b = {.ndata = 1, .has_note = true, .note = "fault"}, ob;
	bool has_ob;
	lang_wide ow;
	ck_assert_int_eq(lang_fs_blobs(client, &b, 0, &has_ob, &ob, &ow), IPC_EFAULT);
	/* values at fixed words, answered at once or later */
	lang_mode flags;
	enum lang_kind kind;
	uint32_t k;
	for (uint32_t fault = 1; fault <= 3; fault++)
		ck_assert_int_eq(lang_fs_chmod(client, 0, LANG_KIND_DIR, fault, &flags, &kind, &k), IPC_EFAULT);
}
END_TEST

/* A reply as a server sent it: status 0, the words given, no capabilities. */
static struct ipc_msg reply_of(const uint64_t *words, uint32_t n)
{
	struct ipc_msg r;
	memset(&r, 0, sizeof r);
	r.nwords = n;
	memcpy(r.word, words, n * sizeof *words);
	return r;
}

START_TEST(clients_refuse_hostile_replies)
{
	/* A reply refused part way through leaves no count or presence the
	 * client had read set: a caller that looks at them anyway finds
	 * nothing, not elements that were never filled in. */
	struct lang_entry ents[LANG_NITEMS];
	size_t n = 99;
	bool more;
	uint64_t two[] = {2};                   /* two entries announced, none there */
	struct ipc_msg r = reply_of(two, 1);
	ck_assert_int_eq(lang_fs_list_async_finish(0, &r, ents, &n, &more), IPC_EPROTO);
	ck_assert_uint_eq(n, 0);
	enum lang_kind kind;
	bool has_rest = true;
	char rest[25];
	lang_mode mode;
	uint64_t longer[] = {LANG_KIND_DIR, 1, 100};   /* a rest of 100 bytes, past its bound */
	r = reply_of(longer, 3);
	ck_assert_int_eq(lang_fs_lookup_async_finish(0, &r, &kind, &has_rest, rest, &mode), IPC_EPROTO);
	ck_assert(!has_rest);
	/* well formed, the same calls read it */
	uint64_t none[] = {0, 0};
	r = reply_of(none, 2);
	ck_assert_int_eq(lang_fs_list_async_finish(0, &r, ents, &n, &more), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert(!more);

	/* values at fixed words: a word too few or too many, a bit or an enum
	 * value no member names, a u32 past its range */
	lang_mode flags;
	uint32_t k;
	static const uint64_t bad[][4] = {
		{LANG_MODE_READ, LANG_KIND_DIR}, {LANG_MODE_READ, LANG_KIND_DIR, 1, 0},
		{0x4, LANG_KIND_DIR, 1}, {LANG_MODE_READ, 3, 1}, {LANG_MODE_READ, LANG_KIND_DIR, 1ull << 32},
		{1ull << 16 | LANG_MODE_READ, LANG_KIND_DIR, 1},
	};
	static const uint32_t nbad[] = {2, 4, 3, 3, 3, 3};
	for (size_t i = 0; i < sizeof nbad / sizeof nbad[0]; i++) {
		r = reply_of(bad[i], nbad[i]);
		ck_assert_msg(lang_fs_chmod_async_finish(0, &r, &flags, &kind, &k) == IPC_EPROTO, "reply %zu", i);
	}
	uint64_t good[] = {LANG_MODE_EXEC, LANG_KIND_LINK, UINT32_MAX};
	r = reply_of(good, 3);
	ck_assert_int_eq(lang_fs_chmod_async_finish(0, &r, &flags, &kind, &k), 0);
	ck_assert_uint_eq(flags, LANG_MODE_EXEC);
	ck_assert_int_eq(kind, LANG_KIND_LINK);
	ck_assert_uint_eq(k, UINT32_MAX);
}
END_TEST

/* ---- hostile encodings, sent by hand ------------------------------------------------ */

/* "ab" as a string: a length word, then the bytes in one word. */
#define STR2(a, b) 2, ((uint64_t)(b) << 8 | (uint64_t)(a))

START_TEST(servers_refuse_hostile_encodings)
{
	/* names(parts: list<string<8>, 4>): count 1, "ab" — well formed, answered */
	uint64_t ok[] = {1, STR2('a', 'b')};
	ck_assert_int_eq(raw_call(client, LANG_FS_NAMES, ok, 3), 0);
	/* a list count past the bound */
	uint64_t count5[] = {5, STR2('a', 'b'), STR2('a', 'b'), STR2('a', 'b'), STR2('a', 'b'),
	                     STR2('a', 'b')};
	ck_assert_int_eq(raw_call(client, LANG_FS_NAMES, count5, 11), IPC_EPROTO);
	/* a count larger than what follows */
	uint64_t count2[] = {2, STR2('a', 'b')};
	ck_assert_int_eq(raw_call(client, LANG_FS_NAMES, count2, 3), IPC_EPROTO);
	/* non-zero padding after a string's bytes */
	uint64_t pad[] = {1, 2, 0x6261 | (uint64_t)0x63 << 16};
	ck_assert_int_eq(raw_call(client, LANG_FS_NAMES, pad, 3), IPC_EPROTO);
	/* a word too many */
	uint64_t extra[] = {1, STR2('a', 'b'), 0};
	ck_assert_int_eq(raw_call(client, LANG_FS_NAMES, extra, 4), IPC_EPROTO);

	/* note(when: time?, flags: mode) is a send: no reply to read, but the
	 * server must not take it; last() tells.  A presence flag of 2: */
	uint64_t good[] = {1, (uint64_t)-3, 4, LANG_MODE_EXEC};
	struct ipc_msg m;
	ipc_msg_init(&m, LANG_FS_NOTE, 4, 0);
	memcpy(m.word, good, sizeof good);
	ck_assert_int_eq(ipc_send(client, &m), 0);
	uint64_t flag2[] = {2, 1, 4, LANG_MODE_WRITE};
	ipc_msg_init(&m, LANG_FS_NOTE, 4, 0);
	memcpy(m.word, flag2, sizeof flag2);
	ck_assert_int_eq(ipc_send(client, &m), 0);
	/* an unknown bit */
	uint64_t bit4[] = {0, 0x4};
	ipc_msg_init(&m, LANG_FS_NOTE, 2, 0);
	memcpy(m.word, bit4, sizeof bit4);
	ck_assert_int_eq(ipc_send(client, &m), 0);
	/* a struct cut short: absent-flag says present, the struct is missing */
	uint64_t cut[] = {1, 5};
	ipc_msg_init(&m, LANG_FS_NOTE, 2, 0);
	memcpy(m.word, cut, sizeof cut);
	ck_assert_int_eq(ipc_send(client, &m), 0);
	bool has = false;
	struct lang_time t;
	lang_mode flags;
	ck_assert_int_eq(lang_fs_last(client, &has, &t, &flags), 0);
	ck_assert(has);
	ck_assert_int_eq(t.sec, -3);
	ck_assert_uint_eq(t.nsec, 4);
	ck_assert_uint_eq(flags, LANG_MODE_EXEC);

	/* blobs(b: blob?, w: wide): an optional value's flag of 2; a struct's
	 * bytes count past its bound; an optional string's flag of 7; nsec that
	 * does not fit u32 (list(dir, max: u32?)) */
	uint64_t blob2[] = {2, 0, 0, 0};
	ck_assert_int_eq(raw_call(client, LANG_FS_BLOBS, blob2, 4), IPC_EPROTO);
	uint64_t blob17[] = {1, 17, 0, 0, 0, 0, 0};
	ck_assert_int_eq(raw_call(client, LANG_FS_BLOBS, blob17, 7), IPC_EPROTO);
	uint64_t note7[] = {1, 0, 7, 0};
	ck_assert_int_eq(raw_call(client, LANG_FS_BLOBS, note7, 4), IPC_EPROTO);
	uint64_t blobok[] = {1, 0, 0, 0};
	ck_assert_int_eq(raw_call(client, LANG_FS_BLOBS, blobok, 4), 0);
	uint64_t max33[] = {1, 'd', 1, UINT64_C(1) << 32};
	ck_assert_int_eq(raw_call(client, LANG_FS_LIST, max33, 4), IPC_EPROTO);
	/* the number skip left unused answers nothing */
	ck_assert_int_eq(raw_call(client, IPC_LABEL(LANG_FS_ID, 2), NULL, 0), IPC_ENOSYS);
	/* chmod(flags: mode, kind: kind, n: u32): scalars at fixed words */
	uint64_t chmod_ok[] = {LANG_MODE_READ, LANG_KIND_DIR, 5};
	ck_assert_int_eq(raw_call(client, LANG_FS_CHMOD, chmod_ok, 3), 0);
	uint64_t chmod_bad[][4] = {
		{0x4, LANG_KIND_DIR, 5}, {LANG_MODE_READ, 3, 5}, {LANG_MODE_READ, LANG_KIND_DIR, 1ull << 32},
		{LANG_MODE_READ, LANG_KIND_DIR, 5, 0},
	};
	static const uint32_t nchmod[] = {3, 3, 3, 4};
	for (size_t i = 0; i < sizeof nchmod / sizeof nchmod[0]; i++)
		ck_assert_msg(raw_call(client, LANG_FS_CHMOD, chmod_bad[i], nchmod[i]) == IPC_EPROTO, "request %zu", i);
	ck_assert_int_eq(raw_call(client, LANG_FS_CHMOD, chmod_ok, 2), IPC_EPROTO);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ipcgen-lang");
	TCase *t = tcase_create("lang");
	tcase_add_checked_fixture(t, start, stop);
	tcase_add_test(t, constants_and_numbers);
	tcase_add_test(t, struct_results_round_trip);
	tcase_add_test(t, lists_of_structs_and_optional_arguments);
	tcase_add_test(t, raises_every_error_of_a_namespace);
	tcase_add_test(t, several_results_and_optional_results);
	tcase_add_test(t, results_named_as_parameters);
	tcase_add_test(t, lists_of_strings);
	tcase_add_test(t, optional_structs_bytes_and_wide_bits);
	tcase_add_test(t, sends_with_optional_structs);
	tcase_add_test(t, deferred_replies_carry_every_result);
	tcase_add_test(t, clients_refuse_invalid_values);
	tcase_add_test(t, servers_refuse_invalid_results);
	tcase_add_test(t, servers_refuse_hostile_encodings);
	tcase_add_test(t, clients_refuse_hostile_replies);
	tcase_add_test(t, scalars_each_way);
	suite_add_tcase(s, t);
	return run_suite(s);
}
