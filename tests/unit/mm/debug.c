/*
 * tests/unit/mm/debug.c: the debug allocator really faults, and says why.
 *
 * Each bad access below is made for real; the SIGSEGV handler records
 * si_addr and jumps back, and mm_debug_describe() on that address must
 * name the kind of bug, the offset, and the allocating (and freeing) call
 * sites: the return addresses inside alloc_here() and free_here(), two
 * functions kept out of line so the sites can be checked.
 */
#include <setjmp.h>
#include <signal.h>

#include "check.h"

static sigjmp_buf jump;
static volatile uintptr_t fault_addr;

static void on_segv(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	(void)ctx;
	fault_addr = (uintptr_t)si->si_addr;
	siglongjmp(jump, 1);
}

/* True if the statement faulted (fault_addr then holds the address). */
#define FAULTS(stmt) (fault_addr = 0, sigsetjmp(jump, 1) ? true : ((stmt), false))

__attribute__((noinline)) static void *alloc_here(size_t n)
{
	void *p = mm_malloc(n);

	__asm__ volatile("" ::: "memory");	/* not a tail call: the site stays in here */
	return p;
}

__attribute__((noinline)) static void free_here(void *p)
{
	mm_free(p);
	__asm__ volatile("" ::: "memory");
}

static bool in_fn(uintptr_t site, void *fn)
{
	return site > (uintptr_t)fn && site < (uintptr_t)fn + 512;
}

static bool says(const char *msg, const char *what)
{
	return strstr(msg, what) != NULL;
}

static bool names_site(const char *msg, uintptr_t site)
{
	char hex[32];

	snprintf(hex, sizeof(hex), "0x%lx", (unsigned long)site);
	return says(msg, hex);
}

static void test_overflow(void)
{
	volatile char *p = alloc_here(32);
	struct mm_debug_info info;
	char msg[256];
	bool faulted;

	check("debug.owner", p && mm_owner_of((void *)p) == MM_OWNER_DEBUG &&
	      mm_malloc_usable_size((void *)p) == 32, "not a 32-byte debug object");
	faulted = FAULTS(memset((void *)p, 1, 32));
	check("debug.in-bounds", !faulted, "writing inside the object faulted");
	faulted = FAULTS(p[32] = 1);
	check("debug.overflow.faults", faulted && fault_addr == (uintptr_t)p + 32,
	      "faulted %d at %#lx, object %p", faulted, (unsigned long)fault_addr, (void *)p);
	check("debug.overflow.lookup", mm_debug_lookup(fault_addr, &info) &&
	      info.kind == MM_DEBUG_OVERFLOW && info.object == (uintptr_t)p && info.size == 32 &&
	      in_fn(info.alloc_site, (void *)alloc_here), "wrong record");
	mm_debug_describe(fault_addr, msg, sizeof(msg));
	check("debug.overflow.message", says(msg, "overflow") && says(msg, "0 bytes past the end") &&
	      says(msg, "32-byte") && names_site(msg, info.alloc_site), "%s", msg);
	free_here((void *)p);
}

static void test_unaligned_size(void)
{
	volatile char *p = alloc_here(13);
	char msg[256];
	unsigned c0 = mm_host_corruptions();
	bool faulted = FAULTS(p[16] = 1);

	mm_debug_describe(fault_addr, msg, sizeof(msg));
	check("debug.overflow.13", faulted && fault_addr == (uintptr_t)p + 16 &&
	      says(msg, "3 bytes past the end of the 13-byte"), "%s", msg);
	faulted = FAULTS(p[13] = 1);	/* into the slack: no fault, caught at free */
	mm_host_corruption_fatal(false);
	free_here((void *)p);
	mm_host_corruption_fatal(true);
	check("debug.slack", !faulted && mm_host_corruptions() == c0 + 1 &&
	      says(mm_host_last_corruption(), "slack"), "slack overwrite not reported: %s",
	      mm_host_last_corruption());
}

static void test_use_after_free(void)
{
	volatile char *p = alloc_here(100);
	struct mm_debug_info info;
	char msg[256];
	bool faulted;
	char c = 0;

	free_here((void *)p);
	faulted = FAULTS(c = p[10]);
	(void)c;
	check("debug.uaf.faults", faulted && fault_addr == (uintptr_t)p + 10,
	      "read after free did not fault");
	check("debug.uaf.lookup", mm_debug_lookup(fault_addr, &info) &&
	      info.kind == MM_DEBUG_USE_AFTER_FREE && in_fn(info.alloc_site, (void *)alloc_here) &&
	      in_fn(info.free_site, (void *)free_here), "wrong record");
	mm_debug_describe(fault_addr, msg, sizeof(msg));
	check("debug.uaf.message", says(msg, "use-after-free") && says(msg, "byte 10 of") &&
	      names_site(msg, info.alloc_site) && names_site(msg, info.free_site), "%s", msg);
}

static void test_underflow(void)
{
	volatile char *p = alloc_here(5000);
	char msg[256];
	bool faulted = FAULTS(p[-4096] = 1);

	mm_debug_describe(fault_addr, msg, sizeof(msg));
	check("debug.underflow", faulted && says(msg, "underflow") && says(msg, "4096 bytes before"),
	      "%s", msg);
	free_here((void *)p);
}

static void test_no_reuse(void)
{
	enum { N = 3000 };
	static uintptr_t seen[N];
	size_t maps = mm_host_maps(), unmaps = mm_host_unmaps();
	bool distinct = true;

	for (int i = 0; i < N; i++) {
		void *p = mm_malloc(64);

		seen[i] = (uintptr_t)p;
		for (int j = 0; j < i && distinct; j++)
			distinct = seen[j] != seen[i];
		mm_free(p);
	}
	check("debug.no-reuse", distinct, "a freed object's address came back within %d allocations",
	      N);
	check("debug.unmapped", mm_host_maps() - maps == N && mm_host_unmaps() - unmaps == N,
	      "every free must unmap");
}

static void test_misc(void)
{
	unsigned c0 = mm_host_corruptions();
	volatile char *p = mm_malloc(40), *q;
	unsigned char *volatile z;
	bool zero = true;
	char msg[256];

	p[0] = 42;
	q = mm_realloc((void *)p, 48);
	check("debug.realloc.moves", q && q != p && q[0] == 42 && FAULTS(p[0] = 1),
	      "realloc must move and retire the old copy");
	mm_free((void *)q);
	mm_host_corruption_fatal(false);
	mm_free((void *)q);
	mm_host_corruption_fatal(true);
	check("debug.double-free", mm_host_corruptions() == c0 + 1 &&
	      says(mm_host_last_corruption(), "twice"), "%s", mm_host_last_corruption());
	z = mm_calloc(10, 10);
	for (int i = 0; i < 100; i++)
		zero = zero && !z[i];
	check("debug.calloc", zero && mm_owner_of(z) == MM_OWNER_DEBUG, "not zeroed");
	mm_free(z);
	z = mm_aligned_alloc(256, 100);
	check("debug.aligned", z && !((uintptr_t)z & 255) && mm_owner_of(z) == MM_OWNER_DEBUG,
	      "aligned debug object");
	mm_free(z);
	z = mm_malloc(0);
	check("debug.zero-size", z && FAULTS(z[0] = 1), "a 0-byte debug object must fault on use");
	mm_free(z);
	check("debug.describe.unknown",
	      !mm_debug_describe((uintptr_t)mm_area_ptr(MM_OWNER_MEMPOOL, 0x1000), msg, 8) &&
	      strlen(msg) == 7 && !mm_debug_lookup((uintptr_t)mm_area_ptr(MM_OWNER_DEBUG, 0) +
						   (5ul << 30), &(struct mm_debug_info){ 0 }),
	      "addresses outside debug objects");
}

static void test_switch_off(void)
{
	void *d = mm_malloc(50), *n;

	mm_debug_enable(false);
	n = mm_malloc(50);
	check("debug.off", mm_owner_of(d) == MM_OWNER_DEBUG && mm_owner_of(n) == MM_OWNER_MEMPOOL,
	      "the flag must switch allocators");
	mm_free(d);
	mm_free(n);
}

int main(void)
{
	struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO | SA_NODEFER };

	sigaction(SIGSEGV, &sa, NULL);
	if (!check("debug.boot", boot(64u << 20), "boot failed"))
		return check_exit();
	mm_debug_enable(true);
	test_overflow();
	test_unaligned_size();
	test_use_after_free();
	test_underflow();
	test_no_reuse();
	test_misc();
	test_switch_off();
	shutdown_mm();
	return check_exit();
}
