# Host unit tests of the portable core, under ASan and UBSan.
unit-names := fmt cmdline bootinfo pheap pvclock msi kvm_cpuid
unit-tests += $(patsubst %,$(BUILD)/host/test-%,$(unit-names))

$(BUILD)/host/test-%: tests/unit/test_%.c $(host-lib-srcs) tests/unit/check.h
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	$(Q)$(HOSTCC) $(HOSTCFLAGS) $(SANFLAGS) -Wno-format-truncation -o $@ $< $(host-lib-srcs)

# kernel/pvclock.c is portable kernel code, not lib/: only its own test links it.
$(BUILD)/host/test-pvclock: tests/unit/test_pvclock.c kernel/pvclock.c tests/unit/check.h
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	$(Q)$(HOSTCC) $(HOSTCFLAGS) $(SANFLAGS) -o $@ $< kernel/pvclock.c

# The MSI encoding lives in an arch header so it can be checked here.
$(BUILD)/host/test-msi: arch/x86_64/msi.h
$(BUILD)/host/test-kvm_cpuid: arch/x86_64/kvm.h arch/x86_64/x86.h
