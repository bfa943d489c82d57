/*
 * Socket system calls: socket, socketpair, bind, listen, accept(4),
 * connect, shutdown, the send and receive families, the socket options
 * and names, sendfile and splice.
 *
 * Everything here is translation: descriptors become struct socket (or
 * -ENOTSOCK), user memory is copied into kernel buffers (addresses of at
 * most SOCKADDR_MAX bytes, data through one bounce buffer per call,
 * control messages), and the generic layer (net/socket.c) does the rest.
 * SCM_RIGHTS descriptors become file references before sendmsg and
 * descriptors again after recvmsg, so no protocol sees a descriptor.
 * -EPIPE raises SIGPIPE unless MSG_NOSIGNAL. read, write, readv and writev
 * on a socket come here too (socket_file_rw): recv and send with no flags.
 *
 * Bounce sizes: a stream send goes in rounds of STREAM_CHUNK bytes (each
 * round may block, and a stream may take part of a call); a datagram must
 * go whole, so it is copied whole, up to DGRAM_MAX. A stream receive takes
 * at most STREAM_CHUNK bytes a call (a short read is normal), except with
 * MSG_WAITALL, which goes round until it has them all. When memory is in
 * pieces a stream's rounds are one page (io_buffer).
 */
#include <lib/err.h>
#include <lib/errno.h>
#include <lib/string.h>
#include <mote/fdtable.h>
#include <mote/file.h>
#include <mote/linux.h>
#include <mote/mm.h>
#include <mote/pipe.h>
#include <mote/poll.h>
#include <mote/socket.h>
#include <mote/uaccess.h>
#include <mote/vfs.h>
#include "linux_internal.h"
#include "syscall.h"

#define STREAM_CHUNK (64 * 1024)
#define DGRAM_MAX    (512 * 1024)
#define OPT_MAX      256
#define CONTROL_MAX  20480		/* net.core.optmem_max */
#define SCM_RIGHTS      1
#define SCM_CREDENTIALS 2

struct msghdr_k {
	uint64_t name;
	uint32_t namelen, pad0;
	uint64_t iov, iovlen, control, controllen;
	int32_t flags, pad1;
};
_Static_assert(sizeof(struct msghdr_k) == 56, "x86-64 struct msghdr");

struct mmsghdr_k {
	struct msghdr_k hdr;
	uint32_t len, pad;
};

struct cmsghdr_k {
	uint64_t len;
	int32_t level, type;
};
#define CMSG_HDR   sizeof(struct cmsghdr_k)
#define CMSG_AL(n) (((n) + 7) & ~(size_t)7)

struct ucred_k {
	int32_t pid;
	uint32_t uid, gid;
};

/* ---- The caller, for the generic layer ----------------------------------------------- */

static struct vnode *env_cwd(void)
{
	struct linux_process *p = current_process();
	struct vnode *vn;

	if (!p)
		return NULL;
	mutex_lock(&p->fs_lock);
	vn = p->cwd;
	vnode_get(vn);
	mutex_unlock(&p->fs_lock);
	return vn;
}

static unsigned env_umask(void)
{
	struct linux_process *p = current_process();

	return p ? p->umask : 022;
}

static int env_pid(void)
{
	struct linux_process *p = current_process();

	return p ? p->pid : 0;
}

static const struct socket_env linux_env = { env_cwd, env_umask, env_pid };

/* ---- Helpers ------------------------------------------------------------------------------- */

/* The socket behind fd, its file referenced in *fp; -EBADF, -ENOTSOCK. */
static struct socket *sock_get(int fd, struct file **fp)
{
	struct file *f = fget(fd);
	struct socket *s;

	if (IS_ERR(f))
		return ERR_PTR(PTR_ERR(f));
	if (!(s = socket_of(f))) {
		file_put(f);
		return ERR_PTR(-ENOTSOCK);
	}
	*fp = f;
	return s;
}

static long epipe(long ret, int flags)
{
	if (ret == -EPIPE && !(flags & MSG_NOSIGNAL)) {
		struct k_siginfo info = { .signo = SIGPIPE, .code = SI_USER };

		signal_send_task(current_task(), &info);
	}
	return ret;
}

/* An address from user memory: -EINVAL for a bad length, -EFAULT. */
static int addr_in(unsigned long uaddr, unsigned long len, void *buf)
{
	if ((int)len < 0 || len > SOCKADDR_MAX)
		return -EINVAL;
	return len && copy_from_user(buf, (void *)uaddr, len) ? -EFAULT : 0;
}

/* Writes an address of klen bytes to (uaddr, *ulenp) as Linux: truncated, full length reported. */
static int addr_out(const void *buf, unsigned klen, unsigned long uaddr, unsigned long ulenp)
{
	int32_t ulen;

	if (!uaddr)
		return 0;
	if (copy_from_user(&ulen, (void *)ulenp, sizeof(ulen)))
		return -EFAULT;
	if (ulen < 0)
		return -EINVAL;
	if (klen && copy_to_user((void *)uaddr, buf, (unsigned)ulen < klen ? (unsigned)ulen : klen))
		return -EFAULT;
	return copy_to_user((void *)ulenp, &klen, sizeof(klen)) ? -EFAULT : 0;
}

/* ---- Creation, names, connections ---------------------------------------------------------- */

SYSCALL(socket)
{
	socket_set_env(&linux_env);
	return install_file(socket_create((int)a0, (int)a1, (int)a2), a1 & SOCK_CLOEXEC);
}

SYSCALL(socketpair)
{
	struct fdtable *t = current_process()->fds;
	struct file *f[2];
	int fds[2], ret;

	socket_set_env(&linux_env);
	if (!user_range_ok((void *)a3, sizeof(fds)))
		return -EFAULT;
	if ((ret = socket_create_pair((int)a0, (int)a1, (int)a2, f)))
		return ret;
	if ((fds[0] = (int)install_file(f[0], a1 & SOCK_CLOEXEC)) < 0) {
		file_put(f[1]);
		return fds[0];
	}
	if ((fds[1] = (int)install_file(f[1], a1 & SOCK_CLOEXEC)) < 0) {
		fd_close(t, fds[0]);
		return fds[1];
	}
	if (copy_to_user((void *)a3, fds, sizeof(fds))) {
		fd_close(t, fds[0]);
		fd_close(t, fds[1]);
		return -EFAULT;
	}
	return 0;
}

/* bind and connect: an address in, one op. */
static long addr_call(int fd, unsigned long uaddr, unsigned long len, bool connect)
{
	char addr[SOCKADDR_MAX];
	struct file *f;
	struct socket *s;
	long ret = addr_in(uaddr, len, addr);

	if (ret)
		return ret;
	s = sock_get(fd, &f);
	if (IS_ERR(s))
		return PTR_ERR(s);
	if (connect)
		ret = s->ops->connect ? s->ops->connect(s, addr, (unsigned)len) : -EOPNOTSUPP;
	else
		ret = s->ops->bind ? s->ops->bind(s, addr, (unsigned)len) : -EOPNOTSUPP;
	file_put(f);
	return ret;
}

SYSCALL(bind) { return addr_call((int)a0, a1, a2, false); }
SYSCALL(connect) { return addr_call((int)a0, a1, a2, true); }

SYSCALL(listen)
{
	struct file *f;
	struct socket *s = sock_get((int)a0, &f);
	long ret;

	if (IS_ERR(s))
		return PTR_ERR(s);
	ret = socket_listen(s, (int)a1);
	file_put(f);
	return ret;
}

static long do_accept(int fd, unsigned long uaddr, unsigned long ulenp, unsigned flags)
{
	char addr[SOCKADDR_MAX];
	unsigned alen = 0;
	struct socket *s, *ns;
	struct file *f, *nf;
	long ret;

	if (flags & ~(unsigned)(SOCK_CLOEXEC | SOCK_NONBLOCK))
		return -EINVAL;
	s = sock_get(fd, &f);
	if (IS_ERR(s))
		return PTR_ERR(s);
	/* Past RLIMIT_NOFILE the connection stays queued, as in Linux, which
	 * reserves the descriptor before it takes a connection. */
	if ((ret = fd_check_free(current_process()->fds, 0))) {
		file_put(f);
		return ret;
	}
	ret = s->ops->accept ? s->ops->accept(s, &ns, flags) : -EOPNOTSUPP;
	file_put(f);
	if (ret)
		return ret;
	nf = socket_file(ns, flags);
	if (IS_ERR(nf))
		return PTR_ERR(nf);
	if (uaddr && (ret = ns->ops->getname(ns, addr, &alen, true)) == -ENOTCONN)
		ret = alen = 0;	/* the client already went: an empty name */
	if (!ret)
		ret = addr_out(addr, alen, uaddr, ulenp);
	if (ret) {
		file_put(nf);
		return ret;
	}
	return install_file(nf, flags & SOCK_CLOEXEC);
}

SYSCALL(accept) { return do_accept((int)a0, a1, a2, 0); }
SYSCALL(accept4) { return do_accept((int)a0, a1, a2, (unsigned)a3); }

SYSCALL(shutdown)
{
	struct file *f;
	struct socket *s;
	long ret;

	s = sock_get((int)a0, &f);
	if (IS_ERR(s))
		return PTR_ERR(s);
	if ((int)a1 < SHUT_RD || (int)a1 > SHUT_RDWR)
		ret = -EINVAL;
	else
		ret = s->ops->shutdown ? s->ops->shutdown(s, (int)a1) : -EOPNOTSUPP;
	file_put(f);
	return ret;
}

static long name_call(int fd, unsigned long uaddr, unsigned long ulenp, bool peer)
{
	char addr[SOCKADDR_MAX];
	unsigned alen = 0;
	struct file *f;
	struct socket *s;
	int32_t ulen;
	long ret;

	s = sock_get(fd, &f);
	if (IS_ERR(s))
		return PTR_ERR(s);
	if (copy_from_user(&ulen, (void *)ulenp, sizeof(ulen)))
		ret = -EFAULT;
	else if (ulen < 0)
		ret = -EINVAL;
	else
		ret = s->ops->getname ? s->ops->getname(s, addr, &alen, peer) : -EOPNOTSUPP;
	file_put(f);
	return ret ? ret : addr_out(addr, alen, uaddr ? uaddr : 1, ulenp);
}

SYSCALL(getsockname) { return name_call((int)a0, a1, a2, false); }
SYSCALL(getpeername) { return name_call((int)a0, a1, a2, true); }

/* ---- Options ------------------------------------------------------------------------------- */

SYSCALL(setsockopt)
{
	char val[OPT_MAX];
	unsigned len = (unsigned)a4 < OPT_MAX ? (unsigned)a4 : OPT_MAX;
	struct file *f;
	struct socket *s;
	long ret;

	if ((int)a4 < 0)
		return -EINVAL;
	s = sock_get((int)a0, &f);
	if (IS_ERR(s))
		return PTR_ERR(s);
	if (len && copy_from_user(val, (void *)a3, len))
		ret = -EFAULT;
	else
		ret = socket_setsockopt(s, (int)a1, (int)a2, val, len);
	file_put(f);
	return ret;
}

SYSCALL(getsockopt)
{
	char val[OPT_MAX];
	struct file *f;
	struct socket *s;
	int32_t ulen;
	unsigned len;
	long ret;

	s = sock_get((int)a0, &f);
	if (IS_ERR(s))
		return PTR_ERR(s);
	if (copy_from_user(&ulen, (void *)a4, sizeof(ulen))) {
		file_put(f);
		return -EFAULT;
	}
	if (ulen < 0) {
		file_put(f);
		return -EINVAL;
	}
	len = (unsigned)ulen < OPT_MAX ? (unsigned)ulen : OPT_MAX;
	ret = socket_getsockopt(s, (int)a1, (int)a2, val, &len);
	file_put(f);
	if (ret)
		return ret;
	if (copy_to_user((void *)a3, val, len) || copy_to_user((void *)a4, &len, sizeof(len)))
		return -EFAULT;
	return 0;
}

/* ---- Messages in -------------------------------------------------------------------------- */

static void files_drop(struct file **files, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		file_put(files[i]);
	mm_free(files);
}

/* SCM_RIGHTS: the descriptors' files appended to m->files. */
static int rights_in(struct kmsg *m, const int32_t *fds, unsigned n)
{
	struct file **files;

	if (m->nfiles + n > KMSG_MAX_FILES)
		return -EINVAL;
	if (!(files = mm_realloc(m->files, (m->nfiles + n) * sizeof(*files) + 1)))
		return -ENOMEM;
	m->files = files;
	for (unsigned i = 0; i < n; i++) {
		struct file *f = fget(fds[i]);

		if (IS_ERR(f))
			return -EBADF;
		m->files[m->nfiles++] = f;
	}
	return 0;
}

/* Parses a send's control messages into m (files, creds). */
static int control_in(struct kmsg *m, const char *c, size_t len)
{
	struct cmsghdr_k h;
	int ret;

	while (len >= CMSG_HDR) {
		memcpy(&h, c, sizeof(h));
		if (h.len < CMSG_HDR || h.len > len)
			return -EINVAL;
		if (h.level == SOL_SOCKET) {
			size_t dlen = h.len - CMSG_HDR;

			if (h.type == SCM_RIGHTS) {
				if ((ret = rights_in(m, (const int32_t *)(c + CMSG_HDR), (unsigned)(dlen / 4))))
					return ret;
			} else if (h.type == SCM_CREDENTIALS && dlen == sizeof(struct ucred_k)) {
				struct ucred_k uc;

				memcpy(&uc, c + CMSG_HDR, sizeof(uc));
				if (uc.pid != env_pid())
					return -EPERM;
				m->creds.pid = uc.pid;
				m->creds.uid = uc.uid;
				m->creds.gid = uc.gid;
			} else {
				return -EINVAL;
			}
		}
		if (CMSG_AL(h.len) >= len)
			break;
		c += CMSG_AL(h.len);
		len -= CMSG_AL(h.len);
	}
	return 0;
}

/* Reads a msghdr's name and control into m (the data is the caller's). */
static int msg_extras_in(const struct msghdr_k *h, struct kmsg *m, char *name)
{
	char *control;
	int ret;

	m->has_creds = true;
	m->creds.pid = env_pid();
	if (h->name && h->namelen) {
		if ((ret = addr_in(h->name, h->namelen, name)))
			return ret;
		m->name = name;
		m->namelen = h->namelen;
	} else if ((int32_t)h->namelen < 0) {
		return -EINVAL;
	}
	if (!h->controllen)
		return 0;
	if (h->controllen > CONTROL_MAX)
		return -ENOBUFS;
	if (!(control = mm_malloc(h->controllen)))
		return -ENOMEM;
	ret = copy_from_user(control, (void *)h->control, h->controllen) ? -EFAULT :
	      control_in(m, control, h->controllen);
	mm_free(control);
	return ret;
}

/*
 * Sends the data of u with m's extras (name, files, creds) on s: the
 * whole message, in rounds for a stream. Drops m's files.
 */
static long send_core(struct socket *s, const struct uio *u, struct kmsg *m, int flags)
{
	size_t chunk = s->type == SOCK_STREAM && u->total > STREAM_CHUNK ? STREAM_CHUNK : u->total;
	size_t done = 0;
	struct kiovec kv;
	char *buf = NULL;
	long ret = 0;

	if (m->nfiles && s->family != AF_UNIX)
		ret = -EINVAL;
	else if (chunk > DGRAM_MAX)
		ret = -EMSGSIZE;
	else if (!(buf = io_buffer(&chunk, s->type == SOCK_STREAM)))	/* a datagram goes whole */
		ret = -ENOMEM;
	m->iov = &kv;
	m->iovlen = 1;
	while (!ret) {
		size_t n = u->total - done < chunk ? u->total - done : chunk;

		if ((ret = uio_copy(u, done, buf, n, false)))
			break;
		kv = (struct kiovec){ buf, n };
		ret = s->ops->sendmsg ? s->ops->sendmsg(s, m, flags) : -EOPNOTSUPP;
		if (ret <= 0)
			break;
		done += (size_t)ret;
		if ((size_t)ret < n || done == u->total)
			break;
		files_drop(m->files, m->nfiles);	/* they went with the first round */
		m->files = NULL;
		m->nfiles = 0;
		ret = 0;
	}
	files_drop(m->files, m->nfiles);
	m->files = NULL;
	m->nfiles = 0;
	mm_free(buf);
	return epipe(done ? (long)done : ret, flags);
}

static long sendmsg_fd(int fd, const struct msghdr_k *h, int flags)
{
	char name[SOCKADDR_MAX];
	struct kmsg m = { 0 };
	struct file *f;
	struct socket *s = sock_get(fd, &f);
	struct uio u;
	long ret;

	if (IS_ERR(s))
		return PTR_ERR(s);
	if ((ret = uio_in(&u, h->iov, h->iovlen)) || (ret = msg_extras_in(h, &m, name)))
		files_drop(m.files, m.nfiles);
	else
		ret = send_core(s, &u, &m, flags);
	mm_free(u.iov);
	file_put(f);
	return ret;
}

SYSCALL(sendto)
{
	struct uiovec iov;
	struct uio u;
	char name[SOCKADDR_MAX];
	struct kmsg m = { .has_creds = true, .creds = { env_pid(), 0, 0 } };
	struct file *f;
	struct socket *s;
	long ret;

	if (uio_single(&u, &iov, a1, a2))
		return -EFAULT;
	if (a4 && a5) {
		if ((ret = addr_in(a4, a5, name)))
			return ret;
		m.name = name;
		m.namelen = (unsigned)a5;
	}
	s = sock_get((int)a0, &f);
	if (IS_ERR(s))
		return PTR_ERR(s);
	ret = send_core(s, &u, &m, (int)a3);
	file_put(f);
	return ret;
}

SYSCALL(sendmsg)
{
	struct msghdr_k h;

	if (copy_from_user(&h, (void *)a1, sizeof(h)))
		return -EFAULT;
	return sendmsg_fd((int)a0, &h, (int)a2);
}

SYSCALL(sendmmsg)
{
	unsigned vlen = (unsigned)a2 > UIO_MAXIOV ? UIO_MAXIOV : (unsigned)a2;
	unsigned i;
	long ret = 0;

	for (i = 0; i < vlen; i++) {
		struct mmsghdr_k mh;
		uint32_t len;

		if (copy_from_user(&mh, (char *)a1 + i * sizeof(mh), sizeof(mh))) {
			ret = -EFAULT;
			break;
		}
		if ((ret = sendmsg_fd((int)a0, &mh.hdr, (int)a3)) < 0)
			break;
		len = (uint32_t)ret;
		if (copy_to_user((char *)a1 + i * sizeof(mh) + offsetof(struct mmsghdr_k, len), &len,
				 sizeof(len))) {
			ret = -EFAULT;
			break;
		}
	}
	return i ? (long)i : ret;
}

/* ---- Messages out ---------------------------------------------------------------------------- */

/* Where control messages go: the user buffer, its room, what was used. */
struct cbuf {
	unsigned long ubase;
	size_t room, used;
	int flags;			/* MSG_CTRUNC */
};

/* Appends one control message (whole, or MSG_CTRUNC and nothing). */
static int cmsg_put(struct cbuf *cb, int type, const void *data, size_t len)
{
	struct cmsghdr_k h = { CMSG_HDR + len, SOL_SOCKET, type };
	size_t space = CMSG_AL(CMSG_HDR + len);

	if (cb->room - cb->used < CMSG_HDR + len) {
		cb->flags |= MSG_CTRUNC;
		return 0;
	}
	if (copy_to_user((void *)(cb->ubase + cb->used), &h, sizeof(h)) ||
	    copy_to_user((void *)(cb->ubase + cb->used + CMSG_HDR), data, len))
		return -EFAULT;
	cb->used += space < cb->room - cb->used ? space : cb->room - cb->used;
	return 0;
}

/*
 * SCM_RIGHTS out: installs as many of the files as fit (and as the table
 * takes), drops the others with MSG_CTRUNC, as Linux's scm_detach_fds.
 */
static int rights_out(struct cbuf *cb, struct file **files, unsigned n, bool cloexec)
{
	size_t room = cb->room - cb->used;
	unsigned fit = room > CMSG_HDR ? (unsigned)((room - CMSG_HDR) / 4) : 0, i;
	int32_t *fds = mm_malloc((n ? n : 1) * sizeof(*fds));
	int ret = 0;

	if (!fds) {
		files_drop(files, n);
		return -ENOMEM;
	}
	for (i = 0; i < n && i < fit; i++) {
		long fd = fd_install(current_process()->fds, files[i], 0, cloexec);

		if (fd < 0)
			break;
		fds[i] = (int32_t)fd;
		files[i] = NULL;
	}
	if (i < n)
		cb->flags |= MSG_CTRUNC;
	if (i)
		ret = cmsg_put(cb, SCM_RIGHTS, fds, i * sizeof(*fds));
	for (unsigned j = 0; j < n; j++)
		if (files[j])
			file_put(files[j]);
	mm_free(files);
	mm_free(fds);
	return ret;
}

static int control_out(struct kmsg *m, struct cbuf *cb, int flags)
{
	int ret = 0;

	if (m->has_creds) {
		struct ucred_k uc = { m->creds.pid, m->creds.uid, m->creds.gid };

		ret = cmsg_put(cb, SCM_CREDENTIALS, &uc, sizeof(uc));
	}
	if (m->nfiles) {
		int r = rights_out(cb, m->files, m->nfiles, flags & MSG_CMSG_CLOEXEC);

		ret = ret ? ret : r;
		m->files = NULL;
		m->nfiles = 0;
	}
	return ret;
}

/*
 * Receives into u on s; m names a SOCKADDR_MAX buffer and says whether
 * creds are wanted; the op fills the rest. A stream with MSG_WAITALL goes
 * round until u is full. Bytes received or -errno.
 */
static long recv_core(struct socket *s, const struct uio *u, struct kmsg *m, int flags)
{
	size_t cap = s->type == SOCK_STREAM ? STREAM_CHUNK : DGRAM_MAX, done = 0;
	struct kiovec kv;
	char *buf;
	long ret;

	cap = u->total < cap ? u->total : cap;
	if (!(buf = io_buffer(&cap, s->type == SOCK_STREAM)))
		return -ENOMEM;
	m->iov = &kv;
	m->iovlen = 1;
	for (;;) {
		size_t n = u->total - done < cap ? u->total - done : cap;

		kv = (struct kiovec){ buf, n };
		ret = s->ops->recvmsg ? s->ops->recvmsg(s, m, flags) : -EOPNOTSUPP;
		if (ret < 0)
			break;
		if (uio_copy(u, done, buf, (size_t)ret < n ? (size_t)ret : n, true)) {
			ret = -EFAULT;
			break;
		}
		if (s->type != SOCK_STREAM) {
			done = (size_t)ret;	/* MSG_TRUNC may make it more than fits */
			break;
		}
		done += (size_t)ret;
		if (m->nfiles || !ret || (size_t)ret < n || !(flags & MSG_WAITALL) ||
		    (flags & MSG_PEEK) || done == u->total)
			break;	/* a peek cannot go round: it would see the same bytes again */
	}
	mm_free(buf);
	return done ? (long)done : ret;
}

/* recvmsg on fd into the user's msghdr h at uh (namelen, controllen, flags written back). */
static long recvmsg_fd(int fd, struct msghdr_k *h, unsigned long uh, int flags)
{
	char name[SOCKADDR_MAX];
	struct kmsg m = { .name = name };
	struct cbuf cb = { h->control, h->controllen, 0, 0 };
	struct file *f;
	struct socket *s = sock_get(fd, &f);
	struct uio u;
	long ret;
	int r;

	if (IS_ERR(s))
		return PTR_ERR(s);
	m.want_creds = s->passcred;
	if (!(ret = uio_in(&u, h->iov, h->iovlen)))
		ret = (int32_t)h->namelen < 0 ? -EINVAL : recv_core(s, &u, &m, flags);
	file_put(f);
	mm_free(u.iov);
	if (ret < 0) {
		files_drop(m.files, m.nfiles);
		return ret;
	}
	if ((r = control_out(&m, &cb, flags)))
		ret = r;
	h->flags = m.out_flags | cb.flags | (flags & MSG_CMSG_CLOEXEC);	/* Linux echoes it */
	h->controllen = cb.used;
	if (h->name) {
		if (copy_to_user((void *)h->name, name, m.namelen < h->namelen ? m.namelen : h->namelen))
			ret = -EFAULT;
		h->namelen = m.namelen;
	}
	if (copy_to_user((void *)uh, h, sizeof(*h)))
		ret = -EFAULT;
	return ret;
}

SYSCALL(recvfrom)
{
	struct uiovec iov;
	struct uio u;
	char name[SOCKADDR_MAX];
	struct kmsg m = { .name = name };
	struct file *f;
	struct socket *s;
	long ret;

	if (uio_single(&u, &iov, a1, a2))
		return -EFAULT;
	s = sock_get((int)a0, &f);
	if (IS_ERR(s))
		return PTR_ERR(s);
	ret = recv_core(s, &u, &m, (int)a3);
	file_put(f);
	files_drop(m.files, m.nfiles);	/* no control buffer: dropped, as Linux */
	if (ret >= 0 && a4) {
		int r = addr_out(name, m.namelen, a4, a5);

		if (r)
			ret = r;
	}
	return ret;
}

SYSCALL(recvmsg)
{
	struct msghdr_k h;

	if (copy_from_user(&h, (void *)a1, sizeof(h)))
		return -EFAULT;
	return recvmsg_fd((int)a0, &h, a1, (int)a2);
}

SYSCALL(recvmmsg)
{
	unsigned vlen = (unsigned)a2 > UIO_MAXIOV ? UIO_MAXIOV : (unsigned)a2;
	int flags = (int)a3 & ~MSG_WAITFORONE;
	unsigned i;
	long ret = 0;

	for (i = 0; i < vlen; i++) {
		unsigned long uh = a1 + i * sizeof(struct mmsghdr_k);
		struct mmsghdr_k mh;

		if (copy_from_user(&mh, (void *)uh, sizeof(mh))) {
			ret = -EFAULT;
			break;
		}
		if ((ret = recvmsg_fd((int)a0, &mh.hdr, uh, flags)) < 0)
			break;
		mh.len = (uint32_t)ret;
		if (copy_to_user((char *)uh + offsetof(struct mmsghdr_k, len), &mh.len, sizeof(mh.len))) {
			ret = -EFAULT;
			break;
		}
		if (a3 & MSG_WAITFORONE)
			flags |= MSG_DONTWAIT;
	}
	return i ? (long)i : ret;
}

/* ---- read, write, readv, writev ------------------------------------------------------------ */

long socket_file_rw(struct file *f, bool writing, const struct uio *u)
{
	struct socket *s = socket_of(f);
	char name[SOCKADDR_MAX];
	struct kmsg m = writing ? (struct kmsg){ .has_creds = true, .creds = { env_pid(), 0, 0 } }
				: (struct kmsg){ .name = name };
	long ret = writing ? send_core(s, u, &m, 0) : recv_core(s, u, &m, 0);

	if (!writing)
		files_drop(m.files, m.nfiles);	/* no control buffer: dropped, as recv(2) */
	return ret;
}

/* ---- sendfile ------------------------------------------------------------------------------ */

/* Copies up to count bytes from in (at *off, or its position) to out; bytes moved or -errno. */
static long copy_file(struct file *out, struct file *in, uint64_t *off, size_t count)
{
	size_t chunk = count < STREAM_CHUNK ? count : STREAM_CHUNK, done = 0;
	char *buf = io_buffer(&chunk, true);
	long ret = 0;

	if (!buf)
		return -ENOMEM;
	while (done < count) {
		size_t n = count - done < chunk ? count - done : chunk;
		long w;

		ret = off ? in->ops->pread(in, buf, n, *off) : in->ops->read(in, buf, n);
		if (ret <= 0)
			break;
		w = out->ops->write(out, buf, (size_t)ret);
		if (w < 0) {
			ret = w;
			break;
		}
		if (off)
			*off += (uint64_t)w;
		else if (w < ret && in->ops->lseek)
			in->ops->lseek(in, w - ret, 1 /* SEEK_CUR */);
		done += (size_t)w;
		if (w < ret || (size_t)ret < n)
			break;
	}
	mm_free(buf);
	return done ? (long)done : ret;
}

SYSCALL(sendfile)
{
	struct file *out = fget((int)a0), *in;
	uint64_t off = 0;
	size_t count = a3 > RW_MAX ? RW_MAX : a3;
	long ret;

	if (IS_ERR(out))
		return PTR_ERR(out);
	in = fget((int)a1);
	if (IS_ERR(in)) {
		file_put(out);
		return PTR_ERR(in);
	}
	if (a2 && copy_from_user(&off, (void *)a2, sizeof(off)))
		ret = -EFAULT;
	else if ((in->flags & FILE_ACCMODE) == VFS_O_WRONLY || (out->flags & FILE_ACCMODE) == VFS_O_RDONLY ||
		 (in->flags | out->flags) & FILE_PATH)
		ret = -EBADF;
	else if (!in->ops->read || !out->ops->write || (a2 && !in->ops->pread) || (out->flags & FILE_APPEND))
		ret = -EINVAL;
	else if (a2 && (int64_t)off < 0)
		ret = -EINVAL;
	else
		ret = copy_file(out, in, a2 ? &off : NULL, count);
	if (ret >= 0 && a2 && copy_to_user((void *)a2, &off, sizeof(off)))
		ret = -EFAULT;
	file_put(in);
	file_put(out);
	return epipe(ret, 0);
}

/* ---- splice -------------------------------------------------------------------------------- */

#define SPLICE_F_NONBLOCK 2

static bool is_pipe(struct file *f)
{
	return pipe_bytes_readable(f) >= 0;
}

/*
 * splice(2) as one copy through a kernel buffer (at most STREAM_CHUNK
 * bytes a call), not a hand-over of pipe pages: the semantics without
 * the zero-copy. One end must be a pipe; an offset for a pipe is -ESPIPE.
 * SPLICE_F_NONBLOCK is checked with a poll of the pipe ends before the
 * copy. Bytes read from the input that the output then refuses are lost
 * (Linux leaves them in the pipe).
 */
SYSCALL(splice)
{
	struct file *in = fget((int)a0), *out;
	uint64_t off_in = 0, off_out = 0;
	size_t len = a4 < STREAM_CHUNK ? a4 : STREAM_CHUNK;
	char *buf = NULL;
	long ret, w;

	if (IS_ERR(in))
		return PTR_ERR(in);
	out = fget((int)a2);
	if (IS_ERR(out)) {
		file_put(in);
		return PTR_ERR(out);
	}
	if ((in->flags & FILE_ACCMODE) == VFS_O_WRONLY || (out->flags & FILE_ACCMODE) == VFS_O_RDONLY)
		ret = -EBADF;
	else if (!is_pipe(in) && !is_pipe(out))
		ret = -EINVAL;
	else if ((a1 && is_pipe(in)) || (a3 && is_pipe(out)))
		ret = -ESPIPE;
	else if ((a1 && copy_from_user(&off_in, (void *)a1, 8)) || (a3 && copy_from_user(&off_out, (void *)a3, 8)))
		ret = -EFAULT;
	else if ((a1 && !in->ops->pread) || (a3 && !out->ops->pwrite) || !in->ops->read || !out->ops->write ||
		 (int64_t)off_in < 0 || (int64_t)off_out < 0)
		ret = -EINVAL;
	else if ((a5 & SPLICE_F_NONBLOCK) && ((is_pipe(in) && !(poll_file_now(in) & (POLLIN | POLLHUP))) ||
					      (is_pipe(out) && !(poll_file_now(out) & (POLLOUT | POLLERR)))))
		ret = -EAGAIN;
	else if (!len)
		ret = 0;
	else if (!(buf = io_buffer(&len, true)))
		ret = -ENOMEM;
	else
		ret = a1 ? in->ops->pread(in, buf, len, off_in) : in->ops->read(in, buf, len);
	if (ret > 0) {
		w = a3 ? out->ops->pwrite(out, buf, (size_t)ret, off_out) : out->ops->write(out, buf, (size_t)ret);
		if (w >= 0 && a1)
			off_in += (uint64_t)w;
		if (w >= 0 && a3)
			off_out += (uint64_t)w;
		ret = w;
	}
	mm_free(buf);
	if (ret >= 0 && ((a1 && copy_to_user((void *)a1, &off_in, 8)) || (a3 && copy_to_user((void *)a3, &off_out, 8))))
		ret = -EFAULT;
	file_put(in);
	file_put(out);
	return epipe(ret, 0);
}
