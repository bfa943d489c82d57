/*
 * sockcompat.h: what the socket compatibility programs share beyond
 * compat.h: names for the networking errno values (compat.h's table stops
 * before them) and a result formatter that knows them.
 */
#ifndef SOCKCOMPAT_H
#define SOCKCOMPAT_H

#include "compat.h"
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

/* Whether TCP and UDP ports port .. port + n - 1 can be bound on the loopback now. */
static inline int ports_free(int port, int n)
{
	static const int types[] = { SOCK_STREAM, SOCK_DGRAM };
	int one = 1, ok = 1;

	for (int i = 0; ok && i < n; i++)
		for (int t = 0; ok && t < 2; t++) {
			struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port + i),
						 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
			int s = socket(AF_INET, types[t], 0);

			ok = s >= 0 && setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
			     bind(s, (struct sockaddr *)&a, sizeof(a)) == 0;
			if (s >= 0)
				close(s);
		}
	return ok;
}

/*
 * The first of n ports the program may use, between lo and 32768: from a
 * per-process start (runs of the suite side by side must not collide; the
 * output shows ports only relative to the base), moving on past ports some
 * other program on the host holds. Below 32768 because Linux hands out
 * ports from 32768 up to connecting sockets, the suite's own clients
 * among them, and one of those (or its TIME-WAIT) on the chosen port made
 * a native run fail with EADDRINUSE. Under mote every port is free and
 * the first choice stands.
 */
static inline int port_base(int lo, int n)
{
	int slots = (32768 - lo) / n, base = lo;

	for (int attempt = 0; attempt < 64; attempt++) {
		base = lo + (int)((getpid() + attempt * 7) % slots) * n;
		if (ports_free(base, n))
			break;
	}
	return base;
}

static inline const char *sock_errname(int e)
{
	static const struct { int no; const char *name; } names[] = {
		{ ENOTSOCK, "ENOTSOCK" }, { EDESTADDRREQ, "EDESTADDRREQ" }, { EMSGSIZE, "EMSGSIZE" },
		{ EPROTOTYPE, "EPROTOTYPE" }, { ENOPROTOOPT, "ENOPROTOOPT" },
		{ EPROTONOSUPPORT, "EPROTONOSUPPORT" }, { ESOCKTNOSUPPORT, "ESOCKTNOSUPPORT" },
		{ EAFNOSUPPORT, "EAFNOSUPPORT" }, { EADDRINUSE, "EADDRINUSE" },
		{ EADDRNOTAVAIL, "EADDRNOTAVAIL" }, { ECONNRESET, "ECONNRESET" },
		{ ENOBUFS, "ENOBUFS" }, { EISCONN, "EISCONN" }, { ENOTCONN, "ENOTCONN" },
		{ ECONNREFUSED, "ECONNREFUSED" }, { EALREADY, "EALREADY" },
		{ EINPROGRESS, "EINPROGRESS" }, { ECONNABORTED, "ECONNABORTED" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].no == e)
			return names[i].name;
	return errname(e);
}

/* res() with the networking names; the value is taken before errno is read. */
static inline const char *sres(long r)
{
	static __thread char bufs[8][40];
	static __thread unsigned next;
	char *b = bufs[next++ % 8];

	if (r == -1)
		snprintf(b, sizeof(bufs[0]), "-1 %s", sock_errname(errno));
	else
		snprintf(b, sizeof(bufs[0]), "%ld", r);
	return b;
}

#endif
