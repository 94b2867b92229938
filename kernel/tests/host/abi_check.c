/*
 * abi_check.c: the kernel's ABI header against the transport header.
 * Compiled (never run) by check-kernel-abi, strictly, as C11 and as C++:
 * abi/helios.h stands alone, and once mercury/ipc.h has been included
 * before it, its static asserts hold (message limits, no-capability value,
 * status codes).
 */
#include <mercury/ipc.h>
#include <abi/helios.h>

HELIOS_STATIC_ASSERT(sizeof(helios_cap) == sizeof(ipc_cap), "capabilities are 32 bits on both sides");
HELIOS_STATIC_ASSERT(HELIOS_REG_WORDS <= HELIOS_MAX_WORDS, "register words are a prefix");
HELIOS_STATIC_ASSERT(HELIOS_INFO_WORDS(HELIOS_INFO(IPC_MAX_WORDS, IPC_MAX_CAPS)) == IPC_MAX_WORDS &&
                     HELIOS_INFO_CAPS(HELIOS_INFO(IPC_MAX_WORDS, IPC_MAX_CAPS)) == IPC_MAX_CAPS,
                     "the info word holds the largest message");

int main(void)
{
	return HELIOS_SYS_NULL;
}
