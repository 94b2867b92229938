/*
 * mm/vspace.c: page tables.
 *
 * The kernel's half of every address space is the same: PML4 entry 256
 * maps all physical memory (below 4 GiB) at DIRECT_BASE with 2 MiB pages,
 * no-execute; entry 511 maps the kernel image at KERNEL_VBASE with 4 KiB
 * pages, text read-only and executable, everything else no-execute, and
 * rodata read-only.  kernel_vspace_init builds these once; every vspace
 * copies the two entries, so the kernel's tables are shared and never
 * change afterwards.
 *
 * The lower half belongs to the vspace's holder.  Page tables are charged
 * to the memory capability that MAP names; they stay until the vspace is
 * destroyed.  A user page's frame holds one reference per mapping.
 */
#include "kern/arch.h"
#include "kern/mm.h"
#include "kern/boot.h"
#include "abi/helios.h"

#define PTE_P 1ull
#define PTE_W 2ull
#define PTE_U 4ull
#define PTE_PS 0x80ull
#define PTE_G 0x100ull
#define PTE_NX (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull

extern char _text_start[], _rodata_start[], _data_start[], _kernel_end[], kstack_guard[];

static u64 pte_nx;              /* PTE_NX if EFER.NXE is on, else 0 */
static struct vspace *kernel_pml4;

static u64 *table_va(u64 entry)
{
	return phys_to_virt(entry & PTE_ADDR);
}

/* Boot-time only: a zeroed frame for the kernel's own tables. */
static u64 kernel_table(void)
{
	u64 pa = boot_alloc_page();
	/* Still on the boot tables: the first GiB is identity-mapped. */
	memset((void *)(uptr)pa, 0, PAGE_SIZE);
	return pa;
}

void kernel_vspace_init(u64 max_pa)
{
	if (rdmsr(0xc0000080) & (1ull << 11))
		pte_nx = PTE_NX;
	u64 pml4 = kernel_table();
	u64 *l4 = (u64 *)(uptr)pml4;

	/* The direct map: 2 MiB pages up to max_pa. */
	u64 pdpt = kernel_table();
	l4[256] = pdpt | PTE_P | PTE_W;
	u64 limit = MIN(ALIGN_UP(max_pa, 1ull << 30), DIRECT_LIMIT);
	for (u64 gb = 0; gb < limit; gb += 1ull << 30) {
		u64 pd = kernel_table();
		((u64 *)(uptr)pdpt)[gb >> 30] = pd | PTE_P | PTE_W;
		for (u64 i = 0; i < 512; i++)
			((u64 *)(uptr)pd)[i] = (gb + (i << 21)) | PTE_P | PTE_W | PTE_PS | PTE_G | pte_nx;
	}

	/* The image, 4 KiB at a time. */
	u64 kpdpt = kernel_table(), kpd = kernel_table();
	l4[511] = kpdpt | PTE_P | PTE_W;
	((u64 *)(uptr)kpdpt)[510] = kpd | PTE_P | PTE_W;
	for (u64 va = (u64)(uptr)_text_start; va < (u64)(uptr)_kernel_end; va += PAGE_SIZE) {
		if (va == (u64)(uptr)kstack_guard)
			continue;               /* below the kernel stack: a stack overflow faults */
		u64 pdi = (va >> 21) & 511, pti = (va >> 12) & 511;
		u64 *pd = (u64 *)(uptr)kpd;
		if (!(pd[pdi] & PTE_P))
			pd[pdi] = kernel_table() | PTE_P | PTE_W;
		u64 flags = PTE_P | PTE_G;
		if (va >= (u64)(uptr)_rodata_start)
			flags |= pte_nx;
		if (va >= (u64)(uptr)_data_start)
			flags |= PTE_W;
		((u64 *)(uptr)(pd[pdi] & PTE_ADDR))[pti] = (va - KERNEL_VBASE) | flags;
	}
	write_cr4(read_cr4() | (1ull << 7));    /* PGE: kernel mappings survive cr3 loads */
	write_cr3(pml4);
	kernel_cr3 = pml4;
	kernel_pml4 = phys_to_virt(pml4);
}

void vspace_init(struct vspace *vs)
{
	for (unsigned i = 256; i < 512; i++)
		vs->entry[i] = kernel_pml4->entry[i];
}

/* The entry for va at the last level, making tables on the way if q. */
static u64 *walk(struct vspace *vs, u64 va, struct memq *q, int *err)
{
	u64 *t = vs->entry;
	for (int shift = 39; shift > 12; shift -= 9) {
		u64 *e = &t[(va >> shift) & 511];
		if (!(*e & PTE_P)) {
			if (!q)
				return NULL;
			u64 pa = page_alloc(q, FRAME_TABLE, err);
			if (!pa)
				return NULL;
			*e = pa | PTE_P | PTE_W | PTE_U;
		}
		t = table_va(*e);
	}
	return &t[(va >> 12) & 511];
}

static bool is_current(struct vspace *vs)
{
	return read_cr3() == virt_to_phys(vs);
}

int vspace_map(struct vspace *vs, u64 va, u64 pa, unsigned flags, struct memq *tables)
{
	int err = 0;
	u64 *e = walk(vs, va, tables, &err);
	if (!e)
		return err;
	if (*e & PTE_P)
		return HELIOS_EBUSY;
	*e = pa | PTE_P | PTE_U | (flags & HELIOS_MAP_W ? PTE_W : 0) |
	     (flags & HELIOS_MAP_X ? 0 : pte_nx);
	page_ref(pa);
	return 0;
}

int vspace_unmap(struct vspace *vs, u64 va)
{
	u64 *e = walk(vs, va, NULL, NULL);
	if (!e || !(*e & PTE_P))
		return HELIOS_EINVAL;
	u64 pa = *e & PTE_ADDR;
	*e = 0;
	if (is_current(vs))
		invlpg(va);
	page_unref(pa);
	return 0;
}

u64 vspace_lookup(struct vspace *vs, u64 va)
{
	u64 *e = walk(vs, va, NULL, NULL);
	return e && (*e & PTE_P) ? *e & PTE_ADDR : 0;
}

/* The frame an entry points to goes, with everything beneath it: level 0
 * is a page, 1 a page table, 2 a page directory, 3 a PDPT. */
static void drop(u64 entry, int level)
{
	if (level > 0) {
		u64 *t = table_va(entry);
		for (unsigned i = 0; i < 512; i++)
			if (t[i] & PTE_P)
				drop(t[i], level - 1);
	}
	page_unref(entry & PTE_ADDR);
}

/* Every user mapping and table goes; the kernel half is shared, untouched. */
void vspace_destroy(struct vspace *vs)
{
	sched_forget_cr3(virt_to_phys(vs));    /* a dying task's own space: stand on the kernel's */
	for (unsigned i = 0; i < 256; i++) {
		if (vs->entry[i] & PTE_P)
			drop(vs->entry[i], 3);
		vs->entry[i] = 0;
	}
}

static void prune(u64 *t, unsigned n, int level, bool (*doomed)(u64 pa, void *arg), void *arg)
{
	for (unsigned i = 0; i < n; i++) {
		if (!(t[i] & PTE_P))
			continue;
		if (doomed(t[i] & PTE_ADDR, arg)) {
			drop(t[i], level - 1);
			t[i] = 0;
		} else if (level > 1) {
			prune(table_va(t[i]), 512, level - 1, doomed, arg);
		}
	}
}

void vspace_prune(struct vspace *vs, bool (*doomed)(u64 pa, void *arg), void *arg)
{
	prune(vs->entry, 256, 4, doomed, arg);
	if (is_current(vs))
		write_cr3(read_cr3());          /* the kernel's mappings are global: they stay */
}
