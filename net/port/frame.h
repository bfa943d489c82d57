/*
 * Frames between network devices and lwIP, with no kernel dependencies so
 * that the packet fuzzer (tests/fuzz/fuzz_net.c) runs this very code on
 * the host.
 */
#ifndef NET_PORT_FRAME_H
#define NET_PORT_FRAME_H

#include <mote/netdev.h>
#include <lwip/pbuf.h>

/*
 * A received Ethernet frame, given in pieces as a driver's receive buffers
 * hold it, copied into a new pbuf chain from lwIP's pool (*out, which the
 * caller hands to netif->input). 0; -EINVAL for what cannot be an Ethernet
 * frame lwIP takes (shorter than its header, longer than 65535 bytes);
 * -ENOMEM.
 */
int frame_to_pbuf(const struct netdev_frag *frags, unsigned nfrags, struct pbuf **out);

#endif
