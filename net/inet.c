/*
 * AF_INET and AF_INET6 sockets over lwIP's raw TCP and UDP API.
 *
 * Every lwIP call and every lwIP callback runs under the net lock
 * (net_internal.h), so a socket's state is changed only with it held.
 * Callbacks queue what arrives (received pbufs, datagrams, new
 * connections) on the socket and wake it: the generation count plus the
 * wait queue let a blocked system call sleep without holding the net lock
 * and never miss a wake-up (it reads the count under the lock, sleeps
 * while it is unchanged), and poll_notify reaches poll, select and epoll.
 *
 * An AF_INET6 socket is dual-stack (lwIP's IPADDR_TYPE_ANY pcbs) unless
 * IPV6_V6ONLY is set; IPv4 peers appear as ::ffff:a.b.c.d, as on Linux.
 *
 * Ownership of a TCP pcb: the socket holds it from creation until lwIP
 * frees it (the err callback: reset, abort, or the close of a connection
 * whose sending side we had shut), or until the socket hands it back to
 * lwIP (close; or both directions finished, when lwIP may keep it in
 * TIME-WAIT and free it without telling anyone). After that isk->tcp is
 * NULL and the socket answers from what it cached.
 */
#include <lib/errno.h>
#include <lib/string.h>
#include <mote/clock.h>
#include <mote/log.h>
#include <mote/mm.h>
#include <mote/socket.h>
#include <mote/sync.h>
#include <lwip/ip_addr.h>
#include <lwip/netif.h>
#include <lwip/pbuf.h>
#include <lwip/tcp.h>
#include <lwip/udp.h>
#include "internal.h"

#define TCP_CORK_OPT     3
#define TCP_NODELAY_OPT  1
#define TCP_MAXSEG_OPT   2
#define TCP_KEEPIDLE_OPT 4
#define TCP_KEEPINTVL_OPT 5
#define TCP_KEEPCNT_OPT  6
#define TCP_DEFER_ACCEPT_OPT 9
#define TCP_QUICKACK_OPT 12
#define IP_TOS_OPT       1
#define IP_TTL_OPT       2
#define IPV6_V6ONLY_OPT  26

#define UDP_MAX_PAYLOAD  65507
#define UDP_RCVBUF_DEFAULT (208 * 1024)
#define LISTEN_BACKLOG_MAX 255		/* lwIP keeps the backlog in a u8_t */

struct sockaddr_in_k {
	uint16_t family;
	uint16_t port;			/* network order */
	uint32_t addr;			/* network order */
	uint8_t zero[8];
};

struct sockaddr_in6_k {
	uint16_t family;
	uint16_t port;
	uint32_t flowinfo;
	uint8_t addr[16];
	uint32_t scope_id;
};

/* A received datagram waiting to be read. */
struct dgram {
	struct dgram *next;
	struct pbuf *p;
	ip_addr_t from;
	uint16_t port;
};

enum isk_state { ST_NEW, ST_LISTEN, ST_CONNECTING, ST_CONNECTED, ST_CLOSED };

struct inet_sock {
	struct socket *sock;		/* NULL while waiting in a listener's queue */
	int family, type;
	bool v6only;
	enum isk_state state;
	union {
		struct tcp_pcb *tcp;
		struct udp_pcb *udp;
	};
	int err;			/* pending error (SO_ERROR), -errno or 0 */

	/* What the socket reports when the pcb is gone. */
	ip_addr_t local, remote;
	uint16_t local_port, remote_port;
	bool bound;

	/* TCP receive queue: pbufs linked through ->next (tot_len unused). */
	struct pbuf *rx_head, *rx_tail;
	size_t rx_off, rx_bytes;
	bool rx_eof, shut_rd, shut_wr;
	bool writable;			/* room in lwIP's send buffer */
	bool connect_pending;		/* connect said EINPROGRESS; the next one reports */

	/* UDP receive queue. */
	struct dgram *dq_head, **dq_tail;
	size_t dq_bytes;

	/* A listener's connections not yet accepted. */
	struct inet_sock *acc_head, **acc_tail, *acc_next;
	unsigned acc_len;

	unsigned gen;			/* bumped on every wake-up */
	struct waitq wq;
};

static const struct socket_ops tcp_ops, udp_ops;

/* ---- waking and waiting --------------------------------------------------- */

static void isk_wake(struct inet_sock *isk, unsigned events)
{
	unsigned long flags;

	isk->gen++;
	flags = spin_lock_irqsave(&isk->wq.lock);
	waitq_wake_locked(&isk->wq, ~0u);
	spin_unlock_irqrestore(&isk->wq.lock, flags);
	if (isk->sock)
		poll_notify(&isk->sock->poll, events);
}

/*
 * Sleeps until the socket is woken, the deadline passes (-EAGAIN, as an
 * expired SO_RCVTIMEO) or a signal arrives (-EINTR). Called and returns
 * with the net lock held; the caller re-checks its condition.
 */
static int isk_wait(struct inet_sock *isk, uint64_t deadline)
{
	unsigned gen = isk->gen;
	unsigned long flags;
	int ret = 0;

	net_unlock();
	flags = spin_lock_irqsave(&isk->wq.lock);
	while (__atomic_load_n(&isk->gen, __ATOMIC_RELAXED) == gen && !ret) {
		struct waiter w;

		waitq_add(&isk->wq, &w);
		ret = waitq_sleep(&w, deadline, WAIT_INTERRUPTIBLE);
	}
	spin_unlock_irqrestore(&isk->wq.lock, flags);
	net_lock();
	return ret == -ETIMEDOUT ? -EAGAIN : ret;
}

static struct inet_sock *isk_alloc(int family, int type)
{
	struct inet_sock *isk = mm_calloc(1, sizeof(*isk));

	if (!isk)
		return NULL;
	isk->family = family;
	isk->type = type;
	isk->dq_tail = &isk->dq_head;
	isk->acc_tail = &isk->acc_head;
	waitq_init(&isk->wq);
	return isk;
}

static int lwip_errno(err_t err)
{
	switch (err) {
	case ERR_OK: return 0;
	case ERR_MEM: case ERR_BUF: return -ENOBUFS;
	case ERR_TIMEOUT: return -ETIMEDOUT;
	case ERR_RTE: return -EHOSTUNREACH;
	case ERR_INPROGRESS: return -EINPROGRESS;
	case ERR_VAL: case ERR_ARG: return -EINVAL;
	case ERR_WOULDBLOCK: return -EAGAIN;
	case ERR_USE: return -EADDRINUSE;
	case ERR_ALREADY: return -EALREADY;
	case ERR_ISCONN: return -EISCONN;
	case ERR_CONN: case ERR_CLSD: return -ENOTCONN;
	case ERR_ABRT: return -ECONNABORTED;
	case ERR_RST: return -ECONNRESET;
	case ERR_IF: return -EIO;
	default: return -EIO;
	}
}

/* ---- addresses ------------------------------------------------------------ */

/*
 * A user's sockaddr to an lwIP address and port. An AF_INET6 socket takes
 * AF_INET6 addresses (a v4-mapped one becomes IPv4 unless IPV6_V6ONLY);
 * AF_UNSPEC (connect's "dissolve") is reported as 1.
 */
static int addr_in(const struct inet_sock *isk, const void *addr, unsigned len, ip_addr_t *ip,
		   uint16_t *port)
{
	uint16_t family;

	if (len < sizeof(family))
		return -EINVAL;
	memcpy(&family, addr, sizeof(family));
	if (family == AF_UNSPEC)
		return 1;
	if (isk->family == AF_INET) {
		struct sockaddr_in_k sin;

		if (len < 16)
			return -EINVAL;
		if (family != AF_INET)
			return -EAFNOSUPPORT;
		memcpy(&sin, addr, sizeof(sin));
		ip_addr_set_zero_ip4(ip);
		ip_2_ip4(ip)->addr = sin.addr;
		*port = lwip_ntohs(sin.port);
		return 0;
	}
	struct sockaddr_in6_k sin6;

	if (family != AF_INET6)
		return -EAFNOSUPPORT;
	if (len < 24)
		return -EINVAL;
	memset(&sin6, 0, sizeof(sin6));
	memcpy(&sin6, addr, len < sizeof(sin6) ? len : sizeof(sin6));
	*port = lwip_ntohs(sin6.port);
	ip_addr_set_zero_ip6(ip);
	memcpy(ip_2_ip6(ip)->addr, sin6.addr, 16);
	if (ip6_addr_isipv4mappedipv6(ip_2_ip6(ip))) {
		if (isk->v6only)
			return -EINVAL;
		ip4_addr_t v4;

		v4.addr = ip_2_ip6(ip)->addr[3];
		ip_addr_copy_from_ip4(*ip, v4);
	} else if (ip6_addr_islinklocal(ip_2_ip6(ip))) {
		ip6_addr_assign_zone(ip_2_ip6(ip), IP6_UNICAST, netif_get_by_index((u8_t)sin6.scope_id));
	}
	return 0;
}

/* An lwIP address and port as the socket's family shows it; returns the length. */
static unsigned addr_out(const struct inet_sock *isk, const ip_addr_t *ip, uint16_t port, void *out)
{
	if (isk->family == AF_INET) {
		struct sockaddr_in_k sin = { .family = AF_INET, .port = lwip_htons(port) };

		sin.addr = ip && IP_IS_V4(ip) ? ip_2_ip4(ip)->addr : 0;
		memcpy(out, &sin, sizeof(sin));
		return sizeof(sin);
	}
	struct sockaddr_in6_k sin6 = { .family = AF_INET6, .port = lwip_htons(port) };

	if (ip && IP_IS_V6(ip)) {
		memcpy(sin6.addr, ip_2_ip6(ip)->addr, 16);
		if (ip6_addr_has_zone(ip_2_ip6(ip)))
			sin6.scope_id = ip6_addr_zone(ip_2_ip6(ip));
	} else if (ip && !ip_addr_isany(ip)) {
		uint32_t v4 = ip_2_ip4(ip)->addr;

		sin6.addr[10] = sin6.addr[11] = 0xff;
		memcpy(&sin6.addr[12], &v4, 4);
	}
	memcpy(out, &sin6, sizeof(sin6));
	return sizeof(sin6);
}

/* The lwIP address type a new pcb of this socket gets. */
static u8_t pcb_type(const struct inet_sock *isk)
{
	if (isk->family == AF_INET)
		return IPADDR_TYPE_V4;
	return isk->v6only ? IPADDR_TYPE_V6 : IPADDR_TYPE_ANY;
}

/* The wildcard of this socket: 0.0.0.0, :: only, or both. */
static void any_addr(const struct inet_sock *isk, ip_addr_t *ip)
{
	if (isk->family == AF_INET)
		*ip = *IP4_ADDR_ANY;
	else if (isk->v6only)
		*ip = *IP6_ADDR_ANY;
	else
		*ip = *IP_ANY_TYPE;
}

/* A specific local address must belong to an interface (EADDRNOTAVAIL otherwise). */
static bool addr_is_local(const ip_addr_t *ip)
{
	struct netif *n;

	if (ip_addr_isany(ip))
		return true;
	if (IP_IS_V4(ip) && ip4_addr_isloopback(ip_2_ip4(ip)))
		return true;
	NETIF_FOREACH(n) {
		if (IP_IS_V4(ip) && ip4_addr_cmp(ip_2_ip4(ip), netif_ip4_addr(n)))
			return true;
		if (IP_IS_V6(ip) && netif_get_ip6_addr_match(n, ip_2_ip6(ip)) >= 0)
			return true;
	}
	return ip_addr_ismulticast(ip);
}

/* ---- TCP callbacks -------------------------------------------------------- */

static void tcp_detach(struct inet_sock *isk)
{
	struct tcp_pcb *pcb = isk->tcp;

	if (!pcb)
		return;
	tcp_arg(pcb, NULL);
	if (pcb->state == LISTEN) {
		tcp_accept(pcb, NULL);
	} else {
		tcp_recv(pcb, NULL);
		tcp_sent(pcb, NULL);
		tcp_err(pcb, NULL);
	}
	isk->tcp = NULL;
}

static void update_writable(struct inet_sock *isk)
{
	struct tcp_pcb *pcb = isk->tcp;

	isk->writable = pcb && tcp_sndbuf(pcb) >= TCP_MSS &&
			tcp_sndqueuelen(pcb) < TCP_SND_QUEUELEN - 4;
}

static void on_tcp_err(void *arg, err_t err)
{
	struct inet_sock *isk = arg;

	if (!isk)
		return;
	isk->tcp = NULL;	/* lwIP has freed it */
	if (err == ERR_CLSD) {
		/* Closed in order after we shut our side: not an error. */
		isk->rx_eof = true;
	} else if (isk->state == ST_CONNECTING) {
		isk->err = err == ERR_RST ? -ECONNREFUSED : lwip_errno(err);
	} else {
		isk->err = err == ERR_ABRT ? -ECONNABORTED : lwip_errno(err);
		if (err == ERR_RST)
			isk->err = -ECONNRESET;
	}
	isk->state = ST_CLOSED;
	isk->writable = false;
	isk_wake(isk, POLLIN | POLLOUT | POLLERR | POLLHUP | POLLRDHUP);
}

static err_t on_tcp_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct inet_sock *isk = arg;

	(void)err;
	if (!p) {
		isk->rx_eof = true;
		if (isk->shut_wr)
			tcp_detach(isk);	/* both sides done: lwIP finishes (TIME-WAIT) alone */
		isk_wake(isk, POLLIN | POLLRDHUP);
		return ERR_OK;
	}
	if (isk->shut_rd) {
		/* Linux acknowledges and drops what arrives after SHUT_RD. */
		tcp_recved(pcb, p->tot_len);
		pbuf_free(p);
		return ERR_OK;
	}
	isk->rx_bytes += p->tot_len;
	if (isk->rx_tail)
		isk->rx_tail->next = p;
	else
		isk->rx_head = p;
	while (p->next)
		p = p->next;
	isk->rx_tail = p;
	/*
	 * A window this data all but closed is acknowledged at once, not after
	 * lwIP's delayed-ack timer: the sender learns now that it must stop (as
	 * from Linux), instead of seeing room appear up to 250 ms later.
	 */
	if (pcb->rcv_wnd < TCP_MSS)
		tcp_set_flags(pcb, TF_ACK_NOW);
	isk_wake(isk, POLLIN);
	return ERR_OK;
}

static err_t on_tcp_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct inet_sock *isk = arg;

	(void)pcb;
	(void)len;
	bool was = isk->writable;

	update_writable(isk);
	if (isk->writable && !was)
		isk_wake(isk, POLLOUT);
	return ERR_OK;
}

static err_t on_tcp_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct inet_sock *isk = arg;

	(void)err;
	isk->state = ST_CONNECTED;
	ip_addr_copy(isk->local, pcb->local_ip);
	isk->local_port = pcb->local_port;
	update_writable(isk);
	isk_wake(isk, POLLOUT);
	return ERR_OK;
}

static void tcp_attach(struct inet_sock *isk, struct tcp_pcb *pcb)
{
	isk->tcp = pcb;
	tcp_arg(pcb, isk);
	tcp_recv(pcb, on_tcp_recv);
	tcp_sent(pcb, on_tcp_sent);
	tcp_err(pcb, on_tcp_err);
}

static err_t on_tcp_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct inet_sock *lsk = arg, *isk;

	if (err != ERR_OK || !pcb || !lsk)
		return ERR_VAL;
	isk = isk_alloc(lsk->family, SOCK_STREAM);
	if (!isk)
		return ERR_MEM;		/* lwIP aborts the connection */
	isk->v6only = lsk->v6only;
	isk->state = ST_CONNECTED;
	isk->bound = true;
	ip_addr_copy(isk->local, pcb->local_ip);
	isk->local_port = pcb->local_port;
	ip_addr_copy(isk->remote, pcb->remote_ip);
	isk->remote_port = pcb->remote_port;
	tcp_attach(isk, pcb);
	if (lsk->sock && lsk->sock->keepalive)
		ip_set_option(pcb, SOF_KEEPALIVE);
	if (tcp_nagle_disabled(lsk->tcp))
		tcp_nagle_disable(pcb);
	update_writable(isk);
	/* Counts against the listen backlog until accept() takes it. */
	tcp_backlog_delayed(pcb);
	*lsk->acc_tail = isk;
	lsk->acc_tail = &isk->acc_next;
	lsk->acc_len++;
	isk_wake(lsk, POLLIN);
	return ERR_OK;
}

/* ---- TCP operations ------------------------------------------------------- */

static void rx_free(struct inet_sock *isk)
{
	while (isk->rx_head) {
		struct pbuf *p = isk->rx_head;

		isk->rx_head = p->next;
		p->next = NULL;
		pbuf_free(p);
	}
	isk->rx_tail = NULL;
	isk->rx_bytes = isk->rx_off = 0;
}

static void tcp_isk_free(struct inet_sock *isk);

static void free_accept_queue(struct inet_sock *lsk)
{
	while (lsk->acc_head) {
		struct inet_sock *isk = lsk->acc_head;

		lsk->acc_head = isk->acc_next;
		if (isk->tcp) {
			struct tcp_pcb *pcb = isk->tcp;

			tcp_detach(isk);
			tcp_abort(pcb);
		}
		tcp_isk_free(isk);
	}
	lsk->acc_tail = &lsk->acc_head;
	lsk->acc_len = 0;
}

static void tcp_isk_free(struct inet_sock *isk)
{
	rx_free(isk);
	free_accept_queue(isk);
	mm_free(isk);
}

static int tcp_ensure_pcb(struct inet_sock *isk)
{
	if (isk->tcp || isk->state != ST_NEW)
		return 0;
	struct tcp_pcb *pcb = tcp_new_ip_type(pcb_type(isk));

	if (!pcb)
		return -ENOBUFS;
	tcp_attach(isk, pcb);
	return 0;
}

static int do_bind(struct inet_sock *isk, const ip_addr_t *ip, uint16_t port)
{
	struct socket *s = isk->sock;
	err_t e;

	if (!addr_is_local(ip))
		return -EADDRNOTAVAIL;
	if (isk->type == SOCK_STREAM) {
		if (s->reuseaddr || s->reuseport)
			ip_set_option(isk->tcp, SOF_REUSEADDR);
		e = tcp_bind(isk->tcp, ip, port);
		if (e == ERR_OK) {
			isk->local = isk->tcp->local_ip;
			isk->local_port = isk->tcp->local_port;
		}
	} else {
		if (s->reuseaddr || s->reuseport)
			ip_set_option(isk->udp, SOF_REUSEADDR);
		e = udp_bind(isk->udp, ip, port);
		if (e == ERR_OK) {
			isk->local = isk->udp->local_ip;
			isk->local_port = isk->udp->local_port;
		}
	}
	if (e == ERR_OK)
		isk->bound = true;
	return lwip_errno(e);
}

static int inet_bind(struct socket *s, const void *addr, unsigned len)
{
	struct inet_sock *isk = s->priv;
	ip_addr_t ip;
	uint16_t port;
	int ret = addr_in(isk, addr, len, &ip, &port);

	if (ret == 1)		/* AF_UNSPEC */
		ret = -EAFNOSUPPORT;
	if (ret)
		return ret;
	if (isk->family == AF_INET6 && ip_addr_isany(&ip))
		any_addr(isk, &ip);
	net_lock();
	if (isk->bound || (isk->type == SOCK_STREAM && isk->state != ST_NEW))
		ret = -EINVAL;
	else if (!(ret = isk->type == SOCK_STREAM ? tcp_ensure_pcb(isk) : 0))
		ret = do_bind(isk, &ip, port);
	net_unlock();
	return ret;
}

static int tcp_listen_op(struct socket *s, int backlog)
{
	struct inet_sock *isk = s->priv;
	struct tcp_pcb *lpcb;
	ip_addr_t any;
	err_t e;
	int ret = 0;

	if (backlog < 1)
		backlog = 1;
	if (backlog > LISTEN_BACKLOG_MAX)
		backlog = LISTEN_BACKLOG_MAX;
	net_lock();
	if (isk->state == ST_LISTEN) {
		((struct tcp_pcb_listen *)isk->tcp)->backlog = (u8_t)backlog;
		goto out;
	}
	if (isk->state != ST_NEW) {
		ret = -EINVAL;
		goto out;
	}
	if ((ret = tcp_ensure_pcb(isk)))
		goto out;
	if (!isk->bound) {
		any_addr(isk, &any);
		if ((ret = do_bind(isk, &any, 0)))
			goto out;
	}
	lpcb = tcp_listen_with_backlog_and_err(isk->tcp, (u8_t)backlog, &e);
	if (!lpcb) {
		ret = lwip_errno(e);
		goto out;
	}
	/* lwIP freed the old pcb and made a smaller listening one. */
	isk->tcp = lpcb;
	tcp_arg(lpcb, isk);
	tcp_accept(lpcb, on_tcp_accept);
	isk->state = ST_LISTEN;
out:
	net_unlock();
	return ret;
}

static int tcp_accept_op(struct socket *s, struct socket **out, unsigned file_flags)
{
	struct inet_sock *lsk = s->priv, *isk;
	uint64_t deadline = socket_rcv_deadline(s);
	struct socket *ns;
	int ret = 0;

	(void)file_flags;
	ns = socket_alloc(s->family, s->type, s->protocol);
	if (!ns)
		return -ENOMEM;
	net_lock();
	while (!ret && !lsk->acc_head) {
		if (lsk->state != ST_LISTEN || lsk->shut_rd)	/* shutdown ends a blocked accept */
			ret = -EINVAL;
		else if (socket_nonblocking(s, 0))
			ret = -EAGAIN;
		else
			ret = isk_wait(lsk, deadline);
	}
	if (!ret) {
		isk = lsk->acc_head;
		lsk->acc_head = isk->acc_next;
		if (!lsk->acc_head)
			lsk->acc_tail = &lsk->acc_head;
		lsk->acc_len--;
		isk->acc_next = NULL;
		if (isk->tcp)
			tcp_backlog_accepted(isk->tcp);
		isk->sock = ns;
		ns->ops = &tcp_ops;
		ns->priv = isk;
		*out = ns;
	}
	net_unlock();
	if (ret)
		socket_destroy(ns);	/* never got ops or a file */
	return ret;
}

static int tcp_connect_op(struct socket *s, const void *addr, unsigned len)
{
	struct inet_sock *isk = s->priv;
	ip_addr_t ip;
	uint16_t port;
	int ret = addr_in(isk, addr, len, &ip, &port);

	if (ret == 1)
		return -EAFNOSUPPORT;	/* no "disconnect" for TCP here */
	if (ret)
		return ret;
	net_lock();
	switch (isk->state) {
	case ST_CONNECTING:
		ret = socket_nonblocking(s, 0) ? -EALREADY : 0;
		break;
	case ST_CONNECTED:
		/* As Linux, the first connect after an EINPROGRESS one reports success. */
		ret = isk->connect_pending ? 0 : -EISCONN;
		isk->connect_pending = false;
		break;
	case ST_LISTEN:
		ret = -EINVAL;
		break;
	case ST_CLOSED:
		ret = isk->err ? isk->err : isk->connect_pending ? -ECONNABORTED : -EISCONN;
		isk->err = 0;
		isk->connect_pending = false;
		break;
	case ST_NEW:
		if ((ret = tcp_ensure_pcb(isk)))
			break;
		if (isk->family == AF_INET6 && ip_addr_isany(&ip))
			ip_addr_set_loopback(IP_IS_V6(&ip), &ip);	/* Linux: connect to :: is to ::1 */
		else if (IP_IS_V4(&ip) && ip4_addr_isany(ip_2_ip4(&ip)))
			ip_addr_set_loopback(0, &ip);
		ip_addr_copy(isk->remote, ip);
		isk->remote_port = port;
		ret = lwip_errno(tcp_connect(isk->tcp, &ip, port, on_tcp_connected));
		if (!ret) {
			isk->state = ST_CONNECTING;
			isk->bound = true;
			ip_addr_copy(isk->local, isk->tcp->local_ip);
			isk->local_port = isk->tcp->local_port;
		}
		break;
	}
	if (!ret && isk->state == ST_CONNECTING) {
		isk->connect_pending = socket_nonblocking(s, 0);
		if (isk->connect_pending)
			ret = -EINPROGRESS;
		else {
			uint64_t deadline = socket_snd_deadline(s);

			while (!ret && isk->state == ST_CONNECTING)
				ret = isk_wait(isk, deadline);
			if (ret == -EAGAIN)
				ret = -EINPROGRESS;	/* SO_SNDTIMEO expired: Linux says EINPROGRESS */
			else if (!ret && isk->state != ST_CONNECTED) {
				ret = isk->err ? isk->err : -ECONNREFUSED;
				isk->err = 0;
			}
		}
	}
	net_unlock();
	return ret;
}

/* Copies up to len bytes of received data into the iovec (advancing a cursor). */
static size_t rx_copy(struct inet_sock *isk, struct kmsg *m, size_t *iov_i, size_t *iov_off,
		      bool peek)
{
	struct pbuf *p = isk->rx_head;
	size_t off = isk->rx_off, done = 0;

	while (p && *iov_i < m->iovlen) {
		struct kiovec *v = &m->iov[*iov_i];
		size_t n = p->len - off;

		if (n > v->len - *iov_off)
			n = v->len - *iov_off;
		memcpy((char *)v->base + *iov_off, (char *)p->payload + off, n);
		done += n;
		off += n;
		*iov_off += n;
		if (*iov_off == v->len) {
			(*iov_i)++;
			*iov_off = 0;
		}
		if (off == p->len) {
			struct pbuf *next = p->next;

			if (!peek) {
				p->next = NULL;
				pbuf_free(p);
				isk->rx_head = next;
				if (!next)
					isk->rx_tail = NULL;
			}
			p = next;
			off = 0;
		}
	}
	if (!peek) {
		isk->rx_off = off;
		isk->rx_bytes -= done;
	}
	return done;
}

static void window_update(struct inet_sock *isk, size_t n)
{
	while (isk->tcp && n) {
		u16_t chunk = n > 0xffff ? 0xffff : (u16_t)n;

		tcp_recved(isk->tcp, chunk);
		n -= chunk;
	}
}

static long tcp_recvmsg(struct socket *s, struct kmsg *m, int flags)
{
	struct inet_sock *isk = s->priv;
	size_t want = kiov_total(m->iov, m->iovlen), done = 0, iov_i = 0, iov_off = 0;
	uint64_t deadline = socket_rcv_deadline(s);
	bool peek = flags & MSG_PEEK;
	long ret = 0;

	m->namelen = 0;
	if (flags & MSG_OOB)
		return -EINVAL;
	if (!want)
		return 0;
	net_lock();
	for (;;) {
		if (isk->rx_bytes) {
			size_t n = rx_copy(isk, m, &iov_i, &iov_off, peek);

			done += n;
			if (!peek)
				window_update(isk, n);
			if (done == want || !(flags & MSG_WAITALL) || peek)
				break;
			continue;
		}
		if (isk->rx_eof || isk->shut_rd)
			break;
		if (isk->err) {
			if (!done) {
				ret = isk->err;
				isk->err = 0;
			}
			break;
		}
		if (isk->state == ST_CLOSED)
			break;
		if (isk->state != ST_CONNECTED && isk->state != ST_CONNECTING) {
			ret = -ENOTCONN;
			break;
		}
		if (done && !(flags & MSG_WAITALL))
			break;
		if (socket_nonblocking(s, flags)) {
			ret = done ? 0 : -EAGAIN;
			break;
		}
		ret = isk_wait(isk, deadline);
		if (ret)
			break;
	}
	if (isk->tcp)
		tcp_output(isk->tcp);	/* send the window update now */
	net_unlock();
	return done ? (long)done : ret;
}

static long tcp_sendmsg(struct socket *s, struct kmsg *m, int flags)
{
	struct inet_sock *isk = s->priv;
	uint64_t deadline = socket_snd_deadline(s);
	size_t total = kiov_total(m->iov, m->iovlen), done = 0, iov_i = 0, iov_off = 0;
	long ret = 0;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	net_lock();
	while (done < total || !total) {
		if (isk->err) {
			ret = isk->err;
			isk->err = 0;
			break;
		}
		if (isk->shut_wr || isk->state == ST_CLOSED) {
			ret = -EPIPE;
			break;
		}
		if (isk->state == ST_CONNECTING) {
			if (socket_nonblocking(s, flags)) {
				ret = -EAGAIN;
				break;
			}
			if ((ret = isk_wait(isk, deadline)))
				break;
			continue;
		}
		if (isk->state != ST_CONNECTED || !isk->tcp) {
			ret = -EPIPE;	/* Linux: never connected, or the connection is gone */
			break;
		}
		if (!total)
			break;
		size_t room = tcp_sndbuf(isk->tcp);
		struct kiovec *v = &m->iov[iov_i];
		size_t n = v->len - iov_off;

		if (n > room)
			n = room;
		if (n > 0xffff)
			n = 0xffff;
		if (n && tcp_sndqueuelen(isk->tcp) < TCP_SND_QUEUELEN - 4) {
			bool more = done + n < total || (flags & MSG_MORE);
			err_t e = tcp_write(isk->tcp, (char *)v->base + iov_off, (u16_t)n,
					    TCP_WRITE_FLAG_COPY | (more ? TCP_WRITE_FLAG_MORE : 0));

			if (e == ERR_OK) {
				done += n;
				iov_off += n;
				if (iov_off == v->len) {
					iov_i++;
					iov_off = 0;
				}
				continue;
			}
			if (e != ERR_MEM) {
				ret = lwip_errno(e);
				break;
			}
		}
		/* lwIP's send buffer is full: push what is queued, then wait for acks. */
		tcp_output(isk->tcp);
		update_writable(isk);
		if (done && socket_nonblocking(s, flags))
			break;
		if (socket_nonblocking(s, flags)) {
			ret = -EAGAIN;
			break;
		}
		if ((ret = isk_wait(isk, deadline)))
			break;
	}
	if (isk->tcp && !(flags & MSG_MORE))
		tcp_output(isk->tcp);
	update_writable(isk);
	net_unlock();
	return done ? (long)done : ret;
}

static int tcp_shutdown_op(struct socket *s, int how)
{
	struct inet_sock *isk = s->priv;
	int ret = 0;

	if (how < SHUT_RD || how > SHUT_RDWR)
		return -EINVAL;
	net_lock();
	if (isk->state == ST_LISTEN) {
		/* Linux: shutting a listener down stops it accepting (accept then fails). */
		ret = 0;
	} else if (isk->state != ST_CONNECTED && isk->state != ST_CLOSED) {
		ret = -ENOTCONN;
	}
	if (!ret && how != SHUT_WR && !isk->shut_rd) {
		size_t unread = isk->rx_bytes;

		isk->shut_rd = true;
		rx_free(isk);
		window_update(isk, unread);
	}
	if (!ret && how != SHUT_RD && !isk->shut_wr && isk->state == ST_CONNECTED) {
		isk->shut_wr = true;
		if (isk->tcp) {
			ret = lwip_errno(tcp_shutdown(isk->tcp, 0, 1));
			if (isk->rx_eof && isk->tcp)
				tcp_detach(isk);
		}
	}
	isk_wake(isk, POLLIN | POLLOUT | POLLHUP | POLLRDHUP);
	net_unlock();
	return ret;
}

static void tcp_release(struct socket *s)
{
	struct inet_sock *isk = s->priv;
	struct tcp_pcb *pcb;

	net_lock();
	pcb = isk->tcp;
	tcp_detach(isk);
	if (pcb) {
		/* Unread data or SO_LINGER 0: Linux resets the connection. */
		bool reset = pcb->state != LISTEN &&
			     (isk->rx_bytes || (s->linger.on && s->linger.secs == 0));

		if (reset || tcp_close(pcb) != ERR_OK)
			tcp_abort(pcb);
	}
	tcp_isk_free(isk);
	net_unlock();
}

static unsigned tcp_poll_op(struct socket *s, struct poll_watch *w)
{
	struct inet_sock *isk = s->priv;
	unsigned ev = 0;

	if (w)
		poll_watch_add(&s->poll, w);
	switch (isk->state) {
	case ST_LISTEN:
		if (isk->acc_head)
			ev |= POLLIN | POLLRDNORM;
		break;
	case ST_NEW:
		ev |= POLLOUT | POLLHUP;	/* as Linux reports an unconnected TCP socket */
		break;
	case ST_CONNECTING:
		break;
	case ST_CONNECTED:
	case ST_CLOSED:
		if (isk->rx_bytes || isk->rx_eof || isk->shut_rd)
			ev |= POLLIN | POLLRDNORM;
		if (isk->rx_eof || isk->shut_rd)
			ev |= POLLRDHUP;
		if (isk->writable || isk->shut_wr)	/* after SHUT_WR a write fails at once */
			ev |= POLLOUT | POLLWRNORM;
		if ((isk->rx_eof && isk->shut_wr) || (isk->state == ST_CLOSED && !isk->rx_eof))
			ev |= POLLHUP;
		if (isk->state == ST_CLOSED)
			ev |= POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM;
		break;
	}
	if (isk->err)
		ev |= POLLERR;
	return ev;
}

static long tcp_readable(struct socket *s)
{
	struct inet_sock *isk = s->priv;

	return isk->state == ST_LISTEN ? -EINVAL : (long)isk->rx_bytes;
}

/* ---- UDP ------------------------------------------------------------------ */

static void on_udp_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
			u16_t port)
{
	struct inet_sock *isk = arg;
	size_t limit = isk->sock && isk->sock->rcvbuf ? (size_t)isk->sock->rcvbuf : UDP_RCVBUF_DEFAULT;
	struct dgram *d;

	(void)pcb;
	if (isk->dq_bytes + p->tot_len > limit || !(d = mm_malloc(sizeof(*d)))) {
		pbuf_free(p);	/* a full receive buffer drops, as Linux */
		return;
	}
	d->next = NULL;
	d->p = p;
	ip_addr_copy(d->from, *addr);
	d->port = port;
	*isk->dq_tail = d;
	isk->dq_tail = &d->next;
	isk->dq_bytes += p->tot_len;
	isk_wake(isk, POLLIN);
}

static int udp_connect_op(struct socket *s, const void *addr, unsigned len)
{
	struct inet_sock *isk = s->priv;
	ip_addr_t ip;
	uint16_t port;
	int ret = addr_in(isk, addr, len, &ip, &port);

	if (ret < 0)
		return ret;
	net_lock();
	if (ret == 1) {
		udp_disconnect(isk->udp);
		isk->state = ST_NEW;
		ret = 0;
	} else {
		if (ip_addr_isany(&ip))
			ip_addr_set_loopback(IP_IS_V6(&ip), &ip);
		ret = lwip_errno(udp_connect(isk->udp, &ip, port));
		if (!ret) {
			isk->state = ST_CONNECTED;
			isk->bound = true;
			ip_addr_copy(isk->remote, ip);
			isk->remote_port = port;
			ip_addr_copy(isk->local, isk->udp->local_ip);
			isk->local_port = isk->udp->local_port;
		}
	}
	net_unlock();
	return ret;
}

static long udp_sendmsg(struct socket *s, struct kmsg *m, int flags)
{
	struct inet_sock *isk = s->priv;
	size_t len = kiov_total(m->iov, m->iovlen), off = 0;
	ip_addr_t ip;
	uint16_t port = 0;
	struct pbuf *p;
	long ret = 0;

	(void)flags;
	if (m->name && m->namelen) {
		ret = addr_in(isk, m->name, m->namelen, &ip, &port);
		if (ret == 1 || (!ret && !port))
			ret = -EINVAL;	/* Linux: no AF_UNSPEC and no port 0 destination */
		if (ret)
			return ret;
	}
	if (len > UDP_MAX_PAYLOAD)
		return -EMSGSIZE;
	net_lock();
	if (isk->shut_wr) {
		ret = -EPIPE;
		goto out;
	}
	if (!m->name && isk->state != ST_CONNECTED) {
		ret = -EDESTADDRREQ;
		goto out;
	}
	p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)len, PBUF_RAM);
	if (!p) {
		ret = -ENOBUFS;
		goto out;
	}
	for (unsigned i = 0; i < m->iovlen; i++) {
		pbuf_take_at(p, m->iov[i].base, (u16_t)m->iov[i].len, (u16_t)off);
		off += m->iov[i].len;
	}
	if (m->name && m->namelen) {
		if (ip_addr_isany(&ip))
			ip_addr_set_loopback(IP_IS_V6(&ip), &ip);
		ret = lwip_errno(udp_sendto(isk->udp, p, &ip, port));
	} else {
		ret = lwip_errno(udp_send(isk->udp, p));
	}
	pbuf_free(p);
	if (!ret) {
		ret = (long)len;
		if (!isk->bound) {
			isk->bound = true;
			ip_addr_copy(isk->local, isk->udp->local_ip);
			isk->local_port = isk->udp->local_port;
		}
	}
out:
	net_unlock();
	return ret;
}

static long udp_recvmsg(struct socket *s, struct kmsg *m, int flags)
{
	struct inet_sock *isk = s->priv;
	uint64_t deadline = socket_rcv_deadline(s);
	size_t want = kiov_total(m->iov, m->iovlen), done = 0;
	struct dgram *d;
	long ret = 0;

	net_lock();
	while (!isk->dq_head) {
		if (isk->shut_rd) {
			ret = 0;
			goto out;
		}
		if (socket_nonblocking(s, flags)) {
			ret = -EAGAIN;
			goto out;
		}
		if ((ret = isk_wait(isk, deadline)))
			goto out;
	}
	d = isk->dq_head;
	for (unsigned i = 0; i < m->iovlen && done < d->p->tot_len; i++) {
		size_t n = m->iov[i].len;

		if (n > d->p->tot_len - done)
			n = d->p->tot_len - done;
		pbuf_copy_partial(d->p, m->iov[i].base, (u16_t)n, (u16_t)done);
		done += n;
	}
	if (d->p->tot_len > want)
		m->out_flags |= MSG_TRUNC;
	ret = (flags & MSG_TRUNC) ? d->p->tot_len : (long)done;
	if (m->name)
		m->namelen = addr_out(isk, &d->from, d->port, m->name);
	if (!(flags & MSG_PEEK)) {
		isk->dq_head = d->next;
		if (!isk->dq_head)
			isk->dq_tail = &isk->dq_head;
		isk->dq_bytes -= d->p->tot_len;
		pbuf_free(d->p);
		mm_free(d);
	}
out:
	net_unlock();
	return ret;
}

static int udp_shutdown_op(struct socket *s, int how)
{
	struct inet_sock *isk = s->priv;

	if (how < SHUT_RD || how > SHUT_RDWR)
		return -EINVAL;
	if (isk->state != ST_CONNECTED)
		return -ENOTCONN;
	net_lock();
	if (how != SHUT_WR)
		isk->shut_rd = true;
	if (how != SHUT_RD)
		isk->shut_wr = true;
	isk_wake(isk, POLLIN | POLLOUT);
	net_unlock();
	return 0;
}

static void udp_release(struct socket *s)
{
	struct inet_sock *isk = s->priv;

	net_lock();
	udp_remove(isk->udp);
	while (isk->dq_head) {
		struct dgram *d = isk->dq_head;

		isk->dq_head = d->next;
		pbuf_free(d->p);
		mm_free(d);
	}
	net_unlock();
	mm_free(isk);
}

static unsigned udp_poll(struct socket *s, struct poll_watch *w)
{
	struct inet_sock *isk = s->priv;
	unsigned ev = 0;

	if (w)
		poll_watch_add(&s->poll, w);
	if (isk->dq_head || isk->shut_rd)
		ev |= POLLIN | POLLRDNORM;
	if (!isk->shut_wr)
		ev |= POLLOUT | POLLWRNORM;
	if (isk->shut_rd && isk->shut_wr)
		ev |= POLLHUP;
	return ev;
}

static long udp_readable(struct socket *s)
{
	struct inet_sock *isk = s->priv;
	long n;

	net_lock();
	n = isk->dq_head ? isk->dq_head->p->tot_len : 0;
	net_unlock();
	return n;
}

/* ---- common operations ---------------------------------------------------- */

static int inet_getname(struct socket *s, void *addr, unsigned *len, bool peer)
{
	struct inet_sock *isk = s->priv;
	int ret = 0;

	net_lock();
	if (peer) {
		if (isk->state != ST_CONNECTED && !(isk->state == ST_CLOSED && isk->type == SOCK_STREAM))
			ret = -ENOTCONN;
		else
			*len = addr_out(isk, &isk->remote, isk->remote_port, addr);
	} else if (isk->bound) {
		*len = addr_out(isk, &isk->local, isk->local_port, addr);
	} else {
		*len = addr_out(isk, NULL, 0, addr);
	}
	net_unlock();
	return ret;
}

/* The ip_pcb options (SOF_*, tos, ttl) live at the start of both pcb kinds. */
static struct ip_pcb *ip_pcb_of(struct inet_sock *isk)
{
	return isk->type == SOCK_STREAM ? (struct ip_pcb *)isk->tcp : (struct ip_pcb *)isk->udp;
}

static void set_pcb_option(struct ip_pcb *pcb, u8_t opt, int on)
{
	if (on)
		ip_set_option(pcb, opt);
	else
		ip_reset_option(pcb, opt);
}

static int int_opt(const void *val, unsigned len, int *out)
{
	if (len < sizeof(int))
		return -EINVAL;
	memcpy(out, val, sizeof(int));
	return 0;
}

static int inet_setsockopt(struct socket *s, int level, int name, const void *val, unsigned len)
{
	struct inet_sock *isk = s->priv;
	struct ip_pcb *pcb;
	int v, ret;

	if ((ret = int_opt(val, len, &v)))
		return ret;
	net_lock();
	if (isk->type == SOCK_STREAM)
		tcp_ensure_pcb(isk);
	pcb = ip_pcb_of(isk);
	ret = 0;
	if (level == SOL_SOCKET) {
		if (name == SO_KEEPALIVE && pcb)
			set_pcb_option(pcb, SOF_KEEPALIVE, v);
		else if (name == SO_BROADCAST && pcb)
			set_pcb_option(pcb, SOF_BROADCAST, v);
	} else if (level == SOL_TCP && isk->type == SOCK_STREAM) {
		struct tcp_pcb *tp = isk->tcp;

		switch (name) {
		case TCP_NODELAY_OPT:
			if (tp && v)
				tcp_nagle_disable(tp);
			else if (tp)
				tcp_nagle_enable(tp);
			break;
		case TCP_KEEPIDLE_OPT:
		case TCP_KEEPINTVL_OPT:
		case TCP_KEEPCNT_OPT:
			if (v < 1 || v > 32767) {
				ret = -EINVAL;
				break;
			}
			if (tp && tp->state != LISTEN) {
				if (name == TCP_KEEPIDLE_OPT)
					tp->keep_idle = (u32_t)v * 1000;
				else if (name == TCP_KEEPINTVL_OPT)
					tp->keep_intvl = (u32_t)v * 1000;
				else
					tp->keep_cnt = (u32_t)v;
			}
			break;
		case TCP_CORK_OPT:
		case TCP_DEFER_ACCEPT_OPT:
		case TCP_QUICKACK_OPT:
		case TCP_MAXSEG_OPT:
			break;	/* accepted; lwIP has no equivalent worth the difference */
		default:
			ret = -ENOPROTOOPT;
		}
	} else if (level == SOL_IP && isk->family == AF_INET) {
		if (name == IP_TOS_OPT && pcb)
			pcb->tos = (u8_t)v;
		else if (name == IP_TTL_OPT && pcb)
			pcb->ttl = (u8_t)(v < 0 ? IP_DEFAULT_TTL : v);
		else
			ret = -ENOPROTOOPT;
	} else if (level == SOL_IPV6 && isk->family == AF_INET6) {
		if (name == IPV6_V6ONLY_OPT) {
			if (isk->bound || isk->state != ST_NEW)
				ret = -EINVAL;
			else {
				isk->v6only = v != 0;
				if (pcb)
					IP_SET_TYPE_VAL(pcb->local_ip, pcb_type(isk));
			}
		} else {
			ret = -ENOPROTOOPT;
		}
	} else {
		ret = -ENOPROTOOPT;
	}
	net_unlock();
	return ret;
}

static int inet_getsockopt(struct socket *s, int level, int name, void *val, unsigned *len)
{
	struct inet_sock *isk = s->priv;
	int v = 0, ret = 0;

	net_lock();
	struct ip_pcb *pcb = ip_pcb_of(isk);

	if (level == SOL_SOCKET && name == SO_ERROR) {
		v = -isk->err;
		isk->err = 0;
	} else if (level == SOL_SOCKET && name == SO_KEEPALIVE) {
		v = pcb && ip_get_option(pcb, SOF_KEEPALIVE) ? 1 : 0;
	} else if (level == SOL_TCP && isk->type == SOCK_STREAM) {
		struct tcp_pcb *tp = isk->tcp;

		switch (name) {
		case TCP_NODELAY_OPT:
			v = tp && tp->state != LISTEN && tcp_nagle_disabled(tp);
			break;
		case TCP_MAXSEG_OPT:
			v = tp && tp->state != LISTEN ? tp->mss : TCP_MSS;
			break;
		case TCP_KEEPIDLE_OPT:
			v = tp && tp->state != LISTEN ? (int)(tp->keep_idle / 1000) : 7200;
			break;
		case TCP_KEEPINTVL_OPT:
			v = tp && tp->state != LISTEN ? (int)(tp->keep_intvl / 1000) : 75;
			break;
		case TCP_KEEPCNT_OPT:
			v = tp && tp->state != LISTEN ? (int)tp->keep_cnt : 9;
			break;
		case TCP_CORK_OPT:
		case TCP_DEFER_ACCEPT_OPT:
		case TCP_QUICKACK_OPT:
			v = 0;
			break;
		default:
			ret = -ENOPROTOOPT;
		}
	} else if (level == SOL_IP && isk->family == AF_INET && (name == IP_TOS_OPT || name == IP_TTL_OPT)) {
		v = name == IP_TOS_OPT ? (pcb ? pcb->tos : 0) : (pcb ? pcb->ttl : IP_DEFAULT_TTL);
	} else if (level == SOL_IPV6 && isk->family == AF_INET6 && name == IPV6_V6ONLY_OPT) {
		v = isk->v6only;
	} else {
		ret = -ENOPROTOOPT;
	}
	net_unlock();
	if (ret)
		return ret;
	if (*len > sizeof(int))
		*len = sizeof(int);
	memcpy(val, &v, *len);
	return 0;
}

static const struct socket_ops tcp_ops = {
	.bind = inet_bind,
	.connect = tcp_connect_op,
	.listen = tcp_listen_op,
	.accept = tcp_accept_op,
	.sendmsg = tcp_sendmsg,
	.recvmsg = tcp_recvmsg,
	.shutdown = tcp_shutdown_op,
	.getname = inet_getname,
	.setsockopt = inet_setsockopt,
	.getsockopt = inet_getsockopt,
	.poll = tcp_poll_op,
	.readable = tcp_readable,
	.release = tcp_release,
};

static const struct socket_ops udp_ops = {
	.bind = inet_bind,
	.connect = udp_connect_op,
	.sendmsg = udp_sendmsg,
	.recvmsg = udp_recvmsg,
	.shutdown = udp_shutdown_op,
	.getname = inet_getname,
	.setsockopt = inet_setsockopt,
	.getsockopt = inet_getsockopt,
	.poll = udp_poll,
	.readable = udp_readable,
	.release = udp_release,
};

static int inet_create(struct socket *s, int type, int protocol)
{
	struct inet_sock *isk;
	int ret = 0;

	if (type == SOCK_STREAM && protocol && protocol != 6)
		return -EPROTONOSUPPORT;
	if (type == SOCK_DGRAM && protocol && protocol != 17)
		return -EPROTONOSUPPORT;
	if (type != SOCK_STREAM && type != SOCK_DGRAM)
		return -ESOCKTNOSUPPORT;
	if ((ret = net_start()))
		return ret;
	isk = isk_alloc(s->family, type);
	if (!isk)
		return -ENOMEM;
	isk->sock = s;
	net_lock();
	if (type == SOCK_STREAM) {
		ret = tcp_ensure_pcb(isk);
		update_writable(isk);
	} else {
		isk->udp = udp_new_ip_type(pcb_type(isk));
		if (isk->udp)
			udp_recv(isk->udp, on_udp_recv, isk);
		else
			ret = -ENOBUFS;
	}
	net_unlock();
	if (ret) {
		mm_free(isk);
		return ret;
	}
	s->ops = type == SOCK_STREAM ? &tcp_ops : &udp_ops;
	s->priv = isk;
	return 0;
}

static const struct socket_family inet4_family = { .family = AF_INET, .create = inet_create };
static const struct socket_family inet6_family = { .family = AF_INET6, .create = inet_create };

void inet_init(void)
{
	socket_family_register(&inet4_family);
	socket_family_register(&inet6_family);
}
