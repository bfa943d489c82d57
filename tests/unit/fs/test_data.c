/*
 * tests/unit/fs/test_data.c: ramfs file contents through open files.
 * Holes read as zeroes and cost no blocks; truncation frees and zeroes;
 * 100k small appends copy each byte once (no reallocation copies) and
 * allocate one block per 4 KiB; SEEK_DATA/SEEK_HOLE; the size limit
 * (-EFBIG), a full instance (-ENOSPC) and failed allocations (-ENOMEM)
 * never crash and leave the file consistent; a file made from pages keeps
 * them.
 */
#include <time.h>

#include "fs_test.h"

static struct vnode *d;

static struct file *open_rw(const char *path, unsigned extra)
{
	long err;
	struct file *f = t_open(d, path, VFS_O_RDWR | VFS_O_CREAT | extra, 0644, &err);

	CHECK_EQ(err, 0);
	return f;
}

static struct kstat fstat_of(struct file *f)
{
	struct kstat st;

	f->ops->stat(f, &st);
	return st;
}

static bool all_zero(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static void test_sparse(void)
{
	struct file *f = open_rw("sparse", 0);
	char *buf = malloc(3 * 4096);
	struct kstat st;

	if (!f)
		return;
	CHECK_EQ(f->ops->pwrite(f, "end", 3, (1ull << 30) - 3), 3);
	st = fstat_of(f);
	CHECK_EQ(st.size, 1 << 30);
	CHECK_EQ(st.blocks, 8);		/* one block for a 1 GiB file */
	memset(buf, 'x', 3 * 4096);
	CHECK_EQ(f->ops->pread(f, buf, 3 * 4096, 12345), 3 * 4096);
	CHECK(all_zero(buf, 3 * 4096));
	CHECK_EQ(f->ops->pread(f, buf, 10, (1ull << 30) - 5), 5);
	CHECK(!memcmp(buf, "\0\0end", 5));
	CHECK_EQ(f->ops->pread(f, buf, 10, 1ull << 30), 0);
	CHECK_EQ(f->ops->pread(f, buf, 10, 1ull << 40), 0);
	/* SEEK_DATA / SEEK_HOLE */
	CHECK_EQ(f->ops->lseek(f, 0, VFS_SEEK_DATA), (1 << 30) - 4096);
	CHECK_EQ(f->ops->lseek(f, 0, VFS_SEEK_HOLE), 0);
	CHECK_EQ(f->ops->lseek(f, (1 << 30) - 10, VFS_SEEK_HOLE), 1 << 30);
	CHECK_EQ(f->ops->lseek(f, (1 << 30) - 10, VFS_SEEK_DATA), (1 << 30) - 10);
	CHECK_EQ(f->ops->lseek(f, 1 << 30, VFS_SEEK_DATA), -ENXIO);
	CHECK_EQ(f->ops->lseek(f, -1, VFS_SEEK_HOLE), -ENXIO);
	free(buf);
	file_put(f);
}

static void test_truncate(void)
{
	struct file *f = open_rw("trunc", 0);
	char buf[8192];
	struct kstat st;

	if (!f)
		return;
	memset(buf, 'a', sizeof(buf));
	CHECK_EQ(f->ops->write(f, buf, sizeof(buf)), 8192);
	CHECK_EQ(fstat_of(f).blocks, 16);
	/* down into the middle of a block: the block stays, its tail is zeroed */
	CHECK_EQ(f->ops->truncate(f, 100), 0);
	st = fstat_of(f);
	CHECK_EQ(st.size, 100);
	CHECK_EQ(st.blocks, 8);
	/* back up: the bytes past the old end read as zeroes, no new blocks */
	CHECK_EQ(f->ops->truncate(f, 10000), 0);
	st = fstat_of(f);
	CHECK_EQ(st.size, 10000);
	CHECK_EQ(st.blocks, 8);
	memset(buf, 'x', sizeof(buf));
	CHECK_EQ(f->ops->pread(f, buf, sizeof(buf), 0), 8192);
	CHECK(buf[99] == 'a' && all_zero(buf + 100, 8092));
	/* a write past the end leaves a hole that reads as zeroes */
	CHECK_EQ(f->ops->truncate(f, 4096), 0);
	CHECK_EQ(f->ops->pwrite(f, "z", 1, 20000), 1);
	CHECK_EQ(f->ops->pread(f, buf, 8192, 4096), 8192);
	CHECK(all_zero(buf, 8192));
	CHECK_EQ(fstat_of(f).blocks, 16);
	CHECK_EQ(f->ops->truncate(f, 0), 0);
	CHECK_EQ(fstat_of(f).blocks, 0);
	CHECK_EQ(f->ops->truncate(f, RAMFS_MAX_FILE_SIZE + 1), -EFBIG);
	CHECK_EQ(vfs_truncate(f->vnode, (uint64_t)INT64_MAX + 1), -EINVAL);
	file_put(f);
	/* O_TRUNC, and truncate through a read-only file */
	f = open_rw("trunc", VFS_O_TRUNC);
	if (f) {
		CHECK_EQ(f->ops->write(f, "abc", 3), 3);
		file_put(f);
	}
	CHECK_EQ(open_err(d, "trunc", VFS_O_RDONLY | VFS_O_TRUNC), 0);
	CHECK_EQ(stat_path(d, "trunc", 0, &(long){ 0 }).size, 0);
	{
		long err;
		struct file *ro = t_open(d, "trunc", VFS_O_RDONLY, 0, &err);

		if (ro) {
			CHECK_EQ(ro->ops->truncate(ro, 5), -EINVAL);
			CHECK_EQ(ro->ops->write(ro, "x", 1), -EBADF);
			file_put(ro);
		}
	}
}

static void test_positions(void)
{
	struct file *f = open_rw("pos", 0);
	char buf[16] = { 0 };

	if (!f)
		return;
	CHECK_EQ(f->ops->write(f, "hello", 5), 5);
	CHECK_EQ(f->ops->lseek(f, 0, VFS_SEEK_CUR), 5);
	CHECK_EQ(f->ops->lseek(f, -2, VFS_SEEK_END), 3);
	CHECK_EQ(f->ops->read(f, buf, sizeof(buf)), 2);
	CHECK_STR(buf, "lo");
	CHECK_EQ(f->ops->read(f, buf, sizeof(buf)), 0);
	CHECK_EQ(f->ops->lseek(f, -6, VFS_SEEK_END), -EINVAL);
	CHECK_EQ(f->ops->lseek(f, 0, 7), -EINVAL);
	CHECK_EQ(f->ops->lseek(f, INT64_MAX, VFS_SEEK_SET), INT64_MAX);
	CHECK_EQ(f->ops->lseek(f, 1, VFS_SEEK_CUR), -EINVAL);
	CHECK_EQ(f->ops->lseek(f, 100, VFS_SEEK_SET), 100);
	CHECK_EQ(f->ops->write(f, "!", 1), 1);
	CHECK_EQ(fstat_of(f).size, 101);
	CHECK_EQ(f->ops->pwrite(f, "X", 1, (uint64_t)-1), -EINVAL);
	CHECK_EQ(f->ops->pread(f, buf, 1, (uint64_t)-1), -EINVAL);
	CHECK_EQ(f->ops->pwrite(f, "X", 1, RAMFS_MAX_FILE_SIZE), -EFBIG);
	CHECK_EQ(f->ops->pwrite(f, "XYZ", 3, RAMFS_MAX_FILE_SIZE - 1), 1);
	CHECK_EQ(f->ops->getdents, NULL);
	file_put(f);
	/* O_APPEND: writes land at the end whatever the position; pwrite too (Linux) */
	f = open_rw("pos", VFS_O_APPEND | VFS_O_TRUNC);
	if (!f)
		return;
	CHECK_EQ(f->ops->write(f, "ab", 2), 2);
	CHECK_EQ(f->ops->lseek(f, 0, VFS_SEEK_SET), 0);
	CHECK_EQ(f->ops->write(f, "cd", 2), 2);
	CHECK_EQ(f->ops->pwrite(f, "ef", 2, 0), 2);
	CHECK_EQ(f->ops->pread(f, buf, sizeof(buf), 0), 6);
	CHECK(!memcmp(buf, "abcdef", 6));
	CHECK_EQ(f->ops->poll(f, NULL), POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM);
	CHECK_EQ(f->ops->fsync(f), 0);
	file_put(f);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* n appends of 7 bytes; returns the seconds taken. */
static double append_n(const char *name, int n, struct ramfs_stats *delta)
{
	struct ramfs_stats a, b;
	struct file *f = open_rw(name, VFS_O_APPEND);
	double t0;

	if (!f)
		return 0;
	ramfs_get_stats(root_fs, &a);
	t0 = now_s();
	for (int i = 0; i < n; i++)
		if (f->ops->write(f, "0123456", 7) != 7)
			break;
	t0 = now_s() - t0;
	ramfs_get_stats(root_fs, &b);
	delta->bytes_copied = b.bytes_copied - a.bytes_copied;
	delta->block_allocs = b.block_allocs - a.block_allocs;
	delta->index_nodes = b.index_nodes - a.index_nodes;
	CHECK_EQ(fstat_of(f).size, 7L * n);
	file_put(f);
	return t0;
}

static void test_append_is_linear(void)
{
	struct ramfs_stats s1, s2;
	double t1, t2;

	t1 = append_n("app1", 100000, &s1);
	t2 = append_n("app2", 400000, &s2);
	/* Each byte copied exactly once: nothing is moved as the file grows. */
	CHECK_EQ(s1.bytes_copied, 700000);
	CHECK_EQ(s2.bytes_copied, 2800000);
	/* One block per 4 KiB, one index node per 512 blocks (plus the top). */
	CHECK_EQ(s1.block_allocs, (700000 + 4095) / 4096);
	CHECK_EQ(s1.index_nodes, 1);
	CHECK_EQ(s2.index_nodes, 3);	/* 684 blocks: a top node over two */
	/* Four times the appends may not take more than ~4x the time (16x if quadratic). */
	CHECK(t2 < 8 * t1 + 0.05);
	CHECK_EQ(vfs_unlink(d, "app1", 0), 0);
	CHECK_EQ(vfs_unlink(d, "app2", 0), 0);
}

static void test_unlink_frees(void)
{
	struct ramfs_stats a, b;
	struct file *f;
	char buf[4096] = { 1 };

	ramfs_get_stats(root_fs, &a);
	f = open_rw("big", 0);
	if (!f)
		return;
	for (int i = 0; i < 600; i++)
		CHECK_EQ(f->ops->write(f, buf, sizeof(buf)), 4096);
	CHECK_EQ(vfs_unlink(d, "big", 0), 0);
	ramfs_get_stats(root_fs, &b);
	CHECK_EQ(b.blocks - a.blocks, 600);
	file_put(f);	/* the last reference: everything goes */
	ramfs_get_stats(root_fs, &b);
	CHECK_EQ(b.blocks, a.blocks);
	CHECK_EQ(b.index_nodes, a.index_nodes);
	CHECK_EQ(b.used_bytes, a.used_bytes);
}

/* The host build's file pages (sync_host.c), as fs/internal.h declares them. */
void *fs_page_backend_alloc(void);
void fs_page_backend_release(void *page);

/* take() for vfs_create_file_pages: even pages handed over (a page the file owns), odd ones copied. */
static const char *pages_base;
static unsigned pages_taken;

static void *take_even(const void *page)
{
	void *own;

	if ((((const char *)page - pages_base) / 4096) % 2)
		return NULL;
	own = fs_page_backend_alloc();
	if (own) {
		memcpy(own, page, 4096);
		pages_taken++;
	}
	return own;
}

/*
 * A file made from whole pages keeps the pages it is given, with no byte
 * copied, and copies the rest; it reads back as the data, its tail zero;
 * a page given where data is already is refused and stays the caller's.
 */
static void test_give_pages(void)
{
	const size_t len = 3 * 4096 + 100;
	char *data = aligned_alloc(4096, 4 * 4096), *back = calloc(1, 4 * 4096);
	struct ramfs_stats a, b;
	struct file *f;
	void *page;

	for (size_t i = 0; i < 4 * 4096; i++)
		data[i] = i < len ? (char)(i * 7 + i / 4096) : 0;
	pages_base = data;
	pages_taken = 0;
	ramfs_get_stats(root_fs, &a);
	CHECK_EQ(vfs_create_file_pages("/data/given/f", 0640, data, len, take_even), 0);
	ramfs_get_stats(root_fs, &b);
	CHECK_EQ(pages_taken, 2);
	CHECK_EQ(b.bytes_copied - a.bytes_copied, 4096 + 100);	/* pages 1 and 3 */
	CHECK_EQ(b.blocks - a.blocks, 4);
	f = open_rw("given/f", 0);
	if (f) {
		struct kstat st = fstat_of(f);

		CHECK_EQ(st.size, len);
		CHECK_EQ(st.mode, VFS_S_IFREG | 0640);
		CHECK_EQ(st.blocks, 4 * 8);
		CHECK_EQ(f->ops->pread(f, back, 4 * 4096, 0), (long)len);
		CHECK(!memcmp(back, data, len));
		CHECK_EQ(f->ops->truncate(f, 4 * 4096), 0);	/* the tail of the last page */
		CHECK_EQ(f->ops->pread(f, back, 4 * 4096, 0), 4 * 4096);
		CHECK(all_zero(back + len, 4 * 4096 - len));
		page = fs_page_backend_alloc();
		mutex_lock(&f->vnode->lock);
		CHECK_EQ(root_fs->ops->give_page(f->vnode, 0, page), -EEXIST);
		mutex_unlock(&f->vnode->lock);
		fs_page_backend_release(page);
		file_put(f);
	}
	CHECK_EQ(vfs_unlink(d, "given/f", 0), 0);
	ramfs_get_stats(root_fs, &b);
	CHECK_EQ(b.blocks, a.blocks);

	/* A full instance: -ENOSPC, and a page it refused goes back (LeakSanitizer watches). */
	CHECK_EQ(vfs_mkdir(d, "tiny", 0755), 0);
	CHECK_EQ(vfs_mount("/data/tiny", ramfs_create(4096)), 0);	/* not even page 0 fits */
	pages_taken = 0;
	CHECK_EQ(vfs_create_file_pages("/data/tiny/f", 0644, data, len, take_even), -ENOSPC);
	CHECK_EQ(pages_taken, 1);
	free(data);
	free(back);
}

/* A small instance fills up: -ENOSPC, short writes, and it recovers when emptied. */
static void test_enospc(void)
{
	struct vfs_fs *small = ramfs_create(64 * 1024);
	char *buf = calloc(1, 128 * 1024);
	struct vnode *mnt;
	struct file *f;
	long err, n;

	CHECK_EQ(vfs_mkdir(d, "small", 0755), 0);
	CHECK_EQ(vfs_mount("/data/small", small), 0);
	CHECK_EQ(vfs_lookup(d, "small", 0, &mnt), 0);
	f = t_open(mnt, "f", VFS_O_RDWR | VFS_O_CREAT, 0644, &err);
	if (f) {
		n = f->ops->write(f, buf, 128 * 1024);
		CHECK(n > 0 && n < 64 * 1024);
		CHECK_EQ(f->ops->write(f, buf, 4096), -ENOSPC);
		CHECK_EQ(fstat_of(f).size, n);
		CHECK_EQ(f->ops->pwrite(f, buf, 1, 1 << 20), -ENOSPC);
		CHECK_EQ(fstat_of(f).size, n);
		for (int i = 0; i < 1000 && !err; i++) {
			char name[16];

			snprintf(name, sizeof(name), "d%d", i);
			err = vfs_mkdir(mnt, name, 0755);
		}
		CHECK_EQ(err, -ENOSPC);
		CHECK_EQ(f->ops->truncate(f, 0), 0);
		CHECK_EQ(f->ops->pwrite(f, buf, 8192, 0), 8192);
		file_put(f);
	}
	vnode_put(mnt);
	free(buf);
}

/* Every allocation failing in turn: -ENOMEM, never a crash or a leak. */
static void test_enomem(void)
{
	char buf[9000] = { 0 };
	int failures = 0;

	for (unsigned long n = 1; n < 40; n++) {
		struct file *f;
		long err;

		vfs_fail_alloc_after(n);
		err = vfs_mkdir(d, "m/x", 0755);
		if (err == -ENOENT)
			err = vfs_mkdir(d, "m", 0755);
		f = err ? NULL : t_open(d, "m/f", VFS_O_RDWR | VFS_O_CREAT, 0644, &err);
		if (f) {
			long w = f->ops->pwrite(f, buf, sizeof(buf), 1 << 21);

			CHECK(w == -ENOMEM || w > 0);
			err = vfs_symlink("target", d, "m/s");
			file_put(f);
		}
		CHECK(err == 0 || err == -ENOMEM || err == -EEXIST);
		failures += err == -ENOMEM;
		vfs_fail_alloc_after(0);
		vfs_unlink(d, "m/s", 0);
		vfs_unlink(d, "m/f", 0);
		vfs_unlink(d, "m/x", VFS_AT_REMOVEDIR);
		vfs_unlink(d, "m", VFS_AT_REMOVEDIR);
	}
	CHECK(failures > 5);
	CHECK_EQ(lookup_err(d, "m", 0), -ENOENT);
}

int main(void)
{
	fs_boot();
	d = case_dir("data");
	CASE(test_sparse);
	CASE(test_truncate);
	CASE(test_positions);
	CASE(test_append_is_linear);
	CASE(test_unlink_frees);
	CASE(test_give_pages);
	CASE(test_enospc);
	CASE(test_enomem);
	vnode_put(d);
	return t_exit();
}
