/*
 * libFuzzer target for lib/image (and lib/lz4). Each input is opened
 * twice: as it is (mostly refused by the checksums) and with both CRCs
 * recomputed, so the fuzzer reaches every semantic check. An accepted
 * image is then walked whole the way imgfs and `mote inspect` walk it:
 * every inode, every directory entry (looked up again by name), every
 * symlink target, every file block (LZ4 ones decompressed), the config
 * strings; each range must lie inside the buffer, and the walk must end
 * (directories named once, by their parent). A refusal must carry a reason.
 * The input is also fed to the LZ4 decompressor as a block.
 * Build and run: make fuzz-image (tests/fuzz/build.mk).
 */
#include <lib/errno.h>
#include <lib/image.h>
#include <lib/lz4.h>
#include <stdlib.h>
#include <string.h>

static uint8_t page[IMAGE_BLOCK_SIZE];

static void check_range(const struct image *img, uint64_t off, uint64_t len, uint64_t size)
{
	if (off > size || len > size - off || off + len > img->sb.image_size)
		abort();
}

static void walk_file(const struct image *img, const uint8_t *data, size_t size,
		      const struct image_inode *in)
{
	struct image_extent e;
	uint64_t blocks = 0;

	for (uint64_t i = 0; !image_file_extent(img, in, i, &e); i++, blocks++) {
		check_range(img, e.offset, e.stored_len, size);
		if (e.offset + e.stored_len > img->sb.meta_offset || e.len > IMAGE_BLOCK_SIZE)
			abort();
		if (!e.lz4 && e.stored_len != e.len)
			abort();
		if (e.lz4) {
			long n = lz4_decompress_block(data + e.offset, e.stored_len, page, e.len);

			if (n != -EINVAL && (n < 0 || n > (long)e.len))
				abort();
		}
	}
	if (blocks * IMAGE_BLOCK_SIZE < in->size)
		abort();
}

static void walk(const struct image *img, const uint8_t *data, size_t size)
{
	uint64_t dir_entries = 0;

	for (uint32_t i = 0; i < img->sb.nr_inodes; i++) {
		struct image_inode in;

		image_inode(img, i, &in);
		switch (in.mode & IMAGE_S_IFMT) {
		case IMAGE_S_IFREG:
			walk_file(img, data, size, &in);
			break;
		case IMAGE_S_IFLNK:
			if (!in.size || memchr(image_link_target(img, &in), 0, in.size))
				abort();
			break;
		case IMAGE_S_IFDIR:
			dir_entries += in.size;
			for (uint64_t k = 0; k < in.size; k++) {
				struct image_dirent e;
				const char *name;
				uint32_t ino;

				image_dirent(img, &in, k, &e, &name);
				if (!e.ino || e.ino >= img->sb.nr_inodes || !e.name_len ||
				    memchr(name, '/', e.name_len))
					abort();
				if (image_lookup(img, &in, name, e.name_len, &ino) || ino != e.ino)
					abort();
			}
			break;
		default:
			abort();
		}
	}
	if (dir_entries > img->sb.nr_dirents)
		abort();
}

static void try_open(const uint8_t *data, size_t size)
{
	struct image img;
	uint32_t ino;
	int ret = image_open(&img, data, size);

	if (ret) {
		if (ret != -EINVAL || !img.why[0] || strnlen(img.why, sizeof(img.why)) >= sizeof(img.why))
			abort();
		return;
	}
	walk(&img, data, size);
	image_resolve(&img, "/app/tiny", &ino);
	image_resolve(&img, "/srv/tree/sub/b", &ino);
}

/* The input with both checksums made right, if its header gives a metadata range at all. */
static void fix_crcs(uint8_t *buf, size_t size)
{
	struct image_super sb;

	if (size < sizeof(sb))
		return;
	memcpy(&sb, buf, sizeof(sb));
	if (sb.meta_offset <= size && sb.meta_size <= size - sb.meta_offset)
		sb.meta_crc = image_crc32c(0, buf + sb.meta_offset, sb.meta_size);
	sb.super_crc = 0;
	sb.super_crc = image_crc32c(0, &sb, sizeof(sb));
	memcpy(buf, &sb, sizeof(sb));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);
	long n = lz4_decompress_block(data, size, page, sizeof(page));

	if (n != -EINVAL && (n < 0 || n > (long)sizeof(page)))
		abort();
	try_open(data, size);
	memcpy(copy, data, size);
	fix_crcs(copy, size);
	try_open(copy, size);
	free(copy);
	return 0;
}
