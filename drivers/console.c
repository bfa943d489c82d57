/*
 * The console (include/mote/console.h): streams onto the serial line,
 * plain or framed, and stdin from it.
 *
 * Output. A record is written whole under the output lock, a plain
 * spinning flag rather than struct spinlock: the lock must work inside a
 * panic (a CPU that already holds it and faults writes on without it
 * instead of deadlocking) and before the scheduler exists. Until
 * console_init() runs there is one CPU and no lock is needed.
 *
 * Input. Nothing happens at boot except, when framed, turning the UART's
 * FIFO on (one port write): enabling it later would empty it, and the
 * host sends nothing before it has seen a framed record, which comes
 * after this. The first console_stdin_* call sets the rest up: the ring,
 * the line rate, the interrupt vector and its IOAPIC route, the receive
 * interrupt. Plain input gets no FIFO (turning it on then could drop a
 * byte already received): a byte per interrupt is plenty for a person.
 */
#include <lib/errno.h>
#include <lib/fmt.h>
#include <lib/frame.h>
#include <lib/parse.h>
#include <lib/string.h>
#include <mote/arch.h>
#include <mote/console.h>
#include <mote/irq.h>
#include <mote/log.h>
#include <mote/mm.h>
#include <mote/percpu.h>
#include <mote/sync.h>

#include "console_in.h"
#include "serial.h"

#define STDIN_RING  (64 * 1024)
#define STDIN_POLL_NS 10000000ull	/* without an interrupt route */

static struct {
	uint32_t owner;		/* cpu id + 1 holding the output lock, 0 when free */
	bool ready;		/* console_init() ran: other CPUs may exist, lock */
	bool framed;
	const struct console_output *moved;	/* framed records go here, not the UART */
} out;

static unsigned long out_lock(bool *nested)
{
	unsigned long flags = irq_enabled();
	uint32_t me, free;

	irq_disable();
	*nested = false;
	if (!out.ready)
		return flags;
	me = cpu_self()->id + 1;
	if (__atomic_load_n(&out.owner, __ATOMIC_RELAXED) == me) {
		*nested = true;	/* a fault inside a write on this CPU: write on */
		return flags;
	}
	for (;;) {
		free = 0;
		if (__atomic_compare_exchange_n(&out.owner, &free, me, false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return flags;
		arch_cpu_relax();
	}
}

static void out_unlock(unsigned long flags, bool nested)
{
	if (out.ready && !nested)
		__atomic_store_n(&out.owner, 0, __ATOMIC_RELEASE);
	if (flags)
		irq_enable();
}

void console_init(const char *mode)
{
	out.framed = mode && !strcmp(mode, "framed");
	if (out.framed)
		serial_fifo_enable();
	out.ready = true;
}

bool console_framed(void)
{
	return out.framed;
}

/*
 * A fault inside a write (nested) does not go back into the virtio
 * console, which may be what faulted: it takes the UART, as does a record
 * the virtio console could not send.
 */
static void write_record(unsigned stream, const uint8_t *p, size_t n)
{
	uint8_t hdr[CONSOLE_HEADER];
	bool nested;
	unsigned long flags = out_lock(&nested);

	if (out.framed) {
		frame_header(hdr, stream, n);
		if (out.moved && !nested && out.moved->write(hdr, sizeof(hdr), p, n))
			goto done;
		serial_write(hdr, sizeof(hdr));
	}
	serial_write(p, n);
done:
	out_unlock(flags, nested);
}

/* An empty record on the UART telling the host something (CONSOLE_MOVED, CONSOLE_STAYED). */
static void serial_marker_locked(unsigned stream)
{
	uint8_t hdr[CONSOLE_HEADER];

	frame_header(hdr, stream, 0);
	serial_write(hdr, sizeof(hdr));
}

/*
 * A device offered to carry the framed console (console_offer_output()) is
 * set up by the first thread that needs it: stdin's first user, or the
 * application's output once it has cost the UART more than the setup
 * would. attach stays set while it runs, so a reader of stdin arriving
 * meanwhile waits on the mutex for the outcome instead of settling on the
 * UART.
 */
#define CONSOLE_UART_BUDGET 1024	/* application bytes: ~3 us each on the UART, ~3 ms the setup */

static struct {
	void (*attach)(void);	/* offered and not yet set up */
	size_t app_bytes;	/* application output the UART carried */
	struct mutex lock;
} offer = { .lock = MUTEX_INIT(offer.lock) };

bool console_offer_output(void (*attach)(void))
{
	if (!out.framed)
		return false;
	__atomic_store_n(&offer.attach, attach, __ATOMIC_RELEASE);
	return true;
}

static void take_offer(void)
{
	if (!__atomic_load_n(&offer.attach, __ATOMIC_ACQUIRE))
		return;
	mutex_lock(&offer.lock);
	if (offer.attach) {
		offer.attach();
		__atomic_store_n(&offer.attach, NULL, __ATOMIC_RELEASE);
	}
	mutex_unlock(&offer.lock);
}

void console_app_write(enum console_stream s, const void *buf, size_t len)
{
	if (__atomic_load_n(&offer.attach, __ATOMIC_ACQUIRE) &&
	    __atomic_add_fetch(&offer.app_bytes, len, __ATOMIC_RELAXED) > CONSOLE_UART_BUDGET)
		take_offer();
	console_stream_write(s, buf, len);
}

/* The marker and the switch under one hold of the lock: no record can fall between them. */
bool console_set_output(const struct console_output *o)
{
	bool nested;
	unsigned long flags;

	if (!out.framed)
		return false;
	flags = out_lock(&nested);
	serial_marker_locked(CONSOLE_MOVED);
	out.moved = o;
	out_unlock(flags, nested);
	return true;
}

void console_flush(void)
{
	bool nested;
	unsigned long flags = out_lock(&nested);

	if (out.moved && !nested)
		out.moved->flush();
	out_unlock(flags, nested);
}

void console_stream_write(enum console_stream s, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		size_t n = len < CONSOLE_RECORD_MAX ? len : CONSOLE_RECORD_MAX;

		write_record(s, p, n);
		p += n;
		len -= n;
	}
}

void console_write(const char *s, size_t n)
{
	console_stream_write(CONSOLE_LOG, s, n);
}

void console_fatal(void)
{
	if (out.framed)
		write_record(CONSOLE_LOG, 0, 0);
}

/* ---- stdin ------------------------------------------------------------------ */

static struct console_in stdin_in;
static bool stdin_ready;
static struct mutex stdin_start_lock = MUTEX_INIT(stdin_start_lock);
static uint8_t stdin_fallback_ring[512];
static void (*stdin_notify)(void);	/* console_stdin_set_notify()'s, for stdin_in once set up */

static size_t uart_pull(void *dev, uint8_t *buf, size_t max)
{
	size_t n = 0;
	int b;

	(void)dev;
	while (n < max && (b = serial_rx_byte()) >= 0)
		buf[n++] = (uint8_t)b;
	return n;
}

static void uart_hold(void *dev, bool stop)
{
	(void)dev;
	serial_rx_irq(!stop);
}

static void uart_irq(unsigned vector, void *ctx)
{
	(void)vector;
	cin_receive(ctx);
}

/* The rate change reprograms the data port as the divisor latch: not under a writer. */
static void uart_setup(void)
{
	bool nested;
	unsigned long flags = out_lock(&nested);

	serial_rx_setup();
	if (out.framed)	/* for a host that gave the VM a virtio console and waits to know */
		serial_marker_locked(CONSOLE_STAYED);
	out_unlock(flags, nested);
}

static size_t channel_pull(void *dev, uint8_t *buf, size_t max)
{
	(void)dev;
	return out.moved->pull(buf, max);
}

/* stdin comes from the device output moved to, not the UART. */
static bool input_moved(void)
{
	return out.moved && out.moved->pull;
}

static void stdin_start_locked(void)
{
	uint8_t *ring = mm_malloc(STDIN_RING);
	size_t cap = STDIN_RING;
	int vector;

	if (!ring) {
		ring = stdin_fallback_ring;
		cap = sizeof(stdin_fallback_ring);
	}
	take_offer();	/* stdin comes from where the output goes */
	if (input_moved()) {
		/* The device holds what does not fit; console_input_arrived() brings more. */
		cin_init(&stdin_in, ring, cap, out.framed, channel_pull, NULL, 0);
		stdin_in.notify = stdin_notify;
		return;
	}
	vector = irq_alloc_vector();
	cin_init(&stdin_in, ring, cap, out.framed, uart_pull, uart_hold, 0);
	stdin_in.notify = stdin_notify;
	uart_setup();
	if (vector >= 0) {
		irq_set_handler((unsigned)vector, uart_irq, &stdin_in);
		if (irq_route_isa(SERIAL_ISA_IRQ, (unsigned)vector, cpu_self()->apic_id))
			vector = -ENODEV;
	}
	if (vector < 0) {
		printk("mote: console: no interrupt for the serial port; stdin is polled\n");
		stdin_in.hold = 0;
		stdin_in.poll_ns = STDIN_POLL_NS;
		return;
	}
	serial_rx_irq(true);
}

/* Input is set up by its first user (thread context: it allocates and may sleep). */
static struct console_in *stdin_get(void)
{
	if (__atomic_load_n(&stdin_ready, __ATOMIC_ACQUIRE))
		return &stdin_in;
	mutex_lock(&stdin_start_lock);
	if (!stdin_ready) {
		stdin_start_locked();
		__atomic_store_n(&stdin_ready, true, __ATOMIC_RELEASE);
		if (input_moved())
			cin_receive(&stdin_in);	/* what the device received before */
	}
	mutex_unlock(&stdin_start_lock);
	return &stdin_in;
}

void console_input_arrived(void)
{
	if (__atomic_load_n(&stdin_ready, __ATOMIC_ACQUIRE))
		cin_receive(&stdin_in);
}

long console_stdin_read(void *buf, size_t len, bool nonblock)
{
	return cin_read(stdin_get(), buf, len, nonblock);
}

unsigned console_stdin_poll(void)
{
	return cin_poll(stdin_get());
}

/* Kept for stdin's setup if that has not happened: a program that never reads stdin never pays for it. */
void console_stdin_set_notify(void (*fn)(void))
{
	mutex_lock(&stdin_start_lock);
	stdin_notify = fn;
	if (stdin_ready) {
		unsigned long flags = spin_lock_irqsave(&stdin_in.wq.lock);

		stdin_in.notify = fn;
		spin_unlock_irqrestore(&stdin_in.wq.lock, flags);
	}
	mutex_unlock(&stdin_start_lock);
}

/* ---- console.selftest ------------------------------------------------------- */

int console_selftest(const char *status)
{
	enum { PATTERN = 17 * 256, BUF = 4096 };
	uint8_t *pattern = mm_malloc(PATTERN + BUF), *buf = pattern + PATTERN;	/* no bss: RAM is image */
	uint64_t st = 0, echoed = 0;
	long n;

	if (status && (parse_u64(status, 0, &st) || st > 255)) {
		printk("console.selftest: bad status '%s'\n", status);
		return MOTE_STATUS_TESTS_FAILED;
	}
	if (!pattern)
		return MOTE_STATUS_TESTS_FAILED;
	for (unsigned i = 0; i < PATTERN; i++)
		pattern[i] = (uint8_t)i;
	/* 17 copies in one call: 4352 bytes, more than one record; then every byte once to stderr. */
	console_app_write(CONSOLE_STDOUT, pattern, PATTERN);
	console_app_write(CONSOLE_STDERR, pattern, 256);
	if (!out.framed) {
		printk("console.selftest: plain console, stdin has no end: not echoing\n");
		mm_free(pattern);
		return (int)st;
	}
	printk("console.selftest: echoing stdin\n");
	while ((n = console_stdin_read(buf, BUF, false)) > 0) {
		console_stream_write(CONSOLE_STDOUT, buf, (size_t)n);
		echoed += (uint64_t)n;
	}
	printk("console.selftest: echoed %lu bytes, read ended with %ld\n", echoed, n);
	mm_free(pattern);
	return n < 0 ? MOTE_STATUS_TESTS_FAILED : (int)st;
}
