/*
 * fs/ramfs_data.c: file contents as a radix tree of page-sized blocks.
 *
 * Block i of a file (bytes [i*4096, (i+1)*4096)) hangs at a fixed place in
 * a tree of index nodes of 512 pointers (one page each); a tree of height
 * h covers 512^h blocks, height 0 being the single block itself (small
 * files cost one page and no index). The tree grows at the top: a write
 * beyond what it covers puts a new root above the old one (which becomes
 * slot 0), so nothing ever moves and nothing is copied.
 *
 * Why appends are O(1): appending a byte touches one block, found in at
 * most `height` steps (4 levels cover RAMFS_MAX_FILE_SIZE = 1 TiB), and
 * allocates at most one block plus, once every 512 blocks, an index node.
 * No write copies earlier data, unlike a growing array whose reallocation
 * copies everything (tests/unit/fs counts copied bytes to show it).
 *
 * Holes cost nothing: an absent block (or a whole absent subtree) reads as
 * zeroes. New blocks are zeroed, truncation zeroes the tail of the new
 * last block, and growing a file (by truncate or by a write past the end)
 * zeroes the old last block's tail first (a shared mapping may have
 * written there), so growing never exposes old bytes. st_blocks counts
 * data blocks (8 per block).
 *
 * Data blocks are pages of their own (fs_page_alloc): map_page hands them
 * to mmap, so shared mappings and read/write see the same bytes. A block
 * freed while mapped lives on until the mapping lets go of it.
 */
#include <lib/err.h>
#include <lib/errno.h>
#include <lib/string.h>

#include "internal.h"
#include "ramfs.h"

#define SHIFT 9		/* log2(RAMFS_FANOUT) */
#define MAX_HEIGHT 4

static uint64_t blocks_covered(unsigned height)
{
	return 1ULL << (SHIFT * height);
}

static void stat_add(uint64_t *counter, int64_t delta)
{
	__atomic_add_fetch(counter, (uint64_t)delta, __ATOMIC_RELAXED);
}

/* A zeroed page for a block or an index node, charged; NULL with *err set. */
static void *page_new(struct ramfs *fs, int *err)
{
	void *p;

	if (!ramfs_charge(fs, RAMFS_BLOCK)) {
		*err = -ENOSPC;
		return NULL;
	}
	p = fs_zalloc(RAMFS_BLOCK);
	if (!p) {
		ramfs_uncharge(fs, RAMFS_BLOCK);
		*err = -ENOMEM;
	}
	return p;
}

static void page_free(struct ramfs *fs, void *p)
{
	fs_free(p);
	ramfs_uncharge(fs, RAMFS_BLOCK);
}

/* A data block: a page a program may map (fs_page_alloc), charged. NULL with *err set. */
static void *block_new(struct ramfs *fs, int *err)
{
	void *p;

	if (!ramfs_charge(fs, RAMFS_BLOCK)) {
		*err = -ENOSPC;
		return NULL;
	}
	p = fs_page_alloc();
	if (!p) {
		ramfs_uncharge(fs, RAMFS_BLOCK);
		*err = -ENOMEM;
	}
	return p;
}

static void block_free(struct ramfs *fs, void *p)
{
	fs_page_release(p);
	ramfs_uncharge(fs, RAMFS_BLOCK);
}

/* The block holding index idx, or NULL for a hole. */
static char *block_find(const struct ramfs_data *d, uint64_t idx)
{
	void *node = d->root;

	if (idx >= blocks_covered(d->height))
		return NULL;
	for (unsigned h = d->height; h > 0 && node; h--)
		node = ((void **)node)[(idx >> (SHIFT * (h - 1))) & (RAMFS_FANOUT - 1)];
	return node;
}

/* Raises the tree until it covers idx. */
static int grow(struct ramfs *fs, struct ramfs_data *d, uint64_t idx)
{
	int err = 0;

	while (idx >= blocks_covered(d->height)) {
		void **top;

		if (d->height == MAX_HEIGHT)
			return -EFBIG;
		if (d->root) {
			top = page_new(fs, &err);
			if (!top)
				return err;
			stat_add(&fs->stats.index_nodes, 1);
			top[0] = d->root;
			d->root = top;
		}
		d->height++;
	}
	return 0;
}

/* The slot at level h-1 under node for idx, creating the index node at *slot if absent. */
static void **child_slot(struct ramfs *fs, void **slot, unsigned h, uint64_t idx, int *err)
{
	if (!*slot) {
		*slot = page_new(fs, err);
		if (!*slot)
			return NULL;
		stat_add(&fs->stats.index_nodes, 1);
	}
	return &((void **)*slot)[(idx >> (SHIFT * (h - 1))) & (RAMFS_FANOUT - 1)];
}

/* Where the block for idx hangs, index nodes made as needed. NULL with *err set. */
static void **block_slot(struct ramfs *fs, struct ramfs_data *d, uint64_t idx, int *err)
{
	void **slot = &d->root;

	*err = grow(fs, d, idx);
	if (*err)
		return NULL;
	for (unsigned h = d->height; h > 0 && slot; h--)
		slot = child_slot(fs, slot, h, idx, err);
	return slot;
}

/* The block for idx, allocated (zeroed) if it is a hole. NULL with *err set. */
static char *block_get(struct ramfs *fs, struct ramfs_data *d, uint64_t idx, int *err)
{
	void **slot = block_slot(fs, d, idx, err);

	if (slot && !*slot) {
		*slot = block_new(fs, err);
		if (!*slot)
			return NULL;
		d->nblocks++;
		stat_add(&fs->stats.blocks, 1);
		stat_add(&fs->stats.block_allocs, 1);
	}
	return slot ? *slot : NULL;
}

long ramfs_read(struct vnode *vn, void *buf, size_t len, uint64_t off)
{
	struct ramfs_data *d = &rnode(vn)->data;
	size_t done = 0;

	while (done < len) {
		uint64_t pos = off + done;
		size_t in = pos % RAMFS_BLOCK, n = RAMFS_BLOCK - in;
		const char *blk = block_find(d, pos / RAMFS_BLOCK);

		if (n > len - done)
			n = len - done;
		if (blk)
			memcpy((char *)buf + done, blk + in, n);
		else
			memset((char *)buf + done, 0, n);
		done += n;
	}
	stat_add(&ramfs_of(vn)->stats.bytes_copied, (int64_t)len);
	return (long)len;
}

/*
 * Before a file grows: the bytes of its last block past the old end must
 * read as zeroes, and a shared mapping may have written there (as on
 * Linux, such writes are not part of the file).
 */
static void zero_tail(struct ramfs_data *d, uint64_t size)
{
	char *last = size % RAMFS_BLOCK ? block_find(d, size / RAMFS_BLOCK) : NULL;

	if (last)
		memset(last + size % RAMFS_BLOCK, 0, RAMFS_BLOCK - size % RAMFS_BLOCK);
}

long ramfs_write(struct vnode *vn, const void *buf, size_t len, uint64_t off)
{
	struct ramfs_data *d = &rnode(vn)->data;
	struct ramfs *fs = ramfs_of(vn);
	size_t done = 0;
	int err = 0;

	if (off >= RAMFS_MAX_FILE_SIZE)
		return -EFBIG;
	if (len > RAMFS_MAX_FILE_SIZE - off)
		len = RAMFS_MAX_FILE_SIZE - off;
	if (off + len > vn->size)
		zero_tail(d, vn->size);
	while (done < len) {
		uint64_t pos = off + done;
		size_t in = pos % RAMFS_BLOCK, n = RAMFS_BLOCK - in;
		char *blk = block_get(fs, d, pos / RAMFS_BLOCK, &err);

		if (!blk)
			break;
		if (n > len - done)
			n = len - done;
		memcpy(blk + in, (const char *)buf + done, n);
		done += n;
	}
	stat_add(&fs->stats.bytes_copied, (int64_t)done);
	if (done && off + done > vn->size)
		vn->size = off + done;
	vn->blocks = d->nblocks * (RAMFS_BLOCK / 512);
	return done ? (long)done : err;
}

/*
 * mmap: the block holding offset off (page-aligned, < size), made if it is
 * a hole. Shared mappings write straight into it, so read() and write()
 * and every mapping see the same bytes, as with Linux's page cache.
 */
void *ramfs_map_page(struct vnode *vn, uint64_t off)
{
	struct ramfs_data *d = &rnode(vn)->data;
	void *blk;
	int err = 0;

	mutex_lock(&vn->lock);
	blk = block_get(ramfs_of(vn), d, off / RAMFS_BLOCK, &err);
	if (blk)
		vn->blocks = d->nblocks * (RAMFS_BLOCK / 512);
	mutex_unlock(&vn->lock);
	return blk ? blk : ERR_PTR(err);
}

int ramfs_give_page(struct vnode *vn, uint64_t off, void *page)
{
	struct ramfs_data *d = &rnode(vn)->data;
	struct ramfs *fs = ramfs_of(vn);
	void **slot;
	int err;

	if (block_find(d, off / RAMFS_BLOCK))
		return -EEXIST;
	if (!ramfs_charge(fs, RAMFS_BLOCK))
		return -ENOSPC;
	slot = block_slot(fs, d, off / RAMFS_BLOCK, &err);
	if (!slot) {
		ramfs_uncharge(fs, RAMFS_BLOCK);
		return err;
	}
	*slot = page;
	d->nblocks++;
	stat_add(&fs->stats.blocks, 1);
	vn->blocks = d->nblocks * (RAMFS_BLOCK / 512);
	return 0;
}

/* Frees the whole subtree at node (height h). */
static void free_subtree(struct ramfs *fs, struct ramfs_data *d, void *node, unsigned h)
{
	if (h == 0) {
		d->nblocks--;
		stat_add(&fs->stats.blocks, -1);
		block_free(fs, node);	/* a mapping may keep the page a while longer */
		return;
	}
	for (size_t i = 0; i < RAMFS_FANOUT; i++)
		if (((void **)node)[i])
			free_subtree(fs, d, ((void **)node)[i], h - 1);
	stat_add(&fs->stats.index_nodes, -1);
	page_free(fs, node);
}

/* Frees every block from index `first` on in the subtree at *slot (height h, from base). */
static void free_from(struct ramfs *fs, struct ramfs_data *d, void **slot, unsigned h,
		      uint64_t base, uint64_t first)
{
	uint64_t span = blocks_covered(h), child_span;

	if (!*slot || base + span <= first)
		return;
	if (base >= first) {
		free_subtree(fs, d, *slot, h);
		*slot = NULL;
		return;
	}
	child_span = blocks_covered(h - 1);	/* h > 0: a block is wholly in or out */
	for (size_t i = 0; i < RAMFS_FANOUT; i++)
		free_from(fs, d, &((void **)*slot)[i], h - 1, base + i * child_span, first);
}

int ramfs_truncate(struct vnode *vn, uint64_t len)
{
	struct ramfs_data *d = &rnode(vn)->data;
	struct ramfs *fs = ramfs_of(vn);

	if (len > RAMFS_MAX_FILE_SIZE)
		return -EFBIG;
	if (len < vn->size) {
		char *last = block_find(d, len / RAMFS_BLOCK);

		free_from(fs, d, &d->root, d->height, 0, (len + RAMFS_BLOCK - 1) / RAMFS_BLOCK);
		if (last && len % RAMFS_BLOCK)
			memset(last + len % RAMFS_BLOCK, 0, RAMFS_BLOCK - len % RAMFS_BLOCK);
		if (!d->root)
			d->height = 0;
	} else if (len > vn->size) {
		zero_tail(d, vn->size);
	}
	vn->size = len;
	vn->blocks = d->nblocks * (RAMFS_BLOCK / 512);
	return 0;
}

/* The first present block at index >= from in the subtree node (height h, from base). */
static uint64_t next_present(void *node, unsigned h, uint64_t base, uint64_t from)
{
	uint64_t child_span;

	if (!node || base + blocks_covered(h) <= from)
		return UINT64_MAX;
	if (h == 0)
		return base;
	child_span = blocks_covered(h - 1);
	for (size_t i = 0; i < RAMFS_FANOUT; i++) {
		uint64_t found = next_present(((void **)node)[i], h - 1, base + i * child_span,
					      from);

		if (found != UINT64_MAX)
			return found;
	}
	return UINT64_MAX;
}

int64_t ramfs_seek_data(struct vnode *vn, uint64_t off, int whence)
{
	struct ramfs_data *d = &rnode(vn)->data;
	uint64_t idx = off / RAMFS_BLOCK, at;

	if (whence == VFS_SEEK_DATA) {
		idx = next_present(d->root, d->height, 0, idx);
		if (idx == UINT64_MAX || idx * RAMFS_BLOCK >= vn->size)
			return -ENXIO;
		at = idx * RAMFS_BLOCK;
		return (int64_t)(at > off ? at : off);
	}
	while ((uint64_t)idx * RAMFS_BLOCK < vn->size && block_find(d, idx))
		idx++;
	at = idx * RAMFS_BLOCK;
	if (at < off)
		at = off;
	return (int64_t)(at < vn->size ? at : vn->size);
}

void ramfs_data_free(struct ramfs *fs, struct ramfs_data *d)
{
	if (d->root)
		free_subtree(fs, d, d->root, d->height);
	d->root = NULL;
	d->height = 0;
}
