/*
 * vfs_xattr.c — the extended-attribute system calls: setxattr, getxattr,
 * listxattr and removexattr, each on a path (following a final
 * symlink), on a path without following it (l*), and on a descriptor
 * (f*), with Linux's semantics and errno values.
 *
 * The VFS does everything but storing: it copies the name (1..255
 * bytes, else ERANGE) and the value (at most 64 KiB, else E2BIG) in,
 * resolves the file, decides by namespace who may do what (below), and
 * calls the file system's vop_getxattr/listxattr/setxattr/removexattr
 * (vfs.h) with kernel buffers, holding the vnode lock.  A file system
 * without those operations answers EOPNOTSUPP.
 *
 * Namespaces, as Linux with its default (capability) security module:
 *   user.*      regular files and directories only (EPERM to change,
 *               ENODATA to read on others); reading needs read access,
 *               changing write access, and on a sticky directory
 *               ownership too.
 *   trusted.*   root only: others get EPERM changing, ENODATA reading,
 *               and do not see the names listed.
 *   security.*  anyone may read; changing needs root (EPERM).
 *   system.*    posix ACLs and the like: not served (EOPNOTSUPP).
 *   others      EOPNOTSUPP, after the permission check of user.*.
 * Listing needs no permission on the file.  Changes on a read-only
 * mount fail with EROFS before anything else is looked at.
 */
#include "kern/syscall.h"
#include "vfs.h"

enum xattr_ns { XNS_USER, XNS_TRUSTED, XNS_SECURITY, XNS_SYSTEM, XNS_OTHER };

static const struct {
	const char *p;
	size_t len;
	enum xattr_ns ns;
} xattr_prefixes[] = {
    {"user.", 5, XNS_USER},
    {"trusted.", 8, XNS_TRUSTED},
    {"security.", 9, XNS_SECURITY},
    {"system.", 7, XNS_SYSTEM},
};

/* The namespace of name; *restp: whether anything follows the prefix. */
static enum xattr_ns
xattr_ns_of(const char *name, bool *restp)
{
	for (size_t i = 0;
	     i < sizeof(xattr_prefixes) / sizeof(xattr_prefixes[0]); i++) {
		if (strncmp(name, xattr_prefixes[i].p, xattr_prefixes[i].len) ==
		    0) {
			*restp = name[xattr_prefixes[i].len] != '\0';
			return xattr_prefixes[i].ns;
		}
	}
	*restp = true;
	return XNS_OTHER;
}

/* Copies a name in: kname holds XATTR_NAME_MAX + 1 bytes. */
static int
xattr_name_in(const char *uname, char *kname)
{
	size_t done = 0;
	int error;

	error = copyinstr(uname, kname, XATTR_NAME_MAX + 1, &done);
	if (error == ENAMETOOLONG)
		return ERANGE;
	if (error)
		return error;
	return done <= 1 ? ERANGE : 0;
}

/* The file a call works on: a path's vnode or a descriptor's. */
struct xtarget {
	struct nameidata xt_nd;
	char *xt_path;
	struct file *xt_fp;
	struct vnode *xt_vp;
	kauth_cred_t xt_cred;
};

/*
 * Resolves the file.  A descriptor of no vnode (a pipe, a socket) has no
 * attributes: EOPNOTSUPP, or with listing an empty list (xt_vp NULL).
 */
static int
xtarget_get(
    struct xtarget *xt, const char *upath, int fd, bool follow, bool listing)
{
	int error;

	memset(xt, 0, sizeof(*xt));
	if (upath == NULL) {
		if ((error = fd_getfile(fd, &xt->xt_fp)) != 0)
			return error;
		if (xt->xt_fp->f_flag & O_PATH) {
			file_release(xt->xt_fp);
			return EBADF;
		}
		if (xt->xt_fp->f_ops->fo_type != DTYPE_VNODE) {
			file_release(xt->xt_fp);
			xt->xt_fp = NULL;
			return listing ? 0 : EOPNOTSUPP;
		}
		xt->xt_vp = xt->xt_fp->f_data;
		vref(xt->xt_vp);
		xt->xt_cred = kauth_cred_get();
		return 0;
	}
	error = namei_user(
	    upath, AT_FDCWD, follow ? NI_FOLLOW : 0, &xt->xt_nd, &xt->xt_path);
	if (error)
		return error;
	xt->xt_vp = xt->xt_nd.nd_vp;
	xt->xt_cred = xt->xt_nd.nd_cred;
	return 0;
}

static void
xtarget_done(struct xtarget *xt)
{
	if (xt->xt_vp == NULL)
		return;
	if (xt->xt_fp) {
		vrele(xt->xt_vp);
		file_release(xt->xt_fp);
		kauth_cred_free(xt->xt_cred);
	} else {
		namei_user_done(&xt->xt_nd, xt->xt_path);
	}
}

/*
 * May cred read (write: change) attribute name of vp?  0, or the errno
 * the call fails with.
 */
static int
xattr_permission(
    struct vnode *vp, kauth_cred_t cred, const char *name, bool write)
{
	bool root = cred->cr_euid == 0, rest;
	enum xattr_ns ns = xattr_ns_of(name, &rest);
	struct vattr va;
	int error;

	if (write && vfs_isrdonly(vp->v_mount))
		return EROFS;
	switch (ns) {
	case XNS_SECURITY:
		if (write && !root)
			return EPERM;
		break;
	case XNS_TRUSTED:
		if (!root)
			return write ? EPERM : ENODATA;
		break;
	case XNS_SYSTEM:
		break;
	case XNS_USER:
	case XNS_OTHER:
		if ((error = vn_getattr(vp, &va)) != 0)
			return error;
		if (ns == XNS_USER) {
			if (va.va_type != VREG && va.va_type != VDIR)
				return write ? EPERM : ENODATA;
			if (write && va.va_type == VDIR &&
			    (va.va_mode & S_ISVTX) && !root &&
			    cred->cr_euid != va.va_uid)
				return EPERM;
		}
		if ((error = vfs_access(cred, &va, write ? VWRITE : VREAD)) !=
		    0)
			return error;
		break;
	}
	/* Allowed; whether anyone serves it is the next question. */
	if (ns == XNS_SYSTEM || ns == XNS_OTHER)
		return EOPNOTSUPP;
	if (!rest)
		return EINVAL; /* "user." alone names nothing */
	return 0;
}

/* ---------------------------------------------------------------- set */

static int
dosetxattr(const char *upath, int fd, bool follow, const char *uname,
    const void *uval, size_t size, int flags)
{
	char kname[XATTR_NAME_MAX + 1];
	struct xtarget xt;
	void *kval = NULL;
	int error;

	if (flags & ~(XATTR_CREATE | XATTR_REPLACE))
		return EINVAL;
	if ((error = xattr_name_in(uname, kname)) != 0)
		return error;
	if (size > XATTR_SIZE_MAX)
		return E2BIG;
	if (size > 0) {
		if ((kval = kmem_alloc(size, KM_SLEEP)) == NULL)
			return ENOMEM;
		if ((error = copyin(uval, kval, size)) != 0)
			goto out;
	}
	if ((error = xtarget_get(&xt, upath, fd, follow, false)) != 0)
		goto out;
	error = xattr_permission(xt.xt_vp, xt.xt_cred, kname, true);
	if (error == 0) {
		struct vnode *vp = xt.xt_vp;

		vn_lock(vp, RW_WRITER);
		if (vp->v_data == NULL)
			error = EBADF;
		else if (vp->v_op->vop_setxattr == NULL)
			error = EOPNOTSUPP;
		else
			error = vp->v_op->vop_setxattr(
			    vp, kname, kval ? kval : "", size, flags);
		vn_unlock(vp);
	}
	xtarget_done(&xt);
out:
	if (kval != NULL)
		kmem_free(kval, size);
	return error;
}

int
sys_setxattr(struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(setxattr);

	return dosetxattr(SCARG(uap, path), -1, true, SCARG(uap, name),
	    SCARG(uap, value), SCARG(uap, size), SCARG(uap, flags));
}

int
sys_lsetxattr(
    struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(lsetxattr);

	return dosetxattr(SCARG(uap, path), -1, false, SCARG(uap, name),
	    SCARG(uap, value), SCARG(uap, size), SCARG(uap, flags));
}

int
sys_fsetxattr(
    struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(fsetxattr);

	return dosetxattr(NULL, SCARG(uap, fd), true, SCARG(uap, name),
	    SCARG(uap, value), SCARG(uap, size), SCARG(uap, flags));
}

/* ---------------------------------------------------------------- get */

static int
dogetxattr(const char *upath, int fd, bool follow, const char *uname,
    void *uval, size_t size, register_t *retval)
{
	char kname[XATTR_NAME_MAX + 1];
	struct xtarget xt;
	void *kval = NULL;
	size_t len;
	int error;

	if ((error = xattr_name_in(uname, kname)) != 0)
		return error;
	if (size > XATTR_SIZE_MAX)
		size = XATTR_SIZE_MAX;
	if ((error = xtarget_get(&xt, upath, fd, follow, false)) != 0)
		return error;
	if ((error = xattr_permission(xt.xt_vp, xt.xt_cred, kname, false)) != 0)
		goto out;
	if (size > 0 && (kval = kmem_alloc(size, KM_SLEEP)) == NULL) {
		error = ENOMEM;
		goto out;
	}
	len = size;
	vn_lock(xt.xt_vp, RW_READER);
	if (xt.xt_vp->v_data == NULL)
		error = EBADF;
	else if (xt.xt_vp->v_op->vop_getxattr == NULL)
		error = EOPNOTSUPP;
	else
		error =
		    xt.xt_vp->v_op->vop_getxattr(xt.xt_vp, kname, kval, &len);
	vn_unlock(xt.xt_vp);
	if (error == ERANGE && size >= XATTR_SIZE_MAX)
		error = E2BIG;
	if (error == 0 && size > 0) {
		KASSERT(len <= size);
		error = copyout(kval, uval, len);
	}
	if (error == 0)
		*retval = (register_t)len;
out:
	if (kval != NULL)
		kmem_free(kval, size);
	xtarget_done(&xt);
	return error;
}

int
sys_getxattr(struct lwp *l __unused, const void *v, register_t *retval)
{
	SYSCALL_ARGS(getxattr);

	return dogetxattr(SCARG(uap, path), -1, true, SCARG(uap, name),
	    SCARG(uap, value), SCARG(uap, size), retval);
}

int
sys_lgetxattr(struct lwp *l __unused, const void *v, register_t *retval)
{
	SYSCALL_ARGS(lgetxattr);

	return dogetxattr(SCARG(uap, path), -1, false, SCARG(uap, name),
	    SCARG(uap, value), SCARG(uap, size), retval);
}

int
sys_fgetxattr(struct lwp *l __unused, const void *v, register_t *retval)
{
	SYSCALL_ARGS(fgetxattr);

	return dogetxattr(NULL, SCARG(uap, fd), true, SCARG(uap, name),
	    SCARG(uap, value), SCARG(uap, size), retval);
}

/* --------------------------------------------------------------- list */

/* The names gathered for listxattr: all of them counted, kept if room. */
struct xlist {
	char *xl_buf; /* NULL: only count */
	size_t xl_cap, xl_len;
	bool xl_root;
};

static int
xlist_fill(void *arg, const char *name, size_t namelen)
{
	struct xlist *xl = arg;
	bool rest;
	enum xattr_ns ns;
	char first[16];

	/* Only the prefix matters: look at a NUL-terminated copy of it. */
	memset(first, 0, sizeof(first));
	memcpy(first, name, MIN(namelen, sizeof(first) - 1));
	ns = xattr_ns_of(first, &rest);
	if (namelen == 0 || namelen > XATTR_NAME_MAX || ns == XNS_OTHER ||
	    ns == XNS_SYSTEM || (ns == XNS_TRUSTED && !xl->xl_root))
		return 0;
	if (xl->xl_buf != NULL && xl->xl_len + namelen + 1 <= xl->xl_cap) {
		memcpy(xl->xl_buf + xl->xl_len, name, namelen);
		xl->xl_buf[xl->xl_len + namelen] = '\0';
	}
	xl->xl_len += namelen + 1;
	return 0;
}

static int
dolistxattr(const char *upath, int fd, bool follow, char *ulist, size_t size,
    register_t *retval)
{
	struct xtarget xt;
	struct xlist xl;
	int error;

	if (size > XATTR_LIST_MAX)
		size = XATTR_LIST_MAX;
	if ((error = xtarget_get(&xt, upath, fd, follow, true)) != 0)
		return error;
	memset(&xl, 0, sizeof(xl));
	if (xt.xt_vp == NULL) {
		*retval = 0;
		return 0;
	}
	xl.xl_root = xt.xt_cred->cr_euid == 0;
	xl.xl_cap = size;
	if (size > 0 && (xl.xl_buf = kmem_alloc(size, KM_SLEEP)) == NULL) {
		error = ENOMEM;
		goto out;
	}
	vn_lock(xt.xt_vp, RW_READER);
	if (xt.xt_vp->v_data == NULL)
		error = EBADF;
	else if (xt.xt_vp->v_op->vop_listxattr == NULL)
		error = 0; /* no attributes: an empty list, as Linux */
	else
		error =
		    xt.xt_vp->v_op->vop_listxattr(xt.xt_vp, xlist_fill, &xl);
	vn_unlock(xt.xt_vp);
	if (error == 0 && size > 0 && xl.xl_len > size)
		error = size >= XATTR_LIST_MAX ? E2BIG : ERANGE;
	if (error == 0 && size > 0 && xl.xl_len > 0)
		error = copyout(xl.xl_buf, ulist, xl.xl_len);
	if (error == 0)
		*retval = (register_t)xl.xl_len;
out:
	if (xl.xl_buf != NULL)
		kmem_free(xl.xl_buf, size);
	xtarget_done(&xt);
	return error;
}

int
sys_listxattr(struct lwp *l __unused, const void *v, register_t *retval)
{
	SYSCALL_ARGS(listxattr);

	return dolistxattr(SCARG(uap, path), -1, true, SCARG(uap, list),
	    SCARG(uap, size), retval);
}

int
sys_llistxattr(struct lwp *l __unused, const void *v, register_t *retval)
{
	SYSCALL_ARGS(llistxattr);

	return dolistxattr(SCARG(uap, path), -1, false, SCARG(uap, list),
	    SCARG(uap, size), retval);
}

int
sys_flistxattr(struct lwp *l __unused, const void *v, register_t *retval)
{
	SYSCALL_ARGS(flistxattr);

	return dolistxattr(NULL, SCARG(uap, fd), true, SCARG(uap, list),
	    SCARG(uap, size), retval);
}

/* ------------------------------------------------------------- remove */

static int
doremovexattr(const char *upath, int fd, bool follow, const char *uname)
{
	char kname[XATTR_NAME_MAX + 1];
	struct xtarget xt;
	int error;

	if ((error = xattr_name_in(uname, kname)) != 0)
		return error;
	if ((error = xtarget_get(&xt, upath, fd, follow, false)) != 0)
		return error;
	error = xattr_permission(xt.xt_vp, xt.xt_cred, kname, true);
	if (error == 0) {
		struct vnode *vp = xt.xt_vp;

		vn_lock(vp, RW_WRITER);
		if (vp->v_data == NULL)
			error = EBADF;
		else if (vp->v_op->vop_removexattr == NULL)
			error = EOPNOTSUPP;
		else
			error = vp->v_op->vop_removexattr(vp, kname);
		vn_unlock(vp);
	}
	xtarget_done(&xt);
	return error;
}

int
sys_removexattr(
    struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(removexattr);

	return doremovexattr(SCARG(uap, path), -1, true, SCARG(uap, name));
}

int
sys_lremovexattr(
    struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(lremovexattr);

	return doremovexattr(SCARG(uap, path), -1, false, SCARG(uap, name));
}

int
sys_fremovexattr(
    struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(fremovexattr);

	return doremovexattr(NULL, SCARG(uap, fd), true, SCARG(uap, name));
}
