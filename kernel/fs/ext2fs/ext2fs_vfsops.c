/*
 * ext2fs_vfsops.c — ext2, ext3 and ext4 as file-system types: mounting a
 * block device (checking the superblock and the features the image
 * needs), unmounting, statfs, sync, and loading inodes into vnodes.
 *
 * The three names are one driver: what it does follows the image's
 * feature bits.  An image with an incompatible feature the driver does
 * not know is refused (EINVAL, with the feature named on the console); an
 * unknown read-only-compatible feature or inline data allow read-only
 * mounts only (EROFS for read-write).
 *
 * The journal (ext2fs_journal.c): a journal that needs recovery is
 * replayed at mount, read-only mounts included (as Linux does), unless
 * noload/norecovery, which then needs a read-only mount; the superblock
 * and descriptors are read again after the replay.  A journal that
 * cannot be replayed fails the mount with the reason on the console.  A
 * read-write mount of an image with a journal writes its metadata through
 * it (ordered mode) until unmount or remount read-only, which leave an
 * empty log and clear needs_recovery.  Without a journal (ext2, or
 * noload) metadata is written in place.
 *
 * A read-write mount clears the superblock's "cleanly unmounted" state
 * and bumps the mount count at once, then frees or truncates what a
 * crash left on the orphan list; unmount writes everything back and sets
 * the state again.  A read-only mount leaves the orphan list alone, as
 * does a remount to read-write; a remount to read-only is EBUSY while
 * removed files are open (they are on the list), as on Linux.
 *
 * Options (as Linux's ext4 takes them) are accepted: ro, rw, noatime,
 * relatime, strictatime, nodiratime, errors=continue|remount-ro|panic,
 * data=ordered|writeback (both ordered), barrier, nobarrier,
 * user_xattr, nouser_xattr, acl, noacl, sync, delalloc, nodelalloc,
 * noload, norecovery, commit=N (seconds between journal commits,
 * default 5; kept from the mount, not changed by a remount), discard,
 * nodiscard.  data=journal and anything else are EINVAL.
 */
#include "ext2fs.h"

struct feature_name {
	uint32_t fn_bit;
	const char *fn_name;
};

static const struct feature_name incompat_names[] = {
    {EXT2_INCOMPAT_COMPRESSION, "compression"},
    {EXT2_INCOMPAT_FILETYPE, "filetype"},
    {EXT2_INCOMPAT_RECOVER, "needs_recovery"},
    {EXT2_INCOMPAT_JOURNAL_DEV, "journal_dev"},
    {EXT2_INCOMPAT_META_BG, "meta_bg"},
    {EXT2_INCOMPAT_EXTENTS, "extent"},
    {EXT2_INCOMPAT_64BIT, "64bit"},
    {EXT2_INCOMPAT_MMP, "mmp"},
    {EXT2_INCOMPAT_FLEX_BG, "flex_bg"},
    {EXT2_INCOMPAT_EA_INODE, "ea_inode"},
    {EXT2_INCOMPAT_DIRDATA, "dirdata"},
    {EXT2_INCOMPAT_CSUM_SEED, "metadata_csum_seed"},
    {EXT2_INCOMPAT_LARGEDIR, "large_dir"},
    {EXT2_INCOMPAT_INLINE_DATA, "inline_data"},
    {EXT2_INCOMPAT_ENCRYPT, "encrypt"},
    {EXT2_INCOMPAT_CASEFOLD, "casefold"},
};

static const struct feature_name rocompat_names[] = {
    {EXT2_ROCOMPAT_SPARSE_SUPER, "sparse_super"},
    {EXT2_ROCOMPAT_LARGE_FILE, "large_file"},
    {EXT2_ROCOMPAT_BTREE_DIR, "btree_dir"},
    {EXT2_ROCOMPAT_HUGE_FILE, "huge_file"},
    {EXT2_ROCOMPAT_GDT_CSUM, "uninit_bg"},
    {EXT2_ROCOMPAT_DIR_NLINK, "dir_nlink"},
    {EXT2_ROCOMPAT_EXTRA_ISIZE, "extra_isize"},
    {EXT2_ROCOMPAT_HAS_SNAPSHOT, "snapshot"},
    {EXT2_ROCOMPAT_QUOTA, "quota"},
    {EXT2_ROCOMPAT_BIGALLOC, "bigalloc"},
    {EXT2_ROCOMPAT_METADATA_CSUM, "metadata_csum"},
    {EXT2_ROCOMPAT_REPLICA, "replica"},
    {EXT2_ROCOMPAT_READONLY, "read-only"},
    {EXT2_ROCOMPAT_PROJECT, "project"},
    {EXT2_ROCOMPAT_SHARED_BLOCKS, "shared_blocks"},
    {EXT2_ROCOMPAT_VERITY, "verity"},
    {EXT2_ROCOMPAT_ORPHAN_PRESENT, "orphan_present"},
};

/* What the driver reads (incompat) and writes (ro_compat). */
#define INCOMPAT_SUPP                                                          \
	(EXT2_INCOMPAT_FILETYPE | EXT2_INCOMPAT_RECOVER |                      \
	    EXT2_INCOMPAT_EXTENTS | EXT2_INCOMPAT_64BIT |                      \
	    EXT2_INCOMPAT_FLEX_BG | EXT2_INCOMPAT_CSUM_SEED |                  \
	    EXT2_INCOMPAT_LARGEDIR | EXT2_INCOMPAT_INLINE_DATA)
#define ROCOMPAT_SUPP                                                          \
	(EXT2_ROCOMPAT_SPARSE_SUPER | EXT2_ROCOMPAT_LARGE_FILE |               \
	    EXT2_ROCOMPAT_BTREE_DIR | EXT2_ROCOMPAT_HUGE_FILE |                \
	    EXT2_ROCOMPAT_GDT_CSUM | EXT2_ROCOMPAT_DIR_NLINK |                 \
	    EXT2_ROCOMPAT_EXTRA_ISIZE | EXT2_ROCOMPAT_METADATA_CSUM)

/* Prints the names of the bits of f: "what: a, b". */
static void
print_features(
    const char *what, const struct feature_name *names, size_t n, uint32_t f)
{
	char buf[256];
	size_t len = 0;

	buf[0] = '\0';
	for (uint32_t bit = 1; bit != 0; bit <<= 1) {
		const char *name = NULL;
		char hex[16];

		if (!(f & bit))
			continue;
		for (size_t i = 0; i < n; i++)
			if (names[i].fn_bit == bit)
				name = names[i].fn_name;
		if (name == NULL) {
			snprintf(hex, sizeof(hex), "0x%x", bit);
			name = hex;
		}
		len += (size_t)snprintf(buf + len,
		    sizeof(buf) - MIN(len, sizeof(buf)), "%s%s",
		    len ? ", " : "", name);
		if (len >= sizeof(buf))
			break;
	}
	printf("ext2fs: %s: %s\n", what, buf);
}

#define EXT2_MNT_NOLOAD 0x01 /* noload, norecovery */

/*
 * Checks the options; *flagsp gets EXT2_MNT_*, *commitp the commit
 * interval in seconds (commit=N; 0 or absent: 5, as Linux).
 */
static int
ext2fs_parse_opts(const char *opts, int *flagsp, unsigned *commitp)
{
	static const char *const ok[] = {"ro", "rw", "noatime", "relatime",
	    "strictatime", "nodiratime", "atime", "diratime", "barrier",
	    "nobarrier", "user_xattr", "nouser_xattr", "acl", "noacl", "sync",
	    "async", "delalloc", "nodelalloc", "noload", "norecovery",
	    "discard", "nodiscard", "errors=continue", "errors=remount-ro",
	    "errors=panic", "data=ordered", "data=writeback", "defaults",
	    "lazytime", "nolazytime", "dirsync", "nosuid", "nodev", "noexec",
	    "suid", "dev", "exec"};
	const char *p, *end;
	char item[64];
	size_t len;

	*flagsp = 0;
	*commitp = 5;
	for (p = opts; p != NULL && *p != '\0';
	     p = *end != '\0' ? end + 1 : end) {
		bool found = false;

		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		len = (size_t)(end - p);
		if (len == 0)
			continue;
		if (len >= sizeof(item)) {
			printf("ext2fs: option too long\n");
			return EINVAL;
		}
		memcpy(item, p, len);
		item[len] = '\0';
		for (size_t i = 0; i < nitems(ok) && !found; i++)
			found = strcmp(item, ok[i]) == 0;
		if (!found && strncmp(item, "commit=", 7) == 0) {
			unsigned long n = 0;
			const char *d = item + 7;

			for (; *d >= '0' && *d <= '9' && n <= 86400; d++)
				n = n * 10 + (unsigned long)(*d - '0');
			if (*d != '\0' || d == item + 7 || n > 86400) {
				printf("ext2fs: bad option \"%s\"\n", item);
				return EINVAL;
			}
			*commitp = n == 0 ? 5 : (unsigned)n;
			found = true;
		}
		if (strcmp(item, "noload") == 0 ||
		    strcmp(item, "norecovery") == 0)
			*flagsp |= EXT2_MNT_NOLOAD;
		if (strcmp(item, "data=journal") == 0) {
			printf("ext2fs: data=journal is not supported\n");
			return EINVAL;
		}
		if (!found) {
			printf("ext2fs: unsupported option \"%s\"\n", item);
			return EINVAL;
		}
	}
	return 0;
}

/* The block device named by source, referenced; dev and its size. */
static int
ext2fs_opendev(
    const char *source, bool rdonly, struct vnode **vpp, uint64_t *sizep)
{
	const struct devsw *sw;
	struct nameidata nd;
	struct vnode *vp;
	unsigned secsize;
	int error;

	*vpp = NULL;
	if (source == NULL)
		return EINVAL;
	memset(&nd, 0, sizeof(nd));
	if ((nd.nd_pbuf = kmem_alloc(PATH_MAX, KM_SLEEP)) == NULL)
		return ENOMEM;
	if (strlcpy(nd.nd_pbuf, source, PATH_MAX) >= PATH_MAX) {
		kmem_free(nd.nd_pbuf, PATH_MAX);
		return ENAMETOOLONG;
	}
	nd.nd_dirfd = AT_FDCWD;
	nd.nd_flags = NI_FOLLOW;
	nd.nd_cred = kauth_cred_get();
	error = namei(&nd);
	kauth_cred_free(nd.nd_cred);
	kmem_free(nd.nd_pbuf, PATH_MAX);
	if (error)
		return error;
	vp = nd.nd_vp;
	nd.nd_vp = NULL;
	namei_done(&nd);
	if (vp->v_type != VBLK) {
		vrele(vp);
		return ENOTBLK;
	}
	sw = devsw_lookup(vp->v_rdev);
	if (sw == NULL || sw->d_strategy == NULL || sw->d_size == NULL) {
		vrele(vp);
		return ENXIO;
	}
	if (sw->d_open != NULL &&
	    (error = sw->d_open(vp->v_rdev, rdonly ? O_RDONLY : O_RDWR)) != 0) {
		vrele(vp);
		return error;
	}
	if ((error = sw->d_size(vp->v_rdev, sizep, &secsize)) != 0) {
		if (sw->d_close != NULL)
			(void)sw->d_close(
			    vp->v_rdev, rdonly ? O_RDONLY : O_RDWR);
		vrele(vp);
		return error;
	}
	*vpp = vp;
	return 0;
}

static void
ext2fs_closedev(struct vnode *vp, bool rdonly)
{
	const struct devsw *sw = devsw_lookup(vp->v_rdev);

	binval(vp->v_rdev);
	if (sw != NULL && sw->d_close != NULL)
		(void)sw->d_close(vp->v_rdev, rdonly ? O_RDONLY : O_RDWR);
	vrele(vp);
}

static bool
is_pow2(uint64_t x)
{
	return x != 0 && (x & (x - 1)) == 0;
}

/* The largest file size the image's features allow. */
static uint64_t
max_file_size(struct ext2fs_mount *em)
{
	uint64_t ppb = em->em_bsize / 4, blocks, lim;

	if (em->em_extents) {
		blocks = 0xFFFFFFFFull;
		if (!em->em_hugefile)
			blocks =
			    MIN(blocks, 0xFFFFFFFFull >> (em->em_bshift - 9));
	} else {
		blocks = EXT2_NDIR + ppb + ppb * ppb + ppb * ppb * ppb;
		lim = 0xFFFFFFFFull >> (em->em_bshift - 9);
		lim -= 3 + 2 * ppb + ppb * ppb; /* the indirect blocks */
		blocks = MIN(blocks, lim);
	}
	if (!EXT2_HAS_ROCOMPAT(em, EXT2_ROCOMPAT_LARGE_FILE))
		return 0x7FFFFFFF;
	return blocks << em->em_bshift;
}

/* Checks the superblock in em->em_sb and fills in em's geometry. */
static int
ext2fs_sb_check(struct ext2fs_mount *em, uint64_t devsize, bool rdonly)
{
	struct ext2_super *sb = &em->em_sb;
	uint32_t lbs = le32(sb->s_log_block_size), unknown;
	uint64_t nblocks;

	if (le16(sb->s_magic) != EXT2_MAGIC) {
		printf("ext2fs: no ext2/3/4 superblock\n");
		return EINVAL;
	}
	em->em_compat = le32(sb->s_feature_compat);
	em->em_incompat = le32(sb->s_feature_incompat);
	em->em_rocompat = le32(sb->s_feature_ro_compat);
	if (le32(sb->s_rev_level) == 0)
		em->em_compat = em->em_incompat = em->em_rocompat = 0;
	if ((unknown = em->em_incompat & ~(uint32_t)INCOMPAT_SUPP) != 0) {
		print_features("unsupported incompatible features",
		    incompat_names, nitems(incompat_names), unknown);
		return EINVAL;
	}
	em->em_csum = EXT2_HAS_ROCOMPAT(em, EXT2_ROCOMPAT_METADATA_CSUM);
	if (em->em_csum && le32(ext2fs_sb_csum(sb)) != le32(sb->s_checksum)) {
		printf("ext2fs: superblock checksum mismatch\n");
		return EUCLEAN;
	}
	if ((unknown = em->em_rocompat & ~(uint32_t)ROCOMPAT_SUPP) != 0) {
		print_features("read-only features (mount read-only)",
		    rocompat_names, nitems(rocompat_names), unknown);
		em->em_rdonly_only = true;
	}
	if (EXT2_HAS_INCOMPAT(em, EXT2_INCOMPAT_INLINE_DATA)) {
		if (!rdonly)
			printf("ext2fs: inline_data is read-only for now\n");
		em->em_rdonly_only = true;
	}
	if (em->em_rdonly_only && !rdonly)
		return EROFS;

	if (lbs > EXT2_MAX_BSHIFT - EXT2_MIN_BSHIFT)
		goto bad;
	em->em_bshift = EXT2_MIN_BSHIFT + lbs;
	em->em_bsize = 1u << em->em_bshift;
	em->em_firstdata = le32(sb->s_first_data_block);
	if (em->em_firstdata != (em->em_bsize == 1024 ? 1u : 0u))
		goto bad;
	nblocks = le32(sb->s_blocks_count_lo);
	if (EXT2_HAS_INCOMPAT(em, EXT2_INCOMPAT_64BIT))
		nblocks |= (uint64_t)le32(sb->s_blocks_count_hi) << 32;
	em->em_nblocks = nblocks;
	if (nblocks <= em->em_firstdata + 1 || nblocks > (1ull << 48))
		goto bad;
	if (nblocks > devsize >> em->em_bshift) {
		printf("ext2fs: the device (%llu bytes) is smaller than the "
		       "file system (%llu blocks)\n",
		    (unsigned long long)devsize, (unsigned long long)nblocks);
		return EINVAL;
	}
	em->em_bpg = le32(sb->s_blocks_per_group);
	em->em_ipg = le32(sb->s_inodes_per_group);
	if (em->em_bpg == 0 || em->em_bpg > em->em_bsize * 8 ||
	    em->em_bpg % 8 != 0 || em->em_ipg == 0 ||
	    em->em_ipg > em->em_bsize * 8 || em->em_ipg % 8 != 0)
		goto bad;
	if (EXT2_HAS_ROCOMPAT(em, EXT2_ROCOMPAT_BIGALLOC) &&
	    le32(sb->s_log_cluster_size) != lbs)
		em->em_rdonly_only = true; /* already refused for rw */
	em->em_ngroups =
	    (uint32_t)howmany(nblocks - em->em_firstdata, (uint64_t)em->em_bpg);
	if ((uint64_t)em->em_ngroups * em->em_ipg != le32(sb->s_inodes_count) ||
	    (uint64_t)em->em_ngroups * em->em_ipg > UINT32_MAX)
		goto bad;
	em->em_ninodes = le32(sb->s_inodes_count);
	if (le32(sb->s_rev_level) == 0) {
		em->em_isize = EXT2_GOOD_OLD_INODE_SIZE;
		em->em_firstino = EXT2_GOOD_OLD_FIRST_INO;
	} else {
		em->em_isize = le16(sb->s_inode_size);
		em->em_firstino = le32(sb->s_first_ino);
	}
	if (!is_pow2(em->em_isize) || em->em_isize < EXT2_GOOD_OLD_INODE_SIZE ||
	    em->em_isize > em->em_bsize || em->em_firstino <= EXT2_ROOT_INO ||
	    em->em_firstino > em->em_ninodes)
		goto bad;
	em->em_itblocks = (uint32_t)howmany(
	    (uint64_t)em->em_ipg * em->em_isize, (uint64_t)em->em_bsize);
	if (EXT2_HAS_INCOMPAT(em, EXT2_INCOMPAT_64BIT)) {
		em->em_descsize = le16(sb->s_desc_size);
		if (em->em_descsize < EXT2_MIN_DESC_SIZE_64 ||
		    em->em_descsize > EXT2_MAX_DESC_SIZE ||
		    !is_pow2(em->em_descsize) || em->em_descsize > em->em_bsize)
			goto bad;
	} else {
		em->em_descsize = EXT2_MIN_DESC_SIZE;
	}
	em->em_gdtblocks = (uint32_t)howmany(
	    (uint64_t)em->em_ngroups * em->em_descsize, (uint64_t)em->em_bsize);
	if ((uint64_t)em->em_gdtblocks + 1 + em->em_firstdata >= nblocks)
		goto bad;
	em->em_gdtcsum =
	    !em->em_csum && EXT2_HAS_ROCOMPAT(em, EXT2_ROCOMPAT_GDT_CSUM);
	if (em->em_csum) {
		if (EXT2_HAS_INCOMPAT(em, EXT2_INCOMPAT_CSUM_SEED))
			em->em_csumseed = le32(sb->s_checksum_seed);
		else
			em->em_csumseed = ext2fs_crc32c(~0u, sb->s_uuid, 16);
	}
	em->em_ftype = EXT2_HAS_INCOMPAT(em, EXT2_INCOMPAT_FILETYPE);
	em->em_extents = EXT2_HAS_INCOMPAT(em, EXT2_INCOMPAT_EXTENTS);
	em->em_hugefile = EXT2_HAS_ROCOMPAT(em, EXT2_ROCOMPAT_HUGE_FILE);
	em->em_maxsize = max_file_size(em);
	em->em_rsvblocks = le32(sb->s_r_blocks_count_lo);
	if (EXT2_HAS_INCOMPAT(em, EXT2_INCOMPAT_64BIT))
		em->em_rsvblocks |= (uint64_t)le32(sb->s_r_blocks_count_hi)
		    << 32;
	if (!(le16(sb->s_state) & EXT2_STATE_VALID))
		printf("ext2fs: the file system was not cleanly unmounted\n");
	return 0;
bad:
	printf("ext2fs: bad superblock geometry\n");
	return EUCLEAN;
}

static void ext2fs_unload(struct ext2fs_mount *em);

static void
ext2fs_mount_free(struct ext2fs_mount *em)
{
	if (em->em_jnl != NULL)
		(void)ext2fs_jnl_stop(em);
	ext2fs_unload(em);
	mutex_destroy(&em->em_lock);
	mutex_destroy(&em->em_orphlock);
	kmem_free(em, sizeof(*em));
}

/* Sets or clears the "clean" state and writes everything back. */
static int
ext2fs_set_clean(struct ext2fs_mount *em, bool clean)
{
	int error;

	mutex_enter(&em->em_lock);
	if (clean)
		em->em_sb.s_state |= le16(EXT2_STATE_VALID);
	else
		em->em_sb.s_state &= le16((uint16_t)~EXT2_STATE_VALID);
	em->em_sbdirty = true;
	mutex_exit(&em->em_lock);
	if ((error = ext2fs_write_meta(em)) != 0)
		return error;
	return bflush(em->em_dev, true);
}

/* Reads the superblock and the group descriptors into em and checks them. */
static int
ext2fs_load(struct ext2fs_mount *em, uint64_t devsize, bool rdonly)
{
	struct buf *bp;
	int error;

	error = bread(em->em_dev, 1, EXT2_SUPER_SIZE, &bp);
	if (error) {
		if (bp != NULL)
			brelse(bp);
		return error;
	}
	memcpy(&em->em_sb, bp->b_data, EXT2_SUPER_SIZE);
	bp->b_flags |= B_INVAL; /* file-system blocks will cover it */
	brelse(bp);
	if ((error = ext2fs_sb_check(em, devsize, rdonly)) != 0)
		return error;

	em->em_gdt =
	    kmem_alloc((size_t)em->em_gdtblocks * em->em_bsize, KM_SLEEP);
	em->em_gdtdirty = kmem_zalloc(em->em_gdtblocks, KM_SLEEP);
	em->em_bbdirty = kmem_zalloc(em->em_ngroups, KM_SLEEP);
	em->em_ibdirty = kmem_zalloc(em->em_ngroups, KM_SLEEP);
	if (em->em_gdt == NULL || em->em_gdtdirty == NULL ||
	    em->em_bbdirty == NULL || em->em_ibdirty == NULL)
		return ENOMEM;
	for (uint32_t b = 0; b < em->em_gdtblocks; b++) {
		if ((error = ext2fs_bread(em, em->em_firstdata + 1 + b, &bp)))
			return error;
		memcpy(em->em_gdt + (size_t)b * em->em_bsize, bp->b_data,
		    em->em_bsize);
		brelse(bp);
	}
	return ext2fs_gd_check(em);
}

/* Frees what ext2fs_load allocated, so it can run again. */
static void
ext2fs_unload(struct ext2fs_mount *em)
{
	if (em->em_gdt != NULL)
		kmem_free(em->em_gdt, (size_t)em->em_gdtblocks * em->em_bsize);
	if (em->em_gdtdirty != NULL)
		kmem_free(em->em_gdtdirty, em->em_gdtblocks);
	if (em->em_bbdirty != NULL)
		kmem_free(em->em_bbdirty, em->em_ngroups);
	if (em->em_ibdirty != NULL)
		kmem_free(em->em_ibdirty, em->em_ngroups);
	em->em_gdt = NULL;
	em->em_gdtdirty = em->em_bbdirty = em->em_ibdirty = NULL;
}

/*
 * A journal that needs recovery: replayed (also for read-only mounts, as
 * Linux does) unless noload; then the file system is read again.
 */
static int
ext2fs_recover(
    struct ext2fs_mount *em, uint64_t devsize, bool rdonly, int mflags)
{
	int error;

	if (!EXT2_HAS_INCOMPAT(em, EXT2_INCOMPAT_RECOVER))
		return 0;
	if (mflags & EXT2_MNT_NOLOAD) {
		if (!rdonly) {
			printf("ext2fs: the journal needs recovery: noload "
			       "needs a read-only mount\n");
			return EINVAL;
		}
		printf("ext2fs: noload: the journal is not replayed\n");
		em->em_rdonly_only = true;
		return 0;
	}
	if (!EXT2_HAS_COMPAT(em, EXT2_COMPAT_HAS_JOURNAL)) {
		printf("ext2fs: needs_recovery is set without a journal\n");
		if (!rdonly)
			return EUCLEAN;
		em->em_rdonly_only = true;
		return 0;
	}
	if ((error = ext2fs_jnl_replay(em)) != 0) {
		printf("ext2fs: the journal cannot be replayed (error %d): "
		       "run e2fsck\n",
		    error);
		return error;
	}
	/* The replay may have rewritten the superblock and descriptors. */
	ext2fs_unload(em);
	if ((error = ext2fs_load(em, devsize, rdonly)) != 0)
		return error;
	mutex_enter(&em->em_lock);
	em->em_sb.s_feature_incompat &= le32(~(uint32_t)EXT2_INCOMPAT_RECOVER);
	em->em_incompat &= ~(uint32_t)EXT2_INCOMPAT_RECOVER;
	em->em_sbdirty = true;
	mutex_exit(&em->em_lock);
	if ((error = ext2fs_write_meta(em)) != 0 ||
	    (error = bflush(em->em_dev, true)) != 0)
		printf("ext2fs: cannot write the superblock after the "
		       "replay: error %d\n",
		    error);
	return error;
}

/* Read-write from here: the journal (unless noload), then "not clean". */
static int
ext2fs_start_rw(struct ext2fs_mount *em, int mflags)
{
	struct ext2_super *sb = &em->em_sb;
	uint64_t now = getnanotime() / 1000000000u;
	int error;

	if (EXT2_HAS_COMPAT(em, EXT2_COMPAT_HAS_JOURNAL) &&
	    !(mflags & EXT2_MNT_NOLOAD) && (error = ext2fs_jnl_start(em)) != 0)
		return error;
	sb->s_mnt_count = le16((uint16_t)(le16(sb->s_mnt_count) + 1));
	sb->s_mtime = le32((uint32_t)now);
	if ((error = ext2fs_set_clean(em, false)) != 0) {
		(void)ext2fs_jnl_stop(em);
		return error;
	}
	return ext2fs_jnl_activate(em);
}

/* Back to read-only: the journal's last commit, then "clean". */
static int
ext2fs_stop_rw(struct ext2fs_mount *em)
{
	int error, e;

	error = ext2fs_jnl_stop(em);
	e = ext2fs_set_clean(em, true);
	return error != 0 ? error : e;
}

static int
ext2fs_mount(struct mount *mp, const char *source, const char *opts)
{
	bool rdonly = vfs_isrdonly(mp);
	struct ext2fs_mount *em = NULL;
	struct vnode *devvp = NULL;
	uint64_t devsize;
	unsigned commit;
	int error, mflags;

	if ((error = ext2fs_parse_opts(opts, &mflags, &commit)) != 0)
		return error;
	if ((error = ext2fs_opendev(source, rdonly, &devvp, &devsize)) != 0)
		return error;
	if ((em = kmem_zalloc(sizeof(*em), KM_SLEEP)) == NULL) {
		error = ENOMEM;
		goto fail;
	}
	mutex_init(&em->em_lock, MUTEX_DEFAULT);
	mutex_init(&em->em_orphlock, MUTEX_DEFAULT);
	em->em_mp = mp;
	em->em_devvp = devvp;
	em->em_dev = devvp->v_rdev;
	em->em_mflags = mflags;
	em->em_commit_s = commit;
	if (devsize < EXT2_SUPER_OFFSET + EXT2_SUPER_SIZE) {
		error = EINVAL;
		goto fail;
	}
	if ((error = ext2fs_load(em, devsize, rdonly)) != 0 ||
	    (error = ext2fs_recover(em, devsize, rdonly, mflags)) != 0)
		goto fail;
	if (em->em_rdonly_only && !rdonly) {
		error = EROFS;
		goto fail;
	}
	if (!rdonly && (error = ext2fs_start_rw(em, mflags)) != 0)
		goto fail;
	/*
	 * What a crash left on the orphan list, now that the journal has
	 * brought the image to its last committed state.
	 */
	if (!rdonly) {
		ext2fs_trans_begin(em, 0);
		error = ext2fs_orphan_cleanup(em);
		ext2fs_trans_end(em, 0);
		if (error)
			goto fail;
	}
	mp->mnt_data = em;
	return 0;
fail:
	if (em != NULL)
		ext2fs_mount_free(em);
	ext2fs_closedev(devvp, rdonly);
	return error;
}

static int
ext2fs_remount(struct mount *mp, unsigned long flags, const char *opts)
{
	struct ext2fs_mount *em = mp->mnt_data;
	bool was_rdonly = vfs_isrdonly(mp), rdonly = (flags & MS_RDONLY) != 0;
	unsigned commit;
	int error, mflags;

	if ((error = ext2fs_parse_opts(opts, &mflags, &commit)) != 0)
		return error;
	if (was_rdonly && !rdonly) {
		if (em->em_rdonly_only)
			return EROFS;
		return ext2fs_start_rw(em, em->em_mflags);
	}
	if (!was_rdonly && rdonly) {
		bool orphans;

		/* As Linux: not while removed files are still open. */
		mutex_enter(&em->em_orphlock);
		orphans = em->em_orphans != NULL;
		mutex_exit(&em->em_orphlock);
		if (orphans)
			return EBUSY;
		return ext2fs_stop_rw(em);
	}
	return 0;
}

static int
ext2fs_unmount(struct mount *mp, int flags __unused)
{
	struct ext2fs_mount *em = mp->mnt_data;
	bool rdonly = vfs_isrdonly(mp);
	int error = 0;

	if (!rdonly)
		error = ext2fs_stop_rw(em);
	ext2fs_closedev(em->em_devvp, rdonly);
	mp->mnt_data = NULL;
	ext2fs_mount_free(em);
	return error;
}

static int
ext2fs_root(struct mount *mp, struct vnode **vpp)
{
	uint32_t ino = EXT2_ROOT_INO;
	int error;

	error = vcache_get(mp, &ino, sizeof(ino), vpp);
	if (error == 0 && (*vpp)->v_type != VDIR) {
		vrele(*vpp);
		*vpp = NULL;
		printf("ext2fs: the root is not a directory\n");
		return EUCLEAN;
	}
	return error;
}

static int
ext2fs_statfs(struct mount *mp, struct statfs *sf)
{
	struct ext2fs_mount *em = mp->mnt_data;
	uint64_t freeb;

	mutex_enter(&em->em_lock);
	freeb = em->em_freeblocks;
	sf->f_ffree = em->em_freeinodes;
	mutex_exit(&em->em_lock);
	sf->f_type = EXT2_SUPER_MAGIC;
	sf->f_bsize = em->em_bsize;
	sf->f_frsize = em->em_bsize;
	sf->f_blocks = em->em_nblocks - em->em_firstdata;
	sf->f_bfree = freeb;
	sf->f_bavail = freeb > em->em_rsvblocks ? freeb - em->em_rsvblocks : 0;
	sf->f_files = em->em_ninodes;
	memcpy(&sf->f_fsid, em->em_sb.s_uuid, sizeof(sf->f_fsid));
	sf->f_namelen = EXT2_NAME_MAX;
	sf->f_flags |= ST_VALID | (vfs_isrdonly(mp) ? ST_RDONLY : 0);
	return 0;
}

static int
ext2fs_sync(struct mount *mp, bool waitfor)
{
	struct ext2fs_mount *em = mp->mnt_data;
	int error;

	if (vfs_isrdonly(mp))
		return 0;
	if (em->em_jnl != NULL || waitfor)
		return ext2fs_jnl_commit(em, false);
	if ((error = ext2fs_write_meta(em)) != 0)
		return error;
	return bflush(em->em_dev, false);
}

/* The device number of a device inode (old and new encodings). */
static dev_t
ext2fs_rdev(const struct ext2_inode *raw)
{
	uint32_t a = le32(raw->i_block[0]), b = le32(raw->i_block[1]);

	if (a != 0)
		return makedev((a >> 8) & 0xff, a & 0xff);
	return makedev((b & 0xfff00) >> 8, (b & 0xff) | ((b >> 12) & 0xfff00));
}

static int
ext2fs_loadvnode(
    struct mount *mp, struct vnode *vp, const void *key, size_t keylen)
{
	struct ext2fs_mount *em = mp->mnt_data;
	struct ext2fs_inode *ei;
	enum vtype type;
	uint32_t ino;
	int error;

	KASSERT(keylen == sizeof(ino));
	memcpy(&ino, key, sizeof(ino));
	if (ino < EXT2_ROOT_INO || ino > em->em_ninodes ||
	    (ino < em->em_firstino && ino != EXT2_ROOT_INO))
		return EUCLEAN;
	if ((ei = kmem_zalloc(sizeof(*ei), KM_SLEEP)) == NULL)
		return ENOMEM;
	if ((ei->ei_raw = kmem_alloc(em->em_isize, KM_SLEEP)) == NULL) {
		kmem_free(ei, sizeof(*ei));
		return ENOMEM;
	}
	ei->ei_em = em;
	ei->ei_rawsize = em->em_isize;
	ei->ei_vnode = vp;
	ei->ei_ino = ino;
	if ((error = ext2fs_iget(em, ino, ei->ei_raw)) != 0)
		goto fail;
	ext2fs_iseed(ei);
	type = ext2fs_mode2vtype(ext2fs_imode(ei));
	if (le16(ei->ei_raw->i_links_count) == 0 || type == VNON ||
	    (type == VREG && ext2fs_isize(ei) > ((uint64_t)1 << 62)) ||
	    (type == VDIR && ext2fs_isize(ei) > ((uint64_t)1 << 40))) {
		printf("ext2fs: inode %u is not in use or is bad\n", ino);
		error = EUCLEAN;
		goto fail;
	}
	vp->v_type = type;
	vp->v_op = &ext2fs_vnodeops;
	vp->v_rdev =
	    (type == VCHR || type == VBLK) ? ext2fs_rdev(ei->ei_raw) : 0;
	vp->v_data = ei;
	return 0;
fail:
	kmem_free(ei->ei_raw, em->em_isize);
	kmem_free(ei, sizeof(*ei));
	return error;
}

#define EXT2FS_VFSOPS(name)                                                    \
	{                                                                      \
		.vfs_name = name, .vfs_mount = ext2fs_mount,                   \
		.vfs_remount = ext2fs_remount, .vfs_unmount = ext2fs_unmount,  \
		.vfs_root = ext2fs_root, .vfs_statfs = ext2fs_statfs,          \
		.vfs_sync = ext2fs_sync, .vfs_loadvnode = ext2fs_loadvnode,    \
	}

static struct vfsops ext2fs_vfsops[] = {
    EXT2FS_VFSOPS("ext2"),
    EXT2FS_VFSOPS("ext3"),
    EXT2FS_VFSOPS("ext4"),
};

RUMP_COMPONENT(RUMP_COMPONENT_VFS_FS)
{
	for (size_t i = 0; i < nitems(ext2fs_vfsops); i++)
		vfs_register(&ext2fs_vfsops[i]);
}
