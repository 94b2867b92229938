/*
 * lib/log.c: kprintf, a small printf for the kernel log.  The log goes to
 * whatever log_sink points at: QEMU's debug console (port 0xE9) once the boot
 * code has set it, never a UART, so COM1 belongs to the userspace driver.
 */
#include "kern/lib.h"

void (*log_sink)(const char *s, usize n);

struct out {
	char *buf;      /* NULL: straight to the sink */
	usize size, len;
};

static void out_put(struct out *o, const char *s, usize n)
{
	if (!o->buf) {
		if (log_sink)
			log_sink(s, n);
		return;
	}
	for (usize i = 0; i < n; i++, o->len++)
		if (o->len + 1 < o->size)
			o->buf[o->len] = s[i];
}

static void out_num(struct out *o, u64 v, unsigned base, bool neg, int width, char pad)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		tmp[n++] = '-';
	while (n < width && n < (int)sizeof(tmp))
		tmp[n++] = pad;
	while (n)
		out_put(o, &tmp[--n], 1);
}

static void vformat(struct out *o, const char *fmt, __builtin_va_list ap)
{
	while (*fmt) {
		const char *start = fmt;
		while (*fmt && *fmt != '%')
			fmt++;
		if (fmt != start)
			out_put(o, start, fmt - start);
		if (!*fmt)
			break;
		fmt++;
		char pad = ' ';
		int width = 0, lng = 0;
		if (*fmt == '0')
			pad = '0';
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l')
			lng++, fmt++;
		switch (*fmt) {
		case 's': {
			const char *s = __builtin_va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			out_put(o, s, strlen(s));
			break;
		}
		case 'c': {
			char c = (char)__builtin_va_arg(ap, int);
			out_put(o, &c, 1);
			break;
		}
		case 'd': {
			i64 v = lng ? __builtin_va_arg(ap, i64) : __builtin_va_arg(ap, int);
			out_num(o, v < 0 ? -(u64)v : (u64)v, 10, v < 0, width, pad);
			break;
		}
		case 'u':
		case 'x': {
			u64 v = lng ? __builtin_va_arg(ap, u64) : __builtin_va_arg(ap, unsigned);
			out_num(o, v, *fmt == 'u' ? 10 : 16, false, width, pad);
			break;
		}
		case 'p':
			out_put(o, "0x", 2);
			out_num(o, (u64)(uptr)__builtin_va_arg(ap, void *), 16, false, 16, '0');
			break;
		case '%':
			out_put(o, "%", 1);
			break;
		default:
			out_put(o, "%?", 2);
			break;
		}
		if (*fmt)
			fmt++;
	}
}

void kvprintf(const char *fmt, __builtin_va_list ap)
{
	struct out o = { 0 };
	vformat(&o, fmt, ap);
}

void kprintf(const char *fmt, ...)
{
	__builtin_va_list ap;
	__builtin_va_start(ap, fmt);
	kvprintf(fmt, ap);
	__builtin_va_end(ap);
}

int kvsnprintf(char *buf, usize size, const char *fmt, __builtin_va_list ap)
{
	struct out o = { buf, size, 0 };
	vformat(&o, fmt, ap);
	if (size)
		buf[MIN(o.len, size - 1)] = 0;
	return (int)o.len;
}

int ksnprintf(char *buf, usize size, const char *fmt, ...)
{
	__builtin_va_list ap;
	__builtin_va_start(ap, fmt);
	int n = kvsnprintf(buf, size, fmt, ap);
	__builtin_va_end(ap);
	return n;
}

