/*
 * fuzz_frontend.c: libFuzzer target over ipcgen's whole front end: bytes
 * (one or more .ipc files, see fuzz_ipc.h) through lex_file, parse_file,
 * the loading of what 'use' names, and check_unit, to diagnostics or a
 * checked AST.  Any sanitizer report, leak or broken invariant is a crash.
 */
#include "fuzz_ipc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct unit u;
	fuzz_ipc_load(&u, data, size);
	fuzz_ipc_done(&u);
	return 0;
}
