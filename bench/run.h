/*
 * Running one side of a benchmark from its host driver: the program's
 * stdout captured, stdin on /dev/null, a time limit. Shared by the
 * bench/ drivers (header-only, as stats.h).
 */
#ifndef BENCH_RUN_H
#define BENCH_RUN_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * Runs argv with stdout into out[] (NUL-terminated, the rest discarded),
 * stdin on /dev/null, stderr too when quiet_stderr, killed after
 * timeout_s seconds. Returns the exit status (128 + signal if killed, 127
 * if exec failed); `who` prefixes the error if the run cannot start.
 */
static inline int bench_run_capture(const char *who, char *const argv[], bool quiet_stderr,
				    unsigned timeout_s, char *out, size_t outsz)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0) {
		fprintf(stderr, "%s: pipe: %s\n", who, strerror(errno));
		exit(2);
	}
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "%s: fork: %s\n", who, strerror(errno));
		exit(2);
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(fds[1], 1);
		if (quiet_stderr)
			dup2(null, 2);
		alarm(timeout_s);	/* survives exec */
		execv(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	size_t len = 0;
	char sink[4096];
	ssize_t n;
	while ((n = read(fds[0], len < outsz - 1 ? out + len : sink,
			 len < outsz - 1 ? outsz - 1 - len : sizeof(sink))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (len < outsz - 1)
			len += (size_t)n;
	}
	out[len] = '\0';
	close(fds[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

#endif
