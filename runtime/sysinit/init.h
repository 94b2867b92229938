/*
 * init.h: what the parts of sysinit share.  sysinit runs these threads in
 * one cspace and vspace:
 *
 *   services  one per service endpoint: devregistry, devmgr, devloader,
 *             procmgr and fs, each receiving on its endpoint alone;
 *   loader    the driver loader's work: it calls the process and the image
 *             it was handed, which may be anyone's endpoints, even the
 *             services' own;
 *   objects   OBJ_SHARDS, each serving a shard of the object table (poll
 *             watches at most 16 capabilities): the objects the services
 *             hand out, one endpoint each: the bootstrap filesystem's open
 *             files (io::file), processes (sysinit::process, a
 *             sys::process), each driver's own devregistry endpoint and
 *             each process's own devmgr and fs endpoints; an object whose
 *             last client is gone is released;
 *   main      starts the others and usrinit, then hears of processes dying,
 *             reclaims them, restarts drivers, and times out opens that
 *             wait for a device.
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

/* Processes.  A process is made of its own quota (mem): ending it is
 * revoking that, which takes back everything it was given or made.  Its
 * record lives while the process does or its process object has clients. */
enum proc_state { P_FREE, P_NEW, P_LOADING, P_LOADED, P_RUNNING, P_ENDING, P_ENDED };
#define MAX_PROCS 64                    /* live at once: a bit each of the deaths notification */
#define PROC_WAITERS 4                  /* process.wait calls outstanding per process */
struct proc;
struct driver;
struct proc_registry {                  /* a driver's own devregistry endpoint */
	struct sys_devregistry base;    /* first: served as an object */
	struct proc *p;
	int obj;                        /* its index in objs[], -1: none */
};
struct proc_devmgr {                    /* a process's own devmgr endpoint */
	struct sys_devmgr base;         /* first: served as an object */
	struct proc *p;
	int obj;                        /* its index in objs[], -1: none */
};
struct proc_fs {                        /* a process's own fs endpoint */
	struct fs_fs base;              /* first: served as an object */
	struct proc *p;
	int obj;                        /* its index in objs[], -1: none */
};
struct proc {
	struct sysinit_process obj;     /* first: served as an object */
	struct proc_registry reg;       /* reg.p: NULL until the driver is given one */
	struct proc_devmgr mgr;         /* mgr.p: NULL until the process is given one */
	struct proc_fs fs;              /* fs.p: NULL until the process is given one */
	volatile int state;
	unsigned index;
	int objidx;                     /* its process object in objs[], -1: none */
	uint64_t token;
	ipc_cap mem;                    /* its quota: everything below is made from it */
	ipc_cap task, cspace, vspace;
	char name[32];
	char logname[HELIOS_LOG_NAME_MAX + 1];  /* its log's: unique among the live */
	uint32_t irqs;                  /* IRQ lines granted */
	uint32_t ports[4][2];           /* port ranges granted */
	unsigned nports;
	uint64_t started;               /* the clock's tick when it started */
	bool kill_asked;
	enum sys_end end;               /* P_ENDED: how */
	int64_t code;                   /* and its exit code or fault vector */
	ipc_cap waiters[PROC_WAITERS];  /* saved replies of process.wait */
	unsigned nwaiters;
	struct driver *drv;             /* restarted when it dies (restart=yes) */
};
extern struct proc procs[MAX_PROCS];
extern volatile int procs_lock;          /* procs[] and drivers */
extern ipc_cap proc_deaths;              /* bit i: process i's main thread ended */

/* Objects served by the objects threads, each a shard of the table: its
 * note's bit 0 says the shard changed, bit 1 + k that the shard's object k
 * has no client left (EP_WATCH). */
enum obj_kind { O_FREE, O_FILE, O_PROC, O_REGISTRY, O_DEVMGR, O_FS, O_GONE };
#define OBJ_SHARD 15                    /* poll watches 16: the note and 15 objects */
#define OBJ_SHARDS 4                    /* objects threads */
#define MAX_OBJS (OBJ_SHARD * OBJ_SHARDS)
/* Open files may fill half of the table, not all of it: fs.open is open to
 * every client, and one that opens without end must not leave none for the
 * process objects (procmgr.new) and drivers' devregistry endpoints. */
#define MAX_FILES (MAX_OBJS / 2)
/* And one process's open files no more than MAX_FILES_EACH, so that one
 * that opens without end leaves the rest of MAX_FILES to the others.  8 is
 * more than a process of the example holds at once (usrinit: an image and
 * /etc/drivers), and still takes four such processes to reach MAX_FILES.
 * A file counts against the process that opened it until it is closed
 * (its last capability released), even if it was passed to another. */
#define MAX_FILES_EACH 8
struct opener {                         /* who opened a file: a process */
	int index;                      /* in procs[]; -1: none (fs's shared endpoint) */
	uint64_t token;                 /* and its generation: a reused slot is another */
};
struct obj {
	volatile int kind;
	ipc_cap ep;
	void *impl;
	struct opener by;               /* O_FILE: who opened it */
};
extern struct obj objs[MAX_OBJS];
extern ipc_cap objs_note[OBJ_SHARDS];
/* Publishes an initialized object: its index, or -1 (the table is full,
 * or, for O_FILE, MAX_FILES or by's MAX_FILES_EACH is reached).  watch: its
 * clients are counted, and it is released when the last goes. */
int obj_add(enum obj_kind kind, void *impl, ipc_cap ep, bool watch, const struct opener *by);
void obj_remove(int i);                 /* any thread: the shard's thread drops it */
void objects_main(void *arg);
unsigned objs_live(void);

/* bfs.c: the bootstrap filesystem over the initramfs tar. */
void bfs_init(const void *tar, size_t size);
int bfs_lookup(const char *path, const unsigned char **data, size_t *size);
int bfs_open(const char *path, const struct opener *by, ipc_cap *file);
void bfs_close(void *file);             /* its last client went */

/* loader.c: a process from an image and a manifest. */
struct policy {
	bool trusted;                   /* usrinit: any service, more memory */
};
int proc_new(struct proc **out);         /* a free record, P_NEW (procs_lock held) */
int proc_load(struct proc *p, const unsigned char *image, size_t size, const struct manifest *m,
              const struct policy *pol, const char *what);
void proc_reclaim(struct proc *p);      /* everything it holds goes back (procs_lock not held) */
/* The endpoint of service iface for process p: a driver's devregistry is
 * its own, so that its devices go when it does; a process's devmgr and fs
 * too, so that its waiting opens and open files are counted as its own;
 * the others are shared. */
ipc_cap service_ep(struct proc *p, uint32_t iface);

#endif
