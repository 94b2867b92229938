/*
 * calendar.h: dates of the proleptic Gregorian calendar and the seconds
 * since the epoch (1970-01-01 00:00:00 UTC, without leap seconds, as POSIX
 * counts them), both ways.  Pure functions, no libc: the clock driver
 * turns the CMOS clock's date into seconds, usrinit the seconds into a
 * date, and tests/mercury/calendar_test.c checks both against the host's
 * libc.  Days from a date after Howard Hinnant's days_from_civil: years
 * of 400 ("eras") of 146097 days, each year counted from March, so that
 * February's leap day comes last.
 */
#ifndef EXAMPLES_RTC_CALENDAR_H
#define EXAMPLES_RTC_CALENDAR_H

#include <stdbool.h>
#include <stdint.h>

struct cal_time {
	int64_t year;
	unsigned mon, day;              /* 1-12, 1-31 */
	unsigned hour, min, sec;        /* 0-23, 0-59, 0-59 */
};

static inline bool cal_leap(int64_t y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static inline unsigned cal_month_days(int64_t y, unsigned m)
{
	static const unsigned char days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && cal_leap(y) ? 29 : m >= 1 && m <= 12 ? days[m - 1] : 0;
}

/* Days from 1970-01-01 to y-m-d (m 1-12, d 1-31). */
static inline int64_t cal_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;                                    /* 0-399 */
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;  /* 0-365, from March */
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;            /* 0-146096 */
	return era * 146097 + doe - 719468;
}

/* The date of day z since 1970-01-01. */
static inline void cal_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;                                         /* 0-146096 */
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;    /* 0-399 */
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                  /* 0-365 */
	int64_t mp = (5 * doy + 2) / 153;                                       /* 0-11, from March */
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* Are t's fields a time of the calendar (the year: 1970 to 9999)? */
static inline bool cal_valid(const struct cal_time *t)
{
	return t->year >= 1970 && t->year <= 9999 && t->mon >= 1 && t->mon <= 12 && t->day >= 1 &&
	       t->day <= cal_month_days(t->year, t->mon) && t->hour < 24 && t->min < 60 && t->sec < 60;
}

/* Seconds since the epoch of a valid t. */
static inline uint64_t cal_to_epoch(const struct cal_time *t)
{
	return (uint64_t)cal_days_from_civil(t->year, t->mon, t->day) * 86400 + t->hour * 3600u +
	       t->min * 60u + t->sec;
}

static inline void cal_from_epoch(uint64_t s, struct cal_time *t)
{
	cal_civil_from_days((int64_t)(s / 86400), &t->year, &t->mon, &t->day);
	s %= 86400;
	t->hour = (unsigned)(s / 3600);
	t->min = (unsigned)(s / 60 % 60);
	t->sec = (unsigned)(s % 60);
}

#endif
