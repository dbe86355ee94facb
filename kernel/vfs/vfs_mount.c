/*
 * vfs_mount.c — mounts: mount(2) and umount2(2), the mount list, statfs,
 * sync and syncfs.
 *
 * A mount covers a directory vnode (held while mounted) and holds a
 * reference to its own root.  Unmounting needs every other vnode of the
 * mount to be unused: EBUSY otherwise, unless MNT_FORCE (the file system
 * is told to let go regardless) or MNT_DETACH (the mount leaves the
 * namespace now and goes away when its last user does).
 *
 * Lock: mount_lock guards the mount list, every mnt_root, mnt_iflag and
 * v_mountedhere.
 */
#include "kern/syscall.h"
#include "vfs.h"

kmutex_t mount_lock;
struct mount *rootmount;
struct vnode *rootvnode;
static struct mount *mount_list; /* [mount_lock] */
static uint64_t mount_nextid = 1;

int vcache_flush_mount(struct mount *mp, bool force);
void vcache_reclaim_root(struct vnode *vp);

#define MS_PERFLAGS                                                            \
	(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_SYNCHRONOUS |       \
	    MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME |        \
	    MS_DIRSYNC | MS_LAZYTIME | MS_MANDLOCK)

/*
 * Mounts a file system of type `fstype` from `source` on covered (NULL:
 * the root).  opts is the caller's option string.
 */
int vfs_domount(struct vnode *covered, const char *fstype, const char *source,
    unsigned long flags, const char *opts, struct mount **mpp);
int
vfs_domount(struct vnode *covered, const char *fstype, const char *source,
    unsigned long flags, const char *opts, struct mount **mpp)
{
	struct vfsops *ops = vfs_getopsbyname(fstype);
	struct mount *mp;
	struct vnode *root;
	int error;

	if (ops == NULL)
		return ENODEV;
	if ((mp = kmem_zalloc(sizeof(*mp), KM_SLEEP)) == NULL)
		return ENOMEM;
	mp->mnt_op = ops;
	mp->mnt_flags = flags & MS_PERFLAGS;
	mp->mnt_refcnt = 1;
	rw_init(&mp->mnt_renamelock);
	strlcpy(mp->mnt_fstype, fstype, sizeof(mp->mnt_fstype));
	strlcpy(
	    mp->mnt_source, source ? source : "none", sizeof(mp->mnt_source));
	mutex_enter(&mount_lock);
	mp->mnt_id = mount_nextid++;
	mutex_exit(&mount_lock);

	if ((error = ops->vfs_mount(mp, source, opts)) != 0)
		goto fail;
	if ((error = ops->vfs_root(mp, &root)) != 0) {
		(void)ops->vfs_unmount(mp, MNT_FORCE);
		goto fail;
	}
	mutex_enter(&mount_lock);
	if (covered != NULL && covered->v_mountedhere != NULL) {
		mutex_exit(&mount_lock);
		vrele(root);
		(void)vcache_flush_mount(mp, true);
		(void)ops->vfs_unmount(mp, MNT_FORCE);
		error = EBUSY;
		goto fail;
	}
	mp->mnt_root = root;
	mp->mnt_vnodecovered = covered;
	if (covered != NULL) {
		vref(covered);
		atomic_store_release(&covered->v_mountedhere, mp);
	}
	mp->mnt_next = mount_list;
	mount_list = mp;
	mutex_exit(&mount_lock);
	if (covered != NULL)
		cache_purge(covered);
	*mpp = mp;
	return 0;
fail:
	rw_destroy(&mp->mnt_renamelock);
	kmem_free(mp, sizeof(*mp));
	return error;
}

static void
mount_unlink(struct mount *mp)
{
	struct mount **pp;

	KASSERT(mutex_owned(&mount_lock));
	for (pp = &mount_list; *pp != NULL; pp = &(*pp)->mnt_next) {
		if (*pp == mp) {
			*pp = mp->mnt_next;
			break;
		}
	}
}

/* Takes mp out of the namespace and frees it.  Nothing else uses it. */
static int
vfs_dounmount(struct mount *mp, int flags)
{
	struct vnode *covered = mp->mnt_vnodecovered, *root;
	int error;

	mutex_enter(&mount_lock);
	/* Busy also while sync holds it (mnt_refcnt: see vfs_sync_all). */
	if ((mp->mnt_iflag & MNTI_UNMOUNTING) ||
	    atomic_load_relaxed(&mp->mnt_refcnt) != 1) {
		mutex_exit(&mount_lock);
		return EBUSY;
	}
	mp->mnt_iflag |= MNTI_UNMOUNTING;
	mutex_exit(&mount_lock);

	if (!vfs_isrdonly(mp))
		(void)mp->mnt_op->vfs_sync(mp, true);
	error = vcache_flush_mount(mp, (flags & MNT_FORCE) != 0);
	root = mp->mnt_root;
	if (error == 0 && atomic_load_relaxed(&root->v_usecount) > 1 &&
	    !(flags & MNT_FORCE))
		error = EBUSY;
	if (error) {
		mutex_enter(&mount_lock);
		mp->mnt_iflag &= ~MNTI_UNMOUNTING;
		mutex_exit(&mount_lock);
		return error;
	}
	if ((error = mp->mnt_op->vfs_unmount(mp, flags)) != 0 &&
	    !(flags & MNT_FORCE)) {
		mutex_enter(&mount_lock);
		mp->mnt_iflag &= ~MNTI_UNMOUNTING;
		mutex_exit(&mount_lock);
		return error;
	}
	mutex_enter(&mount_lock);
	mount_unlink(mp);
	if (covered != NULL)
		atomic_store_release(&covered->v_mountedhere, NULL);
	mp->mnt_root = NULL;
	mutex_exit(&mount_lock);
	if (atomic_load_relaxed(&root->v_usecount) == 1)
		vcache_reclaim_root(root);
	if (covered != NULL) {
		cache_purge(covered);
		vrele(covered);
	}
	rw_destroy(&mp->mnt_renamelock);
	kmem_free(mp, sizeof(*mp));
	return 0;
}

static bool
cred_root(void)
{
	kauth_cred_t c = kauth_cred_get();
	bool root = c->cr_euid == 0;

	kauth_cred_free(c);
	return root;
}

/* Copies a caller's string (NULL allowed) into a new kmem buffer. */
static int
copyinstr_alloc(const char *u, size_t max, char **kp)
{
	char *k;
	int error;

	*kp = NULL;
	if (u == NULL)
		return 0;
	if ((k = kmem_alloc(max, KM_SLEEP)) == NULL)
		return ENOMEM;
	if ((error = copyinstr(u, k, max, NULL)) != 0) {
		kmem_free(k, max);
		return error;
	}
	*kp = k;
	return 0;
}

int
sys_mount(struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(mount);
	unsigned long flags = SCARG(uap, flags);
	char *source = NULL, *fstype = NULL, *data = NULL, *path;
	struct nameidata nd;
	struct mount *mp;
	int error;

	if (!cred_root())
		return EPERM;
	if ((error = copyinstr_alloc(SCARG(uap, source), PATH_MAX, &source)) ||
	    (error = copyinstr_alloc(SCARG(uap, fstype), 64, &fstype)) ||
	    (error = copyinstr_alloc(SCARG(uap, data), 4096, &data)))
		goto out;
	if ((error = namei_user(
	         SCARG(uap, target), AT_FDCWD, NI_FOLLOW, &nd, &path)) != 0)
		goto out;
	if (flags & MS_REMOUNT) {
		mp = nd.nd_vp->v_mount;
		if (nd.nd_vp != mp->mnt_root) {
			error = EINVAL;
		} else {
			unsigned long nf = (mp->mnt_flags & ~MS_PERFLAGS) |
			    (flags & MS_PERFLAGS);

			if (!(nf & MS_RDONLY) || vfs_isrdonly(mp) ||
			    (error = mp->mnt_op->vfs_sync(mp, true)) == 0)
				error = mp->mnt_op->vfs_remount
				    ? mp->mnt_op->vfs_remount(mp, nf, data)
				    : 0;
			if (error == 0)
				atomic_store_relaxed(&mp->mnt_flags, nf);
		}
	} else if (flags & (MS_BIND | MS_MOVE)) {
		error = EINVAL; /* not supported: say so rather than pretend */
	} else if (fstype == NULL) {
		error = EINVAL;
	} else if (nd.nd_vp->v_type != VDIR) {
		error = ENOTDIR;
	} else {
		error = vfs_domount(nd.nd_vp, fstype, source, flags, data, &mp);
	}
	namei_user_done(&nd, path);
out:
	if (source)
		kmem_free(source, PATH_MAX);
	if (fstype)
		kmem_free(fstype, 64);
	if (data)
		kmem_free(data, 4096);
	return error;
}

int
sys_umount2(struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(umount2);
	int flags = SCARG(uap, flags);
	struct nameidata nd;
	struct mount *mp;
	char *path;
	int error;

	if (flags & ~(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW))
		return EINVAL;
	if (!cred_root())
		return EPERM;
	error = namei_user(SCARG(uap, target), AT_FDCWD,
	    (flags & UMOUNT_NOFOLLOW) ? 0 : NI_FOLLOW, &nd, &path);
	if (error)
		return error;
	mp = nd.nd_vp->v_mount;
	if (nd.nd_vp != mp->mnt_root) {
		namei_user_done(&nd, path);
		return EINVAL; /* not a mount point */
	}
	if (mp == rootmount) {
		namei_user_done(&nd, path);
		return EBUSY;
	}
	namei_user_done(&nd, path);
	if (flags & MNT_EXPIRE)
		return EAGAIN;
	error = vfs_dounmount(mp, flags);
	if (error == EBUSY && (flags & MNT_DETACH)) {
		/*
		 * Lazy: leave the namespace now; the mount stays until a
		 * later unmount (or halt) finds it unused.
		 */
		mutex_enter(&mount_lock);
		if (mp->mnt_vnodecovered != NULL)
			atomic_store_release(
			    &mp->mnt_vnodecovered->v_mountedhere, NULL);
		mp->mnt_iflag |= MNTI_DETACHED;
		mutex_exit(&mount_lock);
		error = 0;
	}
	return error;
}

static int
dostatfs(struct vnode *vp, struct statfs *sf)
{
	struct mount *mp = vp->v_mount;
	unsigned long f = mp->mnt_flags;
	int error;

	memset(sf, 0, sizeof(*sf));
	if ((error = mp->mnt_op->vfs_statfs(mp, sf)) != 0)
		return error;
	sf->f_fsid.val[0] = (int)mp->mnt_id;
	sf->f_fsid.val[1] = (int)(mp->mnt_id >> 32);
	sf->f_flags = ST_VALID | ((f & MS_RDONLY) ? ST_RDONLY : 0) |
	    ((f & MS_NOSUID) ? ST_NOSUID : 0) |
	    ((f & MS_NODEV) ? ST_NODEV : 0) |
	    ((f & MS_NOEXEC) ? ST_NOEXEC : 0) |
	    ((f & MS_SYNCHRONOUS) ? ST_SYNCHRONOUS : 0) |
	    ((f & MS_NOATIME) ? ST_NOATIME : 0) |
	    ((f & MS_RELATIME) ? ST_RELATIME : 0);
	if (sf->f_namelen == 0)
		sf->f_namelen = NAME_MAX;
	if (sf->f_frsize == 0)
		sf->f_frsize = sf->f_bsize;
	return 0;
}

int
sys_statfs(struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(statfs);
	struct nameidata nd;
	struct statfs sf;
	char *path;
	int error;

	if ((error = namei_user(
	         SCARG(uap, path), AT_FDCWD, NI_FOLLOW, &nd, &path)) != 0)
		return error;
	error = dostatfs(nd.nd_vp, &sf);
	namei_user_done(&nd, path);
	if (error == 0)
		error = copyout(&sf, SCARG(uap, buf), sizeof(sf));
	return error;
}

int
sys_fstatfs(struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(fstatfs);
	struct vnode *vp;
	struct file *fp;
	struct statfs sf;
	int error;

	if ((error = fd_getvnode(SCARG(uap, fd), &vp, &fp)) != 0)
		return error;
	error = dostatfs(vp, &sf);
	vrele(vp);
	file_release(fp);
	if (error == 0)
		error = copyout(&sf, SCARG(uap, buf), sizeof(sf));
	return error;
}

/* Syncs every mount; the list is walked with each mount held. */
void vfs_sync_all(bool wait);
void
vfs_sync_all(bool wait)
{
	struct mount *mp, *next;

	/*
	 * Each mount is held (mnt_refcnt) while it syncs without mount_lock:
	 * unmount refuses a held mount, so it stays on the list and its
	 * successor can be read afterwards.
	 */
	mutex_enter(&mount_lock);
	for (mp = mount_list; mp != NULL; mp = next) {
		bool sync = !(mp->mnt_iflag & MNTI_UNMOUNTING);

		atomic_inc(&mp->mnt_refcnt);
		mutex_exit(&mount_lock);
		if (sync && !vfs_isrdonly(mp))
			(void)mp->mnt_op->vfs_sync(mp, wait);
		mutex_enter(&mount_lock);
		next = mp->mnt_next;
		atomic_dec(&mp->mnt_refcnt);
	}
	mutex_exit(&mount_lock);
	/* What the file systems left in the buffer cache (block devices). */
	(void)bflush(NODEV, wait);
}

/*
 * Calls fn for each mount in the namespace (not detached, not being
 * unmounted), newest first.  Each is held as vfs_sync_all holds it, and
 * fn runs without mount_lock, so it may look up names and sleep.
 */
void
vfs_mount_foreach(void (*fn)(struct mount *mp, void *arg), void *arg)
{
	struct mount *mp, *next;

	mutex_enter(&mount_lock);
	for (mp = mount_list; mp != NULL; mp = next) {
		bool live = !(mp->mnt_iflag & (MNTI_UNMOUNTING | MNTI_DETACHED));

		atomic_inc(&mp->mnt_refcnt);
		mutex_exit(&mount_lock);
		if (live)
			fn(mp, arg);
		mutex_enter(&mount_lock);
		next = mp->mnt_next;
		atomic_dec(&mp->mnt_refcnt);
	}
	mutex_exit(&mount_lock);
}

int
sys_sync(
    struct lwp *l __unused, const void *v __unused, register_t *retval __unused)
{
	vfs_sync_all(true);
	return 0;
}

int
sys_syncfs(struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(syncfs);
	struct vnode *vp;
	struct file *fp;
	int error;

	if ((error = fd_getvnode(SCARG(uap, fd), &vp, &fp)) != 0)
		return error;
	if (!vfs_isrdonly(vp->v_mount))
		error = vp->v_mount->mnt_op->vfs_sync(vp->v_mount, true);
	vrele(vp);
	file_release(fp);
	return error;
}
