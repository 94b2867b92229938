/*
 * log.c: formatting, the log, and the string functions a freestanding
 * program needs.  The log is the kernel's debug channel (DEBUG_WRITE from
 * the IPC buffer's words, through the process's log capability), one line
 * per call, which the kernel prefixes with the name sysinit gave that log,
 * so that the serial ports stay the drivers' and nobody writes as another.
 */
#include "mercury/helios.h"

/* rep movs / stos: the cheapest copies under TCG, and the fewest guest
 * instructions under -icount (one per iteration, eight bytes each). */
void *memcpy(void *d, const void *s, size_t n)
{
	void *dp = d;
	size_t q = n / 8, r = n % 8;
	__asm__ volatile("rep movsq" : "+D"(dp), "+S"(s), "+c"(q) : : "memory");
	__asm__ volatile("rep movsb" : "+D"(dp), "+S"(s), "+c"(r) : : "memory");
	return d;
}

void *memmove(void *d, const void *s, size_t n)
{
	unsigned char *dp = d;
	const unsigned char *sp = s;
	if (dp < sp)
		return memcpy(d, s, n);
	while (n--)
		dp[n] = sp[n];
	return d;
}

void *memset(void *d, int c, size_t n)
{
	void *dp = d;
	uint64_t v = (uint8_t)c * UINT64_C(0x0101010101010101);
	size_t q = n / 8, r = n % 8;
	__asm__ volatile("rep stosq" : "+D"(dp), "+c"(q) : "a"(v) : "memory");
	__asm__ volatile("rep stosb" : "+D"(dp), "+c"(r) : "a"(v) : "memory");
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return x[i] - y[i];
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (a[i] != b[i] || !a[i])
			return (unsigned char)a[i] - (unsigned char)b[i];
	}
	return 0;
}

struct out {
	char *buf;
	size_t n, len;
};

static void putc_(struct out *o, char c)
{
	if (o->len + 1 < o->n)
		o->buf[o->len] = c;
	o->len++;
}

static void put_num(struct out *o, uint64_t v, unsigned base, bool neg, int width, char pad)
{
	char tmp[24];
	int i = 0;
	do {
		tmp[i++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		tmp[i++] = '-';
	while (width-- > i)
		putc_(o, pad);
	while (i)
		putc_(o, tmp[--i]);
}

/* %d %i %u %x %c %s %p %%, with l / ll / z and a width with 0 padding. */
int mercury_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
{
	struct out o = { buf, n, 0 };
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			putc_(&o, *fmt);
			continue;
		}
		fmt++;
		char pad = ' ';
		int width = 0, lng = 0;
		if (*fmt == '0')
			pad = '0', fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l' || *fmt == 'z')
			lng++, fmt++;
		switch (*fmt) {
		case 'd':
		case 'i': {
			int64_t v = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
			put_num(&o, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, 10, v < 0, width, pad);
			break;
		}
		case 'u':
		case 'x': {
			uint64_t v = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
			put_num(&o, v, *fmt == 'u' ? 10 : 16, false, width, pad);
			break;
		}
		case 'p':
			putc_(&o, '0');
			putc_(&o, 'x');
			put_num(&o, (uint64_t)va_arg(ap, void *), 16, false, 0, ' ');
			break;
		case 'c':
			putc_(&o, (char)va_arg(ap, int));
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			int len = (int)strlen(s);
			while (width-- > len)
				putc_(&o, ' ');
			while (*s)
				putc_(&o, *s++);
			break;
		}
		case '%':
			putc_(&o, '%');
			break;
		default:
			putc_(&o, '%');
			if (*fmt)
				putc_(&o, *fmt);
			else
				fmt--;
		}
	}
	if (n)
		buf[o.len < n ? o.len : n - 1] = 0;
	return (int)o.len;
}

int mercury_snprintf(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = mercury_vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return r;
}

int mercury_log_name(ipc_cap untagged, const char *name, ipc_cap mem, ipc_cap *out)
{
	uint64_t w[2] = { 0, 0 };
	for (size_t i = 0; i < HELIOS_LOG_NAME_MAX && name[i]; i++)
		w[i / 8] |= (uint64_t)(unsigned char)name[i] << (8 * (i % 8));
	struct hl_ret r = hl_syscall(HELIOS_SYS_CAP_NARROW, untagged, IPC_CAP_NONE, w[0], w[1], mem);
	*out = r.st ? IPC_CAP_NONE : (ipc_cap)r.r0;
	return (int)r.st;
}

/* One line through the process's log: the kernel puts "[name] " before it. */
void mercury_log(const char *fmt, ...)
{
	char line[480];
	va_list ap;
	va_start(ap, fmt);
	int n = mercury_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	if (n == 0 || line[n - 1] != '\n')
		line[n++] = '\n';
	struct helios_ipc_buffer *b = mercury_ipcbuf();
	memcpy(b->word, line, (size_t)n);
	hl_syscall(HELIOS_SYS_DEBUG_WRITE, mercury_logcap, (uint64_t)n, 0, 0, 0);
}
