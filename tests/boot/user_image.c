/*
 * A static program the image boot tests (tests/boot/test-boot.sh, image-*)
 * build into a disk image with `mote build` and boot with `mote run IMAGE`.
 * It prints what it finds, one fact per line, for the test to match: its
 * argv, environment and working directory from the image's config, files
 * read whole (with an FNV-1a hash the test computes on the host), a
 * directory listed, symlinks followed and read, the root read-only and
 * /tmp writable.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void hash_file(const char *path)
{
	static char buf[65536];
	uint64_t h = 0xcbf29ce484222325ull, size = 0;
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0) {
		printf("open %s: %s\n", path, strerror(errno));
		return;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			h = (h ^ (uint8_t)buf[i]) * 0x100000001b3ull;
		size += (uint64_t)n;
	}
	close(fd);
	printf("hash %s %llu %016llx\n", path, (unsigned long long)size, (unsigned long long)h);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_dir(const char *path)
{
	char *names[64];
	int n = 0;
	DIR *d = opendir(path);
	struct dirent *e;

	if (!d) {
		printf("opendir %s: %s\n", path, strerror(errno));
		return;
	}
	while ((e = readdir(d)) && n < 64)
		names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, (size_t)n, sizeof(char *), by_name);
	printf("ls %s:", path);
	for (int i = 0; i < n; i++)
		printf(" %s", names[i]);
	printf("\n");
}

static void cat(const char *path)
{
	char buf[256];
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (n < 0) {
		printf("cat %s: %s\n", path, strerror(errno));
	} else {
		buf[n] = 0;
		buf[strcspn(buf, "\n")] = 0;
		printf("cat %s: %s\n", path, buf);
	}
	if (fd >= 0)
		close(fd);
}

int main(int argc, char **argv)
{
	char cwd[256], target[256];
	struct stat st;
	ssize_t n;
	int fd;

	printf("argv:");
	for (int i = 0; i < argc; i++)
		printf(" [%s]", argv[i]);
	printf("\n");
	printf("env GREETING=%s\n", getenv("GREETING") ? getenv("GREETING") : "(unset)");
	printf("cwd %s\n", getcwd(cwd, sizeof(cwd)) ? cwd : strerror(errno));
	cat("hello.txt");			/* relative to the working directory */
	cat("/data/link");			/* a symlink followed */
	cat("/data/sub/deep/abs-link");	/* an absolute symlink, followed */
	n = readlink("/data/link", target, sizeof(target) - 1);
	printf("readlink /data/link: %.*s\n", n < 0 ? 0 : (int)n, target);
	list_dir("/data");
	list_dir("/");
	for (int i = 1; i < argc; i++)
		if (argv[i][0] == '/')
			hash_file(argv[i]);
	if (stat("/data/run.sh", &st) == 0)
		printf("mode /data/run.sh %o\n", st.st_mode & 07777);
	fd = open("/data/new", O_CREAT | O_WRONLY, 0644);
	printf("create in /data: %s\n", fd < 0 ? strerror(errno) : "created");
	fd = open("/tmp/scratch", O_CREAT | O_RDWR, 0644);
	if (fd >= 0 && write(fd, "tmp ok\n", 7) == 7) {
		close(fd);
		cat("/tmp/scratch");
	}
	cat("/etc/passwd");
	return 0;
}
