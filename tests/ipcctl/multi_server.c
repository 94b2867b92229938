/*
 * multi_server.c: a multi::log service (tests/ipcgen/ok/multi.ipc), which
 * tests/ipcctl/multi.sh calls through ipcctl: an interface with several
 * parents, one ancestor (node) reached through three of them.  Served at
 * the socket path given, until killed.
 *
 *   usage: ctlmulti-server SOCKET-PATH
 */
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <mercury/posix.h>
#include "multi.h"

/* The object: its parts are at offsets of their own (container_of). */
struct logobj {
	struct multi_log log;
	uint64_t touched;
	uint8_t text[16];
	size_t len;
	uint32_t writes;
	bool closed;
};
#define OBJ(part, member) ((struct logobj *)(void *)((char *)(part) - offsetof(struct logobj, member)))

static int name(struct multi_node *self, char *result)
{
	(void)self;
	strcpy(result, "the log");
	return 0;
}

/* node is answered through writable, log's first parent */
static int touch(struct multi_node *self, uint32_t n, uint64_t *result)
{
	struct logobj *o = OBJ(self, log.writable.base);
	*result = o->touched += n;
	return 0;
}

static int readit(struct multi_readable *self, uint32_t n, uint8_t *result, size_t *nresult)
{
	struct logobj *o = OBJ(self, log.file.readable);
	*nresult = n < o->len ? n : o->len;
	memcpy(result, o->text, *nresult);
	return 0;
}

static int writeit(struct multi_writable *self, const uint8_t *data, size_t ndata, size_t *result)
{
	struct logobj *o = OBJ(self, log.writable);
	if (o->closed)
		return MULTI_ERR_DENIED;
	memcpy(o->text, data, ndata);
	o->len = *result = ndata;
	o->writes++;
	return 0;
}

static void clearit(struct multi_writable *self)
{
	OBJ(self, log.writable)->len = 0;
}

static int closeit(struct multi_file *self)
{
	OBJ(self, log.file)->closed = true;
	return 0;
}

static int count(struct multi_log *self, uint32_t *result)
{
	*result = OBJ(self, log)->writes;
	return 0;
}

static const struct multi_log_iface impl = {
	.writable = {.base = {.name = name, .touch = touch}, .write = writeit, .clear = clearit},
	.file = {.readable = {.read = readit}, .close = closeit},
	.count = count,
};

static ipc_cap endpoint = IPC_CAP_NONE;

static void stop(int sig)
{
	(void)sig;
	ipc_cap_drop(endpoint);   /* unlinks the socket */
	_exit(0);
}

int main(int argc, char **argv)
{
	static struct logobj obj;
	if (argc != 2) {
		fputs("usage: ctlmulti-server SOCKET-PATH\n", stderr);
		return 2;
	}
	int rc = ipc_posix_listen(argv[1], &endpoint);
	if (rc < 0) {
		fprintf(stderr, "ctlmulti-server: %s: %s\n", argv[1], ipc_status_text(rc));
		return 1;
	}
	signal(SIGTERM, stop);
	multi_log_init(&obj.log, &impl, endpoint);
	for (;;)
		multi_log_dispatch(&obj.log);
}
