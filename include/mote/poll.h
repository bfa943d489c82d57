/*
 * mote/poll: waiting for readiness on several files at once, the core of
 * poll(2), ppoll(2), select(2) and pselect6(2). The readiness mechanism
 * itself (struct poll_head, struct poll_watch, poll_notify) is declared in
 * mote/file.h; docs/poll.md has the design and the lock order.
 *
 * poll_files() never loses a wake-up: it adds a watch to every file
 * *before* asking each file what is ready, so a change that lands after a
 * file answered "nothing" notifies a watch that is already in place, and
 * the notify marks the poller triggered under the same lock the poller
 * tests before it sleeps.
 *
 * Deadlines are clock_monotonic_ns() values; 0 means "do not wait" (poll
 * with a zero timeout) and POLL_FOREVER means no deadline. Context: thread
 * context, no spinlock held; the caller holds a reference on every file
 * for the duration of the call.
 */
#ifndef MOTE_POLL_H
#define MOTE_POLL_H

#include <mote/file.h>
#include <stdbool.h>
#include <stdint.h>

#define POLL_FOREVER UINT64_MAX

/*
 * What the caller passes for a descriptor that is not open: poll(2)
 * reports POLLNVAL for it (and counts it as ready). A NULL entry is a
 * negative descriptor, which poll(2) ignores (revents 0).
 */
#define POLL_FILE_BADF ((struct file *)1)

/* What a file with no poll op reports (Linux's DEFAULT_POLLMASK). */
#define POLL_DEFAULT_MASK (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM)

/*
 * Fills revents[i] with the events of events[i] that files[i] has ready
 * (POLLERR and POLLHUP whether asked for or not; POLLNVAL for
 * POLL_FILE_BADF), waiting until at least one entry has any or the
 * deadline passes. Returns the number of entries with nonzero revents, 0
 * on timeout, -EINTR if thread_interrupt() ended the wait first, -ENOMEM.
 */
int poll_files(struct file **files, const short *events, short *revents, unsigned n,
	       uint64_t deadline_ns);

/*
 * select(2) on top of poll_files: the three sets are bitmaps of nfds bits
 * (64 per word, as the x86-64 fd_set), any of them NULL; files[fd] is the
 * file of each descriptor named in a set (the others are not looked at).
 * On success the sets are rewritten to the ready descriptors and the total
 * number of bits set is returned (0 on timeout); -EBADF if a named
 * descriptor's file is NULL or POLL_FILE_BADF (the sets are then
 * unchanged), -EINTR, -ENOMEM. Readable: POLLIN, POLLHUP or POLLERR;
 * writable: POLLOUT or POLLERR; exceptional: POLLPRI (as Linux).
 */
int poll_select(struct file **files, unsigned nfds, uint64_t *rd, uint64_t *wr, uint64_t *ex,
		uint64_t deadline_ns);

/*
 * For a watch's notify (head lock held): whether an exclusive watcher has
 * already taken the poll_notify() pass in progress, and taking it. epoll
 * uses them for EPOLLEXCLUSIVE: a wake-up reaches the first exclusive
 * item that wakes a waiter, not every one.
 */
bool poll_notify_exclusive_taken(void);
void poll_notify_exclusive_take(void);

/* Readiness of one file now, no waiting: f->ops->poll(f, NULL) or POLL_DEFAULT_MASK. */
unsigned poll_file_now(struct file *f);

#endif
