/*
 * Copying to and from application memory (mote/uaccess.h).
 *
 * The copy itself is arch_copy_user(), which stops at the first page it
 * cannot touch. Such a stop is resolved here, in thread context with the
 * address space's lock, as the application's own access would be (a page
 * not yet populated is filled, a growsdown stack grows); if that fails the
 * address is bad and the copy returns -EFAULT. Page faults inside the copy
 * routine never try to resolve anything themselves: they only end the
 * copy, so no lock is ever taken on an exception stack.
 */
#include <lib/errno.h>
#include <mote/arch.h>
#include <mote/linux.h>
#include <mote/mm.h>
#include <mote/uaccess.h>
#include "linux_internal.h"

/* Faults the same page this often without progress before giving up (a racing munmap). */
#define MAX_RETRIES 8

int user_range_ok(const void *uaddr, size_t n)
{
	uintptr_t a = (uintptr_t)uaddr;

	return a < USER_ADDR_END && n <= USER_ADDR_END - a;
}

static int copy(void *dst, const void *src, size_t n, uintptr_t user, unsigned access)
{
	size_t done = 0;
	unsigned retries = 0;

	while (done < n) {
		size_t left = arch_copy_user((char *)dst + done, (const char *)src + done, n - done);

		if (!left)
			return 0;
		if (left < n - done)
			retries = 0;
		done = n - left;
		if (++retries > MAX_RETRIES || linux_mm_fault(user + done, access))
			return -EFAULT;
	}
	return 0;
}

int copy_from_user(void *dst, const void *usrc, size_t n)
{
	if (!user_range_ok(usrc, n))
		return -EFAULT;
	return copy(dst, usrc, n, (uintptr_t)usrc, ARCH_PROT_READ);
}

int copy_to_user(void *udst, const void *src, size_t n)
{
	if (!user_range_ok(udst, n))
		return -EFAULT;
	return copy(udst, src, n, (uintptr_t)udst, ARCH_PROT_WRITE);
}

int clear_user(void *udst, size_t n)
{
	static const char zeroes[256];

	while (n) {
		size_t chunk = n < sizeof(zeroes) ? n : sizeof(zeroes);

		if (copy_to_user(udst, zeroes, chunk))
			return -EFAULT;
		udst = (char *)udst + chunk;
		n -= chunk;
	}
	return 0;
}

int cmpxchg_user_u32(uint32_t *uaddr, uint32_t *expected, uint32_t new)
{
	if (!user_range_ok(uaddr, 4) || ((uintptr_t)uaddr & 3))
		return -EFAULT;
	for (unsigned tries = 0; tries <= MAX_RETRIES; tries++) {
		int ret = arch_cmpxchg_u32(uaddr, expected, new);

		if (ret != -EFAULT)
			return ret;
		/* Not there yet, or copy-on-write: resolved as the application's own write. */
		if (linux_mm_fault((uintptr_t)uaddr, ARCH_PROT_WRITE))
			return -EFAULT;
	}
	return -EFAULT;
}

long strncpy_from_user(char *dst, const char *usrc, size_t max)
{
	size_t len = 0;

	while (len < max) {
		/* Up to the end of the page, so a string ending before a hole copies fine. */
		size_t chunk = 4096 - ((uintptr_t)(usrc + len) & 4095);

		if (chunk > max - len)
			chunk = max - len;
		if (copy_from_user(dst + len, usrc + len, chunk))
			return -EFAULT;
		for (size_t i = 0; i < chunk; i++)
			if (!dst[len + i])
				return (long)(len + i);
		len += chunk;
	}
	return -ENAMETOOLONG;
}

/* ---- User iovecs (linux_internal.h) ---------------------------------------------------- */

void *io_buffer(size_t *len, bool rounds_ok)
{
	void *buf = mm_malloc(*len ? *len : 1);

	if (!buf && rounds_ok && *len > PAGE_SIZE && (buf = mm_malloc(PAGE_SIZE)))
		*len = PAGE_SIZE;
	return buf;
}

int uio_single(struct uio *u, struct uiovec *iov, uint64_t base, uint64_t len)
{
	*iov = (struct uiovec){ base, len > RW_MAX ? RW_MAX : len };
	*u = (struct uio){ iov, 1, iov->len };
	return user_range_ok((void *)base, iov->len) ? 0 : -EFAULT;
}

int uio_in(struct uio *u, uint64_t uiov, uint64_t cnt)
{
	*u = (struct uio){ NULL, cnt, 0 };	/* first: the caller frees u->iov on every path */
	if (cnt > UIO_MAXIOV)
		return -EMSGSIZE;
	if (!cnt)
		return 0;
	if (!(u->iov = mm_malloc(cnt * sizeof(*u->iov))))
		return -ENOMEM;
	if (copy_from_user(u->iov, (void *)uiov, cnt * sizeof(*u->iov)))
		return -EFAULT;
	for (unsigned long i = 0; i < cnt; i++) {
		if ((int64_t)u->iov[i].len < 0)
			return -EINVAL;
		if (!user_range_ok((void *)u->iov[i].base, u->iov[i].len))
			return -EFAULT;
		u->total += u->iov[i].len;
		if (u->total > RW_MAX)
			return -EINVAL;
	}
	return 0;
}

int uio_copy_iovecs(const struct uio *u, size_t off, void *buf, size_t n, bool to_user)
{
	for (unsigned long i = 0; i < u->cnt && n; i++) {
		size_t run;

		if (off >= u->iov[i].len) {
			off -= u->iov[i].len;
			continue;
		}
		run = u->iov[i].len - off < n ? u->iov[i].len - off : n;
		if (to_user ? copy_to_user((char *)u->iov[i].base + off, buf, run)
			    : copy_from_user(buf, (char *)u->iov[i].base + off, run))
			return -EFAULT;
		buf = (char *)buf + run;
		n -= run;
		off = 0;
	}
	return 0;
}
