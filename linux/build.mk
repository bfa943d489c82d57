# linux/: the Linux system-call layer.
kernel-srcs += linux/syscall.c linux/uaccess.c linux/mm.c linux/process.c linux/exec.c \
	linux/run.c linux/signal.c linux/futex.c linux/thread.c linux/time.c linux/misc.c linux/fd.c linux/path.c linux/poll.c linux/timers.c linux/strace.c linux/stdio.c linux/boot.c \
	linux/devices.c linux/proc_pid.c linux/kernelfs.c linux/socket.c
# /proc/self and the devices: size over speed (every byte of the kernel image is RAM).
$(addprefix $(BUILD)/k/linux/,proc_pid.o devices.o kernelfs.o): KCFLAGS += -Os
