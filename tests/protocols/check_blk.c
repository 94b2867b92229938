/*
 * check_blk.c: tests/protocols/blk.ipc end to end over the POSIX port.  Two
 * RAM disks, each served by a child process: a writable one with a bad
 * block, and a write-protected one with fewer features.  Whole blocks are
 * written and read back, batches of flush/trim/write-zeroes/verify are
 * checked completion by completion (VERIFY's CRC-32 against the client's
 * own), trim with and without ranges, every error, hostile encodings.
 */
#include <stdio.h>
#include <unistd.h>

#include "harness.h"
#include "blk.h"

/* ---- the server: a RAM disk ------------------------------------------------------- */

#define NBLOCKS 64
#define BAD_LBA 13

static uint8_t disk[NBLOCKS][BLK_BLOCK_SIZE];
static bool bad[NBLOCKS];
static struct blk_geometry geo;

static uint32_t crc32(uint32_t crc, const uint8_t *p, size_t n)
{
	crc = ~crc;
	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = crc >> 1 ^ (0xedb88320u & -(crc & 1));
	}
	return ~crc;
}

static bool in_range(uint64_t lba, uint64_t count)
{
	return lba < NBLOCKS && count <= NBLOCKS - lba;
}

static int dev_geometry(struct blk_device *self, struct blk_geometry *result)
{
	(void)self;
	*result = geo;
	return 0;
}

static int dev_read(struct blk_device *self, uint64_t lba, blk_io_flags flags, uint8_t *result,
                    size_t *nresult)
{
	(void)self;
	(void)flags;
	if (lba >= NBLOCKS)
		return BLK_ERR_OUT_OF_RANGE;
	if (bad[lba])
		return BLK_ERR_MEDIA;
	memcpy(result, disk[lba], BLK_BLOCK_SIZE);
	*nresult = BLK_BLOCK_SIZE;
	return 0;
}

static int dev_write(struct blk_device *self, uint64_t lba, const uint8_t *data, size_t ndata,
                     blk_io_flags flags)
{
	(void)self;
	if (geo.features & BLK_FEATURES_READ_ONLY)
		return BLK_ERR_READ_ONLY;
	if (lba >= NBLOCKS)
		return BLK_ERR_OUT_OF_RANGE;
	if (ndata != BLK_BLOCK_SIZE || ((flags & BLK_IO_FLAGS_FUA) && !(geo.features & BLK_FEATURES_FUA)))
		return BLK_ERR_INVALID;
	memcpy(disk[lba], data, BLK_BLOCK_SIZE);
	bad[lba] = false;                 /* a write remaps a bad block */
	return 0;
}

static enum blk_outcome run(const struct blk_request *r, struct blk_completion *c)
{
	bool ro = geo.features & BLK_FEATURES_READ_ONLY;
	c->tag = r->tag;
	c->has_crc = c->has_bad_lba = false;
	if (r->op == BLK_OP_FLUSH)
		return BLK_OUTCOME_OK;
	if (!in_range(r->lba, r->count) || r->count == 0)
		return BLK_OUTCOME_OUT_OF_RANGE;
	switch (r->op) {
	case BLK_OP_TRIM:
	case BLK_OP_WRITE_ZEROES:
		if (ro)
			return BLK_OUTCOME_READ_ONLY;
		if (!(geo.features & (r->op == BLK_OP_TRIM ? BLK_FEATURES_TRIM : BLK_FEATURES_WRITE_ZEROES)))
			return BLK_OUTCOME_UNSUPPORTED;
		for (uint64_t b = r->lba; b < r->lba + r->count; b++) {
			memset(disk[b], 0, BLK_BLOCK_SIZE);
			bad[b] = false;
		}
		return BLK_OUTCOME_OK;
	case BLK_OP_VERIFY: {
		uint32_t crc = 0;
		for (uint64_t b = r->lba; b < r->lba + r->count; b++) {
			if (bad[b]) {
				c->has_bad_lba = true;
				c->bad_lba = b;
				return BLK_OUTCOME_MEDIA;
			}
			crc = crc32(crc, disk[b], BLK_BLOCK_SIZE);
		}
		c->has_crc = true;
		c->crc = crc;
		return BLK_OUTCOME_OK;
	}
	default:
		return BLK_OUTCOME_UNSUPPORTED;
	}
}

static int dev_submit(struct blk_device *self, const struct blk_request *reqs, size_t nreqs,
                      struct blk_completion *done, size_t *ndone, uint32_t *failed)
{
	(void)self;
	if (nreqs == 0)
		return BLK_ERR_INVALID;
	for (size_t i = 0; i < nreqs; i++)            /* tags name one request each */
		for (size_t j = 0; j < i; j++)
			if (reqs[i].tag == reqs[j].tag)
				return BLK_ERR_INVALID;
	*failed = 0;
	for (size_t i = 0; i < nreqs; i++) {
		done[i].outcome = run(&reqs[i], &done[i]);
		*failed += done[i].outcome != BLK_OUTCOME_OK;
	}
	*ndone = nreqs;
	return 0;
}

static int dev_trim(struct blk_device *self, const struct blk_range *ranges, size_t nranges,
                    uint64_t *result)
{
	(void)self;
	if (geo.features & BLK_FEATURES_READ_ONLY)
		return BLK_ERR_READ_ONLY;
	if (!(geo.features & BLK_FEATURES_TRIM))
		return BLK_ERR_INVALID;
	struct blk_range all = {.lba = 0, .count = NBLOCKS};
	if (!ranges) {
		ranges = &all;
		nranges = 1;
	}
	bool hit[NBLOCKS] = {false};
	for (size_t i = 0; i < nranges; i++) {           /* all or nothing */
		if (ranges[i].count == 0)
			return BLK_ERR_INVALID;
		if (!in_range(ranges[i].lba, ranges[i].count))
			return BLK_ERR_OUT_OF_RANGE;
		for (uint64_t b = ranges[i].lba; b < ranges[i].lba + ranges[i].count; b++) {
			if (hit[b])
				return BLK_ERR_INVALID;         /* ranges overlap */
			hit[b] = true;
		}
	}
	*result = 0;
	for (size_t b = 0; b < NBLOCKS; b++)
		if (hit[b]) {
			memset(disk[b], 0, BLK_BLOCK_SIZE);
			bad[b] = false;
			++*result;
		}
	return 0;
}

static int dev_flush(struct blk_device *self)
{
	(void)self;
	return 0;
}

static const struct blk_device_iface impl = {
	.geometry = dev_geometry,
	.read = dev_read,
	.write = dev_write,
	.submit = dev_submit,
	.trim = dev_trim,
	.flush = dev_flush,
};

static pid_t spawn(bool protect, ipc_cap *conn, ipc_cap inherited)
{
	ipc_cap ep;
	ck_assert_int_eq(ipc_posix_endpoint(&ep), 0);
	ck_assert_int_eq(ipc_posix_connection(ep, conn), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		ipc_cap_drop(*conn);
		if (inherited != IPC_CAP_NONE)
			ipc_cap_drop(inherited);
		for (size_t b = 0; b < NBLOCKS; b++)
			for (size_t i = 0; i < BLK_BLOCK_SIZE; i++)
				disk[b][i] = (uint8_t)(b * 31 + i);
		bad[BAD_LBA] = !protect;
		geo = (struct blk_geometry){
			.block_size = BLK_BLOCK_SIZE,
			.blocks = NBLOCKS,
			.features = protect ? BLK_FEATURES_READ_ONLY | BLK_FEATURES_REMOVABLE
			                    : BLK_FEATURES_TRIM | BLK_FEATURES_FUA | BLK_FEATURES_WRITE_ZEROES,
			.has_optimal_blocks = !protect,
			.optimal_blocks = 8,
			.has_serial = !protect,
		};
		strcpy(geo.model, protect ? "Mercury SD (locked)" : "Mercury RAM disk");
		strcpy(geo.serial, "MRD-0001");
		struct blk_device dev;
		blk_device_init(&dev, &impl, ep);
		for (;;)
			blk_device_dispatch(&dev);
	}
	ipc_cap_drop(ep);
	return pid;
}

static ipc_cap dev, ro;
static pid_t server, server_ro;

static void start(void)
{
	server = spawn(false, &dev, IPC_CAP_NONE);
	server_ro = spawn(true, &ro, dev);
}

static void stop(void)
{
	ipc_cap_drop(dev);
	ipc_cap_drop(ro);
	stop_child(server);
	stop_child(server_ro);
}

/* ---- the tests ---------------------------------------------------------------------- */

static void pattern(uint8_t *b, unsigned seed)
{
	for (size_t i = 0; i < BLK_BLOCK_SIZE; i++)
		b[i] = (uint8_t)(seed ^ (i * 13));
}

START_TEST(geometry_with_optional_fields)
{
	struct blk_geometry g;
	ck_assert_int_eq(blk_device_geometry(dev, &g), 0);
	ck_assert_uint_eq(g.block_size, BLK_BLOCK_SIZE);
	ck_assert_uint_eq(g.blocks, NBLOCKS);
	ck_assert_uint_eq(g.features, BLK_FEATURES_TRIM | BLK_FEATURES_FUA | BLK_FEATURES_WRITE_ZEROES);
	ck_assert(g.has_optimal_blocks);
	ck_assert_uint_eq(g.optimal_blocks, 8);
	ck_assert_str_eq(g.model, "Mercury RAM disk");
	ck_assert(g.has_serial);
	ck_assert_str_eq(g.serial, "MRD-0001");
	ck_assert_int_eq(blk_device_geometry(ro, &g), 0);
	ck_assert(g.features & BLK_FEATURES_READ_ONLY);
	ck_assert(!g.has_optimal_blocks);
	ck_assert(!g.has_serial);
	ck_assert_str_eq(g.model, "Mercury SD (locked)");
	ck_assert_int_eq(blk_device_describe(dev), 0);
}
END_TEST

START_TEST(blocks_written_and_read_back)
{
	uint8_t w[BLK_BLOCK_SIZE], r[BLK_BLOCK_SIZE];
	size_t n = 0;
	ck_assert_int_eq(blk_device_read(dev, 5, 0, r, &n), 0);
	ck_assert_uint_eq(n, BLK_BLOCK_SIZE);
	ck_assert_uint_eq(r[7], (uint8_t)(5 * 31 + 7));
	pattern(w, 0x5a);
	ck_assert_int_eq(blk_device_write(dev, 5, w, sizeof w, BLK_IO_FLAGS_FUA), 0);
	ck_assert_int_eq(blk_device_write(dev, NBLOCKS - 1, w, sizeof w, BLK_IO_FLAGS_NOCACHE), 0);
	ck_assert_int_eq(blk_device_read(dev, 5, BLK_IO_FLAGS_NOCACHE, r, &n), 0);
	ck_assert_int_eq(memcmp(r, w, sizeof w), 0);
	ck_assert_int_eq(blk_device_read(dev, NBLOCKS - 1, 0, r, &n), 0);
	ck_assert_int_eq(memcmp(r, w, sizeof w), 0);
	ck_assert_int_eq(blk_device_read(dev, 6, 0, r, &n), 0);
	ck_assert_uint_eq(r[0], (uint8_t)(6 * 31));
	ck_assert_int_eq(blk_device_flush(dev), 0);
}
END_TEST

START_TEST(block_errors)
{
	uint8_t w[BLK_BLOCK_SIZE] = {1}, r[BLK_BLOCK_SIZE];
	size_t n;
	ck_assert_int_eq(blk_device_read(dev, NBLOCKS, 0, r, &n), BLK_ERR_OUT_OF_RANGE);
	ck_assert_int_eq(blk_device_read(dev, UINT64_MAX, 0, r, &n), BLK_ERR_OUT_OF_RANGE);
	ck_assert_int_eq(blk_device_write(dev, NBLOCKS, w, sizeof w, 0), BLK_ERR_OUT_OF_RANGE);
	/* the bad block fails until written over, which remaps it */
	ck_assert_int_eq(blk_device_read(dev, BAD_LBA, 0, r, &n), BLK_ERR_MEDIA);
	ck_assert_int_eq(blk_device_write(dev, BAD_LBA, w, sizeof w, 0), 0);
	ck_assert_int_eq(blk_device_read(dev, BAD_LBA, 0, r, &n), 0);
	ck_assert_uint_eq(r[0], 1);
	/* part of a block, and what the device cannot do */
	ck_assert_int_eq(blk_device_write(dev, 1, w, 100, 0), BLK_ERR_INVALID);
	ck_assert_int_eq(blk_device_write(ro, 1, w, sizeof w, 0), BLK_ERR_READ_ONLY);
	ck_assert_int_eq(blk_device_read(ro, BAD_LBA, 0, r, &n), 0);
	/* the client refuses: a block too large, an unknown flag */
	uint8_t big[BLK_BLOCK_SIZE + 1] = {0};
	ck_assert_int_eq(blk_device_write(dev, 1, big, sizeof big, 0), IPC_EINVAL);
	ck_assert_int_eq(blk_device_read(dev, 1, 0x4, r, &n), IPC_EINVAL);
}
END_TEST

START_TEST(a_batch_completes_request_by_request)
{
	uint8_t w[BLK_BLOCK_SIZE];
	pattern(w, 0xc3);
	ck_assert_int_eq(blk_device_write(dev, 20, w, sizeof w, 0), 0);
	ck_assert_int_eq(blk_device_write(dev, 21, w, sizeof w, 0), 0);
	uint32_t want = crc32(crc32(0, w, sizeof w), w, sizeof w);
	struct blk_request reqs[BLK_BATCH_MAX] = {
		{.tag = 100, .op = BLK_OP_VERIFY, .lba = 20, .count = 2},
		{.tag = 101, .op = BLK_OP_WRITE_ZEROES, .lba = 21, .count = 1, .flags = BLK_IO_FLAGS_FUA},
		{.tag = 102, .op = BLK_OP_VERIFY, .lba = 10, .count = 8},        /* meets BAD_LBA */
		{.tag = 103, .op = BLK_OP_TRIM, .lba = 60, .count = 5},          /* past the end */
		{.tag = 104, .op = BLK_OP_FLUSH},
		{.tag = 105, .op = BLK_OP_VERIFY, .lba = 20, .count = 2},
		{.tag = 106, .op = BLK_OP_TRIM, .lba = 30, .count = 0},
		{.tag = 107, .op = BLK_OP_TRIM, .lba = 30, .count = 2},
	};
	struct blk_completion done[BLK_BATCH_MAX];
	size_t n = 0;
	uint32_t failed = 0;
	ck_assert_int_eq(blk_device_submit(dev, reqs, BLK_BATCH_MAX, done, &n, &failed), 0);
	ck_assert_uint_eq(n, BLK_BATCH_MAX);
	ck_assert_uint_eq(failed, 3);
	for (size_t i = 0; i < n; i++)
		ck_assert_uint_eq(done[i].tag, 100 + i);
	ck_assert_int_eq(done[0].outcome, BLK_OUTCOME_OK);
	ck_assert(done[0].has_crc && !done[0].has_bad_lba);
	ck_assert_uint_eq(done[0].crc, want);
	ck_assert_int_eq(done[1].outcome, BLK_OUTCOME_OK);
	ck_assert(!done[1].has_crc);
	ck_assert_int_eq(done[2].outcome, BLK_OUTCOME_MEDIA);
	ck_assert(done[2].has_bad_lba && !done[2].has_crc);
	ck_assert_uint_eq(done[2].bad_lba, BAD_LBA);
	ck_assert_int_eq(done[3].outcome, BLK_OUTCOME_OUT_OF_RANGE);
	ck_assert_int_eq(done[4].outcome, BLK_OUTCOME_OK);
	/* the write-zeroes before it changed block 21 */
	uint8_t z[BLK_BLOCK_SIZE] = {0};
	ck_assert_uint_eq(done[5].crc, crc32(crc32(0, w, sizeof w), z, sizeof z));
	ck_assert_int_eq(done[6].outcome, BLK_OUTCOME_OUT_OF_RANGE);
	ck_assert_int_eq(done[7].outcome, BLK_OUTCOME_OK);
	/* the write-protected device: every change refused, verify still works */
	struct blk_request rq[3] = {
		{.tag = 1, .op = BLK_OP_TRIM, .lba = 0, .count = 1},
		{.tag = 2, .op = BLK_OP_WRITE_ZEROES, .lba = 0, .count = 1},
		{.tag = 3, .op = BLK_OP_VERIFY, .lba = 0, .count = 1},
	};
	ck_assert_int_eq(blk_device_submit(ro, rq, 3, done, &n, &failed), 0);
	ck_assert_uint_eq(failed, 2);
	ck_assert_int_eq(done[0].outcome, BLK_OUTCOME_READ_ONLY);
	ck_assert_int_eq(done[1].outcome, BLK_OUTCOME_READ_ONLY);
	ck_assert_int_eq(done[2].outcome, BLK_OUTCOME_OK);
	/* a whole batch refused: none, or two requests with one tag */
	ck_assert_int_eq(blk_device_submit(dev, rq, 0, done, &n, &failed), BLK_ERR_INVALID);
	rq[1].tag = 1;
	ck_assert_int_eq(blk_device_submit(dev, rq, 2, done, &n, &failed), BLK_ERR_INVALID);
	/* the client refuses one request too many, and an unknown op */
	struct blk_request nine[BLK_BATCH_MAX + 1] = {{.op = BLK_OP_FLUSH}};
	ck_assert_int_eq(blk_device_submit(dev, nine, BLK_BATCH_MAX + 1, done, &n, &failed), IPC_EINVAL);
	rq[0].op = (enum blk_op)9;
	ck_assert_int_eq(blk_device_submit(dev, rq, 1, done, &n, &failed), IPC_EINVAL);
}
END_TEST

START_TEST(trim_ranges_or_everything)
{
	uint8_t r[BLK_BLOCK_SIZE];
	size_t n;
	uint64_t trimmed = 0;
	struct blk_range ranges[] = {{.lba = 2, .count = 3}, {.lba = 40, .count = 1}};
	ck_assert_int_eq(blk_device_trim(dev, ranges, 2, &trimmed), 0);
	ck_assert_uint_eq(trimmed, 4);
	ck_assert_int_eq(blk_device_read(dev, 4, 0, r, &n), 0);
	ck_assert_uint_eq(r[9], 0);
	ck_assert_int_eq(blk_device_read(dev, 5, 0, r, &n), 0);
	ck_assert_uint_eq(r[9], (uint8_t)(5 * 31 + 9));
	/* an empty list trims nothing; no list trims the device */
	ck_assert_int_eq(blk_device_trim(dev, ranges, 0, &trimmed), 0);
	ck_assert_uint_eq(trimmed, 0);
	struct blk_range bad_ranges[] = {{.lba = 2, .count = 3}, {.lba = 4, .count = 1}};
	ck_assert_int_eq(blk_device_trim(dev, bad_ranges, 2, &trimmed), BLK_ERR_INVALID);
	bad_ranges[1] = (struct blk_range){.lba = NBLOCKS - 1, .count = 2};
	ck_assert_int_eq(blk_device_trim(dev, bad_ranges, 2, &trimmed), BLK_ERR_OUT_OF_RANGE);
	/* all or nothing: the first range stayed */
	ck_assert_int_eq(blk_device_read(dev, 5, 0, r, &n), 0);
	ck_assert_uint_ne(r[9], 0);
	ck_assert_int_eq(blk_device_trim(ro, NULL, 0, &trimmed), BLK_ERR_READ_ONLY);
	ck_assert_int_eq(blk_device_read(dev, BAD_LBA, 0, r, &n), BLK_ERR_MEDIA);
	ck_assert_int_eq(blk_device_trim(dev, NULL, 0, &trimmed), 0);
	ck_assert_uint_eq(trimmed, NBLOCKS);
	ck_assert_int_eq(blk_device_read(dev, BAD_LBA, 0, r, &n), 0);
	ck_assert_int_eq(blk_device_read(dev, 63, 0, r, &n), 0);
	ck_assert_uint_eq(r[255], 0);
	struct blk_range seven[BLK_RANGES_MAX + 1] = {{0}};
	ck_assert_int_eq(blk_device_trim(dev, seven, BLK_RANGES_MAX + 1, &trimmed), IPC_EINVAL);
}
END_TEST

START_TEST(servers_refuse_hostile_encodings)
{
	/* trim(ranges: list<range, 6>?): well formed, then a presence of 2, a
	 * count past the bound, a count past what follows, a u32 too wide */
	uint64_t ok[] = {1, 1, 7, 1};
	ck_assert_int_eq(raw_call(dev, BLK_DEVICE_TRIM, ok, 4), 0);
	uint64_t flag2[] = {2, 1, 7, 1};
	ck_assert_int_eq(raw_call(dev, BLK_DEVICE_TRIM, flag2, 4), IPC_EPROTO);
	uint64_t count7[16] = {1, 7};
	ck_assert_int_eq(raw_call(dev, BLK_DEVICE_TRIM, count7, 16), IPC_EPROTO);
	uint64_t short2[] = {1, 2, 7, 1};
	ck_assert_int_eq(raw_call(dev, BLK_DEVICE_TRIM, short2, 4), IPC_EPROTO);
	uint64_t wide[] = {1, 1, 7, UINT64_C(1) << 32};
	ck_assert_int_eq(raw_call(dev, BLK_DEVICE_TRIM, wide, 4), IPC_EPROTO);
	uint64_t extra[] = {0, 0};
	ck_assert_int_eq(raw_call(dev, BLK_DEVICE_TRIM, extra, 2), IPC_EPROTO);
	/* submit: an op no member names, an io flag no bit names */
	uint64_t req[] = {1, 5, BLK_OP_FLUSH, 0, 0, 0};
	ck_assert_int_eq(raw_call(dev, BLK_DEVICE_SUBMIT, req, 6), 0);
	uint64_t op0[] = {1, 5, 0, 0, 0, 0};
	ck_assert_int_eq(raw_call(dev, BLK_DEVICE_SUBMIT, op0, 6), IPC_EPROTO);
	uint64_t flag4[] = {1, 5, BLK_OP_FLUSH, 0, 0, 4};
	ck_assert_int_eq(raw_call(dev, BLK_DEVICE_SUBMIT, flag4, 6), IPC_EPROTO);
	/* write(lba, data: bytes<256>, flags): a length past the bound */
	uint64_t w[64] = {1, BLK_BLOCK_SIZE + 1};
	ck_assert_int_eq(raw_call(dev, BLK_DEVICE_WRITE, w, 35), IPC_EPROTO);
	/* read(lba, flags): one word short */
	uint64_t rd[] = {1};
	ck_assert_int_eq(raw_call(dev, BLK_DEVICE_READ, rd, 1), IPC_EPROTO);
	/* only the well-formed trim was done: block 7, not 6 nor 8 */
	uint8_t r[BLK_BLOCK_SIZE];
	size_t n;
	ck_assert_int_eq(blk_device_read(dev, 7, 0, r, &n), 0);
	ck_assert_uint_eq(r[3], 0);
	ck_assert_int_eq(blk_device_read(dev, 8, 0, r, &n), 0);
	ck_assert_uint_eq(r[3], (uint8_t)(8 * 31 + 3));
	ck_assert_int_eq(blk_device_read(dev, 1, 0, r, &n), 0);
	ck_assert_uint_eq(r[3], (uint8_t)(1 * 31 + 3));
	/* absent ranges, by hand: the whole device */
	uint64_t absent[] = {0};
	ck_assert_int_eq(raw_call(dev, BLK_DEVICE_TRIM, absent, 1), 0);
	ck_assert_int_eq(blk_device_read(dev, 8, 0, r, &n), 0);
	ck_assert_uint_eq(r[3], 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("protocols-blk");
	TCase *t = tcase_create("blk");
	tcase_add_checked_fixture(t, start, stop);
	tcase_add_test(t, geometry_with_optional_fields);
	tcase_add_test(t, blocks_written_and_read_back);
	tcase_add_test(t, block_errors);
	tcase_add_test(t, a_batch_completes_request_by_request);
	tcase_add_test(t, trim_ranges_or_everything);
	tcase_add_test(t, servers_refuse_hostile_encodings);
	suite_add_tcase(s, t);
	return run_suite(s);
}
