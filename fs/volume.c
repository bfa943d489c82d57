/*
 * fs/volume.c: volumes, the extra disks `mote run -v HOST:/path` attaches
 * (mote/vfs.h, docs/fs.md "Volumes").
 *
 * A read-only volume is the image filesystem on the disk, mounted as it
 * is. A writable volume is a ramfs loaded from the disk at mount and
 * written back to it in the image format (include/abi/image.h) by
 * volume_sync(): at fsync, fdatasync, sync and syncfs of anything on it,
 * and when the program exits. So a volume is readable by `mote inspect`,
 * mountable read-only, and holds whatever the program last synced. Its
 * whole contents live in memory while mounted, and its size is bounded by
 * the disk: a write that would not fit is -ENOSPC in the program.
 *
 * Crash safety: the disk is two areas, [4 KiB, half) and [half, end).
 * A write-back fills the area the current image does not use, flushes,
 * and only then writes the superblock (block 0) that points to it, and
 * flushes again. A VM that dies mid-way leaves the previous image whole:
 * either superblock is a complete image. (So a volume holds at most half
 * its disk.)
 *
 * What a write-back stores: directories, regular files, symlinks, their
 * permission bits, owners and modification times; a file with several
 * names is stored once per name. The image's command is a placeholder
 * (argv "/") that no one runs. Files changed while a write-back runs are
 * stored as they were when it reached them.
 */
#include <lib/err.h>
#include <lib/errno.h>
#include <lib/fmt.h>
#include <lib/image.h>
#include <lib/sort.h>
#include <lib/string.h>
#include <mote/blkdev.h>
#include <mote/log.h>
#include <mote/mm.h>
#include <mote/vfs.h>

#include "internal.h"

#define BLOCK IMAGE_BLOCK_SIZE
#define SECTORS_PER_BLOCK (BLOCK / BLKDEV_SECTOR_SIZE)
#define CHUNK (64 * 1024)	/* file data moves through a buffer this big */

struct volume {
	struct blkdev *bd;
	struct vfs_fs *fs;
	struct mutex lock;	/* one write-back at a time */
	uint64_t half;		/* where the second area starts (block-aligned) */
	bool in_second;		/* the current image lives in the second area */
};

static struct volume *volumes[BLKDEV_MAX];
static unsigned nr_volumes;
static struct mutex volumes_lock = MUTEX_INIT(volumes_lock);

static int refuse(char *why, size_t len, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int refuse(char *why, size_t len, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return err;
}

static uint64_t disk_bytes(const struct blkdev *bd)
{
	return bd->sectors * BLKDEV_SECTOR_SIZE;
}

/* ---- Walking a directory through its filesystem's ops ----------------------------- */

struct name_list {
	char **names;
	size_t n, cap;
	int err;
};

static bool collect_name(void *ctx, const char *name, size_t len, uint64_t ino, unsigned type,
			 uint64_t next)
{
	struct name_list *l = ctx;
	char *copy;

	(void)ino, (void)type, (void)next;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		char **grown = mm_malloc(cap * sizeof(char *));

		if (!grown) {
			l->err = -ENOMEM;
			return false;
		}
		memcpy(grown, l->names, l->n * sizeof(char *));
		mm_free(l->names);
		l->names = grown;
		l->cap = cap;
	}
	if (!(copy = mm_malloc(len + 1))) {
		l->err = -ENOMEM;
		return false;
	}
	memcpy(copy, name, len);
	copy[len] = 0;
	l->names[l->n++] = copy;
	return true;
}

static int name_order(const void *a, const void *b)
{
	const char *x = a, *y = b;
	size_t lx = strlen(x), ly = strlen(y);
	int c = memcmp(x, y, lx < ly ? lx : ly);

	return c ? c : (lx > ly) - (lx < ly);
}

static void free_names(struct name_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		mm_free(l->names[i]);
	mm_free(l->names);
}

/* dir's entry names (not "." or ".."), sorted bytewise as the image format wants. */
static int list_dir(struct vnode *dir, struct name_list *l)
{
	uint64_t pos = 2;
	int ret;

	*l = (struct name_list){ 0 };
	do {
		size_t before = l->n;

		mutex_lock(&dir->fs->ns_lock);
		ret = dir->fs->ops->readdir(dir, &pos, collect_name, l);
		mutex_unlock(&dir->fs->ns_lock);
		if (ret || l->err || l->n == before)
			break;
	} while (true);
	if (!ret)
		ret = l->err;
	if (!ret)
		sort_ptrs((void **)l->names, l->n, name_order);
	return ret;
}

static struct vnode *child_of(struct vnode *dir, const char *name)
{
	struct vnode *vn;

	mutex_lock(&dir->fs->ns_lock);
	vn = dir->fs->ops->lookup(dir, name, strlen(name));
	mutex_unlock(&dir->fs->ns_lock);
	return vn;
}

/* ---- Loading: the image on the disk into the ramfs ---------------------------------- */

/* A queue of directory pairs still to copy (no recursion: a deep tree is just long). */
struct pair {
	struct pair *next;
	struct vnode *from, *to;
};

static void copy_attrs(const struct vnode *from, struct vnode *to)
{
	mutex_lock(&to->lock);
	to->mode = (to->mode & VFS_S_IFMT) | (from->mode & VFS_PERM_MASK);
	to->uid = from->uid;
	to->gid = from->gid;
	to->mtime = from->mtime;
	mutex_unlock(&to->lock);
}

static int copy_data(struct vnode *from, struct vnode *to, char *buf)
{
	for (uint64_t off = 0; off < from->size;) {
		long n = vnode_read(from, buf, CHUNK, off), w;

		if (n <= 0)
			return n < 0 ? (int)n : -EIO;
		mutex_lock(&to->lock);
		w = to->fs->ops->write(to, buf, (size_t)n, off);
		mutex_unlock(&to->lock);
		if (w != n)
			return w < 0 ? (int)w : -ENOSPC;
		off += (uint64_t)n;
	}
	return 0;
}

/* One entry of from_dir, made in to_dir; a directory is queued at *tail. */
static int copy_entry(struct vnode *from_dir, struct vnode *to_dir, const char *name, char *buf,
		      struct pair ***tail)
{
	struct vnode *from = child_of(from_dir, name), *to = NULL;
	char *target = NULL;
	int ret;

	if (!from)
		return -EIO;
	if (VFS_ISLNK(from->mode)) {
		long n = from->fs->ops->readlink(from, buf, VFS_PATH_MAX - 1);

		if (n < 0) {
			vnode_put(from);
			return (int)n;
		}
		buf[n] = 0;
		target = buf;
	}
	mutex_lock(&to_dir->fs->ns_lock);
	ret = vfs_create_locked(to_dir, name, strlen(name), from->mode, target, &to);
	mutex_unlock(&to_dir->fs->ns_lock);
	if (!ret && VFS_ISREG(from->mode))
		ret = copy_data(from, to, buf);
	if (!ret)
		copy_attrs(from, to);
	if (!ret && VFS_ISDIR(from->mode)) {
		struct pair *p = mm_malloc(sizeof(*p));

		if (!p) {
			ret = -ENOMEM;
		} else {
			*p = (struct pair){ NULL, from, to };
			**tail = p;
			*tail = &p->next;
			return 0;	/* the queue owns both references now */
		}
	}
	if (to)
		vnode_put(to);
	vnode_put(from);
	return ret;
}

/* Copies the tree under from_root (imgfs) into to_root (an empty ramfs). */
static int copy_tree(struct vnode *from_root, struct vnode *to_root)
{
	struct pair *head, **tail = &head, *p;
	char *buf = mm_malloc(CHUNK);
	int ret = buf ? 0 : -ENOMEM;

	copy_attrs(from_root, to_root);
	vnode_get(from_root);
	vnode_get(to_root);
	head = mm_malloc(sizeof(*head));
	if (!head) {
		vnode_put(from_root);
		vnode_put(to_root);
		mm_free(buf);
		return -ENOMEM;
	}
	*head = (struct pair){ NULL, from_root, to_root };
	tail = &head->next;
	while ((p = head)) {
		struct name_list l = { 0 };

		if (!ret && !(ret = list_dir(p->from, &l)))
			for (size_t i = 0; !ret && i < l.n; i++)
				ret = copy_entry(p->from, p->to, l.names[i], buf, &tail);
		free_names(&l);
		head = p->next;
		if (!head)
			tail = &head;
		vnode_put(p->from);
		vnode_put(p->to);
		mm_free(p);
	}
	mm_free(buf);
	return ret;
}

static bool blank_disk(struct blkdev *bd, char *block, int *err)
{
	*err = blkdev_read(bd, 0, block, SECTORS_PER_BLOCK) ? -EIO : 0;
	for (size_t i = 0; !*err && i < BLOCK; i++)
		if (block[i])
			return false;
	return !*err;
}

static int load(struct volume *v, char *why, size_t why_len)
{
	char *block = mm_malloc(BLOCK);
	struct vfs_fs *img;
	int ret;
	bool blank;

	if (!block)
		return refuse(why, why_len, -ENOMEM, "no memory");
	blank = blank_disk(v->bd, block, &ret);
	if (!ret && !blank) {
		struct image_super *sb = (struct image_super *)block;

		if (!image_has_magic(block, BLOCK))
			ret = refuse(why, why_len, -EINVAL, "neither empty nor a mote image");
		else
			v->in_second = sb->meta_offset >= v->half;
	} else if (ret) {
		refuse(why, why_len, ret, "cannot read the disk");
	}
	mm_free(block);
	if (ret || blank)
		return ret;
	img = imgfs_mount(v->bd, why, why_len);
	if (IS_ERR(img))
		return (int)PTR_ERR(img);
	ret = copy_tree(img->root, v->fs->root);
	imgfs_unmount(img);
	if (ret)
		refuse(why, why_len, ret, ret == -ENOSPC ? "it holds more than the volume can"
							 : "cannot copy it into memory (error %d)", ret);
	return ret;
}

/* ---- Writing back: the ramfs into an image in the free area ----------------------- */

struct growbuf {
	uint8_t *p;
	size_t len, cap;
};

static int grow_add(struct growbuf *b, const void *data, size_t len, size_t *at)
{
	if (b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		uint8_t *p;

		while (cap < b->len + len)
			cap *= 2;
		if (!(p = mm_malloc(cap)))
			return -ENOMEM;
		memcpy(p, b->p, b->len);
		mm_free(b->p);
		b->p = p;
		b->cap = cap;
	}
	if (at)
		*at = b->len;
	memcpy(b->p + b->len, data, len);
	b->len += len;
	return 0;
}

struct writer {
	struct volume *v;
	uint64_t pos, end;	/* the next free byte of the area, and its end */
	struct growbuf inodes, dirents, strings;
	struct vnode **nodes;	/* by inode number, referenced */
	uint32_t *parents;	/* by inode number: the directory whose entry named it */
	uint32_t nr_nodes, cap_nodes;
	char *buf;
};

/* Numbers vn (referenced) in breadth-first order: its parent always has a smaller number. */
static int add_node(struct writer *w, struct vnode *vn, uint32_t parent)
{
	if (w->nr_nodes == w->cap_nodes) {
		uint32_t cap = w->cap_nodes ? 2 * w->cap_nodes : 64;
		struct vnode **p = mm_malloc(cap * sizeof(*p));
		uint32_t *par = mm_malloc(cap * sizeof(*par));

		if (!p || !par || cap > IMAGE_MAX_INODES) {
			mm_free(p);
			mm_free(par);
			return -ENOMEM;
		}
		memcpy(p, w->nodes, w->nr_nodes * sizeof(*p));
		memcpy(par, w->parents, w->nr_nodes * sizeof(*par));
		mm_free(w->nodes);
		mm_free(w->parents);
		w->nodes = p;
		w->parents = par;
		w->cap_nodes = cap;
	}
	w->parents[w->nr_nodes] = parent;
	w->nodes[w->nr_nodes++] = vn;
	return 0;
}

/* File data at w->pos (block-aligned, zero-padded to a block): its offset in *off. */
static int write_data(struct writer *w, struct vnode *vn, uint64_t *off)
{
	uint64_t size = vn->size, padded = (size + BLOCK - 1) / BLOCK * BLOCK;

	*off = size ? w->pos : 0;
	if (padded > w->end - w->pos)
		return -ENOSPC;
	for (uint64_t done = 0; done < padded;) {
		size_t n = padded - done < CHUNK ? (size_t)(padded - done) : CHUNK;
		long got = vnode_read(vn, w->buf, n, done);

		if (got < 0)
			return (int)got;
		memset(w->buf + got, 0, n - (size_t)got);	/* the padding, or a file that shrank */
		if (blkdev_write(w->v->bd, (w->pos + done) / BLKDEV_SECTOR_SIZE, w->buf,
				 n / BLKDEV_SECTOR_SIZE))
			return -EIO;
		done += n;
	}
	w->pos += padded;
	return 0;
}

static int32_t image_time_nsec(int64_t nsec)
{
	return nsec >= 0 && nsec < 1000000000 ? (int32_t)nsec : 0;
}

/* Inode ino (w->nodes[ino]): its record, with its data or entries written. */
static int write_inode(struct writer *w, uint32_t ino)
{
	uint32_t parent = w->parents[ino];
	struct vnode *vn = w->nodes[ino];
	struct image_inode in = {
		.mode = vn->mode & (IMAGE_S_IFMT | IMAGE_MODE_BITS), .uid = vn->uid, .gid = vn->gid,
		.nlink = 1, .mtime_sec = vn->mtime.sec, .mtime_nsec = (uint32_t)image_time_nsec(vn->mtime.nsec),
		.parent = VFS_ISDIR(vn->mode) ? parent : 0,
	};
	struct name_list l;
	int ret = 0;

	if (VFS_ISREG(vn->mode)) {
		in.size = vn->size;
		ret = write_data(w, vn, &in.data);
	} else if (VFS_ISLNK(vn->mode)) {
		long n = vn->fs->ops->readlink(vn, w->buf, VFS_PATH_MAX - 1);
		size_t at;

		if (n <= 0)
			return n < 0 ? (int)n : -EIO;
		in.size = (uint64_t)n;
		ret = grow_add(&w->strings, w->buf, (size_t)n, &at);
		in.data = at;
	} else if (!(ret = list_dir(vn, &l))) {
		in.data = w->dirents.len / sizeof(struct image_dirent);
		in.size = l.n;
		for (size_t i = 0; !ret && i < l.n; i++) {
			struct vnode *c = child_of(vn, l.names[i]);
			struct image_dirent e = { .ino = w->nr_nodes, .name_len = (uint16_t)strlen(l.names[i]) };
			size_t at;

			if (!c) {
				ret = -EIO;
				break;
			}
			e.type = VFS_ISDIR(c->mode) ? IMAGE_DT_DIR : VFS_ISLNK(c->mode) ? IMAGE_DT_LNK
											 : IMAGE_DT_REG;
			if (!VFS_ISDIR(c->mode) && !VFS_ISREG(c->mode) && !VFS_ISLNK(c->mode)) {
				vnode_put(c);	/* devices, FIFOs: not stored */
				in.size--;
				continue;
			}
			if ((ret = add_node(w, c, ino))) {
				vnode_put(c);
				break;
			}
			if (!(ret = grow_add(&w->strings, l.names[i], e.name_len, &at))) {
				e.name_off = (uint32_t)at;
				ret = grow_add(&w->dirents, &e, sizeof(e), NULL);
			}
		}
		free_names(&l);
	}
	if (VFS_ISDIR(vn->mode))
		in.nlink = 2;
	return ret ? ret : grow_add(&w->inodes, &in, sizeof(in), NULL);
}

/* The metadata after the data, then (after a flush) the superblock that points at it. */
static int write_meta(struct writer *w)
{
	static const char placeholder[] = "/";
	struct image_super sb = { .version = IMAGE_VERSION, .super_size = sizeof(sb) };
	struct image_config cfg = { .argc = 1, .argv_len = 2, .exec_len = 1, .cwd_len = 1 };
	struct growbuf meta = { 0 };
	size_t at;
	uint64_t span;
	char *block;
	int ret;

	if ((ret = grow_add(&w->strings, placeholder, sizeof(placeholder), &at)))
		return ret;
	cfg.argv_off = cfg.exec_off = cfg.cwd_off = cfg.env_off = (uint32_t)at;
	if ((ret = grow_add(&meta, w->inodes.p, w->inodes.len, NULL)) ||
	    (ret = grow_add(&meta, w->dirents.p, w->dirents.len, NULL)) ||
	    (ret = grow_add(&meta, &cfg, sizeof(cfg), NULL)) ||
	    (ret = grow_add(&meta, w->strings.p, w->strings.len, NULL)))
		goto out;
	span = (meta.len + BLOCK - 1) / BLOCK * BLOCK;
	if (span > w->end - w->pos) {
		ret = -ENOSPC;
		goto out;
	}
	if (!(block = mm_malloc(span))) {
		ret = -ENOMEM;
		goto out;
	}
	memset(block, 0, span);
	memcpy(block, meta.p, meta.len);
	ret = blkdev_write(w->v->bd, w->pos / BLKDEV_SECTOR_SIZE, block, span / BLKDEV_SECTOR_SIZE);
	if (!ret)
		ret = blkdev_flush(w->v->bd);
	memcpy(sb.magic, IMAGE_MAGIC, sizeof(sb.magic));
	sb.meta_offset = w->pos;
	sb.meta_size = meta.len;
	sb.image_size = w->pos + span;
	sb.nr_inodes = w->nr_nodes;
	sb.nr_dirents = (uint32_t)(w->dirents.len / sizeof(struct image_dirent));
	sb.strings_size = (uint32_t)w->strings.len;
	sb.meta_crc = image_crc32c(0, meta.p, meta.len);
	sb.super_crc = image_crc32c(0, &sb, sizeof(sb));
	memset(block, 0, BLOCK);
	memcpy(block, &sb, sizeof(sb));
	if (!ret)
		ret = blkdev_write(w->v->bd, 0, block, SECTORS_PER_BLOCK);
	if (!ret)
		ret = blkdev_flush(w->v->bd);
	mm_free(block);
	ret = ret ? -EIO : 0;
out:
	mm_free(meta.p);
	return ret;
}

static int write_back(struct volume *v)
{
	struct writer w = { .v = v };
	int ret;

	w.pos = v->in_second ? BLOCK : v->half;
	w.end = v->in_second ? v->half : disk_bytes(v->bd) / BLOCK * BLOCK;
	if (!(w.buf = mm_malloc(CHUNK)))
		return -ENOMEM;
	vnode_get(v->fs->root);
	ret = add_node(&w, v->fs->root, 0);
	if (ret)
		vnode_put(v->fs->root);
	for (uint32_t i = 0; !ret && i < w.nr_nodes; i++)
		ret = write_inode(&w, i);
	if (!ret)
		ret = write_meta(&w);
	if (!ret)
		v->in_second = !v->in_second;
	for (uint32_t i = 0; i < w.nr_nodes; i++)
		vnode_put(w.nodes[i]);
	mm_free(w.nodes);
	mm_free(w.parents);
	mm_free(w.inodes.p);
	mm_free(w.dirents.p);
	mm_free(w.strings.p);
	mm_free(w.buf);
	return ret;
}

/* ---- The interface ---------------------------------------------------------------- */

static int mount_writable(struct blkdev *bd, const char *path, char *why, size_t why_len)
{
	struct volume *v = mm_calloc(1, sizeof(*v));
	uint64_t half = disk_bytes(bd) / 2 / BLOCK * BLOCK;
	int ret;

	if (!v)
		return refuse(why, why_len, -ENOMEM, "no memory");
	if (half < 2 * BLOCK) {
		mm_free(v);
		return refuse(why, why_len, -EINVAL, "the disk is too small for a volume (16 KiB at least)");
	}
	*v = (struct volume){ .bd = bd, .half = half };
	mutex_init(&v->lock);
	v->fs = ramfs_create(half - BLOCK);
	if (IS_ERR(v->fs)) {
		mm_free(v);
		return refuse(why, why_len, -ENOMEM, "no memory");
	}
	if ((ret = load(v, why, why_len)))
		return ret;	/* the ramfs is not reachable; what it holds stays (rare) */
	if ((ret = vfs_mount(path, v->fs)))
		return refuse(why, why_len, ret, "cannot mount on %s (error %d)", path, ret);
	mutex_lock(&volumes_lock);
	volumes[nr_volumes++] = v;
	mutex_unlock(&volumes_lock);
	return 0;
}

int volume_mount(struct blkdev *bd, const char *path, bool writable, char *why, size_t why_len)
{
	struct vfs_fs *fs;
	int ret;

	if (writable) {
		if (bd->read_only)
			return refuse(why, why_len, -EROFS, "the disk is read-only");
		return mount_writable(bd, path, why, why_len);
	}
	fs = imgfs_mount(bd, why, why_len);
	if (IS_ERR(fs))
		return (int)PTR_ERR(fs);
	if ((ret = vfs_mount(path, fs)))
		return refuse(why, why_len, ret, "cannot mount on %s (error %d)", path, ret);
	return 0;
}

static int sync_one(struct volume *v)
{
	int ret;

	mutex_lock(&v->lock);
	ret = write_back(v);
	mutex_unlock(&v->lock);
	if (ret)
		printk("mote: volume on disk %s: write-back failed (error %d); the disk keeps its "
		       "previous contents\n", v->bd->name, ret);
	return ret;
}

int volume_sync(struct vfs_fs *fs)
{
	struct volume *v = NULL;

	mutex_lock(&volumes_lock);
	for (unsigned i = 0; i < nr_volumes; i++)
		if (volumes[i]->fs == fs)
			v = volumes[i];
	mutex_unlock(&volumes_lock);
	return v ? sync_one(v) : 0;
}

int volume_sync_all(void)
{
	int ret = 0;

	for (unsigned i = 0; i < nr_volumes; i++) {
		int r = sync_one(volumes[i]);

		ret = ret ? ret : r;
	}
	return ret;
}
