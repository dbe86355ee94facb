/*
 * jbd2_format.h — the on-disk format of the ext3/ext4 journal (jbd2): the
 * journal superblock, block headers, descriptor tags, revoke records and
 * commit blocks.
 *
 * Unlike the file system around it, every multi-byte field of the journal
 * is big-endian; code goes through be16/be32/be64.  The journal is a
 * circular log of journal blocks [s_first, s_maxlen) of the journal file
 * (block 0 is the journal superblock).  A transaction is: one or more
 * descriptor blocks, each followed by the copies of the blocks its tags
 * name; revoke blocks; a commit block.  Every one of these starts with a
 * header carrying the magic, the block type and the transaction's
 * sequence number.  s_start = 0 in the superblock means the log is empty.
 */
#ifndef KERNEL_FS_EXT2FS_JBD2_FORMAT_H
#define KERNEL_FS_EXT2FS_JBD2_FORMAT_H

#include "kern/kern.h"

#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define be16(x) ((uint16_t)(x))
#define be32(x) ((uint32_t)(x))
#define be64(x) ((uint64_t)(x))
#else
#define be16(x) __builtin_bswap16(x)
#define be32(x) __builtin_bswap32(x)
#define be64(x) __builtin_bswap64(x)
#endif

#define JBD2_MAGIC 0xC03B3998u

/* h_blocktype */
#define JBD2_DESCRIPTOR_BLOCK 1
#define JBD2_COMMIT_BLOCK     2
#define JBD2_SUPERBLOCK_V1    3
#define JBD2_SUPERBLOCK_V2    4
#define JBD2_REVOKE_BLOCK     5
#define JBD2_FC_BLOCK         6

struct jbd2_header {
	uint32_t h_magic;
	uint32_t h_blocktype;
	uint32_t h_sequence;
} __attribute__((packed));

/* s_feature_compat */
#define JBD2_COMPAT_CHECKSUM 0x1 /* v1: crc32 of the data in the commit */
/* s_feature_incompat */
#define JBD2_INCOMPAT_REVOKE       0x01
#define JBD2_INCOMPAT_64BIT        0x02
#define JBD2_INCOMPAT_ASYNC_COMMIT 0x04
#define JBD2_INCOMPAT_CSUM_V2      0x08
#define JBD2_INCOMPAT_CSUM_V3      0x10
#define JBD2_INCOMPAT_FAST_COMMIT  0x20

/* s_checksum_type */
#define JBD2_CRC32_CHKSUM  1
#define JBD2_MD5_CHKSUM    2
#define JBD2_SHA1_CHKSUM   3
#define JBD2_CRC32C_CHKSUM 4

struct jbd2_super {
	struct jbd2_header s_header;  /* 0x00 */
	uint32_t s_blocksize;         /* 0x0C */
	uint32_t s_maxlen;            /* 0x10 blocks in the journal */
	uint32_t s_first;             /* 0x14 first block of the log */
	uint32_t s_sequence;          /* 0x18 first transaction expected */
	uint32_t s_start;             /* 0x1C first block of it; 0: empty */
	uint32_t s_errno;             /* 0x20 */
	uint32_t s_feature_compat;    /* 0x24 */
	uint32_t s_feature_incompat;  /* 0x28 */
	uint32_t s_feature_ro_compat; /* 0x2C */
	uint8_t s_uuid[16];           /* 0x30 */
	uint32_t s_nr_users;          /* 0x40 */
	uint32_t s_dynsuper;          /* 0x44 */
	uint32_t s_max_transaction;   /* 0x48 */
	uint32_t s_max_trans_data;    /* 0x4C */
	uint8_t s_checksum_type;      /* 0x50 */
	uint8_t s_padding2[3];        /* 0x51 */
	uint32_t s_num_fc_blks;       /* 0x54 */
	uint32_t s_head;              /* 0x58 */
	uint32_t s_padding[40];       /* 0x5C */
	uint32_t s_checksum;          /* 0xFC crc32c of the 1024 bytes */
	uint8_t s_users[16 * 48];     /* 0x100 */
} __attribute__((packed));
CTASSERT(sizeof(struct jbd2_super) == 1024);
CTASSERT(offsetof(struct jbd2_super, s_checksum_type) == 0x50);
CTASSERT(offsetof(struct jbd2_super, s_checksum) == 0xFC);

/*
 * Descriptor tags follow the header of a descriptor block, one per
 * logged block; the first (and any without SAME_UUID) is followed by 16
 * bytes of UUID.  Their size depends on the features: csum v3: 16
 * bytes (struct jbd2_tag3); else 12 bytes of struct jbd2_tag, plus 2
 * with csum v2, less 4 without 64bit.
 */
struct jbd2_tag3 {
	uint32_t t_blocknr;
	uint32_t t_flags;
	uint32_t t_blocknr_high;
	uint32_t t_checksum; /* crc32c(seed, be32 sequence, the block) */
} __attribute__((packed));

struct jbd2_tag {
	uint32_t t_blocknr;
	uint16_t t_checksum; /* csum v2: its low 16 bits */
	uint16_t t_flags;
	uint32_t t_blocknr_high; /* 64bit only */
} __attribute__((packed));

/* t_flags */
#define JBD2_FLAG_ESCAPE    1 /* the block began with JBD2_MAGIC: zeroed */
#define JBD2_FLAG_SAME_UUID 2 /* no UUID follows this tag */
#define JBD2_FLAG_DELETED   4
#define JBD2_FLAG_LAST_TAG  8

/* At the end of descriptor and revoke blocks with csum v2/v3. */
struct jbd2_tail {
	uint32_t t_checksum; /* crc32c(seed, the block, this field 0) */
} __attribute__((packed));

/* A revoke block: the header, then r_count bytes (header included). */
struct jbd2_revoke_header {
	struct jbd2_header r_header;
	uint32_t r_count;
} __attribute__((packed)); /* then be32 (or be64 with 64bit) blocks */

struct jbd2_commit {
	struct jbd2_header h_header;
	uint8_t h_chksum_type;
	uint8_t h_chksum_size;
	uint8_t h_padding[2];
	uint32_t h_chksum[8]; /* csum v2/v3: [0] crc32c of the block */
	uint64_t h_commit_sec;
	uint32_t h_commit_nsec;
} __attribute__((packed));
CTASSERT(sizeof(struct jbd2_commit) == 60);

#endif /* KERNEL_FS_EXT2FS_JBD2_FORMAT_H */
