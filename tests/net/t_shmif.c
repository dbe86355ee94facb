/*
 * t_shmif.c — kernels in separate processes talking over shmif buses:
 * the bus format, ARP, ICMP, UDP and TCP between them, TCP under loss and
 * reordering, forwarding through a third kernel, captures read by tcpdump
 * and tshark, and a bus scribbled on by someone else.
 *
 * Each case forks its kernels as child processes (netproc.h) on bus files
 * in a temporary directory.  Addresses: bus "bus" is 10.0.0.0/24 with the
 * kernels at .1, .2, ...
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rump/netconfig.h>
#include <rump/rump.h>

#include "busfmt.h"
#include "harness.h"
#include "netproc.h"
#include "sha256.h"

#define MB (1024 * 1024)

/* ------------------------------------------------------------ helpers */

/* In a child: the MAC of ifname as "b2:a0:..". */
static void
child_mac(const char *ifname, char *out, size_t len)
{
	struct ifreq ifr;
	int s;

	NP_CHECK((s = rump_sys_socket(AF_INET, SOCK_DGRAM, 0)) != -1);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	NP_CHECK(rump_sys_ioctl(s, SIOCGIFHWADDR, &ifr) == 0);
	const uint8_t *m = (const uint8_t *)ifr.ifr_hwaddr.sa_data;
	snprintf(out, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
	    m[3], m[4], m[5]);
	rump_sys_close(s);
}

/* In a child: a file of the kernel's /proc on standard error. */
static void
child_procfile(const char *path)
{
	char buf[8192];
	ssize_t n;
	int fd = rump_sys_open(path, O_RDONLY);

	if (fd == -1)
		return;
	fprintf(stderr, "  --- %s\n", path);
	while ((n = rump_sys_read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stderr);
	rump_sys_close(fd);
}

/* In a child: waits for "quit" from the parent (or its death). */
static void
child_idle(void)
{
	char line[256];

	while (np_recv(line, sizeof(line), 600000))
		if (strcmp(line, "quit") == 0)
			break;
}

static void
child_stats(const char *ifname)
{
	struct rump_shmif_stats st;
	int error;

	if ((error = rump_pub_shmif_stats(ifname, &st)) != 0)
		np_die("shmif_stats: %s", strerror(error));
	np_send("stats rx %llu tx %llu short %llu corrupt %llu overruns %llu "
	        "resets %llu nomem %llu faultdrop %llu faultreorder %llu "
	        "doorbells %llu sleeps %llu csumok %llu csumbad %llu",
	    st.ss_rxframes, st.ss_txframes, st.ss_short, st.ss_corrupt,
	    st.ss_overruns, st.ss_resets, st.ss_nomem, st.ss_faultdrop,
	    st.ss_faultreorder, st.ss_doorbells, st.ss_sleeps, st.ss_csumok,
	    st.ss_csumbad);
}

static unsigned long long
stat_field(const char *stats, const char *name)
{
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), "%s ", name);
	for (p = stats; (p = strstr(p, key)) != NULL; p++)
		if (p == stats || p[-1] == ' ')
			return strtoull(p + strlen(key), NULL, 10);
	return 0;
}

/* Maps a bus file read-write (parent side). */
static uint8_t *
map_bus(const char *path)
{
	int fd = open(path, O_RDWR);
	struct stat st;
	void *p;

	if (fd == -1 || fstat(fd, &st) == -1)
		NP_FAIL("%s: %s", path, strerror(errno));
	if (st.st_size != BF_SIZE)
		NP_FAIL(
		    "%s is %lld bytes, not 1 MiB", path, (long long)st.st_size);
	p = mmap(NULL, BF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		NP_FAIL("mmap: %s", strerror(errno));
	return p;
}

/* A plain server kernel at addr on bus: boots, says ready, idles. */
struct peer {
	const char *bus;
	const char *addr;
	const char *env; /* "NAME=value" put in the environment, or NULL */
	int port;
	uint64_t nbytes;
	uint64_t seed;
	const char *dst;
	const char *gw;
	int mtu; /* of shmif0, when not the default */
};

static void
peer_mtu(const struct peer *pr)
{
	int error;

	if (pr->mtu != 0 &&
	    (error = rump_pub_netconfig_ifsetmtu("shmif0", pr->mtu)) != 0)
		np_die("mtu %d: %s", pr->mtu, strerror(error));
}

static void
peer_env(const struct peer *pr)
{
	if (pr->env != NULL) {
		char *e = strdup(pr->env), *eq = strchr(e, '=');
		*eq = '\0';
		setenv(e, eq + 1, 1);
	}
}

static void
idle_main(void *arg)
{
	struct peer *pr = arg;
	char mac[32];

	peer_env(pr);
	np_boot_shmif(pr->bus, pr->addr, 24);
	child_mac("shmif0", mac, sizeof(mac));
	np_send("ready %s", mac);
	child_idle();
	child_stats("shmif0");
}

/* --------------------------------------------------------------- cases */

T_CASE(sha256_vectors, "the tests' SHA-256 gives the FIPS 180-4 digests")
{
	static const char *in[] = {"", "abc",
	    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"};
	static const char *out[] = {
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"};
	for (int i = 0; i < 3; i++) {
		struct sha256 s;
		uint8_t d[32];
		char h[65];

		sha256_init(&s);
		sha256_update(&s, in[i], strlen(in[i]));
		sha256_final(&s, d);
		sha256_hex(d, h);
		T_ASSERT(strcmp(h, out[i]) == 0);
	}
}

static void
layout_main(void *arg)
{
	struct peer *pr = arg;
	struct sockaddr_in sin = np_sin("10.0.0.77", 9);
	char mac[32];
	int s;

	np_boot_shmif(pr->bus, "10.0.0.1", 24);
	child_mac("shmif0", mac, sizeof(mac));
	/* To a neighbour nobody has: ARP requests go out, broadcast. */
	NP_CHECK((s = rump_sys_socket(AF_INET, SOCK_DGRAM, 0)) != -1);
	NP_CHECK(rump_sys_sendto(
	             s, "x", 1, 0, (struct sockaddr *)&sin, sizeof(sin)) == 1);
	np_send("ready %s", mac);
	child_idle();
}

struct layout_seen {
	int nframes;
	uint64_t sender;
	bool mixed_senders, bad_ts, arp_ok;
	uint8_t mac[6];
};

static void
layout_frame(const struct bf_frame *f, void *arg)
{
	struct layout_seen *ls = arg;
	time_t now = time(NULL);

	if (ls->nframes++ == 0)
		ls->sender = f->f_sender;
	else if (f->f_sender != ls->sender)
		ls->mixed_senders = true;
	if (f->f_sec + 60 < now || f->f_sec > now + 60 || f->f_usec >= 1000000)
		ls->bad_ts = true;
	/* Broadcast ARP from the kernel's MAC, asking for 10.0.0.77. */
	if (f->f_len >= 42 &&
	    memcmp(f->f_data, "\xff\xff\xff\xff\xff\xff", 6) == 0 &&
	    memcmp(f->f_data + 6, ls->mac, 6) == 0 && f->f_data[12] == 0x08 &&
	    f->f_data[13] == 0x06 && f->f_data[21] == 1 &&
	    memcmp(f->f_data + 38, "\x0a\x00\x00\x4d", 4) == 0)
		ls->arp_ok = true;
}

T_CASE(bus_layout, "a bus written by the kernel parses as shmif format 3")
{
	struct peer pr = {0};
	struct layout_seen ls = {0};
	char mac[64];
	unsigned m[6];
	uint8_t *bus;

	np_init();
	pr.bus = np_path("bus");
	struct np_proc *a = np_spawn("kernel", layout_main, &pr);
	np_expect(a, "ready", mac, sizeof(mac), 10000);
	NP_ASSERT(sscanf(mac, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3],
	              &m[4], &m[5]) == 6);
	for (int i = 0; i < 6; i++)
		ls.mac[i] = (uint8_t)m[i];
	NP_ASSERT(ls.mac[0] == 0xb2 && ls.mac[1] == 0xa0);
	bus = map_bus(pr.bus);
	/* The ARP request may wait for the ARP timer. */
	for (int i = 0; i < 300 && bf_u32(bus, 20) == 0; i++)
		usleep(10000);
	usleep(50000);
	NP_ASSERT(bf_u32(bus, 0) == BF_MAGIC);
	NP_ASSERT(bf_u32(bus, 4) == BF_VERSION);
	NP_ASSERT(bf_u64(bus, 8) == 0);        /* never wrapped */
	NP_ASSERT(bf_u32(bus, 16) == BF_DATA); /* first: nothing overwritten */
	NP_ASSERT(bf_u32(bus, 20) >= BF_PKTHDR); /* last: a frame was written */
	NP_ASSERT(bf_u32(bus, 20) < BF_DATA);
	NP_ASSERT(bf_u32(bus, 24) == 0); /* unlocked */
	/* The fresh bus's empty frame at 0, the kernel's first at 24. */
	NP_ASSERT(bf_u32(bus, BF_HDR) == 0);
	NP_ASSERT(bf_u32(bus, BF_HDR + BF_PKTHDR) >= 42);
	int n = bf_walk(bus, layout_frame, &ls);
	NP_ASSERT(n >= 1);
	NP_ASSERT(ls.nframes == n);
	NP_ASSERT(ls.sender != 0);
	NP_ASSERT(!ls.mixed_senders);
	NP_ASSERT(!ls.bad_ts);
	NP_ASSERT(ls.arp_ok);
	np_tell(a, "quit");
	np_join(a, 10000);
	munmap(bus, BF_SIZE);
	np_done();
}

/* ARP: three datagrams from A to B, one ARP exchange on the bus. */
static void
udp_sink_main(void *arg)
{
	struct peer *pr = arg;
	struct sockaddr_in sin = np_sin("0.0.0.0", pr->port);
	char mac[32], buf[2048];
	int s;

	np_boot_shmif(pr->bus, pr->addr, 24);
	child_mac("shmif0", mac, sizeof(mac));
	NP_CHECK((s = rump_sys_socket(AF_INET, SOCK_DGRAM, 0)) != -1);
	NP_CHECK(rump_sys_bind(s, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	np_send("ready %s", mac);
	for (int i = 0; i < 3; i++) {
		ssize_t n =
		    rump_sys_recvfrom(s, buf, sizeof(buf) - 1, 0, NULL, NULL);
		NP_CHECK(n > 0);
		buf[n] = '\0';
		np_send("got %s", buf);
	}
	child_idle();
}

static void
udp_send3_main(void *arg)
{
	struct peer *pr = arg;
	struct sockaddr_in sin = np_sin(pr->dst, pr->port);
	char mac[32], msg[32];
	int s;

	np_boot_shmif(pr->bus, pr->addr, 24);
	child_mac("shmif0", mac, sizeof(mac));
	np_send("ready %s", mac);
	NP_CHECK((s = rump_sys_socket(AF_INET, SOCK_DGRAM, 0)) != -1);
	for (int i = 0; i < 3; i++) {
		snprintf(msg, sizeof(msg), "hello%d", i);
		NP_CHECK(rump_sys_sendto(s, msg, strlen(msg), 0,
		             (struct sockaddr *)&sin,
		             sizeof(sin)) == (ssize_t)strlen(msg));
		usleep(20000);
	}
	child_idle();
}

struct arp_seen {
	uint8_t amac[6], bmac[6];
	int requests, replies;
};

static void
arp_frame(const struct bf_frame *f, void *arg)
{
	struct arp_seen *as = arg;
	const uint8_t *d = f->f_data;

	if (f->f_len < 42 || d[12] != 0x08 || d[13] != 0x06)
		return;
	/* htype 1, ptype 0x800, hlen 6, plen 4 */
	if (d[14] != 0 || d[15] != 1 || d[16] != 8 || d[17] != 0 ||
	    d[18] != 6 || d[19] != 4)
		return;
	if (d[21] == 1 && memcmp(d + 6, as->amac, 6) == 0 &&
	    memcmp(d + 22, as->amac, 6) == 0 &&
	    memcmp(d + 28, "\x0a\x00\x00\x01", 4) == 0 &&
	    memcmp(d + 38, "\x0a\x00\x00\x02", 4) == 0)
		as->requests++;
	if (d[21] == 2 && memcmp(d, as->amac, 6) == 0 &&
	    memcmp(d + 6, as->bmac, 6) == 0 &&
	    memcmp(d + 22, as->bmac, 6) == 0 &&
	    memcmp(d + 28, "\x0a\x00\x00\x02", 4) == 0 &&
	    memcmp(d + 32, as->amac, 6) == 0)
		as->replies++;
}

static void
parse_mac(const char *s, uint8_t *mac)
{
	unsigned m[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4],
	        &m[5]) != 6)
		NP_FAIL("bad MAC \"%s\"", s);
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)m[i];
}

T_CASE(arp, "ARP resolves a neighbour once; the exchange is on the bus")
{
	struct peer pb = {.addr = "10.0.0.2", .port = 4000};
	struct peer pa = {.addr = "10.0.0.1", .port = 4000, .dst = "10.0.0.2"};
	struct arp_seen as = {0};
	char mac[64], got[64];

	np_init();
	pa.bus = pb.bus = np_path("bus");
	struct np_proc *b = np_spawn("B", udp_sink_main, &pb);
	np_expect(b, "ready", mac, sizeof(mac), 10000);
	parse_mac(mac, as.bmac);
	struct np_proc *a = np_spawn("A", udp_send3_main, &pa);
	np_expect(a, "ready", mac, sizeof(mac), 10000);
	parse_mac(mac, as.amac);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 3; i++) {
		char want[16];

		np_expect(b, "got", got, sizeof(got), 10000);
		snprintf(want, sizeof(want), "hello%d", i);
		if (strcmp(got, want) != 0)
			NP_FAIL("B got \"%s\", expected \"%s\"", got, want);
		if (i == 0)
			clock_gettime(CLOCK_MONOTONIC, &t1);
	}
	/*
	 * A sends just after boot: its first ARP request must go out at once,
	 * not after the retry interval (1 s).
	 */
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000000;
	if (ms > 500)
		NP_FAIL(
		    "the first datagram took %ld ms to resolve and arrive", ms);
	uint8_t *bus = map_bus(pa.bus);
	NP_ASSERT(bf_walk(bus, arp_frame, &as) > 0);
	munmap(bus, BF_SIZE);
	if (as.requests != 1 || as.replies != 1)
		NP_FAIL("%d ARP requests and %d replies on the bus, expected 1 "
		        "and 1",
		    as.requests, as.replies);
	np_tell(a, "quit");
	np_tell(b, "quit");
	np_join(a, 10000);
	np_join(b, 10000);
	np_done();
}

/* ICMP echo through a raw socket. */
static uint16_t
cksum(const void *p, size_t len)
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

static void
ping_main(void *arg)
{
	struct peer *pr = arg;
	struct sockaddr_in dst = np_sin(pr->dst, 0);
	uint8_t pkt[64 + 8], buf[2048];
	int s, replies = 0;

	np_boot_shmif(pr->bus, pr->addr, 24);
	NP_CHECK((s = rump_sys_socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)) != -1);
	for (int seq = 1; seq <= 5; seq++) {
		struct icmphdr *ic = (struct icmphdr *)pkt;

		memset(pkt, 0, sizeof(pkt));
		ic->type = ICMP_ECHO;
		ic->un.echo.id = htons(0x4242);
		ic->un.echo.sequence = htons((uint16_t)seq);
		for (int i = 8; i < (int)sizeof(pkt); i++)
			pkt[i] = (uint8_t)(i + seq);
		ic->checksum = cksum(pkt, sizeof(pkt));
		NP_CHECK(rump_sys_sendto(s, pkt, sizeof(pkt), 0,
		             (struct sockaddr *)&dst,
		             sizeof(dst)) == (ssize_t)sizeof(pkt));
		for (;;) {
			struct pollfd pfd = {s, POLLIN, 0};
			if (rump_sys_poll(&pfd, 1, 5000) != 1)
				np_die("no echo reply %d within 5 s", seq);
			ssize_t n = rump_sys_recvfrom(
			    s, buf, sizeof(buf), 0, NULL, NULL);
			NP_CHECK(n > 0);
			struct ip *ip = (struct ip *)buf;
			int hl = ip->ip_hl * 4;
			struct icmphdr *r = (struct icmphdr *)(buf + hl);
			if (n < hl + (ssize_t)sizeof(pkt) ||
			    r->type != ICMP_ECHOREPLY)
				continue;
			if (ntohs(r->un.echo.id) != 0x4242 ||
			    ntohs(r->un.echo.sequence) != seq)
				continue;
			if (memcmp(buf + hl + 8, pkt + 8, sizeof(pkt) - 8) != 0)
				np_die("echo reply %d: payload differs", seq);
			if (cksum(buf + hl, sizeof(pkt)) != 0)
				np_die("echo reply %d: bad checksum", seq);
			if (ip->ip_src.s_addr != dst.sin_addr.s_addr)
				np_die(
				    "echo reply %d from the wrong source", seq);
			replies++;
			break;
		}
	}
	np_send("replies %d", replies);
	child_idle();
}

T_CASE(ping, "ICMP echo over a raw socket between two kernels")
{
	struct peer pb = {.addr = "10.0.0.2"};
	struct peer pa = {.addr = "10.0.0.1", .dst = "10.0.0.2"};
	char r[32];

	np_init();
	pa.bus = pb.bus = np_path("bus");
	struct np_proc *b = np_spawn("B", idle_main, &pb);
	np_expect(b, "ready", NULL, 0, 10000);
	struct np_proc *a = np_spawn("A", ping_main, &pa);
	np_expect(a, "replies", r, sizeof(r), 30000);
	NP_ASSERT(atoi(r) == 5);
	np_tell(a, "quit");
	np_tell(b, "quit");
	np_join(a, 10000);
	np_join(b, 10000);
	np_done();
}

/* UDP echo of datagrams of several sizes, some fragmented. */
static const int udp_sizes[] = {1, 100, 1472, 1473, 4000, 8000, 0};

static void
udp_echo_main(void *arg)
{
	struct peer *pr = arg;
	struct sockaddr_in sin = np_sin("0.0.0.0", pr->port);
	static char buf[65536];
	int s;

	np_boot_shmif(pr->bus, pr->addr, 24);
	NP_CHECK((s = rump_sys_socket(AF_INET, SOCK_DGRAM, 0)) != -1);
	NP_CHECK(rump_sys_bind(s, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	np_send("ready");
	for (;;) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = rump_sys_recvfrom(
		    s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		NP_CHECK(n >= 0);
		if (n == 4 && memcmp(buf, "quit", 4) == 0)
			break;
		NP_CHECK(rump_sys_sendto(s, buf, (size_t)n, 0,
		             (struct sockaddr *)&from, fl) == n);
	}
	np_exit();
}

static void
udp_client_main(void *arg)
{
	struct peer *pr = arg;
	struct sockaddr_in dst = np_sin(pr->dst, pr->port);
	static char out[65536], in[65536];
	int s, ok = 0;

	np_boot_shmif(pr->bus, pr->addr, 24);
	NP_CHECK((s = rump_sys_socket(AF_INET, SOCK_DGRAM, 0)) != -1);
	NP_CHECK(
	    rump_sys_connect(s, (struct sockaddr *)&dst, sizeof(dst)) == 0);
	for (int i = 0; udp_sizes[i] != 0; i++) {
		int len = udp_sizes[i];

		np_stream((uint64_t)len, 0, out, (size_t)len);
		for (int tries = 0;; tries++) {
			if (tries == 5)
				np_die("no echo of %d bytes", len);
			NP_CHECK(rump_sys_sendto(
			             s, out, (size_t)len, 0, NULL, 0) == len);
			struct pollfd pfd = {s, POLLIN, 0};
			if (rump_sys_poll(&pfd, 1, 2000) != 1)
				continue;
			ssize_t n =
			    rump_sys_recvfrom(s, in, sizeof(in), 0, NULL, NULL);
			if (n != len || memcmp(in, out, (size_t)len) != 0)
				np_die(
				    "echo of %d bytes came back as %zd bytes%s",
				    len, n, n == len ? " that differ" : "");
			ok++;
			break;
		}
	}
	NP_CHECK(rump_sys_sendto(s, "quit", 4, 0, NULL, 0) == 4);
	np_send("echoed %d", ok);
	np_exit();
}

T_CASE(udp_echo, "UDP echo of 1..8000-byte datagrams (fragments included)")
{
	struct peer pb = {.addr = "10.0.0.2", .port = 7};
	struct peer pa = {.addr = "10.0.0.1", .port = 7, .dst = "10.0.0.2"};
	char r[32];

	np_init();
	pa.bus = pb.bus = np_path("bus");
	struct np_proc *b = np_spawn("B", udp_echo_main, &pb);
	np_expect(b, "ready", NULL, 0, 10000);
	struct np_proc *a = np_spawn("A", udp_client_main, &pa);
	np_expect(a, "echoed", r, sizeof(r), 30000);
	NP_ASSERT(atoi(r) == 6);
	np_join(a, 10000);
	np_join(b, 10000);
	np_done();
}

/* TCP bulk: a sink that hashes and a source that streams. */
static void
tcp_sink_main(void *arg)
{
	struct peer *pr = arg;
	char hex[65];
	int l, s;

	peer_env(pr);
	np_boot_shmif(pr->bus, pr->addr, 24);
	peer_mtu(pr);
	if (pr->gw != NULL) {
		int error = rump_pub_netconfig_ipv4_gw(pr->gw);
		if (error)
			np_die("ipv4_gw %s: %s", pr->gw, strerror(error));
	}
	l = np_tcp_listen(pr->port);
	np_send("ready");
	NP_CHECK((s = rump_sys_accept(l, NULL, NULL)) != -1);
	uint64_t n = np_recv_hash(s, hex);
	np_send("sha256 %s %llu", hex, (unsigned long long)n);
	rump_sys_close(s);
	child_stats("shmif0");
	child_idle();
}

static void
tcp_source_main(void *arg)
{
	struct peer *pr = arg;
	char hex[65];
	int s;

	peer_env(pr);
	np_boot_shmif(pr->bus, pr->addr, 24);
	peer_mtu(pr);
	if (pr->gw != NULL) {
		int error = rump_pub_netconfig_ipv4_gw(pr->gw);
		if (error)
			np_die("ipv4_gw %s: %s", pr->gw, strerror(error));
	}
	s = np_tcp_connect(pr->dst, pr->port);
	uint64_t t0 = t_now_ns();
	np_send_stream(s, pr->nbytes, pr->seed, hex);
	NP_CHECK(rump_sys_close(s) == 0);
	np_send("sent %s %llu", hex, (unsigned long long)(t_now_ns() - t0));
	child_stats("shmif0");
	child_idle();
}

/* Runs a transfer of nbytes from A to B and checks both hashes. */
static void
tcp_transfer(const char *env, int mtu, uint64_t nbytes, int timeout_ms,
    char *sstats, char *cstats, size_t slen)
{
	struct peer pb = {
	    .addr = "10.0.0.2", .port = 5001, .env = env, .mtu = mtu};
	struct peer pa = {.addr = "10.0.0.1",
	    .port = 5001,
	    .dst = "10.0.0.2",
	    .nbytes = nbytes,
	    .seed = 42,
	    .env = env,
	    .mtu = mtu};
	char want[65], sent[128], got[128], h[65];
	unsigned long long n, ns;

	np_init();
	pa.bus = pb.bus = np_path("bus");
	np_stream_hash(pa.seed, nbytes, want);
	struct np_proc *b = np_spawn("B", tcp_sink_main, &pb);
	np_expect(b, "ready", NULL, 0, 10000);
	struct np_proc *a = np_spawn("A", tcp_source_main, &pa);
	np_expect(a, "sent", sent, sizeof(sent), timeout_ms);
	np_expect(b, "sha256", got, sizeof(got), timeout_ms);
	NP_ASSERT(sscanf(sent, "%64s %llu", h, &ns) == 2);
	if (strcmp(h, want) != 0)
		NP_FAIL("sender hashed %s, expected %s", h, want);
	NP_ASSERT(sscanf(got, "%64s %llu", h, &n) == 2);
	if (n != nbytes)
		NP_FAIL("received %llu bytes of %llu", n,
		    (unsigned long long)nbytes);
	if (strcmp(h, want) != 0)
		NP_FAIL("received data hashes to %s, expected %s", h, want);
	np_expect(a, "stats", cstats, slen, 10000);
	np_expect(b, "stats", sstats, slen, 10000);
	printf("  %llu MiB in %.2f s: %.1f MiB/s\n",
	    (unsigned long long)(nbytes / MB), (double)ns / 1e9,
	    (double)nbytes / MB / ((double)ns / 1e9));
	np_tell(a, "quit");
	np_tell(b, "quit");
	np_join(a, 10000);
	np_join(b, 10000);
	np_done();
}

T_CASE(tcp_64m, "64 MiB over TCP between two kernels, SHA-256 matches")
{
	char ss[512], cs[512];

	tcp_transfer(NULL, 0, 64ULL * MB, 100000, ss, cs, sizeof(ss));
	printf("  receiver: %s\n  sender: %s\n", ss, cs);
	/* The receiver checked the checksums while copying off the ring,
	 * and every one our sender wrote was right. */
	if (stat_field(ss, "csumok") < stat_field(ss, "rx") * 9 / 10 ||
	    stat_field(ss, "csumbad") != 0)
		T_FAIL("checksums on receive: %s", ss);
}

T_CASE(tcp_64m_bigmtu, "64 MiB over TCP at MTU 65535: hashes match, no overrun")
{
	char ss[512], cs[512];

	tcp_transfer(NULL, 65535, 64ULL * MB, 100000, ss, cs, sizeof(ss));
	printf("  receiver: %s\n  sender: %s\n", ss, cs);
	/*
	 * TCP's window stays within half the ring (if_maxwin), so the
	 * receiver is never lapped; and a reader that was, after a frame
	 * that wraps the ring, must not find itself overrun again and again.
	 */
	if (stat_field(ss, "overruns") > 2 || stat_field(cs, "overruns") > 2)
		T_FAIL("readers were overrun: %s / %s", ss, cs);
	if (stat_field(ss, "rx") < 1000 || stat_field(ss, "rx") > 20000)
		T_FAIL("%llu frames for 64 MiB: not 64 KiB ones",
		    stat_field(ss, "rx"));
}

T_CASE(tcp_fault, "64 MiB over TCP with 2% loss and 1% reordering on the bus")
{
	char ss[512], cs[512];

	tcp_transfer("RUMP_SHMIF_FAULT=drop=2,reorder=1,seed=7", 0, 64ULL * MB,
	    110000, ss, cs, sizeof(ss));
	printf("  receiver: %s\n  sender: %s\n", ss, cs);
	if (stat_field(ss, "faultdrop") == 0 ||
	    stat_field(cs, "faultdrop") == 0)
		T_FAIL("no frames were dropped: %s / %s", ss, cs);
	if (stat_field(ss, "faultreorder") == 0)
		T_FAIL("no frames were reordered: %s", ss);
}

/* 200 connections open at once, each echoing 1000 bytes. */
#define NCONN 200

static void
many_server_main(void *arg)
{
	struct peer *pr = arg;
	static struct pollfd pfd[NCONN + 1];
	static int got[NCONN + 1];
	static char buf[NCONN + 1][1000];
	int l, nconn = 0, done = 0;

	np_boot_shmif(pr->bus, pr->addr, 24);
	l = np_tcp_listen(pr->port);
	np_send("ready");
	pfd[0].fd = l;
	pfd[0].events = POLLIN;
	while (done < NCONN) {
		int r = rump_sys_poll(pfd, (nfds_t)nconn + 1, 20000);
		if (r <= 0)
			np_die("poll: %d (%s), %d accepted, %d done", r,
			    r ? strerror(errno) : "timeout", nconn, done);
		if ((pfd[0].revents & POLLIN) && nconn < NCONN) {
			int s = rump_sys_accept(l, NULL, NULL);
			NP_CHECK(s != -1);
			nconn++;
			pfd[nconn].fd = s;
			pfd[nconn].events = POLLIN;
			got[nconn] = 0;
		}
		for (int i = 1; i <= nconn; i++) {
			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t n = rump_sys_read(pfd[i].fd, buf[i] + got[i],
			    sizeof(buf[i]) - (size_t)got[i]);
			if (n <= 0)
				np_die("read on connection %d: %zd (%s)", i, n,
				    n ? strerror(errno) : "EOF");
			got[i] += (int)n;
			if (got[i] == (int)sizeof(buf[i])) {
				NP_CHECK(rump_sys_write(pfd[i].fd, buf[i],
				             sizeof(buf[i])) ==
				    (ssize_t)sizeof(buf[i]));
				rump_sys_close(pfd[i].fd);
				pfd[i].fd = -1;
				done++;
			}
		}
	}
	np_send("served %d", done);
	child_idle();
}

static void
many_client_main(void *arg)
{
	struct peer *pr = arg;
	struct sockaddr_in sin = np_sin(pr->dst, pr->port);
	static struct pollfd pfd[NCONN];
	static char out[NCONN][1000], in[NCONN][1000];
	static int state[NCONN], got[NCONN];
	int done = 0;

	np_boot_shmif(pr->bus, pr->addr, 24);
	for (int i = 0; i < NCONN; i++) {
		int s =
		    rump_sys_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		NP_CHECK(s != -1);
		int r =
		    rump_sys_connect(s, (struct sockaddr *)&sin, sizeof(sin));
		if (r == -1 && errno != EINPROGRESS)
			np_die("connect %d: %s", i, strerror(errno));
		pfd[i].fd = s;
		pfd[i].events = POLLOUT;
		np_stream((uint64_t)i + 1000, 0, out[i], sizeof(out[i]));
	}
	np_send("connecting");
	while (done < NCONN) {
		int r = rump_sys_poll(pfd, NCONN, 20000);
		if (r <= 0) {
			int n0 = 0;
			for (int i = 0; i < NCONN; i++)
				n0 += pfd[i].fd != -1 && state[i] == 0;
			child_procfile("/proc/net/dev");
			child_procfile("/proc/net/snmp");
			child_procfile("/proc/net/tcp");
			np_die("poll: %d, %d done, %d still connecting", r,
			    done, n0);
		}
		for (int i = 0; i < NCONN; i++) {
			if (pfd[i].fd == -1 || pfd[i].revents == 0)
				continue;
			if (state[i] == 0) {
				int err = 0;
				socklen_t el = sizeof(err);
				NP_CHECK(
				    rump_sys_getsockopt(pfd[i].fd, SOL_SOCKET,
				        SO_ERROR, &err, &el) == 0);
				if (err != 0)
					np_die("connection %d: %s", i,
					    strerror(err));
				NP_CHECK(rump_sys_write(pfd[i].fd, out[i],
				             sizeof(out[i])) ==
				    (ssize_t)sizeof(out[i]));
				state[i] = 1;
				pfd[i].events = POLLIN;
				continue;
			}
			ssize_t n = rump_sys_read(pfd[i].fd, in[i] + got[i],
			    sizeof(in[i]) - (size_t)got[i]);
			if (n < 0 && errno == EAGAIN)
				continue;
			if (n <= 0)
				np_die("connection %d: read %zd after %d", i, n,
				    got[i]);
			got[i] += (int)n;
			if (got[i] == (int)sizeof(in[i])) {
				if (memcmp(in[i], out[i], sizeof(in[i])) != 0)
					np_die(
					    "connection %d: echo differs", i);
				rump_sys_close(pfd[i].fd);
				pfd[i].fd = -1;
				done++;
			}
		}
	}
	np_send("echoed %d", done);
	child_idle();
}

T_CASE(tcp_200conns, "200 concurrent TCP connections, each echoes 1000 bytes")
{
	struct peer pb = {.addr = "10.0.0.2", .port = 6000};
	struct peer pa = {.addr = "10.0.0.1", .port = 6000, .dst = "10.0.0.2"};
	char r[32];

	np_init();
	pa.bus = pb.bus = np_path("bus");
	struct np_proc *b = np_spawn("B", many_server_main, &pb);
	np_expect(b, "ready", NULL, 0, 10000);
	struct np_proc *a = np_spawn("A", many_client_main, &pa);
	np_expect(a, "echoed", r, sizeof(r), 60000);
	NP_ASSERT(atoi(r) == NCONN);
	np_expect(b, "served", r, sizeof(r), 10000);
	NP_ASSERT(atoi(r) == NCONN);
	np_tell(a, "quit");
	np_tell(b, "quit");
	np_join(a, 10000);
	np_join(b, 10000);
	np_done();
}

/* Half-close: A sends and shuts down writing; B answers after EOF. */
static void
half_server_main(void *arg)
{
	struct peer *pr = arg;
	static char buf[65536], out[50000];
	uint64_t total = 0;
	int l, s;
	ssize_t n;

	np_boot_shmif(pr->bus, pr->addr, 24);
	l = np_tcp_listen(pr->port);
	np_send("ready");
	NP_CHECK((s = rump_sys_accept(l, NULL, NULL)) != -1);
	while ((n = rump_sys_read(s, buf, sizeof(buf))) > 0)
		total += (uint64_t)n;
	NP_CHECK(n == 0);
	np_stream(9, 0, out, sizeof(out));
	/* Writing after the peer's FIN is allowed: the connection is half open.
	 */
	for (size_t off = 0; off < sizeof(out);) {
		n = rump_sys_write(s, out + off, sizeof(out) - off);
		NP_CHECK(n > 0);
		off += (size_t)n;
	}
	NP_CHECK(rump_sys_close(s) == 0);
	np_send("received %llu", (unsigned long long)total);
	child_idle();
}

static void
half_client_main(void *arg)
{
	struct peer *pr = arg;
	static char out[100000], in[60000], want[50000];
	size_t got = 0;
	ssize_t n;
	int s;

	np_boot_shmif(pr->bus, pr->addr, 24);
	s = np_tcp_connect(pr->dst, pr->port);
	np_stream(8, 0, out, sizeof(out));
	NP_CHECK(rump_sys_write(s, out, sizeof(out)) == (ssize_t)sizeof(out));
	NP_CHECK(rump_sys_shutdown(s, SHUT_WR) == 0);
	/* Writing after SHUT_WR: EPIPE. */
	if (rump_sys_sendto(s, "x", 1, MSG_NOSIGNAL, NULL, 0) != -1 ||
	    errno != EPIPE)
		np_die("send after SHUT_WR did not fail with EPIPE");
	while ((n = rump_sys_read(s, in + got, sizeof(in) - got)) > 0)
		got += (size_t)n;
	NP_CHECK(n == 0);
	np_stream(9, 0, want, sizeof(want));
	if (got != sizeof(want) || memcmp(in, want, got) != 0)
		np_die("got %zu bytes back, expected %zu", got, sizeof(want));
	rump_sys_close(s);
	np_send("ok");
	child_idle();
}

T_CASE(half_close, "shutdown(SHUT_WR): the peer reads EOF and still answers")
{
	struct peer pb = {.addr = "10.0.0.2", .port = 5002};
	struct peer pa = {.addr = "10.0.0.1", .port = 5002, .dst = "10.0.0.2"};
	char r[64];

	np_init();
	pa.bus = pb.bus = np_path("bus");
	struct np_proc *b = np_spawn("B", half_server_main, &pb);
	np_expect(b, "ready", NULL, 0, 10000);
	struct np_proc *a = np_spawn("A", half_client_main, &pa);
	np_expect(a, "ok", NULL, 0, 30000);
	np_expect(b, "received", r, sizeof(r), 10000);
	NP_ASSERT(strtoull(r, NULL, 10) == 100000);
	np_tell(a, "quit");
	np_tell(b, "quit");
	np_join(a, 10000);
	np_join(b, 10000);
	np_done();
}

/* A connection to a port nobody listens on is refused (RST). */
static void
refused_main(void *arg)
{
	struct peer *pr = arg;
	struct sockaddr_in sin = np_sin(pr->dst, 9);
	uint64_t t0;
	int s;

	np_boot_shmif(pr->bus, pr->addr, 24);
	NP_CHECK((s = rump_sys_socket(AF_INET, SOCK_STREAM, 0)) != -1);
	t0 = t_now_ns();
	if (rump_sys_connect(s, (struct sockaddr *)&sin, sizeof(sin)) != -1)
		np_die("connect to a closed port succeeded");
	if (errno != ECONNREFUSED)
		np_die("connect: %s, expected ECONNREFUSED", strerror(errno));
	if (t_now_ns() - t0 > 3000000000ULL)
		np_die("the refusal took %llu ms",
		    (unsigned long long)((t_now_ns() - t0) / 1000000));
	np_send("refused");
	child_idle();
}

T_CASE(rst_closed_port, "connect to a closed port: ECONNREFUSED at once")
{
	struct peer pb = {.addr = "10.0.0.2"};
	struct peer pa = {.addr = "10.0.0.1", .dst = "10.0.0.2"};

	np_init();
	pa.bus = pb.bus = np_path("bus");
	struct np_proc *b = np_spawn("B", idle_main, &pb);
	np_expect(b, "ready", NULL, 0, 10000);
	struct np_proc *a = np_spawn("A", refused_main, &pa);
	np_expect(a, "refused", NULL, 0, 20000);
	np_tell(a, "quit");
	np_tell(b, "quit");
	np_join(a, 10000);
	np_join(b, 10000);
	np_done();
}

/*
 * Waits (up to 5 s) until this kernel's connection from local port port is
 * in TIME_WAIT, as /proc/net/tcp shows it: the peer's FIN may still be on
 * its way when the parent says to rebind, and before it comes the socket
 * is in FIN_WAIT2, which SO_REUSEADDR does not pass.
 */
static void
wait_timewait(int port)
{
	char buf[8192];

	for (int tries = 0; tries < 500; tries++) {
		int fd = rump_sys_open("/proc/net/tcp", O_RDONLY);
		ssize_t n;

		NP_CHECK(fd != -1);
		n = rump_sys_read(fd, buf, sizeof(buf) - 1);
		NP_CHECK(n >= 0);
		NP_CHECK(rump_sys_close(fd) == 0);
		buf[n] = '\0';
		for (char *line = strtok(buf, "\n"); line != NULL;
		     line = strtok(NULL, "\n")) {
			unsigned lport, st;

			/* sl: laddr:lport faddr:fport st (Linux's format) */
			if (sscanf(line, "%*d: %*x:%x %*x:%*x %x", &lport,
			        &st) == 2 &&
			    (int)lport == port && st == 0x06)
				return;
		}
		usleep(10000);
	}
	np_die("no TIME_WAIT connection from port %d within 5 s", port);
}

/* The server closes first (its side goes to TIME_WAIT), then binds again. */
static void
reuse_server_main(void *arg)
{
	struct peer *pr = arg;
	struct sockaddr_in sin = np_sin("0.0.0.0", pr->port);
	char c;
	int l, s, one = 1;

	np_boot_shmif(pr->bus, pr->addr, 24);
	l = np_tcp_listen(pr->port);
	np_send("ready");
	NP_CHECK((s = rump_sys_accept(l, NULL, NULL)) != -1);
	NP_CHECK(rump_sys_read(s, &c, 1) == 1);
	NP_CHECK(rump_sys_close(s) == 0); /* active close: TIME_WAIT here */
	NP_CHECK(rump_sys_close(l) == 0);
	np_send("closed");
	char line[64];
	if (!np_recv(line, sizeof(line), 20000) || strcmp(line, "rebind") != 0)
		np_die("no rebind from the parent");
	wait_timewait(pr->port);
	NP_CHECK((l = rump_sys_socket(AF_INET, SOCK_STREAM, 0)) != -1);
	if (rump_sys_bind(l, (struct sockaddr *)&sin, sizeof(sin)) == 0)
		np_die("bind without SO_REUSEADDR during TIME_WAIT succeeded");
	if (errno != EADDRINUSE)
		np_die("bind: %s, expected EADDRINUSE", strerror(errno));
	NP_CHECK(rump_sys_setsockopt(
	             l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0);
	NP_CHECK(rump_sys_bind(l, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	NP_CHECK(rump_sys_listen(l, 5) == 0);
	np_send("rebound");
	NP_CHECK((s = rump_sys_accept(l, NULL, NULL)) != -1);
	NP_CHECK(rump_sys_read(s, &c, 1) == 1 && c == '2');
	np_send("second");
	child_idle();
}

static void
reuse_client_main(void *arg)
{
	struct peer *pr = arg;
	char c, line[64];
	int s;

	np_boot_shmif(pr->bus, pr->addr, 24);
	s = np_tcp_connect(pr->dst, pr->port);
	NP_CHECK(rump_sys_write(s, "1", 1) == 1);
	NP_CHECK(rump_sys_read(s, &c, 1) == 0); /* the server's FIN */
	NP_CHECK(rump_sys_close(s) == 0);
	np_send("first");
	if (!np_recv(line, sizeof(line), 20000) || strcmp(line, "again") != 0)
		np_die("no \"again\" from the parent");
	s = np_tcp_connect(pr->dst, pr->port);
	NP_CHECK(rump_sys_write(s, "2", 1) == 1);
	np_send("done");
	child_idle();
}

T_CASE(reuseaddr_timewait,
    "SO_REUSEADDR rebinds a port in TIME_WAIT; without it EADDRINUSE")
{
	struct peer pb = {.addr = "10.0.0.2", .port = 5003};
	struct peer pa = {.addr = "10.0.0.1", .port = 5003, .dst = "10.0.0.2"};

	np_init();
	pa.bus = pb.bus = np_path("bus");
	struct np_proc *b = np_spawn("B", reuse_server_main, &pb);
	np_expect(b, "ready", NULL, 0, 10000);
	struct np_proc *a = np_spawn("A", reuse_client_main, &pa);
	np_expect(b, "closed", NULL, 0, 10000);
	np_expect(a, "first", NULL, 0, 10000);
	np_tell(b, "rebind");
	np_expect(b, "rebound", NULL, 0, 10000);
	np_tell(a, "again");
	np_expect(a, "done", NULL, 0, 10000);
	np_expect(b, "second", NULL, 0, 10000);
	np_tell(a, "quit");
	np_tell(b, "quit");
	np_join(a, 10000);
	np_join(b, 10000);
	np_done();
}

/* Keepalive: the peer's process is killed; the connection times out. */
static void
ka_server_main(void *arg)
{
	struct peer *pr = arg;
	int l, s;

	np_boot_shmif(pr->bus, pr->addr, 24);
	l = np_tcp_listen(pr->port);
	np_send("ready");
	NP_CHECK((s = rump_sys_accept(l, NULL, NULL)) != -1);
	np_send("accepted");
	child_idle();
}

static void
ka_client_main(void *arg)
{
	struct peer *pr = arg;
	int s, one = 1, idle = 1, intvl = 1, cnt = 2;
	char c, line[64];

	np_boot_shmif(pr->bus, pr->addr, 24);
	s = np_tcp_connect(pr->dst, pr->port);
	NP_CHECK(rump_sys_setsockopt(
	             s, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) == 0);
	NP_CHECK(rump_sys_setsockopt(
	             s, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)) == 0);
	NP_CHECK(rump_sys_setsockopt(s, IPPROTO_TCP, TCP_KEEPINTVL, &intvl,
	             sizeof(intvl)) == 0);
	NP_CHECK(rump_sys_setsockopt(
	             s, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt)) == 0);
	np_send("connected");
	if (!np_recv(line, sizeof(line), 20000) || strcmp(line, "go") != 0)
		np_die("no \"go\"");
	uint64_t t0 = t_now_ns();
	ssize_t n = rump_sys_read(s, &c, 1);
	int e = errno;
	uint64_t ms = (t_now_ns() - t0) / 1000000;
	if (n != -1)
		np_die("read returned %zd, expected ETIMEDOUT", n);
	np_send("result %s %llu", e == ETIMEDOUT ? "ETIMEDOUT" : strerror(e),
	    (unsigned long long)ms);
	child_idle();
}

T_CASE(keepalive, "keepalive times out a connection whose peer was killed")
{
	struct peer pb = {.addr = "10.0.0.2", .port = 5004};
	struct peer pa = {.addr = "10.0.0.1", .port = 5004, .dst = "10.0.0.2"};
	char r[128], what[64];
	unsigned long long ms;

	np_init();
	pa.bus = pb.bus = np_path("bus");
	struct np_proc *b = np_spawn("B", ka_server_main, &pb);
	np_expect(b, "ready", NULL, 0, 10000);
	struct np_proc *a = np_spawn("A", ka_client_main, &pa);
	np_expect(a, "connected", NULL, 0, 10000);
	np_expect(b, "accepted", NULL, 0, 10000);
	np_kill(b);
	np_tell(a, "go");
	np_expect(a, "result", r, sizeof(r), 30000);
	NP_ASSERT(sscanf(r, "%63s %llu", what, &ms) == 2);
	if (strcmp(what, "ETIMEDOUT") != 0)
		NP_FAIL("read failed with %s, expected ETIMEDOUT", what);
	/* idle 1 s + 2 probes 1 s apart: about 3 s. */
	if (ms < 1500 || ms > 15000)
		NP_FAIL("timed out after %llu ms, expected about 3000", ms);
	printf("  timed out after %llu ms\n", ms);
	np_tell(a, "quit");
	np_join(a, 10000);
	np_done();
}

/* Non-blocking connect with poll, to a listener and to a closed port. */
static void
nbc_main(void *arg)
{
	struct peer *pr = arg;
	struct sockaddr_in sin = np_sin(pr->dst, pr->port);
	struct sockaddr_in closed = np_sin(pr->dst, 9);
	int s, err;
	socklen_t el = sizeof(err);
	struct pollfd pfd;

	np_boot_shmif(pr->bus, pr->addr, 24);
	NP_CHECK((s = rump_sys_socket(
	              AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) != -1);
	if (rump_sys_connect(s, (struct sockaddr *)&sin, sizeof(sin)) != -1 ||
	    errno != EINPROGRESS)
		np_die("connect: %s, expected EINPROGRESS", strerror(errno));
	pfd.fd = s;
	pfd.events = POLLOUT;
	NP_CHECK(rump_sys_poll(&pfd, 1, 10000) == 1);
	NP_CHECK(pfd.revents & POLLOUT);
	NP_CHECK(rump_sys_getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el) == 0);
	if (err != 0)
		np_die("SO_ERROR %s", strerror(err));
	NP_CHECK(rump_sys_write(s, "hi", 2) == 2);
	/* Reading with nothing there: EAGAIN. */
	char c;
	if (rump_sys_read(s, &c, 1) != -1 || errno != EAGAIN)
		np_die("read on an empty non-blocking socket: not EAGAIN");
	rump_sys_close(s);

	NP_CHECK((s = rump_sys_socket(
	              AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) != -1);
	if (rump_sys_connect(s, (struct sockaddr *)&closed, sizeof(closed)) !=
	        -1 ||
	    errno != EINPROGRESS)
		np_die("connect to a closed port: %s, expected EINPROGRESS",
		    strerror(errno));
	pfd.fd = s;
	pfd.events = POLLOUT;
	NP_CHECK(rump_sys_poll(&pfd, 1, 10000) == 1);
	if (!(pfd.revents & (POLLERR | POLLHUP)))
		np_die("poll revents %#x on a refused connection", pfd.revents);
	el = sizeof(err);
	NP_CHECK(rump_sys_getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el) == 0);
	if (err != ECONNREFUSED)
		np_die("SO_ERROR %s, expected ECONNREFUSED", strerror(err));
	np_send("ok");
	child_idle();
}

static void
accept_one_main(void *arg)
{
	struct peer *pr = arg;
	char buf[2];
	int l, s;

	np_boot_shmif(pr->bus, pr->addr, 24);
	l = np_tcp_listen(pr->port);
	np_send("ready");
	NP_CHECK((s = rump_sys_accept(l, NULL, NULL)) != -1);
	NP_CHECK(rump_sys_read(s, buf, 2) == 2 && memcmp(buf, "hi", 2) == 0);
	np_send("got");
	child_idle();
}

T_CASE(nonblock_connect, "non-blocking connect: EINPROGRESS, poll, SO_ERROR")
{
	struct peer pb = {.addr = "10.0.0.2", .port = 5005};
	struct peer pa = {.addr = "10.0.0.1", .port = 5005, .dst = "10.0.0.2"};

	np_init();
	pa.bus = pb.bus = np_path("bus");
	struct np_proc *b = np_spawn("B", accept_one_main, &pb);
	np_expect(b, "ready", NULL, 0, 10000);
	struct np_proc *a = np_spawn("A", nbc_main, &pa);
	np_expect(a, "ok", NULL, 0, 30000);
	np_expect(b, "got", NULL, 0, 10000);
	np_tell(a, "quit");
	np_tell(b, "quit");
	np_join(a, 10000);
	np_join(b, 10000);
	np_done();
}

/* Three kernels, two buses, the middle one forwarding. */
static void
router_main(void *arg)
{
	struct peer *pr = arg;
	const char **buses = (const char **)pr->dst;
	int error;

	np_boot_shmif(buses[0], "10.0.1.1", 24);
	np_shmif(buses[1], "10.0.2.1", 24);
	if ((error = rump_pub_netconfig_ipv4_forwarding(1)) != 0)
		np_die("forwarding: %s", strerror(error));
	np_send("ready");
	child_idle();
	child_stats("shmif0");
}

T_CASE(forward, "TCP end to end through a kernel forwarding between two buses")
{
	const char *buses[2];
	struct peer pm = {0};
	struct peer pc = {.addr = "10.0.2.2", .port = 5006, .gw = "10.0.2.1"};
	struct peer pa = {.addr = "10.0.1.2",
	    .port = 5006,
	    .dst = "10.0.2.2",
	    .gw = "10.0.1.1",
	    .nbytes = 16 * MB,
	    .seed = 5};
	char want[65], got[128], sent[128], h[65];
	unsigned long long n;

	np_init();
	buses[0] = np_path("bus1");
	buses[1] = np_path("bus2");
	pm.dst = (const char *)buses;
	pa.bus = buses[0];
	pc.bus = buses[1];
	np_stream_hash(pa.seed, pa.nbytes, want);
	struct np_proc *m = np_spawn("router", router_main, &pm);
	np_expect(m, "ready", NULL, 0, 10000);
	struct np_proc *c = np_spawn("C", tcp_sink_main, &pc);
	np_expect(c, "ready", NULL, 0, 10000);
	struct np_proc *a = np_spawn("A", tcp_source_main, &pa);
	np_expect(a, "sent", sent, sizeof(sent), 60000);
	np_expect(c, "sha256", got, sizeof(got), 60000);
	NP_ASSERT(sscanf(got, "%64s %llu", h, &n) == 2);
	if (n != pa.nbytes || strcmp(h, want) != 0)
		NP_FAIL("C received %llu bytes hashing to %s, expected %llu %s",
		    n, h, (unsigned long long)pa.nbytes, want);
	np_tell(a, "quit");
	np_tell(c, "quit");
	np_tell(m, "quit");
	np_join(a, 10000);
	np_join(c, 10000);
	np_join(m, 10000);
	np_done();
}

/* Traffic for the capture cases: ping, then a short TCP exchange. */
static void
traffic_main(void *arg)
{
	struct peer *pr = arg;
	struct sockaddr_in dst = np_sin(pr->dst, 0);
	uint8_t pkt[16], buf[256];
	char hex[65];
	int s;

	peer_env(pr);
	np_boot_shmif(pr->bus, pr->addr, 24);
	NP_CHECK((s = rump_sys_socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)) != -1);
	memset(pkt, 0, sizeof(pkt));
	pkt[0] = ICMP_ECHO;
	pkt[5] = 1;
	uint16_t c = cksum(pkt, sizeof(pkt));
	memcpy(pkt + 2, &c, 2);
	NP_CHECK(rump_sys_sendto(s, pkt, sizeof(pkt), 0,
	             (struct sockaddr *)&dst, sizeof(dst)) == sizeof(pkt));
	struct pollfd pfd = {s, POLLIN, 0};
	if (rump_sys_poll(&pfd, 1, 5000) != 1)
		np_die("no echo reply");
	NP_CHECK(rump_sys_recvfrom(s, buf, sizeof(buf), 0, NULL, NULL) > 0);
	rump_sys_close(s);
	s = np_tcp_connect(pr->dst, pr->port);
	np_send_stream(s, 10000, 3, hex);
	NP_CHECK(rump_sys_close(s) == 0);
	usleep(200000);
	/* Halting flushes the capture. */
	rump_sys_reboot(RB_HALT_SYSTEM);
	np_send("done");
	np_exit();
}

static void
capture_run(const char *env)
{
	struct peer pb = {.addr = "10.0.0.2", .port = 5007};
	struct peer pa = {
	    .addr = "10.0.0.1", .port = 5007, .dst = "10.0.0.2", .env = env};
	char got[128];

	pa.bus = pb.bus = np_path("bus");
	struct np_proc *b = np_spawn("B", tcp_sink_main, &pb);
	np_expect(b, "ready", NULL, 0, 10000);
	struct np_proc *a = np_spawn("A", traffic_main, &pa);
	np_expect(a, "done", NULL, 0, 30000);
	np_expect(b, "sha256", got, sizeof(got), 10000);
	np_join(a, 10000);
	np_tell(b, "quit");
	np_join(b, 10000);
}

/* tcpdump's reading of pcap file path must show every kind of frame. */
static void
check_tcpdump(const char *path)
{
	static const char *want[] = {"ARP, Request who-has 10.0.0.2",
	    "ARP, Reply 10.0.0.2 is-at b2:a0:", "ICMP echo request",
	    "ICMP echo reply", "Flags [S]", "Flags [S.]", "Flags [F.]", NULL};
	char *out;

	if (np_system("command -v tcpdump >/dev/null") != 0)
		NP_FAIL("tcpdump is not installed");
	out = np_output("tcpdump -n -r %s 2>&1", path);
	for (int i = 0; want[i] != NULL; i++)
		if (strstr(out, want[i]) == NULL)
			NP_FAIL("tcpdump -r %s shows no \"%s\":\n%.3000s", path,
			    want[i], out);
	free(out);
	if (np_system("command -v tshark >/dev/null") == 0) {
		out = np_output("tshark -r %s 2>&1; echo status $?", path);
		if (strstr(out, "status 0") == NULL ||
		    strstr(out, "TCP") == NULL || strstr(out, "ICMP") == NULL ||
		    strstr(out, "ARP") == NULL)
			NP_FAIL("tshark -r %s:\n%.3000s", path, out);
		if (strstr(out, "Malformed") != NULL)
			NP_FAIL(
			    "tshark finds malformed packets:\n%.3000s", out);
		free(out);
	}
}

T_CASE(
    dumpbus_pcap, "shmif_dumpbus -h and -p: the ring as a pcap tcpdump reads")
{
	char *out;

	np_init();
	capture_run(NULL);
	out = np_output(
	    "%s/shmif_dumpbus -h %s 2>&1", np_bindir(), np_path("bus"));
	if (strncmp(out, "bus version 3, lock: 0, generation: 0, firstoff: 0x",
	        51) != 0)
		NP_FAIL("shmif_dumpbus -h: %s", out);
	free(out);
	out =
	    np_output("%s/shmif_dumpbus %s 2>&1", np_bindir(), np_path("bus"));
	if (strstr(out, "packet 0, offset 0x") == NULL ||
	    strstr(out, "packet 10,") == NULL)
		NP_FAIL("shmif_dumpbus: %.2000s", out);
	free(out);
	if (np_system("%s/shmif_dumpbus -p %s %s >/dev/null", np_bindir(),
	        np_path("bus.pcap"), np_path("bus")) != 0)
		NP_FAIL("shmif_dumpbus -p failed");
	check_tcpdump(np_path("bus.pcap"));
	/* To standard output, straight into tcpdump. */
	out = np_output("%s/shmif_dumpbus -p - %s | tcpdump -n -r - 2>&1 | "
	                "grep -c 'ICMP echo'",
	    np_bindir(), np_path("bus"));
	if (atoi(out) != 2)
		NP_FAIL("shmif_dumpbus -p - | tcpdump: %s", out);
	free(out);
	np_done();
}

T_CASE(pcap_capture, "RUMP_PCAP_shmif0 captures what tcpdump and tshark read")
{
	char env[512];

	np_init();
	snprintf(env, sizeof(env), "RUMP_PCAP_shmif0=%s", np_path("cap.pcap"));
	capture_run(env);
	check_tcpdump(np_path("cap.pcap"));
	np_done();
}

/*
 * A station of the test's own on the bus: it writes frames the way the
 * format says (lock, advance first, header, gen, unlock, doorbell) and
 * reads the ring, independently of the driver.
 */
static void
bus_lock(uint8_t *bus)
{
	uint32_t *lock = (uint32_t *)(bus + 24), expect;

	for (;;) {
		expect = 0;
		if (__atomic_compare_exchange_n(lock, &expect, 1, false,
		        __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return;
		usleep(10);
	}
}

static void
bus_unlock(uint8_t *bus)
{
	__atomic_store_n((uint32_t *)(bus + 24), 0, __ATOMIC_RELEASE);
}

/* Rings the doorbell and gives the readers time to look. */
static void
bus_ring(const char *path)
{
	uint32_t ver = 3;
	int fd;

	if ((fd = open(path, O_WRONLY)) == -1 || pwrite(fd, &ver, 4, 4) != 4)
		NP_FAIL("doorbell: %s", strerror(errno));
	close(fd);
	usleep(50000);
}

static uint32_t
bus_nextoff(const uint8_t *bus, uint32_t off)
{
	uint32_t len;

	bf_read(bus, off, &len, 4);
	off = (off == BF_DATA ? 0 : off) + BF_PKTHDR + len;
	return off >= BF_DATA ? off - BF_DATA : off;
}

static void
bus_put(const char *path, uint8_t *bus, const void *frame, uint32_t len)
{
	uint8_t h[BF_PKTHDR] = {0};
	uint64_t sender = 0x5445535453544e41ULL;
	uint32_t off, sec = (uint32_t)time(NULL), end, first;
	uint64_t gen;
	int fd;

	bus_lock(bus);
	off = bus_nextoff(bus, bf_u32(bus, 20));
	memcpy(bus + 20, &off, 4);
	/* Frames in [off - header, off + len + header) are about to go. */
	end = off + BF_PKTHDR + len;
	first = bf_u32(bus, 16);
	for (int i = 0; i < 1000; i++) {
		uint32_t f = first == BF_DATA ? 0 : first;
		bool hit = end <= BF_DATA
		    ? (f + BF_PKTHDR >= off && f < end)
		    : (f + BF_PKTHDR >= off || f < end - BF_DATA);
		if (!hit || first == BF_DATA)
			break;
		first = bus_nextoff(bus, first);
	}
	memcpy(bus + 16, &first, 4);
	memcpy(h, &len, 4);
	memcpy(h + 4, &sec, 4);
	memcpy(h + 16, &sender, 8);
	uint32_t o = bf_write(bus, off, h, BF_PKTHDR);
	bf_write(bus, o, frame, len);
	if (end >= BF_DATA) {
		gen = bf_u64(bus, 8) + 1;
		memcpy(bus + 8, &gen, 8);
	}
	bus_unlock(bus);
	uint32_t ver = 3;
	if ((fd = open(path, O_WRONLY)) == -1 || pwrite(fd, &ver, 4, 4) != 4)
		NP_FAIL("doorbell: %s", strerror(errno));
	close(fd);
}

struct reply_seen {
	const uint8_t *mac;
	int replies;
};

static void
reply_frame(const struct bf_frame *f, void *arg)
{
	struct reply_seen *rs = arg;
	const uint8_t *d = f->f_data;

	if (f->f_len >= 42 && memcmp(d, rs->mac, 6) == 0 && d[12] == 0x08 &&
	    d[13] == 0x06 && d[21] == 2 &&
	    memcmp(d + 28, "\x0a\x00\x00\x02", 4) == 0 &&
	    memcmp(d + 38, "\x0a\x00\x00\x63", 4) == 0)
		rs->replies++;
}

static void
make_arp_request(uint8_t *fr, const uint8_t *mac)
{
	memset(fr, 0, 60);
	memset(fr, 0xff, 6);
	memcpy(fr + 6, mac, 6);
	fr[12] = 0x08, fr[13] = 0x06;
	fr[15] = 1, fr[16] = 8, fr[18] = 6, fr[19] = 4, fr[21] = 1;
	memcpy(fr + 22, mac, 6);
	memcpy(fr + 28, "\x0a\x00\x00\x63", 4); /* 10.0.0.99 asks */
	memcpy(fr + 38, "\x0a\x00\x00\x02", 4); /* for 10.0.0.2 */
}

T_CASE(foreign_station, "a station written from the format gets ARP answers")
{
	static const uint8_t mac[6] = {0x02, 0x54, 0x45, 0x53, 0x54, 0x01};
	struct peer pb = {.addr = "10.0.0.2"};
	struct reply_seen rs = {mac, 0};
	uint8_t fr[60];

	np_init();
	pb.bus = np_path("bus");
	struct np_proc *b = np_spawn("B", idle_main, &pb);
	np_expect(b, "ready", NULL, 0, 10000);
	uint8_t *bus = map_bus(pb.bus);
	make_arp_request(fr, mac);
	for (int i = 0; i < 50 && rs.replies == 0; i++) {
		if (i % 10 == 0)
			bus_put(pb.bus, bus, fr, sizeof(fr));
		usleep(20000);
		NP_ASSERT(bf_walk(bus, reply_frame, &rs) >= 0);
	}
	if (rs.replies == 0)
		NP_FAIL("the kernel never answered the ARP request");
	munmap(bus, BF_SIZE);
	np_tell(b, "quit");
	np_join(b, 10000);
	np_done();
}

/* Pings from A to B until one is answered, within ms; false if none. */
static void
pinger_main(void *arg)
{
	struct peer *pr = arg;
	struct sockaddr_in dst = np_sin(pr->dst, 0);
	uint8_t pkt[16], buf[256];
	char line[64];
	int s, seq = 0;

	np_boot_shmif(pr->bus, pr->addr, 24);
	NP_CHECK((s = rump_sys_socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)) != -1);
	np_send("ready");
	while (
	    np_recv(line, sizeof(line), 60000) && strcmp(line, "ping") == 0) {
		bool ok = false;
		for (int tries = 0; tries < 40 && !ok; tries++) {
			memset(pkt, 0, sizeof(pkt));
			pkt[0] = ICMP_ECHO;
			pkt[7] = (uint8_t)++seq;
			uint16_t c = cksum(pkt, sizeof(pkt));
			memcpy(pkt + 2, &c, 2);
			NP_CHECK(rump_sys_sendto(s, pkt, sizeof(pkt), 0,
			             (struct sockaddr *)&dst,
			             sizeof(dst)) == sizeof(pkt));
			struct pollfd pfd = {s, POLLIN, 0};
			while (rump_sys_poll(&pfd, 1, 250) == 1) {
				ssize_t n = rump_sys_recvfrom(
				    s, buf, sizeof(buf), 0, NULL, NULL);
				int hl = (buf[0] & 15) * 4;
				if (n >= hl + 8 && buf[hl] == ICMP_ECHOREPLY &&
				    buf[hl + 7] == (uint8_t)seq) {
					ok = true;
					break;
				}
			}
		}
		np_send(ok ? "pong" : "FAIL no echo reply after corruption");
	}
	child_stats("shmif0");
	np_exit();
}

T_CASE(bad_frames, "garbage on the bus is skipped and counted; traffic goes on")
{
	struct peer pb = {.addr = "10.0.0.2"};
	struct peer pa = {.addr = "10.0.0.1", .dst = "10.0.0.2"};
	char sa[512], sb[512];
	uint32_t v;

	np_init();
	pa.bus = pb.bus = np_path("bus");
	struct np_proc *b = np_spawn("B", idle_main, &pb);
	np_expect(b, "ready", NULL, 0, 10000);
	struct np_proc *a = np_spawn("A", pinger_main, &pa);
	np_expect(a, "ready", NULL, 0, 10000);
	np_tell(a, "ping");
	np_expect(a, "pong", NULL, 0, 20000);
	uint8_t *bus = map_bus(pa.bus);

	/* 1. A frame with an impossible length after the newest one. */
	bus_lock(bus);
	uint32_t next = bus_nextoff(bus, bf_u32(bus, 20));
	v = 0xfffffff0;
	bf_write(bus, next, &v, 4);
	memcpy(bus + 20, &next, 4);
	bus_unlock(bus);
	bus_ring(pa.bus);
	np_tell(a, "ping");
	np_expect(a, "pong", NULL, 0, 20000);

	/* 2. Frames too short to be Ethernet, and one longer than the MTU. */
	static uint8_t junk[9000];
	memset(junk, 0xee, sizeof(junk));
	bus_put(pa.bus, bus, junk, 3);
	bus_put(pa.bus, bus, junk, 13);
	bus_put(pa.bus, bus, junk, 9000);
	np_tell(a, "ping");
	np_expect(a, "pong", NULL, 0, 20000);

	/* 3. first beyond the ring. */
	bus_lock(bus);
	v = 0x7fffffff;
	memcpy(bus + 16, &v, 4);
	bus_unlock(bus);
	bus_ring(pa.bus);
	np_tell(a, "ping");
	np_expect(a, "pong", NULL, 0, 20000);

	/* 4. The whole ring sprayed with garbage. */
	bus_lock(bus);
	for (uint32_t i = 0; i < BF_DATA; i += 4) {
		v = (uint32_t)rand() * 2654435761u;
		memcpy(bus + BF_HDR + i, &v, 4);
	}
	bus_unlock(bus);
	bus_put(pa.bus, bus, junk, 20);
	np_tell(a, "ping");
	np_expect(a, "pong", NULL, 0, 20000);

	/* 5. The magic cleared: a writer sets the bus up again. */
	bus_lock(bus);
	memset(bus, 0, 16);
	bus_unlock(bus);
	bus_ring(pa.bus);
	np_tell(a, "ping");
	np_expect(a, "pong", NULL, 0, 20000);

	munmap(bus, BF_SIZE);
	np_tell(a, "quit");
	np_expect(a, "stats", sa, sizeof(sa), 10000);
	np_tell(b, "quit");
	np_expect(b, "stats", sb, sizeof(sb), 10000);
	printf("  A: %s\n  B: %s\n", sa, sb);
	if (stat_field(sa, "corrupt") + stat_field(sb, "corrupt") == 0)
		NP_FAIL("no corrupt frames counted");
	if (stat_field(sa, "short") + stat_field(sb, "short") == 0)
		NP_FAIL("no short frames counted");
	if (stat_field(sa, "resets") + stat_field(sb, "resets") == 0)
		NP_FAIL("no bus reset counted");
	np_join(a, 10000);
	np_join(b, 10000);
	np_done();
}
