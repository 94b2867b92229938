/*
 * check_vfs.c: tests/protocols/vfs.ipc end to end over the POSIX port.  Two
 * in-memory file systems, each served by a child process (one object, one
 * endpoint, per node and per open file): the root one, and a second one the
 * test mounts into it.  The client walks, stats, lists, opens, reads and
 * writes through the generated stubs, meets every error the protocol
 * declares, and sends hostile encodings by hand.  The root one holds a
 * directory of DIR_MAX entries, which one readdir lists out of line.
 */
#include <stdio.h>
#include <unistd.h>

#include "harness.h"
#include "vfs.h"

/* ---- the server: an in-memory tree ------------------------------------------------ */

/* The tree, etc/many's DIR_MAX entries, and room for a few more: few
 * enough that a test fills the table. */
#define MAXNODES (VFS_DIR_MAX + 32)
#define MAXFILES 6
#define FILE_CAP (2u << 20)   /* bytes a file holds: two reads' worth */
#define MAXLINKS 8      /* symbolic links followed in a row */

struct vnode {
	struct vfs_node obj;    /* first: the generated server's self */
	int ix;                 /* where in nodes[] */
	bool removed, served;
	enum vfs_kind kind;
	char name[VFS_NAME_MAX + 1];
	int parent;
	vfs_mode mode;
	struct vfs_timespec mtime, atime;
	uint8_t *data;          /* a file's FILE_CAP bytes, once it holds any */
	size_t size;
	char target[VFS_PATH_MAX + 1];
	ipc_cap mount;          /* the root mounted here, or IPC_CAP_NONE */
	/* a directory's entries in the order made, removed ones kept: a
	 * readdir cookie is a place here, valid while entries come and go */
	int *kids;
	size_t nkids, maxkids;
};

struct vopen {
	struct vfs_file obj;
	bool used, closing;
	int node;
	vfs_open_flags flags;
};

static struct vnode *nodes[MAXNODES];  /* the first nnodes made, none freed while served */
static int nnodes;
static struct vopen files[MAXFILES];
static bool noatime;            /* the mounted file system keeps no atime nor blocks */
static int64_t clock_now = 1000; /* a clock that ticks once per change */

static const struct vfs_node_iface node_impl;
static const struct vfs_file_iface file_impl;

static int ix(const struct vfs_node *self)
{
	return ((const struct vnode *)self)->ix;
}

static struct vfs_timespec tick(void)
{
	clock_now++;
	return (struct vfs_timespec){.sec = clock_now, .nsec = (uint32_t)(clock_now % 1000) * 1000};
}

/* A new node, an entry of parent (the root: parent < 0); -1 if no space. */
static int add(int parent, enum vfs_kind kind, const char *name, vfs_mode mode)
{
	if (nnodes == MAXNODES)
		return -1;
	struct vnode *d = parent < 0 ? NULL : nodes[parent];
	if (d && d->nkids == d->maxkids) {
		size_t max = d->maxkids ? 2 * d->maxkids : 8;
		int *kids = realloc(d->kids, max * sizeof *kids);
		if (!kids)
			return -1;
		d->kids = kids;
		d->maxkids = max;
	}
	struct vnode *n = calloc(1, sizeof *n);
	if (!n)
		return -1;
	int i = nnodes++;
	nodes[i] = n;
	n->ix = i;
	n->kind = kind;
	snprintf(n->name, sizeof n->name, "%s", name);
	n->parent = d ? parent : i;
	n->mode = mode;
	n->mtime = n->atime = tick();
	n->mount = IPC_CAP_NONE;
	if (d)
		d->kids[d->nkids++] = i;
	return i;
}

/* The entry name of directory dir, or -1. */
static int child(int dir, const char *name)
{
	const struct vnode *d = nodes[dir];
	for (size_t k = 0; k < d->nkids; k++) {
		const struct vnode *n = nodes[d->kids[k]];
		if (!n->removed && strcmp(n->name, name) == 0)
			return d->kids[k];
	}
	return -1;
}

/* A file's bytes, made on the first call; NULL if no memory. */
static uint8_t *file_data(struct vnode *n)
{
	if (!n->data)
		n->data = calloc(1, FILE_CAP);
	return n->data;
}

/* The node's endpoint, made when first handed out. */
static ipc_cap serve_node(int i)
{
	if (!nodes[i]->served) {
		ipc_cap ep;
		if (ipc_posix_endpoint(&ep) < 0)
			return IPC_CAP_NONE;
		ipc_posix_nonblock(ep, true);
		vfs_node_init(&nodes[i]->obj, &node_impl, ep);
		nodes[i]->served = true;
	}
	return nodes[i]->obj.endpoint;
}

static bool name_ok(const char *name)
{
	return name[0] && strcmp(name, ".") != 0 && strcmp(name, "..") != 0 && !strchr(name, '/');
}

static vfs_open_flags allowed(const struct vnode *n)
{
	vfs_open_flags f = 0;
	if (n->mode & VFS_MODE_OWNER_R)
		f |= VFS_OPEN_FLAGS_READ;
	if (n->mode & VFS_MODE_OWNER_W)
		f |= n->kind == VFS_KIND_DIR ? VFS_OPEN_FLAGS_CREATE | VFS_OPEN_FLAGS_EXCL
		                             : VFS_OPEN_FLAGS_WRITE | VFS_OPEN_FLAGS_APPEND |
		                                   VFS_OPEN_FLAGS_TRUNC;
	return f;
}

static int node_lookup(struct vfs_node *self, const char *path, ipc_cap *node, enum vfs_kind *kind,
                       bool *has_rest, char *rest, vfs_open_flags *flags)
{
	char buf[2 * VFS_PATH_MAX + 2];
	snprintf(buf, sizeof buf, "%s", path);
	int cur = ix(self), links = 0;
	char *p = buf;
	for (;;) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len > VFS_NAME_MAX)
			return VFS_ERR_INVALID;
		char comp[VFS_NAME_MAX + 1];
		memcpy(comp, p, len);
		comp[len] = 0;
		p += len;
		if (nodes[cur]->kind != VFS_KIND_DIR)
			return VFS_ERR_NOT_DIR;
		if (!(nodes[cur]->mode & VFS_MODE_OWNER_X))
			return VFS_ERR_DENIED;
		if (strcmp(comp, ".") == 0)
			continue;
		int next = strcmp(comp, "..") == 0 ? nodes[cur]->parent : child(cur, comp);
		if (next < 0)
			return VFS_ERR_NOT_FOUND;
		while (*p == '/')
			p++;
		struct vnode *n = nodes[next];
		if (n->mount != IPC_CAP_NONE) {
			/* the rest is the mounted file system's to walk */
			ipc_cap copy;
			if (ipc_posix_copy(n->mount, &copy) < 0)
				return IPC_EFAULT;
			*node = copy;
			*kind = VFS_KIND_MOUNT;
			*has_rest = *p != 0;
			strcpy(rest, p);
			*flags = allowed(n);
			return 0;
		}
		if (n->kind == VFS_KIND_SYMLINK && n->target[0] == '/') {
			/* absolute: the caller resolves it from its root */
			*node = IPC_LEND(serve_node(next));
			*kind = VFS_KIND_SYMLINK;
			*has_rest = *p != 0;
			strcpy(rest, p);
			*flags = 0;
			return 0;
		}
		if (n->kind == VFS_KIND_SYMLINK) {
			if (++links > MAXLINKS)
				return VFS_ERR_LOOP;
			char tmp[sizeof buf];
			snprintf(tmp, sizeof tmp, "%s/%s", n->target, p);
			snprintf(buf, sizeof buf, "%s", tmp);
			p = buf;
			continue;           /* from the link's directory, cur */
		}
		cur = next;
	}
	if (!noatime)
		nodes[cur]->atime = tick();
	*node = IPC_LEND(serve_node(cur));
	*kind = nodes[cur]->kind;
	*has_rest = false;
	*flags = allowed(nodes[cur]);
	return 0;
}

static void fill_attr(int i, struct vfs_attr *a)
{
	const struct vnode *n = nodes[i];
	a->ino = 100 + (uint64_t)i;
	a->kind = n->kind;
	a->mode = n->mode;
	a->nlink = 1;
	if (n->kind == VFS_KIND_DIR) {
		a->nlink = 2;
		for (size_t k = 0; k < n->nkids; k++)
			if (!nodes[n->kids[k]]->removed && nodes[n->kids[k]]->kind == VFS_KIND_DIR)
				a->nlink++;
	}
	a->size = n->kind == VFS_KIND_SYMLINK ? strlen(n->target) : n->size;
	a->has_blocks = !noatime;
	a->blocks = (n->size + 511) / 512;
	a->has_atime = !noatime;
	a->atime = n->atime;
	a->mtime = n->mtime;
	a->has_target = n->kind == VFS_KIND_SYMLINK;
	strcpy(a->target, n->target);
}

static int node_stat(struct vfs_node *self, struct vfs_attr *result)
{
	if (nodes[ix(self)]->removed)
		return VFS_ERR_STALE;
	fill_attr(ix(self), result);
	return 0;
}

static int node_chmod(struct vfs_node *self, vfs_mode mode)
{
	struct vnode *n = nodes[ix(self)];
	if (n->removed)
		return VFS_ERR_STALE;
	if (n->kind == VFS_KIND_SYMLINK)
		return VFS_ERR_DENIED;      /* a link's mode is not its own */
	n->mode = mode;
	return 0;
}

static int node_readdir(struct vfs_node *self, uint64_t cookie, const uint32_t *max,
                        struct vfs_dirent *ents, size_t *nents, uint64_t *next, bool *more)
{
	const struct vnode *d = nodes[ix(self)];
	if (d->removed)
		return VFS_ERR_STALE;
	if (d->kind != VFS_KIND_DIR)
		return VFS_ERR_NOT_DIR;
	uint32_t want = max ? *max : VFS_DIR_MAX;
	if (want > VFS_DIR_MAX || cookie > d->nkids)
		return VFS_ERR_INVALID;
	size_t n = 0;
	*next = cookie;
	*more = false;
	for (size_t k = (size_t)cookie; k < d->nkids; k++) {
		const struct vnode *e = nodes[d->kids[k]];
		if (e->removed)
			continue;
		if (n == want) {
			*more = true;
			break;
		}
		ents[n].ino = 100 + (uint64_t)e->ix;
		ents[n].kind = e->mount != IPC_CAP_NONE ? VFS_KIND_MOUNT : e->kind;
		strcpy(ents[n].name, e->name);
		n++;
		*next = (uint64_t)k + 1;
	}
	*nents = n;
	return 0;
}

static int dir_for_change(int d, const char *name)
{
	if (nodes[d]->removed)
		return VFS_ERR_STALE;
	if (nodes[d]->kind != VFS_KIND_DIR)
		return VFS_ERR_NOT_DIR;
	if (!name_ok(name))
		return VFS_ERR_INVALID;
	if (!(nodes[d]->mode & VFS_MODE_OWNER_W))
		return VFS_ERR_DENIED;
	return 0;
}

static int node_open(struct vfs_node *self, const char *name, vfs_open_flags flags,
                     const vfs_mode *create_mode, ipc_cap *file, bool *created, uint64_t *size)
{
	int d = ix(self);
	if (nodes[d]->removed)
		return VFS_ERR_STALE;
	if (nodes[d]->kind != VFS_KIND_DIR)
		return VFS_ERR_NOT_DIR;
	if (!name_ok(name) || !(flags & (VFS_OPEN_FLAGS_READ | VFS_OPEN_FLAGS_WRITE)) ||
	    ((flags & VFS_OPEN_FLAGS_TRUNC) && !(flags & VFS_OPEN_FLAGS_WRITE)))
		return VFS_ERR_INVALID;
	int f = 0;
	while (f < MAXFILES && files[f].used)
		f++;
	if (f == MAXFILES)
		return VFS_ERR_NO_SPACE;
	int i = child(d, name);
	*created = false;
	if (i < 0) {
		if (!(flags & VFS_OPEN_FLAGS_CREATE))
			return VFS_ERR_NOT_FOUND;
		if (!create_mode)
			return VFS_ERR_INVALID;
		if (!(nodes[d]->mode & VFS_MODE_OWNER_W))
			return VFS_ERR_DENIED;
		i = add(d, VFS_KIND_FILE, name, *create_mode);
		if (i < 0)
			return VFS_ERR_NO_SPACE;
		*created = true;
	} else {
		struct vnode *n = nodes[i];
		if ((flags & VFS_OPEN_FLAGS_CREATE) && (flags & VFS_OPEN_FLAGS_EXCL))
			return VFS_ERR_EXISTS;
		if (n->kind == VFS_KIND_DIR || n->mount != IPC_CAP_NONE)
			return VFS_ERR_IS_DIR;
		if (n->kind == VFS_KIND_SYMLINK)
			return VFS_ERR_LOOP;        /* as O_NOFOLLOW: open walks no link */
		if (((flags & VFS_OPEN_FLAGS_READ) && !(n->mode & VFS_MODE_OWNER_R)) ||
		    ((flags & VFS_OPEN_FLAGS_WRITE) && !(n->mode & VFS_MODE_OWNER_W)))
			return VFS_ERR_DENIED;
		if (flags & VFS_OPEN_FLAGS_TRUNC) {
			n->size = 0;
			n->mtime = tick();
		}
	}
	ipc_cap ep;
	if (ipc_posix_endpoint(&ep) < 0)
		return IPC_EFAULT;
	ipc_posix_nonblock(ep, true);
	files[f] = (struct vopen){.used = true, .node = i, .flags = flags};
	vfs_file_init(&files[f].obj, &file_impl, ep);
	*file = IPC_LEND(ep);
	*size = nodes[i]->size;
	return 0;
}

static int node_mkdir(struct vfs_node *self, const char *name, vfs_mode mode, ipc_cap *dir)
{
	int d = ix(self);
	int st = dir_for_change(d, name);
	if (st)
		return st;
	if (child(d, name) >= 0)
		return VFS_ERR_EXISTS;
	int i = add(d, VFS_KIND_DIR, name, mode);
	if (i < 0)
		return VFS_ERR_NO_SPACE;
	nodes[d]->mtime = tick();
	*dir = IPC_LEND(serve_node(i));
	return 0;
}

static int node_symlink(struct vfs_node *self, const char *name, const char *target)
{
	int d = ix(self);
	int st = dir_for_change(d, name);
	if (st)
		return st;
	if (!target[0])
		return VFS_ERR_INVALID;
	if (child(d, name) >= 0)
		return VFS_ERR_EXISTS;
	int i = add(d, VFS_KIND_SYMLINK, name, 0x1ff);
	if (i < 0)
		return VFS_ERR_NO_SPACE;
	strcpy(nodes[i]->target, target);
	return 0;
}

static int node_unlink(struct vfs_node *self, const char *name)
{
	int d = ix(self);
	int st = dir_for_change(d, name);
	if (st)
		return st;
	int i = child(d, name);
	if (i < 0)
		return VFS_ERR_NOT_FOUND;
	if (nodes[i]->mount != IPC_CAP_NONE)
		return VFS_ERR_DENIED;          /* busy: unmount first */
	for (size_t k = 0; k < nodes[i]->nkids; k++)
		if (!nodes[nodes[i]->kids[k]]->removed)
			return VFS_ERR_NOT_EMPTY;
	/* an open file lives on, nameless, until closed */
	nodes[i]->removed = true;
	nodes[d]->mtime = tick();
	return 0;
}

static int node_mount(struct vfs_node *self, ipc_cap root, const char *name)
{
	int d = ix(self), st = 0;
	int i = child(d, name);
	if (nodes[d]->removed)
		st = VFS_ERR_STALE;
	else if (i < 0)
		st = VFS_ERR_NOT_FOUND;
	else if (nodes[i]->kind != VFS_KIND_DIR)
		st = VFS_ERR_NOT_DIR;
	else if (nodes[i]->mount != IPC_CAP_NONE)
		st = VFS_ERR_DENIED;
	if (st) {
		ipc_cap_drop(root);            /* ours on every path */
		return st;
	}
	nodes[i]->mount = root;
	return 0;
}

static const struct vfs_node_iface node_impl = {
	.lookup = node_lookup,
	.stat = node_stat,
	.chmod = node_chmod,
	.readdir = node_readdir,
	.open = node_open,
	.mkdir = node_mkdir,
	.symlink = node_symlink,
	.unlink = node_unlink,
	.mount = node_mount,
};

static struct vopen *of(struct vfs_file *self)
{
	return (struct vopen *)self;
}

static int file_read(struct vfs_file *self, uint64_t offset, uint32_t len, uint8_t *data,
                     size_t *ndata, bool *eof)
{
	struct vnode *n = nodes[of(self)->node];
	if (!(of(self)->flags & VFS_OPEN_FLAGS_READ))
		return VFS_ERR_DENIED;
	if (len > VFS_IO_MAX)
		return VFS_ERR_INVALID;
	size_t k = offset >= n->size ? 0 : n->size - offset;
	if (k > len)
		k = len;
	if (k)
		memcpy(data, n->data + offset, k);
	*ndata = k;
	*eof = offset + k >= n->size;
	if (!noatime)
		n->atime = tick();
	return 0;
}

static int file_write(struct vfs_file *self, uint64_t offset, const uint8_t *data, size_t ndata,
                      uint32_t *written, uint64_t *size)
{
	struct vnode *n = nodes[of(self)->node];
	if (!(of(self)->flags & VFS_OPEN_FLAGS_WRITE))
		return VFS_ERR_DENIED;
	if (of(self)->flags & VFS_OPEN_FLAGS_APPEND)
		offset = n->size;
	if (offset >= FILE_CAP)
		return ndata ? VFS_ERR_NO_SPACE : VFS_ERR_INVALID;
	size_t k = FILE_CAP - offset < ndata ? FILE_CAP - offset : ndata;
	uint8_t *bytes = file_data(n);
	if (!bytes)
		return VFS_ERR_NO_SPACE;
	if (offset > n->size)
		memset(bytes + n->size, 0, offset - n->size);   /* a hole reads as zeros */
	if (k)
		memcpy(bytes + offset, data, k);
	if (offset + k > n->size)
		n->size = offset + k;
	n->mtime = tick();
	*written = (uint32_t)k;
	*size = n->size;
	return 0;
}

static int file_truncate(struct vfs_file *self, uint64_t size)
{
	struct vnode *n = nodes[of(self)->node];
	if (!(of(self)->flags & VFS_OPEN_FLAGS_WRITE))
		return VFS_ERR_DENIED;
	if (size > FILE_CAP)
		return VFS_ERR_NO_SPACE;
	if (size > n->size) {
		uint8_t *bytes = file_data(n);
		if (!bytes)
			return VFS_ERR_NO_SPACE;
		memset(bytes + n->size, 0, size - n->size);
	}
	n->size = size;
	n->mtime = tick();
	return 0;
}

static int file_stat(struct vfs_file *self, struct vfs_attr *result)
{
	fill_attr(of(self)->node, result);
	return 0;
}

static int file_close(struct vfs_file *self)
{
	of(self)->closing = true;       /* its endpoint goes once answered */
	return 0;
}

static const struct vfs_file_iface file_impl = {
	.read = file_read,
	.write = file_write,
	.truncate = file_truncate,
	.stat = file_stat,
	.close = file_close,
};

/* etc/many's entry k: a name of 6 to 32 bytes; a file, a directory or a
 * link in turn. */
static void many_name(size_t k, char name[VFS_NAME_MAX + 1])
{
	snprintf(name, VFS_NAME_MAX + 1, "%05u.%.*s", (unsigned)(k % 100000), (int)(k % 27),
	         "abcdefghijklmnopqrstuvwxyz");
}

static enum vfs_kind many_kind(size_t k)
{
	static const enum vfs_kind kinds[] = {VFS_KIND_FILE, VFS_KIND_DIR, VFS_KIND_SYMLINK};
	return kinds[k % 3];
}

/* A new file holding bytes. */
static int add_file(int parent, const char *name, vfs_mode mode, const uint8_t *bytes, size_t len)
{
	int i = add(parent, VFS_KIND_FILE, name, mode);
	ck_assert_int_ge(i, 0);
	ck_assert_ptr_nonnull(file_data(nodes[i]));
	memcpy(nodes[i]->data, bytes, len);
	nodes[i]->size = len;
	return i;
}

static void build_tree(bool second)
{
	for (int i = 0; i < nnodes; i++) {
		free(nodes[i]->data);
		free(nodes[i]->kids);
		free(nodes[i]);
	}
	nnodes = 0;
	memset(files, 0, sizeof files);
	noatime = second;
	const vfs_mode dir755 = 0x1ed, file644 = 0x1a4;
	int root = add(-1, VFS_KIND_DIR, "", dir755);
	if (second) {
		add_file(root, "data.txt", file644, (const uint8_t *)"mounted\n", 8);
		add(root, VFS_KIND_DIR, "sub", dir755);
		return;
	}
	int etc = add(root, VFS_KIND_DIR, "etc", dir755);
	add_file(etc, "motd", file644, (const uint8_t *)"hello, mercury\n", 15);
	uint8_t bytes[1200];
	for (int i = 0; i < 1200; i++)
		bytes[i] = (uint8_t)(i * 7);
	add_file(root, "big", file644, bytes, sizeof bytes);
	add(root, VFS_KIND_DIR, "secret", 0);
	add(root, VFS_KIND_FILE, "ro", 0x124);
	add(root, VFS_KIND_DIR, "mnt", dir755);
	int l = add(root, VFS_KIND_SYMLINK, "motd", 0x1ff);
	strcpy(nodes[l]->target, "etc/motd");
	l = add(root, VFS_KIND_SYMLINK, "abs", 0x1ff);
	strcpy(nodes[l]->target, "/mnt/data.txt");
	l = add(root, VFS_KIND_SYMLINK, "loop1", 0x1ff);
	strcpy(nodes[l]->target, "loop2");
	l = add(root, VFS_KIND_SYMLINK, "loop2", 0x1ff);
	strcpy(nodes[l]->target, "./loop1");
	int many = add(etc, VFS_KIND_DIR, "many", dir755);
	for (size_t k = 0; k < VFS_DIR_MAX; k++) {
		char name[VFS_NAME_MAX + 1];
		many_name(k, name);
		enum vfs_kind kind = many_kind(k);
		l = add(many, kind, name, kind == VFS_KIND_FILE ? file644 : kind == VFS_KIND_DIR ? dir755 : 0x1ff);
		ck_assert_int_ge(l, 0);
		if (kind == VFS_KIND_SYMLINK)
			strcpy(nodes[l]->target, "../motd");
	}
}

/* Every endpoint, each drained in turn; open files closed once answered. */
static void serve(void)
{
	static struct ipc_pollcap pc[MAXNODES + MAXFILES];
	static void *who[MAXNODES + MAXFILES];
	static bool isfile[MAXNODES + MAXFILES];
	for (;;) {
		size_t n = 0;
		for (int i = 0; i < nnodes; i++)
			if (nodes[i]->served) {
				pc[n] = (struct ipc_pollcap){nodes[i]->obj.endpoint, IPC_POLLRECV, 0};
				isfile[n] = false;
				who[n++] = nodes[i];
			}
		for (int i = 0; i < MAXFILES; i++)
			if (files[i].used) {
				pc[n] = (struct ipc_pollcap){files[i].obj.endpoint, IPC_POLLRECV, 0};
				isfile[n] = true;
				who[n++] = &files[i];
			}
		if (ipc_posix_poll(pc, n, -1) < 0)
			_exit(3);
		for (size_t k = 0; k < n; k++) {
			if (!(pc[k].revents & IPC_POLLRECV))
				continue;
			if (!isfile[k]) {
				while (vfs_node_dispatch(who[k]) != IPC_EAGAIN)
					;
				continue;
			}
			struct vopen *f = who[k];
			while (!f->closing && vfs_file_dispatch(&f->obj) != IPC_EAGAIN)
				;
			if (f->closing) {
				ipc_cap_drop(f->obj.endpoint);
				f->used = f->closing = false;
			}
		}
	}
}

static ipc_cap root_conn = IPC_CAP_NONE;

static pid_t spawn(bool second, ipc_cap *root)
{
	ipc_cap conn;
	build_tree(second);
	ipc_cap ep = serve_node(0);
	ck_assert_uint_ne(ep, IPC_CAP_NONE);
	ck_assert_int_eq(ipc_posix_connection(ep, &conn), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		ipc_cap_drop(conn);
		if (second)
			ipc_cap_drop(root_conn); /* the first server's, inherited */
		serve();
	}
	ipc_cap_drop(ep);
	nodes[0]->served = false;
	*root = conn;
	return pid;
}

static ipc_cap root, other;
static pid_t server, server2;

static void start(void)
{
	server = spawn(false, &root);
	root_conn = root;
	server2 = spawn(true, &other);
}

static void stop(void)
{
	ipc_cap_drop(root);
	if (other != IPC_CAP_NONE)
		ipc_cap_drop(other);
	stop_child(server);
	stop_child(server2);
}

/* ---- helpers ------------------------------------------------------------------------ */

/* Where readdir's entries go: room for its bound, whatever max it is asked,
 * as any client must give a list result. */
static struct vfs_dirent ents[VFS_DIR_MAX];

static int walk(ipc_cap from, const char *path, ipc_cap *node, enum vfs_kind *kind)
{
	bool has_rest;
	char rest[VFS_PATH_MAX + 1];
	vfs_open_flags flags;
	return vfs_node_lookup(from, path, node, kind, &has_rest, rest, &flags);
}

static ipc_cap open_at(ipc_cap dir, const char *name, vfs_open_flags flags)
{
	ipc_cap f = IPC_CAP_NONE;
	bool created;
	uint64_t size;
	ck_assert_int_eq(vfs_node_open(dir, name, flags, NULL, &f, &created, &size), 0);
	ck_assert(!created);
	return f;
}

/* ---- the tests ---------------------------------------------------------------------- */

START_TEST(constants_and_identity)
{
	ck_assert_int_eq(VFS_IO_MAX, 1048576);
	ck_assert_int_eq(VFS_NAME_MAX, 32);
	ck_assert_uint_eq(VFS_MODE_OWNER_R | VFS_MODE_OWNER_W | VFS_MODE_OWNER_X, 0700);
	ck_assert_uint_eq(VFS_MODE_SETUID, 04000);
	/* skip: chmod is method 4, where setattr was 3 */
	ck_assert_uint_eq(IPC_LABEL_METHOD(VFS_NODE_STAT), 2);
	ck_assert_uint_eq(IPC_LABEL_METHOD(VFS_NODE_CHMOD), 4);
	ck_assert_int_eq(vfs_node_describe(root), 0);
	ck_assert_int_eq(vfs_file_describe(root), IPC_ENOSYS);
	ck_assert_str_eq(vfs_status_name(VFS_ERR_NOT_EMPTY), "vfs::not_empty");
	ck_assert_str_eq(vfs_kind_name(VFS_KIND_MOUNT), "MOUNT");
}
END_TEST

START_TEST(lookup_walks_and_reports_what_it_reached)
{
	ipc_cap n = IPC_CAP_NONE;
	enum vfs_kind kind;
	bool has_rest = true;
	char rest[VFS_PATH_MAX + 1];
	vfs_open_flags flags = 0;
	ck_assert_int_eq(vfs_node_lookup(root, "etc//motd", &n, &kind, &has_rest, rest, &flags), 0);
	ck_assert_int_eq(kind, VFS_KIND_FILE);
	ck_assert(!has_rest);
	ck_assert_uint_eq(flags, VFS_OPEN_FLAGS_READ | VFS_OPEN_FLAGS_WRITE | VFS_OPEN_FLAGS_APPEND |
	                             VFS_OPEN_FLAGS_TRUNC);
	struct vfs_attr a;
	ck_assert_int_eq(vfs_node_stat(n, &a), 0);
	ck_assert_uint_eq(a.size, 15);
	ck_assert_int_eq(a.kind, VFS_KIND_FILE);
	ipc_cap_drop(n);
	/* a directory: create, not write */
	ck_assert_int_eq(vfs_node_lookup(root, "etc/../etc/.", &n, &kind, &has_rest, rest, &flags), 0);
	ck_assert_int_eq(kind, VFS_KIND_DIR);
	ck_assert_uint_eq(flags, VFS_OPEN_FLAGS_READ | VFS_OPEN_FLAGS_CREATE | VFS_OPEN_FLAGS_EXCL);
	/* walking from the node reached */
	ipc_cap m;
	ck_assert_int_eq(vfs_node_lookup(n, "motd", &m, &kind, &has_rest, rest, &flags), 0);
	ipc_cap_drop(m);
	ipc_cap_drop(n);
	/* a read-only file */
	ck_assert_int_eq(vfs_node_lookup(root, "ro", &n, &kind, &has_rest, rest, &flags), 0);
	ck_assert_uint_eq(flags, VFS_OPEN_FLAGS_READ);
	ipc_cap_drop(n);
	/* a relative link is followed by the server */
	ck_assert_int_eq(vfs_node_lookup(root, "motd", &n, &kind, &has_rest, rest, &flags), 0);
	ck_assert_int_eq(kind, VFS_KIND_FILE);
	ck_assert_int_eq(vfs_node_stat(n, &a), 0);
	ck_assert_uint_eq(a.ino, 102);
	ipc_cap_drop(n);
	/* an absolute one is returned, with the rest of the path */
	ck_assert_int_eq(vfs_node_lookup(root, "abs/x/y", &n, &kind, &has_rest, rest, &flags), 0);
	ck_assert_int_eq(kind, VFS_KIND_SYMLINK);
	ck_assert(has_rest);
	ck_assert_str_eq(rest, "x/y");
	ck_assert_uint_eq(flags, 0);
	ck_assert_int_eq(vfs_node_stat(n, &a), 0);
	ck_assert_int_eq(a.kind, VFS_KIND_SYMLINK);
	ck_assert(a.has_target);
	ck_assert_str_eq(a.target, "/mnt/data.txt");
	ck_assert_uint_eq(a.size, 13);
	ipc_cap_drop(n);
}
END_TEST

START_TEST(lookup_errors)
{
	ipc_cap n = 77;
	enum vfs_kind kind;
	ck_assert_int_eq(walk(root, "etc/nothing", &n, &kind), VFS_ERR_NOT_FOUND);
	ck_assert_uint_eq(n, 77);             /* nothing stored on an error */
	ck_assert_int_eq(walk(root, "etc/motd/x", &n, &kind), VFS_ERR_NOT_DIR);
	ck_assert_int_eq(walk(root, "secret/x", &n, &kind), VFS_ERR_DENIED);
	ck_assert_int_eq(walk(root, "loop1", &n, &kind), VFS_ERR_LOOP);
	ck_assert_int_eq(walk(root, "etc/0123456789abcdef0123456789abcdefX", &n, &kind),
	                 VFS_ERR_INVALID);
	char longpath[VFS_PATH_MAX + 2];
	memset(longpath, 'a', sizeof longpath - 1);
	longpath[sizeof longpath - 1] = 0;
	ck_assert_int_eq(walk(root, longpath, &n, &kind), IPC_EINVAL);  /* the client refuses */
	ck_assert_int_eq(walk(root, "\xc0\xaf", &n, &kind), IPC_EINVAL);
	ck_assert_uint_eq(n, 77);
}
END_TEST

START_TEST(stat_attributes_and_optional_fields)
{
	struct vfs_attr a;
	ck_assert_int_eq(vfs_node_stat(root, &a), 0);
	ck_assert_uint_eq(a.ino, 100);
	ck_assert_int_eq(a.kind, VFS_KIND_DIR);
	ck_assert_uint_eq(a.mode, 0755);
	ck_assert_uint_eq(a.nlink, 2 + 3);    /* etc, secret, mnt */
	ck_assert(a.has_blocks);
	ck_assert(a.has_atime);
	ck_assert(!a.has_target);
	ipc_cap big;
	enum vfs_kind kind;
	ck_assert_int_eq(walk(root, "big", &big, &kind), 0);
	ck_assert_int_eq(vfs_node_stat(big, &a), 0);
	ck_assert_uint_eq(a.size, 1200);
	ck_assert_uint_eq(a.blocks, 3);
	ck_assert_int_ge(a.atime.sec, a.mtime.sec);   /* the walk touched it */
	ck_assert_uint_lt(a.mtime.nsec, 1000000000);
	/* the second file system keeps neither blocks nor access times */
	ck_assert_int_eq(vfs_node_stat(other, &a), 0);
	ck_assert(!a.has_blocks);
	ck_assert(!a.has_atime);
	ck_assert_uint_eq(a.nlink, 3);
	/* chmod, and its errors */
	ck_assert_int_eq(vfs_node_chmod(big, VFS_MODE_OWNER_R | VFS_MODE_SETUID), 0);
	ck_assert_int_eq(vfs_node_stat(big, &a), 0);
	ck_assert_uint_eq(a.mode, 04400);
	ck_assert_int_eq(vfs_node_chmod(big, 0x1000), IPC_EINVAL);   /* no such bit */
	ipc_cap l;
	bool has_rest;
	char rest[VFS_PATH_MAX + 1];
	vfs_open_flags flags;
	ck_assert_int_eq(vfs_node_lookup(root, "abs", &l, &kind, &has_rest, rest, &flags), 0);
	ck_assert(!has_rest);
	ck_assert_int_eq(vfs_node_chmod(l, 0), VFS_ERR_DENIED);
	ipc_cap_drop(l);
	ipc_cap_drop(big);
}
END_TEST

START_TEST(readdir_in_batches)
{
	size_t n = 99;
	uint64_t next = 0;
	bool more = false;
	char seen[512] = "";
	size_t total = 0;
	uint32_t three = 3;
	uint64_t cookie = 0;
	do {
		ck_assert_int_eq(vfs_node_readdir(root, cookie, &three, ents, &n, &next, &more), 0);
		ck_assert_uint_le(n, 3);
		ck_assert(!more || n == 3);
		for (size_t i = 0; i < n; i++) {
			strcat(seen, ents[i].name);
			strcat(seen, " ");
		}
		total += n;
		ck_assert(next > cookie || n == 0);
		cookie = next;
	} while (more);
	ck_assert_uint_eq(total, 9);
	ck_assert_str_eq(seen, "etc big secret ro mnt motd abs loop1 loop2 ");
	/* all at once, and the kinds */
	ck_assert_int_eq(vfs_node_readdir(root, 0, NULL, ents, &n, &next, &more), 0);
	ck_assert_uint_eq(n, 9);
	ck_assert(!more);
	ck_assert_uint_eq(next, 9);
	ck_assert_int_eq(ents[0].kind, VFS_KIND_DIR);
	ck_assert_int_eq(ents[1].kind, VFS_KIND_FILE);
	ck_assert_int_eq(ents[5].kind, VFS_KIND_SYMLINK);
	ck_assert_uint_eq(ents[1].ino, 103);
	uint32_t past = VFS_DIR_MAX + 1;
	ck_assert_int_eq(vfs_node_readdir(root, 0, &past, ents, &n, &next, &more), VFS_ERR_INVALID);
	ck_assert_int_eq(vfs_node_readdir(root, 10, NULL, ents, &n, &next, &more), VFS_ERR_INVALID);
	ipc_cap f;
	enum vfs_kind kind;
	ck_assert_int_eq(walk(root, "big", &f, &kind), 0);
	ck_assert_int_eq(vfs_node_readdir(f, 0, NULL, ents, &n, &next, &more), VFS_ERR_NOT_DIR);
	ipc_cap_drop(f);
}
END_TEST

/* ents' share of readdir's reply (ipcgen(5), Out of line): the message's
 * words less next's and more's.  A longer list goes out of line. */
#define ENTS_SHARE (IPC_MAX_WORDS - 2)

/* The words etc/many's entries k to k + n take in a list: its count, then
 * each entry's ino, kind, and name (a length and its bytes in words). */
static size_t many_words(size_t k, size_t n)
{
	size_t words = 1;
	char name[VFS_NAME_MAX + 1];
	for (size_t i = k; i < k + n; i++) {
		many_name(i, name);
		words += 3 + (strlen(name) + 7) / 8;
	}
	return words;
}

/* e[0..n) are etc/many's entries from k, as build_tree made them: their
 * inode numbers follow ino0's, the first's. */
static void check_many(const struct vfs_dirent *e, size_t n, size_t k, uint64_t ino0)
{
	char name[VFS_NAME_MAX + 1];
	for (size_t i = 0; i < n; i++) {
		many_name(k + i, name);
		ck_assert_str_eq(e[i].name, name);
		ck_assert_int_eq(e[i].kind, many_kind(k + i));
		ck_assert_uint_eq(e[i].ino, ino0 + k + i);
	}
}

/* readdir(cookie, max) sent by hand to dir: the reply's first word (the
 * list's count in the message, or IPC_OOL_FLAG and its words), and in
 * *ncaps the regions that came with it. */
static uint64_t raw_readdir(ipc_cap dir, uint64_t cookie, uint32_t max, uint32_t *ncaps)
{
	uint64_t req[] = {cookie, 1, max};
	struct ipc_msg m;
	ck_assert_int_eq(raw_call_reply(dir, VFS_NODE_READDIR, req, 3, &m), 0);
	ck_assert_uint_ge(m.nwords, 3);
	*ncaps = m.ncaps;
	return m.word[0];
}

START_TEST(readdir_empty_small_and_around_the_share)
{
	size_t n = 99;
	uint64_t next = 7;
	bool more = true;
	uint32_t ncaps = 9;
	/* an empty directory: no entries, the cookie where it was */
	ipc_cap d;
	ck_assert_int_eq(vfs_node_mkdir(root, "empty", 0755, &d), 0);
	ck_assert_int_eq(vfs_node_readdir(d, 0, NULL, ents, &n, &next, &more), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_uint_eq(next, 0);
	ck_assert(!more);
	ck_assert_uint_eq(raw_readdir(d, 0, VFS_DIR_MAX, &ncaps), 0);
	ck_assert_uint_eq(ncaps, 0);
	ck_assert_int_eq(vfs_node_readdir(d, 1, NULL, ents, &n, &next, &more), VFS_ERR_INVALID);
	ipc_cap_drop(d);
	/* a small one: the root's nine entries and empty, in the message */
	ck_assert_uint_eq(raw_readdir(root, 0, VFS_DIR_MAX, &ncaps), 10);
	ck_assert_uint_eq(ncaps, 0);
	/* the most of etc/many's entries that fit the share, then one more */
	ipc_cap many;
	enum vfs_kind kind;
	struct vfs_attr a;
	ck_assert_int_eq(walk(root, "etc/many", &many, &kind), 0);
	ck_assert_int_eq(vfs_node_stat(many, &a), 0);
	uint32_t fit = 0;
	while (many_words(0, fit + 1) <= ENTS_SHARE)
		fit++;
	ck_assert_uint_gt(fit, 9);
	ck_assert_uint_eq(raw_readdir(many, 0, fit, &ncaps), fit);
	ck_assert_uint_eq(ncaps, 0);
	ck_assert_uint_eq(raw_readdir(many, 0, fit + 1, &ncaps), IPC_OOL_FLAG | many_words(0, fit + 1));
	ck_assert_uint_eq(ncaps, 1);
	/* either way the client gives the same entries */
	for (uint32_t max = fit - 1; max <= fit + 2; max++) {
		ck_assert_int_eq(vfs_node_readdir(many, 0, &max, ents, &n, &next, &more), 0);
		ck_assert_uint_eq(n, max);
		ck_assert_uint_eq(next, max);
		ck_assert(more);
		check_many(ents, n, 0, a.ino + 1);
	}
	ipc_cap_drop(many);
}
END_TEST

/* etc/many holds DIR_MAX entries: one call lists them all, out of line. */
START_TEST(readdir_a_directory_at_its_bound)
{
	ipc_cap many;
	enum vfs_kind kind;
	struct vfs_attr a;
	ck_assert_int_eq(walk(root, "etc/many", &many, &kind), 0);
	ck_assert_int_eq(vfs_node_stat(many, &a), 0);
	ck_assert_uint_eq(a.nlink, 2 + VFS_DIR_MAX / 3);   /* every third a directory */
	const uint64_t ino0 = a.ino + 1;
	int fds = open_fds(), server_fds = open_fds_of(server);
	size_t n = 0;
	uint64_t next = 0;
	bool more = true;
	ck_assert_int_eq(vfs_node_readdir(many, 0, NULL, ents, &n, &next, &more), 0);
	ck_assert_uint_eq(n, VFS_DIR_MAX);
	ck_assert_uint_eq(next, VFS_DIR_MAX);
	ck_assert(!more);
	check_many(ents, n, 0, ino0);
	uint32_t ncaps;
	ck_assert_uint_eq(raw_readdir(many, 0, VFS_DIR_MAX, &ncaps),
	                  IPC_OOL_FLAG | many_words(0, VFS_DIR_MAX));
	ck_assert_uint_eq(ncaps, 1);
	/* from a cookie, and from the end */
	ck_assert_int_eq(vfs_node_readdir(many, 9000, NULL, ents, &n, &next, &more), 0);
	ck_assert_uint_eq(n, 1000);
	ck_assert(!more);
	check_many(ents, n, 9000, ino0);
	ck_assert_int_eq(vfs_node_readdir(many, VFS_DIR_MAX, NULL, ents, &n, &next, &more), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_uint_eq(next, VFS_DIR_MAX);
	ck_assert(!more);
	/* one entry past the bound: the call says more, the cookie goes on */
	ck_assert_int_eq(vfs_node_symlink(many, "last", "../motd"), 0);
	ck_assert_int_eq(vfs_node_readdir(many, 0, NULL, ents, &n, &next, &more), 0);
	ck_assert_uint_eq(n, VFS_DIR_MAX);
	ck_assert_uint_eq(next, VFS_DIR_MAX);
	ck_assert(more);
	check_many(ents, n, 0, ino0);
	ck_assert_int_eq(vfs_node_readdir(many, next, NULL, ents, &n, &next, &more), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(ents[0].name, "last");
	ck_assert_int_eq(ents[0].kind, VFS_KIND_SYMLINK);
	ck_assert_uint_eq(next, VFS_DIR_MAX + 1);
	ck_assert(!more);
	/* an entry removed: the rest all in one call again, cookies unmoved */
	char first[VFS_NAME_MAX + 1];
	many_name(0, first);
	ck_assert_int_eq(vfs_node_unlink(many, first), 0);
	ck_assert_int_eq(vfs_node_readdir(many, 0, NULL, ents, &n, &next, &more), 0);
	ck_assert_uint_eq(n, VFS_DIR_MAX);
	ck_assert_uint_eq(next, VFS_DIR_MAX + 1);
	ck_assert(!more);
	check_many(ents, n - 1, 1, ino0);
	ck_assert_str_eq(ents[n - 1].name, "last");
	/* no descriptor left over on either side (a stat: the server is done
	 * with the calls before) */
	ck_assert_int_eq(vfs_node_stat(many, &a), 0);
	ck_assert_int_eq(open_fds(), fds);
	ck_assert_int_eq(open_fds_of(server), server_fds);
	ipc_cap_drop(many);
}
END_TEST

/* 1 MiB each way in one call: the data goes out of line, and comes back. */
START_TEST(read_and_write_a_mebibyte)
{
	static uint8_t data[VFS_IO_MAX], back[VFS_IO_MAX];
	int fds0 = open_fds();
	ipc_cap home, f;
	bool created;
	uint64_t size;
	vfs_mode m644 = 0644;
	ck_assert_int_eq(vfs_node_mkdir(root, "mib", 0700, &home), 0);
	ck_assert_int_eq(vfs_node_open(home, "blob", VFS_OPEN_FLAGS_READ | VFS_OPEN_FLAGS_WRITE |
	                               VFS_OPEN_FLAGS_CREATE, &m644, &f, &created, &size), 0);
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 31 + i / 4096);
	uint32_t w = 0;
	ck_assert_int_eq(vfs_file_write(f, 0, data, sizeof data, &w, &size), 0);
	ck_assert_uint_eq(w, VFS_IO_MAX);
	ck_assert_uint_eq(size, VFS_IO_MAX);
	ck_assert_int_eq(vfs_file_write(f, VFS_IO_MAX, data, 1000, &w, &size), 0);
	ck_assert_uint_eq(size, VFS_IO_MAX + 1000);
	size_t n = 0;
	bool eof = true;
	ck_assert_int_eq(vfs_file_read(f, 0, VFS_IO_MAX, back, &n, &eof), 0);
	ck_assert_uint_eq(n, VFS_IO_MAX);
	ck_assert(!eof);
	ck_assert(memcmp(back, data, n) == 0);
	ck_assert_int_eq(vfs_file_read(f, VFS_IO_MAX - 10, VFS_IO_MAX, back, &n, &eof), 0);
	ck_assert_uint_eq(n, 1010);
	ck_assert(eof);
	ck_assert(memcmp(back, data + VFS_IO_MAX - 10, 10) == 0 && memcmp(back + 10, data, 1000) == 0);
	ipc_cap_drop(f);
	ipc_cap_drop(home);
	ck_assert_int_eq(open_fds(), fds0);
}
END_TEST

START_TEST(read_a_file_larger_than_one_message)
{
	ipc_cap f = open_at(root, "big", VFS_OPEN_FLAGS_READ);
	enum { CHUNK = 496 };   /* small reads, each inline */
	static uint8_t buf[VFS_IO_MAX];
	uint8_t all[1300];
	size_t n, got = 0;
	bool eof = false;
	int reads = 0;
	while (!eof) {
		ck_assert_int_eq(vfs_file_read(f, got, CHUNK, buf, &n, &eof), 0);
		memcpy(all + got, buf, n);
		got += n;
		reads++;
	}
	ck_assert_int_eq(reads, 3);
	ck_assert_uint_eq(got, 1200);
	for (size_t i = 0; i < got; i++)
		ck_assert_uint_eq(all[i], (uint8_t)(i * 7));
	ck_assert_int_eq(vfs_file_read(f, 5000, 10, buf, &n, &eof), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert(eof);
	ck_assert_int_eq(vfs_file_read(f, 0, VFS_IO_MAX + 1, buf, &n, &eof), VFS_ERR_INVALID);
	uint32_t w;
	uint64_t size;
	ck_assert_int_eq(vfs_file_write(f, 0, buf, 1, &w, &size), VFS_ERR_DENIED);
	ck_assert_int_eq(vfs_file_truncate(f, 0), VFS_ERR_DENIED);
	ck_assert_int_eq(vfs_file_close(f), 0);
	/* the file's endpoint is gone: the connection answers no more */
	ck_assert_int_lt(vfs_file_read(f, 0, 1, buf, &n, &eof), 0);
	ipc_cap_drop(f);
}
END_TEST

START_TEST(create_write_append_truncate)
{
	ipc_cap home, f = IPC_CAP_NONE;
	ck_assert_int_eq(vfs_node_mkdir(root, "home", 0700, &home), 0);
	ipc_cap again;
	ck_assert_int_eq(vfs_node_mkdir(root, "home", 0700, &again), VFS_ERR_EXISTS);
	bool created = false;
	uint64_t size = 9;
	vfs_mode m644 = 0644;
	vfs_open_flags rw = VFS_OPEN_FLAGS_READ | VFS_OPEN_FLAGS_WRITE;
	/* CREATE without a mode */
	ck_assert_int_eq(vfs_node_open(home, "notes", rw | VFS_OPEN_FLAGS_CREATE, NULL, &f, &created,
	                               &size), VFS_ERR_INVALID);
	ck_assert_int_eq(vfs_node_open(home, "notes", rw, &m644, &f, &created, &size),
	                 VFS_ERR_NOT_FOUND);
	ck_assert_int_eq(vfs_node_open(home, "notes", rw | VFS_OPEN_FLAGS_CREATE | VFS_OPEN_FLAGS_EXCL,
	                               &m644, &f, &created, &size), 0);
	ck_assert(created);
	ck_assert_uint_eq(size, 0);
	ck_assert_int_eq(vfs_node_open(home, "notes", rw | VFS_OPEN_FLAGS_CREATE | VFS_OPEN_FLAGS_EXCL,
	                               &m644, &again, &created, &size), VFS_ERR_EXISTS);
	uint8_t data[496];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(255 - i);
	uint32_t w = 0;
	ck_assert_int_eq(vfs_file_write(f, 0, data, sizeof data, &w, &size), 0);
	ck_assert_uint_eq(w, 496);
	ck_assert_uint_eq(size, 496);
	/* a write past the end leaves a hole of zeros */
	ck_assert_int_eq(vfs_file_write(f, 600, (const uint8_t *)"xyz", 3, &w, &size), 0);
	ck_assert_uint_eq(size, 603);
	uint8_t buf[496];
	size_t n;
	bool eof;
	ck_assert_int_eq(vfs_file_read(f, 494, 20, buf, &n, &eof), 0);
	ck_assert_uint_eq(n, 20);
	ck_assert(!eof);
	ck_assert_uint_eq(buf[0], (uint8_t)(255 - 494));
	ck_assert_uint_eq(buf[2], 0);
	ck_assert_uint_eq(buf[19], 0);
	ck_assert_int_eq(vfs_file_read(f, 600, 20, buf, &n, &eof), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert(eof);
	ck_assert_int_eq(memcmp(buf, "xyz", 3), 0);
	/* a write at the capacity's edge is short; past it, no space */
	ck_assert_int_eq(vfs_file_write(f, FILE_CAP - 2, data, 10, &w, &size), 0);
	ck_assert_uint_eq(w, 2);
	ck_assert_uint_eq(size, FILE_CAP);
	ck_assert_int_eq(vfs_file_write(f, FILE_CAP, data, 1, &w, &size), VFS_ERR_NO_SPACE);
	ck_assert_int_eq(vfs_file_truncate(f, FILE_CAP + 1), VFS_ERR_NO_SPACE);
	ck_assert_int_eq(vfs_file_truncate(f, 4), 0);
	struct vfs_attr a;
	ck_assert_int_eq(vfs_file_stat(f, &a), 0);
	ck_assert_uint_eq(a.size, 4);
	ck_assert_uint_eq(a.mode, 0644);
	ck_assert_int_eq(vfs_file_close(f), 0);
	ipc_cap_drop(f);
	/* append ignores the offset; TRUNC empties */
	f = open_at(home, "notes", VFS_OPEN_FLAGS_WRITE | VFS_OPEN_FLAGS_APPEND);
	ck_assert_int_eq(vfs_file_write(f, 0, (const uint8_t *)"ab", 2, &w, &size), 0);
	ck_assert_uint_eq(size, 6);
	ck_assert_int_eq(vfs_file_read(f, 0, 1, buf, &n, &eof), VFS_ERR_DENIED);
	ck_assert_int_eq(vfs_file_close(f), 0);
	ipc_cap_drop(f);
	f = open_at(home, "notes", rw | VFS_OPEN_FLAGS_TRUNC);
	ck_assert_int_eq(vfs_file_stat(f, &a), 0);
	ck_assert_uint_eq(a.size, 0);
	ck_assert_int_eq(vfs_file_close(f), 0);
	ipc_cap_drop(f);
	ipc_cap_drop(home);
}
END_TEST

START_TEST(open_errors_raise_any_of_the_namespace)
{
	ipc_cap f = 55;
	bool created;
	uint64_t size;
	vfs_open_flags r = VFS_OPEN_FLAGS_READ, w = VFS_OPEN_FLAGS_WRITE;
	ck_assert_int_eq(vfs_node_open(root, "etc", r, NULL, &f, &created, &size), VFS_ERR_IS_DIR);
	ck_assert_int_eq(vfs_node_open(root, "ro", w, NULL, &f, &created, &size), VFS_ERR_DENIED);
	ck_assert_int_eq(vfs_node_open(root, "abs", r, NULL, &f, &created, &size), VFS_ERR_LOOP);
	ck_assert_int_eq(vfs_node_open(root, "big", 0, NULL, &f, &created, &size), VFS_ERR_INVALID);
	ck_assert_int_eq(vfs_node_open(root, "big", r | VFS_OPEN_FLAGS_TRUNC, NULL, &f, &created, &size),
	                 VFS_ERR_INVALID);
	ck_assert_int_eq(vfs_node_open(root, "..", r, NULL, &f, &created, &size), VFS_ERR_INVALID);
	ck_assert_int_eq(vfs_node_open(root, "big", 0x80, NULL, &f, &created, &size), IPC_EINVAL);
	ipc_cap big;
	enum vfs_kind kind;
	ck_assert_int_eq(walk(root, "big", &big, &kind), 0);
	ck_assert_int_eq(vfs_node_open(big, "x", r, NULL, &f, &created, &size), VFS_ERR_NOT_DIR);
	ipc_cap_drop(big);
	ck_assert_uint_eq(f, 55);
	/* a table of MAXFILES open files: one more is no space */
	ipc_cap open[MAXFILES];
	for (int i = 0; i < MAXFILES; i++)
		open[i] = open_at(root, "big", r);
	ck_assert_int_eq(vfs_node_open(root, "big", r, NULL, &f, &created, &size), VFS_ERR_NO_SPACE);
	for (int i = 0; i < MAXFILES; i++) {
		ck_assert_int_eq(vfs_file_close(open[i]), 0);
		ipc_cap_drop(open[i]);
	}
	f = open_at(root, "big", r);
	ck_assert_int_eq(vfs_file_close(f), 0);
	ipc_cap_drop(f);
}
END_TEST

START_TEST(unlink_symlink_and_stale_nodes)
{
	ipc_cap d, f;
	ck_assert_int_eq(vfs_node_mkdir(root, "tmp", 0755, &d), 0);
	vfs_mode m = 0600;
	bool created;
	uint64_t size;
	ck_assert_int_eq(vfs_node_open(d, "f", VFS_OPEN_FLAGS_READ | VFS_OPEN_FLAGS_WRITE |
	                               VFS_OPEN_FLAGS_CREATE, &m, &f, &created, &size), 0);
	uint32_t w;
	ck_assert_int_eq(vfs_file_write(f, 0, (const uint8_t *)"kept", 4, &w, &size), 0);
	ck_assert_int_eq(vfs_node_symlink(d, "l", "f"), 0);
	ck_assert_int_eq(vfs_node_symlink(d, "l", "f"), VFS_ERR_EXISTS);
	ck_assert_int_eq(vfs_node_symlink(d, "e", ""), VFS_ERR_INVALID);
	ipc_cap via;
	enum vfs_kind kind;
	ck_assert_int_eq(walk(root, "tmp/l", &via, &kind), 0);
	ck_assert_int_eq(kind, VFS_KIND_FILE);
	ipc_cap_drop(via);
	ck_assert_int_eq(vfs_node_unlink(root, "tmp"), VFS_ERR_NOT_EMPTY);
	ck_assert_int_eq(vfs_node_unlink(d, "nothing"), VFS_ERR_NOT_FOUND);
	ck_assert_int_eq(vfs_node_unlink(d, "l"), 0);
	ck_assert_int_eq(vfs_node_unlink(d, "f"), 0);
	ck_assert_int_eq(walk(root, "tmp/f", &via, &kind), VFS_ERR_NOT_FOUND);
	/* an open file outlives its name */
	uint8_t buf[8];
	size_t n;
	bool eof;
	ck_assert_int_eq(vfs_file_read(f, 0, 8, buf, &n, &eof), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_int_eq(memcmp(buf, "kept", 4), 0);
	ck_assert_int_eq(vfs_file_close(f), 0);
	ipc_cap_drop(f);
	ck_assert_int_eq(vfs_node_unlink(root, "tmp"), 0);
	/* a node held past its removal is stale */
	struct vfs_attr a;
	ck_assert_int_eq(vfs_node_stat(d, &a), VFS_ERR_STALE);
	ck_assert_int_eq(vfs_node_chmod(d, 0), VFS_ERR_STALE);
	uint64_t next;
	bool more;
	ck_assert_int_eq(vfs_node_readdir(d, 0, NULL, ents, &n, &next, &more), VFS_ERR_STALE);
	ipc_cap sub;
	ck_assert_int_eq(vfs_node_mkdir(d, "x", 0755, &sub), VFS_ERR_STALE);
	ipc_cap_drop(d);
	/* denied: the parent is not writable */
	ck_assert_int_eq(vfs_node_chmod(root, 0555), 0);
	ck_assert_int_eq(vfs_node_unlink(root, "big"), VFS_ERR_DENIED);
	ck_assert_int_eq(vfs_node_mkdir(root, "new", 0755, &sub), VFS_ERR_DENIED);
	ck_assert_int_eq(vfs_node_chmod(root, 0755), 0);
	/* the node table fills: no space */
	int made = 0, st;
	while ((st = vfs_node_symlink(root, (char[]){'s', (char)('a' + made), 0}, "x")) == 0)
		made++;
	ck_assert_int_eq(st, VFS_ERR_NO_SPACE);
	ck_assert_int_gt(made, 5);
}
END_TEST

START_TEST(mount_and_walk_across_servers)
{
	/* the second file system's root, moved to the first server */
	ipc_cap mounted = other;
	other = IPC_CAP_NONE;
	ck_assert_int_eq(vfs_node_mount(root, mounted, "mnt"), 0);
	ipc_cap n;
	enum vfs_kind kind;
	bool has_rest;
	char rest[VFS_PATH_MAX + 1];
	vfs_open_flags flags;
	ck_assert_int_eq(vfs_node_lookup(root, "mnt/sub/../data.txt", &n, &kind, &has_rest, rest,
	                                 &flags), 0);
	ck_assert_int_eq(kind, VFS_KIND_MOUNT);
	ck_assert(has_rest);
	ck_assert_str_eq(rest, "sub/../data.txt");
	/* n is the mounted root, on the other server: walk on there */
	ipc_cap f;
	char rest2[VFS_PATH_MAX + 1];
	ck_assert_int_eq(vfs_node_lookup(n, rest, &f, &kind, &has_rest, rest2, &flags), 0);
	ck_assert_int_eq(kind, VFS_KIND_FILE);
	ck_assert(!has_rest);
	struct vfs_attr a;
	ck_assert_int_eq(vfs_node_stat(f, &a), 0);
	ck_assert(!a.has_atime);
	ck_assert_uint_eq(a.size, 8);
	ipc_cap_drop(f);
	ipc_cap_drop(n);
	/* the absolute link: resolved by the client from the root */
	ck_assert_int_eq(vfs_node_lookup(root, "abs", &n, &kind, &has_rest, rest, &flags), 0);
	ck_assert_int_eq(vfs_node_stat(n, &a), 0);
	ipc_cap_drop(n);
	ck_assert_int_eq(vfs_node_lookup(root, a.target, &n, &kind, &has_rest, rest, &flags), 0);
	ck_assert_int_eq(kind, VFS_KIND_MOUNT);
	ck_assert_str_eq(rest, "data.txt");
	f = open_at(n, rest, VFS_OPEN_FLAGS_READ);
	uint8_t buf[16];
	size_t len;
	bool eof;
	ck_assert_int_eq(vfs_file_read(f, 0, sizeof buf, buf, &len, &eof), 0);
	ck_assert_uint_eq(len, 8);
	ck_assert_int_eq(memcmp(buf, "mounted\n", 8), 0);
	ck_assert_int_eq(vfs_file_close(f), 0);
	ipc_cap_drop(f);
	/* readdir shows the mount point; mounting twice or over a file fails */
	uint64_t next;
	bool more;
	ck_assert_int_eq(vfs_node_readdir(root, 0, NULL, ents, &len, &next, &more), 0);
	ck_assert_str_eq(ents[4].name, "mnt");
	ck_assert_int_eq(ents[4].kind, VFS_KIND_MOUNT);
	ipc_cap copy;
	ck_assert_int_eq(ipc_posix_copy(n, &copy), 0);
	ck_assert_int_eq(vfs_node_mount(root, copy, "mnt"), VFS_ERR_DENIED);
	ck_assert_int_eq(ipc_posix_copy(n, &copy), 0);
	ck_assert_int_eq(vfs_node_mount(root, copy, "big"), VFS_ERR_NOT_DIR);
	ck_assert_int_eq(ipc_posix_copy(n, &copy), 0);
	ck_assert_int_eq(vfs_node_mount(root, copy, "none"), VFS_ERR_NOT_FOUND);
	ck_assert_int_eq(vfs_node_unlink(root, "mnt"), VFS_ERR_DENIED);
	ipc_cap_drop(n);
}
END_TEST

/* "ab" as a string: a length word, then the bytes in one word. */
#define STR(a, b) 2, ((uint64_t)(b) << 8 | (uint64_t)(a))

START_TEST(servers_refuse_hostile_encodings)
{
	/* open(name: string, flags: open_flags, create_mode: mode?) */
	uint64_t ok[] = {STR('n', 'o'), VFS_OPEN_FLAGS_READ, 0};
	ck_assert_int_eq(raw_call(root, VFS_NODE_OPEN, ok, 4), VFS_ERR_NOT_FOUND);
	uint64_t badflag[] = {STR('n', 'o'), 0x40, 0};
	ck_assert_int_eq(raw_call(root, VFS_NODE_OPEN, badflag, 4), IPC_EPROTO);
	uint64_t presence2[] = {STR('n', 'o'), VFS_OPEN_FLAGS_READ, 2};
	ck_assert_int_eq(raw_call(root, VFS_NODE_OPEN, presence2, 4), IPC_EPROTO);
	uint64_t modebit[] = {STR('n', 'o'), VFS_OPEN_FLAGS_READ | VFS_OPEN_FLAGS_CREATE, 1, 0x1000};
	ck_assert_int_eq(raw_call(root, VFS_NODE_OPEN, modebit, 5), IPC_EPROTO);
	uint64_t cut[] = {STR('n', 'o'), VFS_OPEN_FLAGS_READ, 1};
	ck_assert_int_eq(raw_call(root, VFS_NODE_OPEN, cut, 4), IPC_EPROTO);
	uint64_t name33[] = {33, 0, 0, 0, 0, 0, VFS_OPEN_FLAGS_READ, 0};
	ck_assert_int_eq(raw_call(root, VFS_NODE_OPEN, name33, 8), IPC_EPROTO);
	/* readdir(cookie: u64, max: u32?): a max past u32 */
	uint64_t max33[] = {0, 1, UINT64_C(1) << 32};
	ck_assert_int_eq(raw_call(root, VFS_NODE_READDIR, max33, 3), IPC_EPROTO);
	uint64_t maxok[] = {0, 1, 1};
	ck_assert_int_eq(raw_call(root, VFS_NODE_READDIR, maxok, 3), 0);
	/* chmod(mode: u16 bits): a word past u16 */
	uint64_t wide[] = {UINT64_C(0x10000) | 0x1ed};
	ck_assert_int_eq(raw_call(root, VFS_NODE_CHMOD, wide, 1), IPC_EPROTO);
	/* mount without its capability */
	uint64_t mnt[] = {STR('m', 'n')};
	ck_assert_int_eq(raw_call(root, VFS_NODE_MOUNT, mnt, 2), IPC_EPROTO);
	/* the number skip left unused, and a file's method at a node */
	ck_assert_int_eq(raw_call(root, IPC_LABEL(VFS_NODE_ID, 3), NULL, 0), IPC_ENOSYS);
	uint64_t rd[] = {0, 1};
	ck_assert_int_eq(raw_call(root, VFS_FILE_READ, rd, 2), IPC_ENOSYS);
	/* write(offset, data: bytes<IO_MAX>): a length past the bound, and
	 * padding after the bytes that is not zero */
	ipc_cap f = open_at(root, "big", VFS_OPEN_FLAGS_READ | VFS_OPEN_FLAGS_WRITE);
	uint64_t big[64] = {0, VFS_IO_MAX + 1};
	ck_assert_int_eq(raw_call(f, VFS_FILE_WRITE, big, 64), IPC_EPROTO);
	uint64_t pad[] = {0, 3, 0x01020304};
	ck_assert_int_eq(raw_call(f, VFS_FILE_WRITE, pad, 3), IPC_EPROTO);
	uint64_t padok[] = {0, 3, 0x020304};
	ck_assert_int_eq(raw_call(f, VFS_FILE_WRITE, padok, 3), 0);
	/* read(offset, len: u32): a word too many */
	uint64_t extra[] = {0, 1, 0};
	ck_assert_int_eq(raw_call(f, VFS_FILE_READ, extra, 3), IPC_EPROTO);
	uint8_t buf[4];
	size_t n;
	bool eof;
	ck_assert_int_eq(vfs_file_read(f, 0, 4, buf, &n, &eof), 0);
	ck_assert_uint_eq(buf[0], 4);
	ck_assert_uint_eq(buf[2], 2);
	ck_assert_uint_eq(buf[3], (uint8_t)21);
	ck_assert_int_eq(vfs_file_close(f), 0);
	ipc_cap_drop(f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("protocols-vfs");
	TCase *t = tcase_create("vfs");
	tcase_add_checked_fixture(t, start, stop);
	tcase_set_timeout(t, 30);
	tcase_add_test(t, constants_and_identity);
	tcase_add_test(t, lookup_walks_and_reports_what_it_reached);
	tcase_add_test(t, lookup_errors);
	tcase_add_test(t, stat_attributes_and_optional_fields);
	tcase_add_test(t, readdir_in_batches);
	tcase_add_test(t, readdir_empty_small_and_around_the_share);
	tcase_add_test(t, readdir_a_directory_at_its_bound);
	tcase_add_test(t, read_a_file_larger_than_one_message);
	tcase_add_test(t, read_and_write_a_mebibyte);
	tcase_add_test(t, create_write_append_truncate);
	tcase_add_test(t, open_errors_raise_any_of_the_namespace);
	tcase_add_test(t, unlink_symlink_and_stale_nodes);
	tcase_add_test(t, mount_and_walk_across_servers);
	tcase_add_test(t, servers_refuse_hostile_encodings);
	suite_add_tcase(s, t);
	return run_suite(s);
}
