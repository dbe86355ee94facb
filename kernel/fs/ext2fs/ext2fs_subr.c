/*
 * ext2fs_subr.c — the bottom of the ext2/3/4 driver: checksums (crc32c
 * for metadata_csum, crc16 for uninit_bg descriptors), group
 * descriptors, reading blocks with range checks, the block and inode
 * allocators over the groups' bitmaps, and writing the descriptors and
 * the superblock back.
 *
 * Allocation state lives in three places that move together under
 * em_lock: the bitmap blocks (in the buffer cache), the group
 * descriptors (em_gdt, a copy of the descriptor blocks) and the totals
 * (em_freeblocks, em_freeinodes, later written into em_sb).  Bitmap
 * checksums are recomputed once per group at write-back
 * (ext2fs_write_meta), not at every bit flipped.
 */
#include "ext2fs.h"

/* ------------------------------------------------------------ checksums */

/*
 * crc32c (Castagnoli, reflected 0x82F63B78): the CPU's crc32 instruction
 * where there is one (x86-64 with SSE4.2, checked with cpuid at load),
 * else slicing by 8.  Directory blocks are checked on every read, so
 * this is on the lookup path.
 */
static uint32_t crc32c_tab[8][256];
static bool crc32c_ready;
static bool crc32c_hw;

#ifdef __x86_64__
static bool
crc32c_hw_probe(void)
{
	uint32_t a = 1, b, c = 0, d;

	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	return (c >> 20) & 1; /* CPUID.1:ECX.SSE4_2 */
}

__attribute__((target("sse4.2"))) static uint32_t
crc32c_x86(uint32_t crc, const uint8_t *p, size_t len)
{
	uint64_t c = crc;

	while (len > 0 && ((uintptr_t)p & 7) != 0) {
		c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
		len--;
	}
	for (; len >= 8; p += 8, len -= 8) {
		uint64_t v;

		__builtin_memcpy(&v, p, 8); /* a load, not a call */
		c = __builtin_ia32_crc32di(c, v);
	}
	while (len-- > 0)
		c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
	return (uint32_t)c;
}
#else
static bool
crc32c_hw_probe(void)
{
	return false;
}

static uint32_t
crc32c_x86(uint32_t crc, const uint8_t *p, size_t len)
{
	(void)p;
	(void)len;
	return crc;
}
#endif

static void
crc32c_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ ((c & 1) ? 0x82F63B78u : 0);
		crc32c_tab[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			crc32c_tab[t][i] = (crc32c_tab[t - 1][i] >> 8) ^
			    crc32c_tab[0][crc32c_tab[t - 1][i] & 0xff];
	crc32c_hw = crc32c_hw_probe();
	atomic_store_release(&crc32c_ready, true);
}

__attribute__((constructor)) static void
ext2fs_crc_ctor(void)
{
	crc32c_init();
}

/*
 * The raw crc32c register update, without the customary inversions:
 * ext4 starts from ~0 or a seed and stores the result as it is.
 */
uint32_t
ext2fs_crc32c(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	KASSERT(atomic_load_acquire(&crc32c_ready));
	if (crc32c_hw)
		return crc32c_x86(crc, p, len);
	while (len > 0 && ((uintptr_t)p & 7) != 0) {
		crc = crc32c_tab[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
		len--;
	}
	while (len >= 8) {
		uint32_t lo = crc ^
		    ((uint32_t)p[0] | (uint32_t)p[1] << 8 |
		        (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
		crc = crc32c_tab[7][lo & 0xff] ^
		    crc32c_tab[6][(lo >> 8) & 0xff] ^
		    crc32c_tab[5][(lo >> 16) & 0xff] ^ crc32c_tab[4][lo >> 24] ^
		    crc32c_tab[3][p[4]] ^ crc32c_tab[2][p[5]] ^
		    crc32c_tab[1][p[6]] ^ crc32c_tab[0][p[7]];
		p += 8;
		len -= 8;
	}
	while (len-- > 0)
		crc = crc32c_tab[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

/* crc16 (reflected 0x8005 = 0xA001), bit by bit: descriptors only. */
uint16_t
ext2fs_crc16(uint16_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len-- > 0) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (uint16_t)((crc >> 1) ^ ((crc & 1) ? 0xA001 : 0));
	}
	return crc;
}

uint32_t
ext2fs_sb_csum(const struct ext2_super *sb)
{
	return ext2fs_crc32c(~0u, sb, offsetof(struct ext2_super, s_checksum));
}

/* ---------------------------------------------------- group descriptors */

struct ext2_gd *
ext2fs_gd(struct ext2fs_mount *em, uint32_t g)
{
	KASSERT(g < em->em_ngroups);
	return (struct ext2_gd *)(em->em_gdt + (size_t)g * em->em_descsize);
}

static bool
ext2fs_is64(struct ext2fs_mount *em)
{
	return em->em_descsize >= EXT2_MIN_DESC_SIZE_64;
}

uint64_t
ext2fs_gd_bbitmap(struct ext2fs_mount *em, const struct ext2_gd *gd)
{
	return le32(gd->bg_block_bitmap_lo) |
	    (ext2fs_is64(em) ? (uint64_t)le32(gd->bg_block_bitmap_hi) << 32
	                     : 0);
}

uint64_t
ext2fs_gd_ibitmap(struct ext2fs_mount *em, const struct ext2_gd *gd)
{
	return le32(gd->bg_inode_bitmap_lo) |
	    (ext2fs_is64(em) ? (uint64_t)le32(gd->bg_inode_bitmap_hi) << 32
	                     : 0);
}

uint64_t
ext2fs_gd_itable(struct ext2fs_mount *em, const struct ext2_gd *gd)
{
	return le32(gd->bg_inode_table_lo) |
	    (ext2fs_is64(em) ? (uint64_t)le32(gd->bg_inode_table_hi) << 32 : 0);
}

uint32_t
ext2fs_gd_freeblocks(struct ext2fs_mount *em, const struct ext2_gd *gd)
{
	return le16(gd->bg_free_blocks_count_lo) |
	    (ext2fs_is64(em) ? (uint32_t)le16(gd->bg_free_blocks_count_hi) << 16
	                     : 0);
}

uint32_t
ext2fs_gd_freeinodes(struct ext2fs_mount *em, const struct ext2_gd *gd)
{
	return le16(gd->bg_free_inodes_count_lo) |
	    (ext2fs_is64(em) ? (uint32_t)le16(gd->bg_free_inodes_count_hi) << 16
	                     : 0);
}

uint32_t
ext2fs_gd_useddirs(struct ext2fs_mount *em, const struct ext2_gd *gd)
{
	return le16(gd->bg_used_dirs_count_lo) |
	    (ext2fs_is64(em) ? (uint32_t)le16(gd->bg_used_dirs_count_hi) << 16
	                     : 0);
}

uint32_t
ext2fs_gd_itable_unused(struct ext2fs_mount *em, const struct ext2_gd *gd)
{
	return le16(gd->bg_itable_unused_lo) |
	    (ext2fs_is64(em) ? (uint32_t)le16(gd->bg_itable_unused_hi) << 16
	                     : 0);
}

static void
gd_set_freeblocks(struct ext2fs_mount *em, struct ext2_gd *gd, uint32_t v)
{
	gd->bg_free_blocks_count_lo = le16((uint16_t)v);
	if (ext2fs_is64(em))
		gd->bg_free_blocks_count_hi = le16((uint16_t)(v >> 16));
}

static void
gd_set_freeinodes(struct ext2fs_mount *em, struct ext2_gd *gd, uint32_t v)
{
	gd->bg_free_inodes_count_lo = le16((uint16_t)v);
	if (ext2fs_is64(em))
		gd->bg_free_inodes_count_hi = le16((uint16_t)(v >> 16));
}

static void
gd_set_useddirs(struct ext2fs_mount *em, struct ext2_gd *gd, uint32_t v)
{
	gd->bg_used_dirs_count_lo = le16((uint16_t)v);
	if (ext2fs_is64(em))
		gd->bg_used_dirs_count_hi = le16((uint16_t)(v >> 16));
}

static void
gd_set_itable_unused(struct ext2fs_mount *em, struct ext2_gd *gd, uint32_t v)
{
	gd->bg_itable_unused_lo = le16((uint16_t)v);
	if (ext2fs_is64(em))
		gd->bg_itable_unused_hi = le16((uint16_t)(v >> 16));
}

uint16_t
ext2fs_gd_csum(struct ext2fs_mount *em, uint32_t g)
{
	const uint8_t *gd = (const uint8_t *)ext2fs_gd(em, g);
	size_t off = offsetof(struct ext2_gd, bg_checksum);
	uint32_t leg = le32(g), crc;
	uint16_t zero = 0, c16;

	if (em->em_csum) {
		crc = ext2fs_crc32c(em->em_csumseed, &leg, 4);
		crc = ext2fs_crc32c(crc, gd, off);
		crc = ext2fs_crc32c(crc, &zero, 2);
		if (off + 2 < em->em_descsize)
			crc = ext2fs_crc32c(
			    crc, gd + off + 2, em->em_descsize - off - 2);
		return (uint16_t)crc;
	}
	if (!em->em_gdtcsum)
		return 0;
	c16 = ext2fs_crc16(0xffff, em->em_sb.s_uuid, 16);
	c16 = ext2fs_crc16(c16, &leg, 4);
	c16 = ext2fs_crc16(c16, gd, off);
	if (ext2fs_is64(em) && off + 2 < em->em_descsize)
		c16 =
		    ext2fs_crc16(c16, gd + off + 2, em->em_descsize - off - 2);
	return c16;
}

/* The descriptor of g changed.  Holds em_lock. */
static void
gd_dirty(struct ext2fs_mount *em, uint32_t g)
{
	KASSERT(mutex_owned(&em->em_lock));
	ext2fs_gd(em, g)->bg_checksum = le16(ext2fs_gd_csum(em, g));
	em->em_gdtdirty[((size_t)g * em->em_descsize) >> em->em_bshift] = 1;
	em->em_sbdirty = true;
}

/* First block of group g. */
static uint64_t
group_first(struct ext2fs_mount *em, uint32_t g)
{
	return em->em_firstdata + (uint64_t)g * em->em_bpg;
}

/* Blocks in group g (the last may be short). */
static uint32_t
group_nblocks(struct ext2fs_mount *em, uint32_t g)
{
	uint64_t first = group_first(em, g);

	return (uint32_t)MIN((uint64_t)em->em_bpg, em->em_nblocks - first);
}

/* Whether group g holds a copy of the superblock (sparse_super: 0, 1
 * and powers of 3, 5, 7). */
static bool
group_has_super(struct ext2fs_mount *em, uint32_t g)
{
	if (g <= 1 || !EXT2_HAS_ROCOMPAT(em, EXT2_ROCOMPAT_SPARSE_SUPER))
		return true;
	if (g % 2 == 0)
		return false;
	for (uint32_t b = 3; b <= 7; b += 2) {
		uint64_t p = b;

		while (p < g)
			p *= b;
		if (p == g)
			return true;
	}
	return false;
}

int
ext2fs_gd_check(struct ext2fs_mount *em)
{
	uint64_t freeb = 0, freei = 0;

	for (uint32_t g = 0; g < em->em_ngroups; g++) {
		struct ext2_gd *gd = ext2fs_gd(em, g);
		uint64_t bb = ext2fs_gd_bbitmap(em, gd);
		uint64_t ib = ext2fs_gd_ibitmap(em, gd);
		uint64_t it = ext2fs_gd_itable(em, gd);

		if ((em->em_csum || em->em_gdtcsum) &&
		    le16(gd->bg_checksum) != ext2fs_gd_csum(em, g)) {
			printf("ext2fs: group %u: descriptor checksum "
			       "mismatch\n",
			    g);
			return EUCLEAN;
		}
		if (!ext2fs_blk_ok(em, bb, 1) || !ext2fs_blk_ok(em, ib, 1) ||
		    !ext2fs_blk_ok(em, it, em->em_itblocks)) {
			printf("ext2fs: group %u: bitmap or inode table "
			       "outside the file system\n",
			    g);
			return EUCLEAN;
		}
		if (ext2fs_gd_freeblocks(em, gd) > group_nblocks(em, g) ||
		    ext2fs_gd_freeinodes(em, gd) > em->em_ipg ||
		    ext2fs_gd_itable_unused(em, gd) > em->em_ipg) {
			printf("ext2fs: group %u: bad counts\n", g);
			return EUCLEAN;
		}
		freeb += ext2fs_gd_freeblocks(em, gd);
		freei += ext2fs_gd_freeinodes(em, gd);
	}
	/* The totals are the groups' (the superblock's may lag). */
	em->em_freeblocks = freeb;
	em->em_freeinodes = (uint32_t)freei;
	return 0;
}

/* --------------------------------------------------------------- blocks */

bool
ext2fs_blk_ok(struct ext2fs_mount *em, uint64_t blk, uint64_t n)
{
	return blk > em->em_firstdata && n <= em->em_nblocks &&
	    blk <= em->em_nblocks - n;
}

int
ext2fs_bread(struct ext2fs_mount *em, uint64_t blk, struct buf **bpp)
{
	int error;

	*bpp = NULL;
	if (blk >= em->em_nblocks)
		return EUCLEAN;
	error = bread(em->em_dev, (int64_t)blk, em->em_bsize, bpp);
	if (error) {
		if (*bpp != NULL) {
			brelse(*bpp);
			*bpp = NULL;
		}
		return error;
	}
	return 0;
}

int
ext2fs_getblk(struct ext2fs_mount *em, uint64_t blk, struct buf **bpp)
{
	KASSERT(blk < em->em_nblocks);
	*bpp = getblk(em->em_dev, (int64_t)blk, em->em_bsize);
	return *bpp == NULL ? ENOMEM : 0;
}

static inline bool
bit_isset(const uint8_t *map, uint32_t i)
{
	return (map[i >> 3] >> (i & 7)) & 1;
}

static inline void
bit_set(uint8_t *map, uint32_t i)
{
	map[i >> 3] |= (uint8_t)(1u << (i & 7));
}

static inline void
bit_clr(uint8_t *map, uint32_t i)
{
	map[i >> 3] &= (uint8_t) ~(1u << (i & 7));
}

/* Marks [blk, blk+n) in group g's bitmap map, where they fall in it. */
static void
mark_range(
    struct ext2fs_mount *em, uint8_t *map, uint32_t g, uint64_t blk, uint64_t n)
{
	uint64_t first = group_first(em, g), end = first + group_nblocks(em, g);

	for (uint64_t b = blk; b < blk + n; b++)
		if (b >= first && b < end)
			bit_set(map, (uint32_t)(b - first));
}

/*
 * Makes the block bitmap of a group that mke2fs left uninitialised
 * (BLOCK_UNINIT): the superblock copy and descriptor blocks, and the
 * bitmaps and inode tables of any group that sit in it.  Holds em_lock.
 */
static void
init_block_bitmap(struct ext2fs_mount *em, uint32_t g, uint8_t *map)
{
	uint32_t n = group_nblocks(em, g);

	KASSERT(mutex_owned(&em->em_lock));
	memset(map, 0, em->em_bsize);
	if (group_has_super(em, g))
		mark_range(em, map, g, group_first(em, g),
		    1 + (uint64_t)em->em_gdtblocks +
		        le16(em->em_sb.s_reserved_gdt_blocks));
	for (uint32_t h = 0; h < em->em_ngroups; h++) {
		struct ext2_gd *gd = ext2fs_gd(em, h);

		mark_range(em, map, g, ext2fs_gd_bbitmap(em, gd), 1);
		mark_range(em, map, g, ext2fs_gd_ibitmap(em, gd), 1);
		mark_range(
		    em, map, g, ext2fs_gd_itable(em, gd), em->em_itblocks);
	}
	for (uint32_t i = n; i < em->em_bsize * 8; i++)
		bit_set(map, i);
}

/*
 * The block bitmap of group g, busy, initialised when it was not.
 * Holds em_lock.
 */
static int
get_block_bitmap(struct ext2fs_mount *em, uint32_t g, struct buf **bpp)
{
	struct ext2_gd *gd = ext2fs_gd(em, g);
	uint64_t blk = ext2fs_gd_bbitmap(em, gd);
	int error;

	KASSERT(mutex_owned(&em->em_lock));
	if (le16(gd->bg_flags) & EXT2_BG_BLOCK_UNINIT) {
		if ((error = ext2fs_getblk(em, blk, bpp)) != 0)
			return error;
		init_block_bitmap(em, g, (*bpp)->b_data);
		gd->bg_flags &= le16((uint16_t)~EXT2_BG_BLOCK_UNINIT);
		em->em_bbdirty[g] = 1;
		gd_dirty(em, g);
		return 0;
	}
	return ext2fs_bread(em, blk, bpp);
}

/* Whether an allocation may dip into the blocks reserved for root. */
static bool
may_use_reserved(void)
{
	kauth_cred_t c;
	bool root;

	if (curlwp == NULL)
		return true;
	c = kauth_cred_get();
	root = c->cr_euid == 0;
	kauth_cred_free(c);
	return root;
}

int
ext2fs_balloc(
    struct ext2fs_mount *em, uint64_t goal, uint64_t *blkp, uint32_t *np)
{
	uint32_t want = MAX(*np, 1), g0, g;
	struct buf *bp;
	int error;

	mutex_enter(&em->em_lock);
	if (em->em_freeblocks == 0 ||
	    (em->em_freeblocks <= em->em_rsvblocks && !may_use_reserved())) {
		mutex_exit(&em->em_lock);
		return ENOSPC;
	}
	if (goal <= em->em_firstdata || goal >= em->em_nblocks)
		goal = em->em_firstdata;
	g0 = (uint32_t)((goal - em->em_firstdata) / em->em_bpg);
	for (uint32_t k = 0; k <= em->em_ngroups; k++) {
		struct ext2_gd *gd;
		uint32_t n, start = 0, i, run;
		uint8_t *map;

		g = (g0 + k) % em->em_ngroups;
		gd = ext2fs_gd(em, g);
		if (ext2fs_gd_freeblocks(em, gd) == 0)
			continue;
		n = group_nblocks(em, g);
		if (k == 0 && goal >= group_first(em, g))
			start = (uint32_t)(goal - group_first(em, g));
		if (k == em->em_ngroups) /* back where we began: below goal */
			start = 0;
		if ((error = get_block_bitmap(em, g, &bp)) != 0)
			goto out;
		map = bp->b_data;
		for (i = start; i < n; i++) {
			if ((i & 7) == 0 && map[i >> 3] == 0xff && i + 8 <= n) {
				i += 7;
				continue;
			}
			if (!bit_isset(map, i))
				break;
		}
		if (i >= n) {
			brelse(bp);
			continue;
		}
		for (run = 0;
		     run < want && i + run < n && !bit_isset(map, i + run) &&
		     run < ext2fs_gd_freeblocks(em, gd);
		     run++)
			bit_set(map, i + run);
		ext2fs_bdwrite_meta(em, bp);
		gd_set_freeblocks(em, gd, ext2fs_gd_freeblocks(em, gd) - run);
		em->em_freeblocks -= run;
		em->em_bbdirty[g] = 1;
		gd_dirty(em, g);
		*blkp = group_first(em, g) + i;
		*np = run;
		error = 0;
		goto out;
	}
	/* The counts said there was room but no bitmap had any. */
	printf("ext2fs: free block counts disagree with the bitmaps\n");
	error = ENOSPC;
out:
	mutex_exit(&em->em_lock);
	return error;
}

void
ext2fs_bfree(struct ext2fs_mount *em, uint64_t blk, uint64_t n)
{
	if (!ext2fs_blk_ok(em, blk, n)) {
		printf("ext2fs: freeing blocks %llu+%llu outside the file "
		       "system\n",
		    (unsigned long long)blk, (unsigned long long)n);
		return;
	}
	if (!ext2fs_jnl_defer_free(em, blk, n))
		ext2fs_bfree_apply(em, blk, n);
}

void
ext2fs_bfree_apply(struct ext2fs_mount *em, uint64_t blk, uint64_t n)
{
	struct buf *bp = NULL;
	uint32_t g = UINT32_MAX;

	mutex_enter(&em->em_lock);
	for (uint64_t b = blk; b < blk + n; b++) {
		uint32_t bg = (uint32_t)((b - em->em_firstdata) / em->em_bpg);
		uint32_t i = (uint32_t)((b - em->em_firstdata) % em->em_bpg);
		struct ext2_gd *gd = ext2fs_gd(em, bg);

		if (bg != g) {
			if (bp != NULL)
				ext2fs_bdwrite_meta(em, bp);
			bp = NULL;
			g = bg;
			if (get_block_bitmap(em, g, &bp) != 0) {
				bp = NULL;
				g = UINT32_MAX;
				continue;
			}
		}
		if (!bit_isset(bp->b_data, i)) {
			printf("ext2fs: block %llu freed twice\n",
			    (unsigned long long)b);
			continue;
		}
		bit_clr(bp->b_data, i);
		gd_set_freeblocks(em, gd, ext2fs_gd_freeblocks(em, gd) + 1);
		em->em_freeblocks++;
		em->em_bbdirty[g] = 1;
		gd_dirty(em, g);
	}
	if (bp != NULL)
		ext2fs_bdwrite_meta(em, bp);
	mutex_exit(&em->em_lock);
}

/* The inode bitmap of group g, busy, initialised when it was not. */
static int
get_inode_bitmap(struct ext2fs_mount *em, uint32_t g, struct buf **bpp)
{
	struct ext2_gd *gd = ext2fs_gd(em, g);
	uint64_t blk = ext2fs_gd_ibitmap(em, gd);
	int error;

	KASSERT(mutex_owned(&em->em_lock));
	if (le16(gd->bg_flags) & EXT2_BG_INODE_UNINIT) {
		if ((error = ext2fs_getblk(em, blk, bpp)) != 0)
			return error;
		memset((*bpp)->b_data, 0, em->em_bsize);
		for (uint32_t i = em->em_ipg; i < em->em_bsize * 8; i++)
			bit_set((*bpp)->b_data, i);
		gd->bg_flags &= le16((uint16_t)~EXT2_BG_INODE_UNINIT);
		em->em_ibdirty[g] = 1;
		gd_dirty(em, g);
		return 0;
	}
	return ext2fs_bread(em, blk, bpp);
}

/* Picks the group of a new inode: near the parent, directories spread. */
static uint32_t
ialloc_group(struct ext2fs_mount *em, uint32_t pino, bool isdir, uint32_t k)
{
	uint32_t pg = (pino - 1) / em->em_ipg;

	if (!isdir)
		return (pg + k) % em->em_ngroups;
	/* Directories: round robin, so trees spread over the groups. */
	return (em->em_dirrotor + k) % em->em_ngroups;
}

int
ext2fs_ialloc(
    struct ext2fs_mount *em, uint32_t pino, bool isdir, uint32_t *inop)
{
	struct buf *bp;
	int error = ENOSPC;

	mutex_enter(&em->em_lock);
	if (em->em_freeinodes == 0)
		goto out;
	for (int pass = 0; pass < 2; pass++) {
		for (uint32_t k = 0; k < em->em_ngroups; k++) {
			uint32_t g = ialloc_group(em, pino, isdir, k), i;
			struct ext2_gd *gd = ext2fs_gd(em, g);
			uint32_t fi = ext2fs_gd_freeinodes(em, gd);
			uint32_t fb = ext2fs_gd_freeblocks(em, gd);

			if (fi == 0)
				continue;
			/* First pass: a directory wants room around it. */
			if (pass == 0 && isdir &&
			    (uint64_t)fi * em->em_ngroups < em->em_freeinodes &&
			    (uint64_t)fb * em->em_ngroups < em->em_freeblocks)
				continue;
			if ((error = get_inode_bitmap(em, g, &bp)) != 0)
				goto out;
			for (i = 0; i < em->em_ipg; i++) {
				const uint8_t *map = bp->b_data;
				uint32_t ino = g * em->em_ipg + i + 1;
				uint64_t w;

				/*
				 * Skip 64, then 8 used inodes at a time: a
				 * group filling up is not scanned bit by bit
				 * for every new inode.
				 */
				if (i % 64 == 0 && i + 64 <= em->em_ipg) {
					memcpy(&w, map + i / 8, sizeof(w));
					if (w == ~(uint64_t)0) {
						i += 63;
						continue;
					}
				}
				if (i % 8 == 0 && i + 8 <= em->em_ipg &&
				    map[i / 8] == 0xff) {
					i += 7;
					continue;
				}
				if (ino < em->em_firstino)
					continue;
				if (!bit_isset(map, i))
					break;
			}
			if (i == em->em_ipg) {
				brelse(bp);
				continue;
			}
			bit_set(bp->b_data, i);
			ext2fs_bdwrite_meta(em, bp);
			if (le16(gd->bg_flags) & EXT2_BG_BLOCK_UNINIT) {
				/* Its inode table is in use now: as Linux. */
				if (get_block_bitmap(em, g, &bp) == 0)
					ext2fs_bdwrite_meta(em, bp);
			}
			gd_set_freeinodes(em, gd, fi - 1);
			if (isdir) {
				gd_set_useddirs(
				    em, gd, ext2fs_gd_useddirs(em, gd) + 1);
				em->em_dirrotor = g + 1;
			}
			if ((em->em_csum || em->em_gdtcsum) &&
			    i >= em->em_ipg - ext2fs_gd_itable_unused(em, gd))
				gd_set_itable_unused(
				    em, gd, em->em_ipg - i - 1);
			em->em_freeinodes--;
			em->em_ibdirty[g] = 1;
			gd_dirty(em, g);
			*inop = g * em->em_ipg + i + 1;
			error = 0;
			goto out;
		}
	}
	error = ENOSPC;
out:
	mutex_exit(&em->em_lock);
	return error;
}

void
ext2fs_ifree(struct ext2fs_mount *em, uint32_t ino, bool isdir)
{
	uint32_t g = (ino - 1) / em->em_ipg, i = (ino - 1) % em->em_ipg;
	struct ext2_gd *gd;
	struct buf *bp;

	KASSERT(ino >= 1 && ino <= em->em_ninodes);
	mutex_enter(&em->em_lock);
	gd = ext2fs_gd(em, g);
	if (get_inode_bitmap(em, g, &bp) != 0)
		goto out;
	if (!bit_isset(bp->b_data, i)) {
		printf("ext2fs: inode %u freed twice\n", ino);
		brelse(bp);
		goto out;
	}
	bit_clr(bp->b_data, i);
	ext2fs_bdwrite_meta(em, bp);
	gd_set_freeinodes(em, gd, ext2fs_gd_freeinodes(em, gd) + 1);
	if (isdir && ext2fs_gd_useddirs(em, gd) > 0)
		gd_set_useddirs(em, gd, ext2fs_gd_useddirs(em, gd) - 1);
	em->em_freeinodes++;
	em->em_ibdirty[g] = 1;
	gd_dirty(em, g);
out:
	mutex_exit(&em->em_lock);
}

/* ----------------------------------------------------------- write-back */

/* Bitmap checksums of group g, recomputed.  Holds em_lock. */
static int
bitmap_csums(struct ext2fs_mount *em, uint32_t g)
{
	struct ext2_gd *gd = ext2fs_gd(em, g);
	struct buf *bp;
	uint32_t crc;
	int error;

	if (em->em_bbdirty[g]) {
		if ((error = ext2fs_bread(em, ext2fs_gd_bbitmap(em, gd), &bp)))
			return error;
		crc =
		    ext2fs_crc32c(em->em_csumseed, bp->b_data, em->em_bpg / 8);
		brelse(bp);
		gd->bg_block_bitmap_csum_lo = le16((uint16_t)crc);
		if (em->em_descsize >= 0x3A)
			gd->bg_block_bitmap_csum_hi =
			    le16((uint16_t)(crc >> 16));
		em->em_bbdirty[g] = 0;
	}
	if (em->em_ibdirty[g]) {
		if ((error = ext2fs_bread(em, ext2fs_gd_ibitmap(em, gd), &bp)))
			return error;
		crc =
		    ext2fs_crc32c(em->em_csumseed, bp->b_data, em->em_ipg / 8);
		brelse(bp);
		gd->bg_inode_bitmap_csum_lo = le16((uint16_t)crc);
		if (em->em_descsize >= 0x3C)
			gd->bg_inode_bitmap_csum_hi =
			    le16((uint16_t)(crc >> 16));
		em->em_ibdirty[g] = 0;
	}
	gd_dirty(em, g);
	return 0;
}

int
ext2fs_write_meta(struct ext2fs_mount *em)
{
	struct ext2_super *sb = &em->em_sb;
	uint64_t now = getnanotime() / 1000000000u;
	struct buf *bp;
	uint32_t per = em->em_bsize / em->em_descsize;
	int error = 0;

	mutex_enter(&em->em_lock);
	for (uint32_t g = 0; g < em->em_ngroups; g++) {
		if (!em->em_bbdirty[g] && !em->em_ibdirty[g])
			continue;
		if (em->em_csum) {
			if ((error = bitmap_csums(em, g)) != 0)
				goto out;
		} else {
			em->em_bbdirty[g] = em->em_ibdirty[g] = 0;
		}
	}
	for (uint32_t b = 0; b < em->em_gdtblocks; b++) {
		uint32_t first = b * per, n;

		if (!em->em_gdtdirty[b])
			continue;
		n = MIN(per, em->em_ngroups - first);
		error = ext2fs_bread(em, em->em_firstdata + 1 + b, &bp);
		if (error)
			goto out;
		memcpy(bp->b_data, em->em_gdt + (size_t)first * em->em_descsize,
		    (size_t)n * em->em_descsize);
		ext2fs_bdwrite_meta(em, bp);
		em->em_gdtdirty[b] = 0;
	}
	if (!em->em_sbdirty)
		goto out;
	sb->s_free_blocks_count_lo = le32((uint32_t)em->em_freeblocks);
	if (EXT2_HAS_INCOMPAT(em, EXT2_INCOMPAT_64BIT))
		sb->s_free_blocks_count_hi =
		    le32((uint32_t)(em->em_freeblocks >> 32));
	sb->s_free_inodes_count = le32(em->em_freeinodes);
	sb->s_wtime = le32((uint32_t)now);
	if (em->em_csum)
		sb->s_wtime_hi = (uint8_t)(now >> 32);
	if (em->em_csum)
		sb->s_checksum = le32(ext2fs_sb_csum(sb));
	if (em->em_bsize == EXT2_SUPER_OFFSET) {
		error = ext2fs_bread(em, 1, &bp);
		if (error)
			goto out;
		memcpy(bp->b_data, sb, EXT2_SUPER_SIZE);
	} else {
		error = ext2fs_bread(em, 0, &bp);
		if (error)
			goto out;
		memcpy((char *)bp->b_data + EXT2_SUPER_OFFSET, sb,
		    EXT2_SUPER_SIZE);
	}
	ext2fs_bdwrite_meta(em, bp);
	em->em_sbdirty = false;
out:
	mutex_exit(&em->em_lock);
	return error;
}
