/*
 * Self-tests of clocks and timers: the monotonic clock moves forward at the
 * right rate, one-shot timers fire in deadline order, never early, and a
 * cancelled timer never fires. Interrupts are enabled only inside the
 * tests, waiting in arch_idle() (tickless: nothing wakes the CPU but the
 * timers themselves, so every wait arms a guard timer at its limit).
 */
#include <mote/arch.h>
#include <mote/clock.h>
#include <mote/irq.h>
#include <mote/ktest.h>
#include <mote/sched.h>
#include <mote/timer.h>

struct fired {
	unsigned count;
	uint64_t at[8];
	unsigned order[8];
};

static struct fired fired;

static void record(struct timer *t)
{
	if (fired.count < 8) {
		fired.at[fired.count] = clock_monotonic_ns();
		fired.order[fired.count] = (unsigned)(uintptr_t)t->data;
	}
	fired.count++;
}

/*
 * A timer belongs to the CPU that armed it and must be cancelled there, so
 * each timer test runs pinned: preemption must not move it mid-test.
 */
#define PINNED_KTEST(name)						\
	static void name##_body(struct ktest_ctx *kt);			\
	KTEST(name)							\
	{								\
		sched_pin();						\
		name##_body(kt);					\
		sched_unpin();						\
	}								\
	static void name##_body(struct ktest_ctx *kt)

static void wake_only(struct timer *t)
{
	(void)t;
}

/* Idles until n timers fired or limit_ns passed; a guard timer bounds the idling. */
static void wait_for(unsigned n, uint64_t limit_ns)
{
	uint64_t end = clock_monotonic_ns() + limit_ns;
	struct timer guard;

	timer_init(&guard, wake_only, 0);
	timer_arm(&guard, end);
	while (fired.count < n && clock_monotonic_ns() < end)
		arch_idle();
	timer_cancel(&guard);
}

KTEST(clock_monotonic_advances)
{
	uint64_t a = clock_monotonic_ns(), b = clock_monotonic_ns();

	KT_EXPECT(b >= a);
	KT_EXPECT(clock_realtime_ns() > 1700000000ULL * NSEC_PER_SEC);	/* after 2023 */
}

PINNED_KTEST(timer_fires_in_order_never_early)
{
	struct timer t[3];
	uint64_t now = clock_monotonic_ns();
	/* Milliseconds apart, so a host stall between the arms cannot reorder them. */
	static const uint64_t delay_us[3] = { 30000, 10000, 20000 };

	fired = (struct fired){ 0 };
	for (unsigned i = 0; i < 3; i++) {
		timer_init(&t[i], record, (void *)(uintptr_t)i);
		timer_arm(&t[i], now + delay_us[i] * NSEC_PER_USEC);
	}
	wait_for(3, 1000 * NSEC_PER_MSEC);
	KT_ASSERT(fired.count == 3);
	KT_EXPECT(fired.order[0] == 1 && fired.order[1] == 2 && fired.order[2] == 0);
	for (unsigned i = 0; i < 3; i++)
		KT_EXPECT(fired.at[i] >= now + delay_us[fired.order[i]] * NSEC_PER_USEC);
	/* Lateness bound generous for software emulation on a shared host. */
	KT_EXPECT(fired.at[2] < now + 30000 * NSEC_PER_USEC + 50 * NSEC_PER_MSEC);
}

PINNED_KTEST(timer_cancel_and_rearm)
{
	struct timer a, b;
	uint64_t now = clock_monotonic_ns();

	fired = (struct fired){ 0 };
	timer_init(&a, record, (void *)1);
	timer_init(&b, record, (void *)2);
	timer_arm(&a, now + 20000 * NSEC_PER_USEC);	/* far enough that no stall fires it first */
	timer_arm(&b, now + 40000 * NSEC_PER_USEC);
	KT_EXPECT(timer_cancel(&a));
	KT_EXPECT(!timer_cancel(&a));
	timer_arm(&b, now + 500 * NSEC_PER_USEC);	/* moving an armed timer */
	wait_for(1, 1000 * NSEC_PER_MSEC);
	wait_for(2, 5 * NSEC_PER_MSEC);			/* give a wrong second firing a chance */
	KT_EXPECT(fired.count == 1 && fired.order[0] == 2);
	KT_EXPECT(!timer_cancel(&b));
}

PINNED_KTEST(timer_past_deadline_fires_at_once)
{
	struct timer t;

	fired = (struct fired){ 0 };
	timer_init(&t, record, 0);
	timer_arm(&t, 0);
	wait_for(1, 100 * NSEC_PER_MSEC);
	KT_EXPECT(fired.count == 1);
}
