/*
 * start.c: from crt0 to main.  The root task (sysinit) gets the kernel's
 * bootinfo and the root slots of abi/helios.h; every other process gets
 * the auxiliary vector sysinit wrote, which names its services and where
 * its `_` capabilities landed.  Threads other than the main one find
 * their IPC buffer on top of their stack's slot.
 */
#include "mercury/helios.h"

ipc_cap mercury_cspace = IPC_CAP_NONE, mercury_vspace = IPC_CAP_NONE,
	mercury_memory = IPC_CAP_NONE, mercury_logcap = IPC_CAP_NONE;
const struct helios_bootinfo *mercury_bootinfo;
const struct mercury_auxv *mercury_auxv;
char mercury_name[32] = "?";

void mercury_heap_init(void);

struct helios_ipc_buffer *mercury_ipcbuf(void)
{
	uint64_t sp = (uint64_t)__builtin_frame_address(0);
	if (sp >= MERCURY_THREADS && sp < MERCURY_THREADS + MERCURY_MAX_THREADS * MERCURY_THREAD_SPAN) {
		uint64_t base = sp & ~(MERCURY_THREAD_SPAN - 1);
		return (struct helios_ipc_buffer *)(base + MERCURY_THREAD_SPAN - HELIOS_PAGE_SIZE);
	}
	return (struct helios_ipc_buffer *)MERCURY_IPCBUF;
}

ipc_cap mercury_service(uint32_t iface)
{
	if (!mercury_auxv)
		return IPC_CAP_NONE;
	for (uint64_t i = 0; i < mercury_auxv->count && i < MERCURY_AUX_MAX; i++)
		if (mercury_auxv->ent[i].type == MERCURY_AT_SERVICE && mercury_auxv->ent[i].a == iface)
			return (ipc_cap)mercury_auxv->ent[i].b;
	return IPC_CAP_NONE;
}

ipc_cap mercury_cap(unsigned type)
{
	if (!mercury_auxv)
		return IPC_CAP_NONE;
	for (uint64_t i = 0; i < mercury_auxv->count && i < MERCURY_AUX_MAX; i++)
		if (mercury_auxv->ent[i].type == MERCURY_AT_CAP && mercury_auxv->ent[i].a == type)
			return (ipc_cap)mercury_auxv->ent[i].b;
	return IPC_CAP_NONE;
}

_Noreturn void mercury_start(const void *arg);
_Noreturn void mercury_start(const void *arg)
{
	const uint64_t *magic = arg;
	if (magic && *magic == HELIOS_BOOTINFO_MAGIC) {
		mercury_bootinfo = arg;
		mercury_cspace = HELIOS_ROOT_CSPACE;
		mercury_vspace = HELIOS_ROOT_VSPACE;
		mercury_memory = HELIOS_ROOT_MEMORY;
		memcpy(mercury_name, "sysinit", 8);
		/* Its own lines go through a log named like the others' (the
		 * untagged one stays, to name theirs). */
		mercury_log_name(HELIOS_ROOT_LOG, mercury_name, HELIOS_ROOT_MEMORY, &mercury_logcap);
	} else if (magic && *magic == MERCURY_AUXV_MAGIC) {
		mercury_auxv = arg;
		mercury_cspace = mercury_cap(HELIOS_CAP_CSPACE);
		mercury_vspace = mercury_cap(HELIOS_CAP_VSPACE);
		mercury_memory = mercury_cap(HELIOS_CAP_MEMORY);
		mercury_logcap = mercury_cap(HELIOS_CAP_LOG);
		size_t n = 0;
		for (uint64_t i = 0; i < mercury_auxv->count && i < MERCURY_AUX_MAX; i++) {
			const struct mercury_aux *e = &mercury_auxv->ent[i];
			for (unsigned k = 0; e->type == MERCURY_AT_NAME && k < 8 && n + 1 < sizeof(mercury_name); k++)
				mercury_name[n++] = (char)(e->a >> (8 * k));
		}
		mercury_name[n] = 0;
	}
	mercury_heap_init();
	hl_exit(main());
}

/* Threads: slot i of the thread window holds the stack (growing down from
 * below the IPC buffer) and, in its top page, the IPC buffer. */
static volatile int thread_lock;
static unsigned thread_used;

_Noreturn void mercury_thread_start(void (*fn)(void *), void *arg);
_Noreturn void mercury_thread_start(void (*fn)(void *), void *arg)
{
	fn(arg);
	hl_exit(0);
}

extern char mercury_thread_entry[];

static int place(uint64_t va, ipc_cap *keep)
{
	ipc_cap pg;
	int st = hl_mem_alloc(mercury_memory, HELIOS_CAP_PAGE, IPC_CAP_NONE, 0, &pg);
	if (st)
		return st;
	st = hl_map(mercury_vspace, va, pg, HELIOS_MAP_W, mercury_memory);
	if (st || !keep)
		hl_cap_destroy(pg);
	else
		*keep = pg;
	return st;
}

int mercury_thread_spawn(void (*fn)(void *), void *arg, ipc_cap *task)
{
	mercury_lock(&thread_lock);
	unsigned i = thread_used < MERCURY_MAX_THREADS ? thread_used++ : MERCURY_MAX_THREADS;
	mercury_unlock(&thread_lock);
	if (i == MERCURY_MAX_THREADS)
		return IPC_ENOMEM;
	uint64_t base = MERCURY_THREADS + i * MERCURY_THREAD_SPAN;
	uint64_t ipcva = base + MERCURY_THREAD_SPAN - HELIOS_PAGE_SIZE;
	uint64_t top = ipcva - HELIOS_PAGE_SIZE;        /* a guard page between */
	ipc_cap ipcpg = IPC_CAP_NONE, t;
	int st = place(ipcva, &ipcpg);
	for (unsigned p = 1; !st && p <= MERCURY_THREAD_STACK_PAGES; p++)
		st = place(top - p * HELIOS_PAGE_SIZE, NULL);
	if (!st)
		st = hl_mem_alloc(mercury_memory, HELIOS_CAP_TASK, IPC_CAP_NONE, 0, &t);
	if (st)
		return st;
	st = hl_task_config(t, mercury_cspace, mercury_vspace, ipcpg);
	hl_cap_destroy(ipcpg);
	if (!st)
		st = hl_task_regs(t, (uint64_t)mercury_thread_entry, top, (uint64_t)fn, (uint64_t)arg);
	if (!st)
		st = hl_task_start(t);
	if (st) {
		hl_cap_destroy(t);
		return st;
	}
	*task = t;
	return 0;
}
