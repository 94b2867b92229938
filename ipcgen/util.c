/*
 * util.c: the arena every phase allocates from, growable buffers, FNV-1a,
 * whole-file reading, and diagnostics in the gcc style:
 *
 *   io.ipc:3:7: error: unknown type 'sise'
 *       call read(amt: sise) size;
 *                      ^
 *
 * Out of memory is the only error that ends the process from here (but for
 * a bfmt format that ipcgen's own code got wrong).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define XXH_INLINE_ALL          /* short keys: a call costs more than the hash */
#include <xxhash.h>

#include "ipcgen.h"

struct arena_block {
	struct arena_block *next;
	size_t size;          /* of the whole mapping */
	max_align_t align[];
};

_Noreturn void out_of_memory(void)
{
	fputs("ipcgen: out of memory\n", stderr);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		out_of_memory();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		out_of_memory();
	return p;
}

/* Blocks come straight from mmap (map_pages), whose pages the kernel hands
 * out zeroed: nothing is cleared twice.  The first is 256 KiB, so a small
 * input stays small; then 2 MiB, 4 MiB and on in huge pages. */
#define ARENA_FIRST ((size_t)256 << 10)
#define ARENA_NEXT ARENA_LARGE_FIRST
#define ARENA_MAX ((size_t)4 << 20)

/*
 * Zeroed memory straight from the kernel.  A page fault costs about as much
 * as clearing a 4 KiB page (2 us and more here), so from 512 KiB on the
 * size is rounded up to whole 2 MiB pages, aligned, and huge pages are
 * asked for (the machine's THP setting is madvise): one fault per 2 MiB
 * instead of 512.  map_size is the size map_pages maps for want, which
 * munmap needs back.
 */
#define HUGE_PAGE ((size_t)2 << 20)
#define HUGE_FROM ((size_t)512 << 10)

static size_t map_size(size_t want)
{
	if (want >= HUGE_FROM)
		return (want + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
	return (want + 4095) & ~(size_t)4095;
}

static void *map_pages(size_t want)
{
	size_t size = map_size(want);
	if (size < HUGE_FROM) {
		void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			out_of_memory();
		return p;
	}
	char *p = mmap(NULL, size + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		out_of_memory();
	size_t lead = (size_t)(-(uintptr_t)p & (HUGE_PAGE - 1));
	if (lead)
		munmap(p, lead);
	munmap(p + lead + size, HUGE_PAGE - lead);
	p += lead;
#ifdef MADV_HUGEPAGE
	madvise(p, size, MADV_HUGEPAGE);   /* a hint: without it, 4 KiB pages */
#endif
	return p;
}

void *table_alloc(size_t bytes)
{
	if (bytes >= TABLE_MAPPED)
		return map_pages(bytes);
	void *p = calloc(1, bytes);
	if (!p)
		out_of_memory();
	return p;
}

void table_free(void *p, size_t bytes)
{
	if (p && bytes >= TABLE_MAPPED)
		munmap(p, map_size(bytes));
	else
		free(p);
}

void *arena_alloc(struct arena *a, size_t size)
{
	size = (size + 15) & ~(size_t)15;
	if ((size_t)(a->end - a->cur) < size) {
		size_t want = a->next_size ? a->next_size : ARENA_FIRST;
		a->next_size = want < ARENA_NEXT ? ARENA_NEXT : want < ARENA_MAX ? want * 2 : want;
		if (want < size + sizeof(struct arena_block))
			want = size + sizeof(struct arena_block);
		want = map_size(want);
		struct arena_block *b = map_pages(want);
		b->next = a->head;
		b->size = want;
		a->head = b;
		a->cur = (char *)b->align;
		a->end = (char *)b + want;
	}
	void *p = a->cur;
	a->cur += size;
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	if (n)
		memcpy(p, s, n);
	return p;
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *p = arena_alloc(a, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void arena_adopt(struct arena *a, struct arena *from)
{
	table_free(from->itab, from->icap * sizeof *from->itab);
	if (!from->head) {
		*from = (struct arena){0};
		return;
	}
	struct arena_block *last = from->head;
	while (last->next)
		last = last->next;
	if (a->head) {       /* behind a's current block, which a goes on filling */
		last->next = a->head->next;
		a->head->next = from->head;
	} else {
		*a = (struct arena){.head = from->head, .next_size = from->next_size};
	}
	*from = (struct arena){0};
}

void arena_free(struct arena *a)
{
	for (struct arena_block *b = a->head, *next; b; b = next) {
		next = b->next;
		munmap(b, b->size);
	}
	table_free(a->itab, a->icap * sizeof *a->itab);
	*a = (struct arena){0};
}

/* An interned string: its hash and length ahead of its text. */
struct istr {
	uint64_t hash;
	uint32_t len;
	char text[];
};

const char *arena_intern(struct arena *a, const char *s, size_t n)
{
	if ((a->icount + 1) * 2 > a->icap) {
		size_t cap = a->icap ? a->icap * 2 : 1024;
		struct istr **t = table_alloc(cap * sizeof *t);
		for (size_t i = 0; i < a->icap; i++) {
			struct istr *e = a->itab[i];
			if (!e)
				continue;
			size_t j = (size_t)e->hash & (cap - 1);
			while (t[j])
				j = (j + 1) & (cap - 1);
			t[j] = e;
		}
		table_free(a->itab, a->icap * sizeof *t);
		a->itab = t;
		a->icap = cap;
	}
	/* Names are short, and a call costs more than hashing one.  Up to 8
	 * bytes, the hash is the bytes themselves mixed by a bijection (an odd
	 * multiplier, then an xor-shift): equal hashes and lengths mean equal
	 * names, with nothing to compare.  Longer names: FNV-1a, folded so that
	 * the low bits the table uses depend on all of it. */
	uint64_t h;
	if (n <= 8) {
		uint64_t w = 0;
		for (size_t k = 0; k < n; k++)
			w |= (uint64_t)(unsigned char)s[k] << (8 * k);
		h = w * UINT64_C(0x9e3779b97f4a7c15);
		h ^= h >> 32;
	} else {
		h = UINT64_C(0xcbf29ce484222325);
		for (size_t k = 0; k < n; k++)
			h = (h ^ (unsigned char)s[k]) * UINT64_C(0x100000001b3);
		h ^= h >> 29;
	}
	size_t mask = a->icap - 1, i = (size_t)h & mask;
	for (struct istr *e; (e = a->itab[i]) != NULL; i = (i + 1) & mask) {
		if (e->hash != h || e->len != n)
			continue;
		if (n <= 8)
			return e->text;
		size_t k = 0;
		while (k < n && e->text[k] == s[k])
			k++;
		if (k == n)
			return e->text;
	}
	struct istr *e = arena_alloc(a, sizeof *e + n + 1);
	e->hash = h;
	e->len = (uint32_t)n;
	memcpy(e->text, s, n);
	a->itab[i] = e;
	a->icount++;
	return e->text;
}

int ipcgen_threads;

unsigned ipcgen_nthreads(void)
{
	/* sysconf reads a file under /sys: once per process.  The first call
	 * comes from the main thread, before any other thread starts. */
	static unsigned online;
	if (ipcgen_threads > 0)
		return (unsigned)ipcgen_threads;
	if (!online) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		online = n > 1 ? (unsigned)n : 1;
	}
	return online;
}

uint32_t fnv1a32(const char *s, size_t n)
{
	uint32_t h = UINT32_C(2166136261);
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= UINT32_C(16777619);
	}
	return h;
}

void buf_grow(struct buf *b, size_t need)
{
	size_t cap = b->cap ? b->cap : 4096;
	while (cap - b->len < need)
		cap *= 2;
	if (b->mapped) {
		cap = map_size(cap);
		char *p = map_pages(cap);
		if (b->len)
			memcpy(p, b->data, b->len);
		if (b->data)
			munmap(b->data, b->cap);
		b->data = p;
		b->cap = cap;
		return;
	}
	char *p = realloc(b->data, cap);
	if (!p)
		out_of_memory();
	b->data = p;
	b->cap = cap;
}

void buf_putc(struct buf *b, char c)
{
	if (b->len == b->cap)
		buf_grow(b, 1);
	b->data[b->len++] = c;
}

void buf_free(struct buf *b)
{
	if (b->mapped && b->data)
		munmap(b->data, b->cap);
	else
		free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

size_t read_full(int fd, void *p, size_t n, int *err)
{
	size_t got = 0;
	*err = 0;
	while (got < n) {
		ssize_t k = read(fd, (char *)p + got, n - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			*err = errno;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	return got;
}

/* The largest source file read: a protocol is kilobytes, and positions in
 * a file are 32-bit offsets (struct loc). */
#define SOURCE_MAX ((size_t)256 << 20)

bool read_file(struct arena *a, const char *path, struct src *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	struct stat st;
	if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
		int err = S_ISDIR(st.st_mode) ? EISDIR : errno;
		close(fd);
		errno = err;
		return false;
	}
	/* A regular file is read straight into the arena at its size; anything
	 * else (a pipe, a device) through a buffer until its end. */
	struct buf b = {0};
	size_t len;
	char *text;
	int err;
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > SOURCE_MAX) {
		close(fd);
		errno = EFBIG;
		return false;
	}
	if (S_ISREG(st.st_mode)) {
		text = arena_alloc(a, (size_t)st.st_size + 1);
		len = read_full(fd, text, (size_t)st.st_size, &err);
		text[len] = 0;
	} else {
		for (;;) {
			if (b.cap - b.len < 65536)
				buf_grow(&b, 65536);
			size_t want = b.cap - b.len, k = read_full(fd, b.data + b.len, want, &err);
			b.len += k;
			if (!err && b.len > SOURCE_MAX)   /* /dev/zero, say */
				err = EFBIG;
			if (err || k < want)
				break;
		}
		text = err ? NULL : arena_strndup(a, b.data ? b.data : "", b.len);
		len = b.len;
		buf_free(&b);
	}
	close(fd);
	if (err) {
		errno = err;
		return false;
	}
	out->path = arena_strndup(a, path, strlen(path));
	out->text = text;
	out->len = len;
	return true;
}

/* ---- the formatter ---------------------------------------------------------- */

/*
 * bfmt(b, "...", ...): %s a string, %u an unsigned, %d an int64_t,
 * %x a uint32_t as 8 hex digits, %X a uint64_t as 16 hex digits, %% a '%'.
 *
 * The backend calls it a few million times with a few hundred different
 * formats, so each format is split once into its pieces (the literal text
 * before each conversion, and the conversion) and the split is kept in a
 * small table keyed by the format's address: a format must therefore be a
 * string that never changes, such as a literal.
 */
#define PLAN_MAX 20             /* conversions a cached format may hold */

struct fmt_plan {
	const char *f;
	uint16_t litlen;        /* the literal bytes of the whole format */
	uint8_t n;              /* pieces */
	char conv[PLAN_MAX + 1];        /* each piece's conversion, 0 at the end */
	uint16_t len[PLAN_MAX + 1];     /* each piece's literal text before it */
};

/* Splits f into pl.  The formats are ipcgen's own literals: one it cannot
 * split (more than PLAN_MAX conversions, 64 KiB of text, a '%' at its end)
 * is a bug in ipcgen, and ends it. */
static void plan_make(struct fmt_plan *pl, const char *f)
{
	const char *p = f;
	unsigned lit = 0;
	for (uint8_t n = 0; n <= PLAN_MAX; n++) {
		const char *q = strchrnul(p, '%');
		size_t len = (size_t)(q - p);
		if (len > 0xffff || lit + len > 0xffff)
			break;
		pl->len[n] = (uint16_t)len;
		lit += (unsigned)len;
		if (!*q) {
			pl->conv[n] = 0;
			pl->n = (uint8_t)(n + 1);
			pl->litlen = (uint16_t)lit;
			pl->f = f;
			return;
		}
		if (!q[1])
			break;
		pl->conv[n] = q[1];
		p = q + 2;
	}
	fprintf(stderr, "ipcgen: internal error: bfmt cannot take the format \"%.40s\"\n", f);
	abort();
}

/* Copies the n bytes at s to o; returns the end.  Most pieces of text are
 * a few bytes, which are copied here in two overlapping moves, without
 * memcpy's call and dispatch, which cost more than such a copy. */
static inline char *put_bytes(char *o, const char *s, size_t n)
{
	if (n > 16) {
		memcpy(o, s, n);
	} else if (n >= 8) {
		uint64_t x, y;
		memcpy(&x, s, 8);
		memcpy(&y, s + n - 8, 8);
		memcpy(o, &x, 8);
		memcpy(o + n - 8, &y, 8);
	} else if (n >= 4) {
		uint32_t x, y;
		memcpy(&x, s, 4);
		memcpy(&y, s + n - 4, 4);
		memcpy(o, &x, 4);
		memcpy(o + n - 4, &y, 4);
	} else if (n) {
		o[0] = s[0];
		o[n / 2] = s[n / 2];
		o[n - 1] = s[n - 1];
	}
	return o + n;
}

void bfmt(struct buf *b, const char *f, ...)
{
	static const char hex[] = "0123456789abcdef";
	static _Thread_local struct fmt_plan plans[512];
	va_list ap;
	va_start(ap, f);
	struct fmt_plan *pl = &plans[((uintptr_t)f >> 3) * 0x9e3779b1u >> 23 & 511];
	if (pl->f != f)
		plan_make(pl, f);
	/* Room for the literal text and every number; strings ask for more. */
	size_t need = (size_t)pl->litlen + 24u * pl->n;
	if (b->cap - b->len < need)
		buf_grow(b, need);
	char *o = b->data + b->len;
	const char *p = f;
	for (unsigned i = 0;; i++) {
		size_t len = pl->len[i];
		o = put_bytes(o, p, len);
		p += len + 2;
		char tmp[24], *t = tmp + sizeof tmp, *e = t;
		switch (pl->conv[i]) {
		case 0:
			b->len = (size_t)(o - b->data);
			va_end(ap);
			return;
		case 's': {
			const char *s = va_arg(ap, const char *);
			size_t n = strlen(s);
			size_t used = (size_t)(o - b->data);
			/* The rest of the format still needs its room after s. */
			if (b->cap - used < n + need) {
				b->len = used;
				buf_grow(b, n + need);
				o = b->data + used;
			}
			o = put_bytes(o, s, n);
			continue;
		}
		case 'u': {
			unsigned v = va_arg(ap, unsigned);
			do *--t = (char)('0' + v % 10); while (v /= 10);
			break;
		}
		case 'd': {
			int64_t v = va_arg(ap, int64_t);
			uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;
			do *--t = (char)('0' + u % 10); while (u /= 10);
			if (v < 0)
				*--t = '-';
			break;
		}
		case 'x': {
			uint32_t v = va_arg(ap, uint32_t);
			for (int k = 0; k < 8; k++, v >>= 4)
				*--t = hex[v & 15];
			break;
		}
		case 'X': {
			uint64_t v = va_arg(ap, uint64_t);
			for (int k = 0; k < 16; k++, v >>= 4)
				*--t = hex[v & 15];
			break;
		}
		default:                /* "%%" (or an unknown conversion) */
			*o++ = '%';
			continue;
		}
		memcpy(o, t, (size_t)(e - t));
		o += e - t;
	}
}

/*
 * sfmt(dst, size, "...", ...): snprintf for the short names and expressions
 * the backend formats into arrays of its own, a few for every value of
 * every method, at a fraction of snprintf's cost (whose set-up was a sixth
 * of a server's generation): %s, %u and %c only, %% a '%'.  A result that
 * does not fit, or another conversion, is a bug in ipcgen, and ends it.
 */
/* The n bytes at s at *o, if they fit before end. */
static bool sfmt_put(char **o, const char *end, const char *s, size_t n)
{
	if ((size_t)(end - *o) < n)
		return false;
	memcpy(*o, s, n);
	*o += n;
	return true;
}

char *sfmt(char *dst, size_t size, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	char *o = dst, *end = dst + size - 1;
	bool ok = true;
	for (const char *p = f; ok && *p;) {
		if (*p != '%') {        /* the text up to the next conversion */
			const char *q = p;
			while (*q && *q != '%')
				q++;
			ok = sfmt_put(&o, end, p, (size_t)(q - p));
			p = q;
			continue;
		}
		char num[12], *t = num + sizeof num;
		const char *s = num;
		size_t n = 1;
		switch (p[1]) {
		case 's':
			s = va_arg(ap, const char *);
			n = strlen(s);
			break;
		case 'u': {
			unsigned v = va_arg(ap, unsigned);
			do *--t = (char)('0' + v % 10); while (v /= 10);
			s = t;
			n = (size_t)(num + sizeof num - t);
			break;
		}
		case 'c':
			num[0] = (char)va_arg(ap, int);
			break;
		case '%':
			s = "%";
			break;
		default:                /* not one of ours */
			ok = false;
			continue;
		}
		ok = sfmt_put(&o, end, s, n);
		p += 2;
	}
	va_end(ap);
	if (!ok) {
		fprintf(stderr, "ipcgen: internal error: sfmt cannot make \"%.40s\" in %zu bytes\n", f, size);
		abort();
	}
	*o = 0;
	return dst;
}

/* ---- diagnostics ---------------------------------------------------------- */

#define SHOW_WIDTH 100  /* most bytes of a source line shown around the caret */

struct diag_group {
	unsigned file;
	uint32_t off;
	size_t seq;
	struct buf text;
};

/* The length of the valid multi-byte UTF-8 sequence at p, or 0. */
static size_t utf8_length(const unsigned char *p, size_t avail)
{
	unsigned c = p[0];
	size_t n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
	if (!n || n > avail)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f) ||
	    (c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f))
		return 0;
	return n;
}

/* Every source a position may name, by its id less 1: the positions of
 * every unit of the process (one, but for the unit tests). */
static const struct src **srcs;
static uint32_t nsrcs, capsrcs;

void src_register(struct src *s)
{
	if (nsrcs == capsrcs) {
		capsrcs = capsrcs ? 2 * capsrcs : 16;
		srcs = realloc(srcs, capsrcs * sizeof *srcs);
		if (!srcs)
			out_of_memory();
	}
	srcs[nsrcs++] = s;
	s->id = nsrcs;
}

const struct src *loc_src(struct loc loc)
{
	return loc.src && loc.src <= nsrcs ? srcs[loc.src - 1] : NULL;
}

static void show_line(struct buf *o, bool color, struct loc loc)
{
	const struct src *s = loc_src(loc);
	if (!s || loc.off > s->len)
		return;
	/* The line's ends, looked for no further than a window and one byte
	 * either side: past that, the line is shown as a window whichever
	 * they are (a diagnostic in a line of megabytes costs no more). */
	size_t start = loc.off, end = loc.off;
	size_t lo = loc.off > SHOW_WIDTH + 1 ? loc.off - SHOW_WIDTH - 1 : 0;
	size_t hi = s->len - loc.off > SHOW_WIDTH + 1 ? loc.off + SHOW_WIDTH + 1 : s->len;
	while (start > lo && s->text[start - 1] != '\n' && s->text[start - 1] != '\r')
		start--;
	while (end < hi && s->text[end] != '\n' && s->text[end] != '\r')
		end++;
	/* A long line is shown as a window around the column. */
	size_t from = start, to = end;
	if (to - from > SHOW_WIDTH) {
		from = loc.off > start + SHOW_WIDTH / 2 ? loc.off - SHOW_WIDTH / 2 : start;
		to = from + SHOW_WIDTH < end ? from + SHOW_WIDTH : end;
	}
	/* The line as the terminal should see it: valid UTF-8 as it is, any
	 * other byte outside printable ASCII as '?'; the caret line has one
	 * column per character shown. */
	const unsigned char *t = (const unsigned char *)s->text;
	buf_puts(o, from > start ? "    ..." : "    ");
	struct buf caret = {0};
	for (size_t i = from; i < to;) {
		unsigned char c = t[i];
		size_t n = utf8_length(t + i, to - i);
		if (n > 1) {
			buf_putn(o, (const char *)t + i, n);
		} else {
			n = 1;
			buf_putc(o, c == '\t' || (c >= 0x20 && c < 0x7f) ? (char)c : '?');
		}
		if (i < loc.off)
			buf_putc(&caret, c == '\t' ? '\t' : ' ');
		i += n;
	}
	buf_puts(o, to < end ? "...\n" : "\n");
	buf_puts(o, from > start ? "       " : "    ");
	if (caret.len)
		buf_putn(o, caret.data, caret.len);
	buf_free(&caret);
	buf_puts(o, color ? "\033[1;32m^\033[0m\n" : "^\n");
}

/* Where each line of a file starts, for the line and column of a
 * diagnostic; made on the first diagnostic in the file. */
struct line_index {
	const struct src *src;
	const char *text;
	uint32_t *start;
	size_t n;
};

static const struct line_index *line_index(struct diag *d, const struct src *s)
{
	for (size_t i = 0; i < d->nlines; i++)
		if (d->lines[i].src == s && d->lines[i].text == s->text)
			return &d->lines[i];
	struct line_index *l = realloc(d->lines, (d->nlines + 1) * sizeof *l);
	if (!l)
		out_of_memory();
	d->lines = l;
	l = &d->lines[d->nlines++];
	struct buf b = {0};
	uint32_t first = 0;
	buf_putn(&b, (const char *)&first, sizeof first);
	for (size_t i = 0; i < s->len; i++) {
		char c = s->text[i];
		if (c != '\n' && c != '\r')
			continue;
		if (c == '\r' && i + 1 < s->len && s->text[i + 1] == '\n')
			i++;
		uint32_t next = (uint32_t)(i + 1);
		buf_putn(&b, (const char *)&next, sizeof next);
	}
	*l = (struct line_index){s, s->text, (uint32_t *)(void *)b.data, b.len / sizeof(uint32_t)};
	return l;
}

/* Frees every diagnostic held (printed or not) and the line indexes. */
static void drop_groups(struct diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		buf_free(&d->v[i].text);
	free(d->v);
	d->v = NULL;
	d->n = d->cap = 0;
	diag_forget_lines(d);
}

void diag_discard(struct diag *d)
{
	drop_groups(d);
	d->errors = 0;
}

void diag_forget_lines(struct diag *d)
{
	for (size_t i = 0; i < d->nlines; i++)
		free(d->lines[i].start);
	free(d->lines);
	d->lines = NULL;
	d->nlines = 0;
}

struct linecol diag_linecol(struct diag *d, struct loc loc)
{
	const struct src *s = loc_src(loc);
	if (!s)
		return (struct linecol){0, 0};
	const struct line_index *l = line_index(d, s);
	size_t lo = 0, hi = l->n;   /* the last line starting at or before off */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (l->start[mid] <= loc.off)
			lo = mid;
		else
			hi = mid;
	}
	return (struct linecol){(uint32_t)lo + 1, loc.off - l->start[lo] + 1};
}

static void report(struct diag *d, struct loc loc, bool error,
                   const char *fmt, va_list ap)
{
	const struct src *s = loc_src(loc);
	if (error || d->n == 0) {
		if (d->n == d->cap) {
			d->cap = d->cap ? d->cap * 2 : 16;
			d->v = realloc(d->v, d->cap * sizeof *d->v);
			if (!d->v)
				out_of_memory();
		}
		d->v[d->n] = (struct diag_group){
			.file = s ? s->index + 1 : 0,
			.off = loc.off,
			.seq = d->n,
		};
		d->n++;
	}
	struct buf *o = &d->v[d->n - 1].text;
	if (d->color)
		buf_puts(o, "\033[1m");
	if (s) {   /* the path whole, however long */
		struct linecol lc = diag_linecol(d, loc);
		char head[32];
		snprintf(head, sizeof head, ":%u:%u: ", lc.line, lc.col);
		buf_puts(o, s->path);
		buf_puts(o, head);
	} else {
		buf_puts(o, "ipcgen: ");
	}
	if (d->color)
		buf_puts(o, error ? "\033[1;31merror:\033[0m\033[1m " : "\033[1;36mnote:\033[0m\033[1m ");
	else
		buf_puts(o, error ? "error: " : "note: ");
	va_list aq;
	va_copy(aq, ap);
	int n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n > 0) {
		buf_grow(o, (size_t)n + 1);
		vsnprintf(o->data + o->len, (size_t)n + 1, fmt, ap);
		o->len += (size_t)n;
	}
	buf_puts(o, d->color ? "\033[0m\n" : "\n");
	if (s)
		show_line(o, d->color, loc);
}

void diag_error(struct diag *d, struct loc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(d, loc, true, fmt, ap);
	va_end(ap);
	d->errors++;
}

void diag_note(struct diag *d, struct loc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(d, loc, false, fmt, ap);
	va_end(ap);
}

void diag_plain(struct diag *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(d, (struct loc){0}, true, fmt, ap);
	va_end(ap);
	d->errors++;
}

static int group_order(const void *a, const void *b)
{
	const struct diag_group *x = a, *y = b;
	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void diag_flush(struct diag *d)
{
	if (d->n)
		qsort(d->v, d->n, sizeof *d->v, group_order);
	for (size_t i = 0; i < d->n; i++)
		fwrite(d->v[i].text.data, 1, d->v[i].text.len, d->out);
	fflush(d->out);
	drop_groups(d);
}

/* ---- hash map ------------------------------------------------------------- */

static size_t map_slot(const struct map *m, const char *key, size_t keylen)
{
	size_t mask = m->cap - 1;
	size_t i = (size_t)XXH3_64bits(key, keylen) & mask;
	while (m->v[i].key &&
	       (m->v[i].keylen != keylen || memcmp(m->v[i].key, key, keylen) != 0))
		i = (i + 1) & mask;
	return i;
}

void *map_get(const struct map *m, const char *key, size_t keylen)
{
	if (!m->cap)
		return NULL;
	size_t i = map_slot(m, key, keylen);
	return m->v[i].key ? m->v[i].value : NULL;
}

void *map_put(struct map *m, const char *key, size_t keylen, void *value)
{
	if ((m->n + 1) * 2 > m->cap) {
		struct map old = *m;
		m->cap = old.cap ? old.cap * 2 : 8;
		m->v = table_alloc(m->cap * sizeof *m->v);
		for (size_t i = 0; i < old.cap; i++)
			if (old.v[i].key)
				m->v[map_slot(m, old.v[i].key, old.v[i].keylen)] = old.v[i];
		table_free(old.v, old.cap * sizeof *old.v);
	}
	size_t i = map_slot(m, key, keylen);
	if (m->v[i].key)
		return m->v[i].value;
	if (value) {
		m->v[i] = (struct map_entry){key, keylen, value};
		m->n++;
	}
	return NULL;
}

void map_free(struct map *m)
{
	table_free(m->v, m->cap * sizeof *m->v);
	*m = (struct map){0};
}

/* The Levenshtein distance of a and b; 99 past 32 bytes. */
unsigned edit_distance(const char *a, const char *b)
{
	size_t n = strlen(b);
	if (strlen(a) > 32 || n > 32)
		return 99;
	unsigned row[33];
	for (size_t j = 0; j <= n; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; a[i - 1]; i++) {
		unsigned diag = row[0];
		row[0] = (unsigned)i;
		for (size_t j = 1; j <= n; j++) {
			unsigned up = row[j];
			unsigned best = diag + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best) best = row[j] + 1;
			if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[n];
}
