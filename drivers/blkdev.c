/*
 * The block device registry and the RAM disk (mote/blkdev.h).
 */
#include <lib/errno.h>
#include <lib/fmt.h>
#include <lib/string.h>
#include <mote/blkdev.h>
#include <mote/log.h>
#include <mote/mm.h>
#include <mote/sync.h>

static struct mutex registry_lock = MUTEX_INIT(registry_lock);
static struct blkdev *disks[BLKDEV_MAX];
static unsigned nr_disks;

static struct blkdev *find_locked(const char *name)
{
	for (unsigned i = 0; i < nr_disks; i++)
		if (!strcmp(disks[i]->name, name))
			return disks[i];
	return NULL;
}

int blkdev_register(struct blkdev *bd)
{
	char fallback[BLKDEV_NAME_MAX];
	int ret = 0;

	mutex_lock(&registry_lock);
	if (nr_disks == BLKDEV_MAX) {
		ret = -ENOSPC;
		goto out;
	}
	fmt_snprintf(fallback, sizeof(fallback), "vd%u", nr_disks);
	if (bd->name[0] && find_locked(bd->name)) {
		printk("blkdev: a disk named \"%s\" exists; this one is %s\n", bd->name, fallback);
		bd->name[0] = 0;
	}
	if (!bd->name[0])
		memcpy(bd->name, fallback, sizeof(fallback));
	disks[nr_disks++] = bd;
out:
	mutex_unlock(&registry_lock);
	return ret;
}

struct blkdev *blkdev_find(const char *name)
{
	struct blkdev *bd;

	mutex_lock(&registry_lock);
	bd = find_locked(name);
	mutex_unlock(&registry_lock);
	return bd;
}

struct blkdev *blkdev_at(unsigned index)
{
	struct blkdev *bd;

	mutex_lock(&registry_lock);
	bd = index < nr_disks ? disks[index] : NULL;
	mutex_unlock(&registry_lock);
	return bd;
}

static bool in_range(const struct blkdev *bd, uint64_t sector, size_t count)
{
	return count && sector < bd->sectors && count <= bd->sectors - sector;
}

int blkdev_read(struct blkdev *bd, uint64_t sector, void *buf, size_t count)
{
	if (!in_range(bd, sector, count))
		return -EINVAL;
	return bd->ops->read(bd, sector, buf, count);
}

int blkdev_write(struct blkdev *bd, uint64_t sector, const void *buf, size_t count)
{
	if (!in_range(bd, sector, count))
		return -EINVAL;
	if (bd->read_only)
		return -EROFS;
	return bd->ops->write(bd, sector, buf, count);
}

int blkdev_flush(struct blkdev *bd)
{
	return bd->ops->flush ? bd->ops->flush(bd) : 0;
}

/* ---- RAM disk ---- */

static int ramdisk_read(struct blkdev *bd, uint64_t sector, void *buf, size_t count)
{
	memcpy(buf, (char *)bd->priv + sector * BLKDEV_SECTOR_SIZE, count * BLKDEV_SECTOR_SIZE);
	return 0;
}

static int ramdisk_write(struct blkdev *bd, uint64_t sector, const void *buf, size_t count)
{
	memcpy((char *)bd->priv + sector * BLKDEV_SECTOR_SIZE, buf, count * BLKDEV_SECTOR_SIZE);
	return 0;
}

static const struct blkdev_ops ramdisk_ops = {
	.read = ramdisk_read,
	.write = ramdisk_write,
};

int blkdev_ramdisk_create(const char *name, void *data, uint64_t size, bool read_only)
{
	struct blkdev *bd;
	int ret;

	if (!size || size % BLKDEV_SECTOR_SIZE || strlen(name) >= BLKDEV_NAME_MAX)
		return -EINVAL;
	bd = mm_malloc(sizeof(*bd));
	if (!bd)
		return -ENOMEM;
	*bd = (struct blkdev){ .sectors = size / BLKDEV_SECTOR_SIZE, .read_only = read_only,
			       .ops = &ramdisk_ops, .priv = data };
	memcpy(bd->name, name, strlen(name) + 1);
	ret = blkdev_register(bd);
	if (ret)
		mm_free(bd);
	return ret;
}
