/*
 * mote/net: the network stack (lwIP, built in) and its configuration.
 *
 * net_init() registers AF_INET and AF_INET6. lwIP starts (a loopback
 * interface, every registered network device (mote/netdev.h) attached as
 * eth0, eth1, ..., the network thread) at once when a device exists, else
 * at the first AF_INET/AF_INET6 socket, so programs that never use the
 * network do not pay for it at boot. eth0 is configured from the kernel
 * command line, Linux style:
 *
 *   ip=CLIENT:SERVER:GATEWAY:NETMASK:HOSTNAME:DEVICE:AUTOCONF:DNS0:DNS1
 *                      static IPv4 (empty fields are "not given"; SERVER,
 *                      HOSTNAME and AUTOCONF are accepted and ignored)
 *   ip=dhcp            DHCP (also the default when a device exists and no ip= is given)
 *   ip=off | ip=none   no IPv4 address
 *   ip6=ADDR/PREFIX[,GATEWAY]   a static IPv6 address (repeatable up to 2)
 *
 * Every device also gets an IPv6 link-local address and SLAAC. A bad ip=
 * is reported in the boot log and the device stays unconfigured; it never
 * stops the boot. With DHCP, net_init returns once the lease is bound or
 * after dhcp.wait=MS (3000 by default; 0: at once), so the program starts
 * with an address. Returns 0, or -errno when lwIP could not start at all.
 */
#ifndef MOTE_NET_H
#define MOTE_NET_H

struct cmdline;

int net_init(const struct cmdline *cl);

/* Files of /proc/net, as pseudofs shows them (linux/proc_pid.c): */
struct pseudo_buf;

/*
 * resolv.conf: a `nameserver` line for each DNS server given with ip=,
 * else for each of the last DHCP lease's. mote build links /etc/resolv.conf
 * here when an image brings none.
 */
int net_show_resolv_conf(struct pseudo_buf *b, long arg);

/*
 * /proc/net/if_inet6 in Linux's form: a line per IPv6 address (32 hex
 * digits), with the interface's index, the prefix length, the scope (0x10
 * host, 0x20 link, 0 global), the flags (0x80 permanent, 0x40 tentative)
 * and the interface's name. Programs read it to learn whether and where
 * IPv6 is configured.
 */
int net_show_if_inet6(struct pseudo_buf *b, long arg);

/*
 * /proc/net/dev in Linux's form: per interface the bytes and frames
 * received and sent, frames the device handed back malformed (errs) and
 * frames dropped for want of memory or ring space (drop); loopback's
 * counters are zero (lwIP keeps none).
 */
int net_show_dev(struct pseudo_buf *b, long arg);

#endif
