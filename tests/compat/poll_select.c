/* poll_select: readiness of pipe ends through poll, ppoll, select and
 * pselect: empty (timeout 0 returns 0), readable after a write, writable
 * write end, POLLHUP when the writer closes, POLLERR on a write end whose
 * reader closed, POLLNVAL for a closed descriptor, EBADF from select, a
 * timeout that really waits, and a wait ended by another thread's write. */
#include "compat.h"
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/select.h>

static const char *ev(short r)
{
	static char bufs[4][64];
	static int next;
	char *buf = bufs[next++ % 4];

	buf[0] = 0;
	if (r & POLLIN)
		strcat(buf, "IN ");
	if (r & POLLOUT)
		strcat(buf, "OUT ");
	if (r & POLLHUP)
		strcat(buf, "HUP ");
	if (r & POLLERR)
		strcat(buf, "ERR ");
	if (r & POLLNVAL)
		strcat(buf, "NVAL ");
	if (!buf[0])
		strcpy(buf, "none ");
	buf[strlen(buf) - 1] = 0;
	return buf;
}

static int wfd;

static void *late_writer(void *arg)
{
	(void)arg;
	sleep_ms(20);
	CHECK(write(wfd, "x", 1) == 1);
	return NULL;
}

static void polling(void)
{
	int p[2];
	struct pollfd fds[2];
	char c;

	CHECK(pipe(p) == 0);
	fds[0] = (struct pollfd){ .fd = p[0], .events = POLLIN };
	fds[1] = (struct pollfd){ .fd = p[1], .events = POLLOUT };
	int r = poll(fds, 2, 0);
	printf("poll empty: %d, read end %s, write end %s\n", r, ev(fds[0].revents), ev(fds[1].revents));
	CHECK(write(p[1], "ab", 2) == 2);
	r = poll(fds, 1, 0);
	printf("poll after write: %d, read end %s\n", r, ev(fds[0].revents));
	CHECK(read(p[0], &c, 1) == 1);
	r = poll(fds, 1, 0);
	printf("poll with a byte left: %d, %s\n", r, ev(fds[0].revents));
	close(p[1]);
	r = poll(fds, 1, 0);
	printf("poll writer closed, data left: %d, %s\n", r, ev(fds[0].revents));
	CHECK(read(p[0], &c, 1) == 1);
	r = poll(fds, 1, 0);
	printf("poll writer closed, drained: %d, %s\n", r, ev(fds[0].revents));
	close(p[0]);
	r = poll(fds, 1, 0);
	printf("poll closed fd: %d, %s\n", r, ev(fds[0].revents));

	CHECK(pipe(p) == 0);
	close(p[0]);
	fds[1] = (struct pollfd){ .fd = p[1], .events = POLLOUT };
	r = poll(&fds[1], 1, 0);
	printf("poll write end, reader closed: %d, %s\n", r, ev(fds[1].revents));
	close(p[1]);

	fds[0] = (struct pollfd){ .fd = -1, .events = POLLIN, .revents = 123 };
	r = poll(fds, 1, 0);
	printf("poll negative fd ignored: %d, revents %d\n", r, fds[0].revents);

	CHECK(pipe(p) == 0);
	fds[0] = (struct pollfd){ .fd = p[0], .events = POLLIN };
	int64_t t0 = now_ns();
	r = poll(fds, 1, 30);
	printf("poll 30 ms timeout: %d, waited >= 30 ms %d\n", r, now_ns() - t0 >= 30000000);
	struct timespec ts = { 0, 20 * 1000000 };
	sigset_t mask;
	sigemptyset(&mask);
	t0 = now_ns();
	r = ppoll(fds, 1, &ts, &mask);
	printf("ppoll 20 ms: %d, waited >= 20 ms %d\n", r, now_ns() - t0 >= 20000000);
	wfd = p[1];
	pthread_t t;
	CHECK(pthread_create(&t, NULL, late_writer, NULL) == 0);
	r = poll(fds, 1, 10000);
	printf("poll woken by another thread: %d, %s\n", r, ev(fds[0].revents));
	pthread_join(t, NULL);
	close(p[0]);
	close(p[1]);
	volatile nfds_t huge = 1u << 30;
	printf("poll nfds too big: %s\n", res(poll(fds, huge, 0)));
}

static void selecting(void)
{
	int p[2], q[2];
	fd_set rd, wr;
	struct timeval tv = { 0, 0 };

	CHECK(pipe(p) == 0 && pipe(q) == 0);
	FD_ZERO(&rd);
	FD_ZERO(&wr);
	FD_SET(p[0], &rd);
	FD_SET(q[0], &rd);
	FD_SET(p[1], &wr);
	int maxfd = q[1] > p[1] ? q[1] : p[1];
	int r = select(maxfd + 1, &rd, &wr, NULL, &tv);
	printf("select empty: %d, p readable %d, q readable %d, p writable %d\n", r, FD_ISSET(p[0], &rd),
	       FD_ISSET(q[0], &rd), FD_ISSET(p[1], &wr));
	CHECK(write(q[1], "x", 1) == 1);
	FD_ZERO(&rd);
	FD_SET(p[0], &rd);
	FD_SET(q[0], &rd);
	tv = (struct timeval){ 0, 0 };
	r = select(maxfd + 1, &rd, NULL, NULL, &tv);
	printf("select after write to q: %d, p %d, q %d\n", r, FD_ISSET(p[0], &rd), FD_ISSET(q[0], &rd));
	FD_ZERO(&rd);
	FD_SET(p[0], &rd);
	tv = (struct timeval){ 0, 25000 };
	int64_t t0 = now_ns();
	r = select(p[0] + 1, &rd, NULL, NULL, &tv);
	printf("select 25 ms timeout: %d, waited >= 25 ms %d\n", r, now_ns() - t0 >= 25000000);
	FD_ZERO(&rd);
	FD_SET(q[0], &rd);
	struct timespec ts = { 1, 0 };
	r = pselect(q[0] + 1, &rd, NULL, NULL, &ts, NULL);
	printf("pselect readable: %d, q %d\n", r, FD_ISSET(q[0], &rd));
	close(p[0]);
	FD_ZERO(&rd);
	FD_SET(p[0], &rd);
	tv = (struct timeval){ 0, 0 };
	printf("select closed fd: %s\n", res(select(p[0] + 1, &rd, NULL, NULL, &tv)));
	tv = (struct timeval){ 0, -1 };
	printf("select bad timeout: %s\n", res(select(0, NULL, NULL, NULL, &tv)));
	close(p[1]);
	close(q[0]);
	close(q[1]);
}

int main(void)
{
	close_extra_fds();
	polling();
	selecting();
	return 0;
}
