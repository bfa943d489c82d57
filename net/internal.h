/* Internal to net/: the built-in families. */
#ifndef NET_INTERNAL_H
#define NET_INTERNAL_H

#include <mote/socket.h>

/* AF_UNIX (net/unix.c). */
extern const struct socket_family unix_family;

#endif
