/*
 * The boot module format ("bundle"): how `mote run` hands a program, its
 * files and how to start it to the kernel before the image filesystem
 * exists. The kernel unpacks it into the ramfs root. Little-endian, shared
 * by the kernel and the host tools; lib/bundle.c is the one parser both
 * use (and the fuzzer feeds).
 *
 * Layout: a header, then nr_entries entries back to back. Each entry is a
 * struct bundle_entry, then name_len bytes of path (absolute, no NUL, no
 * "." or ".." components, no empty components), padded with zeroes to a
 * multiple of 8, then data_len bytes of data, padded to a multiple of 8.
 * From version 3 a FILE's data (when it has any) is page-aligned instead:
 * zeroes follow the path up to the next multiple of BUNDLE_PAGE counted
 * from the bundle's first byte, and the data is padded with zeroes to the
 * next such multiple. A kernel whose module starts on a page then keeps
 * those pages as the file's own, copying nothing (docs/boot.md).
 * total_size covers everything; a module shorter than total_size is
 * truncated and refused.
 *
 * Entry types:
 *   FILE     a regular file: data is its contents, mode its permission bits.
 *   DIR      a directory (parents of FILE entries are created implicitly,
 *            mode 0755); data_len 0.
 *   SYMLINK  data is the link target (no NUL).
 *   ARGV     the program's argument vector: data is argv[0..n-1], each
 *            NUL-terminated; path is empty. At most one.
 *   ENV      the environment, as ARGV (each "KEY=VALUE"). At most one.
 *   EXEC     path names the program to run (a FILE in the bundle or the
 *            filesystem); data_len 0. At most one.
 *   CWD      path is the initial working directory; data_len 0. At most one.
 * Unknown types are refused (a newer `mote` with an older kernel says so
 * rather than running something half-understood).
 *
 * Version 2 (FILE data 8-byte aligned) is still accepted, and version 1
 * (header only, no entries) as an empty bundle.
 */
#ifndef ABI_BUNDLE_H
#define ABI_BUNDLE_H

#include <stdint.h>

#define BUNDLE_MAGIC   "MOTEBNDL"
#define BUNDLE_VERSION 3	/* what mote writes; 2 and 1 are still read */

struct bundle_header {
	char magic[8];		/* BUNDLE_MAGIC, not NUL-terminated */
	uint32_t version;	/* BUNDLE_VERSION */
	uint32_t header_size;	/* 24 for version 1, sizeof(struct bundle_header) from 2 */
	uint64_t total_size;	/* header and everything after it, in bytes */
	uint32_t nr_entries;	/* version 2 on */
	uint32_t flags;		/* 0 */
};

_Static_assert(sizeof(struct bundle_header) == 32, "bundle_header layout");

enum bundle_entry_type {
	BUNDLE_FILE = 1,
	BUNDLE_DIR = 2,
	BUNDLE_SYMLINK = 3,
	BUNDLE_ARGV = 4,
	BUNDLE_ENV = 5,
	BUNDLE_EXEC = 6,
	BUNDLE_CWD = 7,
};

struct bundle_entry {
	uint32_t type;		/* enum bundle_entry_type */
	uint32_t mode;		/* permission bits (07777) for FILE and DIR */
	uint32_t name_len;	/* bytes of path after this struct (PATH_MAX at most) */
	uint32_t reserved;	/* 0 */
	uint64_t data_len;	/* bytes of data after the padded path */
};

_Static_assert(sizeof(struct bundle_entry) == 24, "bundle_entry layout");

#define BUNDLE_ALIGN 8
#define BUNDLE_PAGE 4096	/* version 3: where FILE data starts and ends */
#define BUNDLE_PATH_MAX 4096

#endif
