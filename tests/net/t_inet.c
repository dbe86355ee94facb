/*
 * t_inet.c — IPv4 below the transports: checksums, reassembly fed with
 * crafted fragments, malformed input, interface addresses through the
 * Linux ioctls and their connected routes, ICMP echo through raw sockets,
 * IP_HDRINCL, and the /proc files of netinet.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rump/netconfig.h>
#include <rump/rump.h>
#include <rump/rump_syscalls.h>

#include "harness.h"
#include "net/inettest.h"

static void
boot(void)
{
	int error = rump_init();

	if (error)
		T_FAIL("rump_init: %s", strerror(error));
}

/* A shmif interface on a fresh bus file, up, with addr/plen; its name. */
static void
shmif_up(const char *addr, int plen, char *ifname, size_t len)
{
	static char dir[64];
	char bus[128];
	int n, error;

	if (dir[0] == '\0') {
		strcpy(dir, "/tmp/t_inet.XXXXXX");
		if (mkdtemp(dir) == NULL)
			T_FAIL("mkdtemp: %s", strerror(errno));
	}
	snprintf(bus, sizeof(bus), "%s/bus%d", dir, rand());
	if ((error = rump_pub_shmif_create(bus, &n)) != 0)
		T_FAIL("shmif_create: %s", strerror(error));
	snprintf(ifname, len, "shmif%d", n);
	if (addr != NULL &&
	    (error = rump_pub_netconfig_ipv4_ifaddr_cidr(ifname, addr, plen)))
		T_FAIL("ifaddr: %s", strerror(error));
	if ((error = rump_pub_netconfig_ifup(ifname)) != 0)
		T_FAIL("ifup: %s", strerror(error));
}

/* Reads a /proc file of the kernel into buf. */
static int
readproc(const char *path, char *buf, size_t len)
{
	int fd = rump_sys_open(path, O_RDONLY);
	ssize_t n, total = 0;

	if (fd < 0)
		return -1;
	while (
	    (n = rump_sys_read(fd, buf + total, len - 1 - (size_t)total)) > 0)
		total += n;
	rump_sys_close(fd);
	buf[total] = '\0';
	return (int)total;
}

static struct sockaddr_in
sin_of(const char *addr, int port)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, addr, &sin.sin_addr);
	return sin;
}

/* ------------------------------------------------------------- kernel */

T_CASE(cksum, "in_cksum over odd mbuf chains matches a reference")
{
	boot();
	T_EQ(rump_ktest_inet_cksum(), 0);
}

#define F(off, len, mf, seed, id)                                              \
	{                                                                      \
		off, len, mf, seed, id                                         \
	}

T_CASE(reass_inorder, "fragments in order reassemble, the payload intact")
{
	struct kt_frag f[] = {
	    F(0, 1480, 1, 3, 1), F(1480, 1480, 1, 3, 1), F(2960, 100, 0, 3, 1)};
	int nd, len, ok, nq;

	boot();
	T_EQ(rump_ktest_inet_reass(f, 3, &nd, &len, &ok, &nq), 0);
	T_EQ(nd, 1);
	T_EQ(len, 3060);
	T_ASSERT(ok);
	T_EQ(nq, 0);
}

T_CASE(reass_outoforder, "fragments in any order reassemble")
{
	struct kt_frag f[] = {F(2960, 77, 0, 9, 2), F(1480, 1480, 1, 9, 2),
	    F(8, 1472, 1, 9, 2), F(0, 8, 1, 9, 2)};
	int nd, len, ok, nq;

	boot();
	T_EQ(rump_ktest_inet_reass(f, 4, &nd, &len, &ok, &nq), 0);
	T_EQ(nd, 1);
	T_EQ(len, 3037);
	T_ASSERT(ok);
	T_EQ(nq, 0);
}

T_CASE(reass_dup, "an exact duplicate fragment is ignored")
{
	struct kt_frag f[] = {F(0, 800, 1, 5, 3), F(0, 800, 1, 5, 3),
	    F(800, 800, 1, 5, 3), F(800, 800, 1, 5, 3), F(1600, 10, 0, 5, 3),
	    F(1600, 10, 0, 5, 3)};
	int nd, len, ok, nq;

	boot();
	T_EQ(rump_ktest_inet_reass(f, 5, &nd, &len, &ok, &nq), 0);
	T_EQ(nd, 1);
	T_EQ(len, 1610);
	T_ASSERT(ok);
	T_EQ(nq, 0);
	/* The late duplicate starts a queue of its own, which waits. */
	T_EQ(rump_ktest_inet_reass(f + 5, 1, &nd, &len, &ok, &nq), 0);
	T_EQ(nd, 0);
	T_EQ(nq, 1);
}

T_CASE(reass_overlap, "an overlapping fragment drops the whole datagram")
{
	/* 400..1200 overlaps 0..800: the datagram is dropped, also when
	 * what would complete it comes later. */
	struct kt_frag f[] = {F(0, 800, 1, 1, 4), F(400, 800, 1, 66, 4),
	    F(800, 800, 1, 1, 4), F(1600, 16, 0, 1, 4)};
	struct kt_frag g[] = {
	    F(0, 800, 1, 1, 5), F(800, 800, 0, 1, 5), F(792, 16, 1, 2, 5)};
	int nd, len, ok, nq, tx;

	boot();
	T_EQ(rump_ktest_inet_reass(f, 2, &nd, &len, &ok, &nq), 0);
	T_EQ(nd, 0);
	T_EQ(nq, 0);
	/* The rest alone never completes (no first fragment). */
	T_EQ(rump_ktest_inet_reass(f + 2, 2, &nd, &len, &ok, &nq), 0);
	T_EQ(nd, 0);
	T_EQ(nq, 1);
	T_EQ(rump_ktest_inet_reass_expire(&tx, &nq), 0);
	T_EQ(nq, 0);
	/* A complete datagram is delivered before a late overlap. */
	T_EQ(rump_ktest_inet_reass(g, 3, &nd, &len, &ok, &nq), 0);
	T_EQ(nd, 1);
	T_EQ(len, 1600);
	T_ASSERT(ok);
}

T_CASE(reass_timeout, "an incomplete datagram expires with ICMP time exceeded")
{
	struct kt_frag f[] = {F(0, 800, 1, 1, 6), F(1600, 8, 0, 1, 6)};
	struct kt_frag g[] = {F(800, 800, 1, 1, 7)}; /* no first fragment */
	int nd, len, ok, nq, tx;

	boot();
	T_EQ(rump_ktest_inet_reass(f, 2, &nd, &len, &ok, &nq), 0);
	T_EQ(nd, 0);
	T_EQ(nq, 1);
	T_EQ(rump_ktest_inet_reass(g, 1, &nd, &len, &ok, &nq), 0);
	T_EQ(nq, 2);
	T_EQ(rump_ktest_inet_reass_expire(&tx, &nq), 0);
	T_EQ(nq, 0);
	T_EQ(tx, 1); /* only for the one whose first fragment came */
}

T_CASE(reass_limits, "bad fragment lengths and >64 KB datagrams are refused")
{
	/* Not a multiple of 8 with MF; ending beyond 65535. */
	struct kt_frag f[] = {F(0, 13, 1, 1, 8), F(65000, 600, 0, 1, 9)};
	struct kt_frag big[50];
	int nd, len, ok, nq;

	boot();
	T_EQ(rump_ktest_inet_reass(f, 2, &nd, &len, &ok, &nq), 0);
	T_EQ(nd, 0);
	T_EQ(nq, 0);
	/* The largest legal datagram: 65515 bytes of payload. */
	for (int i = 0; i < 44; i++)
		big[i] =
		    (struct kt_frag)F((uint16_t)(i * 1480), 1480, 1, 7, 10);
	big[44] = (struct kt_frag)F(65120, 395, 0, 7, 10);
	T_EQ(rump_ktest_inet_reass(big, 45, &nd, &len, &ok, &nq), 0);
	T_EQ(nd, 1);
	T_EQ(len, 65515);
	T_ASSERT(ok);
}

T_CASE(malformed, "malformed and random packets are dropped, nothing leaks")
{
	long leaked;

	boot();
	T_EQ(rump_ktest_inet_malformed(20000, 0xdecafbad, &leaked), 0);
	if (leaked > 0)
		T_FAIL("%ld mbufs leaked", leaked);
}

/* ----------------------------------------------------- addresses */

static in_addr_t
get_addr(int s, const char *ifname, unsigned long cmd)
{
	struct ifreq ifr;
	struct sockaddr_in sin;

	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
	if (rump_sys_ioctl(s, cmd, &ifr) != 0)
		T_FAIL("ioctl %#lx on %s: %s", cmd, ifname, strerror(errno));
	memcpy(&sin, &ifr.ifr_addr, sizeof(sin));
	T_EQ(sin.sin_family, AF_INET);
	return sin.sin_addr.s_addr;
}

static int
set_addr(int s, const char *ifname, unsigned long cmd, const char *addr)
{
	struct ifreq ifr;
	struct sockaddr_in sin = sin_of(addr, 0);

	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
	memcpy(&ifr.ifr_addr, &sin, sizeof(sin));
	return rump_sys_ioctl(s, cmd, &ifr);
}

T_CASE(lo0_boot, "lo0 has 127.0.0.1/8 after boot, with its route")
{
	static char buf[8192];
	int s;

	boot();
	T_OK(s = rump_sys_socket(AF_INET, SOCK_DGRAM, 0));
	T_EQ(get_addr(s, "lo0", SIOCGIFADDR), htonl(INADDR_LOOPBACK));
	T_EQ(get_addr(s, "lo0", SIOCGIFNETMASK), htonl(0xff000000));
	T_ASSERT(readproc("/proc/net/route", buf, sizeof(buf)) > 0);
	if (strstr(buf, "lo0\t0000007F\t00000000") == NULL)
		T_FAIL("no 127.0.0.0/8 route in /proc/net/route:\n%s", buf);
}

T_CASE(ifaddr_ioctls, "SIOCSIFADDR is classful, SIOCSIFNETMASK moves the route")
{
	static char buf[8192];
	char ifname[16];
	int s;

	boot();
	shmif_up(NULL, 0, ifname, sizeof(ifname));
	T_OK(s = rump_sys_socket(AF_INET, SOCK_DGRAM, 0));
	T_ERRNO(rump_sys_ioctl(s, SIOCGIFADDR, &(struct ifreq){.ifr_name = ""}),
	    ENODEV);
	T_OK(set_addr(s, ifname, SIOCSIFADDR, "10.1.2.3"));
	T_EQ(get_addr(s, ifname, SIOCGIFADDR), inet_addr("10.1.2.3"));
	T_EQ(get_addr(s, ifname, SIOCGIFNETMASK), inet_addr("255.0.0.0"));
	T_EQ(get_addr(s, ifname, SIOCGIFBRDADDR), inet_addr("10.255.255.255"));
	T_ASSERT(readproc("/proc/net/route", buf, sizeof(buf)) > 0);
	if (strstr(buf, "\t0000000A\t00000000\t0001\t") == NULL ||
	    strstr(buf, "\t000000FF\t") == NULL)
		T_FAIL("no 10.0.0.0/8 route:\n%s", buf);
	T_OK(set_addr(s, ifname, SIOCSIFNETMASK, "255.255.255.0"));
	T_EQ(get_addr(s, ifname, SIOCGIFNETMASK), inet_addr("255.255.255.0"));
	T_EQ(get_addr(s, ifname, SIOCGIFBRDADDR), inet_addr("10.1.2.255"));
	T_ASSERT(readproc("/proc/net/route", buf, sizeof(buf)) > 0);
	if (strstr(buf, "\t0002010A\t00000000\t0001\t") == NULL ||
	    strstr(buf, "\t00FFFFFF\t") == NULL ||
	    strstr(buf, "\t0000000A\t") != NULL)
		T_FAIL("the route did not follow the mask:\n%s", buf);
	T_ERRNO(set_addr(s, ifname, SIOCSIFNETMASK, "255.0.255.0"), EINVAL);
	T_ERRNO(set_addr(s, ifname, SIOCSIFADDR, "224.0.0.1"), EINVAL);
	/* Class C default; then remove it. */
	T_OK(set_addr(s, ifname, SIOCSIFADDR, "192.168.7.9"));
	T_EQ(get_addr(s, ifname, SIOCGIFNETMASK), inet_addr("255.255.255.0"));
	T_OK(set_addr(s, ifname, SIOCDIFADDR, "192.168.7.9"));
	T_ERRNO(set_addr(s, ifname, SIOCGIFADDR, "0.0.0.0"), EADDRNOTAVAIL);
	T_ASSERT(readproc("/proc/net/route", buf, sizeof(buf)) > 0);
	if (strstr(buf, ifname) != NULL)
		T_FAIL("a route of %s is left:\n%s", ifname, buf);
	rump_sys_close(s);
}

T_CASE(netconfig, "rump_pub_netconfig_ipv4_* add addresses and routes")
{
	static char buf[8192];
	char ifname[16];

	boot();
	shmif_up("10.3.0.1", 16, ifname, sizeof(ifname));
	T_EQ(
	    rump_pub_netconfig_ipv4_ifaddr(ifname, "10.4.0.1", "255.255.255.0"),
	    0);
	T_EQ(rump_pub_netconfig_ipv4_ifaddr(ifname, "10.5.0.1", "1.2.3.4"),
	    EINVAL);
	T_EQ(rump_pub_netconfig_ipv4_ifaddr_cidr("nosuch0", "10.6.0.1", 8),
	    ENXIO);
	T_EQ(rump_pub_netconfig_ipv4_gw("10.3.0.254"), 0);
	T_EQ(rump_pub_netconfig_ipv4_route("172.16.0.0", 12, "10.4.0.254"), 0);
	T_ASSERT(readproc("/proc/net/route", buf, sizeof(buf)) > 0);
	if (strstr(buf, "\t00000000\tFE00030A\t0003\t") == NULL ||
	    strstr(buf, "\t000010AC\tFE00040A\t0003\t") == NULL ||
	    strstr(buf, "\t0000040A\t00000000\t0001\t") == NULL)
		T_FAIL("routes missing:\n%s", buf);
	T_EQ(rump_pub_netconfig_ipv4_forwarding(1), 0);
	T_ASSERT(
	    readproc("/proc/sys/net/ipv4/ip_forward", buf, sizeof(buf)) > 0);
	T_ASSERT(strcmp(buf, "1\n") == 0);
}

T_CASE(ip_forward_proc, "/proc/sys/net/ipv4/ip_forward reads and writes 0/1")
{
	char buf[64];
	int fd;

	boot();
	T_ASSERT(
	    readproc("/proc/sys/net/ipv4/ip_forward", buf, sizeof(buf)) > 0);
	T_ASSERT(strcmp(buf, "0\n") == 0);
	T_OK(fd = rump_sys_open("/proc/sys/net/ipv4/ip_forward", O_WRONLY));
	T_EQ(rump_sys_write(fd, "1\n", 2), 2);
	rump_sys_close(fd);
	T_ASSERT(
	    readproc("/proc/sys/net/ipv4/ip_forward", buf, sizeof(buf)) > 0);
	T_ASSERT(strcmp(buf, "1\n") == 0);
	T_OK(fd = rump_sys_open("/proc/sys/net/ipv4/ip_forward", O_WRONLY));
	T_ERRNO(rump_sys_write(fd, "yes", 3), EINVAL);
	rump_sys_close(fd);
	T_ASSERT(readproc("/proc/net/snmp", buf, sizeof(buf)) > 0);
	T_ASSERT(strncmp(buf, "Ip: Forwarding DefaultTTL", 25) == 0);
}

/* ---------------------------------------------------------------- ICMP */

static uint16_t
icksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		s += (uint32_t)b[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons((uint16_t)~s);
}

/* Pings dst with size bytes of data through a raw socket; the reply's
 * IP header is checked, and its TTL returned. */
static int
ping(const char *dst, size_t size, uint16_t id)
{
	static uint8_t pkt[70000], rbuf[70000];
	struct icmphdr *ic = (struct icmphdr *)pkt;
	struct sockaddr_in to = sin_of(dst, 0), from;
	socklen_t fl;
	struct timeval tv = {5, 0};
	int s, ttl = -1;

	T_OK(s = rump_sys_socket(AF_INET, SOCK_RAW, IPPROTO_ICMP));
	T_OK(rump_sys_setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	memset(pkt, 0, sizeof(*ic) + size);
	ic->type = ICMP_ECHO;
	ic->un.echo.id = htons(id);
	ic->un.echo.sequence = htons(1);
	for (size_t i = 0; i < size; i++)
		pkt[sizeof(*ic) + i] = (uint8_t)i;
	ic->checksum = icksum(pkt, sizeof(*ic) + size);
	T_EQ(rump_sys_sendto(s, pkt, sizeof(*ic) + size, 0,
	         (struct sockaddr *)&to, sizeof(to)),
	    (ssize_t)(sizeof(*ic) + size));
	for (int tries = 0; tries < 10; tries++) {
		ssize_t n;
		struct ip *ip = (struct ip *)rbuf;
		struct icmphdr *r;

		fl = sizeof(from);
		n = rump_sys_recvfrom(
		    s, rbuf, sizeof(rbuf), 0, (struct sockaddr *)&from, &fl);
		if (n < 0)
			T_FAIL(
			    "no echo reply from %s: %s", dst, strerror(errno));
		T_ASSERT(n >= (ssize_t)(sizeof(*ip) + sizeof(*r)));
		T_EQ(ip->ip_v, 4);
		T_EQ(ntohs(ip->ip_len), n);
		r = (struct icmphdr *)(rbuf + ip->ip_hl * 4);
		/* The request we sent to ourselves comes to us too. */
		if (r->type != ICMP_ECHOREPLY || r->un.echo.id != htons(id))
			continue;
		T_EQ(from.sin_addr.s_addr, to.sin_addr.s_addr);
		T_EQ((size_t)n, ip->ip_hl * 4 + sizeof(*r) + size);
		T_EQ(icksum(r, sizeof(*r) + size), 0);
		for (size_t i = 0; i < size; i++)
			T_EQ(((uint8_t *)(r + 1))[i], (uint8_t)i);
		ttl = ip->ip_ttl;
		break;
	}
	rump_sys_close(s);
	if (ttl < 0)
		T_FAIL("no echo reply among 10 messages");
	return ttl;
}

T_CASE(ping_lo0, "a raw ICMP echo to 127.0.0.1 is answered")
{
	boot();
	T_EQ(ping("127.0.0.1", 56, 0x1234), 64);
	T_EQ(ping("127.1.2.3", 0, 0x1235), 64);
}

T_CASE(ping_self, "an echo to our own shmif address is answered through lo0")
{
	char ifname[16];

	boot();
	shmif_up("10.9.0.1", 24, ifname, sizeof(ifname));
	T_EQ(ping("10.9.0.1", 100, 0x2222), 64);
}

T_CASE(ping_fragmented, "a 20000-byte echo over lo0 with MTU 1500 fragments")
{
	struct ifreq ifr;
	char buf[4096];
	int s;

	boot();
	T_OK(s = rump_sys_socket(AF_INET, SOCK_DGRAM, 0));
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo0");
	ifr.ifr_mtu = 1500;
	T_OK(rump_sys_ioctl(s, SIOCSIFMTU, &ifr));
	T_EQ(ping("127.0.0.1", 20000, 0x3333), 64);
	T_ASSERT(readproc("/proc/net/snmp", buf, sizeof(buf)) > 0);
	/* ReasmOKs (the request, the reply) in the Ip line. */
	{
		char *l = strstr(buf, "\nIp: ");
		unsigned long v[19];

		T_ASSERT(l != NULL);
		T_EQ(sscanf(l + 5,
		         "%lu %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu "
		         "%lu %lu %lu %lu %lu %lu",
		         &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7],
		         &v[8], &v[9], &v[10], &v[11], &v[12], &v[13], &v[14],
		         &v[15], &v[16], &v[17], &v[18]),
		    19);
		T_ASSERT(v[14] >= 2);  /* ReasmOKs */
		T_ASSERT(v[18] >= 28); /* FragCreates */
	}
	rump_sys_close(s);
}

T_CASE(raw_hdrincl, "IP_HDRINCL sends our header; raw sockets get theirs")
{
	uint8_t pkt[64], rbuf[256];
	struct ip *ip = (struct ip *)pkt;
	struct sockaddr_in to = sin_of("127.0.0.1", 0);
	struct timeval tv = {5, 0};
	int s, r, one = 1;
	ssize_t n;

	boot();
	T_OK(r = rump_sys_socket(AF_INET, SOCK_RAW, 253));
	T_OK(rump_sys_setsockopt(r, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	T_OK(s = rump_sys_socket(AF_INET, SOCK_RAW, 253));
	T_OK(rump_sys_setsockopt(s, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)));
	memset(pkt, 0, sizeof(pkt));
	ip->ip_v = 4;
	ip->ip_hl = 5;
	ip->ip_ttl = 17;
	ip->ip_p = 253;
	ip->ip_dst = to.sin_addr;
	memcpy(pkt + 20, "hello, raw", 10);
	T_EQ(rump_sys_sendto(s, pkt, 30, 0, (struct sockaddr *)&to, sizeof(to)),
	    30);
	/* Both raw sockets of 253 get it (the sender too). */
	T_EQ(n = rump_sys_recvfrom(r, rbuf, sizeof(rbuf), 0, NULL, NULL), 30);
	ip = (struct ip *)rbuf;
	T_EQ(ip->ip_ttl, 17);
	T_EQ(ip->ip_p, 253);
	T_EQ(ntohs(ip->ip_len), 30);
	T_EQ(ip->ip_src.s_addr, htonl(INADDR_LOOPBACK));
	T_EQ(icksum(rbuf, 20), 0);
	T_ASSERT(memcmp(rbuf + 20, "hello, raw", 10) == 0);
	T_ERRNO(rump_sys_socket(AF_INET, SOCK_RAW, 0), EPROTONOSUPPORT);
	{
		static char buf[4096];

		T_ASSERT(readproc("/proc/net/raw", buf, sizeof(buf)) > 0);
		if (strstr(buf, ":00FD 00000000:0000 07") == NULL)
			T_FAIL("/proc/net/raw:\n%s", buf);
	}
	rump_sys_close(s);
	rump_sys_close(r);
}

T_CASE(proto_unreach, "a datagram of an unknown protocol gets ICMP unreachable")
{
	uint8_t rbuf[256];
	struct sockaddr_in to = sin_of("127.0.0.1", 0);
	struct timeval tv = {5, 0};
	int s, ic;

	boot();
	T_OK(ic = rump_sys_socket(AF_INET, SOCK_RAW, IPPROTO_ICMP));
	T_OK(rump_sys_setsockopt(ic, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	T_OK(s = rump_sys_socket(AF_INET, SOCK_RAW, 200));
	T_OK(rump_sys_setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	T_EQ(rump_sys_sendto(s, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)),
	    1);
	T_EQ(rump_sys_recvfrom(s, rbuf, sizeof(rbuf), 0, NULL, NULL), 21);
	/* The raw socket of 200 took it, so no error: Linux the same. */
	T_ERRNO(
	    rump_sys_recvfrom(ic, rbuf, sizeof(rbuf), MSG_DONTWAIT, NULL, NULL),
	    EAGAIN);
	rump_sys_close(s);
	T_OK(s = rump_sys_socket(AF_INET, SOCK_RAW, IPPROTO_RAW));
	{
		uint8_t pkt[21];
		struct ip *ip = (struct ip *)pkt;
		ssize_t n;

		memset(pkt, 0, sizeof(pkt));
		ip->ip_v = 4;
		ip->ip_hl = 5;
		ip->ip_ttl = 64;
		ip->ip_p = 201;
		ip->ip_dst = to.sin_addr;
		T_EQ(rump_sys_sendto(
		         s, pkt, 21, 0, (struct sockaddr *)&to, sizeof(to)),
		    21);
		T_ASSERT((n = rump_sys_recvfrom(
		              ic, rbuf, sizeof(rbuf), 0, NULL, NULL)) >= 48);
		T_EQ(rbuf[20], ICMP_DEST_UNREACH);
		T_EQ(rbuf[21], ICMP_PROT_UNREACH);
		T_EQ(rbuf[28 + 9], 201); /* the quoted header */
	}
	rump_sys_close(s);
	rump_sys_close(ic);
}

/* ----------------------------------------------------------------- ARP */

T_CASE(arp_unresolved, "an unanswered ARP gives EHOSTUNREACH to the sender")
{
	static char buf[4096];
	struct sockaddr_in to = sin_of("10.8.0.77", 9);
	struct timeval tv = {10, 0};
	char ifname[16];
	int s, one = 1;
	uint64_t t0;

	boot();
	shmif_up("10.8.0.1", 24, ifname, sizeof(ifname));
	T_OK(s = rump_sys_socket(AF_INET, SOCK_DGRAM, 0));
	T_OK(rump_sys_setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	T_OK(rump_sys_setsockopt(s, IPPROTO_IP, IP_RECVERR, &one, sizeof(one)));
	T_OK(rump_sys_connect(s, (struct sockaddr *)&to, sizeof(to)));
	t0 = t_now_ns();
	T_EQ(rump_sys_sendto(s, "?", 1, 0, NULL, 0), 1);
	T_ASSERT(readproc("/proc/net/arp", buf, sizeof(buf)) > 0);
	T_ASSERT(strncmp(buf, "IP address       HW type     Flags", 34) == 0);
	if (strstr(buf,
	        "10.8.0.77        0x1         0x0         "
	        "00:00:00:00:00:00     *        shmif") == NULL)
		T_FAIL("no incomplete entry in /proc/net/arp:\n%s", buf);
	T_ERRNO(rump_sys_recvfrom(s, buf, sizeof(buf), 0, NULL, NULL),
	    EHOSTUNREACH);
	/* Three requests a second apart, then it gives up. */
	T_ASSERT(t_now_ns() - t0 >= 2500000000ULL);
	T_ASSERT(t_now_ns() - t0 < 8000000000ULL);
	/* For a while after, senders are told at once. */
	T_ERRNO(rump_sys_sendto(s, "?", 1, 0, NULL, 0), EHOSTUNREACH);
	rump_sys_close(s);
}
