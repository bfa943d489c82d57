/*
 * Bring-up I/O until the file layer lands: fds 1 and 2 write to the
 * console, fd 0 reads as empty.
 */
#include <lib/errno.h>
#include <mote/console.h>
#include <mote/linux.h>
#include <mote/uaccess.h>
#include "syscall.h"

static long console_out(const char *ubuf, size_t len)
{
	char buf[256];
	size_t done = 0;

	while (done < len) {
		size_t chunk = len - done < sizeof(buf) ? len - done : sizeof(buf);

		if (copy_from_user(buf, ubuf + done, chunk))
			return done ? (long)done : -EFAULT;
		console_write(buf, chunk);
		done += chunk;
	}
	return (long)done;
}

SYSCALL(write)
{
	if (a0 != 1 && a0 != 2)
		return -EBADF;
	return console_out((const char *)a1, a2);
}

SYSCALL(writev)
{
	struct { uint64_t base, len; } iov;
	long total = 0;

	if (a0 != 1 && a0 != 2)
		return -EBADF;
	for (unsigned long i = 0; i < a2; i++) {
		long n;

		if (copy_from_user(&iov, (char *)a1 + i * sizeof(iov), sizeof(iov)))
			return -EFAULT;
		n = console_out((const char *)iov.base, iov.len);
		if (n < 0)
			return total ? total : n;
		total += n;
	}
	return total;
}

SYSCALL(read)
{
	return a0 == 0 ? 0 : -EBADF;
}

SYSCALL(ioctl)
{
	return a0 <= 2 ? -ENOTTY : -EBADF;
}

SYSCALL(close)
{
	return a0 <= 2 ? 0 : -EBADF;
}
