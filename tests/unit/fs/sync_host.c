/*
 * tests/unit/fs/sync_host.c: mote/sync.h's mutexes for fs/ on the host.
 *
 * The owner field doubles as the lock word: a compare-and-swap from NULL
 * to this thread's identity takes it, yielding while another thread holds
 * it. As in the kernel, locking a mutex already held by the caller and
 * unlocking one it does not hold are bugs: here they abort, so a test
 * that would deadlock fails loudly instead.
 */
#include <mote/epoll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#include <mote/sync.h>

#include "internal.h"	/* fs/: the data-page hooks this file provides */

static __thread char self_id;

static struct thread *self(void)
{
	return (struct thread *)&self_id;
}

void mutex_init(struct mutex *m)
{
	m->owner = NULL;
}

bool mutex_trylock(struct mutex *m)
{
	struct thread *none = NULL;

	return __atomic_compare_exchange_n(&m->owner, &none, self(), false, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

void mutex_lock(struct mutex *m)
{
	if (__atomic_load_n(&m->owner, __ATOMIC_RELAXED) == self()) {
		fprintf(stderr, "mutex %p locked again by its owner\n", (void *)m);
		abort();
	}
	while (!mutex_trylock(m))
		sched_yield();
}

void mutex_unlock(struct mutex *m)
{
	if (m->owner != self()) {
		fprintf(stderr, "mutex %p unlocked by a thread that does not hold it\n", (void *)m);
		abort();
	}
	__atomic_store_n(&m->owner, NULL, __ATOMIC_RELEASE);
}

bool mutex_held(const struct mutex *m)
{
	return __atomic_load_n(&m->owner, __ATOMIC_RELAXED) == self();
}

/* No epoll on the host: nothing to leave when a file is released. */
void epoll_file_release(struct file *f)
{
	(void)f;
}

/* fs/internal.h's data pages: plain aligned memory on the host. */
void *fs_page_backend_alloc(void)
{
	return aligned_alloc(4096, 4096);
}

void fs_page_backend_release(void *page)
{
	free(page);
}
