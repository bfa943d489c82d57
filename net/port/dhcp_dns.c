/* DNS servers from DHCP replies (dhcp_dns.h). */
#include <lwip/dhcp.h>
#include <lwip/prot/dhcp.h>
#include "dhcp_dns.h"

static ip4_addr_t servers[DHCP_DNS_MAX];
static unsigned nservers;

/*
 * LWIP_HOOK_DHCP_PARSE_OPTION: option of len bytes at offset in p, in a
 * reply of type msg_type (0 while the message-type option has not been
 * seen yet, as when a server puts it after this one). Only an ACK commits
 * the lease, so only an ACK's servers are kept.
 */
void lwip_port_dhcp_option(unsigned char msg_type, unsigned char option, unsigned char len,
			   struct pbuf *p, unsigned short offset)
{
	ip4_addr_t got[DHCP_DNS_MAX];
	unsigned n = len / 4;

	if (option != DHCP_OPTION_DNS_SERVER || (msg_type != DHCP_ACK && msg_type != 0) ||
	    len % 4 || n == 0)
		return;
	if (n > DHCP_DNS_MAX)
		n = DHCP_DNS_MAX;
	if (pbuf_copy_partial(p, got, (u16_t)(n * 4), offset) != n * 4)
		return;		/* the option runs past the end of the reply */
	for (unsigned i = 0; i < n; i++)
		servers[i] = got[i];
	nservers = n;
}

unsigned dhcp_dns_servers(ip4_addr_t out[DHCP_DNS_MAX])
{
	for (unsigned i = 0; i < nservers; i++)
		out[i] = servers[i];
	return nservers;
}
