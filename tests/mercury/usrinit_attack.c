/*
 * usrinit_attack.c: a test /sbin/usrinit that holds every service sysinit
 * gives (fs, procmgr, devmgr, devloader) and sends each of them, and the
 * objects they hand out (a file, a process), malformed requests; then
 * checks that each still answers a good request by loading the serial
 * driver and opening serial0 as the demo does.  Also: the loader refuses
 * an endpoint that is not one of its processes, and a process it loaded;
 * opening files without end takes this process's share of them and no
 * more, and another process (drivers/opener.c) can still open one.
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
	/* Each service says what it speaks, with the ABI built here. */
	CHECK(fs_fs_describe(fs) == 0 && sys_procmgr_describe(procmgr) == 0 &&
	      sys_devmgr_describe(devmgr) == 0 && sys_devloader_describe(devload) == 0);
	CHECK(sys_devmgr_describe(fs) == IPC_ENOSYS);
	attack(fs, FS_FS_ID, 1);
	attack(procmgr, SYS_PROCMGR_ID, 4);
	attack(devmgr, SYS_DEVMGR_ID, 2);
	attack(devload, SYS_DEVLOADER_ID, 1);
	bad(devload, SYS_DEVLOADER_LOAD, 0, 1, 0);      /* one capability of two */
	bad(procmgr, SYS_PROCMGR_NEW, 1, 0, 0);

	ipc_cap image, proc, copy, other;
	/* Opening without end: one process's files fill its share of
	 * sysinit's open files (MAX_FILES_EACH there) and no more, refused
	 * with no_memory; a process object (procmgr.new) can still be made,
	 * and another process (drivers/opener.c, loaded from a copy of one
	 * of the files held) can still open a file.  Then all of them closed,
	 * and waited for: their objects go back, and a whole share opens
	 * again. */
	enum { MANY = 100, FILES_EACH = 8, FLOOD = 200 };
	static ipc_cap many[MANY];
	unsigned nopen = 0, again = 0;
	uint32_t live0 = 0, live = 0;
	int refused = 0, refused_again = 0;
	enum sys_end ended = SYS_END_KILLED;
	int64_t code = -1;
	CHECK(sys_procmgr_live_objects(procmgr, &live0) == 0);
	while (nopen < MANY && !(refused = fs_fs_open(fs, "/sbin/drv/test/opener", &many[nopen])))
		nopen++;
	CHECK(nopen == FILES_EACH && refused == ERRORS_ERR_NO_MEMORY);
	CHECK(fs_fs_open(fs, "/sbin/drv/serial", &other) == ERRORS_ERR_NO_MEMORY);
	/* Asking on without end: each refused, and sysinit's log has a line
	 * for the first refusal only (the test's -x), and the next line, once
	 * files are closed, counts these (its -e). */
	unsigned flood = 0;
	while (flood < FLOOD && fs_fs_open(fs, "/sbin/drv/serial", &other) == ERRORS_ERR_NO_MEMORY)
		flood++;
	CHECK(flood == FLOOD);
	CHECK(sys_procmgr_new(procmgr, &proc) == 0);
	CHECK(hl_cap_copy(proc, IPC_CAP_NONE, IPC_CAP_NONE, &copy) == 0);
	CHECK(hl_cap_copy(many[0], IPC_CAP_NONE, IPC_CAP_NONE, &image) == 0);
	CHECK(sys_devloader_load(devload, copy, image) == 0);
	CHECK(sys_process_start(proc) == 0);
	CHECK(sys_process_wait(proc, &ended) == 0 && ended == SYS_END_EXITED);
	CHECK(sys_process_code(proc, &code) == 0 && code == 0);
	hl_cap_destroy(proc);
	mercury_log("opening without end: %u files open, then refused (%s); another process's open: %ld",
	            nopen, errors_status_name(refused), (long)code);
	for (unsigned i = 0; i < nopen; i++)
		hl_cap_destroy(many[i]);
	while (sys_procmgr_live_objects(procmgr, &live) == 0 && live > live0)
		hl_yield();
	CHECK(live == live0);
	while (again < MANY && !(refused_again = fs_fs_open(fs, "/sbin/drv/serial", &many[again])))
		again++;
	CHECK(again == FILES_EACH && refused_again == ERRORS_ERR_NO_MEMORY);
	mercury_log("all of them closed: %u files open again, then refused (%s)", again,
	            errors_status_name(refused_again));
	for (unsigned i = 0; i < again; i++)
		hl_cap_destroy(many[i]);
	while (sys_procmgr_live_objects(procmgr, &live) == 0 && live > live0)
		hl_yield();
	CHECK(live == live0);

	/* The bootstrap filesystem: what is not there, relative paths, the end of a file. */
	CHECK(fs_fs_open(fs, "/sbin/nothing", &other) == ERRORS_ERR_NOT_FOUND);
	CHECK(fs_fs_open(fs, "sbin/usrinit", &other) == ERRORS_ERR_INVALID);
	CHECK(fs_fs_open(fs, "/sbin/drv/serial", &other) == 0);
	size_t end = 0, pos = 0, n = 0;
	struct mercury_buf fb;
	CHECK(io_file_seek(other, 0, IO_WHENCE_END, &end) == 0 && end > 4096);
	CHECK(io_file_seek(other, -4, IO_WHENCE_END, &pos) == 0 && pos == end - 4);
	CHECK(io_file_seek(other, -1, IO_WHENCE_SET, &pos) == ERRORS_ERR_INVALID);
	/* -2^63, which has no negation in an int64_t: before the start too. */
	CHECK(io_file_seek(other, INT64_MIN, IO_WHENCE_SET, &pos) == ERRORS_ERR_INVALID);
	CHECK(io_file_seek(other, INT64_MIN, IO_WHENCE_END, &pos) == ERRORS_ERR_INVALID);
	CHECK(mercury_buf_alloc(&fb, 1) == 0);
	CHECK(mercury_read(other, &fb, 0, 100, &n) == 0 && n == 4);
	CHECK(mercury_read(other, &fb, 0, 100, &n) == ERRORS_ERR_EOF);
	CHECK(io_file_seek(other, 0, IO_WHENCE_SET, &pos) == 0 && pos == 0);
	CHECK(mercury_read(other, &fb, 0, 4, &n) == 0 && n == 4 && !memcmp(fb.va, "\177ELF", 4));
	CHECK(mercury_write(other, &fb, 0, 4, &n) == ERRORS_ERR_INVALID);      /* read-only */
	mercury_buf_free(&fb);
	hl_cap_destroy(other);

	CHECK(fs_fs_open(fs, "/sbin/drv/serial", &image) == 0);
	attack(image, IO_FILE_ID, 3);
	CHECK(sys_procmgr_new(procmgr, &proc) == 0);
	attack(proc, SYS_PROCESS_ID, 5);
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
	CHECK(sys_devmgr_open_wait(devmgr, DEV_SERIAL_ID, 0, 10000, &serial) == 0);
	CHECK(dev_serial_get_baud(serial, &baud) == 0 && baud == 115200);
	CHECK(sys_devmgr_open(devmgr, DEV_SERIAL_ID, 0, &serial) == 0);   /* a second open */
	CHECK(dev_serial_describe(serial) == 0 && io_file_describe(serial) == 0);
	/* COM4, which this test's QEMU has too: serial1. */
	ipc_cap com4;
	struct mercury_buf w;
	size_t wrote = 0;
	CHECK(sys_devmgr_open_wait(devmgr, DEV_SERIAL_ID, 1, 10000, &com4) == 0);
	CHECK(mercury_buf_alloc(&w, 1) == 0);
	memcpy(w.va, "com4 ok\n", 8);
	CHECK(mercury_write(com4, &w, 0, 8, &wrote) == 0 && wrote == 8);

	/* The line settings: checked, kept, and (7E2 at 9600) back to 8N1 at 115200. */
	uint32_t v = 0;
	enum dev_parity par;
	enum dev_stop_bits stop;
	CHECK(dev_serial_set_baud(serial, 7) == ERRORS_ERR_INVALID);
	CHECK(dev_serial_set_baud(serial, 0) == ERRORS_ERR_INVALID);
	CHECK(dev_serial_set_charlen(serial, 9) == ERRORS_ERR_INVALID);
	CHECK(dev_serial_set_charlen(serial, 4) == ERRORS_ERR_INVALID);
	CHECK(dev_serial_set_baud(serial, 9600) == 0);
	CHECK(dev_serial_set_charlen(serial, 7) == 0);
	CHECK(dev_serial_set_parity(serial, DEV_PARITY_EVEN) == 0);
	CHECK(dev_serial_set_stopbits(serial, DEV_STOP_BITS_TWO) == 0);
	CHECK(dev_serial_get_baud(serial, &v) == 0 && v == 9600);
	CHECK(dev_serial_get_charlen(serial, &v) == 0 && v == 7);
	CHECK(dev_serial_get_parity(serial, &par) == 0 && par == DEV_PARITY_EVEN);
	CHECK(dev_serial_get_stopbits(serial, &stop) == 0 && stop == DEV_STOP_BITS_TWO);
	CHECK(dev_serial_set_baud(serial, 115200) == 0 && dev_serial_set_charlen(serial, 8) == 0 &&
	      dev_serial_set_parity(serial, DEV_PARITY_NONE) == 0 &&
	      dev_serial_set_stopbits(serial, DEV_STOP_BITS_ONE) == 0);
	/* A read and a write through shared pages, and a read with too few. */
	struct mercury_buf b;
	size_t put = 0;
	CHECK(mercury_buf_alloc(&b, 2) == 0);
	memcpy((char *)b.va + 4090, "serial ok\n", 10);
	CHECK(mercury_write(serial, &b, 4090, 10, &put) == 0 && put == 10);   /* across pages */
	ipc_cap one;
	CHECK(hl_cap_copy(b.page[0], IPC_CAP_NONE, IPC_CAP_NONE, &one) == 0);
	CHECK(io_file_read(serial, &one, 1, (uintptr_t)b.va + 4000, 200, &put) == ERRORS_ERR_INVALID);
	mercury_log("services: %d malformed requests, %d rejected, %d failures", sent, rejected, failures);

	/* Flow control: the host sends 16 KiB while nobody reads, four times
	 * what the driver buffers; then all of it must come in, whole. */
	enum { FLOW = 16384 };
	struct mercury_buf in;
	CHECK(mercury_buf_alloc(&in, 4) == 0);
	mercury_log("flow: send %d bytes now", FLOW);
	struct hl_ret c0 = hl_syscall(HELIOS_SYS_CLOCK, 0, 0, 0, 0, 0);
	while (hl_syscall(HELIOS_SYS_CLOCK, 0, 0, 0, 0, 0).r0 < c0.r0 + c0.r1)
		hl_yield();                     /* a second without reading */
	size_t got = 0;
	int bad_at = -1;
	while (got < FLOW) {
		size_t n = 0;
		if (mercury_read(serial, &in, 0, FLOW - got < 4 * HELIOS_PAGE_SIZE ? FLOW - got
		                 : 4 * HELIOS_PAGE_SIZE, &n) || n == 0) {
			failures++;
			break;
		}
		const char *p = in.va;
		for (size_t i = 0; i < n && bad_at < 0; i++) {
			size_t k = got + i;
			char want = (k % 64 == 63) ? '\r' : (char)('!' + (k * 7 + k / 64) % 90);
			if (p[i] != want)
				bad_at = (int)k;
		}
		got += n;
	}
	if (bad_at >= 0 || got != FLOW)
		mercury_log("FAIL: flow: %zu bytes in, the first wrong at %d", got, bad_at);
	else
		mercury_log("flow: %zu bytes came in whole", got);

	/* Waiting without end: a driver (tests/mercury/drivers/waiter.c)
	 * holds 8 opens that wait a minute.  This client's open_wait must
	 * still wait and time out, not be refused with busy. */
	ipc_cap wimg, wproc, wcopy;
	CHECK(fs_fs_open(fs, "/sbin/drv/test/waiter", &wimg) == 0);
	CHECK(sys_procmgr_new(procmgr, &wproc) == 0);
	CHECK(hl_cap_copy(wproc, IPC_CAP_NONE, IPC_CAP_NONE, &wcopy) == 0);
	CHECK(sys_devloader_load(devload, wcopy, wimg) == 0);
	CHECK(sys_process_start(wproc) == 0);
	struct hl_ret w0 = hl_syscall(HELIOS_SYS_CLOCK, 0, 0, 0, 0, 0);
	while (hl_syscall(HELIOS_SYS_CLOCK, 0, 0, 0, 0, 0).r0 < w0.r0 + w0.r1)
		hl_yield();                     /* a second: its threads wait */
	int wst = 0;
	for (unsigned i = 0; i < 200 && wst != ERRORS_ERR_BUSY; i++) {
		ipc_cap d;
		wst = sys_devmgr_open_wait(devmgr, 0x5679, 0, 10, &d);
		hl_yield();
	}
	CHECK(wst == ERRORS_ERR_TIMED_OUT);
	mercury_log("waiting without end: %s", wst == ERRORS_ERR_BUSY ? "refused, busy" : "waited");
	CHECK(sys_process_kill(wproc) == 0);
	return 0;
}
