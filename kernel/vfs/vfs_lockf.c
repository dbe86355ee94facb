/*
 * vfs_lockf.c — advisory file locks: POSIX record locks (fcntl F_SETLK,
 * F_SETLKW, F_GETLK), open-file-description locks (F_OFD_*) and flock().
 *
 * Every lock is a byte range [start, end] of a vnode, shared (F_RDLCK) or
 * exclusive (F_WRLCK), with an owner: the process for POSIX locks, the
 * open file for OFD and flock() locks.  Locks of one owner never conflict
 * with each other and merge; a new lock of an owner replaces the parts of
 * its older locks it overlaps.  POSIX and OFD locks see each other; flock()
 * locks live apart (as on Linux).  POSIX locks go when their process
 * closes any descriptor of the file or exits; OFD and flock() locks go
 * with the last close of their open file.
 *
 * A blocked F_SETLKW waits on lockf_cv; before it sleeps it checks that
 * the owners it waits for do not, through their own waits, wait for it
 * (EDEADLK otherwise).
 *
 * Lock: lockf_lock guards every v_lockf list and the wait list.
 */
#include "kern/syscall.h"
#include "vfs.h"

#define LF_POSIX 1
#define LF_OFD   2
#define LF_FLOCK 3
#define OFF_MAX  INT64_MAX

struct lockf {
	void *lf_owner;         /* struct proc * or struct file * */
	int lf_kind;            /* LF_* */
	short lf_type;          /* F_RDLCK or F_WRLCK */
	off_t lf_start, lf_end; /* inclusive */
	pid_t lf_pid;           /* POSIX: the owner's pid */
	struct lockf *lf_next;
};

/* An owner asleep in F_SETLKW and the owner it waits for. */
struct lockf_wait {
	void *lw_owner;
	void *lw_blocker;
	struct lockf_wait *lw_next;
};

static kmutex_t lockf_lock;
static kcondvar_t lockf_cv;
static struct lockf_wait *lockf_waits;
static bool lockf_ready;

static void
lockf_init_once(void)
{
	/* Components init single-threaded; the first lock call is later. */
	if (!atomic_load_acquire(&lockf_ready)) {
		mutex_init(&lockf_lock, MUTEX_DEFAULT);
		cv_init(&lockf_cv);
		atomic_store_release(&lockf_ready, true);
	}
}

RUMP_COMPONENT(RUMP_COMPONENT_VFS_FS)
{
	lockf_init_once();
}

static bool
same_family(int a, int b)
{
	return (a == LF_FLOCK) == (b == LF_FLOCK);
}

/* The first lock of another owner that conflicts with the request. */
static struct lockf *
lf_conflict(struct vnode *vp, const struct lockf *req)
{
	struct lockf *lf;

	KASSERT(mutex_owned(&lockf_lock));
	for (lf = vp->v_lockf; lf; lf = lf->lf_next) {
		if (lf->lf_owner == req->lf_owner ||
		    !same_family(lf->lf_kind, req->lf_kind))
			continue;
		if (lf->lf_end < req->lf_start || lf->lf_start > req->lf_end)
			continue;
		if (lf->lf_type == F_WRLCK || req->lf_type == F_WRLCK)
			return lf;
	}
	return NULL;
}

/* Would `owner` waiting for `blocker` close a cycle of waits? */
static bool
lf_deadlock(void *owner, void *blocker)
{
	int depth = 0;

	KASSERT(mutex_owned(&lockf_lock));
	while (blocker != NULL && depth++ < 1000) {
		struct lockf_wait *w;

		if (blocker == owner)
			return true;
		for (w = lockf_waits; w; w = w->lw_next)
			if (w->lw_owner == blocker)
				break;
		blocker = w ? w->lw_blocker : NULL;
	}
	return false;
}

/*
 * Removes the owner's locks (of the same family) in [start, end], splitting
 * the ones that stick out.  *spare is a preallocated lock for a split.
 */
static void
lf_clear(struct vnode *vp, void *owner, int kind, off_t start, off_t end,
    struct lockf **spare)
{
	struct lockf **pp = (struct lockf **)&vp->v_lockf, *lf;

	while ((lf = *pp) != NULL) {
		if (lf->lf_owner != owner || !same_family(lf->lf_kind, kind) ||
		    lf->lf_end < start || lf->lf_start > end) {
			pp = &lf->lf_next;
			continue;
		}
		if (lf->lf_start < start && lf->lf_end > end) {
			/* A hole in the middle: split in two. */
			struct lockf *tail = *spare;

			KASSERT(tail != NULL);
			*spare = NULL;
			*tail = *lf;
			tail->lf_start = end + 1;
			lf->lf_end = start - 1;
			tail->lf_next = lf->lf_next;
			lf->lf_next = tail;
			return;
		}
		if (lf->lf_start < start) {
			lf->lf_end = start - 1;
			pp = &lf->lf_next;
		} else if (lf->lf_end > end) {
			lf->lf_start = end + 1;
			pp = &lf->lf_next;
		} else {
			*pp = lf->lf_next;
			kmem_free(lf, sizeof(*lf));
		}
	}
}

/* Adds req (a copy), merging with the owner's adjacent locks of its type. */
static void
lf_insert(struct vnode *vp, struct lockf *n)
{
	struct lockf **pp = (struct lockf **)&vp->v_lockf, *lf;

	while ((lf = *pp) != NULL) {
		if (lf->lf_owner == n->lf_owner && lf->lf_kind == n->lf_kind &&
		    lf->lf_type == n->lf_type &&
		    (lf->lf_end == OFF_MAX || lf->lf_end + 1 >= n->lf_start) &&
		    (n->lf_end == OFF_MAX || n->lf_end + 1 >= lf->lf_start)) {
			n->lf_start = MIN(n->lf_start, lf->lf_start);
			n->lf_end = MAX(n->lf_end, lf->lf_end);
			*pp = lf->lf_next;
			kmem_free(lf, sizeof(*lf));
			continue;
		}
		pp = &lf->lf_next;
	}
	n->lf_next = vp->v_lockf;
	vp->v_lockf = n;
}

/*
 * Sets (or with F_UNLCK clears) a lock; wait says whether to sleep on a
 * conflict.  EAGAIN on a conflict without waiting.
 */
static int
lf_set(struct vnode *vp, struct lockf *req, bool wait)
{
	struct lockf *n = NULL, *spare = NULL, *c;
	struct lockf_wait w;
	int error = 0;

	n = kmem_alloc(sizeof(*n), KM_SLEEP);
	spare = kmem_alloc(sizeof(*spare), KM_SLEEP);
	if (n == NULL || spare == NULL) {
		error = ENOLCK;
		goto out;
	}
	mutex_enter(&lockf_lock);
	if (req->lf_type != F_UNLCK) {
		while ((c = lf_conflict(vp, req)) != NULL) {
			if (!wait) {
				error = EAGAIN;
				break;
			}
			if (lf_deadlock(req->lf_owner, c->lf_owner)) {
				error = EDEADLK;
				break;
			}
			w.lw_owner = req->lf_owner;
			w.lw_blocker = c->lf_owner;
			w.lw_next = lockf_waits;
			lockf_waits = &w;
			cv_wait(&lockf_cv, &lockf_lock);
			for (struct lockf_wait **pp = &lockf_waits; *pp;
			     pp = &(*pp)->lw_next)
				if (*pp == &w) {
					*pp = w.lw_next;
					break;
				}
		}
	}
	if (error == 0) {
		lf_clear(vp, req->lf_owner, req->lf_kind, req->lf_start,
		    req->lf_end, &spare);
		if (req->lf_type != F_UNLCK) {
			*n = *req;
			lf_insert(vp, n);
			n = NULL;
		}
		cv_broadcast(&lockf_cv);
	}
	mutex_exit(&lockf_lock);
out:
	if (n)
		kmem_free(n, sizeof(*n));
	if (spare)
		kmem_free(spare, sizeof(*spare));
	return error;
}

/* Drops every lock of owner on vp (of families matching `kind`). */
static void
lf_release(struct vnode *vp, void *owner, int kind)
{
	struct lockf **pp, *lf;
	bool any = false;

	lockf_init_once();
	mutex_enter(&lockf_lock);
	for (pp = (struct lockf **)&vp->v_lockf; (lf = *pp) != NULL;) {
		if (lf->lf_owner == owner &&
		    (kind == 0 || lf->lf_kind == kind)) {
			*pp = lf->lf_next;
			kmem_free(lf, sizeof(*lf));
			any = true;
		} else {
			pp = &lf->lf_next;
		}
	}
	if (any)
		cv_broadcast(&lockf_cv);
	mutex_exit(&lockf_lock);
}

/* A process closed a descriptor of fp: its POSIX locks on the file go. */
void
vfs_lockf_fdclose(struct proc *p, struct file *fp)
{
	struct vnode *vp = fp->f_data;

	if (vp->v_lockf != NULL)
		lf_release(vp, p, LF_POSIX);
}

/* The last close of an open file: its OFD and flock() locks go. */
void
vn_close_hook(struct file *fp)
{
	struct vnode *vp = fp->f_data;

	if (vp->v_lockf != NULL) {
		lf_release(vp, fp, LF_OFD);
		lf_release(vp, fp, LF_FLOCK);
	}
}

/* Turns a struct flock into a range at the file's offset or size. */
static int
lf_range(struct file *fp, struct vnode *vp, const struct flock *fl,
    off_t *startp, off_t *endp)
{
	off_t start;
	struct vattr va;
	int error;

	switch (fl->l_whence) {
	case SEEK_SET:
		start = 0;
		break;
	case SEEK_CUR:
		mutex_enter(&fp->f_lock);
		start = fp->f_offset;
		mutex_exit(&fp->f_lock);
		break;
	case SEEK_END:
		if ((error = vn_getattr(vp, &va)) != 0)
			return error;
		start = va.va_size;
		break;
	default:
		return EINVAL;
	}
	if ((fl->l_start > 0 && start > OFF_MAX - fl->l_start) ||
	    start + fl->l_start < 0)
		return EINVAL;
	start += fl->l_start;
	if (fl->l_len == 0) {
		*startp = start;
		*endp = OFF_MAX;
	} else if (fl->l_len > 0) {
		if (start > OFF_MAX - fl->l_len + 1)
			return EOVERFLOW;
		*startp = start;
		*endp = start + fl->l_len - 1;
	} else {
		if (start + fl->l_len < 0)
			return EINVAL;
		*startp = start + fl->l_len;
		*endp = start - 1;
	}
	return 0;
}

/*
 * fcntl's lock commands, called by the base's fcntl for vnode files:
 * F_GETLK, F_SETLK, F_SETLKW and their F_OFD_ forms.
 */
int vfs_fcntl_lock(struct file *fp, int cmd, void *uarg);
int
vfs_fcntl_lock(struct file *fp, int cmd, void *uarg)
{
	struct vnode *vp = fp->f_data;
	struct flock fl;
	struct lockf req;
	bool ofd =
	    cmd == F_OFD_GETLK || cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW;
	int error;

	lockf_init_once();
	if (fp->f_ops->fo_type != DTYPE_VNODE)
		return EBADF;
	if ((error = copyin(uarg, &fl, sizeof(fl))) != 0)
		return error;
	if (ofd && fl.l_pid != 0)
		return EINVAL;
	if (fl.l_type != F_RDLCK && fl.l_type != F_WRLCK &&
	    fl.l_type != F_UNLCK)
		return EINVAL;
	memset(&req, 0, sizeof(req));
	req.lf_owner = ofd ? (void *)fp : (void *)curproc;
	req.lf_kind = ofd ? LF_OFD : LF_POSIX;
	req.lf_type = fl.l_type;
	req.lf_pid = ofd ? -1 : curproc->p_pid;
	if ((error = lf_range(fp, vp, &fl, &req.lf_start, &req.lf_end)) != 0)
		return error;

	if (cmd == F_GETLK || cmd == F_OFD_GETLK) {
		struct lockf *c;

		if (fl.l_type == F_UNLCK)
			return EINVAL;
		mutex_enter(&lockf_lock);
		c = lf_conflict(vp, &req);
		if (c == NULL) {
			fl.l_type = F_UNLCK;
		} else {
			fl.l_type = c->lf_type;
			fl.l_whence = SEEK_SET;
			fl.l_start = c->lf_start;
			fl.l_len = c->lf_end == OFF_MAX
			    ? 0
			    : c->lf_end - c->lf_start + 1;
			fl.l_pid = c->lf_kind == LF_POSIX ? c->lf_pid : -1;
		}
		mutex_exit(&lockf_lock);
		return copyout(&fl, uarg, sizeof(fl));
	}
	if ((fl.l_type == F_RDLCK && (fp->f_flag & O_ACCMODE) == O_WRONLY) ||
	    (fl.l_type == F_WRLCK && (fp->f_flag & O_ACCMODE) == O_RDONLY))
		return EBADF;
	return lf_set(vp, &req, cmd == F_SETLKW || cmd == F_OFD_SETLKW);
}

int
sys_flock(struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(flock);
	int op = SCARG(uap, operation);
	struct lockf req;
	struct vnode *vp;
	struct file *fp;
	int error;

	lockf_init_once();
	if ((error = fd_getvnode(SCARG(uap, fd), &vp, &fp)) != 0)
		return error == EINVAL ? EBADF : error;
	memset(&req, 0, sizeof(req));
	req.lf_owner = fp;
	req.lf_kind = LF_FLOCK;
	req.lf_start = 0;
	req.lf_end = OFF_MAX;
	switch (op & ~LOCK_NB) {
	case LOCK_SH:
		req.lf_type = F_RDLCK;
		break;
	case LOCK_EX:
		req.lf_type = F_WRLCK;
		break;
	case LOCK_UN:
		req.lf_type = F_UNLCK;
		break;
	default:
		error = EINVAL;
		goto out;
	}
	error = lf_set(vp, &req, !(op & LOCK_NB));
	if (error == EAGAIN)
		error = EWOULDBLOCK;
out:
	vrele(vp);
	file_release(fp);
	return error;
}
