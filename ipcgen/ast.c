/*
 * ast.c: the AST builders the grammar's actions call, and parse_file, which
 * feeds a file's tokens to the Lemon parser.
 *
 * A method's doc comes from its first token ('call' or 'send'), so ast_kind
 * stashes it until ast_method picks it up.
 */
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "parser.h"

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
	ns->loc = name->loc;
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
	u->loc = name->loc;
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
	d->loc = name->loc;
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

struct member *ast_member(struct parser *p, struct token *name,
                          struct token *value, bool negative)
{
	struct member *m = new(p, sizeof *m);
	m->name = name->text;
	m->doc = name->doc;
	m->loc = name->loc;
	if (value) {
		m->has_value = true;
		m->literal = value->value;
		m->negative = negative;
	}
	return m;
}

void ast_interface(struct parser *p, struct token *kw, struct token *name,
                   struct qname *parent, struct method_list methods)
{
	struct decl *d = new_decl(p, D_IFACE, kw, name);
	if (parent) {
		d->has_parent = true;
		d->parent_name = *parent;
	}
	d->methods = methods.head;
	d->nmethods = methods.n;
}

struct method_list ast_method_list(struct method_list *l, struct method *m)
{
	struct method_list r = *l;
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
	m->loc = name->loc;
	m->caps = caps->in.head;
	m->outcaps = caps->out.head;
	m->params = params.head;
	if (ret->present) {
		m->has_ret = true;
		m->ret = ret->type;
	}
	m->raises = raises->head;
	return m;
}

void ast_error(struct parser *p, struct token *kw, struct token *name, struct token *value)
{
	struct decl *d = new_decl(p, D_ERROR, kw, name);
	if (value) {
		d->has_value = true;
		d->literal = value->value;
	}
}

struct param *ast_value_param(struct parser *p, struct token *name, struct typeref *type)
{
	struct param *prm = ast_param(p, name, &type->name, false);
	prm->type = *type;
	return prm;
}

struct typeref ast_type(struct parser *p, struct qname *name, struct token *bound)
{
	(void)p;
	struct typeref t = {.name = *name};
	if (bound) {
		t.has_bound = true;
		t.bound = bound->value;
		t.bound_loc = bound->loc;
	}
	return t;
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
	prm->loc = name->loc;
	if (type)
		prm->type.name = *type;
	else  /* a bare capability name: type cap */
		prm->type.name = (struct qname){.name = "cap", .loc = name->loc};
	prm->list = list;
	return prm;
}

struct qname ast_qname(struct parser *p, struct token *ns, struct token *name)
{
	(void)p;
	return (struct qname){
		.ns = ns ? ns->text : NULL,
		.name = name->text,
		.loc = ns ? ns->loc : name->loc,
	};
}

/* "expected ';' or ',', found 'call'" */
void ast_syntax_error(struct parser *p, struct token *tok,
                      const unsigned char *expected, int ntokens)
{
	char what[512] = "";
	size_t len = 0;
	int n = 0, total = 0;
	for (int t = 1; t < ntokens; t++)
		total += expected[t] != 0;
	for (int t = 1; t < ntokens; t++) {
		if (!expected[t])
			continue;
		n++;
		const char *sep = n == 1 ? "" : n == total ? " or " : ", ";
		int w = snprintf(what + len, sizeof what - len, "%s%s", sep, lex_token_name(t));
		if (w < 0 || (size_t)w >= sizeof what - len)
			break;
		len += (size_t)w;
	}
	char found[64];
	if (tok->kind == TOK_IDENT && tok->len <= 40)
		snprintf(found, sizeof found, "'%s'", tok->text);
	else
		snprintf(found, sizeof found, "%s", lex_token_name(tok->kind));
	if (total)
		diag_error(p->diag, tok->loc, "expected %s, found %s", what, found);
	else
		diag_error(p->diag, tok->loc, "unexpected %s", found);
	if (p->nbraces && tok->kind == TOK_EOF) {
		struct loc open = p->braces[p->nbraces - 1];
		diag_note(p->diag, open, "to close the '{' opened here");
	}
	p->failed = true;
}

void ast_stack_overflow(struct parser *p)
{
	diag_plain(p->diag, "%s: parser stack overflow", p->src->path);
	p->failed = true;
}

struct ns *parse_file(struct arena *a, struct diag *d, const struct src *src)
{
	struct parser p = {.arena = a, .diag = d, .src = src};
	struct lexer lx;
	void *lemon = ipc_parseAlloc(malloc, &p);
	if (!lemon) {
		diag_plain(d, "out of memory");
		return NULL;
	}
	lex_init(&lx, a, d, src);
	struct token t;
	while (!p.failed) {
		if (!lex_next(&lx, &t)) {
			p.failed = true;
			break;
		}
		if (t.kind == TOK_LBRACE && p.nbraces < sizeof p.braces / sizeof p.braces[0])
			p.braces[p.nbraces++] = t.loc;
		else if (t.kind == TOK_RBRACE && p.nbraces)
			p.nbraces--;
		ipc_parse(lemon, t.kind, t);
		if (t.kind == TOK_EOF)
			break;
	}
	lex_fini(&lx);
	ipc_parseFree(lemon, free);
	return p.failed ? NULL : p.ns;
}
