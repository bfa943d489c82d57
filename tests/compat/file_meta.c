/* file_meta: what stat reports that is deterministic (size, type, permission
 * bits under a fixed umask, nlink of a file), lstat vs stat on symlinks,
 * symlink/readlink, rename (over a file, into a directory, errors), unlink,
 * access, chmod, and their errno values. */
#include "compat.h"
#include <fcntl.h>
#include <sys/stat.h>

static const char *type(mode_t m)
{
	return S_ISREG(m) ? "reg" : S_ISDIR(m) ? "dir" : S_ISLNK(m) ? "lnk" : S_ISFIFO(m) ? "fifo" :
	       S_ISCHR(m) ? "chr" : "other";
}

static void show(const char *path, int follow)
{
	struct stat st;
	int r = follow ? stat(path, &st) : lstat(path, &st);

	if (r != 0) {
		printf("%s %s: %s\n", follow ? "stat" : "lstat", path, res(r));
		return;
	}
	printf("%s %s: %s mode %04o", follow ? "stat" : "lstat", path, type(st.st_mode),
	       (unsigned)(st.st_mode & 07777));
	/* A directory's size and link count depend on the filesystem. */
	if (!S_ISDIR(st.st_mode))
		printf(" size %lld nlink %lu", (long long)st.st_size, (unsigned long)st.st_nlink);
	printf("\n");
}

static void make(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	CHECK(fd >= 0);
	CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	CHECK(close(fd) == 0);
}

static void stats(void)
{
	make("a", "0123456789", 0666);
	make("b", "", 0600);
	make("c", "x", 0755);
	CHECK(mkdir("d", 0777) == 0);
	show("a", 1);
	show("b", 1);
	show("c", 1);
	show("d", 1);
	struct stat st, fst;
	CHECK(stat("d", &st) == 0);
	printf("dir nlink >= 1: %d\n", st.st_nlink >= 1);
	int fd = open("a", O_RDONLY);
	CHECK(fd >= 0 && fstat(fd, &fst) == 0 && stat("a", &st) == 0);
	printf("fstat matches stat: %d\n", st.st_ino == fst.st_ino && st.st_dev == fst.st_dev &&
						   st.st_size == fst.st_size);
	close(fd);
	printf("chmod 0640: %s\n", res(chmod("a", 0640)));
	show("a", 1);
	printf("stat missing: %s\n", res(stat("missing", &st)));
	printf("stat through file: %s\n", res(stat("a/x", &st)));
	printf("stat empty path: %s\n", res(stat("", &st)));
	time_t before = time(NULL);
	make("t", "x", 0644);
	CHECK(stat("t", &st) == 0);
	printf("mtime recent: %d\n", st.st_mtime >= before - 2 && st.st_mtime <= time(NULL) + 2);
	CHECK(stat("/", &st) == 0);
	printf("/ is %s\n", type(st.st_mode));
	CHECK(stat("/tmp", &st) == 0);
	printf("/tmp is %s\n", type(st.st_mode));
}

static void links(void)
{
	char buf[64];

	printf("symlink: %s\n", res(symlink("a", "la")));
	printf("symlink existing: %s\n", res(symlink("a", "la")));
	printf("symlink dangling: %s\n", res(symlink("nothing/here", "dangle")));
	show("la", 0);
	show("la", 1);
	show("dangle", 0);
	show("dangle", 1);
	memset(buf, '#', sizeof(buf));
	ssize_t n = readlink("la", buf, sizeof(buf));
	printf("readlink la: %s [%.*s] byte after %c\n", res(n), (int)(n > 0 ? n : 0), buf, buf[n > 0 ? n : 0]);
	n = readlink("dangle", buf, 5);
	printf("readlink truncated: %s [%.5s]\n", res(n), buf);
	printf("readlink regular: %s\n", res(readlink("a", buf, sizeof(buf))));
	printf("readlink missing: %s\n", res(readlink("missing", buf, sizeof(buf))));
	CHECK(symlink("d", "ld") == 0);
	make("ld/inner", "through link", 0644);
	show("d/inner", 1);
	CHECK(symlink("loop2", "loop1") == 0 && symlink("loop1", "loop2") == 0);
	printf("open loop: %s\n", res(open("loop1", O_RDONLY)));
	int fd = open("la", O_RDONLY | O_NOFOLLOW);
	printf("open O_NOFOLLOW on link: %s\n", res(fd));
}

static void renames(void)
{
	printf("rename a -> a2: %s\n", res(rename("a", "a2")));
	show("a", 1);
	show("a2", 1);
	show("la", 1);
	printf("rename c over a2: %s\n", res(rename("c", "a2")));
	show("a2", 1);
	printf("rename into dir: %s\n", res(rename("a2", "d/moved")));
	show("d/moved", 1);
	printf("rename missing: %s\n", res(rename("missing", "x")));
	printf("rename file over dir: %s\n", res(rename("b", "d")));
	CHECK(mkdir("e", 0755) == 0);
	printf("rename dir over empty dir: %s\n", res(rename("e", "d2")));
	printf("rename dir over nonempty dir: %s\n", res(rename("d2", "d")));
	printf("rename dir into itself: %s\n", res(rename("d", "d/sub")));
	printf("access b F_OK: %s\n", res(access("b", F_OK)));
	printf("access b R_OK|W_OK: %s\n", res(access("b", R_OK | W_OK)));
	printf("access missing: %s\n", res(access("missing", F_OK)));
	printf("access X_OK on 0600 file: %s\n", res(access("b", X_OK)));
	printf("unlink b: %s\n", res(unlink("b")));
	printf("unlink b again: %s\n", res(unlink("b")));
	printf("unlink dir: %s\n", res(unlink("d")));
	const char *names[] = { "la", "dangle", "ld", "loop1", "loop2", "t", "d/inner", "d/moved" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		CHECK(unlink(names[i]) == 0);
	CHECK(rmdir("d") == 0 && rmdir("d2") == 0);
}

int main(void)
{
	const char *dir = enter_tmpdir();

	umask(022);
	stats();
	links();
	renames();
	CHECK(chdir("/") == 0);
	printf("rmdir: %s\n", res(rmdir(dir)));
	return 0;
}
