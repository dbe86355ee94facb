/*
 * kern_descrip.c — descriptor tables, open files and the system calls that
 * work on any descriptor: read, write, readv, writev, close, dup, dup2,
 * dup3 and fcntl.
 *
 * A descriptor table belongs to one or more processes (rfork with flags 0
 * shares it).  Each slot points to an open file, which holds a reference
 * per slot and per call in progress; the file's ops (vnode, pipe, socket,
 * console) do the work and are called without the table's lock.  The
 * console file here is what pid 1 has on descriptors 0, 1 and 2: writes go
 * to the platform's console, reads see end of file.
 */
#include "syscall.h"

#define FD_INITIAL 32
#define IOV_MAX    1024
#define SSIZE_MAX  0x7fffffffffffffffL

int
file_alloc(const struct fileops *ops, void *data, int flags, struct file **fpp)
{
	struct file *fp;

	if ((fp = kmem_zalloc(sizeof(*fp), KM_SLEEP)) == NULL)
		return ENOMEM;
	fp->f_count = 1;
	fp->f_ops = ops;
	fp->f_data = data;
	fp->f_flag = flags;
	mutex_init(&fp->f_lock, MUTEX_DEFAULT);
	*fpp = fp;
	return 0;
}

void
file_hold(struct file *fp)
{
	atomic_inc(&fp->f_count);
}

/* Drops a reference; the last one closes the file and returns its error. */
int
file_release(struct file *fp)
{
	int error = 0;

	if (atomic_dec(&fp->f_count) != 0)
		return 0;
	if (fp->f_ops->fo_close)
		error = fp->f_ops->fo_close(fp);
	mutex_destroy(&fp->f_lock);
	kmem_free(fp, sizeof(*fp));
	return error;
}

static int
fd_alloc_slots(struct filedesc *fdp, int n)
{
	struct file **files;
	uint8_t *flags;

	files = kmem_zalloc(sizeof(*files) * (size_t)n, KM_SLEEP);
	flags = kmem_zalloc((size_t)n, KM_SLEEP);
	if (files == NULL || flags == NULL) {
		if (files)
			kmem_free(files, sizeof(*files) * (size_t)n);
		if (flags)
			kmem_free(flags, (size_t)n);
		return ENOMEM;
	}
	if (fdp->fd_nfiles) {
		memcpy(files, fdp->fd_files,
		    sizeof(*files) * (size_t)fdp->fd_nfiles);
		memcpy(flags, fdp->fd_flags, (size_t)fdp->fd_nfiles);
		kmem_free(
		    fdp->fd_files, sizeof(*files) * (size_t)fdp->fd_nfiles);
		kmem_free(fdp->fd_flags, (size_t)fdp->fd_nfiles);
	}
	fdp->fd_files = files;
	fdp->fd_flags = flags;
	fdp->fd_nfiles = n;
	return 0;
}

struct filedesc *
fd_create(void)
{
	struct filedesc *fdp;

	if ((fdp = kmem_zalloc(sizeof(*fdp), KM_SLEEP)) == NULL)
		return NULL;
	if (fd_alloc_slots(fdp, FD_INITIAL) != 0) {
		kmem_free(fdp, sizeof(*fdp));
		return NULL;
	}
	fdp->fd_refcnt = 1;
	mutex_init(&fdp->fd_lock, MUTEX_DEFAULT);
	return fdp;
}

int
fd_copy(struct filedesc *src, struct filedesc **dstp)
{
	struct filedesc *dst;

	if ((dst = fd_create()) == NULL)
		return ENOMEM;
	mutex_enter(&src->fd_lock);
	if (src->fd_nfiles > dst->fd_nfiles &&
	    fd_alloc_slots(dst, src->fd_nfiles) != 0) {
		mutex_exit(&src->fd_lock);
		fd_free(dst);
		return ENOMEM;
	}
	for (int i = 0; i < src->fd_nfiles; i++) {
		if (src->fd_files[i] != NULL) {
			dst->fd_files[i] = src->fd_files[i];
			dst->fd_flags[i] = src->fd_flags[i];
			file_hold(dst->fd_files[i]);
		}
	}
	mutex_exit(&src->fd_lock);
	*dstp = dst;
	return 0;
}

void
fd_share(struct filedesc *fdp)
{
	atomic_inc(&fdp->fd_refcnt);
}

void
fd_free(struct filedesc *fdp)
{
	if (atomic_dec(&fdp->fd_refcnt) != 0)
		return;
	for (int i = 0; i < fdp->fd_nfiles; i++)
		if (fdp->fd_files[i] != NULL)
			(void)file_release(fdp->fd_files[i]);
	kmem_free(
	    fdp->fd_files, sizeof(struct file *) * (size_t)fdp->fd_nfiles);
	kmem_free(fdp->fd_flags, (size_t)fdp->fd_nfiles);
	mutex_destroy(&fdp->fd_lock);
	kmem_free(fdp, sizeof(*fdp));
}

static int
fd_limit(void)
{
	rlim_t lim = curproc->p_rlimit[RLIMIT_NOFILE].rlim_cur;

	return lim > 1048576 ? 1048576 : (int)lim;
}

/* Installs fp in slot fd (closing what was there).  Holds fd_lock. */
static int
fd_install_at(struct filedesc *fdp, struct file *fp, int fd, int fdflags,
    struct file **oldp)
{
	KASSERT(mutex_owned(&fdp->fd_lock));
	if (fd >= fdp->fd_nfiles) {
		int n = fdp->fd_nfiles;

		while (n <= fd)
			n *= 2;
		if (fd_alloc_slots(fdp, n) != 0)
			return ENOMEM;
	}
	*oldp = fdp->fd_files[fd];
	file_hold(fp);
	fdp->fd_files[fd] = fp;
	fdp->fd_flags[fd] = (uint8_t)fdflags;
	return 0;
}

int
fd_install(
    struct filedesc *fdp, struct file *fp, int minfd, int fdflags, int *fdout)
{
	int lim = fd_limit(), fd, error;
	struct file *old;

	if (minfd < 0 || minfd >= lim)
		return EINVAL;
	mutex_enter(&fdp->fd_lock);
	for (fd = minfd; fd < fdp->fd_nfiles; fd++)
		if (fdp->fd_files[fd] == NULL)
			break;
	if (fd >= lim) {
		error = EMFILE;
		goto out;
	}
	error = fd_install_at(fdp, fp, fd, fdflags, &old);
	KASSERT(error || old == NULL);
	if (error == 0)
		*fdout = fd;
out:
	mutex_exit(&fdp->fd_lock);
	return error;
}

int
fd_getfile(int fd, struct file **fpp)
{
	struct filedesc *fdp = curproc->p_fd;
	struct file *fp = NULL;

	mutex_enter(&fdp->fd_lock);
	if (fd >= 0 && fd < fdp->fd_nfiles)
		fp = fdp->fd_files[fd];
	if (fp != NULL)
		file_hold(fp);
	mutex_exit(&fdp->fd_lock);
	*fpp = fp;
	return fp ? 0 : EBADF;
}

int
fd_close(int fd)
{
	struct filedesc *fdp = curproc->p_fd;
	struct file *fp = NULL;

	mutex_enter(&fdp->fd_lock);
	if (fd >= 0 && fd < fdp->fd_nfiles) {
		fp = fdp->fd_files[fd];
		fdp->fd_files[fd] = NULL;
		fdp->fd_flags[fd] = 0;
	}
	mutex_exit(&fdp->fd_lock);
	if (fp == NULL)
		return EBADF;
	return file_release(fp);
}

/* The console: writes go to the platform's console, reads see EOF. */
static int
console_read(struct file *fp __unused, struct uio *uio __unused,
    int flags __unused)
{
	return 0;
}

static int
console_write(struct file *fp __unused, struct uio *uio,
    int flags __unused)
{
	char buf[256];
	int error = 0;

	while (uio->uio_resid > 0) {
		size_t n = MIN(uio->uio_resid, sizeof(buf));

		if ((error = uiomove(buf, n, uio)) != 0)
			break;
		for (size_t i = 0; i < n; i++)
			rumpuser_putchar(buf[i]);
	}
	return error;
}

static const struct fileops console_fileops = {
    .fo_read = console_read,
    .fo_write = console_write,
    .fo_type = DTYPE_CONSOLE,
};

int
console_open_std(struct proc *p)
{
	struct file *fp;
	int error, fd;

	if ((error = file_alloc(&console_fileops, NULL, O_RDWR, &fp)) != 0)
		return error;
	for (int i = 0; i < 3 && error == 0; i++)
		error = fd_install(p->p_fd, fp, i, 0, &fd);
	(void)file_release(fp);
	return error;
}

static int
dofileread(int fd, struct uio *uio, register_t *retval)
{
	struct file *fp;
	size_t resid = uio->uio_resid;
	int error;

	if ((error = fd_getfile(fd, &fp)) != 0)
		return error;
	if ((fp->f_flag & O_ACCMODE) == O_WRONLY || fp->f_ops->fo_read == NULL)
		error = EBADF;
	else
		error = fp->f_ops->fo_read(fp, uio, FOF_UPDATE_OFFSET);
	(void)file_release(fp);
	/* A transfer cut short by an error reports what was moved. */
	if (uio->uio_resid != resid && (error == EINTR || error == EAGAIN))
		error = 0;
	*retval = (register_t)(resid - uio->uio_resid);
	return error;
}

static int
dofilewrite(int fd, struct uio *uio, register_t *retval)
{
	struct file *fp;
	size_t resid = uio->uio_resid;
	int error;

	if ((error = fd_getfile(fd, &fp)) != 0)
		return error;
	if ((fp->f_flag & O_ACCMODE) == O_RDONLY || fp->f_ops->fo_write == NULL)
		error = EBADF;
	else
		error = fp->f_ops->fo_write(fp, uio, FOF_UPDATE_OFFSET);
	(void)file_release(fp);
	if (uio->uio_resid != resid && (error == EINTR || error == EAGAIN))
		error = 0;
	*retval = (register_t)(resid - uio->uio_resid);
	return error;
}

int
sys_read(struct lwp *l __unused, const void *v, register_t *retval)
{
	SYSCALL_ARGS(read);
	struct iovec iov = {SCARG(uap, buf), SCARG(uap, count)};
	struct uio uio = {&iov, 1, 0, SCARG(uap, count), UIO_READ, false};

	if (SCARG(uap, count) > (size_t)SSIZE_MAX)
		return EINVAL;
	return dofileread(SCARG(uap, fd), &uio, retval);
}

int
sys_write(struct lwp *l __unused, const void *v, register_t *retval)
{
	SYSCALL_ARGS(write);
	struct iovec iov = {
	    (void *)(uintptr_t)SCARG(uap, buf), SCARG(uap, count)};
	struct uio uio = {&iov, 1, 0, SCARG(uap, count), UIO_WRITE, false};

	if (SCARG(uap, count) > (size_t)SSIZE_MAX)
		return EINVAL;
	return dofilewrite(SCARG(uap, fd), &uio, retval);
}

/* Copies in a caller's iovec array; *iovp is kmem of iovcnt entries. */
static int
iov_copyin(
    const struct iovec *uiov, int iovcnt, struct iovec **iovp, size_t *residp)
{
	struct iovec *iov;
	size_t resid = 0;
	int error;

	if (iovcnt < 0 || iovcnt > IOV_MAX)
		return EINVAL;
	if (iovcnt == 0) {
		*iovp = NULL;
		*residp = 0;
		return 0;
	}
	iov = kmem_alloc(sizeof(*iov) * (size_t)iovcnt, KM_SLEEP);
	if (iov == NULL)
		return ENOMEM;
	error = copyin(uiov, iov, sizeof(*iov) * (size_t)iovcnt);
	for (int i = 0; error == 0 && i < iovcnt; i++) {
		if (iov[i].iov_len > (size_t)SSIZE_MAX - resid)
			error = EINVAL;
		else
			resid += iov[i].iov_len;
	}
	if (error) {
		kmem_free(iov, sizeof(*iov) * (size_t)iovcnt);
		return error;
	}
	*iovp = iov;
	*residp = resid;
	return 0;
}

static int
dofilev(int fd, const struct iovec *uiov, int iovcnt, enum uio_rw rw,
    register_t *retval)
{
	struct iovec *iov;
	struct uio uio;
	size_t resid;
	int error;

	if ((error = iov_copyin(uiov, iovcnt, &iov, &resid)) != 0)
		return error;
	uio = (struct uio){iov, iovcnt, 0, resid, rw, false};
	if (rw == UIO_READ)
		error = dofileread(fd, &uio, retval);
	else
		error = dofilewrite(fd, &uio, retval);
	if (iov != NULL)
		kmem_free(iov, sizeof(*iov) * (size_t)iovcnt);
	return error;
}

int
sys_readv(struct lwp *l __unused, const void *v, register_t *retval)
{
	SYSCALL_ARGS(readv);

	return dofilev(SCARG(uap, fd), SCARG(uap, iov), SCARG(uap, iovcnt),
	    UIO_READ, retval);
}

int
sys_writev(struct lwp *l __unused, const void *v, register_t *retval)
{
	SYSCALL_ARGS(writev);

	return dofilev(SCARG(uap, fd), SCARG(uap, iov), SCARG(uap, iovcnt),
	    UIO_WRITE, retval);
}

int
sys_close(struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(close);

	return fd_close(SCARG(uap, fd));
}

static int
dodup(int oldfd, int minfd, int fdflags, register_t *retval)
{
	struct file *fp;
	int error, fd;

	if ((error = fd_getfile(oldfd, &fp)) != 0)
		return error;
	error = fd_install(curproc->p_fd, fp, minfd, fdflags, &fd);
	(void)file_release(fp);
	if (error == 0)
		*retval = fd;
	return error;
}

/* dup2/dup3: newfd names the slot; what was there is closed. */
static int
dodup2(int oldfd, int newfd, int fdflags, register_t *retval)
{
	struct filedesc *fdp = curproc->p_fd;
	struct file *fp, *old = NULL;
	int error;

	if ((error = fd_getfile(oldfd, &fp)) != 0)
		return error;
	if (newfd < 0 || newfd >= fd_limit()) {
		(void)file_release(fp);
		return EBADF;
	}
	mutex_enter(&fdp->fd_lock);
	error = fd_install_at(fdp, fp, newfd, fdflags, &old);
	mutex_exit(&fdp->fd_lock);
	(void)file_release(fp);
	if (old != NULL)
		(void)file_release(old);
	if (error == 0)
		*retval = newfd;
	return error;
}

int
sys_dup(struct lwp *l __unused, const void *v, register_t *retval)
{
	SYSCALL_ARGS(dup);

	return dodup(SCARG(uap, oldfd), 0, 0, retval);
}

int
sys_dup2(struct lwp *l __unused, const void *v, register_t *retval)
{
	SYSCALL_ARGS(dup2);
	struct file *fp;
	int error;

	if (SCARG(uap, oldfd) == SCARG(uap, newfd)) {
		if ((error = fd_getfile(SCARG(uap, oldfd), &fp)) != 0)
			return error;
		(void)file_release(fp);
		*retval = SCARG(uap, newfd);
		return 0;
	}
	return dodup2(SCARG(uap, oldfd), SCARG(uap, newfd), 0, retval);
}

int
sys_dup3(struct lwp *l __unused, const void *v, register_t *retval)
{
	SYSCALL_ARGS(dup3);

	if (SCARG(uap, flags) & ~O_CLOEXEC)
		return EINVAL;
	if (SCARG(uap, oldfd) == SCARG(uap, newfd))
		return EINVAL;
	return dodup2(SCARG(uap, oldfd), SCARG(uap, newfd),
	    (SCARG(uap, flags) & O_CLOEXEC) ? FD_CLOEXEC : 0, retval);
}

#define SETFL_MASK (O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME)

int
sys_fcntl(struct lwp *l __unused, const void *v, register_t *retval)
{
	SYSCALL_ARGS(fcntl);
	struct filedesc *fdp = curproc->p_fd;
	int fd = SCARG(uap, fd), error;
	long arg = SCARG(uap, arg);
	struct file *fp;

	if ((error = fd_getfile(fd, &fp)) != 0)
		return error;
	switch (SCARG(uap, cmd)) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		if (arg < 0 || arg >= fd_limit()) {
			error = EINVAL;
			break;
		}
		error = dodup(fd, (int)arg,
		    SCARG(uap, cmd) == F_DUPFD_CLOEXEC ? FD_CLOEXEC : 0,
		    retval);
		break;
	case F_GETFD:
		mutex_enter(&fdp->fd_lock);
		if (fd < fdp->fd_nfiles && fdp->fd_files[fd] == fp)
			*retval = fdp->fd_flags[fd];
		else
			error = EBADF;
		mutex_exit(&fdp->fd_lock);
		break;
	case F_SETFD:
		mutex_enter(&fdp->fd_lock);
		if (fd < fdp->fd_nfiles && fdp->fd_files[fd] == fp)
			fdp->fd_flags[fd] = (uint8_t)(arg & FD_CLOEXEC);
		else
			error = EBADF;
		mutex_exit(&fdp->fd_lock);
		break;
	case F_GETFL:
		mutex_enter(&fp->f_lock);
		*retval = fp->f_flag;
		mutex_exit(&fp->f_lock);
		break;
	case F_SETFL:
		if (fp->f_ops->fo_fcntl_setfl != NULL)
			error = fp->f_ops->fo_fcntl_setfl(fp, (int)arg);
		if (error == 0) {
			mutex_enter(&fp->f_lock);
			fp->f_flag = (fp->f_flag & ~SETFL_MASK) |
			    ((int)arg & SETFL_MASK);
			mutex_exit(&fp->f_lock);
		}
		break;
	default:
		error = EINVAL;
		break;
	}
	(void)file_release(fp);
	return error;
}
