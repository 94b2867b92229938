/*
 * write.c: output files, written atomically and only when their content
 * changed, as a stream.
 *
 * The text arrives in pieces (a backend spills its buffer every few hundred
 * KiB).  While it matches what the file holds already, nothing is written:
 * each piece is compared with the next bytes of the old file.  At the first
 * difference a temporary file is made beside the output, the part that
 * matched is copied into it from the old file, and from then on the pieces
 * go to it; at the end it is renamed over the output.  A file that turns out
 * the same is left untouched (make does not rebuild for nothing), and a
 * reader never sees half a file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipcgen.h"

struct writer {
	const char *path;
	int old;              /* the file as it was, or -1 */
	size_t matched;       /* bytes so far, all equal to the old file's */
	int fd;               /* the temporary file, once the text differs */
	char *tmp;            /* its name */
	int err;              /* the first error (errno), or 0 */
	const char *what;     /* what failed: "create a file beside", "write" */
	const char *why;      /* instead of strerror(err) */
};

struct writer *writer_open(const char *path)
{
	struct writer *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	w->path = path;
	w->fd = -1;
	/* Not blocking: a FIFO there would wait for a writer for ever. */
	w->old = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	if (w->old >= 0 && (fstat(w->old, &st) != 0 || !S_ISREG(st.st_mode))) {
		/* A FIFO or a device is not replaced by a file (as root, that
		 * could be /dev/null). */
		close(w->old);
		w->old = -1;
		w->err = EEXIST;
		w->what = "write";
		w->why = "it exists and is not a regular file";
	}
	return w;
}

static void fail(struct writer *w, const char *what)
{
	if (!w->err) {
		w->err = errno ? errno : EIO;
		w->what = what;
	}
}

static bool write_all(struct writer *w, const char *p, size_t n)
{
	while (n) {
		ssize_t k = write(w->fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			if (k == 0)
				errno = EIO;
			fail(w, "write");
			return false;
		}
		p += k;
		n -= (size_t)k;
	}
	return true;
}

/* Reads up to n bytes of the old file into p; the count, 0 at its end.  An
 * old file that cannot be read is one that differs. */
static size_t read_old(struct writer *w, char *p, size_t n)
{
	int err;
	return read_full(w->old, p, n, &err);
}

/* The text differs from the old file after w->matched bytes: make the
 * temporary file and give it those bytes. */
static void diverge(struct writer *w)
{
	/* In the output's folder (rename(2) stays within one file system),
	 * named apart from it: a name near NAME_MAX leaves no room to add to. */
	const char *slash = strrchr(w->path, '/');
	int dirlen = slash ? (int)(slash - w->path + 1) : 0;
	w->tmp = malloc((size_t)dirlen + 16);
	if (!w->tmp) {
		errno = ENOMEM;
		fail(w, "create a file beside");
		return;
	}
	snprintf(w->tmp, (size_t)dirlen + 16, "%.*s.ipcgen-XXXXXX", dirlen, w->path);
	w->fd = mkstemp(w->tmp);
	if (w->fd < 0) {
		fail(w, "create a file beside");
		free(w->tmp);
		w->tmp = NULL;
		return;
	}
	if (w->matched && lseek(w->old, 0, SEEK_SET) == 0) {
		char chunk[65536];
		size_t left = w->matched;
		while (left && !w->err) {
			size_t k = read_old(w, chunk, left < sizeof chunk ? left : sizeof chunk);
			if (k == 0) {
				errno = EIO;   /* the old file changed under us */
				fail(w, "write");
				break;
			}
			write_all(w, chunk, k);
			left -= k;
		}
	} else if (w->matched) {
		fail(w, "write");
	}
	if (w->old >= 0) {
		close(w->old);
		w->old = -1;
	}
}

void writer_put(struct writer *w, const char *p, size_t n)
{
	if (w->err || !n)
		return;
	if (w->fd < 0 && w->old >= 0) {
		/* Still the same as the old file? */
		char chunk[65536];
		size_t off = 0;
		while (off < n) {
			size_t want = n - off < sizeof chunk ? n - off : sizeof chunk;
			size_t k = read_old(w, chunk, want);
			size_t same = 0;
			if (k == want && memcmp(chunk, p + off, k) == 0)
				same = k;
			else
				while (same < k && chunk[same] == p[off + same])
					same++;
			w->matched += same;
			off += same;
			if (same < want)
				break;
		}
		if (off == n)
			return;
		p += off;
		n -= off;
	}
	if (w->fd < 0)
		diverge(w);
	if (!w->err)
		write_all(w, p, n);
}

bool writer_close(struct writer *w)
{
	if (!w)
		return false;
	if (!w->err && w->fd < 0) {
		/* All of it matched: unchanged if the old file ends here too. */
		char c;
		if (w->old >= 0 && read_old(w, &c, 1) == 0) {
			close(w->old);
			free(w);
			return true;
		}
		diverge(w);
	}
	bool ok = !w->err;
	if (ok) {
		/* Generated files are ordinary source: rw-r--r-- less the umask. */
		mode_t mask = umask(0);
		umask(mask);
		if (fchmod(w->fd, 0666 & ~mask) != 0)
			fail(w, "write");
	}
	if (w->fd >= 0 && close(w->fd) != 0)
		fail(w, "write");
	if (!w->err && rename(w->tmp, w->path) != 0)
		fail(w, "write");
	ok = !w->err;
	if (!ok) {
		fprintf(stderr, "ipcgen: cannot %s '%s': %s\n", w->what, w->path,
		        w->why ? w->why : strerror(w->err));
		if (w->tmp && w->fd >= 0)
			unlink(w->tmp);
	}
	if (w->old >= 0)
		close(w->old);
	free(w->tmp);
	free(w);
	return ok;
}

static void spill_to_writer(struct buf *b)
{
	writer_put(b->spill_ctx, b->data, b->len);
	b->len = 0;
}

void writer_attach(struct buf *b, struct writer *w)
{
	b->spill = spill_to_writer;
	b->spill_ctx = w;
}

bool write_output(const char *path, const struct buf *data)
{
	struct writer *w = writer_open(path);
	if (!w) {
		fprintf(stderr, "ipcgen: cannot write '%s': %s\n", path, strerror(ENOMEM));
		return false;
	}
	writer_put(w, data->data, data->len);
	return writer_close(w);
}
