/*
 * fs/fdtable.c: file descriptor tables (the contract is include/mote/fdtable.h).
 */
#include <lib/errno.h>
#include <lib/err.h>
#include <lib/string.h>
#include <mote/fdtable.h>

#include "internal.h"

#define WORD 64u

static bool bit_test(const uint64_t *map, unsigned i)
{
	return map[i / WORD] >> (i % WORD) & 1;
}

static void bit_set(uint64_t *map, unsigned i, bool on)
{
	if (on)
		map[i / WORD] |= 1ULL << (i % WORD);
	else
		map[i / WORD] &= ~(1ULL << (i % WORD));
}

static bool fd_open(const struct fdtable *t, int fd)
{
	return fd >= 0 && (unsigned)fd < t->capacity && bit_test(t->used, (unsigned)fd);
}

/* Grows the arrays to hold at least want descriptors (t->lock held). */
static int grow(struct fdtable *t, unsigned want)
{
	unsigned cap = t->capacity ? t->capacity : WORD;
	struct file **files;
	uint64_t *used, *cloexec;

	while (cap < want)
		cap *= 2;
	files = fs_zalloc(cap * sizeof(*files));
	used = fs_zalloc(cap / 8);
	cloexec = fs_zalloc(cap / 8);
	if (!files || !used || !cloexec) {
		fs_free(files);
		fs_free(used);
		fs_free(cloexec);
		return -ENOMEM;
	}
	if (t->capacity) {
		memcpy(files, t->files, t->capacity * sizeof(*files));
		memcpy(used, t->used, t->capacity / 8);
		memcpy(cloexec, t->cloexec, t->capacity / 8);
	}
	fs_free(t->files);
	fs_free(t->used);
	fs_free(t->cloexec);
	t->files = files;
	t->used = used;
	t->cloexec = cloexec;
	t->capacity = cap;
	return 0;
}

/* The lowest unused descriptor >= min within capacity, or capacity if none. */
static unsigned lowest_free(const struct fdtable *t, unsigned min)
{
	for (unsigned w = min / WORD; w < t->capacity / WORD; w++) {
		uint64_t free_bits = ~t->used[w];

		if (w == min / WORD)
			free_bits &= ~0ULL << (min % WORD);
		if (free_bits)
			return w * WORD + (unsigned)__builtin_ctzll(free_bits);
	}
	return t->capacity > min ? t->capacity : min;
}

/* Puts f at fd (free, < capacity), taking over a reference (lock held). */
static void place(struct fdtable *t, unsigned fd, struct file *f, bool cloexec)
{
	t->files[fd] = f;
	bit_set(t->used, fd, true);
	bit_set(t->cloexec, fd, cloexec);
	t->open++;
}

/* Takes the file out of fd (open) and returns it, still referenced (lock held). */
static struct file *unplace(struct fdtable *t, unsigned fd)
{
	struct file *f = t->files[fd];

	t->files[fd] = NULL;
	bit_set(t->used, fd, false);
	bit_set(t->cloexec, fd, false);
	t->open--;
	return f;
}

/* Installs f at the lowest free descriptor >= min (lock held). */
static int install_locked(struct fdtable *t, struct file *f, unsigned long min, bool cloexec)
{
	unsigned fd;
	int ret;

	if (min >= t->limit)
		return -EMFILE;
	fd = lowest_free(t, (unsigned)min);
	if (fd >= t->limit)
		return -EMFILE;
	if (fd >= t->capacity) {
		ret = grow(t, fd + 1);
		if (ret)
			return ret;
	}
	place(t, fd, f, cloexec);
	return (int)fd;
}

struct fdtable *fdtable_create(void)
{
	struct fdtable *t = fs_zalloc(sizeof(*t));

	if (!t)
		return ERR_PTR(-ENOMEM);
	mutex_init(&t->lock);
	t->limit = FD_DEFAULT_LIMIT;
	return t;
}

struct fdtable *fdtable_clone(struct fdtable *t)
{
	struct fdtable *c = fdtable_create();

	if (IS_ERR(c))
		return c;
	mutex_lock(&t->lock);
	c->limit = t->limit;
	if (t->capacity && grow(c, t->capacity)) {
		mutex_unlock(&t->lock);
		fdtable_destroy(c);
		return ERR_PTR(-ENOMEM);
	}
	for (unsigned fd = 0; fd < t->capacity; fd++) {
		if (!bit_test(t->used, fd))
			continue;
		file_get(t->files[fd]);
		place(c, fd, t->files[fd], bit_test(t->cloexec, fd));
	}
	mutex_unlock(&t->lock);
	return c;
}

void fdtable_destroy(struct fdtable *t)
{
	for (unsigned fd = 0; fd < t->capacity; fd++)
		if (bit_test(t->used, fd))
			file_put(unplace(t, fd));
	fs_free(t->files);
	fs_free(t->used);
	fs_free(t->cloexec);
	fs_free(t);
}

int fdtable_set_limit(struct fdtable *t, unsigned long limit)
{
	if (limit > FD_MAX_LIMIT)
		return -EPERM;
	mutex_lock(&t->lock);
	t->limit = (unsigned)limit;
	mutex_unlock(&t->lock);
	return 0;
}

unsigned fdtable_limit(struct fdtable *t)
{
	return __atomic_load_n(&t->limit, __ATOMIC_RELAXED);
}

int fd_install(struct fdtable *t, struct file *f, unsigned min, bool cloexec)
{
	int ret;

	mutex_lock(&t->lock);
	ret = install_locked(t, f, min, cloexec);
	mutex_unlock(&t->lock);
	return ret;
}

int fd_check_free(struct fdtable *t, unsigned min)
{
	int ret;

	mutex_lock(&t->lock);
	ret = min < t->limit && lowest_free(t, min) < t->limit ? 0 : -EMFILE;
	mutex_unlock(&t->lock);
	return ret;
}

struct file *fd_get(struct fdtable *t, int fd)
{
	struct file *f = ERR_PTR(-EBADF);

	mutex_lock(&t->lock);
	if (fd_open(t, fd)) {
		f = t->files[fd];
		file_get(f);
	}
	mutex_unlock(&t->lock);
	return f;
}

struct file *fd_peek(struct fdtable *t, int fd)
{
	return fd_open(t, fd) ? t->files[fd] : ERR_PTR(-EBADF);
}

int fd_next(struct fdtable *t, int from)
{
	int ret = -1;

	mutex_lock(&t->lock);
	for (unsigned fd = from < 0 ? 0 : (unsigned)from; fd < t->capacity; fd++) {
		if (fd_open(t, (int)fd)) {
			ret = (int)fd;
			break;
		}
	}
	mutex_unlock(&t->lock);
	return ret;
}

int fd_close(struct fdtable *t, int fd)
{
	struct file *f = NULL;

	mutex_lock(&t->lock);
	if (fd_open(t, fd))
		f = unplace(t, (unsigned)fd);
	mutex_unlock(&t->lock);
	if (!f)
		return -EBADF;
	file_put(f);
	return 0;
}

int fd_dup(struct fdtable *t, int oldfd, unsigned long min, bool cloexec)
{
	int ret = -EBADF;

	mutex_lock(&t->lock);
	if (min >= t->limit) {
		ret = -EINVAL;
	} else if (fd_open(t, oldfd)) {
		ret = install_locked(t, t->files[oldfd], min, cloexec);
		if (ret >= 0)
			file_get(t->files[oldfd]);
	}
	mutex_unlock(&t->lock);
	return ret;
}

/* dup2/dup3 after their own checks: newfd in range, distinct from oldfd. */
static int dup_to(struct fdtable *t, int oldfd, int newfd, bool cloexec)
{
	struct file *old = NULL;
	int ret = newfd;

	mutex_lock(&t->lock);
	if (!fd_open(t, oldfd)) {
		ret = -EBADF;
	} else if ((unsigned)newfd >= t->limit) {
		ret = -EBADF;
	} else if ((unsigned)newfd >= t->capacity && grow(t, (unsigned)newfd + 1)) {
		ret = -ENOMEM;
	} else {
		if (bit_test(t->used, (unsigned)newfd))
			old = unplace(t, (unsigned)newfd);
		file_get(t->files[oldfd]);
		place(t, (unsigned)newfd, t->files[oldfd], cloexec);
	}
	mutex_unlock(&t->lock);
	if (old)
		file_put(old);
	return ret;
}

int fd_dup2(struct fdtable *t, int oldfd, int newfd)
{
	if (oldfd == newfd) {
		struct file *f = fd_get(t, oldfd);

		if (IS_ERR(f))
			return (int)PTR_ERR(f);
		file_put(f);
		return newfd;
	}
	if (newfd < 0)
		return -EBADF;
	return dup_to(t, oldfd, newfd, false);
}

int fd_dup3(struct fdtable *t, int oldfd, int newfd, unsigned flags)
{
	if (flags & ~FILE_CLOEXEC)
		return -EINVAL;
	if (oldfd == newfd)
		return -EINVAL;
	if (newfd < 0)
		return -EBADF;
	return dup_to(t, oldfd, newfd, flags & FILE_CLOEXEC);
}

int fd_get_flags(struct fdtable *t, int fd)
{
	int ret = -EBADF;

	mutex_lock(&t->lock);
	if (fd_open(t, fd))
		ret = bit_test(t->cloexec, (unsigned)fd) ? FD_CLOEXEC : 0;
	mutex_unlock(&t->lock);
	return ret;
}

int fd_set_flags(struct fdtable *t, int fd, unsigned flags)
{
	int ret = -EBADF;

	mutex_lock(&t->lock);
	if (fd_open(t, fd)) {
		bit_set(t->cloexec, (unsigned)fd, flags & FD_CLOEXEC);
		ret = 0;
	}
	mutex_unlock(&t->lock);
	return ret;
}

void fdtable_close_on_exec(struct fdtable *t)
{
	for (;;) {
		struct file *f = NULL;

		mutex_lock(&t->lock);
		for (unsigned w = 0; w < t->capacity / WORD && !f; w++) {
			uint64_t bits = t->cloexec[w];

			if (bits)
				f = unplace(t, w * WORD + (unsigned)__builtin_ctzll(bits));
		}
		mutex_unlock(&t->lock);
		if (!f)
			return;
		file_put(f);	/* outside the lock: release may sleep */
	}
}
