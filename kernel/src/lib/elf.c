/*
 * lib/elf.c: checks an ELF64 x86_64 executable and walks its PT_LOAD
 * segments.  Every offset and size is checked against the image and every
 * address range against [lo, hi) before the callback sees it, with
 * overflow in mind: the image is untrusted input.  The image itself must
 * be 8-byte aligned (boot modules are page-aligned).
 */
#include "kern/elf.h"

struct elf64_ehdr {
	u8 ident[16];
	u16 type, machine;
	u32 version;
	u64 entry, phoff, shoff;
	u32 flags;
	u16 ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
	u32 type, flags;
	u64 offset, vaddr, paddr, filesz, memsz, align;
};

#define PT_LOAD 1
#define ET_EXEC 2
#define EM_X86_64 62

static bool range_in(u64 base, u64 len, u64 lo, u64 hi)
{
	return base >= lo && len <= hi - lo && base - lo <= hi - lo - len;
}

int elf_load(const void *image, usize size, u64 lo, u64 hi, u64 *entry,
             int (*segment)(void *arg, const struct elf_segment *s), void *arg)
{
	const struct elf64_ehdr *eh = image;
	if (size < sizeof(*eh) || memcmp(eh->ident, "\177ELF", 4) || eh->ident[4] != 2 ||
	    eh->ident[5] != 1 || eh->type != ET_EXEC || eh->machine != EM_X86_64 ||
	    eh->phentsize != sizeof(struct elf64_phdr))
		return -1;
	if (!range_in(eh->phoff, (u64)eh->phnum * sizeof(struct elf64_phdr), 0, size) || eh->phoff % 8)
		return -1;      /* program headers inside the image, and aligned */
	if (eh->entry < lo || eh->entry >= hi)
		return -1;
	const struct elf64_phdr *ph = (const void *)((const u8 *)image + eh->phoff);
	int loaded = 0;
	for (unsigned i = 0; i < eh->phnum; i++) {
		if (ph[i].type != PT_LOAD)
			continue;
		if (ph[i].filesz > ph[i].memsz || !range_in(ph[i].offset, ph[i].filesz, 0, size) ||
		    !range_in(ph[i].vaddr, ph[i].memsz, lo, hi))
			return -1;
		struct elf_segment s = {
			.vaddr = ph[i].vaddr, .memsz = ph[i].memsz,
			.offset = ph[i].offset, .filesz = ph[i].filesz,
			.flags = ph[i].flags,
		};
		if (segment(arg, &s))
			return -1;
		loaded++;
	}
	if (!loaded)
		return -1;
	*entry = eh->entry;
	return 0;
}
