/*
 * sysinit.c: the root task.  It finds the initramfs among the boot
 * modules, starts the objects threads, makes the services' endpoints,
 * starts /sbin/usrinit with them in its aux vector; a thread for each of
 * devregistry, devmgr, devloader, procmgr and fs serves it, and the main
 * thread hears of processes ending, reclaims them, restarts the drivers
 * that asked for it, and times out the opens that wait for a device.  See
 * init.h for the threads.
 *
 * Nothing is kept for ever: a process goes back to the free memory when it
 * ends (its quota is revoked), an object when its last client is gone
 * (EP_WATCH), a process record when both are true.  The limits are on what
 * is live at once: MAX_PROCS processes, MAX_OBJS objects (at most MAX_FILES
 * of them open files, MAX_FILES_EACH opened by one process), MAX_DEVS
 * devices (MAX_DEVS_PER_DRIVER of one driver), MAX_PENDING opens waiting
 * (MAX_PENDING_EACH of one process), MAX_DRIVERS drivers restarted;
 * reaching one is an error reply (errors::no_memory, errors::busy), never
 * a wait.
 */
#include "init.h"

struct obj objs[MAX_OBJS];
ipc_cap objs_note[OBJ_SHARDS];
static volatile int objs_lock;

enum { SV_DEVREGISTRY, SV_DEVMGR, SV_DEVLOADER, SV_PROCMGR, SV_FS, SV_COUNT };
ipc_cap proc_deaths;            /* bit i: process i's main thread ended */
static ipc_cap main_note;       /* the main thread's timer, and work for it (MAIN_*) */
#define MAIN_TIMER 1u
#define MAIN_WORK 2u
volatile int procs_lock;

/* The services, each an object with its own endpoint. */
static struct sys_devregistry registry;
static struct sys_devmgr devmgr;
static struct sys_devloader devloader;
static struct sys_procmgr procmgr;
static struct fs_fs fs;

static const struct sys_devregistry_iface registry_impl;
static const struct sys_devmgr_iface devmgr_impl;
static const struct fs_fs_iface fs_impl;
static const struct sysinit_process_iface process_impl;

static uint64_t now(void)
{
	return hl_clock();
}

/* A process's own devregistry, devmgr or fs endpoint, made the first time
 * it is given: served as an object, which goes with the process
 * (own_eps_take).  devregistry knows so whose devices are, devmgr whose
 * opens wait (a share each, MAX_PENDING_EACH), fs who opens files (a share
 * each, MAX_FILES_EACH).  IPC_CAP_NONE: no memory or no room in objs[]. */
static ipc_cap own_ep(struct proc *p, uint32_t iface)
{
	enum obj_kind kind = iface == SYS_DEVREGISTRY_ID ? O_REGISTRY : iface == SYS_DEVMGR_ID ? O_DEVMGR : O_FS;
	struct proc **owner;
	int *obj;
	void *impl;
	if (kind == O_REGISTRY)
		owner = &p->reg.p, obj = &p->reg.obj, impl = &p->reg;
	else if (kind == O_DEVMGR)
		owner = &p->mgr.p, obj = &p->mgr.obj, impl = &p->mgr;
	else
		owner = &p->fs.p, obj = &p->fs.obj, impl = &p->fs;
	if (*owner)
		return objs[*obj].ep;
	ipc_cap ep;
	if (hl_mem_alloc(mercury_memory, HELIOS_CAP_ENDPOINT, IPC_CAP_NONE, 0, &ep))
		return IPC_CAP_NONE;
	if (kind == O_REGISTRY)
		sys_devregistry_init(&p->reg.base, &registry_impl, ep);
	else if (kind == O_DEVMGR)
		sys_devmgr_init(&p->mgr.base, &devmgr_impl, ep);
	else
		fs_fs_init(&p->fs.base, &fs_impl, ep);
	*owner = p;
	if ((*obj = obj_add(kind, impl, ep, false, NULL)) < 0) {
		*owner = NULL;
		hl_cap_destroy(ep);
		return IPC_CAP_NONE;
	}
	return ep;
}

/* Its own endpoints go with it (reap, load_failed): taken from p under
 * procs_lock, into obj[], then removed (own_eps_remove). */
#define OWN_EPS 3
static void own_eps_take(struct proc *p, int obj[OWN_EPS])
{
	obj[0] = p->reg.obj, obj[1] = p->mgr.obj, obj[2] = p->fs.obj;
	p->reg.obj = p->mgr.obj = p->fs.obj = -1;
	p->reg.p = p->mgr.p = p->fs.p = NULL;
}

static void own_eps_remove(const int obj[OWN_EPS])
{
	for (unsigned i = 0; i < OWN_EPS; i++)
		obj_remove(obj[i]);
}

ipc_cap service_ep(struct proc *p, uint32_t iface)
{
	if (p && (iface == SYS_DEVREGISTRY_ID || iface == SYS_DEVMGR_ID || iface == FS_FS_ID))
		return own_ep(p, iface);
	switch (iface) {
	case SYS_DEVREGISTRY_ID: return registry.endpoint;
	case SYS_DEVMGR_ID: return devmgr.endpoint;
	case SYS_DEVLOADER_ID: return devloader.endpoint;
	case SYS_PROCMGR_ID: return procmgr.endpoint;
	case FS_FS_ID: return fs.endpoint;
	}
	return IPC_CAP_NONE;
}

/* Objects */

static bool same_opener(const struct opener *a, const struct opener *b)
{
	return a->index >= 0 && a->index == b->index && a->token == b->token;
}

/* Refusals of obj_add, under objs_lock: the first after an object is
 * freed is logged, with how many were not since the one before; the rest
 * are only counted.  A client that asks without end writes a line per
 * object freed, not one per request. */
static bool refusal_logged;
static unsigned refusals_quiet;

/* An object was freed: the next refusal is logged.  Under objs_lock. */
static void obj_freed(void)
{
	refusal_logged = false;
}

int obj_add(enum obj_kind kind, void *impl, ipc_cap ep, bool watch, const struct opener *by)
{
	static const struct opener nobody = { .index = -1 };
	int i, found = -1;
	unsigned files = 0, mine = 0, quiet = 0;
	bool log = false;
	if (!by)
		by = &nobody;
	mercury_lock(&objs_lock);
	for (i = 0; kind == O_FILE && i < MAX_OBJS; i++) {
		files += objs[i].kind == O_FILE;
		mine += objs[i].kind == O_FILE && same_opener(&objs[i].by, by);
	}
	for (i = 0; i < MAX_OBJS && files < MAX_FILES && mine < MAX_FILES_EACH; i++) {
		if (objs[i].kind == O_FREE) {
			objs[i].ep = ep;
			objs[i].impl = impl;
			objs[i].by = *by;
			__atomic_store_n(&objs[i].kind, kind, __ATOMIC_RELEASE);
			found = i;
			break;
		}
	}
	if (found < 0 && refusal_logged) {
		refusals_quiet++;
	} else if (found < 0) {
		log = refusal_logged = true;
		quiet = refusals_quiet;
		refusals_quiet = 0;
	}
	mercury_unlock(&objs_lock);
	if (found < 0 && log) {
		char more[48] = "";
		if (quiet)
			mercury_snprintf(more, sizeof more, " (%u refusals before it not logged)", quiet);
		if (mine >= MAX_FILES_EACH)
			mercury_log("process %d: too many open files (%u, its share): refused%s", by->index,
			            MAX_FILES_EACH, more);
		else if (files >= MAX_FILES)
			mercury_log("too many open files (%u live): refused%s", MAX_FILES, more);
		else
			mercury_log("too many objects (%u live): refused%s", MAX_OBJS, more);
	}
	if (found < 0)
		return -1;
	ipc_cap note = objs_note[found / OBJ_SHARD];
	if (watch)
		hl_ep_watch(ep, note, UINT64_C(2) << (found % OBJ_SHARD));
	hl_signal(note, 1);
	return found;
}

void obj_remove(int i)
{
	if (i < 0)
		return;
	__atomic_store_n(&objs[i].kind, O_GONE, __ATOMIC_RELEASE);
	hl_signal(objs_note[i / OBJ_SHARD], 1);
}

unsigned objs_live(void)
{
	unsigned n = 0;
	for (unsigned i = 0; i < MAX_OBJS; i++)
		n += __atomic_load_n(&objs[i].kind, __ATOMIC_ACQUIRE) != O_FREE;
	return n;
}

static void proc_object_released(struct proc *p);

/* Object i has no client left, or was removed: its shard's thread drops it. */
static void obj_drop(unsigned i)
{
	int kind = __atomic_load_n(&objs[i].kind, __ATOMIC_ACQUIRE);
	if (kind == O_FREE)
		return;
	if (kind == O_REGISTRY || kind == O_DEVMGR || kind == O_FS)
		return;                         /* it goes with its process (obj_remove) */
	hl_ep_watch(objs[i].ep, IPC_CAP_NONE, 0);
	hl_cap_destroy(objs[i].ep);
	if (kind == O_FILE)
		bfs_close(objs[i].impl);
	else if (kind == O_PROC)
		proc_object_released(objs[i].impl);
	mercury_lock(&objs_lock);
	objs[i].ep = IPC_CAP_NONE;
	objs[i].impl = NULL;
	__atomic_store_n(&objs[i].kind, O_FREE, __ATOMIC_RELEASE);
	obj_freed();
	mercury_unlock(&objs_lock);
}

/* An objects thread: poll the objects of its shard and its note; receive
 * without waiting (a caller seen by the poll may have died since). */
void objects_main(void *arg)
{
	unsigned shard = (unsigned)(uintptr_t)arg;
	ipc_cap note = objs_note[shard];
	struct helios_pollcap pc[HELIOS_MAX_POLL];
	int which[HELIOS_MAX_POLL];
	struct ipc_msg in, out;
	for (;;) {
		unsigned n = 0;
		pc[n] = (struct helios_pollcap){ note, HELIOS_POLL_RECV, 0 };
		which[n++] = -1;
		for (unsigned i = shard * OBJ_SHARD; i < (shard + 1) * OBJ_SHARD; i++) {
			int kind = __atomic_load_n(&objs[i].kind, __ATOMIC_ACQUIRE);
			if (kind == O_GONE) {
				hl_cap_destroy(objs[i].ep);
				mercury_lock(&objs_lock);
				objs[i].ep = IPC_CAP_NONE;
				__atomic_store_n(&objs[i].kind, O_FREE, __ATOMIC_RELEASE);
				obj_freed();
				mercury_unlock(&objs_lock);
				continue;
			}
			if (kind == O_FREE)
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
				uint64_t bits = 0;
				hl_wait(note, &bits);
				for (unsigned j = 0; j < OBJ_SHARD; j++)
					if (bits & (UINT64_C(2) << j))
						obj_drop(shard * OBJ_SHARD + j);
				continue;
			}
			struct obj *o = &objs[which[k]];
			if (ipc_recv_poll(o->ep, &in))
				continue;
			int h = o->kind == O_FILE ? io_file_handle(o->impl, &in, &out)
				: o->kind == O_REGISTRY ? sys_devregistry_handle(o->impl, &in, &out)
				: o->kind == O_DEVMGR ? sys_devmgr_handle(o->impl, &in, &out)
				: o->kind == O_FS ? fs_fs_handle(o->impl, &in, &out)
				: sysinit_process_handle(o->impl, &in, &out);
			if (h == 0)
				ipc_reply(&out);
		}
	}
}

/* Processes */

static void proc_free(struct proc *p)
{
	p->state = P_FREE;
}

/* Its object's last client went (objects thread): an ended or never loaded
 * process is forgotten; a live one runs on. */
static void proc_object_released(struct proc *p)
{
	mercury_lock(&procs_lock);
	p->objidx = -1;
	if (p->state == P_NEW || p->state == P_ENDED)
		proc_free(p);
	mercury_unlock(&procs_lock);
}

/* A client capability to p's process object, made if it has none. */
static int proc_object(struct proc *p, ipc_cap *out)
{
	if (p->objidx >= 0)
		return hl_ep_client(objs[p->objidx].ep, out) ? ERRORS_ERR_NO_MEMORY : 0;
	ipc_cap ep;
	if (hl_mem_alloc(mercury_memory, HELIOS_CAP_ENDPOINT, IPC_CAP_NONE, 0, &ep))
		return ERRORS_ERR_NO_MEMORY;
	sysinit_process_init(&p->obj, &process_impl, ep);
	if (hl_ep_client(ep, out)) {
		hl_cap_destroy(ep);
		return ERRORS_ERR_NO_MEMORY;
	}
	if ((p->objidx = obj_add(O_PROC, p, ep, true, NULL)) < 0) {
		hl_cap_destroy(*out);
		hl_cap_destroy(ep);
		return ERRORS_ERR_NO_MEMORY;
	}
	return 0;
}

/* sysinit::process, served by the objects threads. */
static int process_start(struct sys_process *self)
{
	struct proc *p = (struct proc *)self;
	int st = ERRORS_ERR_INVALID;
	mercury_lock(&procs_lock);
	if (p->state == P_LOADED && hl_task_start(p->task) == 0) {
		p->state = P_RUNNING;
		p->started = now();
		st = 0;
	}
	mercury_unlock(&procs_lock);
	if (!st)
		mercury_log("started process %u (%s)", p->index, p->name);
	return st;
}

static int process_wait(struct sys_process *self, enum sys_end *result)
{
	struct proc *p = (struct proc *)self;
	int st;
	mercury_lock(&procs_lock);
	if (p->state == P_ENDED) {
		*result = p->end;
		st = 0;
	} else if (p->nwaiters == PROC_WAITERS || ipc_reply_save(&p->waiters[p->nwaiters])) {
		st = ERRORS_ERR_BUSY;
	} else {
		p->nwaiters++;
		st = IPC_DEFERRED;
	}
	mercury_unlock(&procs_lock);
	return st;
}

static int process_code(struct sys_process *self, int64_t *result)
{
	struct proc *p = (struct proc *)self;
	mercury_lock(&procs_lock);
	int st = p->state == P_ENDED ? 0 : ERRORS_ERR_INVALID;
	*result = p->code;
	mercury_unlock(&procs_lock);
	return st;
}

/* Revoking its quota kills its threads; the main thread hears of it and
 * reclaims the rest.  A process never loaded just ends. */
static int process_kill(struct sys_process *self)
{
	struct proc *p = (struct proc *)self;
	/* Under the lock, so that the quota cannot be reclaimed (and its slot
	 * reused) by the main thread before the revocation has it. */
	mercury_lock(&procs_lock);
	if (p->state == P_NEW) {
		p->state = P_ENDED;
		p->end = SYS_END_NEVER_STARTED;
	} else if (p->state == P_LOADED || p->state == P_RUNNING) {
		p->kill_asked = true;
		hl_mem_revoke(p->mem);
	}
	mercury_unlock(&procs_lock);
	return 0;
}

static int process_capabilities(struct sys_process *self, uint32_t from, uint8_t *result, size_t *n)
{
	struct proc *p = (struct proc *)self;
	int st = 0;
	*n = 0;
	mercury_lock(&procs_lock);
	if (p->state != P_LOADED && p->state != P_RUNNING) {
		st = ERRORS_ERR_INVALID;
	} else {
		for (uint32_t slot = from; slot < HELIOS_CSPACE_SLOTS && *n + 24 <= 480; slot++) {
			struct hl_ret r = hl_cap_info_in(p->cspace, slot);
			if (r.st || r.r0 == HELIOS_CAP_EMPTY)
				continue;
			uint64_t rec[3] = { slot | r.r0 << 8, r.r1, r.r2 };
			for (unsigned w = 0; w < 3; w++)
				for (unsigned b = 0; b < 8; b++)
					result[(*n)++] = (uint8_t)(rec[w] >> (8 * b));
		}
	}
	mercury_unlock(&procs_lock);
	return st;
}

static int process_token(struct sysinit_process *self, uint64_t *result)
{
	*result = ((struct proc *)self)->token;
	return 0;
}

static const struct sysinit_process_iface process_impl = {
	.base = { .start = process_start, .wait = process_wait, .code = process_code,
	          .kill = process_kill, .capabilities = process_capabilities },
	.token = process_token,
};

/* procmgr */
static int procmgr_new(struct sys_procmgr *self, ipc_cap *out)
{
	(void)self;
	struct proc *p;
	mercury_lock(&procs_lock);
	int st = proc_new(&p);
	if (!st && (st = proc_object(p, out)))
		proc_free(p);
	mercury_unlock(&procs_lock);
	return st;
}

static int procmgr_find(struct sys_procmgr *self, const char *name, ipc_cap *out)
{
	(void)self;
	int st = ERRORS_ERR_NOT_FOUND;
	mercury_lock(&procs_lock);
	for (unsigned i = 0; i < MAX_PROCS && st == ERRORS_ERR_NOT_FOUND; i++)
		if ((procs[i].state == P_LOADED || procs[i].state == P_RUNNING) && !strcmp(procs[i].name, name))
			st = proc_object(&procs[i], out);
	mercury_unlock(&procs_lock);
	return st;
}

static int procmgr_free_pages(struct sys_procmgr *self, uint64_t *result)
{
	(void)self;
	struct hl_ret r = hl_cap_info(mercury_memory);
	*result = r.r1 - r.r2;
	return 0;
}

static int procmgr_live_objects(struct sys_procmgr *self, uint32_t *result)
{
	(void)self;
	*result = objs_live();
	return 0;
}

static const struct sys_procmgr_iface procmgr_impl = {
	.new_ = procmgr_new, .find = procmgr_find, .free_pages = procmgr_free_pages,
	.live_objects = procmgr_live_objects,
};

/* Drivers that are restarted when they die (manifest restart=yes): their
 * image and manifest are kept.  One that dies within RAPID_TICKS of its
 * start is restarted after a delay that doubles from BACKOFF_TICKS, and
 * given up after GIVE_UP such deaths in a row; one that ran longer is
 * restarted at once. */
#define MAX_DRIVERS 8
#define RAPID_TICKS 20                  /* 200 ms */
#define BACKOFF_TICKS 2                 /* 20 ms, doubling to 1.28 s */
#define GIVE_UP 8
struct driver {
	bool used, scheduled;
	unsigned char *image;
	size_t size;
	struct manifest m;
	char what[48];
	unsigned rapid;                 /* deaths in a row soon after their start */
	unsigned restarts;
	uint64_t restart_at;
};
static struct driver drivers[MAX_DRIVERS];

static struct driver *driver_keep(const unsigned char *image, size_t size, const struct manifest *m,
                                  const char *what)
{
	for (unsigned i = 0; i < MAX_DRIVERS; i++) {
		struct driver *d = &drivers[i];
		if (d->used)
			continue;
		if (!(d->image = malloc(size)))
			return NULL;
		memcpy(d->image, image, size);
		d->size = size;
		d->m = *m;
		memcpy(d->what, what, strlen(what) + 1);
		d->used = true;
		d->scheduled = false;
		d->rapid = d->restarts = 0;
		return d;
	}
	mercury_log("devloader: %s: %u drivers are restarted already; this one will not be", what, MAX_DRIVERS);
	return NULL;
}

static void driver_forget(struct driver *d)
{
	free(d->image);
	d->image = NULL;
	d->used = false;
}

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

static const struct policy driver_policy = { .trusted = false };

/* A load that failed leaves nothing behind. */
static void load_failed(struct proc *p)
{
	proc_reclaim(p);
	mercury_lock(&procs_lock);
	/* Its own endpoints, if it was given them before the failure: they go
	 * with it, as in reap(). */
	int own[OWN_EPS];
	own_eps_take(p, own);
	own_eps_remove(own);
	p->state = P_ENDED;
	p->end = SYS_END_NEVER_STARTED;
	if (p->objidx < 0)
		proc_free(p);
	mercury_unlock(&procs_lock);
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
		char what[48];
		if (mf_find_elf(data, size, &text, &len)) {
			mercury_log("devloader: the image has no .manifest section; refused");
			st = ERRORS_ERR_INVALID;
		} else if (mf_parse(text, len, &m, &err)) {
			/* Named as the policy's refusals are, by the name if it came
			 * before the error, else by the process it was to be. */
			if (m.name[0])
				mercury_snprintf(what, sizeof(what), "driver %s", m.name);
			else
				mercury_snprintf(what, sizeof(what), "process %u", p->index);
			mercury_log("devloader: %s: manifest line %u: error: %s; refused", what, err.line, err.msg);
			st = ERRORS_ERR_INVALID;
		} else {
			mercury_snprintf(what, sizeof(what), "driver %s", m.name);
			mercury_lock(&procs_lock);
			st = proc_load(p, data, size, &m, &driver_policy, what);
			if (!st) {
				p->state = P_LOADED;
				if (m.restart)
					p->drv = driver_keep(data, size, &m, what);
			}
			mercury_unlock(&procs_lock);
			if (!st)
				mercury_log("devloader: loaded %s (%s) into process %u", m.name, m.desc, p->index);
		}
		free(data);
	}
	if (st)
		load_failed(p);
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
 * objects thread), so its devices can go when it dies.  sysinit keeps a
 * SEND-only capability to each device's endpoint (to hand out clients');
 * the driver has the only one that receives, so the endpoint dies with it
 * and every call to it fails with EPEER.  devs_lock guards the table and
 * the opens that wait. */
#define MAX_DEVS 32
/* A driver's share: each registers through its own endpoint, and one that
 * registers without end must leave room for the others' devices. */
#define MAX_DEVS_PER_DRIVER 8
static struct dev {
	uint64_t iface;
	uint32_t n;
	int owner;              /* process index, or -1 */
	ipc_cap ep;             /* SEND alone */
} devs[MAX_DEVS];
static unsigned ndevs;
static volatile int devs_lock;

#define MAX_PENDING 8
#define MAX_PENDING_EACH 2      /* a process's share: the others' opens wait too */
#define OPEN_WAIT_MAX_MS 60000
static struct pending {
	uint64_t iface;
	uint32_t n;
	int owner;              /* process index, or -1 */
	uint64_t deadline;      /* tick */
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
	ipc_cap ep, mine;
	if (hl_mem_alloc(mercury_memory, HELIOS_CAP_ENDPOINT, IPC_CAP_NONE, 0, &ep))
		return ERRORS_ERR_NO_MEMORY;
	if (hl_ep_client(ep, &mine)) {
		hl_cap_destroy(ep);
		return ERRORS_ERR_NO_MEMORY;
	}
	mercury_lock(&devs_lock);
	unsigned held = 0;
	for (unsigned i = 0; owner && i < ndevs; i++)
		held += devs[i].owner == (int)owner->index;
	if (ndevs == MAX_DEVS || held == MAX_DEVS_PER_DRIVER) {
		mercury_unlock(&devs_lock);
		hl_cap_destroy(ep);
		hl_cap_destroy(mine);
		return ERRORS_ERR_NO_MEMORY;
	}
	*out = ep;                      /* the driver's: the only one that receives */
	struct dev *d = &devs[ndevs];
	d->iface = iface;
	d->n = 0;
	while (dev_number_used(iface, d->n))
		d->n++;
	d->owner = owner ? (int)owner->index : -1;
	d->ep = mine;
	ndevs++;
	*result = d->n;
	/* Opens that waited for it. */
	for (unsigned i = 0; i < npending;) {
		if (pending[i].iface == iface && pending[i].n == d->n) {
			ipc_cap c;
			if (hl_ep_client(d->ep, &c))
				sys_devmgr_open_wait_reply(pending[i].reply, ERRORS_ERR_NO_MEMORY, IPC_CAP_NONE);
			else
				sys_devmgr_open_wait_reply(pending[i].reply, 0, c);
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
	/* Its opens that wait: nobody to answer, and their places free. */
	for (unsigned i = 0; i < npending;) {
		if (pending[i].owner == (int)owner) {
			hl_cap_destroy(pending[i].reply);
			pending[i] = pending[--npending];
		} else {
			i++;
		}
	}
	mercury_unlock(&devs_lock);
}

static int dev_find(uint64_t iface, uint32_t n, ipc_cap *dev)
{
	for (unsigned i = 0; i < ndevs; i++)
		if (devs[i].iface == iface && devs[i].n == n)
			return hl_ep_client(devs[i].ep, dev) ? ERRORS_ERR_NO_MEMORY : 0;
	return ERRORS_ERR_NOT_FOUND;
}

static int devmgr_open(struct sys_devmgr *self, uint64_t iface, uint32_t n, ipc_cap *dev)
{
	(void)self;
	mercury_lock(&devs_lock);
	int st = dev_find(iface, n, dev);
	mercury_unlock(&devs_lock);
	return st;
}

static int devmgr_open_wait(struct sys_devmgr *self, uint64_t iface, uint32_t n, uint32_t ms, ipc_cap *dev)
{
	struct proc *owner = self == &devmgr ? NULL : ((struct proc_devmgr *)self)->p;
	if (ms > OPEN_WAIT_MAX_MS)
		return ERRORS_ERR_INVALID;
	mercury_lock(&devs_lock);
	int st = dev_find(iface, n, dev);
	unsigned held = 0;
	for (unsigned i = 0; owner && i < npending; i++)
		held += pending[i].owner == (int)owner->index;
	if (st == ERRORS_ERR_NOT_FOUND) {
		/* Not there yet: its driver may be starting.  Answer when it
		 * registers, or when the time is up (the main thread). */
		if (npending == MAX_PENDING || held == MAX_PENDING_EACH ||
		    ipc_reply_save(&pending[npending].reply)) {
			st = ERRORS_ERR_BUSY;
		} else {
			pending[npending].iface = iface;
			pending[npending].n = n;
			pending[npending].owner = owner ? (int)owner->index : -1;
			pending[npending++].deadline = now() + (ms + 9) / 10;
			st = IPC_DEFERRED;
		}
	}
	mercury_unlock(&devs_lock);
	if (st == IPC_DEFERRED)
		hl_signal(main_note, MAIN_WORK);
	return st;
}

static const struct sys_devmgr_iface devmgr_impl = { .open = devmgr_open, .open_wait = devmgr_open_wait };

/* fs over bfs.  Through a process's own endpoint the file counts against
 * its share (MAX_FILES_EACH); past it, no_memory, as for the other shares
 * (busy would ask the client to try again, but only its own closes make
 * room).  A process that is gone opens nothing. */
static int fs_open(struct fs_fs *self, const char *path, ipc_cap *file)
{
	struct opener by = { .index = -1 };
	if (self != &fs) {
		mercury_lock(&procs_lock);
		struct proc *p = ((struct proc_fs *)self)->p;
		if (p)
			by = (struct opener){ .index = (int)p->index, .token = p->token };
		mercury_unlock(&procs_lock);
		if (!p)
			return ERRORS_ERR_INVALID;
	}
	if (path[0] != '/')
		return ERRORS_ERR_INVALID;
	return bfs_open(path, &by, file);
}

static const struct fs_fs_iface fs_impl = { .open = fs_open };

/* The main thread: ends, restarts and time-outs. */

/* Process i's main thread ended: how, in the log; everything it held goes
 * back; its waiters hear; a driver that asked for it is restarted. */
static void reap(unsigned i)
{
	struct proc *p = &procs[i];
	mercury_lock(&procs_lock);
	if (p->state != P_LOADED && p->state != P_RUNNING) {
		mercury_unlock(&procs_lock);
		return;                 /* a refused load, reclaimed already */
	}
	struct hl_ret r = hl_task_status(p->task);
	if (p->kill_asked || r.st) {
		p->end = SYS_END_KILLED;
		p->code = 0;
	} else if (r.r0 == HELIOS_TASK_FAULTED) {
		p->end = SYS_END_FAULTED;
		p->code = (int64_t)r.r1;
	} else if (r.r0 == HELIOS_TASK_EXITED) {
		p->end = SYS_END_EXITED;
		p->code = (int64_t)r.r1;
	} else {
		p->end = SYS_END_KILLED;
		p->code = 0;
	}
	p->state = P_ENDING;
	int own[OWN_EPS];
	own_eps_take(p, own);
	mercury_unlock(&procs_lock);

	if (p->end == SYS_END_FAULTED)
		mercury_log("process %u (%s) faulted: vector %ld at %lx; the rest goes on", i, p->name,
		            p->code, r.r2);
	else if (p->end == SYS_END_EXITED)
		mercury_log("process %u (%s) exited with %ld", i, p->name, p->code);
	else
		mercury_log("process %u (%s) was killed", i, p->name);
	devs_drop(i);
	own_eps_remove(own);
	proc_reclaim(p);

	mercury_lock(&procs_lock);
	p->state = P_ENDED;
	for (unsigned k = 0; k < p->nwaiters; k++)
		sys_process_wait_reply(p->waiters[k], 0, p->end);
	p->nwaiters = 0;
	struct driver *d = p->drv;
	p->drv = NULL;
	if (d) {
		d->rapid = now() - p->started < RAPID_TICKS ? d->rapid + 1 : 0;
		if (d->rapid >= GIVE_UP) {
			mercury_log("%s died %u times in a row within %u ms of its start: given up", d->what,
			            d->rapid, RAPID_TICKS * 10);
			driver_forget(d);
		} else {
			uint64_t delay = d->rapid ? (uint64_t)BACKOFF_TICKS << (d->rapid - 1) : 0;
			d->restart_at = now() + delay;
			d->scheduled = true;
		}
	}
	if (p->objidx < 0)
		proc_free(p);
	mercury_unlock(&procs_lock);
}

/* A driver's next instance, from its image and manifest. */
static void restart(struct driver *d)
{
	struct proc *p = NULL;
	d->scheduled = false;
	mercury_lock(&procs_lock);
	int st = proc_new(&p);
	if (!st && !(st = proc_load(p, d->image, d->size, &d->m, &driver_policy, d->what))) {
		if ((st = hl_task_start(p->task)) == 0) {
			p->state = P_RUNNING;
			p->started = now();
			p->drv = d;
			d->restarts++;
		}
	}
	mercury_unlock(&procs_lock);
	if (st) {
		mercury_log("%s: cannot restart it (%d); trying again", d->what, st);
		if (p)
			load_failed(p);
		d->rapid++;
		if (d->rapid >= GIVE_UP) {
			mercury_log("%s: given up", d->what);
			driver_forget(d);
			return;
		}
		d->restart_at = now() + ((uint64_t)BACKOFF_TICKS << (d->rapid - 1));
		d->scheduled = true;
		return;
	}
	mercury_log("%s: restarted as process %u (restart %u)", d->what, p->index, d->restarts);
}

/* What is due now: restarts, and opens whose time is up; the timer is set
 * for the next. */
static void main_due(void)
{
	uint64_t t = now(), next = UINT64_MAX;
	mercury_lock(&procs_lock);
	struct driver *due[MAX_DRIVERS];
	unsigned ndue = 0;
	for (unsigned i = 0; i < MAX_DRIVERS; i++) {
		if (!drivers[i].used || !drivers[i].scheduled)
			continue;
		if (drivers[i].restart_at <= t)
			due[ndue++] = &drivers[i];
		else if (drivers[i].restart_at < next)
			next = drivers[i].restart_at;
	}
	mercury_unlock(&procs_lock);
	for (unsigned i = 0; i < ndue; i++)
		restart(due[i]);
	mercury_lock(&devs_lock);
	for (unsigned i = 0; i < npending;) {
		if (pending[i].deadline <= t) {
			sys_devmgr_open_wait_reply(pending[i].reply, ERRORS_ERR_TIMED_OUT, IPC_CAP_NONE);
			pending[i] = pending[--npending];
		} else {
			if (pending[i].deadline < next)
				next = pending[i].deadline;
			i++;
		}
	}
	mercury_unlock(&devs_lock);
	for (unsigned i = 0; i < MAX_DRIVERS; i++)
		if (drivers[i].used && drivers[i].scheduled && drivers[i].restart_at < next)
			next = drivers[i].restart_at;       /* a restart that failed, again */
	hl_timer(main_note, next == UINT64_MAX ? 0 : MAIN_TIMER, next == UINT64_MAX ? 0 : next);
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
	if (mf_parse(text, sizeof(text) - 1, &m, &err) || bfs_lookup("/sbin/usrinit", &image, &size))
		return -1;
	mercury_lock(&procs_lock);
	int st = proc_new(&p);
	if (!st && !(st = proc_load(p, image, size, &m, &trusted, "/sbin/usrinit")))
		p->state = P_LOADED;
	mercury_unlock(&procs_lock);
	if (st)
		return -1;
	return process_start(&p->obj.base);
}

/* A service's thread: one request after another, on its endpoint alone. */
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
	if (hl_mem_alloc(mercury_memory, HELIOS_CAP_NOTIFICATION, IPC_CAP_NONE, 0, &proc_deaths) ||
	    hl_mem_alloc(mercury_memory, HELIOS_CAP_NOTIFICATION, IPC_CAP_NONE, 0, &main_note))
		return 1;
	for (unsigned i = 0; i < OBJ_SHARDS; i++)
		if (hl_mem_alloc(mercury_memory, HELIOS_CAP_NOTIFICATION, IPC_CAP_NONE, 0, &objs_note[i]))
			return 1;
	sys_devregistry_init(&registry, &registry_impl, eps[SV_DEVREGISTRY]);
	sys_devmgr_init(&devmgr, &devmgr_impl, eps[SV_DEVMGR]);
	sys_devloader_init(&devloader, &devloader_impl, eps[SV_DEVLOADER]);
	sys_procmgr_init(&procmgr, &procmgr_impl, eps[SV_PROCMGR]);
	fs_fs_init(&fs, &fs_impl, eps[SV_FS]);
	if (hl_mem_alloc(mercury_memory, HELIOS_CAP_NOTIFICATION, IPC_CAP_NONE, 0, &jobs_note) ||
	    mercury_thread_spawn(loader_main, NULL, &task)) {
		mercury_log("cannot start the loader thread");
		return 1;
	}
	for (unsigned i = 0; i < OBJ_SHARDS; i++) {
		if (mercury_thread_spawn(objects_main, (void *)(uintptr_t)i, &task)) {
			mercury_log("cannot start the objects threads");
			return 1;
		}
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

	/* The main thread hears of ends, and of what is due. */
	for (;;) {
		struct helios_pollcap pc[2] = {
			{ proc_deaths, HELIOS_POLL_RECV, 0 },
			{ main_note, HELIOS_POLL_RECV, 0 },
		};
		if (hl_poll(pc, 2) < 0)
			continue;
		uint64_t bits = 0;
		if (pc[0].revents && hl_wait(proc_deaths, &bits) == 0)
			for (unsigned i = 0; i < MAX_PROCS; i++)
				if (bits & (UINT64_C(1) << i))
					reap(i);
		if (pc[1].revents)
			hl_wait(main_note, &bits);
		main_due();
	}
}
