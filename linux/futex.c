/*
 * futex(2) over the kernel's futex core (mote/sync.h), the robust-futex
 * list, and the clear_child_tid wake-up thread exit relies on.
 *
 * The word must be readable before the core looks at it under its bucket
 * lock, so each call first reads it through copy_from_user, which faults
 * the page in (or says -EFAULT); the core's own read only fails if another
 * thread unmaps the page in between, and then also says -EFAULT.
 */
#include <lib/errno.h>
#include <mote/clock.h>
#include <mote/linux.h>
#include <mote/sync.h>
#include <mote/uaccess.h>
#include "linux_internal.h"
#include "syscall.h"

enum {
	FUTEX_WAIT = 0, FUTEX_WAKE = 1, FUTEX_FD = 2, FUTEX_REQUEUE = 3, FUTEX_CMP_REQUEUE = 4,
	FUTEX_WAKE_OP = 5, FUTEX_LOCK_PI = 6, FUTEX_UNLOCK_PI = 7, FUTEX_TRYLOCK_PI = 8,
	FUTEX_WAIT_BITSET = 9, FUTEX_WAKE_BITSET = 10,
	FUTEX_PRIVATE_FLAG = 128, FUTEX_CLOCK_REALTIME = 256,
};

#define FUTEX_WAITERS    0x80000000u
#define FUTEX_OWNER_DIED 0x40000000u
#define FUTEX_TID_MASK   0x3fffffffu


int timespec_from_user(const void *u, struct timespec_k *ts)
{
	if (copy_from_user(ts, u, sizeof(*ts)))
		return -EFAULT;
	if (ts->sec < 0 || ts->nsec < 0 || ts->nsec >= 1000000000)
		return -EINVAL;
	return 0;
}

static uint64_t ts_ns(const struct timespec_k *ts)
{
	return ts->sec > (int64_t)(UINT64_MAX / 1000000000ULL - 1) ? UINT64_MAX :
	       (uint64_t)ts->sec * 1000000000ULL + (uint64_t)ts->nsec;
}

static int check_word(uintptr_t uaddr)
{
	uint32_t v;

	if (uaddr & 3)
		return -EINVAL;
	return copy_from_user(&v, (void *)uaddr, 4);
}

/*
 * The timeout in relative ns (0: none, as the core wants). FUTEX_WAIT's is
 * relative; FUTEX_WAIT_BITSET's is absolute on CLOCK_MONOTONIC, or
 * CLOCK_REALTIME with the flag. An expired deadline becomes 1 ns.
 */
static int wait_timeout(unsigned long uts, int op, bool realtime, uint64_t *timeout)
{
	struct timespec_k ts;
	uint64_t t, now;
	int ret;

	*timeout = 0;
	if (!uts)
		return 0;
	if ((ret = timespec_from_user((void *)uts, &ts)))
		return ret;
	t = ts_ns(&ts);
	if (op == FUTEX_WAIT) {
		*timeout = t ? t : 1;
		return 0;
	}
	now = realtime ? clock_realtime_ns() : clock_monotonic_ns();
	*timeout = t > now ? t - now : 1;
	return 0;
}

int futex_wake_user(uintptr_t uaddr, unsigned n)
{
	return futex_wake((uint32_t *)uaddr, n, FUTEX_BITSET_ANY);
}

/* FUTEX_WAKE_OP: *uaddr2 = op(*uaddr2, oparg); wake on uaddr; wake on uaddr2 if cmp(old, cmparg). */
static long wake_op(uintptr_t uaddr, unsigned n, uintptr_t uaddr2, unsigned n2, uint32_t encoded)
{
	unsigned op = encoded >> 28 & 7, cmp = encoded >> 24 & 15;
	uint32_t oparg = encoded >> 12 & 0xfff, cmparg = encoded & 0xfff, old, new;
	long woken;
	bool hit;

	if (encoded >> 28 & 8)
		oparg = oparg >= 32 ? 0 : 1u << oparg;	/* FUTEX_OP_OPARG_SHIFT */
	if (check_word(uaddr2))
		return -EFAULT;
	/* A CAS loop on the user word, through the fault-safe cmpxchg: the word may be
	 * readable but not writable, or be unmapped by another thread meanwhile. */
	for (;;) {
		if (copy_from_user(&old, (void *)uaddr2, 4))
			return -EFAULT;
		switch (op) {
		case 0: new = oparg; break;
		case 1: new = old + oparg; break;
		case 2: new = old | oparg; break;
		case 3: new = old & ~oparg; break;
		case 4: new = old ^ oparg; break;
		default: return -ENOSYS;
		}
		int swapped = cmpxchg_user_u32((uint32_t *)uaddr2, &old, new);

		if (swapped < 0)
			return swapped;	/* read-only or gone: Linux's -EFAULT too */
		if (swapped == 0)
			break;
	}
	switch (cmp) {
	case 0: hit = old == cmparg; break;
	case 1: hit = old != cmparg; break;
	case 2: hit = old < cmparg; break;
	case 3: hit = old <= cmparg; break;
	case 4: hit = old > cmparg; break;
	case 5: hit = old >= cmparg; break;
	default: return -ENOSYS;
	}
	woken = futex_wake((uint32_t *)uaddr, n, FUTEX_BITSET_ANY);
	if (hit)
		woken += futex_wake((uint32_t *)uaddr2, n2, FUTEX_BITSET_ANY);
	return woken;
}

SYSCALL(futex)
{
	int op = (int)a1 & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
	bool realtime = a1 & FUTEX_CLOCK_REALTIME;
	uint32_t bitset = op == FUTEX_WAIT_BITSET || op == FUTEX_WAKE_BITSET ? (uint32_t)a5 :
			  FUTEX_BITSET_ANY;
	uint64_t timeout;
	int ret;

	if (realtime && op != FUTEX_WAIT_BITSET && op != FUTEX_WAIT)
		return -ENOSYS;
	switch (op) {
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET:
		if ((ret = check_word(a0)) || (ret = wait_timeout(a3, op, realtime, &timeout)))
			return ret;
		return futex_wait((uint32_t *)a0, (uint32_t)a2, timeout, bitset);
	case FUTEX_WAKE:
	case FUTEX_WAKE_BITSET:
		if (a0 & 3)
			return -EINVAL;
		return futex_wake((uint32_t *)a0, (unsigned)a2, bitset);
	case FUTEX_REQUEUE:
	case FUTEX_CMP_REQUEUE:
		if ((ret = check_word(a0)) || (ret = check_word(a4)))
			return ret;
		if ((int)a2 < 0 || (int)a3 < 0)
			return -EINVAL;
		return futex_requeue((uint32_t *)a0, (unsigned)a2, (uint32_t *)a4, (unsigned)a3,
				     op == FUTEX_CMP_REQUEUE ? (int64_t)(uint32_t)a5 : -1);
	case FUTEX_WAKE_OP:
		if ((ret = check_word(a0)))
			return ret;
		return wake_op(a0, (unsigned)a2, a4, (unsigned)a3, (uint32_t)a5);
	default:
		return -ENOSYS;	/* PI futexes: not yet */
	}
}

/* struct robust_list_head (x86-64). */
struct robust_head {
	uint64_t next;
	int64_t futex_offset;
	uint64_t pending;
};

SYSCALL(set_robust_list)
{
	if (a1 != sizeof(struct robust_head))
		return -EINVAL;
	current_task()->robust_list = a0;
	current_task()->robust_len = a1;
	return 0;
}

SYSCALL(get_robust_list)
{
	struct task *k = current_task();
	uint64_t len = sizeof(struct robust_head);

	if (a0 && (int)a0 != k->tid)
		return -ESRCH;
	if (copy_to_user((void *)a1, &k->robust_list, 8) || copy_to_user((void *)a2, &len, 8))
		return -EFAULT;
	return 0;
}

/* Marks one robust futex the dying thread holds: OWNER_DIED, and wakes a waiter. */
static void robust_release(struct task *k, uintptr_t word)
{
	uint32_t v, next;

	if (word & 3)
		return;
	for (int tries = 0; tries < 16; tries++) {
		if (copy_from_user(&v, (void *)word, 4) || (v & FUTEX_TID_MASK) != (uint32_t)k->tid)
			return;
		next = (v & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
		int swapped = cmpxchg_user_u32((uint32_t *)word, &v, next);

		if (swapped < 0)
			return;
		if (swapped == 0) {
			if (v & FUTEX_WAITERS)
				futex_wake((uint32_t *)word, 1, FUTEX_BITSET_ANY);
			return;
		}
	}
}

/* Walks the list at most 2048 entries (Linux's ROBUST_LIST_LIMIT), trusting nothing. */
void robust_list_exit(struct task *k)
{
	struct robust_head head;
	uint64_t entry;

	if (!k->robust_list || copy_from_user(&head, (void *)k->robust_list, sizeof(head)))
		return;
	entry = head.next;
	for (int i = 0; i < 2048 && entry != k->robust_list; i++) {
		uint64_t next;

		if (copy_from_user(&next, (void *)entry, 8))
			return;
		if (entry != head.pending)
			robust_release(k, entry + head.futex_offset);
		entry = next;
	}
	if (head.pending)
		robust_release(k, head.pending + head.futex_offset);
}
