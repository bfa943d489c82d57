# kernel/: core services.
kernel-srcs += kernel/main.c kernel/log.c kernel/panic.c kernel/ksyms.c kernel/ktest.c \
	kernel/time.c kernel/bootchart.c kernel/percpu.c kernel/clock.c kernel/timer.c kernel/smp.c
