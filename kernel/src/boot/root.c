/*
 * boot/root.c: the root task, made by hand from boot module 0 (an ELF
 * executable), and given everything: all free memory (as one memory
 * capability), all I/O ports, IRQ lines 1..15, the kernel log, its own
 * task, cspace and vspace.  It also sees every boot module, mapped read-only, and a
 * struct helios_bootinfo that lists them.  From here on the kernel makes
 * nothing by itself: the root task builds the rest of the system.
 *
 * Layout of the root's address space (the other tasks' is up to it):
 */
#define ROOT_STACK_TOP 0x00007ff000000000ull     /* 64 KiB of stack below */
#define ROOT_STACK_PAGES 16
#define ROOT_IPCBUF 0x00007ff000100000ull
#define ROOT_BOOTINFO 0x00007ff000200000ull
#define ROOT_MODULES 0x00007f0000000000ull      /* modules, one after another */

#include "kern/arch.h"
#include "kern/boot.h"
#include "kern/cap.h"
#include "kern/elf.h"
#include "kern/mm.h"
#include "kern/task.h"

struct loader {
	struct vspace *vs;
	struct memq *q;
	const u8 *image;
};

static u64 root_page(struct memq *q)
{
	int err = 0;
	u64 pa = page_alloc(q, FRAME_PAGE, &err);
	if (!pa)
		panic("root task: out of memory");
	return pa;
}

/* Map a fresh page (the mapping holds its only reference). */
static u64 map_new(struct vspace *vs, struct memq *q, u64 va, unsigned flags)
{
	u64 pa = root_page(q);
	if (vspace_map(vs, va, pa, flags, q))
		panic("root task: cannot map %lx", va);
	page_unref(pa);
	return pa;
}

static int load_segment(void *arg, const struct elf_segment *s)
{
	struct loader *l = arg;
	unsigned flags = (s->flags & ELF_PF_W ? HELIOS_MAP_W : 0) | (s->flags & ELF_PF_X ? HELIOS_MAP_X : 0);
	for (u64 va = ALIGN_DOWN(s->vaddr, PAGE_SIZE); va < s->vaddr + s->memsz; va += PAGE_SIZE) {
		u64 pa = vspace_lookup(l->vs, va);
		if (!pa)
			pa = map_new(l->vs, l->q, va, flags);
		/* The part of the file that lands in this page. */
		u64 lo = MAX(va, s->vaddr), hi = MIN(va + PAGE_SIZE, s->vaddr + s->filesz);
		if (lo < hi)
			memcpy((u8 *)phys_to_virt(pa) + (lo - va), l->image + s->offset + (lo - s->vaddr), hi - lo);
	}
	return 0;
}

void root_task_create(void)
{
	int err = 0;
	struct memq *q = obj_alloc(NULL, HELIOS_CAP_MEMORY, &err);
	if (!q)
		panic("root task: out of memory");
	q->limit = frames_free;

	struct cspace *cs = obj_alloc(q, HELIOS_CAP_CSPACE, &err);
	struct vspace *vs = obj_alloc(q, HELIOS_CAP_VSPACE, &err);
	struct tcb *t = obj_alloc(q, HELIOS_CAP_TASK, &err);
	if (!cs || !vs || !t)
		panic("root task: out of memory");
	vspace_init(vs);
	task_init(t);

	struct boot_module *m0 = &boot_info.module[0];
	struct loader l = { vs, q, phys_to_virt(m0->start) };
	u64 entry;
	if (elf_load(l.image, m0->end - m0->start, HELIOS_USER_MIN, ROOT_MODULES, &entry, load_segment, &l))
		panic("root task: module 0 (%s) is not an x86_64 ELF executable", m0->name);

	for (u64 i = 1; i <= ROOT_STACK_PAGES; i++)
		map_new(vs, q, ROOT_STACK_TOP - i * PAGE_SIZE, HELIOS_MAP_W);
	u64 ipcbuf_pa = map_new(vs, q, ROOT_IPCBUF, HELIOS_MAP_W);
	u64 bootinfo_pa = map_new(vs, q, ROOT_BOOTINFO, 0);

	struct helios_bootinfo *bi = phys_to_virt(bootinfo_pa);
	bi->magic = HELIOS_BOOTINFO_MAGIC;
	bi->ipc_buffer = ROOT_IPCBUF;
	memcpy(bi->cmdline, boot_info.cmdline, sizeof(bi->cmdline));
	u64 va = ROOT_MODULES;
	for (unsigned i = 0; i < boot_info.nmodules && i < HELIOS_MAX_MODULES; i++) {
		struct boot_module *m = &boot_info.module[i];
		bi->module[i].vaddr = va + (m->start & (PAGE_SIZE - 1));
		bi->module[i].size = m->end - m->start;
		memcpy(bi->module[i].name, m->name, sizeof(bi->module[i].name));
		for (u64 pa = ALIGN_DOWN(m->start, PAGE_SIZE); pa < m->end; pa += PAGE_SIZE, va += PAGE_SIZE) {
			/* A boot frame becomes a user page owned by this mapping. */
			struct frame *f = frame_get(pa >> PAGE_SHIFT);
			f->kind = FRAME_PAGE;
			f->refs = 1;
			if (vspace_map(vs, va, pa, 0, q))
				panic("root task: cannot map module %u", i);
			f->refs--;
		}
		bi->nmodules++;
	}

	/* The capabilities below take obj_alloc's references (but for the
	 * weak cspace one: the task's binding takes that one). */
	cap_set(cs, HELIOS_ROOT_TASK, (struct cap){ .type = HELIOS_CAP_TASK, .obj = t });
	cap_set(cs, HELIOS_ROOT_CSPACE, (struct cap){ .type = HELIOS_CAP_CSPACE, .rights = CAP_WEAK, .obj = cs });
	cap_set(cs, HELIOS_ROOT_VSPACE, (struct cap){ .type = HELIOS_CAP_VSPACE, .obj = vs });
	cap_set(cs, HELIOS_ROOT_MEMORY, (struct cap){ .type = HELIOS_CAP_MEMORY, .obj = q });
	struct range *io = range_new(q, HELIOS_CAP_IOPORT, NULL, &err);
	struct range *irq = range_new(q, HELIOS_CAP_IRQ, NULL, &err);
	struct range *log = range_new(q, HELIOS_CAP_LOG, NULL, &err);
	if (!io || !irq || !log)
		panic("root task: out of memory");
	io->hi = 0x10000;
	irq->lo = 1;
	irq->hi = 16;
	cap_set(cs, HELIOS_ROOT_IOPORT, (struct cap){ .type = HELIOS_CAP_IOPORT, .obj = io });
	cap_set(cs, HELIOS_ROOT_IRQ, (struct cap){ .type = HELIOS_CAP_IRQ, .obj = irq });
	cap_set(cs, HELIOS_ROOT_LOG, (struct cap){ .type = HELIOS_CAP_LOG, .obj = log });
	page_ref(ipcbuf_pa);
	cap_set(cs, HELIOS_ROOT_IPCBUF, (struct cap){ .type = HELIOS_CAP_PAGE, .rights = HELIOS_PAGE_RWX, .pa = ipcbuf_pa });

	task_bind(t, TCB_BIND_CSPACE, frame_of_virt(cs));
	obj_unref(cs);
	task_bind(t, TCB_BIND_VSPACE, frame_of_virt(vs));
	task_bind(t, TCB_BIND_IPCBUF, ipcbuf_pa >> PAGE_SHIFT);
	t->ctx.rip = entry;
	t->ctx.rsp = ROOT_STACK_TOP;
	t->ctx.rdi = ROOT_BOOTINFO;
	t->status = HELIOS_TASK_RUNNING;
	root_task = t;
	bi->free_pages = q->limit - q->used;
	kprintf("root task: %s, entry %lx, %lu of %lu pages free\n", m0->name, entry,
	        q->limit - q->used, q->limit);
	sched_wake(t);
}
