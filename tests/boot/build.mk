# tests/boot: static programs the boot tests run.
build/tests/user_smoke-musl: tests/boot/user_smoke.c
	@mkdir -p $(dir $@)
	$(Q)musl-gcc -static -O2 -Wall -Wextra -Werror -o $@ $<

build/tests/user_smoke-glibc: tests/boot/user_smoke.c
	@mkdir -p $(dir $@)
	$(Q)gcc -static -O2 -pthread -Wall -Wextra -Werror -o $@ $<

# Dynamic (PIE, glibc's own ld.so from the bundle): the loader's PT_INTERP path.
build/tests/user_smoke-dyn: tests/boot/user_smoke.c
	@mkdir -p $(dir $@)
	$(Q)gcc -O2 -pthread -Wall -Wextra -Werror -o $@ $<

test-deps += build/tests/user_smoke-musl build/tests/user_smoke-glibc build/tests/user_smoke-dyn

# Dynamic and not PIE, loading a library with dlopen (no DT_NEEDED names it).
build/tests/user_dlopen-nopie: tests/boot/user_dlopen.c
	@mkdir -p $(dir $@)
	$(Q)gcc -O2 -no-pie -fno-pie -Wall -Wextra -Werror -o $@ $<

test-deps += build/tests/user_dlopen-nopie

build/tests/user_vdso-musl: tests/boot/user_vdso.c
	@mkdir -p $(dir $@)
	$(Q)musl-gcc -static -O2 -Wall -Wextra -Werror -o $@ $<

build/tests/user_vdso-glibc: tests/boot/user_vdso.c
	@mkdir -p $(dir $@)
	$(Q)gcc -static -O2 -pthread -Wall -Wextra -Werror -o $@ $<

test-deps += build/tests/user_vdso-musl build/tests/user_vdso-glibc

build/tests/user_devproc-musl: tests/boot/user_devproc.c
	@mkdir -p $(dir $@)
	$(Q)musl-gcc -static -O2 -Wall -Wextra -Werror -o $@ $<

build/tests/user_devproc-glibc: tests/boot/user_devproc.c
	@mkdir -p $(dir $@)
	$(Q)gcc -static -O2 -pthread -Wall -Wextra -Werror -o $@ $<

test-deps += build/tests/user_devproc-musl build/tests/user_devproc-glibc

build/tests/user_image-musl: tests/boot/user_image.c
	@mkdir -p $(dir $@)
	$(Q)musl-gcc -static -O2 -Wall -Wextra -Werror -o $@ $<

test-deps += build/tests/user_image-musl

# Megabytes of output: the framed console's throughput and flow control.
build/tests/user_bigout-musl: tests/boot/user_bigout.c
	@mkdir -p $(dir $@)
	$(Q)musl-gcc -static -O2 -Wall -Wextra -Werror -o $@ $<

test-deps += build/tests/user_bigout-musl

# Free memory in single pages, then I/O that wants a 64 KiB kernel buffer.
build/tests/user_fragment-musl: tests/boot/user_fragment.c
	@mkdir -p $(dir $@)
	$(Q)musl-gcc -static -O2 -Wall -Wextra -Werror -o $@ $<

test-deps += build/tests/user_fragment-musl
