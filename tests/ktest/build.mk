# tests/ktest: in-kernel self-tests (run with --selftest), linked into the test
# kernel only (build/kernel-test.elf: kernel.elf and these), so the kernel that
# ships carries none of them.
ktest-srcs := tests/ktest/core.c tests/ktest/mm.c tests/ktest/timer.c tests/ktest/smp.c tests/ktest/irq.c \
	tests/ktest/vm.c tests/ktest/mm_smp.c tests/ktest/sched.c tests/ktest/sync.c tests/ktest/preempt.c \
	tests/ktest/tlb.c tests/ktest/console.c tests/ktest/fdtest.c tests/ktest/pipe.c \
	tests/ktest/epoll.c tests/ktest/blkdev.c tests/ktest/virtio_blk.c tests/ktest/virtio_core.c tests/ktest/random.c tests/ktest/virtio_net.c tests/ktest/pseudofs.c \
	tests/ktest/imgfs.c tests/ktest/socket.c tests/ktest/uio.c
# Size over speed for all of them: every byte of the kernel image is RAM (the
# self-tests also run with -m 3M), and none measures code the -Os build would change.
ktest-objs := $(patsubst %.c,$(BUILD)/k/%.o,$(ktest-srcs))
$(ktest-objs): KCFLAGS += -Os
