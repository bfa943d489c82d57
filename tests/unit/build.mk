# Host unit tests of the portable core, under ASan and UBSan.
unit-names := fmt cmdline bootinfo pheap pvclock msi kvm_cpuid frame virtqueue chacha20 sort
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

# drivers/virtio_queue.c is portable kernel code: only its own test links it.
$(BUILD)/host/test-virtqueue: tests/unit/test_virtqueue.c drivers/virtio_queue.c include/mote/virtqueue.h tests/unit/check.h
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	$(Q)$(HOSTCC) $(HOSTCFLAGS) $(SANFLAGS) -o $@ $< drivers/virtio_queue.c

# The MSI encoding lives in an arch header so it can be checked here.
$(BUILD)/host/test-msi: arch/x86_64/msi.h
$(BUILD)/host/test-kvm_cpuid: arch/x86_64/kvm.h arch/x86_64/x86.h

# lib/elf is checked against real binaries built here in four flavours
# (glibc static, static-PIE and dynamic, musl static) plus build/kernel.elf.
elf-samples-dir := $(BUILD)/host/elf-samples
elf-samples := $(addprefix $(elf-samples-dir)/,static static-pie dynamic musl-static)
unit-tests += $(BUILD)/host/test-elf
$(elf-samples-dir)/static: tests/unit/elf-sample.c
	@mkdir -p $(dir $@)
	$(Q)gcc -O1 -static -o $@ $<
$(elf-samples-dir)/static-pie: tests/unit/elf-sample.c
	@mkdir -p $(dir $@)
	$(Q)gcc -O1 -static-pie -fPIE -o $@ $<
$(elf-samples-dir)/dynamic: tests/unit/elf-sample.c
	@mkdir -p $(dir $@)
	$(Q)gcc -O1 -o $@ $<
$(elf-samples-dir)/musl-static: tests/unit/elf-sample.c
	@mkdir -p $(dir $@)
	$(Q)musl-gcc -O1 -static -o $@ $<
$(BUILD)/host/test-elf: tests/unit/test_elf.c $(host-lib-srcs) tests/unit/check.h $(elf-samples) $(BUILD)/kernel.elf
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	$(Q)$(HOSTCC) $(HOSTCFLAGS) $(SANFLAGS) -DELF_SAMPLES='"$(elf-samples-dir)"' \
		-DKERNEL_ELF='"$(BUILD)/kernel.elf"' -o $@ $< $(host-lib-srcs)

# lib/bundle with the host's writer (tools/mote/bundle.c), read back through the parser.
unit-tests += $(BUILD)/host/test-bundle
$(BUILD)/host/test-bundle: tests/unit/test_bundle.c tools/mote/bundle.c tools/mote/mote.h $(host-lib-srcs) tests/unit/check.h
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	$(Q)$(HOSTCC) $(HOSTCFLAGS) $(SANFLAGS) -Itools/mote -o $@ $< tools/mote/bundle.c $(host-lib-srcs)

# The vDSO image as libc finds and calls it (linux/vdso/, docs/vdso.md).
unit-tests += $(BUILD)/host/test-vdso
$(BUILD)/host/test-vdso: tests/unit/test_vdso.c include/abi/vdso.h tests/unit/check.h $(BUILD)/vdso.so
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	$(Q)$(HOSTCC) $(HOSTCFLAGS) $(SANFLAGS) -pthread -DVDSO_SO='"$(BUILD)/vdso.so"' -o $@ $<

# tools/mote/tsc: when measured windows give the host's TSC rate.
unit-tests += $(BUILD)/host/test-tsc
$(BUILD)/host/test-tsc: tests/unit/test_tsc.c tools/mote/tsc.c tools/mote/mote.h tests/unit/check.h
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	$(Q)$(HOSTCC) $(HOSTCFLAGS) $(SANFLAGS) -Itools/mote -o $@ $< tools/mote/tsc.c

# tools/mote/deps (the shared-library resolver of `mote build`): real Debian
# programs compared with ldd, and synthetic libraries the test builds with gcc.
# deps-list prints a program's resolved list (docs/build.md).
deps-srcs := tools/mote/deps.c tools/mote/xalloc.c lib/elf.c lib/fmt.c
unit-tests += $(BUILD)/host/test-deps
extra-targets += $(BUILD)/host/deps-list
$(BUILD)/host/test-deps: tests/unit/test_deps.c $(deps-srcs) tools/mote/deps.h include/lib/elf.h tests/unit/check.h
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	$(Q)$(HOSTCC) $(HOSTCFLAGS) $(SANFLAGS) -Wno-format-truncation -Itools/mote -o $@ $< $(deps-srcs)
$(BUILD)/host/deps-list: tests/unit/deps_list.c $(deps-srcs) tools/mote/deps.h include/lib/elf.h
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	$(Q)$(HOSTCC) $(HOSTCFLAGS) $(SANFLAGS) -Wno-format-truncation -Itools/mote -o $@ $< $(deps-srcs)
# lib/image and lib/lz4 with the host's writer (tools/mote/image_write.c): round trips,
# reproducibility, and damaged images of every kind refused (docs/image-format.md).
unit-tests += $(BUILD)/host/test-image
$(BUILD)/host/test-image: tests/unit/test_image.c tools/mote/image_write.c tools/mote/mote.h $(host-lib-srcs) tests/unit/check.h
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	$(Q)$(HOSTCC) $(HOSTCFLAGS) $(SANFLAGS) -Itools/mote -o $@ $< tools/mote/image_write.c $(host-lib-srcs)
