/*
 * tests/unit/fs/fs_test.h: what the fs test programs share.
 *
 * A case is a function run by CASE(fn), printing `PASS fn` or
 * `FAIL fn: <first failure>` (tests/run.sh counts those lines); CHECK_EQ
 * prints both values, so an errno mismatch reads "-2, expected -20". The
 * program exits 1 if any case failed. fs_boot() mounts a fresh ramfs as
 * the root with a fake clock that advances 1 µs per reading; each case
 * works in its own directory (case_dir) so cases do not see each other.
 */
#ifndef TESTS_UNIT_FS_FS_TEST_H
#define TESTS_UNIT_FS_FS_TEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lib/err.h>
#include <lib/errno.h>
#include <mote/vfs.h>

static int t_failed_cases;
static int t_case_failures;
static char t_first[1024];

__attribute__((format(printf, 3, 4), unused))
static void t_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t_case_failures++)
		return;
	n = snprintf(t_first, sizeof(t_first), "%s:%d: ", file, line);
	va_start(ap, fmt);
	vsnprintf(t_first + n, sizeof(t_first) - (size_t)n, fmt, ap);
	va_end(ap);
}

#define CHECK(cond) \
	((cond) ? true : (t_fail(__FILE__, __LINE__, "%s", #cond), false))
#define CHECKF(cond, ...) \
	((cond) ? true : (t_fail(__FILE__, __LINE__, __VA_ARGS__), false))
#define CHECK_EQ(got, want)							\
	({									\
		long long g_ = (long long)(got), w_ = (long long)(want);	\
		g_ == w_ ? true : (t_fail(__FILE__, __LINE__, "%s = %lld, expected %lld", \
					  #got, g_, w_), false);		\
	})
#define CHECK_STR(got, want)							\
	({									\
		const char *g_ = (got), *w_ = (want);				\
		!strcmp(g_, w_) ? true : (t_fail(__FILE__, __LINE__, "%s = \"%s\", expected \"%s\"", \
						 #got, g_, w_), false);	\
	})

static inline bool failed(void)
{
	return t_case_failures != 0;
}

__attribute__((unused))
static void run_case(const char *name, void (*fn)(void))
{
	t_case_failures = 0;
	fn();
	if (t_case_failures) {
		t_failed_cases++;
		printf("FAIL %s: %s\n", name, t_first);
	} else {
		printf("PASS %s\n", name);
	}
	fflush(stdout);
}

#define CASE(fn) run_case(#fn, fn)

static inline int t_exit(void)
{
	return t_failed_cases ? 1 : 0;
}

/* ---- the mote side ---- */

static uint64_t fake_ns = 1700000000ull * 1000000000ull;

static uint64_t fake_clock(void)
{
	return fake_ns += 1000;
}

static struct vfs_fs *root_fs;

__attribute__((unused))
static void fs_boot(void)
{
	vfs_set_clock(fake_clock);
	root_fs = ramfs_create(0);
	if (IS_ERR(root_fs) || vfs_mount_root(root_fs)) {
		printf("FAIL fs_boot: no root\n");
		exit(1);
	}
}

/* A fresh directory /name for one case, referenced (vnode_put it). */
__attribute__((unused))
static struct vnode *case_dir(const char *name)
{
	char path[300];
	struct vnode *vn = NULL;

	snprintf(path, sizeof(path), "/%s", name);
	if (vfs_mkdir(NULL, path, 0755) || vfs_lookup(NULL, path, 0, &vn)) {
		printf("FAIL %s: cannot make its directory\n", name);
		exit(1);
	}
	return vn;
}

/* Opens, returning the file or NULL with *err set. */
__attribute__((unused))
static struct file *t_open(struct vnode *dir, const char *path, unsigned flags, unsigned mode,
			   long *err)
{
	struct file *f = vfs_open(dir, path, flags, mode);

	*err = IS_ERR(f) ? PTR_ERR(f) : 0;
	return IS_ERR(f) ? NULL : f;
}

/* open(path, flags) as an errno (0: it opened, and is closed again). */
__attribute__((unused))
static long open_err(struct vnode *dir, const char *path, unsigned flags)
{
	long err;
	struct file *f = t_open(dir, path, flags, 0644, &err);

	if (f)
		file_put(f);
	return err;
}

/* Writes a whole file (created or truncated): 0 or -errno. */
__attribute__((unused))
static long put_file(struct vnode *dir, const char *path, const char *data)
{
	long err, n;
	struct file *f = t_open(dir, path, VFS_O_WRONLY | VFS_O_CREAT | VFS_O_TRUNC, 0644, &err);

	if (!f)
		return err;
	n = f->ops->write(f, data, strlen(data));
	file_put(f);
	return n < 0 ? n : 0;
}

/* Reads up to size-1 bytes of a file into buf as a string: length or -errno. */
__attribute__((unused))
static long get_file(struct vnode *dir, const char *path, char *buf, size_t size)
{
	long err, n;
	struct file *f = t_open(dir, path, VFS_O_RDONLY, 0, &err);

	if (!f)
		return err;
	n = f->ops->read(f, buf, size - 1);
	file_put(f);
	buf[n < 0 ? 0 : n] = 0;
	return n;
}

/* stat by path: the kstat, or mode 0 if it failed (errno in *err). */
__attribute__((unused))
static struct kstat stat_path(struct vnode *dir, const char *path, unsigned flags, long *err)
{
	struct kstat st = { 0 };
	struct vnode *vn;

	*err = vfs_lookup(dir, path, flags, &vn);
	if (!*err) {
		vfs_stat(vn, &st);
		vnode_put(vn);
	}
	return st;
}

__attribute__((unused))
static long lookup_err(struct vnode *dir, const char *path, unsigned flags)
{
	struct vnode *vn;
	long err = vfs_lookup(dir, path, flags, &vn);

	if (!err)
		vnode_put(vn);
	return err;
}

#endif
