/*
 * The network stack's core: lwIP under the net lock, the network thread
 * that feeds it received frames and runs its timers, each network device
 * as an lwIP interface, and configuration from the kernel command line
 * (mote/net.h).
 */
#include <lib/cmdline.h>
#include <lib/err.h>
#include <lib/errno.h>
#include <lib/parse.h>
#include <lib/string.h>
#include <mote/clock.h>
#include <mote/log.h>
#include <mote/mm.h>
#include <mote/net.h>
#include <mote/netdev.h>
#include <mote/pseudofs.h>
#include <mote/sync.h>
#include <mote/thread.h>
#include <lwip/dhcp.h>
#include <lwip/etharp.h>
#include <lwip/ethip6.h>
#include <lwip/init.h>
#include <lwip/ip6_addr.h>
#include <lwip/nd6.h>
#include <lwip/netif.h>
#include <lwip/pbuf.h>
#include <lwip/timeouts.h>
#include <netif/ethernet.h>
#include "internal.h"
#include "port/dhcp_dns.h"
#include "port/frame.h"

#define RX_BUDGET  64		/* frames per device per pass, so timers still run under a flood */
#define TX_FRAGS   16		/* pbuf pieces handed to the driver; longer chains are flattened */
#define TX_BACKLOG 1024		/* frames held while the device's transmit ring is full */
#define TX_RETRY_NS 500000	/* how soon the thread retries a held frame */
#define NET_DNS_MAX 2		/* the DNS fields of ip= */
#define DHCP_WAIT_MS 3000	/* how long the program waits for a DHCP lease at most (dhcp.wait=) */
#define DHCP_WAIT_MAX_MS 3600000	/* what dhcp.wait= may ask for: an hour */

struct tx_held {
	struct tx_held *next;
	struct pbuf *p;
};

/* One network device as an lwIP interface. */
struct port {
	struct netif netif;
	struct netdev *nd;
	bool rx_pending;		/* atomic: the driver has frames for us */
	unsigned long rx_dropped;	/* no pbuf memory for a frame */
	unsigned long rx_unannounced;	/* passes that found frames no interrupt announced */
	/*
	 * Frames the device could not take yet (its ring was full), in order:
	 * pbufs referenced and linked through a small node each. A burst
	 * (replies to many clients at once) waits here instead of being lost
	 * to TCP's retransmission timer. Under the net lock.
	 */
	struct tx_held *tx_head, **tx_tail;
	unsigned tx_held, tx_dropped;
	struct port *next;
};

static struct mutex net_mutex = MUTEX_INIT(net_mutex);
static struct waitq net_wq = WAITQ_INIT(net_wq);
static bool net_kick;			/* atomic: the thread has work (frames, an earlier timer) */
static uint64_t net_wake_at;		/* when the thread plans to wake (under the net lock) */
static uint64_t watchdog_at;		/* when the drivers' watchdogs run next (the thread's) */
static struct port *ports;
static char dns_servers[NET_DNS_MAX][16];	/* from ip= */
static struct port *dhcp_port;		/* eth0 when it is configured by DHCP */
static bool lease_bound;		/* atomic: dhcp_port has its address (woken on lease_wq) */
static struct waitq lease_wq = WAITQ_INIT(lease_wq);
static const struct cmdline *boot_cmdline;

static void wake_thread(void)
{
	__atomic_store_n(&net_kick, true, __ATOMIC_RELEASE);
	waitq_wake_all(&net_wq);
}

void net_lock(void)
{
	mutex_lock(&net_mutex);
}

void net_unlock(void)
{
	u32_t ms;

	netif_poll_all();	/* loopback frames the caller produced */
	ms = sys_timeouts_sleeptime();
	if (ms != SYS_TIMEOUTS_SLEEPTIME_INFINITE &&
	    clock_monotonic_ns() + (uint64_t)ms * 1000000 < net_wake_at) {
		net_wake_at = 0;
		wake_thread();
	}
	mutex_unlock(&net_mutex);
}

/* ---- devices ------------------------------------------------------------- */

/* The driver has frames: called from its interrupt handler. */
static void port_rx_ready(struct netdev *nd)
{
	struct port *p = nd->stack;

	__atomic_store_n(&p->rx_pending, true, __ATOMIC_RELEASE);
	wake_thread();
}

/* One received frame, copied into a pbuf for lwIP (under the net lock). */
static void port_deliver(struct netdev *nd, const struct netdev_frag *frags, unsigned nfrags,
			 unsigned flags)
{
	struct port *port = nd->stack;
	struct pbuf *p;
	int ret = frame_to_pbuf(frags, nfrags, &p);

	(void)flags;
	if (ret == -ENOMEM)
		port->rx_dropped++;
	if (!ret && port->netif.input(p, &port->netif) != ERR_OK)
		pbuf_free(p);
}

/* Hands one frame (a pbuf chain) to the driver: 0, -EAGAIN (ring full) or another -errno. */
static int port_xmit(struct port *port, struct pbuf *p)
{
	struct netdev_frag frags[TX_FRAGS];
	struct netdev_tx tx = { 0 };
	unsigned n = 0;
	void *flat = NULL;
	int ret;

	for (struct pbuf *q = p; q; q = q->next) {
		if (n == TX_FRAGS) {
			flat = mm_malloc(p->tot_len);
			if (!flat)
				return -ENOMEM;
			pbuf_copy_partial(p, flat, p->tot_len, 0);
			frags[0] = (struct netdev_frag){ flat, p->tot_len };
			n = 1;
			break;
		}
		if (q->len)
			frags[n++] = (struct netdev_frag){ q->payload, q->len };
	}
	ret = port->nd->ops->xmit(port->nd, frags, n, &tx);
	mm_free(flat);
	return ret;
}

/* Sends what the backlog holds, in order, until the device is full again. */
static void port_flush_held(struct port *port)
{
	struct tx_held *h;

	while ((h = port->tx_head) && port_xmit(port, h->p) != -EAGAIN) {
		port->tx_head = h->next;
		if (!port->tx_head)
			port->tx_tail = &port->tx_head;
		port->tx_held--;
		pbuf_free(h->p);
		mm_free(h);
	}
}

/* lwIP's linkoutput: send now, or hold the frame behind earlier held ones. */
static err_t port_linkoutput(struct netif *netif, struct pbuf *p)
{
	struct port *port = netif->state;
	struct tx_held *h;
	int ret;

	if (port->tx_head)
		port_flush_held(port);
	if (!port->tx_head) {
		ret = port_xmit(port, p);
		if (ret != -EAGAIN)
			return ret ? ERR_IF : ERR_OK;
	}
	if (port->tx_held >= TX_BACKLOG || !(h = mm_malloc(sizeof(*h)))) {
		port->tx_dropped++;
		return ERR_MEM;
	}
	pbuf_ref(p);
	h->p = p;
	h->next = NULL;
	*port->tx_tail = h;
	port->tx_tail = &h->next;
	port->tx_held++;
	wake_thread();		/* it retries soon (the device does not interrupt for room) */
	return ERR_OK;
}

static err_t port_netif_init(struct netif *netif)
{
	struct port *port = netif->state;
	struct netdev *nd = port->nd;

	netif->name[0] = 'e';
	netif->name[1] = 'n';
	netif->hwaddr_len = ETH_HWADDR_LEN;
	memcpy(netif->hwaddr, nd->mac, ETH_HWADDR_LEN);
	netif->mtu = (u16_t)nd->mtu;
	netif->mtu6 = (u16_t)nd->mtu;
	netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET |
		       NETIF_FLAG_MLD6;
	netif->output = etharp_output;
	netif->output_ip6 = ethip6_output;
	netif->linkoutput = port_linkoutput;
	return ERR_OK;
}

static struct port *port_attach(struct netdev *nd)
{
	struct port *port = mm_calloc(1, sizeof(*port));
	int ret;

	if (!port)
		return NULL;
	port->nd = nd;
	port->tx_tail = &port->tx_head;
	nd->stack = port;
	nd->rx_ready = port_rx_ready;
	if (!netif_add(&port->netif, NULL, NULL, NULL, port, port_netif_init, ethernet_input)) {
		mm_free(port);
		return NULL;
	}
	ret = nd->ops->open(nd);
	if (ret) {
		printk("net: %s: cannot open: %d\n", nd->name, ret);
		netif_remove(&port->netif);
		mm_free(port);
		return NULL;
	}
	netif_create_ip6_linklocal_address(&port->netif, 1);
	netif_set_ip6_autoconfig_enabled(&port->netif, 1);
	netif_set_up(&port->netif);
	netif_set_link_up(&port->netif);
	port->next = ports;
	ports = port;
	return port;
}

/* ---- the network thread ------------------------------------------------- */

static bool has_tx_held(void)
{
	for (struct port *p = ports; p; p = p->next)
		if (p->tx_head)
			return true;
	return false;
}

/*
 * While a device exists the thread wakes at least every NETDEV_WATCHDOG_NS:
 * it polls the receive queue even without an interrupt (on virtio-mmio
 * under QEMU a receive interrupt is sometimes never seen: used buffers,
 * interrupts on, nothing arrives) and lets the driver ring doorbells the
 * device may have missed. Safety nets for faults not yet understood;
 * docs/net.md.
 */
static void run_watchdogs(void)
{
	uint64_t now = clock_monotonic_ns();

	if (now < watchdog_at)
		return;
	watchdog_at = now + NETDEV_WATCHDOG_NS;
	for (struct port *p = ports; p; p = p->next)
		if (p->nd->ops->watchdog)
			p->nd->ops->watchdog(p->nd);
}

static void poll_ports(void)
{
	run_watchdogs();
	for (struct port *p = ports; p; p = p->next)
		if (p->tx_head)
			port_flush_held(p);
	for (struct port *p = ports; p; p = p->next) {
		bool announced = __atomic_exchange_n(&p->rx_pending, false, __ATOMIC_ACQ_REL);
		unsigned n = p->nd->ops->poll_rx(p->nd, RX_BUDGET, port_deliver);

		if (n && !announced)
			p->rx_unannounced++;
		if (n == RX_BUDGET)
			p->rx_pending = true;	/* more: come back after the timers */
	}
}

static bool has_rx_pending(void)
{
	for (struct port *p = ports; p; p = p->next)
		if (__atomic_load_n(&p->rx_pending, __ATOMIC_ACQUIRE))
			return true;
	return false;
}

static void *net_thread(void *arg)
{
	(void)arg;
	for (;;) {
		uint64_t timeout = 0;
		u32_t ms;

		net_lock();
		__atomic_store_n(&net_kick, false, __ATOMIC_RELEASE);
		poll_ports();
		sys_check_timeouts();
		ms = sys_timeouts_sleeptime();
		if (has_rx_pending())
			ms = 0;
		if (ms != SYS_TIMEOUTS_SLEEPTIME_INFINITE)
			timeout = ms ? (uint64_t)ms * 1000000 : 1;
		if (has_tx_held() && (!timeout || timeout > TX_RETRY_NS))
			timeout = TX_RETRY_NS;
		if (ports && (!timeout || timeout > NETDEV_WATCHDOG_NS))
			timeout = NETDEV_WATCHDOG_NS;
		net_wake_at = timeout ? clock_monotonic_ns() + timeout : UINT64_MAX;
		net_unlock();
		if (ms)
			waitq_wait_event(&net_wq, __atomic_load_n(&net_kick, __ATOMIC_ACQUIRE), timeout);
	}
	return NULL;
}

/* ---- configuration ------------------------------------------------------ */

/* Copies s into buf of size n; false (nothing copied) when it does not fit. */
static bool copy_str(char *buf, const char *s, size_t n)
{
	size_t len = strlen(s);

	if (len >= n)
		return false;
	memcpy(buf, s, len + 1);
	return true;
}

/* Splits s at ':' into at most n fields (in place); returns the count. */
static unsigned split_fields(char *s, char **fields, unsigned n)
{
	unsigned count = 0;

	while (count < n) {
		fields[count++] = s;
		s = strchr(s, ':');
		if (!s)
			break;
		*s++ = '\0';
	}
	return s ? n + 1 : count;	/* n + 1: too many fields */
}

static int parse_ip4(const char *s, ip4_addr_t *out)
{
	return *s && ip4addr_aton(s, out) ? 0 : -EINVAL;
}

/* ip=CLIENT:SERVER:GW:NETMASK:HOSTNAME:DEVICE:AUTOCONF:DNS0:DNS1 on port. */
static int config_ip4_static(struct port *port, char *spec)
{
	char *f[9];
	unsigned n = split_fields(spec, f, 9);
	ip4_addr_t addr, gw = { 0 }, mask;

	if (n > 9 || parse_ip4(f[0], &addr))
		return -EINVAL;
	if (n > 2 && *f[2] && parse_ip4(f[2], &gw))
		return -EINVAL;
	if (n > 3 && *f[3]) {
		if (parse_ip4(f[3], &mask) || !ip4_addr_netmask_valid(mask.addr))
			return -EINVAL;
	} else {
		/* No netmask: the class default, as Linux's ipconfig. */
		u32_t a = lwip_ntohl(addr.addr);
		mask.addr = lwip_htonl(a < 0x80000000u ? 0xff000000u :
				       a < 0xc0000000u ? 0xffff0000u : 0xffffff00u);
	}
	for (unsigned i = 7; i < n && i < 9; i++) {
		ip4_addr_t dns;

		if (*f[i] && parse_ip4(f[i], &dns))
			return -EINVAL;
		copy_str(dns_servers[i - 7], f[i], sizeof(dns_servers[0]));
	}
	netif_set_addr(&port->netif, &addr, &mask, &gw);
	return 0;
}

static int config_ip6(struct port *port, char *spec)
{
	char *end = spec;
	ip6_addr_t addr;
	s8_t idx;

	/* The prefix length and gateway are accepted; lwIP takes on-link
	 * prefixes and routers from router advertisements. */
	while (*end && *end != '/' && *end != ',')
		end++;
	*end = '\0';
	if (!ip6addr_aton(spec, &addr) || ip6_addr_islinklocal(&addr))
		return -EINVAL;
	if (netif_add_ip6_address(&port->netif, &addr, &idx) != ERR_OK)
		return -ENOSPC;
	netif_ip6_addr_set_state(&port->netif, idx, IP6_ADDR_PREFERRED);
	return 0;
}

/* lwIP, under the net lock: the IPv4 address changed (a DHCP lease bound or ended). */
static void on_address_change(struct netif *netif)
{
	__atomic_store_n(&lease_bound, dhcp_supplied_address(netif), __ATOMIC_RELEASE);
	waitq_wake_all(&lease_wq);
}

static void configure_first_port(struct port *port, const struct cmdline *cl)
{
	const char *ip = cmdline_get(cl, "ip");
	char buf[160];

	if (!ip || !strcmp(ip, "dhcp") || !strcmp(ip, "on") || !strcmp(ip, "any")) {
		netif_set_status_callback(&port->netif, on_address_change);
		if (dhcp_start(&port->netif) == ERR_OK)
			dhcp_port = port;
	} else if (strcmp(ip, "off") && strcmp(ip, "none")) {
		if (!copy_str(buf, ip, sizeof(buf)) || config_ip4_static(port, buf))
			printk("net: ip=%s: not CLIENT:SERVER:GATEWAY:NETMASK:...; %s left unconfigured\n",
			       ip, port->nd->name);
	}
	for (unsigned i = 0; i < cl->nr_args; i++) {
		if (strcmp(cl->args[i].key, "ip6") || !cl->args[i].value)
			continue;
		if (!copy_str(buf, cl->args[i].value, sizeof(buf)) || config_ip6(port, buf))
			printk("net: ip6=%s: not ADDR/PREFIX; ignored\n", cl->args[i].value);
	}
	netif_set_default(&port->netif);
}

/* The procfs files below take the plain lock: lwIP may not have started. */

int net_show_resolv_conf(struct pseudo_buf *b, long arg)
{
	ip4_addr_t dhcp[DHCP_DNS_MAX];
	bool given = false;

	(void)arg;
	mutex_lock(&net_mutex);
	for (unsigned i = 0; i < NET_DNS_MAX; i++) {
		if (dns_servers[i][0]) {
			pseudo_printf(b, "nameserver %s\n", dns_servers[i]);
			given = true;
		}
	}
	for (unsigned i = 0, n = given ? 0 : dhcp_dns_servers(dhcp); i < n; i++)
		pseudo_printf(b, "nameserver %s\n", ip4addr_ntoa(&dhcp[i]));
	mutex_unlock(&net_mutex);
	return 0;
}

/* The name Linux gives an interface: its device's (eth0), or lo for loopback. */
static const char *netif_label(const struct netif *n)
{
	const struct port *p = n->state;

	return p ? p->nd->name : "lo";
}

int net_show_if_inet6(struct pseudo_buf *b, long arg)
{
	struct netif *n;

	(void)arg;
	mutex_lock(&net_mutex);
	NETIF_FOREACH(n) {
		for (int i = 0; i < LWIP_IPV6_NUM_ADDRESSES; i++) {
			u8_t state = netif_ip6_addr_state(n, i);
			const ip6_addr_t *a = netif_ip6_addr(n, i);
			bool loop = ip6_addr_isloopback(a);
			unsigned flags = netif_ip6_addr_valid_life(n, i) == IP6_ADDR_LIFE_STATIC ? 0x80 : 0;

			if (!ip6_addr_isvalid(state) && !ip6_addr_istentative(state))
				continue;
			if (ip6_addr_istentative(state))
				flags |= 0x40;
			/* Linux's columns: address, interface index, prefix length (lwIP keeps
			 * none: 64, as SLAAC and link-local use), scope, flags, name. */
			pseudo_printf(b, "%08x%08x%08x%08x %02x %02x %02x %02x %8s\n",
				      lwip_ntohl(a->addr[0]), lwip_ntohl(a->addr[1]),
				      lwip_ntohl(a->addr[2]), lwip_ntohl(a->addr[3]),
				      netif_get_index(n), loop ? 128 : 64,
				      loop ? 0x10 : ip6_addr_islinklocal(a) ? 0x20 : 0, flags, netif_label(n));
		}
	}
	mutex_unlock(&net_mutex);
	return 0;
}

/* One interface's line of /proc/net/dev: the columns mote has numbers for, the rest 0. */
static void dev_line(struct pseudo_buf *b, const char *name, unsigned long rx_bytes,
		     unsigned long rx_frames, unsigned long rx_errs, unsigned long rx_drop,
		     unsigned long tx_bytes, unsigned long tx_frames, unsigned long tx_drop)
{
	pseudo_printf(b, "%6s:%8lu %7lu %4lu %4lu    0     0          0         0 "
		      "%8lu %7lu    0 %4lu    0     0       0          0\n",
		      name, rx_bytes, rx_frames, rx_errs, rx_drop, tx_bytes, tx_frames, tx_drop);
}

int net_show_dev(struct pseudo_buf *b, long arg)
{
	(void)arg;
	pseudo_printf(b, "Inter-|   Receive                                                |  Transmit\n"
			 " face |bytes    packets errs drop fifo frame compressed multicast|"
			 "bytes    packets errs drop fifo colls carrier compressed\n");
	mutex_lock(&net_mutex);
	if (netif_list)		/* loopback: lwIP counts nothing for it */
		dev_line(b, "lo", 0, 0, 0, 0, 0, 0, 0);
	for (struct port *p = ports; p; p = p->next) {
		const struct netdev_stats *st = &p->nd->stats;

		dev_line(b, p->nd->name, st->rx_bytes, st->rx_frames, st->rx_malformed, p->rx_dropped,
			 st->tx_bytes, st->tx_frames, p->tx_dropped);
	}
	mutex_unlock(&net_mutex);
	return 0;
}

/*
 * Starts lwIP and the network thread (once). Without a device this waits
 * for the first AF_INET/AF_INET6 socket: a program that never opens one
 * (most of them, and every boot-time measurement) does not pay for the
 * stack's start, which under TCG is milliseconds of first-run code.
 */
int net_start(void)
{
	static bool started;
	static int status;
	struct port *first = NULL;
	struct thread *t;

	net_lock();
	if (started) {
		net_unlock();
		return status;
	}
	started = true;
	lwip_init();
	for (struct netdev *nd = netdev_first(); nd; nd = nd->next) {
		struct port *p = port_attach(nd);

		if (p && !first)
			first = p;
	}
	if (first)
		configure_first_port(first, boot_cmdline);
	net_wake_at = 0;
	t = thread_create(net_thread, NULL, &(struct thread_attr){ .name = "net", .detached = true });
	status = IS_ERR(t) ? PTR_ERR(t) : 0;
	net_unlock();
	return status;
}

/*
 * With eth0 on DHCP the program starts once the lease is bound, as Linux's
 * ip=dhcp configures the interface before it mounts the root, so that the
 * program can connect at once and finds its name servers in
 * /proc/net/resolv.conf. It waits at most dhcp.wait= milliseconds
 * (DHCP_WAIT_MS by default; 0: not at all), then starts anyway.
 */
static void wait_for_lease(const struct cmdline *cl)
{
	const char *arg = cmdline_get(cl, "dhcp.wait");
	uint64_t ms = DHCP_WAIT_MS, start = clock_monotonic_ns();
	bool bound;

	if (arg && (parse_u64(arg, NULL, &ms) || ms > DHCP_WAIT_MAX_MS)) {
		printk("net: dhcp.wait=%s: not a number of milliseconds up to %u; %u taken\n", arg,
		       DHCP_WAIT_MAX_MS, DHCP_WAIT_MS);
		ms = DHCP_WAIT_MS;
	}
	if (!dhcp_port || !ms)
		return;
	bound = !waitq_wait_event(&lease_wq, __atomic_load_n(&lease_bound, __ATOMIC_ACQUIRE),
				  ms * 1000000);
	if (bound)
		printk("net: %s: DHCP lease after %lu ms\n", dhcp_port->nd->name,
		       (unsigned long)((clock_monotonic_ns() - start) / 1000000));
	else
		printk("net: %s: no DHCP lease after %lu ms; the program starts without one\n",
		       dhcp_port->nd->name, (unsigned long)ms);
}

int net_init(const struct cmdline *cl)
{
	/* Kernel self-tests drive the devices themselves: the stack then waits for a socket. */
	bool selftest = cmdline_has(cl, "--selftest") || cmdline_has(cl, "selftest") ||
			cmdline_get(cl, "selftest");
	int ret;

	boot_cmdline = cl;
	inet_init();
	if (!netdev_first() || selftest)
		return 0;
	if (!(ret = net_start()))
		wait_for_lease(cl);
	return ret;
}
