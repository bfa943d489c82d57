/*
 * The process's directory in /proc (/proc/1, which /proc/self names):
 * what runtimes read about themselves, in Linux's formats (proc(5)).
 *
 *   maps       the address space (mm/vma_maps.c prints it as Linux does)
 *   exe        the program's path; cwd (magic: it reaches the directory
 *              even once removed); root "/"
 *   fd/N       magic links: readlink gives the path a file was opened by
 *              (or "pipe:[ino]", "anon_inode:[...]" as Linux names them),
 *              open reopens the file itself
 *   status, stat, statm   identity, state, memory and signal masks
 *   cmdline, environ      NUL-separated, as exec got them; auxv (binary)
 *   comm, limits, mounts, mountinfo, cgroup, oom_score_adj
 *   task/TID/{comm,stat,status}   one directory per thread (the process's texts)
 *
 * Every file is made when it is opened (pseudofs keeps the snapshot), so
 * the locks taken here (vm_lock, fs_lock, the descriptor table's, the
 * signal lock) are taken by the opener, never while a reader reads.
 * Writes are EINVAL, as for Linux's process files.
 */
#include <lib/err.h>
#include <lib/errno.h>
#include <lib/fmt.h>
#include <lib/string.h>
#include <mote/clock.h>
#include <mote/fdtable.h>
#include <mote/linux.h>
#include <mote/mm.h>
#include <mote/net.h>
#include <mote/percpu.h>
#include <mote/pseudofs.h>
#include <mote/vfs.h>
#include "linux_internal.h"

/* The process, or NULL when no program runs (the self-tests). */
static struct linux_process *proc(void)
{
	return current_process();
}

/* ---- Names and vectors -------------------------------------------------------------- */

/* The command name: the program's file name, at most 15 bytes (TASK_COMM_LEN - 1). */
static void comm(const struct linux_process *p, char out[16])
{
	const char *s = p->exe;
	size_t n;

	for (const char *c = p->exe; *c; c++)
		if (*c == '/')
			s = c + 1;
	n = strnlen(s, 15);
	memcpy(out, s, n);
	out[n] = 0;
}

static int show_comm(struct pseudo_buf *b, long arg)
{
	struct linux_process *p = proc();
	char name[16];

	(void)arg;
	if (!p)
		return -ESRCH;
	comm(p, name);
	pseudo_printf(b, "%s\n", name);
	return 0;
}

static void put_vector(struct pseudo_buf *b, char *const *v)
{
	for (size_t i = 0; v && v[i]; i++)
		pseudo_write(b, v[i], strlen(v[i]) + 1);
}

static int show_cmdline(struct pseudo_buf *b, long arg)
{
	(void)arg;
	if (!proc())
		return -ESRCH;
	put_vector(b, proc()->argv);
	return 0;
}

static int show_environ(struct pseudo_buf *b, long arg)
{
	(void)arg;
	if (!proc())
		return -ESRCH;
	put_vector(b, proc()->envp);
	return 0;
}

static int show_auxv(struct pseudo_buf *b, long arg)
{
	(void)arg;
	if (!proc())
		return -ESRCH;
	pseudo_write(b, proc()->auxv, proc()->auxv_len);
	return 0;
}

/* ---- Memory --------------------------------------------------------------------------- */

static int show_maps(struct pseudo_buf *b, long arg)
{
	struct linux_process *p = proc();
	size_t len;
	char *text;

	(void)arg;
	if (!p)
		return -ESRCH;
	mutex_lock(&p->vm_lock);
	len = vm_format_maps(&p->vm, NULL, 0);
	text = mm_malloc(len + 1);
	if (text)
		vm_format_maps(&p->vm, text, len + 1);
	mutex_unlock(&p->vm_lock);
	if (!text)
		return -ENOMEM;
	pseudo_write(b, text, len);
	mm_free(text);
	return 0;
}

struct mem_sizes {
	uint64_t size, data, stack, exe;	/* bytes */
};

static struct mem_sizes mem_sizes(struct linux_process *p)
{
	struct mem_sizes m = { 0 };

	mutex_lock(&p->vm_lock);
	for (struct rb_node *r = rb_first(&p->vm.vmas); r; r = rb_next(r)) {
		const struct vma *v = rb_entry(r, struct vma, node);
		uint64_t len = v->end - v->start;

		m.size += len;
		if (v->start <= p->vm.stack_start && v->end > p->vm.stack_start)
			m.stack += len;
		else if ((v->prot & VM_PROT_WRITE) && !(v->flags & VMA_SHARED))
			m.data += len;
	}
	mutex_unlock(&p->vm_lock);
	m.exe = p->image_end - p->image_start;
	return m;
}

static int show_statm(struct pseudo_buf *b, long arg)
{
	struct linux_process *p = proc();
	struct mem_sizes m;

	(void)arg;
	if (!p)
		return -ESRCH;
	m = mem_sizes(p);
	pseudo_printf(b, "%llu 0 0 %llu 0 %llu 0\n", (unsigned long long)(m.size / VM_PAGE_SIZE),
		      (unsigned long long)((m.exe + VM_PAGE_SIZE - 1) / VM_PAGE_SIZE),
		      (unsigned long long)((m.data + m.stack) / VM_PAGE_SIZE));
	return 0;
}

/* ---- Signals --------------------------------------------------------------------------- */

struct sig_masks {
	uint64_t pending, shared, blocked, ignored, caught;
};

static struct sig_masks sig_masks(struct linux_process *p)
{
	struct sig_masks m = { 0 };
	struct task *t = current_task();
	unsigned long flags = spin_lock_irqsave(&p->sig_lock);

	for (int sig = 1; sig < NSIG; sig++) {
		if (p->actions[sig].handler == SIG_IGN)
			m.ignored |= 1ull << (sig - 1);
		else if (p->actions[sig].handler != SIG_DFL)
			m.caught |= 1ull << (sig - 1);
	}
	m.shared = p->shared.pending;
	if (t) {
		m.pending = t->sig.pending;
		m.blocked = t->blocked;
	}
	spin_unlock_irqrestore(&p->sig_lock, flags);
	return m;
}

/* ---- status and stat -------------------------------------------------------------------- */

static void status_kb(struct pseudo_buf *b, const char *name, uint64_t bytes)
{
	pseudo_printf(b, "%s\t%8llu kB\n", name, (unsigned long long)(bytes / 1024));
}

static void status_memory(struct pseudo_buf *b, struct linux_process *p)
{
	struct mem_sizes m = mem_sizes(p);

	status_kb(b, "VmPeak:", m.size);
	status_kb(b, "VmSize:", m.size);
	status_kb(b, "VmLck:", 0);
	status_kb(b, "VmPin:", 0);
	status_kb(b, "VmHWM:", 0);
	status_kb(b, "VmRSS:", 0);
	status_kb(b, "RssAnon:", 0);
	status_kb(b, "RssFile:", 0);
	status_kb(b, "RssShmem:", 0);
	status_kb(b, "VmData:", m.data);
	status_kb(b, "VmStk:", m.stack);
	status_kb(b, "VmExe:", m.exe);
	status_kb(b, "VmLib:", 0);
	status_kb(b, "VmPTE:", 0);
	status_kb(b, "VmSwap:", 0);
}

static void status_cpus(struct pseudo_buf *b)
{
	unsigned n = cpu_count();

	pseudo_printf(b, "Cpus_allowed:\t");
	for (int nib = (int)((n + 3) / 4) - 1; nib >= 0; nib--) {
		unsigned bits = n - (unsigned)nib * 4 >= 4 ? 0xf : (1u << (n - (unsigned)nib * 4)) - 1;

		pseudo_printf(b, "%x", bits);
	}
	pseudo_printf(b, "\nCpus_allowed_list:\t");
	if (n > 1)
		pseudo_printf(b, "0-%u\n", n - 1);
	else
		pseudo_printf(b, "0\n");
}

static int show_status(struct pseudo_buf *b, long arg)
{
	struct linux_process *p = proc();
	struct sig_masks s;
	char name[16];

	(void)arg;
	if (!p)
		return -ESRCH;
	comm(p, name);
	s = sig_masks(p);
	pseudo_printf(b, "Name:\t%s\nUmask:\t%04o\nState:\tR (running)\nTgid:\t%d\nNgid:\t0\nPid:\t%d\n"
		      "PPid:\t0\nTracerPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nFDSize:\t%u\n"
		      "Groups:\t\nNStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\n",
		      name, p->umask, p->pid, p->pid, (fdtable_limit(p->fds) + 63) / 64 * 64, p->pid,
		      p->pid, p->pid, p->pid);
	status_memory(b, p);
	pseudo_printf(b, "CoreDumping:\t0\nTHP_enabled:\t1\nThreads:\t%u\nSigQ:\t%u/%u\n"
		      "SigPnd:\t%016llx\nShdPnd:\t%016llx\nSigBlk:\t%016llx\nSigIgn:\t%016llx\n"
		      "SigCgt:\t%016llx\nCapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\n"
		      "CapEff:\t000001ffffffffff\nCapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\n"
		      "NoNewPrivs:\t0\nSeccomp:\t0\nSeccomp_filters:\t0\n",
		      p->nr_tasks, p->rt_queued, SIGQUEUE_MAX, (unsigned long long)s.pending,
		      (unsigned long long)s.shared, (unsigned long long)s.blocked,
		      (unsigned long long)s.ignored, (unsigned long long)s.caught);
	status_cpus(b);
	pseudo_printf(b, "Mems_allowed:\t1\nMems_allowed_list:\t0\n"
		      "voluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n");
	return 0;
}

/* Clock ticks (USER_HZ: 100 a second). */
static unsigned long long ticks(uint64_t ns)
{
	return ns / 10000000u;
}

/* The 52 fields of proc(5)'s /proc/pid/stat. */
static int show_stat(struct pseudo_buf *b, long arg)
{
	struct linux_process *p = proc();
	struct sig_masks s;
	struct mem_sizes m;
	char name[16];

	(void)arg;
	if (!p)
		return -ESRCH;
	comm(p, name);
	s = sig_masks(p);
	m = mem_sizes(p);
	pseudo_printf(b, "%d (%s) R 0 %d %d 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 %u 0 %llu %llu 0 "
		      "18446744073709551615 %lu %lu %lu 0 0 %llu %llu %llu %llu 0 0 0 17 0 0 0 0 0 0 "
		      "0 0 %lu 0 0 0 0 0\n",
		      p->pid, name, p->pid, p->pid, p->nr_tasks, ticks(p->start_ns),
		      (unsigned long long)m.size, (unsigned long)p->image_start,
		      (unsigned long)p->image_end, (unsigned long)p->vm.stack_start,
		      (unsigned long long)(s.pending | s.shared) & 0x7fffffffull,
		      (unsigned long long)s.blocked & 0x7fffffffull,
		      (unsigned long long)s.ignored & 0x7fffffffull,
		      (unsigned long long)s.caught & 0x7fffffffull, (unsigned long)p->vm.brk_start);
	return 0;
}

/* ---- limits, mounts, cgroup ----------------------------------------------------------------- */

static void limit_value(struct pseudo_buf *b, uint64_t v)
{
	if (v == ~0ull)
		pseudo_printf(b, "%-20s ", "unlimited");
	else
		pseudo_printf(b, "%-20llu ", (unsigned long long)v);
}

static int show_limits(struct pseudo_buf *b, long arg)
{
	static const char *const names[][2] = {
		{ "Max cpu time", "seconds" }, { "Max file size", "bytes" }, { "Max data size", "bytes" },
		{ "Max stack size", "bytes" }, { "Max core file size", "bytes" },
		{ "Max resident set", "bytes" }, { "Max processes", "processes" },
		{ "Max open files", "files" }, { "Max locked memory", "bytes" },
		{ "Max address space", "bytes" }, { "Max file locks", "locks" },
		{ "Max pending signals", "signals" }, { "Max msgqueue size", "bytes" },
		{ "Max nice priority", NULL }, { "Max realtime priority", NULL },
		{ "Max realtime timeout", "us" },
	};

	(void)arg;
	pseudo_printf(b, "%-25s %-20s %-20s %-10s\n", "Limit", "Soft Limit", "Hard Limit", "Units");
	for (int i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++) {
		uint64_t cur, max;

		if (linux_rlimit(i, &cur, &max))
			continue;
		pseudo_printf(b, "%-25s ", names[i][0]);
		limit_value(b, cur);
		limit_value(b, max);
		if (names[i][1])
			pseudo_printf(b, "%-10s\n", names[i][1]);
		else
			pseudo_printf(b, "\n");
	}
	return 0;
}

static int show_cgroup(struct pseudo_buf *b, long arg)
{
	(void)arg;
	pseudo_printf(b, "0::/\n");
	return 0;
}

static int show_oom_score_adj(struct pseudo_buf *b, long arg)
{
	(void)arg;
	pseudo_printf(b, "0\n");
	return 0;
}

/* ---- Links: exe, cwd, fd/N ------------------------------------------------------------------ */

static int link_exe(struct pseudo_buf *b, long arg)
{
	(void)arg;
	if (!proc())
		return -ENOENT;
	pseudo_printf(b, "%s", proc()->exe);
	return 0;
}

static struct vnode *cwd_ref(struct linux_process *p)
{
	struct vnode *cwd;

	mutex_lock(&p->fs_lock);
	cwd = p->cwd;
	if (cwd)
		vnode_get(cwd);
	mutex_unlock(&p->fs_lock);
	return cwd;
}

static int link_cwd(struct pseudo_buf *b, long arg)
{
	struct vnode *cwd = proc() ? cwd_ref(proc()) : NULL;
	char *path;
	long n;

	(void)arg;
	if (!cwd)
		return -ENOENT;
	path = mm_malloc(VFS_PATH_MAX);
	n = path ? vfs_getpath(cwd, path, VFS_PATH_MAX) : -ENOMEM;
	vnode_put(cwd);
	if (n > 0)
		pseudo_write(b, path, (size_t)n - 1);
	mm_free(path);
	return n < 0 ? (int)n : 0;
}

static struct vnode *follow_cwd(long arg)
{
	struct vnode *cwd = proc() ? cwd_ref(proc()) : NULL;

	(void)arg;
	return cwd ? cwd : ERR_PTR(-ENOENT);
}

static long next_fd(long from)
{
	struct linux_process *p = proc();

	return p && p->fds ? fd_next(p->fds, (int)from) : -1;
}

static struct file *fd_file(long fd)
{
	struct linux_process *p = proc();

	return p && p->fds ? fd_get(p->fds, (int)fd) : ERR_PTR(-ENOENT);
}

/* What Linux shows for a file with no path: its kind and inode number. */
static void anon_name(struct pseudo_buf *b, struct file *f)
{
	struct kstat st;

	if (!f->ops->stat || f->ops->stat(f, &st))
		st = (struct kstat){ 0 };
	if ((st.mode & VFS_S_IFMT) == VFS_S_IFIFO)
		pseudo_printf(b, "pipe:[%llu]", (unsigned long long)st.ino);
	else if ((st.mode & VFS_S_IFMT) == VFS_S_IFSOCK)
		pseudo_printf(b, "socket:[%llu]", (unsigned long long)st.ino);
	else
		pseudo_printf(b, "anon_inode:[%s]", f->vnode ? "file" : "unknown");
}

static int link_fd(struct pseudo_buf *b, long fd)
{
	struct file *f = fd_file(fd);
	char *path;
	long n;

	if (IS_ERR(f))
		return -ENOENT;
	path = mm_malloc(VFS_PATH_MAX);
	n = path ? vfs_file_path(f, path, VFS_PATH_MAX) : -ENOMEM;
	if (n > 0)
		pseudo_write(b, path, (size_t)n);
	else
		anon_name(b, f);
	mm_free(path);
	file_put(f);
	return 0;
}

static struct vnode *follow_fd(long fd)
{
	struct file *f = fd_file(fd);
	struct vnode *vn;

	if (IS_ERR(f))
		return ERR_PTR(-ENOENT);
	if (f->vnode) {
		vn = f->vnode;
		vnode_get(vn);
	} else {
		vn = pseudofs_file_vnode(linux_procfs, f);
	}
	file_put(f);
	return vn;
}

/* ---- task/: one directory per thread ------------------------------------------------------- */

/* The smallest thread id >= from, or -1. */
static long next_tid(long from)
{
	struct linux_process *p = proc();
	struct list_node *n;
	unsigned long flags;
	long best = -1;

	if (!p)
		return -1;
	flags = spin_lock_irqsave(&p->sig_lock);
	list_for_each(n, &p->tasks) {
		long tid = list_entry(n, struct task, node)->tid;

		if (tid >= from && (best < 0 || tid < best))
			best = tid;
	}
	spin_unlock_irqrestore(&p->sig_lock, flags);
	return best;
}

/* ---- The table ------------------------------------------------------------------------------- */

/* Process files: writes are EINVAL (Linux's answer for them). */
#define PID_FILE(name_, fn) { .name = name_, .mode = VFS_S_IFREG | 0444, .show = fn, .write_errno = EINVAL }

/* What a thread's directory holds: the process's texts (threads are not told apart yet). */
static const struct pseudo_entry task_entry = {
	.name = "", .mode = VFS_S_IFDIR | 0555,
	.children = (const struct pseudo_entry[]){
		PID_FILE("comm", show_comm), PID_FILE("stat", show_stat), PID_FILE("status", show_status),
		{ 0 },
	},
};

static const struct pseudo_entry fd_entry = {
	.name = "", .mode = VFS_S_IFLNK | 0700, .link = link_fd, .follow = follow_fd,
};

const struct pseudo_entry proc_pid_entries[] = {
	{ .name = "auxv", .mode = VFS_S_IFREG | 0400, .show = show_auxv, .write_errno = EINVAL },
	PID_FILE("cgroup", show_cgroup),
	PID_FILE("cmdline", show_cmdline),
	PID_FILE("comm", show_comm),
	{ .name = "cwd", .mode = VFS_S_IFLNK | 0777, .link = link_cwd, .follow = follow_cwd },
	PID_FILE("environ", show_environ),
	{ .name = "exe", .mode = VFS_S_IFLNK | 0777, .link = link_exe },
	{ .name = "fd", .mode = VFS_S_IFDIR | 0500, .each = &fd_entry, .next = next_fd },
	PID_FILE("limits", show_limits),
	PID_FILE("maps", show_maps),
	PID_FILE("mountinfo", procfs_show_mountinfo),
	PID_FILE("mounts", procfs_show_mounts),
	{ .name = "net", .mode = VFS_S_IFDIR | 0555,
	  .children = (const struct pseudo_entry[]){ PID_FILE("dev", net_show_dev),
						     PID_FILE("if_inet6", net_show_if_inet6),
						     PID_FILE("resolv.conf", net_show_resolv_conf), { 0 } } },
	PID_FILE("oom_score_adj", show_oom_score_adj),
	{ .name = "root", .mode = VFS_S_IFLNK | 0777, .target = "/" },
	PID_FILE("stat", show_stat),
	PID_FILE("statm", show_statm),
	PID_FILE("status", show_status),
	{ .name = "task", .mode = VFS_S_IFDIR | 0555, .each = &task_entry, .next = next_tid },
	{ 0 },
};
