/*
 * fs/namei.c: path resolution.
 *
 * A walk keeps one referenced vnode, the directory it stands in, and a
 * stack of path texts: the caller's path at the bottom, and one frame per
 * symlink being expanded above it. Each step takes the next component from
 * the top frame (popping frames that are used up); a symlink pushes its
 * target as a new frame, so "a/link/b" reads link's target and then
 * carries on with "b" in the frame below. Nothing is ever concatenated, so
 * the only limit is Linux's: 40 symlinks per resolution (the stack can
 * never be deeper than that).
 *
 * A component is the last one when every frame is used up. A trailing
 * slash left in any frame at that point (the path's own, or a symlink
 * target's) makes the result "must be a directory" and forces a symlink
 * in the last component to be followed, as in Linux.
 *
 * A magic link (its filesystem has follow_link: /proc/self/fd/N) pushes
 * no text: the walk simply stands on the object it names, and when that
 * was the last component the result is that object (reported as
 * LAST_ROOT: there is no name in a directory to create or remove).
 *
 * Locking: each lookup takes the filesystem's ns_lock for just that step,
 * and returns a referenced child, so the walk never holds two ns_locks and
 * never holds one between steps.
 */
#include <lib/err.h>
#include <lib/errno.h>
#include <lib/string.h>

#include "internal.h"

struct frame {
	char *buf;		/* the symlink target (owned), NULL for the caller's path */
	const char *p;		/* the next component, leading slashes skipped */
	bool tslash;		/* this frame ended with a slash after its last component */
};

struct walker {
	struct frame st[VFS_SYMLOOP_MAX + 1];
	int top;		/* index of the top frame */
	int links;		/* symlinks followed */
	struct vnode *cur;	/* referenced */
};

static const char *skip_slashes(const char *p)
{
	while (*p == '/')
		p++;
	return p;
}

/* The next component of f: start and length; advances f past it and its slashes. */
static size_t next_component(struct frame *f, const char **name)
{
	const char *c = f->p, *q;
	size_t len = 0;

	while (c[len] && c[len] != '/')
		len++;
	q = skip_slashes(c + len);
	f->tslash = q != c + len && !*q;
	f->p = q;
	*name = c;
	return len;
}

static bool all_used_up(const struct walker *wk)
{
	for (int i = 0; i <= wk->top; i++)
		if (*wk->st[i].p)
			return false;
	return true;
}

static bool any_trailing_slash(const struct walker *wk)
{
	for (int i = 0; i <= wk->top; i++)
		if (wk->st[i].tslash)
			return true;
	return false;
}

static void walker_release(struct walker *wk)
{
	for (int i = 1; i <= wk->top; i++)
		fs_free(wk->st[i].buf);
	wk->top = 0;
	if (wk->cur)
		vnode_put(wk->cur);
	wk->cur = NULL;
}

/* Replaces cur by the root (absolute path or symlink target). */
static void walker_to_root(struct walker *wk)
{
	struct vnode *root = vfs_root();

	vnode_put(wk->cur);
	wk->cur = root;
}

/* ".." from cur: the parent, across mounts; the root stays itself. */
static struct vnode *dotdot(struct vnode *cur)
{
	struct vnode *p;

	vnode_get(cur);
	while (vnode_is_fs_root(cur)) {
		struct vnode *covered = mount_covered(cur);

		if (!covered)
			return cur;	/* the root of everything */
		vnode_put(cur);
		cur = covered;
	}
	mutex_lock(&cur->fs->ns_lock);
	p = cur->parent;
	vnode_get(p);
	mutex_unlock(&cur->fs->ns_lock);
	vnode_put(cur);
	return p;
}

/* The child of directory dir named (name, len), referenced and mount-crossed, or NULL. */
static struct vnode *lookup_child(struct vnode *dir, const char *name, size_t len)
{
	struct vnode *child;

	mutex_lock(&dir->fs->ns_lock);
	child = dir->fs->ops->lookup(dir, name, len);
	mutex_unlock(&dir->fs->ns_lock);
	if (child && VFS_ISDIR(child->mode))
		child = mount_cross(child);
	return child;
}

/* A magic link's object `to` (referenced, or an ERR_PTR): the walk goes on there. */
static int jump_to(struct walker *wk, struct vnode *to)
{
	if (IS_ERR(to))
		return (int)PTR_ERR(to);
	if (VFS_ISDIR(to->mode))
		to = mount_cross(to);
	vnode_put(wk->cur);
	wk->cur = to;
	return 0;
}

/* Pushes the target of symlink link (consumed) as a new frame. */
static int push_symlink(struct walker *wk, struct vnode *link)
{
	char *buf;
	long n;

	if (++wk->links > VFS_SYMLOOP_MAX) {
		vnode_put(link);
		return -ELOOP;
	}
	if (link->fs->ops->follow_link) {
		struct vnode *to = link->fs->ops->follow_link(link);

		if (to) {
			vnode_put(link);
			return jump_to(wk, to);
		}
	}
	buf = fs_alloc(VFS_PATH_MAX);
	if (!buf) {
		vnode_put(link);
		return -ENOMEM;
	}
	n = vfs_readlink_vnode(link, buf, VFS_PATH_MAX - 1);
	vnode_put(link);
	if (n <= 0) {
		fs_free(buf);
		return n < 0 ? (int)n : -ENOENT;
	}
	buf[n] = 0;
	wk->top++;
	wk->st[wk->top] = (struct frame){ .buf = buf, .p = skip_slashes(buf) };
	if (buf[0] == '/')
		walker_to_root(wk);
	return 0;
}

static void finish(struct walker *wk, struct walk *w, struct vnode *vn, enum walk_last last,
		   const char *name, size_t len)
{
	w->dir = wk->cur;
	wk->cur = NULL;
	w->vn = vn;
	w->last = last;
	w->slash = any_trailing_slash(wk);
	memcpy(w->name, name, len);
	w->name[len] = 0;
	w->len = len;
}

/* Whether a symlink in the last component is followed. */
static bool follow_last(const struct walker *wk, unsigned flags)
{
	if (flags & WALK_PARENT)
		return false;
	return !(flags & VFS_LOOKUP_NOFOLLOW) || any_trailing_slash(wk);
}

/*
 * One component (name, len) from cur. Returns 1 when the walk is done
 * (w filled), 0 to go on, or -errno.
 */
static int step(struct walker *wk, const char *name, size_t len, unsigned flags,
		struct walk *w)
{
	bool last = all_used_up(wk);
	struct vnode *child;

	if (len > VFS_NAME_MAX)
		return -ENAMETOOLONG;
	if (!VFS_ISDIR(wk->cur->mode))
		return -ENOTDIR;
	if (len == 1 && name[0] == '.') {
		if (last) {
			vnode_get(wk->cur);
			finish(wk, w, wk->cur, LAST_DOT, name, len);
		}
		return last;
	}
	if (len == 2 && name[0] == '.' && name[1] == '.') {
		child = dotdot(wk->cur);
		if (last) {
			finish(wk, w, child, LAST_DOTDOT, name, len);
			return 1;
		}
		vnode_put(wk->cur);
		wk->cur = child;
		return 0;
	}
	if (last && (flags & WALK_CREATE) && any_trailing_slash(wk))
		return -EISDIR;
	child = lookup_child(wk->cur, name, len);
	if (!child) {
		if (!last)
			return -ENOENT;
		finish(wk, w, NULL, LAST_NORM, name, len);
		return 1;
	}
	if (VFS_ISLNK(child->mode) && (!last || follow_last(wk, flags)))
		return push_symlink(wk, child);
	if (last) {
		finish(wk, w, child, LAST_NORM, name, len);
		return 1;
	}
	vnode_put(wk->cur);
	wk->cur = child;
	return 0;
}

int walk_path(struct vnode *dir, const char *path, unsigned flags, struct walk *w)
{
	size_t plen = strnlen(path, VFS_PATH_MAX);
	struct walker wk = { .top = 0 };
	int ret = 0;

	if (plen == VFS_PATH_MAX)
		return -ENAMETOOLONG;
	if (plen == 0)
		return -ENOENT;
	if (path[0] == '/' || !dir) {
		wk.cur = vfs_root();
	} else {
		wk.cur = dir;
		vnode_get(dir);
	}
	if (!wk.cur)
		return -ENOENT;
	wk.st[0] = (struct frame){ .p = skip_slashes(path) };
	while (ret == 0) {
		const char *name;
		size_t len;

		while (wk.top > 0 && !*wk.st[wk.top].p && !all_used_up(&wk)) {
			fs_free(wk.st[wk.top].buf);
			wk.top--;
		}
		if (all_used_up(&wk)) {
			/* No component left at all: "/" itself, or a link to "/". */
			vnode_get(wk.cur);
			finish(&wk, w, wk.cur, LAST_ROOT, "", 0);
			ret = 1;
			break;
		}
		len = next_component(&wk.st[wk.top], &name);
		ret = step(&wk, name, len, flags, w);
	}
	walker_release(&wk);
	return ret < 0 ? ret : 0;
}

void walk_done(struct walk *w)
{
	if (w->vn)
		vnode_put(w->vn);
	if (w->dir)
		vnode_put(w->dir);
	w->vn = w->dir = NULL;
}

int vfs_lookup(struct vnode *dir, const char *path, unsigned flags, struct vnode **out)
{
	struct walk w;
	int ret = walk_path(dir, path, flags, &w);

	if (ret)
		return ret;
	if (!w.vn)
		ret = -ENOENT;
	else if ((w.slash || (flags & VFS_LOOKUP_DIRECTORY)) && !VFS_ISDIR(w.vn->mode))
		ret = -ENOTDIR;
	if (!ret) {
		*out = w.vn;
		w.vn = NULL;
	}
	walk_done(&w);
	return ret;
}
