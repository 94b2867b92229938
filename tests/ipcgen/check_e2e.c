/*
 * check_e2e.c: declared errors, strings and byte arrays, sends and describe,
 * end to end: stubs generated from tests/ipcgen/ok/strings.ipc, a server in a
 * child process, the POSIX transport between them.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mercury/posix.h>
#include "store.h"

/* ---- the server ---------------------------------------------------------------- */

static char last_log[201];

static int srv_open(struct store_files *self, const char *path, uint32_t flags, ipc_cap *file)
{
	(void)self;
	(void)flags;
	if (strcmp(path, "missing") == 0)
		return STORE_ERR_NOT_FOUND;
	if (strcmp(path, "bad name") == 0)
		return STORE_ERR_BAD_NAME;
	if (strcmp(path, "undeclared") == 0)
		return STORE_ERR_BUSY;         /* not among open's errors */
	if (strcmp(path, "negative") == 0)
		return IPC_EINVAL;             /* nor is a transport status */
	return ipc_page_alloc(1, file, NULL);
}

static int srv_name(struct store_files *self, uint64_t id, char *result)
{
	(void)self;
	switch (id) {
	case 1: strcpy(result, "h\xc3\xa9llo"); return 0;          /* UTF-8 */
	case 2: strcpy(result, "\xff\xfe"); return 0;               /* not UTF-8: its fault */
	case 3: memset(result, 'x', 64); return 0;                  /* exactly the bound */
	case 4: strcpy(result, last_log); return 0;
	}
	return STORE_ERR_NOT_FOUND;
}

static int srv_hash(struct store_files *self, const uint8_t *data, size_t ndata, uint8_t salt,
                    uint8_t *result, size_t *nresult)
{
	(void)self;
	if (salt == 0xff) {
		*nresult = 17;                 /* past the bound of bytes<16> */
		return 0;
	}
	size_t n = ndata < 16 ? ndata : 16;
	for (size_t i = 0; i < n; i++)
		result[i] = data[ndata - 1 - i] ^ salt;
	*nresult = n;
	return 0;
}

static int srv_list(struct store_files *self, const char *dir, ipc_cap *files, size_t *nfiles,
                    size_t *result)
{
	(void)self;
	if (strcmp(dir, "/") != 0)
		return STORE_ERR_NOT_FOUND;
	for (size_t i = 0; i < 3; i++)
		if (ipc_page_alloc(1, &files[i], NULL) != 0)
			return IPC_ENOMEM;
	*nfiles = 3;
	*result = 3;
	return 0;
}

static void srv_log(struct store_files *self, const char *msg)
{
	(void)self;
	snprintf(last_log, sizeof last_log, "%s", msg);
}

static const struct store_files_iface impl = {
	.open = srv_open,
	.name = srv_name,
	.hash = srv_hash,
	.list = srv_list,
	.log = srv_log,
};

static ipc_cap client;
static pid_t server;

static void start(void)
{
	ipc_cap ep;
	ck_assert_int_eq(ipc_posix_endpoint(&ep), 0);
	ck_assert_int_eq(ipc_posix_connection(ep, &client), 0);
	server = fork();
	ck_assert_int_ge(server, 0);
	if (server == 0) {
		/* Check's SIGTERM handler would take the whole process group along. */
		signal(SIGTERM, SIG_DFL);
		ipc_cap_drop(client);
		struct store_files obj;
		store_files_init(&obj, &impl, ep);
		/* Serve until stopped. */
		for (;;)
			store_files_dispatch(&obj);
	}
	ipc_cap_drop(ep);
}

static void stop(void)
{
	ipc_cap_drop(client);
	int status;
	kill(server, SIGTERM);
	waitpid(server, &status, 0);
}

/* ---- the tests ------------------------------------------------------------------- */

START_TEST(declared_errors_arrive_exactly)
{
	ipc_cap file = IPC_CAP_NONE;
	ck_assert_int_eq(store_files_open(client, "missing", 0, &file), STORE_ERR_NOT_FOUND);
	ck_assert_int_eq(store_files_open(client, "bad name", 0, &file), STORE_ERR_BAD_NAME);
	ck_assert_uint_eq(file, IPC_CAP_NONE);   /* nothing returned on an error */
	ck_assert_str_eq(store_status_name(STORE_ERR_NOT_FOUND), "store::not_found");
	ck_assert_str_eq(store_status_name(IPC_EFAULT), "IPC_EFAULT");
	ck_assert_ptr_null(store_status_name(12345));
	ck_assert_int_eq(store_files_open(client, "there", 0, &file), 0);
	ck_assert_uint_ne(file, IPC_CAP_NONE);
	size_t size;
	ck_assert_int_eq(ipc_page_size(file, &size), 0);
	ck_assert_uint_eq(size, IPC_PAGE_SIZE);
	ipc_cap_drop(file);
}
END_TEST

START_TEST(undeclared_errors_are_server_faults)
{
	ipc_cap file = IPC_CAP_NONE;
	ck_assert_int_eq(store_files_open(client, "undeclared", 0, &file), IPC_EFAULT);
	ck_assert_int_eq(store_files_open(client, "negative", 0, &file), IPC_EFAULT);
	ck_assert_uint_eq(file, IPC_CAP_NONE);
}
END_TEST

START_TEST(strings_round_trip)
{
	char name[65];
	ck_assert_int_eq(store_files_name(client, 1, name), 0);
	ck_assert_str_eq(name, "h\xc3\xa9llo");
	ck_assert_int_eq(store_files_name(client, 3, name), 0);
	ck_assert_uint_eq(strlen(name), 64);
	ck_assert_int_eq(store_files_name(client, 7, name), STORE_ERR_NOT_FOUND);
	/* A server that makes an invalid string is at fault. */
	ck_assert_int_eq(store_files_name(client, 2, name), IPC_EFAULT);
}
END_TEST

START_TEST(strings_refused_before_sending)
{
	char path[300];
	memset(path, 'a', sizeof path - 1);
	path[sizeof path - 1] = 0;
	ipc_cap file = IPC_CAP_NONE;
	ck_assert_int_eq(store_files_open(client, path, 0, &file), IPC_EINVAL);    /* > 255 */
	ck_assert_int_eq(store_files_open(client, "\xc0\xaf", 0, &file), IPC_EINVAL); /* not UTF-8 */
	path[255] = 0;
	ck_assert_int_eq(store_files_open(client, path, 0, &file), 0);             /* = 255 */
	ipc_cap_drop(file);
}
END_TEST

START_TEST(bytes_round_trip)
{
	uint8_t data[32], out[16];
	size_t n = 0;
	for (int i = 0; i < 32; i++)
		data[i] = (uint8_t)i;
	ck_assert_int_eq(store_files_hash(client, data, 32, 0x10, out, &n), 0);
	ck_assert_uint_eq(n, 16);
	for (int i = 0; i < 16; i++)
		ck_assert_uint_eq(out[i], (uint8_t)((31 - i) ^ 0x10));
	ck_assert_int_eq(store_files_hash(client, data, 0, 1, out, &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(store_files_hash(client, data, 33, 1, out, &n), IPC_EINVAL);
	ck_assert_int_eq(store_files_hash(client, data, 3, 0xff, out, &n), IPC_EFAULT);
}
END_TEST

START_TEST(returned_capability_lists)
{
	ipc_cap files[IPC_MAX_CAPS];
	size_t nfiles = 0, count = 0;
	ck_assert_int_eq(store_files_list(client, "/", files, &nfiles, &count), 0);
	ck_assert_uint_eq(nfiles, 3);
	ck_assert_uint_eq(count, 3);
	for (size_t i = 0; i < nfiles; i++) {
		size_t size;
		ck_assert_int_eq(ipc_page_size(files[i], &size), 0);
		ipc_cap_drop(files[i]);
	}
	ck_assert_int_eq(store_files_list(client, "/nope", files, &nfiles, &count), STORE_ERR_NOT_FOUND);
}
END_TEST

START_TEST(sends_and_describe)
{
	ck_assert_int_eq(store_files_log(client, "a one-way message"), 0);
	char name[65];
	ck_assert_int_eq(store_files_name(client, 4, name), 0);   /* after the send, in order */
	ck_assert_str_eq(name, "a one-way message");
	ck_assert_int_eq(store_files_describe(client), 0);
	/* The same server does not speak io::file. */
	ck_assert_int_eq(io_file_describe(client), IPC_ENOSYS);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("e2e");
	TCase *t = tcase_create("errors and strings");
	tcase_add_checked_fixture(t, start, stop);
	tcase_add_test(t, declared_errors_arrive_exactly);
	tcase_add_test(t, undeclared_errors_are_server_faults);
	tcase_add_test(t, strings_round_trip);
	tcase_add_test(t, strings_refused_before_sending);
	tcase_add_test(t, bytes_round_trip);
	tcase_add_test(t, returned_capability_lists);
	tcase_add_test(t, sends_and_describe);
	suite_add_tcase(s, t);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
