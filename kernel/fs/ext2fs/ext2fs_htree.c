/*
 * ext2fs_htree.c — hashed directories (htree, dir_index): the name
 * hashes of ext3/ext4, lookups through the index, inserts that keep it
 * valid, and turning a linear directory into an indexed one.
 *
 * The format is in ext2fs_format.h (struct ext2_dx_*).  A lookup hashes
 * the name, walks from the root down the index levels by binary search
 * (the last entry whose hash is at most the name's) and searches that
 * leaf; when the next leaf's hash, without its collision bit, is the
 * name's hash too, the run of that hash goes on there, so the search
 * does.  An insert goes to the leaf a lookup would search; a full leaf is
 * split: its records and the new one are sorted by hash, the upper half
 * by size moves to a new block at the end of the directory (whose index
 * entry gets the collision bit when the halves share a hash), and the
 * new leaf's entry goes into its index node.  A full index node splits in
 * two the same way, up to the root; a full root moves its entries into a
 * new node and the tree grows a level (2 levels, 3 with large_dir; past
 * that the directory is full: ENOSPC).  The blocks an insert needs are
 * allocated before anything changes, so a failure leaves the tree as it
 * was.
 *
 * Every field read from an index block is checked (the dot records, root
 * info, count and limit, block numbers, hash order, the checksum with
 * metadata_csum); a bad one is EUCLEAN.  Blocks held along a path are
 * distinct device blocks, so a corrupt index cannot make a path wait on
 * a buffer it holds.
 *
 * Callers hold the directory's vnode lock: W to change it, R to look up.
 */
#include "ext2fs_dir_impl.h"

/* ---------------------------------------------------------------- hashes */

/*
 * The num words a round of half_md4 or tea takes: the bytes of the name
 * (as signed or unsigned chars), four to a word, padded with its length.
 */
static void
hash_str2buf(const uint8_t *msg, size_t len, uint32_t *buf, int num, bool uns)
{
	uint32_t pad, val;

	pad = (uint32_t)len | ((uint32_t)len << 8);
	pad |= pad << 16;
	val = pad;
	if (len > (size_t)num * 4)
		len = (size_t)num * 4;
	for (size_t i = 0; i < len; i++) {
		int c = uns ? (int)msg[i] : (int)(int8_t)msg[i];

		val = (uint32_t)c + (val << 8);
		if (i % 4 == 3) {
			*buf++ = val;
			val = pad;
			num--;
		}
	}
	if (--num >= 0)
		*buf++ = val;
	while (--num >= 0)
		*buf++ = pad;
}

/* ext3's first hash ("legacy"). */
static uint32_t
hash_legacy(const uint8_t *name, size_t len, bool uns)
{
	uint32_t h, h0 = 0x12a3fe2d, h1 = 0x37abe8f9;

	for (size_t i = 0; i < len; i++) {
		int c = uns ? (int)name[i] : (int)(int8_t)name[i];

		h = h1 + (h0 ^ (uint32_t)(c * 7152373));
		if (h & 0x80000000u)
			h -= 0x7fffffff;
		h1 = h0;
		h0 = h;
	}
	return h0 << 1;
}

static uint32_t
rol32(uint32_t x, unsigned s)
{
	return (x << s) | (x >> (32 - s));
}

/* Half of MD4's rounds over 8 words. */
static void
hash_half_md4(uint32_t buf[4], const uint32_t in[8])
{
#define MD4_F(x, y, z)                ((z) ^ ((x) & ((y) ^ (z))))
#define MD4_G(x, y, z)                (((x) & (y)) + (((x) ^ (y)) & (z)))
#define MD4_H(x, y, z)                ((x) ^ (y) ^ (z))
#define MD4_STEP(f, a, b, c, d, x, s) ((a) = rol32((a) + f(b, c, d) + (x), s))
	static const uint32_t k2 = 0x5A827999u, k3 = 0x6ED9EBA1u;
	uint32_t a = buf[0], b = buf[1], c = buf[2], d = buf[3];

	MD4_STEP(MD4_F, a, b, c, d, in[0], 3);
	MD4_STEP(MD4_F, d, a, b, c, in[1], 7);
	MD4_STEP(MD4_F, c, d, a, b, in[2], 11);
	MD4_STEP(MD4_F, b, c, d, a, in[3], 19);
	MD4_STEP(MD4_F, a, b, c, d, in[4], 3);
	MD4_STEP(MD4_F, d, a, b, c, in[5], 7);
	MD4_STEP(MD4_F, c, d, a, b, in[6], 11);
	MD4_STEP(MD4_F, b, c, d, a, in[7], 19);

	MD4_STEP(MD4_G, a, b, c, d, in[1] + k2, 3);
	MD4_STEP(MD4_G, d, a, b, c, in[3] + k2, 5);
	MD4_STEP(MD4_G, c, d, a, b, in[5] + k2, 9);
	MD4_STEP(MD4_G, b, c, d, a, in[7] + k2, 13);
	MD4_STEP(MD4_G, a, b, c, d, in[0] + k2, 3);
	MD4_STEP(MD4_G, d, a, b, c, in[2] + k2, 5);
	MD4_STEP(MD4_G, c, d, a, b, in[4] + k2, 9);
	MD4_STEP(MD4_G, b, c, d, a, in[6] + k2, 13);

	MD4_STEP(MD4_H, a, b, c, d, in[3] + k3, 3);
	MD4_STEP(MD4_H, d, a, b, c, in[7] + k3, 9);
	MD4_STEP(MD4_H, c, d, a, b, in[2] + k3, 11);
	MD4_STEP(MD4_H, b, c, d, a, in[6] + k3, 15);
	MD4_STEP(MD4_H, a, b, c, d, in[1] + k3, 3);
	MD4_STEP(MD4_H, d, a, b, c, in[5] + k3, 9);
	MD4_STEP(MD4_H, c, d, a, b, in[0] + k3, 11);
	MD4_STEP(MD4_H, b, c, d, a, in[4] + k3, 15);
#undef MD4_F
#undef MD4_G
#undef MD4_H
#undef MD4_STEP
	buf[0] += a;
	buf[1] += b;
	buf[2] += c;
	buf[3] += d;
}

/* 16 rounds of TEA over 4 words. */
static void
hash_tea(uint32_t buf[4], const uint32_t in[4])
{
	uint32_t sum = 0, b0 = buf[0], b1 = buf[1];

	for (int n = 0; n < 16; n++) {
		sum += 0x9E3779B9u;
		b0 += ((b1 << 4) + in[0]) ^ (b1 + sum) ^ ((b1 >> 5) + in[1]);
		b1 += ((b0 << 4) + in[2]) ^ (b0 + sum) ^ ((b0 >> 5) + in[3]);
	}
	buf[0] += b0;
	buf[1] += b1;
}

/*
 * The hash of name under version (0-5: legacy, half_md4, tea, then the
 * same with unsigned chars), seeded by the superblock's s_hash_seed,
 * with the low (collision) bit clear.
 */
static int
dx_hash(struct ext2fs_mount *em, unsigned version, const char *name, size_t len,
    uint32_t *hashp)
{
	const uint8_t *p = (const uint8_t *)name;
	uint32_t buf[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
	uint32_t in[8], h;
	bool uns = version >= EXT2_DX_HASH_UNSIGNED;
	ssize_t left = (ssize_t)len;

	for (int i = 0; i < 4; i++) {
		if (em->em_sb.s_hash_seed[i] != 0) {
			for (int j = 0; j < 4; j++)
				buf[j] = le32(em->em_sb.s_hash_seed[j]);
			break;
		}
	}
	switch (version) {
	case EXT2_DX_HASH_LEGACY:
	case EXT2_DX_HASH_LEGACY + EXT2_DX_HASH_UNSIGNED:
		h = hash_legacy(p, len, uns);
		break;
	case EXT2_DX_HASH_HALF_MD4:
	case EXT2_DX_HASH_HALF_MD4 + EXT2_DX_HASH_UNSIGNED:
		for (; left > 0; left -= 32, p += 32) {
			hash_str2buf(p, (size_t)left, in, 8, uns);
			hash_half_md4(buf, in);
		}
		h = buf[1];
		break;
	case EXT2_DX_HASH_TEA:
	case EXT2_DX_HASH_TEA + EXT2_DX_HASH_UNSIGNED:
		for (; left > 0; left -= 16, p += 16) {
			hash_str2buf(p, (size_t)left, in, 4, uns);
			hash_tea(buf, in);
		}
		h = buf[0];
		break;
	default:
		return EUCLEAN;
	}
	h &= ~1u;
	if (h == 0x7fffffffu << 1) /* the end-of-directory marker */
		h = (0x7fffffffu - 1) << 1;
	*hashp = h;
	return 0;
}

/* The version of the root (0-2) as the image's hashes use it (0-5). */
static unsigned
dx_version(struct ext2fs_mount *em, unsigned root_version)
{
	if (le32(em->em_sb.s_flags) & EXT2_FLAGS_UNSIGNED_HASH)
		return root_version + EXT2_DX_HASH_UNSIGNED;
	return root_version;
}

/* ---------------------------------------------------------- index blocks */

/*
 * One index block on a path from the root: busy in f_bp (NULL once put
 * back), its entries, and which of them the path follows.
 */
struct dx_frame {
	struct buf *f_bp;
	struct ext2_dx_entry *f_ents; /* f_ents[0] holds count and limit */
	uint64_t f_lblk;
	int64_t f_pblk;
	unsigned f_count, f_limit;
	unsigned f_at;
	uint32_t f_next; /* the hash of entry f_at + 1, if there is one */
	unsigned f_off;  /* of f_ents in the block */
	bool f_dirty;
};

struct dx_path {
	struct dx_frame p_fr[EXT2_DX_LEVELS_LARGE + 1];
	unsigned p_levels; /* indirect levels: p_fr[0..p_levels] are index */
	unsigned p_version;
	uint32_t p_hash;
};

static unsigned
dx_tailsize(struct ext2fs_mount *em)
{
	return em->em_csum ? sizeof(struct ext2_dx_tail) : 0;
}

static unsigned
dx_limit(struct ext2fs_mount *em, unsigned off)
{
	return (em->em_bsize - off - dx_tailsize(em)) /
	    sizeof(struct ext2_dx_entry);
}

static unsigned
dx_maxlevels(struct ext2fs_mount *em)
{
	return EXT2_HAS_INCOMPAT(em, EXT2_INCOMPAT_LARGEDIR)
	    ? EXT2_DX_LEVELS_LARGE
	    : EXT2_DX_LEVELS;
}

static struct ext2_dx_countlimit *
dx_cl(struct ext2_dx_entry *ents)
{
	return (struct ext2_dx_countlimit *)ents;
}

static uint32_t
dxe_block(const struct ext2_dx_entry *e)
{
	return le32(e->dxe_block) & EXT2_DX_BLOCK_MASK;
}

/* The hash an entry starts at (entry 0: 0), collision bit included. */
static uint32_t
dxe_hash(const struct dx_frame *f, unsigned i)
{
	return i == 0 ? 0 : le32(f->f_ents[i].dxe_hash);
}

static uint64_t
dir_nblocks(struct ext2fs_inode *dei)
{
	return ext2fs_isize(dei) >> dei->ei_em->em_bshift;
}

/* The crc32c of an index block: the entries in use, then the tail. */
static uint32_t
dx_csum(struct ext2fs_inode *dei, const uint8_t *data, unsigned off,
    unsigned count, unsigned limit)
{
	const struct ext2_dx_tail *t = (const struct ext2_dx_tail *)(data +
	    off + limit * sizeof(struct ext2_dx_entry));
	uint32_t zero = 0, crc;

	crc = ext2fs_crc32c(
	    dei->ei_seed, data, off + count * sizeof(struct ext2_dx_entry));
	crc = ext2fs_crc32c(crc, &t->dxt_reserved, sizeof(t->dxt_reserved));
	return ext2fs_crc32c(crc, &zero, sizeof(zero));
}

static void
dx_csum_set(struct ext2fs_inode *dei, uint8_t *data, unsigned off,
    unsigned count, unsigned limit)
{
	struct ext2_dx_tail *t = (struct ext2_dx_tail *)(data + off +
	    limit * sizeof(struct ext2_dx_entry));

	if (!dei->ei_em->em_csum)
		return;
	t->dxt_checksum = le32(dx_csum(dei, data, off, count, limit));
}

static int
dx_bad(struct ext2fs_inode *dei, uint64_t lblk, const char *why)
{
	printf("ext2fs: directory %u: index block %llu: %s\n", dei->ei_ino,
	    (unsigned long long)lblk, why);
	return EUCLEAN;
}

/* Whether "." and ".." at the start of data are laid out as a root's. */
static bool
dx_root_dots(struct ext2fs_mount *em, const uint8_t *data)
{
	const struct ext2_dirent *d = (const struct ext2_dirent *)data;
	const struct ext2_dirent *dd = (const struct ext2_dirent *)(data + 12);

	return d->d_inode != 0 && ext2fs_rec_len_get(em, d) == 12 &&
	    ext2fs_name_len(em, d) == 1 && d->d_name[0] == '.' &&
	    dd->d_inode != 0 && ext2fs_name_len(em, dd) == 2 &&
	    dd->d_name[0] == '.' && dd->d_name[1] == '.';
}

/*
 * Reads index block lblk as level lv of path (the root when lv is 0):
 * at device block pblk, or where the directory maps it (pblk 0).  Checks
 * every field; the buffer stays busy in the frame.
 */
static int
dx_frame_read(struct ext2fs_inode *dei, struct dx_path *path, unsigned lv,
    uint64_t lblk, uint64_t pblk)
{
	struct ext2fs_mount *em = dei->ei_em;
	struct dx_frame *f = &path->p_fr[lv];
	uint64_t nblocks = dir_nblocks(dei), run;
	const struct ext2_dirent *d;
	unsigned off, limit, count;
	struct buf *bp;
	uint8_t *data;
	const char *why;
	int error;

	f->f_bp = NULL;
	if (lblk >= nblocks || (lv > 0 && lblk == 0))
		return dx_bad(dei, lblk, "outside the directory");
	if (pblk == 0) {
		if ((error = ext2fs_bmap(dei, lblk, &pblk, &run)) != 0)
			return error;
		if (pblk == 0)
			return dx_bad(dei, lblk, "a hole");
	}
	for (unsigned i = 0; i < lv; i++)
		if (path->p_fr[i].f_pblk == (int64_t)pblk)
			return dx_bad(dei, lblk, "a loop");
	if ((error = ext2fs_bread(em, pblk, &bp)) != 0)
		return error;
	data = bp->b_data;
	d = (const struct ext2_dirent *)data;
	if (lv == 0) {
		const struct ext2_dx_root_info *ri =
		    (const struct ext2_dx_root_info *)(data +
		        EXT2_DX_ROOT_INFO_OFF);
		const struct ext2_dirent *dd =
		    (const struct ext2_dirent *)(data + 12);

		why = "bad root";
		if (!dx_root_dots(em, data) ||
		    ext2fs_rec_len_get(em, dd) != em->em_bsize - 12 ||
		    ri->dri_reserved_zero != 0 ||
		    ri->dri_info_length != sizeof(*ri))
			goto bad;
		why = "unknown hash";
		if (ri->dri_hash_version > EXT2_DX_HASH_TEA ||
		    (ri->dri_unused_flags & EXT2_DX_FLAG_INCOMPAT) != 0)
			goto bad;
		why = "too deep";
		if (ri->dri_indirect_levels >= dx_maxlevels(em))
			goto bad;
		path->p_levels = ri->dri_indirect_levels;
		path->p_version = dx_version(em, ri->dri_hash_version);
		off = EXT2_DX_ROOT_ENTS_OFF;
	} else {
		why = "not an index node";
		if (d->d_inode != 0 ||
		    ext2fs_rec_len_get(em, d) != em->em_bsize)
			goto bad;
		off = EXT2_DX_NODE_ENTS_OFF;
	}
	f->f_ents = (struct ext2_dx_entry *)(data + off);
	limit = le16(dx_cl(f->f_ents)->dxc_limit);
	count = le16(dx_cl(f->f_ents)->dxc_count);
	why = "bad count or limit";
	if (limit != dx_limit(em, off) || count == 0 || count > limit)
		goto bad;
	why = "checksum mismatch";
	if (em->em_csum) {
		const struct ext2_dx_tail *t =
		    (const struct ext2_dx_tail *)(data + off +
		        limit * sizeof(struct ext2_dx_entry));

		if (le32(t->dxt_checksum) !=
		    dx_csum(dei, data, off, count, limit))
			goto bad;
	}
	f->f_count = count;
	for (unsigned i = 0; i < count; i++) {
		uint32_t b = dxe_block(&f->f_ents[i]);

		why = "bad block number";
		if (b == 0 || b >= nblocks)
			goto bad;
		why = "hashes out of order";
		if (i >= 2 &&
		    (dxe_hash(f, i) & ~1u) < (dxe_hash(f, i - 1) & ~1u))
			goto bad;
	}
	f->f_bp = bp;
	f->f_lblk = lblk;
	f->f_pblk = (int64_t)pblk;
	f->f_limit = limit;
	f->f_off = off;
	f->f_dirty = false;
	return 0;
bad:
	brelse(bp);
	return dx_bad(dei, lblk, why);
}

/* Puts back the frame's buffer: written (with its checksum) if changed. */
static void
dx_frame_put(struct ext2fs_inode *dei, struct dx_frame *f)
{
	if (f->f_bp == NULL)
		return;
	if (f->f_dirty) {
		dx_csum_set(
		    dei, f->f_bp->b_data, f->f_off, f->f_count, f->f_limit);
		ext2fs_bdwrite_meta(dei->ei_em, f->f_bp);
	} else {
		brelse(f->f_bp);
	}
	f->f_bp = NULL;
	f->f_dirty = false;
}

static void
dx_path_put(struct ext2fs_inode *dei, struct dx_path *path)
{
	for (unsigned i = 0; i < nitems(path->p_fr); i++)
		dx_frame_put(dei, &path->p_fr[i]);
}

/* The frame follows entry at (its buffer busy): notes the next hash. */
static void
dx_follow(struct dx_frame *f, unsigned at)
{
	f->f_at = at;
	f->f_next = at + 1 < f->f_count ? dxe_hash(f, at + 1) : 0;
}

/* The last entry whose hash is at most hash (entry 0 starts at 0). */
static unsigned
dx_search(const struct dx_frame *f, uint32_t hash)
{
	unsigned lo = 1, hi = f->f_count, at = 0;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (dxe_hash(f, mid) > hash) {
			hi = mid;
		} else {
			at = mid;
			lo = mid + 1;
		}
	}
	return at;
}

/*
 * Walks the index from the root to the leaf for name: each frame's
 * place, device block and count are kept, its buffer is put back (no
 * buffer is busy when this returns).  *leafp: the leaf's logical block.
 */
static int
dx_probe(struct ext2fs_inode *dei, const char *name, size_t namelen,
    struct dx_path *path, uint64_t *leafp)
{
	uint64_t lblk = 0;
	int error;

	memset(path, 0, sizeof(*path));
	for (unsigned lv = 0;; lv++) {
		struct dx_frame *f = &path->p_fr[lv];

		if ((error = dx_frame_read(dei, path, lv, lblk, 0)) != 0)
			return error;
		if (lv == 0 &&
		    (error = dx_hash(dei->ei_em, path->p_version, name, namelen,
		         &path->p_hash)) != 0) {
			dx_frame_put(dei, f);
			return error;
		}
		dx_follow(f, dx_search(f, path->p_hash));
		lblk = dxe_block(&f->f_ents[f->f_at]);
		dx_frame_put(dei, f);
		if (lv == path->p_levels) {
			*leafp = lblk;
			return 0;
		}
	}
}

/* Whether the run of path's hash goes on past the leaf path is at. */
static bool
dx_runs_on(const struct dx_path *path)
{
	for (int lv = (int)path->p_levels; lv >= 0; lv--) {
		const struct dx_frame *f = &path->p_fr[lv];

		if (f->f_at + 1 < f->f_count)
			return (f->f_next & ~1u) == path->p_hash;
	}
	return false;
}

/*
 * Moves path to the next leaf if that leaf goes on with the run of
 * path's hash (*morep); no buffer is busy before or after.
 */
static int
dx_next(struct ext2fs_inode *dei, struct dx_path *path, uint64_t *leafp,
    bool *morep)
{
	struct dx_frame *f;
	unsigned lv = path->p_levels, at;
	uint32_t blk;
	int error;

	*morep = false;
	for (;;) {
		f = &path->p_fr[lv];
		if (f->f_at + 1 < f->f_count)
			break;
		if (lv == 0)
			return 0;
		lv--;
	}
	/* Most runs end here, without reading the node again. */
	if ((f->f_next & ~1u) != path->p_hash)
		return 0;
	at = f->f_at + 1;
	if ((error = dx_frame_read(dei, path, lv, f->f_lblk, 0)) != 0)
		return error;
	if (at >= f->f_count || dxe_hash(f, at) != f->f_next) {
		dx_frame_put(dei, f);
		return dx_bad(dei, f->f_lblk, "changed");
	}
	dx_follow(f, at);
	blk = dxe_block(&f->f_ents[at]);
	dx_frame_put(dei, f);
	for (lv++; lv <= path->p_levels; lv++) {
		f = &path->p_fr[lv];
		if ((error = dx_frame_read(dei, path, lv, blk, 0)) != 0)
			return error;
		dx_follow(f, 0);
		blk = dxe_block(&f->f_ents[0]);
		dx_frame_put(dei, f);
	}
	*leafp = blk;
	*morep = true;
	return 0;
}

/*
 * Whether a leaf looks like an index node (a record spanning the block,
 * no tail; without metadata_csum also a node's limit), which a leaf may
 * not be: changing it as a leaf would break the index.
 */
static bool
dx_leaf_is_node(struct ext2fs_mount *em, const uint8_t *data)
{
	const struct ext2_dirent *d = (const struct ext2_dirent *)data;
	const struct ext2_dx_countlimit *cl =
	    (const struct ext2_dx_countlimit *)(data + EXT2_DX_NODE_ENTS_OFF);

	if (d->d_inode != 0 || ext2fs_rec_len_get(em, d) != em->em_bsize)
		return false;
	return em->em_csum ||
	    (d->d_name_len == 0 &&
	        le16(cl->dxc_limit) == dx_limit(em, EXT2_DX_NODE_ENTS_OFF));
}

/* Reads leaf lblk (at pblk, if not 0) of path; checks it is one. */
static int
dx_leaf_read(struct ext2fs_inode *dei, struct dx_path *path, uint64_t lblk,
    uint64_t pblk, struct dirblk *db)
{
	int error;

	if (pblk == 0)
		error = ext2fs_dirblk_read(dei, lblk, db);
	else
		error = ext2fs_dirblk_read_at(dei, lblk, pblk, db);
	if (error)
		return error;
	for (unsigned i = 0; i <= path->p_levels; i++) {
		if (path->p_fr[i].f_pblk == db->db_bp->b_blkno) {
			ext2fs_dirblk_release(db);
			return dx_bad(
			    dei, lblk, "a leaf that is an index block");
		}
	}
	if (dx_leaf_is_node(dei->ei_em, db->db_data)) {
		ext2fs_dirblk_release(db);
		return dx_bad(dei, lblk, "an index node as a leaf");
	}
	return 0;
}

/* -------------------------------------------------------------- lookups */

bool
ext2fs_htree_active(struct ext2fs_inode *dei)
{
	uint32_t fl = le32(dei->ei_raw->i_flags);

	return EXT2_HAS_COMPAT(dei->ei_em, EXT2_COMPAT_DIR_INDEX) &&
	    (fl & EXT2_INDEX_FL) != 0 && (fl & EXT2_INLINE_DATA_FL) == 0;
}

int
ext2fs_htree_find(struct ext2fs_inode *dei, const char *name, size_t namelen,
    struct dirblk *db, uint64_t *lblkp, unsigned *offp, int *prevp)
{
	struct dx_path path;
	uint64_t leaf;
	bool more;
	int error;

	if ((error = dx_probe(dei, name, namelen, &path, &leaf)) != 0)
		return error;
	for (;;) {
		if ((error = dx_leaf_read(dei, &path, leaf, 0, db)) != 0)
			return error;
		if (ext2fs_dirblk_find(
		        dei->ei_em, db, name, namelen, offp, prevp)) {
			*lblkp = leaf;
			return 0;
		}
		ext2fs_dirblk_release(db);
		if ((error = dx_next(dei, &path, &leaf, &more)) != 0)
			return error;
		if (!more)
			return ENOENT;
	}
}

/* -------------------------------------------------------------- inserts */

/* A record of a leaf being split: its hash, offset and size. */
struct dx_map {
	uint32_t m_hash;
	uint32_t m_off; /* DX_NEWREC: the record being entered */
	uint32_t m_size;
};
#define DX_NEWREC UINT32_MAX

/* Scratch of a split, allocated before anything changes. */
struct dx_work {
	struct dx_map *w_map;
	size_t w_mapsize;
	uint8_t *w_blk; /* a block, to compact a leaf in */
};

static int
dx_work_get(struct ext2fs_mount *em, struct dx_work *w)
{
	w->w_mapsize =
	    (em->em_bsize / EXT2_DIRENT_LEN(1) + 2) * sizeof(struct dx_map);
	w->w_map = kmem_alloc(w->w_mapsize, KM_SLEEP);
	w->w_blk = kmem_alloc(em->em_bsize, KM_SLEEP);
	if (w->w_map == NULL || w->w_blk == NULL)
		return ENOMEM;
	return 0;
}

static void
dx_work_put(struct ext2fs_mount *em, struct dx_work *w)
{
	if (w->w_map != NULL)
		kmem_free(w->w_map, w->w_mapsize);
	if (w->w_blk != NULL)
		kmem_free(w->w_blk, em->em_bsize);
}

static bool
dx_map_less(const struct dx_map *a, const struct dx_map *b)
{
	return a->m_hash < b->m_hash ||
	    (a->m_hash == b->m_hash && a->m_off < b->m_off);
}

/* Shell sort by (hash, offset). */
static void
dx_map_sort(struct dx_map *m, unsigned n)
{
	static const unsigned gaps[] = {701, 301, 132, 57, 23, 10, 4, 1};

	for (size_t g = 0; g < nitems(gaps); g++) {
		unsigned gap = gaps[g];

		for (unsigned i = gap; i < n; i++) {
			struct dx_map t = m[i];
			unsigned j = i;

			for (; j >= gap && dx_map_less(&t, &m[j - gap]);
			     j -= gap)
				m[j] = m[j - gap];
			m[j] = t;
		}
	}
}

/*
 * Blocks lblk n.. n+cnt-1 appended to the directory (its size follows);
 * their device blocks in pblks.  Nothing may be busy: the block map and
 * the inode are written.  A failure gives back what was got.
 */
static int
dx_append(struct ext2fs_inode *dei, unsigned cnt, uint64_t *pblks)
{
	struct ext2fs_mount *em = dei->ei_em;
	uint64_t n = dir_nblocks(dei);
	bool isnew;
	int error;

	if ((n + cnt) << em->em_bshift > em->em_maxsize ||
	    n + cnt > EXT2_DX_BLOCK_MASK)
		return EFBIG;
	for (unsigned i = 0; i < cnt; i++) {
		error = ext2fs_bmap_alloc(dei, n + i, &pblks[i], &isnew);
		if (error) {
			(void)ext2fs_trunc_blocks(dei, n);
			(void)ext2fs_iupdate(dei);
			return error;
		}
	}
	ext2fs_isize_set(dei, (n + cnt) << em->em_bshift);
	return 0;
}

/* A new, empty index node with count entries, limit set. */
static struct ext2_dx_entry *
dx_node_init(struct ext2fs_mount *em, uint8_t *data, unsigned count)
{
	struct ext2_dirent *d = (struct ext2_dirent *)data;
	struct ext2_dx_entry *ents =
	    (struct ext2_dx_entry *)(data + EXT2_DX_NODE_ENTS_OFF);

	memset(data, 0, em->em_bsize);
	ext2fs_rec_len_set(em, d, em->em_bsize);
	dx_cl(ents)->dxc_limit =
	    le16((uint16_t)dx_limit(em, EXT2_DX_NODE_ENTS_OFF));
	dx_cl(ents)->dxc_count = le16((uint16_t)count);
	return ents;
}

static void
dx_count_set(struct dx_frame *f, unsigned count)
{
	f->f_count = count;
	dx_cl(f->f_ents)->dxc_count = le16((uint16_t)count);
	f->f_dirty = true;
}

/* Inserts (hash, blk) at pos (1..count) of a frame with room. */
static void
dx_insert_ent(struct dx_frame *f, unsigned pos, uint32_t hash, uint32_t blk)
{
	KASSERT(f->f_count < f->f_limit && pos >= 1 && pos <= f->f_count);
	memmove(&f->f_ents[pos + 1], &f->f_ents[pos],
	    (f->f_count - pos) * sizeof(struct ext2_dx_entry));
	f->f_ents[pos].dxe_hash = le32(hash);
	f->f_ents[pos].dxe_block = le32(blk);
	dx_count_set(f, f->f_count + 1);
}

/*
 * Splits the full leaf db for a record of name: the upper half (by
 * size) of its records and the new one, sorted by hash, moves to the new
 * block nb (logical nlblk), the others stay where they are; the new
 * record goes where its hash falls.  *hashp: the new block's index hash.
 */
static void
dx_split_leaf(struct ext2fs_inode *dei, struct dx_path *path, struct dx_work *w,
    struct dirblk *db, struct buf *nb, const char *name, size_t namelen,
    uint32_t ino, uint8_t ft, uint32_t *hashp)
{
	struct ext2fs_mount *em = dei->ei_em;
	struct dx_map *map = w->w_map;
	unsigned k = 0, s, off, total = 0, moved = 0;
	struct dirblk db2 = {.db_bp = nb, .db_data = nb->b_data};
	struct dirblk *target = db;
	int prev;
	bool ok;

	for (off = 0; off < db->db_end;) {
		struct ext2_dirent *d =
		    (struct ext2_dirent *)(db->db_data + off);
		unsigned nl = ext2fs_name_len(em, d);

		if (d->d_inode != 0) {
			KASSERT(k + 1 < w->w_mapsize / sizeof(*map));
			/* The version was checked with the root. */
			(void)dx_hash(
			    em, path->p_version, d->d_name, nl, &map[k].m_hash);
			map[k].m_off = off;
			map[k].m_size = EXT2_DIRENT_LEN(nl);
			total += map[k++].m_size;
		}
		off += ext2fs_rec_len_get(em, d);
	}
	map[k].m_hash = path->p_hash;
	map[k].m_off = DX_NEWREC;
	map[k].m_size = EXT2_DIRENT_LEN(namelen);
	total += map[k++].m_size;
	KASSERT(k >= 2);
	dx_map_sort(map, k);
	for (s = k; s > 1 && moved + map[s - 1].m_size <= total / 2; s--)
		moved += map[s - 1].m_size;
	if (s == k)
		s = k - 1;
	*hashp = map[s].m_hash | (map[s - 1].m_hash == map[s].m_hash ? 1 : 0);

	/* The new block: the moved records one after another. */
	ext2fs_dirblk_empty(dei, &db2);
	off = 0;
	prev = -1;
	for (unsigned i = s; i < k; i++) {
		struct ext2_dirent *d;

		if (map[i].m_off == DX_NEWREC) {
			target = &db2;
			continue;
		}
		d = (struct ext2_dirent *)(db->db_data + map[i].m_off);
		memcpy(db2.db_data + off, d, map[i].m_size);
		ext2fs_rec_len_set(em,
		    (struct ext2_dirent *)(db2.db_data + off), map[i].m_size);
		d->d_inode = 0; /* gone from the old block */
		prev = (int)off;
		off += map[i].m_size;
	}
	if (prev >= 0)
		ext2fs_rec_len_set(em,
		    (struct ext2_dirent *)(db2.db_data + prev),
		    db2.db_end - (unsigned)prev);

	/* The old block: each freed record merges into its predecessor. */
	prev = -1;
	for (off = 0; off < db->db_end;) {
		struct ext2_dirent *d =
		    (struct ext2_dirent *)(db->db_data + off);
		unsigned rl = ext2fs_rec_len_get(em, d);

		if (d->d_inode == 0 && prev >= 0) {
			struct ext2_dirent *p =
			    (struct ext2_dirent *)(db->db_data + prev);

			ext2fs_rec_len_set(
			    em, p, ext2fs_rec_len_get(em, p) + rl);
		} else {
			prev = (int)off;
		}
		off += rl;
	}

	ok = ext2fs_dirblk_insert(em, target, name, namelen, ino, ft);
	if (!ok) {
		/*
		 * The space freed is in pieces too small: pack the block.
		 * (Only here do records move within a block.)  What stays
		 * is at most half the records and one more, so it fits.
		 */
		unsigned to = 0;

		KASSERT(target == db);
		prev = -1;
		for (off = 0; off < db->db_end;) {
			struct ext2_dirent *d =
			    (struct ext2_dirent *)(db->db_data + off);
			unsigned rl = ext2fs_rec_len_get(em, d);

			if (d->d_inode != 0) {
				unsigned sz =
				    EXT2_DIRENT_LEN(ext2fs_name_len(em, d));

				memcpy(w->w_blk + to, d, sz);
				ext2fs_rec_len_set(em,
				    (struct ext2_dirent *)(w->w_blk + to), sz);
				prev = (int)to;
				to += sz;
			}
			off += rl;
		}
		memset(w->w_blk + to, 0, db->db_end - to);
		if (prev >= 0)
			ext2fs_rec_len_set(em,
			    (struct ext2_dirent *)(w->w_blk + prev),
			    db->db_end - (unsigned)prev);
		else
			ext2fs_rec_len_set(
			    em, (struct ext2_dirent *)w->w_blk, db->db_end);
		memcpy(db->db_data, w->w_blk, db->db_end);
		ok = ext2fs_dirblk_insert(em, db, name, namelen, ino, ft);
		KASSERT(ok);
	}
	ext2fs_dirblk_write(dei, &db2);
	ext2fs_dirblk_write(dei, db);
}

/*
 * Enters (hash, blk) after the place path follows at level lv, splitting
 * full nodes upwards and growing the tree at a full root, with the new
 * blocks nb[0..] (logical nlblk..).  Returns how many it used.
 */
static unsigned
dx_insert(struct ext2fs_inode *dei, struct dx_path *path, unsigned lv,
    uint32_t hash, uint32_t blk, struct buf **nb, uint32_t nlblk)
{
	struct ext2fs_mount *em = dei->ei_em;
	unsigned used = 0;

	for (;;) {
		struct dx_frame *f = &path->p_fr[lv];
		struct ext2_dx_entry *ents;

		if (f->f_count < f->f_limit) {
			dx_insert_ent(f, f->f_at + 1, hash, blk);
			return used;
		}
		if (lv == 0) {
			/* The root moves into a new node, one level down. */
			struct dx_frame *nf;
			struct ext2_dx_root_info *ri =
			    (struct ext2_dx_root_info *)((uint8_t *)
			                                     f->f_bp->b_data +
			        EXT2_DX_ROOT_INFO_OFF);

			KASSERT(path->p_levels + 1 < dx_maxlevels(em));
			memmove(&path->p_fr[2], &path->p_fr[1],
			    path->p_levels * sizeof(path->p_fr[0]));
			nf = &path->p_fr[1];
			ents = dx_node_init(em, nb[used]->b_data, f->f_count);
			ents[0].dxe_block = f->f_ents[0].dxe_block;
			memcpy(&ents[1], &f->f_ents[1],
			    (f->f_count - 1) * sizeof(*ents));
			nf->f_bp = nb[used];
			nf->f_ents = ents;
			nf->f_lblk = nlblk + used;
			nf->f_pblk = nb[used]->b_blkno;
			nf->f_count = f->f_count;
			nf->f_limit = dx_limit(em, EXT2_DX_NODE_ENTS_OFF);
			nf->f_at = f->f_at;
			nf->f_off = EXT2_DX_NODE_ENTS_OFF;
			nf->f_dirty = true;
			f->f_ents[0].dxe_block = le32(nlblk + used);
			f->f_at = 0;
			dx_count_set(f, 1);
			ri->dri_indirect_levels++;
			path->p_levels++;
			used++;
			lv = 1;
			continue;
		}
		/* A full node: its upper half moves to a new node. */
		{
			unsigned c = f->f_count, m = c / 2, pos = f->f_at + 1;
			struct dx_frame nf = {
			    .f_bp = nb[used],
			    .f_lblk = nlblk + used,
			    .f_pblk = nb[used]->b_blkno,
			    .f_count = c - m,
			    .f_limit = dx_limit(em, EXT2_DX_NODE_ENTS_OFF),
			    .f_off = EXT2_DX_NODE_ENTS_OFF,
			    .f_dirty = true,
			};
			uint32_t sep = le32(f->f_ents[m].dxe_hash);

			nf.f_ents = dx_node_init(em, nb[used]->b_data, c - m);
			nf.f_ents[0].dxe_block = f->f_ents[m].dxe_block;
			memcpy(&nf.f_ents[1], &f->f_ents[m + 1],
			    (c - m - 1) * sizeof(struct ext2_dx_entry));
			dx_count_set(f, m);
			if (pos <= m)
				dx_insert_ent(f, pos, hash, blk);
			else
				dx_insert_ent(&nf, pos - m, hash, blk);
			dx_frame_put(dei, &nf);
			hash = sep;
			blk = nlblk + used;
			used++;
			lv--;
		}
	}
}

int
ext2fs_htree_enter(struct ext2fs_inode *dei, const char *name, size_t namelen,
    uint32_t ino, uint8_t ft)
{
	struct ext2fs_mount *em = dei->ei_em;
	uint64_t pblks[EXT2_DX_LEVELS_LARGE + 1], leaf, leafpblk, n, run;
	struct buf *nb[EXT2_DX_LEVELS_LARGE + 1];
	struct dx_work w = {NULL, 0, NULL};
	struct dx_path path;
	struct dirblk db;
	unsigned need, used, lv, off;
	uint32_t hash2;
	int error, prev;

	if ((error = dx_probe(dei, name, namelen, &path, &leaf)) != 0)
		return error;
	if ((error = dx_leaf_read(dei, &path, leaf, 0, &db)) != 0)
		return error;
	/*
	 * The name may not be there yet: not in this leaf, nor in the
	 * leaves its hash runs on into (the callers leave this check here).
	 */
	if (ext2fs_dirblk_find(em, &db, name, namelen, &off, &prev)) {
		ext2fs_dirblk_release(&db);
		return EEXIST;
	}
	if (dx_runs_on(&path)) {
		struct dx_path next = path;
		uint64_t l = leaf;
		bool more;

		/* Nothing may be busy while the index is read. */
		ext2fs_dirblk_release(&db);
		for (;;) {
			if ((error = dx_next(dei, &next, &l, &more)) != 0)
				return error;
			if (!more)
				break;
			if ((error = dx_leaf_read(dei, &next, l, 0, &db)) != 0)
				return error;
			more = ext2fs_dirblk_find(
			    em, &db, name, namelen, &off, &prev);
			ext2fs_dirblk_release(&db);
			if (more)
				return EEXIST;
		}
		if ((error = dx_leaf_read(dei, &path, leaf, 0, &db)) != 0)
			return error;
	}
	if (ext2fs_dirblk_insert(em, &db, name, namelen, ino, ft)) {
		ext2fs_dirblk_write(dei, &db);
		return 0;
	}
	ext2fs_dirblk_release(&db);

	/* A split: a leaf, and an index node for each full level. */
	need = 1;
	for (lv = path.p_levels; path.p_fr[lv].f_count == path.p_fr[lv].f_limit;
	     lv--) {
		need++;
		if (lv == 0) {
			if (path.p_levels + 1 >= dx_maxlevels(em)) {
				printf("ext2fs: directory %u: the index is "
				       "full\n",
				    dei->ei_ino);
				return ENOSPC;
			}
			break;
		}
	}
	if ((error = dx_work_get(em, &w)) != 0)
		goto out;
	if ((error = ext2fs_bmap(dei, leaf, &leafpblk, &run)) != 0)
		goto out;
	n = dir_nblocks(dei);
	if ((error = dx_append(dei, need, pblks)) != 0)
		goto out;

	/*
	 * Now the blocks of the path are taken again by their device
	 * numbers, with nothing else busy (the block map is not read while
	 * they are), and checked to be distinct.
	 */
	for (lv = 0; lv <= path.p_levels; lv++) {
		struct dx_frame *f = &path.p_fr[lv];
		unsigned at = f->f_at, count = f->f_count;

		error = dx_frame_read(
		    dei, &path, lv, f->f_lblk, (uint64_t)f->f_pblk);
		if (error == 0 && (f->f_count != count || at >= count))
			error = dx_bad(dei, f->f_lblk, "changed");
		if (error)
			goto undo;
		f->f_at = at;
	}
	if ((error = dx_leaf_read(dei, &path, leaf, leafpblk, &db)) != 0)
		goto undo;
	for (unsigned i = 0; i < need; i++) {
		bool clash = pblks[i] == (uint64_t)db.db_bp->b_blkno;

		for (lv = 0; lv <= path.p_levels; lv++)
			clash |= pblks[i] == (uint64_t)path.p_fr[lv].f_pblk;
		if (clash) {
			ext2fs_dirblk_release(&db);
			error = dx_bad(dei, n + i, "allocated while in use");
			goto undo;
		}
	}
	for (unsigned i = 0; i < need; i++) {
		if ((error = ext2fs_getblk(em, pblks[i], &nb[i])) != 0) {
			while (i-- > 0)
				brelse(nb[i]);
			ext2fs_dirblk_release(&db);
			goto undo;
		}
	}

	dx_split_leaf(
	    dei, &path, &w, &db, nb[0], name, namelen, ino, ft, &hash2);
	used = 1 +
	    dx_insert(dei, &path, path.p_levels, hash2, (uint32_t)n, &nb[1],
	        (uint32_t)n + 1);
	KASSERT(used == need);
	dx_path_put(dei, &path);
	dx_work_put(em, &w);
	return ext2fs_iupdate(dei);
undo:
	dx_path_put(dei, &path);
	(void)ext2fs_trunc_blocks(dei, n);
	ext2fs_isize_set(dei, n << em->em_bshift);
	(void)ext2fs_iupdate(dei);
out:
	dx_work_put(em, &w);
	return error;
}

/* ------------------------------------------------------ making an index */

int
ext2fs_htree_index(struct ext2fs_inode *dei)
{
	struct ext2fs_mount *em = dei->ei_em;
	struct ext2_dx_root_info *ri;
	struct ext2_dx_entry *ents;
	struct ext2_dirent *dd, *f;
	struct dirblk db, db1;
	unsigned version = em->em_sb.s_def_hash_version, ddrl;
	uint64_t pblk1;
	int error;

	if (!EXT2_HAS_COMPAT(em, EXT2_COMPAT_DIR_INDEX) ||
	    version > EXT2_DX_HASH_TEA || dir_nblocks(dei) != 1 ||
	    (le32(dei->ei_raw->i_flags) & EXT2_INDEX_FL) != 0)
		return EAGAIN;
	if ((error = ext2fs_dirblk_read(dei, 0, &db)) != 0)
		return error;
	ddrl = ext2fs_rec_len_get(em, (struct ext2_dirent *)(db.db_data + 12));
	if (!dx_root_dots(em, db.db_data) || 12 + ddrl > db.db_end) {
		ext2fs_dirblk_release(&db);
		return EAGAIN; /* not laid out as a root can be */
	}
	ext2fs_dirblk_release(&db);
	if ((error = dx_append(dei, 1, &pblk1)) != 0)
		return error;
	if ((error = ext2fs_dirblk_read(dei, 0, &db)) != 0)
		goto undo;
	if (pblk1 == (uint64_t)db.db_bp->b_blkno) {
		ext2fs_dirblk_release(&db);
		error = dx_bad(dei, 1, "allocated while in use");
		goto undo;
	}
	if ((error = ext2fs_getblk(em, pblk1, &db1.db_bp)) != 0) {
		ext2fs_dirblk_release(&db);
		goto undo;
	}

	/* Block 1: all of block 0, "." and ".." made one free record. */
	db1.db_data = db1.db_bp->b_data;
	db1.db_end = db.db_end;
	db1.db_tail = db.db_tail;
	memcpy(db1.db_data, db.db_data, em->em_bsize);
	f = (struct ext2_dirent *)db1.db_data;
	memset(db1.db_data, 0, 12 + ddrl);
	ext2fs_rec_len_set(em, f, 12 + ddrl);
	ext2fs_dirblk_write(dei, &db1);

	/* Block 0: the root, its one entry naming block 1. */
	dd = (struct ext2_dirent *)(db.db_data + 12);
	ext2fs_rec_len_set(em, dd, em->em_bsize - 12);
	memset(db.db_data + 24, 0, em->em_bsize - 24);
	ri = (struct ext2_dx_root_info *)(db.db_data + EXT2_DX_ROOT_INFO_OFF);
	ri->dri_hash_version = (uint8_t)version;
	ri->dri_info_length = sizeof(*ri);
	ents = (struct ext2_dx_entry *)(db.db_data + EXT2_DX_ROOT_ENTS_OFF);
	dx_cl(ents)->dxc_limit =
	    le16((uint16_t)dx_limit(em, EXT2_DX_ROOT_ENTS_OFF));
	dx_cl(ents)->dxc_count = le16(1);
	ents[0].dxe_block = le32(1);
	dx_csum_set(dei, db.db_data, EXT2_DX_ROOT_ENTS_OFF, 1,
	    dx_limit(em, EXT2_DX_ROOT_ENTS_OFF));
	ext2fs_bdwrite_meta(em, db.db_bp);
	dei->ei_raw->i_flags |= le32(EXT2_INDEX_FL);
	return ext2fs_iupdate(dei);
undo:
	(void)ext2fs_trunc_blocks(dei, 1);
	ext2fs_isize_set(dei, em->em_bsize);
	(void)ext2fs_iupdate(dei);
	return error;
}

void
ext2fs_htree_root_changed(struct ext2fs_inode *dei, uint8_t *data)
{
	struct ext2fs_mount *em = dei->ei_em;
	struct ext2_dx_countlimit *cl =
	    (struct ext2_dx_countlimit *)(data + EXT2_DX_ROOT_ENTS_OFF);
	unsigned limit = le16(cl->dxc_limit), count = le16(cl->dxc_count);

	/* A root that does not check stays as bad as it was. */
	if (limit == dx_limit(em, EXT2_DX_ROOT_ENTS_OFF) && count <= limit)
		dx_csum_set(dei, data, EXT2_DX_ROOT_ENTS_OFF, count, limit);
}
