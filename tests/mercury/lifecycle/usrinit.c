/*
 * usrinit.c (lifecycle test): a test /sbin/usrinit that starts and ends
 * processes by the thousand through procmgr and devloader - half exit,
 * the others are killed, some of those fault first - and opens and
 * closes files by the ten thousand; then checks that sysinit's free memory
 * and live objects are what they were before, exactly.  A warm-up round
 * first does once what sysinit does lazily (its loader's buffer, its
 * heap's first pages).
 *
 * LC_PROCS and LC_FILES say how many; the log says how it went (and how
 * long an empty process takes from its image opened to its exit waited
 * for, in rdtsc ticks: instructions under -icount, for the benchmark):
 *   [usrinit] lifecycle: N processes (...), M files: free pages A -> B, objects C -> D: ok
 */
#include "mercury/helios.h"
#include "fs.h"
#include "io.h"
#include "sys.h"

#ifndef LC_PROCS
#define LC_PROCS 2000
#endif
#ifndef LC_FILES
#define LC_FILES 10000
#endif

static ipc_cap fs, procmgr, devload;
static int failures;

#define CHECK(c) ((c) ? (void)0 : (void)(failures++, mercury_log("FAIL: line %d: %s", __LINE__, #c)))

enum kind { EXIT, SPIN, FAULT };
static uint64_t spawn_tsc, spawns;     /* EXIT processes: procmgr.new to wait's answer */
static const char *const image[] = { "/sbin/lc/exit", "/sbin/lc/spin", "/sbin/lc/fault" };

/* One process of that kind, from start to end; its end as wait says it. */
static void one(enum kind k)
{
	ipc_cap file, proc, copy;
	enum sys_end end = SYS_END_NEVER_STARTED;
	int64_t code = -1;
	uint64_t t0 = hl_rdtsc();
	CHECK(fs_fs_open(fs, image[k], &file) == 0);
	CHECK(sys_procmgr_new(procmgr, &proc) == 0);
	CHECK(hl_cap_copy(proc, IPC_CAP_NONE, IPC_CAP_NONE, &copy) == 0);
	CHECK(sys_devloader_load(devload, copy, file) == 0);
	CHECK(sys_process_start(proc) == 0);
	if (k == SPIN)
		CHECK(sys_process_kill(proc) == 0);
	CHECK(sys_process_wait(proc, &end) == 0);
	if (k == EXIT) {
		spawn_tsc += hl_rdtsc() - t0;
		spawns++;
	}
	CHECK(sys_process_code(proc, &code) == 0);
	switch (k) {
	case EXIT: CHECK(end == SYS_END_EXITED && code == 7); break;
	case SPIN: CHECK(end == SYS_END_KILLED && code == 0); break;
	case FAULT: CHECK(end == SYS_END_FAULTED && code == 14); break;
	}
	/* What ended answers no more questions but these. */
	CHECK(sys_process_start(proc) == ERRORS_ERR_INVALID);
	uint8_t caps[480];
	size_t n;
	CHECK(sys_process_capabilities(proc, 0, caps, &n) == ERRORS_ERR_INVALID);
	hl_cap_destroy(proc);
}

static void file_once(unsigned i, struct mercury_buf *b)
{
	ipc_cap f;
	size_t got = 0;
	CHECK(fs_fs_open(fs, image[i % 3], &f) == 0);
	if (i % 100 == 0)
		CHECK(mercury_read(f, b, 0, 4, &got) == 0 && got == 4 && !memcmp(b->va, "\177ELF", 4));
	hl_cap_destroy(f);
}

/* Releases are the objects threads' to see: sysinit's live objects once
 * they stay the same for a while. */
static uint32_t settled_objects(void)
{
	uint32_t last = UINT32_MAX, objects = 0;
	for (int i = 0; i < 100; i++) {
		for (int k = 0; k < 20; k++)
			hl_yield();
		if (sys_procmgr_live_objects(procmgr, &objects))
			return UINT32_MAX;
		if (objects == last)
			break;
		last = objects;
	}
	return objects;
}

int main(void)
{
	fs = mercury_service(FS_FS_ID);
	procmgr = mercury_service(SYS_PROCMGR_ID);
	devload = mercury_service(SYS_DEVLOADER_ID);
	struct mercury_buf b;
	CHECK(mercury_buf_alloc(&b, 1) == 0);

	/* A process that is never loaded ends when killed; one never started
	 * is forgotten when released. */
	ipc_cap proc;
	enum sys_end end;
	CHECK(sys_procmgr_new(procmgr, &proc) == 0);
	CHECK(sys_process_kill(proc) == 0);
	CHECK(sys_process_wait(proc, &end) == 0 && end == SYS_END_NEVER_STARTED);
	hl_cap_destroy(proc);

	/* Warm-up, then the figures to come back to. */
	for (int k = EXIT; k <= FAULT; k++)
		one((enum kind)k);
	file_once(0, &b);
	uint32_t objects0 = settled_objects(), objects1;
	uint64_t free0 = 0, free1 = 0;
	CHECK(sys_procmgr_free_pages(procmgr, &free0) == 0);

	unsigned counts[3] = { 0, 0, 0 };
	for (unsigned i = 0; i < LC_PROCS && !failures; i++) {
		enum kind k = i % 2 == 0 ? EXIT : i % 10 == 5 ? FAULT : SPIN;
		one(k);
		counts[k]++;
		if ((i + 1) % 500 == 0)
			mercury_log("lifecycle: %u processes", i + 1);
	}
	for (unsigned i = 0; i < LC_FILES && !failures; i++)
		file_once(i, &b);

	objects1 = settled_objects();
	CHECK(sys_procmgr_free_pages(procmgr, &free1) == 0);
	CHECK(objects1 == objects0);
	CHECK(free1 == free0);
	/* Under -icount shift=0 (bench/mercury/run), guest instructions. */
	mercury_log("lifecycle: spawn %lu tsc from opening the image to the exit's news, on average",
	            spawns ? spawn_tsc / spawns : 0);
	mercury_log("lifecycle: %u processes (%u exited, %u killed, %u faulted), %u files: "
	            "free pages %lu -> %lu, objects %u -> %u: %s",
	            counts[EXIT] + counts[SPIN] + counts[FAULT], counts[EXIT], counts[SPIN], counts[FAULT],
	            LC_FILES, free0, free1, objects0, objects1, failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}
