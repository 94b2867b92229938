/*
 * gen_fuzz.c: ipcgen --fuzz writes NS_fuzz.c, a libFuzzer target over the
 * generated servers of namespace NS.
 *
 * Behind every vtable entry stands a stub that releases what it was given
 * and then, as the input says, succeeds (with any result and any returned
 * capabilities), fails (with a declared error, or with one nobody declared),
 * or defers and answers later through the generated NS_*_reply.  The
 * transport is faked: every capability is numbered in a ledger and must be
 * released exactly once (by the generated code when it rejects a request,
 * by the implementation when it is called, by the transport when a reply
 * carries it), and every reply must carry 0, a transport status or an error
 * its call declares.  The protocol-independent part is fuzz_template.c,
 * copied in verbatim; what follows writes the part made from the protocol.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipcgen.h"
#include "fuzz_template.h"

/* static const int fz_errs7[] = {IO_ERR_X, 0x555e0000};  (a namespace's every
 * error, raises (ns::*), as its codes' high half: fz_declared knows) */
static void put_errs(struct buf *b, const struct method *m, unsigned k)
{
	bfmt(b, "/* ---- %s */\nstatic const int fz_errs%u[] = {", m->cfunc, k);
	for (const struct qname_node *e = m->raises; e; e = e->next) {
		if (e->all)
			bfmt(b, "0x%x", ns_error_base(e->all));
		else
			buf_puts(b, e->decl->CNAME);
		if (e->next)
			buf_puts(b, ", ");
	}
	buf_puts(b, m->raises ? "};\n" : "0};\n");
}

static unsigned count_errs(const struct method *m)
{
	unsigned n = 0;
	for (const struct qname_node *e = m->raises; e; e = e->next)
		n++;
	return n;
}

/* An answer's returned capabilities, o0 ..., made new:
 * 	ipc_cap o0 = fz_new(FZ_OUT);   (a list: any number of them) */
static void put_answer_outcaps(struct buf *b, const struct method *m)
{
	unsigned n = 0;
	for (const struct param *p = m->outcaps; p; p = p->next, n++) {
		if (p->list)
			bfmt(b, "\tipc_cap o%u[IPC_MAX_CAPS];\n\tsize_t no%u = fz_byte() %% (IPC_MAX_CAPS + 1);\n"
			        "\tfor (size_t k = 0; k < no%u; k++)\n\t\to%u[k] = fz_new(FZ_OUT);\n", n, n, n, n);
		else if (p->type.optional)
			bfmt(b, "\tipc_cap o%u = fz_byte() & 1 ? fz_new(FZ_OUT) : IPC_CAP_NONE;\n", n);
		else
			bfmt(b, "\tipc_cap o%u = fz_new(FZ_OUT);\n", n);
	}
}

/* The stub's capability count for fz_canonical (" + 1 + nc1);"), then
 * the capabilities it was given, which the implementation owns. */
static void put_canonical_caps(struct buf *b, const struct method *m)
{
	unsigned n = 0;
	for (const struct param *p = m->caps; p; p = p->next, n++)
		bfmt(b, p->list ? " + nc%u" : p->type.optional ? " + (size_t)(c%u != IPC_CAP_NONE)" : " + 1", n);
	buf_puts(b, ");\n");
	n = 0;
	for (const struct param *p = m->caps; p; p = p->next, n++)
		bfmt(b, p->list ? "\tfz_take(c%u, nc%u);\n" : "\tfz_take(&c%u, 1);\n", n, n);
}

/* Returned capabilities: made on success, and sometimes before failing. */
static void put_stub_outcaps(struct buf *b, const struct method *m)
{
	unsigned n = 0;
	for (const struct param *p = m->outcaps; p; p = p->next, n++) {
		if (p->list)
			bfmt(b, "\tif (st == 0 || (fz_byte() & 1)) {\n\t\t*no%u = fz_byte() %% (IPC_MAX_CAPS + 1 - %u);\n"
			        "\t\tfor (size_t k = 0; k < *no%u; k++)\n\t\t\to%u[k] = fz_new(FZ_OUT);\n\t}\n",
			     n, m->nout_fixed, n, n);
		else if (p->type.optional)   /* sometimes absent */
			bfmt(b, "\tif ((st == 0 || (fz_byte() & 1)) && (fz_byte() & 1))\n\t\t*o%u = fz_new(FZ_OUT);\n", n);
		else
			bfmt(b, "\tif (st == 0 || (fz_byte() & 1))\n\t\t*o%u = fz_new(FZ_OUT);\n", n);
	}
}

/* The stub behind a vtable entry, and the answer to a deferred call, of
 * method number k of the target: its parameters a0, ..., its results r0,
 * ..., as the generated code has them.  The target's own names have at most
 * one '_' (fz_stub12, fz_errs12, fz_ledger), and its tags none (struct
 * fzmethod), where every C name ipcgen makes from a protocol has two or
 * more, a tag one or more: they cannot clash, whatever the protocol. */
static void gen_method(struct buf *b, const struct decl *i, const struct method *m, unsigned k)
{
	char name[32];
	unsigned nerrs = count_errs(m), n;

	put_errs(b, m, k);

	if (m->kind == M_CALL) {
		bfmt(b, "static void fz_answer%u(ipc_cap r)\n{\n", k);
		put_answer_outcaps(b, m);
		n = 0;
		for (const struct param *p = m->results; p; p = p->next, n++) {
			sfmt(name, sizeof name, "r%u", n);
			gen_value_storage(b, "\t", &p->type, name);
		}
		n = 0;
		for (const struct param *p = m->results; p; p = p->next, n++) {
			char x[32], c[32], h[32];
			sfmt(x, sizeof x, "r%u", n);
			sfmt(c, sizeof c, "nr%u", n);
			sfmt(h, sizeof h, "has_r%u", n);
			gen_value_fill(b, "\t", &p->type, x, c, h, 0);
			gen_value_local_setup(b, &p->type, x);
		}
		bfmt(b, "\tint st = fz_status(fz_errs%u, %u, false);\n\n", k, nerrs);
		bfmt(b, "\tfz_answering = fz_method(%s);\n\t%s_reply(r, st", m->clabel, m->cfunc);
		n = 0;
		for (const struct param *p = m->outcaps; p; p = p->next, n++)
			bfmt(b, p->list ? ", o%u, no%u" : ", o%u", n, n);
		n = 0;
		for (const struct param *p = m->results; p; p = p->next, n++) {
			sfmt(name, sizeof name, "r%u", n);
			gen_value_local_pass(b, &p->type, name);
		}
		buf_puts(b, ");\n\tfz_answering = NULL;\n}\n\n");
	}

	bfmt(b, "static %s fz_stub%u(struct %s *self", m->kind == M_CALL ? "int" : "void", k, i->cname);
	n = 0;
	for (const struct param *p = m->caps; p; p = p->next, n++)
		bfmt(b, p->list ? ", const ipc_cap *c%u, size_t nc%u" : ", ipc_cap c%u", n, n);
	n = 0;
	for (const struct param *p = m->params; p; p = p->next, n++) {
		sfmt(name, sizeof name, "a%u", n);
		gen_value_param(b, &p->type, name, false);
	}
	n = 0;
	for (const struct param *p = m->outcaps; p; p = p->next, n++)
		bfmt(b, p->list ? ", ipc_cap *o%u, size_t *no%u" : ", ipc_cap *o%u", n, n);
	n = 0;
	for (const struct param *p = m->results; p; p = p->next, n++) {
		sfmt(name, sizeof name, "r%u", n);
		gen_value_param(b, &p->type, name, true);
	}
	/* What it was called with, encoded again, must be the request itself. */
	buf_puts(b, ")\n{\n\tstruct ipc_msg enc;\n\tuint32_t w = 0;\n\tbool ok = true;\n\n\t(void)self;\n");
	n = 0;
	for (const struct param *p = m->capshape ? m->caps : NULL; p; p = p->next, n++)   /* their words first */
		if (p->list)
			bfmt(b, "\tok = ok && ipc_put_word(&enc, &w, nc%u);\n", n);
		else if (p->type.optional)
			bfmt(b, "\tok = ok && ipc_put_word(&enc, &w, c%u != IPC_CAP_NONE);\n", n);
	n = 0;
	for (const struct param *p = m->params; p; p = p->next, n++) {
		sfmt(name, sizeof name, "a%u", n);
		/* one that may be out of line reached here inline (the fuzzer
		 * makes no regions): a byte array or string of at most ool_min
		 * bytes, any other value of at most ool_min words (its own bound
		 * holds), a struct's after a length word of its own */
		struct typeref t = p->type;
		bool boxed = p->ool && ool_boxed(&t);
		if (p->ool && !ool_as_words(&t))
			t.bound = p->ool_min;
		if (boxed)
			bfmt(b, "\tuint32_t at%u = w++;\n", n);
		gen_value_encode(b, "\t", &t, name, "&enc", "&w");
		if (boxed)
			bfmt(b, "\tif (ok && at%u < IPC_MAX_WORDS)\n\t\tenc.word[at%u] = w - at%u - 1;\n", n, n, n);
	}
	if (m->params || m->capshape)
		bfmt(b, "\tif (!ok)\n\t\tfz_fail(\"%s: values it cannot send\");\n\tfz_canonical(&enc, w, 0", m->cfunc);
	else
		buf_puts(b, "\t(void)enc;\n\t(void)w;\n\t(void)ok;\n\tfz_canonical(NULL, 0, 0");
	put_canonical_caps(b, m);
	if (m->kind == M_SEND) {
		buf_puts(b, "}\n\n");
		return;
	}
	bfmt(b, "\tint st = fz_status(fz_errs%u, %u, true);\n", k, nerrs);
	bfmt(b, "\tif (st == FZ_DEFER)\n\t\treturn fz_defer(fz_answer%u);\n", k);
	put_stub_outcaps(b, m);
	n = 0;
	for (const struct param *p = m->results; p; p = p->next, n++) {
		char x[32], c[32], h[32];
		bool arr = p->type.kind == TY_STRING || p->type.kind == TY_BYTES || p->type.kind == TY_LIST;
		sfmt(x, sizeof x, arr ? "r%u" : "(*r%u)", n);
		sfmt(c, sizeof c, "(*nr%u)", n);
		sfmt(h, sizeof h, "(*has_r%u)", n);
		gen_value_fill(b, "\t", &p->type, x, c, h, 0);
	}
	buf_puts(b, "\treturn st;\n}\n\n");
}

/* i and its ancestors, the most distant first (each after what it inherits
 * when a single chain): ancestors in reverse, then i. */
static size_t chain(const struct decl *i, const struct decl **v, size_t max)
{
	size_t n = 0;
	for (unsigned k = i->nancestors; k-- > 0 && n < max;)
		v[n++] = i->ancestors[k];
	if (n < max)
		v[n++] = i;
	return n;
}

/* The interfaces whose stubs the target holds, each mapped (by the bytes
 * of its pointer) to 1 + the number of its first method among the stubs:
 * one step to find, however many interfaces. */
static unsigned first_method(const struct map *first, const struct decl *d)
{
	return (unsigned)((uintptr_t)map_get(first, (const char *)&d, sizeof d) - 1);
}

void gen_fuzz(const struct unit *u, const struct ns *ns, struct buf *b)
{
	(void)u;
	const char *file = strrchr(ns->src->path, '/');
	file = file ? file + 1 : ns->src->path;

	/* Every interface whose stubs are needed: those of the namespace and
	 * their ancestors, wherever declared. */
	size_t most = 1, nall = 0;
	for (const struct decl *d = ns->decls; d; d = d->next)
		if (d->kind == D_IFACE)
			most += d->nancestors + 1u;
	const struct decl **all = xmalloc(most * sizeof *all);
	struct map first = {0};
	unsigned nstubs = 0;
	for (const struct decl *d = ns->decls; d; d = d->next) {
		if (d->kind != D_IFACE)
			continue;
		const struct decl *ch[256];
		size_t n = chain(d, ch, 256);
		for (size_t k = 0; k < n; k++) {
			all[nall] = ch[k];   /* the key: its bytes, where they stay */
			if (!map_put(&first, (const char *)&all[nall], sizeof all[nall],
			             (void *)(uintptr_t)(nstubs + 1))) {
				nstubs += ch[k]->nmethods;
				nall++;
			}
		}
	}

	bfmt(b, "/* %s_fuzz.c: generated by ipcgen --fuzz from %s; edit %s instead.\n"
	        " *\n"
	        " * A libFuzzer target over the servers of namespace %s.  Build it with\n"
	        " *   clang -fsanitize=fuzzer,address,undefined -I. -I<mercury headers> \\\n"
	        " *       %s_fuzz.c %s_server.c   (and the servers of namespaces it inherits from)\n"
	        " * and run it; a failure prints \"==ipcgen-fuzz==\" and what went wrong.\n"
	        " */\n"
	        "#include <stdarg.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n\n"
	        "#include \"%s.h\"\n\n"
	        "int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);\n\n",
	     ns->cname, file, file, ns->name, ns->cname, ns->cname, ns->cname);
	buf_puts(b, fuzz_template);

	/* ---- the methods: their labels and errors, stubs and answers */
	buf_puts(b, "\n/* ---- the protocol ---- */\n\n");
	unsigned nmethods = 0;
	for (size_t k = 0; k < nall; k++)
		for (const struct method *m = all[k]->methods; m; m = m->next) {
			buf_spill(b);
			gen_method(b, all[k], m, nmethods++);
		}

	buf_puts(b, "static const struct fzmethod fz_methods[] = {\n");
	nmethods = 0;
	for (size_t k = 0; k < nall; k++)
		for (const struct method *m = all[k]->methods; m; m = m->next, nmethods++) {
			buf_spill(b);
			bfmt(b, "\t{%s, fz_errs%u, %u, %u, %u, %s},\n", m->clabel, nmethods, count_errs(m),
			     m->nparams, m->ncaps_fixed, m->caplist ? "true" : "false");
		}
	if (!nmethods)
		buf_puts(b, "\t{0, NULL, 0, 0, 0, false},\n");
	buf_puts(b, "};\n\nstatic const struct fzmethod *fz_method(uint64_t label)\n{\n"
	            "\tfor (size_t i = 0; i < sizeof fz_methods / sizeof fz_methods[0]; i++)\n"
	            "\t\tif (fz_methods[i].errs && fz_methods[i].label == label)\n"
	            "\t\t\treturn &fz_methods[i];\n\treturn NULL;\n}\n\n");

	/* ---- a target per interface of the namespace */
	unsigned ntargets = 0;
	for (const struct decl *d = ns->decls; d; d = d->next) {
		if (d->kind != D_IFACE)
			continue;
		const struct decl *ch[256];
		size_t n = chain(d, ch, 256);
		/* The labels to try: every method of the chain, describe, one past the last. */
		bfmt(b, "/* ---- %s */\nstatic const uint64_t fz_labels%u[] = {\n", d->cname, ntargets);
		for (size_t k = 0; k < n; k++) {
			buf_spill(b);
			for (const struct method *m = ch[k]->methods; m; m = m->next)
				bfmt(b, "\t%s,\n", m->clabel);
			bfmt(b, "\tIPC_LABEL(%s_ID, IPC_METHOD_DESCRIBE),\n\tIPC_LABEL(%s_ID, %u),\n",
			     ch[k]->CNAME, ch[k]->CNAME, ch[k]->nmethods + 1);
		}
		buf_puts(b, "};\n\n");

		/* The vtable, one entry of which the input may take away. */
		bfmt(b, "static void fz_serve%u(void)\n{\n\tstruct %s_iface vt;\n\tstruct %s obj;\n"
		        "\tuint8_t how = fz_byte();\n\n\tmemset(&vt, 0, sizeof vt);\n",
		     ntargets, d->cname, d->cname);
		unsigned entry = 0;
		struct buf path = {0};
		for (size_t k = n; k-- > 0;) {
			/* ch[k]'s entries sit in the part that answers for it:
			 * "vt.base.base.", "vt.readable.base." */
			path.len = 0;
			buf_puts(&path, "vt.");
			gen_part_path(&path, d, ch[k]);
			buf_putc(&path, 0);
			buf_spill(b);
			unsigned stub = first_method(&first, ch[k]);
			/* how's 7 bits name the first 127 entries; past them a
			 * test would always hold (clang: a warning) */
			for (const struct method *m = ch[k]->methods; m; m = m->next, entry++, stub++)
				if (entry < 0x7f)
					bfmt(b, "\tif ((how & 0x7f) != %u)\n\t\t%s%s = fz_stub%u;\n", entry + 1,
					     path.data, m->field, stub);
				else
					bfmt(b, "\t%s%s = fz_stub%u;\n", path.data, m->field, stub);
		}
		buf_free(&path);
		bfmt(b, "\t%s_init(&obj, &vt, 1);\n"
		        "\tfz_build(fz_labels%u, sizeof fz_labels%u / sizeof fz_labels%u[0]);\n",
		     d->cname, ntargets, ntargets, ntargets);
		bfmt(b, "\tif (how & 0x80) {\n"
		        "\t\tif (!fz_recvfails())\n\t\t\t%s_dispatch(&obj);\n"
		        "\t} else {\n"
		        "\t\tstruct ipc_msg out;\n"
		        "\t\tif (%s_handle(&obj, &fz_req, &out) == 0) {\n"
		        "\t\t\tfz_release(fz_replycap, \"the reply\");\n"
		        "\t\t\tfz_replycap = IPC_CAP_NONE;\n"
		        "\t\t\tfz_checkreply(&out, fz_method(fz_req.label), \"handle\");\n"
		        "\t\t}\n\t}\n\tfz_finish();\n}\n\n", d->cname, d->cname);
		ntargets++;
	}

	/* ---- the entry point */
	buf_puts(b, "int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)\n{\n"
	            "\tfz_p = data;\n\tfz_end = data + size;\n\tfz_ncaps = 0;\n"
	            "\twhile (fz_p < fz_end) {\n");
	if (ntargets) {
		bfmt(b, "\t\tswitch (fz_byte() %% %u) {\n", ntargets);
		unsigned t = 0;
		for (; t < ntargets; t++) {
			buf_spill(b);
			bfmt(b, "\t\tcase %u: fz_serve%u(); break;\n", t, t);
		}
		/* Every message settles its capabilities before the next. */
		buf_puts(b, "\t\t}\n\t\tfz_ledger();\n\t\tfz_ncaps = 0;\n");
	} else {
		buf_puts(b, "\t\tbreak;   /* no interfaces */\n");
	}
	buf_puts(b, "\t}\n\tfz_ledger();\n\treturn 0;\n}\n");
	free(all);
	map_free(&first);
	gen_scratch_free();
}
