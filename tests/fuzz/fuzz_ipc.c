/*
 * fuzz_ipc.c: one fuzz input to .ipc files, loaded and checked by ipcgen
 * (see fuzz_ipc.h for the input's shape).
 *
 * Besides what the sanitizers catch, this checks what the command line
 * relies on: a file that fails to load has said why (an error was
 * reported), check_unit's answer agrees with the error count, the
 * diagnostics are safe to print on a terminal (no control bytes: a hostile
 * .ipc file must not be able to drive the user's terminal), and each
 * FILE:LINE:COL they give is a place in FILE.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_ipc.h"
#include "limits.h" /* the transport's limits, as ipcgen reads them (build/ipcgen) */

/* unit_free (maps outside the arena) is new: weak, so that these targets
 * build against an ipcgen with or without it; without, the arena is all. */
void unit_free(struct unit *u);
#pragma weak unit_free

#ifndef FUZZ_PROTOCOLS
#define FUZZ_PROTOCOLS "protocols"
#endif

#define MAX_FILES 8
#define MAX_NAME 32

static char dir[64];
static const char *incdirs[] = {FUZZ_PROTOCOLS};
static char paths[MAX_FILES][sizeof dir + MAX_NAME + 8];
static bool primary[MAX_FILES];
static const uint8_t *body[MAX_FILES];   /* each file's text, in the input */
static size_t body_len[MAX_FILES];
static unsigned nfiles;

/* ---- diagnostics sink ------------------------------------------------------ */

static size_t diag_bytes;
static const char *diag_check = "diag-control";
static char *diag_text;          /* everything written, for check_positions */
static size_t diag_len, diag_cap;

void fuzz_ipc_diag_check(const char *name)
{
	diag_check = name;
}

static ssize_t diag_write(void *cookie, const char *buf, size_t n)
{
	(void)cookie;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)buf[i];
		if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
			if (!fuzz_ignored(diag_check))
				fuzz_fail(diag_check, "a diagnostic contains the control byte 0x%02x: %.*s",
				          c, (int)n, buf);
	}
	diag_bytes += n;
	if (diag_len + n > diag_cap) {
		diag_cap = (diag_len + n) * 2;
		diag_text = realloc(diag_text, diag_cap);
		if (!diag_text)
			abort();
	}
	memcpy(diag_text + diag_len, buf, n);
	diag_len += n;
	return (ssize_t)n;
}

static FILE *diag_sink(void)
{
	static FILE *f;
	if (!f) {
		f = fopencookie(NULL, "w", (cookie_io_functions_t){.write = diag_write});
		if (!f)
			abort();
	}
	return f;
}

/* ---- failures ---------------------------------------------------------------- */

bool fuzz_ignored(const char *check)
{
	const char *list = getenv("FUZZ_IGNORE");
	if (!list)
		return false;
	size_t n = strlen(check);
	for (const char *p = strstr(list, check); p; p = strstr(p + 1, check))
		if ((p == list || p[-1] == ',' || p[-1] == ' ') && (p[n] == 0 || p[n] == ',' || p[n] == ' '))
			return true;
	return false;
}

void fuzz_fail(const char *what, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "\n==fuzz== broken invariant [%s]: ", what);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n==fuzz== (FUZZ_IGNORE=%s skips this check)\n", what);
	va_end(ap);
	abort();
}

/* ---- files --------------------------------------------------------------------- */

static void remove_dir(void)
{
	if (dir[0])
		rmdir(dir);
}

/* Empties and removes folder path. */
static void clear_dir(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return;
	for (struct dirent *e; (e = readdir(d));) {
		char file[512];
		if (e->d_name[0] != '.' && snprintf(file, sizeof file, "%s/%s", path, e->d_name) < (int)sizeof file)
			unlink(file);
	}
	closedir(d);
	rmdir(path);
}

/* Our folder is BASE/ipcgen-fuzz.PID.  A crash (abort, a sanitizer report)
 * leaves its folder behind: the next process removes those whose process
 * is gone. */
static void make_dir(void)
{
	if (dir[0])
		return;
	struct stat st;
	const char *base = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm" : "/tmp";
	DIR *d = opendir(base);
	for (struct dirent *e; d && (e = readdir(d));) {
		int pid;
		char old[256];
		if (sscanf(e->d_name, "ipcgen-fuzz.%d", &pid) == 1 && pid > 0 &&
		    kill(pid, 0) != 0 && errno == ESRCH &&
		    snprintf(old, sizeof old, "%s/%s", base, e->d_name) < (int)sizeof old)
			clear_dir(old);
	}
	if (d)
		closedir(d);
	snprintf(dir, sizeof dir, "%s/ipcgen-fuzz.%d", base, (int)getpid());
	clear_dir(dir);
	if (mkdir(dir, 0700) != 0) {
		perror(dir);
		abort();
	}
	atexit(remove_dir);
}

static bool is_ident(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* The name after the first "namespace" in [p, end), into name; 0 if none. */
static size_t namespace_of(const uint8_t *p, const uint8_t *end, char *name)
{
	static const char kw[] = "namespace";
	for (; end - p >= (ptrdiff_t)sizeof kw; p++) {
		if (memcmp(p, kw, sizeof kw - 1) != 0)
			continue;
		const uint8_t *q = p + sizeof kw - 1;
		while (q < end && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r'))
			q++;
		size_t n = 0;
		while (q + n < end && n < MAX_NAME && is_ident(q[n]))
			n++;
		memcpy(name, q, n);
		name[n] = 0;
		return n;
	}
	return 0;
}

static void write_file(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		perror(path);
		abort();
	}
}

/* Splits the input into files; the first is in.ipc. */
static void write_files(const uint8_t *data, size_t size)
{
	const uint8_t *end = data + size, *p = data;
	nfiles = 0;
	for (;;) {
		const uint8_t *sep = p;
		while (sep < end && !(end - sep >= 3 && sep[0] == '\n' && sep[1] == '%' && sep[2] == '%'))
			sep++;
		if (end - sep < 3)
			sep = end;
		char name[MAX_NAME + 1] = "in";
		bool prim = nfiles == 0;
		const uint8_t *text = p;
		if (nfiles > 0) {
			/* p is just past "\n%%": the header runs to the end of the line. */
			const uint8_t *h = p;
			if (h < sep && *h == '!') {
				prim = true;
				h++;
			}
			while (h < sep && (*h == ' ' || *h == '\t'))
				h++;
			size_t n = 0;
			while (h + n < sep && n < MAX_NAME && is_ident(h[n]))
				n++;
			memcpy(name, h, n);
			name[n] = 0;
			text = h + n;
			while (text < sep && *text != '\n')
				text++;
			if (text < sep)
				text++;
			if (n == 0 && namespace_of(text, sep, name) == 0)
				snprintf(name, sizeof name, "f%u", nfiles);
		}
		char path[sizeof paths[0]];
		snprintf(path, sizeof path, "%s/%s.ipc", dir, name);
		bool dup = false;
		for (unsigned i = 0; i < nfiles; i++)
			dup |= strcmp(paths[i], path) == 0;
		if (!dup) {
			write_file(path, text, (size_t)(sep - text));
			memcpy(paths[nfiles], path, sizeof path);
			primary[nfiles] = prim;
			body[nfiles] = text;
			body_len[nfiles] = (size_t)(sep - text);
			nfiles++;
		}
		if (sep == end || nfiles == MAX_FILES)
			break;
		p = sep + 3;
	}
}

const char *fuzz_ipc_dir(void)
{
	return dir;
}

const char *fuzz_ipc_path(const char *name)
{
	char path[sizeof paths[0]];
	snprintf(path, sizeof path, "%s/%s.ipc", dir, name);
	for (unsigned i = 0; i < nfiles; i++)
		if (strcmp(paths[i], path) == 0)
			return paths[i];
	return NULL;
}

/* ---- the front end ------------------------------------------------------------- */

bool fuzz_ipc_load(struct unit *u, const uint8_t *data, size_t size)
{
	make_dir();
	write_files(data, size);
	diag_bytes = 0;
	diag_len = 0;
	diag_check = "diag-control";
	*u = (struct unit){
		.diag = {.out = diag_sink()},
		.incdirs = incdirs,
		.nincdirs = 1,
		.max_words = IPCGEN_MAX_WORDS,
		.max_caps = IPCGEN_MAX_CAPS,
		.sigs = true,         /* the backend target checks lock files too */
	};
	for (unsigned i = 0; i < nfiles; i++) {
		if (!primary[i])
			continue;
		unsigned before = u->diag.errors;
		struct ns *ns = unit_load(u, paths[i], true);
		if (!ns && u->diag.errors == before && !fuzz_ignored("load-silent"))
			fuzz_fail("load-silent", "unit_load(%s) failed without an error", paths[i]);
	}
	if (u->diag.errors)
		return false;
	bool ok = check_unit(u);
	if (ok != (u->diag.errors == 0) && !fuzz_ignored("check-result"))
		fuzz_fail("check-result", "check_unit returned %d with %u errors", ok, u->diag.errors);
	return ok;
}

/* Every "FILE:LINE:COL: " of a diagnostic about one of the input's files
 * names a place in it: LINE at most one past its last line, COL at most
 * one past the end of that line (lines end as the lexer ends them: CR LF,
 * LF or CR). */
static void check_positions(void)
{
	for (size_t at = 0; at < diag_len;) {
		const char *line = diag_text + at;
		const char *nl = memchr(line, '\n', diag_len - at);
		size_t n = nl ? (size_t)(nl - line) : diag_len - at;
		at += n + 1;
		for (unsigned i = 0; i < nfiles; i++) {
			size_t pl = strlen(paths[i]);
			unsigned long ln, col;
			if (n <= pl || memcmp(line, paths[i], pl) != 0 || line[pl] != ':' ||
			    sscanf(line + pl, ":%lu:%lu:", &ln, &col) != 2)
				continue;
			const uint8_t *t = body[i], *end = t + body_len[i];
			unsigned long l = 1;
			const uint8_t *start = t;
			for (const uint8_t *q = t; q < end && l < ln;) {
				if (*q == '\r' || *q == '\n') {
					q += *q == '\r' && q + 1 < end && q[1] == '\n' ? 2 : 1;
					l++;
					start = q;
				} else {
					q++;
				}
			}
			size_t len = 0;
			while (start + len < end && start[len] != '\n' && start[len] != '\r')
				len++;
			if ((ln == 0 || l < ln || col == 0 || col > len + 1) && !fuzz_ignored("diag-position"))
				fuzz_fail("diag-position", "%.*s: the file has %lu lines, that line %zu bytes",
				          (int)n, line, l, len);
		}
	}
}

void fuzz_ipc_done(struct unit *u)
{
	diag_flush(&u->diag);
	check_positions();
	if ((diag_bytes > 0) != (u->diag.errors > 0) && !fuzz_ignored("diag-count"))
		fuzz_fail("diag-count", "%u errors but %zu bytes of diagnostics", u->diag.errors, diag_bytes);
	if (unit_free)
		unit_free(u);
	else
		arena_free(&u->arena);
	for (unsigned i = 0; i < nfiles; i++)
		unlink(paths[i]);
	nfiles = 0;
}
