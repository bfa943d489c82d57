# tests/ktest: in-kernel self-tests (run with --selftest), linked into every kernel.
kernel-srcs += tests/ktest/core.c tests/ktest/mm.c tests/ktest/timer.c tests/ktest/smp.c tests/ktest/irq.c \
	tests/ktest/vm.c tests/ktest/mm_smp.c tests/ktest/sched.c tests/ktest/sync.c tests/ktest/preempt.c \
	tests/ktest/tlb.c tests/ktest/console.c tests/ktest/fdtest.c tests/ktest/pipe.c \
	tests/ktest/epoll.c tests/ktest/blkdev.c tests/ktest/virtio_blk.c tests/ktest/virtio_core.c tests/ktest/random.c tests/ktest/pseudofs.c \
	tests/ktest/imgfs.c
# Size over speed for these: every byte of the kernel image is RAM, and the
# 2 MiB boot test runs with only a few pages to spare.
$(addprefix $(BUILD)/k/tests/ktest/,fdtest.o pipe.o epoll.o pseudofs.o imgfs.o): KCFLAGS += -Os
