/*
 * check_multi.c: interfaces with several parents over the POSIX port
 * (tests/ipcgen/ok/multi.ipc).  A multi::file is a readable and a writable,
 * both nodes: the diamond.  Its server answers every ancestor's calls under
 * that ancestor's labels, node's once, through the part of its first parent
 * (readable); describe lists the interfaces in their order; labels of no
 * ancestor, or past an ancestor's methods, are refused.  A multi::log
 * reaches node through three parents and is served the same way.
 *
 * Each entry checks that it was given the part of the object that answers
 * for its interface (self): node's entries under the later parents' parts
 * are traps that must never run.
 */
#include <check.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "../protocols/harness.h"
#include "multi.h"

/* ---- the objects ---------------------------------------------------------------- */

/* What both servers keep; each is a process of its own. */
static struct state {
	uint64_t count;
	uint8_t data[16];
	size_t len;
	bool closed;
	uint32_t writes;
	/* the parts each interface's entries must be given */
	const void *node, *readable, *writable, *file, *log;
} st;

/* An entry called with the wrong part, or a trap called at all. */
#define WRONG_PART 0x7e57

static int node_name(struct multi_node *self, char *result)
{
	if ((const void *)self != st.node)
		return WRONG_PART;
	strcpy(result, "diamond");
	return 0;
}

static int node_touch(struct multi_node *self, uint32_t n, uint64_t *result)
{
	if ((const void *)self != st.node)
		return WRONG_PART;
	st.count += n;
	*result = st.count;
	return 0;
}

/* node's entries where an earlier part answers for node: never called */
static int trap_name(struct multi_node *self, char *result)
{
	(void)self;
	(void)result;
	return WRONG_PART;
}

static int trap_touch(struct multi_node *self, uint32_t n, uint64_t *result)
{
	(void)self;
	(void)n;
	(void)result;
	return WRONG_PART;
}

static int readable_read(struct multi_readable *self, uint32_t n, uint8_t *result, size_t *nresult)
{
	if ((const void *)self != st.readable)
		return WRONG_PART;
	*nresult = n < st.len ? n : st.len;
	memcpy(result, st.data, *nresult);
	return 0;
}

static int writable_write(struct multi_writable *self, const uint8_t *data, size_t ndata,
                          size_t *result)
{
	if ((const void *)self != st.writable)
		return WRONG_PART;
	if (st.closed)
		return MULTI_ERR_DENIED;
	memcpy(st.data, data, ndata);
	st.len = ndata;
	st.writes++;
	*result = ndata;
	return 0;
}

static void writable_clear(struct multi_writable *self)
{
	if ((const void *)self == st.writable)
		st.len = 0;
}

static int file_close(struct multi_file *self)
{
	if ((const void *)self != st.file)
		return WRONG_PART;
	st.closed = true;
	return 0;
}

static int log_count(struct multi_log *self, uint32_t *result)
{
	if ((const void *)self != st.log)
		return WRONG_PART;
	*result = st.writes;
	return 0;
}

/* node's entries once, in the first parent's part; traps in the others */
static const struct multi_file_iface file_impl = {
	.readable = {.base = {.name = node_name, .touch = node_touch}, .read = readable_read},
	.writable = {.base = {.name = trap_name, .touch = trap_touch}, .write = writable_write,
	             .clear = writable_clear},
	.close = file_close,
};

/* multi::log :: writable, file, node: writable answers for node, file for
 * readable and itself. */
static const struct multi_log_iface log_impl = {
	.writable = {.base = {.name = node_name, .touch = node_touch}, .write = writable_write,
	             .clear = writable_clear},
	.file = {
		.readable = {.base = {.name = trap_name, .touch = trap_touch}, .read = readable_read},
		.writable = {.base = {.name = trap_name, .touch = trap_touch}, .write = NULL},
		.close = file_close,
	},
	.node = {.name = trap_name, .touch = trap_touch},
	.count = log_count,
};

static void serve_file(ipc_cap ep)
{
	static struct multi_file obj;
	multi_file_init(&obj, &file_impl, ep);
	st.node = &obj.readable.base;
	st.readable = &obj.readable;
	st.writable = &obj.writable;
	st.file = &obj;
	for (;;)
		multi_file_dispatch(&obj);
}

static void serve_log(ipc_cap ep)
{
	static struct multi_log obj;
	multi_log_init(&obj, &log_impl, ep);
	st.node = &obj.writable.base;
	st.readable = &obj.file.readable;
	st.writable = &obj.writable;
	st.file = &obj.file;
	st.log = &obj;
	for (;;)
		multi_log_dispatch(&obj);
}

static ipc_cap file_ep, log_ep;
static pid_t file_server, log_server;

static void start(void)
{
	file_server = fork_server(serve_file, &file_ep, 1);
	log_server = fork_server(serve_log, &log_ep, 1);
}

static void stop(void)
{
	ipc_cap_drop(file_ep);
	ipc_cap_drop(log_ep);
	stop_child(file_server);
	stop_child(log_server);
}

/* The describe reply at ep under id: its words into w; their count. */
static uint32_t describe(ipc_cap ep, uint32_t id, uint64_t *w)
{
	struct ipc_msg m;
	ipc_msg_init(&m, IPC_LABEL(id, IPC_METHOD_DESCRIBE), 0, 0);
	ck_assert_int_eq(ipc_call(ep, &m), 0);
	ck_assert_int_eq((int)ipc_word_signed(m.label), 0);
	memcpy(w, m.word, m.nwords * sizeof *w);
	return m.nwords;
}

/* ---- the diamond ---------------------------------------------------------------- */

START_TEST(describe_lists_each_interface_once_in_order)
{
	uint64_t w[IPC_MAX_WORDS];
	/* file, then depth first, parents left to right: readable, node, writable */
	const uint64_t want[] = {
		MULTI_FILE_ID, MULTI_FILE_ABI, MULTI_READABLE_ID, MULTI_READABLE_ABI,
		MULTI_NODE_ID, MULTI_NODE_ABI, MULTI_WRITABLE_ID, MULTI_WRITABLE_ABI,
	};
	ck_assert_uint_eq(describe(file_ep, MULTI_FILE_ID, w), 8);
	ck_assert_mem_eq(w, want, sizeof want);
	/* under an ancestor's ID, that ancestor's view */
	const uint64_t writable[] = {MULTI_WRITABLE_ID, MULTI_WRITABLE_ABI, MULTI_NODE_ID, MULTI_NODE_ABI};
	ck_assert_uint_eq(describe(file_ep, MULTI_WRITABLE_ID, w), 4);
	ck_assert_mem_eq(w, writable, sizeof writable);
	ck_assert_uint_eq(describe(file_ep, MULTI_NODE_ID, w), 2);
	ck_assert_uint_eq(w[0], MULTI_NODE_ID);
	ck_assert_int_eq(multi_file_describe(file_ep), 0);
	ck_assert_int_eq(multi_readable_describe(file_ep), 0);
	ck_assert_int_eq(multi_writable_describe(file_ep), 0);
	ck_assert_int_eq(multi_node_describe(file_ep), 0);
	ck_assert_int_eq(multi_log_describe(file_ep), IPC_ENOSYS);
}
END_TEST

START_TEST(every_ancestor_answers_under_its_own_labels)
{
	char name[33];
	uint64_t count;
	uint8_t buf[16];
	size_t n;
	/* node, reached through both parents, answers once: through readable */
	ck_assert_int_eq(multi_node_name(file_ep, name), 0);
	ck_assert_str_eq(name, "diamond");
	ck_assert_int_eq(multi_node_touch(file_ep, 3, &count), 0);
	ck_assert_int_eq(multi_node_touch(file_ep, 4, &count), 0);
	ck_assert_uint_eq(count, 7);
	ck_assert_int_eq(multi_writable_write(file_ep, (const uint8_t *)"hello", 5, &n), 0);
	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(multi_readable_read(file_ep, 16, buf, &n), 0);
	ck_assert_uint_eq(n, 5);
	ck_assert_mem_eq(buf, "hello", 5);
	ck_assert_int_eq(multi_writable_clear(file_ep), 0);
	ck_assert_int_eq(multi_readable_read(file_ep, 16, buf, &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(multi_file_close(file_ep), 0);
	ck_assert_int_eq(multi_writable_write(file_ep, (const uint8_t *)"x", 1, &n), MULTI_ERR_DENIED);
	/* the labels are each ancestor's own */
	ck_assert_uint_eq(MULTI_NODE_TOUCH, IPC_LABEL(MULTI_NODE_ID, 2));
	ck_assert_uint_eq(MULTI_WRITABLE_WRITE, IPC_LABEL(MULTI_WRITABLE_ID, 1));
	ck_assert_int_eq(raw_call(file_ep, MULTI_NODE_NAME, NULL, 0), 0);
}
END_TEST

START_TEST(labels_of_no_ancestor_are_refused)
{
	const uint64_t one[] = {1}, two[] = {1, 2};
	/* past an ancestor's methods, under each of the IDs */
	ck_assert_int_eq(raw_call(file_ep, IPC_LABEL(MULTI_NODE_ID, 3), NULL, 0), IPC_ENOSYS);
	ck_assert_int_eq(raw_call(file_ep, IPC_LABEL(MULTI_READABLE_ID, 2), NULL, 0), IPC_ENOSYS);
	ck_assert_int_eq(raw_call(file_ep, IPC_LABEL(MULTI_WRITABLE_ID, 3), NULL, 0), IPC_ENOSYS);
	ck_assert_int_eq(raw_call(file_ep, IPC_LABEL(MULTI_FILE_ID, 2), NULL, 0), IPC_ENOSYS);
	ck_assert_int_eq(raw_call(file_ep, IPC_LABEL(MULTI_FILE_ID, 0xffff), NULL, 0), IPC_ENOSYS);
	/* an interface the file is not, one unknown, the reserved ID 0 */
	ck_assert_int_eq(raw_call(file_ep, MULTI_LOG_COUNT, NULL, 0), IPC_ENOSYS);
	ck_assert_int_eq(raw_call(file_ep, IPC_LABEL(MULTI_LOG_ID, IPC_METHOD_DESCRIBE), NULL, 0),
	                 IPC_ENOSYS);
	ck_assert_int_eq(raw_call(file_ep, IPC_LABEL(0x12345678, 1), NULL, 0), IPC_ENOSYS);
	ck_assert_int_eq(raw_call(file_ep, IPC_LABEL(0, 1), NULL, 0), IPC_ENOSYS);
	/* words where none go; a word too many */
	ck_assert_int_eq(raw_call(file_ep, MULTI_NODE_NAME, one, 1), IPC_EPROTO);
	ck_assert_int_eq(raw_call(file_ep, IPC_LABEL(MULTI_WRITABLE_ID, IPC_METHOD_DESCRIBE), one, 1),
	                 IPC_EPROTO);
	ck_assert_int_eq(raw_call(file_ep, MULTI_NODE_TOUCH, two, 2), IPC_EPROTO);
	ck_assert_int_eq(raw_call(file_ep, MULTI_FILE_CLOSE, one, 1), IPC_EPROTO);
	/* and the server still answers */
	ck_assert_int_eq(raw_call(file_ep, MULTI_NODE_TOUCH, one, 1), 0);
}
END_TEST

/* The transport sends no label past 48 bits: the pure core is given them. */
START_TEST(handle_refuses_labels_past_48_bits)
{
	static const uint64_t labels[] = {
		MULTI_NODE_NAME | UINT64_C(1) << 48, MULTI_WRITABLE_WRITE | UINT64_C(1) << 63,
		MULTI_FILE_CLOSE | UINT64_C(0xffff) << 48,
	};
	struct multi_file obj;
	struct ipc_msg in, out;
	multi_file_init(&obj, &file_impl, IPC_CAP_NONE);
	for (size_t k = 0; k < sizeof labels / sizeof labels[0]; k++) {
		ipc_msg_init(&in, labels[k], 0, 0);
		ck_assert_int_eq(multi_file_handle(&obj, &in, &out), 0);
		ck_assert_int_eq((int)ipc_word_signed(out.label), IPC_EPROTO);
		ck_assert_uint_eq(out.nwords, 0);
	}
	/* and the same core answers a good one, through the first parent's part */
	st.node = &obj.readable.base;
	ipc_msg_init(&in, MULTI_NODE_NAME, 0, 0);
	ck_assert_int_eq(multi_file_handle(&obj, &in, &out), 0);
	ck_assert_int_eq((int)ipc_word_signed(out.label), 0);
	ck_assert_uint_eq(out.word[0], 7);   /* strlen("diamond") */
}
END_TEST

/* ---- node through three parents --------------------------------------------------- */

START_TEST(log_answers_each_ancestor_through_its_first_parent)
{
	uint64_t w[IPC_MAX_WORDS];
	const uint64_t want[] = {
		MULTI_LOG_ID, MULTI_LOG_ABI, MULTI_WRITABLE_ID, MULTI_WRITABLE_ABI,
		MULTI_NODE_ID, MULTI_NODE_ABI, MULTI_FILE_ID, MULTI_FILE_ABI,
		MULTI_READABLE_ID, MULTI_READABLE_ABI,
	};
	ck_assert_uint_eq(describe(log_ep, MULTI_LOG_ID, w), 10);
	ck_assert_mem_eq(w, want, sizeof want);
	const uint64_t file[] = {
		MULTI_FILE_ID, MULTI_FILE_ABI, MULTI_READABLE_ID, MULTI_READABLE_ABI,
		MULTI_NODE_ID, MULTI_NODE_ABI, MULTI_WRITABLE_ID, MULTI_WRITABLE_ABI,
	};
	ck_assert_uint_eq(describe(log_ep, MULTI_FILE_ID, w), 8);
	ck_assert_mem_eq(w, file, sizeof file);

	char name[33];
	uint64_t count;
	uint32_t writes;
	uint8_t buf[16];
	size_t n;
	ck_assert_int_eq(multi_node_name(log_ep, name), 0);
	ck_assert_int_eq(multi_node_touch(log_ep, 9, &count), 0);
	ck_assert_uint_eq(count, 9);
	ck_assert_int_eq(multi_writable_write(log_ep, (const uint8_t *)"ab", 2, &n), 0);
	ck_assert_int_eq(multi_writable_write(log_ep, (const uint8_t *)"abc", 3, &n), 0);
	ck_assert_int_eq(multi_readable_read(log_ep, 2, buf, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(multi_log_count(log_ep, &writes), 0);
	ck_assert_uint_eq(writes, 2);
	ck_assert_int_eq(multi_file_close(log_ep), 0);
	ck_assert_int_eq(multi_writable_write(log_ep, (const uint8_t *)"x", 1, &n), MULTI_ERR_DENIED);
	ck_assert_int_eq(raw_call(log_ep, IPC_LABEL(MULTI_LOG_ID, 2), NULL, 0), IPC_ENOSYS);
	ck_assert_int_eq(raw_call(log_ep, IPC_LABEL(MULTI_READABLE_ID, 2), NULL, 0), IPC_ENOSYS);
	ck_assert_int_eq(raw_call(log_ep, IPC_LABEL(MULTI_NODE_ID, 3), NULL, 0), IPC_ENOSYS);
	ck_assert_int_eq(multi_log_describe(log_ep), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ipcgen-multi");
	TCase *t = tcase_create("multi");
	tcase_add_checked_fixture(t, start, stop);
	tcase_add_test(t, describe_lists_each_interface_once_in_order);
	tcase_add_test(t, every_ancestor_answers_under_its_own_labels);
	tcase_add_test(t, labels_of_no_ancestor_are_refused);
	tcase_add_test(t, handle_refuses_labels_past_48_bits);
	tcase_add_test(t, log_answers_each_ancestor_through_its_first_parent);
	suite_add_tcase(s, t);
	return run_suite(s);
}
