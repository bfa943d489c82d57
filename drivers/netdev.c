/*
 * The network device registry (mote/netdev.h): drivers register at probe
 * time, before the stack starts; the stack walks the list once.
 */
#include <lib/errno.h>
#include <lib/fmt.h>
#include <mote/netdev.h>

#define NETDEV_MAX 8

static struct netdev *first, **tail = &first;
static unsigned count;

int netdev_register(struct netdev *nd)
{
	if (count == NETDEV_MAX)
		return -ENOSPC;
	fmt_snprintf(nd->name, sizeof(nd->name), "eth%u", count++);
	nd->next = NULL;
	*tail = nd;
	tail = &nd->next;
	return 0;
}

struct netdev *netdev_first(void)
{
	return first;
}
