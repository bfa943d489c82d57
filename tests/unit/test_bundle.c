/*
 * lib/bundle (the parser the kernel and mote share) and tools/mote/bundle.c
 * (the writer): every refusal the parser promises, each with the entry
 * index in its message, and bundles written by the writer read back.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <lib/bundle.h>
#include "check.h"
#include "mote.h"

static uint8_t buf[65536];
static size_t len;
static uint32_t count, layout;
static struct bundle_reader r;

/* A new bundle laid out as version v has it. */
static void start_as(uint32_t v)
{
	memset(buf, 0, sizeof(buf));
	len = sizeof(struct bundle_header);
	count = 0;
	layout = v;
}

static void start(void)
{
	start_as(BUNDLE_VERSION);
}

/* Where the data of an entry of this type goes: from version 3 a FILE's is on pages of its own. */
static size_t data_align(uint32_t type, size_t dlen)
{
	return layout >= 3 && type == BUNDLE_FILE && dlen ? BUNDLE_PAGE : BUNDLE_ALIGN;
}

/* Appends an entry; returns its offset (to poke at it afterwards). */
static size_t entry(uint32_t type, uint32_t mode, const char *path, const void *data, size_t dlen)
{
	size_t at = len, plen = path ? strlen(path) : 0;
	struct bundle_entry e = { .type = type, .mode = mode, .name_len = (uint32_t)plen,
				  .data_len = dlen };

	memcpy(buf + len, &e, sizeof(e));
	len += sizeof(e);
	memcpy(buf + len, path ? path : "", plen);
	len += (plen + 7) & ~(size_t)7;
	len = (len + data_align(type, dlen) - 1) & ~(data_align(type, dlen) - 1);
	memcpy(buf + len, data ? data : "", dlen);
	len += (dlen + data_align(type, dlen) - 1) & ~(data_align(type, dlen) - 1);
	count++;
	return at;
}

static void finish_as(uint32_t version, uint32_t header_size, uint64_t total, uint32_t nr)
{
	struct bundle_header h = { .version = version, .header_size = header_size,
				   .total_size = total, .nr_entries = nr };

	memcpy(h.magic, BUNDLE_MAGIC, 8);
	memcpy(buf, &h, sizeof(h));
}

static void finish(void)
{
	finish_as(layout, sizeof(struct bundle_header), len, count);
}

static int parse(void)
{
	return bundle_validate(&r, buf, len);
}

/* The bundle is refused with a message containing both texts. */
static int refused(const char *a, const char *b)
{
	int ok = parse() == -EINVAL && strstr(r.why, a) && (!b || strstr(r.why, b));

	if (!ok)
		printf("    | got %d: %s\n", parse(), r.why);
	return ok;
}

static void accepts_every_type(void)
{
	static const char argv[] = "prog\0-v\0", env[] = "PATH=/bin\0";
	struct bundle_item it;

	start();
	entry(BUNDLE_DIR, 0755, "/etc", 0, 0);
	entry(BUNDLE_FILE, 0644, "/etc/motd", "hello\n", 6);
	entry(BUNDLE_SYMLINK, 0, "/etc/link", "motd", 4);
	entry(BUNDLE_ARGV, 0, 0, argv, sizeof(argv) - 1);
	entry(BUNDLE_ENV, 0, 0, env, sizeof(env) - 1);
	entry(BUNDLE_EXEC, 0, "/app/prog", 0, 0);
	entry(BUNDLE_CWD, 0, "/", 0, 0);
	finish();
	EXPECT(parse() == 0);
	EXPECT(bundle_open(&r, buf, len) == 0);
	EXPECT(bundle_next(&r, &it) == 1 && it.type == BUNDLE_DIR && it.mode == 0755);
	EXPECT(bundle_next(&r, &it) == 1 && it.type == BUNDLE_FILE && it.data_len == 6 &&
	       !memcmp(it.data, "hello\n", 6) && it.path_len == 9 && !memcmp(it.path, "/etc/motd", 9));
	EXPECT(bundle_next(&r, &it) == 1 && it.type == BUNDLE_SYMLINK && it.index == 2);
	EXPECT(bundle_next(&r, &it) == 1 && it.type == BUNDLE_ARGV && bundle_count_strings(&it) == 2);
	EXPECT(bundle_next(&r, &it) == 1 && it.type == BUNDLE_ENV && bundle_count_strings(&it) == 1);
	EXPECT(bundle_next(&r, &it) == 1 && it.type == BUNDLE_EXEC);
	EXPECT(bundle_next(&r, &it) == 1 && it.type == BUNDLE_CWD && it.path_len == 1);
	EXPECT(bundle_next(&r, &it) == 0);
	EXPECT(bundle_next(&r, &it) == 0);
	EXPECT(!strcmp(bundle_type_name(BUNDLE_CWD), "CWD") && !strcmp(bundle_type_name(99), "unknown"));
}

static void accepts_empty_and_v1(void)
{
	start();
	finish();
	EXPECT(parse() == 0);
	EXPECT(bundle_validate(&r, buf, len + 4096) == 0);	/* padded by a loader */
	start();
	finish_as(1, 24, 24, 0);
	len = 24;
	EXPECT(parse() == 0);
	finish_as(1, 24, 4096, 7);	/* v1 has no entry count: the rest is padding */
	len = 4096;
	EXPECT(parse() == 0);
	start();
	entry(BUNDLE_ARGV, 0, 0, 0, 0);	/* an empty vector is a valid one */
	finish();
	EXPECT(parse() == 0);
}

static void refuses_bad_headers(void)
{
	start();
	finish();
	EXPECT(bundle_validate(&r, buf, 10) == -EINVAL && strstr(r.why, "too short"));
	EXPECT(bundle_validate(&r, buf, 30) == -EINVAL && strstr(r.why, "truncated"));
	buf[0] = 'X';
	EXPECT(refused("bad magic", 0));
	finish_as(BUNDLE_VERSION + 1, 32, len, 0);
	EXPECT(refused("version 4", "not supported"));
	finish_as(2, 24, len, 0);
	EXPECT(refused("version 2 (header 24 bytes)", 0));
	finish_as(1, 32, len, 0);
	EXPECT(refused("version 1 (header 32 bytes)", 0));
	finish_as(2, 32, 16, 0);
	EXPECT(refused("smaller than its header", 0));
	finish_as(2, 32, len + 8, 0);
	EXPECT(refused("truncated", 0));
	finish();
	buf[28] = 1;	/* flags */
	EXPECT(refused("flags", 0));
}

static void refuses_bad_layout(void)
{
	size_t at;

	start();
	finish_as(2, 32, 32, 1);
	EXPECT(refused("entry 0 of 1 lies beyond", 0));

	start();
	entry(BUNDLE_CWD, 0, "/", 0, 0);
	finish();
	len += 8;
	finish_as(2, 32, len, 1);
	EXPECT(refused("8 bytes after its last entry", 0));

	for (uint32_t type = 0; type < 10; type += 8) {
		start();
		entry(BUNDLE_CWD, 0, "/", 0, 0);
		at = entry(type, 0, "/x", 0, 0);
		finish();
		EXPECT(refused("entry 1: unknown type", 0));
		(void)at;
	}

	start();
	at = entry(BUNDLE_CWD, 0, "/", 0, 0);
	finish();
	buf[at + 12] = 1;
	EXPECT(refused("entry 0: reserved", 0));

	start_as(2);	/* version 2's layout: the data right after the path */
	at = entry(BUNDLE_FILE, 0644, "/f", "x", 1);
	finish();
	memcpy(buf + at + 8, &(uint32_t){ 4096 }, 4);
	EXPECT(refused("entry 0: path of 4096 bytes is too long", 0));
	memcpy(buf + at + 8, &(uint32_t){ 4000 }, 4);
	EXPECT(refused("entry 0: path runs past", 0));
	memcpy(buf + at + 8, &(uint32_t){ 2 }, 4);
	memcpy(buf + at + 16, &(uint64_t){ 9 }, 8);
	EXPECT(refused("entry 0: 9 bytes of data run past", 0));
	memcpy(buf + at + 16, &(uint64_t){ UINT64_MAX }, 8);
	EXPECT(refused("run past", 0));
	memcpy(buf + at + 16, &(uint64_t){ UINT64_MAX - 6 }, 8);
	EXPECT(refused("run past", 0));
	memcpy(buf + at + 16, &(uint64_t){ 1 }, 8);
	EXPECT(parse() == 0);
	buf[at + 24 + 3] = 'z';	/* path padding */
	EXPECT(refused("entry 0: padding is not zero", 0));
	buf[at + 24 + 3] = 0;
	buf[at + 32 + 5] = 'z';	/* data padding */
	EXPECT(refused("entry 0: padding is not zero", 0));
}

/*
 * Version 3: a FILE's data starts on a page of the bundle and is padded to
 * the next one, both with zeroes that are checked; an empty FILE and the
 * other types keep 8-byte alignment; version 2 files are not paged.
 */
static void pages_file_data(void)
{
	struct bundle_item it;
	size_t at;

	start();
	entry(BUNDLE_CWD, 0, "/", 0, 0);
	at = entry(BUNDLE_FILE, 0755, "/app/prog", "\x7f" "ELF", 4);
	entry(BUNDLE_FILE, 0644, "/empty", 0, 0);
	entry(BUNDLE_ARGV, 0, 0, "prog", 5);
	finish();
	EXPECT(len == 2 * BUNDLE_PAGE + 24 + 8 + 24 + 8);
	EXPECT(bundle_open(&r, buf, len) == 0 && bundle_next(&r, &it) == 1 && !it.paged);
	EXPECT(bundle_next(&r, &it) == 1 && it.paged && it.data == buf + BUNDLE_PAGE &&
	       it.data_len == 4 && !memcmp(it.data, "\x7f" "ELF", 4));
	EXPECT(bundle_next(&r, &it) == 1 && !it.paged && it.data_len == 0 &&
	       it.data == buf + 2 * BUNDLE_PAGE + 24 + 8);
	EXPECT(bundle_next(&r, &it) == 1 && !it.paged && !memcmp(it.data, "prog", 5));
	EXPECT(bundle_next(&r, &it) == 0);

	buf[at + 24 + 16] = 1;	/* between the path's padding and the page */
	EXPECT(refused("entry 1: padding is not zero", 0));
	buf[at + 24 + 16] = 0;
	buf[2 * BUNDLE_PAGE - 1] = 1;	/* the data page's tail */
	EXPECT(refused("entry 1: padding is not zero", 0));
	buf[2 * BUNDLE_PAGE - 1] = 0;
	EXPECT(parse() == 0);

	finish_as(BUNDLE_VERSION, 32, BUNDLE_PAGE - 8, 2);	/* ends in the gap */
	EXPECT(bundle_validate(&r, buf, BUNDLE_PAGE - 8) == -EINVAL &&
	       strstr(r.why, "entry 1: data runs past the bundle's end"));
	finish_as(BUNDLE_VERSION, 32, 2 * BUNDLE_PAGE - 8, 2);	/* ends in the data's padding */
	EXPECT(bundle_validate(&r, buf, 2 * BUNDLE_PAGE - 8) == -EINVAL &&
	       strstr(r.why, "entry 1: 4 bytes of data run past"));

	start_as(2);
	entry(BUNDLE_FILE, 0644, "/f", "x", 1);
	finish();
	EXPECT(bundle_open(&r, buf, len) == 0 && bundle_next(&r, &it) == 1 && !it.paged &&
	       it.data == buf + 32 + 24 + 8);
}

static void refuses_bad_paths(void)
{
	static const char *const bad[][2] = {
		{ "relative", "is not absolute" }, { "//a", "empty component" },
		{ "/a/", "empty component" }, { "/a//b", "empty component" },
		{ "/a/./b", "'.' or '..'" }, { "/a/../b", "'.' or '..'" }, { "/..", "'.' or '..'" },
		{ "/.", "'.' or '..'" },
	};
	static const char *const good[] = { "/", "/a", "/a/b.c", "/...", "/.x/..y", "/a b" };
	char longp[BUNDLE_PATH_MAX + 1];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		start();
		entry(BUNDLE_DIR, 0755, "/ok", 0, 0);
		entry(BUNDLE_DIR, 0755, bad[i][0], 0, 0);
		finish();
		EXPECT(refused("entry 1: DIR path", bad[i][1]));
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		start();
		entry(BUNDLE_CWD, 0, good[i], 0, 0);
		finish();
		EXPECT(parse() == 0);
	}
	start();
	entry(BUNDLE_FILE, 0644, "/a\0b", 0, 0);	/* strlen stops: fix the length by hand */
	memcpy(buf + 32 + 8, &(uint32_t){ 4 }, 4);
	finish();
	EXPECT(refused("holds a NUL", 0));
	start();
	entry(BUNDLE_EXEC, 0, 0, 0, 0);
	finish();
	EXPECT(refused("entry 0: EXEC path is empty", 0));

	memset(longp, 'a', sizeof(longp));
	longp[0] = '/';
	longp[BUNDLE_PATH_MAX - 1] = 0;	/* 4095 bytes: the longest allowed */
	start();
	entry(BUNDLE_CWD, 0, longp, 0, 0);
	finish();
	EXPECT(parse() == 0);
	EXPECT(bundle_path_problem(longp, BUNDLE_PATH_MAX) != 0);

	start();
	entry(BUNDLE_FILE, 0644, "/", "x", 1);
	finish();
	EXPECT(refused("entry 0: FILE cannot replace the root", 0));
	start();
	entry(BUNDLE_SYMLINK, 0, "/", "x", 1);
	finish();
	EXPECT(refused("SYMLINK cannot replace the root", 0));
}

static void refuses_bad_entries(void)
{
	static const uint32_t once[] = { BUNDLE_ARGV, BUNDLE_ENV, BUNDLE_EXEC, BUNDLE_CWD };

	for (size_t i = 0; i < 4; i++) {
		int path = once[i] == BUNDLE_EXEC || once[i] == BUNDLE_CWD;
		start();
		entry(once[i], 0, path ? "/x" : 0, 0, 0);
		entry(BUNDLE_DIR, 0755, "/d", 0, 0);
		entry(once[i], 0, path ? "/y" : 0, 0, 0);
		finish();
		EXPECT(refused("entry 2: a second", bundle_type_name(once[i])));
	}
	start();
	entry(BUNDLE_ARGV, 0, "/x", "a", 2);
	finish();
	EXPECT(refused("entry 0: ARGV has a path", 0));
	start();
	entry(BUNDLE_ARGV, 0, 0, "ab", 2);
	finish();
	EXPECT(refused("entry 0: ARGV strings do not end in a NUL", 0));
	start();
	entry(BUNDLE_ENV, 0, 0, "A=1\0B", 5);
	finish();
	EXPECT(refused("entry 0: ENV strings do not end", 0));
	start();
	entry(BUNDLE_DIR, 0755, "/d", "x", 1);
	finish();
	EXPECT(refused("entry 0: DIR has 1 bytes of data", 0));
	start();
	entry(BUNDLE_EXEC, 0, "/d", "x", 1);
	finish();
	EXPECT(refused("EXEC has 1 bytes", 0));
	start();
	entry(BUNDLE_CWD, 0, "/d", "x", 1);
	finish();
	EXPECT(refused("CWD has 1 bytes", 0));
	start();
	entry(BUNDLE_SYMLINK, 0644, "/l", "x", 1);
	finish();
	EXPECT(refused("entry 0: SYMLINK with mode", 0));
	start();
	entry(BUNDLE_ARGV, 1, 0, 0, 0);
	finish();
	EXPECT(refused("ARGV with mode", 0));
	start();
	entry(BUNDLE_FILE, 010644, "/f", 0, 0);
	finish();
	EXPECT(refused("entry 0: mode 010644 has bits outside", 0));
	start();
	entry(BUNDLE_SYMLINK, 0, "/l", 0, 0);
	finish();
	EXPECT(refused("entry 0: SYMLINK target is empty", 0));
	start();
	entry(BUNDLE_SYMLINK, 0, "/l", "a\0b", 3);
	finish();
	EXPECT(refused("SYMLINK target", "holds a NUL"));
}

/* What the writer produces, read back with the parser. */
static void writer_round_trip(void)
{
	static const char argv[] = "hello\0world\0";
	int fd = memfd_create("bundle", 0), src = memfd_create("src", 0);
	struct bundle_writer w;
	struct bundle_item it;
	char *data;

	EXPECT(write(src, "0123456789", 10) == 10 && lseek(src, 0, SEEK_SET) == 0);
	EXPECT(bundle_begin(&w, fd) == 0);
	EXPECT(bundle_add_file(&w, "/app/hello", 0755, src, 10) == 0);
	EXPECT(bundle_add(&w, BUNDLE_FILE, 0600, "/etc/x", "abc", 3) == 0);
	EXPECT(bundle_add(&w, BUNDLE_ARGV, 0, NULL, argv, sizeof(argv) - 1) == 0);
	EXPECT(bundle_add(&w, BUNDLE_EXEC, 0, "/app/hello", NULL, 0) == 0);
	EXPECT(bundle_add(&w, BUNDLE_CWD, 0, "/", NULL, 0) == 0);
	EXPECT(bundle_finish(&w) == 0 && w.nr == 5 && w.size % 8 == 0);
	data = malloc(w.size);
	EXPECT(pread(fd, data, w.size, 0) == (ssize_t)w.size);
	EXPECT(bundle_validate(&r, data, w.size) == 0);
	EXPECT(bundle_open(&r, data, w.size) == 0 && r.version == BUNDLE_VERSION);
	EXPECT(bundle_next(&r, &it) == 1 && it.type == BUNDLE_FILE && it.mode == 0755 &&
	       it.data_len == 10 && !memcmp(it.data, "0123456789", 10));
	EXPECT(it.paged && it.data == (uint8_t *)data + BUNDLE_PAGE);
	EXPECT(bundle_next(&r, &it) == 1 && it.mode == 0600 && it.paged &&
	       it.data == (uint8_t *)data + 3 * BUNDLE_PAGE && !memcmp(it.data, "abc", 3));
	free(data);

	/* From a pipe, which sendfile() cannot read: copied through the buffer instead. */
	int pipefd[2];
	EXPECT(pipe(pipefd) == 0 && write(pipefd[1], "piped", 5) == 5 && close(pipefd[1]) == 0);
	EXPECT(ftruncate(fd, 0) == 0 && lseek(fd, 0, SEEK_SET) == 0 && bundle_begin(&w, fd) == 0);
	EXPECT(bundle_add_file(&w, "/p", 0644, pipefd[0], 5) == 0 && bundle_finish(&w) == 0);
	data = malloc(w.size);
	EXPECT(pread(fd, data, w.size, 0) == (ssize_t)w.size);
	EXPECT(bundle_open(&r, data, w.size) == 0 && bundle_next(&r, &it) == 1 &&
	       it.data_len == 5 && !memcmp(it.data, "piped", 5) && it.paged);
	free(data);
	close(pipefd[0]);

	/* A file shorter than announced, and a path the parser would refuse. */
	EXPECT(lseek(src, 0, SEEK_SET) == 0);
	EXPECT(bundle_begin(&w, fd) == 0);
	EXPECT(bundle_add_file(&w, "/f", 0644, src, 20) == -EIO);
	EXPECT(bundle_begin(&w, fd) == 0);
	EXPECT(bundle_add(&w, BUNDLE_CWD, 0, "/a/../b", NULL, 0) == -EINVAL);
	EXPECT(bundle_finish(&w) == -EINVAL);
	close(fd);
	close(src);
}

int main(void)
{
	RUN(accepts_every_type);
	RUN(accepts_empty_and_v1);
	RUN(refuses_bad_headers);
	RUN(refuses_bad_layout);
	RUN(pages_file_data);
	RUN(refuses_bad_paths);
	RUN(refuses_bad_entries);
	RUN(writer_round_trip);
	return test_summary();
}
