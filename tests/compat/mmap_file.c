/* mmap_file: mappings of a regular file. A private read-only mapping shows
 * the file; a private writable one keeps its writes to itself (the file and
 * other mappings are unchanged); a shared read-only one shows the file too;
 * bytes past the end in the last page read as zero, a page wholly past the
 * end raises SIGBUS; offsets must be page-aligned; a descriptor opened
 * write-only, a directory, and a bad descriptor are refused with the errno
 * Linux gives. */
#include "compat.h"
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>

static sigjmp_buf jb;

static void on_bus(int sig)
{
	siglongjmp(jb, sig);
}

static void errno_of(const char *what, void *p)
{
	printf("%s: %s\n", what, p == MAP_FAILED ? errname(errno) : "mapped");
	if (p != MAP_FAILED)
		munmap(p, 4096);
}

int main(void)
{
	const char *path = "/tmp/mmap_file.dat";
	long page = sysconf(_SC_PAGESIZE);
	size_t size = (size_t)page + 100;
	char *data = malloc(size), *p, *q, *s;
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644), wfd;

	CHECK(fd >= 0 && data);
	for (size_t i = 0; i < size; i++)
		data[i] = (char)('a' + i % 26);
	CHECK(write(fd, data, size) == (ssize_t)size);

	p = mmap(NULL, 2 * (size_t)page, PROT_READ, MAP_PRIVATE, fd, 0);
	CHECK(p != MAP_FAILED);
	printf("private read: %s\n", memcmp(p, data, size) ? "differs" : "same");
	printf("tail zero: %s\n", p[size] == 0 && p[2 * page - 1] == 0 ? "yes" : "no");

	q = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	CHECK(q != MAP_FAILED);
	q[0] = 'X';
	printf("private write: %c, other mapping %c\n", q[0], p[0]);
	CHECK(pread(fd, data, 1, 0) == 1);
	printf("file after private write: %c\n", data[0]);

	s = mmap(NULL, (size_t)page, PROT_READ, MAP_SHARED, fd, (off_t)page);
	CHECK(s != MAP_FAILED);
	printf("shared read at offset: %.5s\n", s);

	/* A page wholly past the end of the file. */
	signal(SIGBUS, on_bus);
	char *big = mmap(NULL, 3 * (size_t)page, PROT_READ, MAP_PRIVATE, fd, 0);
	CHECK(big != MAP_FAILED);
	if (sigsetjmp(jb, 1) == 0) {
		volatile char c = big[2 * page];
		(void)c;
		printf("past the end: no fault\n");
	} else {
		printf("past the end: SIGBUS\n");
	}

	errno_of("unaligned offset", mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 100));
	errno_of("bad fd", mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 99, 0));
	wfd = open(path, O_WRONLY);
	CHECK(wfd >= 0);
	errno_of("write-only fd", mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, wfd, 0));
	errno_of("read-only fd, shared write",
		 mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, open(path, O_RDONLY), 0));
	errno_of("read-only fd, private write",
		 mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, open(path, O_RDONLY), 0));
	errno_of("directory", mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, open("/tmp", O_RDONLY), 0));
	unlink(path);
	printf("after unlink: %c\n", p[1]);	/* the mapping keeps the file */
	return 0;
}
