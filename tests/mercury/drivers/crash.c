/* crash.c: a test driver that dies of a page fault once it has started. */
#include "mercury/helios.h"

int main(void)
{
	mercury_log("about to crash");
	uintptr_t addr = 8;
	__asm__ volatile("" : "+r"(addr));     /* an address the compiler cannot see through */
	*(volatile int *)addr = 1;
	mercury_log("FAIL: still alive");
	return 1;
}
