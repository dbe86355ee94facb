/*
 * t_lwip.c — a rump kernel against lwIP, a TCP/IP stack written by others
 * (Debian's liblwip: tests/net/lwip_peer.c on its unix port's tapif): each
 * on a TAP device of its own, the two TAPs joined by a Linux bridge in a
 * network namespace made for the case.  TCP both ways, SHA-256 checked on
 * the receiving side.  Needs root, /dev/net/tun, ip(8) and liblwip-dev
 * (lwip_peer is built only with it); SKIPs otherwise.
 *
 * lwIP's TAP has no offloads (its tapif reads plain frames), ours has
 * them: what the kernel sends as TSO segments with partial checksums,
 * Linux cuts and sums on the way to lwIP, which checks every checksum.
 * rump_to_lwip captures both TAPs with tcpdump and checks that the
 * kernel's side carried segments longer than the MTU and that every TCP
 * checksum on lwIP's side is correct (tcpdump -vv).
 *
 * Layout: namespace rumpkl<pid>: bridge br0 with rtap0 (the kernel's
 * virt0, 10.7.0.2/24) and ltap0 (lwIP, 10.7.0.3/24).
 *
 * Debian's liblwip 2.1.3 receives frames on tapif into pool pbufs whose
 * buffers are allocated for a 536-byte MSS but filled as for 1460 (its
 * memp.c and pbuf.c disagree on PBUF_POOL_BUFSIZE), so a frame longer
 * than 590 bytes sent to it overruns the heap.  The kernel's virt0 runs
 * with an MTU of 576 here: every frame it sends to lwIP is 590 bytes at
 * most, and TCP's MSS of 536 keeps lwIP's segments as short.
 */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rump/netconfig.h>
#include <rump/rump.h>

#include "harness.h"
#include "netproc.h"

#define MB (1024 * 1024)

struct lw_peer {
	const char *netns;
	const char *link; /* virt0's link string; NULL: "rtap0" */
	int port;
	uint64_t nbytes, seed;
	bool sink;
};

static void
lw_kernel_main(void *arg)
{
	struct lw_peer *lp = arg;
	char hex[65], line[64];
	int error;

	np_netns_enter(lp->netns);
	np_boot();
	if ((error = rump_pub_netconfig_ifcreate("virt0")) != 0 ||
	    (error = rump_pub_netconfig_ifsetlinkstr(
	         "virt0", lp->link != NULL ? lp->link : "rtap0")) != 0 ||
	    (error = rump_pub_netconfig_ifsetmtu("virt0", 576)) != 0 ||
	    (error = rump_pub_netconfig_ipv4_ifaddr_cidr(
	         "virt0", "10.7.0.2", 24)) != 0 ||
	    (error = rump_pub_netconfig_ifup("virt0")) != 0)
		np_die("virt0 on rtap0: %s", strerror(error));
	if (lp->sink) {
		int l = np_tcp_listen(lp->port), s;

		np_send("ready");
		NP_CHECK((s = rump_sys_accept(l, NULL, NULL)) != -1);
		uint64_t n = np_recv_hash(s, hex);
		np_send("sha256 %s %llu", hex, (unsigned long long)n);
		rump_sys_close(s);
	} else {
		np_send("ready");
		if (!np_recv(line, sizeof(line), 30000) ||
		    strcmp(line, "go") != 0)
			np_die("no go");
		int s = -1;
		for (int tries = 0; tries < 50 && s == -1; tries++) {
			struct sockaddr_in sin = np_sin("10.7.0.3", lp->port);
			NP_CHECK((s = rump_sys_socket(
			              AF_INET, SOCK_STREAM, 0)) != -1);
			if (rump_sys_connect(s, (struct sockaddr *)&sin,
			        sizeof(sin)) == -1) {
				rump_sys_close(s);
				s = -1;
				usleep(100000);
			}
		}
		NP_CHECK(s != -1);
		np_send_stream(s, lp->nbytes, lp->seed, hex);
		NP_CHECK(rump_sys_close(s) == 0);
		np_send("sent %s", hex);
	}
	while (np_recv(line, sizeof(line), 600000) && strcmp(line, "quit") != 0)
		;
	np_exit();
}

static const char *
lw_setup(char *peer, size_t len)
{
	const char *why, *ns;

	np_init();
	snprintf(peer, len, "%s/lwip_peer", np_selfdir());
	if (access(peer, X_OK) != 0) {
		np_done();
		T_SKIP("lwip_peer not built (no liblwip-dev)");
	}
	if ((ns = np_netns_make("rumpkl", &why)) == NULL) {
		np_done();
		T_SKIP("%s", why);
	}
	if (np_system("ip -n %s link add br0 type bridge", ns) != 0 ||
	    np_system("ip -n %s tuntap add dev rtap0 mode tap", ns) != 0 ||
	    np_system("ip -n %s tuntap add dev ltap0 mode tap", ns) != 0 ||
	    np_system("ip -n %s link set rtap0 master br0", ns) != 0 ||
	    np_system("ip -n %s link set ltap0 master br0", ns) != 0 ||
	    np_system("ip -n %s link set br0 up", ns) != 0 ||
	    np_system("ip -n %s link set rtap0 up", ns) != 0 ||
	    np_system("ip -n %s link set ltap0 up", ns) != 0)
		NP_FAIL("cannot set up the bridge in %s", ns);
	return ns;
}

/* Starts lwip_peer with args in ns; returns its output stream. */
static FILE *
lw_start(const char *ns, const char *peer, const char *args, pid_t *pidp)
{
	int fds[2];
	pid_t pid;
	char line[256];
	FILE *f;

	if (pipe(fds) == -1)
		NP_FAIL("pipe");
	fflush(NULL);
	if ((pid = fork()) == 0) {
		char cmd[1024];

		dup2(fds[1], 1);
		close(fds[0]);
		snprintf(cmd, sizeof(cmd),
		    "exec ip netns exec %s %s ltap0 10.7.0.3 %s", ns, peer,
		    args);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	*pidp = pid;
	np_atcleanup("kill -9 %d", (int)pid);
	f = fdopen(fds[0], "r");
	if (fgets(line, sizeof(line), f) == NULL ||
	    strncmp(line, "ready", 5) != 0)
		NP_FAIL("lwip_peer did not start: %s", line);
	return f;
}

/* Starts tcpdump on ifname in ns writing the first count TCP frames to
 * path; returns once it listens. */
static pid_t
lw_capture(const char *ns, const char *ifname, const char *path, int count)
{
	int fds[2];
	pid_t pid;
	char line[256];
	FILE *f;

	if (pipe(fds) == -1)
		NP_FAIL("pipe");
	fflush(NULL);
	if ((pid = fork()) == 0) {
		char cmd[1024];

		dup2(fds[1], 2);
		close(fds[0]);
		snprintf(cmd, sizeof(cmd),
		    "exec ip netns exec %s tcpdump -i %s -n -U -s 0 -c %d "
		    "-w %s tcp",
		    ns, ifname, count, path);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	np_atcleanup("kill -9 %d", (int)pid);
	f = fdopen(fds[0], "r");
	if (fgets(line, sizeof(line), f) == NULL ||
	    strstr(line, "listening") == NULL)
		NP_FAIL("tcpdump on %s did not start: %s", ifname, line);
	fclose(f);
	return pid;
}

/* Ends a capture (it may have ended by itself after its count). */
static void
lw_capture_end(pid_t pid)
{
	usleep(200000);
	kill(pid, SIGINT);
	waitpid(pid, NULL, 0);
}

/* The largest IPv4 total length in capture path (tcpdump -v). */
static unsigned long
lw_max_iplen(const char *path)
{
	char *out = np_output("tcpdump -n -v -r %s 2>/dev/null", path), *p;
	unsigned long max = 0;

	for (p = out; (p = strstr(p, "proto TCP (6), length ")) != NULL;) {
		unsigned long v;

		p += strlen("proto TCP (6), length ");
		v = strtoul(p, NULL, 10);
		if (v > max)
			max = v;
	}
	free(out);
	return max;
}

/* Counts the TCP checksums tcpdump -vv finds correct and incorrect. */
static void
lw_cksums(const char *path, unsigned *good, unsigned *bad)
{
	char *out = np_output("tcpdump -n -vv -r %s 2>/dev/null", path), *p;

	*good = *bad = 0;
	for (p = out; (p = strstr(p, "cksum 0x")) != NULL; p += 8) {
		const char *q = p + 8;

		q += strspn(q, "0123456789abcdef");
		if (strncmp(q, " (correct)", 10) == 0)
			(*good)++;
		else if (strncmp(q, " (incorrect", 11) == 0)
			(*bad)++;
	}
	free(out);
}

/* The kernel sends 16 MiB to lwIP; virt0 has link string link. */
static void
kernel_to_lwip(const char *link)
{
	struct lw_peer lp = {
	    .port = 5201, .nbytes = 16ULL * MB, .seed = 21, .link = link};
	char peer[1024], want[65], sent[128], line[256], h[65];
	unsigned long long n;
	pid_t pid;

	lp.netns = lw_setup(peer, sizeof(peer));
	np_stream_hash(lp.seed, lp.nbytes, want);
	FILE *lw = lw_start(lp.netns, peer, "sink 5201", &pid);
	struct np_proc *k = np_spawn("kernel", lw_kernel_main, &lp);
	np_expect(k, "ready", NULL, 0, 10000);
	bool dump = np_system("command -v tcpdump >/dev/null 2>&1") == 0;
	pid_t cr = -1, cl = -1;
	if (dump) {
		cr = lw_capture(lp.netns, "rtap0", np_path("rtap0.pcap"), 2000);
		cl = lw_capture(lp.netns, "ltap0", np_path("ltap0.pcap"), 4000);
	} else
		printf("  (no tcpdump: the captures are not checked)\n");
	np_tell(k, "go");
	np_expect(k, "sent", sent, sizeof(sent), 100000);
	if (dump) {
		unsigned good, bad;
		unsigned long big;

		lw_capture_end(cr);
		lw_capture_end(cl);
		big = lw_max_iplen(np_path("rtap0.pcap"));
		lw_cksums(np_path("ltap0.pcap"), &good, &bad);
		printf("  rtap0: IP packets up to %lu bytes; ltap0: %u TCP "
		       "checksums correct, %u incorrect\n",
		    big, good, bad);
		if (link == NULL ? big <= 576 : big > 576)
			NP_FAIL("offloads %s, but the largest IP packet on "
			        "rtap0 has %lu bytes",
			    link == NULL ? "on" : "off", big);
		if (good < 100 || bad != 0)
			NP_FAIL("ltap0: %u TCP checksums correct, %u incorrect",
			    good, bad);
	}
	if (fgets(line, sizeof(line), lw) == NULL)
		NP_FAIL("lwip_peer said nothing");
	if (strcmp(sent, want) != 0)
		NP_FAIL("the kernel hashed %s, expected %s", sent, want);
	if (sscanf(line, "sha256 %64s %llu", h, &n) != 2 || n != lp.nbytes ||
	    strcmp(h, want) != 0)
		NP_FAIL("lwIP received \"%s\", expected %s %llu", line, want,
		    (unsigned long long)lp.nbytes);
	fclose(lw);
	waitpid(pid, NULL, 0);
	np_tell(k, "quit");
	np_join(k, 10000);
	np_done();
}

T_CASE(rump_to_lwip,
    "16 MiB of TCP from the kernel to lwIP over a bridge, hashes match")
{
	kernel_to_lwip(NULL);
}

T_CASE(rump_to_lwip_plain,
    "the same with virt0's offloads off: plain frames on both TAPs")
{
	kernel_to_lwip("rtap0,offload=off");
}

T_CASE(lwip_to_rump,
    "16 MiB of TCP from lwIP to the kernel over a bridge, hashes match")
{
	struct lw_peer lp = {.port = 5202, .sink = true};
	char peer[1024], want[65], got[128], line[256], h[65], args[128];
	unsigned long long n;
	pid_t pid;

	lp.netns = lw_setup(peer, sizeof(peer));
	np_stream_hash(22, 16ULL * MB, want);
	struct np_proc *k = np_spawn("kernel", lw_kernel_main, &lp);
	np_expect(k, "ready", NULL, 0, 10000);
	snprintf(
	    args, sizeof(args), "source 10.7.0.2 5202 %llu 22", 16ULL * MB);
	FILE *lw = lw_start(lp.netns, peer, args, &pid);
	np_expect(k, "sha256", got, sizeof(got), 100000);
	if (fgets(line, sizeof(line), lw) == NULL ||
	    strncmp(line, "sent ", 5) != 0)
		NP_FAIL("lwip_peer: %s", line);
	line[strcspn(line, "\n")] = '\0';
	if (strcmp(line + 5, want) != 0)
		NP_FAIL("lwIP hashed %s, expected %s", line + 5, want);
	if (sscanf(got, "%64s %llu", h, &n) != 2 || n != 16ULL * MB ||
	    strcmp(h, want) != 0)
		NP_FAIL("the kernel received \"%s\", expected %s", got, want);
	fclose(lw);
	waitpid(pid, NULL, 0);
	np_tell(k, "quit");
	np_join(k, 10000);
	np_done();
}
