/*
 * ext2fs_journal.c — the ext3/ext4 journal (jbd2, jbd2_format.h): replay
 * of a journal that needs recovery at mount, and metadata written through
 * it in transactions (ordered mode) while mounted read-write.
 *
 * Replay (ext2fs_jnl_replay) reads the log from s_start in three passes,
 * as jbd2 does: scan (find the last transaction whose commit block is
 * there and valid: magic, sequence, checksums), revoke (collect revoke
 * records of those transactions), replay (copy each logged block home
 * unless a revoke of the same or a later transaction names it).  Then the
 * log is marked empty (s_start = 0, s_sequence = the next one).
 *
 * Writing: one running transaction.  Each modifying vnode operation runs
 * between ext2fs_trans_begin and ext2fs_trans_end (shared; nested calls
 * of one thread count once); a commit waits until no operation is inside
 * and then runs alone.  Commits waiting keep new operations out, except
 * reclaim (EXT2_TX_NOWAIT), which others may be waiting for; an
 * operation can hand its hold over to the reclaim that follows it
 * (ext2fs_trans_handoff/release).  Metadata buffers are released through
 * ext2fs_bdwrite_meta, which pins them (B_PINNED: the buffer cache does
 * not write them home) and adds them to the running transaction.  Freed
 * blocks are not given back until the commit that frees them (the bitmap
 * change happens inside the commit, so nothing can reuse them before it
 * is durable).  A commit:
 *   1. applies the deferred frees (revoking freed blocks that are in the
 *      log) and writes descriptors and superblock into buffers;
 *   2. starts writing file data and earlier committed metadata (ordered
 *      mode);
 *   3. writes descriptor blocks with the copies, revoke blocks (and the
 *      journal superblock when the log was empty), waits for all of
 *      these and the data, syncs the device;
 *   4. writes the commit block, waits, syncs;
 *   5. unpins the buffers: the buffer cache writes them home later.
 * A checkpoint (after a commit that leaves the log half full, and at
 * unmount) flushes everything home, syncs, and writes the journal
 * superblock with an empty log; it runs only between transactions, when
 * nothing is pinned.  The log never wraps while we write it: it restarts
 * at s_first after each checkpoint.  A transaction is committed once it
 * takes a quarter of the log, so the next one fits; a single operation
 * bigger than what is left is written in place (not atomically, with a
 * warning on the console).
 * Commits happen on fsync, sync, unmount, 5 s (commit=N) after the first
 * change of a transaction from the journal thread, and when a transaction grows
 * past a quarter of the log. The superblock's RECOVER bit is set on disk from
 * the mount to the unmount's last checkpoint.
 *
 * Locks: j_mtx guards the transaction state ([j]); order em_lock → j_mtx
 * (bdwrite_meta runs under em_lock for bitmaps); j_mtx is never held
 * across I/O.  Fields marked [c] belong to the one running commit.
 */
#include "ext2fs.h"
#include "jbd2_format.h"

#define JNL_MAXHOLDERS 64
#define JNL_MAXLEN     (1u << 22) /* journal blocks we map */
#define BLKSET_EMPTY   UINT64_MAX

/* A set of block numbers (open addressing). */
struct blkset {
	uint64_t *bs_tab;
	size_t bs_cap; /* a power of two, or 0 */
	size_t bs_n;
};

struct jnl_free {
	uint64_t jf_blk;
	uint64_t jf_n;
};

struct jnl_holder {
	struct lwp *jh_lwp;
	unsigned jh_depth;
};

/* [I] set up before writing starts  [j] j_mtx  [c] the running commit */
struct ext2fs_jnl {
	struct ext2fs_mount *j_em; /* [I] */
	uint64_t *j_map;           /* [I] journal block → device block */
	uint32_t j_mapsize;        /* [I] entries of j_map */
	uint32_t j_maxlen;         /* [I] */
	uint32_t j_first;          /* [I] */
	uint32_t j_incompat;       /* [I] */
	uint32_t j_csumseed;       /* [I] */
	unsigned j_tagsize;        /* [I] */
	bool j_csum;               /* [I] v2 or v3 */
	bool j_csum3;              /* [I] */
	bool j_64bit;              /* [I] */
	struct jbd2_super j_sb;    /* [c] as on disk */
	uint32_t j_seq;            /* [c] sequence of the running transaction */
	uint32_t j_head;           /* [c] next free journal block */
	bool j_empty;              /* [c] the log holds nothing */
	struct blkset j_logged;    /* [c] blocks in the log since checkpoint */
	int j_error;               /* [j] the journal failed: no more commits */
	bool j_warned;             /* [j] */

	kmutex_t j_mtx;
	kcondvar_t j_cv;       /* users, commits */
	unsigned j_users;      /* [j] */
	bool j_want, j_active; /* [j] a commit waits/runs */
	struct jnl_holder j_holders[JNL_MAXHOLDERS]; /* [j] */
	struct blkset j_tset;                        /* [j] the transaction */
	struct jnl_free *j_frees;                    /* [j] deferred frees */
	size_t j_nfrees, j_freecap;                  /* [j] */
	uint64_t j_freeblks;                         /* [j] blocks in j_frees */
	uint64_t j_tstart;                           /* [j] first change, ns */
	bool j_on;                                   /* [j] journaling writes */
	bool j_kick;                                 /* [j] commit soon */

	kcondvar_t j_tcv;     /* the thread's wakeup */
	bool j_stop;          /* [j] */
	struct lwp *j_thread; /* [I] */
};

/* ------------------------------------------------------------ block sets */

static size_t
blkset_slot(const struct blkset *s, uint64_t b)
{
	uint64_t h = b * 0x9e3779b97f4a7c15ull;

	return (size_t)(h ^ (h >> 31)) & (s->bs_cap - 1);
}

static bool
blkset_has(const struct blkset *s, uint64_t b)
{
	if (s->bs_cap == 0)
		return false;
	for (size_t i = blkset_slot(s, b);; i = (i + 1) & (s->bs_cap - 1)) {
		if (s->bs_tab[i] == b)
			return true;
		if (s->bs_tab[i] == BLKSET_EMPTY)
			return false;
	}
}

static void
blkset_put(struct blkset *s, uint64_t b)
{
	size_t i;

	for (i = blkset_slot(s, b); s->bs_tab[i] != BLKSET_EMPTY;
	     i = (i + 1) & (s->bs_cap - 1))
		if (s->bs_tab[i] == b)
			return;
	s->bs_tab[i] = b;
	s->bs_n++;
}

/* Adds b; ENOMEM when the table cannot grow.  flags: KM_SLEEP/NOSLEEP. */
static int
blkset_add(struct blkset *s, uint64_t b, int flags)
{
	if (blkset_has(s, b))
		return 0;
	if ((s->bs_n + 1) * 2 > s->bs_cap) {
		size_t ncap = s->bs_cap ? s->bs_cap * 2 : 64;
		uint64_t *nt = kmem_alloc(ncap * sizeof(*nt), flags);
		struct blkset o = *s;

		if (nt == NULL)
			return ENOMEM;
		for (size_t i = 0; i < ncap; i++)
			nt[i] = BLKSET_EMPTY;
		s->bs_tab = nt;
		s->bs_cap = ncap;
		s->bs_n = 0;
		for (size_t i = 0; i < o.bs_cap; i++)
			if (o.bs_tab[i] != BLKSET_EMPTY)
				blkset_put(s, o.bs_tab[i]);
		if (o.bs_tab != NULL)
			kmem_free(o.bs_tab, o.bs_cap * sizeof(*o.bs_tab));
	}
	blkset_put(s, b);
	return 0;
}

static void
blkset_clear(struct blkset *s)
{
	if (s->bs_tab != NULL)
		kmem_free(s->bs_tab, s->bs_cap * sizeof(*s->bs_tab));
	s->bs_tab = NULL;
	s->bs_cap = s->bs_n = 0;
}

/* ------------------------------------------------------- format helpers */

static uint32_t
jsb_csum(const struct jbd2_super *jsb)
{
	struct jbd2_super tmp = *jsb;

	tmp.s_checksum = 0;
	return ext2fs_crc32c(~0u, &tmp, sizeof(tmp));
}

/* Checksum of a block with its 4-byte checksum at off taken as zero. */
static uint32_t
block_csum(uint32_t seed, const void *blk, unsigned bsize, unsigned off)
{
	static const uint32_t zero;
	uint32_t c;

	c = ext2fs_crc32c(seed, blk, off);
	c = ext2fs_crc32c(c, &zero, 4);
	return ext2fs_crc32c(c, (const char *)blk + off + 4, bsize - off - 4);
}

static uint32_t
tag_csum(uint32_t seed, uint32_t seq, const void *data, unsigned bsize)
{
	uint32_t bseq = be32(seq);

	return ext2fs_crc32c(ext2fs_crc32c(seed, &bseq, 4), data, bsize);
}

/* Position p + n in the circular log. */
static uint32_t
jnl_wrap(const struct ext2fs_jnl *j, uint32_t p, uint32_t n)
{
	uint64_t q = (uint64_t)p + n;

	while (q >= j->j_maxlen)
		q -= j->j_maxlen - j->j_first;
	return (uint32_t)q;
}

static int
jnl_bread(struct ext2fs_jnl *j, uint32_t pos, struct buf **bpp)
{
	if (pos >= j->j_maxlen)
		return EUCLEAN;
	return ext2fs_bread(j->j_em, j->j_map[pos], bpp);
}

/*
 * Reads the journal inode and its superblock into a new j: the map of
 * journal blocks and the features.  A journal we cannot use is EINVAL
 * (bad format, unknown feature), EUCLEAN (bad checksum) or EIO, with the
 * reason on the console.
 */
static int
jnl_load(struct ext2fs_mount *em, struct ext2fs_jnl **jp)
{
	uint32_t ino = le32(em->em_sb.s_journal_inum);
	struct ext2fs_inode tmp;
	struct ext2fs_jnl *j;
	struct jbd2_super *jsb;
	struct buf *bp;
	uint64_t size, nblk;
	int error;

	*jp = NULL;
	if (!EXT2_HAS_COMPAT(em, EXT2_COMPAT_HAS_JOURNAL))
		return 0;
	if (EXT2_HAS_INCOMPAT(em, EXT2_INCOMPAT_JOURNAL_DEV) || ino == 0) {
		printf("ext2fs: external journals are not supported\n");
		return EINVAL;
	}
	if (ino > em->em_ninodes) {
		printf("ext2fs: bad journal inode %u\n", ino);
		return EUCLEAN;
	}
	if ((j = kmem_zalloc(sizeof(*j), KM_SLEEP)) == NULL)
		return ENOMEM;
	j->j_em = em;
	mutex_init(&j->j_mtx, MUTEX_DEFAULT);
	cv_init(&j->j_cv);
	cv_init(&j->j_tcv);
	memset(&tmp, 0, sizeof(tmp));
	tmp.ei_em = em;
	tmp.ei_ino = ino;
	tmp.ei_rawsize = em->em_isize;
	error = ENOMEM;
	if ((tmp.ei_raw = kmem_alloc(em->em_isize, KM_SLEEP)) == NULL)
		goto fail;
	if ((error = ext2fs_iget(em, ino, tmp.ei_raw)) != 0) {
		printf(
		    "ext2fs: cannot read the journal inode: error %d\n", error);
		goto fail;
	}
	ext2fs_iseed(&tmp);
	size = ext2fs_isize(&tmp);
	nblk = size >> em->em_bshift;
	if (!S_ISREG(ext2fs_imode(&tmp)) || nblk < 2 || nblk > JNL_MAXLEN) {
		printf("ext2fs: the journal inode is not a journal "
		       "(%llu bytes)\n",
		    (unsigned long long)size);
		error = EUCLEAN;
		goto fail;
	}
	error = ENOMEM;
	if ((j->j_map = kmem_alloc(nblk * sizeof(uint64_t), KM_SLEEP)) == NULL)
		goto fail;
	j->j_mapsize = (uint32_t)nblk;
	for (uint64_t l = 0; l < nblk;) {
		uint64_t pblk, run;

		if ((error = ext2fs_bmap(&tmp, l, &pblk, &run)) != 0)
			goto fail;
		if (pblk == 0 || !ext2fs_blk_ok(em, pblk, MIN(run, nblk - l))) {
			printf("ext2fs: the journal has a hole or a bad block "
			       "at %llu\n",
			    (unsigned long long)l);
			error = EUCLEAN;
			goto fail;
		}
		for (uint64_t i = 0; i < run && l < nblk; i++, l++)
			j->j_map[l] = pblk + i;
	}
	j->j_maxlen = (uint32_t)nblk;
	if ((error = jnl_bread(j, 0, &bp)) != 0) {
		printf("ext2fs: cannot read the journal superblock: error "
		       "%d\n",
		    error);
		goto fail;
	}
	memcpy(&j->j_sb, bp->b_data, sizeof(j->j_sb));
	brelse(bp);
	jsb = &j->j_sb;
	error = EINVAL;
	if (be32(jsb->s_header.h_magic) != JBD2_MAGIC ||
	    (be32(jsb->s_header.h_blocktype) != JBD2_SUPERBLOCK_V1 &&
	        be32(jsb->s_header.h_blocktype) != JBD2_SUPERBLOCK_V2)) {
		printf("ext2fs: the journal has a bad magic number\n");
		goto fail;
	}
	if (be32(jsb->s_header.h_blocktype) == JBD2_SUPERBLOCK_V1) {
		jsb->s_feature_compat = jsb->s_feature_incompat = 0;
		jsb->s_feature_ro_compat = 0;
	}
	if (be32(jsb->s_blocksize) != em->em_bsize) {
		printf("ext2fs: the journal's block size %u is not the file "
		       "system's\n",
		    be32(jsb->s_blocksize));
		goto fail;
	}
	if (be32(jsb->s_maxlen) > nblk || be32(jsb->s_maxlen) < 2 ||
	    be32(jsb->s_first) == 0 ||
	    be32(jsb->s_first) >= be32(jsb->s_maxlen)) {
		printf("ext2fs: the journal superblock has a bad geometry\n");
		goto fail;
	}
	j->j_incompat = be32(jsb->s_feature_incompat);
	{
		uint32_t known = JBD2_INCOMPAT_REVOKE | JBD2_INCOMPAT_64BIT |
		    JBD2_INCOMPAT_ASYNC_COMMIT | JBD2_INCOMPAT_CSUM_V2 |
		    JBD2_INCOMPAT_CSUM_V3;
		uint32_t unknown = j->j_incompat & ~known;

		if (unknown != 0) {
			printf("ext2fs: the journal has unknown incompatible "
			       "features 0x%x%s\n",
			    unknown,
			    (unknown & JBD2_INCOMPAT_FAST_COMMIT)
			        ? " (fast_commit)"
			        : "");
			goto fail;
		}
		if (be32(jsb->s_feature_ro_compat) != 0) {
			printf("ext2fs: the journal has unknown read-only "
			       "features 0x%x\n",
			    be32(jsb->s_feature_ro_compat));
			goto fail;
		}
	}
	if ((j->j_incompat & JBD2_INCOMPAT_CSUM_V2) &&
	    (j->j_incompat & JBD2_INCOMPAT_CSUM_V3)) {
		printf("ext2fs: the journal has both csum v2 and v3\n");
		goto fail;
	}
	j->j_maxlen = be32(jsb->s_maxlen);
	j->j_first = be32(jsb->s_first);
	if (j->j_incompat & (JBD2_INCOMPAT_CSUM_V2 | JBD2_INCOMPAT_CSUM_V3)) {
		if (jsb->s_checksum_type != JBD2_CRC32C_CHKSUM) {
			printf("ext2fs: the journal has checksum type %u\n",
			    jsb->s_checksum_type);
			goto fail;
		}
		if (be32(jsb->s_checksum) != jsb_csum(jsb)) {
			printf("ext2fs: journal superblock checksum "
			       "mismatch\n");
			error = EUCLEAN;
			goto fail;
		}
	}
	kmem_free(tmp.ei_raw, em->em_isize);
	*jp = j;
	return 0;
fail:
	if (tmp.ei_raw != NULL)
		kmem_free(tmp.ei_raw, em->em_isize);
	if (j->j_map != NULL)
		kmem_free(j->j_map, (size_t)j->j_mapsize * sizeof(uint64_t));
	mutex_destroy(&j->j_mtx);
	cv_destroy(&j->j_cv);
	cv_destroy(&j->j_tcv);
	kmem_free(j, sizeof(*j));
	return error;
}

static void
jnl_free(struct ext2fs_jnl *j)
{
	blkset_clear(&j->j_tset);
	blkset_clear(&j->j_logged);
	if (j->j_frees != NULL)
		kmem_free(j->j_frees, j->j_freecap * sizeof(*j->j_frees));
	if (j->j_map != NULL)
		kmem_free(j->j_map, (size_t)j->j_mapsize * sizeof(uint64_t));
	mutex_destroy(&j->j_mtx);
	cv_destroy(&j->j_cv);
	cv_destroy(&j->j_tcv);
	kmem_free(j, sizeof(*j));
}

/* Tag sizes and features of a loaded journal. */
static void
jnl_features(struct ext2fs_jnl *j)
{
	j->j_csum3 = (j->j_incompat & JBD2_INCOMPAT_CSUM_V3) != 0;
	j->j_csum = j->j_csum3 || (j->j_incompat & JBD2_INCOMPAT_CSUM_V2);
	j->j_64bit = (j->j_incompat & JBD2_INCOMPAT_64BIT) != 0;
	if (j->j_csum3) {
		j->j_tagsize = sizeof(struct jbd2_tag3);
	} else {
		j->j_tagsize = sizeof(struct jbd2_tag);
		if (j->j_incompat & JBD2_INCOMPAT_CSUM_V2)
			j->j_tagsize += 2;
		if (!j->j_64bit)
			j->j_tagsize -= 4;
	}
	j->j_csumseed = ext2fs_crc32c(~0u, j->j_sb.s_uuid, 16);
}

/* One descriptor tag, decoded. */
struct jtag {
	uint64_t jt_blk;
	uint32_t jt_csum;
	uint16_t jt_flags;
};

static void
tag_get(const struct ext2fs_jnl *j, const uint8_t *p, struct jtag *t)
{
	uint32_t lo, hi = 0;
	uint16_t fl;

	memcpy(&lo, p, 4);
	memcpy(&fl, p + 6, 2); /* t_flags: be16 at 6 (low half in tag3) */
	if (j->j_64bit)
		memcpy(&hi, p + 8, 4);
	t->jt_blk = (uint64_t)be32(hi) << 32 | be32(lo);
	t->jt_flags = be16(fl);
	if (j->j_csum3) {
		uint32_t c;

		memcpy(&c, p + 12, 4);
		t->jt_csum = be32(c);
	} else {
		uint16_t c;

		memcpy(&c, p + 4, 2);
		t->jt_csum = be16(c);
	}
}

/* Bytes of a descriptor or revoke block that hold records. */
static unsigned
jnl_space(const struct ext2fs_jnl *j)
{
	return j->j_em->em_bsize - (j->j_csum ? sizeof(struct jbd2_tail) : 0);
}

/*
 * Walks the tags of a descriptor block: calls fn for each (i-th data
 * block) unless fn is NULL; returns how many there are.
 */
static unsigned
desc_tags(const struct ext2fs_jnl *j, const uint8_t *blk,
    void (*fn)(void *, unsigned, const struct jtag *), void *arg)
{
	unsigned space = jnl_space(j), off = sizeof(struct jbd2_header), n = 0;
	struct jtag t;

	while (off + j->j_tagsize <= space) {
		tag_get(j, blk + off, &t);
		off += j->j_tagsize;
		if (!(t.jt_flags & JBD2_FLAG_SAME_UUID))
			off += 16;
		if (fn != NULL)
			fn(arg, n, &t);
		n++;
		if (t.jt_flags & JBD2_FLAG_LAST_TAG)
			break;
	}
	return n;
}

static bool
jnl_block_csum_ok(const struct ext2fs_jnl *j, const uint8_t *blk)
{
	uint32_t have;
	unsigned off = j->j_em->em_bsize - sizeof(struct jbd2_tail);

	if (!j->j_csum)
		return true;
	memcpy(&have, blk + off, 4);
	return be32(have) ==
	    block_csum(j->j_csumseed, blk, j->j_em->em_bsize, off);
}

static bool
jnl_commit_csum_ok(const struct ext2fs_jnl *j, const uint8_t *blk)
{
	const struct jbd2_commit *c = (const struct jbd2_commit *)blk;

	if (!j->j_csum)
		return true;
	return be32(c->h_chksum[0]) ==
	    block_csum(j->j_csumseed, blk, j->j_em->em_bsize,
	        offsetof(struct jbd2_commit, h_chksum));
}

/* Revoked blocks of a replay: block → the latest revoking sequence. */
struct revmap {
	struct {
		uint64_t r_blk;
		uint32_t r_seq;
	} * rm_tab;
	size_t rm_cap, rm_n;
};

static int
revmap_add(struct revmap *m, uint64_t blk, uint32_t seq)
{
	size_t i;

	if ((m->rm_n + 1) * 2 > m->rm_cap) {
		struct revmap o = *m;
		size_t ncap = m->rm_cap ? m->rm_cap * 2 : 256;

		m->rm_tab = kmem_alloc(ncap * sizeof(*m->rm_tab), KM_SLEEP);
		if (m->rm_tab == NULL) {
			*m = o;
			return ENOMEM;
		}
		m->rm_cap = ncap;
		m->rm_n = 0;
		for (i = 0; i < ncap; i++)
			m->rm_tab[i].r_blk = BLKSET_EMPTY;
		for (i = 0; i < o.rm_cap; i++)
			if (o.rm_tab[i].r_blk != BLKSET_EMPTY)
				(void)revmap_add(
				    m, o.rm_tab[i].r_blk, o.rm_tab[i].r_seq);
		if (o.rm_tab != NULL)
			kmem_free(o.rm_tab, o.rm_cap * sizeof(*o.rm_tab));
	}
	for (i = (size_t)(blk * 0x9e3779b97f4a7c15ull >> 20) & (m->rm_cap - 1);
	     m->rm_tab[i].r_blk != BLKSET_EMPTY; i = (i + 1) & (m->rm_cap - 1))
		if (m->rm_tab[i].r_blk == blk) {
			if ((int32_t)(seq - m->rm_tab[i].r_seq) > 0)
				m->rm_tab[i].r_seq = seq;
			return 0;
		}
	m->rm_tab[i].r_blk = blk;
	m->rm_tab[i].r_seq = seq;
	m->rm_n++;
	return 0;
}

/* Whether blk, logged by transaction seq, is revoked. */
static bool
revmap_revoked(const struct revmap *m, uint64_t blk, uint32_t seq)
{
	if (m->rm_cap == 0)
		return false;
	for (size_t i =
	         (size_t)(blk * 0x9e3779b97f4a7c15ull >> 20) & (m->rm_cap - 1);
	     m->rm_tab[i].r_blk != BLKSET_EMPTY; i = (i + 1) & (m->rm_cap - 1))
		if (m->rm_tab[i].r_blk == blk)
			return (int32_t)(m->rm_tab[i].r_seq - seq) >= 0;
	return false;
}

enum { PASS_SCAN, PASS_REVOKE, PASS_REPLAY };

/* State of the replay pass over one descriptor's tags. */
struct replay_ctx {
	struct ext2fs_jnl *rc_j;
	struct revmap *rc_rev;
	uint32_t rc_pos; /* the descriptor's position */
	uint32_t rc_seq;
	unsigned rc_done, rc_skipped;
	int rc_error;
};

static void
replay_tag(void *arg, unsigned i, const struct jtag *t)
{
	struct replay_ctx *rc = arg;
	struct ext2fs_jnl *j = rc->rc_j;
	struct ext2fs_mount *em = j->j_em;
	struct buf *lbp, *hbp;
	uint32_t pos = jnl_wrap(j, rc->rc_pos, 1 + i), magic = be32(JBD2_MAGIC);
	int error;

	if (rc->rc_error != 0)
		return;
	if (revmap_revoked(rc->rc_rev, t->jt_blk, rc->rc_seq)) {
		rc->rc_skipped++;
		return;
	}
	if (t->jt_blk >= em->em_nblocks) {
		printf("ext2fs: journal: transaction %u logs block %llu, "
		       "outside the file system\n",
		    rc->rc_seq, (unsigned long long)t->jt_blk);
		rc->rc_error = EUCLEAN;
		return;
	}
	if ((error = jnl_bread(j, pos, &lbp)) != 0) {
		printf("ext2fs: journal: cannot read log block %u: error %d\n",
		    pos, error);
		rc->rc_error = error;
		return;
	}
	if (j->j_csum) {
		uint32_t c = tag_csum(
		    j->j_csumseed, rc->rc_seq, lbp->b_data, em->em_bsize);

		if (!j->j_csum3)
			c &= 0xFFFF;
		if (c != t->jt_csum) {
			printf("ext2fs: journal: bad checksum of block %llu in "
			       "transaction %u: not replayed\n",
			    (unsigned long long)t->jt_blk, rc->rc_seq);
			brelse(lbp);
			rc->rc_error = EUCLEAN;
			return;
		}
	}
	if ((error = ext2fs_getblk(em, t->jt_blk, &hbp)) != 0) {
		brelse(lbp);
		rc->rc_error = error;
		return;
	}
	memcpy(hbp->b_data, lbp->b_data, em->em_bsize);
	if (t->jt_flags & JBD2_FLAG_ESCAPE)
		memcpy(hbp->b_data, &magic, 4);
	lbp->b_flags |= B_INVAL;
	brelse(lbp);
	bdwrite(hbp);
	rc->rc_done++;
}

/*
 * One pass over the log from s_start.  PASS_SCAN finds *endp, the first
 * sequence with no valid commit; the others stop there.
 */
static int
jnl_pass(struct ext2fs_jnl *j, int pass, struct revmap *rev, uint32_t *endp,
    unsigned *nblocksp)
{
	uint32_t pos = be32(j->j_sb.s_start), seq = be32(j->j_sb.s_sequence);
	uint64_t walked = 0;
	int error = 0;

	*nblocksp = 0;
	for (;;) {
		const struct jbd2_header *h;
		struct buf *bp;
		unsigned n;

		if (pass != PASS_SCAN && seq == *endp)
			break;
		if (walked > j->j_maxlen) {
			printf("ext2fs: journal: the log loops\n");
			return EUCLEAN;
		}
		if ((error = jnl_bread(j, pos, &bp)) != 0) {
			printf("ext2fs: journal: cannot read log block %u: "
			       "error %d\n",
			    pos, error);
			return error;
		}
		h = bp->b_data;
		if (be32(h->h_magic) != JBD2_MAGIC ||
		    be32(h->h_sequence) != seq) {
			brelse(bp);
			if (pass != PASS_SCAN) {
				printf("ext2fs: journal: the log changed\n");
				return EIO;
			}
			break;
		}
		switch (be32(h->h_blocktype)) {
		case JBD2_DESCRIPTOR_BLOCK:
			if (!jnl_block_csum_ok(j, bp->b_data)) {
				brelse(bp);
				if (pass == PASS_SCAN)
					goto end;
				printf("ext2fs: journal: bad descriptor "
				       "checksum\n");
				return EUCLEAN;
			}
			if (pass == PASS_REPLAY) {
				struct replay_ctx rc = {.rc_j = j,
				    .rc_rev = rev,
				    .rc_pos = pos,
				    .rc_seq = seq};

				n = desc_tags(j, bp->b_data, replay_tag, &rc);
				*nblocksp += rc.rc_done;
				if (rc.rc_error != 0) {
					brelse(bp);
					return rc.rc_error;
				}
			} else {
				n = desc_tags(j, bp->b_data, NULL, NULL);
			}
			brelse(bp);
			pos = jnl_wrap(j, pos, 1 + n);
			walked += 1 + n;
			continue;
		case JBD2_COMMIT_BLOCK:
			if (!jnl_commit_csum_ok(j, bp->b_data)) {
				brelse(bp);
				if (pass == PASS_SCAN) {
					printf("ext2fs: journal: transaction "
					       "%u has a bad commit checksum: "
					       "not replayed\n",
					    seq);
					goto end;
				}
				return EUCLEAN;
			}
			brelse(bp);
			seq++;
			pos = jnl_wrap(j, pos, 1);
			walked++;
			if (pass == PASS_SCAN)
				*endp = seq;
			continue;
		case JBD2_REVOKE_BLOCK: {
			const struct jbd2_revoke_header *r = bp->b_data;
			unsigned cnt = be32(r->r_count),
			         rs = j->j_64bit ? 8 : 4;

			if (!jnl_block_csum_ok(j, bp->b_data) ||
			    cnt > jnl_space(j) || cnt < sizeof(*r)) {
				brelse(bp);
				if (pass == PASS_SCAN)
					goto end;
				printf("ext2fs: journal: bad revoke block\n");
				return EUCLEAN;
			}
			if (pass == PASS_REVOKE)
				for (unsigned o = sizeof(*r); o + rs <= cnt;
				     o += rs) {
					const uint8_t *p =
					    (const uint8_t *)bp->b_data + o;
					uint64_t b;

					if (rs == 8) {
						memcpy(&b, p, 8);
						b = be64(b);
					} else {
						uint32_t b32;

						memcpy(&b32, p, 4);
						b = be32(b32);
					}
					if ((error = revmap_add(rev, b, seq))) {
						brelse(bp);
						return error;
					}
				}
			brelse(bp);
			pos = jnl_wrap(j, pos, 1);
			walked++;
			continue;
		}
		default:
			brelse(bp);
			if (pass != PASS_SCAN)
				return EUCLEAN;
			goto end;
		}
	}
end:
	return 0;
}

/* Writes the journal superblock; async: the caller waits (bflush). */
static int
jnl_write_super_how(struct ext2fs_jnl *j, bool async)
{
	struct buf *bp;
	int error;

	if (j->j_csum)
		j->j_sb.s_checksum = be32(jsb_csum(&j->j_sb));
	if ((error = jnl_bread(j, 0, &bp)) != 0)
		return error;
	memcpy(bp->b_data, &j->j_sb, sizeof(j->j_sb));
	if (async)
		bp->b_flags |= B_ASYNC;
	return bwrite(bp);
}

static int
jnl_write_super(struct ext2fs_jnl *j)
{
	return jnl_write_super_how(j, false);
}

int
ext2fs_jnl_replay(struct ext2fs_mount *em)
{
	struct ext2fs_jnl *j;
	struct revmap rev = {0};
	uint32_t start, seq, end;
	unsigned n;
	int error;

	if ((error = jnl_load(em, &j)) != 0)
		return error;
	if (j == NULL) {
		printf("ext2fs: needs_recovery is set but there is no "
		       "journal\n");
		return EUCLEAN;
	}
	jnl_features(j);
	start = be32(j->j_sb.s_start);
	seq = end = be32(j->j_sb.s_sequence);
	if (start == 0)
		goto done;
	if (start < j->j_first || start >= j->j_maxlen) {
		printf("ext2fs: journal: bad log start %u\n", start);
		error = EUCLEAN;
		goto out;
	}
	if ((error = jnl_pass(j, PASS_SCAN, &rev, &end, &n)) != 0 ||
	    (error = jnl_pass(j, PASS_REVOKE, &rev, &end, &n)) != 0 ||
	    (error = jnl_pass(j, PASS_REPLAY, &rev, &end, &n)) != 0)
		goto out;
	if ((error = bflush(em->em_dev, true)) != 0) {
		printf("ext2fs: journal: writing replayed blocks: error %d\n",
		    error);
		goto out;
	}
	if (end == seq)
		printf("ext2fs: journal: no complete transaction to replay\n");
	else
		printf("ext2fs: journal replayed: transactions %u-%u, %u "
		       "blocks, %zu revoked\n",
		    seq, end - 1, n, rev.rm_n);
done:
	j->j_sb.s_start = 0;
	j->j_sb.s_sequence = be32(end);
	if ((error = jnl_write_super(j)) == 0)
		error = bflush(em->em_dev, true);
	if (error)
		printf("ext2fs: journal: cannot write its superblock: error "
		       "%d\n",
		    error);
out:
	if (rev.rm_tab != NULL)
		kmem_free(rev.rm_tab, rev.rm_cap * sizeof(*rev.rm_tab));
	jnl_free(j);
	return error;
}

/* ------------------------------------------------------------- writing */

int
ext2fs_jnl_start(struct ext2fs_mount *em)
{
	struct ext2fs_jnl *j;
	struct jbd2_super *jsb;
	int error;

	if ((error = jnl_load(em, &j)) != 0 || j == NULL)
		return error;
	jsb = &j->j_sb;
	if (be32(jsb->s_header.h_blocktype) == JBD2_SUPERBLOCK_V1) {
		/* As jbd2: a version 1 superblock becomes version 2. */
		jsb->s_header.h_blocktype = be32(JBD2_SUPERBLOCK_V2);
		memset(
		    (char *)jsb + offsetof(struct jbd2_super, s_feature_compat),
		    0,
		    sizeof(*jsb) -
		        offsetof(struct jbd2_super, s_feature_compat));
		memcpy(jsb->s_uuid, em->em_sb.s_uuid, 16);
		jsb->s_nr_users = be32(1);
	}
	if (be32(jsb->s_start) != 0)
		printf("ext2fs: journal: discarding a log the file system "
		       "did not ask to replay\n");
	/* The features we write with, as Linux's ext4 picks them. */
	j->j_incompat |= JBD2_INCOMPAT_REVOKE;
	if (em->em_csum &&
	    !(j->j_incompat &
	        (JBD2_INCOMPAT_CSUM_V2 | JBD2_INCOMPAT_CSUM_V3))) {
		j->j_incompat |= JBD2_INCOMPAT_CSUM_V3;
		jsb->s_checksum_type = JBD2_CRC32C_CHKSUM;
	}
	if (EXT2_HAS_INCOMPAT(em, EXT2_INCOMPAT_64BIT))
		j->j_incompat |= JBD2_INCOMPAT_64BIT;
	if (j->j_incompat & (JBD2_INCOMPAT_CSUM_V2 | JBD2_INCOMPAT_CSUM_V3))
		jsb->s_feature_compat &= be32(~(uint32_t)JBD2_COMPAT_CHECKSUM);
	jsb->s_feature_incompat = be32(j->j_incompat);
	jnl_features(j);
	jsb->s_start = 0;
	jsb->s_errno = 0;
	j->j_seq = be32(jsb->s_sequence);
	j->j_head = j->j_first;
	j->j_empty = true;
	if ((error = jnl_write_super(j)) != 0) {
		printf("ext2fs: journal: cannot write its superblock: error "
		       "%d\n",
		    error);
		jnl_free(j);
		return error;
	}
	/* Written in place by the caller (set_clean) before we start. */
	em->em_sb.s_feature_incompat |= le32(EXT2_INCOMPAT_RECOVER);
	em->em_incompat |= EXT2_INCOMPAT_RECOVER;
	em->em_jnl = j;
	return 0;
}

static void jnl_thread(void *arg);

int
ext2fs_jnl_activate(struct ext2fs_mount *em)
{
	struct ext2fs_jnl *j = em->em_jnl;
	int error;

	if (j == NULL)
		return 0;
	mutex_enter(&j->j_mtx);
	j->j_on = true;
	mutex_exit(&j->j_mtx);
	error = kthread_create(
	    jnl_thread, em, "ext2fs_jnl", KTHREAD_MUSTJOIN, &j->j_thread);
	if (error) {
		printf("ext2fs: journal: no commit thread: error %d\n", error);
		j->j_thread = NULL;
	}
	return 0;
}

/* The holder slot of the calling thread, or -1. Holds j_mtx. */
static int
jnl_holder(struct ext2fs_jnl *j)
{
	struct lwp *l = curlwp;

	KASSERT(mutex_owned(&j->j_mtx));
	for (int i = 0; i < JNL_MAXHOLDERS; i++)
		if (j->j_holders[i].jh_depth > 0 && j->j_holders[i].jh_lwp == l)
			return i;
	return -1;
}

void
ext2fs_trans_begin(struct ext2fs_mount *em, int flags)
{
	struct ext2fs_jnl *j = em->em_jnl;
	int i, slot;

	if (j == NULL)
		return;
	mutex_enter(&j->j_mtx);
	if ((i = jnl_holder(j)) >= 0) {
		j->j_holders[i].jh_depth++;
		mutex_exit(&j->j_mtx);
		return;
	}
	for (;;) {
		slot = -1;
		for (i = 0; i < JNL_MAXHOLDERS && slot < 0; i++)
			if (j->j_holders[i].jh_depth == 0)
				slot = i;
		if (slot >= 0 && !j->j_active &&
		    (!j->j_want || (flags & EXT2_TX_NOWAIT)))
			break;
		cv_wait(&j->j_cv, &j->j_mtx);
	}
	j->j_holders[slot].jh_lwp = curlwp;
	j->j_holders[slot].jh_depth = 1;
	j->j_users++;
	mutex_exit(&j->j_mtx);
}

/* Log blocks a transaction of nb blocks and nr revokes takes. */
static uint64_t
jnl_need(const struct ext2fs_jnl *j, uint64_t nb, uint64_t nr)
{
	unsigned per =
	    (jnl_space(j) - sizeof(struct jbd2_header) - 16) / j->j_tagsize;
	unsigned rper = (jnl_space(j) - sizeof(struct jbd2_revoke_header)) /
	    (j->j_64bit ? 8 : 4);

	return howmany(nb, per) + nb + howmany(nr, rper) + 1;
}

/* Whether the running transaction should commit now. Holds j_mtx. */
static bool
jnl_full(const struct ext2fs_jnl *j)
{
	uint64_t room = (j->j_maxlen - j->j_first) / 4;

	return jnl_need(j, j->j_tset.bs_n, j->j_freeblks / 64) > room ||
	    (uint64_t)j->j_tset.bs_n * j->j_em->em_bsize > 8u * 1024 * 1024;
}

void
ext2fs_trans_end(struct ext2fs_mount *em, int flags)
{
	struct ext2fs_jnl *j = em->em_jnl;
	bool commit;
	int i;

	if (j == NULL)
		return;
	mutex_enter(&j->j_mtx);
	i = jnl_holder(j);
	KASSERT(i >= 0);
	if (--j->j_holders[i].jh_depth > 0) {
		mutex_exit(&j->j_mtx);
		return;
	}
	j->j_holders[i].jh_lwp = NULL;
	j->j_users--;
	cv_broadcast(&j->j_cv); /* a commit waiting for 0, or a free slot */
	commit = j->j_on && j->j_error == 0 && jnl_full(j);
	if (commit && (flags & EXT2_TX_NOWAIT)) {
		/* We may not wait here: the thread commits. */
		j->j_kick = true;
		cv_signal(&j->j_tcv);
		commit = false;
	}
	mutex_exit(&j->j_mtx);
	if (commit)
		(void)ext2fs_jnl_commit(em, false);
}

bool
ext2fs_trans_handoff(struct ext2fs_mount *em)
{
	struct ext2fs_jnl *j = em->em_jnl;
	int i;

	if (j == NULL)
		return false;
	mutex_enter(&j->j_mtx);
	i = jnl_holder(j);
	KASSERT(i >= 0);
	if (!j->j_on || j->j_holders[i].jh_depth != 1) {
		mutex_exit(&j->j_mtx);
		return false;
	}
	/* j_users stays: the hold now belongs to no thread. */
	j->j_holders[i].jh_depth = 0;
	j->j_holders[i].jh_lwp = NULL;
	cv_broadcast(&j->j_cv);
	mutex_exit(&j->j_mtx);
	return true;
}

void
ext2fs_trans_release(struct ext2fs_mount *em)
{
	struct ext2fs_jnl *j = em->em_jnl;

	KASSERT(j != NULL);
	mutex_enter(&j->j_mtx);
	KASSERT(j->j_users > 0);
	j->j_users--;
	cv_broadcast(&j->j_cv);
	if (j->j_on && j->j_error == 0 && jnl_full(j)) {
		j->j_kick = true;
		cv_signal(&j->j_tcv);
	}
	mutex_exit(&j->j_mtx);
}

void
ext2fs_bdwrite_meta(struct ext2fs_mount *em, struct buf *bp)
{
	struct ext2fs_jnl *j = em->em_jnl;

	if (j != NULL && !(bp->b_flags & B_PINNED)) {
		mutex_enter(&j->j_mtx);
		if (j->j_on && j->j_error == 0) {
			if (j->j_tset.bs_n == 0 && j->j_nfrees == 0)
				j->j_tstart = getnanouptime();
			if (blkset_add(&j->j_tset, (uint64_t)bp->b_blkno,
			        KM_SLEEP) == 0) {
				bp->b_flags |= B_PINNED;
			} else if (!j->j_warned) {
				j->j_warned = true;
				printf("ext2fs: journal: out of memory: "
				       "metadata written in place\n");
			}
		}
		mutex_exit(&j->j_mtx);
	}
	bdwrite(bp);
}

bool
ext2fs_jnl_defer_free(struct ext2fs_mount *em, uint64_t blk, uint64_t n)
{
	struct ext2fs_jnl *j = em->em_jnl;
	bool deferred = false;

	if (j == NULL)
		return false;
	mutex_enter(&j->j_mtx);
	/* The commit applies them itself (j_active). */
	if (!j->j_on || j->j_error != 0 || j->j_active)
		goto out;
	if (j->j_nfrees > 0 &&
	    j->j_frees[j->j_nfrees - 1].jf_blk +
	            j->j_frees[j->j_nfrees - 1].jf_n ==
	        blk) {
		j->j_frees[j->j_nfrees - 1].jf_n += n;
		goto added;
	}
	if (j->j_nfrees == j->j_freecap) {
		size_t ncap = j->j_freecap ? j->j_freecap * 2 : 64;
		struct jnl_free *nf = kmem_alloc(ncap * sizeof(*nf), KM_SLEEP);

		if (nf == NULL)
			goto out; /* freed now: not safe, but not lost */
		if (j->j_frees != NULL) {
			memcpy(nf, j->j_frees, j->j_nfrees * sizeof(*nf));
			kmem_free(j->j_frees, j->j_freecap * sizeof(*nf));
		}
		j->j_frees = nf;
		j->j_freecap = ncap;
	}
	j->j_frees[j->j_nfrees].jf_blk = blk;
	j->j_frees[j->j_nfrees].jf_n = n;
	j->j_nfrees++;
added:
	if (j->j_tset.bs_n == 0 && j->j_freeblks == 0)
		j->j_tstart = getnanouptime();
	j->j_freeblks += n;
	deferred = true;
out:
	mutex_exit(&j->j_mtx);
	return deferred;
}

bool
ext2fs_jnl_retry(struct ext2fs_mount *em)
{
	struct ext2fs_jnl *j = em->em_jnl;
	bool retry;

	if (j == NULL)
		return false;
	mutex_enter(&j->j_mtx);
	retry = j->j_nfrees > 0 && jnl_holder(j) < 0 && j->j_error == 0;
	mutex_exit(&j->j_mtx);
	return retry && ext2fs_jnl_commit(em, false) == 0;
}

/* Writes everything home and empties the log.  The commit holds all. */
static int
jnl_checkpoint(struct ext2fs_jnl *j)
{
	struct ext2fs_mount *em = j->j_em;
	int error;

	if ((error = bflush(em->em_dev, true)) != 0)
		return error;
	j->j_sb.s_start = 0;
	j->j_sb.s_sequence = be32(j->j_seq);
	if ((error = jnl_write_super(j)) != 0 ||
	    (error = bflush(em->em_dev, true)) != 0)
		return error;
	j->j_head = j->j_first;
	j->j_empty = true;
	blkset_clear(&j->j_logged);
	return 0;
}

/* A log block for position pos, busy, its contents to be replaced. */
static int
jnl_getlog(struct ext2fs_jnl *j, uint32_t pos, struct buf **bpp)
{
	KASSERT(pos >= j->j_first && pos < j->j_maxlen);
	return ext2fs_getblk(j->j_em, j->j_map[pos], bpp);
}

/* Starts the write of a log block; it leaves the cache once written. */
static int
jnl_putlog(struct buf *bp)
{
	bp->b_flags |= B_ASYNC | B_INVAL;
	return bwrite(bp);
}

static void
hdr_set(void *blk, uint32_t type, uint32_t seq)
{
	struct jbd2_header *h = blk;

	h->h_magic = be32(JBD2_MAGIC);
	h->h_blocktype = be32(type);
	h->h_sequence = be32(seq);
}

static void
tail_set(struct ext2fs_jnl *j, void *blk)
{
	unsigned off = j->j_em->em_bsize - sizeof(struct jbd2_tail);
	uint32_t c;

	if (!j->j_csum)
		return;
	c = be32(block_csum(j->j_csumseed, blk, j->j_em->em_bsize, off));
	memcpy((char *)blk + off, &c, 4);
}

static void
tag_put(struct ext2fs_jnl *j, uint8_t *p, uint64_t blk, uint16_t flags,
    uint32_t csum)
{
	uint32_t lo = be32((uint32_t)blk), hi = be32((uint32_t)(blk >> 32));
	uint16_t fl = be16(flags);

	memset(p, 0, j->j_tagsize);
	memcpy(p, &lo, 4);
	memcpy(p + 6, &fl, 2);
	if (j->j_64bit)
		memcpy(p + 8, &hi, 4);
	if (j->j_csum3) {
		uint32_t c = be32(csum);

		memcpy(p + 12, &c, 4);
	} else if (j->j_csum) {
		uint16_t c = be16((uint16_t)csum);

		memcpy(p + 4, &c, 2);
	}
}

/* Gives pinned buffers to the buffer cache's write-back. */
static void
jnl_unpin(struct ext2fs_jnl *j, const uint64_t *blks, size_t n)
{
	struct ext2fs_mount *em = j->j_em;
	struct buf *bp;

	for (size_t i = 0; i < n; i++) {
		if (ext2fs_getblk(em, blks[i], &bp) != 0)
			continue; /* it stays pinned: dropped at unmount */
		bp->b_flags &= ~B_PINNED;
		if (bp->b_flags & B_DELWRI)
			bdwrite(bp);
		else
			brelse(bp);
	}
}

/*
 * Writes the transaction: blks[0..nb) and the revoked rev[0..nr) at the
 * log head, then the commit block.  The commit holds everything.
 */
static int
jnl_write_trans(struct ext2fs_jnl *j, const uint64_t *blks, size_t nb,
    const uint64_t *rev, size_t nr)
{
	struct ext2fs_mount *em = j->j_em;
	unsigned bsize = em->em_bsize, space = jnl_space(j);
	uint32_t pos = j->j_head, magic = be32(JBD2_MAGIC);
	struct buf *dbp = NULL, *lbp, *hbp;
	struct jbd2_commit *c;
	unsigned off = 0;
	uint64_t now;
	int error;

	if (j->j_empty) {
		/* Waited for with the log blocks, before the commit block. */
		j->j_sb.s_start = be32(j->j_head);
		j->j_sb.s_sequence = be32(j->j_seq);
		if ((error = jnl_write_super_how(j, true)) != 0)
			return error;
	}
	for (size_t i = 0; i < nb; i++) {
		uint16_t flags = 0;

		if (dbp != NULL && off + j->j_tagsize > space) {
			tail_set(j, dbp->b_data);
			if ((error = jnl_putlog(dbp)) != 0)
				return error;
			dbp = NULL;
		}
		if (dbp == NULL) {
			if ((error = jnl_getlog(j, pos++, &dbp)) != 0)
				return error;
			memset(dbp->b_data, 0, bsize);
			hdr_set(dbp->b_data, JBD2_DESCRIPTOR_BLOCK, j->j_seq);
			off = sizeof(struct jbd2_header);
		}
		if ((error = jnl_getlog(j, pos++, &lbp)) != 0)
			goto fail;
		if ((error = ext2fs_getblk(em, blks[i], &hbp)) != 0) {
			brelse(lbp);
			goto fail;
		}
		KASSERT(hbp->b_flags & B_DONE);
		memcpy(lbp->b_data, hbp->b_data, bsize);
		brelse(hbp);
		if (memcmp(lbp->b_data, &magic, 4) == 0) {
			memset(lbp->b_data, 0, 4);
			flags |= JBD2_FLAG_ESCAPE;
		}
		if (off != sizeof(struct jbd2_header))
			flags |= JBD2_FLAG_SAME_UUID;
		if (i + 1 == nb ||
		    off + j->j_tagsize +
		            (flags & JBD2_FLAG_SAME_UUID ? 0 : 16) +
		            j->j_tagsize >
		        space)
			flags |= JBD2_FLAG_LAST_TAG;
		tag_put(j, (uint8_t *)dbp->b_data + off, blks[i], flags,
		    tag_csum(j->j_csumseed, j->j_seq, lbp->b_data, bsize));
		off += j->j_tagsize;
		if (!(flags & JBD2_FLAG_SAME_UUID)) {
			memcpy(
			    (uint8_t *)dbp->b_data + off, j->j_sb.s_uuid, 16);
			off += 16;
		}
		if ((error = jnl_putlog(lbp)) != 0)
			goto fail;
		if (flags & JBD2_FLAG_LAST_TAG)
			off = space; /* the next block opens a descriptor */
	}
	if (dbp != NULL) {
		tail_set(j, dbp->b_data);
		if ((error = jnl_putlog(dbp)) != 0)
			return error;
		dbp = NULL;
	}
	for (size_t i = 0; i < nr;) {
		struct jbd2_revoke_header *r;
		unsigned o = sizeof(*r), rs = j->j_64bit ? 8 : 4;

		if ((error = jnl_getlog(j, pos++, &lbp)) != 0)
			return error;
		memset(lbp->b_data, 0, bsize);
		hdr_set(lbp->b_data, JBD2_REVOKE_BLOCK, j->j_seq);
		r = lbp->b_data;
		for (; i < nr && o + rs <= space; i++, o += rs) {
			if (rs == 8) {
				uint64_t b = be64(rev[i]);

				memcpy((char *)lbp->b_data + o, &b, 8);
			} else {
				uint32_t b = be32((uint32_t)rev[i]);

				memcpy((char *)lbp->b_data + o, &b, 4);
			}
		}
		r->r_count = be32(o);
		tail_set(j, lbp->b_data);
		if ((error = jnl_putlog(lbp)) != 0)
			return error;
	}
	/* Everything but the commit block is on the disk before it. */
	if ((error = bflush(em->em_dev, true)) != 0)
		return error;
	if ((error = jnl_getlog(j, pos++, &lbp)) != 0)
		return error;
	memset(lbp->b_data, 0, bsize);
	hdr_set(lbp->b_data, JBD2_COMMIT_BLOCK, j->j_seq);
	c = lbp->b_data;
	now = getnanotime();
	c->h_commit_sec = be64(now / 1000000000u);
	c->h_commit_nsec = be32((uint32_t)(now % 1000000000u));
	if (j->j_csum) {
		uint32_t cs = block_csum(j->j_csumseed, lbp->b_data, bsize,
		    offsetof(struct jbd2_commit, h_chksum));

		c->h_chksum[0] = be32(cs);
	}
	lbp->b_flags |= B_INVAL;
	if ((error = bwrite(lbp)) != 0 ||
	    (error = bflush(em->em_dev, true)) != 0)
		return error;
	KASSERT(pos - j->j_head == jnl_need(j, nb, nr));
	j->j_head = pos;
	j->j_empty = false;
	j->j_seq++;
	return 0;
fail:
	if (dbp != NULL) {
		dbp->b_flags |= B_INVAL;
		brelse(dbp);
	}
	return error;
}

/* Sorts blocks ascending (heapsort: no allocation, no recursion). */
static void
blk_sort(uint64_t *a, size_t n)
{
	for (size_t k = n; k-- > 0 || false;) {
		for (size_t i = k;;) {
			size_t c = 2 * i + 1, m = i;
			uint64_t t;

			if (c < n && a[c] > a[m])
				m = c;
			if (c + 1 < n && a[c + 1] > a[m])
				m = c + 1;
			if (m == i)
				break;
			t = a[i], a[i] = a[m], a[m] = t;
			i = m;
		}
		if (k == 0)
			break;
	}
	for (size_t e = n; e > 1; e--) {
		uint64_t t = a[0];

		a[0] = a[e - 1];
		a[e - 1] = t;
		for (size_t i = 0;;) {
			size_t c = 2 * i + 1, m = i;

			if (c < e - 1 && a[c] > a[m])
				m = c;
			if (c + 1 < e - 1 && a[c + 1] > a[m])
				m = c + 1;
			if (m == i)
				break;
			t = a[i], a[i] = a[m], a[m] = t;
			i = m;
		}
	}
}

/* The commit itself; the caller made it the only one running. */
static int
jnl_do_commit(struct ext2fs_mount *em, struct ext2fs_jnl *j, bool ckpt)
{
	struct jnl_free *frees;
	size_t nfrees, fcap, nb = 0, nalloc = 0, nr = 0, rcap = 0;
	uint64_t *blks = NULL, *rev = NULL, need;
	int error = 0;

	/* 1. The frees of the transaction, and what they revoke. */
	mutex_enter(&j->j_mtx);
	frees = j->j_frees;
	nfrees = j->j_nfrees;
	fcap = j->j_freecap;
	j->j_frees = NULL;
	j->j_nfrees = j->j_freecap = 0;
	j->j_freeblks = 0;
	mutex_exit(&j->j_mtx);
	for (size_t i = 0; i < nfrees; i++) {
		for (uint64_t b = frees[i].jf_blk;
		     b < frees[i].jf_blk + frees[i].jf_n; b++) {
			if (!blkset_has(&j->j_logged, b) &&
			    !blkset_has(&j->j_tset, b))
				continue;
			if (nr == rcap) {
				size_t ncap = rcap ? rcap * 2 : 64;
				uint64_t *nrev =
				    kmem_alloc(ncap * sizeof(*nrev), KM_SLEEP);

				if (nrev == NULL) {
					error = ENOMEM;
					break;
				}
				if (rev != NULL) {
					memcpy(nrev, rev, nr * sizeof(*rev));
					kmem_free(rev, rcap * sizeof(*rev));
				}
				rev = nrev;
				rcap = ncap;
			}
			rev[nr++] = b;
		}
		ext2fs_bfree_apply(em, frees[i].jf_blk, frees[i].jf_n);
	}
	if (frees != NULL)
		kmem_free(frees, fcap * sizeof(*frees));
	if (error)
		goto out;
	if ((error = ext2fs_write_meta(em)) != 0)
		goto out;

	/* The transaction's blocks, in block order. */
	mutex_enter(&j->j_mtx);
	if (j->j_tset.bs_n > 0 &&
	    (blks = kmem_alloc(j->j_tset.bs_n * sizeof(*blks), KM_SLEEP)) !=
	        NULL) {
		for (size_t i = 0; i < j->j_tset.bs_cap; i++)
			if (j->j_tset.bs_tab[i] != BLKSET_EMPTY)
				blks[nb++] = j->j_tset.bs_tab[i];
	}
	mutex_exit(&j->j_mtx);
	if (j->j_tset.bs_n > 0 && blks == NULL) {
		error = ENOMEM;
		goto out;
	}
	blk_sort(blks, nb);
	/*
	 * A block freed in this transaction may have been dropped from the
	 * cache (its contents no longer matter): nothing to log for it.
	 */
	nalloc = nb;
	for (size_t i = 0, kept = 0; i < nalloc; i++, nb = kept) {
		struct buf *bp;

		if ((error = ext2fs_getblk(em, blks[i], &bp)) != 0)
			goto out;
		if (bp->b_flags & B_DONE)
			blks[kept++] = blks[i];
		else
			bp->b_flags |= B_INVAL;
		brelse(bp);
	}

	/*
	 * 2. Ordered mode: the data (and older metadata) go out now; the
	 * log blocks join them, and the wait and device sync before the
	 * commit block cover both.
	 */
	if (nb == 0 && nr == 0) {
		error = bflush(em->em_dev, true);
		goto done;
	}
	(void)bflush(em->em_dev, false);
	need = jnl_need(j, nb, nr);
	if (need > j->j_maxlen - j->j_head) {
		/*
		 * Does not fit after what the log holds.  Checkpointing now
		 * is no way out: blocks of this transaction that earlier ones
		 * logged would go home with uncommitted contents, or not at
		 * all.  Transactions are cut at a quarter of the log and the
		 * log is checkpointed past half, so only one operation
		 * bigger than that comes here: it is written in place.
		 */
		printf("ext2fs: journal: a transaction of %zu blocks does "
		       "not fit in the log: written in place\n",
		    nb);
		jnl_unpin(j, blks, nb);
		mutex_enter(&j->j_mtx);
		blkset_clear(&j->j_tset);
		mutex_exit(&j->j_mtx);
		ckpt = true;
		j->j_empty = false; /* so that the checkpoint runs */
		goto done;
	}

	/* 3, 4. The log and the commit block. */
	if ((error = jnl_write_trans(j, blks, nb, rev, nr)) != 0)
		goto out;

	/* 5. The blocks may go home now. */
	for (size_t i = 0; i < nb; i++)
		if (blkset_add(&j->j_logged, blks[i], KM_SLEEP) != 0)
			ckpt = true; /* cannot tell later what to revoke */
	mutex_enter(&j->j_mtx);
	blkset_clear(&j->j_tset);
	mutex_exit(&j->j_mtx);
	jnl_unpin(j, blks, nb);
	if (j->j_head - j->j_first > (j->j_maxlen - j->j_first) / 2)
		ckpt = true;
done:
	if (error == 0 && ckpt && !j->j_empty)
		error = jnl_checkpoint(j);
out:
	if (blks != NULL)
		kmem_free(blks, nalloc * sizeof(*blks));
	if (rev != NULL)
		kmem_free(rev, rcap * sizeof(*rev));
	if (error) {
		mutex_enter(&j->j_mtx);
		if (j->j_error == 0) {
			j->j_error = error;
			printf("ext2fs: journal: commit failed (error %d): "
			       "the journal is stopped, changes since the "
			       "last commit stay in memory\n",
			    error);
		}
		mutex_exit(&j->j_mtx);
	}
	return error;
}

int
ext2fs_jnl_commit(struct ext2fs_mount *em, bool ckpt)
{
	struct ext2fs_jnl *j = em->em_jnl;
	int error;

	if (j != NULL) {
		mutex_enter(&j->j_mtx);
		if (!j->j_on) {
			mutex_exit(&j->j_mtx);
			j = NULL;
		}
	}
	if (j == NULL) {
		if ((error = ext2fs_write_meta(em)) != 0)
			return error;
		return bflush(em->em_dev, true);
	}
	if (jnl_holder(j) >= 0)
		panic("ext2fs_jnl_commit: called inside a transaction");
	while (j->j_want)
		cv_wait(&j->j_cv, &j->j_mtx);
	if (j->j_error != 0) {
		error = j->j_error;
		mutex_exit(&j->j_mtx);
		return error == ENOMEM ? EIO : error;
	}
	j->j_want = true;
	while (j->j_users > 0)
		cv_wait(&j->j_cv, &j->j_mtx);
	j->j_active = true;
	mutex_exit(&j->j_mtx);
	error = jnl_do_commit(em, j, ckpt);
	mutex_enter(&j->j_mtx);
	j->j_active = j->j_want = false;
	cv_broadcast(&j->j_cv);
	mutex_exit(&j->j_mtx);
	return error;
}

/* The journal thread: commits a transaction em_commit_s seconds old. */
static void
jnl_thread(void *arg)
{
	struct ext2fs_mount *em = arg;
	struct ext2fs_jnl *j = em->em_jnl;

	mutex_enter(&j->j_mtx);
	while (!j->j_stop) {
		bool due;

		(void)cv_timedwait(&j->j_tcv, &j->j_mtx, 500000000ull);
		if (j->j_stop)
			break;
		due = j->j_kick ||
		    ((j->j_tset.bs_n > 0 || j->j_nfrees > 0) &&
		        getnanouptime() - j->j_tstart >=
		            (uint64_t)em->em_commit_s * 1000000000u);
		if (!due || j->j_error != 0)
			continue;
		j->j_kick = false;
		mutex_exit(&j->j_mtx);
		(void)ext2fs_jnl_commit(em, false);
		mutex_enter(&j->j_mtx);
	}
	mutex_exit(&j->j_mtx);
}

int
ext2fs_jnl_stop(struct ext2fs_mount *em)
{
	struct ext2fs_jnl *j = em->em_jnl;
	int error;

	if (j == NULL)
		return 0;
	error = ext2fs_jnl_commit(em, true);
	mutex_enter(&j->j_mtx);
	j->j_stop = true;
	j->j_on = false;
	cv_broadcast(&j->j_tcv);
	mutex_exit(&j->j_mtx);
	if (j->j_thread != NULL)
		(void)kthread_join(j->j_thread);
	if (error == 0 && j->j_error == 0) {
		/* The log is empty: nothing to recover any more. */
		mutex_enter(&em->em_lock);
		em->em_sb.s_feature_incompat &=
		    le32(~(uint32_t)EXT2_INCOMPAT_RECOVER);
		em->em_incompat &= ~(uint32_t)EXT2_INCOMPAT_RECOVER;
		em->em_sbdirty = true;
		mutex_exit(&em->em_lock);
	} else if (error == 0) {
		error = j->j_error == ENOMEM ? EIO : j->j_error;
	}
	em->em_jnl = NULL;
	jnl_free(j);
	return error;
}
