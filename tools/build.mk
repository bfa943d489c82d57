# tools/: the `mote` host CLI. Each .c under tools/mote/ is one concern (see
# tools/mote/mote.h); all of them link into $(BUILD)/mote with libc only.

mote-srcs := $(wildcard tools/mote/*.c)
# lib/elf, lib/bundle and lib/frame (lib/fmt for their messages) are shared with the kernel.
mote-lib-srcs := lib/elf.c lib/fmt.c lib/bundle.c lib/frame.c lib/image.c lib/lz4.c
mote-objs := $(patsubst %.c,$(BUILD)/host/%.o,$(mote-srcs) $(mote-lib-srcs))

# Linked static: the dynamic loader was 0.5-0.7 ms of every `mote run` here,
# more than the rest of the launcher, and boot time is measured through it.
# (Override with MOTE_LDFLAGS= for a sanitizer build, which needs dynamic.)
MOTE_LDFLAGS ?= -static

$(BUILD)/host/tools/mote/%.o: tools/mote/%.c
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $<"
	$(Q)$(HOSTCC) $(HOSTCFLAGS) -c $< -o $@

$(BUILD)/host/lib/%.o: lib/%.c
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $<"
	$(Q)$(HOSTCC) $(HOSTCFLAGS) -c $< -o $@

$(BUILD)/mote: $(mote-objs)
	@echo "  HOSTLD  $@"
	$(Q)$(HOSTCC) $(HOSTCFLAGS) $(MOTE_LDFLAGS) -o $@ $(mote-objs)

$(BUILD)/host/tools/mote/main.o: $(git-rev-stamp)
