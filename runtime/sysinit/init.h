/*
 * init.h: what the parts of sysinit share.  sysinit runs these threads in
 * one cspace and vspace:
 *
 *   services  one per service endpoint: devregistry, devmgr, devloader,
 *             procmgr and fs, each receiving on its endpoint alone;
 *   loader    the driver loader's work: it calls the process and the image
 *             it was handed, which may be anyone's endpoints, even the
 *             services' own;
 *   objects   two, each serving a shard of the object table (poll watches
 *             at most 16 capabilities): the objects the services hand out,
 *             one endpoint each: the bootstrap filesystem's open files
 *             (io::file), processes (sysinit::process, a sys::process) and
 *             each driver's own devregistry endpoint;
 *   main      starts the others and usrinit, then hears of processes dying.
 *
 * Calls go from the services and the loader to the objects, never back,
 * and the objects threads call no one, so no cycle of waiting can form.
 * The object table is filled by the services and served by the objects
 * threads: an entry is published by its kind, written last.  procs_lock
 * guards the process table, devs_lock the device table.
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
	char logname[HELIOS_LOG_NAME_MAX + 1];  /* its log's: unique among the live */
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
