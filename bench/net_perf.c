/*
 * net_perf.c — networking benchmarks: each prints raw samples, one
 * "name value" line per repetition, for bench/run.sh (report_net.awk) to
 * take medians of.  Kernels run in child processes on a shmif bus in a
 * temporary directory (tests/net/netproc.c), or on a TAP device in a
 * network namespace made for the run.
 *
 *	net_perf tcp REPS MIB     TCP bulk: two kernels over shmif at MTU
 *	                          1500, 9000 and 65535, and Linux over its
 *	                          loopback (MTU 65536) with the same byte count
 *	                          (shmif_tcp_mibs, shmif9k_tcp_mibs,
 *	                          shmif64k_tcp_mibs, host_tcp_mibs)
 *	net_perf rr REPS N        1-byte request/response round trips over
 *	                          shmif and over loopback (shmif_rr_us,
 *	                          host_rr_us)
 *	net_perf conn REPS N      open + close N TCP connections between two
 *	                          kernels, and over loopback (shmif_conn_s,
 *	                          host_conn_s)
 *	net_perf tap REPS MIB N   root only: rump <-> Linux over a TAP and
 *	                          Linux <-> Linux over a veth pair, each in
 *	                          namespaces of its own: bulk rump -> Linux
 *	                          and Linux -> rump with the TAP's offloads
 *	                          (tap_tcp_mibs, tap_rx_tcp_mibs) and
 *	                          without (link string offload=off:
 *	                          tap_plain_tcp_mibs, tap_plain_rx_tcp_mibs),
 *	                          veth_tcp_mibs, tap_rr_us, veth_rr_us;
 *	                          prints "skip tap <reason>" when it cannot
 *
 * Kernel environment (RUMP_SHMIF_*, RUMP_NCPU) passes to the children.
 * NET_PERF_ONLY=name runs only the samples of that name; NET_PERF_STATS=1
 * makes the bulk children print their shmif counters to stderr.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rump/netconfig.h>
#include <rump/rump.h>

#include "../tests/net/netproc.h"

/* netproc.c uses the test harness's failure and clock functions. */
void
t_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "net_perf: %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(NULL);
	_exit(1);
}

void
t_skip(const char *fmt, ...)
{
	(void)fmt;
	_exit(77);
}

uint64_t
t_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#define CHUNK (256 * 1024)

/* The socket calls, on the kernel (rump) or on the host. */
struct ops {
	int (*socket)(int, int, int);
	int (*bind)(int, const struct sockaddr *, socklen_t);
	int (*listen)(int, int);
	int (*accept)(int, struct sockaddr *, socklen_t *);
	int (*connect)(int, const struct sockaddr *, socklen_t);
	ssize_t (*read)(int, void *, size_t);
	ssize_t (*write)(int, const void *, size_t);
	int (*close)(int);
	int (*setsockopt)(int, int, int, const void *, socklen_t);
};
static const struct ops rump_ops = {rump_sys_socket, rump_sys_bind,
    rump_sys_listen, rump_sys_accept, rump_sys_connect, rump_sys_read,
    rump_sys_write, rump_sys_close, rump_sys_setsockopt};
static const struct ops host_ops = {
    socket, bind, listen, accept, connect, read, write, close, setsockopt};

struct job {
	const struct ops *o;
	const char *bus;
	const char *netns;  /* the child enters it first */
	const char *tapdev; /* a virt interface on this TAP, else shmif */
	const char *addr;   /* our address (kernel children) */
	const char *peer;   /* whom to connect to */
	int port;
	uint64_t bytes; /* bulk: to send */
	int n;          /* rr: round trips; conn: connections */
	int mtu;        /* shmif: not the default */
};

static void
die(const char *what)
{
	np_die("%s: %s", what, strerror(errno));
}

/* NET_PERF_SOCKBUF=bytes sets SO_SNDBUF and SO_RCVBUF (0: the default). */
static void
sockbuf(const struct ops *o, int s)
{
	const char *e = getenv("NET_PERF_SOCKBUF");
	int v = e != NULL ? atoi(e) : 0;

	if (v > 0) {
		o->setsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
		o->setsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	}
}

static int
xlisten(const struct ops *o, int port)
{
	struct sockaddr_in sin = np_sin("0.0.0.0", port);
	int s, one = 1;

	if ((s = o->socket(AF_INET, SOCK_STREAM, 0)) == -1)
		die("socket");
	sockbuf(o, s);
	o->setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (o->bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		die("bind");
	if (o->listen(s, 1024) == -1)
		die("listen");
	return s;
}

static int
xconnect(const struct ops *o, const char *addr, int port)
{
	struct sockaddr_in sin = np_sin(addr, port);
	int s;

	if ((s = o->socket(AF_INET, SOCK_STREAM, 0)) == -1)
		die("socket");
	sockbuf(o, s);
	if (o->connect(s, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		die("connect");
	return s;
}

/* A kernel child: boot, attach, configure. */
static void
kernel_up(struct job *j)
{
	if (j->netns != NULL)
		np_netns_enter(j->netns);
	if (j->tapdev != NULL) {
		int error;

		np_boot();
		if ((error = rump_pub_netconfig_ifcreate("virt0")) != 0 ||
		    (error = rump_pub_netconfig_ifsetlinkstr(
		         "virt0", j->tapdev)) != 0 ||
		    (error = rump_pub_netconfig_ipv4_ifaddr_cidr(
		         "virt0", j->addr, 24)) != 0 ||
		    (error = rump_pub_netconfig_ifup("virt0")) != 0)
			np_die("virt0 on %s: %s", j->tapdev, strerror(error));
	} else {
		int n = np_boot_shmif(j->bus, j->addr, 24), error;
		char ifname[16];

		snprintf(ifname, sizeof(ifname), "shmif%d", n);
		if (j->mtu != 0 &&
		    (error = rump_pub_netconfig_ifsetmtu(ifname, j->mtu)) != 0)
			np_die("mtu %d: %s", j->mtu, strerror(error));
	}
}

static void
child_up(struct job *j)
{
	if (j->o == &rump_ops)
		kernel_up(j);
	else if (j->netns != NULL)
		np_netns_enter(j->netns);
}

/* NET_PERF_STATS=1: a kernel child prints its shmif0 counters to stderr. */
static void
shmif_stats(const struct job *j, const char *who)
{
	struct rump_shmif_stats st;

	if (getenv("NET_PERF_STATS") == NULL || j->o != &rump_ops ||
	    j->tapdev != NULL || rump_pub_shmif_stats("shmif0", &st) != 0)
		return;
	fprintf(stderr,
	    "%s: rx %llu tx %llu overruns %llu doorbells %llu sleeps %llu "
	    "nomem %llu\n",
	    who, st.ss_rxframes, st.ss_txframes, st.ss_overruns,
	    st.ss_doorbells, st.ss_sleeps, st.ss_nomem);
	int fd = rump_sys_open("/proc/net/tcpstat", O_RDONLY);
	if (fd >= 0) {
		static char b[4096];
		ssize_t n = rump_sys_read(fd, b, sizeof(b) - 1);

		if (n > 0) {
			b[n] = '\0';
			for (char *l = strtok(b, "\n"); l != NULL;
			     l = strtok(NULL, "\n"))
				if (strstr(l, "rexmt") || strstr(l, "tlp") ||
				    strstr(l, "timeo") || strstr(l, "oopack") ||
				    strstr(l, "dup"))
					fprintf(stderr, "%s:   %s\n", who, l);
		}
		rump_sys_close(fd);
	}
}

/* ------------------------------------------------------------- bulk */

static void
bulk_sink(void *arg)
{
	struct job *j = arg;
	static char buf[CHUNK];
	uint64_t total = 0, t0 = 0;
	ssize_t n;
	int l, s;

	child_up(j);
	l = xlisten(j->o, j->port);
	np_send("ready");
	if ((s = j->o->accept(l, NULL, NULL)) == -1)
		die("accept");
	while ((n = j->o->read(s, buf, sizeof(buf))) > 0) {
		if (total == 0)
			t0 = t_now_ns();
		total += (uint64_t)n;
	}
	if (n < 0)
		die("read");
	np_send("rx %llu %llu", (unsigned long long)total,
	    (unsigned long long)(t_now_ns() - t0));
	shmif_stats(j, "sink");
	j->o->close(s);
	np_exit();
}

static void
bulk_source(void *arg)
{
	struct job *j = arg;
	static char buf[CHUNK];
	uint64_t left = j->bytes;
	int s;

	child_up(j);
	memset(buf, 'x', sizeof(buf));
	s = xconnect(j->o, j->peer, j->port);
	while (left > 0) {
		ssize_t n = j->o->write(s, buf, left < CHUNK ? left : CHUNK);
		if (n <= 0)
			die("write");
		left -= (uint64_t)n;
	}
	j->o->close(s);
	shmif_stats(j, "source");
	np_send("done");
	np_recv(buf, 64, 30000); /* stay until the sink has it all */
	np_exit();
}

/* Runs a sink and a source; returns MiB/s seen by the sink. */
static double
bulk_run(struct job *sink, struct job *src)
{
	char r[128];
	unsigned long long bytes, ns;

	struct np_proc *a = np_spawn("sink", bulk_sink, sink);
	np_expect(a, "ready", NULL, 0, 20000);
	struct np_proc *b = np_spawn("source", bulk_source, src);
	np_expect(a, "rx", r, sizeof(r), 300000);
	np_kill(b);
	np_kill(a);
	if (sscanf(r, "%llu %llu", &bytes, &ns) != 2 || bytes != src->bytes)
		NP_FAIL("sink got \"%s\", expected %llu bytes", r,
		    (unsigned long long)src->bytes);
	return (double)bytes / (1024.0 * 1024.0) / ((double)ns / 1e9);
}

/* ------------------------------------------------- request/response */

static void
rr_server(void *arg)
{
	struct job *j = arg;
	char c;
	int l, s, one = 1;

	child_up(j);
	l = xlisten(j->o, j->port);
	np_send("ready");
	if ((s = j->o->accept(l, NULL, NULL)) == -1)
		die("accept");
	j->o->setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	while (j->o->read(s, &c, 1) == 1)
		if (j->o->write(s, &c, 1) != 1)
			die("write");
	np_exit();
}

static void
rr_client(void *arg)
{
	struct job *j = arg;
	char c = 'r';
	int s, one = 1;

	child_up(j);
	s = xconnect(j->o, j->peer, j->port);
	j->o->setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	for (int i = 0; i < 200; i++) /* warm up */
		if (j->o->write(s, &c, 1) != 1 || j->o->read(s, &c, 1) != 1)
			die("warm-up");
	uint64_t t0 = t_now_ns();
	for (int i = 0; i < j->n; i++)
		if (j->o->write(s, &c, 1) != 1 || j->o->read(s, &c, 1) != 1)
			die("round trip");
	uint64_t t1 = t_now_ns();
	shmif_stats(j, "rr client");
	np_send("rr %llu", (unsigned long long)(t1 - t0));
	j->o->close(s);
	np_exit();
}

/* Returns microseconds per round trip. */
static double
rr_run(struct job *srv, struct job *cli)
{
	char r[64];

	struct np_proc *a = np_spawn("server", rr_server, srv);
	np_expect(a, "ready", NULL, 0, 20000);
	struct np_proc *b = np_spawn("client", rr_client, cli);
	np_expect(b, "rr", r, sizeof(r), 120000);
	np_kill(b);
	np_kill(a);
	return (double)strtoull(r, NULL, 10) / 1e3 / cli->n;
}

/* ---------------------------------------------------- connections */

static void
conn_server(void *arg)
{
	struct job *j = arg;
	int l, s;

	child_up(j);
	l = xlisten(j->o, j->port);
	np_send("ready");
	for (;;) {
		if ((s = j->o->accept(l, NULL, NULL)) == -1)
			die("accept");
		j->o->close(s);
	}
}

static void
conn_client(void *arg)
{
	struct job *j = arg;
	char c;

	child_up(j);
	uint64_t t0 = t_now_ns();
	for (int i = 0; i < j->n; i++) {
		int s = xconnect(j->o, j->peer, j->port);
		/* The server's close: EOF; then ours. */
		if (j->o->read(s, &c, 1) != 0)
			die("read EOF");
		j->o->close(s);
	}
	uint64_t t1 = t_now_ns();
	shmif_stats(j, "conn client");
	np_send("conn %llu", (unsigned long long)(t1 - t0));
	np_exit();
}

/* Returns connections per second. */
static double
conn_run(struct job *srv, struct job *cli)
{
	char r[64];

	struct np_proc *a = np_spawn("server", conn_server, srv);
	np_expect(a, "ready", NULL, 0, 20000);
	struct np_proc *b = np_spawn("client", conn_client, cli);
	np_expect(b, "conn", r, sizeof(r), 300000);
	np_kill(b);
	np_kill(a);
	return cli->n / ((double)strtoull(r, NULL, 10) / 1e9);
}

/* ------------------------------------------------------------ main */

static int port = 7000;

/* NET_PERF_ONLY=name runs only the benchmark of that name (profiling). */
static bool
want(const char *name)
{
	const char *e = getenv("NET_PERF_ONLY");

	return e == NULL || *e == '\0' || strcmp(e, name) == 0;
}

static void
pair(struct job *s, struct job *c, const struct ops *o, const char *bus)
{
	memset(s, 0, sizeof(*s));
	memset(c, 0, sizeof(*c));
	s->o = c->o = o;
	s->bus = c->bus = bus;
	s->addr = "10.0.0.2";
	c->addr = "10.0.0.1";
	c->peer = o == &host_ops ? "127.0.0.1" : "10.0.0.2";
	s->port = c->port = port++;
}

static int
sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return np_system("%s >/dev/null 2>&1", cmd);
}

static char ns_tap[64], ns_a[64], ns_b[64];

static void
netns_cleanup(void)
{
	if (ns_tap[0])
		sh("ip netns del %s", ns_tap);
	if (ns_a[0])
		sh("ip netns del %s", ns_a);
	if (ns_b[0])
		sh("ip netns del %s", ns_b);
}

static const char *
tap_setup(void)
{
	int pid = (int)getpid();

	if (geteuid() != 0)
		return "not root";
	if (access("/dev/net/tun", R_OK | W_OK) != 0)
		return "no /dev/net/tun";
	if (sh("command -v ip") != 0)
		return "no ip(8)";
	snprintf(ns_tap, sizeof(ns_tap), "rumpkbt%d", pid);
	snprintf(ns_a, sizeof(ns_a), "rumpkba%d", pid);
	snprintf(ns_b, sizeof(ns_b), "rumpkbb%d", pid);
	atexit(netns_cleanup);
	if (sh("ip netns add %s", ns_tap) || sh("ip netns add %s", ns_a) ||
	    sh("ip netns add %s", ns_b))
		return "ip netns add failed";
	if (sh("ip -n %s tuntap add dev rtap0 mode tap", ns_tap) ||
	    sh("ip -n %s addr add 10.9.0.1/24 dev rtap0", ns_tap) ||
	    sh("ip -n %s link set rtap0 up", ns_tap) ||
	    sh("ip -n %s link set lo up", ns_tap))
		return "cannot set up a TAP device";
	if (sh("ip link add rkva%d netns %s type veth peer name rkvb%d netns "
	       "%s",
	        pid, ns_a, pid, ns_b) ||
	    sh("ip -n %s addr add 10.8.0.1/24 dev rkva%d", ns_a, pid) ||
	    sh("ip -n %s addr add 10.8.0.2/24 dev rkvb%d", ns_b, pid) ||
	    sh("ip -n %s link set rkva%d up", ns_a, pid) ||
	    sh("ip -n %s link set rkvb%d up", ns_b, pid))
		return "cannot set up a veth pair";
	return NULL;
}

int
main(int argc, char **argv)
{
	struct job s, c;
	int reps;

	if (argc < 3) {
		fprintf(stderr, "usage: net_perf tcp|rr|conn|tap REPS ...\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	reps = atoi(argv[2]);
	/* Bus files on tmpfs: no writeback of the mapping behind our back. */
	if (getenv("TMPDIR") == NULL && access("/dev/shm", W_OK) == 0)
		setenv("TMPDIR", "/dev/shm", 1);
	np_init();
	if (strcmp(argv[1], "tcp") == 0 && argc == 4) {
		uint64_t bytes = strtoull(argv[3], NULL, 10) * 1024 * 1024;
		for (int i = 0; i < reps; i++) {
			pair(&s, &c, &rump_ops, np_path("bus"));
			c.bytes = bytes;
			if (want("shmif_tcp_mibs"))
				printf(
				    "shmif_tcp_mibs %.1f\n", bulk_run(&s, &c));
			pair(&s, &c, &rump_ops, np_path("bus9k"));
			c.bytes = bytes;
			s.mtu = c.mtu = 9000;
			if (want("shmif9k_tcp_mibs"))
				printf("shmif9k_tcp_mibs %.1f\n",
				    bulk_run(&s, &c));
			pair(&s, &c, &rump_ops, np_path("bus64k"));
			c.bytes = bytes;
			s.mtu = c.mtu = 65535;
			if (want("shmif64k_tcp_mibs"))
				printf("shmif64k_tcp_mibs %.1f\n",
				    bulk_run(&s, &c));
			pair(&s, &c, &host_ops, NULL);
			c.bytes = bytes;
			if (want("host_tcp_mibs"))
				printf(
				    "host_tcp_mibs %.1f\n", bulk_run(&s, &c));
		}
	} else if (strcmp(argv[1], "rr") == 0 && argc == 4) {
		for (int i = 0; i < reps; i++) {
			pair(&s, &c, &rump_ops, np_path("bus"));
			c.n = atoi(argv[3]);
			if (want("shmif_rr_us"))
				printf("shmif_rr_us %.2f\n", rr_run(&s, &c));
			pair(&s, &c, &host_ops, NULL);
			c.n = atoi(argv[3]);
			if (want("host_rr_us"))
				printf("host_rr_us %.2f\n", rr_run(&s, &c));
		}
	} else if (strcmp(argv[1], "conn") == 0 && argc == 4) {
		for (int i = 0; i < reps; i++) {
			pair(&s, &c, &rump_ops, np_path("bus"));
			c.n = atoi(argv[3]);
			if (want("shmif_conn_s"))
				printf("shmif_conn_s %.0f\n", conn_run(&s, &c));
			pair(&s, &c, &host_ops, NULL);
			c.n = atoi(argv[3]);
			if (want("host_conn_s"))
				printf("host_conn_s %.0f\n", conn_run(&s, &c));
		}
	} else if (strcmp(argv[1], "tap") == 0 && argc == 5) {
		const char *why = tap_setup();
		uint64_t bytes = strtoull(argv[3], NULL, 10) * 1024 * 1024;

		if (why != NULL) {
			printf("skip tap %s\n", why);
			np_done();
			return 0;
		}
		for (int i = 0; i < reps; i++) {
			static const char *const link[2] = {
			    "rtap0", "rtap0,offload=off"};
			static const char *const name[2][2] = {
			    {"tap_tcp_mibs", "tap_rx_tcp_mibs"},
			    {"tap_plain_tcp_mibs", "tap_plain_rx_tcp_mibs"}};

			for (int plain = 0; plain < 2; plain++) {
				/* rump (virt0 10.9.0.2) sends to Linux (rtap0
				 * 10.9.0.1) */
				pair(&s, &c, &host_ops, NULL);
				s.netns = ns_tap;
				c.o = &rump_ops;
				c.netns = ns_tap;
				c.tapdev = link[plain];
				c.addr = "10.9.0.2";
				c.peer = "10.9.0.1";
				c.bytes = bytes;
				printf("%s %.1f\n", name[plain][0],
				    bulk_run(&s, &c));
				/* and Linux to rump */
				pair(&s, &c, &host_ops, NULL);
				s.o = &rump_ops;
				s.netns = ns_tap;
				s.tapdev = link[plain];
				s.addr = "10.9.0.2";
				c.netns = ns_tap;
				c.peer = "10.9.0.2";
				c.bytes = bytes;
				printf("%s %.1f\n", name[plain][1],
				    bulk_run(&s, &c));
			}
			/* Linux to Linux over the veth pair */
			pair(&s, &c, &host_ops, NULL);
			s.netns = ns_b;
			c.netns = ns_a;
			c.peer = "10.8.0.2";
			c.bytes = bytes;
			printf("veth_tcp_mibs %.1f\n", bulk_run(&s, &c));
			/* request/response, the same two ways */
			pair(&s, &c, &host_ops, NULL);
			s.netns = ns_tap;
			c.o = &rump_ops;
			c.netns = ns_tap;
			c.tapdev = "rtap0";
			c.addr = "10.9.0.2";
			c.peer = "10.9.0.1";
			c.n = atoi(argv[4]);
			printf("tap_rr_us %.2f\n", rr_run(&s, &c));
			pair(&s, &c, &host_ops, NULL);
			s.netns = ns_b;
			c.netns = ns_a;
			c.peer = "10.8.0.2";
			c.n = atoi(argv[4]);
			printf("veth_rr_us %.2f\n", rr_run(&s, &c));
		}
	} else {
		fprintf(stderr, "net_perf: bad arguments\n");
		return 2;
	}
	np_done();
	return 0;
}
