/*
 * tmpfs_vnops.c — the vnode operations of tmpfs: names (lookup, create,
 * mkdir, symlink, link, remove, rmdir, rename), attributes, file data
 * (read, write, fallocate, SEEK_DATA/SEEK_HOLE), readdir and readlink, and
 * the end of a vnode's life (inactive, reclaim).
 *
 * The VFS calls each with the vnode locks named in vfs.h, which are all
 * the locking the nodes need (tmpfs_impl.h); the only shared state is the
 * mount's counters, which are atomic.  Device, fifo and socket vnodes use
 * these operations too, for their names and attributes, while the VFS
 * runs their I/O (by v_type and v_rdev).
 */
#include "tmpfs_impl.h"

/* What a hole reads as.  Only ever read from (uiomove of a UIO_READ). */
static char tmpfs_zeropage[TMPFS_PAGE_SIZE];

static unsigned char
tmpfs_dtype(enum vtype type)
{
	switch (type) {
	case VREG:
		return DT_REG;
	case VDIR:
		return DT_DIR;
	case VLNK:
		return DT_LNK;
	case VCHR:
		return DT_CHR;
	case VBLK:
		return DT_BLK;
	case VFIFO:
		return DT_FIFO;
	case VSOCK:
		return DT_SOCK;
	default:
		return DT_UNKNOWN;
	}
}

static int
tmpfs_lookup(
    struct vnode *dvp, const struct componentname *cn, struct vnode **vpp)
{
	struct tmpfs_node *dnode = VP_TO_TMPFS(dvp);
	struct tmpfs_dirent *de;

	if (dnode->tn_type != VDIR)
		return ENOTDIR;
	if (cn->cn_namelen > TMPFS_NAME_MAX)
		return ENAMETOOLONG;
	if (cn->cn_namelen == 2 && cn->cn_nameptr[0] == '.' &&
	    cn->cn_nameptr[1] == '.') {
		/* The parent lives while it holds dnode (the root: itself). */
		if (dnode->tn_dir.tdr_parent == NULL)
			return ENOENT; /* dnode was removed */
		return tmpfs_node_vget(
		    dvp->v_mount, dnode->tn_dir.tdr_parent, vpp);
	}
	de = tmpfs_dir_lookup(dnode, cn->cn_nameptr, cn->cn_namelen);
	if (de == NULL)
		return ENOENT;
	return tmpfs_node_vget(dvp->v_mount, de->td_node, vpp);
}

/*
 * Checks that cn may be entered in dnode: a live directory, a name of
 * the right length that is not there yet.  Caller holds dvp as a writer.
 */
static int
tmpfs_check_new(struct tmpfs_node *dnode, const struct componentname *cn)
{
	if (dnode->tn_type != VDIR)
		return ENOTDIR;
	if (cn->cn_namelen > TMPFS_NAME_MAX)
		return ENAMETOOLONG;
	if (cn->cn_namelen == 0 || dnode->tn_dir.tdr_parent == NULL)
		return ENOENT; /* the directory was removed */
	if (tmpfs_dir_lookup(dnode, cn->cn_nameptr, cn->cn_namelen) != NULL)
		return EEXIST;
	return 0;
}

/*
 * Makes a node and its name in dvp, and its vnode.  Caller holds dvp as a
 * writer; until it lets go nobody else can find the new name, so a
 * failure to get the vnode undoes everything.
 */
static int
tmpfs_makenode(struct vnode *dvp, const struct componentname *cn,
    enum vtype type, const struct vattr *va, const char *target,
    struct vnode **vpp)
{
	struct tmpfs_node *dnode = VP_TO_TMPFS(dvp), *tn = NULL;
	struct tmpfs_dirent *de = NULL;
	mode_t mode = type == VLNK ? 0777 : va->va_mode;
	int error;

	error = tmpfs_check_new(dnode, cn);
	if (error)
		goto out;
	error = tmpfs_dirent_alloc(cn->cn_nameptr, cn->cn_namelen, &de);
	if (error)
		goto out;
	error = tmpfs_dir_reserve(dnode);
	if (error)
		goto out;
	error = tmpfs_node_alloc(dnode->tn_mount, type, mode, va->va_uid,
	    va->va_gid, va->va_rdev, target, &tn);
	if (error)
		goto out;
	if (type == VDIR) {
		tn->tn_dir.tdr_parent = dnode;
		tmpfs_nlink_set(tn, 2);
		tmpfs_nlink_set(dnode, tmpfs_nlink(dnode) + 1);
	} else {
		tmpfs_nlink_set(tn, 1);
	}
	tmpfs_dir_attach(dnode, de, tn);
	error = tmpfs_node_vget(dvp->v_mount, tn, vpp);
	if (error) {
		tmpfs_dir_detach(dnode, de);
		if (type == VDIR) {
			tmpfs_nlink_set(dnode, tmpfs_nlink(dnode) - 1);
			tn->tn_dir.tdr_parent = NULL;
		}
		tmpfs_nlink_set(tn, 0); /* frees it */
		goto out;
	}
	de = NULL;
	tmpfs_update(dnode, TMPFS_MTIME | TMPFS_CTIME);
out:
	if (de != NULL)
		tmpfs_dirent_free(de);
	return error;
}

/*
 * A regular file with no name, for O_TMPFILE: it lives as long as its
 * vnode, unless link() names it.  Caller holds dvp as a writer.
 */
static int
tmpfs_maketmp(struct vnode *dvp, const struct vattr *va, struct vnode **vpp)
{
	struct tmpfs_node *dnode = VP_TO_TMPFS(dvp), *tn;
	int error;

	if (dnode->tn_type != VDIR)
		return ENOTDIR;
	if (dnode->tn_dir.tdr_parent == NULL)
		return ENOENT;
	error = tmpfs_node_alloc(dnode->tn_mount, VREG, va->va_mode, va->va_uid,
	    va->va_gid, 0, NULL, &tn);
	if (error)
		return error;
	tn->tn_flags |= TMPFS_NODE_LINKABLE;
	error = tmpfs_node_vget(dvp->v_mount, tn, vpp);
	/* Only the vnode holds it now (or nothing, and it is gone). */
	tmpfs_node_rele(tn);
	return error;
}

/* An empty name (cn_namelen 0) asks for an unnamed file: O_TMPFILE. */
static int
tmpfs_create(struct vnode *dvp, const struct componentname *cn,
    const struct vattr *va, struct vnode **vpp)
{
	if (cn->cn_namelen == 0 && va->va_type == VREG)
		return tmpfs_maketmp(dvp, va, vpp);
	switch (va->va_type) {
	case VREG:
	case VFIFO:
	case VSOCK:
	case VCHR:
	case VBLK:
		return tmpfs_makenode(dvp, cn, va->va_type, va, NULL, vpp);
	default:
		return EINVAL;
	}
}

static int
tmpfs_mkdir(struct vnode *dvp, const struct componentname *cn,
    const struct vattr *va, struct vnode **vpp)
{
	return tmpfs_makenode(dvp, cn, VDIR, va, NULL, vpp);
}

static int
tmpfs_symlink(struct vnode *dvp, const struct componentname *cn,
    const struct vattr *va, const char *target, struct vnode **vpp)
{
	size_t len = strnlen(target, TMPFS_SYMLINK_MAX + 1);

	if (len == 0)
		return ENOENT;
	if (len > TMPFS_SYMLINK_MAX)
		return ENAMETOOLONG;
	return tmpfs_makenode(dvp, cn, VLNK, va, target, vpp);
}

static int
tmpfs_link(struct vnode *dvp, const struct componentname *cn, struct vnode *vp)
{
	struct tmpfs_node *dnode = VP_TO_TMPFS(dvp), *tn = VP_TO_TMPFS(vp);
	struct tmpfs_dirent *de = NULL;
	int error;

	if (vp->v_mount != dvp->v_mount)
		return EXDEV;
	if (tn->tn_type == VDIR)
		return EPERM;
	/* A removed file stays nameless, an O_TMPFILE one may get one. */
	if (tmpfs_nlink(tn) == 0 && (tn->tn_flags & TMPFS_NODE_LINKABLE) == 0)
		return ENOENT;
	if (tmpfs_nlink(tn) >= TMPFS_LINK_MAX)
		return EMLINK;
	error = tmpfs_check_new(dnode, cn);
	if (error)
		goto out;
	error = tmpfs_dirent_alloc(cn->cn_nameptr, cn->cn_namelen, &de);
	if (error)
		goto out;
	error = tmpfs_dir_reserve(dnode);
	if (error)
		goto out;
	tmpfs_dir_attach(dnode, de, tn);
	de = NULL;
	if (tmpfs_nlink(tn) == 0) {
		tn->tn_flags &= ~TMPFS_NODE_LINKABLE;
		tmpfs_node_hold(tn); /* the hold of its names */
	}
	tmpfs_nlink_set(tn, tmpfs_nlink(tn) + 1);
	tmpfs_update(tn, TMPFS_CTIME);
	tmpfs_update(dnode, TMPFS_MTIME | TMPFS_CTIME);
out:
	if (de != NULL)
		tmpfs_dirent_free(de);
	return error;
}

/* The entry of cn in dnode, if it names tn: else ENOENT. */
static int
tmpfs_find_entry(struct tmpfs_node *dnode, const struct componentname *cn,
    struct tmpfs_node *tn, struct tmpfs_dirent **dep)
{
	struct tmpfs_dirent *de;

	if (dnode->tn_type != VDIR)
		return ENOTDIR;
	de = tmpfs_dir_lookup(dnode, cn->cn_nameptr, cn->cn_namelen);
	if (de == NULL || de->td_node != tn)
		return ENOENT;
	*dep = de;
	return 0;
}

static int
tmpfs_remove(
    struct vnode *dvp, const struct componentname *cn, struct vnode *vp)
{
	struct tmpfs_node *dnode = VP_TO_TMPFS(dvp), *tn = VP_TO_TMPFS(vp);
	struct tmpfs_dirent *de;
	int error;

	error = tmpfs_find_entry(dnode, cn, tn, &de);
	if (error)
		return error;
	if (tn->tn_type == VDIR)
		return EISDIR;
	tmpfs_dir_detach(dnode, de);
	tmpfs_dirent_free(de);
	/* vp's vnode keeps tn when this drops its last name. */
	tmpfs_nlink_set(tn, tmpfs_nlink(tn) - 1);
	tmpfs_update(tn, TMPFS_CTIME);
	tmpfs_update(dnode, TMPFS_MTIME | TMPFS_CTIME);
	return 0;
}

static int
tmpfs_rmdir(struct vnode *dvp, const struct componentname *cn, struct vnode *vp)
{
	struct tmpfs_node *dnode = VP_TO_TMPFS(dvp), *tn = VP_TO_TMPFS(vp);
	struct tmpfs_dirent *de;
	int error;

	if (tn == dnode)
		return EINVAL;
	error = tmpfs_find_entry(dnode, cn, tn, &de);
	if (error)
		return error;
	if (tn->tn_type != VDIR)
		return ENOTDIR;
	if (tn->tn_dir.tdr_nentries > 0)
		return ENOTEMPTY;
	tmpfs_dir_detach(dnode, de);
	tmpfs_dirent_free(de);
	tn->tn_dir.tdr_parent = NULL;
	tmpfs_nlink_set(tn, 0);
	tmpfs_nlink_set(dnode, tmpfs_nlink(dnode) - 1);
	tmpfs_update(tn, TMPFS_CTIME);
	tmpfs_update(dnode, TMPFS_MTIME | TMPFS_CTIME);
	return 0;
}

/* A directory moves from fdnode to tdnode: its ".." and the nlinks. */
static void
tmpfs_reparent(
    struct tmpfs_node *tn, struct tmpfs_node *fdnode, struct tmpfs_node *tdnode)
{
	if (tn->tn_type != VDIR || fdnode == tdnode)
		return;
	tn->tn_dir.tdr_parent = tdnode;
	tmpfs_nlink_set(fdnode, tmpfs_nlink(fdnode) - 1);
	tmpfs_nlink_set(tdnode, tmpfs_nlink(tdnode) + 1);
}

static int
tmpfs_rename(struct vnode *fdvp, const struct componentname *fcn,
    struct vnode *fvp, struct vnode *tdvp, const struct componentname *tcn,
    struct vnode *tvp, unsigned flags)
{
	struct tmpfs_node *fdnode = VP_TO_TMPFS(fdvp);
	struct tmpfs_node *tdnode = VP_TO_TMPFS(tdvp);
	struct tmpfs_node *fnode = VP_TO_TMPFS(fvp);
	struct tmpfs_node *tnode = tvp != NULL ? VP_TO_TMPFS(tvp) : NULL;
	struct tmpfs_dirent *fde, *tde = NULL, *nde = NULL;
	int error;

	if ((flags & ~(unsigned)(RENAME_NOREPLACE | RENAME_EXCHANGE)) != 0 ||
	    (flags & RENAME_NOREPLACE && flags & RENAME_EXCHANGE))
		return EINVAL;
	if (fvp->v_mount != tdvp->v_mount || fdvp->v_mount != tdvp->v_mount)
		return EXDEV;
	error = tmpfs_find_entry(fdnode, fcn, fnode, &fde);
	if (error)
		goto out;
	if (tnode != NULL) {
		error = tmpfs_find_entry(tdnode, tcn, tnode, &tde);
		if (error)
			goto out;
	} else if (tdnode->tn_type != VDIR) {
		error = ENOTDIR;
		goto out;
	} else if (tmpfs_dir_lookup(tdnode, tcn->cn_nameptr, tcn->cn_namelen) !=
	    NULL) {
		error = EEXIST; /* the VFS did not see it: a lost race */
		goto out;
	}

	if (flags & RENAME_EXCHANGE) {
		if (tnode == NULL) {
			error = ENOENT;
			goto out;
		}
		if (fnode == tnode)
			goto out;
		fde->td_node = tnode;
		tde->td_node = fnode;
		tmpfs_reparent(fnode, fdnode, tdnode);
		tmpfs_reparent(tnode, tdnode, fdnode);
		tmpfs_update(fnode, TMPFS_CTIME);
		tmpfs_update(tnode, TMPFS_CTIME);
		goto done;
	}
	if (tnode != NULL && flags & RENAME_NOREPLACE) {
		error = EEXIST;
		goto out;
	}
	if (fnode == tnode)
		goto out; /* two names of one file: nothing to do */
	if (tnode != NULL) {
		if (tnode->tn_type == VDIR && fnode->tn_type != VDIR) {
			error = EISDIR;
			goto out;
		}
		if (tnode->tn_type != VDIR && fnode->tn_type == VDIR) {
			error = ENOTDIR;
			goto out;
		}
		if (tnode->tn_type == VDIR && tnode->tn_dir.tdr_nentries > 0) {
			error = ENOTEMPTY;
			goto out;
		}
		/* The replaced name now names fnode. */
		tde->td_node = fnode;
	} else {
		error = tmpfs_check_new(tdnode, tcn);
		if (error)
			goto out;
		error =
		    tmpfs_dirent_alloc(tcn->cn_nameptr, tcn->cn_namelen, &nde);
		if (error)
			goto out;
		error = tmpfs_dir_reserve(tdnode);
		if (error)
			goto out;
		tmpfs_dir_attach(tdnode, nde, fnode);
		nde = NULL;
	}
	tmpfs_dir_detach(fdnode, fde);
	tmpfs_dirent_free(fde);
	tmpfs_reparent(fnode, fdnode, tdnode);
	if (tnode != NULL) {
		/* tvp's vnode keeps tnode when it loses its last name. */
		if (tnode->tn_type == VDIR) {
			tnode->tn_dir.tdr_parent = NULL;
			tmpfs_nlink_set(tnode, 0);
			tmpfs_nlink_set(tdnode, tmpfs_nlink(tdnode) - 1);
		} else {
			tmpfs_nlink_set(tnode, tmpfs_nlink(tnode) - 1);
		}
		tmpfs_update(tnode, TMPFS_CTIME);
	}
	tmpfs_update(fnode, TMPFS_CTIME);
done:
	tmpfs_update(fdnode, TMPFS_MTIME | TMPFS_CTIME);
	if (tdnode != fdnode)
		tmpfs_update(tdnode, TMPFS_MTIME | TMPFS_CTIME);
out:
	if (nde != NULL)
		tmpfs_dirent_free(nde);
	return error;
}

static int
tmpfs_getattr(struct vnode *vp, struct vattr *va)
{
	struct tmpfs_node *tn = VP_TO_TMPFS(vp);

	vattr_null(va);
	va->va_type = tn->tn_type;
	va->va_mode = tn->tn_mode;
	va->va_nlink = tmpfs_nlink(tn);
	va->va_uid = tn->tn_uid;
	va->va_gid = tn->tn_gid;
	va->va_fileid = tn->tn_ino;
	switch (tn->tn_type) {
	case VREG:
		va->va_size = tn->tn_size;
		va->va_bytes = tn->tn_reg.pm_npages * TMPFS_PAGE_SIZE;
		break;
	case VDIR:
		va->va_size = (off_t)(tn->tn_dir.tdr_nentries + 2) *
		    TMPFS_DIRENT_BOGOSIZE;
		break;
	case VLNK:
		va->va_size = (off_t)tn->tn_lnk.tl_len;
		break;
	default:
		va->va_size = 0;
		break;
	}
	va->va_blocksize = TMPFS_PAGE_SIZE;
	va->va_rdev = tn->tn_rdev;
	tmpfs_time_get(&tn->tn_atime, &va->va_atime);
	tmpfs_time_get(&tn->tn_mtime, &va->va_mtime);
	tmpfs_time_get(&tn->tn_ctime, &va->va_ctime);
	va->va_birthtime = tn->tn_btime;
	va->va_mask = 0;
	return 0;
}

/* A time given to setattr; UTIME_NOW is taken as now. */
static void
tmpfs_settime(struct timespec *t, const struct timespec *v)
{
	uint64_t now;
	struct timespec ts = *v;

	if (ts.tv_nsec == UTIME_NOW) {
		now = getnanotime();
		ts.tv_sec = (time_t)(now / 1000000000u);
		ts.tv_nsec = (long)(now % 1000000000u);
	}
	tmpfs_time_set(t, &ts);
}

static int
tmpfs_setattr(struct vnode *vp, const struct vattr *va)
{
	struct tmpfs_node *tn = VP_TO_TMPFS(vp);
	unsigned mask = va->va_mask;
	int error = 0;

	if (mask & VA_SIZE) {
		if (tn->tn_type == VDIR)
			return EISDIR;
		if (tn->tn_type != VREG)
			return EINVAL;
		if (va->va_size < 0)
			return EINVAL;
		error = tmpfs_truncate(tn, va->va_size);
		if (error)
			return error;
		/*
		 * Even when the size stays: ftruncate and O_TRUNC change
		 * the times on Linux too (only truncate(2) to the same
		 * size does not, which the VFS does not tell apart).
		 */
		tmpfs_update(tn, TMPFS_MTIME | TMPFS_CTIME);
	}
	if (mask & VA_MODE)
		tn->tn_mode = va->va_mode & ALLPERMS;
	if (mask & (VA_UID | VA_GID)) {
		if (mask & VA_UID)
			tn->tn_uid = va->va_uid;
		if (mask & VA_GID)
			tn->tn_gid = va->va_gid;
		/*
		 * As Linux: a change of owner takes the set-user-ID bit off a
		 * file, and the set-group-ID bit when it means "setgid"
		 * (group execute on), unless the mode is set in the same
		 * call.
		 */
		if (tn->tn_type != VDIR && (mask & VA_MODE) == 0) {
			tn->tn_mode &= ~(mode_t)S_ISUID;
			if (tn->tn_mode & (S_IXUSR >> 3))
				tn->tn_mode &= ~(mode_t)S_ISGID;
		}
	}
	if (mask & VA_ATIME)
		tmpfs_settime(&tn->tn_atime, &va->va_atime);
	if (mask & VA_MTIME)
		tmpfs_settime(&tn->tn_mtime, &va->va_mtime);
	if (mask & VA_CTIME)
		tmpfs_settime(&tn->tn_ctime, &va->va_ctime);
	else if (mask & (VA_MODE | VA_UID | VA_GID | VA_ATIME | VA_MTIME))
		tmpfs_update(tn, TMPFS_CTIME);
	return 0;
}

/*
 * Access time after a read, the relatime way unless the mount says
 * otherwise: only when it is older than the last change or a day old.
 */
static void
tmpfs_touch_atime(struct vnode *vp, struct tmpfs_node *tn)
{
	unsigned long flags = atomic_load_relaxed(&vp->v_mount->mnt_flags);
	struct timespec at, mt, ct;
	uint64_t now;

	if (flags & (MS_NOATIME | MS_RDONLY))
		return;
	if (tn->tn_type == VDIR && flags & MS_NODIRATIME)
		return;
	if ((flags & MS_STRICTATIME) == 0) {
		tmpfs_time_get(&tn->tn_atime, &at);
		tmpfs_time_get(&tn->tn_mtime, &mt);
		tmpfs_time_get(&tn->tn_ctime, &ct);
		now = getnanotime() / 1000000000u;
		if (at.tv_sec > mt.tv_sec && at.tv_sec > ct.tv_sec &&
		    (uint64_t)at.tv_sec + 24 * 3600 > now)
			return;
	}
	tmpfs_update(tn, TMPFS_ATIME);
}

static int
tmpfs_read(struct vnode *vp, struct uio *uio, int ioflag __unused)
{
	struct tmpfs_node *tn = VP_TO_TMPFS(vp);
	int error = 0;

	if (tn->tn_type == VDIR)
		return EISDIR;
	if (tn->tn_type != VREG)
		return EINVAL;
	if (uio->uio_offset < 0)
		return EINVAL;
	if (uio->uio_resid == 0)
		return 0;
	while (uio->uio_resid > 0 && uio->uio_offset < tn->tn_size) {
		uint64_t off = (uint64_t)uio->uio_offset;
		size_t pgoff = off & TMPFS_PAGE_MASK;
		size_t n = MIN(TMPFS_PAGE_SIZE - pgoff, uio->uio_resid);
		char *page;

		n = MIN(n, (uint64_t)tn->tn_size - off);
		page = tmpfs_page_lookup(tn, off >> TMPFS_PAGE_SHIFT);
		if (page == NULL)
			page = tmpfs_zeropage;
		error = uiomove(page + pgoff, n, uio);
		if (error)
			break;
	}
	tmpfs_touch_atime(vp, tn);
	return error;
}

static int
tmpfs_write(struct vnode *vp, struct uio *uio, int ioflag)
{
	struct tmpfs_node *tn = VP_TO_TMPFS(vp);
	size_t resid = uio->uio_resid;
	int error = 0;

	if (tn->tn_type != VREG)
		return EINVAL;
	if (ioflag & IO_APPEND)
		uio->uio_offset = tn->tn_size;
	if (uio->uio_offset < 0)
		return EINVAL;
	if (resid == 0)
		return 0;
	/* As Linux: an end past off_t is EINVAL; the largest file is that. */
	if (resid > (uint64_t)(TMPFS_MAXFILESIZE - uio->uio_offset))
		return EINVAL;
	while (uio->uio_resid > 0) {
		uint64_t off = (uint64_t)uio->uio_offset;
		size_t pgoff = off & TMPFS_PAGE_MASK;
		size_t n = MIN(TMPFS_PAGE_SIZE - pgoff, uio->uio_resid);
		void *page;

		error = tmpfs_page_get(tn, off >> TMPFS_PAGE_SHIFT, &page);
		if (error)
			break;
		error = uiomove((char *)page + pgoff, n, uio);
		if (uio->uio_offset > tn->tn_size)
			tn->tn_size = uio->uio_offset;
		if (error)
			break;
	}
	if (uio->uio_resid != resid) {
		/* As Linux: what fitted is written, and the count is short. */
		error = 0;
		tmpfs_update(tn, TMPFS_MTIME | TMPFS_CTIME);
	}
	return error;
}

static int
tmpfs_readdir(struct vnode *vp, off_t *cookie,
    int (*fill)(void *arg, uint64_t ino, off_t next, unsigned char type,
        const char *name, size_t namelen),
    void *arg)
{
	struct tmpfs_node *tn = VP_TO_TMPFS(vp);
	struct tmpfs_dir *d = &tn->tn_dir;
	off_t c = *cookie;
	uint32_t i;

	if (tn->tn_type != VDIR)
		return ENOTDIR;
	if (d->tdr_parent == NULL)
		return ENOENT; /* removed, as Linux says */
	if (c < 0)
		return EINVAL;
	if (c == 0) {
		if (fill(arg, tn->tn_ino, 1, DT_DIR, ".", 1) != 0)
			goto out;
		c = 1;
	}
	if (c == 1) {
		if (fill(arg, d->tdr_parent->tn_ino, 2, DT_DIR, "..", 2) != 0)
			goto out;
		c = TMPFS_SEQ_FIRST;
	}
	for (i = tmpfs_dir_first_slot(tn, c); i < d->tdr_nslots; i++) {
		struct tmpfs_dslot *ds = &d->tdr_slots[i];
		struct tmpfs_dirent *de = ds->ds_ent;

		if (de == NULL)
			continue;
		c = ds->ds_seq;
		if (fill(arg, de->td_node->tn_ino, c + 1,
		        tmpfs_dtype(de->td_node->tn_type), de->td_name,
		        de->td_namelen) != 0)
			goto out;
		c++;
	}
out:
	*cookie = c;
	tmpfs_touch_atime(vp, tn);
	return 0;
}

static int
tmpfs_readlink(struct vnode *vp, struct uio *uio)
{
	struct tmpfs_node *tn = VP_TO_TMPFS(vp);

	if (tn->tn_type != VLNK)
		return EINVAL;
	return uiomove(tn->tn_lnk.tl_target, tn->tn_lnk.tl_len, uio);
}

static int
tmpfs_fsync(struct vnode *vp __unused, int flags __unused)
{
	return 0;
}

/* Zeroes [start, end) of one page, if the page is there. */
static void
tmpfs_zero_partial(struct tmpfs_node *tn, uint64_t start, uint64_t end)
{
	char *page;

	KASSERT(start < end &&
	    start >> TMPFS_PAGE_SHIFT == (end - 1) >> TMPFS_PAGE_SHIFT);
	page = tmpfs_page_lookup(tn, start >> TMPFS_PAGE_SHIFT);
	if (page != NULL)
		memset(page + (start & TMPFS_PAGE_MASK), 0, end - start);
}

static int
tmpfs_fallocate(struct vnode *vp, int mode, off_t off, off_t len)
{
	struct tmpfs_node *tn = VP_TO_TMPFS(vp);
	uint64_t start, end, first, last, idx, f;
	void *page;
	int error = 0;

	if (tn->tn_type == VDIR)
		return EISDIR;
	if (tn->tn_type != VREG)
		return ENODEV;
	if (off < 0 || len <= 0)
		return EINVAL;
	if (off > TMPFS_MAXFILESIZE - len)
		return EFBIG;
	if ((mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE)) != 0)
		return EOPNOTSUPP;
	start = (uint64_t)off;
	end = start + (uint64_t)len;

	if (mode & FALLOC_FL_PUNCH_HOLE) {
		if ((mode & FALLOC_FL_KEEP_SIZE) == 0)
			return EOPNOTSUPP;
		first = howmany(start, TMPFS_PAGE_SIZE);
		last = end >> TMPFS_PAGE_SHIFT;
		if (first >= last) {
			/* Within one page, or across one page boundary. */
			uint64_t mid = MIN(end, first << TMPFS_PAGE_SHIFT);

			if (start < mid)
				tmpfs_zero_partial(tn, start, mid);
			if (mid < end)
				tmpfs_zero_partial(tn, mid, end);
		} else {
			if (start < first << TMPFS_PAGE_SHIFT)
				tmpfs_zero_partial(
				    tn, start, first << TMPFS_PAGE_SHIFT);
			tmpfs_page_free_range(tn, first, last);
			if (last << TMPFS_PAGE_SHIFT < end)
				tmpfs_zero_partial(
				    tn, last << TMPFS_PAGE_SHIFT, end);
		}
		tmpfs_update(tn, TMPFS_MTIME | TMPFS_CTIME);
		return 0;
	}

	/*
	 * Allocation: refuse at once what cannot fit; otherwise fill the
	 * holes one by one.  A failure past that check (another file took
	 * the space, or memory ran out) keeps the pages made so far, which
	 * only read as the zeros they replace.
	 */
	first = start >> TMPFS_PAGE_SHIFT;
	last = howmany(end, TMPFS_PAGE_SIZE);
	if (!tmpfs_pages_avail(tn->tn_mount,
	        (last - first) - tmpfs_page_count_range(tn, first, last)))
		return ENOSPC;
	for (idx = first; tmpfs_page_next(tn, idx, false, &f) && f < last;
	     idx = f + 1) {
		error = tmpfs_page_get(tn, f, &page);
		if (error)
			break;
	}
	if (error == 0 && (mode & FALLOC_FL_KEEP_SIZE) == 0 &&
	    (off_t)end > tn->tn_size) {
		tn->tn_size = (off_t)end;
		tmpfs_update(tn, TMPFS_MTIME);
	}
	tmpfs_update(tn, TMPFS_CTIME);
	return error;
}

static int
tmpfs_seekdata(struct vnode *vp, off_t off, int whence, off_t *result)
{
	struct tmpfs_node *tn = VP_TO_TMPFS(vp);
	uint64_t idx, f;
	off_t r;

	if (tn->tn_type != VREG)
		return EINVAL;
	if (off < 0 || off >= tn->tn_size)
		return ENXIO;
	idx = (uint64_t)off >> TMPFS_PAGE_SHIFT;
	switch (whence) {
	case SEEK_DATA:
		if (!tmpfs_page_next(tn, idx, true, &f))
			return ENXIO;
		r = f == idx ? off : (off_t)(f << TMPFS_PAGE_SHIFT);
		if (r >= tn->tn_size)
			return ENXIO;
		break;
	case SEEK_HOLE:
		/* Holes start at a page; past the last page is a hole. */
		(void)tmpfs_page_next(tn, idx, false, &f);
		if (f == idx)
			r = off;
		else if (f > (uint64_t)(tn->tn_size - 1) >> TMPFS_PAGE_SHIFT)
			r = tn->tn_size;
		else
			r = (off_t)(f << TMPFS_PAGE_SHIFT);
		break;
	default:
		return EINVAL;
	}
	*result = r;
	return 0;
}

static int
tmpfs_inactive(struct vnode *vp, bool *recycle)
{
	struct tmpfs_node *tn = VP_TO_TMPFS(vp);

	*recycle = tmpfs_nlink(tn) == 0;
	return 0;
}

static int
tmpfs_reclaim(struct vnode *vp)
{
	struct tmpfs_node *tn = VP_TO_TMPFS(vp);

	vp->v_data = NULL;
	/* The node goes too if it has no name left. */
	tmpfs_node_rele(tn);
	return 0;
}

const struct vnodeops tmpfs_vnodeops = {
    .vop_lookup = tmpfs_lookup,
    .vop_create = tmpfs_create,
    .vop_mkdir = tmpfs_mkdir,
    .vop_symlink = tmpfs_symlink,
    .vop_link = tmpfs_link,
    .vop_remove = tmpfs_remove,
    .vop_rmdir = tmpfs_rmdir,
    .vop_rename = tmpfs_rename,
    .vop_getattr = tmpfs_getattr,
    .vop_setattr = tmpfs_setattr,
    .vop_read = tmpfs_read,
    .vop_write = tmpfs_write,
    .vop_readdir = tmpfs_readdir,
    .vop_readlink = tmpfs_readlink,
    .vop_fsync = tmpfs_fsync,
    .vop_fallocate = tmpfs_fallocate,
    .vop_seekdata = tmpfs_seekdata,
    .vop_inactive = tmpfs_inactive,
    .vop_reclaim = tmpfs_reclaim,
    .vop_getxattr = tmpfs_getxattr,
    .vop_listxattr = tmpfs_listxattr,
    .vop_setxattr = tmpfs_setxattr,
    .vop_removexattr = tmpfs_removexattr,
};
