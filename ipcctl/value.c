/*
 * value.c: parsing, encoding, decoding and printing values, one set of
 * functions per kind of type (see value.h).  Encoding and decoding follow
 * what ipcgen's C backend writes into every client (gen_c.c) and the wire
 * helpers of <mercury/ipc.h>: one word per scalar, signed values
 * sign-extended, an enum as its value, a string or byte array as a length
 * word and its bytes packed into words, zero padded; capabilities in cap[].
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mercury/posix.h>

#include "value.h"

/* ---- helpers --------------------------------------------------------------- */

/* A malloc'd string, printf-style (NULL only when out of memory). */
static char *msgf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *msgf(const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s ? s : strdup("out of memory");
}

void put_quoted(FILE *f, bool json, const char *s, size_t len)
{
	putc('"', f);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c == '\r')
			fputs("\\r", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, json ? "\\u%04x" : "\\x%02x", c);
		else
			putc(c, f);
	}
	putc('"', f);
}

/* s quoted as text, malloc'd: for "got ..." in messages. */
static char *quoted(const char *s)
{
	char *q = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&q, &n);
	if (!f)
		return strdup("?");
	put_quoted(f, false, s, strlen(s));
	fclose(f);
	return q;
}

/* "expected T (what), got "text"": the usual complaint. */
static char *expected(const struct typeref *t, const char *what, const char *text)
{
	char *tn = type_name(t), *q = quoted(text);
	char *m = msgf("expected %s (%s), got %s", tn, what, q);
	free(tn);
	free(q);
	return m;
}

char *type_name(const struct typeref *t)
{
	static const char *const names[] = {
		[TY_VOID] = "void", [TY_U8] = "u8", [TY_U16] = "u16", [TY_U32] = "u32",
		[TY_U64] = "u64", [TY_I8] = "i8", [TY_I16] = "i16", [TY_I32] = "i32",
		[TY_I64] = "i64", [TY_UINT] = "uint", [TY_INT] = "int", [TY_SIZE] = "size",
		[TY_UINTPTR] = "uintptr", [TY_BOOL] = "bool", [TY_STRING] = "string",
		[TY_BYTES] = "bytes", [TY_PAGE] = "page", [TY_CAP] = "cap",
	};
	if ((t->kind == TY_ENUM || t->kind == TY_IFACE) && t->decl)
		return msgf("%s::%s", t->decl->ns->name, t->decl->name);
	const char *n = (size_t)t->kind < sizeof names / sizeof names[0] && names[t->kind]
		? names[t->kind] : "?";
	if (t->kind == TY_STRING || t->kind == TY_BYTES)
		return msgf("%s<%llu>", n, (unsigned long long)t->bound);
	return strdup(n);
}

bool type_is_cap(const struct typeref *t)
{
	return t->kind == TY_PAGE || t->kind == TY_CAP || t->kind == TY_IFACE;
}

/* ---- integers and bool ----------------------------------------------------- */

struct int_range {
	int64_t min;
	uint64_t max;
};

/* The range of an integer type, or of an enum's underlying type. */
static struct int_range int_range(const struct typeref *t)
{
	enum type_kind k = t->kind == TY_ENUM ? t->decl->base.kind : t->kind;
	switch (k) {
	case TY_U8: return (struct int_range){0, UINT8_MAX};
	case TY_U16: return (struct int_range){0, UINT16_MAX};
	case TY_I8: return (struct int_range){INT8_MIN, INT8_MAX};
	case TY_I16: return (struct int_range){INT16_MIN, INT16_MAX};
	case TY_I32: case TY_INT: return (struct int_range){INT32_MIN, INT32_MAX};
	case TY_I64: return (struct int_range){INT64_MIN, INT64_MAX};
	case TY_U64: case TY_SIZE: case TY_UINTPTR: return (struct int_range){0, UINT64_MAX};
	case TY_BOOL: return (struct int_range){0, 1};
	default: return (struct int_range){0, UINT32_MAX};   /* u32, uint, an enum's default */
	}
}

/* Decimal or 0x hexadecimal, with a '-' for negative values: its sign and
 * magnitude; false if it is not a number of 64 bits. */
static bool parse_number(const char *s, bool *neg, uint64_t *mag)
{
	unsigned base = 10;
	uint64_t v = 0;
	*neg = *s == '-';
	s += *neg;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			return false;
		if (v > (UINT64_MAX - d) / base)
			return false;
		v = v * base + d;
	}
	*mag = v;
	return true;
}

/* The wire word of text as an integer in r, sign-extended; false if it is
 * not one. */
static bool int_word(struct int_range r, const char *text, uint64_t *w)
{
	bool neg;
	uint64_t mag;
	if (!parse_number(text, &neg, &mag))
		return false;
	if (neg && mag) {
		if (r.min >= 0 || mag > (uint64_t)(-(r.min + 1)) + 1)
			return false;
		*w = (uint64_t)0 - mag;
		return true;
	}
	if (mag > r.max)
		return false;
	*w = mag;
	return true;
}

static char *parse_int(const struct item *it, const char *text, struct val *v)
{
	struct int_range r = int_range(it->type);
	if (int_word(r, text, &v->word))
		return NULL;
	char what[64];
	snprintf(what, sizeof what, r.min < 0 ? "%lld..%llu" : "0..%llu",
	         r.min < 0 ? (long long)r.min : (long long)r.max, (unsigned long long)r.max);
	return expected(it->type, what, text);
}

static char *parse_bool(const struct item *it, const char *text, struct val *v)
{
	if (strcmp(text, "true") == 0 || strcmp(text, "false") == 0) {
		v->word = text[0] == 't';
		return NULL;
	}
	return expected(it->type, "true or false", text);
}

static unsigned one_word(const struct item *it, const struct val *v)
{
	(void)it, (void)v;
	return 1;
}

static void word_bounds(const struct item *it, unsigned *min, unsigned *max)
{
	(void)it;
	*min = *max = 1;
}

static void encode_word(const struct item *it, struct val *v, struct ipc_msg *m, struct cursor *c)
{
	(void)it;
	m->word[c->word++] = v->word;
}

/* The word at c, if it holds a value of the type's range (as ipc_dec_T). */
static bool decode_int(const struct item *it, const struct ipc_msg *m, struct cursor *c,
                       struct val *v)
{
	if (c->word >= m->nwords)
		return false;
	uint64_t w = m->word[c->word];
	struct int_range r = int_range(it->type);
	if (r.min < 0) {
		int64_t s = ipc_word_signed(w);
		if (s < r.min || (s > 0 && (uint64_t)s > r.max))
			return false;
	} else if (w > r.max) {
		return false;
	}
	c->word++;
	v->word = w;
	return true;
}

static void print_int(FILE *f, bool json, const struct item *it, const struct val *v)
{
	(void)json;
	if (int_range(it->type).min < 0)
		fprintf(f, "%lld", (long long)ipc_word_signed(v->word));
	else
		fprintf(f, "%llu", (unsigned long long)v->word);
}

static void print_bool(FILE *f, bool json, const struct item *it, const struct val *v)
{
	(void)json, (void)it;
	fputs(v->word ? "true" : "false", f);
}

/* ---- enums ------------------------------------------------------------------- */

static const struct member *enum_member(const struct typeref *t, uint64_t w)
{
	for (const struct member *mb = t->decl->members; mb; mb = mb->next)
		if (ipc_word_signed(w) == mb->value)
			return mb;
	return NULL;
}

static char *parse_enum(const struct item *it, const char *text, struct val *v)
{
	const struct typeref *t = it->type;
	const struct member *best = NULL;
	unsigned bestd = ~0u;
	for (const struct member *mb = t->decl->members; mb; mb = mb->next) {
		if (strcmp(mb->name, text) == 0) {
			v->word = (uint64_t)mb->value;
			return NULL;
		}
		unsigned d = edit_distance(mb->name, text);
		if (d < bestd)
			bestd = d, best = mb;
	}
	if (int_word(int_range(t), text, &v->word) && enum_member(t, v->word))
		return NULL;
	char *names = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&names, &n);
	if (!f)
		return strdup("out of memory");
	for (const struct member *mb = t->decl->members; mb; mb = mb->next)
		fprintf(f, "%s%s", mb == t->decl->members ? "" : ", ", mb->name);
	fputs(", or a member's value", f);
	fclose(f);
	char *m = expected(t, names, text);
	free(names);
	if (best && (bestd <= 2 || bestd * 3 <= strlen(text))) {
		char *dym = msgf("%s; did you mean '%s'?", m, best->name);
		free(m);
		m = dym;
	}
	return m;
}

static bool decode_enum(const struct item *it, const struct ipc_msg *m, struct cursor *c,
                        struct val *v)
{
	struct cursor at = *c;
	if (!decode_int(it, m, &at, v) || !enum_member(it->type, v->word))
		return false;
	*c = at;
	return true;
}

static void print_enum(FILE *f, bool json, const struct item *it, const struct val *v)
{
	const struct member *mb = enum_member(it->type, v->word);
	if (json)
		fprintf(f, "\"%s\"", mb ? mb->name : "?");
	else
		fputs(mb ? mb->name : "?", f);
}

/* ---- strings and byte arrays --------------------------------------------------- */

static char *parse_string(const struct item *it, const char *text, struct val *v)
{
	size_t len = strlen(text);
	char *tn = type_name(it->type);
	char *m = NULL;
	if (len > it->type->bound)
		m = msgf("expected %s (at most %llu bytes), got %zu bytes", tn,
		         (unsigned long long)it->type->bound, len);
	else if (!ipc_utf8_valid(text, len))
		m = msgf("expected %s (UTF-8 text), got invalid UTF-8", tn);
	free(tn);
	if (m)
		return m;
	if (!(v->bytes = (unsigned char *)strdup(text)))
		return strdup("out of memory");
	v->len = len;
	return NULL;
}

static int hexdigit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
		: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Up to max + 1 bytes of the file at path into buf: the count, or -1 with errno. */
static ssize_t read_upto(const char *path, unsigned char *buf, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int err;
	size_t n = read_full(fd, buf, max + 1, &err);
	close(fd);
	if (err) {
		errno = err;
		return -1;
	}
	return (ssize_t)n;
}

static char *parse_bytes(const struct item *it, const char *text, struct val *v)
{
	size_t bound = (size_t)it->type->bound;
	if (!(v->bytes = malloc(bound + 1)))
		return strdup("out of memory");
	if (text[0] == '@') {
		ssize_t n = read_upto(text + 1, v->bytes, bound);
		if (n < 0)
			return msgf("cannot read '%s': %s", text + 1, strerror(errno));
		if ((size_t)n > bound) {
			char *tn = type_name(it->type);
			char *m = msgf("expected %s (at most %zu bytes), got more from '%s'", tn, bound,
			               text + 1);
			free(tn);
			return m;
		}
		v->len = (size_t)n;
		return NULL;
	}
	size_t len = strlen(text);
	for (size_t i = 0; i < len; i++)
		if (hexdigit(text[i]) < 0 || len % 2)
			return expected(it->type, "hex digits, or @FILE", text);
	if (len / 2 > bound) {
		char *tn = type_name(it->type);
		char *m = msgf("expected %s (at most %zu bytes), got %zu bytes", tn, bound, len / 2);
		free(tn);
		return m;
	}
	for (size_t i = 0; i < len / 2; i++)
		v->bytes[i] = (unsigned char)(hexdigit(text[2 * i]) << 4 | hexdigit(text[2 * i + 1]));
	v->len = len / 2;
	return NULL;
}

static unsigned array_words(const struct item *it, const struct val *v)
{
	(void)it;
	return 1 + (unsigned)((v->len + 7) / 8);
}

static void array_bounds(const struct item *it, unsigned *min, unsigned *max)
{
	*min = 1;
	*max = 1 + (unsigned)((it->type->bound + 7) / 8);
}

static void encode_array(const struct item *it, struct val *v, struct ipc_msg *m, struct cursor *c)
{
	(void)it;
	ipc_put_bytes(m, &c->word, v->bytes, v->len);
}

/* As the generated client: ipc_get_str or ipc_get_bytes, within the bound. */
static bool decode_array(const struct item *it, const struct ipc_msg *m, struct cursor *c,
                         struct val *v)
{
	size_t bound = (size_t)it->type->bound;
	if (!(v->bytes = malloc(bound + 1)))
		return false;
	if (it->type->kind == TY_STRING) {
		if (!ipc_get_str(m, &c->word, (char *)v->bytes, bound))
			return false;
		v->len = strlen((char *)v->bytes);
		return true;
	}
	return ipc_get_bytes(m, &c->word, v->bytes, bound, &v->len);
}

static void print_string(FILE *f, bool json, const struct item *it, const struct val *v)
{
	(void)it;
	put_quoted(f, json, (const char *)v->bytes, v->len);
}

static void print_bytes(FILE *f, bool json, const struct item *it, const struct val *v)
{
	(void)it;
	if (json)
		putc('"', f);
	for (size_t i = 0; i < v->len; i++)
		fprintf(f, "%02x", v->bytes[i]);
	if (json)
		putc('"', f);
}

/* ---- capabilities ------------------------------------------------------------- */

/* A page capability holding the contents of the file fd, zero padded to
 * whole pages (one at least). */
static char *file_page(int fd, const char *path, ipc_cap *cap)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return msgf("cannot use '%s' as a page: %s", path,
		            errno ? strerror(errno) : "not a regular file");
	size_t size = (size_t)st.st_size;
	size_t npages = size ? (size + IPC_PAGE_SIZE - 1) / IPC_PAGE_SIZE : 1;
	void *addr;
	int rc = ipc_page_alloc(npages, cap, &addr);
	if (rc < 0)
		return msgf("cannot make a page for '%s': %s", path, ipc_status_name(rc));
	int err;
	read_full(fd, addr, size, &err);
	ipc_page_unmap(addr, npages * IPC_PAGE_SIZE);
	if (err) {
		ipc_cap_drop(*cap);
		return msgf("cannot read '%s': %s", path, strerror(err));
	}
	return NULL;
}

/* @PATH: a page with the file's contents for page, else the file opened
 * (read-only), or a connection when PATH is a socket. */
static char *parse_cap(const struct item *it, const char *text, struct val *v)
{
	if (text[0] != '@')
		return expected(it->type, it->type->kind == TY_PAGE ? "@FILE"
		                : "@FILE to open, or @SOCKET to connect to", text);
	if (v->ncaps == IPC_MAX_CAPS)
		return msgf("too many capabilities (at most %d in a message)", IPC_MAX_CAPS);
	const char *path = text + 1;
	struct stat st;
	ipc_cap cap = IPC_CAP_NONE;
	char *m = NULL;
	if (stat(path, &st) < 0)
		return msgf("cannot open '%s': %s", path, strerror(errno));
	if (S_ISSOCK(st.st_mode) && it->type->kind != TY_PAGE) {
		int rc = ipc_posix_connect(path, &cap);
		if (rc < 0)
			return msgf("cannot connect to '%s': %s", path, ipc_status_text(rc));
	} else {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return msgf("cannot open '%s': %s", path, strerror(errno));
		errno = 0;
		if (it->type->kind == TY_PAGE) {
			m = file_page(fd, path, &cap);
			close(fd);
		} else if (ipc_posix_adopt(fd, &cap) < 0) {
			m = msgf("cannot pass '%s'", path);
		}
	}
	if (!m)
		v->cap[v->ncaps++] = cap;
	return m;
}

static unsigned no_words(const struct item *it, const struct val *v)
{
	(void)it, (void)v;
	return 0;
}

static void no_bounds(const struct item *it, unsigned *min, unsigned *max)
{
	(void)it;
	*min = *max = 0;
}

static void encode_caps(const struct item *it, struct val *v, struct ipc_msg *m, struct cursor *c)
{
	(void)it;
	for (size_t i = 0; i < v->ncaps; i++)
		m->cap[c->cap++] = v->cap[i];
	m->ncaps = c->cap;
	v->ncaps = 0;       /* they moved */
}

static bool decode_caps(const struct item *it, const struct ipc_msg *m, struct cursor *c,
                        struct val *v)
{
	size_t n = it->list ? (m->ncaps > c->cap ? m->ncaps - c->cap : 0) : 1;
	if (c->cap + n > m->ncaps || n > IPC_MAX_CAPS)
		return false;
	for (size_t i = 0; i < n; i++)
		v->cap[i] = m->cap[c->cap++];
	v->ncaps = n;
	return true;
}

static void print_cap(FILE *f, bool json, ipc_cap cap)
{
	int fd = ipc_posix_fd(cap);
	size_t size;
	struct stat st;
	const char *kind = "descriptor";
	long long bytes = -1;
	if (ipc_page_size(cap, &size) == 0) {
		kind = "page";
		bytes = (long long)size;
	} else if (fd >= 0 && fstat(fd, &st) == 0) {
		kind = S_ISREG(st.st_mode) ? "file" : S_ISSOCK(st.st_mode) ? "socket"
			: S_ISFIFO(st.st_mode) ? "pipe" : S_ISDIR(st.st_mode) ? "directory"
			: S_ISCHR(st.st_mode) ? "device" : "descriptor";
		if (S_ISREG(st.st_mode))
			bytes = (long long)st.st_size;
	}
	if (json) {
		fprintf(f, "{\"fd\": %d, \"kind\": \"%s\"", fd, kind);
		if (bytes >= 0)
			fprintf(f, ", \"size\": %lld", bytes);
		putc('}', f);
	} else {
		fprintf(f, "fd %d (%s", fd, kind);
		if (bytes >= 0)
			fprintf(f, ", %lld bytes", bytes);
		putc(')', f);
	}
}

static void print_caps(FILE *f, bool json, const struct item *it, const struct val *v)
{
	if (it->list)
		putc('[', f);
	for (size_t i = 0; i < v->ncaps; i++) {
		if (i)
			fputs(", ", f);
		print_cap(f, json, v->cap[i]);
	}
	if (it->list)
		putc(']', f);
}

/* ---- the kinds ------------------------------------------------------------------ */

struct kind_ops {
	char *(*parse)(const struct item *it, const char *text, struct val *v);
	unsigned (*words)(const struct item *it, const struct val *v);
	void (*bounds)(const struct item *it, unsigned *min, unsigned *max);
	void (*encode)(const struct item *it, struct val *v, struct ipc_msg *m, struct cursor *c);
	bool (*decode)(const struct item *it, const struct ipc_msg *m, struct cursor *c,
	               struct val *v);
	void (*print)(FILE *f, bool json, const struct item *it, const struct val *v);
};

static const struct kind_ops int_ops = {
	parse_int, one_word, word_bounds, encode_word, decode_int, print_int,
};
static const struct kind_ops bool_ops = {
	parse_bool, one_word, word_bounds, encode_word, decode_int, print_bool,
};
static const struct kind_ops enum_ops = {
	parse_enum, one_word, word_bounds, encode_word, decode_enum, print_enum,
};
static const struct kind_ops string_ops = {
	parse_string, array_words, array_bounds, encode_array, decode_array, print_string,
};
static const struct kind_ops bytes_ops = {
	parse_bytes, array_words, array_bounds, encode_array, decode_array, print_bytes,
};
static const struct kind_ops cap_ops = {
	parse_cap, no_words, no_bounds, encode_caps, decode_caps, print_caps,
};

static const struct kind_ops *ops(const struct typeref *t)
{
	switch (t->kind) {
	case TY_U8: case TY_U16: case TY_U32: case TY_U64:
	case TY_I8: case TY_I16: case TY_I32: case TY_I64:
	case TY_UINT: case TY_INT: case TY_SIZE: case TY_UINTPTR:
		return &int_ops;
	case TY_BOOL: return &bool_ops;
	case TY_ENUM: return &enum_ops;
	case TY_STRING: return &string_ops;
	case TY_BYTES: return &bytes_ops;
	case TY_PAGE: case TY_CAP: case TY_IFACE: return &cap_ops;
	default: return NULL;      /* void, or a kind ipcctl does not know yet */
	}
}

bool value_supported(const struct typeref *t)
{
	return ops(t) != NULL;
}

char *value_parse(const struct item *it, const char *text, struct val *v)
{
	char *m = ops(it->type)->parse(it, text, v);
	if (!m)
		v->set = true;
	return m;
}

void value_words(const struct item *it, unsigned *min, unsigned *max)
{
	ops(it->type)->bounds(it, min, max);
}

bool value_fits(const struct item *it, const struct val *v, const struct cursor *c)
{
	return ops(it->type)->words(it, v) <= IPC_MAX_WORDS - c->word &&
	       v->ncaps <= IPC_MAX_CAPS - c->cap;
}

void value_encode(const struct item *it, struct val *v, struct ipc_msg *m, struct cursor *c)
{
	ops(it->type)->encode(it, v, m, c);
}

bool value_decode(const struct item *it, const struct ipc_msg *m, struct cursor *c, struct val *v)
{
	v->set = ops(it->type)->decode(it, m, c, v);
	return v->set;
}

void value_print(FILE *f, bool json, const struct item *it, const struct val *v)
{
	ops(it->type)->print(f, json, it, v);
}

void value_free(const struct item *it, struct val *v)
{
	(void)it;
	free(v->bytes);
	ipc_drop_caps(v->cap, v->ncaps, 0);
	*v = (struct val){0};
}
