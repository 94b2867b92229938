/*
 * server.c: the calc::calculator service, published at a socket path.
 *
 * The generated server side (gen/calc_server.c) receives and validates each
 * request and calls the functions below; they only compute.  The main loop
 * is the program's own: it polls the endpoint's wait set beside a signalfd,
 * as any event loop (epoll, libuv) could, and calls the generated dispatch
 * when a request waits.
 *
 *   usage: calc-server SOCKET-PATH
 */
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <mercury/posix.h>
#include "calc.h"

/* The implementation subtypes the generated object: it comes first. */
struct calculator {
	struct calc_calculator base;
	int64_t total;
};

static int calc_apply(struct calc_calculator *self, enum calc_op op, int64_t a, int64_t b,
                      int64_t *result)
{
	struct calculator *c = (struct calculator *)self;
	int64_t r;
	switch (op) {
	case CALC_OP_ADD: r = a + b; break;
	case CALC_OP_SUB: r = a - b; break;
	case CALC_OP_MUL: r = a * b; break;
	case CALC_OP_DIV:
		if (b == 0)
			return CALC_ERR_DIV_BY_ZERO; /* a declared error */
		r = a / b;
		break;
	default: /* never: the generated code checked the enum */
		return IPC_EINVAL;
	}
	c->total += r;
	*result = r;
	return 0;
}

static int calc_total(struct calc_calculator *self, int64_t *result)
{
	*result = ((struct calculator *)self)->total;
	return 0;
}

static void calc_reset(struct calc_calculator *self)
{
	((struct calculator *)self)->total = 0;
}

static const struct calc_calculator_iface calc_impl = {
	.apply = calc_apply,
	.total = calc_total,
	.reset = calc_reset,
};

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: calc-server SOCKET-PATH\n");
		return 2;
	}
	struct calculator calc = { .total = 0 };
	ipc_cap ep;
	int rc = ipc_posix_listen(argv[1], &ep);
	if (rc < 0) {
		fprintf(stderr, "calc-server: %s: %s\n", argv[1], ipc_status_text(rc));
		return 1;
	}
	calc_calculator_init(&calc.base, &calc_impl, ep);
	ipc_posix_nonblock(ep, true); /* dispatch never blocks our loop */

	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	int sfd = signalfd(-1, &sigs, SFD_CLOEXEC);

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = ipc_posix_fd(ep), .events = POLLIN },
			{ .fd = sfd, .events = POLLIN },
		};
		if (poll(p, 2, -1) < 0)
			continue;
		if (p[1].revents & POLLIN)
			break;
		if (p[0].revents & POLLIN) {
			rc = calc_calculator_dispatch(&calc.base);
			if (rc < 0 && rc != IPC_EAGAIN)
				fprintf(stderr, "calc-server: %s\n", ipc_status_text(rc));
		}
	}
	ipc_cap_drop(ep); /* closes every connection and unlinks the path */
	close(sfd);
	return 0;
}
