/*
 * mote/virtio: the virtio core, between device drivers (virtio-blk,
 * virtio-rng) and the transports that reach devices (virtio-mmio, modern
 * and legacy virtio-pci). docs/virtio.md tells the whole story.
 *
 * Discovery. virtio_init() (boot, thread context) asks each transport to
 * find its devices: virtio-mmio from the `virtio_mmio.device=` entries on
 * the command line (platform_mmio_devices()), virtio-pci by scanning PCI
 * (platform/pci.c), unless `pci` is false (`--nopci`). A transport wraps
 * each device in a struct virtio_device and hands it to
 * virtio_device_add(), which looks for a driver with the device's type in
 * the .virtio_drivers section (VIRTIO_DRIVER()), negotiates features and
 * calls the driver's probe.
 *
 * Negotiation (virtio 1.x, "Device Initialization"): reset, ACKNOWLEDGE,
 * DRIVER, read the device's features, accept those the driver asks for
 * plus what the core handles itself (INDIRECT_DESC, EVENT_IDX, and
 * VERSION_1 on modern transports, which a modern device must offer), then
 * FEATURES_OK and a read back to see the device kept it. The driver's
 * probe then sets up its queues (virtio_queue_setup()), reads its
 * configuration (virtio_config_*()), and calls virtio_device_ready()
 * (DRIVER_OK) before its first request. Legacy transports have 32 feature
 * bits and no FEATURES_OK step; the core hides the difference.
 *
 * Requests. virtio_submit() puts a scatter-gather request on a queue
 * (struct virtq_seg: device addresses, mm_virt_to_phys() or
 * arch_translate()) and notifies the device if it asked to be; when
 * the device hands the request back, the queue's done function runs with
 * the driver's cookie, in interrupt context, without locks held (it may
 * wake waiters; it must not sleep).
 *
 * Devices are not trusted. A used-ring entry that names a request not in
 * flight, claims more bytes than the request offered, or runs the used
 * index past what was published; a queue size the spec forbids; a modern
 * device without VERSION_1: each is reported once on the kernel log
 * ("virtio: <device>: <why>; device disabled"), the device is reset, every
 * request in flight completes with -EIO, and every later request fails
 * with -EIO at once. Drivers do the same with virtio_device_fail() for
 * what only they can judge (a request that never completes).
 *
 * Interrupts: virtio-mmio uses its IOAPIC line; virtio-pci one MSI-X
 * vector for the configuration and all queues. Either way the transport
 * calls virtio_interrupt(), which drains every queue of the device.
 */
#ifndef MOTE_VIRTIO_H
#define MOTE_VIRTIO_H

#include <mote/spinlock.h>
#include <mote/sync.h>
#include <mote/virtqueue.h>
#include <stdbool.h>
#include <stdint.h>

/* Device status bits. */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER      2
#define VIRTIO_STATUS_DRIVER_OK   4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_FAILED      128

/* Feature bits the core owns. */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX     29
#define VIRTIO_F_VERSION_1     32

/* Device types. */
#define VIRTIO_ID_NET   1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG   4

#define VIRTIO_FEATURE(bit) (1ULL << (bit))
#define VIRTIO_MAX_QUEUES 6

struct virtio_device;
struct virtio_queue;

/* A request came back (err 0, len bytes written) or was abandoned (err -EIO). */
typedef void (*virtio_done_fn)(struct virtio_queue *q, void *cookie, uint32_t len, int err);

struct virtio_queue {
	struct virtio_device *dev;
	unsigned index;
	struct spinlock lock;		/* vq */
	struct virtq vq;
	struct waitq space;		/* submitters waiting for free descriptors */
	virtio_done_fn done;
	/*
	 * Optional, set by the driver before virtio_device_ready(): the queue
	 * is polled (virtio_queue_poll()), and the interrupt only calls
	 * ready(q) (interrupt context) instead of completing requests. done
	 * still gets what a failing device abandons (-EIO).
	 */
	void (*ready)(struct virtio_queue *q);
	void *ring;			/* the ring block (pages) */
	unsigned ring_order;
	struct virtq_slot *slots;
	uintptr_t notify;		/* the transport's: where to ring this queue's doorbell */
};

/*
 * What a transport does for the core. Every function is called with the
 * device otherwise idle (probe) or from the request paths as noted.
 */
struct virtio_transport {
	const char *name;			/* "mmio", "mmio-legacy", "pci", "pci-legacy" */
	bool modern;				/* VERSION_1 required, 64 feature bits */
	size_t ring_align;			/* alignment of the used ring (4096 legacy) */
	uint64_t (*get_features)(struct virtio_device *d);
	void (*set_features)(struct virtio_device *d, uint64_t features);
	uint8_t (*get_status)(struct virtio_device *d);
	/* 0 resets the device; any context (a failing device is reset from interrupts). */
	void (*set_status)(struct virtio_device *d, uint8_t status);
	/* One field of the device-specific configuration, width 1, 2 or 4. */
	uint32_t (*config_read)(struct virtio_device *d, unsigned offset, unsigned width);
	uint32_t (*config_generation)(struct virtio_device *d);	/* 0 if none */
	/* The largest size of queue index (0: no such queue), and whether it is fixed. */
	unsigned (*queue_max)(struct virtio_device *d, unsigned index, bool *fixed);
	/* Tells the device where q's ring is and enables it; 0 or -EIO. */
	int (*queue_enable)(struct virtio_device *d, struct virtio_queue *q);
	/* Rings q's doorbell; called with q->lock held. */
	void (*notify)(struct virtio_device *d, struct virtio_queue *q);
	/* Connects the device's interrupt to virtio_interrupt(d); 0 or -errno. */
	int (*setup_interrupt)(struct virtio_device *d);
};

struct virtio_device {
	char name[40];				/* for the log: "virtio-mmio@0xfeb00e00" */
	uint32_t device_id;
	const struct virtio_transport *transport;
	void *transport_priv;
	uint64_t features;			/* negotiated */
	bool broken;				/* disabled: every request is -EIO */
	unsigned nr_queues;
	struct virtio_queue queues[VIRTIO_MAX_QUEUES];
	const struct virtio_driver *driver;
	void *driver_priv;
	struct virtio_device *next;		/* all devices, for the log and tests */
};

struct virtio_driver {
	const char *name;
	uint32_t device_id;
	uint64_t features;			/* device-specific bits it can use */
	/* Sets up queues, calls virtio_device_ready(); 0 or -errno (device failed). */
	int (*probe)(struct virtio_device *d);
};

#define VIRTIO_DRIVER(var)							\
	static const struct virtio_driver var					\
		__attribute__((used, section(".virtio_drivers"), aligned(8)))

/* Finds and probes every device (boot, thread context). */
void virtio_init(bool pci);

/* Transports: negotiates with d and runs its driver. 0, -ENODEV (no driver) or -errno. */
int virtio_device_add(struct virtio_device *d);

/* Transports: the device interrupted; drains its queues. Interrupt context. */
void virtio_interrupt(struct virtio_device *d);

static inline bool virtio_has_feature(const struct virtio_device *d, unsigned bit)
{
	return d->features & VIRTIO_FEATURE(bit);
}

/*
 * Sets up queue `index` with at most max_size entries (the device may
 * insist on its own size on legacy PCI, up to 4096) and its done function.
 * 0, -ENOENT if the device has no such queue, -ENOMEM, -EIO.
 */
int virtio_queue_setup(struct virtio_device *d, unsigned index, unsigned max_size,
		       virtio_done_fn done);

/* DRIVER_OK: the device may now be used. */
void virtio_device_ready(struct virtio_device *d);

/*
 * Queues a request (see virtq_add(); indirect optional) and notifies the
 * device. Waits for free descriptors if the ring is full: thread context,
 * unless the caller knows there is room. 0, -EIO if the device is broken,
 * -EINVAL for a request the ring can never hold.
 */
int virtio_submit(struct virtio_queue *q, const struct virtq_seg *segs, unsigned n_out,
		  unsigned n_in, void *cookie, struct virtq_desc *indirect, uint64_t indirect_addr);

/*
 * A polled queue (q->ready set): takes the next completed request, 1 with
 * *cookie and *len, 0 if none. -EIO if the device is broken or wrote
 * something impossible (then it is failed, as the interrupt path does).
 * Any context; the caller serialises polls of one queue.
 */
int virtio_queue_poll(struct virtio_queue *q, void **cookie, uint32_t *len);

/* Rings q's doorbell whatever the device asked (a queue it seems to have forgotten). */
void virtio_queue_kick(struct virtio_queue *q);

/* Asks for q's interrupts on or off (virtq_interrupts()); whether completions wait (never once broken). */
bool virtio_queue_interrupts(struct virtio_queue *q, bool on);

/* Reports why, disables the device and fails its requests in flight (any context). */
void virtio_device_fail(struct virtio_device *d, const char *why);

/* The device-specific configuration, read consistently (generation checked). */
uint8_t virtio_config_u8(struct virtio_device *d, unsigned offset);
uint16_t virtio_config_u16(struct virtio_device *d, unsigned offset);
uint32_t virtio_config_u32(struct virtio_device *d, unsigned offset);
uint64_t virtio_config_u64(struct virtio_device *d, unsigned offset);

/* Every device the transports found, newest first (for tests and the log). */
struct virtio_device *virtio_devices(void);

/* The transports' discovery (drivers/virtio_mmio.c, drivers/virtio_pci.c). */
void virtio_mmio_probe_all(void);
void virtio_pci_probe_all(void);

#endif
