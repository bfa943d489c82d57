/*
 * Self-tests of the console's input ring (drivers/console_in.c) on a fake
 * device, so they neither need nor disturb the real serial port: framed
 * records in, payload out and the end of input; a full ring holds the
 * device and a read releases it; a blocked reader is woken by data and by
 * thread_interrupt(); the notify hook runs.
 */
#include <lib/err.h>
#include <lib/errno.h>
#include <lib/frame.h>
#include <lib/string.h>
#include <mote/ktest.h>
#include <mote/sync.h>
#include <mote/thread.h>

#include "../../drivers/console_in.h"

struct fake_dev {
	uint8_t bytes[256];
	size_t len, pos;
	bool held;
	unsigned holds;
};

/* Hands out at most 3 bytes a call, so records arrive split at every offset. */
static size_t fake_pull(void *dev, uint8_t *buf, size_t max)
{
	struct fake_dev *f = dev;
	size_t n = f->len - f->pos;

	if (n > max)
		n = max;
	if (n > 3)
		n = 3;
	memcpy(buf, f->bytes + f->pos, n);
	f->pos += n;
	return n;
}

static void fake_hold(void *dev, bool stop)
{
	struct fake_dev *f = dev;

	f->held = stop;
	f->holds++;
}

static void fake_record(struct fake_dev *f, const char *s, size_t n)
{
	frame_header(f->bytes + f->len, CONSOLE_STDIN, n);
	memcpy(f->bytes + f->len + CONSOLE_HEADER, s, n);
	f->len += CONSOLE_HEADER + n;
}

KTEST(console_stdin_framed)
{
	static struct console_in in;
	static struct fake_dev f;
	static uint8_t ring[64];
	char buf[16];

	memset(&f, 0, sizeof(f));
	cin_init(&in, ring, sizeof(ring), true, fake_pull, fake_hold, &f);
	KT_EXPECT(cin_read(&in, buf, sizeof(buf), true) == -EAGAIN && !cin_poll(&in));
	fake_record(&f, "abc", 3);
	f.bytes[f.len++] = 'X';		/* outside a record: dropped */
	fake_record(&f, "\xf5\x00z", 3);
	fake_record(&f, "", 0);		/* the end */
	fake_record(&f, "late", 4);	/* after the end: dropped */
	cin_receive(&in);
	KT_EXPECT(cin_poll(&in));
	KT_EXPECT(cin_read(&in, buf, 4, false) == 4 && !memcmp(buf, "abc\xf5", 4));
	KT_EXPECT(cin_read(&in, buf, sizeof(buf), false) == 2 && !memcmp(buf, "\x00z", 2));
	KT_EXPECT(cin_read(&in, buf, sizeof(buf), false) == 0);
	KT_EXPECT(cin_read(&in, buf, sizeof(buf), true) == 0 && cin_poll(&in));
}

KTEST(console_stdin_full_ring_holds_device)
{
	static struct console_in in;
	static struct fake_dev f;
	static uint8_t ring[8];
	char buf[32];

	memset(&f, 0, sizeof(f));
	for (unsigned i = 0; i < 20; i++)
		f.bytes[f.len++] = (uint8_t)('a' + i);
	cin_init(&in, ring, sizeof(ring), false, fake_pull, fake_hold, &f);
	cin_receive(&in);
	KT_EXPECT(f.pos == 8 && f.held && f.holds == 1);
	KT_EXPECT(cin_read(&in, buf, 5, false) == 5 && !memcmp(buf, "abcde", 5));
	KT_EXPECT(!f.held && f.holds == 2);
	cin_receive(&in);	/* what the released device's interrupt does */
	KT_EXPECT(f.pos == 13 && f.held);
	KT_EXPECT(cin_read(&in, buf, sizeof(buf), false) == 8 && !memcmp(buf, "fghijklm", 8));
	cin_receive(&in);
	KT_EXPECT(cin_read(&in, buf, sizeof(buf), false) == 7 && !memcmp(buf, "nopqrst", 7));
	KT_EXPECT(cin_read(&in, buf, sizeof(buf), true) == -EAGAIN);	/* plain: no end */
}

static struct console_in wake_in;
static volatile long wake_result;
static char wake_buf[8];
static unsigned notified;

static void count_notify(void)
{
	notified++;
}

static void *blocked_reader(void *arg)
{
	(void)arg;
	wake_result = cin_read(&wake_in, wake_buf, sizeof(wake_buf), false);
	return 0;
}

/* Waits (a bounded while) until the reader sleeps on the queue. */
static bool reader_waiting(struct console_in *in)
{
	for (unsigned i = 0; i < 1000; i++) {
		unsigned long flags = spin_lock_irqsave(&in->wq.lock);
		bool queued = !list_empty(&in->wq.waiters);

		spin_unlock_irqrestore(&in->wq.lock, flags);
		if (queued)
			return true;
		thread_sleep_ns(1000000);
	}
	return false;
}

KTEST(console_stdin_wakes_reader)
{
	static struct fake_dev f;
	static uint8_t ring[16];
	struct thread *t;

	memset(&f, 0, sizeof(f));
	cin_init(&wake_in, ring, sizeof(ring), true, fake_pull, fake_hold, &f);
	wake_in.notify = count_notify;
	notified = 0;
	wake_result = 99;
	t = thread_create(blocked_reader, 0, 0);
	KT_ASSERT(!IS_ERR(t));
	KT_EXPECT(reader_waiting(&wake_in));
	fake_record(&f, "hi", 2);
	cin_receive(&wake_in);
	KT_EXPECT(thread_join(t, 0) == 0);
	KT_EXPECT(wake_result == 2 && !memcmp(wake_buf, "hi", 2) && notified == 1);

	t = thread_create(blocked_reader, 0, 0);
	KT_ASSERT(!IS_ERR(t));
	KT_EXPECT(reader_waiting(&wake_in));
	thread_interrupt(t);
	KT_EXPECT(thread_join(t, 0) == 0);
	KT_EXPECT(wake_result == -EINTR);
}
