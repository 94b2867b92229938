/*
 * table_split.h: the split form of table::squares' calls, written by hand
 * as ipcgen will emit it (the generated split form is not there yet).  Per
 * call, three functions and a callback type, each a few lines over the
 * runtime's asynchronous calls (mercury_ipc(3)):
 *
 *   NS_IFACE_CALL_start   marshal as the synchronous stub does, then
 *                         ipc_call_start: returns at once with a handle
 *   NS_IFACE_CALL_finish  ipc_call_wait on the handle, then the same checks
 *                         and decoding as the synchronous stub
 *   NS_IFACE_CALL_async   marshal, then ipc_call_start_cb: the typed
 *                         callback runs from ipc_call_dispatch
 *
 * The decoding is the synchronous stub's, moved into a function of its own
 * that finish and the callback's trampoline share.
 */
#ifndef TABLE_SPLIT_H
#define TABLE_SPLIT_H

#include "table.h"

/* square --------------------------------------------------------------- */

typedef void table_squares_square_done(void *arg, int status, uint64_t result);

static inline void table_squares_square_put(struct ipc_msg *m, uint64_t x)
{
	ipc_msg_init(m, TABLE_SQUARES_SQUARE, 1, 0);
	m->word[0] = x;
}

static inline int table_squares_square_get(int st, struct ipc_msg *m, uint64_t *result)
{
	if (st != 0 || (st = ipc_reply_check(m, 1, 1, 0, 0)) != 0)
		return st > 0 ? IPC_EPROTO : st;
	return ipc_dec_u64(m->word[0], result) ? 0 : IPC_EPROTO;
}

static inline int table_squares_square_start(ipc_cap ep, uint64_t x, int timeout_ms,
                                             ipc_call_t *call)
{
	struct ipc_msg m;
	table_squares_square_put(&m, x);
	return ipc_call_start(ep, &m, timeout_ms, call);
}

static inline int table_squares_square_finish(ipc_cap ep, ipc_call_t call, int timeout_ms,
                                              uint64_t *result)
{
	struct ipc_msg m;
	int st = ipc_call_wait(ep, call, &m, timeout_ms);
	return st == IPC_EAGAIN ? st : table_squares_square_get(st, &m, result);
}

static inline void table_squares_square_done_(int st, struct ipc_msg *m, ipc_fn fn, void *arg)
{
	uint64_t result = 0;
	st = table_squares_square_get(st, m, &result);
	((table_squares_square_done *)fn)(arg, st, result);
}

static inline int table_squares_square_async(ipc_cap ep, uint64_t x, int timeout_ms,
                                             table_squares_square_done *done, void *arg,
                                             ipc_call_t *call)
{
	struct ipc_msg m;
	table_squares_square_put(&m, x);
	return ipc_call_start_cb(ep, &m, timeout_ms, table_squares_square_done_, (ipc_fn)done,
	                         arg, call);
}

/* later ---------------------------------------------------------------- */

typedef void table_squares_later_done(void *arg, int status, uint64_t result);

static inline void table_squares_later_put(struct ipc_msg *m, uint64_t x, uint32_t ms)
{
	ipc_msg_init(m, TABLE_SQUARES_LATER, 2, 0);
	m->word[0] = x;
	m->word[1] = ms;
}

static inline void table_squares_later_done_(int st, struct ipc_msg *m, ipc_fn fn, void *arg)
{
	uint64_t result = 0;
	st = table_squares_square_get(st, m, &result); /* the same reply shape */
	((table_squares_later_done *)fn)(arg, st, result);
}

static inline int table_squares_later_async(ipc_cap ep, uint64_t x, uint32_t ms, int timeout_ms,
                                            table_squares_later_done *done, void *arg,
                                            ipc_call_t *call)
{
	struct ipc_msg m;
	table_squares_later_put(&m, x, ms);
	return ipc_call_start_cb(ep, &m, timeout_ms, table_squares_later_done_, (ipc_fn)done,
	                         arg, call);
}

#endif
