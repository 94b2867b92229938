/*
 * noports.c: a test driver whose manifest grants COM2's ports, not COM1's.
 * It tries to reach COM1 through every slot it has (each try fails with a
 * status), then with a bare `in` instruction, which faults: the kernel
 * stops it, sysinit reports it, and the rest of the system goes on.
 */
#include "mercury/helios.h"

int main(void)
{
	/* Exactly what the manifest declares: one capability, COM2's ports at
	 * slot 0; and the log every process gets. */
	unsigned held = 0;
	for (ipc_cap slot = 0; slot < HELIOS_CSPACE_SLOTS; slot++) {
		struct hl_ret r = hl_cap_info(slot);
		if (r.st == 0 && r.r0 != HELIOS_CAP_EMPTY && slot != mercury_logcap)
			held++;
	}
	struct hl_ret io = hl_cap_info(0);
	mercury_log("holds %u capabilities; slot 0: type %lu, ports %lx..%lx", held, io.r0, io.r1, io.r2);
	if (held != 1 || io.r0 != HELIOS_CAP_IOPORT || io.r1 != 0x2f8 || io.r2 != 0x300)
		mercury_log("FAIL: not exactly what the manifest declares");
	uint32_t v;
	int via_grant = hl_io_in(0, 0x3f8, 1, &v);
	int reached = 0;
	for (ipc_cap slot = 0; slot < HELIOS_CSPACE_SLOTS + 8; slot++)
		reached += hl_io_in(slot, 0x3f8, 1, &v) == 0;
	mercury_log("COM1 through its own ioport capability: status %d; through any slot: %d reached",
	            via_grant, reached);
	if (via_grant != HELIOS_EPERM || reached)
		mercury_log("FAIL: COM1 was within reach");
	mercury_log("now touching COM1 directly");
	__asm__ volatile("inb %%dx, %%al" : "=a"(v) : "d"(0x3f8));
	mercury_log("FAIL: the in instruction did not fault");
	return 1;
}
