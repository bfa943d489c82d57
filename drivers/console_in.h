/*
 * The console's input buffer, apart from the UART so the self-tests can
 * drive it with a fake device (tests/ktest/console.c). Private to the
 * console; include/mote/console.h is the contract.
 *
 * A ring of bytes received and not yet read, filled from a device that
 * hands out what it has (pull), never more than the ring has room for,
 * and told to stop and resume receiving (hold) when the ring is full. A device without hold
 * keeps what it has while the ring is full, and each read pulls again. When framed, bytes go
 * through a lib/frame decoder: only stdin payload enters the ring, an
 * empty record is the end of input, anything else is dropped.
 *
 * Locking: in->wq.lock (a wait queue's lock: interrupts off) guards all
 * of it. Readers sleep on in->wq; cin_receive() (the interrupt handler's
 * body) wakes them and then calls notify without the lock.
 */
#ifndef DRIVERS_CONSOLE_IN_H
#define DRIVERS_CONSOLE_IN_H

#include <lib/frame.h>
#include <mote/sync.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct console_in {
	struct waitq wq;
	uint8_t *ring;
	size_t cap, head, count;	/* unread bytes: ring[head .. head + count) mod cap */
	bool framed, eof, paused;
	struct frame_decoder dec;
	void (*notify)(void);
	size_t (*pull)(void *dev, uint8_t *buf, size_t max);	/* up to max bytes; 0: none */
	void (*hold)(void *dev, bool stop);	/* NULL: the device cannot be told */
	void *dev;
	uint64_t poll_ns;		/* nonzero: no interrupt, readers poll the device */
};

void cin_init(struct console_in *in, uint8_t *ring, size_t cap, bool framed,
	      size_t (*pull)(void *dev, uint8_t *buf, size_t max),
	      void (*hold)(void *dev, bool stop), void *dev);

/* Takes what the device has (interrupt context, or any context with interrupts off is fine). */
void cin_receive(struct console_in *in);

/* console_stdin_read() and console_stdin_poll() on in. */
long cin_read(struct console_in *in, void *buf, size_t len, bool nonblock);
unsigned cin_poll(struct console_in *in);

#endif
