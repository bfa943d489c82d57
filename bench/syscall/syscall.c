/*
 * bench-syscall: what a system call costs a program in mote, against Linux.
 *
 * One static program, build/bench-syscall-prog (syscall-prog.c says what
 * each row times), runs unchanged on three sides:
 *
 *   mote         build/mote run -m 256M --smp 1 --cmdline tsc_khz=K PROG
 *   Linux guest  bench/linux/run-guest.sh -m 256M -s 1 PROG: Debian's kernel
 *                on the same QEMU microvm, -cpu max, under TCG
 *   host         PROG natively (context, not a target)
 *
 * Both guests read the host's TSC under TCG and are told its rate (K, from
 * build/linux/tsc-khz: tsc_khz= for mote, tsc_early_khz= for Linux), so
 * their clocks tick alike and neither calibrates. The host drifts by tens
 * of percent within minutes, so the sides alternate, run after run, the
 * order reversing every run, and each row's value is the median over runs.
 *
 * Targets (mote / Linux guest): getpid <= 0.5x; a one-byte read <= 0.5x,
 * judged on read_zero (the read of /dev/zero) and on pread_file (a
 * regular file's, which every side had before mote had /dev/zero);
 * clock_gettime without a trap,
 * judged as: mote's program saw AT_SYSINFO_EHDR and its clock_gettime costs
 * less than its getpid, the cheapest trap there is. Exit status 0 if every
 * target is met, 1 if one is not or a mote run failed, 2 if the Linux guest
 * or host side could not run.
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
#include <sys/wait.h>
#include <unistd.h>
#include "../run.h"
#include "../stats.h"

#define TARGET        0.5	/* mote / Linux guest */
#define RUN_TIMEOUT_S 600	/* a hung run is killed */
#define OUT_SIZE      (64 * 1024)

enum { SIDE_MOTE, SIDE_GUEST, SIDE_HOST, NSIDES };
static const char *const side_name[NSIDES] = { "mote", "Linux guest", "host" };

enum target { NONE, HALF, NO_TRAP };
static const struct row {
	const char *name;
	enum target target;
} rows[] = {
	{ "getpid", HALF },
	{ "read_zero", HALF },
	{ "pread_file", HALF },
	{ "read_pipe", NONE },
	{ "clock_gettime", NO_TRAP },
	{ "futex_wake", NONE },
	{ "futex_wake_private", NONE },
};
#define NROWS (int)(sizeof(rows) / sizeof(rows[0]))
#define ROW_GETPID 0

struct config {
	int runs;
	const char *mote, *run_guest, *prog, *tsc_khz_prog;
	char tsc_khz[32];
};

struct side {
	char *argv[16];
	bool quiet_stderr;	/* the mote side's console noise */
	int ok_runs, failed_runs, last_status;
	int vdso;		/* the last run's `vdso` line; -1 if none */
	double *v[NROWS];	/* ns per call, per run; NAN if absent */
};

/* The text after "KEY" at the start of a line of out, or NULL. */
static const char *find_line(const char *out, const char *key)
{
	size_t len = strlen(key);
	for (const char *p = strstr(out, key); p; p = strstr(p + 1, key))
		if (p == out || p[-1] == '\n')
			return p + len;
	return NULL;
}

/* "NAME ns=12.5 n=..." -> 12.5; NAN if absent or n/a. */
static double parse_ns(const char *out, const char *name)
{
	char key[64];
	snprintf(key, sizeof(key), "%s ns=", name);
	const char *s = find_line(out, key);
	if (!s)
		return NAN;
	char *end;
	double v = strtod(s, &end);
	return end == s ? NAN : v;
}

/* One run of one side; false if it failed or its getpid row is missing. */
static bool run_side(struct side *s, int run)
{
	static char out[OUT_SIZE];
	s->last_status = bench_run_capture("bench-syscall", s->argv, s->quiet_stderr, RUN_TIMEOUT_S, out,
					    sizeof(out));
	for (int r = 0; r < NROWS; r++)
		s->v[r][run] = parse_ns(out, rows[r].name);
	const char *vdso = find_line(out, "vdso ");
	s->vdso = vdso ? atoi(vdso) : -1;
	bool ok = s->last_status == 0 && !isnan(s->v[ROW_GETPID][run]);
	if (ok)
		s->ok_runs++;
	else
		s->failed_runs++;
	return ok;
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
	if (bench_run_capture("bench-syscall", argv, false, RUN_TIMEOUT_S, c->tsc_khz,
			      sizeof(c->tsc_khz)) != 0 ||
	    atol(c->tsc_khz) <= 0) {
		fprintf(stderr, "bench-syscall: %s failed (run make)\n", c->tsc_khz_prog);
		exit(2);
	}
	c->tsc_khz[strcspn(c->tsc_khz, "\n")] = '\0';
	setenv("TSC_KHZ", c->tsc_khz, 1);	/* run-guest.sh need not measure it again */
}

static void setup(struct side sides[NSIDES], struct config *c)
{
	static char cmdline[64];
	snprintf(cmdline, sizeof(cmdline), "tsc_khz=%s", c->tsc_khz);
	char *const margv[] = { (char *)c->mote, "run", "-m", "256M", "--smp", "1",
				"--timeout", "300", "--cmdline", cmdline, (char *)c->prog, NULL };
	char *const gargv[] = { (char *)c->run_guest, "-m", "256M", "-s", "1",
				(char *)c->prog, NULL };
	memcpy(sides[SIDE_MOTE].argv, margv, sizeof(margv));
	memcpy(sides[SIDE_GUEST].argv, gargv, sizeof(gargv));
	sides[SIDE_HOST].argv[0] = (char *)c->prog;
	sides[SIDE_MOTE].quiet_stderr = true;
	for (int i = 0; i < NSIDES; i++) {
		sides[i].vdso = -1;
		for (int r = 0; r < NROWS; r++) {
			sides[i].v[r] = calloc((size_t)c->runs, sizeof(double));
			if (!sides[i].v[r]) {
				fputs("bench-syscall: out of memory\n", stderr);
				exit(2);
			}
			for (int k = 0; k < c->runs; k++)
				sides[i].v[r][k] = NAN;
		}
	}
}

static void measure(struct side sides[NSIDES], const struct config *c)
{
	for (int r = 0; r < c->runs; r++) {
		fprintf(stderr, "bench-syscall: run %d of %d\n", r + 1, c->runs);
		for (int k = 0; k < NSIDES; k++) {
			int i = r % 2 ? NSIDES - 1 - k : k;
			struct side *s = &sides[i];
			if (run_side(s, r))
				continue;
			fprintf(stderr, "bench-syscall: %s run %d failed (status %d): %s ...\n",
				side_name[i], r + 1, s->last_status, s->argv[0]);
			if (i != SIDE_MOTE)
				exit(2);
		}
	}
}

static void usage(FILE *f)
{
	fputs("usage: bench-syscall [-n RUNS] [--mote PATH] [--run-guest PATH] [--prog PATH]\n"
	      "                     [--tsc-khz-prog PATH]\n"
	      "Times getpid, one-byte reads, clock_gettime and futex wakes in mote, in a\n"
	      "Linux guest on the same QEMU, and on the host; RUNS alternating runs of\n"
	      "each (default 5), medians and mote/Linux ratios.\n", f);
}

static void parse_args(int argc, char **argv, struct config *c)
{
	static const struct option opts[] = {
		{ "mote", required_argument, NULL, 'm' },
		{ "run-guest", required_argument, NULL, 'g' },
		{ "prog", required_argument, NULL, 'p' },
		{ "tsc-khz-prog", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int o;
	while ((o = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
		switch (o) {
		case 'n':
			c->runs = atoi(optarg);
			if (c->runs < 1 || c->runs > 1000) {
				fprintf(stderr, "bench-syscall: -n %s: want 1..1000 runs\n", optarg);
				exit(2);
			}
			break;
		case 'm': c->mote = optarg; break;
		case 'g': c->run_guest = optarg; break;
		case 'p': c->prog = optarg; break;
		case 't': c->tsc_khz_prog = optarg; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (optind != argc) {
		usage(stderr);
		exit(2);
	}
	const char *need[] = { c->mote, c->run_guest, c->prog };
	for (int i = 0; i < 3; i++)
		if (access(need[i], X_OK) != 0) {
			fprintf(stderr, "bench-syscall: %s: %s (run make)\n", need[i], strerror(errno));
			exit(2);
		}
}

static void print_cell(double v, const char *fmt)
{
	if (isnan(v))
		printf(" %12s", "n/a");
	else
		printf(fmt, v);
}

/* One verdict line; returns 1 if it failed. */
static int verdict(bool pass, const char *what, const char *detail)
{
	printf("%s syscall %s: %s\n", pass ? "PASS" : "FAIL", what, detail);
	return !pass;
}

/* The table, then one verdict line per target; returns 1 if any failed. */
static int report(struct side sides[NSIDES], const struct config *c)
{
	double v[NROWS][NSIDES];
	int failed = 0;
	char detail[160];

	for (int r = 0; r < NROWS; r++)
		for (int i = 0; i < NSIDES; i++)
			v[r][i] = bench_median(sides[i].v[r], c->runs);
	printf("bench-syscall: ns per call, medians of %d alternating runs, 1 vCPU, 256 MiB, "
	       "tsc_khz=%s\n", c->runs, c->tsc_khz);
	printf("%-19s %12s %12s %12s %11s %8s\n", "row", "mote", "Linux guest", "host",
	       "mote/Linux", "target");
	for (int r = 0; r < NROWS; r++) {
		printf("%-19s", rows[r].name);
		for (int i = 0; i < NSIDES; i++)
			print_cell(v[r][i], " %12.1f");
		print_cell(v[r][SIDE_MOTE] / v[r][SIDE_GUEST], " %11.3f");
		printf(" %8s\n", rows[r].target == HALF ? "<= 0.5x" :
		       rows[r].target == NO_TRAP ? "no trap" : "-");
	}
	printf("AT_SYSINFO_EHDR (vDSO): mote %s, Linux guest %s, host %s\n",
	       sides[SIDE_MOTE].vdso == 1 ? "yes" : "no", sides[SIDE_GUEST].vdso == 1 ? "yes" : "no",
	       sides[SIDE_HOST].vdso == 1 ? "yes" : "no");

	for (int r = 0; r < NROWS; r++) {
		double m = v[r][SIDE_MOTE], ratio = m / v[r][SIDE_GUEST];
		if (rows[r].target == HALF) {
			snprintf(detail, sizeof(detail), "mote/Linux %.3f <= %.1f", ratio, TARGET);
			failed |= verdict(ratio <= TARGET, rows[r].name, detail);
		} else if (rows[r].target == NO_TRAP) {
			double trap = v[ROW_GETPID][SIDE_MOTE];
			snprintf(detail, sizeof(detail),
				 "no trap: vDSO %s, %.1f ns %s getpid's %.1f ns (Linux guest %.1f ns)",
				 sides[SIDE_MOTE].vdso == 1 ? "present" : "absent", m,
				 m < trap ? "<" : ">=", trap, v[r][SIDE_GUEST]);
			failed |= verdict(sides[SIDE_MOTE].vdso == 1 && m < trap, rows[r].name, detail);
		}
	}
	if (sides[SIDE_MOTE].failed_runs) {
		snprintf(detail, sizeof(detail), "failed in %d of %d runs",
			 sides[SIDE_MOTE].failed_runs, c->runs);
		failed |= verdict(false, "mote", detail);
	}
	return failed;
}

int main(int argc, char **argv)
{
	struct config c = { .runs = 5, .mote = "build/mote",
			    .run_guest = "bench/linux/run-guest.sh",
			    .prog = "build/bench-syscall-prog",
			    .tsc_khz_prog = "build/linux/tsc-khz" };
	struct side sides[NSIDES] = { 0 };

	parse_args(argc, argv, &c);
	measure_tsc_khz(&c);
	setup(sides, &c);
	measure(sides, &c);
	return report(sides, &c);
}
