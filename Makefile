# mote: the top-level build. Each directory lists its own sources in build.mk;
# this file holds only the rules. `make` builds build/kernel.elf and build/mote.

.DEFAULT_GOAL := all
BUILD   ?= build
VERSION := 0.1.0
GIT_REV := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)

CC      ?= gcc
HOSTCC  ?= gcc
NM      ?= nm
OBJCOPY ?= objcopy

WARN    := -Wall -Wextra -Werror -Wmissing-prototypes -Wstrict-prototypes -Wshadow
DEFS    := -DMOTE_VERSION='"$(VERSION)"' -DMOTE_GIT_REV='"$(GIT_REV)"'

# The kernel: freestanding, upper-half code model, no red zone (interrupts land on
# IST stacks but kernel code must not rely on that), no FPU/SIMD state in the kernel,
# frame pointers kept for backtraces.
#
# Link-time optimization: under software emulation a boot's time is the number of
# distinct basic blocks it runs (docs/PERFORMANCE.md), and a call costs two (the
# callee's entry and the return point), so inlining across files shortens it:
# 1,108 kernel blocks to the banner without LTO, 908 with. The code-generation
# flags are repeated at the link, where the code is generated.
#
# -fno-ipa-reference: across the whole kernel, gcc's static-variable analysis
# decides which functions can change a variable whose address is never taken,
# and counts inline asm with a "memory" clobber as none of them. But `sti; hlt`
# runs interrupt handlers inside the asm: a flag set by a timer callback and
# polled around arch_idle() was folded to its value before the wait.
#
# -mbranch-cost=5 (the most gcc allows): under TCG every conditional branch
# ends a translated block, and a boot is paid for by the block, so the kernel
# prefers cmov and setcc where gcc can use them: 1.8% fewer blocks on the way
# to a program for 0.9% more instructions, about 0.1 ms (docs/PERFORMANCE.md).
# `make test KOPT=-Os` (or -O3): other code from the same source (docs/testing.md).
KOPT ?= -O2
KCODEGEN := $(KOPT) -ffreestanding -fno-pic -fno-pie -mcmodel=kernel -mno-red-zone \
	    -mgeneral-regs-only -fno-stack-protector -fno-omit-frame-pointer \
	    -fno-asynchronous-unwind-tables -fno-common -fcf-protection=none \
	    -flto=auto -fno-ipa-reference -mbranch-cost=5
KCFLAGS := -std=gnu11 -g $(WARN) $(DEFS) -Iinclude $(KCODEGEN) -MMD -MP
KLDFLAGS := -nostdlib -static -no-pie $(KCODEGEN) -g -Wl,--build-id=none \
	    -Wl,-z,max-page-size=4096 -Wl,-z,noexecstack -Wl,--gc-sections \
	    -Wl,--no-warn-rwx-segments -Wl,-T,arch/x86_64/kernel.ld

# Host programs (the CLI, unit tests, benchmarks).
HOSTCFLAGS := -std=gnu11 -O2 -g $(WARN) $(DEFS) -Iinclude -MMD -MP
SANFLAGS   := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

# Files that print the git revision are rebuilt when it changes; the stamp
# is rewritten only when the revision differs.
git-rev-stamp := $(BUILD)/git-rev
$(shell mkdir -p $(BUILD) && [ "$$(cat $(git-rev-stamp) 2>/dev/null)" = "$(GIT_REV)" ] || \
	echo "$(GIT_REV)" > $(git-rev-stamp))
$(BUILD)/k/kernel/main.o: $(git-rev-stamp)

kernel-srcs :=
kernel-extra-objs :=
extra-targets :=
test-deps :=
host-lib-srcs :=
include lib/build.mk arch/x86_64/build.mk platform/build.mk kernel/build.mk \
	drivers/build.mk mm/build.mk fs/build.mk net/build.mk net/port/build.mk linux/build.mk linux/vdso/build.mk tests/ktest/build.mk
include tools/build.mk tests/build.mk bench/build.mk

kernel-objs := $(patsubst %,$(BUILD)/k/%.o,$(basename $(kernel-srcs))) $(kernel-extra-objs)

.PHONY: all run test bench clean deps docs print-unit-tests
all: $(BUILD)/kernel.elf $(BUILD)/kernel-test.elf $(BUILD)/mote $(extra-targets)

Q := $(if $(V),,@)

# The kernel's code generation, remembered: a change (make KOPT=-Os after a plain make)
# rebuilds every kernel object and link.
kcodegen-stamp := $(BUILD)/k/codegen.txt
$(shell mkdir -p $(BUILD)/k && { echo '$(KCODEGEN)' | cmp -s - $(kcodegen-stamp) || \
	echo '$(KCODEGEN)' > $(kcodegen-stamp); })

$(BUILD)/k/%.o: %.c $(kcodegen-stamp)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(KCFLAGS) -c $< -o $@
$(BUILD)/k/%.o: %.S $(kcodegen-stamp)
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	$(Q)$(CC) $(KCFLAGS) -D__ASSEMBLY__ -c $< -o $@

# Two links: the first finds where every function landed, the second embeds that
# table (.ksyms sits after .text and .rodata, so text addresses cannot move).
# The image is stripped; its debug info goes to NAME.debug beside it with the
# symbol table (gdb finds it through the debug link), keeping the image small:
# the kernel's own symbols for backtraces are .ksyms.
# $(call kernel-image,NAME,OBJECTS): the rules for $(BUILD)/NAME.elf (relinked when a
# makefile changes, since that may change OBJECTS).
define kernel-image
$(BUILD)/$(1).pass1.elf: $(2) $(BUILD)/k/ksyms-empty.o arch/x86_64/kernel.ld $(MAKEFILE_LIST) \
		$(kcodegen-stamp)
	@echo "  LD      $$@"
	$(Q)$(CC) $(KLDFLAGS) -o $$@ $(2) $(BUILD)/k/ksyms-empty.o
$(BUILD)/k/$(1)-ksyms.o: $(BUILD)/$(1).pass1.elf tools/ksyms.sh
	$(Q)$(NM) -n --defined-only $$< | tools/ksyms.sh - > $(BUILD)/k/$(1)-ksyms.S
	$(Q)$(CC) $(KCFLAGS) -D__ASSEMBLY__ -c $(BUILD)/k/$(1)-ksyms.S -o $$@
$(BUILD)/$(1).elf: $(2) $(BUILD)/k/$(1)-ksyms.o arch/x86_64/kernel.ld
	@echo "  LD      $$@"
	$(Q)$(CC) $(KLDFLAGS) -o $(BUILD)/$(1).full.elf $(2) $(BUILD)/k/$(1)-ksyms.o
	@$(NM) -n --defined-only $(BUILD)/$(1).pass1.elf | grep ' [tT] ' > $(BUILD)/k/$(1)-text1.txt
	@$(NM) -n --defined-only $(BUILD)/$(1).full.elf | grep ' [tT] ' > $(BUILD)/k/$(1)-text2.txt
	@cmp -s $(BUILD)/k/$(1)-text1.txt $(BUILD)/k/$(1)-text2.txt || \
		{ echo "$(1).elf: text moved between links; ksyms would lie" >&2; exit 1; }
	$(Q)$(OBJCOPY) --only-keep-debug $(BUILD)/$(1).full.elf $(BUILD)/$(1).debug
	$(Q)$(OBJCOPY) --strip-all --add-gnu-debuglink=$(BUILD)/$(1).debug \
		$(BUILD)/$(1).full.elf $$@
endef
$(BUILD)/k/ksyms-empty.o: tools/ksyms.sh
	@mkdir -p $(dir $@)
	$(Q)tools/ksyms.sh /dev/null > $(BUILD)/k/ksyms-empty.S
	$(Q)$(CC) $(KCFLAGS) -D__ASSEMBLY__ -c $(BUILD)/k/ksyms-empty.S -o $@
# kernel.elf is what ships and boots apps; kernel-test.elf adds the in-kernel
# self-tests (tests/ktest), which `--selftest` runs.
$(eval $(call kernel-image,kernel,$(kernel-objs)))
$(eval $(call kernel-image,kernel-test,$(kernel-objs) $(ktest-objs)))

deps:
	tools/install-deps.sh

run: deps all
	$(BUILD)/mote run
	$(BUILD)/mote run /usr/bin/busybox -- uname -a

test: deps all unit-tests $(test-deps)
	tests/run.sh

docs:
	tools/gen-syscalls-doc.sh

bench: deps all
	bench/run.sh

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

print-unit-tests:
	@echo $(unit-tests)
