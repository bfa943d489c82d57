/* pipe_basic: pipe and pipe2: data in order, fstat says FIFO, FIONREAD,
 * O_NONBLOCK (EAGAIN on empty read and on a full pipe, partial writes),
 * O_CLOEXEC, EOF once every writer is closed, and a write with no reader:
 * EPIPE with SIGPIPE ignored, the handler run when caught, and (with the
 * argument "die") death by SIGPIPE under the default action; readv takes
 * what is there (musl's stdio reads with readv) and writev is one write. */
#include "compat.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>

static volatile int sigpipes;

static void on_pipe(int sig)
{
	(void)sig;
	sigpipes++;
}

static void basics(void)
{
	int p[2];
	char buf[64];
	struct stat st;
	int avail = -1;

	CHECK(pipe(p) == 0);
	CHECK(fstat(p[0], &st) == 0);
	printf("pipe is a FIFO: %d, fds ascending %d\n", S_ISFIFO(st.st_mode), p[1] == p[0] + 1);
	printf("write: %s\n", res(write(p[1], "first ", 6)));
	printf("write: %s\n", res(write(p[1], "second", 6)));
	ioctl(p[0], FIONREAD, &avail);
	printf("FIONREAD: %d\n", avail);
	ssize_t n = read(p[0], buf, 4);
	printf("read 4: %s [%.4s]\n", res(n), buf);
	n = read(p[0], buf, sizeof(buf));
	printf("read rest: %s [%.*s]\n", res(n), (int)n, buf);
	printf("write to read end: %s\n", res(write(p[0], "x", 1)));
	printf("read from write end: %s\n", res(read(p[1], buf, 1)));
	printf("lseek on pipe: %s\n", res(lseek(p[0], 0, SEEK_SET)));
	close(p[1]);
	printf("read after writer closed: %s\n", res(read(p[0], buf, sizeof(buf))));
	close(p[0]);

	CHECK(pipe(p) == 0);
	int w2 = dup(p[1]);
	close(p[1]);
	CHECK(write(w2, "z", 1) == 1);
	n = read(p[0], buf, sizeof(buf));
	printf("a dup of the writer keeps the pipe open: %s\n", res(n));
	close(w2);
	printf("then EOF: %s\n", res(read(p[0], buf, sizeof(buf))));
	close(p[0]);
}

static void nonblocking(void)
{
	int p[2];
	char buf[4096];

	CHECK(pipe2(p, O_NONBLOCK | O_CLOEXEC) == 0);
	printf("pipe2 flags: O_NONBLOCK %d, FD_CLOEXEC %d\n", (fcntl(p[0], F_GETFL) & O_NONBLOCK) != 0,
	       (fcntl(p[1], F_GETFD) & FD_CLOEXEC) != 0);
	printf("read empty nonblocking: %s\n", res(read(p[0], buf, sizeof(buf))));
	memset(buf, 'f', sizeof(buf));
	long total = 0;
	ssize_t w;
	while ((w = write(p[1], buf, sizeof(buf))) > 0)
		total += w;
	printf("filled: %s, capacity >= 4096: %d\n", res(w), total >= 4096);
	printf("1 byte to a full pipe: %s\n", res(write(p[1], buf, 1)));
	CHECK(read(p[0], buf, 100) == 100);
	w = write(p[1], buf, sizeof(buf));
	printf("4096 bytes with 100 free (atomic, all or nothing): %s\n", res(w));
	long drained = 0;
	ssize_t r;
	while ((r = read(p[0], buf, sizeof(buf))) > 0)
		drained += r;
	printf("drained all that was written: %d, then %s\n", drained == total - 100, res(r));
	static char big[200000];
	w = write(p[1], big, sizeof(big));
	printf("large write to an empty nonblocking pipe is partial: %d\n", w > 0 && w < (ssize_t)sizeof(big));
	close(p[0]);
	close(p[1]);
	printf("pipe2 bad flags: %s\n", res(pipe2(p, 0x12345678)));
}

static void no_reader(void)
{
	int p[2];
	struct sigaction sa = { .sa_handler = SIG_IGN };

	CHECK(pipe(p) == 0);
	close(p[0]);
	sigaction(SIGPIPE, &sa, NULL);
	printf("write, no reader, SIGPIPE ignored: %s\n", res(write(p[1], "x", 1)));
	sa.sa_handler = on_pipe;
	sigaction(SIGPIPE, &sa, NULL);
	printf("write, no reader, SIGPIPE caught: %s", res(write(p[1], "x", 1)));
	printf(", handler ran %d\n", sigpipes);
	close(p[1]);
}

static void on_alarm(int sig)
{
	static const char msg[] = "readv still waiting after 5 s\n";

	(void)sig;
	write(1, msg, sizeof(msg) - 1);
	_exit(1);
}

/*
 * A blocking readv returns once it has data, as read does: 8 bytes there
 * and iovecs of 8 and 100 give 8, without waiting to fill the second. A
 * writev of several iovecs lands as one write (one readv sees it all).
 */
static void vectors(void)
{
	int p[2];
	char a[8], b[100], out[16];
	struct iovec in[2] = { { a, sizeof(a) }, { b, sizeof(b) } };
	struct iovec three[3] = { { "ab", 2 }, { "cdef", 4 }, { "g", 1 } };

	CHECK(pipe(p) == 0);
	signal(SIGALRM, on_alarm);
	alarm(5);
	CHECK(write(p[1], "12345678", 8) == 8);
	printf("readv of 8 bytes into 8+100: %s\n", res(readv(p[0], in, 2)));
	CHECK(write(p[1], "xyz", 3) == 3);
	printf("readv of 3 bytes into 8+100: %s [%.3s]\n", res(readv(p[0], in, 2)), a);
	alarm(0);
	printf("writev of 2+4+1: %s\n", res(writev(p[1], three, 3)));
	printf("read it back: %s\n", res(read(p[0], out, sizeof(out))));
	close(p[0]);
	close(p[1]);
}

int main(int argc, char **argv)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	close_extra_fds();
	if (argc > 1 && strcmp(argv[1], "die") == 0) {
		int p[2];
		signal(SIGPIPE, SIG_DFL);
		CHECK(pipe(p) == 0);
		close(p[0]);
		printf("about to write with no reader\n");
		fflush(stdout);
		write(p[1], "x", 1);
		printf("still alive\n");
		return 0;
	}
	basics();
	nonblocking();
	no_reader();
	vectors();
	return 0;
}
