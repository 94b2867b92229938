/* abi_alone.c: abi/helios.h compiles by itself, with nothing before it. */
#include <abi/helios.h>

int main(void)
{
	struct helios_ipc_buffer *b = 0;
	(void)b;
	return HELIOS_SYS_COUNT > 0 ? 0 : 1;
}
