/* Helpers a protocol may leave unused. */
#define FZ_FN static __attribute__((unused))

/* ---- the input --------------------------------------------------------------- */

static const uint8_t *fz_p, *fz_end;

FZ_FN uint8_t fz_byte(void)
{
	return fz_p < fz_end ? *fz_p++ : 0;
}

FZ_FN uint64_t fz_raw(void)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | fz_byte();
	return v;
}

/* A word worth trying: small, negative, on a boundary, or any. */
FZ_FN uint64_t fz_word(void)
{
	static const uint64_t edge[16] = {
		0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x7fffffff,
		0x80000000, 0xffffffff, 0x100000000, 0x7fffffffffffffff,
		0x8000000000000000, 0xffffffffffffffff,
	};
	uint8_t b = fz_byte();
	switch (b & 3) {
	case 0: return b >> 2;
	case 1: return (uint64_t)0 - (b >> 2);
	case 2: return edge[(b >> 2) % 16];
	default: return fz_raw();
	}
}

FZ_FN void fz_fill(void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		((uint8_t *)p)[i] = fz_byte();
}

static _Noreturn void fz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fz_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("==ipcgen-fuzz== ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

/* ---- the capability ledger: every capability is released exactly once ----------- */

enum { FZ_REQ, FZ_OUT, FZ_REPLY };
static const char *const fz_kind[] = {"request capability", "returned capability", "reply capability"};

#define FZ_MAX 4096
#define FZ_BASE 0x1000u
static struct { uint8_t kind, released; } fz_caps[FZ_MAX];
static unsigned fz_ncaps;

FZ_FN ipc_cap fz_new(int kind)
{
	if (fz_ncaps == FZ_MAX)
		fz_fail("the ledger is full");
	fz_caps[fz_ncaps].kind = (uint8_t)kind;
	fz_caps[fz_ncaps].released = 0;
	return FZ_BASE + fz_ncaps++;
}

FZ_FN void fz_release(ipc_cap c, const char *how)
{
	if (c < FZ_BASE || c - FZ_BASE >= fz_ncaps)
		fz_fail("%s of capability 0x%x, which nobody held", how, c);
	if (++fz_caps[c - FZ_BASE].released > 1)
		fz_fail("%s of %s 0x%x: released twice", how, fz_kind[fz_caps[c - FZ_BASE].kind], c);
}

FZ_FN void fz_ledger(void)
{
	for (unsigned i = 0; i < fz_ncaps; i++)
		if (fz_caps[i].released != 1)
			fz_fail("%s 0x%x was never released (a leak)", fz_kind[fz_caps[i].kind], FZ_BASE + i);
}

/* ---- the request in hand, and the errors each method declares --------------------- */

struct fzmethod {
	uint64_t label;
	const int *errs;
	unsigned nerrs;
	uint32_t nwords, ncaps;   /* the request's own counts (fixed parts) */
	bool caplist;             /* then a list of capabilities */
};

static struct ipc_msg fz_req;
static ipc_cap fz_replycap = IPC_CAP_NONE;  /* the current reply */
static bool fz_recvfailed;
static const struct fzmethod *fz_answering;  /* the method a deferred answer is for */

static const struct fzmethod *fz_method(uint64_t label);

FZ_FN bool fz_declared(const struct fzmethod *m, int64_t st)
{
	for (unsigned i = 0; m && i < m->nerrs; i++)
		if (m->errs[i] == st || ((m->errs[i] & 0xffff) == 0 && st > 0 && st >> 16 == m->errs[i] >> 16 &&
		                         (st & 0xffff) != 0))
			return true;
	return false;
}

/* A reply leaving the server: a status the call may give, well formed, its
 * capabilities moved out of the server. */
FZ_FN void fz_checkreply(const struct ipc_msg *m, const struct fzmethod *meth, const char *who)
{
	int64_t s = ipc_word_signed(m->label);
	if (!(s == 0 || (s < 0 && s >= INT32_MIN && ipc_status_name((int)s)) || fz_declared(meth, s)))
		fz_fail("%s: status %lld is neither 0, a transport status nor a declared error", who,
		        (long long)s);
	if (m->nwords > IPC_MAX_WORDS || m->ncaps > IPC_MAX_CAPS)
		fz_fail("%s: %u words and %u capabilities", who, m->nwords, m->ncaps);
	if (s != 0 && (m->nwords || m->ncaps))
		fz_fail("%s: an error (%lld) with %u words and %u capabilities", who, (long long)s,
		        m->nwords, m->ncaps);
	for (uint32_t i = 0; i < m->ncaps; i++) {
		if (m->cap[i] >= FZ_BASE && m->cap[i] - FZ_BASE < fz_ncaps &&
		    fz_caps[m->cap[i] - FZ_BASE].kind != FZ_OUT)
			fz_fail("%s: the reply carries the %s 0x%x", who,
			        fz_kind[fz_caps[m->cap[i] - FZ_BASE].kind], m->cap[i]);
		fz_release(m->cap[i], who);
	}
}

/* A request that reached the implementation must be the one encoding of the
 * values it was called with: encoded again (enc, nwords words, ncaps
 * capabilities), they give the request back. */
FZ_FN void fz_canonical(const struct ipc_msg *enc, uint32_t nwords, size_t ncaps)
{
	if (nwords != fz_req.nwords || ncaps != fz_req.ncaps ||
	    (nwords && memcmp(enc->word, fz_req.word, nwords * sizeof enc->word[0]) != 0))
		fz_fail("request 0x%llx (%u words, %u capabilities) was accepted, but it is not "
		        "the encoding of the values it gave (%u words, %zu capabilities)",
		        (unsigned long long)fz_req.label, fz_req.nwords, fz_req.ncaps, nwords, ncaps);
}

/* ---- the transport, faked ------------------------------------------------------------ */

int ipc_cap_drop(ipc_cap cap)
{
	if (cap == IPC_CAP_NONE)
		return IPC_EBADCAP;
	fz_release(cap, "ipc_cap_drop");
	return 0;
}

int ipc_call(ipc_cap ep, struct ipc_msg *msg)
{
	(void)ep;
	(void)msg;
	fz_fail("a server called ipc_call");
}

int ipc_send(ipc_cap ep, struct ipc_msg *msg)
{
	(void)ep;
	(void)msg;
	fz_fail("a server called ipc_send");
}

int ipc_recv(ipc_cap ep, struct ipc_msg *msg)
{
	(void)ep;
	if (fz_recvfailed)
		return IPC_EPEER;
	*msg = fz_req;
	return 0;
}

int ipc_reply(struct ipc_msg *msg)
{
	if (fz_replycap == IPC_CAP_NONE)
		fz_fail("ipc_reply with no current reply");
	fz_release(fz_replycap, "ipc_reply");
	fz_replycap = IPC_CAP_NONE;
	fz_checkreply(msg, fz_method(fz_req.label), "ipc_reply");
	return fz_byte() & 1 ? IPC_EPEER : 0;
}

int ipc_reply_save(ipc_cap *reply)
{
	if (fz_replycap == IPC_CAP_NONE)
		return IPC_EINVAL;
	*reply = fz_replycap;
	fz_replycap = IPC_CAP_NONE;
	return 0;
}

int ipc_reply_to(ipc_cap reply, struct ipc_msg *msg)
{
	if (reply < FZ_BASE || reply - FZ_BASE >= fz_ncaps || fz_caps[reply - FZ_BASE].kind != FZ_REPLY)
		fz_fail("ipc_reply_to on 0x%x, not a reply capability", reply);
	fz_release(reply, "ipc_reply_to");
	fz_checkreply(msg, fz_answering, "ipc_reply_to");
	return fz_byte() & 1 ? IPC_EPEER : 0;
}

/* Out-of-line regions: those a server makes are capabilities the ledger
 * follows like any other; the fuzzer cannot make one, so a request that
 * claims one is refused where its region is mapped. */
int ipc_ool_alloc(size_t n, struct ipc_ool *o)
{
	*o = (struct ipc_ool)IPC_OOL_INIT;
	if (!(o->addr = calloc(n ? n : 1, 1)))   /* zeroed, as a port's */
		return IPC_ENOMEM;
	o->size = n;
	o->own = true;
	return 0;
}

int ipc_ool_seal(struct ipc_ool *o, size_t len, ipc_cap *cap)
{
	(void)len;
	ipc_ool_free(o);
	*cap = fz_new(FZ_OUT);
	return 0;
}

int ipc_ool_put(const void *data, size_t len, ipc_cap *cap)
{
	(void)data, (void)len;
	*cap = fz_new(FZ_OUT);
	return 0;
}

int ipc_ool_map(ipc_cap cap, size_t len, struct ipc_ool *o)
{
	(void)cap, (void)len;
	*o = (struct ipc_ool)IPC_OOL_INIT;
	return IPC_EPROTO;
}

int ipc_ool_read(ipc_cap cap, void *buf, size_t len)
{
	(void)cap, (void)buf, (void)len;
	return IPC_EPROTO;
}

void ipc_ool_free(struct ipc_ool *o)
{
	if (o->own)
		free(o->addr);
	*o = (struct ipc_ool)IPC_OOL_INIT;
}

/* ---- what every stub implementation does ------------------------------------------------ */

/* The implementation owns the capabilities it was given: it releases them. */
FZ_FN void fz_take(const ipc_cap *caps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ipc_cap_drop(caps[i]);
}

#define FZ_DEFER 0x7ffffffe

/* The status a stub returns: mostly success; a declared error; a transport
 * status or any number (both undeclared: the server must fault); or defer. */
FZ_FN int fz_status(const int *errs, unsigned nerrs, bool may_defer)
{
	uint8_t b = fz_byte();
	switch (b % 8) {
	case 4: return nerrs && (b & 8) ? errs[(b >> 4) % nerrs] : 1 + (b >> 4);
	case 5: return -(int)(1 + (b >> 3) % 13);
	case 6: {
		int st = (int)(uint32_t)fz_raw();
		return st == 0 || st == IPC_DEFERRED || st == FZ_DEFER ? INT32_MAX : st;
	}
	case 7: return may_defer ? FZ_DEFER : 0;
	default: return 0;
	}
}

/* Deferred requests, answered once the message that deferred them is served. */
static struct { void (*answer)(ipc_cap); ipc_cap reply; } fz_pending[64];
static unsigned fz_npending;

FZ_FN int fz_defer(void (*answer)(ipc_cap))
{
	ipc_cap r;
	if (ipc_reply_save(&r) != 0)
		fz_fail("ipc_reply_save failed with a request in hand");
	if (fz_npending == 64)
		fz_fail("too many deferred requests");
	fz_pending[fz_npending].answer = answer;
	fz_pending[fz_npending++].reply = r;
	return IPC_DEFERRED;
}

/* A string an implementation makes: up to max bytes, any of them. */
FZ_FN void fz_string(char *s, size_t max)
{
	size_t n = fz_byte() % (max + 1);
	fz_fill(s, n);
	s[n] = 0;
}

/* Builds the next request from the input: a label among those given (or
 * any), word and capability counts (up to past the limits), words. */
FZ_FN void fz_build(const uint64_t *labels, unsigned nlabels)
{
	uint8_t b = fz_byte();
	fz_req.label = b < 0xf0 ? labels[b % nlabels] : fz_raw();
	/* Mostly the method's own shape, so that requests reach the
	 * implementation; sometimes any counts, up to past the limits. */
	const struct fzmethod *m = fz_method(fz_req.label);
	uint8_t shape = fz_byte();
	fz_req.nwords = m && (shape & 3) ? m->nwords : (uint32_t)((fz_byte() << 8 | fz_byte()) % (IPC_MAX_WORDS + 3));
	for (uint32_t i = 0; i < fz_req.nwords && i < IPC_MAX_WORDS; i++)
		fz_req.word[i] = fz_word();
	if (m && (shape & 12))
		fz_req.ncaps = m->ncaps + (m->caplist ? fz_byte() % (IPC_MAX_CAPS + 1 - m->ncaps) : 0);
	else
		fz_req.ncaps = fz_byte() % (IPC_MAX_CAPS + 3);
	for (uint32_t i = 0; i < fz_req.ncaps && i < IPC_MAX_CAPS; i++)
		fz_req.cap[i] = fz_new(FZ_REQ);
	fz_replycap = fz_new(FZ_REPLY);
}

/* Dispatching: sometimes the receive fails, and the request's capabilities
 * (and its reply) never reach the server. */
FZ_FN bool fz_recvfails(void)
{
	fz_recvfailed = (fz_byte() & 0x1f) == 0;
	if (fz_recvfailed)
		for (uint32_t i = 0; i < fz_req.ncaps && i < IPC_MAX_CAPS; i++)
			fz_release(fz_req.cap[i], "the failed receive");
	return fz_recvfailed;
}

/* After a request: the reply it did not take is the transport's, then the
 * deferred ones are answered. */
FZ_FN void fz_finish(void)
{
	if (fz_replycap != IPC_CAP_NONE) {
		fz_release(fz_replycap, "the transport");
		fz_replycap = IPC_CAP_NONE;
	}
	for (unsigned i = 0; i < fz_npending; i++)
		fz_pending[i].answer(fz_pending[i].reply);
	fz_npending = 0;
}
