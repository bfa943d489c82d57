/*
 * tests/unit/fs/test_fdtable.c: descriptor tables. Lowest free numbers,
 * the dup family's corner cases (checked against the host kernel's own
 * dup/dup2/dup3/fcntl where they are easy to compare), close-on-exec per
 * descriptor, RLIMIT_NOFILE (-EMFILE), fork copies, release of the file
 * exactly once, and a few threads hammering one table.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <mote/fdtable.h>

#include "fs_test.h"

static int releases;

static void count_release(struct file *f)
{
	(void)f;
	__atomic_add_fetch(&releases, 1, __ATOMIC_RELAXED);
}

static const struct file_ops dummy_ops = { .release = count_release };

static struct file *dummy(void)
{
	return file_alloc(&dummy_ops, 0, NULL);
}

static int install(struct fdtable *t)
{
	struct file *f = dummy();
	int fd = fd_install(t, f, 0, false);

	if (fd < 0)
		file_put(f);
	return fd;
}

static void test_lowest_free(void)
{
	struct fdtable *t = fdtable_create();
	struct file *f;

	releases = 0;
	for (int i = 0; i < 200; i++)
		CHECK_EQ(install(t), i);
	CHECK_EQ(fd_close(t, 5), 0);
	CHECK_EQ(fd_close(t, 70), 0);
	CHECK_EQ(fd_close(t, 5), -EBADF);
	CHECK_EQ(fd_close(t, -1), -EBADF);
	CHECK_EQ(fd_close(t, 100000), -EBADF);
	CHECK_EQ(releases, 2);
	CHECK_EQ(install(t), 5);
	CHECK_EQ(install(t), 70);
	CHECK_EQ(install(t), 200);
	f = dummy();
	CHECK_EQ(fd_install(t, f, 64, false), 201);
	CHECK_EQ(fd_close(t, 10), 0);
	f = dummy();
	CHECK_EQ(fd_install(t, f, 5, true), 10);
	CHECK_EQ(fd_get_flags(t, 10), FD_CLOEXEC);
	f = fd_get(t, 10);
	CHECK(!IS_ERR(f));
	if (!IS_ERR(f))
		file_put(f);
	CHECK_EQ(PTR_ERR(fd_get(t, 500)), -EBADF);
	CHECK_EQ(PTR_ERR(fd_get(t, -3)), -EBADF);
	fdtable_destroy(t);
	CHECK_EQ(releases, 205);	/* 3 closed, 202 left open */
}

/* A file in use survives its close until the user's reference goes. */
static void test_get_outlives_close(void)
{
	struct fdtable *t = fdtable_create();
	struct file *f;

	releases = 0;
	CHECK_EQ(install(t), 0);
	f = fd_get(t, 0);
	CHECK_EQ(fd_close(t, 0), 0);
	CHECK_EQ(releases, 0);
	file_put(f);
	CHECK_EQ(releases, 1);
	fdtable_destroy(t);
}

static void test_dup_family(void)
{
	struct fdtable *t = fdtable_create();
	struct file *a, *b;

	CHECK_EQ(install(t), 0);
	CHECK_EQ(install(t), 1);
	CHECK_EQ(fd_dup(t, 0, 0, false), 2);
	a = fd_get(t, 0);
	b = fd_get(t, 2);
	CHECK(a == b);
	file_put(a);
	file_put(b);
	CHECK_EQ(fd_dup(t, 9, 0, false), -EBADF);
	CHECK_EQ(fd_dup(t, 0, 10, true), 10);		/* F_DUPFD_CLOEXEC */
	CHECK_EQ(fd_get_flags(t, 10), FD_CLOEXEC);
	CHECK_EQ(fd_get_flags(t, 0), 0);		/* the flag is per descriptor */
	CHECK_EQ(fd_dup(t, 0, 1024, false), -EINVAL);
	CHECK_EQ(fd_dup2(t, 1, 1), 1);
	CHECK_EQ(fd_dup2(t, 7, 7), -EBADF);
	CHECK_EQ(fd_dup2(t, 7, 8), -EBADF);
	CHECK_EQ(fd_dup2(t, 1, -1), -EBADF);
	CHECK_EQ(fd_dup2(t, 1, 1024), -EBADF);
	CHECK_EQ(fd_dup2(t, 1, 1023), 1023);
	CHECK_EQ(fd_dup2(t, 1, 10), 10);		/* replaces, and clears cloexec */
	CHECK_EQ(fd_get_flags(t, 10), 0);
	CHECK_EQ(fd_dup3(t, 1, 1, 0), -EINVAL);
	CHECK_EQ(fd_dup3(t, 1, 2, 0x1), -EINVAL);
	CHECK_EQ(fd_dup3(t, 1, 2, FILE_CLOEXEC), 2);
	CHECK_EQ(fd_get_flags(t, 2), FD_CLOEXEC);
	CHECK_EQ(fd_set_flags(t, 2, 0), 0);
	CHECK_EQ(fd_get_flags(t, 2), 0);
	CHECK_EQ(fd_set_flags(t, 99, 0), -EBADF);
	CHECK_EQ(fd_get_flags(t, 99), -EBADF);
	fdtable_destroy(t);
}

/* The same dup corner cases on the host kernel: the errnos must agree. */
static void test_dup_against_host(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int big = (int)sysconf(_SC_OPEN_MAX);

	CHECK(fd >= 0);
	CHECK_EQ(dup3(fd, fd, 0) < 0 ? -errno : 0, -EINVAL);
	CHECK_EQ(dup3(fd, fd + 1, 0x1) < 0 ? -errno : 0, -EINVAL);
	CHECK_EQ(dup2(fd, fd), fd);
	CHECK_EQ(dup2(9999, 9999) < 0 ? -errno : 0, -EBADF);
	CHECK_EQ(dup2(fd, big) < 0 ? -errno : 0, -EBADF);
	CHECK_EQ(fcntl(fd, F_DUPFD, big) < 0 ? -errno : 0, -EINVAL);
	CHECK_EQ(close(9999) < 0 ? -errno : 0, -EBADF);
	close(fd);
}

static void test_limit(void)
{
	struct fdtable *t = fdtable_create();
	struct file *f;
	int fd = 0;

	CHECK_EQ(fdtable_limit(t), 1024);
	CHECK_EQ(fdtable_set_limit(t, 10), 0);
	for (int i = 0; i < 10; i++)
		fd = install(t);
	CHECK_EQ(fd, 9);
	CHECK_EQ(fd_check_free(t, 0), -EMFILE);
	CHECK_EQ(install(t), -EMFILE);
	CHECK_EQ(fd_dup(t, 0, 0, false), -EMFILE);
	CHECK_EQ(fd_dup(t, 0, 10, false), -EINVAL);
	CHECK_EQ(fd_dup2(t, 0, 10), -EBADF);
	/* lowering the limit leaves higher descriptors alone */
	CHECK_EQ(fdtable_set_limit(t, 5), 0);
	f = fd_get(t, 9);
	CHECK(!IS_ERR(f));
	if (!IS_ERR(f))
		file_put(f);
	CHECK_EQ(fd_close(t, 2), 0);
	CHECK_EQ(fd_check_free(t, 0), 0);
	CHECK_EQ(fd_check_free(t, 3), -EMFILE);	/* 3 and 4 are open, 5 is the limit */
	CHECK_EQ(install(t), 2);
	CHECK_EQ(fdtable_set_limit(t, FD_MAX_LIMIT + 1), -EPERM);
	CHECK_EQ(fdtable_set_limit(t, 5000), 0);
	CHECK_EQ(fd_dup2(t, 0, 4999), 4999);
	fdtable_destroy(t);
}

static void test_cloexec_and_clone(void)
{
	struct fdtable *t = fdtable_create(), *c;
	struct file *f;

	releases = 0;
	for (int i = 0; i < 130; i++) {
		f = dummy();
		CHECK_EQ(fd_install(t, f, 0, i % 2), i);
	}
	c = fdtable_clone(t);
	CHECK(!IS_ERR(c));
	if (IS_ERR(c))
		return;
	CHECK_EQ(fd_get_flags(c, 129), FD_CLOEXEC);
	fdtable_close_on_exec(t);
	CHECK_EQ(releases, 0);			/* the clone still holds them */
	CHECK_EQ(PTR_ERR(fd_get(t, 1)), -EBADF);
	CHECK_EQ(fd_get_flags(t, 128), 0);
	CHECK_EQ(fd_dup(t, 0, 0, false), 1);	/* the lowest free again */
	fdtable_destroy(c);
	CHECK_EQ(releases, 65);
	fdtable_destroy(t);
	CHECK_EQ(releases, 130);
}

static struct fdtable *shared;

static void *hammer(void *arg)
{
	long seed = (long)arg;

	for (int i = 0; i < 20000; i++) {
		int fd = (int)((seed * 7919 + i * 31) % 64);
		struct file *f;

		switch (i % 4) {
		case 0:
			install(shared);
			break;
		case 1:
			fd_close(shared, fd);
			break;
		case 2:
			fd_dup2(shared, fd, (fd + 5) % 64);
			break;
		default:
			f = fd_get(shared, fd);
			if (!IS_ERR(f))
				file_put(f);
		}
	}
	return NULL;
}

/* Concurrent install/close/dup2/get: no crash, no leak, nothing released twice. */
static void test_threads(void)
{
	pthread_t th[4];
	int before;

	shared = fdtable_create();
	releases = 0;
	for (long i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, hammer, (void *)i);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	before = releases;
	fdtable_destroy(shared);
	CHECK(releases >= before);
	/* every dummy allocated was released: LeakSanitizer checks the memory */
}

int main(void)
{
	CASE(test_lowest_free);
	CASE(test_get_outlives_close);
	CASE(test_dup_family);
	CASE(test_dup_against_host);
	CASE(test_limit);
	CASE(test_cloexec_and_clone);
	CASE(test_threads);
	return t_exit();
}
