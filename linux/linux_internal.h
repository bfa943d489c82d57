/* Internal to linux/: what the files of the Linux layer share. */
#ifndef LINUX_INTERNAL_H
#define LINUX_INTERNAL_H

#include <mote/linux.h>
#include <mote/random.h>
#include <mote/uaccess.h>

struct linux_process *process_create(void);
struct task *task_create(struct linux_process *p, struct thread *t);
/* Undoes task_create for a thread that never ran as the task. */
void task_destroy(struct task *k);

/* Loads the ELF program open as f into p's (empty) address space and builds the initial stack. */
struct exec_result {
	uintptr_t entry, sp;
};
int exec_load(struct linux_process *p, struct file *f, const char *path, char *const argv[],
	      char *const envp[], struct exec_result *out, const char **why);

bool task_exists(int tid);
/* Whether Linux restarts call nr after a SA_RESTART handler (signal(7)); syscall.c. */
bool syscall_restarts_with_handler(unsigned long nr);
void sigqueue_init(struct sigqueue *q);
void signal_task_exit(struct task *k);
/* Sends info to the thread with this tid: 0, -ESRCH, -EAGAIN (real-time queue full). */
long signal_send_tid(int tid, const struct k_siginfo *info);

struct fdtable;
struct file;
/* The file behind descriptor fd, referenced (file_put it), or ERR_PTR(-EBADF) (fd.c). */
struct file *fget(int fd);
/* A new file as the lowest free descriptor; drops it on failure (or passes an ERR_PTR on). */
long install_file(struct file *f, bool cloexec);
/* Descriptors 0, 1, 2 on the console streams (stdio.c). */
int stdio_install(struct fdtable *t);
/* A file reading stdin and writing stdout, for the device node `node` (/dev/console). */
struct vnode;
struct file *stdio_console_open(struct vnode *node, unsigned oflags);

/* Maps the vDSO and its data page into p and sets p->vdso_base (vdso.c). 0 or -ENOMEM. */
int vdso_map(struct linux_process *p);

/* The page-fault hook (arch_set_page_fault_handler) while a program runs (mm.c). */
int linux_page_fault(uintptr_t addr, unsigned access, bool user);

/* A Linux struct timespec from user memory, checked (futex.c). */
struct timespec_k {
	int64_t sec, nsec;
};
int timespec_from_user(const void *u, struct timespec_k *ts);

/* Sleeps until the monotonic deadline (0: none) or a signal: 0 or -EINTR (time.c). */
int sleep_interruptible(uint64_t deadline);

/* Futexes (futex.c). */
int futex_wake_user(uintptr_t uaddr, unsigned n);
void robust_list_exit(struct task *k);

/* A resource limit's soft and hard values (misc.c); -EINVAL for an unknown resource. */
int linux_rlimit(int resource, uint64_t *cur, uint64_t *max);

/* The character devices behind /dev's nodes (devices.c). */
int linux_register_devices(void);

/* The process's /proc directory (proc_pid.c). */
#include <mote/pseudofs.h>
extern const struct pseudo_entry proc_pid_entries[];
/* Where /proc is (kernelfs.c), for files that /proc/self/fd/N stands for. */
extern struct vfs_fs *linux_procfs;

/* The kernel stack of application threads. */
#define TASK_KSTACK_SIZE (32 * 1024)

/* ---- User iovecs (uaccess.c) ---- */

/* struct iovec as the application lays it out. */
struct uiovec {
	uint64_t base, len;
};

/* One call's user buffers: a kernel copy of its iovecs and their total length. */
struct uio {
	struct uiovec *iov;
	unsigned long cnt;
	size_t total;
};

#define RW_MAX     0x7ffff000	/* the most one call moves: Linux's MAX_RW_COUNT */
#define UIO_MAXIOV 1024		/* IOV_MAX */

/* The uio of one buffer (iov is its storage), len clamped to RW_MAX: 0 or -EFAULT. */
int uio_single(struct uio *u, struct uiovec *iov, uint64_t base, uint64_t len);
/*
 * The uio of cnt user iovecs at uiov, copied into u->iov (mm_free it, also on
 * failure): 0, -EMSGSIZE beyond UIO_MAXIOV, -ENOMEM, -EFAULT (the array or a
 * buffer outside the application's half), -EINVAL (a negative length, or
 * more than RW_MAX in all).
 */
int uio_in(struct uio *u, uint64_t uiov, uint64_t cnt);
/* uio_copy's loop over several iovecs, out of line. */
int uio_copy_iovecs(const struct uio *u, size_t off, void *buf, size_t n, bool to_user);

/*
 * Copies n bytes between buf and u's buffers from byte off of them: 0 or
 * -EFAULT. One buffer (read, write, send, recv) is copied here, inline:
 * under TCG a call and its return cost more than the rest of the copy
 * of a small read.
 */
static inline int uio_copy(const struct uio *u, size_t off, void *buf, size_t n, bool to_user)
{
	char *at;

	if (u->cnt != 1)
		return uio_copy_iovecs(u, off, buf, n, to_user);
	at = (char *)u->iov[0].base + off;
	return to_user ? copy_to_user(at, buf, n) : copy_from_user(buf, at, n);
}

/*
 * A kernel buffer (mm_free it) for *len bytes of a call's data, or when
 * memory is short or in pieces for one page (*len becomes PAGE_SIZE) if
 * the call can move its data in rounds of that; NULL if neither is there.
 * 64 KiB is 16 contiguous pages, which a small VM may lack although it
 * has pages free.
 */
void *io_buffer(size_t *len, bool rounds_ok);

/*
 * read, write, readv and writev on socket file f: recv and send with no
 * flags, as Linux's sock_read_iter/sock_write_iter, so a datagram goes out
 * and comes in whole whatever the buffers (socket.c).
 */
long socket_file_rw(struct file *f, bool writing, const struct uio *u);

#endif
