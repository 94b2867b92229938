/*
 * ool_store.h: an ool::store server for the out-of-line tests, written
 * against the generated ool.h and nothing else, so that it runs on either
 * port (tests/mercury/ool.c boots it on the kernel).  Include it after
 * ool.h, having defined
 *   static uint32_t store_fds(void);   what the server counts as open
 *                                      (descriptors, capability slots)
 * It keeps what put gave, answers later through the reply function, and
 * counts what drop saw.
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

static const struct ool_store_iface store_impl = {
	.put = srv_put, .get = srv_get, .echo = srv_echo, .later = srv_later, .drop = srv_drop,
	.count = srv_count, .fds = srv_fds, .caps = srv_caps,
};
