/*
 * t_tcp.c — TCP inside one kernel over lo0 (127.0.0.1), called with the
 * host's own headers: connection setup and teardown, bulk transfers with
 * a hash check (also with segments dropped and reordered by the test
 * hook in tcp_output), many connections, half-close, RST cases, TIME_WAIT
 * and SO_REUSEADDR, keepalive against a silent peer, non-blocking
 * connect, zero windows, SO_LINGER, the listen backlog, TCP_INFO, the
 * SOL_TCP options and /proc/net/tcp.
 *
 * The hooks are TCP tunables set with rump_pub_tcp_set() (the files under
 * /proc/sys/net/ipv4): tcp_rumpk_drop_permille and _reorder_permille
 * drop or delay outgoing data segments, tcp_rumpk_drop_port silently
 * drops every segment from or to a port (a peer that vanished without a
 * FIN), tcp_rumpk_msl_ms shortens TIME_WAIT.
 */
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>

#include "harness.h"
#include "rumptest.h"
#include "sha256.h"

/* The TCP tunables (kernel/netinet/tcp_subr.c). */
int rump_pub_tcp_set(const char *name, long value);

#define LOOP htonl(INADDR_LOOPBACK)
#ifndef MIN
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#endif

static void
sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void
tset(const char *name, long v)
{
	int e = rump_pub_tcp_set(name, v);

	if (e != 0)
		T_FAIL("rump_pub_tcp_set(%s, %ld): %s", name, v, strerror(e));
}

static int
tsock(void)
{
	int fd = rump_sys_socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		T_FAIL("socket: %s", strerror(errno));
	return fd;
}

static void
setint(int fd, int level, int name, int v)
{
	if (rump_sys_setsockopt(fd, level, name, &v, sizeof(v)) != 0)
		T_FAIL("setsockopt(%d, %d, %d): %s", level, name, v,
		    strerror(errno));
}

static int
getint(int fd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);

	if (rump_sys_getsockopt(fd, level, name, &v, &len) != 0)
		T_FAIL("getsockopt(%d, %d): %s", level, name, strerror(errno));
	return v;
}

static struct sockaddr_in
sin_of(uint16_t port)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = LOOP;
	return sin;
}

/* A listener on 127.0.0.1:port (0: any); returns its fd, *portp its port. */
static int
listener(uint16_t port, int backlog, bool reuse, uint16_t *portp)
{
	int fd = tsock();
	struct sockaddr_in sin = sin_of(port);
	socklen_t len = sizeof(sin);

	if (reuse)
		setint(fd, SOL_SOCKET, SO_REUSEADDR, 1);
	T_OK(rump_sys_bind(fd, (struct sockaddr *)&sin, sizeof(sin)));
	T_OK(rump_sys_listen(fd, backlog));
	T_OK(rump_sys_getsockname(fd, (struct sockaddr *)&sin, &len));
	if (portp != NULL)
		*portp = ntohs(sin.sin_port);
	return fd;
}

static int
connect_to(uint16_t port)
{
	int fd = tsock();
	struct sockaddr_in sin = sin_of(port);

	T_OK(rump_sys_connect(fd, (struct sockaddr *)&sin, sizeof(sin)));
	return fd;
}

static int
accept_one(int lfd)
{
	int fd = rump_sys_accept(lfd, NULL, NULL);

	if (fd < 0)
		T_FAIL("accept: %s", strerror(errno));
	return fd;
}

/* A connected pair through a fresh listener (closed again). */
static void
tcp_pair(int *cp, int *sp, uint16_t *portp)
{
	uint16_t port;
	int l = listener(0, 16, false, &port);

	*cp = connect_to(port);
	*sp = accept_one(l);
	T_OK(rump_sys_close(l));
	if (portp != NULL)
		*portp = port;
}

static void
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = rump_sys_write(fd, p, len);

		if (n <= 0)
			T_FAIL("write: %zd (%s)", n, strerror(errno));
		p += n;
		len -= (size_t)n;
	}
}

static void
read_exact(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len > 0) {
		ssize_t n = rump_sys_read(fd, p, len);

		if (n <= 0)
			T_FAIL("read: %zd (%s)", n, strerror(errno));
		p += n;
		len -= (size_t)n;
	}
}

/* Deterministic data: a 64-bit xorshift stream. */
static void
fill(uint8_t *buf, size_t len, uint64_t *state)
{
	uint64_t x = *state;

	for (size_t i = 0; i < len; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(buf + i, &x, MIN(8, len - i));
	}
	*state = x;
}

/* A sender thread: total bytes of the stream seeded by seed, hashed. */
struct sender {
	int fd;
	size_t total;
	size_t chunk;
	uint64_t seed;
	bool shut; /* shutdown(SHUT_WR) at the end, else nothing */
	char hex[65];
	int err;
	size_t sent; /* [a] progress */
};

static void *
sender_main(void *arg)
{
	struct sender *s = arg;
	struct sha256 h;
	uint8_t digest[32], *buf = malloc(s->chunk);
	uint64_t st = s->seed;
	size_t left = s->total;

	sha256_init(&h);
	while (left > 0) {
		size_t n = MIN(left, s->chunk), off = 0;

		fill(buf, n, &st);
		sha256_update(&h, buf, n);
		while (off < n) {
			ssize_t w = rump_sys_write(s->fd, buf + off, n - off);

			if (w <= 0) {
				s->err = errno ? errno : EIO;
				free(buf);
				return NULL;
			}
			off += (size_t)w;
			__atomic_add_fetch(
			    &s->sent, (size_t)w, __ATOMIC_RELAXED);
		}
		left -= n;
	}
	sha256_final(&h, digest);
	sha256_hex(digest, s->hex);
	if (s->shut && rump_sys_shutdown(s->fd, SHUT_WR) != 0)
		s->err = errno;
	free(buf);
	return NULL;
}

/* Reads to EOF, hashing; returns the byte count. */
static size_t
read_hash(int fd, char hex[65])
{
	struct sha256 h;
	uint8_t digest[32];
	static uint8_t buf[1 << 20];
	size_t total = 0;

	sha256_init(&h);
	for (;;) {
		ssize_t n = rump_sys_read(fd, buf, sizeof(buf));

		if (n < 0)
			T_FAIL(
			    "read after %zu bytes: %s", total, strerror(errno));
		if (n == 0)
			break;
		sha256_update(&h, buf, (size_t)n);
		total += (size_t)n;
	}
	sha256_final(&h, digest);
	sha256_hex(digest, hex);
	return total;
}

/* Linux's struct tcp_info beyond what glibc's <netinet/tcp.h> has. */
struct tcp_info_ext {
	struct tcp_info ti;
	uint64_t pacing_rate, max_pacing_rate, bytes_acked, bytes_received;
	uint32_t segs_out, segs_in;
};

static struct tcp_info_ext
tinfo_ext(int fd)
{
	struct tcp_info_ext te;
	socklen_t len = sizeof(te);

	memset(&te, 0, sizeof(te));
	T_OK(rump_sys_getsockopt(fd, IPPROTO_TCP, TCP_INFO, &te, &len));
	T_EQ(len, sizeof(te));
	return te;
}

static struct tcp_info
tinfo(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	T_OK(rump_sys_getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len));
	return ti;
}

/* Prints /proc/net/tcpstat lines named in `names` (space separated). */
static void
print_tcpstat(const char *names)
{
	static char buf[4096];
	int fd = rump_sys_open("/proc/net/tcpstat", O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return;
	n = rump_sys_read(fd, buf, sizeof(buf) - 1);
	rump_sys_close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	printf("#  ");
	for (char *line = strtok(buf, "\n"); line != NULL;
	     line = strtok(NULL, "\n")) {
		char name[32];

		if (sscanf(line, "%31s", name) == 1 && strstr(names, name))
			printf(" %s", line);
	}
	printf("\n");
}

/* Transfers total bytes c → s with a hash check; returns MB/s. */
static double
transfer(int c, int s, size_t total, size_t chunk)
{
	struct sender snd = {.fd = c,
	    .total = total,
	    .chunk = chunk,
	    .seed = 0x9e3779b97f4a7c15ULL,
	    .shut = true};
	pthread_t th;
	char hex[65];
	uint64_t t0 = t_now_ns(), t1;
	size_t got;

	T_EQ(pthread_create(&th, NULL, sender_main, &snd), 0);
	got = read_hash(s, hex);
	t1 = t_now_ns();
	pthread_join(th, NULL);
	if (snd.err)
		T_FAIL("sender: %s", strerror(snd.err));
	T_EQ(got, total);
	if (strcmp(hex, snd.hex) != 0)
		T_FAIL("hash mismatch: sent %s received %s", snd.hex, hex);
	return (double)total / 1e6 / ((double)(t1 - t0) / 1e9);
}

/* ------------------------------------------------------------- cases */

T_CASE(basic, "connect, accept, both directions, addresses, EOF on close")
{
	int c, s;
	char buf[64];
	struct sockaddr_in a, b;
	socklen_t la = sizeof(a), lb = sizeof(b);

	t_boot();
	tcp_pair(&c, &s, NULL);
	write_all(c, "hello", 5);
	read_exact(s, buf, 5);
	T_ASSERT(memcmp(buf, "hello", 5) == 0);
	write_all(s, "world!", 6);
	read_exact(c, buf, 6);
	T_ASSERT(memcmp(buf, "world!", 6) == 0);
	T_OK(rump_sys_getsockname(c, (struct sockaddr *)&a, &la));
	T_OK(rump_sys_getpeername(s, (struct sockaddr *)&b, &lb));
	T_EQ(a.sin_port, b.sin_port);
	T_EQ(a.sin_addr.s_addr, LOOP);
	T_ASSERT(ntohs(a.sin_port) >= 32768);
	T_OK(rump_sys_close(c));
	T_EQ(rump_sys_read(s, buf, sizeof(buf)), 0);
	T_OK(rump_sys_close(s));
}

T_CASE(bulk_64m, "64 MiB over lo0 with a SHA-256 check; prints MB/s")
{
	int c, s;
	double mbs;

	t_boot();
	tcp_pair(&c, &s, NULL);
	mbs = transfer(c, s, 64u << 20, 1u << 20);
	printf("# bulk_64m: %.0f MB/s over lo0\n", mbs);
	struct tcp_info ti = tinfo(c);
	printf("# sender: cwnd %u segs, mss %u, rtt %u us, rcv_space(peer) "
	       "%u, retrans %u\n",
	    ti.tcpi_snd_cwnd, ti.tcpi_snd_mss, ti.tcpi_rtt,
	    tinfo(s).tcpi_rcv_space, ti.tcpi_total_retrans);
	print_tcpstat("rexmttimeo tlp fastrexmt sndrexmitpack");
	T_OK(rump_sys_close(c));
	T_OK(rump_sys_close(s));
}

/* A cheap check for the throughput case: the sender repeats one buffer
 * whose 64-bit words are all distinct, the reader compares with it. */
struct blaster {
	int fd;
	size_t total;
	const uint8_t *buf;
	size_t buflen;
	int err;
};

static void *
blaster_main(void *arg)
{
	struct blaster *b = arg;
	size_t left = b->total;

	while (left > 0) {
		size_t n = MIN(left, b->buflen);
		ssize_t w = rump_sys_write(b->fd, b->buf, n);

		if (w <= 0) {
			b->err = errno ? errno : EIO;
			return NULL;
		}
		left -= (size_t)w;
		if ((size_t)w < n) {
			/* Keep the stream's position within buf aligned. */
			size_t done = (size_t)w;

			while (done < n) {
				w = rump_sys_write(
				    b->fd, b->buf + done, n - done);
				if (w <= 0) {
					b->err = errno ? errno : EIO;
					return NULL;
				}
				done += (size_t)w;
				left -= (size_t)w;
			}
		}
	}
	rump_sys_shutdown(b->fd, SHUT_WR);
	return NULL;
}

T_CASE(throughput,
    "1 GiB over lo0, data compared with what was sent; "
    "prints MB/s")
{
	enum { BUFLEN = 1 << 20 };
	static uint8_t sbuf[BUFLEN], rbuf[BUFLEN];
	struct blaster b;
	pthread_t th;
	uint64_t st = 7, t0, t1;
	size_t total = (size_t)1 << 30, got = 0;
	int c, s;

	t_boot();
	fill(sbuf, BUFLEN, &st);
	tcp_pair(&c, &s, NULL);
	b.fd = c;
	b.total = total;
	b.buf = sbuf;
	b.buflen = BUFLEN;
	b.err = 0;
	t0 = t_now_ns();
	T_EQ(pthread_create(&th, NULL, blaster_main, &b), 0);
	for (;;) {
		size_t pos = got % BUFLEN;
		ssize_t n = rump_sys_read(s, rbuf, BUFLEN - pos);

		if (n < 0)
			T_FAIL("read: %s", strerror(errno));
		if (n == 0)
			break;
		if (memcmp(rbuf, sbuf + pos, (size_t)n) != 0)
			T_FAIL(
			    "data differs in [%zu, %zu)", got, got + (size_t)n);
		got += (size_t)n;
	}
	t1 = t_now_ns();
	pthread_join(th, NULL);
	T_EQ(b.err, 0);
	T_EQ(got, total);
	printf("# throughput: %.0f MB/s over lo0\n",
	    (double)total / 1e6 / ((double)(t1 - t0) / 1e9));
	T_OK(rump_sys_close(c));
	T_OK(rump_sys_close(s));
}

T_CASE(many_200, "200 concurrent connections, each echoes its own data")
{
	enum { N = 200, SZ = 8192 };
	static int cfd[N], sfd[N];
	static uint8_t out[SZ], in[SZ];
	uint16_t port;
	int l;

	t_boot();
	l = listener(0, 512, false, &port);
	for (int i = 0; i < N; i++)
		cfd[i] = connect_to(port);
	for (int i = 0; i < N; i++)
		sfd[i] = accept_one(l);
	for (int i = 0; i < N; i++) {
		uint64_t st = (uint64_t)i + 1;

		fill(out, SZ, &st);
		write_all(cfd[i], out, SZ);
	}
	/* The servers echo in the order they were accepted; a client's
	 * data comes back on the server socket that belongs to it. */
	for (int i = 0; i < N; i++) {
		read_exact(sfd[i], in, SZ);
		write_all(sfd[i], in, SZ);
	}
	for (int i = 0; i < N; i++) {
		uint64_t st = (uint64_t)i + 1;
		struct sockaddr_in a, b;
		socklen_t la = sizeof(a), lb = sizeof(b);
		int j;

		/* Find the server socket of client i by the ports. */
		T_OK(rump_sys_getsockname(cfd[i], (struct sockaddr *)&a, &la));
		for (j = 0; j < N; j++) {
			lb = sizeof(b);
			T_OK(rump_sys_getpeername(
			    sfd[j], (struct sockaddr *)&b, &lb));
			if (b.sin_port == a.sin_port)
				break;
		}
		T_ASSERT(j < N);
		fill(out, SZ, &st);
		read_exact(cfd[i], in, SZ);
		T_ASSERT(memcmp(in, out, SZ) == 0);
	}
	for (int i = 0; i < N; i++) {
		T_OK(rump_sys_close(cfd[i]));
		T_OK(rump_sys_close(sfd[i]));
	}
	T_OK(rump_sys_close(l));
}

T_CASE(half_close, "shutdown(SHUT_WR) sends FIN; reads go on, both ways")
{
	int c, s;
	char buf[16];

	t_boot();
	tcp_pair(&c, &s, NULL);
	/* Client half-closes: the server reads data then EOF, and can
	 * still write back. */
	write_all(c, "abc", 3);
	T_OK(rump_sys_shutdown(c, SHUT_WR));
	read_exact(s, buf, 3);
	T_EQ(rump_sys_read(s, buf, sizeof(buf)), 0);
	T_ERRNO(rump_sys_write(c, "x", 1), EPIPE);
	write_all(s, "reply", 5);
	read_exact(c, buf, 5);
	T_ASSERT(memcmp(buf, "reply", 5) == 0);
	T_OK(rump_sys_shutdown(s, SHUT_WR));
	T_EQ(rump_sys_read(c, buf, sizeof(buf)), 0);
	T_OK(rump_sys_close(c));
	T_OK(rump_sys_close(s));

	/* The other way round: the server half-closes first. */
	tcp_pair(&c, &s, NULL);
	T_OK(rump_sys_shutdown(s, SHUT_WR));
	T_EQ(rump_sys_read(c, buf, sizeof(buf)), 0);
	write_all(c, "late", 4);
	read_exact(s, buf, 4);
	T_ASSERT(memcmp(buf, "late", 4) == 0);
	T_OK(rump_sys_close(c));
	T_EQ(rump_sys_read(s, buf, sizeof(buf)), 0);
	T_OK(rump_sys_close(s));
}

T_CASE(refused, "connect to a closed port: RST, ECONNREFUSED")
{
	uint16_t port;
	int l, fd;
	struct sockaddr_in sin;

	t_boot();
	l = listener(0, 1, false, &port);
	T_OK(rump_sys_close(l));
	fd = tsock();
	sin = sin_of(port);
	T_ERRNO(rump_sys_connect(fd, (struct sockaddr *)&sin, sizeof(sin)),
	    ECONNREFUSED);
	T_OK(rump_sys_close(fd));
}

/* Whether /proc/net/tcp has a socket on local port `port` in state st
 * (Linux's numbers: 0x06 TIME_WAIT, 0x0A LISTEN). */
static bool
proc_has_state(uint16_t port, unsigned st)
{
	static char buf[1 << 16];
	int fd = rump_sys_open("/proc/net/tcp", O_RDONLY);
	ssize_t n, total = 0;

	if (fd < 0)
		return false;
	while (total < (ssize_t)sizeof(buf) - 1 &&
	    (n = rump_sys_read(
	         fd, buf + total, sizeof(buf) - 1 - (size_t)total)) > 0)
		total += n;
	rump_sys_close(fd);
	buf[total] = '\0';
	for (char *line = strchr(buf, '\n'); line != NULL;
	     line = strchr(line, '\n')) {
		unsigned sl, la, lp, ra, rp, state;

		line++;
		if (sscanf(line, "%u: %x:%x %x:%x %x", &sl, &la, &lp, &ra, &rp,
		        &state) == 6 &&
		    lp == port && state == st)
			return true;
	}
	return false;
}

T_CASE(timewait_reuse,
    "the active closer stays in TIME_WAIT: EADDRINUSE, SO_REUSEADDR binds")
{
	uint16_t port;
	int l, c, s, fd;
	struct sockaddr_in sin;
	char buf[4];

	t_boot();
	l = listener(0, 4, true, &port);
	c = connect_to(port);
	s = accept_one(l);
	T_OK(rump_sys_close(l));
	/* The server closes first: its side goes to TIME_WAIT. */
	T_OK(rump_sys_close(s));
	T_EQ(rump_sys_read(c, buf, sizeof(buf)), 0);
	T_OK(rump_sys_close(c));
	sleep_ms(50);
	{
		/* /proc/net/tcp shows it (state 06), if procfs is there. */
		int pfd = rump_sys_open("/proc/net/tcp", O_RDONLY);

		if (pfd >= 0) {
			rump_sys_close(pfd);
			T_ASSERT(proc_has_state(port, 0x06));
		}
	}
	sin = sin_of(port);
	fd = tsock();
	T_ERRNO(rump_sys_bind(fd, (struct sockaddr *)&sin, sizeof(sin)),
	    EADDRINUSE);
	T_OK(rump_sys_close(fd));
	fd = tsock();
	setint(fd, SOL_SOCKET, SO_REUSEADDR, 1);
	T_OK(rump_sys_bind(fd, (struct sockaddr *)&sin, sizeof(sin)));
	T_OK(rump_sys_listen(fd, 4));
	/* A new connection to the reused port works. */
	c = connect_to(port);
	s = accept_one(fd);
	write_all(c, "ok", 2);
	read_exact(s, buf, 2);
	T_OK(rump_sys_close(c));
	T_OK(rump_sys_close(s));
	T_OK(rump_sys_close(fd));
}

T_CASE(
    timewait_expires, "with a short MSL, TIME_WAIT ends and the port is free")
{
	uint16_t port;
	int l, c, s, fd;
	struct sockaddr_in sin;
	char buf[4];

	t_boot();
	tset("tcp_rumpk_msl_ms", 100); /* TIME_WAIT: 200 ms */
	l = listener(0, 4, false, &port);
	c = connect_to(port);
	s = accept_one(l);
	T_OK(rump_sys_close(l));
	T_OK(rump_sys_close(s));
	T_EQ(rump_sys_read(c, buf, sizeof(buf)), 0);
	T_OK(rump_sys_close(c));
	sin = sin_of(port);
	fd = tsock();
	T_ERRNO(rump_sys_bind(fd, (struct sockaddr *)&sin, sizeof(sin)),
	    EADDRINUSE);
	sleep_ms(600);
	T_OK(rump_sys_bind(fd, (struct sockaddr *)&sin, sizeof(sin)));
	T_OK(rump_sys_close(fd));
}

T_CASE(keepalive, "keepalive probes a silent peer away: ETIMEDOUT")
{
	int c, s;
	uint16_t port;
	char buf[4];
	uint64_t t0;

	t_boot();
	tcp_pair(&c, &s, &port);
	setint(c, SOL_SOCKET, SO_KEEPALIVE, 1);
	setint(c, IPPROTO_TCP, TCP_KEEPIDLE, 1);
	setint(c, IPPROTO_TCP, TCP_KEEPINTVL, 1);
	setint(c, IPPROTO_TCP, TCP_KEEPCNT, 2);
	T_EQ(getint(c, IPPROTO_TCP, TCP_KEEPIDLE), 1);
	/* An answering peer keeps the connection up past the idle time. */
	sleep_ms(2500);
	write_all(c, "x", 1);
	read_exact(s, buf, 1);
	/* Now the server vanishes: nothing from or to its port gets through. */
	tset("tcp_rumpk_drop_port", port);
	t0 = t_now_ns();
	T_ERRNO(rump_sys_read(c, buf, sizeof(buf)), ETIMEDOUT);
	uint64_t ms = (t_now_ns() - t0) / 1000000;
	/* idle 1 s + 2 probes 1 s apart + 1 s for the last: ~3 s. */
	T_ASSERT(ms >= 2000 && ms < 8000);
	tset("tcp_rumpk_drop_port", 0);
	T_OK(rump_sys_close(c));
	T_OK(rump_sys_close(s));
}

T_CASE(nonblock_connect, "O_NONBLOCK connect: EINPROGRESS, POLLOUT, SO_ERROR")
{
	uint16_t port;
	int l, fd, s;
	struct sockaddr_in sin;
	struct pollfd pfd;

	t_boot();
	l = listener(0, 4, false, &port);
	fd = tsock();
	T_OK(rump_sys_fcntl(fd, F_SETFL, O_NONBLOCK));
	sin = sin_of(port);
	T_ERRNO(rump_sys_connect(fd, (struct sockaddr *)&sin, sizeof(sin)),
	    EINPROGRESS);
	pfd.fd = fd;
	pfd.events = POLLOUT;
	T_EQ(rump_sys_poll(&pfd, 1, 5000), 1);
	T_ASSERT(pfd.revents & POLLOUT);
	T_EQ(getint(fd, SOL_SOCKET, SO_ERROR), 0);
	T_ERRNO(rump_sys_connect(fd, (struct sockaddr *)&sin, sizeof(sin)),
	    EISCONN);
	s = accept_one(l);
	T_OK(rump_sys_close(s));
	T_OK(rump_sys_close(fd));

	/* A SYN that gets no answer: EALREADY while it is pending. */
	tset("tcp_rumpk_drop_port", port);
	fd = tsock();
	T_OK(rump_sys_fcntl(fd, F_SETFL, O_NONBLOCK));
	T_ERRNO(rump_sys_connect(fd, (struct sockaddr *)&sin, sizeof(sin)),
	    EINPROGRESS);
	T_ERRNO(rump_sys_connect(fd, (struct sockaddr *)&sin, sizeof(sin)),
	    EALREADY);
	T_OK(rump_sys_close(fd));
	tset("tcp_rumpk_drop_port", 0);

	/* Refused: POLLOUT|POLLERR, SO_ERROR ECONNREFUSED. */
	T_OK(rump_sys_close(l));
	fd = tsock();
	T_OK(rump_sys_fcntl(fd, F_SETFL, O_NONBLOCK));
	int r = rump_sys_connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	if (r == -1 && errno == EINPROGRESS) {
		pfd.fd = fd;
		pfd.events = POLLOUT;
		T_EQ(rump_sys_poll(&pfd, 1, 5000), 1);
		T_EQ(getint(fd, SOL_SOCKET, SO_ERROR), ECONNREFUSED);
	} else
		T_EQ(errno, ECONNREFUSED);
	T_OK(rump_sys_close(fd));
}

T_CASE(zero_window, "a reader that stops: the writer blocks, then completes")
{
	int c, s;
	struct sender snd;
	pthread_t th;
	char hex[65];
	size_t before;

	t_boot();
	tcp_pair(&c, &s, NULL);
	setint(s, SOL_SOCKET, SO_RCVBUF, 16384);
	setint(c, SOL_SOCKET, SO_SNDBUF, 16384);
	memset(&snd, 0, sizeof(snd));
	snd.fd = c;
	snd.total = 4u << 20;
	snd.chunk = 65536;
	snd.seed = 42;
	snd.shut = true;
	T_EQ(pthread_create(&th, NULL, sender_main, &snd), 0);
	sleep_ms(700);
	before = __atomic_load_n(&snd.sent, __ATOMIC_RELAXED);
	T_ASSERT(before < snd.total);
	sleep_ms(700); /* persist probes go on; nothing moves */
	T_EQ(__atomic_load_n(&snd.sent, __ATOMIC_RELAXED), before);
	uint64_t t0 = t_now_ns();
	T_EQ(read_hash(s, hex), snd.total);
	pthread_join(th, NULL);
	{
		struct tcp_info ti = tinfo(c);
		printf("# zero_window: drained in %llu ms, %u retransmits, "
		       "%u probes, rto %u\n",
		    (unsigned long long)(t_now_ns() - t0) / 1000000,
		    ti.tcpi_total_retrans, ti.tcpi_probes, ti.tcpi_rto);
	}
	T_EQ(snd.err, 0);
	T_ASSERT(strcmp(hex, snd.hex) == 0);
	T_OK(rump_sys_close(c));
	T_OK(rump_sys_close(s));
}

T_CASE(linger0, "SO_LINGER 0: close sends RST, the peer sees ECONNRESET")
{
	int c, s;
	struct linger lg = {1, 0};
	char buf[4];

	t_boot();
	tcp_pair(&c, &s, NULL);
	write_all(c, "x", 1);
	read_exact(s, buf, 1);
	T_OK(rump_sys_setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	T_OK(rump_sys_close(c));
	T_ERRNO(rump_sys_read(s, buf, sizeof(buf)), ECONNRESET);
	T_OK(rump_sys_close(s));
}

T_CASE(linger_wait,
    "SO_LINGER > 0: close waits for the FIN's ACK, at "
    "most l_linger seconds")
{
	int c, s;
	uint16_t port;
	struct linger lg = {1, 2};
	char buf[4];
	uint64_t t0, ms;

	t_boot();
	tcp_pair(&c, &s, &port);
	T_OK(rump_sys_setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	write_all(c, "abc", 3);
	t0 = t_now_ns();
	T_OK(rump_sys_close(c));
	ms = (t_now_ns() - t0) / 1000000;
	T_ASSERT(ms < 500);
	read_exact(s, buf, 3);
	T_EQ(rump_sys_read(s, buf, sizeof(buf)), 0);
	T_OK(rump_sys_close(s));

	/* A silent peer: close gives up after l_linger seconds. */
	tcp_pair(&c, &s, &port);
	T_OK(rump_sys_setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	tset("tcp_rumpk_drop_port", port);
	write_all(c, "abc", 3);
	t0 = t_now_ns();
	T_OK(rump_sys_close(c));
	ms = (t_now_ns() - t0) / 1000000;
	T_ASSERT(ms >= 1900 && ms < 4000);
	tset("tcp_rumpk_drop_port", 0);
	T_OK(rump_sys_close(s));
}

T_CASE(cork,
    "TCP_CORK holds partial segments until uncorked, 200 ms at "
    "most")
{
	int c, s;
	char buf[128];
	struct pollfd p;

	t_boot();
	tcp_pair(&c, &s, NULL);
	/* Corked and left alone: out after the 200 ms ceiling (lower
	 * bounds only: a loaded machine may be late, never early). */
	setint(c, IPPROTO_TCP, TCP_CORK, 1);
	T_EQ(getint(c, IPPROTO_TCP, TCP_CORK), 1);
	p.fd = s;
	p.events = POLLIN;
	uint64_t t0 = t_now_ns();
	write_all(c, "0123456789", 10);
	T_EQ(rump_sys_poll(&p, 1, 5000), 1);
	uint64_t ms = (t_now_ns() - t0) / 1000000;
	T_ASSERT(ms >= 150);
	read_exact(s, buf, 10);
	/* Uncorking sends at once. */
	write_all(c, "abc", 3);
	t0 = t_now_ns();
	setint(c, IPPROTO_TCP, TCP_CORK, 0);
	T_EQ(rump_sys_poll(&p, 1, 5000), 1);
	ms = (t_now_ns() - t0) / 1000000;
	T_ASSERT(ms < 150);
	read_exact(s, buf, 3);
	/* TCP_NODELAY: small writes go out at once, each. */
	setint(c, IPPROTO_TCP, TCP_CORK, 0);
	setint(c, IPPROTO_TCP, TCP_NODELAY, 1);
	for (int i = 0; i < 10; i++) {
		write_all(c, "x", 1);
		T_EQ(rump_sys_poll(&p, 1, 100), 1);
		read_exact(s, buf, 1);
	}
	T_OK(rump_sys_close(c));
	T_OK(rump_sys_close(s));
}

T_CASE(connect_timeout,
    "a SYN nobody answers: ETIMEDOUT after TCP_SYNCNT "
    "retries (non-blocking: SO_ERROR)")
{
	uint16_t port;
	int l, fd;
	struct sockaddr_in sin;
	struct pollfd p;
	uint64_t t0, ms;

	t_boot();
	l = listener(0, 4, false, &port);
	tset("tcp_rumpk_drop_port", port);
	fd = tsock();
	setint(fd, IPPROTO_TCP, TCP_SYNCNT, 1);
	T_OK(rump_sys_fcntl(fd, F_SETFL, O_NONBLOCK));
	sin = sin_of(port);
	t0 = t_now_ns();
	T_ERRNO(rump_sys_connect(fd, (struct sockaddr *)&sin, sizeof(sin)),
	    EINPROGRESS);
	p.fd = fd;
	p.events = POLLOUT;
	T_EQ(rump_sys_poll(&p, 1, 10000), 1);
	ms = (t_now_ns() - t0) / 1000000;
	/* SYN at 0, again at 1 s, given up at 3 s (RTO 1 s, doubled). */
	T_ASSERT(ms >= 2500 && ms < 5000);
	T_EQ(getint(fd, SOL_SOCKET, SO_ERROR), ETIMEDOUT);
	tset("tcp_rumpk_drop_port", 0);
	T_OK(rump_sys_close(fd));
	T_OK(rump_sys_close(l));
}

T_CASE(unread_close, "close with unread data sends RST (RFC 2525)")
{
	int c, s;
	char buf[4];

	t_boot();
	tcp_pair(&c, &s, NULL);
	write_all(c, "data", 4);
	sleep_ms(50);
	T_OK(rump_sys_close(s));
	sleep_ms(50);
	T_ERRNO(rump_sys_read(c, buf, sizeof(buf)), ECONNRESET);
	T_OK(rump_sys_close(c));
}

T_CASE(backlog,
    "a full accept queue: backlog+1 accepted, the rest wait "
    "in SYN_RECEIVED and complete once there is room")
{
	enum { N = 8 };
	uint16_t port;
	int l, fd[N], ok = 0, acc = 0;
	struct sockaddr_in sin;

	t_boot();
	l = listener(0, 2, false, &port);
	sin = sin_of(port);
	for (int i = 0; i < N; i++) {
		fd[i] = tsock();
		T_OK(rump_sys_fcntl(fd[i], F_SETFL, O_NONBLOCK));
		int r = rump_sys_connect(
		    fd[i], (struct sockaddr *)&sin, sizeof(sin));
		T_ASSERT(r == 0 || errno == EINPROGRESS);
	}
	sleep_ms(300);
	T_OK(rump_sys_fcntl(l, F_SETFL, O_NONBLOCK));
	for (;;) {
		int s = rump_sys_accept(l, NULL, NULL);

		if (s < 0) {
			T_EQ(errno, EAGAIN);
			break;
		}
		acc++;
		rump_sys_close(s);
	}
	T_EQ(acc, 3);
	/* The others complete with the SYN (or SYN-ACK) retransmissions. */
	uint64_t t0 = t_now_ns();
	while (acc < N && t_now_ns() - t0 < 10000000000ULL) {
		int s = rump_sys_accept(l, NULL, NULL);

		if (s < 0) {
			T_EQ(errno, EAGAIN);
			sleep_ms(50);
			continue;
		}
		acc++;
		rump_sys_close(s);
	}
	T_EQ(acc, N);
	/* Every client is connected in the end. */
	for (int i = 0; i < N; i++) {
		struct pollfd p = {fd[i], POLLOUT, 0};

		if (rump_sys_poll(&p, 1, 0) == 1 && (p.revents & POLLOUT) &&
		    getint(fd[i], SOL_SOCKET, SO_ERROR) == 0)
			ok++;
	}
	T_EQ(ok, N);
	for (int i = 0; i < N; i++)
		rump_sys_close(fd[i]);
	rump_sys_close(l);
}

T_CASE(tcp_info, "TCP_INFO after a transfer: state, options, rtt, cwnd")
{
	int c, s;
	struct tcp_info ti;

	t_boot();
	tcp_pair(&c, &s, NULL);
	(void)transfer(c, s, 4u << 20, 65536);
	ti = tinfo(s);
	T_EQ(ti.tcpi_state, 8); /* CLOSE_WAIT */
	/* The ACK of our FIN comes through lo0's softint: give it a moment
	 * (it can lag under TSan). */
	ti = tinfo(c);
	for (int i = 0; i < 100 && ti.tcpi_state == 4; i++) { /* FIN_WAIT1 */
		sleep_ms(10);
		ti = tinfo(c);
	}
	T_EQ(ti.tcpi_state, 5); /* FIN_WAIT2 */
	T_ASSERT(ti.tcpi_options & TCPI_OPT_TIMESTAMPS);
	T_ASSERT(ti.tcpi_options & TCPI_OPT_SACK);
	T_ASSERT(ti.tcpi_options & TCPI_OPT_WSCALE);
	T_ASSERT(ti.tcpi_rtt > 0 && ti.tcpi_rtt < 1000000);
	T_ASSERT(ti.tcpi_rto >= 200000);
	T_ASSERT(ti.tcpi_snd_cwnd >= 2);
	T_ASSERT(ti.tcpi_snd_mss > 1000 && ti.tcpi_snd_mss <= 65535);
	T_EQ(ti.tcpi_retransmits, 0);
	T_EQ(ti.tcpi_unacked, 0);
	T_ASSERT(tinfo_ext(c).bytes_acked >= (4u << 20));
	T_ASSERT(tinfo_ext(s).bytes_received >= (4u << 20));
	T_OK(rump_sys_close(c));
	T_OK(rump_sys_close(s));
}

T_CASE(options, "SOL_TCP options: NODELAY, MAXSEG, keepalive, CONGESTION")
{
	int fd, c, s;
	uint16_t port;
	char name[16];
	socklen_t len;

	t_boot();
	fd = tsock();
	T_EQ(getint(fd, IPPROTO_TCP, TCP_NODELAY), 0);
	setint(fd, IPPROTO_TCP, TCP_NODELAY, 1);
	T_EQ(getint(fd, IPPROTO_TCP, TCP_NODELAY), 1);
	T_EQ(getint(fd, IPPROTO_TCP, TCP_KEEPIDLE), 7200);
	T_EQ(getint(fd, IPPROTO_TCP, TCP_KEEPINTVL), 75);
	T_EQ(getint(fd, IPPROTO_TCP, TCP_KEEPCNT), 9);
	int v = 0;
	T_ERRNO(
	    rump_sys_setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, sizeof(v)),
	    EINVAL);
	T_EQ(getint(fd, IPPROTO_TCP, TCP_MAXSEG), 536);
	v = 10;
	T_ERRNO(rump_sys_setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &v, sizeof(v)),
	    EINVAL);
	len = sizeof(name);
	T_OK(rump_sys_getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, &len));
	T_ASSERT(strcmp(name, "cubic") == 0);
	T_OK(rump_sys_setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, "reno", 4));
	len = sizeof(name);
	T_OK(rump_sys_getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, &len));
	T_ASSERT(strcmp(name, "reno") == 0);
	T_ERRNO(
	    rump_sys_setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, "bogus", 5),
	    ENOENT);
	T_ERRNO(rump_sys_sendto(fd, "x", 1, MSG_OOB, NULL, 0), EPIPE);
	T_OK(rump_sys_close(fd));

	/* TCP_MAXSEG before connect clamps the connection's MSS. */
	int l = listener(0, 4, false, &port);
	c = tsock();
	setint(c, IPPROTO_TCP, TCP_MAXSEG, 1000);
	T_EQ(getint(c, IPPROTO_TCP, TCP_MAXSEG), 1000);
	struct sockaddr_in sin = sin_of(port);
	T_OK(rump_sys_connect(c, (struct sockaddr *)&sin, sizeof(sin)));
	s = accept_one(l);
	T_ASSERT(getint(c, IPPROTO_TCP, TCP_MAXSEG) <= 1000);
	T_ASSERT(getint(s, IPPROTO_TCP, TCP_MAXSEG) <= 1000);
	T_ERRNO(rump_sys_sendto(c, "x", 1, MSG_OOB, NULL, 0), EOPNOTSUPP);
	(void)transfer(c, s, 1u << 20, 65536);
	T_OK(rump_sys_close(c));
	T_OK(rump_sys_close(s));
	T_OK(rump_sys_close(l));
}

static void
lossy(const char *cc, bool sack)
{
	int c, s;
	double mbs;
	struct tcp_info ti;

	t_boot();
	if (!sack)
		tset("tcp_sack", 0);
	/* Ethernet-sized segments: many of them, many losses. */
	uint16_t port;
	int l = listener(0, 4, false, &port);
	struct sockaddr_in sin = sin_of(port);

	c = tsock();
	setint(c, IPPROTO_TCP, TCP_MAXSEG, 1460);
	T_OK(rump_sys_connect(c, (struct sockaddr *)&sin, sizeof(sin)));
	s = accept_one(l);
	T_OK(rump_sys_close(l));
	T_OK(rump_sys_setsockopt(
	    c, IPPROTO_TCP, TCP_CONGESTION, cc, strlen(cc)));
	tset("tcp_rumpk_drop_permille", 20);
	tset("tcp_rumpk_reorder_permille", 20);
	mbs = transfer(c, s, 16u << 20, 1u << 20);
	tset("tcp_rumpk_drop_permille", 0);
	tset("tcp_rumpk_reorder_permille", 0);
	ti = tinfo(c);
	printf("# %s%s, MSS %u, 2%% loss, 2%% reordering: %.1f MB/s, %u "
	       "retransmissions, %u segments out\n",
	    cc, sack ? "+SACK" : "", ti.tcpi_snd_mss, mbs,
	    ti.tcpi_total_retrans, tinfo_ext(c).segs_out);
	print_tcpstat("rexmttimeo fastrexmt sackrexmt sndrexmitpack dbgdrop "
	              "tlp lostrexmt");
	T_ASSERT(ti.tcpi_total_retrans > 0);
	T_EQ(!!(ti.tcpi_options & TCPI_OPT_SACK), sack);
	T_OK(rump_sys_close(c));
	T_OK(rump_sys_close(s));
}

T_CASE(loss_cubic_sack,
    "16 MiB, 2% of segments dropped and 2% reordered: "
    "CUBIC with SACK recovery, hash intact")
{
	lossy("cubic", true);
}

T_CASE(loss_reno_nosack,
    "16 MiB with loss and reordering: NewReno without "
    "SACK, hash intact")
{
	lossy("reno", false);
}

T_CASE(proc_net_tcp, "/proc/net/tcp lists a listener in Linux's format")
{
	uint16_t port;
	int l;
	int fd;

	t_boot();
	l = listener(0, 4, false, &port);
	fd = rump_sys_open("/proc/net/tcp", O_RDONLY);
	if (fd < 0)
		T_SKIP("no /proc/net/tcp: %s", strerror(errno));
	rump_sys_close(fd);
	T_ASSERT(proc_has_state(port, 0x0A));
	T_OK(rump_sys_close(l));
}

/* ------------------------------------------- segments made by hand */

#include <netinet/ip.h>

/* A raw IPPROTO_TCP socket sees every TCP segment (IP header included)
 * and sends what we build (the kernel adds the IP header). */
static int
raw_tcp(void)
{
	int r = rump_sys_socket(AF_INET, SOCK_RAW, IPPROTO_TCP);

	if (r < 0)
		T_SKIP("no raw sockets: %s", strerror(errno));
	return r;
}

static uint16_t
tcp_cksum(const void *seg, size_t len)
{
	uint32_t sum = 0;
	const uint8_t *p = seg;

	/* Pseudo-header: 127.0.0.1 both ways, protocol, length. */
	sum += 0x7f00 + 0x0001 + 0x7f00 + 0x0001;
	sum += IPPROTO_TCP + (uint32_t)len;
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* Sends a segment from sport to dport on 127.0.0.1; opts/data optional. */
static void
raw_send(int r, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
    int flags, const void *opts, size_t optlen, const void *data, size_t dlen)
{
	uint8_t seg[8192];
	struct tcphdr *th = (struct tcphdr *)seg;
	struct sockaddr_in dst = sin_of(dport);

	T_ASSERT(sizeof(*th) + optlen + dlen <= sizeof(seg));

	memset(seg, 0, sizeof(struct tcphdr));
	th->th_sport = htons(sport);
	th->th_dport = htons(dport);
	th->th_seq = htonl(seq);
	th->th_ack = htonl(ack);
	th->th_off = (uint8_t)((sizeof(*th) + optlen) / 4);
	th->th_flags = (uint8_t)flags;
	th->th_win = htons(65535);
	if (optlen > 0)
		memcpy(seg + sizeof(*th), opts, optlen);
	if (dlen > 0)
		memcpy(seg + sizeof(*th) + optlen, data, dlen);
	th->th_sum = tcp_cksum(seg, sizeof(*th) + optlen + dlen);
	if (rump_sys_sendto(r, seg, sizeof(*th) + optlen + dlen, 0,
	        (struct sockaddr *)&dst, sizeof(dst)) < 0)
		T_FAIL("raw sendto: %s", strerror(errno));
}

/* Waits for a segment from sport to dport with all of `flags` set and,
 * if dlen >= 0, that much data; returns its header in *out. */
static bool
raw_expect(int r, uint16_t sport, uint16_t dport, int flags, int dlen,
    struct tcphdr *out, int ms)
{
	uint8_t buf[70000];
	uint64_t end = t_now_ns() + (uint64_t)ms * 1000000;

	while (t_now_ns() < end) {
		struct pollfd p = {r, POLLIN, 0};
		ssize_t n;

		if (rump_sys_poll(&p, 1, 50) != 1)
			continue;
		n = rump_sys_recvfrom(r, buf, sizeof(buf), 0, NULL, NULL);
		if (n < (ssize_t)(sizeof(struct ip) + sizeof(struct tcphdr)))
			continue;
		struct ip *ip = (struct ip *)buf;
		size_t hl = (size_t)ip->ip_hl * 4;
		struct tcphdr *th = (struct tcphdr *)(buf + hl);
		int len = (int)((size_t)n - hl - (size_t)th->th_off * 4);

		if (ntohs(th->th_sport) == sport &&
		    ntohs(th->th_dport) == dport &&
		    (th->th_flags & flags) == flags &&
		    (dlen < 0 || len == dlen)) {
			*out = *th;
			return true;
		}
	}
	return false;
}

static uint16_t
local_port(int fd)
{
	struct sockaddr_in a;
	socklen_t l = sizeof(a);

	T_OK(rump_sys_getsockname(fd, (struct sockaddr *)&a, &l));
	return ntohs(a.sin_port);
}

T_CASE(rst_challenge,
    "RFC 5961: in-window RST and SYN get a challenge ACK, "
    "only the exact RST resets")
{
	int c, s, r;
	uint16_t cport, sport;
	struct tcphdr th;
	char buf[4];

	t_boot();
	r = raw_tcp();
	tcp_pair(&c, &s, &sport);
	cport = local_port(c);
	write_all(s, "x", 1);
	T_ASSERT(raw_expect(r, sport, cport, TH_ACK, 1, &th, 2000));
	read_exact(c, buf, 1);
	uint32_t rcvnxt = ntohl(th.th_seq) + 1; /* the client's RCV.NXT */
	uint32_t sndnxt = ntohl(th.th_ack);     /* the client's SND.NXT */

	/* RST inside the window but not at RCV.NXT: a challenge ACK. */
	raw_send(r, sport, cport, rcvnxt + 1000, 0, TH_RST, NULL, 0, NULL, 0);
	T_ASSERT(raw_expect(r, cport, sport, TH_ACK, 0, &th, 2000));
	T_EQ(ntohl(th.th_ack), rcvnxt);
	/* A SYN on the established connection: a challenge ACK too. */
	raw_send(r, sport, cport, rcvnxt + 5, 0, TH_SYN, NULL, 0, NULL, 0);
	T_ASSERT(raw_expect(r, cport, sport, TH_ACK, 0, &th, 2000));
	/* An ACK for data never sent: challenged, ignored. */
	raw_send(
	    r, sport, cport, rcvnxt, sndnxt + 100000, TH_ACK, NULL, 0, NULL, 0);
	/* RST outside the window: ignored silently. */
	raw_send(
	    r, sport, cport, rcvnxt + 0x40000000u, 0, TH_RST, NULL, 0, NULL, 0);
	/* The connection is fine. */
	write_all(c, "y", 1);
	read_exact(s, buf, 1);
	T_EQ(buf[0], 'y');
	write_all(s, "z", 1);
	read_exact(c, buf, 1);
	rcvnxt++;
	/* The exact RST resets. */
	raw_send(r, sport, cport, rcvnxt, 0, TH_RST, NULL, 0, NULL, 0);
	T_ERRNO(rump_sys_read(c, buf, sizeof(buf)), ECONNRESET);
	T_OK(rump_sys_close(c));
	T_OK(rump_sys_close(s));
	T_OK(rump_sys_close(r));
}

T_CASE(malformed,
    "garbage segments (bad offsets, options, flags) to a "
    "listener, a connection and a closed port: no harm")
{
	int c, s, r, l;
	uint16_t cport, sport, lport;
	uint64_t st = 12345;
	uint8_t junk[256];
	char buf[4];

	t_boot();
	r = raw_tcp();
	l = listener(0, 4, false, &lport);
	tcp_pair(&c, &s, &sport);
	cport = local_port(c);
	for (int i = 0; i < 3000; i++) {
		uint8_t seg[300];
		struct sockaddr_in dst;
		size_t len;
		uint16_t to;

		fill(junk, sizeof(junk), &st);
		len = 20 + junk[0] % 200;
		memcpy(seg, junk + 8, len > 248 ? 248 : len);
		if (len > 248)
			len = 248;
		struct tcphdr *th = (struct tcphdr *)seg;
		switch (i % 3) {
		case 0:
			to = lport;
			break;
		case 1:
			to = cport;
			/* Far from the window, so no data gets in. */
			th->th_seq = htonl(ntohl(th->th_seq) | 0x80000000u);
			th->th_sport = htons(sport);
			th->th_flags &= (uint8_t)~TH_RST;
			break;
		default:
			to = 9; /* nobody */
			break;
		}
		th->th_dport = htons(to);
		/* Sometimes a valid-looking offset with option garbage. */
		if (i & 4)
			th->th_off = (uint8_t)(5 + (junk[1] % 11));
		th->th_sum = 0;
		th->th_sum = tcp_cksum(seg, len);
		dst = sin_of(to);
		(void)rump_sys_sendto(
		    r, seg, len, 0, (struct sockaddr *)&dst, sizeof(dst));
	}
	sleep_ms(200);
	write_all(c, "ok", 2);
	read_exact(s, buf, 2);
	T_ASSERT(memcmp(buf, "ok", 2) == 0);
	write_all(s, "ko", 2);
	read_exact(c, buf, 2);
	T_ASSERT(memcmp(buf, "ko", 2) == 0);
	/* The listener still accepts. */
	int c2 = connect_to(lport);
	int s2 = accept_one(l);
	T_OK(rump_sys_close(c2));
	T_OK(rump_sys_close(s2));
	T_OK(rump_sys_close(c));
	T_OK(rump_sys_close(s));
	T_OK(rump_sys_close(l));
	T_OK(rump_sys_close(r));
}

T_CASE(simultaneous_open,
    "two sockets connect to each other at once: "
    "SYN_SENT → SYN_RECEIVED → ESTABLISHED both")
{
	int a, b;
	uint16_t pa, pb;
	struct sockaddr_in sa, sb;
	struct pollfd p[2];
	char buf[4];

	t_boot();
	a = tsock();
	b = tsock();
	sa = sin_of(0);
	sb = sin_of(0);
	T_OK(rump_sys_bind(a, (struct sockaddr *)&sa, sizeof(sa)));
	T_OK(rump_sys_bind(b, (struct sockaddr *)&sb, sizeof(sb)));
	pa = local_port(a);
	pb = local_port(b);
	sa = sin_of(pa);
	sb = sin_of(pb);
	T_OK(rump_sys_fcntl(a, F_SETFL, O_NONBLOCK));
	T_OK(rump_sys_fcntl(b, F_SETFL, O_NONBLOCK));
	/* Both first SYNs are lost, so both sides are in SYN_SENT when the
	 * retransmissions cross. */
	tset("tcp_rumpk_drop_port", pb);
	T_ERRNO(rump_sys_connect(a, (struct sockaddr *)&sb, sizeof(sb)),
	    EINPROGRESS);
	T_ERRNO(rump_sys_connect(b, (struct sockaddr *)&sa, sizeof(sa)),
	    EINPROGRESS);
	sleep_ms(50);
	tset("tcp_rumpk_drop_port", 0);
	p[0].fd = a;
	p[0].events = POLLOUT;
	p[1].fd = b;
	p[1].events = POLLOUT;
	uint64_t t0 = t_now_ns();
	while ((p[0].revents & POLLOUT) == 0 || (p[1].revents & POLLOUT) == 0) {
		T_ASSERT(t_now_ns() - t0 < 5000000000ULL);
		(void)rump_sys_poll(p, 2, 100);
	}
	T_EQ(getint(a, SOL_SOCKET, SO_ERROR), 0);
	T_EQ(getint(b, SOL_SOCKET, SO_ERROR), 0);
	T_OK(rump_sys_fcntl(a, F_SETFL, 0));
	T_OK(rump_sys_fcntl(b, F_SETFL, 0));
	write_all(a, "ab", 2);
	read_exact(b, buf, 2);
	write_all(b, "ba", 2);
	read_exact(a, buf, 2);
	T_ASSERT(memcmp(buf, "ba", 2) == 0);
	T_OK(rump_sys_close(a));
	T_OK(rump_sys_close(b));
}

/* The number of sockets /proc/net/tcp lists (-1 without procfs). */
static int
proc_count(void)
{
	static char buf[1 << 18];
	int fd = rump_sys_open("/proc/net/tcp", O_RDONLY), n = 0;
	ssize_t r, total = 0;

	if (fd < 0)
		return -1;
	while (total < (ssize_t)sizeof(buf) - 1 &&
	    (r = rump_sys_read(
	         fd, buf + total, sizeof(buf) - 1 - (size_t)total)) > 0)
		total += r;
	rump_sys_close(fd);
	buf[total] = '\0';
	for (char *p = buf; (p = strchr(p, '\n')) != NULL; p++)
		n++;
	return n - 1; /* the header */
}

T_CASE(churn,
    "1000 short connections closed either way: every one is "
    "reaped (TIME_WAIT ends, nothing left in /proc/net/tcp)")
{
	uint16_t port;
	int l;
	char buf[8];

	t_boot();
	tset("tcp_rumpk_msl_ms", 50);
	l = listener(0, 64, false, &port);
	for (int i = 0; i < 1000; i++) {
		int c = connect_to(port), s = accept_one(l);

		write_all(c, "ping", 4);
		read_exact(s, buf, 4);
		write_all(s, "pong", 4);
		read_exact(c, buf, 4);
		switch (i % 4) {
		case 0: /* client first */
			T_OK(rump_sys_close(c));
			T_EQ(rump_sys_read(s, buf, sizeof(buf)), 0);
			T_OK(rump_sys_close(s));
			break;
		case 1: /* server first */
			T_OK(rump_sys_close(s));
			T_EQ(rump_sys_read(c, buf, sizeof(buf)), 0);
			T_OK(rump_sys_close(c));
			break;
		case 2: /* both at once */
			T_OK(rump_sys_close(s));
			T_OK(rump_sys_close(c));
			break;
		default: /* abort */
		{
			struct linger lg = {1, 0};

			T_OK(rump_sys_setsockopt(
			    c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
			T_OK(rump_sys_close(c));
			T_OK(rump_sys_close(s));
			break;
		}
		}
	}
	if (proc_count() < 0)
		T_SKIP("no /proc/net/tcp");
	uint64_t t0 = t_now_ns();
	while (proc_count() != 1 && t_now_ns() - t0 < 5000000000ULL)
		sleep_ms(20);
	T_EQ(proc_count(), 1); /* the listener */
	T_OK(rump_sys_close(l));
	sleep_ms(50);
	T_EQ(proc_count(), 0);
}

T_CASE(timewait_syn,
    "a new SYN for a 4-tuple in TIME_WAIT ends it and "
    "connects at once")
{
	uint16_t port, cport;
	int l, c, s;
	struct sockaddr_in sin, cs;
	char buf[4];

	t_boot();
	l = listener(0, 4, false, &port);
	c = tsock();
	setint(c, SOL_SOCKET, SO_REUSEADDR, 1);
	cs = sin_of(0);
	T_OK(rump_sys_bind(c, (struct sockaddr *)&cs, sizeof(cs)));
	cport = local_port(c);
	sin = sin_of(port);
	T_OK(rump_sys_connect(c, (struct sockaddr *)&sin, sizeof(sin)));
	s = accept_one(l);
	write_all(c, "1", 1);
	read_exact(s, buf, 1);
	/* The server closes first: its side is in TIME_WAIT. */
	T_OK(rump_sys_close(s));
	T_EQ(rump_sys_read(c, buf, sizeof(buf)), 0);
	T_OK(rump_sys_close(c));
	sleep_ms(20);
	/* Same client port again. */
	c = tsock();
	setint(c, SOL_SOCKET, SO_REUSEADDR, 1);
	cs = sin_of(cport);
	T_OK(rump_sys_bind(c, (struct sockaddr *)&cs, sizeof(cs)));
	uint64_t t0 = t_now_ns();
	T_OK(rump_sys_connect(c, (struct sockaddr *)&sin, sizeof(sin)));
	T_ASSERT(t_now_ns() - t0 < 500000000ULL);
	s = accept_one(l);
	write_all(c, "2", 1);
	read_exact(s, buf, 1);
	T_EQ(buf[0], '2');
	T_OK(rump_sys_close(c));
	T_OK(rump_sys_close(s));
	T_OK(rump_sys_close(l));
}

T_CASE(reassembly,
    "overlapping, duplicate and out-of-order segments made "
    "by hand reassemble into the right stream")
{
	enum { LEN = 65536 };
	static uint8_t want[LEN], got[LEN];
	int c, s, r;
	uint16_t cport, sport;
	struct tcphdr th;
	uint64_t st = 99;
	char b1;

	t_boot();
	r = raw_tcp();
	tcp_pair(&c, &s, &sport);
	cport = local_port(c);
	write_all(s, "x", 1);
	T_ASSERT(raw_expect(r, sport, cport, TH_ACK, 1, &th, 2000));
	read_exact(c, &b1, 1);
	uint32_t base = ntohl(th.th_seq) + 1, ack = ntohl(th.th_ack);

	/* The real server says nothing from now on; we speak for it. */
	tset("tcp_rumpk_drop_port", sport);
	fill(want, LEN, &st);
	for (int i = 0; i < 600; i++) {
		uint64_t rnd[2];
		fill((uint8_t *)rnd, sizeof(rnd), &st);
		uint32_t off = (uint32_t)(rnd[0] % LEN);
		uint32_t len = 1 + (uint32_t)(rnd[1] % 3000);

		if (off + len > LEN)
			len = LEN - off;
		if (off == 0)
			continue; /* keep the left edge missing for now */
		raw_send(r, sport, cport, base + off, ack, TH_ACK, NULL, 0,
		    want + off, len);
	}
	/* Now everything, in 1 KiB pieces, shuffled, some twice. */
	int order[LEN / 1024];
	for (int i = 0; i < LEN / 1024; i++)
		order[i] = i;
	for (int i = LEN / 1024 - 1; i > 0; i--) {
		uint64_t x;
		fill((uint8_t *)&x, sizeof(x), &st);
		int j = (int)(x % (uint64_t)(i + 1)), t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (int i = 0; i < LEN / 1024; i++) {
		uint32_t off = (uint32_t)order[i] * 1024;

		raw_send(r, sport, cport, base + off, ack, TH_ACK, NULL, 0,
		    want + off, 1024);
		if (i % 7 == 0)
			raw_send(r, sport, cport, base + off, ack, TH_ACK, NULL,
			    0, want + off, 1024);
	}
	read_exact(c, got, LEN);
	T_ASSERT(memcmp(got, want, LEN) == 0);
	/* And a FIN after it all. */
	raw_send(r, sport, cport, base + LEN, ack, TH_ACK | TH_FIN, NULL, 0,
	    NULL, 0);
	T_EQ(rump_sys_read(c, got, 1), 0);
	tset("tcp_rumpk_drop_port", 0);
	T_OK(rump_sys_close(c));
	T_OK(rump_sys_close(s));
	T_OK(rump_sys_close(r));
}
