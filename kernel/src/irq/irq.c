/*
 * irq/irq.c: interrupt lines.  Line 0 is the scheduler's tick.  Any other
 * line is delivered to the notification it is bound to (IRQ_BIND) as a
 * signal with the bound bits, and stays masked at the PIC until the
 * handler has dealt with the device and acknowledged (IRQ_ACK), so a
 * level-triggered device cannot storm the kernel.  A handler woken by its
 * IRQ runs next, ahead of the interrupted thread.
 */
#include "kern/arch.h"
#include "kern/irq.h"
#include "kern/mm.h"
#include "kern/task.h"

u64 timer_ticks;

static struct {
	struct notification *note;      /* holds a reference */
	u64 bits;
	struct range *by;               /* the IRQ range it was bound through (a reference) */
} line[IRQ_LINES];

void irq_handle(unsigned irq)
{
	if (pic_spurious(irq))
		return;
	if (irq == 0) {
		timer_ticks++;
		pic_eoi(0);
		timer_tick(timer_ticks);
		sched_preempt();
		return;
	}
	pic_mask(irq);
	pic_eoi(irq);
	if (line[irq].note) {
		struct tcb *w = notification_signal(line[irq].note, line[irq].bits);
		if (w) {
			sched_promote(w);
			sched_preempt();
		}
	}
}

int irq_bind(unsigned irq, struct notification *n, u64 bits, struct range *by)
{
	if (irq == 0 || irq >= IRQ_LINES || irq == 2)
		return HELIOS_EPERM;
	pic_mask(irq);
	if (line[irq].note)
		obj_unref(line[irq].note);
	if (line[irq].by)
		obj_unref(line[irq].by);
	line[irq].note = n;
	line[irq].bits = bits;
	line[irq].by = n ? by : NULL;
	if (n) {
		obj_ref(n);
		obj_ref(by);
		pic_unmask(irq);
	}
	return HELIOS_OK;
}

int irq_ack(unsigned irq)
{
	if (!line[irq].note)
		return HELIOS_EINVAL;
	pic_unmask(irq);
	return HELIOS_OK;
}

/* Revocation (mm/revoke.c): lines bound to a notification that is going,
 * or through an IRQ range that is. */
void irq_unbind_notification(struct notification *n)
{
	for (unsigned irq = 1; irq < IRQ_LINES; irq++)
		if (line[irq].note == n)
			irq_bind(irq, NULL, 0, NULL);
}

void irq_unbind_range(struct range *r)
{
	for (unsigned irq = 1; irq < IRQ_LINES; irq++)
		if (line[irq].by == r)
			irq_bind(irq, NULL, 0, NULL);
}
