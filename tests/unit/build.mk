# Host unit tests of the portable core, under ASan and UBSan.
unit-names := fmt cmdline bootinfo pheap
unit-tests += $(patsubst %,$(BUILD)/host/test-%,$(unit-names))

$(BUILD)/host/test-%: tests/unit/test_%.c $(host-lib-srcs) tests/unit/check.h
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	$(Q)$(HOSTCC) $(HOSTCFLAGS) $(SANFLAGS) -Wno-format-truncation -o $@ $< $(host-lib-srcs)
