/*
 * ext2fs_format.h — the on-disk format of ext2, ext3 and ext4: the
 * superblock, group descriptors, inodes, extent tree nodes, directory
 * entries and their checksum tails, and the feature and flag bits.
 *
 * Every multi-byte field is little-endian on disk; code reads and writes
 * them through le16/le32/le64 (identity on little-endian machines), never
 * directly.  The structures are packed and their offsets are checked
 * against the format (the ext4 "Disk Layout" documentation) below.
 */
#ifndef KERNEL_FS_EXT2FS_EXT2FS_FORMAT_H
#define KERNEL_FS_EXT2FS_EXT2FS_FORMAT_H

#include "kern/kern.h"

#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define le16(x) __builtin_bswap16(x)
#define le32(x) __builtin_bswap32(x)
#define le64(x) __builtin_bswap64(x)
#else
#define le16(x) ((uint16_t)(x))
#define le32(x) ((uint32_t)(x))
#define le64(x) ((uint64_t)(x))
#endif

#define EXT2_SUPER_OFFSET        1024
#define EXT2_SUPER_SIZE          1024
#define EXT2_MAGIC               0xEF53
#define EXT2_MIN_BSHIFT          10
#define EXT2_MAX_BSHIFT          16
#define EXT2_ROOT_INO            2
#define EXT2_GOOD_OLD_INODE_SIZE 128
#define EXT2_GOOD_OLD_FIRST_INO  11
#define EXT2_NAME_MAX            255
#define EXT2_LINK_MAX            65000
#define EXT2_NDIR                12 /* direct blocks in i_block */
#define EXT2_NIBLOCK             15 /* i_block words */

/* s_flags */
#define EXT2_FLAGS_SIGNED_HASH   0x0001
#define EXT2_FLAGS_UNSIGNED_HASH 0x0002

/* s_state */
#define EXT2_STATE_VALID  0x0001
#define EXT2_STATE_ERRORS 0x0002

/* s_feature_compat */
#define EXT2_COMPAT_DIR_PREALLOC 0x0001
#define EXT2_COMPAT_IMAGIC       0x0002
#define EXT2_COMPAT_HAS_JOURNAL  0x0004
#define EXT2_COMPAT_EXT_ATTR     0x0008
#define EXT2_COMPAT_RESIZE_INODE 0x0010
#define EXT2_COMPAT_DIR_INDEX    0x0020

/* s_feature_incompat */
#define EXT2_INCOMPAT_COMPRESSION 0x00001
#define EXT2_INCOMPAT_FILETYPE    0x00002
#define EXT2_INCOMPAT_RECOVER     0x00004
#define EXT2_INCOMPAT_JOURNAL_DEV 0x00008
#define EXT2_INCOMPAT_META_BG     0x00010
#define EXT2_INCOMPAT_EXTENTS     0x00040
#define EXT2_INCOMPAT_64BIT       0x00080
#define EXT2_INCOMPAT_MMP         0x00100
#define EXT2_INCOMPAT_FLEX_BG     0x00200
#define EXT2_INCOMPAT_EA_INODE    0x00400
#define EXT2_INCOMPAT_DIRDATA     0x01000
#define EXT2_INCOMPAT_CSUM_SEED   0x02000
#define EXT2_INCOMPAT_LARGEDIR    0x04000
#define EXT2_INCOMPAT_INLINE_DATA 0x08000
#define EXT2_INCOMPAT_ENCRYPT     0x10000
#define EXT2_INCOMPAT_CASEFOLD    0x20000

/* s_feature_ro_compat */
#define EXT2_ROCOMPAT_SPARSE_SUPER   0x0001
#define EXT2_ROCOMPAT_LARGE_FILE     0x0002
#define EXT2_ROCOMPAT_BTREE_DIR      0x0004
#define EXT2_ROCOMPAT_HUGE_FILE      0x0008
#define EXT2_ROCOMPAT_GDT_CSUM       0x0010
#define EXT2_ROCOMPAT_DIR_NLINK      0x0020
#define EXT2_ROCOMPAT_EXTRA_ISIZE    0x0040
#define EXT2_ROCOMPAT_HAS_SNAPSHOT   0x0080
#define EXT2_ROCOMPAT_QUOTA          0x0100
#define EXT2_ROCOMPAT_BIGALLOC       0x0200
#define EXT2_ROCOMPAT_METADATA_CSUM  0x0400
#define EXT2_ROCOMPAT_REPLICA        0x0800
#define EXT2_ROCOMPAT_READONLY       0x1000
#define EXT2_ROCOMPAT_PROJECT        0x2000
#define EXT2_ROCOMPAT_SHARED_BLOCKS  0x4000
#define EXT2_ROCOMPAT_VERITY         0x8000
#define EXT2_ROCOMPAT_ORPHAN_PRESENT 0x10000

struct ext2_super {
	uint32_t s_inodes_count;         /* 0x00 */
	uint32_t s_blocks_count_lo;      /* 0x04 */
	uint32_t s_r_blocks_count_lo;    /* 0x08 */
	uint32_t s_free_blocks_count_lo; /* 0x0C */
	uint32_t s_free_inodes_count;    /* 0x10 */
	uint32_t s_first_data_block;     /* 0x14 */
	uint32_t s_log_block_size;       /* 0x18 */
	uint32_t s_log_cluster_size;     /* 0x1C */
	uint32_t s_blocks_per_group;     /* 0x20 */
	uint32_t s_clusters_per_group;   /* 0x24 */
	uint32_t s_inodes_per_group;     /* 0x28 */
	uint32_t s_mtime;                /* 0x2C */
	uint32_t s_wtime;                /* 0x30 */
	uint16_t s_mnt_count;            /* 0x34 */
	uint16_t s_max_mnt_count;        /* 0x36 */
	uint16_t s_magic;                /* 0x38 */
	uint16_t s_state;                /* 0x3A */
	uint16_t s_errors;               /* 0x3C */
	uint16_t s_minor_rev_level;      /* 0x3E */
	uint32_t s_lastcheck;            /* 0x40 */
	uint32_t s_checkinterval;        /* 0x44 */
	uint32_t s_creator_os;           /* 0x48 */
	uint32_t s_rev_level;            /* 0x4C */
	uint16_t s_def_resuid;           /* 0x50 */
	uint16_t s_def_resgid;           /* 0x52 */
	uint32_t s_first_ino;            /* 0x54 */
	uint16_t s_inode_size;           /* 0x58 */
	uint16_t s_block_group_nr;       /* 0x5A */
	uint32_t s_feature_compat;       /* 0x5C */
	uint32_t s_feature_incompat;     /* 0x60 */
	uint32_t s_feature_ro_compat;    /* 0x64 */
	uint8_t s_uuid[16];              /* 0x68 */
	char s_volume_name[16];          /* 0x78 */
	char s_last_mounted[64];         /* 0x88 */
	uint32_t s_algorithm_bitmap;     /* 0xC8 */
	uint8_t s_prealloc_blocks;       /* 0xCC */
	uint8_t s_prealloc_dir_blocks;   /* 0xCD */
	uint16_t s_reserved_gdt_blocks;  /* 0xCE */
	uint8_t s_journal_uuid[16];      /* 0xD0 */
	uint32_t s_journal_inum;         /* 0xE0 */
	uint32_t s_journal_dev;          /* 0xE4 */
	uint32_t s_last_orphan;          /* 0xE8 */
	uint32_t s_hash_seed[4];         /* 0xEC */
	uint8_t s_def_hash_version;      /* 0xFC */
	uint8_t s_jnl_backup_type;       /* 0xFD */
	uint16_t s_desc_size;            /* 0xFE */
	uint32_t s_default_mount_opts;   /* 0x100 */
	uint32_t s_first_meta_bg;        /* 0x104 */
	uint32_t s_mkfs_time;            /* 0x108 */
	uint32_t s_jnl_blocks[17];       /* 0x10C */
	uint32_t s_blocks_count_hi;      /* 0x150 */
	uint32_t s_r_blocks_count_hi;    /* 0x154 */
	uint32_t s_free_blocks_count_hi; /* 0x158 */
	uint16_t s_min_extra_isize;      /* 0x15C */
	uint16_t s_want_extra_isize;     /* 0x15E */
	uint32_t s_flags;                /* 0x160 */
	uint8_t s_pad1[0x270 - 0x164];
	uint32_t s_checksum_seed; /* 0x270 */
	uint8_t s_wtime_hi;       /* 0x274 */
	uint8_t s_mtime_hi;       /* 0x275 */
	uint8_t s_pad2[0x3FC - 0x276];
	uint32_t s_checksum; /* 0x3FC */
} __attribute__((packed));
CTASSERT(sizeof(struct ext2_super) == 1024);
CTASSERT(offsetof(struct ext2_super, s_magic) == 0x38);
CTASSERT(offsetof(struct ext2_super, s_desc_size) == 0xFE);
CTASSERT(offsetof(struct ext2_super, s_blocks_count_hi) == 0x150);
CTASSERT(offsetof(struct ext2_super, s_checksum_seed) == 0x270);

/* Group descriptors: 32 bytes, or s_desc_size (>= 64) with 64bit. */
#define EXT2_MIN_DESC_SIZE    32
#define EXT2_MIN_DESC_SIZE_64 64
#define EXT2_MAX_DESC_SIZE    1024
struct ext2_gd {
	uint32_t bg_block_bitmap_lo;      /* 0x00 */
	uint32_t bg_inode_bitmap_lo;      /* 0x04 */
	uint32_t bg_inode_table_lo;       /* 0x08 */
	uint16_t bg_free_blocks_count_lo; /* 0x0C */
	uint16_t bg_free_inodes_count_lo; /* 0x0E */
	uint16_t bg_used_dirs_count_lo;   /* 0x10 */
	uint16_t bg_flags;                /* 0x12 */
	uint32_t bg_exclude_bitmap_lo;    /* 0x14 */
	uint16_t bg_block_bitmap_csum_lo; /* 0x18 */
	uint16_t bg_inode_bitmap_csum_lo; /* 0x1A */
	uint16_t bg_itable_unused_lo;     /* 0x1C */
	uint16_t bg_checksum;             /* 0x1E */
	/* 64bit only: */
	uint32_t bg_block_bitmap_hi;      /* 0x20 */
	uint32_t bg_inode_bitmap_hi;      /* 0x24 */
	uint32_t bg_inode_table_hi;       /* 0x28 */
	uint16_t bg_free_blocks_count_hi; /* 0x2C */
	uint16_t bg_free_inodes_count_hi; /* 0x2E */
	uint16_t bg_used_dirs_count_hi;   /* 0x30 */
	uint16_t bg_itable_unused_hi;     /* 0x32 */
	uint32_t bg_exclude_bitmap_hi;    /* 0x34 */
	uint16_t bg_block_bitmap_csum_hi; /* 0x38 */
	uint16_t bg_inode_bitmap_csum_hi; /* 0x3A */
	uint32_t bg_reserved;             /* 0x3C */
} __attribute__((packed));
CTASSERT(sizeof(struct ext2_gd) == 64);
#define EXT2_BG_INODE_UNINIT 0x0001
#define EXT2_BG_BLOCK_UNINIT 0x0002
#define EXT2_BG_INODE_ZEROED 0x0004

/* Inodes: 128 bytes, then i_extra_isize more of s_inode_size. */
struct ext2_inode {
	uint16_t i_mode;                /* 0x00 */
	uint16_t i_uid;                 /* 0x02 */
	uint32_t i_size_lo;             /* 0x04 */
	uint32_t i_atime;               /* 0x08 */
	uint32_t i_ctime;               /* 0x0C */
	uint32_t i_mtime;               /* 0x10 */
	uint32_t i_dtime;               /* 0x14 */
	uint16_t i_gid;                 /* 0x18 */
	uint16_t i_links_count;         /* 0x1A */
	uint32_t i_blocks_lo;           /* 0x1C */
	uint32_t i_flags;               /* 0x20 */
	uint32_t i_version;             /* 0x24 */
	uint32_t i_block[EXT2_NIBLOCK]; /* 0x28 */
	uint32_t i_generation;          /* 0x64 */
	uint32_t i_file_acl_lo;         /* 0x68 */
	uint32_t i_size_high;           /* 0x6C */
	uint32_t i_faddr;               /* 0x70 */
	uint16_t i_blocks_high;         /* 0x74 */
	uint16_t i_file_acl_high;       /* 0x76 */
	uint16_t i_uid_high;            /* 0x78 */
	uint16_t i_gid_high;            /* 0x7A */
	uint16_t i_checksum_lo;         /* 0x7C */
	uint16_t i_reserved;            /* 0x7E */
	/* The extra part, present when i_extra_isize covers it: */
	uint16_t i_extra_isize;  /* 0x80 */
	uint16_t i_checksum_hi;  /* 0x82 */
	uint32_t i_ctime_extra;  /* 0x84 */
	uint32_t i_mtime_extra;  /* 0x88 */
	uint32_t i_atime_extra;  /* 0x8C */
	uint32_t i_crtime;       /* 0x90 */
	uint32_t i_crtime_extra; /* 0x94 */
	uint32_t i_version_hi;   /* 0x98 */
	uint32_t i_projid;       /* 0x9C */
} __attribute__((packed));
CTASSERT(sizeof(struct ext2_inode) == 0xA0);
#define EXT2_INODE_EXTRA_END(field)                                            \
	(offsetof(struct ext2_inode, field) +                                  \
	    sizeof(((struct ext2_inode *)0)->field) -                          \
	    EXT2_GOOD_OLD_INODE_SIZE)
/* The extra_isize mke2fs gives new inodes, and what we give ours. */
#define EXT2_WANT_EXTRA_ISIZE 32

/* i_flags */
#define EXT2_SECRM_FL       0x00000001
#define EXT2_IMMUTABLE_FL   0x00000010
#define EXT2_APPEND_FL      0x00000020
#define EXT2_INDEX_FL       0x00001000
#define EXT2_ENCRYPT_FL     0x00000800
#define EXT2_HUGE_FILE_FL   0x00040000
#define EXT2_EXTENTS_FL     0x00080000
#define EXT2_VERITY_FL      0x00100000
#define EXT2_EA_INODE_FL    0x00200000
#define EXT2_INLINE_DATA_FL 0x10000000
#define EXT2_CASEFOLD_FL    0x40000000

/* Extra time words: 2 bits of epoch (seconds >> 32), 30 of nanoseconds. */
#define EXT2_EPOCH_BITS 2
#define EXT2_EPOCH_MASK 3u

/* Extent tree nodes: a header, then entries; i_block holds the root. */
#define EXT2_EXT_MAGIC     0xF30A
#define EXT2_EXT_MAX_DEPTH 5
#define EXT2_EXT_INIT_MAX  32768u /* longest initialised extent */
struct ext2_ext_header {
	uint16_t eh_magic;
	uint16_t eh_entries;
	uint16_t eh_max;
	uint16_t eh_depth;
	uint32_t eh_generation;
} __attribute__((packed));
/* A leaf entry: len > 32768 marks an unwritten extent of len - 32768. */
struct ext2_extent {
	uint32_t ee_block;
	uint16_t ee_len;
	uint16_t ee_start_hi;
	uint32_t ee_start_lo;
} __attribute__((packed));
struct ext2_ext_index {
	uint32_t ei_block;
	uint32_t ei_leaf_lo;
	uint16_t ei_leaf_hi;
	uint16_t ei_unused;
} __attribute__((packed));
CTASSERT(sizeof(struct ext2_ext_header) == 12);
CTASSERT(sizeof(struct ext2_extent) == 12);
CTASSERT(sizeof(struct ext2_ext_index) == 12);

/*
 * Directory entries.  With the filetype feature name_len is one byte and
 * file_type the other; rec_len is a multiple of 4 and entries tile the
 * block.  With metadata_csum a block ends in a 12-byte tail that looks
 * like an empty entry (inode 0, rec_len 12, name_len 0, type 0xDE).
 */
struct ext2_dirent {
	uint32_t d_inode;
	uint16_t d_rec_len;
	uint8_t d_name_len;
	uint8_t d_file_type;
	char d_name[];
} __attribute__((packed));
#define EXT2_DIRENT_HDR          8
#define EXT2_DIRENT_LEN(namelen) (((namelen) + EXT2_DIRENT_HDR + 3) & ~3u)
#define EXT2_DIR_TAIL_SIZE       12
#define EXT2_DIR_TAIL_FT         0xDE
struct ext2_dir_tail {
	uint32_t det_zero_inode;
	uint16_t det_rec_len;
	uint8_t det_zero_namelen;
	uint8_t det_ft;
	uint32_t det_checksum;
} __attribute__((packed));

/*
 * Hashed directories (htree, dir_index).  Block 0 of an indexed
 * directory is the root: "." (rec_len 12) and ".." (rec_len up to the
 * end of the block) hide the root info and an array of index entries;
 * other index blocks ("nodes") are one empty record spanning the block
 * that hides an array of entries.  The first entry's hash is taken as 0,
 * its place holds the count and limit.  An entry maps the hashes from
 * its own up to the next entry's to a block (lower levels of the index,
 * or a leaf: an ordinary directory block).  The low bit of an entry's
 * hash says that its block continues a run of one hash value from the
 * block before (a collision across a split).  With metadata_csum the
 * entries array is followed by a tail holding the crc32c of the entries
 * in use.
 */
#define EXT2_DX_ROOT_INFO_OFF 24 /* after "." and ".." */
#define EXT2_DX_ROOT_ENTS_OFF 32
#define EXT2_DX_NODE_ENTS_OFF 8
#define EXT2_DX_BLOCK_MASK    0x0fffffffu
#define EXT2_DX_HASH_LEGACY   0
#define EXT2_DX_HASH_HALF_MD4 1
#define EXT2_DX_HASH_TEA      2
#define EXT2_DX_HASH_UNSIGNED 3    /* added to the three above */
#define EXT2_DX_FLAG_INCOMPAT 0x01 /* root info: unknown hash flags */
#define EXT2_DX_LEVELS        2    /* index levels (3 with large_dir) */
#define EXT2_DX_LEVELS_LARGE  3
struct ext2_dx_root_info {
	uint32_t dri_reserved_zero;
	uint8_t dri_hash_version;
	uint8_t dri_info_length; /* 8 */
	uint8_t dri_indirect_levels;
	uint8_t dri_unused_flags;
} __attribute__((packed));
struct ext2_dx_entry {
	uint32_t dxe_hash;
	uint32_t dxe_block;
} __attribute__((packed));
/* Overlays the first entry's hash. */
struct ext2_dx_countlimit {
	uint16_t dxc_limit;
	uint16_t dxc_count;
} __attribute__((packed));
struct ext2_dx_tail {
	uint32_t dxt_reserved;
	uint32_t dxt_checksum;
} __attribute__((packed));
CTASSERT(sizeof(struct ext2_dx_root_info) == 8);
CTASSERT(sizeof(struct ext2_dx_entry) == 8);
CTASSERT(sizeof(struct ext2_dx_countlimit) == 4);
CTASSERT(sizeof(struct ext2_dx_tail) == 8);

/* file_type values */
#define EXT2_FT_UNKNOWN  0
#define EXT2_FT_REG_FILE 1
#define EXT2_FT_DIR      2
#define EXT2_FT_CHRDEV   3
#define EXT2_FT_BLKDEV   4
#define EXT2_FT_FIFO     5
#define EXT2_FT_SOCK     6
#define EXT2_FT_SYMLINK  7
#define EXT2_FT_MAX      8

/*
 * Extended attributes.  Two places hold them, in the same entry format:
 * - the inode body after i_extra_isize, opened by the 4-byte magic; value
 *   offsets count from the first entry (just after the magic);
 * - one block named by i_file_acl (lo, and hi with 64bit), opened by a
 *   32-byte header; value offsets count from the start of the block.
 *   h_refcount inodes may share it (identical sets).
 * Entries follow each other, each 4-byte aligned, and end at a 4-byte
 * zero; values are packed from the end of the area down, each padded to
 * 4 bytes.  A block's entries are sorted by (index, name length, name).
 * A name is stored as its namespace index and the rest of the name.
 */
#define EXT2_XATTR_MAGIC 0xEA020000u
struct ext2_xattr_header {
	uint32_t h_magic;
	uint32_t h_refcount;
	uint32_t h_blocks; /* always 1 */
	uint32_t h_hash;   /* of the entries' hashes; 0 if one is 0 */
	uint32_t h_checksum;
	uint32_t h_reserved[3];
} __attribute__((packed));
CTASSERT(sizeof(struct ext2_xattr_header) == 32);
struct ext2_xattr_entry {
	uint8_t e_name_len;
	uint8_t e_name_index;
	uint16_t e_value_offs;
	uint32_t e_value_inum; /* ea_inode: the value's inode (unsupported) */
	uint32_t e_value_size;
	uint32_t e_hash; /* of name and value (0 allowed in the inode) */
	char e_name[];
} __attribute__((packed));
CTASSERT(sizeof(struct ext2_xattr_entry) == 16);
#define EXT2_XATTR_ENTRY_LEN(namelen) (((namelen) + 16u + 3u) & ~3u)
#define EXT2_XATTR_VALUE_LEN(size)    (((size) + 3u) & ~3u)
#define EXT2_XATTR_NAME_HASH_SHIFT    5
#define EXT2_XATTR_VALUE_HASH_SHIFT   16
#define EXT2_XATTR_BLOCK_HASH_SHIFT   16
/* e_name_index values */
#define EXT2_XATTR_INDEX_USER              1
#define EXT2_XATTR_INDEX_POSIX_ACL_ACCESS  2
#define EXT2_XATTR_INDEX_POSIX_ACL_DEFAULT 3
#define EXT2_XATTR_INDEX_TRUSTED           4
#define EXT2_XATTR_INDEX_LUSTRE            5
#define EXT2_XATTR_INDEX_SECURITY          6
#define EXT2_XATTR_INDEX_SYSTEM            7 /* system.data: inline data */

#endif /* KERNEL_FS_EXT2FS_EXT2FS_FORMAT_H */
