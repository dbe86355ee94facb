/*
 * vfs_etfs.c — etfs: host files inside the kernel's namespace, with the
 * semantics of rump_etfs(3).
 *
 * rump_pub_etfs_register(key, hostpath, type) makes the absolute path key
 * name the host file hostpath.  Keys live in a table of their own, not in
 * any directory: namei() offers every absolute path to etfs_lookup()
 * before it walks the tree, so a key is found only by its exact path from
 * the root and readdir never lists it.  Repeated leading slashes collapse
 * ("//key" is "/key"); the rest is compared byte for byte.
 *
 * Types:
 *   REG  a regular file read and written with rumpuser_iovread/iovwrite
 *        at offsets within the window [begin, begin+size).  With
 *        RUMP_ETFS_SIZE_ENDOFF the window runs to the host file's end,
 *        wherever that is now (writes may extend the file); a fixed window
 *        does not grow (a write past it gets ENOSPC).  The size cannot be
 *        changed otherwise (no truncate hypercall): EOPNOTSUPP.
 *   BLK  a block device (VBLK, block major 240) of 512-byte sectors whose
 *        size is the window rounded down to 512 bytes (a host block
 *        device's size comes from rumpuser_getfileinfo).  d_strategy does
 *        asynchronous transfers (B_ASYNC: read-ahead, write-back) with
 *        rumpuser_bio, and those its caller waits for in the caller's
 *        thread with rumpuser_iovread/iovwrite; programs' reads and writes go
 * through the buffer cache (bio_rawread/bio_rawwrite), so they and file systems
 * mounted from the device see each other's data.  The last close writes the
 * device's buffers back, as on Linux. CHR  the host file as an unbuffered
 * character device (VCHR, char major 241): every read and write goes to the
 * host at its offset. DIR, DIR_SUBDIRS  a directory: key/name is hostpath/name,
 * made on the fly when looked up (regular files and directories only).  DIR
 *        reaches the immediate children only; DIR_SUBDIRS the whole tree.
 *        There is no host readdir hypercall, so readdir of these
 *        directories returns "." and ".." only.  Nothing can be created
 *        or removed in them (EOPNOTSUPP).
 * Block and character keys get minor numbers 0..ETFS_MAXDEV-1.
 *
 * rump_pub_etfs_remove(key) fails with EBUSY while the key (or, for a
 * directory key, a file below it) is open.  A removed key disappears from
 * the namespace at once; its node lives on while vnodes still refer to it.
 *
 * Node life: registered (in etfs_keys, one reference) → looked up
 * (references from lookups in progress and from its vnode, taken in
 * vfs_loadvnode and dropped in vop_reclaim) → removed (off the table; a
 * device is written back, invalidated and detached) → freed with its host
 * descriptor when the last reference goes.  Children of directory keys are
 * on their key's en_children list while referenced and hold a reference to
 * the key.  Vnodes belong to a pseudo mount (etfs_mount) that is in no
 * mount list; their cache key is the node's address.
 *
 * Lock order: vnode lock → etfs_lock.  No hypercall or allocation that may
 * sleep is made under etfs_lock.
 */
#include "etfs.h"

/* rump.h's enum rump_etfs_type and RUMP_ETFS_SIZE_ENDOFF, same values. */
#define ETFS_REG         0
#define ETFS_BLK         1
#define ETFS_CHR         2
#define ETFS_DIR         3
#define ETFS_DIR_SUBDIRS 4
#define ETFS_SIZE_ENDOFF ((uint64_t)-1)

#define ETFS_BLK_MAJOR 240
#define ETFS_CHR_MAJOR 241
#define ETFS_MAXDEV    256
#define ETFS_SECSIZE   512
#define ETFS_IOCHUNK   (64 * 1024)

extern int kern_running;

/*
 * A key or a child of a directory key.
 * [I] immutable after registration  [e] etfs_lock  [v] its vnode's lock
 */
struct etfs_node {
	char
	    *en_key; /* [I] without leading '/'; children: path below the key */
	size_t en_keylen;          /* [I] */
	char *en_hostpath;         /* [I] */
	int en_type;               /* [I] ETFS_*; children: REG or DIR */
	enum vtype en_vtype;       /* [I] */
	int en_fd;                 /* [I] host descriptor, -1 for directories */
	bool en_rdonly;            /* [I] the host file opened read-only */
	bool en_endoff;            /* [I] the window runs to the host's end */
	uint64_t en_begin;         /* [I] window start in the host file */
	uint64_t en_size;          /* [e] window size (REG ENDOFF: last seen) */
	dev_t en_dev;              /* [I] BLK, CHR */
	uint64_t en_fileid;        /* [I] */
	unsigned en_refcnt;        /* [e] */
	unsigned en_opencnt;       /* [e] open files */
	bool en_registered;        /* [e] in etfs_keys */
	struct etfs_node *en_next; /* [e] etfs_keys or the key's en_children */
	struct etfs_node *en_root; /* [I] children: their key, referenced */
	struct etfs_node *en_children; /* [e] keys: children alive */
	mode_t en_mode;                /* [v] */
	uid_t en_uid;                  /* [v] */
	gid_t en_gid;                  /* [v] */
	struct timespec en_atime, en_mtime, en_ctime; /* [v] */
};

static kmutex_t etfs_lock;
static struct etfs_node *etfs_keys;              /* [e] */
static struct etfs_node *etfs_devs[ETFS_MAXDEV]; /* [e] by minor */
static uint64_t etfs_nextid = 2;                 /* [a] */
static struct mount etfs_mount;
static const struct vnodeops etfs_vnodeops;
static const struct devsw etfs_blk_devsw, etfs_chr_devsw;

static void
etfs_hold(struct etfs_node *en)
{
	KASSERT(mutex_owned(&etfs_lock));
	en->en_refcnt++;
}

static void
etfs_free(struct etfs_node *en)
{
	if (en->en_fd >= 0)
		(void)rumpuser_close(en->en_fd);
	if (en->en_key != NULL)
		kmem_free(en->en_key, en->en_keylen + 1);
	if (en->en_hostpath != NULL)
		kmem_strfree(en->en_hostpath);
	kmem_free(en, sizeof(*en));
}

static void
etfs_rele(struct etfs_node *en)
{
	struct etfs_node **pp, *root = NULL;

	mutex_enter(&etfs_lock);
	KASSERT(en->en_refcnt > 0);
	if (--en->en_refcnt > 0) {
		mutex_exit(&etfs_lock);
		return;
	}
	if ((root = en->en_root) != NULL) {
		for (pp = &root->en_children; *pp != en; pp = &(*pp)->en_next)
			continue;
		*pp = en->en_next;
	}
	mutex_exit(&etfs_lock);
	etfs_free(en);
	if (root != NULL)
		etfs_rele(root);
}

static void
etfs_settimes(struct etfs_node *en)
{
	uint64_t now = getnanotime();

	en->en_atime.tv_sec = (time_t)(now / 1000000000u);
	en->en_atime.tv_nsec = (long)(now % 1000000000u);
	en->en_mtime = en->en_ctime = en->en_atime;
}

/* The vnode of en; the caller's reference to en is passed on (dropped). */
static int
etfs_vget(struct etfs_node *en, struct vnode **vpp)
{
	int error;

	error = vcache_get(&etfs_mount, &en, sizeof(en), vpp);
	etfs_rele(en);
	return error;
}

/* Skips leading slashes: a key or path relative to the root. */
static int
etfs_keynorm(const char *key, size_t len, const char **kp, size_t *klenp)
{
	if (len == 0 || key[0] != '/')
		return EINVAL;
	while (len > 0 && *key == '/') {
		key++;
		len--;
	}
	*kp = key;
	*klenp = len;
	return 0;
}

/* The registered key of exactly k[0..klen), held, or NULL. */
static struct etfs_node *
etfs_findkey_locked(const char *k, size_t klen)
{
	struct etfs_node *en;

	KASSERT(mutex_owned(&etfs_lock));
	for (en = etfs_keys; en != NULL; en = en->en_next)
		if (en->en_keylen == klen && memcmp(en->en_key, k, klen) == 0)
			return en;
	return NULL;
}

/*
 * The child rel[0..rlen) (a normalised relative path) of the directory
 * key root, found or made, held.
 */
static int
etfs_child(struct etfs_node *root, const char *rel, size_t rlen,
    struct etfs_node **enp)
{
	struct etfs_node *en, *nen;
	size_t hlen = strlen(root->en_hostpath);
	uint64_t size = 0;
	int ft, error, fd = -1;
	bool rdonly = false;
	char *hp = NULL, *k = NULL;

	mutex_enter(&etfs_lock);
	for (en = root->en_children; en != NULL; en = en->en_next)
		if (en->en_keylen == rlen &&
		    memcmp(en->en_key, rel, rlen) == 0) {
			etfs_hold(en);
			mutex_exit(&etfs_lock);
			*enp = en;
			return 0;
		}
	mutex_exit(&etfs_lock);

	if (hlen + 1 + rlen >= PATH_MAX)
		return ENAMETOOLONG;
	hp = kmem_alloc(hlen + rlen + 2, KM_SLEEP);
	k = kmem_alloc(rlen + 1, KM_SLEEP);
	if (hp == NULL || k == NULL) {
		error = ENOMEM;
		goto out;
	}
	memcpy(hp, root->en_hostpath, hlen);
	hp[hlen] = '/';
	memcpy(hp + hlen + 1, rel, rlen);
	hp[hlen + 1 + rlen] = '\0';
	memcpy(k, rel, rlen);
	k[rlen] = '\0';
	if ((error = rumpuser_getfileinfo(hp, &size, &ft)) != 0)
		goto out;
	if (ft == RUMPUSER_FT_REG) {
		error = rumpuser_open(hp, RUMPUSER_OPEN_RDWR, &fd);
		if (error == EACCES || error == EROFS || error == EPERM) {
			rdonly = true;
			error = rumpuser_open(hp, RUMPUSER_OPEN_RDONLY, &fd);
		}
		if (error)
			goto out;
	} else if (ft != RUMPUSER_FT_DIR) {
		error = ENOENT; /* only files and directories are reachable */
		goto out;
	}
	if ((nen = kmem_zalloc(sizeof(*nen), KM_SLEEP)) == NULL) {
		error = ENOMEM;
		goto out;
	}
	/* hp is a string of strlen(hp) + 1 bytes, as kmem_strfree wants. */
	nen->en_key = k;
	nen->en_keylen = rlen;
	nen->en_hostpath = hp;
	k = hp = NULL;
	nen->en_type = ft == RUMPUSER_FT_REG ? ETFS_REG : ETFS_DIR;
	nen->en_vtype = ft == RUMPUSER_FT_REG ? VREG : VDIR;
	nen->en_fd = fd;
	fd = -1;
	nen->en_rdonly = rdonly;
	nen->en_endoff = true;
	nen->en_size = size;
	nen->en_dev = NODEV;
	nen->en_fileid = atomic_add(&etfs_nextid, 1);
	nen->en_refcnt = 1;
	nen->en_mode = ft == RUMPUSER_FT_REG ? 0644 : 0755;
	etfs_settimes(nen);

	mutex_enter(&etfs_lock);
	for (en = root->en_children; en != NULL; en = en->en_next)
		if (en->en_keylen == rlen && memcmp(en->en_key, rel, rlen) == 0)
			break;
	if (en != NULL) {
		/* Made by another thread meanwhile. */
		etfs_hold(en);
		mutex_exit(&etfs_lock);
		etfs_free(nen);
		*enp = en;
		goto out;
	}
	etfs_hold(root);
	nen->en_root = root;
	nen->en_next = root->en_children;
	root->en_children = nen;
	mutex_exit(&etfs_lock);
	*enp = nen;
out:
	if (fd >= 0)
		(void)rumpuser_close(fd);
	if (k != NULL)
		kmem_free(k, rlen + 1);
	if (hp != NULL)
		kmem_free(hp, hlen + rlen + 2);
	return error;
}

/*
 * Normalises the path below a directory key into buf: no empty, "." or
 * ".." components (".." stops at the key: ENOENT above it).  Returns the
 * number of components.
 */
static int
etfs_relnorm(const char *p, size_t len, char *buf, size_t *blen)
{
	size_t o = 0, i = 0, n;
	int ncomp = 0;

	while (i < len) {
		while (i < len && p[i] == '/')
			i++;
		for (n = 0; i + n < len && p[i + n] != '/'; n++)
			continue;
		if (n == 0 || (n == 1 && p[i] == '.')) {
			i += n;
			continue;
		}
		if (n == 2 && p[i] == '.' && p[i + 1] == '.') {
			if (ncomp == 0)
				return -1;
			while (o > 0 && buf[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
			ncomp--;
			i += n;
			continue;
		}
		if (o > 0)
			buf[o++] = '/';
		memcpy(buf + o, p + i, n);
		o += n;
		ncomp++;
		i += n;
	}
	*blen = o;
	return ncomp;
}

int
etfs_lookup(const char *path, size_t len, struct vnode **vpp)
{
	struct etfs_node *en, *dir = NULL, *child;
	const char *p;
	size_t plen, rlen = 0;
	char *rel = NULL;
	int error, ncomp;

	if (etfs_keynorm(path, len, &p, &plen) != 0 || plen == 0)
		return ENOENT;
	mutex_enter(&etfs_lock);
	if ((en = etfs_findkey_locked(p, plen)) != NULL) {
		etfs_hold(en);
		mutex_exit(&etfs_lock);
		return etfs_vget(en, vpp);
	}
	/* Below a directory key?  The longest key wins. */
	for (en = etfs_keys; en != NULL; en = en->en_next)
		if ((en->en_type == ETFS_DIR ||
		        en->en_type == ETFS_DIR_SUBDIRS) &&
		    plen > en->en_keylen && p[en->en_keylen] == '/' &&
		    memcmp(en->en_key, p, en->en_keylen) == 0 &&
		    (dir == NULL || en->en_keylen > dir->en_keylen))
			dir = en;
	if (dir == NULL) {
		mutex_exit(&etfs_lock);
		return ENOENT;
	}
	etfs_hold(dir);
	mutex_exit(&etfs_lock);
	p += dir->en_keylen;
	plen -= dir->en_keylen;
	if ((rel = kmem_alloc(plen + 1, KM_SLEEP)) == NULL) {
		error = ENOMEM;
		goto out;
	}
	ncomp = etfs_relnorm(p, plen, rel, &rlen);
	if (ncomp < 0 || (dir->en_type == ETFS_DIR && ncomp > 1)) {
		error = ENOENT;
		goto out;
	}
	if (ncomp == 0) {
		en = dir;
		dir = NULL;
		error = etfs_vget(en, vpp);
		goto out;
	}
	if ((error = etfs_child(dir, rel, rlen, &child)) == 0)
		error = etfs_vget(child, vpp);
out:
	if (rel != NULL)
		kmem_free(rel, plen + 1);
	if (dir != NULL)
		etfs_rele(dir);
	return error;
}

/* The node of an etfs device, held, or NULL. */
static struct etfs_node *
etfs_devnode(dev_t dev)
{
	struct etfs_node *en = NULL;
	unsigned mi = minor(dev);

	if ((major(dev) != ETFS_BLK_MAJOR && major(dev) != ETFS_CHR_MAJOR) ||
	    mi >= ETFS_MAXDEV)
		return NULL;
	mutex_enter(&etfs_lock);
	if ((en = etfs_devs[mi]) != NULL && en->en_dev == dev)
		etfs_hold(en);
	else
		en = NULL;
	mutex_exit(&etfs_lock);
	return en;
}

/*
 * Host I/O of a REG or CHR node through a bounce buffer (the caller's
 * buffers may be a remote client's), at uio_offset within the window.
 */
static int
etfs_hostio(struct etfs_node *en, struct uio *uio, int ioflag)
{
	size_t chunk = MIN(uio->uio_resid, (size_t)ETFS_IOCHUNK), start;
	struct rumpuser_iovec iov;
	uint64_t limit = ETFS_SIZE_ENDOFF, size;
	size_t n, done = 0;
	char *buf;
	int ft, error = 0;

	if (uio->uio_offset < 0)
		return EINVAL;
	if (uio->uio_resid == 0)
		return 0;
	if (uio->uio_rw == UIO_WRITE && en->en_rdonly)
		return EBADF;
	if (!en->en_endoff)
		limit = en->en_size;
	if (uio->uio_rw == UIO_WRITE && (ioflag & IO_APPEND)) {
		if (en->en_endoff) {
			error =
			    rumpuser_getfileinfo(en->en_hostpath, &size, &ft);
			if (error)
				return error;
			limit = ETFS_SIZE_ENDOFF;
			uio->uio_offset = size > en->en_begin
			    ? (off_t)(size - en->en_begin)
			    : 0;
		} else {
			uio->uio_offset = (off_t)en->en_size;
		}
	}
	if ((buf = kmem_alloc(chunk, KM_SLEEP)) == NULL)
		return ENOMEM;
	start = uio->uio_resid;
	while (uio->uio_resid > 0) {
		uint64_t off = (uint64_t)uio->uio_offset;

		n = MIN(uio->uio_resid, chunk);
		if (limit != ETFS_SIZE_ENDOFF) {
			if (off >= limit) {
				if (uio->uio_rw == UIO_WRITE &&
				    uio->uio_resid == start)
					error = ENOSPC;
				break;
			}
			n = (size_t)MIN((uint64_t)n, limit - off);
		}
		iov.iov_base = buf;
		iov.iov_len = n;
		if (uio->uio_rw == UIO_READ) {
			error = rumpuser_iovread(en->en_fd, &iov, 1,
			    (int64_t)(en->en_begin + off), &done);
			if (error == 0 && done > 0)
				error = uiomove(buf, done, uio);
		} else {
			if ((error = uiomove(buf, n, uio)) != 0)
				break;
			error = rumpuser_iovwrite(en->en_fd, &iov, 1,
			    (int64_t)(en->en_begin + off), &done);
			if (error == 0 && done < n)
				error = EIO; /* the data was taken already */
			if (error == 0 && en->en_endoff) {
				mutex_enter(&etfs_lock);
				en->en_size = MAX(en->en_size, off + done);
				mutex_exit(&etfs_lock);
			}
		}
		if (error || done < n)
			break;
	}
	kmem_free(buf, chunk);
	return error;
}

/* Vnode operations. */

static int
etfs_nodir(struct vnode *dvp __unused, const struct componentname *cn __unused,
    const struct vattr *va __unused, struct vnode **vpp __unused)
{
	return EOPNOTSUPP;
}

static int
etfs_lookupop(
    struct vnode *dvp, const struct componentname *cn, struct vnode **vpp)
{
	struct etfs_node *dn = dvp->v_data, *root, *child;
	size_t rlen;
	char *rel;
	int error;

	if (dvp->v_type != VDIR)
		return ENOTDIR;
	root = dn->en_root != NULL ? dn->en_root : dn;
	/* DIR keys reach their immediate children only. */
	if (root->en_type == ETFS_DIR && dn != root)
		return ENOENT;
	rlen = (dn == root ? 0 : dn->en_keylen + 1) + cn->cn_namelen;
	if (rlen >= PATH_MAX)
		return ENAMETOOLONG;
	if ((rel = kmem_alloc(rlen, KM_SLEEP)) == NULL)
		return ENOMEM;
	if (dn != root) {
		memcpy(rel, dn->en_key, dn->en_keylen);
		rel[dn->en_keylen] = '/';
	}
	memcpy(rel + rlen - cn->cn_namelen, cn->cn_nameptr, cn->cn_namelen);
	if ((error = etfs_child(root, rel, rlen, &child)) == 0)
		error = etfs_vget(child, vpp);
	kmem_free(rel, rlen);
	return error;
}

static int
etfs_symlink(struct vnode *dvp __unused,
    const struct componentname *cn __unused, const struct vattr *va __unused,
    const char *target __unused, struct vnode **vpp __unused)
{
	return EOPNOTSUPP;
}

static int
etfs_link(struct vnode *dvp __unused, const struct componentname *cn __unused,
    struct vnode *vp __unused)
{
	return EOPNOTSUPP;
}

static int
etfs_rename(struct vnode *fdvp __unused,
    const struct componentname *fcn __unused, struct vnode *fvp __unused,
    struct vnode *tdvp __unused, const struct componentname *tcn __unused,
    struct vnode *tvp __unused, unsigned flags __unused)
{
	return EOPNOTSUPP;
}

/* The window's size now: for REG ENDOFF the host file's end. */
static uint64_t
etfs_cursize(struct etfs_node *en)
{
	uint64_t size;
	int ft;

	if (en->en_vtype == VREG && en->en_endoff &&
	    rumpuser_getfileinfo(en->en_hostpath, &size, &ft) == 0) {
		size = size > en->en_begin ? size - en->en_begin : 0;
		mutex_enter(&etfs_lock);
		en->en_size = size;
		mutex_exit(&etfs_lock);
		return size;
	}
	mutex_enter(&etfs_lock);
	size = en->en_size;
	mutex_exit(&etfs_lock);
	return size;
}

static int
etfs_getattr(struct vnode *vp, struct vattr *va)
{
	struct etfs_node *en = vp->v_data;

	memset(va, 0, sizeof(*va));
	va->va_type = en->en_vtype;
	va->va_mode = en->en_mode;
	va->va_nlink = en->en_vtype == VDIR ? 2 : 1;
	va->va_uid = en->en_uid;
	va->va_gid = en->en_gid;
	va->va_fileid = en->en_fileid;
	va->va_size = en->en_vtype == VDIR ? 4096 : (off_t)etfs_cursize(en);
	va->va_bytes = roundup((uint64_t)va->va_size, 512);
	va->va_blocksize = 4096;
	va->va_rdev =
	    en->en_vtype == VBLK || en->en_vtype == VCHR ? en->en_dev : 0;
	va->va_atime = en->en_atime;
	va->va_mtime = en->en_mtime;
	va->va_ctime = en->en_ctime;
	va->va_birthtime = en->en_ctime;
	return 0;
}

static int
etfs_setattr(struct vnode *vp, const struct vattr *va)
{
	struct etfs_node *en = vp->v_data;

	if ((va->va_mask & VA_SIZE) && en->en_vtype == VREG &&
	    (uint64_t)va->va_size != etfs_cursize(en))
		return EOPNOTSUPP; /* the host file cannot be truncated */
	if ((va->va_mask & VA_SIZE) && en->en_vtype == VDIR)
		return EISDIR;
	if (va->va_mask & VA_MODE)
		en->en_mode = va->va_mode & ALLPERMS;
	if (va->va_mask & VA_UID)
		en->en_uid = va->va_uid;
	if (va->va_mask & VA_GID)
		en->en_gid = va->va_gid;
	if (va->va_mask & VA_ATIME)
		en->en_atime = va->va_atime;
	if (va->va_mask & VA_MTIME)
		en->en_mtime = va->va_mtime;
	if (va->va_mask & VA_CTIME)
		en->en_ctime = va->va_ctime;
	return 0;
}

static int
etfs_read(struct vnode *vp, struct uio *uio, int ioflag)
{
	struct etfs_node *en = vp->v_data;

	if (vp->v_type == VDIR)
		return EISDIR;
	if (vp->v_type != VREG)
		return EOPNOTSUPP; /* devices go through their devsw */
	return etfs_hostio(en, uio, ioflag);
}

static int
etfs_write(struct vnode *vp, struct uio *uio, int ioflag)
{
	struct etfs_node *en = vp->v_data;
	int error;

	if (vp->v_type != VREG)
		return vp->v_type == VDIR ? EISDIR : EOPNOTSUPP;
	error = etfs_hostio(en, uio, ioflag);
	if (error == 0 && (ioflag & (IO_SYNC | IO_DSYNC)))
		error = rumpuser_syncfd(en->en_fd,
		    RUMPUSER_SYNCFD_WRITE |
		        ((ioflag & IO_SYNC) ? RUMPUSER_SYNCFD_SYNC : 0),
		    0, 0);
	return error;
}

static int
etfs_readdir(struct vnode *vp, off_t *cookie,
    int (*fill)(void *arg, uint64_t ino, off_t next, unsigned char type,
        const char *name, size_t namelen),
    void *arg)
{
	struct etfs_node *en = vp->v_data;

	if (vp->v_type != VDIR)
		return ENOTDIR;
	/* No host readdir: "." and ".." only (see the top of the file). */
	while (*cookie >= 0 && *cookie < 2) {
		if (fill(arg, en->en_fileid, *cookie + 1, DT_DIR, "..",
		        (size_t)*cookie + 1) != 0)
			break;
		(*cookie)++;
	}
	return 0;
}

static int
etfs_readlink(struct vnode *vp __unused, struct uio *uio __unused)
{
	return EINVAL;
}

static int
etfs_fsync(struct vnode *vp, int flags)
{
	struct etfs_node *en = vp->v_data;
	int error = 0;

	if (en->en_fd < 0)
		return 0;
	if (en->en_vtype == VBLK)
		error = bflush(en->en_dev, true);
	if (error == 0 && !en->en_rdonly)
		error = rumpuser_syncfd(en->en_fd,
		    RUMPUSER_SYNCFD_WRITE |
		        ((flags & FSYNC_DATAONLY) ? 0 : RUMPUSER_SYNCFD_SYNC),
		    0, 0);
	return error;
}

static int
etfs_inactive(struct vnode *vp, bool *recycle)
{
	struct etfs_node *en = vp->v_data;

	/*
	 * A removed key, or a child of a directory key (made again at the
	 * next lookup): give its host file back now.
	 */
	mutex_enter(&etfs_lock);
	*recycle = en->en_root != NULL || !en->en_registered;
	mutex_exit(&etfs_lock);
	return 0;
}

static int
etfs_reclaim(struct vnode *vp)
{
	struct etfs_node *en = vp->v_data;

	vp->v_data = NULL;
	etfs_rele(en);
	return 0;
}

static int
etfs_open(struct vnode *vp, int fflags)
{
	struct etfs_node *en = vp->v_data;

	if ((fflags & O_ACCMODE) != O_RDONLY && en->en_rdonly)
		return EROFS;
	mutex_enter(&etfs_lock);
	en->en_opencnt++;
	mutex_exit(&etfs_lock);
	return 0;
}

static int
etfs_close(struct vnode *vp, int fflags __unused)
{
	struct etfs_node *en = vp->v_data;

	mutex_enter(&etfs_lock);
	KASSERT(en->en_opencnt > 0);
	en->en_opencnt--;
	mutex_exit(&etfs_lock);
	return 0;
}

static const struct vnodeops etfs_vnodeops = {
    .vop_lookup = etfs_lookupop,
    .vop_create = etfs_nodir,
    .vop_mkdir = etfs_nodir,
    .vop_symlink = etfs_symlink,
    .vop_link = etfs_link,
    .vop_remove = etfs_link,
    .vop_rmdir = etfs_link,
    .vop_rename = etfs_rename,
    .vop_getattr = etfs_getattr,
    .vop_setattr = etfs_setattr,
    .vop_read = etfs_read,
    .vop_write = etfs_write,
    .vop_readdir = etfs_readdir,
    .vop_readlink = etfs_readlink,
    .vop_fsync = etfs_fsync,
    .vop_inactive = etfs_inactive,
    .vop_reclaim = etfs_reclaim,
    .vop_open = etfs_open,
    .vop_close = etfs_close,
};

/* The pseudo file system of etfs vnodes (never mounted). */

static int
etfs_vfs_mount(struct mount *mp __unused, const char *source __unused,
    const char *opts __unused)
{
	return EOPNOTSUPP;
}

static int
etfs_vfs_remount(struct mount *mp __unused, unsigned long flags __unused,
    const char *opts __unused)
{
	return EOPNOTSUPP;
}

static int
etfs_vfs_unmount(struct mount *mp __unused, int flags __unused)
{
	return EBUSY;
}

static int
etfs_vfs_root(struct mount *mp __unused, struct vnode **vpp __unused)
{
	return EOPNOTSUPP;
}

static int
etfs_vfs_statfs(struct mount *mp __unused, struct statfs *sf)
{
	memset(sf, 0, sizeof(*sf));
	sf->f_type = 0x65746673; /* "etfs" */
	sf->f_bsize = 4096;
	sf->f_frsize = 4096;
	sf->f_namelen = NAME_MAX;
	sf->f_flags = ST_VALID;
	return 0;
}

static int
etfs_vfs_sync(struct mount *mp __unused, bool waitfor __unused)
{
	return 0;
}

static int
etfs_vfs_loadvnode(
    struct mount *mp __unused, struct vnode *vp, const void *key, size_t keylen)
{
	struct etfs_node *en;

	KASSERT(keylen == sizeof(en));
	memcpy(&en, key, sizeof(en));
	/* The caller of vcache_get holds en: it cannot go meanwhile. */
	mutex_enter(&etfs_lock);
	etfs_hold(en);
	mutex_exit(&etfs_lock);
	vp->v_type = en->en_vtype;
	vp->v_op = &etfs_vnodeops;
	vp->v_data = en;
	vp->v_rdev =
	    en->en_vtype == VBLK || en->en_vtype == VCHR ? en->en_dev : 0;
	return 0;
}

static struct vfsops etfs_vfsops = {
    .vfs_name = "etfs",
    .vfs_mount = etfs_vfs_mount,
    .vfs_remount = etfs_vfs_remount,
    .vfs_unmount = etfs_vfs_unmount,
    .vfs_root = etfs_vfs_root,
    .vfs_statfs = etfs_vfs_statfs,
    .vfs_sync = etfs_vfs_sync,
    .vfs_loadvnode = etfs_vfs_loadvnode,
};

/* Device switches of BLK and CHR keys. */

static int
etfs_dopen(dev_t dev, int fflags)
{
	struct etfs_node *en = etfs_devnode(dev);
	int error = 0;

	if (en == NULL)
		return ENXIO;
	if ((fflags & O_ACCMODE) != O_RDONLY && en->en_rdonly) {
		error = EROFS;
		goto out;
	}
	mutex_enter(&etfs_lock);
	en->en_opencnt++;
	mutex_exit(&etfs_lock);
out:
	etfs_rele(en);
	return error;
}

static int
etfs_dclose(dev_t dev, int fflags __unused)
{
	struct etfs_node *en = etfs_devnode(dev);
	bool last;
	int error = 0;

	if (en == NULL)
		return 0;
	mutex_enter(&etfs_lock);
	if (en->en_opencnt > 0)
		en->en_opencnt--;
	last = en->en_opencnt == 0;
	mutex_exit(&etfs_lock);
	/* Like Linux, the last close of a block device writes it back. */
	if (last && en->en_vtype == VBLK)
		error = bflush(dev, true);
	etfs_rele(en);
	return error;
}

static int
etfs_dread(dev_t dev, struct uio *uio, int ioflag)
{
	struct etfs_node *en = etfs_devnode(dev);
	int error;

	if (en == NULL)
		return ENXIO;
	if (en->en_vtype == VBLK)
		error = bio_rawread(dev, en->en_size, uio);
	else
		error = etfs_hostio(en, uio, ioflag & ~IO_APPEND);
	etfs_rele(en);
	return error;
}

static int
etfs_dwrite(dev_t dev, struct uio *uio, int ioflag)
{
	struct etfs_node *en = etfs_devnode(dev);
	int error;

	if (en == NULL)
		return ENXIO;
	if (en->en_rdonly)
		error = EBADF;
	else if (en->en_vtype == VBLK)
		error = bio_rawwrite(dev, en->en_size, uio, ioflag);
	else
		error = etfs_hostio(en, uio, ioflag & ~IO_APPEND);
	etfs_rele(en);
	return error;
}

static int
etfs_dioctl(dev_t dev, unsigned long cmd, void *uarg, register_t *retval)
{
	struct etfs_node *en = etfs_devnode(dev);
	uint64_t u64;
	unsigned long ul;
	int error = 0, i;

	if (en == NULL)
		return ENXIO;
	*retval = 0;
	if (en->en_vtype != VBLK) {
		error = ENOTTY;
		goto out;
	}
	switch (cmd) {
	case BLKGETSIZE64:
		u64 = en->en_size;
		error = copyout(&u64, uarg, sizeof(u64));
		break;
	case BLKGETSIZE:
		ul = (unsigned long)(en->en_size / ETFS_SECSIZE);
		error = copyout(&ul, uarg, sizeof(ul));
		break;
	case BLKSSZGET:
		i = ETFS_SECSIZE;
		error = copyout(&i, uarg, sizeof(i));
		break;
	case BLKFLSBUF:
		/* Linux: write back, then drop the cached blocks. */
		if ((error = bflush(dev, true)) == 0)
			binval(dev);
		break;
	case DIOCCACHESYNC:
		if (!en->en_rdonly)
			error = rumpuser_syncfd(en->en_fd,
			    RUMPUSER_SYNCFD_WRITE | RUMPUSER_SYNCFD_BARRIER, 0,
			    0);
		break;
	default:
		error = ENOTTY;
	}
out:
	etfs_rele(en);
	return error;
}

static int
etfs_dpoll(dev_t dev __unused, int events)
{
	return events & (POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM);
}

/* Zeros bytes from .. b_bcount of bp's data (b_data or its pieces). */
static void
etfs_zero(struct buf *bp, size_t from)
{
	size_t at = 0;

	if (bp->b_iov == NULL) {
		memset((char *)bp->b_data + from, 0, bp->b_bcount - from);
		return;
	}
	for (unsigned i = 0; i < bp->b_iovcnt; i++) {
		size_t len = bp->b_iov[i].iov_len;

		if (at + len > from) {
			size_t skip = from > at ? from - at : 0;

			memset((char *)bp->b_iov[i].iov_base + skip, 0,
			    len - skip);
		}
		at += len;
	}
}

/* Completion of a transfer of etfs_strategy (rumpuser_bio or inline). */
static void
etfs_biodone(void *arg, size_t done, int error)
{
	struct buf *bp = arg;
	struct etfs_node *en = bp->b_private;
	uint64_t off = (uint64_t)bp->b_blkno * bp->b_bsize;
	size_t len = (size_t)MIN((uint64_t)bp->b_bcount, en->en_size - off);

	if (error == 0 && (bp->b_flags & B_READ)) {
		/* Past the host file's end (a sparse tail): zeros. */
		if (done < bp->b_bcount)
			etfs_zero(bp, done);
	} else if (error == 0 && done < len) {
		error = EIO;
	}
	bp->b_error = error;
	bp->b_private = NULL;
	etfs_rele(en);
	biodone(bp);
}

/*
 * A transfer the caller waits for: done here, in the calling thread, with
 * the vectored file hypercalls (they give the CPU up while they block).
 * A hand-off to rumpuser_bio's threads would only add two wake-ups.
 */
static void
etfs_transfer_inline(struct etfs_node *en, struct buf *bp, size_t len)
{
	struct rumpuser_iovec one, *iov = bp->b_iov;
	int64_t off =
	    (int64_t)(en->en_begin + (uint64_t)bp->b_blkno * bp->b_bsize);
	size_t done = 0, n = 0;
	int error = 0;

	if (iov == NULL) {
		one.iov_base = bp->b_data;
		one.iov_len = bp->b_bcount;
		iov = &one;
	}
	while (done < len) {
		/*
		 * The pieces covering bytes done .. len (a short transfer
		 * resumes; the device may end inside the last piece), trimmed
		 * in place for the call and put back after.
		 */
		struct rumpuser_iovec *v = iov, first, last;
		size_t at = 0, end, nv = 0;

		while (at + v->iov_len <= done)
			at += (v++)->iov_len;
		for (end = at; end < len; nv++)
			end += v[nv].iov_len;
		first = v[0];
		last = v[nv - 1];
		v[nv - 1].iov_len -= end - len;
		v[0].iov_base = (char *)v[0].iov_base + (done - at);
		v[0].iov_len -= done - at;
		if (bp->b_flags & B_READ)
			error = rumpuser_iovread(
			    en->en_fd, v, nv, off + (int64_t)done, &n);
		else
			error = rumpuser_iovwrite(
			    en->en_fd, v, nv, off + (int64_t)done, &n);
		v[nv - 1] = last;
		v[0] = first;
		if (error != 0 || n == 0)
			break;
		done += n;
	}
	etfs_biodone(bp, error == 0 ? done : 0, error);
}

static void
etfs_strategy(struct buf *bp)
{
	struct etfs_node *en = etfs_devnode(bp->b_dev);
	uint64_t off = (uint64_t)bp->b_blkno * bp->b_bsize;
	bool rd = (bp->b_flags & B_READ) != 0;
	size_t len;

	if (en == NULL || en->en_vtype != VBLK) {
		bp->b_error = ENXIO;
		goto done;
	}
	if (bp->b_blkno < 0 || off >= en->en_size) {
		if (rd) {
			etfs_zero(bp, 0);
			bp->b_error = 0;
		} else {
			bp->b_error = ENOSPC;
		}
		goto done;
	}
	if (!rd && en->en_rdonly) {
		bp->b_error = EROFS;
		goto done;
	}
	len = (size_t)MIN((uint64_t)bp->b_bcount, en->en_size - off);
	bp->b_private = en; /* held until etfs_biodone */
	if (!(bp->b_flags & B_ASYNC)) {
		etfs_transfer_inline(en, bp, len);
		return;
	}
	rumpuser_bio(en->en_fd, rd ? RUMPUSER_BIO_READ : RUMPUSER_BIO_WRITE,
	    bp->b_data, len, (int64_t)(en->en_begin + off), etfs_biodone, bp);
	return;
done:
	if (en != NULL)
		etfs_rele(en);
	biodone(bp);
}

static int
etfs_dsize(dev_t dev, uint64_t *bytes, unsigned *secsize)
{
	struct etfs_node *en = etfs_devnode(dev);

	if (en == NULL || en->en_vtype != VBLK) {
		if (en != NULL)
			etfs_rele(en);
		return ENXIO;
	}
	*bytes = en->en_size;
	*secsize = ETFS_SECSIZE;
	etfs_rele(en);
	return 0;
}

static const struct devsw etfs_blk_devsw = {
    .d_name = "etfs_blk",
    .d_open = etfs_dopen,
    .d_close = etfs_dclose,
    .d_read = etfs_dread,
    .d_write = etfs_dwrite,
    .d_ioctl = etfs_dioctl,
    .d_poll = etfs_dpoll,
    .d_strategy = etfs_strategy,
    .d_size = etfs_dsize,
};

static const struct devsw etfs_chr_devsw = {
    .d_name = "etfs_chr",
    .d_open = etfs_dopen,
    .d_close = etfs_dclose,
    .d_read = etfs_dread,
    .d_write = etfs_dwrite,
    .d_ioctl = etfs_dioctl,
    .d_poll = etfs_dpoll,
};

/* Registration and removal. */

static int
etfs_register(const char *key, const char *hostpath, int type, uint64_t begin,
    uint64_t size)
{
	struct etfs_node *en = NULL;
	const char *k;
	size_t klen;
	uint64_t hsize = 0;
	int ft, error, mode, mi = -1;
	bool attached = false;

	if (key == NULL || hostpath == NULL || type < ETFS_REG ||
	    type > ETFS_DIR_SUBDIRS)
		return EINVAL;
	if ((error = etfs_keynorm(key, strnlen(key, PATH_MAX), &k, &klen)) !=
	        0 ||
	    klen == 0)
		return EINVAL;
	if (strnlen(key, PATH_MAX) >= PATH_MAX ||
	    strnlen(hostpath, PATH_MAX) >= PATH_MAX)
		return ENAMETOOLONG;
	if ((error = rumpuser_getfileinfo(hostpath, &hsize, &ft)) != 0)
		return error;
	if (type == ETFS_DIR || type == ETFS_DIR_SUBDIRS) {
		if (ft != RUMPUSER_FT_DIR)
			return ENOTDIR;
	} else if (ft == RUMPUSER_FT_DIR) {
		return EISDIR;
	} else if (ft == RUMPUSER_FT_OTHER ||
	    (ft == RUMPUSER_FT_CHR && type != ETFS_CHR)) {
		return EINVAL;
	}

	if ((en = kmem_zalloc(sizeof(*en), KM_SLEEP)) == NULL)
		return ENOMEM;
	en->en_fd = -1;
	en->en_dev = NODEV;
	en->en_key = kmem_alloc(klen + 1, KM_SLEEP);
	en->en_keylen = klen;
	en->en_hostpath = kmem_strdup(hostpath, KM_SLEEP);
	if (en->en_key == NULL || en->en_hostpath == NULL) {
		error = ENOMEM;
		goto fail;
	}
	memcpy(en->en_key, k, klen);
	en->en_key[klen] = '\0';
	en->en_type = type;
	en->en_refcnt = 1;
	en->en_fileid = atomic_add(&etfs_nextid, 1);
	etfs_settimes(en);

	switch (type) {
	case ETFS_REG:
		en->en_vtype = VREG;
		en->en_mode = 0644;
		break;
	case ETFS_BLK:
		en->en_vtype = VBLK;
		en->en_mode = 0600;
		break;
	case ETFS_CHR:
		en->en_vtype = VCHR;
		en->en_mode = 0600;
		break;
	default:
		en->en_vtype = VDIR;
		en->en_mode = 0755;
		break;
	}

	if (en->en_vtype != VDIR) {
		/* The window. A host character device has no size. */
		if (ft == RUMPUSER_FT_CHR) {
			en->en_begin = begin;
			en->en_endoff = size == ETFS_SIZE_ENDOFF;
			en->en_size = en->en_endoff ? 0 : size;
		} else {
			if (begin > hsize ||
			    (size != ETFS_SIZE_ENDOFF &&
			        size > hsize - begin)) {
				error = EINVAL;
				goto fail;
			}
			en->en_begin = begin;
			en->en_endoff = size == ETFS_SIZE_ENDOFF;
			en->en_size = en->en_endoff ? hsize - begin : size;
		}
		if (type == ETFS_BLK) {
			en->en_size -= en->en_size % ETFS_SECSIZE;
			en->en_endoff = false; /* a disk does not grow */
		}
		mode = RUMPUSER_OPEN_RDWR |
		    (type == ETFS_BLK ? RUMPUSER_OPEN_BIO : 0);
		error = rumpuser_open(hostpath, mode, &en->en_fd);
		if (error == EACCES || error == EROFS || error == EPERM) {
			en->en_rdonly = true;
			mode = (mode & ~RUMPUSER_OPEN_ACCMODE) |
			    RUMPUSER_OPEN_RDONLY;
			error = rumpuser_open(hostpath, mode, &en->en_fd);
		}
		if (error) {
			en->en_fd = -1;
			goto fail;
		}
	}

	if (type == ETFS_BLK || type == ETFS_CHR) {
		/* Reserve a minor, attach, then publish the key. */
		mutex_enter(&etfs_lock);
		for (int i = 0; i < ETFS_MAXDEV; i++)
			if (etfs_devs[i] == NULL) {
				mi = i;
				break;
			}
		if (mi < 0) {
			mutex_exit(&etfs_lock);
			error = ENFILE;
			goto fail;
		}
		en->en_dev = makedev(
		    type == ETFS_BLK ? ETFS_BLK_MAJOR : ETFS_CHR_MAJOR, mi);
		etfs_devs[mi] = en;
		mutex_exit(&etfs_lock);
		error = devsw_attach(en->en_dev,
		    type == ETFS_BLK ? &etfs_blk_devsw : &etfs_chr_devsw);
		if (error)
			goto fail;
		attached = true;
	}

	mutex_enter(&etfs_lock);
	if (etfs_findkey_locked(en->en_key, klen) != NULL) {
		mutex_exit(&etfs_lock);
		error = EEXIST;
		goto fail;
	}
	en->en_registered = true;
	en->en_next = etfs_keys;
	etfs_keys = en;
	mutex_exit(&etfs_lock);
	return 0;

fail:
	if (attached)
		devsw_detach(en->en_dev);
	if (mi >= 0) {
		mutex_enter(&etfs_lock);
		etfs_devs[mi] = NULL;
		mutex_exit(&etfs_lock);
	}
	etfs_free(en);
	return error;
}

static int
etfs_remove(const char *key)
{
	struct etfs_node *en, **pp, *c;
	const char *k;
	size_t klen;
	bool busy;

	if (key == NULL ||
	    etfs_keynorm(key, strnlen(key, PATH_MAX), &k, &klen) != 0 ||
	    klen == 0)
		return EINVAL;
	mutex_enter(&etfs_lock);
	if ((en = etfs_findkey_locked(k, klen)) == NULL) {
		mutex_exit(&etfs_lock);
		return ENOENT;
	}
	busy = en->en_opencnt > 0;
	for (c = en->en_children; c != NULL && !busy; c = c->en_next)
		busy = c->en_opencnt > 0;
	if (busy) {
		mutex_exit(&etfs_lock);
		return EBUSY;
	}
	for (pp = &etfs_keys; *pp != en; pp = &(*pp)->en_next)
		continue;
	*pp = en->en_next;
	en->en_next = NULL;
	en->en_registered = false;
	mutex_exit(&etfs_lock);

	if (en->en_vtype == VBLK) {
		(void)bflush(en->en_dev, true);
		binval(en->en_dev);
	}
	if (en->en_vtype == VBLK || en->en_vtype == VCHR) {
		mutex_enter(&etfs_lock);
		etfs_devs[minor(en->en_dev)] = NULL;
		mutex_exit(&etfs_lock);
		devsw_detach(en->en_dev);
	}
	etfs_rele(en); /* the table's reference */
	return 0;
}

/* Public API: called from outside the kernel, without a virtual CPU. */

RUMP_API int
rump_pub_etfs_register_withsize(const char *key, const char *hostpath,
    int ftype, uint64_t begin, uint64_t size)
{
	struct lwp *l;
	int error;

	if (!atomic_load_acquire(&kern_running))
		return ENXIO;
	l = sched_enter();
	error = etfs_register(key, hostpath, ftype, begin, size);
	sched_exit(l);
	return error;
}

RUMP_API int
rump_pub_etfs_register(const char *key, const char *hostpath, int ftype)
{
	return rump_pub_etfs_register_withsize(
	    key, hostpath, ftype, 0, ETFS_SIZE_ENDOFF);
}

RUMP_API int
rump_pub_etfs_remove(const char *key)
{
	struct lwp *l;
	int error;

	if (!atomic_load_acquire(&kern_running))
		return ENXIO;
	l = sched_enter();
	error = etfs_remove(key);
	sched_exit(l);
	return error;
}

RUMP_COMPONENT(RUMP_COMPONENT_VFS)
{
	mutex_init(&etfs_lock, MUTEX_DEFAULT);
	etfs_mount.mnt_op = &etfs_vfsops;
	etfs_mount.mnt_refcnt = 1;
	etfs_mount.mnt_id = 0x65746673;
	rw_init(&etfs_mount.mnt_renamelock);
	strlcpy(etfs_mount.mnt_fstype, "etfs", sizeof(etfs_mount.mnt_fstype));
	strlcpy(etfs_mount.mnt_source, "etfs", sizeof(etfs_mount.mnt_source));
}
