/*
 * bench-sched: mote's threads and timers against Linux's, side by side.
 *
 * Three sides run the same measurements (see sched-linux.c for what each
 * one is) and print the same `sched: ...` lines:
 *
 *   mote         build/mote run --smp N --cmdline bench=sched   (a kernel
 *                self-benchmark; until the kernel has it, the column is n/a)
 *   Linux guest  bench/linux/run-guest.sh -s N build/linux/sched-linux:
 *                Debian's kernel on the same QEMU microvm under TCG
 *   host         build/linux/sched-linux, the same static binary, natively
 *
 * The host drifts by tens of percent within minutes, so the sides alternate,
 * run after run (the order reversing every run), and each side's value is
 * the median over the runs of that run's own median. The mote side is tried
 * on the first run; if it exits nonzero or prints no `sched:` lines it is
 * reported as n/a and not tried again.
 *
 * Targets: each of create_join_ns, pingpong_ns and the median wake_late_us
 * at most 0.5x the Linux guest's (the p99 is reported, not judged).
 * Exit status 0 if every available target is met (none is while mote is
 * n/a), 1 if one is not or mote failed after it had worked, 2 if the Linux
 * guest or host side could not run.
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

/* What a run prints: a `sched: KEY v0 [v1]` line, value FIELD of it. */
static const struct metric {
	const char *label, *key;
	int field;
	bool judged;
} metrics[] = {
	{ "create_join_ns", "create_join_ns", 0, true },
	{ "pingpong_ns", "pingpong_ns", 0, true },
	{ "wake_late_us median", "wake_late_us", 0, true },
	{ "wake_late_us p99", "wake_late_us", 1, false },
};
#define NMETRICS (int)(sizeof(metrics) / sizeof(metrics[0]))

struct config {
	int runs;
	const char *smp, *mote, *run_guest, *prog;
};

struct side {
	char *argv[12];
	bool quiet_stderr;	/* the mote side's console noise */
	bool available;		/* false: skipped (mote not ready) */
	int ok_runs, failed_runs;
	int last_status;
	double *v[NMETRICS];	/* per run; NAN where the run failed */
};

/* Field `field` of the line "sched: KEY v0 v1"; NAN if absent. */
static double parse_value(const char *out, const char *key, int field)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "sched: %s ", key);
	for (const char *p = strstr(out, pat); p; p = strstr(p + 1, pat)) {
		if (p != out && p[-1] != '\n')
			continue;	/* only at the start of a line */
		const char *s = p + strlen(pat);
		char *end;
		double v = NAN;
		for (int i = 0; i <= field; i++, s = end) {
			v = strtod(s, &end);
			if (end == s)
				return NAN;
		}
		return v;
	}
	return NAN;
}

/* One run of one side; false if it failed or printed an incomplete report. */
static bool run_side(struct side *s, int run)
{
	static char out[OUT_SIZE];
	s->last_status = bench_run_capture("bench-sched", s->argv, s->quiet_stderr, RUN_TIMEOUT_S, out,
					    sizeof(out));
	bool complete = s->last_status == 0;
	for (int m = 0; m < NMETRICS; m++) {
		s->v[m][run] = parse_value(out, metrics[m].key, metrics[m].field);
		complete &= !isnan(s->v[m][run]);
	}
	if (complete)
		s->ok_runs++;
	else
		s->failed_runs++;
	return complete;
}

static void setup(struct side sides[NSIDES], const struct config *c)
{
	struct side *mote = &sides[SIDE_MOTE], *guest = &sides[SIDE_GUEST];
	char *const margv[] = { (char *)c->mote, "run", "--smp", (char *)c->smp, "--timeout",
				"300", "--cmdline", "bench=sched", NULL };
	char *const gargv[] = { (char *)c->run_guest, "-s", (char *)c->smp, (char *)c->prog, NULL };
	memcpy(mote->argv, margv, sizeof(margv));
	memcpy(guest->argv, gargv, sizeof(gargv));
	sides[SIDE_HOST].argv[0] = (char *)c->prog;
	mote->quiet_stderr = true;
	mote->available = access(c->mote, X_OK) == 0;
	mote->last_status = -1;
	guest->available = sides[SIDE_HOST].available = true;
	for (int i = 0; i < NSIDES; i++)
		for (int m = 0; m < NMETRICS; m++) {
			sides[i].v[m] = calloc((size_t)c->runs, sizeof(double));
			if (!sides[i].v[m]) {
				fputs("bench-sched: out of memory\n", stderr);
				exit(2);
			}
			for (int r = 0; r < c->runs; r++)
				sides[i].v[m][r] = NAN;
		}
}

static void measure(struct side sides[NSIDES], const struct config *c)
{
	for (int r = 0; r < c->runs; r++) {
		fprintf(stderr, "bench-sched: run %d of %d\n", r + 1, c->runs);
		for (int k = 0; k < NSIDES; k++) {
			int i = r % 2 ? NSIDES - 1 - k : k;
			struct side *s = &sides[i];
			if (!s->available)
				continue;
			if (run_side(s, r))
				continue;
			if (i == SIDE_MOTE && s->ok_runs == 0) {
				s->available = false;	/* not there yet: n/a, not a failure */
				continue;
			}
			fprintf(stderr, "bench-sched: %s run %d failed (status %d): %s ...\n",
				side_name[i], r + 1, s->last_status, s->argv[0]);
			if (i != SIDE_MOTE)
				exit(2);
		}
	}
}

static void usage(FILE *f)
{
	fputs("usage: bench-sched [-n RUNS] [--smp N] [--mote PATH] [--run-guest PATH]\n"
	      "                   [--prog PATH]\n"
	      "Thread create+join, condvar ping-pong and 1 ms sleep lateness in mote, in a\n"
	      "Linux guest on the same QEMU, and on the host; RUNS alternating runs of\n"
	      "each (default 5), medians and mote/Linux ratios against 0.5.\n", f);
}

static void parse_args(int argc, char **argv, struct config *c)
{
	static const struct option opts[] = {
		{ "smp", required_argument, NULL, 's' },
		{ "mote", required_argument, NULL, 'm' },
		{ "run-guest", required_argument, NULL, 'g' },
		{ "prog", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int o;
	while ((o = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
		switch (o) {
		case 'n':
			c->runs = atoi(optarg);
			if (c->runs < 1 || c->runs > 1000) {
				fprintf(stderr, "bench-sched: -n %s: want 1..1000 runs\n", optarg);
				exit(2);
			}
			break;
		case 's': c->smp = optarg; break;
		case 'm': c->mote = optarg; break;
		case 'g': c->run_guest = optarg; break;
		case 'p': c->prog = optarg; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (optind != argc || atoi(c->smp) < 1) {
		usage(stderr);
		exit(2);
	}
	const char *need[] = { c->run_guest, c->prog };
	for (int i = 0; i < 2; i++)
		if (access(need[i], X_OK) != 0) {
			fprintf(stderr, "bench-sched: %s: %s (run make)\n", need[i], strerror(errno));
			exit(2);
		}
}

static void print_cell(double v)
{
	if (isnan(v))
		printf(" %12s", "n/a");
	else
		printf(" %12.1f", v);
}

/* The table, then one verdict line per target; returns 1 if any failed. */
static int report(struct side sides[NSIDES], const struct config *c)
{
	bool mote = sides[SIDE_MOTE].ok_runs > 0;
	double ratio[NMETRICS];
	int failed = 0;
	printf("bench-sched: medians of %d alternating runs, --smp %s, pinned to one CPU\n",
	       c->runs, c->smp);
	printf("%-20s %12s %12s %12s %11s %7s %8s\n", "metric", "mote", "Linux guest", "host",
	       "mote/Linux", "target", "verdict");
	for (int m = 0; m < NMETRICS; m++) {
		double v[NSIDES];
		for (int i = 0; i < NSIDES; i++)
			v[i] = bench_median(sides[i].v[m], c->runs);
		ratio[m] = v[SIDE_MOTE] / v[SIDE_GUEST];
		printf("%-20s", metrics[m].label);
		for (int i = 0; i < NSIDES; i++)
			print_cell(v[i]);
		if (isnan(ratio[m]))
			printf(" %11s", "n/a");
		else
			printf(" %11.3f", ratio[m]);
		printf(" %7s %8s\n", metrics[m].judged ? "0.5x" : "-",
		       !metrics[m].judged ? "-" : !mote ? "n/a" : ratio[m] <= TARGET ? "PASS" : "FAIL");
	}
	if (!mote) {
		printf("mote: n/a (threads not merged yet: `%s run --cmdline bench=sched` %s)\n",
		       c->mote, sides[SIDE_MOTE].last_status < 0 ? "is not built"
		       : sides[SIDE_MOTE].last_status ? "failed" : "printed no sched: lines");
		return 0;
	}
	for (int m = 0; m < NMETRICS; m++) {
		if (!metrics[m].judged)
			continue;
		bool pass = ratio[m] <= TARGET;
		printf("%s sched %s mote/Linux %.3f <= %.1f\n", pass ? "PASS" : "FAIL",
		       metrics[m].label, ratio[m], TARGET);
		failed |= !pass;
	}
	if (sides[SIDE_MOTE].failed_runs) {
		printf("FAIL sched mote failed in %d of %d runs\n", sides[SIDE_MOTE].failed_runs,
		       c->runs);
		failed = 1;
	}
	return failed;
}

int main(int argc, char **argv)
{
	struct config c = { .runs = 5, .smp = "1", .mote = "build/mote",
			    .run_guest = "bench/linux/run-guest.sh",
			    .prog = "build/linux/sched-linux" };
	struct side sides[NSIDES] = { 0 };

	parse_args(argc, argv, &c);
	setup(sides, &c);
	measure(sides, &c);
	return report(sides, &c);
}
