/* signal_eintr: a blocking call interrupted by a handled signal: read on an
 * empty pipe and nanosleep return EINTR (nanosleep also reports the time
 * left) without SA_RESTART; with SA_RESTART the read resumes and returns the
 * data written later. A helper thread keeps sending the signal until the
 * main thread reports the call returned, so no timing decides the result. */
#include "compat.h"
#include <pthread.h>
#include <signal.h>

static pthread_t main_thread;
static volatile int call_done, handled, feed_fd = -1;

static void handler(int sig)
{
	(void)sig;
	handled++;
}

static void *nagger(void *arg)
{
	(void)arg;
	while (!call_done) {
		pthread_kill(main_thread, SIGUSR1);
		sleep_ms(2);
		/* With SA_RESTART, after a few signals, give the read its data. */
		if (feed_fd >= 0 && handled >= 3) {
			CHECK(write(feed_fd, "data", 4) == 4);
			feed_fd = -1;
		}
	}
	return NULL;
}

static void setup(int flags)
{
	struct sigaction sa = { .sa_handler = handler, .sa_flags = flags };

	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
	call_done = 0;
	handled = 0;
}

int main(void)
{
	int p[2];
	char buf[16];
	pthread_t t;

	main_thread = pthread_self();
	CHECK(pipe(p) == 0);

	setup(0);
	CHECK(pthread_create(&t, NULL, nagger, NULL) == 0);
	ssize_t r = read(p[0], buf, sizeof(buf));
	int err = errno;
	call_done = 1;
	pthread_join(t, NULL);
	errno = err;
	printf("read without SA_RESTART: %s, handler ran %d\n", res(r), handled > 0);

	setup(SA_RESTART);
	feed_fd = p[1];
	CHECK(pthread_create(&t, NULL, nagger, NULL) == 0);
	r = read(p[0], buf, sizeof(buf));
	err = errno;
	call_done = 1;
	pthread_join(t, NULL);
	errno = err;
	printf("read with SA_RESTART: %s [%.4s], handler ran at least 3 times %d\n", res(r), buf, handled >= 3);

	setup(SA_RESTART);
	CHECK(pthread_create(&t, NULL, nagger, NULL) == 0);
	struct timespec ts = { 30, 0 }, left = { 0, 0 };
	int n = nanosleep(&ts, &left);
	err = errno;
	call_done = 1;
	pthread_join(t, NULL);
	errno = err;
	printf("nanosleep (never restarted): %s, time left reported %d\n", res(n),
	       left.tv_sec > 0 && left.tv_sec <= 30);

	setup(0);
	CHECK(pthread_create(&t, NULL, nagger, NULL) == 0);
	sigset_t none;
	sigemptyset(&none);
	int s = sigsuspend(&none);
	err = errno;
	call_done = 1;
	pthread_join(t, NULL);
	errno = err;
	printf("sigsuspend: %s\n", res(s));
	return 0;
}
