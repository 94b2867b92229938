/*
 * manifest.c: the manifest parser (see manifest.h and mercury_manifest(5)).
 * Line by line: blank lines and lines starting with '#' or ';' are
 * comments; "[section]" switches section; anything else is KEY=VALUE,
 * and in [capabilities] the key is SLOT:TYPE and the value a list of
 * key=value pairs separated by commas, of which name= may name a fixed
 * slot.  The first error stops the parse.
 */
#include "elf64.h"
#include "manifest.h"

struct span {
	const char *p;
	size_t n;
};

static size_t strlen_(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

static struct span trim(struct span s)
{
	while (s.n && is_space(*s.p))
		s.p++, s.n--;
	while (s.n && is_space(s.p[s.n - 1]))
		s.n--;
	return s;
}

static bool eq(struct span s, const char *lit)
{
	size_t i = 0;
	for (; lit[i]; i++)
		if (i >= s.n || s.p[i] != lit[i])
			return false;
	return i == s.n;
}

/* Splits s at the first c: false if there is none. */
static bool split(struct span s, char c, struct span *a, struct span *b)
{
	for (size_t i = 0; i < s.n; i++) {
		if (s.p[i] == c) {
			*a = trim((struct span){ s.p, i });
			*b = trim((struct span){ s.p + i + 1, s.n - i - 1 });
			return true;
		}
	}
	return false;
}

static bool number(struct span s, unsigned base, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;
	if (s.n == 0 || s.n > 16)
		return false;
	for (size_t i = 0; i < s.n; i++) {
		char c = s.p[i];
		unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
			: base == 16 && c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
			: base == 16 && c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 99;
		if (d >= base)
			return false;
		x = x * base + d;
	}
	*v = x;
	return x <= max;
}

/* dst (room for cap bytes) = a, at most 40 bytes of s (unprintable ones as
 * '?'), b. */
static void compose(char *dst, size_t cap, const char *a, struct span s, const char *b)
{
	size_t n = 0;
	cap--;
	for (; *a && n < cap; a++)
		dst[n++] = *a;
	for (size_t i = 0; i < s.n && i < 40 && n < cap; i++)
		dst[n++] = (s.p[i] >= 0x20 && s.p[i] < 0x7f) ? s.p[i] : '?';
	for (; b && *b && n < cap; b++)
		dst[n++] = *b;
	dst[n] = 0;
}

static int fail(struct mf_error *err, unsigned line, const char *a, struct span s, const char *b)
{
	err->line = line;
	err->note_line = 0;
	err->note[0] = 0;
	compose(err->msg, sizeof(err->msg), a, s, b);
	return -1;
}

/* fail's error, with a note about another line. */
static int fail_note(struct mf_error *err, unsigned line, const char *msg, unsigned note_line, const char *a,
                     struct span s, const char *b)
{
	fail(err, line, msg, (struct span){ "", 0 }, NULL);
	err->note_line = note_line;
	compose(err->note, sizeof(err->note), a, s, b);
	return -1;
}
#define NOSPAN ((struct span){ "", 0 })

static struct span span_of(const char *s) { return (struct span){ s, strlen_(s) }; }

static const char *const type_names[MF_TYPE_COUNT] = {
#define MF_X_(e, s) s,
	MF_TYPE_LIST(MF_X_)
#undef MF_X_
};

const char *mf_type_name(enum mf_type t)
{
	return (unsigned)t < MF_TYPE_COUNT ? type_names[t] : "?";
}

static const char *const suffix_ports[] = { "_MIN", "_MAX", NULL }, *const suffix_irq[] = { "_LINE", NULL },
	*const suffix_none[] = { NULL };

const char *const *mf_name_suffixes(enum mf_type t)
{
	return t == MF_IOPORT ? suffix_ports : t == MF_IRQ ? suffix_irq : suffix_none;
}

/* A name: a C identifier of 1 to 31 characters. */
static bool is_name(struct span s)
{
	if (s.n == 0 || s.n > 31 || (s.p[0] >= '0' && s.p[0] <= '9'))
		return false;
	for (size_t i = 0; i < s.n; i++) {
		char c = s.p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

/* The header's macro for name with suffix sfx: MANIFEST_NAME_SFX. */
static void macro_of(char out[48], const char *name, const char *sfx)
{
	size_t n = 0;
	for (const char *p = "MANIFEST_"; *p; p++)
		out[n++] = *p;
	for (; *name && n < 40; name++)
		out[n++] = *name >= 'a' && *name <= 'z' ? (char)(*name - 'a' + 'A') : *name;
	for (; sfx && *sfx && n < 47; sfx++)
		out[n++] = *sfx;
	out[n] = 0;
}

/* The next character of a name, then of its suffix, in capitals; 0 at
 * the end. */
static char macro_char(const char **p, const char **sfx)
{
	if (!**p) {
		*p = *sfx;
		*sfx = "";
	}
	char c = **p;
	if (c)
		(*p)++;
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* Would name a with suffix sa give the macro that b with sb gives?
 * (Without writing them: the loader parses every driver's manifest.) */
static bool same_macro(const char *a, const char *sa, const char *b, const char *sb)
{
	char x, y;
	do {
		x = macro_char(&a, &sa);
		y = macro_char(&b, &sb);
	} while (x == y && x);
	return x == y;
}

/* Every macro the header defines for c against those of the named
 * capabilities before it: one macro, one capability. */
static int check_name(const struct manifest *m, const struct mf_cap *c, struct mf_error *err)
{
	static const char *const none[] = { "", NULL };
	for (unsigned i = 0; i < m->ncaps; i++) {
		const struct mf_cap *o = &m->cap[i];
		if (!o->name[0])
			continue;
		for (unsigned a = 0; a < 2; a++) {
			const char *const *sc = a ? mf_name_suffixes(c->type) : none;
			for (; *sc; sc++) {
				for (unsigned b = 0; b < 2; b++) {
					const char *const *so = b ? mf_name_suffixes(o->type) : none;
					for (; *so; so++) {
						if (!same_macro(c->name, *sc, o->name, *so))
							continue;
						char mc[48], msg[160];
						macro_of(mc, c->name, *sc);
						compose(msg, sizeof(msg), "name '", span_of(c->name), "' clashes with '");
						compose(msg + strlen_(msg), sizeof(msg) - strlen_(msg), "", span_of(o->name),
						        "': both would define ");
						compose(msg + strlen_(msg), sizeof(msg) - strlen_(msg), mc, NOSPAN, NULL);
						return fail_note(err, c->line, msg, o->line, "'", span_of(o->name), "' is named here");
					}
				}
			}
		}
	}
	return 0;
}

static bool copy_str(char *dst, size_t cap, struct span s)
{
	if (s.n >= cap)
		return false;
	for (size_t i = 0; i < s.n; i++) {
		if ((unsigned char)s.p[i] < 0x20 || s.p[i] == 0x7f)
			return false;
		dst[i] = s.p[i];
	}
	dst[s.n] = 0;
	return true;
}

/* Which keys each type takes. */
enum { K_MIN = 1, K_MAX = 2, K_IRQ = 4, K_NOTE = 8, K_PAGES = 16 };
static const unsigned type_keys[MF_TYPE_COUNT] = {
	[MF_IOPORT] = K_MIN | K_MAX, [MF_NOTE] = 0, [MF_IRQ] = K_IRQ | K_NOTE,
	[MF_CSPACE] = 0, [MF_VSPACE] = 0, [MF_MEMORY] = K_PAGES,
};

/* SLOT:TYPE = key=value, ... */
static int parse_cap(struct span key, struct span val, unsigned line, struct manifest *m,
                     struct mf_error *err)
{
	struct span slot, type;
	if (!split(key, ':', &slot, &type))
		return fail(err, line, "expected SLOT:TYPE, got '", key, "'");
	if (m->ncaps == MF_MAX_CAPS)
		return fail(err, line, "too many capabilities (at most 32)", NOSPAN, NULL);
	struct mf_cap *c = &m->cap[m->ncaps];
	*c = (struct mf_cap){ .slot = MF_ANY, .note = MF_ANY, .line = line };
	uint64_t v;
	if (!eq(slot, "_")) {
		if (!number(slot, 10, MF_MAX_SLOT, &v))
			return fail(err, line, "slot must be '_' or a number from 0 to 127, got '", slot, "'");
		c->slot = (int)v;
		for (unsigned i = 0; i < m->ncaps; i++)
			if (m->cap[i].slot == c->slot) {
				char msg[64];
				compose(msg, sizeof(msg), "slot ", slot, " is declared twice");
				return fail_note(err, line, msg, m->cap[i].line, "slot ", slot, " is declared here first");
			}
	}
	unsigned t = 0;
	while (t < MF_TYPE_COUNT && !eq(type, type_names[t]))
		t++;
	if (t == MF_TYPE_COUNT)
		return fail(err, line, "unknown capability type '", type,
		            "' (expected ioport, note, irq, cspace, vspace or memory)");
	c->type = (enum mf_type)t;
	unsigned seen = 0;
	bool self = false;
	while (val.n) {
		struct span item = val, rest = NOSPAN, k, x;
		split(val, ',', &item, &rest);
		item = trim(item);
		if (split(item, '=', &k, &x) && eq(k, "name")) {
			if (c->name[0])
				return fail(err, line, "key 'name' given twice", NOSPAN, NULL);
			if (!is_name(x))
				return fail(err, line, "name must be 1 to 31 letters, digits and '_', "
				            "not starting with a digit, got '", x, "'");
			copy_str(c->name, sizeof(c->name), x);
			val = rest;
			continue;
		}
		if (c->type == MF_CSPACE || c->type == MF_VSPACE) {
			if (!eq(item, "self"))
				return fail(err, line, "expected 'self', got '", item, "'");
			if (self)
				return fail(err, line, "'self' given twice", NOSPAN, NULL);
			self = true;
			val = rest;
			continue;
		}
		if (!split(item, '=', &k, &x))
			return fail(err, line, "expected key=value, got '", item, "'");
		unsigned bitk = eq(k, "min") ? K_MIN : eq(k, "max") ? K_MAX : eq(k, "irq") ? K_IRQ
			: eq(k, "note") ? K_NOTE : eq(k, "pages") ? K_PAGES : 0;
		if (!bitk || !(type_keys[t] & bitk))
			return fail(err, line, "unexpected key '", k, "' for this capability type");
		if (seen & bitk)
			return fail(err, line, "key '", k, "' given twice");
		seen |= bitk;
		switch (bitk) {
		case K_MIN:
		case K_MAX:
			if (!number(x, 16, 0x10000, &v))
				return fail(err, line, "port must be hex from 0 to 10000, got '", x, "'");
			if (bitk == K_MIN)
				c->min = (uint32_t)v;
			else
				c->max = (uint32_t)v;
			break;
		case K_IRQ:
			if (!number(x, 10, 15, &v) || v == 0 || v == 2)
				return fail(err, line, "irq must be a line from 1 to 15 but 2, got '", x, "'");
			c->irq = (uint32_t)v;
			break;
		case K_NOTE:
			if (!number(x, 10, MF_MAX_SLOT, &v))
				return fail(err, line, "note must be the slot of a note, got '", x, "'");
			c->note = (int)v;
			break;
		case K_PAGES:
			if (!number(x, 10, MF_MAX_PAGES, &v) || v == 0)
				return fail(err, line, "pages must be from 1 to 65536, got '", x, "'");
			c->pages = (uint32_t)v;
			break;
		}
		val = rest;
	}
	if ((c->type == MF_CSPACE || c->type == MF_VSPACE) && !self)
		return fail(err, line, "expected 'self' (the only cspace and vspace a driver can have)",
		            NOSPAN, NULL);
	if (seen != type_keys[t]) {
		const char *miss = !(seen & K_MIN) && (type_keys[t] & K_MIN) ? "min="
			: !(seen & K_MAX) && (type_keys[t] & K_MAX) ? "max="
			: !(seen & K_IRQ) && (type_keys[t] & K_IRQ) ? "irq="
			: !(seen & K_NOTE) && (type_keys[t] & K_NOTE) ? "note=" : "pages=";
		return fail(err, line, "missing ", (struct span){ miss, strlen_(miss) }, NULL);
	}
	if (c->type == MF_IOPORT && c->min >= c->max)
		return fail(err, line, "empty port range: min must be below max (max is exclusive)",
		             NOSPAN, NULL);
	if (c->name[0] && c->slot == MF_ANY)
		return fail(err, line, "name= needs a fixed slot (a '_' capability is found with mercury_cap)",
		            NOSPAN, NULL);
	if (c->name[0] && check_name(m, c, err))
		return -1;
	m->ncaps++;
	return 0;
}

static const struct {
	const char *name;
	uint32_t id;
} services[] = {
#define MF_X_(s, id) { s, id },
	MF_SERVICE_LIST(MF_X_)
#undef MF_X_
};

int mf_parse(const char *text, size_t len, struct manifest *m, struct mf_error *err)
{
	enum { S_NONE, S_DRIVER, S_CAPS, S_SERVICES } sec = S_NONE;
	*m = (struct manifest){ .ncaps = 0 };
	unsigned line = 0;
	size_t pos = 0;
	while (pos < len) {
		size_t end = pos;
		while (end < len && text[end] != '\n')
			end++;
		struct span s = trim((struct span){ text + pos, end - pos });
		pos = end + 1;
		line++;
		for (size_t i = 0; i < s.n; i++)
			if (s.p[i] == 0)
				return fail(err, line, "NUL byte in the manifest", NOSPAN, NULL);
		if (s.n == 0 || s.p[0] == '#' || s.p[0] == ';')
			continue;
		if (s.p[0] == '[') {
			if (s.p[s.n - 1] != ']')
				return fail(err, line, "expected ']' to close the section name", NOSPAN, NULL);
			struct span name = trim((struct span){ s.p + 1, s.n - 2 });
			sec = eq(name, "driver") ? S_DRIVER : eq(name, "capabilities") ? S_CAPS
				: eq(name, "services") ? S_SERVICES : S_NONE;
			if (sec == S_NONE)
				return fail(err, line, "unknown section '", name,
				            "' (expected driver, capabilities or services)");
			continue;
		}
		struct span key, val;
		if (!split(s, '=', &key, &val))
			return fail(err, line, "expected KEY=VALUE, got '", s, "'");
		switch (sec) {
		case S_NONE:
			return fail(err, line, "'", key, "' outside any section (expected [driver] first)");
		case S_DRIVER:
			if (eq(key, "name")) {
				if (m->name[0])
					return fail(err, line, "name given twice", NOSPAN, NULL);
				if (val.n == 0 || !copy_str(m->name, sizeof(m->name), val))
					return fail(err, line, "name must be 1 to 31 printable characters", NOSPAN, NULL);
				m->name_line = line;
			} else if (eq(key, "desc")) {
				if (!copy_str(m->desc, sizeof(m->desc), val))
					return fail(err, line, "desc must be at most 95 printable characters", NOSPAN, NULL);
			} else if (eq(key, "restart")) {
				if (m->restart_line)
					return fail(err, line, "restart given twice", NOSPAN, NULL);
				if (!eq(val, "yes") && !eq(val, "no"))
					return fail(err, line, "restart must be yes or no, got '", val, "'");
				m->restart = eq(val, "yes");
				m->restart_line = line;
			} else {
				return fail(err, line, "unknown key '", key, "' in [driver] (expected name, desc or restart)");
			}
			break;
		case S_CAPS:
			if (parse_cap(key, val, line, m, err))
				return -1;
			break;
		case S_SERVICES: {
			unsigned i = 0, n = sizeof(services) / sizeof(services[0]);
			while (i < n && !eq(key, services[i].name))
				i++;
			if (i == n)
				return fail(err, line, "unknown service '", key,
				            "' (expected devregistry, devmgr, fs, procmgr or devloader)");
			if (val.n)
				return fail(err, line, "a service takes no value, got '", val, "'");
			for (unsigned j = 0; j < m->nservices; j++)
				if (m->service[j] == services[i].id)
					return fail(err, line, "service '", key, "' named twice");
			if (m->nservices == MF_MAX_SERVICES)
				return fail(err, line, "too many services", NOSPAN, NULL);
			m->service[m->nservices] = services[i].id;
			copy_str(m->service_name[m->nservices], sizeof(m->service_name[0]), key);
			m->service_line[m->nservices++] = line;
			break;
		}
		}
	}
	if (!m->name[0])
		return fail(err, 0, "no name= in a [driver] section", NOSPAN, NULL);
	/* Every irq's note is a note declared at that slot. */
	for (unsigned i = 0; i < m->ncaps; i++) {
		const struct mf_cap *c = &m->cap[i];
		if (c->type != MF_IRQ)
			continue;
		bool ok = false;
		for (unsigned j = 0; j < m->ncaps; j++)
			ok |= m->cap[j].type == MF_NOTE && m->cap[j].slot == c->note;
		if (!ok)
			return fail(err, c->line, "irq's note= names no note declared at a fixed slot", NOSPAN, NULL);
		for (unsigned j = 0; j < i; j++)
			if (m->cap[j].type == MF_IRQ && m->cap[j].irq == c->irq)
				return fail_note(err, c->line, "irq line declared twice", m->cap[j].line,
				                 "the line is declared here first", NOSPAN, NULL);
	}
	return 0;
}

static bool in(uint64_t off, uint64_t n, uint64_t size)
{
	return off <= size && n <= size - off;
}

/* ELF: the section named .manifest. */
/* The number v in base 10 or 16, at the end of buf (room for 24). */
static struct span numtext(char buf[24], uint64_t v, unsigned base)
{
	char *e = buf + 24, *p = e;
	do *--p = "0123456789abcdef"[v % base]; while (v /= base);
	return (struct span){ p, (size_t)(e - p) };
}

/* Ports a driver may be granted: the four PC serial ports, the CMOS clock. */
static const uint32_t grantable_ports[][2] = {
	{ 0x3f8, 0x400 }, { 0x2f8, 0x300 }, { 0x3e8, 0x3f0 }, { 0x2e8, 0x2f0 }, { 0x70, 0x72 },
};

int mf_policy(const struct manifest *m, bool trusted, struct mf_error *err)
{
	uint64_t pages = 0, limit = trusted ? MF_TRUSTED_MAX_PAGES : MF_DRIVER_MAX_PAGES;
	unsigned nports = 0, mem_line = 0;
	char a[24], b[24], msg[64];
	for (unsigned i = 0; i < m->ncaps; i++) {
		const struct mf_cap *c = &m->cap[i];
		if (c->type == MF_MEMORY) {
			pages += c->pages;
			mem_line = c->line;
		}
		if (c->type != MF_IOPORT)
			continue;
		bool ok = false;
		for (unsigned k = 0; k < sizeof(grantable_ports) / sizeof(grantable_ports[0]); k++)
			ok |= c->min >= grantable_ports[k][0] && c->max <= grantable_ports[k][1];
		if (!ok) {
			compose(msg, sizeof(msg), "ports ", numtext(a, c->min, 16), "..");
			return fail(err, c->line, msg, numtext(b, c->max, 16),
			            " are not a serial port's or the clock's: the loader grants no others");
		}
		if (++nports > MF_MAX_PORT_RANGES)
			return fail(err, c->line, "a fifth port range: a driver is granted at most 4", NOSPAN, NULL);
	}
	if (pages > limit) {
		compose(msg, sizeof(msg), "asks for ", numtext(a, pages, 10), " pages of memory in all, more than ");
		return fail(err, mem_line, msg, numtext(b, limit, 10), trusted ? "" : " (a driver's)");
	}
	for (unsigned i = 0; i < m->nservices && !trusted; i++) {
		struct span name = span_of(m->service_name[i]);
		if (eq(name, "procmgr") || eq(name, "devloader"))   /* they start and load processes */
			return fail(err, m->service_line[i], "a driver may not have the ", name, " service");
	}
	return 0;
}

int mf_find_elf(const void *image, size_t size, const char **text, size_t *len)
{
	const struct elf64_ehdr *e = image;
	const unsigned char *b = image;
	if (size < sizeof(*e) || b[0] != 0x7f || b[1] != 'E' || b[2] != 'L' || b[3] != 'F' ||
	    e->ident[4] != 2 || e->shentsize != sizeof(struct elf64_shdr) || e->shstrndx >= e->shnum ||
	    !in(e->shoff, (uint64_t)e->shnum * sizeof(struct elf64_shdr), size) || e->shoff % 8)
		return -1;
	const struct elf64_shdr *s = (const struct elf64_shdr *)(b + e->shoff);
	const struct elf64_shdr *str = &s[e->shstrndx];
	if (!in(str->offset, str->size, size))
		return -1;
	for (unsigned i = 0; i < e->shnum; i++) {
		static const char want[] = ".manifest";
		if (s[i].name >= str->size || str->size - s[i].name < sizeof(want))
			continue;
		const char *nm = (const char *)b + str->offset + s[i].name;
		bool match = true;
		for (size_t k = 0; k < sizeof(want); k++)
			match &= nm[k] == want[k];
		if (!match)
			continue;
		if (!in(s[i].offset, s[i].size, size) || s[i].type == 8 /* NOBITS */)
			return -1;
		*text = (const char *)b + s[i].offset;
		*len = s[i].size;
		return 0;
	}
	return -1;
}
