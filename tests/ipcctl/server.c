/*
 * server.c: the ctltest::kv service (tests/ipcctl/ctltest.ipc) that
 * tests/ipcctl/ipcctl.sh calls through ipcctl.  Stubs generated at build
 * time; served at the socket path given, until killed.
 *
 *   usage: ctltest-server [--evil] SOCKET-PATH
 *
 * With --evil it answers describe as ctltest::kv does, and each call with
 * a reply that the generated client would refuse (see evil()).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <mercury/posix.h>
#include "ctltest.h"

#define NKEYS 4

struct kv {
	struct ctltest_kv base;
	char key[NKEYS][16 + 1];
	uint8_t value[NKEYS][8];
	size_t len[NKEYS];
	unsigned n;
	char note[32 + 1];
};

static int ping(struct ctltest_base *self)
{
	(void)self;
	return 0;
}

static int put(struct ctltest_kv *self, const char *key, const uint8_t *value, size_t nvalue,
               uint32_t *result)
{
	struct kv *kv = (struct kv *)self;
	unsigned i;
	if (nvalue > 6)
		return CTLTEST_ERR_TOO_BIG;
	for (i = 0; i < kv->n && strcmp(kv->key[i], key) != 0; i++)
		;
	if (i == NKEYS)
		return CTLTEST_ERR_TOO_BIG;
	if (i == kv->n)
		kv->n++;
	strcpy(kv->key[i], key);
	memcpy(kv->value[i], value, nvalue);
	kv->len[i] = nvalue;
	*result = kv->n;
	return 0;
}

static int get(struct ctltest_kv *self, const char *key, uint8_t *result, size_t *nresult)
{
	struct kv *kv = (struct kv *)self;
	for (unsigned i = 0; i < kv->n; i++)
		if (strcmp(kv->key[i], key) == 0) {
			memcpy(result, kv->value[i], kv->len[i]);
			*nresult = kv->len[i];
			return 0;
		}
	return CTLTEST_ERR_NOT_FOUND;
}

static int add(struct ctltest_kv *self, int32_t a, int8_t b, uint64_t c, uint16_t d,
               int64_t *result)
{
	(void)self;
	*result = (int64_t)((uint64_t)a + (uint64_t)b + c + d);
	return 0;
}

static int paint(struct ctltest_kv *self, enum ctltest_color c, bool on, enum ctltest_color *result)
{
	(void)self;
	*result = !on ? c : c == CTLTEST_COLOR_RED ? CTLTEST_COLOR_GREEN
		: c == CTLTEST_COLOR_GREEN ? CTLTEST_COLOR_BLUE : CTLTEST_COLOR_RED;
	return 0;
}

static int greet(struct ctltest_kv *self, const char *name, char *result)
{
	(void)self;
	snprintf(result, 40 + 1, "hello, %s!", name);
	return 0;
}

static int fail(struct ctltest_kv *self, uint8_t which)
{
	(void)self;
	return which == 1 ? CTLTEST_ERR_NOT_FOUND : which == 5 ? CTLTEST_ERR_TOO_BIG
		: which == 9 ? IPC_EINVAL : 0;   /* 9: not declared, a fault */
}

static int head(struct ctltest_kv *self, ipc_cap f, uint32_t max, char *result)
{
	(void)self;
	char buf[64];
	if (max > sizeof buf)
		max = sizeof buf;
	ssize_t n = read(ipc_posix_fd(f), buf, max);
	ipc_cap_drop(f);
	if (n < 0)
		return IPC_EFAULT;
	size_t len = strcspn(buf, "\n");
	if (len > (size_t)n)
		len = (size_t)n;
	memcpy(result, buf, len);
	result[len] = 0;
	return 0;
}

static int measure(struct ctltest_kv *self, const ipc_cap *pages, size_t npages, size_t *result)
{
	(void)self;
	void *addr = NULL;
	size_t len = 0;
	int rc = npages ? ipc_page_map(pages, npages, false, &addr, &len) : 0;
	ipc_drop_caps(pages, npages, 0);
	if (rc < 0)
		return rc;
	*result = addr ? strnlen(addr, len) : 0;
	if (addr)
		ipc_page_unmap(addr, len);
	return 0;
}

static int make(struct ctltest_kv *self, const char *text, ipc_cap *out)
{
	(void)self;
	void *addr;
	int rc = ipc_page_alloc(1, out, &addr);
	if (rc < 0)
		return rc;
	strcpy(addr, text);
	ipc_page_unmap(addr, IPC_PAGE_SIZE);
	return 0;
}

static void note(struct ctltest_kv *self, const char *text)
{
	strcpy(((struct kv *)self)->note, text);
}

static int last(struct ctltest_kv *self, char *result)
{
	strcpy(result, ((struct kv *)self)->note);
	return 0;
}

static int wide(struct ctltest_kv *self, uint64_t *result)
{
	(void)self;
	*result = UINT64_MAX;
	return 0;
}

static int neg(struct ctltest_kv *self, int64_t *result)
{
	(void)self;
	*result = INT64_MIN;
	return 0;
}

static const struct ctltest_kv_iface impl = {
	.base = {.ping = ping},
	.put = put, .get = get, .add = add, .paint = paint, .greet = greet, .fail = fail,
	.head = head, .measure = measure, .make = make, .note = note, .last = last,
	.wide = wide, .neg = neg,
};

static ipc_cap endpoint = IPC_CAP_NONE;

static void stop(int sig)
{
	(void)sig;
	ipc_cap_drop(endpoint);   /* unlinks the socket */
	_exit(0);
}

/* A reply to the request in m that breaks one rule of its method's
 * reply: the client must answer IPC_EPROTO (or the status, for neg). */
static void evil(struct ipc_msg *m)
{
	uint64_t label = m->label;
	uint8_t *bytes = (uint8_t *)&m->word[1];
	ipc_msg_init(m, 0, 0, 0);
	if (label == IPC_LABEL(CTLTEST_KV_ID, IPC_METHOD_DESCRIBE)) {
		m->word[0] = CTLTEST_KV_ID, m->word[1] = CTLTEST_KV_ABI;
		m->word[2] = CTLTEST_BASE_ID, m->word[3] = CTLTEST_BASE_ABI;
		m->nwords = 4;
	} else if (label == CTLTEST_KV_PAINT) {          /* not a member */
		m->word[0] = 3, m->nwords = 1;
	} else if (label == CTLTEST_KV_ADD) {            /* a word too many */
		m->nwords = 2;
	} else if (label == CTLTEST_KV_GREET) {          /* padding not zero */
		m->word[0] = 2, m->word[1] = 0, bytes[0] = 'h', bytes[1] = 'i', bytes[5] = 1;
		m->nwords = 2;
	} else if (label == CTLTEST_KV_LAST) {           /* not UTF-8 */
		m->word[0] = 1, m->word[1] = 0xff, m->nwords = 2;
	} else if (label == CTLTEST_KV_GET) {            /* more bytes than its bound */
		m->word[0] = 9, m->word[1] = m->word[2] = 0, m->nwords = 3;
	} else if (label == CTLTEST_KV_FAIL) {           /* an error it does not declare */
		m->label = 0x12345;
	} else if (label == CTLTEST_KV_PUT) {            /* a declared error with a word */
		m->label = CTLTEST_ERR_TOO_BIG, m->nwords = 1;
	} else if (label == CTLTEST_KV_WIDE) {           /* no such transport status */
		m->label = (uint64_t)-100;
	} else if (label == CTLTEST_KV_NEG) {            /* a status: passed on */
		m->label = (uint64_t)(int64_t)IPC_EBUSY;
	} else if (label == CTLTEST_KV_MAKE) {           /* no capability */
	} else if (label == CTLTEST_KV_MEASURE) {        /* the largest size: valid */
		m->word[0] = UINT64_MAX, m->nwords = 1;
	} else {                                         /* a capability too many */
		ipc_page_alloc(1, &m->cap[0], NULL);
		m->word[0] = 0, m->nwords = 1, m->ncaps = 1;
	}
}

int main(int argc, char **argv)
{
	static struct kv kv;
	bool bad = argc == 3 && strcmp(argv[1], "--evil") == 0;
	if (argc != 2 && !bad) {
		fputs("usage: ctltest-server [--evil] SOCKET-PATH\n", stderr);
		return 2;
	}
	int rc = ipc_posix_listen(argv[argc - 1], &endpoint);
	if (rc < 0) {
		fprintf(stderr, "ctltest-server: %s: %s\n", argv[argc - 1], ipc_status_text(rc));
		return 1;
	}
	signal(SIGTERM, stop);
	ctltest_kv_init(&kv.base, &impl, endpoint);
	for (;;) {
		struct ipc_msg m;
		if (!bad) {
			ctltest_kv_dispatch(&kv.base);
		} else if (ipc_recv(endpoint, &m) == 0) {
			ipc_drop_caps(m.cap, m.ncaps, 0);
			evil(&m);
			ipc_reply(&m);
		}
	}
}
