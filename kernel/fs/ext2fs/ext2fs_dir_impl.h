/*
 * ext2fs_dir_impl.h — what the two halves of directory handling share:
 * the record blocks (ext2fs_dir.c) and the hashed index over them
 * (ext2fs_htree.c).  Callers hold the directory's vnode lock (W to
 * change it).
 */
#ifndef KERNEL_FS_EXT2FS_EXT2FS_DIR_IMPL_H
#define KERNEL_FS_EXT2FS_EXT2FS_DIR_IMPL_H

#include "ext2fs.h"

/*
 * A directory block read and checked, busy in db_bp until written
 * (ext2fs_dirblk_write) or released.
 */
struct dirblk {
	struct buf *db_bp;
	uint8_t *db_data;
	unsigned db_end; /* where records end: before the tail, if any */
	bool db_tail;
};

unsigned ext2fs_rec_len_get(
    struct ext2fs_mount *em, const struct ext2_dirent *d);
void ext2fs_rec_len_set(
    struct ext2fs_mount *em, struct ext2_dirent *d, unsigned l);
unsigned ext2fs_name_len(struct ext2fs_mount *em, const struct ext2_dirent *d);

/* Reads and checks block lblk of directory ei. */
int ext2fs_dirblk_read(
    struct ext2fs_inode *ei, uint64_t lblk, struct dirblk *db);
/* The same, for block lblk known to be at device block pblk. */
int ext2fs_dirblk_read_at(
    struct ext2fs_inode *ei, uint64_t lblk, uint64_t pblk, struct dirblk *db);
/* Writes the tail (and its checksum) of a block with one, then it out. */
void ext2fs_dirblk_write(struct ext2fs_inode *ei, struct dirblk *db);
void ext2fs_dirblk_release(struct dirblk *db);
/* Lays out an empty block in db_data: one free record, and the tail. */
void ext2fs_dirblk_empty(struct ext2fs_inode *ei, struct dirblk *db);
/* The record of name in the block: its offset and its predecessor's. */
bool ext2fs_dirblk_find(struct ext2fs_mount *em, struct dirblk *db,
    const char *name, size_t namelen, unsigned *offp, int *prevp);
/* Puts a record for name in free space of the block; false: no room. */
bool ext2fs_dirblk_insert(struct ext2fs_mount *em, struct dirblk *db,
    const char *name, size_t namelen, uint32_t ino, uint8_t ft);
/* Writes a record for (name, ino, ft) at d, rec_len rl. */
void ext2fs_dirent_fill(struct ext2fs_mount *em, struct ext2_dirent *d,
    const char *name, size_t namelen, uint32_t ino, uint8_t ft, unsigned rl);

/* ext2fs_htree.c */
/* Whether lookups and inserts in dei go through its index. */
bool ext2fs_htree_active(struct ext2fs_inode *dei);
/* Finds name through the index, as dir_find does (not "." or ".."). */
int ext2fs_htree_find(struct ext2fs_inode *dei, const char *name,
    size_t namelen, struct dirblk *db, uint64_t *lblkp, unsigned *offp,
    int *prevp);
/* Enters name through the index, splitting what is full. */
int ext2fs_htree_enter(struct ext2fs_inode *dei, const char *name,
    size_t namelen, uint32_t ino, uint8_t ft);
/*
 * Turns a full one-block linear directory into an indexed one (root and
 * one leaf); EAGAIN when it cannot be indexed (it then stays linear).
 */
int ext2fs_htree_index(struct ext2fs_inode *dei);
/* Recomputes the index checksum of the root after ".." changed. */
void ext2fs_htree_root_changed(struct ext2fs_inode *dei, uint8_t *data);

#endif /* KERNEL_FS_EXT2FS_EXT2FS_DIR_IMPL_H */
