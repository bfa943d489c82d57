/* dirs: mkdir/rmdir and their errors, readdir of a directory with 200
 * entries (names printed sorted, types from lstat), rewinddir, getcwd and
 * chdir/fchdir through relative and absolute paths, *at() calls on a
 * directory descriptor. */
#include "compat.h"
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Prints the sorted entries of path with their types; returns the count. */
static int list(const char *path, int print)
{
	DIR *d = opendir(path);
	char *names[512];
	int n = 0;
	struct dirent *e;

	CHECK(d != NULL);
	while ((e = readdir(d)) && n < 512)
		names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, (size_t)n, sizeof(names[0]), cmp_str);
	for (int i = 0; i < n; i++) {
		char full[1024];
		struct stat st;
		snprintf(full, sizeof(full), "%s/%s", path, names[i]);
		CHECK(lstat(full, &st) == 0);
		if (print)
			printf("  %s %s\n", names[i], S_ISDIR(st.st_mode) ? "dir" : S_ISLNK(st.st_mode) ? "lnk" : "reg");
		free(names[i]);
	}
	return n;
}

static void create(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);

	CHECK(fd >= 0);
	close(fd);
}

static void making(void)
{
	printf("mkdir a: %s\n", res(mkdir("a", 0755)));
	printf("mkdir a again: %s\n", res(mkdir("a", 0755)));
	printf("mkdir a/b/c: %s\n", res(mkdir("a/b/c", 0755)));
	printf("mkdir a/b: %s\n", res(mkdir("a/b", 0755)));
	printf("mkdir a/b/c: %s\n", res(mkdir("a/b/c", 0755)));
	create("a/file");
	printf("mkdir under file: %s\n", res(mkdir("a/file/x", 0755)));
	CHECK(symlink("b", "a/link") == 0);
	printf("listing a:\n");
	list("a", 1);
	printf("rmdir nonempty: %s\n", res(rmdir("a/b")));
	printf("rmdir file: %s\n", res(rmdir("a/file")));
	printf("rmdir missing: %s\n", res(rmdir("a/missing")));
	printf("rmdir dot: %s\n", res(rmdir("a/b/c/.")));
	printf("rmdir a/b/c: %s\n", res(rmdir("a/b/c")));
	printf("rmdir a/b/c again: %s\n", res(rmdir("a/b/c")));
}

static void many(void)
{
	char name[32];

	CHECK(mkdir("many", 0755) == 0);
	for (int i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "many/entry-%03d-%s", (i * 37) % 200, i % 3 ? "x" : "long-name-here");
		create(name);
	}
	printf("many: %d entries with . and ..\n", list("many", 0));
	DIR *d = opendir("many");
	CHECK(d != NULL);
	int first = 0, second = 0;
	while (readdir(d))
		first++;
	rewinddir(d);
	while (readdir(d))
		second++;
	printf("rewinddir: %d then %d\n", first, second);
	closedir(d);
	for (int i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "many/entry-%03d-%s", (i * 37) % 200, i % 3 ? "x" : "long-name-here");
		CHECK(unlink(name) == 0);
	}
	printf("many emptied: %d entries\n", list("many", 0));
	CHECK(rmdir("many") == 0);
	errno = 0;
	DIR *none = opendir("missing");
	printf("opendir missing: %s %s\n", none ? "DIR" : "NULL", errname(errno));
	errno = 0;
	none = opendir("a/file");
	printf("opendir file: %s %s\n", none ? "DIR" : "NULL", errname(errno));
}

static void cwd(const char *top)
{
	char buf[1024], want[1024];

	CHECK(getcwd(buf, sizeof(buf)) != NULL);
	printf("getcwd is the tmpdir: %d\n", strcmp(buf, top) == 0);
	printf("chdir a/b: %s\n", res(chdir("a/b")));
	CHECK(getcwd(buf, sizeof(buf)) != NULL);
	snprintf(want, sizeof(want), "%s/a/b", top);
	printf("getcwd is tmpdir/a/b: %d\n", strcmp(buf, want) == 0);
	printf("relative ../file exists: %s\n", res(access("../file", F_OK)));
	printf("chdir ../..: %s\n", res(chdir("../..")));
	CHECK(getcwd(buf, sizeof(buf)) != NULL);
	printf("back at tmpdir: %d\n", strcmp(buf, top) == 0);
	printf("chdir missing: %s\n", res(chdir("missing")));
	printf("chdir file: %s\n", res(chdir("a/file")));
	char tiny[4];
	errno = 0;
	char *r = getcwd(tiny, sizeof(tiny));
	printf("getcwd small buffer: %s %s\n", r ? "ok" : "NULL", errname(errno));
	int fd = open("a", O_RDONLY | O_DIRECTORY);
	CHECK(fd >= 0);
	printf("fchdir: %s\n", res(fchdir(fd)));
	printf("now file is here: %s\n", res(access("file", F_OK)));
	CHECK(chdir("/") == 0);
	CHECK(getcwd(buf, sizeof(buf)) != NULL);
	printf("chdir / -> getcwd [%s]\n", buf);
	CHECK(chdir(top) == 0);
	printf("openat: %s\n", res(openat(fd, "viaat", O_WRONLY | O_CREAT, 0644) >= 0));
	printf("mkdirat: %s\n", res(mkdirat(fd, "dirat", 0755)));
	struct stat st;
	printf("fstatat: %s\n", res(fstatat(fd, "viaat", &st, 0)));
	printf("unlinkat file: %s\n", res(unlinkat(fd, "viaat", 0)));
	printf("unlinkat dir without flag: %s\n", res(unlinkat(fd, "dirat", 0)));
	printf("unlinkat dir AT_REMOVEDIR: %s\n", res(unlinkat(fd, "dirat", AT_REMOVEDIR)));
	printf("open O_DIRECTORY on file: %s\n", res(openat(fd, "file", O_RDONLY | O_DIRECTORY)));
	close(fd);
}

int main(void)
{
	const char *top = enter_tmpdir();

	close_extra_fds();
	umask(022);
	making();
	many();
	cwd(top);
	CHECK(unlink("a/file") == 0 && unlink("a/link") == 0 && rmdir("a/b") == 0 && rmdir("a") == 0);
	CHECK(chdir("/") == 0);
	printf("rmdir top: %s\n", res(rmdir(top)));
	return 0;
}
