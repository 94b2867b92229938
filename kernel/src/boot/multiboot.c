/*
 * boot/multiboot.c: read the Multiboot 1 information block.  The loader
 * leaves it somewhere in low memory, which the frame allocator will hand
 * out, so everything the kernel keeps is copied into boot_info first.  Only
 * called while the boot page tables still map the first GiB at its
 * physical address (identity), which is where the pointers in the block
 * point.
 */
#include "kern/arch.h"
#include "kern/boot.h"

#define MB_BOOTLOADER_MAGIC 0x2badb002
#define MB_INFO_CMDLINE (1u << 2)
#define MB_INFO_MODS (1u << 3)
#define MB_INFO_MMAP (1u << 6)

struct mb_info {
	u32 flags, mem_lower, mem_upper, boot_device, cmdline;
	u32 mods_count, mods_addr;
	u32 syms[4];
	u32 mmap_length, mmap_addr;
} __attribute__((packed));

struct mb_module {
	u32 start, end, string, reserved;
};

struct mb_mmap {
	u32 size;
	u64 addr, len;
	u32 type;
} __attribute__((packed));

struct boot_info boot_info;

static void copy_str(char *dst, usize size, u32 pa)
{
	const char *s = (const char *)(uptr)pa;
	usize i = 0;
	if (pa)
		for (; s[i] && i + 1 < size; i++)
			dst[i] = s[i];
	dst[i] = 0;
}

int multiboot_parse(u32 magic, u64 info_pa)
{
	if (magic != MB_BOOTLOADER_MAGIC)
		return -1;
	const struct mb_info *mb = (const void *)(uptr)info_pa;
	if (mb->flags & MB_INFO_CMDLINE)
		copy_str(boot_info.cmdline, sizeof(boot_info.cmdline), mb->cmdline);
	if (mb->flags & MB_INFO_MMAP) {
		u64 p = mb->mmap_addr, end = p + mb->mmap_length;
		while (p < end && boot_info.nram < BOOT_MAX_RANGES) {
			const struct mb_mmap *e = (const void *)(uptr)p;
			if (e->type == 1 && e->len)
				boot_info.ram[boot_info.nram++] = (struct boot_range){ e->addr, e->len };
			p += e->size + 4;
		}
	}
	if (mb->flags & MB_INFO_MODS) {
		const struct mb_module *m = (const void *)(uptr)mb->mods_addr;
		for (u32 i = 0; i < mb->mods_count && i < BOOT_MAX_MODULES; i++) {
			struct boot_module *bm = &boot_info.module[boot_info.nmodules++];
			bm->start = m[i].start;
			bm->end = m[i].end;
			copy_str(bm->name, sizeof(bm->name), m[i].string);
		}
	}
	return 0;
}

/* Is word one of the space-separated words of the kernel command line? */
bool cmdline_has(const char *word)
{
	usize n = strlen(word);
	const char *s = boot_info.cmdline;
	while (*s) {
		while (*s == ' ')
			s++;
		const char *w = s;
		while (*s && *s != ' ')
			s++;
		if ((usize)(s - w) == n && !strncmp(w, word, n))
			return true;
	}
	return false;
}
