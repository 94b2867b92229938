/*
 * mfcheck.c: the manifest check at build time, on the host.  mfcheck FILE...
 * parses each FILE, a manifest or an ELF image carrying a .manifest
 * section, with the parser sysinit's driver loader uses, and reports the
 * first error of each as FILE:LINE: error: MESSAGE.  Exit status 1 if any
 * file has an error, 2 if one cannot be read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"

int main(int argc, char **argv)
{
	int status = 0;
	if (argc < 2) {
		fprintf(stderr, "usage: mfcheck FILE...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (!f) {
			perror(argv[i]);
			return 2;
		}
		size_t cap = 1 << 16, n = 0;
		char *buf = malloc(cap);
		size_t r;
		while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
			n += r;
			if (n == cap)
				buf = realloc(buf, cap *= 2);
		}
		fclose(f);
		if (!buf) {
			fprintf(stderr, "%s: out of memory\n", argv[i]);
			return 2;
		}
		const char *text = buf;
		size_t len = n;
		if (n >= 4 && !memcmp(buf, "\177ELF", 4) && mf_find_elf(buf, n, &text, &len)) {
			fprintf(stderr, "%s: error: no .manifest section\n", argv[i]);
			status = 1;
			free(buf);
			continue;
		}
		struct manifest m;
		struct mf_error err;
		if (mf_parse(text, len, &m, &err)) {
			if (err.line)
				fprintf(stderr, "%s:%u: error: %s\n", argv[i], err.line, err.msg);
			else
				fprintf(stderr, "%s: error: %s\n", argv[i], err.msg);
			status = 1;
		}
		free(buf);
	}
	return status;
}
