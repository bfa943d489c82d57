# bench/fs: sequential read of a 64 MiB file and stat of 10,000 files, cold
# after boot, in mote (its image file system) and in the Linux guest
# (bench/linux/) from ext4 and squashfs. Needs bench/linux/build.mk (MUSLCC,
# GUEST_CFLAGS) included as well. The test tree and the disk images are not
# made here but by the driver on its first run (bench/fs/make-data.sh), so
# `make` stays quick and small.
#   $(BUILD)/bench-fs-prog  the program every side runs (static, musl)
#   $(BUILD)/bench-fs       the side-by-side table (bench/run.sh runs it)
$(BUILD)/bench-fs-prog: bench/fs/fs-prog.c bench/linux/guest-exit.h
	@mkdir -p $(dir $@)
	@echo "  MUSLCC  $@"
	$(Q)$(MUSLCC) $(GUEST_CFLAGS) $< -o $@

$(BUILD)/bench-fs: bench/fs/fs.c bench/stats.h bench/run.h
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	$(Q)$(HOSTCC) $(HOSTCFLAGS) $< -o $@

extra-targets += $(BUILD)/bench-fs-prog $(BUILD)/bench-fs
