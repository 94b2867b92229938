/*
 * compat.c: lock files and the breaking-change report.
 *
 * A lock file records, for every interface of the primary namespaces, its
 * ID, its ABI fingerprint, its parent, and each method's number, name and
 * canonical wire signature (identity.c's m->sig), with where each was
 * declared.  Checking a new version against it lists what would break a
 * client or server built from the old one: a removed interface or method,
 * a method moved to another number, a changed signature (parameters,
 * capabilities, result, enum values, declared errors), a changed parent.
 * Methods and interfaces added at the end are compatible.
 *
 *   # ipcgen lock 1
 *   interface io::file 7b9588b7 6b971a6ce5b41724 - @ io.ipc:14
 *   method 1 read call {page...;} (uintptr,size) size @ io.ipc:16
 */
#include <errno.h>
#include <string.h>

#include "ipcgen.h"

#define LOCK_MAGIC "# ipcgen lock 1"

static const char *where(struct arena *a, struct diag *lines, struct loc loc)
{
	const char *p = strrchr(loc.src->path, '/');
	return arena_printf(a, "%s:%u", p ? p + 1 : loc.src->path, diag_linecol(lines, loc).line);
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
			                           d->parent ? arena_printf(&a, "%s::%s", d->parent->ns->name,
			                                                    d->parent->name) : "-",
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
	const char *name, *parent, *loc;
	uint64_t fingerprint;
	struct old_method *methods;
};

/* Parses the lock file's text; false (reported) on a malformed line. */
static bool parse_lock(struct unit *u, const char *path, char *text, struct old_iface **out)
{
	struct old_iface *ifaces = NULL, **itail = &ifaces, *cur = NULL;
	struct old_method **mtail = NULL;
	unsigned lineno = 0;
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
		if (lineno == 1 && strcmp(line, LOCK_MAGIC) != 0) {
			diag_plain(&u->diag, "%s: not an ipcgen lock file (its first line is not '%s')",
			           path, LOCK_MAGIC);
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
			char name[600], parent[600];
			unsigned id;
			unsigned long long fp;
			if (strlen(line) >= 600 || sscanf(line + 10, "%599s %x %llx %599s", name, &id, &fp, parent) != 4)
				goto bad;
			cur = arena_alloc(&u->arena, sizeof *cur);
			cur->name = arena_strndup(&u->arena, name, strlen(name));
			cur->parent = arena_strndup(&u->arena, parent, strlen(parent));
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

static struct decl *find_iface(struct unit *u, const char *qname)
{
	for (struct ns *ns = u->nss; ns; ns = ns->next)
		for (struct decl *d = ns->decls; d; d = d->next) {
			size_t n = strlen(ns->name);
			if (d->kind == D_IFACE && strncmp(qname, ns->name, n) == 0 &&
			    qname[n] == ':' && qname[n + 1] == ':' && strcmp(qname + n + 2, d->name) == 0)
				return d;
		}
	return NULL;
}

int compat_check(struct unit *u, const char *lockpath, unsigned *additions)
{
	struct src lock;
	if (!read_file(&u->arena, lockpath, &lock)) {
		diag_plain(&u->diag, "cannot read lock file '%s': %s", lockpath, strerror(errno));
		return -1;
	}
	struct old_iface *old;
	if (!parse_lock(u, lockpath, (char *)lock.text, &old))
		return -1;
	struct arena *a = &u->arena;
	int breaking = 0;
	*additions = 0;
	for (struct old_iface *oi = old; oi; oi = oi->next) {
		struct decl *d = find_iface(u, oi->name);
		if (!d) {
			diag_plain(&u->diag, "interface '%s' (%s in the lock) was removed or renamed",
			           oi->name, oi->loc);
			breaking++;
			continue;
		}
		const char *parent = d->parent ? arena_printf(a, "%s::%s", d->parent->ns->name, d->parent->name) : "-";
		if (strcmp(parent, oi->parent) != 0) {
			if (strcmp(oi->parent, "-") == 0)
				diag_error(&u->diag, d->loc, "interface '%s' now inherits from '%s' (%s in the lock)",
				           oi->name, parent, oi->loc);
			else if (strcmp(parent, "-") == 0)
				diag_error(&u->diag, d->loc, "interface '%s' no longer inherits from '%s' (%s in the lock)",
				           oi->name, oi->parent, oi->loc);
			else
				diag_error(&u->diag, d->loc, "interface '%s' now inherits from '%s', not '%s' (%s in the lock)",
				           oi->name, parent, oi->parent, oi->loc);
			breaking++;
		}
		int before = breaking;
		unsigned nold = 0;
		for (struct old_method *om = oi->methods; om; om = om->next) {
			nold++;
			struct method *m = d->methods;
			while (m && m->number != om->number)
				m = m->next;
			struct method *same = d->methods;
			while (same && strcmp(same->name, om->name) != 0)
				same = same->next;
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
		/* Its own methods unchanged, yet its fingerprint not: an ancestor
		 * changed, which the lock may not hold (it is reported there if so). */
		bool parent_locked = false;
		for (struct old_iface *p = old; p && !parent_locked; p = p->next)
			parent_locked = strcmp(p->name, oi->parent) == 0;
		if (breaking == before && !parent_locked && d->nmethods == nold &&
		    d->fingerprint != oi->fingerprint) {
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
			const char *q = arena_printf(a, "%s::%s", ns->name, d->name);
			bool known = false;
			for (struct old_iface *oi = old; oi && !known; oi = oi->next)
				known = strcmp(oi->name, q) == 0;
			*additions += !known;
		}
	}
	return breaking;
}
