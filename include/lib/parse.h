/*
 * lib/parse: strict number parsing for untrusted text (command lines,
 * manifests). Unlike strtoul these reject empty input, trailing junk and
 * overflow, and report where they stopped.
 */
#ifndef LIB_PARSE_H
#define LIB_PARSE_H

#include <stdint.h>

/*
 * Parses an unsigned number: decimal, or hex after 0x. Stops at the first
 * byte that is not a digit and stores it in *end (may be NULL, then the
 * whole string must be consumed). Returns 0, -EINVAL or -ERANGE.
 */
int parse_u64(const char *s, const char **end, uint64_t *out);

/*
 * A size: a number optionally followed by K, M or G (powers of 1024,
 * either case). Same conventions as parse_u64.
 */
int parse_size(const char *s, const char **end, uint64_t *out);

#endif
