/*
 * bench-boot: what the mote kernel adds to a boot, measured against the floor.
 *
 * The floor (build/floor.elf) is a PVH kernel whose first instruction exits
 * QEMU: booting it costs the host, QEMU and the firmware, and nothing a kernel
 * does. For each hypervisor, bench-boot times three commands, all through
 * `mote run` so the launcher's own cost appears on both sides:
 *
 *   floor       mote run --hv H --kernel build/floor.elf
 *   mote        mote run --hv H                          (build/kernel.elf)
 *   bootchart   mote run --hv H --cmdline --bootchart    (in-guest total, parsed)
 *   hello       mote run --hv H build/bench/hello        (a static musl hello
 *               world to its exit: bundle, Linux layer, program, power-off;
 *               not on fc-fixture, which takes no program)
 *
 * Then, on microvm only, the python row (python.c): boot to the first line
 * of `python3 -c "print('ready')"`, mote against Debian's Linux on the same
 * QEMU with the same files as a squashfs, and the images' sizes
 * (--py-runs N alternating runs of each, default 3 as TCG boots are slow;
 * 0 skips it). It has no target yet, so it never fails the benchmark.
 *
 * Wall clock is CLOCK_MONOTONIC around fork, exec and wait, output to
 * /dev/null (the bootchart run's stdout is read for `bootchart: total <ms>`).
 * The host drifts by tens of percent within minutes (docs/PERFORMANCE.md), so
 * the commands alternate, run after run, and each side's median is compared
 * only with the other's from the same session. One untimed run of each warms
 * the page cache first.
 *
 * Targets: mote/floor median ratio <= 1.10 on microvm; hello/floor <= 1.15
 * on microvm; in-guest bootchart total <= 1 ms; build/kernel.elf <= 512 KiB. Exit status 0 if all are met,
 * 1 if any is not, 2 if the benchmark could not run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "../stats.h"
#include "python.h"

#define RATIO_TARGET      1.10	/* mote / floor, microvm */
#define HELLO_TARGET      1.15	/* hello / floor, microvm */
#define BOOTCHART_TARGET  1.0	/* ms, in-guest */
#define SIZE_TARGET       (512 * 1024)
#define RUN_TIMEOUT_S     120	/* a hung boot is killed, and the benchmark fails */
#define MAX_HV            4

struct config {
	int runs;
	const char *mote, *floor, *kernel, *hello;
	bool kernel_given;	/* pass --kernel to the mote runs */
	bool stand_in;		/* time the floor on both sides (no kernel yet) */
	struct python_config py;
	const char *hv[MAX_HV];
	int nhv;
};

struct result {
	const char *hv;
	double floor_ms, mote_ms, chart_ms;	/* medians; chart_ms NAN if never printed */
	double hello_ms;			/* median; NAN if not run */
	/* The middle half (25th to 75th percentile) of the run-by-run ratios to the floor. */
	double mote_q1, mote_q3, hello_q1, hello_q3;
};

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* "bootchart: total 0.412" -> 0.412; NAN when the line is absent. */
static double parse_bootchart(const char *out)
{
	static const char key[] = "bootchart: total ";
	const char *p = strstr(out, key);
	if (!p)
		return NAN;
	char *end;
	double ms = strtod(p + sizeof(key) - 1, &end);
	return end == p + sizeof(key) - 1 ? NAN : ms;
}

/*
 * Run argv with stdin and stderr on /dev/null and stdout on /dev/null, or
 * into out[] when out is given. Returns the wall time in ms; *status gets
 * the exit status (128 + signal if killed, 127 if exec failed).
 */
static double run_timed(char *const argv[], int *status, char *out, size_t outsz)
{
	int fds[2] = { -1, -1 };
	if (out && pipe2(fds, O_CLOEXEC) < 0) {
		perror("bench-boot: pipe");
		exit(2);
	}
	double t0 = now_ms();
	pid_t pid = fork();
	if (pid < 0) {
		perror("bench-boot: fork");
		exit(2);
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(out ? fds[1] : null, 1);
		dup2(null, 2);
		alarm(RUN_TIMEOUT_S);	/* survives exec: kills a hung boot */
		execv(argv[0], argv);
		_exit(127);
	}
	if (out) {
		size_t len = 0;
		ssize_t n;
		close(fds[1]);
		char sink[4096];
		/* Keep the first outsz - 1 bytes, drain the rest. */
		while ((n = read(fds[0], len < outsz - 1 ? out + len : sink,
				 len < outsz - 1 ? outsz - 1 - len : sizeof(sink))) != 0) {
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				break;
			if (len < outsz - 1)
				len += (size_t)n;
		}
		out[len] = '\0';
		close(fds[0]);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	double ms = now_ms() - t0;
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return ms;
}

/* One timed run; a boot that fails makes the whole measurement meaningless. */
static double run_checked(char *const argv[], const char *what, const char *hv,
			  char *out, size_t outsz)
{
	int status;
	double ms = run_timed(argv, &status, out, outsz);
	if (status != 0) {
		fprintf(stderr, "bench-boot: %s on %s exited with status %d:", what, hv, status);
		for (int i = 0; argv[i]; i++)
			fprintf(stderr, " %s", argv[i]);
		fputc('\n', stderr);
		exit(2);
	}
	return ms;
}

/* argv for `mote run --hv HV [--kernel K] [--cmdline --bootchart] [PROGRAM]`. */
static void build_argv(char *argv[9], const struct config *c, const char *hv,
		      const char *kernel, bool bootchart, const char *program)
{
	int n = 0;
	argv[n++] = (char *)c->mote;
	argv[n++] = "run";
	argv[n++] = "--hv";
	argv[n++] = (char *)hv;
	if (kernel) {
		argv[n++] = "--kernel";
		argv[n++] = (char *)kernel;
	}
	if (bootchart) {
		argv[n++] = "--cmdline";
		argv[n++] = "--bootchart";
	}
	if (program)
		argv[n++] = (char *)program;
	argv[n] = NULL;
}

/*
 * How far the ratio moves from one iteration to the next: each iteration's
 * run against the floor run beside it. On a shared host the medians' ratio
 * is only as good as this spread.
 */
static void spread(const double *v, const double *floor, int n, double *q1, double *q3)
{
	double *ratio = calloc((size_t)n, sizeof(double));

	if (!ratio) {
		*q1 = *q3 = NAN;
		return;
	}
	for (int i = 0; i < n; i++)
		ratio[i] = v[i] / floor[i];
	*q1 = bench_quantile(ratio, n, 0.25);
	*q3 = bench_quantile(ratio, n, 0.75);
	free(ratio);
}

static void measure(const struct config *c, const char *hv, struct result *r)
{
	/* The mote runs name a kernel only if told to: by default they boot
	 * what `mote run` boots, build/kernel.elf beside build/mote. */
	const char *kernel = c->stand_in ? c->floor : c->kernel_given ? c->kernel : NULL;
	char *floor_argv[9], *mote_argv[9], *chart_argv[9], *hello_argv[9];
	/* The hello row needs a kernel that runs programs, and a machine that takes one. */
	bool with_hello = !c->stand_in && strcmp(hv, "fc-fixture") != 0;
	build_argv(floor_argv, c, hv, c->floor, false, NULL);
	build_argv(mote_argv, c, hv, kernel, false, NULL);
	build_argv(chart_argv, c, hv, kernel, true, NULL);
	build_argv(hello_argv, c, hv, kernel, false, c->hello);
	double *floor = calloc((size_t)c->runs, sizeof(double));
	double *mote = calloc((size_t)c->runs, sizeof(double));
	double *chart = calloc((size_t)c->runs, sizeof(double));
	double *hello = calloc((size_t)c->runs, sizeof(double));
	static char out[64 * 1024];

	if (!floor || !mote || !chart || !hello) {
		fputs("bench-boot: out of memory\n", stderr);
		exit(2);
	}
	fprintf(stderr, "bench-boot: %s, %d runs of each...\n", hv, c->runs);
	run_checked(floor_argv, "floor", hv, NULL, 0);		/* warm the page cache */
	run_checked(mote_argv, "mote", hv, NULL, 0);
	if (with_hello)
		run_checked(hello_argv, "hello", hv, NULL, 0);
	for (int i = 0; i < c->runs; i++) {
		hello[i] = NAN;
		if (i % 2 == 0) {
			floor[i] = run_checked(floor_argv, "floor", hv, NULL, 0);
			mote[i] = run_checked(mote_argv, "mote", hv, NULL, 0);
			if (with_hello)
				hello[i] = run_checked(hello_argv, "hello", hv, NULL, 0);
		} else {
			if (with_hello)
				hello[i] = run_checked(hello_argv, "hello", hv, NULL, 0);
			mote[i] = run_checked(mote_argv, "mote", hv, NULL, 0);
			floor[i] = run_checked(floor_argv, "floor", hv, NULL, 0);
		}
		chart[i] = NAN;
		if (!c->stand_in) {
			run_checked(chart_argv, "bootchart", hv, out, sizeof(out));
			chart[i] = parse_bootchart(out);
		}
	}
	r->hv = hv;
	spread(mote, floor, c->runs, &r->mote_q1, &r->mote_q3);
	spread(hello, floor, c->runs, &r->hello_q1, &r->hello_q3);
	r->floor_ms = bench_median(floor, c->runs);
	r->mote_ms = bench_median(mote, c->runs);
	r->chart_ms = bench_median(chart, c->runs);
	r->hello_ms = bench_median(hello, c->runs);
	free(floor);
	free(mote);
	free(chart);
	free(hello);
}

/* One verdict line; returns 1 on failure. */
static int verdict(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int verdict(bool ok, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs(ok ? "PASS " : "FAIL ", stdout);
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
	return !ok;
}

static void usage(FILE *f)
{
	fputs("usage: bench-boot [-n RUNS] [--hv microvm,q35] [--mote PATH] [--floor PATH]\n"
	      "                  [--kernel PATH] [--hello PATH] [--stand-in] [--py-runs N]\n"
	      "Times `mote run` of the floor kernel against the mote kernel and against\n"
	      "`mote run` of a static hello world, alternating runs (default 20 each, on\n"
	      "microvm and q35), and reads the in-guest bootchart total. --stand-in times\n"
	      "the floor on both sides (no kernel, no hello row). Then python3's boot to its\n"
	      "first line, mote against a Linux guest, N alternating runs (default 3, 0: skip).\n", f);
}

static void parse_args(int argc, char **argv, struct config *c)
{
	static const struct option opts[] = {
		{ "hv", required_argument, NULL, 'v' },
		{ "mote", required_argument, NULL, 'm' },
		{ "floor", required_argument, NULL, 'f' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "hello", required_argument, NULL, 'p' },
		{ "stand-in", no_argument, NULL, 's' },
		{ "py-runs", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static char hvlist[256] = "microvm,q35";
	int o;
	while ((o = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
		switch (o) {
		case 'n':
			c->runs = atoi(optarg);
			if (c->runs < 1 || c->runs > 10000) {
				fprintf(stderr, "bench-boot: -n %s: want 1..10000 runs\n", optarg);
				exit(2);
			}
			break;
		case 'v':
			snprintf(hvlist, sizeof(hvlist), "%s", optarg);
			break;
		case 'm': c->mote = optarg; break;
		case 'f': c->floor = optarg; break;
		case 'k': c->kernel = optarg; c->kernel_given = true; break;
		case 'p': c->hello = optarg; break;
		case 's': c->stand_in = true; break;
		case 'P':
			c->py.runs = atoi(optarg);
			if (c->py.runs < 0 || c->py.runs > 1000) {
				fprintf(stderr, "bench-boot: --py-runs %s: want 0..1000 runs\n", optarg);
				exit(2);
			}
			break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (optind != argc) {
		usage(stderr);
		exit(2);
	}
	for (char *save = NULL, *hv = strtok_r(hvlist, ",", &save); hv;
	     hv = strtok_r(NULL, ",", &save)) {
		if (c->nhv == MAX_HV) {
			fprintf(stderr, "bench-boot: at most %d hypervisors\n", MAX_HV);
			exit(2);
		}
		c->hv[c->nhv++] = hv;
	}
	const char *need[] = { c->mote, c->floor, c->stand_in ? c->floor : c->kernel,
			       c->stand_in ? c->floor : c->hello };
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		if (access(need[i], R_OK) != 0) {
			fprintf(stderr, "bench-boot: %s: %s (run make)\n", need[i], strerror(errno));
			exit(2);
		}
	}
}

int main(int argc, char **argv)
{
	struct config c = { .runs = 20, .mote = "build/mote", .floor = "build/floor.elf",
			    .kernel = "build/kernel.elf", .hello = "build/bench/hello",
			    .py = { .runs = 3, .mote = "build/mote",
				    .run_guest = "bench/linux/run-guest.sh",
				    .pyinit = "build/bench/pyinit",
				    .make_images = "bench/boot/make-python.sh",
				    .tsc_khz = "build/linux/tsc-khz", .dir = "build/bench/python" } };
	struct result r[MAX_HV];
	int failed = 0;

	parse_args(argc, argv, &c);
	for (int i = 0; i < c.nhv; i++)
		measure(&c, c.hv[i], &r[i]);

	printf("bench-boot: median wall ms of `mote run` (fork to exit), %d alternating runs each%s\n",
	       c.runs, c.stand_in ? "\n  STAND-IN: the floor kernel ran on both sides" : "");
	printf("%-10s %9s %9s %7s %9s %7s %19s\n", "hv", "floor ms", "mote ms", "ratio",
	       "hello ms", "ratio", "bootchart total ms");
	for (int i = 0; i < c.nhv; i++) {
		printf("%-10s %9.1f %9.1f %7.3f ", r[i].hv, r[i].floor_ms, r[i].mote_ms,
		       r[i].mote_ms / r[i].floor_ms);
		if (isnan(r[i].hello_ms))
			printf("%9s %7s ", "n/a", "n/a");
		else
			printf("%9.1f %7.3f ", r[i].hello_ms, r[i].hello_ms / r[i].floor_ms);
		if (isnan(r[i].chart_ms))
			printf("%19s\n", "n/a");
		else
			printf("%19.3f\n", r[i].chart_ms);
	}

	for (int i = 0; i < c.nhv; i++) {
		printf("%s spread (middle half of the run-by-run ratios): mote %.3f-%.3f", r[i].hv,
		       r[i].mote_q1, r[i].mote_q3);
		if (!isnan(r[i].hello_q1))
			printf(", hello %.3f-%.3f", r[i].hello_q1, r[i].hello_q3);
		putchar('\n');
	}

	struct stat st;
	const char *kernel = c.kernel;
	if (stat(kernel, &st) == 0)
		printf("kernel size: %s %lld bytes (%.1f KiB), target %d KiB\n", kernel,
		       (long long)st.st_size, st.st_size / 1024.0, SIZE_TARGET / 1024);

	for (int i = 0; i < c.nhv; i++) {
		double ratio = r[i].mote_ms / r[i].floor_ms;
		if (strcmp(r[i].hv, "microvm") == 0)
			failed |= verdict(ratio <= RATIO_TARGET, "boot ratio on microvm %.3f <= %.2f",
					  ratio, RATIO_TARGET);
		if (strcmp(r[i].hv, "microvm") == 0 && !c.stand_in)
			failed |= verdict(r[i].hello_ms / r[i].floor_ms <= HELLO_TARGET,
					  "hello ratio on microvm %.3f <= %.2f",
					  r[i].hello_ms / r[i].floor_ms, HELLO_TARGET);
		if (!c.stand_in)
			failed |= verdict(r[i].chart_ms <= BOOTCHART_TARGET,
					  "bootchart total on %s %.3f ms <= %.1f ms", r[i].hv,
					  r[i].chart_ms, BOOTCHART_TARGET);
	}
	if (stat(kernel, &st) == 0)
		failed |= verdict(st.st_size <= SIZE_TARGET, "kernel size %.1f KiB <= %d KiB",
				  st.st_size / 1024.0, SIZE_TARGET / 1024);
	else
		failed |= verdict(false, "kernel size: %s missing", kernel);
	if (c.py.runs > 0 && !c.stand_in)
		failed |= python_row(&c.py);
	return failed;
}
