/*
 * tmpfs_impl.h — tmpfs inside: its mount, its nodes, directory entries and
 * the page map of regular files.  Nothing outside kernel/fs/tmpfs/ uses it;
 * the rest of the kernel reaches tmpfs only through the "tmpfs" vfsops it
 * registers (tmpfs_vfsops.c) and the vnode operations (tmpfs_vnops.c).
 *
 * A node is the file itself and lives as long as it has a name (nlink > 0)
 * or a vnode.  The VFS finds or makes a node's vnode with vcache_get(),
 * keyed by the node's address (tn_self); tmpfs keeps no pointer to the
 * vnode.  Node life cycle:
 *   tmpfs_node_alloc() → linked into a directory (nlink ≥ 1)
 *   → vnodes come and go (vop_reclaim with nlink > 0 leaves the node)
 *   → last name removed (nlink 0) → vop_inactive asks for a recycle
 *   → vop_reclaim frees the node with its pages or entries.
 * tn_holds counts what keeps a node (its names, its vnode), so the node
 * goes when the later of the two does.
 * A node with nlink 0 is reachable only through its vnode, so nothing can
 * look it up again.
 *
 * Locks: none of tmpfs's own on the paths of file operations.  A node's
 * fields are guarded by the lock of its vnode, which the VFS holds as
 * vfs.h says; the mount's counters are atomic.
 */
#ifndef KERNEL_FS_TMPFS_TMPFS_IMPL_H
#define KERNEL_FS_TMPFS_TMPFS_IMPL_H

#include "vfs/vfs.h"

#define TMPFS_PAGE_SHIFT 12
#define TMPFS_PAGE_SIZE  (1 << TMPFS_PAGE_SHIFT)
#define TMPFS_PAGE_MASK  (TMPFS_PAGE_SIZE - 1)
/* The largest file: offsets are off_t. */
#define TMPFS_MAXFILESIZE INT64_MAX
#define TMPFS_LINK_MAX    65000
#define TMPFS_NAME_MAX    NAME_MAX
/* A symlink target holds at most PATH_MAX - 1 bytes. */
#define TMPFS_SYMLINK_MAX (PATH_MAX - 1)
/* st_size of a directory, as Linux's tmpfs: 20 bytes an entry. */
#define TMPFS_DIRENT_BOGOSIZE 20
#define TMPFS_ROOT_INO        2

/*
 * Per-CPU counts of a mount without limits (so CPUs do not share a line on
 * every create and write), and each CPU's block of inode numbers.
 * [a] atomic (only the CPU's holder adds; a remount folds)  [c] CPU holder
 */
struct tmpfs_pcpu {
	union {
		struct {
			int64_t tp_pages;     /* [a] delta of tm_pages */
			int64_t tp_nodes;     /* [a] delta of tm_nodes */
			uint64_t tp_ino_next; /* [c] next inode number */
			uint64_t tp_ino_end;  /* [c] end of the block */
		};
		char tp_pad[COHERENCY_UNIT];
	};
};
#define TMPFS_INO_BLOCK 1024

/*
 * A mount.  Its counters are shared by every vCPU working in it, so they
 * are atomics, never a lock.  With a limit, tm_pages and tm_nodes are the
 * counts, checked against it; without one, each CPU counts in tm_pcpu and
 * the count is tm_* plus the sum of the deltas (a remount that sets a
 * limit folds the deltas in).
 * [I] immutable after mount  [a] atomic
 */
struct tmpfs_mount {
	struct tmpfs_pcpu *tm_pcpu; /* [I] one per CPU */
	struct tmpfs_node *tm_root; /* [I] */
	uint64_t tm_maxpages;       /* [a] size limit in pages; 0: none */
	uint64_t tm_pages;          /* [a] data pages allocated */
	uint64_t tm_maxnodes;       /* [a] nr_inodes; 0: none */
	uint64_t tm_nodes;          /* [a] nodes allocated */
	uint64_t tm_nextino;        /* [a] last inode number handed out */
	/*
	 * [a] The mount lives while it is mounted or has nodes: a node that
	 * outlives the unmount (held by a vnode of a forced unmount) keeps
	 * the counters it returns its pages to.  The last of the two frees
	 * it (tm_freed makes sure only one does).
	 */
	bool tm_unmounted;
	unsigned tm_freed;
};

/*
 * A directory entry: a name in one directory's hash chain and in its
 * readdir order (the slot array).
 * [d] the directory's vnode lock (writer to change)
 */
struct tmpfs_dirent {
	struct tmpfs_dirent *td_hnext; /* [d] hash chain */
	struct tmpfs_node *td_node;    /* [d] what the name names */
	uint32_t td_slot;              /* [d] index in tn_dir.tdr_slots */
	uint32_t td_hash;              /* [I] hash of the name */
	uint16_t td_namelen;           /* [I] */
	char td_name[];                /* [I] not NUL-terminated */
};

/*
 * The readdir order of a directory: slots sorted by sequence number (the
 * readdir cookie), holes where entries were removed, compacted when holes
 * pass half.  A cookie stays valid whatever is removed: readdir resumes
 * at the first slot whose sequence number is not below it.
 */
struct tmpfs_dslot {
	off_t ds_seq;                /* cookie of the entry */
	struct tmpfs_dirent *ds_ent; /* NULL: removed */
};

/* [d] the directory's vnode lock */
struct tmpfs_dir {
	struct tmpfs_node *tdr_parent;  /* ".."; NULL once removed */
	struct tmpfs_dirent **tdr_hash; /* buckets, a power of two */
	uint32_t tdr_nbuckets;          /* 0 until the first entry */
	uint32_t tdr_nentries;
	struct tmpfs_dslot *tdr_slots;
	uint32_t tdr_nslots;   /* used, holes included */
	uint32_t tdr_maxslots; /* allocated */
	uint32_t tdr_nholes;
	off_t tdr_nextseq; /* cookie of the next entry (≥ 2) */
};
/* "." and ".." have cookies 0 and 1. */
#define TMPFS_SEQ_FIRST 2

/*
 * The data of a regular file: 4 KiB pages in a radix tree of 512-way
 * interior nodes, as high as the largest page index needs.  Height 0 is a
 * file of at most one page (page 0), whose root is the page itself.  A
 * missing page is a hole: it reads as zeros and takes no memory.  Bytes of
 * pages past tn_size are always zero.
 * [v] the file's vnode lock
 */
#define TMPFS_RADIX_SHIFT 9
#define TMPFS_RADIX       (1 << TMPFS_RADIX_SHIFT)
#define TMPFS_RADIX_MAXH  6 /* 9 * 6 ≥ 63 - 12 bits of page index */
struct tmpfs_pmap {
	void *pm_root;
	int pm_height;
	uint64_t pm_npages;
};

struct tmpfs_lnk {
	char *tl_target; /* [I] NUL-terminated */
	size_t tl_len;   /* [I] */
};

/*
 * An extended attribute: the whole name ("user.x"), then the value, in
 * one allocation, on the node's list in the order they were made.
 * [v] the node's vnode lock (writer to change)
 */
struct tmpfs_xattr {
	struct tmpfs_xattr *tx_next; /* [v] */
	uint16_t tx_namelen;         /* [I] */
	uint32_t tx_len;             /* [I] value bytes */
	char tx_data[];              /* [I] name, then value */
};

/*
 * A node.
 * [I] immutable after creation  [v] the vnode lock of this node's vnode
 * (and operations on a directory change a child's nlink, ctime and
 * parent holding the child's vnode lock as well)  [a] atomic: times are
 * also set by readers (atime) and nlink is read unlocked by inactive.
 */
struct tmpfs_node {
	struct tmpfs_node *tn_self;   /* [I] this node: its vcache key */
	struct tmpfs_mount *tn_mount; /* [I] */
	enum vtype tn_type;           /* [I] */
	uint64_t tn_ino;              /* [I] */
	dev_t tn_rdev;                /* [I] VCHR, VBLK */
	mode_t tn_mode;               /* [v] permissions, S_ISUID... */
	uid_t tn_uid;                 /* [v] */
	gid_t tn_gid;                 /* [v] */
	nlink_t tn_nlink;             /* [v,a] */
	unsigned tn_flags;            /* [v] TMPFS_NODE_* */
	off_t tn_size;                /* [v] VREG */
	struct timespec tn_atime;     /* [v,a] */
	struct timespec tn_mtime;     /* [v,a] */
	struct timespec tn_ctime;     /* [v,a] */
	struct timespec tn_btime;     /* [I] */
	/*
	 * [a] Holds on the node: one while it has a name (nlink > 0, or
	 * while it is being created), one while it has a vnode.  Whoever
	 * drops the last frees the node: reclaim after the last unlink,
	 * the last unlink of a node without a vnode (at unmount), or the
	 * reclaim of a vnode an unmount left behind.
	 */
	unsigned tn_holds;
	/*
	 * [v] Extended attributes.  Their bytes (list entries included)
	 * count against the mount's size limit, rounded up to pages:
	 * tn_xattr_pages are charged for tn_xattr_bytes.
	 */
	struct tmpfs_xattr *tn_xattrs;
	size_t tn_xattr_bytes;
	uint64_t tn_xattr_pages;
	union {
		struct tmpfs_dir tn_dir;  /* VDIR */
		struct tmpfs_pmap tn_reg; /* VREG */
		struct tmpfs_lnk tn_lnk;  /* VLNK */
	} tn_u;
};
/* Made without a name (O_TMPFILE): link() may give it its first. */
#define TMPFS_NODE_LINKABLE 0x01
#define tn_dir              tn_u.tn_dir
#define tn_reg              tn_u.tn_reg
#define tn_lnk              tn_u.tn_lnk

static inline struct tmpfs_node *
VP_TO_TMPFS(struct vnode *vp)
{
	KASSERT(vp->v_data != NULL);
	return vp->v_data;
}

static inline struct tmpfs_mount *
VFS_TO_TMPFS(struct mount *mp)
{
	return mp->mnt_data;
}

extern struct vfsops tmpfs_vfsops;
extern const struct vnodeops tmpfs_vnodeops;

/* Nodes (tmpfs_subr.c). */
int tmpfs_node_alloc(struct tmpfs_mount *tm, enum vtype type, mode_t mode,
    uid_t uid, gid_t gid, dev_t rdev, const char *target,
    struct tmpfs_node **tnp);
void tmpfs_node_hold(struct tmpfs_node *tn);
void tmpfs_node_rele(struct tmpfs_node *tn);
int tmpfs_node_vget(
    struct mount *mp, struct tmpfs_node *tn, struct vnode **vpp);
void tmpfs_mount_rele(struct tmpfs_mount *tm);
void tmpfs_mount_node_gone(struct tmpfs_mount *tm);
void tmpfs_free_tree(struct tmpfs_mount *tm);

/* Times, stored atomically field by field. */
#define TMPFS_ATIME 0x1
#define TMPFS_MTIME 0x2
#define TMPFS_CTIME 0x4
void tmpfs_update(struct tmpfs_node *tn, int which);
void tmpfs_time_set(struct timespec *t, const struct timespec *v);
void tmpfs_time_get(const struct timespec *t, struct timespec *v);
/* Sets nlink; dropping to 0 drops the node's name hold. */
void tmpfs_nlink_set(struct tmpfs_node *tn, nlink_t n);
static inline nlink_t
tmpfs_nlink(struct tmpfs_node *tn)
{
	return atomic_load_relaxed(&tn->tn_nlink);
}

/* Directories (tmpfs_subr.c). */
struct tmpfs_dirent *tmpfs_dir_lookup(
    struct tmpfs_node *dnode, const char *name, size_t len);
int tmpfs_dirent_alloc(const char *name, size_t len, struct tmpfs_dirent **dep);
void tmpfs_dirent_free(struct tmpfs_dirent *de);
int tmpfs_dir_reserve(struct tmpfs_node *dnode);
void tmpfs_dir_attach(
    struct tmpfs_node *dnode, struct tmpfs_dirent *de, struct tmpfs_node *tn);
void tmpfs_dir_detach(struct tmpfs_node *dnode, struct tmpfs_dirent *de);
uint32_t tmpfs_dir_first_slot(struct tmpfs_node *dnode, off_t cookie);

/* The page map (tmpfs_subr.c). */
void *tmpfs_page_lookup(struct tmpfs_node *tn, uint64_t idx);
int tmpfs_page_get(struct tmpfs_node *tn, uint64_t idx, void **pagep);
void tmpfs_page_free_range(struct tmpfs_node *tn, uint64_t start, uint64_t end);
bool tmpfs_page_next(
    struct tmpfs_node *tn, uint64_t idx, bool present, uint64_t *found);
uint64_t tmpfs_page_count_range(
    struct tmpfs_node *tn, uint64_t start, uint64_t end);
void tmpfs_counts(struct tmpfs_mount *tm, uint64_t *pages, uint64_t *nodes);
void tmpfs_counts_fold(struct tmpfs_mount *tm);
bool tmpfs_pages_avail(struct tmpfs_mount *tm, uint64_t n);
int tmpfs_truncate(struct tmpfs_node *tn, off_t size);
/* Charges n pages to the mount's size (ENOSPC past it), or returns them. */
int tmpfs_pages_reserve(struct tmpfs_mount *tm, uint64_t n);
void tmpfs_pages_release(struct tmpfs_mount *tm, uint64_t n);

/* Extended attributes (tmpfs_xattr.c): the vnode operations, and the end. */
int tmpfs_getxattr(struct vnode *vp, const char *name, void *buf, size_t *lenp);
int tmpfs_listxattr(struct vnode *vp,
    int (*fill)(void *arg, const char *name, size_t namelen), void *arg);
int tmpfs_setxattr(
    struct vnode *vp, const char *name, const void *val, size_t len, int flags);
int tmpfs_removexattr(struct vnode *vp, const char *name);
void tmpfs_xattr_free_all(struct tmpfs_node *tn);

#endif /* KERNEL_FS_TMPFS_TMPFS_IMPL_H */
