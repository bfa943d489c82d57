/* Internal to net/: the built-in families, the net lock and the network thread. */
#ifndef NET_INTERNAL_H
#define NET_INTERNAL_H

#include <mote/socket.h>

/* AF_UNIX (net/unix.c). */
extern const struct socket_family unix_family;

/*
 * net/ internals: the net lock and the network thread.
 *
 * lwIP runs NO_SYS and is not thread-safe, so every call into it happens
 * with the net lock (a kernel mutex) held: from the network thread
 * (received frames, lwIP's timers) and directly from socket system calls.
 * lwIP's callbacks therefore also run with it held. net_unlock() first
 * delivers frames the caller sent over loopback (lwIP queues them until
 * netif_poll) and tells the network thread when lwIP wants a timer sooner
 * than the thread planned to wake.
 */

void net_lock(void);
void net_unlock(void);

/* Starts lwIP and the network thread if they are not running; 0 or -errno. */
int net_start(void);

/* AF_INET and AF_INET6 sockets (net/inet.c), registered by net_init. */
void inet_init(void);

#endif
