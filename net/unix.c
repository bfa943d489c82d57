/*
 * AF_UNIX sockets: SOCK_STREAM, SOCK_DGRAM and SOCK_SEQPACKET, on one
 * machine, so "the network" is a queue of messages (struct ux_skb) on the
 * receiving socket.
 *
 * Locking: one mutex, unix_mtx, guards every AF_UNIX socket's state: a
 * send touches two sockets, connect three (client, listener, the new
 * server end), and a global lock makes all of that plain code with no
 * lock order to get wrong. Data is copied into a message before the lock
 * is taken and out of it with the lock held (a copy is at most 64 KiB).
 * Nobody sleeps holding it: a waiter notes its socket's `seq` under the
 * socket's wait-queue lock, drops unix_mtx and sleeps until seq moves;
 * whoever changes a socket's state bumps seq (ux_kick) after the change,
 * with unix_mtx held, so no wake-up falls between the test and the sleep.
 * One queue per socket carries every kind of wake-up (data, room,
 * connection, hang-up); sleepers re-check, which is cheap.
 *
 * Lifetime: a struct unix_sock is counted (`refs`, under unix_mtx): one
 * for its socket, one per message it sent that still sits in a queue
 * (the sender's send-buffer accounting, as Linux charges skbs to the
 * sender), one per socket that names it as peer. So a peer's address and
 * a sender's accounting outlive a close. The struct socket goes at close
 * (u->sock becomes NULL). Files and sockets are released only after
 * unix_mtx is dropped: closing a passed descriptor may close an AF_UNIX
 * socket, which takes unix_mtx.
 *
 * Connections work as Linux's: connect() makes the server's end at once
 * (an "embryo", a struct socket without a file yet), pairs it with the
 * client and queues it on the listener; accept() takes it off. So a
 * client may send before it is accepted, and a full backlog (more than
 * `backlog` waiting) makes connect wait, or fail with -EAGAIN.
 *
 * Names: abstract addresses (sun_path[0] == 0) live only in the list of
 * bound sockets. A pathname bind creates a regular file at the path as a
 * placeholder (the VFS has no socket nodes): it makes the name visible,
 * gives EADDRINUSE when the path exists, and is what connect() finds:
 * sockets are matched by the placeholder's vnode, so a renamed or
 * hard-linked name still leads to its socket, and an unlinked one does not.
 *
 * Not done: garbage collection of sockets passed over themselves (a file
 * in flight in its own queue keeps itself alive; Linux's unix_gc frees such
 * cycles: here they leak, harmlessly), MSG_OOB, SO_PEEK_OFF, SCM_RIGHTS
 * with MSG_PEEK (the files are not duplicated), SO_PASSSEC.
 */
#include <lib/err.h>
#include <lib/errno.h>
#include <lib/list.h>
#include <lib/string.h>
#include <mote/mm.h>
#include <mote/socket.h>
#include <mote/sync.h>
#include <mote/vfs.h>
#include "internal.h"

#define SUN_OFF        2		/* offsetof(struct sockaddr_un, sun_path) */
#define SUN_MAX        110		/* sizeof(struct sockaddr_un) */
#define UX_CHUNK       (64 * 1024)	/* largest message a stream write makes */
#define UX_DGRAM_QLEN  10		/* net.unix.max_dgram_qlen */
#define UX_SOMAXCONN   4096
#define UX_MSG_OVERHEAD 32		/* what a datagram may not use of SO_SNDBUF */
#define UX_MAX_NEST    8		/* sockets in flight inside sockets in flight */

enum { SHUT_RCV = 1, SHUT_SEND = 2, SHUT_BOTH = 3 };
enum ux_state { UX_UNCONNECTED, UX_LISTENING, UX_CONNECTED };

struct ux_addr {
	unsigned len;			/* 0: unbound */
	char bytes[SUN_MAX];		/* as getsockname gives it: family, then the name */
};

struct unix_sock;

struct ux_skb {
	struct list_node node;
	struct unix_sock *sender;	/* referenced: its wmem is charged */
	size_t len, off;		/* off: bytes a stream read already took */
	struct file **files;		/* SCM_RIGHTS, referenced */
	unsigned nfiles;
	struct { int32_t pid; uint32_t uid, gid; } creds;
	unsigned nest;			/* 1 + the deepest nest of AF_UNIX sockets among files */
	struct ux_addr from;		/* the sender's name (recvfrom) */
	char data[];
};

struct unix_sock {
	struct socket *sock;		/* NULL once closed */
	unsigned refs;
	int type;
	enum ux_state state;
	unsigned shut;			/* SHUT_RCV | SHUT_SEND */
	int err;			/* pending error (SO_ERROR, ECONNRESET) */
	bool dead;			/* closed */
	struct unix_sock *peer;		/* referenced */
	int peer_pid;			/* SO_PEERCRED */
	struct ux_addr addr;
	struct vnode *node;		/* the placeholder of a pathname bind, referenced */
	struct list_node bound;		/* in unix_bound while it has a name */
	struct list_node rcvq;		/* struct ux_skb */
	size_t rcv_bytes;
	unsigned rcv_count;
	size_t wmem;			/* bytes of its messages queued somewhere */
	unsigned nest;			/* deepest skb nest ever queued here (never shrinks) */
	struct list_node acceptq;	/* embryos (struct unix_sock via accept_node) */
	struct list_node accept_node;
	unsigned backlog, nacc;
	struct waitq wq;
	unsigned seq;			/* under wq.lock: moves on every state change */
};

static struct mutex unix_mtx = MUTEX_INIT(unix_mtx);
static struct list_node unix_bound = LIST_INIT(unix_bound);
static unsigned autobind_next;

static const struct socket_ops unix_stream_ops, unix_dgram_ops;

static struct unix_sock *ux(struct socket *s)
{
	return s->priv;
}

/* ---- Lifetime and wake-ups -------------------------------------------------------- */

static struct unix_sock *ux_get(struct unix_sock *u)
{
	u->refs++;
	return u;
}

static void ux_put(struct unix_sock *u)
{
	if (u && !--u->refs)
		mm_free(u);
}

/* unix_mtx held: u's state changed; wakes its sleepers and tells its watchers. */
static void ux_wake(struct unix_sock *u);

static void ux_kick(struct unix_sock *u, unsigned events)
{
	ux_wake(u);
	if (u->sock)
		poll_notify(&u->sock->poll, events);
}

/* unix_mtx held: wakes u's sleepers without telling its watchers (nothing they see changed). */
static void ux_wake(struct unix_sock *u)
{
	unsigned long flags = spin_lock_irqsave(&u->wq.lock);

	u->seq++;
	waitq_wake_locked(&u->wq, ~0u);
	spin_unlock_irqrestore(&u->wq.lock, flags);
}

/*
 * unix_mtx held: sleeps until u's state moves, the deadline passes
 * (-EAGAIN, as an expired SO_RCVTIMEO) or the thread is interrupted
 * (-EINTR). unix_mtx is held again on return. The caller keeps u alive.
 */
static int ux_wait(struct unix_sock *u, uint64_t deadline)
{
	unsigned long flags = spin_lock_irqsave(&u->wq.lock);
	unsigned seen = u->seq;
	int ret = 0;

	spin_unlock_irqrestore(&u->wq.lock, flags);
	mutex_unlock(&unix_mtx);
	flags = spin_lock_irqsave(&u->wq.lock);
	while (u->seq == seen && !ret) {
		struct waiter w;

		waitq_add(&u->wq, &w);
		ret = waitq_sleep(&w, deadline, WAIT_INTERRUPTIBLE);
	}
	spin_unlock_irqrestore(&u->wq.lock, flags);
	mutex_lock(&unix_mtx);
	return ret == -ETIMEDOUT ? -EAGAIN : ret;
}

static struct unix_sock *ux_new(struct socket *s, int type)
{
	struct unix_sock *u = mm_calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	u->sock = s;
	u->refs = 1;
	u->type = type;
	list_init(&u->rcvq);
	list_init(&u->acceptq);
	list_init(&u->bound);
	waitq_init(&u->wq);
	s->priv = u;
	s->ops = type == SOCK_DGRAM ? &unix_dgram_ops : &unix_stream_ops;
	return u;
}

static bool connection_based(const struct unix_sock *u)
{
	return u->type != SOCK_DGRAM;
}

/* ---- Messages ------------------------------------------------------------------------ */

/* A message of n bytes from m's iovec at offset off, with m's files if with_files. */
static struct ux_skb *skb_make(const struct kmsg *m, size_t off, size_t n, bool with_files)
{
	struct ux_skb *skb = mm_malloc(sizeof(*skb) + n);

	if (!skb)
		return NULL;
	memset(skb, 0, sizeof(*skb));
	skb->len = n;
	kiov_from(m->iov, m->iovlen, off, skb->data, n);
	skb->creds.pid = m->has_creds ? m->creds.pid : socket_env_pid();
	skb->creds.uid = m->has_creds ? m->creds.uid : 0;
	skb->creds.gid = m->has_creds ? m->creds.gid : 0;
	if (with_files && m->nfiles) {
		if (!(skb->files = mm_malloc(m->nfiles * sizeof(*skb->files)))) {
			mm_free(skb);
			return NULL;
		}
		for (unsigned i = 0; i < m->nfiles; i++) {
			skb->files[i] = m->files[i];
			file_get(m->files[i]);
		}
		skb->nfiles = m->nfiles;
	}
	return skb;
}

/* Frees a message off every queue, dropping its files (no unix_mtx held). */
static void skb_free(struct ux_skb *skb)
{
	for (unsigned i = 0; i < skb->nfiles; i++)
		file_put(skb->files[i]);
	mm_free(skb->files);
	mm_free(skb);
}

/*
 * unix_mtx held: how deep AF_UNIX sockets nest in skb's files (a socket
 * in flight whose own queue holds sockets in flight ...), or
 * -ETOOMANYREFS past UX_MAX_NEST (older Linux stops at 4, newer ones
 * collect instead; 8 is more than programs use). The bound keeps the chain of
 * releases that closing one socket can start short (each level is a
 * nested call), and a socket passed over itself cannot grow it forever.
 */
static int skb_nest(struct ux_skb *skb)
{
	unsigned nest = 0;

	for (unsigned i = 0; i < skb->nfiles; i++) {
		struct socket *s = socket_of(skb->files[i]);

		if (s && s->family == AF_UNIX && ux(s)->nest > nest)
			nest = ux(s)->nest;
	}
	if (nest + 1 > UX_MAX_NEST && skb->nfiles)
		return -ETOOMANYREFS;
	skb->nest = skb->nfiles ? nest + 1 : 0;
	return 0;
}

/* unix_mtx held: queues skb from u on to, charging u. */
static void skb_queue(struct unix_sock *u, struct unix_sock *to, struct ux_skb *skb)
{
	if (skb->nest > to->nest)
		to->nest = skb->nest;
	skb->sender = ux_get(u);
	skb->from = u->addr;
	u->wmem += skb->len;
	list_add_tail(&to->rcvq, &skb->node);
	to->rcv_bytes += skb->len - skb->off;
	to->rcv_count++;
	ux_kick(to, POLLIN | POLLRDNORM);
}

/* unix_mtx held: takes skb off u's queue and gives its sender the room back. */
static void skb_unlink(struct unix_sock *u, struct ux_skb *skb)
{
	struct unix_sock *from = skb->sender;

	list_remove(&skb->node);
	u->rcv_bytes -= skb->len - skb->off;
	u->rcv_count--;
	from->wmem -= skb->len;
	ux_kick(from, POLLOUT | POLLWRNORM | POLLWRBAND);
	ux_put(from);
	skb->sender = NULL;
	if (u->type == SOCK_DGRAM)
		ux_wake(u);	/* senders waiting for a slot in u's queue */
}

/* unix_mtx held: moves u's whole queue to `out` (to be freed after the unlock). */
static void rcvq_take_all(struct unix_sock *u, struct list_node *out)
{
	struct list_node *n, *tmp;

	list_for_each_safe(n, tmp, &u->rcvq) {
		struct ux_skb *skb = list_entry(n, struct ux_skb, node);

		skb_unlink(u, skb);
		list_add_tail(out, &skb->node);
	}
}

static void skb_free_list(struct list_node *list)
{
	struct list_node *n, *tmp;

	list_for_each_safe(n, tmp, list) {
		list_remove(n);
		skb_free(list_entry(n, struct ux_skb, node));
	}
}

/* ---- Addresses ----------------------------------------------------------------------- */

/*
 * Checks a sockaddr_un and makes it canonical in *a: a pathname address
 * ends at its first NUL (Linux's length: family + path + NUL), an
 * abstract one is all len bytes. 0 or -EINVAL.
 */
static int addr_parse(const void *addr, unsigned len, struct ux_addr *a)
{
	uint16_t family;

	if (len < SUN_OFF || len > SUN_MAX)
		return -EINVAL;
	memcpy(&family, addr, sizeof(family));
	if (family != AF_UNIX)
		return -EINVAL;
	memset(a, 0, sizeof(*a));
	memcpy(a->bytes, addr, len);
	a->len = len;
	if (len > SUN_OFF && a->bytes[SUN_OFF]) {
		size_t n = strnlen(a->bytes + SUN_OFF, len - SUN_OFF);

		if (SUN_OFF + n == SUN_MAX)
			return -EINVAL;	/* no room for the NUL Linux adds */
		a->len = SUN_OFF + (unsigned)n + 1;
	}
	return 0;
}

static bool addr_abstract(const struct ux_addr *a)
{
	return a->len > SUN_OFF && !a->bytes[SUN_OFF];
}

/* unix_mtx held: the socket bound to abstract name a (of the type, unless 0), or NULL. */
static struct unix_sock *find_abstract(const struct ux_addr *a, int type)
{
	struct list_node *n;

	list_for_each(n, &unix_bound) {
		struct unix_sock *u = list_entry(n, struct unix_sock, bound);

		if (!u->node && u->addr.len == a->len && !memcmp(u->addr.bytes, a->bytes, a->len) &&
		    (!type || u->type == type))
			return u;
	}
	return NULL;
}

/* unix_mtx held: the socket whose placeholder is vn, or NULL. */
static struct unix_sock *find_node(const struct vnode *vn)
{
	struct list_node *n;

	list_for_each(n, &unix_bound) {
		struct unix_sock *u = list_entry(n, struct unix_sock, bound);

		if (u->node == vn)
			return u;
	}
	return NULL;
}

/*
 * unix_mtx held: the live socket of the given type that a names,
 * referenced; or -ENOENT (no such path), -ECONNREFUSED (nobody bound
 * there), -EPROTOTYPE (another type).
 */
static struct unix_sock *find_peer(const struct ux_addr *a, int type)
{
	struct unix_sock *u;

	if (addr_abstract(a)) {
		u = find_abstract(a, type);	/* Linux keys abstract names by type too */
	} else {
		struct vnode *cwd = socket_env_cwd(), *vn;
		int ret = a->len > SUN_OFF ? vfs_lookup(cwd, a->bytes + SUN_OFF, 0, &vn) : -EINVAL;

		if (cwd)
			vnode_put(cwd);
		if (ret)
			return ERR_PTR(ret);
		u = find_node(vn);
		vnode_put(vn);
	}
	if (!u || u->dead)
		return ERR_PTR(-ECONNREFUSED);
	if (u->type != type)
		return ERR_PTR(-EPROTOTYPE);
	return ux_get(u);
}

/* unix_mtx held: binds u to an unused abstract name of five hex digits. */
static int autobind(struct unix_sock *u)
{
	static const char hex[] = "0123456789abcdef";
	struct ux_addr a = { .len = SUN_OFF + 6 };

	a.bytes[0] = AF_UNIX;
	for (unsigned tries = 0; tries < 0x100000; tries++) {
		unsigned v = autobind_next++ & 0xfffff;

		for (int i = 0; i < 5; i++)
			a.bytes[SUN_OFF + 1 + i] = hex[(v >> (16 - 4 * i)) & 0xf];
		if (!find_abstract(&a, 0)) {
			u->addr = a;
			list_add_tail(&unix_bound, &u->bound);
			return 0;
		}
	}
	return -ENOSPC;
}

/* Creates the placeholder of a pathname bind: its vnode, referenced, or ERR_PTR. */
static struct vnode *make_node(const char *path)
{
	struct vnode *cwd = socket_env_cwd(), *vn;
	struct file *f = vfs_open(cwd, path, VFS_O_CREAT | VFS_O_EXCL | VFS_O_WRONLY,
				  0777 & ~socket_env_umask());

	if (cwd)
		vnode_put(cwd);
	if (IS_ERR(f))
		return ERR_PTR(PTR_ERR(f));
	vn = f->vnode;
	vnode_get(vn);
	file_put(f);
	return vn;
}

static int unix_bind(struct socket *s, const void *addr, unsigned len)
{
	struct unix_sock *u = ux(s);
	struct ux_addr a;
	struct vnode *vn;
	int ret = addr_parse(addr, len, &a);

	if (ret)
		return ret;
	mutex_lock(&unix_mtx);
	if (u->addr.len)
		ret = -EINVAL;
	else if (a.len == SUN_OFF)
		ret = autobind(u);
	else if (addr_abstract(&a))
		ret = find_abstract(&a, u->type) ? -EADDRINUSE : 0;
	else if (IS_ERR(vn = make_node(a.bytes + SUN_OFF)))
		ret = PTR_ERR(vn) == -EEXIST ? -EADDRINUSE : (int)PTR_ERR(vn);
	else
		u->node = vn;
	if (!ret && a.len != SUN_OFF) {
		u->addr = a;
		list_add_tail(&unix_bound, &u->bound);
	}
	mutex_unlock(&unix_mtx);
	return ret;
}

static int unix_getname(struct socket *s, void *addr, unsigned *len, bool peer)
{
	struct unix_sock *u = ux(s);
	const struct unix_sock *who;
	int ret = 0;

	mutex_lock(&unix_mtx);
	who = peer ? u->peer : u;
	if (!who) {
		ret = -ENOTCONN;
	} else if (who->addr.len) {
		memcpy(addr, who->addr.bytes, who->addr.len);
		*len = who->addr.len;
	} else {
		uint16_t family = AF_UNIX;

		memcpy(addr, &family, sizeof(family));
		*len = SUN_OFF;
	}
	mutex_unlock(&unix_mtx);
	return ret;
}

/* ---- Connections ----------------------------------------------------------------------- */

static int unix_listen(struct socket *s, int backlog)
{
	struct unix_sock *u = ux(s);
	int ret = 0;

	if (!connection_based(u))
		return -EOPNOTSUPP;
	mutex_lock(&unix_mtx);
	if (!u->addr.len || u->state == UX_CONNECTED) {
		ret = -EINVAL;
	} else {
		u->backlog = (unsigned)backlog > UX_SOMAXCONN ? UX_SOMAXCONN : (unsigned)backlog;
		u->state = UX_LISTENING;
		u->peer_pid = s->pid;
		ux_kick(u, 0);	/* connectors waiting for a backlog slot look again */
	}
	mutex_unlock(&unix_mtx);
	return ret;
}

/* unix_mtx held: a and b become each other's peer. */
static void ux_pair(struct unix_sock *a, struct unix_sock *b, int a_pid, int b_pid)
{
	a->peer = ux_get(b);
	b->peer = ux_get(a);
	a->peer_pid = b_pid;
	b->peer_pid = a_pid;
	if (connection_based(a))
		a->state = b->state = UX_CONNECTED;
}

/* The server's end of a new connection to listener l, without a file. */
static struct unix_sock *embryo_make(struct unix_sock *l)
{
	struct socket *s = socket_alloc(AF_UNIX, l->type, 0);
	struct unix_sock *e;

	if (!s)
		return NULL;
	if (!(e = ux_new(s, l->type))) {
		mm_free(s);
		return NULL;
	}
	e->addr = l->addr;	/* getsockname on the accepted socket: the listener's name */
	return e;
}

/*
 * unix_mtx held: waits until listener l has room in its backlog. 0, or
 * -ECONNREFUSED (it stopped listening), -EAGAIN, -EINTR.
 */
static int wait_backlog(struct unix_sock *u, struct unix_sock *l)
{
	uint64_t deadline = socket_snd_deadline(u->sock);
	int ret;

	for (;;) {
		if (l->dead || l->state != UX_LISTENING)
			return -ECONNREFUSED;
		if (l->nacc <= l->backlog)
			return 0;
		if (socket_nonblocking(u->sock, 0))
			return -EAGAIN;
		if ((ret = ux_wait(l, deadline)))
			return ret;
	}
}

static int stream_connect(struct unix_sock *u, const struct ux_addr *a)
{
	struct unix_sock *l, *e = NULL;
	int ret;

	l = find_peer(a, u->type);	/* Linux looks the name up first */
	if (IS_ERR(l))
		return (int)PTR_ERR(l);
	if (u->state != UX_UNCONNECTED) {
		ux_put(l);
		return u->state == UX_CONNECTED ? -EISCONN : -EINVAL;
	}
	ret = wait_backlog(u, l);
	if (!ret && u->state != UX_UNCONNECTED)
		ret = u->state == UX_CONNECTED ? -EISCONN : -EINVAL;	/* raced while waiting */
	if (!ret && !(e = embryo_make(l)))
		ret = -ENOMEM;
	if (!ret) {
		e->sock->pid = l->sock ? l->sock->pid : 0;
		ux_pair(u, e, u->sock->pid, l->peer_pid);
		list_add_tail(&l->acceptq, &e->accept_node);
		l->nacc++;
		ux_kick(l, POLLIN | POLLRDNORM);
		ux_kick(u, POLLOUT | POLLWRNORM);
	}
	ux_put(l);
	return ret;
}

/* Connecting a datagram socket names its default destination; a NULL a (AF_UNSPEC) forgets it. */
static int dgram_connect(struct unix_sock *u, const struct ux_addr *a)
{
	struct unix_sock *t = NULL;

	if (a) {
		t = find_peer(a, u->type);
		if (IS_ERR(t))
			return (int)PTR_ERR(t);
		u->peer_pid = t->sock ? t->sock->pid : 0;
	}
	ux_put(u->peer);
	u->peer = t;
	if (t)
		ux_kick(u, POLLOUT | POLLWRNORM);
	return 0;
}

static int unix_connect(struct socket *s, const void *addr, unsigned len)
{
	struct unix_sock *u = ux(s);
	struct ux_addr a;
	uint16_t family;
	int ret;

	if (len >= sizeof(family) && !connection_based(u)) {
		memcpy(&family, addr, sizeof(family));
		if (family == AF_UNSPEC) {
			mutex_lock(&unix_mtx);
			ret = dgram_connect(u, NULL);
			mutex_unlock(&unix_mtx);
			return ret;
		}
	}
	if ((ret = addr_parse(addr, len, &a)))
		return ret;
	if (a.len == SUN_OFF)
		return -EINVAL;
	mutex_lock(&unix_mtx);
	ret = connection_based(u) ? stream_connect(u, &a) : dgram_connect(u, &a);
	mutex_unlock(&unix_mtx);
	return ret;
}

static int unix_accept(struct socket *s, struct socket **out, unsigned file_flags)
{
	struct unix_sock *u = ux(s), *e;
	uint64_t deadline = socket_rcv_deadline(s);
	int ret = 0;

	(void)file_flags;
	if (!connection_based(u))
		return -EOPNOTSUPP;
	mutex_lock(&unix_mtx);
	while (!ret) {
		if (u->state != UX_LISTENING) {
			ret = -EINVAL;
		} else if (!list_empty(&u->acceptq)) {
			e = list_entry(list_first(&u->acceptq), struct unix_sock, accept_node);
			list_remove(&e->accept_node);
			u->nacc--;
			*out = e->sock;
			ux_kick(u, 0);	/* a connector waiting for room */
			break;
		} else if (socket_nonblocking(s, 0)) {
			ret = -EAGAIN;
		} else {
			ret = ux_wait(u, deadline);
		}
	}
	mutex_unlock(&unix_mtx);
	return ret;
}

static int unix_shutdown(struct socket *s, int how)
{
	struct unix_sock *u = ux(s);
	unsigned mode = ((unsigned)how + 1) & SHUT_BOTH;

	mutex_lock(&unix_mtx);
	u->shut |= mode;
	ux_kick(u, POLLIN | POLLOUT | POLLRDHUP | POLLHUP);
	if (u->peer && connection_based(u)) {
		struct unix_sock *p = u->peer;

		p->shut |= (mode & SHUT_RCV ? SHUT_SEND : 0) | (mode & SHUT_SEND ? SHUT_RCV : 0);
		ux_kick(p, POLLIN | POLLOUT | POLLRDHUP | POLLHUP);
	}
	mutex_unlock(&unix_mtx);
	return 0;
}

/* ---- Sending ----------------------------------------------------------------------------- */

/* unix_mtx held: why a stream/seqpacket socket cannot send now (0: it can). */
static int stream_send_error(struct unix_sock *u)
{
	if (u->state != UX_CONNECTED)
		return -ENOTCONN;
	if ((u->shut & SHUT_SEND) || !u->peer || u->peer->dead || (u->peer->shut & SHUT_RCV))
		return -EPIPE;
	return 0;
}

/* unix_mtx held: waits for send room on u; 0, or the error to return. */
static int wait_room(struct unix_sock *u, int flags, uint64_t deadline)
{
	int ret;

	while (!(ret = stream_send_error(u)) && u->wmem >= (size_t)u->sock->sndbuf) {
		if (socket_nonblocking(u->sock, flags))
			return -EAGAIN;
		if ((ret = ux_wait(u, deadline)))
			return ret;
	}
	return ret;
}

/*
 * A stream's next message: n bytes, or when free memory is all in single pages
 * (no run for the header and n), what one page holds, so that a blocking write
 * still goes whole instead of ending short with ENOBUFS.
 */
static struct ux_skb *stream_skb(const struct kmsg *m, size_t off, size_t *n, bool with_files)
{
	const size_t in_page = MM_PAGE_SIZE - sizeof(struct ux_skb);
	struct ux_skb *skb = skb_make(m, off, *n, with_files);

	if (!skb && *n > in_page && (skb = skb_make(m, off, in_page, with_files)))
		*n = in_page;
	return skb;
}

static long stream_sendmsg(struct unix_sock *u, struct kmsg *m, int flags)
{
	uint64_t deadline = socket_snd_deadline(u->sock);
	size_t total = kiov_total(m->iov, m->iovlen), done = 0;
	long ret = 0;

	if (m->namelen && u->type == SOCK_STREAM) {
		mutex_lock(&unix_mtx);
		ret = u->state == UX_CONNECTED ? -EISCONN : -EOPNOTSUPP;
		mutex_unlock(&unix_mtx);
		return ret;
	}
	if (u->type == SOCK_SEQPACKET && total > (size_t)u->sock->sndbuf - UX_MSG_OVERHEAD)
		return -EMSGSIZE;
	do {
		size_t n = u->type == SOCK_SEQPACKET ? total :
			   total - done < UX_CHUNK ? total - done : UX_CHUNK;
		struct ux_skb *skb = u->type == SOCK_SEQPACKET ? skb_make(m, done, n, done == 0) :
				     stream_skb(m, done, &n, done == 0);

		if (!skb) {
			ret = -ENOBUFS;
			break;
		}
		mutex_lock(&unix_mtx);
		ret = skb_nest(skb);
		if (!ret)
			ret = wait_room(u, flags, deadline);
		if (!ret) {
			skb_queue(u, u->peer, skb);
			done += n;
		}
		mutex_unlock(&unix_mtx);
		if (ret)
			skb_free(skb);
	} while (!ret && done < total);
	return done ? (long)done : ret;
}

/* unix_mtx held: why u cannot send to t now (0: it can; 1: it must wait). */
static int dgram_blocked(struct unix_sock *u, struct unix_sock *t)
{
	if (u->shut & SHUT_SEND)
		return -EPIPE;
	if (t->dead)
		return -ECONNREFUSED;
	if (t->peer && t->peer != u)
		return -EPERM;
	if (t->shut & SHUT_RCV)
		return -EPIPE;
	if (u->wmem >= (size_t)u->sock->sndbuf)
		return 1;
	if (t->peer != u && t->rcv_count > UX_DGRAM_QLEN)
		return 1;
	return 0;
}

/* unix_mtx held: the destination of a datagram, referenced. */
static struct unix_sock *dgram_target(struct unix_sock *u, const struct kmsg *m)
{
	struct ux_addr a;
	int ret;

	if (!m->namelen)
		return u->peer ? ux_get(u->peer) : ERR_PTR(-ENOTCONN);
	if ((ret = addr_parse(m->name, m->namelen, &a)))
		return ERR_PTR(ret);
	if (a.len == SUN_OFF)
		return ERR_PTR(-EINVAL);
	return find_peer(&a, SOCK_DGRAM);
}

static long dgram_sendmsg(struct unix_sock *u, struct kmsg *m, int flags)
{
	uint64_t deadline = socket_snd_deadline(u->sock);
	size_t total = kiov_total(m->iov, m->iovlen);
	struct unix_sock *t;
	struct ux_skb *skb;
	long ret;

	if (total > (size_t)u->sock->sndbuf - UX_MSG_OVERHEAD)
		return -EMSGSIZE;
	if (!(skb = skb_make(m, 0, total, true)))
		return -ENOBUFS;
	mutex_lock(&unix_mtx);
	t = (ret = skb_nest(skb)) ? ERR_PTR(ret) : dgram_target(u, m);
	if (IS_ERR(t)) {
		ret = PTR_ERR(t);
		t = NULL;
	} else {
		while ((ret = dgram_blocked(u, t)) == 1) {
			if (socket_nonblocking(u->sock, flags))
				ret = -EAGAIN;
			else if (!(ret = ux_wait(u->wmem >= (size_t)u->sock->sndbuf ? u : t, deadline)))
				continue;
			break;
		}
	}
	if (ret == -ECONNREFUSED && t == u->peer) {	/* our peer is gone: forget it, as Linux */
		ux_put(u->peer);
		u->peer = NULL;
	}
	if (!ret)
		skb_queue(u, t, skb);
	ux_put(t);
	mutex_unlock(&unix_mtx);
	if (ret) {
		skb_free(skb);
		return ret;
	}
	return (long)total;
}

static long unix_sendmsg(struct socket *s, struct kmsg *m, int flags)
{
	struct unix_sock *u = ux(s);

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (m->nfiles > KMSG_MAX_FILES)
		return -EINVAL;
	if (u->type == SOCK_DGRAM)
		return dgram_sendmsg(u, m, flags);
	if (u->type == SOCK_SEQPACKET)
		m->namelen = 0;	/* Linux ignores a seqpacket destination */
	return stream_sendmsg(u, m, flags);
}

/* ---- Receiving ----------------------------------------------------------------------------- */

/* unix_mtx held: hands skb's files and creds (and name) to m. */
static void deliver_extras(struct kmsg *m, struct ux_skb *skb, bool take_files)
{
	if (m->want_creds && !m->has_creds) {
		m->has_creds = true;
		m->creds.pid = skb->creds.pid;
		m->creds.uid = skb->creds.uid;
		m->creds.gid = skb->creds.gid;
	}
	if (m->name && !m->namelen && skb->from.len) {
		memcpy(m->name, skb->from.bytes, skb->from.len);
		m->namelen = skb->from.len;
	}
	if (take_files && skb->nfiles) {
		m->files = skb->files;
		m->nfiles = skb->nfiles;
		skb->files = NULL;
		skb->nfiles = 0;
	}
}

/*
 * unix_mtx held: what to do when nothing (more) can be read: 1 wait, 0
 * end of stream, or an error (-EAGAIN ...). `done` bytes already read.
 */
static int recv_empty(struct unix_sock *u, int flags, size_t done)
{
	int err;

	if (u->err && !done) {
		err = -u->err;
		u->err = 0;
		return err;
	}
	if (u->shut & SHUT_RCV)
		return 0;
	if (connection_based(u) && (!u->peer || u->peer->dead))
		return 0;
	if (done && !(flags & MSG_WAITALL))
		return 0;
	if (socket_nonblocking(u->sock, flags))
		return -EAGAIN;
	return 1;
}

/* unix_mtx held: copies from u's queue into m (one stream read's worth); bytes copied. */
static size_t stream_take(struct unix_sock *u, struct kmsg *m, int flags, size_t done,
			  size_t want, struct list_node *dead)
{
	bool peek = flags & MSG_PEEK;
	struct list_node *n, *tmp;

	list_for_each_safe(n, tmp, &u->rcvq) {
		struct ux_skb *skb = list_entry(n, struct ux_skb, node);
		size_t off = skb->off, c;

		c = skb->len - off < want - done ? skb->len - off : want - done;
		kiov_to(m->iov, m->iovlen, done, skb->data + off, c);
		deliver_extras(m, skb, !peek);
		done += c;
		if (!peek) {
			skb->off += c;
			u->rcv_bytes -= c;
			if (skb->off == skb->len) {
				skb->off = 0;	/* skb_unlink counts what is left: none */
				u->rcv_bytes += skb->len;
				skb_unlink(u, skb);
				list_add_tail(dead, &skb->node);
			}
		}
		if (done == want || m->nfiles)
			break;	/* a read ends after the bytes that carried files, as Linux */
	}
	return done;
}

static long stream_recvmsg(struct unix_sock *u, struct kmsg *m, int flags)
{
	uint64_t deadline = socket_rcv_deadline(u->sock);
	size_t want = kiov_total(m->iov, m->iovlen), done = 0;
	struct list_node dead = LIST_INIT(dead);
	long ret = 0;
	int st;

	mutex_lock(&unix_mtx);
	if (u->state != UX_CONNECTED)
		ret = -EINVAL;	/* Linux: a stream read needs a connection */
	while (!ret && done < want) {
		size_t before = done;

		done = stream_take(u, m, flags, done, want, &dead);
		if (m->nfiles || (flags & MSG_PEEK && done))
			break;
		if (done > before && !(flags & MSG_WAITALL))
			break;
		if (done == want)
			break;
		if ((st = recv_empty(u, flags, done)) <= 0) {
			ret = st;
			break;
		}
		ret = ux_wait(u, deadline);
	}
	mutex_unlock(&unix_mtx);
	skb_free_list(&dead);
	return done ? (long)done : ret;
}

/* Datagram and seqpacket: one message per call, MSG_TRUNC when it did not fit. */
static long dgram_recvmsg(struct unix_sock *u, struct kmsg *m, int flags)
{
	uint64_t deadline = socket_rcv_deadline(u->sock);
	size_t want = kiov_total(m->iov, m->iovlen);
	struct ux_skb *skb = NULL;
	long ret = 0;

	mutex_lock(&unix_mtx);
	if (u->type == SOCK_SEQPACKET && u->state != UX_CONNECTED)
		ret = -ENOTCONN;
	while (!ret && list_empty(&u->rcvq)) {
		if ((ret = recv_empty(u, flags, 0)) <= 0)
			break;
		ret = ux_wait(u, deadline);
	}
	if (!ret && !list_empty(&u->rcvq)) {
		skb = list_entry(list_first(&u->rcvq), struct ux_skb, node);
		kiov_to(m->iov, m->iovlen, 0, skb->data, skb->len < want ? skb->len : want);
		deliver_extras(m, skb, !(flags & MSG_PEEK));
		if (skb->len > want)
			m->out_flags |= MSG_TRUNC;
		ret = (long)(flags & MSG_TRUNC ? skb->len : skb->len < want ? skb->len : want);
		if (flags & MSG_PEEK)
			skb = NULL;
		else
			skb_unlink(u, skb);
	}
	mutex_unlock(&unix_mtx);
	if (skb)
		skb_free(skb);
	return ret;
}

static long unix_recvmsg(struct socket *s, struct kmsg *m, int flags)
{
	struct unix_sock *u = ux(s);

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	m->namelen = 0;
	return u->type == SOCK_STREAM ? stream_recvmsg(u, m, flags) : dgram_recvmsg(u, m, flags);
}

/* ---- Readiness, options, release -------------------------------------------------------- */

/* unix_mtx held: Linux's unix_poll / unix_dgram_poll. */
static unsigned poll_mask(struct unix_sock *u)
{
	unsigned mask = 0;
	struct unix_sock *p = u->peer;

	if (u->err)
		mask |= POLLERR;
	if (u->shut == SHUT_BOTH)
		mask |= POLLHUP;
	if (u->shut & SHUT_RCV)
		mask |= POLLRDHUP | POLLIN | POLLRDNORM;
	if (!list_empty(&u->rcvq) || !list_empty(&u->acceptq))
		mask |= POLLIN | POLLRDNORM;
	if (connection_based(u) && u->state == UX_UNCONNECTED)
		mask |= POLLHUP;
	if (u->state == UX_LISTENING)
		return mask;
	if (u->wmem * 4 <= (size_t)u->sock->sndbuf &&
	    !(u->type == SOCK_DGRAM && p && !p->dead && p->peer != u && p->rcv_count > UX_DGRAM_QLEN))
		mask |= POLLOUT | POLLWRNORM | POLLWRBAND;
	return mask;
}

static unsigned unix_poll(struct socket *s, struct poll_watch *w)
{
	unsigned mask;

	if (w)
		poll_watch_add(&s->poll, w);
	mutex_lock(&unix_mtx);
	mask = poll_mask(ux(s));
	mutex_unlock(&unix_mtx);
	return mask;
}

static long unix_readable(struct socket *s)
{
	struct unix_sock *u = ux(s);
	long n = 0;

	mutex_lock(&unix_mtx);
	if (u->state == UX_LISTENING)
		n = -EINVAL;
	else if (u->type != SOCK_DGRAM)
		n = (long)u->rcv_bytes;
	else if (!list_empty(&u->rcvq))
		n = (long)list_entry(list_first(&u->rcvq), struct ux_skb, node)->len;
	mutex_unlock(&unix_mtx);
	return n;
}

static int unix_setsockopt(struct socket *s, int level, int name, const void *val, unsigned len)
{
	(void)s, (void)name, (void)val, (void)len;
	return level == SOL_SOCKET ? -ENOPROTOOPT : -EOPNOTSUPP;
}

static int unix_getsockopt(struct socket *s, int level, int name, void *val, unsigned *len)
{
	struct unix_sock *u = ux(s);
	struct { int32_t pid; uint32_t uid, gid; } cred = { 0, ~0u, ~0u };
	int v;

	if (level != SOL_SOCKET)
		return -EOPNOTSUPP;
	mutex_lock(&unix_mtx);
	if (name == SO_ERROR) {
		v = u->err;
		u->err = 0;
	} else if (name == SO_PEERCRED && (u->peer || u->state == UX_LISTENING)) {
		cred.pid = u->peer_pid;
		cred.uid = cred.gid = 0;
	}
	mutex_unlock(&unix_mtx);
	if (name == SO_ERROR) {
		*len = *len < sizeof(v) ? *len : sizeof(v);
		memcpy(val, &v, *len);
		return 0;
	}
	if (name != SO_PEERCRED)
		return -ENOPROTOOPT;
	*len = *len < sizeof(cred) ? *len : sizeof(cred);
	memcpy(val, &cred, *len);
	return 0;
}

/* unix_mtx held: u's connected peer learns that u closed. */
static void hang_up_peer(struct unix_sock *u, bool unread)
{
	struct unix_sock *p = u->peer;

	if (!p)
		return;
	if (connection_based(u)) {
		p->shut = SHUT_BOTH;
		if (unread)
			p->err = ECONNRESET;
		ux_kick(p, POLLIN | POLLOUT | POLLHUP | POLLRDHUP | (unread ? POLLERR : 0));
	} else {
		ux_kick(p, POLLOUT | POLLWRNORM);	/* blocked senders learn it is gone */
	}
	ux_put(p);
	u->peer = NULL;
}

static void unix_release(struct socket *s)
{
	struct unix_sock *u = ux(s);
	struct list_node skbs = LIST_INIT(skbs), embryos = LIST_INIT(embryos), *n, *tmp;
	struct vnode *node;
	bool unread;

	mutex_lock(&unix_mtx);
	unread = !list_empty(&u->rcvq);
	rcvq_take_all(u, &skbs);
	list_for_each_safe(n, tmp, &u->acceptq) {
		list_remove(n);
		list_add_tail(&embryos, n);
	}
	u->nacc = 0;
	if (u->addr.len)
		list_remove(&u->bound);
	node = u->node;
	u->node = NULL;
	hang_up_peer(u, unread);
	u->dead = true;
	u->sock = NULL;
	ux_kick(u, 0);	/* connectors waiting on a listener that went */
	ux_put(u);
	mutex_unlock(&unix_mtx);
	skb_free_list(&skbs);
	list_for_each_safe(n, tmp, &embryos) {
		list_remove(n);
		socket_destroy(list_entry(n, struct unix_sock, accept_node)->sock);
	}
	if (node)
		vnode_put(node);
}

static const struct socket_ops unix_stream_ops = {
	.bind = unix_bind,
	.connect = unix_connect,
	.listen = unix_listen,
	.accept = unix_accept,
	.sendmsg = unix_sendmsg,
	.recvmsg = unix_recvmsg,
	.shutdown = unix_shutdown,
	.getname = unix_getname,
	.setsockopt = unix_setsockopt,
	.getsockopt = unix_getsockopt,
	.poll = unix_poll,
	.readable = unix_readable,
	.release = unix_release,
};

static const struct socket_ops unix_dgram_ops = {
	.bind = unix_bind,
	.connect = unix_connect,
	.sendmsg = unix_sendmsg,
	.recvmsg = unix_recvmsg,
	.shutdown = unix_shutdown,
	.getname = unix_getname,
	.setsockopt = unix_setsockopt,
	.getsockopt = unix_getsockopt,
	.poll = unix_poll,
	.readable = unix_readable,
	.release = unix_release,
};

/* ---- The family ----------------------------------------------------------------------------- */

static int unix_create(struct socket *s, int type, int protocol)
{
	if (protocol && protocol != AF_UNIX)
		return -EPROTONOSUPPORT;
	if (type == SOCK_RAW)
		type = SOCK_DGRAM;	/* as Linux */
	if (type != SOCK_STREAM && type != SOCK_DGRAM && type != SOCK_SEQPACKET)
		return -ESOCKTNOSUPPORT;
	s->type = type;
	return ux_new(s, type) ? 0 : -ENOMEM;
}

static int unix_pair(struct socket *a, struct socket *b)
{
	mutex_lock(&unix_mtx);
	ux_pair(ux(a), ux(b), a->pid, b->pid);
	mutex_unlock(&unix_mtx);
	return 0;
}

const struct socket_family unix_family = {
	.family = AF_UNIX,
	.create = unix_create,
	.pair = unix_pair,
};
