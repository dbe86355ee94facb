/*
 * vfs_fifo.c — named pipes: a FIFO vnode of any file system carries a
 * pipe of the base (kern/pipe.h), made at its first open.  An open file of
 * a FIFO is a thin wrapper around a file of one end of that pipe: it holds
 * the vnode (so that every opener of the name meets the same pipe), and
 * passes everything else to the pipe's file.
 *
 * Lock: the vnode's v_interlock guards v_specinfo (the pipe).
 */
#include "kern/pipe.h"
#include "vfs.h"

struct fifo_file {
	struct file *ff_pipe; /* [I] the end(s) of the pipe */
	struct vnode *ff_vp;  /* [I] referenced */
};

static struct file *
ff_pipe(struct file *fp)
{
	return ((struct fifo_file *)fp->f_data)->ff_pipe;
}

/* Status flags (O_NONBLOCK) live in the wrapper; copy them down. */
static void
ff_sync_flags(struct file *fp)
{
	struct file *pf = ff_pipe(fp);

	mutex_enter(&pf->f_lock);
	pf->f_flag = (pf->f_flag & O_ACCMODE) | (fp->f_flag & ~O_ACCMODE);
	mutex_exit(&pf->f_lock);
}

static int
fifo_read(struct file *fp, struct uio *uio, int flags)
{
	struct file *pf = ff_pipe(fp);

	ff_sync_flags(fp);
	return pf->f_ops->fo_read(pf, uio, flags);
}

static int
fifo_write(struct file *fp, struct uio *uio, int flags)
{
	struct file *pf = ff_pipe(fp);

	ff_sync_flags(fp);
	return pf->f_ops->fo_write(pf, uio, flags);
}

static int
fifo_ioctl(struct file *fp, unsigned long cmd, void *uarg, register_t *rv)
{
	struct file *pf = ff_pipe(fp);

	ff_sync_flags(fp);
	return pf->f_ops->fo_ioctl ? pf->f_ops->fo_ioctl(pf, cmd, uarg, rv)
	                           : ENOTTY;
}

static int
fifo_setfl(struct file *fp, int flags)
{
	struct file *pf = ff_pipe(fp);

	return pf->f_ops->fo_fcntl_setfl ? pf->f_ops->fo_fcntl_setfl(pf, flags)
	                                 : 0;
}

static int
fifo_poll(struct file *fp, int events)
{
	struct file *pf = ff_pipe(fp);

	return pf->f_ops->fo_poll(pf, events);
}

/* The FIFO's own attributes (its inode), not the anonymous pipe's. */
static int
fifo_stat(struct file *fp, struct stat *st)
{
	return vn_stat(((struct fifo_file *)fp->f_data)->ff_vp, st);
}

static int
fifo_close(struct file *fp)
{
	struct fifo_file *ff = fp->f_data;
	int error = file_release(ff->ff_pipe);

	vrele(ff->ff_vp);
	kmem_free(ff, sizeof(*ff));
	return error;
}

static const struct fileops fifo_fileops = {
    .fo_read = fifo_read,
    .fo_write = fifo_write,
    .fo_ioctl = fifo_ioctl,
    .fo_fcntl_setfl = fifo_setfl,
    .fo_poll = fifo_poll,
    .fo_stat = fifo_stat,
    .fo_close = fifo_close,
    .fo_type = DTYPE_PIPE,
};

/*
 * Opens FIFO vp (referenced by the caller, who keeps its reference) for
 * fflags; a blocking open waits for the other end.  *fpp is the new file.
 */
int vfs_fifo_open(struct vnode *vp, int fflags, struct file **fpp);
int
vfs_fifo_open(struct vnode *vp, int fflags, struct file **fpp)
{
	struct fifo_file *ff;
	struct pipe *p, *np = NULL;
	struct file *pf, *fp;
	int error;

	mutex_enter(&vp->v_interlock);
	p = vp->v_specinfo;
	mutex_exit(&vp->v_interlock);
	if (p == NULL) {
		if ((error = pipe_create(&np)) != 0)
			return error;
		mutex_enter(&vp->v_interlock);
		if ((p = vp->v_specinfo) == NULL)
			p = vp->v_specinfo = np;
		mutex_exit(&vp->v_interlock);
		if (p != np)
			pipe_release(np); /* another opener was first */
	}
	if ((ff = kmem_alloc(sizeof(*ff), KM_SLEEP)) == NULL)
		return ENOMEM;
	if ((error = pipe_open_end(p, fflags, &pf)) != 0) {
		kmem_free(ff, sizeof(*ff));
		return error;
	}
	ff->ff_pipe = pf;
	ff->ff_vp = vp;
	vref(vp);
	error = file_alloc(&fifo_fileops, ff,
	    fflags & (O_ACCMODE | O_NONBLOCK | O_APPEND), &fp);
	if (error) {
		file_release(pf);
		vrele(vp);
		kmem_free(ff, sizeof(*ff));
		return error;
	}
	if (!(fflags & O_NONBLOCK) && (error = pipe_wait_peer(pf)) != 0) {
		file_release(fp);
		return error;
	}
	*fpp = fp;
	return 0;
}

/* The vnode goes: so does its pipe reference. */
void vfs_fifo_reclaim(struct vnode *vp);
void
vfs_fifo_reclaim(struct vnode *vp)
{
	if (vp->v_type == VFIFO && vp->v_specinfo != NULL) {
		pipe_release(vp->v_specinfo);
		vp->v_specinfo = NULL;
	}
}
