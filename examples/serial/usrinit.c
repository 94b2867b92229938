/*
 * usrinit.c: the demo, after the seed's.  It loads the serial driver from
 * the initramfs through the driver loader, opens serial0 through the
 * device manager, and echoes what it reads, CR turned into LF.  Any
 * drivers listed in /etc/drivers (one path a line; test images have one)
 * are loaded and started too, after serial0 is open.  Once the echo is
 * ready, a thread of its own loads the clock driver and logs the date.
 *
 * The serial driver is restarted by sysinit when it dies (its manifest says
 * restart=yes).  Then every call to the old serial0 fails with IPC_EPEER,
 * and usrinit opens serial0 again, waiting for the new driver to register
 * it: what is typed meanwhile waits in the UART (the driver stops draining
 * it, and the new one finds it), so the echo has at most a short gap.
 */
#include "mercury/helios.h"
#include "dev.h"
#include "fs.h"
#include "sys.h"
#include "../rtc/calendar.h"

static ipc_cap fs, procmgr, devmgr, devload;

/* Called with serial0 open: after boot (again = false) and after each
 * restart of its driver.  Nothing here; the supervision test's usrinit
 * links its checks in (tests/mercury/supervise.c). */
__attribute__((weak)) void usrinit_opened(ipc_cap fs_, ipc_cap procmgr_, bool again)
{
	(void)fs_, (void)procmgr_, (void)again;
}

/* Loads and starts the driver at path; 0 or a status. */
static int run_driver(const char *path)
{
	ipc_cap image, proc, copy;
	int st;
	mercury_log("running %s", path);
	if ((st = fs_fs_open(fs, path, &image)))
		return st;
	if ((st = sys_procmgr_new(procmgr, &proc))) {
		hl_cap_destroy(image);
		return st;
	}
	/* load takes a process capability; keep ours to start it. */
	if ((st = hl_cap_copy(proc, IPC_CAP_NONE, IPC_CAP_NONE, &copy)) ||
	    (st = sys_devloader_load(devload, copy, image)) || (st = sys_process_start(proc)))
		mercury_log("%s: not started (%s)", path, io_status_name(st) ? io_status_name(st) : "?");
	hl_cap_destroy(proc);
	return st;
}

/* The drivers /etc/drivers lists, if there is one. */
static void run_listed(struct mercury_buf *b)
{
	ipc_cap list;
	size_t n = 0;
	if (fs_fs_open(fs, "/etc/drivers", &list))
		return;
	int st = mercury_read(list, b, 0, HELIOS_PAGE_SIZE - 1, &n);
	hl_cap_destroy(list);
	if (st)
		return;
	char *text = b->va;
	text[n] = 0;
	for (char *line = text; *line;) {
		char *end = line;
		while (*end && *end != '\n')
			end++;
		char c = *end;
		*end = 0;
		if (line[0] == '/')
			run_driver(line);
		line = c ? end + 1 : end;
	}
}

/* serial0, waiting up to ten seconds for its driver to register it. */
static int open_serial(ipc_cap *serial)
{
	int st = sys_devmgr_open_wait(devmgr, DEV_SERIAL_ID, 0, 10000, serial);
	if (st)
		mercury_log("cannot open serial0 (%s)", sys_status_name(st) ? sys_status_name(st) : "?");
	return st;
}

/*
 * The clock: its driver loaded, rtc0 opened, the date logged, on a thread
 * that the echo does not wait for (loading a driver takes about as long
 * as the rest of the boot).  Then the thread ends; rtc0 stays for others.
 */
static void clock_main(void *arg)
{
	(void)arg;
	ipc_cap rtc = IPC_CAP_NONE;
	uint64_t now = 0;
	int st = run_driver("/sbin/drv/rtc");
	if (!st)
		st = sys_devmgr_open_wait(devmgr, DEV_RTC_ID, 0, 10000, &rtc);
	if (!st)
		st = dev_rtc_time(rtc, &now);
	hl_cap_destroy(rtc);
	if (st) {
		mercury_log("no date: %s", dev_status_name(st) ? dev_status_name(st) : "?");
		return;
	}
	struct cal_time t;
	cal_from_epoch(now, &t);
	mercury_log("date: %04ld-%02u-%02u %02u:%02u:%02u UTC (%lu)", t.year, t.mon, t.day, t.hour, t.min,
	            t.sec, now);
}

int main(void)
{
	fs = mercury_service(FS_FS_ID);
	procmgr = mercury_service(SYS_PROCMGR_ID);
	devmgr = mercury_service(SYS_DEVMGR_ID);
	devload = mercury_service(SYS_DEVLOADER_ID);
	if (run_driver("/sbin/drv/serial"))
		return 1;
	ipc_cap serial;
	mercury_log("open device serial0");
	if (open_serial(&serial))
		return 1;
	usrinit_opened(fs, procmgr, false);
	struct mercury_buf b;
	if (mercury_buf_alloc(&b, 1))
		return 1;
	run_listed(&b);
	/* The time stamp: under -icount shift=0, guest instructions since reset. */
	mercury_log("echo ready (tsc %lu)", hl_rdtsc());
	ipc_cap clock;
	int cst = mercury_thread_spawn(clock_main, NULL, &clock);
	if (cst)
		mercury_log("no clock thread (%d)", cst);
	char *buf = b.va;
	for (;;) {
		size_t n = 0;
		int st = mercury_read(serial, &b, 0, HELIOS_PAGE_SIZE, &n);
		if (st == ERRORS_ERR_EOF)
			break;
		/* CR => LF */
		for (size_t i = 0; !st && i < n; i++)
			if (buf[i] == '\r')
				buf[i] = '\n';
		/* echo */
		for (size_t off = 0; !st && off < n;) {
			size_t put = 0;
			if ((st = mercury_write(serial, &b, off, n - off, &put)) == 0 && put == 0)
				st = IPC_EPROTO;
			off += put;
		}
		if (st == IPC_EPEER) {
			/* The driver died: its successor will register serial0. */
			mercury_log("serial0 is gone with its driver: opening it again");
			hl_cap_destroy(serial);
			if (open_serial(&serial))
				return 1;
			usrinit_opened(fs, procmgr, true);
			mercury_log("echo ready again (tsc %lu)", hl_rdtsc());
		} else if (st) {
			mercury_log("serial0: %s", io_status_name(st) ? io_status_name(st) : "?");
			return 1;
		}
	}
	return 0;
}
