/*
 * The python row of bench-boot: boot to the first line printed by
 * `python3 -c "print('ready')"`, mote against Linux, the same files on both.
 *
 *   mote   build/mote run --hv microvm -m 256M --smp 1 python3.img -- -c ...
 *          timed from fork to the line "ready" on its stdout (single quotes
 *          in the script, on both sides: `mote run IMAGE` passes the words
 *          after -- on the kernel command line, which cannot carry a ")
 *   linux  Debian's cloud kernel (bench/linux/) on the same QEMU microvm,
 *          256 MiB, 1 vCPU, with the same tree as a squashfs disk and
 *          pyinit.c as /init (modules, mount, chroot, python3); QEMU is
 *          started here, so it is timed from QEMU's fork to "ready" on the
 *          serial console, without run-guest.sh's own cost (it only writes
 *          the initramfs and says the command, -x)
 *
 * Both are timed to the first line, not to exit: the row is about getting
 * to work. The run still has to end cleanly (status 0), or the benchmark
 * stops. The sides alternate, the order reversing every run, after one
 * untimed run of each that warms the host's page cache; medians and
 * mote/Linux. bench/boot/make-python.sh makes the images once: the mote
 * image plain and --lz4, the squashfs gzip and lz4, whose sizes are printed
 * side by side. Both guests get the host's TSC rate, as in bench/fs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "../run.h"
#include "../stats.h"
#include "python.h"

#define PY_TIMEOUT_S 300	/* a hung boot is killed, and the benchmark fails */
#define PY_LINE      "ready"
#define MAX_ARGS     64

enum { PY_MOTE, PY_LINUX, PY_SIDES };
static const char *const py_side_name[PY_SIDES] = { "mote", "linux" };

static _Noreturn void py_fatal(const char *fmt, const char *arg)
{
	fputs("bench-boot: python: ", stderr);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(2);
}

static char *py_path(const struct python_config *c, const char *name)
{
	char *s;
	if (asprintf(&s, "%s/%s", c->dir, name) < 0)
		py_fatal("out of memory%s", "");
	return s;
}

static double py_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Whether buf[from, len) completes a line equal to PY_LINE (a serial
 * console ends lines with \r\n); *from moves past the lines seen. */
static bool py_saw_line(const char *buf, size_t len, size_t *from)
{
	for (const char *nl; (nl = memchr(buf + *from, '\n', len - *from)); ) {
		size_t n = (size_t)(nl - (buf + *from));
		if (n && buf[*from + n - 1] == '\r')
			n--;
		bool hit = n == strlen(PY_LINE) && !memcmp(buf + *from, PY_LINE, n);
		*from = (size_t)(nl - buf) + 1;
		if (hit)
			return true;
	}
	return false;
}

static pid_t py_spawn(char *const argv[], int out_fd)
{
	pid_t pid = fork();
	if (pid < 0)
		py_fatal("fork: %s", strerror(errno));
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(out_fd, 1);
		dup2(null, 2);
		alarm(PY_TIMEOUT_S);	/* survives exec: kills a hung boot */
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/*
 * Runs argv to its end; returns the ms from fork to the first PY_LINE line
 * of its stdout (NAN if none). *status: exit status, 128 + signal if killed.
 */
static double py_time_to_line(char *const argv[], int *status)
{
	static char buf[256 * 1024];
	size_t len = 0, from = 0;
	double ms = NAN;
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		py_fatal("pipe: %s", strerror(errno));
	double t0 = py_now_ms();
	pid_t pid = py_spawn(argv, fds[1]);
	close(fds[1]);
	for (ssize_t n; (n = read(fds[0], buf + len, sizeof(buf) - 1 - len)) != 0; ) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		len += (size_t)n;
		if (isnan(ms) && py_saw_line(buf, len, &from))
			ms = py_now_ms() - t0;
		if (len == sizeof(buf) - 1)	/* keep reading into the last line's room */
			len = from = 0;
	}
	close(fds[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return ms;
}

/* The host TSC rate, for both guests (run-guest.sh reads $TSC_KHZ too). */
static const char *py_tsc_khz(const struct python_config *c)
{
	static char khz[32];
	const char *env = getenv("TSC_KHZ");
	if (env && *env)
		return env;
	char *argv[] = { (char *)c->tsc_khz, NULL };
	if (bench_run_capture("bench-boot", argv, false, PY_TIMEOUT_S, khz, sizeof(khz)) != 0 ||
	    atol(khz) <= 0)
		py_fatal("%s failed (run make)", c->tsc_khz);
	khz[strcspn(khz, "\n")] = '\0';
	setenv("TSC_KHZ", khz, 1);
	return khz;
}

static void py_mote_argv(char *argv[MAX_ARGS], const struct python_config *c, const char *khz)
{
	char *cmdline;
	if (asprintf(&cmdline, "tsc_khz=%s", khz) < 0)
		py_fatal("out of memory%s", "");
	char *const v[] = { (char *)c->mote, "run", "--hv", "microvm", "-m", "256M", "--smp", "1",
			    "--cmdline", cmdline, py_path(c, "python3.img"), "--", "-c",
			    "print('ready')", NULL };
	memcpy(argv, v, sizeof(v));
}

/* QEMU's command for the Linux side, as run-guest.sh -x says it, one word
 * a line (the initramfs goes to DIR/pyinit.cpio). */
static void py_linux_argv(char *argv[MAX_ARGS], const struct python_config *c)
{
	static char out[16 * 1024];
	char *const v[] = { (char *)c->run_guest, "-m", "256M", "-s", "1", "-k", "-d",
			    py_path(c, "python3.sqfs"), "-i", py_path(c, "pyinit.cpio"), "-x",
			    (char *)c->pyinit, NULL };
	if (bench_run_capture("bench-boot", v, false, PY_TIMEOUT_S, out, sizeof(out)) != 0)
		py_fatal("%s -x failed", c->run_guest);
	int n = 0;
	for (char *save = NULL, *w = strtok_r(out, "\n", &save); w && n < MAX_ARGS - 1;
	     w = strtok_r(NULL, "\n", &save))
		argv[n++] = w;
	argv[n] = NULL;
	if (n < 2)
		py_fatal("%s -x printed no command", c->run_guest);
}

static void py_setup(char *argv[PY_SIDES][MAX_ARGS], const struct python_config *c)
{
	char *make[] = { (char *)c->make_images, (char *)c->mote, (char *)c->dir, NULL };
	fprintf(stderr, "bench-boot: python: making the images (once)...\n");
	if (bench_run_capture("bench-boot", make, false, 1800, (char[256]){ 0 }, 256) != 0)
		py_fatal("%s failed", c->make_images);
	py_mote_argv(argv[PY_MOTE], c, py_tsc_khz(c));
	py_linux_argv(argv[PY_LINUX], c);
}

/* One timed run of one side; a failed run stops the benchmark. */
static double py_run(char *const argv[], int side)
{
	int status;
	double ms = py_time_to_line(argv, &status);
	if (side == PY_LINUX)	/* isa-debug-exit: QEMU exits with (status << 1) | 1 */
		status = status % 2 && status < 128 ? status >> 1 : 125;
	if (status != 0 || isnan(ms)) {
		fprintf(stderr, "bench-boot: python: %s side %s (status %d):", py_side_name[side],
			isnan(ms) ? "printed no \"" PY_LINE "\" line" : "failed", status);
		for (int i = 0; argv[i]; i++)
			fprintf(stderr, " %s", argv[i]);
		fputc('\n', stderr);
		exit(2);
	}
	return ms;
}

static void py_print_size(const char *what, const char *path)
{
	struct stat st;
	if (stat(path, &st) == 0)
		printf("  %-22s %10lld bytes (%6.1f MiB)  %s\n", what, (long long)st.st_size,
		       st.st_size / 1048576.0, path);
	else
		printf("  %-22s %10s  %s\n", what, "n/a", path);
}

static void py_report(double med[PY_SIDES], const struct python_config *c)
{
	printf("bench-boot: python3 -c \"print('ready')\", median wall ms to the first line, "
	       "%d alternating runs each\n", c->runs);
	printf("  mote (fork of mote run)  %9.1f\n", med[PY_MOTE]);
	printf("  linux (fork of QEMU)     %9.1f\n", med[PY_LINUX]);
	printf("  mote/linux               %9.3f\n", med[PY_MOTE] / med[PY_LINUX]);
	printf("python image sizes:\n");
	py_print_size("mote", py_path(c, "python3.img"));
	py_print_size("mote --lz4", py_path(c, "python3-lz4.img"));
	py_print_size("squashfs (gzip)", py_path(c, "python3.sqfs"));
	py_print_size("squashfs -comp lz4", py_path(c, "python3-lz4.sqfs"));
}

int python_row(const struct python_config *c)
{
	static char *argv[PY_SIDES][MAX_ARGS];
	double *v[PY_SIDES], med[PY_SIDES];

	py_setup(argv, c);
	for (int s = 0; s < PY_SIDES; s++) {
		v[s] = calloc((size_t)c->runs, sizeof(double));
		if (!v[s])
			py_fatal("out of memory%s", "");
		py_run(argv[s], s);	/* warms the page cache */
	}
	fprintf(stderr, "bench-boot: python: %d runs of each...\n", c->runs);
	for (int r = 0; r < c->runs; r++)
		for (int k = 0; k < PY_SIDES; k++) {
			int s = r % 2 ? PY_SIDES - 1 - k : k;
			v[s][r] = py_run(argv[s], s);
		}
	for (int s = 0; s < PY_SIDES; s++) {
		med[s] = bench_median(v[s], c->runs);
		free(v[s]);
	}
	py_report(med, c);
	return 0;
}
