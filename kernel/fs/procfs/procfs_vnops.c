/*
 * procfs_vnops.c — the vnode operations of procfs: lookup and readdir of
 * the tree, attributes, and the files' I/O: open makes a snapshot with
 * the file's read function, read copies from it at any offset, write
 * hands each write(2) to the file's write function.
 *
 * Changing the tree from user space is refused as Linux's /proc refuses
 * it: creating a file EACCES, other changes of names EPERM.
 */
#include "procfs_impl.h"

#define VP_TO_PFS(vp) ((struct pfs_vnode *)(vp)->v_data)

static uint64_t pfs_serial; /* [a] keys of file vnodes */

/*
 * The vnode of pn in mp: the directory's one, or a new one for a file.
 * Caller keeps pn alive across the call (pfs_lock or a reference).
 */
int
pfs_node_vget(struct mount *mp, struct pfs_node *pn, struct vnode **vpp)
{
	struct pfs_key key;

	memset(&key, 0, sizeof(key));
	key.pk_node = pn;
	if (pn->pn_type != VDIR)
		key.pk_serial = atomic_inc(&pfs_serial);
	return vcache_get(mp, &key, sizeof(key), vpp);
}

static bool
pfs_gone(struct pfs_node *pn)
{
	return __atomic_load_n(&pn->pn_gone, __ATOMIC_RELAXED);
}

static int
pfs_lookup(
    struct vnode *dvp, const struct componentname *cn, struct vnode **vpp)
{
	struct pfs_node *dir = VP_TO_PFS(dvp)->pv_node, *pn;
	int error;

	if (dir->pn_type != VDIR)
		return ENOTDIR;
	if (cn->cn_namelen > NAME_MAX)
		return ENAMETOOLONG;
	mutex_enter(&pfs_lock);
	if (cn->cn_namelen == 2 && cn->cn_nameptr[0] == '.' &&
	    cn->cn_nameptr[1] == '.')
		pn = dir->pn_parent;
	else if (dir->pn_parent == NULL)
		pn = NULL; /* removed */
	else
		pn = pfs_node_child(dir, cn->cn_nameptr, cn->cn_namelen);
	error = pn != NULL ? pfs_node_vget(dvp->v_mount, pn, vpp) : ENOENT;
	mutex_exit(&pfs_lock);
	return error;
}

static int
pfs_create(struct vnode *dvp __unused, const struct componentname *cn __unused,
    const struct vattr *va __unused, struct vnode **vpp __unused)
{
	return EACCES;
}

static int
pfs_mkdir(struct vnode *dvp __unused, const struct componentname *cn __unused,
    const struct vattr *va __unused, struct vnode **vpp __unused)
{
	return EPERM;
}

static int
pfs_symlink(struct vnode *dvp __unused, const struct componentname *cn __unused,
    const struct vattr *va __unused, const char *target __unused,
    struct vnode **vpp __unused)
{
	return EPERM;
}

static int
pfs_link(struct vnode *dvp __unused, const struct componentname *cn __unused,
    struct vnode *vp __unused)
{
	return EPERM;
}

static int
pfs_remove(struct vnode *dvp __unused, const struct componentname *cn __unused,
    struct vnode *vp __unused)
{
	return EPERM;
}

static int
pfs_rename(struct vnode *fdvp __unused,
    const struct componentname *fcn __unused, struct vnode *fvp __unused,
    struct vnode *tdvp __unused, const struct componentname *tcn __unused,
    struct vnode *tvp __unused, unsigned flags __unused)
{
	return EPERM;
}

static int
pfs_getattr(struct vnode *vp, struct vattr *va)
{
	struct pfs_node *pn = VP_TO_PFS(vp)->pv_node, *c;
	unsigned ndirs = 0;

	vattr_null(va);
	va->va_type = pn->pn_type;
	va->va_fileid = pn->pn_ino;
	va->va_uid = 0;
	va->va_gid = 0;
	va->va_size = 0; /* as Linux: the size is known only by reading */
	va->va_bytes = 0;
	va->va_blocksize = 1024;
	va->va_atime = va->va_mtime = va->va_ctime = va->va_birthtime =
	    pn->pn_time;
	if (pn->pn_type == VDIR) {
		va->va_mode = 0555;
		mutex_enter(&pfs_lock);
		for (c = pn->pn_children; c != NULL; c = c->pn_next)
			if (c->pn_type == VDIR)
				ndirs++;
		mutex_exit(&pfs_lock);
		va->va_nlink = 2 + ndirs;
	} else {
		va->va_mode = pn->pn_write != NULL ? 0644 : 0444;
		va->va_nlink = 1;
	}
	return 0;
}

/* Truncation is what O_TRUNC of a writer asks: nothing to do. */
static int
pfs_setattr(struct vnode *vp, const struct vattr *va)
{
	struct pfs_node *pn = VP_TO_PFS(vp)->pv_node;

	if (va->va_mask & (VA_MODE | VA_UID | VA_GID | VA_RDEV))
		return EPERM;
	if (va->va_mask & VA_SIZE) {
		if (pn->pn_type == VDIR)
			return EISDIR;
		if (pn->pn_write == NULL)
			return EACCES;
	}
	return 0;
}

/* Replaces the vnode's snapshot by a new one. */
static int
pfs_snapshot(struct pfs_vnode *pv)
{
	struct pfs_snap *ps, *old;
	int error;

	if ((error = pfs_node_read(pv->pv_node, &ps)) != 0)
		return error;
	mutex_enter(&pv->pv_lock);
	old = pv->pv_snap;
	pv->pv_snap = ps;
	mutex_exit(&pv->pv_lock);
	if (old != NULL)
		pfs_snap_rele(old);
	return 0;
}

static int
pfs_open(struct vnode *vp, int fflags)
{
	struct pfs_vnode *pv = VP_TO_PFS(vp);
	struct pfs_node *pn = pv->pv_node;
	int error;

	if (pn->pn_type != VREG)
		return 0;
	if ((fflags & O_ACCMODE) != O_RDONLY && pn->pn_write == NULL)
		return EACCES;
	/* The next lookup of the name makes a vnode of its own. */
	cache_purge(vp);
	if ((fflags & O_ACCMODE) == O_WRONLY)
		return 0;
	error = pfs_snapshot(pv);
	return error;
}

static int
pfs_read(struct vnode *vp, struct uio *uio, int ioflag __unused)
{
	struct pfs_vnode *pv = VP_TO_PFS(vp);
	struct pfs_snap *ps;
	size_t len;
	int error;

	if (pv->pv_node->pn_type == VDIR)
		return EISDIR;
	if (uio->uio_offset < 0)
		return EINVAL;
	mutex_enter(&pv->pv_lock);
	while ((ps = pv->pv_snap) == NULL) {
		/* Read without an open of its own (kernel I/O): make one. */
		mutex_exit(&pv->pv_lock);
		if ((error = pfs_snapshot(pv)) != 0)
			return error;
		mutex_enter(&pv->pv_lock);
	}
	atomic_inc(&ps->ps_refs);
	mutex_exit(&pv->pv_lock);
	len = ps->ps_buf.pb_len;
	error = 0;
	if ((uint64_t)uio->uio_offset < len)
		error = uiomove(ps->ps_buf.pb_data + uio->uio_offset,
		    MIN(len - (size_t)uio->uio_offset, uio->uio_resid), uio);
	pfs_snap_rele(ps);
	return error;
}

static int
pfs_writeop(struct vnode *vp, struct uio *uio, int ioflag __unused)
{
	struct pfs_node *pn = VP_TO_PFS(vp)->pv_node;
	size_t len = uio->uio_resid;
	char *buf;
	int error;

	if (pn->pn_type == VDIR)
		return EISDIR;
	if (pn->pn_write == NULL)
		return EACCES;
	if (len == 0)
		return 0;
	if (len > PFS_WRITE_MAX)
		return EINVAL;
	if ((buf = kmem_alloc(len + 1, KM_SLEEP)) == NULL)
		return ENOMEM;
	if ((error = uiomove(buf, len, uio)) == 0) {
		buf[len] = '\0';
		error = pfs_node_write(pn, buf, len);
	}
	kmem_free(buf, len + 1);
	return error;
}

static int
pfs_readdir(struct vnode *vp, off_t *cookie,
    int (*fill)(void *arg, uint64_t ino, off_t next, unsigned char type,
        const char *name, size_t namelen),
    void *arg)
{
	struct pfs_node *dir = VP_TO_PFS(vp)->pv_node, *pn;
	off_t c = *cookie;
	int error = 0;

	if (dir->pn_type != VDIR)
		return ENOTDIR;
	if (c < 0)
		return EINVAL;
	mutex_enter(&pfs_lock);
	if (dir->pn_parent == NULL) {
		error = ENOENT; /* removed */
		goto out;
	}
	if (c == 0) {
		if (fill(arg, dir->pn_ino, 1, DT_DIR, ".", 1) != 0)
			goto out;
		c = 1;
	}
	if (c == 1) {
		if (fill(arg, dir->pn_parent->pn_ino, 2, DT_DIR, "..", 2) != 0)
			goto out;
		c = 2;
	}
	for (pn = dir->pn_children; pn != NULL; pn = pn->pn_next) {
		if (pn->pn_seq < c)
			continue;
		if (fill(arg, pn->pn_ino, pn->pn_seq + 1,
		        pn->pn_type == VDIR ? DT_DIR : DT_REG, pn->pn_name,
		        pn->pn_namelen) != 0) {
			c = pn->pn_seq;
			goto out;
		}
		c = pn->pn_seq + 1;
	}
out:
	mutex_exit(&pfs_lock);
	*cookie = c;
	return error;
}

static int
pfs_readlink(struct vnode *vp __unused, struct uio *uio __unused)
{
	return EINVAL;
}

static int
pfs_fsync(struct vnode *vp __unused, int flags __unused)
{
	return 0;
}

/* A file's vnode serves one lookup: it goes at its last release. */
static int
pfs_inactive(struct vnode *vp, bool *recycle)
{
	struct pfs_node *pn = VP_TO_PFS(vp)->pv_node;

	*recycle = pn->pn_type != VDIR || pfs_gone(pn);
	return 0;
}

static int
pfs_reclaim(struct vnode *vp)
{
	struct pfs_vnode *pv = VP_TO_PFS(vp);

	vp->v_data = NULL;
	if (pv->pv_snap != NULL)
		pfs_snap_rele(pv->pv_snap);
	pfs_node_rele(pv->pv_node);
	mutex_destroy(&pv->pv_lock);
	kmem_free(pv, sizeof(*pv));
	return 0;
}

/* Always ready: the snapshot is there to read, writes never wait. */
static int
pfs_poll(struct vnode *vp __unused, int events)
{
	return events & (POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM);
}

const struct vnodeops procfs_vnodeops = {
    .vop_lookup = pfs_lookup,
    .vop_create = pfs_create,
    .vop_mkdir = pfs_mkdir,
    .vop_symlink = pfs_symlink,
    .vop_link = pfs_link,
    .vop_remove = pfs_remove,
    .vop_rmdir = pfs_remove,
    .vop_rename = pfs_rename,
    .vop_getattr = pfs_getattr,
    .vop_setattr = pfs_setattr,
    .vop_read = pfs_read,
    .vop_write = pfs_writeop,
    .vop_readdir = pfs_readdir,
    .vop_readlink = pfs_readlink,
    .vop_fsync = pfs_fsync,
    .vop_inactive = pfs_inactive,
    .vop_reclaim = pfs_reclaim,
    .vop_open = pfs_open,
    .vop_poll = pfs_poll,
};
