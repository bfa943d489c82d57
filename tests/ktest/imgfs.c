/*
 * Self-tests of imgfs (fs/imgfs.c) on RAM disks holding images made here
 * by hand from include/abi/image.h: lookup, readdir, readlink, read, the
 * map_page page cache (one page per file page, filled once, the same page
 * every time, zero past the end, LZ4 pages decompressed), eviction giving
 * the pages back, and refusals: damaged metadata and a truncated disk are
 * -EINVAL at mount with the reason, a damaged LZ4 block is -EIO on use.
 */
#include <lib/err.h>
#include <lib/errno.h>
#include <lib/image.h>
#include <lib/string.h>
#include <mote/blkdev.h>
#include <mote/file.h>
#include <mote/ktest.h>
#include <mote/mm.h>
#include <mote/thread.h>
#include <mote/vfs.h>

#define BS        IMAGE_BLOCK_SIZE
#define FILE_SIZE 5000u
#define LZ_OFFSET (3 * BS)
#define META      (4 * BS)
#define IMG_SIZE  (5 * BS)

static uint8_t file_byte(unsigned i)
{
	return (uint8_t)(i * 7 + 1);
}

/* "abcdefgh" repeated over a page, as one LZ4 block: 8 literals, a long match, 5 literals. */
static uint32_t put_lz4_page(uint8_t *p)
{
	uint32_t n = 0, extra = BS - 8 - 5 - 4 - 15;

	p[n++] = 0x8f;
	memcpy(p + n, "abcdefgh", 8);
	n += 8;
	p[n++] = 8;
	p[n++] = 0;
	for (; extra >= 255; extra -= 255)
		p[n++] = 255;
	p[n++] = (uint8_t)extra;
	p[n++] = 0x50;
	memcpy(p + n, "defgh", 5);
	return n + 5;
}

struct strtab {
	char *base;
	uint32_t len;
};

static uint32_t str(struct strtab *s, const char *text, uint32_t len)
{
	uint32_t at = s->len;

	memcpy(s->base + at, text, len);
	s->len += len;
	return at;
}

/*
 * / (0): dir (1, empty), file (2, 5000 bytes), link (3 -> "file"), lz (4, one LZ4 page).
 * Returns the image (IMG_SIZE bytes).
 */
static uint8_t *build_image(void)
{
	uint8_t *img = mm_aligned_alloc(BS, IMG_SIZE);
	struct image_super sb = { .version = IMAGE_VERSION, .super_size = sizeof(sb) };
	struct image_inode in[5] = { 0 };
	struct image_dirent de[4] = { 0 };
	struct image_block blk = { .offset = LZ_OFFSET, .flags = IMAGE_BLOCK_LZ4 };
	struct image_config cfg = { .argc = 1 };
	char strings[64];
	struct strtab s = { strings, 0 };
	static const char *const names[] = { "dir", "file", "link", "lz" };
	static const uint32_t types[] = { IMAGE_DT_DIR, IMAGE_DT_REG, IMAGE_DT_LNK, IMAGE_DT_REG };
	uint8_t *m;

	if (!img)
		return NULL;
	memset(img, 0, IMG_SIZE);
	for (unsigned i = 0; i < FILE_SIZE; i++)
		img[BS + i] = file_byte(i);
	blk.stored_len = put_lz4_page(img + LZ_OFFSET);
	for (unsigned i = 0; i < 4; i++)
		de[i] = (struct image_dirent){ .ino = i + 1, .name_len = (uint16_t)strlen(names[i]),
					       .type = (uint8_t)types[i],
					       .name_off = str(&s, names[i], (uint32_t)strlen(names[i])) };
	in[0] = (struct image_inode){ .mode = IMAGE_S_IFDIR | 0755, .nlink = 3, .size = 4 };
	in[1] = (struct image_inode){ .mode = IMAGE_S_IFDIR | 0700, .nlink = 2, .data = 4 };
	in[2] = (struct image_inode){ .mode = IMAGE_S_IFREG | 0644, .nlink = 1, .size = FILE_SIZE,
				      .data = BS, .mtime_sec = 1234, .uid = 7 };
	in[3] = (struct image_inode){ .mode = IMAGE_S_IFLNK | 0777, .nlink = 1, .size = 4,
				      .data = str(&s, "file", 4) };
	in[4] = (struct image_inode){ .mode = IMAGE_S_IFREG | 0444, .nlink = 1, .size = BS,
				      .flags = IMAGE_INODE_LZ4 };
	cfg.argv_len = 6;
	cfg.argv_off = str(&s, "/file", 6);
	cfg.exec_len = 5;
	cfg.exec_off = cfg.argv_off;
	cfg.cwd_len = 1;
	cfg.cwd_off = str(&s, "/", 1);
	m = img + META;
	memcpy(m, in, sizeof(in));
	memcpy(m += sizeof(in), de, sizeof(de));
	memcpy(m += sizeof(de), &blk, sizeof(blk));
	memcpy(m += sizeof(blk), &cfg, sizeof(cfg));
	memcpy(m += sizeof(cfg), strings, s.len);
	memcpy(sb.magic, IMAGE_MAGIC, 8);
	sb = (struct image_super){
		.version = IMAGE_VERSION, .super_size = sizeof(sb), .image_size = IMG_SIZE,
		.meta_offset = META, .nr_inodes = 5, .nr_dirents = 4, .nr_blocks = 1,
		.strings_size = s.len,
	};
	memcpy(sb.magic, IMAGE_MAGIC, 8);
	sb.meta_size = sizeof(in) + sizeof(de) + sizeof(blk) + sizeof(cfg) + s.len;
	sb.meta_crc = image_crc32c(0, img + META, sb.meta_size);
	sb.super_crc = image_crc32c(0, &sb, sizeof(sb));
	memcpy(img, &sb, sizeof(sb));
	return img;
}

/*
 * The one image every test mounts, each through a RAM disk of its own over
 * the same memory (never freed: a RAM disk's memory outlives it). Tests
 * that damage it put the bytes back before they return.
 */
static uint8_t *make_image(void)
{
	static uint8_t *image;

	if (!image)
		image = build_image();
	return image;
}

static struct vfs_fs *mount_copy(const char *name, uint8_t *img, uint64_t size, char *why)
{
	struct blkdev *bd;

	if (blkdev_ramdisk_create(name, img, size, true))
		return ERR_PTR(-ENOSPC);
	bd = blkdev_find(name);
	return bd ? imgfs_mount(bd, why, 128) : ERR_PTR(-ENODEV);
}

static struct vnode *lookup(struct vfs_fs *fs, const char *name)
{
	struct vnode *vn;

	mutex_lock(&fs->ns_lock);
	vn = fs->ops->lookup(fs->root, name, strlen(name));
	mutex_unlock(&fs->ns_lock);
	return vn;
}

struct names {
	char buf[64];
	size_t len;
	unsigned count;
};

static bool collect(void *ctx, const char *name, size_t len, uint64_t ino, unsigned type,
		    uint64_t next)
{
	struct names *n = ctx;

	(void)ino;
	(void)type;
	(void)next;
	memcpy(n->buf + n->len, name, len);
	n->len += len;
	n->buf[n->len++] = ' ';
	n->count++;
	return true;
}

KTEST(imgfs_lookup_readdir_readlink)
{
	char why[128] = "", target[16];
	struct names n = { .len = 0 };
	struct vnode *dir, *file, *link;
	struct vfs_fs *fs;
	struct kstat st;
	uint64_t pos = 2;

	KT_ASSERT(make_image());
	fs = mount_copy("kt-img1", make_image(), IMG_SIZE, why);
	KT_ASSERT(!IS_ERR(fs));
	KT_EXPECT(VFS_ISDIR(fs->root->mode) && fs->flags & VFS_FS_RDONLY);
	mutex_lock(&fs->ns_lock);
	KT_EXPECT(fs->ops->readdir(fs->root, &pos, collect, &n) == 0);
	mutex_unlock(&fs->ns_lock);
	KT_EXPECT(n.count == 4 && n.len == 17 && !memcmp(n.buf, "dir file link lz ", 17) && pos == 6);
	KT_EXPECT(lookup(fs, "nope") == NULL && lookup(fs, "fil") == NULL);
	dir = lookup(fs, "dir");
	KT_ASSERT(dir && VFS_ISDIR(dir->mode) && dir->parent == fs->root);
	KT_EXPECT(lookup(fs, "dir") == dir);	/* one vnode per directory */
	KT_EXPECT(dir->name_len == 3 && !memcmp(dir->name, "dir", 3));
	vnode_put(dir);
	vnode_put(dir);
	file = lookup(fs, "file");
	KT_ASSERT(file && vfs_stat(file, &st) == 0);
	KT_EXPECT(st.size == FILE_SIZE && st.mode == (VFS_S_IFREG | 0644) && st.uid == 7 &&
		  st.mtime.sec == 1234 && st.ino == 3 && st.blocks == 16);
	KT_EXPECT(vfs_chmod(file, 0600) == -EROFS);
	vnode_put(file);
	link = lookup(fs, "link");
	KT_ASSERT(link && VFS_ISLNK(link->mode));
	KT_EXPECT(vfs_readlink_vnode(link, target, sizeof(target)) == 4 && !memcmp(target, "file", 4));
	vnode_put(link);
}

KTEST(imgfs_read_and_map_page)
{
	char why[128] = "";
	struct imgfs_stats s0, s1;
	uint8_t *p0, *p1, *buf;
	struct vnode *file, *lz;
	struct vfs_fs *fs;
	struct file *f;
	bool same = true;

	KT_ASSERT(make_image());
	fs = mount_copy("kt-img2", make_image(), IMG_SIZE, why);
	KT_ASSERT(!IS_ERR(fs));
	buf = mm_malloc(FILE_SIZE);
	KT_ASSERT(buf);
	file = lookup(fs, "file");
	KT_ASSERT(file);
	p0 = file->fs->ops->map_page(file, 0);
	p1 = file->fs->ops->map_page(file, BS);
	KT_ASSERT(!IS_ERR(p0) && !IS_ERR(p1));
	KT_EXPECT(mm_owner_of(p0) == MM_OWNER_DIRECT && (uintptr_t)p0 % BS == 0);
	for (unsigned i = 0; i < FILE_SIZE; i++)
		same &= (i < BS ? p0[i] : p1[i - BS]) == file_byte(i);
	for (unsigned i = FILE_SIZE - BS; i < BS; i++)
		same &= p1[i] == 0;	/* zero past the end of the file */
	KT_EXPECT(same);
	imgfs_get_stats(fs, &s0);
	KT_EXPECT(s0.pages_filled == 2 && s0.pages_cached == 2);
	/* The same pages again, and read() copies from them: nothing more from the disk. */
	KT_EXPECT(file->fs->ops->map_page(file, 0) == p0 && file->fs->ops->map_page(file, BS) == p1);
	f = vfs_open_vnode(file, VFS_O_RDONLY);
	KT_ASSERT(!IS_ERR(f));
	KT_EXPECT(f->ops->pread(f, buf, FILE_SIZE, 0) == FILE_SIZE && !memcmp(buf, p0, BS) &&
		  !memcmp(buf + BS, p1, FILE_SIZE - BS));
	KT_EXPECT(f->ops->pread(f, buf, 100, 4090) == 100 && buf[0] == file_byte(4090) &&
		  buf[99] == file_byte(4189));
	KT_EXPECT(f->ops->pread(f, buf, 100, FILE_SIZE) == 0);
	imgfs_get_stats(fs, &s1);
	KT_EXPECT(s1.pages_filled == 2);
	KT_EXPECT(IS_ERR(file->fs->ops->map_page(file, 2 * BS)));	/* past the end */
	KT_EXPECT(IS_ERR(file->fs->ops->map_page(file, 100)));		/* not page-aligned */
	/* An LZ4 page, decompressed into the cache. */
	lz = lookup(fs, "lz");
	KT_ASSERT(lz);
	p0 = lz->fs->ops->map_page(lz, 0);
	KT_ASSERT(!IS_ERR(p0));
	KT_EXPECT(!memcmp(p0, "abcdefgh", 8) && !memcmp(p0 + BS - 8, "abcdefgh", 8) &&
		  !memcmp(p0 + 2000, "abcdefgh", 8));
	/* The last references go: the pages go back. */
	file_put(f);
	vnode_put(file);
	vnode_put(lz);
	imgfs_get_stats(fs, &s1);
	KT_EXPECT(s1.pages_cached == 0 && s1.pages_filled == 3);
	mm_free(buf);
}

KTEST(imgfs_refuses_damaged_images)
{
	char why[128] = "";
	uint8_t *img = make_image(), saved;
	struct vfs_fs *fs;
	struct vnode *lz;
	char buf[16];
	struct file *f;

	KT_ASSERT(img);
	img[META + 70] ^= 1;	/* metadata: the CRC catches it */
	fs = mount_copy("kt-img3", img, IMG_SIZE, why);
	img[META + 70] ^= 1;
	KT_EXPECT(PTR_ERR(fs) == -EINVAL && strstr(why, "checksum"));
	fs = mount_copy("kt-img4", img, IMG_SIZE - BS, why);	/* a disk shorter than the image */
	KT_EXPECT(PTR_ERR(fs) == -EINVAL && strstr(why, "truncated"));
	/* File data has no checksum; a broken LZ4 block is an I/O error when used. */
	fs = mount_copy("kt-img5", img, IMG_SIZE, why);
	KT_ASSERT(!IS_ERR(fs));
	lz = lookup(fs, "lz");
	KT_ASSERT(lz);
	saved = img[LZ_OFFSET + 9];
	img[LZ_OFFSET + 9] = 0xff;	/* the match offset: far before the start */
	KT_EXPECT(PTR_ERR(lz->fs->ops->map_page(lz, 0)) == -EIO);
	f = vfs_open_vnode(lz, VFS_O_RDONLY);
	KT_EXPECT(!IS_ERR(f) && f->ops->pread(f, buf, sizeof(buf), 0) == -EIO);
	img[LZ_OFFSET + 9] = saved;
	KT_EXPECT(!IS_ERR(f) && f->ops->pread(f, buf, sizeof(buf), 0) == sizeof(buf) &&
		  !memcmp(buf, "abcdefghabcdefgh", 16));	/* a failed fill caches nothing */
	if (!IS_ERR(f))
		file_put(f);
	vnode_put(lz);
}

/* Four threads map and read the same file at once: one page per file page, filled once. */
struct racer {
	struct vnode *file;
	void *pages[2];
	bool ok;
};

static void *race_pages(void *arg)
{
	struct racer *r = arg;
	uint8_t buf[64];
	struct file *f = vfs_open_vnode(r->file, VFS_O_RDONLY);

	r->ok = !IS_ERR(f);
	for (int round = 0; round < 50 && r->ok; round++) {
		r->pages[round & 1] = r->file->fs->ops->map_page(r->file, (uint64_t)(round & 1) * BS);
		r->ok = !IS_ERR(r->pages[round & 1]) &&
			f->ops->pread(f, buf, sizeof(buf), 4070) == sizeof(buf) &&
			buf[0] == file_byte(4070) && buf[63] == file_byte(4133);
	}
	if (!IS_ERR(f))
		file_put(f);
	return NULL;
}

KTEST(imgfs_map_page_concurrent)
{
	char why[128] = "";
	struct racer r[4];
	struct thread *t[4];
	struct imgfs_stats s;
	struct vnode *file;
	struct vfs_fs *fs;

	KT_ASSERT(make_image());
	fs = mount_copy("kt-img6", make_image(), IMG_SIZE, why);
	KT_ASSERT(!IS_ERR(fs));
	file = lookup(fs, "file");
	KT_ASSERT(file);
	for (int i = 0; i < 4; i++) {
		r[i] = (struct racer){ .file = file };
		t[i] = thread_create(race_pages, &r[i], 0);
	}
	for (int i = 0; i < 4; i++) {
		KT_EXPECT(!IS_ERR(t[i]) && thread_join(t[i], 0) == 0 && r[i].ok);
		KT_EXPECT(r[i].pages[0] == r[0].pages[0] && r[i].pages[1] == r[0].pages[1]);
	}
	imgfs_get_stats(fs, &s);
	KT_EXPECT(s.pages_filled == 2 && s.pages_cached == 2);
	vnode_put(file);
	imgfs_get_stats(fs, &s);
	KT_EXPECT(s.pages_cached == 0);
}
