/*
 * lib/string.c: the memory and string functions of a freestanding C
 * program.  gcc may emit calls to memset/memcpy/memmove/memcmp by itself, so
 * these exist even where the kernel never names them.
 */
#include "kern/lib.h"

/* rep stos / movs: eight bytes an iteration, and under QEMU's -icount one
 * instruction an iteration, where a byte loop costs four a byte (a page
 * zeroed by a loop was 16,000 instructions with interrupts off). */
void *memset(void *dst, int c, usize n)
{
	void *d = dst;
	u64 v = (u8)c * 0x0101010101010101ull;
	usize q = n / 8, r = n % 8;
	__asm__ volatile("rep stosq" : "+D"(d), "+c"(q) : "a"(v) : "memory");
	__asm__ volatile("rep stosb" : "+D"(d), "+c"(r) : "a"(v) : "memory");
	return dst;
}

void *memcpy(void *dst, const void *src, usize n)
{
	void *d = dst;
	usize q = n / 8, r = n % 8;
	__asm__ volatile("rep movsq" : "+D"(d), "+S"(src), "+c"(q) : : "memory");
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(r) : : "memory");
	return dst;
}

void *memmove(void *dst, const void *src, usize n)
{
	u8 *d = dst;
	const u8 *s = src;
	if (d < s) {
		while (n--)
			*d++ = *s++;
	} else {
		while (n--)
			d[n] = s[n];
	}
	return dst;
}

int memcmp(const void *a, const void *b, usize n)
{
	const u8 *x = a, *y = b;
	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

usize strlen(const char *s)
{
	usize n = 0;
	while (s[n])
		n++;
	return n;
}

int strncmp(const char *a, const char *b, usize n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (u8)*a - (u8)*b;
		if (!*a)
			return 0;
	}
	return 0;
}
