/*
 * kern/irq.h: interrupts.  Line 0 is the kernel's timer (the PIT); lines
 * 1..15 belong to whoever holds an IRQ capability for them and bound them
 * to a notification.  A line that fires is masked until its handler acks.
 */
#ifndef KERN_IRQ_H
#define KERN_IRQ_H

#include "kern/lib.h"

#define TIMER_HZ 100
#define IRQ_LINES 16

struct notification;
struct range;
struct ctx;

extern u64 timer_ticks;

void irq_handle(unsigned irq);          /* from the trap handlers, interrupts off */
int irq_bind(unsigned irq, struct notification *n, u64 bits, struct range *by);
int irq_ack(unsigned irq);
void irq_unbind_notification(struct notification *n);
void irq_unbind_range(struct range *r);

/* arch/trapc.c */
NORETURN void trap_user(struct ctx *c);
void trap_kernel(struct ctx *c);

#endif
