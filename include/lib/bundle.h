/*
 * lib/bundle: the one strict parser of a boot bundle (include/abi/bundle.h),
 * shared by the kernel (which checks a module at boot and later unpacks it
 * into the ramfs), the host tool (which checks what it wrote) and the
 * fuzzer (tests/fuzz/fuzz_bundle.c).
 *
 * The input is untrusted: every length is checked against the bytes that
 * are really there before it is used, with arithmetic that cannot wrap,
 * and the first problem found is reported as one sentence naming the
 * entry (by index, from 0) and what is wrong with it. A bundle is either
 * accepted whole or refused: a caller that walks it with bundle_next()
 * and gets an error must undo whatever it did with the earlier entries,
 * so callers that act on entries validate first (bundle_validate()).
 *
 * What is refused: a short or foreign header, an unknown version, flags or
 * reserved fields that are not zero, a total size beyond the buffer,
 * entries that run past total_size, nonzero padding, bytes left over after
 * the last entry, an unknown entry type, a path that is not absolute or
 * has an empty, "." or ".." component or is BUNDLE_PATH_MAX bytes or longer
 * (the NUL a consumer adds must fit in PATH_MAX), a path or data where the
 * type wants none, mode bits outside 07777 (or any on a type without a
 * mode), a second ARGV, ENV, EXEC or CWD, ARGV/ENV data that does not end
 * in a NUL, a symlink target that is empty, too long or holds a NUL.
 * Versions 2 and 3 differ only in where FILE data sits (include/abi/bundle.h);
 * version 1 (header only) is accepted as an empty bundle.
 *
 * Freestanding: lib/string and lib/fmt only. No allocation; the reader is
 * a small struct the caller owns, and items point into the caller's buffer.
 */
#ifndef LIB_BUNDLE_H
#define LIB_BUNDLE_H

#include <abi/bundle.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BUNDLE_WHY_MAX 160

struct bundle_reader {
	const uint8_t *data;
	uint64_t total;		/* header's total_size, checked against the buffer */
	uint64_t pos;		/* offset of the next entry */
	uint32_t nr_entries;
	uint32_t version;	/* the header's */
	uint32_t index;		/* of the next entry */
	uint32_t seen;		/* bit per singleton type already met */
	char why[BUNDLE_WHY_MAX];	/* the refusal, when a call returned -EINVAL */
};

/* One entry, as bundle_next() hands it out. */
struct bundle_item {
	uint32_t type;		/* enum bundle_entry_type */
	uint32_t mode;
	uint32_t index;
	const char *path;	/* not NUL-terminated: path_len bytes (0 for ARGV/ENV) */
	uint32_t path_len;
	const uint8_t *data;
	uint64_t data_len;
	/*
	 * A FILE's data starts BUNDLE_PAGE-aligned from the bundle's start and
	 * is zero from data_len to the next such boundary (version 3 on).
	 */
	bool paged;
};

/*
 * Checks the header of the size bytes at data (a loader may pad the module:
 * size may exceed total_size). 0, or -EINVAL with r->why set.
 */
int bundle_open(struct bundle_reader *r, const void *data, uint64_t size);

/* The next entry: 1 with *it filled, 0 at the end (trailing bytes checked), -EINVAL with r->why. */
int bundle_next(struct bundle_reader *r, struct bundle_item *it);

/* bundle_open() and every entry: 0, or -EINVAL with r->why. */
int bundle_validate(struct bundle_reader *r, const void *data, uint64_t size);

/*
 * Counts the NUL-terminated strings of an ARGV or ENV item (validated: the
 * data ends in a NUL). Consumers walk them with strlen.
 */
uint64_t bundle_count_strings(const struct bundle_item *it);

/*
 * What is wrong with a path for the bundle format, or NULL if nothing: it
 * must be absolute, without empty, "." or ".." components, without NUL,
 * and shorter than BUNDLE_PATH_MAX. "/" itself is a valid path.
 */
const char *bundle_path_problem(const char *path, uint64_t len);

/* The type's name ("FILE", ...), or "unknown". */
const char *bundle_type_name(uint32_t type);

#endif
