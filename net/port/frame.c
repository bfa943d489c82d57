/* Frames between network devices and lwIP (frame.h). */
#include <lib/errno.h>
#include "frame.h"

int frame_to_pbuf(const struct netdev_frag *frags, unsigned nfrags, struct pbuf **out)
{
	size_t len = 0, off = 0;
	struct pbuf *p;

	for (unsigned i = 0; i < nfrags; i++)
		len += frags[i].len;
	if (len < NETDEV_ETH_HLEN || len > 0xffff)
		return -EINVAL;
	p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_POOL);
	if (!p)
		return -ENOMEM;
	for (unsigned i = 0; i < nfrags; i++) {
		pbuf_take_at(p, frags[i].data, (u16_t)frags[i].len, (u16_t)off);
		off += frags[i].len;
	}
	*out = p;
	return 0;
}
