/*
 * manifest.h: the driver manifest (mercury_manifest(5)), parsed by the
 * same code on the host at build time (mfcheck) and in sysinit's driver
 * loader at load time.  Pure: no I/O, no allocation, no libc; the text is
 * untrusted and every number is range-checked.
 *
 *   [driver]
 *   name=serial
 *   desc=Serial driver for x86_64 PCs
 *   [capabilities]
 *   0:ioport = min=3F8, max=400     ports [min, max), hex
 *   2:note = name=irqs              a notification; name= names a fixed slot
 *   3:irq = irq=3, note=2           an IRQ line, delivered to note (a slot)
 *   _:cspace = self                 `_`: any slot, reported in the aux vector
 *   _:vspace = self
 *   _:memory = pages=32
 *   [services]
 *   devregistry=
 */
#ifndef SYSINIT_MANIFEST_H
#define SYSINIT_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MF_MAX_CAPS 32
#define MF_MAX_SERVICES 8
#define MF_MAX_SLOT 127         /* a cspace has HELIOS_CSPACE_SLOTS (128): loader.c checks */
#define MF_ANY (-1)             /* `_` */
#define MF_MAX_PAGES 65536

#define MF_TYPE_LIST(X) X(IOPORT, "ioport") X(NOTE, "note") X(IRQ, "irq") \
	X(CSPACE, "cspace") X(VSPACE, "vspace") X(MEMORY, "memory")
enum mf_type {
#define MF_X_(e, s) MF_##e,
	MF_TYPE_LIST(MF_X_)
#undef MF_X_
	MF_TYPE_COUNT
};

/* The services a manifest may name, with their interface IDs. */
#define MF_SERVICE_LIST(X) X("devregistry", 0xd794b6b2u) X("devmgr", 0x0844fbb1u) \
	X("fs", 0xce47582du) X("procmgr", 0xa4cb1b80u) X("devloader", 0x647ac92eu)

struct mf_cap {
	int slot;               /* 0..MF_MAX_SLOT or MF_ANY */
	enum mf_type type;
	uint32_t min, max;      /* IOPORT: [min, max) */
	uint32_t irq;           /* IRQ: the line */
	int note;               /* IRQ: the note's slot */
	uint32_t pages;         /* MEMORY */
	unsigned line;
	char name[32];          /* name=, or "": the slot's name in the header (mfcheck -o) */
};

struct manifest {
	char name[32];
	unsigned name_line;
	char desc[96];
	bool restart;           /* [driver] restart=yes: sysinit restarts it when it dies */
	unsigned restart_line;
	struct mf_cap cap[MF_MAX_CAPS];
	unsigned ncaps;
	uint32_t service[MF_MAX_SERVICES];      /* interface IDs */
	char service_name[MF_MAX_SERVICES][16];
	unsigned service_line[MF_MAX_SERVICES];
	unsigned nservices;
};

struct mf_error {
	unsigned line;          /* 0: the manifest as a whole */
	char msg[160];
	unsigned note_line;     /* 0, or another line the error is about */
	char note[80];          /* what that line has */
};

/* 0, or -1 with err filled.  text need not be NUL-terminated. */
int mf_parse(const char *text, size_t len, struct manifest *m, struct mf_error *err);

/* The loader's policy (mercury_manifest(5), "What the loader grants"), of
 * what a manifest asks alone: ports within the grantable ones, in at most
 * MF_MAX_PORT_RANGES ranges, memory within MF_DRIVER_MAX_PAGES (trusted:
 * MF_TRUSTED_MAX_PAGES), no procmgr or devloader service unless trusted.
 * What other live drivers hold is the loader's to check.  0, or -1 with
 * err filled.  mfcheck checks it at build time, sysinit at load time. */
#define MF_MAX_PORT_RANGES 4
#define MF_DRIVER_MAX_PAGES 1024
#define MF_TRUSTED_MAX_PAGES 8192
int mf_policy(const struct manifest *m, bool trusted, struct mf_error *err);
const char *mf_type_name(enum mf_type t);

/* The suffixes of the names a header gives a capability of type t beside
 * its slot's (mfcheck -o): "_MIN" and "_MAX" of ports, "_LINE" of an IRQ;
 * a NULL-terminated list. */
const char *const *mf_name_suffixes(enum mf_type t);

/* The manifest in an ELF64 image: its .manifest section.  0 and
 * text and len set; -1 if the image is malformed or has none. */
int mf_find_elf(const void *image, size_t size, const char **text, size_t *len);

#endif
