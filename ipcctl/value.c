/*
 * value.c: parsing, encoding, decoding and printing values, one set of
 * functions per kind of type (see value.h).  Encoding and decoding follow
 * what ipcgen's C backend writes into every client (gen_c.c) and the wire
 * helpers of <mercury/ipc.h>: one word per scalar, signed values
 * sign-extended, an enum as its value, a bit set as its bits (none outside
 * its members'), a string or byte array as a length word and its bytes
 * packed into words, zero padded; capabilities in cap[].  Language 2's
 * values follow the general codec (put_enc/put_dec of gen_c.c): a struct
 * as its fields in order, a list as a count word (at most its bound) and
 * its elements, an optional value as a presence word (0 or 1) and the value
 * if 1.  Values are written to and read from struct ipc_words, a message's
 * or a region's: a list that may go out of line has the same words in
 * either, placed by the ipc_olist helpers as generated code places them.
 */
#include <ctype.h>
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

/* m (taken), with "; did you mean 'best'?" if best is near enough to want. */
static char *did_you_mean(char *m, const char *want, const char *best, unsigned d)
{
	if (!best || !(d <= 2 || d * 3 <= strlen(want)))
		return m;
	char *dym = msgf("%s; did you mean '%s'?", m, best);
	free(m);
	return dym;
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
	const char *n = (size_t)t->kind < sizeof names / sizeof names[0] && names[t->kind]
		? names[t->kind] : "?";
	char *tn;
	if ((t->kind == TY_ENUM || t->kind == TY_IFACE || t->kind == TY_BITS ||
	     t->kind == TY_STRUCT) && t->decl) {
		tn = msgf("%s::%s", t->decl->ns->name, t->decl->name);
	} else if (t->kind == TY_LIST && t->elem) {
		char *e = type_name(t->elem);
		tn = msgf("list<%s, %llu>", e, (unsigned long long)t->bound);
		free(e);
	} else if (t->kind == TY_STRING || t->kind == TY_BYTES) {
		tn = msgf("%s<%llu>", n, (unsigned long long)t->bound);
	} else {
		tn = strdup(n);
	}
	if (t->optional && tn) {
		char *o = msgf("%s?", tn);
		free(tn);
		tn = o;
	}
	return tn;
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

static const struct unit *const_unit;
static const struct ns *const_home;

void value_constants(const struct unit *u, const struct ns *home)
{
	const_unit = u;
	const_home = home;
}

/* The constant text names: NAME in the home namespace, NS::NAME in any. */
static const struct decl *constant(const char *text)
{
	const char *sep = strstr(text, "::"), *name = sep ? sep + 2 : text;
	size_t nslen = sep ? (size_t)(sep - text) : 0;
	for (const struct ns *n = const_unit ? const_unit->nss : NULL; n; n = n->next) {
		if (sep ? strlen(n->name) != nslen || memcmp(n->name, text, nslen) != 0 : n != const_home)
			continue;
		for (const struct decl *d = n->decls; d; d = d->next)
			if (d->kind == D_CONST && strcmp(d->name, name) == 0)
				return d;
	}
	return NULL;
}

/* The wire word of text, a number or a constant's name, as an integer in
 * r, sign-extended; false if it is not one. */
static bool int_word(struct int_range r, const char *text, uint64_t *w)
{
	bool neg;
	uint64_t mag;
	const struct decl *k;
	if ((k = constant(text)) != NULL) {    /* check keeps its value as a literal's */
		neg = k->num.negative;
		mag = k->num.literal;
	} else if (!parse_number(text, &neg, &mag)) {
		return false;
	}
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

static void encode_word(const struct item *it, struct val *v, struct ipc_words *c, uint32_t *w)
{
	(void)it;
	c->word[(*w)++] = v->word;
}

/* The word at *w, if it holds a value of the type's range (as ipc_dec_T). */
static bool decode_int(const struct item *it, const struct ipc_words *c, uint32_t *w,
                       struct val *v)
{
	if (*w >= c->n)
		return false;
	uint64_t x = c->word[*w];
	struct int_range r = int_range(it->type);
	if (r.min < 0) {
		int64_t s = ipc_word_signed(x);
		if (s < r.min || (s > 0 && (uint64_t)s > r.max))
			return false;
	} else if (x > r.max) {
		return false;
	}
	(*w)++;
	v->word = x;
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

/* The member of t named name, or NULL. */
static const struct member *member_named(const struct typeref *t, const char *name)
{
	for (const struct member *mb = t->decl->members; mb; mb = mb->next)
		if (strcmp(mb->name, name) == 0)
			return mb;
	return NULL;
}

/* "expected T (A, B, C<how>), got "text"", and the member nearest to word. */
static char *member_complaint(const struct typeref *t, const char *how, const char *text,
                              const char *word)
{
	const struct member *best = NULL;
	unsigned bestd = ~0u;
	char *names = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&names, &n);
	if (!f)
		return strdup("out of memory");
	for (const struct member *mb = t->decl->members; mb; mb = mb->next) {
		fprintf(f, "%s%s", mb == t->decl->members ? "" : ", ", mb->name);
		unsigned d = edit_distance(mb->name, word);
		if (d < bestd)
			bestd = d, best = mb;
	}
	fputs(how, f);
	fclose(f);
	char *m = expected(t, names, text);
	free(names);
	return did_you_mean(m, word, best ? best->name : NULL, bestd);
}

static char *parse_enum(const struct item *it, const char *text, struct val *v)
{
	const struct typeref *t = it->type;
	const struct member *mb = member_named(t, text);
	if (mb) {
		v->word = (uint64_t)mb->value;
		return NULL;
	}
	if (int_word(int_range(t), text, &v->word) && enum_member(t, v->word))
		return NULL;
	return member_complaint(t, ", or a member's value", text, text);
}

static bool decode_enum(const struct item *it, const struct ipc_words *c, uint32_t *w,
                        struct val *v)
{
	uint32_t at = *w;
	if (!decode_int(it, c, &at, v) || !enum_member(it->type, v->word))
		return false;
	*w = at;
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

/* ---- bit sets ------------------------------------------------------------------ */

/* Members' names joined with '|' (spaces around them allowed), numbers
 * among them: no bit outside the members'. */
static char *parse_bits(const struct item *it, const char *text, struct val *v)
{
	const struct typeref *t = it->type;
	uint64_t w = 0;
	for (const char *p = text;; p++) {
		size_t n = strcspn(p, "|");
		while (n && isspace((unsigned char)*p))
			p++, n--;
		while (n && isspace((unsigned char)p[n - 1]))
			n--;
		char *part = strndup(p, n);
		if (!part)
			return strdup("out of memory");
		const struct member *mb = member_named(t, part);
		uint64_t x;
		if (mb) {
			x = (uint64_t)mb->value;
		} else if (!int_word((struct int_range){0, UINT64_MAX}, part, &x) || (x & ~t->decl->mask)) {
			char *m = member_complaint(t, " joined with '|', or a number", text, part);
			free(part);
			return m;
		}
		free(part);
		w |= x;
		p += strcspn(p, "|");
		if (!*p)
			break;
	}
	v->word = w;
	return NULL;
}

/* As the generated NS_NAME_get: a word with no bit outside the members'. */
static bool decode_bits(const struct item *it, const struct ipc_words *c, uint32_t *w,
                        struct val *v)
{
	if (*w >= c->n || (c->word[*w] & ~it->type->decl->mask))
		return false;
	v->word = c->word[(*w)++];
	return true;
}

/* "READ|WRITE", as it would be written; "0" for none. */
static void print_bits(FILE *f, bool json, const struct item *it, const struct val *v)
{
	uint64_t left = v->word;
	bool first = true;
	if (json)
		putc('"', f);
	for (const struct member *mb = it->type->decl->members; mb; mb = mb->next) {
		uint64_t b = (uint64_t)mb->value;
		if (b && (v->word & b) == b && (left & b)) {
			fprintf(f, "%s%s", first ? "" : "|", mb->name);
			left &= ~b;
			first = false;
		}
	}
	if (left || first)
		fprintf(f, left ? "%s0x%llx" : "%s%llu", first ? "" : "|", (unsigned long long)left);
	if (json)
		putc('"', f);
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

static void encode_array(const struct item *it, struct val *v, struct ipc_words *c, uint32_t *w)
{
	(void)it;
	ipc_w_put_raw(c, w, v->bytes, v->len);
}

/* As the generated client: ipc_w_get_str or ipc_w_get_bytes, within the bound. */
static bool decode_array(const struct item *it, const struct ipc_words *c, uint32_t *w,
                         struct val *v)
{
	size_t bound = (size_t)it->type->bound;
	if (!(v->bytes = malloc(bound + 1)))
		return false;
	if (it->type->kind == TY_STRING) {
		if (!ipc_w_get_str(c, w, (char *)v->bytes, bound))
			return false;
		v->len = strlen((char *)v->bytes);
		return true;
	}
	return ipc_w_get_bytes(c, w, v->bytes, bound, &v->len);
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
	/* words: a message's or a region's; a capability's kind has none */
	void (*encode)(const struct item *it, struct val *v, struct ipc_words *c, uint32_t *w);
	bool (*decode)(const struct item *it, const struct ipc_words *c, uint32_t *w,
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
static const struct kind_ops bits_ops = {
	parse_bits, one_word, word_bounds, encode_word, decode_bits, print_bits,
};
static const struct kind_ops string_ops = {
	parse_string, array_words, array_bounds, encode_array, decode_array, print_string,
};
static const struct kind_ops bytes_ops = {
	parse_bytes, array_words, array_bounds, encode_array, decode_array, print_bytes,
};
static const struct kind_ops cap_ops = {
	parse_cap, no_words, no_bounds, NULL, NULL, print_caps,   /* encode_caps, decode_caps */
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
	case TY_BITS: return &bits_ops;
	case TY_STRING: return &string_ops;
	case TY_BYTES: return &bytes_ops;
	case TY_PAGE: case TY_CAP: case TY_IFACE: return &cap_ops;
	default: return NULL;      /* void, structs and lists (below), or a kind
	                              ipcctl does not know yet */
	}
}


/* ---- structs, lists, optional values ------------------------------------------ */

static bool composite(const struct typeref *t)
{
	return t->kind == TY_STRUCT || t->kind == TY_LIST;
}

/* The item a scalar of type t is handed to its kind's functions as. */
static struct item scalar(const struct typeref *t)
{
	return (struct item){NULL, t, false, false, 0};
}

static size_t field_count(const struct decl *d)
{
	size_t n = 0;
	for (const struct param *f = d->fields; f; f = f->next)
		n++;
	return n;
}

/* The type of a struct's i-th field, or of a list's elements. */
static const struct typeref *sub_type(const struct typeref *t, size_t i)
{
	if (t->kind == TY_LIST)
		return t->elem;
	const struct param *f = t->decl->fields;
	while (i--)
		f = f->next;
	return &f->type;
}

/* Where a value is inside an argument: "ents[2].name". */
struct path {
	char s[512];
	size_t len;
};

/* Appends to the path; the length before, for path_pop. */
static size_t path_push(struct path *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static size_t path_push(struct path *p, const char *fmt, ...)
{
	size_t old = p->len;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(p->s + old, sizeof p->s - old, fmt, ap);
	va_end(ap);
	p->len = n < 0 ? old : old + (size_t)n < sizeof p->s ? old + (size_t)n : sizeof p->s - 1;
	return old;
}

static void path_pop(struct path *p, size_t old)
{
	p->len = old;
	p->s[old] = 0;
}

/* m (taken) with the path in front: "'ents[2].name': m". */
static char *at_path(const struct path *p, char *m)
{
	char *pm = msgf("'%s': %s", p->s, m);
	free(m);
	return pm;
}

/* The text of an argument as it is read. */
struct reader {
	const char *s;
	size_t at;
};

static void skip_space(struct reader *r)
{
	while (r->s[r->at] && isspace((unsigned char)r->s[r->at]))
		r->at++;
}

/* What is at r, for "got ...": a few bytes of it quoted, or "the end". */
static char *rest(const struct reader *r)
{
	const char *s = r->s + r->at;
	size_t n = strlen(s);
	if (!n)
		return strdup("the end");
	if (n > 16) {
		n = 16;
		while (n && ((unsigned char)s[n] & 0xc0) == 0x80)   /* not inside a character */
			n--;
	}
	char *t = strndup(s, n), *q = t ? quoted(t) : NULL;
	char *m = q ? msgf("%s%s", q, s[n] ? "..." : "") : strdup("out of memory");
	free(t);
	free(q);
	return m;
}

/* "'path': expected what, got ...". */
static char *syntax(const struct reader *r, const struct path *p, const char *what)
{
	char *g = rest(r);
	char *m = msgf("expected %s, got %s", what, g);
	free(g);
	return at_path(p, m);
}

/* Where the value at s[at] ends: brackets and braces balanced, quotes skipped. */
static size_t value_end(const char *s, size_t at)
{
	unsigned depth = 0;
	bool quote = false;
	for (; s[at]; at++) {
		char c = s[at];
		if (quote) {
			if (c == '\\' && s[at + 1])
				at++;
			else if (c == '"')
				quote = false;
		} else if (c == '"') {
			quote = true;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']' || c == ',') {
			if (depth == 0)
				break;
			if (c != ',' && --depth == 0)
				return at + 1;
		}
	}
	return at;
}

/* "expected T (shape), got "the value at r"", past that value. */
static char *not_shaped(const struct typeref *t, const char *shape, struct reader *r,
                        const struct path *p)
{
	size_t end = value_end(r->s, r->at);
	char *text = strndup(r->s + r->at, end - r->at);
	r->at = end;
	char *m = text ? expected(t, shape, text) : strdup("out of memory");
	free(text);
	return at_path(p, m);
}

static int hexval(const char *s, unsigned n)
{
	int v = 0;
	for (unsigned i = 0; i < n; i++) {
		int d = hexdigit(s[i]);
		if (d < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

/* Appends the code point c in UTF-8. */
static char *put_utf8(char *o, unsigned c)
{
	if (c < 0x80) {
		*o++ = (char)c;
	} else if (c < 0x800) {
		*o++ = (char)(0xc0 | c >> 6);
		*o++ = (char)(0x80 | (c & 0x3f));
	} else if (c < 0x10000) {
		*o++ = (char)(0xe0 | c >> 12);
		*o++ = (char)(0x80 | (c >> 6 & 0x3f));
		*o++ = (char)(0x80 | (c & 0x3f));
	} else {
		*o++ = (char)(0xf0 | c >> 18);
		*o++ = (char)(0x80 | (c >> 12 & 0x3f));
		*o++ = (char)(0x80 | (c >> 6 & 0x3f));
		*o++ = (char)(0x80 | (c & 0x3f));
	}
	return o;
}

/* A quoted string at r: JSON's escapes, and \xHH for a byte.  Its text
 * (malloc'd), or NULL and *err. */
static char *read_quoted(struct reader *r, const struct path *p, char **err)
{
	const char *s = r->s;
	char *out = malloc(strlen(s + r->at) + 1), *o = out;   /* escapes only shrink */
	if (!out) {
		*err = strdup("out of memory");
		return NULL;
	}
	size_t at = r->at + 1;
	for (;;) {
		char c = s[at];
		if (!c) {
			free(out);
			*err = at_path(p, strdup("a quoted string has no closing '\"'"));
			return NULL;
		}
		at++;
		if (c == '"')
			break;
		if (c != '\\') {
			*o++ = c;
			continue;
		}
		const char *e = s + at;
		int v = -1;
		unsigned len = 1;
		switch (*e) {
		case '"': case '\\': case '/': v = *e; break;
		case 'b': v = '\b'; break;
		case 'f': v = '\f'; break;
		case 'n': v = '\n'; break;
		case 'r': v = '\r'; break;
		case 't': v = '\t'; break;
		case 'x':
			if (strlen(e) >= 3 && (v = hexval(e + 1, 2)) >= 0)
				*o++ = (char)v, len = 3;
			break;
		case 'u':
			if (strlen(e) >= 5 && (v = hexval(e + 1, 4)) >= 0) {
				len = 5;
				if (v >= 0xd800 && v < 0xdc00 && strncmp(e + 5, "\\u", 2) == 0 &&
				    strlen(e + 5) >= 6) {
					int lo = hexval(e + 7, 4);
					if (lo >= 0xdc00 && lo < 0xe000)
						v = 0x10000 + ((v - 0xd800) << 10) + (lo - 0xdc00), len = 11;
				}
				if (v >= 0xd800 && v < 0xe000)
					v = -1;     /* a lone surrogate */
				else
					o = put_utf8(o, (unsigned)v);
			}
			break;
		}
		if (v == 0 || v < 0) {
			free(out);
			char *bad = strndup(e - 1, *e == 'u' ? 6 : *e == 'x' ? 4 : 2);
			char *q = bad ? quoted(bad) : NULL;
			*err = at_path(p, v ? msgf("bad escape %s in a quoted string", q ? q : "?")
			               : strdup("a quoted string cannot hold NUL"));
			free(bad);
			free(q);
			return NULL;
		}
		if (*e != 'x' && *e != 'u')
			*o++ = (char)v;
		at += len;
	}
	*o = 0;
	r->at = at;
	return out;
}

/* Unquoted text at r, up to ',', ']', '}' or the end, without the spaces
 * after it (malloc'd). */
static char *read_bare(struct reader *r)
{
	size_t start = r->at, end;
	while (r->s[r->at] && !strchr(",]}", r->s[r->at]))
		r->at++;
	for (end = r->at; end > start && isspace((unsigned char)r->s[end - 1]); end--)
		;
	return strndup(r->s + start, end - start);
}

/* Whether the word null is at r (an absent value). */
static bool at_null(const struct reader *r)
{
	const char *s = r->s + r->at;
	return strncmp(s, "null", 4) == 0 && (!s[4] || isspace((unsigned char)s[4]) || strchr(",]}", s[4]));
}

static char *parse_in(const struct typeref *t, struct reader *r, struct path *p, struct val *v);

/* After a field or element, with the path back at its struct or list: the
 * closing character (*done, and past it), a comma (past it), or an error. */
static char *after_item(struct reader *r, struct path *p, size_t old, char close, bool *done)
{
	path_pop(p, old);
	skip_space(r);
	*done = r->s[r->at] == close;
	if (!*done && r->s[r->at] != ',')
		return syntax(r, p, close == '}' ? "',' or '}'" : "',' or ']'");
	r->at++;
	return NULL;
}

static char *struct_complete(const struct decl *d, const struct path *p, struct val *v);

static char *parse_struct(const struct typeref *t, struct reader *r, struct path *p, struct val *v)
{
	const struct decl *d = t->decl;
	if (r->s[r->at] != '{')
		return not_shaped(t, "{FIELD=VALUE, ...}", r, p);
	r->at++;
	v->nsub = field_count(d);
	if (!(v->sub = calloc(v->nsub + 1, sizeof *v->sub)))
		return v->nsub = 0, strdup("out of memory");
	for (;;) {
		skip_space(r);
		if (r->s[r->at] == '}')
			break;
		char *key, *err = NULL;
		if (r->s[r->at] == '"') {
			if (!(key = read_quoted(r, p, &err)))
				return err;
		} else {
			size_t start = r->at;
			while (r->s[r->at] == '_' || isalnum((unsigned char)r->s[r->at]))
				r->at++;
			if (r->at == start)
				return syntax(r, p, "a field's name or '}'");
			key = strndup(r->s + start, r->at - start);
		}
		if (!key)
			return strdup("out of memory");
		size_t i = 0;
		const struct param *f, *best = NULL;
		unsigned bestd = ~0u;
		for (f = d->fields; f && strcmp(f->name, key) != 0; f = f->next, i++) {
			unsigned dist = edit_distance(f->name, key);
			if (dist < bestd)
				bestd = dist, best = f;
		}
		if (!f) {
			char *m = at_path(p, did_you_mean(msgf("%s::%s has no field '%s'", d->ns->name,
			                                       d->name, key), key, best ? best->name : NULL,
			                                  bestd));
			free(key);
			return m;
		}
		free(key);
		size_t old = path_push(p, ".%s", f->name);
		skip_space(r);
		if (r->s[r->at] != '=' && r->s[r->at] != ':')
			err = syntax(r, p, "'=' after the field's name");
		else if (v->sub[i].set)
			err = at_path(p, strdup("given twice"));
		r->at++;
		bool done;
		if (err || (err = parse_in(&f->type, r, p, &v->sub[i])) != NULL ||
		    (err = after_item(r, p, old, '}', &done)) != NULL)
			return err;
		if (done)
			return struct_complete(d, p, v);
	}
	r->at++;
	return struct_complete(d, p, v);
}

/* Absent, the optional fields not given; an error for any other. */
static char *struct_complete(const struct decl *d, const struct path *p, struct val *v)
{
	size_t i = 0;
	for (const struct param *f = d->fields; f; f = f->next, i++) {
		if (v->sub[i].set)
			continue;
		if (!f->type.optional) {
			char *tn = type_name(&f->type);
			char *m = at_path(p, msgf("missing field '%s' (%s)", f->name, tn));
			free(tn);
			return m;
		}
		v->sub[i].set = v->sub[i].absent = true;
	}
	return NULL;
}

static char *parse_list(const struct typeref *t, struct reader *r, struct path *p, struct val *v)
{
	if (r->s[r->at] != '[')
		return not_shaped(t, "[VALUE, ...]", r, p);
	r->at++;
	size_t cap = 0;
	for (;;) {
		skip_space(r);
		if (r->s[r->at] == ']')
			break;
		if (!r->s[r->at])
			return syntax(r, p, "a value or ']'");
		if (v->nsub == t->bound) {
			char *tn = type_name(t);
			char *m = at_path(p, msgf("expected %s (at most %llu elements), got more", tn,
			                          (unsigned long long)t->bound));
			free(tn);
			return m;
		}
		if (v->nsub == cap) {
			size_t ncap = cap ? 2 * cap : 4;
			struct val *sub = realloc(v->sub, ncap * sizeof *sub);
			if (!sub)
				return strdup("out of memory");
			memset(sub + cap, 0, (ncap - cap) * sizeof *sub);
			v->sub = sub;
			cap = ncap;
		}
		size_t old = path_push(p, "[%zu]", v->nsub);
		bool done;
		char *err = parse_in(t->elem, r, p, &v->sub[v->nsub++]);
		if (err || (err = after_item(r, p, old, ']', &done)) != NULL)
			return err;
		if (done)
			return NULL;
	}
	r->at++;
	return NULL;
}

/* A value of type t at r, inside a struct or list argument (or one). */
static char *parse_in(const struct typeref *t, struct reader *r, struct path *p, struct val *v)
{
	char *err = NULL, *text;
	skip_space(r);
	if (t->optional && at_null(r)) {
		r->at += 4;
		v->absent = true;
	} else if (t->kind == TY_STRUCT) {
		err = parse_struct(t, r, p, v);
	} else if (t->kind == TY_LIST) {
		err = parse_list(t, r, p, v);
	} else if (r->s[r->at] == '{' || r->s[r->at] == '[') {
		size_t end = value_end(r->s, r->at);
		char *tn = type_name(t);
		text = strndup(r->s + r->at, end - r->at);
		char *q = text ? quoted(text) : NULL;
		err = at_path(p, msgf("expected %s, got %s", tn, q ? q : "?"));
		free(tn);
		free(text);
		free(q);
	} else {
		text = r->s[r->at] == '"' ? read_quoted(r, p, &err) : read_bare(r);
		if (text) {
			struct item it = scalar(t);
			if ((err = ops(t)->parse(&it, text, v)) != NULL)
				err = at_path(p, err);
			free(text);
		} else if (!err) {
			err = strdup("out of memory");
		}
	}
	if (!err)
		v->set = true;
	return err;
}

/* The words v takes in a message. */
static size_t val_words(const struct typeref *t, const struct val *v)
{
	if (t->optional && v->absent)
		return 1;
	size_t n = t->optional + (t->kind == TY_LIST);
	if (composite(t)) {
		for (size_t i = 0; i < v->nsub; i++)
			n += val_words(sub_type(t, i), &v->sub[i]);
	} else {
		struct item it = scalar(t);
		n += ops(t)->words(&it, v);
	}
	return n;
}

/* Encodes v at word *w of c, a message's or a region's (val_words
 * checked that it fits). */
static void encode_val(const struct typeref *t, struct val *v, struct ipc_words *c, uint32_t *w)
{
	if (t->optional) {
		c->word[(*w)++] = !v->absent;
		if (v->absent)
			return;
	}
	if (t->kind == TY_LIST)
		c->word[(*w)++] = v->nsub;
	if (composite(t)) {
		for (size_t i = 0; i < v->nsub; i++)
			encode_val(sub_type(t, i), &v->sub[i], c, w);
	} else {
		struct item it = scalar(t);
		ops(t)->encode(&it, v, c, w);
	}
}

/* The fewest words a value of t takes. */
static uint64_t least_words(const struct typeref *t)
{
	uint64_t n = 0;
	if (t->optional || t->kind != TY_STRUCT)
		return 1;
	for (const struct param *f = t->decl->fields; f; f = f->next)
		n += least_words(&f->type);
	return n;
}

/* Decodes v at word *w of c, a message's or a region's, as the generated
 * client's put_dec does; false: malformed. */
static bool decode_val(const struct typeref *t, const struct ipc_words *c, uint32_t *w,
                       struct val *v)
{
	if (t->optional) {
		if (*w >= c->n || c->word[*w] > 1)
			return false;
		if (c->word[(*w)++] == 0)
			return v->absent = v->set = true;
	}
	size_t n = 1;
	if (t->kind == TY_STRUCT) {
		n = field_count(t->decl);
	} else if (t->kind == TY_LIST) {
		if (*w >= c->n || c->word[*w] > t->bound)
			return false;
		n = (size_t)c->word[(*w)++];
		/* Elements that take words cannot be more than the words left. */
		uint64_t least = least_words(t->elem);
		if (least ? n > (c->n - *w) / least : n > 1u << 16)
			return false;
	}
	if (composite(t)) {
		if (!(v->sub = calloc(n + 1, sizeof *v->sub)))
			return false;
		v->nsub = n;
		for (size_t i = 0; i < n; i++)
			if (!decode_val(sub_type(t, i), c, w, &v->sub[i]))
				return false;
		return v->set = true;
	}
	struct item it = scalar(t);
	return v->set = ops(t)->decode(&it, c, w, v);
}

/* Prints v: text as an argument is written, or JSON. */
static void print_val(FILE *f, bool json, const struct typeref *t, const struct val *v)
{
	if (t->optional && v->absent) {
		fputs("null", f);
		return;
	}
	if (t->kind == TY_LIST) {
		putc('[', f);
		for (size_t i = 0; i < v->nsub; i++) {
			fputs(i ? ", " : "", f);
			print_val(f, json, t->elem, &v->sub[i]);
		}
		putc(']', f);
	} else if (t->kind == TY_STRUCT) {
		putc('{', f);
		size_t i = 0;
		for (const struct param *p = t->decl->fields; p && i < v->nsub; p = p->next, i++) {
			fprintf(f, json ? "%s\"%s\": " : "%s%s=", i ? ", " : "", p->name);
			print_val(f, json, &p->type, &v->sub[i]);
		}
		putc('}', f);
	} else {
		struct item it = scalar(t);
		ops(t)->print(f, json, &it, v);
	}
}

static void free_val(const struct typeref *t, struct val *v)
{
	for (size_t i = 0; i < v->nsub; i++)
		free_val(sub_type(t, i), &v->sub[i]);
	free(v->sub);
	free(v->bytes);
	ipc_drop_caps(v->cap, v->ncaps, 0);
	*v = (struct val){0};
}

/* ---- values ------------------------------------------------------------------------ */

bool value_supported(const struct typeref *t)
{
	if (t->kind == TY_STRUCT) {
		for (const struct param *f = t->decl->fields; f; f = f->next)
			if (!value_supported(&f->type))
				return false;
		return true;
	}
	if (t->kind == TY_LIST)
		return t->elem && value_supported(t->elem);
	return ops(t) != NULL;
}

char *value_parse(const struct item *it, const char *text, struct val *v)
{
	const struct typeref *t = it->type;
	struct path p = {.len = 0};
	path_push(&p, "%s", it->name);
	char *m = NULL;
	if (t->optional && strcmp(text, "null") == 0) {
		v->absent = true;
	} else if (composite(t)) {
		struct reader r = {text, 0};
		m = parse_in(t, &r, &p, v);
		skip_space(&r);
		if (!m && text[r.at])
			m = syntax(&r, &p, "nothing after the value");
	} else if ((m = ops(t)->parse(it, text, v)) != NULL) {
		m = at_path(&p, m);
	}
	if (!m)
		v->set = true;
	return m;
}

bool value_omit(const struct item *it, struct val *v)
{
	if (!it->type->optional)
		return false;
	v->absent = v->set = true;
	return true;
}

void value_words(const struct item *it, unsigned *min, unsigned *max)
{
	if (it->type->optional || composite(it->type)) {
		*min = 0;
		*max = IPC_MAX_WORDS;
	} else {
		ops(it->type)->bounds(it, min, max);
	}
}

bool value_fits(const struct item *it, const struct val *v, const struct cursor *c)
{
	return val_words(it->type, v) <= IPC_MAX_WORDS - c->word &&
	       v->ncaps <= IPC_MAX_CAPS - c->cap;
}

void value_encode(const struct item *it, struct val *v, struct ipc_msg *m, struct cursor *c)
{
	struct ipc_words words = ipc_words_out(m);
	if (type_is_cap(it->type))
		encode_caps(it, v, m, c);
	else
		encode_val(it->type, v, &words, &c->word);
}

bool value_decode(const struct item *it, const struct ipc_msg *m, struct cursor *c, struct val *v)
{
	struct ipc_words words = ipc_words_in(m);
	if (type_is_cap(it->type))
		return v->set = decode_caps(it, m, c, v);
	return decode_val(it->type, &words, &c->word, v);
}

bool value_owords(const struct item *it)
{
	return it->ool && ool_as_words(it->type);
}

/* A struct that may go out of line: a length word before it inline. */
static bool boxed(const struct item *it)
{
	return it->ool && ool_boxed(it->type);
}

int value_put_olist(const struct item *it, struct val *v, struct ipc_msg *m, struct cursor *c,
                    ipc_cap *ool)
{
	size_t n = val_words(it->type, v);
	struct ipc_olist l;
	*ool = IPC_CAP_NONE;
	if (c->word >= IPC_MAX_WORDS || (n <= it->ool_min && n + boxed(it) > IPC_MAX_WORDS - c->word))
		return IPC_EINVAL;
	if (boxed(it))
		ipc_obox_begin(&l, m, c->word, it->ool_min);
	else
		ipc_olist_begin(&l, m, c->word, it->ool_min);
	if (n > it->ool_min && !ipc_olist_spill(&l, n))   /* its words in a region of their own */
		return IPC_ENOMEM;
	encode_val(it->type, v, &l.c, &l.w);
	l.ok = true;
	return ipc_olist_end(&l, m, &c->word, ool) ? 0 : IPC_ENOMEM;
}

bool value_get_olist(const struct item *it, const struct ipc_msg *m, struct cursor *c,
                     struct val *v, size_t *n, bool *ool)
{
	struct ipc_olist l;
	if (!(boxed(it) ? ipc_get_obox : ipc_get_olist)(&l, m, &c->word, (size_t)type_words(it->type),
	                                                it->ool_min, n, ool))
		return false;
	return *ool || (decode_val(it->type, &l.c, &c->word, v) && ipc_olist_fits(&l, c->word));
}

bool value_read_olist(const struct item *it, ipc_cap region, size_t n, struct val *v)
{
	struct ipc_olist l = {.o = IPC_OOL_INIT};
	bool ok = ipc_olist_map(&l, region, n) && decode_val(it->type, &l.c, &l.w, v);
	return ipc_olist_unmap(&l, ok);
}

void value_print(FILE *f, bool json, const struct item *it, const struct val *v)
{
	if (type_is_cap(it->type) && it->type->optional && v->ncaps == 0)
		fputs(json ? "null" : "(absent)", f);
	else if (type_is_cap(it->type))
		ops(it->type)->print(f, json, it, v);
	else if (it->type->optional && v->absent && !json)
		fputs("(absent)", f);
	else
		print_val(f, json, it->type, v);
}

void value_free(const struct item *it, struct val *v)
{
	free_val(it->type, v);
}
