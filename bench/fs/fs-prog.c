/*
 * bench-fs-prog: file-system throughput seen from a program.
 *
 * One static binary (musl) that bench/fs/fs.c runs on every side: in mote,
 * where the test tree is part of the image (/data), and as /init of the
 * Linux guest, where the same tree is an ext4 or squashfs disk. It measures
 * two things, in this order, each timed with clock_gettime(CLOCK_MONOTONIC):
 *
 *   read   DIR/big (64 MiB) opened, read from start to end with read() in
 *          1 MiB chunks, closed: MiB per second
 *   stat   stat() of the 10,000 files DIR/files/D/NNNN (D = 0..9 holds
 *          NNNN = D000..D999), each once, by full path: µs per stat
 *
 * and prints one line:
 *
 *   fs: read_mibps=X read_ms=X bytes=N stat_us=X stats=N sum=HEX
 *
 * Both phases are the first touch of their files since boot (the guest's
 * page, inode and directory caches are cold): each side boots once per run.
 *
 * So that no read can be skipped, every 8-byte word of `big` holds a hash
 * of its own index (content_word), and the first word of each 512-byte
 * sector is checked against it as the data arrives: a missing, stale or
 * misplaced sector fails the run. Only one word per sector is checked
 * because under TCG hashing all 64 MiB would cost more than the I/O being
 * measured. Each stat must find a regular file of the size written.
 *
 *   bench-fs-prog --make DIR     writes the tree (what bench/fs/make-data.sh
 *                                packs into the images); deterministic
 *   bench-fs-prog DIR            measures DIR
 *   bench-fs-prog -t TYPE DIR    as /init of the Linux guest: loads the
 *                                kernel modules of /modules/load-order,
 *                                mounts /dev/vda (TYPE = ext4 or squashfs)
 *                                read-only on DIR, then measures DIR
 *
 * Arguments starting with "virtio_mmio." are ignored: QEMU's microvm without
 * ACPI appends them to the command line after ours, and this kernel hands
 * them to /init (run-guest.sh -d turns ACPI on, which they are no use
 * without; they are passed on to virtio_mmio.ko should a kernel take them).
 * Ends with guest_exit(): 0, or 1 if anything failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>
#include "../linux/guest-exit.h"

#define BIG_SIZE    (64L << 20)
#define CHUNK       (1L << 20)
#define SECTOR      512
#define NFILES      10000
#define PER_DIR     1000
#define SMALL_SIZE  5	/* "NNNN\n" */
#define DISK        "/dev/vda"
#define MODULES_DIR "/modules"

static char chunk[CHUNK] __attribute__((aligned(4096)));

static _Noreturn void die(const char *what, const char *arg)
{
	printf("fs: error: %s %s: %s\n", what, arg ? arg : "", strerror(errno));
	guest_exit(1);
}

/* Word i of `big`: a 64-bit mix of i (splitmix64's finaliser), so the data
 * is incompressible and every word differs. */
static uint64_t content_word(uint64_t i)
{
	uint64_t z = i + 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void small_path(char *buf, size_t size, const char *dir, int n)
{
	snprintf(buf, size, "%s/files/%d/%04d", dir, n / PER_DIR, n);
}

/* ---- --make: the test tree ---- */

static void write_all(int fd, const void *p, size_t len, const char *path)
{
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, (const char *)p + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("write", path);
		off += (size_t)w;
	}
}

static void make_big(const char *dir)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/big", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die("create", path);
	uint64_t *w = (uint64_t *)chunk;
	for (long off = 0; off < BIG_SIZE; off += CHUNK) {
		for (size_t i = 0; i < CHUNK / 8; i++)
			w[i] = content_word((uint64_t)off / 8 + i);
		write_all(fd, chunk, CHUNK, path);
	}
	if (close(fd) < 0)
		die("close", path);
}

static void make_dir(const char *path)
{
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		die("mkdir", path);
}

static void make_files(const char *dir)
{
	char path[4096], text[16];
	snprintf(path, sizeof(path), "%s/files", dir);
	make_dir(path);
	for (int n = 0; n < NFILES; n++) {
		if (n % PER_DIR == 0) {
			snprintf(path, sizeof(path), "%s/files/%d", dir, n / PER_DIR);
			make_dir(path);
		}
		small_path(path, sizeof(path), dir, n);
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0)
			die("create", path);
		snprintf(text, sizeof(text), "%04d\n", n);
		write_all(fd, text, SMALL_SIZE, path);
		close(fd);
	}
}

/* ---- the measurements ---- */

/* Checks the first word of each sector of a chunk read at offset off;
 * folds them into *sum. False on a mismatch. */
static bool check_chunk(long off, size_t len, uint64_t *sum)
{
	for (size_t s = 0; s < len; s += SECTOR) {
		uint64_t got;
		memcpy(&got, chunk + s, sizeof(got));
		if (got != content_word((uint64_t)(off + (long)s) / 8)) {
			printf("fs: error: big: wrong data at offset %ld\n", off + (long)s);
			return false;
		}
		*sum = (*sum << 1 | *sum >> 63) ^ got;
	}
	return true;
}

/* Reads DIR/big through; returns the nanoseconds taken, or -1. */
static double read_big(const char *dir, long *bytes, uint64_t *sum)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/big", dir);
	double t0 = now_ns();
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		die("open", path);
	long off = 0;
	for (;;) {
		ssize_t n = read(fd, chunk, CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("read", path);
		if (n == 0)
			break;
		if (!check_chunk(off, (size_t)n, sum))
			return -1;
		off += n;
	}
	close(fd);
	double t1 = now_ns();
	*bytes = off;
	if (off != BIG_SIZE) {
		printf("fs: error: big: read %ld bytes, want %ld\n", off, BIG_SIZE);
		return -1;
	}
	return t1 - t0;
}

/* Stats every small file once; returns the nanoseconds taken, or -1. */
static double stat_files(const char *dir)
{
	static char paths[NFILES][64];
	for (int n = 0; n < NFILES; n++)	/* formatting is not what is timed */
		small_path(paths[n], sizeof(paths[n]), dir, n);
	int bad = -1;
	double t0 = now_ns();
	for (int n = 0; n < NFILES; n++) {
		struct stat st;
		if (stat(paths[n], &st) < 0 || !S_ISREG(st.st_mode) || st.st_size != SMALL_SIZE)
			bad = n;
	}
	double t1 = now_ns();
	if (bad >= 0) {
		printf("fs: error: %s: not a %d-byte file\n", paths[bad], SMALL_SIZE);
		return -1;
	}
	return t1 - t0;
}

static int measure(const char *dir)
{
	long bytes = 0;
	uint64_t sum = 0;
	double read_ns = read_big(dir, &bytes, &sum);
	if (read_ns < 0)
		return 1;
	double stat_ns = stat_files(dir);
	if (stat_ns < 0)
		return 1;
	printf("fs: read_mibps=%.1f read_ms=%.2f bytes=%ld stat_us=%.3f stats=%d sum=%016llx\n",
	       bytes / 1048576.0 / (read_ns / 1e9), read_ns / 1e6, bytes,
	       stat_ns / 1e3 / NFILES, NFILES, (unsigned long long)sum);
	return 0;
}

/* ---- /init of the Linux guest: modules, the disk, the mount ---- */

/* virtio_mmio's parameters: each virtio_mmio.device=X word of the kernel
 * command line becomes device=X (modprobe would do this; there is none). */
static void mmio_params(char *out, size_t size)
{
	char line[4096] = "";
	FILE *f = fopen("/proc/cmdline", "r");
	if (!f || !fgets(line, sizeof(line), f))
		die("read", "/proc/cmdline");
	fclose(f);
	out[0] = '\0';
	for (char *w = strtok(line, " \n"); w; w = strtok(NULL, " \n"))
		if (!strncmp(w, "virtio_mmio.", 12) && strlen(out) + strlen(w) + 2 < size)
			strcat(strcat(out, out[0] ? " " : ""), w + 12);
}

static void load_module(const char *name)
{
	char path[512], params[1024] = "";
	snprintf(path, sizeof(path), "%s/%s", MODULES_DIR, name);
	if (!strcmp(name, "virtio_mmio.ko"))
		mmio_params(params, sizeof(params));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("open", path);
	if (syscall(SYS_finit_module, fd, params, 0) < 0 && errno != EEXIST)
		die("finit_module", path);
	close(fd);
}

static void load_modules(void)
{
	char name[256];
	FILE *f = fopen(MODULES_DIR "/load-order", "r");
	if (!f)
		die("open", MODULES_DIR "/load-order (run-guest.sh -k)");
	while (fgets(name, sizeof(name), f)) {
		name[strcspn(name, "\n")] = '\0';
		if (name[0])
			load_module(name);
	}
	fclose(f);
}

/* /dev/vda from /proc/partitions' "major minor blocks vda" line. */
static bool mknod_disk(void)
{
	unsigned maj, min;
	char line[256], name[64];
	FILE *f = fopen("/proc/partitions", "r");
	bool made = false;
	while (f && !made && fgets(line, sizeof(line), f))
		if (sscanf(line, "%u %u %*u %63s", &maj, &min, name) == 3 &&
		    !strcmp(name, DISK + 5))
			made = mknod(DISK, S_IFBLK | 0600, makedev(maj, min)) == 0;
	if (f)
		fclose(f);
	return made;
}

/* The disk's node: devtmpfs makes it; where that cannot be mounted, mknod.
 * Probing is synchronous in virtio_blk's init, but a short wait costs
 * nothing if it ever is not. */
static void find_disk(void)
{
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);	/* over the initramfs's /dev */
	for (int i = 0; i < 200 && access(DISK, F_OK) != 0; i++)
		if (!mknod_disk())
			usleep(10000);
	if (access(DISK, F_OK) != 0)
		die("no disk", DISK);
}

static void mount_disk(const char *type, const char *dir)
{
	make_dir("/proc");
	if (mount("proc", "/proc", "proc", 0, NULL) < 0 && errno != EBUSY)
		die("mount", "/proc");
	load_modules();
	find_disk();
	make_dir(dir);
	if (mount(DISK, dir, type, MS_RDONLY, NULL) < 0)
		die("mount " DISK " on", dir);
}

static _Noreturn void usage(void)
{
	fputs("usage: bench-fs-prog [--make] [-t ext4|squashfs] DIR\n", stderr);
	guest_exit(2);
}

int main(int argc, char **argv)
{
	const char *dir = NULL, *type = NULL;
	bool make = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--make"))
			make = true;
		else if (!strcmp(argv[i], "-t") && i + 1 < argc)
			type = argv[++i];
		else if (!strncmp(argv[i], "virtio_mmio.", 12))
			continue;	/* QEMU's, see the top */
		else if (argv[i][0] != '-' && !dir)
			dir = argv[i];
		else
			usage();
	}
	if (!dir || (make && type))
		usage();
	if (make) {
		make_dir(dir);
		make_big(dir);
		make_files(dir);
		guest_exit(0);
	}
	if (type)
		mount_disk(type, dir);
	guest_exit(measure(dir));
}
