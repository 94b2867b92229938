/*
 * abi/helios.h: the kernel's system call ABI, the one header the kernel
 * shares with userspace (the runtime's kernel port, runtime/port/helios, and
 * the kernel's own test tasks).  It includes nothing, so that it can be used
 * from freestanding code, the kernel and the runtime alike; its types are the
 * compiler's own (__UINT64_TYPE__ and friends).
 *
 * Register convention (x86_64, the `syscall` instruction)
 * --------------------------------------------------------
 *   in   rax      system call number (HELIOS_SYS_*)
 *        rdi rsi rdx r10 r8 r9      arguments a0..a5
 *   out  rax      status: HELIOS_OK (0) or a negative HELIOS_E* code
 *        rsi rdx r10 r8 r9          results r0..r4 (where a call has them)
 *   rcx and r11 are clobbered by the instruction itself; every other
 *   register is preserved unless it carries a result or a message word.
 *
 * IPC calls (call, send, recv, reply, reply_recv) carry a message:
 *   rdi      the capability (endpoint or reply; recv: the endpoint)
 *   rsi      label: the request's label, or in a reply the status
 *            (0, a negative transport status, a positive protocol error)
 *   rdx      info: HELIOS_INFO(nwords, ncaps)
 *   r10 r8 r9 r12 r13 r14    message words 0..5 (HELIOS_REG_WORDS)
 * The same registers hold the message received (recv, the reply to call,
 * the request after reply_recv).  Words 6..487 and all capabilities travel
 * in the calling thread's IPC buffer (struct helios_ipc_buffer): word[i] at
 * index i (word[0..5] are ignored there), capability slot numbers in cap[].
 * A thread without an IPC buffer can exchange register-only messages.
 *
 * Capabilities are 32-bit slot numbers in the task's capability space;
 * HELIOS_CAP_NONE (0xffffffff) names none ("pick any free slot" where a
 * destination slot is asked for).  Capabilities sent in a message leave the
 * sender's space when the message is delivered, and land in free slots of
 * the receiver's, whose numbers the receiver finds in its cap[].  When the
 * kernel refuses a message (a status < 0 in rax), nothing has moved (but
 * a reply capability given to SEND, which is consumed on every path): the
 * runtime port releases the capabilities if its own contract says so.
 * Every call ends: a reply capability destroyed unanswered wakes its caller
 * with HELIOS_EPEER.
 */
#ifndef HELIOS_ABI_H
#define HELIOS_ABI_H

typedef __UINT8_TYPE__ helios_u8;
typedef __UINT16_TYPE__ helios_u16;
typedef __UINT32_TYPE__ helios_u32;
typedef __UINT64_TYPE__ helios_u64;
typedef __INT64_TYPE__ helios_i64;
typedef helios_u32 helios_cap;

#ifdef __cplusplus
#define HELIOS_STATIC_ASSERT(c, m) static_assert(c, m)
#else
#define HELIOS_STATIC_ASSERT(c, m) _Static_assert(c, m)
#endif

/* Message limits (equal to the transport's IPC_MAX_WORDS / IPC_MAX_CAPS). */
#define HELIOS_MAX_WORDS 488     /* what the IPC buffer page holds beside the rest */
#define HELIOS_MAX_CAPS 16
/* Message words that travel in registers (r10 r8 r9 r12 r13 r14). */
#define HELIOS_REG_WORDS 6
/* Slots of a capability space: slot numbers are 0 .. HELIOS_CSPACE_SLOTS - 1. */
#define HELIOS_CSPACE_SLOTS 128
/* Entries a poll may watch. */
#define HELIOS_MAX_POLL 16

#define HELIOS_CAP_NONE 0xffffffffu

/* The info word: counts of words and capabilities in a message. */
#define HELIOS_INFO(nwords, ncaps) ((helios_u64)(nwords) | (helios_u64)(ncaps) << 16)
#define HELIOS_INFO_WORDS(info) ((helios_u32)((info) & 0xffff))
#define HELIOS_INFO_CAPS(info) ((helios_u32)(((info) >> 16) & 0xffff))

/* Status codes: the transport's, value for value (see mercury/ipc.h). */
#define HELIOS_OK 0
#define HELIOS_EINVAL (-1)    /* invalid argument */
#define HELIOS_EBADCAP (-2)   /* no such slot, or the wrong kind of object */
#define HELIOS_EPEER (-3)     /* the peer died or the object went away */
#define HELIOS_ETIMEDOUT (-4)
#define HELIOS_EPROTO (-5)
#define HELIOS_ENOSYS (-6)    /* no such system call */
#define HELIOS_EFAULT (-7)
#define HELIOS_ENOMEM (-8)    /* memory quota, or the kernel's free pages, exhausted */
#define HELIOS_EAGAIN (-9)    /* would block */
#define HELIOS_EVERSION (-10)
#define HELIOS_EPERM (-11)    /* the capability does not allow it (range, rights) */
#define HELIOS_EBUSY (-12)    /* already mapped, bound, or in use */

/*
 * System calls.  Arguments a0..a5, results r0..r4 as above.
 *   X(name, number, what it takes -> what it returns)
 */
#define HELIOS_SYSCALL_LIST(X)                                                                 \
	X(NULL, 0, "nothing -> nothing (the cheapest round trip through the kernel)")           \
	X(DEBUG_WRITE, 1, "through log a0, a1 bytes read from the IPC buffer's words -> kernel log") \
	X(CALL, 2, "message to endpoint a0, wait for the reply -> the reply")                   \
	X(SEND, 3, "message to endpoint a0 (or answer reply cap a0, consuming it)")              \
	X(RECV, 4, "wait on endpoint a0 (a1 HELIOS_RECV_POLL: not at all) -> the message; it becomes the current reply") \
	X(REPLY, 5, "message to the current reply")                                             \
	X(REPLY_RECV, 6, "REPLY (if there is a current reply), then RECV a0")                    \
	X(REPLY_SAVE, 7, "current reply -> a reply cap in slot a0 (NONE: any) -> r0 slot")       \
	X(POLL, 8, "wait until one of a0 entries of the IPC buffer's poll[] is ready -> r0 n")   \
	X(SIGNAL, 9, "OR bits a1 into notification a0")                                         \
	X(WAIT, 10, "wait on notification a0 -> r0 its bits, cleared")                           \
	X(CAP_COPY, 11, "copy slot a0 to slot a1 of cspace cap a2 (NONE: own) -> r0 slot")      \
	X(CAP_MOVE, 12, "move slot a0 to slot a1 of cspace cap a2 (NONE: own) -> r0 slot")      \
	X(CAP_NARROW, 13, "slot a0 narrowed into slot a1: ports, IRQs to [a2, a3), a log to name a2 a3 (from memory a4); a page or endpoint to rights a2 -> r0") \
	X(CAP_DESTROY, 14, "empty slot a0")                                                     \
	X(CAP_INFO, 15, "slot a0 of cspace cap a1 (NONE: own) -> r0 type, r1 a, r2 b (range or object data)") \
	X(MEM_ALLOC, 16, "from memory a0 make an object of type a1 in slot a2; a3: pages for MEMORY, bytes for REGION -> r0") \
	X(MAP, 17, "map page a2 in vspace a0 at a1, flags a3, tables from memory a4")          \
	X(UNMAP, 18, "unmap vspace a0 at a1")                                                   \
	X(TASK_CONFIG, 19, "inactive task a0: cspace a1, vspace a2, IPC buffer page a3 (NONE: keep)")\
	X(TASK_REGS, 20, "inactive task a0: rip a1, rsp a2, rdi a3, rsi a4")                   \
	X(TASK_START, 21, "make task a0 runnable")                                              \
	X(TASK_NOTIFY, 22, "when task a0 dies, signal notification a1 with bits a2")            \
	X(TASK_STATUS, 23, "task a0 -> r0 state, r1 exit code or vector, r2 fault address")   \
	X(EXIT, 24, "end the calling task with code a0")                                        \
	X(YIELD, 25, "let other tasks run")                                                     \
	X(IO_IN, 26, "ioport a0: read port a1, width a2 (1, 2, 4) -> r0 value")                 \
	X(IO_OUT, 27, "ioport a0: write a3 to port a1, width a2")                               \
	X(IRQ_BIND, 28, "irq a0: deliver line a1 to notification a2 as bits a3")                \
	X(IRQ_ACK, 29, "irq a0: unmask line a1 after handling it")                              \
	X(CLOCK, 30, "-> r0 timer ticks since boot, r1 ticks per second")                       \
	X(MEM_REVOKE, 31, "destroy everything made from memory a0 and its sub-quotas")         \
	X(TIMER, 32, "signal notification a0 with bits a1 at tick a2 (CLOCK's count); a1 = 0: cancel") \
	X(EP_WATCH, 33, "endpoint a0: signal notification a1 with bits a2 when it has no client left (a1 NONE: stop)") \
	X(REGION_WRITE, 34, "unsealed region a0 at offset a1: copy a3 bytes from address a2 -> r0 bytes copied") \
	X(REGION_READ, 35, "region a0 at offset a1: copy a3 bytes to address a2 -> r0 bytes copied") \
	X(REGION_SEAL, 36, "region a0: cut to a1 bytes and make it immutable")

enum helios_syscall {
#define HELIOS_X_(name, nr, doc) HELIOS_SYS_##name = nr,
	HELIOS_SYSCALL_LIST(HELIOS_X_)
#undef HELIOS_X_
	HELIOS_SYS_COUNT
};

/* Capability (object) types, as CAP_INFO reports them and MEM_ALLOC takes. */
#define HELIOS_CAP_TYPE_LIST(X)                                                \
	X(EMPTY, 0)                                                            \
	X(MEMORY, 1)       /* a quota of pages: a = limit, b = used */         \
	X(PAGE, 2)         /* one 4 KiB frame: a = rights */                   \
	X(ENDPOINT, 3)     /* a = rights */                                    \
	X(NOTIFICATION, 4)                                                     \
	X(REPLY, 5)                                                            \
	X(CSPACE, 6)                                                           \
	X(VSPACE, 7)                                                           \
	X(TASK, 8)                                                             \
	X(IOPORT, 9)       /* ports [a, b) */                                  \
	X(IRQ, 10)         /* lines [a, b) */                                  \
	X(LOG, 11)         /* the kernel log: a = name length (0: untagged) */ \
	X(REGION, 12)      /* out-of-line bytes: a = length, b = 1 if sealed */

enum helios_cap_type {
#define HELIOS_X_(name, nr) HELIOS_CAP_##name = nr,
	HELIOS_CAP_TYPE_LIST(HELIOS_X_)
#undef HELIOS_X_
	HELIOS_CAP_TYPE_COUNT
};

/* A log's name (CAP_NARROW of an untagged log): 1 to HELIOS_LOG_NAME_MAX
 * bytes of [A-Za-z0-9._-], packed little-endian into a2 and a3, zeros after.
 * Each line written through it reaches the kernel log as "[name] line". */
#define HELIOS_LOG_NAME_MAX 16

/* Page rights (CAP_NARROW of a page takes away rights, never adds). */
#define HELIOS_PAGE_R 1u
#define HELIOS_PAGE_W 2u
#define HELIOS_PAGE_X 4u
#define HELIOS_PAGE_RWX 7u

/* Endpoint rights: a client's capability has SEND alone (CALL, SEND, POLL
 * for SEND), so that it can neither receive its server's requests nor
 * answer them; MEM_ALLOC gives both. */
#define HELIOS_EP_SEND 1u
#define HELIOS_EP_RECV 2u
#define HELIOS_EP_ALL 3u
/* An endpoint's clients are its capabilities with SEND and without RECV;
 * EP_WATCH tells its server when the last of them has gone (every holder
 * released it or died).  When the last capability with RECV goes, the
 * endpoint is dead: its waiting senders and receivers wake with
 * HELIOS_EPEER, and so does every later call or send (and the receive of
 * a REPLY_RECV whose reply gave the last one away). */

/* RECV's flags (a1). */
#define HELIOS_RECV_POLL 1u     /* nobody is sending: HELIOS_EAGAIN at once */

/* MAP flags. */
#define HELIOS_MAP_W 2u
#define HELIOS_MAP_X 4u

/*
 * Regions (MEM_ALLOC type REGION, a3 = its size in bytes, 1 to
 * HELIOS_REGION_MAX): bytes that only the kernel maps, zeros until written.
 * Its holder fills it with REGION_WRITE; REGION_SEAL cuts it to its final
 * length and makes it immutable for good; whoever it is sent to reads it
 * with REGION_READ.  A region's pages are charged to the quota that made it
 * as they are first written, and given back when it goes.  One REGION_WRITE or REGION_READ copies at
 * most HELIOS_REGION_CHUNK bytes (r0 says how many): loop for more.
 */
#define HELIOS_REGION_MAX ((helios_u64)16 << 20 | HELIOS_PAGE_SIZE)  /* 16 MiB and a page */
#define HELIOS_REGION_CHUNK ((helios_u64)32 << 10)

/* User virtual addresses: [HELIOS_USER_MIN, HELIOS_USER_TOP). */
#define HELIOS_PAGE_SIZE 4096u
#define HELIOS_USER_MIN 0x1000ull
#define HELIOS_USER_TOP 0x00007fffffff0000ull

/* Task states, as TASK_STATUS reports them. */
#define HELIOS_TASK_INACTIVE 0
#define HELIOS_TASK_RUNNING 1      /* runnable or blocked */
#define HELIOS_TASK_EXITED 2       /* r1 = exit code */
#define HELIOS_TASK_FAULTED 3      /* r1 = vector, r2 = fault address (cr2) or rip */
#define HELIOS_TASK_KILLED 4       /* its last task capability was destroyed */

/* Poll events. */
#define HELIOS_POLL_RECV 1u   /* endpoint: a sender waits; notification: bits are set */
#define HELIOS_POLL_SEND 2u   /* endpoint: a receiver waits */

struct helios_pollcap {
	helios_cap cap;
	helios_u16 events;
	helios_u16 revents;
};

/*
 * The IPC buffer: one page per thread, bound with TASK_CONFIG (a page
 * capability with read and write rights) and mapped by its owner.  The
 * kernel reads and writes it through its own mapping, never through user
 * pointers.
 */
struct helios_ipc_buffer {
	helios_u64 word[HELIOS_MAX_WORDS];      /* word[i] for i >= HELIOS_REG_WORDS */
	helios_cap cap[HELIOS_MAX_CAPS];        /* capabilities sent or received */
	struct helios_pollcap poll[HELIOS_MAX_POLL];
	/* That is the whole page: HELIOS_MAX_WORDS is as many as fit. */
};

HELIOS_STATIC_ASSERT(sizeof(struct helios_pollcap) == 8, "pollcap layout");
HELIOS_STATIC_ASSERT(sizeof(struct helios_ipc_buffer) == 488 * 8 + 16 * 4 + 16 * 8,
                     "IPC buffer layout");
HELIOS_STATIC_ASSERT(sizeof(struct helios_ipc_buffer) == HELIOS_PAGE_SIZE,
                     "the IPC buffer fills its page: as many words as fit");

/*
 * The root task.  It starts with rdi = the address of its struct
 * helios_bootinfo (read-only), rsp = the top of its stack, and these slots:
 */
#define HELIOS_ROOT_TASK 0      /* itself */
#define HELIOS_ROOT_CSPACE 1
#define HELIOS_ROOT_VSPACE 2
#define HELIOS_ROOT_MEMORY 3    /* every free page */
#define HELIOS_ROOT_IOPORT 4    /* ports [0, 0x10000) */
#define HELIOS_ROOT_IRQ 5       /* IRQ lines [1, 16) (0 is the kernel's timer) */
#define HELIOS_ROOT_IPCBUF 6    /* the page of its IPC buffer */
#define HELIOS_ROOT_LOG 7       /* the kernel log, untagged */
#define HELIOS_ROOT_FIRST_FREE 8

#define HELIOS_MAX_MODULES 8
#define HELIOS_BOOTINFO_MAGIC 0x68656c696f73ull  /* "helios" */

struct helios_module {
	helios_u64 vaddr;       /* mapped read-only in the root's vspace */
	helios_u64 size;
	char name[48];          /* the module's command line */
};

struct helios_bootinfo {
	helios_u64 magic;
	helios_u64 ipc_buffer;  /* the root's IPC buffer address */
	helios_u64 free_pages;  /* the memory quota's limit */
	helios_u64 nmodules;
	struct helios_module module[HELIOS_MAX_MODULES];
	char cmdline[128];      /* the kernel's command line */
};

/* Values the test images write to QEMU's isa-debug-exit port (0xf4). */
#define HELIOS_QEMU_EXIT_PORT 0xf4
#define HELIOS_QEMU_PASS 0x10   /* QEMU exits with status 33 */
#define HELIOS_QEMU_FAIL 0x11   /* status 35 */
#define HELIOS_QEMU_PANIC 0x12  /* status 37: the kernel itself gave up */

/* Where the transport header was included first, its limits and statuses
 * must be ours. */
#ifdef MERCURY_IPC_H
HELIOS_STATIC_ASSERT(HELIOS_MAX_WORDS == IPC_MAX_WORDS, "message words match the transport");
HELIOS_STATIC_ASSERT(HELIOS_MAX_CAPS == IPC_MAX_CAPS, "message caps match the transport");
HELIOS_STATIC_ASSERT(HELIOS_CAP_NONE == IPC_CAP_NONE, "no-capability value matches");
HELIOS_STATIC_ASSERT(HELIOS_OK == IPC_OK && HELIOS_EINVAL == IPC_EINVAL &&
                     HELIOS_EBADCAP == IPC_EBADCAP && HELIOS_EPEER == IPC_EPEER &&
                     HELIOS_ETIMEDOUT == IPC_ETIMEDOUT && HELIOS_EPROTO == IPC_EPROTO &&
                     HELIOS_ENOSYS == IPC_ENOSYS && HELIOS_EFAULT == IPC_EFAULT &&
                     HELIOS_ENOMEM == IPC_ENOMEM && HELIOS_EAGAIN == IPC_EAGAIN &&
                     HELIOS_EVERSION == IPC_EVERSION && HELIOS_EPERM == IPC_EPERM &&
                     HELIOS_EBUSY == IPC_EBUSY,
                     "status codes match the transport");
#endif

#endif /* HELIOS_ABI_H */
