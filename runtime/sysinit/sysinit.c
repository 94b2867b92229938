/*
 * sysinit.c: the root task.  It finds the initramfs among the boot
 * modules, starts the objects thread, makes the services' endpoints,
 * starts /sbin/usrinit with them in its aux vector; a thread for each of
 * devregistry, devmgr, devloader, procmgr and fs serves it, and the main
 * thread reports processes that die.  See init.h for the threads.
 */
#include "init.h"

struct obj objs[MAX_OBJS];
ipc_cap objs_wake[OBJ_SHARDS];
static volatile int objs_lock;

enum { SV_DEVREGISTRY, SV_DEVMGR, SV_DEVLOADER, SV_PROCMGR, SV_FS, SV_COUNT };
static ipc_cap deaths;          /* bit i: process i died */
volatile int procs_lock;

/* The services, each an object with its own endpoint. */
static struct sys_devregistry registry;
static struct sys_devmgr devmgr;
static struct sys_devloader devloader;
static struct sys_procmgr procmgr;
static struct fs_fs fs;

static const struct sys_devregistry_iface registry_impl;

ipc_cap service_ep(struct proc *p, uint32_t iface)
{
	if (p && iface == SYS_DEVREGISTRY_ID) {
		ipc_cap ep;
		if (p->reg.p)
			return p->reg.base.endpoint;
		if (hl_mem_alloc(mercury_memory, HELIOS_CAP_ENDPOINT, IPC_CAP_NONE, 0, &ep))
			return IPC_CAP_NONE;
		sys_devregistry_init(&p->reg.base, &registry_impl, ep);
		p->reg.p = p;
		if (obj_add(O_REGISTRY, &p->reg, ep)) {
			p->reg.p = NULL;
			hl_cap_destroy(ep);
			return IPC_CAP_NONE;
		}
		return ep;
	}
	switch (iface) {
	case SYS_DEVREGISTRY_ID: return registry.endpoint;
	case SYS_DEVMGR_ID: return devmgr.endpoint;
	case SYS_DEVLOADER_ID: return devloader.endpoint;
	case SYS_PROCMGR_ID: return procmgr.endpoint;
	case FS_FS_ID: return fs.endpoint;
	}
	return IPC_CAP_NONE;
}

int obj_add(enum obj_kind kind, void *impl, ipc_cap ep)
{
	int st = ERRORS_ERR_NO_MEMORY;
	unsigned i;
	mercury_lock(&objs_lock);
	for (i = 0; i < MAX_OBJS; i++) {
		if (objs[i].kind == O_FREE) {
			objs[i].ep = ep;
			objs[i].impl = impl;
			__atomic_store_n(&objs[i].kind, kind, __ATOMIC_RELEASE);
			st = 0;
			break;
		}
	}
	mercury_unlock(&objs_lock);
	if (st)
		mercury_log("too many objects (%u): refused", MAX_OBJS);
	else
		hl_signal(objs_wake[i / OBJ_SHARD], 1);
	return st;
}

/* An objects thread: poll the objects of its shard and its wakeup note. */
void objects_main(void *arg)
{
	unsigned shard = (unsigned)(uintptr_t)arg;
	ipc_cap wake = objs_wake[shard];
	struct helios_pollcap pc[HELIOS_MAX_POLL];
	int which[HELIOS_MAX_POLL];
	struct ipc_msg in, out;
	for (;;) {
		unsigned n = 0;
		pc[n] = (struct helios_pollcap){ wake, HELIOS_POLL_RECV, 0 };
		which[n++] = -1;
		for (unsigned i = shard * OBJ_SHARD; i < (shard + 1) * OBJ_SHARD; i++) {
			if (__atomic_load_n(&objs[i].kind, __ATOMIC_ACQUIRE) == O_FREE)
				continue;
			pc[n] = (struct helios_pollcap){ objs[i].ep, HELIOS_POLL_RECV, 0 };
			which[n++] = (int)i;
		}
		int r = hl_poll(pc, n);
		if (r < 0) {
			mercury_log("objects: poll: %d", r);
			hl_yield();
			continue;
		}
		for (unsigned k = 0; k < n; k++) {
			if (!(pc[k].revents & HELIOS_POLL_RECV))
				continue;
			if (which[k] < 0) {
				hl_wait(wake, NULL);
				continue;
			}
			struct obj *o = &objs[which[k]];
			if (ipc_recv(o->ep, &in))
				continue;
			int h = o->kind == O_FILE ? io_file_handle(o->impl, &in, &out)
				: o->kind == O_REGISTRY ? sys_devregistry_handle(o->impl, &in, &out)
				: sysinit_process_handle(o->impl, &in, &out);
			if (h == 0)
				ipc_reply(&out);
		}
	}
}

/* sysinit::process, served by the objects thread. */
static int process_start(struct sys_process *self)
{
	struct proc *p = (struct proc *)self;
	int st = ERRORS_ERR_INVALID;
	mercury_lock(&procs_lock);
	if (p->state == P_LOADED && hl_task_start(p->task) == 0) {
		p->state = P_RUNNING;
		st = 0;
	}
	mercury_unlock(&procs_lock);
	if (!st)
		mercury_log("started process %u (%s)", p->index, p->name);
	return st;
}

static int process_token(struct sysinit_process *self, uint64_t *result)
{
	*result = ((struct proc *)self)->token;
	return 0;
}

static const struct sysinit_process_iface process_impl = {
	.base = { .start = process_start },
	.token = process_token,
};

/* procmgr */
static int procmgr_new(struct sys_procmgr *self, ipc_cap *out)
{
	(void)self;
	struct proc *p;
	ipc_cap ep;
	mercury_lock(&procs_lock);
	int st = proc_new(&p);
	mercury_unlock(&procs_lock);
	if (st)
		return st;
	if (hl_mem_alloc(mercury_memory, HELIOS_CAP_ENDPOINT, IPC_CAP_NONE, 0, &ep)) {
		proc_release(p);
		p->state = P_FREE;
		return ERRORS_ERR_NO_MEMORY;
	}
	sysinit_process_init(&p->obj, &process_impl, ep);
	hl_task_notify(p->task, deaths, UINT64_C(1) << p->index);
	if ((st = obj_add(O_PROC, p, ep)) || hl_ep_client(ep, out)) {
		hl_cap_destroy(ep);
		proc_release(p);
		p->state = P_FREE;
		return ERRORS_ERR_NO_MEMORY;
	}
	return 0;
}

static const struct sys_procmgr_iface procmgr_impl = { .new_ = procmgr_new };

/* devloader: the process by its token, the image through io::file. */
#define IMAGE_MAX (4u << 20)

static int read_image(ipc_cap image, unsigned char **data, size_t *size)
{
	static struct mercury_buf b;    /* the loader thread's, kept: pages cost */
	size_t end = 0, pos = 0;
	if (io_file_seek(image, 0, IO_WHENCE_END, &end) || end > IMAGE_MAX ||
	    io_file_seek(image, 0, IO_WHENCE_SET, &pos))
		return ERRORS_ERR_INVALID;
	unsigned char *buf = malloc(end ? end : 1);
	if (!buf || (!b.va && mercury_buf_alloc(&b, IPC_MAX_CAPS))) {
		free(buf);
		return ERRORS_ERR_NO_MEMORY;
	}
	int st = 0;
	while (pos < end) {
		size_t want = end - pos, got = 0;
		if (want > IPC_MAX_CAPS * HELIOS_PAGE_SIZE)
			want = IPC_MAX_CAPS * HELIOS_PAGE_SIZE;
		if ((st = mercury_read(image, &b, 0, want, &got)) || got == 0 || got > want) {
			st = ERRORS_ERR_INVALID;
			break;
		}
		memcpy(buf + pos, b.va, got);
		pos += got;
	}
	if (st) {
		free(buf);
		return st;
	}
	*data = buf;
	*size = end;
	return 0;
}

/* The loader thread does the work: it calls the process and the image,
 * which may be anyone's endpoints, even the main thread's own. */
static int load(ipc_cap proc, ipc_cap image)
{
	uint64_t token = 0;
	struct proc *p = NULL;
	int st = sysinit_process_token(proc, &token);
	hl_cap_destroy(proc);
	mercury_lock(&procs_lock);
	for (unsigned i = 0; !st && i < MAX_PROCS; i++)
		if (procs[i].state == P_NEW && procs[i].token == token)
			p = &procs[i];
	if (p)
		p->state = P_LOADING;
	mercury_unlock(&procs_lock);
	if (!p) {
		mercury_log("devloader: not a new process of this system; refused");
		hl_cap_destroy(image);
		return ERRORS_ERR_INVALID;
	}
	unsigned char *data;
	size_t size;
	st = read_image(image, &data, &size);
	hl_cap_destroy(image);
	if (st) {
		mercury_log("devloader: cannot read the image (%d); refused", st);
	} else {
		const char *text;
		size_t len;
		struct manifest m;
		struct mf_error err;
		if (mf_find_elf(data, size, &text, &len)) {
			mercury_log("devloader: the image has no .manifest section; refused");
			st = ERRORS_ERR_INVALID;
		} else if (mf_parse(text, len, &m, &err)) {
			mercury_log("devloader: .manifest:%u: error: %s; refused", err.line, err.msg);
			st = ERRORS_ERR_INVALID;
		} else {
			static const struct policy driver = { .trusted = false };
			char what[48];
			mercury_snprintf(what, sizeof(what), "driver %s", m.name);
			mercury_lock(&procs_lock);
			st = proc_load(p, data, size, &m, &driver, what);
			mercury_unlock(&procs_lock);
			if (!st)
				mercury_log("devloader: loaded %s (%s) into process %u", m.name, m.desc, p->index);
		}
		free(data);
	}
	if (st) {
		mercury_lock(&procs_lock);
		proc_release(p);
		p->state = P_DEAD;
		mercury_unlock(&procs_lock);
	}
	return st;
}

#define MAX_JOBS 8
static struct job {
	ipc_cap proc, image, reply;
} jobs[MAX_JOBS];
static volatile unsigned jobs_head, jobs_tail;  /* main adds at tail, the loader takes at head */
static volatile int jobs_lock;
static ipc_cap jobs_note;

static void loader_main(void *arg)
{
	(void)arg;
	for (;;) {
		hl_wait(jobs_note, NULL);
		for (;;) {
			mercury_lock(&jobs_lock);
			bool any = jobs_head != jobs_tail;
			struct job j = jobs[jobs_head % MAX_JOBS];
			if (any)
				jobs_head++;
			mercury_unlock(&jobs_lock);
			if (!any)
				break;
			sys_devloader_load_reply(j.reply, load(j.proc, j.image));
		}
	}
}

static int devloader_load(struct sys_devloader *self, ipc_cap proc, ipc_cap image)
{
	(void)self;
	ipc_cap reply;
	mercury_lock(&jobs_lock);
	bool full = jobs_tail - jobs_head == MAX_JOBS;
	mercury_unlock(&jobs_lock);
	if (full || ipc_reply_save(&reply)) {
		hl_cap_destroy(proc);
		hl_cap_destroy(image);
		return ERRORS_ERR_NO_MEMORY;
	}
	mercury_lock(&jobs_lock);
	jobs[jobs_tail % MAX_JOBS] = (struct job){ proc, image, reply };
	jobs_tail++;
	mercury_unlock(&jobs_lock);
	hl_signal(jobs_note, 1);
	return IPC_DEFERRED;
}

static const struct sys_devloader_iface devloader_impl = { .load = devloader_load };

/* devregistry and devmgr: devices by interface ID, numbered per interface.
 * A driver registers through its own devregistry endpoint (served by an
 * objects thread), so its devices can go when it dies; devmgr is the main
 * thread's.  devs_lock guards the table and the opens that wait. */
#define MAX_DEVS 32
static struct dev {
	uint64_t iface;
	uint32_t n;
	int owner;              /* process index, or -1 */
	ipc_cap ep;
} devs[MAX_DEVS];
static unsigned ndevs;
static volatile int devs_lock;

#define MAX_PENDING 8
static struct pending {
	uint64_t iface;
	uint32_t n;
	ipc_cap reply;
} pending[MAX_PENDING];
static unsigned npending;

static bool dev_number_used(uint64_t iface, uint32_t n)
{
	for (unsigned i = 0; i < ndevs; i++)
		if (devs[i].iface == iface && devs[i].n == n)
			return true;
	return false;
}

static int registry_new(struct sys_devregistry *self, uint64_t iface, ipc_cap *out, uint32_t *result)
{
	struct proc *owner = self == &registry ? NULL : ((struct proc_registry *)self)->p;
	ipc_cap ep;
	if (hl_mem_alloc(mercury_memory, HELIOS_CAP_ENDPOINT, IPC_CAP_NONE, 0, &ep))
		return ERRORS_ERR_NO_MEMORY;
	if (hl_cap_copy(ep, IPC_CAP_NONE, IPC_CAP_NONE, out)) {
		hl_cap_destroy(ep);
		return ERRORS_ERR_NO_MEMORY;
	}
	mercury_lock(&devs_lock);
	if (ndevs == MAX_DEVS) {
		mercury_unlock(&devs_lock);
		hl_cap_destroy(ep);
		hl_cap_destroy(*out);
		return ERRORS_ERR_NO_MEMORY;
	}
	struct dev *d = &devs[ndevs];
	d->iface = iface;
	d->n = 0;
	while (dev_number_used(iface, d->n))
		d->n++;
	d->owner = owner ? (int)owner->index : -1;
	d->ep = ep;
	ndevs++;
	*result = d->n;
	/* Opens that waited for it. */
	for (unsigned i = 0; i < npending;) {
		if (pending[i].iface == iface && pending[i].n == d->n) {
			ipc_cap c;
			if (hl_ep_client(d->ep, &c))
				sys_devmgr_open_reply(pending[i].reply, ERRORS_ERR_NOT_FOUND, IPC_CAP_NONE);
			else
				sys_devmgr_open_reply(pending[i].reply, 0, c);
			pending[i] = pending[--npending];
		} else {
			i++;
		}
	}
	mercury_unlock(&devs_lock);
	mercury_log("devregistry: device %u of interface %08lx registered by %s", *result, iface,
	            owner ? owner->name : "sysinit");
	return 0;
}

static const struct sys_devregistry_iface registry_impl = { .new_ = registry_new };

/* A dead driver's devices go: devmgr no longer hands them out. */
static void devs_drop(unsigned owner)
{
	mercury_lock(&devs_lock);
	for (unsigned i = 0; i < ndevs;) {
		if (devs[i].owner == (int)owner) {
			mercury_log("devregistry: device %u of interface %08lx is gone with its driver",
			            devs[i].n, devs[i].iface);
			hl_cap_destroy(devs[i].ep);
			devs[i] = devs[--ndevs];
		} else {
			i++;
		}
	}
	mercury_unlock(&devs_lock);
}

static int devmgr_open(struct sys_devmgr *self, uint64_t iface, uint32_t n, ipc_cap *dev)
{
	(void)self;
	int st = IPC_DEFERRED;
	mercury_lock(&devs_lock);
	for (unsigned i = 0; i < ndevs && st == IPC_DEFERRED; i++)
		if (devs[i].iface == iface && devs[i].n == n)
			st = hl_ep_client(devs[i].ep, dev) ? ERRORS_ERR_NOT_FOUND : 0;
	/* Not there yet: its driver may be starting.  Answer when it registers. */
	if (st == IPC_DEFERRED) {
		if (npending == MAX_PENDING || ipc_reply_save(&pending[npending].reply)) {
			st = ERRORS_ERR_NOT_FOUND;
		} else {
			pending[npending].iface = iface;
			pending[npending++].n = n;
		}
	}
	mercury_unlock(&devs_lock);
	if (st == IPC_DEFERRED)
		mercury_log("devmgr: device %u of interface %08lx is not registered yet: the open waits for it",
		            n, iface);
	return st;
}

static const struct sys_devmgr_iface devmgr_impl = { .open = devmgr_open };

/* fs over bfs. */
static int fs_open(struct fs_fs *self, const char *path, ipc_cap *file)
{
	(void)self;
	if (path[0] != '/')
		return ERRORS_ERR_INVALID;
	return bfs_open(path, file);
}

static const struct fs_fs_iface fs_impl = { .open = fs_open };

/* Deaths. */
/*
 * An objects thread polls, then receives on the endpoint that was ready.  If
 * the caller died in between, the receive waits for the next request to
 * that object, and the thread's other objects wait with it.  After a death,
 * a harmless request (describe, through the generated stubs) to every object
 * ends any such wait; the threads answer the others in their stride.
 */
static void nudge_objects(void)
{
	for (unsigned i = 0; i < MAX_OBJS; i++) {
		int kind = __atomic_load_n(&objs[i].kind, __ATOMIC_ACQUIRE);
		if (kind == O_FILE)
			io_file_describe(objs[i].ep);
		else if (kind == O_PROC)
			sysinit_process_describe(objs[i].ep);
		else if (kind == O_REGISTRY)
			sys_devregistry_describe(objs[i].ep);
	}
}

static void reap(uint64_t bits)
{
	mercury_lock(&procs_lock);
	for (unsigned i = 0; i < MAX_PROCS; i++) {
		struct proc *p = &procs[i];
		if (!(bits & (UINT64_C(1) << i)) || p->state == P_FREE || p->state == P_DEAD)
			continue;       /* a refused load was released already */
		struct hl_ret r = hl_task_status(p->task);
		if (r.st == 0 && r.r0 == HELIOS_TASK_FAULTED)
			mercury_log("process %u (%s) faulted: vector %lu at %lx; the rest goes on", i, p->name,
			            r.r1, r.r2);
		else if (r.st == 0 && r.r0 == HELIOS_TASK_EXITED)
			mercury_log("process %u (%s) exited with %ld", i, p->name, (int64_t)r.r1);
		else
			mercury_log("process %u (%s) is gone", i, p->name);
		proc_release(p);
		p->state = P_DEAD;
		devs_drop(i);
	}
	mercury_unlock(&procs_lock);
	nudge_objects();
}

static int start_usrinit(void)
{
	static const char text[] = "[driver]\nname=usrinit\ndesc=the user's init\n"
		"[capabilities]\n_:cspace = self\n_:vspace = self\n_:memory = pages=1024\n"
		"[services]\nfs=\nprocmgr=\ndevmgr=\ndevloader=\n";
	static const struct policy trusted = { .trusted = true };
	struct manifest m;
	struct mf_error err;
	const unsigned char *image;
	size_t size;
	struct proc *p;
	ipc_cap ep;
	if (mf_parse(text, sizeof(text) - 1, &m, &err) || bfs_lookup("/sbin/usrinit", &image, &size) ||
	    procmgr_new(&procmgr, &ep))
		return -1;
	hl_cap_destroy(ep);
	p = NULL;
	for (unsigned i = 0; i < MAX_PROCS && !p; i++)
		if (procs[i].state == P_NEW)
			p = &procs[i];
	if (!p || proc_load(p, image, size, &m, &trusted, "/sbin/usrinit") ||
	    process_start(&p->obj.base))
		return -1;
	return 0;
}

/* A service's thread: one request after another, on its endpoint alone.
 * (One thread per endpoint, not a poll over them: poll-then-receive could
 * block on an endpoint whose caller died in between.) */
static ipc_cap service_eps[SV_COUNT];

static void service_main(void *arg)
{
	unsigned which = (unsigned)(uintptr_t)arg;
	struct ipc_msg in, out;
	for (;;) {
		if (ipc_recv(service_eps[which], &in))
			continue;
		int h;
		switch (which) {
		case SV_DEVREGISTRY: h = sys_devregistry_handle(&registry, &in, &out); break;
		case SV_DEVMGR: h = sys_devmgr_handle(&devmgr, &in, &out); break;
		case SV_DEVLOADER: h = sys_devloader_handle(&devloader, &in, &out); break;
		case SV_PROCMGR: h = sys_procmgr_handle(&procmgr, &in, &out); break;
		default: h = fs_fs_handle(&fs, &in, &out); break;
		}
		if (h == 0)
			ipc_reply(&out);
	}
}

int main(void)
{
	const struct helios_bootinfo *bi = mercury_bootinfo;
	if (!bi || bi->nmodules < 2) {
		mercury_log("no initramfs: boot with -initrd \"sysinit,initramfs.tar\"");
		return 1;
	}
	bfs_init((const void *)bi->module[1].vaddr, bi->module[1].size);
	mercury_log("initramfs: %s, %lu bytes (tsc %lu)", bi->module[1].name, bi->module[1].size, hl_rdtsc());

	ipc_cap *eps = service_eps, task;
	for (unsigned i = 0; i < SV_COUNT; i++)
		if (hl_mem_alloc(mercury_memory, HELIOS_CAP_ENDPOINT, IPC_CAP_NONE, 0, &eps[i]))
			return 1;
	if (hl_mem_alloc(mercury_memory, HELIOS_CAP_NOTIFICATION, IPC_CAP_NONE, 0, &deaths))
		return 1;
	for (unsigned i = 0; i < OBJ_SHARDS; i++)
		if (hl_mem_alloc(mercury_memory, HELIOS_CAP_NOTIFICATION, IPC_CAP_NONE, 0, &objs_wake[i]))
			return 1;
	sys_devregistry_init(&registry, &registry_impl, eps[SV_DEVREGISTRY]);
	sys_devmgr_init(&devmgr, &devmgr_impl, eps[SV_DEVMGR]);
	sys_devloader_init(&devloader, &devloader_impl, eps[SV_DEVLOADER]);
	sys_procmgr_init(&procmgr, &procmgr_impl, eps[SV_PROCMGR]);
	fs_fs_init(&fs, &fs_impl, eps[SV_FS]);
	if (hl_mem_alloc(mercury_memory, HELIOS_CAP_NOTIFICATION, IPC_CAP_NONE, 0, &jobs_note) ||
	    mercury_thread_spawn(loader_main, NULL, &task) ||
	    mercury_thread_spawn(objects_main, (void *)0, &task) ||
	    mercury_thread_spawn(objects_main, (void *)1, &task)) {
		mercury_log("cannot start the loader and objects threads");
		return 1;
	}
	for (unsigned i = 0; i < SV_COUNT; i++) {
		if (mercury_thread_spawn(service_main, (void *)(uintptr_t)i, &task)) {
			mercury_log("cannot start the service threads");
			return 1;
		}
	}
	mercury_log("services ready: devregistry devmgr devloader procmgr fs");
	if (start_usrinit()) {
		mercury_log("cannot start /sbin/usrinit");
		return 1;
	}

	/* The main thread hears of deaths. */
	for (;;) {
		uint64_t bits;
		if (hl_wait(deaths, &bits) == 0 && bits)
			reap(bits);
	}
}
