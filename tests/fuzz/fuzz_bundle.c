/*
 * libFuzzer target for lib/bundle. Every input is walked entry by entry;
 * an accepted entry must lie inside the bundle and obey its type's rules
 * (the invariants the kernel's unpacker leans on), a refusal must come
 * with a reason, and bundle_validate() must agree with the walk.
 * Build and run: make fuzz-bundle (tests/fuzz/build.mk).
 */
#include <lib/bundle.h>
#include <lib/errno.h>
#include <stdlib.h>
#include <string.h>

static void check_item(const uint8_t *data, size_t size, const struct bundle_item *it)
{
	const uint8_t *p = (const uint8_t *)it->path;

	if (p < data || it->path_len > size - (size_t)(p - data))
		abort();
	if (it->data < data || it->data_len > size - (size_t)(it->data - data))
		abort();
	if (it->path_len && bundle_path_problem(it->path, it->path_len))
		abort();
	if ((it->type == BUNDLE_ARGV || it->type == BUNDLE_ENV) && it->data_len &&
	    it->data[it->data_len - 1])
		abort();
	if (it->mode & ~07777u)
		abort();
	if (it->paged) {	/* the kernel keeps these pages whole: the tail must be there, zero */
		size_t at = (size_t)(it->data - data), end = at + it->data_len;

		if (it->type != BUNDLE_FILE || at % BUNDLE_PAGE)
			abort();
		for (; end % BUNDLE_PAGE; end++)
			if (end >= size || data[end])
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bundle_reader r, v;
	struct bundle_item it;
	unsigned seen = 0;
	int ret = bundle_open(&r, data, size);

	while (!ret && (ret = bundle_next(&r, &it)) > 0) {
		check_item(data, size, &it);
		if (it.type == BUNDLE_ARGV || it.type == BUNDLE_ENV || it.type == BUNDLE_EXEC ||
		    it.type == BUNDLE_CWD) {
			if (seen & (1u << it.type))
				abort();
			seen |= 1u << it.type;
		}
		ret = 0;
	}
	if (ret && (ret != -EINVAL || !r.why[0] || strnlen(r.why, sizeof(r.why)) >= sizeof(r.why)))
		abort();
	if (bundle_validate(&v, data, size) != ret)
		abort();
	return 0;
}
