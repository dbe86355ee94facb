/*
 * uipc_syscalls.c — the socket system calls (component "net" of
 * syscalls.master): socket, socketpair, bind, listen, accept(4), connect,
 * shutdown, get/setsockopt, getsockname/getpeername, and the transfers
 * sendto/recvfrom, sendmsg/recvmsg, sendmmsg/recvmmsg.
 *
 * Everything the caller passes is copied in here (addresses, iovec
 * arrays, control messages, option values) and results are copied out
 * here; the layers below see kernel copies, except the data itself,
 * which sosend/soreceive move with uiomove.  Control messages travel as
 * MT_CONTROL mbufs, one cmsg each, in Linux's layout; SCM_RIGHTS on
 * AF_UNIX sockets become in-flight file references (uipc_usrreq.c) on the
 * way in and descriptors of the receiver on the way out.
 */
#include "net/net_impl.h"

#include "kern/syscall.h"

#define SO_IOV_MAX    1024
#define SO_CMSG_MAX   (64 * 1024) /* Linux: optmem_max-ish bound */
#define SO_OPTLEN_MAX 4096
#define SO_MMSG_MAX   1024
#define SO_SSIZE_MAX  0x7fffffffffffffffL

void fd_abort(int fd, struct file *fp); /* kern_descrip.c */

static inline struct filedesc *
so_fdtable(void)
{
	return atomic_load_acquire(&curproc->p_fd);
}

/* Copies in a caller's socket address of len bytes. */
static int
so_getaddr(const void *uaddr, socklen_t len, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (len > sizeof(*ss))
		return EINVAL;
	if (len == 0)
		return 0;
	if (uaddr == NULL)
		return EFAULT;
	return copyin(uaddr, ss, len);
}

/*
 * Gives the caller an address of len bytes: as much as its *ulenp allows
 * goes to uaddr, and *ulenp becomes the full length (Linux semantics).
 */
static int
so_putaddr(const struct sockaddr_storage *ss, socklen_t len, void *uaddr,
    socklen_t *ulenp)
{
	int ulen;
	int error;

	if (uaddr == NULL || ulenp == NULL)
		return 0;
	if ((error = copyin(ulenp, &ulen, sizeof(ulen))) != 0)
		return error;
	if (ulen < 0)
		return EINVAL;
	if (len > 0 &&
	    (error = copyout(ss, uaddr, MIN((socklen_t)ulen, len))) != 0)
		return error;
	return copyout(&len, ulenp, sizeof(len));
}

/* Makes a file and a descriptor for so; on failure so is closed. */
static int
so_mkfile(struct socket *so, int flags, int *fdp)
{
	struct file *fp;
	int error;

	error = file_alloc(&socketops, so,
	    O_RDWR | ((flags & SOCK_NONBLOCK) ? O_NONBLOCK : 0), &fp);
	if (error) {
		(void)soclose(so);
		return error;
	}
	solock(so);
	if (flags & SOCK_NONBLOCK)
		so->so_state |= SS_NBIO;
	so->so_fp = fp;
	sounlock(so);
	error = fd_install(
	    so_fdtable(), fp, 0, (flags & SOCK_CLOEXEC) ? FD_CLOEXEC : 0, fdp);
	(void)file_release(fp); /* the descriptor holds it, or it closes */
	return error;
}

int
sys_socket(struct lwp *l __unused, const void *v, register_t *retval)
{
	SYSCALL_ARGS(socket);
	int type = SCARG(uap, type), flags, fd, error;
	struct socket *so;

	flags = type & ~SOCK_TYPE_MASK;
	type &= SOCK_TYPE_MASK;
	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return EINVAL;
	error = socreate(SCARG(uap, domain), type, SCARG(uap, protocol), &so);
	if (error)
		return error;
	if ((error = so_mkfile(so, flags, &fd)) != 0)
		return error;
	*retval = fd;
	return 0;
}

int
sys_socketpair(
    struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(socketpair);
	int type = SCARG(uap, type), flags, fds[2] = {-1, -1}, error;
	struct socket *so1, *so2;
	struct file *fp1 = NULL, *fp2 = NULL;

	flags = type & ~SOCK_TYPE_MASK;
	type &= SOCK_TYPE_MASK;
	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return EINVAL;
	error = socreate(SCARG(uap, domain), type, SCARG(uap, protocol), &so1);
	if (error)
		return error;
	error = socreate(SCARG(uap, domain), type, SCARG(uap, protocol), &so2);
	if (error) {
		(void)soclose(so1);
		return error;
	}
	if ((error = soconnect2(so1, so2)) != 0) {
		(void)soclose(so1);
		(void)soclose(so2);
		return error;
	}
	if ((error = so_mkfile(so1, flags, &fds[0])) != 0) {
		(void)soclose(so2);
		return error;
	}
	if ((error = so_mkfile(so2, flags, &fds[1])) != 0) {
		(void)fd_close(fds[0]);
		return error;
	}
	if ((error = copyout(fds, SCARG(uap, sv), sizeof(fds))) != 0) {
		if (fd_getfile(fds[0], &fp1) == 0) {
			fd_abort(fds[0], fp1);
			(void)file_release(fp1);
		}
		if (fd_getfile(fds[1], &fp2) == 0) {
			fd_abort(fds[1], fp2);
			(void)file_release(fp2);
		}
	}
	return error;
}

int
sys_bind(struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(bind);
	struct sockaddr_storage ss;
	struct socket *so;
	struct file *fp;
	int error;

	if ((error = fd_getsock(SCARG(uap, fd), &so, &fp)) != 0)
		return error;
	error = so_getaddr(SCARG(uap, addr), SCARG(uap, addrlen), &ss);
	if (error == 0)
		error = sobind(so, (struct sockaddr *)&ss, SCARG(uap, addrlen));
	(void)file_release(fp);
	return error;
}

int
sys_listen(struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(listen);
	struct socket *so;
	struct file *fp;
	int error;

	if ((error = fd_getsock(SCARG(uap, fd), &so, &fp)) != 0)
		return error;
	error = solisten(so, SCARG(uap, backlog));
	(void)file_release(fp);
	return error;
}

int
sys_connect(struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(connect);
	struct sockaddr_storage ss;
	struct socket *so;
	struct file *fp;
	int error;

	if ((error = fd_getsock(SCARG(uap, fd), &so, &fp)) != 0)
		return error;
	error = so_getaddr(SCARG(uap, addr), SCARG(uap, addrlen), &ss);
	if (error == 0)
		error =
		    soconnect(so, (struct sockaddr *)&ss, SCARG(uap, addrlen));
	(void)file_release(fp);
	return error;
}

static int
doaccept(int fd, struct sockaddr *uaddr, socklen_t *ulenp, int flags,
    register_t *retval)
{
	struct sockaddr_storage ss;
	struct socket *so, *child;
	struct file *fp, *nfp;
	socklen_t len = 0;
	int error, nfd;

	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return EINVAL;
	if ((error = fd_getsock(fd, &so, &fp)) != 0)
		return error;
	if (so->so_proto->pr_listen == NULL) {
		(void)file_release(fp);
		return EOPNOTSUPP;
	}
	error = soaccept_take(so, false, &child);
	(void)file_release(fp);
	if (error)
		return error;
	/* The child comes with a hold of ours. */
	memset(&ss, 0, sizeof(ss));
	if (uaddr != NULL) {
		solock(child);
		len = sizeof(ss);
		if (child->so_proto->pr_peeraddr != NULL)
			error = child->so_proto->pr_peeraddr(child, &ss, &len);
		if (!solocked(child))
			solock(child);
		sounlock(child);
		if (error == 0)
			error = so_putaddr(&ss, len, uaddr, ulenp);
	}
	if (error == 0)
		error = file_alloc(&socketops, child,
		    O_RDWR | ((flags & SOCK_NONBLOCK) ? O_NONBLOCK : 0), &nfp);
	if (error) {
		(void)soclose(child);
		sorele(child);
		return error;
	}
	solock(child);
	if (flags & SOCK_NONBLOCK)
		child->so_state |= SS_NBIO;
	else
		child->so_state &= ~SS_NBIO;
	child->so_fp = nfp;
	sorele_locked(child);
	error = fd_install(so_fdtable(), nfp, 0,
	    (flags & SOCK_CLOEXEC) ? FD_CLOEXEC : 0, &nfd);
	(void)file_release(nfp);
	if (error == 0)
		*retval = nfd;
	return error;
}

int
sys_accept(struct lwp *l __unused, const void *v, register_t *retval)
{
	SYSCALL_ARGS(accept);

	return doaccept(
	    SCARG(uap, fd), SCARG(uap, addr), SCARG(uap, addrlen), 0, retval);
}

int
sys_accept4(struct lwp *l __unused, const void *v, register_t *retval)
{
	SYSCALL_ARGS(accept4);

	return doaccept(SCARG(uap, fd), SCARG(uap, addr), SCARG(uap, addrlen),
	    SCARG(uap, flags), retval);
}

int
sys_shutdown(struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(shutdown);
	struct socket *so;
	struct file *fp;
	int error;

	if ((error = fd_getsock(SCARG(uap, fd), &so, &fp)) != 0)
		return error;
	error = soshutdown(so, SCARG(uap, how));
	(void)file_release(fp);
	return error;
}

int
sys_setsockopt(
    struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(setsockopt);
	socklen_t len = SCARG(uap, optlen);
	struct socket *so;
	struct file *fp;
	void *buf = NULL;
	int error;

	if ((error = fd_getsock(SCARG(uap, fd), &so, &fp)) != 0)
		return error;
	if ((int)len < 0) {
		(void)file_release(fp);
		return EINVAL;
	}
	if (len > SO_OPTLEN_MAX)
		len = SO_OPTLEN_MAX;
	if (len > 0) {
		if ((buf = kmem_alloc(len, KM_SLEEP)) == NULL) {
			error = ENOMEM;
			goto out;
		}
		if ((error = copyin(SCARG(uap, optval), buf, len)) != 0)
			goto out;
	}
	error = sosetopt(so, SCARG(uap, level), SCARG(uap, optname),
	    buf != NULL ? buf : (void *)&len, len);
out:
	if (buf != NULL)
		kmem_free(buf,
		    SCARG(uap, optlen) > SO_OPTLEN_MAX ? SO_OPTLEN_MAX
		                                       : SCARG(uap, optlen));
	(void)file_release(fp);
	return error;
}

int
sys_getsockopt(
    struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(getsockopt);
	struct socket *so;
	struct file *fp;
	socklen_t len;
	int ulen, error;
	char *buf;

	if ((error = fd_getsock(SCARG(uap, fd), &so, &fp)) != 0)
		return error;
	error = copyin(SCARG(uap, optlen), &ulen, sizeof(ulen));
	if (error == 0 && ulen < 0)
		error = EINVAL;
	if (error) {
		(void)file_release(fp);
		return error;
	}
	if ((buf = kmem_zalloc(SO_OPTLEN_MAX, KM_SLEEP)) == NULL) {
		(void)file_release(fp);
		return ENOMEM;
	}
	len = (socklen_t)MIN(ulen, SO_OPTLEN_MAX);
	error = sogetopt(so, SCARG(uap, level), SCARG(uap, optname), buf, &len);
	if (error == 0 && len > 0)
		error = copyout(buf, SCARG(uap, optval), len);
	if (error == 0)
		error = copyout(&len, SCARG(uap, optlen), sizeof(len));
	kmem_free(buf, SO_OPTLEN_MAX);
	(void)file_release(fp);
	return error;
}

static int
dogetname(int fd, struct sockaddr *uaddr, socklen_t *ulenp, bool peer)
{
	struct sockaddr_storage ss;
	struct socket *so;
	struct file *fp;
	socklen_t len = 0;
	int error, ulen;

	if ((error = copyin(ulenp, &ulen, sizeof(ulen))) != 0)
		return error;
	if (ulen < 0)
		return EINVAL;
	if ((error = fd_getsock(fd, &so, &fp)) != 0)
		return error;
	error = peer ? sopeeraddr(so, &ss, &len) : sosockaddr(so, &ss, &len);
	(void)file_release(fp);
	if (error == 0)
		error = so_putaddr(&ss, len, uaddr, ulenp);
	return error;
}

int
sys_getsockname(
    struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(getsockname);

	return dogetname(
	    SCARG(uap, fd), SCARG(uap, addr), SCARG(uap, addrlen), false);
}

int
sys_getpeername(
    struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(getpeername);

	return dogetname(
	    SCARG(uap, fd), SCARG(uap, addr), SCARG(uap, addrlen), true);
}

/* ------------------------------------------------------------- transfers */

/* Copies in iovcnt iovecs; *iovp is kmem (NULL for none). */
static int
so_iov_copyin(const struct iovec *uiov, size_t iovcnt, struct iovec **iovp,
    size_t *residp)
{
	struct iovec *iov;
	size_t resid = 0;
	int error;

	*iovp = NULL;
	*residp = 0;
	if (iovcnt > SO_IOV_MAX)
		return EMSGSIZE;
	if (iovcnt == 0)
		return 0;
	if ((iov = kmem_alloc(sizeof(*iov) * iovcnt, KM_SLEEP)) == NULL)
		return ENOMEM;
	error = copyin(uiov, iov, sizeof(*iov) * iovcnt);
	for (size_t i = 0; error == 0 && i < iovcnt; i++) {
		if (iov[i].iov_len > (size_t)SO_SSIZE_MAX - resid)
			error = EINVAL;
		else
			resid += iov[i].iov_len;
	}
	if (error) {
		kmem_free(iov, sizeof(*iov) * iovcnt);
		return error;
	}
	*iovp = iov;
	*residp = resid;
	return 0;
}

/*
 * Copies in the control messages of a sendmsg as a chain of MT_CONTROL
 * mbufs, one cmsg each, checking their framing.
 */
static int
so_control_copyin(
    struct socket *so, const void *uctl, size_t len, struct mbuf **mp)
{
	struct mbuf *top = NULL, **np = &top, *m;
	struct cmsghdr *cm;
	size_t off = 0, clen;
	char *buf;
	int error = 0;

	*mp = NULL;
	if (len == 0)
		return 0;
	if (len > SO_CMSG_MAX)
		return ENOBUFS;
	if (len < sizeof(struct cmsghdr))
		return EINVAL;
	if ((buf = kmem_alloc(len, KM_SLEEP)) == NULL)
		return ENOMEM;
	if ((error = copyin(uctl, buf, len)) != 0)
		goto out;
	while (off + sizeof(struct cmsghdr) <= len) {
		cm = (struct cmsghdr *)(void *)(buf + off);
		clen = cm->cmsg_len;
		if (clen < sizeof(struct cmsghdr) || clen > len - off) {
			error = EINVAL;
			goto out;
		}
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_RIGHTS &&
		    so->so_proto->pr_domain->dom_family != AF_UNIX) {
			error = EINVAL;
			goto out;
		}
		m = clen > (size_t)MLEN ? m_getcl(M_WAIT, MT_CONTROL, 0, clen)
		                        : m_get(M_WAIT, MT_CONTROL);
		if (m == NULL) {
			error = ENOBUFS;
			goto out;
		}
		memcpy(mtod(m, void *), cm, clen);
		m->m_len = (int)clen;
		*np = m;
		np = &m->m_next;
		off += CMSG_ALIGN(clen);
	}
	if (so->so_proto->pr_domain->dom_family == AF_UNIX)
		error = unp_internalize(top);
out:
	kmem_free(buf, len);
	if (error) {
		m_freem(top); /* nothing internalized is left on failure */
		return error;
	}
	*mp = top;
	return 0;
}

/* sendmsg with a kernel copy of the msghdr. */
static int
sendit(int fd, const struct msghdr *msg, int flags, size_t *sentp)
{
	struct sockaddr_storage ss;
	struct mbuf *control = NULL;
	struct iovec *iov = NULL;
	struct socket *so;
	struct file *fp;
	struct uio uio;
	size_t resid = 0;
	socklen_t alen = 0;
	int error;

	*sentp = 0;
	if ((error = fd_getsock(fd, &so, &fp)) != 0)
		return error;
	if (msg->msg_name != NULL && msg->msg_namelen > 0) {
		alen = msg->msg_namelen;
		if ((error = so_getaddr(msg->msg_name, alen, &ss)) != 0)
			goto out;
	}
	error = so_iov_copyin(msg->msg_iov, msg->msg_iovlen, &iov, &resid);
	if (error)
		goto out;
	if (msg->msg_control != NULL && msg->msg_controllen > 0) {
		error = so_control_copyin(
		    so, msg->msg_control, msg->msg_controllen, &control);
		if (error)
			goto out;
	}
	uio =
	    (struct uio){iov, (int)msg->msg_iovlen, 0, resid, UIO_WRITE, false};
	error = sosend(so, alen ? (struct sockaddr *)&ss : NULL, alen, &uio,
	    NULL, control, flags);
	*sentp = resid - uio.uio_resid;
	if (*sentp > 0 && so->so_type == SOCK_STREAM)
		error = 0; /* a partial transfer reports its count */
out:
	if (iov != NULL)
		kmem_free(iov, sizeof(*iov) * msg->msg_iovlen);
	(void)file_release(fp);
	return error;
}

/*
 * Gives the caller the control messages of chain ctl (consumed) in its
 * buffer uctl of *lenp bytes; *lenp becomes what was written.
 */
static int
so_control_copyout(
    struct mbuf *ctl, void *uctl, size_t *lenp, int *flagsp, bool cloexec)
{
	size_t space = uctl != NULL ? *lenp : 0, used = 0, n;
	char *buf = NULL;
	struct mbuf *m;
	int error = 0;

	if (space > SO_CMSG_MAX)
		space = SO_CMSG_MAX;
	if (space > 0 && (buf = kmem_zalloc(space, KM_SLEEP)) == NULL) {
		sb_freechain(ctl);
		return ENOMEM;
	}
	for (m = ctl; m != NULL; m = m_free(m)) {
		const struct cmsghdr *cm = mtod(m, const struct cmsghdr *);

		if (m->m_type != MT_CONTROL ||
		    m->m_len < (int)sizeof(struct cmsghdr))
			continue;
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_RIGHTS_INFLIGHT) {
			n = 0;
			error =
			    unp_externalize(m, buf != NULL ? buf + used : NULL,
			        space - used, &n, flagsp, cloexec);
			used += n;
			if (error)
				break;
			continue;
		}
		n = (size_t)m->m_len;
		if (space - used < n) {
			*flagsp |= MSG_CTRUNC;
			if (space - used >= sizeof(struct cmsghdr)) {
				/* As Linux: what fits, marked truncated. */
				memcpy(buf + used, cm, space - used);
				used = space;
			}
			continue;
		}
		memcpy(buf + used, cm, n);
		used += CMSG_ALIGN(n) <= space - used ? CMSG_ALIGN(n) : n;
	}
	if (m != NULL)
		sb_freechain(m);
	if (error == 0 && used > 0)
		error = copyout(buf, uctl, used);
	if (buf != NULL)
		kmem_free(buf, space);
	*lenp = used;
	return error;
}

/* recvmsg with a kernel copy of the msghdr, whose out fields it updates. */
static int
recvit(int fd, struct msghdr *msg, int flags, size_t *lenp)
{
	struct mbuf *addr = NULL, *ctl = NULL;
	struct sockaddr_storage ss;
	struct iovec *iov = NULL;
	struct socket *so;
	struct file *fp;
	struct uio uio;
	size_t resid, clen;
	int error, oflags = flags;

	*lenp = 0;
	if ((error = fd_getsock(fd, &so, &fp)) != 0)
		return error;
	error = so_iov_copyin(msg->msg_iov, msg->msg_iovlen, &iov, &resid);
	if (error)
		goto out;
	uio =
	    (struct uio){iov, (int)msg->msg_iovlen, 0, resid, UIO_READ, false};
	error = soreceive_len(so, msg->msg_name != NULL ? &addr : NULL, &uio,
	    &ctl, &oflags, lenp);
	if (error) {
		m_freem(addr);
		sb_freechain(ctl);
		goto out;
	}
	if (msg->msg_name != NULL) {
		socklen_t alen = 0;

		if (addr != NULL) {
			alen = (socklen_t)MIN(addr->m_len, (int)sizeof(ss));
			memcpy(&ss, mtod(addr, void *), alen);
			m_freem(addr);
		}
		if ((int)msg->msg_namelen < 0) {
			error = EINVAL;
		} else {
			if (alen > 0)
				error = copyout(&ss, msg->msg_name,
				    MIN(alen, msg->msg_namelen));
			msg->msg_namelen = alen;
		}
	}
	clen = msg->msg_controllen;
	if (ctl != NULL) {
		int e = so_control_copyout(ctl, msg->msg_control, &clen,
		    &oflags, (flags & MSG_CMSG_CLOEXEC) != 0);
		if (error == 0)
			error = e;
	} else {
		clen = 0;
	}
	msg->msg_controllen = clen;
	msg->msg_flags = oflags;
out:
	if (iov != NULL)
		kmem_free(iov, sizeof(*iov) * msg->msg_iovlen);
	(void)file_release(fp);
	return error;
}

int
sys_sendto(struct lwp *l __unused, const void *v, register_t *retval)
{
	SYSCALL_ARGS(sendto);
	struct iovec iov = {
	    (void *)(uintptr_t)SCARG(uap, buf), SCARG(uap, len)};
	const void *uaddr = SCARG(uap, dest_addr);
	socklen_t alen = uaddr != NULL ? SCARG(uap, addrlen) : 0;
	struct sockaddr_storage ss;
	struct socket *so;
	struct file *fp;
	struct uio uio;
	size_t sent;
	int error;

	if ((ssize_t)SCARG(uap, len) < 0 || (int)alen < 0)
		return EINVAL;
	if ((error = fd_getsock(SCARG(uap, fd), &so, &fp)) != 0)
		return error;
	if (alen > 0)
		error = so_getaddr(uaddr, alen, &ss);
	if (error == 0) {
		uio = (struct uio){&iov, 1, 0, iov.iov_len, UIO_WRITE, false};
		error = sosend(so, alen ? (struct sockaddr *)&ss : NULL, alen,
		    &uio, NULL, NULL, SCARG(uap, flags));
		sent = SCARG(uap, len) - uio.uio_resid;
		if (sent > 0 && so->so_type == SOCK_STREAM)
			error = 0;
		*retval = (register_t)sent;
	}
	(void)file_release(fp);
	return error;
}

int
sys_recvfrom(struct lwp *l __unused, const void *v, register_t *retval)
{
	SYSCALL_ARGS(recvfrom);
	struct iovec iov = {SCARG(uap, buf), SCARG(uap, len)};
	struct mbuf *addr = NULL;
	struct sockaddr_storage ss;
	struct socket *so;
	struct file *fp;
	struct uio uio;
	size_t len = 0;
	int error, flags = SCARG(uap, flags);
	bool wantaddr =
	    SCARG(uap, src_addr) != NULL && SCARG(uap, addrlen) != NULL;

	if ((ssize_t)SCARG(uap, len) < 0)
		return EINVAL;
	if ((error = fd_getsock(SCARG(uap, fd), &so, &fp)) != 0)
		return error;
	uio = (struct uio){&iov, 1, 0, iov.iov_len, UIO_READ, false};
	error = soreceive_len(
	    so, wantaddr ? &addr : NULL, &uio, NULL, &flags, &len);
	(void)file_release(fp);
	if (error == 0 && wantaddr) {
		socklen_t alen = 0;

		memset(&ss, 0, sizeof(ss));
		if (addr != NULL) {
			alen = (socklen_t)MIN(addr->m_len, (int)sizeof(ss));
			memcpy(&ss, mtod(addr, void *), alen);
		}
		error = so_putaddr(
		    &ss, alen, SCARG(uap, src_addr), SCARG(uap, addrlen));
	}
	m_freem(addr);
	if (error == 0)
		*retval = (register_t)len;
	return error;
}

int
sys_sendmsg(struct lwp *l __unused, const void *v, register_t *retval)
{
	SYSCALL_ARGS(sendmsg);
	struct msghdr msg;
	size_t sent;
	int error;

	if ((error = copyin(SCARG(uap, msg), &msg, sizeof(msg))) != 0)
		return error;
	error = sendit(SCARG(uap, fd), &msg, SCARG(uap, flags), &sent);
	if (error == 0)
		*retval = (register_t)sent;
	return error;
}

/* The fields recvmsg gives back, copied to the caller's msghdr. */
static int
recvmsg_copyout(const struct msghdr *msg, struct msghdr *umsg)
{
	int error;

	error = copyout(
	    &msg->msg_namelen, &umsg->msg_namelen, sizeof(msg->msg_namelen));
	if (error == 0)
		error = copyout(&msg->msg_controllen, &umsg->msg_controllen,
		    sizeof(msg->msg_controllen));
	if (error == 0)
		error = copyout(
		    &msg->msg_flags, &umsg->msg_flags, sizeof(msg->msg_flags));
	return error;
}

int
sys_recvmsg(struct lwp *l __unused, const void *v, register_t *retval)
{
	SYSCALL_ARGS(recvmsg);
	struct msghdr msg;
	size_t len;
	int error;

	if ((error = copyin(SCARG(uap, msg), &msg, sizeof(msg))) != 0)
		return error;
	error = recvit(SCARG(uap, fd), &msg, SCARG(uap, flags), &len);
	if (error == 0)
		error = recvmsg_copyout(&msg, SCARG(uap, msg));
	if (error == 0)
		*retval = (register_t)len;
	return error;
}

int
sys_sendmmsg(struct lwp *l __unused, const void *v, register_t *retval)
{
	SYSCALL_ARGS(sendmmsg);
	struct mmsghdr *uvec = SCARG(uap, msgvec);
	unsigned vlen = MIN(SCARG(uap, vlen), SO_MMSG_MAX), i;
	struct mmsghdr mm;
	size_t sent;
	int error = 0;

	for (i = 0; i < vlen; i++) {
		if ((error = copyin(&uvec[i], &mm, sizeof(mm))) != 0)
			break;
		error = sendit(
		    SCARG(uap, fd), &mm.msg_hdr, SCARG(uap, flags), &sent);
		if (error)
			break;
		mm.msg_len = (unsigned)sent;
		error =
		    copyout(&mm.msg_len, &uvec[i].msg_len, sizeof(mm.msg_len));
		if (error)
			break;
	}
	if (i > 0) {
		*retval = i;
		return 0;
	}
	return error;
}

int
sys_recvmmsg(struct lwp *l __unused, const void *v, register_t *retval)
{
	SYSCALL_ARGS(recvmmsg);
	struct mmsghdr *uvec = SCARG(uap, msgvec);
	unsigned vlen = MIN(SCARG(uap, vlen), SO_MMSG_MAX), i;
	int flags = SCARG(uap, flags), error = 0;
	uint64_t deadline = 0;
	struct timespec ts;
	struct mmsghdr mm;
	size_t len;

	if (SCARG(uap, timeout) != NULL) {
		error = copyin(SCARG(uap, timeout), &ts, sizeof(ts));
		if (error)
			return error;
		if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
			return EINVAL;
		deadline = getnanouptime() +
		    (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	}
	for (i = 0; i < vlen; i++) {
		if ((error = copyin(&uvec[i], &mm, sizeof(mm))) != 0)
			break;
		error = recvit(
		    SCARG(uap, fd), &mm.msg_hdr, flags & ~MSG_WAITFORONE, &len);
		if (error)
			break;
		mm.msg_len = (unsigned)len;
		error = recvmsg_copyout(&mm.msg_hdr, &uvec[i].msg_hdr);
		if (error == 0)
			error = copyout(
			    &mm.msg_len, &uvec[i].msg_len, sizeof(mm.msg_len));
		if (error)
			break;
		if (flags & MSG_WAITFORONE)
			flags |= MSG_DONTWAIT;
		if (deadline != 0 && getnanouptime() >= deadline) {
			i++;
			break;
		}
	}
	if (SCARG(uap, timeout) != NULL) {
		uint64_t now = getnanouptime(), left;

		left = now < deadline ? deadline - now : 0;
		ts.tv_sec = (time_t)(left / 1000000000ULL);
		ts.tv_nsec = (long)(left % 1000000000ULL);
		(void)copyout(&ts, SCARG(uap, timeout), sizeof(ts));
	}
	if (i > 0) {
		*retval = i;
		return 0;
	}
	return error;
}
