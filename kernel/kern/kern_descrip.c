/*
 * kern_descrip.c — descriptor tables, open files and the system calls that
 * work on any descriptor: read, write, readv, writev, pread64, pwrite64,
 * preadv, pwritev, lseek, fstat, ioctl, close, close_range, dup, dup2,
 * dup3 and fcntl.
 *
 * A descriptor table belongs to one or more processes (rfork with flags 0
 * shares it).  Each slot points to an open file, which holds a reference
 * per slot and per call in progress; the file's ops (vnode, pipe, socket,
 * console) do the work and are called without the table's lock.  The
 * console file here is what pid 1 has on descriptors 0, 1 and 2: writes go
 * to the platform's console, reads see end of file.
 *
 * Closing a descriptor runs the factions' ph_fdclose hooks for the file
 * (kern_hooks.c) before the slot's reference goes: on every close of a
 * descriptor, as Linux drops a process's record locks on any close.
 *
 * A process's p_fd changes only when close_range(CLOSE_RANGE_UNSHARE)
 * gives it a private copy; it is written under p_lock and read with an
 * atomic load, so the process's other lwps see either table whole.  f_flag
 * is written under f_lock with atomic stores, so the access mode and
 * O_NONBLOCK may be read with an atomic load and no lock.
 */
#include "syscall.h"

int vfs_fcntl_lock(struct file *fp, int cmd, void *uarg) __attribute__((weak));

#define FD_INITIAL 32
#define IOV_MAX    1024
#define SSIZE_MAX  0x7fffffffffffffffL
#define FIOASYNC   0x5452

/* The current process's descriptor table. */
static inline struct filedesc *
fd_table(void)
{
	return atomic_load_acquire(&curproc->p_fd);
}

/* The open flags of fp (O_ACCMODE, O_NONBLOCK, ...), read without f_lock. */
static inline int
file_flags(struct file *fp)
{
	return atomic_load_relaxed(&fp->f_flag);
}

/*
 * Process p gives up one descriptor of fp: the hooks run (p is NULL when
 * the table's process is not known, see fd_free), then the slot's
 * reference goes.
 */
static int
fd_closefile(struct proc *p, struct file *fp)
{
	if (p != NULL)
		proc_hooks_fdclose(p, fp);
	return file_release(fp);
}

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

/*
 * Drops process p's reference to table fdp; the last one closes every
 * descriptor in it, running the ph_fdclose hooks for p (none when p is
 * NULL).
 */
/*
 * Process p exits: whatever becomes of its (maybe shared) table, its record
 * locks go, as if it closed each of its descriptors (the ph_fdclose hooks).
 */
void
fd_exit_hooks(struct proc *p)
{
	struct filedesc *fdp = p->p_fd;

	for (int i = 0;; i++) {
		struct file *fp = NULL;

		mutex_enter(&fdp->fd_lock);
		if (i >= fdp->fd_nfiles) {
			mutex_exit(&fdp->fd_lock);
			break;
		}
		if ((fp = fdp->fd_files[i]) != NULL)
			file_hold(fp);
		mutex_exit(&fdp->fd_lock);
		if (fp != NULL) {
			proc_hooks_fdclose(p, fp);
			(void)file_release(fp);
		}
	}
}

void fd_free_proc(struct proc *p, struct filedesc *fdp);
void
fd_free_proc(struct proc *p, struct filedesc *fdp)
{
	if (atomic_dec(&fdp->fd_refcnt) != 0)
		return;
	for (int i = 0; i < fdp->fd_nfiles; i++)
		if (fdp->fd_files[i] != NULL)
			(void)fd_closefile(p, fdp->fd_files[i]);
	kmem_free(
	    fdp->fd_files, sizeof(struct file *) * (size_t)fdp->fd_nfiles);
	kmem_free(fdp->fd_flags, (size_t)fdp->fd_nfiles);
	mutex_destroy(&fdp->fd_lock);
	kmem_free(fdp, sizeof(*fdp));
}

/*
 * fd_free does not know whose table it frees: the hooks run for the
 * current process when the table is its own, and not at all otherwise
 * (at exit the process is no longer current and its ph_exit hooks
 * release what it held; a caller that knows the process and wants the
 * hooks uses fd_free_proc).
 */
void
fd_free(struct filedesc *fdp)
{
	struct lwp *l = curlwp;
	struct proc *p = NULL;

	if (l != NULL && atomic_load_acquire(&l->l_proc->p_fd) == fdp)
		p = l->l_proc;
	fd_free_proc(p, fdp);
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
	struct filedesc *fdp = fd_table();
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

/* Empties slot fd of fdp and returns what it held (NULL if nothing). */
static struct file *
fd_take(struct filedesc *fdp, int fd)
{
	struct file *fp = NULL;

	mutex_enter(&fdp->fd_lock);
	if (fd >= 0 && fd < fdp->fd_nfiles) {
		fp = fdp->fd_files[fd];
		fdp->fd_files[fd] = NULL;
		fdp->fd_flags[fd] = 0;
	}
	mutex_exit(&fdp->fd_lock);
	return fp;
}

int
fd_close(int fd)
{
	struct file *fp;

	if ((fp = fd_take(fd_table(), fd)) == NULL)
		return EBADF;
	return fd_closefile(curproc, fp);
}

/*
 * Takes back a descriptor just installed (a call that made it failed
 * later, e.g. copying out its number): the slot is emptied only if it
 * still holds fp, since another thread may have reused it meanwhile.
 */
void fd_abort(int fd, struct file *fp);
void
fd_abort(int fd, struct file *fp)
{
	struct filedesc *fdp = fd_table();
	bool ours = false;

	mutex_enter(&fdp->fd_lock);
	if (fd >= 0 && fd < fdp->fd_nfiles && fdp->fd_files[fd] == fp) {
		fdp->fd_files[fd] = NULL;
		fdp->fd_flags[fd] = 0;
		ours = true;
	}
	mutex_exit(&fdp->fd_lock);
	if (ours)
		(void)file_release(fp);
}

/* The console: writes go to the platform's console, reads see EOF. */
static int
console_read(
    struct file *fp __unused, struct uio *uio __unused, int flags __unused)
{
	return 0;
}

static int
console_write(struct file *fp __unused, struct uio *uio, int flags __unused)
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

/* The console looks like Linux's /dev/console: character device 5:1. */
static int
console_stat(struct file *fp __unused, struct stat *st)
{
	uint64_t ns = boottime_ns;

	st->st_dev = makedev(0, 6);
	st->st_ino = 1;
	st->st_nlink = 1;
	st->st_mode = S_IFCHR | 0600;
	st->st_rdev = makedev(5, 1);
	st->st_blksize = 1024;
	st->st_atim.tv_sec = st->st_mtim.tv_sec = st->st_ctim.tv_sec =
	    (time_t)(ns / 1000000000u);
	st->st_atim.tv_nsec = st->st_mtim.tv_nsec = st->st_ctim.tv_nsec =
	    (long)(ns % 1000000000u);
	return 0;
}

static const struct fileops console_fileops = {
    .fo_read = console_read,
    .fo_write = console_write,
    .fo_stat = console_stat,
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

/*
 * Reads from fd into uio.  With FOF_UPDATE_OFFSET at the file's offset
 * (read, readv); without it at uio->uio_offset (pread64, preadv), which
 * only files that can seek allow.
 */
static int
dofileread(int fd, struct uio *uio, int flags, register_t *retval)
{
	struct file *fp;
	size_t resid = uio->uio_resid;
	int error;

	if ((error = fd_getfile(fd, &fp)) != 0)
		return error;
	if (!(flags & FOF_UPDATE_OFFSET) && fp->f_ops->fo_seek == NULL)
		error = ESPIPE;
	else if ((file_flags(fp) & O_ACCMODE) == O_WRONLY ||
	    fp->f_ops->fo_read == NULL)
		error = EBADF;
	else
		error = fp->f_ops->fo_read(fp, uio, flags);
	(void)file_release(fp);
	/* A transfer cut short by an error reports what was moved. */
	if (uio->uio_resid != resid && (error == EINTR || error == EAGAIN))
		error = 0;
	*retval = (register_t)(resid - uio->uio_resid);
	return error;
}

/* Writes uio to fd; flags as for dofileread. */
static int
dofilewrite(int fd, struct uio *uio, int flags, register_t *retval)
{
	struct file *fp;
	size_t resid = uio->uio_resid;
	int error;

	if ((error = fd_getfile(fd, &fp)) != 0)
		return error;
	if (!(flags & FOF_UPDATE_OFFSET) && fp->f_ops->fo_seek == NULL)
		error = ESPIPE;
	else if ((file_flags(fp) & O_ACCMODE) == O_RDONLY ||
	    fp->f_ops->fo_write == NULL)
		error = EBADF;
	else
		error = fp->f_ops->fo_write(fp, uio, flags);
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
	return dofileread(SCARG(uap, fd), &uio, FOF_UPDATE_OFFSET, retval);
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
	return dofilewrite(SCARG(uap, fd), &uio, FOF_UPDATE_OFFSET, retval);
}

/* pread64/pwrite64: Linux checks the offset before the descriptor. */
int
sys_pread64(struct lwp *l __unused, const void *v, register_t *retval)
{
	SYSCALL_ARGS(pread64);
	struct iovec iov = {SCARG(uap, buf), SCARG(uap, count)};
	struct uio uio = {
	    &iov, 1, SCARG(uap, offset), SCARG(uap, count), UIO_READ, false};

	if (SCARG(uap, offset) < 0 || SCARG(uap, count) > (size_t)SSIZE_MAX)
		return EINVAL;
	return dofileread(SCARG(uap, fd), &uio, 0, retval);
}

int
sys_pwrite64(struct lwp *l __unused, const void *v, register_t *retval)
{
	SYSCALL_ARGS(pwrite64);
	struct iovec iov = {
	    (void *)(uintptr_t)SCARG(uap, buf), SCARG(uap, count)};
	struct uio uio = {
	    &iov, 1, SCARG(uap, offset), SCARG(uap, count), UIO_WRITE, false};

	if (SCARG(uap, offset) < 0 || SCARG(uap, count) > (size_t)SSIZE_MAX)
		return EINVAL;
	return dofilewrite(SCARG(uap, fd), &uio, 0, retval);
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

/* readv/writev (flags FOF_UPDATE_OFFSET) and preadv/pwritev (offset). */
static int
dofilev(int fd, const struct iovec *uiov, int iovcnt, off_t offset, int flags,
    enum uio_rw rw, register_t *retval)
{
	struct iovec *iov;
	struct uio uio;
	size_t resid;
	int error;

	if ((error = iov_copyin(uiov, iovcnt, &iov, &resid)) != 0)
		return error;
	uio = (struct uio){iov, iovcnt, offset, resid, rw, false};
	if (rw == UIO_READ)
		error = dofileread(fd, &uio, flags, retval);
	else
		error = dofilewrite(fd, &uio, flags, retval);
	if (iov != NULL)
		kmem_free(iov, sizeof(*iov) * (size_t)iovcnt);
	return error;
}

int
sys_readv(struct lwp *l __unused, const void *v, register_t *retval)
{
	SYSCALL_ARGS(readv);

	return dofilev(SCARG(uap, fd), SCARG(uap, iov), SCARG(uap, iovcnt), 0,
	    FOF_UPDATE_OFFSET, UIO_READ, retval);
}

int
sys_writev(struct lwp *l __unused, const void *v, register_t *retval)
{
	SYSCALL_ARGS(writev);

	return dofilev(SCARG(uap, fd), SCARG(uap, iov), SCARG(uap, iovcnt), 0,
	    FOF_UPDATE_OFFSET, UIO_WRITE, retval);
}

/*
 * preadv/pwritev.  The raw Linux calls split the offset in two registers
 * (low, high); on a 64-bit architecture the low one holds all of it and
 * the high one is ignored, which is the table's single off_t.
 */
int
sys_preadv(struct lwp *l __unused, const void *v, register_t *retval)
{
	SYSCALL_ARGS(preadv);

	if (SCARG(uap, offset) < 0)
		return EINVAL;
	return dofilev(SCARG(uap, fd), SCARG(uap, iov), SCARG(uap, iovcnt),
	    SCARG(uap, offset), 0, UIO_READ, retval);
}

int
sys_pwritev(struct lwp *l __unused, const void *v, register_t *retval)
{
	SYSCALL_ARGS(pwritev);

	if (SCARG(uap, offset) < 0)
		return EINVAL;
	return dofilev(SCARG(uap, fd), SCARG(uap, iov), SCARG(uap, iovcnt),
	    SCARG(uap, offset), 0, UIO_WRITE, retval);
}

int
sys_lseek(struct lwp *l __unused, const void *v, register_t *retval)
{
	SYSCALL_ARGS(lseek);
	struct file *fp;
	off_t newoff = 0;
	int error;

	if ((error = fd_getfile(SCARG(uap, fd), &fp)) != 0)
		return error;
	if (fp->f_ops->fo_seek == NULL)
		error = ESPIPE;
	else
		error = fp->f_ops->fo_seek(
		    fp, SCARG(uap, offset), SCARG(uap, whence), &newoff);
	(void)file_release(fp);
	if (error == 0)
		*retval = (register_t)newoff;
	return error;
}

int
sys_fstat(struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(fstat);
	struct file *fp;
	struct stat st;
	int error;

	if ((error = fd_getfile(SCARG(uap, fd), &fp)) != 0)
		return error;
	memset(&st, 0, sizeof(st));
	if (fp->f_ops->fo_stat == NULL)
		error = EINVAL;
	else
		error = fp->f_ops->fo_stat(fp, &st);
	(void)file_release(fp);
	if (error == 0)
		error = copyout(&st, SCARG(uap, statbuf), sizeof(st));
	return error;
}

int
sys_close(struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(close);

	return fd_close(SCARG(uap, fd));
}

/*
 * Gives process p a private copy of its descriptor table if it shares
 * one (close_range's CLOSE_RANGE_UNSHARE).  The shared table loses p's
 * reference; the files stay open in both.
 */
static int
fd_unshare(struct proc *p)
{
	struct filedesc *old = atomic_load_acquire(&p->p_fd), *new;
	int error;

	if (atomic_load_relaxed(&old->fd_refcnt) == 1)
		return 0;
	if ((error = fd_copy(old, &new)) != 0)
		return error;
	mutex_enter(&p->p_lock);
	atomic_store_release(&p->p_fd, new);
	mutex_exit(&p->p_lock);
	fd_free(old); /* not p's table any more: no hooks run */
	return 0;
}

/*
 * close_range: closes descriptors first..last, or with CLOSE_RANGE_CLOEXEC
 * marks them close-on-exec; CLOSE_RANGE_UNSHARE first gives the process a
 * table of its own, so the others sharing the old one keep theirs.
 */
int
sys_close_range(struct lwp *l, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(close_range);
	unsigned first = SCARG(uap, first), last = SCARG(uap, last);
	int flags = SCARG(uap, flags), error;
	struct filedesc *fdp;
	struct file *fp;

	if (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC))
		return EINVAL;
	if (first > last)
		return EINVAL;
	if ((flags & CLOSE_RANGE_UNSHARE) &&
	    (error = fd_unshare(l->l_proc)) != 0)
		return error;
	fdp = fd_table();
	if (flags & CLOSE_RANGE_CLOEXEC) {
		mutex_enter(&fdp->fd_lock);
		for (unsigned fd = first;
		     fd <= last && fd < (unsigned)fdp->fd_nfiles; fd++)
			if (fdp->fd_files[fd] != NULL)
				fdp->fd_flags[fd] |= FD_CLOEXEC;
		mutex_exit(&fdp->fd_lock);
		return 0;
	}
	/* One slot at a time: files are closed without the table's lock. */
	for (unsigned fd = first; fd <= last; fd++) {
		mutex_enter(&fdp->fd_lock);
		if (fd >= (unsigned)fdp->fd_nfiles) {
			mutex_exit(&fdp->fd_lock);
			break;
		}
		mutex_exit(&fdp->fd_lock);
		if ((fp = fd_take(fdp, (int)fd)) != NULL)
			(void)fd_closefile(l->l_proc, fp);
		if (fd == ~0u)
			break;
	}
	return 0;
}

static int
dodup(int oldfd, int minfd, int fdflags, register_t *retval)
{
	struct file *fp;
	int error, fd;

	if ((error = fd_getfile(oldfd, &fp)) != 0)
		return error;
	error = fd_install(fd_table(), fp, minfd, fdflags, &fd);
	(void)file_release(fp);
	if (error == 0)
		*retval = fd;
	return error;
}

/* dup2/dup3: newfd names the slot; what was there is closed. */
static int
dodup2(int oldfd, int newfd, int fdflags, register_t *retval)
{
	struct filedesc *fdp = fd_table();
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
		(void)fd_closefile(curproc, old);
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

/*
 * Sets the changeable status flags of fp (SETFL_MASK) to those of flags:
 * the file's own fo_fcntl_setfl sees the request first and may refuse it.
 */
static int
file_setfl(struct file *fp, int flags)
{
	int error = 0;

	if (fp->f_ops->fo_fcntl_setfl != NULL)
		error = fp->f_ops->fo_fcntl_setfl(fp, flags);
	if (error == 0) {
		mutex_enter(&fp->f_lock);
		atomic_store_relaxed(&fp->f_flag,
		    (fp->f_flag & ~SETFL_MASK) | (flags & SETFL_MASK));
		mutex_exit(&fp->f_lock);
	}
	return error;
}

/* Sets or clears FD_CLOEXEC of descriptor fd, if it still holds fp. */
static int
fd_setcloexec(int fd, struct file *fp, bool on)
{
	struct filedesc *fdp = fd_table();
	int error = 0;

	mutex_enter(&fdp->fd_lock);
	if (fd < fdp->fd_nfiles && fdp->fd_files[fd] == fp) {
		if (on)
			fdp->fd_flags[fd] |= FD_CLOEXEC;
		else
			fdp->fd_flags[fd] &= (uint8_t)~FD_CLOEXEC;
	} else {
		error = EBADF;
	}
	mutex_exit(&fdp->fd_lock);
	return error;
}

int
sys_fcntl(struct lwp *l __unused, const void *v, register_t *retval)
{
	SYSCALL_ARGS(fcntl);
	struct filedesc *fdp = fd_table();
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
		error = fd_setcloexec(fd, fp, (arg & FD_CLOEXEC) != 0);
		break;
	case F_GETFL:
		*retval = file_flags(fp);
		break;
	case F_SETFL:
		error = file_setfl(fp, (int)arg);
		break;
	case F_GETLK:
	case F_SETLK:
	case F_SETLKW:
	case F_OFD_GETLK:
	case F_OFD_SETLK:
	case F_OFD_SETLKW:
		/* Record locks are the VFS's (vfs_lockf.c), on vnodes only. */
		if (vfs_fcntl_lock == NULL || fp->f_ops->fo_type != DTYPE_VNODE)
			error = EBADF;
		else
			error =
			    vfs_fcntl_lock(fp, SCARG(uap, cmd), (void *)arg);
		break;
	default:
		error = EINVAL;
		break;
	}
	(void)file_release(fp);
	return error;
}

/*
 * ioctl: the requests every file answers alike are done here (FIONBIO
 * and FIOASYNC set a status flag as fcntl(F_SETFL) does, FIOCLEX and
 * FIONCLEX the descriptor's close-on-exec flag); the rest go to the
 * file.  Linux takes the request as 32 bits, so does this.
 */
int
sys_ioctl(struct lwp *l __unused, const void *v, register_t *retval)
{
	SYSCALL_ARGS(ioctl);
	unsigned cmd = (unsigned)SCARG(uap, request);
	void *arg = SCARG(uap, arg);
	int fd = SCARG(uap, fd), error, on, bit;
	struct file *fp;

	if ((error = fd_getfile(fd, &fp)) != 0)
		return error;
	switch (cmd) {
	case FIOCLEX:
	case FIONCLEX:
		error = fd_setcloexec(fd, fp, cmd == FIOCLEX);
		break;
	case FIONBIO:
	case FIOASYNC:
		if ((error = copyin(arg, &on, sizeof(on))) != 0)
			break;
		bit = cmd == FIONBIO ? O_NONBLOCK : O_ASYNC;
		error = file_setfl(
		    fp, on ? file_flags(fp) | bit : file_flags(fp) & ~bit);
		break;
	default:
		if (fp->f_ops->fo_ioctl == NULL)
			error = ENOTTY;
		else
			error = fp->f_ops->fo_ioctl(fp, cmd, arg, retval);
		break;
	}
	(void)file_release(fp);
	return error;
}
