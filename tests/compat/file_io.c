/* file_io: a regular file in a fresh /tmp directory: O_CREAT|O_EXCL, write,
 * read back, lseek (SET/CUR/END, past the end making a hole), pread/pwrite
 * leaving the offset alone, ftruncate growing and shrinking, O_APPEND,
 * O_TRUNC, a 1 MiB file in odd chunks, and the errors of misuse. */
#include "compat.h"
#include <fcntl.h>
#include <sys/stat.h>

static void show_read(int fd, size_t n, const char *what)
{
	char buf[256];
	ssize_t r = read(fd, buf, n);

	printf("%s: read %s", what, res(r));
	if (r > 0) {
		printf(" [");
		for (ssize_t i = 0; i < r; i++)
			putchar(buf[i] ? buf[i] : '0');
		printf("]");
	}
	printf("\n");
}

static void basics(void)
{
	int fd = open("f.txt", O_RDWR | O_CREAT | O_EXCL, 0644);
	CHECK(fd >= 0);
	printf("open O_EXCL existing: %s\n", res(open("f.txt", O_RDWR | O_CREAT | O_EXCL, 0644)));
	printf("write: %s\n", res(write(fd, "hello, world\n", 13)));
	printf("lseek CUR 0: %s\n", res(lseek(fd, 0, SEEK_CUR)));
	show_read(fd, 10, "at end");
	printf("lseek SET 7: %s\n", res(lseek(fd, 7, SEEK_SET)));
	show_read(fd, 5, "from 7");
	printf("lseek END -6: %s\n", res(lseek(fd, -6, SEEK_END)));
	show_read(fd, 100, "from END-6");
	printf("lseek negative: %s\n", res(lseek(fd, -100, SEEK_SET)));
	printf("lseek bad whence: %s\n", res(lseek(fd, 0, 42)));

	printf("pwrite at 0: %s\n", res(pwrite(fd, "HELLO", 5, 0)));
	printf("offset after pwrite: %s\n", res(lseek(fd, 0, SEEK_CUR)));
	char buf[16] = "";
	printf("pread 5 at 7: %s", res(pread(fd, buf, 5, 7)));
	printf(" [%.5s]\n", buf);
	printf("pread past end: %s\n", res(pread(fd, buf, 5, 1000)));
	printf("pwrite negative offset: %s\n", res(pwrite(fd, "x", 1, -1)));

	printf("lseek SET 20: %s\n", res(lseek(fd, 20, SEEK_SET)));
	printf("write past end: %s\n", res(write(fd, "tail", 4)));
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	show_read(fd, 100, "with hole");

	printf("ftruncate 5: %s\n", res(ftruncate(fd, 5)));
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	show_read(fd, 100, "after shrink");
	printf("ftruncate 9: %s\n", res(ftruncate(fd, 9)));
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	show_read(fd, 100, "after grow");
	printf("ftruncate -1: %s\n", res(ftruncate(fd, -1)));
	struct stat st;
	CHECK(fstat(fd, &st) == 0);
	printf("size %lld\n", (long long)st.st_size);
	printf("fsync: %s\n", res(fsync(fd)));
	printf("fdatasync: %s\n", res(fdatasync(fd)));
	printf("close: %s\n", res(close(fd)));
	printf("close again: %s\n", res(close(fd)));
}

static void modes(void)
{
	int fd = open("f.txt", O_WRONLY | O_APPEND);
	CHECK(fd >= 0);
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	printf("append write: %s\n", res(write(fd, "+app", 4)));
	printf("offset after append: %s\n", res(lseek(fd, 0, SEEK_CUR)));
	printf("read on O_WRONLY: %s\n", res(read(fd, (char[4]){ 0 }, 4)));
	close(fd);
	fd = open("f.txt", O_RDONLY);
	show_read(fd, 100, "appended");
	printf("write on O_RDONLY: %s\n", res(write(fd, "x", 1)));
	close(fd);
	fd = open("f.txt", O_RDWR | O_TRUNC);
	show_read(fd, 100, "after O_TRUNC");
	close(fd);
	printf("open missing: %s\n", res(open("missing", O_RDONLY)));
	printf("open missing dir: %s\n", res(open("nodir/x", O_RDWR | O_CREAT, 0644)));
	printf("open file as dir: %s\n", res(open("f.txt/x", O_RDONLY)));
	printf("open dir for write: %s\n", res(open(".", O_WRONLY)));
	printf("read bad fd: %s\n", res(read(999, (char[4]){ 0 }, 4)));
	char name[300];
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = 0;
	printf("open long name: %s\n", res(open(name, O_RDWR | O_CREAT, 0644)));
	CHECK(unlink("f.txt") == 0);
}

static void big(void)
{
	enum { SIZE = 1 << 20 };
	unsigned char *data = malloc(SIZE), *back = malloc(SIZE);
	uint64_t h;

	CHECK(data && back);
	for (size_t i = 0; i < SIZE; i++)
		data[i] = (unsigned char)rng_next();
	int fd = open("big.bin", O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0);
	for (size_t off = 0; off < SIZE;) {
		size_t n = rng_below(20000) + 1;
		if (n > SIZE - off)
			n = SIZE - off;
		ssize_t w = write(fd, data + off, n);
		CHECK(w > 0);
		off += (size_t)w;
	}
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	size_t got = 0;
	for (;;) {
		ssize_t r = read(fd, back + got, (SIZE - got < 7777) ? SIZE - got + 1 : 7777);
		CHECK(r >= 0);
		if (r == 0)
			break;
		got += (size_t)r;
	}
	h = fnv1a(FNV1A_INIT, back, got);
	printf("1 MiB file: read back %zu bytes, equal %d, hash %016llx\n", got,
	       got == SIZE && memcmp(data, back, SIZE) == 0, (unsigned long long)h);
	close(fd);
	CHECK(unlink("big.bin") == 0);
	free(data);
	free(back);
}

int main(void)
{
	const char *dir = enter_tmpdir();

	umask(022);
	basics();
	modes();
	big();
	CHECK(chdir("/") == 0);
	printf("rmdir: %s\n", res(rmdir(dir)));
	return 0;
}
