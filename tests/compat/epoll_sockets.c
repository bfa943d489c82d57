/*
 * epoll over AF_UNIX sockets under load: a server multiplexes 50 client
 * threads, each sending 20 messages and checking every echo. Round one:
 * one server thread, everything edge-triggered (accept and read until
 * EAGAIN). Round two: four server threads share the instance with
 * EPOLLONESHOT (re-armed with EPOLL_CTL_MOD after each event), so no
 * two threads serve one connection at once. A lost wake-up shows as a
 * hang (the test's timeout), a wrong echo as a FAIL line. Then EPOLLRDHUP
 * and EPOLLHUP on a half-closed pair, EPOLLEXCLUSIVE's checks, and one
 * wake-up waking one of three instances that watch a socket exclusively.
 */
#include "sockcompat.h"
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>

#define CLIENTS 50
#define MSGS    20
#define MSGLEN  48
#define WORKERS 4

static struct sockaddr_un srv_addr;
static socklen_t srv_len;
static int listen_fd, ep;
static int clients_done, served_msgs;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int oneshot;

static void *client(void *arg)
{
	int id = (int)(intptr_t)arg, fd = socket(AF_UNIX, SOCK_STREAM, 0);
	char out[MSGLEN], in[MSGLEN];

	CHECK(fd >= 0);
	CHECK(connect(fd, (struct sockaddr *)&srv_addr, srv_len) == 0);
	for (int m = 0; m < MSGS; m++) {
		size_t got = 0;

		memset(out, 'a' + (id + m) % 26, sizeof(out));
		snprintf(out, sizeof(out), "client %d message %d", id, m);
		CHECK(write(fd, out, sizeof(out)) == sizeof(out));
		while (got < sizeof(in)) {
			ssize_t n = read(fd, in + got, sizeof(in) - got);

			CHECK(n > 0);
			got += (size_t)n;
		}
		CHECK(memcmp(in, out, sizeof(in)) == 0);
	}
	close(fd);
	return NULL;
}

static void add(int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0);
}

static void rearm(int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	CHECK(epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev) == 0);
}

static uint32_t conn_events(void)
{
	return EPOLLIN | EPOLLRDHUP | (oneshot ? EPOLLONESHOT : EPOLLET);
}

static void accept_all(void)
{
	int c;

	while ((c = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK)) >= 0)
		add(c, conn_events());
	CHECK(errno == EAGAIN);
	if (oneshot)
		rearm(listen_fd, EPOLLIN | EPOLLONESHOT);
}

/* Echoes what fd has; closes it at end of stream. */
static void serve(int fd)
{
	char buf[1024];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		size_t done = 0;

		while (done < (size_t)n) {
			ssize_t w = write(fd, buf + done, (size_t)n - done);

			if (w < 0 && errno == EAGAIN) {
				sched_yield();
				continue;
			}
			CHECK(w > 0);
			done += (size_t)w;
		}
		pthread_mutex_lock(&lock);
		served_msgs += (int)n;
		pthread_mutex_unlock(&lock);
	}
	if (n == 0) {
		close(fd);	/* leaves the epoll set with its last descriptor */
		pthread_mutex_lock(&lock);
		clients_done++;
		pthread_mutex_unlock(&lock);
		return;
	}
	CHECK(errno == EAGAIN);
	if (oneshot)
		rearm(fd, conn_events());
}

static int all_done(void)
{
	int d;

	pthread_mutex_lock(&lock);
	d = clients_done == CLIENTS;
	pthread_mutex_unlock(&lock);
	return d;
}

static void *server(void *arg)
{
	struct epoll_event evs[8];

	(void)arg;
	while (!all_done()) {
		int n = epoll_wait(ep, evs, 8, 100);

		CHECK(n >= 0);
		for (int i = 0; i < n; i++) {
			if (evs[i].data.fd == listen_fd)
				accept_all();
			else
				serve(evs[i].data.fd);
		}
	}
	return NULL;
}

static void round_trip(int use_oneshot, int workers, const char *name)
{
	pthread_t cl[CLIENTS], sv[WORKERS];

	oneshot = use_oneshot;
	clients_done = served_msgs = 0;
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	CHECK(listen_fd >= 0);
	CHECK(bind(listen_fd, (struct sockaddr *)&srv_addr, srv_len) == 0);
	CHECK(listen(listen_fd, 64) == 0);
	ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK(ep >= 0);
	add(listen_fd, EPOLLIN | (oneshot ? EPOLLONESHOT : EPOLLET));
	for (int i = 0; i < workers; i++)
		CHECK(pthread_create(&sv[i], NULL, server, NULL) == 0);
	for (int i = 0; i < CLIENTS; i++)
		CHECK(pthread_create(&cl[i], NULL, client, (void *)(intptr_t)i) == 0);
	for (int i = 0; i < CLIENTS; i++)
		pthread_join(cl[i], NULL);
	for (int i = 0; i < workers; i++)
		pthread_join(sv[i], NULL);
	printf("%s: %d clients done, %d bytes echoed\n", name, clients_done, served_msgs);
	close(ep);
	close(listen_fd);
}

static void show_events(int e, int fd, const char *what)
{
	struct epoll_event ev;
	int n = epoll_wait(e, &ev, 1, 0);

	printf("%s: %d", what, n);
	if (n == 1)
		printf(" fd ok %d events%s%s%s%s%s", ev.data.fd == fd, ev.events & EPOLLIN ? " IN" : "",
		       ev.events & EPOLLOUT ? " OUT" : "", ev.events & EPOLLRDHUP ? " RDHUP" : "",
		       ev.events & EPOLLHUP ? " HUP" : "", ev.events & EPOLLERR ? " ERR" : "");
	printf("\n");
}

static void hangups(void)
{
	int sv[2], e = epoll_create1(0), e2 = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET };

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	ev.data.fd = sv[0];
	CHECK(epoll_ctl(e, EPOLL_CTL_ADD, sv[0], &ev) == 0);
	show_events(e, sv[0], "fresh pair (ET)");
	show_events(e, sv[0], "again, no new edge");
	CHECK(write(sv[1], "x", 1) == 1);
	show_events(e, sv[0], "after a write");
	CHECK(shutdown(sv[1], SHUT_WR) == 0);
	show_events(e, sv[0], "after peer SHUT_WR");
	close(sv[1]);
	show_events(e, sv[0], "after peer close");
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	printf("EPOLLEXCLUSIVE add: %s\n", sres(epoll_ctl(e2, EPOLL_CTL_ADD, sv[0], &ev)));
	printf("EPOLLEXCLUSIVE mod: %s\n", sres(epoll_ctl(e2, EPOLL_CTL_MOD, sv[0], &ev)));
	close(sv[0]);
	close(e);
	close(e2);
}

static int excl_woken;

static void *excl_waiter(void *arg)
{
	struct epoll_event ev;
	int n = epoll_wait((int)(intptr_t)arg, &ev, 1, 600);

	pthread_mutex_lock(&lock);
	excl_woken += n == 1;
	pthread_mutex_unlock(&lock);
	return NULL;
}

/* Three instances wait on one socket with EPOLLEXCLUSIVE: one write wakes one of them. */
static void exclusive(void)
{
	int sv[2], eps[3];
	pthread_t t[3];

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	for (int i = 0; i < 3; i++) {
		struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE, .data.fd = sv[0] };

		eps[i] = epoll_create1(0);
		CHECK(epoll_ctl(eps[i], EPOLL_CTL_ADD, sv[0], &ev) == 0);
		CHECK(pthread_create(&t[i], NULL, excl_waiter, (void *)(intptr_t)eps[i]) == 0);
	}
	sleep_ms(200);	/* all three asleep in epoll_wait */
	CHECK(write(sv[1], "x", 1) == 1);
	for (int i = 0; i < 3; i++) {
		pthread_join(t[i], NULL);
		close(eps[i]);
	}
	printf("EPOLLEXCLUSIVE: one write woke %d of 3 instances\n", excl_woken);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	close_extra_fds();
	srv_addr.sun_family = AF_UNIX;
	/* The abstract namespace is the host's: a name per process. */
	snprintf(srv_addr.sun_path + 1, sizeof(srv_addr.sun_path) - 1, "epoll-sockets-%d", (int)getpid());
	srv_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(srv_addr.sun_path + 1));
	round_trip(0, 1, "edge-triggered, one server thread");
	round_trip(1, WORKERS, "oneshot, four server threads");
	hangups();
	exclusive();
	printf("done\n");
	return 0;
}
