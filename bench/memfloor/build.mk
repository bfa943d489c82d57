# bench/memfloor: a script; installed beside the other benchmarks.
$(BUILD)/bench-memfloor: bench/memfloor/memfloor.sh
	@mkdir -p $(dir $@)
	$(Q)install -m 755 $< $@
extra-targets += $(BUILD)/bench-memfloor
