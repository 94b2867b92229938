/*
 * client.c: a client of calc::calculator.  Each generated function returns
 * 0, a transport status (< 0: see mercury_ipc(3)) or a declared error
 * (> 0, e.g. CALC_ERR_DIV_BY_ZERO); results come back through pointers.
 *
 *   usage: calc-client SOCKET-PATH
 */
#include <stdio.h>

#include <mercury/posix.h>
#include "calc.h"

static const char *status(int rc)
{
	const char *s = rc > 0 ? calc_status_name(rc) : ipc_status_name(rc);
	return s ? s : "unknown status";
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: calc-client SOCKET-PATH\n");
		return 2;
	}
	ipc_cap calc;
	int rc = ipc_posix_connect(argv[1], &calc);
	if (rc < 0) {
		fprintf(stderr, "calc-client: %s: %s\n", argv[1], ipc_status_text(rc));
		return 1;
	}
	ipc_posix_set_timeout(5000); /* no call waits longer than 5 s */

	static const struct { enum calc_op op; int64_t a, b; } calls[] = {
		{ CALC_OP_ADD, 2, 3 },
		{ CALC_OP_MUL, 4, -5 },
		{ CALC_OP_DIV, 1, 0 },
		{ CALC_OP_SUB, 100, 1 },
	};
	for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
		int64_t r;
		rc = calc_calculator_apply(calc, calls[i].op, calls[i].a, calls[i].b, &r);
		if (rc == 0)
			printf("%s(%lld, %lld) = %lld\n", calc_op_name(calls[i].op),
			       (long long)calls[i].a, (long long)calls[i].b, (long long)r);
		else
			printf("%s(%lld, %lld): %s\n", calc_op_name(calls[i].op),
			       (long long)calls[i].a, (long long)calls[i].b, status(rc));
	}
	int64_t total;
	if ((rc = calc_calculator_total(calc, &total)) == 0)
		printf("total = %lld\n", (long long)total);
	calc_calculator_reset(calc); /* one-way: no reply */
	if ((rc = calc_calculator_total(calc, &total)) == 0)
		printf("after reset, total = %lld\n", (long long)total);
	ipc_cap_drop(calc);
	return rc == 0 ? 0 : 1;
}
