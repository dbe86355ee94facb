/*
 * ext2fs_dir.c — directories: entries in the blocks of a directory file.
 *
 * A directory is a file of whole blocks, each tiled by variable-length
 * records (inode, rec_len, name_len, type, name); a record with inode 0
 * is free space, and with metadata_csum each block ends in a 12-byte
 * tail holding the block's crc32c.  Linear directories are searched
 * block by block.  Hashed ones (htree, dir_index: EXT2_INDEX_FL with the
 * feature) are searched and grown through their index (ext2fs_htree.c);
 * their index blocks look like empty records to a linear reader, as the
 * format intends, so readdir, emptiness and removal work on them the
 * same way.  A linear directory that outgrows its first block becomes
 * indexed, as Linux does it, when the image has dir_index.  (An index on
 * an image without the feature is dropped before a change, as e2fsck
 * would: the directory becomes linear.)
 *
 * Readdir cookies are byte offsets of records in the directory file, in
 * block order also for indexed directories: a removed record merges into
 * its predecessor, so offsets of the others stay, and a cookie that no
 * longer starts a record resumes at the next one.  A split of a full
 * leaf moves half its records to a new block at the end and leaves the
 * others where they were, so a reader misses none of them (it may see a
 * moved one twice).
 *
 * Callers hold the directory's vnode lock: W to change it, R to read.
 */
#include "ext2fs_dir_impl.h"

unsigned
ext2fs_rec_len_get(struct ext2fs_mount *em, const struct ext2_dirent *d)
{
	unsigned l = le16(d->d_rec_len);

	if (em->em_bsize >= 65536 && (l == 65535 || l == 0))
		return 65536;
	return l;
}

void
ext2fs_rec_len_set(struct ext2fs_mount *em, struct ext2_dirent *d, unsigned l)
{
	if (l >= 65536 && em->em_bsize >= 65536)
		l = 65535;
	d->d_rec_len = le16((uint16_t)l);
}

unsigned
ext2fs_name_len(struct ext2fs_mount *em, const struct ext2_dirent *d)
{
	if (em->em_ftype)
		return d->d_name_len;
	return d->d_name_len | (unsigned)d->d_file_type << 8;
}

static uint8_t
file_type(struct ext2fs_mount *em, const struct ext2_dirent *d)
{
	return em->em_ftype && d->d_file_type < EXT2_FT_MAX ? d->d_file_type
	                                                    : EXT2_FT_UNKNOWN;
}

static bool
is_tail(const uint8_t *p)
{
	const struct ext2_dir_tail *t = (const struct ext2_dir_tail *)p;

	return t->det_zero_inode == 0 &&
	    le16(t->det_rec_len) == EXT2_DIR_TAIL_SIZE &&
	    t->det_zero_namelen == 0 && t->det_ft == EXT2_DIR_TAIL_FT;
}

static uint32_t
dir_csum(struct ext2fs_inode *ei, const uint8_t *data)
{
	return ext2fs_crc32c(
	    ei->ei_seed, data, ei->ei_em->em_bsize - EXT2_DIR_TAIL_SIZE);
}

/* Writes the tail (and its checksum) of a block with one, then it out. */
void
ext2fs_dirblk_write(struct ext2fs_inode *ei, struct dirblk *db)
{
	struct ext2fs_mount *em = ei->ei_em;

	if (db->db_tail) {
		struct ext2_dir_tail *t = (struct ext2_dir_tail *)(db->db_data +
		    em->em_bsize - EXT2_DIR_TAIL_SIZE);

		memset(t, 0, sizeof(*t));
		t->det_rec_len = le16(EXT2_DIR_TAIL_SIZE);
		t->det_ft = EXT2_DIR_TAIL_FT;
		t->det_checksum = le32(dir_csum(ei, db->db_data));
	}
	ext2fs_bdwrite_meta(em, db->db_bp);
	db->db_bp = NULL;
}

void
ext2fs_dirblk_release(struct dirblk *db)
{
	if (db->db_bp != NULL)
		brelse(db->db_bp);
	db->db_bp = NULL;
}

/* Whether block lblk of an indexed directory is an htree node. */
static bool
is_dx_node(struct ext2fs_inode *ei, uint64_t lblk, const uint8_t *data)
{
	const struct ext2_dirent *d = (const struct ext2_dirent *)data;

	if (!(le32(ei->ei_raw->i_flags) & EXT2_INDEX_FL))
		return false;
	return lblk == 0 ||
	    (d->d_inode == 0 &&
	        ext2fs_rec_len_get(ei->ei_em, d) == ei->ei_em->em_bsize);
}

/*
 * Checks every record of a block: lengths tile [0, db_end), names fit,
 * inode numbers are in range.
 */
static int
dirblk_check(struct ext2fs_inode *ei, struct dirblk *db)
{
	struct ext2fs_mount *em = ei->ei_em;
	unsigned off = 0;

	while (off < db->db_end) {
		const struct ext2_dirent *d;
		unsigned rl, nl;

		if (db->db_end - off < EXT2_DIRENT_HDR)
			goto bad;
		d = (const struct ext2_dirent *)(db->db_data + off);
		rl = ext2fs_rec_len_get(em, d);
		nl = ext2fs_name_len(em, d);
		if (rl < EXT2_DIRENT_HDR || (rl & 3) != 0 ||
		    rl > db->db_end - off ||
		    (d->d_inode != 0 &&
		        (EXT2_DIRENT_LEN(nl) > rl || nl == 0 ||
		            le32(d->d_inode) > em->em_ninodes)))
			goto bad;
		off += rl;
	}
	return 0;
bad:
	printf("ext2fs: directory %u: bad entry\n", ei->ei_ino);
	return EUCLEAN;
}

/* Reads and checks block lblk of directory ei. */
int
ext2fs_dirblk_read(struct ext2fs_inode *ei, uint64_t lblk, struct dirblk *db)
{
	uint64_t pblk, run;
	int error;

	db->db_bp = NULL;
	if ((error = ext2fs_bmap(ei, lblk, &pblk, &run)) != 0)
		return error;
	if (pblk == 0) {
		printf("ext2fs: directory %u has a hole\n", ei->ei_ino);
		return EUCLEAN;
	}
	return ext2fs_dirblk_read_at(ei, lblk, pblk, db);
}

/* The same, for block lblk known to be at device block pblk. */
int
ext2fs_dirblk_read_at(
    struct ext2fs_inode *ei, uint64_t lblk, uint64_t pblk, struct dirblk *db)
{
	struct ext2fs_mount *em = ei->ei_em;
	int error;

	db->db_bp = NULL;
	if ((error = ext2fs_bread(em, pblk, &db->db_bp)) != 0)
		return error;
	db->db_data = db->db_bp->b_data;
	db->db_end = em->em_bsize;
	db->db_tail = false;
	if (em->em_csum) {
		const uint8_t *t =
		    db->db_data + em->em_bsize - EXT2_DIR_TAIL_SIZE;

		if (is_tail(t)) {
			db->db_tail = true;
			db->db_end -= EXT2_DIR_TAIL_SIZE;
			if (le32(((const struct ext2_dir_tail *)t)
			             ->det_checksum) !=
			    dir_csum(ei, db->db_data)) {
				printf("ext2fs: directory %u: block checksum "
				       "mismatch\n",
				    ei->ei_ino);
				error = EUCLEAN;
				goto fail;
			}
		} else if (!is_dx_node(ei, lblk, db->db_data)) {
			printf("ext2fs: directory %u: block without "
			       "checksum\n",
			    ei->ei_ino);
			error = EUCLEAN;
			goto fail;
		}
	}
	if ((error = dirblk_check(ei, db)) != 0)
		goto fail;
	return 0;
fail:
	ext2fs_dirblk_release(db);
	return error;
}

static uint64_t
dir_nblocks(struct ext2fs_inode *ei)
{
	return ext2fs_isize(ei) >> ei->ei_em->em_bshift;
}

static bool
inline_dir(struct ext2fs_inode *ei)
{
	return (le32(ei->ei_raw->i_flags) & EXT2_INLINE_DATA_FL) != 0;
}

bool
ext2fs_dirblk_find(struct ext2fs_mount *em, struct dirblk *db, const char *name,
    size_t namelen, unsigned *offp, int *prevp)
{
	unsigned off = 0;
	int prev = -1;

	while (off < db->db_end) {
		struct ext2_dirent *d =
		    (struct ext2_dirent *)(db->db_data + off);

		if (d->d_inode != 0 && ext2fs_name_len(em, d) == namelen &&
		    memcmp(d->d_name, name, namelen) == 0) {
			*offp = off;
			*prevp = prev;
			return true;
		}
		prev = (int)off;
		off += ext2fs_rec_len_get(em, d);
	}
	return false;
}

static bool
is_dot_or_dotdot(const char *name, size_t namelen)
{
	return name[0] == '.' &&
	    (namelen == 1 || (namelen == 2 && name[1] == '.'));
}

/*
 * Finds name in the directory: its block (busy, in *db), the record's
 * offset and its predecessor's (-1: first in the block).  "." and ".."
 * are in the first block, also of an indexed directory.
 */
static int
dir_find(struct ext2fs_inode *dei, const char *name, size_t namelen,
    struct dirblk *db, uint64_t *lblkp, unsigned *offp, int *prevp)
{
	struct ext2fs_mount *em = dei->ei_em;
	uint64_t n = dir_nblocks(dei);
	int error;

	if (inline_dir(dei))
		return EOPNOTSUPP;
	if (ext2fs_htree_active(dei)) {
		if (!is_dot_or_dotdot(name, namelen))
			return ext2fs_htree_find(
			    dei, name, namelen, db, lblkp, offp, prevp);
		n = MIN(n, 1);
	}
	for (uint64_t lblk = 0; lblk < n; lblk++) {
		if ((error = ext2fs_dirblk_read(dei, lblk, db)) != 0)
			return error;
		if (ext2fs_dirblk_find(em, db, name, namelen, offp, prevp)) {
			*lblkp = lblk;
			return 0;
		}
		ext2fs_dirblk_release(db);
	}
	return ENOENT;
}

int
ext2fs_dir_lookup(
    struct ext2fs_inode *dei, const char *name, size_t namelen, uint32_t *inop)
{
	struct dirblk db;
	uint64_t lblk;
	unsigned off;
	int prev, error;

	error = dir_find(dei, name, namelen, &db, &lblk, &off, &prev);
	if (error)
		return error;
	*inop = le32(((struct ext2_dirent *)(db.db_data + off))->d_inode);
	ext2fs_dirblk_release(&db);
	if (*inop < EXT2_ROOT_INO && *inop != 0)
		return EUCLEAN;
	return 0;
}

/* Lays out an empty block: one free record, and the tail. */
void
ext2fs_dirblk_empty(struct ext2fs_inode *ei, struct dirblk *db)
{
	struct ext2fs_mount *em = ei->ei_em;
	struct ext2_dirent *d = (struct ext2_dirent *)db->db_data;

	memset(db->db_data, 0, em->em_bsize);
	db->db_tail = em->em_csum;
	db->db_end = em->em_bsize - (em->em_csum ? EXT2_DIR_TAIL_SIZE : 0);
	ext2fs_rec_len_set(em, d, db->db_end);
}

/*
 * Turns an indexed directory into a linear one: the root keeps "." and
 * "..", the other index nodes become empty blocks, the flag goes.  Only
 * for an index on an image without dir_index, which nothing may keep.
 */
static int
dir_unindex(struct ext2fs_inode *dei)
{
	struct ext2fs_mount *em = dei->ei_em;
	uint64_t n = dir_nblocks(dei);
	struct dirblk db;
	int error;

	for (uint64_t lblk = 0; lblk < n; lblk++) {
		struct ext2_dirent *d, *dd;
		unsigned rl;

		if ((error = ext2fs_dirblk_read(dei, lblk, &db)) != 0)
			return error;
		d = (struct ext2_dirent *)db.db_data;
		if (lblk == 0) {
			rl = ext2fs_rec_len_get(em, d);
			if (rl >= db.db_end || d->d_inode == 0) {
				ext2fs_dirblk_release(&db);
				return EUCLEAN;
			}
			dd = (struct ext2_dirent *)(db.db_data + rl);
			db.db_tail = em->em_csum;
			db.db_end = em->em_bsize -
			    (em->em_csum ? EXT2_DIR_TAIL_SIZE : 0);
			if (db.db_end < rl + EXT2_DIRENT_LEN(2)) {
				ext2fs_dirblk_release(&db);
				return EUCLEAN;
			}
			memset(db.db_data + rl + EXT2_DIRENT_LEN(2), 0,
			    em->em_bsize - rl - EXT2_DIRENT_LEN(2));
			ext2fs_rec_len_set(em, dd, db.db_end - rl);
			ext2fs_dirblk_write(dei, &db);
		} else if (d->d_inode == 0 &&
		    ext2fs_rec_len_get(em, d) == em->em_bsize) {
			ext2fs_dirblk_empty(dei, &db);
			ext2fs_dirblk_write(dei, &db);
		} else {
			ext2fs_dirblk_release(&db);
		}
	}
	dei->ei_raw->i_flags &= le32(~(uint32_t)EXT2_INDEX_FL);
	return ext2fs_iupdate(dei);
}

/* An index the driver may not keep: the flag without the feature. */
static bool
dir_stray_index(struct ext2fs_inode *dei)
{
	return (le32(dei->ei_raw->i_flags) & EXT2_INDEX_FL) != 0 &&
	    !EXT2_HAS_COMPAT(dei->ei_em, EXT2_COMPAT_DIR_INDEX);
}

/* Writes a record for (name, ino, ft) at d, rec_len rl. */
void
ext2fs_dirent_fill(struct ext2fs_mount *em, struct ext2_dirent *d,
    const char *name, size_t namelen, uint32_t ino, uint8_t ft, unsigned rl)
{
	d->d_inode = le32(ino);
	ext2fs_rec_len_set(em, d, rl);
	d->d_name_len = (uint8_t)namelen;
	d->d_file_type = em->em_ftype ? ft : 0;
	memcpy(d->d_name, name, namelen);
}

bool
ext2fs_dirblk_insert(struct ext2fs_mount *em, struct dirblk *db,
    const char *name, size_t namelen, uint32_t ino, uint8_t ft)
{
	unsigned need = EXT2_DIRENT_LEN(namelen), off = 0;

	while (off < db->db_end) {
		struct ext2_dirent *d =
		    (struct ext2_dirent *)(db->db_data + off);
		unsigned rl = ext2fs_rec_len_get(em, d), used;

		used = d->d_inode != 0 ? EXT2_DIRENT_LEN(ext2fs_name_len(em, d))
		                       : 0;
		if (rl - used >= need) {
			if (used != 0) {
				ext2fs_rec_len_set(em, d, used);
				d = (struct ext2_dirent *)(db->db_data + off +
				    used);
			}
			ext2fs_dirent_fill(
			    em, d, name, namelen, ino, ft, rl - used);
			return true;
		}
		off += rl;
	}
	return false;
}

int
ext2fs_dir_enter(struct ext2fs_inode *dei, const char *name, size_t namelen,
    uint32_t ino, uint8_t ft)
{
	struct ext2fs_mount *em = dei->ei_em;
	uint64_t n, lblk, pblk;
	struct dirblk db;
	bool isnew;
	int error;

	KASSERT(namelen > 0 && namelen <= EXT2_NAME_MAX);
	if (inline_dir(dei))
		return EOPNOTSUPP;
	if (dir_stray_index(dei) && (error = dir_unindex(dei)) != 0)
		return error;
	if (ext2fs_htree_active(dei))
		return ext2fs_htree_enter(dei, name, namelen, ino, ft);
	n = dir_nblocks(dei);
	for (lblk = 0; lblk < n; lblk++) {
		if ((error = ext2fs_dirblk_read(dei, lblk, &db)) != 0)
			return error;
		if (ext2fs_dirblk_insert(em, &db, name, namelen, ino, ft)) {
			ext2fs_dirblk_write(dei, &db);
			return 0;
		}
		ext2fs_dirblk_release(&db);
	}
	/* A full first block: the directory gets an index, if it may. */
	if (n == 1) {
		error = ext2fs_htree_index(dei);
		if (error == 0)
			return ext2fs_htree_enter(dei, name, namelen, ino, ft);
		if (error != EAGAIN)
			return error;
	}
	/* No room: a new block at the end. */
	if ((uint64_t)(n + 1) << em->em_bshift > em->em_maxsize)
		return EFBIG;
	if ((error = ext2fs_bmap_alloc(dei, n, &pblk, &isnew)) != 0)
		return error;
	if ((error = ext2fs_getblk(em, pblk, &db.db_bp)) != 0)
		return error;
	db.db_data = db.db_bp->b_data;
	ext2fs_dirblk_empty(dei, &db);
	ext2fs_dirent_fill(em, (struct ext2_dirent *)db.db_data, name, namelen,
	    ino, ft, db.db_end);
	ext2fs_dirblk_write(dei, &db);
	ext2fs_isize_set(dei, (n + 1) << em->em_bshift);
	return ext2fs_iupdate(dei);
}

bool
ext2fs_dir_enter_checks(struct ext2fs_inode *dei)
{
	return !dir_stray_index(dei) && ext2fs_htree_active(dei);
}

/* Removal leaves an index as it is: Linux does not merge leaves either. */
int
ext2fs_dir_remove(struct ext2fs_inode *dei, const char *name, size_t namelen)
{
	struct ext2fs_mount *em = dei->ei_em;
	struct ext2_dirent *d, *p;
	struct dirblk db;
	uint64_t lblk;
	unsigned off;
	int prev, error;

	if (dir_stray_index(dei) && (error = dir_unindex(dei)) != 0)
		return error;
	error = dir_find(dei, name, namelen, &db, &lblk, &off, &prev);
	if (error)
		return error;
	d = (struct ext2_dirent *)(db.db_data + off);
	if (prev < 0) {
		d->d_inode = 0;
	} else {
		p = (struct ext2_dirent *)(db.db_data + prev);
		ext2fs_rec_len_set(em, p,
		    ext2fs_rec_len_get(em, p) + ext2fs_rec_len_get(em, d));
	}
	ext2fs_dirblk_write(dei, &db);
	return 0;
}

int
ext2fs_dir_rewrite(struct ext2fs_inode *dei, const char *name, size_t namelen,
    uint32_t ino, uint8_t ft)
{
	struct ext2fs_mount *em = dei->ei_em;
	struct ext2_dirent *d;
	struct dirblk db;
	uint64_t lblk;
	unsigned off;
	int prev, error;

	if (dir_stray_index(dei) && (error = dir_unindex(dei)) != 0)
		return error;
	error = dir_find(dei, name, namelen, &db, &lblk, &off, &prev);
	if (error)
		return error;
	d = (struct ext2_dirent *)(db.db_data + off);
	d->d_inode = le32(ino);
	if (em->em_ftype)
		d->d_file_type = ft;
	if (lblk == 0 && ext2fs_htree_active(dei))
		ext2fs_htree_root_changed(dei, db.db_data); /* ".." */
	ext2fs_dirblk_write(dei, &db);
	return 0;
}

int
ext2fs_dir_isempty(struct ext2fs_inode *ei, bool *emptyp)
{
	struct ext2fs_mount *em = ei->ei_em;
	uint64_t n = dir_nblocks(ei);
	struct dirblk db;
	int error;

	*emptyp = true;
	if (inline_dir(ei))
		return EOPNOTSUPP;
	for (uint64_t lblk = 0; lblk < n && *emptyp; lblk++) {
		unsigned off = 0;

		if ((error = ext2fs_dirblk_read(ei, lblk, &db)) != 0)
			return error;
		while (off < db.db_end) {
			struct ext2_dirent *d =
			    (struct ext2_dirent *)(db.db_data + off);
			unsigned nl = ext2fs_name_len(em, d);

			if (d->d_inode != 0 &&
			    !(nl == 1 && d->d_name[0] == '.') &&
			    !(nl == 2 && d->d_name[0] == '.' &&
			        d->d_name[1] == '.')) {
				*emptyp = false;
				break;
			}
			off += ext2fs_rec_len_get(em, d);
		}
		ext2fs_dirblk_release(&db);
	}
	return 0;
}

int
ext2fs_dir_init(struct ext2fs_inode *ei, uint32_t parent)
{
	struct ext2fs_mount *em = ei->ei_em;
	struct ext2_dirent *d;
	struct dirblk db;
	uint64_t pblk;
	bool isnew;
	int error;

	if ((error = ext2fs_bmap_alloc(ei, 0, &pblk, &isnew)) != 0)
		return error;
	if ((error = ext2fs_getblk(em, pblk, &db.db_bp)) != 0)
		return error;
	db.db_data = db.db_bp->b_data;
	ext2fs_dirblk_empty(ei, &db);
	d = (struct ext2_dirent *)db.db_data;
	ext2fs_dirent_fill(
	    em, d, ".", 1, ei->ei_ino, EXT2_FT_DIR, EXT2_DIRENT_LEN(1));
	d = (struct ext2_dirent *)(db.db_data + EXT2_DIRENT_LEN(1));
	ext2fs_dirent_fill(em, d, "..", 2, parent, EXT2_FT_DIR,
	    db.db_end - EXT2_DIRENT_LEN(1));
	ext2fs_dirblk_write(ei, &db);
	ext2fs_isize_set(ei, em->em_bsize);
	return ext2fs_iupdate(ei);
}

static unsigned char
ft2dt(uint8_t ft)
{
	static const unsigned char map[EXT2_FT_MAX] = {DT_UNKNOWN, DT_REG,
	    DT_DIR, DT_CHR, DT_BLK, DT_FIFO, DT_SOCK, DT_LNK};

	return ft < EXT2_FT_MAX ? map[ft] : DT_UNKNOWN;
}

int
ext2fs_dir_readdir(struct ext2fs_inode *ei, off_t *cookie,
    int (*fill)(void *arg, uint64_t ino, off_t next, unsigned char type,
        const char *name, size_t namelen),
    void *arg)
{
	struct ext2fs_mount *em = ei->ei_em;
	uint64_t n = dir_nblocks(ei), pos;
	struct dirblk db;
	int error;

	if (inline_dir(ei))
		return EOPNOTSUPP;
	if (*cookie < 0)
		return EINVAL;
	pos = (uint64_t)*cookie;
	for (uint64_t lblk = pos >> em->em_bshift; lblk < n; lblk++) {
		uint64_t base = lblk << em->em_bshift;
		unsigned off = 0;

		if ((error = ext2fs_dirblk_read(ei, lblk, &db)) != 0)
			return error;
		while (off < db.db_end) {
			struct ext2_dirent *d =
			    (struct ext2_dirent *)(db.db_data + off);
			unsigned rl = ext2fs_rec_len_get(em, d);
			uint64_t next = base + off + rl;

			if (off + rl >= db.db_end)
				next = base + em->em_bsize;
			if (base + off >= pos && d->d_inode != 0) {
				if (fill(arg, le32(d->d_inode), (off_t)next,
				        ft2dt(file_type(em, d)), d->d_name,
				        ext2fs_name_len(em, d)) != 0) {
					ext2fs_dirblk_release(&db);
					*cookie = (off_t)(base + off);
					return 0;
				}
			}
			off += rl;
		}
		ext2fs_dirblk_release(&db);
		*cookie = (off_t)(base + em->em_bsize);
	}
	*cookie = (off_t)MAX(pos, n << em->em_bshift);
	return 0;
}
