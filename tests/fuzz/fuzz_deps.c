/*
 * libFuzzer target for the dynamic-section reader of `mote build`'s
 * resolver (deps_parse_dynamic in tools/mote/deps.c), behind lib/elf as
 * the resolver uses it: every input lib/elf accepts as a library or a
 * program has its dynamic section read. An accepted section must give
 * strings inside the input and NUL-terminated there; a refusal must come
 * with a reason. Anything else aborts.
 * Build and run: make fuzz-deps (tests/fuzz/build.mk).
 */
#include <lib/elf.h>
#include <lib/errno.h>
#include <stdlib.h>
#include <string.h>

#include "deps.h"

static void check_string(const uint8_t *data, size_t size, const char *s)
{
	const uint8_t *p = (const uint8_t *)s;

	if (!s)
		return;
	if (p < data || p >= data + size || !memchr(p, 0, size - (size_t)(p - data)))
		abort();
}

static void read_dynamic(const uint8_t *data, size_t size, const struct elf_info *info)
{
	static struct deps_dynamic dyn;
	const char *why = NULL;
	int r = deps_parse_dynamic(data, size, info, &dyn, &why);

	if (r) {
		if (r != -ENOEXEC || !why || !*why)
			abort();
		return;
	}
	if (why || dyn.nr_needed > DEPS_MAX_NEEDED || (dyn.nr_needed && !info->has_dynamic))
		abort();
	for (unsigned i = 0; i < dyn.nr_needed; i++) {
		if (!dyn.needed[i])
			abort();
		check_string(data, size, dyn.needed[i]);
	}
	check_string(data, size, dyn.soname);
	check_string(data, size, dyn.rpath);
	check_string(data, size, dyn.runpath);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct elf_info info;
	const char *why;

	if (!elf_parse_shared(data, size, &info, &why))
		read_dynamic(data, size, &info);
	if (!elf_parse(data, size, &info, &why))
		read_dynamic(data, size, &info);
	return 0;
}
