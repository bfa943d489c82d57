/*
 * mote/pipe: anonymous pipes, the kernel half of pipe(2) and pipe2(2).
 *
 * A pipe is a 64 KiB ring buffer with a read end and a write end, each a
 * struct file. Semantics are pipe(7)'s, as Linux implements them:
 *
 *  - read returns what is buffered (up to len) without waiting for more;
 *    with nothing buffered it returns 0 (end of file) once every write
 *    end is closed, -EAGAIN with FILE_NONBLOCK, else it sleeps.
 *  - write of at most PIPE_BUF bytes is atomic: it waits for room for all
 *    of it and its bytes are never interleaved with another writer's; a
 *    larger write may be split. A blocking write returns when every byte
 *    is in; a nonblocking one writes what fits (-EAGAIN if nothing, and
 *    for a small write if it does not fit whole).
 *  - writing with every read end closed returns -EPIPE (or the count
 *    already written): the caller, the Linux layer, raises SIGPIPE on
 *    -EPIPE. The pipe code knows nothing of signals.
 *  - a sleeping read or write ends with -EINTR when thread_interrupt()ed,
 *    or with the count already moved if some bytes were.
 *  - poll: the read end reports POLLIN | POLLRDNORM while bytes are
 *    buffered and POLLHUP once every write end is closed; the write end
 *    POLLOUT | POLLWRNORM while at least PIPE_BUF bytes fit (so a small
 *    write will not block) and POLLERR once every read end is closed.
 *
 * Any number of threads may use either end (dup'd descriptors share the
 * struct file). FIONREAD is the Linux layer's: pipe_bytes_readable()
 * gives the number. Context: thread context.
 */
#ifndef MOTE_PIPE_H
#define MOTE_PIPE_H

#include <mote/file.h>
#include <stddef.h>

#define PIPE_BUF      4096
#define PIPE_CAPACITY (64 * 1024)

/*
 * Makes a pipe; *rd and *wr get its two ends, one reference each. flags:
 * FILE_NONBLOCK and FILE_CLOEXEC (kept in both files' flags; the
 * descriptor table honours CLOEXEC). 0, -EINVAL for other flags, -ENOMEM.
 */
int pipe_create(struct file **rd, struct file **wr, unsigned flags);

/* Bytes buffered now (FIONREAD), for either end; -EINVAL if f is not a pipe. */
long pipe_bytes_readable(struct file *f);

#endif
