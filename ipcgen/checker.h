/*
 * checker.h: what the phases of the checks share, and only they (check.c,
 * which runs them, resolve.c, types.c, cnames.c and identity.c): the
 * checker's state, and the functions one phase's file calls in another's.
 */
#ifndef IPCGEN_CHECKER_H
#define IPCGEN_CHECKER_H

#include "ipcgen.h"

/* Strings of C names and signatures, packed: carved out of blocks of an
 * arena (so they live as long as it) without its per-allocation rounding
 * to 16 bytes and zeroing.  Not zeroed: each maker writes its NUL. */
struct strpool {
	struct arena *a;
	char *cur, *end;
};

/* Every global C name of the unit, in one open-addressing table (linear
 * probing, at most three quarters full), presized from the declarations so
 * that it does not grow: a name, and the suffixes claimed on it
 * (NAME_reply, NAME_ID) as bits of its entry (cnames.c); the claimants,
 * who[0] unused; and the claims of suffixes of a name by a second
 * claimant, more[0] unused. */
struct claims {
	struct claim_slot {
		uint32_t hash;         /* the name's hash, high bits */
		uint32_t entry;        /* index into v, plus 1; 0: an empty slot */
	} *slot;
	size_t cap;            /* slots */
	struct claim_entry *v; /* the names, in the order they were met */
	size_t n, capv;
	struct claimant *who;
	size_t nwho, capwho;
	struct claim_more *more;
	size_t nmore, capmore;
};

/* A table for finding duplicates, reused from one declaration to the
 * next: keys are bytes that live as long as their entries (a name, or a
 * number in the AST).  Emptying it only moves to a new generation; slots
 * of older generations are free. */
struct dups {
	struct dup_slot {
		const void *key;
		uint32_t len, gen;
		void *value;
	} *v;
	size_t n, cap;
	uint32_t gen;
};

/* A method an interface inherits: whose, and through which parent. */
struct inherited {
	const struct method *m;
	const struct decl *owner;
	const struct parent_ref *via;
};

/* The state of one check_unit, which every phase takes. */
struct checker {
	struct unit *u;
	struct arena *a;
	struct strpool strs;   /* C names and signatures the generator uses, in the unit's arena */
	struct arena tmp;      /* what the check makes only for itself; freed at the end */
	struct strpool tmpnames;   /* over tmp */
	struct diag *d;
	struct claims claims;
	struct dups names;     /* methods of an interface, members of an enum */
	struct dups values;    /* values of an enum, numbers of a namespace's errors */
	struct dups raised;    /* errors a method raises */
	struct dups ids;       /* interface ID -> decl */
	struct dups errcodes;  /* error code -> decl, across namespaces */
	struct dups ancestry;  /* the ancestors of an interface met so far */
	/* The method being checked: the names of what it takes (caps and
	 * parameters, side[0]) and of what it returns (side[1]), and the C
	 * names of all of them, each with the first that has it. */
	struct dups side[2], pcnames;
	/* The interface being checked: its ancestors, in order, and what it
	 * inherits (types.c: ancestry), in tmp */
	struct decl **anc;
	bool anc_capped;       /* more ancestors than describe carries: not all gathered */
	size_t nanc, capanc;
	struct inherited *inh;
	size_t capinh;
	/* Kept from one call to the next (room, in tmp): check_const's chain,
	 * check_cycle's and struct_layout's stacks (their own frames). */
	struct decl **chain;
	void *cycle_stack, *layout_stack;
	size_t capchain, capcycle, caplayout;
	struct map clashed;    /* owners with a clash reported already */
	/* Parameters and vtable entries that could be named like a global C
	 * name (they have a '_', or a length): escape_locals looks at them
	 * once the global names are known. */
	struct suspect {
		struct decl *i;
		struct method *m;
		struct param *p;   /* NULL: the vtable entry */
	} *suspects;
	size_t nsuspects, capsuspects;
#define CLAIM_BATCH 32
	struct pending_claim {
		const char *name;
		uint32_t len, who;
		uint64_t hash;     /* of name */
		uint32_t sfx;      /* suffixes of name claimed (cnames.c), or 0: name itself */
		uint8_t kind, what;
	} pend[CLAIM_BATCH];   /* claims not made yet (claim) */
	unsigned npend;
};

/* The canonical forms of the enums and the fingerprints of the interfaces,
 * then the unit's beside hook if it has one: the job of identity.c's
 * fingerprints, which check_unit runs on a thread of its own on a large unit. */
struct fp_job {
	struct unit *u;
	struct arena arena;
	struct strpool strs;
};

/* ---- resolve.c: names -------------------------------------------------------- */

void dups_clear(struct dups *t);
void *dups_put(struct dups *t, const void *key, size_t len, void *value);
void *dups_get(const struct dups *t, const void *key, size_t len);
void dups_free(struct dups *t);
struct ns *find_used(struct ns *ns, const char *name);
bool resolve(struct checker *c, struct ns *ns, struct typeref *t);
bool resolve_what(struct checker *c, struct ns *ns, struct typeref *t, const char *what);
const char *type_text(struct arena *a, const struct typeref *t);
const char *qualified(struct arena *a, const struct decl *d);
bool eval_num(struct checker *c, struct ns *ns, const struct numref *n,
              uint64_t *mag, bool *neg);
void check_const(struct checker *c, struct decl *d);
void check_symbols(struct checker *c, struct ns *ns);
void check_use_cycles(struct checker *c, struct ns *ns);
void check_errors(struct checker *c, struct ns *ns);
void check_parents(struct checker *c, struct decl *i);
bool check_cycle(struct checker *c, struct decl *i);
/* Room for need elements of size elem in *v (capacity *cap, n held), in
 * the scratch arena: the growing arrays and stacks of the checks. */
void *room(struct checker *c, void *v, size_t *cap, size_t n, size_t need, size_t elem);

/* ---- types.c: types and layout ----------------------------------------------- */

void check_enum(struct checker *c, struct decl *e);
void check_bits(struct checker *c, struct decl *e);
void check_struct(struct checker *c, struct decl *d);
bool struct_layout(struct checker *c, struct decl *d);
void check_interface(struct checker *c, struct decl *i);
bool has_length(const struct param *p);
bool part_named(const struct decl *i, const char *name);

/* ---- cnames.c: C names ------------------------------------------------------- */

char *pool_alloc(struct strpool *p, size_t n);
const char *c_local(struct strpool *p, const char *s, bool *under);
void claims_init(struct claims *t, size_t n, size_t nwho);
void claims_free(struct claims *t);
void claim_taken(struct checker *c);
void count_claims(const struct unit *u, size_t *names, size_t *who);
void name_decls(struct checker *c, struct ns *ns);
void claim_names(struct checker *c, struct ns *ns);
void claims_flush(struct checker *c);
void escape_locals(struct checker *c);
const char *escape_more(struct strpool *p, const char *s);

/* ---- identity.c: canonical forms and fingerprints ---------------------------- */

void fingerprints(struct fp_job *j);

#endif
