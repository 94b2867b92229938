/*
 * kern/boot.h: what the boot loader told us.  boot/multiboot.c copies the
 * Multiboot 1 information (memory map, modules, command line) into
 * struct boot_info before the memory it lives in can be reused.
 */
#ifndef KERN_BOOT_H
#define KERN_BOOT_H

#include "kern/lib.h"

#define BOOT_MAX_RANGES 32
#define BOOT_MAX_MODULES 8

struct boot_range {
	u64 base, len;
};

struct boot_module {
	u64 start, end;         /* physical, end exclusive */
	char name[48];
};

struct boot_info {
	struct boot_range ram[BOOT_MAX_RANGES];
	unsigned nram;
	struct boot_module module[BOOT_MAX_MODULES];
	unsigned nmodules;
	char cmdline[128];
};

extern struct boot_info boot_info;

/* boot/multiboot.c */
int multiboot_parse(u32 magic, u64 info_pa);
bool cmdline_has(const char *word);

/* boot/main.c */
NORETURN void kmain(u32 magic, u64 info_pa);
u64 boot_alloc_page(void);              /* before the frame table: identity-mapped */

/* boot/root.c */
void root_task_create(void);

#endif
