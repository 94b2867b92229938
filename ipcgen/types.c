/*
 * types.c: type checks and layout, once names are resolved.  Value types
 * (lists, optionals), structs and the structs they hold, bit sets and enums
 * and their values, the words a value takes on the wire; the shape of each
 * method (parameters, results, capabilities, raised errors, what fits a
 * message) and of each interface (its methods, label numbers and ID).  The
 * C names local to a declaration (struct members, parameters, vtable
 * entries) are made and compared here too; the global ones are cnames.c's.
 */
#include <string.h>

#include "checker.h"

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

uint64_t type_words(const struct typeref *t)
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

void check_struct(struct checker *c, struct decl *d)
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
		if (!check_value(c, d->ns, &f->type)) {
			f->bad = true;
			continue;
		}
		if (!is_value(f->type.kind)) {
			f->bad = true;
			diag_error(c->d, f->type.name.loc, "field '%s' of struct '%s' cannot have the type '%s'%s",
			           f->name, d->name, type_text(c->a, &f->type),
			           is_capability(f->type.kind) ? "; capabilities travel in a method's braces" : "");
		}
	}
	/* The C struct's members: the fields' names, escaped, and the lengths
	 * and presence flags derived from them, all different.  Each member
	 * name is kept with the first field that makes it (c->values, free
	 * here: the fields' types are checked), so that a struct of many
	 * fields is checked in time and memory linear in them. */
	for (struct param *f = d->fields; f; f = f->next) {
		bool under;
		f->cname = c_local(&c->strs, f->name, &under);
	}
	dups_clear(&c->values);
	for (struct param *f = d->fields; f; f = f->next) {
		const char *own[3] = {
			f->cname,
			has_length(f) ? arena_printf(c->a, "n%s", f->cname) : NULL,
			f->type.optional ? arena_printf(c->a, "has_%s", f->cname) : NULL,
		};
		const struct param *reported[3] = {NULL, NULL, NULL};
		for (int x = 0; x < 3; x++) {
			if (!own[x])
				continue;
			struct param *g = dups_put(&c->values, own[x], strlen(own[x]), f);
			/* A field of the same name is a duplicate, reported above;
			 * one clash per pair of fields. */
			if (!g || strcmp(f->name, g->name) == 0 || g == reported[0] || g == reported[1])
				continue;
			diag_error(c->d, f->loc, "fields '%s' and '%s' of struct '%s' would both make the C member '%s'",
			           g->name, f->name, d->name, own[x]);
			reported[x] = g;
		}
	}
}

/* A struct that holds itself, through fields, lists or optionals, has no
 * size: reported once, at the field that closes the cycle.  Sets
 * max_words, nvalues and depth, and refuses a struct past their limits:
 * its canonical form (identity.c) writes every struct it holds out in
 * full, and later phases and the generated code follow structs into the
 * structs they hold.  Fields whose type failed (bad) count as one word
 * and one value.
 *
 * Depth first over the structs, with a stack of its own in the scratch
 * arena, not by recursion: a chain of structs may be as long as the file.
 * A struct that fails (or holds one that did) fails every struct on the
 * stack, which holds it, with no more messages. */
bool struct_layout(struct checker *c, struct decl *root)
{
	if (root->state == 2)
		return true;
	if (root->state == 1 || root->state == 3)
		return false;
	struct frame {
		struct decl *d;
		const struct param *f;      /* the next field to count */
		const struct param *deep;   /* the field that holds its deepest struct */
		uint64_t words, values;
		unsigned depth;             /* of the deepest struct it holds */
	} *st = c->layout_stack;
	size_t n = 0;
	struct decl *push = root;
	bool ok = true;
	while (ok && (push || n)) {
		if (push) {
			st = c->layout_stack = room(c, st, &c->caplayout, n, n + 1, sizeof *st);
			st[n++] = (struct frame){.d = push, .f = push->fields};
			push->state = 1;
			push = NULL;
		}
		struct frame *fr = &st[n - 1];
		struct decl *d = fr->d;
		const struct param *f = fr->f;
		if (!f) {   /* every field counted */
			d->max_words = fr->words;
			d->nvalues = fr->values;
			d->depth = fr->depth + 1;
			if (d->depth > STRUCT_DEPTH_MAX) {
				diag_error(c->d, d->loc, "struct '%s' is %u levels deep (field '%s' holds '%s', %u deep); structs nest at most %u levels",
				           d->name, d->depth, fr->deep->name, qualified(c->a, typeref_struct(&fr->deep->type)),
				           fr->depth, STRUCT_DEPTH_MAX);
				ok = false;
				break;
			}
			if (d->nvalues > STRUCT_VALUES_MAX) {
				diag_error(c->d, d->loc, "struct '%s' holds %llu values, counting those of the structs it holds (a list's element once); a struct holds at most %u",
				           d->name, (unsigned long long)d->nvalues, STRUCT_VALUES_MAX);
				ok = false;
				break;
			}
			d->state = 2;
			n--;
			continue;
		}
		struct decl *s = f->bad ? NULL : typeref_struct(&f->type);
		if (s && s->state == 1) {
			if (s == d)
				diag_error(c->d, f->loc, "struct '%s' contains itself (field '%s')", d->name, f->name);
			else
				diag_error(c->d, f->loc, "struct '%s' contains itself (field '%s', through '%s')",
				           d->name, f->name, qualified(c->a, s));
			ok = false;
			break;
		}
		if (s && s->state == 3) {
			ok = false;
			break;
		}
		if (s && s->state == 0) {
			push = s;   /* counted once it is done: f stays next */
			continue;
		}
		fr->words = words_add(fr->words, f->bad ? 1 : type_words(&f->type));
		fr->values += s ? s->nvalues : 1;   /* at most the limit each: no overflow */
		if (s && s->depth > fr->depth) {
			fr->depth = s->depth;
			fr->deep = f;
		}
		fr->f = f->next;
	}
	if (ok)
		return true;
	for (size_t k = 0; k < n; k++) {
		st[k].d->max_words = st[k].words;
		st[k].d->state = 3;
	}
	return false;
}

/* bits NAME [: type] { A = 0x1, B, ... }: each member one bit, distinct;
 * a member without a value takes the bit after the one before (the first,
 * bit 0). */
void check_bits(struct checker *c, struct decl *e)
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
		if (v == 0) {   /* O_RDONLY, 9P's QTFILE: the set with no bit */
			diag_error(c->d, m->loc, "'%s' of bits '%s' is 0, not a single bit; the empty set is 0 without a name: leave it out",
			           m->name, e->name);
			continue;
		}
		if (v & (v - 1)) {
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

void check_enum(struct checker *c, struct decl *e)
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

/* ---- interfaces and methods ------------------------------------------------ */

/* Appends p and what it inherits to c->anc, depth first, parents left to
 * right, unless p was met already (and its ancestors with it).  Parents in
 * a cycle were dropped (check_cycle).  No more than describe's reply
 * carries, and one: past that the interface is refused anyway, and a
 * chain of 100000 interfaces would otherwise walk 5e9 ancestors (and
 * recurse as deep as the chain). */
static void gather(struct checker *c, struct decl *const *p)
{
	if (!*p)
		return;
	if (c->nanc > c->u->max_words / 2) {
		c->anc_capped = true;
		return;
	}
	if (dups_put(&c->ancestry, p, sizeof *p, *p))
		return;
	c->anc = room(c, c->anc, &c->capanc, c->nanc, c->nanc + 1, sizeof *c->anc);
	c->anc[c->nanc++] = *p;
	for (struct parent_ref *r = (*p)->parents; r; r = r->next)
		gather(c, &r->decl);
}

/*
 * i's ancestors in order into c->anc; the names of what it inherits into
 * c->values (name -> 1 + its index in c->inh), each name once: a name that
 * two parents bring from different interfaces is ambiguous (a name one
 * parent brings twice is that parent's error, reported there).
 */
static void ancestry(struct checker *c, struct decl *i)
{
	dups_clear(&c->ancestry);
	dups_clear(&c->values);
	c->nanc = 0;
	c->anc_capped = false;
	size_t ninh = 0;
	for (const struct parent_ref *r = i->parents; r; r = r->next) {
		size_t from = c->nanc;
		gather(c, &r->decl);
		/* what this parent brought: anc[from..nanc) */
		for (size_t x = from; x < c->nanc; x++) {
			const struct decl *a = c->anc[x];
			c->inh = room(c, c->inh, &c->capinh, ninh, ninh + a->nmethods, sizeof *c->inh);
			for (const struct method *m = a->methods; m; m = m->next) {
				if (m->dup)
					continue;
				c->inh[ninh] = (struct inherited){m, a, r};
				uintptr_t k = (uintptr_t)dups_put(&c->values, m->name, strlen(m->name),
				                                   (void *)(uintptr_t)(ninh + 1));
				const struct inherited *old = k ? &c->inh[k - 1] : NULL;
				if (!old) {
					ninh++;
				} else if (old->via != r) {
					diag_error(c->d, r->name.loc,
					           "interface '%s' inherits a method '%s' from both '%s' and '%s'; rename one",
					           qualified(c->a, i), m->name, qualified(c->a, old->owner),
					           qualified(c->a, a));
					diag_note(c->d, old->m->loc, "'%s' of '%s' is declared here", m->name,
					          qualified(c->a, old->owner));
					diag_note(c->d, m->loc, "'%s' of '%s' is declared here", m->name,
					          qualified(c->a, a));
				}
			}
		}
	}
}

/* The method i inherits under name, and whose it is; NULL if none. */
static const struct inherited *inherited(struct checker *c, const char *name)
{
	if (!c->nanc)
		return NULL;
	uintptr_t k = (uintptr_t)dups_put(&c->values, name, strlen(name), NULL);
	return k ? &c->inh[k - 1] : NULL;
}

/* Names of the parts of i's C object and vtable, one per parent: "base"
 * for a sole parent; else each parent's name, or, where two parents share
 * one, their namespace's and their name. */
static void name_parts(struct checker *c, struct decl *i)
{
	bool under;
	if (i->nparents == 1) {
		i->parents->field = "base";
		return;
	}
	for (struct parent_ref *r = i->parents; r; r = r->next) {
		const char *name = r->decl ? r->decl->name : r->name.name;
		bool shared = false;
		for (struct parent_ref *o = i->parents; o && !shared; o = o->next)
			shared = o != r && strcmp(o->decl ? o->decl->name : o->name.name, name) == 0;
		if (shared && r->decl)
			name = arena_printf(c->a, "%s_%s", r->decl->ns->name, name);
		r->field = c_local(&c->strs, name, &under);
		/* one named so already ('x_node' beside x::node and y::node) */
		for (bool taken = true; taken;) {
			taken = false;
			for (const struct parent_ref *o = i->parents; o != r && !taken; o = o->next)
				taken = strcmp(o->field, r->field) == 0;
			if (taken)
				r->field = escape_more(&c->strs, r->field);
		}
	}
}

bool part_named(const struct decl *i, const char *name)
{
	for (const struct parent_ref *r = i->parents; r; r = r->next)
		if (r->field && strcmp(r->field, name) == 0)
			return true;
	return false;
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

bool has_length(const struct param *p)
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

/*
 * A name is declared once on each side of a call: a result may be named
 * as a parameter (9P's version takes and returns msize), and is then
 * name_out in C (check_method).  The names of each side go into c->side
 * (what it takes: caps, then params; what it returns: outcaps, then
 * results), each with the first that has it, and every lookup after is
 * one: a method of many parameters is checked in time linear in them.
 * If all names differ in their first letters (most methods), none is
 * repeated and the tables stay empty.
 */
static bool check_param_names(struct checker *c, struct method *m)
{
	dups_clear(&c->side[0]);
	dups_clear(&c->side[1]);
	if (first_letters_differ(m, false))
		return false;
	struct param *sides[2][2] = {{m->caps, m->params}, {m->outcaps, m->results}};
	for (int s = 0; s < 2; s++)
		for (int k = 0; k < 2; k++)
			for (struct param *p = sides[s][k]; p; p = p->next) {
				struct param *old = dups_put(&c->side[s], p->name, strlen(p->name), p);
				if (old) {
					diag_error(c->d, p->loc, "duplicate parameter '%s' in '%s'", p->name, m->name);
					diag_note(c->d, old->loc, "'%s' is first declared here", p->name);
				}
			}
	return true;
}

/* Another of what m takes named as p (check_param_names' tables, made if
 * named): for a result, the parameter it is named as. */
static struct param *taken_as(struct checker *c, bool named, const struct param *p)
{
	struct param *q = named ? dups_get(&c->side[0], p->name, strlen(p->name)) : NULL;
	return q != p ? q : NULL;
}

/* Whether p is among what m returns (outcaps, results): by its name's
 * first holder on that side if named, else by a look along that side (64
 * names at most, all differing in their first letters). */
static bool returned(struct checker *c, bool named, const struct method *m, const struct param *p)
{
	if (named)
		return dups_get(&c->side[1], p->name, strlen(p->name)) == p;
	const struct param *side[2] = {m->outcaps, m->results};
	for (int s = 0; s < 2; s++)
		for (const struct param *q = side[s]; q; q = q->next)
			if (q == p)
				return true;
	return false;
}

/* Capability parameters: types, at most one list and last. */
/*
 * A method's capabilities on one side: nfixed of them always there, and
 * list the one list if it is the last and nothing is optional (the simple
 * shape, whose list takes the capabilities after the fixed ones).  Any
 * other shape (an optional capability, several lists, a list before
 * another capability) sends a presence or count word for each optional
 * capability and each list: *shaped.
 */
static void check_caps(struct checker *c, struct ns *ns, struct method *m,
                       struct param *caps, const char *what, unsigned *nfixed,
                       struct param **list, bool *shaped)
{
	unsigned nlists = 0, nopt = 0;
	*nfixed = 0;
	*list = NULL;
	*shaped = false;
	for (struct param *p = caps; p; p = p->next) {
		bool optional = p->type.optional;
		p->type.optional = false;   /* resolve() knows values' optionals only */
		bool ok = resolve_what(c, ns, &p->type, "capability type");
		p->type.optional = optional;
		if (!ok)
			continue;
		if (!is_capability(p->type.kind)) {
			diag_error(c->d, p->type.name.loc,
			           "%s '%s' of '%s' must be a capability (page, cap or an interface), not '%s'",
			           what, p->name, m->name, type_text(c->a, &p->type));
			continue;
		}
		if (p->list) {
			nlists++;
			*list = p;
			*shaped |= p->next != NULL;
		} else if (optional) {
			nopt++;
		} else {
			++*nfixed;
		}
	}
	*shaped |= nlists > 1 || nopt > 0;
	if (*shaped)
		*list = NULL;
}

/* The capabilities of a section that are not lists: fixed and optional. */
static unsigned count_single(const struct param *p)
{
	unsigned n = 0;
	for (; p; p = p->next)
		n += !p->list;
	return n;
}

/* Whether a value is a scalar: one word, an integer, bool, enum or bit set,
 * not optional. */
static bool is_scalar(const struct typeref *t)
{
	return !t->optional && ((t->kind >= TY_U8 && t->kind <= TY_ENUM) || t->kind == TY_BITS);
}

/*
 * Which values of a side too large for a message may go out of line, by
 * tier: 0, its byte arrays and strings; 1, its lists too; 2, every value
 * but a scalar (structs, optional values).  Each tier is tried only when
 * the ones before it leave no room: a side that fit an earlier tier keeps
 * its encoding.
 */
enum { SPILL_BLOBS, SPILL_LISTS, SPILL_ALL };

static bool spillable(const struct typeref *t, int tier)
{
	if (t->kind == TY_VOID)
		return false;
	if (tier == SPILL_ALL)
		return !is_scalar(t);
	return (t->kind == TY_BYTES || t->kind == TY_STRING || (tier == SPILL_LISTS && t->kind == TY_LIST)) &&
	       !t->optional;
}

/* The share of each value of the side (p, or the one result ret) that may
 * go out of line: the words its other values take at their bounds set
 * aside, what is left divided evenly among them (a length or count word
 * each included); false if there is no room for them. */
static bool side_share(struct param *p, struct typeref *ret, int tier, unsigned max_words,
                       uint64_t *share, uint64_t *others_words)
{
	uint64_t others = 0;
	unsigned k = 0;
	for (struct param *q = p; q || ret; q = q ? q->next : NULL) {
		struct typeref *t = q ? &q->type : ret;
		if (spillable(t, tier))
			k++;
		else if (t->kind != TY_VOID)
			others = words_add(others, type_words(t));
		if (!q)
			break;
	}
	if (!k || others + 2 * (uint64_t)k > max_words)
		return false;
	*share = (max_words - others) / k;
	*others_words = others;
	return true;
}

/* What a value that may go out of line takes in the message, at most, when
 * it does not: its words, and a struct's length word before them. */
static uint64_t inline_words(const struct typeref *t)
{
	uint64_t tw = type_words(t);
	return ool_boxed(t) ? words_add(tw, 1) : tw;
}

/* "a list", "a struct", "an optional value": what goes out of line as its words. */
static const char *words_noun(const struct typeref *t)
{
	return t->optional ? "an optional value" : t->kind == TY_LIST ? "a list" : "a struct";
}

/*
 * A side of words words at its bounds that a message cannot hold (p, or
 * the one result ret): what is left of the words once its other values
 * take theirs is shared among its byte arrays and strings, each inline up
 * to its share and out of line past it (a length word and ool_min bytes).
 * Its lists take part, each inline up to ool_min words (its count word
 * included), only if at their bounds they leave no room; and its structs
 * and optional values only if even that leaves none (a struct inline up
 * to ool_min words after a length word of its own): a side that fit
 * before keeps its encoding.  *n values may go out of line; the words the
 * side takes then.
 */
static uint64_t spill(struct checker *c, struct method *m, struct param *p, struct typeref *ret,
                      unsigned *n, uint64_t words, unsigned max_words)
{
	uint64_t share, others;
	int tier = SPILL_BLOBS;
	*n = 0;
	while (!side_share(p, ret, tier, max_words, &share, &others))
		if (++tier > SPILL_ALL)
			return words;   /* no room even so: the caller says why */
	words = others;
	for (struct param *q = p; q || ret; q = q ? q->next : NULL) {
		struct typeref *t = q ? &q->type : ret;
		const char *name = q ? q->name : "result";
		struct loc at = q ? q->loc : t->name.loc;
		uint64_t tw = type_words(t);
		bool blob = !ool_as_words(t);   /* out of line as its bytes */
		if (spillable(t, tier) && inline_words(t) > share) {
			unsigned min = (unsigned)(blob ? (share - 1) * 8 : inline_words(t) > tw ? share - 1 : share);
			if (q) {
				q->ool = true;
				q->ool_min = min;
			} else {
				m->ret_ool = true;
				m->ret_ool_min = min;
			}
			++*n;
			words = words_add(words, share);
			if (blob && t->bound > OOL_MAX)
				diag_error(c->d, at, "'%s' of '%s' may be up to %llu bytes; out of line, a value takes at most %u",
				           name, m->name, (unsigned long long)t->bound, OOL_MAX);
			else if (!blob && tw > OOL_MAX / 8)
				diag_error(c->d, at,
				           "'%s' of '%s' may take up to %llu words (%s bytes); out of line, %s takes at most %u words (%u bytes)",
				           name, m->name, (unsigned long long)tw,
				           tw > UINT64_MAX / 8 ? "more than 2^64" : arena_printf(c->a, "%llu", (unsigned long long)tw * 8),
				           words_noun(t), OOL_MAX / 8, OOL_MAX);
			else if (!blob && t->kind == TY_LIST && t->elem->kind == TY_STRING &&
			         t->bound * (t->elem->bound + 9) > OOL_MAX)
				/* a server decodes it, or has it written, into one region: the strings'
				 * bytes, a NUL each, and a pointer to each (8 bytes on a 64-bit machine) */
				diag_error(c->d, at,
				           "'%s' of '%s' is a list of up to %llu strings of up to %llu bytes: a server holds it in %llu bytes (%llu for each string, its NUL and a pointer to it), past the %u a region holds",
				           name, m->name, (unsigned long long)t->bound, (unsigned long long)t->elem->bound,
				           (unsigned long long)(t->bound * (t->elem->bound + 9)),
				           (unsigned long long)t->elem->bound + 9, OOL_MAX);
		} else if (t->kind != TY_VOID && spillable(t, tier)) {
			words = words_add(words, tw);
		}
		if (!q)
			break;
	}
	return words;
}

static void check_method(struct checker *c, struct decl *i, struct method *m)
{
	struct ns *ns = i->ns;
	struct unit *u = c->u;
	bool named = check_param_names(c, m);

	check_caps(c, ns, m, m->caps, "capability", &m->ncaps_fixed, &m->caplist, &m->capshape);
	check_caps(c, ns, m, m->outcaps, "returned capability", &m->nout_fixed, &m->outlist, &m->outshape);
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
	if (words > u->max_words)
		words = spill(c, m, m->params, NULL, &m->nool_in, words, u->max_words);
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
	if (rwords > u->max_words && m->kind == M_CALL)
		rwords = spill(c, m, m->has_results ? m->results : NULL,
		               m->has_results ? NULL : &m->ret, &m->nool_out, rwords, u->max_words);
	if (m->kind == M_SEND && m->has_results && m->results)
		diag_error(c->d, m->results->loc, "'send %s' cannot return a value: a send has no reply", m->name);
	else if (rwords > u->max_words)
		diag_error(c->d, m->loc,
		           "'%s' returns up to %llu words (strings, byte arrays and lists at their bounds); a message carries at most %u, and its scalars with two words for each other result (which may go out of line) take more",
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
	if (m->max_words > u->max_words && !m->variable && !m->general)
		diag_error(c->d, m->loc, "'%s' has %u parameters; a message carries at most %u words",
		           m->name, m->nparams, u->max_words);
	else if (m->max_words > u->max_words && !m->general)
		diag_error(c->d, m->loc,
		           "'%s' needs up to %u words for its parameters (strings and byte arrays at their bounds); a message carries at most %u",
		           m->name, m->max_words, u->max_words);
	else if (m->max_words > u->max_words)
		diag_error(c->d, m->loc,
		           "'%s' needs up to %llu words for its parameters (strings, byte arrays and lists at their bounds); a message carries at most %u, and its scalars with two words for each other parameter (which may go out of line) take more",
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
	/* An error its namespace's '*' names already: c->raised holds the
	 * namespaces named so (keyed by the namespace), so each is one lookup. */
	for (struct qname_node *e = m->raises; e; e = e->next) {
		const struct qname_node *w = e->decl ? dups_get(&c->raised, &e->decl->ns, sizeof e->decl->ns)
		                                     : NULL;
		if (w && w->all)
			diag_error(c->d, e->name.loc, "'%s' raises '%s', which '%s::*' already names",
			           m->name, qualified(c->a, e->decl), w->all->name);
	}
	if (m->kind == M_SEND && m->raises)
		diag_error(c->d, m->raises->name.loc,
		           "'send %s' cannot raise errors: a send has no reply", m->name);
	static const char *const verb[2] = {"passes", "returns"};
	unsigned fixed[2] = {count_single(m->caps) + m->nool_in, count_single(m->outcaps) + m->nool_out};
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
	bool derives = false;   /* whether C derives names from one (below) */
	for (int s = 0; s < 4; s++)
		for (struct param *p = sections[s]; p; p = p->next) {
			bool under;
			/* What it returns named as what it takes: name_out. */
			bool out = s == 1 || s == 3;
			const char *name = out && taken_as(c, named, p)
				? arena_printf(c->a, "%s_out", p->name) : p->name;
			p->cname = c_local(&c->strs, name, &under);
			if (under || has_length(p))
				suspect(c, i, m, p);
			derives |= has_length(p) || (s == 3 && p->type.optional);
		}
	/* The C names, each with the first that has it (c->pcnames), in the
	 * order caps, outcaps, params, results: needed if two may be equal
	 * (not all first letters differ), or if C derives names from one. */
	dups_clear(&c->pcnames);
	if (derives || !first_letters_differ(m, true))
		for (int s = 0; s < 4; s++)
			for (struct param *p = sections[s]; p; p = p->next) {
				struct param *old = dups_put(&c->pcnames, p->cname, strlen(p->cname), p);
				/* Equal protocol names were reported as duplicates already. */
				if (!old || strcmp(old->name, p->name) == 0)
					continue;
				diag_error(c->d, p->loc, "parameters '%s' and '%s' of '%s' would both be '%s' in C",
				           old->name, p->name, m->name, p->cname);
				/* One of them a result named as a parameter: say so. */
				const struct param *x = s == 1 || s == 3 ? p : old;
				if (taken_as(c, named, x) && (x == p || returned(c, named, m, old)))
					diag_note(c->d, x->loc, "'%s' takes and returns '%s': the '%s' it returns is '%s' in C",
					          m->name, x->name, x->name, x->cname);
			}
	/* Names C derives from a parameter: the length of an array or list,
	 * the presence flag of an optional result. */
	for (int s = 0; s < 4 && derives; s++)
		for (struct param *l = sections[s]; l; l = l->next) {
			if (!l->cname)
				continue;
			const char *derived[2] = {
				has_length(l) ? arena_printf(c->a, "n%s", l->cname) : NULL,
				s == 3 && l->type.optional ? arena_printf(c->a, "has_%s", l->cname) : NULL,
			};
			for (int k = 0; k < 2; k++) {
				struct param *old = derived[k] ? dups_get(&c->pcnames, derived[k], strlen(derived[k]))
				                               : NULL;
				if (old)
					diag_error(c->d, old->loc,
					           "%s '%s' of '%s' would be '%s' in C, the name of the %s of '%s%s'",
					           returned(c, named, m, old) ? "result" : "parameter", old->name, m->name,
					           derived[k], k ? "presence flag" : "length",
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
		r->ool = m->ret_ool;
		r->ool_min = m->ret_ool_min;
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

void check_interface(struct checker *c, struct decl *i)
{
	ancestry(c, i);
	name_parts(c, i);
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
			const struct inherited *h = inherited(c, m->name);
			if (h) {
				diag_error(c->d, m->loc, "method '%s' clashes with '%s' inherited from '%s'",
				           m->name, m->name, qualified(c->a, h->owner));
				diag_note(c->d, h->m->loc, "'%s' is declared here", m->name);
			}
		}
		check_method(c, i, m);
		/* A vtable entry named as a parent's part: the entry is escaped. */
		while (part_named(i, m->field))
			m->field = escape_more(&c->strs, m->field);
	}
	n += i->skip_tail;
	if (n > 0xffff)
		diag_error(c->d, i->loc, "interface '%s' has %u methods; a 16-bit label number allows at most 65535",
		           i->name, n);
	check_fields(c, i);

	/* describe answers with an (ID, fingerprint) pair per interface. */
	unsigned most = c->u->max_words / 2;
	if (c->nanc + 1 > most) {
		bool chain = true;
		for (size_t k = 0; k < c->nanc && chain; k++)
			chain = c->anc[k]->nparents <= 1;
		const char *more = c->anc_capped ? "more than " : "";
		size_t n = c->anc_capped ? c->nanc : c->nanc + 1;
		if (chain && i->nparents == 1)
			diag_error(c->d, i->loc, "interface '%s' is %s%zu levels deep; describe's reply carries at most %u",
			           i->name, more, n, most);
		else
			diag_error(c->d, i->loc, "interface '%s' and its ancestors are %s%zu interfaces; describe's reply carries at most %u",
			           i->name, more, n, most);
	} else if (c->nanc) {
		i->ancestors = arena_alloc(c->a, c->nanc * sizeof *i->ancestors);
		memcpy(i->ancestors, c->anc, c->nanc * sizeof *i->ancestors);
		i->nancestors = (unsigned)c->nanc;
	}

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
