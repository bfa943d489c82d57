/*
 * virtio-blk (virtio 1.x, "Block Device"): disks for the block device
 * registry (mote/blkdev.h).
 *
 * A request is one page from the page allocator holding the request header,
 * the status byte the device writes last, the completion state, and an
 * indirect descriptor table: header, data segments, status. The data is
 * not copied: the caller's buffer is translated page by page
 * (arch_translate(), so stacks and debug-allocator objects work too) and
 * physically adjacent pages merge into one segment. A transfer larger than
 * one request (BLK_MAX_SEGS segments, the device's seg_max and size_max)
 * is split into several, issued one after another.
 *
 * The caller sleeps on the disk's wait queue until its request is back.
 * A request that does not come back within BLK_TIMEOUT_NS disables the
 * device (virtio_device_fail(): reset, every request in flight -EIO); a
 * status other than OK, or a device that did not write the status byte, is
 * -EIO for that request alone.
 *
 * The disk's name is its serial (GET_ID: up to 20 bytes, what QEMU's
 * `serial=` and `mote run --disk FILE,serial=NAME` set), if it is printable
 * without spaces; else the registry's vdN.
 */
#include <lib/errno.h>
#include <lib/fmt.h>
#include <lib/string.h>
#include <mote/arch.h>
#include <mote/blkdev.h>
#include <mote/log.h>
#include <mote/mm.h>
#include <mote/virtio.h>

/* Feature bits. */
#define BLK_F_SIZE_MAX 1
#define BLK_F_SEG_MAX  2
#define BLK_F_RO       5
#define BLK_F_FLUSH    9

/* Configuration offsets. */
#define BLK_CFG_CAPACITY 0
#define BLK_CFG_SIZE_MAX 8
#define BLK_CFG_SEG_MAX  12

/* Request types and status values. */
#define BLK_T_IN     0
#define BLK_T_OUT    1
#define BLK_T_FLUSH  4
#define BLK_T_GET_ID 8
#define BLK_S_OK     0
#define BLK_ID_BYTES 20

#define BLK_MAX_SEGS   64		/* data segments per request: 256 KiB in 4 KiB pages */
#define BLK_QUEUE_SIZE 128
#define BLK_TIMEOUT_NS (30ULL * 1000 * 1000 * 1000)
#define BLK_POLL_NS    (100ULL * 1000 * 1000)	/* a lost interrupt's cost */

struct blk_disk {
	struct blkdev bd;
	struct virtio_device *dev;
	struct waitq wq;		/* requesters waiting for completions */
	unsigned max_segs;
	uint32_t size_max;		/* largest segment */
};

/* One request, in one page (device-visible parts first). */
struct blk_req {
	struct {
		uint32_t type;
		uint32_t reserved;
		uint64_t sector;
	} hdr;
	uint8_t status;
	bool done;
	int err;
	uint32_t len;
	char id[BLK_ID_BYTES];
	struct virtq_desc table[BLK_MAX_SEGS + 2];
};

_Static_assert(sizeof(struct blk_req) <= MM_PAGE_SIZE, "a request is one page");

static uint64_t addr_of(const void *p)
{
	return mm_virt_to_phys(p);
}

static void blk_done(struct virtio_queue *q, void *cookie, uint32_t len, int err)
{
	struct blk_disk *disk = q->dev->driver_priv;
	struct blk_req *req = cookie;

	req->len = len;
	req->err = err;
	__atomic_store_n(&req->done, true, __ATOMIC_RELEASE);
	waitq_wake_all(&disk->wq);
}

/* Submits req with data segments segs[0..n) (device-writable if `in`), waits for it. */
static int blk_do(struct blk_disk *disk, struct blk_req *req, struct virtq_seg *segs, unsigned n,
		  bool in)
{
	struct virtq_seg all[BLK_MAX_SEGS + 2];
	struct virtio_queue *q = &disk->dev->queues[0];
	int ret;

	all[0] = (struct virtq_seg){ addr_of(&req->hdr), sizeof(req->hdr) };
	memcpy(&all[1], segs, n * sizeof(*segs));
	all[n + 1] = (struct virtq_seg){ addr_of(&req->status), 1 };
	req->status = 0xff;	/* what a device that never wrote it leaves */
	req->done = false;
	ret = virtio_submit(q, all, in ? 1 : n + 1, in ? n + 1 : 1, req, req->table,
			    addr_of(req->table));
	if (ret)
		return ret;
	/*
	 * Every BLK_POLL_NS without news the queue is drained by hand: an
	 * interrupt lost on the way (seen on q35 under load in CI) then costs
	 * a tenth of a second, not the device.
	 */
	for (uint64_t waited = 0; !__atomic_load_n(&req->done, __ATOMIC_ACQUIRE);
	     waited += BLK_POLL_NS) {
		if (waited >= BLK_TIMEOUT_NS) {
			virtio_device_fail(disk->dev, "a request did not complete in 30 s");
			waitq_wait_event(&disk->wq, __atomic_load_n(&req->done, __ATOMIC_ACQUIRE), 0);
		} else if (waitq_wait_event(&disk->wq, __atomic_load_n(&req->done, __ATOMIC_ACQUIRE),
					    BLK_POLL_NS)) {
			virtio_interrupt(disk->dev);
		}
	}
	if (req->err)
		return req->err;
	return req->status == BLK_S_OK ? 0 : -EIO;
}

/*
 * Describes up to *bytes of buf as segments (at most max, each at most
 * size_max), trimmed to whole sectors; *bytes becomes what they cover.
 */
static int map_buffer(const struct blk_disk *disk, const void *buf, size_t *bytes,
		      struct virtq_seg *segs, unsigned *n)
{
	uintptr_t va = (uintptr_t)buf;
	size_t left = *bytes, done = 0;
	unsigned k = 0;

	while (left) {
		size_t chunk = MM_PAGE_SIZE - (va & (MM_PAGE_SIZE - 1));
		uint64_t pa;
		unsigned prot;

		if (chunk > left)
			chunk = left;
		if (!arch_translate(va, &pa, &prot))
			return -EFAULT;
		if (k && segs[k - 1].addr + segs[k - 1].len == pa &&
		    segs[k - 1].len + chunk <= disk->size_max) {
			segs[k - 1].len += (uint32_t)chunk;
		} else if (k == disk->max_segs) {
			break;
		} else {
			segs[k++] = (struct virtq_seg){ pa, (uint32_t)chunk };
		}
		va += chunk;
		done += chunk;
		left -= chunk;
	}
	/* Whole sectors only: give back the tail. */
	for (size_t extra = done % BLKDEV_SECTOR_SIZE; extra;) {
		size_t cut = extra < segs[k - 1].len ? extra : segs[k - 1].len;

		segs[k - 1].len -= (uint32_t)cut;
		if (!segs[k - 1].len)
			k--;
		extra -= cut;
		done -= cut;
	}
	*bytes = done;
	*n = k;
	return 0;
}

static int blk_rw(struct blkdev *bd, uint64_t sector, void *buf, size_t count, bool in)
{
	struct blk_disk *disk = bd->priv;
	struct virtq_seg segs[BLK_MAX_SEGS];
	struct blk_req *req = page_alloc(0);
	size_t left = count * BLKDEV_SECTOR_SIZE;
	int ret = 0;

	if (!req)
		return -ENOMEM;
	while (left && !ret) {
		size_t bytes = left;
		unsigned n;

		ret = map_buffer(disk, buf, &bytes, segs, &n);
		if (ret)
			break;
		req->hdr.type = in ? BLK_T_IN : BLK_T_OUT;
		req->hdr.reserved = 0;
		req->hdr.sector = sector;
		ret = blk_do(disk, req, segs, n, in);
		buf = (char *)buf + bytes;
		sector += bytes / BLKDEV_SECTOR_SIZE;
		left -= bytes;
	}
	page_free(req, 0);
	return ret;
}

static int blk_read(struct blkdev *bd, uint64_t sector, void *buf, size_t count)
{
	return blk_rw(bd, sector, buf, count, true);
}

static int blk_write(struct blkdev *bd, uint64_t sector, const void *buf, size_t count)
{
	return blk_rw(bd, sector, (void *)buf, count, false);
}

/* A request without data (flush) or with a buffer inside the request page (GET_ID). */
static int blk_simple(struct blk_disk *disk, uint32_t type, char *id)
{
	struct blk_req *req = page_alloc(0);
	struct virtq_seg seg;
	int ret;

	if (!req)
		return -ENOMEM;
	req->hdr.type = type;
	req->hdr.reserved = 0;
	req->hdr.sector = 0;
	memset(req->id, 0, sizeof(req->id));
	seg = (struct virtq_seg){ addr_of(req->id), sizeof(req->id) };
	ret = blk_do(disk, req, &seg, id ? 1 : 0, true);
	if (!ret && id)
		memcpy(id, req->id, sizeof(req->id));
	page_free(req, 0);
	return ret;
}

static int blk_flush(struct blkdev *bd)
{
	return blk_simple(bd->priv, BLK_T_FLUSH, NULL);
}

static const struct blkdev_ops blk_ops = { .read = blk_read, .write = blk_write, .flush = blk_flush };
static const struct blkdev_ops blk_ops_noflush = { .read = blk_read, .write = blk_write };

/* The serial as a name: printable, no spaces or slashes, at least one byte. */
static void name_from_id(const char *id, char *name)
{
	size_t n = strnlen(id, BLK_ID_BYTES);

	for (size_t i = 0; i < n; i++)
		if (id[i] <= ' ' || id[i] > '~' || id[i] == '/')
			n = 0;
	memcpy(name, id, n);
	name[n] = 0;
}

static void blk_limits(struct blk_disk *disk)
{
	struct virtio_device *d = disk->dev;
	uint32_t v;

	disk->max_segs = BLK_MAX_SEGS;
	disk->size_max = UINT32_MAX;
	if (virtio_has_feature(d, BLK_F_SEG_MAX) && (v = virtio_config_u32(d, BLK_CFG_SEG_MAX)) &&
	    v < disk->max_segs)
		disk->max_segs = v;
	if (!virtio_has_feature(d, VIRTIO_F_INDIRECT_DESC) &&
	    disk->max_segs + 2 > d->queues[0].vq.num)
		disk->max_segs = d->queues[0].vq.num - 2;
	if (virtio_has_feature(d, BLK_F_SIZE_MAX) && (v = virtio_config_u32(d, BLK_CFG_SIZE_MAX)) >=
	    MM_PAGE_SIZE)
		disk->size_max = v;
}

static int blk_probe(struct virtio_device *d)
{
	struct blk_disk *disk = mm_calloc(1, sizeof(*disk));
	char id[BLK_ID_BYTES];
	int ret;

	if (!disk)
		return -ENOMEM;
	disk->dev = d;
	d->driver_priv = disk;
	waitq_init(&disk->wq);
	ret = virtio_queue_setup(d, 0, BLK_QUEUE_SIZE, blk_done);
	if (ret)
		return ret;
	if (d->queues[0].vq.num < 3) {
		virtio_device_fail(d, "a queue too small for one request");
		return -EIO;
	}
	blk_limits(disk);
	disk->bd.sectors = virtio_config_u64(d, BLK_CFG_CAPACITY);
	disk->bd.read_only = virtio_has_feature(d, BLK_F_RO);
	disk->bd.ops = virtio_has_feature(d, BLK_F_FLUSH) ? &blk_ops : &blk_ops_noflush;
	disk->bd.priv = disk;
	virtio_device_ready(d);
	if (blk_simple(disk, BLK_T_GET_ID, id) == 0)
		name_from_id(id, disk->bd.name);
	ret = blkdev_register(&disk->bd);
	if (ret)
		return ret;
	printk("virtio-blk: %s: %lu sectors (%lu KiB)%s%s, %s (%s)\n", disk->bd.name,
	       disk->bd.sectors, disk->bd.sectors / 2, disk->bd.read_only ? ", read-only" : "",
	       virtio_has_feature(d, BLK_F_FLUSH) ? ", flush" : "", d->name, d->transport->name);
	return 0;
}

VIRTIO_DRIVER(virtio_blk_driver) = {
	.name = "virtio-blk",
	.device_id = VIRTIO_ID_BLOCK,
	.features = VIRTIO_FEATURE(BLK_F_SIZE_MAX) | VIRTIO_FEATURE(BLK_F_SEG_MAX) |
		    VIRTIO_FEATURE(BLK_F_RO) | VIRTIO_FEATURE(BLK_F_FLUSH),
	.probe = blk_probe,
};
