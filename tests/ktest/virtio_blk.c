/*
 * Self-tests of virtio-blk through the block device registry. They need the
 * disks tests/boot/test-boot.sh attaches (`selftest=virtio_blk`):
 *
 *   kt-rw   writable, at least 1 MiB
 *   kt-ro   read-only (QEMU readonly=on: the device offers VIRTIO_BLK_F_RO)
 *   kt-err  QEMU blkdebug fails every read that touches sector 8 with EIO and
 *           every write that touches sector 16 with ENOSPC
 *   (one)   without a serial: named vdN
 *
 * Without them each test says "skipped" and passes; the boot tests check
 * that no test was skipped. virtio_blk_pattern writes a pattern the host
 * checks in the disk file afterwards (disk "pattern").
 */
#include <lib/errno.h>
#include <lib/fmt.h>
#include <lib/string.h>
#include <mote/blkdev.h>
#include <mote/ktest.h>
#include <mote/log.h>
#include <mote/mm.h>
#include <mote/thread.h>

static struct blkdev *need_disk(const char *test, const char *name)
{
	struct blkdev *bd = blkdev_find(name);

	if (!bd)
		printk("ktest: %s: no disk %s, skipped\n", test, name);
	return bd;
}

static void fill(uint8_t *p, size_t len, uint32_t seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)((i * 131 + seed) ^ (i >> 9));
}

KTEST(virtio_blk_names)
{
	bool unnamed = false;

	if (!need_disk("virtio_blk_names", "kt-rw"))
		return;
	KT_EXPECT(blkdev_find("kt-ro") && blkdev_find("kt-err"));
	for (unsigned i = 0; blkdev_at(i); i++)
		unnamed |= !strncmp(blkdev_at(i)->name, "vd", 2);
	KT_EXPECT(unnamed);
	KT_EXPECT(blkdev_find("kt-rw")->sectors >= 2048);
}

/* 300 KiB (more than one request) from a large buffer, back through a misaligned one. */
KTEST(virtio_blk_read_write)
{
	enum { LEN = 300 * 1024, START = 64 };
	struct blkdev *bd = need_disk("virtio_blk_read_write", "kt-rw");
	uint8_t *out, *back, *in;
	char stack_buf[3 * BLKDEV_SECTOR_SIZE];

	if (!bd)
		return;
	out = mm_malloc(LEN);
	back = mm_malloc(LEN + 100);
	KT_ASSERT(out && back);
	in = back + 100;	/* every segment boundary off the page grid */
	fill(out, LEN, 7);
	memset(back, 0, LEN + 100);
	KT_EXPECT(blkdev_write(bd, START, out, LEN / BLKDEV_SECTOR_SIZE) == 0);
	KT_EXPECT(blkdev_read(bd, START, in, LEN / BLKDEV_SECTOR_SIZE) == 0);
	KT_EXPECT(memcmp(out, in, LEN) == 0);
	/* A stack buffer (not in the direct map) and the last sector of the disk. */
	memset(stack_buf, 0x5a, sizeof(stack_buf));
	KT_EXPECT(blkdev_write(bd, bd->sectors - 3, stack_buf, 3) == 0);
	memset(stack_buf, 0, sizeof(stack_buf));
	KT_EXPECT(blkdev_read(bd, bd->sectors - 1, stack_buf, 1) == 0);
	KT_EXPECT(stack_buf[0] == 0x5a && stack_buf[511] == 0x5a && stack_buf[512] == 0);
	KT_EXPECT(blkdev_read(bd, START + 1, in, 1) == 0 && memcmp(in, out + 512, 512) == 0);
	KT_EXPECT(blkdev_flush(bd) == 0);
	/* Past the end: refused before the device sees it. */
	KT_EXPECT(blkdev_read(bd, bd->sectors, in, 1) == -EINVAL);
	KT_EXPECT(blkdev_read(bd, bd->sectors - 1, in, 2) == -EINVAL);
	mm_free(out);
	mm_free(back);
}

KTEST(virtio_blk_read_only)
{
	struct blkdev *bd = need_disk("virtio_blk_read_only", "kt-ro");
	char buf[BLKDEV_SECTOR_SIZE];

	if (!bd)
		return;
	KT_EXPECT(bd->read_only);
	KT_EXPECT(blkdev_write(bd, 0, buf, 1) == -EROFS);
	KT_EXPECT(blkdev_read(bd, 0, buf, 1) == 0);
}

KTEST(virtio_blk_errors)
{
	struct blkdev *bd = need_disk("virtio_blk_errors", "kt-err");
	char buf[2 * BLKDEV_SECTOR_SIZE];

	if (!bd)
		return;
	KT_EXPECT(blkdev_read(bd, 8, buf, 1) == -EIO);
	KT_EXPECT(blkdev_read(bd, 7, buf, 2) == -EIO);
	KT_EXPECT(blkdev_write(bd, 15, buf, 2) == -EIO);	/* a full host disk */
	/* The error is the request's alone: the disk keeps working. */
	KT_EXPECT(blkdev_read(bd, 0, buf, 2) == 0);
	KT_EXPECT(blkdev_read(bd, 9, buf, 1) == 0);
	KT_EXPECT(blkdev_write(bd, 17, buf, 1) == 0);
}

struct writer {
	struct blkdev *bd;
	unsigned index;
	bool ok;
};

/* Each thread owns 32 sectors: writes them in pieces, reads them back whole. */
static void *writer_main(void *arg)
{
	enum { SECTORS = 32 };
	struct writer *w = arg;
	uint8_t *out = mm_malloc(SECTORS * BLKDEV_SECTOR_SIZE), *in = mm_malloc(SECTORS * 512);
	uint64_t base = 1024 + w->index * SECTORS;

	w->ok = out && in;
	for (unsigned round = 0; w->ok && round < 4; round++) {
		fill(out, SECTORS * 512, w->index * 16 + round);
		for (unsigned s = 0; s < SECTORS; s += 4)
			w->ok &= blkdev_write(w->bd, base + s, out + s * 512, 4) == 0;
		w->ok &= blkdev_read(w->bd, base, in, SECTORS) == 0;
		w->ok &= memcmp(in, out, SECTORS * 512) == 0;
	}
	mm_free(out);
	mm_free(in);
	return NULL;
}

KTEST(virtio_blk_concurrent)
{
	enum { N = 6 };
	struct blkdev *bd = need_disk("virtio_blk_concurrent", "kt-rw");
	struct writer w[N];
	struct thread *t[N];

	if (!bd)
		return;
	for (unsigned i = 0; i < N; i++) {
		w[i] = (struct writer){ bd, i, false };
		t[i] = thread_create(writer_main, &w[i], 0);
	}
	for (unsigned i = 0; i < N; i++) {
		KT_EXPECT(thread_join(t[i], 0) == 0);
		KT_EXPECT(w[i].ok);
	}
}

/* Sector n of disk "pattern" (n < 64) becomes "mote sector n" padded with byte n. */
KTEST(virtio_blk_pattern)
{
	struct blkdev *bd = need_disk("virtio_blk_pattern", "pattern");
	char *sec = mm_malloc(BLKDEV_SECTOR_SIZE);

	if (!bd || !sec) {
		mm_free(sec);
		return;
	}
	for (unsigned n = 0; n < 64; n++) {
		memset(sec, (int)n, BLKDEV_SECTOR_SIZE);
		fmt_snprintf(sec, 32, "mote sector %u", n);
		KT_EXPECT(blkdev_write(bd, n, sec, 1) == 0);
	}
	KT_EXPECT(blkdev_flush(bd) == 0);
	printk("ktest: virtio_blk_pattern: wrote 64 sectors\n");
	mm_free(sec);
}
