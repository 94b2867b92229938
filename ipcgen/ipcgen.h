/*
 * ipcgen.h: the one internal header of ipcgen, sectioned by phase.
 *
 * A compilation reads .ipc files into memory (util), turns each into tokens
 * (lex), parses the tokens into an AST (parse), resolves and checks the AST
 * (check), and writes C (gen_c).  main.c is the command line around that and
 * the only place that calls exit().  Every phase allocates from one arena per
 * compilation; nothing is freed one by one.
 */
#ifndef IPCGEN_H
#define IPCGEN_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define IPCGEN_VERSION "0.1.0"

/* ---- util: arena, strings, hashing, diagnostics ------------------------- */

struct arena_block;
struct istr;
struct arena {
	struct arena_block *head;
	char *cur, *end;
	size_t next_size;         /* of the next block */
	struct istr **itab;       /* arena_intern's table */
	size_t icount, icap;
};

void *arena_alloc(struct arena *a, size_t size);       /* zeroed */
/* An arena that will hold megabytes: its first block is a huge page
 * already (the size of any arena's second), not the 256 KiB that keeps a
 * small input small. */
#define ARENA_LARGE_FIRST ((size_t)2 << 20)
#define ARENA_LARGE {.next_size = ARENA_LARGE_FIRST}
char *arena_strndup(struct arena *a, const char *s, size_t n);
/* The arena's one copy of s[0..n): equal strings interned in one arena are
 * the same pointer. */
const char *arena_intern(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void arena_free(struct arena *a);
/* Moves every block of from into a (they are freed with a); from is left
 * empty.  What from interned is not found by arena_intern on a. */
void arena_adopt(struct arena *a, struct arena *from);

/* Threads ipcgen may use at most (IPCGEN_THREADS); 0: one per processor. */
extern int ipcgen_threads;
/* What that comes to: at least 1. */
unsigned ipcgen_nthreads(void);

uint32_t fnv1a32(const char *s, size_t n);
/* The edit distance of a and b, for "did you mean"; 99 past 32 bytes. */
unsigned edit_distance(const char *a, const char *b);

/* Running out of memory is no error of the input: ipcgen says so and
 * aborts (ipcgen(1): exit status 1 is for errors in the input). */
_Noreturn void out_of_memory(void);
/* malloc and calloc that never return NULL (out_of_memory). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);

/* A growable byte buffer (output of the backend, file contents). */
struct buf {
	char *data;
	size_t len, cap;
	bool mapped;          /* set before the first byte: data is mmap'd (a
	                         large buffer: see map_pages); buf_free unmaps */
	/* If set, buf_spill hands the text so far to spill, which takes it
	 * (and sets len to 0): an output of any size in a bounded buffer. */
	void (*spill)(struct buf *b);
	void *spill_ctx;
};
#define BUF_SPILL_AT ((size_t)256 << 10)
/* Called by a writer between pieces of its text. */
static inline void buf_spill(struct buf *b)
{
	if (b->spill && b->len >= BUF_SPILL_AT)
		b->spill(b);
}
void buf_grow(struct buf *b, size_t need);
static inline void buf_putn(struct buf *b, const char *s, size_t n)
{
	size_t len = b->len;
	if (b->cap - len < n)
		buf_grow(b, n);
	if (n)
		memcpy(b->data + len, s, n);
	b->len = len + n;
}
void buf_putc(struct buf *b, char c);
static inline void buf_puts(struct buf *b, const char *s)
{
	buf_putn(b, s, strlen(s));
}
void buf_free(struct buf *b);
/* Appends a string literal, whose length the compiler knows: the copy is a
 * few moves, where bfmt has a format to follow. */
#define PUT(b, lit) buf_putn((b), "" lit "", sizeof(lit) - 1)
/* Appends v in decimal. */
static inline void buf_putu(struct buf *b, unsigned v)
{
	char t[12], *p = t + sizeof t;
	do *--p = (char)('0' + v % 10); while (v /= 10);
	buf_putn(b, p, (size_t)(t + sizeof t - p));
}
/* Appends formatted text, fast: %s a string, %u an unsigned, %d an int64_t,
 * %x a uint32_t as 8 hex digits, %X a uint64_t as 16, %% a '%'.  f must be
 * a string that never changes (a literal): its split into pieces is kept,
 * keyed by its address. */
void bfmt(struct buf *b, const char *f, ...);
/* snprintf into dst, cheaply, for short names: %s, %u and %c only; text
 * that does not fit in size bytes is a bug in ipcgen (it ends).  dst. */
char *sfmt(char *dst, size_t size, const char *f, ...)
	__attribute__((format(printf, 3, 4)));

/* A source file held in memory, NUL-terminated. */
struct src {
	const char *path;     /* as named on the command line or found by use */
	unsigned index;       /* load order: diagnostics are sorted by it */
	uint32_t id;          /* what a struct loc calls it (src_register) */
	const char *text;
	size_t len;
};

/* A position: the line and column are worked out only for a diagnostic.
 * Eight bytes: the syntax tree holds several a parameter. */
struct loc {
	uint32_t src;         /* the source's id (src_register), 0: none */
	uint32_t off;         /* byte offset of the position */
};
/* Gives s its id, for the positions in it; loc_src is s again for one of
 * them (NULL for none).  Sources are registered by one thread, before any
 * other reads a position. */
void src_register(struct src *s);
const struct src *loc_src(struct loc loc);
struct linecol {
	uint32_t line, col;   /* 1-based; col counts bytes */
};

/* Where diagnostics go, and how many there were.  They are held until
 * diag_flush, which prints them in source order (file, then position),
 * each error followed by its notes. */
struct diag_group;
struct line_index;
struct diag {
	FILE *out;
	bool color;
	unsigned errors;
	struct diag_group *v;
	size_t n, cap;
	struct line_index *lines;   /* per file, made for its first diagnostic */
	size_t nlines;
};
void diag_flush(struct diag *d);
/* The line and column of loc (lines end at "\n", "\r\n" or "\r"). */
struct linecol diag_linecol(struct diag *d, struct loc loc);
/* Frees what diag_linecol keeps (diag_flush does too). */
void diag_forget_lines(struct diag *d);
/* Drops every diagnostic held, unprinted, and the count of errors. */
void diag_discard(struct diag *d);

void diag_error(struct diag *d, struct loc loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void diag_note(struct diag *d, struct loc loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* An error with no position (a file that cannot be read, ...). */
void diag_plain(struct diag *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Reads from fd until n bytes or its end, through EINTR; the count.  *err
 * is the errno of a read that failed, 0 if none did. */
size_t read_full(int fd, void *p, size_t n, int *err);
/* Reads a whole file, NUL-terminated; false (with errno) on failure. */
bool read_file(struct arena *a, const char *path, struct src *out);

/* Zeroed memory for a hash table (or any array filled at once); from
 * TABLE_MAPPED bytes on, whole huge pages, which a large table fills
 * without a page fault per 4 KiB.  table_free needs the same size. */
#define TABLE_MAPPED ((size_t)512 << 10)
void *table_alloc(size_t bytes);
void table_free(void *p, size_t bytes);

/* A string-keyed hash map (open addressing, XXH3), for symbol tables. */
struct map_entry { const char *key; size_t keylen; void *value; };
struct map {
	struct map_entry *v;
	size_t n, cap;
};
/* Finds key; if absent and value is not NULL, inserts it.  Returns the
 * value stored under key before the call, or NULL. */
void *map_put(struct map *m, const char *key, size_t keylen, void *value);
void *map_get(const struct map *m, const char *key, size_t keylen);
void map_free(struct map *m);

/* ---- lex: bytes to tokens ------------------------------------------------ */

/* Token kinds are the parser's (parser.h, written by lemon); end of input is 0. */
#define TOK_EOF 0
/* Small: the parser copies each token several times. */
struct token {
	int kind;
	uint32_t off;         /* where it starts: a byte offset in the file */
	union {
		const char *text;     /* identifiers: interned in the arena */
		uint64_t value;       /* numbers */
	};
	const char *doc;      /* '#' comment block directly above, or NULL */
};

struct token_list {
	struct token *v;
	size_t n;
};

/* A lexer over one file, handing out a token at a time. */
struct lexer {
	struct arena *arena;
	struct diag *diag;
	const struct src *src;
	const unsigned char *base, *cursor;
	const unsigned char *limit;  /* where this lexer stops: end, or a part's end */
	const unsigned char *end;    /* the file's end (its NUL) */
	uint32_t line;           /* for doc comments: which lines they stand on */
	bool line_has_token;     /* a token stood earlier on this line */
	struct buf doc;          /* the comment block being gathered */
	uint32_t doc_last_line;  /* line of its last comment, 0 if none */
};

void lex_init(struct lexer *lx, struct arena *a, struct diag *d, const struct src *src);
/* The next token into *t; false after a lexical error (reported).  At the
 * end of the file, TOK_EOF. */
bool lex_next(struct lexer *lx, struct token *t);
/* Lexes only [from, to) of the file (offsets; from at the start of a
 * line, to at the start of one or at the end). */
void lex_range(struct lexer *lx, size_t from, size_t to);
void lex_fini(struct lexer *lx);
/* Every token of src (for tests); false on a lexical error. */
bool lex_file(struct arena *a, struct diag *d, const struct src *src,
              struct token_list *out);
const char *lex_token_name(int kind);

/* ---- ast ------------------------------------------------------------------ */

enum type_kind {
	TY_UNRESOLVED,
	TY_VOID,
	TY_U8, TY_U16, TY_U32, TY_U64,
	TY_I8, TY_I16, TY_I32, TY_I64,
	TY_UINT, TY_INT, TY_SIZE, TY_UINTPTR, TY_BOOL,
	TY_ENUM,
	TY_STRING, TY_BYTES,  /* bounded: string<N>, bytes<N> */
	TY_BITS, TY_STRUCT,   /* declared */
	TY_LIST,              /* list<T, N> */
	TY_PAGE, TY_CAP, TY_IFACE,
};

struct decl;
struct ns;

struct qname {
	const char *ns;       /* NULL when unqualified */
	const char *name;
	struct loc loc;
};

/* The AST's structures keep their fields in an order with no padding:
 * a large file makes hundreds of thousands of them. */
struct typeref {
	struct qname name;
	uint64_t bound;
	struct loc bound_loc;
	struct decl *decl;    /* enum, bits, struct or interface, once resolved */
	struct typeref *elem; /* list<T, N>: T */
	const struct qname *bound_name;   /* string<MAX>: the constant, until resolved */
	struct loc opt_loc;   /* T?: where the '?' is */
	enum type_kind kind;
	bool has_bound;       /* string<N>, list<T, N> */
	bool bound_negative;  /* string<-1>: reported by check */
	bool optional;        /* T? */
	bool bad_args;        /* type arguments that fit no type: reported */
};

/* A number as written: a literal (perhaps negative) or a constant's name. */
struct numref {
	uint64_t literal;
	struct qname name;    /* name.name NULL: a literal */
	struct loc loc;
	bool negative;
};

struct qname_node {
	struct qname_node *next;
	struct qname name;    /* name "*": every error of the namespace (raises (ns::*)) */
	struct decl *decl;    /* the error, once resolved */
	struct ns *all;       /* raises (ns::*): the namespace, once resolved */
};

struct member {               /* enum or bits member */
	struct member *next;
	const char *name, *doc;
	const char *cname;    /* NS_ENUM_MEMBER */
	struct loc loc;
	struct numref num;    /* its value as written */
	int64_t value;        /* once checked */
	bool has_value;
	bool dup;             /* a duplicate, reported: no C names */
};

/* Out of line (mercury/ipc.h): a side too large for a message at its
 * bounds carries its values in regions of their own when longer than what
 * the message's words leave each of them (ool_min), up to OOL_MAX bytes. */
#define OOL_MAX (1u << 24)

/* A struct nests at most this many levels (one that holds no struct: 1),
 * and holds at most this many values, counting those of the structs it
 * holds and a list's element once (types.c: struct_layout): its canonical
 * form writes every struct it holds out in full. */
#define STRUCT_DEPTH_MAX 256
#define STRUCT_VALUES_MAX 65536u

struct param {                /* a parameter, result or struct field */
	struct param *next;
	const char *name, *doc;
	const char *cname;    /* escaped C name */
	struct loc loc;
	struct typeref type;
	bool list;            /* page... */
	bool ool;             /* a byte array, string or list that may go out of line (check) */
	bool bad;             /* a field whose type failed its checks (reported): no layout */
	unsigned ool_min;     /* ... when longer than this many bytes (a list: words) */
};

enum method_kind { M_CALL, M_SEND, M_SKIP };

struct method {
	struct method *next;
	const char *name, *doc;
	struct loc loc;
	struct param *caps, *outcaps, *params;
	struct typeref ret;
	struct param *results;       /* (name: T, ...): several named results */
	struct qname_node *raises;   /* declared errors */
	struct qname_node *raised;   /* every error it may return, ns::* expanded (check) */
	const char *field;    /* escaped vtable field name */
	const char *clabel;   /* IO_FILE_READ */
	const char *cfunc;    /* io_file_read */
	const char *sig;      /* canonical wire signature (identity.c) */
	char *cparams;        /* its C parameters (gen_c.c, made once) */
	size_t ncparams;
	size_t ncinparams;    /* of which those it takes, the first */
	struct param *caplist, *outlist;   /* derived by check, as below */
	unsigned nool_in, nool_out;   /* values that may go out of line, each way */
	bool ret_ool;         /* the one result may (copied to the 'result' param) */
	unsigned ret_ool_min;
	bool capshape, outshape;   /* an optional capability, several lists or a list
	                              not last: the counts go as words (check) */
	enum method_kind kind;
	unsigned number;      /* label = id << 16 | number */
	unsigned skip_before; /* 'skip;' entries right before it */
	unsigned ncaps_fixed, nout_fixed, nparams;
	unsigned max_words;   /* request words at most (strings vary) */
	bool has_ret;         /* a return type was written */
	bool has_results;     /* results in parentheses were written */
	bool general;         /* uses language 2's values (diagnostics word limits for them) */
	bool dup;
	bool variable;        /* has string or bytes parameters */
};

enum decl_kind { D_ENUM, D_IFACE, D_ERROR, D_CONST, D_STRUCT, D_BITS };

/* A parent of an interface, as written after '::'. */
struct parent_ref {
	struct parent_ref *next;
	struct qname name;
	struct decl *decl;    /* once resolved; NULL if unknown or in a cycle (check) */
	/* Its part of the C object and vtable: "base" for a sole parent, else
	 * named after it (check) */
	const char *field;
};

struct decl {
	struct decl *next;
	enum decl_kind kind;
	const char *name, *doc;
	struct loc loc;
	struct ns *ns;
	const char *cname;    /* ns_name */
	const char *CNAME;    /* NS_NAME */
	const char *cdec;     /* enums: the decoder, ns_name_dec */
	const char *canon;    /* enums: the canonical form, "enum(u32 0 1 2)" */
	/* D_ENUM, D_BITS */
	bool has_base;
	struct typeref base;
	struct member *members;
	unsigned nmembers;
	uint64_t mask;        /* D_BITS: every member's bit */
	/* D_ERROR, D_CONST */
	bool has_value;
	struct numref num;
	uint32_t code;        /* D_ERROR: the status on the wire */
	/* D_CONST: its value, once checked, is num.literal and num.negative */
	/* D_STRUCT */
	struct param *fields;
	unsigned nfields;
	uint64_t max_words;   /* D_STRUCT: the most words a value takes (check) */
	uint64_t nvalues;     /* D_STRUCT: values it holds, nested structs' too (check) */
	unsigned depth;       /* D_STRUCT: 1, or 1 + that of the deepest struct it holds */
	/* D_IFACE */
	struct parent_ref *parents;   /* as written, left to right */
	/* Every interface it inherits from, each once: depth first, parents
	 * left to right, an interface reached again skipped (check). */
	struct decl **ancestors;
	unsigned nparents, nancestors;
	struct method *methods;
	unsigned nmethods;
	unsigned skip_tail;   /* 'skip;' entries after the last method */
	uint32_t id;
	uint64_t fingerprint;
	int state;            /* cycle detection (interfaces, structs, constants) */
	bool dup;
};

struct use {
	struct use *next;
	const char *name;
	struct loc loc;
	struct ns *ns;
};

struct ns {
	struct ns *next;
	const char *name, *doc;
	struct loc loc;
	const struct src *src;
	struct use *uses;
	struct decl *decls;
	bool primary;         /* named on the command line: generate it */
	bool uses_loaded;     /* its uses resolved (unit_load_uses) */
	struct map syms;      /* decl name -> struct decl */
	int state;            /* use-cycle detection */
	const char *cname, *CNAME;
};

/* The high half of ns's error codes, (FNV-1a(name) & 0x7fff) << 16: an
 * error's code is it | its number, 1 to 65535 (ipcgen(5), 'error'). */
uint32_t ns_error_base(const struct ns *ns);

/* The struct a value holds, itself or as a list's element, or NULL. */
static inline struct decl *typeref_struct(const struct typeref *t)
{
	while (t->kind == TY_LIST && t->elem)
		t = t->elem;
	return t->kind == TY_STRUCT ? t->decl : NULL;
}

/* How a value that may go out of line (param.ool) goes: as its words, the
 * same as in the message (a list, a struct, an optional value), where a
 * byte array's or string's region holds its bytes; a struct with a length
 * word of its own before its words in the message (ipcgen(5)). */
static inline bool ool_as_words(const struct typeref *t)
{
	return t->kind == TY_LIST || t->kind == TY_STRUCT || t->optional;
}

static inline bool ool_boxed(const struct typeref *t)
{
	return t->kind == TY_STRUCT && !t->optional;
}

/* ---- parse: tokens to AST ------------------------------------------------ */

/* Lexes and parses one file; lexical and syntax errors are reported to d
 * and stop the file.  Returns NULL on error. */
struct ns *parse_file(struct arena *a, struct diag *d, const struct src *src);

/* ---- check: resolution and semantic checks ------------------------------ */

struct unit {                 /* a compilation */
	struct arena arena;
	struct diag diag;
	struct ns *nss;       /* every namespace loaded, primaries first */
	struct ns **nss_tail; /* where the next goes (NULL: &nss) */
	struct map ns_by_name;
	const char **incdirs;
	size_t nincdirs;
	unsigned max_words, max_caps;   /* the transport's limits */
	unsigned nsrcs;       /* files read so far */
	/* If set, check_unit calls it once names and types are resolved and the
	 * C names of namespaces and declarations made, with an arena for what
	 * it makes; on a large unit on another thread, beside the C-name
	 * claims, so it must only read the AST but for fields nothing else
	 * touches (gen_c_prepare's).  Its work is wasted if the claims clash. */
	void (*beside)(struct unit *u, struct arena *a);
	/* Keep each method's canonical signature (m->sig), which --lock and
	 * --compat compare: it holds the structs a method takes in full, so
	 * it is made only when asked for. */
	bool sigs;
};

/* Loads a file and, for unit_load, what it uses; unit_load_file and then
 * unit_load_uses load every file named first, so that a use of a
 * namespace named on the command line gets that file, whatever the order. */
struct ns *unit_load(struct unit *u, const char *path, bool primary);
struct ns *unit_load_file(struct unit *u, const char *path, bool primary);
void unit_load_uses(struct unit *u);
/* Resolves names and runs every check; all errors are reported. */
bool check_unit(struct unit *u);
/* Frees everything the unit holds. */
void unit_free(struct unit *u);
/* The most words a value of type t takes on the wire, its bounds full
 * (saturating); once checked. */
uint64_t type_words(const struct typeref *t);

/* ---- compat: lock files and breaking-change reports -------------------- */

/* Writes the lock file of the primary namespaces: every interface's ID,
 * fingerprint and methods with their wire signatures. */
void compat_lock(const struct unit *u, struct buf *out);
/* Compares the unit against a lock file; reports each breaking change to
 * u->diag.  Returns the number of breaking changes, or -1 if the lock file
 * cannot be read (reported). */
int compat_check(struct unit *u, const char *lockpath, unsigned *additions);

/* ---- gen_c: the C backend ------------------------------------------------- */

enum gen_part { GEN_HEADER, GEN_CLIENT, GEN_SERVER, GEN_NPARTS };

/* Makes what the parts of ns share (each method's C parameters), in a, so
 * that gen_c may then write the parts at once, in several threads.  What
 * is made already is kept. */
void gen_c_prepare(struct arena *a, const struct ns *ns);
/* Writes one output file of namespace ns into out (spilling it as it goes,
 * if out has a spill).  Needs gen_c_prepare first. */
void gen_c(const struct unit *u, const struct ns *ns, enum gen_part part,
           struct buf *out);
/* Language 2's values as gen_c writes them, for gen_fuzz: a value as C
 * parameters (given, or out to fill), as a zeroed local, encoded from a
 * parameter as given, as a local handed on (", &a0", ", has_a0 ? a0 : NULL",
 * after gen_value_local_setup has pointed a list of strings' pointers at
 * it), filled with random values. */
void gen_value_param(struct buf *b, const struct typeref *t, const char *name, bool out);
void gen_value_storage(struct buf *b, const char *ind, const struct typeref *t, const char *name);
void gen_value_encode(struct buf *b, const char *ind, const struct typeref *t, const char *name,
                      const char *m, const char *w);
void gen_value_local_setup(struct buf *b, const struct typeref *t, const char *name);
void gen_value_local_pass(struct buf *b, const struct typeref *t, const char *name);
void gen_value_fill(struct buf *b, const char *ind, const struct typeref *t, const char *x,
                    const char *cnt, const char *has, unsigned depth);
/* The parent of interface i through which its ancestor a is answered: the
 * first that is a or inherits from it. */
const struct parent_ref *gen_route(const struct decl *i, const struct decl *a);
/* Appends the path from i's vtable or object to the part of its ancestor a
 * that answers for a: "base.base.", "readable.base." (nothing if a is i). */
void gen_part_path(struct buf *b, const struct decl *i, const struct decl *a);
/* Writes NS_fuzz.c, the libFuzzer target over the servers of ns (gen_fuzz.c). */
void gen_fuzz(const struct unit *u, const struct ns *ns, struct buf *out);
/* Frees the scratch text gen_c's makers keep on this thread (both call it). */
void gen_scratch_free(void);

/* ---- write: output files, atomic and only when changed (write.c) ------- */

/* A file being written: its text arrives in pieces (writer_put), is compared
 * with what the file holds, and only if it differs goes to a temporary file
 * renamed over the old one by writer_close.  Errors are reported to stderr
 * by writer_close, which returns false. */
struct writer;
struct writer *writer_open(const char *path);
void writer_put(struct writer *w, const char *p, size_t n);
bool writer_close(struct writer *w);
/* Makes b spill into w (see buf_spill). */
void writer_attach(struct buf *b, struct writer *w);
/* The whole of data to path, in one piece. */
bool write_output(const char *path, const struct buf *data);

/* The output file name of a part: "io.h", "io_client.c", "io_server.c". */
const char *gen_c_filename(struct arena *a, const struct ns *ns,
                           enum gen_part part);

#endif /* IPCGEN_H */
