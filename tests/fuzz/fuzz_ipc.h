/*
 * fuzz_ipc.h: what the ipcgen fuzz targets share (fuzz_ipc.c): turning one
 * fuzz input into .ipc files on disk and running ipcgen's front end and
 * checker over them, exactly as the command line would.
 *
 * An input is one or more files, split by lines that start with "%%":
 *
 *   namespace a;                   the first file: a.ipc's text, primary
 *   use b;
 *   %% b                           "%%" [!] [NAME]: a new file NAME.ipc
 *   namespace b;                   (NAME defaults to the file's namespace)
 *   %%! c                          "!": also named on the command line
 *   namespace c;
 *
 * Files sit in a private folder (/dev/shm/ipcgen-fuzz.PID, or under /tmp) that is
 * searched before the repository's protocols/ (the -I folder), so 'use io;'
 * finds protocols/io.ipc unless the input brings its own io.ipc.
 */
#ifndef FUZZ_IPC_H
#define FUZZ_IPC_H

#include <stddef.h>
#include <stdint.h>

#include "ipcgen.h"

/* Which of our own checks to skip, from $FUZZ_IGNORE (a list of names):
 * lets a long run go past a known, reported bug. */
bool fuzz_ignored(const char *check);

/* Reports a broken invariant with the input's name and aborts. */
_Noreturn void fuzz_fail(const char *what, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Writes the input's files, loads them into u and checks the unit.
 * Returns true if ipcgen accepted it (no diagnostics). */
bool fuzz_ipc_load(struct unit *u, const uint8_t *data, size_t size);

/* The private folder, and the path of the input's file NAME.ipc (a part
 * "%% NAME"), or NULL if the input has none. */
const char *fuzz_ipc_dir(void);
const char *fuzz_ipc_path(const char *name);

/* The name of the check on the control bytes of the diagnostics written
 * from now on ("diag-control" until the next fuzz_ipc_load). */
void fuzz_ipc_diag_check(const char *name);

/* Flushes u's diagnostics (checking them), frees it, removes the files. */
void fuzz_ipc_done(struct unit *u);

#endif
