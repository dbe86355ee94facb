/*
 * vfs_vnops.c — open files of vnodes: open itself (vn_open), and the file
 * operations read, write, seek, stat, ioctl, poll and close that work on
 * the vnode under the file.  Device vnodes (VCHR, VBLK) send their I/O
 * to the device's switch whatever file system holds the node.
 *
 * Offsets: a read or write at the file's offset (read(2), write(2)) holds
 * f_lock for the whole transfer, so concurrent calls on one open file see
 * POSIX's atomic offset updates; pread/pwrite give their own offset.
 */
#include "vfs.h"

int
fd_getvnode(int fd, struct vnode **vpp, struct file **fpp)
{
	struct file *fp;
	int error;

	if ((error = fd_getfile(fd, &fp)) != 0)
		return error;
	if (fp->f_ops->fo_type != DTYPE_VNODE) {
		file_release(fp);
		return EINVAL;
	}
	*vpp = fp->f_data;
	vref(*vpp);
	*fpp = fp;
	return 0;
}

static int
ioflags(struct file *fp)
{
	int fl = fp->f_flag, io = 0;

	if (fl & O_APPEND)
		io |= IO_APPEND;
	if (fl & O_NONBLOCK)
		io |= IO_NONBLOCK;
	if ((fl & O_SYNC) == O_SYNC)
		io |= IO_SYNC;
	else if (fl & O_DSYNC)
		io |= IO_DSYNC;
	return io;
}

static const struct devsw *
vn_devsw(struct vnode *vp)
{
	if (vp->v_type != VCHR && vp->v_type != VBLK)
		return NULL;
	return devsw_lookup(vp->v_rdev);
}

static int
vn_io(struct vnode *vp, struct uio *uio, int ioflag)
{
	const struct devsw *d;
	int error;

	if ((d = vn_devsw(vp)) != NULL) {
		if (uio->uio_rw == UIO_READ)
			return d->d_read ? d->d_read(vp->v_rdev, uio, ioflag)
			                 : ENODEV;
		return d->d_write ? d->d_write(vp->v_rdev, uio, ioflag)
		                  : ENODEV;
	}
	if (vp->v_type == VCHR || vp->v_type == VBLK)
		return ENXIO;
	if (vp->v_type == VDIR)
		return EISDIR;
	if (uio->uio_rw == UIO_READ) {
		vn_lock(vp, RW_READER);
		error = vp->v_op->vop_read(vp, uio, ioflag);
	} else {
		vn_lock(vp, RW_WRITER);
		error = vp->v_op->vop_write(vp, uio, ioflag);
	}
	vn_unlock(vp);
	return error;
}

/* RLIMIT_FSIZE: a write may not go past it (EFBIG and SIGXFSZ on Linux). */
static int
vn_fsizelimit(struct vnode *vp, struct uio *uio, int ioflag)
{
	rlim_t lim = curproc->p_rlimit[RLIMIT_FSIZE].rlim_cur;
	off_t off = uio->uio_offset;

	if (lim == RLIM_INFINITY || vp->v_type != VREG)
		return 0;
	if (ioflag & IO_APPEND) {
		struct vattr va;

		vn_lock(vp, RW_READER);
		if (vp->v_op->vop_getattr(vp, &va) == 0)
			off = va.va_size;
		vn_unlock(vp);
	}
	if ((uint64_t)off >= lim)
		return EFBIG;
	if ((uint64_t)off + uio->uio_resid > lim) {
		/* Cut the transfer to what fits: a short write. */
		size_t cut = (size_t)((uint64_t)off + uio->uio_resid - lim);

		for (int i = uio->uio_iovcnt - 1; i >= 0 && cut > 0; i--) {
			size_t n = MIN(cut, uio->uio_iov[i].iov_len);

			uio->uio_iov[i].iov_len -= n;
			uio->uio_resid -= n;
			cut -= n;
		}
	}
	return 0;
}

/* As Linux: a transfer whose end would pass the largest offset is EINVAL. */
static int
vn_range_ok(const struct uio *uio)
{
	if (uio->uio_offset < 0 ||
	    uio->uio_resid > (size_t)(INT64_MAX - uio->uio_offset))
		return EINVAL;
	return 0;
}

static int
vn_fo_read(struct file *fp, struct uio *uio, int flags)
{
	struct vnode *vp = fp->f_data;
	int error;

	if (!(flags & FOF_UPDATE_OFFSET))
		return vn_range_ok(uio) ? EINVAL : vn_io(vp, uio, ioflags(fp));
	mutex_enter(&fp->f_lock);
	uio->uio_offset = fp->f_offset;
	if ((error = vn_range_ok(uio)) != 0) {
		mutex_exit(&fp->f_lock);
		return error;
	}
	error = vn_io(vp, uio, ioflags(fp));
	fp->f_offset = uio->uio_offset;
	mutex_exit(&fp->f_lock);
	return error;
}

static int
vn_fo_write(struct file *fp, struct uio *uio, int flags)
{
	struct vnode *vp = fp->f_data;
	int io = ioflags(fp), error;

	if (!(flags & FOF_UPDATE_OFFSET)) {
		/* pwrite on O_APPEND: Linux appends regardless. */
		if ((error = vn_range_ok(uio)) != 0 ||
		    (error = vn_fsizelimit(vp, uio, io)) != 0)
			return error;
		return vn_io(vp, uio, io);
	}
	mutex_enter(&fp->f_lock);
	uio->uio_offset = fp->f_offset;
	if ((error = vn_range_ok(uio)) == 0 &&
	    (error = vn_fsizelimit(vp, uio, io)) == 0)
		error = vn_io(vp, uio, io);
	fp->f_offset = uio->uio_offset;
	mutex_exit(&fp->f_lock);
	return error;
}

static enum vtype
mode2vtype(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFREG:
		return VREG;
	case S_IFDIR:
		return VDIR;
	case S_IFLNK:
		return VLNK;
	case S_IFCHR:
		return VCHR;
	case S_IFBLK:
		return VBLK;
	case S_IFIFO:
		return VFIFO;
	case S_IFSOCK:
		return VSOCK;
	default:
		return VNON;
	}
}

static mode_t
vtype2mode(enum vtype t)
{
	static const mode_t m[] = {[VREG] = S_IFREG,
	    [VDIR] = S_IFDIR,
	    [VBLK] = S_IFBLK,
	    [VCHR] = S_IFCHR,
	    [VLNK] = S_IFLNK,
	    [VSOCK] = S_IFSOCK,
	    [VFIFO] = S_IFIFO};

	return t < nitems(m) ? m[t] : 0;
}

int
vn_getattr(struct vnode *vp, struct vattr *va)
{
	int error;

	vattr_null(va);
	vn_lock(vp, RW_READER);
	error = vp->v_data ? vp->v_op->vop_getattr(vp, va) : EBADF;
	vn_unlock(vp);
	return error;
}

int
vn_stat(struct vnode *vp, struct stat *st)
{
	struct vattr va;
	int error;

	if ((error = vn_getattr(vp, &va)) != 0)
		return error;
	memset(st, 0, sizeof(*st));
	st->st_dev = (dev_t)vp->v_mount->mnt_id;
	st->st_ino = va.va_fileid;
	st->st_nlink = va.va_nlink;
	st->st_mode = vtype2mode(va.va_type) | (va.va_mode & ALLPERMS);
	st->st_uid = va.va_uid;
	st->st_gid = va.va_gid;
	st->st_rdev = va.va_rdev;
	st->st_size = va.va_size;
	st->st_blksize = va.va_blocksize ? va.va_blocksize : 4096;
	st->st_blocks = (blkcnt_t)howmany(va.va_bytes, 512);
	st->st_atim = va.va_atime;
	st->st_mtim = va.va_mtime;
	st->st_ctim = va.va_ctime;
	return 0;
}

static int
vn_fo_stat(struct file *fp, struct stat *st)
{
	return vn_stat(fp->f_data, st);
}

static int
vn_fo_seek(struct file *fp, off_t off, int whence, off_t *newoff)
{
	struct vnode *vp = fp->f_data;
	struct vattr va;
	off_t base, result;
	int error = 0;

	if (vp->v_type == VFIFO || vp->v_type == VSOCK)
		return ESPIPE;
	mutex_enter(&fp->f_lock);
	switch (whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = fp->f_offset;
		break;
	case SEEK_END:
	case SEEK_DATA:
	case SEEK_HOLE:
		if (vp->v_type == VBLK) {
			const struct devsw *d = vn_devsw(vp);
			uint64_t bytes;
			unsigned ss;

			if (d == NULL || d->d_size == NULL ||
			    d->d_size(vp->v_rdev, &bytes, &ss) != 0) {
				error = ENXIO;
				goto out;
			}
			va.va_size = (off_t)bytes;
		} else if ((error = vn_getattr(vp, &va)) != 0) {
			goto out;
		}
		if (whence == SEEK_END) {
			base = va.va_size;
			break;
		}
		if (off < 0 || off >= va.va_size) {
			error = ENXIO;
			goto out;
		}
		if (vp->v_type == VREG && vp->v_op->vop_seekdata != NULL) {
			vn_lock(vp, RW_READER);
			error =
			    vp->v_op->vop_seekdata(vp, off, whence, &result);
			vn_unlock(vp);
			if (error)
				goto out;
		} else {
			/* No holes known: all data, one hole at the end. */
			result = whence == SEEK_DATA ? off : va.va_size;
		}
		fp->f_offset = result;
		*newoff = result;
		goto out;
	default:
		error = EINVAL;
		goto out;
	}
	if ((off > 0 && base > INT64_MAX - off) || base + off < 0) {
		error = EINVAL;
		goto out;
	}
	fp->f_offset = base + off;
	*newoff = fp->f_offset;
out:
	mutex_exit(&fp->f_lock);
	return error;
}

static int
vn_fo_ioctl(struct file *fp, unsigned long cmd, void *uarg, register_t *retval)
{
	struct vnode *vp = fp->f_data;
	const struct devsw *d;
	struct vattr va;
	int error, n;

	if ((d = vn_devsw(vp)) != NULL)
		return d->d_ioctl ? d->d_ioctl(vp->v_rdev, cmd, uarg, retval)
		                  : ENOTTY;
	if (vp->v_type == VREG && cmd == FIONREAD) {
		if ((error = vn_getattr(vp, &va)) != 0)
			return error;
		mutex_enter(&fp->f_lock);
		n = va.va_size > fp->f_offset
		    ? (int)MIN(va.va_size - fp->f_offset, 0x7fffffff)
		    : 0;
		mutex_exit(&fp->f_lock);
		return copyout(&n, uarg, sizeof(n));
	}
	if (vp->v_op->vop_ioctl != NULL)
		return vp->v_op->vop_ioctl(vp, cmd, uarg, retval);
	return ENOTTY;
}

static int
vn_fo_poll(struct file *fp, int events)
{
	struct vnode *vp = fp->f_data;
	const struct devsw *d;

	if ((d = vn_devsw(vp)) != NULL && d->d_poll != NULL)
		return d->d_poll(vp->v_rdev, events);
	if (vp->v_op->vop_poll != NULL)
		return vp->v_op->vop_poll(vp, events);
	/* Regular files and directories are always ready. */
	return events & (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM);
}

static int
vn_fo_close(struct file *fp)
{
	struct vnode *vp = fp->f_data;
	const struct devsw *d;
	int error = 0;

	vn_close_hook(fp); /* OFD and flock() locks of this open file */
	if ((fp->f_flag & O_ACCMODE) != O_RDONLY) {
		mutex_enter(&vp->v_interlock);
		vp->v_writecount--;
		mutex_exit(&vp->v_interlock);
	}
	if ((d = vn_devsw(vp)) != NULL && d->d_close != NULL)
		error = d->d_close(vp->v_rdev, fp->f_flag);
	else if (vp->v_op->vop_close != NULL)
		error = vp->v_op->vop_close(vp, fp->f_flag);
	vrele(vp);
	return error;
}

const struct fileops vnops = {
    .fo_read = vn_fo_read,
    .fo_write = vn_fo_write,
    .fo_ioctl = vn_fo_ioctl,
    .fo_poll = vn_fo_poll,
    .fo_stat = vn_fo_stat,
    .fo_seek = vn_fo_seek,
    .fo_close = vn_fo_close,
    .fo_type = DTYPE_VNODE,
};

/* Whether cred may open vp with fflags. */
static int
vn_openable(struct vnode *vp, int fflags, kauth_cred_t cred)
{
	int acc = 0, mode = fflags & O_ACCMODE;

	if (fflags & O_PATH)
		return 0;
	if (vp->v_type == VLNK)
		return ELOOP;
	if (vp->v_type == VSOCK)
		return ENXIO;
	if (vp->v_type == VDIR && (mode != O_RDONLY || (fflags & O_TRUNC)))
		return EISDIR;
	if (mode == O_RDONLY || mode == O_RDWR)
		acc |= VREAD;
	if (mode == O_WRONLY || mode == O_RDWR || (fflags & O_TRUNC))
		acc |= VWRITE;
	if ((acc & VWRITE) && vfs_isrdonly(vp->v_mount) && vp->v_type != VCHR &&
	    vp->v_type != VBLK && vp->v_type != VFIFO)
		return EROFS;
	if ((vp->v_type == VCHR || vp->v_type == VBLK) &&
	    (vp->v_mount->mnt_flags & MS_NODEV))
		return EACCES;
	return vn_access(vp, acc, cred);
}

/*
 * Opens the vnode nd resolved (or creates it): the caller made nd with
 * NI_PARENT|NI_CREATE when O_CREAT is given.  On success nd->nd_vp is the
 * opened vnode, referenced for the caller's file.
 */
int
vn_open(struct nameidata *nd, int fflags, mode_t mode)
{
	struct vnode *vp = nd->nd_vp, *dvp = nd->nd_dvp;
	const struct devsw *d;
	int error;

	if ((fflags & O_CREAT) && vp == NULL) {
		struct vattr va;

		if (nd->nd_trailing_slash)
			return EISDIR;
		if (vfs_isrdonly(dvp->v_mount))
			return EROFS;
		if ((error = vn_access(dvp, VWRITE | VEXEC, nd->nd_cred)) != 0)
			return error;
		vattr_null(&va);
		va.va_type = VREG;
		va.va_mode = mode & ALLPERMS & ~curproc->p_umask;
		error = vn_create_attr(dvp, &va, nd->nd_cred);
		if (error)
			return error;
		vn_lock(dvp, RW_WRITER);
		error = dvp->v_op->vop_create(dvp, &nd->nd_cn, &va, &vp);
		cache_remove(dvp, nd->nd_cn.cn_nameptr, nd->nd_cn.cn_namelen);
		vn_unlock(dvp);
		if (error == EEXIST && !(fflags & O_EXCL)) {
			/* Lost a race with another creator: open theirs. */
			vn_lock(dvp, RW_READER);
			error = dvp->v_op->vop_lookup(dvp, &nd->nd_cn, &vp);
			vn_unlock(dvp);
			if (error)
				return error;
			nd->nd_vp = vp;
			goto existing;
		}
		if (error)
			return error;
		nd->nd_vp = vp;
		fflags &= ~O_TRUNC; /* new and empty */
	} else {
		if (vp == NULL)
			return ENOENT;
		if ((fflags & O_CREAT) && (fflags & O_EXCL))
			return EEXIST;
	existing:
		if ((fflags & O_DIRECTORY) && vp->v_type != VDIR)
			return ENOTDIR;
		if ((fflags & O_NOFOLLOW) && vp->v_type == VLNK &&
		    !(fflags & O_PATH))
			return ELOOP;
		if (nd->nd_trailing_slash && vp->v_type != VDIR)
			return ENOTDIR;
		if ((error = vn_openable(vp, fflags, nd->nd_cred)) != 0)
			return error;
	}
	if (fflags & O_PATH)
		return 0;

	if ((d = vn_devsw(vp)) != NULL) {
		if (d->d_open && (error = d->d_open(vp->v_rdev, fflags)) != 0)
			return error;
	} else if (vp->v_type == VCHR || vp->v_type == VBLK) {
		return ENXIO;
	} else if (vp->v_op->vop_open != NULL) {
		vn_lock(vp, RW_READER);
		error = vp->v_op->vop_open(vp, fflags);
		vn_unlock(vp);
		if (error)
			return error;
	}
	if ((fflags & O_TRUNC) && vp->v_type == VREG) {
		struct vattr va;

		vattr_null(&va);
		va.va_size = 0;
		va.va_mask = VA_SIZE;
		vn_lock(vp, RW_WRITER);
		error = vp->v_op->vop_setattr(vp, &va);
		vn_unlock(vp);
		if (error)
			return error;
	}
	if ((fflags & O_ACCMODE) != O_RDONLY) {
		mutex_enter(&vp->v_interlock);
		vp->v_writecount++;
		mutex_exit(&vp->v_interlock);
	}
	return 0;
}

/*
 * Owner and group of a new node: the caller's, or the directory's group
 * when it is setgid (directories then inherit the setgid bit).
 */
int
vn_create_attr(struct vnode *dvp, struct vattr *va, kauth_cred_t cred)
{
	struct vattr dva;
	int error;

	if ((error = vn_getattr(dvp, &dva)) != 0)
		return error;
	va->va_uid = cred->cr_euid;
	if (dva.va_mode & S_ISGID) {
		va->va_gid = dva.va_gid;
		if (va->va_type == VDIR)
			va->va_mode |= S_ISGID;
	} else {
		va->va_gid = cred->cr_egid;
	}
	/* Only members of the group keep setgid on a new file. */
	if (va->va_type != VDIR && (va->va_mode & S_ISGID) &&
	    !kauth_cred_groupmember(cred, va->va_gid) && cred->cr_euid != 0)
		va->va_mode &= ~S_ISGID;
	return 0;
}

/* Kernel-internal I/O on a vnode (no file, kernel buffer). */
int
vn_rdwr(struct vnode *vp, enum uio_rw rw, void *buf, size_t len, off_t off,
    size_t *resid)
{
	struct iovec iov = {buf, len};
	struct uio uio = {&iov, 1, off, len, rw, true};
	int error = vn_io(vp, &uio, 0);

	if (resid)
		*resid = uio.uio_resid;
	else if (error == 0 && uio.uio_resid != 0)
		error = EIO;
	return error;
}

/* For the type of a new node from a mode (mknod). */
enum vtype
vn_mode2vtype(mode_t m)
{
	return mode2vtype(m);
}
