# tools/: the `mote` host CLI. Each .c under tools/mote/ is one concern (see
# tools/mote/mote.h); all of them link into $(BUILD)/mote with libc only.

mote-srcs := $(wildcard tools/mote/*.c)
mote-objs := $(patsubst %.c,$(BUILD)/host/%.o,$(mote-srcs))

$(BUILD)/host/tools/mote/%.o: tools/mote/%.c
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOSTCFLAGS) -c $< -o $@

$(BUILD)/mote: $(mote-objs)
	$(HOSTCC) $(HOSTCFLAGS) -o $@ $(mote-objs)
