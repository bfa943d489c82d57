/* stdin_sum: reads standard input (or the file named by argv[1]) to EOF
 * with read(2) in odd-sized chunks and prints the byte count, the number of
 * newlines and an FNV-1a checksum: byte-exact stdin forwarding in one line. */
#include "compat.h"
#include <fcntl.h>

int main(int argc, char **argv)
{
	int fd = 0;
	static unsigned char buf[3001];
	uint64_t h = FNV1A_INIT;
	unsigned long long bytes = 0, lines = 0;

	if (argc > 1) {
		fd = open(argv[1], O_RDONLY);
		if (fd < 0) {
			printf("open %s: %s\n", argv[1], errname(errno));
			return 1;
		}
	}
	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			printf("read: %s\n", errname(errno));
			return 1;
		}
		if (r == 0)
			break;
		h = fnv1a(h, buf, (size_t)r);
		for (ssize_t i = 0; i < r; i++)
			lines += buf[i] == '\n';
		bytes += (unsigned long long)r;
	}
	printf("bytes %llu lines %llu fnv1a %016llx\n", bytes, lines, (unsigned long long)h);
	fprintf(stderr, "stdin_sum: done\n");
	return 0;
}
