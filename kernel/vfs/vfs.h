/*
 * vfs.h — the VFS faction, as file systems and the rest of the kernel see
 * it: vnodes and their operations, mounts and file-system types, path
 * lookup (namei), attributes, and the buffer cache for disk file systems.
 *
 * Layers, top down:
 *   file syscalls (vfs_syscalls.c) → open files of vnodes (vfs_vnops.c)
 *   → namei (vfs_lookup.c, with the name cache vfs_cache.c)
 *   → vnode operations of a file system (fs/<name>/)
 *   → buffer cache (vfs_bio.c) → block devices (etfs, rumpuser_bio)
 *
 * Vnode life cycle (v_state, guarded by the vnode cache's stripe lock):
 *   LOADING  vcache_get() made it and the file system is filling it in;
 *            others looking up the same key wait.
 *   ACTIVE   in use (v_usecount > 0) or cached idle on the LRU list
 *            (v_usecount == 0): a lookup revives it.
 *   RECLAIMING → RECLAIMED  the file system lets go of its node
 *            (vop_reclaim); the vnode is freed once unreferenced.
 * Typical sequence: namei() → vnode referenced (vref'ed) → vn_lock(vp,
 * RW_READER/WRITER) → VOP → vn_unlock → vrele().  When the last reference
 * goes, vop_inactive runs; a vnode whose file is gone (nlink 0) is
 * reclaimed at once, others stay cached until the cache passes its limit
 * (RUMP_NVNODES, default 8192) or memory is short.
 *
 * Locks and their order: mnt_renamelock → vnode locks (a directory before
 * its children; two unrelated vnodes by address) → the vnode cache's
 * stripe and LRU locks, v_interlock.  The VFS takes the vnode locks around each
 * operation, as the comments on struct vnodeops say, so a file system rarely
 * locks a vnode itself.
 */
#ifndef KERNEL_VFS_VFS_H
#define KERNEL_VFS_VFS_H

#include "kern/proc.h"
#include "sys/linux_fs.h"

struct vnode;
struct mount;
struct buf;

enum vtype { VNON, VREG, VDIR, VBLK, VCHR, VLNK, VSOCK, VFIFO, VBAD };

/*
 * Attributes.  getattr fills every field; setattr changes the fields named
 * in va_mask (VA_*), which the VFS has already checked against the caller's
 * permissions.
 */
struct vattr {
	enum vtype va_type;
	mode_t va_mode; /* permission bits and S_ISUID/S_ISGID/S_ISVTX */
	nlink_t va_nlink;
	uid_t va_uid;
	gid_t va_gid;
	uint64_t va_fileid; /* inode number */
	off_t va_size;
	uint64_t va_bytes; /* space used, bytes */
	uint32_t va_blocksize;
	dev_t va_rdev;
	struct timespec va_atime, va_mtime, va_ctime, va_birthtime;
	unsigned va_mask; /* setattr: which fields */
};
#define VA_MODE  0x001
#define VA_UID   0x002
#define VA_GID   0x004
#define VA_SIZE  0x008
#define VA_ATIME 0x010
#define VA_MTIME 0x020
#define VA_CTIME 0x040
#define VA_RDEV  0x080
void vattr_null(struct vattr *va);

/* A name being looked up or created: not NUL-terminated. */
struct componentname {
	const char *cn_nameptr;
	size_t cn_namelen;
	kauth_cred_t cn_cred;
};

/*
 * Vnode operations of a file system.  Every call gets referenced vnodes;
 * "dvp:X" says the VFS holds dvp's lock in mode X (R reader, W writer)
 * across the call.  Return 0 or an errno.  A vnode returned through vpp
 * is referenced (the caller vrele()s it) and not locked.
 */
struct vnodeops {
	/*
	 * dvp:R.  ENOENT when absent.  "." never reaches here; ".." does
	 * (the VFS has already stepped out of a mount or a chroot), and
	 * returns the parent directory (the root's is itself).
	 */
	int (*vop_lookup)(struct vnode *dvp, const struct componentname *cn,
	    struct vnode **vpp);
	/*
	 * dvp:W.  Regular files, fifos, sockets and devices (va_type).  An
	 * empty name (cn_namelen 0, O_TMPFILE) makes an unnamed regular file
	 * that vop_link may name once; EOPNOTSUPP where the fs cannot.
	 */
	int (*vop_create)(struct vnode *dvp, const struct componentname *cn,
	    const struct vattr *va, struct vnode **vpp);
	int (*vop_mkdir)(struct vnode *dvp, const struct componentname *cn,
	    const struct vattr *va, struct vnode **vpp);
	int (*vop_symlink)(struct vnode *dvp, const struct componentname *cn,
	    const struct vattr *va, const char *target, struct vnode **vpp);
	/* dvp:W vp:W */
	int (*vop_link)(struct vnode *dvp, const struct componentname *cn,
	    struct vnode *vp);
	/* dvp:W vp:W.  vp is the entry's vnode; not a directory. */
	int (*vop_remove)(struct vnode *dvp, const struct componentname *cn,
	    struct vnode *vp);
	/* dvp:W vp:W.  vp is an empty directory (the fs checks emptiness). */
	int (*vop_rmdir)(struct vnode *dvp, const struct componentname *cn,
	    struct vnode *vp);
	/*
	 * Under the mount's rename lock, fdvp, tdvp (and fvp, tvp when not
	 * directories' parents) W.  tvp is the entry being replaced or
	 * NULL; the VFS has checked types and loops.  flags: RENAME_EXCHANGE
	 * (tvp != NULL) swaps the two entries.
	 */
	int (*vop_rename)(struct vnode *fdvp, const struct componentname *fcn,
	    struct vnode *fvp, struct vnode *tdvp,
	    const struct componentname *tcn, struct vnode *tvp, unsigned flags);
	/* vp:R */
	int (*vop_getattr)(struct vnode *vp, struct vattr *va);
	/* vp:W.  va_mask says what; VA_SIZE truncates or extends. */
	int (*vop_setattr)(struct vnode *vp, const struct vattr *va);
	/* vp:R.  Reads uio_resid bytes at uio_offset; short at EOF. */
	int (*vop_read)(struct vnode *vp, struct uio *uio, int ioflag);
	/* vp:W.  IO_APPEND: write at the end (and set uio_offset to it). */
	int (*vop_write)(struct vnode *vp, struct uio *uio, int ioflag);
	/*
	 * vp:R.  Emits entries from *cookie on (0 = start, including "."
	 * and ".."), calling fill() for each until it returns nonzero
	 * (buffer full: the entry is not consumed); *cookie then names the
	 * next entry.  Cookies are stable across other entries' removal.
	 */
	int (*vop_readdir)(struct vnode *vp, off_t *cookie,
	    int (*fill)(void *arg, uint64_t ino, off_t next, unsigned char type,
	        const char *name, size_t namelen),
	    void *arg);
	/* vp:R */
	int (*vop_readlink)(struct vnode *vp, struct uio *uio);
	/* vp:W.  FSYNC_DATAONLY: fdatasync. */
	int (*vop_fsync)(struct vnode *vp, int flags);
	/* vp:W.  mode as fallocate(2); may be NULL (EOPNOTSUPP). */
	int (*vop_fallocate)(struct vnode *vp, int mode, off_t off, off_t len);
	/* vp:R.  SEEK_DATA/SEEK_HOLE; may be NULL (whole file is data). */
	int (*vop_seekdata)(
	    struct vnode *vp, off_t off, int whence, off_t *result);
	/*
	 * Unlocked, last reference gone.  Set *recycle when the file is gone
	 * (nlink 0) so the vnode is reclaimed now rather than cached.
	 */
	int (*vop_inactive)(struct vnode *vp, bool *recycle);
	/* Unlocked, unreferenced: free the fs node; v_data is then NULL. */
	int (*vop_reclaim)(struct vnode *vp);
	/* vp:R; may be NULL.  Called on open and last close of a file. */
	int (*vop_open)(struct vnode *vp, int fflags);
	int (*vop_close)(struct vnode *vp, int fflags);
	/* may be NULL (ENOTTY): ioctls the fs or device answers. */
	int (*vop_ioctl)(struct vnode *vp, unsigned long cmd, void *uarg,
	    register_t *retval);
	/* may be NULL: readiness of a device or fifo vnode. */
	int (*vop_poll)(struct vnode *vp, int events);
	/*
	 * Extended attributes (vfs_xattr.c has the system calls); each may
	 * be NULL: the file system has none (EOPNOTSUPP).  name is a whole,
	 * NUL-terminated name ("user.mime_type") of 1..XATTR_NAME_MAX
	 * bytes in a namespace the VFS serves (user., trusted., security.),
	 * which the VFS has already allowed the caller, with a non-empty
	 * part after the prefix.  Buffers are kernel memory.  The file
	 * system checks no permission; it updates ctime when it changes an
	 * attribute.
	 *
	 * vp:R.  Copies the value into buf, which holds *lenp bytes (buf
	 * NULL: only its length is wanted), and sets *lenp to the length.
	 * ENODATA when there is no such attribute, ERANGE when it is longer
	 * than *lenp.
	 */
	int (*vop_getxattr)(
	    struct vnode *vp, const char *name, void *buf, size_t *lenp);
	/*
	 * vp:R.  Calls fill() with each attribute's whole name (namelen
	 * bytes, not NUL-terminated) until it returns nonzero, which
	 * vop_listxattr then returns.  Names the file system keeps but
	 * cannot serve (posix ACLs, system.data) are not listed.
	 */
	int (*vop_listxattr)(struct vnode *vp,
	    int (*fill)(void *arg, const char *name, size_t namelen),
	    void *arg);
	/*
	 * vp:W.  Sets name to the len bytes at val (len ≤ XATTR_SIZE_MAX).
	 * flags: XATTR_CREATE (EEXIST when it exists), XATTR_REPLACE
	 * (ENODATA when it does not).  ENOSPC when it does not fit.
	 */
	int (*vop_setxattr)(struct vnode *vp, const char *name, const void *val,
	    size_t len, int flags);
	/* vp:W.  ENODATA when there is no such attribute. */
	int (*vop_removexattr)(struct vnode *vp, const char *name);
};
#define IO_APPEND      0x01
#define IO_SYNC        0x02
#define IO_DSYNC       0x04
#define IO_NONBLOCK    0x08
#define FSYNC_DATAONLY 0x01

/*
 * A vnode.
 * [I] immutable after load  [v] the vnode cache's locks  [a] atomic
 * [l] v_lock
 * [i] v_interlock
 */
struct vnode {
	unsigned v_usecount;         /* [a] references */
	int v_state;                 /* [v] VS_* */
	enum vtype v_type;           /* [I] */
	struct mount *v_mount;       /* [I] */
	const struct vnodeops *v_op; /* [I] */
	void *v_data;                /* [I] the fs node; NULL once reclaimed */
	uint8_t v_key[16];           /* [I] cache key, within the mount */
	size_t v_keylen;             /* [I] at most sizeof(v_key) */
	uint32_t v_hash;             /* [I] */
	krwlock_t v_lock;            /* serialises operations (see vnodeops) */
	kmutex_t v_interlock;
	struct mount *v_mountedhere; /* [l of the covered vnode] */
	dev_t v_rdev;                /* [I] device of VCHR/VBLK */
	void *v_specinfo;            /* [I] device or fifo state */
	void *v_lockf;               /* [i] advisory record locks */
	struct selinfo v_sel;        /* pollers of a device vnode */
	int v_writecount;            /* [i] open for writing */
	bool v_nolink;               /* [I] O_TMPFILE|O_EXCL: never named */
	void *v_ncnames;             /* [nc] name-cache entries naming it */
	void *v_ncchildren;          /* [nc] entries of names in it (a dir) */
	struct vnode *v_hashnext;    /* [v] */
	struct vnode *v_lrunext, *v_lruprev; /* [v] idle LRU */
	int v_lruidx;                        /* [v] which CPU's LRU, or < 0 */
};
#define VS_LOADING    1
#define VS_ACTIVE     2
#define VS_RECLAIMING 3
#define VS_RECLAIMED  4

void vref(struct vnode *vp);
void vrele(struct vnode *vp);
void vn_lock(struct vnode *vp, krw_t op);
void vn_unlock(struct vnode *vp);
/*
 * Finds or makes the vnode of (mp, key): a file system calls it from
 * lookup/create with the key of its node (usually the node's address or
 * inode number).  A new vnode is handed to mp's vfs_loadvnode to fill in.
 */
int vcache_get(
    struct mount *mp, const void *key, size_t keylen, struct vnode **vpp);
/* Removes a vnode from the cache so nothing new can find it. */
void vcache_remove(struct vnode *vp);

/*
 * A file-system type and a mount of it.
 */
struct vfsops {
	const char *vfs_name;
	/* Mounts: fill mp (mnt_data, mnt_stat) from source and options. */
	int (*vfs_mount)(
	    struct mount *mp, const char *source, const char *opts);
	/* Remount: flags (MS_RDONLY) and options changed. */
	int (*vfs_remount)(
	    struct mount *mp, unsigned long flags, const char *opts);
	/* All vnodes but the root are gone (unless MNT_FORCE). */
	int (*vfs_unmount)(struct mount *mp, int flags);
	int (*vfs_root)(struct mount *mp, struct vnode **vpp);
	int (*vfs_statfs)(struct mount *mp, struct statfs *sf);
	/* Writes back what is dirty; waitfor: wait until it is durable. */
	int (*vfs_sync)(struct mount *mp, bool waitfor);
	/* Fills in vp (v_type, v_op, v_data, v_rdev) for the key. */
	int (*vfs_loadvnode)(
	    struct mount *mp, struct vnode *vp, const void *key, size_t keylen);
	struct vfsops *vfs_next;
};
void vfs_register(struct vfsops *ops);
struct vfsops *vfs_getopsbyname(const char *name);

/* [I] immutable  [m] mount_lock */
struct mount {
	struct vfsops *mnt_op;          /* [I] */
	void *mnt_data;                 /* [I] the fs's own */
	struct vnode *mnt_vnodecovered; /* [I] NULL for the root */
	struct vnode *mnt_root;         /* [m] held while mounted */
	unsigned long mnt_flags;        /* [m] MS_* */
	int mnt_iflag;                  /* [m] MNTI_* */
	unsigned mnt_refcnt;            /* [a] 1, +1 while sync holds it */
	uint64_t mnt_id;                /* [I] fsid */
	krwlock_t mnt_renamelock;
	char mnt_fstype[16];    /* [I] */
	char mnt_source[256];   /* [I] */
	struct mount *mnt_next; /* [m] the mount list */
};
#define MNTI_UNMOUNTING 0x01
#define MNTI_DETACHED   0x02
extern kmutex_t mount_lock;
extern struct mount *rootmount;
extern struct vnode *rootvnode;
/* Whether writes are refused: EROFS. */
static inline bool
vfs_isrdonly(struct mount *mp)
{
	return (atomic_load_relaxed(&mp->mnt_flags) & MS_RDONLY) != 0;
}
/* Calls fn for each mount, held, newest first (vfs_mount.c). */
void vfs_mount_foreach(void (*fn)(struct mount *mp, void *arg), void *arg);
/* Parses "key=value,flag,..." options: the value of key, or NULL. */
bool vfs_getopt(const char *opts, const char *key, char *val, size_t vallen);

/*
 * Permissions: may cred do `acc` (R_OK|W_OK|X_OK bits as VREAD/VWRITE/
 * VEXEC) on a node with these owner, group and mode?
 */
#define VREAD  04
#define VWRITE 02
#define VEXEC  01
int vfs_access(kauth_cred_t cred, const struct vattr *va, int acc);
int vn_access(struct vnode *vp, int acc, kauth_cred_t cred);

/*
 * Path lookup.  namei() resolves the path in nd_pbuf (a PATH_MAX buffer
 * of kernel memory, which it rewrites as it follows symlinks) from the
 * directory nd_dirfd (AT_FDCWD: the cwd; absolute paths from the root).
 * Results are referenced vnodes: nd_vp (NULL when the last component does
 * not exist and NI_CREATE allows that), nd_dvp (with NI_PARENT: the
 * directory of the last component), and nd_cn the last component.
 */
struct nameidata {
	int nd_dirfd;
	int nd_flags;
	kauth_cred_t nd_cred;
	struct vnode *nd_vp;
	struct vnode *nd_dvp;
	struct componentname nd_cn; /* points into nd_pbuf */
	bool nd_trailing_slash;     /* the path ended in '/' */
	char *nd_pbuf;              /* the path, the caller's buffer */
};
#define NI_FOLLOW       0x01 /* follow a symlink in the last component */
#define NI_PARENT       0x02 /* return the parent in nd_dvp */
#define NI_CREATE       0x04 /* the last component may be missing */
#define NI_EMPTYPATH    0x08 /* "" names nd_dirfd itself (AT_EMPTY_PATH) */
#define NI_NOCROSSMOUNT 0x10 /* last component: the covered vnode */
int namei(struct nameidata *nd);
void namei_done(struct nameidata *nd);
/* Copies in a caller's path and looks it up. */
int namei_user(const char *upath, int dirfd, int flags, struct nameidata *nd,
    char **pathbuf);
void namei_user_done(struct nameidata *nd, char *pathbuf);

/* The name cache (vfs_cache.c): (dvp, name) → vp, or a negative entry. */
int cache_lookup(
    struct vnode *dvp, const char *name, size_t len, struct vnode **vpp);
void cache_enter(
    struct vnode *dvp, const char *name, size_t len, struct vnode *vp);
void cache_remove(struct vnode *dvp, const char *name, size_t len);
void cache_purge(struct vnode *vp);

/* Per-process cwd and root (p_cwdi). [p] p_lock */
struct cwdinfo {
	struct vnode *cwdi_cdir;
	struct vnode *cwdi_rdir; /* NULL: the real root */
};

/* Record locks (vfs_lockf.c): what closes of a vnode file release. */
void vfs_lockf_fdclose(struct proc *p, struct file *fp);
void vn_close_hook(struct file *fp);
/* /dev and its nodes in the root (vfs_mem.c). */
void vfs_dev_mknodes(void);

/* Open files of vnodes (vfs_vnops.c). */
extern const struct fileops vnops;
int vn_open(struct nameidata *nd, int fflags, mode_t mode);
int vn_stat(struct vnode *vp, struct stat *st);
int vn_rdwr(struct vnode *vp, enum uio_rw rw, void *buf, size_t len, off_t off,
    size_t *resid);
int vn_getattr(struct vnode *vp, struct vattr *va);
/* Sets va_uid/va_gid (and setgid inheritance) of a node created in dvp. */
int vn_create_attr(struct vnode *dvp, struct vattr *va, kauth_cred_t cred);
enum vtype vn_mode2vtype(mode_t m);
/* The vnode of an open fd, referenced. */
int fd_getvnode(int fd, struct vnode **vpp, struct file **fpp);

/*
 * Devices: character and block devices are found by number.  A device
 * registers its ops; a VCHR/VBLK vnode passes its I/O to them.
 */
struct devsw {
	const char *d_name;
	int (*d_open)(dev_t dev, int fflags);
	int (*d_close)(dev_t dev, int fflags);
	int (*d_read)(dev_t dev, struct uio *uio, int ioflag);
	int (*d_write)(dev_t dev, struct uio *uio, int ioflag);
	int (*d_ioctl)(
	    dev_t dev, unsigned long cmd, void *uarg, register_t *retval);
	int (*d_poll)(dev_t dev, int events);
	/*
	 * Block devices: I/O of whole blocks through the buffer cache:
	 * b_bcount bytes at byte offset b_blkno * b_bsize (see vfs_bio.c).
	 * A buf without B_ASYNC is waited for at once by its caller, so the
	 * driver may do that transfer in the calling thread.
	 */
	void (*d_strategy)(struct buf *bp);
	/* Block devices: size in bytes and sector size. */
	int (*d_size)(dev_t dev, uint64_t *bytes, unsigned *secsize);
};
int devsw_attach(dev_t dev, const struct devsw *sw);
void devsw_detach(dev_t dev);
const struct devsw *devsw_lookup(dev_t dev);

/*
 * The buffer cache (vfs_bio.c), for disk file systems.  A buf caches one
 * block of a device (or file-system block of a mount).  bread() returns it
 * busy (held by the caller); brelse() releases it, bdwrite() releases it
 * dirty (written later by the syncer), bwrite() writes it now.
 * [b] buf_lock  [B] held busy by its owner
 */
struct rumpuser_iovec;
struct buf {
	dev_t b_dev;       /* [I] */
	int64_t b_blkno;   /* [I] in b_bsize units */
	unsigned b_bsize;  /* [I] */
	void *b_data;      /* [B] */
	unsigned b_bcount; /* [B] bytes d_strategy moves: b_bsize, or more */
	/*
	 * [B] NULL, or the pieces the b_bcount bytes are in instead of
	 * b_data: a cluster's members, only on bufs without B_ASYNC.
	 */
	struct rumpuser_iovec *b_iov;
	unsigned b_iovcnt;                              /* [B] */
	int b_flags;                                    /* [b] B_* */
	int b_error;                                    /* [B] */
	unsigned b_refcnt;                              /* [b] */
	void *b_private;                                /* [B] for the driver */
	kcondvar_t b_cv;                                /* done or unbusied */
	struct buf *b_hashnext, *b_lrunext, *b_lruprev; /* [b] */
};
#define B_BUSY   0x01
#define B_DONE   0x02 /* data valid */
#define B_DELWRI 0x04 /* dirty */
#define B_READ   0x08
#define B_ERROR  0x10
#define B_INVAL  0x20
#define B_ASYNC  0x40
/*
 * Dirty but held back: write-back (syncer, bflush, memory pressure) skips
 * it and it is never recycled, until its owner clears the flag (a
 * journal's metadata before its commit).  The owner sets and clears it
 * while holding the buffer busy.
 */
#define B_PINNED 0x80
int bread(dev_t dev, int64_t blkno, unsigned bsize, struct buf **bpp);
/*
 * bread, but a miss reads the block together with the following ones, up
 * to n in all, that are not cached, in one transfer (file data that the
 * caller knows to be contiguous on the device).
 */
int breadn(
    dev_t dev, int64_t blkno, unsigned bsize, unsigned n, struct buf **bpp);
/*
 * Writes n whole blocks from uio to the device now, past the cache (whose
 * copies of them it drops): file data in blocks just allocated.
 */
int bio_directwrite(
    dev_t dev, int64_t blkno, unsigned n, unsigned bsize, struct uio *uio);
/* Starts asynchronous reads of blocks blkno .. blkno+n-1 not cached. */
void bio_prefetch(dev_t dev, int64_t blkno, unsigned n, unsigned bsize);
struct buf *getblk(dev_t dev, int64_t blkno, unsigned bsize);
void brelse(struct buf *bp);
void bdwrite(struct buf *bp);
int bwrite(struct buf *bp);
/* Called by a driver's d_strategy when the transfer is over. */
void biodone(struct buf *bp);
int biowait(struct buf *bp);
/* Writes back every dirty buffer of dev (all devices: NODEV). */
int bflush(dev_t dev, bool wait);
/* Drops every buffer of dev (after an unmount). */
void binval(dev_t dev);
#define NODEV ((dev_t)-1)

#endif /* KERNEL_VFS_VFS_H */
