/*
 * /dev, /proc and /sys as a program sees them (docs/fs.md, "devfs, procfs,
 * sysfs"). Checks what can differ between machines only for its shape;
 * prints "devproc: FAIL what" for each failure, facts as "devproc: name
 * value" lines for the boot test to match, and "devproc: PASS" at the end
 * when everything held. Usage: user_devproc [expected-cpu-count]
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static int failures;

#define CHECK(cond)                                                                   \
	do {                                                                          \
		if (!(cond)) {                                                        \
			printf("devproc: FAIL line %d: %s (errno %d)\n", __LINE__, #cond, errno); \
			failures++;                                                   \
		}                                                                     \
	} while (0)

/* The whole of a file (at most size - 1 bytes, NUL-terminated), read in small pieces. */
static ssize_t slurp(const char *path, char *buf, size_t size, size_t piece)
{
	int fd = open(path, O_RDONLY);
	size_t got = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	while (got < size - 1 && (n = read(fd, buf + got, piece < size - 1 - got ? piece : size - 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	buf[got] = 0;
	return (ssize_t)got;
}

static void devices(void)
{
	char buf[4096], a[64], b[64];
	struct stat st;
	int fd;

	CHECK(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 &&
	      minor(st.st_rdev) == 3 && (st.st_mode & 0777) == 0666);
	CHECK(stat("/dev/zero", &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 5));
	CHECK(stat("/dev/urandom", &st) == 0 && st.st_rdev == makedev(1, 9));
	fd = open("/dev/null", O_RDWR);
	CHECK(fd >= 0);
	CHECK(write(fd, "hello", 5) == 5);
	CHECK(read(fd, buf, sizeof(buf)) == 0);
	CHECK(fstat(fd, &st) == 0 && st.st_rdev == makedev(1, 3));
	close(fd);
	fd = open("/dev/zero", O_RDONLY);
	memset(buf, 1, sizeof(buf));
	CHECK(read(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf));
	CHECK(buf[0] == 0 && buf[sizeof(buf) - 1] == 0 && memchr(buf, 1, sizeof(buf)) == NULL);
	close(fd);
	fd = open("/dev/full", O_WRONLY);
	errno = 0;
	CHECK(write(fd, "x", 1) == -1 && errno == ENOSPC);
	close(fd);
	fd = open("/dev/urandom", O_RDONLY);
	CHECK(read(fd, a, sizeof(a)) == sizeof(a) && read(fd, b, sizeof(b)) == sizeof(b));
	CHECK(memcmp(a, b, sizeof(a)) != 0);
	close(fd);
	errno = 0;
	CHECK(open("/dev/tty", O_RDWR) == -1 && errno == ENXIO);
	/* The console stream, reopened through /proc/self/fd/1, as a shell's "> /dev/stdout" does. */
	fd = open("/dev/stdout", O_WRONLY | O_CREAT | O_TRUNC, 0666);
	CHECK(fd >= 0 && write(fd, "devproc: through /dev/stdout\n", 29) == 29);
	close(fd);
	fd = open("/dev/console", O_RDWR);
	CHECK(fd >= 0 && write(fd, "devproc: through /dev/console\n", 30) == 30);
	CHECK(fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(5, 1));
	close(fd);
	fd = open("/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0666);	/* "> /dev/null" */
	CHECK(fd >= 0 && write(fd, "x", 1) == 1);
	close(fd);
	CHECK(readlink("/dev/fd", buf, sizeof(buf)) == 13 && memcmp(buf, "/proc/self/fd", 13) == 0);
	fd = open("/dev/shm/devproc", O_CREAT | O_RDWR, 0600);	/* shm_open's directory: a ramfs */
	CHECK(fd >= 0 && write(fd, "shm", 3) == 3);
	close(fd);
	CHECK(unlink("/dev/shm/devproc") == 0);
	errno = 0;
	CHECK(mkdir("/dev/nope", 0755) == -1 && errno == EROFS);
}

static void links(const char *argv0)
{
	char buf[PATH_MAX], want[PATH_MAX];
	ssize_t n;
	int fd;

	n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	CHECK(n > 0);
	buf[n > 0 ? n : 0] = 0;
	printf("devproc: exe %s\n", buf);
	CHECK(strstr(buf, "user_devproc") != NULL || strcmp(argv0, buf) == 0);
	n = readlink("/proc/self/fd/1", buf, sizeof(buf) - 1);
	CHECK(n > 0);
	buf[n > 0 ? n : 0] = 0;
	printf("devproc: fd1 %s\n", buf);
	CHECK(strncmp(buf, "pipe:[", 6) == 0 || buf[0] == '/');
	n = readlink("/proc/self", buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	snprintf(want, sizeof(want), "%d", getpid());
	CHECK(strcmp(buf, want) == 0);
	/* A file's path, and reopening it through its fd link. */
	fd = open("/tmp/devproc-file", O_CREAT | O_RDWR | O_TRUNC, 0600);
	CHECK(fd >= 0 && write(fd, "abc", 3) == 3);
	snprintf(want, sizeof(want), "/proc/self/fd/%d", fd);
	n = readlink(want, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	CHECK(strcmp(buf, "/tmp/devproc-file") == 0);
	int fd2 = open(want, O_RDONLY);
	CHECK(fd2 >= 0 && read(fd2, buf, 3) == 3 && memcmp(buf, "abc", 3) == 0);
	close(fd2);
	close(fd);
	unlink("/tmp/devproc-file");
	CHECK(chdir("/tmp") == 0);
	n = readlink("/proc/self/cwd", buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	CHECK(strcmp(buf, "/tmp") == 0);
	CHECK(chdir("/") == 0);
}

static void fd_listing(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int seen[4] = { 0 }, count = 0;

	CHECK(d != NULL);
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		count++;
		if (atoi(e->d_name) < 4)
			seen[atoi(e->d_name)] = 1;
	}
	if (d)
		closedir(d);
	CHECK(seen[0] && seen[1] && seen[2] && count >= 4);	/* 0-2 and the directory's own */
	/* One thread: task/ lists its id, and its directory has stat. */
	static char buf[4096];
	d = opendir("/proc/self/task");
	count = 0;
	while (d && (e = readdir(d)))
		count += e->d_name[0] != '.' && atoi(e->d_name) == getpid();
	if (d)
		closedir(d);
	CHECK(count == 1);
	CHECK(slurp("/proc/self/task/1/stat", buf, sizeof(buf), 4096) > 0 && strncmp(buf, "1 (", 3) == 0);
}

static void maps(void)
{
	static char buf[65536];
	int stack = 0, text = 0, lines = 0;
	unsigned long here = (unsigned long)&maps, local = (unsigned long)&stack;

	CHECK(slurp("/proc/self/maps", buf, sizeof(buf), 7) > 0);
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		unsigned long lo, hi;
		char perms[5];

		lines++;
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) != 3) {
			printf("devproc: FAIL maps line: %s\n", line);
			failures++;
			continue;
		}
		if (lo <= here && here < hi && perms[2] == 'x')
			text = 1;
		if (lo <= local && local < hi && strstr(line, "[stack]"))
			stack = 1;
	}
	CHECK(text && stack && lines >= 3);
}

static void system_files(int want_cpus)
{
	static char buf[65536];
	unsigned long total = 0;
	int cpus = 0;
	FILE *f;

	CHECK(slurp("/proc/meminfo", buf, sizeof(buf), 4096) > 0);
	CHECK(sscanf(buf, "MemTotal: %lu kB", &total) == 1 && total > 0);
	printf("devproc: MemTotal %lu kB\n", total);
	CHECK(slurp("/proc/cpuinfo", buf, sizeof(buf), 100) > 0);
	for (char *p = buf; (p = strstr(p, "processor\t: ")); p++)
		cpus++;
	printf("devproc: cpuinfo processors %d\n", cpus);
	CHECK(want_cpus == 0 || cpus == want_cpus);
	CHECK(sysconf(_SC_NPROCESSORS_ONLN) == cpus);
	CHECK(slurp("/sys/devices/system/cpu/online", buf, sizeof(buf), 4096) > 0);
	printf("devproc: cpu online %s", buf);
	CHECK(slurp("/proc/self/status", buf, sizeof(buf), 4096) > 0);
	CHECK(strstr(buf, "Name:\tuser_devproc") && strstr(buf, "\nPid:\t1\n") && strstr(buf, "\nVmSize:\t"));
	CHECK(slurp("/proc/self/stat", buf, sizeof(buf), 4096) > 0 && strncmp(buf, "1 (user_devproc", 15) == 0 && strstr(buf, ") R 0 1 1 "));
	CHECK(slurp("/proc/self/cmdline", buf, sizeof(buf), 4096) > 0 && strstr(buf, "user_devproc"));
	CHECK(slurp("/proc/sys/kernel/random/uuid", buf, sizeof(buf), 4096) == 37 && buf[14] == '4');
	CHECK(slurp("/proc/uptime", buf, sizeof(buf), 4096) > 0 && strchr(buf, '.'));
	CHECK(slurp("/proc/mounts", buf, sizeof(buf), 4096) > 0 && strstr(buf, "proc /proc proc "));
	/* Reading procfs files is fine; writing is Linux's EIO, opening a sysctl for it EACCES. */
	int fd = open("/proc/meminfo", O_WRONLY);
	errno = 0;
	CHECK(fd >= 0 && write(fd, "x", 1) == -1 && errno == EIO);
	close(fd);
	errno = 0;
	CHECK(open("/proc/sys/kernel/random/uuid", O_WRONLY) == -1 && errno == EACCES);
	f = fopen("/proc/loadavg", "r");
	CHECK(f && fgets(buf, sizeof(buf), f));
	if (f)
		fclose(f);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	devices();
	links(argv[0]);
	fd_listing();
	maps();
	system_files(argc > 1 ? atoi(argv[1]) : 0);
	printf(failures ? "devproc: %d failed\n" : "devproc: PASS\n", failures);
	return failures != 0;
}
