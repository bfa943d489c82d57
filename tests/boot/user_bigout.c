/*
 * user_bigout BYTES [CHUNK]: writes BYTES of a fixed pseudo-random stream
 * to stdout in write(2)s of CHUNK bytes (default 65536; 1 makes a record per
 * byte), every 1000th chunk's first byte also to stderr, then exits 0. The
 * boot tests compare what `mote run` delivers with the program run on the
 * host: byte for byte, whatever the reader's pace (the virtio console's
 * flow control) and on the serial console too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static unsigned char buf[1 << 16];

int main(int argc, char **argv)
{
	long total = argc > 1 ? atol(argv[1]) : 0, chunk = argc > 2 ? atol(argv[2]) : (long)sizeof(buf);
	unsigned x = 12345;
	long done = 0, n = 0;

	if (total < 0 || chunk < 1 || chunk > (long)sizeof(buf)) {
		fprintf(stderr, "usage: user_bigout BYTES [CHUNK <= %zu]\n", sizeof(buf));
		return 2;
	}
	while (done < total) {
		long len = total - done < chunk ? total - done : chunk;

		for (long i = 0; i < len; i++) {
			x = x * 1103515245u + 12345u;
			buf[i] = (unsigned char)(x >> 16);
		}
		if (write(1, buf, (size_t)len) != len)
			return 1;
		if (n++ % 1000 == 0 && write(2, buf, 1) != 1)
			return 1;
		done += len;
	}
	return 0;
}
