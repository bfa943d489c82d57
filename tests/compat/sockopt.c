/*
 * SOL_SOCKET options on AF_UNIX sockets: the values Linux gives by
 * default and after a set (buffer sizes doubled and clamped, timeouts as
 * timevals, SO_LINGER, booleans), read-only options, short and long
 * option lengths, SO_ERROR, SO_ACCEPTCONN, and a receive timeout that
 * expires with EAGAIN.
 */
#include "sockcompat.h"
#include <stddef.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

static void get_int(int fd, int name, const char *label)
{
	int v = -7;
	socklen_t len = sizeof(v);
	int r = getsockopt(fd, SOL_SOCKET, name, &v, &len);

	if (r)
		printf("  %-14s %s\n", label, sres(r));
	else
		printf("  %-14s %d (len %d)\n", label, v, (int)len);
}

static void set_int(int fd, int name, int v, const char *label)
{
	int r = setsockopt(fd, SOL_SOCKET, name, &v, sizeof(v));

	printf("  set %-10s %d: %s\n", label, v, sres(r));
}

static void get_tv(int fd, int name, const char *label)
{
	struct timeval tv = { -1, -1 };
	socklen_t len = sizeof(tv);
	int r = getsockopt(fd, SOL_SOCKET, name, &tv, &len);

	printf("  %-14s %s %ld.%06ld (len %d)\n", label, sres(r), (long)tv.tv_sec, (long)tv.tv_usec, (int)len);
}

static void defaults(int fd, const char *kind)
{
	printf("%s defaults\n", kind);
	get_int(fd, SO_TYPE, "SO_TYPE");
	get_int(fd, SO_DOMAIN, "SO_DOMAIN");
	get_int(fd, SO_PROTOCOL, "SO_PROTOCOL");
	get_int(fd, SO_ERROR, "SO_ERROR");
	get_int(fd, SO_REUSEADDR, "SO_REUSEADDR");
	get_int(fd, SO_KEEPALIVE, "SO_KEEPALIVE");
	get_int(fd, SO_PASSCRED, "SO_PASSCRED");
	get_int(fd, SO_ACCEPTCONN, "SO_ACCEPTCONN");
	get_int(fd, SO_SNDBUF, "SO_SNDBUF");
	get_int(fd, SO_RCVBUF, "SO_RCVBUF");
	get_tv(fd, SO_RCVTIMEO, "SO_RCVTIMEO");
	get_tv(fd, SO_SNDTIMEO, "SO_SNDTIMEO");
}

int main(void)
{
	int s, d, sv[2], r;
	struct timeval tv;
	struct linger lg = { 1, 5 };
	socklen_t len;
	char small[2];
	int64_t t0;

	close_extra_fds();
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	d = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK(s >= 0 && d >= 0);
	defaults(s, "stream");
	defaults(d, "dgram");

	printf("round trips\n");
	set_int(s, SO_REUSEADDR, 1, "SO_REUSEADDR");
	get_int(s, SO_REUSEADDR, "SO_REUSEADDR");
	set_int(s, SO_KEEPALIVE, 5, "SO_KEEPALIVE");
	get_int(s, SO_KEEPALIVE, "SO_KEEPALIVE");
	set_int(s, SO_PASSCRED, 1, "SO_PASSCRED");
	get_int(s, SO_PASSCRED, "SO_PASSCRED");
	set_int(s, SO_SNDBUF, 10000, "SO_SNDBUF");
	get_int(s, SO_SNDBUF, "SO_SNDBUF");
	set_int(s, SO_SNDBUF, 1, "SO_SNDBUF");
	get_int(s, SO_SNDBUF, "SO_SNDBUF");
	/* Not above net.core.wmem_max: hosts set that differently. */
	set_int(s, SO_RCVBUF, 50000, "SO_RCVBUF");
	get_int(s, SO_RCVBUF, "SO_RCVBUF");
	set_int(s, SO_RCVBUF, 0, "SO_RCVBUF");
	get_int(s, SO_RCVBUF, "SO_RCVBUF");
	tv = (struct timeval){ 2, 500000 };
	printf("  set SO_RCVTIMEO 2.5s: %s\n", sres(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))));
	get_tv(s, SO_RCVTIMEO, "SO_RCVTIMEO");
	tv = (struct timeval){ 0, 2000000 };
	printf("  set SO_SNDTIMEO usec 2000000: %s\n",
	       sres(setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv))));
	printf("  set SO_SNDTIMEO short: %s\n", sres(setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, 8)));
	printf("  set SO_LINGER: %s\n", sres(setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg))));
	lg = (struct linger){ -1, -1 };
	len = sizeof(lg);
	r = getsockopt(s, SOL_SOCKET, SO_LINGER, &lg, &len);
	printf("  get SO_LINGER: %s on %d secs %d len %d\n", sres(r), lg.l_onoff, lg.l_linger, (int)len);
	printf("  set SO_LINGER short: %s\n", sres(setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, 4)));
	len = sizeof(small);
	memset(small, 0x55, sizeof(small));
	r = getsockopt(s, SOL_SOCKET, SO_TYPE, small, &len);
	printf("  get SO_TYPE into 2 bytes: %s len %d bytes %02x %02x\n", sres(r), (int)len,
	       (unsigned char)small[0], (unsigned char)small[1]);
	{
		int big[4] = { -1, -1, -1, -1 };

		len = sizeof(big);
		r = getsockopt(s, SOL_SOCKET, SO_TYPE, big, &len);
		printf("  get SO_TYPE into 16 bytes: %s len %d\n", sres(r), (int)len);
	}

	printf("listening\n");
	{
		struct sockaddr_un a = { .sun_family = AF_UNIX };
		socklen_t alen;

		/* The abstract namespace is the host's: a name per process. */
		snprintf(a.sun_path + 1, sizeof(a.sun_path) - 1, "sockopt-%d", (int)getpid());
		alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(a.sun_path + 1));
		CHECK(bind(s, (struct sockaddr *)&a, alen) == 0);
		CHECK(listen(s, 3) == 0);
		get_int(s, SO_ACCEPTCONN, "SO_ACCEPTCONN");
	}

	printf("receive timeout\n");
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	tv = (struct timeval){ 0, 200000 };
	CHECK(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0);
	t0 = now_ns();
	{
		char c;
		ssize_t r = read(sv[0], &c, 1);

		printf("  read: %s after at least 150 ms: %d\n", sres(r), now_ns() - t0 >= 150000000);
	}
	close(sv[0]);
	close(sv[1]);
	close(s);
	close(d);
	printf("done\n");
	return 0;
}
