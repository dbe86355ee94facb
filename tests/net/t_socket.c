/*
 * t_socket.c — the generic socket layer: mbuf unit checks, SOL_SOCKET
 * options compared with the host kernel (SO_RCVBUF doubling and limits,
 * timeouts, linger, flags, read-only options), sendmsg/recvmsg with
 * iovecs and control messages, sendmmsg/recvmmsg, bad pointers and
 * descriptors, fstat and ioctls of sockets.
 */
#include <linux/sockios.h>
#include <pthread.h>
#include <signal.h>
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

T_CASE(mbuf_unit, "mbufs: devget, copym sharing, copyback, split, pullup...")
{
	char msg[200];
	int line;

	boot();
	line = rump_knet_mbuf_selftest(msg, sizeof(msg));
	if (line != 0)
		T_FAIL("knet.c:%d: %s", line, msg);
	leakcheck();
}

#define MAXOUT 400
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

/* get(name) as an int with its length, or -errno. */
static void
getint(const struct sockapi *a, struct trace *t, int s, int level, int name)
{
	int v = -12345;
	socklen_t len = sizeof(v);

	rec(t, outcome(a->sa_getsockopt(s, level, name, &v, &len)));
	rec(t, v);
	rec(t, len);
}

static void
setint(
    const struct sockapi *a, struct trace *t, int s, int level, int name, int v)
{
	rec(t, outcome(a->sa_setsockopt(s, level, name, &v, sizeof(v))));
}

static void
seq_options(const struct sockapi *a, struct trace *t, int domain, int type)
{
	static const int flagopts[] = {SO_REUSEADDR, SO_REUSEPORT, SO_KEEPALIVE,
	    SO_BROADCAST, SO_DONTROUTE, SO_OOBINLINE, SO_PASSCRED};
	/* Up to Linux's default rmem_max/wmem_max (the host's may differ). */
	static const int bufvals[] = {0, 1, 1000, 2304, 4608, 100000, 212992};
	struct linger l;
	struct timeval tv;
	socklen_t len;
	int s, v;
	char c;

	rec(t, outcome(s = a->sa_socket(domain, type, 0)));
	getint(a, t, s, SOL_SOCKET, SO_TYPE);
	getint(a, t, s, SOL_SOCKET, SO_DOMAIN);
	getint(a, t, s, SOL_SOCKET, SO_PROTOCOL);
	getint(a, t, s, SOL_SOCKET, SO_ERROR);
	getint(a, t, s, SOL_SOCKET, SO_ACCEPTCONN);
	getint(a, t, s, SOL_SOCKET, SO_RCVLOWAT);
	getint(a, t, s, SOL_SOCKET, SO_SNDLOWAT);
	setint(a, t, s, SOL_SOCKET, SO_TYPE, 1);
	setint(a, t, s, SOL_SOCKET, SO_SNDLOWAT, 1);
	setint(a, t, s, SOL_SOCKET, 9999, 1);
	getint(a, t, s, SOL_SOCKET, 9999);
	for (size_t i = 0; i < sizeof(flagopts) / sizeof(flagopts[0]); i++) {
		getint(a, t, s, SOL_SOCKET, flagopts[i]);
		setint(a, t, s, SOL_SOCKET, flagopts[i], 7);
		getint(a, t, s, SOL_SOCKET, flagopts[i]);
		setint(a, t, s, SOL_SOCKET, flagopts[i], 0);
		getint(a, t, s, SOL_SOCKET, flagopts[i]);
	}
	for (size_t i = 0; i < sizeof(bufvals) / sizeof(bufvals[0]); i++) {
		setint(a, t, s, SOL_SOCKET, SO_RCVBUF, bufvals[i]);
		getint(a, t, s, SOL_SOCKET, SO_RCVBUF);
		setint(a, t, s, SOL_SOCKET, SO_SNDBUF, bufvals[i]);
		getint(a, t, s, SOL_SOCKET, SO_SNDBUF);
	}
	setint(a, t, s, SOL_SOCKET, SO_RCVLOWAT, 10);
	getint(a, t, s, SOL_SOCKET, SO_RCVLOWAT);
	setint(a, t, s, SOL_SOCKET, SO_RCVLOWAT, 0);
	getint(a, t, s, SOL_SOCKET, SO_RCVLOWAT);
	/* A short option length. */
	c = 1;
	rec(t, outcome(a->sa_setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &c, 1)));
	v = 0;
	len = 1;
	rec(t, outcome(a->sa_getsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, &len)));
	rec(t, len);
	rec(t, v & 0xff);
	/* SO_LINGER. */
	l = (struct linger){1, 5};
	rec(t,
	    outcome(a->sa_setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof(l))));
	memset(&l, 0, sizeof(l));
	len = sizeof(l);
	rec(t, outcome(a->sa_getsockopt(s, SOL_SOCKET, SO_LINGER, &l, &len)));
	rec(t, l.l_onoff);
	rec(t, l.l_linger);
	rec(t, len);
	rec(t, outcome(a->sa_setsockopt(s, SOL_SOCKET, SO_LINGER, &l, 4)));
	/* Timeouts: whole seconds and milliseconds survive the trip. */
	tv = (struct timeval){2, 500000};
	rec(t,
	    outcome(
	        a->sa_setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))));
	memset(&tv, 0, sizeof(tv));
	len = sizeof(tv);
	rec(t,
	    outcome(a->sa_getsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, &len)));
	rec(t, tv.tv_sec);
	rec(t, tv.tv_usec);
	rec(t, len);
	tv = (struct timeval){0, 2000000};
	rec(t,
	    outcome(
	        a->sa_setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv))));
	rec(t, outcome(a->sa_setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, 8)));
	/* Bad pointers and lengths. */
	len = sizeof(v);
	rec(t, outcome(a->sa_setsockopt(s, SOL_SOCKET, SO_RCVBUF, NULL, 4)));
	rec(t, outcome(a->sa_getsockopt(s, SOL_SOCKET, SO_RCVBUF, NULL, &len)));
	rec(t, outcome(a->sa_getsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, NULL)));
	len = (socklen_t)-1;
	rec(t, outcome(a->sa_getsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, &len)));
	rec(t, outcome(a->sa_setsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, 0)));
	rec(t, outcome(a->sa_getsockopt(999, SOL_SOCKET, SO_RCVBUF, &v, &len)));
	rec(t, outcome(a->sa_getsockopt(0, SOL_SOCKET, SO_RCVBUF, &v, &len)));
	rec(t, outcome(a->sa_close(s)));
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

static void
options_vs_host(int domain, int type)
{
	struct trace th = {{0}, 0}, tr = {{0}, 0};
	struct sockapi h = sockapi_host("/tmp"), r = sockapi_rump("/");
	int fd;

	boot();
	/* Descriptor 0 must be a non-socket on both sides. */
	T_OK(fd = rump_sys_open("/dev/null", O_RDONLY));
	if (fd != 0) {
		T_OK(rump_sys_dup2(fd, 0));
		T_OK(rump_sys_close(fd));
	}
	seq_options(&h, &th, domain, type);
	seq_options(&r, &tr, domain, type);
	compare("options", &th, &tr);
	leakcheck();
}

T_CASE(options_unix_stream, "SOL_SOCKET options of AF_UNIX stream, vs host")
{
	options_vs_host(AF_UNIX, SOCK_STREAM);
}

T_CASE(options_unix_dgram, "SOL_SOCKET options of AF_UNIX datagrams, vs host")
{
	options_vs_host(AF_UNIX, SOCK_DGRAM);
}

T_CASE(options_bufmax, "SO_RCVBUF/SO_SNDBUF cap at Linux's default maxima")
{
	int s, v;
	socklen_t len = sizeof(v);
	const int big[] = {300000, -1, 0x7fffffff};

	boot();
	T_OK(s = rump_sys_socket(AF_UNIX, SOCK_STREAM, 0));
	for (int i = 0; i < 3; i++) {
		T_OK(rump_sys_setsockopt(
		    s, SOL_SOCKET, SO_RCVBUF, &big[i], sizeof(int)));
		T_OK(rump_sys_getsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, &len));
		T_EQ(v, 2 * 212992);
		T_OK(rump_sys_setsockopt(
		    s, SOL_SOCKET, SO_SNDBUF, &big[i], sizeof(int)));
		T_OK(rump_sys_getsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, &len));
		T_EQ(v, 2 * 212992);
	}
	v = 1 << 20;
	T_OK(rump_sys_setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)));
	T_OK(rump_sys_getsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, &len));
	T_EQ(v, 2 << 20);
	T_OK(rump_sys_close(s));
	leakcheck();
}

T_CASE(msg_iovecs, "sendmsg/recvmsg gather and scatter, names, bad iovecs")
{
	int sv[2];
	char a[3] = "abc", b[5] = "defgh", r1[2], r2[10];
	struct iovec siov[2] = {{a, 3}, {b, 5}}, riov[2] = {{r1, 2}, {r2, 10}};
	struct msghdr m;
	struct mmsghdr mm[4];
	struct iovec mi[4];
	char mbuf[4][8];

	boot();
	T_OK(rump_sys_socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	memset(&m, 0, sizeof(m));
	m.msg_iov = siov;
	m.msg_iovlen = 2;
	T_EQ(rump_sys_sendmsg(sv[0], &m, 0), 8);
	memset(&m, 0, sizeof(m));
	m.msg_iov = riov;
	m.msg_iovlen = 2;
	T_EQ(rump_sys_recvmsg(sv[1], &m, 0), 8);
	T_ASSERT(memcmp(r1, "ab", 2) == 0 && memcmp(r2, "cdefgh", 6) == 0);
	T_EQ(m.msg_flags, 0);
	T_EQ(m.msg_controllen, 0);
	/* Bad iovecs and headers. */
	m.msg_iovlen = 5000;
	T_ERRNO(rump_sys_sendmsg(sv[0], &m, 0), EMSGSIZE);
	T_ERRNO(rump_sys_sendmsg(sv[0], (struct msghdr *)8, 0), EFAULT);
	memset(&m, 0, sizeof(m));
	siov[0].iov_base = (void *)8;
	m.msg_iov = siov;
	m.msg_iovlen = 1;
	T_ERRNO(rump_sys_sendmsg(sv[0], &m, 0), EFAULT);
	siov[0].iov_base = a;
	T_ERRNO(rump_sys_sendto(sv[0], (void *)8, 10, 0, NULL, 0), EFAULT);
	T_ERRNO(rump_sys_sendto(99, a, 1, 0, NULL, 0), EBADF);
	T_ERRNO(rump_sys_sendto(1, a, 1, 0, NULL, 0), ENOTSOCK);
	m.msg_control = a;
	m.msg_controllen = 3;
	T_ERRNO(rump_sys_sendmsg(sv[0], &m, 0), EINVAL);
	/* sendmmsg/recvmmsg. */
	for (int i = 0; i < 4; i++) {
		snprintf(mbuf[i], sizeof(mbuf[i]), "msg%d", i);
		mi[i] = (struct iovec){mbuf[i], 4};
		memset(&mm[i], 0, sizeof(mm[i]));
		mm[i].msg_hdr.msg_iov = &mi[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	T_EQ(rump_sys_sendmmsg(sv[0], mm, 3, 0), 3);
	for (int i = 0; i < 4; i++) {
		memset(mbuf[i], 0, sizeof(mbuf[i]));
		mi[i] = (struct iovec){mbuf[i], 8};
		mm[i].msg_len = 0;
	}
	T_EQ(rump_sys_recvmmsg(sv[1], mm, 4, MSG_DONTWAIT, NULL), 3);
	T_EQ(mm[2].msg_len, 4);
	T_ASSERT(strcmp(mbuf[2], "msg2") == 0);
	T_ERRNO(rump_sys_recvmmsg(sv[1], mm, 4, MSG_DONTWAIT, NULL), EAGAIN);
	T_OK(rump_sys_close(sv[0]));
	T_OK(rump_sys_close(sv[1]));
	leakcheck();
}

T_CASE(socket_file, "sockets as files: fstat, fcntl, ioctl, lseek, dup")
{
	int sv[2], d, v;
	struct stat st;
	char c;

	boot();
	T_OK(rump_sys_socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	T_OK(rump_sys_fstat(sv[0], &st));
	T_EQ(st.st_mode & S_IFMT, S_IFSOCK);
	T_ERRNO(rump_sys_lseek(sv[0], 0, SEEK_SET), ESPIPE);
	T_ERRNO(rump_sys_ioctl(sv[0], 0x1234, &v), ENOTTY);
	v = 1;
	T_OK(rump_sys_ioctl(sv[0], FIONBIO, &v));
	T_ERRNO(rump_sys_read(sv[0], &c, 1), EAGAIN);
	v = 0;
	T_OK(rump_sys_ioctl(sv[0], FIONBIO, &v));
	T_OK(d = rump_sys_dup(sv[1]));
	T_OK(rump_sys_close(sv[1]));
	T_EQ(rump_sys_write(d, "x", 1), 1);
	T_EQ(rump_sys_read(sv[0], &c, 1), 1);
	T_OK(rump_sys_close(d));
	T_EQ(rump_sys_read(sv[0], &c, 1), 0);
	T_OK(rump_sys_close(sv[0]));
	T_ERRNO(rump_sys_listen(0, 1), ENOTSOCK);
	leakcheck();
}
