# tests/fuzz/: libFuzzer targets, built with clang. `make fuzz-elf` runs the
# lib/elf target for a million executions from a seed corpus of real binaries
# and records the run in $(BUILD)/fuzz/fuzz-elf.log; `make fuzz-bundle` does
# the same for lib/bundle from bundles `mote run` writes. A short smoke run
# of each (tests/fuzz/smoke.sh) is part of `make test`.
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

# What tests/fuzz/smoke.sh (run by `make test`) needs.
test-deps += $(fuzz-dir)/fuzz-elf $(fuzz-dir)/seeds-elf/.stamp

# lib/bundle: the seeds are real bundles, written by `mote run --dry-run` (which
# keeps the bundle it would boot) for a few programs and options.
$(fuzz-dir)/fuzz-bundle: tests/fuzz/fuzz_bundle.c lib/bundle.c lib/fmt.c include/lib/bundle.h include/abi/bundle.h
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $@"
	$(Q)$(FUZZCC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_bundle.c lib/bundle.c lib/fmt.c

$(fuzz-dir)/seeds-bundle/.stamp: tests/fuzz/seeds-bundle.sh $(BUILD)/mote $(BUILD)/kernel.elf
	@rm -rf $(dir $@) && mkdir -p $(dir $@)
	$(Q)tests/fuzz/seeds-bundle.sh $(dir $@)
	$(Q)touch $@

.PHONY: fuzz-bundle
fuzz-bundle: $(fuzz-dir)/fuzz-bundle $(fuzz-dir)/seeds-bundle/.stamp
	@mkdir -p $(fuzz-dir)/corpus-bundle
	$(fuzz-dir)/fuzz-bundle -runs=$(FUZZ_RUNS) -max_len=65536 -print_final_stats=1 \
		$(fuzz-dir)/corpus-bundle $(fuzz-dir)/seeds-bundle 2>&1 | tee $(fuzz-dir)/fuzz-bundle.log | \
		grep -E '^(#[0-9]+[[:space:]]+(INITED|DONE)|stat::number_of_executed_units|stat::average_exec_per_sec|==[0-9]+==ERROR|SUMMARY)'
	@grep -q '^stat::number_of_executed_units' $(fuzz-dir)/fuzz-bundle.log && \
		! grep -qE '==ERROR|deadly signal|runtime error' $(fuzz-dir)/fuzz-bundle.log

test-deps += $(fuzz-dir)/fuzz-bundle $(fuzz-dir)/seeds-bundle/.stamp

# sysfuzz: random system calls with random arguments, a static program run
# under `mote run` by the boot tests (and natively, see docs/testing.md).
$(BUILD)/tests/sysfuzz: tests/fuzz/sysfuzz.c
	@mkdir -p $(dir $@)
	@echo "  MUSLCC  $@"
	$(Q)musl-gcc -static -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-missing-field-initializers -o $@ $<

test-deps += $(BUILD)/tests/sysfuzz

# The dynamic-section reader of `mote build`'s resolver (tools/mote/deps.c),
# behind lib/elf. Seeds: the dynamic unit-test sample and two small libraries
# with every tag it reads (DT_NEEDED, DT_SONAME, DT_RPATH or DT_RUNPATH),
# each a few KiB so that the smoke run is quick on a busy machine.
$(fuzz-dir)/fuzz-deps: tests/fuzz/fuzz_deps.c tools/mote/deps.c tools/mote/xalloc.c tools/mote/deps.h lib/elf.c lib/fmt.c include/lib/elf.h
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $@"
	$(Q)$(FUZZCC) $(FUZZ_FLAGS) -Itools/mote -o $@ tests/fuzz/fuzz_deps.c tools/mote/deps.c tools/mote/xalloc.c lib/elf.c lib/fmt.c

$(fuzz-dir)/seeds-deps/.stamp: $(elf-samples-dir)/dynamic tests/unit/elf-sample.c
	@rm -rf $(dir $@) && mkdir -p $(dir $@)
	$(Q)cp $(elf-samples-dir)/dynamic $(dir $@)
	$(Q)gcc -O1 -shared -fPIC -Wl,-soname,libseed.so.1 -Wl,--enable-new-dtags \
		-Wl,-rpath,'$$ORIGIN/../lib:/opt/$$LIB' -o $(dir $@)/runpath.so tests/unit/elf-sample.c -lm
	$(Q)gcc -O1 -shared -fPIC -Wl,-soname,libseed.so.2 -Wl,--disable-new-dtags \
		-Wl,-rpath,/opt/lib -o $(dir $@)/rpath.so tests/unit/elf-sample.c -lm
	$(Q)touch $@

.PHONY: fuzz-deps
fuzz-deps: $(fuzz-dir)/fuzz-deps $(fuzz-dir)/seeds-deps/.stamp
	@mkdir -p $(fuzz-dir)/corpus-deps
	$(fuzz-dir)/fuzz-deps -runs=$(FUZZ_RUNS) -max_len=65536 -print_final_stats=1 \
		$(fuzz-dir)/corpus-deps $(fuzz-dir)/seeds-deps 2>&1 | tee $(fuzz-dir)/fuzz-deps.log | \
		grep -E '^(#[0-9]+[[:space:]]+(INITED|DONE)|stat::number_of_executed_units|stat::average_exec_per_sec|==[0-9]+==ERROR|SUMMARY)'
	@grep -q '^stat::number_of_executed_units' $(fuzz-dir)/fuzz-deps.log && \
		! grep -qE '==ERROR|deadly signal|runtime error' $(fuzz-dir)/fuzz-deps.log

test-deps += $(fuzz-dir)/fuzz-deps $(fuzz-dir)/seeds-deps/.stamp

# lib/image (and lib/lz4): the seeds are small images `mote build` writes
# (tests/fuzz/seeds-image.sh); the target fixes the CRCs up itself so that
# mutations reach the checks behind them.
$(fuzz-dir)/fuzz-image: tests/fuzz/fuzz_image.c lib/image.c lib/lz4.c lib/fmt.c include/lib/image.h include/abi/image.h include/lib/lz4.h
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $@"
	$(Q)$(FUZZCC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_image.c lib/image.c lib/lz4.c lib/fmt.c

$(fuzz-dir)/seeds-image/.stamp: tests/fuzz/seeds-image.sh $(BUILD)/mote
	@rm -rf $(dir $@) && mkdir -p $(dir $@)
	$(Q)tests/fuzz/seeds-image.sh $(dir $@)
	$(Q)touch $@

.PHONY: fuzz-image
fuzz-image: $(fuzz-dir)/fuzz-image $(fuzz-dir)/seeds-image/.stamp
	@mkdir -p $(fuzz-dir)/corpus-image
	$(fuzz-dir)/fuzz-image -runs=$(FUZZ_RUNS) -max_len=65536 -print_final_stats=1 \
		$(fuzz-dir)/corpus-image $(fuzz-dir)/seeds-image 2>&1 | tee $(fuzz-dir)/fuzz-image.log | \
		grep -E '^(#[0-9]+[[:space:]]+(INITED|DONE)|stat::number_of_executed_units|stat::average_exec_per_sec|==[0-9]+==ERROR|SUMMARY)'
	@grep -q '^stat::number_of_executed_units' $(fuzz-dir)/fuzz-image.log && \
		! grep -qE '==ERROR|deadly signal|runtime error' $(fuzz-dir)/fuzz-image.log

test-deps += $(fuzz-dir)/fuzz-image $(fuzz-dir)/seeds-image/.stamp

# Path resolution and the namespace operations (fs/ over ramfs, as
# tests/unit/fs builds them): each input makes a small tree under three
# mounted ramfs instances, runs a sequence of operations on paths made from
# its bytes and checks the results (the invariants are at the top of
# fuzz_path.c). The seeds are hand-written (tests/fuzz/seeds-path.sh).
fuzz-path-srcs := tests/fuzz/fuzz_path.c $(fs-srcs) lib/rbtree.c tests/unit/fs/sync_host.c
$(fuzz-dir)/fuzz-path: $(fuzz-path-srcs) $(wildcard fs/*.h) include/mote/vfs.h include/mote/file.h
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $@"
	$(Q)$(FUZZCC) $(FUZZ_FLAGS) $(WARN) -Ifs -o $@ $(fuzz-path-srcs)

$(fuzz-dir)/seeds-path/.stamp: tests/fuzz/seeds-path.sh
	@rm -rf $(dir $@) && mkdir -p $(dir $@)
	$(Q)tests/fuzz/seeds-path.sh $(dir $@)
	$(Q)touch $@

.PHONY: fuzz-path
fuzz-path: $(fuzz-dir)/fuzz-path $(fuzz-dir)/seeds-path/.stamp
	@mkdir -p $(fuzz-dir)/corpus-path
	$(fuzz-dir)/fuzz-path -runs=$(FUZZ_RUNS) -max_len=4096 -print_final_stats=1 \
		$(fuzz-dir)/corpus-path $(fuzz-dir)/seeds-path 2>&1 | tee $(fuzz-dir)/fuzz-path.log | \
		grep -E '^(#[0-9]+[[:space:]]+(INITED|DONE)|stat::number_of_executed_units|stat::average_exec_per_sec|==[0-9]+==ERROR|SUMMARY)'
	@grep -q '^stat::number_of_executed_units' $(fuzz-dir)/fuzz-path.log && \
		! grep -qE '==ERROR|deadly signal|runtime error' $(fuzz-dir)/fuzz-path.log

test-deps += $(fuzz-dir)/fuzz-path $(fuzz-dir)/seeds-path/.stamp

# The packet path: lwIP as the kernel builds it (the same $(lwip-srcs) from
# net/port/build.mk, the same lwipopts.h and arch/cc.h) with a host sys_arch
# (tests/fuzz/net/: a fake clock, malloc, assertions that abort), under a
# harness that feeds frames to an Ethernet netif through the kernel's frame
# copy, net/port/frame.c (tests/fuzz/fuzz_net.c).
# lwIP's files are compiled without our warnings, as in the kernel, into
# objects of their own; the seeds are made by tests/fuzz/seeds-net.sh.
# `make fuzz-net` stops after FUZZ_RUNS executions or FUZZ_NET_TIME seconds,
# whichever comes first (the stack is slower to run than a parser).
FUZZ_NET_TIME ?= 1200
FUZZ_NET_INC := -Inet/port -I$(LWIP_SRC)/include
fuzz-net-lwip-objs := $(patsubst %.c,$(fuzz-dir)/lwip/%.o,$(lwip-srcs))

$(fuzz-dir)/lwip/%.o: $(LWIP_SRC)/%.c net/port/lwipopts.h net/port/arch/cc.h | $(LWIP_STAMP)
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  lwip/$*.c"
	$(Q)$(FUZZCC) $(subst -fsanitize=fuzzer,-fsanitize=fuzzer-no-link,$(FUZZ_FLAGS)) -w \
		$(FUZZ_NET_INC) -c $< -o $@

$(fuzz-dir)/fuzz-net: tests/fuzz/fuzz_net.c tests/fuzz/net/sys_arch.c tests/fuzz/net/host.h \
		net/port/frame.c net/port/frame.h net/port/dhcp_dns.c net/port/dhcp_dns.h \
		$(fuzz-net-lwip-objs) net/port/lwipopts.h net/port/arch/cc.h
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $@"
	$(Q)$(FUZZCC) $(FUZZ_FLAGS) $(WARN) $(FUZZ_NET_INC) -o $@ tests/fuzz/fuzz_net.c \
		tests/fuzz/net/sys_arch.c net/port/frame.c net/port/dhcp_dns.c $(fuzz-net-lwip-objs)

$(fuzz-dir)/seeds-net/.stamp: tests/fuzz/seeds-net.sh
	@rm -rf $(dir $@) && mkdir -p $(dir $@)
	$(Q)tests/fuzz/seeds-net.sh $(dir $@)
	$(Q)touch $@

.PHONY: fuzz-net
fuzz-net: $(fuzz-dir)/fuzz-net $(fuzz-dir)/seeds-net/.stamp
	@mkdir -p $(fuzz-dir)/corpus-net
	$(fuzz-dir)/fuzz-net -runs=$(FUZZ_RUNS) -max_total_time=$(FUZZ_NET_TIME) -max_len=65536 \
		-print_final_stats=1 \
		$(fuzz-dir)/corpus-net $(fuzz-dir)/seeds-net 2>&1 | tee $(fuzz-dir)/fuzz-net.log | \
		grep -E '^(#[0-9]+[[:space:]]+(INITED|DONE)|stat::number_of_executed_units|stat::average_exec_per_sec|==[0-9]+==ERROR|SUMMARY)'
	@grep -q '^stat::number_of_executed_units' $(fuzz-dir)/fuzz-net.log && \
		! grep -qE '==ERROR|deadly signal|runtime error' $(fuzz-dir)/fuzz-net.log

test-deps += $(fuzz-dir)/fuzz-net $(fuzz-dir)/seeds-net/.stamp
