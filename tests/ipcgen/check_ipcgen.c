/*
 * check_ipcgen.c: the compiler's phases driven in-process: lexer, parser,
 * checks with their exact diagnostics, identity (IDs, labels, fingerprints),
 * C-name mapping and the backend.  Built with ASan/UBSan.
 */
#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipcgen.h"
#include "parser.h"

/* ---- helpers ---------------------------------------------------------------- */

struct result {
	struct unit u;
	bool ok;
	char *diags;
	size_t ndiags;
	char dir[64], path[80];
};

/* Compiles text as the one primary file; diagnostics are captured. */
static void compile(struct result *r, const char *text)
{
	memset(r, 0, sizeof *r);
	strcpy(r->dir, "/tmp/check_ipcgen_XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(r->dir));
	snprintf(r->path, sizeof r->path, "%s/t.ipc", r->dir);
	int fd = open(r->path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	r->u.max_words = 64;
	r->u.max_caps = 16;
	r->u.diag.out = open_memstream(&r->diags, &r->ndiags);
	if (unit_load(&r->u, r->path, true) && r->u.diag.errors == 0)
		r->ok = check_unit(&r->u);
	diag_flush(&r->u.diag);
	fclose(r->u.diag.out);
	unlink(r->path);
	rmdir(r->dir);
}

static void release(struct result *r)
{
	unit_free(&r->u);
	free(r->diags);
}

/* The diagnostics with the temporary file's name replaced by "t.ipc". */
static char *diags(struct result *r)
{
	static char out[8192];
	size_t n = strlen(r->path), o = 0;
	for (const char *p = r->diags; *p && o < sizeof out - 8;) {
		if (strncmp(p, r->path, n) == 0) {
			memcpy(out + o, "t.ipc", 5);
			o += 5;
			p += n;
		} else {
			out[o++] = *p++;
		}
	}
	out[o] = 0;
	return out;
}

static struct decl *decl(struct result *r, const char *name)
{
	for (struct ns *ns = r->u.nss; ns; ns = ns->next)
		for (struct decl *d = ns->decls; d; d = d->next)
			if (strcmp(d->name, name) == 0)
				return d;
	return NULL;
}

static const char *io_ipc =
	"namespace io;\n"
	"# The location.\n"
	"enum whence { SET, CUR, END, }\n"
	"# An object with file-like semantics.\n"
	"interface file {\n"
	"\t# Reads.\n"
	"\tcall read{pages: page...}(buf: uintptr, amt: size) size;\n"
	"\tcall write{pages: page...}(buf: uintptr, amt: size) size;\n"
	"\tcall seek(offs: i64, w: whence) size;\n"
	"};\n";

/* ---- lexer ------------------------------------------------------------------- */

static struct src src;

/* Where token t of the last text lexed starts. */
static struct loc tok_loc(const struct token *t)
{
	return (struct loc){src.id, t->off};
}

static struct token_list lex(struct arena *a, struct diag *d, const char *text, bool *ok)
{
	src.path = "t.ipc";
	src.text = text;
	src.len = strlen(text);
	src_register(&src);
	struct token_list toks = {0};
	*ok = lex_file(a, d, &src, &toks);
	return toks;
}

START_TEST(lexer_tokens)
{
	struct arena a = {0};
	struct diag d = {.out = fopen("/dev/null", "w")};
	bool ok;
	struct token_list t = lex(&a, &d, "namespace io; call x{p: page...}(n: u8) size; 0x1F 42 ::", &ok);
	ck_assert(ok);
	int want[] = {TOK_NAMESPACE, TOK_IDENT, TOK_SEMI, TOK_CALL, TOK_IDENT, TOK_LBRACE,
	              TOK_IDENT, TOK_COLON, TOK_IDENT, TOK_ELLIPSIS, TOK_RBRACE, TOK_LPAREN,
	              TOK_IDENT, TOK_COLON, TOK_IDENT, TOK_RPAREN, TOK_IDENT, TOK_SEMI,
	              TOK_NUMBER, TOK_NUMBER, TOK_SCOPE, TOK_EOF};
	ck_assert_uint_eq(t.n, sizeof want / sizeof want[0]);
	for (size_t i = 0; i < t.n; i++)
		ck_assert_int_eq(t.v[i].kind, want[i]);
	ck_assert_uint_eq(t.v[18].value, 0x1f);
	ck_assert_uint_eq(t.v[19].value, 42);
	ck_assert_str_eq(t.v[1].text, "io");
	struct linecol lc = diag_linecol(&d, tok_loc(&t.v[3]));
	ck_assert_uint_eq(lc.line, 1);
	ck_assert_uint_eq(lc.col, 15);
	free(t.v);
	diag_forget_lines(&d);   /* the next text is at the same src */
	/* Names are interned: the same name is the same pointer. */
	t = lex(&a, &d, "abc x abc\nx\rab", &ok);
	ck_assert(ok);
	ck_assert_ptr_eq(t.v[0].text, t.v[2].text);
	ck_assert_ptr_eq(t.v[1].text, t.v[3].text);
	ck_assert_ptr_ne(t.v[0].text, t.v[4].text);
	ck_assert_str_eq(t.v[4].text, "ab");
	lc = diag_linecol(&d, tok_loc(&t.v[4]));
	ck_assert_uint_eq(lc.line, 3);
	ck_assert_uint_eq(lc.col, 1);
	free(t.v);
	diag_forget_lines(&d);
	arena_free(&a);
	fclose(d.out);
}
END_TEST

START_TEST(lexer_docs)
{
	struct arena a = {0};
	struct diag d = {.out = fopen("/dev/null", "w")};
	bool ok;
	struct token_list t = lex(&a, &d,
		"# one\n# two\nenum\n\n# detached\n\ninterface x # trailing\ncall\n", &ok);
	ck_assert(ok);
	ck_assert_str_eq(t.v[0].doc, "one\ntwo");
	ck_assert_ptr_null(t.v[1].doc);   /* a blank line detaches a comment */
	ck_assert_ptr_null(t.v[3].doc);   /* a comment after code documents nothing */
	free(t.v);
	arena_free(&a);
	fclose(d.out);
}
END_TEST

START_TEST(lexer_errors)
{
	static const struct { const char *text, *msg; } cases[] = {
		{"namespace $;", "t.ipc:1:11: error: unexpected character '$'\n"},
		{"a\001", "t.ipc:1:2: error: unexpected byte 0x01\n"},
		{"0x", "t.ipc:1:1: error: invalid digit 'x' in decimal number\n"},
		{"12ab", "t.ipc:1:1: error: invalid digit 'a' in decimal number (a name starts with a letter or '_')\n"},
		{"caf\xc3\xa9", "t.ipc:1:4: error: unexpected byte 0xc3; outside comments a file is ASCII, and a name is letters, digits and '_'\n"},
		{"u8[4]", "t.ipc:1:3: error: unexpected character '['; an array is bytes<N> or list<T, N>\n"},
		{"// c", "t.ipc:1:1: error: unexpected character '/'; a comment starts with '#' and runs to the end of the line\n"},
		{"18446744073709551616", "t.ipc:1:1: error: number does not fit in 64 bits\n"},
		{"# \xc0\xaf", "t.ipc:1:3: error: invalid UTF-8 in comment (byte 0xc0)\n"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct arena a = {0};
		char *out = NULL;
		size_t n = 0;
		struct diag d = {.out = open_memstream(&out, &n)};
		bool ok;
		struct token_list t = lex(&a, &d, cases[i].text, &ok);
		ck_assert(!ok);
		ck_assert_ptr_null(t.v);
		diag_flush(&d);
		fclose(d.out);
		ck_assert_msg(strncmp(out, cases[i].msg, strlen(cases[i].msg)) == 0,
		              "case %zu: got %s", i, out);
		free(out);
		arena_free(&a);
	}
}
END_TEST

/* ---- parser and AST ---------------------------------------------------------------- */

START_TEST(parse_seed_protocol)
{
	struct result r;
	compile(&r, io_ipc);
	ck_assert_msg(r.ok, "%s", r.diags);
	struct ns *ns = r.u.nss;
	ck_assert_str_eq(ns->name, "io");
	struct decl *w = decl(&r, "whence");
	ck_assert_int_eq(w->kind, D_ENUM);
	ck_assert_uint_eq(w->nmembers, 3);
	ck_assert_str_eq(w->doc, "The location.");
	ck_assert_int_eq(w->members->next->next->value, 2);
	struct decl *f = decl(&r, "file");
	ck_assert_str_eq(f->doc, "An object with file-like semantics.");
	struct method *read = f->methods;
	ck_assert_str_eq(read->name, "read");
	ck_assert_str_eq(read->doc, "Reads.");
	ck_assert(read->caps->list);
	ck_assert_int_eq(read->caps->type.kind, TY_PAGE);
	ck_assert_uint_eq(read->nparams, 2);
	ck_assert_int_eq(read->ret.kind, TY_SIZE);
	ck_assert_int_eq(f->methods->next->next->params->next->type.kind, TY_ENUM);
	release(&r);
}
END_TEST

START_TEST(parse_outcaps_and_defaults)
{
	struct result r;
	compile(&r, "namespace sys;\ninterface devregistry {\n"
	            "\tcall new{; out}(iface: u64) uint;\n\tsend ping();\n}\n");
	ck_assert_msg(r.ok, "%s", r.diags);
	struct method *m = decl(&r, "devregistry")->methods;
	ck_assert_ptr_null(m->caps);
	ck_assert_str_eq(m->outcaps->name, "out");
	ck_assert_int_eq(m->outcaps->type.kind, TY_CAP);   /* a bare name is a cap */
	ck_assert_uint_eq(m->nout_fixed, 1);
	ck_assert_int_eq(m->next->kind, M_SEND);
	ck_assert_int_eq(m->next->ret.kind, TY_VOID);
	release(&r);
}
END_TEST

START_TEST(parse_syntax_errors)
{
	static const struct { const char *text, *msg; } cases[] = {
		{"interface a {}", "t.ipc:1:1: error: expected 'namespace', found 'interface'\n"},
		{"namespace t;\ninterface a { call f() void }",
		 "t.ipc:2:29: error: expected 'raises', ';' or '?', found '}'\n"},
		{"namespace t;\nenum e { A B }", "t.ipc:2:12: error: expected ',', '}' or '=', found 'B'\n"},
		{"namespace t;\ninterface a {\n", "t.ipc:3:1: error: expected 'call', 'send', '}' or 'skip', found end of file\n"
		 "    \n    ^\nt.ipc:2:13: note: to close the '{' opened here\n"},
		/* A ';' missing at the end of a line (or of the file): after the token before. */
		{"namespace t", "t.ipc:1:12: error: expected ';' after 't'\n"},
		{"namespace t;\nerror e = 5\nerror f;", "t.ipc:2:12: error: expected ';' after '5'\n"},
		{"namespace t;\ninterface a {\n\tcall f() void # done\n}", "t.ipc:3:15: error: expected ';' after 'void'\n"},
		{"namespace t # the name\r\n\r\n# a doc\r\ninterface a {}", "t.ipc:1:12: error: expected ';' after 't'\n"},
		{"namespace t # at the end", "t.ipc:1:12: error: expected ';' after 't'\n"},
		/* A misspelt keyword; a name too far from any is not one. */
		{"namespace t;\nenm e { A }", "t.ipc:2:1: error: expected 'use', 'enum', 'interface', 'error', "
		 "'const', 'struct' or 'bits', found 'enm'; did you mean 'enum'?\n"},
		{"namespace t;\ninterface a { sned f(); }", "found 'sned'; did you mean 'send'?\n"},
		{"namespace t;\nstruct e { A }", "t.ipc:2:14: error: expected ':', found '}'\n"},
		{"namespace t;\nunion e { A }", "found 'union'\n"},
		{"namespace t;\ninterface a { call f{pages...}(); }", "found '...'; a list needs its type: 'pages: cap...'\n"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct result r;
		compile(&r, cases[i].text);
		ck_assert(!r.ok);
		const char *got = diags(&r);
		ck_assert_msg(strncmp(got, cases[i].msg, strlen(cases[i].msg)) == 0 ||
		              strstr(got, cases[i].msg), "case %zu: got\n%s", i, got);
		release(&r);
	}
}
END_TEST

/* ---- checks ----------------------------------------------------------------------- */

START_TEST(check_all_errors_reported)
{
	struct result r;
	compile(&r, "namespace t;\ninterface a {\n\tcall f(x: nope) void;\n\tcall g(y: nada) void;\n}\n"
	            "enum e { A, A, }\n");
	ck_assert(!r.ok);
	ck_assert_uint_eq(r.u.diag.errors, 3);
	ck_assert_ptr_nonnull(strstr(diags(&r), "t.ipc:3:12: error: unknown type 'nope'"));
	ck_assert_ptr_nonnull(strstr(diags(&r), "t.ipc:4:12: error: unknown type 'nada'"));
	ck_assert_ptr_nonnull(strstr(diags(&r), "t.ipc:6:13: error: duplicate member 'A' in enum 'e'"));
	ck_assert_ptr_nonnull(strstr(diags(&r), "t.ipc:6:10: note: 'A' is first declared here"));
	/* In source order. */
	ck_assert(strstr(diags(&r), "nope") < strstr(diags(&r), "nada"));
	release(&r);
}
END_TEST

START_TEST(check_exact_diagnostic)
{
	struct result r;
	compile(&r, "namespace t;\ninterface a {\n\tcall f(x: sise) void;\n}\n");
	ck_assert(!r.ok);
	ck_assert_str_eq(diags(&r),
		"t.ipc:3:12: error: unknown type 'sise'; did you mean 'size'?\n"
		"    \tcall f(x: sise) void;\n"
		"    \t          ^\n");
	release(&r);
}
END_TEST

START_TEST(check_inherited_clash_and_cycle)
{
	struct result r;
	compile(&r, "namespace t;\ninterface b { call read(); }\ninterface d :: b { call read(); }\n"
	            "interface x :: y {}\ninterface y :: x {}\n");
	ck_assert(!r.ok);
	ck_assert_ptr_nonnull(strstr(diags(&r), "error: method 'read' clashes with 'read' inherited from 't::b'"));
	ck_assert_ptr_nonnull(strstr(diags(&r), "inherits from itself"));
	ck_assert_uint_eq(r.u.diag.errors, 2);
	release(&r);
}
END_TEST

START_TEST(check_message_limits)
{
	struct result r;
	compile(&r, "namespace t;\ninterface a {\n\tcall f{c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, "
	            "c12, c13, c14, c15, c16}() void;\n}\n");
	ck_assert(!r.ok);
	ck_assert_ptr_nonnull(strstr(diags(&r), "'f' passes 17 capabilities; a message carries at most 16"));
	release(&r);
}
END_TEST

/* ---- identity -------------------------------------------------------------------- */

START_TEST(identity_ids_and_labels)
{
	struct result r;
	compile(&r, io_ipc);
	ck_assert(r.ok);
	struct decl *f = decl(&r, "file");
	ck_assert_uint_eq(f->id, 0x7b9588b7);           /* FNV-1a of "io::file" */
	ck_assert_uint_eq(fnv1a32("io::file", 8), 0x7b9588b7);
	ck_assert_uint_eq(fnv1a32("", 0), 0x811c9dc5);  /* the offset basis */
	ck_assert_uint_eq(fnv1a32("a", 1), 0xe40c292c); /* a published vector */
	unsigned n = 1;
	for (struct method *m = f->methods; m; m = m->next)
		ck_assert_uint_eq(m->number, n++);
	release(&r);
}
END_TEST

static uint64_t fingerprint_of(const char *text, const char *iface)
{
	struct result r;
	compile(&r, text);
	ck_assert_msg(r.ok, "%s", r.diags);
	uint64_t fp = decl(&r, iface)->fingerprint;
	release(&r);
	return fp;
}

START_TEST(identity_fingerprints)
{
	const char *base = "namespace t;\nenum e { A, B, }\ninterface i {\n\tcall f{p: page...}(x: u32, y: e) size;\n}\n";
	uint64_t fp = fingerprint_of(base, "i");
	/* Comments, layout and parameter names do not change it. */
	ck_assert_uint_eq(fp, fingerprint_of("# doc\nnamespace t;\nenum e {A,B}\n# doc\ninterface i {\n"
	                                     "  call f{q: page...}(a: u32, b: e) size;\n};\n", "i"));
	/* Every wire change does. */
	static const char *const changed[] = {
		"namespace t;\nenum e { A, B, }\ninterface i {\n\tcall f{p: page...}(x: u64, y: e) size;\n}\n",
		"namespace t;\nenum e { A, B, C, }\ninterface i {\n\tcall f{p: page...}(x: u32, y: e) size;\n}\n",
		"namespace t;\nenum e { A, B = 5, }\ninterface i {\n\tcall f{p: page...}(x: u32, y: e) size;\n}\n",
		"namespace t;\nenum e { A, B, }\ninterface i {\n\tcall f{p: page}(x: u32, y: e) size;\n}\n",
		"namespace t;\nenum e { A, B, }\ninterface i {\n\tcall f{p: page...}(x: u32, y: e) u32;\n}\n",
		"namespace t;\nenum e { A, B, }\ninterface i {\n\tcall f{p: page...; o}(x: u32, y: e) size;\n}\n",
		"namespace t;\nenum e { A, B, }\ninterface i {\n\tsend f{p: page...}(x: u32, y: e);\n}\n",
		"namespace t;\nenum e { A, B, }\ninterface i {\n\tcall g();\n\tcall f{p: page...}(x: u32, y: e) size;\n}\n",
	};
	for (size_t k = 0; k < sizeof changed / sizeof changed[0]; k++)
		ck_assert_msg(fingerprint_of(changed[k], "i") != fp, "change %zu kept the fingerprint", k);
	/* Bounds and declared errors are part of the wire. */
	const char *s10 = "namespace t;\nerror x;\nerror y;\ninterface i {\n\tcall f(s: string<10>) void raises (x);\n}\n";
	uint64_t f10 = fingerprint_of(s10, "i");
	ck_assert_uint_ne(f10, fingerprint_of("namespace t;\nerror x;\nerror y;\ninterface i {\n\tcall f(s: string<11>) void raises (x);\n}\n", "i"));
	ck_assert_uint_ne(f10, fingerprint_of("namespace t;\nerror x;\nerror y;\ninterface i {\n\tcall f(s: bytes<10>) void raises (x);\n}\n", "i"));
	ck_assert_uint_ne(f10, fingerprint_of("namespace t;\nerror x;\nerror y;\ninterface i {\n\tcall f(s: string<10>) void raises (y);\n}\n", "i"));
	ck_assert_uint_ne(f10, fingerprint_of("namespace t;\nerror x;\nerror y;\ninterface i {\n\tcall f(s: string<10>) void raises (x, y);\n}\n", "i"));
	/* The order errors are named in is not. */
	ck_assert_uint_eq(fingerprint_of("namespace t;\nerror x;\nerror y;\ninterface i {\n\tcall f(s: string<10>) void raises (x, y);\n}\n", "i"),
	                  fingerprint_of("namespace t;\nerror x;\nerror y;\ninterface i {\n\tcall f(s: string<10>) void raises (y, x);\n}\n", "i"));
	/* A parent's change reaches its children. */
	ck_assert_uint_ne(fingerprint_of("namespace t;\ninterface p { call a(); }\ninterface i :: p {}\n", "i"),
	                  fingerprint_of("namespace t;\ninterface p { call a(x: u8); }\ninterface i :: p {}\n", "i"));
}
END_TEST

/* ---- C names and the backend ------------------------------------------------------- */

START_TEST(cnames_escaped)
{
	struct result r;
	compile(&r, "namespace t;\ninterface a {\n\tcall new(int: u8, class: u8, _x: u8, a__b: u8, m: u8);\n}\n");
	ck_assert_msg(r.ok, "%s", r.diags);
	struct method *m = decl(&r, "a")->methods;
	ck_assert_str_eq(m->field, "new_");
	struct param *p = m->params;
	ck_assert_str_eq(p->cname, "int_");
	ck_assert_str_eq(p->next->cname, "class_");
	ck_assert_str_eq(p->next->next->cname, "x_x");
	ck_assert_str_eq(p->next->next->next->cname, "a_x_b");
	ck_assert_str_eq(p->next->next->next->next->cname, "m_");
	release(&r);
}
END_TEST

/* Macros a compiler predefines in its default mode, and escapes that would
 * end in "__" (reserved in C++). */
START_TEST(cnames_escape_predefined_macros)
{
	struct result r;
	compile(&r, "namespace t;\ninterface a {\n\tcall unix(linux: u8, i386: u8, ipc_: u8, "
	            "MERCURY_IPC_H: u8, INT_LEAST8_MAX: u8);\n}\n");
	ck_assert_msg(r.ok, "%s", r.diags);
	struct method *m = decl(&r, "a")->methods;
	ck_assert_str_eq(m->field, "unix_");
	struct param *p = m->params;
	ck_assert_str_eq(p->cname, "linux_");
	ck_assert_str_eq(p->next->cname, "i386_");
	ck_assert_str_eq(p->next->next->cname, "ipc_x");
	ck_assert_str_eq(p->next->next->next->cname, "MERCURY_IPC_H_");
	ck_assert_str_eq(p->next->next->next->next->cname, "INT_LEAST8_MAX_");
	release(&r);
}
END_TEST

START_TEST(cnames_injective)
{
	struct result r;
	compile(&r, "namespace t;\ninterface a_b { call c(); }\ninterface a { call b_c(); }\n");
	ck_assert(!r.ok);
	ck_assert_ptr_nonnull(strstr(diags(&r),
		"error: method 't::a.b_c' and method 't::a_b.c' would both be 't_a_b_c' in C; rename one"));
	release(&r);
}
END_TEST

START_TEST(backend_deterministic)
{
	struct result r1, r2;
	compile(&r1, io_ipc);
	compile(&r2, io_ipc);
	ck_assert(r1.ok && r2.ok);
	for (int part = 0; part < GEN_NPARTS; part++) {
		struct buf a = {0}, b = {0};
		gen_c(&r1.u, r1.u.nss, (enum gen_part)part, &a);
		gen_c(&r2.u, r2.u.nss, (enum gen_part)part, &b);
		ck_assert_uint_gt(a.len, 100);
		ck_assert_uint_eq(a.len, b.len);
		ck_assert(memcmp(a.data, b.data, a.len) == 0);
		buf_free(&a);
		buf_free(&b);
	}
	struct buf h = {0};
	gen_c(&r1.u, r1.u.nss, GEN_HEADER, &h);
	buf_putc(&h, 0);
	ck_assert_ptr_nonnull(strstr(h.data, "#define IO_FILE_ID UINT32_C(0x7b9588b7)\n"));
	ck_assert_ptr_nonnull(strstr(h.data, "#define IO_FILE_SEEK IPC_LABEL(IO_FILE_ID, 3)\n"));
	ck_assert_ptr_nonnull(strstr(h.data, "/* Reads. */\nint io_file_read(ipc_cap ep, const ipc_cap *pages, "
	                                     "size_t npages, uintptr_t buf, size_t amt, size_t *result);\n"));
	buf_free(&h);
	release(&r1);
	release(&r2);
}
END_TEST

START_TEST(backend_defuses_comments)
{
	struct result r;
	compile(&r, "namespace t;\n# ends */ here ?\?/\n# and splices \\\ninterface a {}\n");
	ck_assert_msg(r.ok, "%s", r.diags);
	struct buf h = {0};
	gen_c(&r.u, r.u.nss, GEN_HEADER, &h);
	buf_putc(&h, 0);
	ck_assert_ptr_nonnull(strstr(h.data, " * ends * / here ? ?/\n * and splices \\.\n"));
	buf_free(&h);
	release(&r);
}
END_TEST

/* The names the --fuzz target makes for itself cannot be names a protocol
 * makes: identifiers that begin "fz" have at most one '_' (a protocol's C
 * names have two or more: ns_iface_method, NS_ERR_E), and so do its tags,
 * which have none (a protocol's have one or more: ns_iface).  Checked on a
 * whole target, its template included. */
START_TEST(fuzz_names_cannot_clash)
{
	struct result r;
	compile(&r, io_ipc);
	ck_assert_msg(r.ok, "%s", r.diags);
	struct buf b = {0};
	gen_c_prepare(&r.u.arena, r.u.nss);
	gen_fuzz(&r.u, r.u.nss, &b);
	buf_putc(&b, 0);
	unsigned names = 0;
	for (const char *p = b.data; *p;) {
		size_t n = 0, under = 0;
		while (p[n] == '_' || (p[n] >= '0' && p[n] <= '9') || ((p[n] | 0x20) >= 'a' && (p[n] | 0x20) <= 'z'))
			under += p[n++] == '_';
		if (n == 0) {
			p++;
			continue;
		}
		bool tag = p - b.data >= 7 && memcmp(p - 7, "struct ", 7) == 0;
		if ((p[0] | 0x20) == 'f' && (p[1] | 0x20) == 'z') {
			names++;
			ck_assert_msg(under <= (tag ? 0u : 1u), "the fuzz target's name '%.*s'", (int)n, p);
		}
		p += n;
	}
	ck_assert_uint_gt(names, 100);
	ck_assert_ptr_nonnull(strstr(b.data, "fz_stub0"));
	buf_free(&b);
	release(&r);
}
END_TEST

static Suite *ipcgen_suite(void)
{
	Suite *s = suite_create("ipcgen");
	TCase *t = tcase_create("lexer");
	tcase_add_test(t, lexer_tokens);
	tcase_add_test(t, lexer_docs);
	tcase_add_test(t, lexer_errors);
	suite_add_tcase(s, t);
	t = tcase_create("parser");
	tcase_add_test(t, parse_seed_protocol);
	tcase_add_test(t, parse_outcaps_and_defaults);
	tcase_add_test(t, parse_syntax_errors);
	suite_add_tcase(s, t);
	t = tcase_create("checks");
	tcase_add_test(t, check_all_errors_reported);
	tcase_add_test(t, check_exact_diagnostic);
	tcase_add_test(t, check_inherited_clash_and_cycle);
	tcase_add_test(t, check_message_limits);
	suite_add_tcase(s, t);
	t = tcase_create("identity");
	tcase_add_test(t, identity_ids_and_labels);
	tcase_add_test(t, identity_fingerprints);
	suite_add_tcase(s, t);
	t = tcase_create("backend");
	tcase_add_test(t, cnames_escaped);
	tcase_add_test(t, cnames_escape_predefined_macros);
	tcase_add_test(t, cnames_injective);
	tcase_add_test(t, backend_deterministic);
	tcase_add_test(t, backend_defuses_comments);
	tcase_add_test(t, fuzz_names_cannot_clash);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ipcgen_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
