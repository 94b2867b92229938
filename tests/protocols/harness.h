/*
 * harness.h: what the protocol tests share: a request sent by hand, a
 * server child stopped, the suite run.  Header-only, one includer per test.
 */
#ifndef PROTOCOLS_HARNESS_H
#define PROTOCOLS_HARNESS_H

#include <check.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mercury/posix.h>

/* A request written by hand to ep: its reply's status, the reply in *m
 * (its capabilities released: ncaps says how many came). */
static inline int raw_call_reply(ipc_cap ep, uint64_t label, const uint64_t *words, uint32_t n,
                                 struct ipc_msg *m)
{
	ipc_msg_init(m, label, n, 0);
	if (n)
		memcpy(m->word, words, n * sizeof *words);
	int st = ipc_call(ep, m);
	if (st != 0)
		return st;
	for (uint32_t i = 0; i < m->ncaps; i++)
		ipc_cap_drop(m->cap[i]);
	return (int)ipc_word_signed(m->label);
}

static inline int raw_call(ipc_cap ep, uint64_t label, const uint64_t *words, uint32_t n)
{
	struct ipc_msg m;
	return raw_call_reply(ep, label, words, n, &m);
}

/* The same, one-way: the server must take it or drop it quietly. */
static inline int raw_send(ipc_cap ep, uint64_t label, const uint64_t *words, uint32_t n)
{
	struct ipc_msg m;
	ipc_msg_init(&m, label, n, 0);
	if (n)
		memcpy(m.word, words, n * sizeof *words);
	return ipc_send(ep, &m);
}

/* SIGKILL, not SIGTERM: a child killed before it could reset SIGTERM would
 * run the handler Check's runner installed, which signals the whole group. */
static inline void stop_child(pid_t pid)
{
	int status;
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

/* A server child: forks a process that runs serve(ep) (which does not
 * return) on a fresh endpoint, and gives this one nconn connections to it
 * in conn[].  The child's pid. */
static inline pid_t fork_server(void (*serve)(ipc_cap ep), ipc_cap *conn, size_t nconn)
{
	ipc_cap ep;
	ck_assert_int_eq(ipc_posix_endpoint(&ep), 0);
	for (size_t i = 0; i < nconn; i++)
		ck_assert_int_eq(ipc_posix_connection(ep, &conn[i]), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		signal(SIGTERM, SIG_DFL);
		ipc_drop_caps(conn, nconn, 0);
		serve(ep);
		_exit(1);
	}
	ipc_cap_drop(ep);
	return pid;
}

/* The descriptors process pid has open (a server child's, or this
 * process's: open_fds): a capability leaked is one more. */
static inline int open_fds_of(pid_t pid)
{
	char path[32];
	snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
	DIR *d = opendir(path);
	int n = 0;
	ck_assert_ptr_nonnull(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static inline int open_fds(void)
{
	return open_fds_of(getpid());
}

/* Runs the suite's one case; the process's exit status. */
static inline int run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
