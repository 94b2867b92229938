/*
 * loader.c: making a process.  proc_new gives it an empty task, cspace and
 * vspace; proc_load fills them from an ELF image and a manifest: the
 * capabilities the manifest declares at the slots it declares (fixed ones
 * first, then the `_` ones wherever the kernel puts them), the services it
 * names, its segments, a stack, an IPC buffer, and the auxiliary vector
 * that tells the runtime where the `_` capabilities and services landed.
 *
 * The policy is here too: what sysinit may grant.  I/O ports only in the
 * serial ports' and the CMOS clock's ranges and to one process at a time,
 * IRQ lines to one process at a time, a bounded memory quota, and no
 * process or loader services to drivers.  A refusal names the manifest
 * line it is about.
 */
#include "elf64.h"
#include "init.h"

_Static_assert(MF_MAX_SLOT + 1 == HELIOS_CSPACE_SLOTS, "a manifest names every slot of a cspace, and no more");

struct proc procs[MAX_PROCS];


static uint64_t token_state;
static uint64_t next_token(void)
{
	/* splitmix64 over the time stamp counter and the clock. */
	token_state += hl_rdtsc() ^ (hl_syscall(HELIOS_SYS_CLOCK, 0, 0, 0, 0, 0).r0 << 32);
	uint64_t z = (token_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A free record; its kernel objects come at load time, from its own quota. */
int proc_new(struct proc **out)
{
	unsigned i = 0;
	while (i < MAX_PROCS && procs[i].state != P_FREE)
		i++;
	if (i == MAX_PROCS)
		return ERRORS_ERR_NO_MEMORY;
	struct proc *p = &procs[i];
	*p = (struct proc){ .index = i, .objidx = -1, .mem = IPC_CAP_NONE, .task = IPC_CAP_NONE,
	                    .cspace = IPC_CAP_NONE, .vspace = IPC_CAP_NONE, .token = next_token(),
	                    .reg.obj = -1, .mgr.obj = -1, .fs.obj = -1 };
	memcpy(p->name, "(empty)", 8);
	p->state = P_NEW;
	*out = p;
	return 0;
}

/* Everything p holds goes: revoking its quota kills its threads and takes
 * its pages, tables, capabilities, ports, IRQ lines (unbound) and log, and
 * whatever it made from the memory it was given; then the quota itself. */
void proc_reclaim(struct proc *p)
{
	if (p->mem != IPC_CAP_NONE) {
		hl_mem_revoke(p->mem);
		hl_cap_destroy(p->mem);
	}
	p->mem = p->task = p->cspace = p->vspace = IPC_CAP_NONE;
	p->irqs = 0;
	p->nports = 0;
}

/* Is the range granted to a live process (other than p)? */
static bool ports_taken(const struct proc *p, uint32_t lo, uint32_t hi)
{
	for (unsigned i = 0; i < MAX_PROCS; i++) {
		const struct proc *q = &procs[i];
		if (q == p || (q->state != P_LOADED && q->state != P_RUNNING))
			continue;
		for (unsigned k = 0; k < q->nports; k++)
			if (lo < q->ports[k][1] && q->ports[k][0] < hi)
				return true;
	}
	return false;
}

static bool irq_taken(const struct proc *p, uint32_t line)
{
	for (unsigned i = 0; i < MAX_PROCS; i++) {
		const struct proc *q = &procs[i];
		if (q != p && (q->state == P_LOADED || q->state == P_RUNNING) && (q->irqs & (1u << line)))
			return true;
	}
	return false;
}

/* What the policy says of a manifest: 0 or errors::denied, logged.  What
 * it asks alone is mf_policy's (mfcheck's too); what another live driver
 * holds, this. */
static int check_policy(const struct proc *p, const struct manifest *m, const struct policy *pol,
                        const char *what)
{
	struct mf_error err;
	if (mf_policy(m, pol->trusted, &err)) {
		if (err.line)
			mercury_log("devloader: %s: manifest line %u: %s; refused", what, err.line, err.msg);
		else
			mercury_log("devloader: %s: %s; refused", what, err.msg);
		return ERRORS_ERR_DENIED;
	}
	for (unsigned i = 0; i < m->ncaps; i++) {
		const struct mf_cap *c = &m->cap[i];
		if (c->type == MF_IOPORT && ports_taken(p, c->min, c->max)) {
			mercury_log("devloader: %s: manifest line %u: ports %x..%x belong to another driver; refused",
			            what, c->line, c->min, c->max);
			return ERRORS_ERR_DENIED;
		} else if (c->type == MF_IRQ && irq_taken(p, c->irq)) {
			mercury_log("devloader: %s: manifest line %u: IRQ %u belongs to another driver; refused",
			            what, c->line, c->irq);
			return ERRORS_ERR_DENIED;
		}
	}
	return 0;
}


static bool range_in(uint64_t base, uint64_t len, uint64_t lo, uint64_t hi)
{
	return base >= lo && len <= hi - lo && base - lo <= hi - lo - len;
}

/* A fresh page holding n bytes of src at off, mapped at va in p's vspace. */
static int place(struct proc *p, uint64_t va, unsigned flags, const void *src, size_t off, size_t n,
                 ipc_cap *keep)
{
	ipc_cap pg;
	int st = hl_mem_alloc(p->mem, HELIOS_CAP_PAGE, IPC_CAP_NONE, 0, &pg);
	if (st)
		return st;
	if (n) {
		char *w = mercury_map(&pg, 1, true);
		if (!w) {
			hl_cap_destroy(pg);
			return IPC_ENOMEM;
		}
		memcpy(w + off, src, n);
		mercury_unmap(w, 1);
	}
	st = hl_map(p->vspace, va, pg, flags, p->mem);
	if (keep && !st)
		*keep = pg;
	else
		hl_cap_destroy(pg);
	return st;
}

static int load_elf(struct proc *p, const unsigned char *image, size_t size, uint64_t *entry)
{
	const struct elf64_ehdr *e = (const void *)image;
	if (size < sizeof(*e) || memcmp(e->ident, "\177ELF", 4) || e->ident[4] != 2 ||
	    e->ident[5] != 1 || e->type != 2 || e->machine != 62 ||
	    e->phentsize != sizeof(struct elf64_phdr) || e->phoff % 8 ||
	    !range_in(e->phoff, (uint64_t)e->phnum * sizeof(struct elf64_phdr), 0, size))
		return -1;
	/* Below the regions the runtime lays out. */
	const uint64_t lo = HELIOS_USER_MIN, hi = MERCURY_HEAP;
	if (e->entry < lo || e->entry >= hi)
		return -1;
	const struct elf64_phdr *ph = (const void *)(image + e->phoff);
	int loaded = 0;
	for (unsigned i = 0; i < e->phnum; i++) {
		if (ph[i].type != 1)
			continue;
		if (ph[i].filesz > ph[i].memsz || !range_in(ph[i].offset, ph[i].filesz, 0, size) ||
		    !range_in(ph[i].vaddr, ph[i].memsz, lo, hi))
			return -1;
		unsigned flags = (ph[i].flags & 2 ? HELIOS_MAP_W : 0) | (ph[i].flags & 1 ? HELIOS_MAP_X : 0);
		uint64_t v0 = ph[i].vaddr & ~(uint64_t)(HELIOS_PAGE_SIZE - 1);
		for (uint64_t va = v0; va < ph[i].vaddr + ph[i].memsz; va += HELIOS_PAGE_SIZE) {
			uint64_t a = va > ph[i].vaddr ? va : ph[i].vaddr;
			uint64_t b = va + HELIOS_PAGE_SIZE < ph[i].vaddr + ph[i].filesz
				? va + HELIOS_PAGE_SIZE : ph[i].vaddr + ph[i].filesz;
			int st = place(p, va, flags, image + ph[i].offset + (a - ph[i].vaddr), a - va,
			               a < b ? b - a : 0, NULL);
			if (st == HELIOS_EBUSY)
				return -1;      /* two segments share a page */
			if (st)
				return st;
		}
		loaded++;
	}
	if (!loaded)
		return -1;
	*entry = e->entry;
	return 0;
}

/* The capability c of the manifest, made and put at dst in p's cspace. */
static int grant(struct proc *p, const struct mf_cap *c, const ipc_cap *note_at, ipc_cap *slot)
{
	ipc_cap tmp = IPC_CAP_NONE, dst = c->slot == MF_ANY ? IPC_CAP_NONE : (ipc_cap)c->slot;
	int st;
	switch (c->type) {
	case MF_IOPORT:
		st = hl_cap_narrow(HELIOS_ROOT_IOPORT, IPC_CAP_NONE, c->min, c->max, p->mem, &tmp);
		break;
	case MF_NOTE:
		if (c->slot != MF_ANY && note_at[c->slot] != IPC_CAP_NONE) {
			tmp = note_at[c->slot];         /* made first, for the IRQs */
			st = 0;
		} else {
			st = hl_mem_alloc(p->mem, HELIOS_CAP_NOTIFICATION, IPC_CAP_NONE, 0, &tmp);
		}
		break;
	case MF_IRQ:
		st = hl_cap_narrow(HELIOS_ROOT_IRQ, IPC_CAP_NONE, c->irq, c->irq + 1, p->mem, &tmp);
		if (!st)
			st = hl_irq_bind(tmp, c->irq, note_at[c->note], UINT64_C(1) << c->irq);
		if (!st)
			p->irqs |= 1u << c->irq;
		break;
	case MF_CSPACE:
		return hl_cap_copy(p->cspace, dst, p->cspace, slot);
	case MF_VSPACE:
		return hl_cap_copy(p->vspace, dst, p->cspace, slot);
	case MF_MEMORY:
		st = hl_mem_alloc(p->mem, HELIOS_CAP_MEMORY, IPC_CAP_NONE, c->pages, &tmp);
		break;
	default:
		st = IPC_EINVAL;
	}
	if (st)
		return st;
	st = hl_cap_move(tmp, dst, p->cspace, slot);
	if (st && !(c->type == MF_NOTE && c->slot != MF_ANY))
		hl_cap_destroy(tmp);    /* (a fixed note stays in note_at, for the caller to drop) */
	if (!st && c->type == MF_IOPORT) {
		p->ports[p->nports][0] = c->min;
		p->ports[p->nports++][1] = c->max;
	}
	return st;
}

/*
 * The name of p's log: its own, in the characters a log name may have,
 * unless sysinit or another live process logs under it already: then with
 * ".N" (its process number) after it, so that no process's lines can pass
 * for another's.
 */
static void log_name_of(struct proc *p, char *out)
{
	size_t n = 0;
	for (; p->name[n] && n < HELIOS_LOG_NAME_MAX; n++) {
		char c = p->name[n];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		          c == '.' || c == '_' || c == '-';
		out[n] = ok ? c : '_';
	}
	out[n] = 0;
	bool taken = n == 0 || strcmp(out, mercury_name) == 0;
	for (unsigned i = 0; i < MAX_PROCS && !taken; i++)
		taken = &procs[i] != p && procs[i].state != P_FREE && strcmp(procs[i].logname, out) == 0;
	if (taken) {
		char num[8];
		int k = mercury_snprintf(num, sizeof(num), ".%u", p->index);
		if (n + (size_t)k > HELIOS_LOG_NAME_MAX)
			n = HELIOS_LOG_NAME_MAX - (size_t)k;
		memcpy(out + n, num, (size_t)k + 1);
	}
}

static const unsigned aux_type[MF_TYPE_COUNT] = {
	[MF_IOPORT] = HELIOS_CAP_IOPORT, [MF_NOTE] = HELIOS_CAP_NOTIFICATION, [MF_IRQ] = HELIOS_CAP_IRQ,
	[MF_CSPACE] = HELIOS_CAP_CSPACE, [MF_VSPACE] = HELIOS_CAP_VSPACE, [MF_MEMORY] = HELIOS_CAP_MEMORY,
};

/*
 * The pages a process's quota needs: its task, cspace, vspace and log; the
 * ports, IRQ ranges and notes its manifest declares, and the memory (with
 * the quota's own page); its segments, stack, IPC buffer and aux vector;
 * and the page tables for them (a last-level table is two pages: the
 * table and its links).  0 if the image is not one proc_load can load.
 */
struct keys {
	uint64_t k[64];
	unsigned n;
};

static void key_add(struct keys *s, uint64_t k)
{
	for (unsigned i = 0; i < s->n; i++)
		if (s->k[i] == k)
			return;
	if (s->n < 64)
		s->k[s->n++] = k;
}

static void span_add(struct keys lv[3], uint64_t va, uint64_t end)
{
	static const unsigned shift[3] = { 21, 30, 39 };
	for (unsigned l = 0; l < 3; l++)
		for (uint64_t k = va >> shift[l]; k <= (end - 1) >> shift[l]; k++)
			key_add(&lv[l], k);
}

static uint64_t proc_pages(const unsigned char *image, size_t size, const struct manifest *m)
{
	const struct elf64_ehdr *e = (const void *)image;
	if (size < sizeof(*e) || e->phentsize != sizeof(struct elf64_phdr) ||
	    !range_in(e->phoff, (uint64_t)e->phnum * sizeof(struct elf64_phdr), 0, size))
		return 0;
	uint64_t pages = 4 + MERCURY_STACK_PAGES + 2 + 2;       /* task cspace vspace log; stack ipcbuf aux; slack */
	for (unsigned i = 0; i < m->ncaps; i++)
		pages += m->cap[i].type == MF_MEMORY ? m->cap[i].pages + 1
			: m->cap[i].type == MF_CSPACE || m->cap[i].type == MF_VSPACE ? 0 : 1;
	struct keys lv[3] = { { .n = 0 }, { .n = 0 }, { .n = 0 } };
	const struct elf64_phdr *ph = (const void *)(image + e->phoff);
	for (unsigned i = 0; i < e->phnum; i++) {
		if (ph[i].type != 1 || !range_in(ph[i].vaddr, ph[i].memsz, HELIOS_USER_MIN, MERCURY_HEAP) ||
		    !ph[i].memsz)
			continue;
		uint64_t lo = ph[i].vaddr & ~(uint64_t)(HELIOS_PAGE_SIZE - 1);
		uint64_t hi = (ph[i].vaddr + ph[i].memsz + HELIOS_PAGE_SIZE - 1) & ~(uint64_t)(HELIOS_PAGE_SIZE - 1);
		pages += (hi - lo) / HELIOS_PAGE_SIZE;
		span_add(lv, lo, hi);
	}
	span_add(lv, MERCURY_STACK_TOP - MERCURY_STACK_PAGES * HELIOS_PAGE_SIZE, MERCURY_STACK_TOP);
	span_add(lv, MERCURY_IPCBUF, MERCURY_IPCBUF + HELIOS_PAGE_SIZE);
	span_add(lv, MERCURY_AUXV, MERCURY_AUXV + HELIOS_PAGE_SIZE);
	if (lv[0].n == 64)
		return 0;                       /* scattered over more than 128 MiB: not ours */
	return pages + 2 * lv[0].n + lv[1].n + lv[2].n;
}

int proc_load(struct proc *p, const unsigned char *image, size_t size, const struct manifest *m,
              const struct policy *pol, const char *what)
{
	size_t nl = strlen(m->name);
	memcpy(p->name, m->name, nl + 1);
	int st = check_policy(p, m, pol, what);
	if (st)
		return st;
	/* Its quota, and its task, cspace and vspace made from it. */
	uint64_t pages = proc_pages(image, size, m);
	if (!pages) {
		mercury_log("devloader: %s: not a loadable x86_64 ELF executable; refused", what);
		return ERRORS_ERR_INVALID;
	}
	if (hl_mem_alloc(mercury_memory, HELIOS_CAP_MEMORY, IPC_CAP_NONE, pages, &p->mem) ||
	    hl_mem_alloc(p->mem, HELIOS_CAP_TASK, IPC_CAP_NONE, 0, &p->task) ||
	    hl_mem_alloc(p->mem, HELIOS_CAP_CSPACE, IPC_CAP_NONE, 0, &p->cspace) ||
	    hl_mem_alloc(p->mem, HELIOS_CAP_VSPACE, IPC_CAP_NONE, 0, &p->vspace) ||
	    hl_task_notify(p->task, proc_deaths, UINT64_C(1) << p->index)) {
		mercury_log("devloader: %s: no memory for a process of %lu pages; refused", what, pages);
		return ERRORS_ERR_NO_MEMORY;
	}
	static struct mercury_auxv aux;
	memset(&aux, 0, sizeof(aux));
	aux.magic = MERCURY_AUXV_MAGIC;
	for (size_t i = 0; i < nl; i += 8) {
		uint64_t w = 0;
		for (size_t k = 0; k < 8 && i + k < nl; k++)
			w |= (uint64_t)(unsigned char)m->name[i + k] << (8 * k);
		aux.ent[aux.count++] = (struct mercury_aux){ MERCURY_AT_NAME, w, 0 };
	}

	/* Fixed notes first, here, so that IRQs can be bound to them; then
	 * everything at a fixed slot; then the `_` capabilities. */
	ipc_cap note_at[MF_MAX_SLOT + 1];
	for (unsigned i = 0; i <= MF_MAX_SLOT; i++)
		note_at[i] = IPC_CAP_NONE;
	for (unsigned i = 0; i < m->ncaps; i++) {
		const struct mf_cap *c = &m->cap[i];
		if (c->type == MF_NOTE && c->slot != MF_ANY &&
		    hl_mem_alloc(p->mem, HELIOS_CAP_NOTIFICATION, IPC_CAP_NONE, 0, &note_at[c->slot]))
			goto nomem;
	}
	for (unsigned pass = 0; pass < 2; pass++) {
		for (unsigned i = 0; i < m->ncaps; i++) {
			const struct mf_cap *c = &m->cap[i];
			if ((pass == 0) != (c->slot != MF_ANY) || c->type == MF_NOTE)
				continue;
			ipc_cap slot;
			if ((st = grant(p, c, note_at, &slot))) {
				mercury_log("devloader: %s: manifest line %u: cannot grant %s (status %d); refused",
				            what, c->line, mf_type_name(c->type), st);
				goto denied;
			}
			if (c->slot == MF_ANY && aux.count < MERCURY_AUX_MAX)
				aux.ent[aux.count++] = (struct mercury_aux){ MERCURY_AT_CAP, aux_type[c->type], slot };
		}
		/* The notes, after the IRQs bound to them. */
		for (unsigned i = 0; i < m->ncaps; i++) {
			const struct mf_cap *c = &m->cap[i];
			if (c->type != MF_NOTE || (pass == 0) != (c->slot != MF_ANY))
				continue;
			ipc_cap slot;
			if ((st = grant(p, c, note_at, &slot))) {
				mercury_log("devloader: %s: manifest line %u: cannot grant note (status %d); refused",
				            what, c->line, st);
				goto denied;
			}
			if (c->slot != MF_ANY)
				note_at[c->slot] = IPC_CAP_NONE;        /* moved */
			else if (aux.count < MERCURY_AUX_MAX)
				aux.ent[aux.count++] = (struct mercury_aux){ MERCURY_AT_CAP, HELIOS_CAP_NOTIFICATION, slot };
		}
	}
	for (unsigned i = 0; i < m->nservices; i++) {
		ipc_cap slot, client, ep = service_ep(p, m->service[i]);
		if (ep == IPC_CAP_NONE || hl_ep_client(ep, &client) ||
		    (hl_cap_move(client, IPC_CAP_NONE, p->cspace, &slot) && !hl_cap_destroy(client))) {
			mercury_log("devloader: %s: manifest line %u: cannot give the %s service; refused",
			            what, m->service_line[i], m->service_name[i]);
			goto denied;
		}
		if (aux.count < MERCURY_AUX_MAX)
			aux.ent[aux.count++] = (struct mercury_aux){ MERCURY_AT_SERVICE, m->service[i], slot };
	}

	/* Its log. */
	ipc_cap log, slot;
	log_name_of(p, p->logname);
	if (mercury_log_name(HELIOS_ROOT_LOG, p->logname, p->mem, &log))
		goto nomem;
	if (hl_cap_move(log, IPC_CAP_NONE, p->cspace, &slot)) {
		hl_cap_destroy(log);
		goto nomem;
	}
	if (aux.count < MERCURY_AUX_MAX)
		aux.ent[aux.count++] = (struct mercury_aux){ MERCURY_AT_CAP, HELIOS_CAP_LOG, slot };

	/* The image, a stack, the IPC buffer and the aux vector. */
	uint64_t entry;
	if ((st = load_elf(p, image, size, &entry))) {
		mercury_log("devloader: %s: not a loadable x86_64 ELF executable (%d); refused", what, st);
		goto invalid;
	}
	for (unsigned i = 1; i <= MERCURY_STACK_PAGES; i++)
		if (place(p, MERCURY_STACK_TOP - i * HELIOS_PAGE_SIZE, HELIOS_MAP_W, NULL, 0, 0, NULL))
			goto nomem;
	ipc_cap ipcpg;
	if (place(p, MERCURY_IPCBUF, HELIOS_MAP_W, NULL, 0, 0, &ipcpg))
		goto nomem;
	st = hl_task_config(p->task, p->cspace, p->vspace, ipcpg);
	hl_cap_destroy(ipcpg);
	if (st || place(p, MERCURY_AUXV, 0, &aux, 0, sizeof(aux), NULL) ||
	    hl_task_regs(p->task, entry, MERCURY_STACK_TOP, MERCURY_AUXV, 0))
		goto nomem;
	p->state = P_LOADED;
	return 0;
nomem:
	st = ERRORS_ERR_NO_MEMORY;
	goto out;
invalid:
	st = ERRORS_ERR_INVALID;
	goto out;
denied:
	st = ERRORS_ERR_DENIED;
out:
	for (unsigned i = 0; i <= MF_MAX_SLOT; i++)
		if (note_at[i] != IPC_CAP_NONE)
			hl_cap_destroy(note_at[i]);
	return st;
}
