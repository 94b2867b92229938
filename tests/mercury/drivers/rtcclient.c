/*
 * rtcclient.c: a test driver that is a client of the clock, hostile and
 * fair.  It opens rtc0 (waiting for usrinit to start the clock driver),
 * sends it malformed requests (attack.h) and alarms it must refuse: in
 * the past, now, a day ahead or more.  Then ALARMS + 2 threads each ask
 * at once for an alarm 3 seconds ahead: ALARMS of them must be answered
 * at that time (or, on a busy host, up to two seconds later), the other 2
 * refused as busy at once.
 * Then, the table having room again, one more alarm must be answered.
 * Every step is checked; the last line says how many failed.
 */
#include "mercury/helios.h"
#include "dev.h"
#include "sys.h"
#include "attack.h"

#define ALARMS 8                /* what the CMOS clock driver serves at once */
#define WAITERS (ALARMS + 2)

static ipc_cap rtc, done;
static int checks;

static void check(bool ok, const char *what, int st, uint64_t v)
{
	checks++;
	if (!ok) {
		failures++;
		mercury_log("FAIL: %s: status %d (%s), value %lu", what, st,
		            dev_status_name(st) ? dev_status_name(st) : "?", v);
	}
}

static struct waiter {
	uint64_t at, got;
	int st;
	unsigned bit;
} waiters[WAITERS];

static void waiter_main(void *arg)
{
	struct waiter *w = arg;
	w->st = dev_rtc_alarm(rtc, w->at, &w->got);
	hl_signal(done, UINT64_C(1) << w->bit);
}

int main(void)
{
	ipc_cap devmgr = mercury_service(SYS_DEVMGR_ID);
	uint64_t t0 = 0, t = 0, got = 0;
	int st = sys_devmgr_open_wait(devmgr, DEV_RTC_ID, 0, 10000, &rtc);
	check(st == 0, "open rtc0", st, 0);
	if (st)
		return 1;
	st = dev_rtc_describe(rtc);
	check(st == 0, "describe", st, 0);
	st = dev_rtc_time(rtc, &t0);
	check(st == 0 && t0 > UINT64_C(946684800), "the time (after 2000)", st, t0);

	/* Malformed requests, and alarms to refuse: each answered at once. */
	attack(rtc, DEV_RTC_ID, 2);
	bad(rtc, DEV_RTC_ALARM, 0, 0, 0);               /* no time */
	bad(rtc, DEV_RTC_ALARM, 2, 0, t0 + 2);          /* a word too many */
	const struct {
		uint64_t at;
		const char *what;
	} refused[] = {
		{ t0 - 1, "an alarm in the past" }, { t0, "an alarm now (or past)" }, { 0, "an alarm at 0" },
		{ t0 + 86400 + 2, "an alarm a day ahead" }, { t0 + 86400 * 365, "an alarm a year ahead" },
		{ UINT64_MAX, "an alarm at 2^64 - 1" },
	};
	for (unsigned i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		st = dev_rtc_alarm(rtc, refused[i].at, &got);
		check(st == ERRORS_ERR_INVALID, refused[i].what, st, got);
	}

	/* More alarms than the clock serves at once, from as many threads. */
	if (hl_mem_alloc(mercury_memory, HELIOS_CAP_NOTIFICATION, IPC_CAP_NONE, 0, &done))
		return 1;
	st = dev_rtc_time(rtc, &t);
	check(st == 0 && t >= t0, "the time again", st, t);
	uint64_t all = 0, came = 0;
	for (unsigned i = 0; i < WAITERS; i++) {
		ipc_cap task;
		waiters[i] = (struct waiter){ .at = t + 3, .bit = i };
		st = mercury_thread_spawn(waiter_main, &waiters[i], &task);
		check(st == 0, "a thread", st, i);
		if (!st)
			all |= UINT64_C(1) << i;
	}
	while (came != all) {
		uint64_t bits;
		if (hl_wait(done, &bits) == 0)
			came |= bits;
	}
	unsigned answered = 0, busy = 0;
	for (unsigned i = 0; i < WAITERS; i++) {
		struct waiter *w = &waiters[i];
		if (w->st == 0) {
			answered++;
			check(w->got >= w->at && w->got <= w->at + 2, "an alarm answered at its time", 0, w->got);
		} else {
			busy++;
			check(w->st == ERRORS_ERR_BUSY, "an alarm too many: busy", w->st, 0);
		}
	}
	check(answered == ALARMS && busy == WAITERS - ALARMS, "alarms answered", 0, answered);
	mercury_log("%u alarms at %lu answered, %u refused as busy", answered, t + 3, busy);

	/* Room again. */
	st = dev_rtc_time(rtc, &t);
	check(st == 0, "the time after the alarms", st, t);
	st = dev_rtc_alarm(rtc, t + 1, &got);
	check(st == 0 && got >= t + 1 && got <= t + 3, "one more alarm", st, got);
	if (!st)
		mercury_log("alarm at %lu answered at %lu", t + 1, got);
	mercury_log("rtc: %d checks, %d malformed requests rejected, %d failures", checks, rejected, failures);
	return failures ? 1 : 0;
}
