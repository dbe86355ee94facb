/*
 * t_unix.c — AF_UNIX sockets: socketpairs of the three types, blocking
 * and non-blocking transfers, poll readiness, MSG_PEEK/WAITALL/DONTWAIT/
 * TRUNC, shutdown and close semantics, binding to paths and abstract
 * names, accept queues, SCM_RIGHTS with a pipe and a tmpfs file,
 * SO_PEERCRED and /proc/net/unix.  Where it makes sense the same sequence
 * runs against the host kernel and rumpk and the outcomes must match.
 * Every case ends with a check that no mbuf leaked.
 */
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <linux/sockios.h>
#include <sys/uio.h>

#include "harness.h"
#include "knet.h"
#include "rumptest.h"
#include "sockapi.h"

static uint64_t mb0, cl0;

static void
boot(void)
{
	signal(SIGPIPE, SIG_IGN);
	t_boot();
	rump_knet_mbuf_stats(&mb0, &cl0);
}

/* No mbuf or cluster outlives the case (after the sockets are closed). */
static void
leakcheck(void)
{
	uint64_t mb, cl;

	for (int i = 0; i < 200; i++) {
		rump_knet_mbuf_stats(&mb, &cl);
		if (mb == mb0 && cl == cl0)
			return;
		usleep(5000);
	}
	T_FAIL("mbuf leak: %llu mbufs, %llu clusters (were %llu, %llu)",
	    (unsigned long long)mb, (unsigned long long)cl,
	    (unsigned long long)mb0, (unsigned long long)cl0);
}

/* ---------------------------------------------------------- host oracle */

static char hostdir[256];

static void
mkhostdir(void)
{
	snprintf(hostdir, sizeof(hostdir), "/tmp/t_unix.XXXXXX");
	if (mkdtemp(hostdir) == NULL)
		T_FAIL("mkdtemp: %s", strerror(errno));
}

static void
rmhostdir(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", hostdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", hostdir);
}

static void
mkaddr(const struct sockapi *a, const char *name, struct sockaddr_un *sun,
    socklen_t *len)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	snprintf(
	    sun->sun_path, sizeof(sun->sun_path), "%s/%s", a->sa_dir, name);
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    strlen(sun->sun_path) + 1);
}

#define MAXOUT 256
struct trace {
	long v[MAXOUT];
	int n;
};

static void
rec(struct trace *t, long v)
{
	if (t->n < MAXOUT)
		t->v[t->n++] = v;
}

/*
 * The sequence compared against the host: errors of bind, connect,
 * listen, accept, send and recv in the life of a stream connection and
 * datagram sockets, and shutdown's effects.
 */
static void
seq_sockets(const struct sockapi *a, struct trace *t)
{
	struct sockaddr_un sun, sun2, got;
	socklen_t len, len2, glen;
	int l, c, s, d1, d2, v;
	char buf[64];
	struct pollfd pfd;

	mkaddr(a, "srv", &sun, &len);
	mkaddr(a, "dgram", &sun2, &len2);
	rec(t, outcome(l = a->sa_socket(AF_UNIX, SOCK_STREAM, 0)));
	rec(t, outcome(c = a->sa_socket(AF_UNIX, SOCK_STREAM, 0)));
	rec(t, outcome(a->sa_connect(c, (struct sockaddr *)&sun, len)));
	rec(t, outcome(a->sa_listen(l, 5)));
	rec(t, outcome(a->sa_bind(l, (struct sockaddr *)&sun, len)));
	rec(t, outcome(a->sa_bind(l, (struct sockaddr *)&sun, len)));
	rec(t, outcome(a->sa_connect(c, (struct sockaddr *)&sun, len)));
	rec(t, outcome(a->sa_sendto(c, "x", 1, MSG_NOSIGNAL, NULL, 0)));
	rec(t, outcome(a->sa_recvfrom(c, buf, 1, MSG_DONTWAIT, NULL, NULL)));
	rec(t, outcome(a->sa_listen(l, 5)));
	rec(t, outcome(a->sa_fcntl(l, F_SETFL, O_NONBLOCK)));
	glen = sizeof(got);
	rec(t, outcome(a->sa_getsockname(l, (struct sockaddr *)&got, &glen)));
	rec(t, glen > 2 ? (long)glen - (long)strlen(a->sa_dir) : (long)glen);
	rec(t, outcome(a->sa_accept4(l, NULL, NULL, SOCK_NONBLOCK)));
	rec(t, outcome(a->sa_connect(c, (struct sockaddr *)&sun, len)));
	glen = sizeof(got);
	rec(t,
	    outcome(s = a->sa_accept4(l, (struct sockaddr *)&got, &glen, 0)));
	rec(t, glen > 2 ? (long)glen - (long)strlen(a->sa_dir) : (long)glen);
	rec(t, got.sun_family);
	glen = sizeof(got);
	rec(t, outcome(a->sa_getpeername(c, (struct sockaddr *)&got, &glen)));
	rec(t, glen > 2 ? (long)glen - (long)strlen(a->sa_dir) : (long)glen);
	rec(t, strcmp(got.sun_path, sun.sun_path) == 0);
	glen = sizeof(got);
	rec(t, outcome(a->sa_getsockname(s, (struct sockaddr *)&got, &glen)));
	rec(t, glen > 2 ? (long)glen - (long)strlen(a->sa_dir) : (long)glen);
	rec(t, outcome(a->sa_accept4(l, NULL, NULL, SOCK_NONBLOCK)));
	rec(t, outcome(a->sa_accept4(l, NULL, NULL, 12345)));
	rec(t, outcome(a->sa_sendto(c, "hello", 5, 0, NULL, 0)));
	rec(t,
	    outcome(
	        a->sa_sendto(c, "hello", 5, 0, (struct sockaddr *)&sun, len)));
	rec(t, outcome(a->sa_recvfrom(s, buf, sizeof(buf), 0, NULL, NULL)));
	rec(t, outcome(a->sa_ioctl(s, FIONREAD, &v)));
	rec(t, v);
	/* Half close: the reader sees EOF, the other direction still works. */
	rec(t, outcome(a->sa_shutdown(c, SHUT_WR)));
	rec(t, outcome(a->sa_sendto(c, "x", 1, MSG_NOSIGNAL, NULL, 0)));
	rec(t, outcome(a->sa_recvfrom(s, buf, sizeof(buf), 0, NULL, NULL)));
	pfd = (struct pollfd){s, POLLIN | POLLOUT | POLLRDHUP, 0};
	rec(t, outcome(a->sa_poll(&pfd, 1, 0)));
	rec(t, pfd.revents);
	rec(t, outcome(a->sa_sendto(s, "back", 4, 0, NULL, 0)));
	rec(t, outcome(a->sa_recvfrom(c, buf, sizeof(buf), 0, NULL, NULL)));
	rec(t, outcome(a->sa_shutdown(c, 7)));
	rec(t, outcome(a->sa_close(s)));
	rec(t, outcome(a->sa_recvfrom(c, buf, sizeof(buf), 0, NULL, NULL)));
	pfd = (struct pollfd){c, POLLIN | POLLOUT | POLLRDHUP, 0};
	rec(t, outcome(a->sa_poll(&pfd, 1, 0)));
	rec(t, pfd.revents);
	rec(t, outcome(a->sa_close(c)));
	rec(t, outcome(a->sa_close(l)));
	/* Nobody listens any more: refused; the node is still there. */
	rec(t, outcome(c = a->sa_socket(AF_UNIX, SOCK_STREAM, 0)));
	rec(t, outcome(a->sa_connect(c, (struct sockaddr *)&sun, len)));
	rec(t, outcome(a->sa_close(c)));
	{
		struct stat st;

		rec(t, outcome(a->sa_stat(sun.sun_path, &st)));
		rec(t, S_ISSOCK(st.st_mode));
		rec(t, outcome(a->sa_unlink(sun.sun_path)));
	}
	/* Datagrams: bound receiver, unconnected sender, wrong types. */
	rec(t, outcome(d1 = a->sa_socket(AF_UNIX, SOCK_DGRAM, 0)));
	rec(t, outcome(d2 = a->sa_socket(AF_UNIX, SOCK_DGRAM, 0)));
	rec(t, outcome(a->sa_sendto(d2, "q", 1, 0, NULL, 0)));
	rec(t,
	    outcome(
	        a->sa_sendto(d2, "q", 1, 0, (struct sockaddr *)&sun2, len2)));
	rec(t, outcome(a->sa_bind(d1, (struct sockaddr *)&sun2, len2)));
	rec(t,
	    outcome(
	        a->sa_sendto(d2, "abc", 3, 0, (struct sockaddr *)&sun2, len2)));
	rec(t,
	    outcome(
	        a->sa_sendto(d2, "", 0, 0, (struct sockaddr *)&sun2, len2)));
	glen = sizeof(got);
	rec(t,
	    outcome(
	        a->sa_recvfrom(d1, buf, 2, 0, (struct sockaddr *)&got, &glen)));
	rec(t, glen > 2 ? (long)glen - (long)strlen(a->sa_dir) : (long)glen);
	rec(t, outcome(a->sa_recvfrom(d1, buf, 2, MSG_DONTWAIT, NULL, NULL)));
	rec(t, outcome(a->sa_recvfrom(d1, buf, 2, MSG_DONTWAIT, NULL, NULL)));
	rec(t, outcome(a->sa_listen(d1, 1)));
	rec(t, outcome(a->sa_connect(d2, (struct sockaddr *)&sun, len)));
	rec(t, outcome(a->sa_connect(d2, (struct sockaddr *)&sun2, len2)));
	rec(t, outcome(a->sa_sendto(d2, "zz", 2, 0, NULL, 0)));
	rec(t, outcome(a->sa_recvfrom(d1, buf, 2, MSG_TRUNC, NULL, NULL)));
	rec(t, outcome(a->sa_close(d1)));
	rec(t, outcome(a->sa_sendto(d2, "zz", 2, 0, NULL, 0)));
	rec(t, outcome(a->sa_sendto(d2, "zz", 2, 0, NULL, 0)));
	rec(t, outcome(a->sa_close(d2)));
	rec(t, outcome(a->sa_unlink(sun2.sun_path)));
	/* Type mismatch between connector and listener. */
	rec(t, outcome(l = a->sa_socket(AF_UNIX, SOCK_SEQPACKET, 0)));
	rec(t, outcome(a->sa_bind(l, (struct sockaddr *)&sun, len)));
	rec(t, outcome(a->sa_listen(l, 1)));
	rec(t, outcome(c = a->sa_socket(AF_UNIX, SOCK_STREAM, 0)));
	rec(t, outcome(a->sa_connect(c, (struct sockaddr *)&sun, len)));
	rec(t, outcome(a->sa_close(c)));
	rec(t, outcome(a->sa_close(l)));
	rec(t, outcome(a->sa_unlink(sun.sun_path)));
	/* Bad addresses. */
	rec(t, outcome(c = a->sa_socket(AF_UNIX, SOCK_STREAM, 0)));
	sun.sun_family = AF_INET;
	rec(t, outcome(a->sa_bind(c, (struct sockaddr *)&sun, len)));
	sun.sun_family = AF_UNIX;
	rec(t, outcome(a->sa_bind(c, (struct sockaddr *)&sun, 1)));
	rec(t, outcome(a->sa_bind(c, (struct sockaddr *)&sun, 200)));
	mkaddr(a, "nodir/x", &sun, &len);
	rec(t, outcome(a->sa_bind(c, (struct sockaddr *)&sun, len)));
	rec(t, outcome(a->sa_connect(c, (struct sockaddr *)&sun, len)));
	rec(t, outcome(a->sa_close(c)));
}

static void
compare(const char *what, const struct trace *h, const struct trace *r)
{
	T_EQ(r->n, h->n);
	for (int i = 0; i < h->n; i++)
		if (h->v[i] != r->v[i])
			T_FAIL("%s: step %d: host %ld, rump %ld", what, i,
			    h->v[i], r->v[i]);
}

T_CASE(oracle_sequence,
    "bind/listen/connect/accept/send/recv/shutdown outcomes match the host")
{
	struct trace th = {{0}, 0}, tr = {{0}, 0};
	struct sockapi h, r;

	boot();
	mkhostdir();
	h = sockapi_host(hostdir);
	T_OK(rump_sys_mkdir("/w", 0777));
	r = sockapi_rump("/w");
	seq_sockets(&h, &th);
	rmhostdir();
	seq_sockets(&r, &tr);
	compare("sockets", &th, &tr);
	leakcheck();
}

/* ------------------------------------------------------------ socketpairs */

T_CASE(pair_stream, "a stream socketpair carries bytes both ways, then EOF")
{
	int sv[2];
	char buf[100];
	struct stat st;

	boot();
	T_OK(rump_sys_socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	T_EQ(rump_sys_write(sv[0], "hello", 5), 5);
	T_EQ(rump_sys_write(sv[0], " world", 6), 6);
	T_EQ(rump_sys_read(sv[1], buf, 3), 3);
	T_ASSERT(memcmp(buf, "hel", 3) == 0);
	T_EQ(rump_sys_read(sv[1], buf, sizeof(buf)), 8);
	T_ASSERT(memcmp(buf, "lo world", 8) == 0);
	T_EQ(rump_sys_write(sv[1], "back", 4), 4);
	T_EQ(rump_sys_read(sv[0], buf, sizeof(buf)), 4);
	T_OK(rump_sys_fstat(sv[0], &st));
	T_ASSERT(S_ISSOCK(st.st_mode));
	T_OK(rump_sys_close(sv[1]));
	T_EQ(rump_sys_read(sv[0], buf, sizeof(buf)), 0);
	T_ERRNO(rump_sys_sendto(sv[0], "x", 1, MSG_NOSIGNAL, NULL, 0), EPIPE);
	T_ERRNO(rump_sys_write(sv[0], "x", 1), EPIPE);
	T_OK(rump_sys_close(sv[0]));
	leakcheck();
}

T_CASE(pair_close_unread,
    "closing with unread data gives the peer ECONNRESET, as Linux")
{
	int sv[2];
	char buf[8];

	boot();
	T_OK(rump_sys_socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	T_EQ(rump_sys_write(sv[0], "abc", 3), 3);
	T_OK(rump_sys_close(sv[1]));
	T_ERRNO(rump_sys_read(sv[0], buf, sizeof(buf)), ECONNRESET);
	T_EQ(rump_sys_read(sv[0], buf, sizeof(buf)), 0);
	T_OK(rump_sys_close(sv[0]));
	leakcheck();
}

static void
pair_records(int type)
{
	int sv[2], flags;
	char buf[100];
	struct msghdr msg;
	struct iovec iov;

	T_OK(rump_sys_socketpair(AF_UNIX, type, 0, sv));
	T_EQ(rump_sys_write(sv[0], "one", 3), 3);
	T_EQ(rump_sys_write(sv[0], "second", 6), 6);
	T_EQ(rump_sys_write(sv[0], "", 0), 0);
	T_EQ(rump_sys_write(sv[0], "truncated!", 10), 10);
	T_EQ(rump_sys_read(sv[1], buf, sizeof(buf)), 3);
	T_EQ(rump_sys_recvfrom(sv[1], buf, 2, MSG_PEEK, NULL, NULL), 2);
	T_EQ(rump_sys_recvfrom(sv[1], buf, 2, MSG_PEEK | MSG_TRUNC, NULL, NULL),
	    6);
	T_EQ(rump_sys_read(sv[1], buf, sizeof(buf)), 6);
	T_ASSERT(memcmp(buf, "second", 6) == 0);
	T_EQ(rump_sys_read(sv[1], buf, sizeof(buf)), 0);
	memset(&msg, 0, sizeof(msg));
	iov = (struct iovec){buf, 4};
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	T_EQ(rump_sys_recvmsg(sv[1], &msg, 0), 4);
	flags = msg.msg_flags;
	T_ASSERT(flags & MSG_TRUNC);
	T_ASSERT(memcmp(buf, "trun", 4) == 0);
	T_ERRNO(
	    rump_sys_recvfrom(sv[1], buf, 1, MSG_DONTWAIT, NULL, NULL), EAGAIN);
	T_OK(rump_sys_close(sv[0]));
	T_OK(rump_sys_close(sv[1]));
}

T_CASE(pair_dgram, "datagram socketpairs keep message boundaries, TRUNC")
{
	boot();
	pair_records(SOCK_DGRAM);
	leakcheck();
}

T_CASE(pair_seqpacket, "seqpacket socketpairs keep message boundaries")
{
	int sv[2];
	char buf[8];

	boot();
	pair_records(SOCK_SEQPACKET);
	T_OK(rump_sys_socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv));
	T_OK(rump_sys_close(sv[0]));
	T_EQ(rump_sys_read(sv[1], buf, sizeof(buf)), 0);
	T_OK(rump_sys_close(sv[1]));
	leakcheck();
}

T_CASE(pair_flags, "socketpair/socket flags: NONBLOCK, CLOEXEC, bad ones")
{
	int sv[2];

	boot();
	T_OK(rump_sys_socketpair(
	    AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv));
	T_ASSERT(rump_sys_fcntl(sv[0], F_GETFL) & O_NONBLOCK);
	T_ASSERT(rump_sys_fcntl(sv[1], F_GETFD) & FD_CLOEXEC);
	T_OK(rump_sys_close(sv[0]));
	T_OK(rump_sys_close(sv[1]));
	T_ERRNO(
	    rump_sys_socketpair(AF_UNIX, SOCK_STREAM | 0x100, 0, sv), EINVAL);
	T_ERRNO(rump_sys_socketpair(AF_UNIX, SOCK_RAW, 0, sv), ESOCKTNOSUPPORT);
	T_ERRNO(rump_sys_socketpair(AF_UNIX, SOCK_STREAM, 0, (int *)8), EFAULT);
	T_ERRNO(rump_sys_socket(AF_UNIX, SOCK_STREAM, 77), EPROTONOSUPPORT);
	T_ERRNO(rump_sys_socket(1234, SOCK_STREAM, 0), EAFNOSUPPORT);
	T_ERRNO(rump_sys_socket(AF_UNIX, 42, 0), EINVAL);
	leakcheck();
}

/* ------------------------------------------------------ blocking and poll */

T_CASE(nonblocking_fill,
    "a non-blocking writer fills the pair, then EAGAIN and no POLLOUT")
{
	int sv[2];
	static char buf[65536];
	size_t total = 0;
	ssize_t n;
	struct pollfd pfd;

	boot();
	T_OK(rump_sys_socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	T_OK(rump_sys_fcntl(sv[0], F_SETFL, O_NONBLOCK));
	for (;;) {
		n = rump_sys_write(sv[0], buf, sizeof(buf));
		if (n < 0)
			break;
		total += (size_t)n;
		T_ASSERT(total < 64 * 1024 * 1024);
	}
	T_EQ(errno, EAGAIN);
	T_ASSERT(total >= 100000);
	pfd = (struct pollfd){sv[0], POLLOUT, 0};
	T_EQ(rump_sys_poll(&pfd, 1, 0), 0);
	pfd = (struct pollfd){sv[1], POLLIN, 0};
	T_EQ(rump_sys_poll(&pfd, 1, 0), 1);
	T_EQ(pfd.revents, POLLIN);
	int v = 0;
	T_OK(rump_sys_ioctl(sv[1], FIONREAD, &v));
	T_EQ((size_t)v, total);
	T_OK(rump_sys_ioctl(sv[0], SIOCOUTQ, &v));
	T_EQ((size_t)v, total);
	/* Draining gives the writer its room back. */
	while (total > 0) {
		n = rump_sys_read(sv[1], buf, sizeof(buf));
		T_ASSERT(n > 0);
		total -= (size_t)n;
	}
	pfd = (struct pollfd){sv[0], POLLOUT, 0};
	T_EQ(rump_sys_poll(&pfd, 1, 0), 1);
	T_OK(rump_sys_close(sv[0]));
	T_OK(rump_sys_close(sv[1]));
	leakcheck();
}

struct xfer {
	int fd;
	size_t len;
	uint32_t sum;
	int error;
};

static uint32_t
cksum(uint32_t s, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		s = s * 31 + p[i];
	return s;
}

static void *
writer(void *arg)
{
	struct xfer *x = arg;
	static unsigned char buf[100000];
	size_t left = x->len;

	rump_pub_lwproc_newlwp(1);
	while (left > 0) {
		size_t k = left < sizeof(buf) ? left : sizeof(buf);

		for (size_t i = 0; i < k; i++)
			buf[i] = (unsigned char)(left - i);
		ssize_t n = rump_sys_write(x->fd, buf, k);
		if (n <= 0) {
			x->error = errno;
			break;
		}
		x->sum = cksum(x->sum, buf, (size_t)n);
		left -= (size_t)n;
		/* Resend what was not taken: the pattern is by position. */
		if ((size_t)n < k) {
			x->sum = 0;
			x->error = -1;
			break;
		}
	}
	rump_pub_lwproc_releaselwp();
	return NULL;
}

T_CASE(blocking_transfer,
    "a blocking writer and reader move 32 MiB intact through a stream pair")
{
	int sv[2];
	pthread_t t;
	struct xfer x;
	static unsigned char buf[70000];
	size_t got = 0;
	uint32_t sum = 0;

	boot();
	T_OK(rump_sys_socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	x = (struct xfer){sv[0], 32u << 20, 0, 0};
	T_EQ(pthread_create(&t, NULL, writer, &x), 0);
	while (got < x.len) {
		ssize_t n = rump_sys_read(sv[1], buf, sizeof(buf));

		T_ASSERT(n > 0);
		sum = cksum(sum, buf, (size_t)n);
		got += (size_t)n;
	}
	pthread_join(t, NULL);
	T_EQ(x.error, 0);
	T_EQ(sum, x.sum);
	T_OK(rump_sys_close(sv[0]));
	T_OK(rump_sys_close(sv[1]));
	leakcheck();
}

struct delayed {
	int fd;
	int ms;
	const char *data;
};

static void *
delayed_write(void *arg)
{
	struct delayed *d = arg;

	rump_pub_lwproc_newlwp(1);
	usleep((useconds_t)d->ms * 1000);
	(void)rump_sys_write(d->fd, d->data, strlen(d->data));
	rump_pub_lwproc_releaselwp();
	return NULL;
}

T_CASE(waitall_peek_timeo,
    "MSG_WAITALL waits for all, MSG_PEEK leaves data, SO_RCVTIMEO times out")
{
	int sv[2];
	char buf[16];
	pthread_t t;
	struct delayed d;
	struct timeval tv = {0, 100000};
	struct pollfd pfd;
	uint64_t t0;

	boot();
	T_OK(rump_sys_socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	T_EQ(rump_sys_write(sv[0], "abc", 3), 3);
	d = (struct delayed){sv[0], 100, "defgh"};
	T_EQ(pthread_create(&t, NULL, delayed_write, &d), 0);
	T_EQ(rump_sys_recvfrom(sv[1], buf, 2, MSG_PEEK, NULL, NULL), 2);
	T_EQ(rump_sys_recvfrom(sv[1], buf, 8, MSG_WAITALL, NULL, NULL), 8);
	T_ASSERT(memcmp(buf, "abcdefgh", 8) == 0);
	pthread_join(t, NULL);
	/* poll wakes up when data comes. */
	d = (struct delayed){sv[0], 50, "x"};
	T_EQ(pthread_create(&t, NULL, delayed_write, &d), 0);
	pfd = (struct pollfd){sv[1], POLLIN, 0};
	T_EQ(rump_sys_poll(&pfd, 1, 5000), 1);
	T_EQ(pfd.revents, POLLIN);
	pthread_join(t, NULL);
	T_EQ(rump_sys_read(sv[1], buf, 8), 1);
	T_OK(rump_sys_setsockopt(
	    sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	t0 = t_now_ns();
	T_ERRNO(rump_sys_read(sv[1], buf, 1), EAGAIN);
	T_ASSERT(t_now_ns() - t0 >= 90000000ULL);
	T_ERRNO(
	    rump_sys_recvfrom(sv[1], buf, 1, MSG_DONTWAIT, NULL, NULL), EAGAIN);
	T_OK(rump_sys_close(sv[0]));
	T_OK(rump_sys_close(sv[1]));
	leakcheck();
}

/* ----------------------------------------------------- names and accept */

T_CASE(abstract_names, "the abstract namespace: bind, connect, in use")
{
	struct sockaddr_un sun, got;
	socklen_t len = offsetof(struct sockaddr_un, sun_path) + 8, glen;
	int l, l2, c, s;
	char buf[8];

	boot();
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, "\0rumpabs", 8);
	T_OK(l = rump_sys_socket(AF_UNIX, SOCK_STREAM, 0));
	T_OK(rump_sys_bind(l, (struct sockaddr *)&sun, len));
	T_OK(rump_sys_listen(l, 1));
	T_OK(l2 = rump_sys_socket(AF_UNIX, SOCK_STREAM, 0));
	T_ERRNO(rump_sys_bind(l2, (struct sockaddr *)&sun, len), EADDRINUSE);
	/* A different length is a different name. */
	T_OK(rump_sys_bind(l2, (struct sockaddr *)&sun, len - 1));
	T_OK(c = rump_sys_socket(AF_UNIX, SOCK_STREAM, 0));
	T_OK(rump_sys_connect(c, (struct sockaddr *)&sun, len));
	T_OK(s = rump_sys_accept4(l, NULL, NULL, 0));
	glen = sizeof(got);
	T_OK(rump_sys_getpeername(c, (struct sockaddr *)&got, &glen));
	T_EQ(glen, len);
	T_ASSERT(memcmp(got.sun_path, "\0rumpabs", 8) == 0);
	T_EQ(rump_sys_write(c, "hi", 2), 2);
	T_EQ(rump_sys_read(s, buf, sizeof(buf)), 2);
	/* Autobind: an address of length 2. */
	T_OK(rump_sys_close(l2));
	T_OK(l2 = rump_sys_socket(AF_UNIX, SOCK_DGRAM, 0));
	T_OK(rump_sys_bind(l2, (struct sockaddr *)&sun,
	    offsetof(struct sockaddr_un, sun_path)));
	glen = sizeof(got);
	T_OK(rump_sys_getsockname(l2, (struct sockaddr *)&got, &glen));
	T_EQ(glen, offsetof(struct sockaddr_un, sun_path) + 6);
	T_EQ(got.sun_path[0], 0);
	T_OK(rump_sys_close(l2));
	T_OK(rump_sys_close(s));
	T_OK(rump_sys_close(c));
	T_OK(rump_sys_close(l));
	/* The name is free again once its socket is gone. */
	T_OK(l = rump_sys_socket(AF_UNIX, SOCK_STREAM, 0));
	T_OK(rump_sys_bind(l, (struct sockaddr *)&sun, len));
	T_OK(rump_sys_close(l));
	leakcheck();
}

T_CASE(accept_queue, "a backlog of pending connections; close of a listener")
{
	struct sockaddr_un sun;
	socklen_t len;
	struct sockapi r;
	int l, c[4], s;
	char buf[8];
	struct pollfd pfd;

	boot();
	T_OK(rump_sys_mkdir("/w", 0777));
	r = sockapi_rump("/w");
	mkaddr(&r, "q", &sun, &len);
	T_OK(l = rump_sys_socket(AF_UNIX, SOCK_STREAM, 0));
	T_OK(rump_sys_bind(l, (struct sockaddr *)&sun, len));
	T_OK(rump_sys_listen(l, 2));
	pfd = (struct pollfd){l, POLLIN, 0};
	T_EQ(rump_sys_poll(&pfd, 1, 0), 0);
	for (int i = 0; i < 3; i++) {
		T_OK(c[i] = rump_sys_socket(AF_UNIX, SOCK_STREAM, 0));
		T_OK(rump_sys_connect(c[i], (struct sockaddr *)&sun, len));
		T_EQ(rump_sys_write(c[i], "abc", 3), 3);
	}
	/* The backlog (2, and Linux lets one more in) is full. */
	T_OK(c[3] = rump_sys_socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0));
	T_ERRNO(rump_sys_connect(c[3], (struct sockaddr *)&sun, len), EAGAIN);
	T_EQ(rump_sys_poll(&pfd, 1, 0), 1);
	T_OK(s = rump_sys_accept4(l, NULL, NULL, SOCK_CLOEXEC));
	T_EQ(rump_sys_read(s, buf, sizeof(buf)), 3);
	T_ASSERT(rump_sys_fcntl(s, F_GETFD) & FD_CLOEXEC);
	T_OK(rump_sys_close(s));
	/* Closing the listener resets the connections still queued. */
	T_OK(rump_sys_close(l));
	T_ERRNO(rump_sys_read(c[1], buf, sizeof(buf)), ECONNRESET);
	for (int i = 0; i < 4; i++)
		T_OK(rump_sys_close(c[i]));
	T_OK(rump_sys_unlink(sun.sun_path));
	leakcheck();
}

/* ----------------------------------------------------------- SCM_RIGHTS */

static int
send_fds(int s, const int *fds, int n, const char *data)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 8)];
	struct iovec iov = {(void *)(uintptr_t)data, strlen(data)};
	struct msghdr msg;
	struct cmsghdr *cm;

	memset(&msg, 0, sizeof(msg));
	memset(cbuf, 0, sizeof(cbuf));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf;
	msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
	memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)n);
	return (int)rump_sys_sendmsg(s, &msg, 0);
}

/* Receives up to *n fds with a control buffer for cap fds. */
static ssize_t
recv_fds(int s, int *fds, int *n, int cap, int *flags, char *data, size_t dlen)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 8)];
	struct iovec iov = {data, dlen};
	struct msghdr msg;
	struct cmsghdr *cm;
	ssize_t r;

	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cap > 0 ? cbuf : NULL;
	msg.msg_controllen = cap > 0 ? CMSG_LEN(sizeof(int) * (size_t)cap) : 0;
	r = rump_sys_recvmsg(s, &msg, 0);
	*n = 0;
	*flags = msg.msg_flags;
	if (r < 0)
		return r;
	for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_RIGHTS) {
			int k =
			    (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));

			memcpy(
			    fds + *n, CMSG_DATA(cm), sizeof(int) * (size_t)k);
			*n += k;
		}
	return r;
}

T_CASE(scm_rights, "SCM_RIGHTS passes a pipe and a tmpfs file; CTRUNC")
{
	int sv[2], p[2], f, fds[4], n, flags;
	char data[16], buf[32];

	boot();
	T_OK(rump_sys_socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	T_OK(rump_sys_pipe(p));
	T_OK(f = rump_sys_open("/file", O_RDWR | O_CREAT, 0644));
	T_EQ(rump_sys_write(f, "tmpfs data", 10), 10);
	fds[0] = p[0];
	fds[1] = f;
	T_EQ(send_fds(sv[0], fds, 2, "fds"), 3);
	T_OK(rump_sys_close(p[0]));
	T_OK(rump_sys_close(f));
	T_EQ(rump_sys_write(p[1], "through the pipe", 16), 16);
	memset(fds, -1, sizeof(fds));
	T_EQ(recv_fds(sv[1], fds, &n, 4, &flags, data, sizeof(data)), 3);
	T_EQ(n, 2);
	T_EQ(flags & MSG_CTRUNC, 0);
	T_EQ(rump_sys_read(fds[0], buf, sizeof(buf)), 16);
	T_ASSERT(memcmp(buf, "through the pipe", 16) == 0);
	T_EQ(rump_sys_pread64(fds[1], buf, sizeof(buf), 0), 10);
	T_ASSERT(memcmp(buf, "tmpfs data", 10) == 0);
	T_OK(rump_sys_close(fds[0]));
	T_OK(rump_sys_close(fds[1]));

	/* Room for one of two: MSG_CTRUNC, the other is closed. */
	T_OK(rump_sys_pipe(p));
	fds[0] = p[0];
	fds[1] = p[0];
	T_EQ(send_fds(sv[0], fds, 2, "x"), 1);
	T_OK(rump_sys_close(p[0]));
	T_EQ(recv_fds(sv[1], fds, &n, 1, &flags, data, sizeof(data)), 1);
	T_EQ(n, 1);
	T_ASSERT(flags & MSG_CTRUNC);
	T_OK(rump_sys_close(fds[0]));
	/* Every read end is gone now: the writer sees EPIPE. */
	T_ERRNO(rump_sys_write(p[1], "x", 1), EPIPE);

	/* Never received: closed with the socket. */
	T_OK(rump_sys_pipe(p));
	T_EQ(send_fds(sv[0], &p[0], 1, "y"), 1);
	T_OK(rump_sys_close(p[0]));
	T_EQ(rump_sys_write(p[1], "z", 1), 1);
	T_OK(rump_sys_close(sv[1]));
	T_OK(rump_sys_close(sv[0]));
	signal(SIGPIPE, SIG_IGN);
	T_ERRNO(rump_sys_write(p[1], "z", 1), EPIPE);
	T_OK(rump_sys_close(p[1]));

	/* Bad descriptors and rights on other families. */
	T_OK(rump_sys_socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	fds[0] = 99;
	T_ERRNO(send_fds(sv[0], fds, 1, "bad"), EBADF);
	T_OK(rump_sys_close(sv[0]));
	T_OK(rump_sys_close(sv[1]));
	leakcheck();
}

T_CASE(peercred, "SO_PEERCRED of pairs, connections and unconnected sockets")
{
	struct ucred uc;
	socklen_t len = sizeof(uc);
	int sv[2], s;

	boot();
	T_OK(rump_sys_socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	T_OK(rump_sys_getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &uc, &len));
	T_EQ(len, sizeof(uc));
	T_EQ(uc.pid, rump_sys_getpid());
	T_EQ(uc.uid, 0);
	T_OK(s = rump_sys_socket(AF_UNIX, SOCK_STREAM, 0));
	len = sizeof(uc);
	T_OK(rump_sys_getsockopt(s, SOL_SOCKET, SO_PEERCRED, &uc, &len));
	T_EQ(uc.pid, 0);
	T_EQ(uc.uid, (uid_t)-1);
	T_OK(rump_sys_close(s));
	T_OK(rump_sys_close(sv[0]));
	T_OK(rump_sys_close(sv[1]));
	leakcheck();
}

T_CASE(proc_net_unix, "/proc/net/unix lists bound and listening sockets")
{
	struct sockaddr_un sun;
	socklen_t len;
	struct sockapi r;
	char buf[4096];
	int l, fd;
	ssize_t n;

	boot();
	T_OK(rump_sys_mkdir("/w", 0777));
	r = sockapi_rump("/w");
	mkaddr(&r, "listener", &sun, &len);
	T_OK(l = rump_sys_socket(AF_UNIX, SOCK_STREAM, 0));
	T_OK(rump_sys_bind(l, (struct sockaddr *)&sun, len));
	T_OK(rump_sys_listen(l, 1));
	T_OK(fd = rump_sys_open("/proc/net/unix", O_RDONLY));
	T_ASSERT((n = rump_sys_read(fd, buf, sizeof(buf) - 1)) > 0);
	buf[n] = '\0';
	T_OK(rump_sys_close(fd));
	T_ASSERT(strncmp(buf,
	             "Num       RefCount Protocol Flags    Type St "
	             "Inode Path\n",
	             55) == 0);
	T_ASSERT(strstr(buf, "00010000 0001 01") != NULL);
	T_ASSERT(strstr(buf, " /w/listener\n") != NULL);
	T_OK(rump_sys_close(l));
	leakcheck();
}
