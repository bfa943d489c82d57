/* exit_codes: how a process ends, chosen by argv[1] (one case per run):
 *   exit N       exit(N): atexit handlers run, stdio flushed
 *   return N     return from main
 *   _exit N      _exit(N): no atexit, unflushed stdio lost
 *   abort        SIGABRT: status 134
 *   signal N     kill(getpid(), N) with the default action: 128+N
 *   thread N     _exit(N) from a second thread while main waits in join
 *   group N      exit(N) while 8 threads run, sleep, block in read and futex
 *   pthread_exit main calls pthread_exit; the last thread exits with 0
 *   segv         a NULL write with the default action: 139 */
#include "compat.h"
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>

static int code;
static int block_pipe[2];
static uint32_t futex_word;

static void bye(void)
{
	printf("atexit handler ran\n");
}

static void *exiter(void *arg)
{
	(void)arg;
	printf("thread: calling _exit(%d)\n", code);
	fflush(stdout);
	_exit(code);
}

static void *busy(void *arg)
{
	long kind = (long)arg;
	char c;

	switch (kind % 4) {
	case 0:
		for (;;)
			;
	case 1:
		for (;;)
			sleep_ms(1000);
	case 2:
		(void)!read(block_pipe[0], &c, 1);
		break;
	case 3:
		syscall(SYS_futex, &futex_word, 0, 0, NULL, NULL, 0);
		break;
	}
	return NULL;
}

static void *late(void *arg)
{
	(void)arg;
	sleep_ms(20);
	printf("last thread finishing\n");
	return NULL;
}

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "return";

	code = argc > 2 ? atoi(argv[2]) : 0;
	atexit(bye);
	printf("case %s %d\n", how, code);
	if (!strcmp(how, "exit"))
		exit(code);
	if (!strcmp(how, "return"))
		return code;
	if (!strcmp(how, "_exit")) {
		printf("this line is flushed\n");
		fflush(stdout);
		printf("this unflushed text is lost");
		_exit(code);
	}
	if (!strcmp(how, "abort")) {
		fflush(stdout);
		abort();
	}
	if (!strcmp(how, "signal")) {
		fflush(stdout);
		signal(code, SIG_DFL);
		kill(getpid(), code);
		printf("still alive after signal %d\n", code);
		return 0;
	}
	if (!strcmp(how, "thread")) {
		pthread_t t;
		CHECK(pthread_create(&t, NULL, exiter, NULL) == 0);
		pthread_join(t, NULL);
		printf("join returned: wrong\n");
		return 0;
	}
	if (!strcmp(how, "group")) {
		pthread_t t;
		CHECK(pipe(block_pipe) == 0);
		for (long i = 0; i < 8; i++)
			CHECK(pthread_create(&t, NULL, busy, (void *)i) == 0);
		sleep_ms(20);
		printf("exiting with 8 threads running\n");
		exit(code);
	}
	if (!strcmp(how, "pthread_exit")) {
		pthread_t t;
		CHECK(pthread_create(&t, NULL, late, NULL) == 0);
		printf("main thread calls pthread_exit\n");
		fflush(stdout);
		pthread_exit(NULL);
	}
	if (!strcmp(how, "segv")) {
		fflush(stdout);
		*(volatile int *)0 = 1;
		return 0;
	}
	printf("unknown case\n");
	return 2;
}
