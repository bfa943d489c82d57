/*
 * The DNS servers a DHCP server gives (option 6). lwIP parses that option
 * only for its own resolver, which mote leaves out (resolution is the
 * application's libc reading /etc/resolv.conf), so lwipopts.h routes it
 * here through LWIP_HOOK_DHCP_PARSE_OPTION. No kernel dependencies: the
 * packet fuzzer (tests/fuzz/fuzz_net.c) runs this very code on the host.
 * Called with the net lock held, like all of lwIP.
 */
#ifndef NET_PORT_DHCP_DNS_H
#define NET_PORT_DHCP_DNS_H

#include <lwip/ip4_addr.h>

#define DHCP_DNS_MAX 2

/* The servers of the last DHCP ACK that named any, in its order; returns how many. */
unsigned dhcp_dns_servers(ip4_addr_t out[DHCP_DNS_MAX]);

#endif
