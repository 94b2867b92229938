/*
 * ool.c: out-of-line regions of the POSIX port (mercury_ipc(3), "Out of
 * line").
 *
 * A region is a memfd holding exactly the bytes of one value, sealed before
 * it is sent (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL): no
 * one, its sender included, can change or resize it afterwards, so its
 * receiver may check the bytes once, in place, and use them after.  A
 * region that is not a memfd so sealed, or whose size is not the length
 * its message gives, is refused (IPC_EPROTO).  Sending one moves the
 * descriptor (SCM_RIGHTS) as for any capability.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "port.h"

#define PX_OOL_SEALS (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

static int px_ool_new(size_t n, int *fd)
{
	if (n == 0 || n > IPC_OOL_MAX + 1)
		return IPC_EINVAL;
	*fd = memfd_create("mercury-ool", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (*fd < 0)
		return px_status_errno(errno);
	if ((uint32_t)*fd > PX_INDEX_MASK || ftruncate(*fd, (off_t)n) < 0) {
		int rc = (uint32_t)*fd > PX_INDEX_MASK ? IPC_ENOMEM : px_status_errno(errno);
		close(*fd);
		return rc;
	}
	return 0;
}

int ipc_ool_alloc(size_t n, struct ipc_ool *o)
{
	int fd, rc;
	memset(o, 0, sizeof *o);
	o->cap = IPC_CAP_NONE;
	if ((rc = px_ool_new(n, &fd)) != 0)
		return rc;
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		rc = px_status_errno(errno);
		close(fd);
		return rc;
	}
	o->addr = p;
	o->size = n;
	o->cap = PX_CAP(PX_K_FD, fd);
	o->own = true;
	return 0;
}

/* Cuts fd to len bytes and seals it. */
static int px_ool_seal_fd(int fd, size_t len)
{
	if (ftruncate(fd, (off_t)len) < 0 || fcntl(fd, F_ADD_SEALS, PX_OOL_SEALS) < 0)
		return px_status_errno(errno);
	return 0;
}

int ipc_ool_seal(struct ipc_ool *o, size_t len, ipc_cap *cap)
{
	*cap = IPC_CAP_NONE;
	if (!o->own || !o->addr)
		return IPC_EINVAL;
	int fd = (int)PX_INDEX(o->cap), rc = IPC_EINVAL;
	munmap(o->addr, o->size);   /* a writable mapping would keep F_SEAL_WRITE off */
	if (len > 0 && len <= o->size)
		rc = px_ool_seal_fd(fd, len);
	if (rc == 0)
		*cap = o->cap;
	else
		close(fd);
	memset(o, 0, sizeof *o);
	o->cap = IPC_CAP_NONE;
	return rc;
}

int ipc_ool_put(const void *data, size_t len, ipc_cap *cap)
{
	int fd, rc;
	*cap = IPC_CAP_NONE;
	if (!data || (rc = px_ool_new(len, &fd)) != 0)
		return data ? rc : IPC_EINVAL;
	const char *p = data;
	size_t done = 0;
	while (done < len) {
		ssize_t n = pwrite(fd, p + done, len - done, (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? px_status_errno(errno) : IPC_ENOMEM;
			close(fd);
			return rc;
		}
		done += (size_t)n;
	}
	if ((rc = px_ool_seal_fd(fd, len)) != 0) {
		close(fd);
		return rc;
	}
	*cap = PX_CAP(PX_K_FD, fd);
	return 0;
}

/* The descriptor of received region cap, if it is an immutable memfd of
 * exactly len bytes; else -1. */
static int px_ool_check(ipc_cap cap, size_t len)
{
	struct stat st;
	if (cap == IPC_CAP_NONE || PX_KIND(cap) != PX_K_FD || len == 0)
		return -1;
	int fd = (int)PX_INDEX(cap);
	int seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || (seals & PX_OOL_SEALS) != PX_OOL_SEALS || fstat(fd, &st) < 0 ||
	    !S_ISREG(st.st_mode) || (uint64_t)st.st_size != len)
		return -1;
	return fd;
}

int ipc_ool_map(ipc_cap cap, size_t len, struct ipc_ool *o)
{
	memset(o, 0, sizeof *o);
	o->cap = IPC_CAP_NONE;
	int fd = px_ool_check(cap, len);
	if (fd < 0)
		return IPC_EPROTO;
	void *p = mmap(NULL, len, PROT_READ, MAP_SHARED | (len <= (1u << 20) ? MAP_POPULATE : 0),
	               fd, 0);
	if (p == MAP_FAILED)
		return px_status_errno(errno);
	o->addr = p;
	o->size = len;
	return 0;
}

/* Read, not mapped: one copy from the page cache, no page tables to build
 * and tear down. */
int ipc_ool_read(ipc_cap cap, void *buf, size_t len)
{
	int fd = px_ool_check(cap, len);
	if (fd < 0)
		return IPC_EPROTO;
	size_t done = 0;
	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? px_status_errno(errno) : IPC_EPROTO;
		done += (size_t)n;
	}
	return 0;
}

void ipc_ool_free(struct ipc_ool *o)
{
	if (o->addr)
		munmap(o->addr, o->size);
	if (o->own)   /* allocated, never sealed */
		close((int)PX_INDEX(o->cap));
	memset(o, 0, sizeof *o);
	o->cap = IPC_CAP_NONE;
}
