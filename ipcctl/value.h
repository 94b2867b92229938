/*
 * value.h: the values of ipcctl, one kind of type at a time.
 *
 * A value passes through four steps, each one function per kind of type
 * (integers, bool, enums, bit sets, strings, byte arrays, capabilities),
 * picked by the kind of its struct typeref: parsed from the command line,
 * encoded into a request as the generated client does, decoded from a reply
 * with the generated client's checks, printed as text or JSON.  A new kind
 * of scalar is one more entry in the table of value.c.  Structs, lists and
 * optional values are made of those, one layer around the table: a struct
 * holds its fields and a list its elements as values of their own (sub),
 * an optional value is one that may be absent.
 */
#ifndef IPCCTL_VALUE_H
#define IPCCTL_VALUE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <mercury/ipc.h>

#include "ipcgen.h"

/* What is passed or returned: a value parameter, a capability (one or a
 * list), or a call's result. */
struct item {
	const char *name;
	const struct typeref *type;
	bool list;                    /* page...: any number of capabilities */
	bool ool;                     /* out of line past ool_min bytes (ipcgen(5)) */
	unsigned ool_min;
};

/* One value. */
struct val {
	uint64_t word;                /* a scalar: its wire word */
	unsigned char *bytes;         /* a string or byte array (malloc'd) */
	size_t len;
	ipc_cap cap[IPC_MAX_CAPS];    /* capabilities: one, or a list's */
	size_t ncaps;
	struct val *sub;              /* a struct's fields in order, a list's elements
	                                 (malloc'd) */
	size_t nsub;
	bool set;                     /* given on the command line / decoded */
	bool absent;                  /* an optional value: not there */
};

/* Where the next word and the next capability of a message are. */
struct cursor {
	uint32_t word, cap;
};

/* The type as written in a .ipc file: "u32", "string<16>", "io::whence",
 * "list<io::entry, 4>?" (malloc'd). */
char *type_name(const struct typeref *t);
/* Whether the type is a capability's (page, cap, an interface). */
bool type_is_cap(const struct typeref *t);
/* Whether ipcctl knows how to pass or show values of the type. */
bool value_supported(const struct typeref *t);
/* Where a number may be a constant's name: NAME of home, or NS::NAME of
 * any namespace of u. */
void value_constants(const struct unit *u, const struct ns *home);

/* Parses text (one NAME=VALUE's VALUE) into v; for a list, adds one
 * capability to it.  NULL on success, else why not, starting with the
 * parameter and the path inside it ("'ents[2].name': expected ...";
 * malloc'd). */
char *value_parse(const struct item *it, const char *text, struct val *v);
/* An argument not given: absent if its type is optional (true), else false. */
bool value_omit(const struct item *it, struct val *v);
/* The words a value of the item's type takes in a message, at least and
 * at most (a reply's result is checked against them). */
void value_words(const struct item *it, unsigned *min, unsigned *max);
/* Whether v still fits a message that holds what c has reached; encodes it
 * at c (words, or capabilities, which then belong to the message). */
bool value_fits(const struct item *it, const struct val *v, const struct cursor *c);
void value_encode(const struct item *it, struct val *v, struct ipc_msg *m, struct cursor *c);
/* Decodes v at c with the generated client's checks; false: malformed.
 * A list takes every capability left. */
bool value_decode(const struct item *it, const struct ipc_msg *m, struct cursor *c,
                  struct val *v);
/* Whether the item goes out of line as its words (ipcgen(5) "Out of
 * line"): a list, a struct or an optional value that may; a byte array's
 * or string's region holds its bytes. */
bool value_owords(const struct item *it);
/* Such a value, as the generated code writes it: at c if its words (a
 * list's count word or an optional value's presence word included) are
 * at most its share (it->ool_min), a struct's after a length word, else
 * IPC_OOL_FLAG and their count at c and the same words in a new sealed
 * region, *ool (else IPC_CAP_NONE), which the caller appends to the
 * message's capabilities.  0, or a status (IPC_EINVAL: the message has no
 * room for it). */
int value_put_olist(const struct item *it, struct val *v, struct ipc_msg *m, struct cursor *c,
                    ipc_cap *ool);
/* Reads such a value at c as the generated client does: its words there,
 * decoded into v (kept to its share), or IPC_OOL_FLAG and the count of
 * words of its region (*ool set, *n), which value_read_olist reads once
 * the regions are known; false: malformed. */
bool value_get_olist(const struct item *it, const struct ipc_msg *m, struct cursor *c,
                     struct val *v, size_t *n, bool *ool);
/* Decodes v from region (exactly n words, sealed; it stays the caller's),
 * every word of it read; false: malformed. */
bool value_read_olist(const struct item *it, ipc_cap region, size_t n, struct val *v);
/* Prints v: text as it would be written as an argument ("fd 4 (page,
 * 4096 bytes)" for a capability, "(absent)" for an absent value), or
 * JSON. */
void value_print(FILE *f, bool json, const struct item *it, const struct val *v);
/* Frees v and releases the capabilities it still holds. */
void value_free(const struct item *it, struct val *v);

/* Quoted text: C-like escapes, or JSON's. */
void put_quoted(FILE *f, bool json, const char *s, size_t len);

#endif /* IPCCTL_VALUE_H */
