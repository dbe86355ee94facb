/*
 * t_udp.c — UDP sockets over lo0 (and a shmif for broadcasts), with
 * Linux's semantics: bind and its conflicts, connect, sendto/recvfrom,
 * ephemeral ports, ICMP port unreachable as ECONNREFUSED on a connected
 * socket, broadcast rules, 60 KB datagrams fragmented and reassembled,
 * MSG_TRUNC, control messages and /proc/net/udp.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
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

static void
boot(void)
{
	int error = rump_init();

	if (error)
		T_FAIL("rump_init: %s", strerror(error));
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

static int
udp_socket(void)
{
	struct timeval tv = {5, 0};
	int s;

	T_OK(s = rump_sys_socket(AF_INET, SOCK_DGRAM, 0));
	T_OK(rump_sys_setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	return s;
}

static int
udp_bound(const char *addr, int port)
{
	struct sockaddr_in sin = sin_of(addr, port);
	int s = udp_socket();

	T_OK(rump_sys_bind(s, (struct sockaddr *)&sin, sizeof(sin)));
	return s;
}

static int
local_port(int s)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	T_OK(rump_sys_getsockname(s, (struct sockaddr *)&sin, &len));
	T_EQ(len, sizeof(sin));
	return ntohs(sin.sin_port);
}

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

T_CASE(sendrecv, "sendto/recvfrom over lo0 carry data and addresses")
{
	struct sockaddr_in to = sin_of("127.0.0.1", 5000), from;
	socklen_t fl = sizeof(from);
	char buf[100];
	int r, s;

	boot();
	r = udp_bound("127.0.0.1", 5000);
	s = udp_socket();
	T_EQ(rump_sys_sendto(
	         s, "hello", 5, 0, (struct sockaddr *)&to, sizeof(to)),
	    5);
	T_EQ(rump_sys_recvfrom(
	         r, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl),
	    5);
	T_ASSERT(memcmp(buf, "hello", 5) == 0);
	T_EQ(fl, sizeof(from));
	T_EQ(from.sin_family, AF_INET);
	T_EQ(from.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	T_EQ(ntohs(from.sin_port), local_port(s));
	T_ASSERT(local_port(s) >= 32768 && local_port(s) <= 60999);
	/* Zero-length datagrams are datagrams too. */
	T_EQ(rump_sys_sendto(s, "", 0, 0, (struct sockaddr *)&to, sizeof(to)),
	    0);
	T_EQ(rump_sys_recvfrom(r, buf, sizeof(buf), 0, NULL, NULL), 0);
	/* Bound to INADDR_ANY receives for 127.0.0.5 too. */
	rump_sys_close(r);
	r = udp_bound("0.0.0.0", 5001);
	to = sin_of("127.0.0.5", 5001);
	T_EQ(rump_sys_sendto(s, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)),
	    1);
	T_EQ(rump_sys_recvfrom(r, buf, sizeof(buf), 0, NULL, NULL), 1);
	rump_sys_close(r);
	rump_sys_close(s);
}

T_CASE(connected, "connect fixes the peer; AF_UNSPEC disconnects")
{
	struct sockaddr_in to = sin_of("127.0.0.1", 5002), peer;
	struct sockaddr unspec = {.sa_family = AF_UNSPEC};
	socklen_t pl = sizeof(peer);
	char buf[100];
	int r, s, other;

	boot();
	r = udp_bound("127.0.0.1", 5002);
	s = udp_socket();
	T_ERRNO(rump_sys_sendto(s, "x", 1, 0, NULL, 0), EDESTADDRREQ);
	T_ERRNO(
	    rump_sys_getpeername(s, (struct sockaddr *)&peer, &pl), ENOTCONN);
	T_OK(rump_sys_connect(s, (struct sockaddr *)&to, sizeof(to)));
	T_OK(rump_sys_getpeername(s, (struct sockaddr *)&peer, &pl));
	T_EQ(peer.sin_port, htons(5002));
	T_EQ(rump_sys_sendto(s, "abc", 3, 0, NULL, 0), 3);
	T_EQ(rump_sys_recvfrom(r, buf, sizeof(buf), 0, NULL, NULL), 3);
	/* A connected socket takes datagrams from its peer only. */
	{
		struct sockaddr_in me = sin_of("127.0.0.1", local_port(s));

		other = udp_socket();
		T_EQ(rump_sys_sendto(
		         other, "no", 2, 0, (struct sockaddr *)&me, sizeof(me)),
		    2);
		T_OK(rump_sys_connect(r, (struct sockaddr *)&me, sizeof(me)));
		T_EQ(rump_sys_sendto(r, "yes", 3, 0, NULL, 0), 3);
		T_EQ(rump_sys_recvfrom(s, buf, sizeof(buf), 0, NULL, NULL), 3);
		T_ASSERT(memcmp(buf, "yes", 3) == 0);
		rump_sys_close(other);
	}
	T_OK(rump_sys_connect(s, &unspec, sizeof(unspec)));
	T_ERRNO(rump_sys_sendto(s, "x", 1, 0, NULL, 0), EDESTADDRREQ);
	rump_sys_close(r);
	rump_sys_close(s);
}

T_CASE(econnrefused, "ICMP port unreachable gives ECONNREFUSED when connected")
{
	struct sockaddr_in to = sin_of("127.0.0.1", 5999);
	char buf[10];
	int s, u;

	boot();
	s = udp_socket();
	T_OK(rump_sys_connect(s, (struct sockaddr *)&to, sizeof(to)));
	T_EQ(rump_sys_sendto(s, "x", 1, 0, NULL, 0), 1);
	T_ERRNO(rump_sys_recvfrom(s, buf, sizeof(buf), 0, NULL, NULL),
	    ECONNREFUSED);
	/* The error is reported once. */
	{
		struct timeval tv = {0, 200000};

		T_OK(rump_sys_setsockopt(
		    s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
		T_ERRNO(rump_sys_recvfrom(s, buf, sizeof(buf), 0, NULL, NULL),
		    EAGAIN);
	}
	/* An unconnected socket hears nothing of it. */
	u = udp_socket();
	{
		struct timeval tv = {0, 300000};

		T_OK(rump_sys_setsockopt(
		    u, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	}
	T_EQ(rump_sys_sendto(u, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)),
	    1);
	T_ERRNO(rump_sys_recvfrom(u, buf, sizeof(buf), 0, NULL, NULL), EAGAIN);
	rump_sys_close(s);
	rump_sys_close(u);
}

T_CASE(bind_rules, "bind conflicts follow SO_REUSEADDR/SO_REUSEPORT")
{
	struct sockaddr_in any = sin_of("0.0.0.0", 5003);
	struct sockaddr_in lo = sin_of("127.0.0.1", 5003);
	struct sockaddr_in bad = sin_of("10.99.99.99", 5004);
	int a, b, one = 1;

	boot();
	a = udp_bound("0.0.0.0", 5003);
	b = udp_socket();
	T_ERRNO(
	    rump_sys_bind(b, (struct sockaddr *)&any, sizeof(any)), EADDRINUSE);
	T_ERRNO(
	    rump_sys_bind(b, (struct sockaddr *)&lo, sizeof(lo)), EADDRINUSE);
	T_ERRNO(rump_sys_bind(b, (struct sockaddr *)&bad, sizeof(bad)),
	    EADDRNOTAVAIL);
	T_ERRNO(rump_sys_bind(b, (struct sockaddr *)&lo, 8), EINVAL);
	rump_sys_close(a);
	rump_sys_close(b);
	/* Both with SO_REUSEADDR share; one without does not. */
	a = udp_socket();
	b = udp_socket();
	T_OK(rump_sys_setsockopt(
	    a, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	T_OK(rump_sys_setsockopt(
	    b, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	T_OK(rump_sys_bind(a, (struct sockaddr *)&any, sizeof(any)));
	T_OK(rump_sys_bind(b, (struct sockaddr *)&any, sizeof(any)));
	T_ERRNO(rump_sys_bind(b, (struct sockaddr *)&lo, sizeof(lo)), EINVAL);
	rump_sys_close(a);
	rump_sys_close(b);
	a = udp_socket();
	b = udp_socket();
	T_OK(rump_sys_setsockopt(
	    a, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)));
	T_OK(rump_sys_setsockopt(
	    b, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)));
	T_OK(rump_sys_bind(a, (struct sockaddr *)&lo, sizeof(lo)));
	T_OK(rump_sys_bind(b, (struct sockaddr *)&lo, sizeof(lo)));
	rump_sys_close(a);
	rump_sys_close(b);
	/* Closed sockets give their ports back. */
	a = udp_bound("127.0.0.1", 5003);
	rump_sys_close(a);
}

T_CASE(
    ephemeral, "ephemeral ports are in 32768-60999, distinct, not sequential")
{
	static int ports[1000];
	int socks[1000];

	boot();
	for (int i = 0; i < 1000; i++) {
		struct sockaddr_in any = sin_of("0.0.0.0", 0);

		socks[i] = udp_socket();
		T_OK(rump_sys_bind(
		    socks[i], (struct sockaddr *)&any, sizeof(any)));
		ports[i] = local_port(socks[i]);
		T_ASSERT(ports[i] >= 32768 && ports[i] <= 60999);
	}
	for (int i = 0; i < 1000; i++)
		for (int j = i + 1; j < 1000; j++)
			if (ports[i] == ports[j])
				T_FAIL("port %d twice", ports[i]);
	/* Not simply sequential. */
	{
		int seq = 0;

		for (int i = 1; i < 1000; i++)
			seq += ports[i] == ports[i - 1] + 1;
		T_ASSERT(seq < 500);
	}
	for (int i = 0; i < 1000; i++)
		rump_sys_close(socks[i]);
}

T_CASE(broadcast, "broadcasts need SO_BROADCAST and loop back to us")
{
	struct sockaddr_in bc = sin_of("10.7.0.255", 5005);
	struct sockaddr_in all = sin_of("255.255.255.255", 5005);
	struct sockaddr_in src = sin_of("10.7.0.1", 0);
	char bus[64], ifname[16], buf[16];
	int r, s, n, one = 1, error;

	boot();
	snprintf(bus, sizeof(bus), "/tmp/t_udp.bus.%d", getpid());
	unlink(bus);
	if ((error = rump_pub_shmif_create(bus, &n)) != 0)
		T_FAIL("shmif_create: %s", strerror(error));
	snprintf(ifname, sizeof(ifname), "shmif%d", n);
	T_EQ(rump_pub_netconfig_ipv4_ifaddr_cidr(ifname, "10.7.0.1", 24), 0);
	T_EQ(rump_pub_netconfig_ifup(ifname), 0);
	r = udp_bound("0.0.0.0", 5005);
	s = udp_socket();
	T_ERRNO(
	    rump_sys_sendto(s, "b", 1, 0, (struct sockaddr *)&bc, sizeof(bc)),
	    EACCES);
	T_ERRNO(
	    rump_sys_connect(s, (struct sockaddr *)&bc, sizeof(bc)), EACCES);
	T_OK(rump_sys_setsockopt(
	    s, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)));
	T_EQ(rump_sys_sendto(s, "b", 1, 0, (struct sockaddr *)&bc, sizeof(bc)),
	    1);
	T_EQ(rump_sys_recvfrom(r, buf, sizeof(buf), 0, NULL, NULL), 1);
	/* 255.255.255.255 from a socket bound to the interface's address. */
	rump_sys_close(s);
	s = udp_socket();
	T_OK(rump_sys_setsockopt(
	    s, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)));
	T_OK(rump_sys_bind(s, (struct sockaddr *)&src, sizeof(src)));
	T_EQ(
	    rump_sys_sendto(s, "c", 1, 0, (struct sockaddr *)&all, sizeof(all)),
	    1);
	T_EQ(rump_sys_recvfrom(r, buf, sizeof(buf), 0, NULL, NULL), 1);
	T_EQ(buf[0], 'c');
	rump_sys_close(r);
	rump_sys_close(s);
	unlink(bus);
}

T_CASE(large, "a 60 KB datagram over lo0 with MTU 1500 fragments and joins")
{
	static char out[65507], in[65536];
	struct sockaddr_in to = sin_of("127.0.0.1", 5006);
	struct ifreq ifr;
	int r, s, size = 64 * 1024;

	boot();
	r = udp_bound("127.0.0.1", 5006);
	s = udp_socket();
	T_OK(
	    rump_sys_setsockopt(r, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)));
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo0");
	ifr.ifr_mtu = 1500;
	T_OK(rump_sys_ioctl(s, SIOCSIFMTU, &ifr));
	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (char)(i * 13 + 1);
	T_EQ(rump_sys_sendto(
	         s, out, 60000, 0, (struct sockaddr *)&to, sizeof(to)),
	    60000);
	T_EQ(rump_sys_recvfrom(r, in, sizeof(in), 0, NULL, NULL), 60000);
	T_ASSERT(memcmp(in, out, 60000) == 0);
	/* The largest there is, and one more. */
	T_EQ(rump_sys_sendto(
	         s, out, 65507, 0, (struct sockaddr *)&to, sizeof(to)),
	    65507);
	T_EQ(rump_sys_recvfrom(r, in, sizeof(in), 0, NULL, NULL), 65507);
	T_ASSERT(memcmp(in, out, 65507) == 0);
	T_ERRNO(rump_sys_sendto(
	            s, out, 65508, 0, (struct sockaddr *)&to, sizeof(to)),
	    EMSGSIZE);
	rump_sys_close(r);
	rump_sys_close(s);
}

T_CASE(msg_trunc, "a short buffer truncates with MSG_TRUNC; the rest is gone")
{
	struct sockaddr_in to = sin_of("127.0.0.1", 5007);
	char buf[100];
	struct iovec iov = {buf, 10};
	struct msghdr msg;
	int r, s;

	boot();
	r = udp_bound("127.0.0.1", 5007);
	s = udp_socket();
	for (int i = 0; i < 3; i++)
		T_EQ(rump_sys_sendto(s, "0123456789abcdefghij", 20, 0,
		         (struct sockaddr *)&to, sizeof(to)),
		    20);
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	T_EQ(rump_sys_recvmsg(r, &msg, 0), 10);
	T_ASSERT(msg.msg_flags & MSG_TRUNC);
	T_ASSERT(memcmp(buf, "0123456789", 10) == 0);
	/* MSG_TRUNC as a flag returns the real length (Linux). */
	T_EQ(rump_sys_recvfrom(r, buf, 5, MSG_TRUNC, NULL, NULL), 20);
	/* MSG_PEEK leaves it; the next read gets the whole datagram. */
	T_EQ(rump_sys_recvfrom(r, buf, 5, MSG_PEEK, NULL, NULL), 5);
	T_EQ(rump_sys_recvfrom(r, buf, sizeof(buf), 0, NULL, NULL), 20);
	rump_sys_close(r);
	rump_sys_close(s);
}

T_CASE(cmsgs, "IP_PKTINFO, IP_RECVTTL and IP_TTL control messages")
{
	struct sockaddr_in to = sin_of("127.0.0.1", 5008);
	char buf[16], cbuf[256];
	struct iovec iov = {buf, sizeof(buf)};
	struct msghdr msg;
	struct cmsghdr *cm;
	int r, s, one = 1, ttl = 33, got_ttl = -1;
	bool got_pi = false;

	boot();
	r = udp_bound("0.0.0.0", 5008);
	s = udp_socket();
	T_OK(rump_sys_setsockopt(r, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)));
	T_OK(rump_sys_setsockopt(r, IPPROTO_IP, IP_RECVTTL, &one, sizeof(one)));
	T_OK(rump_sys_setsockopt(s, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)));
	{
		int v = 0;
		socklen_t vl = sizeof(v);

		T_OK(rump_sys_getsockopt(s, IPPROTO_IP, IP_TTL, &v, &vl));
		T_EQ(v, 33);
		ttl = 0;
		T_ERRNO(rump_sys_setsockopt(
		            s, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)),
		    EINVAL);
	}
	T_EQ(rump_sys_sendto(s, "t", 1, 0, (struct sockaddr *)&to, sizeof(to)),
	    1);
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf;
	msg.msg_controllen = sizeof(cbuf);
	T_EQ(rump_sys_recvmsg(r, &msg, 0), 1);
	for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_TTL)
			memcpy(&got_ttl, CMSG_DATA(cm), sizeof(int));
		if (cm->cmsg_level == IPPROTO_IP &&
		    cm->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			T_EQ(pi.ipi_addr.s_addr, htonl(INADDR_LOOPBACK));
			T_ASSERT(pi.ipi_ifindex > 0);
			got_pi = true;
		}
	}
	T_EQ(got_ttl, 33);
	T_ASSERT(got_pi);
	rump_sys_close(r);
	rump_sys_close(s);
}

T_CASE(proc_udp, "/proc/net/udp lists sockets in Linux's format")
{
	static char buf[16384];
	int a, b;
	struct sockaddr_in to = sin_of("127.0.0.1", 5010);

	boot();
	a = udp_bound("127.0.0.1", 5009);
	b = udp_socket();
	T_OK(rump_sys_connect(b, (struct sockaddr *)&to, sizeof(to)));
	T_ASSERT(readproc("/proc/net/udp", buf, sizeof(buf)) > 0);
	T_ASSERT(strncmp(buf, "  sl  local_address rem_address   st", 36) == 0);
	if (strstr(buf, ": 0100007F:1391 00000000:0000 07 ") == NULL ||
	    strstr(buf, " 0100007F:1392 01 ") == NULL)
		T_FAIL("/proc/net/udp:\n%s", buf);
	rump_sys_close(a);
	rump_sys_close(b);
}

T_CASE(many, "10000 datagrams between two sockets arrive in order")
{
	struct sockaddr_in to = sin_of("127.0.0.1", 5011);
	int r, s, size = 4 * 1024 * 1024;

	boot();
	r = udp_bound("127.0.0.1", 5011);
	s = udp_socket();
	T_OK(
	    rump_sys_setsockopt(r, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)));
	for (int i = 0; i < 10000; i++) {
		int v;

		T_EQ(rump_sys_sendto(s, &i, sizeof(i), 0,
		         (struct sockaddr *)&to, sizeof(to)),
		    sizeof(i));
		if (i % 100 == 99)
			for (int j = i - 99; j <= i; j++) {
				T_EQ(rump_sys_recvfrom(
				         r, &v, sizeof(v), 0, NULL, NULL),
				    sizeof(v));
				T_EQ(v, j);
			}
	}
	rump_sys_close(r);
	rump_sys_close(s);
}
