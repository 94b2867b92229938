/*
 * child.c: the processes the lifecycle test starts by the thousand, one
 * image per behaviour, told apart by the name in their manifest:
 * lc-exit exits with 7, lc-fault writes through a null pointer, lc-spin
 * yields until it is killed.
 */
#include "mercury/helios.h"

int main(void)
{
	if (!strcmp(mercury_name, "lc-exit"))
		return 7;
	if (!strcmp(mercury_name, "lc-fault")) {
		volatile uintptr_t nowhere = 8;
		*(volatile int *)nowhere = 1;   /* a page fault: vector 14 */
	}
	for (;;)
		hl_yield();
}
