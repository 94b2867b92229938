/*
 * page.c: page capabilities of the POSIX port.
 *
 * A page capability is a memfd whose size is a whole number of pages and is
 * sealed (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL), so that a receiver
 * that maps it can trust its size: a sender can never shrink it under the
 * receiver's feet and turn an access into SIGBUS.  Sending one moves the
 * descriptor (SCM_RIGHTS); the receiver maps it, and the data is shared,
 * not copied.  ipc_page_map refuses a descriptor that is not a sealed memfd.
 *
 * Mapping is the expensive part of a page transfer (mmap, page faults,
 * munmap and its TLB flush), and a client tends to send the same buffer
 * again and again.  So single-capability mappings up to PX_CACHE_MAX bytes
 * are cached by inode: ipc_page_unmap keeps them, and mapping the same
 * memfd again (another descriptor for the same pages) reuses them.  The
 * mapping pins the inode, so its number cannot name other pages while
 * cached; the cost is that up to PX_CACHE_SLOTS such mappings outlive their
 * capabilities.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "port.h"

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010   /* Linux 5.1 */
#endif

/* Mappings up to this size are populated at once (one fault, not one per
 * page); larger ones, as a hostile peer could send, fault on access.  So
 * do pages not all allocated yet: populating would allocate them, in the
 * receiver's memory cgroup and for as long as their sender keeps them,
 * which a sender could repeat without end at no cost of its own. */
#define PX_POPULATE_MAX (1u << 20)
#define PX_SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

static int px_page_fd(ipc_cap page)
{
	if (page == IPC_CAP_NONE || PX_KIND(page) != PX_K_FD)
		return -1;
	return PX_INDEX(page);
}

int ipc_page_alloc(size_t npages, ipc_cap *page, void **addr)
{
	*page = IPC_CAP_NONE;
	if (addr)
		*addr = NULL;
	if (npages == 0 || npages > SIZE_MAX / IPC_PAGE_SIZE)
		return IPC_EINVAL;
	size_t len = npages * IPC_PAGE_SIZE;
	int fd = memfd_create("mercury-page", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return px_status_errno(errno);
	int rc;
	if (ftruncate(fd, (off_t)len) < 0 || fcntl(fd, F_ADD_SEALS, PX_SEALS) < 0) {
		rc = px_status_errno(errno);
		goto fail;
	}
	if ((uint32_t)fd > PX_INDEX_MASK) {
		rc = IPC_ENOMEM;
		goto fail;
	}
	if (addr) {
		void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED) {
			rc = px_status_errno(errno);
			goto fail;
		}
		*addr = p;
	}
	*page = PX_CAP(PX_K_FD, fd);
	return 0;
fail:
	close(fd);
	return rc;
}

int ipc_page_dup(ipc_cap page, ipc_cap *copy)
{
	*copy = IPC_CAP_NONE;
	int fd = px_page_fd(page);
	if (fd < 0)
		return IPC_EBADCAP;
	int d = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (d < 0)
		return px_status_errno(errno);
	if ((uint32_t)d > PX_INDEX_MASK) {
		close(d);
		return IPC_ENOMEM;
	}
	*copy = PX_CAP(PX_K_FD, d);
	return 0;
}

/* The size of a sealed page capability, or a status; and, unless whole
 * is NULL, whether every page of it is allocated. */
static int px_page_check(int fd, size_t *size, bool *whole)
{
	struct stat st;
	int seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || (seals & (F_SEAL_SHRINK | F_SEAL_GROW)) != (F_SEAL_SHRINK | F_SEAL_GROW))
		return IPC_EBADCAP;
	if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size % IPC_PAGE_SIZE)
		return IPC_EBADCAP;
	*size = (size_t)st.st_size;
	if (whole)
		*whole = (uint64_t)st.st_blocks * 512 >= (uint64_t)st.st_size;
	return 0;
}

int ipc_page_size(ipc_cap page, size_t *size)
{
	int fd = px_page_fd(page);
	*size = 0;
	return fd < 0 ? IPC_EBADCAP : px_page_check(fd, size, NULL);
}

#define PX_CACHE_SLOTS 8
#define PX_CACHE_MAX (1u << 20)
static struct {
	dev_t dev;
	ino_t ino;
	void *addr;  /* NULL: slot free */
	size_t len;
	bool writable;
	int users;   /* ipc_page_map calls not yet unmapped */
	uint64_t last;
} px_cache[PX_CACHE_SLOTS];
static uint64_t px_cache_clock;
static pthread_mutex_t px_cache_lock = PTHREAD_MUTEX_INITIALIZER;

/* Whether fd, sealed with seals, itself lets its pages be mapped, for
 * writing too if writable: a cached mapping may have come through another
 * descriptor of the same pages, or before a seal against writing.  (fstat(2) finds the
 * pages through any descriptor, an O_PATH one included, which may not
 * even read them.) */
static bool px_fd_allows(int fd, bool writable, int seals)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || (fl & O_PATH) || (fl & O_ACCMODE) == O_WRONLY)
		return false;
	return !writable ||
	       ((fl & O_ACCMODE) != O_RDONLY && !(seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)));
}

/* Map one page capability, through the cache. */
static int px_map_one(int fd, bool writable, void **addr, size_t *len)
{
	struct stat st;
	/* Its seals first: only a memfd has them, and fstat(2) of another
	 * file may wait for whoever serves it, a FUSE file system the
	 * sender serves itself, say, for ever. */
	int seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || fstat(fd, &st) < 0)
		return IPC_EBADCAP;
	pthread_mutex_lock(&px_cache_lock);
	for (int i = 0; i < PX_CACHE_SLOTS; i++) {
		if (px_cache[i].addr && px_cache[i].ino == st.st_ino && px_cache[i].dev == st.st_dev &&
		    (!writable || px_cache[i].writable)) {
			/* Only on a hit, what mmap checks on a miss: a descriptor
			 * that may not read, or write, is mapped anew, and
			 * refused. */
			if (!px_fd_allows(fd, writable, seals))
				break;
			/* Seals are never removed: cached means checked. */
			px_cache[i].users++;
			px_cache[i].last = ++px_cache_clock;
			*addr = px_cache[i].addr;
			*len = px_cache[i].len;
			pthread_mutex_unlock(&px_cache_lock);
			return 0;
		}
	}
	pthread_mutex_unlock(&px_cache_lock);

	size_t sz;
	bool whole;
	int rc = px_page_check(fd, &sz, &whole);
	if (rc < 0)
		return rc;
	bool cache = sz <= PX_CACHE_MAX;
	int populate = sz <= PX_POPULATE_MAX && whole ? MAP_POPULATE : 0;
	/* Cached mappings are writable when the pages allow it. */
	bool rw = writable || cache;
	void *p = mmap(NULL, sz, PROT_READ | (rw ? PROT_WRITE : 0), MAP_SHARED | populate, fd, 0);
	if (p == MAP_FAILED && rw && !writable) {
		rw = false;
		p = mmap(NULL, sz, PROT_READ, MAP_SHARED | populate, fd, 0);
	}
	if (p == MAP_FAILED)
		return px_status_errno(errno);
	*addr = p;
	*len = sz;
	if (!cache)
		return 0;
	pthread_mutex_lock(&px_cache_lock);
	int victim = -1;
	for (int i = 0; i < PX_CACHE_SLOTS; i++)
		if (px_cache[i].users == 0 &&
		    (victim < 0 || !px_cache[i].addr ||
		     (px_cache[victim].addr && px_cache[i].last < px_cache[victim].last)))
			victim = i;
	if (victim >= 0) {
		if (px_cache[victim].addr)
			munmap(px_cache[victim].addr, px_cache[victim].len);
		px_cache[victim].dev = st.st_dev;
		px_cache[victim].ino = st.st_ino;
		px_cache[victim].addr = p;
		px_cache[victim].len = sz;
		px_cache[victim].writable = rw;
		px_cache[victim].users = 1;
		px_cache[victim].last = ++px_cache_clock;
	}
	pthread_mutex_unlock(&px_cache_lock);
	return 0;
}

int ipc_page_map(const ipc_cap *pages, size_t npages, bool writable,
                 void **addr, size_t *len)
{
	size_t total = 0, sz;
	int prot = PROT_READ | (writable ? PROT_WRITE : 0);
	int rc;

	*addr = NULL;
	*len = 0;
	if (npages == 0)
		return IPC_EINVAL;
	if (npages == 1) {
		int fd = px_page_fd(pages[0]);
		return fd < 0 ? IPC_EBADCAP : px_map_one(fd, writable, addr, len);
	}
	bool all = true, whole;
	for (size_t i = 0; i < npages; i++) {
		int fd = px_page_fd(pages[i]);
		if (fd < 0)
			return IPC_EBADCAP;
		if ((rc = px_page_check(fd, &sz, &whole)) < 0)
			return rc;
		if (sz > SIZE_MAX - total)
			return IPC_ENOMEM;
		total += sz;
		all = all && whole;
	}
	int populate = total <= PX_POPULATE_MAX && all ? MAP_POPULATE : 0;
	/* Reserve the whole range, then lay each capability over its part. */
	char *base = mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return px_status_errno(errno);
	size_t off = 0;
	for (size_t i = 0; i < npages; i++) {
		int fd = px_page_fd(pages[i]);
		if ((rc = px_page_check(fd, &sz, NULL)) < 0 || off + sz > total) {
			rc = rc < 0 ? rc : IPC_EBADCAP;
			goto fail;
		}
		if (mmap(base + off, sz, prot, MAP_SHARED | MAP_FIXED | populate, fd, 0) == MAP_FAILED) {
			rc = px_status_errno(errno);
			goto fail;
		}
		off += sz;
	}
	*addr = base;
	*len = total;
	return 0;
fail:
	munmap(base, total);
	return rc;
}

int ipc_page_unmap(void *addr, size_t len)
{
	pthread_mutex_lock(&px_cache_lock);
	for (int i = 0; i < PX_CACHE_SLOTS; i++) {
		if (px_cache[i].addr == addr && px_cache[i].len == len && px_cache[i].users > 0) {
			px_cache[i].users--;
			pthread_mutex_unlock(&px_cache_lock);
			return 0;
		}
	}
	pthread_mutex_unlock(&px_cache_lock);
	return munmap(addr, len) == 0 ? 0 : IPC_EINVAL;
}
