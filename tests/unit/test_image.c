/*
 * The image format end to end on the host: tools/mote/image_write.c writes
 * images, lib/image reads them back (round trips of every kind of entry,
 * LZ4 included, and byte-identical rebuilds), and lib/image refuses
 * damaged ones: every truncation, superblock fields set to bad values,
 * every metadata byte flipped (with and without the CRCs fixed up, in
 * which case an accepted image must still be safe to walk: the buffer is
 * exactly the image's size, so ASan catches any read outside it), and
 * hand-made hostile cases (directory loops, offsets outside the image,
 * files larger than the disk, unsorted or bad names). lib/lz4 and the
 * CRC are checked against known values.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lib/image.h>
#include <lib/lz4.h>

#include "check.h"
#include "mote.h"

/* The writer's messages go through run_fail in the real tool; tests need their own. */
const char *mote_command = "test";

static char tmpdir[] = "/tmp/test-image.XXXXXX";

struct blob {
	uint8_t *p;
	size_t len;
};

static void write_host_file(const char *name, const void *data, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f))
		abort();
}

static void remove_host_file(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	unlink(path);
}

/* Writes the image and frees the writer. */
static struct blob image_bytes(struct imgw *w)
{
	FILE *f = tmpfile();
	struct blob b = { 0 };
	struct stat st;

	if (!f)
		abort();
	if (imgw_write(w, fileno(f))) {
		printf("    writer: %s\n", w->why);
		fclose(f);
		imgw_free(w);
		return b;
	}
	fstat(fileno(f), &st);
	b.len = (size_t)st.st_size;
	b.p = malloc(b.len);
	if (!b.p || pread(fileno(f), b.p, b.len, 0) != (ssize_t)b.len)
		abort();
	fclose(f);
	imgw_free(w);
	return b;
}

static uint8_t big[300000], text[50000];

static char *const test_argv[] = { "/app/prog", "one", "two words", NULL };
static char *const test_env[] = { "PATH=/bin", "A=1", NULL };

/* The tree the round-trip tests use. */
static struct imgw *sample_writer(bool lz4)
{
	struct imgw *w = imgw_new(1000);
	char path[256];

	w->lz4 = lz4;
	snprintf(path, sizeof(path), "%s/big", tmpdir);
	EXPECT(imgw_add_host_file(w, "/data/big.bin", 0640, 1234, path, sizeof(big), "t") == 0);
	snprintf(path, sizeof(path), "%s/text", tmpdir);
	EXPECT(imgw_add_host_file(w, "/data/text.txt", 0644, 99, path, sizeof(text), "t") == 0);
	EXPECT(imgw_add_bytes(w, "/app/prog", 0755, 5, "\177ELF...", 7, "t") == 0);
	EXPECT(imgw_add_bytes(w, "/empty", 0600, 5, "", 0, "t") == 0);
	EXPECT(imgw_add_bytes(w, "/a/b/c/d/deep", 0644, 5, "deep\n", 5, "t") == 0);
	EXPECT(imgw_add_symlink(w, "/data/link", "big.bin", 7, "t") == 0);
	EXPECT(imgw_add_symlink(w, "/abs", "/a/b", 7, "t") == 0);
	EXPECT(imgw_add_dir(w, "/tmp", 01777, 3, "t") == 0);
	for (int i = 0; i < 40; i++) {
		char name[64], data[32];
		int n = snprintf(data, sizeof(data), "file %d\n", i);

		snprintf(name, sizeof(name), "/many/f%03d", (i * 7) % 40);
		EXPECT(imgw_add_bytes(w, name, 0644, i, data, (size_t)n, "t") == 0);
	}
	EXPECT(imgw_set_config(w, test_argv, test_env, "/app/prog", "/data") == 0);
	return w;
}

/*
 * The damage tests' image: small (each case copies it) but with every kind
 * of entry, an LZ4 file, nested directories and a config.
 */
static struct imgw *small_writer(void)
{
	struct imgw *w = imgw_new(1000);

	w->lz4 = true;
	EXPECT(imgw_add_bytes(w, "/data/text.txt", 0644, 99, text, 3 * IMAGE_BLOCK_SIZE, "t") == 0);
	EXPECT(imgw_add_bytes(w, "/data/raw.bin", 0640, 1234, big, 5000, "t") == 0);
	EXPECT(imgw_add_bytes(w, "/app/prog", 0755, 5, "\177ELF...", 7, "t") == 0);
	EXPECT(imgw_add_bytes(w, "/empty", 0600, 5, "", 0, "t") == 0);
	EXPECT(imgw_add_bytes(w, "/a/b/c/d/deep", 0644, 5, "deep\n", 5, "t") == 0);
	EXPECT(imgw_add_symlink(w, "/data/link", "raw.bin", 7, "t") == 0);
	EXPECT(imgw_add_dir(w, "/tmp", 01777, 3, "t") == 0);
	EXPECT(imgw_set_config(w, test_argv, test_env, "/app/prog", "/data") == 0);
	return w;
}

/* A file's whole contents through image_file_extent (+ lib/lz4), as imgfs reads it. */
static uint8_t *read_file(const struct blob *b, const struct image *img, const char *path,
			  uint64_t *size)
{
	struct image_inode in;
	uint32_t ino;
	uint8_t *out;

	if (image_resolve(img, path, &ino))
		return NULL;
	image_inode(img, ino, &in);
	*size = in.size;
	out = calloc(1, in.size + 1);
	for (uint64_t i = 0; i * IMAGE_BLOCK_SIZE < in.size; i++) {
		struct image_extent e;

		if (image_file_extent(img, &in, i, &e) || e.offset + e.stored_len > b->len) {
			free(out);
			return NULL;
		}
		if (e.lz4) {
			if (lz4_decompress_block(b->p + e.offset, e.stored_len, out + i * IMAGE_BLOCK_SIZE,
						 e.len) != (long)e.len) {
				free(out);
				return NULL;
			}
		} else {
			memcpy(out + i * IMAGE_BLOCK_SIZE, b->p + e.offset, e.len);
		}
	}
	return out;
}

static bool file_is(const struct blob *b, const struct image *img, const char *path,
		    const void *want, size_t len)
{
	uint64_t size = 0;
	uint8_t *got = read_file(b, img, path, &size);
	bool ok = got && size == len && !memcmp(got, want, len);

	free(got);
	return ok;
}

static void test_crc_and_lz4_vectors(void)
{
	/* The standard CRC-32C check value; a vector written from the LZ4 block description. */
	static const uint8_t block[] = { 0x11, 'a', 0x01, 0x00, 0x50, 'b', 'c', 'd', 'e', 'f' };
	char out[32];

	EXPECT(image_crc32c(0, "123456789", 9) == 0xe3069283u);
	EXPECT(image_crc32c(image_crc32c(0, "1234", 4), "56789", 5) == 0xe3069283u);
	EXPECT(lz4_decompress_block(block, sizeof(block), out, sizeof(out)) == 11);
	EXPECT(!memcmp(out, "aaaaaabcdef", 11));
	EXPECT(lz4_decompress_block(block, sizeof(block), out, 10) == -EINVAL);	/* too small */
	for (size_t n = 0; n < sizeof(block); n++)	/* a truncation is refused or comes up short */
		EXPECT(lz4_decompress_block(block, n, out, sizeof(out)) < 11);
	EXPECT(lz4_decompress_block(block, 3, out, sizeof(out)) == -EINVAL);	/* half an offset */
	static const uint8_t bad_offset[] = { 0x11, 'a', 0x02, 0x00, 0x00 };
	EXPECT(lz4_decompress_block(bad_offset, sizeof(bad_offset), out, sizeof(out)) == -EINVAL);
}

static void test_lz4_round_trip(void)
{
	static uint8_t in[IMAGE_BLOCK_SIZE], packed[IMAGE_BLOCK_SIZE * 2], out[IMAGE_BLOCK_SIZE];
	size_t sizes[] = { 0, 1, 5, 12, 13, 100, 4095, 4096 };

	for (int kind = 0; kind < 4; kind++) {
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			size_t n = sizes[s], c;

			for (size_t i = 0; i < n; i++)
				in[i] = kind == 0 ? 0 : kind == 1 ? (uint8_t)rand() :
					kind == 2 ? text[i] : (uint8_t)(i % 7 + (i / 300));
			c = lz4_compress_block(in, n, packed, sizeof(packed));
			EXPECT(c > 0);
			EXPECT(lz4_decompress_block(packed, c, out, n) == (long)n);
			EXPECT(!memcmp(in, out, n));
			/* Truncated input never reads or writes out of bounds. */
			for (size_t t = 0; t < c; t += 1 + c / 50)
				EXPECT(lz4_decompress_block(packed, t, out, n) < (long)n || n == 0);
		}
	}
	memset(in, 'x', sizeof(in));
	EXPECT(lz4_compress_block(in, sizeof(in), packed, sizeof(packed)) < 64);	/* compresses */
	EXPECT(lz4_compress_block(in, sizeof(in), packed, 3) == 0);			/* too small */
}

/*
 * Against the reference implementation, when its command is installed: the
 * lz4 tool decodes our blocks (in its legacy frame: a magic number, then
 * each block after its 4-byte size), and we decode the blocks it writes.
 */
static const char lz4_tool[] = "/usr/bin/lz4";

static void test_lz4_interop(void)
{
	static uint8_t in[3 * IMAGE_BLOCK_SIZE], packed[2 * IMAGE_BLOCK_SIZE], out[sizeof(text) + 64];
	char legacy[300], orig[300], cmd[1024];
	uint32_t magic = 0x184C2102, n;
	FILE *f;
	long got;

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = i < 2 * IMAGE_BLOCK_SIZE ? text[i] : big[i];
	snprintf(legacy, sizeof(legacy), "%s/ours.lz4", tmpdir);
	snprintf(orig, sizeof(orig), "%s/orig", tmpdir);
	f = fopen(legacy, "wb");
	fwrite(&magic, 4, 1, f);
	for (int b = 0; b < 3; b++) {
		n = (uint32_t)lz4_compress_block(in + b * IMAGE_BLOCK_SIZE, IMAGE_BLOCK_SIZE, packed,
						 sizeof(packed));
		fwrite(&n, 4, 1, f);
		fwrite(packed, 1, n, f);
	}
	fclose(f);
	write_host_file("orig", in, sizeof(in));
	snprintf(cmd, sizeof(cmd), "%s -d -c -q %s | cmp -s - %s", lz4_tool, legacy, orig);
	EXPECT(system(cmd) == 0);
	/* The tool's own block (one, under its 8 MiB legacy block size) through our decoder. */
	snprintf(cmd, sizeof(cmd), "%s -l -c -q %s/text > %s", lz4_tool, tmpdir, legacy);
	EXPECT(system(cmd) == 0);
	f = fopen(legacy, "rb");
	static uint8_t frame[2 * sizeof(text)];
	size_t len = f ? fread(frame, 1, sizeof(frame), f) : 0;
	if (f)
		fclose(f);
	memcpy(&n, frame + 4, 4);
	EXPECT(len > 8 && !memcmp(frame, &magic, 4) && n == len - 8);
	got = lz4_decompress_block(frame + 8, n, out, sizeof(out));
	EXPECT(got == (long)sizeof(text) && !memcmp(out, text, sizeof(text)));
	remove_host_file("ours.lz4");
	remove_host_file("orig");
}

static void check_sample(const struct blob *b, bool lz4)
{
	struct image img;
	struct image_inode in;
	uint32_t ino, prev_ino;
	const struct image_config *c = &img.config;

	if (!EXPECT(image_open(&img, b->p, b->len) == 0)) {
		printf("    %s\n", img.why);
		return;
	}
	EXPECT(b->len % IMAGE_BLOCK_SIZE == 0 && img.sb.image_size == b->len);
	EXPECT(file_is(b, &img, "/data/big.bin", big, sizeof(big)));
	EXPECT(file_is(b, &img, "/data/text.txt", text, sizeof(text)));
	EXPECT(file_is(b, &img, "/app/prog", "\177ELF...", 7));
	EXPECT(file_is(b, &img, "/empty", "", 0));
	EXPECT(file_is(b, &img, "/a/b/c/d/deep", "deep\n", 5));
	EXPECT(file_is(b, &img, "/many/f017", "file 31\n", 8));	/* 31 * 7 % 40 == 17 */
	EXPECT(image_resolve(&img, "/data/text.txt", &ino) == 0);
	image_inode(&img, ino, &in);
	EXPECT(in.mode == (IMAGE_S_IFREG | 0644) && in.mtime_sec == 99 && in.uid == 0);
	EXPECT(!!(in.flags & IMAGE_INODE_LZ4) == lz4);	/* text compresses */
	EXPECT(image_resolve(&img, "/data/big.bin", &ino) == 0);
	image_inode(&img, ino, &in);
	EXPECT(!(in.flags & IMAGE_INODE_LZ4));		/* random data does not */
	EXPECT(in.data % IMAGE_BLOCK_SIZE == 0 && in.mode == (IMAGE_S_IFREG | 0640));
	EXPECT(image_resolve(&img, "/data/link", &ino) == 0);
	image_inode(&img, ino, &in);
	EXPECT((in.mode & IMAGE_S_IFMT) == IMAGE_S_IFLNK && in.size == 7 &&
	       !memcmp(image_link_target(&img, &in), "big.bin", 7));
	EXPECT(image_resolve(&img, "/tmp", &ino) == 0);
	image_inode(&img, ino, &in);
	EXPECT(in.mode == (IMAGE_S_IFDIR | 01777) && in.size == 0);
	EXPECT(image_resolve(&img, "/a/b/c", &ino) == 0);
	image_inode(&img, ino, &in);
	EXPECT(in.mode == (IMAGE_S_IFDIR | 0755) && in.mtime_sec == 1000 && in.size == 1);
	EXPECT(image_resolve(&img, "/nope", &ino) == -ENOENT);
	EXPECT(image_resolve(&img, "/empty/x", &ino) == -ENOTDIR);
	EXPECT(image_resolve(&img, "/many", &ino) == 0);
	image_inode(&img, ino, &in);
	EXPECT(in.size == 40);
	prev_ino = 0;
	for (uint64_t i = 0; i < in.size; i++) {	/* sorted, numbered in order */
		struct image_dirent e;
		const char *name;
		char want[8];

		image_dirent(&img, &in, i, &e, &name);
		snprintf(want, sizeof(want), "f%03u", (unsigned)i);
		EXPECT(e.name_len == 4 && !memcmp(name, want, 4) && e.ino > prev_ino);
		prev_ino = e.ino;
	}
	EXPECT(c->argc == 3 && c->envc == 2);
	EXPECT(!memcmp(image_string(&img, c->argv_off), "/app/prog\0one\0two words", c->argv_len));
	EXPECT(c->cwd_len == 5 && !memcmp(image_string(&img, c->cwd_off), "/data", 5));
	EXPECT(c->exec_len == 9 && !memcmp(image_string(&img, c->exec_off), "/app/prog", 9));
}

static void test_round_trip(void)
{
	struct blob b = image_bytes(sample_writer(false));

	check_sample(&b, false);
	free(b.p);
}

static void test_round_trip_lz4(void)
{
	struct blob b = image_bytes(sample_writer(true)), plain = image_bytes(sample_writer(false));

	check_sample(&b, true);
	EXPECT(b.len < plain.len);
	free(b.p);
	free(plain.p);
}

static void test_reproducible(void)
{
	struct blob a = image_bytes(sample_writer(true)), b = image_bytes(sample_writer(true));

	EXPECT(a.len == b.len && a.p && !memcmp(a.p, b.p, a.len));
	free(a.p);
	free(b.p);
}

static void test_writer_refusals(void)
{
	struct imgw *w = imgw_new(0);

#define NEXT() (imgw_free(w), w = imgw_new(0))

	EXPECT(imgw_add_bytes(w, "/x/y", 0644, 0, "1", 1, "first") == 0);
	EXPECT(imgw_add_bytes(w, "/x/y", 0644, 0, "2", 1, "second") == -EEXIST);
	EXPECT(strstr(w->why, "/x/y") && strstr(w->why, "first") && strstr(w->why, "second"));
	NEXT();
	EXPECT(imgw_add_bytes(w, "/x", 0644, 0, "1", 1, "file") == 0);
	EXPECT(imgw_add_bytes(w, "/x/y", 0644, 0, "2", 1, "under") == -ENOTDIR);
	NEXT();
	EXPECT(imgw_add_dir(w, "/d", 0755, 0, "a") == 0 && imgw_add_dir(w, "/d", 0700, 0, "b") == 0);
	EXPECT(imgw_add_bytes(w, "relative", 0644, 0, "", 0, "r") == -EINVAL);
	NEXT();
	EXPECT(imgw_add_bytes(w, "/a/../b", 0644, 0, "", 0, "r") == -EINVAL);
	NEXT();
	EXPECT(imgw_add_symlink(w, "/l", "", 0, "r") == -EINVAL);
	imgw_free(w);
#undef NEXT
}

/* ---- Damage ------------------------------------------------------------------------ */

static struct blob sample;

static void fix_crcs(struct blob *b)
{
	struct image_super sb;

	memcpy(&sb, b->p, sizeof(sb));
	if (sb.meta_offset <= b->len && sb.meta_size <= b->len - sb.meta_offset)
		sb.meta_crc = image_crc32c(0, b->p + sb.meta_offset, sb.meta_size);
	sb.super_crc = 0;
	sb.super_crc = image_crc32c(0, &sb, sizeof(sb));
	memcpy(b->p, &sb, sizeof(sb));
}

static struct blob copy_of(const struct blob *b, size_t len)
{
	struct blob c = { malloc(len ? len : 1), len };

	memcpy(c.p, b->p, len < b->len ? len : b->len);
	return c;
}

/* An accepted image is walked whole: every inode, entry, target and file block. */
static void walk_all(const struct blob *b, const struct image *img)
{
	static uint8_t out[IMAGE_BLOCK_SIZE];

	for (uint32_t i = 0; i < img->sb.nr_inodes; i++) {
		struct image_inode in;

		image_inode(img, i, &in);
		if ((in.mode & IMAGE_S_IFMT) == IMAGE_S_IFDIR) {
			for (uint64_t k = 0; k < in.size; k++) {
				struct image_dirent e;
				const char *name;
				uint32_t ino;

				image_dirent(img, &in, k, &e, &name);
				EXPECT(e.ino < img->sb.nr_inodes);
				EXPECT(image_lookup(img, &in, name, e.name_len, &ino) == 0);
			}
		} else if ((in.mode & IMAGE_S_IFMT) == IMAGE_S_IFLNK) {
			EXPECT(!memchr(image_link_target(img, &in), 0, in.size));
		} else {
			struct image_extent e;

			for (uint64_t k = 0; !image_file_extent(img, &in, k, &e); k++) {
				EXPECT(e.offset + e.stored_len <= img->sb.meta_offset);
				if (e.lz4)
					lz4_decompress_block(b->p + e.offset, e.stored_len, out, e.len);
				else
					EXPECT(e.stored_len == e.len);
			}
		}
	}
}

static void test_truncations(void)
{
	struct image img;

	for (size_t len = 0; len < sample.len; len += len < 8192 ? 1 : 509) {
		struct blob c = copy_of(&sample, len);

		EXPECT(image_open(&img, c.p, c.len) == -EINVAL && img.why[0]);
		free(c.p);
	}
	/* A disk bigger than the image is fine (padding). */
	struct blob c = copy_of(&sample, sample.len + 4096);
	memset(c.p + sample.len, 0, 4096);
	EXPECT(image_open(&img, c.p, c.len) == 0);
	free(c.p);
}

/* Each superblock field set to values that must be refused (CRCs fixed, so the checks run). */
static void test_super_fields(void)
{
	static const struct { size_t off, size; uint64_t value; const char *why; } cases[] = {
		{ offsetof(struct image_super, magic), 8, 0x4d4f5445494d4731ull, "magic" },
		{ offsetof(struct image_super, version), 4, 2, "version" },
		{ offsetof(struct image_super, super_size), 4, 96, "version" },
		{ offsetof(struct image_super, image_size), 8, 4097, "multiple" },
		{ offsetof(struct image_super, image_size), 8, 0, "multiple" },
		{ offsetof(struct image_super, image_size), 8, 1ull << 40, "truncated" },
		{ offsetof(struct image_super, meta_offset), 8, 0, "outside" },
		{ offsetof(struct image_super, meta_offset), 8, 4095, "outside" },
		{ offsetof(struct image_super, meta_offset), 8, ~0ull & ~4095ull, "outside" },
		{ offsetof(struct image_super, meta_size), 8, ~0ull, "outside" },
		{ offsetof(struct image_super, meta_size), 8, 8, "counts need" },
		{ offsetof(struct image_super, nr_inodes), 4, 0, "inodes" },
		{ offsetof(struct image_super, nr_inodes), 4, 0xffffffff, "inodes" },
		{ offsetof(struct image_super, nr_dirents), 4, 1, "counts need" },
		{ offsetof(struct image_super, nr_blocks), 4, 0x10000000, "counts need" },
		{ offsetof(struct image_super, strings_size), 4, 3, "counts need" },
		{ offsetof(struct image_super, meta_crc), 4, 1, "checksum" },
		{ offsetof(struct image_super, flags), 4, 1, "flags" },
		{ offsetof(struct image_super, reserved), 8, 1, "reserved" },
		{ offsetof(struct image_super, pad), 4, 1, "reserved" },
	};
	struct image img;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct blob c = copy_of(&sample, sample.len);
		struct image_super sb;

		memcpy(&sb, c.p, sizeof(sb));
		memcpy((uint8_t *)&sb + cases[i].off, &cases[i].value, cases[i].size);
		sb.super_crc = 0;
		sb.super_crc = image_crc32c(0, &sb, sizeof(sb));
		memcpy(c.p, &sb, sizeof(sb));
		if (!EXPECT(image_open(&img, c.p, c.len) == -EINVAL && strstr(img.why, cases[i].why)))
			printf("    case %zu: %s\n", i, img.why);
		free(c.p);
	}
	/* Without fixing the CRC, any byte of the superblock changed is refused. */
	for (size_t off = 0; off < sizeof(struct image_super); off++) {
		struct blob c = copy_of(&sample, sample.len);

		c.p[off] ^= 0x40;
		EXPECT(image_open(&img, c.p, c.len) == -EINVAL);
		free(c.p);
	}
}

static void test_every_meta_byte(void)
{
	struct image img, ok;
	uint64_t accepted = 0;

	EXPECT(image_open(&ok, sample.p, sample.len) == 0);
	for (uint64_t off = ok.sb.meta_offset; off < ok.sb.meta_offset + ok.sb.meta_size; off++) {
		for (int bit = 0; bit < 8; bit += 3) {
			struct blob c = copy_of(&sample, sample.len);

			c.p[off] ^= (uint8_t)(1u << bit);
			EXPECT(image_open(&img, c.p, c.len) == -EINVAL && strstr(img.why, "checksum"));
			fix_crcs(&c);
			if (image_open(&img, c.p, c.len) == 0) {
				accepted++;
				walk_all(&c, &img);
			} else {
				EXPECT(img.why[0] != 0);
			}
			free(c.p);
		}
	}
	/* Names, times, modes, uids and file contents' offsets can change and stay valid; not all. */
	EXPECT(accepted > 0 && accepted < ok.sb.meta_size * 3);
}

/* Patches inode ino (or an entry) of a copy of the sample, fixes the CRCs, opens it. */
static int open_patched(uint32_t ino, size_t field, const void *value, size_t size, char *why)
{
	struct image img;
	struct blob c = copy_of(&sample, sample.len);
	int ret;

	EXPECT(image_open(&img, sample.p, sample.len) == 0);
	memcpy(c.p + img.sb.meta_offset + (uint64_t)ino * sizeof(struct image_inode) + field, value,
	       size);
	fix_crcs(&c);
	ret = image_open(&img, c.p, c.len);
	strcpy(why, img.why);
	free(c.p);
	return ret;
}

static uint32_t ino_of(const char *path)
{
	struct image img;
	uint32_t ino = 0;

	image_open(&img, sample.p, sample.len);
	EXPECT(image_resolve(&img, path, &ino) == 0);
	return ino;
}

static void test_hostile(void)
{
	struct image img;
	char why[IMAGE_WHY_MAX];
	uint64_t huge = 1ull << 40, unaligned, first;
	uint32_t zero = 0, self, dir_b = ino_of("/a/b"), dir_d = ino_of("/a/b/c/d"),
		 raw = ino_of("/data/raw.bin");
	struct image_inode in;

	/* A file larger than the disk, data at an odd or outside offset. */
	EXPECT(open_patched(raw, offsetof(struct image_inode, size), &huge, 8,
			    why) == -EINVAL && strstr(why, "outside"));
	image_open(&img, sample.p, sample.len);
	image_inode(&img, raw, &in);
	unaligned = in.data + 8;
	EXPECT(open_patched(raw, offsetof(struct image_inode, data), &unaligned,
			    8, why) == -EINVAL);
	unaligned = img.sb.meta_offset;
	EXPECT(open_patched(raw, offsetof(struct image_inode, data), &unaligned,
			    8, why) == -EINVAL);
	/* Directory loops: a subdirectory claiming an ancestor, or the root as its parent twice. */
	EXPECT(open_patched(dir_d, offsetof(struct image_inode, parent), &dir_b, 4, why) == -EINVAL &&
	       strstr(why, "loop"));
	self = dir_d;
	EXPECT(open_patched(dir_d, offsetof(struct image_inode, parent), &self, 4, why) == -EINVAL);
	image_inode(&img, dir_d, &in);
	first = in.data;	/* d's only entry ("deep") now names d's ancestor b */
	{
		struct blob c = copy_of(&sample, sample.len);
		struct image_dirent e;
		uint8_t *p = c.p + img.sb.meta_offset + (uint64_t)img.sb.nr_inodes * 64 + first * 16;

		memcpy(&e, p, sizeof(e));
		e.ino = dir_b;
		e.type = IMAGE_DT_DIR;
		memcpy(p, &e, sizeof(e));
		fix_crcs(&c);
		EXPECT(image_open(&img, c.p, c.len) == -EINVAL && strstr(img.why, "loop"));
		e.ino = 0;	/* the root named by an entry */
		memcpy(p, &e, sizeof(e));
		fix_crcs(&c);
		EXPECT(image_open(&img, c.p, c.len) == -EINVAL);
		/* A name with a slash, and an unsorted directory. */
		image_open(&img, sample.p, sample.len);
		memcpy(c.p, sample.p, sample.len);
		c.p[img.sb.meta_offset + img.sb.meta_size - img.sb.strings_size] = '/';
		fix_crcs(&c);
		EXPECT(image_open(&img, c.p, c.len) == -EINVAL);
		free(c.p);
	}
	/* Directory entry counts that overlap everything are refused, not walked n^2 times. */
	image_open(&img, sample.p, sample.len);
	uint64_t all = img.sb.nr_dirents;
	EXPECT(open_patched(0, offsetof(struct image_inode, size), &all, 8, why) == -EINVAL);
	EXPECT(open_patched(0, offsetof(struct image_inode, mode), &zero, 4, why) == -EINVAL);
}

int main(void)
{
	if (!mkdtemp(tmpdir))
		abort();
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)rand();
	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = "the quick brown fox jumps over the lazy dog\n"[i % 44] + (i % 1000 == 0);
	write_host_file("big", big, sizeof(big));
	write_host_file("text", text, sizeof(text));
	RUN(test_crc_and_lz4_vectors);
	RUN(test_lz4_round_trip);
	if (access(lz4_tool, X_OK) == 0)
		RUN(test_lz4_interop);
	RUN(test_round_trip);
	RUN(test_round_trip_lz4);
	RUN(test_reproducible);
	RUN(test_writer_refusals);
	sample = image_bytes(small_writer());
	RUN(test_truncations);
	RUN(test_super_fields);
	RUN(test_every_meta_byte);
	RUN(test_hostile);
	free(sample.p);
	remove_host_file("big");
	remove_host_file("text");
	rmdir(tmpdir);
	return test_summary();
}
