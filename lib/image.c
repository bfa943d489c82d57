/*
 * lib/image: the validating reader of a mote disk image (include/lib/image.h
 * says what is checked, include/abi/image.h and docs/image-format.md what
 * the fields mean). Fields are copied out with memcpy (the buffers may sit
 * at any alignment); little-endian is the host's order on x86-64, the only
 * target. Every range check is written "length <= what is left" so that no
 * sum of untrusted numbers can wrap.
 */
#include <lib/errno.h>
#include <lib/fmt.h>
#include <lib/image.h>
#include <lib/string.h>

/* CRC-32C, reflected polynomial 0x82F63B78, four bits at a time. */
static const uint32_t crc_nibble[16] = {
	0x00000000, 0x105ec76f, 0x20bd8ede, 0x30e349b1, 0x417b1dbc, 0x5125dad3,
	0x61c69362, 0x7198540d, 0x82f63b78, 0x92a8fc17, 0xa24bb5a6, 0xb21572c9,
	0xc38d26c4, 0xd3d3e1ab, 0xe330a81a, 0xf36e6f75,
};

uint32_t image_crc32c(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;

	crc = ~crc;
	while (len--) {
		crc ^= *p++;
		crc = (crc >> 4) ^ crc_nibble[crc & 15];
		crc = (crc >> 4) ^ crc_nibble[crc & 15];
	}
	return ~crc;
}

static int refuse(struct image *img, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int refuse(struct image *img, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(img->why, sizeof(img->why), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* off + len <= size, without wrapping. */
static bool inside(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		if (*b++)
			return false;
	return true;
}

bool image_has_magic(const void *data, size_t len)
{
	return len >= 8 && !memcmp(data, IMAGE_MAGIC, 8);
}

/* The metadata's size for the counts in sb (at most a few GiB: no wrap in u64). */
static uint64_t meta_layout_size(const struct image_super *sb)
{
	return (uint64_t)sb->nr_inodes * sizeof(struct image_inode) +
	       (uint64_t)sb->nr_dirents * sizeof(struct image_dirent) +
	       (uint64_t)sb->nr_blocks * sizeof(struct image_block) +
	       sizeof(struct image_config) + sb->strings_size;
}

static int check_super_fields(struct image *img, uint64_t disk_size)
{
	const struct image_super *sb = &img->sb;
	const uint64_t bs = IMAGE_BLOCK_SIZE;

	if (sb->flags || sb->pad || !all_zero(sb->reserved, sizeof(sb->reserved)))
		return refuse(img, "image superblock has unknown flags or nonzero reserved fields");
	if (!sb->image_size || sb->image_size % bs)
		return refuse(img, "image size %lu is not a positive multiple of %lu",
			      (unsigned long)sb->image_size, (unsigned long)bs);
	if (sb->image_size > disk_size)
		return refuse(img, "image truncated: it says %lu bytes, the disk has %lu",
			      (unsigned long)sb->image_size, (unsigned long)disk_size);
	if (sb->meta_offset < bs || sb->meta_offset % bs ||
	    !inside(sb->meta_offset, sb->meta_size, sb->image_size))
		return refuse(img, "image metadata at %lu+%lu lies outside the image (%lu bytes)",
			      (unsigned long)sb->meta_offset, (unsigned long)sb->meta_size,
			      (unsigned long)sb->image_size);
	if (!sb->nr_inodes || sb->nr_inodes > IMAGE_MAX_INODES || sb->meta_size > IMAGE_MAX_META)
		return refuse(img, "image has %u inodes and %lu bytes of metadata (limits %u, %lu)",
			      sb->nr_inodes, (unsigned long)sb->meta_size, IMAGE_MAX_INODES,
			      (unsigned long)IMAGE_MAX_META);
	if (meta_layout_size(sb) != sb->meta_size)
		return refuse(img, "image metadata is %lu bytes, its counts need %lu",
			      (unsigned long)sb->meta_size, (unsigned long)meta_layout_size(sb));
	return 0;
}

int image_check_super(struct image *img, const void *data, size_t len, uint64_t disk_size)
{
	struct image_super *sb = &img->sb;
	uint32_t crc;

	memset(img, 0, sizeof(*img));
	if (!image_has_magic(data, len < disk_size ? len : disk_size) &&
	    (len >= 8 && disk_size >= 8))
		return refuse(img, "not a mote image (bad magic)");
	if (len < sizeof(*sb) || disk_size < sizeof(*sb))
		return refuse(img, "disk of %lu bytes is too short for an image superblock",
			      (unsigned long)(len < disk_size ? len : disk_size));
	memcpy(sb, data, sizeof(*sb));
	if (memcmp(sb->magic, IMAGE_MAGIC, sizeof(sb->magic)))
		return refuse(img, "not a mote image (bad magic)");
	if (sb->version != IMAGE_VERSION || sb->super_size != sizeof(*sb))
		return refuse(img, "image version %u (superblock %u bytes) is not supported (want %u)",
			      sb->version, sb->super_size, IMAGE_VERSION);
	crc = sb->super_crc;
	sb->super_crc = 0;
	if (image_crc32c(0, sb, sizeof(*sb)) != crc)
		return refuse(img, "image superblock checksum mismatch (corrupted)");
	sb->super_crc = crc;
	return check_super_fields(img, disk_size);
}

/* ---- Metadata ---------------------------------------------------------------------- */

static uint32_t inode_type(const struct image_inode *in)
{
	return in->mode & IMAGE_S_IFMT;
}

void image_inode(const struct image *img, uint32_t ino, struct image_inode *out)
{
	memcpy(out, img->inodes + (uint64_t)ino * sizeof(*out), sizeof(*out));
}

static void raw_dirent(const struct image *img, uint64_t index, struct image_dirent *out)
{
	memcpy(out, img->dirents + index * sizeof(*out), sizeof(*out));
}

static void raw_block(const struct image *img, uint64_t index, struct image_block *out)
{
	memcpy(out, img->blocks + index * sizeof(*out), sizeof(*out));
}

const char *image_string(const struct image *img, uint32_t off)
{
	return (const char *)img->strings + off;
}

/* An absolute path of 1 .. IMAGE_PATH_MAX-1 bytes, no NUL, no empty/"."/".." components. */
static const char *path_problem(const char *p, uint32_t len)
{
	if (!len || len >= IMAGE_PATH_MAX)
		return "has a bad length";
	if (p[0] != '/')
		return "is not absolute";
	if (memchr(p, 0, len))
		return "holds a NUL";
	for (uint32_t i = 1; i < len;) {
		uint32_t end = i;

		while (end < len && p[end] != '/')
			end++;
		if (end == i || (end - i == 1 && p[i] == '.') ||
		    (end - i == 2 && p[i] == '.' && p[i + 1] == '.'))
			return "has an empty, '.' or '..' component";
		i = end + 1;
	}
	return NULL;
}

/* argc/envc NUL-terminated strings filling exactly len bytes. */
static bool string_list_ok(const uint8_t *p, uint32_t len, uint32_t count)
{
	uint32_t nuls = 0;

	if (count > IMAGE_MAX_STRINGS || (len == 0) != (count == 0) || (len && p[len - 1]))
		return false;
	for (uint32_t i = 0; i < len; i++)
		nuls += !p[i];
	return nuls == count;
}

static int check_config(struct image *img)
{
	const struct image_config *c = &img->config;
	uint32_t ss = img->sb.strings_size;
	const char *problem;

	if (!all_zero(c->reserved, sizeof(c->reserved)))
		return refuse(img, "image config has nonzero reserved fields");
	if (!inside(c->argv_off, c->argv_len, ss) || !inside(c->env_off, c->env_len, ss) ||
	    !inside(c->exec_off, c->exec_len, ss) || !inside(c->cwd_off, c->cwd_len, ss))
		return refuse(img, "image config names strings outside the string table");
	if (!c->argc || !string_list_ok(img->strings + c->argv_off, c->argv_len, c->argc))
		return refuse(img, "image config: argv is not %u NUL-terminated strings", c->argc);
	if (!string_list_ok(img->strings + c->env_off, c->env_len, c->envc))
		return refuse(img, "image config: env is not %u NUL-terminated strings", c->envc);
	if ((problem = path_problem(image_string(img, c->exec_off), c->exec_len)))
		return refuse(img, "image config: the program path %s", problem);
	if ((problem = path_problem(image_string(img, c->cwd_off), c->cwd_len)))
		return refuse(img, "image config: the working directory %s", problem);
	return 0;
}

static int check_file(struct image *img, uint32_t ino, const struct image_inode *in)
{
	uint64_t data_end = img->sb.meta_offset, nblocks, padded;

	if (!(in->flags & IMAGE_INODE_LZ4)) {
		padded = (in->size + IMAGE_BLOCK_SIZE - 1) / IMAGE_BLOCK_SIZE * IMAGE_BLOCK_SIZE;
		if (!in->size && !in->data)
			return 0;
		if (in->size > data_end || in->data % IMAGE_BLOCK_SIZE || in->data < IMAGE_BLOCK_SIZE ||
		    !inside(in->data, padded, data_end))
			return refuse(img, "inode %u: %lu bytes at %lu lie outside the data area "
				      "(%lu bytes) or off a block boundary", ino,
				      (unsigned long)in->size, (unsigned long)in->data,
				      (unsigned long)data_end);
		return 0;
	}
	nblocks = in->size / IMAGE_BLOCK_SIZE + (in->size % IMAGE_BLOCK_SIZE != 0);
	if (!inside(in->data, nblocks, img->sb.nr_blocks))
		return refuse(img, "inode %u: %lu bytes need %lu blocks from block %lu, the image has %u",
			      ino, (unsigned long)in->size, (unsigned long)nblocks,
			      (unsigned long)in->data, img->sb.nr_blocks);
	for (uint64_t i = 0; i < nblocks; i++) {
		struct image_block b;
		uint64_t len = i + 1 < nblocks ? IMAGE_BLOCK_SIZE : in->size - i * IMAGE_BLOCK_SIZE;

		raw_block(img, in->data + i, &b);
		if (b.flags & ~IMAGE_BLOCK_LZ4 || !b.stored_len || b.stored_len > IMAGE_BLOCK_SIZE ||
		    (!(b.flags & IMAGE_BLOCK_LZ4) && b.stored_len != len) ||
		    b.offset < IMAGE_BLOCK_SIZE || !inside(b.offset, b.stored_len, data_end))
			return refuse(img, "inode %u: block %lu (%u bytes at %lu) is malformed or "
				      "outside the data area", ino, (unsigned long)i, b.stored_len,
				      (unsigned long)b.offset);
	}
	return 0;
}

static int check_inode(struct image *img, uint32_t ino)
{
	struct image_inode in, parent;
	uint32_t type;

	image_inode(img, ino, &in);
	type = inode_type(&in);
	if (type != IMAGE_S_IFREG && type != IMAGE_S_IFDIR && type != IMAGE_S_IFLNK)
		return refuse(img, "inode %u: mode %#o is not a file, directory or symlink", ino,
			      in.mode);
	if (in.mode & ~(IMAGE_S_IFMT | IMAGE_MODE_BITS) || in.reserved || in.reserved2 ||
	    !in.nlink || in.mtime_nsec >= 1000000000u)
		return refuse(img, "inode %u: bad mode, link count, time or reserved field", ino);
	if (in.flags & ~IMAGE_INODE_LZ4 || (in.flags && type != IMAGE_S_IFREG) ||
	    (in.parent && type != IMAGE_S_IFDIR))
		return refuse(img, "inode %u: flags %#x or parent %u do not fit its type", ino,
			      in.flags, in.parent);
	if (ino == 0 && (type != IMAGE_S_IFDIR || in.parent))
		return refuse(img, "inode 0 (the root) is not a directory that is its own parent");
	switch (type) {
	case IMAGE_S_IFREG:
		return check_file(img, ino, &in);
	case IMAGE_S_IFLNK:
		if (!in.size || in.size >= IMAGE_PATH_MAX ||
		    !inside(in.data, in.size, img->sb.strings_size) ||
		    memchr(img->strings + in.data, 0, in.size))
			return refuse(img, "inode %u: symlink target (%lu bytes at %lu) is malformed",
				      ino, (unsigned long)in.size, (unsigned long)in.data);
		return 0;
	}
	if (!inside(in.data, in.size, img->sb.nr_dirents))
		return refuse(img, "inode %u: %lu entries from %lu run past the %u entries", ino,
			      (unsigned long)in.size, (unsigned long)in.data, img->sb.nr_dirents);
	if (ino && in.parent >= ino)
		return refuse(img, "inode %u: directory's parent %u is not numbered before it",
			      ino, in.parent);
	image_inode(img, in.parent, &parent);
	if (inode_type(&parent) != IMAGE_S_IFDIR)
		return refuse(img, "inode %u: parent %u is not a directory", ino, in.parent);
	return 0;
}

static bool name_ok(const char *name, uint32_t len)
{
	return len && len <= IMAGE_NAME_MAX && !memchr(name, '/', len) && !memchr(name, 0, len) &&
	       !(len == 1 && name[0] == '.') && !(len == 2 && name[0] == '.' && name[1] == '.');
}

/* Bytewise order, a proper prefix first: <0, 0, >0. */
static int name_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	return c ? c : (alen > blen) - (alen < blen);
}

static unsigned dtype_of(uint32_t mode)
{
	switch (mode & IMAGE_S_IFMT) {
	case IMAGE_S_IFDIR:
		return IMAGE_DT_DIR;
	case IMAGE_S_IFLNK:
		return IMAGE_DT_LNK;
	}
	return IMAGE_DT_REG;
}

static int check_entry(struct image *img, uint32_t dir, const struct image_dirent *e,
		       uint32_t *last_dir_child)
{
	struct image_inode child;

	if (e->reserved || e->reserved2 || !inside(e->name_off, e->name_len, img->sb.strings_size) ||
	    !name_ok(image_string(img, e->name_off), e->name_len))
		return refuse(img, "directory %u: an entry has a bad name or reserved field", dir);
	if (!e->ino || e->ino >= img->sb.nr_inodes)
		return refuse(img, "directory %u: entry '%.*s' names inode %u (of %u)", dir,
			      (int)e->name_len, image_string(img, e->name_off), e->ino,
			      img->sb.nr_inodes);
	image_inode(img, e->ino, &child);
	if (e->type != dtype_of(child.mode))
		return refuse(img, "directory %u: entry '%.*s' has type %u, its inode %u another",
			      dir, (int)e->name_len, image_string(img, e->name_off), e->type, e->ino);
	if (e->type != IMAGE_DT_DIR)
		return 0;
	/* A directory is named once, by its parent: with parent < child, no loop can form. */
	if (child.parent != dir || e->ino <= *last_dir_child)
		return refuse(img, "directory %u: entry '%.*s' names directory %u, which is not its "
			      "own child or is named twice (a loop?)", dir, (int)e->name_len,
			      image_string(img, e->name_off), e->ino);
	*last_dir_child = e->ino;
	return 0;
}

static int check_directory(struct image *img, uint32_t dir, uint64_t *entries_seen)
{
	struct image_inode in;
	struct image_dirent e, prev = { 0 };
	uint32_t last_dir_child = 0;
	int ret;

	image_inode(img, dir, &in);
	if (inode_type(&in) != IMAGE_S_IFDIR)
		return 0;
	/* Bounds the total work: overlapping ranges cannot make it quadratic. */
	*entries_seen += in.size;
	if (*entries_seen > img->sb.nr_dirents)
		return refuse(img, "directories list %lu entries, more than the %u there are",
			      (unsigned long)*entries_seen, img->sb.nr_dirents);
	for (uint64_t i = 0; i < in.size; i++) {
		raw_dirent(img, in.data + i, &e);
		if ((ret = check_entry(img, dir, &e, &last_dir_child)))
			return ret;
		if (i && name_cmp(image_string(img, prev.name_off), prev.name_len,
				  image_string(img, e.name_off), e.name_len) >= 0)
			return refuse(img, "directory %u: entries are not sorted or not unique at '%.*s'",
				      dir, (int)e.name_len, image_string(img, e.name_off));
		prev = e;
	}
	return 0;
}

int image_open_meta(struct image *img, const void *meta, uint64_t len)
{
	const struct image_super *sb = &img->sb;
	uint64_t entries = 0;
	int ret;

	if (len != sb->meta_size)
		return refuse(img, "image metadata is %lu bytes, the superblock says %lu",
			      (unsigned long)len, (unsigned long)sb->meta_size);
	if (image_crc32c(0, meta, len) != sb->meta_crc)
		return refuse(img, "image metadata checksum mismatch (corrupted)");
	img->meta = meta;
	img->inodes = img->meta;
	img->dirents = img->inodes + (uint64_t)sb->nr_inodes * sizeof(struct image_inode);
	img->blocks = img->dirents + (uint64_t)sb->nr_dirents * sizeof(struct image_dirent);
	memcpy(&img->config, img->blocks + (uint64_t)sb->nr_blocks * sizeof(struct image_block),
	       sizeof(img->config));
	img->strings = img->blocks + (uint64_t)sb->nr_blocks * sizeof(struct image_block) +
		       sizeof(struct image_config);
	if ((ret = check_config(img)))
		return ret;
	for (uint32_t i = 0; i < sb->nr_inodes; i++)
		if ((ret = check_inode(img, i)))
			return ret;
	for (uint32_t i = 0; i < sb->nr_inodes; i++)
		if ((ret = check_directory(img, i, &entries)))
			return ret;
	return 0;
}

int image_open(struct image *img, const void *data, uint64_t size)
{
	int ret = image_check_super(img, data, size, size);

	if (ret)
		return ret;
	return image_open_meta(img, (const uint8_t *)data + img->sb.meta_offset, img->sb.meta_size);
}

/* ---- Accessors --------------------------------------------------------------------- */

void image_dirent(const struct image *img, const struct image_inode *dir, uint64_t index,
		  struct image_dirent *out, const char **name)
{
	raw_dirent(img, dir->data + index, out);
	*name = image_string(img, out->name_off);
}

int image_find(const struct image *img, const struct image_inode *dir, const char *name,
	       size_t len, uint64_t *index)
{
	uint64_t lo = 0, hi = dir->size;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		struct image_dirent e;
		const char *n;
		int c;

		image_dirent(img, dir, mid, &e, &n);
		c = name_cmp(name, len, n, e.name_len);
		if (!c) {
			*index = mid;
			return 0;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -ENOENT;
}

int image_lookup(const struct image *img, const struct image_inode *dir, const char *name,
		 size_t len, uint32_t *ino)
{
	struct image_dirent e;
	const char *n;
	uint64_t index;

	if (image_find(img, dir, name, len, &index))
		return -ENOENT;
	image_dirent(img, dir, index, &e, &n);
	*ino = e.ino;
	return 0;
}

int image_resolve(const struct image *img, const char *path, uint32_t *ino)
{
	struct image_inode in;
	uint32_t cur = 0;

	while (*path) {
		size_t len;
		int ret;

		while (*path == '/')
			path++;
		if (!*path)
			break;
		for (len = 0; path[len] && path[len] != '/'; len++)
			;
		image_inode(img, cur, &in);
		if (inode_type(&in) != IMAGE_S_IFDIR)
			return -ENOTDIR;
		if ((ret = image_lookup(img, &in, path, len, &cur)))
			return ret;
		path += len;
	}
	*ino = cur;
	return 0;
}

const char *image_link_target(const struct image *img, const struct image_inode *lnk)
{
	return image_string(img, (uint32_t)lnk->data);
}

int image_file_extent(const struct image *img, const struct image_inode *in, uint64_t index,
		      struct image_extent *out)
{
	uint64_t nblocks = in->size / IMAGE_BLOCK_SIZE + (in->size % IMAGE_BLOCK_SIZE != 0);
	struct image_block b;

	if (index >= nblocks)
		return -EINVAL;
	out->len = index + 1 < nblocks ? IMAGE_BLOCK_SIZE
				       : (uint32_t)(in->size - index * IMAGE_BLOCK_SIZE);
	if (!(in->flags & IMAGE_INODE_LZ4)) {
		*out = (struct image_extent){ .offset = in->data + index * IMAGE_BLOCK_SIZE,
					      .stored_len = out->len, .len = out->len };
		return 0;
	}
	raw_block(img, in->data + index, &b);
	out->offset = b.offset;
	out->stored_len = b.stored_len;
	out->lz4 = b.flags & IMAGE_BLOCK_LZ4;
	return 0;
}
