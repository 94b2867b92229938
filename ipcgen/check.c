/*
 * check.c: the semantic checks of a unit, in the order they run.  Errors
 * are collected and all reported; a unit with any error generates nothing.
 *
 * Each phase has a file of its own (checker.h is what they share):
 *   resolve.c   names: namespaces and what they use, declarations and
 *               their duplicates, type references, constants, error
 *               numbers, interfaces' parents
 *   types.c     types and layout: enums, bit sets, structs, methods and
 *               interfaces (their label numbers and IDs)
 *   cnames.c    C names: protocol names mapped to C names, escaped where
 *               they would be C or C++ keywords or reserved names, and
 *               checked to be injective, so that two protocol names never
 *               become one C name
 *   identity.c  canonical forms and each interface's ABI fingerprint
 * check_unit, below, runs them; on a large unit the fingerprints are made
 * on a thread of their own while the C names are claimed.
 */
#include <pthread.h>

#include "checker.h"

static void *fingerprints_thread(void *arg)
{
	fingerprints(arg);
	return NULL;
}

#define FP_THREAD_FROM 2000   /* methods: fewer, and a thread costs more than it saves */

static size_t count_methods(const struct unit *u)
{
	size_t n = 0;
	for (const struct ns *ns = u->nss; ns; ns = ns->next)
		for (const struct decl *d = ns->decls; d; d = d->next)
			if (d->kind == D_IFACE)
				n += d->nmethods;
	return n;
}

bool check_unit(struct unit *u)
{
	struct checker c = {.u = u, .a = &u->arena, .d = &u->diag};
	c.strs.a = &u->arena;
	c.tmpnames.a = &c.tmp;
	unsigned before = u->diag.errors;

	for (struct ns *ns = u->nss; ns; ns = ns->next)
		check_symbols(&c, ns);
	for (struct ns *ns = u->nss; ns; ns = ns->next)
		check_use_cycles(&c, ns);
	for (struct ns *ns = u->nss; ns; ns = ns->next)
		for (struct decl *d = ns->decls; d; d = d->next)
			if (d->kind == D_CONST)
				check_const(&c, d);
	for (struct ns *ns = u->nss; ns; ns = ns->next)
		check_errors(&c, ns);
	for (struct ns *ns = u->nss; ns; ns = ns->next)
		for (struct decl *d = ns->decls; d; d = d->next) {
			if (d->kind == D_ENUM)
				check_enum(&c, d);
			else if (d->kind == D_BITS)
				check_bits(&c, d);
			else if (d->kind == D_STRUCT)
				check_struct(&c, d);
			else if (d->kind == D_IFACE)
				check_parents(&c, d);
		}
	for (struct ns *ns = u->nss; ns; ns = ns->next)
		for (struct decl *d = ns->decls; d; d = d->next)
			if (d->kind == D_STRUCT)
				struct_layout(&c, d);
	for (struct ns *ns = u->nss; ns; ns = ns->next)
		for (struct decl *d = ns->decls; d; d = d->next)
			if (d->kind == D_IFACE)
				check_cycle(&c, d);
	for (struct ns *ns = u->nss; ns; ns = ns->next)
		for (struct decl *d = ns->decls; d; d = d->next)
			if (d->kind == D_IFACE)
				check_interface(&c, d);
	for (struct ns *ns = u->nss; ns; ns = ns->next)
		name_decls(&c, ns);
	/* The fingerprints need what came before, not the C names: on a large
	 * unit they are made on a thread of their own while the names are
	 * claimed, in an arena of their own (made for nothing if the names
	 * clash). */
	struct fp_job fp = {.u = u};
	fp.strs.a = &fp.arena;
	pthread_t fp_thread;
	bool fp_started = false;
	if (u->diag.errors == before && ipcgen_nthreads() > 1 && count_methods(u) >= FP_THREAD_FROM) {
		fp.arena = (struct arena)ARENA_LARGE;   /* a large unit: megabytes */
		fp_started = pthread_create(&fp_thread, NULL, fingerprints_thread, &fp) == 0;
	}
	size_t nnames, nwho;
	count_claims(u, &nnames, &nwho);
	claims_init(&c.claims, nnames, nwho);
	claim_taken(&c);
	for (struct ns *ns = u->nss; ns; ns = ns->next) {
		claim_names(&c, ns);
		claims_flush(&c);
	}
	/* The thread beside the claims reads the parameters' C names, which
	 * escape_locals may change. */
	if (fp_started)
		pthread_join(fp_thread, NULL);
	if (u->diag.errors == before)
		escape_locals(&c);
	claims_free(&c.claims);
	arena_free(&c.tmp);
	dups_free(&c.names);
	dups_free(&c.values);
	dups_free(&c.side[0]);
	dups_free(&c.side[1]);
	dups_free(&c.pcnames);
	dups_free(&c.raised);
	dups_free(&c.ids);
	dups_free(&c.errcodes);
	dups_free(&c.ancestry);
	map_free(&c.clashed);
	if (!fp_started && u->diag.errors == before)
		fingerprints(&fp);
	arena_adopt(&u->arena, &fp.arena);
	return u->diag.errors == before;
}

void unit_free(struct unit *u)
{
	for (struct ns *ns = u->nss; ns; ns = ns->next)
		map_free(&ns->syms);
	map_free(&u->ns_by_name);
	arena_free(&u->arena);
}
