/*
 * check.c: name resolution and every semantic check.  Errors are collected
 * and all reported; a unit with any error generates nothing.
 *
 * Besides resolving types and parents, this is where the identity of each
 * interface is fixed (FNV-1a ID, label numbers, ABI fingerprint) and where
 * protocol names are mapped to C names: escaped where they would be C or C++
 * keywords or reserved names, and checked to be injective, so that two
 * protocol names never become one C name.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
/* XXH3 inlined: the fingerprint and the tables here hash short strings. */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "ipcgen.h"

/* ---- built-in types -------------------------------------------------------- */

static const struct { const char *name; enum type_kind kind; } builtins[] = {
	{"void", TY_VOID},
	{"u8", TY_U8}, {"u16", TY_U16}, {"u32", TY_U32}, {"u64", TY_U64},
	{"i8", TY_I8}, {"i16", TY_I16}, {"i32", TY_I32}, {"i64", TY_I64},
	{"uint", TY_UINT}, {"int", TY_INT}, {"size", TY_SIZE},
	{"uintptr", TY_UINTPTR}, {"bool", TY_BOOL},
	{"string", TY_STRING}, {"bytes", TY_BYTES}, {"list", TY_LIST},
	{"page", TY_PAGE}, {"cap", TY_CAP},
};

/* Whether s is exactly lit (a short literal; cheaper than strcmp's call). */
static inline bool is(const char *s, const char *lit)
{
	while (*lit && *s == *lit)
		s++, lit++;
	return *s == *lit;
}

/* The built-in type named name, or TY_UNRESOLVED: builtins[] by hand, as a
 * switch on the first letter, since every type reference comes through here. */
static enum type_kind builtin(const char *name)
{
	const char *r = name + 1;
	switch (name[0]) {
	case 'v': return is(r, "oid") ? TY_VOID : TY_UNRESOLVED;
	case 'u':
	case 'i': {
		bool u = name[0] == 'u';
		switch (r[0]) {   /* the sized ones by their digits */
		case '8': return r[1] ? TY_UNRESOLVED : u ? TY_U8 : TY_I8;
		case '1': return r[1] != '6' || r[2] ? TY_UNRESOLVED : u ? TY_U16 : TY_I16;
		case '3': return r[1] != '2' || r[2] ? TY_UNRESOLVED : u ? TY_U32 : TY_I32;
		case '6': return r[1] != '4' || r[2] ? TY_UNRESOLVED : u ? TY_U64 : TY_I64;
		}
		if (u)
			return is(r, "int") ? TY_UINT : is(r, "intptr") ? TY_UINTPTR : TY_UNRESOLVED;
		return is(r, "nt") ? TY_INT : TY_UNRESOLVED;
	}
	case 's': return is(r, "ize") ? TY_SIZE : is(r, "tring") ? TY_STRING : TY_UNRESOLVED;
	case 'b': return is(r, "ool") ? TY_BOOL : is(r, "ytes") ? TY_BYTES : TY_UNRESOLVED;
	case 'p': return is(r, "age") ? TY_PAGE : TY_UNRESOLVED;
	case 'c': return is(r, "ap") ? TY_CAP : TY_UNRESOLVED;
	case 'l': return is(r, "ist") ? TY_LIST : TY_UNRESOLVED;
	default: return TY_UNRESOLVED;
	}
}

/* Types a value parameter or a result may have. */
static bool is_value(enum type_kind k) { return k >= TY_U8 && k <= TY_LIST; }
static bool is_capability(enum type_kind k) { return k >= TY_PAGE && k <= TY_IFACE; }
static bool is_integer(enum type_kind k) { return k >= TY_U8 && k <= TY_INT; }

/* The range of an integer type. */
static void int_range(enum type_kind k, int64_t *lo, uint64_t *hi)
{
	switch (k) {
	case TY_U8: *lo = 0; *hi = UINT8_MAX; return;
	case TY_U16: *lo = 0; *hi = UINT16_MAX; return;
	case TY_U32: case TY_UINT: *lo = 0; *hi = UINT32_MAX; return;
	case TY_I8: *lo = INT8_MIN; *hi = INT8_MAX; return;
	case TY_I16: *lo = INT16_MIN; *hi = INT16_MAX; return;
	case TY_I32: case TY_INT: *lo = INT32_MIN; *hi = INT32_MAX; return;
	case TY_I64: *lo = INT64_MIN; *hi = INT64_MAX; return;
	default: *lo = 0; *hi = UINT64_MAX; return;
	}
}

/* ---- C names ------------------------------------------------------------------ */

/* Names a protocol identifier may not be in C: C and C++ keywords, and the
 * types and macros of the headers generated code includes. */
static const char *const c_taken[] = {
	"_Alignas", "_Alignof", "_Atomic", "_Bool", "_Complex", "_Generic",
	"_Imaginary", "_Noreturn", "_Static_assert", "_Thread_local",
	"alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand", "bitor",
	"bool", "break", "case", "catch", "char", "char16_t", "char32_t",
	"char8_t", "class", "co_await", "co_return", "co_yield", "compl",
	"concept", "const", "const_cast", "consteval", "constexpr", "constinit",
	"continue", "decltype", "default", "delete", "do", "double",
	"dynamic_cast", "else", "enum", "explicit", "export", "extern", "false",
	"float", "for", "fortran", "friend", "goto", "if", "inline", "int",
	"long", "mutable", "namespace", "new", "noexcept", "not", "not_eq",
	"nullptr", "operator", "or", "or_eq", "private", "protected", "public",
	"register", "reinterpret_cast", "requires", "restrict", "return",
	"short", "signed", "sizeof", "static", "static_assert", "static_cast",
	"struct", "switch", "template", "this", "thread_local", "throw", "true",
	"try", "typedef", "typeid", "typename", "typeof", "typeof_unqual",
	"union", "unsigned", "using", "virtual", "void", "volatile", "wchar_t",
	"while", "xor", "xor_eq",
	/* <stddef.h>, <stdint.h>, <stdbool.h>, <assert.h>, <errno.h> */
	"NULL", "offsetof", "size_t", "ptrdiff_t", "max_align_t", "errno",
	"assert", "int8_t", "int16_t", "int32_t", "int64_t", "uint8_t",
	"uint16_t", "uint32_t", "uint64_t", "intptr_t", "uintptr_t", "intmax_t",
	"uintmax_t", "SIZE_MAX", "INT8_MIN", "INT8_MAX", "INT16_MIN",
	"INT16_MAX", "INT32_MIN", "INT32_MAX", "INT64_MIN", "INT64_MAX",
	"UINT8_MAX", "UINT16_MAX", "UINT32_MAX", "UINT64_MAX", "INTPTR_MIN",
	"INTPTR_MAX", "UINTPTR_MAX", "INTMAX_MIN", "INTMAX_MAX", "UINTMAX_MAX",
	"PTRDIFF_MIN", "PTRDIFF_MAX", "INT8_C", "INT16_C", "INT32_C", "INT64_C",
	"UINT8_C", "UINT16_C", "UINT32_C", "UINT64_C", "INTMAX_C", "UINTMAX_C",
	"WCHAR_MIN", "WCHAR_MAX", "WINT_MIN", "WINT_MAX", "SIG_ATOMIC_MIN",
	"SIG_ATOMIC_MAX",
	"int_least8_t", "int_least16_t", "int_least32_t", "int_least64_t",
	"uint_least8_t", "uint_least16_t", "uint_least32_t", "uint_least64_t",
	"int_fast8_t", "int_fast16_t", "int_fast32_t", "int_fast64_t",
	"uint_fast8_t", "uint_fast16_t", "uint_fast32_t", "uint_fast64_t",
	"INT_LEAST8_MIN", "INT_LEAST16_MIN", "INT_LEAST32_MIN", "INT_LEAST64_MIN",
	"INT_LEAST8_MAX", "INT_LEAST16_MAX", "INT_LEAST32_MAX", "INT_LEAST64_MAX",
	"UINT_LEAST8_MAX", "UINT_LEAST16_MAX", "UINT_LEAST32_MAX", "UINT_LEAST64_MAX",
	"INT_FAST8_MIN", "INT_FAST16_MIN", "INT_FAST32_MIN", "INT_FAST64_MIN",
	"INT_FAST8_MAX", "INT_FAST16_MAX", "INT_FAST32_MAX", "INT_FAST64_MAX",
	"UINT_FAST8_MAX", "UINT_FAST16_MAX", "UINT_FAST32_MAX", "UINT_FAST64_MAX",
	/* their C23 widths, and <stddef.h>'s additions */
	"INT8_WIDTH", "INT16_WIDTH", "INT32_WIDTH", "INT64_WIDTH", "UINT8_WIDTH",
	"UINT16_WIDTH", "UINT32_WIDTH", "UINT64_WIDTH", "INT_LEAST8_WIDTH",
	"INT_LEAST16_WIDTH", "INT_LEAST32_WIDTH", "INT_LEAST64_WIDTH",
	"UINT_LEAST8_WIDTH", "UINT_LEAST16_WIDTH", "UINT_LEAST32_WIDTH",
	"UINT_LEAST64_WIDTH", "INT_FAST8_WIDTH", "INT_FAST16_WIDTH",
	"INT_FAST32_WIDTH", "INT_FAST64_WIDTH", "UINT_FAST8_WIDTH",
	"UINT_FAST16_WIDTH", "UINT_FAST32_WIDTH", "UINT_FAST64_WIDTH",
	"INTPTR_WIDTH", "UINTPTR_WIDTH", "INTMAX_WIDTH", "UINTMAX_WIDTH",
	"PTRDIFF_WIDTH", "SIG_ATOMIC_WIDTH", "SIZE_WIDTH", "WCHAR_WIDTH",
	"WINT_WIDTH", "unreachable", "nullptr_t",
	/* macros gcc and clang predefine in their default (GNU) modes, here
	 * (x86_64 and i386 Linux: gcc -dM -E - </dev/null) and on other
	 * targets they support */
	"unix", "linux", "i386", "sun", "sparc", "mips", "vax", "pdp11", "m68k",
	"mc68000", "hppa", "powerpc", "PPC", "sco", "MSDOS", "WIN32", "WIN64",
	"WINNT",
	/* the transport's include guard (its other names begin with IPC_) */
	"MERCURY_IPC_H",
	/* the names generated functions use for themselves */
	"ep", "m", "st", "result", "nresult", "has_result", "self", "reply", "status", "in",
	"out", "vt", "wi", "ok", "ix", "timeout_ms", "call", "done", "fn", "arg",
	"ipc_cap",
};

/* Headers a namespace's NS.h must not be called: code built with -I on the
 * output folder (as ipcgen(1) suggests) would find it instead of them.  The
 * standard C headers (C89 to C23), the POSIX ones outside folders
 * (POSIX.1-2024), and those that common implementations of them include by
 * a name without a folder (glibc, musl, gcc, clang), compared without case
 * for file systems that ignore it.  The runtime's headers are all under
 * mercury/, where NS.h cannot be. */
static const struct { const char *name; const char *what; } system_headers[] = {
#define H(n, w) {n, w}
	H("assert", "C"), H("complex", "C"), H("ctype", "C"), H("errno", "C"),
	H("fenv", "C"), H("float", "C"), H("inttypes", "C"), H("iso646", "C"),
	H("limits", "C"), H("locale", "C"), H("math", "C"), H("setjmp", "C"),
	H("signal", "C"), H("stdalign", "C"), H("stdarg", "C"), H("stdatomic", "C"),
	H("stdbit", "C"), H("stdbool", "C"), H("stdckdint", "C"), H("stddef", "C"),
	H("stdint", "C"), H("stdio", "C"), H("stdlib", "C"), H("stdnoreturn", "C"),
	H("string", "C"), H("tgmath", "C"), H("threads", "C"), H("time", "C"),
	H("uchar", "C"), H("wchar", "C"), H("wctype", "C"),
	H("aio", "POSIX"), H("cpio", "POSIX"), H("devctl", "POSIX"), H("dirent", "POSIX"),
	H("dlfcn", "POSIX"), H("endian", "POSIX"), H("fcntl", "POSIX"), H("fmtmsg", "POSIX"),
	H("fnmatch", "POSIX"), H("ftw", "POSIX"), H("glob", "POSIX"), H("grp", "POSIX"),
	H("iconv", "POSIX"), H("langinfo", "POSIX"), H("libgen", "POSIX"), H("libintl", "POSIX"),
	H("monetary", "POSIX"), H("mqueue", "POSIX"), H("ndbm", "POSIX"), H("netdb", "POSIX"),
	H("nl_types", "POSIX"), H("poll", "POSIX"), H("pthread", "POSIX"), H("pwd", "POSIX"),
	H("regex", "POSIX"), H("sched", "POSIX"), H("search", "POSIX"), H("semaphore", "POSIX"),
	H("spawn", "POSIX"), H("strings", "POSIX"), H("stropts", "POSIX"), H("syslog", "POSIX"),
	H("tar", "POSIX"), H("termios", "POSIX"), H("trace", "POSIX"), H("ulimit", "POSIX"),
	H("unistd", "POSIX"), H("utime", "POSIX"), H("utmpx", "POSIX"), H("wordexp", "POSIX"),
	H("alloca", "system"), H("features", "system"), H("paths", "system"),
	H("syslimits", "system"),
#undef H
};

/* The system header that a file NAME.h would hide, or -1. */
static int system_header(const char *name)
{
	for (size_t i = 0; i < sizeof system_headers / sizeof system_headers[0]; i++)
		if (strcasecmp(name, system_headers[i].name) == 0)
			return (int)i;
	return -1;
}

/* c_taken as an open-addressing set, built on first use, with a bitmap of
 * the hashes in it (at 12 bits) in front: most names are not in the set,
 * and most of those miss in the bitmap.  The hash looks at the length and
 * the first and last letters only: cheap for the many short names ("a",
 * "b", ...). */
#define TAKEN_SLOTS 1024
#define TAKEN_BITS 4096
static struct { const char *s; size_t n; } taken_set[TAKEN_SLOTS];
static uint64_t taken_bits[TAKEN_BITS / 64];

static size_t taken_hash(const char *s, size_t n)
{
	size_t f = (unsigned char)s[0], l = (unsigned char)s[n - 1];
	return (f << 5 ^ l ^ n << 8) & (TAKEN_BITS - 1);
}

static bool c_is_taken(const char *s, size_t n)
{
	static bool built;
	if (!built) {
		built = true;
		for (size_t i = 0; i < sizeof c_taken / sizeof c_taken[0]; i++) {
			size_t k = strlen(c_taken[i]), h = taken_hash(c_taken[i], k);
			taken_bits[h / 64] |= (uint64_t)1 << (h % 64);
			h &= TAKEN_SLOTS - 1;
			while (taken_set[h].s)
				h = (h + 1) & (TAKEN_SLOTS - 1);
			taken_set[h].s = c_taken[i];
			taken_set[h].n = k;
		}
	}
	if (!n)
		return false;
	/* The prefixes of the runtime's headers (the transport's, and the
	 * macros of mercury/posix.h and mercury/helios.h). */
	if (n >= 4 && (memcmp(s, "ipc_", 4) == 0 || memcmp(s, "IPC_", 4) == 0))
		return true;
	if ((n >= 8 && memcmp(s, "MERCURY_", 8) == 0) || (n >= 7 && memcmp(s, "HELIOS_", 7) == 0))
		return true;
	size_t h = taken_hash(s, n);
	if (!(taken_bits[h / 64] >> (h % 64) & 1))
		return false;
	for (h &= TAKEN_SLOTS - 1; taken_set[h].s; h = (h + 1) & (TAKEN_SLOTS - 1))
		if (taken_set[h].n == n && memcmp(taken_set[h].s, s, n) == 0)
			return true;
	return false;
}

/* Strings of C names and signatures, packed: carved out of blocks of an
 * arena (so they live as long as it) without its per-allocation rounding
 * to 16 bytes and zeroing.  Not zeroed: each maker writes its NUL. */
struct strpool {
	struct arena *a;
	char *cur, *end;
};

static char *pool_alloc(struct strpool *p, size_t n)
{
	if ((size_t)(p->end - p->cur) < n) {
		size_t cap = n > 2048 ? n : 2048;
		p->cur = arena_alloc(p->a, cap);
		p->end = p->cur + cap;
	}
	char *s = p->cur;
	p->cur += n;
	return s;
}

/* Rewrites a name C reserves by its shape: a leading '_' gains an 'x' in
 * front, and each '__' becomes '_x_'.  The result has neither shape.  With
 * tail (a global name, which the generated code extends: NAME_reply,
 * NAME_ID), a '_' at the end gains an 'x' after it too, so that no suffix
 * makes a '__'. */
static char *c_unreserve(struct strpool *p, const char *s, bool tail)
{
	size_t n = strlen(s);
	char *out = pool_alloc(p, 2 * n + 3), *o = out;
	if (s[0] == '_')
		*o++ = 'x';
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '_' && o > out && o[-1] == '_')
			*o++ = 'x';
		*o++ = s[i];
	}
	if (tail && o > out && o[-1] == '_')
		*o++ = 'x';
	*o = 0;
	return out;
}

/* The C name of a local identifier (parameter, vtable field).  *under is
 * set if s has a '_', as every global C name of the unit has. */
static const char *c_local(struct strpool *p, const char *s, bool *under)
{
	/* One pass for the length, the reserved shapes and a '_'. */
	bool reserved = s[0] == '_';
	size_t n = 0;
	*under = false;
	for (; s[n]; n++)
		if (s[n] == '_') {
			*under = true;
			reserved |= s[n + 1] == '_';
		}
	const char *r = s;
	if (reserved) {
		r = c_unreserve(p, s, false);
		n = strlen(r);
	}
	if (!c_is_taken(r, n))
		return r;
	/* A '_' at the end; an 'x' after one already there, which would
	 * otherwise make a "__". */
	char *t = pool_alloc(p, n + 2);
	memcpy(t, r, n);
	t[n] = r[n - 1] == '_' ? 'x' : '_';
	t[n + 1] = 0;
	return t;
}

/* Upper-cases s in place.  Identifiers are ASCII, and ipcgen runs in the
 * C locale, where toupper changes nothing else. */
static char *upper(char *s)
{
	for (char *p = s; *p; p++)
		if ((unsigned char)(*p - 'a') < 26)
			*p = (char)(*p - 'a' + 'A');
	return s;
}

/* An upper-case copy of s, eight bytes at a time: in each byte, the high
 * bit of lo is set from 'a' up, that of hi above 'z' (the low seven bits
 * plus a constant cannot carry into the next byte), and a letter between,
 * of a byte below 0x80, loses 0x20. */
static char *c_upper(struct strpool *p, const char *s)
{
	const uint64_t ones = 0x0101010101010101u;
	size_t n = strlen(s), i = 0;
	char *r = pool_alloc(p, n + 1);
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, s + i, 8);
		uint64_t lo = (w & 0x7f * ones) + (0x80 - 'a') * ones;
		uint64_t hi = (w & 0x7f * ones) + (0x80 - 'z' - 1) * ones;
		w ^= (lo & ~hi & ~w & 0x80 * ones) >> 2;
		memcpy(r + i, &w, 8);
	}
	for (; i <= n; i++)
		r[i] = (unsigned char)(s[i] - 'a') < 26 ? (char)(s[i] - 'a' + 'A') : s[i];
	return r;
}

/* Global C names: macros clash with everything; ordinary identifiers with
 * ordinary ones; struct and enum tags with tags. */
enum cname_kind { CN_MACRO, CN_ORDINARY, CN_TAG };

/* What a name is claimed as, for a diagnostic: the declaration it comes
 * from (a format with up to two %s, filled in with the claimant's x and
 * y), and unless it is the declaration's own name, what the generated
 * code makes of it ("the init function of interface 'io::file'"). */
enum claim_what {
	W_TAKEN, W_GUARD, W_STATUS, W_ERROR, W_ENUM, W_ENUM_VALID, W_ENUM_DEC,
	W_ENUM_NAME, W_MEMBER, W_IFACE, W_VTABLE, W_ID, W_ABI, W_INIT, W_HANDLE,
	W_DISPATCH, W_DESCRIBE, W_METHOD, W_LABEL, W_REPLY,
	W_CONST, W_STRUCT, W_STRUCT_PUT, W_STRUCT_GET, W_BITS, W_BITS_VALID, W_BITS_DEC, W_BIT,
	W_BITS_GET, W_ENUM_GET, W_PACK, W_FINISH, W_START, W_ASYNC, W_WAIT,
};
static const struct { const char *owner, *noun; } claim_what[] = {
	[W_TAKEN] = {"a name of C, C++ or their headers", NULL},
	[W_GUARD] = {"namespace '%s'", "include guard"},
	[W_STATUS] = {"namespace '%s'", "status-name function"},
	[W_ERROR] = {"error '%s::%s'", NULL},
	[W_ENUM] = {"enum '%s::%s'", NULL},
	[W_ENUM_VALID] = {"enum '%s::%s'", "validity check"},
	[W_ENUM_DEC] = {"enum '%s::%s'", "decoder"},
	[W_ENUM_NAME] = {"enum '%s::%s'", "name function"},
	[W_MEMBER] = {"enum member '%s::%s'", NULL},
	[W_IFACE] = {"interface '%s::%s'", NULL},
	[W_VTABLE] = {"interface '%s::%s'", "vtable"},
	[W_ID] = {"interface '%s::%s'", "ID"},
	[W_ABI] = {"interface '%s::%s'", "fingerprint"},
	[W_INIT] = {"interface '%s::%s'", "init function"},
	[W_HANDLE] = {"interface '%s::%s'", "handle function"},
	[W_DISPATCH] = {"interface '%s::%s'", "dispatch function"},
	[W_DESCRIBE] = {"interface '%s::%s'", "describe function"},
	[W_METHOD] = {"method '%s.%s'", NULL},
	[W_LABEL] = {"method '%s.%s'", "label"},
	[W_REPLY] = {"method '%s.%s'", "reply function"},
	[W_CONST] = {"constant '%s::%s'", NULL},
	[W_STRUCT] = {"struct '%s::%s'", NULL},
	[W_STRUCT_PUT] = {"struct '%s::%s'", "encoder"},
	[W_STRUCT_GET] = {"struct '%s::%s'", "decoder"},
	[W_BITS] = {"bits '%s::%s'", NULL},
	[W_BITS_VALID] = {"bits '%s::%s'", "validity check"},
	[W_BITS_DEC] = {"bits '%s::%s'", "decoder"},
	[W_BIT] = {"bits member '%s::%s'", NULL},
	[W_BITS_GET] = {"bits '%s::%s'", "reader"},
	[W_ENUM_GET] = {"enum '%s::%s'", "reader"},
	[W_PACK] = {"method '%s.%s'", "request packer"},
	[W_FINISH] = {"method '%s.%s'", "asynchronous reply reader"},
	[W_START] = {"method '%s.%s'", "asynchronous start"},
	[W_ASYNC] = {"method '%s.%s'", "asynchronous start with a callback"},
	[W_WAIT] = {"method '%s.%s'", "asynchronous wait"},
};

/* A declaration that claims C names (a namespace, declaration, enum member
 * or method): where it is and the x and y of its descriptions.  One each,
 * however many names it claims. */
struct claimant {
	struct loc loc;
	const void *owner;
	const char *x, *y;
};

/* A global C name and who has claimed it.  Ordinary names and macros share
 * ord (a macro is also marked as one); tags have their own. */
struct claim_entry {
	const char *name;      /* NULL: an empty slot */
	uint32_t len;
	uint32_t ord, tag;     /* claimants, indices into who[]; 0: none */
	uint8_t ord_what, tag_what;   /* enum claim_what */
	bool macro;            /* ord claimed it as a macro */
};

/* Every global C name of the unit, in one open-addressing table (linear
 * probing, at most half full), presized from the declarations so that it
 * does not grow; and the claimants, who[0] unused. */
struct claims {
	struct claim_slot {
		uint32_t hash;         /* the name's hash, high bits */
		uint32_t entry;        /* index into v, plus 1; 0: an empty slot */
	} *slot;
	size_t cap;            /* slots */
	struct claim_entry *v; /* the names, in the order they were claimed */
	size_t n, capv;
	struct claimant *who;
	size_t nwho, capwho;
};

/* A table for finding duplicates, reused from one declaration to the
 * next: keys are bytes that live as long as their entries (a name, or a
 * number in the AST).  Emptying it only moves to a new generation; slots
 * of older generations are free. */
struct dups {
	struct dup_slot {
		const void *key;
		uint32_t len, gen;
		void *value;
	} *v;
	size_t n, cap;
	uint32_t gen;
};

struct checker {
	struct unit *u;
	struct arena *a;
	struct strpool strs;   /* C names and signatures the generator uses, in the unit's arena */
	struct arena tmp;      /* names made only to be claimed; freed at the end */
	struct strpool tmpnames;   /* over tmp */
	struct diag *d;
	struct claims claims;
	struct dups names;     /* methods of an interface, members of an enum */
	struct dups values;    /* values of an enum, numbers of a namespace's errors */
	struct dups raised;    /* errors a method raises */
	struct dups ids;       /* interface ID -> decl */
	struct dups errcodes;  /* error code -> decl, across namespaces */
	struct map clashed;    /* owners with a clash reported already */
	/* Parameters and vtable entries that could be named like a global C
	 * name (they have a '_', or a length): escape_locals looks at them
	 * once the global names are known. */
	struct suspect {
		struct decl *i;
		struct method *m;
		struct param *p;   /* NULL: the vtable entry */
	} *suspects;
	size_t nsuspects, capsuspects;
#define CLAIM_BATCH 32
	struct pending_claim {
		const char *name;
		uint32_t len, who;
		uint64_t hash;
		uint8_t kind, what;
	} pend[CLAIM_BATCH];   /* claims not made yet (claim) */
	unsigned npend;
};


static void dups_clear(struct dups *t)
{
	t->n = 0;
	t->gen++;
}

static inline size_t dups_slot(const struct dups *t, const void *key, size_t len)
{
	size_t mask = t->cap - 1, i = (size_t)XXH3_64bits(key, len) & mask;
	while (t->v[i].gen == t->gen && (t->v[i].len != len || memcmp(t->v[i].key, key, len) != 0))
		i = (i + 1) & mask;
	return i;
}

/* As map_put: finds key; if absent, inserts value.  Returns the value
 * stored under key before the call, or NULL. */
static void *dups_put(struct dups *t, const void *key, size_t len, void *value)
{
	if ((t->n + 1) * 2 > t->cap) {
		struct dups old = *t;
		t->cap = old.cap ? old.cap * 2 : 32;
		t->v = table_alloc(t->cap * sizeof *t->v);
		t->gen = 1;
		for (size_t k = 0; k < old.cap; k++)
			if (old.v[k].gen == old.gen) {
				struct dup_slot *e = &t->v[dups_slot(t, old.v[k].key, old.v[k].len)];
				*e = old.v[k];
				e->gen = t->gen;
			}
		table_free(old.v, old.cap * sizeof *old.v);
	}
	struct dup_slot *e = &t->v[dups_slot(t, key, len)];
	if (e->gen == t->gen)
		return e->value;
	*e = (struct dup_slot){key, (uint32_t)len, t->gen, value};
	t->n++;
	return NULL;
}

static void dups_free(struct dups *t)
{
	table_free(t->v, t->cap * sizeof *t->v);
	*t = (struct dups){0};
}

/* Room for about n names and nwho claimants, without growing. */
/* Room for about n names and nwho claimants, without growing.  The slots
 * (8 bytes each, a megabyte for 60000 names) are all that a lookup touches
 * but for a name that is there already: they stay in the cache, where a
 * table of whole entries did not. */
static void claims_init(struct claims *t, size_t n, size_t nwho)
{
	t->cap = 64;
	while (t->cap < 2 * n)
		t->cap *= 2;
	t->slot = table_alloc(t->cap * sizeof *t->slot);
	t->capv = n + 1;
	t->v = table_alloc(t->capv * sizeof *t->v);
	t->capwho = nwho + 1;
	t->who = table_alloc(t->capwho * sizeof *t->who);
	t->nwho = 1;
}

static void claims_free(struct claims *t)
{
	table_free(t->slot, t->cap * sizeof *t->slot);
	table_free(t->v, t->capv * sizeof *t->v);
	table_free(t->who, t->capwho * sizeof *t->who);
	*t = (struct claims){0};
}

/* The slot of name: where it is, or the empty one where it would go. */
static inline size_t claims_slot(const struct claims *t, const char *name, size_t len,
                                 uint64_t h)
{
	size_t mask = t->cap - 1, i = (size_t)h & mask;
	uint32_t hi = (uint32_t)(h >> 32);
	for (; t->slot[i].entry; i = (i + 1) & mask) {
		const struct claim_entry *e = &t->v[t->slot[i].entry - 1];
		if (t->slot[i].hash == hi && e->len == len && memcmp(e->name, name, len) == 0)
			break;
	}
	return i;
}

/* The entry of name, a new one (unclaimed) if it has none.  name must live
 * as long as the table. */
static inline struct claim_entry *claims_find(struct claims *t, const char *name, size_t len,
                                              uint64_t h)
{
	size_t i = claims_slot(t, name, len, h);
	if (t->slot[i].entry)
		return &t->v[t->slot[i].entry - 1];
	if ((t->n + 1) * 2 > t->cap) {   /* the estimate fell short: grow */
		struct claims old = *t;
		t->cap *= 2;
		t->slot = table_alloc(t->cap * sizeof *t->slot);
		for (size_t k = 0; k < t->n; k++) {
			const struct claim_entry *e = &t->v[k];
			uint64_t hk = XXH3_64bits(e->name, e->len);
			size_t j = (size_t)hk & (t->cap - 1);
			while (t->slot[j].entry)
				j = (j + 1) & (t->cap - 1);
			t->slot[j] = (struct claim_slot){(uint32_t)(hk >> 32), (uint32_t)k + 1};
		}
		table_free(old.slot, old.cap * sizeof *old.slot);
		i = claims_slot(t, name, len, h);
	}
	if (t->n == t->capv) {
		struct claim_entry *v = table_alloc(2 * t->capv * sizeof *v);
		memcpy(v, t->v, t->n * sizeof *v);
		table_free(t->v, t->capv * sizeof *v);
		t->v = v;
		t->capv *= 2;
	}
	t->v[t->n] = (struct claim_entry){.name = name, .len = (uint32_t)len};
	t->slot[i] = (struct claim_slot){(uint32_t)(h >> 32), (uint32_t)++t->n};
	return &t->v[t->n - 1];
}

/* A new claimant; its index for claim(). */
static uint32_t claimant(struct checker *c, struct loc loc, const void *owner,
                         const char *x, const char *y)
{
	struct claims *t = &c->claims;
	if (t->nwho == t->capwho) {   /* the estimate fell short: grow */
		struct claimant *who = table_alloc(2 * t->capwho * sizeof *who);
		memcpy(who, t->who, t->nwho * sizeof *who);
		table_free(t->who, t->capwho * sizeof *who);
		t->who = who;
		t->capwho *= 2;
	}
	t->who[t->nwho] = (struct claimant){loc, owner, x, y};
	return (uint32_t)t->nwho++;
}

/* The owner of the names generated code must not define: those of C, C++
 * and the headers it includes (claim_taken). */
static const char taken_owner[] = "taken";

/* "the init function of interface 'io::file'", or "method 'io::file.read'". */
static const char *claim_text(struct checker *c, enum claim_what what, const struct claimant *who)
{
	const char *decl = arena_printf(c->a, claim_what[what].owner, who->x, who->y);
	return claim_what[what].noun ? arena_printf(c->a, "the %s of %s", claim_what[what].noun, decl)
	                             : decl;
}

/* Claims a global C name for claimant who, as what; name must live until
 * the end of the check.  The descriptions are only made for a clash. */
/* Claims name for claimant who now (see claim). */
static void claim_now(struct checker *c, enum cname_kind kind, const char *name, size_t len,
                      uint64_t h, uint32_t who, enum claim_what what)
{
	struct claim_entry *e = claims_find(&c->claims, name, len, h);
	uint32_t old;
	enum claim_what old_what;
	if (kind == CN_TAG) {
		old = e->tag;
		old_what = e->tag_what;
		if (!old) {
			e->tag = who;
			e->tag_what = (uint8_t)what;
			/* A tag clashes with a macro too. */
			old = e->macro ? e->ord : 0;
			old_what = e->ord_what;
		}
	} else {
		old = e->ord;
		old_what = e->ord_what;
		if (!old) {
			e->ord = who;
			e->ord_what = (uint8_t)what;
			e->macro = kind == CN_MACRO;
			/* A macro clashes with a tag too. */
			old = e->macro ? e->tag : 0;
			old_what = e->tag_what;
		}
	}
	if (!old)
		return;
	const struct claimant *me = &c->claims.who[who], *it = &c->claims.who[old];
	/* One report per declaration: its other names clash the same way. */
	const void **key = arena_alloc(c->a, sizeof *key);
	*key = me->owner;
	if (map_put(&c->clashed, (const char *)key, sizeof *key, key))
		return;
	const char *mine = claim_text(c, what, me);
	if (it->owner == taken_owner) {
		diag_error(c->d, me->loc, "%s would be the C name '%s', which C, C++ or the headers the stubs include already define; rename it",
		           mine, name);
		return;
	}
	diag_error(c->d, me->loc, "%s and %s would both be '%s' in C; rename one", mine,
	           claim_text(c, old_what, it), name);
	/* The note names the declaration, and what is made of it. */
	const char *decl = arena_printf(c->a, claim_what[old_what].owner, it->x, it->y);
	if (claim_what[old_what].noun)
		diag_note(c->d, it->loc, "%s is declared here; its %s is '%s'", decl,
		          claim_what[old_what].noun, name);
	else
		diag_note(c->d, it->loc, "%s is declared here", decl);
}

/* Claims waiting for claims_flush, their slots being fetched meanwhile:
 * a lookup is a cache miss in a table of megabytes, and a batch of them
 * overlaps the misses instead of waiting on each in turn. */
static void claims_flush(struct checker *c)
{
	for (unsigned k = 0; k < c->npend; k++) {
		const struct pending_claim *p = &c->pend[k];
		claim_now(c, (enum cname_kind)p->kind, p->name, p->len, p->hash, p->who,
		          (enum claim_what)p->what);
	}
	c->npend = 0;
}

/* Claims the global C name name for claimant who: a clash with another
 * claimant's name is reported (once per declaration).  Claims are made in
 * order, a batch at a time; claims_flush ends the batch. */
static void claim(struct checker *c, enum cname_kind kind, const char *name,
                  uint32_t who, enum claim_what what)
{
	size_t len = strlen(name);
	uint64_t h = XXH3_64bits(name, len);
	__builtin_prefetch(&c->claims.slot[(size_t)h & (c->claims.cap - 1)]);
	c->pend[c->npend++] = (struct pending_claim){name, (uint32_t)len, who, h,
	                                             (uint8_t)kind, (uint8_t)what};
	if (c->npend == CLAIM_BATCH)
		claims_flush(c);
}

/* x_y, with reserved shapes (a leading '_', a "__", a '_' at the end)
 * rewritten; a new string of p.  x is always a C name made here, by
 * c_unreserve or join (upper-cased or not), which has no such shape: only
 * an empty x or y can make one, so only y is searched. */
static inline char *join_n(struct strpool *p, const char *x, const char *y, size_t ny,
                           bool search_y)
{
	size_t nx = strlen(x);
	char *t = pool_alloc(p, nx + ny + 2);
	memcpy(t, x, nx);
	t[nx] = '_';
	memcpy(t + nx + 1, y, ny);
	t[nx + 1 + ny] = 0;
	bool reserved = nx == 0 || x[nx - 1] == '_';
	if (search_y) {
		reserved = reserved || y[0] == '_' || y[ny - 1] == '_';
		for (size_t i = 1; i < ny && !reserved; i++)
			reserved = y[i] == '_' && y[i - 1] == '_';
	}
	return reserved ? c_unreserve(p, t, true) : t;
}

static char *join(struct strpool *p, const char *x, const char *y)
{
	return join_n(p, x, y, strlen(y), true);
}

/* join with a literal suffix, which has no reserved shape: neither
 * measured nor searched. */
#define join_lit(p, x, lit) join_n(p, x, "" lit, sizeof lit - 1, false)

/* ---- resolution ---------------------------------------------------------------- */

static struct ns *find_used(struct ns *ns, const char *name)
{
	if (strcmp(ns->name, name) == 0)
		return ns;
	for (struct use *u = ns->uses; u; u = u->next)
		if (u->ns && strcmp(u->name, name) == 0)
			return u->ns;
	return NULL;
}

/* The closest known type name to a misspelt one, or NULL. */
static const char *suggest(struct ns *ns, const char *name)
{
	const char *best = NULL;
	unsigned bestd = strlen(name) > 3 ? 2 : 1;
	for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++) {
		unsigned d = edit_distance(name, builtins[i].name);
		if (d <= bestd && (!best || d < bestd)) {
			best = builtins[i].name;
			bestd = d;
		}
	}
	for (struct decl *d = ns->decls; d; d = d->next) {
		unsigned dd = edit_distance(name, d->name);
		if (dd <= bestd && (!best || dd < bestd)) {
			best = d->name;
			bestd = dd;
		}
	}
	return best;
}

static bool resolve_what(struct checker *c, struct ns *ns, struct typeref *t, const char *what);

static bool eval_num(struct checker *c, struct ns *ns, const struct numref *n,
                     uint64_t *mag, bool *neg);

/* The most elements a list may hold. */
#define LIST_MAX ((uint64_t)1 << 24)

/* string<N>, bytes<N> and list<T, N> need a bound (a number or a constant)
 * that fits a message; nothing else takes one. */
static bool check_bound(struct checker *c, struct ns *ns, struct typeref *t)
{
	bool bounded = t->kind == TY_STRING || t->kind == TY_BYTES || t->kind == TY_LIST;
	uint64_t most = t->kind == TY_LIST ? LIST_MAX : (uint64_t)(c->u->max_words - 1) * 8;
	if (t->bad_args)
		return false;
	if (t->has_bound && !bounded) {
		diag_error(c->d, t->bound_loc.src ? t->bound_loc : t->name.loc,
		           "'%s' takes no bound; only string<N>, bytes<N> and list<T, N> do",
		           t->name.name);
		return false;
	}
	if (bounded && !t->has_bound) {
		if (t->kind == TY_LIST)
			diag_error(c->d, t->name.loc, "'list' needs an element type and a bound: list<T, N>, at most N elements");
		else
			diag_error(c->d, t->name.loc, "'%s' needs a bound: %s<N>, at most N bytes",
			           t->name.name, t->name.name);
		return false;
	}
	if (!bounded)
		return true;
	if (t->bound_name) {
		struct numref n = {.name = *t->bound_name, .loc = t->bound_loc};
		bool neg;
		if (!eval_num(c, ns, &n, &t->bound, &neg))
			return false;
		t->bound_negative = neg;
	}
	if (t->bound_negative || t->bound == 0 || t->bound > most) {
		diag_error(c->d, t->bound_loc, t->kind == TY_LIST
		           ? "the bound of '%s' must be from 1 to %llu%s"
		           : "the bound of '%s' must be from 1 to %llu (what one message carries)%s",
		           t->name.name, (unsigned long long)most,
		           t->bound_negative ? arena_printf(c->a, ", not -%llu", (unsigned long long)t->bound)
		           : t->bound_name ? arena_printf(c->a, ", not %llu", (unsigned long long)t->bound) : "");
		return false;
	}
	return true;
}

static inline bool resolve(struct checker *c, struct ns *ns, struct typeref *t)
{
	/* Most references are to unbounded built-in types: nothing to check. */
	if (!t->name.ns && !t->has_bound && !t->optional) {
		enum type_kind k = builtin(t->name.name);
		if (k != TY_UNRESOLVED && k != TY_STRING && k != TY_BYTES && k != TY_LIST) {
			t->kind = k;
			return true;
		}
	}
	return resolve_what(c, ns, t, "type");
}

static bool resolve_what(struct checker *c, struct ns *ns, struct typeref *t, const char *what)
{
	struct qname *q = &t->name;
	struct ns *target = ns;
	if (q->ns) {
		target = find_used(ns, q->ns);
		if (!target) {
			diag_error(c->d, q->loc, "unknown namespace '%s' in '%s::%s'; add 'use %s;'",
			           q->ns, q->ns, q->name, q->ns);
			return false;
		}
	} else {
		t->kind = builtin(q->name);
		if (t->kind != TY_UNRESOLVED)
			return check_bound(c, ns, t);
	}
	struct decl *d = map_get(&target->syms, q->name, strlen(q->name));
	if (!d) {
		const char *hint = q->ns ? NULL : suggest(ns, q->name);
		if (q->ns)
			diag_error(c->d, q->loc, "namespace '%s' has no %s '%s'", q->ns, what, q->name);
		else if (hint)
			diag_error(c->d, q->loc, "unknown %s '%s'; did you mean '%s'?", what, q->name, hint);
		else
			diag_error(c->d, q->loc, "unknown %s '%s'", what, q->name);
		return false;
	}
	if (d->kind == D_ERROR || d->kind == D_CONST) {
		diag_error(c->d, q->loc, "'%s' is %s, not a type", q->name,
		           d->kind == D_ERROR ? "an error" : "a constant");
		return false;
	}
	t->decl = d;
	t->kind = d->kind == D_ENUM ? TY_ENUM : d->kind == D_BITS ? TY_BITS
		: d->kind == D_STRUCT ? TY_STRUCT : TY_IFACE;
	return check_bound(c, ns, t);
}

static const char *type_text(struct arena *a, const struct typeref *t)
{
	return t->name.ns ? arena_printf(a, "%s::%s", t->name.ns, t->name.name) : t->name.name;
}

static const char *qualified(struct arena *a, const struct decl *d)
{
	size_t n = strlen(d->ns->name), m = strlen(d->name);
	char *q = arena_alloc(a, n + m + 3);
	memcpy(q, d->ns->name, n);
	memcpy(q + n, "::", 2);
	memcpy(q + n + 2, d->name, m);
	return q;
}

/* ---- constants and numbers ---------------------------------------------------- */

static void check_const(struct checker *c, struct decl *d);
static bool has_length(const struct param *p);

/* The value of a number as written: a literal, or a constant's (which is
 * checked first, once).  False if it names no constant (reported). */
static bool eval_num(struct checker *c, struct ns *ns, const struct numref *n,
                     uint64_t *mag, bool *neg)
{
	if (!n->name.name) {
		*mag = n->literal;
		*neg = n->negative && n->literal != 0;
		return true;
	}
	const struct qname *q = &n->name;
	struct ns *target = q->ns ? find_used(ns, q->ns) : ns;
	if (!target) {
		diag_error(c->d, q->loc, "unknown namespace '%s' in '%s::%s'; add 'use %s;'",
		           q->ns, q->ns, q->name, q->ns);
		return false;
	}
	struct decl *d = map_get(&target->syms, q->name, strlen(q->name));
	if (!d || d->kind != D_CONST) {
		diag_error(c->d, q->loc, d ? "'%s' is not a constant; a number or a constant goes here"
		                           : "unknown constant '%s'", q->name);
		return false;
	}
	check_const(c, d);
	if (d->state != 2)
		return false;
	*mag = d->num.literal;
	*neg = d->num.negative;
	return true;
}

/* const NAME = value: a literal or another constant, from -2^63 to 2^64 - 1. */
static void check_const(struct checker *c, struct decl *d)
{
	if (d->state == 2 || d->state == 3)
		return;
	if (d->state == 1) {
		diag_error(c->d, d->loc, "constant '%s' is defined by itself", d->name);
		d->state = 3;
		return;
	}
	d->state = 1;
	uint64_t mag;
	bool neg;
	bool ok = eval_num(c, d->ns, &d->num, &mag, &neg);
	if (d->state == 3)
		return;
	if (ok && neg && mag > (uint64_t)INT64_MAX + 1) {
		diag_error(c->d, d->num.loc, "constant '%s' is below -9223372036854775808", d->name);
		ok = false;
	}
	d->state = ok ? 2 : 3;
	d->num.literal = mag;
	d->num.negative = neg;
	d->num.name.name = NULL;
}

/* ---- value types: structs, bit sets, lists, optionals --------------------------- */

/* The most words a value of type t takes on the wire (saturating). */
static uint64_t words_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

static uint64_t words_mul(uint64_t a, uint64_t b)
{
	return b && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

static uint64_t type_words(const struct typeref *t)
{
	uint64_t w;
	switch (t->kind) {
	case TY_STRING: case TY_BYTES: w = 1 + (t->bound + 7) / 8; break;
	case TY_STRUCT: w = t->decl->max_words; break;
	case TY_LIST: w = words_add(1, words_mul(t->bound, type_words(t->elem))); break;
	default: w = 1; break;
	}
	return t->optional ? words_add(w, 1) : w;
}

/* Whether t is one of language 2's values, which only the general codec
 * (gen_c) carries. */
static bool is_general(const struct typeref *t)
{
	return t->optional || t->kind == TY_STRUCT || t->kind == TY_LIST || t->kind == TY_BITS;
}

/* A value type (of a parameter, result, field or list element): resolved,
 * a value, and a list's element one a list may hold. */
static bool check_value(struct checker *c, struct ns *ns, struct typeref *t)
{
	if (!resolve(c, ns, t))
		return false;
	if (t->kind == TY_LIST) {
		struct typeref *e = t->elem;
		if (!e || !check_value(c, ns, e))
			return false;
		if (e->optional || e->kind == TY_BYTES || e->kind == TY_LIST) {
			diag_error(c->d, e->name.loc,
			           "a list of %s needs a struct around each element: 'struct NAME { x: %s%s, }' and list<NAME, N>",
			           e->optional ? "optional values" : e->kind == TY_BYTES ? "byte arrays" : "lists",
			           e->kind == TY_BYTES ? "bytes<N>" : e->kind == TY_LIST ? "list<T, N>" : "T",
			           e->optional ? "?" : "");
			return false;
		}
	}
	if (t->kind == TY_VOID && t->optional) {
		diag_error(c->d, t->opt_loc, "'void' cannot be optional");
		return false;
	}
	return true;
}

static void check_struct(struct checker *c, struct decl *d)
{
	if (!d->fields) {
		diag_error(c->d, d->loc, "struct '%s' has no fields", d->name);
		return;
	}
	dups_clear(&c->names);
	for (struct param *f = d->fields; f; f = f->next) {
		struct param *old = dups_put(&c->names, f->name, strlen(f->name), f);
		if (old) {
			diag_error(c->d, f->loc, "duplicate field '%s' in struct '%s'", f->name, d->name);
			diag_note(c->d, old->loc, "'%s' is first declared here", f->name);
		}
		if (!check_value(c, d->ns, &f->type))
			continue;
		if (!is_value(f->type.kind))
			diag_error(c->d, f->type.name.loc, "field '%s' of struct '%s' cannot have the type '%s'%s",
			           f->name, d->name, type_text(c->a, &f->type),
			           is_capability(f->type.kind) ? "; capabilities travel in a method's braces" : "");
	}
	/* The C struct's members: the fields' names, escaped, and the lengths
	 * and presence flags derived from them, all different. */
	for (struct param *f = d->fields; f; f = f->next) {
		bool under;
		f->cname = c_local(&c->strs, f->name, &under);
	}
	for (struct param *f = d->fields; f; f = f->next) {
		const char *own[3] = {
			f->cname,
			has_length(f) ? arena_printf(c->a, "n%s", f->cname) : NULL,
			f->type.optional ? arena_printf(c->a, "has_%s", f->cname) : NULL,
		};
		for (struct param *g = d->fields; g != f; g = g->next) {
			const char *other[3] = {
				g->cname,
				has_length(g) ? arena_printf(c->a, "n%s", g->cname) : NULL,
				g->type.optional ? arena_printf(c->a, "has_%s", g->cname) : NULL,
			};
			for (int x = 0; x < 3; x++)
				for (int y = 0; y < 3; y++)
					if (own[x] && other[y] && strcmp(own[x], other[y]) == 0 &&
					    strcmp(f->name, g->name) != 0) {
						diag_error(c->d, f->loc, "fields '%s' and '%s' of struct '%s' would both make the C member '%s'",
						           g->name, f->name, d->name, own[x]);
						x = y = 3;
					}
		}
	}
}

/* A struct that holds itself, through fields, lists or optionals, has no
 * size: reported once, at the field that closes the cycle.  Sets max_words. */
static bool struct_layout(struct checker *c, struct decl *d)
{
	if (d->state == 2)
		return true;
	if (d->state == 1 || d->state == 3)
		return false;
	d->state = 1;
	bool ok = true;
	uint64_t w = 0;
	for (struct param *f = d->fields; f; f = f->next) {
		const struct typeref *t = &f->type;
		while (t->kind == TY_LIST && t->elem)
			t = t->elem;
		if (t->kind == TY_STRUCT && t->decl->state == 1) {
			if (t->decl == d)
				diag_error(c->d, f->loc, "struct '%s' contains itself (field '%s')", d->name, f->name);
			else
				diag_error(c->d, f->loc, "struct '%s' contains itself (field '%s', through '%s')",
				           d->name, f->name, qualified(c->a, t->decl));
			ok = false;
			break;
		}
		if (t->kind == TY_STRUCT && !struct_layout(c, t->decl)) {
			ok = false;
			break;
		}
		w = words_add(w, type_words(&f->type));
	}
	d->max_words = w;
	d->state = ok ? 2 : 3;
	return ok;
}

/* bits NAME [: type] { A = 0x1, B, ... }: each member one bit, distinct;
 * a member without a value takes the bit after the one before (the first,
 * bit 0). */
static void check_bits(struct checker *c, struct decl *e)
{
	if (e->has_base) {
		if (!resolve_what(c, e->ns, &e->base, "type"))
			return;
		enum type_kind k = e->base.kind;
		if (!(k == TY_U8 || k == TY_U16 || k == TY_U32 || k == TY_U64 || k == TY_UINT)) {
			diag_error(c->d, e->base.name.loc,
			           "the type of bits '%s' must be an unsigned integer type (u8, u16, u32, u64), not '%s'",
			           e->name, type_text(c->a, &e->base));
			return;
		}
	} else {
		e->base.kind = TY_U32;
		e->base.name = (struct qname){.name = "u32", .loc = e->loc};
	}
	if (!e->members) {
		diag_error(c->d, e->loc, "bits '%s' has no members", e->name);
		return;
	}
	int64_t lo;
	uint64_t hi;
	int_range(e->base.kind, &lo, &hi);
	dups_clear(&c->names);
	dups_clear(&c->values);
	uint64_t next = 1;
	for (struct member *m = e->members; m; m = m->next) {
		struct member *old = dups_put(&c->names, m->name, strlen(m->name), m);
		if (old) {
			m->dup = true;
			diag_error(c->d, m->loc, "duplicate member '%s' in bits '%s'", m->name, e->name);
			diag_note(c->d, old->loc, "'%s' is first declared here", m->name);
		}
		uint64_t v = next;
		bool neg = false;
		if (m->has_value && !eval_num(c, e->ns, &m->num, &v, &neg))
			continue;
		if (!m->has_value && next == 0) {
			diag_error(c->d, m->loc, "'%s' would be the bit after the last one of '%s'", m->name,
			           e->base.name.name);
			continue;
		}
		if (neg) {
			diag_error(c->d, m->loc, "'%s' of bits '%s' is -%llu, not a single bit",
			           m->name, e->name, (unsigned long long)v);
			continue;
		}
		if (v == 0 || (v & (v - 1))) {
			diag_error(c->d, m->loc, "'%s' of bits '%s' is %llu (0x%llx), not a single bit",
			           m->name, e->name, (unsigned long long)v, (unsigned long long)v);
			continue;
		}
		next = v << 1;
		if (v > hi) {
			diag_error(c->d, m->loc, "bit 0x%llx of '%s' does not fit the type of bits '%s', '%s'",
			           (unsigned long long)v, m->name, e->name, e->base.name.name);
			continue;
		}
		m->value = (int64_t)v;
		old = dups_put(&c->values, &m->value, sizeof m->value, m);
		if (old) {
			diag_error(c->d, m->loc, "'%s' is the bit 0x%llx, which '%s' already is",
			           m->name, (unsigned long long)v, old->name);
			diag_note(c->d, old->loc, "'%s' is declared here", old->name);
			continue;
		}
		e->mask |= v;
	}
}

/* ---- declarations ------------------------------------------------------------ */

static void check_symbols(struct checker *c, struct ns *ns)
{
	for (struct decl *d = ns->decls; d; d = d->next) {
		if (builtin(d->name) != TY_UNRESOLVED) {
			diag_error(c->d, d->loc, "'%s' is a built-in type and cannot be redeclared", d->name);
			continue;
		}
		struct decl *old = map_put(&ns->syms, d->name, strlen(d->name), d);
		if (old) {
			d->dup = true;
			diag_error(c->d, d->loc, "duplicate declaration of '%s'", d->name);
			diag_note(c->d, old->loc, "'%s' is first declared here", d->name);
		}
	}
}

static void check_use_cycles(struct checker *c, struct ns *ns)
{
	if (ns->state == 2)
		return;
	ns->state = 1;
	for (struct use *u = ns->uses; u; u = u->next) {
		if (!u->ns)
			continue;
		if (u->ns->state == 1) {
			diag_error(c->d, u->loc, "namespaces '%s' and '%s' use each other",
			           ns->name, u->name);
			continue;
		}
		check_use_cycles(c, u->ns);
	}
	ns->state = 2;
}

static void check_enum(struct checker *c, struct decl *e)
{
	enum type_kind base = TY_U32;
	if (e->has_base) {
		if (!resolve_what(c, e->ns, &e->base, "type"))
			return;
		if (!is_integer(e->base.kind)) {
			diag_error(c->d, e->base.name.loc,
			           "the type of enum '%s' must be an integer type, not '%s'",
			           e->name, type_text(c->a, &e->base));
			return;
		}
		base = e->base.kind;
	} else {
		e->base.kind = TY_U32;
		e->base.name = (struct qname){.name = "u32", .loc = e->loc};
	}
	if (!e->members) {
		diag_error(c->d, e->loc, "enum '%s' has no members", e->name);
		return;
	}
	int64_t lo;
	uint64_t hi;
	int_range(base, &lo, &hi);
	dups_clear(&c->names);
	dups_clear(&c->values);
	bool have_prev = false;   /* false at the start and after a bad value */
	int64_t prev = 0;
	for (struct member *m = e->members; m; m = m->next) {
		struct member *old = dups_put(&c->names, m->name, strlen(m->name), m);
		if (old) {
			m->dup = true;
			diag_error(c->d, m->loc, "duplicate member '%s' in enum '%s'", m->name, e->name);
			diag_note(c->d, old->loc, "'%s' is first declared here", m->name);
		}
		int64_t v;
		if (m->has_value) {
			uint64_t mag;
			bool neg;
			if (!eval_num(c, e->ns, &m->num, &mag, &neg)) {
				have_prev = false;
				continue;
			}
			/* Members are C enumerators, so each must fit an int. */
			if (neg ? mag > (uint64_t)INT32_MAX + 1 : mag > INT32_MAX) {
				diag_error(c->d, m->loc, "value of '%s' does not fit a C enum (int)", m->name);
				have_prev = false;
				continue;
			}
			v = neg ? -(int64_t)mag : (int64_t)mag;
		} else if (!have_prev) {
			v = 0;
		} else {
			if (prev == INT32_MAX) {
				diag_error(c->d, m->loc, "value of '%s' (after %lld) does not fit a C enum (int)",
				           m->name, (long long)prev);
				continue;
			}
			v = prev + 1;
		}
		have_prev = true;
		prev = v;
		m->value = v;
		if (v < lo || (v >= 0 && (uint64_t)v > hi)) {
			diag_error(c->d, m->loc, "value %lld of '%s' does not fit the enum's type '%s'%s",
			           (long long)v, m->name, e->base.name.name,
			           v < 0 && lo == 0 ? "; give the enum a signed type, e.g. 'enum NAME: i32'" : "");
			continue;
		}
		old = dups_put(&c->values, &m->value, sizeof m->value, m);
		if (old) {
			diag_error(c->d, m->loc, "'%s' has the value %lld, which '%s' already has",
			           m->name, (long long)v, old->name);
			diag_note(c->d, old->loc, "'%s' is declared here", old->name);
		}
	}
}

/* error NAME [= N]: N from 1 to 65535, counting on from the previous one.
 * The wire code is (FNV-1a(ns) & 0x7fff) << 16 | N. */
static void check_errors(struct checker *c, struct ns *ns)
{
	uint32_t hi = (fnv1a32(ns->name, strlen(ns->name)) & 0x7fff) << 16;
	uint64_t next = 1;
	dups_clear(&c->values);
	for (struct decl *d = ns->decls; d; d = d->next) {
		if (d->kind != D_ERROR)
			continue;
		uint64_t v = next;
		bool neg = false;
		if (d->has_value && !eval_num(c, ns, &d->num, &v, &neg))
			continue;
		next = v + 1;
		if (neg || v < 1 || v > 0xffff) {
			diag_error(c->d, d->loc, "the number of error '%s' must be from 1 to 65535, not %s%llu",
			           d->name, neg ? "-" : "", (unsigned long long)v);
			continue;
		}
		d->code = hi | (uint32_t)v;
		struct decl *old = dups_put(&c->values, &d->code, sizeof d->code, d);
		if (old) {
			diag_error(c->d, d->loc, "error '%s' has the number %llu, which '%s' already has",
			           d->name, (unsigned long long)v, old->name);
			diag_note(c->d, old->loc, "'%s' is declared here", old->name);
			continue;
		}
		/* Codes of different namespaces differ unless their hashes do not. */
		struct decl *other = dups_put(&c->errcodes, &d->code, sizeof d->code, d);
		if (other && other->ns != ns) {
			diag_error(c->d, d->loc,
			           "errors '%s::%s' and '%s::%s' have the same code 0x%08x; give one another number",
			           ns->name, d->name, other->ns->name, other->name, (unsigned)d->code);
			diag_note(c->d, other->loc, "'%s::%s' is declared here", other->ns->name, other->name);
		}
	}
}

static void check_parent(struct checker *c, struct decl *i)
{
	if (!i->has_parent)
		return;
	struct typeref t = {.name = i->parent_name};
	if (!resolve_what(c, i->ns, &t, "interface"))
		return;
	if (t.kind != TY_IFACE) {
		diag_error(c->d, t.name.loc, "'%s' is not an interface; only interfaces can be inherited",
		           type_text(c->a, &t));
		return;
	}
	i->parent = t.decl;
}

/* Marks interfaces in an inheritance cycle; returns false for those. */
static bool check_cycle(struct checker *c, struct decl *i)
{
	if (i->state == 2)
		return true;
	if (i->state == 1 || i->state == 3)
		return false;
	i->state = 1;
	if (i->parent && i->parent->state == 1) {
		/* The cycle closes here: report it once, at this edge. */
		if (i->parent == i)
			diag_error(c->d, i->parent_name.loc, "interface '%s' inherits from itself",
			           qualified(c->a, i));
		else
			diag_error(c->d, i->parent_name.loc, "interface '%s' inherits from itself (through '%s')",
			           qualified(c->a, i), qualified(c->a, i->parent));
		i->state = 3;
		i->parent = NULL;
		return false;
	}
	bool ok = !i->parent || check_cycle(c, i->parent);
	i->state = ok ? 2 : 3;
	if (!ok)
		i->parent = NULL;   /* later checks see no parent */
	return ok;
}

static const struct method *find_inherited(const struct decl *i, const char *name,
                                           const struct decl **owner)
{
	for (const struct decl *p = i->parent; p; p = p->parent)
		for (const struct method *m = p->methods; m; m = m->next)
			if (strcmp(m->name, name) == 0) {
				*owner = p;
				return m;
			}
	return NULL;
}

/* The earlier parameter of m (in caps, outcaps, params order) before p
 * whose name, or C name if cnames, equals p's; a method has few. */
static inline struct param *earlier(struct method *m, struct param *p, bool cnames)
{
	struct param *sections[4] = {m->caps, m->outcaps, m->params, m->results};
	const char *name = cnames ? p->cname : p->name;
	for (int s = 0; s < 4; s++)
		for (struct param *q = sections[s]; q; q = q->next) {
			if (q == p)
				return NULL;
			const char *other = cnames ? q->cname : q->name;
			/* Most differ in the first letter: no call for those. */
			if (other[0] == name[0] && strcmp(other, name) == 0)
				return q;
		}
	return NULL;
}

/* Whether the parameters of m (their C names if cnames) all differ in
 * their first letters, as they mostly do: then none equal, and there is
 * nothing to compare.  (A clash of the bits here only costs the search.) */
static bool first_letters_differ(const struct method *m, bool cnames)
{
	const struct param *sections[4] = {m->caps, m->outcaps, m->params, m->results};
	uint64_t seen = 0;
	for (int s = 0; s < 4; s++)
		for (const struct param *p = sections[s]; p; p = p->next) {
			uint64_t bit = (uint64_t)1 << ((cnames ? p->cname : p->name)[0] & 63);
			if (seen & bit)
				return false;
			seen |= bit;
		}
	return true;
}

static bool has_length(const struct param *p)
{
	return p->list || p->type.kind == TY_BYTES || p->type.kind == TY_LIST;
}

static void suspect(struct checker *c, struct decl *i, struct method *m, struct param *p)
{
	if (c->nsuspects == c->capsuspects) {
		c->capsuspects = c->capsuspects ? 2 * c->capsuspects : 64;
		struct suspect *v = arena_alloc(&c->tmp, c->capsuspects * sizeof *v);
		if (c->nsuspects)
			memcpy(v, c->suspects, c->nsuspects * sizeof *v);
		c->suspects = v;
	}
	c->suspects[c->nsuspects++] = (struct suspect){i, m, p};
}

static void check_param_names(struct checker *c, struct method *m, struct param *list)
{
	for (struct param *p = list; p; p = p->next) {
		struct param *old = earlier(m, p, false);
		if (old) {
			diag_error(c->d, p->loc, "duplicate parameter '%s' in '%s'", p->name, m->name);
			diag_note(c->d, old->loc, "'%s' is first declared here", p->name);
		}
	}
}

/* Capability parameters: types, at most one list and last. */
static void check_caps(struct checker *c, struct ns *ns, struct method *m,
                       struct param *caps, const char *what, unsigned *nfixed,
                       struct param **list)
{
	*nfixed = 0;
	*list = NULL;
	for (struct param *p = caps; p; p = p->next) {
		if (!resolve(c, ns, &p->type))
			continue;
		if (!is_capability(p->type.kind)) {
			diag_error(c->d, p->type.name.loc,
			           "%s '%s' of '%s' must be a capability (page, cap or an interface), not '%s'",
			           what, p->name, m->name, type_text(c->a, &p->type));
			continue;
		}
		if (p->list) {
			if (p->next) {
				diag_error(c->d, p->loc, "the list '%s...' must be the last %s of '%s'",
				           p->name, what, m->name);
				continue;
			}
			*list = p;
		} else {
			++*nfixed;
		}
	}
}

static void check_method(struct checker *c, struct decl *i, struct method *m)
{
	struct ns *ns = i->ns;
	struct unit *u = c->u;
	if (!first_letters_differ(m, false)) {
		check_param_names(c, m, m->caps);
		check_param_names(c, m, m->outcaps);
		check_param_names(c, m, m->params);
		check_param_names(c, m, m->results);
	}

	check_caps(c, ns, m, m->caps, "capability", &m->ncaps_fixed, &m->caplist);
	check_caps(c, ns, m, m->outcaps, "returned capability", &m->nout_fixed, &m->outlist);
	m->nparams = 0;
	uint64_t words = 0;
	for (struct param *p = m->params; p; p = p->next) {
		m->nparams++;
		if (!check_value(c, ns, &p->type)) {
			words = words_add(words, 1);
			continue;
		}
		if (p->type.kind == TY_STRING || p->type.kind == TY_BYTES)
			m->variable = true;
		if (is_general(&p->type))
			m->general = true;
		words = words_add(words, type_words(&p->type));
		if (!is_value(p->type.kind))
			diag_error(c->d, p->type.name.loc,
			           is_capability(p->type.kind)
			           ? "parameter '%s' of '%s' has the capability type '%s'; capabilities go in braces: %s{%s: %s}"
			           : "parameter '%s' of '%s' cannot have the type '%s'%s%s%s",
			           p->name, m->name, type_text(c->a, &p->type),
			           is_capability(p->type.kind) ? m->name : "",
			           is_capability(p->type.kind) ? p->name : "",
			           is_capability(p->type.kind) ? type_text(c->a, &p->type) : "");
	}
	m->max_words = words > UINT32_MAX ? UINT32_MAX : (unsigned)words;
	uint64_t rwords = 0;
	if (m->has_ret && check_value(c, ns, &m->ret)) {
		if (m->ret.kind != TY_VOID && !is_value(m->ret.kind))
			diag_error(c->d, m->ret.name.loc,
			           "'%s' cannot return '%s'; return capabilities after ';' in braces",
			           m->name, type_text(c->a, &m->ret));
		else if (m->ret.kind != TY_VOID)
			rwords = type_words(&m->ret);
		if (is_general(&m->ret))
			m->general = true;
	} else if (!m->has_ret) {
		m->ret.kind = TY_VOID;
		m->ret.name = (struct qname){.name = "void", .loc = m->loc};
	}
	if (m->has_results) {
		m->general = true;
		for (struct param *r = m->results; r; r = r->next) {
			if (!check_value(c, ns, &r->type))
				continue;
			if (!is_value(r->type.kind))
				diag_error(c->d, r->type.name.loc,
				           is_capability(r->type.kind)
				           ? "result '%s' of '%s' has the capability type '%s'; return capabilities after ';' in braces"
				           : "result '%s' of '%s' cannot have the type '%s'",
				           r->name, m->name, type_text(c->a, &r->type));
			else
				rwords = words_add(rwords, type_words(&r->type));
		}
	}
	if (m->kind == M_SEND && m->has_results && m->results)
		diag_error(c->d, m->results->loc, "'send %s' cannot return a value: a send has no reply", m->name);
	else if (rwords > u->max_words)
		diag_error(c->d, m->loc,
		           "'%s' returns up to %llu words (strings, byte arrays and lists at their bounds); a message carries at most %u",
		           m->name, (unsigned long long)rwords, u->max_words);
	if (m->kind == M_SEND) {
		if (m->has_ret && m->ret.kind != TY_VOID)
			diag_error(c->d, m->ret.name.loc,
			           "'send %s' cannot return a value: a send has no reply", m->name);
		if (m->outcaps)
			diag_error(c->d, m->outcaps->loc,
			           "'send %s' cannot return capabilities: a send has no reply", m->name);
	}

	/* Does it fit one message each way? */
	if (m->max_words > u->max_words && !m->variable)
		diag_error(c->d, m->loc, "'%s' has %u parameters; a message carries at most %u words",
		           m->name, m->nparams, u->max_words);
	else if (m->max_words > u->max_words && !m->general)
		diag_error(c->d, m->loc,
		           "'%s' needs up to %u words for its parameters (strings and byte arrays at their bounds); a message carries at most %u",
		           m->name, m->max_words, u->max_words);
	else if (m->max_words > u->max_words)
		diag_error(c->d, m->loc,
		           "'%s' needs up to %llu words for its parameters (strings, byte arrays and lists at their bounds); a message carries at most %u",
		           m->name, (unsigned long long)words, u->max_words);

	/* raises (e, ...): errors, each once; a send has no reply to carry one. */
	dups_clear(&c->raised);
	for (struct qname_node *e = m->raises; e; e = e->next) {
		struct typeref t = {.name = e->name};
		struct ns *target = e->name.ns ? find_used(ns, e->name.ns) : ns;
		if (!target) {
			diag_error(c->d, e->name.loc, "unknown namespace '%s' in '%s::%s'; add 'use %s;'",
			           e->name.ns, e->name.ns, e->name.name, e->name.ns);
			continue;
		}
		if (e->name.name[0] == '*') {   /* ns::*: every error of target, present and future */
			e->all = target;
			struct qname_node *old = dups_put(&c->raised, &e->all, sizeof e->all, e);
			if (old) {
				diag_error(c->d, e->name.loc, "'%s' raises '%s::*' twice", m->name, target->name);
				diag_note(c->d, old->name.loc, "first named here");
			}
			continue;
		}
		struct decl *d = map_get(&target->syms, e->name.name, strlen(e->name.name));
		if (!d) {
			diag_error(c->d, e->name.loc, "unknown error '%s'", type_text(c->a, &t));
			continue;
		}
		if (d->kind != D_ERROR) {
			diag_error(c->d, e->name.loc, "'%s' is not an error; declare it with 'error %s;'",
			           type_text(c->a, &t), e->name.name);
			continue;
		}
		e->decl = d;
		struct qname_node *old = dups_put(&c->raised, &e->decl, sizeof e->decl, e);
		if (old) {
			diag_error(c->d, e->name.loc, "'%s' raises '%s' twice", m->name, type_text(c->a, &t));
			diag_note(c->d, old->name.loc, "first named here");
		}
	}
	for (struct qname_node *e = m->raises; e; e = e->next)
		for (struct qname_node *w = m->raises; w && e->decl; w = w->next)
			if (w->all && w->all == e->decl->ns) {
				diag_error(c->d, e->name.loc, "'%s' raises '%s', which '%s::*' already names",
				           m->name, qualified(c->a, e->decl), w->all->name);
				break;
			}
	if (m->kind == M_SEND && m->raises)
		diag_error(c->d, m->raises->name.loc,
		           "'send %s' cannot raise errors: a send has no reply", m->name);
	static const char *const verb[2] = {"passes", "returns"};
	unsigned fixed[2] = {m->ncaps_fixed, m->nout_fixed};
	const struct param *list[2] = {m->caplist, m->outlist};
	for (int s = 0; s < 2; s++) {
		if (fixed[s] > u->max_caps)
			diag_error(c->d, m->loc, "'%s' %s %u capabilities; a message carries at most %u",
			           m->name, verb[s], fixed[s], u->max_caps);
		else if (list[s] && fixed[s] == u->max_caps)
			diag_error(c->d, list[s]->loc,
			           "'%s' %s %u capabilities before the list '%s...', which leaves it no room (a message carries at most %u)",
			           m->name, verb[s], fixed[s], list[s]->name, u->max_caps);
	}

	/* C names of the parameters, and the names the C functions derive from them. */
	struct param *sections[4] = {m->caps, m->outcaps, m->params, m->results};
	for (int s = 0; s < 4; s++)
		for (struct param *p = sections[s]; p; p = p->next) {
			bool under;
			p->cname = c_local(&c->strs, p->name, &under);
			if (under || has_length(p))
				suspect(c, i, m, p);
		}
	bool differ = first_letters_differ(m, true);
	for (int s = 0; s < 4 && !differ; s++)
		for (struct param *p = sections[s]; p; p = p->next) {
			struct param *old = earlier(m, p, true);
			/* Equal protocol names were reported as duplicates already. */
			if (old && strcmp(old->name, p->name) != 0) {
				diag_error(c->d, p->loc, "parameters '%s' and '%s' of '%s' would both be '%s' in C",
				           old->name, p->name, m->name, p->cname);
			}
		}
	/* Names C derives from a parameter: the length of an array or list,
	 * the presence flag of an optional result. */
	for (int s = 0; s < 4; s++)
		for (struct param *l = sections[s]; l; l = l->next) {
			if (!l->cname)
				continue;
			const char *derived[2] = {
				has_length(l) ? arena_printf(c->a, "n%s", l->cname) : NULL,
				s == 3 && l->type.optional ? arena_printf(c->a, "has_%s", l->cname) : NULL,
			};
			for (int k = 0; k < 2; k++) {
				struct param *old = NULL;
				for (int t = 0; t < 4 && derived[k] && !old; t++)
					for (struct param *q = sections[t]; q && !old; q = q->next)
						if (strcmp(q->cname, derived[k]) == 0)
							old = q;
				if (old)
					diag_error(c->d, old->loc,
					           "parameter '%s' of '%s' would be '%s' in C, the name of the %s of '%s%s'",
					           old->name, m->name, derived[k], k ? "presence flag" : "length",
					           l->name, l->list ? "..." : "");
			}
		}
	bool under;
	m->field = c_local(&c->strs, m->name, &under);
	if (under)
		suspect(c, i, m, NULL);
	/* The generated code takes a single result as one named 'result'. */
	if (!m->has_results && m->ret.kind != TY_VOID) {
		struct param *r = arena_alloc(c->a, sizeof *r);
		r->name = r->cname = "result";
		r->loc = m->ret.name.loc;
		r->type = m->ret;
		m->results = r;
	}
}

/* The vtable entries of an interface must differ in C as its methods do in
 * the protocol: 'int' and 'int_' would both be the entry 'int_'.  Entries
 * that are their methods' names differ, so there is only something to
 * look at when one was escaped. */
static void check_fields(struct checker *c, struct decl *i)
{
	bool escaped = false;
	for (struct method *m = i->methods; m && !escaped; m = m->next)
		escaped = m->field != m->name;   /* c_local gives the name itself back */
	if (!escaped)
		return;
	dups_clear(&c->names);
	for (struct method *m = i->methods; m; m = m->next) {
		if (m->dup)
			continue;
		struct method *old = dups_put(&c->names, m->field, strlen(m->field), m);
		if (old) {
			diag_error(c->d, m->loc, "methods '%s' and '%s' of '%s' would both be the vtable entry '%s' in C; rename one",
			           m->name, old->name, i->name, m->field);
			diag_note(c->d, old->loc, "'%s' is declared here", old->name);
		}
	}
}

static void check_interface(struct checker *c, struct decl *i)
{
	dups_clear(&c->names);
	unsigned n = 0;
	for (struct method *m = i->methods; m; m = m->next) {
		n += m->skip_before;
		m->number = ++n;
		struct method *old = dups_put(&c->names, m->name, strlen(m->name), m);
		if (old) {
			m->dup = true;
			diag_error(c->d, m->loc, "duplicate method '%s' in interface '%s'", m->name, i->name);
			diag_note(c->d, old->loc, "'%s' is first declared here", m->name);
		} else {
			const struct decl *owner;
			const struct method *inh = find_inherited(i, m->name, &owner);
			if (inh) {
				diag_error(c->d, m->loc, "method '%s' clashes with '%s' inherited from '%s'",
				           m->name, m->name, qualified(c->a, owner));
				diag_note(c->d, inh->loc, "'%s' is declared here", m->name);
			}
		}
		check_method(c, i, m);
	}
	n += i->skip_tail;
	if (n > 0xffff)
		diag_error(c->d, i->loc, "interface '%s' has %u methods; a 16-bit label number allows at most 65535",
		           i->name, n);
	check_fields(c, i);

	/* describe answers with an (ID, fingerprint) pair per level. */
	unsigned depth = 1;
	for (const struct decl *p = i->parent; p; p = p->parent)
		depth++;
	if (depth * 2 > c->u->max_words)
		diag_error(c->d, i->loc, "interface '%s' is %u levels deep; describe's reply carries at most %u",
		           i->name, depth, c->u->max_words / 2);

	const char *q = qualified(c->a, i);
	i->id = fnv1a32(q, strlen(q));
	if (i->dup)   /* reported as a duplicate: its ID is the first one's */
		return;
	struct decl *old = dups_put(&c->ids, &i->id, sizeof i->id, i);
	if (old) {
		diag_error(c->d, i->loc, "interfaces '%s' and '%s' have the same ID 0x%08x (FNV-1a of their names); rename one",
		           q, qualified(c->a, old), (unsigned)i->id);
		diag_note(c->d, old->loc, "'%s' is declared here", qualified(c->a, old));
	}
	if (i->id == 0)
		diag_error(c->d, i->loc, "interface '%s' has the ID 0, which the transport reserves; rename it", q);
}

/* ---- ABI fingerprint ----------------------------------------------------------- */

/*
 * The canonical form of an interface's wire ABI, hashed with XXH3-64 (seed
 * 0).  ipcgen(5) documents it so that other tools can compute the same
 * value.  Names of methods and parameters, comments and layout are not in
 * it: only what changes the bytes on the wire.
 */
/* Appending to the buffer the canonical forms are written in, inline:
 * these run for every parameter of every method. */
static inline void put_c(struct buf *b, char ch)
{
	if (b->len == b->cap)
		buf_grow(b, 1);
	b->data[b->len++] = ch;
}

/* Numbers, without snprintf: decimal, and lower-case hex of a fixed number
 * of digits. */
static void put_dec(struct buf *b, uint64_t v)
{
	char t[20], *p = t + sizeof t;
	do
		*--p = (char)('0' + v % 10);
	while (v /= 10);
	buf_putn(b, p, (size_t)(t + sizeof t - p));
}

static void put_hex(struct buf *b, uint64_t v, unsigned digits)
{
	char t[16];
	for (unsigned k = digits; k-- > 0; v >>= 4)
		t[k] = "0123456789abcdef"[v & 15];
	buf_putn(b, t, digits);
}

/* The name of each built-in type, padded to 8 bytes so that it is copied
 * in one move.  A typeref of a built-in kind is always spelt so (builtin()
 * gave it the kind; check gives a missing result "void" and a missing enum
 * type "u32"). */
static const struct { char name[8]; size_t len; } canon_builtin[] = {
#define B(k, s) [k] = {s, sizeof s - 1}
	B(TY_VOID, "void"), B(TY_U8, "u8"), B(TY_U16, "u16"), B(TY_U32, "u32"),
	B(TY_U64, "u64"), B(TY_I8, "i8"), B(TY_I16, "i16"), B(TY_I32, "i32"),
	B(TY_I64, "i64"), B(TY_UINT, "uint"), B(TY_INT, "int"), B(TY_SIZE, "size"),
	B(TY_UINTPTR, "uintptr"), B(TY_BOOL, "bool"), B(TY_STRING, "string"),
	B(TY_BYTES, "bytes"), B(TY_PAGE, "page"), B(TY_CAP, "cap"),
#undef B
};

/* An enum's canonical form, "enum(u32 0 1 2)": computed once per enum,
 * in the scratch buffer b. */
static void canon_enum(struct arena *a, struct buf *b, struct decl *e)
{
	b->len = 0;
	buf_puts(b, "enum(");
	buf_puts(b, e->base.name.name);
	for (const struct member *m = e->members; m; m = m->next) {
		buf_puts(b, m->value < 0 ? " -" : " ");
		put_dec(b, m->value < 0 ? -(uint64_t)m->value : (uint64_t)m->value);
	}
	put_c(b, ')');
	e->canon = arena_strndup(a, b->data, b->len);
}

/* A bit set's canonical form, "bits(u32 1 2 64)". */
static void canon_bits(struct arena *a, struct buf *b, struct decl *e)
{
	b->len = 0;
	buf_puts(b, "bits(");
	buf_puts(b, e->base.name.name);
	for (const struct member *m = e->members; m; m = m->next) {
		put_c(b, ' ');
		put_dec(b, (uint64_t)m->value);
	}
	put_c(b, ')');
	e->canon = arena_strndup(a, b->data, b->len);
}

static inline void canon_type(struct buf *b, const struct typeref *t, bool list);

/* A struct's, "struct(i64,u32,string<64>)": its fields' types in order
 * (their names are not on the wire).  Made once, those of the structs it
 * holds first; its own scratch buffer, as it nests. */
static void canon_struct(struct arena *a, struct decl *d)
{
	if (d->canon)
		return;
	for (const struct param *f = d->fields; f; f = f->next) {
		const struct typeref *t = &f->type;
		while (t->kind == TY_LIST)
			t = t->elem;
		if (t->kind == TY_STRUCT)
			canon_struct(a, t->decl);
	}
	struct buf b = {0};
	buf_puts(&b, "struct(");
	for (const struct param *f = d->fields; f; f = f->next) {
		canon_type(&b, &f->type, false);
		put_c(&b, f->next ? ',' : ')');
	}
	d->canon = arena_strndup(a, b.data, b.len);
	buf_free(&b);
}

static inline void canon_type(struct buf *b, const struct typeref *t, bool list)
{
	if (t->kind == TY_ENUM || t->kind == TY_BITS || t->kind == TY_STRUCT) {
		buf_puts(b, t->decl->canon);
	} else if (t->kind == TY_LIST) {
		buf_putn(b, "list<", 5);
		canon_type(b, t->elem, false);
		put_c(b, ',');
		put_dec(b, t->bound);
		put_c(b, '>');
	} else if (t->kind == TY_IFACE) {
		buf_puts(b, t->decl->ns->name);
		buf_putn(b, "::", 2);
		buf_puts(b, t->decl->name);
	} else {
		if (b->cap - b->len < 8)
			buf_grow(b, 8);
		memcpy(b->data + b->len, canon_builtin[t->kind].name, 8);
		b->len += canon_builtin[t->kind].len;
		if (t->has_bound) {
			put_c(b, '<');
			put_dec(b, t->bound);
			put_c(b, '>');
		}
	}
	if (t->optional)
		put_c(b, '?');
	if (list)
		buf_putn(b, "...", 3);
}

static void canon_params(struct buf *b, const struct param *p)
{
	for (; p; p = p->next) {
		canon_type(b, &p->type, p->list);
		if (p->next)
			put_c(b, ',');
	}
}

/* Appends a method's canonical signature, without its number and after
 * its kind ("call" or "send", which the caller writes):
 * " {page...;} (uintptr,size) size raises 555e0001". */
static void method_sig_rest(struct buf *b, const struct method *m)
{
	buf_putn(b, " {", 2);
	canon_params(b, m->caps);
	put_c(b, ';');
	canon_params(b, m->outcaps);
	buf_putn(b, "} (", 3);
	canon_params(b, m->params);
	buf_putn(b, ") ", 2);
	if (m->has_results) {
		put_c(b, '(');
		canon_params(b, m->results);
		put_c(b, ')');
	} else {
		canon_type(b, &m->ret, false);
	}
	if (m->raises) {
		/* The set of codes, in increasing order; a namespace's every error
		 * (ns::*) as the high half of its codes and a '*'. */
		uint32_t codes[256];
		size_t n = 0;
		for (const struct qname_node *e = m->raises; e && n < 256; e = e->next)
			codes[n++] = e->all ? (fnv1a32(e->all->name, strlen(e->all->name)) & 0x7fff) << 16
			                    : e->decl->code;
		for (size_t x = 1; x < n; x++)
			for (size_t y = x; y > 0 && codes[y - 1] > codes[y]; y--) {
				uint32_t tmp = codes[y];
				codes[y] = codes[y - 1];
				codes[y - 1] = tmp;
			}
		buf_putn(b, " raises", 7);
		for (size_t x = 0; x < n; x++) {
			put_c(b, ' ');
			if (codes[x] & 0xffff) {
				put_hex(b, codes[x], 8);
			} else {
				put_hex(b, codes[x] >> 16, 4);
				put_c(b, '*');
			}
		}
	}
}

/*
 * The fingerprint: XXH3-64 (seed 0) of
 *   "ipcgen-abi 1\ninterface NS::NAME ID\n" ["parent PARENT-FINGERPRINT\n"]
 *   and per method "KIND N {CAPS;OUTCAPS} (PARAMS) RESULT[ raises CODES]\n"
 * with IDs and fingerprints in lower-case hex (8 and 16 digits).
 *
 * The text is written into the scratch buffer b, one interface at a time
 * (a parent's first); each method's signature (m->sig, "KIND {CAPS;...")
 * is copied out of its line at its exact size.
 */
static uint64_t fingerprint(struct strpool *a, struct buf *b, struct decl *i)
{
	if (i->fingerprint)
		return i->fingerprint;
	uint64_t parent = i->parent ? fingerprint(a, b, i->parent) : 0;
	b->len = 0;
	buf_puts(b, "ipcgen-abi 1\ninterface ");
	buf_puts(b, i->ns->name);
	buf_putn(b, "::", 2);
	buf_puts(b, i->name);
	put_c(b, ' ');
	put_hex(b, i->id, 8);
	put_c(b, '\n');
	if (i->parent) {
		buf_putn(b, "parent ", 7);
		put_hex(b, parent, 16);
		put_c(b, '\n');
	}
	for (struct method *m = i->methods; m; m = m->next) {
		size_t kind = b->len;
		buf_putn(b, m->kind == M_CALL ? "call " : "send ", 5);
		put_dec(b, m->number);
		size_t rest = b->len;
		method_sig_rest(b, m);
		size_t nrest = b->len - rest;
		char *sig = pool_alloc(a, 4 + nrest + 1);
		memcpy(sig, b->data + kind, 4);
		memcpy(sig + 4, b->data + rest, nrest);
		sig[4 + nrest] = 0;
		m->sig = sig;
		put_c(b, '\n');
	}
	i->fingerprint = XXH3_64bits_withSeed(b->data, b->len, 0);
	return i->fingerprint;
}

/* ---- C names ------------------------------------------------------------------- */


static void claim_taken(struct checker *c)
{
	uint32_t who = claimant(c, (struct loc){0}, taken_owner, NULL, NULL);
	for (size_t i = 0; i < sizeof c_taken / sizeof c_taken[0]; i++) {
		size_t len = strlen(c_taken[i]);
		struct claim_entry *e = claims_find(&c->claims, c_taken[i], len, XXH3_64bits(c_taken[i], len));
		if (e->ord)
			continue;
		*e = (struct claim_entry){e->name, e->len, who, who, W_TAKEN, W_TAKEN, true};
	}
}

/* The number of names claim_names claims and of claimants it makes, at
 * most: to size the table. */
static void count_claims(const struct unit *u, size_t *names, size_t *who)
{
	*names = sizeof c_taken / sizeof c_taken[0];
	*who = 1;
	for (const struct ns *ns = u->nss; ns; ns = ns->next) {
		*names += 2;
		*who += 1;
		for (const struct decl *d = ns->decls; d; d = d->next) {
			*who += 1;
			if (d->kind == D_ERROR || d->kind == D_CONST) {
				*names += 1;
			} else if (d->kind == D_STRUCT) {
				*names += 3;
			} else if (d->kind == D_ENUM || d->kind == D_BITS) {
				*names += 5 + d->nmembers;
				*who += d->nmembers;
			} else {
				*names += 8 + 5 * (size_t)d->nmethods;
				*who += d->nmethods;
			}
		}
	}
}

/* The C names of ns and of its declarations (ns_name), which the rest
 * build on: made before the claims, so that the thread beside them
 * (fingerprints, the unit's beside hook) may read them meanwhile. */
static void name_decls(struct checker *c, struct ns *ns)
{
	ns->cname = c_unreserve(&c->strs, ns->name, true);
	ns->CNAME = c_upper(&c->strs, ns->cname);
	for (struct decl *d = ns->decls; d; d = d->next)
		if (!d->dup)
			d->cname = join(&c->strs, ns->cname, d->name);
}

/* The C names of everything in ns.  Those the generator uses are made in
 * the unit's arena; those only claimed here, in c->tmp. */
static void claim_names(struct checker *c, struct ns *ns)
{
	struct strpool *a = &c->strs, *tmp = &c->tmpnames;
	/* IPC_ and ipc_ are the transport's; IPCGEN_ begins every include
	 * guard, IPCGEN_NS_H, which a namespace 'ipcgen' could make. */
	static const struct { const char *prefix, *what; } reserved[] = {
		{"IPC", "C names starting 'ipc_' or 'IPC_', which the transport reserves"},
		{"IPCGEN", "macros starting 'IPCGEN_', which the include guards use"},
	};
	for (size_t k = 0; k < sizeof reserved / sizeof reserved[0]; k++) {
		size_t n = strlen(reserved[k].prefix);
		if (strncmp(ns->CNAME, reserved[k].prefix, n) == 0 && (!ns->CNAME[n] || ns->CNAME[n] == '_')) {
			diag_error(c->d, ns->loc, "namespace '%s' would give %s; rename it", ns->name,
			           reserved[k].what);
			return;
		}
	}
	int h = system_header(ns->cname);
	if (h >= 0) {
		diag_error(c->d, ns->loc, "namespace '%s' would write '%s.h', which hides the %s header <%s.h> from code built with -I on the output folder; rename it",
		           ns->name, ns->cname, system_headers[h].what, system_headers[h].name);
		return;
	}
	uint32_t who = claimant(c, ns->loc, ns, ns->name, NULL);
	claim(c, CN_MACRO, arena_printf(&c->tmp, "IPCGEN_%s_H", ns->CNAME), who, W_GUARD);
	claim(c, CN_ORDINARY, join_lit(tmp, ns->cname, "status_name"), who, W_STATUS);
	for (struct decl *d = ns->decls; d; d = d->next) {
		if (d->dup)
			continue;
		who = claimant(c, d->loc, d, ns->name, d->name);
		if (d->kind == D_ERROR) {
			d->CNAME = upper(join(a, join_lit(tmp, ns->cname, "err"), d->name));
			claim(c, CN_MACRO, d->CNAME, who, W_ERROR);
			continue;
		}
		d->CNAME = c_upper(a, d->cname);
		if (d->kind == D_CONST) {
			claim(c, CN_MACRO, d->CNAME, who, W_CONST);
			continue;
		}
		if (d->kind == D_STRUCT) {
			claim(c, CN_TAG, d->cname, who, W_STRUCT);
			claim(c, CN_ORDINARY, join_lit(tmp, d->cname, "put"), who, W_STRUCT_PUT);
			claim(c, CN_ORDINARY, join_lit(tmp, d->cname, "get"), who, W_STRUCT_GET);
			continue;
		}
		if (d->kind == D_BITS) {
			d->cdec = join_lit(a, d->cname, "dec");
			claim(c, CN_ORDINARY, d->cname, who, W_BITS);
			claim(c, CN_ORDINARY, join_lit(tmp, d->cname, "valid"), who, W_BITS_VALID);
			claim(c, CN_ORDINARY, d->cdec, who, W_BITS_DEC);
			claim(c, CN_ORDINARY, join_lit(tmp, d->cname, "get"), who, W_BITS_GET);
			const char *q = qualified(c->a, d);
			for (struct member *m = d->members; m; m = m->next) {
				m->cname = upper(join(a, d->cname, m->name));
				if (!m->dup)
					claim(c, CN_MACRO, m->cname, claimant(c, m->loc, m, q, m->name), W_BIT);
			}
			continue;
		}
		if (d->kind == D_ENUM) {
			d->cdec = join_lit(a, d->cname, "dec");
			claim(c, CN_TAG, d->cname, who, W_ENUM);
			claim(c, CN_ORDINARY, join_lit(tmp, d->cname, "valid"), who, W_ENUM_VALID);
			claim(c, CN_ORDINARY, d->cdec, who, W_ENUM_DEC);
			claim(c, CN_ORDINARY, join_lit(tmp, d->cname, "name"), who, W_ENUM_NAME);
			claim(c, CN_ORDINARY, join_lit(tmp, d->cname, "get"), who, W_ENUM_GET);
			const char *q = qualified(c->a, d);
			for (struct member *m = d->members; m; m = m->next) {
				m->cname = upper(join(a, d->cname, m->name));
				if (!m->dup)
					claim(c, CN_ORDINARY, m->cname, claimant(c, m->loc, m, q, m->name), W_MEMBER);
			}
			continue;
		}
		claim(c, CN_TAG, d->cname, who, W_IFACE);
		claim(c, CN_TAG, join_lit(tmp, d->cname, "iface"), who, W_VTABLE);
		claim(c, CN_MACRO, join_lit(tmp, d->CNAME, "ID"), who, W_ID);
		claim(c, CN_MACRO, join_lit(tmp, d->CNAME, "ABI"), who, W_ABI);
		claim(c, CN_ORDINARY, join_lit(tmp, d->cname, "init"), who, W_INIT);
		claim(c, CN_ORDINARY, join_lit(tmp, d->cname, "handle"), who, W_HANDLE);
		claim(c, CN_ORDINARY, join_lit(tmp, d->cname, "dispatch"), who, W_DISPATCH);
		claim(c, CN_ORDINARY, join_lit(tmp, d->cname, "describe"), who, W_DESCRIBE);
		const char *q = qualified(c->a, d);
		for (struct method *m = d->methods; m; m = m->next) {
			m->cfunc = join(a, d->cname, m->name);
			m->clabel = c_upper(a, m->cfunc);
			if (m->dup)
				continue;
			uint32_t mwho = claimant(c, m->loc, m, q, m->name);
			claim(c, CN_ORDINARY, m->cfunc, mwho, W_METHOD);
			claim(c, CN_MACRO, m->clabel, mwho, W_LABEL);
			claim(c, CN_ORDINARY, join_lit(tmp, m->cfunc, "pack"), mwho, W_PACK);
			if (m->kind == M_CALL) {
				claim(c, CN_ORDINARY, join_lit(tmp, m->cfunc, "reply"), mwho, W_REPLY);
				claim(c, CN_ORDINARY, join_lit(tmp, m->cfunc, "async_start"), mwho, W_START);
				claim(c, CN_ORDINARY, join_lit(tmp, m->cfunc, "async_cb"), mwho, W_ASYNC);
				claim(c, CN_ORDINARY, join_lit(tmp, m->cfunc, "async_wait"), mwho, W_WAIT);
				claim(c, CN_ORDINARY, join_lit(tmp, m->cfunc, "async_finish"), mwho, W_FINISH);
			}
		}
	}
}

/* ---- local C names against the global ones ------------------------------------- */

/*
 * A parameter is in scope in the functions that take it, where the
 * generated code also uses global names (a label, an enum's validity
 * check) and any macro expands: a parameter 'T_A_F' or 'IPCGEN_T_H' would
 * break them, 'io_whence_valid' would hide the function.  So once every
 * global name is claimed, a parameter (or a vtable entry, for macros) named
 * like one is escaped further, as c_local escapes C's names, until it
 * clashes with nothing.  Every global name has a '_': a name without one
 * has nothing to fear but for its length ('ew: bytes<8>' has 'new').
 */

/* Whether name is a macro or, unless macro_only, an ordinary identifier of
 * the generated code or of C (c_taken's names are claimed as macros).  An
 * escape, which always holds a '_', can only be one of these: the prefixes
 * c_local escapes stay (IPC_X_ is no macro of the transport's). */
static bool global_name(const struct checker *c, const char *name, bool macro_only)
{
	size_t n = strlen(name);
	const struct claims *t = &c->claims;
	size_t i = claims_slot(t, name, n, XXH3_64bits(name, n));
	if (!t->slot[i].entry)
		return false;
	const struct claim_entry *e = &t->v[t->slot[i].entry - 1];
	return e->ord && (e->macro || !macro_only);
}

/* Whether parameter p of m may be called name in C: not a name of C or of
 * the generated code, nor another parameter's, nor another's length; nor
 * its own length, if it has one. */
static bool local_fits(struct checker *c, struct method *m, struct param *p, const char *name)
{
	if (strchr(name, '_') && global_name(c, name, false))
		return false;
	const char *len = has_length(p) ? arena_printf(&c->tmp, "n%s", name) : NULL;
	if (len && global_name(c, len, false))
		return false;
	struct param *sections[4] = {m->caps, m->outcaps, m->params, m->results};
	for (int k = 0; k < 4; k++)
		for (struct param *q = sections[k]; q; q = q->next) {
			if (q == p)
				continue;
			if (strcmp(q->cname, name) == 0 || (len && strcmp(q->cname, len) == 0) ||
			    (has_length(q) && name[0] == 'n' && strcmp(name + 1, q->cname) == 0))
				return false;
		}
	return true;
}

/* s with one more escape: a '_' at the end, or an 'x' after a '_'. */
static const char *escape_more(struct strpool *p, const char *s)
{
	size_t n = strlen(s);
	char *t = pool_alloc(p, n + 2);
	memcpy(t, s, n);
	t[n] = s[n - 1] == '_' ? 'x' : '_';
	t[n + 1] = 0;
	return t;
}

/* Whether another vtable entry of i is called name. */
static bool field_taken(const struct decl *i, const struct method *m, const char *name)
{
	for (const struct method *o = i->methods; o; o = o->next)
		if (o != m && strcmp(o->field, name) == 0)
			return true;
	return false;
}

static void escape_locals(struct checker *c)
{
	for (size_t k = 0; k < c->nsuspects; k++) {
		struct decl *i = c->suspects[k].i;
		struct method *m = c->suspects[k].m;
		struct param *p = c->suspects[k].p;
		const char *name;
		if (p && !local_fits(c, m, p, p->cname)) {
			name = p->cname;
			do
				name = escape_more(&c->strs, name);
			while (!local_fits(c, m, p, name));
			p->cname = name;
			m->cparams = NULL;   /* made with the old name: made again */
		} else if (!p && global_name(c, m->field, true)) {
			name = m->field;
			do
				name = escape_more(&c->strs, name);
			while (global_name(c, name, true) || field_taken(i, m, name));
			m->field = name;
		}
	}
}

/* The canonical forms of the enums and the fingerprints of the interfaces,
 * then the unit's beside hook if it has one. */
struct fp_job {
	struct unit *u;
	struct arena arena;
	struct strpool strs;
};

static void fingerprints(struct fp_job *j)
{
	struct buf scratch = {0};
	for (struct ns *ns = j->u->nss; ns; ns = ns->next)
		for (struct decl *d = ns->decls; d; d = d->next)
			if (d->kind == D_ENUM)
				canon_enum(&j->arena, &scratch, d);
			else if (d->kind == D_BITS)
				canon_bits(&j->arena, &scratch, d);
	for (struct ns *ns = j->u->nss; ns; ns = ns->next)
		for (struct decl *d = ns->decls; d; d = d->next)
			if (d->kind == D_STRUCT)
				canon_struct(&j->arena, d);
	for (struct ns *ns = j->u->nss; ns; ns = ns->next)
		for (struct decl *d = ns->decls; d; d = d->next)
			if (d->kind == D_IFACE)
				fingerprint(&j->strs, &scratch, d);
	buf_free(&scratch);
	if (j->u->beside)
		j->u->beside(j->u, &j->arena);
}

static void *fingerprints_thread(void *arg)
{
	fingerprints(arg);
	return NULL;
}

#define FP_THREAD_FROM 2000   /* methods: fewer, and a thread costs more than it saves */

static size_t count_methods(const struct unit *u)
{
	size_t n = 0;
	for (const struct ns *ns = u->nss; ns; ns = ns->next)
		for (const struct decl *d = ns->decls; d; d = d->next)
			if (d->kind == D_IFACE)
				n += d->nmethods;
	return n;
}

bool check_unit(struct unit *u)
{
	struct checker c = {.u = u, .a = &u->arena, .d = &u->diag};
	c.strs.a = &u->arena;
	c.tmpnames.a = &c.tmp;
	unsigned before = u->diag.errors;

	for (struct ns *ns = u->nss; ns; ns = ns->next)
		check_symbols(&c, ns);
	for (struct ns *ns = u->nss; ns; ns = ns->next)
		check_use_cycles(&c, ns);
	for (struct ns *ns = u->nss; ns; ns = ns->next)
		for (struct decl *d = ns->decls; d; d = d->next)
			if (d->kind == D_CONST)
				check_const(&c, d);
	for (struct ns *ns = u->nss; ns; ns = ns->next)
		check_errors(&c, ns);
	for (struct ns *ns = u->nss; ns; ns = ns->next)
		for (struct decl *d = ns->decls; d; d = d->next) {
			if (d->kind == D_ENUM)
				check_enum(&c, d);
			else if (d->kind == D_BITS)
				check_bits(&c, d);
			else if (d->kind == D_STRUCT)
				check_struct(&c, d);
			else if (d->kind == D_IFACE)
				check_parent(&c, d);
		}
	for (struct ns *ns = u->nss; ns; ns = ns->next)
		for (struct decl *d = ns->decls; d; d = d->next)
			if (d->kind == D_STRUCT)
				struct_layout(&c, d);
	for (struct ns *ns = u->nss; ns; ns = ns->next)
		for (struct decl *d = ns->decls; d; d = d->next)
			if (d->kind == D_IFACE)
				check_cycle(&c, d);
	for (struct ns *ns = u->nss; ns; ns = ns->next)
		for (struct decl *d = ns->decls; d; d = d->next)
			if (d->kind == D_IFACE)
				check_interface(&c, d);
	for (struct ns *ns = u->nss; ns; ns = ns->next)
		name_decls(&c, ns);
	/* The fingerprints need what came before, not the C names: on a large
	 * unit they are made on a thread of their own while the names are
	 * claimed, in an arena of their own (made for nothing if the names
	 * clash). */
	struct fp_job fp = {.u = u};
	fp.strs.a = &fp.arena;
	pthread_t fp_thread;
	bool fp_started = false;
	if (u->diag.errors == before && ipcgen_nthreads() > 1 && count_methods(u) >= FP_THREAD_FROM) {
		fp.arena = (struct arena)ARENA_LARGE;   /* a large unit: megabytes */
		fp_started = pthread_create(&fp_thread, NULL, fingerprints_thread, &fp) == 0;
	}
	size_t nnames, nwho;
	count_claims(u, &nnames, &nwho);
	if (nnames >= 4 * FP_THREAD_FROM && !c.tmp.head)   /* names only to claim: megabytes */
		c.tmp = (struct arena)ARENA_LARGE;
	claims_init(&c.claims, nnames, nwho);
	claim_taken(&c);
	for (struct ns *ns = u->nss; ns; ns = ns->next) {
		claim_names(&c, ns);
		claims_flush(&c);
	}
	/* The thread beside the claims reads the parameters' C names, which
	 * escape_locals may change. */
	if (fp_started)
		pthread_join(fp_thread, NULL);
	if (u->diag.errors == before)
		escape_locals(&c);
	claims_free(&c.claims);
	arena_free(&c.tmp);
	dups_free(&c.names);
	dups_free(&c.values);
	dups_free(&c.raised);
	dups_free(&c.ids);
	dups_free(&c.errcodes);
	map_free(&c.clashed);
	if (!fp_started && u->diag.errors == before)
		fingerprints(&fp);
	arena_adopt(&u->arena, &fp.arena);
	return u->diag.errors == before;
}

void unit_free(struct unit *u)
{
	for (struct ns *ns = u->nss; ns; ns = ns->next)
		map_free(&ns->syms);
	arena_free(&u->arena);
}
