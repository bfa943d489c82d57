/*
 * sendfile(2): a file into a socket and into another file, with an
 * offset pointer (the input's position stays, the offset advances) and
 * without (the position advances), counts past the end, and the errors:
 * a write-only input, an O_APPEND output, bad descriptors, a bad offset
 * pointer.
 */
#include "sockcompat.h"
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>

int main(void)
{
	const char *dir;
	char buf[256], data[100];
	int in, out, sv[2];
	off_t off;
	ssize_t n;
	uint64_t h;

	close_extra_fds();
	dir = enter_tmpdir();
	for (int i = 0; i < 100; i++)
		data[i] = (char)('A' + i % 26);
	in = open("in.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(in >= 0 && write(in, data, sizeof(data)) == sizeof(data));
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);

	off = 10;
	n = sendfile(sv[0], in, &off, 30);
	printf("to socket with offset: %s, offset now %ld, position %ld\n", sres(n), (long)off,
	       (long)lseek(in, 0, SEEK_CUR));
	n = read(sv[1], buf, sizeof(buf));
	printf("  socket got %zd: %.*s\n", n, (int)n, buf);

	CHECK(lseek(in, 90, SEEK_SET) == 90);
	n = sendfile(sv[0], in, NULL, 50);
	printf("to socket from the position: %s, position %ld\n", sres(n), (long)lseek(in, 0, SEEK_CUR));
	n = read(sv[1], buf, sizeof(buf));
	printf("  socket got %zd: %.*s\n", n, (int)n, buf);
	n = sendfile(sv[0], in, NULL, 50);
	printf("at end of file: %s\n", sres(n));

	out = open("out.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(out >= 0);
	off = 0;
	n = sendfile(out, in, &off, 1000);
	printf("file to file: %s, offset %ld\n", sres(n), (long)off);
	close(out);
	out = open("out.txt", O_RDONLY);
	n = read(out, buf, sizeof(buf));
	h = fnv1a(FNV1A_INIT, buf, n > 0 ? (size_t)n : 0);
	printf("  copy has %zd bytes, same as the input %d\n", n, h == fnv1a(FNV1A_INIT, data, sizeof(data)));
	printf("write-only input: %s\n", sres(sendfile(sv[0], sv[0] == 0 ? 0 : open("out.txt", O_WRONLY), NULL, 1)));
	close(out);
	out = open("out.txt", O_WRONLY | O_APPEND);
	off = 0;
	printf("O_APPEND output: %s\n", sres(sendfile(out, in, &off, 1)));
	printf("bad input fd: %s\n", sres(sendfile(sv[0], 99, NULL, 1)));
	printf("bad output fd: %s\n", sres(sendfile(99, in, NULL, 1)));
	printf("bad offset pointer: %s\n", sres(sendfile(sv[0], in, (off_t *)16, 1)));
	close(out);
	close(in);
	close(sv[0]);
	close(sv[1]);
	unlink("in.txt");
	unlink("out.txt");
	CHECK(chdir("/") == 0);
	CHECK(rmdir(dir) == 0);
	printf("done\n");
	return 0;
}
