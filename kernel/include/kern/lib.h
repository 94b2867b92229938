/*
 * kern/lib.h: the kernel's freestanding basics: fixed-width types, the few
 * string functions the compiler may call, the log (kprintf to the debug
 * console), panic and assertions.
 *
 * Everything here compiles on the host too (the unit tests under
 * kernel/tests/host link the pure parts of the kernel into ordinary
 * programs), so nothing here touches the hardware directly: the log's sink
 * is a function pointer set by the boot code.
 */
#ifndef KERN_LIB_H
#define KERN_LIB_H

typedef __UINT8_TYPE__ u8;
typedef __UINT16_TYPE__ u16;
typedef __UINT32_TYPE__ u32;
typedef __UINT64_TYPE__ u64;
typedef __INT32_TYPE__ i32;
typedef __INT64_TYPE__ i64;
typedef __SIZE_TYPE__ usize;
typedef __UINTPTR_TYPE__ uptr;
#ifndef __bool_true_false_are_defined
typedef _Bool bool;
#define true 1
#define false 0
#endif
#ifndef NULL
#define NULL ((void *)0)
#endif

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((u64)(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((u64)(a) - 1))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define container_of(p, type, member) ((type *)((char *)(p) - __builtin_offsetof(type, member)))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define NORETURN __attribute__((noreturn))
#define PRINTF(f, a) __attribute__((format(printf, f, a)))

void *memset(void *dst, int c, usize n);
void *memcpy(void *dst, const void *src, usize n);
void *memmove(void *dst, const void *src, usize n);
int memcmp(const void *a, const void *b, usize n);
usize strlen(const char *s);
int strncmp(const char *a, const char *b, usize n);

/* A queue of threads (sched/sched.c: tq_push, tq_pop, tq_remove). */
struct tcb;
struct tqueue {
	struct tcb *head, *tail;
};

/* The log.  kprintf knows %s %c %d %u %x %p, with l/ll and a 0-padded width. */
extern void (*log_sink)(const char *s, usize n);
void kprintf(const char *fmt, ...) PRINTF(1, 2);
void kvprintf(const char *fmt, __builtin_va_list ap);
int ksnprintf(char *buf, usize size, const char *fmt, ...) PRINTF(3, 4);
int kvsnprintf(char *buf, usize size, const char *fmt, __builtin_va_list ap);

/* A broken kernel invariant: log, then stop the machine. */
NORETURN void panic(const char *fmt, ...) PRINTF(1, 2);
#define kassert(c)                                                             \
	do {                                                                   \
		if (unlikely(!(c)))                                            \
			panic("assertion failed: %s (%s:%d)", #c, __FILE__, __LINE__); \
	} while (0)

#endif
