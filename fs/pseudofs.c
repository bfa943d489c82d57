/*
 * fs/pseudofs.c: the engine under devfs, procfs and sysfs
 * (include/mote/pseudofs.h tells what an entry can be).
 *
 * Vnodes. Every directory gets its vnode when the instance is made and
 * keeps it (the parent's list of subdirectories holds the reference), so a
 * directory is one object for as long as the kernel runs and can carry a
 * mount (/dev/shm). Everything else gets a new vnode at each lookup,
 * freed with its last reference: a file that nobody has open costs
 * nothing. Inode numbers come from the entry's address and number, so two
 * lookups of one name agree.
 *
 * Files. A regular file is generated when it is opened, into a buffer the
 * open file keeps: reads are served from that snapshot (any offset, any
 * size, lseek anywhere), so a reader that reads a few bytes at a time sees
 * one consistent text, as Linux's seq_file gives for small files.
 *
 * Nothing here changes after the instance is made, so the namespace ops
 * need no lock of their own (they run under ns_lock anyway); the
 * namespace changes are left NULL, which the VFS answers with -EROFS.
 */
#include <lib/err.h>
#include <lib/errno.h>
#include <lib/fmt.h>
#include <lib/string.h>
#include <mote/pseudofs.h>
#include <stdarg.h>

#include "internal.h"

struct pnode {
	struct vnode vn;
	const struct pseudo_entry *e;
	long arg;			/* the number of a numbered entry */
	struct pnode *subdirs;		/* directories: the fixed child directories ... */
	struct pnode *next_sibling;	/* ... linked through this (no array to allocate) */
	struct file *wrapped;		/* pseudofs_file_vnode: the file it stands for */
	char *num_name;			/* a numbered directory's name (allocated) */
};

static struct pnode *pnode_of(struct vnode *vn)
{
	return (struct pnode *)vn;
}

/* ---- Output buffers ----------------------------------------------------------------- */

static bool buf_reserve(struct pseudo_buf *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 256;
	char *data;

	if (b->failed)
		return false;
	if (b->len + more <= b->cap)
		return true;
	while (cap < b->len + more)
		cap *= 2;
	data = fs_alloc(cap);
	if (!data) {
		b->failed = true;
		return false;
	}
	if (b->len)
		memcpy(data, b->data, b->len);
	fs_free(b->data);
	b->data = data;
	b->cap = cap;
	return true;
}

void pseudo_write(struct pseudo_buf *b, const void *data, size_t len)
{
	if (!buf_reserve(b, len))
		return;
	memcpy(b->data + b->len, data, len);
	b->len += len;
}

static void buf_sink(void *ctx, const char *s, size_t n)
{
	pseudo_write(ctx, s, n);
}

void pseudo_printf(struct pseudo_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fmt_vformat(buf_sink, b, fmt, ap);
	va_end(ap);
}

static void buf_free(struct pseudo_buf *b)
{
	fs_free(b->data);
	*b = (struct pseudo_buf){ 0 };
}

/* ---- Vnodes ---------------------------------------------------------------------------- */

static const struct vfs_fs_ops pseudofs_ops;

static uint64_t entry_ino(const struct pseudo_entry *e, long arg)
{
	return ((uint64_t)(uintptr_t)e & 0xffffffffu) + ((uint64_t)arg << 32);
}

static struct pnode *pnode_new(struct vfs_fs *fs, const struct pseudo_entry *e, long arg)
{
	struct pnode *pn = fs_alloc(sizeof(*pn));

	if (!pn)
		return NULL;
	vnode_init(&pn->vn, fs, e->mode);
	pn->vn.ino = entry_ino(e, arg);
	pn->vn.rdev = VFS_ISCHR(e->mode) ? e->rdev : 0;
	pn->e = e;
	pn->arg = arg;
	pn->subdirs = NULL;
	pn->next_sibling = NULL;
	pn->wrapped = NULL;
	pn->num_name = NULL;
	return pn;
}

static size_t count_entries(const struct pseudo_entry *t)
{
	size_t n = 0;

	while (t && t[n].name)
		n++;
	return n;
}

/* Makes the vnodes of every directory below pn (pn's entry is a directory). */
static int make_subdirs(struct pnode *pn)
{
	const struct pseudo_entry *t = pn->e->children;

	for (size_t i = 0; t && t[i].name; i++) {
		struct pnode *sub;
		int ret;

		if (!VFS_ISDIR(t[i].mode))
			continue;
		sub = pnode_new(pn->vn.fs, &t[i], pn->arg);
		if (!sub)
			return -ENOMEM;
		sub->vn.parent = &pn->vn;
		vnode_get(&pn->vn);
		sub->vn.name = t[i].name;
		sub->vn.name_len = strlen(t[i].name);
		sub->vn.nlink = 2;
		sub->next_sibling = pn->subdirs;
		pn->subdirs = sub;
		pn->vn.nlink++;
		if ((ret = make_subdirs(sub)))
			return ret;
	}
	return 0;
}

/* Drops the directory vnodes below pn (an instance that could not be made). */
static void drop_subdirs(struct pnode *pn)
{
	while (pn->subdirs) {
		struct pnode *sub = pn->subdirs;

		pn->subdirs = sub->next_sibling;
		drop_subdirs(sub);
		vnode_put(&sub->vn);
	}
}

/* The vnode of fixed child directory e of pn, or NULL if e is not a directory. */
static struct vnode *subdir(struct pnode *pn, const struct pseudo_entry *e)
{
	for (struct pnode *sub = pn->subdirs; sub; sub = sub->next_sibling)
		if (sub->e == e)
			return &sub->vn;
	return NULL;
}

/* An instance's own: its root entry, and what creating a name in it answers. */
struct instance {
	struct pseudo_entry root;
	int create_errno;
};

struct vfs_fs *pseudofs_create(const struct pseudo_entry *children, int create_errno)
{
	struct vfs_fs *fs = fs_zalloc(sizeof(*fs));
	struct instance *in = fs_zalloc(sizeof(*in));
	struct pseudo_entry *root_entry = in ? &in->root : NULL;
	struct pnode *root;

	if (!fs || !in)
		goto fail;
	vfs_fs_init(fs, &pseudofs_ops, 0);
	*root_entry = (struct pseudo_entry){ .name = "", .mode = VFS_S_IFDIR | 0555, .children = children };
	in->create_errno = create_errno;
	fs->priv = in;
	root = pnode_new(fs, root_entry, 0);
	if (!root)
		goto fail;
	root->vn.ino = 1;
	root->vn.nlink = 2;
	root->vn.parent = &root->vn;	/* the root points at itself (no reference) */
	fs->root = &root->vn;
	if (make_subdirs(root)) {
		drop_subdirs(root);
		fs_free(root);
		goto fail;
	}
	return fs;
fail:
	fs_free(in);
	fs_free(fs);
	return ERR_PTR(-ENOMEM);
}

struct vnode *pseudofs_file_vnode(struct vfs_fs *fs, struct file *f)
{
	static const struct pseudo_entry wrapper = { .name = "", .mode = VFS_S_IFREG | 0600 };
	struct pnode *pn = pnode_new(fs, &wrapper, 0);
	struct kstat st;

	if (!pn)
		return ERR_PTR(-ENOMEM);
	if (f->ops->stat && f->ops->stat(f, &st) == 0) {
		pn->vn.mode = st.mode;
		pn->vn.ino = st.ino;
		pn->vn.rdev = st.rdev;
	}
	file_get(f);
	pn->wrapped = f;
	return &pn->vn;
}

static void pseudofs_evict(struct vnode *vn)
{
	struct pnode *pn = pnode_of(vn);

	if (pn->wrapped)
		file_put(pn->wrapped);
	if (vn->parent && vn->parent != vn)
		vnode_put(vn->parent);
	fs_free(pn->num_name);
	fs_free(pn);
}

/* ---- Names ------------------------------------------------------------------------------ */

/* A decimal number without sign or leading zeros; -1 if name is not one. */
static long parse_number(const char *name, size_t len)
{
	long n = 0;

	if (!len || len > 9 || (name[0] == '0' && len > 1))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (name[i] < '0' || name[i] > '9')
			return -1;
		n = n * 10 + (name[i] - '0');
	}
	return n;
}

/* The length of prefix followed by a number in name, or 0. */
static size_t prefix_len(const char *prefix, const char *name, size_t len)
{
	size_t n;

	if (!prefix)
		return 0;
	n = strlen(prefix);
	return n <= len && memcmp(prefix, name, n) == 0 ? n : 0;
}

/* A vnode for an entry that is not a fixed directory (a numbered one may be a directory). */
static struct vnode *leaf(struct vnode *dir, const struct pseudo_entry *e, long arg)
{
	struct pnode *pn = pnode_new(dir->fs, e, arg);

	if (!pn)
		return NULL;
	if (VFS_ISDIR(e->mode)) {
		const char *prefix = e->name;
		int len = fmt_snprintf(NULL, 0, "%s%ld", prefix, arg);

		if (!(pn->num_name = fs_alloc((size_t)len + 1))) {
			fs_free(pn);
			return NULL;
		}
		fmt_snprintf(pn->num_name, (size_t)len + 1, "%s%ld", prefix, arg);
		pn->vn.nlink = 2;
		pn->vn.name = pn->num_name;
		pn->vn.name_len = (size_t)len;
		pn->vn.parent = dir;
		vnode_get(dir);
	}
	return &pn->vn;
}

static struct vnode *lookup_numbered(struct vnode *dir, const char *name, size_t len)
{
	const struct pseudo_entry *e = pnode_of(dir)->e;
	size_t skip = prefix_len(e->each->name, name, len);
	long n;

	if (e->each->name[0] && !skip)
		return NULL;
	n = parse_number(name + skip, len - skip);
	if (n < 0 || e->next(n) != n)
		return NULL;
	return leaf(dir, e->each, n);
}

/* Fixed entries first, then numbered ones. */
static struct vnode *pseudofs_lookup(struct vnode *dir, const char *name, size_t len)
{
	struct pnode *pn = pnode_of(dir);
	const struct pseudo_entry *t = pn->e->children;

	for (size_t i = 0; t && t[i].name; i++) {
		if (strlen(t[i].name) != len || memcmp(t[i].name, name, len))
			continue;
		struct vnode *sub = subdir(pn, &t[i]);

		if (sub) {
			vnode_get(sub);
			return sub;
		}
		return leaf(dir, &t[i], pn->arg);
	}
	return pn->e->each ? lookup_numbered(dir, name, len) : NULL;
}

static unsigned entry_dtype(uint32_t mode)
{
	return (mode & VFS_S_IFMT) >> 12;
}

static int readdir_numbered(struct pnode *pn, uint64_t base, uint64_t *pos, vfs_filldir_fn *fill,
			    void *ctx)
{
	const struct pseudo_entry *e = pn->e;
	char name[32];

	for (long n = e->next((long)(*pos - base)); n >= 0; n = e->next(n + 1)) {
		int len = fmt_snprintf(name, sizeof(name), "%s%ld", e->each->name, n);

		if (!fill(ctx, name, (size_t)len, entry_ino(e->each, n), entry_dtype(e->each->mode),
			  base + (uint64_t)n + 1))
			break;
		*pos = base + (uint64_t)n + 1;
	}
	return 0;
}

/*
 * Positions: 2 + i for fixed entry i, then base + n for number n (base:
 * 2 + the number of fixed entries).
 */
static int pseudofs_readdir(struct vnode *dir, uint64_t *pos, vfs_filldir_fn *fill, void *ctx)
{
	struct pnode *pn = pnode_of(dir);
	const struct pseudo_entry *t = pn->e->children;
	size_t nfixed = count_entries(t);

	for (size_t i = *pos - 2; i < nfixed; i++) {
		struct vnode *sub = subdir(pn, &t[i]);
		uint64_t ino = sub ? sub->ino : entry_ino(&t[i], pn->arg);

		if (!fill(ctx, t[i].name, strlen(t[i].name), ino, entry_dtype(t[i].mode), i + 3))
			return 0;
		*pos = i + 3;
	}
	if (pn->e->each)
		return readdir_numbered(pn, 2 + nfixed, pos, fill, ctx);
	return 0;
}

/* ---- Symlinks --------------------------------------------------------------------------- */

static long pseudofs_readlink(struct vnode *vn, char *buf, size_t len)
{
	struct pnode *pn = pnode_of(vn);
	struct pseudo_buf b = { 0 };
	long n;
	int ret;

	if (pn->e->target) {
		n = (long)strlen(pn->e->target);
		memcpy(buf, pn->e->target, (size_t)n < len ? (size_t)n : len);
		return (size_t)n < len ? n : (long)len;
	}
	if (!pn->e->link)
		return -EINVAL;
	ret = pn->e->link(&b, pn->arg);
	if (!ret && b.failed)
		ret = -ENOMEM;
	n = ret ? ret : (long)(b.len < len ? b.len : len);
	if (n > 0)
		memcpy(buf, b.data, (size_t)n);
	buf_free(&b);
	return n;
}

static struct vnode *pseudofs_follow_link(struct vnode *link)
{
	struct pnode *pn = pnode_of(link);

	return pn->e->follow ? pn->e->follow(pn->arg) : NULL;
}

/* ---- Generated files --------------------------------------------------------------------- */

struct snapshot {
	struct pseudo_buf text;
	int write_errno;
};

static long snap_read_at(struct file *f, void *buf, size_t len, uint64_t off)
{
	struct snapshot *s = f->priv;

	if ((f->flags & FILE_ACCMODE) == VFS_O_WRONLY)
		return -EBADF;
	if (off >= s->text.len)
		return 0;
	if (len > s->text.len - off)
		len = s->text.len - off;
	memcpy(buf, s->text.data + off, len);
	return (long)len;
}

static long snap_read(struct file *f, void *buf, size_t len)
{
	long n;

	mutex_lock(&f->pos_lock);
	n = snap_read_at(f, buf, len, f->pos);
	if (n > 0)
		f->pos += (uint64_t)n;
	mutex_unlock(&f->pos_lock);
	return n;
}

static long snap_write(struct file *f, const void *buf, size_t len)
{
	struct snapshot *s = f->priv;

	(void)buf;
	(void)len;
	if ((f->flags & FILE_ACCMODE) == VFS_O_RDONLY)
		return -EBADF;
	return -s->write_errno;
}

static long snap_pwrite(struct file *f, const void *buf, size_t len, uint64_t off)
{
	(void)off;
	return snap_write(f, buf, len);
}

static int64_t snap_lseek(struct file *f, int64_t off, int whence)
{
	struct snapshot *s = f->priv;
	int64_t base, pos;

	mutex_lock(&f->pos_lock);
	base = whence == VFS_SEEK_SET ? 0 : whence == VFS_SEEK_CUR ? (int64_t)f->pos :
	       whence == VFS_SEEK_END ? (int64_t)s->text.len : -1;
	if (base < 0 || __builtin_add_overflow(base, off, &pos) || pos < 0)
		pos = -EINVAL;
	else
		f->pos = (uint64_t)pos;
	mutex_unlock(&f->pos_lock);
	return pos;
}

static unsigned snap_poll(struct file *f, struct poll_watch *w)
{
	(void)f;
	(void)w;
	return POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
}

static int snap_stat(struct file *f, struct kstat *st)
{
	return vfs_stat(f->vnode, st);
}

static void snap_release(struct file *f)
{
	struct snapshot *s = f->priv;

	buf_free(&s->text);
	fs_free(s);
	vnode_put(f->vnode);
}

static const struct file_ops snapshot_ops = {
	.read = snap_read, .pread = snap_read_at, .write = snap_write, .pwrite = snap_pwrite,
	.lseek = snap_lseek, .poll = snap_poll, .stat = snap_stat, .release = snap_release,
};

static struct file *open_generated(struct vnode *vn, unsigned oflags)
{
	struct pnode *pn = pnode_of(vn);
	struct snapshot *s;
	struct file *f;
	int ret;

	if ((oflags & VFS_O_ACCMODE) != VFS_O_RDONLY && pn->e->no_write_open)
		return ERR_PTR(-EACCES);
	if (!(s = fs_zalloc(sizeof(*s))))
		return ERR_PTR(-ENOMEM);
	s->write_errno = pn->e->write_errno ? pn->e->write_errno : EIO;
	ret = pn->e->show ? pn->e->show(&s->text, pn->arg) : 0;
	if (!ret && s->text.failed)
		ret = -ENOMEM;
	f = ret ? ERR_PTR(ret) : file_alloc(&snapshot_ops, oflags, s);
	if (IS_ERR(f)) {
		buf_free(&s->text);
		fs_free(s);
		return f;
	}
	vnode_get(vn);
	f->vnode = vn;
	return f;
}

static struct file *pseudofs_open(struct vnode *vn, unsigned oflags)
{
	struct pnode *pn = pnode_of(vn);

	if (pn->wrapped) {
		file_get(pn->wrapped);	/* the same open file: a reopen shares it */
		return pn->wrapped;
	}
	if (VFS_ISREG(vn->mode))
		return open_generated(vn, oflags);
	return NULL;
}

/* Names are never made here: the instance's errno (procfs ENOENT, the others EROFS). */
static struct vnode *pseudofs_create_name(struct vnode *dir, const char *name, size_t len, uint32_t mode,
					  const char *target)
{
	(void)name;
	(void)len;
	(void)mode;
	(void)target;
	return ERR_PTR(-((struct instance *)dir->fs->priv)->create_errno);
}

static const struct vfs_fs_ops pseudofs_ops = {
	.lookup = pseudofs_lookup, .create = pseudofs_create_name, .readdir = pseudofs_readdir, .readlink = pseudofs_readlink,
	.follow_link = pseudofs_follow_link, .open = pseudofs_open, .evict = pseudofs_evict,
};
