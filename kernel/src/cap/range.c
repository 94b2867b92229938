/*
 * cap/range.c: I/O port ranges, IRQ line ranges and logs as objects.
 *
 * CAP_NARROW makes a range from another, within it, paid for by a memory
 * capability; the new range is the old one's child (it holds a reference
 * on its parent).  A range is destroyed when its last reference goes:
 * capabilities, children, and an IRQ line bound through it (irq/irq.c).
 * Revoking the quota that paid for a range severs its capabilities, then,
 * a step at a time, those of every range narrowed from it, whoever paid
 * for those: authority handed down a chain goes with its source.
 *
 * A log names where DEBUG_WRITE's bytes go.  The root's is untagged: its
 * bytes reach the kernel log as they are.  A log narrowed from it carries
 * a name, and every line written through it reaches the kernel log as
 * "[name] line", control characters replaced: whoever holds it can neither
 * write a line without that prefix nor pass for the kernel or another name.
 * Tagged logs are not narrowed again: names are given by the untagged log's
 * holder (the root task), whose business it is to keep them apart.
 */
#include "kern/cap.h"
#include "kern/irq.h"
#include "kern/mm.h"

struct range *range_new(struct memq *q, unsigned type, struct range *parent, int *err)
{
	struct range *r = obj_alloc(q, type, err);
	if (!r)
		return NULL;
	if (parent) {
		obj_ref(parent);
		r->parent = parent;
		r->next_sib = parent->child;
		if (parent->child)
			parent->child->prev_sib = r;
		parent->child = r;
	}
	return r;
}

/* Out of its parent's children (idempotent). */
void range_detach(struct range *r)
{
	struct range *p = r->parent;
	if (!p)
		return;
	if (r->prev_sib)
		r->prev_sib->next_sib = r->next_sib;
	else if (p->child == r)
		p->child = r->next_sib;
	if (r->next_sib)
		r->next_sib->prev_sib = r->prev_sib;
	r->next_sib = r->prev_sib = NULL;
}

void range_destroy(struct range *r)
{
	range_detach(r);
	if (r->parent)
		obj_unref(r->parent);
}

/*
 * Revocation of r (whose own capabilities are gone): a post-order walk of
 * the ranges narrowed from it, a step at a time, each losing its
 * capabilities and its IRQ bindings, then leaving its parent's children.
 * One range is severed at a time, so the walk's place is kept here.
 */
static struct range *cursor;

bool range_sever_step(struct range *r)
{
	if (!cursor) {
		obj_ref(r);
		cursor = r;
	}
	struct range *n = cursor;
	work_budget--;
	if (n->child) {
		obj_ref(n->child);
		cursor = n->child;
		obj_unref(n);
		return false;
	}
	u64 pfn = frame_of_virt(n);
	if (frame_get(pfn)->rmap) {
		cap_clear(cap_of_ref(frame_get(pfn)->rmap));   /* only capabilities name ranges */
		return false;
	}
	irq_unbind_range(n);
	if (n == r) {
		cursor = NULL;
		obj_unref(n);
		return true;
	}
	range_detach(n);
	obj_ref(n->parent);
	cursor = n->parent;
	obj_unref(n);
	return false;
}

/* DEBUG_WRITE: through an untagged log as they are; through a tagged one,
 * line by line behind "[name] ", with anything but printable ASCII and
 * tabs as '?', and an unfinished last line finished. */
void log_write(const struct range *log, const char *s, usize n)
{
	if (!log->namelen) {
		log_sink(s, n);
		return;
	}
	char line[HELIOS_LOG_NAME_MAX + 3 + 128];
	usize len = 0;
	bool start = true;
	for (usize i = 0; i < n; i++) {
		if (start) {
			line[len++] = '[';
			memcpy(line + len, log->name, log->namelen);
			len += log->namelen;
			line[len++] = ']';
			line[len++] = ' ';
			start = false;
		}
		char c = s[i];
		if (c == '\n')
			start = true;
		else if ((c < 0x20 || c > 0x7e) && c != '\t')
			c = '?';
		line[len++] = c;
		if (start || len == sizeof(line)) {
			log_sink(line, len);
			len = 0;
		}
	}
	if (!start) {
		line[len++] = '\n';
		log_sink(line, len);
	}
}
