/*
 * Starting the program: the calling kernel thread (the application thread
 * kernel_main started) becomes the process's main thread and enters user
 * mode at the program's entry point.
 */
#include <lib/err.h>
#include <lib/errno.h>
#include <mote/fdtable.h>
#include <mote/vfs.h>
#include <mote/arch.h>
#include <mote/clock.h>
#include <mote/linux.h>
#include <mote/log.h>
#include <mote/mm.h>
#include <mote/uaccess.h>
#include <lib/fmt.h>
#include "linux_internal.h"

/* Descriptors 0-2 on the console, and the working directory. */
static int setup_files(struct linux_process *p, const char *cwd)
{
	int ret;

	p->fds = fdtable_create();
	if (IS_ERR(p->fds))
		return PTR_ERR(p->fds);
	if ((ret = stdio_install(p->fds)))
		return ret;
	return vfs_lookup(vfs_root(), cwd, VFS_LOOKUP_DIRECTORY, &p->cwd);
}

/*
 * A copy of the auxiliary vector exec put on the new stack at sp (after
 * argc, argv and envp), for /proc/self/auxv; none if it cannot be read.
 */
static void save_auxv(struct linux_process *p, uintptr_t sp)
{
	uint64_t word = 0, pair[2];
	uintptr_t at;
	size_t n = 0;

	if (copy_from_user(&word, (void *)sp, sizeof(word)))
		return;
	at = sp + (word + 2) * sizeof(uint64_t);	/* past argc, argv and its NULL */
	do {
		if (copy_from_user(&word, (void *)at, sizeof(word)))
			return;
		at += sizeof(word);
	} while (word);
	do {
		if (copy_from_user(pair, (void *)(at + n * sizeof(pair)), sizeof(pair)) || n > 64)
			return;
		n++;
	} while (pair[0]);
	p->auxv = mm_malloc(n * sizeof(pair));
	if (p->auxv && !copy_from_user(p->auxv, (void *)at, n * sizeof(pair)))
		p->auxv_len = n * sizeof(pair);
}

/*
 * The program file, open for reading by its path (so /proc/self/maps and
 * /proc/self/fd name it): -ENOENT, -EISDIR, -EACCES (no x bit), ...
 */
static struct file *open_program(const char *path)
{
	struct file *f = vfs_open(vfs_root(), path, VFS_O_RDONLY, 0);
	int ret;

	if (IS_ERR(f))
		return f;
	ret = VFS_ISDIR(f->vnode->mode) ? -EISDIR : vfs_check_exec(f->vnode);
	if (ret) {
		file_put(f);
		return ERR_PTR(ret);
	}
	return f;
}

static int cannot_open(const char *path, int err)
{
	printk("mote: %s: %s\n", path,
	       err == -ENOENT || err == -ENOTDIR ? "no such file" :
	       err == -EACCES ? "permission denied" : err == -EISDIR ? "is a directory" :
	       "cannot be read");
	return err == -ENOENT || err == -ENOTDIR ? LINUX_STATUS_NOTFOUND : LINUX_STATUS_NOEXEC;
}

int linux_run_program(const char *path, char *const argv[], char *const envp[], const char *cwd)
{
	struct linux_process *p;
	struct thread *self = thread_self();
	struct exec_result r;
	struct user_frame *f;
	const char *why = "out of memory";
	struct file *file = open_program(path);
	int ret;

	if (IS_ERR(file))
		return cannot_open(path, (int)PTR_ERR(file));
	p = process_create();
	if (!p || !task_create(p, self) || arch_user_context_new(self, NULL)) {
		printk("mote: cannot run %s: out of memory\n", path);
		return LINUX_STATUS_NOEXEC;
	}
	fmt_snprintf(p->exe, sizeof(p->exe), "%s", path);
	p->argv = argv;
	p->envp = envp;
	if ((ret = setup_files(p, cwd))) {
		printk("mote: cannot set up %s's files (cwd %s): error %d\n", path, cwd, ret);
		return LINUX_STATUS_NOEXEC;
	}
	arch_set_page_fault_handler(linux_page_fault);
	ret = exec_load(p, file, path, argv, envp, &r, &why);
	file_put(file);
	if (ret) {
		printk("mote: cannot run %s: %s\n", path, why);
		return LINUX_STATUS_NOEXEC;
	}
	save_auxv(p, r.sp);
	p->start_ns = clock_monotonic_ns();
	f = arch_user_frame(self);
	arch_user_frame_init(f, r.entry, r.sp);
	arch_enter_user(f);
}
