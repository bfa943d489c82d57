/* fd_ops: descriptor plumbing: dup takes the lowest free number, dup2 onto
 * itself and onto an open descriptor, dup3 with O_CLOEXEC and its EINVAL,
 * fcntl F_DUPFD/F_DUPFD_CLOEXEC/F_GETFD/F_SETFD/F_GETFL/F_SETFL, duplicates
 * sharing one file offset, writing through a duplicate of stdout, and
 * readv/writev/preadv/pwritev with several buffers. */
#include "compat.h"
#include <fcntl.h>
#include <limits.h>
#include <sys/uio.h>

static void dups(void)
{
	int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0644);

	printf("open: %d\n", fd);
	printf("dup: %s\n", res(dup(fd)));
	printf("dup: %s\n", res(dup(fd)));
	close(4);
	printf("dup after closing 4: %s\n", res(dup(fd)));
	printf("dup2 onto itself: %s\n", res(dup2(fd, fd)));
	printf("dup2 onto 10: %s\n", res(dup2(fd, 10)));
	int other = open("g", O_RDWR | O_CREAT | O_TRUNC, 0644);
	printf("other: %d\n", other);
	printf("dup2 onto the open other: %s\n", res(dup2(fd, other)));
	printf("dup2 bad source: %s\n", res(dup2(99, 12)));
	printf("dup3 same fd: %s\n", res(dup3(fd, fd, 0)));
	printf("dup3 O_CLOEXEC onto 11: %s\n", res(dup3(fd, 11, O_CLOEXEC)));
	printf("  FD_CLOEXEC on 11: %d, on 10: %d\n", fcntl(11, F_GETFD) & FD_CLOEXEC, fcntl(10, F_GETFD) & FD_CLOEXEC);
	printf("dup3 bad flags: %s\n", res(dup3(fd, 12, 0x4000000)));
	printf("F_DUPFD min 20: %s\n", res(fcntl(fd, F_DUPFD, 20)));
	printf("F_DUPFD min 20 again: %s\n", res(fcntl(fd, F_DUPFD, 20)));
	printf("F_DUPFD_CLOEXEC min 30: %s", res(fcntl(fd, F_DUPFD_CLOEXEC, 30)));
	printf(", FD_CLOEXEC %d\n", fcntl(30, F_GETFD) & FD_CLOEXEC);
	printf("F_SETFD 0 on 30: %s", res(fcntl(30, F_SETFD, 0)));
	printf(", now %d\n", fcntl(30, F_GETFD));
	printf("F_GETFD on a closed fd: %s\n", res(fcntl(29, F_GETFD)));
	printf("dup of a closed fd: %s\n", res(dup(29)));

	/* Duplicates share the offset. */
	CHECK(write(fd, "0123456789", 10) == 10);
	printf("offset via dup on 10: %s\n", res(lseek(10, 0, SEEK_CUR)));
	CHECK(lseek(10, 3, SEEK_SET) == 3);
	char c;
	CHECK(read(fd, &c, 1) == 1);
	printf("read through the original after seeking the dup: %c\n", c);
	/* Separate open: its own offset. */
	int sep = open("f", O_RDONLY);
	CHECK(read(sep, &c, 1) == 1);
	printf("separately opened reads from 0: %c\n", c);
	close(sep);
	for (int i = 3; i <= 30; i++)
		close(i);
}

static void flags(void)
{
	int fd = open("f", O_RDWR | O_APPEND);
	int fl = fcntl(fd, F_GETFL);

	printf("F_GETFL: accmode RDWR %d, APPEND %d, NONBLOCK %d\n", (fl & O_ACCMODE) == O_RDWR, (fl & O_APPEND) != 0,
	       (fl & O_NONBLOCK) != 0);
	printf("F_SETFL clear APPEND, set NONBLOCK: %s\n", res(fcntl(fd, F_SETFL, O_NONBLOCK)));
	fl = fcntl(fd, F_GETFL);
	printf("F_GETFL: APPEND %d, NONBLOCK %d, accmode unchanged %d\n", (fl & O_APPEND) != 0, (fl & O_NONBLOCK) != 0,
	       (fl & O_ACCMODE) == O_RDWR);
	int d = dup(fd);
	printf("a dup shares status flags: NONBLOCK %d\n", (fcntl(d, F_GETFL) & O_NONBLOCK) != 0);
	close(d);
	close(fd);

	int p[2];
	CHECK(pipe(p) == 0);
	CHECK(fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK) == 0);
	printf("read empty pipe after F_SETFL O_NONBLOCK: %s\n", res(read(p[0], &fl, 1)));
	close(p[0]);
	close(p[1]);
	fd = open("f", O_RDONLY);
	fl = fcntl(fd, F_GETFL);
	printf("O_RDONLY accmode: %d\n", (fl & O_ACCMODE) == O_RDONLY);
	printf("fcntl bad cmd: %s\n", res(fcntl(fd, 99999)));
	close(fd);
}

static void vectors(void)
{
	int fd = open("v", O_RDWR | O_CREAT | O_TRUNC, 0644);
	char a[] = "alpha-", b[] = "", c[] = "gamma-delta\n";
	struct iovec w[3] = { { a, 6 }, { b, 0 }, { c, 12 } };

	printf("writev: %s\n", res(writev(fd, w, 3)));
	printf("writev iovcnt 0: %s\n", res(writev(fd, w, 0)));
	volatile int too_many = IOV_MAX + 1;
	printf("writev iovcnt > IOV_MAX: %s\n", res(writev(fd, w, too_many)));
	char x[4], y[5], z[20];
	struct iovec r[3] = { { x, 4 }, { y, 5 }, { z, 20 } };
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	ssize_t n = readv(fd, r, 3);
	printf("readv: %s [%.4s|%.5s|%.*s]\n", res(n), x, y, (int)(n - 9), z);
	printf("pwritev at 6: %s\n", res(pwritev(fd, w, 1, 6)));
	memset(z, 0, sizeof(z));
	struct iovec one[2] = { { x, 3 }, { z, 6 } };
	n = preadv(fd, one, 2, 4);
	printf("preadv at 4: %s [%.3s|%.6s]\n", res(n), x, z);
	printf("offset unchanged by p*v: %s\n", res(lseek(fd, 0, SEEK_CUR)));
	close(fd);
	CHECK(unlink("v") == 0 && unlink("f") == 0 && unlink("g") == 0);

	fflush(stdout);
	int out = dup(1);
	struct iovec msg[2] = { { "writev to a dup ", 16 }, { "of stdout\n", 10 } };
	printf("(stdout dup is %d)\n", out);
	fflush(stdout);
	printf("%s\n", res(writev(out, msg, 2)));
	close(out);
}

int main(void)
{
	const char *dir = enter_tmpdir();

	close_extra_fds();
	dups();
	flags();
	vectors();
	CHECK(chdir("/") == 0);
	printf("rmdir: %s\n", res(rmdir(dir)));
	return 0;
}
