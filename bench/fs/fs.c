/*
 * bench-fs: file-system throughput of mote against a Linux guest.
 *
 * One static program, build/bench-fs-prog (fs-prog.c says what it times),
 * reads a 64 MiB file sequentially and stats 10,000 small files, the same
 * tree on every side, each side booted afresh for every run so both
 * phases are the first touch since boot (cold guest caches):
 *
 *   mote      the tree at /data of a mote image, the image's root file
 *             system on a virtio-blk disk: `build/mote build -o IMG PROG
 *             --dir DATA:/data`, then `build/mote run IMG -- /data`
 *   ext4      bench/linux/run-guest.sh -k -d ext4.img PROG -t ext4 /mnt:
 *             Debian's kernel on the same QEMU microvm, the tree on an ext4
 *             disk (virtio-blk) that PROG, as /init, mounts read-only
 *   squashfs  the same with squashfs.img
 *
 * bench/fs/make-data.sh makes the tree and the two Linux images once into
 * build/bench/fs/. Before the runs every disk image is read once on the
 * host, so all sides read from the host's page cache alike. Both guests
 * are told the host's TSC rate (tsc_khz= / tsc_early_khz=, as in
 * bench/syscall), so their clocks agree. The sides alternate, the order
 * reversing every run, and each figure is the median over runs (the host
 * drifts by tens of percent within minutes).
 *
 * Targets: mote at least at parity with both Linux file systems: read
 * throughput mote/Linux >= 1.0, time per stat mote/Linux <= 1.0. Until mote
 * has `mote build` (the image file system) its side prints "not available"
 * and the run FAILs. Exit status 0 if every target is met, 1 if one is not
 * or mote failed or is missing, 2 if a Linux side or the setup could not run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../run.h"
#include "../stats.h"

#define RUN_TIMEOUT_S 600	/* a hung run is killed */
#define OUT_SIZE      (64 * 1024)

enum { SIDE_MOTE, SIDE_EXT4, SIDE_SQUASHFS, NSIDES };
static const char *const side_name[NSIDES] = { "mote", "ext4", "squashfs" };

enum { ROW_READ, ROW_STAT, NROWS };
static const struct row {
	const char *name, *key;	/* key: the figure in fs-prog's line */
	bool higher_is_better;
} rows[NROWS] = {
	{ "read MiB/s", "read_mibps=", true },
	{ "stat us", "stat_us=", false },
};

struct config {
	int runs;
	const char *mote, *run_guest, *prog, *tsc_khz_prog, *make_data, *dir;
	char tsc_khz[32];
};

struct side {
	char *argv[24];
	bool available, quiet_stderr;
	const char *why;	/* when not available */
	const char *image;	/* the disk it boots from */
	int ok_runs, failed_runs, last_status;
	double *v[NROWS];	/* per run; NAN if the run failed */
};

static _Noreturn void fatal(const char *fmt, const char *arg)
{
	fputs("bench-fs: ", stderr);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(2);
}

/* Joins a and b into a new string (paths and option values). */
static char *cat2(const char *a, const char *b)
{
	char *s;
	if (asprintf(&s, "%s%s", a, b) < 0)
		fatal("out of memory%s", "");
	return s;
}

/* "KEY" followed by a number on fs-prog's "fs: " line; NAN if absent. */
static double parse_value(const char *out, const char *key)
{
	const char *line = strstr(out, "fs: read_mibps=");
	if (!line)
		return NAN;
	const char *eol = strchr(line, '\n'), *p = strstr(line, key);
	if (!p || (eol && p > eol))
		return NAN;
	char *end;
	double v = strtod(p + strlen(key), &end);
	return end == p + strlen(key) ? NAN : v;
}

/* Runs argv quietly; its exit status (output discarded). */
static int run_quiet(char *const argv[])
{
	static char out[4096];
	return bench_run_capture("bench-fs", argv, true, RUN_TIMEOUT_S, out, sizeof(out));
}

/* The host's TSC rate, which both guests are given (see the top). */
static void measure_tsc_khz(struct config *c)
{
	const char *env = getenv("TSC_KHZ");
	if (env && *env) {
		snprintf(c->tsc_khz, sizeof(c->tsc_khz), "%s", env);
		return;
	}
	char *argv[] = { (char *)c->tsc_khz_prog, NULL };
	if (bench_run_capture("bench-fs", argv, false, RUN_TIMEOUT_S, c->tsc_khz,
			      sizeof(c->tsc_khz)) != 0 || atol(c->tsc_khz) <= 0)
		fatal("%s failed (run make)", c->tsc_khz_prog);
	c->tsc_khz[strcspn(c->tsc_khz, "\n")] = '\0';
	setenv("TSC_KHZ", c->tsc_khz, 1);	/* run-guest.sh need not measure it again */
}

/* The test tree and the Linux images (bench/fs/make-data.sh; once). */
static void make_data(const struct config *c)
{
	char *argv[] = { (char *)c->make_data, (char *)c->prog, (char *)c->dir, NULL };
	char out[256];	/* it prints nothing but errors, which go to stderr */
	if (bench_run_capture("bench-fs", argv, false, RUN_TIMEOUT_S, out, sizeof(out)) != 0)
		fatal("%s failed", c->make_data);
}

/*
 * The mote side, written against the image file system's CLI:
 *   mote build -o IMG PROG --dir HOSTDIR:/data   PROG at /app/<name>, the
 *                                                tree at /data
 *   mote run IMG -- ARGS                         boots the image (its root
 *                                                file system on virtio-blk)
 * Builds build/bench/fs/mote.img and fills the side's argv. Leaves the side
 * unavailable, saying why, when this mote has no `build` command yet or the
 * image cannot be built.
 */
static void mote_image_side(struct side *s, const struct config *c)
{
	char *img = cat2(c->dir, "/mote.img"), *data = cat2(c->dir, "/data:/data");
	char *help[] = { (char *)c->mote, "build", "--help", NULL };
	if (run_quiet(help) != 0) {
		s->why = "mote build missing";
		return;
	}
	char *build[] = { (char *)c->mote, "build", "-o", img, (char *)c->prog, "--dir", data, NULL };
	int st = run_quiet(build);
	if (st != 0) {
		static char why[4096];	/* its stderr was hidden: say how to see it */
		snprintf(why, sizeof(why), "mote build failed with status %d: %s build -o %s %s --dir %s",
			 st, c->mote, img, c->prog, data);
		s->why = why;
		return;
	}
	char *const argv[] = { (char *)c->mote, "run", "-m", "256M", "--smp", "1", "--timeout",
			       "300", "--cmdline", cat2("tsc_khz=", c->tsc_khz), img, "--",
			       "/data", NULL };
	memcpy(s->argv, argv, sizeof(argv));
	s->image = img;
	s->quiet_stderr = true;	/* mote's console noise */
	s->available = true;
}

/* A Linux side: fs-prog as /init mounting IMAGE (of file system TYPE). */
static void linux_side(struct side *s, const struct config *c, const char *type)
{
	char *img;
	if (asprintf(&img, "%s/%s.img", c->dir, type) < 0)
		fatal("out of memory%s", "");
	char *const argv[] = { (char *)c->run_guest, "-m", "256M", "-s", "1", "-k", "-d", img,
			       (char *)c->prog, "-t", (char *)type, "/mnt", NULL };
	memcpy(s->argv, argv, sizeof(argv));
	s->image = img;
	s->available = true;
}

/* Reads a file once so every side finds its disk in the host's page cache. */
static void warm_host_cache(const char *path)
{
	static char buf[1 << 20];
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		fatal("cannot read %s", path);
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
}

static void setup(struct side sides[NSIDES], const struct config *c)
{
	mote_image_side(&sides[SIDE_MOTE], c);
	linux_side(&sides[SIDE_EXT4], c, "ext4");
	linux_side(&sides[SIDE_SQUASHFS], c, "squashfs");
	for (int i = 0; i < NSIDES; i++) {
		if (sides[i].available)
			warm_host_cache(sides[i].image);
		for (int r = 0; r < NROWS; r++) {
			sides[i].v[r] = malloc((size_t)c->runs * sizeof(double));
			if (!sides[i].v[r])
				fatal("out of memory%s", "");
			for (int k = 0; k < c->runs; k++)
				sides[i].v[r][k] = NAN;
		}
	}
}

/* One run of one side; false if it failed or printed no figures. */
static bool run_side(struct side *s, int run)
{
	static char out[OUT_SIZE];
	s->last_status = bench_run_capture("bench-fs", s->argv, s->quiet_stderr, RUN_TIMEOUT_S, out,
					   sizeof(out));
	bool ok = s->last_status == 0;
	for (int r = 0; r < NROWS; r++) {
		double v = parse_value(out, rows[r].key);
		ok = ok && !isnan(v);
		s->v[r][run] = ok ? v : NAN;
	}
	if (!ok)
		fprintf(stderr, "bench-fs: output of the failed run:\n%s", out);
	if (ok)
		s->ok_runs++;
	else
		s->failed_runs++;
	return ok;
}

static void measure(struct side sides[NSIDES], const struct config *c)
{
	for (int r = 0; r < c->runs; r++) {
		fprintf(stderr, "bench-fs: run %d of %d\n", r + 1, c->runs);
		for (int k = 0; k < NSIDES; k++) {
			int i = r % 2 ? NSIDES - 1 - k : k;
			struct side *s = &sides[i];
			if (!s->available || run_side(s, r))
				continue;
			fprintf(stderr, "bench-fs: %s run %d failed (status %d): %s ...\n",
				side_name[i], r + 1, s->last_status, s->argv[0]);
			if (i != SIDE_MOTE)
				exit(2);
		}
	}
}

static void usage(FILE *f)
{
	fputs("usage: bench-fs [-n RUNS] [--mote PATH] [--run-guest PATH] [--prog PATH]\n"
	      "                [--tsc-khz-prog PATH] [--make-data PATH] [--dir DIR]\n"
	      "Reads a 64 MiB file and stats 10,000 files, cold after boot, in mote (its\n"
	      "image file system) and in a Linux guest on the same QEMU from ext4 and from\n"
	      "squashfs; RUNS alternating runs of each (default 3), medians and ratios.\n"
	      "DIR holds the test tree and the images (default build/bench/fs).\n", f);
}

static void parse_args(int argc, char **argv, struct config *c)
{
	static const struct option opts[] = {
		{ "mote", required_argument, NULL, 'm' },
		{ "run-guest", required_argument, NULL, 'g' },
		{ "prog", required_argument, NULL, 'p' },
		{ "tsc-khz-prog", required_argument, NULL, 't' },
		{ "make-data", required_argument, NULL, 'D' },
		{ "dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int o;
	while ((o = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
		switch (o) {
		case 'n':
			c->runs = atoi(optarg);
			if (c->runs < 1 || c->runs > 1000)
				fatal("-n %s: want 1..1000 runs", optarg);
			break;
		case 'm': c->mote = optarg; break;
		case 'g': c->run_guest = optarg; break;
		case 'p': c->prog = optarg; break;
		case 't': c->tsc_khz_prog = optarg; break;
		case 'D': c->make_data = optarg; break;
		case 'd': c->dir = optarg; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (optind != argc) {
		usage(stderr);
		exit(2);
	}
	const char *need[] = { c->run_guest, c->prog, c->make_data };
	for (int i = 0; i < 3; i++)
		if (access(need[i], X_OK) != 0)
			fatal("%s: not executable (run make)", need[i]);
}

static void print_cell(double v, const char *fmt)
{
	if (isnan(v))
		printf(" %10s", "n/a");
	else
		printf(fmt, v);
}

/* One verdict line; returns 1 if it failed. */
static int verdict(bool pass, const char *what, const char *detail)
{
	printf("%s fs %s: %s\n", pass ? "PASS" : "FAIL", what, detail);
	return !pass;
}

/* mote against one Linux side on one row. */
static int row_verdict(const struct row *row, int linux_side_i, double ratio)
{
	char what[64], detail[96];
	bool pass = row->higher_is_better ? ratio >= 1.0 : ratio <= 1.0;
	snprintf(what, sizeof(what), "%s vs %s", row->higher_is_better ? "read" : "stat",
		 side_name[linux_side_i]);
	snprintf(detail, sizeof(detail), "mote/%s %.3f %s 1.0", side_name[linux_side_i], ratio,
		 row->higher_is_better ? ">=" : "<=");
	return verdict(pass && !isnan(ratio), what, detail);
}

static void print_table(double v[NROWS][NSIDES], const struct config *c)
{
	printf("bench-fs: medians of %d alternating runs, cold caches after boot, 1 vCPU, "
	       "256 MiB, tsc_khz=%s\n", c->runs, c->tsc_khz);
	printf("%-12s %10s %10s %10s %10s %10s %8s\n", "row", "mote", "ext4", "squashfs",
	       "mote/ext4", "mote/sqfs", "target");
	for (int r = 0; r < NROWS; r++) {
		printf("%-12s", rows[r].name);
		for (int i = 0; i < NSIDES; i++)
			print_cell(v[r][i], " %10.3f");
		print_cell(v[r][SIDE_MOTE] / v[r][SIDE_EXT4], " %10.3f");
		print_cell(v[r][SIDE_MOTE] / v[r][SIDE_SQUASHFS], " %10.3f");
		printf(" %8s\n", rows[r].higher_is_better ? ">= 1.0x" : "<= 1.0x");
	}
}

/* The table, then the verdict lines; returns 1 if any failed. */
static int report(struct side sides[NSIDES], const struct config *c)
{
	double v[NROWS][NSIDES];
	for (int r = 0; r < NROWS; r++)
		for (int i = 0; i < NSIDES; i++)
			v[r][i] = bench_median(sides[i].v[r], c->runs);
	print_table(v, c);

	const struct side *m = &sides[SIDE_MOTE];
	if (!m->available) {
		printf("mote: not available (%s)\n", m->why);
		return verdict(false, "mote", "not available: no ratios");
	}
	int failed = 0;
	for (int r = 0; r < NROWS; r++)
		for (int i = SIDE_EXT4; i < NSIDES; i++)
			failed |= row_verdict(&rows[r], i, v[r][SIDE_MOTE] / v[r][i]);
	if (m->failed_runs) {
		char detail[64];
		snprintf(detail, sizeof(detail), "failed in %d of %d runs", m->failed_runs, c->runs);
		failed |= verdict(false, "mote", detail);
	}
	return failed;
}

int main(int argc, char **argv)
{
	struct config c = { .runs = 3, .mote = "build/mote",
			    .run_guest = "bench/linux/run-guest.sh",
			    .prog = "build/bench-fs-prog",
			    .tsc_khz_prog = "build/linux/tsc-khz",
			    .make_data = "bench/fs/make-data.sh",
			    .dir = "build/bench/fs" };
	struct side sides[NSIDES] = { 0 };

	parse_args(argc, argv, &c);
	measure_tsc_khz(&c);
	make_data(&c);
	setup(sides, &c);
	measure(sides, &c);
	return report(sides, &c);
}
