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

struct lexer {
	struct arena *arena;
	struct diag *diag;
	const struct src *src;
	const unsigned char *base;
	uint32_t line;
	const unsigned char *line_start;
	bool line_has_token;     /* a token stood earlier on this line */
	struct buf doc;          /* the comment block being gathered */
	uint32_t doc_last_line;  /* line of its last comment, 0 if none */
	struct buf toks;         /* struct token array */
};

static struct loc loc_at(struct lexer *lx, const unsigned char *p)
{
	return (struct loc){
		.src = lx->src,
		.line = lx->line,
		.col = (uint32_t)(p - lx->line_start) + 1,
		.off = (uint32_t)(p - lx->base),
	};
}

static void newline(struct lexer *lx, const unsigned char *after)
{
	lx->line++;
	lx->line_start = after;
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

static struct token *push(struct lexer *lx, int kind, const unsigned char *start,
                          const unsigned char *end)
{
	buf_putn(&lx->toks, (const char *)&(struct token){0}, sizeof(struct token));
	struct token *t = (struct token *)(void *)(lx->toks.data + lx->toks.len) - 1;
	t->kind = kind;
	t->loc = loc_at(lx, start);
	t->len = (uint32_t)(end - start);
	if (lx->doc_last_line && lx->doc_last_line + 1 == lx->line && !lx->line_has_token)
		t->doc = arena_strndup(lx->arena, lx->doc.data, lx->doc.len);
	lx->doc.len = 0;
	lx->doc_last_line = 0;
	lx->line_has_token = true;
	return t;
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
			diag_error(lx->diag, t->loc, "invalid digit '%c' in %s number",
			           *p, base == 16 ? "hexadecimal" : "decimal");
			return false;
		}
		if (v > (UINT64_MAX - d) / base) {
			diag_error(lx->diag, t->loc, "number does not fit in 64 bits");
			return false;
		}
		v = v * base + d;
	}
	t->value = v;
	return true;
}

#define MAX_IDENT 255

bool lex_file(struct arena *a, struct diag *d, const struct src *src,
              struct token_list *out)
{
	struct lexer lx = {
		.arena = a, .diag = d, .src = src,
		.base = (const unsigned char *)src->text,
		.line = 1,
		.line_start = (const unsigned char *)src->text,
	};
	const unsigned char *YYCURSOR = lx.base, *YYMARKER = NULL, *tok;
	const unsigned char *limit = lx.base + src->len;
	bool ok = true;
	(void)YYMARKER;

	for (;;) {
		tok = YYCURSOR;
		struct token *t;
	/*!re2c
		re2c:define:YYCTYPE = "unsigned char";
		re2c:yyfill:enable = 0;
		re2c:indent:top = 1;

		ident = [a-zA-Z_][a-zA-Z0-9_]*;
		number = [0-9][a-zA-Z0-9_]*;
		space = [ \t\f\v]+;

		"\x00" {
			if (tok == limit) {
				push(&lx, TOK_EOF, tok, tok);
				break;
			}
			diag_error(d, loc_at(&lx, tok), "unexpected NUL byte");
			ok = false;
			break;
		}
		space   { continue; }
		"\r\n" | "\n" | "\r" { newline(&lx, YYCURSOR); continue; }
		"#" [^\n\r\x00]* {
			if (!comment(&lx, tok, YYCURSOR)) { ok = false; break; }
			continue;
		}

		"namespace" { push(&lx, TOK_NAMESPACE, tok, YYCURSOR); continue; }
		"use"       { push(&lx, TOK_USE, tok, YYCURSOR); continue; }
		"enum"      { push(&lx, TOK_ENUM, tok, YYCURSOR); continue; }
		"interface" { push(&lx, TOK_INTERFACE, tok, YYCURSOR); continue; }
		"call"      { push(&lx, TOK_CALL, tok, YYCURSOR); continue; }
		"send"      { push(&lx, TOK_SEND, tok, YYCURSOR); continue; }
		"error"     { push(&lx, TOK_ERROR, tok, YYCURSOR); continue; }
		"raises"    { push(&lx, TOK_RAISES, tok, YYCURSOR); continue; }

		ident {
			if (YYCURSOR - tok > MAX_IDENT) {
				diag_error(d, loc_at(&lx, tok), "identifier longer than %d characters", MAX_IDENT);
				ok = false;
				break;
			}
			t = push(&lx, TOK_IDENT, tok, YYCURSOR);
			t->text = arena_strndup(a, (const char *)tok, (size_t)(YYCURSOR - tok));
			continue;
		}
		number {
			t = push(&lx, TOK_NUMBER, tok, YYCURSOR);
			if (!number(&lx, t, tok, YYCURSOR)) { ok = false; break; }
			continue;
		}

		"::"  { push(&lx, TOK_SCOPE, tok, YYCURSOR); continue; }
		":"   { push(&lx, TOK_COLON, tok, YYCURSOR); continue; }
		";"   { push(&lx, TOK_SEMI, tok, YYCURSOR); continue; }
		","   { push(&lx, TOK_COMMA, tok, YYCURSOR); continue; }
		"{"   { push(&lx, TOK_LBRACE, tok, YYCURSOR); continue; }
		"}"   { push(&lx, TOK_RBRACE, tok, YYCURSOR); continue; }
		"("   { push(&lx, TOK_LPAREN, tok, YYCURSOR); continue; }
		")"   { push(&lx, TOK_RPAREN, tok, YYCURSOR); continue; }
		"="   { push(&lx, TOK_EQ, tok, YYCURSOR); continue; }
		"-"   { push(&lx, TOK_MINUS, tok, YYCURSOR); continue; }
		"<"   { push(&lx, TOK_LT, tok, YYCURSOR); continue; }
		">"   { push(&lx, TOK_GT, tok, YYCURSOR); continue; }
		"..." { push(&lx, TOK_ELLIPSIS, tok, YYCURSOR); continue; }

		* {
			if (*tok >= 0x21 && *tok < 0x7f)
				diag_error(d, loc_at(&lx, tok), "unexpected character '%c'", *tok);
			else
				diag_error(d, loc_at(&lx, tok), "unexpected byte 0x%02x", *tok);
			ok = false;
			break;
		}
	*/
	}
	buf_free(&lx.doc);
	out->v = (struct token *)(void *)lx.toks.data;
	out->n = lx.toks.len / sizeof(struct token);
	if (!ok) {
		buf_free(&lx.toks);
		out->v = NULL;
		out->n = 0;
	}
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
	}
	return "a token";
}
