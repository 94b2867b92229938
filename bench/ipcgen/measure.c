/*
 * measure: run a command several times and report its wall time and peak
 * memory.  Part of the ipcgen speed benchmark (bench/ipcgen/run.sh).
 *
 *   measure [-C DIR] [-p PREP] [-n MAXRUNS] [-m MINRUNS] [-b BUDGET_MS] [-l LOG] -- CMD ARG...
 *
 * Before each run, runs the shell command PREP in DIR, untimed (e.g. to
 * remove the previous run's outputs, so that every run writes afresh).
 * Runs CMD in DIR (its standard input /dev/null, its output and errors
 * appended to LOG, default /dev/null) at least MINRUNS times and at most
 * MAXRUNS, stopping after MINRUNS once the runs so far took BUDGET_MS.
 * Prints one line:
 *
 *   ok MEDIAN_MS MIN_MS MAXRSS_KB RUNS MEDIAN_CPU_MS
 *
 * Wall time is that of the whole process (fork to reaped exit); CPU time is
 * its user + system time, with that of the descendants it waited for (a
 * shell script's cpp and compiler included); both are medians.  MAXRSS_KB
 * is the largest ru_maxrss that wait4 reports for a run: the peak resident
 * set of the command or of any descendant it waited for, whichever was
 * larger.
 *
 * If a run fails, prints "fail STATUS" (e.g. "fail exit 1", "fail signal 11")
 * and exits 1.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median_of(const double *v, int n)
{
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void usage(void)
{
	fprintf(stderr, "usage: measure [-C DIR] [-p PREP] [-n MAXRUNS] [-m MINRUNS] [-b BUDGET_MS] [-l LOG] -- CMD ARG...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *dir = NULL, *prep = NULL, *log = "/dev/null";
	int maxruns = 5, minruns = 3, opt;
	double budget = 10000;

	while ((opt = getopt(argc, argv, "C:p:n:m:b:l:")) != -1) {
		switch (opt) {
		case 'C': dir = optarg; break;
		case 'p': prep = optarg; break;
		case 'n': maxruns = atoi(optarg); break;
		case 'm': minruns = atoi(optarg); break;
		case 'b': budget = atof(optarg); break;
		case 'l': log = optarg; break;
		default: usage();
		}
	}
	if (optind >= argc || maxruns < 1 || maxruns > 1000 || minruns < 1)
		usage();
	if (minruns > maxruns)
		minruns = maxruns;

	double ms[1000], cpu[1000], total = 0;
	long maxrss = 0;
	int runs = 0;
	while (runs < maxruns && (runs < minruns || total < budget)) {
		if (prep) {
			int st;
			pid_t p = fork();
			if (p == 0) {
				if (dir && chdir(dir) < 0)
					_exit(126);
				execl("/bin/sh", "sh", "-c", prep, (char *)NULL);
				_exit(127);
			}
			if (p < 0 || waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
				printf("fail prep\n");
				return 1;
			}
		}
		double t0 = now_ms();
		pid_t pid = fork();
		if (pid < 0) {
			perror("measure: fork");
			return 2;
		}
		if (pid == 0) {
			int in = open("/dev/null", O_RDONLY);
			int out = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
			if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
				_exit(126);
			if (dir && chdir(dir) < 0)
				_exit(126);
			execvp(argv[optind], argv + optind);
			_exit(127);
		}
		int status;
		struct rusage ru;
		while (wait4(pid, &status, 0, &ru) < 0) {
			if (errno != EINTR) {
				perror("measure: wait4");
				return 2;
			}
		}
		double t = now_ms() - t0;
		if (WIFSIGNALED(status)) {
			printf("fail signal %d\n", WTERMSIG(status));
			return 1;
		}
		if (WEXITSTATUS(status) != 0) {
			printf("fail exit %d\n", WEXITSTATUS(status));
			return 1;
		}
		cpu[runs] = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
		            (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
		ms[runs++] = t;
		total += t;
		if (ru.ru_maxrss > maxrss)
			maxrss = ru.ru_maxrss;
	}
	qsort(ms, (size_t)runs, sizeof ms[0], cmp_double);
	qsort(cpu, (size_t)runs, sizeof cpu[0], cmp_double);
	printf("ok %.3f %.3f %ld %d %.3f\n", median_of(ms, runs), ms[0], maxrss, runs, median_of(cpu, runs));
	return 0;
}
