/*
 * ext2fs.h — inside the ext2/ext3/ext4 driver: the mount and in-memory
 * inode, and the functions its files share.
 *
 * Layers, top down:
 *   vnode operations (ext2fs_vnops.c); the orphan list of inodes to
 *     free or truncate after a crash (ext2fs_orphan.c)
 *   → directories (ext2fs_dir.c): entries in blocks of a directory file,
 *     and the hashed index over them (ext2fs_htree.c)
 *   → inodes and block maps (ext2fs_inode.c: inodes, extent trees and
 *     indirect blocks; logical block → device block, growth, truncation),
 *     extended attributes (ext2fs_xattr.c: in the inode and a block)
 *   → the allocator and metadata (ext2fs_subr.c: group descriptors,
 *     bitmaps, superblock, checksums)
 *   → the journal (ext2fs_journal.c): metadata buffers go through it
 *     (ext2fs_bdwrite_meta) in transactions when the image has one
 *   → the buffer cache (bread/getblk/bdwrite) on the mounted block device.
 *
 * One driver serves the fstypes ext2, ext3 and ext4; what it does follows
 * the image's feature bits, not the name it was mounted by.
 *
 * Everything read from the image is input: block numbers, counts, extent
 * headers, directory records and inode numbers are checked before use,
 * and a bad one makes the operation fail with EUCLEAN (EFSCORRUPTED).
 *
 * Locks: the VFS's vnode locks guard each inode's fields ([v] below).
 * em_lock guards the allocator: bitmaps, group descriptors and the
 * superblock copy.  em_orphlock guards the orphan list (the in-memory
 * list and the on-disk links of its inodes).  Order: vnode locks →
 * em_orphlock → buffers of file metadata (extent and indirect blocks,
 * directory blocks, inode tables) → em_lock → bitmap buffers → the
 * journal's j_mtx.  Nothing under em_lock takes a vnode or a metadata
 * buffer; nothing holding a buffer takes em_orphlock.
 */
#ifndef KERNEL_FS_EXT2FS_EXT2FS_H
#define KERNEL_FS_EXT2FS_EXT2FS_H

#include "vfs/vfs.h"

#include "ext2fs_format.h"

/*
 * A mounted file system.
 * [I] immutable after mount  [s] em_lock
 */
struct ext2fs_mount {
	struct mount *em_mp;    /* [I] */
	struct vnode *em_devvp; /* [I] the block device, referenced */
	dev_t em_dev;           /* [I] */
	unsigned em_bsize;      /* [I] block size */
	unsigned em_bshift;     /* [I] log2(em_bsize) */
	uint64_t em_nblocks;    /* [I] blocks in the file system */
	uint32_t em_firstdata;  /* [I] s_first_data_block */
	uint32_t em_bpg;        /* [I] blocks per group */
	uint32_t em_ipg;        /* [I] inodes per group */
	uint32_t em_ngroups;    /* [I] */
	uint32_t em_ninodes;    /* [I] */
	uint32_t em_isize;      /* [I] on-disk inode size */
	uint32_t em_descsize;   /* [I] group descriptor size */
	uint32_t em_gdtblocks;  /* [I] blocks of group descriptors */
	uint32_t em_itblocks;   /* [I] inode table blocks per group */
	uint32_t em_firstino;   /* [I] first inode for files */
	uint32_t em_compat;     /* [I] feature bits */
	uint32_t em_incompat;   /* [I] */
	uint32_t em_rocompat;   /* [I] */
	uint32_t em_csumseed;   /* [I] crc32c seed of metadata_csum */
	bool em_csum;           /* [I] metadata_csum */
	bool em_gdtcsum;        /* [I] uninit_bg (crc16 descriptors) */
	bool em_ftype;          /* [I] directory entries carry a type */
	bool em_extents;        /* [I] new files use extents */
	bool em_hugefile;       /* [I] */
	bool em_rdonly_only;    /* [I] the image allows read-only only */
	int em_mflags;          /* [I] mount options (ext2fs_vfsops.c) */
	unsigned em_commit_s;   /* [I] commit=: seconds between commits */
	uint64_t em_maxsize;    /* [I] largest file size */
	uint64_t em_rsvblocks;  /* [I] blocks reserved for root */
	kmutex_t em_lock;
	struct ext2_super em_sb; /* [s] the superblock as it will be written */
	uint8_t *em_gdt;         /* [s] all group descriptors */
	uint8_t *em_gdtdirty;    /* [s] per descriptor block: changed */
	uint8_t *em_bbdirty;     /* [s] per group: block bitmap csum stale */
	uint8_t *em_ibdirty;     /* [s] per group: inode bitmap csum stale */
	uint64_t em_freeblocks;  /* [s] */
	uint32_t em_freeinodes;  /* [s] */
	uint32_t em_dirrotor;    /* [s] where the last directory went */
	bool em_sbdirty;         /* [s] */
	struct ext2fs_jnl *em_jnl; /* the journal while it is written, or
	                              NULL (ext2fs_journal.c) */
	kmutex_t em_orphlock;
	struct ext2fs_inode *em_orphans; /* [o] the orphan list's head */
};

/*
 * An inode in memory: the vnode's v_data, from vfs_loadvnode to
 * vop_reclaim.  ei_raw is the on-disk inode itself (em_isize bytes), the
 * one copy of its fields; ext2fs_iupdate() writes it back into the inode
 * table's buffer.
 *
 * The orphan list (ext2fs_orphan.c): an inode whose last name went (or
 * whose truncation is under way, or made by O_TMPFILE) is on the
 * superblock's list from then until it is freed, so that the next mount
 * frees it after a crash.  On disk the list runs from s_last_orphan
 * through each inode's i_dtime; in memory ei_onext/ei_oprev link the
 * same inodes in the same order, newest first.  ei_orphnext is the link
 * on disk, which removing another inode may change: ext2fs_iupdate
 * writes it as i_dtime under em_orphlock.
 * [I] immutable  [v] the vnode lock (W to change)  [o] em_orphlock
 * [a] atomic (relaxed): read-ahead hints, updated by readers under a
 * shared lock
 */
struct ext2fs_inode {
	struct ext2fs_mount *ei_em; /* [I] */
	struct vnode *ei_vnode;     /* [I] */
	uint32_t ei_ino;            /* [I] */
	uint32_t ei_seed;           /* [v] checksum seed (ino, generation) */
	struct ext2_inode *ei_raw;  /* [v] em_isize bytes */
	uint64_t ei_goal;           /* [v] where the next block should go */
	uint64_t ei_ranext;         /* [a] first logical block not read ahead */
	uint64_t ei_ralast;         /* [a] last logical block read */
	size_t ei_rawsize;          /* [I] bytes at ei_raw */
	bool ei_freed;              /* [v] blocks and inode freed already */
	bool ei_txhold;             /* [v] reclaim ends the transaction */
	bool ei_orphan;             /* [v, o to set] on the orphan list */
	bool ei_tmpfile;            /* [v] O_TMPFILE: link may name it */
	uint32_t ei_orphnext;       /* [o] next on the list on disk */
	struct ext2fs_inode *ei_onext, *ei_oprev; /* [o] */
};
#define VTOEI(vp)  ((struct ext2fs_inode *)(vp)->v_data)
#define EI_RAW(ei) ((ei)->ei_raw)

/* Whether the image has a feature. */
#define EXT2_HAS_COMPAT(em, f)   (((em)->em_compat & (f)) != 0)
#define EXT2_HAS_INCOMPAT(em, f) (((em)->em_incompat & (f)) != 0)
#define EXT2_HAS_ROCOMPAT(em, f) (((em)->em_rocompat & (f)) != 0)

/* ext2fs_subr.c: checksums */
uint32_t ext2fs_crc32c(uint32_t crc, const void *buf, size_t len);
uint16_t ext2fs_crc16(uint16_t crc, const void *buf, size_t len);
uint32_t ext2fs_sb_csum(const struct ext2_super *sb);

/* ext2fs_subr.c: group descriptors (em_lock for the setters) */
struct ext2_gd *ext2fs_gd(struct ext2fs_mount *em, uint32_t g);
uint64_t ext2fs_gd_bbitmap(struct ext2fs_mount *em, const struct ext2_gd *gd);
uint64_t ext2fs_gd_ibitmap(struct ext2fs_mount *em, const struct ext2_gd *gd);
uint64_t ext2fs_gd_itable(struct ext2fs_mount *em, const struct ext2_gd *gd);
uint32_t ext2fs_gd_freeblocks(
    struct ext2fs_mount *em, const struct ext2_gd *gd);
uint32_t ext2fs_gd_freeinodes(
    struct ext2fs_mount *em, const struct ext2_gd *gd);
uint32_t ext2fs_gd_useddirs(struct ext2fs_mount *em, const struct ext2_gd *gd);
uint32_t ext2fs_gd_itable_unused(
    struct ext2fs_mount *em, const struct ext2_gd *gd);
uint16_t ext2fs_gd_csum(struct ext2fs_mount *em, uint32_t g);
/* Checks the descriptors read at mount: locations and checksums. */
int ext2fs_gd_check(struct ext2fs_mount *em);

/* ext2fs_subr.c: blocks */
/* Reads block blk of the file system: EUCLEAN when it is outside. */
int ext2fs_bread(struct ext2fs_mount *em, uint64_t blk, struct buf **bpp);
/* A buffer for block blk whose contents the caller replaces whole. */
int ext2fs_getblk(struct ext2fs_mount *em, uint64_t blk, struct buf **bpp);
/* Whether [blk, blk+n) lies in the data area of the file system. */
bool ext2fs_blk_ok(struct ext2fs_mount *em, uint64_t blk, uint64_t n);
/*
 * Allocates up to *np (at least 1) contiguous blocks, near goal;
 * *np becomes the number got.  ENOSPC when there is none (root may use
 * the reserved blocks).
 */
int ext2fs_balloc(
    struct ext2fs_mount *em, uint64_t goal, uint64_t *blkp, uint32_t *np);
/* Frees blocks; with a journal, at the commit of the transaction. */
void ext2fs_bfree(struct ext2fs_mount *em, uint64_t blk, uint64_t n);
/* Frees blocks now (the commit applying the deferred frees). */
void ext2fs_bfree_apply(struct ext2fs_mount *em, uint64_t blk, uint64_t n);
/* Allocates an inode for a new file in the directory of pino. */
int ext2fs_ialloc(
    struct ext2fs_mount *em, uint32_t pino, bool isdir, uint32_t *inop);
void ext2fs_ifree(struct ext2fs_mount *em, uint32_t ino, bool isdir);
/* Writes descriptors, bitmap checksums and the superblock to buffers. */
int ext2fs_write_meta(struct ext2fs_mount *em);

/* ext2fs_inode.c: inodes */
int ext2fs_iget(struct ext2fs_mount *em, uint32_t ino, struct ext2_inode *raw);
int ext2fs_iupdate(struct ext2fs_inode *ei);
void ext2fs_iseed(struct ext2fs_inode *ei);
uint64_t ext2fs_isize(const struct ext2fs_inode *ei);
void ext2fs_isize_set(struct ext2fs_inode *ei, uint64_t size);
mode_t ext2fs_imode(const struct ext2fs_inode *ei);
uint32_t ext2fs_iuid(const struct ext2fs_inode *ei);
uint32_t ext2fs_igid(const struct ext2fs_inode *ei);
void ext2fs_iowner_set(struct ext2fs_inode *ei, uint32_t uid, uint32_t gid);
uint64_t ext2fs_iblocks(const struct ext2fs_inode *ei); /* 512-byte units */
void ext2fs_iblocks_add(struct ext2fs_inode *ei, int64_t fsblocks);
/* Times: which is 'a', 'm', 'c' or 'b' (creation). */
void ext2fs_itime_get(
    const struct ext2fs_inode *ei, int which, struct timespec *ts);
void ext2fs_itime_set(
    struct ext2fs_inode *ei, int which, const struct timespec *ts);
void ext2fs_itime_now(struct ext2fs_inode *ei, const char *which);
bool ext2fs_has_extra(const struct ext2fs_inode *ei, size_t end);
enum vtype ext2fs_mode2vtype(mode_t mode);
uint8_t ext2fs_vtype2ft(enum vtype t);

/* ext2fs_inode.c: block maps */
/*
 * Maps logical block lblk: *pblkp is its device block (0: a hole, or an
 * unwritten extent, which reads as zeros), *runp how many following
 * logical blocks map the same way (contiguous, or a hole), at least 1.
 */
int ext2fs_bmap(
    struct ext2fs_inode *ei, uint64_t lblk, uint64_t *pblkp, uint64_t *runp);
/* Maps lblk, allocating a block when it is a hole; *newp: just made. */
int ext2fs_bmap_alloc(
    struct ext2fs_inode *ei, uint64_t lblk, uint64_t *pblkp, bool *newp);
/*
 * The same for a run: maps lblk and up to want - 1 blocks after it that
 * map the same way; a hole gets up to want contiguous new blocks (fewer
 * when the allocator finds no longer run).  *np is the run's length.
 */
int ext2fs_bmap_alloc_run(struct ext2fs_inode *ei, uint64_t lblk, uint32_t want,
    uint64_t *pblkp, uint32_t *np, bool *newp);
/* Frees every block at or past logical block lblk. */
int ext2fs_trunc_blocks(struct ext2fs_inode *ei, uint64_t lblk);
/* Sets up an empty block map (extents or indirect) in a new inode. */
void ext2fs_bmap_init(struct ext2fs_inode *ei);
/* The inline data of an inode (inline_data): up to len bytes at off. */
int ext2fs_inline_read(
    struct ext2fs_inode *ei, uint64_t off, void *buf, size_t len, size_t *got);

/* ext2fs_inode.c: the on-disk i_dtime of ei alone (holds em_orphlock) */
int ext2fs_iset_dtime(struct ext2fs_inode *ei, uint32_t v);

/* ext2fs_orphan.c */
/* Puts ei (vnode W) on the orphan list and writes it. */
int ext2fs_orphan_add(struct ext2fs_inode *ei);
/* Takes ei off the orphan list (if on it); the caller writes it. */
void ext2fs_orphan_del(struct ext2fs_inode *ei);
/* Frees an inode with no links left: blocks, orphan entry, inode. */
void ext2fs_inode_release(struct ext2fs_inode *ei);
/* Frees or truncates the orphans a crash left (read-write mount). */
int ext2fs_orphan_cleanup(struct ext2fs_mount *em);

/* ext2fs_dir.c */
int ext2fs_dir_lookup(
    struct ext2fs_inode *dei, const char *name, size_t namelen, uint32_t *inop);
int ext2fs_dir_enter(struct ext2fs_inode *dei, const char *name, size_t namelen,
    uint32_t ino, uint8_t ft);
/*
 * Whether ext2fs_dir_enter itself answers EEXIST for a name that is
 * there (an indexed directory: one search instead of two).
 */
bool ext2fs_dir_enter_checks(struct ext2fs_inode *dei);
int ext2fs_dir_remove(
    struct ext2fs_inode *dei, const char *name, size_t namelen);
int ext2fs_dir_rewrite(struct ext2fs_inode *dei, const char *name,
    size_t namelen, uint32_t ino, uint8_t ft);
int ext2fs_dir_isempty(struct ext2fs_inode *ei, bool *emptyp);
int ext2fs_dir_init(struct ext2fs_inode *ei, uint32_t parent);
int ext2fs_dir_readdir(struct ext2fs_inode *ei, off_t *cookie,
    int (*fill)(void *arg, uint64_t ino, off_t next, unsigned char type,
        const char *name, size_t namelen),
    void *arg);

/*
 * ext2fs_journal.c: the journal (jbd2).
 *
 * ext2fs_jnl_replay: at mount, when the superblock says needs_recovery:
 * replays the log onto the device and empties it.
 * ext2fs_jnl_start: read-write mount: loads the journal and sets
 * needs_recovery in em_sb (the caller writes it in place), then
 * ext2fs_jnl_activate starts writing metadata through it.
 * ext2fs_jnl_stop: last commit and checkpoint, clears needs_recovery in
 * em_sb (the caller writes it), frees the journal.
 *
 * Every operation that changes metadata runs between trans_begin and
 * trans_end (nested calls of one thread count once); EXT2_TX_NOWAIT is
 * for callers that may not wait for a commit to start (reclaim).  Every
 * metadata buffer is released with ext2fs_bdwrite_meta, never bdwrite.
 * ext2fs_jnl_commit makes everything done so far durable (fsync, sync);
 * without a journal it writes everything back in place.
 */
#define EXT2_TX_NOWAIT 0x01
int ext2fs_jnl_replay(struct ext2fs_mount *em);
int ext2fs_jnl_start(struct ext2fs_mount *em);
int ext2fs_jnl_activate(struct ext2fs_mount *em);
int ext2fs_jnl_stop(struct ext2fs_mount *em);
void ext2fs_trans_begin(struct ext2fs_mount *em, int flags);
void ext2fs_trans_end(struct ext2fs_mount *em, int flags);
/*
 * The caller's transaction (not nested) stays open after it returns,
 * held by no thread, until ext2fs_trans_release.  False: no journal.
 */
bool ext2fs_trans_handoff(struct ext2fs_mount *em);
void ext2fs_trans_release(struct ext2fs_mount *em);
void ext2fs_bdwrite_meta(struct ext2fs_mount *em, struct buf *bp);
int ext2fs_jnl_commit(struct ext2fs_mount *em, bool checkpoint);
/* bfree: whether the journal took the blocks to free at its commit. */
bool ext2fs_jnl_defer_free(struct ext2fs_mount *em, uint64_t blk, uint64_t n);
/* After ENOSPC: commits when that gives deferred frees back (retry). */
bool ext2fs_jnl_retry(struct ext2fs_mount *em);

/* ext2fs_xattr.c: extended attributes (the vnode operations, see vfs.h) */
int ext2fs_getxattr(
    struct vnode *vp, const char *name, void *buf, size_t *lenp);
int ext2fs_listxattr(struct vnode *vp,
    int (*fill)(void *arg, const char *name, size_t namelen), void *arg);
int ext2fs_setxattr(
    struct vnode *vp, const char *name, const void *val, size_t len, int flags);
int ext2fs_removexattr(struct vnode *vp, const char *name);
/*
 * The in-inode attribute index.name: *valp points into ei_raw.  ENODATA
 * when absent, EUCLEAN when the area is corrupt.
 */
int ext2fs_xattr_ibody_find(struct ext2fs_inode *ei, int index,
    const char *name, const uint8_t **valp, size_t *lenp);
/* A freed inode lets go of its attribute block. */
void ext2fs_xattr_drop(struct ext2fs_inode *ei);

/* ext2fs_vnops.c */
extern const struct vnodeops ext2fs_vnodeops;

#endif /* KERNEL_FS_EXT2FS_EXT2FS_H */
