/*
 * vfs_mem.c — the memory devices, with Linux's numbers: char major 1,
 * /dev/null (1:3), /dev/zero (1:5), /dev/full (1:7), /dev/random (1:8)
 * and /dev/urandom (1:9).
 *
 * null reads end of file and swallows writes; zero reads zeros and
 * swallows writes; full reads zeros and refuses writes with ENOSPC; random
 * and urandom read bytes of the host's generator (rumpuser_getrandom) and
 * accept writes, which they drop (the host owns the entropy pool).  All of
 * them are always ready for poll.
 *
 * The devices attach at boot (the VFS level).  vfs_dev_mknodes(), called
 * by the VFS core once the root is mounted, makes /dev (0755) and the
 * nodes (0666) in the root through the root file system's own vnode
 * operations.
 */
#include "vfs.h"

#define MEM_MAJOR   1
#define MEM_NULL    3
#define MEM_ZERO    5
#define MEM_FULL    7
#define MEM_RANDOM  8
#define MEM_URANDOM 9

static const struct mem_node {
	const char *mn_name;
	unsigned mn_minor;
} mem_nodes[] = {
    {"null", MEM_NULL},
    {"zero", MEM_ZERO},
    {"full", MEM_FULL},
    {"random", MEM_RANDOM},
    {"urandom", MEM_URANDOM},
};

static const char mem_zeros[4096];

/* Consumes the rest of a write without looking at the data. */
static void
mem_swallow(struct uio *uio)
{
	while (uio->uio_resid > 0 && uio->uio_iovcnt > 0) {
		struct iovec *iov = uio->uio_iov;
		size_t n = MIN(iov->iov_len, uio->uio_resid);

		iov->iov_base = (char *)iov->iov_base + n;
		iov->iov_len -= n;
		uio->uio_resid -= n;
		uio->uio_offset += (off_t)n;
		uio->uio_iov++;
		uio->uio_iovcnt--;
	}
	uio->uio_resid = 0;
}

static int
mem_open(dev_t dev __unused, int fflags __unused)
{
	return 0;
}

static int
mem_close(dev_t dev __unused, int fflags __unused)
{
	return 0;
}

static int
mem_read(dev_t dev, struct uio *uio, int ioflag)
{
	char buf[256];
	size_t n, got;
	int error = 0;

	switch (minor(dev)) {
	case MEM_NULL:
		break;
	case MEM_ZERO:
	case MEM_FULL:
		while (uio->uio_resid > 0 && error == 0)
			error = uiomove((void *)(uintptr_t)mem_zeros,
			    MIN(uio->uio_resid, sizeof(mem_zeros)), uio);
		break;
	case MEM_RANDOM:
	case MEM_URANDOM:
		while (uio->uio_resid > 0) {
			n = MIN(uio->uio_resid, sizeof(buf));
			got = 0;
			error = rumpuser_getrandom(buf, n,
			    (ioflag & IO_NONBLOCK) ? RUMPUSER_RANDOM_NOWAIT : 0,
			    &got);
			if (error == 0 && got == 0)
				error = EAGAIN;
			if (error == 0)
				error = uiomove(buf, got, uio);
			if (error)
				break;
		}
		memset(buf, 0, sizeof(buf));
		break;
	default:
		error = ENXIO;
	}
	return error;
}

static int
mem_write(dev_t dev, struct uio *uio, int ioflag __unused)
{
	switch (minor(dev)) {
	case MEM_NULL:
	case MEM_ZERO:
	case MEM_RANDOM:
	case MEM_URANDOM:
		mem_swallow(uio);
		return 0;
	case MEM_FULL:
		return ENOSPC;
	default:
		return ENXIO;
	}
}

static int
mem_ioctl(dev_t dev __unused, unsigned long cmd __unused, void *uarg __unused,
    register_t *retval __unused)
{
	return ENOTTY;
}

static int
mem_poll(dev_t dev __unused, int events)
{
	return events & (POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM);
}

static const struct devsw mem_devsw = {
    .d_name = "mem",
    .d_open = mem_open,
    .d_close = mem_close,
    .d_read = mem_read,
    .d_write = mem_write,
    .d_ioctl = mem_ioctl,
    .d_poll = mem_poll,
};

/* Looks name up in dvp (locked by the caller) or makes it. */
static int
mem_mknode(struct vnode *dvp, const char *name, const struct vattr *va,
    kauth_cred_t cred, struct vnode **vpp)
{
	struct componentname cn = {name, strlen(name), cred};
	int error;

	error = dvp->v_op->vop_lookup(dvp, &cn, vpp);
	if (error != ENOENT)
		return error;
	if (va->va_type == VDIR)
		return dvp->v_op->vop_mkdir(dvp, &cn, va, vpp);
	return dvp->v_op->vop_create(dvp, &cn, va, vpp);
}

/*
 * Makes /dev and its memory device nodes in the root file system.  Nodes
 * that exist already are left as they are.  Failures are reported on the
 * console, not fatal: the kernel works without /dev.
 */
void
vfs_dev_mknodes(void)
{
	struct vnode *dvp = NULL, *vp;
	kauth_cred_t cred;
	struct vattr va;
	uint64_t now = getnanotime();
	int error;

	if (rootvnode == NULL)
		return;
	cred = kauth_cred_get();
	vattr_null(&va);
	va.va_type = VDIR;
	va.va_mode = 0755;
	va.va_uid = 0;
	va.va_gid = 0;
	va.va_atime.tv_sec = va.va_mtime.tv_sec = va.va_ctime.tv_sec =
	    va.va_birthtime.tv_sec = (time_t)(now / 1000000000u);
	va.va_atime.tv_nsec = va.va_mtime.tv_nsec = va.va_ctime.tv_nsec =
	    va.va_birthtime.tv_nsec = (long)(now % 1000000000u);
	vn_lock(rootvnode, RW_WRITER);
	error = mem_mknode(rootvnode, "dev", &va, cred, &dvp);
	vn_unlock(rootvnode);
	if (error) {
		printf("vfs_dev_mknodes: cannot make /dev: error %d\n", error);
		goto out;
	}
	if (dvp->v_type != VDIR) {
		printf("vfs_dev_mknodes: /dev is not a directory\n");
		goto out;
	}
	va.va_type = VCHR;
	va.va_mode = 0666;
	vn_lock(dvp, RW_WRITER);
	for (size_t i = 0; i < nitems(mem_nodes); i++) {
		va.va_rdev = makedev(MEM_MAJOR, mem_nodes[i].mn_minor);
		vp = NULL;
		error = mem_mknode(dvp, mem_nodes[i].mn_name, &va, cred, &vp);
		if (error)
			printf("vfs_dev_mknodes: cannot make /dev/%s: "
			       "error %d\n",
			    mem_nodes[i].mn_name, error);
		else
			vrele(vp);
	}
	vn_unlock(dvp);
out:
	if (dvp != NULL)
		vrele(dvp);
	kauth_cred_free(cred);
}

RUMP_COMPONENT(RUMP_COMPONENT_VFS)
{
	int error;

	for (size_t i = 0; i < nitems(mem_nodes); i++) {
		error = devsw_attach(
		    makedev(MEM_MAJOR, mem_nodes[i].mn_minor), &mem_devsw);
		if (error)
			printf("mem: cannot attach %s: error %d\n",
			    mem_nodes[i].mn_name, error);
	}
}
