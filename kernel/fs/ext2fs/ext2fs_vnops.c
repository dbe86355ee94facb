/*
 * ext2fs_vnops.c — the vnode operations of ext2/3/4: names (lookup,
 * create, mkdir, symlink, link, remove, rmdir, rename), attributes, file
 * data (read, write, truncate, SEEK_DATA/SEEK_HOLE), readdir, readlink,
 * fsync, and the end of an inode (inactive, reclaim).
 *
 * The VFS holds the vnode locks named in vfs.h around each call; those
 * are the locks of the inodes here.  Every change to an inode is written
 * into its inode-table buffer at once (ext2fs_iupdate), so sync only has
 * to write the descriptors, the superblock and the dirty buffers.  Each
 * operation that changes the file system is one journal transaction
 * (the ext2fs_tx_* wrappers at the end); fsync commits.
 *
 * Reads do not update atime (as with noatime).  A file whose last name
 * goes keeps its blocks while a vnode holds it; reclaim frees them and
 * the inode.  In between it is on the orphan list (ext2fs_orphan.c), so
 * the next mount frees it after a crash; so is an O_TMPFILE file until
 * link names it, and a file while a truncation shrinks it.
 */
#include "ext2fs.h"

#define EXT2_ZERO_MAX 65536
/* What a hole reads as.  Only ever read from (uiomove of a UIO_READ). */
static char ext2fs_zeros[EXT2_ZERO_MAX];

static uint32_t
nlink_get(struct ext2fs_inode *ei)
{
	return le16(ei->ei_raw->i_links_count);
}

static void
nlink_set(struct ext2fs_inode *ei, uint32_t n)
{
	ei->ei_raw->i_links_count = le16((uint16_t)n);
}

/* Writes an inode whose link count fell: on the orphan list at 0. */
static int
ext2fs_ilink_update(struct ext2fs_inode *ei)
{
	if (nlink_get(ei) == 0)
		return ext2fs_orphan_add(ei);
	return ext2fs_iupdate(ei);
}

/* One more subdirectory in dei; EMLINK when it cannot count them. */
static int
dir_nlink_inc(struct ext2fs_inode *dei, bool apply)
{
	uint32_t n = nlink_get(dei);

	if (n == 1 && EXT2_HAS_ROCOMPAT(dei->ei_em, EXT2_ROCOMPAT_DIR_NLINK))
		return 0; /* already "many" */
	if (n + 1 >= EXT2_LINK_MAX) {
		if (!EXT2_HAS_ROCOMPAT(dei->ei_em, EXT2_ROCOMPAT_DIR_NLINK))
			return EMLINK;
		if (apply)
			nlink_set(dei, 1);
		return 0;
	}
	if (apply)
		nlink_set(dei, n + 1);
	return 0;
}

static void
dir_nlink_dec(struct ext2fs_inode *dei)
{
	uint32_t n = nlink_get(dei);

	if (n > 2)
		nlink_set(dei, n - 1);
}

static int
ext2fs_vget(struct mount *mp, uint32_t ino, struct vnode **vpp)
{
	return vcache_get(mp, &ino, sizeof(ino), vpp);
}

static int
ext2fs_lookup(
    struct vnode *dvp, const struct componentname *cn, struct vnode **vpp)
{
	struct ext2fs_inode *dei = VTOEI(dvp);
	uint32_t ino;
	int error;

	if (dvp->v_type != VDIR)
		return ENOTDIR;
	if (cn->cn_namelen > EXT2_NAME_MAX)
		return ENAMETOOLONG;
	if (nlink_get(dei) == 0)
		return ENOENT; /* removed */
	error = ext2fs_dir_lookup(dei, cn->cn_nameptr, cn->cn_namelen, &ino);
	if (error)
		return error;
	if (ino == dei->ei_ino) {
		vref(dvp);
		*vpp = dvp;
		return 0;
	}
	return ext2fs_vget(dvp->v_mount, ino, vpp);
}

/*
 * Checks that cn may be entered in dei (that the name is new, unless
 * ext2fs_dir_enter checks that itself).  Holds dvp as a writer.
 */
static int
ext2fs_check_new(struct ext2fs_inode *dei, const struct componentname *cn)
{
	uint32_t ino;
	int error;

	if (dei->ei_vnode->v_type != VDIR)
		return ENOTDIR;
	if (cn->cn_namelen > EXT2_NAME_MAX)
		return ENAMETOOLONG;
	if (cn->cn_namelen == 0 || nlink_get(dei) == 0)
		return ENOENT;
	if (ext2fs_dir_enter_checks(dei))
		return 0; /* entering the name will */
	error = ext2fs_dir_lookup(dei, cn->cn_nameptr, cn->cn_namelen, &ino);
	if (error == 0)
		return EEXIST;
	return error == ENOENT ? 0 : error;
}

/* Encodes a device number in i_block, as Linux does. */
static void
rdev_encode(struct ext2_inode *raw, dev_t rdev)
{
	unsigned ma = major(rdev), mi = minor(rdev);

	if (ma < 256 && mi < 256) {
		raw->i_block[0] = le32(ma << 8 | mi);
	} else {
		raw->i_block[0] = 0;
		raw->i_block[1] =
		    le32((mi & 0xff) | (ma << 8) | ((mi & ~0xffu) << 12));
	}
}

/* Writes a fresh inode ino into the inode table. */
static int
ext2fs_inode_init(struct ext2fs_mount *em, uint32_t ino, enum vtype type,
    const struct vattr *va, const char *target)
{
	static const mode_t fmt[] = {[VREG] = S_IFREG,
	    [VDIR] = S_IFDIR,
	    [VLNK] = S_IFLNK,
	    [VCHR] = S_IFCHR,
	    [VBLK] = S_IFBLK,
	    [VFIFO] = S_IFIFO,
	    [VSOCK] = S_IFSOCK};
	struct ext2fs_inode tmp;
	mode_t mode = type == VLNK ? 0777 : (va->va_mode & ALLPERMS);
	int error;

	memset(&tmp, 0, sizeof(tmp));
	tmp.ei_em = em;
	tmp.ei_ino = ino;
	if ((tmp.ei_raw = kmem_zalloc(em->em_isize, KM_SLEEP)) == NULL)
		return ENOMEM;
	tmp.ei_raw->i_mode = le16((uint16_t)(fmt[type] | mode));
	ext2fs_iowner_set(&tmp, va->va_uid, va->va_gid);
	nlink_set(&tmp, type == VDIR ? 2 : 1);
	tmp.ei_raw->i_generation =
	    le32((uint32_t)(getnanotime() * 2654435761u) ^ ino);
	if (em->em_isize > EXT2_GOOD_OLD_INODE_SIZE)
		tmp.ei_raw->i_extra_isize =
		    le16((uint16_t)MIN(EXT2_WANT_EXTRA_ISIZE,
		        em->em_isize - EXT2_GOOD_OLD_INODE_SIZE));
	ext2fs_itime_now(&tmp, "amcb");
	ext2fs_iseed(&tmp);
	switch (type) {
	case VREG:
	case VDIR:
		ext2fs_bmap_init(&tmp);
		break;
	case VLNK:
		if (strlen(target) < sizeof(tmp.ei_raw->i_block)) {
			memcpy(tmp.ei_raw->i_block, target, strlen(target));
			ext2fs_isize_set(&tmp, strlen(target));
		} else {
			ext2fs_bmap_init(&tmp);
		}
		break;
	case VCHR:
	case VBLK:
		rdev_encode(tmp.ei_raw, va->va_rdev);
		break;
	default:
		break;
	}
	error = ext2fs_iupdate(&tmp);
	kmem_free(tmp.ei_raw, em->em_isize);
	return error;
}

/* Marks an inode in the table deleted (after a failed create). */
static void
ext2fs_inode_kill(struct ext2fs_inode *ei)
{
	nlink_set(ei, 0);
	ei->ei_raw->i_dtime = le32((uint32_t)(getnanotime() / 1000000000u));
	(void)ext2fs_iupdate(ei);
}

/* Writes the data block of a slow symlink. */
static int
ext2fs_symlink_write(struct ext2fs_inode *ei, const char *target, size_t len)
{
	struct buf *bp;
	uint64_t pblk;
	bool isnew;
	int error;

	if ((error = ext2fs_bmap_alloc(ei, 0, &pblk, &isnew)) != 0)
		return error;
	if ((error = ext2fs_getblk(ei->ei_em, pblk, &bp)) != 0)
		return error;
	memset(bp->b_data, 0, ei->ei_em->em_bsize);
	memcpy(bp->b_data, target, len);
	ext2fs_bdwrite_meta(ei->ei_em, bp);
	ext2fs_isize_set(ei, len);
	return ext2fs_iupdate(ei);
}

/*
 * Makes a new inode near directory dei and its vnode: nothing names it
 * yet, and a failure undoes it.
 */
static int
ext2fs_newnode(struct ext2fs_inode *dei, enum vtype type,
    const struct vattr *va, const char *target, struct vnode **vpp)
{
	struct ext2fs_mount *em = dei->ei_em;
	uint32_t ino;
	int error;

	if ((error = ext2fs_ialloc(em, dei->ei_ino, type == VDIR, &ino)) != 0)
		return error;
	if ((error = ext2fs_inode_init(em, ino, type, va, target)) != 0) {
		ext2fs_ifree(em, ino, type == VDIR);
		return error;
	}
	if ((error = ext2fs_vget(em->em_mp, ino, vpp)) != 0) {
		/* The table holds a live-looking inode: kill it by hand. */
		struct ext2fs_inode tmp = {.ei_em = em, .ei_ino = ino};

		if ((tmp.ei_raw = kmem_alloc(em->em_isize, KM_SLEEP)) != NULL) {
			if (ext2fs_iget(em, ino, tmp.ei_raw) == 0) {
				ext2fs_iseed(&tmp);
				ext2fs_inode_kill(&tmp);
			}
			kmem_free(tmp.ei_raw, em->em_isize);
		}
		ext2fs_ifree(em, ino, type == VDIR);
		return error;
	}
	return 0;
}

/*
 * Makes an inode, its contents (directory, symlink) and its name in dvp,
 * and its vnode.  Holds dvp as a writer; nobody can find the new inode
 * before its name is entered, so a failure undoes it all.
 */
static int
ext2fs_makenode(struct vnode *dvp, const struct componentname *cn,
    enum vtype type, const struct vattr *va, const char *target,
    struct vnode **vpp)
{
	struct ext2fs_inode *dei = VTOEI(dvp), *ei;
	struct vnode *vp;
	uint32_t ino;
	int error;

	*vpp = NULL;
	if ((error = ext2fs_check_new(dei, cn)) != 0)
		return error;
	if (type == VDIR && (error = dir_nlink_inc(dei, false)) != 0)
		return error;
	if ((error = ext2fs_newnode(dei, type, va, target, &vp)) != 0)
		return error;
	ei = VTOEI(vp);
	ino = ei->ei_ino;
	if (type == VDIR)
		error = ext2fs_dir_init(ei, dei->ei_ino);
	else if (type == VLNK && strlen(target) >= sizeof(ei->ei_raw->i_block))
		error = ext2fs_symlink_write(ei, target, strlen(target));
	if (error == 0)
		error = ext2fs_dir_enter(dei, cn->cn_nameptr, cn->cn_namelen,
		    ino, ext2fs_vtype2ft(type));
	if (error) {
		ext2fs_inode_kill(ei);
		vrele(vp); /* reclaim frees its blocks and the inode */
		return error;
	}
	if (type == VDIR)
		(void)dir_nlink_inc(dei, true);
	ext2fs_itime_now(dei, "mc");
	if ((error = ext2fs_iupdate(dei)) != 0) {
		vrele(vp);
		return error;
	}
	*vpp = vp;
	return 0;
}

/*
 * O_TMPFILE: a regular file with no name, on the orphan list from the
 * start; link may give it its first name.  Holds dvp as a writer.
 */
static int
ext2fs_maketmp(struct vnode *dvp, const struct vattr *va, struct vnode **vpp)
{
	struct ext2fs_inode *dei = VTOEI(dvp), *ei;
	struct vnode *vp;
	int error;

	*vpp = NULL;
	if (dvp->v_type != VDIR)
		return ENOTDIR;
	if (nlink_get(dei) == 0)
		return ENOENT;
	if ((error = ext2fs_newnode(dei, VREG, va, NULL, &vp)) != 0)
		return error;
	ei = VTOEI(vp);
	nlink_set(ei, 0);
	ei->ei_tmpfile = true;
	if ((error = ext2fs_orphan_add(ei)) != 0) {
		vrele(vp); /* reclaim frees it */
		return error;
	}
	*vpp = vp;
	return 0;
}

/* An empty name (cn_namelen 0) asks for an unnamed file: O_TMPFILE. */
static int
ext2fs_create(struct vnode *dvp, const struct componentname *cn,
    const struct vattr *va, struct vnode **vpp)
{
	if (cn->cn_namelen == 0) {
		if (va->va_type != VREG)
			return EINVAL;
		return ext2fs_maketmp(dvp, va, vpp);
	}
	switch (va->va_type) {
	case VREG:
	case VFIFO:
	case VSOCK:
	case VCHR:
	case VBLK:
		return ext2fs_makenode(dvp, cn, va->va_type, va, NULL, vpp);
	default:
		return EINVAL;
	}
}

static int
ext2fs_mkdir(struct vnode *dvp, const struct componentname *cn,
    const struct vattr *va, struct vnode **vpp)
{
	return ext2fs_makenode(dvp, cn, VDIR, va, NULL, vpp);
}

static int
ext2fs_symlink(struct vnode *dvp, const struct componentname *cn,
    const struct vattr *va, const char *target, struct vnode **vpp)
{
	struct ext2fs_mount *em = VTOEI(dvp)->ei_em;
	size_t len = strnlen(target, PATH_MAX);

	if (len == 0)
		return ENOENT;
	/* As Linux: the target and its NUL fit in a block. */
	if (len >= PATH_MAX || len + 1 > em->em_bsize)
		return ENAMETOOLONG;
	return ext2fs_makenode(dvp, cn, VLNK, va, target, vpp);
}

static int
ext2fs_link(struct vnode *dvp, const struct componentname *cn, struct vnode *vp)
{
	struct ext2fs_inode *dei = VTOEI(dvp), *ei = VTOEI(vp);
	int error;

	if (vp->v_mount != dvp->v_mount)
		return EXDEV;
	if (vp->v_type == VDIR)
		return EPERM;
	/* A removed file stays nameless, an O_TMPFILE one may get one. */
	if (nlink_get(ei) == 0 && !ei->ei_tmpfile)
		return ENOENT;
	if (nlink_get(ei) >= EXT2_LINK_MAX)
		return EMLINK;
	if ((error = ext2fs_check_new(dei, cn)) != 0)
		return error;
	error = ext2fs_dir_enter(dei, cn->cn_nameptr, cn->cn_namelen,
	    ei->ei_ino, ext2fs_vtype2ft(vp->v_type));
	if (error)
		return error;
	nlink_set(ei, nlink_get(ei) + 1);
	if (ei->ei_tmpfile) {
		ei->ei_tmpfile = false;
		ext2fs_orphan_del(ei);
	}
	ext2fs_itime_now(ei, "c");
	ext2fs_itime_now(dei, "mc");
	if ((error = ext2fs_iupdate(ei)) != 0)
		return error;
	return ext2fs_iupdate(dei);
}

/* Whether the entry cn of dei names ei: else ENOENT. */
static int
ext2fs_check_entry(
    struct ext2fs_inode *dei, const struct componentname *cn, uint32_t ino)
{
	uint32_t found;
	int error;

	if (dei->ei_vnode->v_type != VDIR)
		return ENOTDIR;
	error = ext2fs_dir_lookup(dei, cn->cn_nameptr, cn->cn_namelen, &found);
	if (error)
		return error;
	return found == ino ? 0 : ENOENT;
}

static int
ext2fs_remove(
    struct vnode *dvp, const struct componentname *cn, struct vnode *vp)
{
	struct ext2fs_inode *dei = VTOEI(dvp), *ei = VTOEI(vp);
	int error;

	if ((error = ext2fs_check_entry(dei, cn, ei->ei_ino)) != 0)
		return error;
	if (vp->v_type == VDIR)
		return EISDIR;
	if ((error = ext2fs_dir_remove(dei, cn->cn_nameptr, cn->cn_namelen)))
		return error;
	if (nlink_get(ei) > 0)
		nlink_set(ei, nlink_get(ei) - 1);
	ext2fs_itime_now(ei, "c");
	ext2fs_itime_now(dei, "mc");
	if ((error = ext2fs_ilink_update(ei)) != 0)
		return error;
	return ext2fs_iupdate(dei);
}

static int
ext2fs_rmdir(
    struct vnode *dvp, const struct componentname *cn, struct vnode *vp)
{
	struct ext2fs_inode *dei = VTOEI(dvp), *ei = VTOEI(vp);
	bool empty;
	int error;

	if (vp == dvp)
		return EINVAL;
	if ((error = ext2fs_check_entry(dei, cn, ei->ei_ino)) != 0)
		return error;
	if (vp->v_type != VDIR)
		return ENOTDIR;
	if ((error = ext2fs_dir_isempty(ei, &empty)) != 0)
		return error;
	if (!empty)
		return ENOTEMPTY;
	if ((error = ext2fs_dir_remove(dei, cn->cn_nameptr, cn->cn_namelen)))
		return error;
	nlink_set(ei, 0);
	ext2fs_itime_now(ei, "c");
	dir_nlink_dec(dei);
	ext2fs_itime_now(dei, "mc");
	if ((error = ext2fs_ilink_update(ei)) != 0)
		return error;
	return ext2fs_iupdate(dei);
}

/* Directory ei moves from fdei to tdei: its ".." and the link counts. */
static int
ext2fs_reparent(struct ext2fs_inode *ei, struct ext2fs_inode *fdei,
    struct ext2fs_inode *tdei)
{
	int error;

	if (ei->ei_vnode->v_type != VDIR || fdei == tdei)
		return 0;
	error = ext2fs_dir_rewrite(ei, "..", 2, tdei->ei_ino, EXT2_FT_DIR);
	if (error)
		return error;
	dir_nlink_dec(fdei);
	(void)dir_nlink_inc(tdei, true);
	return 0;
}

static int
ext2fs_rename(struct vnode *fdvp, const struct componentname *fcn,
    struct vnode *fvp, struct vnode *tdvp, const struct componentname *tcn,
    struct vnode *tvp, unsigned flags)
{
	struct ext2fs_inode *fdei = VTOEI(fdvp), *tdei = VTOEI(tdvp);
	struct ext2fs_inode *fei = VTOEI(fvp);
	struct ext2fs_inode *tei = tvp != NULL ? VTOEI(tvp) : NULL;
	uint8_t fft = ext2fs_vtype2ft(fvp->v_type);
	int error;

	if ((flags & ~(unsigned)(RENAME_NOREPLACE | RENAME_EXCHANGE)) != 0 ||
	    (flags & RENAME_NOREPLACE && flags & RENAME_EXCHANGE))
		return EINVAL;
	if (fvp->v_mount != tdvp->v_mount || fdvp->v_mount != tdvp->v_mount)
		return EXDEV;
	if ((error = ext2fs_check_entry(fdei, fcn, fei->ei_ino)) != 0)
		return error;
	if (tei != NULL) {
		if ((error = ext2fs_check_entry(tdei, tcn, tei->ei_ino)) != 0)
			return error;
	} else if (flags & RENAME_EXCHANGE) {
		return ENOENT;
	} else if ((error = ext2fs_check_new(tdei, tcn)) != 0) {
		return error;
	}

	if (flags & RENAME_EXCHANGE) {
		if (fei == tei)
			return 0;
		if ((fvp->v_type == VDIR) != (tvp->v_type == VDIR) &&
		    fdei != tdei) {
			/* One directory changes parent each way. */
			if ((error = dir_nlink_inc(
			         fvp->v_type == VDIR ? tdei : fdei, false)))
				return error;
		}
		if ((error = ext2fs_dir_rewrite(fdei, fcn->cn_nameptr,
		         fcn->cn_namelen, tei->ei_ino,
		         ext2fs_vtype2ft(tvp->v_type))) != 0 ||
		    (error = ext2fs_dir_rewrite(tdei, tcn->cn_nameptr,
		         tcn->cn_namelen, fei->ei_ino, fft)) != 0 ||
		    (error = ext2fs_reparent(fei, fdei, tdei)) != 0 ||
		    (error = ext2fs_reparent(tei, tdei, fdei)) != 0)
			return error;
		ext2fs_itime_now(fei, "c");
		ext2fs_itime_now(tei, "c");
		if ((error = ext2fs_iupdate(tei)) != 0)
			return error;
		goto done;
	}
	if (tei != NULL && flags & RENAME_NOREPLACE)
		return EEXIST;
	if (fei == tei)
		return 0; /* two names of one file */
	if (tei != NULL) {
		bool empty;

		if (tvp->v_type == VDIR && fvp->v_type != VDIR)
			return EISDIR;
		if (tvp->v_type != VDIR && fvp->v_type == VDIR)
			return ENOTDIR;
		if (tvp->v_type == VDIR) {
			if ((error = ext2fs_dir_isempty(tei, &empty)) != 0)
				return error;
			if (!empty)
				return ENOTEMPTY;
		}
		error = ext2fs_dir_rewrite(
		    tdei, tcn->cn_nameptr, tcn->cn_namelen, fei->ei_ino, fft);
		if (error)
			return error;
	} else {
		if (fvp->v_type == VDIR && fdei != tdei &&
		    (error = dir_nlink_inc(tdei, false)) != 0)
			return error;
		error = ext2fs_dir_enter(
		    tdei, tcn->cn_nameptr, tcn->cn_namelen, fei->ei_ino, fft);
		if (error)
			return error;
	}
	error = ext2fs_dir_remove(fdei, fcn->cn_nameptr, fcn->cn_namelen);
	if (error)
		return error;
	if ((error = ext2fs_reparent(fei, fdei, tdei)) != 0)
		return error;
	if (tei != NULL) {
		if (tvp->v_type == VDIR) {
			nlink_set(tei, 0);
			dir_nlink_dec(tdei);
		} else if (nlink_get(tei) > 0) {
			nlink_set(tei, nlink_get(tei) - 1);
		}
		ext2fs_itime_now(tei, "c");
		if ((error = ext2fs_ilink_update(tei)) != 0)
			return error;
	}
	ext2fs_itime_now(fei, "c");
done:
	if ((error = ext2fs_iupdate(fei)) != 0)
		return error;
	ext2fs_itime_now(fdei, "mc");
	if ((error = ext2fs_iupdate(fdei)) != 0)
		return error;
	if (tdei != fdei) {
		ext2fs_itime_now(tdei, "mc");
		error = ext2fs_iupdate(tdei);
	}
	return error;
}

static int
ext2fs_getattr(struct vnode *vp, struct vattr *va)
{
	struct ext2fs_inode *ei = VTOEI(vp);

	vattr_null(va);
	va->va_type = vp->v_type;
	va->va_mode = ext2fs_imode(ei) & ALLPERMS;
	va->va_nlink = nlink_get(ei);
	va->va_uid = ext2fs_iuid(ei);
	va->va_gid = ext2fs_igid(ei);
	va->va_fileid = ei->ei_ino;
	va->va_size = (off_t)ext2fs_isize(ei);
	va->va_bytes = ext2fs_iblocks(ei) * 512;
	va->va_blocksize = ei->ei_em->em_bsize;
	va->va_rdev = vp->v_rdev;
	ext2fs_itime_get(ei, 'a', &va->va_atime);
	ext2fs_itime_get(ei, 'm', &va->va_mtime);
	ext2fs_itime_get(ei, 'c', &va->va_ctime);
	ext2fs_itime_get(ei, 'b', &va->va_birthtime);
	va->va_mask = 0;
	return 0;
}

/*
 * Changes the size: blocks past a smaller size are freed and the tail of
 * the last block zeroed, so growing again reads zeros.  While blocks
 * are freed, the new size is on disk and the inode on the orphan list,
 * so a mount after a crash finishes the truncation.
 */
static int
ext2fs_truncate(struct ext2fs_inode *ei, uint64_t size)
{
	struct ext2fs_mount *em = ei->ei_em;
	uint64_t old = ext2fs_isize(ei), pblk, run;
	unsigned boff = (unsigned)(size & (em->em_bsize - 1));
	bool orphan = false;
	struct buf *bp;
	int error;

	if (size > em->em_maxsize)
		return EFBIG;
	if (size < old && !ei->ei_orphan) {
		ext2fs_isize_set(ei, size);
		if ((error = ext2fs_orphan_add(ei)) != 0) {
			ext2fs_isize_set(ei, old);
			return error;
		}
		orphan = true;
	}
	if (size < old) {
		if (boff != 0) {
			error =
			    ext2fs_bmap(ei, size >> em->em_bshift, &pblk, &run);
			if (error == 0 && pblk != 0 &&
			    (error = ext2fs_bread(em, pblk, &bp)) == 0) {
				memset((char *)bp->b_data + boff, 0,
				    em->em_bsize - boff);
				bdwrite(bp);
			}
			if (error) {
				ext2fs_isize_set(ei, old);
				if (orphan)
					ext2fs_orphan_del(ei);
				return error;
			}
		}
		error = ext2fs_trunc_blocks(
		    ei, howmany(size, (uint64_t)em->em_bsize));
	}
	ext2fs_isize_set(ei, size);
	if (orphan)
		ext2fs_orphan_del(ei);
	return error;
}

/* A time given to setattr; UTIME_NOW is taken as now. */
static void
ext2fs_settime(struct ext2fs_inode *ei, int which, const struct timespec *v)
{
	if (v->tv_nsec == UTIME_NOW) {
		char w[2] = {(char)which, '\0'};

		ext2fs_itime_now(ei, w);
		return;
	}
	ext2fs_itime_set(ei, which, v);
}

static int
ext2fs_setattr(struct vnode *vp, const struct vattr *va)
{
	struct ext2fs_inode *ei = VTOEI(vp);
	unsigned mask = va->va_mask;
	mode_t mode = ext2fs_imode(ei);
	int error;

	if (mask & VA_SIZE) {
		if (vp->v_type == VDIR)
			return EISDIR;
		if (vp->v_type != VREG)
			return EINVAL;
		if (va->va_size < 0)
			return EINVAL;
		error = ext2fs_truncate(ei, (uint64_t)va->va_size);
		if (error)
			return error;
		ext2fs_itime_now(ei, "mc");
	}
	if (mask & VA_MODE)
		mode = (mode & S_IFMT) | (va->va_mode & ALLPERMS);
	if (mask & (VA_UID | VA_GID)) {
		ext2fs_iowner_set(ei,
		    (mask & VA_UID) ? va->va_uid : ext2fs_iuid(ei),
		    (mask & VA_GID) ? va->va_gid : ext2fs_igid(ei));
		/* As Linux: a new owner takes set-user-ID and setgid off. */
		if (vp->v_type != VDIR && (mask & VA_MODE) == 0) {
			mode &= ~(mode_t)S_ISUID;
			if (mode & (S_IXUSR >> 3))
				mode &= ~(mode_t)S_ISGID;
		}
	}
	ei->ei_raw->i_mode = le16((uint16_t)mode);
	if (mask & VA_ATIME)
		ext2fs_settime(ei, 'a', &va->va_atime);
	if (mask & VA_MTIME)
		ext2fs_settime(ei, 'm', &va->va_mtime);
	if (mask & VA_CTIME)
		ext2fs_settime(ei, 'c', &va->va_ctime);
	else if (mask & (VA_MODE | VA_UID | VA_GID | VA_ATIME | VA_MTIME))
		ext2fs_itime_now(ei, "c");
	return ext2fs_iupdate(ei);
}

/*
 * Read-ahead of file data.  A reader that goes on where the last read
 * of the file stopped (or starts at block 0) is sequential: the blocks
 * from where the previous window ended up to RA_WINDOW bytes past lblk
 * are read in the background (bio_prefetch, in large transfers), once
 * less than half a window is left ahead of the reader.  Other readers
 * get nothing extra.  The hints are racy on purpose (readers share the
 * vnode lock): a lost update costs a read-ahead, never correctness.
 */
#define RA_WINDOW     (4 * 1024 * 1024)
#define READ_RUN_MAX  128  /* blocks of one synchronous read */
#define WRITE_RUN_MAX 8192 /* blocks allocated at once by a write */
#define DIRECT_MIN    16   /* new blocks a write sends past the cache */

static void
ext2fs_readahead(struct ext2fs_inode *ei, uint64_t lblk, uint64_t nblk)
{
	struct ext2fs_mount *em = ei->ei_em;
	uint64_t last = __atomic_load_n(&ei->ei_ralast, __ATOMIC_RELAXED);
	uint64_t next = __atomic_load_n(&ei->ei_ranext, __ATOMIC_RELAXED);
	uint64_t win = RA_WINDOW >> em->em_bshift, b, end, pblk, run;

	__atomic_store_n(&ei->ei_ralast, lblk, __ATOMIC_RELAXED);
	if (lblk != 0 && lblk != last && lblk != last + 1)
		return;
	if (next < lblk + 1 || next > lblk + 2 * win)
		next = lblk + 1;
	if (next >= nblk || next > lblk + win / 2)
		return;
	end = MIN(nblk, lblk + 1 + win);
	__atomic_store_n(&ei->ei_ranext, end, __ATOMIC_RELAXED);
	for (b = next; b < end; b += run) {
		if (ext2fs_bmap(ei, b, &pblk, &run) != 0)
			return;
		run = MIN(run, end - b);
		if (pblk != 0 && ext2fs_blk_ok(em, pblk, run))
			bio_prefetch(em->em_dev, (int64_t)pblk, (unsigned)run,
			    em->em_bsize);
	}
}

static int
ext2fs_read(struct vnode *vp, struct uio *uio, int ioflag __unused)
{
	struct ext2fs_inode *ei = VTOEI(vp);
	struct ext2fs_mount *em = ei->ei_em;
	uint64_t size = ext2fs_isize(ei), mlblk = 0, mpblk = 0, mrun = 0;
	uint64_t nblk = howmany(size, (uint64_t)em->em_bsize);
	int error = 0;

	if (vp->v_type == VDIR)
		return EISDIR;
	if (vp->v_type != VREG)
		return EINVAL;
	if (uio->uio_offset < 0)
		return EINVAL;
	if (le32(ei->ei_raw->i_flags) & EXT2_INLINE_DATA_FL) {
		char buf[256];
		size_t got;

		while (uio->uio_resid > 0 && (uint64_t)uio->uio_offset < size) {
			error =
			    ext2fs_inline_read(ei, (uint64_t)uio->uio_offset,
			        buf, MIN(sizeof(buf), uio->uio_resid), &got);
			if (error || got == 0)
				break;
			if ((error = uiomove(buf, got, uio)) != 0)
				break;
		}
		return error;
	}
	while (uio->uio_resid > 0 && (uint64_t)uio->uio_offset < size) {
		uint64_t off = (uint64_t)uio->uio_offset;
		uint64_t lblk = off >> em->em_bshift, pblk;
		unsigned boff = (unsigned)(off & (em->em_bsize - 1));
		size_t n = MIN(em->em_bsize - boff, uio->uio_resid);
		struct buf *bp;

		n = (size_t)MIN((uint64_t)n, size - off);
		if (lblk < mlblk || lblk >= mlblk + mrun) {
			error = ext2fs_bmap(ei, lblk, &mpblk, &mrun);
			if (error)
				break;
			mlblk = lblk;
		}
		pblk = mpblk != 0 ? mpblk + (lblk - mlblk) : 0;
		if (pblk == 0) {
			error = uiomove(ext2fs_zeros, n, uio);
		} else {
			/*
			 * A miss reads the rest of this call's run along in
			 * one transfer; sequential readers also get the next
			 * window started in the background.
			 */
			uint64_t left = howmany(MIN(off + uio->uio_resid, size),
			                    (uint64_t)em->em_bsize) -
			    lblk;

			if (pblk >= em->em_nblocks) {
				error = EUCLEAN;
				break;
			}
			error = breadn(em->em_dev, (int64_t)pblk, em->em_bsize,
			    (unsigned)MIN(
			        MIN(left, mlblk + mrun - lblk), READ_RUN_MAX),
			    &bp);
			if (error)
				break;
			ext2fs_readahead(ei, lblk, nblk);
			error = uiomove((char *)bp->b_data + boff, n, uio);
			brelse(bp);
		}
		if (error)
			break;
	}
	return error;
}

static int
ext2fs_write(struct vnode *vp, struct uio *uio, int ioflag)
{
	struct ext2fs_inode *ei = VTOEI(vp);
	struct ext2fs_mount *em = ei->ei_em;
	size_t resid = uio->uio_resid;
	uint64_t size = ext2fs_isize(ei), mlblk = 0, mpblk = 0, mrun = 0;
	bool misnew = false;
	int error = 0, hard = 0;

	if (vp->v_type != VREG)
		return EINVAL;
	if (ioflag & IO_APPEND)
		uio->uio_offset = (off_t)size;
	if (uio->uio_offset < 0)
		return EINVAL;
	if (resid == 0)
		return 0;
	if (resid > (uint64_t)(INT64_MAX - uio->uio_offset))
		return EINVAL;
	if ((uint64_t)uio->uio_offset >= em->em_maxsize)
		return EFBIG;
	if (le32(ei->ei_raw->i_flags) & EXT2_INLINE_DATA_FL)
		return EOPNOTSUPP;
	while (
	    uio->uio_resid > 0 && (uint64_t)uio->uio_offset < em->em_maxsize) {
		uint64_t off = (uint64_t)uio->uio_offset;
		uint64_t lblk = off >> em->em_bshift, pblk;
		unsigned boff = (unsigned)(off & (em->em_bsize - 1));
		size_t n = MIN(em->em_bsize - boff, uio->uio_resid);
		struct buf *bp;
		bool isnew, whole;

		n = (size_t)MIN((uint64_t)n, em->em_maxsize - off);
		if (lblk < mlblk || lblk >= mlblk + mrun) {
			/*
			 * Map (or allocate) the blocks this write covers in
			 * one go: one allocation, one extent and one inode
			 * update for a run, not one per block.
			 */
			uint64_t end =
			    MIN(off + uio->uio_resid, em->em_maxsize);
			uint64_t want =
			    howmany(end, (uint64_t)em->em_bsize) - lblk;
			uint32_t got;

			error = ext2fs_bmap_alloc_run(ei, lblk,
			    (uint32_t)MIN(want, WRITE_RUN_MAX), &mpblk, &got,
			    &misnew);
			if (error)
				break;
			mlblk = lblk;
			mrun = got;
		}
		pblk = mpblk + (lblk - mlblk);
		isnew = misnew;
		if (isnew && boff == 0 &&
		    uio->uio_resid >= DIRECT_MIN * em->em_bsize &&
		    mlblk + mrun - lblk >= DIRECT_MIN) {
			/*
			 * Whole new blocks, many: straight to the device
			 * (before the extent and inode that point at them,
			 * as ordered mode wants), not through the cache.
			 */
			uint64_t k = MIN(mlblk + mrun - lblk,
			    uio->uio_resid >> em->em_bshift);
			size_t before = uio->uio_resid;

			error = bio_directwrite(em->em_dev, (int64_t)pblk,
			    (unsigned)k, em->em_bsize, uio);
			if (error == 0) {
				if ((uint64_t)uio->uio_offset > size) {
					size = (uint64_t)uio->uio_offset;
					ext2fs_isize_set(ei, size);
				}
				continue;
			}
			if (uio->uio_resid != before) {
				/* Not all of it is on the device: no count. */
				hard = error;
				break;
			}
			if (error != EOPNOTSUPP && error != ENOMEM)
				break;
			error = 0; /* nothing moved: through the cache */
		}
		whole = boff == 0 && n == em->em_bsize;
		if (whole || isnew) {
			if ((error = ext2fs_getblk(em, pblk, &bp)) != 0)
				break;
			if (!whole)
				memset(bp->b_data, 0, em->em_bsize);
		} else if ((error = ext2fs_bread(em, pblk, &bp)) != 0) {
			break;
		}
		error = uiomove((char *)bp->b_data + boff, n, uio);
		if (error && isnew)
			memset(bp->b_data, 0, em->em_bsize);
		bdwrite(bp);
		if ((uint64_t)uio->uio_offset > size) {
			size = (uint64_t)uio->uio_offset;
			ext2fs_isize_set(ei, size);
		}
		if (error)
			break;
	}
	if (misnew && uio->uio_resid > 0) {
		/*
		 * The write stopped inside a run it allocated.  New blocks
		 * it did not reach are zeroed where they lie inside the
		 * file (a run filling a hole) and freed past its end.
		 */
		uint64_t from =
		    howmany((uint64_t)uio->uio_offset, (uint64_t)em->em_bsize);
		uint64_t eof = howmany(size, (uint64_t)em->em_bsize);
		struct buf *zbp;

		for (uint64_t b = MAX(from, mlblk); b < MIN(mlblk + mrun, eof);
		     b++) {
			if (ext2fs_getblk(em, mpblk + (b - mlblk), &zbp) != 0)
				break;
			memset(zbp->b_data, 0, em->em_bsize);
			bdwrite(zbp);
		}
		if (mlblk + mrun > eof) {
			(void)ext2fs_trunc_blocks(ei, eof);
			(void)ext2fs_iupdate(ei);
		}
	}
	if (uio->uio_resid != resid) {
		/* As Linux: what fitted is written, and the count is short. */
		error = 0;
		ext2fs_itime_now(ei, "mc");
		error = ext2fs_iupdate(ei);
		if (error == 0 && (ioflag & (IO_SYNC | IO_DSYNC)) &&
		    em->em_jnl == NULL)
			error = ext2fs_jnl_commit(em, false);
	}
	return hard != 0 ? hard : error;
}

static int
ext2fs_readdir(struct vnode *vp, off_t *cookie,
    int (*fill)(void *arg, uint64_t ino, off_t next, unsigned char type,
        const char *name, size_t namelen),
    void *arg)
{
	if (vp->v_type != VDIR)
		return ENOTDIR;
	if (nlink_get(VTOEI(vp)) == 0)
		return 0; /* removed: nothing to list, as on Linux */
	return ext2fs_dir_readdir(VTOEI(vp), cookie, fill, arg);
}

static int
ext2fs_readlink(struct vnode *vp, struct uio *uio)
{
	struct ext2fs_inode *ei = VTOEI(vp);
	struct ext2fs_mount *em = ei->ei_em;
	uint64_t size = ext2fs_isize(ei), pblk, run, ea = 0;
	struct buf *bp;
	char buf[64];
	size_t got;
	int error;

	if (vp->v_type != VLNK)
		return EINVAL;
	if (size == 0 || size >= em->em_bsize || size >= PATH_MAX)
		return EUCLEAN;
	if (le32(ei->ei_raw->i_flags) & EXT2_INLINE_DATA_FL) {
		if (size > sizeof(buf))
			return EUCLEAN; /* longer inline symlinks: not yet */
		error = ext2fs_inline_read(ei, 0, buf, (size_t)size, &got);
		if (error)
			return error;
		return uiomove(buf, MIN(got, uio->uio_resid), uio);
	}
	if (le32(ei->ei_raw->i_file_acl_lo) != 0 ||
	    le16(ei->ei_raw->i_file_acl_high) != 0)
		ea = em->em_bsize >> 9;
	if (ext2fs_iblocks(ei) == ea) {
		/* A fast symlink: the target is in i_block. */
		if (size >= sizeof(ei->ei_raw->i_block))
			return EUCLEAN;
		return uiomove(ei->ei_raw->i_block,
		    (size_t)MIN(size, (uint64_t)uio->uio_resid), uio);
	}
	if ((error = ext2fs_bmap(ei, 0, &pblk, &run)) != 0)
		return error;
	if (pblk == 0)
		return EUCLEAN;
	if ((error = ext2fs_bread(em, pblk, &bp)) != 0)
		return error;
	error = uiomove(
	    bp->b_data, (size_t)MIN(size, (uint64_t)uio->uio_resid), uio);
	brelse(bp);
	return error;
}

static int
ext2fs_fsync(struct vnode *vp, int flags __unused)
{
	struct ext2fs_mount *em = VTOEI(vp)->ei_em;

	if (vfs_isrdonly(vp->v_mount))
		return 0;
	return ext2fs_jnl_commit(em, false);
}

static int
ext2fs_seekdata(struct vnode *vp, off_t off, int whence, off_t *result)
{
	struct ext2fs_inode *ei = VTOEI(vp);
	struct ext2fs_mount *em = ei->ei_em;
	uint64_t size = ext2fs_isize(ei), lblk, pblk, run;
	uint64_t nblk = howmany(size, (uint64_t)em->em_bsize);
	int error;

	if (off < 0 || (uint64_t)off >= size)
		return ENXIO;
	if (le32(ei->ei_raw->i_flags) & EXT2_INLINE_DATA_FL) {
		*result = whence == SEEK_DATA ? off : (off_t)size;
		return 0;
	}
	for (lblk = (uint64_t)off >> em->em_bshift; lblk < nblk; lblk += run) {
		if ((error = ext2fs_bmap(ei, lblk, &pblk, &run)) != 0)
			return error;
		if ((whence == SEEK_DATA) == (pblk != 0))
			break;
	}
	if (lblk >= nblk) {
		if (whence == SEEK_DATA)
			return ENXIO;
		*result = (off_t)size;
		return 0;
	}
	*result = MAX(off, (off_t)(lblk << em->em_bshift));
	if ((uint64_t)*result > size)
		*result = (off_t)size;
	return 0;
}

static int
ext2fs_inactive(struct vnode *vp, bool *recycle)
{
	*recycle = nlink_get(VTOEI(vp)) == 0;
	return 0;
}

/*
 * Frees the blocks and then the inode of a file with no name left.  The
 * number can be handed out again at once, so this runs where nobody can
 * reach the inode any more: in reclaim, or in the operation that took
 * the last name when the caller holds the only reference.
 */
static void
ext2fs_idelete(struct ext2fs_inode *ei)
{
	if (ei->ei_freed)
		return;
	ext2fs_inode_release(ei); /* off the orphan list, then freed */
	ei->ei_freed = true;
}

static int
ext2fs_reclaim(struct vnode *vp)
{
	struct ext2fs_inode *ei = VTOEI(vp);
	struct ext2fs_mount *em = ei->ei_em;
	size_t isize = ei->ei_rawsize;
	bool del = nlink_get(ei) == 0 && !vfs_isrdonly(vp->v_mount) &&
	    vp->v_mount->mnt_data != NULL;

	if (ei->ei_txhold) {
		/* The transaction of the remove that took its last name. */
		if (del)
			ext2fs_idelete(ei);
		ext2fs_trans_release(em);
	} else if (del) {
		/* Reclaim may run while others wait for it: never waits. */
		ext2fs_trans_begin(em, EXT2_TX_NOWAIT);
		ext2fs_idelete(ei);
		ext2fs_trans_end(em, EXT2_TX_NOWAIT);
	}
	vp->v_data = NULL;
	kmem_free(ei->ei_raw, isize);
	kmem_free(ei, sizeof(*ei));
	return 0;
}

/*
 * The operations that change the file system, each one transaction of
 * the journal (ext2fs_journal.c).  When the last name of a file goes
 * while only the caller holds it, the caller's vrele reclaims it next:
 * the transaction stays open until then (ext2fs_trans_handoff), so the
 * name and the file go in one commit and a crash cannot leave the file
 * allocated with no name.  (Its inode number must not be free while the
 * vnode is cached, so the inode is freed in reclaim, not here.)  ENOSPC
 * is retried once after a commit when freed blocks wait for one.
 */
static void
ext2fs_tx_end_victim(struct ext2fs_mount *em, struct vnode *vp)
{
	struct ext2fs_inode *ei = vp != NULL ? VTOEI(vp) : NULL;

	if (ei != NULL && nlink_get(ei) == 0 && !ei->ei_txhold &&
	    __atomic_load_n(&vp->v_usecount, __ATOMIC_ACQUIRE) == 1 &&
	    ext2fs_trans_handoff(em)) {
		ei->ei_txhold = true;
		return;
	}
	ext2fs_trans_end(em, 0);
}

#define EM_OF(vp) (VTOEI(vp)->ei_em)

static int
ext2fs_tx_create(struct vnode *dvp, const struct componentname *cn,
    const struct vattr *va, struct vnode **vpp)
{
	int error;

	do {
		ext2fs_trans_begin(EM_OF(dvp), 0);
		error = ext2fs_create(dvp, cn, va, vpp);
		ext2fs_trans_end(EM_OF(dvp), 0);
	} while (error == ENOSPC && ext2fs_jnl_retry(EM_OF(dvp)));
	return error;
}

static int
ext2fs_tx_mkdir(struct vnode *dvp, const struct componentname *cn,
    const struct vattr *va, struct vnode **vpp)
{
	int error;

	do {
		ext2fs_trans_begin(EM_OF(dvp), 0);
		error = ext2fs_mkdir(dvp, cn, va, vpp);
		ext2fs_trans_end(EM_OF(dvp), 0);
	} while (error == ENOSPC && ext2fs_jnl_retry(EM_OF(dvp)));
	return error;
}

static int
ext2fs_tx_symlink(struct vnode *dvp, const struct componentname *cn,
    const struct vattr *va, const char *target, struct vnode **vpp)
{
	int error;

	do {
		ext2fs_trans_begin(EM_OF(dvp), 0);
		error = ext2fs_symlink(dvp, cn, va, target, vpp);
		ext2fs_trans_end(EM_OF(dvp), 0);
	} while (error == ENOSPC && ext2fs_jnl_retry(EM_OF(dvp)));
	return error;
}

static int
ext2fs_tx_link(
    struct vnode *dvp, const struct componentname *cn, struct vnode *vp)
{
	int error;

	do {
		ext2fs_trans_begin(EM_OF(dvp), 0);
		error = ext2fs_link(dvp, cn, vp);
		ext2fs_trans_end(EM_OF(dvp), 0);
	} while (error == ENOSPC && ext2fs_jnl_retry(EM_OF(dvp)));
	return error;
}

static int
ext2fs_tx_remove(
    struct vnode *dvp, const struct componentname *cn, struct vnode *vp)
{
	int error;

	ext2fs_trans_begin(EM_OF(dvp), 0);
	error = ext2fs_remove(dvp, cn, vp);
	ext2fs_tx_end_victim(EM_OF(dvp), error == 0 ? vp : NULL);
	return error;
}

static int
ext2fs_tx_rmdir(
    struct vnode *dvp, const struct componentname *cn, struct vnode *vp)
{
	int error;

	ext2fs_trans_begin(EM_OF(dvp), 0);
	error = ext2fs_rmdir(dvp, cn, vp);
	ext2fs_tx_end_victim(EM_OF(dvp), error == 0 ? vp : NULL);
	return error;
}

static int
ext2fs_tx_rename(struct vnode *fdvp, const struct componentname *fcn,
    struct vnode *fvp, struct vnode *tdvp, const struct componentname *tcn,
    struct vnode *tvp, unsigned flags)
{
	int error;

	do {
		ext2fs_trans_begin(EM_OF(fdvp), 0);
		error = ext2fs_rename(fdvp, fcn, fvp, tdvp, tcn, tvp, flags);
		ext2fs_tx_end_victim(EM_OF(fdvp),
		    error == 0 && tvp != fvp && !(flags & RENAME_EXCHANGE)
		        ? tvp
		        : NULL);
	} while (error == ENOSPC && ext2fs_jnl_retry(EM_OF(fdvp)));
	return error;
}

static int
ext2fs_tx_setattr(struct vnode *vp, const struct vattr *va)
{
	int error;

	do {
		ext2fs_trans_begin(EM_OF(vp), 0);
		error = ext2fs_setattr(vp, va);
		ext2fs_trans_end(EM_OF(vp), 0);
	} while (error == ENOSPC && ext2fs_jnl_retry(EM_OF(vp)));
	return error;
}

static int
ext2fs_tx_write(struct vnode *vp, struct uio *uio, int ioflag)
{
	struct ext2fs_mount *em = EM_OF(vp);
	int error;

	do {
		ext2fs_trans_begin(em, 0);
		error = ext2fs_write(vp, uio, ioflag);
		ext2fs_trans_end(em, 0);
	} while (error == ENOSPC && ext2fs_jnl_retry(em));
	if (error == 0 && (ioflag & (IO_SYNC | IO_DSYNC)) && em->em_jnl)
		error = ext2fs_jnl_commit(em, false);
	return error;
}

const struct vnodeops ext2fs_vnodeops = {
    .vop_lookup = ext2fs_lookup,
    .vop_create = ext2fs_tx_create,
    .vop_mkdir = ext2fs_tx_mkdir,
    .vop_symlink = ext2fs_tx_symlink,
    .vop_link = ext2fs_tx_link,
    .vop_remove = ext2fs_tx_remove,
    .vop_rmdir = ext2fs_tx_rmdir,
    .vop_rename = ext2fs_tx_rename,
    .vop_getattr = ext2fs_getattr,
    .vop_setattr = ext2fs_tx_setattr,
    .vop_read = ext2fs_read,
    .vop_write = ext2fs_tx_write,
    .vop_readdir = ext2fs_readdir,
    .vop_readlink = ext2fs_readlink,
    .vop_fsync = ext2fs_fsync,
    .vop_seekdata = ext2fs_seekdata,
    .vop_inactive = ext2fs_inactive,
    .vop_reclaim = ext2fs_reclaim,
    .vop_getxattr = ext2fs_getxattr,
    .vop_listxattr = ext2fs_listxattr,
    .vop_setxattr = ext2fs_setxattr,
    .vop_removexattr = ext2fs_removexattr,
};
