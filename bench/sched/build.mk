# bench/sched: thread create+join, condvar ping-pong and timer wake-up latency
# in mote, in the Linux guest (bench/linux/) and on the host. Needs
# bench/linux/build.mk (MUSLCC, GUEST_CFLAGS) included as well.
#   $(BUILD)/linux/sched-linux  the pthread side (static, musl; guest and host)
#   $(BUILD)/bench-sched        the side-by-side table (bench/run.sh runs it)
$(BUILD)/linux/sched-linux: bench/sched/sched-linux.c bench/linux/guest-exit.h
	@mkdir -p $(dir $@)
	@echo "  MUSLCC  $@"
	$(Q)$(MUSLCC) $(GUEST_CFLAGS) $< -o $@

$(BUILD)/bench-sched: bench/sched/sched.c bench/stats.h bench/run.h
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	$(Q)$(HOSTCC) $(HOSTCFLAGS) $< -o $@

extra-targets += $(BUILD)/linux/sched-linux $(BUILD)/bench-sched

# The mote side: an in-kernel benchmark (`bench=sched` on the kernel command line).
kernel-srcs += bench/sched/kernel.c
