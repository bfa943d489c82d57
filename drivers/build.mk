# drivers/: device drivers.
kernel-srcs += drivers/serial.c
