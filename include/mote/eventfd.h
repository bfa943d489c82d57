/*
 * mote/eventfd: the kernel half of eventfd(2) and eventfd2(2).
 *
 * An eventfd is a 64-bit counter. read (buffer of at least 8 bytes, else
 * -EINVAL) waits until the counter is nonzero, then returns it and resets
 * it to 0, or with EFD_SEMAPHORE returns 1 and decrements it. write (8
 * bytes, else -EINVAL) adds a value to the counter, waiting while the sum
 * would exceed 0xfffffffffffffffe; writing 0xffffffffffffffff is -EINVAL.
 * Both return 8, or -EAGAIN with FILE_NONBLOCK where they would wait, or
 * -EINTR when thread_interrupt()ed while waiting. Values are the host's
 * byte order, copied by the Linux layer. poll: POLLIN while the counter is
 * nonzero, POLLOUT while at least 1 can be added.
 */
#ifndef MOTE_EVENTFD_H
#define MOTE_EVENTFD_H

#include <mote/file.h>
#include <stdint.h>

#define EFD_SEMAPHORE 1
#define EFD_NONBLOCK  FILE_NONBLOCK
#define EFD_CLOEXEC   FILE_CLOEXEC

/* A new eventfd file holding initval; ERR_PTR(-EINVAL) for unknown flags, ERR_PTR(-ENOMEM). */
struct file *eventfd_create(unsigned initval, unsigned flags);

#endif
