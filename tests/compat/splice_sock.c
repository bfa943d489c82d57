/*
 * splice(2) between pipes, sockets and files: pipe to socket, socket to
 * pipe, file (with an offset) to pipe, pipe to file; SPLICE_F_NONBLOCK on
 * an empty pipe; and the errors: no pipe at either end, an offset on a
 * pipe, a bad descriptor.
 */
#include "sockcompat.h"
#include <fcntl.h>
#include <sys/socket.h>

int main(void)
{
	const char *dir;
	int p[2], sv[2], f;
	char buf[64];
	loff_t off;
	ssize_t n;

	close_extra_fds();
	dir = enter_tmpdir();
	CHECK(pipe(p) == 0);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);

	CHECK(write(p[1], "through the pipe", 16) == 16);
	n = splice(p[0], NULL, sv[0], NULL, 100, 0);
	printf("pipe to socket: %s\n", sres(n));
	n = read(sv[1], buf, sizeof(buf));
	printf("  socket read %zd \"%.*s\"\n", n, (int)n, buf);

	CHECK(write(sv[1], "back again", 10) == 10);
	n = splice(sv[0], NULL, p[1], NULL, 100, 0);
	printf("socket to pipe: %s\n", sres(n));
	n = read(p[0], buf, sizeof(buf));
	printf("  pipe read %zd \"%.*s\"\n", n, (int)n, buf);

	f = open("data.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(f >= 0 && write(f, "0123456789", 10) == 10);
	off = 3;
	n = splice(f, &off, p[1], NULL, 4, 0);
	printf("file at offset 3 to pipe: %s, offset %ld, position %ld\n", sres(n), (long)off,
	       (long)lseek(f, 0, SEEK_CUR));
	n = read(p[0], buf, sizeof(buf));
	printf("  pipe read %zd \"%.*s\"\n", n, (int)n, buf);
	CHECK(write(p[1], "XY", 2) == 2);
	off = 0;
	n = splice(p[0], NULL, f, &off, 2, 0);
	printf("pipe to file at offset 0: %s, offset %ld\n", sres(n), (long)off);
	n = pread(f, buf, 10, 0);
	printf("  file now \"%.*s\"\n", (int)n, buf);

	n = splice(p[0], NULL, sv[0], NULL, 10, SPLICE_F_NONBLOCK);
	printf("empty pipe, SPLICE_F_NONBLOCK: %s\n", sres(n));
	n = splice(sv[0], NULL, f, NULL, 10, 0);
	printf("no pipe at either end: %s\n", sres(n));
	off = 0;
	n = splice(p[0], &off, sv[0], NULL, 10, 0);
	printf("offset on the pipe: %s\n", sres(n));
	n = splice(99, NULL, p[1], NULL, 10, 0);
	printf("bad descriptor: %s\n", sres(n));
	close(p[1]);
	n = splice(p[0], NULL, sv[0], NULL, 10, 0);
	printf("pipe with no writer: %s\n", sres(n));
	close(p[0]);
	close(sv[0]);
	close(sv[1]);
	close(f);
	unlink("data.txt");
	CHECK(chdir("/") == 0);
	CHECK(rmdir(dir) == 0);
	printf("done\n");
	return 0;
}
