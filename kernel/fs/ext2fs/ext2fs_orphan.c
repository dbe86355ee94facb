/*
 * ext2fs_orphan.c — the orphan list: inodes that must be freed (no link
 * left, but still open, or made by O_TMPFILE) or truncated (a truncation
 * under way) even if the system stops before that happens.
 *
 * As ext3/ext4 keep it: the superblock's s_last_orphan names the newest
 * orphan, and each orphan's i_dtime names the next (0 ends the list).  An
 * inode goes on the list when its last link goes (remove, rmdir, rename
 * over it), when O_TMPFILE makes it, and for the time of a truncation;
 * it comes off when it is freed (vop_reclaim, after the last close) or
 * linked again, or when the truncation is done.  The in-memory list
 * (em_orphans, ei_onext/ei_oprev) mirrors the disk's order, so taking an
 * inode out of the middle rewrites its predecessor's i_dtime, in the
 * inode table, under em_orphlock (ext2fs_iset_dtime).  What a read-only
 * mount (or a remount to read-write) finds on the list stays there.
 *
 * At a read-write mount, after the journal is replayed (the journal
 * brings the list to its last committed state), ext2fs_orphan_cleanup
 * walks the list a crash left: inodes with no link are freed, others
 * truncated to their size, and the list is emptied.
 *
 * Life of an orphan: remove → ext2fs_orphan_add (vnode W) → ... last
 * close → vop_inactive (recycle) → vop_reclaim → ext2fs_inode_release →
 * ext2fs_orphan_del → the inode freed.
 */
#include "ext2fs.h"

int
ext2fs_orphan_add(struct ext2fs_inode *ei)
{
	struct ext2fs_mount *em = ei->ei_em;

	if (ei->ei_orphan)
		return 0;
	mutex_enter(&em->em_orphlock);
	mutex_enter(&em->em_lock);
	ei->ei_orphnext = le32(em->em_sb.s_last_orphan);
	em->em_sb.s_last_orphan = le32(ei->ei_ino);
	em->em_sbdirty = true;
	mutex_exit(&em->em_lock);
	ei->ei_oprev = NULL;
	ei->ei_onext = em->em_orphans;
	if (em->em_orphans != NULL)
		em->em_orphans->ei_oprev = ei;
	em->em_orphans = ei;
	ei->ei_orphan = true;
	mutex_exit(&em->em_orphlock);
	return ext2fs_iupdate(ei);
}

void
ext2fs_orphan_del(struct ext2fs_inode *ei)
{
	struct ext2fs_mount *em = ei->ei_em;
	struct ext2fs_inode *prev;

	if (!ei->ei_orphan)
		return;
	mutex_enter(&em->em_orphlock);
	prev = ei->ei_oprev;
	if (prev == NULL) {
		KASSERT(em->em_orphans == ei);
		mutex_enter(&em->em_lock);
		KASSERT(le32(em->em_sb.s_last_orphan) == ei->ei_ino);
		em->em_sb.s_last_orphan = le32(ei->ei_orphnext);
		em->em_sbdirty = true;
		mutex_exit(&em->em_lock);
		em->em_orphans = ei->ei_onext;
	} else {
		prev->ei_orphnext = ei->ei_orphnext;
		prev->ei_onext = ei->ei_onext;
		/* An I/O error leaves a longer list: the next mount's work. */
		(void)ext2fs_iset_dtime(prev, prev->ei_orphnext);
	}
	if (ei->ei_onext != NULL)
		ei->ei_onext->ei_oprev = prev;
	ei->ei_onext = ei->ei_oprev = NULL;
	ei->ei_orphnext = 0;
	ei->ei_orphan = false;
	mutex_exit(&em->em_orphlock);
	ei->ei_raw->i_dtime = 0;
}

/* Whether the inode's blocks are a block map (not a fast symlink's text). */
static bool
has_block_map(struct ext2fs_inode *ei)
{
	struct ext2_inode *raw = ei->ei_raw;
	uint64_t ea = 0;

	if (le32(raw->i_flags) & EXT2_INLINE_DATA_FL)
		return false;
	switch (ext2fs_imode(ei) & S_IFMT) {
	case S_IFREG:
	case S_IFDIR:
		return true;
	case S_IFLNK:
		if (le32(raw->i_flags) & EXT2_EXTENTS_FL)
			return true;
		if (le32(raw->i_file_acl_lo) != 0 ||
		    le16(raw->i_file_acl_high) != 0)
			ea = ei->ei_em->em_bsize >> 9;
		return ext2fs_iblocks(ei) > ea;
	default:
		return false;
	}
}

void
ext2fs_inode_release(struct ext2fs_inode *ei)
{
	bool isdir = (ext2fs_imode(ei) & S_IFMT) == S_IFDIR;

	/* First, so a fast symlink's i_blocks counts nothing else. */
	ext2fs_xattr_drop(ei);
	if (has_block_map(ei))
		(void)ext2fs_trunc_blocks(ei, 0);
	ext2fs_isize_set(ei, 0);
	ext2fs_orphan_del(ei);
	ei->ei_raw->i_dtime = le32((uint32_t)(getnanotime() / 1000000000u));
	(void)ext2fs_iupdate(ei);
	ext2fs_ifree(ei->ei_em, ei->ei_ino, isdir);
}

/* One orphan a crash left: freed (no link) or truncated to its size. */
static int
orphan_finish(struct ext2fs_mount *em, uint32_t ino, uint32_t *nextp)
{
	struct ext2fs_inode tmp = {.ei_em = em, .ei_ino = ino};
	mode_t fmt;
	int error;

	if (ino < em->em_firstino || ino > em->em_ninodes)
		return EUCLEAN;
	if ((tmp.ei_raw = kmem_alloc(em->em_isize, KM_SLEEP)) == NULL)
		return ENOMEM;
	tmp.ei_rawsize = em->em_isize;
	if ((error = ext2fs_iget(em, ino, tmp.ei_raw)) != 0)
		goto out;
	ext2fs_iseed(&tmp);
	*nextp = le32(tmp.ei_raw->i_dtime);
	fmt = ext2fs_imode(&tmp) & S_IFMT;
	if (fmt == 0 || ext2fs_mode2vtype(fmt) == VNON) {
		error = EUCLEAN;
		goto out;
	}
	if (le16(tmp.ei_raw->i_links_count) == 0) {
		ext2fs_inode_release(&tmp);
	} else {
		if (fmt == S_IFREG && has_block_map(&tmp))
			(void)ext2fs_trunc_blocks(&tmp,
			    howmany(
			        ext2fs_isize(&tmp), (uint64_t)em->em_bsize));
		tmp.ei_raw->i_dtime = 0;
		error = ext2fs_iupdate(&tmp);
	}
out:
	kmem_free(tmp.ei_raw, em->em_isize);
	return error;
}

int
ext2fs_orphan_cleanup(struct ext2fs_mount *em)
{
	uint32_t ino = le32(em->em_sb.s_last_orphan), next, n = 0;
	int error = 0;

	KASSERT(em->em_orphans == NULL);
	while (ino != 0) {
		next = 0;
		if (++n > em->em_ninodes) {
			error = EUCLEAN; /* a loop */
			break;
		}
		if ((error = orphan_finish(em, ino, &next)) != 0)
			break;
		mutex_enter(&em->em_lock);
		em->em_sb.s_last_orphan = le32(next);
		em->em_sbdirty = true;
		mutex_exit(&em->em_lock);
		ino = next;
	}
	if (error)
		printf("ext2fs: orphan list: bad inode %u; the rest is left "
		       "to e2fsck\n",
		    ino);
	else if (n > 0)
		printf("ext2fs: %u orphan inode%s cleaned up\n", n,
		    n == 1 ? "" : "s");
	mutex_enter(&em->em_lock);
	em->em_sb.s_last_orphan = 0;
	em->em_sbdirty = true;
	mutex_exit(&em->em_lock);
	return error == ENOMEM ? error : 0;
}
