/*
 * sys_socket.c — the file operations of sockets (socketops): read and
 * write through sosend/soreceive, ioctls, poll, fstat, O_NONBLOCK and
 * close; and fd_getsock for the socket system calls.
 *
 * Socket ioctls go, in this order: the socket's own (FIONBIO, FIONREAD,
 * SIOCOUTQ, SIOCATMARK); the address ioctls of interfaces, which belong
 * to the socket's protocol family (SIOCSIFADDR ... → pr_ioctl, i.e.
 * in_control for AF_INET); the routing table's (SIOCADDRT/SIOCDELRT);
 * the generic interface ioctls (ifioctl); and last the protocol's.
 */
#include "net/net_impl.h"

static int
soo_read(struct file *fp, struct uio *uio, int flags __unused)
{
	return soreceive(fp->f_data, NULL, uio, NULL, NULL);
}

static int
soo_write(struct file *fp, struct uio *uio, int flags __unused)
{
	return sosend(fp->f_data, NULL, 0, uio, NULL, NULL, 0);
}

static bool
soo_is_ifaddr_ioctl(unsigned long cmd)
{
	switch (cmd) {
	case SIOCSIFADDR:
	case SIOCSIFNETMASK:
	case SIOCSIFBRDADDR:
	case SIOCSIFDSTADDR:
	case SIOCDIFADDR:
		return true;
	default:
		return false;
	}
}

static int
soo_ioctl(
    struct file *fp, unsigned long cmd, void *uarg, register_t *retval __unused)
{
	struct socket *so = fp->f_data;
	struct mbuf *m;
	int v, error;

	switch (cmd) {
	case FIONBIO:
		if ((error = copyin(uarg, &v, sizeof(v))) != 0)
			return error;
		solock(so);
		if (v)
			so->so_state |= SS_NBIO;
		else
			so->so_state &= ~SS_NBIO;
		sounlock(so);
		return 0;
	case FIONREAD:
		solock(so);
		if (so->so_options & SO_OPT_ACCEPTCONN) {
			sounlock(so);
			return EINVAL;
		}
		if (so->so_type == SOCK_STREAM) {
			v = (int)so->so_rcv.sb_cc;
		} else {
			v = 0;
			m = so->so_rcv.sb_mb;
			for (; m != NULL; m = m->m_next)
				if (m->m_type != MT_SONAME &&
				    m->m_type != MT_CONTROL)
					v += m->m_len;
		}
		sounlock(so);
		return copyout(&v, uarg, sizeof(v));
	case SIOCOUTQ:
		solock(so);
		if (so->so_options & SO_OPT_ACCEPTCONN) {
			sounlock(so);
			return EINVAL;
		}
		v = (int)so->so_snd.sb_cc;
		sounlock(so);
		return copyout(&v, uarg, sizeof(v));
	case SIOCATMARK:
		solock(so);
		v = (so->so_state & SS_RCVATMARK) != 0;
		sounlock(so);
		return copyout(&v, uarg, sizeof(v));
	}
	if (soo_is_ifaddr_ioctl(cmd)) {
		if (so->so_proto->pr_ioctl == NULL)
			return ENOTTY;
		return so->so_proto->pr_ioctl(so, cmd, uarg);
	}
	if (cmd == SIOCADDRT || cmd == SIOCDELRT)
		return rt_ioctl(cmd, uarg);
	if ((cmd & 0xff00) == 0x8900) {
		error = ifioctl(cmd, uarg);
		if (error != ENOTTY)
			return error;
	}
	if (so->so_proto->pr_ioctl == NULL)
		return ENOTTY;
	return so->so_proto->pr_ioctl(so, cmd, uarg);
}

static int
soo_fcntl_setfl(struct file *fp, int flags)
{
	struct socket *so = fp->f_data;

	solock(so);
	if (flags & O_NONBLOCK)
		so->so_state |= SS_NBIO;
	else
		so->so_state &= ~SS_NBIO;
	sounlock(so);
	return 0;
}

static int
soo_poll(struct file *fp, int events)
{
	return sopoll(fp->f_data, events);
}

static int
soo_stat(struct file *fp, struct stat *st)
{
	struct socket *so = fp->f_data;

	memset(st, 0, sizeof(*st));
	st->st_dev = makedev(0, 8);
	st->st_ino = so->so_ino;
	st->st_nlink = 1;
	st->st_mode = S_IFSOCK | 0777;
	st->st_uid = so->so_cred->cr_euid;
	st->st_gid = so->so_cred->cr_egid;
	st->st_blksize = 4096;
	return 0;
}

static int
soo_close(struct file *fp)
{
	struct socket *so = fp->f_data;

	fp->f_data = NULL;
	return soclose(so);
}

const struct fileops socketops = {
    .fo_read = soo_read,
    .fo_write = soo_write,
    .fo_ioctl = soo_ioctl,
    .fo_fcntl_setfl = soo_fcntl_setfl,
    .fo_poll = soo_poll,
    .fo_stat = soo_stat,
    .fo_close = soo_close,
    .fo_type = DTYPE_SOCKET,
};

int
fd_getsock(int fd, struct socket **sop, struct file **fpp)
{
	struct file *fp;
	int error;

	if ((error = fd_getfile(fd, &fp)) != 0)
		return error;
	if (fp->f_ops != &socketops) {
		(void)file_release(fp);
		return ENOTSOCK;
	}
	*sop = fp->f_data;
	*fpp = fp;
	return 0;
}
