/*
 * sockcompat.h: what the socket compatibility programs share beyond
 * compat.h: names for the networking errno values (compat.h's table stops
 * before them) and a result formatter that knows them.
 */
#ifndef SOCKCOMPAT_H
#define SOCKCOMPAT_H

#include "compat.h"

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
