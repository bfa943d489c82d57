/*
 * lib/image: the one validating reader of a mote disk image
 * (include/abi/image.h), shared by the kernel's imgfs, `mote inspect`,
 * `mote build` (which reads back what it wrote), the unit tests and the
 * fuzzer (tests/fuzz/fuzz_image.c).
 *
 * The image is untrusted. Opening it checks everything the other calls
 * rely on, once, before anything is used: the superblock and its CRC, that
 * the metadata lies inside the image and has exactly the size its counts
 * give, the metadata CRC, the config record, and every inode and directory
 * entry (types, modes, reserved fields, data ranges inside the data area,
 * string ranges inside the strings, names well formed and sorted, entry
 * types agreeing with inodes, directories reached only from their recorded
 * parent, which has a smaller number, so no directory can contain itself).
 * The work is linear in the metadata size whatever the image says. After
 * a successful open, the accessors below cannot read outside the metadata
 * or hand out a range outside the image, and need no further checks. The
 * only thing left to check later is the contents of LZ4 blocks, which
 * lib/lz4 does when a block is decompressed (a bad one is an I/O error).
 *
 * Opening is two steps so the kernel need not hold the whole disk in
 * memory: image_check_super() on the first block, then image_open_meta()
 * on the metadata read from the disk. image_open() does both on an image
 * in memory. A refusal is -EINVAL with one sentence in img->why.
 *
 * Freestanding: lib/string and lib/fmt only; no allocation. The metadata
 * buffer stays the caller's and must outlive the struct image.
 */
#ifndef LIB_IMAGE_H
#define LIB_IMAGE_H

#include <abi/image.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IMAGE_WHY_MAX 160

struct image {
	struct image_super sb;		/* copied from the disk, checked */
	struct image_config config;	/* copied, checked */
	const uint8_t *meta;		/* sb.meta_size bytes, the caller's */
	const uint8_t *inodes, *dirents, *blocks, *strings;
	char why[IMAGE_WHY_MAX];	/* the refusal, when a call returned -EINVAL */
};

/* CRC-32C (Castagnoli), as the format uses it: crc 0 to start, chain by passing the result. */
uint32_t image_crc32c(uint32_t crc, const void *data, size_t len);

/* Whether the len bytes at data start with the image magic (len may be short: then false). */
bool image_has_magic(const void *data, size_t len);

/*
 * Checks the superblock in the first len bytes of a disk of disk_size bytes
 * (len >= sizeof(struct image_super)) and keeps a copy in img. 0 or -EINVAL.
 */
int image_check_super(struct image *img, const void *data, size_t len, uint64_t disk_size);

/* Checks the metadata (len bytes, read from sb.meta_offset) after image_check_super(). */
int image_open_meta(struct image *img, const void *meta, uint64_t len);

/* Both, on a whole image of size bytes in memory. */
int image_open(struct image *img, const void *data, uint64_t size);

/* ---- After a successful open ------------------------------------------------------- */

/* Inode ino (< sb.nr_inodes). */
void image_inode(const struct image *img, uint32_t ino, struct image_inode *out);

/* Entry index (< the directory's size) of directory inode dir; *name points into the strings. */
void image_dirent(const struct image *img, const struct image_inode *dir, uint64_t index,
		  struct image_dirent *out, const char **name);

/* Binary search in directory dir: 0 with the entry's *index (for image_dirent), or -ENOENT. */
int image_find(const struct image *img, const struct image_inode *dir, const char *name,
	       size_t len, uint64_t *index);

/* The same, giving the inode named: 0 with *ino, or -ENOENT. */
int image_lookup(const struct image *img, const struct image_inode *dir, const char *name,
		 size_t len, uint32_t *ino);

/*
 * Walks an absolute path from the root without following symlinks (for the
 * host tools and tests): 0 with *ino, -ENOENT, -ENOTDIR.
 */
int image_resolve(const struct image *img, const char *path, uint32_t *ino);

/* A symlink's target (not NUL-terminated; inode size bytes). */
const char *image_link_target(const struct image *img, const struct image_inode *lnk);

/* The config's strings (not NUL-terminated unless said). */
const char *image_string(const struct image *img, uint32_t off);

/*
 * Where block `index` (of 4 KiB) of regular file `in` lives: the bytes
 * stored at offset on the disk, stored_len of them, and whether they are
 * an LZ4 block decompressing to `len` bytes (else stored_len == len). len
 * is 4096 except for the last block. -EINVAL when index is past the end.
 */
struct image_extent {
	uint64_t offset;
	uint32_t stored_len;
	uint32_t len;
	bool lz4;
};
int image_file_extent(const struct image *img, const struct image_inode *in, uint64_t index,
		      struct image_extent *out);

#endif
