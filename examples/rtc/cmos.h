/*
 * cmos.h: the registers of the PC's CMOS clock (the MC146818 and the
 * chipsets after it) and their values, both ways.  Pure functions, no
 * I/O: rtc.c reads and writes the registers, and
 * tests/mercury/calendar_test.c checks these on the host.
 *
 * The clock keeps its fields in the format register B says, which the
 * firmware chose: binary or BCD (DM), 24-hour or 12-hour (24H; then bit 7
 * of the hour is PM, and 12 AM is midnight).  The century is register
 * 0x32 (ACPI's usual one, and QEMU's), BCD or binary like the rest; where
 * it holds no century from 19 to 99, years 70 to 99 are 19xx and the
 * others 20xx.
 */
#ifndef EXAMPLES_RTC_CMOS_H
#define EXAMPLES_RTC_CMOS_H

#include "calendar.h"

/* Registers, written to the index port (with bit 7, NMI off, clear). */
enum {
	CMOS_SEC = 0x00, CMOS_SEC_ALARM = 0x01, CMOS_MIN = 0x02, CMOS_MIN_ALARM = 0x03,
	CMOS_HOUR = 0x04, CMOS_HOUR_ALARM = 0x05, CMOS_DAY = 0x07, CMOS_MON = 0x08, CMOS_YEAR = 0x09,
	CMOS_A = 0x0a, CMOS_B = 0x0b, CMOS_C = 0x0c, CMOS_D = 0x0d, CMOS_CENTURY = 0x32,
};
#define CMOS_A_UIP 0x80         /* an update is in progress, or comes within 244 us */
#define CMOS_B_SET 0x80         /* updates stopped */
#define CMOS_B_PIE 0x40         /* periodic interrupt */
#define CMOS_B_AIE 0x20         /* alarm interrupt */
#define CMOS_B_UIE 0x10         /* update-ended interrupt (each second) */
#define CMOS_B_BINARY 0x04      /* DM: binary, not BCD */
#define CMOS_B_24H 0x02
#define CMOS_C_AF 0x20          /* (reading C clears the flags and the IRQ) */
#define CMOS_C_UF 0x10
#define CMOS_D_VRT 0x80         /* valid RAM and time: the battery is good */
#define CMOS_HOUR_PM 0x80

/* The date and time registers, as read. */
struct cmos_regs {
	uint8_t sec, min, hour, day, mon, year, century;
};

/* A field's number, or -1 if v is not one in the format (BCD digits). */
static inline int cmos_num(uint8_t v, bool binary)
{
	if (binary)
		return v;
	return (v >> 4) > 9 || (v & 15) > 9 ? -1 : (v >> 4) * 10 + (v & 15);
}

static inline uint8_t cmos_enc(unsigned n, bool binary)
{
	return (uint8_t)(binary ? n : (n / 10) << 4 | n % 10);
}

/* The hour register: 0-23, or -1. */
static inline int cmos_hour(uint8_t v, uint8_t regb)
{
	bool binary = regb & CMOS_B_BINARY;
	if (regb & CMOS_B_24H)
		return cmos_num(v, binary);
	int h = cmos_num(v & (uint8_t)~CMOS_HOUR_PM, binary);
	if (h < 1 || h > 12)
		return -1;
	return h % 12 + (v & CMOS_HOUR_PM ? 12 : 0);
}

static inline uint8_t cmos_hour_enc(unsigned h, uint8_t regb)
{
	bool binary = regb & CMOS_B_BINARY;
	if (regb & CMOS_B_24H)
		return cmos_enc(h, binary);
	return (uint8_t)(cmos_enc(h % 12 ? h % 12 : 12, binary) | (h >= 12 ? CMOS_HOUR_PM : 0));
}

/* The time the registers say: false if they say none (a field out of
 * range or not in the format, a date before 1970). */
static inline bool cmos_decode(const struct cmos_regs *r, uint8_t regb, struct cal_time *t)
{
	bool binary = regb & CMOS_B_BINARY;
	int sec = cmos_num(r->sec, binary), min = cmos_num(r->min, binary), hour = cmos_hour(r->hour, regb);
	int day = cmos_num(r->day, binary), mon = cmos_num(r->mon, binary), year = cmos_num(r->year, binary);
	int century = cmos_num(r->century, binary);
	if (sec < 0 || min < 0 || hour < 0 || day < 0 || mon < 0 || year < 0 || year > 99)
		return false;
	if (century < 19 || century > 99)
		century = year >= 70 ? 19 : 20;
	*t = (struct cal_time){ .year = century * 100 + year, .mon = (unsigned)mon, .day = (unsigned)day,
	                        .hour = (unsigned)hour, .min = (unsigned)min, .sec = (unsigned)sec };
	return cal_valid(t);
}

/* The alarm registers (seconds, minutes, hours) for the time of day of
 * time s: the clock interrupts when its time of day next equals them. */
static inline void cmos_alarm_enc(uint64_t s, uint8_t regb, uint8_t out[3])
{
	struct cal_time t;
	cal_from_epoch(s, &t);
	out[0] = cmos_enc(t.sec, regb & CMOS_B_BINARY);
	out[1] = cmos_enc(t.min, regb & CMOS_B_BINARY);
	out[2] = cmos_hour_enc(t.hour, regb);
}

#endif
