/* epoll: level-triggered (reported while data remains), edge-triggered
 * (reported once per new arrival), EPOLLONESHOT (silent until re-armed with
 * EPOLL_CTL_MOD), several ready descriptors (printed sorted, the kernel's
 * order is not promised), EPOLLHUP, epoll_pwait with a mask, a wait that
 * times out, a wait ended by another thread, and the ctl errors. */
#include "compat.h"
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>

static int ep;

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = ((const struct epoll_event *)a)->data.u64, y = ((const struct epoll_event *)b)->data.u64;
	return (x > y) - (x < y);
}

static void wait_show(const char *what, int timeout)
{
	struct epoll_event evs[8];
	int n = epoll_wait(ep, evs, 8, timeout);

	printf("%s: %s", what, res(n));
	if (n > 0) {
		qsort(evs, (size_t)n, sizeof(evs[0]), cmp_u64);
		for (int i = 0; i < n; i++)
			printf(" [data %llu%s%s%s%s]", (unsigned long long)evs[i].data.u64,
			       evs[i].events & EPOLLIN ? " IN" : "", evs[i].events & EPOLLOUT ? " OUT" : "",
			       evs[i].events & EPOLLHUP ? " HUP" : "", evs[i].events & EPOLLERR ? " ERR" : "");
	}
	printf("\n");
}

static int wfd;

static void *late_writer(void *arg)
{
	(void)arg;
	sleep_ms(20);
	CHECK(write(wfd, "x", 1) == 1);
	return NULL;
}

int main(void)
{
	int a[2], b[2], c[2];
	char buf[16];
	struct epoll_event e;

	close_extra_fds();
	ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK(ep >= 0);
	CHECK(pipe(a) == 0 && pipe(b) == 0 && pipe(c) == 0);

	e = (struct epoll_event){ .events = EPOLLIN, .data.u64 = 1 };
	printf("add a (level): %s\n", res(epoll_ctl(ep, EPOLL_CTL_ADD, a[0], &e)));
	printf("add a again: %s\n", res(epoll_ctl(ep, EPOLL_CTL_ADD, a[0], &e)));
	e = (struct epoll_event){ .events = EPOLLIN | EPOLLET, .data.u64 = 2 };
	printf("add b (edge): %s\n", res(epoll_ctl(ep, EPOLL_CTL_ADD, b[0], &e)));
	e = (struct epoll_event){ .events = EPOLLIN | EPOLLONESHOT, .data.u64 = 3 };
	printf("add c (oneshot): %s\n", res(epoll_ctl(ep, EPOLL_CTL_ADD, c[0], &e)));

	wait_show("nothing ready", 0);
	CHECK(write(a[1], "aa", 2) == 2 && write(b[1], "bb", 2) == 2 && write(c[1], "cc", 2) == 2);
	wait_show("all three written", 0);
	wait_show("again, nothing read", 0);
	CHECK(read(a[0], buf, 1) == 1 && read(b[0], buf, 1) == 1 && read(c[0], buf, 1) == 1);
	wait_show("one byte read from each", 0);
	CHECK(write(b[1], "b", 1) == 1 && write(c[1], "c", 1) == 1);
	wait_show("new data on b and c", 0);
	e = (struct epoll_event){ .events = EPOLLIN | EPOLLONESHOT, .data.u64 = 33 };
	printf("re-arm c: %s\n", res(epoll_ctl(ep, EPOLL_CTL_MOD, c[0], &e)));
	wait_show("after re-arm", 0);
	CHECK(read(a[0], buf, sizeof(buf)) == 1);
	wait_show("a drained", 0);

	printf("del a: %s\n", res(epoll_ctl(ep, EPOLL_CTL_DEL, a[0], NULL)));
	printf("del a again: %s\n", res(epoll_ctl(ep, EPOLL_CTL_DEL, a[0], NULL)));
	printf("mod unregistered: %s\n", res(epoll_ctl(ep, EPOLL_CTL_MOD, a[0], &e)));
	printf("add epoll to itself: %s\n", res(epoll_ctl(ep, EPOLL_CTL_ADD, ep, &e)));
	printf("add bad fd: %s\n", res(epoll_ctl(ep, EPOLL_CTL_ADD, 999, &e)));
	printf("ctl on a non-epoll fd: %s\n", res(epoll_ctl(a[0], EPOLL_CTL_ADD, b[0], &e)));
	printf("wait maxevents 0: %s\n", res(epoll_wait(ep, &e, 0, 0)));

	/* The write end: writable; HUP on the read end once writers are gone. */
	e = (struct epoll_event){ .events = EPOLLOUT, .data.u64 = 4 };
	epoll_ctl(ep, EPOLL_CTL_ADD, a[1], &e);
	wait_show("a's write end", 0);
	epoll_ctl(ep, EPOLL_CTL_DEL, a[1], NULL);
	e = (struct epoll_event){ .events = EPOLLIN, .data.u64 = 5 };
	epoll_ctl(ep, EPOLL_CTL_ADD, a[0], &e);
	epoll_ctl(ep, EPOLL_CTL_DEL, b[0], NULL);
	epoll_ctl(ep, EPOLL_CTL_DEL, c[0], NULL);
	close(a[1]);
	wait_show("writer of a closed", 0);
	epoll_ctl(ep, EPOLL_CTL_DEL, a[0], NULL);

	int p[2];
	CHECK(pipe(p) == 0);
	e = (struct epoll_event){ .events = EPOLLIN, .data.u64 = 6 };
	epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e);
	int64_t t0 = now_ns();
	wait_show("30 ms timeout", 30);
	printf("waited >= 30 ms: %d\n", now_ns() - t0 >= 30000000);
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	struct epoll_event got;
	int n = epoll_pwait(ep, &got, 1, 10, &mask);
	printf("epoll_pwait timeout: %s\n", res(n));
	wfd = p[1];
	pthread_t t;
	CHECK(pthread_create(&t, NULL, late_writer, NULL) == 0);
	wait_show("woken by another thread", 10000);
	pthread_join(t, NULL);
	printf("close: %s\n", res(close(ep)));
	return 0;
}
