/*
 * uipc_usrreq.c — AF_UNIX sockets: SOCK_STREAM, SOCK_SEQPACKET and
 * SOCK_DGRAM, bound to paths in the file system (an S_IFSOCK node made
 * through the VFS) or to names in Linux's abstract namespace, socketpair,
 * descriptor passing (SCM_RIGHTS), SO_PEERCRED, and /proc/net/unix.
 *
 * A unpcb hangs off each socket.  Data goes straight into the receiving
 * socket's so_rcv.  Connected sockets hold a reference (sohold) to their
 * peer in unp_conn, so a peer's memory stays valid however the two close;
 * a peer that has gone is recognised by its so_pcb being NULL.  Only one
 * socket lock is held at a time: a sender adds what it sends to its own
 * so_snd.sb_cc (the bytes the peer has not read yet, which is what blocks
 * a stream sender, as Linux's sk_wmem_alloc does), lets go of its lock,
 * takes the peer's and appends; the reader's pr_rcvd gives the bytes back
 * the same way.
 *
 * Bound sockets are found by unp_lock'ed hash tables: by vnode (which the
 * pcb keeps referenced while bound) or by abstract name.  Lock order:
 * so_lock → unp_lock; so_lock → vnode locks.
 *
 * Files in flight (SCM_RIGHTS) are held by reference in control mbufs of
 * type SCM_RIGHTS_INFLIGHT until received (turned into descriptors) or
 * thrown away (released).  There is no garbage collector for cycles of
 * sockets that hold each other in flight.
 */
#include "net/net_impl.h"

#include "fs/procfs/procfs.h"
#include "vfs/vfs.h"

#define UNP_HASH     64
#define SCM_MAX_FD   253
#define UNP_PATH_OFF 2 /* offsetof(struct sockaddr_un, sun_path) */

/* [s] so_lock of unp_socket  [u] unp_lock  [I] immutable */
struct unpcb {
	struct socket *unp_socket;       /* [I] */
	struct socket *unp_conn;         /* [s] peer or target, held */
	struct sockaddr_un unp_addr;     /* [s,u] bound address */
	socklen_t unp_addrlen;           /* [s,u] 0: unbound */
	struct sockaddr_un unp_peeraddr; /* [s] the peer's, at connect */
	socklen_t unp_peeraddrlen;       /* [s] */
	struct vnode *unp_vnode;         /* [u] bound path's node, held */
	struct ucred unp_peercred;       /* [s] */
	bool unp_haspeercred;            /* [s] */
	struct ucred unp_listencred;     /* [s] at listen() */
	size_t unp_rcvcc;                /* [s] so_rcv.sb_cc accounted for */
	struct unpcb *unp_bindnext;      /* [u] hash chain when bound */
	struct unpcb *unp_next, **unp_prevp; /* [u] every unpcb */
};

static kmutex_t unp_lock;
static struct unpcb *unp_bound[UNP_HASH]; /* [u] */
static struct unpcb *unp_all;             /* [u] */
static unsigned unp_autobind_next;        /* [u] */

static int unp_proc_unix(void *arg, struct pfs_buf *b);

static inline struct unpcb *
sotounpcb(struct socket *so)
{
	return so->so_pcb;
}

static void
unp_mycred(struct ucred *uc)
{
	kauth_cred_t c = kauth_cred_get();

	uc->pid = curproc->p_pid;
	uc->uid = c->cr_euid;
	uc->gid = c->cr_egid;
	kauth_cred_free(c);
}

/* ------------------------------------------------------------ the tables */

static bool
unp_isabstract(const struct unpcb *unp)
{
	return unp->unp_addrlen > UNP_PATH_OFF &&
	    unp->unp_addr.sun_path[0] == '\0';
}

static unsigned
unp_hash_abstract(const char *name, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)name[i]) * 16777619u;
	return h % UNP_HASH;
}

static unsigned
unp_hash_vnode(const struct vnode *vp)
{
	return (unsigned)(((uintptr_t)vp >> 6) % UNP_HASH);
}

static unsigned
unp_hash_of(const struct unpcb *unp)
{
	if (unp->unp_vnode != NULL)
		return unp_hash_vnode(unp->unp_vnode);
	return unp_hash_abstract(
	    unp->unp_addr.sun_path, unp->unp_addrlen - UNP_PATH_OFF);
}

/* The socket bound to vp or to an abstract name, held; holds unp_lock. */
static struct socket *
unp_find_locked(const struct vnode *vp, const char *name, size_t len, bool hold)
{
	struct unpcb *unp;
	unsigned h =
	    vp != NULL ? unp_hash_vnode(vp) : unp_hash_abstract(name, len);

	KASSERT(mutex_owned(&unp_lock));
	for (unp = unp_bound[h]; unp != NULL; unp = unp->unp_bindnext) {
		if (vp != NULL
		        ? unp->unp_vnode == vp
		        : (unp->unp_vnode == NULL &&
		              unp->unp_addrlen - UNP_PATH_OFF == len &&
		              memcmp(unp->unp_addr.sun_path, name, len) == 0)) {
			if (hold)
				sohold(unp->unp_socket);
			return unp->unp_socket;
		}
	}
	return NULL;
}

static void
unp_unbind_locked(struct unpcb *unp)
{
	struct unpcb **pp;

	KASSERT(mutex_owned(&unp_lock));
	if (unp->unp_addrlen == 0)
		return;
	for (pp = &unp_bound[unp_hash_of(unp)]; *pp != NULL;
	     pp = &(*pp)->unp_bindnext)
		if (*pp == unp) {
			*pp = unp->unp_bindnext;
			break;
		}
	unp->unp_bindnext = NULL;
}

/* ---------------------------------------------------------- attach/detach */

static int
unp_attach(struct socket *so, int proto)
{
	struct unpcb *unp;

	KASSERT(solocked(so));
	if (proto != 0 && proto != PF_UNIX)
		return EPROTONOSUPPORT;
	if ((unp = kmem_zalloc(sizeof(*unp), KM_SLEEP)) == NULL)
		return ENOBUFS;
	unp->unp_socket = so;
	so->so_pcb = unp;
	mutex_enter(&unp_lock);
	unp->unp_next = unp_all;
	if (unp_all != NULL)
		unp_all->unp_prevp = &unp->unp_next;
	unp->unp_prevp = &unp_all;
	unp_all = unp;
	mutex_exit(&unp_lock);
	return 0;
}

/*
 * Lets go of so's peer.  For connected stream and seqpacket sockets the
 * peer learns that no more comes (and ECONNRESET if so dies with unread
 * data).  so is locked on entry and on return; the lock is dropped in
 * between, so the caller rechecks what it needs.
 */
static void
unp_disconnect(struct socket *so, bool dying, bool reset)
{
	struct unpcb *unp = sotounpcb(so);
	struct socket *peer;
	bool unread;

	KASSERT(solocked(so));
	if (unp == NULL || (peer = unp->unp_conn) == NULL)
		return;
	unp->unp_conn = NULL;
	unread = so->so_rcv.sb_cc > 0;
	if (so->so_type == SOCK_DGRAM) {
		so->so_state &= ~SS_ISCONNECTED;
		sounlock(so);
		sorele(peer);
		solock(so);
		return;
	}
	sounlock(so);
	solock(peer);
	if (peer->so_pcb != NULL && sotounpcb(peer)->unp_conn == so && dying) {
		if (unread || reset)
			peer->so_error = ECONNRESET;
		peer->so_state |= SS_CANTRCVMORE | SS_CANTSENDMORE;
		cv_broadcast(&peer->so_cv);
		sorwakeup(peer);
		sowwakeup(peer);
	}
	sorele_locked(peer);
	solock(so);
}

static void
unp_free(struct socket *so, bool reset)
{
	struct unpcb *unp = sotounpcb(so);
	struct vnode *vp;

	KASSERT(solocked(so));
	unp_disconnect(so, true, reset);
	mutex_enter(&unp_lock);
	unp_unbind_locked(unp);
	vp = unp->unp_vnode;
	unp->unp_vnode = NULL;
	*unp->unp_prevp = unp->unp_next;
	if (unp->unp_next != NULL)
		unp->unp_next->unp_prevp = unp->unp_prevp;
	mutex_exit(&unp_lock);
	/* Whoever waits for room in so_rcv (datagram senders) gives up. */
	so->so_state |= SS_CANTRCVMORE;
	cv_broadcast(&so->so_rcv.sb_cv);
	so->so_pcb = NULL;
	{
		/* Files in flight to us go now, not when the socket does. */
		struct mbuf *r = sbdetach_all(&so->so_rcv);

		if (r != NULL) {
			sounlock(so);
			sb_freerecords(r);
			solock(so);
		}
	}
	if (unp->unp_conn != NULL) {
		/* A peer connected again while the lock was dropped. */
		struct socket *peer = unp->unp_conn;

		sounlock(so);
		sorele(peer);
		solock(so);
	}
	kmem_free(unp, sizeof(*unp));
	if (vp != NULL) {
		sounlock(so);
		vrele(vp);
		solock(so);
	}
}

static void
unp_detach(struct socket *so)
{
	unp_free(so, false);
}

static void
unp_abort(struct socket *so)
{
	unp_free(so, true);
}

/* ----------------------------------------------------------------- names */

/*
 * Checks a sockaddr_un from the caller: *pathp gets the NUL-terminated
 * path (file name) or NULL for an abstract name at *namep of *lenp bytes.
 */
static int
unp_parse(const struct sockaddr *nam, socklen_t len, char *path,
    const char **namep, size_t *lenp, bool *abstractp)
{
	const struct sockaddr_un *sun =
	    (const struct sockaddr_un *)(const void *)nam;
	size_t n;

	if (len < UNP_PATH_OFF || len > sizeof(struct sockaddr_un))
		return EINVAL;
	if (nam->sa_family != AF_UNIX)
		return EINVAL;
	n = len - UNP_PATH_OFF;
	if (n > 0 && sun->sun_path[0] == '\0') {
		*abstractp = true;
		*namep = sun->sun_path;
		*lenp = n;
		return 0;
	}
	*abstractp = false;
	n = strnlen(sun->sun_path, n);
	if (n == 0)
		return ENOENT;
	memcpy(path, sun->sun_path, n);
	path[n] = '\0';
	*namep = path;
	*lenp = n;
	return 0;
}

static mode_t
unp_umask(void)
{
	mode_t m;

	mutex_enter(&curproc->p_lock);
	m = curproc->p_umask;
	mutex_exit(&curproc->p_lock);
	return m;
}

/* Makes the socket node of path; returns it referenced. */
static int
unp_mknode(char *pbuf, struct vnode **vpp)
{
	struct nameidata nd;
	struct vnode *dvp, *vp = NULL;
	struct vattr va;
	int error;

	memset(&nd, 0, sizeof(nd));
	nd.nd_pbuf = pbuf;
	nd.nd_dirfd = AT_FDCWD;
	nd.nd_flags = NI_PARENT | NI_CREATE;
	nd.nd_cred = kauth_cred_get();
	if ((error = namei(&nd)) != 0)
		goto out;
	dvp = nd.nd_dvp;
	if (nd.nd_vp != NULL) {
		error = EADDRINUSE;
		goto done;
	}
	if (nd.nd_trailing_slash) {
		error = ENOENT;
		goto done;
	}
	if (dvp->v_mount != NULL && vfs_isrdonly(dvp->v_mount)) {
		error = EROFS;
		goto done;
	}
	if ((error = vn_access(dvp, VWRITE | VEXEC, nd.nd_cred)) != 0)
		goto done;
	vattr_null(&va);
	va.va_type = VSOCK;
	va.va_mode = 0777 & ~unp_umask();
	if ((error = vn_create_attr(dvp, &va, nd.nd_cred)) != 0)
		goto done;
	vn_lock(dvp, RW_WRITER);
	if (dvp->v_data == NULL)
		error = ENOENT;
	else
		error = dvp->v_op->vop_create(dvp, &nd.nd_cn, &va, &vp);
	cache_remove(dvp, nd.nd_cn.cn_nameptr, nd.nd_cn.cn_namelen);
	vn_unlock(dvp);
	if (error == EEXIST)
		error = EADDRINUSE;
done:
	namei_done(&nd);
out:
	kauth_cred_free(nd.nd_cred);
	if (error == 0)
		*vpp = vp;
	return error;
}

/* Looks a socket node up by path; returns it referenced. */
static int
unp_lookup_path(char *pbuf, struct vnode **vpp)
{
	struct nameidata nd;
	int error;

	memset(&nd, 0, sizeof(nd));
	nd.nd_pbuf = pbuf;
	nd.nd_dirfd = AT_FDCWD;
	nd.nd_flags = NI_FOLLOW;
	nd.nd_cred = kauth_cred_get();
	error = namei(&nd);
	if (error == 0) {
		if (nd.nd_vp->v_type != VSOCK)
			error = ECONNREFUSED;
		else
			error = vn_access(nd.nd_vp, VWRITE, nd.nd_cred);
		if (error == 0) {
			*vpp = nd.nd_vp;
			nd.nd_vp = NULL;
		}
		namei_done(&nd);
	}
	kauth_cred_free(nd.nd_cred);
	return error;
}

static bool
unp_path_exists(char *pbuf)
{
	struct nameidata nd;
	bool exists;

	memset(&nd, 0, sizeof(nd));
	nd.nd_pbuf = pbuf;
	nd.nd_dirfd = AT_FDCWD;
	nd.nd_cred = kauth_cred_get();
	exists = namei(&nd) == 0;
	if (exists)
		namei_done(&nd);
	kauth_cred_free(nd.nd_cred);
	return exists;
}

static int
unp_bind(struct socket *so, const struct sockaddr *nam, socklen_t len)
{
	struct unpcb *unp = sotounpcb(so);
	struct vnode *vp = NULL;
	const char *name;
	char *pbuf = NULL;
	size_t nlen;
	bool abstract;
	int error;

	KASSERT(solocked(so));
	if (unp->unp_addrlen != 0) {
		/* As Linux: a path in use is reported before "bound". */
		if ((pbuf = kmem_alloc(PATH_MAX, KM_SLEEP)) == NULL)
			return ENOMEM;
		error = unp_parse(nam, len, pbuf, &name, &nlen, &abstract);
		if (error == 0 && !abstract && unp_path_exists(pbuf))
			error = EADDRINUSE;
		else if (error == 0)
			error = EINVAL;
		kmem_free(pbuf, PATH_MAX);
		return error;
	}
	if (len == UNP_PATH_OFF && nam->sa_family == AF_UNIX) {
		/* Autobind: an abstract name of five hex digits. */
		char auto_name[6];

		mutex_enter(&unp_lock);
		for (;;) {
			snprintf(auto_name, sizeof(auto_name), "%05x",
			    unp_autobind_next++ & 0xfffff);
			unp->unp_addr.sun_family = AF_UNIX;
			unp->unp_addr.sun_path[0] = '\0';
			memcpy(unp->unp_addr.sun_path + 1, auto_name, 5);
			if (unp_find_locked(
			        NULL, unp->unp_addr.sun_path, 6, false) == NULL)
				break;
		}
		unp->unp_addrlen = UNP_PATH_OFF + 6;
		unp->unp_bindnext = unp_bound[unp_hash_of(unp)];
		unp_bound[unp_hash_of(unp)] = unp;
		mutex_exit(&unp_lock);
		return 0;
	}
	if ((pbuf = kmem_alloc(PATH_MAX, KM_SLEEP)) == NULL)
		return ENOMEM;
	error = unp_parse(nam, len, pbuf, &name, &nlen, &abstract);
	if (error)
		goto out;
	if (!abstract && (error = unp_mknode(pbuf, &vp)) != 0)
		goto out;
	mutex_enter(&unp_lock);
	if (abstract && unp_find_locked(NULL, name, nlen, false) != NULL) {
		mutex_exit(&unp_lock);
		error = EADDRINUSE;
		goto out;
	}
	memset(&unp->unp_addr, 0, sizeof(unp->unp_addr));
	unp->unp_addr.sun_family = AF_UNIX;
	memcpy(unp->unp_addr.sun_path, name, nlen);
	unp->unp_addrlen =
	    (socklen_t)(UNP_PATH_OFF + nlen + (abstract ? 0 : 1));
	unp->unp_vnode = vp;
	unp->unp_bindnext = unp_bound[unp_hash_of(unp)];
	unp_bound[unp_hash_of(unp)] = unp;
	mutex_exit(&unp_lock);
	vp = NULL;
out:
	if (vp != NULL)
		vrele(vp);
	if (pbuf != NULL)
		kmem_free(pbuf, PATH_MAX);
	return error;
}

/* The socket bound to nam, held. */
static int
unp_lookup(const struct sockaddr *nam, socklen_t len, struct socket **sop)
{
	struct vnode *vp = NULL;
	struct socket *so;
	const char *name;
	size_t nlen;
	bool abstract;
	char *pbuf;
	int error;

	if ((pbuf = kmem_alloc(PATH_MAX, KM_SLEEP)) == NULL)
		return ENOMEM;
	error = unp_parse(nam, len, pbuf, &name, &nlen, &abstract);
	if (error == 0 && !abstract)
		error = unp_lookup_path(pbuf, &vp);
	if (error == 0) {
		mutex_enter(&unp_lock);
		so = unp_find_locked(vp, name, nlen, true);
		mutex_exit(&unp_lock);
		if (so == NULL)
			error = ECONNREFUSED;
		else
			*sop = so;
	}
	if (vp != NULL)
		vrele(vp);
	kmem_free(pbuf, PATH_MAX);
	return error;
}

/* ------------------------------------------------------------ connecting */

static int
unp_listen(struct socket *so, int backlog __unused)
{
	struct unpcb *unp = sotounpcb(so);

	if (so->so_type == SOCK_DGRAM)
		return EOPNOTSUPP;
	if (unp->unp_addrlen == 0)
		return EINVAL;
	unp_mycred(&unp->unp_listencred);
	return 0;
}

static void
unp_setpeer(struct unpcb *unp, struct socket *peer, const struct unpcb *punp)
{
	sohold(peer);
	unp->unp_conn = peer;
	unp->unp_peeraddr = punp->unp_addr;
	unp->unp_peeraddrlen = punp->unp_addrlen;
}

/* Locks head, dropping so's lock meanwhile (the caller rechecks so). */
static int
unp_connect_stream(struct socket *so, struct socket *head)
{
	struct unpcb *unp = sotounpcb(so), *hunp, *cunp;
	struct socket *child = NULL;
	uint64_t deadline = 0;
	struct ucred mine;
	int error = 0;

	unp_mycred(&mine);
	if (so->so_snd.sb_timeo_ns)
		deadline = getnanouptime() + so->so_snd.sb_timeo_ns;
	for (;;) {
		sounlock(so);
		solock(head);
		hunp = sotounpcb(head);
		if (hunp == NULL || !(head->so_options & SO_OPT_ACCEPTCONN)) {
			error = ECONNREFUSED;
		} else if (head->so_type != so->so_type) {
			error = EPROTOTYPE;
		} else {
			child = sonewconn(head, true);
			if (child == NULL && (so->so_state & SS_NBIO))
				error = EAGAIN;
		}
		if (child != NULL || error)
			break;
		sounlock(head);
		if (deadline != 0 && getnanouptime() >= deadline) {
			solock(so);
			return EAGAIN;
		}
		kpause_ns(1000000); /* the backlog is full: wait for accept */
		solock(so);
		if (so->so_state & (SS_ISCONNECTED | SS_ISCONNECTING))
			return EISCONN;
	}
	if (error) {
		sounlock(head);
		solock(so);
		return error;
	}
	/* head → child is the documented order; so is new to both. */
	solock(child);
	solock(so);
	if (so->so_pcb == NULL || unp->unp_conn != NULL ||
	    (so->so_state & (SS_ISCONNECTED | SS_ISCONNECTING))) {
		/* Someone else connected so meanwhile: drop the child. */
		sounlock(so);
		sohold(child);
		soabort(child);
		sorele_locked(child);
		sounlock(head);
		solock(so);
		return EISCONN;
	}
	cunp = sotounpcb(child);
	cunp->unp_addr = hunp->unp_addr;
	cunp->unp_addrlen = hunp->unp_addrlen;
	unp_setpeer(cunp, so, unp);
	cunp->unp_peercred = mine;
	cunp->unp_haspeercred = true;
	unp_setpeer(unp, child, cunp);
	unp->unp_peercred = hunp->unp_listencred;
	unp->unp_haspeercred = true;
	/* The child is on head's so_q with SS_ISCONNECTED already. */
	sounlock(child);
	sounlock(head);
	soisconnected(so);
	return 0;
}

static int
unp_connect(struct socket *so, const struct sockaddr *nam, socklen_t len)
{
	struct unpcb *unp = sotounpcb(so);
	struct socket *target;
	int error;

	KASSERT(solocked(so));
	if ((error = unp_lookup(nam, len, &target)) != 0)
		return error;
	if (so->so_type != SOCK_DGRAM) {
		error = unp_connect_stream(so, target);
		sorele(target);
		return error;
	}
	if (target->so_type != SOCK_DGRAM) {
		sorele(target);
		return EPROTOTYPE;
	}
	/* Datagram: remember the target (held), drop the old one. */
	unp_disconnect(so, false, false);
	if (so->so_pcb == NULL) {
		sorele(target);
		return ECONNREFUSED;
	}
	unp->unp_conn = target; /* the lookup's hold is the pcb's */
	if (target != so) {
		sounlock(so);
		solock(target);
	}
	if (target->so_pcb != NULL) {
		unp->unp_peeraddr = sotounpcb(target)->unp_addr;
		unp->unp_peeraddrlen = sotounpcb(target)->unp_addrlen;
	} else {
		error = ECONNREFUSED;
	}
	if (target != so) {
		sounlock(target);
		solock(so);
	}
	if (error == 0 && unp->unp_conn == target) {
		so->so_state |= SS_ISCONNECTED;
		unp_mycred(&unp->unp_peercred);
		unp->unp_haspeercred = false;
	} else if (unp->unp_conn == target) {
		unp->unp_conn = NULL;
		sounlock(so);
		sorele(target);
		solock(so);
	}
	return error;
}

static int
unp_connect2(struct socket *so1, struct socket *so2)
{
	struct unpcb *u1 = sotounpcb(so1), *u2 = sotounpcb(so2);
	struct ucred mine;

	KASSERT(solocked(so1) && solocked(so2));
	if (so1->so_type != so2->so_type)
		return EPROTOTYPE;
	unp_mycred(&mine);
	unp_setpeer(u1, so2, u2);
	unp_setpeer(u2, so1, u1);
	u1->unp_peercred = u2->unp_peercred = mine;
	u1->unp_haspeercred = u2->unp_haspeercred = true;
	if (so1->so_type == SOCK_DGRAM) {
		so1->so_state |= SS_ISCONNECTED;
		so2->so_state |= SS_ISCONNECTED;
	} else {
		soisconnected(so1);
		soisconnected(so2);
	}
	return 0;
}

static int
unp_disconnect_req(struct socket *so)
{
	unp_disconnect(so, false, false);
	return 0;
}

/* The peer may not send more to so: SHUT_RD of so, SHUT_WR of the peer. */
static void
unp_peer_shut(struct socket *so, int state)
{
	struct unpcb *unp = sotounpcb(so);
	struct socket *peer;

	KASSERT(solocked(so));
	if (so->so_type == SOCK_DGRAM || unp == NULL ||
	    (peer = unp->unp_conn) == NULL)
		return;
	sohold(peer);
	sounlock(so);
	solock(peer);
	if (peer->so_pcb != NULL && sotounpcb(peer)->unp_conn == so) {
		if (state == SS_CANTRCVMORE)
			socantrcvmore(peer);
		else
			socantsendmore(peer);
	}
	sorele_locked(peer);
	solock(so);
}

static int
unp_shutdown(struct socket *so)
{
	unp_peer_shut(so, SS_CANTRCVMORE);
	return 0;
}

void
unp_shutdown_rd(struct socket *so)
{
	unp_peer_shut(so, SS_CANTSENDMORE);
}

/* ---------------------------------------------------------------- sending */

/* Builds [control...][data...] as one chain. */
static struct mbuf *
unp_chain(struct mbuf *control, struct mbuf *m)
{
	struct mbuf *n;

	if (control == NULL)
		return m;
	for (n = control; n->m_next != NULL; n = n->m_next)
		;
	n->m_next = m;
	return control;
}

static int
unp_send_dgram(struct socket *so, struct mbuf *m, const struct sockaddr *nam,
    socklen_t namlen, struct mbuf *control, int flags)
{
	struct unpcb *unp = sotounpcb(so);
	struct socket *target = NULL;
	struct sockaddr_un from;
	socklen_t fromlen = unp->unp_addrlen;
	bool nbio = (so->so_state & SS_NBIO) || (flags & MSG_DONTWAIT);
	uint64_t timeo = so->so_snd.sb_timeo_ns;
	int error = 0, len = m_length(m);

	from = unp->unp_addr;
	if (nam != NULL) {
		if ((error = unp_lookup(nam, namlen, &target)) != 0)
			goto drop;
	} else if ((target = unp->unp_conn) != NULL) {
		sohold(target);
	} else {
		error = ENOTCONN;
		goto drop;
	}
	if (target->so_type != SOCK_DGRAM) {
		error = EPROTOTYPE;
		goto drop;
	}
	if (target != so) {
		sounlock(so);
		solock(target);
	}
	for (;;) {
		struct unpcb *tunp = sotounpcb(target);

		if (tunp == NULL || (target->so_state & SS_CANTRCVMORE)) {
			error = ECONNREFUSED;
			break;
		}
		if (tunp->unp_conn != NULL && tunp->unp_conn != so) {
			error = EPERM;
			break;
		}
		if (sbspace(&target->so_rcv) >= len ||
		    target->so_rcv.sb_mb == NULL) {
			if (!sbappendaddr(&target->so_rcv,
			        fromlen ? (struct sockaddr *)&from : NULL,
			        fromlen, m, control)) {
				error = ENOBUFS;
				break;
			}
			m = control = NULL;
			sorwakeup(target);
			break;
		}
		if (nbio || target == so) {
			error = EAGAIN;
			break;
		}
		if (timeo != 0) {
			if (cv_timedwait(&target->so_rcv.sb_cv,
			        &target->so_lock, timeo) == ETIMEDOUT) {
				error = EAGAIN;
				break;
			}
		} else {
			cv_wait(&target->so_rcv.sb_cv, &target->so_lock);
		}
	}
	if (target != so) {
		sounlock(target);
		solock(so);
	}
	if (error == ECONNREFUSED && nam == NULL && unp->unp_conn == target) {
		/* The connected peer is gone: forget it, as Linux does. */
		unp->unp_conn = NULL;
		so->so_state &= ~SS_ISCONNECTED;
		sounlock(so);
		sorele(target);
		solock(so);
	}
drop:
	if (target == so) {
		atomic_dec(&so->so_refcnt);
	} else if (target != NULL) {
		sounlock(so);
		sorele(target);
		solock(so);
	}
	if (m != NULL || control != NULL) {
		sounlock(so);
		m_freem(m);
		sb_freechain(control);
		solock(so);
	}
	return error;
}

static int
unp_send(struct socket *so, struct mbuf *m, const struct sockaddr *nam,
    socklen_t namlen, struct mbuf *control, int flags)
{
	struct unpcb *unp = sotounpcb(so);
	struct socket *peer;
	struct unpcb *punp;
	int error = 0;
	size_t len;

	KASSERT(solocked(so));
	if (flags & MSG_OOB) {
		error = EOPNOTSUPP;
		goto drop;
	}
	if (so->so_type == SOCK_DGRAM)
		return unp_send_dgram(so, m, nam, namlen, control, flags);
	if (nam != NULL && (so->so_state & SS_ISCONNECTED)) {
		error = EISCONN;
		goto drop;
	}
	if ((peer = unp->unp_conn) == NULL) {
		error = (so->so_state & SS_ISCONNECTED) ? EPIPE : ENOTCONN;
		goto drop;
	}
	len = (size_t)m_length(m);
	sohold(peer);
	so->so_snd.sb_cc += len; /* the peer's unread bytes, ours to wait on */
	sounlock(so);
	solock(peer);
	punp = sotounpcb(peer);
	if (punp == NULL || punp->unp_conn != so ||
	    (peer->so_state & SS_CANTRCVMORE)) {
		error = EPIPE;
	} else {
		if (so->so_type == SOCK_STREAM && control == NULL)
			sbappendstream(&peer->so_rcv, m);
		else
			sbappendrecord(&peer->so_rcv, unp_chain(control, m));
		m = control = NULL;
		punp->unp_rcvcc += len;
		sorwakeup(peer);
	}
	sorele_locked(peer);
	solock(so);
	if (error) {
		so->so_snd.sb_cc -= MIN(len, so->so_snd.sb_cc);
		sowwakeup(so);
	}
drop:
	if (m != NULL || control != NULL) {
		sounlock(so);
		m_freem(m);
		sb_freechain(control);
		solock(so);
	}
	return error;
}

/* The reader took data: the writer gets its room back. */
static void
unp_rcvd(struct socket *so, int flags __unused)
{
	struct unpcb *unp = sotounpcb(so);
	struct socket *peer;
	size_t taken;

	KASSERT(solocked(so));
	if (so->so_type == SOCK_DGRAM) {
		/* Datagram senders wait on our so_rcv for room. */
		cv_broadcast(&so->so_rcv.sb_cv);
		return;
	}
	taken = unp->unp_rcvcc - MIN(unp->unp_rcvcc, so->so_rcv.sb_cc);
	unp->unp_rcvcc = so->so_rcv.sb_cc;
	if (taken == 0 || (peer = unp->unp_conn) == NULL)
		return;
	sohold(peer);
	sounlock(so);
	solock(peer);
	peer->so_snd.sb_cc -= MIN(taken, peer->so_snd.sb_cc);
	sowwakeup(peer);
	sorele_locked(peer);
	solock(so);
}

/* ------------------------------------------------------------- addresses */

static int
unp_sockaddr(struct socket *so, struct sockaddr_storage *ss, socklen_t *len)
{
	struct unpcb *unp = sotounpcb(so);

	if (unp == NULL)
		return EINVAL;
	memset(ss, 0, sizeof(*ss));
	ss->ss_family = AF_UNIX;
	if (unp->unp_addrlen == 0) {
		*len = UNP_PATH_OFF;
		return 0;
	}
	memcpy(ss, &unp->unp_addr, unp->unp_addrlen);
	*len = unp->unp_addrlen;
	return 0;
}

static int
unp_peeraddr(struct socket *so, struct sockaddr_storage *ss, socklen_t *len)
{
	struct unpcb *unp = sotounpcb(so);

	if (unp == NULL)
		return ENOTCONN;
	memset(ss, 0, sizeof(*ss));
	ss->ss_family = AF_UNIX;
	if (unp->unp_peeraddrlen == 0) {
		*len = UNP_PATH_OFF;
		return 0;
	}
	memcpy(ss, &unp->unp_peeraddr, unp->unp_peeraddrlen);
	*len = unp->unp_peeraddrlen;
	return 0;
}

bool
unp_peercred(struct socket *so, struct ucred *uc)
{
	struct unpcb *unp = sotounpcb(so);

	KASSERT(solocked(so));
	if (unp == NULL || !unp->unp_haspeercred)
		return false;
	*uc = unp->unp_peercred;
	return true;
}

/* ---------------------------------------------------------------- rights */

static struct file **
unp_files(struct mbuf *m, int *np)
{
	struct cmsghdr *cm = mtod(m, struct cmsghdr *);

	*np = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(struct file *));
	return (struct file **)(void *)CMSG_DATA(cm);
}

static bool
unp_isinflight(struct mbuf *m)
{
	const struct cmsghdr *cm = mtod(m, const struct cmsghdr *);

	return m->m_type == MT_CONTROL &&
	    m->m_len >= (int)sizeof(struct cmsghdr) &&
	    cm->cmsg_level == SOL_SOCKET &&
	    cm->cmsg_type == SCM_RIGHTS_INFLIGHT;
}

void
unp_dispose(struct mbuf *m)
{
	struct file **fps;
	int n;

	if (!unp_isinflight(m))
		return;
	fps = unp_files(m, &n);
	for (int i = 0; i < n; i++)
		(void)file_release(fps[i]);
	mtod(m, struct cmsghdr *)->cmsg_type = -1;
}

void
unp_rights_hold(struct mbuf *m)
{
	struct file **fps;
	int n;

	if (!unp_isinflight(m))
		return;
	fps = unp_files(m, &n);
	for (int i = 0; i < n; i++)
		file_hold(fps[i]);
}

int
unp_internalize(struct mbuf *m)
{
	struct mbuf *n;
	int error = 0;

	for (n = m; n != NULL; n = n->m_next) {
		struct cmsghdr *cm = mtod(n, struct cmsghdr *);
		int nfds, fds[SCM_MAX_FD];
		struct file **fps;
		size_t newlen;
		char *tmp;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		if (cm->cmsg_len < CMSG_LEN(0)) {
			error = EINVAL;
			break;
		}
		nfds = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		if (nfds > SCM_MAX_FD) {
			error = EINVAL;
			break;
		}
		memcpy(fds, CMSG_DATA(cm), sizeof(int) * (size_t)nfds);
		newlen = CMSG_LEN(sizeof(struct file *) * (size_t)nfds);
		if ((int)newlen > M_BUFSIZE(n)) {
			/* Grow the storage: an mbuf's own or a cluster. */
			struct mbuf *c = m_getcl(M_WAIT, MT_CONTROL, 0, newlen);

			if (c == NULL) {
				error = ENOBUFS;
				break;
			}
			/* Swap storage: n keeps its place in the chain. */
			struct m_ext ext = c->m_ext;

			c->m_flags &= ~M_EXT;
			c->m_data = c->m_dat;
			m_free(c);
			if (n->m_flags & M_EXT) {
				/* Never: control mbufs over MLEN hold ints. */
			}
			n->m_ext = ext;
			n->m_flags |= M_EXT;
			n->m_data = ext.ext_buf;
		}
		tmp = mtod(n, char *);
		cm = (struct cmsghdr *)(void *)tmp;
		cm->cmsg_len = newlen;
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = -1; /* not in flight until all are held */
		n->m_len = (int)newlen;
		fps = (struct file **)(void *)CMSG_DATA(cm);
		for (int i = 0; i < nfds; i++) {
			if ((error = fd_getfile(fds[i], &fps[i])) != 0) {
				while (i-- > 0)
					(void)file_release(fps[i]);
				break;
			}
		}
		if (error)
			break;
		cm->cmsg_type = SCM_RIGHTS_INFLIGHT;
	}
	if (error)
		for (n = m; n != NULL; n = n->m_next)
			unp_dispose(n);
	return error;
}

int
unp_externalize(struct mbuf *m, void *buf, size_t space, size_t *usedp,
    int *flagsp, bool cloexec)
{
	struct filedesc *fdp = atomic_load_acquire(&curproc->p_fd);
	struct cmsghdr *out = buf;
	struct file **fps;
	int n, fit, i, fd, error = 0;

	*usedp = 0;
	if (!unp_isinflight(m))
		return 0;
	fps = unp_files(m, &n);
	if (buf == NULL || space < CMSG_LEN(0))
		fit = 0;
	else
		fit = (int)MIN((space - CMSG_LEN(0)) / sizeof(int), (size_t)n);
	if (fit < n)
		*flagsp |= MSG_CTRUNC;
	for (i = 0; i < fit; i++) {
		if (fd_install(fdp, fps[i], 0, cloexec ? FD_CLOEXEC : 0, &fd) !=
		    0) {
			*flagsp |= MSG_CTRUNC;
			break;
		}
		((int *)(void *)CMSG_DATA(out))[i] = fd;
	}
	if (i > 0 || fit > 0) {
		out->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)i);
		out->cmsg_level = SOL_SOCKET;
		out->cmsg_type = SCM_RIGHTS;
		*usedp = MIN(CMSG_SPACE(sizeof(int) * (size_t)i), space);
	}
	/* Every in-flight reference goes: installed ones are the table's. */
	for (int k = 0; k < n; k++)
		(void)file_release(fps[k]);
	mtod(m, struct cmsghdr *)->cmsg_type = -1;
	return error;
}

/* ------------------------------------------------------------ /proc/net */

static int
unp_proc_unix(void *arg __unused, struct pfs_buf *b)
{
	struct unpcb *unp;

	pfs_printf(
	    b, "Num       RefCount Protocol Flags    Type St Inode Path\n");
	mutex_enter(&unp_lock);
	for (unp = unp_all; unp != NULL; unp = unp->unp_next) {
		struct socket *so = unp->unp_socket;
		int st = (so->so_state & SS_ISCONNECTED) ? 3 : 1;

		pfs_printf(b, "%016llx: %08X %08X %08X %04X %02X %5llu", 0ULL,
		    2u, 0u,
		    (so->so_options & SO_OPT_ACCEPTCONN) ? 0x10000u : 0u,
		    (unsigned)so->so_type, st, (unsigned long long)so->so_ino);
		if (unp->unp_addrlen > UNP_PATH_OFF) {
			size_t len = unp->unp_addrlen - UNP_PATH_OFF;
			char name[sizeof(unp->unp_addr.sun_path) + 1];

			if (unp_isabstract(unp)) {
				memcpy(name, unp->unp_addr.sun_path, len);
				for (size_t i = 0; i < len; i++)
					if (name[i] == '\0')
						name[i] = '@';
				name[len] = '\0';
			} else {
				strlcpy(
				    name, unp->unp_addr.sun_path, sizeof(name));
			}
			pfs_printf(b, " %s", name);
		}
		pfs_printf(b, "\n");
	}
	mutex_exit(&unp_lock);
	return 0;
}

/* ----------------------------------------------------------------- domain */

#define UNP_PROTO(type, flags)                                                 \
	{                                                                      \
		.pr_type = (type), .pr_domain = &unixdomain, .pr_protocol = 0, \
		.pr_flags = (flags), .pr_attach = unp_attach,                  \
		.pr_detach = unp_detach, .pr_bind = unp_bind,                  \
		.pr_listen = unp_listen, .pr_connect = unp_connect,            \
		.pr_connect2 = unp_connect2,                                   \
		.pr_disconnect = unp_disconnect_req,                           \
		.pr_shutdown = unp_shutdown, .pr_abort = unp_abort,            \
		.pr_send = unp_send, .pr_rcvd = unp_rcvd,                      \
		.pr_sockaddr = unp_sockaddr, .pr_peeraddr = unp_peeraddr,      \
	}

static struct domain unixdomain;
static const struct protosw unixsw[] = {
    UNP_PROTO(
        SOCK_STREAM, PR_CONNREQUIRED | PR_WANTRCVD | PR_RIGHTS | PR_LISTEN),
    UNP_PROTO(SOCK_DGRAM, PR_ATOMIC | PR_ADDR | PR_WANTRCVD | PR_RIGHTS),
    UNP_PROTO(SOCK_SEQPACKET,
        PR_ATOMIC | PR_CONNREQUIRED | PR_WANTRCVD | PR_RIGHTS | PR_LISTEN),
};
static struct domain unixdomain = {
    .dom_family = AF_UNIX,
    .dom_name = "unix",
    .dom_protosw = unixsw,
    .dom_nprotosw = (int)nitems(unixsw),
};

RUMP_COMPONENT(RUMP_COMPONENT_NET)
{
	mutex_init(&unp_lock, MUTEX_DEFAULT);
	domain_attach(&unixdomain);
	(void)procfs_register("net/unix", unp_proc_unix, NULL, NULL);
}
