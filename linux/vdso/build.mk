# linux/vdso/: the vDSO (docs/vdso.md). Built as a shared object with its own
# flags (user-mode, position-independent), checked by check.sh, stripped, and
# embedded in the kernel by image.S. build/vdso.dbg.so keeps the symbols for gdb.
VDSO_CFLAGS := -std=gnu11 -O2 -g $(WARN) -Iinclude -fPIC -ffreestanding -fno-stack-protector \
	       -mgeneral-regs-only -fcf-protection=none -MMD -MP
VDSO_LDFLAGS := -nostdlib -shared -Wl,-T,linux/vdso/vdso.lds -Wl,--version-script=linux/vdso/vdso.map \
	       -Wl,--hash-style=both -Wl,-soname=linux-vdso.so.1 -Wl,--eh-frame-hdr \
	       -Wl,--build-id=sha1 -Wl,-z,max-page-size=4096 -Wl,-z,noexecstack -Wl,--no-undefined

$(BUILD)/vdso/vdso.o: linux/vdso/vdso.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(VDSO_CFLAGS) -c $< -o $@

$(BUILD)/vdso.dbg.so: $(BUILD)/vdso/vdso.o linux/vdso/vdso.lds linux/vdso/vdso.map
	@echo "  LD      $@"
	$(Q)$(CC) $(VDSO_LDFLAGS) -o $@ $<

$(BUILD)/vdso.so: $(BUILD)/vdso.dbg.so linux/vdso/check.sh
	$(Q)$(OBJCOPY) --strip-all $< $@.tmp
	$(Q)linux/vdso/check.sh $@.tmp
	$(Q)mv $@.tmp $@

kernel-srcs += linux/vdso.c linux/vdso/image.S
$(BUILD)/k/linux/vdso/image.o: $(BUILD)/vdso.so
$(BUILD)/k/linux/vdso/image.o: KCFLAGS += -DVDSO_IMAGE='"$(BUILD)/vdso.so"'