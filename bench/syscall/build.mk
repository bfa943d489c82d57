# bench/syscall: getpid, one-byte reads, clock_gettime and futex wakes in
# mote, in the Linux guest (bench/linux/) and on the host. Needs
# bench/linux/build.mk (MUSLCC, GUEST_CFLAGS) included as well.
#   $(BUILD)/bench-syscall-prog  the program every side runs (static, musl)
#   $(BUILD)/bench-syscall       the side-by-side table (bench/run.sh runs it)
$(BUILD)/bench-syscall-prog: bench/syscall/syscall-prog.c bench/linux/guest-exit.h
	@mkdir -p $(dir $@)
	@echo "  MUSLCC  $@"
	$(Q)$(MUSLCC) $(GUEST_CFLAGS) $< -o $@

$(BUILD)/bench-syscall: bench/syscall/syscall.c bench/stats.h bench/run.h
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	$(Q)$(HOSTCC) $(HOSTCFLAGS) $< -o $@

extra-targets += $(BUILD)/bench-syscall-prog $(BUILD)/bench-syscall
