/*
 * hostile.c: a test driver that sends malformed requests, by hand, to
 * every service it can reach (devregistry, devmgr, fs, a bfs file, the
 * serial device): unknown labels, wrong word and capability counts,
 * out-of-range values, describe with arguments.  Each must be answered
 * with an error, and each service must still answer a good request after.
 */
#include "mercury/helios.h"
#include "dev.h"
#include "fs.h"
#include "sys.h"

static int sent, rejected, failures;

static void bad(ipc_cap ep, uint64_t label, uint32_t nwords, uint32_t ncaps, uint64_t w0)
{
	struct ipc_msg m = { .label = label, .nwords = nwords, .ncaps = 0 };
	for (uint32_t i = 0; i < nwords && i < IPC_MAX_WORDS; i++)
		m.word[i] = i ? ~(uint64_t)i : w0;
	/* Capabilities to send: fresh notifications (they move). */
	for (uint32_t i = 0; i < ncaps; i++)
		if (hl_mem_alloc(mercury_memory, HELIOS_CAP_NOTIFICATION, IPC_CAP_NONE, 0, &m.cap[m.ncaps]) == 0)
			m.ncaps++;
	sent++;
	int st = ipc_call(ep, &m);
	if (st == 0 && m.label != 0) {
		rejected++;
	} else {
		failures++;
		mercury_log("FAIL: label %lx with %u words, %u caps: call %d, reply %ld", label, nwords,
		            ncaps, st, (int64_t)m.label);
		ipc_drop_caps(m.cap, m.ncaps, 0);
	}
}

/* The usual malformations of one interface's call n. */
static void attack(ipc_cap ep, uint32_t id, unsigned methods)
{
	bad(ep, IPC_LABEL(id, methods + 1), 0, 0, 0);           /* no such method */
	bad(ep, IPC_LABEL(0xdeadbeef, 1), 1, 0, 0);             /* no such interface */
	bad(ep, IPC_LABEL(id, 0), 3, 0, 0);                     /* describe takes nothing */
	bad(ep, IPC_LABEL_MAX, 0, 0, 0);
	for (unsigned n = 1; n <= methods; n++) {
		bad(ep, IPC_LABEL(id, n), IPC_MAX_WORDS, 0, 0);         /* too many words */
		bad(ep, IPC_LABEL(id, n), 0, 3, 0);                     /* capabilities it does not take */
	}
}

int main(void)
{
	ipc_cap registry = mercury_service(SYS_DEVREGISTRY_ID);
	ipc_cap devmgr = mercury_service(SYS_DEVMGR_ID);
	ipc_cap fs = mercury_service(FS_FS_ID);
	attack(registry, SYS_DEVREGISTRY_ID, 1);
	attack(devmgr, SYS_DEVMGR_ID, 1);
	attack(fs, FS_FS_ID, 1);
	bad(fs, FS_FS_OPEN, 2, 0, 1000);                /* a string longer than it says */
	bad(fs, FS_FS_OPEN, 2, 0, 300);                 /* longer than string<255> */
	bad(devmgr, SYS_DEVMGR_OPEN, 2, 0, 0);          /* n = ~1: not a uint */

	ipc_cap file, serial;
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
	uint32_t n;
	ipc_cap ep;
	if (sys_devregistry_new(registry, 0x1234, &ep, &n)) {
		failures++;
		mercury_log("FAIL: devregistry no longer answers");
	}
	mercury_log("%d malformed requests, %d rejected, %d failures; every service still answers",
	            sent, rejected, failures);
	return failures ? 1 : 0;
}
