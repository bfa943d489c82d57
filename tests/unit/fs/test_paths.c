/*
 * tests/unit/fs/test_paths.c: path resolution and the namespace
 * operations, case by case: every errno the VFS promises, symlinks (in the
 * middle, dangling, loops, absolute), mounts (crossing, EXDEV, EBUSY),
 * rename in all its forms, getdents64 while entries go, getcwd.
 */
#include "fs_test.h"

static struct vnode *d;		/* the case's directory */

static void begin(const char *name)
{
	d = case_dir(name);
}

static void end(void)
{
	vnode_put(d);
}

static void test_dots_and_slashes(void)
{
	long err;
	struct kstat a, b;

	begin("dots");
	CHECK_EQ(vfs_mkdir(d, "x", 0755), 0);
	CHECK_EQ(vfs_mkdir(d, "x/y", 0755), 0);
	CHECK_EQ(put_file(d, "x/y/f", "hi"), 0);
	a = stat_path(d, "x/y/f", 0, &err);
	CHECK_EQ(err, 0);
	b = stat_path(d, ".//x/./y/../y///f", 0, &err);
	CHECK_EQ(err, 0);
	CHECK_EQ(a.ino, b.ino);
	CHECK_EQ(b.size, 2);
	b = stat_path(NULL, "/dots/x/y/f", 0, &err);
	CHECK_EQ(b.ino, a.ino);
	b = stat_path(NULL, "//dots//x", 0, &err);
	CHECK_EQ(err, 0);
	CHECK(VFS_ISDIR(b.mode));
	/* ".." at the root stays at the root. */
	a = stat_path(NULL, "/", 0, &err);
	b = stat_path(NULL, "/../../..", 0, &err);
	CHECK_EQ(a.ino, b.ino);
	/* trailing slashes */
	CHECK_EQ(lookup_err(d, "x/y/", 0), 0);
	CHECK_EQ(lookup_err(d, "x/y/f/", 0), -ENOTDIR);
	CHECK_EQ(lookup_err(d, "x/y/f/.", 0), -ENOTDIR);
	CHECK_EQ(lookup_err(d, "x/y/f/..", 0), -ENOTDIR);
	CHECK_EQ(lookup_err(d, "x/y/f/g", 0), -ENOTDIR);
	CHECK_EQ(lookup_err(d, "x/nope/g", 0), -ENOENT);
	CHECK_EQ(lookup_err(d, "", 0), -ENOENT);
	CHECK_EQ(lookup_err(d, "x/y/f", VFS_LOOKUP_DIRECTORY), -ENOTDIR);
	end();
}

static void test_name_limits(void)
{
	char name[300], *path = malloc(5000);

	begin("limits");
	memset(name, 'n', 255);
	name[255] = 0;
	CHECK_EQ(vfs_mkdir(d, name, 0755), 0);
	CHECK_EQ(lookup_err(d, name, 0), 0);
	name[255] = 'n';
	name[256] = 0;
	CHECK_EQ(vfs_mkdir(d, name, 0755), -ENAMETOOLONG);
	CHECK_EQ(lookup_err(d, name, 0), -ENAMETOOLONG);
	CHECK_EQ(open_err(d, name, VFS_O_CREAT | VFS_O_WRONLY), -ENAMETOOLONG);
	/* 4095 bytes is a path; 4096 is too long. */
	memset(path, '/', 4095);
	path[4095] = 0;
	CHECK_EQ(lookup_err(d, path, 0), 0);
	path[4095] = '/';
	path[4096] = 0;
	CHECK_EQ(lookup_err(d, path, 0), -ENAMETOOLONG);
	CHECK_EQ(vfs_symlink(path, d, "s"), -ENAMETOOLONG);
	CHECK_EQ(vfs_symlink("", d, "s"), -ENOENT);
	free(path);
	end();
}

static void test_symlinks(void)
{
	char buf[64];
	long err;
	struct kstat st, target;

	begin("sym");
	CHECK_EQ(vfs_mkdir(d, "dir", 0755), 0);
	CHECK_EQ(put_file(d, "dir/f", "data"), 0);
	CHECK_EQ(vfs_symlink("dir", d, "ld"), 0);
	CHECK_EQ(vfs_symlink("dir/f", d, "lf"), 0);
	CHECK_EQ(vfs_symlink("/sym/dir", d, "abs"), 0);
	CHECK_EQ(vfs_symlink("nowhere", d, "dangling"), 0);
	CHECK_EQ(vfs_symlink("loop2", d, "loop1"), 0);
	CHECK_EQ(vfs_symlink("loop1", d, "loop2"), 0);
	CHECK_EQ(vfs_symlink("self/x", d, "self"), 0);
	/* in the middle of a path, and absolute targets */
	target = stat_path(d, "dir/f", 0, &err);
	st = stat_path(d, "ld/f", 0, &err);
	CHECK_EQ(err, 0);
	CHECK_EQ(st.ino, target.ino);
	st = stat_path(d, "abs/f", 0, &err);
	CHECK_EQ(st.ino, target.ino);
	st = stat_path(d, "abs/../abs/./f", 0, &err);
	CHECK_EQ(st.ino, target.ino);
	/* last component: followed unless told not to */
	st = stat_path(d, "lf", 0, &err);
	CHECK_EQ(st.ino, target.ino);
	st = stat_path(d, "lf", VFS_LOOKUP_NOFOLLOW, &err);
	CHECK(VFS_ISLNK(st.mode));
	CHECK_EQ(st.size, 5);
	/* a trailing slash forces following */
	st = stat_path(d, "ld/", VFS_LOOKUP_NOFOLLOW, &err);
	CHECK(VFS_ISDIR(st.mode));
	CHECK_EQ(lookup_err(d, "lf/", 0), -ENOTDIR);
	/* dangling and loops */
	CHECK_EQ(lookup_err(d, "dangling", 0), -ENOENT);
	CHECK_EQ(lookup_err(d, "dangling", VFS_LOOKUP_NOFOLLOW), 0);
	CHECK_EQ(lookup_err(d, "loop1", 0), -ELOOP);
	CHECK_EQ(lookup_err(d, "loop1/x", 0), -ELOOP);
	CHECK_EQ(lookup_err(d, "loop1", VFS_LOOKUP_NOFOLLOW), 0);
	CHECK_EQ(lookup_err(d, "self", 0), -ELOOP);
	CHECK_EQ(open_err(d, "loop1", VFS_O_RDONLY), -ELOOP);
	/* O_NOFOLLOW on a symlink: ELOOP, except with O_PATH */
	CHECK_EQ(open_err(d, "lf", VFS_O_RDONLY | VFS_O_NOFOLLOW), -ELOOP);
	CHECK_EQ(open_err(d, "lf", VFS_O_PATH | VFS_O_NOFOLLOW), 0);
	CHECK_EQ(open_err(d, "ld/f", VFS_O_RDONLY | VFS_O_NOFOLLOW), 0);
	/* O_CREAT through a dangling link creates its target */
	CHECK_EQ(open_err(d, "dangling", VFS_O_CREAT | VFS_O_WRONLY), 0);
	CHECK_EQ(lookup_err(d, "nowhere", 0), 0);
	CHECK_EQ(open_err(d, "lf", VFS_O_CREAT | VFS_O_EXCL | VFS_O_WRONLY), -EEXIST);
	/* readlink */
	CHECK_EQ(vfs_readlink(d, "lf", buf, sizeof(buf)), 5);
	CHECK(!memcmp(buf, "dir/f", 5));
	CHECK_EQ(vfs_readlink(d, "lf", buf, 3), 3);
	CHECK_EQ(vfs_readlink(d, "dir/f", buf, sizeof(buf)), -EINVAL);
	CHECK_EQ(vfs_readlink(d, "ld/", buf, sizeof(buf)), -EINVAL);
	CHECK_EQ(vfs_readlink(d, "missing", buf, sizeof(buf)), -ENOENT);
	CHECK_EQ(vfs_symlink("x", d, "lf"), -EEXIST);
	CHECK_EQ(vfs_symlink("x", d, "dangling"), -EEXIST);
	end();
}

/* A chain of exactly 40 links resolves; 41 is ELOOP. */
static void test_symlink_limit(void)
{
	char name[32], target[32];

	begin("chain");
	CHECK_EQ(put_file(d, "end", "x"), 0);
	for (int i = 0; i < 41; i++) {
		snprintf(name, sizeof(name), "l%d", i);
		if (i == 0)
			snprintf(target, sizeof(target), "end");
		else
			snprintf(target, sizeof(target), "l%d", i - 1);
		CHECK_EQ(vfs_symlink(target, d, name), 0);
	}
	CHECK_EQ(lookup_err(d, "l39", 0), 0);
	CHECK_EQ(lookup_err(d, "l40", 0), -ELOOP);
	end();
}

static void test_create_errors(void)
{
	begin("create");
	CHECK_EQ(vfs_mkdir(d, "a", 0755), 0);
	CHECK_EQ(vfs_mkdir(d, "a", 0755), -EEXIST);
	CHECK_EQ(vfs_mkdir(d, "b/", 0755), 0);
	CHECK_EQ(vfs_mkdir(d, ".", 0755), -EEXIST);
	CHECK_EQ(vfs_mkdir(d, "..", 0755), -EEXIST);
	CHECK_EQ(vfs_mkdir(NULL, "/", 0755), -EEXIST);
	CHECK_EQ(vfs_mkdir(d, "no/a", 0755), -ENOENT);
	CHECK_EQ(put_file(d, "f", "x"), 0);
	CHECK_EQ(vfs_mkdir(d, "f/a", 0755), -ENOTDIR);
	CHECK_EQ(vfs_mkdir(d, "f", 0755), -EEXIST);
	CHECK_EQ(open_err(d, "a", VFS_O_CREAT | VFS_O_RDONLY), -EISDIR);
	CHECK_EQ(open_err(d, ".", VFS_O_CREAT | VFS_O_RDONLY), -EISDIR);
	CHECK_EQ(open_err(d, ".", VFS_O_CREAT | VFS_O_EXCL | VFS_O_RDONLY), -EEXIST);
	CHECK_EQ(open_err(d, "new/", VFS_O_CREAT | VFS_O_WRONLY), -EISDIR);
	CHECK_EQ(open_err(d, "new", VFS_O_CREAT | VFS_O_DIRECTORY), -EINVAL);
	CHECK_EQ(open_err(d, "f", VFS_O_CREAT | VFS_O_EXCL | VFS_O_WRONLY), -EEXIST);
	CHECK_EQ(open_err(d, "a", VFS_O_WRONLY), -EISDIR);
	CHECK_EQ(open_err(d, "a", VFS_O_RDONLY | VFS_O_TRUNC), -EISDIR);
	CHECK_EQ(open_err(d, "a", VFS_O_RDONLY), 0);
	CHECK_EQ(open_err(d, "f", VFS_O_DIRECTORY), -ENOTDIR);
	CHECK_EQ(open_err(d, "f/", VFS_O_RDONLY), -ENOTDIR);
	CHECK_EQ(open_err(d, "missing", VFS_O_RDONLY), -ENOENT);
	CHECK_EQ(open_err(d, "a", VFS_O_PATH | VFS_O_DIRECTORY), 0);
	end();
}

static void test_unlink_rmdir(void)
{
	begin("unlink");
	CHECK_EQ(vfs_mkdir(d, "e", 0755), 0);
	CHECK_EQ(vfs_mkdir(d, "full", 0755), 0);
	CHECK_EQ(put_file(d, "full/f", "x"), 0);
	CHECK_EQ(put_file(d, "f", "x"), 0);
	CHECK_EQ(vfs_unlink(d, "e", 0), -EISDIR);
	CHECK_EQ(vfs_unlink(d, "f", VFS_AT_REMOVEDIR), -ENOTDIR);
	CHECK_EQ(vfs_unlink(d, "f/", 0), -ENOTDIR);
	CHECK_EQ(vfs_unlink(d, "full", VFS_AT_REMOVEDIR), -ENOTEMPTY);
	CHECK_EQ(vfs_unlink(d, ".", VFS_AT_REMOVEDIR), -EINVAL);
	CHECK_EQ(vfs_unlink(d, "e/..", VFS_AT_REMOVEDIR), -ENOTEMPTY);
	CHECK_EQ(vfs_unlink(NULL, "/", VFS_AT_REMOVEDIR), -EBUSY);
	CHECK_EQ(vfs_unlink(NULL, "/", 0), -EISDIR);
	CHECK_EQ(vfs_unlink(d, "missing", 0), -ENOENT);
	CHECK_EQ(vfs_unlink(d, "f", 0x1), -EINVAL);
	CHECK_EQ(vfs_unlink(d, "e/", VFS_AT_REMOVEDIR), 0);
	CHECK_EQ(vfs_unlink(d, "full/f", 0), 0);
	CHECK_EQ(vfs_unlink(d, "full", VFS_AT_REMOVEDIR), 0);
	CHECK_EQ(vfs_unlink(d, "f", 0), 0);
	CHECK_EQ(lookup_err(d, "f", 0), -ENOENT);
	end();
}

/* An unlinked file stays readable through an open file until the last close. */
static void test_unlinked_open_file(void)
{
	char buf[8] = { 0 };
	struct kstat st;
	struct file *f;
	long err;

	begin("orphan");
	CHECK_EQ(put_file(d, "f", "alive"), 0);
	f = t_open(d, "f", VFS_O_RDWR, 0, &err);
	CHECK_EQ(vfs_unlink(d, "f", 0), 0);
	if (f) {
		CHECK_EQ(f->ops->read(f, buf, sizeof(buf)), 5);
		CHECK_STR(buf, "alive");
		f->ops->stat(f, &st);
		CHECK_EQ(st.nlink, 0);
		file_put(f);
	}
	end();
}

static void test_link(void)
{
	long err;
	struct kstat st;

	begin("link");
	CHECK_EQ(put_file(d, "f", "x"), 0);
	CHECK_EQ(vfs_mkdir(d, "dir", 0755), 0);
	CHECK_EQ(vfs_symlink("f", d, "sl"), 0);
	CHECK_EQ(vfs_link(d, "f", d, "g", 0), 0);
	st = stat_path(d, "g", 0, &err);
	CHECK_EQ(st.nlink, 2);
	CHECK_EQ(vfs_link(d, "f", d, "g", 0), -EEXIST);
	CHECK_EQ(vfs_link(d, "dir", d, "dir2", 0), -EPERM);
	CHECK_EQ(vfs_link(d, "missing", d, "h", 0), -ENOENT);
	CHECK_EQ(vfs_link(d, "f", d, "nodir/h", 0), -ENOENT);
	CHECK_EQ(vfs_link(d, "f", d, "h/", 0), -ENOENT);
	CHECK_EQ(vfs_link(d, "f", d, ".", 0), -EEXIST);
	CHECK_EQ(vfs_link(d, "f", d, "h", 0x1), -EINVAL);
	/* a link to the symlink itself, or with AT_SYMLINK_FOLLOW to its target */
	CHECK_EQ(vfs_link(d, "sl", d, "sl2", 0), 0);
	st = stat_path(d, "sl2", VFS_LOOKUP_NOFOLLOW, &err);
	CHECK(VFS_ISLNK(st.mode));
	CHECK_EQ(vfs_link(d, "sl", d, "f3", VFS_AT_SYMLINK_FOLLOW), 0);
	st = stat_path(d, "f3", VFS_LOOKUP_NOFOLLOW, &err);
	CHECK(VFS_ISREG(st.mode));
	CHECK_EQ(st.nlink, 3);
	CHECK_EQ(vfs_unlink(d, "f", 0), 0);
	st = stat_path(d, "g", 0, &err);
	CHECK_EQ(st.nlink, 2);
	end();
}

static void test_rename(void)
{
	char buf[16];
	long err;
	struct kstat st;

	begin("rename");
	CHECK_EQ(put_file(d, "a", "A"), 0);
	CHECK_EQ(put_file(d, "b", "B"), 0);
	CHECK_EQ(vfs_mkdir(d, "d1", 0755), 0);
	CHECK_EQ(vfs_mkdir(d, "d1/sub", 0755), 0);
	CHECK_EQ(vfs_mkdir(d, "empty", 0755), 0);
	CHECK_EQ(vfs_mkdir(d, "full", 0755), 0);
	CHECK_EQ(put_file(d, "full/x", "x"), 0);
	/* over an existing file */
	CHECK_EQ(vfs_rename(d, "a", d, "b", 0), 0);
	CHECK_EQ(get_file(d, "b", buf, sizeof(buf)), 1);
	CHECK_STR(buf, "A");
	CHECK_EQ(lookup_err(d, "a", 0), -ENOENT);
	/* directories: over an empty one, not a full one, not into themselves */
	CHECK_EQ(vfs_rename(d, "d1", d, "empty", 0), 0);
	CHECK_EQ(lookup_err(d, "empty/sub", 0), 0);
	CHECK_EQ(vfs_rename(d, "empty", d, "full", 0), -ENOTEMPTY);
	CHECK_EQ(vfs_rename(d, "empty", d, "empty/sub/x", 0), -EINVAL);
	CHECK_EQ(vfs_rename(d, "empty", d, "empty/x", 0), -EINVAL);
	CHECK_EQ(vfs_rename(d, "empty/sub", d, "empty", 0), -ENOTEMPTY);
	CHECK_EQ(vfs_rename(d, "empty", d, "b", 0), -ENOTDIR);
	CHECK_EQ(vfs_rename(d, "b", d, "full", 0), -EISDIR);
	CHECK_EQ(vfs_rename(d, "b", d, "c/", 0), -ENOTDIR);
	CHECK_EQ(vfs_rename(d, "b/", d, "c", 0), -ENOTDIR);
	CHECK_EQ(vfs_rename(d, "missing", d, "c", 0), -ENOENT);
	CHECK_EQ(vfs_rename(d, ".", d, "c", 0), -EBUSY);
	CHECK_EQ(vfs_rename(d, "b", d, "..", 0), -EBUSY);
	CHECK_EQ(vfs_rename(d, "b", d, "..", VFS_RENAME_NOREPLACE), -EEXIST);
	CHECK_EQ(vfs_rename(d, "b", d, "x", 4), -EINVAL);
	CHECK_EQ(vfs_rename(d, "b", d, "x", VFS_RENAME_NOREPLACE | VFS_RENAME_EXCHANGE),
		 -EINVAL);
	/* a directory moves: its parent link, the link counts and its path follow */
	CHECK_EQ(vfs_rename(d, "empty/sub", d, "full/sub2", 0), 0);
	st = stat_path(d, "full", 0, &err);
	CHECK_EQ(st.nlink, 3);
	st = stat_path(d, "empty", 0, &err);
	CHECK_EQ(st.nlink, 2);
	st = stat_path(d, "full/sub2/..", 0, &err);
	CHECK_EQ(st.nlink, 3);
	/* the same file twice: nothing happens */
	CHECK_EQ(vfs_link(d, "b", d, "b2", 0), 0);
	CHECK_EQ(vfs_rename(d, "b", d, "b2", 0), 0);
	CHECK_EQ(lookup_err(d, "b", 0), 0);
	/* NOREPLACE and EXCHANGE */
	CHECK_EQ(vfs_rename(d, "b", d, "full", VFS_RENAME_NOREPLACE), -EEXIST);
	CHECK_EQ(vfs_rename(d, "b", d, "nb", VFS_RENAME_NOREPLACE), 0);
	CHECK_EQ(vfs_rename(d, "nb", d, "none", VFS_RENAME_EXCHANGE), -ENOENT);
	CHECK_EQ(vfs_rename(d, "nb", d, "full", VFS_RENAME_EXCHANGE), 0);
	st = stat_path(d, "nb", 0, &err);
	CHECK(VFS_ISDIR(st.mode));
	CHECK_EQ(lookup_err(d, "nb/sub2", 0), 0);
	CHECK_EQ(get_file(d, "full", buf, sizeof(buf)), 1);
	CHECK_EQ(vfs_rename(d, "nb", d, "nb/sub2", VFS_RENAME_EXCHANGE), -EINVAL);
	CHECK_EQ(vfs_rename(d, "nb/sub2", d, "nb", VFS_RENAME_EXCHANGE), -EINVAL);
	/* exchanging directories in different parents keeps the counts */
	CHECK_EQ(vfs_mkdir(d, "p", 0755), 0);
	CHECK_EQ(vfs_mkdir(d, "p/q", 0755), 0);
	CHECK_EQ(vfs_rename(d, "p/q", d, "full", VFS_RENAME_EXCHANGE), 0);
	st = stat_path(d, "p", 0, &err);
	CHECK_EQ(st.nlink, 2);
	CHECK_EQ(lookup_err(d, "full/", 0), 0);
	end();
}

static void test_mounts(void)
{
	struct vfs_fs *m = ramfs_create(0);
	struct vnode *mnt;
	long err;
	struct kstat st, root;

	begin("mnt");
	CHECK_EQ(vfs_mkdir(d, "point", 0755), 0);
	CHECK_EQ(put_file(d, "f", "x"), 0);
	CHECK_EQ(vfs_mount("/mnt/f", m), -ENOTDIR);
	CHECK_EQ(vfs_mount("/mnt/point", m), 0);
	CHECK_EQ(vfs_mount("/mnt/point", m), -EBUSY);
	CHECK_EQ(put_file(d, "point/in", "y"), 0);
	st = stat_path(d, "point/in", 0, &err);
	CHECK_EQ(err, 0);
	root = stat_path(d, "point", 0, &err);
	CHECK(st.dev != root.dev || st.dev == m->dev);
	CHECK_EQ(root.dev, m->dev);
	/* ".." from the mounted root goes back to the covering tree */
	st = stat_path(d, "point/..", 0, &err);
	CHECK_EQ(st.ino, stat_path(d, ".", 0, &err).ino);
	CHECK_EQ(vfs_rename(d, "f", d, "point/f", 0), -EXDEV);
	CHECK_EQ(vfs_link(d, "f", d, "point/f", 0), -EXDEV);
	CHECK_EQ(vfs_rename(d, "point", d, "other", 0), -EBUSY);
	CHECK_EQ(vfs_unlink(d, "point", VFS_AT_REMOVEDIR), -EBUSY);
	CHECK_EQ(vfs_unlink(d, "point/", VFS_AT_REMOVEDIR), -EBUSY);
	CHECK_EQ(vfs_rename(d, "point/in", d, "point/in2", 0), 0);
	/* getcwd across the mount */
	CHECK_EQ(vfs_mkdir(d, "point/deep", 0755), 0);
	if (!vfs_lookup(d, "point/deep", 0, &mnt)) {
		char buf[64];

		CHECK_EQ(vfs_getpath(mnt, buf, sizeof(buf)), 16);
		CHECK_STR(buf, "/mnt/point/deep");
		vnode_put(mnt);
	}
	end();
}

static void test_getpath(void)
{
	struct vnode *x, *root = vfs_root();
	char buf[64];

	begin("cwd");
	CHECK_EQ(vfs_getpath(root, buf, sizeof(buf)), 2);
	CHECK_STR(buf, "/");
	CHECK_EQ(vfs_mkdir(d, "a", 0755), 0);
	CHECK_EQ(vfs_mkdir(d, "a/b", 0755), 0);
	CHECK_EQ(vfs_lookup(d, "a/b", 0, &x), 0);
	CHECK_EQ(vfs_getpath(x, buf, sizeof(buf)), 9);
	CHECK_STR(buf, "/cwd/a/b");
	CHECK_EQ(vfs_getpath(x, buf, 8), -ERANGE);
	CHECK_EQ(vfs_rename(d, "a", d, "renamed", 0), 0);
	CHECK_EQ(vfs_getpath(x, buf, sizeof(buf)), 15);
	CHECK_STR(buf, "/cwd/renamed/b");
	/* a removed working directory: getcwd says ENOENT, creation in it too */
	CHECK_EQ(vfs_unlink(d, "renamed/b", VFS_AT_REMOVEDIR), 0);
	CHECK_EQ(vfs_getpath(x, buf, sizeof(buf)), -ENOENT);
	CHECK_EQ(put_file(x, "f", "x"), -ENOENT);
	CHECK_EQ(vfs_mkdir(x, "g", 0755), -ENOENT);
	CHECK_EQ(lookup_err(x, ".", 0), 0);
	vnode_put(x);
	vnode_put(root);
	end();
}

/* Collects the names getdents64 returns from f into a "|"-joined string. */
static long list_dir(struct file *f, char *out, size_t size, size_t bufsize, int remove_each,
		     struct vnode *dir)
{
	char buf[1024];
	long n, total = 0;

	out[0] = 0;
	while ((n = f->ops->getdents(f, buf, bufsize)) > 0) {
		for (long off = 0; off < n;) {
			struct vfs_dirent64 *de = (struct vfs_dirent64 *)(buf + off);

			strncat(out, de->d_name, size - strlen(out) - 2);
			strcat(out, "|");
			if (remove_each && strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				vfs_unlink(dir, de->d_name, 0);
			off += de->d_reclen;
			total++;
		}
	}
	return n < 0 ? n : total;
}

static void test_getdents(void)
{
	char names[4096];
	struct file *f;
	long err;

	begin("dents");
	CHECK_EQ(vfs_mkdir(d, "d", 0755), 0);
	CHECK_EQ(put_file(d, "d/one", ""), 0);
	CHECK_EQ(put_file(d, "d/two", ""), 0);
	CHECK_EQ(vfs_mkdir(d, "d/three", 0755), 0);
	f = t_open(d, "d", VFS_O_RDONLY | VFS_O_DIRECTORY, 0, &err);
	if (!CHECK(f))
		return;
	CHECK_EQ(list_dir(f, names, sizeof(names), sizeof(names), 0, NULL), 5);
	CHECK_STR(names, ".|..|one|two|three|");
	CHECK_EQ(f->ops->getdents(f, names, 16), 0);	/* at the end */
	CHECK_EQ(f->ops->lseek(f, 0, VFS_SEEK_SET), 0);
	CHECK_EQ(f->ops->getdents(f, names, 16), -EINVAL);	/* no record fits */
	/* one record per call, then resume from a d_off */
	CHECK_EQ(list_dir(f, names, sizeof(names), 32, 0, NULL), 5);
	CHECK_EQ(f->ops->lseek(f, 2, VFS_SEEK_SET), 2);
	CHECK_EQ(list_dir(f, names, sizeof(names), sizeof(names), 0, NULL), 3);
	CHECK_EQ(f->ops->lseek(f, 0, VFS_SEEK_END), -EINVAL);
	CHECK_EQ(f->ops->read(f, names, 4), -EISDIR);
	file_put(f);
	end();
}

/* Deleting every entry while listing: each listed once, the listing ends. */
static void test_getdents_while_deleting(void)
{
	char name[32], *names = malloc(65536);
	struct vnode *dir;
	struct file *f;
	long err;

	begin("dentsdel");
	CHECK_EQ(vfs_mkdir(d, "d", 0755), 0);
	for (int i = 0; i < 500; i++) {
		snprintf(name, sizeof(name), "d/e%d", i);
		CHECK_EQ(put_file(d, name, ""), 0);
	}
	CHECK_EQ(vfs_lookup(d, "d", 0, &dir), 0);
	f = t_open(d, "d", VFS_O_RDONLY, 0, &err);
	if (f) {
		CHECK_EQ(list_dir(f, names, 65536, 200, 1, dir), 502);
		CHECK_EQ(vfs_unlink(d, "d", VFS_AT_REMOVEDIR), 0);
		CHECK_EQ(f->ops->lseek(f, 0, VFS_SEEK_SET), 0);
		CHECK_EQ(f->ops->getdents(f, names, 1024), -ENOENT);
		file_put(f);
	}
	vnode_put(dir);
	free(names);
	end();
}

static void test_attributes(void)
{
	struct ktimespec ts[2] = { { 5, 6 }, { 7, VFS_UTIME_OMIT } };
	struct kstat st, st2;
	struct vnode *vn;
	long err;

	begin("attr");
	CHECK_EQ(put_file(d, "f", "abc"), 0);
	CHECK_EQ(vfs_lookup(d, "f", 0, &vn), 0);
	st = stat_path(d, "f", 0, &err);
	CHECK_EQ(st.mode, VFS_S_IFREG | 0644);
	CHECK_EQ(st.nlink, 1);
	CHECK_EQ(st.uid, 0);
	CHECK_EQ(st.blksize, 4096);
	CHECK_EQ(st.blocks, 8);
	CHECK(st.mtime.sec >= 1700000000);
	CHECK_EQ(vfs_chmod(vn, 04755), 0);
	vfs_stat(vn, &st2);
	CHECK_EQ(st2.mode, VFS_S_IFREG | 04755);
	CHECK(st2.ctime.sec > st.ctime.sec ||
	      (st2.ctime.sec == st.ctime.sec && st2.ctime.nsec > st.ctime.nsec));
	CHECK_EQ(vfs_utimens(vn, ts), 0);
	vfs_stat(vn, &st);
	CHECK_EQ(st.atime.sec, 5);
	CHECK_EQ(st.atime.nsec, 6);
	CHECK_EQ(st.mtime.sec, st2.mtime.sec);
	ts[0].nsec = 1000000000;
	CHECK_EQ(vfs_utimens(vn, ts), -EINVAL);
	CHECK_EQ(vfs_access(vn, VFS_R_OK | VFS_W_OK | VFS_X_OK), 0);
	CHECK_EQ(vfs_check_exec(vn), 0);
	CHECK_EQ(vfs_chmod(vn, 0644), 0);
	CHECK_EQ(vfs_access(vn, VFS_X_OK), -EACCES);
	CHECK_EQ(vfs_access(vn, VFS_R_OK | VFS_W_OK), 0);
	CHECK_EQ(vfs_access(vn, 8), -EINVAL);
	CHECK_EQ(vfs_check_exec(vn), -EACCES);
	CHECK_EQ(vfs_chown(vn, 5, (uint32_t)-1), 0);
	vfs_stat(vn, &st);
	CHECK_EQ(st.uid, 5);
	CHECK_EQ(st.gid, 0);
	vnode_put(vn);
	CHECK_EQ(vfs_lookup(d, ".", 0, &vn), 0);
	CHECK_EQ(vfs_check_exec(vn), -EACCES);
	CHECK_EQ(vfs_access(vn, VFS_X_OK), 0);
	CHECK_EQ(vfs_truncate(vn, 0), -EISDIR);
	vnode_put(vn);
	end();
}

static void test_populate(void)
{
	char buf[32];
	struct kstat st;
	long err;

	CHECK_EQ(vfs_create_file("/pop/usr/bin/app", 0755, "\x7f" "ELF", 4), 0);
	st = stat_path(NULL, "/pop/usr/bin/app", 0, &err);
	CHECK_EQ(st.mode, VFS_S_IFREG | 0755);
	CHECK_EQ(st.size, 4);
	st = stat_path(NULL, "/pop/usr", 0, &err);
	CHECK_EQ(st.mode, VFS_S_IFDIR | 0755);
	CHECK_EQ(vfs_create_file("/pop/usr/bin/app", 0700, "new", 3), 0);
	CHECK_EQ(get_file(NULL, "/pop/usr/bin/app", buf, sizeof(buf)), 3);
	st = stat_path(NULL, "/pop/usr/bin/app", 0, &err);
	CHECK_EQ(st.mode, VFS_S_IFREG | 0700);
	CHECK_EQ(vfs_mkdir_p("/pop/a//b/c/", 0700), 0);
	CHECK_EQ(vfs_mkdir_p("/pop/a/b/c", 0700), 0);
	st = stat_path(NULL, "/pop/a/b", 0, &err);
	CHECK_EQ(st.mode, VFS_S_IFDIR | 0700);
	CHECK_EQ(vfs_mkdir_p("/pop/usr/bin/app/x", 0755), -ENOTDIR);
	CHECK_EQ(vfs_mkdir_p("rel", 0755), -EINVAL);
	CHECK_EQ(vfs_create_symlink("/pop/lib/ld.so", "../usr/bin/app"), 0);
	CHECK_EQ(get_file(NULL, "/pop/lib/ld.so", buf, sizeof(buf)), 3);
	CHECK_STR(buf, "new");
	CHECK_EQ(vfs_create_symlink("/pop/lib/ld.so", "x"), -EEXIST);
}

int main(void)
{
	fs_boot();
	CASE(test_dots_and_slashes);
	CASE(test_name_limits);
	CASE(test_symlinks);
	CASE(test_symlink_limit);
	CASE(test_create_errors);
	CASE(test_unlink_rmdir);
	CASE(test_unlinked_open_file);
	CASE(test_link);
	CASE(test_rename);
	CASE(test_mounts);
	CASE(test_getpath);
	CASE(test_getdents);
	CASE(test_getdents_while_deleting);
	CASE(test_attributes);
	CASE(test_populate);
	return t_exit();
}
