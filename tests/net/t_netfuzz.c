/*
 * t_netfuzz.c — a short seeded run of the network fuzz target
 * (fuzz/net_input.c) in make check: valid frames of every protocol the
 * kernel speaks, the same mutated (bits flipped, bytes changed, cut short,
 * lengths and flags rewritten, checksums fixed or not), and random bytes,
 * fed into a fake Ethernet interface.  The kernel must not crash, must
 * answer a scripted TCP handshake afterwards and must give back every
 * mbuf once the sockets are closed.  A third of the inputs carry a
 * virtio-net header before each frame (the TAP's offloads: valid ones for
 * the frame, random ones, malformed ones).  vnet_headers checks that
 * malformed headers are dropped and counted and that valid ones take
 * effect.  NETFUZZ_SECONDS (default 12) and NETFUZZ_SEED change the run.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rump/netconfig.h>
#include <rump/rump.h>

#include "../../fuzz/net_input.h"
#include "harness.h"
#include "nettest.h"

static uint64_t rng;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static const uint8_t our_mac[6] = {2, 0, 0, 0, 0, 1};
static const uint8_t peer_mac[6] = {2, 0, 0, 0, 0, 2};

/* Ethernet + IPv4 header from 10.0.0.2 to 10.0.0.1; returns the IP header. */
static uint8_t *
ip_frame(uint8_t *f, int proto, size_t payload)
{
	uint8_t *ip = f + 14;
	size_t len = 20 + payload;

	memcpy(f, our_mac, 6);
	memcpy(f + 6, peer_mac, 6);
	f[12] = 0x08, f[13] = 0x00;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[2] = (uint8_t)(len >> 8), ip[3] = (uint8_t)len;
	ip[4] = (uint8_t)rnd(), ip[5] = (uint8_t)rnd();
	ip[8] = 64;
	ip[9] = (uint8_t)proto;
	memcpy(ip + 12, "\x0a\x00\x00\x02\x0a\x00\x00\x01", 8);
	return ip;
}

/* A valid frame of a random kind into f; returns its length. */
static size_t
valid_frame(uint8_t *f)
{
	size_t n;
	uint8_t *ip, *t;

	switch (rnd() % 9) {
	case 0: /* ARP request for us */
	case 1: /* ARP reply */
		memcpy(f,
		    rnd() & 1 ? our_mac
		              : (const uint8_t *)"\xff\xff\xff\xff\xff\xff",
		    6);
		memcpy(f + 6, peer_mac, 6);
		f[12] = 0x08, f[13] = 0x06;
		memcpy(f + 14, "\x00\x01\x08\x00\x06\x04\x00", 7);
		f[21] = (uint8_t)(1 + rnd() % 2);
		memcpy(f + 22, peer_mac, 6);
		memcpy(f + 28, "\x0a\x00\x00\x02", 4);
		memcpy(f + 32, our_mac, 6);
		memcpy(f + 38, "\x0a\x00\x00\x01", 4);
		return 42;
	case 2: /* ICMP echo request */
		n = 8 + rnd() % 200;
		ip = ip_frame(f, 1, n);
		t = ip + 20;
		memset(t, 0, n);
		t[0] = 8;
		for (size_t i = 8; i < n; i++)
			t[i] = (uint8_t)rnd();
		return 34 + n;
	case 3: /* ICMP error quoting a TCP segment of ours */
		ip = ip_frame(f, 1, 8 + 28);
		t = ip + 20;
		memset(t, 0, 36);
		t[0] = 3;
		t[1] = (uint8_t)(rnd() % 5);
		t[8] = 0x45;
		t[17] = 6;
		memcpy(t + 20, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
		t[30] = 0x23, t[31] = 0x28; /* port 9000 */
		return 34 + 36;
	case 4: /* UDP to port 53, or to a closed port */
		n = 8 + rnd() % 300;
		ip = ip_frame(f, 17, n);
		t = ip + 20;
		t[0] = 0x30, t[1] = 0x39;
		t[2] = 0, t[3] = rnd() & 1 ? 53 : 99;
		t[4] = (uint8_t)(n >> 8), t[5] = (uint8_t)n;
		for (size_t i = 8; i < n; i++)
			t[i] = (uint8_t)rnd();
		return 34 + n;
	case 5: /* a fragment of a UDP datagram */
		n = 8 + 8 * (rnd() % 50);
		ip = ip_frame(f, 17, n);
		ip[4] = 0x12, ip[5] = (uint8_t)(rnd() % 4);
		{
			unsigned off = rnd() % 4;
			ip[6] =
			    (uint8_t)((off < 3 ? 0x20 : 0) | (off * 50) >> 8);
			ip[7] = (uint8_t)(off * 50);
		}
		for (size_t i = 0; i < n; i++)
			ip[20 + i] = (uint8_t)rnd();
		return 34 + n;
	default: { /* TCP to 80, 7, 9000 or a closed port, any flags */
		static const uint16_t ports[] = {80, 7, 9000, 4444};
		uint16_t port = ports[rnd() % 4];
		n = 20 + (rnd() % 3 == 0 ? rnd() % 400 : 0);
		ip = ip_frame(f, 6, n);
		t = ip + 20;
		memset(t, 0, 20);
		t[0] = 0x30, t[1] = (uint8_t)(rnd() % 3);
		t[2] = (uint8_t)(port >> 8), t[3] = (uint8_t)port;
		for (int i = 4; i < 12; i++)
			t[i] = (uint8_t)rnd();
		t[12] = 0x50;
		if (rnd() % 4 == 0) { /* options: MSS, wscale, SACK ok, ts */
			static const uint8_t opt[] = {2, 4, 5, 0xb4, 3, 3, 7, 4,
			    2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1};
			memmove(t + 20 + sizeof(opt), t + 20, n - 20);
			memcpy(t + 20, opt, sizeof(opt));
			t[12] = (uint8_t)((20 + sizeof(opt)) / 4) << 4;
			n += sizeof(opt);
			ip[2] = (uint8_t)((20 + n) >> 8),
			ip[3] = (uint8_t)(20 + n);
		}
		static const uint8_t flags[] = {
		    0x02, 0x10, 0x18, 0x11, 0x04, 0x12, 0x01, 0x14, 0x3f, 0x00};
		t[13] = flags[rnd() % sizeof(flags)];
		t[14] = 0xff, t[15] = 0xff;
		for (size_t i = 20 + (t[12] >> 4) * 4 - 20; i < n; i++)
			t[i] = (uint8_t)rnd();
		return 34 + n;
	}
	}
}

static void
mutate(uint8_t *f, size_t *len, size_t cap)
{
	int k = 1 + (int)(rnd() % 6);

	for (int i = 0; i<k && * len> 0; i++) {
		switch (rnd() % 7) {
		case 0:
			f[rnd() % *len] ^= (uint8_t)(1 << (rnd() % 8));
			break;
		case 1:
			f[rnd() % *len] = (uint8_t)rnd();
			break;
		case 2:
			*len = rnd() % (*len + 1);
			break;
		case 3: /* an interesting byte at an interesting place */
		{
			static const uint8_t v[] = {
			    0, 1, 0x7f, 0x80, 0xff, 0x40, 0x20, 5, 15};
			static const int at[] = {
			    14, 16, 17, 20, 21, 22, 23, 24, 34, 38, 46, 47, 52};
			int o = at[rnd() % (sizeof(at) / sizeof(at[0]))];
			if ((size_t)o < *len)
				f[o] = v[rnd() % sizeof(v)];
			break;
		}
		case 4:
			if (*len + 64 <= cap) {
				for (int j = 0; j < 64; j++)
					f[*len + (size_t)j] = (uint8_t)rnd();
				*len += 64;
			}
			break;
		default:
			break;
		}
	}
}

/* A little-endian 16-bit field of a virtio-net header: hdr_len at 2,
 * gso_size at 4, csum_start at 6, csum_offset at 8. */
static void
vh_put(uint8_t *vh, int off, unsigned v)
{
	vh[off] = (uint8_t)v;
	vh[off + 1] = (uint8_t)(v >> 8);
}

/* A virtio-net header for frame f of len bytes: one that fits it, or a
 * random or malformed one. */
static void
vnet_header(uint8_t *vh, const uint8_t *f, size_t len)
{
	unsigned hl = len > 14 ? (unsigned)(f[14] & 15) * 4 : 20;
	unsigned proto = len > 23 ? f[23] : 0;

	memset(vh, 0, 12);
	switch (rnd() % 8) {
	case 0: /* none */
		break;
	case 1:
		vh[0] = 2; /* DATA_VALID */
		break;
	case 2:
	case 3: /* NEEDS_CSUM where TCP's or UDP's checksum is */
		vh[0] = 1;
		vh_put(vh, 6, 14 + hl);
		vh_put(vh, 8, proto == 17 ? 6 : 16);
		if (rnd() % 2 && proto == 6) { /* and TSO */
			vh[1] = 1;
			vh_put(vh, 2, 14 + hl + 20);
			vh_put(
			    vh, 4, rnd() % 3 ? 536 + rnd() % 1000 : rnd() % 80);
		}
		break;
	case 4: /* csum_start or offset at or beyond the end */
		vh[0] = 1;
		vh_put(vh, 6, (unsigned)len - rnd() % 3);
		vh_put(vh, 8, rnd() % 2 ? 0 : rnd());
		break;
	case 5: /* segmentation of whatever this is */
		vh[0] = (uint8_t)(rnd() % 3);
		vh[1] = (uint8_t)(rnd() % 2 ? 1 : rnd());
		vh_put(vh, 4, rnd() % 2000);
		vh_put(vh, 6, 14 + hl);
		vh_put(vh, 8, 16);
		break;
	default: /* random */
		for (int i = 0; i < 12; i++)
			vh[i] = (uint8_t)rnd();
		break;
	}
}

static size_t
make_input(uint8_t *in, size_t cap)
{
	static uint8_t f[4096];
	size_t n = 1, vhl;
	int frames = 1 + (int)(rnd() % 4);

	in[0] = (uint8_t)(rnd() % 3 != 0); /* fix checksums 2 times in 3 */
	if (rnd() % 3 == 0)
		in[0] |= 2; /* virtio-net headers */
	vhl = in[0] & 2 ? 12 : 0;
	for (int i = 0; i < frames; i++) {
		size_t len;
		unsigned kind = rnd() % 10;

		if (kind < 2) {
			len = rnd() % 200;
			for (size_t j = 0; j < len; j++)
				f[j] = (uint8_t)rnd();
			if (len >= 14 && rnd() % 2) {
				memcpy(f, our_mac, 6);
				f[12] = 0x08, f[13] = rnd() % 2 ? 0x00 : 0x06;
			}
		} else {
			len = valid_frame(f);
			if (kind >= 5)
				mutate(f, &len, sizeof(f));
		}
		if (n + 2 + vhl + len > cap)
			break;
		in[n] = (uint8_t)(len + vhl);
		in[n + 1] = (uint8_t)((len + vhl) >> 8);
		if (vhl)
			vnet_header(in + n + 2, f, len);
		memcpy(in + n + 2 + vhl, f, len);
		n += 2 + vhl + len;
	}
	return n;
}

static uint64_t
mbufs_now(void)
{
	uint64_t m, c;

	rump_nettest_mbufs(&m, &c);
	return m;
}

T_CASE(seeded_run, "random and mutated frames: no crash, no mbuf leak")
{
	const char *e = getenv("NETFUZZ_SECONDS");
	const char *se = getenv("NETFUZZ_SEED");
	int secs = e != NULL ? atoi(e) : 12;
	static uint8_t in[16384];
	uint64_t base, end, n = 0, sent0, sent1, after = 0;

	rng = se != NULL ? strtoull(se, NULL, 0) : 0x5eed5eed1234ULL;
	if (rng == 0)
		rng = 1;
	T_EQ(LLVMFuzzerInitialize(NULL, NULL), 0);
	netfuzz_drain();
	usleep(100000);
	base = mbufs_now();
	T_OK(rump_nettest_output(&sent0, NULL, 0, NULL) == 0 ? 0 : -1);
	/* The kernel's complaints about the frames (ARP conflicts...) are
	 * many; they go to /dev/null during the run. */
	fflush(NULL);
	int saved = dup(2), null = open("/dev/null", O_WRONLY);
	if (saved >= 0 && null >= 0)
		dup2(null, 2);
	end = t_now_ns() + (uint64_t)secs * 1000000000ULL;
	while (t_now_ns() < end) {
		for (int i = 0; i < 200; i++) {
			size_t len = make_input(in, sizeof(in));
			LLVMFuzzerTestOneInput(in, len);
			n++;
		}
	}
	rump_nettest_output(&sent1, NULL, 0, NULL);
	if (saved >= 0 && null >= 0) {
		dup2(saved, 2);
		close(saved);
		close(null);
	}
	printf("  %llu inputs in %d s; the kernel sent %llu frames\n",
	    (unsigned long long)n, secs, (unsigned long long)(sent1 - sent0));
	if (sent1 == sent0)
		T_FAIL("the kernel answered nothing: the frames went nowhere");
	/* Everything goes back once the sockets are gone. */
	netfuzz_close();
	rump_nettest_flush();
	for (int i = 0; i < 100; i++) {
		after = mbufs_now();
		if (after <= base)
			break;
		usleep(100000);
		rump_nettest_flush();
	}
	printf("  mbufs in use: %llu before, %llu after\n",
	    (unsigned long long)base, (unsigned long long)after);
	if (after > base)
		T_FAIL("%llu mbufs still in use, %llu before the run",
		    (unsigned long long)after, (unsigned long long)base);
}

/* A TCP SYN from 10.0.0.2:sport to port 80 (checksums fixed) into f. */
static size_t
syn_frame(uint8_t *f, int sport)
{
	uint8_t *ip = ip_frame(f, 6, 20), *t = ip + 20;

	memset(t, 0, 20);
	t[0] = (uint8_t)(sport >> 8), t[1] = (uint8_t)sport, t[2] = 0,
	t[3] = 80;
	t[4] = (uint8_t)rnd(), t[5] = (uint8_t)rnd(), t[6] = 0x10;
	t[12] = 0x50, t[13] = 0x02, t[14] = 0x40;
	netfuzz_fix_checksums(f, 54);
	return 54;
}

T_CASE(vnet_headers,
    "virtio-net headers: malformed ones dropped and counted, valid ones "
    "taken")
{
	uint8_t f[128], vh[12];
	uint64_t bad0, bad1, out0, out1;
	size_t len;
	struct {
		uint8_t flags, gso;
		unsigned start, off, size;
		int proto; /* the frame: 6 TCP, 17 UDP, 0 a TCP fragment */
		const char *what;
	} bad[] = {
	    {0x80, 0, 0, 0, 0, 6, "an unknown flag"},
	    {1, 0, 54, 0, 0, 6, "csum_start at the end"},
	    {1, 0, 10, 16, 0, 6, "csum_start in the Ethernet header"},
	    {1, 0, 34, 20, 0, 6, "csum_offset beyond the end"},
	    {1, 0, 34, 0xfffe, 0, 6, "a huge csum_offset"},
	    {1, 1, 34, 6, 1400, 17, "TCPV4 segmentation of UDP"},
	    {1, 1, 34, 16, 8, 6, "a gso_size of 8"},
	    {1, 3, 34, 6, 1400, 17, "UDP segmentation (not negotiated)"},
	    {1, 4, 34, 16, 1400, 6, "TCPV6 segmentation of IPv4"},
	    {1, 0x81, 34, 16, 1400, 6, "ECN (not negotiated)"},
	    {0, 1, 0, 0, 1400, 6, "segmentation with no checksum state"},
	    {1, 1, 34, 16, 1400, 0, "segmentation of a fragment"},
	    {1, 1, 30, 16, 1400, 6, "TSO with a checksum not TCP's"},
	};

	T_EQ(LLVMFuzzerInitialize(NULL, NULL), 0);
	rng = 7;
	T_EQ(rump_nettest_vnet_bad(&bad0), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t *ip;

		if (bad[i].proto == 17) {
			ip = ip_frame(f, 17, 20);
			memset(ip + 20, 0, 20);
			ip[22] = 0, ip[23] = 53, ip[25] = 20;
			netfuzz_fix_checksums(f, 54);
			len = 54;
		} else {
			len = syn_frame(f, 12345);
			if (bad[i].proto == 0)
				f[14 + 6] = 0x20; /* MF */
		}
		memset(vh, 0, sizeof(vh));
		vh[0] = bad[i].flags;
		vh[1] = bad[i].gso;
		vh_put(vh, 2, 54);
		vh_put(vh, 4, bad[i].size);
		vh_put(vh, 6, bad[i].start);
		vh_put(vh, 8, bad[i].off);
		if (rump_nettest_input_vnet(vh, 12, f, len) != EINVAL)
			T_FAIL("a header with %s was taken", bad[i].what);
	}
	T_EQ(rump_nettest_vnet_bad(&bad1), 0);
	T_EQ(bad1 - bad0, (uint64_t)(sizeof(bad) / sizeof(bad[0])));

	/* A SYN whose checksum is wrong is dropped without a header, and
	 * taken with NEEDS_CSUM (the host's stack made it: a partial sum
	 * is not a wrong one): a SYN-ACK comes back. */
	T_EQ(rump_nettest_output(&out0, NULL, 0, NULL), 0);
	len = syn_frame(f, 23456);
	f[14 + 20 + 16] ^= 0x5a;
	memset(vh, 0, sizeof(vh));
	T_EQ(rump_nettest_input_vnet(vh, 12, f, len), 0);
	T_EQ(rump_nettest_output(&out1, NULL, 0, NULL), 0);
	T_EQ(out1, out0);
	vh[0] = 1;
	vh_put(vh, 6, 34);
	vh_put(vh, 8, 16);
	T_EQ(rump_nettest_input_vnet(vh, 12, f, len), 0);
	T_EQ(rump_nettest_output(&out1, NULL, 0, NULL), 0);
	T_EQ(out1, out0 + 1);
	/* DATA_VALID does the same. */
	len = syn_frame(f, 23457);
	f[14 + 20 + 16] ^= 0x5a;
	memset(vh, 0, sizeof(vh));
	vh[0] = 2;
	T_EQ(rump_nettest_input_vnet(vh, 12, f, len), 0);
	T_EQ(rump_nettest_output(&out0, NULL, 0, NULL), 0);
	T_EQ(out0, out1 + 1);
	T_EQ(rump_nettest_vnet_bad(&bad0), 0);
	T_EQ(bad0, bad1);
	netfuzz_drain();
}

/* The fake interface carries a real handshake (the harness works). */
T_CASE(handshake, "a scripted TCP handshake through the fake interface")
{
	uint8_t f[128], out[2048];
	uint64_t cnt;
	size_t olen;
	uint8_t *ip, *t;
	char buf[16];
	int s;

	T_EQ(LLVMFuzzerInitialize(NULL, NULL), 0);
	rng = 99;
	/* SYN to port 80 */
	ip = ip_frame(f, 6, 20);
	t = ip + 20;
	memset(t, 0, 20);
	t[0] = 0x30, t[1] = 0x39, t[2] = 0, t[3] = 80;
	t[4] = 0, t[5] = 0, t[6] = 0x10, t[7] = 0; /* seq 4096 */
	t[12] = 0x50, t[13] = 0x02, t[14] = 0x40;
	netfuzz_fix_checksums(f, 54);
	T_EQ(rump_nettest_input(f, 54), 0);
	T_EQ(rump_nettest_output(&cnt, out, sizeof(out), &olen), 0);
	/* The last frame out is the SYN-ACK. */
	T_ASSERT(olen >= 54 && out[23] == 6);
	uint8_t *ot = out + 14 + (out[14] & 15) * 4;
	T_ASSERT(ot[13] == 0x12);
	T_ASSERT(ot[8] == 0 && ot[9] == 0 && ot[10] == 0x10 && ot[11] == 1);
	/* ACK with "hello" */
	ip = ip_frame(f, 6, 25);
	t = ip + 20;
	memset(t, 0, 20);
	t[0] = 0x30, t[1] = 0x39, t[2] = 0, t[3] = 80;
	t[6] = 0x10, t[7] = 1; /* seq 4097 */
	uint32_t ack;
	memcpy(&ack, ot + 4, 4);
	ack = htonl(ntohl(ack) + 1);
	memcpy(t + 8, &ack, 4);
	t[12] = 0x50, t[13] = 0x18, t[14] = 0x40;
	memcpy(t + 20, "hello", 5);
	netfuzz_fix_checksums(f, 59);
	T_EQ(rump_nettest_input(f, 59), 0);
	/* The listener on 80 (made by the harness) has it. */
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int l = -1;
	for (int fd = 0; fd < 16 && l == -1; fd++) {
		int acc = 0;
		socklen_t al = sizeof(acc);
		if (rump_sys_getsockname(fd, (struct sockaddr *)&sin, &sl) ==
		        0 &&
		    sin.sin_family == AF_INET && ntohs(sin.sin_port) == 80 &&
		    rump_sys_getsockopt(
		        fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &al) == 0 &&
		    acc)
			l = fd;
		sl = sizeof(sin);
	}
	T_ASSERT(l != -1);
	struct pollfd pfd = {l, POLLIN, 0};
	T_EQ(rump_sys_poll(&pfd, 1, 2000), 1);
	T_OK(s = rump_sys_accept(l, NULL, NULL));
	pfd.fd = s;
	T_EQ(rump_sys_poll(&pfd, 1, 2000), 1);
	T_EQ(rump_sys_read(s, buf, sizeof(buf)), 5);
	T_ASSERT(memcmp(buf, "hello", 5) == 0);
}
