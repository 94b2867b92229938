/*
 * attack.h: malformed requests sent by hand (the test drivers' only
 * hand-made messages): unknown labels, wrong word and capability counts,
 * out-of-range values, describe with arguments.  Each must be answered
 * with an error status, never a crash or silence.  Included by the tests
 * that use it; static, so each has its own counters.
 */
#ifndef TESTS_MERCURY_ATTACK_H
#define TESTS_MERCURY_ATTACK_H

#include "mercury/helios.h"

static int sent, rejected, failures;

static void bad(ipc_cap ep, uint64_t label, uint32_t nwords, uint32_t ncaps, uint64_t w0)
{
	struct ipc_msg m = { .label = label, .nwords = nwords, .ncaps = 0 };
	for (uint32_t i = 0; i < nwords && i < IPC_MAX_WORDS; i++)
		m.word[i] = i ? ~(uint64_t)i : w0;
	/* Capabilities to send: fresh notifications (they move). */
	for (uint32_t i = 0; i < ncaps; i++)
		if (hl_mem_alloc(mercury_memory, HELIOS_CAP_NOTIFICATION, IPC_CAP_NONE, 0, &m.cap[m.ncaps]) == 0)
			m.ncaps++;
	sent++;
	int st = ipc_call(ep, &m);
	if (st == 0 && m.label != 0) {
		rejected++;
	} else {
		failures++;
		mercury_log("FAIL: label %lx with %u words, %u caps: call %d, reply %ld", label, nwords,
		            ncaps, st, (int64_t)m.label);
		ipc_drop_caps(m.cap, m.ncaps, 0);
	}
}

/* The usual malformations of one interface's call n. */
static void attack(ipc_cap ep, uint32_t id, unsigned methods)
{
	bad(ep, IPC_LABEL(id, methods + 1), 0, 0, 0);           /* no such method */
	bad(ep, IPC_LABEL(0xdeadbeef, 1), 1, 0, 0);             /* no such interface */
	bad(ep, IPC_LABEL(id, 0), 3, 0, 0);                     /* describe takes nothing */
	bad(ep, IPC_LABEL_MAX, 0, 0, 0);
	for (unsigned n = 1; n <= methods; n++) {
		bad(ep, IPC_LABEL(id, n), IPC_MAX_WORDS, 0, 0);         /* too many words */
		bad(ep, IPC_LABEL(id, n), 0, 3, 0);                     /* capabilities it does not take */
	}
}

#endif
