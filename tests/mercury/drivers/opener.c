/*
 * opener.c: a test driver that opens one file and exits with the status
 * of the open.  usrinit_attack.c starts it while it holds every open file
 * fs gives one process: another process's open must still succeed.
 */
#include "mercury/helios.h"
#include "fs.h"

int main(void)
{
	ipc_cap file;
	int st = fs_fs_open(mercury_service(FS_FS_ID), "/sbin/drv/test/opener", &file);
	mercury_log("opened a file while another process holds its share: status %d", st);
	return st;
}
