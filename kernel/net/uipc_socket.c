/*
 * uipc_socket.c — the generic socket (net/socket.h): creation and life,
 * connection state, accept queues, sending and receiving for every
 * protocol, SOL_SOCKET options and poll.
 *
 * Sending copies the caller's data into mbufs (big clusters for bulk
 * data) without holding so_lock, then takes the lock and hands the chain
 * to the protocol's pr_send.  Receiving takes what it needs off so_rcv
 * under the lock (one round trip for a typical read), lets the protocol
 * know (pr_rcvd: window updates, AF_UNIX backpressure), and copies out
 * with the lock dropped.  So copyin/copyout, which may be a round trip to
 * a remote client, never run under a socket lock.
 *
 * Life of a socket: socreate (pr_attach) → bind/listen/connect ... →
 * soclose when the file goes (SS_NOFDREF, pr_detach) → freed by sofree or
 * sorele once no file, no pcb and no hold (so_refcnt) remain.  Children
 * of a listener live on its queues (holding one reference there) with
 * SS_NOFDREF until accept takes them.
 *
 * Locks: so_lock per socket; soq_lock (below) guards every listener's
 * queues and is taken after socket locks.
 */
#include "net/net_impl.h"
#include "net/net_batch.h"

static kmutex_t soq_lock; /* [q]: so_head, so_q*, so_qe_*, so_q*len */
uint64_t so_nextino;

#define SO_HDRSPACE     64 /* room left in front of datagrams for headers */
#define SO_DEF_SNDLOWAT 2048
/* Linux's limits for SO_SNDBUF/SO_RCVBUF: [wr]mem_max and the minimums. */
#define SO_BUF_MAX    212992
#define SO_MIN_SNDBUF 4608
#define SO_MIN_RCVBUF 2304
#define NS_PER_SEC    1000000000ULL

RUMP_COMPONENT(RUMP_COMPONENT_KERN)
{
	mutex_init(&soq_lock, MUTEX_DEFAULT);
	LOCKINIT_DONE();
}

static inline int
so_family(const struct socket *so)
{
	return so->so_proto->pr_domain->dom_family;
}

static inline bool
so_isinet(const struct socket *so)
{
	return so_family(so) == AF_INET || so_family(so) == AF_INET6;
}

/* ------------------------------------------------------------- creation */

static struct socket *
soalloc(void)
{
	struct socket *so = kmem_zalloc(sizeof(*so), KM_SLEEP);

	if (so == NULL)
		return NULL;
	mutex_init(&so->so_lock, MUTEX_DEFAULT);
	cv_init(&so->so_cv);
	cv_init(&so->so_snd.sb_cv);
	cv_init(&so->so_rcv.sb_cv);
	so->so_ino = atomic_inc(&so_nextino) + 10000;
	so->so_rcvlowat = 1;
	(void)sbreserve(&so->so_snd, SB_DEFAULT_SND);
	(void)sbreserve(&so->so_rcv, SB_DEFAULT_RCV);
	so->so_snd.sb_lowat = SO_DEF_SNDLOWAT;
	so->so_rcv.sb_lowat = 1;
	return so;
}

static void
sodealloc(struct socket *so)
{
	KASSERT(so->so_rcv.sb_mb == NULL && so->so_snd.sb_mb == NULL);
	seldestroy(&so->so_rcv.sb_sel);
	seldestroy(&so->so_snd.sb_sel);
	cv_destroy(&so->so_rcv.sb_cv);
	cv_destroy(&so->so_snd.sb_cv);
	cv_destroy(&so->so_cv);
	if (so->so_cred != NULL)
		kauth_cred_free(so->so_cred);
	mutex_destroy(&so->so_lock);
	kmem_free(so, sizeof(*so));
}

int
socreate(int family, int type, int proto, struct socket **sop)
{
	const struct protosw *pr;
	struct socket *so;
	int error = 0;

	if (type <= 0 || type > 10)
		return EINVAL;
	if (family < 0 || family >= AF_MAX)
		return EAFNOSUPPORT;
	if ((pr = pffindproto(family, type, proto, &error)) == NULL)
		return error;
	if (pr->pr_attach == NULL)
		return EPROTONOSUPPORT;
	if ((so = soalloc()) == NULL)
		return ENOBUFS;
	so->so_type = (short)type;
	so->so_proto = pr;
	so->so_protocol = proto != 0 ? proto : pr->pr_protocol;
	so->so_cred = kauth_cred_get();
	so->so_cpid = curproc->p_pid;
	solock(so);
	error = pr->pr_attach(so, proto);
	if (!solocked(so))
		solock(so);
	if (error) {
		KASSERT(so->so_pcb == NULL);
		sounlock(so);
		sodealloc(so);
		return error;
	}
	sounlock(so);
	*sop = so;
	return 0;
}

/* ------------------------------------------------------ holds and freeing */

void
sohold(struct socket *so)
{
	atomic_inc(&so->so_refcnt);
}

/* Unlinks so from its head's queue.  Holds soq_lock. */
static void
soq_unlink(struct socket *so)
{
	struct socket *head = so->so_head;

	KASSERT(mutex_owned(&soq_lock));
	KASSERT(head != NULL && so->so_qwhich != 0);
	if (so->so_qe_prev != NULL)
		so->so_qe_prev->so_qe_next = so->so_qe_next;
	else if (so->so_qwhich == 1)
		head->so_q0 = so->so_qe_next;
	else
		head->so_q = so->so_qe_next;
	if (so->so_qe_next != NULL)
		so->so_qe_next->so_qe_prev = so->so_qe_prev;
	else if (so->so_qwhich == 1)
		head->so_q0tail = so->so_qe_prev;
	else
		head->so_qtail = so->so_qe_prev;
	if (so->so_qwhich == 1)
		atomic_store_relaxed(&head->so_q0len, head->so_q0len - 1);
	else
		atomic_store_relaxed(&head->so_qlen, head->so_qlen - 1);
	so->so_qe_next = so->so_qe_prev = NULL;
	so->so_qwhich = 0;
	so->so_head = NULL;
}

/* Appends so to queue which (1: so_q0, 2: so_q) of head.  Holds soq_lock. */
static void
soq_link(struct socket *head, struct socket *so, int which)
{
	struct socket **tailp = which == 1 ? &head->so_q0tail : &head->so_qtail;

	KASSERT(mutex_owned(&soq_lock));
	so->so_head = head;
	so->so_qwhich = which;
	so->so_qe_next = NULL;
	so->so_qe_prev = *tailp;
	if (*tailp != NULL)
		(*tailp)->so_qe_next = so;
	else if (which == 1)
		head->so_q0 = so;
	else
		head->so_q = so;
	*tailp = so;
	if (which == 1)
		atomic_store_relaxed(&head->so_q0len, head->so_q0len + 1);
	else
		atomic_store_relaxed(&head->so_qlen, head->so_qlen + 1);
}

/* Wakes accept(2) and pollers of listener head.  Holds soq_lock. */
static void
soq_wakeup(struct socket *head)
{
	KASSERT(mutex_owned(&soq_lock));
	cv_broadcast(&head->so_cv);
	selnotify(&head->so_rcv.sb_sel, POLLIN | POLLRDNORM);
}

void
sofree(struct socket *so)
{
	struct mbuf *r, *s;

	KASSERT(solocked(so));
	if (so->so_pcb != NULL || !(so->so_state & SS_NOFDREF)) {
		sounlock(so);
		return;
	}
	mutex_enter(&soq_lock);
	if (so->so_head != NULL) {
		soq_unlink(so);
		atomic_dec(&so->so_refcnt); /* the queue's */
	}
	mutex_exit(&soq_lock);
	if (atomic_load_acquire(&so->so_refcnt) != 0) {
		sounlock(so);
		return;
	}
	r = sbdetach_all(&so->so_rcv);
	s = sbdetach_all(&so->so_snd);
	sounlock(so);
	sb_freerecords(r);
	sb_freerecords(s);
	sodealloc(so);
}

void
sorele_locked(struct socket *so)
{
	KASSERT(solocked(so));
	KASSERT(atomic_load_relaxed(&so->so_refcnt) > 0);
	atomic_dec(&so->so_refcnt);
	sofree(so);
}

void
sorele(struct socket *so)
{
	solock(so);
	sorele_locked(so);
}

void
soabort(struct socket *so)
{
	KASSERT(solocked(so));
	sohold(so);
	if (so->so_proto->pr_abort != NULL)
		so->so_proto->pr_abort(so);
	else if (so->so_pcb != NULL && so->so_proto->pr_detach != NULL)
		so->so_proto->pr_detach(so);
	if (!solocked(so))
		solock(so);
	atomic_dec(
	    &so->so_refcnt); /* still locked: the caller's hold remains */
}

/* ------------------------------------------------------ connection state */

/*
 * Wake who waits to read (sorwakeup) or write (sowwakeup) so.  Inside a
 * packet batch (net_batch.h) the wakeup is recorded and done once when the
 * batch ends, so a reader wakes once for everything a driver's receiver
 * took off its ring.
 */
void
sorwakeup(struct socket *so)
{
	KASSERT(solocked(so));
	if (__predict_false(curlwp->l_netbatch != NULL) &&
	    net_batch_so(so, NET_BATCH_RWAKE, NULL))
		return;
	if (so->so_rcv.sb_flags & SB_WAITING) {
		so->so_rcv.sb_flags &= ~SB_WAITING;
		cv_broadcast(&so->so_rcv.sb_cv);
	}
	selnotify(&so->so_rcv.sb_sel, POLLIN | POLLRDNORM);
}

void
sowwakeup(struct socket *so)
{
	KASSERT(solocked(so));
	if (__predict_false(curlwp->l_netbatch != NULL) &&
	    net_batch_so(so, NET_BATCH_WWAKE, NULL))
		return;
	if (so->so_snd.sb_flags & SB_WAITING) {
		so->so_snd.sb_flags &= ~SB_WAITING;
		cv_broadcast(&so->so_snd.sb_cv);
	}
	selnotify(&so->so_snd.sb_sel, POLLOUT | POLLWRNORM);
}

static void
so_wakeall(struct socket *so)
{
	cv_broadcast(&so->so_cv);
	sorwakeup(so);
	sowwakeup(so);
}

void
soisconnecting(struct socket *so)
{
	KASSERT(solocked(so));
	so->so_state &=
	    ~(SS_ISCONNECTED | SS_ISDISCONNECTING | SS_ISDISCONNECTED);
	so->so_state |= SS_ISCONNECTING;
}

void
soqinsque_complete(struct socket *so)
{
	struct socket *head;

	mutex_enter(&soq_lock);
	head = so->so_head;
	if (head != NULL && so->so_qwhich == 1) {
		soq_unlink(so);
		soq_link(head, so, 2);
		soq_wakeup(head);
	}
	mutex_exit(&soq_lock);
}

void
soisconnected(struct socket *so)
{
	KASSERT(solocked(so));
	so->so_state &= ~(SS_ISCONNECTING | SS_ISDISCONNECTING |
	    SS_ISCONFIRMING | SS_ISDISCONNECTED);
	so->so_state |= SS_ISCONNECTED;
	soqinsque_complete(so);
	so_wakeall(so);
}

void
soisdisconnecting(struct socket *so)
{
	KASSERT(solocked(so));
	so->so_state &= ~SS_ISCONNECTING;
	so->so_state |= SS_ISDISCONNECTING | SS_CANTRCVMORE | SS_CANTSENDMORE;
	so_wakeall(so);
}

void
soisdisconnected(struct socket *so)
{
	KASSERT(solocked(so));
	so->so_state &=
	    ~(SS_ISCONNECTING | SS_ISCONNECTED | SS_ISDISCONNECTING);
	so->so_state |= SS_ISDISCONNECTED | SS_CANTRCVMORE | SS_CANTSENDMORE;
	so_wakeall(so);
}

void
socantsendmore(struct socket *so)
{
	KASSERT(solocked(so));
	so->so_state |= SS_CANTSENDMORE;
	cv_broadcast(&so->so_cv);
	sowwakeup(so);
	sorwakeup(so); /* POLLHUP may now hold */
}

void
socantrcvmore(struct socket *so)
{
	KASSERT(solocked(so));
	so->so_state |= SS_CANTRCVMORE;
	cv_broadcast(&so->so_cv);
	sorwakeup(so);
	sowwakeup(so);
}

void
soseterror(struct socket *so, int error)
{
	KASSERT(solocked(so));
	so->so_error = error;
	so_wakeall(so);
}

/* ------------------------------------------------------------- listening */

struct socket *
sonewconn(struct socket *head, bool connected)
{
	struct socket *so;
	bool full;
	int error;

	KASSERT(solocked(head));
	mutex_enter(&soq_lock);
	if (connected)
		full = head->so_qlen > head->so_qlimit;
	else
		full = head->so_qlen > head->so_qlimit ||
		    head->so_q0len >= 1024 + head->so_qlimit;
	full = full || (head->so_state & SS_CANTRCVMORE) ||
	    !(head->so_options & SO_OPT_ACCEPTCONN);
	mutex_exit(&soq_lock);
	if (full || (so = soalloc()) == NULL)
		return NULL;
	so->so_type = head->so_type;
	so->so_proto = head->so_proto;
	so->so_protocol = head->so_protocol;
	so->so_options = head->so_options & ~SO_OPT_ACCEPTCONN;
	so->so_linger = head->so_linger;
	so->so_state = SS_NOFDREF;
	kauth_cred_hold(head->so_cred);
	so->so_cred = head->so_cred;
	so->so_cpid = head->so_cpid;
	so->so_rcvlowat = head->so_rcvlowat;
	(void)sbreserve(&so->so_snd, head->so_snd.sb_hiwat);
	(void)sbreserve(&so->so_rcv, head->so_rcv.sb_hiwat);
	so->so_snd.sb_flags = head->so_snd.sb_flags & SB_AUTOSIZE;
	so->so_rcv.sb_flags = head->so_rcv.sb_flags & SB_AUTOSIZE;
	so->so_snd.sb_timeo_ns = head->so_snd.sb_timeo_ns;
	so->so_rcv.sb_timeo_ns = head->so_rcv.sb_timeo_ns;
	solock(so);
	error = so->so_proto->pr_attach(so, so->so_protocol);
	if (!solocked(so))
		solock(so);
	if (error) {
		KASSERT(so->so_pcb == NULL);
		sounlock(so);
		sodealloc(so);
		return NULL;
	}
	if (connected)
		so->so_state |= SS_ISCONNECTED;
	mutex_enter(&soq_lock);
	sohold(so); /* the queue's */
	soq_link(head, so, connected ? 2 : 1);
	if (connected)
		soq_wakeup(head);
	mutex_exit(&soq_lock);
	sounlock(so);
	return so;
}

void
soqremque(struct socket *so)
{
	mutex_enter(&soq_lock);
	if (so->so_head != NULL) {
		soq_unlink(so);
		atomic_dec(&so->so_refcnt);
	}
	mutex_exit(&soq_lock);
}

int
soaccept_take(struct socket *head, bool nbio, struct socket **childp)
{
	struct socket *so = NULL;
	uint64_t timeo;
	int error = 0;

	solock(head);
	timeo = head->so_rcv.sb_timeo_ns;
	nbio = nbio || (head->so_state & SS_NBIO);
	mutex_enter(&soq_lock);
	for (;;) {
		if (!(head->so_options & SO_OPT_ACCEPTCONN) ||
		    (head->so_state & SS_CANTRCVMORE)) {
			error = EINVAL;
			break;
		}
		if (head->so_error) {
			error = head->so_error;
			head->so_error = 0;
			break;
		}
		if ((so = head->so_q) != NULL) {
			soq_unlink(so); /* its queue hold is now ours */
			break;
		}
		if (nbio) {
			error = EAGAIN;
			break;
		}
		sounlock(head);
		if (timeo != 0) {
			error = cv_timedwait(&head->so_cv, &soq_lock, timeo);
			if (error == ETIMEDOUT)
				error = EAGAIN;
		} else {
			cv_wait(&head->so_cv, &soq_lock);
		}
		mutex_exit(&soq_lock);
		solock(head);
		mutex_enter(&soq_lock);
		if (error)
			break;
	}
	mutex_exit(&soq_lock);
	sounlock(head);
	if (error)
		return error;
	solock(so);
	so->so_state &= ~SS_NOFDREF;
	sounlock(so);
	*childp =
	    so; /* still with the hold: the caller's until it has a file */
	return 0;
}

int
sobind(struct socket *so, const struct sockaddr *nam, socklen_t len)
{
	int error;

	if (so->so_proto->pr_bind == NULL)
		return EOPNOTSUPP;
	solock(so);
	error = so->so_proto->pr_bind(so, nam, len);
	if (!solocked(so))
		solock(so);
	sounlock(so);
	return error;
}

int
solisten(struct socket *so, int backlog)
{
	int error;

	if (so->so_proto->pr_listen == NULL)
		return EOPNOTSUPP;
	if (backlog < 0 || backlog > SOMAXCONN)
		backlog = SOMAXCONN;
	solock(so);
	if (so->so_state &
	    (SS_ISCONNECTED | SS_ISCONNECTING | SS_ISDISCONNECTING)) {
		error = EINVAL;
		goto out;
	}
	error = so->so_proto->pr_listen(so, backlog);
	if (!solocked(so))
		solock(so);
	if (error == 0) {
		mutex_enter(&soq_lock);
		so->so_qlimit = backlog;
		so->so_options |= SO_OPT_ACCEPTCONN;
		so->so_state &= ~SS_CANTRCVMORE;
		mutex_exit(&soq_lock);
	}
out:
	sounlock(so);
	return error;
}

/* ------------------------------------------------------------ connecting */

int
soconnect(struct socket *so, const struct sockaddr *nam, socklen_t len)
{
	const struct protosw *pr = so->so_proto;
	uint64_t deadline = 0, now;
	int error = 0;

	if (len < sizeof(sa_family_t))
		return EINVAL;
	solock(so);
	if (so->so_options & SO_OPT_ACCEPTCONN) {
		error = so_family(so) == AF_UNIX ? EINVAL : EISCONN;
		goto out;
	}
	if (!(pr->pr_flags & PR_CONNREQUIRED) && nam->sa_family == AF_UNSPEC) {
		/* Datagram sockets: dissolve the association. */
		if ((so->so_state & SS_ISCONNECTED) && pr->pr_disconnect)
			error = pr->pr_disconnect(so);
		if (!solocked(so))
			solock(so);
		so->so_state &= ~(SS_ISCONNECTED | SS_ISCONNECTING);
		goto out;
	}
	if (pr->pr_flags & PR_CONNREQUIRED) {
		if (so->so_state & SS_ISCONNECTED) {
			error = EISCONN;
			goto out;
		}
		if (so->so_state & SS_ISCONNECTING) {
			error = EALREADY;
			goto out;
		}
	}
	if (pr->pr_connect == NULL) {
		error = EOPNOTSUPP;
		goto out;
	}
	so->so_error = 0;
	error = pr->pr_connect(so, nam, len);
	if (!solocked(so))
		solock(so);
	if (error)
		goto out;
	if (!(so->so_state & SS_ISCONNECTING) ||
	    (so->so_state & SS_ISCONNECTED))
		goto out;
	if (so->so_state & SS_NBIO) {
		error = EINPROGRESS;
		goto out;
	}
	if (so->so_snd.sb_timeo_ns != 0)
		deadline = getnanouptime() + so->so_snd.sb_timeo_ns;
	while ((so->so_state & SS_ISCONNECTING) && so->so_error == 0) {
		if (deadline != 0) {
			now = getnanouptime();
			if (now >= deadline ||
			    cv_timedwait(&so->so_cv, &so->so_lock,
			        deadline - now) == ETIMEDOUT) {
				if (so->so_state & SS_ISCONNECTING) {
					error = EINPROGRESS;
					goto out;
				}
			}
		} else {
			cv_wait(&so->so_cv, &so->so_lock);
		}
	}
	if (so->so_error) {
		error = so->so_error;
		so->so_error = 0;
	} else if (!(so->so_state & SS_ISCONNECTED)) {
		error = ECONNREFUSED;
	}
out:
	sounlock(so);
	return error;
}

int
soconnect2(struct socket *so1, struct socket *so2)
{
	int error;

	if (so1->so_proto->pr_connect2 == NULL)
		return EOPNOTSUPP;
	/* Both are new and known to nobody else: the order is free. */
	solock(so1);
	solock(so2);
	error = so1->so_proto->pr_connect2(so1, so2);
	sounlock(so2);
	sounlock(so1);
	return error;
}

int
soshutdown(struct socket *so, int how)
{
	int error = 0;

	if (how < SHUT_RD || how > SHUT_RDWR)
		return EINVAL;
	how++; /* bit 1: receiving, bit 2: sending */
	solock(so);
	if (so->so_options & SO_OPT_ACCEPTCONN) {
		if (how & 1) {
			so->so_state |= SS_CANTRCVMORE;
			mutex_enter(&soq_lock);
			soq_wakeup(so);
			mutex_exit(&soq_lock);
			so_wakeall(so);
		}
		goto out;
	}
	if (!(so->so_state & (SS_ISCONNECTED | SS_ISCONNECTING)) &&
	    so_family(so) != AF_UNIX) {
		error = ENOTCONN;
		goto out;
	}
	if (how & 1) {
		socantrcvmore(so);
		if (so_family(so) == AF_UNIX)
			unp_shutdown_rd(so);
	}
	if ((how & 2) && !(so->so_state & SS_CANTSENDMORE)) {
		socantsendmore(so);
		if (so->so_proto->pr_shutdown != NULL)
			error = so->so_proto->pr_shutdown(so);
		if (!solocked(so))
			solock(so);
	}
	so_wakeall(so);
out:
	sounlock(so);
	return error;
}

int
soclose(struct socket *so)
{
	struct socket *child;
	uint64_t deadline;

	solock(so);
	if (so->so_options & SO_OPT_ACCEPTCONN) {
		for (;;) {
			mutex_enter(&soq_lock);
			if ((child = so->so_q0) == NULL)
				child = so->so_q;
			if (child != NULL)
				soq_unlink(child); /* its hold is ours now */
			else
				soq_wakeup(so);
			mutex_exit(&soq_lock);
			if (child == NULL)
				break;
			solock(child);
			soabort(child);
			sorele_locked(child);
		}
	}
	if ((so->so_options & SO_OPT_LINGER) && so->so_linger == 0 &&
	    (so->so_state & SS_ISCONNECTED) && so->so_type == SOCK_STREAM)
		soabort(so);
	so->so_state |= SS_NOFDREF;
	so->so_fp = NULL;
	sohold(so);
	if (so->so_pcb != NULL && so->so_proto->pr_detach != NULL)
		so->so_proto->pr_detach(so);
	if (!solocked(so))
		solock(so);
	if ((so->so_options & SO_OPT_LINGER) && so->so_linger > 0) {
		deadline =
		    getnanouptime() + (uint64_t)so->so_linger * NS_PER_SEC;
		while (
		    so->so_pcb != NULL && !(so->so_state & SS_ISDISCONNECTED)) {
			uint64_t now = getnanouptime();

			if (now >= deadline ||
			    cv_timedwait(&so->so_cv, &so->so_lock,
			        deadline - now) == ETIMEDOUT)
				break;
		}
	}
	sorele_locked(so);
	return 0;
}

/* --------------------------------------------------------------- sending */

/*
 * Copies len bytes of uio into a new packet: big clusters for bulk data,
 * and room in front of datagrams (atomic) for the protocols' headers.
 */
static int
so_uio_mbuf(struct uio *uio, size_t len, bool atomic, struct mbuf **mp)
{
	struct mbuf *top = NULL, **np = &top, *m;
	int lead = atomic ? SO_HDRSPACE : 0, error, n;
	size_t total = len;

	do {
		bool hdr = top == NULL;
		size_t need = len + (size_t)lead;

		if (need <= (size_t)MLEN)
			m = hdr ? m_gethdr(M_WAIT, MT_DATA)
			        : m_get(M_WAIT, MT_DATA);
		else
			m = m_getcl(M_WAIT, MT_DATA, hdr ? M_PKTHDR : 0,
			    need <= MCLBYTES ? MCLBYTES : MBIGCLBYTES);
		if (m == NULL) {
			m_freem(top);
			return ENOBUFS;
		}
		m->m_data += lead;
		n = (int)MIN(len, (size_t)(M_BUFSIZE(m) - lead));
		if (n > 0 &&
		    (error = uiomove(mtod(m, void *), (size_t)n, uio)) != 0) {
			m_free(m);
			m_freem(top);
			return error;
		}
		m->m_len = n;
		len -= (size_t)n;
		lead = 0;
		*np = m;
		np = &m->m_next;
	} while (len > 0);
	top->m_pkthdr.len = (int)total;
	*mp = top;
	return 0;
}

int
sosend(struct socket *so, const struct sockaddr *addr, socklen_t addrlen,
    struct uio *uio, struct mbuf *top, struct mbuf *control, int flags)
{
	const struct protosw *pr = so->so_proto;
	bool atomic = (pr->pr_flags & PR_ATOMIC) != 0, nbio;
	size_t resid, chunk;
	struct mbuf *m, *last;
	struct net_batch nb;
	long space;
	int error = 0;

	resid = uio != NULL ? uio->uio_resid
	                    : (top != NULL ? (size_t)m_length(top) : 0);
	if (resid > (size_t)INT32_MAX)
		return EINVAL;
	solock(so);
	nbio = (so->so_state & SS_NBIO) || (flags & MSG_DONTWAIT);
	for (;;) {
		if (so->so_state & SS_CANTSENDMORE) {
			error = EPIPE;
			break;
		}
		if (so->so_error) {
			error = so->so_error;
			so->so_error = 0;
			break;
		}
		if (!(so->so_state & SS_ISCONNECTED)) {
			if (pr->pr_flags & PR_CONNREQUIRED) {
				if (so->so_state & SS_ISCONNECTING)
					goto wait;
				error = so_isinet(so) ? EPIPE : ENOTCONN;
				break;
			}
			if (addr == NULL) {
				error = so_family(so) == AF_UNIX ? ENOTCONN
				                                 : EDESTADDRREQ;
				break;
			}
		}
		space = sbspace(&so->so_snd);
		if (atomic) {
			if (resid > so->so_snd.sb_hiwat) {
				error = EMSGSIZE;
				break;
			}
			if (space < (long)resid && so->so_snd.sb_cc > 0)
				goto wait;
			chunk = resid;
		} else {
			if (resid > 0 &&
			    (space <= 0 ||
			        space < (long)MIN(resid, so->so_snd.sb_lowat)))
				goto wait;
			chunk = MIN(resid, (size_t)MAX(space, 0));
		}
		sounlock(so);
		if (uio != NULL) {
			error = so_uio_mbuf(uio, chunk, atomic, &m);
		} else {
			m = top;
			top = NULL;
		}
		solock(so);
		if (error)
			break;
		if (so->so_state & SS_CANTSENDMORE) {
			m_freem(m);
			if (uio != NULL)
				uio->uio_resid += chunk;
			error = EPIPE;
			break;
		}
		if (atomic && m != NULL) {
			for (last = m; last->m_next != NULL;
			     last = last->m_next)
				;
			last->m_flags |= M_EOR;
		}
		/* A burst of frames gets one doorbell (driver flush) at the
		 * end; socket work is not deferred here (we hold so_lock). */
		net_batch_begin(&nb, NET_BATCH_IFWORK);
		error = pr->pr_send(so, m, addr, addrlen, control, flags);
		net_batch_end(&nb);
		control = NULL;
		if (!solocked(so))
			solock(so);
		if (error) {
			if (uio != NULL)
				uio->uio_resid += chunk;
			break;
		}
		resid -= chunk;
		if (resid == 0)
			break;
		continue;
	wait:
		if (nbio) {
			error = EAGAIN;
			break;
		}
		if ((error = sbwait(so, &so->so_snd)) != 0)
			break;
	}
	sounlock(so);
	m_freem(top);
	if (control != NULL)
		sb_freechain(control);
	return error;
}

/* ------------------------------------------------------------- receiving */

/* A copy of the control mbufs of a record, holding rights again. */
static struct mbuf *
so_copycontrol(struct mbuf *m)
{
	struct mbuf *top = NULL, **np = &top, *n;

	for (; m != NULL && m->m_type == MT_CONTROL; m = m->m_next) {
		if ((n = m_copym(m, 0, m->m_len, M_WAIT)) == NULL)
			break;
		n->m_type = MT_CONTROL;
		n->m_next = NULL;
		unp_rights_hold(n);
		*np = n;
		np = &n->m_next;
	}
	return top;
}

/* Appends chain n to the chain at *headp. */
static void
so_chain_append(struct mbuf **headp, struct mbuf *n)
{
	while (*headp != NULL)
		headp = &(*headp)->m_next;
	*headp = n;
}

/*
 * Takes (or with peek copies) up to want data bytes off the front of a
 * stream so_rcv, crossing records unless one starts with control
 * messages and something was taken already.  Control messages of the
 * first record go to *ctlp.  Returns the data chain; *gotp its length.
 */
static struct mbuf *
so_stream_take(
    struct socket *so, size_t want, bool peek, struct mbuf **ctlp, size_t *gotp)
{
	struct sockbuf *sb = &so->so_rcv;
	struct mbuf *data = NULL, **dp = &data, *rec, *next, *m, *n;
	size_t got = 0;
	bool islast;

	KASSERT(solocked(so));
	while (want > 0 && (rec = sb->sb_mb) != NULL) {
		next = rec->m_nextpkt;
		islast = sb->sb_lastrecord == rec;
		m = rec;
		if (m->m_type == MT_SONAME || m->m_type == MT_CONTROL) {
			if (got > 0 || *ctlp != NULL)
				break; /* a message boundary */
		}
		if (peek) {
			/* Copies of this record's control and data. */
			for (; m != NULL && m->m_type == MT_SONAME;
			     m = m->m_next)
				;
			if (m != NULL && m->m_type == MT_CONTROL)
				*ctlp = so_copycontrol(m);
			for (; m != NULL && m->m_type == MT_CONTROL;
			     m = m->m_next)
				;
			for (; m != NULL && want > 0; m = m->m_next) {
				size_t k = MIN(want, (size_t)m->m_len);

				if (k == 0)
					continue;
				n = m_copym(m, 0, (int)k, M_WAIT);
				if (n == NULL)
					break;
				n->m_next = NULL; /* k <= m_len: one mbuf */
				*dp = n;
				dp = &n->m_next;
				got += k;
				want -= k;
			}
			break; /* peeking stays within the first record */
		}
		rec->m_nextpkt = NULL;
		/* The record's address (never on streams) and control. */
		while (m != NULL &&
		    (m->m_type == MT_SONAME || m->m_type == MT_CONTROL)) {
			n = m;
			m = m->m_next;
			n->m_next = NULL;
			sb_account_take(sb, n);
			if (n->m_type == MT_CONTROL)
				so_chain_append(ctlp, n);
			else
				m_free(n);
		}
		while (m != NULL && want > 0) {
			if ((size_t)m->m_len <= want) {
				n = m;
				m = m->m_next;
				n->m_next = NULL;
				sb_account_take(sb, n);
				want -= (size_t)n->m_len;
				got += (size_t)n->m_len;
				if (n->m_len == 0) {
					m_free(n);
					continue;
				}
			} else {
				n = m_copym(m, 0, (int)want, M_WAIT);
				if (n == NULL)
					break;
				n->m_next = NULL;
				m->m_data += want;
				m->m_len -= (int)want;
				sb->sb_cc -= want;
				got += want;
				want = 0;
			}
			*dp = n;
			dp = &n->m_next;
		}
		if (m != NULL) {
			m->m_nextpkt = next;
			sb->sb_mb = m;
			if (islast)
				sb->sb_lastrecord = m;
			break;
		}
		sb->sb_mb = next;
		if (islast || next == NULL)
			sb->sb_lastrecord = sb->sb_mbtail = NULL;
		if (next != NULL &&
		    (next->m_type == MT_CONTROL || next->m_type == MT_SONAME))
			break;
	}
	*gotp = got;
	return data;
}

/* Takes (or copies) the first record of a datagram/seqpacket so_rcv. */
static struct mbuf *
so_record_take(struct socket *so, bool peek)
{
	struct sockbuf *sb = &so->so_rcv;
	struct mbuf *rec = sb->sb_mb, *m, *top = NULL, **np = &top, *n;

	KASSERT(solocked(so) && rec != NULL);
	if (!peek) {
		sb->sb_mb = rec->m_nextpkt;
		rec->m_nextpkt = NULL;
		if (sb->sb_mb == NULL)
			sb->sb_lastrecord = sb->sb_mbtail = NULL;
		for (m = rec; m != NULL; m = m->m_next)
			sb_account_take(sb, m);
		return rec;
	}
	for (m = rec; m != NULL; m = m->m_next) {
		if (m->m_type == MT_CONTROL) {
			n = so_copycontrol(m);
			while (m->m_next != NULL &&
			    m->m_next->m_type == MT_CONTROL)
				m = m->m_next;
		} else if (m->m_len == 0) {
			continue;
		} else if ((n = m_copym(m, 0, m->m_len, M_WAIT)) != NULL) {
			n->m_type = m->m_type;
			n->m_next = NULL;
		}
		if (n == NULL)
			continue;
		*np = n;
		while (n->m_next != NULL)
			n = n->m_next;
		np = &n->m_next;
	}
	if (top == NULL)
		top = m_get(M_WAIT, MT_DATA); /* an empty datagram */
	return top;
}

/* Copies a data chain to uio; returns the bytes of data in the chain. */
static int
so_copyout(struct mbuf *m, struct uio *uio, size_t *datalen)
{
	size_t len = 0;
	int error = 0;

	for (; m != NULL; m = m->m_next) {
		len += (size_t)m->m_len;
		if (error == 0 && uio->uio_resid > 0 && m->m_len > 0)
			error = uiomove(mtod(m, void *), (size_t)m->m_len, uio);
	}
	*datalen = len;
	return error;
}

int
soreceive_len(struct socket *so, struct mbuf **paddr, struct uio *uio,
    struct mbuf **controlp, int *flagsp, size_t *lenp)
{
	const struct protosw *pr = so->so_proto;
	int flags = flagsp != NULL ? *flagsp : 0, oflags = 0, error = 0;
	bool record = so->so_type != SOCK_STREAM, peek = flags & MSG_PEEK;
	bool nbio, waitall;
	size_t moved = 0, dlen = 0, got, orig = uio->uio_resid;
	struct mbuf *rec, *ctl, *data, *m;

	if (paddr != NULL)
		*paddr = NULL;
	if (controlp != NULL)
		*controlp = NULL;
	if (flags & MSG_OOB)
		return so_family(so) == AF_UNIX ? EOPNOTSUPP : EINVAL;
	if (flags & MSG_ERRQUEUE)
		return EAGAIN;
	solock(so);
	nbio = (so->so_state & SS_NBIO) || (flags & MSG_DONTWAIT);
	waitall = (flags & MSG_WAITALL) && !record && !peek && !nbio;
	for (;;) {
		size_t avail = so->so_rcv.sb_cc, need;
		bool ready;

		if (record) {
			ready = so->so_rcv.sb_mb != NULL;
		} else {
			need = MIN(uio->uio_resid, MAX(so->so_rcvlowat, 1));
			ready = avail > 0 &&
			    (avail >= need || moved > 0 ||
			        (so->so_state & SS_CANTRCVMORE) ||
			        so->so_error);
			/* A record opening with control data counts too. */
			if (!ready && so->so_rcv.sb_mb != NULL &&
			    so->so_rcv.sb_mb->m_type == MT_CONTROL && avail > 0)
				ready = true;
		}
		if (!ready) {
			if (moved > 0 && !waitall)
				break;
			if (so->so_error) {
				if (moved == 0) {
					error = so->so_error;
					if (!peek)
						so->so_error = 0;
				}
				break;
			}
			if (so->so_state & SS_CANTRCVMORE)
				break;
			if (uio->uio_resid == 0)
				break;
			if ((pr->pr_flags & PR_CONNREQUIRED) &&
			    !(so->so_state &
			        (SS_ISCONNECTED | SS_ISCONNECTING))) {
				if (moved == 0)
					error = so_family(so) == AF_UNIX
					    ? EINVAL
					    : ENOTCONN;
				break;
			}
			if (nbio) {
				if (moved == 0)
					error = EAGAIN;
				break;
			}
			if ((error = sbwait(so, &so->so_rcv)) != 0) {
				if (moved > 0)
					error = 0;
				break;
			}
			continue;
		}

		ctl = NULL;
		if (record) {
			rec = so_record_take(so, peek);
			if (!peek && (pr->pr_flags & PR_WANTRCVD) &&
			    so->so_pcb != NULL)
				pr->pr_rcvd(so, flags);
			if (!solocked(so))
				solock(so);
			sounlock(so);
			/* Split into address, control and data. */
			m = rec;
			if (m != NULL && m->m_type == MT_SONAME) {
				rec = m->m_next;
				m->m_next = NULL;
				if (paddr != NULL)
					*paddr = m;
				else
					m_free(m);
				m = rec;
			}
			while (m != NULL && m->m_type == MT_CONTROL) {
				rec = m->m_next;
				m->m_next = NULL;
				so_chain_append(&ctl, m);
				m = rec;
			}
			data = m;
			error = so_copyout(data, uio, &dlen);
			moved = orig - uio->uio_resid;
			if (dlen > moved)
				oflags |= MSG_TRUNC;
			m_freem(data);
			if (controlp != NULL)
				*controlp = ctl;
			else
				sb_freechain(ctl);
			if (lenp != NULL)
				*lenp = (flags & MSG_TRUNC) ? dlen : moved;
			goto done;
		}

		/* Stream: take what there is, up to what is wanted. */
		data = so_stream_take(so, uio->uio_resid, peek, &ctl, &got);
		if (!peek && got > 0 && (pr->pr_flags & PR_WANTRCVD) &&
		    so->so_pcb != NULL) {
			pr->pr_rcvd(so, flags);
			if (!solocked(so))
				solock(so);
		}
		sounlock(so);
		error = so_copyout(data, uio, &dlen);
		m_freem(data);
		moved = orig - uio->uio_resid;
		if (ctl != NULL) {
			if (controlp != NULL)
				so_chain_append(controlp, ctl);
			else
				sb_freechain(ctl);
		}
		if (error || !waitall || uio->uio_resid == 0 || ctl != NULL) {
			if (error && moved > 0)
				error = 0;
			if (lenp != NULL)
				*lenp = moved;
			goto done;
		}
		solock(so);
	}
	sounlock(so);
	if (lenp != NULL)
		*lenp = moved;
done:
	if (flagsp != NULL)
		*flagsp = oflags;
	return error;
}

int
soreceive(struct socket *so, struct mbuf **paddr, struct uio *uio,
    struct mbuf **controlp, int *flagsp)
{
	return soreceive_len(so, paddr, uio, controlp, flagsp, NULL);
}

/* ------------------------------------------------------------ addresses */

int
sosockaddr(struct socket *so, struct sockaddr_storage *ss, socklen_t *len)
{
	int error;

	memset(ss, 0, sizeof(*ss));
	if (so->so_proto->pr_sockaddr == NULL)
		return EOPNOTSUPP;
	solock(so);
	*len = sizeof(*ss);
	error = so->so_proto->pr_sockaddr(so, ss, len);
	if (!solocked(so))
		solock(so);
	sounlock(so);
	return error;
}

int
sopeeraddr(struct socket *so, struct sockaddr_storage *ss, socklen_t *len)
{
	int error;

	memset(ss, 0, sizeof(*ss));
	if (so->so_proto->pr_peeraddr == NULL)
		return EOPNOTSUPP;
	solock(so);
	if (!(so->so_state & SS_ISCONNECTED)) {
		error = ENOTCONN;
	} else {
		*len = sizeof(*ss);
		error = so->so_proto->pr_peeraddr(so, ss, len);
		if (!solocked(so))
			solock(so);
	}
	sounlock(so);
	return error;
}

/* --------------------------------------------------------------- options */

struct so_timeval {
	int64_t tv_sec;
	int64_t tv_usec;
};

static const struct {
	int name;
	short bit;
} so_flagopts[] = {
    {SO_REUSEADDR, SO_OPT_REUSEADDR},
    {SO_REUSEPORT, SO_OPT_REUSEPORT},
    {SO_KEEPALIVE, SO_OPT_KEEPALIVE},
    {SO_BROADCAST, SO_OPT_BROADCAST},
    {SO_DONTROUTE, SO_OPT_DONTROUTE},
    {SO_OOBINLINE, SO_OPT_OOBINLINE},
    {SO_PASSCRED, SO_OPT_PASSCRED},
    {SO_TIMESTAMP, SO_OPT_TIMESTAMP},
};

static int
so_flagbit(int name)
{
	for (size_t i = 0; i < nitems(so_flagopts); i++)
		if (so_flagopts[i].name == name)
			return so_flagopts[i].bit;
	return 0;
}

int
sosetopt(struct socket *so, int level, int name, const void *val, socklen_t len)
{
	struct so_timeval tv;
	struct linger l;
	int error = 0, bit, v = 0;
	struct sockbuf *sb;
	socklen_t plen = len;

	if (level != SOL_SOCKET) {
		if (so->so_proto->pr_ctloutput == NULL)
			return ENOPROTOOPT;
		solock(so);
		error = so->so_proto->pr_ctloutput(PRCO_SETOPT, so, level, name,
		    (void *)(uintptr_t)val, &plen);
		if (!solocked(so))
			solock(so);
		sounlock(so);
		return error;
	}
	switch (name) {
	case SO_LINGER:
		if (len < sizeof(l))
			return EINVAL;
		memcpy(&l, val, sizeof(l));
		break;
	case SO_RCVTIMEO:
	case SO_SNDTIMEO:
	case SO_RCVTIMEO_NEW:
	case SO_SNDTIMEO_NEW:
		if (len < sizeof(tv))
			return EINVAL;
		memcpy(&tv, val, sizeof(tv));
		if (tv.tv_usec < 0 || tv.tv_usec >= 1000000)
			return EDOM;
		break;
	default:
		if (len < sizeof(int))
			return EINVAL;
		memcpy(&v, val, sizeof(int));
		break;
	}
	if (name == SO_REUSEPORT && v != 0 && !so_isinet(so))
		return EOPNOTSUPP; /* as Linux: only for inet sockets */
	solock(so);
	if ((bit = so_flagbit(name)) != 0) {
		if (v)
			so->so_options |= (short)bit;
		else
			so->so_options &= (short)~bit;
		goto out;
	}
	switch (name) {
	case SO_DEBUG:
	case SO_PRIORITY:
	case SO_NO_CHECK:
		break; /* accepted, without effect */
	case SO_LINGER:
		if (l.l_onoff)
			so->so_options |= SO_OPT_LINGER;
		else
			so->so_options &= ~SO_OPT_LINGER;
		so->so_linger =
		    (short)(l.l_linger < 0 ? 0 : MIN(l.l_linger, 32767));
		break;
	case SO_SNDBUF:
	case SO_RCVBUF:
	case SO_SNDBUFFORCE:
	case SO_RCVBUFFORCE: {
		bool snd = name == SO_SNDBUF || name == SO_SNDBUFFORCE;
		bool force = name == SO_SNDBUFFORCE || name == SO_RCVBUFFORCE;
		uint64_t u = (uint32_t)v;

		if (force && v < 0)
			u = 0;
		if (!force && u > SO_BUF_MAX)
			u = SO_BUF_MAX;
		u *= 2;
		if (u > SB_MAX)
			u = SB_MAX;
		if (u < (snd ? SO_MIN_SNDBUF : SO_MIN_RCVBUF))
			u = snd ? SO_MIN_SNDBUF : SO_MIN_RCVBUF;
		sb = snd ? &so->so_snd : &so->so_rcv;
		error = sbreserve(sb, (size_t)u);
		sb->sb_flags &= ~SB_AUTOSIZE;
		if (snd)
			sowwakeup(so); /* more room may mean writable */
		break;
	}
	case SO_RCVLOWAT:
		so->so_rcvlowat =
		    v < 0 ? INT32_MAX : (v == 0 ? 1 : (uint64_t)v);
		sorwakeup(so);
		break;
	case SO_RCVTIMEO:
	case SO_SNDTIMEO:
	case SO_RCVTIMEO_NEW:
	case SO_SNDTIMEO_NEW: {
		uint64_t ns;

		sb = (name == SO_RCVTIMEO || name == SO_RCVTIMEO_NEW)
		    ? &so->so_rcv
		    : &so->so_snd;
		if (tv.tv_sec < 0)
			ns = 1;
		else if ((uint64_t)tv.tv_sec > 1000000000ULL)
			ns = 0; /* "forever" */
		else
			ns = (uint64_t)tv.tv_sec * NS_PER_SEC +
			    (uint64_t)tv.tv_usec * 1000;
		sb->sb_timeo_ns = ns;
		break;
	}
	case SO_TYPE:
	case SO_ERROR:
	case SO_ACCEPTCONN:
	case SO_PEERCRED:
	case SO_DOMAIN:
	case SO_PROTOCOL:
	case SO_SNDLOWAT:
	default:
		error = ENOPROTOOPT;
		break;
	}
out:
	sounlock(so);
	return error;
}

int
sogetopt(struct socket *so, int level, int name, void *val, socklen_t *len)
{
	union {
		int i;
		struct linger l;
		struct so_timeval tv;
		struct ucred uc;
	} u;
	socklen_t n = sizeof(int);
	int error = 0, bit;

	memset(&u, 0, sizeof(u));
	if (level != SOL_SOCKET) {
		if (so->so_proto->pr_ctloutput == NULL)
			return ENOPROTOOPT;
		solock(so);
		error = so->so_proto->pr_ctloutput(
		    PRCO_GETOPT, so, level, name, val, len);
		if (!solocked(so))
			solock(so);
		sounlock(so);
		return error;
	}
	solock(so);
	if ((bit = so_flagbit(name)) != 0) {
		u.i = (so->so_options & bit) != 0;
		goto out;
	}
	switch (name) {
	case SO_DEBUG:
	case SO_PRIORITY:
	case SO_NO_CHECK:
		u.i = 0;
		break;
	case SO_LINGER:
		u.l.l_onoff = (so->so_options & SO_OPT_LINGER) != 0;
		u.l.l_linger = so->so_linger;
		n = sizeof(u.l);
		break;
	case SO_SNDBUF:
		u.i = (int)so->so_snd.sb_hiwat;
		break;
	case SO_RCVBUF:
		u.i = (int)so->so_rcv.sb_hiwat;
		break;
	case SO_RCVLOWAT:
		u.i = (int)MIN(so->so_rcvlowat, (uint64_t)INT32_MAX);
		break;
	case SO_SNDLOWAT:
		u.i = 1;
		break;
	case SO_RCVTIMEO:
	case SO_SNDTIMEO:
	case SO_RCVTIMEO_NEW:
	case SO_SNDTIMEO_NEW: {
		uint64_t ns = (name == SO_RCVTIMEO || name == SO_RCVTIMEO_NEW)
		    ? so->so_rcv.sb_timeo_ns
		    : so->so_snd.sb_timeo_ns;

		u.tv.tv_sec = (int64_t)(ns / NS_PER_SEC);
		u.tv.tv_usec = (int64_t)(ns % NS_PER_SEC / 1000);
		n = sizeof(u.tv);
		break;
	}
	case SO_TYPE:
		u.i = so->so_type;
		break;
	case SO_DOMAIN:
		u.i = so_family(so);
		break;
	case SO_PROTOCOL:
		u.i = so->so_protocol;
		break;
	case SO_ERROR:
		u.i = so->so_error;
		so->so_error = 0;
		break;
	case SO_ACCEPTCONN:
		u.i = (so->so_options & SO_OPT_ACCEPTCONN) != 0;
		break;
	case SO_PEERCRED:
		n = sizeof(u.uc);
		if (so_family(so) != AF_UNIX || !unp_peercred(so, &u.uc)) {
			u.uc.pid = 0;
			u.uc.uid = (uint32_t)-1;
			u.uc.gid = (uint32_t)-1;
		}
		break;
	default:
		error = ENOPROTOOPT;
		break;
	}
out:
	sounlock(so);
	if (error == 0) {
		if (*len > n)
			*len = n;
		memcpy(val, &u, *len);
	}
	return error;
}

/* ------------------------------------------------------------------ poll */

int
sopoll(struct socket *so, int events)
{
	int revents = 0;
	bool listening;

	solock(so);
	listening = (so->so_options & SO_OPT_ACCEPTCONN) != 0;
	if (so->so_error)
		revents |= POLLERR;
	if (listening) {
		mutex_enter(&soq_lock);
		if (so->so_qlen > 0)
			revents |= POLLIN | POLLRDNORM;
		if (so->so_state & SS_CANTRCVMORE)
			revents |= POLLIN | POLLRDNORM | POLLHUP;
		revents &= events | POLLERR | POLLHUP;
		if (revents == 0)
			selrecord(&so->so_rcv.sb_sel);
		mutex_exit(&soq_lock);
		sounlock(so);
		return revents;
	}
	if ((so->so_state & (SS_CANTRCVMORE | SS_CANTSENDMORE)) ==
	        (SS_CANTRCVMORE | SS_CANTSENDMORE) ||
	    ((so->so_proto->pr_flags & PR_CONNREQUIRED) &&
	        !(so->so_state & (SS_ISCONNECTED | SS_ISCONNECTING))))
		revents |= POLLHUP;
	if (so->so_state & SS_CANTRCVMORE)
		revents |= POLLIN | POLLRDNORM | POLLRDHUP;
	if (so->so_type == SOCK_STREAM
	        ? so->so_rcv.sb_cc >= MAX(so->so_rcvlowat, 1) ||
	            (so->so_rcv.sb_mb != NULL &&
	                so->so_rcv.sb_mb->m_type == MT_CONTROL)
	        : so->so_rcv.sb_mb != NULL)
		revents |= POLLIN | POLLRDNORM;
	if (!((so->so_state & SS_ISCONNECTING) &&
	        !(so->so_state & SS_ISCONNECTED))) {
		if ((so->so_state & SS_CANTSENDMORE) ||
		    sbspace(&so->so_snd) >= (long)so->so_snd.sb_lowat)
			revents |= POLLOUT | POLLWRNORM;
	}
	revents &= events | POLLERR | POLLHUP;
	if (revents == 0) {
		selrecord(&so->so_rcv.sb_sel);
		selrecord(&so->so_snd.sb_sel);
	}
	sounlock(so);
	return revents;
}
