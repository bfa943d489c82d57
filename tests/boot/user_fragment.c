/*
 * user_fragment: leaves the VM's free memory in single pages, then does I/O
 * that wants a 64 KiB kernel buffer. Two files in /tmp grow a page at a time
 * in turn until memory runs out, and one of them is deleted: every other page
 * is free, no two side by side. A read of /dev/zero and a write to /dev/null
 * of 64 KiB, a 4 KiB write into a pipe, 64 KiB written into a stream socket
 * and 16 KiB sent by sendfile must still move everything, and getdents64 into
 * 32 KiB must list: the kernel falls back to a one-page buffer, and a unix
 * stream to one-page messages. Prints what each call returned; exits 0 if all
 * were whole.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static char buf[1 << 16];

static int report(const char *what, long got, long want)
{
	printf("%s: %ld%s%s\n", what, got, got < 0 ? " " : "", got < 0 ? strerror(errno) : "");
	return got == want;
}

int main(void)
{
	int a = open("/tmp/a", O_CREAT | O_WRONLY, 0600), b = open("/tmp/b", O_CREAT | O_WRONLY, 0600);
	int zero = open("/dev/zero", O_RDONLY), null = open("/dev/null", O_WRONLY), p[2], sv[2];
	long pages = 0, n, sent;
	int dir;
	int ok = 1;

	if (a < 0 || b < 0 || zero < 0 || null < 0 || pipe(p) || socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
		perror("setup");
		return 2;
	}
	memset(buf, 'x', sizeof(buf));
	while (write(a, buf, 4096) == 4096 && write(b, buf, 4096) == 4096)
		pages += 2;
	close(a);
	if (unlink("/tmp/a")) {
		perror("unlink");
		return 2;
	}
	printf("filled %ld pages, freed every other one\n", pages);
	ok &= report("read /dev/zero 65536", read(zero, buf, sizeof(buf)), sizeof(buf));
	ok &= report("write /dev/null 65536", write(null, buf, sizeof(buf)), sizeof(buf));
	ok &= report("write pipe 4096", write(p[1], buf, 4096), 4096);
	ok &= report("read pipe 4096", read(p[0], buf, 4096), 4096);
	sent = write(sv[0], buf, 65536);
	ok &= report("write stream socket 65536", sent, 65536);
	dir = open("/", O_RDONLY | O_DIRECTORY);
	n = syscall(SYS_getdents64, dir, buf, 32768);
	printf("getdents64 of / into 32768 bytes: %s%s\n", n > 0 ? "listed" : "failed: ",
	       n > 0 ? "" : strerror(errno));
	ok &= n > 0;
	/* only what went: a short write must not leave this waiting for the rest */
	ok &= report("recv stream socket 65536 (waitall)",
		     sent > 0 ? recv(sv[1], buf, (size_t)sent, MSG_WAITALL) : sent, 65536);
	ok &= report("sendfile 16384 to a stream socket",
		     sendfile(sv[0], open("/tmp/b", O_RDONLY), NULL, 16384), 16384);
	return ok ? 0 : 1;
}
