/*
 * compat.c: lock files and the breaking-change report.
 *
 * A lock file records, for every interface of the primary namespaces, its
 * ID, its ABI fingerprint, its parents, and each method's number, name and
 * canonical wire signature (identity.c's m->sig), with where each was
 * declared.  Checking a new version against it lists what would break a
 * client or server built from the old one: a removed interface or method,
 * a method moved to another number, a changed signature (parameters,
 * capabilities, result, enum values, declared errors), a parent it no
 * longer inherits from.  Methods and interfaces added at the end, and
 * parents added or put in another order, are compatible.
 *
 *   # ipcgen lock 1
 *   interface io::file 7b9588b7 6b971a6ce5b41724 - @ io.ipc:14
 *   method 1 read call {page...;} (uintptr,size) size @ io.ipc:16
 *   interface fs::file 0d3e5a41 91e020ae400dbdf4 fs::node,io::file @ fs.ipc:30
 */
#include <errno.h>
#include <string.h>

#include "checker.h"

#define LOCK_MAGIC "# ipcgen lock 1"

static const char *where(struct arena *a, struct diag *lines, struct loc loc)
{
	const char *path = loc_src(loc)->path, *p = strrchr(path, '/');
	return arena_printf(a, "%s:%u", p ? p + 1 : path, diag_linecol(lines, loc).line);
}

/* The parents of d as the lock has them: "ns::a,ns::b", or "-". */
static const char *parents_text(struct arena *a, const struct decl *d)
{
	if (!d->parents)
		return "-";
	struct buf b = {0};
	for (const struct parent_ref *r = d->parents; r; r = r->next) {
		if (r != d->parents)
			buf_putc(&b, ',');
		buf_puts(&b, r->decl->ns->name);
		buf_putn(&b, "::", 2);
		buf_puts(&b, r->decl->name);
	}
	const char *t = arena_strndup(a, b.data, b.len);
	buf_free(&b);
	return t;
}

/* Whether the lock's list of parents (or "-") names name. */
static bool names(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list; *p; p += strcspn(p, ","), p += *p == ',')
		if (strncmp(p, name, n) == 0 && (p[n] == ',' || p[n] == 0))
			return true;
	return false;
}

void compat_lock(const struct unit *u, struct buf *out)
{
	struct arena a = {0};
	struct diag lines = {0};   /* only for the line numbers */
	buf_puts(out, LOCK_MAGIC "\n# The wire ABI of these interfaces: written by ipcgen --lock,\n"
	              "# checked by ipcgen --compat.  See ipcgen(5).\n");
	for (const struct ns *ns = u->nss; ns; ns = ns->next) {
		if (!ns->primary)
			continue;
		for (const struct decl *d = ns->decls; d; d = d->next) {
			if (d->kind != D_IFACE)
				continue;
			buf_puts(out, arena_printf(&a, "interface %s::%s %08x %016llx %s @ %s\n",
			                           ns->name, d->name, (unsigned)d->id,
			                           (unsigned long long)d->fingerprint,
			                           parents_text(&a, d),
			                           where(&a, &lines, d->loc)));
			for (const struct method *m = d->methods; m; m = m->next)
				buf_puts(out, arena_printf(&a, "method %u %s %s @ %s\n", m->number, m->name,
				                           m->sig, where(&a, &lines, m->loc)));
		}
	}
	diag_forget_lines(&lines);
	arena_free(&a);
}

struct old_method {
	struct old_method *next;
	unsigned number;
	const char *name, *sig, *loc;
};

struct old_iface {
	struct old_iface *next;
	const char *name, *loc;
	const char *parent;   /* its parents: "ns::a,ns::b", or "-" */
	uint64_t fingerprint;
	struct old_method *methods;
};

/* Parses the lock file's text, len bytes; false (reported) on a malformed
 * line.  The first line must be the magic one: an empty file is no lock. */
static bool parse_lock(struct unit *u, const char *path, char *text, size_t len_text,
                       struct old_iface **out)
{
	struct old_iface *ifaces = NULL, **itail = &ifaces, *cur = NULL;
	struct old_method **mtail = NULL;
	unsigned lineno = 0;
	/* A NUL would end the text early, and the lines after it unread. */
	const char *nul = memchr(text, 0, len_text);
	if (nul) {
		for (const char *p = text; p < nul; p++)
			lineno += *p == '\n';
		diag_plain(&u->diag, "%s:%u: malformed lock file line (control byte 0x00)", path, lineno + 1);
		return false;
	}
	if (strncmp(text, LOCK_MAGIC, strlen(LOCK_MAGIC)) != 0 ||
	    !strchr("\r\n", text[strlen(LOCK_MAGIC)])) {
		diag_plain(&u->diag, "%s: not an ipcgen lock file (its first line is not '%s')",
		           path, LOCK_MAGIC);
		return false;
	}
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		lineno++;
		/* A lock is text: CRLF line ends are fine, other control bytes are not
		 * (they would reach the terminal in the report). */
		size_t len = strlen(line);
		if (len && line[len - 1] == '\r')
			line[--len] = 0;
		for (size_t i = 0; i < len; i++)
			if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f) {
				diag_plain(&u->diag, "%s:%u: malformed lock file line (control byte 0x%02x)",
				           path, lineno, (unsigned char)line[i]);
				return false;
			}
		if (line[0] == '#' || line[0] == 0)
			continue;
		char *at = strstr(line, " @ ");
		if (!at)
			goto bad;
		*at = 0;
		const char *loc = arena_strndup(&u->arena, at + 3, strlen(at + 3));
		if (strncmp(line, "interface ", 10) == 0) {
			/* the parents, several of them, may make a long line */
			char *name = arena_alloc(&u->arena, len + 1), *parent = arena_alloc(&u->arena, len + 1);
			unsigned id;
			unsigned long long fp;
			if (sscanf(line + 10, "%s %x %llx %s", name, &id, &fp, parent) != 4)
				goto bad;
			cur = arena_alloc(&u->arena, sizeof *cur);
			cur->name = name;
			cur->parent = parent;
			cur->loc = loc;
			cur->fingerprint = fp;
			*itail = cur;
			itail = &cur->next;
			mtail = &cur->methods;
		} else if (strncmp(line, "method ", 7) == 0 && cur) {
			char name[300];
			unsigned number;
			int used = 0;
			if (sscanf(line + 7, "%u %299s %n", &number, name, &used) != 2 || !used)
				goto bad;
			struct old_method *m = arena_alloc(&u->arena, sizeof *m);
			m->number = number;
			m->name = arena_strndup(&u->arena, name, strlen(name));
			m->sig = arena_strndup(&u->arena, line + 7 + used, strlen(line + 7 + used));
			m->loc = loc;
			*mtail = m;
			mtail = &m->next;
		} else {
			goto bad;
		}
		continue;
	bad:
		diag_plain(&u->diag, "%s:%u: malformed lock file line", path, lineno);
		return false;
	}
	*out = ifaces;
	return true;
}

static const char *qualified_name(struct arena *a, const struct decl *d)
{
	return arena_printf(a, "%s::%s", d->ns->name, d->name);
}

/* What compat_check looks up, each in one step, so that it takes time
 * linear in the unit and the lock however many interfaces and methods they
 * have: the unit's interfaces and the lock's, by qualified name; the
 * methods of the interface being compared, by number and by name.  Each
 * name or number maps to the first that has it. */
struct compat_index {
	struct map now, old;
	struct dups number, name;
};

static void index_unit(struct arena *a, struct compat_index *x, struct unit *u,
                       struct old_iface *old)
{
	for (struct ns *ns = u->nss; ns; ns = ns->next)
		for (struct decl *d = ns->decls; d; d = d->next)
			if (d->kind == D_IFACE) {
				const char *q = qualified_name(a, d);
				map_put(&x->now, q, strlen(q), d);
			}
	for (struct old_iface *oi = old; oi; oi = oi->next)
		map_put(&x->old, oi->name, strlen(oi->name), oi);
}

static void index_methods(struct compat_index *x, const struct decl *d)
{
	dups_clear(&x->number);
	dups_clear(&x->name);
	for (struct method *m = d->methods; m; m = m->next) {
		dups_put(&x->number, &m->number, sizeof m->number, m);
		dups_put(&x->name, m->name, strlen(m->name), m);
	}
}

int compat_check(struct unit *u, const char *lockpath, unsigned *additions)
{
	struct src lock;
	if (!read_file(&u->arena, lockpath, &lock)) {
		diag_plain(&u->diag, "cannot read lock file '%s': %s", lockpath, strerror(errno));
		return -1;
	}
	struct old_iface *old;
	if (!parse_lock(u, lockpath, (char *)lock.text, lock.len, &old))
		return -1;
	struct arena *a = &u->arena;
	int breaking = 0;
	*additions = 0;
	struct compat_index x = {0};
	index_unit(a, &x, u, old);
	for (struct old_iface *oi = old; oi; oi = oi->next) {
		struct decl *d = map_get(&x.now, oi->name, strlen(oi->name));
		int before = breaking;
		if (!d) {
			diag_plain(&u->diag, "interface '%s' (%s in the lock) was removed or renamed",
			           oi->name, oi->loc);
			breaking++;
			continue;
		}
		/* A parent the lock has that is no longer among its ancestors: its
		 * labels are no longer answered.  Parents added, or put in another
		 * order, answer all they did. */
		const char *parents = parents_text(a, d);
		for (const char *p = oi->parent; strcmp(p, "-") != 0 && *p; p += *p == ',') {
			size_t n = strcspn(p, ",");
			const char *was = arena_strndup(a, p, n);
			p += n;
			bool kept = false;
			for (unsigned k = 0; k < d->nancestors && !kept; k++)
				kept = strcmp(was, qualified_name(a, d->ancestors[k])) == 0;
			if (kept)
				continue;
			if (d->nparents == 1 && !strchr(oi->parent, ','))
				diag_error(&u->diag, d->loc, "interface '%s' now inherits from '%s', not '%s' (%s in the lock)",
				           oi->name, parents, was, oi->loc);
			else
				diag_error(&u->diag, d->loc, "interface '%s' no longer inherits from '%s' (%s in the lock)",
				           oi->name, was, oi->loc);
			breaking++;
		}
		for (const struct parent_ref *r = d->parents; r; r = r->next)
			*additions += !names(oi->parent, qualified_name(a, r->decl));
		unsigned nold = 0;
		index_methods(&x, d);
		for (struct old_method *om = oi->methods; om; om = om->next) {
			nold++;
			struct method *m = dups_get(&x.number, &om->number, sizeof om->number);
			struct method *same = dups_get(&x.name, om->name, strlen(om->name));
			if (same && same->number != om->number) {
				diag_error(&u->diag, same->loc,
				           "method '%s.%s' moved from number %u to %u (%s in the lock): its label changed",
				           oi->name, om->name, om->number, same->number, om->loc);
				breaking++;
			} else if (!m) {
				diag_plain(&u->diag, "method '%s.%s' (number %u, %s in the lock) was removed",
				           oi->name, om->name, om->number, om->loc);
				breaking++;
			} else if (strcmp(m->sig, om->sig) != 0) {
				diag_error(&u->diag, m->loc,
				           "method '%s.%s' changed on the wire (%s in the lock): was '%s', now '%s'",
				           oi->name, m->name, om->loc, om->sig, m->sig);
				breaking++;
			}
		}
		if (d->nmethods > nold)
			*additions += d->nmethods - nold;
		/* Its own methods and parents unchanged, yet its fingerprint not: an
		 * ancestor changed, which the lock may not hold (it is reported
		 * there if it does). */
		bool parents_locked = true;
		for (const struct parent_ref *r = d->parents; r && parents_locked; r = r->next) {
			const char *q = qualified_name(a, r->decl);
			parents_locked = map_get(&x.old, q, strlen(q)) != NULL;
		}
		if (breaking == before && !parents_locked && d->nmethods == nold &&
		    strcmp(parents, oi->parent) == 0 && d->fingerprint != oi->fingerprint) {
			diag_error(&u->diag, d->loc,
			           "interface '%s' changed on the wire through what it inherits from '%s' (fingerprint %016llx, %016llx in the lock at %s)",
			           oi->name, oi->parent, (unsigned long long)d->fingerprint,
			           (unsigned long long)oi->fingerprint, oi->loc);
			breaking++;
		}
	}
	for (struct ns *ns = u->nss; ns; ns = ns->next) {
		if (!ns->primary)
			continue;
		for (struct decl *d = ns->decls; d; d = d->next) {
			if (d->kind != D_IFACE)
				continue;
			const char *q = qualified_name(a, d);
			*additions += map_get(&x.old, q, strlen(q)) == NULL;
		}
	}
	map_free(&x.now);
	map_free(&x.old);
	dups_free(&x.number);
	dups_free(&x.name);
	return breaking;
}
