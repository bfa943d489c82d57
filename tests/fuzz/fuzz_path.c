/*
 * libFuzzer target for path resolution and the namespace operations
 * (fs/namei.c, fs/namespace.c, fs/open.c, fs/getpath.c over ramfs), built
 * for the host as tests/unit/fs builds them.
 *
 * The world. Mounts can never be undone and the root is mounted once per
 * process, so the mounts are made once: a ramfs root, a second ramfs on /d
 * and a third on /d/mnt. Both mount points are immovable (a mount point
 * can be neither renamed nor removed, and /d is one), so whatever an input
 * does, the mounts stay where they were and ".." from /d/mnt's root goes
 * through two mount crossings. Everything else (directories, files,
 * relative and absolute symlinks, loops, a chain of 41 links around the
 * 40-link limit, links that cross mounts) is made afresh for each input
 * and removed after it.
 *
 * An input is a sequence of operations: an op byte, a context byte (the
 * starting directory and flags) and one or two encoded paths (see
 * read_path). Up to three directories found by lookups can be held as
 * starting points, so relative walks from a directory that has since been
 * removed or moved are exercised too. An op can also arm allocation
 * failure (vfs_fail_alloc_after), after which -ENOMEM is a valid answer.
 *
 * Invariants (abort() when broken, so the fuzzer reports the input):
 *   - every result is 0 or a negative errno from the set docs/fs.md gives
 *     that operation;
 *   - a lookup's vnode has a valid type, is no symlink when followed and
 *     is a directory when one was asked for; only directories may have
 *     lost every name (a removed directory held as a starting point);
 *   - every directory found has a path (vfs_getpath) that leads back to
 *     the same vnode, or -ENOENT exactly when it was removed;
 *   - what a change claims is true afterwards: a made directory or link
 *     is found, a symlink reads back its target, unlinked and replaced
 *     objects lose a name, a moved directory's path leads to it;
 *   - after each input, with everything removed, each ramfs instance is
 *     charged exactly what it was with only the mounts, and the roots and
 *     mount points hold the references they held then: a reference that
 *     leaked keeps its vnode (and its charge) alive. LeakSanitizer sees
 *     the rest.
 * Build and run: make fuzz-path (tests/fuzz/build.mk).
 */
#include <lib/err.h>
#include <lib/errno.h>
#include <mote/vfs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NSLOTS 4			/* slot 0 is "no directory": the root */
#define MAX_OPS 64			/* per input, so that one input stays quick */
#define PATH_ROOM (2 * VFS_PATH_MAX + 2 * VFS_NAME_MAX)

/* ---- Reading the input ------------------------------------------------------------- */

struct input {
	const uint8_t *p;
	size_t n;
};

static uint8_t next_byte(struct input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

/* Names the tree below has, "." and "..", and a few free ones (n, o, p, q). */
static const char *const comps[] = {
	"a", "b", "c", "d", "mnt", "x", "y", "z", "k", "f", "g", "h",
	"rel", "abs", "up", "dangling", "self", "l1", "l2", "flink", "slash", "back",
	"top", "root", "dotdot", "c0", "c1", "c2", "c39", "c40", "far", "near",
	".", "..", "n", "o", "p", "q",
};
#define NCOMP (sizeof(comps) / sizeof(comps[0]))

/* Path tokens above the component indices; bytes in between are appended raw. */
enum {
	T_SLASH = 0xf0,		/* "/" */
	T_BYTE,			/* the next input byte, whatever it is (NUL included) */
	T_NAME_MAX,		/* a component of 255 bytes */
	T_NAME_LONG,		/* a component of 256 bytes */
	T_DOUBLE,		/* the path so far, twice */
	T_FILL,			/* slashes up to 4090 bytes: what follows crosses 4096 */
};

struct path {
	char s[PATH_ROOM + 1];
	size_t len;
};

static void put_bytes(struct path *p, const char *s, size_t n)
{
	if (n > PATH_ROOM - p->len)
		n = PATH_ROOM - p->len;
	memcpy(p->s + p->len, s, n);
	p->len += n;
}

/* A component, after a slash unless the path is empty or already ends in one. */
static void put_comp(struct path *p, const char *s, size_t n)
{
	if (p->len && p->s[p->len - 1] != '/')
		put_bytes(p, "/", 1);
	put_bytes(p, s, n);
}

static void put_token(struct path *p, struct input *in, uint8_t t)
{
	static char xs[VFS_NAME_MAX + 1];
	char c;

	if (!xs[0])
		memset(xs, 'x', sizeof(xs));
	if (t < NCOMP) {
		put_comp(p, comps[t], strlen(comps[t]));
	} else if (t == T_SLASH) {
		put_bytes(p, "/", 1);
	} else if (t == T_BYTE) {
		c = (char)next_byte(in);
		put_bytes(p, &c, 1);
	} else if (t == T_NAME_MAX || t == T_NAME_LONG) {
		put_comp(p, xs, t == T_NAME_MAX ? VFS_NAME_MAX : VFS_NAME_MAX + 1);
	} else if (t == T_DOUBLE) {
		put_bytes(p, p->s, p->len);
	} else if (t == T_FILL) {
		while (p->len < VFS_PATH_MAX - 6)
			put_bytes(p, "/", 1);
	} else {
		c = (char)t;
		put_bytes(p, &c, 1);
	}
}

/*
 * A path: a header byte, then either raw bytes (header 0x80 | n: n bytes
 * as they are; a NUL among them ends the C string early, as it would for
 * a system call) or tokens (header n, with 0x40 for a leading "/").
 */
static void read_path(struct input *in, struct path *p)
{
	uint8_t h = next_byte(in);

	p->len = 0;
	if (h & 0x80) {
		for (unsigned i = 0; i < (h & 0x7fu); i++) {
			char c = (char)next_byte(in);

			put_bytes(p, &c, 1);
		}
	} else {
		if (h & 0x40)
			put_bytes(p, "/", 1);
		for (unsigned i = 0; i < (h & 0x3fu); i++)
			put_token(p, in, next_byte(in));
	}
	p->s[p->len] = 0;
}

/* ---- The world ----------------------------------------------------------------------- */

static struct vfs_fs *fss[3];		/* mounted on /, /d, /d/mnt */
static struct vnode *fixed[5];		/* the three roots, /d and /d/mnt as covered */
static unsigned long fixed_refs[5];
static uint64_t base_used[3];

static struct vnode *slots[NSLOTS];	/* held starting directories; slots[0] stays NULL */
static bool alloc_armed;		/* -ENOMEM is a valid answer */
static const char *cur_op;

__attribute__((noreturn))
static void broken(const char *what, const char *path, long ret)
{
	fprintf(stderr, "fuzz_path: %s: %s (path \"%.200s\", result %ld)\n", cur_op, what,
		path ? path : "", ret);
	abort();
}

static void must(int ret, const char *what)
{
	if (ret)
		broken(what, NULL, ret);
}

static struct vnode *must_lookup(const char *path, unsigned flags)
{
	struct vnode *vn;

	must(vfs_lookup(NULL, path, flags, &vn), path);
	return vn;
}

static void make_world(void)
{
	struct vnode *d, *mnt;

	cur_op = "setup";
	for (int i = 0; i < 3; i++) {
		fss[i] = ramfs_create(0);
		if (IS_ERR(fss[i]))
			broken("ramfs_create", NULL, PTR_ERR(fss[i]));
	}
	must(vfs_mount_root(fss[0]), "mount root");
	must(vfs_mkdir(NULL, "/d", 0755), "mkdir /d");
	d = must_lookup("/d", 0);
	must(vfs_mount("/d", fss[1]), "mount /d");
	must(vfs_mkdir(NULL, "/d/mnt", 0755), "mkdir /d/mnt");
	mnt = must_lookup("/d/mnt", 0);
	must(vfs_mount("/d/mnt", fss[2]), "mount /d/mnt");
	/* The mounts keep d and mnt alive: these pointers stay valid. */
	vnode_put(d);
	vnode_put(mnt);
	fixed[0] = fss[0]->root;
	fixed[1] = fss[1]->root;
	fixed[2] = fss[2]->root;
	fixed[3] = d;
	fixed[4] = mnt;
	for (int i = 0; i < 5; i++)
		fixed_refs[i] = fixed[i]->refs;
	for (int i = 0; i < 3; i++) {
		struct ramfs_stats st;

		ramfs_get_stats(fss[i], &st);
		base_used[i] = st.used_bytes;
	}
}

static const char *const tree_dirs[] = {
	"/a", "/a/b", "/a/b/c", "/d/x", "/d/x/y", "/d/mnt/z", "/k",
};
static const char *const tree_files[] = { "/a/f", "/a/b/g", "/d/x/h", "/d/mnt/z/h" };
static const char *const tree_links[][2] = {
	{ "/a/rel", "b/c" }, { "/a/abs", "/d/mnt/z" }, { "/a/up", "../d/x" },
	{ "/a/dangling", "nowhere" }, { "/a/self", "self" }, { "/a/l1", "l2" },
	{ "/a/l2", "l1" }, { "/a/flink", "f" }, { "/a/slash", "b/" },
	{ "/a/dotdot", ".." }, { "/d/x/back", "../../a" }, { "/d/mnt/z/top", "../../../a/b" },
	{ "/d/mnt/root", "/" }, { "/d/x/far", "../../k/c0" }, { "/d/x/near", "../../k/c2" },
};

/* /k/c0 -> c1 -> ... -> c40 -> /a: c1 takes 40 links (allowed), c0 41 (-ELOOP). */
static void make_chain(void)
{
	char path[32], target[32];

	for (int i = 0; i <= VFS_SYMLOOP_MAX; i++) {
		snprintf(path, sizeof(path), "/k/c%d", i);
		snprintf(target, sizeof(target), "c%d", i + 1);
		must(vfs_symlink(i == VFS_SYMLOOP_MAX ? "/a" : target, NULL, path), path);
	}
}

static void make_tree(void)
{
	cur_op = "tree";
	for (size_t i = 0; i < sizeof(tree_dirs) / sizeof(tree_dirs[0]); i++)
		must(vfs_mkdir(NULL, tree_dirs[i], 0755), tree_dirs[i]);
	for (size_t i = 0; i < sizeof(tree_files) / sizeof(tree_files[0]); i++) {
		struct file *f = vfs_open(NULL, tree_files[i], VFS_O_CREAT | VFS_O_WRONLY, 0644);

		if (IS_ERR(f))
			broken(tree_files[i], NULL, PTR_ERR(f));
		file_put(f);
	}
	for (size_t i = 0; i < sizeof(tree_links) / sizeof(tree_links[0]); i++)
		must(vfs_symlink(tree_links[i][1], NULL, tree_links[i][0]), tree_links[i][0]);
	make_chain();
}

/* ---- Tearing the tree down ------------------------------------------------------------- */

struct first {
	uint64_t skip_ino;		/* a mount point: stays */
	char name[VFS_NAME_MAX + 1];
	unsigned type;
	bool found;
};

static bool take_first(void *ctx, const char *name, size_t len, uint64_t ino, unsigned type,
		       uint64_t next)
{
	struct first *e = ctx;

	(void)next;
	if (ino == e->skip_ino)
		return true;
	memcpy(e->name, name, len);
	e->name[len] = 0;
	e->type = type;
	e->found = true;
	return false;
}

/* The first entry of dir other than a mount point, through the filesystem's readdir. */
static bool first_entry(struct vnode *dir, struct first *e)
{
	uint64_t pos = 2;

	e->skip_ino = dir == fixed[0] ? fixed[3]->ino : dir == fixed[1] ? fixed[4]->ino : 0;
	e->found = false;
	mutex_lock(&dir->fs->ns_lock);
	dir->fs->ops->readdir(dir, &pos, take_first, e);
	mutex_unlock(&dir->fs->ns_lock);
	return e->found;
}

/* Removes directory name in dir: true, or false if it is not empty. */
static bool rmdir_or_full(struct vnode *dir, const char *name)
{
	int ret = vfs_unlink(dir, name, VFS_AT_REMOVEDIR);

	if (ret && ret != -ENOTEMPTY)
		broken("teardown: rmdir", name, ret);
	return !ret;
}

/* Removes everything under top but the mount points, without recursion (trees get deep). */
static void empty_tree(struct vnode *top)
{
	struct vnode *cur = top, *next;
	struct first e;

	vnode_get(cur);
	for (;;) {
		if (!first_entry(cur, &e)) {
			if (cur == top)
				break;
			must(vfs_lookup(cur, "..", 0, &next), "teardown ..");
		} else if (e.type != VFS_DT_DIR) {
			must(vfs_unlink(cur, e.name, 0), e.name);
			continue;
		} else if (rmdir_or_full(cur, e.name)) {
			continue;
		} else {
			must(vfs_lookup(cur, e.name, VFS_LOOKUP_NOFOLLOW, &next), e.name);
		}
		vnode_put(cur);
		cur = next;
	}
	vnode_put(cur);
}

/* Back to the mounts alone; anything left over is a leaked reference. */
static void teardown(void)
{
	cur_op = "teardown";
	vfs_fail_alloc_after(0);
	alloc_armed = false;
	for (int i = 0; i < NSLOTS; i++) {
		if (slots[i])
			vnode_put(slots[i]);
		slots[i] = NULL;
	}
	for (int i = 0; i < 3; i++)
		empty_tree(fss[i]->root);
	for (int i = 0; i < 3; i++) {
		struct ramfs_stats st;

		ramfs_get_stats(fss[i], &st);
		if (st.used_bytes != base_used[i])
			broken("ramfs still charged: a vnode leaked", NULL,
			       (long)(st.used_bytes - base_used[i]));
	}
	for (int i = 0; i < 5; i++)
		if (fixed[i]->refs != fixed_refs[i])
			broken("a root or mount point's references changed", NULL,
			       (long)(fixed[i]->refs - fixed_refs[i]));
}

/* ---- Invariants ------------------------------------------------------------------------- */

#define E(x) (1ull << (x))
#define WALK_ERRS (E(ENOENT) | E(ENOTDIR) | E(ELOOP) | E(ENAMETOOLONG))

static void check_result(long ret, uint64_t allowed, const char *path)
{
	if (alloc_armed)
		allowed |= E(ENOMEM);
	if (ret == 0 || (ret < 0 && ret > -64 && (allowed & E(-ret))))
		return;
	broken("result outside the documented errors", path, ret);
}

/* A re-lookup that must work (or fail for memory, once failures are armed). */
static bool relookup(struct vnode *dir, const char *path, unsigned flags, struct vnode **out)
{
	int ret = vfs_lookup(dir, path, flags, out);

	if (ret == -ENOMEM && alloc_armed)
		return false;
	if (ret)
		broken("a path that worked no longer resolves", path, ret);
	return true;
}

static void check_vnode(const struct vnode *vn, const char *path)
{
	uint32_t t = vn->mode & VFS_S_IFMT;

	if (t != VFS_S_IFREG && t != VFS_S_IFDIR && t != VFS_S_IFLNK)
		broken("a vnode of no valid type", path, (long)vn->mode);
	if (vn->fs != fss[0] && vn->fs != fss[1] && vn->fs != fss[2])
		broken("a vnode of no known filesystem", path, 0);
	if (!vn->refs || (vn->nlink == 0 && t != VFS_S_IFDIR))
		broken("a vnode with no references or no name", path, (long)vn->refs);
}

static void check_no_double_slash(const char *s)
{
	if (s[0] != '/' || strstr(s, "//") || (s[1] && s[strlen(s) - 1] == '/'))
		broken("a malformed path from getpath", s, 0);
}

/* vfs_getpath of directory vn into a buffer of size bytes, and the path back to vn. */
static void check_dir_path(struct vnode *vn, size_t size)
{
	static char buf[VFS_PATH_MAX];
	long n = vfs_getpath(vn, buf, size);
	struct vnode *again;

	check_result(n > 0 ? 0 : n, E(ENOENT) | E(ENAMETOOLONG) | E(ERANGE), NULL);
	if (n == -ENOMEM)
		return;
	if (n == -ENOENT && vn->nlink)
		broken("getpath: -ENOENT for a directory that has a name", NULL, n);
	if (n != -ENOENT && vn->nlink == 0)
		broken("getpath of a removed directory", NULL, n);
	if (n == -ERANGE) {
		n = vfs_getpath(vn, buf, VFS_PATH_MAX);
		if (n > 0 && (size_t)n <= size)
			broken("getpath: -ERANGE though the path fits", buf, n);
		return;
	}
	if (n <= 0)
		return;
	if ((size_t)n > size || buf[n - 1] || strlen(buf) != (size_t)n - 1)
		broken("getpath: a bad length", buf, n);
	check_no_double_slash(buf);
	if (!relookup(NULL, buf, 0, &again))
		return;
	if (again != vn)
		broken("getpath leads to another directory", buf, n);
	vnode_put(again);
}

/* A successful lookup's result; directories' paths are checked too. */
static void check_found(struct vnode *vn, unsigned flags, const struct path *p)
{
	check_vnode(vn, p->s);
	if (VFS_ISLNK(vn->mode) && !(flags & VFS_LOOKUP_NOFOLLOW))
		broken("lookup gave a symlink without NOFOLLOW", p->s, 0);
	if (!VFS_ISDIR(vn->mode) && (flags & VFS_LOOKUP_DIRECTORY))
		broken("lookup gave a non-directory with DIRECTORY", p->s, 0);
	if (!VFS_ISDIR(vn->mode) && p->len && p->s[strnlen(p->s, VFS_PATH_MAX) - 1] == '/')
		broken("lookup gave a non-directory for a trailing slash", p->s, 0);
	if (VFS_ISDIR(vn->mode))
		check_dir_path(vn, VFS_PATH_MAX);
}

/* The object a name-changing op will see (its last component not followed), or NULL. */
static struct vnode *peek(struct vnode *dir, const struct path *p)
{
	struct vnode *vn;

	return vfs_lookup(dir, p->s, VFS_LOOKUP_NOFOLLOW, &vn) ? NULL : vn;
}

static void put_maybe(struct vnode *vn)
{
	if (vn)
		vnode_put(vn);
}

/* ---- Operations -------------------------------------------------------------------------- */

struct op {
	struct input *in;
	uint8_t ctx;			/* bits 0-1: the starting slot; the rest: flags */
	struct vnode *dir;
	struct path p, q;
};

static void op_lookup(struct op *o)
{
	unsigned flags = (o->ctx >> 2) & (VFS_LOOKUP_NOFOLLOW | VFS_LOOKUP_DIRECTORY);
	struct vnode *vn;
	int ret;

	cur_op = "lookup";
	read_path(o->in, &o->p);
	ret = vfs_lookup(o->dir, o->p.s, flags, &vn);
	check_result(ret, WALK_ERRS, o->p.s);
	if (ret)
		return;
	check_found(vn, flags, &o->p);
	vnode_put(vn);
}

/* Keeps a directory found as a starting point in slot 1-3. */
static void op_hold(struct op *o)
{
	int slot = 1 + (o->ctx >> 2) % (NSLOTS - 1);
	struct vnode *vn;
	int ret;

	cur_op = "hold";
	read_path(o->in, &o->p);
	ret = vfs_lookup(o->dir, o->p.s, VFS_LOOKUP_DIRECTORY, &vn);
	check_result(ret, WALK_ERRS, o->p.s);
	if (ret)
		return;
	check_found(vn, VFS_LOOKUP_DIRECTORY, &o->p);
	put_maybe(slots[slot]);
	slots[slot] = vn;
}

static unsigned open_flags(uint8_t b)
{
	static const unsigned acc[4] = { VFS_O_RDONLY, VFS_O_WRONLY, VFS_O_RDWR, VFS_O_PATH };
	unsigned f = acc[b & 3];

	if (b & 0x04)
		f |= VFS_O_CREAT;
	if (b & 0x08)
		f |= VFS_O_EXCL;
	if (b & 0x10)
		f |= VFS_O_DIRECTORY;
	if (b & 0x20)
		f |= VFS_O_NOFOLLOW;
	if (b & 0x40)
		f |= VFS_O_TRUNC;
	if (b & 0x80)
		f |= VFS_O_APPEND;
	return f;
}

static void check_opened(struct file *f, unsigned flags, const struct path *p)
{
	struct vnode *vn = f->vnode;

	if (flags & VFS_O_PATH)
		flags &= VFS_O_PATH | VFS_O_DIRECTORY | VFS_O_NOFOLLOW;	/* as open(2) */
	if (!vn)
		broken("open: a file without its vnode", p->s, 0);
	check_vnode(vn, p->s);
	if ((flags & VFS_O_DIRECTORY) && !VFS_ISDIR(vn->mode))
		broken("open: O_DIRECTORY gave a non-directory", p->s, 0);
	if (VFS_ISLNK(vn->mode) && !((flags & VFS_O_PATH) && (flags & VFS_O_NOFOLLOW)))
		broken("open: a symlink opened", p->s, 0);
	if ((flags & VFS_O_CREAT) && (flags & VFS_O_EXCL) && (!VFS_ISREG(vn->mode) || vn->nlink != 1))
		broken("open: O_CREAT|O_EXCL did not make a new file", p->s, 0);
	if (VFS_ISDIR(vn->mode) && (flags & VFS_O_ACCMODE) != VFS_O_RDONLY)
		broken("open: a directory opened for writing", p->s, 0);
	if (VFS_ISDIR(vn->mode))
		check_dir_path(vn, VFS_PATH_MAX);
}

static void op_open(struct op *o)
{
	unsigned flags = open_flags(next_byte(o->in));
	struct file *f;
	long ret;

	cur_op = "open";
	read_path(o->in, &o->p);
	f = vfs_open(o->dir, o->p.s, flags, 0644);
	ret = IS_ERR(f) ? PTR_ERR(f) : 0;
	check_result(ret, WALK_ERRS | E(EISDIR) | E(EEXIST) | E(EINVAL), o->p.s);
	if (ret)
		return;
	check_opened(f, flags, &o->p);
	file_put(f);
}

static void op_mkdir(struct op *o)
{
	struct vnode *vn;
	int ret;

	cur_op = "mkdir";
	read_path(o->in, &o->p);
	ret = vfs_mkdir(o->dir, o->p.s, 0755);
	check_result(ret, WALK_ERRS | E(EEXIST), o->p.s);
	if (ret || !relookup(o->dir, o->p.s, VFS_LOOKUP_NOFOLLOW, &vn))
		return;
	if (!VFS_ISDIR(vn->mode) || vn->nlink != 2)
		broken("mkdir: what is there is no new directory", o->p.s, 0);
	check_dir_path(vn, VFS_PATH_MAX);
	vnode_put(vn);
}

/* After a successful unlink or rename, victim (had `nlink` links) has lost a name. */
static void check_lost_name(struct vnode *victim, uint32_t nlink, const char *path)
{
	uint32_t want = VFS_ISDIR(victim->mode) ? 0 : nlink - 1;

	if (victim->nlink != want)
		broken("a removed or replaced object kept its link count", path,
		       (long)victim->nlink);
}

static void op_unlink(struct op *o)
{
	unsigned flags = (o->ctx & 0x04) ? VFS_AT_REMOVEDIR : 0;
	struct vnode *vn;
	uint32_t nlink;
	int ret;

	cur_op = "unlink";
	read_path(o->in, &o->p);
	vn = peek(o->dir, &o->p);
	nlink = vn ? vn->nlink : 0;
	ret = vfs_unlink(o->dir, o->p.s, flags);
	check_result(ret, WALK_ERRS | E(EISDIR) | E(ENOTEMPTY) | E(EINVAL) | E(EBUSY), o->p.s);
	if (!ret && !vn && !alloc_armed)
		broken("unlink removed what a lookup did not find", o->p.s, 0);
	if (!ret && vn)
		check_lost_name(vn, nlink, o->p.s);
	put_maybe(vn);
}

/* Rename's effects: the object keeps a name (and a directory its path), the victim loses one. */
static void check_renamed(struct vnode *old, struct vnode *victim, uint32_t victim_nlink,
			  unsigned flags, const struct path *p)
{
	if (old->nlink == 0)
		broken("rename: the object lost its name", p->s, 0);
	if (VFS_ISDIR(old->mode))
		check_dir_path(old, VFS_PATH_MAX);
	if (victim && VFS_ISDIR(victim->mode) && victim->nlink)
		check_dir_path(victim, VFS_PATH_MAX);
	if (victim && victim != old && !(flags & VFS_RENAME_EXCHANGE))
		check_lost_name(victim, victim_nlink, p->s);
}

static void op_rename(struct op *o)
{
	static const unsigned rflags[4] = { 0, VFS_RENAME_NOREPLACE, VFS_RENAME_EXCHANGE,
					    VFS_RENAME_NOREPLACE | VFS_RENAME_EXCHANGE };
	unsigned flags = rflags[(o->ctx >> 2) & 3];
	struct vnode *newdir = slots[(o->ctx >> 4) & 3], *old, *victim;
	uint32_t victim_nlink;
	int ret;

	cur_op = "rename";
	read_path(o->in, &o->p);
	read_path(o->in, &o->q);
	old = peek(o->dir, &o->p);
	victim = peek(newdir, &o->q);
	victim_nlink = victim ? victim->nlink : 0;
	ret = vfs_rename(o->dir, o->p.s, newdir, o->q.s, flags);
	check_result(ret, WALK_ERRS | E(EISDIR) | E(EEXIST) | E(ENOTEMPTY) | E(EINVAL) |
		     E(EBUSY) | E(EXDEV), o->p.s);
	if (!ret && !old && !alloc_armed)
		broken("rename moved what a lookup did not find", o->p.s, 0);
	if (!ret && old)
		check_renamed(old, victim, victim_nlink, flags, &o->q);
	put_maybe(old);
	put_maybe(victim);
}

static void op_symlink(struct op *o)
{
	static char buf[VFS_PATH_MAX];
	long n;
	int ret;

	cur_op = "symlink";
	read_path(o->in, &o->q);	/* the target */
	read_path(o->in, &o->p);
	ret = vfs_symlink(o->q.s, o->dir, o->p.s);
	check_result(ret, WALK_ERRS | E(EEXIST), o->p.s);
	if (ret)
		return;
	n = vfs_readlink(o->dir, o->p.s, buf, sizeof(buf));
	if (n == -ENOMEM && alloc_armed)
		return;
	if (n < 0 || (size_t)n != strlen(o->q.s) || memcmp(buf, o->q.s, (size_t)n))
		broken("symlink: readlink does not give the target back", o->p.s, n);
}

static void op_link(struct op *o)
{
	unsigned flags = (o->ctx & 0x04) ? VFS_AT_SYMLINK_FOLLOW : 0;
	struct vnode *newdir = slots[(o->ctx >> 4) & 3], *src, *vn;
	uint32_t nlink;
	int ret;

	cur_op = "link";
	read_path(o->in, &o->p);
	read_path(o->in, &o->q);
	if (vfs_lookup(o->dir, o->p.s, flags ? 0 : VFS_LOOKUP_NOFOLLOW, &src))
		src = NULL;
	nlink = src ? src->nlink : 0;
	ret = vfs_link(o->dir, o->p.s, newdir, o->q.s, flags);
	check_result(ret, WALK_ERRS | E(EEXIST) | E(EXDEV) | E(EPERM), o->q.s);
	if (!ret && !src && alloc_armed)
		return;
	if (!ret && (!src || src->nlink != nlink + 1))
		broken("link: the source did not gain a link", o->q.s, 0);
	if (!ret && relookup(newdir, o->q.s, VFS_LOOKUP_NOFOLLOW, &vn)) {
		if (vn != src)
			broken("link: the new name is another object", o->q.s, 0);
		vnode_put(vn);
	}
	put_maybe(src);
}

static void op_readlink(struct op *o)
{
	static const size_t sizes[4] = { 1, 7, 255, VFS_PATH_MAX };
	static char buf[VFS_PATH_MAX];
	size_t size = sizes[(o->ctx >> 2) & 3];
	long n;

	cur_op = "readlink";
	read_path(o->in, &o->p);
	n = vfs_readlink(o->dir, o->p.s, buf, size);
	check_result(n > 0 ? 0 : n, WALK_ERRS | E(EINVAL), o->p.s);
	if (n < 0)
		return;
	if (n == 0 || (size_t)n > size || memchr(buf, 0, (size_t)n))
		broken("readlink: a bad length or a NUL in a target", o->p.s, n);
}

static void op_getpath(struct op *o)
{
	static const size_t sizes[4] = { 1, 2, 16, VFS_PATH_MAX };

	cur_op = "getpath";
	check_dir_path(o->dir ? o->dir : fixed[0], sizes[(o->ctx >> 2) & 3]);
}

/* Makes the n-th allocation from now fail (n from 1 to 32), until the input ends. */
static void op_fail_alloc(struct op *o)
{
	vfs_fail_alloc_after(1 + (o->ctx >> 2) % 32);
	alloc_armed = true;
}

static void (*const ops[])(struct op *) = {
	op_lookup, op_open, op_mkdir, op_unlink, op_rename, op_symlink, op_link,
	op_readlink, op_hold, op_getpath, op_fail_alloc,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct op o;
	struct input in = { data, size };

	if (!fss[0])
		make_world();
	make_tree();
	for (int i = 0; i < MAX_OPS && in.n; i++) {
		uint8_t op = next_byte(&in);

		o.in = &in;
		o.ctx = next_byte(&in);
		o.dir = slots[o.ctx & 3];
		ops[op % (sizeof(ops) / sizeof(ops[0]))](&o);
	}
	teardown();
	return 0;
}
