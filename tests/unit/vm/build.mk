# tests/unit/vm: lib/rbtree and the address-space layer (mm/vma*.c) on the
# host, under ASan and UBSan. One binary per concern, each printing
# PASS/FAIL lines (harness.h):
#   vm-test-rbtree  the tree against a sorted array
#   vm-test-cases   targeted cases: every errno, merge/split, brk, faults,
#                   /proc/self/maps text, allocation-failure injection
#   vm-test-model   random operation sequences against a page-array model
#   vm-test-linux   the same sequences against the host kernel's mmap family
# The mm/vma*.c sources and lib/rbtree.c compile unchanged for the kernel.

vm-srcs := lib/rbtree.c mm/vma.c mm/vma_map.c mm/vma_remap.c mm/vma_fault.c mm/vma_maps.c
vm-hdrs := include/lib/rbtree.h include/mote/vm.h mm/vma_internal.h
vm-unit-fake := tests/unit/vm/fake.c tests/unit/vm/fake.h tests/unit/vm/harness.h
vm-unit-names := rbtree cases model linux
vm-unit-bins := $(patsubst %,$(BUILD)/host/vm-test-%,$(vm-unit-names))

$(BUILD)/host/vm-test-rbtree: tests/unit/vm/rbtree.c lib/rbtree.c include/lib/rbtree.h \
		tests/unit/vm/harness.h
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	$(Q)$(HOSTCC) $(HOSTCFLAGS) $(SANFLAGS) -o $@ $< lib/rbtree.c

$(BUILD)/host/vm-test-%: tests/unit/vm/%.c $(vm-srcs) $(vm-hdrs) $(vm-unit-fake) lib/fmt.c
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	$(Q)$(HOSTCC) $(HOSTCFLAGS) $(SANFLAGS) -o $@ $< tests/unit/vm/fake.c $(vm-srcs) lib/fmt.c

unit-tests += $(vm-unit-bins)
