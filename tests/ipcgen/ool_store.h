/*
 * ool_store.h: the ool::store server of the out-of-line tests, every
 * method of tests/ipcgen/ok/ool.ipc, written against the generated ool.h
 * and the C library's mem*, strlen, strcmp, malloc and free only, so that
 * it runs on either port: check_ool.c serves it from a child process on
 * POSIX, tests/mercury/ool.c from a thread on the kernel.  Include it
 * after ool.h, having defined
 *   static uint32_t store_fds(void);   what the server counts as open
 *                                      (descriptors, capability slots)
 * It keeps what put gave, sends back what the others were given (later,
 * items_later and a blob named "later" through the reply function), and
 * counts what drop, sink and blob_sink saw.  Last, what the clients of
 * both tests send: items, blobs (and their words), and a put made by hand.
 */
static uint32_t store_fds(void);

static uint8_t *kept;
static size_t nkept;
static uint64_t dropped;

static int srv_put(struct ool_store *self, const char *name, const uint8_t *data, size_t ndata,
                   uint32_t *result)
{
	(void)self, (void)name;
	free(kept);
	kept = malloc(ndata ? ndata : 1);
	if (!kept)
		return IPC_ENOMEM;
	memcpy(kept, data, ndata);
	nkept = ndata;
	*result = (uint32_t)ndata;
	return 0;
}

static int srv_get(struct ool_store *self, const char *name, uint32_t n, uint8_t *result,
                   size_t *nresult)
{
	(void)self;
	if (strcmp(name, "missing") == 0)
		return OOL_ERR_MISSING;
	if (n > OOL_BIG) {           /* claims more than the bound: the server's fault */
		*nresult = n;
		return 0;
	}
	size_t len = n < nkept ? n : nkept;
	memcpy(result, kept, len);
	*nresult = len;
	return 0;
}

static int srv_echo(struct ool_store *self, const char *s, char *result)
{
	(void)self;
	memcpy(result, s, strlen(s) + 1);
	return 0;
}

static int srv_later(struct ool_store *self, const uint8_t *data, size_t ndata, uint8_t *result,
                     size_t *nresult)
{
	(void)self, (void)result, (void)nresult;
	ipc_cap r;
	int st = ipc_reply_save(&r);
	if (st != 0)
		return st;
	ool_store_later_reply(r, 0, data, ndata);
	return IPC_DEFERRED;
}

static void srv_drop(struct ool_store *self, const uint8_t *data, size_t ndata)
{
	(void)self, (void)data;
	dropped += ndata;
}

static int srv_count(struct ool_store *self, uint64_t *result)
{
	(void)self;
	*result = dropped;
	return 0;
}

static int srv_fds(struct ool_store *self, uint32_t *result)
{
	(void)self;
	*result = store_fds();
	return 0;
}

static int srv_caps(struct ool_store *self, const ipc_cap *fds, size_t nfds, const uint8_t *data,
                    size_t ndata, ipc_cap *back, size_t *nback, uint8_t *result, size_t *nresult)
{
	(void)self;
	memcpy(back, fds, nfds * sizeof *fds);
	*nback = nfds;
	memcpy(result, data, ndata);
	*nresult = ndata;
	return 0;
}

static int srv_nums(struct ool_store *self, const uint32_t *v, size_t nv, uint32_t *result,
                    size_t *nresult)
{
	(void)self;
	memcpy(result, v, nv * sizeof *v);
	*nresult = nv;
	return 0;
}

/* got: v as it came; n: the sum of the ids.  tag 1: a count past the
 * bound, the server's fault; tag 2: a bad element, likewise. */
static int srv_items(struct ool_store *self, const struct ool_item *v, size_t nv, uint32_t tag,
                     struct ool_item *got, size_t *ngot, uint64_t *n)
{
	(void)self;
	memcpy(got, v, nv * sizeof *v);
	*ngot = tag == 1 ? 20001 : nv;
	if (tag == 2 && nv)
		got[nv - 1].color = (enum ool_color)7;
	*n = 0;
	for (size_t i = 0; i < nv; i++)
		*n += v[i].id;
	return 0;
}

static int srv_names(struct ool_store *self, const char *const *v, size_t nv, char (*result)[101],
                     size_t *nresult)
{
	(void)self;
	for (size_t i = 0; i < nv; i++)
		memcpy(result[i], v[i], strlen(v[i]) + 1);
	*nresult = nv;
	return 0;
}

static int srv_items_later(struct ool_store *self, const struct ool_item *v, size_t nv,
                           struct ool_item *result, size_t *nresult)
{
	(void)self, (void)result, (void)nresult;
	ipc_cap r;
	int st = ipc_reply_save(&r);
	if (st != 0)
		return st;
	ool_store_items_later_reply(r, 0, v, nv);
	return IPC_DEFERRED;
}

static void srv_sink(struct ool_store *self, const struct ool_item *v, size_t nv)
{
	(void)self, (void)v;
	dropped += nv;
}

static int srv_pair(struct ool_store *self, const uint32_t *a, size_t na, const uint32_t *b,
                    size_t nb, uint64_t *result)
{
	(void)self;
	*result = 0;
	for (size_t i = 0; i < na; i++)
		*result += a[i];
	for (size_t i = 0; i < nb; i++)
		*result += b[i];
	return 0;
}

/* b back; named "later", through the reply function; "fault", with its
 * data's length past the bound (the server's fault). */
static int srv_blob(struct ool_store *self, const struct ool_blob *b, struct ool_blob *result)
{
	(void)self;
	if (strcmp(b->name, "later") == 0) {
		ipc_cap r;
		int st = ipc_reply_save(&r);
		if (st != 0)
			return st;
		ool_store_blob_reply(r, 0, b);
		return IPC_DEFERRED;
	}
	memcpy(result, b, sizeof *b);
	if (strcmp(b->name, "fault") == 0)
		result->ndata = sizeof b->data + 1;
	return 0;
}

static int srv_huge(struct ool_store *self, const struct ool_huge *h, struct ool_huge *result)
{
	(void)self;
	result->id = h->id;
	memcpy(result->data, h->data, h->ndata);
	result->ndata = h->ndata;
	return 0;
}

static int srv_maybe(struct ool_store *self, const uint8_t *v, size_t nv, bool *has_result,
                     uint8_t *result, size_t *nresult)
{
	(void)self;
	*has_result = v != NULL;
	if (v)
		memcpy(result, v, nv);
	*nresult = nv;
	return 0;
}

static int srv_opt(struct ool_store *self, const struct ool_blob *b, const uint32_t *v, size_t nv,
                   bool *has_rb, struct ool_blob *rb, bool *has_rv, uint32_t *rv, size_t *nrv)
{
	(void)self;
	*has_rb = b != NULL;
	if (b)
		memcpy(rb, b, sizeof *b);
	*has_rv = v != NULL;
	if (v)
		memcpy(rv, v, nv * sizeof *v);
	*nrv = nv;
	return 0;
}

static int srv_blobs(struct ool_store *self, const struct ool_blob *v, size_t nv,
                     struct ool_blob *result, size_t *nresult)
{
	(void)self;
	memcpy(result, v, nv * sizeof *v);
	*nresult = nv;
	return 0;
}

static int srv_mixed(struct ool_store *self, uint32_t tag, const struct ool_blob *b,
                     const uint8_t *data, size_t ndata, struct ool_blob *rb, uint64_t *n)
{
	(void)self, (void)data;
	memcpy(rb, b, sizeof *b);
	*n = tag + ndata;
	return 0;
}

static void srv_blob_sink(struct ool_store *self, const struct ool_blob *b)
{
	(void)self;
	dropped += b->ndata;
}

static const struct ool_store_iface store_impl = {
	.put = srv_put, .get = srv_get, .echo = srv_echo, .later = srv_later, .drop = srv_drop,
	.count = srv_count, .fds = srv_fds, .caps = srv_caps, .nums = srv_nums, .items = srv_items,
	.names = srv_names, .items_later = srv_items_later, .sink = srv_sink, .pair = srv_pair,
	.blob = srv_blob, .huge = srv_huge, .maybe = srv_maybe, .opt = srv_opt, .blobs = srv_blobs,
	.mixed = srv_mixed, .blob_sink = srv_blob_sink,
};

/* ---- the clients' items ------------------------------------------------------------ */

/* Items of 9 words each (an id, an 8-byte name, two tags, no note, a
 * colour, a permission) but, unless uniform, every seventh, which has a
 * note (2 more). */
static inline void fill_items(struct ool_item *v, size_t n, bool uniform)
{
	memset(v, 0, n * sizeof *v);
	for (size_t i = 0; i < n; i++) {
		v[i].id = i + 1;
		memcpy(v[i].name, "item0000", 9);
		for (size_t k = i % 10000, d = 7; k; k /= 10, d--)
			v[i].name[d] = (char)('0' + k % 10);
		v[i].tags[0] = (uint16_t)i;
		v[i].tags[1] = (uint16_t)(i >> 16);
		v[i].ntags = 2;
		v[i].has_note = !uniform && i % 7 == 0;
		if (v[i].has_note)
			memcpy(v[i].note, "n", 2);
		v[i].color = (enum ool_color)(i % 3);
		v[i].perm = (ool_perm)(i % 4);
	}
}

static inline bool same_items(const struct ool_item *a, const struct ool_item *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i].id != b[i].id || strcmp(a[i].name, b[i].name) != 0 || a[i].ntags != b[i].ntags ||
		    memcmp(a[i].tags, b[i].tags, a[i].ntags * sizeof a[i].tags[0]) != 0 ||
		    a[i].has_note != b[i].has_note || (a[i].has_note && strcmp(a[i].note, b[i].note) != 0) ||
		    a[i].color != b[i].color || a[i].perm != b[i].perm)
			return false;
	return true;
}

/* ---- the clients' blobs ------------------------------------------------------------ */

/* A blob named name with n bytes of data (byte i: i * 131 + seed), at b. */
static inline void blob_fill(struct ool_blob *b, const char *name, size_t n, unsigned seed)
{
	memset(b, 0, sizeof *b);
	memcpy(b->name, name, strlen(name) + 1);
	for (size_t i = 0; i < n; i++)
		b->data[i] = (uint8_t)(i * 131 + seed);
	b->ndata = n;
}

static inline bool same_blob(const struct ool_blob *a, const struct ool_blob *b)
{
	return strcmp(a->name, b->name) == 0 && a->ndata == b->ndata &&
	       memcmp(a->data, b->data, a->ndata) == 0;
}

/* The words of a blob named name with n bytes of data (seed 1), as a
 * message would hold them, into w (room words): their count, 0 if they
 * do not fit. */
static inline size_t blob_words(uint64_t *w, size_t room, const char *name, size_t n)
{
	struct ool_blob *b = malloc(sizeof *b);   /* 64 KiB of data: not the stack */
	uint32_t nw = 0;
	if (b) {
		blob_fill(b, name, n, 1);
		struct ipc_words c = {w, (uint32_t)room};
		if (!ool_blob_put_words(&c, &nw, b))
			nw = 0;
		free(b);
	}
	return nw;
}

/* put("k", data) by hand on ep: its length word lw, the region r (or
 * none); the reply's status. */
static inline int raw_put(ipc_cap ep, uint64_t lw, ipc_cap r)
{
	struct ipc_msg m;
	ipc_msg_init(&m, OOL_STORE_PUT, 3, r == IPC_CAP_NONE ? 0 : 1);
	m.word[0] = 1;
	m.word[1] = 'k';
	m.word[2] = lw;
	m.cap[0] = r;
	int st = ipc_call(ep, &m);
	if (st != 0)
		return st;
	ipc_drop_caps(m.cap, m.ncaps, 0);
	return (int)ipc_word_signed(m.label);
}
