/*
 * mote/socket: sockets as files, and the per-family protocol interface.
 *
 * socket(2) and friends (linux/socket.c) translate user memory into
 * kernel buffers and call the generic layer (net/socket.c), which looks
 * up the family (AF_UNIX: net/unix.c; AF_INET/AF_INET6: net/inet.c over
 * lwIP) and calls its struct socket_ops. As with every file op, socket
 * ops never touch user memory: addresses, data (struct kmsg's iovec) and
 * ancillary data arrive in kernel buffers. SCM_RIGHTS descriptors are
 * turned into struct file references by the Linux layer before sendmsg
 * (kmsg.files) and installed as descriptors after recvmsg, so a protocol
 * never sees a descriptor number.
 *
 * A socket is a struct file whose priv is the struct socket; read, write,
 * poll, ioctl(FIONREAD, FIONBIO) and close work on it like on any file.
 * Blocking calls honour FILE_NONBLOCK on the file, MSG_DONTWAIT, the
 * socket's rcvtimeo/sndtimeo (SO_RCVTIMEO/SO_SNDTIMEO; -EAGAIN when they
 * expire) and thread_interrupt() (-EINTR, or the count moved so far).
 * Readiness changes call poll_notify(&sock->poll, events).
 *
 * Errors are Linux's: -EAFNOSUPPORT unknown family, -EPROTONOSUPPORT /
 * -ESOCKTNOSUPPORT, -EOPNOTSUPP for an op the type lacks (listen on a
 * datagram socket), -ENOTCONN, -EISCONN, -EINPROGRESS (non-blocking
 * connect), -EALREADY, -ECONNREFUSED, -ECONNRESET, -EPIPE (the Linux layer
 * raises SIGPIPE unless MSG_NOSIGNAL), -EADDRINUSE, -EADDRNOTAVAIL,
 * -ENOBUFS/-ENOMEM when out of memory, -EMFILE from the descriptor table.
 */
#ifndef MOTE_SOCKET_H
#define MOTE_SOCKET_H

#include <mote/file.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Families, types and flags: Linux's values. */
#define AF_UNSPEC 0
#define AF_UNIX   1
#define AF_INET   2
#define AF_INET6  10
#define AF_NETLINK 16

#define SOCK_STREAM    1
#define SOCK_DGRAM     2
#define SOCK_RAW       3
#define SOCK_SEQPACKET 5
#define SOCK_TYPE_MASK 0xf
#define SOCK_NONBLOCK  FILE_NONBLOCK
#define SOCK_CLOEXEC   FILE_CLOEXEC

#define MSG_OOB       0x1
#define MSG_PEEK      0x2
#define MSG_DONTROUTE 0x4
#define MSG_CTRUNC    0x8
#define MSG_TRUNC     0x20
#define MSG_DONTWAIT  0x40
#define MSG_EOR       0x80
#define MSG_WAITALL   0x100
#define MSG_NOSIGNAL  0x4000
#define MSG_MORE      0x8000
#define MSG_WAITFORONE 0x10000
#define MSG_CMSG_CLOEXEC 0x40000000

#define SHUT_RD   0
#define SHUT_WR   1
#define SHUT_RDWR 2

#define SOL_SOCKET 1
#define SOL_IP     0
#define SOL_TCP    6
#define SOL_UDP    17
#define SOL_IPV6   41

/* The largest address any family takes (struct sockaddr_storage). */
#define SOCKADDR_MAX 128

struct kiovec {
	void *base;
	size_t len;
};

/*
 * One sendmsg/recvmsg in kernel memory.
 *
 * send: name/namelen is the destination (NULL/0 for a connected socket);
 * files are the descriptors to pass (AF_UNIX SCM_RIGHTS), references the
 * caller keeps and drops after the call (a family that queues them takes
 * references of its own); creds is the sender's identity, which the Linux
 * layer fills (has_creds true; SCM_CREDENTIALS asking for other values is
 * checked there).
 *
 * recv: name points at SOCKADDR_MAX bytes for the source address and the
 * op sets namelen (0 when there is none); the op sets files/nfiles to an
 * mm_malloc'ed array of references that the caller installs or drops and
 * then frees, creds/has_creds when want_creds, and out_flags (MSG_TRUNC,
 * MSG_CTRUNC, MSG_EOR). A datagram op returns the whole datagram's length
 * when the caller passed MSG_TRUNC, else what it copied.
 */
struct kmsg {
	void *name;
	unsigned namelen;
	struct kiovec *iov;
	unsigned iovlen;
	struct file **files;		/* SCM_RIGHTS */
	unsigned nfiles;
	bool want_creds;		/* recv: SO_PASSCRED is set; fill creds */
	bool has_creds;			/* send: creds is set; recv: the op filled creds */
	struct { int32_t pid; uint32_t uid, gid; } creds;
	int out_flags;
};

/* Most descriptors one SCM_RIGHTS message carries (Linux's SCM_MAX_FD). */
#define KMSG_MAX_FILES 253

struct socket;

struct socket_ops {
	int (*bind)(struct socket *s, const void *addr, unsigned len);
	int (*connect)(struct socket *s, const void *addr, unsigned len);
	int (*listen)(struct socket *s, int backlog);
	/* A new connected socket in *out (file_flags for its file: SOCK_NONBLOCK|SOCK_CLOEXEC). */
	int (*accept)(struct socket *s, struct socket **out, unsigned file_flags);
	/* Returns bytes sent or -errno. */
	long (*sendmsg)(struct socket *s, struct kmsg *m, int flags);
	/* Returns bytes received (0 at end of stream) or -errno. */
	long (*recvmsg)(struct socket *s, struct kmsg *m, int flags);
	int (*shutdown)(struct socket *s, int how);
	/* Fills addr (SOCKADDR_MAX bytes) and *len; peer: the remote end (-ENOTCONN if none). */
	int (*getname)(struct socket *s, void *addr, unsigned *len, bool peer);
	/* Options the generic layer does not handle itself (see socket_setsockopt). */
	int (*setsockopt)(struct socket *s, int level, int name, const void *val, unsigned len);
	int (*getsockopt)(struct socket *s, int level, int name, void *val, unsigned *len);
	/* Ready events now; adds w to &s->poll when w is not NULL. */
	unsigned (*poll)(struct socket *s, struct poll_watch *w);
	/* Bytes readable now (FIONREAD / SIOCINQ); -EINVAL if not meaningful. */
	long (*readable)(struct socket *s);
	void (*release)(struct socket *s);
};

struct socket {
	const struct socket_ops *ops;
	struct file *file;		/* not referenced: the file owns the socket */
	int family, type, protocol;
	struct poll_head poll;
	uint64_t rcvtimeo_ns, sndtimeo_ns;	/* 0: no limit */
	int rcvbuf, sndbuf;		/* SO_RCVBUF/SO_SNDBUF as set (Linux doubles on set) */
	bool reuseaddr, reuseport, keepalive, passcred, broadcast;
	bool listening;			/* a listen() succeeded: SO_ACCEPTCONN */
	int pid;			/* the creating process (SO_PEERCRED); see socket_env */
	uint64_t ino;			/* fstat's st_ino, "socket:[ino]" */
	struct { bool on; int secs; } linger;
	void *priv;			/* the family's own state */
};

/*
 * A family: create() sets s->ops and s->priv for the type and protocol
 * (already checked to be a known type), or returns -EPROTONOSUPPORT /
 * -ESOCKTNOSUPPORT / -ENOMEM.
 */
struct socket_family {
	int family;
	int (*create)(struct socket *s, int type, int protocol);
	/* socketpair(2); NULL: -EOPNOTSUPP. */
	int (*pair)(struct socket *a, struct socket *b);
};

/*
 * What a family needs to know about its caller that only the Linux layer
 * knows (net/ sits below linux/): the directory relative AF_UNIX paths
 * start from (referenced; NULL means the root), the umask for the node a
 * bind creates, and the calling process's id. The Linux layer installs it
 * before it creates a socket; until then: root, 022, pid 0 (ktests).
 */
struct vnode;
struct socket_env {
	struct vnode *(*cwd)(void);
	unsigned (*umask)(void);
	int (*pid)(void);
};
void socket_set_env(const struct socket_env *env);
struct vnode *socket_env_cwd(void);
unsigned socket_env_umask(void);
int socket_env_pid(void);

/* Registers a family (at init; a small fixed table). AF_UNIX is built in. */
void socket_family_register(const struct socket_family *fam);

/*
 * A new socket and its file (one reference), flags SOCK_NONBLOCK and
 * SOCK_CLOEXEC taken from type. Returns the file or ERR_PTR(-errno).
 */
struct file *socket_create(int family, int type, int protocol);
/* socketpair(2): two files, or -errno with neither created. */
int socket_create_pair(int family, int type, int protocol, struct file *out[2]);
/*
 * Wraps a socket a protocol made (accept) in a file; on failure the socket
 * is released. Returns the file or ERR_PTR(-errno).
 */
struct file *socket_file(struct socket *s, unsigned file_flags);
/* An empty struct socket for a family's accept() to fill; NULL when out of memory. */
struct socket *socket_alloc(int family, int type, int protocol);
/* Releases and frees a socket that never got a file (ops->release if ops is set). */
void socket_destroy(struct socket *s);
/* listen(2): ops->listen, then marks the socket listening (SO_ACCEPTCONN). */
int socket_listen(struct socket *s, int backlog);

/* The socket of a file, NULL when it is not a socket (-ENOTSOCK for the caller). */
struct socket *socket_of(struct file *f);

/*
 * Deadline for a blocking receive/send on s (clock_monotonic_ns()),
 * honouring the timeout; 0 means none (as waitq_sleep takes it). A wait
 * that reaches it ends with -EAGAIN, as on Linux.
 */
uint64_t socket_rcv_deadline(const struct socket *s);
uint64_t socket_snd_deadline(const struct socket *s);
/* True when an operation on s with msg flags must not block. */
bool socket_nonblocking(const struct socket *s, int flags);

/*
 * setsockopt/getsockopt: SOL_SOCKET options common to every family
 * (SO_REUSEADDR, SO_REUSEPORT, SO_KEEPALIVE, SO_RCVBUF, SO_SNDBUF,
 * SO_RCVTIMEO, SO_SNDTIMEO, SO_LINGER, SO_TYPE, SO_DOMAIN, SO_PROTOCOL,
 * SO_ERROR via the family, SO_PASSCRED, SO_BROADCAST, SO_ACCEPTCONN) are
 * handled here and also passed to the family (which may act on them);
 * everything else goes to the family's op (-ENOPROTOOPT when it has none).
 */
int socket_setsockopt(struct socket *s, int level, int name, const void *val, unsigned len);
int socket_getsockopt(struct socket *s, int level, int name, void *val, unsigned *len);

/* The total length of a kiovec list. */
size_t kiov_total(const struct kiovec *iov, unsigned n);
/*
 * Copies up to n bytes out of / into a kiovec list starting at byte
 * offset off of the list; returns how many were copied.
 */
size_t kiov_to(const struct kiovec *iov, unsigned cnt, size_t off, const void *src, size_t n);
size_t kiov_from(const struct kiovec *iov, unsigned cnt, size_t off, void *dst, size_t n);

/* Option names (Linux's SOL_SOCKET values). */
#define SO_DEBUG     1
#define SO_REUSEADDR 2
#define SO_TYPE      3
#define SO_ERROR     4
#define SO_DONTROUTE 5
#define SO_BROADCAST 6
#define SO_SNDBUF    7
#define SO_RCVBUF    8
#define SO_KEEPALIVE 9
#define SO_OOBINLINE 10
#define SO_LINGER    13
#define SO_REUSEPORT 15
#define SO_PASSCRED  16
#define SO_PEERCRED  17
#define SO_RCVLOWAT  18
#define SO_SNDLOWAT  19
#define SO_RCVTIMEO  20
#define SO_SNDTIMEO  21
#define SO_ACCEPTCONN 30
#define SO_SNDBUFFORCE 32
#define SO_RCVBUFFORCE 33
#define SO_PROTOCOL  38
#define SO_DOMAIN    39

/* Linux's defaults and limits (net.core.wmem_default/_max, SOCK_MIN_*BUF). */
#define SOCK_BUF_DEFAULT 212992
#define SOCK_BUF_MAX     212992
#define SOCK_MIN_SNDBUF  4608
#define SOCK_MIN_RCVBUF  2304

/* ioctl numbers the socket file answers. */
#define SIOCINQ  0x541b		/* = FIONREAD */
#define SIOCOUTQ 0x5411

#endif
