/*
 * rumpclient.c — the sysproxy client: connections to the server, the
 * request/reply exchange behind every rump_sys_* stub, fork, exec,
 * reconnection.  Host code; the protocol is docs/sysproxy.md.
 *
 * Connections.  The process has one main connection (made by
 * rumpclient_init with a GUEST handshake, or inherited over exec); it is
 * what keeps the kernel process alive.  Every other thread that makes a
 * call gets a connection of its own that ATTACHes to the same kernel
 * process with the process cookie.  A connection carries one request at
 * a time, so a call is one sendmsg and one recv on the fast path, with no
 * lock and no hand-off, and the server's copy requests for that call come
 * on the same connection.
 *
 * Signals.  A signal handler may call rump_sys_*: nothing is locked while
 * a thread waits, and a call made inside a handler that interrupted a
 * call of the same thread uses a connection of the next nesting depth, so
 * it never touches the interrupted exchange.  Making a connection takes
 * rc_lock with every signal blocked (rare: once per thread and depth).
 *
 * Connection memory comes from mmap, which is async-signal-safe, so a
 * handler can make one too.
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
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "rump/rumpclient.h"
#include "rumpclient_int.h"
#include "sp_proto.h"
#include "sp_url.h"

#define RC_DEPTH 4 /* nested calls from signal handlers */
#define RC_BUFSZ (64 * 1024)
/* A reply bigger than this goes into the caller's memory in place. */
#define RC_DIRECT     (4 * 1024)
#define RC_SYS_REBOOT 169

struct rc_conn {
	int rc_fd;
	unsigned rc_gen; /* rc_gen when made */
	bool rc_main;
	uint64_t rc_reqno;
	uint8_t *rc_buf; /* read buffer, rc_bufsz bytes, mmap'd */
	size_t rc_bufsz, rc_fill;
	struct rc_conn *rc_next; /* [rc_lock] all connections */
};

static pthread_mutex_t rc_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rc_conn *rc_conns;     /* [rc_lock] */
static struct rc_conn *rc_main;      /* [rc_lock] */
static unsigned rc_gen = 1;          /* [rc_lock, a] */
static uint8_t rc_cookie[SP_COOKIE]; /* [rc_lock] */
static int rc_pid;                   /* [rc_lock] */
static struct sp_addr rc_addr;       /* [rc_lock] */
static bool rc_have_addr;            /* [rc_lock] */
static time_t rc_retry;              /* [a] rumpclient_setconnretry */
static pthread_key_t rc_key;
static pthread_once_t rc_once = PTHREAD_ONCE_INIT;

/* The thread's connections by nesting depth, and their generations. */
static __thread struct rc_conn *rc_tconn[RC_DEPTH];
static __thread unsigned rc_tgen[RC_DEPTH];
static __thread int rc_depth;
/* Frames this thread sent and received (rumpclient__frames, benchmarks). */
static __thread uint64_t rc_nsent, rc_nrecv;

/* ------------------------------------------------------------ plumbing */

static void
rc_sigblock(sigset_t *old)
{
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, old);
}

static void
rc_sigrestore(const sigset_t *old)
{
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

static void *
rc_map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Sends all of iov: send() for a frame in one piece, else sendmsg. */
static int
rc_sendv(int fd, struct iovec *iov, int iovcnt)
{
	struct msghdr msg;

	rc_nsent++;
	memset(&msg, 0, sizeof(msg));
	while (iovcnt > 0) {
		ssize_t n;

		if (iovcnt == 1) {
			n = send(fd, iov->iov_base, iov->iov_len, MSG_NOSIGNAL);
		} else {
			msg.msg_iov = iov;
			msg.msg_iovlen = (size_t)iovcnt;
			n = sendmsg(fd, &msg, MSG_NOSIGNAL);
		}
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
	}
	return 0;
}

static int
rc_send_hdr(struct rc_conn *c, uint64_t reqno, unsigned cls, unsigned type,
    uint32_t arg, const void *body, size_t blen)
{
	uint8_t hdr[SP_HDR_LEN];
	struct iovec iov[2] = {{hdr, SP_HDR_LEN}, {(void *)body, blen}};

	sp_hdr_encode(hdr, SP_HDR_LEN + blen, reqno, cls, type, arg);
	return rc_sendv(c->rc_fd, iov, blen ? 2 : 1);
}

/*
 * Reads the next frame into rc_buf[0..h_len); *consumed is the previous
 * frame's length, dropped first.  Returns 0 or an errno (ECONNRESET at
 * end of stream, EPROTO for a malformed frame).
 *
 * direct: the call expects a big reply (an OUT region of RC_DIRECT bytes
 * or more).  Then the reads go at most RC_DIRECT bytes into the buffer
 * and a SYSCALL reply that is longer comes back with only its beginning
 * buffered and *consumed 0, for rc_resp_direct to read the rest into the
 * caller's memory.
 */
static int
rc_read_frame(
    struct rc_conn *c, size_t *consumed, struct sp_hdr *h, bool direct)
{
	if (*consumed > 0) {
		memmove(
		    c->rc_buf, c->rc_buf + *consumed, c->rc_fill - *consumed);
		c->rc_fill -= *consumed;
		*consumed = 0;
	}
	for (;;) {
		size_t want = c->rc_bufsz - c->rc_fill;

		if (c->rc_fill >= SP_HDR_LEN) {
			if (sp_hdr_decode(c->rc_buf, h) != 0)
				return EPROTO;
			if (c->rc_fill >= h->h_len) {
				*consumed = h->h_len;
				rc_nrecv++;
				return 0;
			}
			if (direct && h->h_class == SP_RESP &&
			    h->h_type == SP_T_SYSCALL) {
				rc_nrecv++;
				return 0; /* *consumed 0: not all here */
			}
			if (h->h_len > c->rc_bufsz) {
				size_t nsz = (h->h_len + 4095) & ~(size_t)4095;
				uint8_t *nb = rc_map(nsz);

				if (nb == NULL)
					return ENOMEM;
				memcpy(nb, c->rc_buf, c->rc_fill);
				munmap(c->rc_buf, c->rc_bufsz);
				c->rc_buf = nb;
				c->rc_bufsz = nsz;
			}
			want = c->rc_bufsz - c->rc_fill;
		}
		if (direct && c->rc_fill < RC_DIRECT)
			want = RC_DIRECT - c->rc_fill;
		ssize_t n = recv(c->rc_fd, c->rc_buf + c->rc_fill, want, 0);
		if (n == 0)
			return ECONNRESET;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		c->rc_fill += (size_t)n;
	}
}

/*
 * Reading a SYSCALL reply in place (rc_resp_direct): rc_buf[0..rc_fill)
 * holds the frame's bytes from offset r_fo on; recvs stop at the frame's
 * end (r_len).
 */
struct rc_rd {
	struct rc_conn *r_c;
	uint64_t r_fo;
	uint64_t r_len;
};

/* Drops the buffered bytes before frame offset pos, then buffers up to k. */
static int
rc_rd_need(struct rc_rd *r, uint64_t pos, uint64_t k)
{
	struct rc_conn *c = r->r_c;

	if (pos > r->r_fo) {
		size_t drop =
		    pos - r->r_fo < c->rc_fill ? pos - r->r_fo : c->rc_fill;

		memmove(c->rc_buf, c->rc_buf + drop, c->rc_fill - drop);
		c->rc_fill -= drop;
		r->r_fo += drop;
	}
	while (r->r_fo + c->rc_fill < k) {
		size_t want = c->rc_bufsz - c->rc_fill;
		ssize_t n;

		if (want > r->r_len - (r->r_fo + c->rc_fill))
			want = r->r_len - (r->r_fo + c->rc_fill);
		n = recv(c->rc_fd, c->rc_buf + c->rc_fill, want, 0);
		if (n == 0)
			return ECONNRESET;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		c->rc_fill += (size_t)n;
	}
	return 0;
}

/*
 * The rest of a SYSCALL reply whose beginning rc_read_frame(direct)
 * buffered: the chunk headers and padding go through the buffer, the
 * chunk data from the socket straight into the caller's OUT regions (each
 * chunk checked against them before a byte of it is written).  On return
 * the buffer holds only what followed the frame.
 */
static int
rc_resp_direct(struct rc_conn *c, const struct sp_hdr *h,
    const struct sp_sysreq *sr, int64_t *rv)
{
	struct rc_rd r = {c, 0, h->h_len};
	uint64_t pos = SP_HDR_LEN;
	unsigned nck;
	int error;

	if (h->h_len < SP_HDR_LEN + SP_SYSRESP_HEAD)
		return EPROTO;
	if ((error = rc_rd_need(&r, pos, pos + SP_SYSRESP_HEAD)) != 0)
		return error;
	rv[0] = (int64_t)sp_get64(c->rc_buf + (pos - r.r_fo));
	rv[1] = (int64_t)sp_get64(c->rc_buf + (pos - r.r_fo) + 8);
	nck = sp_get32(c->rc_buf + (pos - r.r_fo) + 16);
	if (nck > SP_MAXCHUNKS || sp_get32(c->rc_buf + (pos - r.r_fo) + 20))
		return EPROTO;
	pos += SP_SYSRESP_HEAD;
	for (unsigned i = 0; i < nck; i++) {
		uint64_t addr, have;
		uint32_t len, pad;
		uint8_t *dst;
		bool ok = false;

		if (h->h_len - pos < SP_CHUNK_WIRE)
			return EPROTO;
		if ((error = rc_rd_need(&r, pos, pos + SP_CHUNK_WIRE)) != 0)
			return error;
		addr = sp_get64(c->rc_buf + (pos - r.r_fo));
		len = sp_get32(c->rc_buf + (pos - r.r_fo) + 8);
		if (len == 0 || sp_get32(c->rc_buf + (pos - r.r_fo) + 12) != 0)
			return EPROTO;
		pos += SP_CHUNK_WIRE;
		pad = (uint32_t)(sp_pad8(len) - len);
		if (h->h_len - pos < (uint64_t)len + pad)
			return EPROTO;
		for (unsigned k = 0; k < sr->sr_nregs && !ok; k++) {
			const struct sp_region *rg = &sr->sr_regs[k];

			ok = (rg->rg_flags & SP_RG_OUT) &&
			    addr >= rg->rg_addr && len <= rg->rg_len &&
			    addr - rg->rg_addr <= rg->rg_len - len;
		}
		if (!ok)
			return EPROTO;
		dst = (uint8_t *)(uintptr_t)addr;
		have = r.r_fo + c->rc_fill - pos;
		if (have > len)
			have = len;
		memcpy(dst, c->rc_buf + (pos - r.r_fo), have);
		if (have < len) {
			/* All that is buffered was used: the rest in place. */
			size_t got = (size_t)have;

			while (got < len) {
				ssize_t n = recv(c->rc_fd, dst + got, len - got,
				    MSG_WAITALL);

				if (n == 0)
					return ECONNRESET;
				if (n < 0) {
					if (errno == EINTR)
						continue;
					return errno;
				}
				got += (size_t)n;
			}
			c->rc_fill = 0;
			r.r_fo = pos + len;
		}
		pos += len;
		if (pad > 0 && (error = rc_rd_need(&r, pos, pos + pad)) != 0)
			return error;
		pos += pad;
	}
	if (pos != h->h_len)
		return EPROTO;
	return rc_rd_need(&r, pos, pos);
}

/* After a big frame: back to the small buffer. */
static void
rc_shrink(struct rc_conn *c, size_t consumed)
{
	uint8_t *nb;

	if (c->rc_bufsz == RC_BUFSZ || c->rc_fill - consumed > RC_BUFSZ)
		return;
	if ((nb = rc_map(RC_BUFSZ)) == NULL)
		return;
	memcpy(nb, c->rc_buf + consumed, c->rc_fill - consumed);
	munmap(c->rc_buf, c->rc_bufsz);
	c->rc_buf = nb;
	c->rc_bufsz = RC_BUFSZ;
	c->rc_fill -= consumed;
}

static void
rc_conn_free(struct rc_conn *c)
{
	if (c->rc_fd >= 0)
		close(c->rc_fd);
	munmap(c->rc_buf, c->rc_bufsz);
	munmap(c, sizeof(*c));
}

/* Caller holds rc_lock. */
static void
rc_conn_unlink_locked(struct rc_conn *c)
{
	for (struct rc_conn **cp = &rc_conns; *cp != NULL; cp = &(*cp)->rc_next)
		if (*cp == c) {
			*cp = c->rc_next;
			break;
		}
}

static const char *
rc_progname(void)
{
	extern char *program_invocation_short_name;

	return program_invocation_short_name != NULL
	    ? program_invocation_short_name
	    : "rumpclient";
}

/*
 * A new connection to the server: socket, connect, banner check.  The
 * caller does the handshake.
 */
static int
rc_connect(const struct sp_addr *sa, struct rc_conn **cp)
{
	struct rc_conn *c;
	char banner[SP_BANNER_MAX];
	size_t got = 0;
	int one = 1, error;

	if ((c = rc_map(sizeof(*c))) == NULL)
		return ENOMEM;
	memset(c, 0, sizeof(*c));
	c->rc_reqno = 1;
	if ((c->rc_buf = rc_map(RC_BUFSZ)) == NULL) {
		munmap(c, sizeof(*c));
		return ENOMEM;
	}
	c->rc_bufsz = RC_BUFSZ;
	c->rc_fd = socket(sa->sa_ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->rc_fd < 0) {
		error = errno;
		goto fail;
	}
	while (connect(c->rc_fd, (const struct sockaddr *)&sa->sa_ss,
	           sa->sa_len) < 0) {
		if (errno != EINTR) {
			error = errno;
			goto fail;
		}
	}
	if (!sa->sa_unix)
		setsockopt(
		    c->rc_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* The banner: one line, then the server waits for us. */
	while (got == 0 || banner[got - 1] != '\n') {
		ssize_t n;

		if (got == sizeof(banner)) {
			error = EPROTO;
			goto fail;
		}
		n = recv(c->rc_fd, banner + got, sizeof(banner) - got, 0);
		if (n == 0) {
			error = ECONNRESET;
			goto fail;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			error = errno;
			goto fail;
		}
		got += (size_t)n;
	}
	banner[got - 1] = '\0';
	if (strncmp(banner, SP_BANNER_PREFIX, strlen(SP_BANNER_PREFIX)) != 0 ||
	    atoi(banner + strlen(SP_BANNER_PREFIX)) != SP_VERSION_MAJOR) {
		error = EPROTONOSUPPORT; /* another protocol version */
		goto fail;
	}
	*cp = c;
	return 0;
fail:
	rc_conn_free(c);
	return error;
}

/*
 * A handshake of subtype hs with body; on success fills pid and cookie.
 * Error frames give their errno.
 */
static int
rc_handshake(struct rc_conn *c, unsigned hs, const void *body, size_t blen,
    int *pid, uint8_t *cookie)
{
	uint64_t reqno = c->rc_reqno++;
	size_t consumed = 0;
	struct sp_hdr h;
	int error;

	if ((error = rc_send_hdr(
	         c, reqno, SP_REQ, SP_T_HANDSHAKE, hs, body, blen)) != 0)
		return error;
	if ((error = rc_read_frame(c, &consumed, &h, false)) != 0)
		return error;
	c->rc_fill -= consumed;
	if (h.h_reqno != reqno || h.h_type != SP_T_HANDSHAKE)
		return EPROTO;
	if (h.h_class == SP_ERROR)
		return h.h_arg != 0 && h.h_arg < 4096 ? (int)h.h_arg : EPROTO;
	if (h.h_len == SP_HDR_LEN && pid == NULL)
		return 0; /* a cancelled fork */
	if (h.h_class != SP_RESP || h.h_len != SP_HDR_LEN + 8 + SP_COOKIE)
		return EPROTO;
	if (pid != NULL)
		*pid = (int)sp_get32(c->rc_buf + SP_HDR_LEN);
	if (cookie != NULL)
		memcpy(cookie, c->rc_buf + SP_HDR_LEN + 8, SP_COOKIE);
	return 0;
}

/* Makes the main connection as a GUEST.  Caller holds rc_lock. */
static int
rc_guest_locked(void)
{
	const char *comm = rc_progname();
	char body[SP_COMM_MAX];
	struct rc_conn *c;
	int error;

	snprintf(body, sizeof(body), "%s", comm);
	if ((error = rc_connect(&rc_addr, &c)) != 0)
		return error;
	error = rc_handshake(
	    c, SP_HS_GUEST, body, strlen(body) + 1, &rc_pid, rc_cookie);
	if (error) {
		rc_conn_free(c);
		return error;
	}
	c->rc_main = true;
	c->rc_gen = rc_gen;
	c->rc_next = rc_conns;
	rc_conns = c;
	rc_main = c;
	return 0;
}

static void
rc_thread_exit(void *unused)
{
	(void)unused;
	pthread_mutex_lock(&rc_lock);
	for (int d = 0; d < RC_DEPTH; d++) {
		struct rc_conn *c = rc_tconn[d];

		rc_tconn[d] = NULL;
		if (c != NULL) {
			rc_conn_unlink_locked(c);
			rc_conn_free(c);
		}
	}
	pthread_mutex_unlock(&rc_lock);
}

/*
 * fork without rumpclient_fork: the child must not share the parent's
 * connections.  They are closed; the child is not connected until it
 * calls rumpclient_fork_init (or reconnects, if it may).
 */
static void
rc_atfork_prepare(void)
{
	pthread_mutex_lock(&rc_lock);
}

static void
rc_atfork_parent(void)
{
	pthread_mutex_unlock(&rc_lock);
}

static void
rc_atfork_child(void)
{
	struct rc_conn *c, *next;

	for (c = rc_conns; c != NULL; c = next) {
		next = c->rc_next;
		rc_conn_free(c);
	}
	rc_conns = NULL;
	rc_main = NULL;
	rc_gen++;
	for (int d = 0; d < RC_DEPTH; d++)
		rc_tconn[d] = NULL;
	pthread_mutex_init(&rc_lock, NULL);
}

static void
rc_once_init(void)
{
	pthread_key_create(&rc_key, rc_thread_exit);
	pthread_atfork(rc_atfork_prepare, rc_atfork_parent, rc_atfork_child);
}

/* Sleeps ms milliseconds without a lock held. */
static void
rc_nap(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * The connection broke (seen on a connection of generation gen): make a
 * new main connection as the retry policy says.  Returns 0 when there is
 * one (possibly made by another thread), else ENOTCONN.
 */
static int
rc_reconnect(unsigned gen)
{
	time_t retry = __atomic_load_n(&rc_retry, __ATOMIC_RELAXED);
	struct timespec start, now;
	sigset_t old;
	int error = ENOTCONN;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		rc_sigblock(&old);
		pthread_mutex_lock(&rc_lock);
		if (rc_gen != gen && rc_main != NULL) {
			error = 0; /* someone else reconnected */
		} else if (rc_main != NULL && rc_main->rc_gen == gen) {
			/* Drop the broken main; the kernel process is gone. */
			rc_conn_unlink_locked(rc_main);
			rc_conn_free(rc_main);
			rc_main = NULL;
			rc_gen++;
		}
		if (rc_main == NULL && rc_have_addr && retry != 0) {
			if (retry == RUMPCLIENT_RETRYCONN_DIE) {
				fprintf(
				    stderr, "rumpclient: lost the server\n");
				exit(EXIT_FAILURE);
			}
			if (rc_gen == gen)
				rc_gen++;
			error = rc_guest_locked() == 0 ? 0 : ENOTCONN;
		}
		pthread_mutex_unlock(&rc_lock);
		rc_sigrestore(&old);
		if (error == 0 || retry == 0 ||
		    retry == RUMPCLIENT_RETRYCONN_ONCE)
			return error;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (retry > 0 && now.tv_sec - start.tv_sec >= retry)
			return error;
		rc_nap(100);
	}
}

/*
 * The calling thread's connection at depth d: its own, or a new one that
 * ATTACHes to the process.  (The main connection only keeps the process
 * alive and carries exec; calls go on per-thread connections.)  A
 * connection of an older generation (before a reconnect) is the thread's
 * own and is freed here.
 */
static int
rc_conn_get(int d, struct rc_conn **cp)
{
	struct rc_conn *c = rc_tconn[d], *nc = NULL;
	unsigned gen = __atomic_load_n(&rc_gen, __ATOMIC_ACQUIRE);
	uint8_t cookie[SP_COOKIE];
	struct sp_addr sa;
	sigset_t old;
	int error = 0;

	if (c != NULL && rc_tgen[d] == gen) {
		*cp = c;
		return 0;
	}
	rc_sigblock(&old);
	pthread_mutex_lock(&rc_lock);
	if ((c = rc_tconn[d]) != NULL) {
		rc_tconn[d] = NULL;
		rc_conn_unlink_locked(c);
		rc_conn_free(c);
	}
	if (rc_main == NULL)
		error = ENOTCONN;
	gen = rc_gen;
	memcpy(cookie, rc_cookie, SP_COOKIE);
	sa = rc_addr;
	pthread_mutex_unlock(&rc_lock);
	if (error == 0) {
		error = rc_connect(&sa, &nc);
		if (error == 0) {
			error = rc_handshake(
			    nc, SP_HS_ATTACH, cookie, SP_COOKIE, NULL, NULL);
			if (error)
				rc_conn_free(nc);
		}
	}
	if (error == 0) {
		pthread_mutex_lock(&rc_lock);
		nc->rc_gen = gen;
		nc->rc_next = rc_conns;
		rc_conns = nc;
		rc_tconn[d] = nc;
		rc_tgen[d] = gen;
		pthread_mutex_unlock(&rc_lock);
		pthread_setspecific(rc_key, (void *)1);
		*cp = nc;
	}
	rc_sigrestore(&old);
	if (error == ECONNREFUSED || error == ENOENT || error == ECONNRESET ||
	    error == ESRCH || error == EPIPE)
		error = ENOTCONN;
	return error;
}

/* ------------------------------------------------ serving copy requests */

/* Reads len bytes of our own memory at addr without faulting. */
static int
rc_peek(void *dst, uint64_t addr, size_t len)
{
	struct iovec l = {dst, len}, r = {(void *)(uintptr_t)addr, len};
	ssize_t n;

	if (addr < 4096)
		return EFAULT;
	n = process_vm_readv(getpid(), &l, 1, &r, 1, 0);
	if (n == (ssize_t)len)
		return 0;
	if (n < 0 && (errno == ENOSYS || errno == EPERM)) {
		memcpy(dst, (void *)(uintptr_t)addr, len);
		return 0;
	}
	return EFAULT;
}

static void
rc_poke(uint64_t addr, const void *src, size_t len)
{
	struct iovec l = {(void *)src, len}, r = {(void *)(uintptr_t)addr, len};

	if (addr < 4096)
		return;
	if (process_vm_writev(getpid(), &l, 1, &r, 1, 0) < 0 &&
	    (errno == ENOSYS || errno == EPERM))
		memcpy((void *)(uintptr_t)addr, src, len);
}

/* A request of the server during our call; 0 or a broken-stream errno. */
static int
rc_serve(struct rc_conn *c, const struct sp_hdr *h, const uint8_t *body)
{
	size_t blen = h->h_len - SP_HDR_LEN;
	uint64_t addr, len;

	switch (h->h_type) {
	case SP_T_COPYIN:
	case SP_T_COPYINSTR: {
		uint8_t *buf;
		size_t n = 0;
		int error = 0;

		if (blen != 16)
			return EPROTO;
		addr = sp_get64(body);
		len = sp_get64(body + 8);
		if (len > SP_CARRY_MAX)
			return EPROTO;
		if ((buf = rc_map(len ? len : 1)) == NULL)
			return rc_send_hdr(c, h->h_reqno, SP_ERROR, h->h_type,
			    EFAULT, NULL, 0);
		if (h->h_type == SP_T_COPYIN) {
			error = rc_peek(buf, addr, len);
			n = len;
		} else {
			/* Page by page up to the NUL: the string may end
			 * just before an unmapped page. */
			while (n < len) {
				size_t step = 4096 - ((addr + n) & 4095);

				if (step > len - n)
					step = len - n;
				if ((error = rc_peek(buf + n, addr + n, step)))
					break;
				if (memchr(buf + n, '\0', step) != NULL) {
					n += (size_t)((uint8_t *)memchr(
					                  buf + n, '\0', step) -
					         (buf + n)) +
					    1;
					break;
				}
				n += step;
			}
			if (error && n > 0)
				error = 0; /* what we have; the server sees no
				              NUL */
		}
		if (error)
			error = rc_send_hdr(c, h->h_reqno, SP_ERROR, h->h_type,
			    EFAULT, NULL, 0);
		else
			error = rc_send_hdr(
			    c, h->h_reqno, SP_RESP, h->h_type, 0, buf, n);
		munmap(buf, len ? len : 1);
		return error;
	}
	case SP_T_COPYOUT:
	case SP_T_COPYOUTSTR:
		if (blen < 16)
			return EPROTO;
		addr = sp_get64(body);
		len = sp_get64(body + 8);
		if (len != blen - 16)
			return EPROTO;
		rc_poke(addr, body + 16, len);
		return 0;
	case SP_T_ANONMMAP: {
		uint8_t ans[8];
		void *p;

		if (blen != 8)
			return EPROTO;
		len = sp_get64(body);
		p = len > 0 && len < ((uint64_t)1 << 40) ? rc_map(len) : NULL;
		if (p == NULL)
			return rc_send_hdr(c, h->h_reqno, SP_ERROR, h->h_type,
			    ENOMEM, NULL, 0);
		sp_put64(ans, (uint64_t)(uintptr_t)p);
		return rc_send_hdr(
		    c, h->h_reqno, SP_RESP, h->h_type, 0, ans, 8);
	}
	case SP_T_RAISE:
		if (blen != 0 || h->h_arg == 0 || h->h_arg > 64)
			return EPROTO;
		raise((int)h->h_arg);
		return 0;
	default:
		return EPROTO;
	}
}

/* -------------------------------------------------------------- calls */

/* Regions to carry: non-NULL, within the limits, not overlapping. */
static unsigned
rc_regions(const struct rc_region *rg, unsigned nrg, struct sp_sysreq *sr)
{
	size_t carried = 0, outb = 0;
	unsigned n = 0;

	for (unsigned i = 0; i < nrg && n < SP_MAXREGS; i++) {
		uint64_t a = (uint64_t)(uintptr_t)rg[i].rg_addr;
		size_t len = rg[i].rg_len;
		uint32_t fl = 0;
		bool clash = false;

		if (a < 4096)
			continue;
		if (rg[i].rg_flags & RC_STR) {
			const char *nul = memchr(rg[i].rg_addr, '\0',
			    strnlen(rg[i].rg_addr, 4096) + 1);

			if (nul == NULL)
				continue; /* long: the server asks */
			len = (size_t)(nul - (const char *)rg[i].rg_addr) + 1;
			fl = SP_RG_IN | SP_RG_STR;
		} else {
			if (rg[i].rg_flags & RC_IN)
				fl |= SP_RG_IN;
			if (rg[i].rg_flags & RC_OUT)
				fl |= SP_RG_OUT;
		}
		if (len == 0 || len > SP_CARRY_MAX || a + len < a)
			continue;
		if ((fl & SP_RG_IN) && carried + len > SP_CARRY_MAX)
			continue;
		if ((fl & SP_RG_OUT) && outb + len > SP_CARRY_MAX)
			continue;
		for (unsigned k = 0; k < n; k++) {
			const struct sp_region *o = &sr->sr_regs[k];

			if (a < o->rg_addr + o->rg_len &&
			    o->rg_addr < a + len &&
			    ((fl | o->rg_flags) & SP_RG_OUT))
				clash = true;
		}
		if (clash)
			continue;
		sr->sr_regs[n].rg_addr = a;
		sr->sr_regs[n].rg_len = (uint32_t)len;
		sr->sr_regs[n].rg_flags = fl;
		sr->sr_regs[n].rg_data = rg[i].rg_addr;
		if (fl & SP_RG_IN)
			carried += len;
		if (fl & SP_RG_OUT)
			outb += len;
		n++;
	}
	return n;
}

/* One exchange on c; 0, an error of the call (*callerr), or a broken
 * stream (the return value). */
static int
rc_exchange(struct rc_conn *c, int num, const struct sp_sysreq *sr, int64_t *rv,
    int *callerr)
{
	uint8_t
	    head[SP_HDR_LEN + 8 + 8 * SP_MAXARGS + SP_REGION_WIRE * SP_MAXREGS];
	static const uint8_t zero[8];
	struct iovec iov[1 + 2 * SP_MAXREGS];
	uint64_t reqno = c->rc_reqno++;
	size_t hlen, total, consumed = 0;
	struct sp_hdr h;
	int niov = 1, error;
	bool direct = false;

	/* The fixed part of the body, then the carried data in place. */
	hlen = SP_HDR_LEN + sp_sysreq_encode_fixed(head + SP_HDR_LEN, sr);
	total = hlen;
	for (unsigned i = 0; i < sr->sr_nregs; i++) {
		const struct sp_region *rg = &sr->sr_regs[i];

		if (!(rg->rg_flags & SP_RG_IN))
			continue;
		iov[niov++] = (struct iovec){(void *)rg->rg_data, rg->rg_len};
		if (sp_pad8(rg->rg_len) != rg->rg_len)
			iov[niov++] = (struct iovec){
			    (void *)zero, sp_pad8(rg->rg_len) - rg->rg_len};
		total += sp_pad8(rg->rg_len);
	}
	for (unsigned i = 0; i < sr->sr_nregs; i++)
		if ((sr->sr_regs[i].rg_flags & SP_RG_OUT) &&
		    sr->sr_regs[i].rg_len >= RC_DIRECT)
			direct = true;
	sp_hdr_encode(head, total, reqno, SP_REQ, SP_T_SYSCALL, (uint32_t)num);
	iov[0] = (struct iovec){head, hlen};
	if ((error = rc_sendv(c->rc_fd, iov, niov)) != 0)
		return error;

	for (;;) {
		if ((error = rc_read_frame(c, &consumed, &h, direct)) != 0)
			return error;
		if (h.h_class == SP_REQ) {
			if ((error = rc_serve(c, &h, c->rc_buf + SP_HDR_LEN)))
				return error;
			continue;
		}
		if (h.h_reqno != reqno || h.h_type != SP_T_SYSCALL ||
		    h.h_class != SP_RESP)
			return EPROTO;
		break;
	}
	if (consumed == 0) {
		/* A big reply: its data straight into the regions. */
		if ((error = rc_resp_direct(c, &h, sr, rv)) != 0)
			return error;
		*callerr = h.h_arg > 4095 ? EIO : (int)h.h_arg;
		return 0;
	}

	struct sp_chunk ck[SP_MAXCHUNKS];
	unsigned nck = 0;

	if (sp_sysresp_decode(c->rc_buf + SP_HDR_LEN, h.h_len - SP_HDR_LEN, rv,
	        ck, SP_MAXCHUNKS, &nck) != 0)
		return EPROTO;
	for (unsigned i = 0; i < nck; i++) {
		bool ok = false;

		for (unsigned k = 0; k < sr->sr_nregs && !ok; k++) {
			const struct sp_region *rg = &sr->sr_regs[k];

			ok = (rg->rg_flags & SP_RG_OUT) &&
			    ck[i].ck_addr >= rg->rg_addr &&
			    ck[i].ck_len <= rg->rg_len &&
			    ck[i].ck_addr - rg->rg_addr <=
			        rg->rg_len - ck[i].ck_len;
		}
		if (!ok)
			return EPROTO;
	}
	for (unsigned i = 0; i < nck; i++)
		memcpy((void *)(uintptr_t)ck[i].ck_addr, ck[i].ck_data,
		    ck[i].ck_len);
	*callerr = h.h_arg > 4095 ? EIO : (int)h.h_arg;
	c->rc_fill -= consumed;
	memmove(c->rc_buf, c->rc_buf + consumed, c->rc_fill);
	rc_shrink(c, 0);
	return 0;
}

int
rumpclient__call(int num, const int64_t *args, unsigned nargs,
    const struct rc_region *rg, unsigned nrg, int64_t *rv)
{
	struct sp_sysreq sr;
	struct rc_conn *c;
	int d, error, callerr = 0, tries = 0;

	if (nargs > SP_MAXARGS)
		return EINVAL;
	if ((d = rc_depth) >= RC_DEPTH)
		return EDEADLK;
	sr.sr_nargs = nargs;
	for (unsigned i = 0; i < nargs; i++)
		sr.sr_args[i] = args[i];
	sr.sr_nregs = rc_regions(rg, nrg, &sr);
	rv[0] = rv[1] = 0;

	rc_depth = d + 1;
	for (;;) {
		unsigned gen;

		if ((error = rc_conn_get(d, &c)) != 0) {
			if (error == ENOTCONN && tries++ == 0 &&
			    rc_reconnect(__atomic_load_n(
			        &rc_gen, __ATOMIC_ACQUIRE)) == 0)
				continue;
			break;
		}
		gen = c->rc_gen;
		error = rc_exchange(c, num, &sr, rv, &callerr);
		if (error == 0) {
			error = callerr;
			break;
		}
		/* The stream broke. */
		if (num == RC_SYS_REBOOT) {
			error = 0; /* the server went down as asked */
			break;
		}
		if (tries++ > 0 || rc_reconnect(gen) != 0) {
			error = ENOTCONN;
			break;
		}
	}
	rc_depth = d;
	return error;
}

/* --------------------------------------------------------- public API */

/* Frames the calling thread has sent and received: for benchmarks. */
void rumpclient__frames(uint64_t *sent, uint64_t *received);
void
rumpclient__frames(uint64_t *sent, uint64_t *received)
{
	*sent = rc_nsent;
	*received = rc_nrecv;
}

int
rumpclient_syscall(int num, const void *sysarg, size_t argsize, long *retval)
{
	int64_t args[SP_MAXARGS] = {0}, rv[2];
	int error;

	if (argsize > sizeof(args) || (sysarg == NULL && argsize > 0))
		return EINVAL;
	if (argsize > 0)
		memcpy(args, sysarg, argsize);
	error = rumpclient__call(num, args, SP_MAXARGS, NULL, 0, rv);
	if (retval != NULL) {
		retval[0] = (long)rv[0];
		retval[1] = (long)rv[1];
	}
	return error;
}

/* The kernel library's generic entry, so programs using it link too. */
int rump_pub_syscall(int num, const long *args, long *retval);
int
rump_pub_syscall(int num, const long *args, long *retval)
{
	return rumpclient_syscall(
	    num, args, args ? SP_MAXARGS * sizeof(long) : 0, retval);
}

void
rumpclient_setconnretry(time_t retrytime)
{
	if (retrytime < RUMPCLIENT_RETRYCONN_DIE)
		return;
	__atomic_store_n(&rc_retry, retrytime, __ATOMIC_RELAXED);
}

/* The server URL for an exec'd image: absolute, already parsed. */
static void
rc_url_of(const struct sp_addr *sa, char *buf, size_t len)
{
	if (sa->sa_unix) {
		snprintf(buf, len, "unix://%s", sa->sa_path);
	} else {
		const struct sockaddr_in *sin =
		    (const struct sockaddr_in *)&sa->sa_ss;
		const uint8_t *ip = (const uint8_t *)&sin->sin_addr;

		snprintf(buf, len, "tcp://%u.%u.%u.%u:%u", ip[0], ip[1], ip[2],
		    ip[3], (unsigned)ntohs(sin->sin_port));
	}
}

int
rumpclient_init(void)
{
	const char *url, *execfd;
	sigset_t old;
	int error = 0;

	pthread_once(&rc_once, rc_once_init);
	url = getenv("RUMP__PARSEDSERVER");
	if (url == NULL)
		url = getenv("RUMP_SERVER");
	if (url == NULL) {
		errno = ENOENT;
		return -1;
	}
	rc_sigblock(&old);
	pthread_mutex_lock(&rc_lock);
	if (rc_main != NULL)
		goto out; /* connected already */
	if ((error = sp_url_parse(url, 0, &rc_addr)) != 0)
		goto out;
	rc_have_addr = true;
	execfd = getenv("RUMPCLIENT__EXECFD");
	if (execfd != NULL) {
		struct rc_conn *c;
		char body[SP_COMM_MAX];
		struct stat st;
		int fd = atoi(execfd);

		unsetenv("RUMPCLIENT__EXECFD");
		if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode)) {
			error = EBADF;
			goto out;
		}
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		if ((c = rc_map(sizeof(*c))) == NULL ||
		    (c->rc_buf = rc_map(RC_BUFSZ)) == NULL) {
			error = ENOMEM;
			goto out;
		}
		c->rc_fd = fd;
		c->rc_bufsz = RC_BUFSZ;
		c->rc_fill = 0;
		c->rc_reqno = 1 << 20;
		snprintf(body, sizeof(body), "%s", rc_progname());
		error = rc_handshake(
		    c, SP_HS_EXEC, body, strlen(body) + 1, &rc_pid, rc_cookie);
		if (error) {
			rc_conn_free(c);
			goto out;
		}
		c->rc_main = true;
		c->rc_gen = rc_gen;
		c->rc_next = rc_conns;
		rc_conns = c;
		rc_main = c;
	} else {
		error = rc_guest_locked();
	}
out:
	pthread_mutex_unlock(&rc_lock);
	rc_sigrestore(&old);
	if (error) {
		errno = error;
		return -1;
	}
	return 0;
}

struct rumpclient_fork {
	uint8_t rf_cookie[SP_COOKIE];
};

struct rumpclient_fork *
rumpclient_prefork(void)
{
	struct rumpclient_fork *rf;
	struct rc_conn *c;
	size_t consumed = 0;
	struct sp_hdr h;
	uint64_t reqno;
	int error, d = rc_depth;

	if (d >= RC_DEPTH) {
		errno = EDEADLK;
		return NULL;
	}
	if ((rf = malloc(sizeof(*rf))) == NULL)
		return NULL;
	rc_depth = d + 1;
	if ((error = rc_conn_get(d, &c)) != 0)
		goto fail;
	reqno = c->rc_reqno++;
	if ((error = rc_send_hdr(c, reqno, SP_REQ, SP_T_PREFORK, 0, NULL, 0)))
		goto fail;
	if ((error = rc_read_frame(c, &consumed, &h, false)) != 0)
		goto fail;
	if (h.h_reqno != reqno || h.h_type != SP_T_PREFORK) {
		error = EPROTO;
	} else if (h.h_class == SP_ERROR) {
		error = h.h_arg && h.h_arg < 4096 ? (int)h.h_arg : EPROTO;
	} else if (h.h_len != SP_HDR_LEN + SP_COOKIE) {
		error = EPROTO;
	} else {
		memcpy(rf->rf_cookie, c->rc_buf + SP_HDR_LEN, SP_COOKIE);
	}
	c->rc_fill -= consumed;
	memmove(c->rc_buf, c->rc_buf + consumed, c->rc_fill);
	if (error)
		goto fail;
	rc_depth = d;
	return rf;
fail:
	rc_depth = d;
	free(rf);
	errno = error;
	return NULL;
}

/* FORK handshake on a new main connection; cancel: give the child back. */
static int
rc_fork_handshake(struct rumpclient_fork *rf, int cancel)
{
	uint8_t body[SP_COOKIE + 8];
	struct rc_conn *c;
	struct sp_addr sa;
	sigset_t old;
	int error;

	memcpy(body, rf->rf_cookie, SP_COOKIE);
	sp_put32(body + SP_COOKIE, (uint32_t)cancel);
	sp_put32(body + SP_COOKIE + 4, 0);
	rc_sigblock(&old);
	pthread_mutex_lock(&rc_lock);
	sa = rc_addr;
	pthread_mutex_unlock(&rc_lock);
	if ((error = rc_connect(&sa, &c)) != 0)
		goto out;
	if (cancel) {
		error =
		    rc_handshake(c, SP_HS_FORK, body, sizeof(body), NULL, NULL);
		rc_conn_free(c);
		goto out;
	}
	pthread_mutex_lock(&rc_lock);
	error =
	    rc_handshake(c, SP_HS_FORK, body, sizeof(body), &rc_pid, rc_cookie);
	if (error) {
		pthread_mutex_unlock(&rc_lock);
		rc_conn_free(c);
		goto out;
	}
	c->rc_main = true;
	c->rc_gen = rc_gen;
	c->rc_next = rc_conns;
	rc_conns = c;
	rc_main = c;
	pthread_mutex_unlock(&rc_lock);
out:
	rc_sigrestore(&old);
	return error;
}

int
rumpclient_fork_init(struct rumpclient_fork *rf)
{
	int error = rc_fork_handshake(rf, 0);

	free(rf);
	if (error) {
		errno = error;
		return -1;
	}
	return 0;
}

void
rumpclient_fork_cancel(struct rumpclient_fork *rf)
{
	int serrno = errno;

	(void)rc_fork_handshake(rf, 1);
	free(rf);
	errno = serrno;
}

pid_t
rumpclient_fork(void)
{
	struct rumpclient_fork *rf = rumpclient_prefork();
	pid_t pid;

	if (rf == NULL)
		return -1;
	switch ((pid = fork())) {
	case -1:
		rumpclient_fork_cancel(rf);
		return -1;
	case 0:
		if (rumpclient_fork_init(rf) != 0)
			_exit(EXIT_FAILURE);
		return 0;
	default:
		free(rf);
		return pid;
	}
}

pid_t
rumpclient_vfork(void)
{
	/* The child would share our memory, connections included: fork. */
	return rumpclient_fork();
}

int
rumpclient_exec(const char *path, char *const argv[], char *const envp[])
{
	char fdvar[64], urlvar[320], url[300];
	char **nenv;
	size_t n = 0, k = 0;
	int fd, saved;

	pthread_mutex_lock(&rc_lock);
	if (rc_main == NULL) {
		pthread_mutex_unlock(&rc_lock);
		errno = ENOTCONN;
		return -1;
	}
	fd = rc_main->rc_fd;
	rc_url_of(&rc_addr, url, sizeof(url));
	pthread_mutex_unlock(&rc_lock);
	snprintf(fdvar, sizeof(fdvar), "RUMPCLIENT__EXECFD=%d", fd);
	snprintf(urlvar, sizeof(urlvar), "RUMP__PARSEDSERVER=%s", url);
	while (envp != NULL && envp[n] != NULL)
		n++;
	if ((nenv = calloc(n + 3, sizeof(*nenv))) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (strncmp(envp[i], "RUMPCLIENT__EXECFD=", 19) != 0 &&
		    strncmp(envp[i], "RUMP__PARSEDSERVER=", 19) != 0)
			nenv[k++] = envp[i];
	nenv[k++] = fdvar;
	nenv[k++] = urlvar;
	nenv[k] = NULL;
	fcntl(fd, F_SETFD, 0);
	execve(path, argv, nenv);
	saved = errno;
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	free(nenv);
	errno = saved;
	return -1;
}

int
rumpclient_daemon(int nochdir, int noclose)
{
	struct rumpclient_fork *rf;
	int p[2], status = 0;

	if ((rf = rumpclient_prefork()) == NULL)
		return -1;
	if (pipe2(p, O_CLOEXEC) < 0) {
		rumpclient_fork_cancel(rf);
		return -1;
	}
	switch (fork()) {
	case -1:
		close(p[0]);
		close(p[1]);
		rumpclient_fork_cancel(rf);
		return -1;
	case 0:
		break;
	default:
		/* The server keeps the child's process for us until it has
		 * taken it: wait for that before the parent goes. */
		close(p[1]);
		free(rf);
		while (
		    read(p[0], &status, sizeof(status)) < 0 && errno == EINTR)
			;
		_exit(status == 0 ? 0 : 1);
	}
	close(p[0]);
	status = rumpclient_fork_init(rf) == 0 ? 0 : errno;
	if (status == 0 && setsid() < 0)
		status = errno;
	if (write(p[1], &status, sizeof(status)) < 0)
		status = status ? status : errno;
	close(p[1]);
	if (status) {
		errno = status;
		return -1;
	}
	if (!nochdir && chdir("/") < 0)
		return -1;
	if (!noclose) {
		int fd = open("/dev/null", O_RDWR);

		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
			if (fd > 2)
				close(fd);
		}
	}
	return 0;
}
