/*
 * fs/imgfs.c: the read-only image filesystem (include/abi/image.h) on a
 * block device.
 *
 * Mounting reads the superblock and the whole metadata into memory and has
 * lib/image check all of it (include/lib/image.h lists the rules), so
 * nothing a disk holds is trusted before it is checked and nothing after
 * the mount needs checking again, except LZ4 block contents, which lib/lz4
 * checks as it decompresses (a bad block is -EIO). A refused image is
 * -EINVAL with the reason, never a fault.
 *
 * Vnodes. One vnode per inode at a time, found through a table indexed by
 * inode number under ns_lock. Directories are pinned (the table holds a
 * reference) because the VFS keeps state on them: mounts, parent and name
 * for getcwd and "..". Files and symlinks are not: the last vnode_put
 * evicts one and frees its pages. A lookup racing that last put sees the
 * count at 0 and makes a fresh vnode rather than reviving a dying one;
 * evict removes only its own table entry.
 *
 * Pages. Each file vnode has a page cache of 4 KiB pages, filled from the
 * disk on first use (raw data with read-ahead, up to 128 KiB per request;
 * an LZ4 block decompressed into its page), zeroed past the end of the file, and kept
 * until the vnode is evicted. read() copies out of it; map_page() hands the
 * page itself to the mm, which maps it into programs read-only, so a file
 * mapped by many programs is one copy in memory. cache_lock (a mutex: the
 * fill sleeps on the disk) guards the page array.
 */
#include <lib/err.h>
#include <lib/errno.h>
#include <lib/fmt.h>
#include <lib/image.h>
#include <lib/lz4.h>
#include <lib/string.h>
#include <mote/blkdev.h>
#include <mote/mm.h>
#include <mote/sync.h>

#include "internal.h"

#define SECTOR BLKDEV_SECTOR_SIZE
#define PAGE   IMAGE_BLOCK_SIZE

struct imgfs {
	struct vfs_fs fs;
	struct blkdev *bd;
	struct image img;
	void *meta;			/* the metadata, as read (img points into it) */
	struct vnode **vnodes;		/* by inode number, ns_lock */
	struct imgfs_stats stats;	/* atomic */
};

struct imgfs_node {
	struct vnode vn;
	uint32_t ino;
	struct image_inode in;
	struct mutex cache_lock;
	void **pages;			/* files: npages slots, allocated on first use */
	uint64_t npages;
};

static struct imgfs *ifs(const struct vnode *vn)
{
	return (struct imgfs *)vn->fs;
}

static struct imgfs_node *inode_of(struct vnode *vn)
{
	return (struct imgfs_node *)vn;
}

/* ---- Pages ---------------------------------------------------------------------------- */

/* Bytes [off, off + len) of the disk into buf, through whole sectors. */
static int read_bytes(struct imgfs *fs, uint64_t off, uint32_t len, uint8_t *buf)
{
	uint64_t first = off / SECTOR, last = (off + len + SECTOR - 1) / SECTOR;
	size_t span = (size_t)(last - first) * SECTOR;
	uint8_t *bounce;
	int ret;

	if (off % SECTOR == 0 && len % SECTOR == 0)
		return blkdev_read(fs->bd, first, buf, last - first) ? -EIO : 0;
	if (!(bounce = fs_alloc(span)))
		return -ENOMEM;
	ret = blkdev_read(fs->bd, first, bounce, last - first) ? -EIO : 0;
	if (!ret)
		memcpy(buf, bounce + off % SECTOR, len);
	fs_free(bounce);
	return ret;
}

/* Page `index` of the file's contents, from the disk. */
static int fill_page(struct imgfs *fs, struct imgfs_node *n, uint64_t index, uint8_t *page)
{
	struct image_extent e;
	uint8_t *packed;
	long got;
	int ret;

	if (image_file_extent(&fs->img, &n->in, index, &e))
		return -EIO;
	if (!e.lz4) {
		/* Raw data is block-aligned and padded to a block inside the image: one read. */
		if ((ret = read_bytes(fs, e.offset, PAGE, page)))
			return ret;
		memset(page + e.len, 0, PAGE - e.len);
		return 0;
	}
	if (!(packed = fs_alloc(e.stored_len)))
		return -ENOMEM;
	ret = read_bytes(fs, e.offset, e.stored_len, packed);
	if (!ret) {
		got = lz4_decompress_block(packed, e.stored_len, page, e.len);
		ret = got == (long)e.len ? 0 : -EIO;
	}
	fs_free(packed);
	memset(page + e.len, 0, PAGE - e.len);
	return ret;
}

/*
 * Read-ahead: a raw file's missing pages from `index` on (up to
 * READAHEAD_PAGES, stopping at the first one cached) are read with one disk
 * request, as its data is contiguous on the disk. Under a hypervisor each
 * request costs far more than the bytes it moves (a 4 KiB read per page
 * ran sequential reads at a third of a Linux guest's speed), and programs
 * read files and fault in their text in runs. LZ4 files go page by page.
 */
#define READAHEAD_PAGES 32	/* 128 KiB, Linux's default read-ahead window */

static uint64_t missing_run(const struct imgfs_node *n, uint64_t index)
{
	uint64_t count = 1;

	if (n->in.flags & IMAGE_INODE_LZ4)
		return 1;
	while (count < READAHEAD_PAGES && index + count < n->npages && !n->pages[index + count])
		count++;
	return count;
}

/* Pages [index, index + count) of a raw file, all missing, from one read; cache_lock held. */
static int fill_run(struct imgfs *fs, struct imgfs_node *n, uint64_t index, uint64_t count)
{
	struct image_extent e;
	uint8_t *buf;
	uint64_t i;
	int ret;

	if (image_file_extent(&fs->img, &n->in, index, &e))
		return -EIO;
	if (!(buf = fs_alloc(count * PAGE)))
		return -ENOMEM;
	/* Raw data is block-aligned and padded to a block inside the image: all of it is there. */
	ret = read_bytes(fs, e.offset, (uint32_t)(count * PAGE), buf);
	for (i = 0; !ret && i < count; i++) {
		uint8_t *page = page_alloc(0);
		uint64_t end = n->in.size - (index + i) * PAGE;

		if (!page) {
			ret = i ? 0 : -ENOMEM;	/* what was filled stays; the rest on demand */
			break;
		}
		memcpy(page, buf + i * PAGE, PAGE);
		if (end < PAGE)
			memset(page + end, 0, PAGE - end);
		n->pages[index + i] = page;
	}
	fs_free(buf);
	__atomic_add_fetch(&fs->stats.pages_filled, i, __ATOMIC_RELAXED);
	__atomic_add_fetch(&fs->stats.pages_cached, i, __ATOMIC_RELAXED);
	return ret;
}

/* The cached page `index` (< npages), filled if needed; cache_lock held. */
static void *get_page_locked(struct imgfs *fs, struct imgfs_node *n, uint64_t index)
{
	void *page;
	uint64_t run;
	int ret;

	if (!n->pages && !(n->pages = fs_zalloc(n->npages * sizeof(void *))))
		return ERR_PTR(-ENOMEM);
	if (n->pages[index])
		return n->pages[index];
	run = missing_run(n, index);
	if (run > 1) {
		if (!(ret = fill_run(fs, n, index, run)))
			return n->pages[index];
		if (ret != -ENOMEM)
			return ERR_PTR(ret);
	}
	if (!(page = page_alloc(0)))
		return ERR_PTR(-ENOMEM);
	if ((ret = fill_page(fs, n, index, page))) {
		page_free(page, 0);
		return ERR_PTR(ret);
	}
	n->pages[index] = page;
	__atomic_add_fetch(&fs->stats.pages_filled, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&fs->stats.pages_cached, 1, __ATOMIC_RELAXED);
	return page;
}

static void *get_page(struct imgfs_node *n, uint64_t index)
{
	void *page;

	mutex_lock(&n->cache_lock);
	page = get_page_locked(ifs(&n->vn), n, index);
	mutex_unlock(&n->cache_lock);
	return page;
}

static void *imgfs_map_page(struct vnode *vn, uint64_t off)
{
	struct imgfs_node *n = inode_of(vn);

	if (!VFS_ISREG(vn->mode) || off % PAGE || off >= n->in.size)
		return ERR_PTR(-EINVAL);
	return get_page(n, off / PAGE);
}

/* vn->lock held; the VFS has clipped len to the file's size. */
static long imgfs_read(struct vnode *vn, void *buf, size_t len, uint64_t off)
{
	struct imgfs_node *n = inode_of(vn);
	size_t done = 0;

	while (done < len) {
		uint64_t at = off + done;
		size_t in_page = PAGE - at % PAGE, chunk = len - done < in_page ? len - done : in_page;
		void *page = get_page(n, at / PAGE);

		if (IS_ERR(page))
			return done ? (long)done : PTR_ERR(page);
		memcpy((char *)buf + done, (char *)page + at % PAGE, chunk);
		done += chunk;
	}
	return (long)done;
}

/* ---- Vnodes --------------------------------------------------------------------------- */

static bool get_unless_zero(struct vnode *vn)
{
	unsigned long refs = __atomic_load_n(&vn->refs, __ATOMIC_RELAXED);

	while (refs)
		if (__atomic_compare_exchange_n(&vn->refs, &refs, refs + 1, false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return true;
	return false;
}

static struct ktimespec mtime_of(const struct image_inode *in)
{
	return (struct ktimespec){ in->mtime_sec, in->mtime_nsec };
}

/*
 * The vnode of inode ino, referenced (ns_lock held). A directory's parent
 * and name come from the entry that names it (NULL for the root).
 */
static struct vnode *vnode_of(struct imgfs *fs, uint32_t ino, struct vnode *parent,
			      const char *name, size_t len)
{
	struct vnode *vn = fs->vnodes[ino];
	struct imgfs_node *n;

	if (vn && get_unless_zero(vn))
		return vn;
	if (!(n = fs_zalloc(sizeof(*n))))
		return ERR_PTR(-ENOMEM);
	n->ino = ino;
	image_inode(&fs->img, ino, &n->in);
	vnode_init(&n->vn, &fs->fs, n->in.mode);
	mutex_init(&n->cache_lock);
	n->vn.priv = n;
	n->vn.ino = (uint64_t)ino + 1;
	n->vn.nlink = n->in.nlink;
	n->vn.uid = n->in.uid;
	n->vn.gid = n->in.gid;
	n->vn.size = VFS_ISDIR(n->in.mode) ? PAGE : n->in.size;
	n->vn.blocks = VFS_ISREG(n->in.mode) ? (n->in.size + PAGE - 1) / PAGE * (PAGE / 512) : 0;
	n->vn.atime = n->vn.mtime = n->vn.ctime = n->vn.btime = mtime_of(&n->in);
	n->npages = (n->in.size + PAGE - 1) / PAGE;
	if (VFS_ISDIR(n->in.mode)) {
		vnode_get(&n->vn);		/* pinned: the table's reference */
		n->vn.parent = parent ? parent : &n->vn;
		if (parent)
			vnode_get(parent);
		n->vn.name = name ? name : "";
		n->vn.name_len = name ? len : 0;
	}
	fs->vnodes[ino] = &n->vn;
	return &n->vn;
}

static void imgfs_evict(struct vnode *vn)
{
	struct imgfs *fs = ifs(vn);
	struct imgfs_node *n = inode_of(vn);

	mutex_lock(&fs->fs.ns_lock);
	if (fs->vnodes[n->ino] == vn)
		fs->vnodes[n->ino] = NULL;
	mutex_unlock(&fs->fs.ns_lock);
	for (uint64_t i = 0; n->pages && i < n->npages; i++) {
		if (n->pages[i]) {
			page_unref(n->pages[i]);	/* mappings may hold their own references */
			__atomic_sub_fetch(&fs->stats.pages_cached, 1, __ATOMIC_RELAXED);
		}
	}
	fs_free(n->pages);
	fs_free(n);
}

/* ---- Namespace (ns_lock held) --------------------------------------------------------- */

static struct vnode *imgfs_lookup(struct vnode *dir, const char *name, size_t len)
{
	struct imgfs *fs = ifs(dir);
	struct image_dirent e;
	const char *stored;
	struct vnode *vn;
	uint64_t index;

	if (image_find(&fs->img, &inode_of(dir)->in, name, len, &index))
		return NULL;
	/* The entry's own copy of the name (in the metadata) is what a directory keeps. */
	image_dirent(&fs->img, &inode_of(dir)->in, index, &e, &stored);
	vn = vnode_of(fs, e.ino, dir, stored, e.name_len);
	return IS_ERR(vn) ? NULL : vn;
}

static int imgfs_readdir(struct vnode *dir, uint64_t *pos, vfs_filldir_fn *fill, void *ctx)
{
	struct imgfs *fs = ifs(dir);
	struct imgfs_node *d = inode_of(dir);

	for (uint64_t i = *pos - 2; i < d->in.size; i++) {
		struct image_dirent e;
		const char *name;

		image_dirent(&fs->img, &d->in, i, &e, &name);
		if (!fill(ctx, name, e.name_len, (uint64_t)e.ino + 1, e.type, i + 3))
			break;
		*pos = i + 3;
	}
	return 0;
}

static long imgfs_readlink(struct vnode *vn, char *buf, size_t len)
{
	struct imgfs_node *n = inode_of(vn);
	size_t copy = n->in.size < len ? (size_t)n->in.size : len;

	memcpy(buf, image_link_target(&ifs(vn)->img, &n->in), copy);
	return (long)copy;
}

static const struct vfs_fs_ops imgfs_ops = {
	.lookup = imgfs_lookup, .readdir = imgfs_readdir, .read = imgfs_read,
	.readlink = imgfs_readlink, .map_page = imgfs_map_page, .evict = imgfs_evict,
};

/* ---- Mounting ------------------------------------------------------------------------- */

static int refuse(char *why, size_t why_len, int err, const char *text)
{
	if (why_len)
		fmt_snprintf(why, why_len, "%s", text);
	return err;
}

/* The superblock and the metadata, checked. */
static int load_image(struct imgfs *fs, char *why, size_t why_len)
{
	uint64_t disk = fs->bd->sectors * SECTOR, span;
	uint8_t *first = fs_alloc(PAGE);
	int ret;

	if (!first)
		return -ENOMEM;
	ret = disk < PAGE ? -EINVAL : blkdev_read(fs->bd, 0, first, PAGE / SECTOR) ? -EIO : 0;
	if (ret == -EINVAL)
		ret = refuse(why, why_len, -EINVAL, "the disk is smaller than one block");
	else if (ret)
		ret = refuse(why, why_len, -EIO, "cannot read the superblock");
	else if ((ret = image_check_super(&fs->img, first, PAGE, disk)))
		refuse(why, why_len, ret, fs->img.why);
	fs_free(first);
	if (ret)
		return ret;
	span = (fs->img.sb.meta_size + SECTOR - 1) / SECTOR;
	if (!(fs->meta = fs_alloc(span ? span * SECTOR : 1)))
		return refuse(why, why_len, -ENOMEM, "no memory for the image's metadata");
	if (span && blkdev_read(fs->bd, fs->img.sb.meta_offset / SECTOR, fs->meta, span))
		return refuse(why, why_len, -EIO, "cannot read the image's metadata");
	if ((ret = image_open_meta(&fs->img, fs->meta, fs->img.sb.meta_size)))
		return refuse(why, why_len, ret, fs->img.why);
	return 0;
}

struct vfs_fs *imgfs_mount(struct blkdev *bd, char *why, size_t why_len)
{
	struct imgfs *fs = fs_zalloc(sizeof(*fs));
	struct vnode *root;
	int ret;

	if (!fs)
		return ERR_PTR(refuse(why, why_len, -ENOMEM, "no memory"));
	vfs_fs_init(&fs->fs, &imgfs_ops, VFS_FS_RDONLY);
	fs->bd = bd;
	ret = load_image(fs, why, why_len);
	if (!ret && !(fs->vnodes = fs_zalloc(fs->img.sb.nr_inodes * sizeof(struct vnode *))))
		ret = refuse(why, why_len, -ENOMEM, "no memory for the inode table");
	if (!ret && IS_ERR(root = vnode_of(fs, 0, NULL, NULL, 0)))
		ret = refuse(why, why_len, (int)PTR_ERR(root), "no memory for the root");
	if (ret) {
		fs_free(fs->vnodes);
		fs_free(fs->meta);
		fs_free(fs);
		return ERR_PTR(ret);
	}
	fs->fs.root = root;	/* with vnode_of's reference; the table pins it too */
	return &fs->fs;
}

void imgfs_get_stats(struct vfs_fs *fs, struct imgfs_stats *out)
{
	struct imgfs_stats *s = &((struct imgfs *)fs)->stats;

	out->pages_filled = __atomic_load_n(&s->pages_filled, __ATOMIC_RELAXED);
	out->pages_cached = __atomic_load_n(&s->pages_cached, __ATOMIC_RELAXED);
}

const struct image *imgfs_image(struct vfs_fs *fs)
{
	return &((struct imgfs *)fs)->img;
}

void imgfs_unmount(struct vfs_fs *vfs)
{
	struct imgfs *fs = (struct imgfs *)vfs;

	vnode_put(fs->fs.root);		/* the last reference, when nothing else holds any */
	fs_free(fs->vnodes);
	fs_free(fs->meta);
	fs_free(fs);
}
