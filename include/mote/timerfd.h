/*
 * mote/timerfd: the kernel half of timerfd_create(2), timerfd_settime(2)
 * and timerfd_gettime(2).
 *
 * A timerfd counts expirations of a timer on CLOCK_MONOTONIC,
 * CLOCK_REALTIME or CLOCK_BOOTTIME (the same as monotonic here: a guest
 * does not suspend). read (at least 8 bytes, else -EINVAL) waits until
 * the count is nonzero, returns it as a uint64_t and resets it: -EAGAIN
 * with FILE_NONBLOCK, -EINTR when thread_interrupt()ed. poll: POLLIN while
 * the count is nonzero. Arming (settime) resets the count, as Linux.
 *
 * Times are nanoseconds; the Linux layer converts struct itimerspec and
 * rejects out-of-range tv_nsec. A value of 0 disarms. With
 * TFD_TIMER_ABSTIME the value is a time on the timer's clock, else
 * relative to now; a time already past expires at once (and an interval
 * timer counts the periods missed). gettime reports the time left (never
 * 0 while armed) and the interval.
 *
 * A REALTIME absolute time is converted to monotonic when set: a later
 * change of the wall clock does not move it (mote cannot set the wall
 * clock yet), and TFD_TIMER_CANCEL_ON_SET is accepted and has no effect.
 * The alarm clocks are -EINVAL.
 */
#ifndef MOTE_TIMERFD_H
#define MOTE_TIMERFD_H

#include <mote/file.h>
#include <stdint.h>

#define CLOCK_REALTIME  0
#define CLOCK_MONOTONIC 1
#define CLOCK_BOOTTIME  7

#define TFD_TIMER_ABSTIME       1
#define TFD_TIMER_CANCEL_ON_SET 2
#define TFD_NONBLOCK            FILE_NONBLOCK
#define TFD_CLOEXEC             FILE_CLOEXEC

struct timerfd_spec {
	uint64_t value_ns;	/* first expiry (0: disarmed) */
	uint64_t interval_ns;	/* period after it (0: one-shot) */
};

/* A new, disarmed timerfd; ERR_PTR(-EINVAL) (clock, flags), ERR_PTR(-ENOMEM). */
struct file *timerfd_create(int clockid, unsigned flags);

/* Arms or disarms f; the previous setting goes to *old if old is not NULL. 0 or -EINVAL. */
int timerfd_settime_k(struct file *f, unsigned flags, const struct timerfd_spec *new_spec,
		      struct timerfd_spec *old);

/* The time left and the interval. 0 or -EINVAL (f not a timerfd). */
int timerfd_gettime_k(struct file *f, struct timerfd_spec *cur);

#endif
