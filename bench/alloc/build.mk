# bench/alloc: mote's allocator family vs the seed's scheme and glibc
# (space table and malloc/free speed). Unsanitized, like any benchmark.
# Needs mm-host-srcs from mm/build.mk. bench/run.sh runs $(BUILD)/bench-alloc.

bench-alloc-objs := $(patsubst %.c,$(BUILD)/host/mm-bench/%.o,bench/alloc/alloc.c $(mm-host-srcs))

$(BUILD)/host/mm-bench/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	$(Q)$(HOSTCC) $(HOSTCFLAGS) -c $< -o $@

$(BUILD)/bench-alloc: $(bench-alloc-objs)
	@echo "  HOSTLD  $@"
	$(Q)$(HOSTCC) $(HOSTCFLAGS) -o $@ $^

.SECONDARY: $(bench-alloc-objs)

benches += $(BUILD)/bench-alloc
extra-targets += $(BUILD)/bench-alloc
