/*
 * init.h: what the parts of sysinit share.  sysinit runs two threads
 * in one cspace and vspace:
 *
 *   main     the services with one endpoint each: devregistry, devmgr,
 *            devloader, procmgr and fs; it also hears of processes dying.
 *   loader   the driver loader's work: it calls the process and the image
 *            it was handed, which may be anyone's endpoints;
 *   objects  (two threads, each serving a shard of the object table, as
 *            poll watches at most 16 capabilities) the objects those services hand out, one endpoint each: the
 *            bootstrap filesystem's open files (io::file) and processes
 *            (sysinit::process, a sys::process).
 *
 * The main thread calls the objects thread (the driver loader reads an
 * image and asks a process for its token), never the other way round, so
 * neither can wait for the other in a cycle.  The object table is filled
 * by the main thread and served by the objects thread: an entry is
 * published by its state, written last.
 */
#ifndef SYSINIT_INIT_H
#define SYSINIT_INIT_H

#include "mercury/helios.h"
#include "errors.h"
#include "fs.h"
#include "io.h"
#include "sys.h"
#include "sysinit.h"          /* generated from sysinit.ipc */
#include "manifest.h"

/* Processes. */
enum proc_state { P_FREE, P_NEW, P_LOADING, P_LOADED, P_RUNNING, P_DEAD };
#define MAX_PROCS 32
struct proc;
struct proc_registry {                  /* a driver's own devregistry endpoint */
	struct sys_devregistry base;    /* first: served as an object */
	struct proc *p;
};
struct proc {
	struct sysinit_process obj;     /* first: served as an object */
	struct proc_registry reg;       /* reg.p: NULL until the driver is given one */
	volatile int state;
	unsigned index;
	ipc_cap task, cspace, vspace;
	uint64_t token;
	char name[32];
	uint32_t irqs;                  /* IRQ lines granted */
	uint32_t ports[4][2];           /* port ranges granted */
	unsigned nports;
};
extern struct proc procs[MAX_PROCS];
extern volatile int procs_lock;          /* procs[]: main and loader threads */

/* Objects served by the objects thread. */
enum obj_kind { O_FREE, O_FILE, O_PROC, O_REGISTRY };
#define OBJ_SHARD 15                    /* poll watches 16: a wakeup and 15 objects */
#define OBJ_SHARDS 2                    /* objects threads */
#define MAX_OBJS (OBJ_SHARD * OBJ_SHARDS)
struct obj {
	volatile int kind;
	ipc_cap ep;
	void *impl;
};
extern struct obj objs[MAX_OBJS];
extern ipc_cap objs_wake[OBJ_SHARDS];   /* signalled when a shard of objs[] changes */
int obj_add(enum obj_kind kind, void *impl, ipc_cap ep);    /* publishes an initialized object */
void objects_main(void *arg);

/* bfs.c: the bootstrap filesystem over the initramfs tar. */
void bfs_init(const void *tar, size_t size);
int bfs_lookup(const char *path, const unsigned char **data, size_t *size);
int bfs_open(const char *path, ipc_cap *file);

/* loader.c: a process from an image and a manifest. */
struct policy {
	bool trusted;                   /* usrinit: any service, more memory */
};
int proc_new(struct proc **out);
int proc_load(struct proc *p, const unsigned char *image, size_t size, const struct manifest *m,
              const struct policy *pol, const char *what);
void proc_release(struct proc *p);
/* The endpoint of service iface for process p: a driver's devregistry is
 * its own, so that its devices go when it does; the others are shared. */
ipc_cap service_ep(struct proc *p, uint32_t iface);

#endif
