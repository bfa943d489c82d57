/*
 * The boot module format ("bundle"): how `mote run` hands files to the
 * kernel before the image filesystem exists. Version 1 defines the header
 * only; the entries that follow it arrive with the Linux layer. The header
 * states the total size so a truncated module is detected before use.
 * Little-endian, shared by the kernel and host tools.
 */
#ifndef ABI_BUNDLE_H
#define ABI_BUNDLE_H

#include <stdint.h>

#define BUNDLE_MAGIC   "MOTEBNDL"
#define BUNDLE_VERSION 1

struct bundle_header {
	char magic[8];		/* BUNDLE_MAGIC, not NUL-terminated */
	uint32_t version;	/* BUNDLE_VERSION */
	uint32_t header_size;	/* sizeof(struct bundle_header) for version 1 */
	uint64_t total_size;	/* header and everything after it, in bytes */
};

_Static_assert(sizeof(struct bundle_header) == 24, "bundle_header layout");

#endif
