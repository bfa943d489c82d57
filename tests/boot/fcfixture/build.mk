# tests/boot/fcfixture: a PVH kernel that recreates Firecracker's vCPU start
# state under QEMU (build/fcfixture.elf), and a tiny kernel that checks it
# (build/fcprobe.elf). tests/boot/fcfixture/test-fixture.sh runs the pair.

FCFIX_DIR     := tests/boot/fcfixture
FCFIX_CFLAGS  := -std=gnu11 -O2 -g $(WARN) -m64 -ffreestanding -fno-pic -fno-pie \
		 -mno-red-zone -mgeneral-regs-only -fno-stack-protector \
		 -fno-asynchronous-unwind-tables -fcf-protection=none -fno-common \
		 -fno-tree-loop-distribute-patterns -fno-delete-null-pointer-checks -MMD -MP
FCFIX_LDFLAGS := -nostdlib -static -no-pie -z max-page-size=4096 -z noexecstack \
		 --no-warn-rwx-segments --build-id=none

$(BUILD)/fcfixture/%.o: $(FCFIX_DIR)/%.c
	@mkdir -p $(dir $@)
	$(CC) $(FCFIX_CFLAGS) -c $< -o $@
$(BUILD)/fcfixture/%.o: $(FCFIX_DIR)/%.S
	@mkdir -p $(dir $@)
	$(CC) $(FCFIX_CFLAGS) -c $< -o $@

$(BUILD)/fcfixture.elf: $(BUILD)/fcfixture/entry.o $(BUILD)/fcfixture/fixture.o $(FCFIX_DIR)/fixture.ld
	$(LD) $(FCFIX_LDFLAGS) -T $(FCFIX_DIR)/fixture.ld -o $@ \
		$(BUILD)/fcfixture/entry.o $(BUILD)/fcfixture/fixture.o

# The probe is linked at 1 MiB, where Firecracker loads kernels (HIMEM_START).
$(BUILD)/fcprobe.elf: $(BUILD)/fcfixture/probe.o
	$(LD) $(FCFIX_LDFLAGS) -z noseparate-code -Ttext-segment=0x100000 -e probe_start -o $@ $<

extra-targets += $(BUILD)/fcfixture.elf $(BUILD)/fcprobe.elf
