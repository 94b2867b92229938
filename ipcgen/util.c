/*
 * util.c: the arena every phase allocates from, growable buffers, FNV-1a,
 * whole-file reading, and diagnostics in the gcc style:
 *
 *   io.ipc:3:7: error: unknown type 'sise'
 *       call read(amt: sise) size;
 *                      ^
 *
 * Out of memory is the only error that ends the process from here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ipcgen.h"

struct arena_block {
	struct arena_block *next;
	max_align_t align[];
};

static _Noreturn void out_of_memory(void)
{
	fputs("ipcgen: out of memory\n", stderr);
	abort();
}

void *arena_alloc(struct arena *a, size_t size)
{
	size = (size + 15) & ~(size_t)15;
	if ((size_t)(a->end - a->cur) < size) {
		size_t cap = size > 65536 ? size : 65536;
		struct arena_block *b = malloc(sizeof *b + cap);
		if (!b)
			out_of_memory();
		b->next = a->head;
		a->head = b;
		a->cur = (char *)b->align;
		a->end = a->cur + cap;
	}
	void *p = a->cur;
	a->cur += size;
	memset(p, 0, size);
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
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

void arena_free(struct arena *a)
{
	for (struct arena_block *b = a->head, *next; b; b = next) {
		next = b->next;
		free(b);
	}
	a->head = NULL;
	a->cur = a->end = NULL;
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
	char *p = realloc(b->data, cap);
	if (!p)
		out_of_memory();
	b->data = p;
	b->cap = cap;
}

void buf_puts(struct buf *b, const char *s)
{
	buf_putn(b, s, strlen(s));
}

void buf_putc(struct buf *b, char c)
{
	if (b->len == b->cap)
		buf_grow(b, 1);
	b->data[b->len++] = c;
}

void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

bool read_file(struct arena *a, const char *path, struct src *out)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	struct buf b = {0};
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_putn(&b, chunk, n);
	int err = ferror(f) ? errno : 0;
	fclose(f);
	if (err) {
		buf_free(&b);
		errno = err;
		return false;
	}
	out->path = arena_strndup(a, path, strlen(path));
	out->text = arena_strndup(a, b.data ? b.data : "", b.len);
	out->len = b.len;
	buf_free(&b);
	return true;
}

/* ---- diagnostics ---------------------------------------------------------- */

#define SHOW_WIDTH 100  /* most bytes of a source line shown around the caret */

static void show_line(struct diag *d, struct loc loc)
{
	const struct src *s = loc.src;
	if (!s || loc.off > s->len)
		return;
	size_t start = loc.off, end = loc.off;
	while (start > 0 && s->text[start - 1] != '\n')
		start--;
	while (end < s->len && s->text[end] != '\n' && s->text[end] != '\r')
		end++;
	/* A long line is shown as a window around the column. */
	size_t from = start, to = end;
	if (to - from > SHOW_WIDTH) {
		from = loc.off > start + SHOW_WIDTH / 2 ? loc.off - SHOW_WIDTH / 2 : start;
		to = from + SHOW_WIDTH < end ? from + SHOW_WIDTH : end;
	}
	fputs(from > start ? "    ..." : "    ", d->out);
	for (size_t i = from; i < to; i++) {
		unsigned char c = (unsigned char)s->text[i];
		/* Control bytes and NULs would garble a terminal. */
		fputc(c == '\t' || c >= 0x20 ? c : '?', d->out);
	}
	fputs(to < end ? "...\n" : "\n", d->out);
	fputs(from > start ? "       " : "    ", d->out);
	for (size_t i = from; i < loc.off && i < to; i++)
		fputc(s->text[i] == '\t' ? '\t' : ' ', d->out);
	fputs(d->color ? "\033[1;32m^\033[0m\n" : "^\n", d->out);
}

static void report(struct diag *d, struct loc loc, const char *kind,
                   const char *color, const char *fmt, va_list ap)
{
	if (d->color)
		fputs("\033[1m", d->out);
	if (loc.src)
		fprintf(d->out, "%s:%u:%u: ", loc.src->path, loc.line, loc.col);
	else
		fputs("ipcgen: ", d->out);
	if (d->color)
		fprintf(d->out, "%s%s:\033[0m\033[1m ", color, kind);
	else
		fprintf(d->out, "%s: ", kind);
	vfprintf(d->out, fmt, ap);
	fputs(d->color ? "\033[0m\n" : "\n", d->out);
	if (loc.src)
		show_line(d, loc);
}

void diag_error(struct diag *d, struct loc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(d, loc, "error", "\033[1;31m", fmt, ap);
	va_end(ap);
	d->errors++;
}

void diag_note(struct diag *d, struct loc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(d, loc, "note", "\033[1;36m", fmt, ap);
	va_end(ap);
}

void diag_plain(struct diag *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(d, (struct loc){0}, "error", "\033[1;31m", fmt, ap);
	va_end(ap);
	d->errors++;
}

/* ---- hash map ------------------------------------------------------------- */

#include <xxhash.h>

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
		m->cap = old.cap ? old.cap * 2 : 64;
		m->v = arena_alloc(m->arena, m->cap * sizeof *m->v);
		for (size_t i = 0; i < old.cap; i++)
			if (old.v[i].key)
				m->v[map_slot(m, old.v[i].key, old.v[i].keylen)] = old.v[i];
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
