# tests/unit/mm: the allocator family on the host, under ASan and UBSan.
# One binary per concern; each prints PASS/FAIL lines (see check.h).
# Needs mm-host-srcs from mm/build.mk.

mm-unit-names := page early malloc debug pcp
mm-unit-bins := $(patsubst %,$(BUILD)/host/mm-test-%,$(mm-unit-names))
mm-san-objs := $(patsubst %.c,$(BUILD)/host/mm-san/%.o,$(mm-host-srcs))

$(BUILD)/host/mm-san/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	$(Q)$(HOSTCC) $(HOSTCFLAGS) $(SANFLAGS) -c $< -o $@

$(BUILD)/host/mm-test-%: $(BUILD)/host/mm-san/tests/unit/mm/%.o $(mm-san-objs)
	@echo "  HOSTLD  $@"
	$(Q)$(HOSTCC) $(HOSTCFLAGS) $(SANFLAGS) -o $@ $^

# Keep the objects (make would delete them as intermediates).
.SECONDARY: $(mm-san-objs) $(patsubst %,$(BUILD)/host/mm-san/tests/unit/mm/%.o,$(mm-unit-names))

unit-tests += $(mm-unit-bins)
