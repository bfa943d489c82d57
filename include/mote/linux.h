/*
 * mote/linux: the Linux system-call layer (linux/), which runs one
 * unmodified Linux x86-64 program as the VM's application.
 *
 * One process per VM. The process (struct linux_process) owns the address
 * space (a struct vm_space with a sleeping lock), the open files, the
 * working directory, the signal dispositions and the exit status; each of
 * its threads is a kernel thread with a user context (mote/usermode.h) and
 * a struct task holding what Linux keeps per thread: the thread id, the
 * signal mask and the thread's pending signals, the alternate signal
 * stack, and the clear_child_tid and robust-list addresses.
 *
 * The process ends the VM: exit_group (or the last thread's exit) powers
 * off with the exit status; a fatal signal prints a report and powers off
 * with 128 + the signal number, as a shell reports it.
 *
 * System calls: linux/syscalls.def is the table as data (number, name,
 * argument kinds for tracing); linux/syscall.c dispatches it. Handlers
 * take the six raw arguments and return a value or a negative errno; they
 * reach user memory only through mote/uaccess.h.
 */
#ifndef MOTE_LINUX_H
#define MOTE_LINUX_H

#include <abi/linux_signal.h>
#include <lib/list.h>
#include <mote/spinlock.h>
#include <mote/sync.h>
#include <mote/usermode.h>
#include <mote/vm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct thread;
struct file;

/* Exit statuses of the kernel itself, as a shell would give them. */
#define LINUX_STATUS_NOEXEC   126	/* the program exists but cannot be run */
#define LINUX_STATUS_NOTFOUND 127	/* no such program */

/* A signal disposition (the kernel's struct sigaction, x86-64 layout). */
struct k_sigaction {
	uintptr_t handler;	/* SIG_DFL 0, SIG_IGN 1, or the handler */
	unsigned long flags;	/* SA_* */
	uintptr_t restorer;
	uint64_t mask;
};

#define SIG_DFL 0
#define SIG_IGN 1
#define SA_NOCLDSTOP 0x00000001
#define SA_SIGINFO   0x00000004
#define SA_RESTORER  0x04000000
#define SA_ONSTACK   0x08000000
#define SA_RESTART   0x10000000
#define SA_NODEFER   0x40000000
#define SA_RESETHAND 0x80000000

/* A queued signal: the 128-byte Linux siginfo. */
struct k_siginfo {
	int32_t signo, errno_, code, pad;
	uint64_t fields[14];	/* si_addr, si_pid/si_uid, si_value ... by code */
};

_Static_assert(sizeof(struct k_siginfo) == 128, "siginfo is 128 bytes");

/*
 * Pending signals, of a thread or of the whole process. A standard
 * signal pending twice is pending once (its first siginfo kept); a
 * real-time one queues every instance in order (rt_extra holds those
 * beyond the first, struct sigqueue_entry), up to SIGQUEUE_MAX per
 * process, as RLIMIT_SIGPENDING would.
 */
struct sigqueue {
	uint64_t pending;
	struct k_siginfo info[NSIG];	/* the first instance of each pending signal */
	struct list_node rt_extra;
};

#define SIGQUEUE_MAX 1024

struct linux_process {
	struct vm_space vm;
	struct mutex vm_lock;		/* held around every vm_* call */
	struct fdtable *fds;
	struct vnode *cwd;		/* under fs_lock */
	unsigned umask;
	struct mutex fs_lock;

	struct spinlock sig_lock;	/* actions, every task's signal state, the task list */
	struct k_sigaction actions[NSIG];
	struct sigqueue shared;		/* process-directed (kill) */
	unsigned rt_queued;		/* real-time instances queued beyond the first */

	struct list_node tasks;		/* struct task, under sig_lock */
	unsigned nr_tasks;
	int next_tid;
	int pid;
	bool exiting;

	uintptr_t vdso_base;
	uint64_t start_ns;		/* clock_monotonic_ns at exec */
	char exe[256];			/* the program's path (for reports, /proc/self/exe) */
	char *const *argv, *const *envp;	/* as exec got them (kept: /proc/self/cmdline, environ) */
	void *auxv;			/* a copy of the auxiliary vector, for /proc/self/auxv */
	size_t auxv_len;
	uintptr_t image_start, image_end;	/* where its segments were loaded (fault reports) */
	uint64_t rlimit_stack;
};

struct task {
	struct list_node node;		/* in process->tasks */
	struct thread *thread;
	struct linux_process *proc;
	int tid;
	uint64_t blocked;		/* signal mask (sig_lock to change it for another task) */
	struct sigqueue sig;		/* thread-directed (tgkill, faults) */
	struct signal_altstack altstack;
	uint64_t saved_mask;		/* rt_sigsuspend / ppoll: restore after the handler */
	bool restore_saved_mask;
	unsigned long syscall_nr;	/* the call in progress, for a restart */
	bool restartable;		/* it returned -EINTR and may be restarted */
	uintptr_t clear_child_tid;
	uintptr_t robust_list;
	size_t robust_len;
};

/* The calling thread's task and process (NULL in kernel-only threads). */
static inline struct task *current_task(void);
struct linux_process *current_process(void);

/*
 * Starts the program the boot bundle (include/abi/bundle.h) describes:
 * mounts the root ramfs and /tmp, unpacks the bundle's files, frees the
 * bundle's memory (data must be a direct-map address, noted at boot with
 * mm_early_note_later(); nothing is freed otherwise), and makes the
 * calling thread the program's main thread, entering user mode.
 * Returns only on failure, with the status a shell would give
 * (LINUX_STATUS_NOTFOUND / _NOEXEC, or MOTE_STATUS_KERNEL_FAILURE) after
 * printing why; -1 when the bundle names no program.
 */
int linux_boot_bundle(const void *data, uint64_t size);

/*
 * Mounts what the kernel provides under the root, whatever the root is:
 * devfs on /dev (with a ramfs on /dev/shm), procfs on /proc, sysfs on
 * /sys, and registers the devices behind /dev's nodes (kernelfs.c).
 * Makes the mount points if the root lacks them (a read-only root must
 * have them). 0 or -errno. Both boot paths call it after mounting the root.
 */
int linux_mount_kernel_filesystems(void);

/*
 * A volume to mount once the root is up, from the kernel's `volume=`
 * arguments: "DISK:/path" (read-only) or "DISK:/path:rw" (writable; the
 * program's writes reach the disk at fsync, sync and exit: fs/volume.c).
 * -EINVAL for a malformed spec, -ENOSPC past BLKDEV_MAX of them. Both boot
 * paths mount them in order, making the mount point on a writable root;
 * a volume that cannot be mounted stops the boot with the reason.
 */
int linux_add_volume(const char *spec);

/*
 * Runs the program at path (absolute) with argv and envp (NULL-terminated)
 * in working directory cwd, as the calling thread. Returns only on
 * failure, with a shell's status (LINUX_STATUS_NOTFOUND, _NOEXEC) after
 * printing why.
 */
int linux_run_program(const char *path, char *const argv[], char *const envp[], const char *cwd);

/*
 * Booting a disk image (include/abi/image.h, docs/image-format.md): the
 * root filesystem is imgfs on the disk named LINUX_ROOT_DISK, with a ramfs
 * on /tmp (and on /proc and /sys for the few runtime files), and the
 * program is the image's command with its environment and working
 * directory. linux_boot_root_disk() is the one place that knows which disk
 * is the root; linux_boot_image() first makes an image handed over as a
 * boot module a read-only RAM disk of that name (the memory stays the
 * module's). Both return only on failure, as linux_boot_bundle does; an
 * image imgfs refuses is MOTE_STATUS_KERNEL_FAILURE with the reason.
 * `over` comes from the kernel command line: its words after "--" replace
 * the image's arguments, and argv0= its argv[0] (`mote run` of a dynamic
 * program passes the program's name as the user typed it, as for static
 * ones); the program run is the image's either way.
 */
#define LINUX_ROOT_DISK "root"
struct linux_image_args {
	const char *argv0;		/* NULL: the image's */
	const char *const *args;	/* nargs > 0: replace the image's arguments */
	unsigned nargs;
};
int linux_boot_image(void *data, uint64_t size, const struct linux_image_args *over);
int linux_boot_root_disk(const struct linux_image_args *over);

/* Syscall dispatch (syscall.c). */
extern bool linux_strace;	/* trace every call (the `strace` command-line flag) */

/* Signals (signal.c). */
int signal_send_task(struct task *t, const struct k_siginfo *info);
int signal_send_process(struct linux_process *p, const struct k_siginfo *info);
/* Whether the calling task has a signal it should act on (unblocked and pending). */
bool signal_pending(void);
/* Kills the process for signal signo: the fatal report, then power-off with 128+signo. */
__attribute__((noreturn)) void signal_fatal(int signo, const struct user_frame *f,
					    const struct k_siginfo *info);

/* Ends the VM with status (flushes the console first). */
__attribute__((noreturn)) void linux_exit_group(int status);

/* Memory (mm.c): the page-fault path for user addresses, taking vm_lock. */
int linux_mm_fault(uintptr_t addr, unsigned access);

#include <mote/thread.h>
static inline struct task *current_task(void)
{
	return (struct task *)thread_self()->task;
}

#endif
