/* mmap_shared: shared mappings of a file in /tmp are the file. Writes through
 * a mapping are read back by pread and seen by a second mapping; a pwrite is
 * seen through both; mapping writes never change the size; what a mapping
 * wrote past the end of the file is not part of it when the file grows;
 * msync succeeds; and a private mapping's writes stay private. */
#include "compat.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

int main(void)
{
	const char *path = "/tmp/mmap_shared.dat";
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	char *a, *b, *p, buf[16] = { 0 };
	struct stat st;

	CHECK(fd >= 0 && ftruncate(fd, 8192) == 0);
	a = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	b = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(a != MAP_FAILED && b != MAP_FAILED);
	memcpy(a + 4096, "via mapping a", 13);
	CHECK(pread(fd, buf, 13, 4096) == 13);
	printf("pread sees: %s\n", buf);
	printf("mapping b sees: %.13s\n", b + 4096);
	CHECK(pwrite(fd, "via pwrite", 10, 100) == 10);
	printf("mappings see: %.10s / %.10s\n", a + 100, b + 100);
	CHECK(msync(a, 8192, MS_SYNC) == 0);
	CHECK(fstat(fd, &st) == 0);
	printf("size after mapping writes: %lld\n", (long long)st.st_size);

	/* Shrink to 5000 bytes: the mapping's bytes past it are not the file's once it grows. */
	CHECK(ftruncate(fd, 5000) == 0);
	a[5000] = 'X';
	a[6000] = 'Y';
	CHECK(ftruncate(fd, 8192) == 0);
	CHECK(pread(fd, buf, 2, 5000) == 2 && pread(fd, buf + 2, 1, 6000) == 1);
	printf("after growing again: %d %d %d\n", buf[0], buf[1], buf[2]);

	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	CHECK(p != MAP_FAILED);
	p[100] = 'P';
	printf("private write: %c, shared mapping %c\n", p[100], a[100]);
	CHECK(munmap(a, 8192) == 0 && munmap(b, 8192) == 0 && munmap(p, 4096) == 0);
	CHECK(pread(fd, buf, 10, 100) == 10);
	printf("file after unmapping: %.10s\n", buf);
	close(fd);
	unlink(path);
	return 0;
}
