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

/*
 * CRC-32C, reflected polynomial 0x82F63B78, a byte at a time: entry i is
 * the CRC register after shifting byte i through eight steps of the
 * polynomial division (computed once, by that definition, and pasted).
 */
static const uint32_t crc_table[256] = {
	0x00000000, 0xf26b8303, 0xe13b70f7, 0x1350f3f4, 0xc79a971f, 0x35f1141c,
	0x26a1e7e8, 0xd4ca64eb, 0x8ad958cf, 0x78b2dbcc, 0x6be22838, 0x9989ab3b,
	0x4d43cfd0, 0xbf284cd3, 0xac78bf27, 0x5e133c24, 0x105ec76f, 0xe235446c,
	0xf165b798, 0x030e349b, 0xd7c45070, 0x25afd373, 0x36ff2087, 0xc494a384,
	0x9a879fa0, 0x68ec1ca3, 0x7bbcef57, 0x89d76c54, 0x5d1d08bf, 0xaf768bbc,
	0xbc267848, 0x4e4dfb4b, 0x20bd8ede, 0xd2d60ddd, 0xc186fe29, 0x33ed7d2a,
	0xe72719c1, 0x154c9ac2, 0x061c6936, 0xf477ea35, 0xaa64d611, 0x580f5512,
	0x4b5fa6e6, 0xb93425e5, 0x6dfe410e, 0x9f95c20d, 0x8cc531f9, 0x7eaeb2fa,
	0x30e349b1, 0xc288cab2, 0xd1d83946, 0x23b3ba45, 0xf779deae, 0x05125dad,
	0x1642ae59, 0xe4292d5a, 0xba3a117e, 0x4851927d, 0x5b016189, 0xa96ae28a,
	0x7da08661, 0x8fcb0562, 0x9c9bf696, 0x6ef07595, 0x417b1dbc, 0xb3109ebf,
	0xa0406d4b, 0x522bee48, 0x86e18aa3, 0x748a09a0, 0x67dafa54, 0x95b17957,
	0xcba24573, 0x39c9c670, 0x2a993584, 0xd8f2b687, 0x0c38d26c, 0xfe53516f,
	0xed03a29b, 0x1f682198, 0x5125dad3, 0xa34e59d0, 0xb01eaa24, 0x42752927,
	0x96bf4dcc, 0x64d4cecf, 0x77843d3b, 0x85efbe38, 0xdbfc821c, 0x2997011f,
	0x3ac7f2eb, 0xc8ac71e8, 0x1c661503, 0xee0d9600, 0xfd5d65f4, 0x0f36e6f7,
	0x61c69362, 0x93ad1061, 0x80fde395, 0x72966096, 0xa65c047d, 0x5437877e,
	0x4767748a, 0xb50cf789, 0xeb1fcbad, 0x197448ae, 0x0a24bb5a, 0xf84f3859,
	0x2c855cb2, 0xdeeedfb1, 0xcdbe2c45, 0x3fd5af46, 0x7198540d, 0x83f3d70e,
	0x90a324fa, 0x62c8a7f9, 0xb602c312, 0x44694011, 0x5739b3e5, 0xa55230e6,
	0xfb410cc2, 0x092a8fc1, 0x1a7a7c35, 0xe811ff36, 0x3cdb9bdd, 0xceb018de,
	0xdde0eb2a, 0x2f8b6829, 0x82f63b78, 0x709db87b, 0x63cd4b8f, 0x91a6c88c,
	0x456cac67, 0xb7072f64, 0xa457dc90, 0x563c5f93, 0x082f63b7, 0xfa44e0b4,
	0xe9141340, 0x1b7f9043, 0xcfb5f4a8, 0x3dde77ab, 0x2e8e845f, 0xdce5075c,
	0x92a8fc17, 0x60c37f14, 0x73938ce0, 0x81f80fe3, 0x55326b08, 0xa759e80b,
	0xb4091bff, 0x466298fc, 0x1871a4d8, 0xea1a27db, 0xf94ad42f, 0x0b21572c,
	0xdfeb33c7, 0x2d80b0c4, 0x3ed04330, 0xccbbc033, 0xa24bb5a6, 0x502036a5,
	0x4370c551, 0xb11b4652, 0x65d122b9, 0x97baa1ba, 0x84ea524e, 0x7681d14d,
	0x2892ed69, 0xdaf96e6a, 0xc9a99d9e, 0x3bc21e9d, 0xef087a76, 0x1d63f975,
	0x0e330a81, 0xfc588982, 0xb21572c9, 0x407ef1ca, 0x532e023e, 0xa145813d,
	0x758fe5d6, 0x87e466d5, 0x94b49521, 0x66df1622, 0x38cc2a06, 0xcaa7a905,
	0xd9f75af1, 0x2b9cd9f2, 0xff56bd19, 0x0d3d3e1a, 0x1e6dcdee, 0xec064eed,
	0xc38d26c4, 0x31e6a5c7, 0x22b65633, 0xd0ddd530, 0x0417b1db, 0xf67c32d8,
	0xe52cc12c, 0x1747422f, 0x49547e0b, 0xbb3ffd08, 0xa86f0efc, 0x5a048dff,
	0x8ecee914, 0x7ca56a17, 0x6ff599e3, 0x9d9e1ae0, 0xd3d3e1ab, 0x21b862a8,
	0x32e8915c, 0xc083125f, 0x144976b4, 0xe622f5b7, 0xf5720643, 0x07198540,
	0x590ab964, 0xab613a67, 0xb831c993, 0x4a5a4a90, 0x9e902e7b, 0x6cfbad78,
	0x7fab5e8c, 0x8dc0dd8f, 0xe330a81a, 0x115b2b19, 0x020bd8ed, 0xf0605bee,
	0x24aa3f05, 0xd6c1bc06, 0xc5914ff2, 0x37faccf1, 0x69e9f0d5, 0x9b8273d6,
	0x88d28022, 0x7ab90321, 0xae7367ca, 0x5c18e4c9, 0x4f48173d, 0xbd23943e,
	0xf36e6f75, 0x0105ec76, 0x12551f82, 0xe03e9c81, 0x34f4f86a, 0xc69f7b69,
	0xd5cf889d, 0x27a40b9e, 0x79b737ba, 0x8bdcb4b9, 0x988c474d, 0x6ae7c44e,
	0xbe2da0a5, 0x4c4623a6, 0x5f16d052, 0xad7d5351
};

uint32_t image_crc32c(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;

	crc = ~crc;
	while (len--)
		crc = (crc >> 8) ^ crc_table[(crc ^ *p++) & 0xff];
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
