/*
 * mm/host/backend.c: the mm backend for a Linux process (tests, bench).
 *
 * The kernel's aliases of physical memory are page-table entries pointing
 * at the same frames; here they are MAP_SHARED mappings of one memfd at
 * the same offsets, which is the only way a process can have several
 * virtual addresses for one page. The reservation is made first with
 * MAP_FIXED_NOREPLACE so that nothing else in the process (ASan's
 * allocator lives at 0x6000_0000_0000) is ever clobbered; the aliases and
 * the debug allocator's mappings then replace parts of it with MAP_FIXED,
 * and unmapping puts PROT_NONE back rather than leaving a hole another
 * mmap could fill.
 */
#define _GNU_SOURCE
#include "host.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <mote/mm.h>

static int memfd = -1;
static size_t ram;
static bool fatal = true;
static unsigned corruptions;
static char last[256];
static size_t maps, unmaps;

static const unsigned aliases[] = {
	MM_OWNER_MEMPOOL, MM_OWNER_PAGE, MM_OWNER_HALF, MM_OWNER_LARGE, MM_OWNER_DIRECT,
	MM_OWNER_EARLY,
};

static void *reserve(void *at, size_t len)
{
	return mmap(at, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1,
		    0);
}

int mm_host_init(size_t ram_bytes)
{
	size_t total = (size_t)MM_NR_AREAS << MM_AREA_SHIFT;
	void *base = (void *)MM_AREA_BASE;

	ram = (ram_bytes + MM_PAGE_SIZE - 1) & ~(MM_PAGE_SIZE - 1);
	if (!ram || ram > MM_AREA_SIZE)
		return -EINVAL;
	if (mmap(base, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
		 MAP_FIXED_NOREPLACE, -1, 0) != base)
		return -errno;
	memfd = memfd_create("mote-ram", MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, (off_t)ram) < 0) {
		int err = -errno;

		mm_host_fini();
		return err;
	}
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		if (mmap(mm_area_ptr(aliases[i], 0), ram, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, memfd, 0) == MAP_FAILED) {
			int err = -errno;

			mm_host_fini();
			return err;
		}
	}
	return 0;
}

void mm_host_fini(void)
{
	munmap((void *)MM_AREA_BASE, (size_t)MM_NR_AREAS << MM_AREA_SHIFT);
	if (memfd >= 0)
		close(memfd);
	memfd = -1;
	ram = 0;
}

void mm_host_corruption_fatal(bool on)
{
	fatal = on;
}

unsigned mm_host_corruptions(void)
{
	return corruptions;
}

const char *mm_host_last_corruption(void)
{
	return last;
}

size_t mm_host_maps(void)
{
	return maps;
}

size_t mm_host_unmaps(void)
{
	return unmaps;
}

/* A real lock: bench/alloc and the pcp tests run several threads, one simulated CPU each. */
static int host_lock;
static __thread unsigned host_cpu;

unsigned long mm_backend_lock(void)
{
	while (__atomic_exchange_n(&host_lock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&host_lock, __ATOMIC_RELAXED))
			__builtin_ia32_pause();
	return 0;
}

void mm_backend_unlock(unsigned long flags)
{
	(void)flags;
	__atomic_store_n(&host_lock, 0, __ATOMIC_RELEASE);
}

unsigned long mm_backend_irq_save(void)
{
	return 0;
}

void mm_backend_irq_restore(unsigned long flags)
{
	(void)flags;
}

unsigned mm_backend_cpu(void)
{
	return host_cpu;
}

void mm_host_set_cpu(unsigned cpu)
{
	host_cpu = cpu % MM_MAX_CPUS;
}

int mm_backend_map(uintptr_t va, uint64_t pa, size_t npages)
{
	size_t len = npages * MM_PAGE_SIZE;

	if (pa + len > ram || mm_owner_of((void *)va) != MM_OWNER_DEBUG)
		return -MM_EINVAL;
	if (mmap((void *)va, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, memfd,
		 (off_t)pa) == MAP_FAILED)
		return -MM_ENOMEM;
	maps++;
	return 0;
}

void mm_backend_unmap(uintptr_t va, size_t npages)
{
	if (reserve((void *)va, npages * MM_PAGE_SIZE) == MAP_FAILED) {
		perror("mm_backend_unmap");
		abort();
	}
	unmaps++;
}

void mm_backend_corruption(const char *what, const void *p)
{
	corruptions++;
	snprintf(last, sizeof(last), "%s (%p)", what, p);
	if (fatal) {
		fprintf(stderr, "mm: %s\n", last);
		abort();
	}
}
