/*
 * gen_c.c: the C backend.  Per namespace it writes NS.h (constants, enums,
 * client and server declarations), NS_client.c and NS_server.c.  The output
 * depends only on the checked AST, so it is byte-for-byte deterministic.
 *
 * Every emit block is preceded by a comment showing what it writes, for
 * io::file's "call read{pages: page...}(buf: uintptr, amt: size) size".
 * Output is assembled in one buffer with a small formatter (fmt below): the
 * generated text is most of what ipcgen's time goes to.
 */
#include <stdlib.h>
#include <string.h>

#include "ipcgen.h"

#define fmt bfmt

/* A doc comment, indented by ind: one line, or a block with one line per
 * line of text.  Comment terminators, line splices and trigraphs are
 * defused. */
static void doc(struct buf *b, const char *ind, const char *text)
{
	if (!text || !*text)
		return;
	bool multi = strchr(text, '\n') != NULL;
	fmt(b, multi ? "%s/*\n%s * " : "%s/* ", ind, ind);
	for (const char *p = text; *p; p++) {
		char c = *p;
		if (c == '\n') {
			fmt(b, "\n%s *%s", ind, p[1] && p[1] != '\n' ? " " : "");
		} else if (c == '/' && p > text && p[-1] == '*') {
			buf_puts(b, " /");          /* would end the comment */
		} else if (c == '*' && p > text && p[-1] == '/') {
			buf_puts(b, " *");          /* would open one inside (-Wcomment) */
		} else if (c == '\\' && (p[1] == '\n' || !p[1])) {
			buf_puts(b, "\\.");         /* a line splice would join lines */
		} else if (c == '?' && p[1] == '?') {
			buf_puts(b, "? ");          /* a trigraph */
		} else {
			buf_putc(b, ((unsigned char)c < 0x20 && c != '\t') || c == 0x7f ? ' ' : c);
		}
	}
	fmt(b, multi ? "\n%s */\n" : " */\n", ind);
}

/* ---- types ------------------------------------------------------------------ */

static const char *c_type(const struct typeref *t)
{
	switch (t->kind) {
	case TY_VOID: return "void";
	case TY_U8: return "uint8_t";
	case TY_U16: return "uint16_t";
	case TY_U32: case TY_UINT: return "uint32_t";
	case TY_U64: return "uint64_t";
	case TY_I8: return "int8_t";
	case TY_I16: return "int16_t";
	case TY_I32: case TY_INT: return "int32_t";
	case TY_I64: return "int64_t";
	case TY_SIZE: return "size_t";
	case TY_UINTPTR: return "uintptr_t";
	case TY_BOOL: return "bool";
	case TY_STRING: return "char";
	case TY_BYTES: return "uint8_t";
	case TY_ENUM: return NULL;   /* "enum NAME": see put_type */
	default: return "ipc_cap";
	}
}

static bool is_array(const struct typeref *t)
{
	return t->kind == TY_STRING || t->kind == TY_BYTES;
}

/* The decoder of a scalar type: "ipc_dec_u32" (the transport's) or
 * "io_whence_dec" (an enum's). */
static const char *decoder(const struct typeref *t)
{
	static const char *const names[] = {
		[TY_U8] = "ipc_dec_u8", [TY_U16] = "ipc_dec_u16", [TY_U32] = "ipc_dec_u32",
		[TY_U64] = "ipc_dec_u64", [TY_I8] = "ipc_dec_i8", [TY_I16] = "ipc_dec_i16",
		[TY_I32] = "ipc_dec_i32", [TY_I64] = "ipc_dec_i64", [TY_UINT] = "ipc_dec_u32",
		[TY_INT] = "ipc_dec_i32", [TY_SIZE] = "ipc_dec_size",
		[TY_UINTPTR] = "ipc_dec_uintptr", [TY_BOOL] = "ipc_dec_bool",
	};
	return t->kind == TY_ENUM || t->kind == TY_BITS ? t->decl->cdec : names[t->kind];
}

static void put_decoder(struct buf *b, const struct typeref *t)
{
	buf_puts(b, decoder(t));
}

/* "IPC_MAX_CAPS - 2": what is left of a message's capabilities after k. */
static const char *caplim(unsigned k)
{
	static _Thread_local char s[4][32];
	static _Thread_local unsigned next;
	char *r = s[next++ % 4];
	if (k)
		sfmt(r, sizeof s[0], "(IPC_MAX_CAPS - %u)", k);
	else
		sfmt(r, sizeof s[0], "IPC_MAX_CAPS");
	return r;
}

/* " || st == DEV_ERR_BUSY" per declared error, after first (which has no "||"). */
static void put_declared(struct buf *b, const struct method *m, const char *st)
{
	if (!m->raises) {
		PUT(b, "0");
		return;
	}
	for (const struct qname_node *e = m->raises; e; e = e->next) {
		if (e != m->raises)
			PUT(b, " || ");
		if (e->all)   /* every error of a namespace, present and future: its codes' high
		               * half, and a number, 1 to 65535 */
			fmt(b, "(%s > 0 && %s >> 16 == 0x%x && (%s & 0xffff) != 0)", st, st,
			    ns_error_base(e->all) >> 16, st);
		else
			fmt(b, "%s == %s", st, e->decl->CNAME);
	}
}

static void put_value_param(struct buf *b, const struct typeref *t, const char *name, bool out);
static const char *vtext(const char *f, const char *name);
static void put_shape_drop(struct buf *b, const char *ind, const struct param *caps,
                           const char *(*name)(const struct param *, unsigned, bool));
static const char *cap_param_name(const struct param *p, unsigned k, bool count);
static void put_general_outs(struct buf *b, const struct method *m);
static void gen_const(struct buf *b, const struct decl *d);
static void gen_bits(struct buf *b, const struct decl *e);
static void gen_enum_get(struct buf *b, const struct decl *e);
static void gen_struct_ordered(struct buf *b, const struct decl *d, struct decl **done, size_t *ndone);

/* ", const ipc_cap *pages, size_t npages, uintptr_t buf, size_t amt":
 * what a call takes, as C parameters. */
static void make_in_params(struct buf *b, const struct method *m)
{
	for (const struct param *p = m->caps; p; p = p->next) {
		if (p->list)
			fmt(b, ", const ipc_cap *%s, size_t n%s", p->cname, p->cname);
		else
			fmt(b, ", ipc_cap %s", p->cname);
	}
	for (const struct param *p = m->params; p; p = p->next)
		put_value_param(b, &p->type, p->cname, false);
}

/* The parameters after the endpoint or self, as C: what a call takes
 * (put_in_params), then what it gives back (put_outs: ", ..., size_t
 * *result").  Made once per method by gen_c_prepare (they are written up to
 * seven times: prototypes and definitions of the call, its split form and
 * the vtable); the parts of a namespace may then be written at once, by
 * several threads. */
static void put_in_params(struct buf *b, const struct method *m)
{
	if (m->cparams)
		buf_putn(b, m->cparams, m->ncinparams);
	else
		make_in_params(b, m);
}

static void put_outs(struct buf *b, const struct method *m)
{
	if (m->cparams)
		buf_putn(b, m->cparams + m->ncinparams, m->ncparams - m->ncinparams);
	else
		put_general_outs(b, m);
}

static void put_params(struct buf *b, const struct method *m)
{
	put_in_params(b, m);
	put_outs(b, m);
}

void gen_c_prepare(struct arena *a, const struct ns *ns)
{
	struct buf t = {0};
	for (const struct decl *d = ns->decls; d; d = d->next) {
		if (d->kind != D_IFACE)
			continue;
		for (struct method *m = d->methods; m; m = m->next) {
			if (m->cparams)
				continue;
			t.len = 0;
			make_in_params(&t, m);
			size_t nin = t.len;
			put_general_outs(&t, m);
			m->cparams = arena_strndup(a, t.data ? t.data : "", t.len);
			m->ncparams = t.len;
			m->ncinparams = nin;
		}
	}
	buf_free(&t);
}

/* "int io_file_read(ipc_cap ep, ...)" */
static void put_client_proto(struct buf *b, const struct method *m)
{
	PUT(b, "int ");
	buf_puts(b, m->cfunc);
	PUT(b, "(ipc_cap ep");
	put_params(b, m);
	PUT(b, ")");
}

/* The split form of a call: "int io_file_read_start(ipc_cap ep, ...,
 * int timeout_ms, ipc_call_t *call)" and its _async, _wait and _finish. */
enum split { SPLIT_START, SPLIT_ASYNC, SPLIT_WAIT, SPLIT_FINISH };

static void put_split_proto(struct buf *b, const struct method *m, enum split k)
{
	static const char *const suffix[] = {"async_start", "async_cb", "async_wait", "async_finish"};
	fmt(b, "int %s_%s(", m->cfunc, suffix[k]);
	switch (k) {
	case SPLIT_START:
		buf_puts(b, "ipc_cap ep");
		put_in_params(b, m);
		buf_puts(b, ", int timeout_ms, ipc_call_t *call)");
		return;
	case SPLIT_ASYNC:
		buf_puts(b, "ipc_cap ep");
		put_in_params(b, m);
		buf_puts(b, ", int timeout_ms, ipc_call_done *done, ipc_fn fn, void *arg, ipc_call_t *call)");
		return;
	case SPLIT_WAIT:
		buf_puts(b, "ipc_cap ep, ipc_call_t call, int timeout_ms");
		break;
	case SPLIT_FINISH:
		buf_puts(b, "int status, struct ipc_msg *reply");
		break;
	}
	put_outs(b, m);
	buf_putc(b, ')');
}

/* "int io_file_read_reply(ipc_cap reply, int status, size_t result)" */
static void put_reply_proto(struct buf *b, const struct method *m)
{
	PUT(b, "int ");
	buf_puts(b, m->cfunc);
	PUT(b, "_reply(ipc_cap reply, int status");
	for (const struct param *p = m->outcaps; p; p = p->next) {
		if (p->list)
			fmt(b, ", const ipc_cap *%s, size_t n%s", p->cname, p->cname);
		else
			fmt(b, ", ipc_cap %s", p->cname);
	}
	for (const struct param *p = m->results; p; p = p->next)
		put_value_param(b, &p->type, p->cname, false);
	PUT(b, ")");
}

/* Whether i is a or inherits from it. */
static bool is_a(const struct decl *i, const struct decl *a)
{
	if (i == a)
		return true;
	for (unsigned k = 0; k < i->nancestors; k++)
		if (i->ancestors[k] == a)
			return true;
	return false;
}

/* The parent of i through which its ancestor a is answered: the first
 * that is a or inherits from it (depth first, left to right). */
const struct parent_ref *gen_route(const struct decl *i, const struct decl *a)
{
	const struct parent_ref *r = i->parents;
	while (r && !is_a(r->decl, a))
		r = r->next;
	return r;
}

void gen_part_path(struct buf *b, const struct decl *i, const struct decl *a)
{
	while (i != a) {
		const struct parent_ref *r = gen_route(i, a);
		buf_puts(b, r->field);
		buf_putc(b, '.');
		i = r->decl;
	}
}

/* How to reach the root object's fields from self, through the first
 * parents: "self->base.base." */
static void self_path(const struct decl *i, struct buf *path)
{
	buf_puts(path, "self->");
	for (; i->parents; i = i->parents->decl) {
		buf_puts(path, i->parents->field);
		buf_putc(path, '.');
	}
	buf_putc(path, 0);
}

static const char *banner_file(const struct ns *ns)
{
	const char *p = strrchr(ns->src->path, '/');
	return p ? p + 1 : ns->src->path;
}

/* ---- NS.h -------------------------------------------------------------------- */

static void gen_enum(struct buf *b, const struct decl *e)
{
	/* enum io_whence {
	 * 	IO_WHENCE_SET = 0,
	 * };
	 * static inline bool io_whence_valid(int64_t v) ...
	 * static inline bool io_whence_dec(uint64_t w, enum io_whence *v) ...
	 * static inline const char *io_whence_name(enum io_whence v) ... */
	doc(b, "", e->doc);
	fmt(b, "enum %s {\n", e->cname);
	bool dense = true;
	int64_t n = 0;
	for (const struct member *m = e->members; m; m = m->next, n++) {
		doc(b, "\t", m->doc);
		fmt(b, "\t%s = %d,\n", m->cname, m->value);
		dense &= m->value == n;
	}
	buf_puts(b, "};\n\n");
	fmt(b, "static inline bool %s_valid(int64_t v)\n{\n", e->cname);
	if (dense) {
		fmt(b, "\treturn v >= 0 && v < %d;\n}\n\n", n);
	} else {
		buf_puts(b, "\tswitch (v) {\n");
		for (const struct member *m = e->members; m; m = m->next)
			fmt(b, "\tcase %d:\n", m->value);
		buf_puts(b, "\t\treturn true;\n\t}\n\treturn false;\n}\n\n");
	}
	const char *base = c_type(&e->base);
	fmt(b, "static inline bool %s_dec(uint64_t w, enum %s *v)\n{\n\t%s t;\n",
	    e->cname, e->cname, base);
	buf_puts(b, "\tif (!");
	put_decoder(b, &e->base);
	fmt(b, "(w, &t) || !%s_valid(t))\n\t\treturn false;\n", e->cname);
	fmt(b, "\t*v = (enum %s)t;\n\treturn true;\n}\n\n", e->cname);
	fmt(b, "static inline const char *%s_name(enum %s v)\n{\n\tswitch (v) {\n", e->cname, e->cname);
	for (const struct member *m = e->members; m; m = m->next)
		fmt(b, "\tcase %s: return \"%s\";\n", m->cname, m->name);
	buf_puts(b, "\t}\n\treturn NULL;\n}\n\n");
}
/* The parents' parts of i's vtable (suffix "_iface") or object (""):
 * 	struct io_file_iface base;
 * or, with several parents,
 * 	struct fs_node_iface node;
 * 	/\* not called: its entries for fs::node, which an earlier part answers *\/
 * 	struct io_readable_iface readable; */
static void put_parts(struct buf *b, const struct decl *i, const char *suffix)
{
	for (const struct parent_ref *r = i->parents; r; r = r->next) {
		const char *sep = "\t/* not called: its entries for ";
		for (unsigned k = 0; *suffix && k < r->decl->nancestors + 1; k++) {
			const struct decl *a = k ? r->decl->ancestors[k - 1] : r->decl;
			if (gen_route(i, a) != r) {
				fmt(b, "%s%s::%s", sep, a->ns->name, a->name);
				sep = ", ";
			}
		}
		if (*sep == ',')
			buf_puts(b, ", which an earlier part answers */\n");
		fmt(b, "\tstruct %s%s %s;\n", r->decl->cname, suffix, r->field);
	}
}

static void gen_iface_decls(struct buf *b, const struct decl *i)
{
	/* #define IO_FILE_ID UINT32_C(0x7b9588b7)
	 * #define IO_FILE_ABI UINT64_C(0x...)
	 * #define IO_FILE_READ IPC_LABEL(IO_FILE_ID, 1) */
	if (i->doc)
		doc(b, "", i->doc);
	fmt(b, "/* %s::%s", i->ns->name, i->name);
	for (const struct parent_ref *r = i->parents; r; r = r->next)
		fmt(b, r == i->parents ? ", which is a %s::%s" : r->next ? ", a %s::%s" : " and a %s::%s",
		    r->decl->ns->name, r->decl->name);
	buf_puts(b, " */\n");
	fmt(b, "#define %s_ID UINT32_C(0x%x)\n", i->CNAME, i->id);
	fmt(b, "#define %s_ABI UINT64_C(0x%X)\n", i->CNAME, i->fingerprint);
	for (const struct method *m = i->methods; m; m = m->next) {
		buf_spill(b);
		PUT(b, "#define ");
		buf_puts(b, m->clabel);
		PUT(b, " IPC_LABEL(");
		buf_puts(b, i->CNAME);
		PUT(b, "_ID, ");
		buf_putu(b, m->number);
		PUT(b, ")\n");
	}

	/* int io_file_read(ipc_cap ep, ...);   (client) */
	buf_putc(b, '\n');
	for (const struct method *m = i->methods; m; m = m->next) {
		buf_spill(b);
		doc(b, "", m->doc);
		put_client_proto(b, m);
		PUT(b, ";\n");
	}
	/* int io_file_read_start(ipc_cap ep, ...);  _async, _wait, _finish */
	bool split = false;
	for (const struct method *m = i->methods; m; m = m->next) {
		if (m->kind != M_CALL)
			continue;
		if (!split)
			buf_puts(b, "/* The split form of each call, to have many outstanding (mercury_ipc(3),\n"
			            " * ipcgen(5) \"Asynchronous calls\"): _async_start sends it and returns at\n"
			            " * once, _async_cb does so with a callback that ipc_call_dispatch runs,\n"
			            " * _async_wait waits for its reply and reads it, _async_finish reads a\n"
			            " * reply already there. */\n");
		split = true;
		buf_spill(b);
		for (enum split k = SPLIT_START; k <= SPLIT_FINISH; k++) {
			put_split_proto(b, m, k);
			buf_puts(b, ";\n");
		}
	}
	fmt(b, "/* 0 if the server at ep speaks %s::%s as built here, IPC_EVERSION if\n"
	       " * its ABI fingerprint differs, IPC_ENOSYS if it does not speak it. */\n"
	       "int %s_describe(ipc_cap ep);\n\n", i->ns->name, i->name, i->cname);

	/* struct io_file_iface { int (*read)(struct io_file *self, ...); };
	 * struct io_file { const struct io_file_iface *iface; ipc_cap endpoint; };  (server) */
	fmt(b, "struct %s;\nstruct %s_iface {\n", i->cname, i->cname);
	put_parts(b, i, "_iface");
	if (!i->parents && !i->methods)
		buf_puts(b, "\tchar empty;   /* no methods yet: C wants a member */\n");
	for (const struct method *m = i->methods; m; m = m->next) {
		buf_spill(b);
		doc(b, "\t", m->doc);
		if (m->kind == M_SEND)
			PUT(b, "\tvoid (*");
		else
			PUT(b, "\tint (*");
		buf_puts(b, m->field);
		PUT(b, ")(struct ");
		buf_puts(b, i->cname);
		PUT(b, " *self");
		put_params(b, m);
		PUT(b, ");\n");
	}
	buf_puts(b, "};\n");
	if (i->parents) {
		fmt(b, "struct %s {\n", i->cname);
		put_parts(b, i, "");
		buf_puts(b, "};\n");
	} else
		fmt(b, "struct %s {\n\tconst struct %s_iface *iface;\n\tipc_cap endpoint;\n};\n",
		    i->cname, i->cname);
	fmt(b, "void %s_init(struct %s *self, const struct %s_iface *iface, ipc_cap endpoint);\n",
	    i->cname, i->cname, i->cname);
	fmt(b, "int %s_handle(struct %s *self, const struct ipc_msg *in, struct ipc_msg *out);\n",
	    i->cname, i->cname);
	fmt(b, "int %s_dispatch(struct %s *self);\n", i->cname, i->cname);
	for (const struct method *m = i->methods; m; m = m->next)
		if (m->kind == M_CALL) {
			buf_spill(b);
			put_reply_proto(b, m);
			PUT(b, ";\n");
		}
	buf_putc(b, '\n');
}

static void gen_errors(struct buf *b, const struct ns *ns)
{
	/* #define DEV_ERR_BUSY 0x1b2c0001
	 * static inline const char *dev_status_name(int status) ... */
	bool any = false;
	for (const struct decl *d = ns->decls; d; d = d->next)
		if (d->kind == D_ERROR) {
			doc(b, "", d->doc);
			fmt(b, "#define %s 0x%x\n", d->CNAME, d->code);
			any = true;
		}
	if (any)
		buf_putc(b, '\n');
	fmt(b, "/* The name of a status: this namespace's errors, those of the namespaces\n"
	       " * it uses (\"%s::*\" for one added after this version, which a call\n"
	       " * raising %s::* passes on), the transport's statuses; NULL for anything\n"
	       " * else. */\n"
	       "static inline const char *%s_status_name(int status)\n{\n", ns->name, ns->name, ns->cname);
	if (any) {
		buf_puts(b, "\tswitch (status) {\n");
		for (const struct decl *d = ns->decls; d; d = d->next)
			if (d->kind == D_ERROR)
				fmt(b, "\tcase %s: return \"%s::%s\";\n", d->CNAME, ns->name, d->name);
		buf_puts(b, "\t}\n");
	}
	fmt(b, "\tif (status > 0 && status >> 16 == 0x%x && (status & 0xffff) != 0)\n"
	       "\t\treturn \"%s::*\";\n", ns_error_base(ns) >> 16, ns->name);
	for (const struct use *u = ns->uses; u; u = u->next)
		fmt(b, "\tif (%s_status_name(status))\n\t\treturn %s_status_name(status);\n",
		    u->ns->cname, u->ns->cname);
	buf_puts(b, "\treturn ipc_status_name(status);\n}\n\n");
}

/* Interface i's declarations, after those of its parents in its namespace
 * not in done[] yet (the depth is at most the ancestry's 244). */
static void gen_iface_ordered(struct buf *b, const struct decl *i, const struct decl **done,
                              size_t *ndone)
{
	for (size_t k = 0; k < *ndone; k++)
		if (done[k] == i)
			return;
	for (const struct parent_ref *r = i->parents; r; r = r->next)
		if (r->decl->ns == i->ns)
			gen_iface_ordered(b, r->decl, done, ndone);
	done[(*ndone)++] = i;
	gen_iface_decls(b, i);
}

static void gen_header(struct buf *b, const struct ns *ns)
{
	/* io.h: generated by ipcgen from io.ipc; edit io.ipc instead. */
	fmt(b, "/* %s.h: generated by ipcgen from %s; edit %s instead. */\n",
	    ns->cname, banner_file(ns), banner_file(ns));
	fmt(b, "#ifndef IPCGEN_%s_H\n#define IPCGEN_%s_H\n\n#include <mercury/ipc.h>\n",
	    ns->CNAME, ns->CNAME);
	for (const struct use *u = ns->uses; u; u = u->next)
		fmt(b, "#include \"%s.h\"\n", u->ns->cname);
	buf_puts(b, "\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n");
	doc(b, "", ns->doc);
	gen_errors(b, ns);
	bool consts = false;
	size_t nstructs = 0;
	for (const struct decl *d = ns->decls; d; d = d->next) {
		if (d->kind == D_CONST) {
			gen_const(b, d);
			consts = true;
		}
		nstructs += d->kind == D_STRUCT;
	}
	if (consts)
		buf_putc(b, '\n');
	for (const struct decl *d = ns->decls; d; d = d->next)
		if (d->kind == D_ENUM) {
			buf_spill(b);
			gen_enum(b, d);
			gen_enum_get(b, d);
		} else if (d->kind == D_BITS) {
			buf_spill(b);
			gen_bits(b, d);
		}
	if (nstructs) {
		struct decl **done = xcalloc(nstructs, sizeof *done);
		size_t ndone = 0;
		for (const struct decl *d = ns->decls; d; d = d->next)
			if (d->kind == D_STRUCT) {
				buf_spill(b);
				gen_struct_ordered(b, d, done, &ndone);
			}
		free(done);
	}
	/* Interfaces after their parents, whose structs theirs hold (a parent
	 * may be declared after its child). */
	size_t nifaces = 0;
	for (const struct decl *d = ns->decls; d; d = d->next)
		nifaces += d->kind == D_IFACE;
	if (nifaces) {
		const struct decl **done = xcalloc(nifaces, sizeof *done);
		size_t ndone = 0;
		for (const struct decl *d = ns->decls; d; d = d->next)
			if (d->kind == D_IFACE)
				gen_iface_ordered(b, d, done, &ndone);
		free(done);
	}
	fmt(b, "#ifdef __cplusplus\n}\n#endif\n#endif /* IPCGEN_%s_H */\n", ns->CNAME);
}

/* Conditions joined by "||" and wrapped before 96 columns: each is written
 * into cur, then placed on the line or, after wrap, on the next.  Used for
 * the checks before a client sends and before a server calls. */
struct conds {
	struct buf *b;
	struct buf *cur;
	const char *wrap;     /* " ||\n" and the indent under the first condition */
	size_t col, wrapcol;
	bool first;
};

static void cond_place(struct conds *c)
{
	if (!c->first && c->col + c->cur->len + 4 > 96) {
		buf_puts(c->b, c->wrap);
		c->col = c->wrapcol;
	} else if (!c->first) {
		PUT(c->b, " || ");
		c->col += 4;
	}
	buf_putn(c->b, c->cur->data, c->cur->len);
	c->col += c->cur->len;
	c->first = false;
	c->cur->len = 0;
}

/* Scratch text for a condition, kept from one call to the next (freed by
 * gen_client and gen_server). */
static _Thread_local struct buf cond_text;
/* A client call's arguments as it passes them on (gen_client_call). */
static _Thread_local struct buf args_in, args_out;

/* ---- NS_client.c ---------------------------------------------------------------- */

/* Releases the capabilities a client function was given and returns status:
 * "ipc_cap_drop(f); return ipc_drop_caps(rest, nrest, IPC_EINVAL);" */
static void put_give_up(struct buf *b, const struct method *m, const char *ind, const char *status)
{
	if (m->capshape) {
		put_shape_drop(b, ind, m->caps, cap_param_name);
		fmt(b, "%sreturn %s;\n", ind, status);
		return;
	}
	for (const struct param *p = m->caps; p && !p->list; p = p->next)
		fmt(b, "%sipc_cap_drop(%s);\n", ind, p->cname);
	if (m->caplist) {
		fmt(b, "%sreturn ipc_drop_caps(%s, n%s, %s);\n", ind, m->caplist->cname,
		    m->caplist->cname, status);
	} else {
		buf_puts(b, ind);
		PUT(b, "return ");
		buf_puts(b, status);
		PUT(b, ";\n");
	}
}

/* ---- server pieces both codecs share ------------------------------------------ */

/* 	ipc_cap oc[2];   ipc_caps_none(oc, 2);   (size_t noc = 0;)
 * what the implementation returns its capabilities in */
static void put_server_oc(struct buf *b, const struct method *m)
{
	const struct param *ol = m->outlist;
	unsigned nout = m->nout_fixed, k = 0;
	if (m->outshape) {   /* 	ipc_cap o0 = IPC_CAP_NONE;   ipc_cap o1[IPC_MAX_CAPS]; size_t no1 = 0; */
		for (const struct param *p = m->outcaps; p; p = p->next, k++)
			fmt(b, p->list ? "\t\tipc_cap o%u[IPC_MAX_CAPS];\n\t\tsize_t no%u = 0;\n"
			                 "\t\tipc_caps_none(o%u, IPC_MAX_CAPS);\n"
			               : "\t\tipc_cap o%u = IPC_CAP_NONE;\n", k, k, k);
		return;
	}
	if (m->outcaps) {
		fmt(b, ol ? "\t\tipc_cap oc[IPC_MAX_CAPS];\n" : "\t\tipc_cap oc[%u];\n", nout);
		fmt(b, ol ? "\t\tipc_caps_none(oc, IPC_MAX_CAPS);\n" : "\t\tipc_caps_none(oc, %u);\n", nout);
	}
	if (ol)
		PUT(b, "\t\tsize_t noc = 0;\n");
}

/* ", in->cap[0], in->cap + 1, in->ncaps - 1": the request's capabilities as arguments */
static void put_server_cap_args(struct buf *b, const struct method *m)
{
	unsigned c = 0, k = m->ncaps_fixed;
	if (m->capshape) {   /* the locals the case made: ", c0, c1, nc1" */
		for (const struct param *p = m->caps; p; p = p->next, c++)
			fmt(b, p->list ? ", c%u, nc%u" : ", c%u", c, c);
		return;
	}
	if (m->nool_in) {   /* the regions, the last capabilities, are not the implementation's */
		for (const struct param *p = m->caps; p; p = p->next)
			fmt(b, p->list ? ", in->cap + %u, in->ncaps - nool - %u" : ", in->cap[%u]", p->list ? k : c++, k);
		return;
	}
	for (const struct param *p = m->caps; p; p = p->next) {
		if (p->list && k)
			fmt(b, ", in->cap + %u, in->ncaps - %u", k, k);
		else if (p->list)
			buf_puts(b, ", in->cap, in->ncaps");
		else
			fmt(b, ", in->cap[%u]", c++);
	}
}

/* ", &oc[0], oc + 1, &noc": where the implementation returns capabilities */
static void put_server_outcap_args(struct buf *b, const struct method *m)
{
	unsigned c = 0;
	if (m->outshape) {   /* ", &o0, o1, &no1" */
		for (const struct param *p = m->outcaps; p; p = p->next, c++)
			fmt(b, p->list ? ", o%u, &no%u" : ", &o%u", c, c);
		return;
	}
	for (const struct param *p = m->outcaps; p; p = p->next) {
		if (p->list)
			fmt(b, ", oc + %u, &noc", m->nout_fixed);
		else
			fmt(b, ", &oc[%u]", c++);
	}
}

/* Capabilities the implementation made before failing are released. */
static void put_server_drop_made(struct buf *b, const struct method *m)
{
	unsigned k = 0;
	if (m->outshape) {
		buf_puts(b, "\t\tif (st != 0 && st != IPC_DEFERRED) {\n");
		for (const struct param *p = m->outcaps; p; p = p->next, k++)
			fmt(b, p->list ? "\t\t\tipc_drop_made(o%u, IPC_MAX_CAPS);\n" : "\t\t\tipc_drop_made(&o%u, 1);\n", k);
		buf_puts(b, "\t\t}\n");
		return;
	}
	if (m->outcaps)
		fmt(b, m->outlist ? "\t\tif (st != 0 && st != IPC_DEFERRED)\n\t\t\tipc_drop_made(oc, IPC_MAX_CAPS);\n"
		                  : "\t\tif (st != 0 && st != IPC_DEFERRED)\n\t\t\tipc_drop_made(oc, %u);\n",
		    m->nout_fixed);
}

/* A reply function's returned capabilities: into the reply on success
 * (a list past what fits cut, its excess released, if clamp), released
 * otherwise. */
static void put_reply_caps(struct buf *b, const struct method *m, bool clamp)
{
	const struct param *ol = m->outlist;
	buf_puts(b, "\tif (status == 0) {\n");
	unsigned lim = m->nout_fixed + m->nool_out;   /* room for the results' regions too */
	if (clamp && ol)
		fmt(b, "\t\tif (n%s > %s) {\n\t\t\tipc_drop_caps(%s + %s, n%s - %s, 0);\n\t\t\tn%s = %s;\n\t\t}\n",
		    ol->cname, caplim(lim), ol->cname, caplim(lim), ol->cname, caplim(lim), ol->cname,
		    caplim(lim));
	unsigned c = 0;
	for (const struct param *q = m->outcaps; q && !q->list; q = q->next, c++)
		fmt(b, "\t\tm.cap[%u] = %s;\n", c, q->cname);
	if (ol)
		fmt(b, "\t\tipc_put_caps(&m, %u, %s, n%s);\n", c, ol->cname, ol->cname);
	else
		fmt(b, "\t\tm.ncaps = %u;\n", c);
	buf_puts(b, "\t} else {\n");
	for (const struct param *q = m->outcaps; q && !q->list; q = q->next)
		fmt(b, "\t\tipc_cap_drop(%s);\n", q->cname);
	if (ol)
		fmt(b, "\t\tipc_drop_caps(%s, n%s, 0);\n", ol->cname, ol->cname);
	buf_puts(b, "\t}\n");
}

/* ---- capabilities in any shape -------------------------------------------------- */

/*
 * A section of capabilities that is not the simple shape (check_caps) sends
 * a word per optional capability (1 if it is there) and per list (its
 * count) before the parameters or results, and the capabilities that are
 * there in order: cap[] holds exactly what the words say.
 */

/* Whether a section has a list: only then can its capabilities be too many
 * (check counts the others). */
static bool has_cap_list(const struct param *caps)
{
	for (; caps; caps = caps->next)
		if (caps->list)
			return true;
	return false;
}

/* 	ok = ok && ipc_put_word(m, &wi, x != IPC_CAP_NONE);    (an optional: v "x")
 * 	ok = ok && ipc_put_word(m, &wi, nfds);                 (a list: v "nfds")
 * the words of caps, whose values name() gives */
static void put_shape_enc(struct buf *b, const char *ind, const struct param *caps,
                          const char *m, const char *(*name)(const struct param *, unsigned, bool))
{
	unsigned k = 0;
	for (const struct param *p = caps; p; p = p->next, k++) {
		if (p->list)
			fmt(b, "%sok = ok && %s <= IPC_MAX_CAPS && ipc_put_word(%s, &wi, %s);\n", ind,
			    name(p, k, true), m, name(p, k, true));
		else if (p->type.optional)
			fmt(b, "%sok = ok && ipc_put_word(%s, &wi, %s != IPC_CAP_NONE);\n", ind, m,
			    name(p, k, false));
	}
}

/* "1 + (x != IPC_CAP_NONE) + nfds": how many capabilities a shaped section has */
static void put_shape_count(struct buf *b, const struct param *caps,
                            const char *(*name)(const struct param *, unsigned, bool))
{
	unsigned fixed = 0, k = 0;
	const char *plus = "";
	for (const struct param *p = caps; p; p = p->next)
		fixed += !p->list && !p->type.optional;
	if (fixed) {
		fmt(b, "%u", fixed);
		plus = " + ";
	}
	for (const struct param *p = caps; p; p = p->next, k++) {
		if (p->list)
			fmt(b, "%s%s", plus, name(p, k, true));
		else if (p->type.optional)
			fmt(b, "%s(%s != IPC_CAP_NONE)", plus, name(p, k, false));
		plus = p->list || p->type.optional ? " + " : plus;
	}
}

/* 	m->cap[ci++] = a;
 * 	if (b != IPC_CAP_NONE)
 * 		m->cap[ci++] = b;
 * 	for (size_t ix = 0; ix < nfds; ix++)
 * 		m->cap[ci++] = fds[ix];
 * 	m->ncaps = ci;
 * a shaped section's capabilities into message m ("m->", "out->", "m."),
 * ci declared here unless declared */
static void put_shape_caps(struct buf *b, const char *ind, const struct param *caps, const char *m,
                           const char *(*name)(const struct param *, unsigned, bool), bool declared)
{
	unsigned k = 0;
	fmt(b, declared ? "%sci = 0;\n" : "%suint32_t ci = 0;\n", ind);
	for (const struct param *p = caps; p; p = p->next, k++) {
		const char *v = name(p, k, false);
		if (p->list)
			fmt(b, "%sfor (size_t ix = 0; ix < %s; ix++)\n%s\t%scap[ci++] = %s[ix];\n", ind,
			    name(p, k, true), ind, m, v);
		else if (p->type.optional)
			fmt(b, "%sif (%s != IPC_CAP_NONE)\n%s\t%scap[ci++] = %s;\n", ind, v, ind, m, v);
		else
			fmt(b, "%s%scap[ci++] = %s;\n", ind, m, v);
	}
	fmt(b, "%s%sncaps = ci;\n", ind, m);
}

/* 	ipc_cap_drop(a);  ipc_drop_made(&b, 1);  ipc_drop_caps(fds, nfds, 0);
 * a shaped section's capabilities released */
static void put_shape_drop(struct buf *b, const char *ind, const struct param *caps,
                           const char *(*name)(const struct param *, unsigned, bool))
{
	unsigned k = 0;
	for (const struct param *p = caps; p; p = p->next, k++) {
		const char *v = name(p, k, false);
		if (p->list)
			fmt(b, "%sipc_drop_caps(%s, %s, 0);\n", ind, v, name(p, k, true));
		else if (p->type.optional)
			fmt(b, "%sipc_drop_made(&%s, 1);\n", ind, v);
		else
			fmt(b, "%sipc_cap_drop(%s);\n", ind, v);
	}
}

/* A capability parameter by its own name: "fds", "nfds". */
static const char *cap_param_name(const struct param *p, unsigned k, bool count)
{
	(void)k;
	return count ? vtext("n%s", p->cname) : p->cname;
}

/* A server's local for returned capability k, made by the implementation:
 * "o2", "no2". */
static const char *cap_local_out(const struct param *p, unsigned k, bool count)
{
	(void)p;
	char n[16];
	sfmt(n, sizeof n, count ? "no%u" : "o%u", k);
	return vtext("%s", n);
}

/* ---- language 2's values: structs, lists, optionals, bit sets ---------------- */

/* The C type of a value held in memory (a field, a list's element, a
 * local): not for strings, byte arrays and lists, which are arrays. */
static void put_ctype(struct buf *b, const struct typeref *t)
{
	switch (t->kind) {
	case TY_ENUM: fmt(b, "enum %s", t->decl->cname); break;
	case TY_STRUCT: fmt(b, "struct %s", t->decl->cname); break;
	case TY_BITS: buf_puts(b, t->decl->cname); break;
	default: buf_puts(b, c_type(t)); break;
	}
}

static bool is_string_list(const struct typeref *t)
{
	return t->kind == TY_LIST && t->elem->kind == TY_STRING;
}

/* The members (or locals) that hold a value of type t called name:
 * 	bool has_tag;            (optional)
 * 	char name[65];           (string<64>)
 * 	uint8_t data[16]; size_t ndata;    (bytes<16>; a list likewise)
 * zeroed if zero (a server's results, defined if the implementation
 * forgets one). */
static void put_storage(struct buf *b, const char *ind, const struct typeref *t, const char *name,
                        bool zero)
{
	const char *z = "";
	if (t->optional)
		fmt(b, "%sbool has_%s%s;\n", ind, name, zero ? " = false" : "");
	switch (t->kind) {
	case TY_STRING:
		fmt(b, "%schar %s[%u]%s;\n", ind, name, (unsigned)t->bound + 1, z);
		return;
	case TY_BYTES:
		fmt(b, "%suint8_t %s[%u]%s;\n%ssize_t n%s%s;\n", ind, name, (unsigned)t->bound, z,
		    ind, name, zero ? " = 0" : "");
		return;
	case TY_LIST:
		buf_puts(b, ind);
		if (is_string_list(t)) {
			fmt(b, "char %s[%u][%u]%s;\n", name, (unsigned)t->bound,
			    (unsigned)t->elem->bound + 1, z);
		} else {
			put_ctype(b, t->elem);
			fmt(b, " %s[%u]%s;\n", name, (unsigned)t->bound, z);
		}
		fmt(b, "%ssize_t n%s%s;\n", ind, name, zero ? " = 0" : "");
		return;
	default:
		buf_puts(b, ind);
		put_ctype(b, t);
		if (!zero || t->kind == TY_STRUCT)
			fmt(b, " %s;\n", name);
		else if (t->kind == TY_ENUM)
			fmt(b, " %s = (enum %s)0;\n", name, t->decl->cname);
		else
			fmt(b, " %s = 0;\n", name);
		return;
	}
}

/* Results an implementation may leave unset are zeroes, not what the stack
 * held (which would go to the client): "ipc_zero(&r0, sizeof r0);" for
 * those put_storage does not initialize. */
static void put_zero(struct buf *b, const char *ind, const struct typeref *t, unsigned n)
{
	if (t->kind == TY_STRUCT)
		fmt(b, "%sipc_zero(&r%u, sizeof r%u);\n", ind, n, n);
	else if (is_array(t) || t->kind == TY_LIST)
		fmt(b, "%sipc_zero(r%u, sizeof r%u);\n", ind, n, n);
}

/*
 * A value as C parameters: given (in) or to fill (out, a result):
 * 	in:  ", uint32_t x"  ", const uint32_t *x" (optional: NULL if absent)
 * 	     ", const struct fs_stat *x"  ", const char *x"
 * 	     ", const uint8_t *x, size_t nx"  ", const struct fs_dirent *x, size_t nx"
 * 	     ", const char *const *x, size_t nx"   (a list of strings)
 * 	out: ", bool *has_x" first if optional, then ", uint32_t *x"
 * 	     ", char *x"  ", uint8_t *x, size_t *nx"  ", char (*x)[256], size_t *nx"
 */
static void put_value_param(struct buf *b, const struct typeref *t, const char *name, bool out)
{
	const char *c = out ? "" : "const ";
	if (out && t->optional)
		fmt(b, ", bool *has_%s", name);
	switch (t->kind) {
	case TY_STRING:
		fmt(b, ", %schar *%s", c, name);
		return;
	case TY_BYTES:
		fmt(b, ", %suint8_t *%s, size_t %sn%s", c, name, out ? "*" : "", name);
		return;
	case TY_LIST:
		if (is_string_list(t) && out)
			fmt(b, ", char (*%s)[%u]", name, (unsigned)t->elem->bound + 1);
		else if (is_string_list(t))
			fmt(b, ", const char *const *%s", name);
		else {
			fmt(b, ", %s", c);
			put_ctype(b, t->elem);
			fmt(b, " *%s", name);
		}
		fmt(b, ", size_t %sn%s", out ? "*" : "", name);
		return;
	case TY_STRUCT:
		fmt(b, ", %sstruct %s *%s", c, t->decl->cname, name);
		return;
	default:
		PUT(b, ", ");
		if (!out && t->optional)
			PUT(b, "const ");
		put_ctype(b, t);
		fmt(b, out || t->optional ? " *%s" : " %s", name);
		return;
	}
}

/*
 * Where a value is, for the codec below: a parameter as given or to fill
 * (VF_PARAM, VF_OUT: "x", "nx", "has_x"), a struct's field ("v->x"), a
 * server's local ("a0", "na0", "has_a0"), or a list's element ("x[ix]",
 * name the list's array).
 */
enum vform { VF_PARAM, VF_OUT, VF_FIELD, VF_LOCAL, VF_ELEM };
struct vref {
	enum vform form;
	const char *name;
};

/* Scratch text: a ring of buffers, each reused n makes later, that grow to
 * what they are asked to hold.  No fixed size fits: names are up to 255
 * bytes, longer once escaped, and joined into C names and expressions
 * several to a string.  Freed by gen_scratch_free once a file is made. */
struct ring {
	struct buf b[8];
	unsigned next;
};
static _Thread_local struct ring vtexts, ovals, olists;

static struct buf *ring_take(struct ring *r, unsigned n)
{
	struct buf *b = &r->b[r->next++ % n];
	b->len = 0;
	return b;
}

/* b's text, ended by a 0 */
static const char *ring_text(struct buf *b)
{
	buf_putc(b, 0);
	return b->data;
}

void gen_scratch_free(void)
{
	struct ring *rings[] = {&vtexts, &ovals, &olists};
	for (size_t i = 0; i < sizeof rings / sizeof rings[0]; i++)
		for (size_t k = 0; k < sizeof rings[i]->b / sizeof rings[i]->b[0]; k++)
			buf_free(&rings[i]->b[k]);
}

/* A scratch string, the last 8 alive at once (a value's expressions): f
 * with each "%s" replaced by name (copied: sfmt's set-up costs more). */
static const char *vtext(const char *f, const char *name)
{
	struct buf *b = ring_take(&vtexts, 8);
	size_t n = strlen(name);
	for (const char *p; (p = strstr(f, "%s")) != NULL; f = p + 2) {
		buf_putn(b, f, (size_t)(p - f));
		buf_putn(b, name, n);
	}
	buf_puts(b, f);
	return ring_text(b);
}

/* The value, to read (a struct's: a pointer to it). */
static const char *ref_val(const struct vref *r, const struct typeref *t)
{
	bool ptr = t->kind == TY_STRUCT;
	switch (r->form) {
	case VF_PARAM: return r->name;
	case VF_OUT: return ptr || is_array(t) || t->kind == TY_LIST ? r->name : vtext("(*%s)", r->name);
	case VF_FIELD: return vtext(ptr ? "&v->%s" : "v->%s", r->name);
	case VF_LOCAL: return vtext(ptr ? "&%s" : "%s", r->name);
	case VF_ELEM: return vtext(ptr ? "&%s[ix]" : "%s[ix]", r->name);
	}
	return r->name;
}

/* A pointer to the value, to fill (arrays as they are). */
static const char *ref_dst(const struct vref *r, const struct typeref *t)
{
	bool arr = is_array(t) || t->kind == TY_LIST;
	switch (r->form) {
	case VF_PARAM: case VF_OUT: return r->name;
	case VF_FIELD: return vtext(arr ? "v->%s" : "&v->%s", r->name);
	case VF_LOCAL: return vtext(arr ? "%s" : "&%s", r->name);
	case VF_ELEM: return vtext(arr ? "%s[ix]" : "&%s[ix]", r->name);
	}
	return r->name;
}

/* The count of a byte array or list: its value, or (dst) a pointer to fill. */
static const char *ref_count(const struct vref *r, bool dst)
{
	switch (r->form) {
	case VF_PARAM: return vtext("n%s", r->name);
	case VF_OUT: return vtext(dst ? "n%s" : "(*n%s)", r->name);
	case VF_FIELD: return vtext(dst ? "&v->n%s" : "v->n%s", r->name);
	default: return vtext(dst ? "&n%s" : "n%s", r->name);
	}
}

/* Whether an optional value is present: its value, or (dst) a pointer to fill. */
static const char *ref_has(const struct vref *r, bool dst)
{
	switch (r->form) {
	case VF_PARAM: return vtext("%s != NULL", r->name);
	case VF_OUT: return vtext(dst ? "has_%s" : "*has_%s", r->name);
	case VF_FIELD: return vtext(dst ? "&v->has_%s" : "v->has_%s", r->name);
	default: return vtext(dst ? "&has_%s" : "has_%s", r->name);
	}
}

/* "ipc_get_u32", or an enum's or bit set's "fs_kind_get". */
static const char *getter(const struct typeref *t)
{
	static const char *const names[] = {
		[TY_U8] = "ipc_get_u8", [TY_U16] = "ipc_get_u16", [TY_U32] = "ipc_get_u32",
		[TY_U64] = "ipc_get_u64", [TY_I8] = "ipc_get_i8", [TY_I16] = "ipc_get_i16",
		[TY_I32] = "ipc_get_i32", [TY_I64] = "ipc_get_i64", [TY_UINT] = "ipc_get_u32",
		[TY_INT] = "ipc_get_i32", [TY_SIZE] = "ipc_get_size",
		[TY_UINTPTR] = "ipc_get_uintptr", [TY_BOOL] = "ipc_get_bool",
	};
	if (t->kind == TY_ENUM || t->kind == TY_BITS)
		return vtext("%s_get", t->decl->cname);
	return names[t->kind];
}

/*
 * Writes value r of type t at word *w of message m, as one more link of
 * the chain "ok = ok && ..." (the statements the generated functions are
 * made of); a list and an optional value as statements around their parts:
 * 	ok = ok && n <= 4 && (x || !n) && ipc_put_word(m, w, n);
 * 	for (size_t ix = 0; ok && ix < n; ix++)
 * 		ok = ok && fs_dirent_put(m, w, &x[ix]);
 * An invalid value (a string not UTF-8 or too long, an enum no member, a
 * bit no member names, a count past the bound) breaks the chain.
 */
/* Writes the struct at pointer v; with null, a NULL v breaks the chain (it is
 * no value). */
static void put_struct_enc(struct buf *b, const char *ind, const struct typeref *t, const char *v,
                           const char *m, const char *w, bool words, bool null)
{
	fmt(b, "%sok = ok && %s%s%s_put%s(%s, %s, %s);\n", ind, null ? v : "", null ? " && " : "",
	    t->decl->cname, words ? "_words" : "", m, w, v);
}

static void put_enc(struct buf *b, const char *ind, const struct typeref *type,
                    const struct vref *r, const char *m, const char *w, bool words)
{
	struct typeref tt = *type;
	const struct typeref *t = &tt;
	/* in2: ind and a tab.  A value nests at most an optional and then a
	 * list inline (a list's elements are neither; a struct has functions
	 * of its own), under at most 3 tabs: 16 bytes hold it. */
	if (t->optional) {
		const char *has = ref_has(r, false);
		if (r->form == VF_PARAM && (t->kind == TY_BYTES || t->kind == TY_LIST))
			fmt(b, "%sok = ok && (%s || !n%s);\n", ind, has, r->name);   /* NULL with elements */
		fmt(b, "%sok = ok && %s(%s, %s, %s);\n%sif (%s) {\n", ind,
		    words ? "ipc_w_put_word" : "ipc_put_word", m, w, has, ind, has);
		tt.optional = false;
		char in2[16];
		sfmt(in2, sizeof in2, "%s\t", ind);
		/* a scalar given by pointer: the value is behind it */
		struct vref deref = {VF_LOCAL, vtext("(*%s)", r->name)};
		bool by_ptr = r->form == VF_PARAM && !is_array(t) && t->kind != TY_LIST &&
		              t->kind != TY_STRUCT;
		if (t->kind == TY_STRUCT)   /* not NULL: looked at just above */
			put_struct_enc(b, in2, t, ref_val(r, t), m, w, words, false);
		else
			put_enc(b, in2, t, by_ptr ? &deref : r, m, w, words);
		fmt(b, "%s}\n", ind);
		return;
	}
	const char *v = ref_val(r, t);
	const char *put_word = words ? "ipc_w_put_word" : "ipc_put_word";
	switch (t->kind) {
	case TY_ENUM:
		fmt(b, "%sok = ok && %s_valid(%s) && %s(%s, %s, (uint64_t)%s);\n", ind,
		    t->decl->cname, v, put_word, m, w, v);
		return;
	case TY_BITS:
		fmt(b, "%sok = ok && %s_valid(%s) && %s(%s, %s, %s);\n", ind, t->decl->cname,
		    v, put_word, m, w, v);
		return;
	case TY_STRING:
		fmt(b, "%sok = ok && %s(%s, %s, %s, %u);\n", ind, words ? "ipc_w_put_str" : "ipc_put_str_at",
		    m, w, v, (unsigned)t->bound);
		return;
	case TY_BYTES:
		fmt(b, "%sok = ok && %s(%s, %s, %s, %s, %u);\n", ind,
		    words ? "ipc_w_put_bytes" : "ipc_put_bytes_at", m, w, v, ref_count(r, false),
		    (unsigned)t->bound);
		return;
	case TY_STRUCT:   /* given by pointer, a parameter: NULL is no value */
		put_struct_enc(b, ind, t, v, m, w, words, r->form == VF_PARAM);
		return;
	case TY_LIST: {
		const char *n = ref_count(r, false);
		if (r->form == VF_PARAM)   /* a pointer: NULL only with no elements */
			fmt(b, "%sok = ok && %s <= %u && (%s || !%s) && %s(%s, %s, %s);\n", ind, n,
			    (unsigned)t->bound, v, n, put_word, m, w, n);
		else
			fmt(b, "%sok = ok && %s <= %u && %s(%s, %s, %s);\n", ind, n,
			    (unsigned)t->bound, put_word, m, w, n);
		fmt(b, "%sfor (size_t ix = 0; ok && ix < %s; ix++)\n", ind, n);
		struct vref e = {VF_ELEM, v};
		char in2[16];
		sfmt(in2, sizeof in2, "%s\t", ind);
		put_enc(b, in2, t->elem, &e, m, w, words);
		return;
	}
	default:
		fmt(b, "%sok = ok && %s(%s, %s, (uint64_t)%s);\n", ind, put_word, m, w, v);
		return;
	}
}

/* Reads value r of type t at word *w of message m, validating it exactly:
 * the chain's links as put_enc's. */
static void put_dec(struct buf *b, const char *ind, const struct typeref *type,
                    const struct vref *r, const char *m, const char *w, bool words)
{
	struct typeref tt = *type;
	const struct typeref *t = &tt;
	char in2[16];
	if (t->optional && words) {
		fmt(b, "%sok = ok && ipc_w_more(%s, %s) && ipc_dec_bool(ipc_w_next(%s, %s), %s);\n%sif (ok && %s) {\n",
		    ind, m, w, m, w, ref_has(r, true), ind, ref_has(r, false));
	} else if (t->optional) {
		fmt(b, "%sok = ok && ipc_get_bool(%s, %s, %s);\n%sif (ok && %s) {\n", ind, m, w,
		    ref_has(r, true), ind, ref_has(r, false));
	}
	if (t->optional) {
		tt.optional = false;
		put_dec(b, sfmt(in2, sizeof in2, "%s\t", ind), t, r, m, w, words);
		fmt(b, "%s}\n", ind);
		return;
	}
	const char *d = ref_dst(r, t);
	switch (t->kind) {
	case TY_STRING:
		fmt(b, "%sok = ok && %s(%s, %s, %s, %u);\n", ind, words ? "ipc_w_get_str" : "ipc_get_str",
		    m, w, d, (unsigned)t->bound);
		return;
	case TY_BYTES:
		fmt(b, "%sok = ok && %s(%s, %s, %s, %u, %s);\n", ind,
		    words ? "ipc_w_get_bytes" : "ipc_get_bytes", m, w, d, (unsigned)t->bound,
		    ref_count(r, true));
		return;
	case TY_STRUCT:
		fmt(b, "%sok = ok && %s_get%s(%s, %s, %s);\n", ind, t->decl->cname, words ? "_words" : "",
		    m, w, d);
		return;
	case TY_LIST: {
		fmt(b, "%sok = ok && %s(%s, %s, %u, %s);\n", ind, words ? "ipc_w_get_count" : "ipc_get_count",
		    m, w, (unsigned)t->bound, ref_count(r, true));
		fmt(b, "%sfor (size_t ix = 0; ok && ix < %s; ix++)\n", ind, ref_count(r, false));
		struct vref e = {VF_ELEM, d};
		put_dec(b, sfmt(in2, sizeof in2, "%s\t", ind), t->elem, &e, m, w, words);
		return;
	}
	default:
		if (words)   /* a word, and the scalar's, enum's or bit set's decoder */
			fmt(b, "%sok = ok && ipc_w_more(%s, %s) && %s(ipc_w_next(%s, %s), %s);\n", ind, m, w,
			    decoder(t), m, w, d);
		else
			fmt(b, "%sok = ok && %s(%s, %s, %s);\n", ind, getter(t), m, w, d);
		return;
	}
}

/*
 * Values at fixed words.  When every value one way is a scalar (an integer,
 * a bool, an enum or a bit set, none optional), value i is word i and the
 * count is known: they are written in place, as by hand, and read each with
 * its decoder, without the chain.  Only an enum or a bit set can be wrong.
 */
static bool fixed_words(const struct param *ps)
{
	for (; ps; ps = ps->next)   /* TY_U8 to TY_ENUM: the scalars (ipcgen.h) */
		if (ps->type.optional || ps->type.kind < TY_U8 ||
		    (ps->type.kind > TY_ENUM && ps->type.kind != TY_BITS))
			return false;
	return true;
}

/* Whether m's results are written in place (fixed_words), as its reply's
 * caller, server and reply function all decide it. */
static bool fixed_results(const struct method *m)
{
	return fixed_words(m->results) && !m->outshape;
}

/* Whether a value of type t can be one no member names: an enum's or a
 * bit set's. */
static bool is_checked(const struct typeref *t)
{
	return t->kind == TY_ENUM || t->kind == TY_BITS;
}

/* Whether a fixed_words value of ps can be one no member names. */
static bool fixed_checked(const struct param *ps)
{
	for (; ps; ps = ps->next)
		if (is_checked(&ps->type))
			return true;
	return false;
}

static const char *local_name(char name[static 16], const char *prefix, unsigned n);

/* Value n of ps by its name: its C parameter's, or with a prefix the
 * server's local ("r0"). */
static const char *fixed_name(const struct param *p, const char *prefix, unsigned n,
                              char name[static 16])
{
	return prefix ? local_name(name, prefix, n) : p->cname;
}

/* 	if (!fs_mode_valid(a) ||
 * 	    !fs_flags_valid(b))        (ind "\t"; fixed_checked(ps) holds; also
 * a condition before them: "st == 0 && (...)") */
static void put_fixed_invalid(struct buf *b, const char *ind, const struct param *ps,
                              const char *prefix, const char *also)
{
	char name[16];
	unsigned n = 0, checks = 0;
	for (const struct param *p = ps; p; p = p->next)
		checks += is_checked(&p->type);
	bool paren = *also && checks > 1;
	fmt(b, "%sif (%s", ind, also);
	const char *sep = paren ? " && (" : *also ? " && " : "";
	for (const struct param *p = ps; p; p = p->next, n++)
		if (is_checked(&p->type)) {
			fmt(b, "%s!%s_valid(%s)", sep, p->type.decl->cname, fixed_name(p, prefix, n, name));
			sep = vtext(" ||\n%s    ", ind);
		}
	buf_puts(b, paren ? "))" : ")");
}

/* 	m->word[0] = (uint64_t)a;   ...   (m: "m->", "out->", "m."), and with
 * count "m->nwords = 2;" */
static void put_fixed_enc(struct buf *b, const char *ind, const struct param *ps, const char *m,
                          const char *prefix, bool count)
{
	char name[16];
	unsigned n = 0;
	for (const struct param *p = ps; p; p = p->next, n++)
		fmt(b, "%s%sword[%u] = (uint64_t)%s;\n", ind, m, n, fixed_name(p, prefix, n, name));
	if (count)
		fmt(b, "%s%snwords = %u;\n", ind, m, n);
}

/* A server's or a reply function's fixed_words results (not none), st its
 * status ("st", "status"), m its message ("out->", "m."), prefix its
 * results' names as in put_fixed_enc:
 * 	if (st == 0 && !fs_mode_valid(r0))
 * 		st = IPC_EFAULT;
 * 	if (st == 0) {
 * 		out->word[0] = (uint64_t)r0;
 * 		out->nwords = 1;
 * 	} */
static void put_fixed_results(struct buf *b, const char *ind, const struct method *me,
                              const char *st, const char *m, const char *prefix)
{
	if (fixed_checked(me->results)) {
		put_fixed_invalid(b, ind, me->results, prefix, vtext("%s == 0", st));
		fmt(b, "\n%s\t%s = IPC_EFAULT;\n", ind, st);
	}
	fmt(b, "%sif (%s == 0) {\n", ind, st);
	put_fixed_enc(b, vtext("%s\t", ind), me->results, m, prefix, true);
	fmt(b, "%s}\n", ind);
}

/* A value given to an implementation from a server's local (VF_LOCAL name):
 * ", a0" ", has_a0 ? &a0 : NULL" ", &a0" ", a0, na0" ", pa0, na0". */
static void put_local_arg(struct buf *b, const struct typeref *t, const char *name)
{
	bool opt = t->optional;
	if (t->kind == TY_STRING || t->kind == TY_BYTES || t->kind == TY_LIST) {
		const char *arr = is_string_list(t) ? vtext("p%s", name) : name;
		if (opt)
			fmt(b, ", has_%s ? %s : NULL", name, arr);
		else
			fmt(b, ", %s", arr);
		if (t->kind != TY_STRING)
			fmt(b, ", n%s", name);
	} else if (t->kind == TY_STRUCT || opt) {
		if (opt)
			fmt(b, ", has_%s ? &%s : NULL", name, name);
		else
			fmt(b, ", &%s", name);
	} else {
		fmt(b, ", %s", name);
	}
}

/* A result filled by an implementation into a server's local:
 * ", &has_r0, &r0" ", r0, &nr0" ... */
static void put_local_out(struct buf *b, const struct typeref *t, const char *name)
{
	if (t->optional)
		fmt(b, ", &has_%s", name);
	if (t->kind == TY_STRING)
		fmt(b, ", %s", name);
	else if (t->kind == TY_BYTES || t->kind == TY_LIST)
		fmt(b, ", %s, &n%s", name, name);
	else
		fmt(b, ", &%s", name);
}

/* ---- NS.h: constants, bit sets, structs ------------------------------------- */

/* #define FS_MAX_PATH 4096 */
static void gen_const(struct buf *b, const struct decl *d)
{
	unsigned long long v = d->num.literal;
	char t[64];
	if (!d->num.negative)
		snprintf(t, sizeof t, v <= INT32_MAX ? "%llu" : "UINT64_C(%llu)", v);
	else if (v <= (unsigned long long)INT32_MAX + 1)
		snprintf(t, sizeof t, "(-%llu)", v);
	else
		snprintf(t, sizeof t, "(-INT64_C(%llu) - 1)", v - 1);
	doc(b, "", d->doc);
	fmt(b, "#define %s %s\n", d->CNAME, t);
}

/*
 * typedef uint32_t fs_open_flags;
 * #define FS_OPEN_FLAGS_READ 0x1u
 * static inline bool fs_open_flags_valid(uint64_t v) ...    (no bit but the members')
 * static inline bool fs_open_flags_dec(uint64_t w, fs_open_flags *v) ...
 * static inline bool fs_open_flags_get(const struct ipc_msg *m, uint32_t *w, fs_open_flags *v) ...
 */
static void gen_bits(struct buf *b, const struct decl *e)
{
	const char *base = c_type(&e->base);
	bool wide = e->base.kind == TY_U64;
	char t[64];
	doc(b, "", e->doc);
	fmt(b, "typedef %s %s;\n", base, e->cname);
	for (const struct member *m = e->members; m; m = m->next) {
		doc(b, "", m->doc);
		snprintf(t, sizeof t, wide ? "UINT64_C(0x%llx)" : "0x%llxu", (unsigned long long)m->value);
		fmt(b, "#define %s %s\n", m->cname, t);
	}
	snprintf(t, sizeof t, "UINT64_C(0x%llx)", (unsigned long long)e->mask);
	fmt(b, "\nstatic inline bool %s_valid(uint64_t v)\n{\n\treturn (v & ~%s) == 0;\n}\n\n",
	    e->cname, t);
	fmt(b, "static inline bool %s_dec(uint64_t w, %s *v)\n{\n\tif (!%s_valid(w))\n\t\treturn false;\n"
	       "\t*v = (%s)w;\n\treturn true;\n}\n\n", e->cname, e->cname, e->cname, e->cname);
	fmt(b, "static inline bool %s_get(const struct ipc_msg *m, uint32_t *w, %s *v)\n{\n"
	       "\tuint64_t x;\n\treturn ipc_get_word(m, w, &x) && %s_dec(x, v);\n}\n\n",
	    e->cname, e->cname, e->cname);
}

/* static inline bool fs_kind_get(const struct ipc_msg *m, uint32_t *w, enum fs_kind *v) */
static void gen_enum_get(struct buf *b, const struct decl *e)
{
	fmt(b, "static inline bool %s_get(const struct ipc_msg *m, uint32_t *w, enum %s *v)\n{\n"
	       "\tuint64_t x;\n\treturn ipc_get_word(m, w, &x) && %s_dec(x, v);\n}\n\n",
	    e->cname, e->cname, e->cname);
}

/*
 * struct fs_stat { uint64_t size; struct fs_timespec mtime; char name[65]; ... };
 * static inline bool fs_stat_put(struct ipc_msg *m, uint32_t *w, const struct fs_stat *v)
 * static inline bool fs_stat_get(const struct ipc_msg *m, uint32_t *w, struct fs_stat *v)
 * (the fields in order, as put_enc and put_dec write them)
 */
static void gen_struct(struct buf *b, const struct decl *d)
{
	doc(b, "", d->doc);
	fmt(b, "struct %s {\n", d->cname);
	for (const struct param *f = d->fields; f; f = f->next) {
		doc(b, "\t", f->doc);
		put_storage(b, "\t", &f->type, f->cname, false);
	}
	buf_puts(b, "};\n\n");
	fmt(b, "static inline bool %s_put_words(struct ipc_words *m, uint32_t *w, const struct %s *v)\n{\n"
	       "\tbool ok = true;\n", d->cname, d->cname);
	for (const struct param *f = d->fields; f; f = f->next) {
		struct vref r = {VF_FIELD, f->cname};
		put_enc(b, "\t", &f->type, &r, "m", "w", true);
	}
	buf_puts(b, "\treturn ok;\n}\n\n");
	fmt(b, "static inline bool %s_get_words(const struct ipc_words *m, uint32_t *w, struct %s *v)\n{\n"
	       "\tbool ok = true;\n", d->cname, d->cname);
	for (const struct param *f = d->fields; f; f = f->next) {
		struct vref r = {VF_FIELD, f->cname};
		put_dec(b, "\t", &f->type, &r, "m", "w", true);
	}
	buf_puts(b, "\treturn ok;\n}\n\n");
	/* the same over a message's words */
	fmt(b, "static inline bool %s_put(struct ipc_msg *m, uint32_t *w, const struct %s *v)\n{\n"
	       "\tstruct ipc_words c = ipc_words_out(m);\n\n\treturn %s_put_words(&c, w, v);\n}\n\n"
	       "static inline bool %s_get(const struct ipc_msg *m, uint32_t *w, struct %s *v)\n{\n"
	       "\tstruct ipc_words c = ipc_words_in(m);\n\n\treturn %s_get_words(&c, w, v);\n}\n\n",
	    d->cname, d->cname, d->cname, d->cname, d->cname, d->cname);
}

/* The structs of ns in an order C takes: each after those it holds. */
static void gen_struct_ordered(struct buf *b, const struct decl *d, struct decl **done, size_t *ndone)
{
	for (size_t i = 0; i < *ndone; i++)
		if (done[i] == d)
			return;
	for (const struct param *f = d->fields; f; f = f->next) {
		const struct typeref *t = &f->type;
		if (t->kind == TY_LIST)
			t = t->elem;
		if (t->kind == TY_STRUCT && t->decl->ns == d->ns)
			gen_struct_ordered(b, t->decl, done, ndone);
	}
	done[(*ndone)++] = (struct decl *)d;
	gen_struct(b, d);
}

/* ---- the general codec's client and server ----------------------------------- */

/* "\tif (!result || ...) {\n": the pointers a call's outputs need, checked
 * before anything is sent or read; false (nothing written) if there are none. */
static bool put_out_checks(struct buf *b, const struct method *m)
{
	struct conds cs = {b, &cond_text, " ||\n\t    ", 8, 8, true};
	struct buf *t = cs.cur;
	size_t at = b->len;
	t->len = 0;
	buf_puts(b, "\tif (");
	size_t start = b->len;
	for (const struct param *p = m->outcaps; p; p = p->next) {
		fmt(t, p->list ? "!%s || !n%s" : "!%s", p->cname, p->cname);
		cond_place(&cs);
	}
	for (const struct param *p = m->results; p; p = p->next) {
		if (p->type.optional) {
			fmt(t, "!has_%s", p->cname);
			cond_place(&cs);
		}
		fmt(t, p->type.kind == TY_BYTES || p->type.kind == TY_LIST ? "!%s || !n%s" : "!%s",
		    p->cname, p->cname);
		cond_place(&cs);
	}
	if (b->len == start) {
		b->len = at;
		return false;
	}
	buf_puts(b, ") {\n");
	return true;
}

/* The outputs of a general call, as C parameters: returned capabilities, results. */
static void put_general_outs(struct buf *b, const struct method *m)
{
	for (const struct param *p = m->outcaps; p; p = p->next) {
		if (p->list)
			fmt(b, ", ipc_cap *%s, size_t *n%s", p->cname, p->cname);
		else
			fmt(b, ", ipc_cap *%s", p->cname);
	}
	for (const struct param *p = m->results; p; p = p->next)
		put_value_param(b, &p->type, p->cname, true);
}

/* ", pages, npages, buf, amt": a general call's inputs as arguments. */
static void put_general_in_args(struct buf *b, const struct method *m)
{
	for (const struct param *p = m->caps; p; p = p->next)
		fmt(b, p->list ? ", %s, n%s" : ", %s", p->cname, p->cname);
	for (const struct param *p = m->params; p; p = p->next) {
		bool counted = p->type.kind == TY_BYTES || p->type.kind == TY_LIST;
		fmt(b, counted ? ", %s, n%s" : ", %s", p->cname, p->cname);
	}
}

static void put_general_out_args(struct buf *b, const struct method *m)
{
	for (const struct param *p = m->outcaps; p; p = p->next)
		fmt(b, p->list ? ", %s, n%s" : ", %s", p->cname, p->cname);
	for (const struct param *p = m->results; p; p = p->next) {
		if (p->type.optional)
			fmt(b, ", has_%s", p->cname);
		bool counted = p->type.kind == TY_BYTES || p->type.kind == TY_LIST;
		fmt(b, counted ? ", %s, n%s" : ", %s", p->cname, p->cname);
	}
}

/* ---- lists, structs and optional values out of line ----------------------------- */

/* A value that goes out of line as its words (a list, a struct, an
 * optional value: ool_as_words). */
static bool is_olist(const struct param *p)
{
	return p->ool && ool_as_words(&p->type);
}

/* A struct among them: a length word of its own before its words in the
 * message (mercury/ipc.h, ipc_obox_begin). */
static bool is_obox(const struct param *p)
{
	return p->ool && ool_boxed(&p->type);
}

/*
 * The C arguments such a value is handed on with, by the name v of its
 * values: a parameter's as given to a client (", x, nx") or to fill
 * (", has_x, x, nx"), or a server's locals, which point into a region:
 * given (", has_a0 ? a0 : NULL, na0"; a list of strings by its pointers,
 * pa0) or to fill (", &has_a0, a0, &na0").
 */
static const char *oval_args(const struct typeref *t, const char *v, bool out, bool local)
{
	struct buf *r = ring_take(&ovals, 2);
	bool counted = t->kind == TY_LIST || t->kind == TY_BYTES;
	const char *arr = local && !out && is_string_list(t) ? "p" : "";
	const char *amp = local && out ? "&" : "";
	if (t->optional && out)
		fmt(r, ", %shas_%s", amp, v);
	if (t->optional && !out && local)
		fmt(r, ", has_%s ? %s%s : NULL", v, arr, v);
	else
		fmt(r, ", %s%s", arr, v);
	if (counted)
		fmt(r, ", %sn%s", amp, v);
	return ring_text(r);
}

static bool has_olist(const struct param *ps)
{
	for (; ps; ps = ps->next)
		if (is_olist(ps))
			return true;
	return false;
}

/* The function of its own that a list that may go out of line is written
 * or read with, over the message's words or over its region's (mercury/
 * ipc.h, struct ipc_olist): "io_dir_list_put_a0_", "io_dir_list_get_r1_"
 * (which: 'a' a parameter, 'r' a result; n its place).  Its name ends in
 * '_', as no C name made from the protocol does. */
static const char *olist_fn(const struct method *m, bool put, char which, unsigned n)
{
	struct buf *r = ring_take(&olists, 2);
	fmt(r, put ? "%s_put_" : "%s_get_", m->cfunc);
	buf_putc(r, which);
	fmt(r, "%u_", n);
	return ring_text(r);
}

/*
 * static bool io_dir_list_put_a0_(struct ipc_words *m, uint32_t *wi,
 *                                 const struct io_dirent *ents, size_t nents)
 * {
 * 	bool ok = true;
 * 	... the list, as put_enc writes it (put_dec: to fill, as a client's result) ...
 * 	return ok;
 * }
 * for each list of ps that may go out of line.
 */
static void gen_olist_fns(struct buf *b, const struct method *m, const struct param *ps, char which,
                          bool put)
{
	unsigned n = 0;
	for (const struct param *p = ps; p; p = p->next, n++) {
		if (!is_olist(p))
			continue;
		fmt(b, "/* %s's '%s': its words, in the message or in a region */\n", m->name, p->name);
		fmt(b, put ? "static bool %s(struct ipc_words *m, uint32_t *wi"
		           : "static bool %s(const struct ipc_words *m, uint32_t *wi", olist_fn(m, put, which, n));
		put_value_param(b, &p->type, p->cname, !put);
		buf_puts(b, ")\n{\n\tbool ok = true;\n\n");
		struct vref r = {put ? VF_PARAM : VF_OUT, p->cname};
		if (put)
			put_enc(b, "\t", &p->type, &r, "m", "wi", true);
		else
			put_dec(b, "\t", &p->type, &r, "m", "wi", true);
		buf_puts(b, "\treturn ok;\n}\n\n");
	}
}

/* A list written inline up to its share, else into a region ool[j]
 * (args: its C values, ", ents, nents"); a struct likewise, by
 * ipc_obox_begin:
 * 	ipc_olist_begin(&olist, m, wi, 40);
 * 	if (ok && !io_dir_list_put_a0_(&olist.c, &olist.w, ents, nents) && ipc_olist_spill(&olist, 70001))
 * 		olist.ok = io_dir_list_put_a0_(&olist.c, &olist.w, ents, nents);
 * 	ok = ok && ipc_olist_end(&olist, m, &wi, &ool[0]); */
static void put_olist_enc(struct buf *b, const char *ind, const struct param *p, const char *fn,
                          const char *args, const char *m, const char *ool)
{
	fmt(b, "%sipc_%s_begin(&olist, %s, wi, %u);\n", ind, is_obox(p) ? "obox" : "olist", m, p->ool_min);
	fmt(b, "%sif (ok && !%s(&olist.c, &olist.w%s) &&\n%s    ipc_olist_spill(&olist, %u))\n", ind, fn,
	    args, ind, (unsigned)type_words(&p->type));
	fmt(b, "%s\tolist.ok = %s(&olist.c, &olist.w%s);\n", ind, fn, args);
	fmt(b, "%sok = ok && ipc_olist_end(&olist, %s, &wi, &%s);\n", ind, m, ool);
}

/* A list read where it stands: its words there (args: where it goes,
 * ", ents, nents"), or the count of words of its region (n), read once the
 * regions are known (put_olist_region); a struct likewise, by ipc_get_obox:
 * 	ok = ok && ipc_get_olist(&olist, in, &wi, 70001, 40, &la0, &oa0);
 * 	ok = ok && (oa0 || (io_dir_list_get_a0_(&olist.c, &wi, a0, &na0) && ipc_olist_fits(&olist, wi))); */
static void put_olist_dec(struct buf *b, const char *ind, const struct param *p, const char *fn,
                          const char *args, const char *m, const char *n, const char *ool)
{
	fmt(b, "%sok = ok && ipc_get_%s(&olist, %s, &wi, %u, %u, &%s, &%s);\n", ind,
	    is_obox(p) ? "obox" : "olist", m, (unsigned)type_words(&p->type), p->ool_min, n, ool);
	fmt(b, "%sok = ok && (%s || (%s(&olist.c, &wi%s) && ipc_olist_fits(&olist, wi)));\n", ind, ool,
	    fn, args);
}

/* 	ok = ok && ipc_olist_map(&olist, cap, la0) && io_dir_list_get_a0_(&olist.c, &olist.w, a0, &na0);
 * 	ok = ipc_olist_unmap(&olist, ok); */
static void put_olist_region(struct buf *b, const char *ind, const char *fn, const char *args,
                             const char *cap, const char *n)
{
	fmt(b, "%sok = ok && ipc_olist_map(&olist, %s, %s) && %s(&olist.c, &olist.w%s);\n"
	       "%sok = ipc_olist_unmap(&olist, ok);\n", ind, cap, n, fn, args, ind);
}

/* A side's values as given (", x, nx"), those that may go out of line
 * into a region ool[j] when long:
 * 	ok = ok && ipc_put_ool(m, &wi, data, ndata, 1048576, false, &ool[0]); */
static void put_ool_enc(struct buf *b, const char *ind, const struct method *me, const struct param *ps,
                        char which, const char *m)
{
	unsigned j = 0, n = 0;
	for (const struct param *p = ps; p; p = p->next, n++) {
		struct vref r = {VF_PARAM, p->cname};
		if (is_olist(p)) {
			char ool[24];
			sfmt(ool, sizeof ool, "ool[%u]", j);
			put_olist_enc(b, ind, p, olist_fn(me, true, which, n), oval_args(&p->type, p->cname, false, false),
			              m, ool);
			j++;
		} else if (p->ool && p->type.kind == TY_STRING)
			fmt(b, "%sok = ok && ipc_put_str_ool(%s, &wi, %s, %u, %u, &ool[%u]);\n", ind, m, p->cname,
			    (unsigned)p->type.bound, p->ool_min, j++);
		else if (p->ool)
			fmt(b, "%sok = ok && ipc_put_ool(%s, &wi, %s, n%s, %u, %u, false, &ool[%u]);\n", ind, m,
			    p->cname, p->cname, (unsigned)p->type.bound, p->ool_min, j++);
		else
			put_enc(b, ind, &p->type, &r, m, "&wi", false);
	}
}

/*
 * A client's call, in functions of a few lines each over two that know
 * the wire:
 * 	static int fs_node_open_pack(struct ipc_msg *m, ...)   (the request; IPC_EINVAL if
 * 	                                                       an argument is invalid)
 * 	int fs_node_open(ipc_cap ep, ...)                      (pack, ipc_call, finish)
 * 	int fs_node_open_async_start(ipc_cap ep, ...)          (pack, ipc_call_start)
 * 	int fs_node_open_async_cb(ipc_cap ep, ...)             (pack, ipc_call_start_cb)
 * 	int fs_node_open_async_wait(ipc_cap ep, call, ...)     (ipc_call_wait, finish)
 * 	int fs_node_open_async_finish(int status, reply, ...)  (the reply, validated)
 * A send has the first two only.
 */
static void gen_client_call(struct buf *b, const struct method *m)
{
	buf_spill(b);
	const struct param *cl = m->caplist, *ol = m->outlist;
	unsigned k = m->ncaps_fixed, nout = m->nout_fixed;
	gen_olist_fns(b, m, m->params, 'a', true);
	gen_olist_fns(b, m, m->results, 'r', false);
	/* pack: it fails only for a value it is given that is wrong */
	bool fixed = fixed_words(m->params) && !m->capshape;
	bool sure = fixed && !cl && !fixed_checked(m->params);
	fmt(b, sure ? "static void %s_pack(struct ipc_msg *m" : "static int %s_pack(struct ipc_msg *m",
	    m->cfunc);
	put_in_params(b, m);
	bool words = !fixed && (m->params || m->capshape);
	buf_puts(b, words ? ")\n{\n\tuint32_t wi = 0;\n\tbool ok = true;\n" : ")\n{\n");
	if (has_olist(m->params))
		buf_puts(b, "\tstruct ipc_olist olist;\n");
	if (m->nool_in)   /* the regions of values too long for the words */
		fmt(b, "\tipc_cap ool[%u];\n\n\tipc_caps_none(ool, %u);\n", m->nool_in, m->nool_in);
	else if (words)
		buf_putc(b, '\n');
	if (cl) {
		fmt(b, "\tif (n%s > %s || (!%s && n%s)) {\n", cl->cname, caplim(k + m->nool_in), cl->cname, cl->cname);
		put_give_up(b, m, "\t\t", "IPC_EINVAL");
		buf_puts(b, "\t}\n");
	}
	if (m->capshape && has_cap_list(m->caps)) {   /* every list there and within bounds, then all together */
		buf_puts(b, "\tif (");
		for (const struct param *p = m->caps; p; p = p->next)
			if (p->list)
				fmt(b, "(!%s && n%s) || n%s > IPC_MAX_CAPS ||\n\t    ", p->cname, p->cname, p->cname);
		put_shape_count(b, m->caps, cap_param_name);
		fmt(b, " > %s) {\n", caplim(m->nool_in));
		put_give_up(b, m, "\t\t", "IPC_EINVAL");
		buf_puts(b, "\t}\n");
	}
	if (fixed && fixed_checked(m->params)) {
		put_fixed_invalid(b, "\t", m->params, NULL, "");
		buf_puts(b, " {\n");
		put_give_up(b, m, "\t\t", "IPC_EINVAL");
		buf_puts(b, "\t}\n");
	}
	fmt(b, "\tipc_msg_init(m, %s, %u, %u);\n", m->clabel, fixed ? m->nparams : 0,
	    cl || m->capshape ? 0 : k);
	if (fixed)
		put_fixed_enc(b, "\t", m->params, "m->", NULL, false);
	if (m->capshape)
		put_shape_enc(b, "\t", m->caps, "m", cap_param_name);
	if (!fixed)
		put_ool_enc(b, "\t", m, m->params, 'a', "m");
	if (words) {
		buf_puts(b, "\tif (!ok) {\n");
		if (m->nool_in)
			fmt(b, "\t\tipc_drop_made(ool, %u);\n", m->nool_in);
		put_give_up(b, m, "\t\t", "IPC_EINVAL");
		buf_puts(b, "\t}\n\tm->nwords = wi;\n");
	}
	unsigned c = 0;
	if (m->capshape)
		put_shape_caps(b, "\t", m->caps, "m->", cap_param_name, false);
	for (const struct param *p = m->caps; !m->capshape && p && !p->list; p = p->next, c++)
		fmt(b, "\tm->cap[%u] = %s;\n", c, p->cname);
	if (cl)
		fmt(b, "\tipc_put_caps(m, %u, %s, n%s);\n", k, cl->cname, cl->cname);
	if (m->nool_in)
		fmt(b, "\tipc_put_ool_caps(m, ool, %u);\n", m->nool_in);
	buf_puts(b, sure ? "}\n\n" : "\treturn 0;\n}\n\n");

	/* the call itself: pack, ipc_call, finish */
	put_client_proto(b, m);
	buf_puts(b, sure ? "\n{\n\tstruct ipc_msg m;\n\n" : "\n{\n\tstruct ipc_msg m;\n\tint st;\n\n");
	if (put_out_checks(b, m)) {
		put_give_up(b, m, "\t\t", "IPC_EINVAL");
		buf_puts(b, "\t}\n");
	}
	/* the arguments it passes on, made once: pack's thrice, finish's twice */
	struct buf *in = &args_in, *out = &args_out;
	in->len = out->len = 0;
	put_general_in_args(in, m);
	fmt(b, sure ? "\t%s_pack(&m" : "\tif ((st = %s_pack(&m", m->cfunc);
	buf_putn(b, in->data, in->len);
	buf_puts(b, sure ? ");\n" : ")) != 0)\n\t\treturn st;\n");
	if (m->kind == M_SEND) {
		buf_puts(b, "\treturn ipc_send(ep, &m);\n}\n\n");
		return;
	}
	put_general_out_args(out, m);
	fmt(b, "\treturn %s_async_finish(ipc_call(ep, &m), &m", m->cfunc);
	buf_putn(b, out->data, out->len);
	buf_puts(b, ");\n}\n\n");

	/* the split form: _async_start and _async_cb pack and start */
	for (enum split k = SPLIT_START; k <= SPLIT_ASYNC; k++) {
		put_split_proto(b, m, k);
		fmt(b, sure ? "\n{\n\tstruct ipc_msg m;\n\n\t%s_pack(&m"
		            : "\n{\n\tstruct ipc_msg m;\n\tint st;\n\n\tif ((st = %s_pack(&m", m->cfunc);
		buf_putn(b, in->data, in->len);
		buf_puts(b, sure ? ");\n"
		                 : ")) != 0) {\n\t\tif (call)\n\t\t\t*call = IPC_CALL_NONE;\n\t\treturn st;\n\t}\n");
		buf_puts(b, k == SPLIT_START ? "\treturn ipc_call_start(ep, &m, timeout_ms, call);\n}\n\n"
		                             : "\treturn ipc_call_start_cb(ep, &m, timeout_ms, done, fn, arg, call);\n}\n\n");
	}

	/* _async_wait: its outputs checked first, so that a bad one leaves the
	 * call outstanding; _async_finish hands on any status but 0, IPC_EAGAIN
	 * (not ended yet) too */
	put_split_proto(b, m, SPLIT_WAIT);
	buf_puts(b, "\n{\n\tstruct ipc_msg m;\n\n");
	if (put_out_checks(b, m))
		buf_puts(b, "\t\treturn IPC_EINVAL;\n\t}\n");
	fmt(b, "\treturn %s_async_finish(ipc_call_wait(ep, call, &m, timeout_ms), &m", m->cfunc);
	buf_putn(b, out->data, out->len);
	buf_puts(b, ");\n}\n\n");

	/* _async_finish: the reply validated exactly, its capabilities the caller's on success only */
	put_split_proto(b, m, SPLIT_FINISH);
	bool rfixed = fixed_results(m);
	bool rwords = !rfixed && (m->results || m->outshape);
	unsigned nrfixed = 0;
	for (const struct param *p = rfixed ? m->results : NULL; p; p = p->next)
		nrfixed++;
	buf_puts(b, rwords ? "\n{\n\tuint32_t wi = 0;\n\tbool ok = true;\n\tint st;\n"
	                   : "\n{\n\tint st;\n");
	unsigned nshape = 0;   /* a shaped section's words: cn[] */
	for (const struct param *p = m->outshape ? m->outcaps : NULL; p; p = p->next)
		nshape += p->list || p->type.optional;
	if (nshape)
		fmt(b, "\tsize_t cn[%u];\n", nshape);
	unsigned K = m->nool_out;
	bool blobs = false;   /* byte arrays or strings that may be out of line: inline at oref[] */
	for (const struct param *p = m->results; p; p = p->next)
		blobs |= p->ool && !is_olist(p);
	if (K && blobs)   /* each value that may be out of line: whether it is, where, how long */
		fmt(b, "\tbool ool[%u] = {0};\n\tconst void *oref[%u] = {0};\n\tsize_t olen[%u] = {0};\n", K, K, K);
	else if (K)
		fmt(b, "\tbool ool[%u] = {0};\n\tsize_t olen[%u] = {0};\n", K, K);
	if (has_olist(m->results))
		buf_puts(b, "\tstruct ipc_olist olist;\n");
	buf_puts(b, "\n\tif (status != 0)\n\t\treturn status;\n");
	if (put_out_checks(b, m))
		buf_puts(b, "\t\treturn ipc_drop_caps(reply->cap, reply->ncaps, IPC_EINVAL);\n\t}\n");
	if (rfixed)
		fmt(b, "\tif ((st = ipc_reply_check(reply, %u, %u, %u, ", nrfixed, nrfixed, nout);
	else
		fmt(b, "\tif ((st = ipc_reply_check(reply, 0, %s, %u, ", rwords ? "IPC_MAX_WORDS" : "0",
		    m->outshape ? 0 : nout);
	if (ol || m->outshape || K)
		buf_puts(b, "IPC_MAX_CAPS)) != 0)\n");
	else
		fmt(b, "%u)) != 0)\n", nout);
	if (m->raises) {
		PUT(b, "\t\treturn st > 0 && !(");
		put_declared(b, m, "st");
		PUT(b, ") ? IPC_EPROTO : st;\n");
	} else {
		PUT(b, "\t\treturn st > 0 ? IPC_EPROTO : st;\n");
	}
	unsigned j = 0;
	for (const struct param *p = m->outshape ? m->outcaps : NULL; p; p = p->next)
		if (p->list || p->type.optional)   /* a presence is a count of at most 1 */
			fmt(b, "\tok = ok && ipc_get_count(reply, &wi, %s, &cn[%u]);\n",
			    p->list ? "IPC_MAX_CAPS" : "1", j++);
	if (rfixed && m->results) {   /* the words there are, each read with its decoder */
		const char *sep = "\tif (";
		unsigned i = 0;
		for (const struct param *p = m->results; p; p = p->next, i++) {
			fmt(b, "%s!%s(reply->word[%u], %s)", sep, decoder(&p->type), i, p->cname);
			sep = " ||\n\t    ";
		}
		buf_puts(b, ")\n\t\treturn ipc_drop_caps(reply->cap, reply->ncaps, IPC_EPROTO);\n");
	}
	unsigned jo = 0, n = 0;
	for (const struct param *p = rfixed ? NULL : m->results; p; p = p->next, n++) {
		struct vref r = {VF_OUT, p->cname};
		char at[2][24];
		sfmt(at[0], sizeof at[0], "olen[%u]", jo);
		sfmt(at[1], sizeof at[1], "ool[%u]", jo);
		if (is_olist(p)) {   /* its words now, or its region below */
			put_olist_dec(b, "\t", p, olist_fn(m, false, 'r', n), oval_args(&p->type, p->cname, true, false),
			              "reply", at[0], at[1]);
			jo++;
			continue;
		}
		if (p->ool) {   /* inline: copied now; in a region: read below */
			fmt(b, "\tok = ok && ipc_get_ool(reply, &wi, %u, %u, &oref[%u], &olen[%u], &ool[%u]);\n"
			       "\tok = ok && (ool[%u] || ipc_copy_in(%s, oref[%u], olen[%u], %s));\n",
			    (unsigned)p->type.bound, p->ool_min, jo, jo, jo, jo, p->cname, jo, jo,
			    p->type.kind == TY_STRING ? "true" : "false");
			jo++;
			continue;
		}
		put_dec(b, "\t", &p->type, &r, "reply", "&wi", false);
	}
	if (K) {   /* the regions are the last capabilities */
		buf_puts(b, "\tuint32_t nool = 0");
		for (jo = 0; jo < K; jo++)
			fmt(b, " + ool[%u]", jo);
		buf_puts(b, ";\n\tok = ok && reply->ncaps >= nool;\n");
		if (!m->outshape && !ol)
			fmt(b, "\tok = ok && reply->ncaps - nool == %u;\n", nout);
		else if (!m->outshape && nout)
			fmt(b, "\tok = ok && reply->ncaps - nool >= %u;\n", nout);
		buf_puts(b, "\tuint32_t oi = reply->ncaps - nool;\n");
		jo = 0;
		n = 0;
		for (const struct param *p = m->results; p; p = p->next, n++) {
			if (!p->ool)
				continue;
			if (is_olist(p)) {
				char len[24];
				sfmt(len, sizeof len, "olen[%u]", jo);
				fmt(b, "\tif (ok && ool[%u]) {\n", jo);
				put_olist_region(b, "\t\t", olist_fn(m, false, 'r', n),
				                 oval_args(&p->type, p->cname, true, false), "reply->cap[oi++]", len);
				buf_puts(b, "\t}\n");
				jo++;
				continue;
			}
			bool str = p->type.kind == TY_STRING;
			fmt(b, "\tif (ok && ool[%u])\n\t\tok = ipc_ool_read(reply->cap[oi++], %s, olen[%u]%s) == 0",
			    jo, p->cname, jo, str ? " + 1" : "");
			if (str)
				fmt(b, " &&\n\t\t     ipc_str_valid(%s, olen[%u])", p->cname, jo);
			buf_puts(b, ";\n");
			jo++;
		}
	}
	if (m->outshape) {
		buf_puts(b, K ? "\tok = ok && reply->ncaps - nool == " : "\tok = ok && reply->ncaps == ");
		if (m->nout_fixed)
			fmt(b, "%u + ", m->nout_fixed);
		for (j = 0; j < nshape; j++)
			fmt(b, j ? " + cn[%u]" : "cn[%u]", j);
		buf_puts(b, ";\n");
	}
	/* Refused: no count or presence it decoded stays set. */
	size_t resets = 0;
	for (const struct param *p = m->results; p; p = p->next)
		resets += p->type.optional || p->type.kind == TY_BYTES || p->type.kind == TY_LIST;
	if (rwords && resets) {
		buf_puts(b, "\tif (!ok || wi != reply->nwords) {\n");
		for (const struct param *p = m->results; p; p = p->next) {
			if (p->type.optional)
				fmt(b, "\t\t*has_%s = false;\n", p->cname);
			if (p->type.kind == TY_BYTES || p->type.kind == TY_LIST)
				fmt(b, "\t\t*n%s = 0;\n", p->cname);
		}
		buf_puts(b, "\t\treturn ipc_drop_caps(reply->cap, reply->ncaps, IPC_EPROTO);\n\t}\n");
	} else if (rwords) {
		buf_puts(b, "\tif (!ok || wi != reply->nwords)\n\t\treturn ipc_drop_caps(reply->cap, reply->ncaps, IPC_EPROTO);\n");
	}
	if (K) {   /* read: the regions' capabilities go, the lengths are the caller's */
		buf_puts(b, "\tipc_drop_caps(reply->cap + reply->ncaps - nool, nool, 0);\n\treply->ncaps -= nool;\n");
		jo = 0;
		for (const struct param *p = m->results; p; p = p->next) {
			if (p->ool && !is_olist(p) && p->type.kind == TY_BYTES)
				fmt(b, "\t*n%s = olen[%u];\n", p->cname, jo);
			jo += p->ool;
		}
	}
	if (m->outshape) {
		buf_puts(b, "\tuint32_t ci = 0;\n");
		j = 0;
		for (const struct param *p = m->outcaps; p; p = p->next) {
			if (p->list)
				fmt(b, "\tfor (size_t ix = 0; ix < cn[%u]; ix++)\n\t\t%s[ix] = reply->cap[ci++];\n"
				       "\t*n%s = cn[%u];\n", j, p->cname, p->cname, j);
			else if (p->type.optional)
				fmt(b, "\t*%s = cn[%u] ? reply->cap[ci++] : IPC_CAP_NONE;\n", p->cname, j);
			else
				fmt(b, "\t*%s = reply->cap[ci++];\n", p->cname);
			j += p->list || p->type.optional;
		}
		buf_puts(b, "\treturn 0;\n}\n\n");
		return;
	}
	c = 0;
	for (const struct param *p = m->outcaps; p && !p->list; p = p->next, c++)
		fmt(b, "\t*%s = reply->cap[%u];\n", p->cname, c);
	if (ol)
		fmt(b, "\tipc_get_caps(reply, %u, %s, n%s);\n", nout, ol->cname, ol->cname);
	buf_puts(b, "\treturn 0;\n}\n\n");
}

/* 	ipc_ool_free(&ma0);   the regions of ps's values that may be out of line
 * (which: "a" parameters, "r" results) */
static void put_ool_frees(struct buf *b, const char *ind, const struct param *ps, const char *which)
{
	unsigned n = 0;
	for (const struct param *p = ps; p; p = p->next, n++)
		if (p->ool)
			fmt(b, "%sipc_ool_free(&m%s%u);\n", ind, which, n);
}

/* What a server's local for a value out of line as its words points to:
 * "struct fs_dirent" (a list's element, a struct), "uint8_t", "char". */
static void put_oval_ctype(struct buf *b, const struct typeref *t)
{
	if (t->kind == TY_LIST)
		t = t->elem;
	if (t->kind == TY_BYTES)
		buf_puts(b, "uint8_t");
	else
		put_ctype(b, t);
}

/* How many of them its region holds: a list's bound, a byte array's, a
 * string's and its NUL, one struct. */
static unsigned oval_count(const struct typeref *t)
{
	return t->kind == TY_LIST || t->kind == TY_BYTES ? (unsigned)t->bound
	     : t->kind == TY_STRING ? (unsigned)t->bound + 1 : 1;
}

/* A server's local for a value out of line as its words (v: "a0", "r1"),
 * its C value in a region of its own (the bound's would not suit a
 * stack):
 * 	bool has_a0 = false;             (optional)
 * 	struct fs_dirent *a0 = NULL;     char (*a0)[33] = NULL; const char **pa0 = NULL;
 * 	size_t na0 = 0;                  (a list or a byte array)
 * 	struct ipc_ool ma0 = IPC_OOL_INIT; */
static void put_olist_local(struct buf *b, const struct param *p, const char *v)
{
	const struct typeref *t = &p->type;
	if (t->optional)
		fmt(b, "\t\tbool has_%s = false;\n", v);
	buf_puts(b, "\t\t");
	if (is_string_list(t)) {
		fmt(b, "char (*%s)[%u] = NULL;\n\t\tconst char **p%s = NULL;\n", v, (unsigned)t->elem->bound + 1, v);
	} else {
		put_oval_ctype(b, t);
		fmt(b, " *%s = NULL;\n", v);
	}
	if (t->kind == TY_LIST || t->kind == TY_BYTES)
		fmt(b, "\t\tsize_t n%s = 0;\n", v);
	fmt(b, "\t\tstruct ipc_ool m%s = IPC_OOL_INIT;\n", v);
}

/* The region for it: "ipc_ool_alloc(sizeof *a0 * 10000, &ma0)" (a list
 * of strings': its pointers too; a struct's: "sizeof *a0"). */
static void put_olist_alloc(struct buf *b, const struct param *p, const char *v)
{
	unsigned n = oval_count(&p->type);
	if (is_string_list(&p->type))
		fmt(b, "ipc_ool_alloc((sizeof *p%s + sizeof *%s) * %u, &m%s)", v, v, n, v);
	else if (n == 1)
		fmt(b, "ipc_ool_alloc(sizeof *%s, &m%s)", v, v);
	else
		fmt(b, "ipc_ool_alloc(sizeof *%s * %u, &m%s)", v, n, v);
}

/* Where the locals point in it, zeroes:
 * 	a0 = (struct fs_dirent *)ma0.addr;
 * 	pa0 = (const char **)ma0.addr;  a0 = (char (*)[33])(void *)(pa0 + 10000); */
static void put_olist_point(struct buf *b, const char *ind, const struct param *p, const char *v)
{
	const struct typeref *e = p->type.elem;
	if (is_string_list(&p->type)) {
		fmt(b, "%sp%s = (const char **)m%s.addr;\n%s%s = (char (*)[%u])(void *)(p%s + %u);\n",
		    ind, v, v, ind, v, (unsigned)e->bound + 1, v, (unsigned)p->type.bound);
		return;
	}
	fmt(b, "%s%s = (", ind, v);
	put_oval_ctype(b, &p->type);
	fmt(b, " *)m%s.addr;\n", v);
}

/*
 * A server's case for a call with language 2's values: the arguments
 * decoded into locals (a0, ...) exactly, the implementation called, its
 * results (r0, ...) encoded; an invalid result is its fault (IPC_EFAULT).
 */
/* "a0", "r12", "la3": a server's local for its n-th parameter or result,
 * or one that goes with it (prefix, at most 3 letters), in name. */
static const char *local_name(char name[static 16], const char *prefix, unsigned n)
{
	char digits[10], *t = digits + sizeof digits, *o = name;
	do *--t = (char)('0' + n % 10); while (n /= 10);
	while (*prefix)
		*o++ = *prefix++;
	while (t < digits + sizeof digits)
		*o++ = *t++;
	*o = 0;
	return name;
}

static void gen_server_case(struct buf *b, const struct method *m)
{
	buf_spill(b);
	const struct param *cl = m->caplist, *ol = m->outlist;
	unsigned k = m->ncaps_fixed, nout = m->nout_fixed;
	char name[32];
	fmt(b, "\tcase %s: {\n", m->clabel);
	unsigned n = 0;
	for (const struct param *p = m->params; p; p = p->next, n++) {
		local_name(name, "a", n);
		if (is_olist(p)) {   /* in the message's words or a region's, its elements in a region */
			put_olist_local(b, p, name);
			fmt(b, "\t\tsize_t la%u = 0;\n\t\tbool oa%u = false;\n", n, n);
			continue;
		}
		if (p->ool) {   /* in the message's words, in a region, or copied (a short string) */
			fmt(b, p->type.kind == TY_STRING
			       ? "\t\tconst char *a%u = NULL;\n\t\tchar ba%u[%u];\n"
			       : "\t\tconst uint8_t *a%u = NULL;\n", n, n, p->ool_min + 1);
			fmt(b, "\t\tconst void *ra%u = NULL;\n\t\tsize_t na%u = 0;\n\t\tbool oa%u = false;\n"
			       "\t\tstruct ipc_ool ma%u = IPC_OOL_INIT;\n", n, n, n, n);
			continue;
		}
		put_storage(b, "\t\t", &p->type, name, false);
		if (p->type.optional && (p->type.kind == TY_BYTES || p->type.kind == TY_LIST))
			fmt(b, "\t\tn%s = 0;   /* handed on even when absent */\n", name);
		if (is_string_list(&p->type))
			fmt(b, "\t\tconst char *pa%u[%u];\n", n, (unsigned)p->type.bound);
	}
	n = 0;
	for (const struct param *p = m->results; p; p = p->next, n++) {
		local_name(name, "r", n);
		if (is_olist(p))   /* the implementation writes into a region, zeroed */
			put_olist_local(b, p, name);
		else if (p->ool)   /* the implementation writes into a region, zeroed */
			fmt(b, p->type.kind == TY_STRING
			       ? "\t\tstruct ipc_ool mr%u = IPC_OOL_INIT;\n\t\tchar *r%u = NULL;\n"
			       : "\t\tstruct ipc_ool mr%u = IPC_OOL_INIT;\n\t\tuint8_t *r%u = NULL;\n\t\tsize_t nr%u = 0;\n",
			    n, n, n);
		else
			put_storage(b, "\t\t", &p->type, name, true);
	}
	n = 0;
	for (const struct param *p = m->results; p; p = p->next, n++)
		if (!p->ool)
			put_zero(b, "\t\t", &p->type, n);
	if (m->nool_out)
		fmt(b, "\t\tipc_cap oor[%u];\n\t\tipc_caps_none(oor, %u);\n", m->nool_out, m->nool_out);
	if (has_olist(m->params) || has_olist(m->results))
		buf_puts(b, "\t\tstruct ipc_olist olist;\n");
	put_server_oc(b, m);
	/* What the request must carry: its capabilities, and its words exactly
	 * (checked as they are decoded). */
	char badbuf[64];
	const char *bad;
	n = 0;
	for (const struct param *p = m->capshape ? m->caps : NULL; p; p = p->next, n++)
		if (p->list || p->type.optional)
			fmt(b, "\t\tsize_t nc%u;\n", n);
	bool rfixed = fixed_results(m);   /* written in place */
	bool rwords = !rfixed && (m->results || m->outshape);
	if (m->params || rwords || m->capshape)
		buf_puts(b, "\t\tuint32_t wi = 0;\n");
	if (m->capshape) {   /* the capabilities' words first: a presence is a count of at most 1 */
		bad = "!ok || wi != in->nwords";
		buf_puts(b, "\t\tbool ok = true;\n\n");
		n = 0;
		for (const struct param *p = m->caps; p; p = p->next, n++)
			if (p->list || p->type.optional)
				fmt(b, "\t\tok = ok && ipc_get_count(in, &wi, %s, &nc%u);\n",
				    p->list ? "IPC_MAX_CAPS" : "1", n);
	} else if (m->nool_in) {   /* the capabilities counted once the regions are known */
		bad = "!ok || wi != in->nwords";
		buf_puts(b, "\t\tbool ok = true;\n\n");
	} else if (m->params) {
		bad = "!ok || wi != in->nwords";
		if (!cl)
			fmt(b, "\t\tbool ok = in->ncaps == %u;\n\n", k);
		else if (k)
			fmt(b, "\t\tbool ok = in->ncaps >= %u;\n\n", k);
		else
			buf_puts(b, "\t\tbool ok = true;\n\n");
	} else {
		if (!cl)
			bad = sfmt(badbuf, sizeof badbuf, "in->nwords != 0 || in->ncaps != %u", k);
		else if (k)
			bad = sfmt(badbuf, sizeof badbuf, "in->nwords != 0 || in->ncaps < %u", k);
		else
			bad = "in->nwords != 0";
		if (rwords)
			buf_puts(b, "\t\tbool ok = true;\n\n");
	}
	if (has_olist(m->params)) {   /* the lists' elements, before their words are read */
		buf_puts(b, "\t\tif (");
		const char *sep = "";
		n = 0;
		for (const struct param *p = m->params; p; p = p->next, n++)
			if (is_olist(p)) {
				buf_puts(b, sep);
				local_name(name, "a", n);
				put_olist_alloc(b, p, name);
				buf_puts(b, " != 0");
				sep = " ||\n\t\t    ";
			}
		buf_puts(b, ") {\n");
		put_ool_frees(b, "\t\t\t", m->params, "a");
		buf_puts(b, m->kind == M_SEND ? "\t\t\tipc_reject(in, out, IPC_ENOMEM);\n\t\t\treturn IPC_DEFERRED;\n\t\t}\n"
		                              : "\t\t\treturn ipc_reject(in, out, IPC_ENOMEM);\n\t\t}\n");
		n = 0;
		for (const struct param *p = m->params; p; p = p->next, n++)
			if (is_olist(p)) {
				local_name(name, "a", n);
				put_olist_point(b, "\t\t", p, name);
			}
	}
	n = 0;
	for (const struct param *p = m->params; p; p = p->next, n++) {
		local_name(name, "a", n);
		struct vref r = {VF_LOCAL, name};
		if (is_olist(p)) {   /* its words now, or its region below */
			char at[2][24];
			local_name(at[0], "la", n);
			local_name(at[1], "oa", n);
			put_olist_dec(b, "\t\t", p, olist_fn(m, false, 'a', n), oval_args(&p->type, name, true, true),
			              "in", at[0], at[1]);
			continue;
		}
		if (p->ool && p->type.kind == TY_STRING) {
			fmt(b, "\t\tok = ok && ipc_get_ool(in, &wi, %u, %u, &ra%u, &na%u, &oa%u);\n"
			       "\t\tok = ok && (oa%u || ipc_copy_in(ba%u, ra%u, na%u, true));\n\t\ta%u = ba%u;\n",
			    (unsigned)p->type.bound, p->ool_min, n, n, n, n, n, n, n, n, n);
			continue;
		} else if (p->ool) {
			fmt(b, "\t\tok = ok && ipc_get_ool(in, &wi, %u, %u, &ra%u, &na%u, &oa%u);\n\t\ta%u = (const uint8_t *)ra%u;\n",
			    (unsigned)p->type.bound, p->ool_min, n, n, n, n, n, n);
			continue;
		}
		put_dec(b, "\t\t", &p->type, &r, "in", "&wi", false);
		if (is_string_list(&p->type))
			fmt(b, "\t\tfor (size_t ix = 0; ok && ix < na%u; ix++)\n\t\t\tpa%u[ix] = a%u[ix];\n",
			    n, n, n);
	}
	if (m->nool_in) {   /* its regions are the last capabilities */
		buf_puts(b, "\t\tuint32_t nool = 0");
		n = 0;
		for (const struct param *p = m->params; p; p = p->next, n++)
			if (p->ool)
				fmt(b, " + oa%u", n);
		buf_puts(b, ";\n\t\tok = ok && in->ncaps >= nool;\n");
		if (!m->capshape && !cl)
			fmt(b, "\t\tok = ok && in->ncaps - nool == %u;\n", k);
		else if (!m->capshape && k)
			fmt(b, "\t\tok = ok && in->ncaps - nool >= %u;\n", k);
	}
	if (m->capshape) {   /* exactly the capabilities the words say */
		buf_puts(b, m->nool_in ? "\t\tok = ok && in->ncaps - nool == " : "\t\tok = ok && in->ncaps == ");
		const char *plus = "";
		if (k) {
			fmt(b, "%u", k);
			plus = " + ";
		}
		n = 0;
		for (const struct param *p = m->caps; p; p = p->next, n++)
			if (p->list || p->type.optional) {
				fmt(b, "%snc%u", plus, n);
				plus = " + ";
			}
		buf_puts(b, ";\n");
	}
	if (has_olist(m->params)) {   /* the lists' regions released first */
		fmt(b, "\t\tif (%s || !vt->%s) {\n", bad, m->field);
		put_ool_frees(b, "\t\t\t", m->params, "a");
		fmt(b, "\t\t\t%sipc_reject(in, out, (%s) ? IPC_EPROTO : IPC_ENOSYS);\n%s\t\t}\n",
		    m->kind == M_SEND ? "" : "return ", bad,
		    m->kind == M_SEND ? "\t\t\treturn IPC_DEFERRED;\n" : "");
	} else if (m->kind == M_SEND) {
		fmt(b, "\t\tif (%s) {\n\t\t\tipc_reject(in, out, IPC_EPROTO);\n\t\t\treturn IPC_DEFERRED;\n\t\t}\n"
		       "\t\tif (!vt->%s) {\n\t\t\tipc_reject(in, out, IPC_ENOSYS);\n\t\t\treturn IPC_DEFERRED;\n\t\t}\n",
		    bad, m->field);
	} else {
		fmt(b, "\t\tif (%s)\n\t\t\tbreak;\n"
		       "\t\tif (!vt->%s)\n\t\t\treturn ipc_reject(in, out, IPC_ENOSYS);\n", bad, m->field);
	}
	if (m->nool_out) {   /* regions for the results, before anything is taken from the request */
		buf_puts(b, "\t\tok = true");
		n = 0;
		for (const struct param *p = m->results; p; p = p->next, n++) {
			if (is_olist(p)) {
				buf_puts(b, " &&\n\t\t     ");
				local_name(name, "r", n);
				put_olist_alloc(b, p, name);
				buf_puts(b, " == 0");
			} else if (p->ool) {
				fmt(b, " &&\n\t\t     ipc_ool_alloc(%u, &mr%u) == 0", (unsigned)p->type.bound +
				    (p->type.kind == TY_STRING), n);
			}
		}
		buf_puts(b, ";\n\t\tif (!ok) {\n");
		if (has_olist(m->params))
			put_ool_frees(b, "\t\t\t", m->params, "a");
		put_ool_frees(b, "\t\t\t", m->results, "r");
		buf_puts(b, "\t\t\treturn ipc_reject(in, out, IPC_ENOMEM);\n\t\t}\n");   /* a call: a send has no results */
		n = 0;
		for (const struct param *p = m->results; p; p = p->next, n++)
			if (is_olist(p)) {
				local_name(name, "r", n);
				put_olist_point(b, "\t\t", p, name);
			} else if (p->ool)
				fmt(b, p->type.kind == TY_STRING ? "\t\tr%u = (char *)mr%u.addr;\n"
				                                 : "\t\tr%u = (uint8_t *)mr%u.addr;\n", n, n);
	}
	if (m->nool_in) {   /* the request's regions mapped and checked, their capabilities released */
		buf_puts(b, "\t\tuint32_t oi = in->ncaps - nool;\n");
		n = 0;
		for (const struct param *p = m->params; p; p = p->next, n++) {
			if (!p->ool)
				continue;
			local_name(name, "a", n);
			if (is_olist(p)) {
				char len[24];
				local_name(len, "la", n);
				fmt(b, "\t\tif (oa%u) {\n", n);
				put_olist_region(b, "\t\t\t", olist_fn(m, false, 'a', n),
				                 oval_args(&p->type, name, true, true), "in->cap[oi++]", len);
				buf_puts(b, "\t\t}\n");
				if (is_string_list(&p->type))
					fmt(b, "\t\tfor (size_t ix = 0; ok && ix < na%u; ix++)\n\t\t\tpa%u[ix] = a%u[ix];\n",
					    n, n, n);
				continue;
			}
			bool str = p->type.kind == TY_STRING;
			fmt(b, "\t\tif (oa%u) {\n\t\t\tok = ok && ipc_ool_map(in->cap[oi++], na%u%s, &ma%u) == 0;\n",
			    n, n, str ? " + 1" : "", n);
			if (str)
				fmt(b, "\t\t\tok = ok && ipc_str_valid((const char *)ma%u.addr, na%u);\n", n, n);
			fmt(b, str ? "\t\t\ta%u = (const char *)ma%u.addr;\n\t\t}\n"
			           : "\t\t\ta%u = (const uint8_t *)ma%u.addr;\n\t\t}\n", n, n);
		}
		buf_puts(b, "\t\tif (!ok) {\n");
		put_ool_frees(b, "\t\t\t", m->params, "a");
		put_ool_frees(b, "\t\t\t", m->results, "r");
		buf_puts(b, m->kind == M_SEND ? "\t\t\tipc_reject(in, out, IPC_EPROTO);\n\t\t\treturn IPC_DEFERRED;\n\t\t}\n"
		                              : "\t\t\tbreak;\n\t\t}\n");
		buf_puts(b, "\t\tipc_drop_caps(in->cap + in->ncaps - nool, nool, 0);\n");
	}
	if (m->capshape) {   /* 	ipc_cap c0 = in->cap[ci++];   ipc_cap c1 = nc1 ? in->cap[ci++] : IPC_CAP_NONE; */
		buf_puts(b, "\t\tuint32_t ci = 0;\n");
		n = 0;
		for (const struct param *p = m->caps; p; p = p->next, n++) {
			if (p->list && p->next)
				fmt(b, "\t\tconst ipc_cap *c%u = in->cap + ci;\n\t\tci += (uint32_t)nc%u;\n", n, n);
			else if (p->list)
				fmt(b, "\t\tconst ipc_cap *c%u = in->cap + ci;\n", n);
			else if (p->type.optional)
				fmt(b, "\t\tipc_cap c%u = nc%u ? in->cap[ci++] : IPC_CAP_NONE;\n", n, n);
			else
				fmt(b, "\t\tipc_cap c%u = in->cap[ci++];\n", n);
		}
	}
	fmt(b, m->kind == M_CALL ? "\t\tst = vt->%s(self" : "\t\tvt->%s(self", m->field);
	put_server_cap_args(b, m);
	n = 0;
	for (const struct param *p = m->params; p; p = p->next, n++) {
		local_name(name, "a", n);
		if (is_olist(p))   /* pointers into its region */
			buf_puts(b, oval_args(&p->type, name, false, true));
		else
			put_local_arg(b, &p->type, name);
	}
	put_server_outcap_args(b, m);
	n = 0;
	for (const struct param *p = m->results; p; p = p->next, n++) {
		local_name(name, "r", n);
		if (is_olist(p))
			buf_puts(b, oval_args(&p->type, name, true, true));
		else
			put_local_out(b, &p->type, name);
	}
	buf_puts(b, ");\n");
	put_ool_frees(b, "\t\t", m->params, "a");
	if (m->kind == M_SEND) {
		buf_puts(b, "\t\treturn IPC_DEFERRED;\n\t}\n");
		return;
	}
	if (rfixed && m->results) {
		put_fixed_results(b, "\t\t", m, "st", "out->", "r");
	} else if (rwords) {
		buf_puts(b, "\t\tif (st == 0) {\n\t\t\twi = 0;\n");
		if (m->outshape)
			put_shape_enc(b, "\t\t\t", m->outcaps, "out", cap_local_out);
		n = 0;
		unsigned j = 0;
		for (const struct param *p = m->results; p; p = p->next, n++) {
			local_name(name, "r", n);
			struct vref r = {VF_LOCAL, name};
			char ool[24];
			sfmt(ool, sizeof ool, "oor[%u]", j);
			if (is_olist(p)) {
				if (is_string_list(&p->type))   /* as the reply function takes them */
					fmt(b, "\t\t\tfor (size_t ix = 0; ix < nr%u && ix < %u; ix++)\n\t\t\t\tpr%u[ix] = r%u[ix];\n",
					    n, (unsigned)p->type.bound, n, n);
				put_olist_enc(b, "\t\t\t", p, olist_fn(m, true, 'r', n), oval_args(&p->type, name, false, true),
				              "out", ool);
				j++;
			} else if (p->ool)
				fmt(b, "\t\t\tok = ok && ipc_put_ool_region(out, &wi, &mr%u, %s, %u, %u, %s, &oor[%u]);\n",
				    n, p->type.kind == TY_STRING ? "0" : vtext("n%s", name),
				    (unsigned)p->type.bound, p->ool_min, p->type.kind == TY_STRING ? "true" : "false", j++);
			else
				put_enc(b, "\t\t\t", &p->type, &r, "out", "&wi", false);
		}
		if (m->outshape) {
			if (has_cap_list(m->outcaps)) {
				buf_puts(b, "\t\t\tok = ok && ");
				put_shape_count(b, m->outcaps, cap_local_out);
				fmt(b, " <= %s;\n", caplim(m->nool_out));
			}
			buf_puts(b, "\t\t\tif (ok) {\n\t\t\t\tout->nwords = wi;\n");
			put_shape_caps(b, "\t\t\t\t", m->outcaps, "out->", cap_local_out, m->capshape);
			buf_puts(b, "\t\t\t} else {\n\t\t\t\tst = IPC_EFAULT;\n\t\t\t}\n\t\t}\n");
			put_server_drop_made(b, m);
		} else {
			buf_puts(b, "\t\t\tif (ok)\n\t\t\t\tout->nwords = wi;\n\t\t\telse\n\t\t\t\tst = IPC_EFAULT;\n\t\t}\n");
		}
	}
	if (m->outcaps && !m->outshape) {
		buf_puts(b, "\t\tif (st == 0) {\n");
		if (ol && m->nool_out)   /* past the room the regions leave: released */
			fmt(b, "\t\t\tif (noc > %s) {\n\t\t\t\tipc_drop_made(oc + %s, %u);\n"
			       "\t\t\t\tnoc = %s;\n\t\t\t}\n", caplim(nout + m->nool_out), caplim(m->nool_out),
			    m->nool_out, caplim(nout + m->nool_out));
		else if (ol)
			fmt(b, "\t\t\tif (noc > %s)\n\t\t\t\tnoc = %s;\n", caplim(nout), caplim(nout));
		fmt(b, "\t\t\tipc_put_caps(out, 0, oc, %u%s);\n\t\t}\n", nout, ol ? " + noc" : "");
		put_server_drop_made(b, m);
	}
	if (m->nool_out) {   /* the results' regions after the capabilities, or released */
		fmt(b, "\t\tif (st == 0)\n\t\t\tipc_put_ool_caps(out, oor, %u);\n\t\telse\n\t\t\tipc_drop_made(oor, %u);\n",
		    m->nool_out, m->nool_out);
		put_ool_frees(b, "\t\t", m->results, "r");
	}
	buf_puts(b, "\t\treturn ipc_finish(out, st, ");
	put_declared(b, m, "st");
	buf_puts(b, ");\n\t}\n");
}

/* int fs_node_open_reply(ipc_cap reply, int status, ...): the results as given. */
static void gen_reply(struct buf *b, const struct method *m)
{
	const struct param *ol = m->outlist;
	put_reply_proto(b, m);
	bool rfixed = fixed_results(m);   /* written in place */
	bool rwords = !rfixed && (m->results || m->outshape);
	buf_puts(b, rwords ? "\n{\n\tstruct ipc_msg m;\n\tuint32_t wi = 0;\n\tbool ok = true;\n"
	                   : "\n{\n\tstruct ipc_msg m;\n");
	if (has_olist(m->results))
		buf_puts(b, "\tstruct ipc_olist olist;\n");
	if (m->nool_out)
		fmt(b, "\tipc_cap ool[%u];\n\n\tipc_caps_none(ool, %u);\n", m->nool_out, m->nool_out);
	else
		buf_putc(b, '\n');
	buf_puts(b, "\tipc_msg_init(&m, 0, 0, 0);\n\tif (status == IPC_DEFERRED)\n\t\tstatus = IPC_EFAULT;\n");
	/* a length with no capabilities behind it: none to send or release */
	for (const struct param *p = m->outshape ? m->outcaps : ol; p; p = m->outshape ? p->next : NULL)
		if (p->list)
			fmt(b, "\tif (!%s && n%s) {\n\t\tn%s = 0;\n\t\tif (status == 0)\n\t\t\tstatus = IPC_EFAULT;\n\t}\n",
			    p->cname, p->cname, p->cname);
	if (rfixed && m->results) {
		put_fixed_results(b, "\t", m, "status", "m.", NULL);
	} else if (rwords) {
		buf_puts(b, "\tif (status == 0) {\n");
		if (m->outshape)
			put_shape_enc(b, "\t\t", m->outcaps, "&m", cap_param_name);
		put_ool_enc(b, "\t\t", m, m->results, 'r', "&m");
		if (m->outshape && has_cap_list(m->outcaps)) {
			buf_puts(b, "\t\tok = ok && ");
			put_shape_count(b, m->outcaps, cap_param_name);
			fmt(b, " <= %s;\n", caplim(m->nool_out));
		}
		buf_puts(b, "\t\tif (ok)\n\t\t\tm.nwords = wi;\n\t\telse\n\t\t\tstatus = IPC_EFAULT;\n\t}\n");
	}
	if (m->outshape) {   /* the capabilities on success, released otherwise */
		buf_puts(b, "\tif (status == 0) {\n");
		put_shape_caps(b, "\t\t", m->outcaps, "m.", cap_param_name, false);
		buf_puts(b, "\t} else {\n");
		put_shape_drop(b, "\t\t", m->outcaps, cap_param_name);
		buf_puts(b, "\t}\n");
	} else if (m->outcaps) {
		put_reply_caps(b, m, true);
	}
	if (m->nool_out)
		fmt(b, "\tif (status == 0)\n\t\tipc_put_ool_caps(&m, ool, %u);\n\telse\n\t\tipc_drop_made(ool, %u);\n",
		    m->nool_out, m->nool_out);
	buf_puts(b, "\tipc_finish(&m, status, ");
	put_declared(b, m, "status");
	buf_puts(b, ");\n\treturn ipc_reply_to(reply, &m);\n}\n\n");
}

static void gen_client(struct buf *b, const struct ns *ns)
{
	fmt(b, "/* %s_client.c: generated by ipcgen from %s; edit %s instead. */\n#include \"%s.h\"\n\n",
	    ns->cname, banner_file(ns), banner_file(ns), ns->cname);
	for (const struct decl *i = ns->decls; i; i = i->next) {
		if (i->kind != D_IFACE)
			continue;
		for (const struct method *m = i->methods; m; m = m->next)
			gen_client_call(b, m);
		/* int io_file_describe(ipc_cap ep) */
		fmt(b, "int %s_describe(ipc_cap ep)\n{\n"
		       "\treturn ipc_describe(ep, %s_ID, %s_ABI);\n}\n\n",
		    i->cname, i->CNAME, i->CNAME);
	}
	buf_free(&cond_text);
	buf_free(&args_in);
	buf_free(&args_out);
}

/* ---- NS_server.c ---------------------------------------------------------------- */

static void gen_server_iface(struct buf *b, const struct decl *i)
{
	const struct decl *p = i->parents ? i->parents->decl : NULL;
	struct buf path = {0};
	self_path(i, &path);

	/* void io_file_init(...) */
	fmt(b, "void %s_init(struct %s *self, const struct %s_iface *iface, ipc_cap endpoint)\n{\n",
	    i->cname, i->cname, i->cname);
	for (const struct parent_ref *r = i->parents; r; r = r->next)
		fmt(b, "\t%s_init(&self->%s, &iface->%s, endpoint);\n", r->decl->cname, r->field, r->field);
	if (!p)
		buf_puts(b, "\tself->iface = iface;\n\tself->endpoint = endpoint;\n");
	buf_puts(b, "}\n\n");

	for (const struct method *m = i->methods; m; m = m->next) {
		gen_olist_fns(b, m, m->params, 'a', false);
		if (m->kind == M_CALL)
			gen_olist_fns(b, m, m->results, 'r', true);
	}

	/* int io_file_handle(struct io_file *self, const struct ipc_msg *in, struct ipc_msg *out)
	 * {
	 * 	const struct io_file_iface *vt = ...;
	 * 	... one case per method, the describe label, the parent's handle ...
	 * 	return ipc_reject(in, out, st);      (releases the request's capabilities)
	 * } */
	fmt(b, "int %s_handle(struct %s *self, const struct ipc_msg *in, struct ipc_msg *out)\n{\n",
	    i->cname, i->cname);
	if (i->methods && p)
		fmt(b, "\tconst struct %s_iface *vt = (const struct %s_iface *)(const void *)%siface;\n",
		    i->cname, i->cname, path.data);
	else if (i->methods)
		fmt(b, "\tconst struct %s_iface *vt = self->iface;\n", i->cname);
	else if (!p)
		buf_puts(b, "\t(void)self;\n");
	buf_puts(b, "\tint st = IPC_EPROTO;\n\n\tout->nwords = 0;\n\tout->ncaps = 0;\n"
	            "\tif (in->label > IPC_LABEL_MAX || in->nwords > IPC_MAX_WORDS || in->ncaps > IPC_MAX_CAPS)\n"
	            "\t\treturn ipc_reject(in, out, st);\n\tswitch (in->label) {\n");
	for (const struct method *m = i->methods; m; m = m->next)
		gen_server_case(b, m);
	/* 	case IPC_LABEL(IO_FILE_ID, IPC_METHOD_DESCRIBE): ...   (ID, ABI pairs, self first) */
	fmt(b, "\tcase IPC_LABEL(%s_ID, IPC_METHOD_DESCRIBE):\n"
	       "\t\tif (in->nwords != 0 || in->ncaps != 0)\n\t\t\tbreak;\n", i->CNAME);
	unsigned w = 0;
	for (unsigned k = 0; k <= i->nancestors; k++, w += 2) {
		const struct decl *a = k ? i->ancestors[k - 1] : i;
		fmt(b, "\t\tout->word[%u] = %s_ID;\n\t\tout->word[%u] = %s_ABI;\n",
		    w, a->CNAME, w + 1, a->CNAME);
	}
	fmt(b, "\t\tout->nwords = %u;\n\t\treturn ipc_finish(out, 0, 0);\n", w);
	/* 	default:                          (several parents: by the label's interface)
	 * 		switch (IPC_LABEL_IFACE(in->label)) {
	 * 		case IO_READABLE_ID:
	 * 			return io_readable_handle(&self->readable, in, out);
	 * 		}
	 * 		return fs_node_handle(&self->node, in, out);   (the first parent's) */
	if (p) {
		buf_puts(b, "\tdefault:\n");
		bool any = false;
		for (const struct parent_ref *r = i->parents->next; r; r = r->next) {
			bool cases = false;
			for (unsigned k = 0; k <= r->decl->nancestors; k++) {
				const struct decl *a = k ? r->decl->ancestors[k - 1] : r->decl;
				if (gen_route(i, a) != r)
					continue;
				if (!any)
					buf_puts(b, "\t\tswitch (IPC_LABEL_IFACE(in->label)) {\n");
				fmt(b, "\t\tcase %s_ID:\n", a->CNAME);
				any = cases = true;
			}
			if (cases)
				fmt(b, "\t\t\treturn %s_handle(&self->%s, in, out);\n", r->decl->cname, r->field);
		}
		if (any)
			buf_puts(b, "\t\t}\n");
		fmt(b, "\t\treturn %s_handle(&self->%s, in, out);\n", p->cname, i->parents->field);
	} else {
		buf_puts(b, "\tdefault:\n\t\tst = IPC_ENOSYS;\n\t\tbreak;\n");
	}
	buf_puts(b, "\t}\n\treturn ipc_reject(in, out, st);\n}\n\n");

	/* int io_file_dispatch(struct io_file *self): receive, handle, reply */
	fmt(b, "int %s_dispatch(struct %s *self)\n{\n\tstruct ipc_msg in, out;\n"
	       "\tint st = ipc_recv(%sendpoint, &in);\n\n"
	       "\tif (st == 0 && %s_handle(self, &in, &out) == 0)\n\t\tst = ipc_reply(&out);\n"
	       "\treturn st;\n}\n\n", i->cname, i->cname, path.data, i->cname);
	buf_free(&path);

	/* int io_file_read_reply(ipc_cap reply, int status, size_t result)
	 * {
	 * 	... the result and returned capabilities, on success only ...
	 * 	ipc_finish(&m, status, 0);
	 * 	return ipc_reply_to(reply, &m);
	 * } */
	for (const struct method *m = i->methods; m; m = m->next) {
		buf_spill(b);
		if (m->kind != M_CALL)
			continue;
		gen_reply(b, m);
	}
}

static void gen_server(struct buf *b, const struct ns *ns)
{
	fmt(b, "/* %s_server.c: generated by ipcgen from %s; edit %s instead. */\n#include \"%s.h\"\n\n",
	    ns->cname, banner_file(ns), banner_file(ns), ns->cname);
	for (const struct decl *i = ns->decls; i; i = i->next)
		if (i->kind == D_IFACE)
			gen_server_iface(b, i);
	buf_free(&cond_text);
}

void gen_c(const struct unit *u, const struct ns *ns, enum gen_part part, struct buf *out)
{
	(void)u;
	switch (part) {
	case GEN_HEADER: gen_header(out, ns); break;
	case GEN_CLIENT: gen_client(out, ns); break;
	case GEN_SERVER: gen_server(out, ns); break;
	case GEN_NPARTS: break;
	}
	gen_scratch_free();
}

const char *gen_c_filename(struct arena *a, const struct ns *ns, enum gen_part part)
{
	static const char *const suffix[GEN_NPARTS] = {".h", "_client.c", "_server.c"};
	return arena_printf(a, "%s%s", ns->cname, suffix[part]);
}

/* ---- for gen_fuzz: language 2's values as the generated code has them ------------- */

void gen_value_param(struct buf *b, const struct typeref *t, const char *name, bool out)
{
	put_value_param(b, t, name, out);
}

void gen_value_storage(struct buf *b, const char *ind, const struct typeref *t, const char *name)
{
	put_storage(b, ind, t, name, false);
	if (is_string_list(t))
		fmt(b, "%sconst char *p%s[%u];\n", ind, name, (unsigned)t->bound);
}

void gen_value_encode(struct buf *b, const char *ind, const struct typeref *t, const char *name,
                      const char *m, const char *w)
{
	struct vref r = {VF_PARAM, name};
	put_enc(b, ind, t, &r, m, w, false);
}

void gen_value_local_setup(struct buf *b, const struct typeref *t, const char *name)
{
	if (is_string_list(t))
		fmt(b, "\tfor (size_t ix = 0; ix < %u; ix++)\n\t\tp%s[ix] = %s[ix];\n", (unsigned)t->bound,
		    name, name);
}

void gen_value_local_pass(struct buf *b, const struct typeref *t, const char *name)
{
	if (t->optional || t->kind == TY_STRUCT || is_array(t) || t->kind == TY_LIST)
		put_local_arg(b, t, name);
	else
		fmt(b, ", %s", name);
}

/*
 * Random values for a fuzz target: fills the value at lvalue x (an array
 * for strings, byte arrays and lists), its count at cnt and its presence at
 * has (lvalues, or NULL); mostly valid, sometimes not (an enum or bit no
 * member has, a count one past the bound), which the server must refuse.
 */
void gen_value_fill(struct buf *b, const char *ind, const struct typeref *t, const char *x,
                    const char *cnt, const char *has, unsigned depth)
{
	unsigned n = (unsigned)t->bound;
	if (t->optional && has)
		fmt(b, "%s%s = fz_byte() & 1;\n", ind, has);
	switch (t->kind) {
	case TY_STRING:
		fmt(b, "%sfz_string(%s, %u);\n", ind, x, n);
		return;
	case TY_BYTES:
		fmt(b, "%s%s = fz_byte() %% %u;\n%sfz_fill(%s, %s < %u ? %s : %u);\n", ind, cnt, n + 2,
		    ind, x, cnt, n, cnt, n);
		return;
	case TY_LIST: {   /* a count from a byte: no more elements than 256 to fill */
		fmt(b, "%s%s = fz_byte() %% %u;\n", ind, cnt, n + 2 < 256 ? n + 2 : 256);
		fmt(b, "%sfor (size_t ix%u = 0; ix%u < %u; ix%u++) {\n", ind, depth, depth, n < 256 ? n : 256, depth);
		/* lists of structs of lists nest as deep as the protocol's structs */
		struct buf in2 = {0}, ex = {0};
		fmt(&in2, "%s\t", ind);
		buf_putc(&in2, 0);
		fmt(&ex, "%s[ix%u]", x, depth);
		buf_putc(&ex, 0);
		gen_value_fill(b, in2.data, t->elem, ex.data, NULL, NULL, depth + 1);
		buf_free(&in2);
		buf_free(&ex);
		fmt(b, "%s}\n", ind);
		return;
	}
	case TY_STRUCT:
		for (const struct param *f = t->decl->fields; f; f = f->next) {
			size_t len = strlen(x) + strlen(f->cname) + 16;
			char *fx = xmalloc(len), *fc = xmalloc(len), *fh = xmalloc(len);
			sfmt(fx, len, "%s.%s", x, f->cname);
			sfmt(fc, len, "%s.n%s", x, f->cname);
			sfmt(fh, len, "%s.has_%s", x, f->cname);
			gen_value_fill(b, ind, &f->type, fx, fc, fh, depth);
			free(fx);
			free(fc);
			free(fh);
		}
		return;
	case TY_ENUM:
		fmt(b, "%s%s = fz_byte() & 1 ? %s : (enum %s)(int)fz_word();\n", ind, x,
		    t->decl->members->cname, t->decl->cname);
		return;
	case TY_BITS:
		fmt(b, "%s%s = (%s)(fz_byte() & 1 ? fz_word() & UINT64_C(0x%X) : fz_word());\n", ind, x,
		    t->decl->cname, t->decl->mask);
		return;
	case TY_BOOL:
		fmt(b, "%s%s = fz_word() & 1;\n", ind, x);
		return;
	default:
		fmt(b, "%s%s = (%s)fz_word();\n", ind, x, c_type(t));
		return;
	}
}
