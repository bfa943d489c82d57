/* proc_dev: /dev, /proc and /sys as Linux shows them, reduced to what is the
 * same on every Linux x86-64 machine: device numbers and modes, what each
 * device does, the links of /dev, the layout of every /proc file programs
 * parse (field names, column formats, field counts), the errors of writing
 * to them, magic links (/proc/self/fd/N, cwd) and the process's own
 * numbers checked against the system calls that give them. Values that
 * vary (memory sizes, pids, CPU models) are only checked for shape. */
#include "compat.h"
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <regex.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>

static char buf[1 << 16];

/* The whole file in buf, read in pieces of `piece` bytes; its length or -1. */
static ssize_t slurp(const char *path, size_t piece)
{
	int fd = open(path, O_RDONLY);
	size_t got = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	while (got < sizeof(buf) - 1 &&
	       (n = read(fd, buf + got, piece < sizeof(buf) - 1 - got ? piece : sizeof(buf) - 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	buf[got] = 0;
	return (ssize_t)got;
}

/* Whether every line of buf matches the extended regex re. */
static int all_lines_match(const char *re)
{
	regex_t r;
	int ok = 1;
	char *copy = strdup(buf), *save = NULL;

	CHECK(regcomp(&r, re, REG_EXTENDED | REG_NOSUB) == 0);
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (regexec(&r, line, 0, NULL, 0) != 0) {
			printf("  line does not match %s: %s\n", re, line);
			ok = 0;
		}
	regfree(&r);
	free(copy);
	return ok;
}

static void device(const char *path)
{
	struct stat st;

	CHECK(stat(path, &st) == 0);
	printf("%s: chr %d mode %03o rdev %u:%u\n", path, S_ISCHR(st.st_mode), st.st_mode & 0777,
	       major(st.st_rdev), minor(st.st_rdev));
}

/* One read of 1 MiB from each memory device is whole, as dd bs=1M relies on. */
static void big_reads(void)
{
	const char *devs[] = { "/dev/zero", "/dev/full", "/dev/urandom", "/dev/random" };
	size_t len = 1 << 20;
	char *buf = malloc(len);

	for (int i = 0; buf && i < 4; i++) {
		int fd = open(devs[i], O_RDONLY);

		printf("%s: 1 MiB read gives %s\n", devs[i], res(read(fd, buf, len)));
		close(fd);
	}
	free(buf);
}

static void devices(void)
{
	char a[256], b[256];
	int fd;

	device("/dev/null");
	device("/dev/zero");
	device("/dev/full");
	device("/dev/random");
	device("/dev/urandom");
	device("/dev/tty");
	fd = open("/dev/null", O_RDWR);
	printf("null: write %s, read %s, lseek %s\n", res(write(fd, "abc", 3)), res(read(fd, a, 10)),
	       res(lseek(fd, 100, SEEK_SET)));
	close(fd);
	fd = open("/dev/zero", O_RDWR);
	memset(a, 7, sizeof(a));
	printf("zero: read %s", res(read(fd, a, sizeof(a))));
	printf(", all zero %d, write %s\n", a[0] == 0 && memcmp(a, a + 1, sizeof(a) - 1) == 0,
	       res(write(fd, "x", 1)));
	close(fd);
	fd = open("/dev/full", O_RDWR);
	printf("full: write %s, read %s\n", res(write(fd, "x", 1)), res(read(fd, a, 16)));
	close(fd);
	fd = open("/dev/urandom", O_RDONLY);
	printf("urandom: reads %s", res(read(fd, a, sizeof(a))));
	printf(" %s", res(read(fd, b, sizeof(b))));
	printf(", differ %d\n", memcmp(a, b, sizeof(a)) != 0);
	close(fd);
	big_reads();
	fd = open("/dev/random", O_RDONLY);
	printf("random: read %s\n", res(read(fd, a, 32)));
	close(fd);
	const char *links[] = { "/dev/fd", "/dev/stdin", "/dev/stdout", "/dev/stderr" };
	for (int i = 0; i < 4; i++) {
		ssize_t n = readlink(links[i], a, sizeof(a) - 1);

		a[n > 0 ? n : 0] = 0;
		printf("%s -> %s\n", links[i], a);
	}
	fd = open("/dev/stdin", O_RDONLY);
	printf("/dev/stdin: read %s\n", res(read(fd, a, sizeof(a))));
	close(fd);
}

/* How many lines of /proc/self/maps name exactly name. */
static int maps_naming(const char *name)
{
	int found = 0;

	CHECK(slurp("/proc/self/maps", 4096) > 0);
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		size_t n = strlen(line), k = strlen(name);

		found += n > k && line[n - k - 1] == ' ' && strcmp(line + n - k, name) == 0;
	}
	return found;
}

/* Whether /proc/self/fd/FD reads "PATH (deleted)". */
static int fd_link_deleted(int fd, const char *path)
{
	char link[32], target[PATH_MAX], want[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	snprintf(want, sizeof(want), "%s (deleted)", path);
	n = readlink(link, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = 0;
	return strcmp(target, want) == 0;
}

/*
 * A file unlinked while open and mapped keeps its last name, marked " (deleted)",
 * in its fd link and in maps; mapped only after the unlink, it is marked once.
 */
static void deleted_links(const char *path, int fd)
{
	char deleted[PATH_MAX], other_path[PATH_MAX];
	void *map = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0), *late;

	CHECK(map != MAP_FAILED && unlink(path) == 0);
	snprintf(deleted, sizeof(deleted), "%s (deleted)", path);
	printf("unlinked: fd link is the path and \" (deleted)\": %d\n", fd_link_deleted(fd, path));
	printf("unlinked: maps lines naming it so: %d\n", maps_naming(deleted));
	late = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	CHECK(late != MAP_FAILED);
	printf("unlinked, then mapped again: maps lines naming it so: %d\n", maps_naming(deleted));
	munmap(late, 4096);
	munmap(map, 4096);
	/* a file another replaced by rename is deleted the same way */
	int held = open(path, O_CREAT | O_RDWR, 0600), other;

	snprintf(other_path, sizeof(other_path), "%s.other", path);
	other = open(other_path, O_CREAT | O_RDWR, 0600);
	CHECK(held >= 0 && other >= 0 && rename(other_path, path) == 0);
	printf("replaced by rename: fd link is the path and \" (deleted)\": %d\n",
	       fd_link_deleted(held, path));
	close(held);
	close(other);
	unlink(path);
}

static void self_links(void)
{
	char path[64], target[PATH_MAX], want[32];
	ssize_t n;
	int fd, fd2;

	n = readlink("/proc/self", target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = 0;
	snprintf(want, sizeof(want), "%d", getpid());
	printf("/proc/self is getpid: %d\n", strcmp(target, want) == 0);
	n = readlink("/proc/self/exe", target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = 0;
	printf("/proc/self/exe ends in /proc_dev: %d\n", n > 9 && strcmp(target + n - 9, "/proc_dev") == 0);
	snprintf(path, sizeof(path), "/tmp/compat-proc-dev-%d", getpid());
	fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
	CHECK(fd >= 0 && write(fd, "abcdef", 6) == 6);
	snprintf(want, sizeof(want), "/proc/self/fd/%d", fd);
	n = readlink(want, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = 0;
	printf("fd link is the path: %d\n", strcmp(target, path) == 0);
	fd2 = open(want, O_RDONLY);	/* a new open of the same file, with its own position */
	printf("reopen: read %s", res(read(fd2, target, 4)));
	printf(" \"%.4s\", position of the first %s\n", target, res(lseek(fd, 0, SEEK_CUR)));
	close(fd2);
	deleted_links(path, fd);
	close(fd);
	CHECK(chdir("/tmp") == 0);
	n = readlink("/proc/self/cwd", target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = 0;
	printf("/proc/self/cwd after chdir /tmp: %s\n", target);
	CHECK(chdir("/") == 0);
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int seen = 0;

	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, "0") == 0 || strcmp(e->d_name, "1") == 0 || strcmp(e->d_name, "2") == 0)
			seen++;
	printf("/proc/self/fd lists 0 1 2: %d\n", seen == 3);
	if (d)
		closedir(d);
}

static void self_files(int argc, char **argv)
{
	char want[64];
	int fields = 0, ok = 1;
	size_t off = 0;

	/* cmdline: the arguments NUL-separated (argv[0] differs between the runs). */
	ssize_t n = slurp("/proc/self/cmdline", 5);
	off = strlen(buf) + 1;
	printf("cmdline: %zd bytes after argv[0]:", n - (ssize_t)off);
	for (int i = 1; i < argc && off < (size_t)n; i++) {
		printf(" [%s]", buf + off);
		ok &= strcmp(buf + off, argv[i]) == 0;
		off += strlen(buf + off) + 1;
	}
	printf(", match argv %d\n", ok);
	n = slurp("/proc/self/environ", 3);
	int nenv = 0;
	for (ssize_t i = 0; i < n; i++)
		nenv += buf[i] == 0;
	extern char **environ;
	int count = 0;
	while (environ[count])
		count++;
	printf("environ: entries match %d\n", nenv == count);
	/* stat: 52 fields; pid, (comm), state. */
	CHECK(slurp("/proc/self/stat", 11) > 0);
	snprintf(want, sizeof(want), "%d (proc_dev) R ", getpid());
	printf("stat starts with pid (comm) R: %d\n", strncmp(buf, want, strlen(want)) == 0);
	for (char *p = strrchr(buf, ')') + 1; *p; p++)
		fields += *p == ' ';
	printf("stat fields: %d\n", fields + 2);
	CHECK(slurp("/proc/self/statm", 4096) > 0);
	printf("statm well-formed: %d\n", all_lines_match("^[0-9]+( [0-9]+){6}$"));
	CHECK(slurp("/proc/self/status", 13) > 0);
	snprintf(want, sizeof(want), "\nPid:\t%d\n", getpid());
	printf("status: Name first %d, Pid %d, well-formed %d\n", strncmp(buf, "Name:\tproc_dev\n", 15) == 0,
	       strstr(buf, want) != NULL, all_lines_match("^[A-Za-z_]+:\t"));
	printf("status has:");
	const char *keys[] = { "State:", "Tgid:", "PPid:", "Uid:", "Gid:", "FDSize:", "VmSize:", "VmRSS:",
			       "Threads:", "SigBlk:", "SigIgn:", "SigCgt:", "CapEff:", "Cpus_allowed_list:" };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char k[40];

		snprintf(k, sizeof(k), "\n%s", keys[i]);
		printf(" %s%d", keys[i], strstr(buf, k) != NULL);
	}
	printf("\n");
	CHECK(slurp("/proc/self/limits", 4096) > 0);
	printf("limits header: %.*s", (int)(strchr(buf, '\n') - buf + 1), buf);
	printf("limits rows well-formed: %d\n",
	       all_lines_match("^(Limit {21}Soft Limit {11}Hard Limit {11}Units {5}|Max [a-z ]{20,21} (unlimited {12}|[0-9]+ +)(unlimited {12}|[0-9]+ +)([a-z]+ *)?)$"));
}

/* auxv: pairs ending in AT_NULL, agreeing with getauxval. */
static void auxv(void)
{
	ssize_t n = slurp("/proc/self/auxv", 24);
	unsigned long *v = (unsigned long *)buf;
	size_t pairs = n > 0 ? (size_t)n / 16 : 0;
	int agree = 1;

	for (size_t i = 0; i + 1 < pairs; i++)
		if (v[2 * i] == AT_PAGESZ || v[2 * i] == AT_ENTRY || v[2 * i] == AT_PHDR || v[2 * i] == AT_RANDOM ||
		    v[2 * i] == AT_HWCAP || v[2 * i] == AT_EXECFN)
			agree &= getauxval(v[2 * i]) == v[2 * i + 1];
	printf("auxv: whole pairs %d, ends with AT_NULL %d, agrees with getauxval %d\n", n % 16 == 0,
	       pairs > 0 && v[2 * pairs - 2] == AT_NULL, agree);
}

static void maps(void)
{
	unsigned long text = (unsigned long)&maps, stack = (unsigned long)&text;
	int lines = 0, in_text = 0, in_stack = 0, columns_ok = 1;

	CHECK(slurp("/proc/self/maps", 7) > 0);
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		unsigned long lo, hi, off, ino;
		char perms[8];
		unsigned ma, mi;
		int name = 0;

		lines++;
		if (sscanf(line, "%lx-%lx %7s %lx %x:%x %lu %n", &lo, &hi, perms, &off, &ma, &mi, &ino, &name) < 7) {
			printf("maps: bad line %s\n", line);
			continue;
		}
		if (name && line[name] && name != 73)
			columns_ok = 0;
		if (lo <= text && text < hi)
			in_text = perms[0] == 'r' && perms[2] == 'x';
		if (lo <= stack && stack < hi)
			in_stack = strcmp(line + name, "[stack]") == 0 && strncmp(perms, "rw-p", 4) == 0;
	}
	printf("maps: lines > 3 %d, text r-x %d, stack [stack] rw-p %d, names at column 74 %d\n", lines > 3,
	       in_text, in_stack, columns_ok);
}

static void system_files(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int count = 0, percpu = 0;
	struct utsname u;

	CHECK(slurp("/proc/meminfo", 4096) > 0);
	printf("meminfo: starts MemTotal %d, well-formed %d, has MemAvailable %d\n",
	       strncmp(buf, "MemTotal:", 9) == 0,
	       all_lines_match("^[A-Za-z_()0-9]+: +[0-9]+( kB)?$"), strstr(buf, "\nMemAvailable:") != NULL);
	CHECK(slurp("/proc/cpuinfo", 64) > 0);
	count = strncmp(buf, "processor\t: ", 12) == 0;
	for (char *p = buf; (p = strstr(p, "\nprocessor\t: ")); p++)
		count++;
	printf("cpuinfo: processors match sysconf %d, fields %d %d %d %d %d\n", count == cpus,
	       strstr(buf, "\nvendor_id\t: ") != NULL, strstr(buf, "\nmodel name\t: ") != NULL,
	       strstr(buf, "\ncpu family\t: ") != NULL, strstr(buf, "\nflags\t\t: ") != NULL,
	       strstr(buf, "\nsiblings\t: ") != NULL);
	CHECK(slurp("/proc/uptime", 4096) > 0);
	printf("uptime well-formed: %d\n", all_lines_match("^[0-9]+\\.[0-9]{2} [0-9]+\\.[0-9]{2}$"));
	CHECK(slurp("/proc/loadavg", 4096) > 0);
	printf("loadavg well-formed: %d\n", all_lines_match("^[0-9]+\\.[0-9]{2} [0-9]+\\.[0-9]{2} [0-9]+\\.[0-9]{2} [0-9]+/[0-9]+ [0-9]+$"));
	CHECK(slurp("/proc/stat", 4096) > 0);
	for (char *p = buf; (p = strstr(p, "\ncpu")); p++)
		percpu++;
	printf("stat: cpu line %d, per-cpu lines match %d, btime %d\n", strncmp(buf, "cpu  ", 5) == 0,
	       percpu == cpus, strstr(buf, "\nbtime ") != NULL);
	CHECK(slurp("/proc/version", 4096) > 0);
	printf("version starts Linux version: %d\n", strncmp(buf, "Linux version ", 14) == 0);
	CHECK(uname(&u) == 0);
	slurp("/proc/sys/kernel/osrelease", 4096);
	printf("osrelease is uname's: %d\n", strncmp(buf, u.release, strlen(u.release)) == 0);
	slurp("/proc/sys/kernel/ostype", 4096);
	printf("ostype: %s", buf);
	char uuid[64];
	slurp("/proc/sys/kernel/random/uuid", 4096);
	strcpy(uuid, buf);
	printf("uuid well-formed %d", all_lines_match("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"));
	slurp("/proc/sys/kernel/random/uuid", 4096);
	printf(", differs %d", strcmp(uuid, buf) != 0);
	slurp("/proc/sys/kernel/random/boot_id", 4096);
	strcpy(uuid, buf);
	slurp("/proc/sys/kernel/random/boot_id", 4096);
	printf(", boot_id stays %d\n", strcmp(uuid, buf) == 0);
	CHECK(slurp("/proc/mounts", 4096) > 0);
	printf("mounts: well-formed %d, has /proc %d\n", all_lines_match("^[^ ]+ /[^ ]* [^ ]+ [^ ]+ 0 0$"),
	       strstr(buf, " /proc proc ") != NULL);
	CHECK(slurp("/proc/self/mountinfo", 4096) > 0);
	printf("mountinfo well-formed: %d\n", all_lines_match("^[0-9]+ [0-9]+ [0-9]+:[0-9]+ [^ ]+ [^ ]+ [^ ]+ .*- [^ ]+ [^ ]+ [^ ]+$"));
	CHECK(slurp("/sys/devices/system/cpu/online", 4096) > 0);
	char want[32];
	snprintf(want, sizeof(want), cpus > 1 ? "0-%ld\n" : "0\n", cpus - 1);
	printf("sys cpu online matches sysconf: %d\n", strcmp(buf, want) == 0);
	printf("sysconf conf >= online: %d\n", sysconf(_SC_NPROCESSORS_CONF) >= cpus);
}

static void write_errors(void)
{
	const char *files[] = { "/proc/meminfo", "/proc/cpuinfo", "/proc/uptime", "/proc/self/status",
				"/proc/self/maps", "/proc/self/stat" };

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		int fd = open(files[i], O_WRONLY);

		printf("write %s: open %s", files[i], fd >= 0 ? "ok" : res(fd));
		if (fd >= 0)
			printf(", write %s", res(write(fd, "1", 1)));
		printf("\n");
		close(fd);
	}
	printf("open uuid O_WRONLY: %s\n", res(open("/proc/sys/kernel/random/uuid", O_WRONLY)));
	printf("read meminfo O_WRONLY: ");
	int fd = open("/proc/meminfo", O_WRONLY);
	printf("%s\n", res(read(fd, buf, 10)));
	close(fd);
	printf("create in /proc: %s\n", res(open("/proc/newfile", O_CREAT | O_WRONLY, 0644)));
	printf("mkdir in /proc: %s\n", res(mkdir("/proc/newdir", 0755)));
}

static void listings(void)
{
	const char *want_proc[] = { "self", "cpuinfo", "meminfo", "sys", "mounts", "uptime" };
	const char *want_dev[] = { "null", "zero", "full", "urandom", "random", "tty", "fd", "stdin", "shm" };
	char pid[16];
	int found_pid = 0;
	DIR *d;
	struct dirent *e;

	snprintf(pid, sizeof(pid), "%d", getpid());
	printf("/proc lists:");
	for (size_t i = 0; i < sizeof(want_proc) / sizeof(want_proc[0]); i++) {
		int found = 0;

		d = opendir("/proc");
		while (d && (e = readdir(d))) {
			found |= strcmp(e->d_name, want_proc[i]) == 0;
			found_pid |= strcmp(e->d_name, pid) == 0 && e->d_type == DT_DIR;
		}
		closedir(d);
		printf(" %s%d", want_proc[i], found);
	}
	printf(", own pid %d\n/dev lists:", found_pid);
	for (size_t i = 0; i < sizeof(want_dev) / sizeof(want_dev[0]); i++) {
		int found = 0;

		d = opendir("/dev");
		while (d && (e = readdir(d)))
			found |= strcmp(e->d_name, want_dev[i]) == 0;
		closedir(d);
		printf(" %s%d", want_dev[i], found);
	}
	printf("\n");
}

int main(int argc, char **argv)
{
	devices();
	self_links();
	self_files(argc, argv);
	auxv();
	maps();
	system_files();
	write_errors();
	listings();
	return 0;
}
