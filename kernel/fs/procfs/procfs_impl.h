/*
 * procfs_impl.h — procfs inside: the tree of registered files, the text
 * buffers their contents are made in, and what a vnode of procfs holds.
 * Nothing outside kernel/fs/procfs/ uses it; the kernel registers files
 * through procfs.h and mounts procfs as the "proc" file-system type.
 *
 * There is one tree, shared by every mount of procfs.  A node is a
 * directory or a file; it lives while it is in the tree or a vnode holds
 * it (pn_refs).  Node life cycle:
 *   procfs_register() → in the tree (pn_parent set) → vnodes come and go
 *   → procfs_unregister(): out of the tree (pn_gone), waits until no
 *     callback of it runs → freed when the last vnode lets go.
 *
 * Vnodes: a directory has one vnode per mount (key: the node's address).
 * A file gets a new vnode at every lookup (key: the node and a serial),
 * recycled at its last release, so each open file has a vnode, and the
 * snapshot in it, of its own: what the reader reads is what the read
 * function made when that open happened, as Linux's seq_file gives.
 *
 * Locks: pfs_lock guards the tree (names, children, pn_parent, pn_gone,
 * pn_busy) and the list of mounts.  pv_lock guards a vnode's snapshot
 * pointer.  Order: vnode locks → pfs_lock → the vnode and name caches'
 * locks (procfs calls vcache_get and cache_remove under pfs_lock, and its
 * loadvnode, inactive and reclaim never take pfs_lock).  Callbacks run
 * with no procfs lock held.
 */
#ifndef KERNEL_FS_PROCFS_PROCFS_IMPL_H
#define KERNEL_FS_PROCFS_PROCFS_IMPL_H

#include "procfs.h"
#include "vfs/vfs.h"

#define PROC_SUPER_MAGIC 0x9fa0
#define PFS_ROOT_INO     1
/* The largest snapshot a read function may make, and write(2) take. */
#define PFS_BUF_MAX   (16u << 20)
#define PFS_WRITE_MAX 65536u

/* A text buffer; pb_error (ENOMEM, EFBIG) makes the read fail. */
struct pfs_buf {
	char *pb_data;
	size_t pb_len, pb_cap;
	int pb_error;
};
void pfs_buf_free(struct pfs_buf *b);

/* A file's contents as of one open.  [a] atomic; the rest immutable. */
struct pfs_snap {
	unsigned ps_refs; /* [a] the vnode's and readers' */
	struct pfs_buf ps_buf;
};
void pfs_snap_rele(struct pfs_snap *ps);

/* [t] pfs_lock  [I] immutable  [a] atomic */
struct pfs_node {
	char pn_name[NAME_MAX + 1];    /* [I] */
	size_t pn_namelen;             /* [I] */
	enum vtype pn_type;            /* [I] VDIR or VREG */
	uint64_t pn_ino;               /* [I] */
	off_t pn_seq;                  /* [I] readdir cookie in the parent */
	struct timespec pn_time;       /* [I] made at (all three times) */
	pfs_read_fn pn_read;           /* [I] files */
	pfs_write_fn pn_write;         /* [I] files; NULL: read-only */
	void *pn_arg;                  /* [I] */
	struct pfs_node *pn_parent;    /* [t] the root: itself */
	struct pfs_node *pn_children;  /* [t] directories, in pn_seq order */
	struct pfs_node *pn_lastchild; /* [t] */
	struct pfs_node *pn_next;      /* [t] sibling */
	off_t pn_nextseq;              /* [t] for the next child */
	unsigned pn_nchildren;         /* [t] */
	unsigned pn_refs;              /* [a] the tree's and vnodes' */
	unsigned pn_busy;              /* [t] callbacks running */
	bool pn_gone;                  /* [t] unregistered */
};
extern kmutex_t pfs_lock;
extern kcondvar_t pfs_cv; /* pn_busy went to 0 */
extern struct pfs_node pfs_root;
void pfs_node_hold(struct pfs_node *pn);
void pfs_node_rele(struct pfs_node *pn);
/* Caller holds pfs_lock: the child called name, or NULL. */
struct pfs_node *pfs_node_child(
    struct pfs_node *dir, const char *name, size_t len);
/* Runs a node's read or write function (busy while it runs). */
int pfs_node_read(struct pfs_node *pn, struct pfs_snap **psp);
int pfs_node_write(struct pfs_node *pn, const char *data, size_t len);

/* What a vnode holds: its node and (files) the snapshot of its open. */
struct pfs_vnode {
	struct pfs_node *pv_node; /* [I] held */
	kmutex_t pv_lock;
	struct pfs_snap *pv_snap; /* [pv_lock] */
};
/* Vnode keys. */
struct pfs_key {
	struct pfs_node *pk_node;
	uint64_t pk_serial; /* files: unique per lookup; directories: 0 */
};
int pfs_node_vget(struct mount *mp, struct pfs_node *pn, struct vnode **vpp);

extern const struct vnodeops procfs_vnodeops;
extern struct vfsops procfs_vfsops;

/* Each mount of procfs, for purging names of the name cache. [t] */
struct pfs_mount {
	struct mount *pm_mount;
	struct pfs_mount *pm_next;
};
extern struct pfs_mount *pfs_mounts;

/* The files procfs publishes itself (procfs_kern.c). */
void procfs_kern_init(void);

#endif /* KERNEL_FS_PROCFS_PROCFS_IMPL_H */
