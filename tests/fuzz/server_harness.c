/*
 * server_harness.c: libFuzzer target over the generated servers of
 * protocols/ (io, dev, sys): arbitrary messages (label, words, capability
 * counts, page lists) into the generated handle and dispatch functions,
 * stub implementations behind them, and a fake transport that counts every
 * capability.
 *
 * Written by hand for io.ipc, dev.ipc, sys.ipc and fs.ipc as the draft of what
 * ipcgen should generate per namespace on request (NS_fuzz.c): everything
 * below that names a protocol (the SPEC tables, the stubs, the answer
 * wrappers, the targets) is what a generator writes from the AST; the rest
 * (ledger, fake transport, message builder, checks) is protocol-independent.
 *
 * Checked, for every message:
 *   routing    the implementation is called iff the request is valid (label
 *              of the object's interface or an ancestor, exact word count,
 *              capability count, every word in its type's range, enum
 *              members), at most once, with self, the words and the
 *              capabilities of the request; its vtable entry NULL gives
 *              IPC_ENOSYS; an unknown label IPC_ENOSYS; a bad shape
 *              IPC_EPROTO.
 *   reply      well formed: status 0, a transport status or an error the
 *              call declares (anything else the implementation returns
 *              must become IPC_EFAULT), no words or capabilities with an
 *              error, exactly the result and the returned capabilities
 *              with success, describe's (ID, ABI) pairs.
 *   ownership  DESIGN.md: capabilities move.  Every capability a request
 *              carried is released exactly once, by the generated code when
 *              it rejects the request, by the implementation when it is
 *              called; every capability the implementation returns is sent
 *              or released exactly once; every reply capability is answered
 *              exactly once (deferred ones through the generated NS_*_reply).
 *
 * Input: a sequence of messages, each
 *   target  which object (io::file, dev::serial, sys::*)
 *   flags   bit 0 dispatch (else handle), bit 1 ipc_recv fails, bit 2
 *           ipc_reply fails, bit 3 one vtable entry NULL (which: bits 4-7)
 *   label   one of every interface's labels (methods, describe, one past
 *           the last method), or 0xff then 8 raw bytes
 *   nwords, ncaps   the method's own counts, or any, or far too many
 *   words   each a small value, a negative one, a boundary or 8 raw bytes;
 *           a string parameter: a length and bytes from the input (any
 *           bytes, any length up to 300), or raw words
 * and then, whenever a stub is called, bytes that choose what it does:
 * succeed (with which result), fail, or defer and answer later.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "io.h"
#include "dev.h"
#include "sys.h"
#include "fs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- failures, and checks that a known open bug may skip -------------------- */

static _Noreturn void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("\n==fuzz== server: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

static bool ignored(const char *check)
{
	const char *list = getenv("FUZZ_IGNORE");
	size_t n = strlen(check);
	for (const char *p = list ? strstr(list, check) : NULL; p; p = strstr(p + 1, check))
		if ((p == list || p[-1] == ',' || p[-1] == ' ') && (p[n] == 0 || p[n] == ',' || p[n] == ' '))
			return true;
	return false;
}

/* ---- the input ------------------------------------------------------------------ */

static const uint8_t *in_p, *in_end;

static uint8_t take(void)
{
	return in_p < in_end ? *in_p++ : 0;
}

static uint64_t take64(void)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | take();
	return v;
}

/* ---- what ipcgen would generate: the protocols as tables -------------------------- */

enum ty { T_VOID, T_U32, T_U64, T_I64, T_SIZE, T_UINTPTR, T_WHENCE, T_STOPBITS, T_PARITY, T_STR255 };

struct mspec {
	const char *name;
	uint64_t label;
	unsigned nparams;
	enum ty param[2];
	unsigned ncaps;      /* fixed capability arguments */
	bool caplist;        /* then a list (page...) */
	unsigned nout;       /* returned capabilities */
	enum ty ret;
	int errs[3];         /* the errors it declares */
	unsigned nerrs;
	/* The generated deferred reply, as one signature. */
	int (*answer)(ipc_cap reply, int status, const ipc_cap *out, uint64_t result);
};

struct ispec {
	const char *name;
	uint32_t id;
	uint64_t abi;
	const struct ispec *parent;
	const struct mspec *methods;
	unsigned nmethods;
};

static bool word_valid(enum ty t, uint64_t w)
{
	switch (t) {
	case T_U32: return w <= UINT32_MAX;
	case T_WHENCE: return w <= 2;
	case T_STOPBITS: return w <= 1;
	case T_PARITY: return w <= 4;
	default: return true;
	}
}

/* A string parameter's bytes: UTF-8 (shortest forms, no surrogates, at most
 * U+10FFFF) without NUL.  Written here from the standard, not taken from
 * the transport header, so that the two check each other. */
/* Whether the bytes after p[0..n), to the end of its last word, are zero:
 * a string has one encoding. */
static bool pad_zero(const unsigned char *p, size_t n)
{
	for (size_t i = n; i % 8; i++)
		if (p[i])
			return false;
	return true;
}

static bool str_valid(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned c = p[i], len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
		                        : (c & 0xf8) == 0xf0 ? 4 : 0;
		if (c == 0 || len == 0 || n - i < len)
			return false;
		uint32_t cp = len == 1 ? c : c & (0x7f >> len);
		for (unsigned k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
		if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

/* A result an implementation may return: any value of the type. */
static uint64_t any_value(enum ty t)
{
	uint64_t v = take64();
	switch (t) {
	case T_U32: return (uint32_t)v;
	case T_WHENCE: return v % 3;
	case T_STOPBITS: return v % 2;
	case T_PARITY: return v % 5;
	case T_VOID: return 0;
	default: return v;
	}
}

#define ANSWER_R(fn, type)                                                                \
	static int ans_##fn(ipc_cap r, int st, const ipc_cap *out, uint64_t v)              \
	{                                                                                   \
		(void)out;                                                                  \
		return fn##_reply(r, st, (type)v);                                          \
	}
#define ANSWER_V(fn)                                                                      \
	static int ans_##fn(ipc_cap r, int st, const ipc_cap *out, uint64_t v)              \
	{                                                                                   \
		(void)out;                                                                  \
		(void)v;                                                                    \
		return fn##_reply(r, st);                                                   \
	}
ANSWER_R(io_file_read, size_t)
ANSWER_R(io_file_write, size_t)
ANSWER_R(io_file_seek, size_t)
ANSWER_R(dev_serial_get_baud, uint32_t)
ANSWER_R(dev_serial_get_charlen, uint32_t)
ANSWER_R(dev_serial_get_stopbits, enum dev_stop_bits)
ANSWER_R(dev_serial_get_parity, enum dev_parity)
ANSWER_V(dev_serial_set_baud)
ANSWER_V(dev_serial_set_charlen)
ANSWER_V(dev_serial_set_stopbits)
ANSWER_V(dev_serial_set_parity)
ANSWER_V(sys_process_start)
ANSWER_V(sys_devloader_load)
static int ans_sys_devregistry_new(ipc_cap r, int st, const ipc_cap *out, uint64_t v)
{
	return sys_devregistry_new_reply(r, st, out[0], (uint32_t)v);
}
static int ans_sys_devmgr_open(ipc_cap r, int st, const ipc_cap *out, uint64_t v)
{
	(void)v;
	return sys_devmgr_open_reply(r, st, out[0]);
}
static int ans_sys_procmgr_new(ipc_cap r, int st, const ipc_cap *out, uint64_t v)
{
	(void)v;
	return sys_procmgr_new_reply(r, st, out[0]);
}
static int ans_fs_fs_open(ipc_cap r, int st, const ipc_cap *out, uint64_t v)
{
	(void)v;
	return fs_fs_open_reply(r, st, out[0]);
}

#define E(x) ERRORS_ERR_##x
static const struct mspec io_file_m[] = {
	{"io::file.read", IO_FILE_READ, 2, {T_UINTPTR, T_SIZE}, 0, true, 0, T_SIZE,
	 {E(BUSY), E(EOF), E(INVALID)}, 3, ans_io_file_read},
	{"io::file.write", IO_FILE_WRITE, 2, {T_UINTPTR, T_SIZE}, 0, true, 0, T_SIZE,
	 {E(BUSY), E(INVALID)}, 2, ans_io_file_write},
	{"io::file.seek", IO_FILE_SEEK, 2, {T_I64, T_WHENCE}, 0, false, 0, T_SIZE,
	 {E(INVALID), E(UNSUPPORTED)}, 2, ans_io_file_seek},
};
static const struct mspec dev_serial_m[] = {
	{"dev::serial.get_baud", DEV_SERIAL_GET_BAUD, 0, {0}, 0, false, 0, T_U32, {0}, 0, ans_dev_serial_get_baud},
	{"dev::serial.get_charlen", DEV_SERIAL_GET_CHARLEN, 0, {0}, 0, false, 0, T_U32, {0}, 0, ans_dev_serial_get_charlen},
	{"dev::serial.get_stopbits", DEV_SERIAL_GET_STOPBITS, 0, {0}, 0, false, 0, T_STOPBITS, {0}, 0, ans_dev_serial_get_stopbits},
	{"dev::serial.get_parity", DEV_SERIAL_GET_PARITY, 0, {0}, 0, false, 0, T_PARITY, {0}, 0, ans_dev_serial_get_parity},
	{"dev::serial.set_baud", DEV_SERIAL_SET_BAUD, 1, {T_U32}, 0, false, 0, T_VOID, {E(INVALID)}, 1, ans_dev_serial_set_baud},
	{"dev::serial.set_charlen", DEV_SERIAL_SET_CHARLEN, 1, {T_U32}, 0, false, 0, T_VOID, {E(INVALID)}, 1, ans_dev_serial_set_charlen},
	{"dev::serial.set_stopbits", DEV_SERIAL_SET_STOPBITS, 1, {T_STOPBITS}, 0, false, 0, T_VOID, {0}, 0, ans_dev_serial_set_stopbits},
	{"dev::serial.set_parity", DEV_SERIAL_SET_PARITY, 1, {T_PARITY}, 0, false, 0, T_VOID, {0}, 0, ans_dev_serial_set_parity},
};
static const struct mspec sys_devregistry_m[] = {
	{"sys::devregistry.new", SYS_DEVREGISTRY_NEW, 1, {T_U64}, 0, false, 1, T_U32, {E(NO_MEMORY)}, 1, ans_sys_devregistry_new},
};
static const struct mspec sys_devmgr_m[] = {
	{"sys::devmgr.open", SYS_DEVMGR_OPEN, 2, {T_U64, T_U32}, 0, false, 1, T_VOID, {E(NOT_FOUND)}, 1, ans_sys_devmgr_open},
};
static const struct mspec sys_process_m[] = {
	{"sys::process.start", SYS_PROCESS_START, 0, {0}, 0, false, 0, T_VOID, {E(INVALID)}, 1, ans_sys_process_start},
};
static const struct mspec sys_procmgr_m[] = {
	{"sys::procmgr.new", SYS_PROCMGR_NEW, 0, {0}, 0, false, 1, T_VOID, {E(NO_MEMORY)}, 1, ans_sys_procmgr_new},
};
static const struct mspec sys_devloader_m[] = {
	{"sys::devloader.load", SYS_DEVLOADER_LOAD, 0, {0}, 2, false, 0, T_VOID,
	 {E(INVALID), E(DENIED), E(NO_MEMORY)}, 3, ans_sys_devloader_load},
};
static const struct mspec fs_fs_m[] = {
	{"fs::fs.open", FS_FS_OPEN, 1, {T_STR255}, 0, false, 1, T_VOID, {E(NOT_FOUND), E(INVALID)}, 2, ans_fs_fs_open},
};
#undef E

static bool declared(const struct mspec *m, int64_t st)
{
	for (unsigned i = 0; m && i < m->nerrs; i++)
		if (m->errs[i] == st)
			return true;
	return false;
}

#define N(a) (unsigned)(sizeof(a) / sizeof((a)[0]))
static const struct ispec io_file_i = {"io::file", IO_FILE_ID, IO_FILE_ABI, NULL, io_file_m, N(io_file_m)};
static const struct ispec dev_serial_i = {"dev::serial", DEV_SERIAL_ID, DEV_SERIAL_ABI, &io_file_i,
                                          dev_serial_m, N(dev_serial_m)};
static const struct ispec sys_devregistry_i = {"sys::devregistry", SYS_DEVREGISTRY_ID,
                                               SYS_DEVREGISTRY_ABI, NULL, sys_devregistry_m,
                                               N(sys_devregistry_m)};
static const struct ispec sys_devmgr_i = {"sys::devmgr", SYS_DEVMGR_ID, SYS_DEVMGR_ABI, NULL,
                                          sys_devmgr_m, N(sys_devmgr_m)};
static const struct ispec sys_process_i = {"sys::process", SYS_PROCESS_ID, SYS_PROCESS_ABI, NULL,
                                           sys_process_m, N(sys_process_m)};
static const struct ispec sys_procmgr_i = {"sys::procmgr", SYS_PROCMGR_ID, SYS_PROCMGR_ABI, NULL,
                                           sys_procmgr_m, N(sys_procmgr_m)};
static const struct ispec sys_devloader_i = {"sys::devloader", SYS_DEVLOADER_ID, SYS_DEVLOADER_ABI,
                                             NULL, sys_devloader_m, N(sys_devloader_m)};
static const struct ispec fs_fs_i = {"fs::fs", FS_FS_ID, FS_FS_ABI, NULL, fs_fs_m, N(fs_fs_m)};
static const struct ispec *const ifaces[] = {
	&io_file_i, &dev_serial_i, &sys_devregistry_i, &sys_devmgr_i, &sys_process_i,
	&sys_procmgr_i, &sys_devloader_i, &fs_fs_i,
};

/* ---- the capability ledger ----------------------------------------------------- */

enum ckind { K_REQ, K_OUT, K_REPLY };
static const char *const kind_name[] = {"request capability", "returned capability", "reply capability"};

struct cap_rec {
	ipc_cap id;
	enum ckind kind;
	unsigned released;    /* dropped, or moved out in a message */
	const char *what;     /* the method it came with */
};

#define MAX_CAPS 1024
static struct cap_rec caps[MAX_CAPS];
static unsigned ncaps;
static ipc_cap next_id;

static ipc_cap cap_new(enum ckind kind, const char *what)
{
	if (ncaps == MAX_CAPS)
		fail("ledger full");
	ipc_cap id = next_id++;
	caps[ncaps++] = (struct cap_rec){id, kind, 0, what};
	return id;
}

static struct cap_rec *cap_find(ipc_cap id)
{
	for (unsigned i = 0; i < ncaps; i++)
		if (caps[i].id == id)
			return &caps[i];
	return NULL;
}

static void cap_release(ipc_cap id, const char *how)
{
	struct cap_rec *c = cap_find(id);
	if (!c)
		fail("%s of capability 0x%x, which the server never held", how, id);
	if (++c->released > 1)
		fail("%s of %s 0x%x (%s): released twice", how, kind_name[c->kind], id, c->what);
}

/* Every capability handed out was released exactly once. */
static void ledger_check(void)
{
	for (unsigned i = 0; i < ncaps; i++)
		if (caps[i].released != 1)
			fail("%s 0x%x (%s) released %u times (leaked)", kind_name[caps[i].kind], caps[i].id,
			     caps[i].what, caps[i].released);
}

/* ---- the message being served, and what should come of it -------------------- */

enum outcome { O_CALL, O_DESCRIBE, O_ENOSYS, O_EPROTO };

static struct {
	struct ipc_msg req;
	void *obj;                 /* the object it is addressed to */
	const struct ispec *obj_iface;
	const struct ispec *iface; /* the interface the label names, if any */
	const struct mspec *m;     /* the method, if any */
	enum outcome expect;
	ipc_cap reply;             /* the current reply capability, or IPC_CAP_NONE */
	bool recv_fails, reply_fails, dispatching;
	unsigned calls;            /* of the implementation */
	int status;                /* what the implementation returned */
	uint64_t result;
	ipc_cap out[2];
	struct ipc_msg sent;       /* what ipc_reply sent */
	bool replied;
} cur;

/* Deferred requests, answered after the message that deferred them. */
struct pending { const struct mspec *m; ipc_cap reply; };
static struct pending pend[64];
static unsigned npend;

/* ---- the fake transport ----------------------------------------------------------- */

int ipc_cap_drop(ipc_cap cap)
{
	if (cap == IPC_CAP_NONE)
		return IPC_EBADCAP;   /* tolerated, like the POSIX port: nothing to release */
	cap_release(cap, "ipc_cap_drop");
	return 0;
}

int ipc_call(ipc_cap ep, struct ipc_msg *msg)
{
	(void)ep, (void)msg;
	fail("a server called ipc_call");
}

int ipc_send(ipc_cap ep, struct ipc_msg *msg)
{
	(void)ep, (void)msg;
	fail("a server called ipc_send");
}

int ipc_recv(ipc_cap ep, struct ipc_msg *msg)
{
	if (!cur.dispatching)
		fail("ipc_recv outside dispatch");
	if (ep != 1)
		fail("ipc_recv on endpoint 0x%x, not the object's", ep);
	if (cur.recv_fails)
		return IPC_EPEER;
	*msg = cur.req;
	return 0;
}

/* The method whose reply is being sent, for its declared errors. */
static const struct mspec *replying;

static void check_reply_msg(const struct ipc_msg *m, const char *who)
{
	int64_t s = ipc_word_signed(m->label);
	if (!(s == 0 || (s < 0 && s >= INT32_MIN && ipc_status_name((int)s)) || declared(replying, s)))
		fail("%s: reply status %lld is neither 0, a transport status nor an error %s declares",
		     who, (long long)s, replying ? replying->name : "(no method)");
	if (m->nwords > IPC_MAX_WORDS || m->ncaps > IPC_MAX_CAPS)
		fail("%s: reply of %u words, %u capabilities", who, m->nwords, m->ncaps);
	if (s != 0 && (m->nwords || m->ncaps))
		fail("%s: error reply %lld with %u words, %u capabilities", who, (long long)s, m->nwords,
		     m->ncaps);
	for (uint32_t i = 0; i < m->ncaps; i++) {
		struct cap_rec *c = cap_find(m->cap[i]);
		if (c && c->kind != K_OUT)
			fail("%s: a reply carries the %s 0x%x", who, kind_name[c->kind], m->cap[i]);
		cap_release(m->cap[i], "a reply");
	}
}

int ipc_reply(struct ipc_msg *msg)
{
	if (!cur.dispatching)
		fail("ipc_reply outside dispatch");
	if (cur.reply == IPC_CAP_NONE)
		fail("ipc_reply with no current reply (taken by ipc_reply_save, or answered already)");
	cap_release(cur.reply, "ipc_reply");
	cur.reply = IPC_CAP_NONE;
	check_reply_msg(msg, "ipc_reply");
	cur.sent = *msg;
	cur.replied = true;
	return cur.reply_fails ? IPC_EPEER : 0;
}

int ipc_reply_save(ipc_cap *reply)
{
	if (cur.reply == IPC_CAP_NONE)
		return IPC_EINVAL;
	*reply = cur.reply;
	cur.reply = IPC_CAP_NONE;
	return 0;
}

static struct ipc_msg answered;

int ipc_reply_to(ipc_cap reply, struct ipc_msg *msg)
{
	struct cap_rec *c = cap_find(reply);
	if (!c || c->kind != K_REPLY)
		fail("ipc_reply_to on 0x%x, not a reply capability", reply);
	cap_release(reply, "ipc_reply_to");
	check_reply_msg(msg, "ipc_reply_to");
	answered = *msg;
	return take() & 1 ? IPC_EPEER : 0;
}

/* ---- the stub implementations ------------------------------------------------------ */

/* What every stub does: check it was meant to be called, and with what;
 * release what it received; then succeed, fail or defer, as the input says. */
static int stub(void *self, const struct mspec *m, const ipc_cap *cv, size_t cn,
                const uint64_t *args, uint64_t *result, ipc_cap *out)
{
	if (++cur.calls > 1)
		fail("%s: the implementation was called twice for one request", m->name);
	if (cur.expect != O_CALL || cur.m != m)
		fail("%s: the implementation was called for a request to %s (%s)", m->name,
		     cur.m ? cur.m->name : "no method",
		     cur.expect == O_ENOSYS ? "expected IPC_ENOSYS" : cur.expect == O_EPROTO ? "expected IPC_EPROTO" : "describe");
	if (self != cur.obj)
		fail("%s: called with self %p, not the object %p", m->name, self, cur.obj);
	for (unsigned i = 0; args && i < m->nparams; i++)
		if (args[i] != cur.req.word[i])
			fail("%s: argument %u is 0x%llx, the request's word 0x%llx", m->name, i,
			     (unsigned long long)args[i], (unsigned long long)cur.req.word[i]);
	if (cn != cur.req.ncaps)
		fail("%s: given %zu capabilities, the request carried %u", m->name, cn, cur.req.ncaps);
	for (size_t i = 0; i < cn; i++)
		if (cv[i] != cur.req.cap[i])
			fail("%s: capability %zu is 0x%x, the request's 0x%x", m->name, i, cv[i], cur.req.cap[i]);
	/* The implementation owns what it received, on every path. */
	for (size_t i = 0; i < cn; i++)
		ipc_cap_drop(cv[i]);

	uint8_t b = take();
	int st;
	switch (b % 8) {
	default:                       /* success */
		st = 0;
		break;
	case 4:                        /* a declared error, or one nobody declared */
		st = m->nerrs && (b & 8) ? m->errs[(b >> 4) % m->nerrs] : 1 + (b >> 4);
		break;
	case 5:
		st = -(int)(1 + (b >> 3) % 13);   /* a transport status */
		break;
	case 6:
		st = (int)(uint32_t)take64();     /* anything */
		if (st == 0 || st == IPC_DEFERRED)
			st = INT32_MAX;
		break;
	case 7: {                      /* defer: take the reply, answer later */
		ipc_cap r;
		if (ipc_reply_save(&r) != 0)
			fail("%s: ipc_reply_save failed with a request in hand", m->name);
		if (npend == N(pend))
			fail("too many deferred");
		pend[npend++] = (struct pending){m, r};
		st = IPC_DEFERRED;
		break;
	}
	}
	cur.status = st;
	if (st == 0) {
		cur.result = *result = any_value(m->ret);
		for (unsigned i = 0; i < m->nout; i++)
			cur.out[i] = out[i] = cap_new(K_OUT, m->name);
	} else if (st != IPC_DEFERRED && m->nout && (b & 0x80) && !ignored("outcap-on-error")) {
		/* An implementation that made its returned capability and then
		 * failed: the generated code releases it (ipc_drop_made), as
		 * the deferred NS_*_reply does (regress/server/outcap-*). */
		for (unsigned i = 0; i < m->nout; i++)
			cur.out[i] = out[i] = cap_new(K_OUT, m->name);
	}
	return st;
}

static int st_read(struct io_file *self, const ipc_cap *pages, size_t npages, uintptr_t buf,
                   size_t amt, size_t *result)
{
	uint64_t a[2] = {buf, amt}, r = 0;
	int st = stub(self, &io_file_m[0], pages, npages, a, &r, NULL);
	*result = (size_t)r;
	return st;
}

static int st_write(struct io_file *self, const ipc_cap *pages, size_t npages, uintptr_t buf,
                    size_t amt, size_t *result)
{
	uint64_t a[2] = {buf, amt}, r = 0;
	int st = stub(self, &io_file_m[1], pages, npages, a, &r, NULL);
	*result = (size_t)r;
	return st;
}

static int st_seek(struct io_file *self, int64_t offs, enum io_whence w, size_t *result)
{
	uint64_t a[2] = {(uint64_t)offs, (uint64_t)w}, r = 0;
	int st = stub(self, &io_file_m[2], NULL, 0, a, &r, NULL);
	*result = (size_t)r;
	return st;
}

#define GETTER(fn, idx, type)                                                             \
	static int st_##fn(struct dev_serial *self, type *result)                           \
	{                                                                                   \
		uint64_t r = 0;                                                             \
		int st = stub(self, &dev_serial_m[idx], NULL, 0, NULL, &r, NULL);           \
		*result = (type)r;                                                          \
		return st;                                                                  \
	}
#define SETTER(fn, idx, type)                                                             \
	static int st_##fn(struct dev_serial *self, type v)                                 \
	{                                                                                   \
		uint64_t a[1] = {(uint64_t)v}, r = 0;                                       \
		return stub(self, &dev_serial_m[idx], NULL, 0, a, &r, NULL);                \
	}
GETTER(get_baud, 0, uint32_t)
GETTER(get_charlen, 1, uint32_t)
GETTER(get_stopbits, 2, enum dev_stop_bits)
GETTER(get_parity, 3, enum dev_parity)
SETTER(set_baud, 4, uint32_t)
SETTER(set_charlen, 5, uint32_t)
SETTER(set_stopbits, 6, enum dev_stop_bits)
SETTER(set_parity, 7, enum dev_parity)

static int st_devregistry_new(struct sys_devregistry *self, uint64_t iface, ipc_cap *out,
                              uint32_t *result)
{
	uint64_t a[1] = {iface}, r = 0;
	int st = stub(self, &sys_devregistry_m[0], NULL, 0, a, &r, out);
	*result = (uint32_t)r;
	return st;
}

static int st_devmgr_open(struct sys_devmgr *self, uint64_t iface, uint32_t n, ipc_cap *dev)
{
	uint64_t a[2] = {iface, n}, r = 0;
	return stub(self, &sys_devmgr_m[0], NULL, 0, a, &r, dev);
}

static int st_process_start(struct sys_process *self)
{
	uint64_t r = 0;
	return stub(self, &sys_process_m[0], NULL, 0, NULL, &r, NULL);
}

static int st_procmgr_new(struct sys_procmgr *self, ipc_cap *proc)
{
	uint64_t r = 0;
	return stub(self, &sys_procmgr_m[0], NULL, 0, NULL, &r, proc);
}

static int st_devloader_load(struct sys_devloader *self, ipc_cap proc, ipc_cap image)
{
	ipc_cap c[2] = {proc, image};
	uint64_t r = 0;
	return stub(self, &sys_devloader_m[0], c, 2, NULL, &r, NULL);
}

static int st_fs_open(struct fs_fs *self, const char *path, ipc_cap *file)
{
	/* The string the request carried, as the implementation must see it. */
	size_t len = (size_t)cur.req.word[0];
	if (cur.expect == O_CALL && cur.m == &fs_fs_m[0] &&
	    (strlen(path) != len || memcmp(path, &cur.req.word[1], len) != 0))
		fail("fs::fs.open: path \"%s\", the request's %zu bytes differ", path, len);
	uint64_t r = 0;
	return stub(self, &fs_fs_m[0], NULL, 0, NULL, &r, file);
}

/* ---- the objects ------------------------------------------------------------------- */

static struct io_file_iface vt_file;
static struct dev_serial_iface vt_serial;
static struct sys_devregistry_iface vt_devregistry;
static struct sys_devmgr_iface vt_devmgr;
static struct sys_process_iface vt_process;
static struct sys_procmgr_iface vt_procmgr;
static struct sys_devloader_iface vt_devloader;
static struct fs_fs_iface vt_fs;

static struct io_file o_file;
static struct dev_serial o_serial;
static struct sys_devregistry o_devregistry;
static struct sys_devmgr o_devmgr;
static struct sys_process o_process;
static struct sys_procmgr o_procmgr;
static struct sys_devloader o_devloader;
static struct fs_fs o_fs;

/* Full vtables, then entry k NULL if k >= 0 (k counts the ancestors' entries first). */
static void vtables(int k)
{
	vt_file = (struct io_file_iface){st_read, st_write, st_seek};
	vt_serial = (struct dev_serial_iface){
		{st_read, st_write, st_seek},
		st_get_baud, st_get_charlen, st_get_stopbits, st_get_parity,
		st_set_baud, st_set_charlen, st_set_stopbits, st_set_parity,
	};
	vt_devregistry = (struct sys_devregistry_iface){st_devregistry_new};
	vt_devmgr = (struct sys_devmgr_iface){st_devmgr_open};
	vt_process = (struct sys_process_iface){st_process_start};
	vt_procmgr = (struct sys_procmgr_iface){st_procmgr_new};
	vt_devloader = (struct sys_devloader_iface){st_devloader_load};
	vt_fs = (struct fs_fs_iface){st_fs_open};
	switch (k) {
	case 0: vt_file.read = NULL, vt_serial.base.read = NULL; break;
	case 1: vt_file.write = NULL, vt_serial.base.write = NULL; break;
	case 2: vt_file.seek = NULL, vt_serial.base.seek = NULL; break;
	case 3: vt_serial.get_baud = NULL, vt_devregistry.new_ = NULL; break;
	case 4: vt_serial.get_charlen = NULL, vt_devmgr.open = NULL; break;
	case 5: vt_serial.get_stopbits = NULL, vt_process.start = NULL; break;
	case 6: vt_serial.get_parity = NULL, vt_procmgr.new_ = NULL; break;
	case 7: vt_serial.set_baud = NULL, vt_devloader.load = NULL; break;
	case 8: vt_serial.set_charlen = NULL, vt_fs.open = NULL; break;
	case 9: vt_serial.set_stopbits = NULL; break;
	case 10: vt_serial.set_parity = NULL; break;
	}
}

/* Is the vtable entry of m NULL for this message? */
static bool entry_null(const struct mspec *m, int k)
{
	static const struct mspec *const by_k[][2] = {
		{&io_file_m[0]}, {&io_file_m[1]}, {&io_file_m[2]},
		{&dev_serial_m[0], &sys_devregistry_m[0]}, {&dev_serial_m[1], &sys_devmgr_m[0]},
		{&dev_serial_m[2], &sys_process_m[0]}, {&dev_serial_m[3], &sys_procmgr_m[0]},
		{&dev_serial_m[4], &sys_devloader_m[0]}, {&dev_serial_m[5], &fs_fs_m[0]}, {&dev_serial_m[6]},
		{&dev_serial_m[7]},
	};
	return k >= 0 && k < (int)N(by_k) && (by_k[k][0] == m || by_k[k][1] == m);
}

struct target {
	const struct ispec *iface;
	void *obj;
	int (*handle)(void *obj, const struct ipc_msg *in, struct ipc_msg *out);
	int (*dispatch)(void *obj);
};

#define TARGET(ns_name, obj, spec)                                                        \
	static int h_##ns_name(void *o, const struct ipc_msg *in, struct ipc_msg *out)      \
	{                                                                                   \
		return ns_name##_handle(o, in, out);                                        \
	}                                                                                   \
	static int d_##ns_name(void *o)                                                     \
	{                                                                                   \
		return ns_name##_dispatch(o);                                               \
	}
TARGET(io_file, o_file, io_file_i)
TARGET(dev_serial, o_serial, dev_serial_i)
TARGET(sys_devregistry, o_devregistry, sys_devregistry_i)
TARGET(sys_devmgr, o_devmgr, sys_devmgr_i)
TARGET(sys_process, o_process, sys_process_i)
TARGET(sys_procmgr, o_procmgr, sys_procmgr_i)
TARGET(sys_devloader, o_devloader, sys_devloader_i)
TARGET(fs_fs, o_fs, fs_fs_i)

static const struct target targets[] = {
	{&io_file_i, &o_file, h_io_file, d_io_file},
	{&dev_serial_i, &o_serial, h_dev_serial, d_dev_serial},
	{&sys_devregistry_i, &o_devregistry, h_sys_devregistry, d_sys_devregistry},
	{&sys_devmgr_i, &o_devmgr, h_sys_devmgr, d_sys_devmgr},
	{&sys_process_i, &o_process, h_sys_process, d_sys_process},
	{&sys_procmgr_i, &o_procmgr, h_sys_procmgr, d_sys_procmgr},
	{&sys_devloader_i, &o_devloader, h_sys_devloader, d_sys_devloader},
	{&fs_fs_i, &o_fs, h_fs_fs, d_fs_fs},
};

static void objects(void)
{
	io_file_init(&o_file, &vt_file, 1);
	dev_serial_init(&o_serial, &vt_serial, 1);
	sys_devregistry_init(&o_devregistry, &vt_devregistry, 1);
	sys_devmgr_init(&o_devmgr, &vt_devmgr, 1);
	sys_process_init(&o_process, &vt_process, 1);
	sys_procmgr_init(&o_procmgr, &vt_procmgr, 1);
	sys_devloader_init(&o_devloader, &vt_devloader, 1);
	fs_fs_init(&o_fs, &vt_fs, 1);
}

/* ---- building a message, and what it should get ------------------------------------- */

static uint64_t some_word(void)
{
	static const uint64_t edge[] = {
		0, 1, 2, 3, 4, 5, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000,
		0xffffffff, 0x100000000, INT64_MAX, (uint64_t)INT64_MIN, UINT64_MAX, UINT64_MAX - 1,
		(uint64_t)-2, (uint64_t)(int64_t)INT32_MIN, (uint64_t)(int64_t)INT32_MIN - 1,
	};
	uint8_t t = take();
	switch (t & 3) {
	case 0: return t >> 2;
	case 1: return (uint64_t) - (int64_t)(t >> 2);
	case 2: return edge[(t >> 2) % N(edge)];
	default: return take64();
	}
}

/* The interface of obj_iface's chain a label names, or NULL. */
static const struct ispec *in_chain(const struct ispec *i, uint32_t id)
{
	for (; i; i = i->parent)
		if (i->id == id)
			return i;
	return NULL;
}

static void expect(int null_k)
{
	const struct ipc_msg *q = &cur.req;
	cur.iface = NULL;
	cur.m = NULL;
	/* A label above 48 bits is no label: malformed, not unknown. */
	if (q->nwords > IPC_MAX_WORDS || q->ncaps > IPC_MAX_CAPS || q->label > IPC_LABEL_MAX) {
		cur.expect = O_EPROTO;
		return;
	}
	cur.iface = in_chain(cur.obj_iface, IPC_LABEL_IFACE(q->label));
	unsigned n = IPC_LABEL_METHOD(q->label);
	if (!cur.iface || n > cur.iface->nmethods) {
		cur.expect = O_ENOSYS;
		return;
	}
	if (n == IPC_METHOD_DESCRIBE) {
		cur.expect = q->nwords == 0 && q->ncaps == 0 ? O_DESCRIBE : O_EPROTO;
		return;
	}
	const struct mspec *m = cur.m = &cur.iface->methods[n - 1];
	/* Each parameter in turn: a word, or a string (a length, then its
	 * bytes in as many words); and nothing after them. */
	bool ok = m->caplist ? q->ncaps >= m->ncaps : q->ncaps == m->ncaps;
	uint32_t w = 0;
	for (unsigned i = 0; ok && i < m->nparams; i++) {
		if (m->param[i] == T_STR255) {
			uint64_t len = w < q->nwords ? q->word[w] : UINT64_MAX;
			ok = len <= 255 && (len + 7) / 8 <= q->nwords - w - 1 &&
			     str_valid((const unsigned char *)&q->word[w + 1], (size_t)len) &&
			     pad_zero((const unsigned char *)&q->word[w + 1], (size_t)len);
			w += 1 + (uint32_t)((len + 7) / 8);
		} else {
			ok = w < q->nwords && word_valid(m->param[i], q->word[w]);
			w++;
		}
	}
	ok = ok && w == q->nwords;
	cur.expect = !ok ? O_EPROTO : entry_null(m, null_k) ? O_ENOSYS : O_CALL;
}

/* The reply to the message, against what was expected. */
static void check_outcome(const struct ipc_msg *r, const char *how)
{
	const char *what = cur.m ? cur.m->name : cur.iface ? cur.iface->name : "an unknown label";
	int64_t s = ipc_word_signed(r->label);
	switch (cur.expect) {
	case O_ENOSYS:
	case O_EPROTO: {
		int want = cur.expect == O_ENOSYS ? IPC_ENOSYS : IPC_EPROTO;
		if (s != want)
			fail("%s (%s, label 0x%llx, %u words, %u caps): status %lld, expected %s", what, how,
			     (unsigned long long)cur.req.label, cur.req.nwords, cur.req.ncaps, (long long)s,
			     ipc_status_name(want));
		return;
	}
	case O_DESCRIBE: {
		unsigned n = 0;
		for (const struct ispec *i = cur.iface; i; i = i->parent, n += 2)
			if (r->nwords < n + 2 || r->word[n] != i->id || r->word[n + 1] != i->abi)
				fail("%s describe: no (ID, ABI) of %s at word %u", how, i->name, n);
		if (s != 0 || r->nwords != n || r->ncaps != 0)
			fail("%s describe: status %lld, %u words, %u caps; expected 0, %u, 0", how,
			     (long long)s, r->nwords, r->ncaps, n);
		return;
	}
	case O_CALL:
		break;
	}
	const struct mspec *m = cur.m;
	if (cur.calls != 1)
		fail("%s: a valid request (%s) did not reach the implementation", m->name, how);
	if (cur.status == 0) {
		unsigned nw = m->ret != T_VOID;
		if (s != 0 || r->nwords != nw || r->ncaps != m->nout)
			fail("%s: success replied as status %lld, %u words, %u caps; expected 0, %u, %u",
			     m->name, (long long)s, r->nwords, r->ncaps, nw, m->nout);
		if (nw && r->word[0] != cur.result)
			fail("%s: result 0x%llx sent as 0x%llx", m->name, (unsigned long long)cur.result,
			     (unsigned long long)r->word[0]);
		for (unsigned i = 0; i < m->nout; i++)
			if (r->cap[i] != cur.out[i])
				fail("%s: returned capability %u is 0x%x, not 0x%x", m->name, i, r->cap[i], cur.out[i]);
	} else if (declared(m, cur.status) ? s != cur.status : s != IPC_EFAULT) {
		fail("%s: the implementation's status %d replied as %lld", m->name, cur.status, (long long)s);
	} else if (r->nwords || r->ncaps) {
		fail("%s: error %lld replied with %u words, %u caps", m->name, (long long)s, r->nwords, r->ncaps);
	}
}

/* Answers every deferred request through the generated NS_*_reply. */
static void answer_pending(void)
{
	for (unsigned k = 0; k < npend; k++) {
		const struct mspec *m = pend[k].m;
		uint8_t b = take();
		int st = b % 4 == 0 ? 0 : b % 4 == 1 ? IPC_EBUSY : b % 4 == 2 ? IPC_DEFERRED
		       : m->nerrs ? m->errs[(b >> 4) % m->nerrs] : 7;
		if (b % 8 >= 4)
			st = 0;
		ipc_cap out[2] = {IPC_CAP_NONE, IPC_CAP_NONE};
		/* With an error, a returned capability is still consumed (the
		 * generated reply releases it): pass a real one, or none. */
		if (st == 0 || (b & 0x80))
			for (unsigned i = 0; i < m->nout; i++)
				out[i] = cap_new(K_OUT, m->name);
		uint64_t v = st == 0 ? any_value(m->ret) : 0;
		answered = (struct ipc_msg){.label = 0xdead};
		replying = m;
		m->answer(pend[k].reply, st, out, v);
		int64_t s = ipc_word_signed(answered.label);
		if (st == 0) {
			unsigned nw = m->ret != T_VOID;
			if (s != 0 || answered.nwords != nw || answered.ncaps != m->nout ||
			    (nw && answered.word[0] != v))
				fail("%s_reply: success sent as status %lld, %u words, %u caps", m->name,
				     (long long)s, answered.nwords, answered.ncaps);
			for (unsigned i = 0; i < m->nout; i++)
				if (answered.cap[i] != out[i])
					fail("%s_reply: returned capability %u is 0x%x, not 0x%x", m->name, i,
					     answered.cap[i], out[i]);
		} else if (declared(m, st) ? s != st : s != IPC_EFAULT) {
			fail("%s_reply: status %d sent as %lld", m->name, st, (long long)s);
		}
	}
	npend = 0;
}

/* One message: build it, serve it, check the reply. */
static void one_message(void)
{
	const struct target *t = &targets[take() % N(targets)];
	uint8_t flags = take();
	int null_k = flags & 8 ? (flags >> 4) : -1;
	vtables(null_k);

	/* The label: any interface's method, describe, or one past the last. */
	uint8_t lb = take();
	struct ipc_msg *q = &cur.req;
	memset(q, 0, sizeof *q);
	if (lb == 0xff) {
		q->label = take64();
	} else {
		unsigned total = 0;
		for (unsigned i = 0; i < N(ifaces); i++)
			total += ifaces[i]->nmethods + 2;
		unsigned k = lb % total, i = 0;
		while (k >= ifaces[i]->nmethods + 2)
			k -= ifaces[i++]->nmethods + 2;
		q->label = IPC_LABEL(ifaces[i]->id, k);
	}
	/* Its own counts when the label is a method, or others. */
	const struct ispec *li = NULL;
	for (unsigned i = 0; i < N(ifaces); i++)
		if (ifaces[i]->id == IPC_LABEL_IFACE(q->label) && q->label <= IPC_LABEL_MAX)
			li = ifaces[i];
	unsigned n = IPC_LABEL_METHOD(q->label);
	const struct mspec *lm = li && n >= 1 && n <= li->nmethods ? &li->methods[n - 1] : NULL;
	uint8_t nw = take(), nc = take();
	unsigned fixed = lm ? lm->ncaps : 0;
	q->ncaps = nc % 4 < 2 ? fixed + (lm && lm->caplist ? (nc >> 2) % (IPC_MAX_CAPS + 1 - fixed) : 0)
	         : nc % 4 == 2 ? (nc >> 2) % (IPC_MAX_CAPS + 3) : nc & 4 ? UINT32_MAX : IPC_MAX_CAPS + 1;
	uint32_t w = 0;
	if (lm && nw % 4 < 2) {
		/* The method's own parameters: words, and strings as a length
		 * (0-127 or 200-327: both sides of the 255 limit) and bytes. */
		for (unsigned i = 0; i < lm->nparams && w < IPC_MAX_WORDS; i++) {
			if (lm->param[i] != T_STR255) {
				q->word[w++] = some_word();
				continue;
			}
			uint8_t t = take();
			size_t len = t & 0x80 ? 200 + (size_t)(t & 0x7f) : t;
			q->word[w++] = len;
			unsigned char *d = (unsigned char *)&q->word[w];
			size_t room = (IPC_MAX_WORDS - w) * 8;
			for (size_t k = 0; k < len; k++) {
				uint8_t c = take();
				if (k < room)
					d[k] = c;
			}
			w += (uint32_t)((len + 7) / 8);
			if (w > IPC_MAX_WORDS)
				w = IPC_MAX_WORDS;
		}
		q->nwords = nw % 4 == 0 || w == 0 ? w : w + (nw >> 2) % 3 - 1;   /* or one off */
	} else {
		q->nwords = lm ? lm->nparams : 0;
		if (nw % 4 == 2)
			q->nwords = (nw >> 2) % (IPC_MAX_WORDS + 3);
		else if (nw % 4 == 3)
			q->nwords = nw & 4 ? UINT32_MAX : IPC_MAX_WORDS + 1;
	}
	for (uint32_t i = w; i < IPC_MAX_WORDS; i++)
		q->word[i] = i < q->nwords ? some_word() : UINT64_C(0xabababababababab);
	/* Capabilities the transport delivered: every slot the count covers. */
	bool dispatching = flags & 1, recv_fails = dispatching && (flags & 2);
	for (uint32_t i = 0; i < IPC_MAX_CAPS; i++)
		q->cap[i] = i < q->ncaps && !recv_fails ? cap_new(K_REQ, lm ? lm->name : "a request")
		                                       : UINT32_C(0xdead0000) + i;

	cur.obj = t->obj;
	cur.obj_iface = t->iface;
	cur.calls = 0;
	cur.status = 0;
	cur.replied = false;
	cur.dispatching = dispatching;
	cur.recv_fails = recv_fails;
	cur.reply_fails = flags & 4;
	cur.reply = recv_fails ? IPC_CAP_NONE : cap_new(K_REPLY, "the request");
	cur.out[0] = cur.out[1] = IPC_CAP_NONE;
	unsigned pend_before = npend;
	expect(null_k);
	replying = cur.m;

	if (dispatching) {
		int st = t->dispatch(t->obj);
		if (recv_fails) {
			if (st != IPC_EPEER || cur.calls || cur.replied)
				fail("dispatch after a failed ipc_recv: %d, %u calls", st, cur.calls);
			return;
		}
		bool deferred = npend > pend_before;
		if (deferred) {
			if (cur.replied || st != 0)
				fail("dispatch of a deferred request: replied %d, returned %d", cur.replied, st);
		} else {
			if (!cur.replied)
				fail("dispatch returned %d without replying", st);
			if (st != (cur.reply_fails ? IPC_EPEER : 0))
				fail("dispatch returned %d; ipc_reply returned %d", st, cur.reply_fails ? IPC_EPEER : 0);
			check_outcome(&cur.sent, "dispatch");
		}
	} else {
		struct ipc_msg out;
		memset(&out, 0x5a, sizeof out);
		int st = t->handle(t->obj, q, &out);
		bool deferred = npend > pend_before;
		if (deferred) {
			if (st != IPC_DEFERRED)
				fail("handle of a deferred request returned %d", st);
		} else {
			if (st != 0)
				fail("handle returned %d for a request it answered", st);
			/* The runtime sends the reply: it takes the reply capability. */
			cap_release(cur.reply, "the reply");
			cur.reply = IPC_CAP_NONE;
			check_reply_msg(&out, "handle");
			check_outcome(&out, "handle");
		}
	}
	if (cur.reply != IPC_CAP_NONE)
		fail("the reply capability of a request was neither answered nor taken");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	in_p = data;
	in_end = data + size;
	ncaps = 0;
	npend = 0;
	next_id = 0x100;
	objects();
	for (int i = 0; i < 16 && in_p < in_end; i++) {
		one_message();
		if (take() & 1)
			answer_pending();
	}
	answer_pending();
	ledger_check();
	return 0;
}
