/*
 * tests/unit/fs/test_linux.c: the VFS against the host's Linux kernel.
 *
 * The same random sequence of mkdir, rmdir, unlink, open (every flag
 * combination that matters) with a read and a write on what opened,
 * symlink, link, rename (plain, NOREPLACE, EXCHANGE), readlink, stat
 * (following or not), truncate and a directory listing runs in a fresh
 * host directory (tmpfs /dev/shm when there is one) and in a directory of
 * mote's ramfs. Every step must give the same result (the same errno, the
 * same bytes), and every few hundred steps the two trees must be the same
 * (names, types, sizes of files and links, link counts, link targets).
 *
 * Paths are drawn from a tiny alphabet so that names collide often: a few
 * names, ".", "..", runs of slashes, trailing slashes, symlinks among
 * them. To keep the host side inside its directory, ".." appears only
 * below a component the path itself went down, and symlink targets are
 * relative without "..": then no path can climb above the start.
 *
 * The host runs as root, as mote's applications do, so no permission
 * check gets in the way on either side.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fs_test.h"

_Static_assert(VFS_O_CREAT == O_CREAT && VFS_O_EXCL == O_EXCL && VFS_O_TRUNC == O_TRUNC &&
	       VFS_O_APPEND == O_APPEND && VFS_O_DIRECTORY == O_DIRECTORY &&
	       VFS_O_NOFOLLOW == O_NOFOLLOW && VFS_O_PATH == O_PATH &&
	       VFS_O_CLOEXEC == O_CLOEXEC && VFS_O_NONBLOCK == O_NONBLOCK &&
	       VFS_O_TMPFILE == O_TMPFILE, "open flags");
_Static_assert(VFS_AT_REMOVEDIR == AT_REMOVEDIR &&
	       VFS_AT_SYMLINK_FOLLOW == AT_SYMLINK_FOLLOW, "AT_ flags");
_Static_assert(VFS_S_IFMT == S_IFMT && VFS_S_IFDIR == S_IFDIR && VFS_S_IFLNK == S_IFLNK &&
	       VFS_S_IFREG == S_IFREG, "mode bits");
_Static_assert(VFS_SEEK_DATA == SEEK_DATA && VFS_SEEK_HOLE == SEEK_HOLE, "whence");

static char host_root[256];
static int hfd;			/* the host's start directory */
static struct vnode *mdir;	/* mote's */
static char step_desc[512];
static uint64_t rng_state;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static unsigned rnd(unsigned n)
{
	return (unsigned)(rng() % n);
}

static long host(long r)
{
	return r < 0 ? -errno : r;
}

/* A random relative path; with_dotdot allows ".." below a descent. */
static void gen_path(char *out, bool with_dotdot)
{
	static const char *names[] = { "a", "b", "c", "l", "m" };
	int n = 1 + (int)rnd(3), depth = 0;

	out[0] = 0;
	for (int i = 0; i < n; i++) {
		unsigned pick = rnd(10);

		if (i)
			strcat(out, rnd(8) ? "/" : "//");
		if (pick == 0) {
			strcat(out, ".");
		} else if (pick == 1 && with_dotdot && depth > 0) {
			strcat(out, "..");
			depth--;
		} else {
			strcat(out, names[rnd(5)]);
			depth++;
		}
	}
	if (!rnd(6))
		strcat(out, "/");
}

/* ---- comparing trees ---- */

struct entry {
	char name[256];
	unsigned type;
	long size;
	unsigned nlink;
	char target[64];
};

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

static int host_list(const char *rel, struct entry *e, int max)
{
	int fd = openat(hfd, rel, O_RDONLY | O_DIRECTORY), n = 0;
	DIR *dir = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *de;

	if (!dir)
		return -1;
	while ((de = readdir(dir)) && n < max) {
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW);
		memset(&e[n], 0, sizeof(e[n]));
		snprintf(e[n].name, sizeof(e[n].name), "%s", de->d_name);
		e[n].type = st.st_mode & S_IFMT;
		e[n].size = S_ISDIR(st.st_mode) ? 0 : st.st_size;
		e[n].nlink = (unsigned)st.st_nlink;
		if (S_ISLNK(st.st_mode))
			readlinkat(fd, de->d_name, e[n].target, sizeof(e[n].target) - 1);
		n++;
	}
	closedir(dir);
	qsort(e, (size_t)n, sizeof(*e), cmp_entry);
	return n;
}

static int mote_list(const char *rel, struct entry *e, int max)
{
	char buf[4096], path[600];
	long err, got;
	struct file *f = t_open(mdir, rel, VFS_O_RDONLY | VFS_O_DIRECTORY, 0, &err);
	int n = 0;

	if (!f)
		return -1;
	while ((got = f->ops->getdents(f, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < got && n < max;) {
			struct vfs_dirent64 *de = (struct vfs_dirent64 *)(buf + off);
			struct kstat st;

			off += de->d_reclen;
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			snprintf(path, sizeof(path), "%s/%s", rel, de->d_name);
			st = stat_path(mdir, path, VFS_LOOKUP_NOFOLLOW, &err);
			memset(&e[n], 0, sizeof(e[n]));
			snprintf(e[n].name, sizeof(e[n].name), "%s", de->d_name);
			e[n].type = st.mode & VFS_S_IFMT;
			e[n].size = VFS_ISDIR(st.mode) ? 0 : st.size;
			e[n].nlink = st.nlink;
			if (VFS_ISLNK(st.mode))
				vfs_readlink(mdir, path, e[n].target, sizeof(e[n].target) - 1);
			CHECK_EQ((st.mode & VFS_S_IFMT) >> 12, de->d_type);
			n++;
		}
	}
	file_put(f);
	qsort(e, (size_t)n, sizeof(*e), cmp_entry);
	return n;
}

/* Compares the trees under rel on both sides, recursively. */
static void compare_trees(const char *rel, int depth)
{
	struct entry h[64], m[64];
	int nh = host_list(rel, h, 64), nm = mote_list(rel, m, 64);

	if (!CHECKF(nh == nm, "after %s: %s has %d entries on the host, %d in mote", step_desc,
		    rel, nh, nm))
		return;
	for (int i = 0; i < nh && !failed(); i++) {
		char sub[600];

		CHECKF(!strcmp(h[i].name, m[i].name) && h[i].type == m[i].type &&
		       h[i].size == m[i].size && h[i].nlink == m[i].nlink &&
		       !strcmp(h[i].target, m[i].target),
		       "after %s: %s/%s: host %s type %o size %ld nlink %u -> '%s', "
		       "mote %s type %o size %ld nlink %u -> '%s'", step_desc, rel, h[i].name,
		       h[i].name, h[i].type, h[i].size, h[i].nlink, h[i].target, m[i].name,
		       m[i].type, m[i].size, m[i].nlink, m[i].target);
		snprintf(sub, sizeof(sub), "%s/%s", rel, h[i].name);
		if (h[i].type == S_IFDIR && depth < 8)
			compare_trees(sub, depth + 1);
	}
}

/* ---- one random step on both sides ---- */

static const unsigned open_bits[] = { O_CREAT, O_EXCL, O_TRUNC, O_DIRECTORY, O_NOFOLLOW,
				      O_APPEND, O_PATH };

static unsigned gen_open_flags(void)
{
	unsigned flags = rnd(3);	/* O_RDONLY, O_WRONLY, O_RDWR */

	for (size_t i = 0; i < sizeof(open_bits) / sizeof(open_bits[0]); i++)
		if (!rnd(i == 6 ? 8 : 3))
			flags |= open_bits[i];
	return flags;
}

static void step_open(const char *p)
{
	unsigned flags = gen_open_flags();
	int fd = (int)host(openat(hfd, p, (int)flags, 0644));
	long err;
	struct file *f = t_open(mdir, p, flags, 0644, &err);
	char hb[64], mb[64];
	size_t len = 1 + rnd(20);

	snprintf(step_desc, sizeof(step_desc), "open(%s, %#o)", p, flags);
	if (!CHECKF((fd >= 0 ? 0 : fd) == err, "%s: host %d, mote %ld", step_desc,
		    fd >= 0 ? 0 : fd, err) || fd < 0) {
		if (fd >= 0)
			close(fd);
		if (f)
			file_put(f);
		return;
	}
	long hw = host(write(fd, "0123456789abcdefghijklmnopq", len));
	long mw = f->ops->write(f, "0123456789abcdefghijklmnopq", len);

	CHECKF(hw == mw, "%s then write: host %ld, mote %ld", step_desc, hw, mw);
	lseek(fd, 0, SEEK_SET);
	if (f->ops->lseek)
		f->ops->lseek(f, 0, VFS_SEEK_SET);
	long hr = host(read(fd, hb, sizeof(hb)));
	long mr = f->ops->read(f, mb, sizeof(mb));

	CHECKF(hr == mr && (hr <= 0 || !memcmp(hb, mb, (size_t)hr)),
	       "%s then read: host %ld, mote %ld", step_desc, hr, mr);
	close(fd);
	file_put(f);
}

static void step_stat(const char *p)
{
	bool nofollow = rnd(2);
	struct stat hs;
	long herr = host(fstatat(hfd, p, &hs, nofollow ? AT_SYMLINK_NOFOLLOW : 0)), merr;
	struct kstat ms = stat_path(mdir, p, nofollow ? VFS_LOOKUP_NOFOLLOW : 0, &merr);

	snprintf(step_desc, sizeof(step_desc), "stat(%s, nofollow %d)", p, nofollow);
	if (!CHECKF(herr == merr, "%s: host %ld, mote %ld", step_desc, herr, merr) || herr)
		return;
	CHECKF((hs.st_mode & S_IFMT) == (ms.mode & VFS_S_IFMT) && hs.st_nlink == ms.nlink &&
	       (S_ISDIR(hs.st_mode) || hs.st_size == ms.size),
	       "%s: host mode %o nlink %lu size %ld, mote mode %o nlink %u size %ld", step_desc,
	       hs.st_mode, (unsigned long)hs.st_nlink, (long)hs.st_size, ms.mode, ms.nlink,
	       (long)ms.size);
}

static void step_readlink(const char *p)
{
	char hb[128], mb[128];
	size_t size = rnd(4) ? sizeof(hb) : 2;
	long hr = host(readlinkat(hfd, p, hb, size));
	long mr = vfs_readlink(mdir, p, mb, size);

	snprintf(step_desc, sizeof(step_desc), "readlink(%s, %zu)", p, size);
	CHECKF(hr == mr && (hr <= 0 || !memcmp(hb, mb, (size_t)hr)), "%s: host %ld, mote %ld",
	       step_desc, hr, mr);
}

static void step_truncate(const char *p)
{
	long len = rnd(3) ? (long)rnd(9000) : (long)rnd(40);
	long herr = host(truncate(p, len)), merr;
	struct vnode *vn;

	merr = vfs_lookup(mdir, p, 0, &vn);
	if (!merr) {
		merr = vfs_truncate(vn, (uint64_t)len);
		vnode_put(vn);
	}
	snprintf(step_desc, sizeof(step_desc), "truncate(%s, %ld)", p, len);
	CHECKF(herr == merr, "%s: host %ld, mote %ld", step_desc, herr, merr);
}

static void step(void)
{
	char p[128], q[128];
	unsigned op = rnd(12), flags;
	long h, m;

	gen_path(p, true);
	gen_path(q, op != 4);
	switch (op) {
	case 0:
		h = host(mkdirat(hfd, p, 0755));
		m = vfs_mkdir(mdir, p, 0755);
		snprintf(step_desc, sizeof(step_desc), "mkdir(%s)", p);
		break;
	case 1:
	case 2:
		flags = op == 2 ? AT_REMOVEDIR : 0;
		h = host(unlinkat(hfd, p, (int)flags));
		m = vfs_unlink(mdir, p, flags);
		snprintf(step_desc, sizeof(step_desc), "unlinkat(%s, %#x)", p, flags);
		break;
	case 3:
	case 11:
		step_open(p);
		return;
	case 4:
		h = host(symlinkat(q, hfd, p));
		m = vfs_symlink(q, mdir, p);
		snprintf(step_desc, sizeof(step_desc), "symlink(%s -> %s)", p, q);
		break;
	case 5:
		flags = rnd(2) ? AT_SYMLINK_FOLLOW : 0;
		h = host(linkat(hfd, p, hfd, q, (int)flags));
		m = vfs_link(mdir, p, mdir, q, flags);
		snprintf(step_desc, sizeof(step_desc), "link(%s, %s, %#x)", p, q, flags);
		break;
	case 6:
		flags = rnd(4);
		flags = flags == 3 ? 0 : flags;
		h = host(syscall(SYS_renameat2, hfd, p, hfd, q, flags));
		m = vfs_rename(mdir, p, mdir, q, flags);
		snprintf(step_desc, sizeof(step_desc), "rename(%s, %s, %u)", p, q, flags);
		break;
	case 7:
		step_readlink(p);
		return;
	case 8:
	case 9:
		step_stat(p);
		return;
	default:
		step_truncate(p);
		return;
	}
	CHECKF(h == m, "%s: host %ld, mote %ld", step_desc, h, m);
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

/* A fresh empty "w" on both sides for one seed. */
static void fresh(unsigned seed)
{
	char path[300], mpath[32];

	snprintf(path, sizeof(path), "%s/w%u", host_root, seed);
	mkdir(path, 0755);
	if (hfd >= 0)
		close(hfd);
	hfd = open(path, O_RDONLY | O_DIRECTORY);
	if (chdir(path))
		hfd = -1;
	snprintf(mpath, sizeof(mpath), "/w%u", seed);
	if (mdir)
		vnode_put(mdir);
	mdir = case_dir(mpath + 1);
}

static void run_seed(unsigned seed)
{
	rng_state = seed * 0x9e3779b97f4a7c15ull + 1;
	fresh(seed);
	if (!CHECK(hfd >= 0))
		return;
	for (int i = 0; i < 4000 && !failed(); i++) {
		step();
		if (getenv("FS_TEST_TRACE"))
			fprintf(stderr, "%u.%d %s\n", seed, i, step_desc);
		if (i % 250 == 249)
			compare_trees(".", 0);
	}
	compare_trees(".", 0);
}

static void test_random_sequences(void)
{
	const char *env = getenv("FS_TEST_SEED");
	unsigned base = env ? (unsigned)strtoul(env, NULL, 0) : 1;

	for (unsigned s = base; s < base + 12 && !failed(); s++)
		run_seed(s);
}

/* Hand-picked cases whose errno order is easy to get wrong. */
static void test_fixed_cases(void)
{
	static const struct { int op; const char *p, *q; unsigned flags; } cases[] = {
		{ 0, "d", NULL, 0 }, { 0, "d/e", NULL, 0 }, { 0, "e", NULL, 0 },
		{ 1, "f", NULL, 0 }, { 2, "l", "d", 0 }, { 2, "lf", "f", 0 },
		{ 2, "dangle", "nowhere", 0 }, { 2, "loop", "loop", 0 },
		{ 3, "d", "d/e/x", 0 }, { 3, "d", "d/e", 0 }, { 3, "d/e", "d", 0 },
		{ 3, "d/e", "d", 2 }, { 3, "f", "d", 0 }, { 3, "d", "f", 0 },
		{ 3, "f", "d/", 0 }, { 3, "f/", "g", 0 }, { 3, "l", "l2/", 0 },
		{ 3, "lf/", "x", 0 }, { 3, "f", "f", 1 }, { 3, "f", ".", 1 },
		{ 3, "f", "..", 0 }, { 3, "..", "x", 0 }, { 3, "missing", "x", 2 },
		{ 3, "f", "missing", 2 }, { 3, "l/e", "e/e2", 0 }, { 3, "e/e2", "l/e", 2 },
		{ 3, "dangle", "dangle2", 0 }, { 3, "loop/x", "y", 0 }, { 3, "f", "loop/x", 0 },
		{ 4, "dangle", NULL, O_CREAT | O_WRONLY }, { 4, "loop", NULL, O_CREAT | O_WRONLY },
		{ 4, "lf", NULL, O_NOFOLLOW | O_RDONLY }, { 4, "lf", NULL, O_NOFOLLOW | O_PATH },
		{ 4, "l", NULL, O_NOFOLLOW | O_DIRECTORY }, { 4, "l/", NULL, O_NOFOLLOW },
		{ 4, "d", NULL, O_RDWR }, { 4, "d", NULL, O_RDONLY | O_TRUNC },
		{ 4, "d", NULL, O_CREAT }, { 4, "new/", NULL, O_CREAT | O_WRONLY },
		{ 4, "f", NULL, O_CREAT | O_DIRECTORY }, { 4, "lf", NULL, O_CREAT | O_EXCL },
		{ 4, "d/..", NULL, O_CREAT }, { 4, "f/.", NULL, O_RDONLY },
		{ 5, "d", NULL, 0 }, { 5, "d/e/..", NULL, AT_REMOVEDIR }, { 5, "d/.", NULL, AT_REMOVEDIR },
		{ 5, "l", NULL, AT_REMOVEDIR }, { 5, "l/", NULL, AT_REMOVEDIR }, { 5, "l/", NULL, 0 },
		{ 5, "f/", NULL, 0 }, { 5, "e/", NULL, AT_REMOVEDIR },
		{ 6, "d", "x", 0 }, { 6, "lf", "hard", 0 }, { 6, "lf", "hard2", AT_SYMLINK_FOLLOW },
		{ 6, "f", "x/", 0 }, { 6, "f", "lf", 0 }, { 6, "dangle", "h3", AT_SYMLINK_FOLLOW },
		{ 7, "f", "x", 0 }, { 7, "d/", "y", 0 }, { 7, "dangle/", "z", 0 },
	};

	fresh(999);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *p = cases[i].p, *q = cases[i].q;
		unsigned fl = cases[i].flags;
		long h = 0, m = 0, err;
		int fd;
		struct file *f;

		switch (cases[i].op) {
		case 0:
			h = host(mkdirat(hfd, p, 0755));
			m = vfs_mkdir(mdir, p, 0755);
			break;
		case 1:
			fd = (int)host(openat(hfd, p, O_CREAT | O_WRONLY, 0644));
			h = fd < 0 ? fd : 0;
			if (fd >= 0)
				close(fd);
			m = open_err(mdir, p, O_CREAT | O_WRONLY);
			break;
		case 2:
			h = host(symlinkat(q, hfd, p));
			m = vfs_symlink(q, mdir, p);
			break;
		case 3:
			h = host(syscall(SYS_renameat2, hfd, p, hfd, q, fl));
			m = vfs_rename(mdir, p, mdir, q, fl);
			break;
		case 4:
			fd = (int)host(openat(hfd, p, (int)fl, 0644));
			h = fd < 0 ? fd : 0;
			if (fd >= 0)
				close(fd);
			f = t_open(mdir, p, fl, 0644, &err);
			m = err;
			if (f)
				file_put(f);
			break;
		case 5:
			h = host(unlinkat(hfd, p, (int)fl));
			m = vfs_unlink(mdir, p, fl);
			break;
		case 6:
			h = host(linkat(hfd, p, hfd, q, (int)fl));
			m = vfs_link(mdir, p, mdir, q, fl);
			break;
		case 7:
			h = host(mkdirat(hfd, p, 0755));
			m = vfs_mkdir(mdir, p, 0755);
			if (!h)
				h = host(unlinkat(hfd, q, AT_REMOVEDIR));
			if (!m)
				m = vfs_unlink(mdir, q, VFS_AT_REMOVEDIR);
			break;
		}
		snprintf(step_desc, sizeof(step_desc), "case %zu (op %d %s %s %#x)", i,
			 cases[i].op, p, q ? q : "", fl);
		CHECKF(h == m, "%s: host %ld, mote %ld", step_desc, h, m);
	}
	compare_trees(".", 0);
}

int main(void)
{
	const char *base = access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm";

	snprintf(host_root, sizeof(host_root), "%s/mote-fs-test-XXXXXX", base);
	if (!mkdtemp(host_root)) {
		printf("FAIL setup: no temporary directory\n");
		return 1;
	}
	hfd = -1;
	fs_boot();
	CASE(test_fixed_cases);
	CASE(test_random_sequences);
	if (getenv("FS_TEST_KEEP"))
		printf("kept %s\n", host_root);
	else if (chdir("/") == 0)
		nftw(host_root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	if (hfd >= 0)
		close(hfd);
	vnode_put(mdir);
	return t_exit();
}
