# tests/fuzz/: libFuzzer targets, built with clang. `make fuzz-elf` runs the
# lib/elf target for a million executions from a seed corpus of real binaries
# and records the run in $(BUILD)/fuzz/fuzz-elf.log; a short smoke run of it
# (tests/fuzz/smoke-elf.sh) is part of `make test`.
FUZZCC      ?= clang
FUZZ_FLAGS  := -std=gnu11 -O1 -g -Iinclude -fsanitize=fuzzer,address,undefined \
	       -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_RUNS   ?= 1000000
fuzz-dir    := $(BUILD)/fuzz

$(fuzz-dir)/fuzz-elf: tests/fuzz/fuzz_elf.c lib/elf.c lib/fmt.c include/lib/elf.h
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $@"
	$(Q)$(FUZZCC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_elf.c lib/elf.c lib/fmt.c

# The seeds: the unit tests' sample binaries and the kernel (headers matter
# most, so each is also cut to its first 4 KiB).
$(fuzz-dir)/seeds-elf/.stamp: $(elf-samples) $(BUILD)/kernel.elf
	@mkdir -p $(dir $@)
	$(Q)for f in $^; do n=$$(basename $$f); cp $$f $(dir $@)/$$n; \
		head -c 4096 $$f > $(dir $@)/$$n.head; done
	$(Q)touch $@

.PHONY: fuzz-elf
fuzz-elf: $(fuzz-dir)/fuzz-elf $(fuzz-dir)/seeds-elf/.stamp
	@mkdir -p $(fuzz-dir)/corpus-elf
	$(fuzz-dir)/fuzz-elf -runs=$(FUZZ_RUNS) -max_len=65536 -print_final_stats=1 \
		$(fuzz-dir)/corpus-elf $(fuzz-dir)/seeds-elf 2>&1 | tee $(fuzz-dir)/fuzz-elf.log | \
		grep -E '^(#[0-9]+[[:space:]]+(INITED|DONE)|stat::number_of_executed_units|stat::average_exec_per_sec|==[0-9]+==ERROR|SUMMARY)'
	@grep -q '^stat::number_of_executed_units' $(fuzz-dir)/fuzz-elf.log && \
		! grep -qE '==ERROR|deadly signal|runtime error' $(fuzz-dir)/fuzz-elf.log

# What tests/fuzz/smoke-elf.sh (run by `make test`) needs.
test-deps += $(fuzz-dir)/fuzz-elf $(fuzz-dir)/seeds-elf/.stamp
