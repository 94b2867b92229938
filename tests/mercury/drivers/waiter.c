/*
 * waiter.c: a test driver that takes every place devmgr has for opens
 * that wait: 8 threads each wait a minute for a device nobody registers
 * (interface 5678, numbers 0 to 7), and again when refused.  usrinit_attack.c starts it, then
 * checks that its own open_wait still waits rather than being refused.
 */
#include "mercury/helios.h"
#include "sys.h"

static ipc_cap devmgr;

static void waiter(void *arg)
{
	ipc_cap dev;
	for (;;)        /* and again as soon as refused or timed out */
		if (sys_devmgr_open_wait(devmgr, 0x5678, (uint32_t)(uintptr_t)arg, 60000, &dev))
			hl_yield();
}

int main(void)
{
	devmgr = mercury_service(SYS_DEVMGR_ID);
	ipc_cap task;
	for (uintptr_t i = 0; i < 8; i++)
		if (mercury_thread_spawn(waiter, (void *)i, &task))
			mercury_log("FAIL: thread %u not spawned", (unsigned)i);
	for (;;)
		hl_yield();
}
