/*
 * fs/ramfs.c: a writable in-memory filesystem: instances, vnodes and
 * directories (file contents are fs/ramfs_data.c).
 *
 * A directory keeps its entries in two red-black trees: by name, for
 * lookup in O(log n), and by cookie, for getdents. A cookie is a serial
 * number given to an entry when it is made and never changed or reused,
 * so a getdents position ("the next entry with a cookie >= p") stays
 * meaningful whatever is added or removed meanwhile: no entry that stays
 * is listed twice or skipped, and a listing always ends.
 *
 * Every entry holds a reference on its vnode, a directory one on its
 * parent; the VFS calls evict when the last goes. Namespace ops run under
 * the instance's ns_lock (the VFS takes it) and take a vnode's own lock
 * only to stamp its times.
 */
#include <lib/errno.h>
#include <lib/err.h>
#include <lib/string.h>

#include "internal.h"
#include "ramfs.h"

struct ramfs_entry {
	struct rb_node by_name;
	struct rb_node by_cookie;
	uint64_t cookie;
	struct vnode *vn;	/* referenced */
	size_t len;
	char name[];		/* NUL-terminated too, for readers' convenience */
};

struct name_key {
	const char *name;
	size_t len;
};

bool ramfs_charge(struct ramfs *fs, uint64_t bytes)
{
	uint64_t used = __atomic_add_fetch(&fs->stats.used_bytes, bytes, __ATOMIC_RELAXED);

	if (fs->max_bytes && used > fs->max_bytes) {
		ramfs_uncharge(fs, bytes);
		return false;
	}
	return true;
}

void ramfs_uncharge(struct ramfs *fs, uint64_t bytes)
{
	__atomic_sub_fetch(&fs->stats.used_bytes, bytes, __ATOMIC_RELAXED);
}

/* A charged allocation: NULL with *err -ENOSPC or -ENOMEM. */
static void *charged_alloc(struct ramfs *fs, size_t size, int *err)
{
	void *p;

	if (!ramfs_charge(fs, size)) {
		*err = -ENOSPC;
		return NULL;
	}
	p = fs_zalloc(size);
	if (!p) {
		ramfs_uncharge(fs, size);
		*err = -ENOMEM;
	}
	return p;
}

static void charged_free(struct ramfs *fs, void *p, size_t size)
{
	fs_free(p);
	ramfs_uncharge(fs, size);
}

static void touch(struct vnode *vn, unsigned which)
{
	mutex_lock(&vn->lock);
	vfs_touch(vn, which);
	mutex_unlock(&vn->lock);
}

/* ---- Entries ------------------------------------------------------------------------ */

static int cmp_name(const void *key, const struct rb_node *node)
{
	const struct name_key *k = key;
	const struct ramfs_entry *e = rb_entry(node, struct ramfs_entry, by_name);
	size_t n = k->len < e->len ? k->len : e->len;
	int c = memcmp(k->name, e->name, n);

	if (c)
		return c;
	return k->len < e->len ? -1 : k->len > e->len;
}

static int cmp_cookie(const void *key, const struct rb_node *node)
{
	uint64_t k = *(const uint64_t *)key;
	uint64_t c = rb_entry(node, struct ramfs_entry, by_cookie)->cookie;

	return k < c ? -1 : k > c;
}

static struct ramfs_entry *entry_find(struct vnode *dir, const char *name, size_t len)
{
	struct name_key k = { name, len };
	struct rb_node *n = rb_find(&rnode(dir)->dir.by_name, &k, cmp_name);

	return rb_entry_or_null(n, struct ramfs_entry, by_name);
}

static struct ramfs_entry *entry_new(struct ramfs *fs, const char *name, size_t len, int *err)
{
	struct ramfs_entry *e = charged_alloc(fs, sizeof(*e) + len + 1, err);

	if (e) {
		memcpy(e->name, name, len);
		e->len = len;
	}
	return e;
}

static void entry_free(struct ramfs *fs, struct ramfs_entry *e)
{
	charged_free(fs, e, sizeof(*e) + e->len + 1);
}

/* Links e (naming vn, whose reference it takes) into dir with a new cookie. */
static void entry_insert(struct vnode *dir, struct ramfs_entry *e, struct vnode *vn)
{
	struct ramfs_dir *d = &rnode(dir)->dir;
	struct name_key k = { e->name, e->len };

	e->vn = vn;
	e->cookie = d->next_cookie++;
	rb_insert(&d->by_name, &e->by_name, &k, cmp_name);
	rb_insert(&d->by_cookie, &e->by_cookie, &e->cookie, cmp_cookie);
	if (VFS_ISDIR(vn->mode)) {
		vn->name = e->name;
		vn->name_len = e->len;
	}
}

static void entry_remove(struct vnode *dir, struct ramfs_entry *e)
{
	rb_erase(&rnode(dir)->dir.by_name, &e->by_name);
	rb_erase(&rnode(dir)->dir.by_cookie, &e->by_cookie);
}

/* ---- Vnodes ----------------------------------------------------------------------------- */

static const struct vfs_fs_ops ramfs_ops;

static void dir_init(struct ramfs_node *n)
{
	rb_init(&n->dir.by_name);
	rb_init(&n->dir.by_cookie);
	n->dir.next_cookie = 2;
}

static struct ramfs_node *node_new(struct ramfs *fs, uint32_t mode, const char *target,
				   int *err)
{
	size_t tlen = target ? strlen(target) : 0;
	struct ramfs_node *n = charged_alloc(fs, sizeof(*n), err);

	if (!n)
		return NULL;
	vnode_init(&n->vn, &fs->fs, mode);
	if (VFS_ISLNK(mode)) {
		n->link.target = charged_alloc(fs, tlen + 1, err);
		if (!n->link.target) {
			charged_free(fs, n, sizeof(*n));
			return NULL;
		}
		memcpy(n->link.target, target, tlen);
		n->link.len = tlen;
		n->vn.size = tlen;
	}
	if (VFS_ISDIR(mode)) {
		dir_init(n);
		n->vn.nlink = 2;
	}
	n->vn.ino = fs->fs.next_ino++;	/* ns_lock held */
	return n;
}

static void ramfs_evict(struct vnode *vn)
{
	struct ramfs *fs = ramfs_of(vn);
	struct ramfs_node *n = rnode(vn);
	struct vnode *parent = vn->parent;

	if (VFS_ISREG(vn->mode))
		ramfs_data_free(fs, &n->data);
	else if (VFS_ISLNK(vn->mode))
		charged_free(fs, n->link.target, n->link.len + 1);
	charged_free(fs, n, sizeof(*n));
	if (parent && parent != vn)
		vnode_put(parent);
}

/* ---- Namespace ops (ns_lock held) ----------------------------------------------------------- */

static struct vnode *ramfs_lookup(struct vnode *dir, const char *name, size_t len)
{
	struct ramfs_entry *e = entry_find(dir, name, len);

	if (!e)
		return NULL;
	vnode_get(e->vn);
	return e->vn;
}

static struct vnode *ramfs_op_create(struct vnode *dir, const char *name, size_t len,
				  uint32_t mode, const char *target)
{
	struct ramfs *fs = ramfs_of(dir);
	struct ramfs_entry *e;
	struct ramfs_node *n;
	int err = 0;

	e = entry_new(fs, name, len, &err);
	if (!e)
		return ERR_PTR(err);
	n = node_new(fs, mode, target, &err);
	if (!n) {
		entry_free(fs, e);
		return ERR_PTR(err);
	}
	if (VFS_ISDIR(mode)) {
		vnode_get(dir);
		n->vn.parent = dir;
		dir->nlink++;
	}
	entry_insert(dir, e, &n->vn);	/* the entry keeps vnode_init's reference */
	touch(dir, VFS_TOUCH_M | VFS_TOUCH_C);
	vnode_get(&n->vn);
	return &n->vn;
}

static int ramfs_link(struct vnode *dir, const char *name, size_t len, struct vnode *vn)
{
	struct ramfs_entry *e;
	int err = 0;

	e = entry_new(ramfs_of(dir), name, len, &err);
	if (!e)
		return err;
	vnode_get(vn);
	vn->nlink++;
	entry_insert(dir, e, vn);
	touch(vn, VFS_TOUCH_C);
	touch(dir, VFS_TOUCH_M | VFS_TOUCH_C);
	return 0;
}

/* Takes e's vnode out of the tree: link counts, times, its reference. e is freed. */
static void entry_drop(struct vnode *dir, struct ramfs_entry *e)
{
	struct vnode *vn = e->vn;

	entry_remove(dir, e);
	if (VFS_ISDIR(vn->mode)) {
		vn->nlink = 0;
		vn->name = NULL;
		vn->name_len = 0;
		dir->nlink--;
	} else {
		vn->nlink--;
	}
	entry_free(ramfs_of(dir), e);
	touch(vn, VFS_TOUCH_C);
	vnode_put(vn);		/* the caller holds another: never the last here */
}

static int ramfs_unlink(struct vnode *dir, const char *name, size_t len, struct vnode *vn)
{
	struct ramfs_entry *e = entry_find(dir, name, len);

	if (!e || e->vn != vn)
		return -ENOENT;
	entry_drop(dir, e);
	touch(dir, VFS_TOUCH_M | VFS_TOUCH_C);
	return 0;
}

/* A directory vn moves from olddir to newdir: parent link and link counts. */
static void reparent(struct vnode *vn, struct vnode *olddir, struct vnode *newdir)
{
	if (!VFS_ISDIR(vn->mode) || olddir == newdir)
		return;
	vnode_get(newdir);
	vn->parent = newdir;
	newdir->nlink++;
	olddir->nlink--;
	vnode_put(olddir);	/* olddir is held by the caller's walk */
}

static int rename_exchange(struct ramfs_entry *eo, struct vnode *olddir,
			   struct ramfs_entry *en, struct vnode *newdir)
{
	struct vnode *a = eo->vn, *b = en->vn;

	eo->vn = b;
	en->vn = a;
	reparent(a, olddir, newdir);
	reparent(b, newdir, olddir);
	if (VFS_ISDIR(a->mode)) {
		a->name = en->name;
		a->name_len = en->len;
	}
	if (VFS_ISDIR(b->mode)) {
		b->name = eo->name;
		b->name_len = eo->len;
	}
	return 0;
}

static int rename_move(struct ramfs_entry *eo, struct vnode *olddir, struct vnode *newdir,
		       const char *newname, size_t newlen, struct vnode *victim)
{
	struct vnode *vn = eo->vn;
	struct ramfs_entry *e;
	int err = 0;

	e = entry_new(ramfs_of(vn), newname, newlen, &err);	/* before any change */
	if (!e)
		return err;
	if (victim)
		entry_drop(newdir, entry_find(newdir, newname, newlen));
	entry_remove(olddir, eo);
	entry_free(ramfs_of(vn), eo);
	reparent(vn, olddir, newdir);
	entry_insert(newdir, e, vn);	/* the reference moves from eo to e */
	return 0;
}

static int ramfs_rename(struct vnode *olddir, const char *oldname, size_t oldlen,
			struct vnode *vn, struct vnode *newdir, const char *newname,
			size_t newlen, struct vnode *victim, unsigned flags)
{
	struct ramfs_entry *eo = entry_find(olddir, oldname, oldlen);
	int ret;

	if (!eo || eo->vn != vn)
		return -ENOENT;
	if (flags & VFS_RENAME_EXCHANGE)
		ret = rename_exchange(eo, olddir, entry_find(newdir, newname, newlen), newdir);
	else
		ret = rename_move(eo, olddir, newdir, newname, newlen, victim);
	if (ret)
		return ret;
	touch(vn, VFS_TOUCH_C);
	if (victim && (flags & VFS_RENAME_EXCHANGE))
		touch(victim, VFS_TOUCH_C);
	touch(olddir, VFS_TOUCH_M | VFS_TOUCH_C);
	if (newdir != olddir)
		touch(newdir, VFS_TOUCH_M | VFS_TOUCH_C);
	return 0;
}

static bool ramfs_dir_empty(struct vnode *dir)
{
	return rb_empty(&rnode(dir)->dir.by_name);
}

static int ramfs_readdir(struct vnode *dir, uint64_t *pos, vfs_filldir_fn *fill, void *ctx)
{
	struct rb_node *n = rb_lower_bound(&rnode(dir)->dir.by_cookie, pos, cmp_cookie);

	for (; n; n = rb_next(n)) {
		struct ramfs_entry *e = rb_entry(n, struct ramfs_entry, by_cookie);

		if (!fill(ctx, e->name, e->len, e->vn->ino, vnode_dtype(e->vn->mode),
			  e->cookie + 1))
			break;
		*pos = e->cookie + 1;
	}
	return 0;
}

static long ramfs_readlink(struct vnode *vn, char *buf, size_t len)
{
	struct ramfs_node *n = rnode(vn);
	size_t copy = n->link.len < len ? n->link.len : len;

	memcpy(buf, n->link.target, copy);
	return (long)copy;
}

static const struct vfs_fs_ops ramfs_ops = {
	.lookup = ramfs_lookup, .create = ramfs_op_create, .link = ramfs_link,
	.unlink = ramfs_unlink, .rename = ramfs_rename, .dir_empty = ramfs_dir_empty,
	.readdir = ramfs_readdir, .read = ramfs_read, .write = ramfs_write,
	.truncate = ramfs_truncate, .seek_data = ramfs_seek_data, .readlink = ramfs_readlink,
	.map_page = ramfs_map_page, .give_page = ramfs_give_page,
	.evict = ramfs_evict,
};

/* ---- Instances ------------------------------------------------------------------------------ */

struct vfs_fs *ramfs_create(uint64_t max_bytes)
{
	struct ramfs *fs = fs_zalloc(sizeof(*fs));
	struct ramfs_node *root;
	int err = 0;

	if (!fs)
		return ERR_PTR(-ENOMEM);
	vfs_fs_init(&fs->fs, &ramfs_ops, 0);
	fs->max_bytes = max_bytes;
	root = node_new(fs, VFS_S_IFDIR | 0755, NULL, &err);
	if (!root) {
		fs_free(fs);
		return ERR_PTR(err);
	}
	root->vn.parent = &root->vn;	/* no reference on itself */
	root->vn.name = "";
	fs->fs.root = &root->vn;
	return &fs->fs;
}

void ramfs_get_stats(struct vfs_fs *fs, struct ramfs_stats *out)
{
	struct ramfs_stats *s = &((struct ramfs *)fs)->stats;

	out->used_bytes = __atomic_load_n(&s->used_bytes, __ATOMIC_RELAXED);
	out->blocks = __atomic_load_n(&s->blocks, __ATOMIC_RELAXED);
	out->index_nodes = __atomic_load_n(&s->index_nodes, __ATOMIC_RELAXED);
	out->block_allocs = __atomic_load_n(&s->block_allocs, __ATOMIC_RELAXED);
	out->bytes_copied = __atomic_load_n(&s->bytes_copied, __ATOMIC_RELAXED);
}
