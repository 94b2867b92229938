/*
 * main.c: ipcctl, a command-line client for any service that ipcgen's stubs
 * serve on the POSIX port of Mercury.  It reads the service's .ipc files
 * with ipcgen's own front end and makes the calls with the generic message
 * API of libmercury, encoding and checking as the generated client does.
 *
 *   ipcctl [-I DIR]... [-j] [-n] [-t MS] list SERVICE FILE.ipc...
 *   ipcctl [-I DIR]... [-j] [-n] [-t MS] call SERVICE NS::IFACE METHOD [NAME=VALUE]...
 *   ipcctl [-I DIR]... [-j] [-n] [-t MS] send SERVICE NS::IFACE METHOD [NAME=VALUE]...
 *
 * See ipcctl(1).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <mercury/posix.h>

#include "ipcgen.h"
#include "value.h"

enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1,      /* a declared error, a status, not served */
	EXIT_USAGE = 2,       /* the command line, the .ipc files */
	EXIT_UNREACHABLE = 3, /* no service, or it went away */
};

#define DEFAULT_TIMEOUT_MS 30000

struct ctl {
	struct unit u;
	bool json;
	bool nocheck;         /* -n: no describe before a call */
	const char *service;
	ipc_cap conn;
};

static void usage(FILE *f)
{
	fputs("usage: ipcctl [options] list SERVICE FILE.ipc...\n"
	      "       ipcctl [options] call SERVICE NS::IFACE METHOD [NAME=VALUE]...\n"
	      "       ipcctl [options] send SERVICE NS::IFACE METHOD [NAME=VALUE]...\n"
	      "\n"
	      "Calls any service built with ipcgen on the POSIX port, published at the\n"
	      "socket path SERVICE; reads NS::IFACE from NS.ipc on the include path.\n"
	      "\n"
	      "  -I DIR          search DIR for NS.ipc and what it uses (then '.')\n"
	      "  -j, --json      print results, errors and listings as one JSON object\n"
	      "  -n, --no-check  call without asking the service for the interface first\n"
	      "  -t MS           wait at most MS milliseconds for the service (default 30000;\n"
	      "                  0: for ever)\n"
	      "  -h, --help      print this and exit\n"
	      "  -V, --version   print the version and exit\n"
	      "\n"
	      "Values: integers in decimal or 0x hex, or a constant's name; true/false; an\n"
	      "enum's member or value; bits as READ|WRITE or a number; strings as given;\n"
	      "bytes as hex digits or @FILE; structs as {a=1, b=\"x y\"}; lists as [1, 2];\n"
	      "optional values omitted or null for none; capabilities as @FILE (opened, or\n"
	      "connected to if a socket; a page holds the file's contents).\n"
	      "Exit status: 0 success, 1 an error or status from the service, 2 usage,\n"
	      "3 the service cannot be reached.  See ipcctl(1).\n", f);
}

static int complain(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int complain(int status, const char *fmt, ...)
{
	va_list ap;
	fputs("ipcctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	putc('\n', stderr);
	return status;
}

/* ---- did you mean ------------------------------------------------------------- */

struct near {
	const char *want;
	const char *best;
	char *owned;          /* best, when made for the occasion */
	unsigned d;
};

static void near_try(struct near *n, const char *cand)
{
	unsigned d = edit_distance(n->want, cand);
	if (!n->best || d < n->d) {
		free(n->owned);
		n->owned = NULL;
		n->best = cand;
		n->d = d;
	}
}

/* "; did you mean 'x'?" when one is close, or "". */
static const char *near_text(struct near *n)
{
	static char text[600];
	text[0] = 0;
	if (n->best && (n->d <= 2 || n->d * 3 <= strlen(n->want)))
		snprintf(text, sizeof text, "; did you mean '%s'?", n->best);
	free(n->owned);
	n->owned = NULL;
	return text;
}

/* ---- the .ipc files ------------------------------------------------------------ */

/* Loads and checks the files; false (reported) on any error. */
static bool load(struct ctl *c, char **files, int nfiles)
{
	for (int i = 0; i < nfiles; i++)
		unit_load(&c->u, files[i], true);
	if (c->u.diag.errors == 0)
		check_unit(&c->u);
	diag_flush(&c->u.diag);
	if (c->u.diag.errors)
		fprintf(stderr, "ipcctl: %u error%s in the .ipc files\n", c->u.diag.errors,
		        c->u.diag.errors == 1 ? "" : "s");
	return c->u.diag.errors == 0;
}

static bool is_ident(const char *s, size_t n)
{
	if (n == 0 || n > 255 || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(s[i] == '_' || (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z')))
			return false;
	return true;
}

static bool is_regular(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The interface NS::NAME, loading NS.ipc from the include path; NULL
 * (reported, *status set) if there is none. */
static const struct decl *find_iface(struct ctl *c, const char *qname, int *status)
{
	*status = EXIT_USAGE;
	const char *sep = strstr(qname, "::");
	if (!sep || !is_ident(qname, (size_t)(sep - qname)) || !is_ident(sep + 2, strlen(sep + 2))) {
		complain(EXIT_USAGE, "'%s': expected an interface as NS::NAME", qname);
		return NULL;
	}
	const char *ns = arena_strndup(&c->u.arena, qname, (size_t)(sep - qname)), *name = sep + 2;
	const char *path = NULL;
	for (size_t i = 0; i <= c->u.nincdirs && !path; i++) {
		const char *p = arena_printf(&c->u.arena, "%s/%s.ipc",
		                             i < c->u.nincdirs ? c->u.incdirs[i] : ".", ns);
		if (is_regular(p))
			path = p;
	}
	if (!path) {
		complain(EXIT_USAGE, "cannot find '%s.ipc' for '%s' (searched %s)", ns, qname,
		         c->u.nincdirs ? "every -I folder and '.'" : "'.'; -I names more folders");
		return NULL;
	}
	char *files[] = {(char *)path};
	if (!load(c, files, 1))
		return NULL;
	struct near near = {.want = qname};
	for (const struct ns *n = c->u.nss; n; n = n->next)
		for (const struct decl *d = n->decls; d; d = d->next) {
			if (d->kind != D_IFACE)
				continue;
			if (strcmp(n->name, ns) == 0 && strcmp(d->name, name) == 0) {
				free(near.owned);
				return d;
			}
			char *q = NULL;
			if (asprintf(&q, "%s::%s", n->name, d->name) < 0)
				continue;
			near_try(&near, q);
			if (near.best == q)
				near.owned = q;
			else
				free(q);
		}
	complain(EXIT_USAGE, "unknown interface '%s'%s", qname, near_text(&near));
	return NULL;
}

/* The method called name of i or of an ancestor (*owner: whose). */
static const struct method *find_method(const struct decl *i, const char *name,
                                        const struct decl **owner)
{
	struct near near = {.want = name};
	/* i, then its ancestors in order; a name is in one of them at most */
	for (unsigned k = 0; k <= i->nancestors; k++) {
		const struct decl *a = k ? i->ancestors[k - 1] : i;
		for (const struct method *m = a->methods; m; m = m->next) {
			if (strcmp(m->name, name) == 0) {
				*owner = a;
				return m;
			}
			near_try(&near, m->name);
		}
	}
	complain(EXIT_USAGE, "'%s::%s' has no method '%s'%s", i->ns->name, i->name, name,
	         near_text(&near));
	return NULL;
}

/* ---- printing ------------------------------------------------------------------ */

static void put_qname(FILE *f, const struct decl *d)
{
	fprintf(f, "%s::%s", d->ns->name, d->name);
}

static void put_type(FILE *f, const struct typeref *t)
{
	char *n = type_name(t);
	fputs(n, f);
	free(n);
}

static void put_params(FILE *f, const struct param *p)
{
	for (; p; p = p->next) {
		fprintf(f, "%s: ", p->name);
		put_type(f, &p->type);
		fputs(p->list ? "..." : "", f);
		fputs(p->next ? ", " : "", f);
	}
}

/* The method as in its .ipc file: "call get{; f: cap}(key: string<16>) u32 raises (ns::e)". */
static void put_signature(FILE *f, const struct method *m)
{
	fprintf(f, "%s %s", m->kind == M_SEND ? "send" : "call", m->name);
	if (m->caps || m->outcaps) {
		putc('{', f);
		put_params(f, m->caps);
		if (m->outcaps) {
			fputs("; ", f);
			put_params(f, m->outcaps);
		}
		putc('}', f);
	}
	putc('(', f);
	put_params(f, m->params);
	putc(')', f);
	if (m->kind == M_CALL && m->has_results) {
		fputs(" (", f);
		put_params(f, m->results);
		putc(')', f);
	} else if (m->kind == M_CALL) {
		putc(' ', f);
		put_type(f, &m->ret);
	}
	for (const struct qname_node *e = m->raises; e; e = e->next) {
		fputs(e == m->raises ? " raises (" : ", ", f);
		if (e->all)
			fprintf(f, "%s::*", e->all->name);
		else
			put_qname(f, e->decl);
		fputs(e->next ? "" : ")", f);
	}
}

static void put_json_str(FILE *f, const char *s)
{
	put_quoted(f, true, s, strlen(s));
}

/* ---- the service --------------------------------------------------------------- */

static int unreachable(struct ctl *c, const char *why)
{
	if (c->json) {
		fputs("{\"status\": \"unreachable\", \"service\": ", stdout);
		put_json_str(stdout, c->service);
		fputs(", \"error\": ", stdout);
		put_json_str(stdout, why);
		fputs("}\n", stdout);
	}
	return complain(EXIT_UNREACHABLE, "cannot reach '%s': %s", c->service, why);
}

static int connect_service(struct ctl *c)
{
	errno = 0;
	int rc = ipc_posix_connect(c->service, &c->conn);
	if (rc == 0)
		return 0;
	struct stat st;
	const char *why = errno ? strerror(errno) : ipc_status_text(rc);
	if (stat(c->service, &st) == 0 && !S_ISSOCK(st.st_mode))
		why = "not a socket";
	return unreachable(c, why ? why : "unknown status");
}

/* What ipc_call's own status means for ipcctl: the service went away or
 * did not answer in time, or the call failed here. */
static int transport_exit(int st)
{
	return st == IPC_EPEER || st == IPC_ETIMEDOUT ? EXIT_UNREACHABLE : EXIT_FAILED;
}

/* Asks the service with the describe label whether it speaks i: 0 with
 * the same fingerprint, IPC_EVERSION with another (*abi), IPC_ENOSYS if
 * not at all; else a status, *sent false if ipc_call itself failed. */
static int describe(struct ctl *c, const struct decl *i, uint64_t *abi, bool *sent)
{
	struct ipc_msg m;
	ipc_msg_init(&m, IPC_LABEL(i->id, IPC_METHOD_DESCRIBE), 0, 0);
	*abi = 0;
	int st = ipc_call(c->conn, &m);
	*sent = st == 0;
	if (st != 0)
		return st;
	if ((st = ipc_reply_check(&m, 0, IPC_MAX_WORDS, 0, 0)) != 0)
		return st > 0 ? IPC_EPROTO : st;
	if (m.nwords % 2)
		return IPC_EPROTO;
	for (uint32_t w = 0; w < m.nwords; w += 2)
		if (m.word[w] == i->id) {
			*abi = m.word[w + 1];
			return *abi == i->fingerprint ? 0 : IPC_EVERSION;
		}
	return IPC_ENOSYS;
}

/* A status from the service (< 0), as text or JSON; EXIT_FAILED. */
static int failed_status(struct ctl *c, const char *what, int st)
{
	const char *name = ipc_status_name(st), *text = ipc_status_text(st);
	if (c->json) {
		fputs("{\"status\": \"transport\", \"error\": ", stdout);
		put_json_str(stdout, name ? name : "?");
		fprintf(stdout, ", \"code\": %d, \"text\": ", st);
		put_json_str(stdout, text ? text : "?");
		fputs("}\n", stdout);
	}
	return complain(EXIT_FAILED, "%s: %s (%s)", what, name ? name : "?", text ? text : "?");
}

/* ---- list ---------------------------------------------------------------------- */

/* The methods of interface i, as one of top's. */
static void list_own(FILE *f, bool json, const struct decl *i, const struct decl *top, bool *first)
{
	for (const struct method *m = i->methods; m; m = m->next) {
		if (json) {
			fprintf(f, "%s{\"kind\": \"%s\", \"name\": ", *first ? "" : ", ",
			        m->kind == M_SEND ? "send" : "call");
			put_json_str(f, m->name);
			fprintf(f, ", \"label\": \"0x%012llx\", \"signature\": \"",
			        (unsigned long long)IPC_LABEL(i->id, m->number));
			put_signature(f, m);
			fputs("\"", f);
			if (i != top) {
				fputs(", \"from\": \"", f);
				put_qname(f, i);
				fputs("\"", f);
			}
			fputs("}", f);
		} else {
			putc('\t', f);
			put_signature(f, m);
			if (i != top) {
				fputs(" (from ", f);
				put_qname(f, i);
				putc(')', f);
			}
			putc('\n', f);
		}
		*first = false;
	}
}

/* The methods of i's ancestors, then its own: each interface after those it
 * inherits from, depth first, parents left to right, each once (seen[]). */
static void list_methods(FILE *f, bool json, const struct decl *i, const struct decl *top,
                         bool *first, const struct decl **seen, unsigned *nseen)
{
	for (const struct parent_ref *r = i->parents; r; r = r->next) {
		bool met = false;
		for (unsigned k = 0; k < *nseen && !met; k++)
			met = seen[k] == r->decl;
		if (!met) {
			seen[(*nseen)++] = r->decl;
			list_methods(f, json, r->decl, top, first, seen, nseen);
		}
	}
	list_own(f, json, i, top, first);
}

static void list_all(FILE *f, bool json, const struct decl *i)
{
	bool first = true;
	unsigned nseen = 0;
	const struct decl **seen = calloc(i->nancestors + 1, sizeof *seen);
	if (!seen)
		complain(EXIT_FAILED, "out of memory");
	else
		list_methods(f, json, i, i, &first, seen, &nseen);
	free(seen);
}

/* " :: a::b, c::d", or in JSON ", \"parent\": \"a::b\"" for a sole parent and
 * ", \"parents\": [\"a::b\", \"c::d\"]" for several. */
static void put_parents(FILE *f, bool json, const struct decl *i)
{
	if (!i->parents)
		return;
	bool several = i->nparents > 1;
	fputs(!json ? " :: " : several ? ", \"parents\": [" : ", \"parent\": ", f);
	for (const struct parent_ref *r = i->parents; r; r = r->next) {
		fputs(r == i->parents ? "" : ", ", f);
		fputs(json ? "\"" : "", f);
		put_qname(f, r->decl);
		fputs(json ? "\"" : "", f);
	}
	fputs(json && several ? "]" : "", f);
}

static int cmd_list(struct ctl *c, int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	c->service = argv[0];
	if (!load(c, argv + 1, argc - 1))
		return EXIT_USAGE;
	int rc = connect_service(c);
	if (rc)
		return rc;
	/* The listing is printed once every answer is in. */
	int status = EXIT_OK;
	bool firsti = true;
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	if (!out)
		return complain(EXIT_FAILED, "out of memory");
	if (c->json) {
		fputs("{\"service\": ", out);
		put_json_str(out, c->service);
		fputs(", \"interfaces\": [", out);
	}
	for (const struct ns *n = c->u.nss; n; n = n->next) {
		if (!n->primary)
			continue;
		for (const struct decl *i = n->decls; i; i = i->next) {
			if (i->kind != D_IFACE)
				continue;
			uint64_t abi;
			bool sent;
			int st = describe(c, i, &abi, &sent);
			if (!sent) {
				fclose(out);
				free(text);
				return transport_exit(st) == EXIT_UNREACHABLE ? unreachable(c, ipc_status_text(st))
					: complain(EXIT_FAILED, "cannot ask '%s' about %s::%s: %s", c->service,
					           n->name, i->name, ipc_status_name(st));
			}
			const char *state = st == 0 ? "served" : st == IPC_EVERSION ? "mismatch"
				: st == IPC_ENOSYS ? "not served" : ipc_status_name(st);
			if (st != 0)
				status = EXIT_FAILED;
			if (c->json) {
				fprintf(out, "%s{\"name\": \"%s::%s\"", firsti ? "" : ", ", n->name, i->name);
				put_parents(out, true, i);
				fprintf(out, ", \"id\": \"0x%08x\", \"fingerprint\": \"0x%016llx\", "
				        "\"status\": \"%s\"", i->id, (unsigned long long)i->fingerprint,
				        state ? state : "?");
				if (st == IPC_EVERSION)
					fprintf(out, ", \"service_fingerprint\": \"0x%016llx\"",
					        (unsigned long long)abi);
				fputs(", \"methods\": [", out);
				list_all(out, true, i);
				fputs("]}", out);
			} else {
				fprintf(out, "%s::%s", n->name, i->name);
				put_parents(out, false, i);
				fprintf(out, ": ");
				if (st == 0)
					fprintf(out, "served (id 0x%08x, fingerprint 0x%016llx)\n", i->id,
					       (unsigned long long)i->fingerprint);
				else if (st == IPC_EVERSION)
					fprintf(out, "served with another fingerprint (id 0x%08x, fingerprint "
					       "0x%016llx here, 0x%016llx at the service)\n", i->id,
					       (unsigned long long)i->fingerprint, (unsigned long long)abi);
				else if (st == IPC_ENOSYS)
					fprintf(out, "not served (id 0x%08x, fingerprint 0x%016llx)\n", i->id,
					       (unsigned long long)i->fingerprint);
				else
					fprintf(out, "%s (id 0x%08x, fingerprint 0x%016llx)\n", state ? state : "?",
					       i->id, (unsigned long long)i->fingerprint);
				list_all(out, false, i);
			}
			firsti = false;
		}
	}
	if (c->json)
		fputs("]}\n", out);
	fclose(out);
	fwrite(text, 1, len, stdout);
	free(text);
	return status;
}

/* ---- call and send ------------------------------------------------------------- */

/* What a method takes and gives, as items with their values. */
struct args {
	struct item in[IPC_MAX_WORDS + IPC_MAX_CAPS];   /* value parameters, then capabilities */
	struct val inv[IPC_MAX_WORDS + IPC_MAX_CAPS];
	size_t nin;
	struct item out[IPC_MAX_WORDS + IPC_MAX_CAPS];  /* the results, then capabilities */
	struct val outv[IPC_MAX_WORDS + IPC_MAX_CAPS];
	size_t nout;
};

static void args_free(struct args *a)
{
	for (size_t i = 0; i < a->nin; i++)
		value_free(&a->in[i], &a->inv[i]);
	for (size_t i = 0; i < a->nout; i++)
		value_free(&a->out[i], &a->outv[i]);
}

/* Whether ipcctl can handle every type of p (else reported). */
static bool add_items(struct item *items, size_t *n, size_t max, const struct param *p)
{
	for (; p && *n < max; p = p->next) {
		if (!value_supported(&p->type)) {
			char *t = type_name(&p->type);
			complain(EXIT_USAGE, "'%s': type %s is not supported by ipcctl yet", p->name, t);
			free(t);
			return false;
		}
		items[(*n)++] = (struct item){p->name, &p->type, p->list, p->ool, p->ool_min};
	}
	return true;
}

/* Fills a from the method and the NAME=VALUE arguments; false (reported)
 * on a bad one. */
static bool parse_args(struct args *a, const struct method *m, char **argv, int argc)
{
	size_t maxin = sizeof a->in / sizeof a->in[0];
	if (!add_items(a->in, &a->nin, maxin, m->params) || !add_items(a->in, &a->nin, maxin, m->caps))
		return false;
	size_t maxout = sizeof a->out / sizeof a->out[0];
	if (m->results) {        /* several named results, or one of language 2's */
		if (!add_items(a->out, &a->nout, maxout, m->results))
			return false;
	} else if (m->ret.kind != TY_VOID) {
		if (!value_supported(&m->ret))
			return complain(EXIT_USAGE, "the result's type is not supported by ipcctl yet"), false;
		a->out[a->nout++] = (struct item){"result", &m->ret, false, m->ret_ool, m->ret_ool_min};
	}
	if (!add_items(a->out, &a->nout, maxout, m->outcaps))
		return false;
	bool ok = true;
	for (int k = 0; k < argc; k++) {
		const char *eq = strchr(argv[k], '=');
		if (!eq || eq == argv[k]) {
			ok = complain(EXIT_USAGE, "'%s': expected NAME=VALUE", argv[k]) && false;
			continue;
		}
		size_t len = (size_t)(eq - argv[k]);
		size_t i;
		for (i = 0; i < a->nin; i++)
			if (strlen(a->in[i].name) == len && memcmp(a->in[i].name, argv[k], len) == 0)
				break;
		if (i == a->nin) {
			char *name = strndup(argv[k], len);
			struct near nr = {.want = name ? name : ""};
			bool returned = false;
			for (size_t j = 0; j < a->nin; j++)
				near_try(&nr, a->in[j].name);
			for (const struct param *p = m->outcaps; p; p = p->next)
				returned |= strcmp(p->name, nr.want) == 0;
			if (returned)
				complain(EXIT_USAGE, "'%s' is returned by the call, not passed", nr.want);
			else
				complain(EXIT_USAGE, "unknown parameter '%s'%s", nr.want, near_text(&nr));
			free(name);
			ok = false;
			continue;
		}
		if (a->inv[i].set && !a->in[i].list) {
			ok = complain(EXIT_USAGE, "'%s' is given twice", a->in[i].name) && false;
			continue;
		}
		char *err = value_parse(&a->in[i], eq + 1, &a->inv[i]);
		if (err) {
			ok = complain(EXIT_USAGE, "%s", err) && false;
			free(err);
		}
	}
	for (size_t i = 0; ok && i < a->nin; i++) {
		if (a->inv[i].set || a->in[i].list || value_omit(&a->in[i], &a->inv[i]))
			continue;
		char *t = type_name(a->in[i].type);
		ok = complain(EXIT_USAGE, "missing argument '%s' (%s)", a->in[i].name, t) && false;
		free(t);
	}
	return ok;
}

/* The request: value parameters in words, then capabilities. */
static bool encode_request(struct args *a, const struct decl *owner, const struct method *m,
                           struct ipc_msg *msg)
{
	struct cursor cur = {0, 0};
	ipc_msg_init(msg, IPC_LABEL(owner->id, m->number), 0, 0);
	if (m->capshape)   /* the capabilities' shape first: a presence or a count each */
		for (size_t i = 0; i < a->nin; i++)
			if (type_is_cap(a->in[i].type) && (a->in[i].list || a->in[i].type->optional))
				msg->word[cur.word++] = a->inv[i].ncaps;
	ipc_cap ool[IPC_MAX_CAPS];
	size_t nool = 0;
	for (size_t i = 0; i < a->nin; i++) {
		const struct item *it = &a->in[i];
		struct val *v = &a->inv[i];
		bool words = value_owords(it);
		if (it->ool && (words || v->len > it->ool_min)) {   /* in a region past its share (ipcgen(5)) */
			ipc_cap r = IPC_CAP_NONE;
			int rc = words ? value_put_olist(it, v, msg, &cur, &r)
				: ipc_put_ool(msg, &cur.word, v->bytes, v->len, (size_t)it->type->bound, it->ool_min,
				              it->type->kind == TY_STRING, &r) ? 0 : IPC_ENOMEM;
			if (rc == 0 && r != IPC_CAP_NONE && nool == IPC_MAX_CAPS)
				rc = ipc_drop_caps(&r, 1, IPC_EINVAL);
			if (rc != 0) {
				ipc_drop_caps(ool, nool, 0);
				return complain(rc == IPC_EINVAL ? EXIT_USAGE : EXIT_FAILED, "'%s': out of line: %s",
				                it->name, ipc_status_text(rc)), false;
			}
			if (r != IPC_CAP_NONE)   /* a value short enough stays in the words */
				ool[nool++] = r;
			continue;
		}
		if (!value_fits(it, v, &cur)) {
			ipc_drop_caps(ool, nool, 0);
			return complain(EXIT_USAGE, "'%s': too large for one message (at most %d words, %d "
			                "capabilities)", it->name, IPC_MAX_WORDS, IPC_MAX_CAPS), false;
		}
		value_encode(it, v, msg, &cur);
	}
	if (cur.cap + nool > IPC_MAX_CAPS) {
		ipc_drop_caps(ool, nool, 0);
		return complain(EXIT_USAGE, "too many capabilities and regions for one message (at most %d)",
		                IPC_MAX_CAPS), false;
	}
	memcpy(msg->cap + cur.cap, ool, nool * sizeof *ool);
	msg->nwords = cur.word;
	msg->ncaps = cur.cap + (uint32_t)nool;
	return true;
}

/* A declared error: the error, if st is one by name; else the namespace
 * whose every error (ns::*) the method raises. */
struct raised {
	const struct decl *e;
	const struct ns *ns;
};

/* The error of code st that m declares (*r), as the generated client's
 * put_declared: by name, or any code of a namespace's (raises (ns::*)). */
static bool declared(const struct method *m, int st, struct raised *r)
{
	*r = (struct raised){NULL, NULL};
	for (const struct qname_node *e = m->raises; e; e = e->next) {
		if (e->decl && (int64_t)e->decl->code == st) {
			r->e = e->decl;
			return true;
		}
		if (e->all && st > 0 && (st & 0xffff) != 0 &&
		    ((uint32_t)st & 0xffff0000) == ns_error_base(e->all)) {
			r->ns = e->all;
			for (const struct decl *d = e->all->decls; d; d = d->next)
				if (d->kind == D_ERROR && (int64_t)d->code == st)
					r->e = d;
			return true;
		}
	}
	return false;
}

/* Checks and decodes the reply as the generated client does: its shape,
 * the result, then the capabilities.  0, a declared error (> 0) or a
 * status (< 0). */
static int decode_reply(struct args *a, const struct method *m, struct ipc_msg *msg)
{
	unsigned rmin = 0, rmax = 0, nout = 0;
	bool list = false;
	struct raised r;
	for (size_t i = 0; i < a->nout; i++) {
		if (type_is_cap(a->out[i].type)) {
			nout += !a->out[i].list;
			list |= a->out[i].list;
		} else {
			unsigned lo, hi;
			value_words(&a->out[i], &lo, &hi);
			rmin += lo;
			rmax += hi;
		}
	}
	if (m->general || m->outshape) {   /* the words are checked as they are decoded */
		rmin = 0;
		rmax = IPC_MAX_WORDS;
	}
	if (m->outshape) {                 /* and the capabilities against the words */
		nout = 0;
		list = true;
	}
	int st = ipc_reply_check(msg, rmin, rmax, nout, list || m->nool_out ? IPC_MAX_CAPS : nout);
	if (st > 0 && !declared(m, st, &r))
		return IPC_EPROTO;
	if (st != 0)
		return st;
	struct cursor cur = {0, 0};
	size_t count[IPC_MAX_CAPS + 1], nshape = 0, total = 0;
	for (size_t i = 0; m->outshape && i < a->nout; i++) {   /* a presence or a count each */
		const struct item *it = &a->out[i];
		if (!type_is_cap(it->type)) {
			continue;
		} else if (!it->list && !it->type->optional) {
			total++;
			continue;
		}
		if (cur.word >= msg->nwords || msg->word[cur.word] > (it->list ? IPC_MAX_CAPS : 1) ||
		    nshape == IPC_MAX_CAPS)
			return ipc_drop_caps(msg->cap, msg->ncaps, IPC_EPROTO);
		total += count[nshape++] = msg->word[cur.word++];
	}
	size_t pending[IPC_MAX_CAPS], plen[IPC_MAX_CAPS], nool = 0;   /* results in regions */
	for (size_t i = 0; i < a->nout; i++) {
		const struct item *it = &a->out[i];
		struct val *v = &a->outv[i];
		if (type_is_cap(it->type))
			continue;
		if (value_owords(it)) {   /* its words now, or its region below */
			size_t n;
			bool region;
			if (!value_get_olist(it, msg, &cur, v, &n, &region) || (region && nool == IPC_MAX_CAPS))
				return ipc_drop_caps(msg->cap, msg->ncaps, IPC_EPROTO);
			if (region)
				pending[nool] = i, plen[nool++] = n;
			continue;
		}
		if (it->ool && cur.word < msg->nwords && (msg->word[cur.word] & IPC_OOL_FLAG)) {
			uint64_t len = msg->word[cur.word++] & ~IPC_OOL_FLAG;
			if (len <= it->ool_min || len > it->type->bound || nool == IPC_MAX_CAPS)
				return ipc_drop_caps(msg->cap, msg->ncaps, IPC_EPROTO);
			pending[nool] = i;
			plen[nool++] = (size_t)len;
			continue;
		}
		if (!value_decode(it, msg, &cur, v) || (it->ool && v->len > it->ool_min))
			return ipc_drop_caps(msg->cap, msg->ncaps, IPC_EPROTO);
	}
	if (cur.word != msg->nwords || msg->ncaps < nool ||
	    (m->outshape && total + nool != msg->ncaps) ||
	    (!m->outshape && !list && msg->ncaps - nool != nout))
		return ipc_drop_caps(msg->cap, msg->ncaps, IPC_EPROTO);
	for (size_t j = 0; j < nool; j++) {   /* the regions, the last capabilities, read and released */
		const struct item *it = &a->out[pending[j]];
		struct val *v = &a->outv[pending[j]];
		ipc_cap region = msg->cap[msg->ncaps - nool + j];
		bool str = it->type->kind == TY_STRING;
		if (value_owords(it)) {   /* the same words as inline, every one read */
			if (!value_read_olist(it, region, plen[j], v))
				return ipc_drop_caps(msg->cap, msg->ncaps, IPC_EPROTO);
			continue;
		}
		if (!(v->bytes = malloc(plen[j] + 1)) ||
		    ipc_ool_read(region, v->bytes, plen[j] + str) != 0 ||
		    (str && !ipc_str_valid((const char *)v->bytes, plen[j])))
			return ipc_drop_caps(msg->cap, msg->ncaps, IPC_EPROTO);
		v->len = plen[j];
		v->set = true;
	}
	ipc_drop_caps(msg->cap + msg->ncaps - nool, nool, 0);
	msg->ncaps -= (uint32_t)nool;
	for (size_t i = 0, j = 0; m->outshape && i < a->nout; i++) {   /* as many as the words say */
		struct item *it = &a->out[i];
		struct val *v = &a->outv[i];
		if (!type_is_cap(it->type))
			continue;
		size_t n = it->list || it->type->optional ? count[j++] : 1;
		for (v->ncaps = 0; v->ncaps < n; v->ncaps++)
			v->cap[v->ncaps] = msg->cap[cur.cap++];
		v->set = true;
		v->absent = it->type->optional && n == 0;
	}
	for (size_t i = 0; !m->outshape && i < a->nout; i++)
		if (type_is_cap(a->out[i].type) && !value_decode(&a->out[i], msg, &cur, &a->outv[i]))
			return ipc_drop_caps(msg->cap, msg->ncaps, IPC_EPROTO);
	return 0;
}

static void print_results(struct ctl *c, const struct args *a)
{
	if (c->json)
		fputs("{\"status\": \"ok\", \"results\": {", stdout);
	for (size_t i = 0; i < a->nout; i++) {
		if (c->json) {
			fprintf(stdout, "%s\"%s\": ", i ? ", " : "", a->out[i].name);
		} else {
			printf("%s = ", a->out[i].name);
		}
		value_print(stdout, c->json, &a->out[i], &a->outv[i]);
		if (!c->json)
			putchar('\n');
	}
	if (c->json)
		fputs("}}\n", stdout);
}

/* The error st that m declares, as text or JSON: "ns::name", or
 * "ns::<12>" for a code of ns that no error of the file names. */
static int declared_error(struct ctl *c, const char *what, const struct method *m, int st)
{
	struct raised r;
	declared(m, st, &r);
	char name[300];
	if (r.e)
		snprintf(name, sizeof name, "%s::%s", r.e->ns->name, r.e->name);
	else
		snprintf(name, sizeof name, "%s::<%u>", r.ns->name, (unsigned)st & 0xffff);
	if (c->json) {
		fputs("{\"status\": \"error\", \"error\": ", stdout);
		put_json_str(stdout, name);
		fprintf(stdout, ", \"code\": %u}\n", (unsigned)st);
	}
	const char *doc = r.e && r.e->doc ? r.e->doc : "";
	int n = (int)strcspn(doc, "\n");
	return complain(EXIT_FAILED, "%s: %s%s%.*s", what, name, n ? ": " : "", n, doc);
}

/* Asks the service whether it speaks i as the file says; 0 or the exit status. */
static int check_iface(struct ctl *c, const struct decl *i)
{
	uint64_t abi;
	bool sent;
	int st = describe(c, i, &abi, &sent);
	if (st == 0)
		return 0;
	if (!sent)
		return unreachable(c, ipc_status_text(st));
	if (c->json) {
		fprintf(stdout, "{\"status\": \"%s\", \"interface\": \"%s::%s\"",
		        st == IPC_EVERSION ? "mismatch" : st == IPC_ENOSYS ? "not served" : "transport",
		        i->ns->name, i->name);
		if (st == IPC_EVERSION)
			fprintf(stdout, ", \"fingerprint\": \"0x%016llx\", \"service_fingerprint\": "
			        "\"0x%016llx\"", (unsigned long long)i->fingerprint, (unsigned long long)abi);
		fputs("}\n", stdout);
	}
	if (st == IPC_EVERSION)
		return complain(EXIT_FAILED, "'%s' serves %s::%s with another fingerprint (0x%016llx "
		                "here, 0x%016llx there); -n calls it anyway", c->service, i->ns->name,
		                i->name, (unsigned long long)i->fingerprint, (unsigned long long)abi);
	if (st == IPC_ENOSYS)
		return complain(EXIT_FAILED, "'%s' does not serve %s::%s", c->service, i->ns->name,
		                i->name);
	return complain(EXIT_FAILED, "cannot ask '%s' about %s::%s: %s", c->service, i->ns->name,
	                i->name, ipc_status_name(st));
}

static int cmd_call(struct ctl *c, int argc, char **argv, bool send)
{
	if (argc < 3) {
		usage(stderr);
		return EXIT_USAGE;
	}
	c->service = argv[0];
	int status;
	const struct decl *i = find_iface(c, argv[1], &status), *owner;
	if (!i)
		return status;
	const struct method *m = find_method(i, argv[2], &owner);
	if (!m)
		return EXIT_USAGE;
	value_constants(&c->u, i->ns);
	if (send != (m->kind == M_SEND))
		return complain(EXIT_USAGE, "'%s' is a %s: use 'ipcctl %s'", m->name,
		                send ? "call" : "send", send ? "call" : "send");
	struct args *a = calloc(1, sizeof *a);
	if (!a)
		return complain(EXIT_FAILED, "out of memory");
	struct ipc_msg msg;
	char *what = NULL;
	if (asprintf(&what, "%s::%s.%s", i->ns->name, i->name, m->name) < 0)
		what = NULL;
	if (!what || !parse_args(a, m, argv + 3, argc - 3) || !encode_request(a, owner, m, &msg)) {
		status = what ? EXIT_USAGE : EXIT_FAILED;
		goto out;
	}
	if ((status = connect_service(c)) != 0 || (!c->nocheck && (status = check_iface(c, i)) != 0)) {
		ipc_drop_caps(msg.cap, msg.ncaps, 0);
		goto out;
	}
	int st = send ? ipc_send(c->conn, &msg) : ipc_call(c->conn, &msg);
	if (st != 0) {
		status = transport_exit(st);
		if (status == EXIT_UNREACHABLE)
			unreachable(c, ipc_status_text(st));
		else
			failed_status(c, what, st);
		goto out;
	}
	if (send) {
		if (c->json)
			puts("{\"status\": \"sent\"}");
		status = EXIT_OK;
		goto out;
	}
	st = decode_reply(a, m, &msg);
	if (st > 0)
		status = declared_error(c, what, m, st);
	else if (st < 0)
		status = failed_status(c, what, st);
	else
		print_results(c, a), status = EXIT_OK;
out:
	args_free(a);
	free(a);
	free(what);
	return status;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, 'j'},
		{"no-check", no_argument, NULL, 'n'},
		{"timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct ctl c = {
		.u = {.diag = {.out = stderr}, .max_words = IPC_MAX_WORDS, .max_caps = IPC_MAX_CAPS},
		.conn = IPC_CAP_NONE,
	};
	const char **incdirs = arena_alloc(&c.u.arena, (size_t)argc * sizeof *incdirs);
	int timeout = DEFAULT_TIMEOUT_MS, opt, status;
	while ((opt = getopt_long(argc, argv, "I:jnt:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'I': incdirs[c.u.nincdirs++] = optarg; break;
		case 'j': c.json = true; break;
		case 'n': c.nocheck = true; break;
		case 't': {
			char *end;
			errno = 0;
			long t = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || t < 0 || t > INT32_MAX) {
				status = complain(EXIT_USAGE, "-t: expected milliseconds (0..%d), got '%s'",
				                  INT32_MAX, optarg);
				goto out;
			}
			timeout = t ? (int)t : -1;
			break;
		}
		case 'h': usage(stdout); status = EXIT_OK; goto out;
		case 'V': puts("ipcctl " IPCGEN_VERSION); status = EXIT_OK; goto out;
		default: usage(stderr); status = EXIT_USAGE; goto out;
		}
	}
	c.u.incdirs = incdirs;
	ipc_posix_set_timeout(timeout);
	const char *cmd = optind < argc ? argv[optind] : "";
	int n = argc - optind - 1;
	char **rest = argv + optind + 1;
	if (strcmp(cmd, "list") == 0)
		status = cmd_list(&c, n, rest);
	else if (strcmp(cmd, "call") == 0 || strcmp(cmd, "send") == 0)
		status = cmd_call(&c, n, rest, cmd[0] == 's');
	else if (*cmd)
		status = complain(EXIT_USAGE, "unknown command '%s' (list, call or send)", cmd);
	else
		usage(stderr), status = EXIT_USAGE;
out:
	if (c.conn != IPC_CAP_NONE)
		ipc_cap_drop(c.conn);
	unit_free(&c.u);
	if (fflush(stdout) != 0 && status == EXIT_OK)
		status = complain(EXIT_FAILED, "cannot write the output: %s", strerror(errno));
	return status;
}
