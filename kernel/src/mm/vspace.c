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
 * destroyed or their quota revoked.  A user page's frame holds one
 * reference per mapping, and each mapping is on the page's reverse map
 * (kern/rmap.h), linked through the links frame of its page table; a
 * table knows the one entry that points at it (frame.parent).  So
 * revocation finds every mapping of a page, and takes a table out of its
 * vspace, without walking any vspace.
 */
#include "kern/arch.h"
#include "kern/mm.h"
#include "kern/rmap.h"
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

/* A page table of the given level (3 PDPT, 2 PD, 1 page table) from q; a
 * last-level table comes with the frame that links its entries into the
 * reverse maps of the pages they map. */
static u64 table_alloc(struct memq *q, unsigned level, int *err)
{
	if (level == 1 && q->limit - q->used < 2) {
		*err = HELIOS_ENOMEM;
		return 0;
	}
	u64 pa = page_alloc(q, FRAME_TABLE, err);
	if (!pa)
		return 0;
	struct frame *f = frame_get(pa >> PAGE_SHIFT);
	f->flags |= (u16)level;
	if (level == 1) {
		u64 links = page_alloc(q, FRAME_LINKS, err);
		kassert(links);
		f->links = (u32)(links >> PAGE_SHIFT);
	}
	return pa;
}

/* The entry for va at the last level, making tables on the way if q. */
static u64 *walk(struct vspace *vs, u64 va, struct memq *q, int *err)
{
	u64 *t = vs->entry;
	for (unsigned level = 3; level >= 1; level--) {
		u64 *e = &t[(va >> (12 + 9 * level)) & 511];
		if (!(*e & PTE_P)) {
			if (!q)
				return NULL;
			u64 pa = table_alloc(q, level, err);
			if (!pa)
				return NULL;
			*e = pa | PTE_P | PTE_W | PTE_U;
			frame_get(pa >> PAGE_SHIFT)->parent = ref_of_entry(e);
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
	rmap_add(pa >> PAGE_SHIFT, ref_of_entry(e));
	return 0;
}

/* A page's entry goes: off the page's reverse map, and its reference. */
static void entry_clear(u64 *e)
{
	u64 pa = *e & PTE_ADDR;
	rmap_del(pa >> PAGE_SHIFT, ref_of_entry(e));
	*e = 0;
	page_unref(pa);
}

/* A table's entry goes: the table is reaped. */
static void entry_clear_table(u64 *e)
{
	u64 pa = *e & PTE_ADDR;
	frame_get(pa >> PAGE_SHIFT)->parent = 0;
	*e = 0;
	page_unref(pa);
}

int vspace_unmap(struct vspace *vs, u64 va)
{
	u64 *e = walk(vs, va, NULL, NULL);
	if (!e || !(*e & PTE_P))
		return HELIOS_EINVAL;
	entry_clear(e);
	if (is_current(vs))
		invlpg(va);
	return 0;
}

/* Revocation: the page an entry maps goes out of it. */
void entry_sever(u32 ref)
{
	entry_clear(entry_of_ref(ref));
	tlb_stale();
}

/* Revocation: a table goes out of its vspace, with what it maps. */
void table_sever(u64 pfn)
{
	struct frame *f = frame_get(pfn);
	if (!f->refs || !f->parent)
		return;                 /* on its way out already */
	u64 *e = entry_of_ref(f->parent);
	kassert((*e & PTE_ADDR) == pfn << PAGE_SHIFT);
	entry_clear_table(e);
	tlb_stale();
}

/*
 * The next present entry of t[*i .. n), for a reap: each present entry is a
 * step of the work budget, and so is every SCAN_STEP empty entries passed
 * over.  NULL when the budget ran out (*i says where to go on) or when
 * there is none left (*i == n).
 */
static u64 *next_present(u64 *t, u32 *i, u32 n)
{
	u32 k = *i;
	u64 *e = NULL;
	while (k < n && work_budget > 0) {
		u32 end = MIN(k + SCAN_STEP, n);
		while (k < end && !(t[k] & PTE_P))
			k++;
		work_budget--;
		if (k < end) {
			e = &t[k++];
			break;
		}
	}
	*i = k;
	return e;
}

/* Reap of a table whose entry went: its entries go, a step each. */
bool table_destroy_step(u64 pfn)
{
	struct frame *f = frame_get(pfn);
	u64 *t = phys_to_virt(pfn << PAGE_SHIFT), *e;
	u32 i = f->progress;
	while ((e = next_present(t, &i, 512))) {
		if ((f->flags & FRAME_LEVEL) == 1)
			entry_clear(e);
		else
			entry_clear_table(e);
	}
	f->progress = i;
	if (i < 512)
		return false;
	if (f->links) {
		frame_return(f->links);
		f->links = 0;
	}
	return true;
}

/* Reap of a vspace: its user half goes, a table per step; the kernel half
 * is shared, untouched. */
bool vspace_destroy_step(struct vspace *vs)
{
	struct frame *f = frame_get(frame_of_virt(vs));
	sched_forget_cr3(virt_to_phys(vs));    /* a dying task's own space: stand on the kernel's */
	u64 *e;
	u32 i = f->progress;
	while ((e = next_present(vs->entry, &i, 256)))
		entry_clear_table(e);
	f->progress = i;
	return i == 256;
}

u64 vspace_lookup(struct vspace *vs, u64 va)
{
	u64 *e = walk(vs, va, NULL, NULL);
	return e && (*e & PTE_P) ? *e & PTE_ADDR : 0;
}

u64 vspace_user_frame(struct vspace *vs, u64 va, bool write)
{
	u64 *e = walk(vs, va, NULL, NULL);
	if (!e || (*e & (PTE_P | PTE_U)) != (PTE_P | PTE_U) || (write && !(*e & PTE_W)))
		return 0;
	return *e & PTE_ADDR;
}
