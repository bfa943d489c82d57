/*
 * fs/ramfs.h: ramfs's pieces (fs/ramfs.c: instances, vnodes and the
 * namespace; fs/ramfs_data.c: file contents).
 *
 * Every byte ramfs allocates (vnodes, entries, symlink targets, index
 * nodes, data blocks) is charged to its instance first, so an instance
 * with a size limit says -ENOSPC when it is full, and a failed allocation
 * is -ENOMEM; neither leaves anything half-done.
 */
#ifndef FS_RAMFS_H
#define FS_RAMFS_H

#include <lib/rbtree.h>
#include <mote/vfs.h>

#define RAMFS_BLOCK 4096u
#define RAMFS_FANOUT (RAMFS_BLOCK / sizeof(void *))	/* 512 slots per index node */

struct ramfs {
	struct vfs_fs fs;
	uint64_t max_bytes;	/* 0: no limit */
	struct ramfs_stats stats;	/* atomic counters */
};

/* A file's contents: a radix tree of blocks (ramfs_data.c). */
struct ramfs_data {
	void *root;		/* height 0: the block itself; else an index node */
	unsigned height;	/* the tree covers RAMFS_FANOUT^height blocks */
	uint64_t nblocks;	/* data blocks present */
};

struct ramfs_dir {
	struct rb_tree by_name;
	struct rb_tree by_cookie;
	uint64_t next_cookie;	/* positions 0 and 1 are "." and ".." */
};

struct ramfs_node {
	struct vnode vn;
	union {
		struct ramfs_data data;
		struct ramfs_dir dir;
		struct {
			char *target;
			size_t len;
		} link;
	};
};

static inline struct ramfs *ramfs_of(const struct vnode *vn)
{
	return (struct ramfs *)vn->fs;
}

static inline struct ramfs_node *rnode(struct vnode *vn)
{
	return (struct ramfs_node *)vn;
}

/* Charges bytes to fs (false: over its limit) and gives them back. */
bool ramfs_charge(struct ramfs *fs, uint64_t bytes);
void ramfs_uncharge(struct ramfs *fs, uint64_t bytes);

/* File data, vn->lock held; they keep vn->size and vn->blocks right. */
long ramfs_read(struct vnode *vn, void *buf, size_t len, uint64_t off);
long ramfs_write(struct vnode *vn, const void *buf, size_t len, uint64_t off);
int ramfs_truncate(struct vnode *vn, uint64_t len);
void *ramfs_map_page(struct vnode *vn, uint64_t off);
int ramfs_give_page(struct vnode *vn, uint64_t off, void *page);
int64_t ramfs_seek_data(struct vnode *vn, uint64_t off, int whence);
void ramfs_data_free(struct ramfs *fs, struct ramfs_data *d);

#endif
