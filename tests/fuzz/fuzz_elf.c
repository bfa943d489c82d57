/*
 * libFuzzer target for lib/elf: both entry points on every input. A valid
 * parse must describe a consistent image (the invariants a loader leans
 * on); a refusal must come with a reason. Anything else aborts.
 * Build and run: make fuzz-elf (tests/fuzz/build.mk).
 */
#include <lib/elf.h>
#include <lib/errno.h>
#include <stdlib.h>
#include <string.h>

static void check(const uint8_t *data, size_t size, int r, const struct elf_info *in,
		  const char *why)
{
	if (r) {
		if ((r != -ENOEXEC && r != -EINVAL) || !why || !*why ||
		    strnlen(why, 200) >= sizeof(in->why_buf))
			abort();
		return;
	}
	if (why || !in->nr_loads || in->nr_loads > ELF_MAX_LOADS)
		abort();
	for (unsigned i = 0; i < in->nr_loads; i++) {
		const struct elf_segment *s = &in->load[i];

		if (s->offset > size || s->filesz > size - s->offset || s->filesz > s->memsz)
			abort();
		if (i && s->vaddr < in->load[i - 1].vaddr + in->load[i - 1].memsz)
			abort();
		if (s->vaddr < in->lowest_vaddr || s->vaddr + s->memsz > in->highest_vaddr)
			abort();
	}
	if (in->has_interp) {
		const uint8_t *p = (const uint8_t *)in->interp;
		if (p < data || p >= data + size || !memchr(p, 0, size - (size_t)(p - data)))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elf_info info;
	const char *why;

	check(data, size, elf_parse(data, size, &info, &why), &info, why);
	if (!elf_parse(data, size, &info, &why) && info.highest_vaddr > ELF_USER_LIMIT)
		abort();
	check(data, size, elf_parse_kernel(data, size, &info, &why), &info, why);
	return 0;
}
