/*
 * sp_bench.c — remote-client benchmarks (linked with librumpclient; or,
 * built as sp_local with SP_LOCAL, the same loops on a kernel in this
 * process).  Prints raw samples, one metric a line; bench/run.sh makes
 * medians and bench/results/sysproxy.json.
 *
 *   sp_bench pingpong REPS N  bare unix-socket round trips between two
 *                             host processes, frames of the getpid sizes
 *   sp_bench getpid REPS N    remote getpid round trips (RUMP_SERVER)
 *   sp_bench ofrc REPS N      open+fstat+read 4 KiB+close, and the frames
 *                             each call took
 *   sp_bench multi REPS MS K  K client processes doing getpid for MS ms
 *   sp_bench rt REPS N        pingpong and getpid in one process, N round
 *                             trips of each per repetition, in turn, and
 *                             the ping-pong with a multi-threaded echo
 *   sp_bench tcp REPS MIB SRC SINK SINKADDR [SRCADDR]
 *                             TCP bulk: a sink process (on kernel SINK)
 *                             accepts and reads, a source process (on
 *                             kernel SRC) connects to SINKADDR and writes
 *                             MIB MiB; MiB/s seen by the sink.  SRC and
 *                             SINK are server URLs (sp_bench) or, for
 *                             sp_local, a shmif bus file each kernel
 *                             attaches to with its address (SRCADDR,
 *                             SINKADDR, /24).  What arrived is checked
 *                             word by word after the clock stops.
 */
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "bench.h"

#ifdef SP_LOCAL
#include <rump/netconfig.h>
#include <rump/rump.h>
#else
#include <rump/rumpclient.h>
void rumpclient__frames(uint64_t *sent, uint64_t *received);
#endif

#define REQ_LEN    32 /* a getpid request: header + empty body */
#define RESP_LEN   48 /* its reply: header + retval[2] + chunk count */
#define RT_MAXREPS 1000

#ifdef SP_LOCAL
#define SP_TCP_METRIC "tcp_local_mibs"
#else
#define SP_TCP_METRIC "tcp_sysproxy_mibs"
#endif

/* The echo of the yardstick, on socket fd (an int cast to a pointer). */
static void *
pingpong_echo(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[64];

	for (;;) {
		if (read(fd, buf, REQ_LEN) <= 0)
			_exit(0);
		if (write(fd, buf, RESP_LEN) != RESP_LEN)
			_exit(1);
	}
}

static void *
pingpong_idle(void *arg)
{
	(void)arg;
	while (pause() == -1 || errno == 0)
		;
	return NULL;
}

/*
 * The yardstick: a host process that answers each REQ_LEN-byte frame with
 * a RESP_LEN-byte one over a unix stream socket, both ends blocking, one
 * write and one read per frame on each side: what a remote getpid does
 * at the least.  Returns our end; *pid is the echo process.
 *
 * threads > 0 (information only): the same echo, run by a thread of a
 * process with that many other threads, all blocked, as a rump_server's
 * are.  The host's scheduler treats such a thread differently from a
 * single-threaded process; this shows how much of the gap to the
 * yardstick that alone makes.
 */
static int
pingpong_start(pid_t *pid, int threads)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		bench_fail("socketpair", errno);
	if ((*pid = fork()) == 0) {
		pthread_t t;

		close(sv[0]);
		if (threads == 0)
			pingpong_echo((void *)(intptr_t)sv[1]);
		for (int i = 1; i < threads; i++)
			if (pthread_create(&t, NULL, pingpong_idle, NULL) != 0)
				_exit(1);
		if (pthread_create(
		        &t, NULL, pingpong_echo, (void *)(intptr_t)sv[1]) != 0)
			_exit(1);
		pingpong_idle(NULL);
	}
	close(sv[1]);
	return sv[0];
}

/* n round trips with the echo process; ns per round trip. */
static double
pingpong_run(int fd, long n)
{
	char buf[64];
	uint64_t t0;

	memset(buf, 0, sizeof(buf));
	t0 = bench_now_ns();
	for (long i = 0; i < n; i++) {
		if (write(fd, buf, REQ_LEN) != REQ_LEN ||
		    read(fd, buf, RESP_LEN) != RESP_LEN)
			bench_fail("pingpong", errno);
	}
	return (double)(bench_now_ns() - t0) / (double)n;
}

static void
pingpong(int reps, long n)
{
	double v[64];
	pid_t pid;
	int fd = pingpong_start(&pid, 0);

	for (int r = 0; r < reps; r++)
		v[r] = pingpong_run(fd, n);
	close(fd);
	waitpid(pid, NULL, 0);
	bench_print("pingpong_ns", v, reps, 0);
}

static void
boot(void)
{
#ifdef SP_LOCAL
	if (rump_init() != 0 || rump_pub_lwproc_rfork(RUMP_RFCFDG) != 0)
		bench_fail("rump_init", EINVAL);
#else
	if (rumpclient_init() != 0)
		bench_fail("rumpclient_init", errno);
#endif
}

/* n getpid calls; ns per call. */
static double
getpid_run(long n)
{
	uint64_t t0 = bench_now_ns();

	for (long i = 0; i < n; i++)
		if (rump_sys_getpid() < 0)
			bench_fail("getpid", errno);
	return (double)(bench_now_ns() - t0) / (double)n;
}

static void
getpid_loop(int reps, long n)
{
	double v[64];

	boot();
	for (int r = 0; r < reps; r++)
		v[r] = getpid_run(n);
	bench_print("getpid_ns", v, reps, 0);
}

/*
 * The two side by side: each repetition times n pingpong round trips and
 * n getpid calls, the order swapped every other time, so that whatever
 * else the machine does in that moment falls on both.  Each pair also
 * gives a ratio.  Then, for information, n round trips with the echo in
 * a thread of a process of RT_MTHREADS threads.  All warm up first.
 */
#define RT_MTHREADS 6 /* a rump_server serving one client has 6 */
static void
rt_pairs(int reps, long n)
{
	static double pp[RT_MAXREPS], gp[RT_MAXREPS], ratio[RT_MAXREPS];
	static double mt[RT_MAXREPS];
	pid_t pid, mpid;
	int fd = pingpong_start(&pid, 0);
	int mfd = pingpong_start(&mpid, RT_MTHREADS);

	boot();
	(void)pingpong_run(fd, n / 4 + 1);
	(void)getpid_run(n / 4 + 1);
	(void)pingpong_run(mfd, n / 4 + 1);
	for (int r = 0; r < reps; r++) {
		if (r % 2 == 0) {
			pp[r] = pingpong_run(fd, n);
			gp[r] = getpid_run(n);
		} else {
			gp[r] = getpid_run(n);
			pp[r] = pingpong_run(fd, n);
		}
		ratio[r] = gp[r] / pp[r];
		mt[r] = pingpong_run(mfd, n);
	}
	close(fd);
	close(mfd);
	waitpid(pid, NULL, 0);
	waitpid(mpid, NULL, 0);
	bench_print("pingpong_ns", pp, reps, 0);
	bench_print("getpid_ns", gp, reps, 0);
	bench_print("getpid_pair_ratio", ratio, reps, 4);
	bench_print("pingpong_mt_ns", mt, reps, 0);
}

static void
ofrc(int reps, long n)
{
	static char data[4096], back[4096];
	double v[64];
	struct stat st;
	int fd;

	boot();
	fd = rump_sys_open("/bench", O_CREAT | O_RDWR, 0644);
	if (fd < 0 || rump_sys_write(fd, data, sizeof(data)) != 4096 ||
	    rump_sys_close(fd) != 0)
		bench_fail("setup", errno);
	for (int r = 0; r < reps; r++) {
		uint64_t t0 = bench_now_ns();

		for (long i = 0; i < n; i++) {
			if ((fd = rump_sys_open("/bench", O_RDONLY)) < 0 ||
			    rump_sys_fstat(fd, &st) != 0 ||
			    rump_sys_read(fd, back, sizeof(back)) != 4096 ||
			    rump_sys_close(fd) != 0)
				bench_fail("ofrc", errno);
		}
		v[r] = (double)(bench_now_ns() - t0) / (double)n;
	}
	bench_print("ofrc_ns", v, reps, 0);
#ifndef SP_LOCAL
	{
		uint64_t s0, r0, s1, r1;
		double f;

		rumpclient__frames(&s0, &r0);
		fd = rump_sys_open("/bench", O_RDONLY);
		rump_sys_fstat(fd, &st);
		rump_sys_read(fd, back, sizeof(back));
		rump_sys_close(fd);
		rumpclient__frames(&s1, &r1);
		f = (double)(s1 - s0) / 4.0;
		bench_print("ofrc_roundtrips_per_call", &f, 1, 2);
		f = (double)(r1 - r0) / 4.0;
		bench_print("ofrc_replies_per_call", &f, 1, 2);
	}
#endif
}

static void
multi(int reps, long ms, int k)
{
	double v[64];

	for (int r = 0; r < reps; r++) {
		int p[2];
		long total = 0;
		pid_t kids[256];

		if (pipe(p) < 0)
			bench_fail("pipe", errno);
		for (int i = 0; i < k; i++) {
			if ((kids[i] = fork()) == 0) {
				uint64_t end;
				long calls = 0;

				boot();
				rump_sys_getpid(); /* connected before timing */
				end = bench_now_ns() + (uint64_t)ms * 1000000;
				while (bench_now_ns() < end) {
					for (int j = 0; j < 64; j++)
						rump_sys_getpid();
					calls += 64;
				}
				if (write(p[1], &calls, sizeof(calls)) < 0)
					_exit(1);
				_exit(0);
			}
		}
		close(p[1]);
		for (int i = 0; i < k; i++) {
			long c = 0;

			if (read(p[0], &c, sizeof(c)) == sizeof(c))
				total += c;
			waitpid(kids[i], NULL, 0);
		}
		close(p[0]);
		v[r] = (double)total * 1000.0 / (double)ms;
	}
	bench_print("multi_calls_per_s", v, reps, 0);
}

/* ------------------------------------------------------ TCP bulk */

#define TCP_CHUNK_DEFAULT (256 * 1024)

/* The stream's 64-bit word i (splitmix64 of i and the run's seed). */
static inline uint64_t
tcp_word(uint64_t i, uint64_t seed)
{
	uint64_t z = (i + seed) * 0x9e3779b97f4a7c15ull;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Memory for the whole stream, touched now so no page fault is timed. */
static uint64_t *
tcp_buf(uint64_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		bench_fail("mmap", errno);
	memset(p, 0, bytes);
	return p;
}

/* TCP_CHUNK=bytes: the size of each read and write (256 KiB). */
static size_t
tcp_chunk(void)
{
	const char *e = getenv("TCP_CHUNK");
	long v = e != NULL ? atol(e) : 0;

	return v > 0 ? (size_t)v : TCP_CHUNK_DEFAULT;
}

/*
 * A kernel for one side: the server at `where` (a URL) for a client; for
 * sp_local a kernel of our own on the shmif bus file `where` with addr/24.
 */
static void
tcp_boot(const char *where, const char *addr)
{
#ifdef SP_LOCAL
	char ifname[16];
	int n, error;

	if (rump_init() != 0)
		bench_fail("rump_init", EINVAL);
	if ((error = rump_pub_shmif_create(where, &n)) != 0)
		bench_fail("shmif_create", error);
	snprintf(ifname, sizeof(ifname), "shmif%d", n);
	if ((error = rump_pub_netconfig_ipv4_ifaddr_cidr(ifname, addr, 24)) !=
	        0 ||
	    (error = rump_pub_netconfig_ifup(ifname)) != 0)
		bench_fail(ifname, error);
#else
	(void)addr;
	if (setenv("RUMP_SERVER", where, 1) != 0 || rumpclient_init() != 0)
		bench_fail(where, errno);
#endif
}

static struct sockaddr_in
tcp_sin(const char *addr, int port)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
		bench_fail(addr, EINVAL);
	return sin;
}

/* One line to the parent. */
static void
tcp_tell(int fd, const char *line)
{
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line))
		bench_fail("report", errno);
}

/*
 * The sink: listens, says "ready", accepts one connection and reads it to
 * the end in chunk-sized reads, each into the next part of one buffer;
 * the clock runs from the first byte to the end of the stream.  Then it
 * checks every word and reports "bytes ns bad-words".
 */
static void __attribute__((noreturn)) tcp_sink(const char *where,
    const char *addr, int port, uint64_t bytes, uint64_t seed, int rep)
{
	size_t chunk = tcp_chunk();
	uint64_t *buf = tcp_buf(bytes + chunk);
	uint8_t *b = (uint8_t *)buf;
	struct sockaddr_in sin = tcp_sin("0.0.0.0", port);
	uint64_t total = 0, t0 = 0, t1, bad = 0;
	char line[128];
	int l, s, one = 1;
	ssize_t n;

	tcp_boot(where, addr);
	if ((l = rump_sys_socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    rump_sys_setsockopt(
	        l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    rump_sys_bind(l, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    rump_sys_listen(l, 8) != 0)
		bench_fail("sink listen", errno);
	tcp_tell(rep, "ready\n");
	if ((s = rump_sys_accept(l, NULL, NULL)) < 0)
		bench_fail("accept", errno);
	/* Past the expected end a read still has room: more is an error. */
	while ((n = rump_sys_read(s, b + total,
	            total < bytes && bytes - total < chunk ? bytes - total
	                                                   : chunk)) > 0) {
		if (total == 0)
			t0 = bench_now_ns();
		total += (uint64_t)n;
		if (total > bytes)
			break;
	}
	t1 = bench_now_ns();
	if (n < 0)
		bench_fail("sink read", errno);
	for (uint64_t i = 0; i < total / 8 && i < bytes / 8; i++)
		if (buf[i] != tcp_word(i, seed))
			bad++;
	snprintf(line, sizeof(line), "%llu %llu %llu\n",
	    (unsigned long long)total, (unsigned long long)(t1 - t0),
	    (unsigned long long)bad);
	tcp_tell(rep, line);
	rump_sys_close(s);
	rump_sys_close(l);
	_exit(0);
}

/*
 * The source: fills the stream first, then connects and writes it in
 * chunk-sized writes, closes, and stays (its kernel, for sp_local, holds
 * what is not yet sent) until the parent closes `stay`.
 */
static void __attribute__((noreturn))
tcp_source(const char *where, const char *addr, const char *peer, int port,
    uint64_t bytes, uint64_t seed, int stay)
{
	size_t chunk = tcp_chunk();
	uint64_t *buf = tcp_buf(bytes);
	const uint8_t *b = (const uint8_t *)buf;
	struct sockaddr_in sin = tcp_sin(peer, port);
	uint64_t off = 0;
	char c;
	int s;

	for (uint64_t i = 0; i < bytes / 8; i++)
		buf[i] = tcp_word(i, seed);
	tcp_boot(where, addr);
	if ((s = rump_sys_socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    rump_sys_connect(s, (struct sockaddr *)&sin, sizeof(sin)) != 0)
		bench_fail("source connect", errno);
	while (off < bytes) {
		ssize_t n = rump_sys_write(
		    s, b + off, bytes - off < chunk ? bytes - off : chunk);

		if (n <= 0)
			bench_fail("source write", n < 0 ? errno : EIO);
		off += (uint64_t)n;
	}
	if (rump_sys_close(s) != 0)
		bench_fail("source close", errno);
	while (read(stay, &c, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

/* Reads one line from fd within ms milliseconds; false at EOF or late. */
static bool
tcp_line(int fd, char *line, size_t len, int ms)
{
	size_t got = 0;
	uint64_t end = bench_now_ns() + (uint64_t)ms * 1000000;

	while (got + 1 < len) {
		struct pollfd pfd = {fd, POLLIN, 0};
		uint64_t now = bench_now_ns();
		ssize_t n;

		if (now >= end ||
		    poll(&pfd, 1, (int)((end - now) / 1000000) + 1) < 0)
			return false;
		if (!(pfd.revents & (POLLIN | POLLHUP)))
			continue;
		if ((n = read(fd, line + got, 1)) <= 0)
			return false;
		if (line[got] == '\n') {
			line[got] = '\0';
			return true;
		}
		got++;
	}
	return false;
}

/*
 * CPU time (user + system, ns) of the processes in TCP_CPU_PIDS (the
 * rump_servers, for sp_bench: blank-separated pids) so far.
 */
static uint64_t
tcp_server_cpu(void)
{
	const char *e = getenv("TCP_CPU_PIDS");
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t ticks = 0;
	char *end;

	while (e != NULL && *e != '\0') {
		long pid = strtol(e, &end, 10);
		char path[64], line[1024], *p;
		unsigned long long ut, st;
		FILE *f;

		if (end == e)
			break;
		e = end;
		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		if ((f = fopen(path, "r")) == NULL)
			bench_fail(path, errno);
		p = fgets(line, sizeof(line), f);
		fclose(f);
		/* After "pid (comm) ": utime and stime are fields 14 and 15. */
		if (p == NULL || (p = strrchr(line, ')')) == NULL ||
		    sscanf(p + 2,
		        "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
		        &ut, &st) != 2)
			bench_fail(path, EINVAL);
		ticks += ut + st;
	}
	return ticks * (1000000000ull / (uint64_t)hz);
}

/* CPU time (user + system, ns) of our waited-for children so far. */
static uint64_t
tcp_children_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_CHILDREN, &ru);
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) *
	    1000000000ull +
	    (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000u;
}

/*
 * Repetitions of the transfer.  Besides MiB/s it prints the CPU time of
 * each repetition (the two client processes and, for sp_bench, the
 * servers named in TCP_CPU_PIDS) in ms per MiB.  That includes each
 * process's setup (filling and checking the stream; booting a kernel,
 * for sp_local), the same on both sides but for the boot.
 */
static void
tcp(int reps, long mib, const char *src, const char *sink, const char *sinkaddr,
    const char *srcaddr, int port)
{
	uint64_t bytes = (uint64_t)mib << 20;
	double v[64], cpu[64];

	for (int r = 0; r < reps; r++) {
		uint64_t seed = (uint64_t)getpid() * 1000003u + (uint64_t)r;
		unsigned long long got, ns, bad;
		char line[128];
		int rp[2], sp[2], st;
		pid_t a, b;

		uint64_t c0 = tcp_children_cpu(), s0 = tcp_server_cpu();

		if (pipe(rp) < 0 || pipe(sp) < 0)
			bench_fail("pipe", errno);
		fflush(stdout);
		if ((a = fork()) == 0) {
			close(rp[0]);
			close(sp[0]);
			close(sp[1]);
			tcp_sink(sink, sinkaddr, port + r, bytes, seed, rp[1]);
		}
		close(rp[1]);
		if (!tcp_line(rp[0], line, sizeof(line), 30000) ||
		    strcmp(line, "ready") != 0)
			bench_fail("sink not ready", ETIMEDOUT);
		if ((b = fork()) == 0) {
			close(rp[0]);
			close(sp[1]);
			tcp_source(src, srcaddr, sinkaddr, port + r, bytes,
			    seed, sp[0]);
		}
		close(sp[0]);
		if (!tcp_line(rp[0], line, sizeof(line), 600000) ||
		    sscanf(line, "%llu %llu %llu", &got, &ns, &bad) != 3)
			bench_fail("sink report", ETIMEDOUT);
		close(sp[1]);
		close(rp[0]);
		if (waitpid(a, &st, 0) != a || st != 0 ||
		    waitpid(b, &st, 0) != b || st != 0)
			bench_fail("tcp child", ECHILD);
		if (got != bytes || bad != 0) {
			fprintf(stderr,
			    "bench: tcp: %llu of %llu bytes arrived, %llu "
			    "words wrong\n",
			    got, (unsigned long long)bytes, bad);
			exit(1);
		}
		v[r] = (double)bytes / (1024.0 * 1024.0) / ((double)ns / 1e9);
		cpu[r] =
		    (double)(tcp_children_cpu() - c0 + tcp_server_cpu() - s0) /
		    1e6 / (double)mib;
	}
	bench_print(SP_TCP_METRIC, v, reps, 2);
	bench_print(SP_TCP_METRIC "_cpu_ms_per_mib", cpu, reps, 3);
}

int
main(int argc, char **argv)
{
	int reps;

	if (argc < 4)
		bench_fail("usage: sp_bench MODE REPS N [K]", EINVAL);
	reps = atoi(argv[2]);
	if (reps < 1 || (reps > 64 && strcmp(argv[1], "rt") != 0))
		bench_fail("REPS (1 to 64)", EINVAL);
	if (strcmp(argv[1], "pingpong") == 0)
		pingpong(reps, atol(argv[3]));
	else if (strcmp(argv[1], "getpid") == 0)
		getpid_loop(reps, atol(argv[3]));
	else if (strcmp(argv[1], "ofrc") == 0)
		ofrc(reps, atol(argv[3]));
	else if (strcmp(argv[1], "multi") == 0 && argc == 5)
		multi(reps, atol(argv[3]), atoi(argv[4]));
	else if (strcmp(argv[1], "rt") == 0 && reps <= RT_MAXREPS)
		rt_pairs(reps, atol(argv[3]));
	else if (strcmp(argv[1], "tcp") == 0 && (argc == 7 || argc == 8))
		tcp(reps, atol(argv[3]), argv[4], argv[5], argv[6],
		    argc == 8 ? argv[7] : "10.0.0.1",
		    getenv("TCP_PORT") ? atoi(getenv("TCP_PORT")) : 7100);
	else
		bench_fail(argv[1], EINVAL);
	return 0;
}
