/*
 * crash.c: a test driver that registers a device and then dies of a page
 * fault: sysinit reports it, its device goes, and the rest goes on.
 */
#include "mercury/helios.h"
#include "sys.h"

int main(void)
{
	ipc_cap ep;
	uint32_t n;
	if (sys_devregistry_new(mercury_service(SYS_DEVREGISTRY_ID), 0xc0ffee, &ep, &n))
		mercury_log("FAIL: cannot register");
	mercury_log("device %u registered; about to crash", n);
	uintptr_t addr = 8;
	__asm__ volatile("" : "+r"(addr));     /* an address the compiler cannot see through */
	*(volatile int *)addr = 1;
	mercury_log("FAIL: still alive");
	return 1;
}
