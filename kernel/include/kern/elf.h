/*
 * kern/elf.h: reading an ELF64 executable (lib/elf.c).  Pure: it checks an
 * image in memory and hands each loadable segment to a callback; the
 * caller decides where the bytes go.  Built on the host too, where the
 * unit tests feed it good and broken images.
 */
#ifndef KERN_ELF_H
#define KERN_ELF_H

#include "kern/lib.h"

#define ELF_PF_X 1u
#define ELF_PF_W 2u
#define ELF_PF_R 4u

struct elf_segment {
	u64 vaddr, memsz;       /* where, and how much (the rest of filesz is zeros) */
	u64 offset, filesz;     /* the bytes in the image */
	u32 flags;              /* ELF_PF_* */
};

/* Every loadable segment must lie in [lo, hi).  0, or -1 for a malformed
 * image or a callback's refusal (its nonzero return). */
int elf_load(const void *image, usize size, u64 lo, u64 hi, u64 *entry,
             int (*segment)(void *arg, const struct elf_segment *s), void *arg);

#endif
