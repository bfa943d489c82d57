# tests/compat/: the compatibility suite. Every tests/compat/*.c is built static
# against two libcs, a few also as static-PIE, plus one Go program; run.sh runs
# each case of tests/compat/cases natively and under `mote run` and diffs them.
#   $(BUILD)/compat/musl/NAME       musl-gcc -static
#   $(BUILD)/compat/glibc/NAME      gcc -static -pthread
#   $(BUILD)/compat/musl-pie/NAME   musl static-PIE (Debian's musl-gcc specs
#                                   know no -static-pie, so the start files
#                                   are named here: rcrt1.o self-relocates)
#   $(BUILD)/compat/glibc-pie/NAME  gcc -static-pie
#   $(BUILD)/compat/glibc-dyn/NAME  gcc -pthread: dynamic PIE (Debian's default),
#                                   run by mote from a cached image with its
#                                   own ld.so and libraries
#   $(BUILD)/compat/go/goroutines   CGO_ENABLED=0 go build (checked: no
#                                   program interpreter, no dynamic section)
# `make compat` runs the suite against mote; `make compat-native` checks that
# every case is deterministic natively (part of `make test`).

compat-dir   := $(BUILD)/compat
compat-srcs  := $(sort $(wildcard tests/compat/*.c))
compat-names := $(notdir $(basename $(compat-srcs)))
# The static-PIE subset: start-up (relocation, TLS, auxv) and a little of everything.
compat-pie-names := env_args exit_codes pthread_tls signal_segv malloc_large stdin_sum

COMPAT_CFLAGS := -std=gnu11 -O2 -Wall -Wextra -Werror -Wno-format-truncation -Wno-stringop-truncation -D_GNU_SOURCE
musl-dir := /usr/lib/x86_64-linux-musl
MUSL_PIE_LINK = -fPIE -nostartfiles -Wl,-static -Wl,-pie -Wl,--no-dynamic-linker -Wl,-z,text \
	$(musl-dir)/rcrt1.o $(musl-dir)/crti.o $(shell gcc -print-file-name=crtbeginS.o)
MUSL_PIE_END = $(shell gcc -print-file-name=crtendS.o) $(musl-dir)/crtn.o

$(compat-dir)/musl/%: tests/compat/%.c tests/compat/compat.h tests/compat/sockcompat.h
	@mkdir -p $(dir $@)
	@echo "  MUSLCC  $@"
	$(Q)musl-gcc -static $(COMPAT_CFLAGS) -o $@ $< -lm
$(compat-dir)/glibc/%: tests/compat/%.c tests/compat/compat.h tests/compat/sockcompat.h
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)gcc -static -pthread $(COMPAT_CFLAGS) -o $@ $< -lm
$(compat-dir)/musl-pie/%: tests/compat/%.c tests/compat/compat.h tests/compat/sockcompat.h
	@mkdir -p $(dir $@)
	@echo "  MUSLCC  $@"
	$(Q)musl-gcc $(COMPAT_CFLAGS) $(MUSL_PIE_LINK) -o $@ $< -lm $(MUSL_PIE_END)
$(compat-dir)/glibc-pie/%: tests/compat/%.c tests/compat/compat.h tests/compat/sockcompat.h
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)gcc -static-pie -fPIE -pthread $(COMPAT_CFLAGS) -o $@ $< -lm

$(compat-dir)/glibc-dyn/%: tests/compat/%.c tests/compat/compat.h tests/compat/sockcompat.h
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)gcc -pthread $(COMPAT_CFLAGS) -o $@ $< -lm

# Go: Debian's golang-go, no cgo, so the binary is static. The caches live
# under build/ so nothing is written to $HOME.
$(compat-dir)/go/goroutines: tests/compat/go/goroutines.go
	@mkdir -p $(dir $@) $(compat-dir)/go-cache $(compat-dir)/go-path
	@echo "  GO      $@"
	$(Q)cd tests/compat/go && CGO_ENABLED=0 GO111MODULE=off GOFLAGS= \
		GOCACHE=$(abspath $(compat-dir)/go-cache) GOPATH=$(abspath $(compat-dir)/go-path) \
		go build -o $(abspath $@) goroutines.go
	$(Q)! readelf -lW $@ | grep -qE '^ +(INTERP|DYNAMIC) ' || { echo "$@: not static" >&2; rm -f $@; exit 1; }

compat-bins := $(addprefix $(compat-dir)/musl/,$(compat-names)) \
	$(addprefix $(compat-dir)/glibc/,$(compat-names)) \
	$(addprefix $(compat-dir)/musl-pie/,$(compat-pie-names)) \
	$(addprefix $(compat-dir)/glibc-pie/,$(compat-pie-names)) \
	$(addprefix $(compat-dir)/glibc-dyn/,$(compat-names)) \
	$(compat-dir)/go/goroutines

.PHONY: compat-bins compat compat-native
compat-bins: $(compat-bins)
test-deps += $(compat-bins)

compat: all $(compat-bins)
	tests/compat/run.sh

compat-native: $(compat-bins)
	tests/compat/run.sh --native-only
