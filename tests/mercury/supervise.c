/*
 * supervise.c: the supervision test's checks, linked into its usrinit
 * (examples/serial/usrinit.c calls usrinit_opened each time serial0 is
 * open: after boot, and after every restart of the serial driver).
 *
 * Each time: the live serial driver holds what its manifest grants - its
 * capabilities at the fixed slots with their parameters (ports, IRQ line,
 * memory quota's limit, note, its own cspace and vspace), its `_` ones by
 * type, its log - and nothing else that only sysinit can give (no other
 * ports, IRQ lines, logs or quotas; endpoints only with SEND alone, as
 * services and opened devices are given); and after
 * a restart, sysinit's free memory is back to what it was after boot.
 * Each check logs one line; a failure says FAIL.
 */
#include "mercury/helios.h"
#include "manifest.h"
#include "sys.h"
#include "fs.h"
#include "io.h"

void usrinit_opened(ipc_cap fs, ipc_cap procmgr, bool again);

static struct manifest m;
static bool have_manifest;
static uint64_t free_after_boot;
static unsigned restarts;

/* The serial driver's manifest, from its image. */
static int read_manifest(ipc_cap fs)
{
	ipc_cap f;
	size_t end = 0, pos = 0, got;
	struct mercury_buf b;
	if (fs_fs_open(fs, "/sbin/drv/serial", &f))
		return -1;
	int st = io_file_seek(f, 0, IO_WHENCE_END, &end) || io_file_seek(f, 0, IO_WHENCE_SET, &pos) ||
	         mercury_buf_alloc(&b, 16);
	unsigned char *image = st ? NULL : malloc(end);
	while (image && pos < end) {
		size_t want = end - pos > 16 * HELIOS_PAGE_SIZE ? 16 * HELIOS_PAGE_SIZE : end - pos;
		if (mercury_read(f, &b, 0, want, &got) || got == 0) {
			st = -1;
			break;
		}
		memcpy(image + pos, b.va, got);
		pos += got;
	}
	hl_cap_destroy(f);
	const char *text;
	size_t len;
	struct mf_error err;
	if (!image || st || mf_find_elf(image, end, &text, &len) || mf_parse(text, len, &m, &err))
		st = -1;
	free(image);
	return st;
}

static const unsigned helios_type[MF_TYPE_COUNT] = {
	[MF_IOPORT] = HELIOS_CAP_IOPORT, [MF_NOTE] = HELIOS_CAP_NOTIFICATION, [MF_IRQ] = HELIOS_CAP_IRQ,
	[MF_CSPACE] = HELIOS_CAP_CSPACE, [MF_VSPACE] = HELIOS_CAP_VSPACE, [MF_MEMORY] = HELIOS_CAP_MEMORY,
};

struct rec {
	uint32_t slot, type;
	uint64_t a, b;
};

/* What the live serial driver holds. */
static int holdings(ipc_cap procmgr, struct rec *r, unsigned *n)
{
	ipc_cap proc;
	int st = sys_procmgr_find(procmgr, "serial", &proc);
	*n = 0;
	for (uint32_t from = 0; !st && from < HELIOS_CSPACE_SLOTS;) {
		uint8_t buf[480];
		size_t len = 0;
		if ((st = sys_process_capabilities(proc, from, buf, &len)))
			break;
		for (size_t off = 0; off + 24 <= len; off += 24) {
			uint64_t w[3];
			for (unsigned k = 0; k < 3; k++) {
				w[k] = 0;
				for (unsigned i = 0; i < 8; i++)
					w[k] |= (uint64_t)buf[off + 8 * k + i] << (8 * i);
			}
			r[*n] = (struct rec){ (uint32_t)(w[0] & 0xff), (uint32_t)(w[0] >> 8), w[1], w[2] };
			from = r[(*n)++].slot + 1;
		}
		if (len < 480)
			break;
	}
	if (!st)
		hl_cap_destroy(proc);
	return st;
}

static int check_caps(ipc_cap procmgr)
{
	struct rec r[HELIOS_CSPACE_SLOTS];
	unsigned n, bad = 0;
	if (holdings(procmgr, r, &n)) {
		mercury_log("FAIL: the serial driver's capabilities cannot be listed");
		return 1;
	}
	bool used[HELIOS_CSPACE_SLOTS] = { false };
	for (unsigned i = 0; i < m.ncaps; i++) {
		const struct mf_cap *c = &m.cap[i];
		bool found = false;
		for (unsigned k = 0; k < n && !found; k++) {
			if (used[k] || r[k].type != helios_type[c->type] || (c->slot != MF_ANY && (int)r[k].slot != c->slot))
				continue;
			found = c->type == MF_IOPORT ? r[k].a == c->min && r[k].b == c->max
				: c->type == MF_IRQ ? r[k].a == c->irq && r[k].b == c->irq + 1
				: c->type == MF_MEMORY ? r[k].a == c->pages
				: true;
			used[k] = found;
		}
		if (!found) {
			mercury_log("FAIL: manifest line %u: not held as declared", c->line);
			bad++;
		}
	}
	unsigned services = 0, logs = 0;
	for (unsigned k = 0; k < n; k++) {
		if (used[k])
			continue;
		if (r[k].type == HELIOS_CAP_ENDPOINT && r[k].a == HELIOS_EP_SEND) {
			services++;             /* its services (or devices it opened) */
		} else if (r[k].type == HELIOS_CAP_LOG && r[k].a > 0) {
			logs++;
		} else if (r[k].type == HELIOS_CAP_IOPORT || r[k].type == HELIOS_CAP_IRQ ||
		           r[k].type == HELIOS_CAP_LOG || r[k].type == HELIOS_CAP_MEMORY) {
			mercury_log("FAIL: slot %u holds a capability of type %u its manifest does not grant",
			            r[k].slot, r[k].type);
			bad++;
		}
	}
	if (logs != 1) {
		mercury_log("FAIL: %u logs", logs);
		bad++;
	}
	/* (Its services it may have let go of: the serial driver drops
	 * devregistry once its devices are registered.) */
	if (!bad)
		mercury_log("serial: holds what its manifest grants (%u capabilities: %u declared, "
		            "%u client endpoints, its log)", n, m.ncaps, services);
	return bad;
}

/* sysinit's free pages once they stay the same for a while: what went
 * (the dead driver, files released) goes back as sysinit's objects threads
 * see the last clients go. */
static uint64_t settled_free(ipc_cap procmgr)
{
	uint64_t last = UINT64_MAX, pages = 0;
	for (int i = 0; i < 100; i++) {
		for (int k = 0; k < 20; k++)
			hl_yield();
		if (sys_procmgr_free_pages(procmgr, &pages))
			return 0;
		if (pages == last)
			break;
		last = pages;
	}
	return pages;
}

void usrinit_opened(ipc_cap fs, ipc_cap procmgr, bool again)
{
	if (!have_manifest) {
		if (read_manifest(fs)) {
			mercury_log("FAIL: the serial driver's manifest cannot be read");
			return;
		}
		have_manifest = true;
	}
	check_caps(procmgr);
	uint64_t pages = settled_free(procmgr);
	if (!again) {
		free_after_boot = pages;
		mercury_log("supervise: free pages after boot %lu", free_after_boot);
		return;
	}
	restarts++;
	mercury_log("supervise: restart %u: free pages %lu (after boot %lu)%s", restarts, pages, free_after_boot,
	            pages == free_after_boot ? "" : ": FAIL");
}
