/*
 * identity.c: what identifies an interface's ABI, the checks' last phase:
 * the canonical forms of enums, bit sets and structs, each method's
 * canonical signature, and each interface's fingerprint.  (IDs and label
 * numbers are fixed with the interfaces, in types.c; error codes in
 * resolve.c.)  On a large unit it runs on a thread of its own while
 * cnames.c claims the C names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* XXH3 inlined: the fingerprint hashes short strings. */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "checker.h"

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

/* The values of e's members in increasing order (as signed numbers for an
 * enum), in a: the order they are declared in is not on the wire. */
static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static int64_t *sorted_values(struct arena *a, const struct decl *e, bool is_signed)
{
	int64_t *v = arena_alloc(a, (e->nmembers ? e->nmembers : 1) * sizeof *v);
	size_t n = 0;
	for (const struct member *m = e->members; m; m = m->next)
		v[n++] = m->value;
	qsort(v, n, sizeof *v, is_signed ? cmp_i64 : cmp_u64);
	return v;
}

/* An enum's canonical form, "enum(u32 0 1 2)": computed once per enum,
 * in the scratch buffer b. */
static void canon_enum(struct arena *a, struct buf *b, struct decl *e)
{
	b->len = 0;
	buf_puts(b, "enum(");
	buf_puts(b, e->base.name.name);
	const int64_t *v = sorted_values(a, e, true);
	for (unsigned i = 0; i < e->nmembers; i++) {
		buf_puts(b, v[i] < 0 ? " -" : " ");
		put_dec(b, v[i] < 0 ? -(uint64_t)v[i] : (uint64_t)v[i]);
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
	const int64_t *v = sorted_values(a, e, false);
	for (unsigned i = 0; i < e->nmembers; i++) {
		put_c(b, ' ');
		put_dec(b, (uint64_t)v[i]);
	}
	put_c(b, ')');
	e->canon = arena_strndup(a, b->data, b->len);
}

static inline void canon_type(struct buf *b, const struct typeref *t, bool list);

/* A struct's, "struct(i64,u32,string<64>)": its fields' types in order
 * (their names are not on the wire).  Made once, those of the structs it
 * holds first; its own scratch buffer, as it nests.  Its size is bounded
 * by the values it holds, and the recursion by its depth (types.c:
 * struct_layout, STRUCT_VALUES_MAX and STRUCT_DEPTH_MAX). */
static void canon_held(struct arena *a, const struct param *ps);

static void canon_struct(struct arena *a, struct decl *d)
{
	if (d->canon)
		return;
	canon_held(a, d->fields);
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
		 * (ns::*) as the high half of its codes and a '*'.  Every one: a
		 * method may raise any number of errors (distinct, types.c). */
		uint32_t few[256], *codes = few;
		size_t n = 0;
		for (const struct qname_node *e = m->raises; e; e = e->next)
			n++;
		if (n > sizeof few / sizeof few[0])
			codes = xmalloc(n * sizeof *codes);
		n = 0;
		for (const struct qname_node *e = m->raises; e; e = e->next)
			codes[n++] = e->all ? ns_error_base(e->all) : e->decl->code;
		qsort(codes, n, sizeof *codes, cmp_u32);
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
		if (codes != few)
			free(codes);
	}
}

/*
 * The fingerprint: XXH3-64 (seed 0) of
 *   "ipcgen-abi 1\ninterface NS::NAME ID\n", "parent PARENT-FINGERPRINT\n" per
 *   parent in the order written,
 *   and per method "KIND N {CAPS;OUTCAPS} (PARAMS) RESULT[ raises CODES]\n"
 * with IDs and fingerprints in lower-case hex (8 and 16 digits).
 *
 * The text is hashed as it is written into the scratch buffer b, a line
 * at a time, so that b holds one method's line however many methods take
 * large structs (the parents' fingerprints are made first); if sigs, each
 * method's signature (m->sig, "KIND {CAPS;...") is copied out of its line
 * at its exact size.
 */
/* The canonical forms of the structs ps hold (made once, when a method
 * first uses one: a struct no method uses costs nothing here). */
static void canon_held(struct arena *a, const struct param *ps)
{
	for (const struct param *p = ps; p; p = p->next) {
		struct decl *s = typeref_struct(&p->type);
		if (s)
			canon_struct(a, s);
	}
}

static uint64_t fingerprint(struct arena *ar, struct strpool *a, struct buf *b, struct decl *i,
                            bool sigs)
{
	if (i->fingerprint)
		return i->fingerprint;
	for (struct parent_ref *r = i->parents; r; r = r->next)
		fingerprint(ar, a, b, r->decl, sigs);
	for (const struct method *m = i->methods; m; m = m->next) {
		canon_held(ar, m->params);
		canon_held(ar, m->results);   /* a single result among them (types.c) */
		struct param ret = {.type = m->ret};
		canon_held(ar, &ret);
	}
	b->len = 0;
	buf_puts(b, "ipcgen-abi 1\ninterface ");
	buf_puts(b, i->ns->name);
	buf_putn(b, "::", 2);
	buf_puts(b, i->name);
	put_c(b, ' ');
	put_hex(b, i->id, 8);
	put_c(b, '\n');
	for (const struct parent_ref *r = i->parents; r; r = r->next) {
		buf_putn(b, "parent ", 7);
		put_hex(b, r->decl->fingerprint, 16);
		put_c(b, '\n');
	}
	XXH3_state_t st;
	XXH3_64bits_reset(&st);
	for (struct method *m = i->methods; m; m = m->next) {
		XXH3_64bits_update(&st, b->data, b->len);
		b->len = 0;   /* the line starts b: its kind, number, signature */
		buf_putn(b, m->kind == M_CALL ? "call " : "send ", 5);
		put_dec(b, m->number);
		size_t rest = b->len;
		method_sig_rest(b, m);
		size_t nrest = b->len - rest;
		if (sigs) {
			char *sig = pool_alloc(a, 4 + nrest + 1);
			memcpy(sig, b->data, 4);
			memcpy(sig + 4, b->data + rest, nrest);
			sig[4 + nrest] = 0;
			m->sig = sig;
		}
		put_c(b, '\n');
	}
	XXH3_64bits_update(&st, b->data, b->len);
	i->fingerprint = XXH3_64bits_digest(&st);
	return i->fingerprint;
}

/* Does the job j (struct fp_job, checker.h). */
void fingerprints(struct fp_job *j)
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
			if (d->kind == D_IFACE)
				fingerprint(&j->arena, &j->strs, &scratch, d, j->u->sigs);
	buf_free(&scratch);
	if (j->u->beside)
		j->u->beside(j->u, &j->arena);
}
