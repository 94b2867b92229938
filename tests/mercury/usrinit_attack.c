/*
 * usrinit_attack.c: a test /sbin/usrinit that holds every service sysinit
 * gives (fs, procmgr, devmgr, devloader) and sends each of them, and the
 * objects they hand out (a file, a process), malformed requests; then
 * checks that each still answers a good request by loading the serial
 * driver and opening serial0 as the demo does.  Also: the loader refuses
 * an endpoint that is not one of its processes, and a process it loaded.
 */
#include "mercury/helios.h"
#include "dev.h"
#include "fs.h"
#include "sys.h"
#include "drivers/attack.h"

#define CHECK(c) ((c) ? (void)0 : (void)(failures++, mercury_log("FAIL: line %d: %s", __LINE__, #c)))

int main(void)
{
	ipc_cap fs = mercury_service(FS_FS_ID), procmgr = mercury_service(SYS_PROCMGR_ID);
	ipc_cap devmgr = mercury_service(SYS_DEVMGR_ID), devload = mercury_service(SYS_DEVLOADER_ID);
	attack(fs, FS_FS_ID, 1);
	attack(procmgr, SYS_PROCMGR_ID, 1);
	attack(devmgr, SYS_DEVMGR_ID, 1);
	attack(devload, SYS_DEVLOADER_ID, 1);
	bad(devload, SYS_DEVLOADER_LOAD, 0, 1, 0);      /* one capability of two */
	bad(procmgr, SYS_PROCMGR_NEW, 1, 0, 0);

	ipc_cap image, proc, copy, other;
	CHECK(fs_fs_open(fs, "/sbin/drv/serial", &image) == 0);
	attack(image, IO_FILE_ID, 3);
	CHECK(sys_procmgr_new(procmgr, &proc) == 0);
	attack(proc, SYS_PROCESS_ID, 1);
	CHECK(sys_process_start(proc) == ERRORS_ERR_INVALID);   /* nothing loaded yet */

	/* The loader takes only its own processes: not a file, not a service. */
	CHECK(fs_fs_open(fs, "/sbin/drv/serial", &other) == 0);
	CHECK(hl_cap_copy(image, IPC_CAP_NONE, IPC_CAP_NONE, &copy) == 0);
	CHECK(sys_devloader_load(devload, other, copy) == ERRORS_ERR_INVALID);
	CHECK(hl_cap_copy(devmgr, IPC_CAP_NONE, IPC_CAP_NONE, &other) == 0);
	CHECK(hl_cap_copy(image, IPC_CAP_NONE, IPC_CAP_NONE, &copy) == 0);
	CHECK(sys_devloader_load(devload, other, copy) == ERRORS_ERR_INVALID);

	/* And then the demo's own path, which must work after all that. */
	CHECK(hl_cap_copy(proc, IPC_CAP_NONE, IPC_CAP_NONE, &copy) == 0);
	CHECK(sys_devloader_load(devload, copy, image) == 0);
	CHECK(hl_cap_copy(proc, IPC_CAP_NONE, IPC_CAP_NONE, &copy) == 0);
	CHECK(fs_fs_open(fs, "/sbin/drv/serial", &image) == 0);
	CHECK(sys_devloader_load(devload, copy, image) == ERRORS_ERR_INVALID);  /* loaded already */
	CHECK(sys_process_start(proc) == 0);
	CHECK(sys_process_start(proc) == ERRORS_ERR_INVALID);   /* started already */
	ipc_cap serial;
	uint32_t baud = 0;
	CHECK(sys_devmgr_open(devmgr, DEV_SERIAL_ID, 0, &serial) == 0);
	CHECK(dev_serial_get_baud(serial, &baud) == 0 && baud == 115200);
	CHECK(sys_devmgr_open(devmgr, DEV_SERIAL_ID, 0, &serial) == 0);
	mercury_log("services: %d malformed requests, %d rejected, %d failures", sent, rejected, failures);
	return 0;
}
