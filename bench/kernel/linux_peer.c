/*
 * linux_peer.c: the Linux side of the kernel benchmarks.  Runs as /init of
 * a Linux guest booted in the same QEMU (TCG, -icount shift=0, so rdtsc
 * counts guest instructions here too) and measures what the kernel's
 * benchmarks measure, the Linux way: an IPC round trip between two
 * processes over a pair of pipes (write, read on each side), and a null
 * system call (getppid).  Prints "linux.NAME N" lines on the serial port
 * and ends QEMU through isa-debug-exit.  Built static with the host's
 * compiler; see bench/kernel/run.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define BATCH 1000
#define BATCHES 7

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static int to_child[2], to_parent[2];

static uint64_t batch_empty(void)
{
	uint64_t t0 = rdtsc();
	for (int i = 0; i < BATCH; i++)
		__asm__ volatile("" ::: "memory");
	return rdtsc() - t0;
}

static uint64_t batch_null(void)
{
	uint64_t t0 = rdtsc();
	for (int i = 0; i < BATCH; i++) {
		uint64_t rax = SYS_getppid;     /* the instruction itself, as kbench does */
		__asm__ volatile("syscall" : "+a"(rax) : : "rcx", "r11", "memory");
	}
	return rdtsc() - t0;
}

static uint64_t batch_pipe(void)
{
	char c = 'x';
	uint64_t t0 = rdtsc();
	for (int i = 0; i < BATCH; i++) {
		if (write(to_child[1], &c, 1) != 1 || read(to_parent[0], &c, 1) != 1)
			return UINT64_MAX;
	}
	return rdtsc() - t0;
}

static uint64_t best(uint64_t (*batch)(void))
{
	uint64_t b = UINT64_MAX;
	for (int i = 0; i < BATCHES; i++) {
		uint64_t v = batch();
		if (v < b)
			b = v;
	}
	return b;
}

int main(void)
{
	mkdir("/dev", 0755);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	int fd = open("/dev/ttyS0", O_WRONLY | O_NOCTTY);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	if (pipe(to_child) || pipe(to_parent))
		return 1;
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		while (read(to_child[0], &c, 1) == 1 && write(to_parent[1], &c, 1) == 1)
			;
		_exit(0);
	}
	uint64_t loop = best(batch_empty);
	printf("linux.syscall.null %llu\n", (unsigned long long)((best(batch_null) - loop + BATCH / 2) / BATCH));
	printf("linux.ipc.pipe_roundtrip %llu\n", (unsigned long long)((best(batch_pipe) - loop + BATCH / 2) / BATCH));
	if (ioperm(0xf4, 4, 1) == 0)
		outl(0x10, 0xf4);
	return 0;
}
