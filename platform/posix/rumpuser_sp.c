/*
 * rumpuser_sp.c — the sysproxy server: remote clients reach the kernel
 * over a unix or TCP socket (docs/sysproxy.md is the protocol).
 *
 * Threads.  One listener thread accepts; every connection gets a host
 * thread of its own, which reads a frame, runs it on the connection's lwp
 * and writes the reply — the thread that read a request executes it, so
 * the fast path has no hand-off.  A client gives each of its threads a
 * connection of its own (the first is the process's "main" connection;
 * the others ATTACH to the same kernel process), so a call that blocks in
 * the kernel blocks exactly the client thread that made it, and a
 * connection never has more than one request in flight: the copyin
 * round trips of that request are read by the same thread.  A watcher
 * thread waits on epoll for hang-ups of main connections only, so a
 * client that dies while a thread of it is stuck in a kernel call (read on
 * an empty pipe) is still torn down: its descriptors are closed, which
 * wakes what they can wake.
 *
 * Objects.  sp_proc: one per kernel process of a client, with the 128-bit
 * cookie that other connections of the client present (ATTACH) and that
 * a prefork hands to the forked child (FORK); it is the kernel's p_vmarg.
 * sp_conn: one per connection.  Lifetimes: a connection holds a reference
 * to its sp_proc, and so does a pending prefork; the kernel process goes
 * with its last lwp (one per connection plus the parked lwp of a prefork).
 *
 * Locks: sp_lock guards the lists, the references and the watcher's pins;
 * c_sendlock makes a frame's bytes contiguous on the socket.  No host
 * lock is held across a kernel call.  Blocking socket I/O inside a kernel
 * call (a copyin round trip) gives the virtual CPU back first.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "rumpuser_int.h"
#include "sp_proto.h"
#include "sp_url.h"

#define SP_SYS_CLOSE_RANGE 436 /* Linux x86-64 */
#define SP_RBUF            (64 * 1024)
/*
 * Buffers grown for big frames (bulk reads and writes) are kept until this
 * many small frames in a row have been served: no allocation per call
 * while the big ones come, and idle connections go back to SP_RBUF.
 */
#define SP_SHRINK_AFTER 64
#define SP_INTERVALS    4
#define SP_MAXCONN      4096
/* rump_pub_lwproc_rfork's flags (rump.h): copy or clear the fd table. */
#define SP_RFFDG  0x01
#define SP_RFCFDG 0x02

struct sp_conn;

struct sp_proc {
	uint8_t sp_cookie[SP_COOKIE]; /* [I] */
	int sp_pid;                   /* [sp_lock] */
	int sp_refs;                  /* [sp_lock] */
	bool sp_dying;                /* [sp_lock] main connection gone */
	struct sp_conn *sp_main;      /* [sp_lock] */
	struct lwp *sp_parked;        /* [sp_lock] prefork: lwp for FORK */
	struct sp_conn *sp_forker;    /* [sp_lock] prefork: who asked */
	struct sp_proc *sp_next;      /* [sp_lock] */
};

/*
 * States of a connection: BANNER → (handshake) → RUN → DEAD.  c_lwp is
 * bound to the connection's thread from the handshake on; c_pins keeps
 * the thread from releasing it while the watcher works in the process.
 */
struct sp_conn {
	int c_fd;               /* [I] */
	uint64_t c_id;          /* [I] epoll tag */
	struct sp_proc *c_proc; /* [thread; sp_lock to change] */
	struct lwp *c_lwp;      /* [thread] */
	bool c_main;            /* [sp_lock] */
	bool c_hup;             /* [sp_lock] the watcher saw a hang-up */
	int c_pins;             /* [sp_lock] */
	pthread_mutex_t c_sendlock;
	uint64_t c_reqno;        /* [thread] server-made requests */
	uint8_t *c_buf;          /* [thread] read buffer */
	size_t c_bufsz, c_rfill; /* [thread] */
	size_t c_cur;            /* [thread] length of the frame served */
	unsigned c_small;        /* [thread] small frames since a big one */
	uint8_t *c_obuf;         /* [thread] the OUT regions' data */
	size_t c_obufsz;         /* [thread] */
	struct sp_conn *c_next;  /* [sp_lock] */
};

/* A region of the request being served, with what the kernel wrote. */
struct sp_rgstate {
	uint8_t *rs_buf; /* IN data (in the frame) or its part of c_obuf */
	size_t rs_off;   /* OUT only: where in c_obuf */
	unsigned rs_n;   /* written intervals */
	uint32_t rs_lo[SP_INTERVALS], rs_hi[SP_INTERVALS];
};

/* The request a server thread is serving (thread-local). */
struct sp_req {
	struct sp_conn *rq_conn;
	uint64_t rq_reqno;
	bool rq_replied;  /* rumpuser_sp_fini answered it */
	size_t rq_outlen; /* the OUT-only regions' bytes, end to end */
	struct sp_sysreq rq_sr;
	struct sp_rgstate rq_rs[SP_MAXREGS];
};

static __thread struct sp_req *sp_curreq
    __attribute__((tls_model("initial-exec")));

static pthread_mutex_t sp_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sp_pincv = PTHREAD_COND_INITIALIZER;
static struct sp_proc *sp_procs; /* [sp_lock] */
static struct sp_conn *sp_conns; /* [sp_lock] */
static int sp_nconns;            /* [sp_lock] */
static uint64_t sp_nextid = 1;   /* [sp_lock] */
/* [sp_lock to change; a] read without the lock by the request path. */
static enum { SP_OFF, SP_ON, SP_STOPPED } sp_state;
static int sp_listenfd = -1;
static int sp_epfd = -1;
static struct sp_addr sp_addr;
static char sp_banner[SP_BANNER_MAX];
static size_t sp_bannerlen;

/* ------------------------------------------------------------ socket I/O */

/*
 * One send of iov.  A frame in one piece (most replies) goes with send(),
 * which spares the kernel importing a msghdr and an iovec.
 */
static ssize_t
sp_sendv(int fd, struct iovec *iov, int iovcnt, int flags)
{
	struct msghdr msg;

	if (iovcnt == 1)
		return send(fd, iov->iov_base, iov->iov_len, flags);
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = (size_t)iovcnt;
	return sendmsg(fd, &msg, flags);
}

/* Writes all of iov; EPIPE etc. when the peer went away. */
static int
sp_writev_all(int fd, struct iovec *iov, int iovcnt, int flags)
{
	while (iovcnt > 0) {
		ssize_t n = sp_sendv(fd, iov, iovcnt, MSG_NOSIGNAL | flags);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		while (iovcnt > 0 && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			iovcnt--;
		}
		if (iovcnt > 0) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
		flags &= ~MSG_DONTWAIT;
	}
	return 0;
}

/*
 * Sends a frame.  incall: the thread holds a virtual CPU, which it gives
 * back if the socket is full.  Only a main connection has a second
 * sender (rumpuser_sp_raise from another process's call, which finds it
 * as sp_main), so only there does c_sendlock keep frames whole.
 */
static int
sp_send(struct sp_conn *c, struct iovec *iov, int iovcnt, bool incall)
{
	bool lock = c->c_main;
	int error;

	if (lock)
		pthread_mutex_lock(&c->c_sendlock);
	if (!incall) {
		error = sp_writev_all(c->c_fd, iov, iovcnt, 0);
	} else {
		size_t total = 0;
		ssize_t n;

		for (int i = 0; i < iovcnt; i++)
			total += iov[i].iov_len;
		n = sp_sendv(c->c_fd, iov, iovcnt, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == (ssize_t)total) {
			error = 0;
		} else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			error = errno;
		} else {
			int nlocks;

			if (n < 0)
				n = 0;
			while (iovcnt > 0 && (size_t)n >= iov->iov_len) {
				n -= (ssize_t)iov->iov_len;
				iov++;
				iovcnt--;
			}
			if (iovcnt > 0) {
				iov->iov_base = (char *)iov->iov_base + n;
				iov->iov_len -= (size_t)n;
			}
			nlocks = rumpuser__unschedule();
			error = sp_writev_all(c->c_fd, iov, iovcnt, 0);
			rumpuser__reschedule(nlocks);
		}
	}
	if (lock)
		pthread_mutex_unlock(&c->c_sendlock);
	return error;
}

static int
sp_send_hdr(struct sp_conn *c, uint64_t reqno, unsigned cls, unsigned type,
    uint32_t arg, const void *body, size_t blen, bool incall)
{
	uint8_t hdr[SP_HDR_LEN];
	struct iovec iov[2] = {{hdr, SP_HDR_LEN}, {(void *)body, blen}};

	sp_hdr_encode(hdr, SP_HDR_LEN + blen, reqno, cls, type, arg);
	return sp_send(c, iov, blen ? 2 : 1, incall);
}

/* Reads exactly len bytes, first from what is buffered past `from`. */
static int
sp_read_exact(struct sp_conn *c, size_t *from, void *dst, size_t len)
{
	size_t have = c->c_rfill - *from;
	uint8_t *d = dst;

	if (have > 0) {
		size_t n = have < len ? have : len;

		memcpy(d, c->c_buf + *from, n);
		*from += n;
		d += n;
		len -= n;
	}
	while (len > 0) {
		ssize_t n = recv(c->c_fd, d, len, 0);

		if (n == 0)
			return ECONNRESET;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		d += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Reads the next whole frame into c_buf[0..h_len), after dropping the
 * previous one (c_cur bytes); bytes of the stream past the frame stay
 * buffered.  A buffer grown for a big frame shrinks back afterwards.
 * Returns 0, an errno of the socket, or EINVAL for a malformed header.
 */
static int
sp_read_frame(struct sp_conn *c, struct sp_hdr *h)
{
	size_t left = c->c_rfill - c->c_cur;

	if (c->c_small <= SP_SHRINK_AFTER && ++c->c_small == SP_SHRINK_AFTER) {
		free(c->c_obuf);
		c->c_obuf = NULL;
		c->c_obufsz = 0;
	}
	if (c->c_small == SP_SHRINK_AFTER && c->c_bufsz > SP_RBUF &&
	    left <= SP_RBUF) {
		uint8_t *nb = malloc(SP_RBUF);

		if (nb != NULL) {
			memcpy(nb, c->c_buf + c->c_cur, left);
			free(c->c_buf);
			c->c_buf = nb;
			c->c_bufsz = SP_RBUF;
			c->c_rfill = left;
			c->c_cur = 0;
		}
	}
	if (c->c_cur > 0) {
		memmove(c->c_buf, c->c_buf + c->c_cur, left);
		c->c_rfill = left;
		c->c_cur = 0;
	}
	for (;;) {
		if (c->c_rfill >= SP_HDR_LEN) {
			int error = sp_hdr_decode(c->c_buf, h);

			if (error)
				return error;
			if (h->h_len > SP_RBUF)
				c->c_small = 0;
			if (c->c_rfill >= h->h_len) {
				c->c_cur = h->h_len;
				return 0;
			}
			if (h->h_len > c->c_bufsz) {
				uint8_t *nb = realloc(c->c_buf, h->h_len);

				if (nb == NULL)
					return ENOMEM;
				c->c_buf = nb;
				c->c_bufsz = h->h_len;
			}
		}
		ssize_t n = recv(
		    c->c_fd, c->c_buf + c->c_rfill, c->c_bufsz - c->c_rfill, 0);
		if (n == 0)
			return ECONNRESET;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		c->c_rfill += (size_t)n;
	}
}

/* ---------------------------------------------------- regions and copies */

static struct sp_req *
sp_req_of(void *arg)
{
	struct sp_req *rq = sp_curreq;

	if (rq == NULL || arg == NULL || rq->rq_conn->c_proc != arg)
		return NULL;
	return rq;
}

/* The region that holds all of [a, a + len) with flag, or -1. */
static int
sp_region_find(struct sp_req *rq, uint64_t a, size_t len, uint32_t flag)
{
	for (unsigned i = 0; i < rq->rq_sr.sr_nregs; i++) {
		const struct sp_region *rg = &rq->rq_sr.sr_regs[i];

		if ((rg->rg_flags & flag) && a >= rg->rg_addr &&
		    len <= rg->rg_len && a - rg->rg_addr <= rg->rg_len - len)
			return (int)i;
	}
	return -1;
}

/* Sends a region's written intervals as COPYOUT frames and forgets them. */
static int
sp_region_flush(struct sp_req *rq, unsigned i)
{
	struct sp_rgstate *rs = &rq->rq_rs[i];
	const struct sp_region *rg = &rq->rq_sr.sr_regs[i];
	int error = 0;

	for (unsigned k = 0; k < rs->rs_n && error == 0; k++) {
		uint8_t body[16];

		sp_put64(body, rg->rg_addr + rs->rs_lo[k]);
		sp_put64(body + 8, rs->rs_hi[k] - rs->rs_lo[k]);
		uint8_t hdr[SP_HDR_LEN];
		struct iovec iov[3] = {{hdr, SP_HDR_LEN}, {body, 16},
		    {rs->rs_buf + rs->rs_lo[k], rs->rs_hi[k] - rs->rs_lo[k]}};
		sp_hdr_encode(hdr,
		    SP_HDR_LEN + 16 + (rs->rs_hi[k] - rs->rs_lo[k]),
		    rq->rq_conn->c_reqno++, SP_REQ, SP_T_COPYOUT, 0);
		error = sp_send(rq->rq_conn, iov, 3, true);
	}
	rs->rs_n = 0;
	return error;
}

static int
sp_flush_all(struct sp_req *rq)
{
	int error = 0;

	for (unsigned i = 0; i < rq->rq_sr.sr_nregs; i++)
		if (rq->rq_rs[i].rs_n > 0 && error == 0)
			error = sp_region_flush(rq, i);
	return error;
}

/*
 * The buffer of OUT-only region i, on the kernel's first copyout into it:
 * its part of the connection's c_obuf, which holds all such regions of
 * the request (at most SP_CARRY_MAX bytes) and is kept for the next ones.
 */
static int
sp_obuf(struct sp_req *rq, unsigned i)
{
	struct sp_conn *c = rq->rq_conn;

	/* Grown at the first copyout of a request, before any is in use. */
	if (c->c_obufsz < rq->rq_outlen) {
		free(c->c_obuf);
		c->c_obufsz = 0;
		if ((c->c_obuf = malloc(rq->rq_outlen)) == NULL)
			return ENOMEM;
		c->c_obufsz = rq->rq_outlen;
	}
	rq->rq_rs[i].rs_buf = c->c_obuf + rq->rq_rs[i].rs_off;
	return 0;
}

/* Records [lo, hi) as written in region i, merging what touches it. */
static int
sp_region_mark(struct sp_req *rq, unsigned i, uint32_t lo, uint32_t hi)
{
	struct sp_rgstate *rs = &rq->rq_rs[i];
	int error;

	for (unsigned k = 0; k < rs->rs_n;) {
		if (hi >= rs->rs_lo[k] && lo <= rs->rs_hi[k]) {
			lo = lo < rs->rs_lo[k] ? lo : rs->rs_lo[k];
			hi = hi > rs->rs_hi[k] ? hi : rs->rs_hi[k];
			rs->rs_n--;
			rs->rs_lo[k] = rs->rs_lo[rs->rs_n];
			rs->rs_hi[k] = rs->rs_hi[rs->rs_n];
			k = 0;
			continue;
		}
		k++;
	}
	/* Too scattered: what is pending goes now, as COPYOUT frames. */
	if (rs->rs_n == SP_INTERVALS && (error = sp_region_flush(rq, i)) != 0)
		return error;
	rs->rs_lo[rs->rs_n] = lo;
	rs->rs_hi[rs->rs_n] = hi;
	rs->rs_n++;
	return 0;
}

/*
 * One round trip for data of the client: sends request type (COPYIN,
 * COPYINSTR, ANONMMAP) with body, then reads the answer into dst (at most
 * dlen bytes; *got gets the count).  Anything but the answer is a broken
 * protocol: the connection is shut down and the copy fails with EFAULT.
 */
static int
sp_roundtrip(struct sp_req *rq, unsigned type, const void *body, size_t blen,
    void *dst, size_t dlen, size_t *got)
{
	struct sp_conn *c = rq->rq_conn;
	uint64_t reqno = c->c_reqno++;
	size_t from = c->c_cur; /* the request frame stays where it is */
	uint8_t hb[SP_HDR_LEN];
	struct sp_hdr h;
	int error, nlocks;

	if (sp_flush_all(rq) != 0)
		return EFAULT;
	nlocks = rumpuser__unschedule();
	error = sp_send_hdr(c, reqno, SP_REQ, type, 0, body, blen, false);
	if (error == 0)
		error = sp_read_exact(c, &from, hb, SP_HDR_LEN);
	if (error == 0)
		error = sp_hdr_decode(hb, &h);
	if (error == 0) {
		size_t n = h.h_len - SP_HDR_LEN;

		if (h.h_reqno != reqno || h.h_type != type ||
		    h.h_class == SP_REQ || n > dlen ||
		    (h.h_class == SP_ERROR && n != 0)) {
			error = EPROTO;
		} else if (h.h_class == SP_ERROR) {
			error = -1; /* the client's answer, not the socket's */
		} else if ((error = sp_read_exact(c, &from, dst, n)) == 0) {
			*got = n;
		}
	}
	/* What was read past the request frame was the answer: drop it. */
	memmove(c->c_buf + c->c_cur, c->c_buf + from, c->c_rfill - from);
	c->c_rfill -= from - c->c_cur;
	rumpuser__reschedule(nlocks);
	if (error == -1)
		return h.h_arg == ENAMETOOLONG ? ENAMETOOLONG : EFAULT;
	if (error != 0) {
		/* A broken stream: the client goes. */
		shutdown(c->c_fd, SHUT_RDWR);
		return EFAULT;
	}
	return 0;
}

RUMPUSER_EXPORT int
rumpuser_sp_copyin(void *arg, const void *raddr, void *laddr, size_t len)
{
	struct sp_req *rq = sp_req_of(arg);
	uint64_t a = (uint64_t)(uintptr_t)raddr;
	uint8_t *d = laddr;
	int i;

	if (rq == NULL)
		return EFAULT;
	if (len == 0)
		return 0;
	if ((i = sp_region_find(rq, a, len, SP_RG_IN)) >= 0) {
		memcpy(laddr,
		    rq->rq_rs[i].rs_buf + (a - rq->rq_sr.sr_regs[i].rg_addr),
		    len);
		return 0;
	}
	while (len > 0) {
		size_t n = len < SP_CARRY_MAX ? len : SP_CARRY_MAX, got = 0;
		uint8_t body[16];
		int error;

		sp_put64(body, a);
		sp_put64(body + 8, n);
		error = sp_roundtrip(rq, SP_T_COPYIN, body, 16, d, n, &got);
		if (error)
			return error;
		if (got != n)
			return EFAULT;
		a += n;
		d += n;
		len -= n;
	}
	return 0;
}

RUMPUSER_EXPORT int
rumpuser_sp_copyinstr(void *arg, const void *raddr, void *laddr, size_t *lenp)
{
	struct sp_req *rq = sp_req_of(arg);
	uint64_t a = (uint64_t)(uintptr_t)raddr;
	size_t max = *lenp, got = 0;
	uint8_t body[16];
	int error;

	*lenp = 0;
	if (rq == NULL)
		return EFAULT;
	for (unsigned i = 0; i < rq->rq_sr.sr_nregs; i++) {
		const struct sp_region *rg = &rq->rq_sr.sr_regs[i];
		const uint8_t *s, *nul;
		size_t avail;

		if (!(rg->rg_flags & SP_RG_IN) || a < rg->rg_addr ||
		    a - rg->rg_addr >= rg->rg_len)
			continue;
		s = rq->rq_rs[i].rs_buf + (a - rg->rg_addr);
		avail = rg->rg_len - (a - rg->rg_addr);
		if (avail > max)
			avail = max;
		if ((nul = memchr(s, '\0', avail)) != NULL) {
			memcpy(laddr, s, (size_t)(nul - s) + 1);
			*lenp = (size_t)(nul - s) + 1;
			return 0;
		}
		if (avail == max) {
			memcpy(laddr, s, max);
			*lenp = max;
			return ENAMETOOLONG;
		}
	}
	if (max > SP_CARRY_MAX)
		max = SP_CARRY_MAX;
	sp_put64(body, a);
	sp_put64(body + 8, max);
	error = sp_roundtrip(rq, SP_T_COPYINSTR, body, 16, laddr, max, &got);
	if (error)
		return error;
	if (got > 0 && memchr(laddr, '\0', got) != NULL) {
		*lenp =
		    (size_t)((char *)memchr(laddr, '\0', got) - (char *)laddr) +
		    1;
		return 0;
	}
	*lenp = got;
	return got == max ? ENAMETOOLONG : EFAULT;
}

RUMPUSER_EXPORT int
rumpuser_sp_copyout(void *arg, const void *laddr, void *raddr, size_t len)
{
	struct sp_req *rq = sp_req_of(arg);
	uint64_t a = (uint64_t)(uintptr_t)raddr;
	const uint8_t *s = laddr;
	int i, error;

	if (rq == NULL)
		return EFAULT;
	if (len == 0)
		return 0;
	if ((i = sp_region_find(rq, a, len, SP_RG_OUT)) >= 0) {
		const struct sp_region *rg = &rq->rq_sr.sr_regs[i];
		struct sp_rgstate *rs = &rq->rq_rs[i];
		uint32_t off = (uint32_t)(a - rg->rg_addr);

		if (rs->rs_buf == NULL && (error = sp_obuf(rq, i)) != 0)
			return error;
		memcpy(rs->rs_buf + off, laddr, len);
		return sp_region_mark(rq, (unsigned)i, off, off + (uint32_t)len)
		    ? EFAULT
		    : 0;
	}
	if (sp_flush_all(rq) != 0)
		return EFAULT;
	/* Keep the carried IN data what the client's memory now holds. */
	for (unsigned k = 0; k < rq->rq_sr.sr_nregs; k++) {
		const struct sp_region *rg = &rq->rq_sr.sr_regs[k];
		uint64_t lo, hi;

		if (!(rg->rg_flags & SP_RG_IN))
			continue;
		lo = a > rg->rg_addr ? a : rg->rg_addr;
		hi = a + len < rg->rg_addr + rg->rg_len
		    ? a + len
		    : rg->rg_addr + rg->rg_len;
		if (lo < hi)
			memcpy(rq->rq_rs[k].rs_buf + (lo - rg->rg_addr),
			    s + (lo - a), hi - lo);
	}
	while (len > 0) {
		size_t n = len < SP_CARRY_MAX ? len : SP_CARRY_MAX;
		uint8_t hdr[SP_HDR_LEN], body[16];
		struct iovec iov[3] = {
		    {hdr, SP_HDR_LEN}, {body, 16}, {(void *)s, n}};

		sp_put64(body, a);
		sp_put64(body + 8, n);
		sp_hdr_encode(hdr, SP_HDR_LEN + 16 + n, rq->rq_conn->c_reqno++,
		    SP_REQ, SP_T_COPYOUT, 0);
		if ((error = sp_send(rq->rq_conn, iov, 3, true)) != 0)
			return EFAULT;
		a += n;
		s += n;
		len -= n;
	}
	return 0;
}

RUMPUSER_EXPORT int
rumpuser_sp_copyoutstr(void *arg, const void *laddr, void *raddr, size_t *lenp)
{
	size_t n;

	if (sp_req_of(arg) == NULL)
		return EFAULT;
	n = strnlen(laddr, *lenp);
	if (n == *lenp)
		return ENAMETOOLONG;
	*lenp = n + 1;
	return rumpuser_sp_copyout(arg, laddr, raddr, n + 1);
}

RUMPUSER_EXPORT int
rumpuser_sp_anonmmap(void *arg, size_t howmuch, void **addr)
{
	struct sp_req *rq = sp_req_of(arg);
	uint8_t body[8], ans[8];
	size_t got = 0;
	int error;

	if (rq == NULL)
		return EFAULT;
	sp_put64(body, howmuch);
	error = sp_roundtrip(rq, SP_T_ANONMMAP, body, 8, ans, 8, &got);
	if (error)
		return error;
	if (got != 8 || sp_get64(ans) == 0)
		return ENOMEM;
	*addr = (void *)(uintptr_t)sp_get64(ans);
	return 0;
}

RUMPUSER_EXPORT int
rumpuser_sp_raise(void *arg, int signo)
{
	struct sp_req *rq = sp_req_of(arg);
	struct sp_conn *c = NULL;
	int error = 0;

	if (signo <= 0 || signo >= 65)
		return EINVAL;
	if (rq != NULL)
		return sp_send_hdr(rq->rq_conn, rq->rq_conn->c_reqno++, SP_REQ,
		           SP_T_RAISE, (uint32_t)signo, NULL, 0, true)
		    ? ESRCH
		    : 0;
	/* Another process's: through its main connection, if it has one. */
	pthread_mutex_lock(&sp_lock);
	for (struct sp_proc *sp = sp_procs; sp != NULL; sp = sp->sp_next)
		if (sp == arg && sp->sp_main != NULL && !sp->sp_dying)
			c = sp->sp_main;
	if (c != NULL)
		error = sp_send_hdr(
		    c, 0, SP_REQ, SP_T_RAISE, (uint32_t)signo, NULL, 0, false);
	pthread_mutex_unlock(&sp_lock);
	return c == NULL || error ? ESRCH : 0;
}

/* ------------------------------------------------------------- requests */

/* The reply to a SYSCALL: error, retval and the written intervals. */
static int
sp_reply(struct sp_req *rq, int error, const long rv[2], bool incall)
{
	uint8_t head[SP_HDR_LEN + SP_SYSRESP_HEAD];
	uint8_t ckh[SP_MAXCHUNKS][SP_CHUNK_WIRE];
	static const uint8_t zero[8];
	struct iovec iov[1 + 3 * SP_MAXCHUNKS];
	size_t len = sizeof(head);
	unsigned nck = 0;
	int niov = 1;

	if (error == 0) {
		for (unsigned i = 0; i < rq->rq_sr.sr_nregs; i++) {
			struct sp_rgstate *rs = &rq->rq_rs[i];

			for (unsigned k = 0; k < rs->rs_n; k++) {
				uint32_t n = rs->rs_hi[k] - rs->rs_lo[k];

				sp_put64(ckh[nck],
				    rq->rq_sr.sr_regs[i].rg_addr +
				        rs->rs_lo[k]);
				sp_put32(ckh[nck] + 8, n);
				sp_put32(ckh[nck] + 12, 0);
				iov[niov++] =
				    (struct iovec){ckh[nck], SP_CHUNK_WIRE};
				iov[niov++] = (struct iovec){
				    rs->rs_buf + rs->rs_lo[k], n};
				if (sp_pad8(n) != n)
					iov[niov++] = (struct iovec){
					    (void *)zero, sp_pad8(n) - n};
				len += SP_CHUNK_WIRE + sp_pad8(n);
				nck++;
			}
		}
	}
	sp_hdr_encode(
	    head, len, rq->rq_reqno, SP_RESP, SP_T_SYSCALL, (uint32_t)error);
	sp_put64(head + SP_HDR_LEN, (uint64_t)(error ? -1 : rv[0]));
	sp_put64(head + SP_HDR_LEN + 8, (uint64_t)(error ? 0 : rv[1]));
	sp_put32(head + SP_HDR_LEN + 16, nck);
	sp_put32(head + SP_HDR_LEN + 20, 0);
	iov[0] = (struct iovec){head, sizeof(head)};
	return sp_send(rq->rq_conn, iov, niov, incall);
}

static int
sp_do_syscall(struct sp_conn *c, const struct sp_hdr *h, const uint8_t *body)
{
	struct sp_req rq; /* what decode fills, and each region's state */
	long args[SP_MAXARGS] = {0}, rv[2] = {0, 0};
	int error, serror;

	rq.rq_conn = c;
	rq.rq_reqno = h->h_reqno;
	rq.rq_replied = false;
	rq.rq_outlen = 0;
	if ((error = sp_sysreq_decode(
	         body, h->h_len - SP_HDR_LEN, &rq.rq_sr)) != 0)
		return error;
	for (unsigned i = 0; i < rq.rq_sr.sr_nregs; i++) {
		const struct sp_region *rg = &rq.rq_sr.sr_regs[i];

		rq.rq_rs[i].rs_n = 0;
		rq.rq_rs[i].rs_buf = (uint8_t *)rg->rg_data;
		if (rg->rg_data == NULL) {
			rq.rq_rs[i].rs_off = rq.rq_outlen;
			rq.rq_outlen += rg->rg_len;
		}
	}
	if (rq.rq_outlen > SP_RBUF)
		c->c_small = 0;
	for (unsigned i = 0; i < rq.rq_sr.sr_nargs; i++)
		args[i] = (long)rq.rq_sr.sr_args[i];

	if (__atomic_load_n(&sp_state, __ATOMIC_ACQUIRE) != SP_ON) {
		serror = ENXIO;
	} else if (h->h_arg > 1023) {
		serror = ENOSYS;
	} else {
		sp_curreq = &rq;
		serror = rumpuser__hyp.hyp_syscall((int)h->h_arg, args, rv);
		sp_curreq = NULL;
	}
	return rq.rq_replied ? 0 : sp_reply(&rq, serror, rv, false);
}

/*
 * A 128-bit cookie from the host's random source.  (Not through
 * rumpuser_getrandom: this thread holds no CPU, and that hypercall's
 * blocking path would take one for the lwp bound here.)
 */
static void
sp_cookie(uint8_t *ck)
{
	size_t got = 0;

	while (got < SP_COOKIE) {
		ssize_t n = getrandom(ck + got, SP_COOKIE - got, 0);

		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "rumpuser_sp: no random bytes\n");
			abort();
		}
		if (n > 0)
			got += (size_t)n;
	}
}

static struct sp_proc *
sp_proc_new(void)
{
	struct sp_proc *sp = calloc(1, sizeof(*sp));

	if (sp == NULL)
		return NULL;
	sp_cookie(sp->sp_cookie);
	sp->sp_refs = 1;
	pthread_mutex_lock(&sp_lock);
	sp->sp_next = sp_procs;
	sp_procs = sp;
	pthread_mutex_unlock(&sp_lock);
	return sp;
}

/* Caller holds sp_lock. */
static void
sp_proc_rele_locked(struct sp_proc *sp)
{
	struct sp_proc **pp;

	if (--sp->sp_refs > 0)
		return;
	for (pp = &sp_procs; *pp != NULL; pp = &(*pp)->sp_next)
		if (*pp == sp) {
			*pp = sp->sp_next;
			break;
		}
	free(sp);
}

static struct sp_proc *
sp_proc_by_cookie_locked(const uint8_t *ck)
{
	for (struct sp_proc *sp = sp_procs; sp != NULL; sp = sp->sp_next)
		if (memcmp(sp->sp_cookie, ck, SP_COOKIE) == 0)
			return sp;
	return NULL;
}

static int
sp_reply_hs(struct sp_conn *c, uint64_t reqno, unsigned type)
{
	uint8_t body[8 + SP_COOKIE];

	sp_put32(body, (uint32_t)c->c_proc->sp_pid);
	sp_put32(body + 4, 0);
	memcpy(body + 8, c->c_proc->sp_cookie, SP_COOKIE);
	return sp_send_hdr(
	    c, reqno, SP_RESP, type, 0, body, sizeof(body), false);
}

static int
sp_reply_err(struct sp_conn *c, uint64_t reqno, unsigned type, int error)
{
	return sp_send_hdr(
	    c, reqno, SP_ERROR, type, (uint32_t)error, NULL, 0, false);
}

/* A comm string of a handshake body: NUL-terminated, within SP_COMM_MAX. */
static bool
sp_comm_ok(const uint8_t *body, size_t blen)
{
	return blen > 0 && blen <= SP_COMM_MAX &&
	    memchr(body, '\0', blen) != NULL;
}

/*
 * Main connections only are watched for hang-ups: the death of a process
 * is seen there.  A watched socket costs a callback on every frame that
 * arrives or leaves (its wait queue has the epoll entry), so the per-thread
 * connections that carry the calls of our clients are not watched; when
 * their process dies, its main connection's hang-up closes their
 * descriptors (sp_proc_kill).  A hang-up that came before the
 * registration is reported at once (epoll is level-triggered).
 */
static void
sp_watch(struct sp_conn *c)
{
	struct epoll_event ev = {.events = EPOLLRDHUP};

	ev.data.u64 = c->c_id;
	epoll_ctl(sp_epfd, EPOLL_CTL_ADD, c->c_fd, &ev);
}

/*
 * The first frame of a connection.  Returns 0 when the connection has
 * become a context of a process (c_proc, c_lwp bound), else an error
 * (the error frame was sent if it could be).
 */
static int
sp_handshake(struct sp_conn *c, const struct sp_hdr *h, const uint8_t *body)
{
	size_t blen = h->h_len - SP_HDR_LEN;
	struct sp_proc *sp = NULL;
	int error;

	if (h->h_class != SP_REQ || h->h_type != SP_T_HANDSHAKE) {
		sp_reply_err(c, h->h_reqno, h->h_type, EPERM);
		return EPERM;
	}
	switch (h->h_arg) {
	case SP_HS_GUEST:
		if (!sp_comm_ok(body, blen)) {
			error = EINVAL;
			break;
		}
		if ((sp = sp_proc_new()) == NULL) {
			error = ENOMEM;
			break;
		}
		error = rumpuser__hyp.hyp_lwproc_rfork(
		    sp, SP_RFCFDG, (const char *)body);
		if (error) {
			pthread_mutex_lock(&sp_lock);
			sp_proc_rele_locked(sp);
			pthread_mutex_unlock(&sp_lock);
			break;
		}
		c->c_lwp = rumpuser_curlwp();
		sp->sp_pid = rumpuser__hyp.hyp_getpid();
		pthread_mutex_lock(&sp_lock);
		sp->sp_main = c;
		c->c_main = true;
		c->c_proc = sp;
		pthread_mutex_unlock(&sp_lock);
		break;
	case SP_HS_ATTACH:
		if (blen != SP_COOKIE) {
			error = EINVAL;
			break;
		}
		pthread_mutex_lock(&sp_lock);
		sp = sp_proc_by_cookie_locked(body);
		if (sp == NULL || sp->sp_dying || sp->sp_main == NULL ||
		    sp->sp_parked != NULL)
			sp = NULL;
		else
			sp->sp_refs++;
		pthread_mutex_unlock(&sp_lock);
		if (sp == NULL) {
			error = ESRCH;
			break;
		}
		if ((error = rumpuser__hyp.hyp_lwproc_newlwp(sp->sp_pid)) !=
		    0) {
			pthread_mutex_lock(&sp_lock);
			sp_proc_rele_locked(sp);
			pthread_mutex_unlock(&sp_lock);
			break;
		}
		c->c_lwp = rumpuser_curlwp();
		c->c_proc = sp;
		break;
	case SP_HS_FORK: {
		struct lwp *l = NULL;
		bool cancel;

		if (blen != SP_COOKIE + 8) {
			error = EINVAL;
			break;
		}
		cancel = sp_get32(body + SP_COOKIE) != 0;
		pthread_mutex_lock(&sp_lock);
		sp = sp_proc_by_cookie_locked(body);
		if (sp != NULL && sp->sp_parked != NULL) {
			l = sp->sp_parked;
			sp->sp_parked = NULL;
			sp->sp_forker = NULL;
			if (!cancel) {
				sp->sp_main = c;
				c->c_main = true;
				c->c_proc = sp;
			}
		}
		pthread_mutex_unlock(&sp_lock);
		if (l == NULL) {
			error = ESRCH;
			break;
		}
		rumpuser__hyp.hyp_lwproc_switch(l);
		if (cancel) {
			rumpuser__hyp.hyp_lwproc_release();
			pthread_mutex_lock(&sp_lock);
			sp_proc_rele_locked(sp);
			pthread_mutex_unlock(&sp_lock);
			error = ECANCELED;
			sp_send_hdr(c, h->h_reqno, SP_RESP, SP_T_HANDSHAKE, 0,
			    NULL, 0, false);
			return error;
		}
		c->c_lwp = l;
		error = 0;
		break;
	}
	default:
		error = EINVAL;
		break;
	}
	if (error) {
		sp_reply_err(c, h->h_reqno, SP_T_HANDSHAKE, error);
		return error;
	}
	if (c->c_main)
		sp_watch(c);
	return sp_reply_hs(c, h->h_reqno, SP_T_HANDSHAKE);
}

/* PREFORK: a child process now, parked until a FORK handshake claims it. */
static int
sp_do_prefork(struct sp_conn *c, const struct sp_hdr *h)
{
	struct sp_proc *sp;
	int error;

	if (h->h_len != SP_HDR_LEN)
		return EINVAL;
	if ((sp = sp_proc_new()) == NULL)
		return sp_reply_err(c, h->h_reqno, SP_T_PREFORK, ENOMEM);
	error = rumpuser__hyp.hyp_lwproc_rfork(sp, SP_RFFDG, NULL);
	if (error) {
		pthread_mutex_lock(&sp_lock);
		sp_proc_rele_locked(sp);
		pthread_mutex_unlock(&sp_lock);
		return sp_reply_err(c, h->h_reqno, SP_T_PREFORK, error);
	}
	sp->sp_pid = rumpuser__hyp.hyp_getpid();
	pthread_mutex_lock(&sp_lock);
	sp->sp_parked = rumpuser_curlwp();
	sp->sp_forker = c;
	pthread_mutex_unlock(&sp_lock);
	rumpuser__hyp.hyp_lwproc_switch(c->c_lwp);
	return sp_send_hdr(c, h->h_reqno, SP_RESP, SP_T_PREFORK, 0,
	    sp->sp_cookie, SP_COOKIE, false);
}

/* EXEC on a main connection: the client's new image names itself. */
static int
sp_do_exec(struct sp_conn *c, const struct sp_hdr *h, const uint8_t *body)
{
	if (!c->c_main || !sp_comm_ok(body, h->h_len - SP_HDR_LEN))
		return EINVAL;
	rumpuser__hyp.hyp_execnotify((const char *)body);
	return sp_reply_hs(c, h->h_reqno, SP_T_HANDSHAKE);
}

/* --------------------------------------------------------- connections */

/*
 * Tears down process p's descriptors, from a thread bound to an lwp of it,
 * and shuts the other connections of the process so their threads leave.
 */
static void
sp_proc_kill(struct sp_proc *sp, struct sp_conn *self)
{
	long args[SP_MAXARGS] = {0, (long)~0U, 0}, rv[2];

	pthread_mutex_lock(&sp_lock);
	for (struct sp_conn *c = sp_conns; c != NULL; c = c->c_next)
		if (c->c_proc == sp && c != self)
			shutdown(c->c_fd, SHUT_RDWR);
	pthread_mutex_unlock(&sp_lock);
	(void)rumpuser__hyp.hyp_syscall(SP_SYS_CLOSE_RANGE, args, rv);
}

/* The end of a connection, on its own thread. */
static void
sp_conn_fini(struct sp_conn *c)
{
	struct sp_conn **cp;
	struct lwp *parked[16];
	struct sp_proc *pprocs[16];
	int nparked = 0;
	bool kill = false;

	pthread_mutex_lock(&sp_lock);
	if (c->c_main && c->c_proc != NULL && !c->c_proc->sp_dying) {
		c->c_proc->sp_dying = true;
		kill = true;
	}
	pthread_mutex_unlock(&sp_lock);
	if (kill && c->c_lwp != NULL)
		sp_proc_kill(c->c_proc, c);

	pthread_mutex_lock(&sp_lock);
	while (c->c_pins > 0)
		pthread_cond_wait(&sp_pincv, &sp_lock);
	for (cp = &sp_conns; *cp != NULL; cp = &(*cp)->c_next)
		if (*cp == c) {
			*cp = c->c_next;
			break;
		}
	sp_nconns--;
	/* Preforks nobody claimed go with the connection that made them. */
	for (struct sp_proc *sp = sp_procs; sp != NULL; sp = sp->sp_next)
		if (sp->sp_forker == c && sp->sp_parked != NULL &&
		    nparked < 16) {
			parked[nparked] = sp->sp_parked;
			pprocs[nparked++] = sp;
			sp->sp_parked = NULL;
			sp->sp_forker = NULL;
		}
	if (c->c_proc != NULL && c->c_proc->sp_main == c)
		c->c_proc->sp_main = NULL;
	pthread_mutex_unlock(&sp_lock);
	if (sp_epfd >= 0)
		epoll_ctl(sp_epfd, EPOLL_CTL_DEL, c->c_fd, NULL);
	close(c->c_fd);

	for (int i = 0; i < nparked; i++) {
		rumpuser__hyp.hyp_lwproc_switch(parked[i]);
		rumpuser__hyp.hyp_lwproc_release();
	}
	if (c->c_lwp != NULL) {
		rumpuser__hyp.hyp_lwproc_switch(c->c_lwp);
		rumpuser__hyp.hyp_lwproc_release();
	}
	pthread_mutex_lock(&sp_lock);
	for (int i = 0; i < nparked; i++)
		sp_proc_rele_locked(pprocs[i]);
	if (c->c_proc != NULL)
		sp_proc_rele_locked(c->c_proc);
	pthread_mutex_unlock(&sp_lock);
	pthread_mutex_destroy(&c->c_sendlock);
	free(c->c_obuf);
	free(c->c_buf);
	free(c);
}

static void *
sp_conn_thread(void *arg)
{
	struct sp_conn *c = arg;
	struct sp_hdr h;
	int error;

	if (send(c->c_fd, sp_banner, sp_bannerlen, MSG_NOSIGNAL) !=
	    (ssize_t)sp_bannerlen)
		goto out;
	if (sp_read_frame(c, &h) != 0)
		goto out;
	if (sp_handshake(c, &h, c->c_buf + SP_HDR_LEN) != 0)
		goto out;
	for (;;) {
		if ((error = sp_read_frame(c, &h)) != 0)
			break;
		if (h.h_class != SP_REQ)
			break; /* nothing is pending: malformed */
		if (h.h_type == SP_T_SYSCALL)
			error = sp_do_syscall(c, &h, c->c_buf + SP_HDR_LEN);
		else if (h.h_type == SP_T_PREFORK)
			error = sp_do_prefork(c, &h);
		else if (h.h_type == SP_T_HANDSHAKE && h.h_arg == SP_HS_EXEC)
			error = sp_do_exec(c, &h, c->c_buf + SP_HDR_LEN);
		else
			error = EINVAL;
		if (error)
			break;
	}
out:
	sp_conn_fini(c);
	return NULL;
}

/*
 * The watcher: hang-ups only.  A client that dies while its main
 * connection's thread is inside a kernel call gets its descriptors closed
 * from here, on an lwp of its own in the process; the pin keeps the
 * connection's lwp (and so the process) alive meanwhile.
 */
static void *
sp_watcher(void *arg)
{
	struct epoll_event ev[32];

	(void)arg;
	for (;;) {
		int n = epoll_wait(sp_epfd, ev, 32, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < n; i++) {
			struct sp_conn *c;
			struct sp_proc *sp = NULL;

			pthread_mutex_lock(&sp_lock);
			for (c = sp_conns; c != NULL; c = c->c_next)
				if (c->c_id == ev[i].data.u64)
					break;
			if (c != NULL && !c->c_hup) {
				c->c_hup = true;
				if (c->c_main && c->c_proc != NULL &&
				    !c->c_proc->sp_dying && c->c_lwp != NULL) {
					sp = c->c_proc;
					sp->sp_dying = true;
					c->c_pins++;
				}
			}
			if (c != NULL)
				epoll_ctl(
				    sp_epfd, EPOLL_CTL_DEL, c->c_fd, NULL);
			pthread_mutex_unlock(&sp_lock);
			if (sp == NULL)
				continue;
			if (rumpuser__hyp.hyp_lwproc_newlwp(sp->sp_pid) == 0) {
				sp_proc_kill(sp, NULL);
				rumpuser__hyp.hyp_lwproc_release();
			}
			pthread_mutex_lock(&sp_lock);
			if (--c->c_pins == 0)
				pthread_cond_broadcast(&sp_pincv);
			pthread_mutex_unlock(&sp_lock);
		}
	}
	return NULL;
}

static void *
sp_listener(void *arg)
{
	(void)arg;
	for (;;) {
		struct sp_conn *c;
		int fd, one = 1;

		fd = accept4(sp_listenfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED ||
			    errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				if (errno != EINTR && errno != ECONNABORTED)
					usleep(10000);
				if (__atomic_load_n(
				        &sp_state, __ATOMIC_ACQUIRE) == SP_ON)
					continue;
			}
			break;
		}
		if (!sp_addr.sa_unix)
			setsockopt(
			    fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c = calloc(1, sizeof(*c));
		if (c == NULL || (c->c_buf = malloc(SP_RBUF)) == NULL) {
			free(c);
			close(fd);
			continue;
		}
		c->c_fd = fd;
		c->c_bufsz = SP_RBUF;
		c->c_reqno = 1;
		pthread_mutex_init(&c->c_sendlock, NULL);
		pthread_mutex_lock(&sp_lock);
		if (sp_state != SP_ON || sp_nconns >= SP_MAXCONN) {
			pthread_mutex_unlock(&sp_lock);
			pthread_mutex_destroy(&c->c_sendlock);
			free(c->c_buf);
			free(c);
			close(fd);
			continue;
		}
		c->c_id = sp_nextid++;
		c->c_next = sp_conns;
		sp_conns = c;
		sp_nconns++;
		pthread_mutex_unlock(&sp_lock);
		if (rumpuser_thread_create(
		        sp_conn_thread, c, "sp_conn", 0, 0, -1, NULL) != 0) {
			shutdown(fd, SHUT_RDWR);
			sp_conn_fini(c);
		}
	}
	pthread_mutex_lock(&sp_lock);
	close(sp_listenfd);
	sp_listenfd = -1;
	pthread_mutex_unlock(&sp_lock);
	return NULL;
}

RUMPUSER_EXPORT int
rumpuser_sp_init(const char *url, const char *ostype, const char *osrelease,
    const char *machine)
{
	int fd = -1, error, one = 1;
	mode_t omask;

	struct sp_addr sa;
	char tmp[sizeof(sa.sa_path) + 32];

	if ((error = sp_url_parse(url, 1, &sa)) != 0)
		return rumpuser__errtrans(error);
	if (rumpuser__hyp.hyp_syscall == NULL)
		return ENXIO; /* the kernel is not booted */
	pthread_mutex_lock(&sp_lock);
	if (sp_state != SP_OFF) {
		pthread_mutex_unlock(&sp_lock);
		return EBUSY;
	}
	sp_addr = sa;
	/*
	 * A unix socket is bound under a temporary name and renamed when it
	 * listens, so its path appears only once clients can connect.
	 */
	if (sp_addr.sa_unix) {
		struct sockaddr_un *sun = (struct sockaddr_un *)&sa.sa_ss;
		struct stat st;
		int n = snprintf(
		    tmp, sizeof(tmp), "%s.%d", sp_addr.sa_path, (int)getpid());

		if (n < 0 || (size_t)n >= sizeof(sun->sun_path)) {
			error = ENAMETOOLONG;
			goto fail;
		}
		if (lstat(sp_addr.sa_path, &st) == 0) {
			error = EADDRINUSE;
			goto fail;
		}
		memcpy(sun->sun_path, tmp, (size_t)n + 1);
	}
	snprintf(sp_banner, sizeof(sp_banner), "%s%d.%d-%s-%s/%s\n",
	    SP_BANNER_PREFIX, SP_VERSION_MAJOR, SP_VERSION_MINOR, ostype,
	    osrelease, machine);
	sp_bannerlen = strlen(sp_banner);
	fd = socket(sp_addr.sa_ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		error = errno;
		goto fail;
	}
	if (!sp_addr.sa_unix)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* The socket is the client's credential: owner only. */
	omask = umask(0177);
	if (bind(fd, (struct sockaddr *)&sa.sa_ss, sa.sa_len) < 0) {
		error = errno;
		umask(omask);
		goto fail;
	}
	umask(omask);
	if (listen(fd, 256) < 0) {
		error = errno;
		goto fail_unlink;
	}
	if ((sp_epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		error = errno;
		goto fail_unlink;
	}
	if (sp_addr.sa_unix && rename(tmp, sp_addr.sa_path) < 0) {
		error = errno;
		goto fail_unlink;
	}
	sp_listenfd = fd;
	__atomic_store_n(&sp_state, SP_ON, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&sp_lock);
	if ((error = rumpuser_thread_create(
	         sp_watcher, NULL, "sp_watch", 0, 0, -1, NULL)) != 0 ||
	    (error = rumpuser_thread_create(
	         sp_listener, NULL, "sp_listen", 0, 0, -1, NULL)) != 0) {
		rumpuser_sp_fini(NULL);
		return error;
	}
	return 0;

fail_unlink:
	if (sp_addr.sa_unix)
		unlink(tmp);
	if (sp_epfd >= 0) {
		close(sp_epfd);
		sp_epfd = -1;
	}
fail:
	if (fd >= 0)
		close(fd);
	pthread_mutex_unlock(&sp_lock);
	return rumpuser__errtrans(error);
}

/*
 * The kernel halts: the client that asked (arg, when a client did) gets
 * its reply now, the listening socket closes and a unix socket's file is
 * removed.  Requests that arrive later get ENXIO.
 */
RUMPUSER_EXPORT void
rumpuser_sp_fini(void *arg)
{
	struct sp_req *rq = sp_req_of(arg);
	static const long rv[2] = {0, 0};

	if (rq != NULL && !rq->rq_replied) {
		rq->rq_replied = true;
		(void)sp_reply(rq, 0, rv, true);
	}
	pthread_mutex_lock(&sp_lock);
	if (sp_state == SP_ON) {
		__atomic_store_n(&sp_state, SP_STOPPED, __ATOMIC_RELEASE);
		if (sp_listenfd >= 0)
			shutdown(sp_listenfd, SHUT_RDWR);
		if (sp_addr.sa_unix)
			unlink(sp_addr.sa_path);
	}
	pthread_mutex_unlock(&sp_lock);
}
