/* UDP over loopback: datagram boundaries, MSG_TRUNC (flag in, flag out),
 * MSG_PEEK, the sender's address from recvfrom, connect() filtering and
 * send without an address, FIONREAD (the next datagram's size), a zero-
 * length datagram, too large a datagram (EMSGSIZE), IPv6 on ::1, and
 * sendmsg/recvmsg with several iovecs. */
#include "sockcompat.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>

/* Ports from a per-process base: runs of the suite side by side must not
 * collide, and the output shows ports only relative to it. */
static int PORT;

static int udp_bound(int port)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	CHECK(s >= 0);
	CHECK(bind(s, (struct sockaddr *)&a, sizeof(a)) == 0);
	return s;
}

static struct sockaddr_in to(int port)
{
	return (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(port),
				     .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
}

int main(void)
{
	int a, b, n;
	struct sockaddr_in dst, from;
	socklen_t flen;
	char buf[2048];

	close_extra_fds();
	PORT = port_base(20000, 16);
	dst = to(PORT);
	a = udp_bound(PORT);
	b = udp_bound(PORT + 1);
	for (int i = 1; i <= 3; i++) {
		memset(buf, 'a' + i, (size_t)i * 10);
		printf("sendto %d: %s\n", i, res(sendto(b, buf, (size_t)i * 10, 0, (struct sockaddr *)&dst, sizeof(dst))));
	}
	CHECK(ioctl(a, FIONREAD, &n) == 0);
	printf("FIONREAD: %d\n", n);
	printf("peek: %s\n", res(recv(a, buf, sizeof(buf), MSG_PEEK)));
	flen = sizeof(from);
	printf("recvfrom: %s", res(recvfrom(a, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen)));
	printf(" from %s:base+%d len %u\n", inet_ntoa(from.sin_addr), ntohs(from.sin_port) - PORT, flen);
	printf("recv 5 of 20 with MSG_TRUNC: %s\n", res(recv(a, buf, 5, MSG_TRUNC)));
	struct iovec iov[2] = { { buf, 4 }, { buf + 100, 100 } };
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };
	printf("recvmsg (2 iovecs): %s", res(recvmsg(a, &m, 0)));

	printf(" '%.4s' '%.26s' flags %s\n", buf, buf + 100, m.msg_flags & MSG_TRUNC ? "TRUNC" : "-");
	m.msg_iov[0].iov_len = 2;
	CHECK(sendto(b, "0123456789", 10, 0, (struct sockaddr *)&dst, sizeof(dst)) == 10);
	m.msg_iovlen = 1;
	printf("recvmsg 2 of 10: %s", res(recvmsg(a, &m, 0)));
	printf(" flags %s\n", m.msg_flags & MSG_TRUNC ? "TRUNC" : "-");
	printf("empty datagram: %s", res(sendto(b, "", 0, 0, (struct sockaddr *)&dst, sizeof(dst))));
	printf(" -> %s\n", res(recv(a, buf, sizeof(buf), 0)));
	printf("recv dontwait: %s\n", res(recv(a, buf, sizeof(buf), MSG_DONTWAIT)));
	static char big[70000];
	printf("sendto 70000: %s\n", res(sendto(b, big, sizeof(big), 0, (struct sockaddr *)&dst, sizeof(dst))));
	printf("sendto 65507: %s\n", res(sendto(b, big, 65507, 0, (struct sockaddr *)&dst, sizeof(dst))));
	printf("  -> %s\n", res(recv(a, big, sizeof(big), 0)));

	/* connect: send without an address; only the peer's datagrams arrive. */
	struct sockaddr_in pb = to(PORT + 1);
	printf("send unconnected: %s\n", res(send(b, "x", 1, 0)));
	printf("connect a to b: %s\n", res(connect(a, (struct sockaddr *)&pb, sizeof(pb))));
	int c = udp_bound(PORT + 2);
	CHECK(sendto(c, "from-c", 6, 0, (struct sockaddr *)&dst, sizeof(dst)) == 6);
	CHECK(sendto(b, "from-b", 6, 0, (struct sockaddr *)&dst, sizeof(dst)) == 6);
	memset(buf, 0, sizeof(buf));
	printf("connected recv: %s '%s'\n", res(recv(a, buf, sizeof(buf), 0)), buf);
	printf("send connected: %s\n", res(send(a, "reply", 5, 0)));
	memset(buf, 0, sizeof(buf));
	printf("b got: %s '%s'\n", res(recv(b, buf, sizeof(buf), 0)), buf);
	struct sockaddr un = { .sa_family = AF_UNSPEC };
	printf("dissolve: %s\n", res(connect(a, &un, sizeof(un))));

	/* IPv6 on ::1. */
	int s6 = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(PORT + 3), .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	CHECK(bind(s6, (struct sockaddr *)&a6, sizeof(a6)) == 0);
	int t6 = socket(AF_INET6, SOCK_DGRAM, 0);
	printf("v6 sendto: %s\n", res(sendto(t6, "six", 3, 0, (struct sockaddr *)&a6, sizeof(a6))));
	struct sockaddr_in6 f6;
	flen = sizeof(f6);
	memset(buf, 0, sizeof(buf));
	printf("v6 recvfrom: %s '%s'", res(recvfrom(s6, buf, sizeof(buf), 0, (struct sockaddr *)&f6, &flen)), buf);
	inet_ntop(AF_INET6, &f6.sin6_addr, buf, sizeof(buf));
	printf(" from %s len %u\n", buf, flen);
	printf("done\n");
	return 0;
}
