# bench: benchmarks, each printing a side-by-side table. `make bench` runs
# bench/run.sh, which runs every bench/*/ benchmark.

# The floor kernel: a PVH entry that exits QEMU at once, linked at 1 MiB.
$(BUILD)/floor.elf: bench/boot/floor.S
	@mkdir -p $(BUILD)/bench
	$(CC) -m64 -c $< -o $(BUILD)/bench/floor.o
	$(LD) -nostdlib -static -no-pie -z max-page-size=4096 -z noexecstack -z noseparate-code \
		--build-id=none -Ttext-segment=0x100000 -e floor_entry -o $@ $(BUILD)/bench/floor.o

# bench/boot: floor vs mote boot time, wall clock, alternating runs.
$(BUILD)/bench-boot: bench/boot/boot.c bench/boot/python.c bench/boot/python.h bench/run.h \
		bench/stats.h
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOSTCFLAGS) bench/boot/boot.c bench/boot/python.c -o $@

# bench/boot's python row: the Linux guest's /init (mount the squashfs, run
# python3); the images are made by bench/boot/make-python.sh when it first runs.
$(BUILD)/bench/pyinit: bench/boot/pyinit.c bench/linux/guest-exit.h
	@mkdir -p $(dir $@)
	@echo "  MUSLCC  $@"
	$(Q)$(MUSLCC) $(GUEST_CFLAGS) $< -o $@

# bench/boot's hello row: a static musl hello world run by `mote run`.
$(BUILD)/bench/hello: bench/boot/hello.c
	@mkdir -p $(dir $@)
	@echo "  MUSLCC  $@"
	$(Q)$(MUSLCC) $(GUEST_CFLAGS) $< -o $@

extra-targets += $(BUILD)/floor.elf $(BUILD)/bench-boot $(BUILD)/bench/hello $(BUILD)/bench/pyinit
-include bench/alloc/build.mk
-include bench/blocks/build.mk
-include bench/fs/build.mk
-include bench/memfloor/build.mk
-include bench/net/build.mk
-include bench/linux/build.mk
-include bench/sched/build.mk
-include bench/syscall/build.mk
