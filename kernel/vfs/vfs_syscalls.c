/*
 * vfs_syscalls.c — the system calls on paths and file-system objects:
 * open and the *at family, stat, access, mkdir/mknod/symlink/link,
 * unlink/rmdir, rename, chmod/chown/utimes, truncate/fallocate, readlink,
 * getdents64, chdir/fchdir/chroot/getcwd, fsync, sendfile and
 * copy_file_range.
 *
 * Each takes the caller's credentials once, resolves paths with namei,
 * checks permissions here (file systems trust the VFS), and calls the
 * vnode operations with the locks vfs.h lists.  Vnode locks go from a
 * directory to its children; rename, the one call that holds several
 * directories, first takes its mount's rename lock (renames one at a
 * time, so the ancestry it checks cannot change), then the ancestor of
 * its two directories before the other, then the two entries.
 */
#include "kern/syscall.h"
#include "vfs.h"

int vfs_fifo_open(struct vnode *vp, int fflags, struct file **fpp);

/* Creator's file-mode mask. */
static mode_t
cur_umask(void)
{
	return curproc->p_umask;
}

static bool
is_dot_or_dotdot(const struct componentname *cn)
{
	return (cn->cn_namelen == 1 && cn->cn_nameptr[0] == '.') ||
	    (cn->cn_namelen == 2 && cn->cn_nameptr[0] == '.' &&
	        cn->cn_nameptr[1] == '.');
}

/* dvp must be a writable, searchable directory of a writable mount. */
static int
dir_writable(struct vnode *dvp, kauth_cred_t cred)
{
	if (dvp->v_type != VDIR)
		return ENOTDIR;
	if (vfs_isrdonly(dvp->v_mount))
		return EROFS;
	return vn_access(dvp, VWRITE | VEXEC, cred);
}

/*
 * The sticky rule: in a sticky directory only the owner of the entry, the
 * owner of the directory or root may remove or rename it.
 */
static int
sticky_ok(struct vnode *dvp, struct vnode *vp, kauth_cred_t cred)
{
	struct vattr dva, va;
	int error;

	if (cred->cr_euid == 0)
		return 0;
	if ((error = vn_getattr(dvp, &dva)) != 0)
		return error;
	if (!(dva.va_mode & S_ISVTX))
		return 0;
	if ((error = vn_getattr(vp, &va)) != 0)
		return error;
	if (cred->cr_euid == va.va_uid || cred->cr_euid == dva.va_uid)
		return 0;
	return EPERM;
}

/* ---------------------------------------------------------------- open */

/* Whether the caller's descriptor table has room for one more. */
static bool
fd_slot_free(void)
{
	struct filedesc *fdp = curproc->p_fd;
	rlim_t lim = curproc->p_rlimit[RLIMIT_NOFILE].rlim_cur;
	bool ok = false;

	mutex_enter(&fdp->fd_lock);
	if ((rlim_t)fdp->fd_nfiles < lim)
		ok = true;
	for (int i = 0; !ok && i < fdp->fd_nfiles && (rlim_t)i < lim; i++)
		ok = fdp->fd_files[i] == NULL;
	mutex_exit(&fdp->fd_lock);
	return ok;
}

/* O_PATH files: fstat, fchdir, *at() bases and close, nothing else. */
static int
vnpath_stat(struct file *fp, struct stat *st)
{
	return vn_stat(fp->f_data, st);
}

static int
vnpath_close(struct file *fp)
{
	vrele(fp->f_data);
	return 0;
}

static const struct fileops vnops_path = {
    .fo_stat = vnpath_stat,
    .fo_close = vnpath_close,
    .fo_type = DTYPE_VNODE,
};

/*
 * O_TMPFILE: a regular file with no name in directory upath, made by
 * vop_create with an empty name (see vfs.h); linkat(fd, "", AT_EMPTY_PATH)
 * may name it later.
 */
static int
doopentmp(
    int dirfd, const char *upath, int flags, mode_t mode, register_t *retval)
{
	struct nameidata nd;
	struct vnode *dvp, *vp = NULL;
	struct vattr va;
	struct file *fp;
	char *path;
	int error, fd;

	if ((flags & O_ACCMODE) == O_RDONLY)
		return EINVAL;
	if ((error = namei_user(upath, dirfd, NI_FOLLOW, &nd, &path)) != 0)
		return error;
	dvp = nd.nd_vp;
	if (dvp->v_type != VDIR) {
		error = ENOTDIR;
		goto out;
	}
	if ((error = dir_writable(dvp, nd.nd_cred)) != 0)
		goto out;
	struct componentname cn = {"", 0, nd.nd_cred};
	vattr_null(&va);
	va.va_type = VREG;
	va.va_mode = mode & ALLPERMS & ~cur_umask();
	if ((error = vn_create_attr(dvp, &va, nd.nd_cred)) != 0)
		goto out;
	vn_lock(dvp, RW_WRITER);
	error = dvp->v_op->vop_create(dvp, &cn, &va, &vp);
	vn_unlock(dvp);
	if (error == 0 && (flags & O_EXCL))
		vp->v_nolink = true;
	if (error)
		goto out;
	error = file_alloc(&vnops, vp,
	    flags & (O_ACCMODE | O_APPEND | O_NONBLOCK | O_SYNC | O_DSYNC),
	    &fp);
	if (error)
		goto out;
	vp = NULL;
	mutex_enter(&((struct vnode *)fp->f_data)->v_interlock);
	((struct vnode *)fp->f_data)->v_writecount++;
	mutex_exit(&((struct vnode *)fp->f_data)->v_interlock);
	error = fd_install(
	    curproc->p_fd, fp, 0, (flags & O_CLOEXEC) ? FD_CLOEXEC : 0, &fd);
	file_release(fp);
	if (error == 0)
		*retval = fd;
out:
	if (vp)
		vrele(vp);
	namei_user_done(&nd, path);
	return error;
}

static int
doopenat(
    int dirfd, const char *upath, int flags, mode_t mode, register_t *retval)
{
	struct nameidata nd;
	struct file *fp;
	char *path;
	int error, fd, niflags = 0, fflags;

	if (!fd_slot_free())
		return EMFILE; /* as Linux: no file is made without a slot */
	if ((flags & O_TMPFILE) == O_TMPFILE)
		return doopentmp(dirfd, upath, flags, mode, retval);
	if (flags & O_PATH)
		flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	if (!(flags & O_NOFOLLOW))
		niflags |= NI_FOLLOW;
	if (flags & O_CREAT)
		niflags |= NI_PARENT | NI_CREATE;
	if ((flags & O_CREAT) && (flags & O_EXCL))
		niflags &= ~NI_FOLLOW; /* O_EXCL never follows a final link */
	if ((error = namei_user(upath, dirfd, niflags, &nd, &path)) != 0)
		return error;
	if ((flags & O_CREAT) && nd.nd_vp == NULL &&
	    is_dot_or_dotdot(&nd.nd_cn)) {
		error = EISDIR;
		goto out;
	}
	error = vn_open(&nd, flags, mode);
	if (error)
		goto out;
	fflags = flags &
	    (O_ACCMODE | O_APPEND | O_NONBLOCK | O_SYNC | O_DSYNC | O_DIRECT |
	        O_NOATIME | O_PATH | O_LARGEFILE);
	if (flags & O_PATH)
		fflags = O_PATH | 3; /* neither read nor write (Linux's 3) */
	if (flags & O_PATH) {
		if ((error = file_alloc(&vnops_path, nd.nd_vp, fflags, &fp)) !=
		    0)
			goto out;
		nd.nd_vp = NULL;
	} else if (nd.nd_vp->v_type == VFIFO) {
		/* The file holds its own reference to the FIFO's vnode. */
		if ((error = vfs_fifo_open(nd.nd_vp, fflags, &fp)) != 0)
			goto out;
	} else {
		if ((error = file_alloc(&vnops, nd.nd_vp, fflags, &fp)) != 0)
			goto out;
		nd.nd_vp = NULL; /* the file owns the reference now */
	}
	error = fd_install(
	    curproc->p_fd, fp, 0, (flags & O_CLOEXEC) ? FD_CLOEXEC : 0, &fd);
	file_release(fp);
	if (error == 0)
		*retval = fd;
out:
	namei_user_done(&nd, path);
	return error;
}

int
sys_open(struct lwp *l __unused, const void *v, register_t *retval)
{
	SYSCALL_ARGS(open);

	return doopenat(AT_FDCWD, SCARG(uap, path), SCARG(uap, flags),
	    SCARG(uap, mode), retval);
}

int
sys_openat(struct lwp *l __unused, const void *v, register_t *retval)
{
	SYSCALL_ARGS(openat);

	return doopenat(SCARG(uap, dirfd), SCARG(uap, path), SCARG(uap, flags),
	    SCARG(uap, mode), retval);
}

int
sys_creat(struct lwp *l __unused, const void *v, register_t *retval)
{
	SYSCALL_ARGS(creat);

	return doopenat(AT_FDCWD, SCARG(uap, path),
	    O_CREAT | O_WRONLY | O_TRUNC, SCARG(uap, mode), retval);
}

/* ---------------------------------------------------------------- stat */

static int
dostatat(int dirfd, const char *upath, int atflags, struct vnode **vpp,
    struct nameidata *nd, char **path)
{
	int niflags = (atflags & AT_SYMLINK_NOFOLLOW) ? 0 : NI_FOLLOW;
	int error;

	if (atflags &
	    ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT |
	        AT_STATX_SYNC_TYPE))
		return EINVAL;
	if (atflags & AT_EMPTY_PATH)
		niflags |= NI_EMPTYPATH;
	if ((error = namei_user(upath, dirfd, niflags, nd, path)) != 0)
		return error;
	*vpp = nd->nd_vp;
	return 0;
}

static int
statcommon(int dirfd, const char *upath, int atflags, struct stat *ust)
{
	struct nameidata nd;
	struct vnode *vp;
	struct stat st;
	char *path;
	int error;

	if ((error = dostatat(dirfd, upath, atflags, &vp, &nd, &path)) != 0)
		return error;
	error = vn_stat(vp, &st);
	namei_user_done(&nd, path);
	if (error == 0)
		error = copyout(&st, ust, sizeof(st));
	return error;
}

int
sys_stat(struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(stat);

	return statcommon(AT_FDCWD, SCARG(uap, path), 0, SCARG(uap, statbuf));
}

int
sys_lstat(struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(lstat);

	return statcommon(AT_FDCWD, SCARG(uap, path), AT_SYMLINK_NOFOLLOW,
	    SCARG(uap, statbuf));
}

int
sys_newfstatat(
    struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(newfstatat);

	return statcommon(SCARG(uap, dirfd), SCARG(uap, path),
	    SCARG(uap, flags), SCARG(uap, statbuf));
}

int
sys_statx(struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(statx);
	struct nameidata nd;
	struct vnode *vp;
	struct statx stx;
	struct vattr va;
	char *path;
	int error;

	if (SCARG(uap, mask) & 0x80000000U)
		return EINVAL; /* STATX__RESERVED */
	if ((error = dostatat(SCARG(uap, dirfd), SCARG(uap, path),
	         SCARG(uap, flags), &vp, &nd, &path)) != 0)
		return error;
	struct stat st;
	error = vn_stat(vp, &st);
	if (error == 0)
		error = vn_getattr(vp, &va);
	namei_user_done(&nd, path);
	if (error)
		return error;
	memset(&stx, 0, sizeof(stx));
	stx.stx_mask = STATX_BASIC_STATS |
	    (va.va_birthtime.tv_sec || va.va_birthtime.tv_nsec ? STATX_BTIME
	                                                       : 0);
	stx.stx_blksize = (uint32_t)st.st_blksize;
	stx.stx_nlink = (uint32_t)st.st_nlink;
	stx.stx_uid = st.st_uid;
	stx.stx_gid = st.st_gid;
	stx.stx_mode = (uint16_t)st.st_mode;
	stx.stx_ino = st.st_ino;
	stx.stx_size = (uint64_t)st.st_size;
	stx.stx_blocks = (uint64_t)st.st_blocks;
#define STX_TS(d, s)                                                           \
	((d).tv_sec = (s).tv_sec, (d).tv_nsec = (uint32_t)(s).tv_nsec)
	STX_TS(stx.stx_atime, st.st_atim);
	STX_TS(stx.stx_mtime, st.st_mtim);
	STX_TS(stx.stx_ctime, st.st_ctim);
	STX_TS(stx.stx_btime, va.va_birthtime);
#undef STX_TS
	stx.stx_rdev_major = major(st.st_rdev);
	stx.stx_rdev_minor = minor(st.st_rdev);
	stx.stx_dev_major = major(st.st_dev);
	stx.stx_dev_minor = minor(st.st_dev);
	return copyout(&stx, SCARG(uap, statxbuf), sizeof(stx));
}

/* -------------------------------------------------------------- access */

static int
doaccess(int dirfd, const char *upath, int mode, int flags)
{
	struct nameidata nd;
	kauth_cred_t cred, real;
	char *path;
	int error, acc = 0;

	if (mode & ~(R_OK | W_OK | X_OK))
		return EINVAL;
	if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return EINVAL;
	/* access() checks with the real ids, AT_EACCESS with the effective. */
	cred = kauth_cred_get();
	if (!(flags & AT_EACCESS)) {
		real = kauth_cred_dup(cred);
		kauth_cred_free(cred);
		if (real == NULL)
			return ENOMEM;
		real->cr_euid = real->cr_uid;
		real->cr_egid = real->cr_gid;
		cred = real;
	}
	error = namei_user(upath, dirfd,
	    ((flags & AT_SYMLINK_NOFOLLOW) ? 0 : NI_FOLLOW) |
	        ((flags & AT_EMPTY_PATH) ? NI_EMPTYPATH : 0),
	    &nd, &path);
	if (error == 0) {
		if (mode & R_OK)
			acc |= VREAD;
		if (mode & W_OK)
			acc |= VWRITE;
		if (mode & X_OK)
			acc |= VEXEC;
		if (acc)
			error = vn_access(nd.nd_vp, acc, cred);
		namei_user_done(&nd, path);
	}
	kauth_cred_free(cred);
	return error;
}

int
sys_access(struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(access);

	return doaccess(AT_FDCWD, SCARG(uap, path), SCARG(uap, mode), 0);
}

int
sys_faccessat(
    struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(faccessat);

	return doaccess(SCARG(uap, dirfd), SCARG(uap, path), SCARG(uap, mode),
	    SCARG(uap, flags));
}

int
sys_faccessat2(
    struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(faccessat2);

	return doaccess(SCARG(uap, dirfd), SCARG(uap, path), SCARG(uap, mode),
	    SCARG(uap, flags));
}

/* ------------------------------------------------------ making objects */

/*
 * Makes a node named by upath: kind is VDIR (mkdir), VLNK (symlink with
 * target) or another type (mknod).
 */
static int
domake(int dirfd, const char *upath, enum vtype type, mode_t mode, dev_t dev,
    const char *target)
{
	struct nameidata nd;
	struct vnode *dvp, *vp = NULL;
	struct vattr va;
	char *path;
	int error;

	error = namei_user(upath, dirfd, NI_PARENT | NI_CREATE, &nd, &path);
	if (error)
		return error;
	dvp = nd.nd_dvp;
	if (nd.nd_vp != NULL) {
		error = EEXIST;
		goto out;
	}
	if (nd.nd_trailing_slash && type != VDIR) {
		error = ENOENT;
		goto out;
	}
	if ((error = dir_writable(dvp, nd.nd_cred)) != 0)
		goto out;
	vattr_null(&va);
	va.va_type = type;
	va.va_mode = (type == VLNK) ? 0777 : (mode & ALLPERMS & ~cur_umask());
	va.va_rdev = dev;
	if ((error = vn_create_attr(dvp, &va, nd.nd_cred)) != 0)
		goto out;
	vn_lock(dvp, RW_WRITER);
	if (dvp->v_data == NULL)
		error = ENOENT;
	else if (type == VDIR)
		error = dvp->v_op->vop_mkdir(dvp, &nd.nd_cn, &va, &vp);
	else if (type == VLNK)
		error =
		    dvp->v_op->vop_symlink(dvp, &nd.nd_cn, &va, target, &vp);
	else
		error = dvp->v_op->vop_create(dvp, &nd.nd_cn, &va, &vp);
	/* Under dvp's lock: no lookup can cache the old answer meanwhile. */
	cache_remove(dvp, nd.nd_cn.cn_nameptr, nd.nd_cn.cn_namelen);
	vn_unlock(dvp);
	if (error == 0)
		vrele(vp);
out:
	namei_user_done(&nd, path);
	return error;
}

int
sys_mkdir(struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(mkdir);

	return domake(
	    AT_FDCWD, SCARG(uap, path), VDIR, SCARG(uap, mode), 0, NULL);
}

int
sys_mkdirat(struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(mkdirat);

	return domake(SCARG(uap, dirfd), SCARG(uap, path), VDIR,
	    SCARG(uap, mode), 0, NULL);
}

static int
domknod(int dirfd, const char *upath, mode_t mode, dev_t dev)
{
	enum vtype type;
	kauth_cred_t c;
	bool root;

	if ((mode & S_IFMT) == 0)
		mode |= S_IFREG;
	type = vn_mode2vtype(mode);
	if (type == VDIR)
		return EPERM; /* as Linux: directories come from mkdir */
	if (type == VNON || type == VLNK)
		return EINVAL;
	if (type == VCHR || type == VBLK) {
		c = kauth_cred_get();
		root = c->cr_euid == 0;
		kauth_cred_free(c);
		if (!root)
			return EPERM;
	}
	return domake(dirfd, upath, type, mode, dev, NULL);
}

int
sys_mknod(struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(mknod);

	return domknod(
	    AT_FDCWD, SCARG(uap, path), SCARG(uap, mode), SCARG(uap, dev));
}

int
sys_mknodat(struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(mknodat);

	return domknod(SCARG(uap, dirfd), SCARG(uap, path), SCARG(uap, mode),
	    SCARG(uap, dev));
}

static int
dosymlink(const char *utarget, int dirfd, const char *upath)
{
	char *target;
	int error;

	if ((target = kmem_alloc(PATH_MAX, KM_SLEEP)) == NULL)
		return ENOMEM;
	error = copyinstr(utarget, target, PATH_MAX, NULL);
	if (error == 0 && target[0] == '\0')
		error = ENOENT;
	if (error == 0)
		error = domake(dirfd, upath, VLNK, 0777, 0, target);
	kmem_free(target, PATH_MAX);
	return error;
}

int
sys_symlink(struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(symlink);

	return dosymlink(SCARG(uap, target), AT_FDCWD, SCARG(uap, linkpath));
}

int
sys_symlinkat(
    struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(symlinkat);

	return dosymlink(
	    SCARG(uap, target), SCARG(uap, newdirfd), SCARG(uap, linkpath));
}

static int
dolink(
    int olddirfd, const char *uold, int newdirfd, const char *unew, int flags)
{
	struct nameidata ond, nnd;
	char *opath, *npath;
	struct vnode *vp, *dvp;
	int error;

	if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return EINVAL;
	error = namei_user(uold, olddirfd,
	    ((flags & AT_SYMLINK_FOLLOW) ? NI_FOLLOW : 0) |
	        ((flags & AT_EMPTY_PATH) ? NI_EMPTYPATH : 0),
	    &ond, &opath);
	if (error)
		return error;
	vp = ond.nd_vp;
	error = namei_user(unew, newdirfd, NI_PARENT | NI_CREATE, &nnd, &npath);
	if (error) {
		namei_user_done(&ond, opath);
		return error;
	}
	dvp = nnd.nd_dvp;
	if (nnd.nd_vp != NULL)
		error = EEXIST;
	else if (vp->v_nolink)
		error = ENOENT;
	else if (vp->v_type == VDIR)
		error = EPERM;
	else if (vp->v_mount != dvp->v_mount)
		error = EXDEV;
	else if (nnd.nd_trailing_slash)
		error = ENOENT;
	else
		error = dir_writable(dvp, nnd.nd_cred);
	if (error == 0) {
		vn_lock(dvp, RW_WRITER);
		if (vp != dvp)
			vn_lock(vp, RW_WRITER);
		error = dvp->v_op->vop_link(dvp, &nnd.nd_cn, vp);
		cache_remove(dvp, nnd.nd_cn.cn_nameptr, nnd.nd_cn.cn_namelen);
		if (vp != dvp)
			vn_unlock(vp);
		vn_unlock(dvp);
	}
	namei_user_done(&nnd, npath);
	namei_user_done(&ond, opath);
	return error;
}

int
sys_link(struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(link);

	return dolink(
	    AT_FDCWD, SCARG(uap, oldpath), AT_FDCWD, SCARG(uap, newpath), 0);
}

int
sys_linkat(struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(linkat);

	return dolink(SCARG(uap, olddirfd), SCARG(uap, oldpath),
	    SCARG(uap, newdirfd), SCARG(uap, newpath), SCARG(uap, flags));
}

/* ------------------------------------------------------------ removing */

static int
doremove(int dirfd, const char *upath, bool dir)
{
	struct nameidata nd;
	struct vnode *dvp, *vp;
	char *path;
	int error;

	error =
	    namei_user(upath, dirfd, NI_PARENT | NI_NOCROSSMOUNT, &nd, &path);
	if (error)
		return error;
	dvp = nd.nd_dvp;
	vp = nd.nd_vp;
	if (dir && nd.nd_cn.cn_namelen == 1 && nd.nd_cn.cn_nameptr[0] == '.') {
		error = EINVAL;
		goto out;
	}
	if (dir && is_dot_or_dotdot(&nd.nd_cn)) {
		error = ENOTEMPTY;
		goto out;
	}
	if (!dir && vp->v_type == VDIR) {
		error = EISDIR;
		goto out;
	}
	if (dir && vp->v_type != VDIR) {
		error = ENOTDIR;
		goto out;
	}
	if (!dir && nd.nd_trailing_slash) {
		error = ENOTDIR;
		goto out;
	}
	if (vp->v_mountedhere != NULL || (vp->v_mount->mnt_root == vp)) {
		error = EBUSY;
		goto out;
	}
	if ((error = dir_writable(dvp, nd.nd_cred)) != 0 ||
	    (error = sticky_ok(dvp, vp, nd.nd_cred)) != 0)
		goto out;
	vn_lock(dvp, RW_WRITER);
	vn_lock(vp, RW_WRITER);
	if (dvp->v_data == NULL || vp->v_data == NULL)
		error = ENOENT;
	else if (dir)
		error = dvp->v_op->vop_rmdir(dvp, &nd.nd_cn, vp);
	else
		error = dvp->v_op->vop_remove(dvp, &nd.nd_cn, vp);
	cache_remove(dvp, nd.nd_cn.cn_nameptr, nd.nd_cn.cn_namelen);
	vn_unlock(vp);
	vn_unlock(dvp);
	if (error == 0 && dir)
		cache_purge(vp);
out:
	namei_user_done(&nd, path);
	return error;
}

int
sys_unlink(struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(unlink);

	return doremove(AT_FDCWD, SCARG(uap, path), false);
}

int
sys_rmdir(struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(rmdir);

	return doremove(AT_FDCWD, SCARG(uap, path), true);
}

int
sys_unlinkat(struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(unlinkat);

	if (SCARG(uap, flags) & ~AT_REMOVEDIR)
		return EINVAL;
	return doremove(SCARG(uap, dirfd), SCARG(uap, path),
	    (SCARG(uap, flags) & AT_REMOVEDIR) != 0);
}

/* -------------------------------------------------------------- rename */

/* Whether dir is `anc` or lies below it (on anc's mount). */
static int
is_below(struct vnode *dir, struct vnode *anc, bool *below)
{
	struct vnode *vp = dir, *up;
	struct componentname cn = {"..", 2, NULL};
	int error = 0, depth = 0;

	*below = false;
	vref(vp);
	for (;;) {
		if (vp == anc) {
			*below = true;
			break;
		}
		if (vp == vp->v_mount->mnt_root || vp == rootvnode ||
		    ++depth > 4096)
			break;
		vn_lock(vp, RW_READER);
		error = vp->v_op->vop_lookup(vp, &cn, &up);
		vn_unlock(vp);
		if (error)
			break;
		vrele(vp);
		vp = up;
	}
	vrele(vp);
	return error;
}

/* Locks the distinct vnodes of v[0..n) by address. */
static void
lock_sorted(struct vnode **v, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && v[j] < v[j - 1]; j--) {
			struct vnode *t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	for (int i = 0; i < n; i++)
		if (i == 0 || v[i] != v[i - 1])
			vn_lock(v[i], RW_WRITER);
}

static void
unlock_all(struct vnode **v, int n)
{
	for (int i = 0; i < n; i++) {
		bool seen = false;

		for (int j = 0; j < i; j++)
			seen |= v[j] == v[i];
		if (!seen)
			vn_unlock(v[i]);
	}
}

static int
dorename(int ofd, const char *uold, int nfd, const char *unew, unsigned flags)
{
	struct nameidata fnd, tnd;
	struct vnode *fdvp, *fvp, *tdvp, *tvp, *lk[4];
	struct mount *mp;
	char *fpath, *tpath;
	int error, n;
	bool below;

	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT))
		return EINVAL;
	if (flags & RENAME_WHITEOUT)
		return EINVAL; /* no whiteouts */
	if ((flags & RENAME_NOREPLACE) && (flags & RENAME_EXCHANGE))
		return EINVAL;
	error =
	    namei_user(uold, ofd, NI_PARENT | NI_NOCROSSMOUNT, &fnd, &fpath);
	if (error)
		return error;
	error = namei_user(
	    unew, nfd, NI_PARENT | NI_CREATE | NI_NOCROSSMOUNT, &tnd, &tpath);
	if (error) {
		namei_user_done(&fnd, fpath);
		return error;
	}
	fdvp = fnd.nd_dvp;
	fvp = fnd.nd_vp;
	tdvp = tnd.nd_dvp;
	tvp = tnd.nd_vp;
	mp = fdvp->v_mount;

	if (is_dot_or_dotdot(&fnd.nd_cn) || is_dot_or_dotdot(&tnd.nd_cn)) {
		error = is_dot_or_dotdot(&tnd.nd_cn) && tvp != NULL &&
		        !(tnd.nd_cn.cn_namelen == 1)
		    ? ENOTEMPTY
		    : EBUSY;
		if (fnd.nd_cn.cn_namelen <= 2 && is_dot_or_dotdot(&fnd.nd_cn))
			error = EBUSY;
		goto out;
	}
	if (tdvp->v_mount != mp || fvp->v_mount != mp) {
		error = EXDEV;
		goto out;
	}
	if (fvp == mp->mnt_root || fvp->v_mountedhere ||
	    (tvp && (tvp == tvp->v_mount->mnt_root || tvp->v_mountedhere))) {
		error = EBUSY;
		goto out;
	}
	if ((flags & RENAME_NOREPLACE) && tvp) {
		error = EEXIST;
		goto out;
	}
	if ((flags & RENAME_EXCHANGE) && !tvp) {
		error = ENOENT;
		goto out;
	}
	if (!(flags & RENAME_EXCHANGE) && tvp) {
		if (fvp->v_type == VDIR && tvp->v_type != VDIR) {
			error = ENOTDIR;
			goto out;
		}
		if (fvp->v_type != VDIR && tvp->v_type == VDIR) {
			error = EISDIR;
			goto out;
		}
	}
	if ((fnd.nd_trailing_slash || tnd.nd_trailing_slash) &&
	    fvp->v_type != VDIR) {
		error = ENOTDIR;
		goto out;
	}
	if (fvp == tvp) {
		error = 0; /* the same file: nothing to do */
		goto out;
	}
	if ((error = dir_writable(fdvp, fnd.nd_cred)) != 0 ||
	    (error = dir_writable(tdvp, tnd.nd_cred)) != 0 ||
	    (error = sticky_ok(fdvp, fvp, fnd.nd_cred)) != 0 ||
	    (tvp && (error = sticky_ok(tdvp, tvp, tnd.nd_cred)) != 0))
		goto out;
	/* Moving a directory to a new parent rewrites its "..". */
	if (fvp->v_type == VDIR && fdvp != tdvp &&
	    (error = vn_access(fvp, VWRITE, fnd.nd_cred)) != 0)
		goto out;
	if ((flags & RENAME_EXCHANGE) && tvp->v_type == VDIR && fdvp != tdvp &&
	    (error = vn_access(tvp, VWRITE, tnd.nd_cred)) != 0)
		goto out;

	rw_enter(&mp->mnt_renamelock, RW_WRITER);
	/* A directory may not move below itself. */
	if (fvp->v_type == VDIR && (error = is_below(tdvp, fvp, &below)) == 0 &&
	    below)
		error = EINVAL;
	if (error == 0 && (flags & RENAME_EXCHANGE) && tvp->v_type == VDIR &&
	    (error = is_below(fdvp, tvp, &below)) == 0 && below)
		error = EINVAL;
	if (error) {
		rw_exit(&mp->mnt_renamelock);
		goto out;
	}
	/*
	 * The directories, ancestor first (a remove in the ancestor locks it
	 * before the other); unrelated ones by address.  Then the entries:
	 * neither is an ancestor of the other (checked above).
	 */
	n = 0;
	if (fdvp == tdvp) {
		lk[n++] = fdvp;
		vn_lock(fdvp, RW_WRITER);
	} else {
		bool t_above = false, f_above = false;

		if ((error = is_below(fdvp, tdvp, &t_above)) == 0 && !t_above)
			error = is_below(tdvp, fdvp, &f_above);
		if (error) {
			rw_exit(&mp->mnt_renamelock);
			goto out;
		}
		lk[0] = t_above ? tdvp : fdvp;
		lk[1] = t_above ? fdvp : tdvp;
		if (t_above || f_above) {
			vn_lock(lk[0], RW_WRITER);
			vn_lock(lk[1], RW_WRITER);
		} else {
			lock_sorted(lk, 2);
		}
		n = 2;
	}
	{
		struct vnode *ents[2];
		int ne = 0;

		if (fvp != fdvp && fvp != tdvp)
			ents[ne++] = fvp;
		if (tvp && tvp != fdvp && tvp != tdvp && tvp != fvp)
			ents[ne++] = tvp;
		lock_sorted(ents, ne);
		for (int i = 0; i < ne; i++)
			lk[n++] = ents[i];
	}
	if (fdvp->v_data == NULL || tdvp->v_data == NULL || fvp->v_data == NULL)
		error = ENOENT;
	else
		error = fdvp->v_op->vop_rename(
		    fdvp, &fnd.nd_cn, fvp, tdvp, &tnd.nd_cn, tvp, flags);
	cache_remove(fdvp, fnd.nd_cn.cn_nameptr, fnd.nd_cn.cn_namelen);
	cache_remove(tdvp, tnd.nd_cn.cn_nameptr, tnd.nd_cn.cn_namelen);
	unlock_all(lk, n);
	if (fvp->v_type == VDIR)
		cache_purge(fvp); /* its ".." changed */
	if (tvp && tvp->v_type == VDIR)
		cache_purge(tvp);
	rw_exit(&mp->mnt_renamelock);
out:
	namei_user_done(&tnd, tpath);
	namei_user_done(&fnd, fpath);
	return error;
}

int
sys_rename(struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(rename);

	return dorename(
	    AT_FDCWD, SCARG(uap, oldpath), AT_FDCWD, SCARG(uap, newpath), 0);
}

int
sys_renameat(struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(renameat);

	return dorename(SCARG(uap, olddirfd), SCARG(uap, oldpath),
	    SCARG(uap, newdirfd), SCARG(uap, newpath), 0);
}

int
sys_renameat2(
    struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(renameat2);

	return dorename(SCARG(uap, olddirfd), SCARG(uap, oldpath),
	    SCARG(uap, newdirfd), SCARG(uap, newpath), SCARG(uap, flags));
}

/* ---------------------------------------------------------- attributes */

/* Applies va (va_mask set) to vp after the ownership rules. */
static int
dosetattr(struct vnode *vp, struct vattr *va, kauth_cred_t cred)
{
	struct vattr cur;
	int error;

	if (vfs_isrdonly(vp->v_mount))
		return EROFS;
	if ((error = vn_getattr(vp, &cur)) != 0)
		return error;
	bool owner = cred->cr_euid == 0 || cred->cr_euid == cur.va_uid;

	if (va->va_mask & VA_MODE) {
		if (!owner)
			return EPERM;
		if (cred->cr_euid != 0 && cur.va_type != VDIR &&
		    !kauth_cred_groupmember(cred, cur.va_gid))
			va->va_mode &= ~S_ISGID;
	}
	if (va->va_mask & (VA_UID | VA_GID)) {
		if (!(va->va_mask & VA_UID))
			va->va_uid = cur.va_uid;
		if (!(va->va_mask & VA_GID))
			va->va_gid = cur.va_gid;
		if (cred->cr_euid != 0 &&
		    (va->va_uid != cur.va_uid || !owner ||
		        (va->va_gid != cur.va_gid &&
		            !kauth_cred_groupmember(cred, va->va_gid))))
			return EPERM;
		/* A change of owner drops setuid/setgid (not for root's dirs).
		 */
		if (cur.va_type != VDIR &&
		    (cur.va_mode & (S_ISUID | S_ISGID))) {
			va->va_mask |= VA_MODE;
			va->va_mode = cur.va_mode & ~(mode_t)S_ISUID;
			if (cur.va_mode & (S_IXUSR >> 3))
				va->va_mode &= ~(mode_t)S_ISGID;
		}
		va->va_mask |= VA_UID | VA_GID;
	}
	va->va_mask |= VA_CTIME;
	va->va_ctime.tv_sec = (time_t)(getnanotime() / 1000000000u);
	va->va_ctime.tv_nsec = (long)(getnanotime() % 1000000000u);
	vn_lock(vp, RW_WRITER);
	error = vp->v_data ? vp->v_op->vop_setattr(vp, va) : EBADF;
	vn_unlock(vp);
	return error;
}

/* Resolves a path (or an fd when upath is NULL) to a vnode for setattr. */
struct target {
	struct nameidata t_nd;
	char *t_path;
	struct file *t_fp;
	struct vnode *t_vp;
	kauth_cred_t t_cred;
};

static int
target_get(struct target *t, int dirfd, const char *upath, int fd, bool follow,
    bool emptypath)
{
	int error;

	memset(t, 0, sizeof(*t));
	if (upath == NULL) {
		if ((error = fd_getvnode(fd, &t->t_vp, &t->t_fp)) != 0)
			return error;
		if (t->t_fp->f_flag & O_PATH) {
			vrele(t->t_vp);
			file_release(t->t_fp);
			return EBADF;
		}
		t->t_cred = kauth_cred_get();
		return 0;
	}
	error = namei_user(upath, dirfd,
	    (follow ? NI_FOLLOW : 0) | (emptypath ? NI_EMPTYPATH : 0), &t->t_nd,
	    &t->t_path);
	if (error)
		return error;
	t->t_vp = t->t_nd.nd_vp;
	t->t_cred = t->t_nd.nd_cred;
	return 0;
}

static void
target_done(struct target *t)
{
	if (t->t_fp) {
		vrele(t->t_vp);
		file_release(t->t_fp);
		kauth_cred_free(t->t_cred);
	} else {
		namei_user_done(&t->t_nd, t->t_path);
	}
}

static int
dochmod(int dirfd, const char *upath, int fd, mode_t mode, bool follow)
{
	struct target t;
	struct vattr va;
	int error;

	if ((error = target_get(&t, dirfd, upath, fd, follow, false)) != 0)
		return error;
	vattr_null(&va);
	va.va_mode = mode & ALLPERMS;
	va.va_mask = VA_MODE;
	if (t.t_vp->v_type == VLNK)
		error = EOPNOTSUPP;
	else
		error = dosetattr(t.t_vp, &va, t.t_cred);
	target_done(&t);
	return error;
}

int
sys_chmod(struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(chmod);

	return dochmod(AT_FDCWD, SCARG(uap, path), -1, SCARG(uap, mode), true);
}

int
sys_fchmod(struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(fchmod);

	return dochmod(AT_FDCWD, NULL, SCARG(uap, fd), SCARG(uap, mode), true);
}

int
sys_fchmodat(struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(fchmodat);

	if (SCARG(uap, flags) & ~AT_SYMLINK_NOFOLLOW)
		return EINVAL;
	return dochmod(SCARG(uap, dirfd), SCARG(uap, path), -1,
	    SCARG(uap, mode), !(SCARG(uap, flags) & AT_SYMLINK_NOFOLLOW));
}

static int
dochown(int dirfd, const char *upath, int fd, uid_t uid, gid_t gid, bool follow,
    bool emptypath)
{
	struct target t;
	struct vattr va;
	int error;

	if ((error = target_get(&t, dirfd, upath, fd, follow, emptypath)) != 0)
		return error;
	vattr_null(&va);
	if (uid != (uid_t)-1) {
		va.va_uid = uid;
		va.va_mask |= VA_UID;
	}
	if (gid != (gid_t)-1) {
		va.va_gid = gid;
		va.va_mask |= VA_GID;
	}
	error = dosetattr(t.t_vp, &va, t.t_cred);
	target_done(&t);
	return error;
}

int
sys_chown(struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(chown);

	return dochown(AT_FDCWD, SCARG(uap, path), -1, SCARG(uap, owner),
	    SCARG(uap, group), true, false);
}

int
sys_lchown(struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(lchown);

	return dochown(AT_FDCWD, SCARG(uap, path), -1, SCARG(uap, owner),
	    SCARG(uap, group), false, false);
}

int
sys_fchown(struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(fchown);

	return dochown(AT_FDCWD, NULL, SCARG(uap, fd), SCARG(uap, owner),
	    SCARG(uap, group), true, false);
}

int
sys_fchownat(struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(fchownat);
	int flags = SCARG(uap, flags);

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return EINVAL;
	return dochown(SCARG(uap, dirfd), SCARG(uap, path), -1,
	    SCARG(uap, owner), SCARG(uap, group),
	    !(flags & AT_SYMLINK_NOFOLLOW), (flags & AT_EMPTY_PATH) != 0);
}

/*
 * utimensat: NULL times or UTIME_NOW for both needs ownership or write
 * access; explicit times need ownership.
 */
static int
doutimes(struct target *t, const struct timespec *ts)
{
	struct vattr va, cur;
	uint64_t now = getnanotime();
	struct timespec nowts = {
	    (time_t)(now / 1000000000u), (long)(now % 1000000000u)};
	bool explicit = false;
	int error;

	vattr_null(&va);
	for (int i = 0; i < 2; i++) {
		struct timespec v =
		    ts ? ts[i] : (struct timespec){0, UTIME_NOW};

		if (v.tv_nsec == UTIME_OMIT)
			continue;
		if (v.tv_nsec == UTIME_NOW) {
			v = nowts;
		} else {
			if (v.tv_nsec < 0 || v.tv_nsec >= 1000000000)
				return EINVAL;
			explicit = true;
		}
		if (i == 0) {
			va.va_atime = v;
			va.va_mask |= VA_ATIME;
		} else {
			va.va_mtime = v;
			va.va_mask |= VA_MTIME;
		}
	}
	if (va.va_mask == 0)
		return 0;
	if (vfs_isrdonly(t->t_vp->v_mount))
		return EROFS;
	if ((error = vn_getattr(t->t_vp, &cur)) != 0)
		return error;
	if (t->t_cred->cr_euid != 0 && t->t_cred->cr_euid != cur.va_uid) {
		if (explicit)
			return EPERM;
		if ((error = vfs_access(t->t_cred, &cur, VWRITE)) != 0)
			return error;
	}
	va.va_mask |= VA_CTIME;
	va.va_ctime = nowts;
	vn_lock(t->t_vp, RW_WRITER);
	error = t->t_vp->v_op->vop_setattr(t->t_vp, &va);
	vn_unlock(t->t_vp);
	return error;
}

int
sys_utimensat(
    struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(utimensat);
	struct timespec ts[2];
	struct target t;
	int flags = SCARG(uap, flags), error;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return EINVAL;
	if (SCARG(uap, times) != NULL &&
	    (error = copyin(SCARG(uap, times), ts, sizeof(ts))) != 0)
		return error;
	if (SCARG(uap, path) == NULL)
		error = target_get(&t, 0, NULL, SCARG(uap, dirfd), true, false);
	else
		error = target_get(&t, SCARG(uap, dirfd), SCARG(uap, path), -1,
		    !(flags & AT_SYMLINK_NOFOLLOW),
		    (flags & AT_EMPTY_PATH) != 0);
	if (error)
		return error;
	error = doutimes(&t, SCARG(uap, times) ? ts : NULL);
	target_done(&t);
	return error;
}

int
sys_futimesat(
    struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(futimesat);
	struct timeval tv[2];
	struct timespec ts[2];
	struct target t;
	int error;

	if (SCARG(uap, times) != NULL) {
		if ((error = copyin(SCARG(uap, times), tv, sizeof(tv))) != 0)
			return error;
		for (int i = 0; i < 2; i++) {
			if (tv[i].tv_usec < 0 || tv[i].tv_usec >= 1000000)
				return EINVAL;
			ts[i].tv_sec = tv[i].tv_sec;
			ts[i].tv_nsec = tv[i].tv_usec * 1000;
		}
	}
	error = target_get(
	    &t, SCARG(uap, dirfd), SCARG(uap, path), -1, true, false);
	if (error)
		return error;
	error = doutimes(&t, SCARG(uap, times) ? ts : NULL);
	target_done(&t);
	return error;
}

static int
dotruncate(struct vnode *vp, off_t len, kauth_cred_t cred, bool checkperm)
{
	struct vattr va;
	int error;

	if (len < 0)
		return EINVAL;
	if (vp->v_type == VDIR)
		return EISDIR;
	if (vp->v_type != VREG)
		return EINVAL;
	if (vfs_isrdonly(vp->v_mount))
		return EROFS;
	if (checkperm && (error = vn_access(vp, VWRITE, cred)) != 0)
		return error;
	if ((uint64_t)len > curproc->p_rlimit[RLIMIT_FSIZE].rlim_cur)
		return EFBIG;
	vattr_null(&va);
	va.va_size = len;
	va.va_mask = VA_SIZE;
	vn_lock(vp, RW_WRITER);
	error = vp->v_op->vop_setattr(vp, &va);
	vn_unlock(vp);
	return error;
}

int
sys_truncate(struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(truncate);
	struct target t;
	int error;

	if ((error = target_get(
	         &t, AT_FDCWD, SCARG(uap, path), -1, true, false)) != 0)
		return error;
	error = dotruncate(t.t_vp, SCARG(uap, length), t.t_cred, true);
	target_done(&t);
	return error;
}

int
sys_ftruncate(
    struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(ftruncate);
	struct target t;
	int error;

	if ((error = target_get(&t, 0, NULL, SCARG(uap, fd), true, false)) != 0)
		return error;
	if ((t.t_fp->f_flag & O_ACCMODE) == O_RDONLY)
		error = EINVAL;
	else
		error = dotruncate(t.t_vp, SCARG(uap, length), t.t_cred, false);
	target_done(&t);
	return error;
}

int
sys_fallocate(
    struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(fallocate);
	struct target t;
	int mode = SCARG(uap, mode), error;
	off_t off = SCARG(uap, offset), len = SCARG(uap, len);

	if (off < 0 || len <= 0)
		return EINVAL;
	if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE))
		return EOPNOTSUPP;
	if ((mode & FALLOC_FL_PUNCH_HOLE) && !(mode & FALLOC_FL_KEEP_SIZE))
		return EOPNOTSUPP; /* as Linux */
	if ((error = target_get(&t, 0, NULL, SCARG(uap, fd), true, false)) != 0)
		return error;
	if ((t.t_fp->f_flag & O_ACCMODE) == O_RDONLY)
		error = EBADF;
	else if (t.t_vp->v_type == VDIR)
		error = EISDIR;
	else if (t.t_vp->v_type != VREG)
		error = ENODEV;
	else if (vfs_isrdonly(t.t_vp->v_mount))
		error = EROFS;
	else if (t.t_vp->v_op->vop_fallocate == NULL)
		error = EOPNOTSUPP;
	else {
		vn_lock(t.t_vp, RW_WRITER);
		error = t.t_vp->v_op->vop_fallocate(t.t_vp, mode, off, len);
		vn_unlock(t.t_vp);
	}
	target_done(&t);
	return error;
}

/* ------------------------------------------------------------ readlink */

static int
doreadlink(
    int dirfd, const char *upath, char *ubuf, size_t size, register_t *retval)
{
	struct nameidata nd;
	char *path;
	int error;

	if ((ssize_t)size <= 0)
		return EINVAL;
	if ((error = namei_user(upath, dirfd, NI_EMPTYPATH, &nd, &path)) != 0)
		return error;
	if (nd.nd_vp->v_type != VLNK) {
		error = EINVAL;
	} else {
		struct iovec iov = {ubuf, size};
		struct uio uio = {&iov, 1, 0, size, UIO_READ, false};

		vn_lock(nd.nd_vp, RW_READER);
		error = nd.nd_vp->v_op->vop_readlink(nd.nd_vp, &uio);
		vn_unlock(nd.nd_vp);
		*retval = (register_t)(size - uio.uio_resid);
	}
	namei_user_done(&nd, path);
	return error;
}

int
sys_readlink(struct lwp *l __unused, const void *v, register_t *retval)
{
	SYSCALL_ARGS(readlink);

	return doreadlink(AT_FDCWD, SCARG(uap, path), SCARG(uap, buf),
	    SCARG(uap, bufsiz), retval);
}

int
sys_readlinkat(struct lwp *l __unused, const void *v, register_t *retval)
{
	SYSCALL_ARGS(readlinkat);

	return doreadlink(SCARG(uap, dirfd), SCARG(uap, path), SCARG(uap, buf),
	    SCARG(uap, bufsiz), retval);
}

/* ---------------------------------------------------------- getdents64 */

struct dents_ctx {
	char *dc_buf; /* kernel staging buffer */
	size_t dc_len, dc_used;
};

static int
dents_fill(void *arg, uint64_t ino, off_t next, unsigned char type,
    const char *name, size_t namelen)
{
	struct dents_ctx *dc = arg;
	size_t reclen =
	    roundup(offsetof(struct linux_dirent64, d_name) + namelen + 1, 8);
	struct linux_dirent64 *d;

	if (dc->dc_used + reclen > dc->dc_len)
		return 1;
	d = (struct linux_dirent64 *)(void *)(dc->dc_buf + dc->dc_used);
	memset(d, 0, reclen);
	d->d_ino = ino;
	d->d_off = next;
	d->d_reclen = (unsigned short)reclen;
	d->d_type = type;
	memcpy(d->d_name, name, namelen);
	dc->dc_used += reclen;
	return 0;
}

int
sys_getdents64(struct lwp *l __unused, const void *v, register_t *retval)
{
	SYSCALL_ARGS(getdents64);
	struct dents_ctx dc;
	struct vnode *vp;
	struct file *fp;
	size_t count = SCARG(uap, count);
	off_t cookie;
	int error;

	if ((error = fd_getvnode(SCARG(uap, fd), &vp, &fp)) != 0)
		return error == EINVAL ? ENOTDIR : error;
	if (vp->v_type != VDIR) {
		error = ENOTDIR;
		goto out;
	}
	if (fp->f_flag & O_PATH) {
		error = EBADF;
		goto out;
	}
	dc.dc_len = MIN(count, 65536);
	dc.dc_used = 0;
	if (dc.dc_len < offsetof(struct linux_dirent64, d_name) + 2) {
		error = EINVAL;
		goto out;
	}
	if ((dc.dc_buf = kmem_alloc(dc.dc_len, KM_SLEEP)) == NULL) {
		error = ENOMEM;
		goto out;
	}
	mutex_enter(&fp->f_lock);
	cookie = fp->f_offset;
	vn_lock(vp, RW_READER);
	error = vp->v_data ? vp->v_op->vop_readdir(vp, &cookie, dents_fill, &dc)
	                   : ENOENT;
	vn_unlock(vp);
	if (error == 0 && dc.dc_used == 0 && cookie != fp->f_offset)
		error = EINVAL; /* an entry bigger than the buffer */
	if (error == 0 && dc.dc_used > 0)
		error = copyout(dc.dc_buf, SCARG(uap, dirp), dc.dc_used);
	if (error == 0) {
		fp->f_offset = cookie;
		*retval = (register_t)dc.dc_used;
	}
	mutex_exit(&fp->f_lock);
	kmem_free(dc.dc_buf, dc.dc_len);
out:
	vrele(vp);
	file_release(fp);
	return error;
}

/* -------------------------------------------------- cwd, root, getcwd */

static int
setcwd(struct vnode *vp, bool root)
{
	struct proc *p = curproc;
	struct cwdinfo *cwdi = p->p_cwdi;
	struct vnode *old;

	vref(vp);
	mutex_enter(&p->p_lock);
	if (root) {
		old = cwdi->cwdi_rdir;
		cwdi->cwdi_rdir = vp;
	} else {
		old = cwdi->cwdi_cdir;
		cwdi->cwdi_cdir = vp;
	}
	mutex_exit(&p->p_lock);
	if (old)
		vrele(old);
	return 0;
}

static int
dochdir(struct vnode *vp, kauth_cred_t cred, bool root)
{
	int error;

	if (vp->v_type != VDIR)
		return ENOTDIR;
	if ((error = vn_access(vp, VEXEC, cred)) != 0)
		return error;
	if (root && cred->cr_euid != 0)
		return EPERM;
	return setcwd(vp, root);
}

int
sys_chdir(struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(chdir);
	struct target t;
	int error;

	if ((error = target_get(
	         &t, AT_FDCWD, SCARG(uap, path), -1, true, false)) != 0)
		return error;
	error = dochdir(t.t_vp, t.t_cred, false);
	target_done(&t);
	return error;
}

int
sys_fchdir(struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(fchdir);
	struct vnode *vp;
	struct file *fp;
	kauth_cred_t cred;
	int error;

	if ((error = fd_getvnode(SCARG(uap, fd), &vp, &fp)) != 0)
		return error == EINVAL ? ENOTDIR : error;
	cred = kauth_cred_get();
	error = dochdir(vp, cred, false);
	kauth_cred_free(cred);
	vrele(vp);
	file_release(fp);
	return error;
}

int
sys_chroot(struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(chroot);
	struct target t;
	int error;

	if ((error = target_get(
	         &t, AT_FDCWD, SCARG(uap, path), -1, true, false)) != 0)
		return error;
	error = dochdir(t.t_vp, t.t_cred, true);
	target_done(&t);
	return error;
}

/* Finds the name of vp (a directory) in its parent dvp. */
struct findname {
	uint64_t fn_ino;
	char *fn_name;
	size_t fn_len;
	bool fn_found;
};

static int
findname_fill(void *arg, uint64_t ino, off_t next __unused,
    unsigned char type __unused, const char *name, size_t namelen)
{
	struct findname *fn = arg;

	if (ino != fn->fn_ino || (namelen == 1 && name[0] == '.') ||
	    (namelen == 2 && name[0] == '.' && name[1] == '.'))
		return 0;
	memcpy(fn->fn_name, name, namelen);
	fn->fn_len = namelen;
	fn->fn_found = true;
	return 1;
}

/*
 * Builds the path of the cwd from the bottom: each directory's name is
 * found by reading its parent.  Returns ENOENT when the cwd was removed.
 */
static int
dogetcwd(char *buf, size_t size, size_t *lenp)
{
	struct vnode *root, *vp, *up;
	struct componentname dotdot = {"..", 2, NULL};
	char name[NAME_MAX + 1];
	size_t pos = size;
	int error = 0;

	{
		struct proc *p = curproc;
		struct cwdinfo *cwdi = p->p_cwdi;

		mutex_enter(&p->p_lock);
		root = cwdi->cwdi_rdir ? cwdi->cwdi_rdir : rootvnode;
		vp = cwdi->cwdi_cdir ? cwdi->cwdi_cdir : rootvnode;
		vref(root);
		vref(vp);
		mutex_exit(&p->p_lock);
	}
	buf[--pos] = '\0';
	while (vp != root && vp != rootvnode) {
		struct vattr va;
		struct findname fn = {0, name, 0, false};
		off_t cookie = 0;

		/* Step out of mounts onto what they cover. */
		while (vp == vp->v_mount->mnt_root &&
		    vp->v_mount->mnt_vnodecovered != NULL) {
			up = vp->v_mount->mnt_vnodecovered;
			vref(up);
			vrele(vp);
			vp = up;
		}
		if (vp == root || vp == rootvnode)
			break;
		if ((error = vn_getattr(vp, &va)) != 0)
			break;
		if (va.va_nlink == 0) {
			error = ENOENT;
			break;
		}
		fn.fn_ino = va.va_fileid;
		vn_lock(vp, RW_READER);
		error = vp->v_op->vop_lookup(vp, &dotdot, &up);
		vn_unlock(vp);
		if (error)
			break;
		vn_lock(up, RW_READER);
		error = up->v_op->vop_readdir(up, &cookie, findname_fill, &fn);
		vn_unlock(up);
		vrele(vp);
		vp = up;
		if (error)
			break;
		if (!fn.fn_found) {
			error = ENOENT;
			break;
		}
		if (pos < fn.fn_len + 1) {
			error = ERANGE;
			break;
		}
		pos -= fn.fn_len;
		memcpy(buf + pos, name, fn.fn_len);
		buf[--pos] = '/';
	}
	vrele(vp);
	vrele(root);
	if (error)
		return error;
	if (pos == size - 1) {
		if (pos < 1)
			return ERANGE;
		buf[--pos] = '/';
	}
	memmove(buf, buf + pos, size - pos);
	*lenp = size - pos;
	return 0;
}

int
sys_getcwd(struct lwp *l __unused, const void *v, register_t *retval)
{
	SYSCALL_ARGS(getcwd);
	size_t size = SCARG(uap, size), len;
	char *buf;
	int error;

	if (size == 0)
		return EINVAL;
	if ((buf = kmem_alloc(PATH_MAX, KM_SLEEP)) == NULL)
		return ENOMEM;
	error = dogetcwd(buf, PATH_MAX, &len);
	if (error == 0 && len > size)
		error = ERANGE;
	if (error == 0)
		error = copyout(buf, SCARG(uap, buf), len);
	if (error == 0)
		*retval = (register_t)len;
	kmem_free(buf, PATH_MAX);
	return error;
}

/* libc's getcwd: the buffer, or NULL with errno. */
RUMP_API char *
rump_sys_getcwd(char *buf, size_t size)
{
	register_t args[2] = {(register_t)buf, (register_t)size};
	register_t rv[2] = {0, 0};
	int error = syscall_local(SYS_getcwd, args, rv);

	if (error) {
		rumpuser_seterrno(error);
		return NULL;
	}
	return buf;
}

/* --------------------------------------------------------------- fsync */

static int
dofsync(int fd, int flags)
{
	struct target t;
	int error;

	if ((error = target_get(&t, 0, NULL, fd, true, false)) != 0)
		return error;
	if (t.t_vp->v_type == VBLK && t.t_vp->v_op->vop_fsync == NULL) {
		/* A device node on any fs: its buffers are the device's. */
		error = bflush(t.t_vp->v_rdev, true);
	} else if (t.t_vp->v_op->vop_fsync == NULL || t.t_vp->v_type == VFIFO ||
	    t.t_vp->v_type == VSOCK) {
		error = t.t_vp->v_type == VREG || t.t_vp->v_type == VDIR
		    ? 0
		    : EINVAL;
	} else {
		vn_lock(t.t_vp, RW_WRITER);
		error = t.t_vp->v_op->vop_fsync(t.t_vp, flags);
		vn_unlock(t.t_vp);
	}
	target_done(&t);
	return error;
}

int
sys_fsync(struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(fsync);

	return dofsync(SCARG(uap, fd), 0);
}

int
sys_fdatasync(
    struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(fdatasync);

	return dofsync(SCARG(uap, fd), FSYNC_DATAONLY);
}

/* ------------------------------------------- sendfile, copy_file_range */

/*
 * Copies len bytes from fin at *inoff (or its file offset) to fout at
 * *outoff (or its offset), through a kernel buffer.
 */
static int
docopy(struct file *fin, off_t *inoff, struct file *fout, off_t *outoff,
    size_t len, register_t *retval)
{
	size_t bufsz = MIN(len, (size_t)65536), done = 0;
	char *buf;
	int error = 0;

	if (len == 0) {
		*retval = 0;
		return 0;
	}
	if ((buf = kmem_alloc(bufsz, KM_SLEEP)) == NULL)
		return ENOMEM;
	while (done < len) {
		size_t want = MIN(len - done, bufsz), got;
		struct iovec iov = {buf, want};
		struct uio uio = {
		    &iov, 1, inoff ? *inoff : 0, want, UIO_READ, true};

		error = fin->f_ops->fo_read(
		    fin, &uio, inoff ? 0 : FOF_UPDATE_OFFSET);
		if (error)
			break;
		got = want - uio.uio_resid;
		if (got == 0)
			break;
		if (inoff)
			*inoff += (off_t)got;
		iov = (struct iovec){buf, got};
		uio = (struct uio){
		    &iov, 1, outoff ? *outoff : 0, got, UIO_WRITE, true};
		error = fout->f_ops->fo_write(
		    fout, &uio, outoff ? 0 : FOF_UPDATE_OFFSET);
		got -= uio.uio_resid;
		if (outoff)
			*outoff += (off_t)got;
		done += got;
		if (error || uio.uio_resid != 0)
			break;
	}
	kmem_free(buf, bufsz);
	if (done > 0)
		error = 0;
	*retval = (register_t)done;
	return error;
}

int
sys_sendfile(struct lwp *l __unused, const void *v, register_t *retval)
{
	SYSCALL_ARGS(sendfile);
	struct file *fin, *fout;
	off_t off;
	int error;

	if ((error = fd_getfile(SCARG(uap, in_fd), &fin)) != 0)
		return error;
	if ((error = fd_getfile(SCARG(uap, out_fd), &fout)) != 0) {
		file_release(fin);
		return error;
	}
	if ((fin->f_flag & O_ACCMODE) == O_WRONLY ||
	    (fout->f_flag & O_ACCMODE) == O_RDONLY ||
	    fin->f_ops->fo_read == NULL || fout->f_ops->fo_write == NULL)
		error = EBADF;
	else if ((fout->f_flag & O_APPEND))
		error = EINVAL;
	else if (SCARG(uap, offset) != NULL) {
		if ((error = copyin(SCARG(uap, offset), &off, sizeof(off))) ==
		    0) {
			if (off < 0)
				error = EINVAL;
			else
				error = docopy(fin, &off, fout, NULL,
				    SCARG(uap, count), retval);
			if (error == 0)
				error = copyout(
				    &off, SCARG(uap, offset), sizeof(off));
		}
	} else {
		error =
		    docopy(fin, NULL, fout, NULL, SCARG(uap, count), retval);
	}
	file_release(fout);
	file_release(fin);
	return error;
}

int
sys_copy_file_range(struct lwp *l __unused, const void *v, register_t *retval)
{
	SYSCALL_ARGS(copy_file_range);
	struct file *fin, *fout;
	off_t inoff, outoff;
	int error;

	if (SCARG(uap, flags) != 0)
		return EINVAL;
	if ((error = fd_getfile(SCARG(uap, fd_in), &fin)) != 0)
		return error;
	if ((error = fd_getfile(SCARG(uap, fd_out), &fout)) != 0) {
		file_release(fin);
		return error;
	}
	if ((fin->f_flag & O_ACCMODE) == O_WRONLY ||
	    (fout->f_flag & O_ACCMODE) == O_RDONLY ||
	    (fout->f_flag & O_APPEND)) {
		error = EBADF;
		goto out;
	}
	if (fin->f_ops->fo_type != DTYPE_VNODE ||
	    fout->f_ops->fo_type != DTYPE_VNODE ||
	    ((struct vnode *)fin->f_data)->v_type != VREG ||
	    ((struct vnode *)fout->f_data)->v_type != VREG) {
		error = EINVAL;
		goto out;
	}
	if ((SCARG(uap, off_in) &&
	        (error = copyin(SCARG(uap, off_in), &inoff, sizeof(inoff)))) ||
	    (SCARG(uap, off_out) &&
	        (error = copyin(SCARG(uap, off_out), &outoff, sizeof(outoff)))))
		goto out;
	if ((SCARG(uap, off_in) && inoff < 0) ||
	    (SCARG(uap, off_out) && outoff < 0)) {
		error = EINVAL;
		goto out;
	}
	error = docopy(fin, SCARG(uap, off_in) ? &inoff : NULL, fout,
	    SCARG(uap, off_out) ? &outoff : NULL, SCARG(uap, len), retval);
	if (error == 0 && SCARG(uap, off_in))
		error = copyout(&inoff, SCARG(uap, off_in), sizeof(inoff));
	if (error == 0 && SCARG(uap, off_out))
		error = copyout(&outoff, SCARG(uap, off_out), sizeof(outoff));
out:
	file_release(fout);
	file_release(fin);
	return error;
}
