/*
 * rtc.c: the CMOS real-time clock driver.  It serves dev::rtc as device
 * rtc0: the time, read from the clock's registers in the format the
 * firmware left them (cmos.h), and alarms, each answered through a
 * deferred reply when the clock's alarm interrupt (IRQ 8) says that its
 * time has come.  Its manifest (rtc.manifest) grants the clock's two ports
 * (index and data), IRQ 8 and the note it is delivered to, by the names
 * the build makes macros of (rtc.manifest.h).
 *
 * Two threads: the main one serves requests, the other waits for the
 * IRQ.  (One poll over both would then receive on the endpoint, and if
 * the caller died in between, that receive would wait for the next
 * request while the alarms went unanswered.)  cmos_lock keeps each
 * index-then-data access to the clock whole, and guards the alarms.
 *
 * The alarms wait in a table of MAX_ALARMS, the earliest one in the
 * clock's alarm registers.  The clock matches a time of day, so an alarm
 * is less than a day ahead.  Whenever the alarms change or the IRQ comes,
 * arm() answers those that are due and sets the registers for the next;
 * if the clock passed that time while they were being set, it answers
 * that one too and goes on.  Where the clock cannot be read, the
 * update-ended interrupt (each second) brings arm() back until it can.
 */
#include "mercury/helios.h"
#include "dev.h"
#include "sys.h"
#include "rtc.manifest.h"
#include "cmos.h"

#define INDEX MANIFEST_CMOS_MIN
#define DATA (MANIFEST_CMOS_MIN + 1)
_Static_assert(MANIFEST_CMOS_MAX - MANIFEST_CMOS_MIN == 2, "the clock's ports: index and data");

#define MAX_ALARMS 8
#define DAY 86400
/* Reads of register A before the clock is read anyway: an update lasts
 * less than 2 ms; a read of a port takes more than 100 ns. */
#define READ_TRIES 20000

static struct dev_rtc clock;
static volatile int cmos_lock;
static uint8_t regb;                    /* register B as this driver set it */

static struct alarm {
	bool used;
	uint64_t at;
	ipc_cap reply;
} alarms[MAX_ALARMS];

static uint8_t cmos_in(uint8_t reg)
{
	uint32_t v = 0;
	hl_io_out(MANIFEST_CMOS, INDEX, 1, reg);
	hl_io_in(MANIFEST_CMOS, DATA, 1, &v);
	return (uint8_t)v;
}

static void cmos_out(uint8_t reg, uint8_t v)
{
	hl_io_out(MANIFEST_CMOS, INDEX, 1, reg);
	hl_io_out(MANIFEST_CMOS, DATA, 1, v);
}

static void read_regs(struct cmos_regs *r)
{
	*r = (struct cmos_regs){ cmos_in(CMOS_SEC), cmos_in(CMOS_MIN), cmos_in(CMOS_HOUR), cmos_in(CMOS_DAY),
	                         cmos_in(CMOS_MON), cmos_in(CMOS_YEAR), cmos_in(CMOS_CENTURY) };
}

/*
 * The time, under cmos_lock: 0, errors::busy or dev::no_time.  The
 * registers are read when no update is in progress, twice: an update
 * between the two reads changes the seconds at least, and the reading
 * starts again.
 */
static int read_time(uint64_t *now)
{
	for (unsigned i = 0; i < READ_TRIES; i++) {
		if (cmos_in(CMOS_A) & CMOS_A_UIP)
			continue;
		struct cmos_regs a, b;
		read_regs(&a);
		read_regs(&b);
		if (a.sec != b.sec || a.min != b.min || a.hour != b.hour || a.day != b.day || a.mon != b.mon ||
		    a.year != b.year || a.century != b.century)
			continue;
		struct cal_time t;
		if (!(cmos_in(CMOS_D) & CMOS_D_VRT) || !cmos_decode(&a, regb, &t))
			return DEV_ERR_NO_TIME;
		*now = cal_to_epoch(&t);
		return 0;
	}
	return ERRORS_ERR_BUSY;
}

static void set_regb(uint8_t v)
{
	if (v != regb)
		cmos_out(CMOS_B, regb = v);
}

/* Under cmos_lock: answers the alarms that are due (or all of them, with
 * the error, if the clock cannot say), and sets the clock's alarm for the
 * earliest of the others. */
static void arm(void)
{
	for (;;) {
		uint64_t now = 0;
		int st = read_time(&now);
		if (st == ERRORS_ERR_BUSY) {
			set_regb(regb | CMOS_B_UIE);    /* again in a second */
			return;
		}
		struct alarm *next = NULL;
		for (unsigned i = 0; i < MAX_ALARMS; i++) {
			struct alarm *a = &alarms[i];
			if (!a->used)
				continue;
			if (st || a->at <= now) {
				dev_rtc_alarm_reply(a->reply, st, now);
				a->used = false;
			} else if (!next || a->at < next->at) {
				next = a;
			}
		}
		if (!next) {
			set_regb(regb & (uint8_t)~(CMOS_B_AIE | CMOS_B_UIE));
			return;
		}
		uint8_t r[3];
		cmos_alarm_enc(next->at, regb, r);
		cmos_out(CMOS_SEC_ALARM, r[0]);
		cmos_out(CMOS_MIN_ALARM, r[1]);
		cmos_out(CMOS_HOUR_ALARM, r[2]);
		set_regb((regb | CMOS_B_AIE) & (uint8_t)~CMOS_B_UIE);
		/* Still ahead now that the registers are set: the interrupt will
		 * come.  Else the clock went past it meanwhile: answer it here. */
		st = read_time(&now);
		if (st == ERRORS_ERR_BUSY)
			set_regb(regb | CMOS_B_UIE);
		if (st == ERRORS_ERR_BUSY || (st == 0 && now < next->at))
			return;
	}
}

/* dev::rtc */

static int rtc_time(struct dev_rtc *self, uint64_t *result)
{
	(void)self;
	mercury_lock(&cmos_lock);
	int st = read_time(result);
	mercury_unlock(&cmos_lock);
	return st;
}

static int rtc_alarm(struct dev_rtc *self, uint64_t at, uint64_t *result)
{
	(void)self, (void)result;
	uint64_t now = 0;
	mercury_lock(&cmos_lock);
	int st = read_time(&now);
	unsigned i = 0;
	while (i < MAX_ALARMS && alarms[i].used)
		i++;
	if (!st && (at <= now || at - now >= DAY))
		st = ERRORS_ERR_INVALID;
	else if (!st && i == MAX_ALARMS)
		st = ERRORS_ERR_BUSY;
	else if (!st && ipc_reply_save(&alarms[i].reply))
		st = ERRORS_ERR_NO_MEMORY;
	if (!st) {
		alarms[i].used = true;
		alarms[i].at = at;
		arm();
		st = IPC_DEFERRED;
	}
	mercury_unlock(&cmos_lock);
	return st;
}

static const struct dev_rtc_iface rtc_impl = { .time = rtc_time, .alarm = rtc_alarm };

static void irq_main(void *arg)
{
	(void)arg;
	for (;;) {
		if (hl_wait(MANIFEST_IRQ_NOTE, NULL)) {
			hl_yield();
			continue;
		}
		mercury_lock(&cmos_lock);
		cmos_in(CMOS_C);        /* what it was does not matter: arm() reads the time */
		arm();
		mercury_unlock(&cmos_lock);
		hl_irq_ack(MANIFEST_ALARM_IRQ, MANIFEST_ALARM_IRQ_LINE);
	}
}

int main(void)
{
	uint32_t v;
	if (hl_io_out(MANIFEST_CMOS, INDEX, 1, CMOS_D) || hl_io_in(MANIFEST_CMOS, DATA, 1, &v)) {
		mercury_log("cannot reach ports %x..%x", MANIFEST_CMOS_MIN, MANIFEST_CMOS_MAX);
		return 1;
	}
	uint8_t d = (uint8_t)v;
	regb = cmos_in(CMOS_B);
	if (d == 0xff && regb == 0xff) {
		mercury_log("no CMOS clock at %x", INDEX);
		return 1;
	}
	/* No interrupts until there are alarms, and the clock running; the
	 * format stays the firmware's. */
	set_regb(regb & (uint8_t)~(CMOS_B_SET | CMOS_B_PIE | CMOS_B_AIE | CMOS_B_UIE));
	cmos_in(CMOS_C);
	if (!(d & CMOS_D_VRT))
		mercury_log("the clock's battery is dead: no time until it is set");

	ipc_cap registry = mercury_service(SYS_DEVREGISTRY_ID), ep, irq_thread;
	uint32_t n;
	int st = sys_devregistry_new(registry, DEV_RTC_ID, &ep, &n);
	hl_cap_destroy(registry);       /* not needed again */
	if (st) {
		mercury_log("cannot register (%s)", dev_status_name(st));
		return 1;
	}
	dev_rtc_init(&clock, &rtc_impl, ep);
	if ((st = mercury_thread_spawn(irq_main, NULL, &irq_thread))) {
		mercury_log("cannot start the IRQ thread (%d)", st);
		return 1;
	}
	mercury_log("CMOS clock at %x, IRQ %u (%s, %s): rtc%u", INDEX, MANIFEST_ALARM_IRQ_LINE,
	            regb & CMOS_B_BINARY ? "binary" : "BCD", regb & CMOS_B_24H ? "24-hour" : "12-hour", n);
	for (;;)
		dev_rtc_dispatch(&clock);
}
