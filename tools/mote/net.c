/*
 * `mote run` networking: -p/--publish, --net and --ip.
 *
 * One NIC at most, attached only when asked for (-p or --net user|tap):
 * probing a device costs boot time under TCG, so the default is none.
 * Everything is decoded and checked here before QEMU starts, including
 * whether each published host port can be bound, so the user reads "port
 * 8080 is in use" instead of a QEMU error after a half boot.
 *
 * The guest learns its address from a Linux-style `ip=` word on the kernel
 * command line (net_ip_word), which the kernel's network stack parses.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mote.h"

/* QEMU user networking's fixed plan: guest, gateway (the host) and DNS. */
#define USER_GUEST_IP "10.0.2.15"
#define USER_GW       "10.0.2.2"
#define USER_DNS      "10.0.2.3"
#define USER_DEFAULT_IP "ip=" USER_GUEST_IP "::" USER_GW ":255.255.255.0::eth0:off:" USER_DNS

static bool parse_port(const char *s, size_t len, unsigned *out)
{
	unsigned v = 0;
	if (len == 0 || len > 5)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return false;
	*out = v;
	return true;
}

static bool ipv4_ok(const char *s)
{
	struct in_addr a;
	return inet_pton(AF_INET, s, &a) == 1;
}

/* Cuts "/tcp" or "/udp" off the end of spec. */
static int parse_proto(char *spec, struct port_fwd *f, const char *opt, const char *val)
{
	char *slash = strchr(spec, '/');

	if (!slash)
		return 0;
	*slash = '\0';
	if (strcmp(slash + 1, "udp") == 0)
		f->udp = true;
	else if (strcmp(slash + 1, "tcp"))
		return run_fail("%s %s: unknown protocol '%s' (tcp or udp)", opt, val, slash + 1);
	return 0;
}

/*
 * Takes a leading "ADDR:" off *spec (only when two colons remain) into
 * f->addr. [IPv6] is recognised, to refuse it clearly: QEMU 7.2's slirp
 * rejects an IPv6 hostfwd address ("Bad host address").
 */
static int parse_addr(char **spec, struct port_fwd *f, const char *opt, const char *val)
{
	char *p = *spec, *colon;
	struct in6_addr a6;

	snprintf(f->addr, sizeof(f->addr), "127.0.0.1");
	if (*p == '[') {
		char *close = strchr(p, ']');
		if (!close || close[1] != ':')
			return run_fail("%s %s: an IPv6 address is written [ADDR]:HOSTPORT:GUESTPORT", opt, val);
		*close = '\0';
		if (inet_pton(AF_INET6, p + 1, &a6) != 1)
			return run_fail("%s %s: '%s' is not an IPv6 address", opt, val, p + 1);
		return run_fail("%s %s: QEMU's user networking cannot listen on an IPv6 host "
			    "address; use an IPv4 one (127.0.0.1, 0.0.0.0)", opt, val);
	}
	colon = strchr(p, ':');
	if (!colon || !strchr(colon + 1, ':'))
		return 0;
	*colon = '\0';
	if (!ipv4_ok(p))
		return run_fail("%s %s: '%s' is not a dotted IPv4 address (or [IPv6])", opt, val, p);
	snprintf(f->addr, sizeof(f->addr), "%s", p);
	*spec = colon + 1;
	return 0;
}

/* [ADDR:]HOSTPORT:GUESTPORT[/tcp|/udp], ADDR dotted IPv4. */
int net_add_publish(struct net_config *n, const char *opt, const char *val)
{
	struct port_fwd f = { 0 };
	char *copy = strdup(val), *p, *colon;

	if (!copy)
		abort();
	if (n->nr_ports == NET_MAX_PORTS)
		return run_fail("%s: at most %d published ports", opt, NET_MAX_PORTS);
	p = copy;
	if (parse_proto(p, &f, opt, val) || parse_addr(&p, &f, opt, val))
		return MOTE_EXIT_USAGE;
	colon = strchr(p, ':');
	if (!colon)
		return run_fail("%s %s: want [ADDR:]HOSTPORT:GUESTPORT[/tcp|/udp]", opt, val);
	if (!parse_port(p, (size_t)(colon - p), &f.host_port))
		return run_fail("%s %s: host port '%.*s' is not a number from 1 to 65535", opt, val,
			    (int)(colon - p), p);
	if (!parse_port(colon + 1, strlen(colon + 1), &f.guest_port))
		return run_fail("%s %s: guest port '%s' is not a number from 1 to 65535", opt, val,
			    colon + 1);
	for (unsigned i = 0; i < n->nr_ports; i++) {
		if (n->ports[i].host_port == f.host_port && n->ports[i].udp == f.udp)
			return run_fail("%s %s: host port %u/%s is already published", opt, val,
				    f.host_port, f.udp ? "udp" : "tcp");
	}
	n->ports[n->nr_ports++] = f;
	free(copy);
	return 0;
}

/* Linux's interface names: 1 to 15 bytes, no '/', blank, ':' or ','. */
static bool ifname_ok(const char *s)
{
	size_t len = strlen(s);
	return len >= 1 && len <= 15 && !strpbrk(s, "/ \t\n:,=");
}

int net_set_mode(struct net_config *n, const char *opt, const char *val)
{
	n->mode_set = true;
	n->ifname = NULL;
	if (strcmp(val, "user") == 0) {
		n->mode = MOTE_NET_USER;
	} else if (strcmp(val, "none") == 0) {
		n->mode = MOTE_NET_NONE;
	} else if (strcmp(val, "tap") == 0 || strncmp(val, "tap:", 4) == 0) {
		n->mode = MOTE_NET_TAP;
		n->ifname = val[3] ? val + 4 : "mote0";
		if (!ifname_ok(n->ifname))
			return run_fail("%s %s: '%s' is not an interface name (1 to 15 characters, "
				    "no / : , = or blanks)", opt, val, n->ifname);
	} else {
		return run_fail("%s: unknown network '%s' (use user, tap[:IFNAME] or none)", opt, val);
	}
	return 0;
}

/* ADDR/PREFIX[,gw=GW][,dns=DNS] or dhcp, into the kernel's ip= word. */
int net_set_ip(struct net_config *n, const char *opt, const char *val)
{
	char *copy = strdup(val), *save = NULL, *w, *slash, *end;
	const char *gw = "", *dns = "";
	char mask[INET_ADDRSTRLEN];
	unsigned long prefix;
	uint32_t m;

	if (!copy)
		abort();
	if (strcmp(val, "dhcp") == 0) {
		n->ip_word = "ip=dhcp";
		return 0;
	}
	w = strtok_r(copy, ",", &save);
	slash = w ? strchr(w, '/') : NULL;
	if (!slash)
		return run_fail("%s %s: want ADDR/PREFIX[,gw=GW][,dns=DNS] or dhcp", opt, val);
	*slash = '\0';
	if (!ipv4_ok(w))
		return run_fail("%s %s: '%s' is not a dotted IPv4 address", opt, val, w);
	errno = 0;
	prefix = strtoul(slash + 1, &end, 10);
	if (slash[1] < '0' || slash[1] > '9' || *end || errno || prefix < 1 || prefix > 32)
		return run_fail("%s %s: prefix '%s' is not a number from 1 to 32", opt, val, slash + 1);
	const char *addr = w;
	while ((w = strtok_r(NULL, ",", &save))) {
		if (strncmp(w, "gw=", 3) == 0 && ipv4_ok(w + 3))
			gw = w + 3;
		else if (strncmp(w, "dns=", 4) == 0 && ipv4_ok(w + 4))
			dns = w + 4;
		else
			return run_fail("%s %s: '%s' is not gw=IPv4 or dns=IPv4", opt, val, w);
	}
	m = htonl(prefix == 32 ? 0xffffffffu : ~(0xffffffffu >> prefix));
	inet_ntop(AF_INET, &m, mask, sizeof(mask));
	char *word;
	if (asprintf(&word, "ip=%s::%s:%s::eth0:off:%s", addr, gw, mask, dns) < 0)
		abort();
	n->ip_word = word;
	return 0;
}

/*
 * Whether QEMU will be able to listen on f: bind it ourselves first. TCP
 * uses SO_REUSEADDR as QEMU's slirp does, so a port in TIME_WAIT from the
 * previous run is not mistaken for one in use.
 */
static int check_port_free(const struct port_fwd *f)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)f->host_port) };
	int one = 1, err = 0;
	int fd = socket(AF_INET, (f->udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return run_fail("-p: cannot make a socket to check port %u: %s", f->host_port, strerror(errno));
	inet_pton(AF_INET, f->addr, &sa.sin_addr);
	if (!f->udp)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		err = errno;
	if (!err && !f->udp && listen(fd, 1) < 0)
		err = errno;
	close(fd);
	if (err == EADDRINUSE)
		return run_fail("-p: port %u is in use (%s %s on this host)", f->host_port,
			    f->udp ? "udp" : "tcp", f->addr);
	if (err == EACCES)
		return run_fail("-p: port %u needs privileges to bind on this host (use one above 1023)",
			    f->host_port);
	if (err == EADDRNOTAVAIL)
		return run_fail("-p: address %s is not one of this host's", f->addr);
	if (err)
		return run_fail("-p: cannot bind %s port %u: %s", f->addr, f->host_port, strerror(err));
	return 0;
}

/* FNV-1a: a stable MAC for the same command (52:54:00 is QEMU's local prefix). */
static void make_mac(struct net_config *n)
{
	uint32_t h = 2166136261u;
	const char *key = n->mode == MOTE_NET_TAP ? n->ifname : "user";

	for (const char *p = key; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	for (unsigned i = 0; i < n->nr_ports; i++)
		h = (h ^ n->ports[i].host_port) * 16777619u;
	snprintf(n->mac, sizeof(n->mac), "52:54:00:%02x:%02x:%02x", (h >> 16) & 0xff, (h >> 8) & 0xff,
		 h & 0xff);
}

int net_resolve(struct net_config *n)
{
	if (!n->mode_set && n->nr_ports)
		n->mode = MOTE_NET_USER;
	if (n->nr_ports && n->mode != MOTE_NET_USER)
		return run_fail("-p needs user networking (--net user): with --net %s nothing forwards ports",
			    n->mode == MOTE_NET_TAP ? "tap" : "none");
	if (n->mode == MOTE_NET_NONE) {
		if (n->ip_word)
			return run_fail("--ip needs a network card: give -p or --net user|tap");
		return 0;
	}
	for (unsigned i = 0; i < n->nr_ports; i++) {
		int st = check_port_free(&n->ports[i]);
		if (st)
			return st;
	}
	if (!n->ip_word)
		n->ip_word = n->mode == MOTE_NET_USER ? USER_DEFAULT_IP : "ip=dhcp";
	make_mac(n);
	return 0;
}

/* "hostfwd=tcp:127.0.0.1:8080-:80,..." for QEMU's -netdev user. */
char *net_netdev_arg(const struct net_config *n)
{
	char *s, *more;

	if (n->mode == MOTE_NET_TAP) {
		if (asprintf(&s, "tap,id=net0,ifname=%s,script=no,downscript=no", n->ifname) < 0)
			abort();
		return s;
	}
	s = strdup("user,id=net0");
	for (unsigned i = 0; s && i < n->nr_ports; i++) {
		const struct port_fwd *f = &n->ports[i];
		if (asprintf(&more, "%s,hostfwd=%s:%s:%u-:%u", s, f->udp ? "udp" : "tcp", f->addr,
			     f->host_port, f->guest_port) < 0)
			abort();
		free(s);
		s = more;
	}
	if (!s)
		abort();
	return s;
}
