/*
 * t_tap.c — a rump kernel on a host TAP device (virtif) against the Linux
 * TCP/IP stack, in a network namespace made for each case: Linux ping
 * reaches the kernel, 64 MiB of TCP each way with SHA-256 checked on the
 * other side (Linux's end is python3), the same under loss and
 * reordering injected on the kernel's receive path (RUMP_VIRTIF_FAULT),
 * and a capture of virt0 read by tcpdump.  Needs root, /dev/net/tun and
 * ip(8); SKIPs otherwise.
 *
 * The TAP's offloads (virtio-net header, TSO and checksum offload both
 * ways) are on by default: the bulk cases check from the kernel's TCP
 * counters that it sent TSO segments or received coalesced ones, and the
 * plain_* cases run with the link string's offload=off and check that
 * it did neither.  forward_tso has Linux send through a kernel that
 * forwards its coalesced packets from virt0 onto a shmif bus (no
 * offloads) to a second kernel: the router cuts and checksums them in
 * software, the second kernel verifies every checksum and the hash.
 *
 * Layout: namespace rumpkt<pid> holds TAP rtap0 with 10.9.0.1/24 (Linux)
 * and the kernel's virt0 on it with 10.9.0.2/24; in forward_tso the
 * kernel also has shmif0 10.10.0.1/24 to the sink's 10.10.0.2.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <unistd.h>

#include <rump/netconfig.h>
#include <rump/rump.h>

#include "harness.h"
#include "netproc.h"

#define MB (1024 * 1024)

struct tap_peer {
	const char *netns;
	const char *env;  /* "NAME=value ..." for the kernel */
	const char *link; /* virt0's link string; NULL: "rtap0" */
	const char *bus;  /* also a shmif on this bus, forwarding */
	int port;
	uint64_t nbytes, seed;
	bool sink;
};

static void
tap_kernel(const struct tap_peer *tp)
{
	const char *link = tp->link != NULL ? tp->link : "rtap0";
	int error;

	np_netns_enter(tp->netns);
	if (tp->env != NULL) {
		char *e = strdup(tp->env), *save = NULL;

		for (char *w = strtok_r(e, " ", &save); w != NULL;
		     w = strtok_r(NULL, " ", &save)) {
			char *eq = strchr(w, '=');

			*eq = '\0';
			setenv(w, eq + 1, 1);
		}
	}
	np_boot();
	if ((error = rump_pub_netconfig_ifcreate("virt0")) != 0 ||
	    (error = rump_pub_netconfig_ifsetlinkstr("virt0", link)) != 0 ||
	    (error = rump_pub_netconfig_ipv4_ifaddr_cidr(
	         "virt0", "10.9.0.2", 24)) != 0 ||
	    (error = rump_pub_netconfig_ifup("virt0")) != 0)
		np_die("virt0 on %s: %s", link, strerror(error));
	if (tp->bus != NULL) {
		np_shmif(tp->bus, "10.10.0.1", 24);
		if ((error = rump_pub_netconfig_ipv4_forwarding(1)) != 0)
			np_die("forwarding: %s", strerror(error));
	}
}

/* The value of counter name in /proc file path ("name value" or, for
 * /proc/net/dev, the field'th number on the line of interface name). */
static unsigned long long
proc_value(const char *path, const char *name, int field)
{
	static char buf[16384];
	unsigned long long v[16];
	ssize_t n;
	char *p;
	int fd;

	NP_CHECK((fd = rump_sys_open(path, O_RDONLY)) != -1);
	NP_CHECK((n = rump_sys_read(fd, buf, sizeof(buf) - 1)) > 0);
	rump_sys_close(fd);
	buf[n] = '\0';
	for (p = buf; p != NULL && *p != '\0'; p = strchr(p, '\n')) {
		while (*p == '\n' || *p == ' ')
			p++;
		if (strncmp(p, name, strlen(name)) != 0 ||
		    (p[strlen(name)] != ' ' && p[strlen(name)] != ':'))
			continue;
		p += strlen(name) + 1;
		if (field == 0)
			return strtoull(p, NULL, 10);
		if (sscanf(p, "%llu %llu %llu", &v[0], &v[1], &v[2]) != 3)
			np_die("%s: bad line for %s", path, name);
		return v[field - 1];
	}
	np_die("%s: no %s", path, name);
}

/* Tells the parent the TCP offload counters: "tso SNDTSO RCVBIG". */
static void
tap_send_stats(void)
{
	np_send("tso %llu %llu", proc_value("/proc/net/tcpstat", "sndtso", 0),
	    proc_value("/proc/net/tcpstat", "rcvbig", 0));
}

/* The kernel: up on the TAP, then a sink, a source, or idle. */
static void
tap_main(void *arg)
{
	struct tap_peer *tp = arg;
	char hex[65], line[64];

	tap_kernel(tp);
	if (tp->sink) {
		int l = np_tcp_listen(tp->port), s;

		np_send("ready");
		NP_CHECK((s = rump_sys_accept(l, NULL, NULL)) != -1);
		uint64_t n = np_recv_hash(s, hex);
		rump_sys_close(s);
		tap_send_stats();
		np_send("sha256 %s %llu", hex, (unsigned long long)n);
	} else if (tp->nbytes > 0) {
		np_send("ready");
		if (!np_recv(line, sizeof(line), 30000) ||
		    strcmp(line, "go") != 0)
			np_die("no go");
		int s = np_tcp_connect("10.9.0.1", tp->port);
		np_send_stream(s, tp->nbytes, tp->seed, hex);
		NP_CHECK(rump_sys_close(s) == 0);
		tap_send_stats();
		np_send("sent %s", hex);
	} else if (tp->bus != NULL) {
		np_send("ready");
		while (np_recv(line, sizeof(line), 600000) &&
		    strcmp(line, "stats") != 0)
			;
		/* virt0's frames received: bytes, then packets */
		np_send("virt0 %llu %llu",
		    proc_value("/proc/net/dev", "virt0", 1),
		    proc_value("/proc/net/dev", "virt0", 2));
	} else
		np_send("ready");
	while (np_recv(line, sizeof(line), 600000) && strcmp(line, "quit") != 0)
		;
	rump_sys_reboot(RB_HALT_SYSTEM); /* flushes a capture */
	np_send("halted");
	np_exit();
}

/* Namespace with rtap0 10.9.0.1/24 up; skips the case if impossible. */
static const char *
tap_setup(void)
{
	const char *why, *ns;

	np_init();
	if ((ns = np_netns_make("rumpkt", &why)) == NULL) {
		np_done();
		T_SKIP("%s", why);
	}
	if (np_system("ip -n %s tuntap add dev rtap0 mode tap", ns) != 0 ||
	    np_system("ip -n %s addr add 10.9.0.1/24 dev rtap0", ns) != 0 ||
	    np_system("ip -n %s link set rtap0 up", ns) != 0)
		NP_FAIL("cannot set up rtap0 in %s", ns);
	return ns;
}

static const char *python_sink =
    "import hashlib,socket,sys\n"
    "l=socket.socket(); l.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
    "l.bind(('10.9.0.1',int(sys.argv[1]))); l.listen(1)\n"
    "print('listening',flush=True)\n"
    "c,_=l.accept(); h=hashlib.sha256(); n=0\n"
    "while True:\n"
    "    b=c.recv(1<<20)\n"
    "    if not b: break\n"
    "    h.update(b); n+=len(b)\n"
    "print('sha256',h.hexdigest(),n,flush=True)\n";

static const char *python_source =
    "import socket,sys\n"
    "s=socket.create_connection((sys.argv[1],int(sys.argv[2])),timeout=60)\n"
    "f=open(sys.argv[3],'rb')\n"
    "while True:\n"
    "    b=f.read(1<<20)\n"
    "    if not b: break\n"
    "    s.sendall(b)\n"
    "s.close()\n"
    "print('sent',flush=True)\n";

static bool
have_python(void)
{
	return np_system("command -v python3 >/dev/null 2>&1") == 0;
}

T_CASE(ping_from_linux,
    "Linux ping reaches a kernel on a TAP; tcpdump reads virt0's capture")
{
	char env[512];
	struct tap_peer tp = {0};
	char *out;

	tp.netns = tap_setup();
	snprintf(env, sizeof(env), "RUMP_PCAP_virt0=%s", np_path("virt0.pcap"));
	tp.env = env;
	struct np_proc *k = np_spawn("kernel", tap_main, &tp);
	np_expect(k, "ready", NULL, 0, 10000);
	if (np_system("command -v ping >/dev/null 2>&1") != 0)
		NP_FAIL("no ping(8) (iputils-ping)");
	out = np_output(
	    "ip netns exec %s ping -c 3 -i 0.2 -W 2 10.9.0.2 2>&1", tp.netns);
	if (strstr(out, "3 received") == NULL)
		NP_FAIL("ping: %s", out);
	free(out);
	np_tell(k, "quit");
	np_expect(k, "halted", NULL, 0, 10000);
	np_join(k, 10000);
	out = np_output("tcpdump -n -r %s 2>&1", np_path("virt0.pcap"));
	if (strstr(out, "10.9.0.1 > 10.9.0.2: ICMP echo request") == NULL ||
	    strstr(out, "10.9.0.2 > 10.9.0.1: ICMP echo reply") == NULL ||
	    strstr(out, "ARP, Reply 10.9.0.2 is-at b2:a0:") == NULL)
		NP_FAIL("tcpdump -r virt0.pcap:\n%.3000s", out);
	free(out);
	np_done();
}

/*
 * Checks the kernel's "tso SNDTSO RCVBIG" line: with offloads, the sender
 * sent TSO segments (sender) or the receiver got coalesced ones; without,
 * neither happened.
 */
static void
check_tso(struct np_proc *k, bool offload, bool sender)
{
	char line[128];
	unsigned long long snd, rcv, v;

	np_expect(k, "tso", line, sizeof(line), 110000);
	if (sscanf(line, "%llu %llu", &snd, &rcv) != 2)
		NP_FAIL("bad tso line \"%s\"", line);
	v = sender ? snd : rcv;
	if (offload ? v == 0 : (snd != 0 || rcv != 0))
		NP_FAIL("offloads %s, but the kernel %s %llu TSO segments, got "
		        "%llu coalesced",
		    offload ? "on" : "off", "sent", snd, rcv);
	printf("  %s: %llu TSO segments sent, %llu coalesced received\n",
	    offload ? "offloads on" : "offloads off", snd, rcv);
}

/* The kernel sends nbytes to a python3 sink on Linux. */
static void
rump_to_linux(const char *env, const char *link, uint64_t nbytes)
{
	struct tap_peer tp = {.port = 5101,
	    .nbytes = nbytes,
	    .seed = 11,
	    .env = env,
	    .link = link};
	char want[65], sent[128], line[256], h[65];
	unsigned long long n;
	FILE *py;

	tp.netns = tap_setup();
	if (!have_python())
		NP_FAIL("no python3");
	np_stream_hash(tp.seed, nbytes, want);
	FILE *f = fopen(np_path("sink.py"), "w");
	fputs(python_sink, f);
	fclose(f);
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "ip netns exec %s python3 %s %d", tp.netns,
	    np_path("sink.py"), tp.port);
	fflush(NULL);
	py = popen(cmd, "r");
	if (py == NULL || fgets(line, sizeof(line), py) == NULL ||
	    strncmp(line, "listening", 9) != 0)
		NP_FAIL("the python3 sink did not start");
	struct np_proc *k = np_spawn("kernel", tap_main, &tp);
	np_expect(k, "ready", NULL, 0, 10000);
	uint64_t t0 = t_now_ns();
	np_tell(k, "go");
	check_tso(k, link == NULL, true);
	np_expect(k, "sent", sent, sizeof(sent), 110000);
	if (fgets(line, sizeof(line), py) == NULL)
		NP_FAIL("the python3 sink said nothing");
	pclose(py);
	double secs = (double)(t_now_ns() - t0) / 1e9;
	if (strcmp(sent, want) != 0)
		NP_FAIL("the kernel hashed %s, expected %s", sent, want);
	if (sscanf(line, "sha256 %64s %llu", h, &n) != 2 || n != nbytes ||
	    strcmp(h, want) != 0)
		NP_FAIL("Linux received \"%s\", expected sha256 %s %llu", line,
		    want, (unsigned long long)nbytes);
	printf("  %llu MiB rump -> Linux in %.2f s\n",
	    (unsigned long long)(nbytes / MB), secs);
	np_tell(k, "quit");
	np_join(k, 10000);
	np_done();
}

/* A python3 client on Linux sends nbytes of a file to the kernel's sink. */
static void
linux_to_rump(const char *env, const char *link, uint64_t nbytes)
{
	struct tap_peer tp = {
	    .port = 5102, .sink = true, .env = env, .link = link};
	char want[65], got[128], h[65];
	static char buf[1 << 20];
	unsigned long long n;

	tp.netns = tap_setup();
	if (!have_python())
		NP_FAIL("no python3");
	FILE *f = fopen(np_path("data"), "w");
	for (uint64_t off = 0; off < nbytes; off += sizeof(buf)) {
		size_t len =
		    nbytes - off < sizeof(buf) ? nbytes - off : sizeof(buf);
		np_stream(12, off, buf, len);
		fwrite(buf, 1, len, f);
	}
	fclose(f);
	np_stream_hash(12, nbytes, want);
	f = fopen(np_path("source.py"), "w");
	fputs(python_source, f);
	fclose(f);
	struct np_proc *k = np_spawn("kernel", tap_main, &tp);
	np_expect(k, "ready", NULL, 0, 10000);
	uint64_t t0 = t_now_ns();
	if (np_system("ip netns exec %s python3 %s 10.9.0.2 %d %s >/dev/null",
	        tp.netns, np_path("source.py"), tp.port, np_path("data")) != 0)
		NP_FAIL("the python3 client failed");
	check_tso(k, link == NULL, false);
	np_expect(k, "sha256", got, sizeof(got), 60000);
	double secs = (double)(t_now_ns() - t0) / 1e9;
	if (sscanf(got, "%64s %llu", h, &n) != 2 || n != nbytes ||
	    strcmp(h, want) != 0)
		NP_FAIL("the kernel received \"%s\", expected %s %llu", got,
		    want, (unsigned long long)nbytes);
	printf("  %llu MiB Linux -> rump in %.2f s\n",
	    (unsigned long long)(nbytes / MB), secs);
	np_tell(k, "quit");
	np_join(k, 10000);
	np_done();
}

T_CASE(
    tcp_rump_to_linux, "64 MiB from the kernel to a Linux server, hashes match")
{
	rump_to_linux(NULL, NULL, 64ULL * MB);
}

T_CASE(
    tcp_linux_to_rump, "64 MiB from a Linux client to the kernel, hashes match")
{
	linux_to_rump(NULL, NULL, 64ULL * MB);
}

T_CASE(lossy_rump_to_linux,
    "16 MiB kernel -> Linux, 2% of frames the kernel receives lost, 1% "
    "reordered")
{
	rump_to_linux(
	    "RUMP_VIRTIF_FAULT=drop=2,reorder=1,seed=3", NULL, 16ULL * MB);
}

T_CASE(lossy_linux_to_rump,
    "16 MiB Linux -> kernel with 2% loss and 1% reordering on the kernel's "
    "receive")
{
	linux_to_rump(
	    "RUMP_VIRTIF_FAULT=drop=2,reorder=1,seed=4", NULL, 16ULL * MB);
}

T_CASE(lossy_tso_rump_to_linux,
    "16 MiB kernel -> Linux, 2% of the kernel's TSO segments lost and 1% "
    "reordered")
{
	rump_to_linux("RUMP_TCP_DROP_PERMILLE=20 RUMP_TCP_REORDER_PERMILLE=10",
	    NULL, 16ULL * MB);
}

T_CASE(plain_rump_to_linux,
    "16 MiB kernel -> Linux with the TAP's offloads off (plain frames)")
{
	rump_to_linux(NULL, "rtap0,offload=off", 16ULL * MB);
}

T_CASE(plain_linux_to_rump,
    "16 MiB Linux -> kernel with the TAP's offloads off (plain frames)")
{
	linux_to_rump(NULL, "rtap0,offload=off", 16ULL * MB);
}

/* The sink of forward_tso: a kernel on the bus only. */
static void
shmif_sink_main(void *arg)
{
	struct tap_peer *tp = arg;
	char hex[65], line[64];
	int error, l, s;

	np_boot_shmif(tp->bus, "10.10.0.2", 24);
	if ((error = rump_pub_netconfig_ipv4_gw("10.10.0.1")) != 0)
		np_die("gateway: %s", strerror(error));
	l = np_tcp_listen(tp->port);
	np_send("ready");
	NP_CHECK((s = rump_sys_accept(l, NULL, NULL)) != -1);
	uint64_t n = np_recv_hash(s, hex);
	rump_sys_close(s);
	np_send("sha256 %s %llu", hex, (unsigned long long)n);
	while (np_recv(line, sizeof(line), 600000) && strcmp(line, "quit") != 0)
		;
	np_exit();
}

T_CASE(forward_tso,
    "Linux -> kernel on a TAP forwarding its coalesced TCP onto shmif -> "
    "kernel, 16 MiB, hashes match")
{
	struct tap_peer tp = {0}, sp = {.port = 5103};
	uint64_t nbytes = 16ULL * MB;
	static char buf[1 << 20];
	char want[65], got[128], line[128], h[65];
	unsigned long long n, bytes, pkts;

	tp.netns = tap_setup();
	if (!have_python())
		NP_FAIL("no python3");
	tp.bus = sp.bus = np_path("bus");
	if (np_system(
	        "ip -n %s route add 10.10.0.0/24 via 10.9.0.2", tp.netns) != 0)
		NP_FAIL("no route to 10.10.0.0/24");
	FILE *f = fopen(np_path("data"), "w");
	for (uint64_t off = 0; off < nbytes; off += sizeof(buf)) {
		np_stream(13, off, buf, sizeof(buf));
		fwrite(buf, 1, sizeof(buf), f);
	}
	fclose(f);
	np_stream_hash(13, nbytes, want);
	f = fopen(np_path("source.py"), "w");
	fputs(python_source, f);
	fclose(f);
	struct np_proc *r = np_spawn("router", tap_main, &tp);
	np_expect(r, "ready", NULL, 0, 10000);
	struct np_proc *k = np_spawn("sink", shmif_sink_main, &sp);
	np_expect(k, "ready", NULL, 0, 10000);
	if (np_system("ip netns exec %s python3 %s 10.10.0.2 %d %s >/dev/null",
	        tp.netns, np_path("source.py"), sp.port, np_path("data")) != 0)
		NP_FAIL("the python3 client failed");
	np_expect(k, "sha256", got, sizeof(got), 60000);
	if (sscanf(got, "%64s %llu", h, &n) != 2 || n != nbytes ||
	    strcmp(h, want) != 0)
		NP_FAIL("the sink received \"%s\", expected %s %llu", got, want,
		    (unsigned long long)nbytes);
	np_tell(r, "stats");
	np_expect(r, "virt0", line, sizeof(line), 10000);
	if (sscanf(line, "%llu %llu", &bytes, &pkts) != 2 || pkts == 0)
		NP_FAIL("bad virt0 line \"%s\"", line);
	/* Coalesced frames came in: more than a full frame on average. */
	printf("  router's virt0: %llu frames, %llu bytes on average\n", pkts,
	    bytes / pkts);
	if (bytes / pkts <= 1514)
		NP_FAIL("virt0 received no coalesced frames (%llu bytes on "
		        "average)",
		    bytes / pkts);
	np_tell(r, "quit");
	np_tell(k, "quit");
	np_join(r, 10000);
	np_join(k, 10000);
	np_done();
}
