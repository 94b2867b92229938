/*
 * serial.c: the 16550 UART driver, after the seed's.  It serves dev::serial
 * (an io::file) for COM1 and COM4, the ports its manifest grants at fixed
 * slots, and registers a device for each port that is present.  Slots,
 * ports and lines are the manifest's, by the names it gives them
 * (serial.manifest.h, which the build makes from serial.manifest).
 *
 * Receiving is IRQ-driven.  The IRQ lines are delivered to one note
 * (irq_note) as bit 1 << line; the driver drains the UART's FIFO into a ring and
 * answers the read that waits, if any: a read that finds nothing is
 * deferred, its reply capability and pages kept until data comes.  When
 * the ring is full the driver stops draining (it masks the UART's receive
 * interrupt), so the UART's FIFO fills and the other end's flow control
 * holds the rest: nothing is dropped.  Writes wait for the transmitter.
 */
#include "mercury/helios.h"
#include "dev.h"
#include "sys.h"
#include "serial.manifest.h"

/* 16550 registers, from the port base. */
enum { RBR = 0, THR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, SCR = 7 };
#define LSR_DR 0x01
#define CRASH_BYTE 0x1d         /* Ctrl-]: SERIAL_CRASH_HOOK builds fault on it */
#define LSR_THRE 0x20
#define IER_RDI 0x01
#define LCR_DLAB 0x80
#define UART_CLOCK 115200

#define RBUF 4096

struct comport {
	struct dev_serial base;         /* first: served as a dev::serial */
	const char *name;
	ipc_cap io, irq;
	uint16_t port;
	unsigned line;
	bool present, stopped, said_full;
	uint32_t baud;
	unsigned charlen;
	enum dev_stop_bits stop;
	enum dev_parity parity;
	/* Received, not yet read: a ring. */
	uint8_t rbuf[RBUF];
	size_t rhead, rlen;
	/* The read that waits for data. */
	bool waiting;
	ipc_cap reply;
	ipc_cap pages[IPC_MAX_CAPS];
	size_t npages;
	uintptr_t buf;
	size_t amt;
};

/* For make bench: from the time stamp of a read's data arriving to the
 * next write, for the second such round (the first pays for page tables
 * and other first touches).  Under -icount shift=0 time stamps count guest
 * instructions. */
static uint64_t echo_rx;
static unsigned echoes;

static struct comport ports[2] = {
	{ .name = "COM1", .io = MANIFEST_COM1_PORTS, .irq = MANIFEST_COM1_IRQ, .port = MANIFEST_COM1_PORTS_MIN,
	  .line = MANIFEST_COM1_IRQ_LINE },
	{ .name = "COM4", .io = MANIFEST_COM4_PORTS, .irq = MANIFEST_COM4_IRQ, .port = MANIFEST_COM4_PORTS_MIN,
	  .line = MANIFEST_COM4_IRQ_LINE },
};
_Static_assert(MANIFEST_COM1_PORTS_MAX - MANIFEST_COM1_PORTS_MIN == 8 &&
               MANIFEST_COM4_PORTS_MAX - MANIFEST_COM4_PORTS_MIN == 8, "a 16550 has 8 registers");

static uint8_t comin(struct comport *c, unsigned reg)
{
	uint32_t v = 0;
	hl_io_in(c->io, (uint16_t)(c->port + reg), 1, &v);
	return (uint8_t)v;
}

static void comout(struct comport *c, unsigned reg, uint8_t v)
{
	hl_io_out(c->io, (uint16_t)(c->port + reg), 1, v);
}

static const uint8_t parity_bits[] = {
	[DEV_PARITY_NONE] = 0x00, [DEV_PARITY_ODD] = 0x08, [DEV_PARITY_EVEN] = 0x18,
	[DEV_PARITY_MARK] = 0x28, [DEV_PARITY_SPACE] = 0x38,
};
_Static_assert(sizeof(parity_bits) == 5, "a line control value for every dev::parity");

/* Line control from the settings: character length, stop bits, parity. */
static void program_lcr(struct comport *c)
{
	comout(c, LCR, (uint8_t)((c->charlen - 5) | (c->stop == DEV_STOP_BITS_TWO ? 0x04 : 0) |
	                         parity_bits[c->parity]));
}

static void program_baud(struct comport *c)
{
	uint16_t div = (uint16_t)(UART_CLOCK / c->baud);
	uint8_t lcr = comin(c, LCR);
	comout(c, LCR, lcr | LCR_DLAB);
	comout(c, DLL, (uint8_t)div);
	comout(c, DLM, (uint8_t)(div >> 8));
	comout(c, LCR, lcr & ~LCR_DLAB);
}

static bool com_init(struct comport *c)
{
	/* Present: the scratch register keeps what is written to it. */
	comout(c, SCR, 0x5a);
	if (comin(c, SCR) != 0x5a)
		return false;
	comout(c, IER, 0);
	c->baud = 115200;
	c->charlen = 8;
	c->stop = DEV_STOP_BITS_ONE;
	c->parity = DEV_PARITY_NONE;
	program_lcr(c);
	program_baud(c);
	/* FIFOs on, the transmit one cleared; interrupt at 14 bytes or a pause.
	 * The receive FIFO is kept: after a restart, what was typed meanwhile
	 * is still there. */
	comout(c, FCR, 0xc5);
	comout(c, MCR, 0x0b);           /* DTR, RTS, OUT2 (the IRQ gate) */
	comin(c, LSR);
	comin(c, IIR);
	comout(c, IER, IER_RDI);
	return true;
}

/* The client's buffer, mapped: pages, and where in them buf points. */
static uint8_t *map_client(const ipc_cap *pages, size_t n, uintptr_t buf, size_t amt, bool w)
{
	size_t off = buf % HELIOS_PAGE_SIZE;
	if (n == 0 || amt == 0 || amt > n * HELIOS_PAGE_SIZE - off)
		return NULL;
	uint8_t *va = mercury_map(pages, n, w);
	return va ? va + off : NULL;
}

static void unmap_client(uint8_t *p, size_t n)
{
	mercury_unmap((void *)((uintptr_t)p & ~(uintptr_t)(HELIOS_PAGE_SIZE - 1)), n);
}

/* Moves up to amt received bytes to dst. */
static size_t rconsume(struct comport *c, uint8_t *dst, size_t amt)
{
	size_t n = 0;
	while (n < amt && c->rlen) {
		dst[n++] = c->rbuf[c->rhead];
		c->rhead = (c->rhead + 1) % RBUF;
		c->rlen--;
	}
	if (c->stopped && c->rlen < RBUF) {
		c->stopped = false;     /* room again: drain the UART again */
		comout(c, IER, IER_RDI);
	}
	return n;
}

/* Drains the receive FIFO into the ring, as far as it has room. */
static void com_drain(struct comport *c)
{
	if (!echo_rx && echoes < 2 && (comin(c, LSR) & LSR_DR))
		echo_rx = hl_rdtsc();
	while (c->rlen < RBUF && (comin(c, LSR) & LSR_DR)) {
		uint8_t byte = comin(c, RBR);
#ifdef SERIAL_CRASH_HOOK
		if (byte == CRASH_BYTE) {
			/* The test build faults on demand: sysinit restarts it. */
			mercury_log("%s: crash byte: faulting on purpose (tsc %lu)", c->name, hl_rdtsc());
			volatile uintptr_t nowhere = 8;
			*(volatile int *)nowhere = 1;
		}
#endif
		c->rbuf[(c->rhead + c->rlen) % RBUF] = byte;
		c->rlen++;
	}
	if (c->rlen == RBUF && !c->stopped) {
		c->stopped = true;      /* hold the rest in the UART and beyond */
		comout(c, IER, 0);
		if (!c->said_full) {
			c->said_full = true;
			mercury_log("%s: receive buffer full: input waits in the UART", c->name);
		}
	}
}

/* Answers the waiting read if there is data for it. */
static void com_answer(struct comport *c)
{
	if (!c->waiting || !c->rlen)
		return;
	uint8_t *dst = map_client(c->pages, c->npages, c->buf, c->amt, true);
	size_t n = dst ? rconsume(c, dst, c->amt) : 0;
	if (dst)
		unmap_client(dst, c->npages);
	ipc_drop_caps(c->pages, c->npages, 0);
	c->waiting = false;
	io_file_read_reply(c->reply, dst ? 0 : ERRORS_ERR_INVALID, n);
}

/* dev::serial */

static int serial_read(struct io_file *f, const ipc_cap *pages, size_t npages, uintptr_t buf, size_t amt,
                       size_t *result)
{
	struct comport *c = (struct comport *)f;
	if (npages == 0 || amt == 0 || amt > npages * HELIOS_PAGE_SIZE - buf % HELIOS_PAGE_SIZE)
		return ipc_drop_caps(pages, npages, ERRORS_ERR_INVALID);
	if (c->rlen) {
		uint8_t *dst = map_client(pages, npages, buf, amt, true);
		if (!dst)
			return ipc_drop_caps(pages, npages, ERRORS_ERR_INVALID);
		*result = rconsume(c, dst, amt);
		unmap_client(dst, npages);
		return ipc_drop_caps(pages, npages, 0);
	}
	if (c->waiting || ipc_reply_save(&c->reply))
		return ipc_drop_caps(pages, npages, ERRORS_ERR_BUSY);
	/* Nothing yet: keep the call, answer it when the IRQ brings data. */
	c->waiting = true;
	for (size_t i = 0; i < npages; i++)
		c->pages[i] = pages[i];
	c->npages = npages;
	c->buf = buf;
	c->amt = amt;
	return IPC_DEFERRED;
}

static int serial_write(struct io_file *f, const ipc_cap *pages, size_t npages, uintptr_t buf, size_t amt,
                        size_t *result)
{
	struct comport *c = (struct comport *)f;
	const uint8_t *src = map_client(pages, npages, buf, amt, false);
	if (!src)
		return ipc_drop_caps(pages, npages, ERRORS_ERR_INVALID);
	for (size_t i = 0; i < amt; i++) {
		while (!(comin(c, LSR) & LSR_THRE))
			hl_yield();
		comout(c, THR, src[i]);
	}
	unmap_client((uint8_t *)src, npages);
	if (echo_rx && ++echoes == 2)
		mercury_log("echo: %lu instructions from the driver's IRQ wakeup to the echo sent",
		            hl_rdtsc() - echo_rx);
	echo_rx = 0;
	*result = amt;
	return ipc_drop_caps(pages, npages, 0);
}

static int serial_seek(struct io_file *f, int64_t offs, enum io_whence w, size_t *result)
{
	(void)f, (void)offs, (void)w, (void)result;
	return ERRORS_ERR_UNSUPPORTED;
}

static int get_baud(struct dev_serial *s, uint32_t *r) { *r = ((struct comport *)s)->baud; return 0; }
static int get_charlen(struct dev_serial *s, uint32_t *r) { *r = ((struct comport *)s)->charlen; return 0; }
static int get_stopbits(struct dev_serial *s, enum dev_stop_bits *r) { *r = ((struct comport *)s)->stop; return 0; }
static int get_parity(struct dev_serial *s, enum dev_parity *r) { *r = ((struct comport *)s)->parity; return 0; }

static int set_baud(struct dev_serial *s, uint32_t hz)
{
	struct comport *c = (struct comport *)s;
	if (hz < 50 || hz > UART_CLOCK || UART_CLOCK % hz)
		return ERRORS_ERR_INVALID;
	c->baud = hz;
	program_baud(c);
	return 0;
}

static int set_charlen(struct dev_serial *s, uint32_t bits)
{
	struct comport *c = (struct comport *)s;
	if (bits < 5 || bits > 8)
		return ERRORS_ERR_INVALID;
	c->charlen = bits;
	program_lcr(c);
	return 0;
}

static int set_stopbits(struct dev_serial *s, enum dev_stop_bits bits)
{
	struct comport *c = (struct comport *)s;
	c->stop = bits;
	program_lcr(c);
	return 0;
}

static int set_parity(struct dev_serial *s, enum dev_parity parity)
{
	struct comport *c = (struct comport *)s;
	c->parity = parity;
	program_lcr(c);
	return 0;
}

static const struct dev_serial_iface serial_impl = {
	.base = { .read = serial_read, .write = serial_write, .seek = serial_seek },
	.get_baud = get_baud,
	.get_charlen = get_charlen,
	.get_stopbits = get_stopbits,
	.get_parity = get_parity,
	.set_baud = set_baud,
	.set_charlen = set_charlen,
	.set_stopbits = set_stopbits,
	.set_parity = set_parity,
};

static void dispatch_irq(uint64_t bits)
{
	for (unsigned i = 0; i < 2; i++) {
		struct comport *c = &ports[i];
		if (!(bits & (UINT64_C(1) << c->line)))
			continue;
		if (c->present) {
			com_drain(c);
			com_answer(c);
		}
		hl_irq_ack(c->irq, c->line);
	}
}

int main(void)
{
	ipc_cap registry = mercury_service(SYS_DEVREGISTRY_ID);
	unsigned nports = 0;
	for (unsigned i = 0; i < 2; i++) {
		struct comport *c = &ports[i];
		if (!(c->present = com_init(c)))
			continue;
		ipc_cap ep;
		uint32_t n;
		int st = sys_devregistry_new(registry, DEV_SERIAL_ID, &ep, &n);
		if (st) {
			mercury_log("%s: cannot register (%d)", c->name, st);
			c->present = false;
			continue;
		}
		dev_serial_init(&c->base, &serial_impl, ep);
		mercury_log("%s at %x, IRQ %u: serial%u", c->name, c->port, c->line, n);
		nports++;
	}
	/* The least privilege from here on: the registry is not needed again. */
	hl_cap_destroy(registry);
	if (!nports) {
		mercury_log("no serial port present");
		return 1;
	}
	/* Anything that came before we were listening. */
	dispatch_irq(UINT64_C(1) << MANIFEST_COM4_IRQ_LINE | UINT64_C(1) << MANIFEST_COM1_IRQ_LINE);

	struct ipc_msg in, out;
	for (;;) {
		struct helios_pollcap pc[3];
		struct comport *who[3];
		unsigned n = 0;
		pc[n] = (struct helios_pollcap){ MANIFEST_IRQ_NOTE, HELIOS_POLL_RECV, 0 };
		who[n++] = NULL;
		for (unsigned i = 0; i < 2; i++) {
			if (!ports[i].present)
				continue;
			pc[n] = (struct helios_pollcap){ ports[i].base.base.endpoint, HELIOS_POLL_RECV, 0 };
			who[n++] = &ports[i];
		}
		if (hl_poll(pc, n) < 0)
			continue;
		if (pc[0].revents & HELIOS_POLL_RECV) {
			uint64_t bits;
			if (hl_wait(MANIFEST_IRQ_NOTE, &bits) == 0)
				dispatch_irq(bits);
		}
		for (unsigned k = 1; k < n; k++) {
			if (!(pc[k].revents & HELIOS_POLL_RECV))
				continue;
			if (ipc_recv(who[k]->base.base.endpoint, &in))
				continue;
			if (dev_serial_handle(&who[k]->base, &in, &out) == 0)
				ipc_reply(&out);
		}
	}
}
