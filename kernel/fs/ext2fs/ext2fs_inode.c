/*
 * ext2fs_inode.c — inodes and their block maps.
 *
 * An inode is read from its group's inode table into ei_raw (checked:
 * checksum, extra size) and written back by ext2fs_iupdate(), which
 * recomputes the checksum.  Its fields are reached through the accessors
 * here, which know about the high halves (uid, gid, size, blocks) and the
 * extra time words (nanoseconds and epoch bits past 2038).
 *
 * A regular file, directory or long symlink maps logical blocks to device
 * blocks either through an extent tree (ext4: EXT2_EXTENTS_FL) or through
 * direct and 1-, 2-, 3-level indirect blocks (ext2/ext3).
 *
 * Extent trees: the root is in i_block (4 entries), other nodes fill a
 * block each and end in a crc32c tail with metadata_csum.  Index entries
 * name the first logical block of their child exactly (as e2fsck wants).
 * Insertion merges with a neighbouring extent when it can, splits a full
 * node in halves (adding an entry to its parent) and, when the root is
 * full, moves the root into a new block and grows the depth.  Truncation
 * trims and removes extents from the end and frees the nodes it empties.
 *
 * Every caller holds the inode's vnode lock as a writer, except for
 * ext2fs_bmap and ext2fs_inline_read (a reader is enough).
 */
#include "ext2fs.h"

/* ---------------------------------------------------------------- inodes */

bool
ext2fs_has_extra(const struct ext2fs_inode *ei, size_t end)
{
	return ei->ei_em->em_isize > EXT2_GOOD_OLD_INODE_SIZE &&
	    le16(ei->ei_raw->i_extra_isize) >= end;
}

static uint32_t
inode_csum(struct ext2fs_mount *em, const struct ext2_inode *raw, uint32_t seed)
{
	const uint8_t *p = (const uint8_t *)raw;
	size_t off = offsetof(struct ext2_inode, i_checksum_lo);
	uint16_t zero = 0;
	uint32_t crc;

	crc = ext2fs_crc32c(seed, p, off);
	crc = ext2fs_crc32c(crc, &zero, 2);
	crc =
	    ext2fs_crc32c(crc, p + off + 2, EXT2_GOOD_OLD_INODE_SIZE - off - 2);
	if (em->em_isize > EXT2_GOOD_OLD_INODE_SIZE) {
		size_t hi = offsetof(struct ext2_inode, i_checksum_hi);

		crc = ext2fs_crc32c(crc, p + EXT2_GOOD_OLD_INODE_SIZE,
		    hi - EXT2_GOOD_OLD_INODE_SIZE);
		if (le16(raw->i_extra_isize) >=
		    EXT2_INODE_EXTRA_END(i_checksum_hi)) {
			crc = ext2fs_crc32c(crc, &zero, 2);
			hi += 2;
		}
		crc = ext2fs_crc32c(crc, p + hi, em->em_isize - hi);
	}
	return crc;
}

static uint32_t
inode_seed(struct ext2fs_mount *em, uint32_t ino, uint32_t gen)
{
	uint32_t le = le32(ino), crc;

	crc = ext2fs_crc32c(em->em_csumseed, &le, 4);
	le = le32(gen);
	return ext2fs_crc32c(crc, &le, 4);
}

void
ext2fs_iseed(struct ext2fs_inode *ei)
{
	ei->ei_seed =
	    inode_seed(ei->ei_em, ei->ei_ino, le32(ei->ei_raw->i_generation));
}

/* Where inode ino lives: its table block and the offset in it. */
static int
inode_where(struct ext2fs_mount *em, uint32_t ino, uint64_t *blkp, size_t *offp)
{
	uint32_t g, idx;
	uint64_t byte;

	if (ino < 1 || ino > em->em_ninodes)
		return EUCLEAN;
	g = (ino - 1) / em->em_ipg;
	idx = (ino - 1) % em->em_ipg;
	byte = (uint64_t)idx * em->em_isize;
	*blkp =
	    ext2fs_gd_itable(em, ext2fs_gd(em, g)) + (byte >> em->em_bshift);
	*offp = (size_t)(byte & (em->em_bsize - 1));
	return 0;
}

int
ext2fs_iget(struct ext2fs_mount *em, uint32_t ino, struct ext2_inode *raw)
{
	struct buf *bp;
	uint64_t blk;
	size_t off;
	int error;

	if ((error = inode_where(em, ino, &blk, &off)) != 0)
		return error;
	if ((error = ext2fs_bread(em, blk, &bp)) != 0)
		return error;
	memcpy(raw, (char *)bp->b_data + off, em->em_isize);
	brelse(bp);
	if (em->em_isize > EXT2_GOOD_OLD_INODE_SIZE &&
	    (le16(raw->i_extra_isize) >
	            em->em_isize - EXT2_GOOD_OLD_INODE_SIZE ||
	        (le16(raw->i_extra_isize) & 3) != 0)) {
		printf("ext2fs: inode %u: bad extra size %u\n", ino,
		    le16(raw->i_extra_isize));
		return EUCLEAN;
	}
	if (em->em_csum) {
		uint32_t want = inode_csum(
		    em, raw, inode_seed(em, ino, le32(raw->i_generation)));
		uint32_t have = le16(raw->i_checksum_lo);

		if (em->em_isize > EXT2_GOOD_OLD_INODE_SIZE &&
		    le16(raw->i_extra_isize) >=
		        EXT2_INODE_EXTRA_END(i_checksum_hi))
			have |= (uint32_t)le16(raw->i_checksum_hi) << 16;
		else
			want &= 0xffff;
		if (have != want) {
			printf("ext2fs: inode %u: checksum mismatch\n", ino);
			return EUCLEAN;
		}
	}
	return 0;
}

/* Sets the checksum of an on-disk inode image raw. */
static void
inode_csum_set(struct ext2fs_mount *em, struct ext2_inode *raw, uint32_t seed)
{
	uint32_t crc;

	if (!em->em_csum)
		return;
	crc = inode_csum(em, raw, seed);
	raw->i_checksum_lo = le16((uint16_t)crc);
	if (em->em_isize > EXT2_GOOD_OLD_INODE_SIZE &&
	    le16(raw->i_extra_isize) >= EXT2_INODE_EXTRA_END(i_checksum_hi))
		raw->i_checksum_hi = le16((uint16_t)(crc >> 16));
}

/*
 * Writes ei_raw into the inode table.  An inode on the orphan list gets
 * its link there as i_dtime, under em_orphlock, which removing another
 * orphan may change (ext2fs_iset_dtime).
 */
int
ext2fs_iupdate(struct ext2fs_inode *ei)
{
	struct ext2fs_mount *em = ei->ei_em;
	struct ext2_inode *raw = ei->ei_raw;
	bool orphan = ei->ei_orphan;
	struct buf *bp;
	uint64_t blk;
	size_t off;
	int error;

	if ((error = inode_where(em, ei->ei_ino, &blk, &off)) != 0)
		return error;
	if (orphan) {
		mutex_enter(&em->em_orphlock);
		raw->i_dtime = le32(ei->ei_orphnext);
	}
	inode_csum_set(em, raw, ei->ei_seed);
	if ((error = ext2fs_bread(em, blk, &bp)) == 0) {
		memcpy((char *)bp->b_data + off, raw, em->em_isize);
		ext2fs_bdwrite_meta(em, bp);
	}
	if (orphan)
		mutex_exit(&em->em_orphlock);
	return error;
}

int
ext2fs_iset_dtime(struct ext2fs_inode *ei, uint32_t v)
{
	struct ext2fs_mount *em = ei->ei_em;
	struct ext2_inode *raw;
	struct buf *bp;
	uint64_t blk;
	size_t off;
	int error;

	KASSERT(mutex_owned(&em->em_orphlock));
	if ((error = inode_where(em, ei->ei_ino, &blk, &off)) != 0)
		return error;
	if ((error = ext2fs_bread(em, blk, &bp)) != 0)
		return error;
	raw = (struct ext2_inode *)((char *)bp->b_data + off);
	raw->i_dtime = le32(v);
	inode_csum_set(em, raw, ei->ei_seed);
	ext2fs_bdwrite_meta(em, bp);
	return 0;
}

uint64_t
ext2fs_isize(const struct ext2fs_inode *ei)
{
	return le32(ei->ei_raw->i_size_lo) |
	    (uint64_t)le32(ei->ei_raw->i_size_high) << 32;
}

void
ext2fs_isize_set(struct ext2fs_inode *ei, uint64_t size)
{
	ei->ei_raw->i_size_lo = le32((uint32_t)size);
	ei->ei_raw->i_size_high = le32((uint32_t)(size >> 32));
}

mode_t
ext2fs_imode(const struct ext2fs_inode *ei)
{
	return le16(ei->ei_raw->i_mode);
}

uint32_t
ext2fs_iuid(const struct ext2fs_inode *ei)
{
	return le16(ei->ei_raw->i_uid) |
	    (uint32_t)le16(ei->ei_raw->i_uid_high) << 16;
}

uint32_t
ext2fs_igid(const struct ext2fs_inode *ei)
{
	return le16(ei->ei_raw->i_gid) |
	    (uint32_t)le16(ei->ei_raw->i_gid_high) << 16;
}

void
ext2fs_iowner_set(struct ext2fs_inode *ei, uint32_t uid, uint32_t gid)
{
	ei->ei_raw->i_uid = le16((uint16_t)uid);
	ei->ei_raw->i_uid_high = le16((uint16_t)(uid >> 16));
	ei->ei_raw->i_gid = le16((uint16_t)gid);
	ei->ei_raw->i_gid_high = le16((uint16_t)(gid >> 16));
}

uint64_t
ext2fs_iblocks(const struct ext2fs_inode *ei)
{
	const struct ext2_inode *raw = ei->ei_raw;
	uint64_t n = le32(raw->i_blocks_lo);

	if (ei->ei_em->em_hugefile) {
		n |= (uint64_t)le16(raw->i_blocks_high) << 32;
		if (le32(raw->i_flags) & EXT2_HUGE_FILE_FL)
			n <<= ei->ei_em->em_bshift - 9;
	}
	return n;
}

void
ext2fs_iblocks_add(struct ext2fs_inode *ei, int64_t fsblocks)
{
	struct ext2_inode *raw = ei->ei_raw;
	uint64_t n = le32(raw->i_blocks_lo);
	int64_t d = fsblocks;

	if (ei->ei_em->em_hugefile)
		n |= (uint64_t)le16(raw->i_blocks_high) << 32;
	if (!(le32(raw->i_flags) & EXT2_HUGE_FILE_FL))
		d *= (int64_t)1 << (ei->ei_em->em_bshift - 9);
	n = (d < 0 && (uint64_t)-d > n) ? 0 : n + (uint64_t)d;
	raw->i_blocks_lo = le32((uint32_t)n);
	if (ei->ei_em->em_hugefile)
		raw->i_blocks_high = le16((uint16_t)(n >> 32));
}

/*
 * Offsets in the inode of the lo word and, if the inode has room, the
 * extra word of a time (0: none).
 */
static void
itime_fields(
    const struct ext2fs_inode *ei, int which, size_t *lo, size_t *extra)
{
	*extra = 0;
	switch (which) {
	case 'a':
		*lo = offsetof(struct ext2_inode, i_atime);
		if (ext2fs_has_extra(ei, EXT2_INODE_EXTRA_END(i_atime_extra)))
			*extra = offsetof(struct ext2_inode, i_atime_extra);
		break;
	case 'm':
		*lo = offsetof(struct ext2_inode, i_mtime);
		if (ext2fs_has_extra(ei, EXT2_INODE_EXTRA_END(i_mtime_extra)))
			*extra = offsetof(struct ext2_inode, i_mtime_extra);
		break;
	case 'c':
		*lo = offsetof(struct ext2_inode, i_ctime);
		if (ext2fs_has_extra(ei, EXT2_INODE_EXTRA_END(i_ctime_extra)))
			*extra = offsetof(struct ext2_inode, i_ctime_extra);
		break;
	default:
		*lo = 0;
		if (ext2fs_has_extra(
		        ei, EXT2_INODE_EXTRA_END(i_crtime_extra))) {
			*lo = offsetof(struct ext2_inode, i_crtime);
			*extra = offsetof(struct ext2_inode, i_crtime_extra);
		}
		break;
	}
}

static uint32_t
raw_get32(const struct ext2fs_inode *ei, size_t off)
{
	uint32_t v;

	memcpy(&v, (const char *)ei->ei_raw + off, 4);
	return le32(v);
}

static void
raw_set32(struct ext2fs_inode *ei, size_t off, uint32_t v)
{
	v = le32(v);
	memcpy((char *)ei->ei_raw + off, &v, 4);
}

void
ext2fs_itime_get(const struct ext2fs_inode *ei, int which, struct timespec *ts)
{
	size_t lo, extra;
	uint32_t x;

	itime_fields(ei, which, &lo, &extra);
	ts->tv_sec = 0;
	ts->tv_nsec = 0;
	if (lo == 0)
		return;
	ts->tv_sec = (int32_t)raw_get32(ei, lo);
	if (extra != 0) {
		x = raw_get32(ei, extra);
		ts->tv_sec += (int64_t)(x & EXT2_EPOCH_MASK) << 32;
		ts->tv_nsec = MIN((long)(x >> EXT2_EPOCH_BITS), 999999999L);
	}
}

void
ext2fs_itime_set(struct ext2fs_inode *ei, int which, const struct timespec *ts)
{
	size_t lo, extra;
	int64_t sec = ts->tv_sec;

	itime_fields(ei, which, &lo, &extra);
	if (lo == 0)
		return;
	if (extra == 0) {
		sec = MAX(MIN(sec, (int64_t)INT32_MAX), (int64_t)INT32_MIN);
		raw_set32(ei, lo, (uint32_t)(int32_t)sec);
		return;
	}
	/* 34 bits of seconds: from 1901 to 2446. */
	sec = MAX(MIN(sec, ((int64_t)1 << 33) + INT32_MAX), (int64_t)INT32_MIN);
	raw_set32(ei, lo, (uint32_t)sec);
	raw_set32(ei, extra,
	    (uint32_t)(((sec - (int32_t)sec) >> 32) & EXT2_EPOCH_MASK) |
	        ((uint32_t)ts->tv_nsec << EXT2_EPOCH_BITS));
}

void
ext2fs_itime_now(struct ext2fs_inode *ei, const char *which)
{
	uint64_t now = getnanotime();
	struct timespec ts = {
	    (time_t)(now / 1000000000u), (long)(now % 1000000000u)};

	for (; *which != '\0'; which++)
		ext2fs_itime_set(ei, *which, &ts);
}

enum vtype
ext2fs_mode2vtype(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
		return VREG;
	case S_IFDIR:
		return VDIR;
	case S_IFLNK:
		return VLNK;
	case S_IFCHR:
		return VCHR;
	case S_IFBLK:
		return VBLK;
	case S_IFIFO:
		return VFIFO;
	case S_IFSOCK:
		return VSOCK;
	default:
		return VNON;
	}
}

uint8_t
ext2fs_vtype2ft(enum vtype t)
{
	switch (t) {
	case VREG:
		return EXT2_FT_REG_FILE;
	case VDIR:
		return EXT2_FT_DIR;
	case VLNK:
		return EXT2_FT_SYMLINK;
	case VCHR:
		return EXT2_FT_CHRDEV;
	case VBLK:
		return EXT2_FT_BLKDEV;
	case VFIFO:
		return EXT2_FT_FIFO;
	case VSOCK:
		return EXT2_FT_SOCK;
	default:
		return EXT2_FT_UNKNOWN;
	}
}

/* ---------------------------------------------------------- extent trees */

#define EXT_ROOT_MAX 4
#define EXT_MAX_LBLK 0xFFFFFFFFull /* logical blocks are below this */

static inline struct ext2_ext_header *
ext_root(struct ext2fs_inode *ei)
{
	return (struct ext2_ext_header *)ei->ei_raw->i_block;
}

static inline struct ext2_extent *
ext_leaf(struct ext2_ext_header *h)
{
	return (struct ext2_extent *)(h + 1);
}

static inline struct ext2_ext_index *
ext_index(struct ext2_ext_header *h)
{
	return (struct ext2_ext_index *)(h + 1);
}

static inline uint64_t
ee_start(const struct ext2_extent *e)
{
	return le32(e->ee_start_lo) | (uint64_t)le16(e->ee_start_hi) << 32;
}

static inline void
ee_start_set(struct ext2_extent *e, uint64_t b)
{
	e->ee_start_lo = le32((uint32_t)b);
	e->ee_start_hi = le16((uint16_t)(b >> 32));
}

static inline uint32_t
ee_len(const struct ext2_extent *e)
{
	uint32_t l = le16(e->ee_len);

	return l > EXT2_EXT_INIT_MAX ? l - EXT2_EXT_INIT_MAX : l;
}

static inline bool
ee_unwritten(const struct ext2_extent *e)
{
	return le16(e->ee_len) > EXT2_EXT_INIT_MAX;
}

static inline uint64_t
ei_leaf(const struct ext2_ext_index *x)
{
	return le32(x->ei_leaf_lo) | (uint64_t)le16(x->ei_leaf_hi) << 32;
}

static inline void
ei_leaf_set(struct ext2_ext_index *x, uint64_t b)
{
	x->ei_leaf_lo = le32((uint32_t)b);
	x->ei_leaf_hi = le16((uint16_t)(b >> 32));
	x->ei_unused = 0;
}

/* The entries of a node in a block (what mke2fs and Linux use). */
static uint16_t
ext_block_max(struct ext2fs_mount *em)
{
	return (uint16_t)((em->em_bsize - sizeof(struct ext2_ext_header)) /
	    sizeof(struct ext2_extent));
}

static uint32_t
ext_tail_csum(struct ext2fs_inode *ei, const struct ext2_ext_header *h)
{
	size_t off = sizeof(*h) + (size_t)le16(h->eh_max) * 12;

	return ext2fs_crc32c(ei->ei_seed, h, off);
}

/* Checks a node's header; space is the bytes it may use. */
static int
ext_check(struct ext2fs_inode *ei, struct ext2_ext_header *h, size_t space,
    int depth, bool block)
{
	struct ext2fs_mount *em = ei->ei_em;
	size_t end;

	if (le16(h->eh_magic) != EXT2_EXT_MAGIC || le16(h->eh_max) == 0 ||
	    le16(h->eh_entries) > le16(h->eh_max) ||
	    le16(h->eh_depth) > EXT2_EXT_MAX_DEPTH ||
	    (depth >= 0 && le16(h->eh_depth) != depth))
		goto bad;
	end = sizeof(*h) + (size_t)le16(h->eh_max) * 12;
	if (end > space || (block && em->em_csum && end + 4 > space))
		goto bad;
	if (block && em->em_csum) {
		uint32_t have;

		memcpy(&have, (const char *)h + end, 4);
		if (le32(have) != ext_tail_csum(ei, h)) {
			printf("ext2fs: inode %u: extent block checksum "
			       "mismatch\n",
			    ei->ei_ino);
			return EUCLEAN;
		}
	}
	return 0;
bad:
	printf("ext2fs: inode %u: bad extent header\n", ei->ei_ino);
	return EUCLEAN;
}

/* One level of a path from the root to a leaf. */
struct ext_path {
	struct buf *p_bp; /* NULL: the root, in the inode */
	struct ext2_ext_header *p_hdr;
	int p_idx; /* the entry followed (index) or found (leaf; -1: none) */
	bool p_dirty;
	uint64_t p_end; /* first logical block past this node's range */
};

/* The last entry whose first block is at most lblk, or -1. */
static int
ext_search(struct ext2_ext_header *h, uint64_t lblk, bool leaf)
{
	int lo = 0, hi = (int)le16(h->eh_entries) - 1, r = -1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		uint32_t k = leaf ? le32(ext_leaf(h)[mid].ee_block)
		                  : le32(ext_index(h)[mid].ei_block);

		if (k <= lblk) {
			r = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	return r;
}

static void
ext_path_release(struct ext2fs_inode *ei, struct ext_path *path, int depth)
{
	for (int l = depth; l >= 1; l--) {
		if (path[l].p_bp == NULL)
			continue;
		if (path[l].p_dirty) {
			if (ei->ei_em->em_csum) {
				struct ext2_ext_header *h = path[l].p_hdr;
				uint32_t c = le32(ext_tail_csum(ei, h));

				memcpy((char *)h + sizeof(*h) +
				        (size_t)le16(h->eh_max) * 12,
				    &c, 4);
			}
			ext2fs_bdwrite_meta(ei->ei_em, path[l].p_bp);
		} else {
			brelse(path[l].p_bp);
		}
		path[l].p_bp = NULL;
	}
}

/* Walks from the root to the leaf covering lblk.  *depthp: the depth. */
static int
ext_find(
    struct ext2fs_inode *ei, uint64_t lblk, struct ext_path *path, int *depthp)
{
	struct ext2fs_mount *em = ei->ei_em;
	struct ext2_ext_header *h = ext_root(ei);
	int depth, error, l;

	if ((error = ext_check(ei, h, sizeof(ei->ei_raw->i_block), -1, false)))
		return error;
	depth = le16(h->eh_depth);
	*depthp = depth;
	memset(path, 0, sizeof(*path) * (size_t)(depth + 1));
	path[0].p_hdr = h;
	path[0].p_end = EXT_MAX_LBLK;
	for (l = 0; l < depth; l++) {
		struct ext2_ext_index *x;
		uint64_t child;
		int i = ext_search(path[l].p_hdr, lblk, false);

		if (le16(path[l].p_hdr->eh_entries) == 0) {
			error = EUCLEAN; /* an index node with no entry */
			goto fail;
		}
		if (i < 0)
			i = 0;
		path[l].p_idx = i;
		x = &ext_index(path[l].p_hdr)[i];
		path[l + 1].p_end = path[l].p_end;
		if (i + 1 < le16(path[l].p_hdr->eh_entries))
			path[l + 1].p_end =
			    le32(ext_index(path[l].p_hdr)[i + 1].ei_block);
		child = ei_leaf(x);
		if (!ext2fs_blk_ok(em, child, 1)) {
			error = EUCLEAN;
			goto fail;
		}
		if ((error = ext2fs_bread(em, child, &path[l + 1].p_bp)) != 0)
			goto fail;
		path[l + 1].p_hdr = path[l + 1].p_bp->b_data;
		if ((error = ext_check(ei, path[l + 1].p_hdr, em->em_bsize,
		         depth - l - 1, true)) != 0)
			goto fail;
	}
	path[depth].p_idx = ext_search(path[depth].p_hdr, lblk, true);
	return 0;
fail:
	ext_path_release(ei, path, l + 1);
	return error;
}

static int
ext_map(struct ext2fs_inode *ei, uint64_t lblk, uint64_t *pblkp, uint64_t *runp)
{
	struct ext_path path[EXT2_EXT_MAX_DEPTH + 1];
	struct ext2_ext_header *h;
	struct ext2_extent *e;
	int depth, error, i;
	uint64_t end;

	*pblkp = 0;
	*runp = 1;
	if (lblk >= EXT_MAX_LBLK) {
		*runp = UINT64_MAX / 2;
		return 0;
	}
	if ((error = ext_find(ei, lblk, path, &depth)) != 0)
		return error;
	h = path[depth].p_hdr;
	i = path[depth].p_idx;
	end = path[depth].p_end;
	if (i >= 0) {
		e = &ext_leaf(h)[i];
		if (lblk < (uint64_t)le32(e->ee_block) + ee_len(e)) {
			uint64_t off = lblk - le32(e->ee_block);

			if (!ext2fs_blk_ok(ei->ei_em, ee_start(e), ee_len(e))) {
				error = EUCLEAN;
				goto out;
			}
			*runp = ee_len(e) - off;
			if (!ee_unwritten(e))
				*pblkp = ee_start(e) + off;
			goto out;
		}
	}
	/* A hole up to the next extent (or the end of this node's range). */
	if (i + 1 < le16(h->eh_entries))
		end = MIN(end, (uint64_t)le32(ext_leaf(h)[i + 1].ee_block));
	*runp = end > lblk ? end - lblk : 1;
out:
	ext_path_release(ei, path, depth);
	return error;
}

/* Makes a new, empty node block of the tree. */
static int
ext_newblock(struct ext2fs_inode *ei, uint64_t *blkp, struct buf **bpp)
{
	uint32_t n = 1;
	int error;

	error = ext2fs_balloc(ei->ei_em, ei->ei_goal, blkp, &n);
	if (error)
		return error;
	if ((error = ext2fs_getblk(ei->ei_em, *blkp, bpp)) != 0) {
		ext2fs_bfree(ei->ei_em, *blkp, 1);
		return error;
	}
	memset((*bpp)->b_data, 0, ei->ei_em->em_bsize);
	ext2fs_iblocks_add(ei, 1);
	return 0;
}

static uint32_t
ext_first_key(struct ext2_ext_header *h)
{
	if (le16(h->eh_entries) == 0)
		return 0;
	return le16(h->eh_depth) == 0 ? le32(ext_leaf(h)[0].ee_block)
	                              : le32(ext_index(h)[0].ei_block);
}

/* The first key of path[l]'s node changed: correct the parents' keys. */
static void
ext_fix_keys(struct ext_path *path, int l)
{
	for (; l > 0; l--) {
		uint32_t k = ext_first_key(path[l].p_hdr);
		struct ext2_ext_index *x =
		    &ext_index(path[l - 1].p_hdr)[path[l - 1].p_idx];

		if (le32(x->ei_block) == k)
			break;
		x->ei_block = le32(k);
		path[l - 1].p_dirty = true;
		if (path[l - 1].p_idx != 0)
			break;
	}
}

/*
 * Makes room in the node of path[l], which is full.  The root moves into
 * a new block (depth grows); another node splits in two, which needs
 * room in its parent first (then EAGAIN: walk the path again).
 */
static int
ext_split(struct ext2fs_inode *ei, struct ext_path *path, int l)
{
	struct ext2fs_mount *em = ei->ei_em;
	struct ext2_ext_header *h = path[l].p_hdr, *nh;
	struct ext2_ext_index *x;
	struct buf *nbp;
	uint64_t nblk;
	int n = le16(h->eh_entries), m, error;

	if (l == 0) {
		if (le16(h->eh_depth) >= EXT2_EXT_MAX_DEPTH)
			return EFBIG;
		if ((error = ext_newblock(ei, &nblk, &nbp)) != 0)
			return error;
		nh = nbp->b_data;
		memcpy(nh, h, sizeof(*h) + (size_t)n * 12);
		nh->eh_max = le16(ext_block_max(em));
		h->eh_depth = le16((uint16_t)(le16(h->eh_depth) + 1));
		h->eh_entries = le16(1);
		x = ext_index(h);
		x->ei_block = le32(ext_first_key(nh));
		ei_leaf_set(x, nblk);
		goto write_new;
	}
	if (le16(path[l - 1].p_hdr->eh_entries) >=
	    le16(path[l - 1].p_hdr->eh_max))
		return ext_split(ei, path, l - 1);
	if ((error = ext_newblock(ei, &nblk, &nbp)) != 0)
		return error;
	nh = nbp->b_data;
	m = n / 2;
	nh->eh_magic = le16(EXT2_EXT_MAGIC);
	nh->eh_max = le16(ext_block_max(em));
	nh->eh_depth = h->eh_depth;
	nh->eh_entries = le16((uint16_t)(n - m));
	memcpy(nh + 1, (char *)(h + 1) + (size_t)m * 12, (size_t)(n - m) * 12);
	h->eh_entries = le16((uint16_t)m);
	path[l].p_dirty = true;
	/* The parent gets an entry for the new node after the old one's. */
	{
		struct ext2_ext_header *ph = path[l - 1].p_hdr;
		int pi = path[l - 1].p_idx + 1, pn = le16(ph->eh_entries);

		x = ext_index(ph);
		memmove(&x[pi + 1], &x[pi], (size_t)(pn - pi) * 12);
		x[pi].ei_block = le32(ext_first_key(nh));
		ei_leaf_set(&x[pi], nblk);
		ph->eh_entries = le16((uint16_t)(pn + 1));
		path[l - 1].p_dirty = true;
	}
write_new:
	if (em->em_csum) {
		uint32_t c = le32(ext_tail_csum(ei, nh));

		memcpy((char *)nh + sizeof(*nh) + (size_t)le16(nh->eh_max) * 12,
		    &c, 4);
	}
	ext2fs_bdwrite_meta(ei->ei_em, nbp);
	return EAGAIN;
}

/*
 * Maps [lblk, lblk+len) to [pblk, ...), a range that is a hole now.
 * The caller writes the inode back.
 */
static int
ext_insert(struct ext2fs_inode *ei, uint64_t lblk, uint64_t pblk, uint32_t len)
{
	struct ext_path path[EXT2_EXT_MAX_DEPTH + 1];
	struct ext2_ext_header *h;
	struct ext2_extent *e;
	int depth, error, i, n;

	KASSERT(len > 0 && len <= EXT2_EXT_INIT_MAX);
	for (int tries = 0; tries < 4 * (EXT2_EXT_MAX_DEPTH + 1); tries++) {
		if ((error = ext_find(ei, lblk, path, &depth)) != 0)
			return error;
		h = path[depth].p_hdr;
		i = path[depth].p_idx;
		n = le16(h->eh_entries);
		e = ext_leaf(h);
		/* Extend the extent before it. */
		if (i >= 0 && !ee_unwritten(&e[i]) &&
		    (uint64_t)le32(e[i].ee_block) + ee_len(&e[i]) == lblk &&
		    ee_start(&e[i]) + ee_len(&e[i]) == pblk &&
		    ee_len(&e[i]) + len <= EXT2_EXT_INIT_MAX) {
			e[i].ee_len = le16((uint16_t)(ee_len(&e[i]) + len));
			path[depth].p_dirty = true;
			goto done;
		}
		/* Or the one after it, from its front. */
		if (i + 1 < n && !ee_unwritten(&e[i + 1]) &&
		    lblk + len == le32(e[i + 1].ee_block) &&
		    pblk + len == ee_start(&e[i + 1]) &&
		    ee_len(&e[i + 1]) + len <= EXT2_EXT_INIT_MAX) {
			e[i + 1].ee_block = le32((uint32_t)lblk);
			ee_start_set(&e[i + 1], pblk);
			e[i + 1].ee_len =
			    le16((uint16_t)(ee_len(&e[i + 1]) + len));
			path[depth].p_dirty = true;
			if (i + 1 == 0)
				ext_fix_keys(path, depth);
			goto done;
		}
		if (n < le16(h->eh_max)) {
			memmove(&e[i + 2], &e[i + 1], (size_t)(n - i - 1) * 12);
			e[i + 1].ee_block = le32((uint32_t)lblk);
			e[i + 1].ee_len = le16((uint16_t)len);
			ee_start_set(&e[i + 1], pblk);
			h->eh_entries = le16((uint16_t)(n + 1));
			path[depth].p_dirty = true;
			if (i + 1 == 0)
				ext_fix_keys(path, depth);
			goto done;
		}
		error = ext_split(ei, path, depth);
		ext_path_release(ei, path, depth);
		if (error != EAGAIN)
			return error;
	}
	panic("ext_insert: no room after splitting");
done:
	ext_path_release(ei, path, depth);
	return 0;
}

/*
 * Frees what node h (at depth) maps at or past from; *emptyp: the node
 * has no entry left.
 */
static int
ext_trunc_node(struct ext2fs_inode *ei, struct ext2_ext_header *h,
    uint64_t from, bool *emptyp)
{
	struct ext2fs_mount *em = ei->ei_em;
	int n = le16(h->eh_entries), i, error = 0;

	if (le16(h->eh_depth) == 0) {
		struct ext2_extent *e = ext_leaf(h);

		for (i = n - 1; i >= 0; i--) {
			uint64_t s = le32(e[i].ee_block), len = ee_len(&e[i]);
			uint64_t p = ee_start(&e[i]);

			if (s + len <= from)
				break;
			if (s >= from) {
				if (ext2fs_blk_ok(em, p, len))
					ext2fs_bfree(em, p, len);
				ext2fs_iblocks_add(ei, -(int64_t)len);
				n--;
				continue;
			}
			/* Keep the part before from. */
			if (ext2fs_blk_ok(em, p, len))
				ext2fs_bfree(
				    em, p + (from - s), len - (from - s));
			ext2fs_iblocks_add(ei, -(int64_t)(len - (from - s)));
			e[i].ee_len = le16((uint16_t)((from - s) +
			    (ee_unwritten(&e[i]) ? EXT2_EXT_INIT_MAX : 0)));
			break;
		}
		h->eh_entries = le16((uint16_t)n);
		*emptyp = n == 0;
		return 0;
	}
	for (i = n - 1; i >= 0; i--) {
		struct ext2_ext_index *x = &ext_index(h)[i];
		uint64_t child = ei_leaf(x);
		struct ext2_ext_header *ch;
		struct buf *bp;
		bool empty;

		if (!ext2fs_blk_ok(em, child, 1))
			return EUCLEAN;
		if ((error = ext2fs_bread(em, child, &bp)) != 0)
			return error;
		ch = bp->b_data;
		if ((error = ext_check(ei, ch, em->em_bsize,
		         le16(h->eh_depth) - 1, true)) != 0) {
			brelse(bp);
			return error;
		}
		error = ext_trunc_node(ei, ch, from, &empty);
		if (error == 0 && empty) {
			bp->b_flags |= B_INVAL;
			brelse(bp);
			ext2fs_bfree(em, child, 1);
			ext2fs_iblocks_add(ei, -1);
			n--;
		} else {
			if (em->em_csum) {
				uint32_t c = le32(ext_tail_csum(ei, ch));

				memcpy((char *)ch + sizeof(*ch) +
				        (size_t)le16(ch->eh_max) * 12,
				    &c, 4);
			}
			ext2fs_bdwrite_meta(ei->ei_em, bp);
		}
		if (error)
			break;
		if (le32(x->ei_block) < from)
			break;
	}
	h->eh_entries = le16((uint16_t)n);
	*emptyp = n == 0;
	return error;
}

static int
ext_trunc(struct ext2fs_inode *ei, uint64_t from)
{
	struct ext2_ext_header *h = ext_root(ei);
	bool empty;
	int error;

	if ((error = ext_check(ei, h, sizeof(ei->ei_raw->i_block), -1, false)))
		return error;
	if (from >= EXT_MAX_LBLK)
		return 0;
	error = ext_trunc_node(ei, h, from, &empty);
	if (empty) {
		h->eh_depth = 0;
		h->eh_max = le16(EXT_ROOT_MAX);
	}
	return error;
}

/* ------------------------------------------------------- indirect blocks */

/* Offsets of lblk at each level; returns the levels (0: direct). */
static int
ind_path(struct ext2fs_mount *em, uint64_t lblk, uint32_t off[4])
{
	uint64_t n = em->em_bsize / 4;

	if (lblk < EXT2_NDIR) {
		off[0] = (uint32_t)lblk;
		return 0;
	}
	lblk -= EXT2_NDIR;
	if (lblk < n) {
		off[0] = EXT2_NDIR;
		off[1] = (uint32_t)lblk;
		return 1;
	}
	lblk -= n;
	if (lblk < n * n) {
		off[0] = EXT2_NDIR + 1;
		off[1] = (uint32_t)(lblk / n);
		off[2] = (uint32_t)(lblk % n);
		return 2;
	}
	lblk -= n * n;
	if (lblk < n * n * n) {
		off[0] = EXT2_NDIR + 2;
		off[1] = (uint32_t)(lblk / (n * n));
		off[2] = (uint32_t)(lblk / n % n);
		off[3] = (uint32_t)(lblk % n);
		return 3;
	}
	return -1;
}

static int
ind_map(struct ext2fs_inode *ei, uint64_t lblk, uint64_t *pblkp, uint64_t *runp)
{
	struct ext2fs_mount *em = ei->ei_em;
	uint32_t off[4], nper = em->em_bsize / 4;
	int levels = ind_path(em, lblk, off), error;
	uint64_t b;
	struct buf *bp;

	*pblkp = 0;
	*runp = 1;
	if (levels < 0) {
		*runp = UINT64_MAX / 2;
		return 0;
	}
	b = le32(ei->ei_raw->i_block[off[0]]);
	if (levels == 0) {
		if (b != 0 && !ext2fs_blk_ok(em, b, 1))
			return EUCLEAN;
		*pblkp = b;
		return 0;
	}
	for (int l = 1; l <= levels; l++) {
		const uint32_t *p;

		if (b == 0) {
			/* A hole to the end of the missing node's range. */
			uint64_t span = 1, pos = 0;

			for (int k = levels; k >= l; k--) {
				pos += off[k] * span;
				span *= nper;
			}
			*runp = span - pos;
			return 0;
		}
		if (!ext2fs_blk_ok(em, b, 1))
			return EUCLEAN;
		if ((error = ext2fs_bread(em, b, &bp)) != 0)
			return error;
		p = bp->b_data;
		b = le32(p[off[l]]);
		if (l == levels) {
			/* Runs within this block: contiguous data or zeros. */
			uint32_t k = 1;

			while (off[l] + k < nper && k < 256 &&
			    (b == 0 ? le32(p[off[l] + k]) == 0
			            : le32(p[off[l] + k]) == b + k))
				k++;
			*runp = k;
		}
		brelse(bp);
	}
	if (b != 0 && !ext2fs_blk_ok(em, b, *runp))
		return EUCLEAN;
	*pblkp = b;
	return 0;
}

/* A zeroed new block for the tree or data; *blkp, counted in i_blocks. */
static int
ind_newblock(struct ext2fs_inode *ei, bool zero, uint64_t *blkp)
{
	struct buf *bp;
	uint32_t n = 1;
	int error;

	if ((error = ext2fs_balloc(ei->ei_em, ei->ei_goal, blkp, &n)) != 0)
		return error;
	ext2fs_iblocks_add(ei, 1);
	ei->ei_goal = *blkp + 1;
	if (zero) {
		if ((error = ext2fs_getblk(ei->ei_em, *blkp, &bp)) != 0)
			return error;
		memset(bp->b_data, 0, ei->ei_em->em_bsize);
		ext2fs_bdwrite_meta(ei->ei_em, bp);
	}
	return 0;
}

static int
ind_alloc(struct ext2fs_inode *ei, uint64_t lblk, uint64_t *pblkp, bool *newp)
{
	struct ext2fs_mount *em = ei->ei_em;
	uint32_t off[4];
	int levels = ind_path(em, lblk, off), error;
	uint64_t b;
	struct buf *bp;

	*newp = false;
	if (levels < 0)
		return EFBIG;
	b = le32(ei->ei_raw->i_block[off[0]]);
	if (b == 0) {
		if ((error = ind_newblock(ei, levels > 0, &b)) != 0)
			return error;
		ei->ei_raw->i_block[off[0]] = le32((uint32_t)b);
		*newp = levels == 0;
	}
	for (int l = 1; l <= levels; l++) {
		uint32_t *p;
		uint64_t c;

		if (!ext2fs_blk_ok(em, b, 1))
			return EUCLEAN;
		if ((error = ext2fs_bread(em, b, &bp)) != 0)
			return error;
		p = bp->b_data;
		c = le32(p[off[l]]);
		if (c == 0) {
			if ((error = ind_newblock(ei, l < levels, &c)) != 0) {
				brelse(bp);
				return error;
			}
			p[off[l]] = le32((uint32_t)c);
			ext2fs_bdwrite_meta(ei->ei_em, bp);
			*newp = l == levels;
		} else {
			brelse(bp);
		}
		b = c;
	}
	if (!ext2fs_blk_ok(em, b, 1))
		return EUCLEAN;
	*pblkp = b;
	return 0;
}

/*
 * Frees what the indirect block blk (level 1: pointers to data) maps at
 * or past from, where its first entry maps logical block base.  *gonep:
 * the block itself was freed.
 */
static int
ind_trunc_blk(struct ext2fs_inode *ei, uint64_t blk, int level, uint64_t base,
    uint64_t from, bool *gonep)
{
	struct ext2fs_mount *em = ei->ei_em;
	uint32_t nper = em->em_bsize / 4;
	uint64_t span = 1;
	struct buf *bp;
	uint32_t *p;
	bool dirty = false;
	int error;

	*gonep = false;
	if (!ext2fs_blk_ok(em, blk, 1))
		return EUCLEAN;
	for (int l = 1; l < level; l++)
		span *= nper;
	if ((error = ext2fs_bread(em, blk, &bp)) != 0)
		return error;
	p = bp->b_data;
	for (uint32_t i = 0; i < nper; i++) {
		uint64_t c = le32(p[i]), first = base + i * span;
		bool gone;

		if (c == 0 || first + span <= from)
			continue;
		if (level > 1) {
			error =
			    ind_trunc_blk(ei, c, level - 1, first, from, &gone);
			if (error)
				break;
		} else {
			gone = true;
			if (ext2fs_blk_ok(em, c, 1))
				ext2fs_bfree(em, c, 1);
			ext2fs_iblocks_add(ei, -1);
		}
		if (gone) {
			p[i] = 0;
			dirty = true;
		}
	}
	if (error == 0 && from <= base) {
		bp->b_flags |= B_INVAL;
		brelse(bp);
		ext2fs_bfree(em, blk, 1);
		ext2fs_iblocks_add(ei, -1);
		*gonep = true;
		return 0;
	}
	if (dirty)
		ext2fs_bdwrite_meta(ei->ei_em, bp);
	else
		brelse(bp);
	return error;
}

static int
ind_trunc(struct ext2fs_inode *ei, uint64_t from)
{
	struct ext2fs_mount *em = ei->ei_em;
	uint64_t nper = em->em_bsize / 4, base = EXT2_NDIR, span = nper;
	struct ext2_inode *ib = ei->ei_raw;
	int error;

	for (uint64_t i = from; i < EXT2_NDIR; i++) {
		uint64_t b = le32(ib->i_block[i]);

		if (b == 0)
			continue;
		if (ext2fs_blk_ok(em, b, 1))
			ext2fs_bfree(em, b, 1);
		ext2fs_iblocks_add(ei, -1);
		ib->i_block[i] = 0;
	}
	for (int level = 1; level <= 3; level++) {
		uint64_t b = le32(ib->i_block[EXT2_NDIR + level - 1]);
		bool gone;

		if (b != 0 && base + span > from) {
			error = ind_trunc_blk(ei, b, level, base, from, &gone);
			if (error)
				return error;
			if (gone)
				ib->i_block[EXT2_NDIR + level - 1] = 0;
		}
		base += span;
		span *= nper;
	}
	return 0;
}

/* ------------------------------------------------------------ block maps */

static bool
uses_extents(const struct ext2fs_inode *ei)
{
	return (le32(ei->ei_raw->i_flags) & EXT2_EXTENTS_FL) != 0;
}

int
ext2fs_bmap(
    struct ext2fs_inode *ei, uint64_t lblk, uint64_t *pblkp, uint64_t *runp)
{
	if (le32(ei->ei_raw->i_flags) & EXT2_INLINE_DATA_FL)
		return EUCLEAN; /* callers read inline data themselves */
	if (uses_extents(ei))
		return ext_map(ei, lblk, pblkp, runp);
	return ind_map(ei, lblk, pblkp, runp);
}

int
ext2fs_bmap_alloc(
    struct ext2fs_inode *ei, uint64_t lblk, uint64_t *pblkp, bool *newp)
{
	uint32_t n;

	return ext2fs_bmap_alloc_run(ei, lblk, 1, pblkp, &n, newp);
}

int
ext2fs_bmap_alloc_run(struct ext2fs_inode *ei, uint64_t lblk, uint32_t want,
    uint64_t *pblkp, uint32_t *np, bool *newp)
{
	uint64_t run, b;
	uint32_t n = 1;
	int error;

	*newp = false;
	*np = 1;
	if (le32(ei->ei_raw->i_flags) & EXT2_INLINE_DATA_FL)
		return EOPNOTSUPP;
	if (ei->ei_goal == 0)
		ei->ei_goal = ei->ei_em->em_firstdata +
		    (uint64_t)((ei->ei_ino - 1) / ei->ei_em->em_ipg) *
		        ei->ei_em->em_bpg;
	if (!uses_extents(ei)) {
		if ((error = ind_alloc(ei, lblk, pblkp, newp)) != 0)
			return error;
		ei->ei_goal = *pblkp + 1;
		return *newp ? ext2fs_iupdate(ei) : 0;
	}
	if (lblk >= EXT_MAX_LBLK - 1)
		return EFBIG;
	if ((error = ext_map(ei, lblk, &b, &run)) != 0)
		return error;
	if (b != 0) {
		*pblkp = b;
		*np = (uint32_t)MIN(run, (uint64_t)MAX(want, 1));
		return 0;
	}
	/* As much of the hole as asked for, in one extent at most. */
	n = (uint32_t)MIN(MIN(run, (uint64_t)MAX(want, 1)), EXT2_EXT_INIT_MAX);
	n = (uint32_t)MIN((uint64_t)n, EXT_MAX_LBLK - 1 - lblk);
	/* A hole, or an unwritten extent (which we cannot convert yet). */
	{
		struct ext_path path[EXT2_EXT_MAX_DEPTH + 1];
		int depth, i;
		bool unwritten = false;

		if ((error = ext_find(ei, lblk, path, &depth)) != 0)
			return error;
		i = path[depth].p_idx;
		if (i >= 0) {
			struct ext2_extent *e = &ext_leaf(path[depth].p_hdr)[i];

			unwritten =
			    lblk < (uint64_t)le32(e->ee_block) + ee_len(e);
		}
		ext_path_release(ei, path, depth);
		if (unwritten)
			return EOPNOTSUPP;
	}
	if ((error = ext2fs_balloc(ei->ei_em, ei->ei_goal, &b, &n)) != 0)
		return error;
	if ((error = ext_insert(ei, lblk, b, n)) != 0) {
		ext2fs_bfree(ei->ei_em, b, n);
		(void)ext2fs_iupdate(ei);
		return error;
	}
	ext2fs_iblocks_add(ei, n);
	ei->ei_goal = b + n;
	*pblkp = b;
	*np = n;
	*newp = true;
	return ext2fs_iupdate(ei);
}

int
ext2fs_trunc_blocks(struct ext2fs_inode *ei, uint64_t lblk)
{
	int error;

	if (le32(ei->ei_raw->i_flags) & EXT2_INLINE_DATA_FL)
		return EOPNOTSUPP;
	if (uses_extents(ei))
		error = ext_trunc(ei, lblk);
	else
		error = ind_trunc(ei, lblk);
	if (lblk == 0)
		ei->ei_goal = 0;
	return error;
}

void
ext2fs_bmap_init(struct ext2fs_inode *ei)
{
	struct ext2_ext_header *h = ext_root(ei);

	memset(ei->ei_raw->i_block, 0, sizeof(ei->ei_raw->i_block));
	if (!ei->ei_em->em_extents)
		return;
	ei->ei_raw->i_flags |= le32(EXT2_EXTENTS_FL);
	h->eh_magic = le16(EXT2_EXT_MAGIC);
	h->eh_max = le16(EXT_ROOT_MAX);
}

/* ----------------------------------------------------------- inline data */

/*
 * The value of the in-inode xattr system.data (the part of the data past
 * i_block): *valp, *lenp; none is an empty value.
 */
static int
inline_xattr(struct ext2fs_inode *ei, const uint8_t **valp, size_t *lenp)
{
	int error;

	error = ext2fs_xattr_ibody_find(
	    ei, EXT2_XATTR_INDEX_SYSTEM, "data", valp, lenp);
	if (error == ENODATA) {
		*valp = NULL;
		*lenp = 0;
		return 0;
	}
	return error;
}

int
ext2fs_inline_read(
    struct ext2fs_inode *ei, uint64_t off, void *buf, size_t len, size_t *got)
{
	const uint8_t *ib = (const uint8_t *)ei->ei_raw->i_block, *xv;
	uint64_t size = ext2fs_isize(ei);
	size_t xlen, n = 0;
	int error;

	*got = 0;
	if ((error = inline_xattr(ei, &xv, &xlen)) != 0)
		return error;
	if (size > sizeof(ei->ei_raw->i_block) + xlen)
		return EUCLEAN;
	while (n < len && off < size) {
		if (off < sizeof(ei->ei_raw->i_block))
			((uint8_t *)buf)[n] = ib[off];
		else
			((uint8_t *)buf)[n] =
			    xv[off - sizeof(ei->ei_raw->i_block)];
		n++;
		off++;
	}
	*got = n;
	return 0;
}
