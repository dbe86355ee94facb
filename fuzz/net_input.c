/*
 * net_input.c — the network input path under libFuzzer (make fuzz):
 * frames from the fuzzer go into the Ethernet input of a fake interface
 * (tests/net/nettest_kern.c) of a kernel with IPv4 at 10.0.0.1/24, a
 * neighbour 10.0.0.2 already in its ARP cache, TCP listeners on ports 80
 * and 7, a TCP connection being opened to 10.0.0.2:9000, a UDP socket on
 * port 53 and a raw ICMP socket.  So ether_input, ARP, IPv4 (with
 * reassembly), ICMP, UDP, raw and TCP input all see the frames.
 *
 * An input is a sequence of frames: a flag byte, then records of a
 * 2-byte little-endian length and that many bytes of frame.  Flag bit 0
 * makes the harness fix the IPv4 header and TCP/UDP/ICMP checksums of
 * each frame first, so that the fuzzer reaches past the checksum checks.
 * Flag bit 1 makes the first 12 bytes of each record a virtio-net header
 * (net/if_vnet.h), taken as a TAP with offloads gives it: the frame goes
 * through vnet_hdr_input first (malformed headers are dropped).
 * After each input the sockets are drained (accepted connections are
 * closed) so nothing piles up between inputs.
 *
 *	make fuzz && ./build-fuzz/fuzz/net_input -max_total_time=60
 *
 * tests/net/t_netfuzz.c drives the same two functions with its own
 * mutator for a short seeded run in make check.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <rump/netconfig.h>
#include <rump/rump.h>

#include "../tests/net/nettest.h"
#include "net_input.h"

static int nf_listen80, nf_listen7, nf_udp, nf_raw, nf_conn;

static void
nf_die(const char *what, int error)
{
	fprintf(stderr, "net_input: %s: %s\n", what, strerror(error));
	abort();
}

static int
nf_listener(int port)
{
	struct sockaddr_in sin = {
	    .sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int s = rump_sys_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	if (s == -1 || rump_sys_bind(s, (struct sockaddr *)&sin, sizeof(sin)) ||
	    rump_sys_listen(s, 64))
		nf_die("listener", errno);
	return s;
}

/* ARP reply from 10.0.0.2 (02:00:00:00:00:02) to us. */
static void
nf_seed_arp(void)
{
	uint8_t f[42] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x06, 0, 1,
	    0x08, 0, 6, 4, 0, 2, 2, 0, 0, 0, 0, 2, 10, 0, 0, 2, 2, 0, 0, 0, 0,
	    1, 10, 0, 0, 1};

	rump_nettest_input(f, sizeof(f));
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	int error;

	(void)argc;
	(void)argv;
	setenv("RUMP_NCPU", "1", 0);
	if ((error = rump_init()) != 0)
		nf_die("rump_init", error);
	if ((error = rump_nettest_fakeif()) != 0)
		nf_die("fakeif", error);
	if ((error = rump_pub_netconfig_ipv4_ifaddr_cidr(
	         "fake0", "10.0.0.1", 24)))
		nf_die("ifaddr", error);
	if ((error = rump_pub_netconfig_ifup("fake0")))
		nf_die("ifup", error);
	nf_seed_arp();
	nf_listen80 = nf_listener(80);
	nf_listen7 = nf_listener(7);
	nf_udp = rump_sys_socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	sin.sin_port = htons(53);
	if (nf_udp == -1 ||
	    rump_sys_bind(nf_udp, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		nf_die("udp", errno);
	nf_raw =
	    rump_sys_socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK, IPPROTO_ICMP);
	if (nf_raw == -1)
		nf_die("raw", errno);
	nf_conn = rump_sys_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	sin.sin_port = htons(9000);
	sin.sin_addr.s_addr = htonl(0x0a000002);
	if (nf_conn == -1 ||
	    (rump_sys_connect(nf_conn, (struct sockaddr *)&sin, sizeof(sin)) ==
	            -1 &&
	        errno != EINPROGRESS))
		nf_die("connect", errno);
	return 0;
}

static uint32_t
nf_sum(uint32_t s, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	return s;
}

static uint16_t
nf_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

void
netfuzz_fix_checksums(uint8_t *f, size_t len)
{
	size_t hl, iplen, tl;
	uint8_t *ip = f + 14, *t;
	uint16_t c;
	uint32_t s;

	if (len < 34 || f[12] != 0x08 || f[13] != 0x00 || (ip[0] >> 4) != 4)
		return;
	hl = (size_t)(ip[0] & 15) * 4;
	iplen = (size_t)(ip[2] << 8 | ip[3]);
	if (hl < 20 || 14 + hl > len)
		return;
	ip[10] = ip[11] = 0;
	c = nf_fold(nf_sum(0, ip, hl));
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	if (iplen < hl || 14 + iplen > len || (ip[6] & 0x3f) || ip[7])
		return; /* truncated, or a fragment: leave the transport be */
	t = ip + hl;
	tl = iplen - hl;
	s = nf_sum(0, ip + 12, 8) + ip[9] + (uint32_t)tl;
	switch (ip[9]) {
	case 1: /* ICMP: no pseudo-header */
		if (tl < 4)
			return;
		t[2] = t[3] = 0;
		c = nf_fold(nf_sum(0, t, tl));
		t[2] = (uint8_t)(c >> 8), t[3] = (uint8_t)c;
		break;
	case 6:
		if (tl < 20)
			return;
		t[16] = t[17] = 0;
		c = nf_fold(nf_sum(s, t, tl));
		t[16] = (uint8_t)(c >> 8), t[17] = (uint8_t)c;
		break;
	case 17:
		if (tl < 8)
			return;
		t[6] = t[7] = 0;
		c = nf_fold(nf_sum(s, t, tl));
		if (c == 0)
			c = 0xffff;
		t[6] = (uint8_t)(c >> 8), t[7] = (uint8_t)c;
		break;
	}
}

void
netfuzz_drain(void)
{
	static char buf[65536];
	int s;

	while (rump_sys_recvfrom(nf_udp, buf, sizeof(buf), 0, NULL, NULL) >= 0)
		;
	while (rump_sys_recvfrom(nf_raw, buf, sizeof(buf), 0, NULL, NULL) >= 0)
		;
	while ((s = rump_sys_accept4(nf_listen80, NULL, NULL, SOCK_NONBLOCK)) >=
	    0) {
		(void)rump_sys_read(s, buf, sizeof(buf));
		rump_sys_close(s);
	}
	while ((s = rump_sys_accept4(nf_listen7, NULL, NULL, SOCK_NONBLOCK)) >=
	    0) {
		(void)rump_sys_read(s, buf, sizeof(buf));
		rump_sys_close(s);
	}
	(void)rump_sys_read(nf_conn, buf, sizeof(buf));
}

void
netfuzz_close(void)
{
	rump_sys_close(nf_listen80);
	rump_sys_close(nf_listen7);
	rump_sys_close(nf_udp);
	rump_sys_close(nf_raw);
	rump_sys_close(nf_conn);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[65536];
	int fix, vnet;

	if (size < 1)
		return 0;
	fix = data[0] & 1;
	vnet = data[0] & 2;
	data++, size--;
	while (size >= 2) {
		size_t len = (size_t)(data[0] | data[1] << 8);

		data += 2, size -= 2;
		if (len > size)
			len = size;
		if (vnet && len >= 12) {
			memcpy(frame, data + 12, len - 12);
			if (fix)
				netfuzz_fix_checksums(frame, len - 12);
			(void)rump_nettest_input_vnet(
			    data, 12, frame, len - 12);
		} else {
			memcpy(frame, data, len);
			if (fix)
				netfuzz_fix_checksums(frame, len);
			(void)rump_nettest_input(frame, len);
		}
		data += len, size -= len;
	}
	netfuzz_drain();
	return 0;
}
