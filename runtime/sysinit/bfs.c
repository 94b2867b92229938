/*
 * bfs.c: the bootstrap filesystem, read-only, over the initramfs: a ustar
 * archive that the kernel maps into sysinit as a boot module.  Opening a
 * file makes an io::file object, served by an objects thread and closed
 * when its last client capability is released; a read
 * copies into the pages the client lends, at the offset its buf names in
 * the first of them.  The archive is untrusted input: every header's size
 * is checked against what remains.
 */
#include "init.h"

static const unsigned char *tar_base;
static size_t tar_size;

struct bfs_file {
	struct io_file base;            /* first: served as an io::file */
	const unsigned char *data;
	size_t size, off;
};

void bfs_init(const void *tar, size_t size)
{
	tar_base = tar;
	tar_size = size;
}

static uint64_t octal(const unsigned char *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n && p[i] >= '0' && p[i] <= '7'; i++)
		v = v * 8 + (p[i] - '0');
	return v;
}

/* Does the entry's name (ustar: prefix "/" name) equal path without its '/'? */
static bool name_is(const unsigned char *h, const char *path)
{
	char full[155 + 1 + 100 + 1];   /* ustar's prefix, '/', name, and a NUL */
	size_t n = 0;
	if (h[345]) {           /* prefix */
		for (size_t i = 0; i < 155 && h[345 + i]; i++)
			full[n++] = (char)h[345 + i];
		full[n++] = '/';
	}
	for (size_t i = 0; i < 100 && h[i]; i++)
		full[n++] = (char)h[i];
	full[n] = 0;
	const char *f = full;
	if (f[0] == '.' && f[1] == '/')
		f += 2;
	while (*path == '/')
		path++;
	return strcmp(f, path) == 0;
}

int bfs_lookup(const char *path, const unsigned char **data, size_t *size)
{
	size_t off = 0;
	while (tar_base && off + 512 <= tar_size) {
		const unsigned char *h = tar_base + off;
		if (!h[0])
			break;                  /* the end: zero blocks */
		uint64_t sz = octal(h + 124, 12);
		if (sz > tar_size - off - 512)
			return ERRORS_ERR_NOT_FOUND;    /* truncated archive */
		if ((h[156] == '0' || h[156] == 0) && name_is(h, path)) {
			*data = h + 512;
			*size = (size_t)sz;
			return 0;
		}
		off += 512 + ((sz + 511) & ~(uint64_t)511);
	}
	return ERRORS_ERR_NOT_FOUND;
}

/* io::file on a bfs file. */

/* The client's buffer: pages mapped here, and where in them buf points. */
static char *client_buf(const ipc_cap *pages, size_t n, uintptr_t buf, size_t amt, bool w)
{
	size_t off = buf % HELIOS_PAGE_SIZE;
	if (n == 0 || off + amt < off || off + amt > n * HELIOS_PAGE_SIZE)
		return NULL;
	char *va = mercury_map(pages, n, w);
	return va ? va + off : NULL;
}

static int bfs_read(struct io_file *f, const ipc_cap *pages, size_t n, uintptr_t buf, size_t amt,
                    size_t *result)
{
	struct bfs_file *bf = (struct bfs_file *)f;
	int st = 0;
	if (bf->off >= bf->size && amt) {
		st = ERRORS_ERR_EOF;
	} else {
		char *dst = client_buf(pages, n, buf, amt, true);
		if (!dst) {
			st = ERRORS_ERR_INVALID;
		} else {
			size_t k = bf->size - bf->off < amt ? bf->size - bf->off : amt;
			memcpy(dst, bf->data + bf->off, k);
			bf->off += k;
			*result = k;
			mercury_unmap((void *)((uintptr_t)dst & ~(uintptr_t)(HELIOS_PAGE_SIZE - 1)), n);
		}
	}
	return ipc_drop_caps(pages, n, st);
}

static int bfs_write(struct io_file *f, const ipc_cap *pages, size_t n, uintptr_t buf, size_t amt,
                     size_t *result)
{
	(void)f, (void)buf, (void)amt, (void)result;
	return ipc_drop_caps(pages, n, ERRORS_ERR_INVALID);     /* read-only */
}

static int bfs_seek(struct io_file *f, int64_t offs, enum io_whence w, size_t *result)
{
	struct bfs_file *bf = (struct bfs_file *)f;
	int64_t base = w == IO_WHENCE_SET ? 0 : w == IO_WHENCE_CUR ? (int64_t)bf->off : (int64_t)bf->size;
	/* base is 0 or more, so -base cannot overflow; -offs could (INT64_MIN
	 * would pass as a negative number, and the position be 2^63 after). */
	if ((offs < 0 && offs < -base) || (offs > 0 && offs > INT64_MAX - base))
		return ERRORS_ERR_INVALID;
	bf->off = (size_t)(base + offs);
	*result = bf->off;
	return 0;
}

static const struct io_file_iface bfs_file_impl = {
	.read = bfs_read,
	.write = bfs_write,
	.seek = bfs_seek,
};

int bfs_open(const char *path, const struct opener *by, ipc_cap *file)
{
	const unsigned char *data;
	size_t size;
	int st = bfs_lookup(path, &data, &size);
	if (st)
		return st;
	struct bfs_file *bf = calloc(1, sizeof(*bf));
	if (!bf)
		return ERRORS_ERR_NO_MEMORY;
	bf->data = data;
	bf->size = size;
	ipc_cap ep;
	if (hl_mem_alloc(mercury_memory, HELIOS_CAP_ENDPOINT, IPC_CAP_NONE, 0, &ep)) {
		free(bf);
		return ERRORS_ERR_NO_MEMORY;
	}
	io_file_init(&bf->base, &bfs_file_impl, ep);
	if (hl_ep_client(ep, file)) {
		hl_cap_destroy(ep);
		free(bf);
		return ERRORS_ERR_NO_MEMORY;
	}
	/* Watched from now on: released (closed) when the last client goes. */
	if (obj_add(O_FILE, bf, ep, true, by) < 0) {
		hl_cap_destroy(*file);
		hl_cap_destroy(ep);
		free(bf);
		return ERRORS_ERR_NO_MEMORY;
	}
	return 0;
}

void bfs_close(void *file)
{
	free(file);
}
