/*
 * kern/object.h: every kernel object's destructor, for mm/object.c's reap.
 */
#ifndef KERN_OBJECT_H
#define KERN_OBJECT_H

#include "kern/mm.h"
#include "kern/cap.h"
#include "kern/ipc.h"

struct tcb;
void task_destroy(struct tcb *t);

#endif
