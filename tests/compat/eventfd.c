/* eventfd: the counter (writes add, a read takes all and resets), semaphore
 * mode (each read takes 1), nonblocking EAGAIN when zero or when a write
 * would overflow, the EINVAL answers (short buffers, the value 2^64-1),
 * readiness through poll, and a reader blocked until another thread writes. */
#include "compat.h"
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>

static int efd;

static const char *rd(int fd)
{
	static char bufs[4][48];
	static int next;
	char *b = bufs[next++ % 4];
	uint64_t v = 0;
	ssize_t r = read(fd, &v, sizeof(v));

	if (r == 8)
		snprintf(b, 48, "%llu", (unsigned long long)v);
	else
		snprintf(b, 48, "%s", res(r));
	return b;
}

static ssize_t wr(int fd, uint64_t v)
{
	return write(fd, &v, sizeof(v));
}

static void *late_writer(void *arg)
{
	(void)arg;
	sleep_ms(20);
	CHECK(wr(efd, 42) == 8);
	return NULL;
}

int main(void)
{
	int fd = eventfd(5, EFD_NONBLOCK | EFD_CLOEXEC);
	CHECK(fd >= 0);
	printf("initial read: %s\n", rd(fd));
	printf("read when zero: %s\n", rd(fd));
	printf("write 3: %s\n", res(wr(fd, 3)));
	printf("write 4: %s\n", res(wr(fd, 4)));
	printf("read: %s\n", rd(fd));
	printf("write 2^64-1: %s\n", res(wr(fd, UINT64_MAX)));
	printf("write 2^64-2: %s\n", res(wr(fd, UINT64_MAX - 1)));
	printf("write 1 more (would overflow): %s\n", res(wr(fd, 1)));
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };
	poll(&p, 1, 0);
	printf("poll at max: IN %d OUT %d\n", (p.revents & POLLIN) != 0, (p.revents & POLLOUT) != 0);
	printf("read: %s\n", rd(fd));
	poll(&p, 1, 0);
	printf("poll at zero: IN %d OUT %d\n", (p.revents & POLLIN) != 0, (p.revents & POLLOUT) != 0);
	uint32_t small = 1;
	printf("write 4 bytes: %s\n", res(write(fd, &small, sizeof(small))));
	printf("read 4 bytes: %s\n", res(read(fd, &small, sizeof(small))));
	close(fd);

	fd = eventfd(0, EFD_SEMAPHORE | EFD_NONBLOCK);
	CHECK(fd >= 0);
	wr(fd, 3);
	printf("semaphore reads:");
	for (int i = 0; i < 4; i++)
		printf(" %s", rd(fd));
	printf("\n");
	close(fd);
	printf("eventfd bad flags: %s\n", res(eventfd(0, 0x12345)));

	efd = eventfd(0, 0);
	CHECK(efd >= 0);
	pthread_t t;
	CHECK(pthread_create(&t, NULL, late_writer, NULL) == 0);
	printf("blocking read woken by another thread: %s\n", rd(efd));
	pthread_join(t, NULL);
	eventfd_t v;
	eventfd_write(efd, 9);
	printf("eventfd_read/eventfd_write: %d %llu\n", eventfd_read(efd, &v), (unsigned long long)v);
	close(efd);
	return 0;
}
