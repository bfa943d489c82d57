/*
 * poll, ppoll, select, pselect6 and the epoll calls, over the kernel's
 * readiness core (mote/poll.h, mote/epoll.h). The *6/p* variants swap in
 * a signal mask for the wait; the original is restored on the way back
 * to user mode, after any handler the temporary mask let through
 * (task->saved_mask, as rt_sigsuspend does).
 */
#include <lib/err.h>
#include <lib/errno.h>
#include <lib/string.h>
#include <mote/clock.h>
#include <mote/epoll.h>
#include <mote/fdtable.h>
#include <mote/file.h>
#include <mote/linux.h>
#include <mote/mm.h>
#include <mote/poll.h>
#include <mote/uaccess.h>
#include "linux_internal.h"
#include "syscall.h"

#define NS 1000000000ULL
#define MAX_EPOLL_EVENTS (1 << 16)
#define EPOLL_STACK_EVENTS 32	/* events epoll_wait gathers on the stack, with no allocation */

struct pollfd_k {
	int32_t fd;
	int16_t events, revents;
};

/* A monotonic deadline from a relative timespec (NULL: POLL_FOREVER); 0 means "do not wait". */
static int deadline_from_ts(unsigned long uts, uint64_t *deadline)
{
	struct timespec_k ts;
	int ret;

	if (!uts) {
		*deadline = POLL_FOREVER;
		return 0;
	}
	if ((ret = timespec_from_user((void *)uts, &ts)))
		return ret;
	if (!ts.sec && !ts.nsec) {
		*deadline = 0;
		return 0;
	}
	*deadline = clock_monotonic_ns() + (uint64_t)ts.sec * NS + (uint64_t)ts.nsec;
	return 0;
}

static uint64_t deadline_from_ms(int ms)
{
	if (ms < 0)
		return POLL_FOREVER;
	return ms ? clock_monotonic_ns() + (uint64_t)ms * 1000000ULL : 0;
}

/* Installs a temporary signal mask for the wait (ppoll, pselect6, epoll_pwait). */
static int swap_mask(unsigned long umask, unsigned long size)
{
	struct task *k = current_task();
	uint64_t mask;

	if (!umask)
		return 0;
	if (size != 8)
		return -EINVAL;
	if (copy_from_user(&mask, (void *)umask, 8))
		return -EFAULT;
	k->saved_mask = k->blocked;
	k->restore_saved_mask = true;
	k->blocked = mask & ~((1ULL << (SIGKILL - 1)) | (1ULL << (SIGSTOP - 1)));
	return 0;
}

/* Without a handler having run, the old mask comes straight back. */
static long unswap_mask(long ret)
{
	struct task *k = current_task();

	if (k->restore_saved_mask && ret != -EINTR) {
		k->blocked = k->saved_mask;
		k->restore_saved_mask = false;
	}
	return ret;
}

static void put_files(struct file **files, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (files[i] && files[i] != POLL_FILE_BADF)
			file_put(files[i]);
}

static long do_poll(unsigned long ufds, unsigned long n, uint64_t deadline)
{
	struct pollfd_k *pfd;
	struct file **files;
	short *events, *revents;
	long ret;

	if (n > fdtable_limit(current_process()->fds))
		return -EINVAL;
	pfd = mm_calloc(n ? n : 1, sizeof(*pfd) + sizeof(*files) + 2 * sizeof(short));
	if (!pfd)
		return -ENOMEM;
	files = (struct file **)(pfd + n);
	events = (short *)(files + n);
	revents = events + n;
	if (copy_from_user(pfd, (void *)ufds, n * sizeof(*pfd))) {
		mm_free(pfd);
		return -EFAULT;
	}
	for (unsigned long i = 0; i < n; i++) {
		struct file *f = pfd[i].fd < 0 ? NULL : fget(pfd[i].fd);

		files[i] = IS_ERR(f) ? POLL_FILE_BADF : f;
		events[i] = pfd[i].events;
	}
	ret = poll_files(files, events, revents, (unsigned)n, deadline);
	put_files(files, (unsigned)n);
	for (unsigned long i = 0; ret >= 0 && i < n; i++)
		pfd[i].revents = revents[i];
	if (ret >= 0 && copy_to_user((void *)ufds, pfd, n * sizeof(*pfd)))
		ret = -EFAULT;
	mm_free(pfd);
	return ret;
}

SYSCALL(poll)
{
	return do_poll(a0, a1, deadline_from_ms((int)a2));
}

SYSCALL(ppoll)
{
	uint64_t deadline;
	int ret;

	if ((ret = deadline_from_ts(a2, &deadline)) || (ret = swap_mask(a3, a4)))
		return ret;
	return unswap_mask(do_poll(a0, a1, deadline));
}

static long do_select(int nfds, unsigned long urd, unsigned long uwr, unsigned long uex,
		      uint64_t deadline)
{
	size_t words = ((size_t)nfds + 63) / 64, bytes = words * 8;
	uint64_t *sets[3] = { 0 }, *buf;
	unsigned long user[3] = { urd, uwr, uex };
	struct file **files;
	long ret = 0;

	if (nfds < 0 || (unsigned long)nfds > fdtable_limit(current_process()->fds) + 64)
		return -EINVAL;
	buf = mm_calloc(1, 3 * bytes + (size_t)nfds * sizeof(*files) + 8);
	if (!buf)
		return -ENOMEM;
	files = (struct file **)(buf + 3 * words);
	for (int s = 0; s < 3; s++) {
		if (!user[s])
			continue;
		sets[s] = buf + s * words;
		if (copy_from_user(sets[s], (void *)user[s], bytes)) {
			mm_free(buf);
			return -EFAULT;
		}
	}
	for (int fd = 0; fd < nfds; fd++) {
		bool named = false;

		for (int s = 0; s < 3; s++)
			named |= sets[s] && (sets[s][fd / 64] >> (fd % 64) & 1);
		if (named) {
			struct file *f = fget(fd);

			files[fd] = IS_ERR(f) ? POLL_FILE_BADF : f;
		}
	}
	ret = poll_select(files, (unsigned)nfds, sets[0], sets[1], sets[2], deadline);
	put_files(files, (unsigned)nfds);
	for (int s = 0; ret >= 0 && s < 3; s++)
		if (sets[s] && copy_to_user((void *)user[s], sets[s], bytes))
			ret = -EFAULT;
	mm_free(buf);
	return ret;
}

struct timeval_k {
	int64_t sec, usec;
};

SYSCALL(select)
{
	struct timeval_k tv;
	uint64_t deadline = POLL_FOREVER, now = clock_monotonic_ns();
	long ret;

	if (a4) {
		if (copy_from_user(&tv, (void *)a4, sizeof(tv)))
			return -EFAULT;
		if (tv.sec < 0 || tv.usec < 0 || tv.usec >= 1000000)
			return -EINVAL;
		deadline = tv.sec || tv.usec ? now + (uint64_t)tv.sec * NS + (uint64_t)tv.usec * 1000 : 0;
	}
	ret = do_select((int)a0, a1, a2, a3, deadline);
	if (a4 && ret >= 0) {	/* Linux writes back the time left */
		uint64_t left = deadline && deadline != POLL_FOREVER && deadline > clock_monotonic_ns() ?
				deadline - clock_monotonic_ns() : 0;

		tv = (struct timeval_k){ (int64_t)(left / NS), (int64_t)(left % NS / 1000) };
		if (copy_to_user((void *)a4, &tv, sizeof(tv)))
			return -EFAULT;
	}
	return ret;
}

SYSCALL(pselect6)
{
	struct { uint64_t mask, size; } sig = { 0, 0 };
	uint64_t deadline;
	int ret;

	if ((ret = deadline_from_ts(a4, &deadline)))
		return ret;
	if (a5 && copy_from_user(&sig, (void *)a5, sizeof(sig)))
		return -EFAULT;
	if ((ret = swap_mask(sig.mask, sig.size)))
		return ret;
	return unswap_mask(do_select((int)a0, a1, a2, a3, deadline));
}

SYSCALL(epoll_create1)
{
	if (a0 & ~(unsigned long)EPOLL_CLOEXEC)
		return -EINVAL;
	return install_file(epoll_create_k((unsigned)a0), a0 & EPOLL_CLOEXEC);
}

SYSCALL(epoll_create)
{
	if ((int)a0 <= 0)
		return -EINVAL;
	return install_file(epoll_create_k(0), false);
}

SYSCALL(epoll_ctl)
{
	struct epoll_event_k ev;
	struct file *ep, *f;
	long ret;

	if (a1 != EPOLL_CTL_DEL && copy_from_user(&ev, (void *)a3, sizeof(ev)))
		return -EFAULT;
	ep = fget((int)a0);
	if (IS_ERR(ep))
		return PTR_ERR(ep);
	f = fget((int)a2);
	if (IS_ERR(f)) {
		file_put(ep);
		return PTR_ERR(f);
	}
	ret = epoll_ctl_k(ep, (int)a1, (int)a2, f, a1 == EPOLL_CTL_DEL ? NULL : &ev);
	file_put(f);
	file_put(ep);
	return ret;
}

static long do_epoll_wait(int epfd, unsigned long uev, int max, uint64_t deadline)
{
	struct epoll_event_k small[EPOLL_STACK_EVENTS], *out = small;
	struct file *ep;
	long ret;

	if (max <= 0 || max > MAX_EPOLL_EVENTS)
		return -EINVAL;
	if (!user_range_ok((void *)uev, (size_t)max * sizeof(*out)))
		return -EFAULT;
	ep = fget(epfd);
	if (IS_ERR(ep))
		return PTR_ERR(ep);
	/* Out of memory (a server under more load than fits), report fewer events
	 * at a time rather than fail: epoll_wait may return fewer than max. */
	if (max > EPOLL_STACK_EVENTS && !(out = mm_malloc((size_t)max * sizeof(*out)))) {
		out = small;
		max = EPOLL_STACK_EVENTS;
	}
	ret = epoll_wait_k(ep, out, max, deadline);
	file_put(ep);
	if (ret > 0 && copy_to_user((void *)uev, out, (size_t)ret * sizeof(*out)))
		ret = -EFAULT;
	if (out != small)
		mm_free(out);
	return ret;
}

SYSCALL(epoll_wait)
{
	return do_epoll_wait((int)a0, a1, (int)a2, deadline_from_ms((int)a3));
}

SYSCALL(epoll_pwait)
{
	int ret = swap_mask(a4, a5);

	if (ret)
		return ret;
	return unswap_mask(do_epoll_wait((int)a0, a1, (int)a2, deadline_from_ms((int)a3)));
}

/* epoll_pwait2: epoll_pwait with a timespec timeout (NULL: none). */
SYSCALL(epoll_pwait2)
{
	uint64_t deadline;
	int ret;

	if ((ret = deadline_from_ts(a3, &deadline)) || (ret = swap_mask(a4, a5)))
		return ret;
	return unswap_mask(do_epoll_wait((int)a0, a1, (int)a2, deadline));
}
