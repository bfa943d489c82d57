/*
 * Descriptor system calls: I/O on open files (read, write and their
 * vectored and positioned forms, lseek, getdents64), the descriptor table
 * (close, dup*, fcntl), ioctl, and the file kinds that live outside the
 * filesystem (pipe, eventfd, timerfd).
 *
 * File ops take kernel buffers (mote/file.h), so each call moves data
 * through a bounce buffer of at most BOUNCE bytes: a regular file or a
 * device whose reads fill (/dev/zero) is read or written in as many rounds
 * as needed, anything else (a pipe, the console) gets one round per read,
 * as a short count there is normal and a second round could block after
 * data already moved. readv and writev hand the op one buffer for all
 * their iovecs, as one read or write. Sockets are not chunked: their reads
 * and writes are recv and send (socket.c), which keep a datagram whole.
 */
#include <lib/err.h>
#include <lib/errno.h>
#include <lib/string.h>
#include <mote/eventfd.h>
#include <mote/fdtable.h>
#include <mote/file.h>
#include <mote/linux.h>
#include <mote/mm.h>
#include <mote/pipe.h>
#include <mote/socket.h>
#include <mote/timerfd.h>
#include <mote/uaccess.h>
#include <mote/vfs.h>
#include "linux_internal.h"
#include "syscall.h"

#define BOUNCE      (64 * 1024)
#define SMALL_IO    256
#define O_LARGEFILE 0100000

struct file *fget(int fd)
{
	return fd_get(current_process()->fds, fd);
}

/*
 * The file at fd for the length of one read or write, given back with
 * fput_light(). Only a process's own threads change its table, so with one
 * thread nobody can close the descriptor meanwhile and the call takes
 * neither the table's lock nor a reference, as Linux's fdget() does; that is
 * most of a one-byte read's cost beyond the system call itself. The thread
 * count may only rise through this thread, so reading it unlocked is safe.
 */
static struct file *fget_light(int fd, bool *ref)
{
	struct linux_process *p = current_process();

	*ref = __atomic_load_n(&p->nr_tasks, __ATOMIC_RELAXED) != 1;
	return *ref ? fd_get(p->fds, fd) : fd_peek(p->fds, fd);
}

static void fput_light(struct file *f, bool ref)
{
	if (ref)
		file_put(f);
}

static bool is_regular(const struct file *f)
{
	return f->vnode && VFS_ISREG(f->vnode->mode);
}

/* A write to a pipe nobody reads: EPIPE, and SIGPIPE to the writer (pipe(7)). */
static long raise_epipe(long ret)
{
	if (ret == -EPIPE) {
		struct k_siginfo info = { .signo = SIGPIPE, .code = SI_USER };

		signal_send_task(current_task(), &info);
	}
	return ret;
}

/*
 * One read or write of u's buffers, at offset *off when off is not NULL
 * (pread/pwrite; the file position is not used). The file's op sees one
 * buffer however many iovecs there are, as Linux's ->read_iter does: a
 * readv from a pipe returns what is there rather than wait to fill a
 * second iovec after the first, and a writev of up to PIPE_BUF stays whole.
 * Returns bytes moved or -errno (errors after progress become the count,
 * as Linux).
 */
static long do_io(struct file *f, bool writing, const struct uio *u, uint64_t *off)
{
	size_t len = u->total, chunk = len < BOUNCE ? len : BOUNCE, done = 0;
	char small[SMALL_IO], *buf = small;	/* small I/O needs no allocation */
	long ret = 0;

	/* A page keeps a pipe write of up to PIPE_BUF whole. */
	if (chunk > sizeof(small) && !(buf = io_buffer(&chunk, true)))
		return -ENOMEM;
	do {
		size_t n = len - done < chunk ? len - done : chunk;

		if (writing && uio_copy(u, done, buf, n, false)) {
			ret = -EFAULT;
			break;
		}
		if (off)
			ret = writing ? (f->ops->pwrite ? f->ops->pwrite(f, buf, n, *off + done) : -ESPIPE)
				      : (f->ops->pread ? f->ops->pread(f, buf, n, *off + done) : -ESPIPE);
		else
			ret = writing ? f->ops->write(f, buf, n) : f->ops->read(f, buf, n);
		if (ret <= 0)
			break;
		if (!writing && uio_copy(u, done, buf, (size_t)ret, true)) {
			ret = -EFAULT;
			break;
		}
		done += (size_t)ret;
		if ((size_t)ret < n)
			break;
	} while (done < len && (is_regular(f) || writing || f->ops->reads_fill));
	if (buf != small)
		mm_free(buf);
	return done ? (long)done : ret;
}

/* What read and write check of the file, before its buffers (Linux's order): 0 or -errno. */
static inline long io_check(struct file *f, bool writing, const uint64_t *off)
{
	if ((f->flags & FILE_ACCMODE) == (writing ? VFS_O_RDONLY : VFS_O_WRONLY) ||
	    (f->flags & FILE_PATH))
		return -EBADF;
	if (writing ? !(f->ops->write || f->ops->pwrite) : !(f->ops->read || f->ops->pread))
		return -EINVAL;
	return off && (int64_t)*off < 0 ? -EINVAL : 0;
}

static inline long file_io(struct file *f, bool writing, const struct uio *u, uint64_t *off)
{
	long ret;

	if (!off && socket_of(f))
		return socket_file_rw(f, writing, u);	/* raises its own SIGPIPE */
	ret = do_io(f, writing, u, off);
	return writing ? raise_epipe(ret) : ret;
}

/*
 * read, write, pread64, pwrite64 (vec false: n bytes at ubuf) and their
 * vector forms (vec true: n iovecs at ubuf); off NULL for none. The file
 * is checked before the buffers, in Linux's order (EBADF before EFAULT).
 */
static long fd_io(int fd, bool writing, unsigned long ubuf, unsigned long n, bool vec, uint64_t *off)
{
	bool ref;
	struct file *f = fget_light(fd, &ref);
	struct uiovec one;
	struct uio u = { 0 };	/* a vector refused before uio_in still frees u.iov */
	long ret;

	if (IS_ERR(f))
		return PTR_ERR(f);
	if (!(ret = io_check(f, writing, off))) {
		if (!vec)
			ret = uio_single(&u, &one, ubuf, n);
		else
			ret = n > UIO_MAXIOV ? -EINVAL : uio_in(&u, ubuf, n);
		if (!ret)
			ret = file_io(f, writing, &u, off);
		if (vec)
			mm_free(u.iov);
	}
	fput_light(f, ref);
	return ret;
}

SYSCALL(read) { return fd_io((int)a0, false, a1, a2, false, NULL); }
SYSCALL(write) { return fd_io((int)a0, true, a1, a2, false, NULL); }
SYSCALL(pread64) { uint64_t off = a3; return fd_io((int)a0, false, a1, a2, false, &off); }
SYSCALL(pwrite64) { uint64_t off = a3; return fd_io((int)a0, true, a1, a2, false, &off); }

/* The vector forms: all the iovecs are one call's buffers (off < 0: none). */
static long fd_iov(int fd, bool writing, unsigned long uiov, unsigned long cnt, int64_t off)
{
	uint64_t pos = (uint64_t)off;

	return fd_io(fd, writing, uiov, cnt, true, off >= 0 ? &pos : NULL);
}

SYSCALL(readv) { return fd_iov((int)a0, false, a1, a2, -1); }
SYSCALL(writev) { return fd_iov((int)a0, true, a1, a2, -1); }
SYSCALL(preadv) { return (int64_t)a3 < 0 ? -EINVAL : fd_iov((int)a0, false, a1, a2, (int64_t)a3); }
SYSCALL(pwritev) { return (int64_t)a3 < 0 ? -EINVAL : fd_iov((int)a0, true, a1, a2, (int64_t)a3); }

SYSCALL(lseek)
{
	struct file *f = fget((int)a0);
	long ret;

	if (IS_ERR(f))
		return PTR_ERR(f);
	ret = f->flags & FILE_PATH ? -EBADF : f->ops->lseek ? f->ops->lseek(f, (int64_t)a1, (int)a2)
								     : -ESPIPE;
	file_put(f);
	return ret;
}

SYSCALL(getdents64)
{
	struct file *f = fget((int)a0);
	size_t len = a2 < BOUNCE ? a2 : BOUNCE;
	char *buf;
	long ret;

	if (IS_ERR(f))
		return PTR_ERR(f);
	if (!f->ops->getdents)
		ret = -ENOTDIR;
	else if (!(buf = io_buffer(&len, true)))	/* a page holds any entry */
		ret = -ENOMEM;
	else {
		ret = f->ops->getdents(f, buf, len);
		if (ret > 0 && copy_to_user((void *)a1, buf, (size_t)ret))
			ret = -EFAULT;
		mm_free(buf);
	}
	file_put(f);
	return ret;
}

SYSCALL(close)
{
	return fd_close(current_process()->fds, (int)a0);
}

SYSCALL(dup)
{
	return fd_dup(current_process()->fds, (int)a0, 0, false);
}

SYSCALL(dup2)
{
	return fd_dup2(current_process()->fds, (int)a0, (int)a1);
}

SYSCALL(dup3)
{
	return fd_dup3(current_process()->fds, (int)a0, (int)a1, (unsigned)a2);
}

enum {
	F_DUPFD = 0, F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4, F_GETLK = 5, F_SETLK = 6,
	F_SETLKW = 7, F_SETOWN = 8, F_GETOWN = 9, F_OFD_GETLK = 36, F_OFD_SETLK = 37,
	F_OFD_SETLKW = 38, F_DUPFD_CLOEXEC = 1030, F_SETPIPE_SZ = 1031, F_GETPIPE_SZ = 1032,
	F_GET_SEALS = 1034,
};
#define F_UNLCK 2
#define SETFL_MASK (VFS_O_APPEND | VFS_O_NONBLOCK | 020000 /* O_ASYNC */ | 040000 /* O_DIRECT */ | \
		    01000000 /* O_NOATIME */)

/* struct flock: l_type, l_whence (shorts), l_start, l_len, l_pid. */
struct flock_k {
	int16_t type, whence;
	int32_t pad;
	int64_t start, len;
	int32_t pid, pad2;
};

/* One process: no other holds a lock, so every lock is granted and none is found. */
static long record_lock(int cmd, unsigned long arg)
{
	struct flock_k fl;

	if (copy_from_user(&fl, (void *)arg, sizeof(fl)))
		return -EFAULT;
	if (fl.type < 0 || fl.type > F_UNLCK || fl.whence < 0 || fl.whence > 2)
		return -EINVAL;
	if (cmd == F_GETLK || cmd == F_OFD_GETLK) {
		fl.type = F_UNLCK;
		return copy_to_user((void *)arg, &fl, sizeof(fl)) ? -EFAULT : 0;
	}
	return 0;
}

SYSCALL(fcntl)
{
	struct fdtable *t = current_process()->fds;
	int fd = (int)a0, cmd = (int)a1;
	struct file *f = fget(fd);
	long ret = 0;

	if (IS_ERR(f))
		return PTR_ERR(f);
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		ret = fd_dup(t, fd, a2, cmd == F_DUPFD_CLOEXEC);
		break;
	case F_GETFD:
		ret = fd_get_flags(t, fd);
		break;
	case F_SETFD:
		ret = fd_set_flags(t, fd, (unsigned)a2 & FD_CLOEXEC);
		break;
	case F_GETFL:
		ret = (f->flags & ~FILE_CLOEXEC) | (f->vnode ? O_LARGEFILE : 0);
		break;
	case F_SETFL:
		__atomic_store_n(&f->flags, (f->flags & ~SETFL_MASK) | ((unsigned)a2 & SETFL_MASK),
				 __ATOMIC_RELAXED);
		break;
	case F_GETLK: case F_SETLK: case F_SETLKW: case F_OFD_GETLK: case F_OFD_SETLK:
	case F_OFD_SETLKW:
		ret = f->flags & FILE_PATH ? -EBADF : record_lock(cmd, a2);
		break;
	case F_GETOWN:
		ret = 0;
		break;
	case F_SETOWN:
		ret = 0;
		break;
	case F_GETPIPE_SZ:
		ret = pipe_bytes_readable(f) >= 0 ? 65536 : -EBADF;
		break;
	case F_SETPIPE_SZ:
		ret = pipe_bytes_readable(f) < 0 ? -EBADF : a2 > 1048576 ? -EPERM : 65536;
		break;
	case F_GET_SEALS:
		ret = -EINVAL;
		break;
	default:
		ret = -EINVAL;
	}
	file_put(f);
	return ret;
}

enum {
	TCGETS = 0x5401, TIOCGWINSZ = 0x5413, FIONREAD = 0x541b, FIONBIO = 0x5421,
	FIONCLEX = 0x5450, FIOCLEX = 0x5451,
};

SYSCALL(ioctl)
{
	struct fdtable *t = current_process()->fds;
	int fd = (int)a0;
	struct file *f = fget(fd);
	long ret;
	int v;

	if (IS_ERR(f))
		return PTR_ERR(f);
	switch ((unsigned)a1) {
	case FIOCLEX:
	case FIONCLEX:
		ret = fd_set_flags(t, fd, a1 == FIOCLEX ? FD_CLOEXEC : 0);
		break;
	case FIONBIO:
		if (copy_from_user(&v, (void *)a2, sizeof(v))) {
			ret = -EFAULT;
			break;
		}
		__atomic_store_n(&f->flags, v ? f->flags | FILE_NONBLOCK : f->flags & ~FILE_NONBLOCK,
				 __ATOMIC_RELAXED);
		ret = 0;
		break;
	case FIONREAD:
		if (socket_of(f)) {	/* SIOCINQ: the family's count */
			ret = f->ops->ioctl(f, (unsigned)a1, a2);
			break;
		}
		ret = pipe_bytes_readable(f);
		if (ret == -EBADF && is_regular(f)) {
			struct kstat st;

			ret = vfs_stat(f->vnode, &st) ? -EIO : st.size > (int64_t)f->pos ?
			      st.size - (int64_t)f->pos : 0;
		}
		if (ret >= 0) {
			v = (int)ret;
			ret = copy_to_user((void *)a2, &v, sizeof(v)) ? -EFAULT : 0;
		} else {
			ret = -ENOTTY;
		}
		break;
	default:
		/* No terminals: TCGETS, TIOCGWINSZ and the rest answer "not a tty". */
		ret = f->ops->ioctl ? f->ops->ioctl(f, (unsigned)a1, a2) : -ENOTTY;
	}
	file_put(f);
	return ret;
}

/* Installs a new file as the lowest free descriptor; drops it on failure. */
long install_file(struct file *f, bool cloexec)
{
	long fd;

	if (IS_ERR(f))
		return PTR_ERR(f);
	fd = fd_install(current_process()->fds, f, 0, cloexec);
	if (fd < 0)
		file_put(f);
	return fd;
}

SYSCALL(pipe2)
{
	struct fdtable *t = current_process()->fds;
	struct file *rd, *wr;
	int fds[2], ret;
	bool cloexec = a1 & FILE_CLOEXEC;

	if (a1 & ~(unsigned long)(FILE_CLOEXEC | FILE_NONBLOCK | 040000 /* O_DIRECT */))
		return -EINVAL;
	if (a1 & 040000)
		return -EINVAL;	/* packet mode: not yet */
	if ((ret = pipe_create(&rd, &wr, (unsigned)a1 & FILE_NONBLOCK)))
		return ret;
	fds[0] = (int)install_file(rd, cloexec);
	if (fds[0] < 0) {
		file_put(wr);
		return fds[0];
	}
	fds[1] = (int)install_file(wr, cloexec);
	if (fds[1] < 0) {
		fd_close(t, fds[0]);
		return fds[1];
	}
	if (copy_to_user((void *)a0, fds, sizeof(fds))) {
		fd_close(t, fds[0]);
		fd_close(t, fds[1]);
		return -EFAULT;
	}
	return 0;
}

SYSCALL(pipe)
{
	return sys_pipe2(a0, 0, 0, 0, 0, 0);
}

SYSCALL(eventfd2)
{
	if (a1 & ~(unsigned long)(FILE_CLOEXEC | FILE_NONBLOCK | 1 /* EFD_SEMAPHORE */))
		return -EINVAL;
	return install_file(eventfd_create((unsigned)a0, (unsigned)a1), a1 & FILE_CLOEXEC);
}

SYSCALL(eventfd)
{
	return install_file(eventfd_create((unsigned)a0, 0), false);
}

SYSCALL(timerfd_create)
{
	return install_file(timerfd_create((int)a0, (unsigned)a1), a1 & FILE_CLOEXEC);
}

struct itimerspec_k {
	int64_t int_sec, int_nsec, val_sec, val_nsec;
};

static int spec_in(unsigned long u, struct timerfd_spec *s)
{
	struct itimerspec_k it;

	if (copy_from_user(&it, (void *)u, sizeof(it)))
		return -EFAULT;
	if (it.int_sec < 0 || it.val_sec < 0 || it.int_nsec < 0 || it.val_nsec < 0 ||
	    it.int_nsec >= 1000000000 || it.val_nsec >= 1000000000)
		return -EINVAL;
	s->interval_ns = (uint64_t)it.int_sec * 1000000000ULL + (uint64_t)it.int_nsec;
	s->value_ns = (uint64_t)it.val_sec * 1000000000ULL + (uint64_t)it.val_nsec;
	return 0;
}

static int spec_out(unsigned long u, const struct timerfd_spec *s)
{
	struct itimerspec_k it = {
		(int64_t)(s->interval_ns / 1000000000ULL), (int64_t)(s->interval_ns % 1000000000ULL),
		(int64_t)(s->value_ns / 1000000000ULL), (int64_t)(s->value_ns % 1000000000ULL),
	};

	return copy_to_user((void *)u, &it, sizeof(it)) ? -EFAULT : 0;
}

SYSCALL(timerfd_settime)
{
	struct file *f;
	struct timerfd_spec n, old;
	int ret;

	if ((ret = spec_in(a2, &n)))
		return ret;
	f = fget((int)a0);
	if (IS_ERR(f))
		return PTR_ERR(f);
	ret = timerfd_settime_k(f, (unsigned)a1, &n, &old);
	file_put(f);
	if (!ret && a3)
		ret = spec_out(a3, &old);
	return ret;
}

SYSCALL(timerfd_gettime)
{
	struct file *f = fget((int)a0);
	struct timerfd_spec cur;
	int ret;

	if (IS_ERR(f))
		return PTR_ERR(f);
	ret = timerfd_gettime_k(f, &cur);
	file_put(f);
	return ret ? ret : spec_out(a1, &cur);
}
