/*
 * serial_test.c: the host side of the example OS's boot tests.  It boots
 * QEMU with the guest's COM1 on a Unix socket it listens on and the system
 * log (-debugcon) in a file, waits for the log to say the echo is ready,
 * writes text into COM1 and checks what comes back (CR turned into LF),
 * then stops QEMU: the demo runs on by design.
 *
 *   serial_test [options] -- QEMU-COMMAND...
 *     -w TEXT   wait until the log has TEXT (repeatable; before sending)
 *     -s TEXT   send TEXT (\r for CR) and expect it echoed, CR as LF
 *     -b BYTES  send BYTES of text lines at once and expect them all back
 *     -e TEXT   the log must have TEXT in the end (repeatable)
 *     -x TEXT   the log must not have TEXT
 *     -o TEXT   COM1 must say TEXT (after the sends)
 *     -i BYTES  after -o, send BYTES of the burst's text, expecting no echo
 *               (the guest checks them)
 *     -c N      crash the serial driver N times (after the sends): each
 *               time send Ctrl-] (which its test build faults on) and a
 *               line right behind it, and expect the line echoed (by the
 *               restarted driver, the log saying "echo ready again"),
 *               then let it run 250 ms before the next
 *     -t SECS   give up after SECS (default 60)
 *     -r        report: "ready_ms N" (QEMU start to the last -w text),
 *               "echo_ms N" (each -s round trip), "restart_ms N" (each -c
 *               cycle: the crash byte sent to its line echoed)
 * The log is printed at the end; exit status 0 when every check passed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char dir[] = "/tmp/serial_test.XXXXXX";
static char logpath[64], sockpath[64];
static pid_t qemu = -1;
static double deadline;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static char *read_log(void)
{
	FILE *f = fopen(logpath, "rb");
	if (!f)
		return strdup("");
	size_t cap = 1 << 16, n = 0, r;
	char *buf = malloc(cap + 1);
	while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap)
			buf = realloc(buf, (cap *= 2) + 1);
	}
	fclose(f);
	buf[n] = 0;
	return buf;
}

static int log_has(const char *text)
{
	char *log = read_log();
	int found = strstr(log, text) != NULL;
	free(log);
	return found;
}

static void finish(int status)
{
	if (qemu > 0) {
		kill(qemu, SIGKILL);
		waitpid(qemu, NULL, 0);
	}
	char *log = read_log();
	fputs(log, stdout);
	free(log);
	unlink(logpath);
	unlink(sockpath);
	rmdir(dir);
	printf("serial_test: %s\n", status ? "FAILED" : "ok");
	exit(status);
}

/* Sends len bytes and reads want bytes back, at the same time. */
static int exchange(int fd, const char *out, size_t len, char *in, size_t want)
{
	size_t sent = 0, got = 0;
	while (got < want || sent < len) {
		if (now_ms() > deadline) {
			fprintf(stdout, "serial_test: timed out: sent %zu of %zu, got %zu of %zu bytes\n",
			        sent, len, got, want);
			return -1;
		}
		struct pollfd p = { fd, POLLIN | (sent < len ? POLLOUT : 0), 0 };
		if (poll(&p, 1, 50) < 0 && errno != EINTR)
			return -1;
		if ((p.revents & POLLOUT) && sent < len) {
			ssize_t w = write(fd, out + sent, len - sent);
			if (w > 0)
				sent += (size_t)w;
		}
		if ((p.revents & POLLIN) && got < want) {
			ssize_t r = read(fd, in + got, want - got);
			if (r <= 0) {
				fprintf(stdout, "serial_test: COM1 closed\n");
				return -1;
			}
			got += (size_t)r;
		}
		if (p.revents & (POLLERR | POLLHUP))
			return -1;
	}
	return 0;
}

static int log_count(const char *text)
{
	char *log = read_log();
	int n = 0;
	for (const char *p = log; (p = strstr(p, text)); p += strlen(text))
		n++;
	free(log);
	return n;
}

/* Crash and restart: the crash byte and a line behind it, which the next
 * driver instance must deliver (the UART kept it). */
static int crash_cycles(int fd, long n, int report)
{
	for (long k = 1; k <= n; k++) {
		char out[64], want[64], in[64] = { 0 };
		int len = snprintf(out, sizeof(out), "\x1d" "crash %ld\r", k);
		memcpy(want, out + 1, (size_t)len - 1);
		want[len - 2] = '\n';
		double t0 = now_ms();
		if (exchange(fd, out, (size_t)len, in, (size_t)len - 1) || memcmp(in, want, (size_t)len - 1)) {
			printf("serial_test: crash %ld: sent the line, got \"%s\"\n", k, in);
			return -1;
		}
		double gap = now_ms() - t0;
		while (log_count("echo ready again") < k) {
			if (now_ms() > deadline) {
				printf("serial_test: crash %ld: the log never said \"echo ready again\"\n", k);
				return -1;
			}
			usleep(1000);
		}
		if (report)
			printf("restart_ms %.1f\n", gap);
		usleep(250000);
	}
	printf("serial_test: %ld crashes, each line echoed by the restarted driver\n", n);
	return 0;
}

static char *unescape(const char *s)
{
	char *r = malloc(strlen(s) + 1), *d = r;
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] == 'r')
			*d++ = '\r', s++;
		else if (s[0] == '\\' && s[1] == 'n')
			*d++ = '\n', s++;
		else
			*d++ = *s;
	}
	*d = 0;
	return r;
}

int main(int argc, char **argv)
{
	const char *wait_for[16], *expect[16], *reject[16], *sends[16], *outs[16];
	int nwait = 0, nexpect = 0, nreject = 0, nsend = 0, nout = 0, report = 0, opt;
	long burst = 0, input = 0, timeout = 60, crashes = 0;
	while ((opt = getopt(argc, argv, "w:s:b:e:x:o:i:t:c:r")) != -1) {
		switch (opt) {
		case 'w': if (nwait < 16) wait_for[nwait++] = optarg; break;
		case 's': if (nsend < 16) sends[nsend++] = optarg; break;
		case 'e': if (nexpect < 16) expect[nexpect++] = optarg; break;
		case 'x': if (nreject < 16) reject[nreject++] = optarg; break;
		case 'o': if (nout < 16) outs[nout++] = optarg; break;
		case 'b': burst = atol(optarg); break;
		case 'i': input = atol(optarg); break;
		case 't': timeout = atol(optarg); break;
		case 'c': crashes = atol(optarg); break;
		case 'r': report = 1; break;
		default: return 2;
		}
	}
	if (optind >= argc || !mkdtemp(dir))
		return 2;
	snprintf(logpath, sizeof(logpath), "%s/log", dir);
	snprintf(sockpath, sizeof(sockpath), "%s/com1", dir);
	int ls = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sockpath);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) || listen(ls, 1)) {
		perror("serial_test: socket");
		return 2;
	}
	char chardev[128], debugcon[128];
	snprintf(chardev, sizeof(chardev), "socket,id=com1,path=%s", sockpath);
	snprintf(debugcon, sizeof(debugcon), "file:%s", logpath);
	char **args = calloc((size_t)(argc - optind) + 8, sizeof(char *));
	int na = 0;
	for (int i = optind; i < argc; i++)
		args[na++] = argv[i];
	args[na++] = "-chardev";
	args[na++] = chardev;
	args[na++] = "-serial";
	args[na++] = "chardev:com1";
	args[na++] = "-debugcon";
	args[na++] = debugcon;
	double start = now_ms();
	deadline = start + timeout * 1e3;
	if ((qemu = fork()) == 0) {
		execvp(args[0], args);
		perror(args[0]);
		_exit(127);
	}
	struct pollfd p = { ls, POLLIN, 0 };
	if (poll(&p, 1, (int)(timeout * 1000)) != 1) {
		printf("serial_test: QEMU did not connect to COM1\n");
		finish(1);
	}
	int fd = accept(ls, NULL, NULL);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < nwait; i++) {
		while (!log_has(wait_for[i])) {
			int st;
			if (now_ms() > deadline || waitpid(qemu, &st, WNOHANG) == qemu) {
				if (now_ms() <= deadline)
					qemu = -1;
				printf("serial_test: the log never said \"%s\"\n", wait_for[i]);
				finish(1);
			}
			usleep(1000);
		}
	}
	if (report && nwait)
		printf("ready_ms %.1f\n", now_ms() - start);
	int fail = 0;
	for (int i = 0; i < nsend; i++) {
		char *out = unescape(sends[i]);
		size_t len = strlen(out);
		char *want = strdup(out), *in = calloc(len + 1, 1);
		for (size_t k = 0; k < len; k++)
			if (want[k] == '\r')
				want[k] = '\n';
		double t0 = now_ms();
		if (exchange(fd, out, len, in, len) || memcmp(in, want, len)) {
			printf("serial_test: sent \"%s\", got \"%s\"\n", sends[i], in);
			fail = 1;
		} else if (report) {
			printf("echo_ms %.2f\n", now_ms() - t0);
		}
		free(out), free(want), free(in);
	}
	if (burst > 0) {
		char *out = malloc((size_t)burst), *in = malloc((size_t)burst), *want = malloc((size_t)burst);
		for (long k = 0; k < burst; k++) {
			out[k] = (k % 64 == 63) ? '\r' : (char)('!' + (k * 7 + k / 64) % 90);
			want[k] = out[k] == '\r' ? '\n' : out[k];
		}
		double t0 = now_ms();
		if (exchange(fd, out, (size_t)burst, in, (size_t)burst)) {
			fail = 1;
		} else if (memcmp(in, want, (size_t)burst)) {
			long k = 0;
			while (in[k] == want[k])
				k++;
			printf("serial_test: burst differs at byte %ld\n", k);
			fail = 1;
		} else {
			printf("serial_test: burst of %ld bytes came back whole in %.0f ms\n", burst, now_ms() - t0);
		}
		free(out), free(in), free(want);
	}
	if (crashes > 0 && crash_cycles(fd, crashes, report))
		fail = 1;
	if (nout) {
		/* What COM1 says from here on, until every -o text is in it. */
		size_t cap = 1 << 16, len = 0;
		char *said = calloc(cap + 1, 1);
		for (int i = 0; i < nout;) {
			if (strstr(said, outs[i])) {
				i++;
				continue;
			}
			struct pollfd q = { fd, POLLIN, 0 };
			ssize_t r = 0;
			if (now_ms() > deadline || (poll(&q, 1, 50) == 1 &&
			    (r = read(fd, said + len, cap - len)) <= 0 && errno != EAGAIN)) {
				printf("serial_test: COM1 never said \"%s\"\n", outs[i]);
				fail = 1;
				break;
			}
			if (r > 0 && len + (size_t)r < cap)
				len += (size_t)r;
			said[len] = 0;
		}
		free(said);
	}
	if (input > 0) {
		/* Sent only after the guest asks for it: wait for the log again. */
		for (int i = 0; i < nwait; i++)
			while (!log_has(wait_for[i]) && now_ms() < deadline)
				usleep(2000);
		char *out = malloc((size_t)input);
		for (long k = 0; k < input; k++)
			out[k] = (k % 64 == 63) ? '\r' : (char)('!' + (k * 7 + k / 64) % 90);
		if (exchange(fd, out, (size_t)input, NULL, 0))
			fail = 1;
		free(out);
	}
	for (int i = 0; i < nexpect; i++) {
		while (!log_has(expect[i]) && now_ms() < deadline)
			usleep(2000);
		if (!log_has(expect[i])) {
			printf("serial_test: the log lacks \"%s\"\n", expect[i]);
			fail = 1;
		}
	}
	for (int i = 0; i < nreject; i++) {
		if (log_has(reject[i])) {
			printf("serial_test: the log has \"%s\"\n", reject[i]);
			fail = 1;
		}
	}
	finish(fail);
}
