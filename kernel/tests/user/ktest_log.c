/*
 * ktest_log: writing the kernel log is an authority.  The root holds the
 * untagged log and writes lines as they are; a child given a log named
 * "drv" tries to forge the kernel's and the root's lines (newlines,
 * carriage returns, escape sequences, an unfinished line), and every line
 * of its reaches the log as "[drv] ..."; a child with no log, or with
 * another kind of capability, writes nothing; names are given once, from
 * the untagged log, in one encoding; revoking the quota that paid for a
 * log takes it.  kernel.mk's rule checks the log for what must and must
 * not be there.
 */
#include "ulib.h"

const char *ktest_name = "log";

enum { FORGER = 1, NOLOG };

static i64 write(u32 log, const char *s)
{
	u64 n = strlen(s);
	memcpy(U_IPCBUF->word, s, n);
	return S(DEBUG_WRITE, log, n, 0, 0, 0).st;
}

void child_main(u64 role, u64 arg)
{
	(void)arg;
	if (role == FORGER) {
		/* Slot 0: its log; slot 1: an endpoint. */
		int ok = 0;
		ok += write(0, "kernel panic: forged by drv\nktest log: 99 checks, 0 failed\r\x1b[2Kgone\n") == 0;
		ok += write(0, "[sysinit] a line of another\n\ntail without a newline") == 0;
		ok += write(1, "ktest log: through an endpoint\n") == HELIOS_EBADCAP;
		ok += write(NONE, "ktest log: through nothing\n") == HELIOS_EBADCAP;
		ok += S(CAP_NARROW, 0, NONE, 'x', 0, 2).st == HELIOS_EPERM;    /* a name is given once */
		h_exit(ok);
	}
	h_exit(write(0, "ktest log: through no log at all\n") == HELIOS_EBADCAP);
}

static u64 name(const char *s)
{
	u64 w = 0;
	for (int i = 0; s[i] && i < 8; i++)
		w |= (u64)(u8)s[i] << (8 * i);
	return w;
}

static i64 run(u64 role, const u32 *caps, unsigned ncaps)
{
	struct child c;
	u32 death = (u32)h_alloc(HELIOS_ROOT_MEMORY, HELIOS_CAP_NOTIFICATION, NONE, 0).r0;
	CHECK_EQ(spawn(role, 0, caps, ncaps, &c), 0);
	S(TASK_NOTIFY, c.task, death, 1, 0, 0);
	h_wait(death);
	i64 code = (i64)h_status(c.task).r1;
	child_free(&c);
	h_destroy(death);
	return code;
}

void test_main(void)
{
	CHECK_EQ(write(HELIOS_ROOT_LOG, "ktest log: the root's own line\n"), 0);
	CHECK_EQ(h_info(HELIOS_ROOT_LOG).r0, HELIOS_CAP_LOG);
	CHECK_EQ(h_info(HELIOS_ROOT_LOG).r1, 0);                /* untagged */

	u32 mem = (u32)h_alloc(HELIOS_ROOT_MEMORY, HELIOS_CAP_MEMORY, NONE, 8).r0;
	/* Names: one to sixteen of [A-Za-z0-9._-], zeros after, memory to pay. */
	CHECK_EQ(h_narrow_from(HELIOS_ROOT_LOG, NONE, 0, 0, mem).st, HELIOS_EINVAL);
	CHECK_EQ(h_narrow_from(HELIOS_ROOT_LOG, NONE, name("a b"), 0, mem).st, HELIOS_EINVAL);
	CHECK_EQ(h_narrow_from(HELIOS_ROOT_LOG, NONE, name("a]"), 0, mem).st, HELIOS_EINVAL);
	CHECK_EQ(h_narrow_from(HELIOS_ROOT_LOG, NONE, name("a\n"), 0, mem).st, HELIOS_EINVAL);
	CHECK_EQ(h_narrow_from(HELIOS_ROOT_LOG, NONE, name("ab"), name("c"), mem).st, HELIOS_EINVAL);
	CHECK_EQ(h_narrow_from(HELIOS_ROOT_LOG, NONE, name("drv"), 0, HELIOS_ROOT_IOPORT).st, HELIOS_EBADCAP);
	struct sysret r = h_narrow_from(HELIOS_ROOT_LOG, NONE, name("0123456789abcdef"), name("89abcdef"), mem);
	CHECK_EQ(r.st, 0);
	CHECK_EQ(h_info((u32)r.r0).r1, 16);
	CHECK_EQ(write((u32)r.r0, "sixteen\n"), 0);
	h_destroy((u32)r.r0);
	r = h_narrow_from(HELIOS_ROOT_LOG, NONE, name("drv"), 0, mem);
	CHECK_EQ(r.st, 0);
	u32 drv = (u32)r.r0;
	CHECK_EQ(h_info(drv).r0, HELIOS_CAP_LOG);
	CHECK_EQ(h_info(drv).r1, 3);

	u32 ep = (u32)h_alloc(HELIOS_ROOT_MEMORY, HELIOS_CAP_ENDPOINT, NONE, 0).r0;
	u32 caps[] = { drv, ep, mem };
	CHECK_EQ(run(FORGER, caps, 3), 5);
	CHECK_EQ(run(NOLOG, NULL, 0), 1);

	/* The log goes with the quota that paid for it. */
	u32 copy = (u32)h_copy(drv, NONE, NONE).r0;
	CHECK_EQ(S(MEM_REVOKE, mem, 0, 0, 0, 0).st, 0);
	CHECK_EQ(h_info(drv).st, HELIOS_EBADCAP);
	CHECK_EQ(h_info(copy).st, HELIOS_EBADCAP);
	CHECK_EQ(h_info(mem).r2, 0);
	h_destroy(mem);
	h_destroy(ep);
}
