/*
 * Self-tests of the block device registry and the RAM disk: naming and
 * renaming on a clash, bounds checks, read-only disks.
 */
#include <lib/errno.h>
#include <lib/string.h>
#include <mote/blkdev.h>
#include <mote/ktest.h>
#include <mote/mm.h>

KTEST(blkdev_ramdisk)
{
	static char store[4 * BLKDEV_SECTOR_SIZE], ro_store[BLKDEV_SECTOR_SIZE];
	char buf[2 * BLKDEV_SECTOR_SIZE];
	struct blkdev *bd, *ro;

	KT_ASSERT(blkdev_ramdisk_create("kt-ram", store, sizeof(store), false) == 0);
	KT_EXPECT(blkdev_ramdisk_create("kt-odd", store, 100, false) == -EINVAL);
	bd = blkdev_find("kt-ram");
	KT_ASSERT(bd && bd->sectors == 4);

	memset(buf, 0xab, sizeof(buf));
	KT_EXPECT(blkdev_write(bd, 2, buf, 2) == 0);
	KT_EXPECT(store[2 * BLKDEV_SECTOR_SIZE] == (char)0xab && store[4 * 512 - 1] == (char)0xab);
	memset(buf, 0, sizeof(buf));
	KT_EXPECT(blkdev_read(bd, 3, buf, 1) == 0 && buf[511] == (char)0xab);
	KT_EXPECT(blkdev_read(bd, 3, buf, 2) == -EINVAL);
	KT_EXPECT(blkdev_read(bd, 4, buf, 1) == -EINVAL);
	KT_EXPECT(blkdev_read(bd, 0, buf, 0) == -EINVAL);
	KT_EXPECT(blkdev_write(bd, UINT64_MAX, buf, 1) == -EINVAL);
	KT_EXPECT(blkdev_flush(bd) == 0);

	/* Same name again: registered under its vdN name instead. */
	KT_ASSERT(blkdev_ramdisk_create("kt-ram", ro_store, sizeof(ro_store), true) == 0);
	KT_EXPECT(blkdev_find("kt-ram") == bd);
	ro = NULL;
	for (unsigned i = 0; blkdev_at(i); i++)
		if (blkdev_at(i)->priv == ro_store)
			ro = blkdev_at(i);
	KT_ASSERT(ro && !strncmp(ro->name, "vd", 2) && blkdev_find(ro->name) == ro);
	KT_EXPECT(blkdev_write(ro, 0, buf, 1) == -EROFS);
	KT_EXPECT(blkdev_read(ro, 0, buf, 1) == 0);
}
