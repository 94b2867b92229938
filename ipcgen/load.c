/*
 * load.c: reads the files of a compilation.  A file named on the command
 * line is a primary (its C is generated); 'use NS;' loads NS.ipc from the
 * importing file's folder, then from each -I folder in order.  Each
 * namespace is loaded once.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "ipcgen.h"

/* By name, and in load order: a unit may hold thousands. */
static struct ns *find_ns(struct unit *u, const char *name)
{
	return map_get(&u->ns_by_name, name, strlen(name));
}

static void append_ns(struct unit *u, struct ns *ns)
{
	if (!u->nss_tail)
		u->nss_tail = &u->nss;
	*u->nss_tail = ns;
	u->nss_tail = &ns->next;
	map_put(&u->ns_by_name, ns->name, strlen(ns->name), ns);
}

static struct ns *load_file(struct unit *u, const char *path, bool primary,
                            const struct loc *from)
{
	struct src *src = arena_alloc(&u->arena, sizeof *src);
	if (!read_file(&u->arena, path, src)) {
		if (from)
			diag_error(&u->diag, *from, "cannot read '%s': %s", path, strerror(errno));
		else
			diag_plain(&u->diag, "cannot read '%s': %s", path, strerror(errno));
		return NULL;
	}
	/* A UTF-8 byte order mark, which some editors write first: not part
	 * of the text (positions count from after it). */
	if (src->len >= 3 && memcmp(src->text, "\xef\xbb\xbf", 3) == 0) {
		src->text += 3;
		src->len -= 3;
	}
	src->index = u->nsrcs++;
	src_register(src);
	struct ns *ns = parse_file(&u->arena, &u->diag, src);
	if (!ns)
		return NULL;
	ns->primary = primary;
	return ns;
}

static bool is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The folder part of path, with its trailing slash ("" for none). */
static const char *dir_of(struct arena *a, const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? arena_strndup(a, path, (size_t)(slash - path + 1)) : "";
}

/* Resolves the uses of ns, loading the files of namespaces not loaded yet
 * at the end of the unit's list, whose uses unit_load_uses resolves in
 * turn: a chain of uses of any length takes no recursion. */
static void load_uses(struct unit *u, struct ns *ns)
{
	ns->uses_loaded = true;
	for (struct use *use = ns->uses; use; use = use->next) {
		if (strcmp(use->name, ns->name) == 0) {
			diag_error(&u->diag, use->loc, "namespace '%s' cannot use itself", use->name);
			continue;
		}
		use->ns = find_ns(u, use->name);
		if (use->ns)
			continue;
		const char *path = arena_printf(&u->arena, "%s%s.ipc",
		                                dir_of(&u->arena, ns->src->path), use->name);
		for (size_t i = 0; !is_file(path) && i < u->nincdirs; i++)
			path = arena_printf(&u->arena, "%s/%s.ipc", u->incdirs[i], use->name);
		if (!is_file(path)) {
			diag_error(&u->diag, use->loc,
			           "cannot find '%s.ipc' for 'use %s' (searched the file's folder%s)",
			           use->name, use->name, u->nincdirs ? " and every -I folder" : "");
			continue;
		}
		struct ns *used = load_file(u, path, false, &use->loc);
		if (!used)
			continue;
		if (strcmp(used->name, use->name) != 0) {
			diag_error(&u->diag, used->loc, "'%s' declares namespace '%s', not '%s'",
			           path, used->name, use->name);
			diag_note(&u->diag, use->loc, "needed by this 'use'");
			continue;
		}
		use->ns = used;
		append_ns(u, used);
	}
}

void unit_load_uses(struct unit *u)
{
	for (struct ns *ns = u->nss; ns; ns = ns->next)
		if (!ns->uses_loaded)
			load_uses(u, ns);
}

struct ns *unit_load_file(struct unit *u, const char *path, bool primary)
{
	struct ns *ns = load_file(u, path, primary, NULL);
	if (!ns)
		return NULL;
	struct ns *old = find_ns(u, ns->name);
	if (old) {
		if (old->primary || !primary) {
			diag_error(&u->diag, ns->loc, "namespace '%s' is declared twice", ns->name);
			diag_note(&u->diag, old->loc, "first declared here");
			return NULL;
		}
		/* Loaded already through a use: now it is named, so generate it. */
		old->primary = true;
		return old;
	}
	append_ns(u, ns);
	return ns;
}

struct ns *unit_load(struct unit *u, const char *path, bool primary)
{
	struct ns *ns = unit_load_file(u, path, primary);
	unit_load_uses(u);
	return ns;
}
