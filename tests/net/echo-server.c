/*
 * tests/net/echo-server.c: the guest side of tests/net/protocol-check.py.
 *
 * One process, one poll() loop, non-blocking sockets, so that it runs the
 * same under mote, in the Linux guest and natively:
 *   TCP port 7   echo: every byte read is written back; after the client's
 *                half-close (read returns 0) what is pending is sent, then
 *                the connection is closed.
 *   UDP port 7   echo: every datagram is sent back to its sender.
 *   TCP port 19  source: the client writes a decimal byte count and '\n';
 *                the server sends that many bytes of the pattern i % 251
 *                (so a lost or repeated block shows), then closes.
 * A connection reset or any error closes that connection only; the server
 * never exits on a client's behaviour. Ports can be moved: echo-server
 * [ECHO_PORT [SOURCE_PORT]] (for a native run without root).
 * Prints "echo-server: ready" on stdout once every socket listens.
 *
 * Built static with musl-gcc (bench/net/build.mk: build/net/echo-server).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_CONNS 1024
#define BUF_SIZE  65536

enum kind { ECHO, SOURCE };

struct conn {
	enum kind kind;
	char *buf;		/* echo: bytes read, not yet written back */
	size_t len, off;
	int eof;		/* echo: the client half-closed */
	char line[24];		/* source: the count, as read so far */
	size_t line_len;
	unsigned long long left, sent;	/* source: bytes still to send, sent so far */
};

static struct pollfd pfds[MAX_CONNS + 3];
static struct conn conns[MAX_CONNS + 3];
static int nfds;

static int listen_on(int type, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int one = 1, fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		fprintf(stderr, "echo-server: socket: %s\n", strerror(errno));
		exit(1);
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || (type == SOCK_STREAM && listen(fd, 128) < 0)) {
		fprintf(stderr, "echo-server: port %d: %s\n", port, strerror(errno));
		exit(1);
	}
	return fd;
}

static void drop(int i)
{
	close(pfds[i].fd);
	free(conns[i].buf);
	nfds--;
	pfds[i] = pfds[nfds];
	conns[i] = conns[nfds];
}

static void accept_all(int lfd, enum kind kind)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (nfds == MAX_CONNS + 3) {
			close(fd);
			continue;
		}
		conns[nfds] = (struct conn){ .kind = kind };
		if (kind == ECHO && !(conns[nfds].buf = malloc(BUF_SIZE))) {
			close(fd);
			continue;
		}
		pfds[nfds] = (struct pollfd){ .fd = fd, .events = POLLIN };
		nfds++;
	}
}

static void udp_echo(int fd)
{
	static char dgram[65536];
	struct sockaddr_in from;

	for (;;) {
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, dgram, sizeof(dgram), 0, (struct sockaddr *)&from, &fl);
		if (n < 0)
			return;
		sendto(fd, dgram, (size_t)n, 0, (struct sockaddr *)&from, fl);
	}
}

/* Returns 0 to keep the connection, -1 to drop it. */
static int echo_step(struct conn *c, int fd)
{
	if (c->len == 0 && !c->eof) {
		ssize_t n = read(fd, c->buf, BUF_SIZE);
		if (n == 0)
			c->eof = 1;
		else if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		else
			c->len = (size_t)n, c->off = 0;
	}
	while (c->off < c->len) {
		ssize_t n = write(fd, c->buf + c->off, c->len - c->off);
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		c->off += (size_t)n;
	}
	c->len = c->off = 0;
	return c->eof ? -1 : 0;
}

static int source_step(struct conn *c, int fd)
{
	static char chunk[BUF_SIZE];

	if (!c->left && c->line_len < sizeof(c->line)) {
		ssize_t n = read(fd, c->line + c->line_len, sizeof(c->line) - 1 - c->line_len);
		if (n <= 0)
			return n < 0 && errno == EAGAIN ? 0 : -1;
		c->line_len += (size_t)n;
		c->line[c->line_len] = '\0';
		if (!strchr(c->line, '\n'))
			return c->line_len < sizeof(c->line) - 1 ? 0 : -1;
		c->left = strtoull(c->line, NULL, 10);
		c->line_len = sizeof(c->line);	/* the count is read */
		if (!c->left)
			return -1;
	}
	while (c->left) {
		size_t want = c->left < sizeof(chunk) ? (size_t)c->left : sizeof(chunk);
		for (size_t i = 0; i < want; i++)
			chunk[i] = (char)((c->sent + i) % 251);
		ssize_t n = write(fd, chunk, want);
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		c->sent += (unsigned long long)n;
		c->left -= (unsigned long long)n;
	}
	shutdown(fd, SHUT_WR);
	return -1;
}

int main(int argc, char **argv)
{
	int echo_port = argc > 1 ? atoi(argv[1]) : 7, source_port = argc > 2 ? atoi(argv[2]) : 19;

	signal(SIGPIPE, SIG_IGN);
	pfds[0] = (struct pollfd){ .fd = listen_on(SOCK_STREAM, echo_port), .events = POLLIN };
	pfds[1] = (struct pollfd){ .fd = listen_on(SOCK_DGRAM, echo_port), .events = POLLIN };
	pfds[2] = (struct pollfd){ .fd = listen_on(SOCK_STREAM, source_port), .events = POLLIN };
	nfds = 3;
	printf("echo-server: ready (tcp+udp %d, source tcp %d)\n", echo_port, source_port);
	fflush(stdout);
	for (;;) {
		if (poll(pfds, (nfds_t)nfds, -1) < 0)
			continue;
		if (pfds[0].revents)
			accept_all(pfds[0].fd, ECHO);
		if (pfds[1].revents)
			udp_echo(pfds[1].fd);
		if (pfds[2].revents)
			accept_all(pfds[2].fd, SOURCE);
		for (int i = 3; i < nfds; i++) {
			struct conn *c = &conns[i];
			if (!pfds[i].revents)
				continue;
			int st = c->kind == ECHO ? echo_step(c, pfds[i].fd) : source_step(c, pfds[i].fd);
			if (st < 0) {
				drop(i--);
				continue;
			}
			pfds[i].events = (c->kind == ECHO ? c->len > c->off : c->left != 0) ? POLLOUT : POLLIN;
		}
	}
}
