# kernel/: core services.
kernel-srcs += kernel/main.c kernel/log.c kernel/panic.c kernel/ksyms.c kernel/ktest.c \
	kernel/time.c kernel/bootchart.c kernel/percpu.c kernel/clock.c kernel/pvclock.c kernel/timer.c kernel/smp.c \
	kernel/crash.c \
	kernel/spinlock.c kernel/thread.c kernel/sched.c kernel/wait.c kernel/sync.c kernel/futex.c kernel/kbench.c \
	kernel/random.c
