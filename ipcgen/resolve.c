/*
 * resolve.c: name resolution, the checks' first phase.  The built-in
 * types; each namespace's symbols and their duplicates; namespaces that
 * use each other; type references, plain or qualified (ns::name), with
 * their bounds; constants and the numbers that name them; error numbers
 * and codes; interfaces' parents and inheritance cycles.  Also the tables
 * of duplicates every phase uses.
 */
#include <string.h>
/* XXH3 inlined: the tables of duplicates hash short keys. */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "checker.h"

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

/* ---- tables of duplicates ------------------------------------------------- */

void dups_clear(struct dups *t)
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

/* The value stored under key, or NULL. */
void *dups_get(const struct dups *t, const void *key, size_t len)
{
	if (!t->cap)
		return NULL;
	const struct dup_slot *e = &t->v[dups_slot(t, key, len)];
	return e->gen == t->gen ? e->value : NULL;
}

/* As map_put: finds key; if absent, inserts value.  Returns the value
 * stored under key before the call, or NULL. */
void *dups_put(struct dups *t, const void *key, size_t len, void *value)
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

void dups_free(struct dups *t)
{
	table_free(t->v, t->cap * sizeof *t->v);
	*t = (struct dups){0};
}

/* ---- resolution ---------------------------------------------------------------- */

struct ns *find_used(struct ns *ns, const char *name)
{
	if (strcmp(ns->name, name) == 0)
		return ns;
	for (struct use *u = ns->uses; u; u = u->next)
		if (u->ns && strcmp(u->name, name) == 0)
			return u->ns;
	return NULL;
}

/* The closest known name to a misspelt one, or NULL: of a type (built-in
 * or declared), or, if iface, of an interface.  Errors and constants are
 * never suggested: they are refused where a type goes. */
static const char *suggest(struct ns *ns, const char *name, bool iface)
{
	const char *best = NULL;
	unsigned bestd = strlen(name) > 3 ? 2 : 1;
	for (size_t i = 0; i < sizeof builtins / sizeof builtins[0] && !iface; i++) {
		unsigned d = edit_distance(name, builtins[i].name);
		if (d <= bestd && (!best || d < bestd)) {
			best = builtins[i].name;
			bestd = d;
		}
	}
	for (struct decl *d = ns->decls; d; d = d->next) {
		if (d->kind == D_ERROR || d->kind == D_CONST || (iface && d->kind != D_IFACE))
			continue;
		unsigned dd = edit_distance(name, d->name);
		if (dd <= bestd && (!best || dd < bestd)) {
			best = d->name;
			bestd = dd;
		}
	}
	return best;
}

/* The most elements a list may hold. */
#define LIST_MAX ((uint64_t)1 << 24)

/* string<N>, bytes<N> and list<T, N> need a bound (a number or a constant)
 * that fits a message; nothing else takes one. */
static bool check_bound(struct checker *c, struct ns *ns, struct typeref *t)
{
	bool bounded = t->kind == TY_STRING || t->kind == TY_BYTES || t->kind == TY_LIST;
	/* A byte array or string past what a message's words hold goes out of
	 * line where it may (types.c: spill); elsewhere its side is too large. */
	uint64_t most = t->kind == TY_LIST ? LIST_MAX : OOL_MAX;
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
		           : "the bound of '%s' must be from 1 to %llu (16 MiB)%s",
		           t->name.name, (unsigned long long)most,
		           t->bound_negative ? arena_printf(c->a, ", not -%llu", (unsigned long long)t->bound)
		           : t->bound_name ? arena_printf(c->a, ", not %llu", (unsigned long long)t->bound) : "");
		return false;
	}
	return true;
}

bool resolve(struct checker *c, struct ns *ns, struct typeref *t)
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

bool resolve_what(struct checker *c, struct ns *ns, struct typeref *t, const char *what)
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
		bool cap = strcmp(what, "capability type") == 0;
		const char *hint = q->ns ? NULL : suggest(ns, q->name, cap || strcmp(what, "interface") == 0);
		if (q->ns)
			diag_error(c->d, q->loc, "namespace '%s' has no %s '%s'", q->ns, what, q->name);
		else if (hint)
			diag_error(c->d, q->loc, "unknown %s '%s'; did you mean '%s'?", what, q->name, hint);
		else if (cap)   /* a file descriptor, a handle, a port: what would they be here? */
			diag_error(c->d, q->loc, "unknown %s '%s'; a capability is 'cap' (any, a file descriptor on POSIX), 'page' or an interface",
			           what, q->name);
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

const char *type_text(struct arena *a, const struct typeref *t)
{
	return t->name.ns ? arena_printf(a, "%s::%s", t->name.ns, t->name.name) : t->name.name;
}

const char *qualified(struct arena *a, const struct decl *d)
{
	size_t n = strlen(d->ns->name), m = strlen(d->name);
	char *q = arena_alloc(a, n + m + 3);
	memcpy(q, d->ns->name, n);
	memcpy(q + n, "::", 2);
	memcpy(q + n + 2, d->name, m);
	return q;
}

/* ---- constants and numbers ---------------------------------------------------- */

/* The value of a number as written: a literal, or a constant's (which is
 * checked first, once).  False if it names no constant (reported). */
bool eval_num(struct checker *c, struct ns *ns, const struct numref *n,
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

/* Makes room for need elements of size elem in *v (capacity *cap), in the
 * checker's scratch arena; what it held is kept. */
void *room(struct checker *c, void *v, size_t *cap, size_t n, size_t need, size_t elem)
{
	if (need <= *cap)
		return v;
	size_t want = *cap ? *cap : 64;
	while (want < need)
		want *= 2;
	void *w = arena_alloc(&c->tmp, want * elem);
	if (n)
		memcpy(w, v, n * elem);
	*cap = want;
	return w;
}

/* The constant d is defined by, if it is one not met yet; else NULL (a
 * literal, a name that is no constant, which eval_num reports, or one met
 * already). */
static struct decl *next_const(struct decl *d)
{
	const struct qname *q = &d->num.name;
	if (!q->name)
		return NULL;
	struct ns *target = q->ns ? find_used(d->ns, q->ns) : d->ns;
	struct decl *n = target ? map_get(&target->syms, q->name, strlen(q->name)) : NULL;
	return n && n->kind == D_CONST && n->state == 0 ? n : NULL;
}

/* d's value, once what it names is settled (or being checked: a cycle). */
static void settle_const(struct checker *c, struct decl *d)
{
	if (d->state != 1)   /* closed a cycle, reported */
		return;
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
	if (!ok)   /* mag and neg may be unset: the value is never read */
		return;
	d->num.literal = mag;
	d->num.negative = neg;
	d->num.name.name = NULL;
}

/* const NAME = value: a literal or another constant, from -2^63 to 2^64 - 1.
 * A chain of constants each defined by the next is as long as the file may
 * be: it is followed in a list, not by recursion, and settled from its end. */
void check_const(struct checker *c, struct decl *d)
{
	if (d->state == 2 || d->state == 3)
		return;
	if (d->state == 1) {
		diag_error(c->d, d->loc, "constant '%s' is defined by itself", d->name);
		d->state = 3;
		return;
	}
	size_t n = 0;
	for (struct decl *x = d; x; x = next_const(x)) {
		c->chain = room(c, c->chain, &c->capchain, n, n + 1, sizeof *c->chain);
		c->chain[n++] = x;
		x->state = 1;
	}
	while (n > 0)
		settle_const(c, c->chain[--n]);
}

/* ---- declarations ------------------------------------------------------------ */

void check_symbols(struct checker *c, struct ns *ns)
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

void check_use_cycles(struct checker *c, struct ns *ns)
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

uint32_t ns_error_base(const struct ns *ns)
{
	return (fnv1a32(ns->name, strlen(ns->name)) & 0x7fff) << 16;
}

/* error NAME [= N]: N from 1 to 65535, counting on from the previous one.
 * The wire code is ns_error_base(ns) | N. */
void check_errors(struct checker *c, struct ns *ns)
{
	uint32_t hi = ns_error_base(ns);
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

/* interface NAME :: qname, ...: each parent an interface, named once. */
void check_parents(struct checker *c, struct decl *i)
{
	for (struct parent_ref *r = i->parents; r; r = r->next) {
		struct typeref t = {.name = r->name};
		if (!resolve_what(c, i->ns, &t, "interface"))
			continue;
		if (t.kind != TY_IFACE) {
			diag_error(c->d, t.name.loc, "'%s' is not an interface; only interfaces can be inherited",
			           type_text(c->a, &t));
			continue;
		}
		const struct parent_ref *old = i->parents;
		while (old != r && old->decl != t.decl)
			old = old->next;
		if (old != r) {
			diag_error(c->d, r->name.loc, "interface '%s' names its parent '%s' twice",
			           qualified(c->a, i), qualified(c->a, t.decl));
			diag_note(c->d, old->name.loc, "'%s' is first named here", type_text(c->a, &t));
			continue;
		}
		r->decl = t.decl;
	}
}

/* Marks interfaces in an inheritance cycle; returns false for those.  A
 * parent that closes a cycle, or leads into one, is dropped (decl NULL),
 * so later checks see none there. */
bool check_cycle(struct checker *c, struct decl *i)
{
	if (i->state == 2)
		return true;
	if (i->state == 1 || i->state == 3)
		return false;
	/* Depth first, with a stack of its own: a chain of parents may be as
	 * long as the file.  Each frame's r is the parent it looks at. */
	struct frame {
		struct decl *i;
		struct parent_ref *r;
		bool ok;
	} *st = c->cycle_stack;
	size_t n = 0;
	bool result = true;
	struct decl *push = i;
	while (push || n) {
		if (push) {
			st = c->cycle_stack = room(c, st, &c->capcycle, n, n + 1, sizeof *st);
			push->state = 1;
			st[n++] = (struct frame){push, push->parents, true};
			push = NULL;
		}
		struct frame *fr = &st[n - 1];
		struct parent_ref *r = fr->r;
		if (!r) {   /* every parent looked at */
			fr->i->state = fr->ok ? 2 : 3;
			result = fr->ok;
			if (--n) {   /* the edge to it, in the frame below */
				struct frame *below = &st[n - 1];
				if (!result) {
					below->r->decl = NULL;   /* later checks see no parent there */
					below->ok = false;
				}
				below->r = below->r->next;
			}
			continue;
		}
		struct decl *p = r->decl;
		if (p && p->state == 0) {
			push = p;   /* its frame decides this edge */
			continue;
		}
		if (p && p->state == 1) {
			/* The cycle closes here: report it once, at this edge. */
			if (p == fr->i)
				diag_error(c->d, r->name.loc, "interface '%s' inherits from itself",
				           qualified(c->a, fr->i));
			else
				diag_error(c->d, r->name.loc, "interface '%s' inherits from itself (through '%s')",
				           qualified(c->a, fr->i), qualified(c->a, p));
		}
		if (p && p->state != 2) {   /* in a cycle, closing or leading into one */
			r->decl = NULL;
			fr->ok = false;
		}
		fr->r = r->next;
	}
	return result;
}
