/*
 * lexer.re: .ipc source to tokens, in one pass over the whole file.
 *
 * The file is in memory and NUL-terminated; re2c matches against that
 * sentinel, so a NUL before the end is an error like any other stray byte.
 * '#' comments are not tokens, but a block of comment lines standing alone
 * directly above a token becomes that token's doc, which the parser hands to
 * the declaration the token starts.
 */
#include <string.h>

#include "ipcgen.h"
#include "parser.h"

static struct loc loc_at(const struct lexer *lx, const unsigned char *p)
{
	return (struct loc){.src = lx->src->id, .off = (uint32_t)(p - lx->base)};
}

static void newline(struct lexer *lx)
{
	lx->line++;
	lx->line_has_token = false;
}

/* Checks that [p, end) is well-formed UTF-8; returns the first bad byte. */
static const unsigned char *utf8_invalid(const unsigned char *p, const unsigned char *end)
{
	while (p < end) {
		unsigned c = *p;
		int n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2
			: c >= 0xf0 && c <= 0xf4 ? 3 : -1;
		if (n < 0 || end - p <= n)
			return p;
		for (int i = 1; i <= n; i++)
			if ((p[i] & 0xc0) != 0x80)
				return p;
		/* Overlong three- and four-byte forms, surrogates, > U+10FFFF. */
		if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f) ||
		    (c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f))
			return p;
		p += n + 1;
	}
	return NULL;
}

static bool comment(struct lexer *lx, const unsigned char *start, const unsigned char *end)
{
	const unsigned char *bad = utf8_invalid(start, end);
	if (bad) {
		diag_error(lx->diag, loc_at(lx, bad), "invalid UTF-8 in comment (byte 0x%02x)", *bad);
		return false;
	}
	if (lx->line_has_token)
		return true;     /* a comment after code documents nothing */
	if (lx->doc_last_line + 1 != lx->line)
		lx->doc.len = 0;
	const unsigned char *p = start + 1;
	if (p < end && *p == ' ')
		p++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		end--;
	if (lx->doc.len)
		buf_putc(&lx->doc, '\n');
	buf_putn(&lx->doc, (const char *)p, (size_t)(end - p));
	lx->doc_last_line = lx->line;
	return true;
}

/* Fills t as a token of kind starting at start, with the doc comment
 * standing directly above it. */
static void push(struct lexer *lx, struct token *t, int kind, const unsigned char *start)
{
	*t = (struct token){.kind = kind, .off = (uint32_t)(start - lx->base)};
	if (lx->doc_last_line && lx->doc_last_line + 1 == lx->line && !lx->line_has_token)
		t->doc = arena_strndup(lx->arena, lx->doc.data, lx->doc.len);
	lx->doc.len = 0;
	lx->doc_last_line = 0;
	lx->line_has_token = true;
}

/* A keyword that the parser may take as a name: it carries its text. */
static void push_soft(struct lexer *lx, struct token *t, int kind, const unsigned char *start,
                      const unsigned char *end)
{
	push(lx, t, kind, start);
	t->text = arena_intern(lx->arena, (const char *)start, (size_t)(end - start));
}

static bool number(struct lexer *lx, struct token *t, const unsigned char *s, const unsigned char *e)
{
	unsigned base = 10;
	const unsigned char *p = s;
	if (e - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		p += 2;
	}
	uint64_t v = 0;
	for (; p < e; p++) {
		unsigned d = *p >= '0' && *p <= '9' ? *p - '0'
			: *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
			: *p >= 'A' && *p <= 'F' ? *p - 'A' + 10 : 99;
		if (d >= base) {
			diag_error(lx->diag, loc_at(lx, s), "invalid digit '%c' in %s number%s",
			           *p, base == 16 ? "hexadecimal" : "decimal",
			           base == 10 && !(s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
			           ? " (a name starts with a letter or '_')" : "");
			return false;
		}
		if (v > (UINT64_MAX - d) / base) {
			diag_error(lx->diag, loc_at(lx, s), "number does not fit in 64 bits");
			return false;
		}
		v = v * base + d;
	}
	t->value = v;
	return true;
}

#define MAX_IDENT 255

void lex_init(struct lexer *lx, struct arena *a, struct diag *d, const struct src *src)
{
	*lx = (struct lexer){
		.arena = a, .diag = d, .src = src,
		.base = (const unsigned char *)src->text,
		.cursor = (const unsigned char *)src->text,
		.limit = (const unsigned char *)src->text + src->len,
		.end = (const unsigned char *)src->text + src->len,
		.line = 1,
	};
}

void lex_range(struct lexer *lx, size_t from, size_t to)
{
	lx->cursor = lx->base + from;
	lx->limit = lx->base + to;
}

void lex_fini(struct lexer *lx)
{
	buf_free(&lx->doc);
}

bool lex_next(struct lexer *lx, struct token *t)
{
	const unsigned char *YYCURSOR = lx->cursor, *YYMARKER = NULL, *tok;
	struct diag *d = lx->diag;
	bool ok = true;
	(void)YYMARKER;

	for (;;) {
		tok = YYCURSOR;
		/* The end of a part of the file (parse_file may parse a large one
		 * in parts, split at the start of a line). */
		if (tok >= lx->limit && tok != lx->end) {
			push(lx, t, TOK_EOF, tok);
			break;
		}
	/*!re2c
		re2c:define:YYCTYPE = "unsigned char";
		re2c:yyfill:enable = 0;
		re2c:indent:top = 1;

		ident = [a-zA-Z_][a-zA-Z0-9_]*;
		number = [0-9][a-zA-Z0-9_]*;
		space = [ \t\f\v]+;

		"\x00" {
			if (tok == lx->end) {
				push(lx, t, TOK_EOF, tok);
				YYCURSOR = tok;   /* stay at the end */
				break;
			}
			diag_error(d, loc_at(lx, tok), "unexpected NUL byte");
			ok = false;
			break;
		}
		space   { continue; }
		"\r\n" | "\n" | "\r" { newline(lx); continue; }
		"#" [^\n\r\x00]* {
			if (!comment(lx, tok, YYCURSOR)) { ok = false; break; }
			continue;
		}

		"namespace" { push_soft(lx, t, TOK_NAMESPACE, tok, YYCURSOR); break; }
		"use"       { push_soft(lx, t, TOK_USE, tok, YYCURSOR); break; }
		"enum"      { push_soft(lx, t, TOK_ENUM, tok, YYCURSOR); break; }
		"interface" { push_soft(lx, t, TOK_INTERFACE, tok, YYCURSOR); break; }
		"call"      { push_soft(lx, t, TOK_CALL, tok, YYCURSOR); break; }
		"send"      { push_soft(lx, t, TOK_SEND, tok, YYCURSOR); break; }
		"error"     { push_soft(lx, t, TOK_ERROR, tok, YYCURSOR); break; }
		"raises"    { push_soft(lx, t, TOK_RAISES, tok, YYCURSOR); break; }
		/* Keywords of language 2: a name wherever the grammar takes no
		 * keyword (parser.y's %fallback), so that protocols which named a
		 * method 'skip' or a parameter 'bits' still parse. */
		"const"     { push_soft(lx, t, TOK_CONST, tok, YYCURSOR); break; }
		"struct"    { push_soft(lx, t, TOK_STRUCT, tok, YYCURSOR); break; }
		"bits"      { push_soft(lx, t, TOK_BITS, tok, YYCURSOR); break; }
		"skip"      { push_soft(lx, t, TOK_SKIP, tok, YYCURSOR); break; }

		ident {
			if (YYCURSOR - tok > MAX_IDENT) {
				diag_error(d, loc_at(lx, tok), "identifier longer than %d characters", MAX_IDENT);
				ok = false;
				break;
			}
			push(lx, t, TOK_IDENT, tok);
			t->text = arena_intern(lx->arena, (const char *)tok, (size_t)(YYCURSOR - tok));
			break;
		}
		number {
			push(lx, t, TOK_NUMBER, tok);
			ok = number(lx, t, tok, YYCURSOR);
			break;
		}

		"::"  { push(lx, t, TOK_SCOPE, tok); break; }
		":"   { push(lx, t, TOK_COLON, tok); break; }
		";"   { push(lx, t, TOK_SEMI, tok); break; }
		","   { push(lx, t, TOK_COMMA, tok); break; }
		"{"   { push(lx, t, TOK_LBRACE, tok); break; }
		"}"   { push(lx, t, TOK_RBRACE, tok); break; }
		"("   { push(lx, t, TOK_LPAREN, tok); break; }
		")"   { push(lx, t, TOK_RPAREN, tok); break; }
		"="   { push(lx, t, TOK_EQ, tok); break; }
		"-"   { push(lx, t, TOK_MINUS, tok); break; }
		"<"   { push(lx, t, TOK_LT, tok); break; }
		">"   { push(lx, t, TOK_GT, tok); break; }
		"..." { push(lx, t, TOK_ELLIPSIS, tok); break; }
		"?"   { push(lx, t, TOK_QUESTION, tok); break; }
		"*"   { push(lx, t, TOK_STAR, tok); break; }

		* {
			if (*tok == '/' && YYCURSOR < lx->limit && (*YYCURSOR == '/' || *YYCURSOR == '*'))
				diag_error(d, loc_at(lx, tok), "unexpected character '/'; a comment starts with '#' and runs to the end of the line");
			else if (*tok == '[')
				diag_error(d, loc_at(lx, tok), "unexpected character '['; an array is bytes<N> or list<T, N>");
			else if (*tok >= 0x21 && *tok < 0x7f)
				diag_error(d, loc_at(lx, tok), "unexpected character '%c'", *tok);
			else if (*tok >= 0x80)
				diag_error(d, loc_at(lx, tok), "unexpected byte 0x%02x; outside comments a file is ASCII, and a name is letters, digits and '_'", *tok);
			else
				diag_error(d, loc_at(lx, tok), "unexpected byte 0x%02x", *tok);
			ok = false;
			break;
		}
	*/
	}
	lx->cursor = YYCURSOR;
	return ok;
}

bool lex_file(struct arena *a, struct diag *d, const struct src *src,
              struct token_list *out)
{
	struct lexer lx;
	struct buf toks = {0};
	struct token t;
	bool ok;
	lex_init(&lx, a, d, src);
	while ((ok = lex_next(&lx, &t))) {
		buf_putn(&toks, (const char *)&t, sizeof t);
		if (t.kind == TOK_EOF)
			break;
	}
	lex_fini(&lx);
	out->v = ok ? (struct token *)(void *)toks.data : NULL;
	out->n = ok ? toks.len / sizeof t : 0;
	if (!ok)
		buf_free(&toks);
	return ok;
}

const char *lex_token_name(int kind)
{
	switch (kind) {
	case TOK_EOF: return "end of file";
	case TOK_NAMESPACE: return "'namespace'";
	case TOK_USE: return "'use'";
	case TOK_ENUM: return "'enum'";
	case TOK_INTERFACE: return "'interface'";
	case TOK_CALL: return "'call'";
	case TOK_SEND: return "'send'";
	case TOK_ERROR: return "'error'";
	case TOK_RAISES: return "'raises'";
	case TOK_CONST: return "'const'";
	case TOK_STRUCT: return "'struct'";
	case TOK_BITS: return "'bits'";
	case TOK_SKIP: return "'skip'";
	case TOK_QUESTION: return "'?'";
	case TOK_STAR: return "'*'";
	case TOK_LT: return "'<'";
	case TOK_GT: return "'>'";
	case TOK_IDENT: return "a name";
	case TOK_NUMBER: return "a number";
	case TOK_SCOPE: return "'::'";
	case TOK_COLON: return "':'";
	case TOK_SEMI: return "';'";
	case TOK_COMMA: return "','";
	case TOK_LBRACE: return "'{'";
	case TOK_RBRACE: return "'}'";
	case TOK_LPAREN: return "'('";
	case TOK_RPAREN: return "')'";
	case TOK_EQ: return "'='";
	case TOK_MINUS: return "'-'";
	case TOK_ELLIPSIS: return "'...'";
	case TOK_PART: return "a part of a file";
	}
	return "a token";
}
