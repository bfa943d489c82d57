/*
 * Faults on purpose, for the tests of the kernel's fault reports
 * (`debug.crash=<kind>` on the command line, see mote/crash.h): every kind
 * of report a user may one day see is produced and checked by a boot test.
 */
#include <lib/string.h>
#include <mote/arch.h>
#include <mote/crash.h>
#include <mote/log.h>
#include <mote/mm.h>
#include <mote/spinlock.h>
#include <mote/sync.h>

/*
 * A heap overflow or use-after-free, which the debug allocator (mm.debug=1)
 * turns into an immediate fault naming the object's allocation site.
 */
static __attribute__((noinline)) void provoke_heap_error(const char *kind)
{
	volatile char *p = mm_malloc(24);

	if (!p)
		return;
	if (!strcmp(kind, "uaf")) {
		mm_free((void *)p);
		p[0] = 1;
	} else {
		p[40] = 1;
	}
	printk("mote: %s went unnoticed (is mm.debug=1 set?)\n", kind);
}

/* Recurses until the thread's stack runs into its guard (the bound is never reached). */
static __attribute__((noinline)) unsigned overflow_stack(volatile char *prev, unsigned depth)
{
	volatile char frame[512];

	frame[0] = (char)(prev ? prev[0] + 1 : 0);
	if (depth > 1000000)
		return frame[0];
	return overflow_stack(frame, depth + 1) + frame[1];
}

/*
 * Locking bugs the kernel must catch: a mutex locked twice by its owner,
 * and (with debug.locks=1) two spinlocks taken against their ranks.
 */
static void provoke_lock_bug(const char *kind)
{
	static struct mutex m = MUTEX_INIT(m);
	static struct spinlock outer = SPINLOCK_INIT("crash-test outer", SPIN_RANK_LEAF);
	static struct spinlock inner = SPINLOCK_INIT("crash-test inner", SPIN_RANK_SYNC);
	unsigned long flags;

	if (!strcmp(kind, "mutex")) {
		mutex_lock(&m);
		mutex_lock(&m);
		return;
	}
	flags = spin_lock_irqsave(&outer);
	spin_lock(&inner);
	spin_unlock(&inner);
	spin_unlock_irqrestore(&outer, flags);
	printk("mote: lock order violation went unnoticed (is debug.locks=1 set?)\n");
}

void crash_on_request(const char *kind)
{
	if (!kind)
		return;
	printk("mote: crashing on purpose (debug.crash=%s)\n", kind);
	if (!strcmp(kind, "panic"))
		panic("debug.crash=panic");
	if (!strcmp(kind, "overflow") || !strcmp(kind, "uaf")) {
		provoke_heap_error(kind);
		return;
	}
	if (!strcmp(kind, "stack")) {
		overflow_stack(0, 0);
		return;
	}
	if (!strcmp(kind, "mutex") || !strcmp(kind, "lockorder")) {
		provoke_lock_bug(kind);
		return;
	}
	if (arch_provoke_fault(kind))
		printk("mote: unknown debug.crash kind '%s' "
		       "(panic, ud, pf, gp, de, bp, overflow, uaf, stack, mutex, lockorder)\n", kind);
}

