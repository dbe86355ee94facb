/*
 * net/socket.h — sockets, socket buffers, protocol switch and domains.
 *
 * Layers: the socket system calls (uipc_syscalls.c) → the generic socket
 * (uipc_socket.c: sosend/soreceive, options, blocking, poll) → the
 * protocol's user requests (struct protosw: tcp_usrreq.c, udp_usrreq.c,
 * raw, AF_UNIX) → the protocol's output.  Input goes the other way: the
 * protocol appends to so_rcv (sbappend*) and calls sorwakeup().
 *
 * Locking: every socket has one mutex, so_lock, that guards the socket, both
 * of its buffers and the protocol's control block (so_pcb).  The protocol's
 * user requests are called with it held, and the protocol's input and
 * timers take it before touching a pcb.  A listening socket and the
 * sockets on its accept queues have separate locks: a child is created
 * and queued with the listener's lock held, and the child's lock is taken
 * after the listener's (lock order: listener → child; never two unrelated
 * sockets, except the two ends of an AF_UNIX connection, taken in address
 * order).  The accept queues themselves (so_head, so_q0, so_q, so_qe_next,
 * the counts) are guarded by one leaf lock inside uipc_socket.c, taken
 * after any socket lock, so a child can move itself between its head's
 * queues (soisconnected) holding only its own lock.  Sleeping (sbwait,
 * soconnect waits) releases so_lock.
 * [s] so_lock  [I] immutable after creation  [a] atomic
 *
 * States (so_state), changed by the protocol with so_lock held:
 *   0 → SS_ISCONNECTING (connect) → SS_ISCONNECTED (soisconnected) →
 *   SS_ISDISCONNECTING → SS_ISDISCONNECTED; SS_CANTSENDMORE and
 *   SS_CANTRCVMORE are set by shutdown and by the peer's FIN/close.
 * A listening socket has SO_ACCEPTCONN in so_options and keeps connections
 * in progress on so_q0 and completed ones on so_q (sonewconn, soqremque).
 *
 * Life: socreate (protocol's pr_attach) → ... → soclose: the descriptor
 * goes; pr_detach may keep the pcb alive (TCP in FIN_WAIT/TIME_WAIT) and
 * calls sofree() when it lets go; the socket is freed when both the file
 * and the protocol have dropped it (SS_NOFDREF + so_pcb == NULL).
 */
#ifndef KERNEL_NET_SOCKET_H
#define KERNEL_NET_SOCKET_H

#include "kern/proc.h"
#include "net/mbuf.h"
#include "sys/linux_net.h"

struct socket;
struct lwp;

/*
 * A socket buffer: a queue of records (m_nextpkt) of mbuf chains.  Stream
 * sockets have one record that grows; datagram sockets one record per
 * datagram, each [MT_SONAME] [MT_CONTROL...] MT_DATA....
 */
struct sockbuf {
	struct mbuf *sb_mb;         /* [s] first record */
	struct mbuf *sb_mbtail;     /* [s] last mbuf of the last record */
	struct mbuf *sb_lastrecord; /* [s] first mbuf of the last record */
	size_t sb_cc;               /* [s] data bytes queued */
	size_t sb_hiwat;            /* [s] limit (SO_SNDBUF/SO_RCVBUF) */
	size_t sb_lowat;            /* [s] */
	size_t sb_mbcnt;            /* [s] storage used, data and overhead */
	size_t sb_mbmax;            /* [s] storage limit */
	int sb_flags;               /* [s] SB_* */
	uint64_t sb_timeo_ns;       /* [s] SO_RCVTIMEO/SO_SNDTIMEO, 0 = none */
	kcondvar_t sb_cv;           /* sleepers in sbwait */
	struct selinfo sb_sel;      /* pollers */
};
#define SB_AUTOSIZE 0x01 /* the protocol may grow sb_hiwat (TCP) */
#define SB_WAITING  0x02

/* Space left in sb (may be negative: overcommitted). */
static inline long
sbspace(const struct sockbuf *sb)
{
	long a = (long)sb->sb_hiwat - (long)sb->sb_cc;
	long b = (long)sb->sb_mbmax - (long)sb->sb_mbcnt;

	return a < b ? a : b;
}
/* Appends to the (single) stream record; consumes m. */
void sbappendstream(struct sockbuf *sb, struct mbuf *m);
/* Appends a record [address][control][data]; consumes m and control on
 * success; returns false (nothing consumed) if there is no space. */
bool sbappendaddr(struct sockbuf *sb, const struct sockaddr *asa,
    socklen_t salen, struct mbuf *m, struct mbuf *control);
/* Appends a record of control + data (AF_UNIX SCM_RIGHTS); as above. */
bool sbappendcontrol(struct sockbuf *sb, struct mbuf *m, struct mbuf *control);
/* Appends a record (SOCK_SEQPACKET); consumes m. */
void sbappendrecord(struct sockbuf *sb, struct mbuf *m);
/* Drops len bytes from the front (stream sockets: acknowledged data). */
void sbdrop(struct sockbuf *sb, int len);
/* Drops the first record. */
void sbdroprecord(struct sockbuf *sb);
void sbflush(struct sockbuf *sb);
int sbreserve(struct sockbuf *sb, size_t cc);
/* Sleeps until the buffer changes, with so_lock held (released while
 * asleep); EWOULDBLOCK on timeout, EINTR never (no signals yet). */
int sbwait(struct socket *so, struct sockbuf *sb);

struct protosw;
struct domain;

struct socket {
	kmutex_t so_lock;
	short so_type;                  /* [I] SOCK_STREAM, ... */
	short so_options;               /* [s] SO_ACCEPTCONN, SO_* bits below */
	short so_linger;                /* [s] seconds */
	short so_state;                 /* [s] SS_* */
	int so_error;                   /* [s] pending error (SO_ERROR) */
	int so_rerror;                  /* [s] pending receive error */
	const struct protosw *so_proto; /* [I] */
	void *so_pcb;                   /* [s] the protocol's control block */
	struct sockbuf so_snd;          /* [s] */
	struct sockbuf so_rcv;          /* [s] */
	kcondvar_t so_cv;               /* connect/accept/close waits */
	/* Listening: [s of the listener] */
	struct socket *so_head;         /* the listener of a queued child */
	struct socket *so_q0, *so_q;    /* incomplete, complete children */
	struct socket *so_qe_next;      /* link on the head's queue */
	/* The counts change under soq_lock with atomic stores: tcp_input
	 * reads so_qlen without it (a full accept queue). */
	int so_q0len, so_qlen, so_qlimit;
	kauth_cred_t so_cred;           /* [I] creator's */
	pid_t so_cpid;                  /* [I] creator's pid (SO_PEERCRED) */
	uint64_t so_rcvlowat;           /* [s] */
	struct file *so_fp;             /* [s] the open file, NULL if none */
	/* Added by the socket layer (uipc_socket.c): */
	unsigned so_refcnt;             /* [a] holds besides file and pcb */
	int so_protocol;                /* [I] as asked of socket(2), or pr_protocol */
	uint64_t so_ino;                /* [I] for fstat and /proc/net/unix */
	struct socket *so_qe_prev;      /* [q] the accept queues' lock */
	struct socket *so_q0tail, *so_qtail; /* [q] */
	int so_qwhich;                  /* [q] 0 none, 1 on so_q0, 2 on so_q */
};

/* so_options (kernel bits; the Linux SO_* numbers are option names) */
#define SO_OPT_ACCEPTCONN 0x0001
#define SO_OPT_REUSEADDR  0x0002
#define SO_OPT_REUSEPORT  0x0004
#define SO_OPT_KEEPALIVE  0x0008
#define SO_OPT_BROADCAST  0x0010
#define SO_OPT_LINGER     0x0020
#define SO_OPT_DONTROUTE  0x0040
#define SO_OPT_OOBINLINE  0x0080
#define SO_OPT_PASSCRED   0x0100
#define SO_OPT_TIMESTAMP  0x0200

/* so_state */
#define SS_NOFDREF         0x0001 /* no file refers to it any more */
#define SS_ISCONNECTED     0x0002
#define SS_ISCONNECTING    0x0004
#define SS_ISDISCONNECTING 0x0008
#define SS_CANTSENDMORE    0x0010
#define SS_CANTRCVMORE     0x0020
#define SS_RCVATMARK       0x0040
#define SS_NBIO            0x0080 /* non-blocking (O_NONBLOCK) */
#define SS_ISDISCONNECTED  0x0800
#define SS_ISCONFIRMING    0x0400

#define solock(so)   mutex_enter(&(so)->so_lock)
#define sounlock(so) mutex_exit(&(so)->so_lock)
#define solocked(so) mutex_owned(&(so)->so_lock)

/*
 * The protocol switch: one per (domain, type, protocol).  User requests
 * are called with so_lock held (pr_attach too: the socket is not yet
 * visible to anyone else) and return 0 or an errno.  Addresses are kernel
 * copies.
 */
struct protosw {
	int pr_type;                /* SOCK_* */
	struct domain *pr_domain;
	int pr_protocol;            /* IPPROTO_*, 0 for the domain's default */
	int pr_flags;               /* PR_* */

	int (*pr_attach)(struct socket *so, int proto);
	/* The descriptor is gone: release the pcb now, or later (TCP lingers)
	 * and then call sofree(). */
	void (*pr_detach)(struct socket *so);
	int (*pr_bind)(struct socket *so, const struct sockaddr *nam, socklen_t len);
	int (*pr_listen)(struct socket *so, int backlog);
	/* Starts a connection; stream protocols return 0 with SS_ISCONNECTING
	 * and complete it later (soisconnected), datagram ones at once. */
	int (*pr_connect)(struct socket *so, const struct sockaddr *nam, socklen_t len);
	int (*pr_connect2)(struct socket *so1, struct socket *so2); /* socketpair */
	int (*pr_disconnect)(struct socket *so);
	/* SHUT_WR has happened (socantsendmore done): send FIN etc. */
	int (*pr_shutdown)(struct socket *so);
	/* Hard reset: RST for TCP (SO_LINGER 0, listen queue overflow). */
	void (*pr_abort)(struct socket *so);
	/*
	 * Sends m (consumed, also on error) with optional destination nam and
	 * control (consumed).  Stream protocols append to so_snd and send what
	 * the window allows; MSG_OOB, MSG_MORE and MSG_EOR come in flags.
	 */
	int (*pr_send)(struct socket *so, struct mbuf *m, const struct sockaddr *nam,
	    socklen_t namlen, struct mbuf *control, int flags);
	/* The user took data from so_rcv: window updates (PR_WANTRCVD). */
	void (*pr_rcvd)(struct socket *so, int flags);
	int (*pr_sockaddr)(struct socket *so, struct sockaddr_storage *ss, socklen_t *len);
	int (*pr_peeraddr)(struct socket *so, struct sockaddr_storage *ss, socklen_t *len);
	/* Options at the protocol's levels (not SOL_SOCKET): val is a kernel
	 * buffer of *len bytes (in for PRCO_SETOPT, out for PRCO_GETOPT; set
	 * *len to the size produced).  ENOPROTOOPT if unknown. */
	int (*pr_ctloutput)(int op, struct socket *so, int level, int name,
	    void *val, socklen_t *len);
	/* Protocol ioctls with the caller's argument (in_control for
	 * SIOCSIFADDR ...); ENOTTY if unknown. */
	int (*pr_ioctl)(struct socket *so, unsigned long cmd, void *uarg);
	void (*pr_init)(void); /* once, at domain_attach */
};
#define PRCO_GETOPT 0
#define PRCO_SETOPT 1

#define PR_ATOMIC      0x01 /* whole messages only (datagrams) */
#define PR_ADDR        0x02 /* addresses go with messages */
#define PR_CONNREQUIRED 0x04
#define PR_WANTRCVD    0x08
#define PR_RIGHTS      0x10 /* passes file descriptors */
#define PR_LISTEN      0x20

struct domain {
	int dom_family;                     /* AF_* */
	const char *dom_name;
	const struct protosw *dom_protosw;  /* array */
	int dom_nprotosw;
	void (*dom_init)(void);
	struct domain *dom_next;
};
/*
 * Registers a domain (from a component init at RUMP_COMPONENT_NET).
 * Several domains may share a family (netinet's IP/UDP/raw and TCP each
 * attach one for AF_INET): pffindproto searches them in attach order.
 */
void domain_attach(struct domain *dp);
struct domain *pffinddomain(int family);
/* The protocol for (family, type, protocol): protocol 0 takes the first of
 * the type; EAFNOSUPPORT / EPROTONOSUPPORT / EPROTOTYPE via *error. */
const struct protosw *pffindproto(int family, int type, int protocol, int *error);

/* Generic socket operations (uipc_socket.c). */
int socreate(int family, int type, int proto, struct socket **sop);
int sobind(struct socket *so, const struct sockaddr *nam, socklen_t len);
int solisten(struct socket *so, int backlog);
int soconnect(struct socket *so, const struct sockaddr *nam, socklen_t len);
int soclose(struct socket *so);
/* Frees so if neither a file nor the protocol refers to it (so_lock held;
 * it is released by the call). */
void sofree(struct socket *so);
int soshutdown(struct socket *so, int how);
int sosend(struct socket *so, const struct sockaddr *addr, socklen_t addrlen,
    struct uio *uio, struct mbuf *top, struct mbuf *control, int flags);
/* Receives into uio; the source address and control messages are returned
 * as mbufs (*paddr, *controlp, each NULL if not wanted); *flagsp in/out. */
int soreceive(struct socket *so, struct mbuf **paddr, struct uio *uio,
    struct mbuf **controlp, int *flagsp);
int sosetopt(struct socket *so, int level, int name, const void *val, socklen_t len);
int sogetopt(struct socket *so, int level, int name, void *val, socklen_t *len);
/* Socket state changes by protocols (so_lock held). */
void soisconnecting(struct socket *so);
void soisconnected(struct socket *so);
void soisdisconnecting(struct socket *so);
void soisdisconnected(struct socket *so);
void socantsendmore(struct socket *so);
void socantrcvmore(struct socket *so);
/* Wakes readers/writers/pollers of so (so_lock held). */
void sorwakeup(struct socket *so);
void sowwakeup(struct socket *so);
/* Sets so_error and wakes everyone. */
void soseterror(struct socket *so, int error);
/*
 * A new socket for a connection arriving on listener head (head's lock
 * held): same protocol and options, its own lock, queued on so_q0 (or
 * so_q if connected is true; accept then finds it).  NULL if the queue is
 * full or memory is short.  The protocol's pr_attach runs for it; the
 * caller then fills its pcb.
 */
struct socket *sonewconn(struct socket *head, bool connected);
/* Moves a child from so_q0 to so_q of its head (connection established);
 * called by soisconnected for queued children. */
void soqinsque_complete(struct socket *so);
/* Removes a queued child from its head's queue (head's lock held). */
void soqremque(struct socket *so);

/*
 * Holding a socket: sohold() takes a reference (the caller knows the socket
 * is alive, e.g. found in a table under the table's lock); sorele() drops
 * it, freeing the socket if the file and the protocol are gone too.  The
 * same condition frees it in sofree().  sorele() takes so_lock itself;
 * sorele_locked() is called with it held and releases it.
 */
void sohold(struct socket *so);
void sorele(struct socket *so);
void sorele_locked(struct socket *so);
/* Hard-resets so (pr_abort); so_lock held, and still held on return. */
void soabort(struct socket *so);

/* Socket files (sys_socket.c): the fileops of DTYPE_SOCKET files. */
extern const struct fileops socketops;
/* Looks up fd as a socket, held through its file (file_release). */
int fd_getsock(int fd, struct socket **sop, struct file **fpp);

/* Sockets' default sizes. */
#define SB_DEFAULT_SND (212992)
#define SB_DEFAULT_RCV (212992)
#define SB_MAX         (16 * 1024 * 1024)

#endif /* KERNEL_NET_SOCKET_H */
