/*
 * roundtrip.c: the helios port's first test, booted as the root task.  A
 * second task (a thread in the same cspace and vspace) serves dev::serial
 * through the generated dispatch; the main task calls it through the
 * generated client stubs: scalars, an enum, a declared error, pages lent
 * for a read, a deferred reply, and a malformed request rejected; and the
 * split form ipcgen writes for every call (_async_start, _async_wait,
 * _async_cb, _async_finish) over the port's asynchronous calls.  Beside
 * the stubs, the transport itself: a message as large as it carries (a full
 * IPC buffer page of words, every capability) each way, and one word more
 * refused.
 */
#include "mercury/helios.h"
#include "dev.h"

static int checks, failures;
#define CHECK(c) check((c), #c, __LINE__)
static void check(bool ok, const char *what, int line)
{
	checks++;
	if (!ok) {
		failures++;
		mercury_log("FAIL: roundtrip.c:%d: %s", line, what);
	}
}

struct port {
	struct dev_serial base;
	uint32_t baud;
	ipc_cap deferred;
};

static int s_read(struct io_file *f, const ipc_cap *pages, size_t n, uintptr_t buf, size_t amt, size_t *r)
{
	struct port *p = (struct port *)f;
	if (amt == 7) {         /* answered later, from the loop */
		ipc_drop_caps(pages, n, 0);
		return ipc_reply_save(&p->deferred) ? IPC_EFAULT : IPC_DEFERRED;
	}
	size_t off = buf % HELIOS_PAGE_SIZE;
	if (!n || off + amt > n * HELIOS_PAGE_SIZE)
		return ipc_drop_caps(pages, n, ERRORS_ERR_INVALID);
	char *va = mercury_map(pages, n, true);
	if (!va)
		return ipc_drop_caps(pages, n, ERRORS_ERR_INVALID);
	for (size_t i = 0; i < amt; i++)
		va[off + i] = (char)('a' + i % 26);
	mercury_unmap(va, n);
	ipc_drop_caps(pages, n, 0);
	*r = amt;
	return 0;
}

static int s_get_baud(struct dev_serial *s, uint32_t *r)
{
	*r = ((struct port *)s)->baud;
	return 0;
}

static int s_set_baud(struct dev_serial *s, uint32_t hz)
{
	if (hz == 0 || 115200 % hz)
		return ERRORS_ERR_INVALID;
	((struct port *)s)->baud = hz;
	return 0;
}

static const struct dev_serial_iface impl = {
	.base = { .read = s_read },
	.get_baud = s_get_baud,
	.set_baud = s_set_baud,
};

/* A callback of the split form: the reply read by the generated finish. */
static int cb_status = 1;
static void baud_done(int status, struct ipc_msg *reply, ipc_fn fn, void *arg)
{
	(void)fn;
	cb_status = dev_serial_get_baud_async_finish(status, reply, arg);
}

/* Not a dev::serial label: the server echoes it, each word plus one. */
#define ECHO_LABEL IPC_LABEL(0x7e57, 1)

static void server(void *arg)
{
	struct port *p = arg;
	struct ipc_msg in, out;
	for (;;) {
		if (ipc_recv(p->base.base.endpoint, &in))
			continue;
		if (in.label == ECHO_LABEL) {
			in.label = 0;
			for (uint32_t i = 0; i < in.nwords; i++)
				in.word[i]++;
			ipc_reply(&in);
			continue;
		}
		if (dev_serial_handle(&p->base, &in, &out) == 0)
			ipc_reply(&out);
		if (p->deferred != IPC_CAP_NONE) {
			io_file_read_reply(p->deferred, 0, 7);
			p->deferred = IPC_CAP_NONE;
		}
	}
}

int main(void)
{
	static struct port p;
	ipc_cap ep, task;
	CHECK(hl_mem_alloc(mercury_memory, HELIOS_CAP_ENDPOINT, IPC_CAP_NONE, 0, &ep) == 0);
	dev_serial_init(&p.base, &impl, ep);
	p.baud = 115200;
	p.deferred = IPC_CAP_NONE;
	CHECK(mercury_thread_spawn(server, &p, &task) == 0);

	uint32_t baud = 0;
	CHECK(dev_serial_get_baud(ep, &baud) == 0 && baud == 115200);
	CHECK(dev_serial_set_baud(ep, 9600) == 0);
	CHECK(dev_serial_get_baud(ep, &baud) == 0 && baud == 9600);
	CHECK(dev_serial_set_baud(ep, 7) == ERRORS_ERR_INVALID);
	enum dev_parity par;
	CHECK(dev_serial_get_parity(ep, &par) == IPC_ENOSYS);
	CHECK(dev_serial_describe(ep) == 0);
	CHECK(io_file_describe(ep) == 0);

	struct mercury_buf b;
	CHECK(mercury_buf_alloc(&b, 2) == 0);
	size_t got = 0;
	CHECK(mercury_read(ep, &b, 4000, 200, &got) == 0 && got == 200);
	CHECK(((char *)b.va)[4000] == 'a' && ((char *)b.va)[4199] == 'a' + 199 % 26);
	CHECK(mercury_read(ep, &b, 100, 7, &got) == 0 && got == 7);     /* deferred */

	/* A malformed request: the generated dispatch rejects it, the server lives. */
	struct ipc_msg m = { .label = DEV_SERIAL_SET_BAUD, .nwords = 2 };
	CHECK(ipc_call(ep, &m) == 0 && (int64_t)m.label == IPC_EPROTO);
	m = (struct ipc_msg){ .label = IPC_LABEL(0x1234, 1) };
	CHECK(ipc_call(ep, &m) == 0 && (int64_t)m.label == IPC_ENOSYS);
	CHECK(dev_serial_get_baud(ep, &baud) == 0 && baud == 9600);

	/* The split form: two calls outstanding, collected in the other order;
	 * a declared error; a callback run by ipc_call_dispatch. */
	ipc_call_t c1, c2;
	baud = 0;
	CHECK(dev_serial_get_baud_async_start(ep, -1, &c1) == 0);
	CHECK(dev_serial_set_baud_async_start(ep, 7, -1, &c2) == 0);
	CHECK(dev_serial_set_baud_async_wait(ep, c2, -1) == ERRORS_ERR_INVALID);
	CHECK(dev_serial_get_baud_async_wait(ep, c1, -1, &baud) == 0 && baud == 9600);
	CHECK(dev_serial_get_baud_async_wait(ep, c1, 0, &baud) != 0);   /* over: no such call */
	uint32_t cb_baud = 0;
	CHECK(dev_serial_get_baud_async_cb(ep, -1, baud_done, NULL, &cb_baud, NULL) == 0);
	for (int i = 0; i < 100 && cb_status == 1; i++)
		CHECK(ipc_call_dispatch(ep, 1000) >= 0);
	CHECK(cb_status == 0 && cb_baud == 9600);

	/* The largest message each way: every word, every capability (copies
	 * of a buffer's pages, which come back in order). */
	struct mercury_buf big;
	CHECK(mercury_buf_alloc(&big, IPC_MAX_CAPS) == 0);
	for (int i = 0; i < IPC_MAX_CAPS; i++)
		((char *)big.va)[i * HELIOS_PAGE_SIZE] = (char)('A' + i);
	m = (struct ipc_msg){ .label = ECHO_LABEL, .nwords = IPC_MAX_WORDS, .ncaps = IPC_MAX_CAPS };
	for (uint32_t i = 0; i < IPC_MAX_WORDS; i++)
		m.word[i] = (uint64_t)i << 32 | i;
	for (int i = 0; i < IPC_MAX_CAPS; i++)
		m.cap[i] = IPC_LEND(big.page[i]);
	CHECK(ipc_call(ep, &m) == 0 && m.label == 0);
	CHECK(m.nwords == IPC_MAX_WORDS && m.ncaps == IPC_MAX_CAPS);
	bool words_ok = m.nwords == IPC_MAX_WORDS;
	for (uint32_t i = 0; words_ok && i < IPC_MAX_WORDS; i++)
		words_ok = m.word[i] == ((uint64_t)i << 32 | i) + 1;
	CHECK(words_ok);
	if (m.ncaps == IPC_MAX_CAPS) {
		char *va = mercury_map(m.cap, IPC_MAX_CAPS, false);
		CHECK(va != NULL);
		bool pages_ok = va != NULL;
		for (int i = 0; pages_ok && i < IPC_MAX_CAPS; i++)
			pages_ok = va[i * HELIOS_PAGE_SIZE] == 'A' + i;
		CHECK(pages_ok);
		if (va)
			mercury_unmap(va, IPC_MAX_CAPS);
		ipc_drop_caps(m.cap, m.ncaps, 0);
	}
	/* One word more is refused before it goes, and the lent pages stay. */
	m = (struct ipc_msg){ .label = ECHO_LABEL, .nwords = IPC_MAX_WORDS + 1, .ncaps = IPC_MAX_CAPS };
	for (int i = 0; i < IPC_MAX_CAPS; i++)
		m.cap[i] = IPC_LEND(big.page[i]);
	CHECK(ipc_call(ep, &m) == IPC_EINVAL);
	CHECK(hl_cap_info(big.page[IPC_MAX_CAPS - 1]).r0 == HELIOS_CAP_PAGE);
	mercury_buf_free(&big);

	/* Timing: one round trip through the stubs and the port, in time stamp
	 * ticks (guest instructions under -icount shift=0: make bench). */
	uint64_t t0 = hl_rdtsc();
	for (int i = 0; i < 100; i++)
		dev_serial_get_baud(ep, &baud);
	uint64_t t1 = hl_rdtsc();
	mercury_log("stub round trip: %lu ticks", (t1 - t0) / 100);

	void *x = malloc(100), *y = malloc(10000);
	CHECK(x && y);
	free(x);
	free(y);
	CHECK(malloc(100) == x);

	mercury_log("roundtrip: %d checks, %d failed", checks, failures);
	return failures ? 1 : 0;
}
