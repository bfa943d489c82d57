/*
 * mote/epoll: the kernel half of epoll_create1(2), epoll_ctl(2) and
 * epoll_wait(2) / epoll_pwait(2); the Linux layer copies events in and out
 * and resolves descriptors.
 *
 * An epoll instance is a struct file holding a set of items, each keyed
 * by (descriptor number, struct file *) as on Linux: the same file under
 * two descriptors (dup) may be registered twice, and closing a descriptor
 * does not remove its item while another descriptor keeps the file open.
 * An item watches its file's poll head and, when notified, goes onto the
 * instance's ready list; epoll_wait re-polls the listed files and reports
 * what is really ready:
 *
 *  - level-triggered items go back on the list after being reported, so
 *    the next epoll_wait looks again (and drops them if no longer ready);
 *  - EPOLLET items are reported once per notification;
 *  - EPOLLONESHOT items are disabled after one report until EPOLL_CTL_MOD;
 *  - EPOLLERR and EPOLLHUP are always watched for;
 *  - EPOLLEXCLUSIVE (with Linux's checks): of several instances watching
 *    one file exclusively, one wake-up wakes one that has a waiter, not
 *    all of them; EPOLLWAKEUP is ignored.
 *
 * Lifetime: an item holds no reference on its file (so no cycle can keep
 * a file or an epoll instance alive). Instead file_put() calls
 * epoll_file_release() when a file's last reference goes, which removes
 * the file's items from every instance before the file's release op runs;
 * closing an epoll instance removes all its items.
 *
 * Not supported: adding an epoll instance to another (Linux allows nested
 * instances; here it is -EINVAL), because an epoll's own poll head is
 * notified from under its items' heads, and the lock ranks allow one such
 * level (docs/poll.md). Polling an epoll file with poll/select works.
 * Files without a poll op (regular files) are -EPERM, as on Linux.
 *
 * Context: thread context, no spinlock held. epoll_ctl and instance
 * release serialize on a global mutex; epoll_wait on the instance's own.
 */
#ifndef MOTE_EPOLL_H
#define MOTE_EPOLL_H

#include <mote/file.h>
#include <stdbool.h>
#include <stdint.h>

#define EPOLLIN        0x001
#define EPOLLPRI       0x002
#define EPOLLOUT       0x004
#define EPOLLERR       0x008
#define EPOLLHUP       0x010
#define EPOLLRDNORM    0x040
#define EPOLLRDBAND    0x080
#define EPOLLWRNORM    0x100
#define EPOLLWRBAND    0x200
#define EPOLLMSG       0x400
#define EPOLLRDHUP     0x2000
#define EPOLLEXCLUSIVE (1u << 28)
#define EPOLLWAKEUP    (1u << 29)
#define EPOLLONESHOT   (1u << 30)
#define EPOLLET        (1u << 31)

#define EPOLL_CTL_ADD 1
#define EPOLL_CTL_DEL 2
#define EPOLL_CTL_MOD 3

#define EPOLL_CLOEXEC FILE_CLOEXEC

/* The x86-64 user layout (packed), so the Linux layer can copy arrays of them as they are. */
struct epoll_event_k {
	uint32_t events;
	uint64_t data;
} __attribute__((packed));

_Static_assert(sizeof(struct epoll_event_k) == 12, "x86-64 struct epoll_event");

/* A new, empty instance; flags 0 or EPOLL_CLOEXEC. ERR_PTR(-EINVAL), ERR_PTR(-ENOMEM). */
struct file *epoll_create_k(unsigned flags);

/*
 * Adds, changes or removes the item (fd, f) of instance ep. ev is read for
 * ADD and MOD. 0, or -EINVAL (ep not an epoll instance, f is ep or another
 * instance, bad op or EPOLLEXCLUSIVE misuse), -EPERM (f cannot be polled),
 * -EEXIST (ADD of a registered item), -ENOENT (MOD/DEL of an unknown
 * one), -EFAULT (ev NULL), -ENOMEM.
 */
int epoll_ctl_k(struct file *ep, int op, int fd, struct file *f, const struct epoll_event_k *ev);

/*
 * Waits until items are ready or the deadline passes (clock_monotonic_ns;
 * 0: do not wait, POLL_FOREVER: no deadline), stores up to max of them in
 * out. The number stored, 0 on timeout, -EINTR if thread_interrupt()ed,
 * -EINVAL (max <= 0, ep not an epoll instance).
 */
int epoll_wait_k(struct file *ep, struct epoll_event_k *out, int max, uint64_t deadline);

bool file_is_epoll(const struct file *f);

/* For file_put(): drops f's items from every instance. Cheap when no file is registered. */
void epoll_file_release(struct file *f);

#endif
