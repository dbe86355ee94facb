/*
 * vfs_lookup.c — namei: from a path to vnodes.
 *
 * The walk starts at the process's root (absolute paths), its cwd, or the
 * directory of a descriptor (the *at calls), and takes one component at a
 * time: a search-permission check on the directory, "." and "..", the name
 * cache, then the file system's lookup.  ".." steps out of a mount onto
 * the vnode it covers and never above the process's root; a vnode that is
 * a mount point is replaced by the root of what is mounted there.
 * Symlinks are followed inside the path always and in the last component
 * when the caller asks (NI_FOLLOW), at most MAXSYMLINKS times (ELOOP).
 * Absolute paths are first offered to etfs, whose keys are not in any
 * directory.
 */
#include "etfs.h"
#include "vfs.h"

/*
 * The process's root and cwd, referenced.  The real root is not
 * referenced (it never goes away, and every lookup would otherwise write
 * its count): root_release() knows.
 */
static void
cwd_get(struct vnode **rootp, struct vnode **cwdp)
{
	struct proc *p = curproc;
	struct cwdinfo *cwdi;

	mutex_enter(&p->p_lock);
	cwdi = p->p_cwdi;
	*rootp = cwdi && cwdi->cwdi_rdir ? cwdi->cwdi_rdir : rootvnode;
	if (*rootp != rootvnode)
		vref(*rootp);
	if (cwdp != NULL) {
		*cwdp = cwdi && cwdi->cwdi_cdir ? cwdi->cwdi_cdir : rootvnode;
		vref(*cwdp);
	}
	mutex_exit(&p->p_lock);
}

static void
root_release(struct vnode *root)
{
	if (root != rootvnode)
		vrele(root);
}

/*
 * Looks name up in dvp (referenced, unlocked): *vpp referenced.  With
 * nocache the answer is not entered in the name cache: the last name of
 * a create, remove or rename, which the caller is about to change.
 */
static int
lookup_one(struct vnode *dvp, const struct componentname *cn,
    struct vnode **vpp, bool nocache)
{
	int error;

	error = cache_lookup(dvp, cn->cn_nameptr, cn->cn_namelen, vpp);
	if (error >= 0)
		return error;
	vn_lock(dvp, RW_READER);
	if (dvp->v_data == NULL)
		error = ENOENT; /* reclaimed under us (forced unmount) */
	else
		error = dvp->v_op->vop_lookup(dvp, cn, vpp);
	vn_unlock(dvp);
	if (nocache)
		return error;
	if (error == 0)
		cache_enter(dvp, cn->cn_nameptr, cn->cn_namelen, *vpp);
	else if (error == ENOENT)
		cache_enter(dvp, cn->cn_nameptr, cn->cn_namelen, NULL);
	return error;
}

/* Replaces a referenced mount point by the root mounted on it. */
static int
cross_mounts(struct vnode **vpp)
{
	struct vnode *vp = *vpp, *root;
	struct mount *mp;

	while ((mp = atomic_load_acquire(&vp->v_mountedhere)) != NULL) {
		mutex_enter(&mount_lock);
		root = mp->mnt_root;
		if (root == NULL || (mp->mnt_iflag & MNTI_DETACHED)) {
			mutex_exit(&mount_lock);
			break;
		}
		vref(root);
		mutex_exit(&mount_lock);
		vrele(vp);
		vp = root;
	}
	*vpp = vp;
	return 0;
}

/* Reads symlink vp's target into buf (PATH_MAX bytes), NUL-terminated. */
static int
read_symlink(struct vnode *vp, char *buf, size_t *lenp)
{
	struct iovec iov = {buf, PATH_MAX - 1};
	struct uio uio = {&iov, 1, 0, PATH_MAX - 1, UIO_READ, true};
	int error;

	vn_lock(vp, RW_READER);
	error = vp->v_op->vop_readlink(vp, &uio);
	vn_unlock(vp);
	if (error)
		return error;
	*lenp = PATH_MAX - 1 - uio.uio_resid;
	if (*lenp == 0)
		return ENOENT;
	buf[*lenp] = '\0';
	return 0;
}

int
namei(struct nameidata *nd)
{
	struct vnode *root, *dp, *vp = NULL;
	char *pbuf = nd->nd_pbuf, *lbuf = NULL;
	const char *cp;
	int error = 0, nlinks = 0;
	size_t plen = strnlen(pbuf, PATH_MAX);

	nd->nd_vp = nd->nd_dvp = NULL;
	nd->nd_trailing_slash = false;
	if (plen >= PATH_MAX)
		return ENAMETOOLONG;

	if (pbuf[0] == '/' && !(nd->nd_flags & NI_PARENT)) {
		error = etfs_lookup(pbuf, plen, &vp);
		if (error == 0) {
			nd->nd_vp = vp;
			goto out;
		}
		error = 0;
	}

	cwd_get(&root, NULL);
	if (pbuf[0] == '/') {
		dp = root;
		vref(dp);
	} else if (pbuf[0] == '\0' && !(nd->nd_flags & NI_EMPTYPATH)) {
		root_release(root);
		error = ENOENT;
		goto out;
	} else if (nd->nd_dirfd == AT_FDCWD) {
		struct vnode *r2;

		root_release(root);
		cwd_get(&r2, &dp);
		root = r2;
	} else {
		struct file *fp;

		error = fd_getvnode(nd->nd_dirfd, &dp, &fp);
		if (error) {
			root_release(root);
			goto out;
		}
		file_release(fp);
		if (dp->v_type != VDIR && pbuf[0] != '\0') {
			vrele(dp);
			root_release(root);
			error = ENOTDIR;
			goto out;
		}
	}
	if (pbuf[0] == '\0') {
		/* AT_EMPTY_PATH: the descriptor's own vnode. */
		nd->nd_vp = dp;
		root_release(root);
		goto out;
	}

	cp = pbuf;
	for (;;) {
		const char *name, *next;
		size_t len;
		bool last;

		while (*cp == '/')
			cp++;
		if (*cp == '\0') {
			/* "/" alone, or the path ended after a symlink's "/" */
			vp = dp;
			dp = NULL;
			break;
		}
		name = cp;
		while (*cp != '\0' && *cp != '/')
			cp++;
		len = (size_t)(cp - name);
		next = cp;
		while (*next == '/')
			next++;
		last = *next == '\0';
		if (len > NAME_MAX) {
			error = ENAMETOOLONG;
			break;
		}
		if (dp->v_type != VDIR) {
			error = ENOTDIR;
			break;
		}
		if ((error = vn_access(dp, VEXEC, nd->nd_cred)) != 0)
			break;
		if (last && cp != next)
			nd->nd_trailing_slash = true;

		struct componentname cn = {name, len, nd->nd_cred};
		if (len == 1 && name[0] == '.') {
			vp = dp;
			vref(vp);
		} else if (len == 2 && name[0] == '.' && name[1] == '.') {
			/* Out of mounts first, never above the root. */
			while (dp != root && dp != rootvnode &&
			    dp == dp->v_mount->mnt_root &&
			    dp->v_mount->mnt_vnodecovered != NULL) {
				struct vnode *cov =
				    dp->v_mount->mnt_vnodecovered;

				vref(cov);
				vrele(dp);
				dp = cov;
			}
			if (dp == root || dp == rootvnode) {
				vp = dp;
				vref(vp);
			} else if ((error = lookup_one(dp, &cn, &vp, false)) !=
			    0) {
				break;
			}
		} else {
			error = lookup_one(
			    dp, &cn, &vp, last && (nd->nd_flags & NI_PARENT));
			if (error == ENOENT && last &&
			    (nd->nd_flags & NI_CREATE)) {
				error = 0;
				vp = NULL;
			} else if (error) {
				break;
			}
		}

		if (vp != NULL && vp->v_type == VLNK &&
		    (!last || (nd->nd_flags & NI_FOLLOW) ||
		        nd->nd_trailing_slash)) {
			size_t tlen, rest = strlen(cp);

			if (++nlinks > MAXSYMLINKS) {
				error = ELOOP;
				break;
			}
			if (lbuf == NULL &&
			    (lbuf = kmem_alloc(PATH_MAX, KM_SLEEP)) == NULL) {
				error = ENOMEM;
				break;
			}
			error = read_symlink(vp, lbuf, &tlen);
			vrele(vp);
			vp = NULL;
			if (error)
				break;
			if (tlen + rest >= PATH_MAX) {
				error = ENAMETOOLONG;
				break;
			}
			/* The target, then what followed the link. */
			memcpy(lbuf + tlen, cp, rest + 1);
			memcpy(pbuf, lbuf, tlen + rest + 1);
			cp = pbuf;
			nd->nd_trailing_slash = false;
			if (pbuf[0] == '/') {
				vrele(dp);
				dp = root;
				vref(dp);
			}
			continue;
		}

		if (vp != NULL && !(last && (nd->nd_flags & NI_NOCROSSMOUNT)))
			cross_mounts(&vp);

		if (last) {
			/* cn points into pbuf, the caller's buffer. */
			nd->nd_cn = cn;
			break;
		}
		vrele(dp);
		dp = vp;
		vp = NULL;
	}

	if (error) {
		if (vp)
			vrele(vp);
		if (dp)
			vrele(dp);
		root_release(root);
		goto out;
	}
	root_release(root);
	if (vp != NULL && nd->nd_trailing_slash && vp->v_type != VDIR) {
		vrele(vp);
		if (dp)
			vrele(dp);
		error = ENOTDIR;
		goto out;
	}
	if (dp == NULL) {
		/* The path named a root ("/", "//", "a/.." at the root...). */
		nd->nd_cn.cn_nameptr = ".";
		nd->nd_cn.cn_namelen = 1;
		nd->nd_cn.cn_cred = nd->nd_cred;
		if (nd->nd_flags & NI_PARENT) {
			dp = vp;
			vref(dp);
		}
	}
	if (nd->nd_flags & NI_PARENT)
		nd->nd_dvp = dp;
	else if (dp)
		vrele(dp);
	if (vp == NULL && !(nd->nd_flags & NI_CREATE)) {
		if (nd->nd_dvp)
			vrele(nd->nd_dvp);
		nd->nd_dvp = NULL;
		error = ENOENT;
		goto out;
	}
	nd->nd_vp = vp;
out:
	if (lbuf)
		kmem_free(lbuf, PATH_MAX);
	return error;
}

void
namei_done(struct nameidata *nd)
{
	if (nd->nd_vp)
		vrele(nd->nd_vp);
	if (nd->nd_dvp)
		vrele(nd->nd_dvp);
	nd->nd_vp = nd->nd_dvp = NULL;
}

int
namei_user(const char *upath, int dirfd, int flags, struct nameidata *nd,
    char **pathbuf)
{
	char *buf;
	int error;

	if ((buf = kmem_alloc(PATH_MAX, KM_SLEEP)) == NULL)
		return ENOMEM;
	error = copyinstr(upath, buf, PATH_MAX, NULL);
	if (error) {
		kmem_free(buf, PATH_MAX);
		return error;
	}
	memset(nd, 0, sizeof(*nd));
	nd->nd_pbuf = buf;
	nd->nd_dirfd = dirfd;
	nd->nd_flags = flags;
	nd->nd_cred = kauth_cred_get();
	error = namei(nd);
	if (error) {
		kauth_cred_free(nd->nd_cred);
		kmem_free(buf, PATH_MAX);
		return error;
	}
	*pathbuf = buf;
	return 0;
}

void
namei_user_done(struct nameidata *nd, char *pathbuf)
{
	namei_done(nd);
	kauth_cred_free(nd->nd_cred);
	kmem_free(pathbuf, PATH_MAX);
}
