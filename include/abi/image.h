/*
 * The mote disk image: a read-only filesystem written by `mote build` and
 * mounted by the kernel's imgfs (fs/imgfs.c) as the root. This header is
 * the whole format; docs/image-format.md explains it field by field with
 * the validation rules, and lib/image.c is the one reader (kernel, `mote
 * inspect`, the unit tests and the fuzzer all use it).
 *
 * All fields are little-endian and fixed-width. The image is a whole
 * number of 4 KiB blocks:
 *
 *   block 0                 the superblock (struct image_super), zero-padded
 *   [4096, meta_offset)     file data: each uncompressed file starts on a
 *                           block boundary and is zero-padded to one, so
 *                           the kernel can read a file page straight into a
 *                           page-cache page and map it; LZ4 blocks are
 *                           packed back to back, unaligned
 *   [meta_offset, +meta_size)  the metadata, in this order, each part at
 *                           an offset that is a multiple of 8:
 *                             nr_inodes  struct image_inode   (inode i at i)
 *                             nr_dirents struct image_dirent  (directories' entries)
 *                             nr_blocks  struct image_block   (LZ4 files' blocks)
 *                             one struct image_config         (what to run)
 *                             strings_size bytes of strings   (names, link targets,
 *                                                              argv, env, paths)
 *   up to image_size        zero padding to a block boundary
 *
 * The metadata is covered by a CRC-32C (meta_crc), the superblock by its
 * own (super_crc, computed with that field zero). Inode 0 is the root
 * directory. Directory entries of one directory are contiguous and sorted
 * by name (bytewise, a shorter prefix first) for binary search. A
 * directory's parent has a smaller inode number than it: the writer
 * numbers breadth-first, and the reader relies on it to rule out loops.
 */
#ifndef ABI_IMAGE_H
#define ABI_IMAGE_H

#include <stdint.h>

#define IMAGE_MAGIC      "MOTEIMG\x1a"	/* 8 bytes, no NUL */
#define IMAGE_VERSION    1
#define IMAGE_BLOCK_SIZE 4096u
#define IMAGE_NAME_MAX   255u		/* bytes in one name */
#define IMAGE_PATH_MAX   4096u		/* a path or link target is shorter than this */

/* Limits the reader enforces, so a hostile header cannot make the kernel allocate absurdly. */
#define IMAGE_MAX_INODES  (1u << 24)
#define IMAGE_MAX_META    (1ull << 30)
#define IMAGE_MAX_STRINGS 4096u		/* argv and env entries each */

struct image_super {
	char magic[8];		/* IMAGE_MAGIC */
	uint32_t version;	/* IMAGE_VERSION */
	uint32_t super_size;	/* sizeof(struct image_super) */
	uint64_t image_size;	/* bytes, a multiple of IMAGE_BLOCK_SIZE; the disk may be larger */
	uint64_t meta_offset;	/* a multiple of IMAGE_BLOCK_SIZE, >= IMAGE_BLOCK_SIZE */
	uint64_t meta_size;	/* exactly the size of the parts listed above */
	uint32_t nr_inodes;	/* >= 1 (the root) */
	uint32_t nr_dirents;
	uint32_t nr_blocks;
	uint32_t strings_size;
	uint32_t meta_crc;	/* CRC-32C of the meta_size bytes at meta_offset */
	uint32_t flags;		/* 0 */
	uint64_t reserved[4];	/* 0 */
	uint32_t pad;		/* 0 */
	uint32_t super_crc;	/* CRC-32C of this struct with super_crc = 0 */
};

_Static_assert(sizeof(struct image_super) == 104, "image_super layout");

/* Inode types: the S_IFMT bits of mode. */
#define IMAGE_S_IFMT  0170000u
#define IMAGE_S_IFDIR 0040000u
#define IMAGE_S_IFREG 0100000u
#define IMAGE_S_IFLNK 0120000u
#define IMAGE_MODE_BITS 07777u

/* image_inode.flags */
#define IMAGE_INODE_LZ4 1u	/* regular file stored as image_blocks */

struct image_inode {
	uint32_t mode;		/* one IMAGE_S_IF* type | permission bits (07777) */
	uint32_t uid, gid;
	uint32_t nlink;		/* >= 1 */
	/*
	 * REG: the file's size in bytes. DIR: its number of entries. LNK: the
	 * target's length (1 .. IMAGE_PATH_MAX - 1).
	 */
	uint64_t size;
	int64_t mtime_sec;
	uint32_t mtime_nsec;	/* < 1,000,000,000 */
	uint32_t flags;		/* IMAGE_INODE_LZ4 on REG only */
	/*
	 * REG: the byte offset of the contents (a multiple of the block size;
	 * 0 for an empty file), or with IMAGE_INODE_LZ4 the index of its first
	 * image_block (size rounded up to blocks of them follow). DIR: the
	 * index of its first image_dirent. LNK: the target's offset in the
	 * strings.
	 */
	uint64_t data;
	uint32_t parent;	/* DIR: the parent directory's inode (the root: 0); else 0 */
	uint32_t reserved;	/* 0 */
	uint64_t reserved2;	/* 0 */
};

_Static_assert(sizeof(struct image_inode) == 64, "image_inode layout");

/* image_dirent.type: the d_type getdents reports. */
#define IMAGE_DT_DIR 4
#define IMAGE_DT_REG 8
#define IMAGE_DT_LNK 10

struct image_dirent {
	uint32_t ino;		/* the inode named (never 0, the root) */
	uint32_t name_off;	/* in the strings */
	uint16_t name_len;	/* 1 .. IMAGE_NAME_MAX; no '/' or NUL, not "." or ".." */
	uint8_t type;		/* IMAGE_DT_*, agreeing with the inode's mode */
	uint8_t reserved;	/* 0 */
	uint32_t reserved2;	/* 0 */
};

_Static_assert(sizeof(struct image_dirent) == 16, "image_dirent layout");

/* image_block.flags */
#define IMAGE_BLOCK_LZ4 1u	/* an LZ4 block (the LZ4 block format); else stored raw */

/*
 * Block i of an LZ4 file holds its bytes [i * 4096, min(size, (i + 1) * 4096)):
 * stored_len bytes at offset, decompressing to exactly that many (a raw block
 * stores exactly that many).
 */
struct image_block {
	uint64_t offset;	/* in the data area */
	uint32_t stored_len;	/* 1 .. IMAGE_BLOCK_SIZE */
	uint32_t flags;		/* IMAGE_BLOCK_LZ4 or 0 */
};

_Static_assert(sizeof(struct image_block) == 16, "image_block layout");

/*
 * What the kernel runs. Each string reference is an offset and a length in
 * the strings. argv and env are argc and envc NUL-terminated strings back to
 * back (argv_len / env_len bytes in all, the last byte a NUL; env may be
 * empty); exec and cwd are absolute paths without a NUL.
 */
struct image_config {
	uint32_t argc;		/* >= 1 */
	uint32_t envc;
	uint32_t argv_off, argv_len;
	uint32_t env_off, env_len;
	uint32_t exec_off, exec_len;	/* the program file */
	uint32_t cwd_off, cwd_len;	/* the working directory */
	uint32_t reserved[6];		/* 0 */
};

_Static_assert(sizeof(struct image_config) == 64, "image_config layout");

#endif
