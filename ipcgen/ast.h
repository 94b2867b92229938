/*
 * ast.h: what the grammar's actions call (ast.c), shared only by parser.y
 * and ast.c.
 */
#ifndef IPCGEN_AST_H
#define IPCGEN_AST_H

#include "ipcgen.h"

struct parser {
	struct arena *arena;
	struct diag *diag;
	const struct src *src;
	struct ns *ns;
	struct decl **decl_tail;
	struct use **use_tail;
	bool failed;
	uint32_t at;            /* where the token being parsed starts */
	const char *kind_doc;   /* doc of the last 'call' or 'send' */
	/* Open braces, for "to close '{' at line N". */
	struct loc braces[64];
	unsigned nbraces;
};

struct member_list { struct member *head, *tail; unsigned n; };
struct method_list { struct method *head, *tail; unsigned n, skips; };
struct param_list { struct param *head, *tail; unsigned n; };
struct cap_sections { struct param_list in, out; };
struct ret { bool present, several; struct typeref type; struct param_list results; };
/* Type arguments: string<N>, list<T, N>. */
struct targ { struct typeref *type; struct numref num; bool is_num; };
struct targs { struct targ v[2]; unsigned n; struct loc extra; };
struct qname_list { struct qname_node *head, *tail; unsigned n; };
struct parent_list { struct parent_ref *head, *tail; unsigned n; };

void ast_namespace(struct parser *p, struct token *kw, struct token *name);
void ast_use(struct parser *p, struct token *kw, struct token *name);
void ast_enum(struct parser *p, struct token *kw, struct token *name,
              struct qname *base, struct member_list members);
struct member_list ast_member_list(struct member_list *l, struct member *m);
struct member *ast_member(struct parser *p, struct token *name, struct numref *value);
struct numref ast_value(struct parser *p, struct token *num, struct qname *name, bool negative);
void ast_const(struct parser *p, struct token *kw, struct token *name, struct numref *value);
void ast_struct(struct parser *p, struct token *kw, struct token *name, struct param_list fields);
void ast_bits(struct parser *p, struct token *kw, struct token *name,
              struct qname *base, struct member_list members);
struct method *ast_skip(struct parser *p, struct token *kw);
struct typeref ast_optional(struct parser *p, struct typeref *t, struct token *q);
struct targs ast_targs(struct parser *p, struct targs *l, struct targ *a);
struct targ ast_targ(struct parser *p, struct typeref *t, struct token *num, bool negative);
void ast_interface(struct parser *p, struct token *kw, struct token *name,
                   struct parent_list *parents, struct method_list methods);
struct parent_list ast_parent_list(struct parser *p, struct parent_list *l, struct qname *q);
struct method_list ast_method_list(struct method_list *l, struct method *m);
int ast_kind(struct parser *p, struct token *kw, int kind);
struct method *ast_method(struct parser *p, int kind, struct token *name,
                          struct cap_sections *caps, struct param_list params,
                          struct ret *ret, struct qname_list *raises);
void ast_error(struct parser *p, struct token *kw, struct token *name, struct numref *value);
struct param *ast_value_param(struct parser *p, struct token *name, struct typeref *type);
struct typeref ast_type(struct parser *p, struct qname *name, struct targs *args);
struct qname_list ast_qname_list(struct parser *p, struct qname_list *l, struct qname *q);
struct param_list ast_param_list(struct param_list *l, struct param *prm);
struct param *ast_param(struct parser *p, struct token *name, struct qname *type,
                        bool list);
struct qname ast_qname(struct parser *p, struct token *ns, struct token *name);
void ast_syntax_error(struct parser *p, struct token *tok,
                      const unsigned char *expected, int ntokens);
void ast_stack_overflow(struct parser *p);

/* Lemon's interface (parser.c). */
void *ipc_parseAlloc(void *(*alloc)(size_t), struct parser *p);
void ipc_parse(void *parser, int kind, struct token tok);
void ipc_parseFinalize(void *parser);
void ipc_parseFree(void *parser, void (*dealloc)(void *));

#endif
