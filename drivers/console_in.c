/*
 * The console's input ring (see console_in.h).
 *
 * Flow control is the device's: the ring never drops a byte. When it is
 * full the device is held (the UART's receive interrupt masked) and bytes
 * stay in the UART, then in QEMU's chardev, then in the host's pipe; the
 * first read that makes room releases it. A reader copies out under the
 * lock, so concurrent readers see disjoint, ordered chunks.
 */
#include <lib/errno.h>
#include <lib/string.h>
#include <mote/thread.h>

#include "console_in.h"

void cin_init(struct console_in *in, uint8_t *ring, size_t cap, bool framed,
	      size_t (*pull)(void *dev, uint8_t *buf, size_t max),
	      void (*hold)(void *dev, bool stop), void *dev)
{
	memset(in, 0, sizeof(*in));
	waitq_init(&in->wq);
	in->ring = ring;
	in->cap = cap;
	in->framed = framed;
	in->pull = pull;
	in->hold = hold;
	in->dev = dev;
	frame_decoder_init(&in->dec, CONSOLE_STDIN);
}

/* Appends n bytes (the caller made sure they fit). */
static void push(struct console_in *in, const uint8_t *p, size_t n)
{
	size_t tail = (in->head + in->count) % in->cap;
	size_t first = in->cap - tail < n ? in->cap - tail : n;

	memcpy(in->ring + tail, p, first);
	memcpy(in->ring, p + first, n - first);
	in->count += n;
}

/* n bytes from the device (no more than the ring has room for); true if news for a reader. */
static bool take(struct console_in *in, const uint8_t *p, size_t n)
{
	bool news = false;

	if (!in->framed) {
		push(in, p, n);
		return true;
	}
	while (n) {
		struct frame_span s;
		size_t used = frame_decode(&in->dec, p, n, &s);

		if (s.kind == FRAME_DATA && !in->eof) {
			push(in, s.data, s.len);
			news = true;
		} else if (s.kind == FRAME_EMPTY && !in->eof) {
			in->eof = true;
			news = true;
		}	/* else header bytes, stray bytes, anything after the end */
		p += used;
		n -= used;
	}
	return news;
}

/*
 * With the lock held: pulls while there is room, holds the device once the
 * ring is full. A pull never asks for more than the room left, so payload,
 * which is at most what was pulled, always fits.
 */
static bool fill_locked(struct console_in *in)
{
	uint8_t chunk[256];
	bool news = false;
	size_t n;

	while (in->count < in->cap) {
		size_t room = in->cap - in->count;

		n = in->pull(in->dev, chunk, room < sizeof(chunk) ? room : sizeof(chunk));
		if (!n)
			break;
		news |= take(in, chunk, n);
	}
	if (in->count == in->cap && !in->paused && in->hold) {
		in->paused = true;
		in->hold(in->dev, true);
	}
	return news;
}

void cin_receive(struct console_in *in)
{
	unsigned long flags = spin_lock_irqsave(&in->wq.lock);
	bool news = fill_locked(in);
	void (*notify)(void) = in->notify;

	if (news)
		waitq_wake_locked(&in->wq, ~0u);
	spin_unlock_irqrestore(&in->wq.lock, flags);
	if (news && notify)
		notify();
}

static size_t copy_out(struct console_in *in, uint8_t *dst, size_t len)
{
	size_t n = len < in->count ? len : in->count;
	size_t first = in->cap - in->head < n ? in->cap - in->head : n;

	memcpy(dst, in->ring + in->head, first);
	memcpy(dst + first, in->ring, n - first);
	in->head = (in->head + n) % in->cap;
	in->count -= n;
	if (in->paused && in->count < in->cap) {
		in->paused = false;
		in->hold(in->dev, false);	/* the device interrupts again if it holds more */
	}
	return n;
}

/* Polled input: waits a tick without the lock, then looks again. */
static long poll_wait(struct console_in *in, unsigned long *flags)
{
	spin_unlock_irqrestore(&in->wq.lock, *flags);
	if (thread_interrupted()) {
		*flags = spin_lock_irqsave(&in->wq.lock);
		return -EINTR;
	}
	thread_sleep_ns(in->poll_ns);
	*flags = spin_lock_irqsave(&in->wq.lock);
	return 0;
}

long cin_read(struct console_in *in, void *buf, size_t len, bool nonblock)
{
	unsigned long flags = spin_lock_irqsave(&in->wq.lock);
	long ret = 0;

	for (;;) {
		if (in->poll_ns)
			fill_locked(in);
		if (in->count || in->eof)
			break;
		if (nonblock) {
			ret = -EAGAIN;
			break;
		}
		if (in->poll_ns) {
			ret = poll_wait(in, &flags);
		} else {
			struct waiter w;

			waitq_add(&in->wq, &w);
			ret = waitq_sleep(&w, 0, WAIT_INTERRUPTIBLE);
		}
		if (ret == -EINTR && !in->count && !in->eof)
			break;
		ret = 0;
	}
	if (!ret && len) {
		ret = (long)copy_out(in, buf, len);
		if (!in->hold)
			fill_locked(in);	/* what the device kept while the ring was full */
	}
	spin_unlock_irqrestore(&in->wq.lock, flags);
	return ret;
}

unsigned cin_poll(struct console_in *in)
{
	unsigned long flags = spin_lock_irqsave(&in->wq.lock);
	unsigned ready;

	if (in->poll_ns)
		fill_locked(in);
	ready = in->count || in->eof;
	spin_unlock_irqrestore(&in->wq.lock, flags);
	return ready;
}
