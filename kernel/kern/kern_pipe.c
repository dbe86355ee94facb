/*
 * kern_pipe.c — pipes: the pipe and pipe2 system calls, the file ops of
 * a pipe's ends, and the small interface (pipe.h) through which the VFS
 * makes FIFOs on the same buffers.
 *
 * A pipe carries bytes one way through a ring buffer of PIPE_SIZE bytes.
 * Readers take what is there and wait only while it is empty; writers
 * wait for room, and a write of at most PIPE_BUF bytes waits until all of
 * it fits, so it lands in one piece between other writers' data.  Waiting
 * is on a condition variable, which releases the virtual CPU.  Writing
 * with no reader left is EPIPE and raises SIGPIPE in the caller's
 * process; reading with no writer left and nothing buffered is end of
 * file.  Pollers are recorded on the side they wait for (pipe_rsel,
 * pipe_wsel) under pipe_lock, the lock under which the state they test
 * changes, so no wakeup falls between a test and a record.
 *
 * Life: pipe_create (one reference, the creator's) → pipe_open_end per
 * end (each file holds a reference) → the ends close (fo_close) → the
 * last reference frees the pipe.  pipe(2) drops the creator's reference
 * as soon as both ends exist; a FIFO's vnode keeps it.
 */
#include "syscall.h"

#include "pipe.h"

#define PIPE_SIZE (64 * 1024)
CTASSERT(PIPE_BUF <= PIPE_SIZE);

/*
 * [l] pipe_lock  [a] atomic  [I] immutable after pipe_create
 * Lock order: f_lock and pipe_lock are never held together; pipe_lock →
 * sel_lock (kern_poll.c).
 */
struct pipe {
	kmutex_t pipe_lock;
	kcondvar_t pipe_rcv;      /* readers wait for data or for EOF */
	kcondvar_t pipe_wcv;      /* writers wait for room or no reader */
	kcondvar_t pipe_ocv;      /* FIFO opens wait for the other end */
	struct selinfo pipe_rsel; /* [l] pollers of the read end */
	struct selinfo pipe_wsel; /* [l] pollers of the write end */
	char *pipe_buf;           /* [I] PIPE_SIZE bytes */
	size_t pipe_head;         /* [l] offset of the first byte held */
	size_t pipe_cnt;          /* [l] bytes held */
	int pipe_readers;         /* [l] open read ends */
	int pipe_writers;         /* [l] open write ends */
	unsigned pipe_rgen;       /* [l] read ends opened so far */
	unsigned pipe_wgen;       /* [l] write ends opened so far */
	unsigned pipe_refs;       /* [a] the creator's and one per file */
	ino_t pipe_ino;           /* [I] */
	uid_t pipe_uid;           /* [I] */
	gid_t pipe_gid;           /* [I] */
	uint64_t pipe_atime;      /* [l] ns of the wall clock */
	uint64_t pipe_mtime;      /* [l] */
	uint64_t pipe_ctime;      /* [l] */
};

static ino_t pipe_nextino; /* [a] */

/* Which ends a file of the pipe is: its access mode (never changes). */
static inline bool
pipe_reads(struct file *fp)
{
	return (atomic_load_relaxed(&fp->f_flag) & O_ACCMODE) != O_WRONLY;
}

static inline bool
pipe_writes(struct file *fp)
{
	return (atomic_load_relaxed(&fp->f_flag) & O_ACCMODE) != O_RDONLY;
}

static inline bool
pipe_nonblock(struct file *fp)
{
	return (atomic_load_relaxed(&fp->f_flag) & O_NONBLOCK) != 0;
}

int
pipe_create(struct pipe **pp)
{
	struct pipe *p;
	kauth_cred_t cred;

	if ((p = kmem_zalloc(sizeof(*p), KM_SLEEP)) == NULL)
		return ENOMEM;
	if ((p->pipe_buf = kmem_alloc(PIPE_SIZE, KM_SLEEP)) == NULL) {
		kmem_free(p, sizeof(*p));
		return ENOMEM;
	}
	mutex_init(&p->pipe_lock, MUTEX_DEFAULT);
	cv_init(&p->pipe_rcv);
	cv_init(&p->pipe_wcv);
	cv_init(&p->pipe_ocv);
	p->pipe_refs = 1;
	p->pipe_ino = atomic_inc(&pipe_nextino);
	cred = kauth_cred_get();
	p->pipe_uid = cred->cr_euid;
	p->pipe_gid = cred->cr_egid;
	kauth_cred_free(cred);
	p->pipe_atime = p->pipe_mtime = p->pipe_ctime = getnanotime();
	*pp = p;
	return 0;
}

void
pipe_release(struct pipe *p)
{
	if (atomic_dec(&p->pipe_refs) != 0)
		return;
	KASSERT(p->pipe_readers == 0 && p->pipe_writers == 0);
	seldestroy(&p->pipe_rsel);
	seldestroy(&p->pipe_wsel);
	cv_destroy(&p->pipe_rcv);
	cv_destroy(&p->pipe_wcv);
	cv_destroy(&p->pipe_ocv);
	mutex_destroy(&p->pipe_lock);
	kmem_free(p->pipe_buf, PIPE_SIZE);
	kmem_free(p, sizeof(*p));
}

/* Data went in: wake readers and their pollers.  Holds pipe_lock. */
static void
pipe_wake_readers(struct pipe *p)
{
	KASSERT(mutex_owned(&p->pipe_lock));
	cv_broadcast(&p->pipe_rcv);
	selnotify(&p->pipe_rsel, POLLIN | POLLRDNORM);
}

/* Room came free: wake writers and their pollers.  Holds pipe_lock. */
static void
pipe_wake_writers(struct pipe *p)
{
	KASSERT(mutex_owned(&p->pipe_lock));
	cv_broadcast(&p->pipe_wcv);
	selnotify(&p->pipe_wsel, POLLOUT | POLLWRNORM);
}

/* Reads what is there, waiting only while nothing is. */
static int
pipe_read(struct file *fp, struct uio *uio, int flags __unused)
{
	struct pipe *p = fp->f_data;
	size_t resid = uio->uio_resid, moved;
	int error = 0;

	if (resid == 0)
		return 0;
	mutex_enter(&p->pipe_lock);
	while (p->pipe_cnt == 0) {
		if (p->pipe_writers == 0)
			goto out; /* end of file */
		if (pipe_nonblock(fp)) {
			error = EAGAIN;
			goto out;
		}
		cv_wait(&p->pipe_rcv, &p->pipe_lock);
	}
	while (p->pipe_cnt > 0 && uio->uio_resid > 0) {
		size_t n = MIN(p->pipe_cnt, PIPE_SIZE - p->pipe_head);
		size_t before = uio->uio_resid, done;

		error = uiomove(p->pipe_buf + p->pipe_head, n, uio);
		done = before - uio->uio_resid;
		p->pipe_head = (p->pipe_head + done) % PIPE_SIZE;
		p->pipe_cnt -= done;
		if (error)
			break;
	}
	if (p->pipe_cnt == 0)
		p->pipe_head = 0; /* the next write lands in one piece */
	moved = resid - uio->uio_resid;
	if (moved > 0) {
		p->pipe_atime = getnanotime();
		pipe_wake_writers(p);
		if (error == EFAULT)
			error = 0; /* report the bytes that made it */
	}
out:
	mutex_exit(&p->pipe_lock);
	return error;
}

/*
 * Writes all of uio unless there is no reader (EPIPE) or, non-blocking,
 * no room (EAGAIN: the caller reports a partial count).  A write of at
 * most PIPE_BUF bytes goes in whole, at once.
 */
static int
pipe_write(struct file *fp, struct uio *uio, int flags __unused)
{
	struct pipe *p = fp->f_data;
	size_t resid = uio->uio_resid, space, need;
	bool whole = resid <= PIPE_BUF, sigpipe = false;
	int error = 0;

	if (resid == 0)
		return 0;
	mutex_enter(&p->pipe_lock);
	for (;;) {
		if (p->pipe_readers == 0) {
			error = EPIPE;
			sigpipe = true;
			break;
		}
		space = PIPE_SIZE - p->pipe_cnt;
		need = whole ? uio->uio_resid : 1;
		if (space < need) {
			if (pipe_nonblock(fp)) {
				error = EAGAIN;
				break;
			}
			cv_wait(&p->pipe_wcv, &p->pipe_lock);
			continue;
		}
		while (space > 0 && uio->uio_resid > 0) {
			size_t tail = (p->pipe_head + p->pipe_cnt) % PIPE_SIZE;
			size_t before = uio->uio_resid, done;

			error = uiomove(p->pipe_buf + tail,
			    MIN(space, PIPE_SIZE - tail), uio);
			done = before - uio->uio_resid;
			p->pipe_cnt += done;
			space -= done;
			if (error)
				break;
		}
		pipe_wake_readers(p);
		if (error || uio->uio_resid == 0)
			break;
	}
	if (uio->uio_resid != resid) {
		p->pipe_mtime = p->pipe_ctime = getnanotime();
		/* Bytes that went in are reported, as Linux does. */
		if (error == EPIPE || error == EFAULT)
			error = 0;
	}
	mutex_exit(&p->pipe_lock);
	/* The same path as kill(2) to the caller's own process. */
	if (sigpipe)
		(void)rumpuser_kill(RUMPUSER_PID_SELF, SIGPIPE);
	return error;
}

static int
pipe_ioctl(
    struct file *fp, unsigned long cmd, void *uarg, register_t *retval __unused)
{
	struct pipe *p = fp->f_data;
	int n;

	switch (cmd) {
	case FIONREAD:
		mutex_enter(&p->pipe_lock);
		n = (int)p->pipe_cnt;
		mutex_exit(&p->pipe_lock);
		return copyout(&n, uarg, sizeof(n));
	default:
		return ENOTTY;
	}
}

/*
 * The read end is readable with data held, and hung up once no writer
 * is left; the write end is writable with room for PIPE_BUF bytes, and in
 * error once no reader is left.  (Linux spares a FIFO reader that never
 * saw a writer the POLLHUP; this does not.)
 */
static int
pipe_poll(struct file *fp, int events)
{
	struct pipe *p = fp->f_data;
	bool r = pipe_reads(fp), w = pipe_writes(fp);
	int revents = 0;

	mutex_enter(&p->pipe_lock);
	if (r) {
		if (p->pipe_cnt > 0)
			revents |= POLLIN | POLLRDNORM;
		if (p->pipe_writers == 0)
			revents |= POLLHUP;
	}
	if (w) {
		if (PIPE_SIZE - p->pipe_cnt >= PIPE_BUF)
			revents |= POLLOUT | POLLWRNORM;
		if (p->pipe_readers == 0)
			revents |= POLLERR;
	}
	revents &= events | POLLHUP | POLLERR;
	if (revents == 0) {
		if (r)
			selrecord(&p->pipe_rsel);
		if (w)
			selrecord(&p->pipe_wsel);
	}
	mutex_exit(&p->pipe_lock);
	return revents;
}

static void
ns_to_timespec(uint64_t ns, struct timespec *ts)
{
	ts->tv_sec = (time_t)(ns / 1000000000u);
	ts->tv_nsec = (long)(ns % 1000000000u);
}

/* As Linux's pipefs: a FIFO of size 0, owned by its maker, mode 0600. */
static int
pipe_stat(struct file *fp, struct stat *st)
{
	struct pipe *p = fp->f_data;

	st->st_dev = makedev(0, 12);
	st->st_ino = p->pipe_ino;
	st->st_nlink = 1;
	st->st_mode = S_IFIFO | S_IRUSR | S_IWUSR;
	st->st_uid = p->pipe_uid;
	st->st_gid = p->pipe_gid;
	st->st_blksize = 4096;
	mutex_enter(&p->pipe_lock);
	ns_to_timespec(p->pipe_atime, &st->st_atim);
	ns_to_timespec(p->pipe_mtime, &st->st_mtim);
	ns_to_timespec(p->pipe_ctime, &st->st_ctim);
	mutex_exit(&p->pipe_lock);
	return 0;
}

/*
 * An end goes: the other side learns it (EOF, EPIPE, POLLHUP, POLLERR).
 * When the last end of all goes, what is held is thrown away.
 */
static int
pipe_close(struct file *fp)
{
	struct pipe *p = fp->f_data;

	mutex_enter(&p->pipe_lock);
	if (pipe_reads(fp))
		p->pipe_readers--;
	if (pipe_writes(fp))
		p->pipe_writers--;
	KASSERT(p->pipe_readers >= 0 && p->pipe_writers >= 0);
	if (p->pipe_readers == 0 && p->pipe_writers == 0)
		p->pipe_head = p->pipe_cnt = 0;
	pipe_wake_readers(p);
	pipe_wake_writers(p);
	mutex_exit(&p->pipe_lock);
	pipe_release(p);
	return 0;
}

static const struct fileops pipe_fileops = {
    .fo_read = pipe_read,
    .fo_write = pipe_write,
    .fo_ioctl = pipe_ioctl,
    .fo_poll = pipe_poll,
    .fo_stat = pipe_stat,
    .fo_close = pipe_close,
    .fo_type = DTYPE_PIPE,
};

/*
 * A pipe file has no offset: its f_offset keeps how many times the other
 * end had been opened when this one was, for pipe_wait_peer.
 */
int
pipe_open_end(struct pipe *p, int fflags, struct file **fpp)
{
	int mode = fflags & O_ACCMODE, error;
	unsigned peergen = 0;
	struct file *fp;

	if (mode != O_RDONLY && mode != O_WRONLY && mode != O_RDWR)
		return EINVAL;
	fflags &= ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC);
	mutex_enter(&p->pipe_lock);
	if (mode == O_WRONLY && (fflags & O_NONBLOCK) && p->pipe_readers == 0) {
		mutex_exit(&p->pipe_lock);
		return ENXIO;
	}
	if (mode != O_WRONLY) {
		peergen = p->pipe_wgen;
		p->pipe_readers++;
		p->pipe_rgen++;
	}
	if (mode != O_RDONLY) {
		peergen = p->pipe_rgen - (mode == O_RDWR);
		p->pipe_writers++;
		p->pipe_wgen++;
	}
	cv_broadcast(&p->pipe_ocv);
	mutex_exit(&p->pipe_lock);
	atomic_inc(&p->pipe_refs);

	if ((error = file_alloc(&pipe_fileops, p, fflags, &fp)) != 0) {
		/* Close the end again, as pipe_close would. */
		mutex_enter(&p->pipe_lock);
		if (mode != O_WRONLY)
			p->pipe_readers--;
		if (mode != O_RDONLY)
			p->pipe_writers--;
		pipe_wake_readers(p);
		pipe_wake_writers(p);
		mutex_exit(&p->pipe_lock);
		pipe_release(p);
		return error;
	}
	fp->f_offset = peergen;
	*fpp = fp;
	return 0;
}

int
pipe_wait_peer(struct file *fp)
{
	struct pipe *p = fp->f_data;
	int mode = atomic_load_relaxed(&fp->f_flag) & O_ACCMODE;
	unsigned gen;

	KASSERT(fp->f_ops == &pipe_fileops);
	mutex_enter(&fp->f_lock);
	gen = (unsigned)fp->f_offset;
	mutex_exit(&fp->f_lock);
	mutex_enter(&p->pipe_lock);
	if (mode == O_RDONLY)
		while (p->pipe_writers == 0 && p->pipe_wgen == gen)
			cv_wait(&p->pipe_ocv, &p->pipe_lock);
	else if (mode == O_WRONLY)
		while (p->pipe_readers == 0 && p->pipe_rgen == gen)
			cv_wait(&p->pipe_ocv, &p->pipe_lock);
	mutex_exit(&p->pipe_lock);
	return 0;
}

void fd_abort(int fd, struct file *fp); /* kern_descrip.c */

/*
 * pipe2: fds[0] is the read end, fds[1] the write end.  If the numbers
 * cannot be copied out, the descriptors are taken back.
 */
int
sys_pipe2(struct lwp *l, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(pipe2);
	struct filedesc *fdp = atomic_load_acquire(&l->l_proc->p_fd);
	int flags = SCARG(uap, flags), fds[2] = {-1, -1}, fdflags, error;
	struct file *rf = NULL, *wf = NULL;
	struct pipe *p;

	if (flags & ~(O_CLOEXEC | O_NONBLOCK))
		return EINVAL;
	fdflags = (flags & O_CLOEXEC) ? FD_CLOEXEC : 0;
	if ((error = pipe_create(&p)) != 0)
		return error;
	error = pipe_open_end(p, O_RDONLY | (flags & O_NONBLOCK), &rf);
	if (error == 0)
		error = pipe_open_end(p, O_WRONLY | (flags & O_NONBLOCK), &wf);
	pipe_release(p); /* the ends hold it now */
	if (error == 0)
		error = fd_install(fdp, rf, 0, fdflags, &fds[0]);
	if (error == 0)
		error = fd_install(fdp, wf, 0, fdflags, &fds[1]);
	if (error == 0)
		error = copyout(fds, SCARG(uap, fds), sizeof(fds));
	if (error) {
		if (fds[0] >= 0)
			fd_abort(fds[0], rf);
		if (fds[1] >= 0)
			fd_abort(fds[1], wf);
	}
	if (rf != NULL)
		(void)file_release(rf);
	if (wf != NULL)
		(void)file_release(wf);
	return error;
}

int
sys_pipe(struct lwp *l, const void *v, register_t *retval)
{
	SYSCALL_ARGS(pipe);
	struct sys_pipe2_args args;

	memset(&args, 0, sizeof(args));
	SCARG(&args, fds) = SCARG(uap, fds);
	SCARG(&args, flags) = 0;
	return sys_pipe2(l, &args, retval);
}
