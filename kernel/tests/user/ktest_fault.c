/*
 * ktest_fault: a task that faults dies, the kernel says so in its log, and
 * the task's death notification tells whoever asked; everything else keeps
 * running.  One child per way of going wrong in user mode, each checked
 * for the vector the kernel reports.
 */
#include "ulib.h"

const char *ktest_name = "fault";

enum {
	NULL_READ = 1, NULL_WRITE, WRITE_TEXT, EXEC_STACK, KERNEL_READ, JUMP_KERNEL, UD2,
	HLT, CLI, PORT_IN, INT3, INT80, DIVIDE, MOV_CR3, STACK_OVERFLOW, BAD_RIP, X87, NCASES
};

static const struct {
	const char *what;
	u64 vector;
} expect[NCASES] = {
	[NULL_READ] = { "read address 0", 14 },
	[NULL_WRITE] = { "write address 8", 14 },
	[WRITE_TEXT] = { "write to its own code", 14 },
	[EXEC_STACK] = { "execute from the stack (no-execute)", 14 },
	[KERNEL_READ] = { "read the kernel's memory", 14 },
	[JUMP_KERNEL] = { "jump into the kernel", 14 },
	[UD2] = { "ud2", 6 },
	[HLT] = { "hlt", 13 },
	[CLI] = { "cli", 13 },
	[PORT_IN] = { "in from a port directly", 13 },
	[INT3] = { "int3 (its gate is DPL 0: #GP)", 13 },
	[INT80] = { "int $0x80", 13 },
	[DIVIDE] = { "divide by zero", 0 },
	[MOV_CR3] = { "load cr3", 13 },
	[STACK_OVERFLOW] = { "run off the end of its stack", 14 },
	[BAD_RIP] = { "return to a non-canonical address", 13 },
	[X87] = { "x87 divide by zero, unmasked", 16 },
};

static int recurse(volatile int *p)
{
	volatile int pad[256];
	pad[0] = *p;
	if (pad[0] >= 0)        /* always: but the compiler may not know */
		return recurse(pad) + pad[1];
	return 0;
}

void child_main(u64 role, u64 arg)
{
	(void)arg;
	volatile u64 *volatile p = NULL;
	u8 code[8] = { 0xc3 };
	switch (role) {
	case NULL_READ: (void)*p; break;
	case NULL_WRITE: p[1] = 1; break;
	case WRITE_TEXT: *(volatile u8 *)(uptr)child_main = 0x90; break;
	case EXEC_STACK: ((void (*)(void))(uptr)code)(); break;
	case KERNEL_READ: (void)*(volatile u64 *)0xffffffff80100000ull; break;
	case JUMP_KERNEL: ((void (*)(void))0xffffffff80100000ull)(); break;
	case UD2: __asm__ volatile("ud2"); break;
	case HLT: __asm__ volatile("hlt"); break;
	case CLI: __asm__ volatile("cli"); break;
	case PORT_IN: { u8 v; __asm__ volatile("inb $0x60, %0" : "=a"(v)); break; }
	case INT3: __asm__ volatile("int3"); break;
	case INT80: __asm__ volatile("int $0x80"); break;
	case DIVIDE: { volatile u32 z = 0; volatile u32 x = 10 / z; (void)x; break; }
	case MOV_CR3: __asm__ volatile("mov %0, %%cr3" ::"r"(0ull) : "memory"); break;
	case STACK_OVERFLOW: { volatile int x = 0; recurse(&x); break; }
	case BAD_RIP: __asm__ volatile("push %0; ret" ::"r"(0x8000000000000000ull)); break;
	case X87: {             /* control word 0x37f but ZM: 1 / 0 faults at the fwait */
		u16 cw = 0x37b;
		__asm__ volatile("fldcw %0; fldz; fld1; fdiv %%st(1), %%st; fwait" ::"m"(cw));
		break;
	}
	}
	h_exit(99);     /* survived: the root notices */
}

void test_main(void)
{
	struct sysret note = h_alloc(HELIOS_ROOT_MEMORY, HELIOS_CAP_NOTIFICATION, NONE, 0);
	CHECK_EQ(note.st, 0);
	/* Line 13 is the x87's error line (FERR#) when CR0.NE is clear: an x87
	 * fault in user mode must be the task's exception, not a device's
	 * interrupt (whoever holds line 13 would hear it). */
	CHECK_EQ(S(IRQ_BIND, HELIOS_ROOT_IRQ, 13, note.r0, 1ull << 63, 0).st, 0);
	for (u64 role = 1; role < NCASES; role++) {
		struct child c;
		CHECK_EQ(spawn(role, 0, NULL, 0, &c), 0);
		CHECK_EQ(S(TASK_NOTIFY, c.task, note.r0, 1ull << role, 0, 0).st, 0);
		struct sysret w = h_wait((u32)note.r0);
		CHECK_EQ(w.r0, 1ull << role);
		struct sysret st = h_status(c.task);
		uprintf("root: child %lu (%s): status %lu, vector %lu, address %lx\n", role,
		        expect[role].what, st.r0, st.r1, st.r2);
		CHECK_EQ(st.r0, HELIOS_TASK_FAULTED);
		CHECK_EQ(st.r1, expect[role].vector);
		if (role == NULL_WRITE)
			CHECK_EQ(st.r2, 8);
		child_free(&c);
	}
	CHECK_EQ(S(IRQ_BIND, HELIOS_ROOT_IRQ, 13, NONE, 0, 0).st, 0);
	/* Two children fault at once while a third keeps computing. */
	struct child a, b;
	CHECK_EQ(spawn(UD2, 0, NULL, 0, &a), 0);
	CHECK_EQ(spawn(NULL_READ, 0, NULL, 0, &b), 0);
	S(TASK_NOTIFY, a.task, note.r0, 1, 0, 0);
	S(TASK_NOTIFY, b.task, note.r0, 2, 0, 0);
	u64 bits = 0;
	while (bits != 3)
		bits |= h_wait((u32)note.r0).r0;
	CHECK_EQ(h_status(a.task).r0, HELIOS_TASK_FAULTED);
	CHECK_EQ(h_status(b.task).r0, HELIOS_TASK_FAULTED);
	child_free(&a);
	child_free(&b);
	CHECK_EQ(h_null(), 0);
	uprintf("root: still running after %d faults\n", NCASES + 1);
}
