/*
 * noports.c: a test driver whose manifest grants COM2's ports, not COM1's.
 * It tries to reach COM1 through every slot it has (each try fails with a
 * status), then with a bare `in` instruction, which faults: the kernel
 * stops it, sysinit reports it, and the rest of the system goes on.
 */
#include "mercury/helios.h"

int main(void)
{
	uint32_t v;
	int via_grant = hl_io_in(0, 0x3f8, 1, &v);
	int reached = 0;
	for (ipc_cap slot = 0; slot < 256; slot++)
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
