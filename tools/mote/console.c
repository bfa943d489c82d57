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
 * While pumping, the kernel log is scanned for the kernel's last words, a
 * line `mote: power off, status N`. The exit status rules are in
 * exit_status() below, in the order they apply.
 *
 * With a program the console is framed (include/abi/console.h, decoded by
 * lib/frame), and the VM has a virtio console on a socket pair (QEMU's fd
 * MOTE_CONSOLE_FD): once the serial line carries the record saying the
 * guest moved (stream CONSOLE_MOVED), the socket is read too, with its own
 * decoder, and stdin goes there; before it, it is not read, which keeps the
 * records in order. Records on stream 1 go to mote's stdout, stream 2 to its
 * stderr, and the log (stream 0, and bytes outside records) to --log FILE,
 * to stderr with --verbose, and into a 4 KiB tail kept for trouble. The
 * kernel's fatal mark (an empty log record) prints that tail to stderr and
 * sends the rest of the log there too; so does a failed run in which the
 * kernel never framed anything (it died before reading its command line).
 * QEMU's stdin is then a pipe: once the first record shows the kernel is
 * framing (and has set its UART up, so no byte can be lost), mote's stdin
 * is sent as stdin records, then an EOF record at its end; without
 * forwarding, the EOF record goes at once. Without a program, QEMU's stdout
 * is copied as it is and its stdin is mote's, as before.
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
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <lib/frame.h>

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

/*
 * The child gets mote's original signal state back, the pipes as 1 and 2,
 * and its end of the virtio console's socket as MOTE_CONSOLE_FD (dup2 onto
 * itself, should it be that fd already, still clears close-on-exec).
 */
static int spawn_qemu(char *const argv[], int in_r, int out_w, int err_w, int vcon)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;

	posix_spawn_file_actions_init(&fa);
	if (in_r >= 0)
		posix_spawn_file_actions_adddup2(&fa, in_r, STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&fa, out_w, STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, err_w, STDERR_FILENO);
	if (vcon >= 0)
		posix_spawn_file_actions_adddup2(&fa, vcon, MOTE_CONSOLE_FD);
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

/* Where the guest's output goes; the log's destinations and its tail. */
struct sink {
	bool out_ok, err_ok;        /* false after a reader went away: discard */
	bool framed, verbose;
	int log_fd;                 /* -1: no --log */
	bool fatal;                 /* the kernel marked a fatal report */
	bool framing_seen;          /* a whole record arrived: the kernel frames */
	bool moved;                 /* the records go on through the virtio console */
	bool stayed;                /* the guest said it keeps to the serial line */
	struct frame_decoder dec;   /* the serial line's records */
	struct frame_decoder vdec;  /* the virtio console's */
	struct marker_scan scan;
	char tail[4096];            /* the log's last bytes, for a fatal report */
	size_t tail_len;
};

static void tail_add(struct sink *k, const uint8_t *p, size_t n)
{
	if (n >= sizeof(k->tail)) {
		memcpy(k->tail, p + n - sizeof(k->tail), sizeof(k->tail));
		k->tail_len = sizeof(k->tail);
		return;
	}
	if (k->tail_len + n > sizeof(k->tail)) {
		size_t drop = k->tail_len + n - sizeof(k->tail);
		memmove(k->tail, k->tail + drop, k->tail_len - drop);
		k->tail_len -= drop;
	}
	memcpy(k->tail + k->tail_len, p, n);
	k->tail_len += n;
}

/* The tail from its first whole line, to stderr (once, unless the log is already shown). */
static void tail_show(struct sink *k)
{
	const char *p = k->tail, *nl;
	size_t n = k->tail_len;

	if (k->verbose || !n)
		return;
	if (n == sizeof(k->tail) && (nl = memchr(p, '\n', n))) {
		n -= (size_t)(nl + 1 - p);
		p = nl + 1;
	}
	if (k->err_ok)
		k->err_ok = write_all(STDERR_FILENO, p, n);
}

static void log_bytes(struct sink *k, const uint8_t *p, size_t n)
{
	if (k->log_fd >= 0 && !write_all(k->log_fd, (const char *)p, n)) {
		close(k->log_fd);
		k->log_fd = -1;
	}
	if ((k->verbose || k->fatal) && k->err_ok)
		k->err_ok = write_all(STDERR_FILENO, (const char *)p, n);
	marker_feed(&k->scan, (const char *)p, n);
	tail_add(k, p, n);
}

static void span_out(struct sink *k, const struct frame_span *sp)
{
	switch (sp->kind) {
	case FRAME_RAW:
		log_bytes(k, sp->data, sp->len);
		break;
	case FRAME_DATA:
		k->framing_seen = true;
		if (sp->stream == CONSOLE_LOG)
			log_bytes(k, sp->data, sp->len);
		else if (sp->stream == CONSOLE_STDOUT && k->out_ok)
			k->out_ok = write_all(STDOUT_FILENO, (const char *)sp->data, sp->len);
		else if (sp->stream == CONSOLE_STDERR && k->err_ok)
			k->err_ok = write_all(STDERR_FILENO, (const char *)sp->data, sp->len);
		break;
	case FRAME_EMPTY:
		k->framing_seen = true;
		if (sp->stream == CONSOLE_LOG && !k->fatal) {
			tail_show(k);
			k->fatal = true;
		} else if (sp->stream == CONSOLE_MOVED) {
			k->moved = true;
		} else if (sp->stream == CONSOLE_STAYED) {
			k->stayed = true;
		}
		break;
	case FRAME_NONE:
		break;
	}
}

/* Output from one of the guest's channels (dec: its decoder): demultiplexed when framed, else the console itself. */
static void sink_feed(struct sink *k, struct frame_decoder *dec, const uint8_t *buf, size_t n)
{
	if (!k->framed) {
		if (k->out_ok)
			k->out_ok = write_all(STDOUT_FILENO, (const char *)buf, n);
		if (k->log_fd >= 0 && !write_all(k->log_fd, (const char *)buf, n)) {
			close(k->log_fd);
			k->log_fd = -1;
		}
		marker_feed(&k->scan, (const char *)buf, n);
		return;
	}
	while (n) {
		struct frame_span sp;
		size_t used = frame_decode(dec, buf, n, &sp);
		span_out(k, &sp);
		buf += used;
		n -= used;
	}
}

/*
 * mote's stdin on its way to the guest as stdin records: on QEMU's stdin
 * (the serial line), or with a virtio console on its socket once the guest
 * has moved there. The socket is not shut down after the end of input:
 * QEMU would take that as the port's host side closing, and drop output.
 */
struct feeder {
	int in;                 /* mote's stdin, -1 once it ended (or is not forwarded) */
	int out;                /* where records go (serial or virtio), -1 when done */
	int serial, virtio;     /* QEMU's stdin pipe; the virtio console's socket (-1: none) */
	bool routed;            /* out was chosen */
	uint8_t buf[CONSOLE_HEADER + CONSOLE_RECORD_MAX];
	size_t off, len;        /* a record being written */
	bool eof_sent;
};

static void feeder_record(struct feeder *f, const uint8_t *p, size_t n)
{
	frame_header(f->buf, CONSOLE_STDIN, n);
	memcpy(f->buf + CONSOLE_HEADER, p, n);
	f->off = 0;
	f->len = CONSOLE_HEADER + n;
}

/* Reads a chunk of mote's stdin into a record (its end into the EOF record). */
static void feeder_read(struct feeder *f)
{
	static uint8_t chunk[CONSOLE_RECORD_MAX];
	ssize_t n = read(f->in, chunk, sizeof(chunk));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		f->in = -1;
		feeder_record(f, NULL, 0);
		f->eof_sent = true;
		return;
	}
	feeder_record(f, chunk, (size_t)n);
}

/* Nothing more to send: QEMU's stdin is closed (its end); the virtio console's socket is not. */
static void feeder_stop(struct feeder *f)
{
	if (f->out >= 0 && f->out == f->serial) {
		close(f->serial);
		f->serial = -1;
	}
	f->out = -1;
}

static void feeder_write(struct feeder *f)
{
	ssize_t n = write(f->out, f->buf + f->off, f->len - f->off);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n < 0) {            /* QEMU is gone: nobody to feed */
		feeder_stop(f);
		return;
	}
	f->off += (size_t)n;
	if (f->off == f->len) {
		f->off = f->len = 0;
		if (f->eof_sent)
			feeder_stop(f);
	}
}

/*
 * Where stdin goes, once known: without a virtio console the serial line,
 * from the guest's first record on (its UART is ready by then); with one,
 * its input once the guest moved there, or the serial line if the guest
 * said it stayed. false while not known.
 */
static bool feeder_route(struct feeder *f, const struct sink *k)
{
	if (f->routed)
		return true;
	if (f->virtio < 0 ? !k->framing_seen : !k->moved && !k->stayed)
		return false;
	f->out = f->virtio >= 0 && k->moved ? f->virtio : f->serial;
	f->routed = true;
	return true;
}

/* What the feeder waits for now: mote's stdin, QEMU's pipe, or nothing (fd -1). */
static void feeder_poll(struct feeder *f, bool started, struct pollfd *p)
{
	p->fd = -1;
	p->events = 0;
	if (!started || f->out < 0)
		return;
	if (f->len == 0 && !f->eof_sent && f->in < 0) {
		feeder_record(f, NULL, 0);  /* not forwarding: the end at once */
		f->eof_sent = true;
	}
	if (f->len) {
		p->fd = f->out;
		p->events = POLLOUT;
	} else if (f->in >= 0) {
		p->fd = f->in;
		p->events = POLLIN;
	}
}

/*
 * One channel from QEMU: its stdout (the serial port) or the virtio
 * console's socket into the sink (dec: that channel's decoder), or its
 * stderr (dec NULL) to ours.
 */
struct pump {
	int in;         /* -1 after EOF */
	bool wrote;     /* QEMU wrote anything at all */
	struct frame_decoder *dec;
};

static bool pump_once(struct pump *p, struct sink *k)
{
	static uint8_t buf[65536];
	ssize_t n = read(p->in, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return false;
	if (n <= 0) {
		close(p->in);
		p->in = -1;
		if (p->dec)
			marker_end_line(&k->scan);  /* a last line without its newline */
		return false;
	}
	p->wrote = true;
	if (p->dec)
		sink_feed(k, p->dec, buf, (size_t)n);
	else if (k->err_ok)
		k->err_ok = write_all(STDERR_FILENO, (const char *)buf, (size_t)n);
	return true;
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

/*
 * pumps: QEMU's stdout (the serial line), its stderr, the virtio console.
 * The last is read only once the serial line said the records moved there
 * (the kernel writes nothing to it before), so their order is kept; or
 * once the serial line ended, to drain whatever is left.
 */
static void pump_until_eof(struct pump pumps[3], struct sink *k, struct feeder *f,
			   const struct run_config *cfg, struct outcome *o)
{
	struct timespec deadline, left, *tp = NULL;
	if (cfg->timeout_s) {
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += cfg->timeout_s;
		tp = &left;
	}
	while (pumps[0].in >= 0 || pumps[1].in >= 0 || pumps[2].in >= 0) {
		if (tp && !time_left(&deadline, tp)) {
			kill(qemu_pid, SIGKILL);
			o->timed_out = true;
			tp = NULL;  /* now just drain to EOF */
		}
		struct pollfd pfd[4] = {
			{ .fd = pumps[0].in, .events = POLLIN },
			{ .fd = pumps[1].in, .events = POLLIN },
			{ .fd = k->moved || pumps[0].in < 0 ? pumps[2].in : -1, .events = POLLIN },
		};
		feeder_poll(f, feeder_route(f, k), &pfd[3]);
		if (ppoll(pfd, 4, tp, &run_mask) < 0) {
			if (errno == EINTR) {
				forward_pending();
				continue;
			}
			kill(qemu_pid, SIGKILL);
			o->poll_failed = true;
			return;
		}
		if (pfd[0].revents && pump_once(&pumps[0], k))
			program_remove_bundle();  /* the guest runs: QEMU has read it */
		if (pfd[1].revents)
			pump_once(&pumps[1], k);
		if (pfd[2].revents)
			pump_once(&pumps[2], k);
		if (pfd[3].revents && pfd[3].fd == f->out)
			feeder_write(f);
		else if (pfd[3].revents)
			feeder_read(f);
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

static int open_log(const struct run_config *cfg)
{
	if (!cfg->log_path)
		return -1;
	int fd = open(cfg->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		fprintf(stderr, "mote run: --log %s: %s\n", cfg->log_path, strerror(errno));
	return fd;
}

int console_run(char *const argv[], const struct run_config *cfg)
{
	int outp[2], errp[2], inp[2] = { -1, -1 }, vcon[2] = { -1, -1 }, vcon_in = -1;
	ensure_std_fds();
	if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 ||
	    (cfg->framed && pipe2(inp, O_CLOEXEC) < 0) ||
	    (qemu_virtio_console(cfg) &&
	     (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, vcon) < 0 ||
	      (vcon_in = fcntl(vcon[0], F_DUPFD_CLOEXEC, 0)) < 0))) {
		fprintf(stderr, "mote run: pipe: %s\n", strerror(errno));
		return MOTE_EXIT_QEMU;
	}
	static struct sink k;
	k = (struct sink){ .out_ok = true, .err_ok = true, .framed = cfg->framed,
			   .verbose = cfg->verbose, .log_fd = open_log(cfg),
			   .scan = { .status = -1 } };
	frame_decoder_init(&k.dec, CONSOLE_STAYED);
	frame_decoder_init(&k.vdec, CONSOLE_STDERR);
	install_signals();
	int err = spawn_qemu(argv, inp[0], outp[1], errp[1], vcon[1]);
	close(outp[1]);
	close(errp[1]);
	if (vcon[1] >= 0) {
		close(vcon[1]);
		fcntl(vcon[0], F_SETFL, O_NONBLOCK);	/* the pump's and the feeder's (a dup) */
	}
	if (inp[0] >= 0) {
		close(inp[0]);
		fcntl(inp[1], F_SETFL, O_NONBLOCK);  /* our end only: never stalls the pump */
	}
	if (err) {
		fprintf(stderr, "mote run: cannot execute %s: %s\n", argv[0], strerror(err));
		return MOTE_EXIT_USAGE;
	}

	struct pump pumps[3] = { { .in = outp[0], .dec = &k.dec }, { .in = errp[0] },
				 { .in = vcon[0], .dec = &k.vdec } };
	static struct feeder f;
	f = (struct feeder){ .in = cfg->forward_stdin ? STDIN_FILENO : -1, .out = -1,
			     .serial = inp[1], .virtio = vcon_in };
	struct outcome o = { .marker = -1 };
	pump_until_eof(pumps, &k, &f, cfg, &o);
	while (waitpid(qemu_pid, &o.wait_status, 0) < 0 && errno == EINTR)
		;
	if (f.serial >= 0)
		close(f.serial);
	if (f.virtio >= 0)
		close(f.virtio);
	program_remove_bundle();
	o.marker = k.scan.status;
	o.stderr_written = pumps[1].wrote;
	int status = exit_status(&o, cfg->timeout_s);
	/* A kernel that died before it framed anything could not mark its report. */
	if (cfg->framed && !k.framing_seen && !k.fatal && status != 0 && !o.timed_out)
		tail_show(&k);
	if (k.log_fd >= 0)
		close(k.log_fd);
	return status;
}
