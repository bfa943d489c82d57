# drivers/: device drivers.
kernel-srcs += drivers/serial.c drivers/console.c drivers/console_in.c drivers/blkdev.c \
	drivers/virtio.c drivers/virtio_queue.c drivers/virtio_mmio.c drivers/virtio_blk.c drivers/virtio_pci.c drivers/virtio_rng.c drivers/virtio_console.c \
	drivers/virtio_net.c drivers/netdev.c
