/*
 * file.c: io::file read and write over a shared buffer, through the
 * generated io stubs: the caller lends copies of the pages that cover the
 * range, and buf tells the server where in the first page it starts.
 */
#include "mercury/helios.h"
#include "io.h"

int mercury_read(ipc_cap file, struct mercury_buf *b, size_t off, size_t amt, size_t *got)
{
	ipc_cap caps[IPC_MAX_CAPS];
	size_t n;
	int st = mercury_buf_lend(b, off, amt, caps, &n);
	if (st)
		return st;
	return io_file_read(file, caps, n, (uintptr_t)b->va + off, amt, got);
}

int mercury_write(ipc_cap file, struct mercury_buf *b, size_t off, size_t amt, size_t *put)
{
	ipc_cap caps[IPC_MAX_CAPS];
	size_t n;
	int st = mercury_buf_lend(b, off, amt, caps, &n);
	if (st)
		return st;
	return io_file_write(file, caps, n, (uintptr_t)b->va + off, amt, put);
}
