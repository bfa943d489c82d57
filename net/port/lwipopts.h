/*
 * lwIP's configuration for mote. The stack runs NO_SYS: lwIP itself has
 * no threads or mailboxes; net/ calls it under one kernel mutex (the net
 * lock) from the network thread (frames, timers) and directly from socket
 * system calls (no hand-off to a tcpip thread per call). Memory comes from
 * the kernel allocator (no fixed pools), so limits are the app's socket
 * buffers and the machine's memory, not compile-time counts.
 */
#ifndef MOTE_LWIPOPTS_H
#define MOTE_LWIPOPTS_H

#define NO_SYS                      1
#define SYS_LIGHTWEIGHT_PROT        0	/* everything runs under the net lock */
#define LWIP_SOCKET                 0	/* ours: net/socket.c, net/inet.c */
#define LWIP_NETCONN                0
#define LWIP_RAW                    0

/* Memory: the kernel heap for everything. */
#define MEM_LIBC_MALLOC             1
#define MEMP_MEM_MALLOC             1
#define MEM_ALIGNMENT               8
#define mem_clib_malloc             lwip_port_malloc
#define mem_clib_free               lwip_port_free
#define mem_clib_calloc             lwip_port_calloc
#define MEMP_NUM_TCP_PCB            4096
#define MEMP_NUM_TCP_PCB_LISTEN     256
#define MEMP_NUM_UDP_PCB            1024
#define MEMP_NUM_TCP_SEG            65535
#define MEMP_NUM_PBUF               65535
#define PBUF_POOL_SIZE              4096
#define MEMP_NUM_SYS_TIMEOUT        (LWIP_NUM_SYS_TIMEOUT_INTERNAL + 8)
#define MEMP_NUM_REASSDATA          64
#define MEMP_NUM_FRAG_PBUF          256
#define MEMP_NUM_ARP_QUEUE          256
#define MEMP_NUM_ND6_QUEUE          256

/* Protocols. */
#define LWIP_IPV4                   1
#define LWIP_IPV6                   1
#define LWIP_ARP                    1
#define LWIP_ETHERNET               1
#define LWIP_ICMP                   1
#define LWIP_DHCP                   1
/* Option 6 (DNS servers) asked for (tools/net-patches/dhcp-request-dns.patch) and read by
 * net/port/dhcp_dns.c: lwIP does either only for its own resolver. */
#define LWIP_DHCP_REQUEST_DNS_SERVERS 1
/* No ARP probe of the offered address: it holds the lease back a second, and the program
 * waits for the lease (net.c, wait_for_lease). */
#define DHCP_DOES_ARP_CHECK         0
struct pbuf;
void lwip_port_dhcp_option(unsigned char msg_type, unsigned char option, unsigned char len,
			   struct pbuf *p, unsigned short offset);
#define LWIP_HOOK_DHCP_PARSE_OPTION(netif, dhcp, state, msg, msg_type, option, len, pbuf, offset) \
	lwip_port_dhcp_option(msg_type, option, len, pbuf, offset)
#define LWIP_AUTOIP                 0
#define LWIP_IGMP                   0
#define LWIP_DNS                    0	/* resolution is the app's libc (resolv.conf) */
#define LWIP_UDP                    1
#define LWIP_TCP                    1
#define LWIP_IPV6_AUTOCONFIG        1
#define LWIP_IPV6_MLD               1
#define LWIP_IPV6_DHCP6             0
#define LWIP_ND6_ALLOW_RA_UPDATES   1
#define IP_REASSEMBLY               1
#define IP_FRAG                     1
#define LWIP_IPV6_REASS             1
#define LWIP_IPV6_FRAG              1
/* 64-bit pointers: the reassembly bookkeeping does not fit in the 8-byte
 * fragment header it would overwrite (lwIP asserts in ip6_reass_tmr, i.e. a
 * panic a second after the interface comes up); keep a copy of the header. */
#define IPV6_FRAG_COPYHEADER        1
#define IP_DEFAULT_TTL              64
#define LWIP_BROADCAST_PING         0
#define SO_REUSE                    1
#define LWIP_SO_RCVBUF              0
#define ARP_QUEUEING                1
#define ETHARP_SUPPORT_STATIC_ENTRIES 0

/* TCP: windows sized for throughput, scaled. */
#define TCP_MSS                     1460
#define LWIP_WND_SCALE              1
#define TCP_RCV_SCALE               4
#define TCP_WND                     (256 * 1024)
#define TCP_SND_BUF                 (256 * 1024)
#define TCP_SND_QUEUELEN            (4 * TCP_SND_BUF / TCP_MSS)
#define TCP_SNDLOWAT                (32 * 1024)	/* a u16_t in lwIP */
#define TCP_SNDQUEUELOWAT           (TCP_SND_QUEUELEN / 2)
#define TCP_OVERSIZE                TCP_MSS
#define TCP_QUEUE_OOSEQ             1
#define TCP_LISTEN_BACKLOG          1
#define TCP_DEFAULT_LISTEN_BACKLOG  128
#define LWIP_TCP_KEEPALIVE          1
#define LWIP_TCP_TIMESTAMPS         0
#define LWIP_TCP_SACK_OUT           0
#define TCP_MAXRTX                  12
#define TCP_SYNMAXRTX               6
#define LWIP_CALLBACK_API           1
#define LWIP_EVENT_API              0

/* Interfaces. */
#define LWIP_NETIF_LOOPBACK         1
#define LWIP_HAVE_LOOPIF            1
#define LWIP_LOOPBACK_MAX_PBUFS     0
#define LWIP_NETIF_STATUS_CALLBACK  1
#define LWIP_NETIF_LINK_CALLBACK    1
#define LWIP_NETIF_HOSTNAME         0
#define LWIP_SINGLE_NETIF           0
#define LWIP_CHECKSUM_CTRL_PER_NETIF 1
#define LWIP_NETIF_TX_SINGLE_PBUF   0
#define ETH_PAD_SIZE                0
#define PBUF_LINK_ENCAPSULATION_HLEN 12	/* room for the virtio-net header */

#define LWIP_STATS                  0
#define LWIP_STATS_DISPLAY          0
#define LWIP_DEBUG                  0
#define LWIP_PERF                   0

#endif
