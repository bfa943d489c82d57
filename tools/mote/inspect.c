/*
 * `mote inspect IMAGE`: what a disk image holds, read through lib/image
 * (the kernel's own reader, so an image it lists is one the kernel
 * mounts): the superblock's numbers, the command, environment and working
 * directory, then every file depth-first in name order, as `ls -l` would
 * show it with full paths. A bad image is one line and exit status 2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <lib/image.h>

#include "mote.h"

static void print_strings(const char *label, const char *s, uint32_t len)
{
	printf("%s", label);
	for (uint32_t i = 0; i < len; i += (uint32_t)strlen(s + i) + 1) {
		putchar(' ');
		qemu_fput_quoted(stdout, s + i);
	}
	putchar('\n');
}

static void print_header(const struct image *img, const char *path, uint64_t size)
{
	const struct image_config *c = &img->config;

	printf("image %s: version %u, %llu bytes (%llu of data, %llu of metadata), %u inodes\n",
	       path, img->sb.version, (unsigned long long)size,
	       (unsigned long long)(img->sb.meta_offset - IMAGE_BLOCK_SIZE),
	       (unsigned long long)img->sb.meta_size, img->sb.nr_inodes);
	print_strings("command:", image_string(img, c->argv_off), c->argv_len);
	printf("program: %.*s\n", (int)c->exec_len, image_string(img, c->exec_off));
	printf("cwd: %.*s\n", (int)c->cwd_len, image_string(img, c->cwd_off));
	for (uint32_t i = 0; i < c->env_len; i += (uint32_t)strlen(image_string(img, c->env_off + i)) + 1)
		printf("env: %s\n", image_string(img, c->env_off + i));
}

static void mode_string(uint32_t mode, char out[11])
{
	static const char rwx[] = "rwxrwxrwx";
	uint32_t t = mode & IMAGE_S_IFMT;

	out[0] = t == IMAGE_S_IFDIR ? 'd' : t == IMAGE_S_IFLNK ? 'l' : '-';
	for (int i = 0; i < 9; i++)
		out[1 + i] = mode & (0400u >> i) ? rwx[i] : '-';
	if (mode & 04000)
		out[3] = out[3] == 'x' ? 's' : 'S';
	if (mode & 02000)
		out[6] = out[6] == 'x' ? 's' : 'S';
	if (mode & 01000)
		out[9] = out[9] == 'x' ? 't' : 'T';
	out[10] = 0;
}

static void print_inode(const struct image *img, const struct image_inode *in, const char *path)
{
	char mode[11], when[32];
	time_t t = (time_t)in->mtime_sec;
	struct tm tm;

	mode_string(in->mode, mode);
	if (!gmtime_r(&t, &tm) || !strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm))
		snprintf(when, sizeof(when), "@%lld", (long long)in->mtime_sec);
	printf("%s %5u %5u %10llu %s %s", mode, in->uid, in->gid,
	       (in->mode & IMAGE_S_IFMT) == IMAGE_S_IFDIR ? 0ull : (unsigned long long)in->size,
	       when, path);
	if ((in->mode & IMAGE_S_IFMT) == IMAGE_S_IFLNK)
		printf(" -> %.*s", (int)in->size, image_link_target(img, in));
	if (in->flags & IMAGE_INODE_LZ4)
		printf("  [lz4]");
	putchar('\n');
}

/* Depth-first without recursion (a hostile image may nest deeply): a stack of positions. */
struct frame {
	struct image_inode dir;
	uint64_t next;
	size_t path_len;
};

static void list_tree(const struct image *img)
{
	size_t depth = 1, cap = 16, plen = 0, pcap = 256;
	struct frame *stack = malloc(cap * sizeof(*stack));
	char *path = malloc(pcap);

	if (!stack || !path)
		abort();
	image_inode(img, 0, &stack[0].dir);
	stack[0].next = 0;
	stack[0].path_len = 0;
	print_inode(img, &stack[0].dir, "/");
	while (depth) {
		struct frame *f = &stack[depth - 1];
		struct image_dirent e;
		struct image_inode in;
		const char *name;

		if (f->next == f->dir.size) {
			depth--;
			continue;
		}
		image_dirent(img, &f->dir, f->next++, &e, &name);
		plen = f->path_len + 1 + e.name_len;
		if (plen + 1 > pcap && !(path = realloc(path, pcap = 2 * plen + 1)))
			abort();
		path[f->path_len] = '/';
		memcpy(path + f->path_len + 1, name, e.name_len);
		path[plen] = 0;
		image_inode(img, e.ino, &in);
		print_inode(img, &in, path);
		if (e.type != IMAGE_DT_DIR)
			continue;
		if (depth == cap && !(stack = realloc(stack, (cap *= 2) * sizeof(*stack))))
			abort();
		stack[depth++] = (struct frame){ .dir = in, .next = 0, .path_len = plen };
	}
	free(stack);
	free(path);
}

bool image_file_has_magic(const char *path)
{
	char magic[8];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool yes = fd >= 0 && read(fd, magic, sizeof(magic)) == (ssize_t)sizeof(magic) &&
		   image_has_magic(magic, sizeof(magic));

	if (fd >= 0)
		close(fd);
	return yes;
}

int image_check_file(const char *path, const char **why)
{
	static struct image img;	/* its why outlives the call */
	struct stat st;
	void *map;
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0 || fstat(fd, &st)) {
		*why = strerror(errno);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	map = st.st_size ? mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
	close(fd);
	if (map == MAP_FAILED) {
		*why = st.st_size ? strerror(errno) : "empty file";
		return -1;
	}
	ret = image_open(&img, map, (uint64_t)st.st_size);
	munmap(map, (size_t)st.st_size);
	*why = img.why;
	return ret ? -1 : 0;
}

int inspect_main(int argc, char **argv)
{
	struct image img;
	struct stat st;
	void *map;
	int fd;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		puts("usage: mote inspect IMAGE\n\nList a disk image's command, environment and files.");
		return 0;
	}
	if (argc != 2)
		return run_fail("usage: mote inspect IMAGE");
	if ((fd = open(argv[1], O_RDONLY | O_CLOEXEC)) < 0)
		return run_fail("%s: %s", argv[1], strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size == 0) {
		close(fd);
		return run_fail("%s: not a regular, non-empty file", argv[1]);
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return run_fail("%s: %s", argv[1], strerror(errno));
	if (image_open(&img, map, (uint64_t)st.st_size))
		return run_fail("%s: %s", argv[1], img.why);
	print_header(&img, argv[1], (uint64_t)st.st_size);
	list_tree(&img);
	munmap(map, (size_t)st.st_size);
	return fflush(stdout) ? MOTE_EXIT_USAGE : 0;
}
