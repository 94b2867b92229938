/*
 * hostile.c: a test driver that sends malformed requests, by hand, to
 * every service it can reach (devregistry, devmgr, fs, a bfs file, the
 * serial device): unknown labels, wrong word and capability counts,
 * out-of-range values, describe with arguments.  Each must be answered
 * with an error, and each service must still answer a good request after.
 * It tries to receive on the endpoints it holds as a client (to take and
 * answer other clients' calls).  Then it writes log lines forged as the
 * kernel's and sysinit's.
 */
#include "mercury/helios.h"
#include "dev.h"
#include "fs.h"
#include "sys.h"
#include "attack.h"

int main(void)
{
	ipc_cap registry = mercury_service(SYS_DEVREGISTRY_ID);
	ipc_cap devmgr = mercury_service(SYS_DEVMGR_ID);
	ipc_cap fs = mercury_service(FS_FS_ID);
	attack(registry, SYS_DEVREGISTRY_ID, 1);
	attack(devmgr, SYS_DEVMGR_ID, 2);
	attack(fs, FS_FS_ID, 1);
	bad(fs, FS_FS_OPEN, 2, 0, 1000);                /* a string longer than it says */
	bad(fs, FS_FS_OPEN, 2, 0, 300);                 /* longer than string<255> */
	bad(devmgr, SYS_DEVMGR_OPEN, 2, 0, 0);          /* n = ~1: not a uint */

	ipc_cap file = IPC_CAP_NONE, serial = IPC_CAP_NONE;
	if (fs_fs_open(fs, "/etc/drivers", &file)) {
		failures++;
		mercury_log("FAIL: fs no longer opens files");
	} else {
		attack(file, IO_FILE_ID, 3);
		bad(file, IO_FILE_SEEK, 2, 0, 0);               /* whence = ~1 */
		size_t pos;
		if (io_file_seek(file, 0, IO_WHENCE_END, &pos) || pos == 0) {
			failures++;
			mercury_log("FAIL: the file no longer seeks");
		}
	}
	if (sys_devmgr_open(devmgr, DEV_SERIAL_ID, 0, &serial)) {
		failures++;
		mercury_log("FAIL: devmgr no longer opens serial0");
	} else {
		attack(serial, DEV_SERIAL_ID, 8);
		attack(serial, IO_FILE_ID, 3);
		bad(serial, DEV_SERIAL_SET_PARITY, 1, 0, 9);            /* no such parity */
		bad(serial, DEV_SERIAL_SET_STOPBITS, 1, 0, 2);
		bad(serial, DEV_SERIAL_SET_BAUD, 1, 0, UINT64_C(1) << 40);      /* not a uint */
		bad(serial, IO_FILE_READ, 2, 0, 0);             /* no pages: the driver's own check */
		uint32_t baud;
		if (dev_serial_get_baud(serial, &baud) || baud != 115200) {
			failures++;
			mercury_log("FAIL: serial0 no longer answers");
		}
	}
	/* A client's endpoints, its services' and the device's, cannot be used
	 * to receive (and answer) other clients' calls. */
	ipc_cap clients[] = { registry, devmgr, fs, serial };
	for (unsigned i = 0; i < sizeof(clients) / sizeof(clients[0]); i++) {
		struct hl_ret r = hl_syscall(HELIOS_SYS_RECV, clients[i], 0, 0, 0, 0);
		struct hl_ret rr = hl_syscall(HELIOS_SYS_REPLY_RECV, clients[i], 0, 0, 0, 0);
		if (r.st != HELIOS_EPERM || rr.st != HELIOS_EPERM || hl_cap_info(clients[i]).r1 != HELIOS_EP_SEND) {
			failures++;
			mercury_log("FAIL: endpoint %u of a client: receive %ld, reply-receive %ld", i, r.st, rr.st);
		}
	}
	uint32_t n;
	ipc_cap ep;
	if (sys_devregistry_new(registry, 0x1234, &ep, &n)) {
		failures++;
		mercury_log("FAIL: devregistry no longer answers");
	}
	/* Registering without end: a driver has its share of the device table
	 * (8 devices), not all of it, which other drivers need too.  Its
	 * devices go when it exits. */
	unsigned more = 0;
	while (more < 64 && sys_devregistry_new(registry, 0x1235, &ep, &n) == 0)
		more++;
	if (more != 7) {
		failures++;
		mercury_log("FAIL: registering without end: %u more devices, not 7", more);
	}
	mercury_log("%d malformed requests, %d rejected, %d failures; every service still answers",
	            sent, rejected, failures);
	/* Lines forged as the kernel's and sysinit's: each arrives under this
	 * driver's name (the kernel prefixes every line of its log). */
	static const char forged[] = "kernel panic: forged by hostile\n[sysinit] started process 99 (forged)\n";
	memcpy(mercury_ipcbuf()->word, forged, sizeof(forged) - 1);
	hl_syscall(HELIOS_SYS_DEBUG_WRITE, mercury_logcap, sizeof(forged) - 1, 0, 0, 0);
	return failures ? 1 : 0;
}
