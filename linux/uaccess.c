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
#include <mote/uaccess.h>

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
