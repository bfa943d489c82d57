# drivers/: device drivers.
kernel-srcs += drivers/serial.c drivers/console.c drivers/console_in.c drivers/blkdev.c
