/*
 * cmos_test.c: the clock driver's pure parts on the host
 * (examples/rtc/calendar.h, examples/rtc/cmos.h).  Every day from 1600 to
 * 9999 both ways against the host's timegm and gmtime_r; the CMOS
 * registers in all four formats (BCD or binary, 24- or 12-hour) for every
 * hour and a spread of dates; the century register and its absence;
 * registers that hold no time; the alarm registers.  Prints one line per
 * failure and "cmos: N checks, F failed".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../../examples/rtc/cmos.h"

static long checks, failed;

#define CHECK(cond, ...)                                                    \
	do {                                                                \
		checks++;                                                   \
		if (!(cond) && failed++ < 20) {                             \
			printf("FAIL: %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			printf(__VA_ARGS__);                                \
			printf("\n");                                       \
		}                                                           \
	} while (0)

/* Registers for t in the format regb says (century in register 0x32). */
static struct cmos_regs regs_of(const struct cal_time *t, uint8_t regb)
{
	bool bin = regb & CMOS_B_BINARY;
	return (struct cmos_regs){ cmos_enc(t->sec, bin), cmos_enc(t->min, bin), cmos_hour_enc(t->hour, regb),
	                           cmos_enc(t->day, bin), cmos_enc(t->mon, bin),
	                           cmos_enc((unsigned)(t->year % 100), bin),
	                           cmos_enc((unsigned)(t->year / 100), bin) };
}

static void days(void)
{
	struct tm tm = { .tm_year = 1600 - 1900, .tm_mon = 0, .tm_mday = 1 };
	time_t s = timegm(&tm);
	int64_t z = cal_days_from_civil(1600, 1, 1);
	CHECK(z * 86400 == s, "1600-01-01 is day %lld", (long long)z);
	for (; z <= cal_days_from_civil(9999, 12, 31); z++, s += 86400) {
		struct tm g;
		gmtime_r(&s, &g);
		int64_t y;
		unsigned m, d;
		cal_civil_from_days(z, &y, &m, &d);
		if (y != g.tm_year + 1900 || m != (unsigned)g.tm_mon + 1 || d != (unsigned)g.tm_mday) {
			CHECK(0, "day %lld: %lld-%u-%u, libc %d-%d-%d", (long long)z, (long long)y, m, d,
			      g.tm_year + 1900, g.tm_mon + 1, g.tm_mday);
			continue;
		}
		if (cal_days_from_civil(y, m, d) != z)
			CHECK(0, "%lld-%u-%u back to day %lld", (long long)y, m, d, (long long)z);
		CHECK(cal_month_days(y, m) >= d, "%lld-%u has day %u", (long long)y, m, d);
	}
	/* Seconds both ways, a time of day that moves through the day. */
	for (uint64_t e = 0; e < UINT64_C(253402300800); e += 86400 * 7 + 3607) {
		struct cal_time t;
		struct tm g;
		time_t ts = (time_t)e;
		cal_from_epoch(e, &t);
		gmtime_r(&ts, &g);
		if (t.year != g.tm_year + 1900 || t.mon != (unsigned)g.tm_mon + 1 || t.day != (unsigned)g.tm_mday ||
		    t.hour != (unsigned)g.tm_hour || t.min != (unsigned)g.tm_min || t.sec != (unsigned)g.tm_sec)
			CHECK(0, "second %llu", (unsigned long long)e);
		else
			CHECK(cal_valid(&t) && cal_to_epoch(&t) == e, "second %llu back", (unsigned long long)e);
	}
	CHECK(cal_leap(2000) && cal_leap(2020) && !cal_leap(2100) && !cal_leap(1900) && !cal_leap(2019), "leap");
}

static const uint8_t formats[] = { CMOS_B_24H, 0, CMOS_B_24H | CMOS_B_BINARY, CMOS_B_BINARY };

static void registers(void)
{
	/* Every hour of some days, in every format, through the registers and back. */
	static const struct cal_time dates[] = {
		{ 1970, 1, 1, 0, 0, 0 }, { 1999, 12, 31, 23, 59, 59 }, { 2000, 2, 29, 12, 0, 0 },
		{ 2020, 2, 29, 23, 59, 58 }, { 2038, 1, 19, 3, 14, 8 }, { 2100, 3, 1, 0, 0, 0 },
		{ 2099, 12, 31, 11, 59, 59 }, { 9999, 12, 31, 23, 59, 59 },
	};
	for (unsigned f = 0; f < sizeof(formats); f++) {
		for (unsigned i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
			for (unsigned h = 0; h < 24; h++) {
				struct cal_time t = dates[i], back;
				t.hour = h;
				struct cmos_regs r = regs_of(&t, formats[f]);
				bool ok = cmos_decode(&r, formats[f], &back);
				CHECK(ok && back.year == t.year && back.mon == t.mon && back.day == t.day &&
				      back.hour == h && back.min == t.min && back.sec == t.sec,
				      "format %x, %lld-%u-%u %u:%u:%u", formats[f], (long long)t.year, t.mon, t.day, h,
				      t.min, t.sec);
			}
		}
	}
	/* The 12-hour clock: 12 AM is midnight, 12 PM noon. */
	CHECK(cmos_hour(0x12, 0) == 0, "12 AM");
	CHECK(cmos_hour(0x92, 0) == 12, "12 PM");
	CHECK(cmos_hour(0x81, 0) == 13, "1 PM");
	CHECK(cmos_hour(0x11, 0) == 11, "11 AM");
	CHECK(cmos_hour(0x8c, CMOS_B_BINARY) == 12, "12 PM, binary");
	CHECK(cmos_hour(0x00, 0) == -1 && cmos_hour(0x13, 0) == -1 && cmos_hour(0x80, 0) == -1, "no 12-hour hour");
	CHECK(cmos_hour(0x23, CMOS_B_24H) == 23 && cmos_hour(0x1a, CMOS_B_24H) == -1, "24-hour BCD");
	CHECK(cmos_hour_enc(0, 0) == 0x12 && cmos_hour_enc(12, 0) == 0x92 && cmos_hour_enc(23, 0) == 0x91,
	      "12-hour encoding");
	CHECK(cmos_num(0x59, false) == 59 && cmos_num(0x5a, false) == -1 && cmos_num(0xa0, false) == -1 &&
	      cmos_num(0xff, true) == 255, "numbers");

	/* The century: register 0x32, or the year's own guess without it. */
	struct cal_time t;
	struct cmos_regs r = { 0x00, 0x00, 0x00, 0x01, 0x03, 0x00, 0x21 };
	CHECK(cmos_decode(&r, CMOS_B_24H, &t) && t.year == 2100, "century 21: %lld", (long long)t.year);
	r.century = 0x00;
	r.year = 0x99;
	CHECK(cmos_decode(&r, CMOS_B_24H, &t) && t.year == 1999, "no century, 99: %lld", (long long)t.year);
	r.century = 0xff;
	r.year = 0x69;
	CHECK(cmos_decode(&r, CMOS_B_24H, &t) && t.year == 2069, "no century, 69: %lld", (long long)t.year);
	r.century = 0x19;
	CHECK(!cmos_decode(&r, CMOS_B_24H, &t), "1969: before the epoch");
	r.century = 0x20;
	r.year = 0x20;
	r.mon = 0x02;
	r.day = 0x29;
	CHECK(cmos_decode(&r, CMOS_B_24H, &t), "2020-02-29");
	r.century = 0x21;
	r.year = 0x00;
	CHECK(!cmos_decode(&r, CMOS_B_24H, &t), "2100-02-29: not a date");

	/* Registers that hold no time. */
	static const struct cmos_regs no_time[] = {
		{ 0x60, 0, 0, 1, 1, 0x20, 0x20 },       /* second 60 */
		{ 0, 0x60, 0, 1, 1, 0x20, 0x20 },
		{ 0, 0, 0x24, 1, 1, 0x20, 0x20 },
		{ 0, 0, 0, 0x00, 1, 0x20, 0x20 },       /* day 0 */
		{ 0, 0, 0, 0x31, 4, 0x20, 0x20 },       /* April 31 */
		{ 0, 0, 0, 1, 0x13, 0x20, 0x20 },
		{ 0, 0, 0, 1, 0x00, 0x20, 0x20 },
		{ 0, 0, 0, 1, 1, 0x2a, 0x20 },          /* not BCD */
		{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },   /* no clock there */
	};
	for (unsigned i = 0; i < sizeof(no_time) / sizeof(no_time[0]); i++)
		CHECK(!cmos_decode(&no_time[i], CMOS_B_24H, &t), "no time %u", i);
	struct cmos_regs big = { 0, 0, 0, 1, 1, 100, 20 };
	CHECK(!cmos_decode(&big, CMOS_B_24H | CMOS_B_BINARY, &t), "binary year 100");

	/* The alarm: the time of day of a time, in the clock's format. */
	uint8_t a[3];
	cmos_alarm_enc(UINT64_C(1583020798), CMOS_B_24H, a);    /* 2020-02-29 23:59:58 */
	CHECK(a[0] == 0x58 && a[1] == 0x59 && a[2] == 0x23, "alarm %02x %02x %02x", a[0], a[1], a[2]);
	cmos_alarm_enc(UINT64_C(1583020798), 0, a);
	CHECK(a[2] == 0x91, "alarm 11 PM: %02x", a[2]);
	cmos_alarm_enc(UINT64_C(1583020798), CMOS_B_BINARY, a);
	CHECK(a[0] == 58 && a[1] == 59 && a[2] == (11 | CMOS_HOUR_PM), "alarm, binary 12-hour");
}

int main(void)
{
	days();
	registers();
	printf("cmos: %ld checks, %ld failed\n", checks, failed);
	return failed != 0;
}
