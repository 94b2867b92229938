/*
 * cnames.c: C names, once the types are checked.  Protocol names are
 * mapped to C names, escaped where they would be C or C++ keywords or
 * reserved names; every global C name of the unit is claimed in one table,
 * so that two protocol names never become one C name, nor one of C's; then
 * parameters and vtable entries named like a global name are escaped
 * further.
 */
#include <string.h>
#include <strings.h>
/* XXH3 inlined: the claims hash short strings. */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "checker.h"

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
	/* the macros of <stdarg.h>, <stdio.h>, <stdlib.h> and <string.h>, which
	 * a fuzz target (--fuzz) includes before NS.h: ISO C's, POSIX's, and
	 * glibc's in its default and _GNU_SOURCE modes (what stdlib.h brings
	 * in of sys/types.h, endian.h, sys/select.h, sys/wait.h and alloca.h) */
	"va_arg", "va_copy", "va_end", "va_start",
	"BUFSIZ", "EOF", "FILENAME_MAX", "FOPEN_MAX", "L_ctermid", "L_cuserid",
	"L_tmpnam", "P_tmpdir", "RENAME_EXCHANGE", "RENAME_NOREPLACE",
	"RENAME_WHITEOUT", "SEEK_CUR", "SEEK_DATA", "SEEK_END", "SEEK_HOLE",
	"SEEK_SET", "TMP_MAX", "stderr", "stdin", "stdout",
	"EXIT_FAILURE", "EXIT_SUCCESS", "MB_CUR_MAX", "RAND_MAX", "alloca",
	"BIG_ENDIAN", "BYTE_ORDER", "LITTLE_ENDIAN", "PDP_ENDIAN",
	"be16toh", "be32toh", "be64toh", "htobe16", "htobe32", "htobe64",
	"htole16", "htole32", "htole64", "le16toh", "le32toh", "le64toh",
	"FD_CLR", "FD_ISSET", "FD_SET", "FD_SETSIZE", "FD_ZERO", "NFDBITS",
	"WCONTINUED", "WEXITED", "WEXITSTATUS", "WIFCONTINUED", "WIFEXITED",
	"WIFSIGNALED", "WIFSTOPPED", "WNOHANG", "WNOWAIT", "WSTOPPED", "WSTOPSIG",
	"WTERMSIG", "WUNTRACED", "strdupa", "strndupa",
	/* the names generated functions use for themselves */
	"ep", "m", "st", "result", "nresult", "has_result", "self", "reply", "status", "in",
	"out", "vt", "wi", "ok", "ix", "ci", "cn", "olen", "ool", "oref", "nool", "oi", "olist", "timeout_ms", "call", "done", "fn", "arg",
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

char *pool_alloc(struct strpool *p, size_t n)
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
const char *c_local(struct strpool *p, const char *s, bool *under)
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
	W_CONST, W_STRUCT, W_STRUCT_PUT, W_STRUCT_GET, W_STRUCT_PUTW, W_STRUCT_GETW, W_BITS, W_BITS_VALID, W_BITS_DEC, W_BIT,
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
	[W_STRUCT_PUTW] = {"struct '%s::%s'", "encoder of words"},
	[W_STRUCT_GETW] = {"struct '%s::%s'", "decoder of words"},
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

/* The suffixes the generated code appends to a declaration's C name
 * (NAME_reply, NAME_ID), in the order each declaration claims them.  A
 * name claimed with suffixes is kept once, with the suffixes as bits of
 * its entry: a method's six names are one entry, not six names made and
 * hashed only to be compared.  Each suffix makes one kind of C name, and
 * one kind of function or macro (sfx_what tells an enum's reader from a
 * struct's). */
enum claim_sfx {
	SFX_NONE, SFX_STATUS_NAME, SFX_VALID, SFX_NAME, SFX_PUT, SFX_GET, SFX_PUT_WORDS,
	SFX_GET_WORDS, SFX_IFACE, SFX_ID, SFX_ABI, SFX_INIT, SFX_HANDLE, SFX_DISPATCH,
	SFX_DESCRIBE, SFX_PACK, SFX_REPLY, SFX_ASYNC_START, SFX_ASYNC_CB, SFX_ASYNC_WAIT,
	SFX_ASYNC_FINISH, SFX_N
};
#define BIT(s) ((uint32_t)1 << (s))
static const struct { char text[16]; uint8_t len, kind, what; } sfx_info[] = {
#define SFX(s, k, w) {s, sizeof s - 1, k, w}
	[SFX_STATUS_NAME] = SFX("status_name", CN_ORDINARY, W_STATUS),
	[SFX_VALID] = SFX("valid", CN_ORDINARY, W_ENUM_VALID),
	[SFX_NAME] = SFX("name", CN_ORDINARY, W_ENUM_NAME),
	[SFX_PUT] = SFX("put", CN_ORDINARY, W_STRUCT_PUT),
	[SFX_GET] = SFX("get", CN_ORDINARY, W_ENUM_GET),
	[SFX_PUT_WORDS] = SFX("put_words", CN_ORDINARY, W_STRUCT_PUTW),
	[SFX_GET_WORDS] = SFX("get_words", CN_ORDINARY, W_STRUCT_GETW),
	[SFX_IFACE] = SFX("iface", CN_TAG, W_VTABLE),
	[SFX_ID] = SFX("ID", CN_MACRO, W_ID),
	[SFX_ABI] = SFX("ABI", CN_MACRO, W_ABI),
	[SFX_INIT] = SFX("init", CN_ORDINARY, W_INIT),
	[SFX_HANDLE] = SFX("handle", CN_ORDINARY, W_HANDLE),
	[SFX_DISPATCH] = SFX("dispatch", CN_ORDINARY, W_DISPATCH),
	[SFX_DESCRIBE] = SFX("describe", CN_ORDINARY, W_DESCRIBE),
	[SFX_PACK] = SFX("pack", CN_ORDINARY, W_PACK),
	[SFX_REPLY] = SFX("reply", CN_ORDINARY, W_REPLY),
	[SFX_ASYNC_START] = SFX("async_start", CN_ORDINARY, W_START),
	[SFX_ASYNC_CB] = SFX("async_cb", CN_ORDINARY, W_ASYNC),
	[SFX_ASYNC_WAIT] = SFX("async_wait", CN_ORDINARY, W_WAIT),
	[SFX_ASYNC_FINISH] = SFX("async_finish", CN_ORDINARY, W_FINISH),
#undef SFX
};

/* What suffix s makes of a declaration whose own claim is fam (W_STATUS
 * for a namespace): an enum's, a bit set's and a struct's reader are all
 * NAME_get. */
static enum claim_what sfx_what(enum claim_what fam, unsigned s)
{
	if (s == SFX_VALID && fam == W_BITS)
		return W_BITS_VALID;
	if (s == SFX_GET && (fam == W_BITS || fam == W_STRUCT))
		return fam == W_BITS ? W_BITS_GET : W_STRUCT_GET;
	return (enum claim_what)sfx_info[s].what;
}

/* Who holds a whole C name.  Ordinary names and macros share ord (a macro
 * is also marked as one); tags have their own. */
struct holders {
	uint32_t ord, tag;     /* claimants, indices into who[]; 0: none */
	uint8_t ord_what, tag_what;   /* enum claim_what */
	bool macro;            /* ord claimed it as a macro */
};

/* A C name and who has claimed it: the name itself (own), and its
 * suffixes, claimed by sfx_who (the usual case: the declaration the name
 * is of), those of other claimants in a chain in more[]. */
struct claim_entry {
	const char *name;      /* len bytes */
	uint32_t len;
	struct holders own;
	uint32_t sfx_who;      /* the claimant of the suffixes in sfx; 0: none */
	uint32_t sfx;          /* suffixes claimed, BIT(SFX_...) */
	uint32_t shadow;       /* suffixes whose whole name NAME_SFX is claimed as a name */
	uint32_t more;         /* other claimants' suffixes: index into more[]; 0: none */
	uint8_t sfx_fam;       /* enum claim_what: sfx_who's own */
};

struct claim_more {
	uint32_t who, sfx, next;
	uint8_t fam;
};

/* Room for about n names and nwho claimants, without growing.  The slots
 * (8 bytes each) are all that a lookup touches but for a name that is
 * there already: they stay in the cache, where a table of whole entries
 * did not. */
void claims_init(struct claims *t, size_t n, size_t nwho)
{
	t->cap = 64;
	while (3 * t->cap < 4 * n)
		t->cap *= 2;
	t->slot = table_alloc(t->cap * sizeof *t->slot);
	t->capv = n + 1;
	t->v = table_alloc(t->capv * sizeof *t->v);
	t->capwho = nwho + 1;
	t->who = table_alloc(t->capwho * sizeof *t->who);
	t->nwho = 1;
	t->nmore = 1;
}

void claims_free(struct claims *t)
{
	table_free(t->slot, t->cap * sizeof *t->slot);
	table_free(t->v, t->capv * sizeof *t->v);
	table_free(t->who, t->capwho * sizeof *t->who);
	*t = (struct claims){0};   /* more is in the checker's scratch arena */
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

/* The entry of name (len bytes, hash h), or NULL. */
static struct claim_entry *claims_get(const struct claims *t, const char *name, size_t len,
                                      uint64_t h)
{
	size_t i = claims_slot(t, name, len, h);
	return t->slot[i].entry ? &t->v[t->slot[i].entry - 1] : NULL;
}

/* The index of the entry of name (len bytes, hash h), of a new one
 * (unclaimed) if it has none, which may move t->v.  name must live as
 * long as the table. */
static uint32_t claims_find(struct claims *t, const char *name, size_t len, uint64_t h)
{
	size_t i = claims_slot(t, name, len, h);
	if (t->slot[i].entry)
		return t->slot[i].entry - 1;
	if (4 * (t->n + 1) > 3 * t->cap) {   /* the estimate fell short: grow */
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
	return (uint32_t)t->n - 1;
}

/* The claimant of suffix s of e's name, and what it made of it; 0: none. */
static uint32_t sfx_owner(const struct claims *t, const struct claim_entry *e, unsigned s,
                          enum claim_what *what)
{
	if (e->sfx & BIT(s)) {
		*what = sfx_what((enum claim_what)e->sfx_fam, s);
		return e->sfx_who;
	}
	for (uint32_t k = e->more; k; k = t->more[k].next)
		if (t->more[k].sfx & BIT(s)) {
			*what = sfx_what((enum claim_what)t->more[k].fam, s);
			return t->more[k].who;
		}
	return 0;
}

/* Suffix s of e's name is now who's. */
static void hold_sfx(struct checker *c, struct claim_entry *e, unsigned s, uint32_t who,
                     enum claim_what fam)
{
	struct claims *t = &c->claims;
	if (!e->sfx_who || e->sfx_who == who) {
		e->sfx_who = who;
		e->sfx_fam = (uint8_t)fam;
		e->sfx |= BIT(s);
		return;
	}
	for (uint32_t k = e->more; k; k = t->more[k].next)
		if (t->more[k].who == who) {
			t->more[k].sfx |= BIT(s);
			return;
		}
	/* more[0] is unused: nothing to copy before the first room. */
	t->more = room(c, t->more, &t->capmore, t->capmore ? t->nmore : 0, t->nmore + 1,
	               sizeof *t->more);
	t->more[t->nmore] = (struct claim_more){who, BIT(s), e->more, (uint8_t)fam};
	e->more = (uint32_t)t->nmore++;
}

/* The suffixes a whole name of n bytes ends with, after a '_' and at
 * least one byte of the name they would extend. */
static uint32_t sfx_tails(const char *text, size_t n)
{
	static uint32_t by_last[128];   /* the suffixes ending in each byte */
	static bool built;
	if (!built) {
		built = true;
		for (unsigned s = 1; s < SFX_N; s++)
			by_last[(unsigned char)sfx_info[s].text[sfx_info[s].len - 1]] |= BIT(s);
	}
	uint32_t tails = 0;
	if (n < 3 || (unsigned char)text[n - 1] >= 128)
		return 0;
	for (uint32_t m = by_last[(unsigned char)text[n - 1]]; m; m &= m - 1) {
		unsigned s = (unsigned)__builtin_ctz(m);
		size_t k = sfx_info[s].len;
		if (n > k + 1 && text[n - k - 1] == '_' && memcmp(text + n - k, sfx_info[s].text, k) == 0)
			tails |= BIT(s);
	}
	return tails;
}

/* The suffixes whose whole name another suffix's can be (NAME_name is
 * NAME2_status_name if NAME is NAME2_status): claimed, these look at the
 * whole name. */
static uint32_t sfx_aliased(void)
{
	static uint32_t aliased;
	static bool built;
	if (!built) {
		built = true;
		for (unsigned s = 1; s < SFX_N; s++)
			for (unsigned u = 1; u < SFX_N; u++)
				if (u != s && sfx_tails(sfx_info[u].text, sfx_info[u].len) & BIT(s))
					aliased |= BIT(s) | BIT(u);
	}
	return aliased;
}

static void hold(struct holders *h, enum cname_kind kind, uint32_t who, enum claim_what what)
{
	if (kind == CN_TAG) {
		h->tag = who;
		h->tag_what = (uint8_t)what;
	} else {
		h->ord = who;
		h->ord_what = (uint8_t)what;
		h->macro = kind == CN_MACRO;
	}
}

/* Whether a claim of kind would be held: no other holds the name so. */
static bool unheld(const struct holders *h, enum cname_kind kind)
{
	return kind == CN_TAG ? !h->tag : !h->ord;
}

/* The holders of the whole name text (n bytes): y, its own entry (NULL
 * if none), and the suffixes in tails claimed on the names it extends. */
static struct holders holders_of(const struct claims *t, const char *text, size_t n,
                                 const struct claim_entry *y, uint32_t tails)
{
	struct holders h = y ? y->own : (struct holders){0};
	for (; tails; tails &= tails - 1) {
		unsigned s = (unsigned)__builtin_ctz(tails);
		size_t nb = n - sfx_info[s].len - 1;
		const struct claim_entry *b = claims_get(t, text, nb, XXH3_64bits(text, nb));
		enum claim_what what;
		uint32_t who = b ? sfx_owner(t, b, s, &what) : 0;
		if (who)
			hold(&h, (enum cname_kind)sfx_info[s].kind, who, what);
	}
	return h;
}

/* The holder a claim of kind clashes with, and what it made of the name;
 * 0: none.  A tag clashes with a tag or a macro, an ordinary name with an
 * ordinary name or a macro, a macro with all. */
static uint32_t clash_with(const struct holders *h, enum cname_kind kind, enum claim_what *what)
{
	if (kind == CN_TAG) {
		*what = (enum claim_what)(h->tag ? h->tag_what : h->ord_what);
		return h->tag ? h->tag : h->macro ? h->ord : 0;
	}
	*what = (enum claim_what)(h->ord ? h->ord_what : h->tag_what);
	return h->ord ? h->ord : kind == CN_MACRO ? h->tag : 0;
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

/* Reports who's claim of name as what, which clashes with old's as
 * old_what: once per declaration, its other names clash the same way. */
static void report_clash(struct checker *c, uint32_t who, enum claim_what what, uint32_t old,
                         enum claim_what old_what, const char *name)
{
	const struct claimant *me = &c->claims.who[who], *it = &c->claims.who[old];
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

/* Marks the names that name (len bytes, claimed) extends by the suffixes
 * in tails: a claim of such a suffix of one of them looks at name. */
static void mark_tails(struct claims *t, const char *name, size_t len, uint32_t tails)
{
	for (; tails; tails &= tails - 1) {
		unsigned s = (unsigned)__builtin_ctz(tails);
		size_t nb = len - sfx_info[s].len - 1;
		uint32_t b = claims_find(t, name, nb, XXH3_64bits(name, nb));
		t->v[b].shadow |= BIT(s);
	}
}

/* Claims the pending name p->name (no suffix) now.  It is held as the
 * kind of C name it is claimed as unless another claimant holds it so:
 * as this name, or as a suffix of a name it extends; a clash with either
 * is reported. */
static void claim_name_now(struct checker *c, const struct pending_claim *p)
{
	struct claims *t = &c->claims;
	enum cname_kind kind = (enum cname_kind)p->kind;
	uint32_t tails = sfx_tails(p->name, p->len);
	uint32_t yi = claims_find(t, p->name, p->len, p->hash);   /* may move t->v */
	struct claim_entry *y = &t->v[yi];
	struct holders h = holders_of(t, p->name, p->len, y, tails);
	enum claim_what old_what;
	uint32_t old = clash_with(&h, kind, &old_what);
	if (unheld(&h, kind)) {
		hold(&y->own, kind, p->who, (enum claim_what)p->what);
		mark_tails(t, p->name, p->len, tails);
	}
	if (old)
		report_clash(c, p->who, (enum claim_what)p->what, old, old_what, p->name);
}

/* The whole name of e's name with suffix s, in a; its length in *n. */
static const char *sfx_text(struct arena *a, const struct claim_entry *e, unsigned s, size_t *n)
{
	*n = e->len + 1 + sfx_info[s].len;
	char *t = arena_alloc(a, *n + 1);
	memcpy(t, e->name, e->len);
	t[e->len] = '_';
	memcpy(t + e->len + 1, sfx_info[s].text, sfx_info[s].len + 1);   /* its 0 too */
	return t;
}

/* Claims the pending suffixes p->sfx of name p->name now, each as
 * claim_name_now would its whole name.  Most whole names are neither
 * claimed as names of their own (e->shadow) nor another suffix's whole
 * name (sfx_aliased): those are not written out. */
static void claim_sfx_now(struct checker *c, const struct pending_claim *p)
{
	struct claims *t = &c->claims;
	uint32_t ei = claims_find(t, p->name, p->len, p->hash);
	enum claim_what fam = (enum claim_what)p->what;
	for (uint32_t m = p->sfx; m; m &= m - 1) {
		unsigned s = (unsigned)__builtin_ctz(m);
		struct claim_entry *e = &t->v[ei];
		enum cname_kind kind = (enum cname_kind)sfx_info[s].kind;
		const char *text = NULL;
		size_t n = 0;
		struct holders h = {0};
		if ((e->shadow | sfx_aliased()) & BIT(s)) {
			text = sfx_text(&c->tmp, e, s, &n);
			uint64_t hash = XXH3_64bits(text, n);
			h = holders_of(t, text, n, claims_get(t, text, n, hash), sfx_tails(text, n));
		} else {
			enum claim_what w;
			uint32_t who = sfx_owner(t, e, s, &w);
			if (who)
				hold(&h, kind, who, w);
		}
		enum claim_what old_what;
		uint32_t old = clash_with(&h, kind, &old_what);
		if (unheld(&h, kind))
			hold_sfx(c, e, s, p->who, fam);
		if (old)
			report_clash(c, p->who, sfx_what(fam, s), old, old_what,
			             text ? text : sfx_text(&c->tmp, e, s, &n));
	}
}

/* Claims waiting for claims_flush, their slots being fetched meanwhile:
 * a lookup is a cache miss in a table of megabytes, and a batch of them
 * overlaps the misses instead of waiting on each in turn. */
void claims_flush(struct checker *c)
{
	for (unsigned k = 0; k < c->npend; k++) {
		if (c->pend[k].sfx)
			claim_sfx_now(c, &c->pend[k]);
		else
			claim_name_now(c, &c->pend[k]);
	}
	c->npend = 0;
}

static void pend(struct checker *c, enum cname_kind kind, const char *name, uint32_t sfx,
                 uint32_t who, enum claim_what what)
{
	struct pending_claim *p = &c->pend[c->npend++];
	p->name = name;
	p->len = (uint32_t)strlen(name);
	p->hash = XXH3_64bits(name, p->len);
	__builtin_prefetch(&c->claims.slot[(size_t)p->hash & (c->claims.cap - 1)]);
	p->sfx = sfx;
	p->who = who;
	p->kind = (uint8_t)kind;
	p->what = (uint8_t)what;
	if (c->npend == CLAIM_BATCH)
		claims_flush(c);
}

/* Claims the global C name name, as kind, for claimant who: a clash with
 * another claimant's name is reported (once per declaration).  name must
 * live until the end of the check.  Claims are made in order, a batch at
 * a time; claims_flush ends the batch. */
static void claim(struct checker *c, enum cname_kind kind, const char *name,
                  uint32_t who, enum claim_what what)
{
	pend(c, kind, name, 0, who, what);
}

/* Claims name followed by "_" and each suffix in sfx (BIT(SFX_...)), in
 * their order, for claimant who, whose own claim is fam; as claim. */
static void claim_sfx(struct checker *c, const char *name, uint32_t sfx, uint32_t who,
                      enum claim_what fam)
{
	size_t len = strlen(name);
	if (len == 0 || name[len - 1] == '_') {   /* a shape join must rewrite (never so far) */
		for (; sfx; sfx &= sfx - 1) {
			unsigned s = (unsigned)__builtin_ctz(sfx);
			claim(c, (enum cname_kind)sfx_info[s].kind,
			      join_n(&c->tmpnames, name, sfx_info[s].text, sfx_info[s].len, false), who,
			      sfx_what(fam, s));
		}
		return;
	}
	pend(c, CN_ORDINARY, name, sfx, who, fam);
}


/* ---- claiming the unit's C names ---------------------------------------------- */

void claim_taken(struct checker *c)
{
	uint32_t who = claimant(c, (struct loc){0}, taken_owner, NULL, NULL);
	struct claims *t = &c->claims;
	for (size_t i = 0; i < sizeof c_taken / sizeof c_taken[0]; i++) {
		size_t len = strlen(c_taken[i]);
		uint32_t ei = claims_find(t, c_taken[i], len, XXH3_64bits(c_taken[i], len));
		struct claim_entry *e = &t->v[ei];
		if (e->own.ord)
			continue;
		e->own = (struct holders){who, who, W_TAKEN, W_TAKEN, true};
		mark_tails(t, c_taken[i], len, sfx_tails(c_taken[i], len));
	}
}

/* The number of names claim_names claims (with their suffixes, a name
 * each) and of claimants it makes, at most: to size the table. */
void count_claims(const struct unit *u, size_t *names, size_t *who)
{
	*names = sizeof c_taken / sizeof c_taken[0];
	*who = 1;
	for (const struct ns *ns = u->nss; ns; ns = ns->next) {
		*names += 2;   /* the guard, the name with its status_name */
		*who += 1;
		for (const struct decl *d = ns->decls; d; d = d->next) {
			*who += 1;
			if (d->kind == D_ERROR || d->kind == D_CONST) {
				*names += 1;
			} else if (d->kind == D_STRUCT) {
				*names += 1;
			} else if (d->kind == D_ENUM || d->kind == D_BITS) {
				*names += 2 + d->nmembers;   /* NAME, NAME_dec, members */
				*who += d->nmembers;
			} else {   /* NAME and NAME_ID's; a method's, and its label */
				*names += 2 + 2 * (size_t)d->nmethods;
				*who += d->nmethods;
			}
		}
	}
}

/* The C names of ns and of its declarations (ns_name), which the rest
 * build on: made before the claims, so that the thread beside them
 * (fingerprints, the unit's beside hook) may read them meanwhile. */
void name_decls(struct checker *c, struct ns *ns)
{
	ns->cname = c_unreserve(&c->strs, ns->name, true);
	ns->CNAME = c_upper(&c->strs, ns->cname);
	for (struct decl *d = ns->decls; d; d = d->next)
		if (!d->dup)
			d->cname = join(&c->strs, ns->cname, d->name);
}

/* The C names of everything in ns.  Those the generator uses are made in
 * the unit's arena; those it makes by a suffix (NAME_reply) are claimed as
 * the name and the suffix, not written out. */
void claim_names(struct checker *c, struct ns *ns)
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
	claim_sfx(c, ns->cname, BIT(SFX_STATUS_NAME), who, W_STATUS);
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
			claim_sfx(c, d->cname,
			          BIT(SFX_PUT) | BIT(SFX_GET) | BIT(SFX_PUT_WORDS) | BIT(SFX_GET_WORDS),
			          who, W_STRUCT);
			continue;
		}
		if (d->kind == D_BITS) {
			d->cdec = join_lit(a, d->cname, "dec");
			claim(c, CN_ORDINARY, d->cname, who, W_BITS);
			claim_sfx(c, d->cname, BIT(SFX_VALID), who, W_BITS);
			claim(c, CN_ORDINARY, d->cdec, who, W_BITS_DEC);
			claim_sfx(c, d->cname, BIT(SFX_GET), who, W_BITS);
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
			claim_sfx(c, d->cname, BIT(SFX_VALID), who, W_ENUM);
			claim(c, CN_ORDINARY, d->cdec, who, W_ENUM_DEC);
			claim_sfx(c, d->cname, BIT(SFX_NAME) | BIT(SFX_GET), who, W_ENUM);
			const char *q = qualified(c->a, d);
			for (struct member *m = d->members; m; m = m->next) {
				m->cname = upper(join(a, d->cname, m->name));
				if (!m->dup)
					claim(c, CN_ORDINARY, m->cname, claimant(c, m->loc, m, q, m->name), W_MEMBER);
			}
			continue;
		}
		claim(c, CN_TAG, d->cname, who, W_IFACE);
		claim_sfx(c, d->cname, BIT(SFX_IFACE), who, W_IFACE);
		claim_sfx(c, d->CNAME, BIT(SFX_ID) | BIT(SFX_ABI), who, W_IFACE);
		claim_sfx(c, d->cname,
		          BIT(SFX_INIT) | BIT(SFX_HANDLE) | BIT(SFX_DISPATCH) | BIT(SFX_DESCRIBE), who,
		          W_IFACE);
		const char *q = qualified(c->a, d);
		for (struct method *m = d->methods; m; m = m->next) {
			m->cfunc = join(a, d->cname, m->name);
			m->clabel = c_upper(a, m->cfunc);
			if (m->dup)
				continue;
			uint32_t mwho = claimant(c, m->loc, m, q, m->name);
			claim(c, CN_ORDINARY, m->cfunc, mwho, W_METHOD);
			claim(c, CN_MACRO, m->clabel, mwho, W_LABEL);
			claim_sfx(c, m->cfunc,
			          m->kind == M_CALL
			          ? BIT(SFX_PACK) | BIT(SFX_REPLY) | BIT(SFX_ASYNC_START) |
			            BIT(SFX_ASYNC_CB) | BIT(SFX_ASYNC_WAIT) | BIT(SFX_ASYNC_FINISH)
			          : BIT(SFX_PACK),
			          mwho, W_METHOD);
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
	struct holders h = holders_of(t, name, n, claims_get(t, name, n, XXH3_64bits(name, n)),
	                              sfx_tails(name, n));
	return h.ord && (h.macro || !macro_only);
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
const char *escape_more(struct strpool *p, const char *s)
{
	size_t n = strlen(s);
	char *t = pool_alloc(p, n + 2);
	memcpy(t, s, n);
	t[n] = s[n - 1] == '_' ? 'x' : '_';
	t[n + 1] = 0;
	return t;
}

/* Whether another vtable entry of i, or a parent's part, is called name. */
static bool field_taken(const struct decl *i, const struct method *m, const char *name)
{
	for (const struct method *o = i->methods; o; o = o->next)
		if (o != m && strcmp(o->field, name) == 0)
			return true;
	return part_named(i, name);
}

void escape_locals(struct checker *c)
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
