/*
 * The network device registry (mote/netdev.h): drivers register at probe
 * (boot, before the stack starts), the stack walks the list afterwards.
 * Devices are never removed, so a reader may follow ->next without a lock
 * once it has the head; the lock only orders registrations.
 */
#include <lib/errno.h>
#include <lib/fmt.h>
#include <mote/netdev.h>
#include <mote/spinlock.h>

#define NETDEV_MAX 16

static struct spinlock registry_lock = SPINLOCK_INIT("netdev registry", SPIN_RANK_LEAF);
static struct netdev *head, **tail = &head;
static unsigned count;

int netdev_register(struct netdev *nd)
{
	unsigned long flags = spin_lock_irqsave(&registry_lock);
	int ret = -ENOSPC;

	if (count < NETDEV_MAX) {
		fmt_snprintf(nd->name, sizeof(nd->name), "eth%u", count++);
		nd->next = NULL;
		__atomic_store_n(tail, nd, __ATOMIC_RELEASE);
		tail = &nd->next;
		ret = 0;
	}
	spin_unlock_irqrestore(&registry_lock, flags);
	return ret;
}

struct netdev *netdev_first(void)
{
	return __atomic_load_n(&head, __ATOMIC_ACQUIRE);
}
