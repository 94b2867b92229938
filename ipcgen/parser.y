/*
 * parser.y: the .ipc grammar, for the Lemon parser generator.
 *
 * Each action is one call to a builder in ast.c.  Tokens are values, handed
 * over one at a time by the lexer, so no token array is kept.  Lists are left-recursive
 * (the parser stack stays flat however long a file is) and carried as
 * head/tail pairs, so appending is constant time.  A syntax error stops the
 * parse: %syntax_error reports what was expected and what was found.
 */

%name ipc_parse
%token_prefix TOK_
%token_type {struct token}
%extra_context {struct parser *p}
%start_symbol file

%include {
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include "ipcgen.h"
#include "ast.h"
}

%syntax_error {
	/* The terminals the parser could shift here: replay each one through
	 * the reductions it would trigger, on a copy of the state stack, to
	 * the action that shifts it.  A keyword taken only as a name here (by
	 * %fallback) ends in the same shift as a name, and is not listed apart
	 * from one. */
	int shift[YYNTOKEN] = {0};   /* the action that shifts t, plus 1; 0: none */
	for (int t = 1; t < YYNTOKEN; t++) {
		YYACTIONTYPE st[YYSTACKDEPTH + 2];
		int n = (int)(yypParser->yytos - yypParser->yystack) + 1;
		if (n > YYSTACKDEPTH)
			break;
		for (int i = 0; i < n; i++)
			st[i] = yypParser->yystack[i].stateno;
		for (int guard = 0; guard < 1000; guard++) {
			YYACTIONTYPE act = yy_find_shift_action((YYCODETYPE)t, st[n - 1]);
			if (act >= YY_MIN_REDUCE && act < YY_MIN_REDUCE + YYNRULE) {
				unsigned rule = act - YY_MIN_REDUCE;
				n += yyRuleInfoNRhs[rule];
				if (n < 1 || n >= YYSTACKDEPTH)
					break;
				st[n] = yy_find_reduce_action(st[n - 1], yyRuleInfoLhs[rule]);
				n++;
				continue;
			}
			if (act <= YY_MAX_SHIFTREDUCE || act == YY_ACCEPT_ACTION)
				shift[t] = (int)act + 1;
			break;
		}
	}
	unsigned char expected[YYNTOKEN] = {0};
	for (int t = 1; t < YYNTOKEN; t++)
		expected[t] = shift[t] && !(yyFallback[t] == TOK_IDENT && shift[t] == shift[TOK_IDENT]);
	ast_syntax_error(p, &TOKEN, expected, YYNTOKEN);
}

%stack_overflow {
	ast_stack_overflow(p);
}

%token NAMESPACE USE ENUM INTERFACE CALL SEND ERROR RAISES IDENT NUMBER SCOPE COLON
       SEMI COMMA LBRACE RBRACE LPAREN RPAREN EQ MINUS ELLIPSIS LT GT PART
       CONST STRUCT BITS SKIP QUESTION STAR.
/* Keywords are names wherever no keyword fits: a parameter may be called
 * 'interface' (Wayland's wl_registry.bind), a method 'skip'. */
%fallback IDENT NAMESPACE USE ENUM INTERFACE CALL SEND ERROR RAISES CONST STRUCT BITS SKIP.

%type method_kind {int}
%type qname {struct qname}
%type members {struct member_list}
%type member_list {struct member_list}
%type member {struct member *}
%type methods {struct method_list}
%type method {struct method *}
%type caps {struct cap_sections}
%type capparams {struct param_list}
%type cap_list {struct param_list}
%type capparam {struct param *}
%type params {struct param_list}
%type param_list {struct param_list}
%type param {struct param *}
%type ret {struct ret}
%type type {struct typeref}
%type targs {struct targs}
%type targ {struct targ}
%type value {struct numref}
%type raise {struct qname}
%type raises {struct qname_list}
%type qname_list {struct qname_list}
%type parents {struct parent_list}

/* file: 'namespace' NAME ';' decl*
 * PART is never in a file: parse_file hands it in first when it parses a
 * later part of a large file, which holds declarations only. */
file ::= header decls.
file ::= PART decls.
header ::= NAMESPACE(K) IDENT(N) SEMI.          { ast_namespace(p, &K, &N); }

decls ::= .
decls ::= decls decl.

/* decl: 'use' NAME ';' | error | enum | interface */
decl ::= USE(K) IDENT(N) SEMI.                  { ast_use(p, &K, &N); }

/* error: 'error' NAME ['=' value] ';' */
decl ::= ERROR(K) IDENT(N) SEMI.                { ast_error(p, &K, &N, NULL); }
decl ::= ERROR(K) IDENT(N) EQ value(V) SEMI.    { ast_error(p, &K, &N, &V); }
decl ::= enum_decl.
decl ::= iface_decl.

/* const: 'const' NAME '=' value ';' */
decl ::= CONST(K) IDENT(N) EQ value(V) SEMI.    { ast_const(p, &K, &N, &V); }

/* struct: 'struct' NAME '{' field, ... [','] '}' [';'], a field as a parameter */
decl ::= STRUCT(K) IDENT(N) LBRACE params(F) RBRACE opt_semi.
	{ ast_struct(p, &K, &N, F); }

/* bits: 'bits' NAME [':' type] '{' member, ... [','] '}' [';'] */
decl ::= BITS(K) IDENT(N) LBRACE members(M) RBRACE opt_semi.
	{ ast_bits(p, &K, &N, NULL, M); }
decl ::= BITS(K) IDENT(N) COLON qname(B) LBRACE members(M) RBRACE opt_semi.
	{ ast_bits(p, &K, &N, &B, M); }

/* value: ['-'] NUMBER | qname (a constant) */
value(V) ::= NUMBER(T).                         { V = ast_value(p, &T, NULL, false); }
value(V) ::= MINUS NUMBER(T).                   { V = ast_value(p, &T, NULL, true); }
value(V) ::= qname(Q).                          { V = ast_value(p, NULL, &Q, false); }

/* enum: 'enum' NAME [':' type] '{' member, ... [','] '}' [';'] */
enum_decl ::= ENUM(K) IDENT(N) LBRACE members(M) RBRACE opt_semi.
	{ ast_enum(p, &K, &N, NULL, M); }
enum_decl ::= ENUM(K) IDENT(N) COLON qname(B) LBRACE members(M) RBRACE opt_semi.
	{ ast_enum(p, &K, &N, &B, M); }

members(L) ::= .                                { memset(&L, 0, sizeof L); }
members(L) ::= member_list(A).                  { L = A; }
members(L) ::= member_list(A) COMMA.            { L = A; }
member_list(L) ::= member(M).                   { L = ast_member_list(NULL, M); }
member_list(L) ::= member_list(A) COMMA member(M). { L = ast_member_list(&A, M); }

/* member: NAME ['=' value] */
member(M) ::= IDENT(N).                         { M = ast_member(p, &N, NULL); }
member(M) ::= IDENT(N) EQ value(V).             { M = ast_member(p, &N, &V); }

/* interface: 'interface' NAME ['::' qname, ...] '{' method* '}' [';'] */
iface_decl ::= INTERFACE(K) IDENT(N) LBRACE methods(M) RBRACE opt_semi.
	{ ast_interface(p, &K, &N, NULL, M); }
iface_decl ::= INTERFACE(K) IDENT(N) SCOPE parents(P) LBRACE methods(M) RBRACE opt_semi.
	{ ast_interface(p, &K, &N, &P, M); }
parents(L) ::= qname(Q).                        { L = ast_parent_list(p, NULL, &Q); }
parents(L) ::= parents(A) COMMA qname(Q).       { L = ast_parent_list(p, &A, &Q); }

methods(L) ::= .                                { memset(&L, 0, sizeof L); }
methods(L) ::= methods(A) method(M).            { L = ast_method_list(&A, M); }

/* method: ('call' | 'send') NAME ['{' caps [';' caps] '}'] '(' params ')' [type]
 *         ['raises' '(' qname, ... ')'] ';' */
method(M) ::= method_kind(K) IDENT(N) caps(C) LPAREN params(A) RPAREN ret(R) raises(E) SEMI.
	{ M = ast_method(p, K, &N, &C, A, &R, &E); }
/* skip: 'skip' ';' leaves a method number unused */
method(M) ::= SKIP(K) SEMI.                     { M = ast_skip(p, &K); }
method_kind(K) ::= CALL(T).                     { K = ast_kind(p, &T, M_CALL); }
method_kind(K) ::= SEND(T).                     { K = ast_kind(p, &T, M_SEND); }

caps(C) ::= .                                   { memset(&C, 0, sizeof C); }
caps(C) ::= LBRACE capparams(I) RBRACE.         { C = (struct cap_sections){.in = I}; }
caps(C) ::= LBRACE capparams(I) SEMI capparams(O) RBRACE.
	{ C = (struct cap_sections){I, O}; }

capparams(L) ::= .                              { memset(&L, 0, sizeof L); }
capparams(L) ::= cap_list(A).                   { L = A; }
capparams(L) ::= cap_list(A) COMMA.             { L = A; }
cap_list(L) ::= capparam(C).                    { L = ast_param_list(NULL, C); }
cap_list(L) ::= cap_list(A) COMMA capparam(C).  { L = ast_param_list(&A, C); }

/* capparam: NAME [':' type ['...' | '?']]   (the type defaults to cap) */
capparam(C) ::= IDENT(N).                       { C = ast_param(p, &N, NULL, false); }
capparam(C) ::= IDENT(N) COLON qname(T).        { C = ast_param(p, &N, &T, false); }
capparam(C) ::= IDENT(N) COLON qname(T) ELLIPSIS. { C = ast_param(p, &N, &T, true); }
capparam(C) ::= IDENT(N) COLON qname(T) QUESTION. { C = ast_param(p, &N, &T, false); C->type.optional = true; }

params(L) ::= .                                 { memset(&L, 0, sizeof L); }
params(L) ::= param_list(A).                    { L = A; }
params(L) ::= param_list(A) COMMA.              { L = A; }
param_list(L) ::= param(P).                     { L = ast_param_list(NULL, P); }
param_list(L) ::= param_list(A) COMMA param(P). { L = ast_param_list(&A, P); }

/* param: NAME ':' type */
param(P) ::= IDENT(N) COLON type(T).            { P = ast_value_param(p, &N, &T); }

ret(R) ::= .                                    { memset(&R, 0, sizeof R); }
ret(R) ::= type(T).                             { R = (struct ret){.present = true, .type = T}; }
/* several results: '(' NAME ':' type, ... ')' */
ret(R) ::= LPAREN params(A) RPAREN.             { R = (struct ret){.several = true, .results = A}; }

/* type: qname ['<' targ, ... '>'] | type '?'
 * (string<N>, bytes<N>, list<T, N>; N a number or a constant) */
type(T) ::= qname(Q).                           { T = ast_type(p, &Q, NULL); }
type(T) ::= qname(Q) LT targs(A) GT.            { T = ast_type(p, &Q, &A); }
type(T) ::= type(A) QUESTION(Q).                { T = ast_optional(p, &A, &Q); }
targs(L) ::= targ(A).                           { L = ast_targs(p, NULL, &A); }
targs(L) ::= targs(B) COMMA targ(A).            { L = ast_targs(p, &B, &A); }
targ(A) ::= type(T).                            { A = ast_targ(p, &T, NULL, false); }
targ(A) ::= NUMBER(N).                          { A = ast_targ(p, NULL, &N, false); }
targ(A) ::= MINUS NUMBER(N).                    { A = ast_targ(p, NULL, &N, true); }

raises(L) ::= .                                 { memset(&L, 0, sizeof L); }
raises(L) ::= RAISES LPAREN qname_list(Q) RPAREN.          { L = Q; }
raises(L) ::= RAISES LPAREN qname_list(Q) COMMA RPAREN.    { L = Q; }
qname_list(L) ::= raise(Q).                     { L = ast_qname_list(p, NULL, &Q); }
qname_list(L) ::= qname_list(A) COMMA raise(Q). { L = ast_qname_list(p, &A, &Q); }
/* raise: qname | NAME '::' '*' (every error of a namespace) */
raise(Q) ::= qname(N).                          { Q = N; }
raise(Q) ::= IDENT(S) SCOPE STAR(T).            { Q = ast_qname(p, &S, &T); Q.name = "*"; }

/* qname: NAME ['::' NAME] */
qname(Q) ::= IDENT(N).                          { Q = ast_qname(p, NULL, &N); }
qname(Q) ::= IDENT(S) SCOPE IDENT(N).           { Q = ast_qname(p, &S, &N); }

opt_semi ::= .
opt_semi ::= SEMI.
