/*
 * mote/fdtable: a process's file descriptors.
 *
 * A table maps small integers to referenced struct files, with a
 * close-on-exec bit per descriptor (not per file: dup'ed descriptors of one
 * file have their own). New descriptors are always the lowest free number
 * at or above a minimum, as POSIX requires; a bitmap of used numbers makes
 * finding it a scan of 64 descriptors per step. Numbers at or above the
 * limit (RLIMIT_NOFILE, default 1024) are never handed out (-EMFILE);
 * lowering the limit leaves higher descriptors already open alone, as
 * Linux does. The arrays grow by doubling as descriptors are used.
 *
 * Locking: one mutex per table guards the arrays. fd_get takes a
 * reference on the file under it, so a close racing a read on another
 * thread only drops the table's reference and the file lives until the
 * reader's file_put. A file's last reference is never dropped with the
 * lock held (release may sleep or take other locks): close and dup2 take
 * the file out under the lock and put it after. Thread context only.
 *
 * Errors follow Linux: -EBADF for a descriptor that is not open (or a
 * target out of range for dup2/dup3), -EMFILE when no number is free
 * below the limit, -EINVAL for dup3(fd, fd) or bad flags, and for an
 * F_DUPFD minimum at or above the limit.
 */
#ifndef MOTE_FDTABLE_H
#define MOTE_FDTABLE_H

#include <mote/file.h>
#include <mote/sync.h>
#include <stdbool.h>
#include <stdint.h>

#define FD_DEFAULT_LIMIT 1024
#define FD_MAX_LIMIT 1048576	/* Linux's default fs.nr_open */
#define FD_CLOEXEC 1		/* F_GETFD / F_SETFD bit */

struct fdtable {
	struct mutex lock;
	struct file **files;	/* [capacity] */
	uint64_t *used;		/* bit per descriptor */
	uint64_t *cloexec;	/* bit per descriptor */
	unsigned capacity;	/* a multiple of 64 */
	unsigned limit;
	unsigned open;		/* descriptors in use */
};

/* An empty table with the default limit; ERR_PTR(-ENOMEM). */
struct fdtable *fdtable_create(void);
/* A copy for fork(): same numbers, files and flags, each file referenced again. */
struct fdtable *fdtable_clone(struct fdtable *t);
/* Closes everything and frees t. */
void fdtable_destroy(struct fdtable *t);

/* RLIMIT_NOFILE: 0, or -EPERM above FD_MAX_LIMIT (-EINVAL for 0 would be Linux's too). */
int fdtable_set_limit(struct fdtable *t, unsigned long limit);
unsigned fdtable_limit(struct fdtable *t);

/*
 * Installs f at the lowest free descriptor >= min. On success the table
 * owns the caller's reference and the descriptor is returned; -EMFILE,
 * -ENOMEM (the caller keeps its reference).
 */
int fd_install(struct fdtable *t, struct file *f, unsigned min, bool cloexec);

/* 0 if a descriptor >= min is free under the limit, else -EMFILE: lets a call
 * that would lose something on -EMFILE (accept dequeues a connection) fail
 * first. Only a hint while other threads open files at the same time. */
int fd_check_free(struct fdtable *t, unsigned min);

/* The file at fd with a new reference (file_put it), or ERR_PTR(-EBADF). */
struct file *fd_get(struct fdtable *t, int fd);

/*
 * The file at fd with neither the lock nor a reference, or ERR_PTR(-EBADF):
 * only for a caller that no other thread can race on t (the table's only
 * user, in a process with one thread), and only until it next changes t.
 */
struct file *fd_peek(struct fdtable *t, int fd);

/* The lowest open descriptor >= from, or -1 (listing /proc/self/fd). */
int fd_next(struct fdtable *t, int from);

/* close(2): 0 or -EBADF. */
int fd_close(struct fdtable *t, int fd);

/* dup(2) (min 0) and F_DUPFD / F_DUPFD_CLOEXEC: the new descriptor. */
int fd_dup(struct fdtable *t, int oldfd, unsigned long min, bool cloexec);
/* dup2(2): newfd, closing what was there; dup2(fd, fd) is fd if open. */
int fd_dup2(struct fdtable *t, int oldfd, int newfd);
/* dup3(2): flags 0 or O_CLOEXEC (FILE_CLOEXEC); dup3(fd, fd) is -EINVAL. */
int fd_dup3(struct fdtable *t, int oldfd, int newfd, unsigned flags);

/* F_GETFD / F_SETFD: FD_CLOEXEC or 0; -EBADF. */
int fd_get_flags(struct fdtable *t, int fd);
int fd_set_flags(struct fdtable *t, int fd, unsigned flags);

/* execve(): closes every close-on-exec descriptor. */
void fdtable_close_on_exec(struct fdtable *t);

#endif
