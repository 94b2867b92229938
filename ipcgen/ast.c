/*
 * ast.c: the AST builders the grammar's actions call, and parse_file, which
 * feeds a file's tokens to the Lemon parser.
 *
 * A method's doc comes from its first token ('call' or 'send'), so ast_kind
 * stashes it until ast_method picks it up.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "parser.h"

/* Where token t starts. */
#define LOC(p, t) ((struct loc){(p)->src->id, (t)->off})

/* Appends item to a head/tail/n list. */
#define APPEND(list, item)                                                     \
	do {                                                                   \
		if ((list).tail)                                               \
			(list).tail->next = (item);                            \
		else                                                           \
			(list).head = (item);                                  \
		(list).tail = (item);                                          \
		(list).n++;                                                    \
	} while (0)

static void *new(struct parser *p, size_t size)
{
	return arena_alloc(p->arena, size);
}

void ast_namespace(struct parser *p, struct token *kw, struct token *name)
{
	struct ns *ns = new(p, sizeof *ns);
	ns->name = name->text;
	ns->doc = kw->doc;
	ns->loc = LOC(p, name);
	ns->src = p->src;
	p->ns = ns;
	p->decl_tail = &ns->decls;
	p->use_tail = &ns->uses;
}

void ast_use(struct parser *p, struct token *kw, struct token *name)
{
	(void)kw;
	struct use *u = new(p, sizeof *u);
	u->name = name->text;
	u->loc = LOC(p, name);
	*p->use_tail = u;
	p->use_tail = &u->next;
}

static struct decl *new_decl(struct parser *p, enum decl_kind kind,
                             struct token *kw, struct token *name)
{
	struct decl *d = new(p, sizeof *d);
	d->kind = kind;
	d->name = name->text;
	d->doc = kw->doc;
	d->loc = LOC(p, name);
	d->ns = p->ns;
	*p->decl_tail = d;
	p->decl_tail = &d->next;
	return d;
}

void ast_enum(struct parser *p, struct token *kw, struct token *name,
              struct qname *base, struct member_list members)
{
	struct decl *d = new_decl(p, D_ENUM, kw, name);
	if (base) {
		d->has_base = true;
		d->base.name = *base;
	}
	d->members = members.head;
	d->nmembers = members.n;
}

struct member_list ast_member_list(struct member_list *l, struct member *m)
{
	struct member_list r = l ? *l : (struct member_list){0};
	APPEND(r, m);
	return r;
}

struct member *ast_member(struct parser *p, struct token *name, struct numref *value)
{
	struct member *m = new(p, sizeof *m);
	m->name = name->text;
	m->doc = name->doc;
	m->loc = LOC(p, name);
	if (value) {
		m->has_value = true;
		m->num = *value;
	}
	return m;
}

struct numref ast_value(struct parser *p, struct token *num, struct qname *name, bool negative)
{
	struct numref v = {.negative = negative};
	if (num) {
		v.literal = num->value;
		v.loc = LOC(p, num);
	} else {
		v.name = *name;
		v.loc = name->loc;
	}
	return v;
}

void ast_const(struct parser *p, struct token *kw, struct token *name, struct numref *value)
{
	struct decl *d = new_decl(p, D_CONST, kw, name);
	d->has_value = true;
	d->num = *value;
}

void ast_struct(struct parser *p, struct token *kw, struct token *name, struct param_list fields)
{
	struct decl *d = new_decl(p, D_STRUCT, kw, name);
	d->fields = fields.head;
	d->nfields = fields.n;
}

void ast_bits(struct parser *p, struct token *kw, struct token *name,
              struct qname *base, struct member_list members)
{
	struct decl *d = new_decl(p, D_BITS, kw, name);
	if (base) {
		d->has_base = true;
		d->base.name = *base;
	}
	d->members = members.head;
	d->nmembers = members.n;
}

struct method *ast_skip(struct parser *p, struct token *kw)
{
	struct method *m = new(p, sizeof *m);
	m->kind = M_SKIP;
	m->name = "skip";
	m->doc = kw->doc;
	m->loc = LOC(p, kw);
	return m;
}

void ast_interface(struct parser *p, struct token *kw, struct token *name,
                   struct parent_list *parents, struct method_list methods)
{
	struct decl *d = new_decl(p, D_IFACE, kw, name);
	if (parents) {
		d->parents = parents->head;
		d->nparents = parents->n;
	}
	d->methods = methods.head;
	d->nmethods = methods.n;
	d->skip_tail = methods.skips;
}

struct parent_list ast_parent_list(struct parser *p, struct parent_list *l, struct qname *q)
{
	struct parent_list r = l ? *l : (struct parent_list){0};
	struct parent_ref *ref = new(p, sizeof *ref);
	ref->name = *q;
	APPEND(r, ref);
	return r;
}

/* A 'skip' is no method: it only moves the numbers of those after it. */
struct method_list ast_method_list(struct method_list *l, struct method *m)
{
	struct method_list r = *l;
	if (m->kind == M_SKIP) {
		r.skips++;
		return r;
	}
	m->skip_before = r.skips;
	r.skips = 0;
	APPEND(r, m);
	return r;
}

int ast_kind(struct parser *p, struct token *kw, int kind)
{
	p->kind_doc = kw->doc;
	return kind;
}

struct method *ast_method(struct parser *p, int kind, struct token *name,
                          struct cap_sections *caps, struct param_list params,
                          struct ret *ret, struct qname_list *raises)
{
	struct method *m = new(p, sizeof *m);
	m->kind = (enum method_kind)kind;
	m->name = name->text;
	m->doc = p->kind_doc;
	m->loc = LOC(p, name);
	m->caps = caps->in.head;
	m->outcaps = caps->out.head;
	m->params = params.head;
	if (ret->several) {
		m->has_results = true;
		m->results = ret->results.head;
	} else if (ret->present) {
		m->has_ret = true;
		m->ret = ret->type;
	}
	m->raises = raises->head;
	return m;
}

void ast_error(struct parser *p, struct token *kw, struct token *name, struct numref *value)
{
	struct decl *d = new_decl(p, D_ERROR, kw, name);
	if (value) {
		d->has_value = true;
		d->num = *value;
	}
}

struct param *ast_value_param(struct parser *p, struct token *name, struct typeref *type)
{
	struct param *prm = ast_param(p, name, &type->name, false);
	prm->type = *type;
	return prm;
}

/* A type argument that is a lone name may be a constant: string<MAX>. */
static bool names_constant(const struct typeref *t)
{
	return !t->has_bound && !t->optional && !t->elem && !t->bad_args;
}

struct typeref ast_type(struct parser *p, struct qname *name, struct targs *args)
{
	struct typeref t = {.name = *name};
	if (!args)
		return t;
	bool list = !name->ns && strcmp(name->name, "list") == 0;
	const struct targ *b = list ? &args->v[1] : &args->v[0];
	unsigned want = list ? 2 : 1;
	t.has_bound = true;
	if (args->n != want || (list && args->v[0].is_num)) {
		const struct targ *x = &args->v[1];   /* string<1, 2>: the second is too many */
		struct loc at = args->n > 2 ? args->extra : args->n > want
			? (x->is_num ? x->num.loc : x->type->name.loc) : name->loc;
		diag_error(p->diag, at,
		           list ? "'list' takes an element type and a bound: list<T, N>"
		                : "'%s' takes one bound: %s<N>", name->name, name->name);
		t.bad_args = true;
		return t;
	}
	if (list) {
		t.elem = new(p, sizeof *t.elem);
		*t.elem = *args->v[0].type;
	}
	if (b->is_num) {
		t.bound = b->num.literal;
		t.bound_negative = b->num.negative;
		t.bound_loc = b->num.loc;
	} else if (names_constant(b->type)) {
		struct qname *q = new(p, sizeof *q);
		*q = b->type->name;
		t.bound_name = q;
		t.bound_loc = q->loc;
	} else {
		diag_error(p->diag, b->type->name.loc,
		           "the bound of '%s' must be a number or a constant", name->name);
		t.bad_args = true;
	}
	return t;
}

struct typeref ast_optional(struct parser *p, struct typeref *t, struct token *q)
{
	struct typeref r = *t;
	if (r.optional) {
		diag_error(p->diag, LOC(p, q), "an optional value is already optional; write one '?'");
		r.bad_args = true;
	}
	r.optional = true;
	r.opt_loc = LOC(p, q);
	return r;
}

struct targs ast_targs(struct parser *p, struct targs *l, struct targ *a)
{
	struct targs r = l ? *l : (struct targs){0};
	if (r.n < 2)
		r.v[r.n] = *a;
	else if (r.n == 2)
		r.extra = a->is_num ? a->num.loc : a->type->name.loc;
	r.n++;
	(void)p;
	return r;
}

struct targ ast_targ(struct parser *p, struct typeref *t, struct token *num, bool negative)
{
	struct targ a = {0};
	if (t) {
		a.type = new(p, sizeof *a.type);
		*a.type = *t;
	} else {
		a.is_num = true;
		a.num = ast_value(p, num, NULL, negative);
	}
	return a;
}

struct qname_list ast_qname_list(struct parser *p, struct qname_list *l, struct qname *q)
{
	struct qname_node *n = new(p, sizeof *n);
	n->name = *q;
	struct qname_list r = l ? *l : (struct qname_list){0};
	APPEND(r, n);
	return r;
}

struct param_list ast_param_list(struct param_list *l, struct param *prm)
{
	struct param_list r = l ? *l : (struct param_list){0};
	APPEND(r, prm);
	return r;
}

struct param *ast_param(struct parser *p, struct token *name, struct qname *type,
                        bool list)
{
	struct param *prm = new(p, sizeof *prm);
	prm->name = name->text;
	prm->doc = name->doc;
	prm->loc = LOC(p, name);
	if (type)
		prm->type.name = *type;
	else  /* a bare capability name: type cap */
		prm->type.name = (struct qname){.name = "cap", .loc = LOC(p, name)};
	prm->list = list;
	return prm;
}

struct qname ast_qname(struct parser *p, struct token *ns, struct token *name)
{
	(void)p;
	return (struct qname){
		.ns = ns ? ns->text : NULL,
		.name = name->text,
		.loc = ns ? LOC(p, ns) : LOC(p, name),
	};
}

/* The keywords, as written: a name where one was expected may be one
 * misspelt. */
static const char *keyword_text(int kind)
{
	switch (kind) {
	case TOK_NAMESPACE: return "namespace";
	case TOK_USE: return "use";
	case TOK_ENUM: return "enum";
	case TOK_INTERFACE: return "interface";
	case TOK_CALL: return "call";
	case TOK_SEND: return "send";
	case TOK_ERROR: return "error";
	case TOK_RAISES: return "raises";
	case TOK_CONST: return "const";
	case TOK_STRUCT: return "struct";
	case TOK_BITS: return "bits";
	case TOK_SKIP: return "skip";
	}
	return NULL;
}

/* The expected keyword closest to name (as for type names: 1 edit, 2 from
 * 4 letters on), or NULL. */
static const char *keyword_meant(const char *name, const unsigned char *expected, int ntokens)
{
	const char *best = NULL;
	unsigned bestd = strlen(name) > 3 ? 2 : 1;
	for (int t = 1; t < ntokens; t++) {
		const char *kw = expected[t] ? keyword_text(t) : NULL;
		unsigned d = kw ? edit_distance(name, kw) : 99;
		if (d <= bestd && (!best || d < bestd)) {
			best = kw;
			bestd = d;
		}
	}
	return best;
}

static bool ident_char(char c)
{
	return c == '_' || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* The token before offset off, [*start, *end), read back from off (a
 * syntax error is rare: the parser keeps no token behind).  A line's code
 * ends at its first '#', which only ever opens a comment.  False if there
 * is no token before. */
static bool prev_token(const struct src *src, uint32_t off, uint32_t *start, uint32_t *end)
{
	const char *t = src->text;
	uint32_t e = off < src->len ? off : (uint32_t)src->len;
	for (;;) {
		uint32_t ls = e, ce = e;
		while (ls > 0 && t[ls - 1] != '\n' && t[ls - 1] != '\r')
			ls--;
		for (uint32_t i = ls; i < e; i++)
			if (t[i] == '#') {
				ce = i;
				break;
			}
		while (ce > ls && (t[ce - 1] == ' ' || t[ce - 1] == '\t' || t[ce - 1] == '\f' || t[ce - 1] == '\v'))
			ce--;
		if (ce > ls) {
			e = ce;
			break;
		}
		if (ls == 0)
			return false;
		e = ls - 1;
	}
	uint32_t s = e - 1;
	if (ident_char(t[s])) {
		while (s > 0 && ident_char(t[s - 1]))
			s--;
	} else if (t[s] == '.' || t[s] == ':') {
		/* '...', or '::' unless a run of ':' is odd ("::" then ':'). */
		uint32_t run = 1;
		while (run < e && t[e - 1 - run] == t[s])
			run++;
		uint32_t n = t[s] == '.' ? 3 : run % 2 ? 1 : 2;
		s = e >= n ? e - n : 0;
	}
	*start = s;
	*end = e;
	return true;
}

/* Whether a line ends between offsets from and to of the file. */
static bool line_ends(const struct src *src, uint32_t from, uint32_t to)
{
	for (uint32_t i = from; i < to && i < src->len; i++)
		if (src->text[i] == '\n' || src->text[i] == '\r')
			return true;
	return false;
}

/*
 * "expected ';' or ',', found 'call'", and where an intent is clear, what
 * to write: a ';' missing at the end of a line is reported after the token
 * before it ("expected ';' after 'void'"), as C compilers do, not at the
 * next line's; a name where a keyword was expected gets "did you mean"; a
 * capability list without a type ('pages...') is shown with one, and one
 * among the value parameters ('f(x: cap...)') in braces.
 */
void ast_syntax_error(struct parser *p, struct token *tok,
                      const unsigned char *expected, int ntokens)
{
	char what[512] = "";
	size_t len = 0;
	int n = 0, total = 0;
	for (int t = 1; t < ntokens; t++)
		total += expected[t] != 0 && t != TOK_PART;
	for (int t = 1; t < ntokens; t++) {
		if (!expected[t] || t == TOK_PART)
			continue;
		n++;
		const char *sep = n == 1 ? "" : n == total ? " or " : ", ";
		int w = snprintf(what + len, sizeof what - len, "%s%s", sep, lex_token_name(t));
		if (w < 0 || (size_t)w >= sizeof what - len)
			break;
		len += (size_t)w;
	}
	char found[64];
	if (tok->kind == TOK_IDENT && strlen(tok->text) <= 40)
		snprintf(found, sizeof found, "'%s'", tok->text);
	else
		snprintf(found, sizeof found, "%s", lex_token_name(tok->kind));
	/* The token before, as written (for a message, at most 40 bytes). */
	uint32_t pstart = 0, pend = 0;
	bool has_prev = prev_token(p->src, tok->off, &pstart, &pend);
	int prevlen = pend - pstart > 40 ? 40 : (int)(pend - pstart);
	const char *prev = p->src->text + pstart;

	if (total && expected[TOK_SEMI] && has_prev && pend - pstart == 4 &&
	    memcmp(prev, "skip", 4) == 0 && tok->kind == TOK_IDENT) {
		diag_error(p->diag, LOC(p, tok), "expected ';', found %s; 'skip' takes no name: "
		           "it only leaves a method number unused ('skip;')", found);
	} else if (total && expected[TOK_SEMI] && has_prev &&
	           (tok->kind == TOK_EOF || line_ends(p->src, pend, tok->off))) {
		diag_error(p->diag, (struct loc){p->src->id, pend}, "expected ';' after '%.*s'",
		           prevlen, prev);
	} else if (total && tok->kind == TOK_IDENT && keyword_meant(tok->text, expected, ntokens)) {
		diag_error(p->diag, LOC(p, tok), "expected %s, found %s; did you mean '%s'?", what, found,
		           keyword_meant(tok->text, expected, ntokens));
	} else if (total && tok->kind == TOK_ELLIPSIS && expected[TOK_COLON] && has_prev &&
	           !(prev[0] >= '0' && prev[0] <= '9') && ident_char(prev[0])) {
		diag_error(p->diag, LOC(p, tok), "expected %s, found %s; a list needs its type: '%.*s: cap...'",
		           what, found, prevlen, prev);
	} else if (total && tok->kind == TOK_ELLIPSIS && !expected[TOK_COLON] && has_prev &&
	           ((prevlen == 3 && memcmp(prev, "cap", 3) == 0) ||
	            (prevlen == 4 && memcmp(prev, "page", 4) == 0))) {
		diag_error(p->diag, LOC(p, tok), "expected %s, found %s; capabilities, a list of them "
		           "too, go in braces before the parameters: f{x: %.*s...}(...)",
		           what, found, prevlen, prev);
	} else if (total) {
		diag_error(p->diag, LOC(p, tok), "expected %s, found %s", what, found);
	} else {
		diag_error(p->diag, LOC(p, tok), "unexpected %s", found);
	}
	if (p->nbraces && tok->kind == TOK_EOF) {
		struct loc open = p->braces[p->nbraces - 1];
		diag_note(p->diag, open, "to close the '{' opened here");
	}
	p->failed = true;
}

void ast_stack_overflow(struct parser *p)
{
	diag_error(p->diag, (struct loc){p->src->id, p->at},
	           "nested too deeply for the parser's stack (type arguments such as list<list<...>>)");
	p->failed = true;
}

/* Parses [from, to) of src: the whole file, or (part) a later part of it,
 * whose declarations go to a namespace of their own for parse_file to
 * join to the first part's.  NULL after an error (reported to d). */
static struct ns *parse_range(struct arena *a, struct diag *d, const struct src *src,
                              size_t from, size_t to, bool part)
{
	struct parser p = {.arena = a, .diag = d, .src = src};
	struct lexer lx;
	void *lemon = ipc_parseAlloc(malloc, &p);
	if (!lemon) {
		diag_plain(d, "out of memory");
		return NULL;
	}
	lex_init(&lx, a, d, src);
	lex_range(&lx, from, to);
	struct token t = {.kind = TOK_PART};
	if (part) {
		p.ns = new(&p, sizeof *p.ns);
		p.decl_tail = &p.ns->decls;
		p.use_tail = &p.ns->uses;
		ipc_parse(lemon, TOK_PART, t);
	}
	while (!p.failed) {
		if (!lex_next(&lx, &t)) {
			p.failed = true;
			break;
		}
		if (t.kind == TOK_LBRACE && p.nbraces < sizeof p.braces / sizeof p.braces[0])
			p.braces[p.nbraces++] = LOC(&p, &t);
		else if (t.kind == TOK_RBRACE && p.nbraces)
			p.nbraces--;
		p.at = t.off;
		ipc_parse(lemon, t.kind, t);
		if (t.kind == TOK_EOF)
			break;
	}
	lex_fini(&lx);
	ipc_parseFree(lemon, free);
	return p.failed ? NULL : p.ns;
}

/*
 * A large file is parsed in two parts at once, on two threads: the second
 * part starts at a line that begins with a keyword that begins a
 * declaration ('interface', 'enum', 'error', 'use', 'const', 'struct',
 * 'bits'; the last three may be names too, and a part that starts at one
 * used so fails to parse), past the middle of the file, with no comment on the line above (it would be the
 * declaration's doc).  Each part has its own arena and diagnostics; if
 * either finds an error, the file is parsed again whole, as one, so that
 * what is reported is exactly what a single parse reports.
 */
#define PARTS_FROM ((size_t)128 << 10)   /* smaller files: one thread */

/* White space within a line, as the lexer has it. */
static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\f' || c == '\v';
}

static bool line_starts_decl(const char *p, const char *end)
{
	static const char *const kw[] = {"interface", "enum", "error", "use", "const", "struct", "bits"};
	while (p < end && blank(*p))
		p++;
	for (size_t k = 0; k < sizeof kw / sizeof kw[0]; k++) {
		size_t n = strlen(kw[k]);
		if ((size_t)(end - p) > n && memcmp(p, kw[k], n) == 0 &&
		    !(p[n] == '_' || (p[n] >= '0' && p[n] <= '9') ||
		      ((p[n] | 0x20) >= 'a' && (p[n] | 0x20) <= 'z')))
			return true;
	}
	return false;
}

/* Where the second part may start, or 0. */
static size_t find_split(const struct src *src)
{
	const char *t = src->text, *end = t + src->len;
	const char *prev = NULL;     /* the start of the line before */
	for (const char *p = t + src->len / 2; p < end; p++) {
		if (*p != '\n' && *p != '\r')
			continue;
		if (*p == '\r' && p + 1 < end && p[1] == '\n')
			p++;
		const char *line = p + 1;
		if (prev) {
			const char *q = prev;
			while (q < line && blank(*q))
				q++;
			if (*q != '#' && line_starts_decl(line, end))
				return (size_t)(line - t);
		}
		prev = line;
	}
	return 0;
}

struct part_job {
	const struct src *src;
	size_t from;
	struct arena arena;
	struct diag diag;
	struct ns *ns;
};

static void *parse_part(void *arg)
{
	struct part_job *j = arg;
	j->ns = parse_range(&j->arena, &j->diag, j->src, j->from, j->src->len, true);
	return NULL;
}

struct ns *parse_file(struct arena *a, struct diag *d, const struct src *src)
{
	size_t split = src->len >= PARTS_FROM && ipcgen_nthreads() > 1 ? find_split(src) : 0;
	if (split) {
		struct part_job j = {.src = src, .from = split, .arena = ARENA_LARGE};
		pthread_t th;
		if (pthread_create(&th, NULL, parse_part, &j) == 0) {
			struct diag d1 = {0};
			struct ns *ns = parse_range(a, &d1, src, 0, split, false);
			pthread_join(th, NULL);
			bool ok = ns && j.ns && !d1.errors && !j.diag.errors;
			diag_discard(&d1);
			diag_discard(&j.diag);
			if (ok) {
				/* The second part's declarations and uses follow the first's. */
				struct decl **dt = &ns->decls;
				while (*dt)
					dt = &(*dt)->next;
				*dt = j.ns->decls;
				for (struct decl *x = j.ns->decls; x; x = x->next)
					x->ns = ns;
				struct use **ut = &ns->uses;
				while (*ut)
					ut = &(*ut)->next;
				*ut = j.ns->uses;
				arena_adopt(a, &j.arena);
				return ns;
			}
			arena_free(&j.arena);
			/* An error somewhere: parse it whole, to report it as one parse does. */
		}
	}
	return parse_range(a, d, src, 0, src->len, false);
}
