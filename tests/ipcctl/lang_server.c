/*
 * lang_server.c: the ctllang::fs service (tests/ipcctl/ctllang.ipc), whose
 * methods take and give language 2's values, that tests/ipcctl/ipcctl.sh
 * calls through ipcctl.  Stubs generated at build time; served at the
 * socket path given, until killed.
 *
 *   usage: ctllang-server [--evil] SOCKET-PATH
 *
 * With --evil it answers describe as ctllang::fs does, and each call with
 * a reply that the generated client would refuse (see evil()), but for
 * valid replies at the edges (blobs with m=3, and the first of the lists
 * out of line of nums and split, and doc's and maybe's).
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <mercury/posix.h>
#include "ctllang.h"

/* An error of ctllang that no error of the file names. */
#define ERR_UNNAMED ((CTLLANG_ERR_MISSING & ~0xffff) | 99)

struct fs {
	struct ctllang_fs base;
	struct ctllang_entry ents[CTLLANG_NENTS];
	size_t nents;
	bool has_when;
	struct ctllang_time when;
	ctllang_mode flags;
};

static int stat_(struct ctllang_fs *self, const char *name, struct ctllang_entry *result)
{
	(void)self;
	if (strcmp(name, "none") == 0)
		return CTLLANG_ERR_MISSING;
	snprintf(result->name, sizeof result->name, "%s", name);
	result->kind = CTLLANG_KIND_LINK;
	result->mode = CTLLANG_MODE_READ | CTLLANG_MODE_WRITE;
	result->has_size = strcmp(name, "big") == 0;
	result->size = (uint64_t)1 << 40;
	result->mtime = (struct ctllang_time){-5, 7};
	result->tags[0] = 1, result->tags[1] = 255, result->ntags = 2;
	return 0;
}

/* What a name asks put and list to fail with. */
static int failure(const char *name)
{
	return strcmp(name, "gone") == 0 ? CTLLANG_ERR_MISSING : strcmp(name, "full") == 0
		? CTLLANG_ERR_FULL : strcmp(name, "odd") == 0 ? ERR_UNNAMED : 0;
}

static int put(struct ctllang_fs *self, const struct ctllang_entry *ents, size_t nents,
               uint32_t *count, bool *has_first, char *first)
{
	struct fs *fs = (struct fs *)self;
	for (size_t i = 0; i < nents; i++)
		if (failure(ents[i].name))
			return failure(ents[i].name);
	memcpy(fs->ents, ents, nents * sizeof *ents);
	fs->nents = nents;
	*count = (uint32_t)nents;
	if ((*has_first = nents > 0))
		strcpy(first, ents[0].name);
	return 0;
}

static int list(struct ctllang_fs *self, const char *dir, const uint32_t *max,
                struct ctllang_entry *ents, size_t *nents, bool *more)
{
	struct fs *fs = (struct fs *)self;
	if (failure(dir))
		return failure(dir);
	*nents = max && *max < fs->nents ? *max : fs->nents;
	memcpy(ents, fs->ents, *nents * sizeof *ents);
	*more = *nents < fs->nents;
	return 0;
}

static int echo(struct ctllang_fs *self, const struct ctllang_entry *e,
                struct ctllang_entry *result)
{
	(void)self;
	*result = *e;
	return 0;
}

static int names(struct ctllang_fs *self, const char *const *parts, size_t nparts, char *joined,
                 uint32_t *count)
{
	(void)self;
	joined[0] = 0;
	for (size_t i = 0; i < nparts; i++) {
		strcat(joined, i ? "/" : "");
		strcat(joined, parts[i]);
	}
	*count = (uint32_t)nparts;
	return 0;
}

static int blobs(struct ctllang_fs *self, const struct ctllang_blob *b, ctllang_wide w,
                 ctllang_mode m, bool *has_ob, struct ctllang_blob *ob, ctllang_wide *ow,
                 ctllang_mode *om)
{
	(void)self;
	if ((*has_ob = b != NULL))
		*ob = *b;
	*ow = w ^ CTLLANG_WIDE_LOW;
	*om = m;
	return 0;
}

static int grid(struct ctllang_fs *self, const struct ctllang_row *rows, size_t nrows,
                struct ctllang_row *result, size_t *nresult)
{
	(void)self;
	for (size_t i = 0; i < nrows; i++) {
		result[i].ncells = rows[i].ncells;
		for (size_t j = 0; j < rows[i].ncells; j++)
			result[i].cells[j] = (int8_t)(rows[i].cells[j] == INT8_MIN ? INT8_MAX
			                              : -rows[i].cells[j]);
	}
	*nresult = nrows;
	return 0;
}

static void note(struct ctllang_fs *self, const struct ctllang_time *when, ctllang_mode flags)
{
	struct fs *fs = (struct fs *)self;
	if ((fs->has_when = when != NULL))
		fs->when = *when;
	fs->flags = flags;
}

static int last(struct ctllang_fs *self, bool *has_when, struct ctllang_time *when,
                ctllang_mode *flags)
{
	struct fs *fs = (struct fs *)self;
	*has_when = fs->has_when;
	*when = fs->when;
	*flags = fs->flags;
	return 0;
}

static int pack(struct ctllang_fs *self, const struct ctllang_entry *e, uint8_t n, ipc_cap *out,
                uint32_t *size, bool *has_name, char *name)
{
	(void)self;
	void *addr;
	int rc = ipc_page_alloc(1, out, &addr);
	if (rc < 0)
		return rc;
	ipc_page_unmap(addr, IPC_PAGE_SIZE);
	*size = n;
	if ((*has_name = e != NULL))
		strcpy(name, e->name);
	return 0;
}

static int plain(struct ctllang_fs *self, uint32_t x, uint32_t *result)
{
	(void)self;
	*result = x + 1;
	return 0;
}

static int swap(struct ctllang_fs *self, ipc_cap a, const ipc_cap *fds, size_t nfds,
                const ipc_cap *ports, size_t nports, ipc_cap *one, ipc_cap *out, size_t *nout,
                ipc_cap *more, size_t *nmore, uint32_t *result)
{
	(void)self;
	*result = (uint32_t)((a != IPC_CAP_NONE) + nfds + nports);
	*one = a;
	memcpy(out, fds, nfds * sizeof *fds);
	*nout = nfds;
	memcpy(more, ports, nports * sizeof *ports);
	*nmore = nports;
	return 0;
}

static int blob(struct ctllang_fs *self, const uint8_t *data, size_t ndata, const char *name,
                uint8_t *back, size_t *nback, uint32_t *n)
{
	(void)self;
	memcpy(back, data, ndata);
	*nback = ndata;
	*n = (uint32_t)(ndata + strlen(name));
	return 0;
}

static int nums(struct ctllang_fs *self, const uint32_t *v, size_t nv, uint32_t *result,
                size_t *nresult)
{
	(void)self;
	memcpy(result, v, nv * sizeof *v);
	*nresult = nv;
	return 0;
}

static int recs(struct ctllang_fs *self, const struct ctllang_rec *v, size_t nv, uint32_t tag,
                struct ctllang_rec *got, size_t *ngot, uint64_t *n)
{
	(void)self;
	for (size_t i = 0; i < nv; i++) {
		got[i] = v[i];
		got[i].id += tag;
	}
	*ngot = nv;
	*n = nv;
	return 0;
}

static int split(struct ctllang_fs *self, const uint32_t *v, size_t nv, uint32_t *lo, size_t *nlo,
                 uint32_t *hi, size_t *nhi)
{
	(void)self;
	*nlo = nv / 2;
	*nhi = nv - *nlo;
	memcpy(lo, v, *nlo * sizeof *v);
	memcpy(hi, v + *nlo, *nhi * sizeof *v);
	return 0;
}

static int doc(struct ctllang_fs *self, const struct ctllang_doc *d, struct ctllang_doc *result)
{
	(void)self;
	*result = *d;
	return 0;
}

static int maybe(struct ctllang_fs *self, const uint32_t *o, size_t no, bool *has_result,
                 uint32_t *result, size_t *nresult)
{
	(void)self;
	*has_result = o != NULL;
	if (o)
		memcpy(result, o, no * sizeof *o);
	*nresult = no;
	return 0;
}

static uint64_t heaped;   /* what heap has added up */

static void heap(struct ctllang_fs *self, const uint32_t *v, size_t nv)
{
	(void)self;
	for (size_t i = 0; i < nv; i++)
		heaped += v[i];
}

static int tally(struct ctllang_fs *self, uint64_t *result)
{
	(void)self;
	*result = heaped;
	return 0;
}

static const struct ctllang_fs_iface impl = {
	.stat = stat_, .put = put, .list = list, .echo = echo, .names = names, .blobs = blobs,
	.grid = grid, .note = note, .last = last, .pack = pack, .plain = plain, .swap = swap,
	.blob = blob, .nums = nums, .recs = recs, .split = split, .doc = doc, .maybe = maybe,
	.heap = heap, .tally = tally,
};

static ipc_cap endpoint = IPC_CAP_NONE;

static void stop(int sig)
{
	(void)sig;
	ipc_cap_drop(endpoint);   /* unlinks the socket */
	_exit(0);
}

static void word(struct ipc_msg *m, uint64_t w)
{
	m->word[m->nwords++] = w;
}

/* An entry "a" of the kind given, with no size and ntags tags. */
static void entry(struct ipc_msg *m, uint64_t kind, unsigned ntags)
{
	word(m, 1), word(m, 'a');          /* name */
	word(m, kind), word(m, CTLLANG_MODE_READ), word(m, 0);
	word(m, 1), word(m, 2);            /* mtime */
	word(m, ntags);
	for (unsigned i = 0; i < ntags; i++)
		word(m, i);
}

/* A region made by hand, as a hostile server may: a memfd holding the n
 * words at w, sealed as ipc_ool_put seals it unless not; appended to m. */
static void region(struct ipc_msg *m, const uint64_t *w, size_t n, bool sealed)
{
	int fd = memfd_create("evil", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	ipc_cap c;
	if (fd < 0 || write(fd, w, n * 8) != (ssize_t)(n * 8) ||
	    (sealed && fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) ||
	    ipc_posix_adopt(fd, &c) < 0) {
		perror("ctllang-server: region");
		exit(1);
	}
	m->cap[m->ncaps++] = c;
}

/* A list of u32 out of line: IPC_OOL_FLAG | nwords in m, a region of n
 * words (none if 0) holding the count and 0, 1, ..., with word poke set
 * to val if val. */
static void u32_list(struct ipc_msg *m, uint64_t nwords, uint64_t count, size_t n, size_t poke,
                     uint64_t val, bool sealed)
{
	uint64_t *w = calloc(n + count + 1, 8);
	if (!w)
		exit(1);
	w[0] = count;
	for (uint64_t i = 0; i < count; i++)
		w[1 + i] = i;
	if (val)
		w[poke] = val;
	word(m, IPC_OOL_FLAG | nwords);
	if (n)
		region(m, w, n, sealed);
	free(w);
}

/* nums' reply, as the request's count says: a valid list out of line,
 * then each a way its region or its word breaks the encoding. */
static void evil_nums(struct ipc_msg *m, uint64_t which)
{
	switch (which) {
	case 0: u32_list(m, 489, 488, 489, 0, 0, true); break;        /* valid: past the share */
	case 1: u32_list(m, 489, 488, 488, 0, 0, true); break;        /* a short region */
	case 2: u32_list(m, 489, 488, 490, 0, 0, true); break;        /* a long region */
	case 3: u32_list(m, 490, 488, 490, 0, 0, true); break;        /* a word left over */
	case 4: u32_list(m, 489, 489, 489, 0, 0, true); break;        /* a word missing */
	case 5: u32_list(m, 489, 488, 489, 0, 2001, true); break;     /* a count past the bound */
	case 6: u32_list(m, 489, 488, 489, 100, 1ull << 32, true); break;   /* past u32 */
	case 7: u32_list(m, 489, 488, 489, 0, 0, false); break;       /* unsealed */
	case 8: u32_list(m, 488, 487, 488, 0, 0, true); break;        /* inline's length */
	case 9: u32_list(m, 2002, 488, 489, 0, 0, true); break;       /* past the bound's words */
	case 10: u32_list(m, 489, 488, 0, 0, 0, true); break;         /* no region */
	default:                                                      /* a region too many */
		u32_list(m, 489, 488, 489, 0, 0, true);
		u32_list(m, 489, 488, 489, 0, 0, true);
		m->nwords = 1;
	}
}

/* split's reply, as the request's count says: lo inline past its share
 * of 244 words; valid, both out of line; their regions swapped. */
static void evil_split(struct ipc_msg *m, uint64_t which)
{
	if (which == 0) {
		word(m, 244);
		for (unsigned i = 0; i < 244; i++)
			word(m, i);
		word(m, 0);
		return;
	}
	u32_list(m, 245, 244, 245, 0, 0, true);
	u32_list(m, 246, 245, 246, 0, 0, true);
	if (which > 1) {
		ipc_cap c = m->cap[0];
		m->cap[0] = m->cap[1], m->cap[1] = c;
	}
}

/* recs' reply, as the request's tag says: 61 recs out of line (489
 * words), one of them broken inside: its name's padding not zero, its
 * note's presence 2, its tags past their bound; then n. */
static void evil_recs(struct ipc_msg *m, uint64_t which)
{
	uint64_t w[1 + 61 * 8] = {61};
	for (unsigned i = 0; i < 61; i++) {
		uint64_t *r = &w[1 + i * 8];
		r[0] = i, r[1] = 16;
		memcpy(&r[2], "rec-000000000000", 16);
		r[4] = 2, r[5] = i, r[6] = 7;
		r[7] = 0;
	}
	if (which == 0)
		w[1 + 30 * 8 + 1] = 15;    /* "rec-00000000000" and a byte after it */
	else if (which == 1)
		w[1 + 30 * 8 + 7] = 2;
	else
		w[1 + 30 * 8 + 4] = 5;
	word(m, IPC_OOL_FLAG | 489);
	region(m, w, 489, true);
	word(m, 61);
}

/* doc's reply, as the request's last word says: a doc "t" of no words
 * inline, valid; its length word one short; in a region of 488 words,
 * valid; in a region of 487 (an inline length); its words' count past
 * their bound. */
static void evil_doc(struct ipc_msg *m, uint64_t which)
{
	uint64_t w[488] = {1, 't', 485};
	for (unsigned i = 0; i < 485; i++)
		w[3 + i] = i;
	if (which < 2) {
		word(m, which ? 2 : 3), word(m, 1), word(m, 't'), word(m, 0);
		return;
	}
	if (which == 3)
		w[2] = 484;
	else if (which == 4)
		w[2] = 1001;
	word(m, IPC_OOL_FLAG | (which == 3 ? 487 : 488));
	region(m, w, which == 3 ? 487 : 488, true);
}

/* maybe's reply, likewise: a presence word of 2; in a region, a presence
 * word of 0; valid, 487 numbers in a region (489 words). */
static void evil_maybe(struct ipc_msg *m, uint64_t which)
{
	uint64_t w[489] = {1, 487};
	for (unsigned i = 0; i < 487; i++)
		w[2 + i] = i;
	if (which == 0) {
		word(m, 2), word(m, 0);
		return;
	}
	if (which == 1)
		w[0] = 0;
	word(m, IPC_OOL_FLAG | 489);
	region(m, w, 489, true);
}

/* A reply to the request in m that breaks one rule of its method's reply
 * (blobs: as its last word says; list: as its dir's length says). */
static void evil(struct ipc_msg *m)
{
	uint64_t label = m->label, first = m->word[0], lastw = m->nwords ? m->word[m->nwords - 1] : 0;
	ipc_msg_init(m, 0, 0, 0);
	if (label == IPC_LABEL(CTLLANG_FS_ID, IPC_METHOD_DESCRIBE)) {
		word(m, CTLLANG_FS_ID), word(m, CTLLANG_FS_ABI);
	} else if (label == CTLLANG_FS_NUMS) {
		evil_nums(m, first);
	} else if (label == CTLLANG_FS_SPLIT) {
		evil_split(m, first);
	} else if (label == CTLLANG_FS_RECS) {
		evil_recs(m, lastw);
	} else if (label == CTLLANG_FS_DOC) {
		evil_doc(m, lastw);
	} else if (label == CTLLANG_FS_MAYBE) {
		evil_maybe(m, lastw);
	} else if (label == CTLLANG_FS_STAT) {          /* a list past its bound, in a struct */
		entry(m, CTLLANG_KIND_FILE, 5);
	} else if (label == CTLLANG_FS_ECHO) {          /* an enum's non-member, in a struct */
		entry(m, 3, 0);
	} else if (label == CTLLANG_FS_PUT) {           /* a presence flag of 2 */
		word(m, 1), word(m, 2), word(m, 1), word(m, 'a');
	} else if (label == CTLLANG_FS_LIST && first == 0) {   /* more entries than the bound */
		word(m, 4);
		for (int i = 0; i < 4; i++)
			entry(m, CTLLANG_KIND_FILE, 0);
		word(m, 0);
	} else if (label == CTLLANG_FS_LIST && first == 1) {   /* a declared error with a word */
		m->label = CTLLANG_ERR_FULL, m->nwords = 1;
	} else if (label == CTLLANG_FS_LIST && first == 2) {   /* another namespace's error */
		m->label = 0x12345;
	} else if (label == CTLLANG_FS_LIST && first == 3) {   /* a bool of 2 */
		word(m, 0), word(m, 2);
	} else if (label == CTLLANG_FS_LIST) {          /* one of ctllang::*: declared */
		m->label = ERR_UNNAMED;
	} else if (label == CTLLANG_FS_NAMES) {         /* a word too many */
		word(m, 0), word(m, 0), word(m, 0);
	} else if (label == CTLLANG_FS_BLOBS && lastw == 3) {  /* valid: at the edges */
		word(m, 0), word(m, CTLLANG_WIDE_LOW | CTLLANG_WIDE_HIGH), word(m, 0xb);
	} else if (label == CTLLANG_FS_BLOBS && lastw == 2) {  /* a presence of 2, a blob after */
		word(m, 2), word(m, 0), word(m, 0), word(m, 1), word(m, 1);
	} else if (label == CTLLANG_FS_BLOBS) {         /* a bit of no member's */
		word(m, 0), word(m, lastw == 0 ? 2 : 1), word(m, lastw == 1 ? 4 : 1);
	} else if (label == CTLLANG_FS_GRID) {          /* an inner list past its bound */
		word(m, 1), word(m, 4), word(m, 1), word(m, 2), word(m, 3), word(m, 4);
	} else if (label == CTLLANG_FS_LAST) {          /* cut short inside a struct */
		word(m, 1), word(m, 5);
	} else if (label == CTLLANG_FS_PACK) {          /* no capability */
		word(m, 0), word(m, 0);
	} else {                                        /* plain: a word too many */
		word(m, 1), word(m, 1);
	}
}

int main(int argc, char **argv)
{
	static struct fs fs;
	bool bad = argc == 3 && strcmp(argv[1], "--evil") == 0;
	if (argc != 2 && !bad) {
		fputs("usage: ctllang-server [--evil] SOCKET-PATH\n", stderr);
		return 2;
	}
	int rc = ipc_posix_listen(argv[argc - 1], &endpoint);
	if (rc < 0) {
		fprintf(stderr, "ctllang-server: %s: %s\n", argv[argc - 1], ipc_status_text(rc));
		return 1;
	}
	signal(SIGTERM, stop);
	ctllang_fs_init(&fs.base, &impl, endpoint);
	for (;;) {
		struct ipc_msg m;
		if (!bad) {
			ctllang_fs_dispatch(&fs.base);
		} else if (ipc_recv(endpoint, &m) == 0) {
			ipc_drop_caps(m.cap, m.ncaps, 0);
			evil(&m);
			ipc_reply(&m);
		}
	}
}
