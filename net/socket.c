/*
 * The generic socket layer (the contract is include/mote/socket.h).
 *
 * A socket is a struct file whose priv is a struct socket; the file ops
 * here turn read/write/poll/ioctl/close into the family's socket_ops, so
 * a protocol implements only its socket_ops and never sees a file. The
 * SOL_SOCKET options every family shares live in struct socket and are
 * kept here; the family still hears about each (it may act on SO_RCVBUF)
 * and answers the ones only it knows (SO_ERROR, SO_PEERCRED).
 *
 * Families sit in a small table: AF_UNIX is built in, others register at
 * init. Nothing here blocks; blocking is the family's, with the deadline
 * and non-blocking helpers below so every family reads the same fields.
 */
#include <lib/err.h>
#include <lib/errno.h>
#include <lib/string.h>
#include <mote/clock.h>
#include <mote/layout.h>
#include <mote/log.h>
#include <mote/mm.h>
#include <mote/socket.h>
#include <mote/uaccess.h>
#include <mote/vfs.h>
#include "internal.h"

#define FAMILIES_MAX 8
#define NS_PER_SEC 1000000000ull

static const struct socket_family *families[FAMILIES_MAX] = { &unix_family };
static const struct socket_env *env;
static uint64_t next_ino = 1;

static const struct file_ops socket_file_ops;

/* ---- Families and the caller's environment ---------------------------------- */

void socket_family_register(const struct socket_family *fam)
{
	for (unsigned i = 0; i < FAMILIES_MAX; i++) {
		if (!families[i] || families[i]->family == fam->family) {
			families[i] = fam;
			return;
		}
	}
	panic("socket: family table full");
}

static const struct socket_family *family_find(int family)
{
	for (unsigned i = 0; i < FAMILIES_MAX && families[i]; i++)
		if (families[i]->family == family)
			return families[i];
	return NULL;
}

void socket_set_env(const struct socket_env *e)
{
	__atomic_store_n(&env, e, __ATOMIC_RELEASE);
}

struct vnode *socket_env_cwd(void)
{
	const struct socket_env *e = __atomic_load_n(&env, __ATOMIC_ACQUIRE);

	return e ? e->cwd() : NULL;
}

unsigned socket_env_umask(void)
{
	const struct socket_env *e = __atomic_load_n(&env, __ATOMIC_ACQUIRE);

	return e ? e->umask() : 022;
}

int socket_env_pid(void)
{
	const struct socket_env *e = __atomic_load_n(&env, __ATOMIC_ACQUIRE);

	return e ? e->pid() : 0;
}

/* ---- Creation ------------------------------------------------------------------ */

struct socket *socket_alloc(int family, int type, int protocol)
{
	struct socket *s = mm_calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->family = family;
	s->type = type & SOCK_TYPE_MASK;
	s->protocol = protocol;
	s->rcvbuf = s->sndbuf = SOCK_BUF_DEFAULT;
	s->pid = socket_env_pid();
	s->ino = __atomic_fetch_add(&next_ino, 1, __ATOMIC_RELAXED);
	poll_head_init(&s->poll);
	return s;
}

void socket_destroy(struct socket *s)
{
	if (s->ops && s->ops->release)
		s->ops->release(s);
	mm_free(s);
}

struct file *socket_file(struct socket *s, unsigned file_flags)
{
	struct file *f = file_alloc(&socket_file_ops,
				    (file_flags & (SOCK_NONBLOCK | SOCK_CLOEXEC)) | 2 /* O_RDWR */, s);

	if (IS_ERR(f)) {
		socket_destroy(s);
		return f;
	}
	s->file = f;
	return f;
}

/* Checks the type word and makes the family's socket (no file yet). */
static int socket_make(int family, int type, int protocol, struct socket **out)
{
	const struct socket_family *fam;
	int kind = type & SOCK_TYPE_MASK;
	struct socket *s;
	int ret;

	if (type & ~(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	if (family < 0 || family >= 64 /* AF_MAX */)
		return -EAFNOSUPPORT;
	if (!(fam = family_find(family)))
		return -EAFNOSUPPORT;
	if (kind >= 11 /* SOCK_MAX */)
		return -EINVAL;
	if (kind != SOCK_STREAM && kind != SOCK_DGRAM && kind != SOCK_RAW &&
	    kind != SOCK_SEQPACKET && kind != 4 /* SOCK_RDM */)
		return -ESOCKTNOSUPPORT;	/* SOCK_DCCP, SOCK_PACKET, 0: no family has them */
	if (!(s = socket_alloc(family, type, protocol)))
		return -ENOMEM;
	if ((ret = fam->create(s, kind, protocol))) {
		mm_free(s);
		return ret;
	}
	*out = s;
	return 0;
}

struct file *socket_create(int family, int type, int protocol)
{
	struct socket *s;
	int ret = socket_make(family, type, protocol, &s);

	return ret ? ERR_PTR(ret) : socket_file(s, (unsigned)type);
}

int socket_create_pair(int family, int type, int protocol, struct file *out[2])
{
	const struct socket_family *fam = family_find(family);
	struct socket *a, *b;
	int ret;

	if ((ret = socket_make(family, type, protocol, &a)))
		return ret;
	if ((ret = socket_make(family, type, protocol, &b))) {
		socket_destroy(a);
		return ret;
	}
	if ((ret = fam->pair ? fam->pair(a, b) : -EOPNOTSUPP)) {
		socket_destroy(a);
		socket_destroy(b);
		return ret;
	}
	out[0] = socket_file(a, (unsigned)type);
	if (IS_ERR(out[0])) {
		socket_destroy(b);
		return PTR_ERR(out[0]);
	}
	out[1] = socket_file(b, (unsigned)type);
	if (IS_ERR(out[1])) {
		file_put(out[0]);
		return PTR_ERR(out[1]);
	}
	return 0;
}

struct socket *socket_of(struct file *f)
{
	return f->ops == &socket_file_ops ? f->priv : NULL;
}

int socket_listen(struct socket *s, int backlog)
{
	int ret = s->ops->listen ? s->ops->listen(s, backlog) : -EOPNOTSUPP;

	if (!ret)
		s->listening = true;
	return ret;
}

/* ---- Blocking helpers -------------------------------------------------------- */

static uint64_t deadline_after(uint64_t timeo)
{
	return timeo ? clock_monotonic_ns() + timeo : 0;
}

uint64_t socket_rcv_deadline(const struct socket *s)
{
	return deadline_after(s->rcvtimeo_ns);
}

uint64_t socket_snd_deadline(const struct socket *s)
{
	return deadline_after(s->sndtimeo_ns);
}

bool socket_nonblocking(const struct socket *s, int flags)
{
	return (flags & MSG_DONTWAIT) || (s->file && (__atomic_load_n(&s->file->flags,
						       __ATOMIC_RELAXED) & FILE_NONBLOCK));
}

/* ---- kiovec ---------------------------------------------------------------------- */

size_t kiov_total(const struct kiovec *iov, unsigned n)
{
	size_t total = 0;

	for (unsigned i = 0; i < n; i++)
		total += iov[i].len;
	return total;
}

/* Walks the list from byte off, calling copy on each piece; bytes done. */
static size_t kiov_walk(const struct kiovec *iov, unsigned cnt, size_t off, char *buf, size_t n,
			bool into)
{
	size_t done = 0;

	for (unsigned i = 0; i < cnt && done < n; i++) {
		size_t run;

		if (off >= iov[i].len) {
			off -= iov[i].len;
			continue;
		}
		run = iov[i].len - off < n - done ? iov[i].len - off : n - done;
		if (into)
			memcpy((char *)iov[i].base + off, buf + done, run);
		else
			memcpy(buf + done, (char *)iov[i].base + off, run);
		done += run;
		off = 0;
	}
	return done;
}

size_t kiov_to(const struct kiovec *iov, unsigned cnt, size_t off, const void *src, size_t n)
{
	return kiov_walk(iov, cnt, off, (char *)src, n, true);
}

size_t kiov_from(const struct kiovec *iov, unsigned cnt, size_t off, void *dst, size_t n)
{
	return kiov_walk(iov, cnt, off, dst, n, false);
}

/* ---- Options -------------------------------------------------------------------- */

struct timeval_k {
	int64_t sec, usec;
};

static int opt_int(const void *val, unsigned len, int *out)
{
	if (len < sizeof(int))
		return -EINVAL;
	memcpy(out, val, sizeof(int));
	return 0;
}

static int set_timeo(const void *val, unsigned len, uint64_t *out)
{
	struct timeval_k tv;

	if (len < sizeof(tv))
		return -EINVAL;
	memcpy(&tv, val, sizeof(tv));
	if (tv.usec < 0 || tv.usec >= 1000000)
		return -EDOM;
	if (tv.sec < 0)
		*out = 1;	/* Linux: "expired already" */
	else
		*out = (uint64_t)tv.sec * NS_PER_SEC + (uint64_t)tv.usec * 1000;
	return 0;
}

/* Linux doubles the value asked for (bookkeeping overhead), within limits. */
static int buf_size(int v, int min, bool force)
{
	unsigned u = (unsigned)v;

	if (!force && u > SOCK_BUF_MAX)
		u = SOCK_BUF_MAX;
	if (u > 0x7fffffff / 2)
		u = 0x7fffffff / 2;
	return (int)(u * 2) < min ? min : (int)(u * 2);
}

/* The common options: 0 set, -ENOPROTOOPT not common, other errors. */
static int set_common(struct socket *s, int name, const void *val, unsigned len)
{
	struct { int on, secs; } lg;
	int v = 0, ret = 0;

	if (name == SO_RCVTIMEO)
		return set_timeo(val, len, &s->rcvtimeo_ns);
	if (name == SO_SNDTIMEO)
		return set_timeo(val, len, &s->sndtimeo_ns);
	if (name == SO_LINGER) {
		if (len < sizeof(lg))
			return -EINVAL;
		memcpy(&lg, val, sizeof(lg));
		s->linger.on = lg.on != 0;
		s->linger.secs = lg.secs;
		return 0;
	}
	if ((ret = opt_int(val, len, &v)))
		return ret;
	switch (name) {
	case SO_REUSEADDR: s->reuseaddr = v != 0; break;
	case SO_REUSEPORT: s->reuseport = v != 0; break;
	case SO_KEEPALIVE: s->keepalive = v != 0; break;
	case SO_PASSCRED: s->passcred = v != 0; break;
	case SO_BROADCAST: s->broadcast = v != 0; break;
	case SO_SNDBUF: case SO_SNDBUFFORCE:
		s->sndbuf = buf_size(v, SOCK_MIN_SNDBUF, name == SO_SNDBUFFORCE);
		break;
	case SO_RCVBUF: case SO_RCVBUFFORCE:
		s->rcvbuf = buf_size(v, SOCK_MIN_RCVBUF, name == SO_RCVBUFFORCE);
		break;
	case SO_TYPE: case SO_DOMAIN: case SO_PROTOCOL: case SO_ACCEPTCONN: case SO_ERROR:
	case SO_PEERCRED:
		return -ENOPROTOOPT;	/* read-only */
	case SO_DEBUG: case SO_DONTROUTE: case SO_OOBINLINE: case SO_RCVLOWAT:
		break;	/* accepted, no effect */
	default:
		return -ENOPROTOOPT;
	}
	return 0;
}

int socket_setsockopt(struct socket *s, int level, int name, const void *val, unsigned len)
{
	int ret;

	if (level != SOL_SOCKET)
		return s->ops->setsockopt ? s->ops->setsockopt(s, level, name, val, len)
					  : -ENOPROTOOPT;
	if ((ret = set_common(s, name, val, len)) != -ENOPROTOOPT) {
		if (!ret && s->ops->setsockopt)
			s->ops->setsockopt(s, level, name, val, len);	/* a note, not a veto */
		return ret;
	}
	return s->ops->setsockopt ? s->ops->setsockopt(s, level, name, val, len) : -ENOPROTOOPT;
}

static void get_timeo(uint64_t ns, struct timeval_k *tv)
{
	tv->sec = (int64_t)(ns / NS_PER_SEC);
	tv->usec = (int64_t)(ns % NS_PER_SEC / 1000);
}

/* The common options' values; -ENOPROTOOPT for the family's. */
static int get_common(struct socket *s, int name, void *val, unsigned *len)
{
	struct { int on, secs; } lg = { s->linger.on, s->linger.secs };
	struct timeval_k tv;
	const void *src = val;
	unsigned n = sizeof(int);
	int v;

	switch (name) {
	case SO_REUSEADDR: v = s->reuseaddr; break;
	case SO_REUSEPORT: v = s->reuseport; break;
	case SO_KEEPALIVE: v = s->keepalive; break;
	case SO_PASSCRED: v = s->passcred; break;
	case SO_BROADCAST: v = s->broadcast; break;
	case SO_SNDBUF: v = s->sndbuf; break;
	case SO_RCVBUF: v = s->rcvbuf; break;
	case SO_TYPE: v = s->type; break;
	case SO_DOMAIN: v = s->family; break;
	case SO_PROTOCOL: v = s->protocol; break;
	case SO_ACCEPTCONN: v = s->listening; break;
	case SO_DEBUG: case SO_DONTROUTE: case SO_OOBINLINE: v = 0; break;
	case SO_RCVLOWAT: case SO_SNDLOWAT: v = 1; break;
	case SO_LINGER: src = &lg; n = sizeof(lg); break;
	case SO_RCVTIMEO: case SO_SNDTIMEO:
		get_timeo(name == SO_RCVTIMEO ? s->rcvtimeo_ns : s->sndtimeo_ns, &tv);
		src = &tv;
		n = sizeof(tv);
		break;
	default:
		return -ENOPROTOOPT;
	}
	if (src == val)
		src = &v;
	if (*len > n)
		*len = n;
	memcpy(val, src, *len);
	return 0;
}

int socket_getsockopt(struct socket *s, int level, int name, void *val, unsigned *len)
{
	int ret;

	if (level == SOL_SOCKET && (ret = get_common(s, name, val, len)) != -ENOPROTOOPT)
		return ret;
	ret = s->ops->getsockopt ? s->ops->getsockopt(s, level, name, val, len) : -ENOPROTOOPT;
	if (ret == -ENOPROTOOPT && level == SOL_SOCKET && name == SO_ERROR) {
		int zero = 0;

		*len = *len < sizeof(zero) ? *len : sizeof(zero);
		memcpy(val, &zero, *len);
		ret = 0;
	}
	return ret;
}

/* ---- The socket file ----------------------------------------------------------- */

static long sock_read(struct file *f, void *buf, size_t len)
{
	struct socket *s = f->priv;
	struct kiovec iov = { buf, len };
	struct kmsg m = { .iov = &iov, .iovlen = 1 };
	long ret;

	if (!s->ops->recvmsg)
		return -EINVAL;
	ret = s->ops->recvmsg(s, &m, 0);
	for (unsigned i = 0; i < m.nfiles; i++)	/* read(2) drops passed descriptors, as Linux */
		file_put(m.files[i]);
	mm_free(m.files);
	return ret;
}

static long sock_write(struct file *f, const void *buf, size_t len)
{
	struct socket *s = f->priv;
	struct kiovec iov = { (void *)buf, len };
	struct kmsg m = { .iov = &iov, .iovlen = 1 };

	if (!s->ops->sendmsg)
		return -EINVAL;
	return s->ops->sendmsg(s, &m, 0);
}

static unsigned sock_poll(struct file *f, struct poll_watch *w)
{
	struct socket *s = f->priv;

	if (!s->ops->poll) {
		if (w)
			poll_watch_add(&s->poll, w);
		return POLLOUT | POLLWRNORM;
	}
	return s->ops->poll(s, w);
}

static long sock_ioctl(struct file *f, unsigned cmd, unsigned long arg)
{
	struct socket *s = f->priv;
	long n;
	int v;

	if (cmd != SIOCINQ)
		return -ENOTTY;
	n = s->ops->readable ? s->ops->readable(s) : -EINVAL;
	if (n < 0)
		return n;
	v = n > 0x7fffffff ? 0x7fffffff : (int)n;
	return copy_to_user((void *)arg, &v, sizeof(v)) ? -EFAULT : 0;
}

/* What Linux's sockfs shows: a socket node of its own, mode 0777. */
static int sock_stat(struct file *f, struct kstat *st)
{
	struct socket *s = f->priv;

	memset(st, 0, sizeof(*st));
	st->dev = 0x8;
	st->ino = s->ino;
	st->mode = VFS_S_IFSOCK | 0777;
	st->nlink = 1;
	st->blksize = PAGE_SIZE;
	return 0;
}

static void sock_release(struct file *f)
{
	socket_destroy(f->priv);
}

static const struct file_ops socket_file_ops = {
	.read = sock_read,
	.write = sock_write,
	.poll = sock_poll,
	.ioctl = sock_ioctl,
	.stat = sock_stat,
	.release = sock_release,
};
