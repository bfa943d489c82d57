/*
 * The console pump and the exit status.
 *
 * QEMU runs with its stdout (the guest's serial port) and stderr on two pipes
 * and mote's stdin inherited. Every chunk read from a pipe is written out
 * unchanged at once: no line buffering, so an interactive console and the
 * byte stream a test compares are both exact. mote waits in ppoll() on the
 * two pipes with no timeout (unless --timeout), so it costs nothing while
 * the guest runs; the pipes are drained to EOF before QEMU's exit status is
 * looked at, so nothing QEMU wrote on its way out is lost.
 *
 * While pumping, the guest's stdout is scanned for the kernel's last words,
 * a line `mote: power off, status N`. The exit status rules are in
 * exit_status() below, in the order they apply.
 *
 * Signals: SIGINT, SIGTERM and SIGHUP sent to mote are forwarded to QEMU
 * (which then shuts down). They are blocked except inside ppoll() and while
 * writing output, so a signal can neither be lost between the check and the
 * wait nor wait behind a reader that stopped reading.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mote.h"

extern char **environ;

static const int forwarded_signals[] = { SIGINT, SIGTERM, SIGHUP };

static volatile sig_atomic_t pending_signals;  /* bit n: signal n arrived */
static pid_t qemu_pid;
static int last_forwarded;                      /* 0: none */
static sigset_t run_mask;                       /* mote's mask at start */
static sigset_t held_mask;                      /* run_mask + forwarded_signals */
static sigset_t child_default;                  /* dispositions QEMU gets reset */

static void on_signal(int sig)
{
	pending_signals |= 1 << sig;
}

static void forward_pending(void)
{
	int bits = pending_signals;
	if (!bits)
		return;
	pending_signals = 0;
	for (size_t i = 0; i < sizeof(forwarded_signals) / sizeof(int); i++) {
		int sig = forwarded_signals[i];
		if (bits & (1 << sig)) {
			kill(qemu_pid, sig);
			last_forwarded = sig;
		}
	}
}

/*
 * No SA_RESTART: a blocked write() must return so the signal gets forwarded.
 * SIGPIPE is ignored so a closed stdout ends the forwarding, not mote. A
 * signal mote inherited as ignored (nohup, a shell's background job) stays
 * ignored, for QEMU too. Whatever is changed here is reset for the child.
 */
static void install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal }, old;
	const int n = sizeof(forwarded_signals) / sizeof(int);

	sigprocmask(SIG_BLOCK, NULL, &run_mask);
	held_mask = run_mask;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&child_default);
	for (int i = 0; i < n; i++) {
		sigaddset(&sa.sa_mask, forwarded_signals[i]);
		sigaddset(&held_mask, forwarded_signals[i]);
	}
	sigprocmask(SIG_SETMASK, &held_mask, NULL);
	for (int i = 0; i < n; i++) {
		int sig = forwarded_signals[i];
		if (sigaction(sig, NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		sigaction(sig, &sa, NULL);
		sigaddset(&child_default, sig);
	}
	if (sigaction(SIGPIPE, NULL, &old) == 0 && old.sa_handler != SIG_IGN) {
		signal(SIGPIPE, SIG_IGN);
		sigaddset(&child_default, SIGPIPE);
	}
}

/*
 * If mote was started with fd 0, 1 or 2 closed, a pipe could land on one of
 * them and the child's dup2() calls would clobber each other: fill the gaps.
 */
static void ensure_std_fds(void)
{
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) < 0)
			return;
}

/* The child gets mote's original signal state back, and the pipes as 1 and 2. */
static int spawn_qemu(char *const argv[], int out_w, int err_w)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, out_w, STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, err_w, STDERR_FILENO);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigdefault(&attr, &child_default);
	posix_spawnattr_setsigmask(&attr, &run_mask);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
	int err = posix_spawn(&qemu_pid, argv[0], &fa, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	return err;
}

/*
 * Write all of BUF. Signals are let in for the duration, so that a reader
 * that stopped reading does not also stop SIGTERM from reaching QEMU.
 * Returns false once FD is unusable (EPIPE: the reader went away).
 */
static bool write_all(int fd, const char *buf, size_t len)
{
	bool ok = true;
	sigprocmask(SIG_SETMASK, &run_mask, NULL);
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			sigprocmask(SIG_SETMASK, &held_mask, NULL);
			forward_pending();
			sigprocmask(SIG_SETMASK, &run_mask, NULL);
		} else if (n < 0 && errno == EAGAIN) {
			/* An inherited O_NONBLOCK stdout: wait until it drains. */
			struct pollfd p = { .fd = fd, .events = POLLOUT };
			poll(&p, 1, -1);
		} else {
			ok = false;
			break;
		}
	}
	sigprocmask(SIG_SETMASK, &held_mask, NULL);
	forward_pending();
	return ok;
}

/* Recognises `mote: power off, status N` lines in a byte stream. */
struct marker_scan {
	char line[32];  /* longer lines cannot be the marker */
	size_t len;
	bool overlong;
	int status;     /* last N seen, -1: none */
};

static const char marker_prefix[] = "mote: power off, status ";

/* N is 1 to 3 decimal digits with a value up to 255; anything else is just output. */
static int marker_status(const char *s, size_t len)
{
	int n = 0;
	if (len < 1 || len > 3)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		n = n * 10 + (s[i] - '0');
	}
	return n <= 255 ? n : -1;
}

static void marker_end_line(struct marker_scan *m)
{
	const size_t plen = sizeof(marker_prefix) - 1;
	size_t len = m->len;
	if (len > 0 && m->line[len - 1] == '\r')
		len--;
	if (!m->overlong && len > plen && memcmp(m->line, marker_prefix, plen) == 0) {
		int n = marker_status(m->line + plen, len - plen);
		if (n >= 0)
			m->status = n;
	}
	m->len = 0;
	m->overlong = false;
}

static void marker_feed(struct marker_scan *m, const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n')
			marker_end_line(m);
		else if (m->len < sizeof(m->line))
			m->line[m->len++] = buf[i];
		else
			m->overlong = true;
	}
}

/* One pipe from QEMU to one of mote's outputs. */
struct pump {
	int in;         /* -1 after EOF */
	int out;
	bool out_ok;    /* false after the reader went away: drain, discard */
	bool wrote;     /* QEMU wrote anything at all */
};

/* Move one chunk; the scanner, when given, sees the bytes too. */
static void pump_once(struct pump *p, struct marker_scan *scan)
{
	static char buf[65536];
	ssize_t n = read(p->in, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		close(p->in);
		p->in = -1;
		if (scan)
			marker_end_line(scan);  /* a last line without its newline */
		return;
	}
	p->wrote = true;
	if (p->out_ok)
		p->out_ok = write_all(p->out, buf, (size_t)n);
	if (scan)
		marker_feed(scan, buf, (size_t)n);
}

/* Time left until DEADLINE in *LEFT; false once it has passed. */
static bool time_left(const struct timespec *deadline, struct timespec *left)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	left->tv_sec = deadline->tv_sec - now.tv_sec;
	left->tv_nsec = deadline->tv_nsec - now.tv_nsec;
	if (left->tv_nsec < 0) {
		left->tv_nsec += 1000000000L;
		left->tv_sec--;
	}
	return left->tv_sec >= 0;
}

struct outcome {
	int wait_status;
	int marker;          /* -1: not seen */
	bool stderr_written;
	bool timed_out;
	bool poll_failed;
};

static void pump_until_eof(struct pump pumps[2], struct marker_scan *scan,
			   unsigned timeout_s, struct outcome *o)
{
	struct timespec deadline, left, *tp = NULL;
	if (timeout_s) {
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += timeout_s;
		tp = &left;
	}
	while (pumps[0].in >= 0 || pumps[1].in >= 0) {
		if (tp && !time_left(&deadline, tp)) {
			kill(qemu_pid, SIGKILL);
			o->timed_out = true;
			tp = NULL;  /* now just drain to EOF */
		}
		struct pollfd pfd[2] = {
			{ .fd = pumps[0].in, .events = POLLIN },
			{ .fd = pumps[1].in, .events = POLLIN },
		};
		if (ppoll(pfd, 2, tp, &run_mask) < 0) {
			if (errno == EINTR) {
				forward_pending();
				continue;
			}
			kill(qemu_pid, SIGKILL);
			o->poll_failed = true;
			return;
		}
		if (pfd[0].revents)
			pump_once(&pumps[0], scan);
		if (pfd[1].revents)
			pump_once(&pumps[1], NULL);
	}
}

/*
 * mote's exit status, in order: the timeout; the guest's marker; QEMU's
 * isa-debug-exit code (value << 1) | 1 mapped back; QEMU killed by a signal
 * or shut down by one mote forwarded (128 + signal, as a shell reports it);
 * a clean QEMU exit (0 or 1, nothing on stderr: a guest that powered off
 * or wrote 0 to the exit port without the marker) is 0; anything else is a
 * QEMU failure.
 */
static int exit_status(const struct outcome *o, unsigned timeout_s)
{
	int ws = o->wait_status;
	if (o->timed_out) {
		fprintf(stderr, "mote: timed out after %u s\n", timeout_s);
		return MOTE_EXIT_TIMEOUT;
	}
	if (o->marker >= 0)
		return o->marker;
	if (WIFSIGNALED(ws))
		return 128 + WTERMSIG(ws);
	int code = WEXITSTATUS(ws);
	if (code > 1 && (code & 1))
		return code >> 1;
	if (last_forwarded)
		return 128 + last_forwarded;
	if (code <= 1 && !o->stderr_written && !o->poll_failed)
		return 0;
	fprintf(stderr, "mote run: qemu exited with status %d\n", code);
	return MOTE_EXIT_QEMU;
}

int console_run(char *const argv[], unsigned timeout_s)
{
	int outp[2], errp[2];
	ensure_std_fds();
	if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		fprintf(stderr, "mote run: pipe: %s\n", strerror(errno));
		return MOTE_EXIT_QEMU;
	}
	install_signals();
	int err = spawn_qemu(argv, outp[1], errp[1]);
	close(outp[1]);
	close(errp[1]);
	if (err) {
		fprintf(stderr, "mote run: cannot execute %s: %s\n", argv[0], strerror(err));
		return MOTE_EXIT_USAGE;
	}

	struct pump pumps[2] = {
		{ .in = outp[0], .out = STDOUT_FILENO, .out_ok = true },
		{ .in = errp[0], .out = STDERR_FILENO, .out_ok = true },
	};
	struct marker_scan scan = { .status = -1 };
	struct outcome o = { .marker = -1 };
	pump_until_eof(pumps, &scan, timeout_s, &o);
	while (waitpid(qemu_pid, &o.wait_status, 0) < 0 && errno == EINTR)
		;
	o.marker = scan.status;
	o.stderr_written = pumps[1].wrote;
	return exit_status(&o, timeout_s);
}
