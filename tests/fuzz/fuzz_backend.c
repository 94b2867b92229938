/*
 * fuzz_backend.c: libFuzzer target over ipcgen's C backend.  Whatever the
 * checker accepts (inputs as in fuzz_ipc.h) goes through gen_c, every part
 * of every primary namespace, and gen_fuzz (NS_fuzz.c); the output is held to what DESIGN.md
 * asks of generated C:
 *
 *   deterministic  the same unit generates the same bytes twice;
 *   well-formed    a small C scanner (c_text_check below) finds every
 *                  comment closed and none nested ("/" "*" inside a comment
 *                  is -Wcomment, an error under -Werror), no line splice
 *                  outside comments,
 *                  trigraph, control or non-ASCII byte outside comments,
 *                  strings closed on their line, (), [], {} balanced, and
 *                  no struct without members (-Wpedantic).
 *
 * The unit's lock file (compat.c) is checked against the unit itself:
 * nothing may come out broken or added; and a lock file the input brings
 * (a part "%% lock", see fuzz_ipc.h) against the unit, for crashes.
 *
 * Compiling the output is too slow per input; instead, with FUZZ_DUMP_DIR
 * set, each input's output is written to $FUZZ_DUMP_DIR/N/ (all namespaces,
 * so includes resolve) and tests/fuzz/compile-corpus.sh compiles it, which
 * make check does over the committed corpus.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_ipc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Set when an ignored check failed: such output is not dumped for compiling. */
static bool tainted;

static void check(bool ok, const char *what, const char *file, const struct buf *b,
                  size_t at, const char *msg)
{
	if (ok)
		return;
	if (fuzz_ignored(what)) {
		tainted = true;
		return;
	}
	size_t from = at > 60 ? at - 60 : 0, to = at + 60 < b->len ? at + 60 : b->len;
	fuzz_fail(what, "%s, offset %zu: %s\n--- around it ---\n%.*s\n---", file, at, msg,
	          (int)(to - from), b->data + from);
}

/* Is the '{' at s[i] the body of "struct NAME" with nothing in it? */
static bool empty_struct(const char *s, size_t i, size_t n)
{
	size_t j = i, k = i + 1;
	while (j > 0 && s[j - 1] == ' ')
		j--;
	size_t end = j;
	while (j > 0 && (isalnum((unsigned char)s[j - 1]) || s[j - 1] == '_'))
		j--;
	if (j == end || j < 7 || memcmp(s + j - 7, "struct ", 7) != 0)
		return false;
	while (k < n && (s[k] == ' ' || s[k] == '\t' || s[k] == '\n'))
		k++;
	return k < n && s[k] == '}';
}

/* The checks of the header comment, over one generated file. */
static void c_text_check(const char *file, const struct buf *b)
{
	enum { CODE, COMMENT, LINE, STRING, CHAR } st = CODE;
	char stack[256];
	size_t depth = 0;
	const char *s = b->data;
	size_t n = b->len;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		unsigned char d = i + 1 < n ? (unsigned char)s[i + 1] : 0;
		check(!(c < 0x20 && c != '\n' && c != '\t'), "c-control", file, b, i, "a control byte");
		check(!(c == 0x7f && st != COMMENT), "c-control", file, b, i, "a DEL byte");
		check(!(c == 0x7f && st == COMMENT), "c-del-in-comment", file, b, i,
		      "a DEL byte (0x7f) in a comment, where other control bytes become spaces");
		/* A splice is harmless inside a block comment; elsewhere it joins
		 * lines behind the reader's back (and a '//' comment, -Wcomment). */
		check(!(c == '\\' && (d == '\n' || d == '\r') && st != COMMENT), "c-splice", file, b, i,
		      "a line splice");
		check(!(c == '?' && d == '?' && i + 2 < n && strchr("=/'()!<>-", s[i + 2])), "c-trigraph",
		      file, b, i, "a trigraph");
		switch (st) {
		case CODE:
			check(c < 0x80, "c-non-ascii", file, b, i, "a non-ASCII byte in code");
			if (c == '/' && d == '*') {
				st = COMMENT;
				i++;
			} else if (c == '/' && d == '/') {
				st = LINE;
				i++;
			} else if (c == '"') {
				st = STRING;
			} else if (c == '\'') {
				st = CHAR;
			} else if (c == '(' || c == '[' || c == '{') {
				check(!(c == '{' && empty_struct(s, i, n)), "c-empty-struct", file, b, i,
				      "a struct with no members (-Wpedantic: an error under -Werror)");
				check(depth < sizeof stack, "c-nesting", file, b, i, "nested too deep");
				stack[depth++] = (char)c;
			} else if (c == ')' || c == ']' || c == '}') {
				char open = c == ')' ? '(' : c == ']' ? '[' : '{';
				check(depth > 0 && stack[depth - 1] == open, "c-balance", file, b, i,
				      "an unbalanced bracket");
				depth--;
			}
			break;
		case COMMENT:
			check(!(c == '/' && d == '*'), "c-nested-comment", file, b, i,
			      "'/' '*' inside a comment (-Wcomment)");
			if (c == '*' && d == '/') {
				st = CODE;
				i++;
			}
			break;
		case LINE:
			if (c == '\n')
				st = CODE;
			break;
		case STRING:
		case CHAR:
			check(c != '\n' && c < 0x80, "c-string", file, b, i, "a string or character not closed on its line");
			if (c == '\\')
				i++;
			else if (c == (st == STRING ? '"' : '\''))
				st = CODE;
			break;
		}
	}
	check(st == CODE || st == LINE, "c-unterminated", file, b, n, "a comment, string or character left open");
	check(depth == 0, "c-balance", file, b, n, "brackets left open");
	check(n > 0 && s[n - 1] == '\n', "c-final-newline", file, b, n, "no newline at the end");
}

/* Writes every namespace's output (used ones too, so that includes
 * resolve) to dir/N/, unless one of our checks fails on it. */
static void dump(const struct unit *u, const char *dir)
{
	static unsigned count;
	struct arena a = {0};
	enum { NPARTS = GEN_NPARTS + 1 };   /* and NS_fuzz.c, for primaries */
	struct buf b[64][NPARTS] = {{{0}}};
	const char *names[64][NPARTS] = {{0}};
	unsigned n = 0;
	for (const struct ns *ns = u->nss; ns && n < 64; ns = ns->next, n++) {
		for (int part = 0; part < GEN_NPARTS; part++) {
			names[n][part] = gen_c_filename(&a, ns, (enum gen_part)part);
			gen_c(u, ns, (enum gen_part)part, &b[n][part]);
			c_text_check(names[n][part], &b[n][part]);
		}
		if (ns->primary) {
			names[n][GEN_NPARTS] = arena_printf(&a, "%s_fuzz.c", ns->cname);
			gen_fuzz(u, ns, &b[n][GEN_NPARTS]);
			c_text_check(names[n][GEN_NPARTS], &b[n][GEN_NPARTS]);
		}
	}
	if (!tainted) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%u", dir, count++);
		mkdir(dir, 0777);
		mkdir(path, 0777);
		for (unsigned i = 0; i < n; i++)
			for (int part = 0; part < NPARTS; part++) {
				if (!names[i][part])
					continue;
				char file[8192];
				snprintf(file, sizeof file, "%s/%s", path, names[i][part]);
				FILE *f = fopen(file, "wb");
				if (!f || fwrite(b[i][part].data, 1, b[i][part].len, f) != b[i][part].len ||
				    fclose(f) != 0) {
					perror(file);
					abort();
				}
			}
	}
	for (unsigned i = 0; i < n; i++)
		for (int part = 0; part < NPARTS; part++)
			buf_free(&b[i][part]);
	arena_free(&a);
}

/* Lock files (compat.c): the unit's own lock, checked against the unit,
 * finds nothing broken and nothing added; a lock file the input brings (a
 * part "%% lock") is checked too, for crashes only. */
static void compat(struct unit *u)
{
	/* What compat_check reports is checked under its own name. */
	diag_flush(&u->diag);
	fuzz_ipc_diag_check("diag-control-compat");
	struct buf lock = {0};
	compat_lock(u, &lock);
	char path[4096];
	snprintf(path, sizeof path, "%s/self.lock", fuzz_ipc_dir());
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(lock.data, 1, lock.len, f) != lock.len || fclose(f) != 0) {
		perror(path);
		abort();
	}
	unsigned before = u->diag.errors, added = 0;
	int broken = compat_check(u, path, &added);
	if ((broken != 0 || added != 0 || u->diag.errors != before) && !fuzz_ignored("compat-self"))
		fuzz_fail("compat-self", "the unit against its own lock: %d breaking, %u added, %u errors\n%.*s",
		          broken, added, u->diag.errors - before, (int)lock.len, lock.data);
	unlink(path);
	buf_free(&lock);
	const char *theirs = fuzz_ipc_path("lock");
	if (theirs)
		compat_check(u, theirs, &added);
	diag_flush(&u->diag);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct unit u;
	tainted = false;
	if (fuzz_ipc_load(&u, data, size)) {
		struct buf b1 = {0}, b2 = {0};
		for (const struct ns *ns = u.nss; ns; ns = ns->next) {
			if (!ns->primary)
				continue;
			for (int part = 0; part < GEN_NPARTS; part++) {
				const char *file = gen_c_filename(&u.arena, ns, (enum gen_part)part);
				b1.len = b2.len = 0;
				gen_c(&u, ns, (enum gen_part)part, &b1);
				gen_c(&u, ns, (enum gen_part)part, &b2);
				if ((b1.len != b2.len || (b1.len && memcmp(b1.data, b2.data, b1.len) != 0)) &&
				    !(tainted |= fuzz_ignored("deterministic")))
					fuzz_fail("deterministic", "%s differs between two runs", file);
				c_text_check(file, &b1);
			}
			/* NS_fuzz.c (ipcgen --fuzz), held to the same. */
			const char *file = arena_printf(&u.arena, "%s_fuzz.c", ns->cname);
			b1.len = b2.len = 0;
			gen_fuzz(&u, ns, &b1);
			gen_fuzz(&u, ns, &b2);
			if ((b1.len != b2.len || (b1.len && memcmp(b1.data, b2.data, b1.len) != 0)) &&
			    !(tainted |= fuzz_ignored("deterministic")))
				fuzz_fail("deterministic", "%s differs between two runs", file);
			c_text_check(file, &b1);
		}
		buf_free(&b1);
		buf_free(&b2);
		const char *dir = getenv("FUZZ_DUMP_DIR");
		if (dir)
			dump(&u, dir);
	}
	bool accepted = u.diag.errors == 0;
	if (accepted)
		compat(&u);
	fuzz_ipc_done(&u);
	/* run-fuzz.sh keeps only accepted inputs in the corpus: it asks. */
	const char *mark = getenv("FUZZ_REJECTED_MARK");
	if (mark && !accepted)
		fclose(fopen(mark, "w"));
	return accepted ? 0 : -1;   /* -1: not worth keeping (the front end's corpus has those) */
}
