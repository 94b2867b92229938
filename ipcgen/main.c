/*
 * main.c: the ipcgen command line.  The only file that calls exit().
 *
 *   ipcgen [-I DIR]... [-o DIR] [-c | -s] [-M] [--fuzz] [--check] FILE.ipc...
 *
 * Nothing is written when any input has an error.  Outputs are written to a
 * temporary file and renamed into place, and only when their content
 * changed, so that make does not rebuild what depends on them for nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipcgen.h"
#include "limits.h"

static void usage(FILE *f)
{
	fputs("usage: ipcgen [-I DIR]... [-o DIR] [-c | -s] [-M] [--fuzz] [--check] FILE.ipc...\n"
	      "       ipcgen [-I DIR]... --lock LOCKFILE FILE.ipc...\n"
	      "       ipcgen [-I DIR]... --compat LOCKFILE FILE.ipc...\n"
	      "\n"
	      "Compiles .ipc protocol files to C client and server stubs: for each\n"
	      "FILE declaring namespace NS, writes NS.h, NS_client.c and NS_server.c.\n"
	      "\n"
	      "  -I DIR         search DIR for the files 'use' names (after FILE's folder)\n"
	      "  -o DIR         write into DIR (default: the current folder)\n"
	      "  -c, --client   write only NS.h and NS_client.c\n"
	      "  -s, --server   write only NS.h and NS_server.c\n"
	      "  -M             also write NS.d, a make dependency file\n"
	      "      --check    check the files; write nothing\n"
	      "      --fuzz     also write NS_fuzz.c, a libFuzzer target over the servers\n"
	      "      --lock FILE     write FILE, a lock of every interface's wire ABI;\n"
	      "                      write no C\n"
	      "      --compat FILE   list every breaking change against the lock FILE;\n"
	      "                      exit 1 if there is one; write nothing\n"
	      "  -h, --help     print this and exit\n"
	      "  -V, --version  print the version and exit\n"
	      "\n"
	      "Exit status: 0 success, 1 errors in the input, 2 usage or I/O error.\n"
	      "See ipcgen(1) and ipcgen(5).\n", f);
}

/* "file.ipc" as make wants it: spaces, '#' and ':' escaped, '$' doubled.
 * False for a path make cannot name (a newline or a tab in it). */
static bool put_make_path(struct buf *b, const char *p)
{
	if (strpbrk(p, "\n\r\t")) {
		fprintf(stderr, "ipcgen: cannot write a make rule naming '%s': make cannot name a file "
		        "with a newline or a tab\n", p);
		return false;
	}
	for (; *p; p++) {
		if (*p == ' ' || *p == '#' || *p == ':')
			buf_putc(b, '\\');
		else if (*p == '$')
			buf_putc(b, '$');
		buf_putc(b, *p);
	}
	return true;
}

/* The files a namespace's outputs depend on: its own and those it uses,
 * transitively, in the order first met (a list that grows as it is
 * walked: no recursion, however long a chain of uses). */
static const struct ns **collect_deps(const struct ns *ns, size_t *n)
{
	size_t cap = 16;
	const struct ns **v = malloc(cap * sizeof *v);
	if (!v)
		return NULL;
	v[0] = ns;
	*n = 1;
	for (size_t k = 0; k < *n; k++)
		for (const struct use *u = v[k]->uses; u; u = u->next) {
			size_t i = 0;
			while (u->ns && i < *n && v[i] != u->ns)
				i++;
			if (!u->ns || i < *n)
				continue;
			if (*n == cap) {
				const struct ns **w = realloc(v, 2 * cap * sizeof *v);
				if (!w) {
					free(v);
					return NULL;
				}
				v = w;
				cap *= 2;
			}
			v[(*n)++] = u->ns;
		}
	return v;
}

/* One output file to write: a part of a namespace, or its fuzz target. */
struct job {
	const struct unit *u;
	const struct ns *ns;
	int part;             /* enum gen_part, or GEN_NPARTS for NS_fuzz.c */
	const char *path;
	bool ok;
};

struct pool {
	struct job *jobs;
	size_t *order;        /* which job to take k-th */
	size_t n;
	size_t next;          /* the next k (atomically) */
};

static void run_job(struct job *j)
{
	struct writer *w = writer_open(j->path);
	if (!w) {
		fprintf(stderr, "ipcgen: cannot write '%s': %s\n", j->path, strerror(ENOMEM));
		return;
	}
	/* Its text spills every BUF_SPILL_AT bytes or so: room for twice that
	 * at once, in one huge page, not a buffer grown a page fault at a
	 * time (a fault costs as much as clearing its page, 14 us here). */
	struct buf b = {.mapped = true};
	buf_grow(&b, 2 * BUF_SPILL_AT);
	writer_attach(&b, w);
	if (j->part == GEN_NPARTS)
		gen_fuzz(j->u, j->ns, &b);
	else
		gen_c(j->u, j->ns, (enum gen_part)j->part, &b);
	writer_put(w, b.data, b.len);
	buf_free(&b);
	j->ok = writer_close(w);
}

static void *worker(void *arg)
{
	struct pool *p = arg;
	size_t i;
	while ((i = __atomic_fetch_add(&p->next, 1, __ATOMIC_RELAXED)) < p->n)
		run_job(&p->jobs[p->order[i]]);
	return NULL;
}

/* Runs the jobs on up to as many threads as there are processors (4 at
 * most): the parts of a namespace are independent once gen_c_prepare has
 * run, and each streams into its own file. */
static void run_jobs(struct job *jobs, size_t n)
{
	/* The largest first, so that the others fill in beside them: clients
	 * (six functions a call: about twice a server or a header), then
	 * servers, fuzz targets, headers. */
	size_t *order = malloc((n ? n : 1) * sizeof *order), k = 0;
	if (!order) {
		fputs("ipcgen: out of memory\n", stderr);
		return;
	}
	static const int first[] = {GEN_CLIENT, GEN_SERVER, GEN_NPARTS, GEN_HEADER};
	for (size_t f = 0; f < sizeof first / sizeof first[0]; f++)
		for (size_t i = 0; i < n; i++)
			if (jobs[i].part == first[f])
				order[k++] = i;
	struct pool p = {jobs, order, n, 0};
	/* A thread a job, up to 4, once there are two processors: the jobs
	 * differ in size (a client is about twice a header), and the kernel
	 * shares the processors among them more evenly than a queue can. */
	size_t nthreads = ipcgen_threads > 0 ? (size_t)ipcgen_threads : ipcgen_nthreads() > 1 ? 4 : 1;
	if (nthreads > 4)
		nthreads = 4;
	if (nthreads > n)
		nthreads = n;
	pthread_t threads[4];
	size_t started = 0;
	for (size_t t = 1; t < nthreads; t++) {
		if (pthread_create(&threads[started], NULL, worker, &p) != 0)
			break;      /* fewer threads, the same work */
		started++;
	}
	worker(&p);
	for (size_t t = 0; t < started; t++)
		pthread_join(threads[t], NULL);
	free(order);
}

/* Writes the outputs of every primary namespace; returns the exit status. */
static int write_outputs(struct unit *u, const char *outdir, bool client, bool server,
                         bool depfile, bool fuzz)
{
	size_t njobs = 0, cap = 0;
	struct job *jobs = NULL;
	for (const struct ns *ns = u->nss; ns; ns = ns->next) {
		if (!ns->primary)
			continue;
		gen_c_prepare(&u->arena, ns);   /* made already, if by prepare_beside */
		for (int part = 0; part <= GEN_NPARTS; part++) {
			if ((part == GEN_CLIENT && !client) || (part == GEN_SERVER && !server) ||
			    (part == GEN_NPARTS && !fuzz))
				continue;
			if (njobs == cap) {
				cap = cap ? cap * 2 : 8;
				jobs = realloc(jobs, cap * sizeof *jobs);
				if (!jobs) {
					fputs("ipcgen: out of memory\n", stderr);
					return 2;
				}
			}
			const char *name = part == GEN_NPARTS
				? arena_printf(&u->arena, "%s_fuzz.c", ns->cname)
				: gen_c_filename(&u->arena, ns, (enum gen_part)part);
			jobs[njobs++] = (struct job){u, ns, part,
			                             arena_printf(&u->arena, "%s/%s", outdir, name), false};
		}
	}
	run_jobs(jobs, njobs);
	int status = 0;
	for (size_t i = 0; i < njobs; i++)
		if (!jobs[i].ok)
			status = 2;
	/* NS.d, once its outputs are written: NS.h NS_client.c NS_server.c:
	 * a.ipc b.ipc, then an empty rule per used file so that a deleted .ipc
	 * does not break make. */
	for (const struct ns *ns = u->nss; ns && depfile && status == 0; ns = ns->next) {
		if (!ns->primary)
			continue;
		struct buf dep = {0};
		bool ok = true;
		for (size_t i = 0; i < njobs; i++) {
			if (jobs[i].ns != ns)
				continue;
			if (dep.len)
				buf_putc(&dep, ' ');
			ok = ok && put_make_path(&dep, jobs[i].path);
		}
		size_t nseen = 0;
		const struct ns **seen = collect_deps(ns, &nseen);
		if (!seen) {
			fputs("ipcgen: out of memory\n", stderr);
			ok = false;
		}
		buf_putc(&dep, ':');
		for (size_t i = 0; ok && i < nseen; i++) {
			buf_putc(&dep, ' ');
			ok = put_make_path(&dep, seen[i]->src->path);
		}
		buf_putc(&dep, '\n');
		for (size_t i = 1; ok && i < nseen; i++) {
			ok = put_make_path(&dep, seen[i]->src->path);
			buf_puts(&dep, ":\n");
		}
		free(seen);
		const char *path = arena_printf(&u->arena, "%s/%s.d", outdir, ns->cname);
		if (!ok || !write_output(path, &dep))
			status = 2;
		buf_free(&dep);
	}
	free(jobs);
	return status;
}

struct options {
	const char *outdir, *lock, *compat;
	bool client, server, depfile, check_only, fuzz;
};

/* --compat: the report, and its exit status. */
static int run_compat(struct unit *u, const char *lockpath)
{
	unsigned additions = 0;
	int breaking = compat_check(u, lockpath, &additions);
	diag_flush(&u->diag);
	if (breaking < 0)
		return 2;
	if (breaking) {
		fprintf(stderr, "ipcgen: %d breaking change%s against %s\n", breaking,
		        breaking == 1 ? "" : "s", lockpath);
		return 1;
	}
	printf("ipcgen: compatible with %s (%u addition%s)\n", lockpath, additions,
	       additions == 1 ? "" : "s");
	return 0;
}

/* What the backend can make while the checks claim C names (check_unit's
 * beside hook): each method's C parameters, for every primary namespace. */
static void prepare_beside(struct unit *u, struct arena *a)
{
	for (const struct ns *ns = u->nss; ns; ns = ns->next)
		if (ns->primary)
			gen_c_prepare(a, ns);
}

/* Compiles the files named on the command line; returns the exit status. */
static int run(struct unit *u, char **files, int nfiles, const struct options *o)
{
	const char *outdir = o->outdir;
	bool client = o->client, server = o->server, depfile = o->depfile;
	for (int i = 0; i < nfiles; i++)
		unit_load_file(u, files[i], true);
	unit_load_uses(u);
	if (!o->check_only && !o->lock && !o->compat)
		u->beside = prepare_beside;
	u->sigs = o->lock || o->compat;
	if (u->diag.errors == 0)
		check_unit(u);
	diag_flush(&u->diag);
	if (u->diag.errors) {
		fprintf(stderr, "ipcgen: %u error%s; nothing written\n", u->diag.errors,
		        u->diag.errors == 1 ? "" : "s");
		return 1;
	}
	if (o->check_only)
		return 0;
	if (o->compat)
		return run_compat(u, o->compat);
	if (o->lock) {
		struct buf b = {0};
		compat_lock(u, &b);
		bool ok = write_output(o->lock, &b);
		buf_free(&b);
		return ok ? 0 : 2;
	}
	struct stat st;
	if (stat(outdir, &st) != 0) {
		fprintf(stderr, "ipcgen: output folder '%s' does not exist\n", outdir);
		return 2;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "ipcgen: output folder '%s' is not a folder\n", outdir);
		return 2;
	}
	return write_outputs(u, outdir, client, server, depfile, o->fuzz);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"client", no_argument, NULL, 'c'},
		{"server", no_argument, NULL, 's'},
		{"check", no_argument, NULL, 'k'},
		{"fuzz", no_argument, NULL, 'F'},
		{"lock", required_argument, NULL, 'L'},
		{"compat", required_argument, NULL, 'C'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{0, 0, 0, 0},
	};
	struct unit u = {
		.diag = {.out = stderr},
		.max_words = IPCGEN_MAX_WORDS,
		.max_caps = IPCGEN_MAX_CAPS,
	};
	struct options o = {.outdir = ".", .client = true, .server = true};
	/* At most one -I per argument. */
	const char **incdirs = arena_alloc(&u.arena, (size_t)argc * sizeof *incdirs);
	int status = -1;

	int c;
	while (status < 0 && (c = getopt_long(argc, argv, "I:o:csMhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'I': incdirs[u.nincdirs++] = optarg; break;
		case 'o': o.outdir = optarg; break;
		case 'c': o.server = false; break;
		case 's': o.client = false; break;
		case 'M': o.depfile = true; break;
		case 'k': o.check_only = true; break;
		case 'F': o.fuzz = true; break;
		case 'L': o.lock = optarg; break;
		case 'C': o.compat = optarg; break;
		case 'h': usage(stdout); status = 0; break;
		case 'V': puts("ipcgen " IPCGEN_VERSION); status = 0; break;
		default: usage(stderr); status = 2; break;
		}
	}
	if (status < 0 && !o.client && !o.server) {
		fputs("ipcgen: -c and -s exclude each other\n", stderr);
		status = 2;
	}
	if (status < 0 && o.lock && o.compat) {
		fputs("ipcgen: --lock and --compat exclude each other\n", stderr);
		status = 2;
	}
	if (status < 0 && optind == argc) {
		fputs("ipcgen: no input files\n", stderr);
		usage(stderr);
		status = 2;
	}
	if (status < 0) {
		u.incdirs = incdirs;
		/* IPCGEN_THREADS: at most that many threads (1: none). */
		const char *th = getenv("IPCGEN_THREADS");
		if (th && *th) {
			char *e;
			long n = strtol(th, &e, 10);
			if (*e || n < 1 || n > 64) {
				fprintf(stderr, "ipcgen: IPCGEN_THREADS must be a number from 1 to 64, not '%s'\n", th);
				unit_free(&u);
				return 2;
			}
			ipcgen_threads = (int)n;
		}
		/* Colour on a terminal, unless NO_COLOR is set to something (no-color.org). */
		const char *nc = getenv("NO_COLOR");
		u.diag.color = isatty(STDERR_FILENO) && (!nc || !*nc);
		status = run(&u, argv + optind, argc - optind, &o);
	}
	unit_free(&u);
	return status;
}
