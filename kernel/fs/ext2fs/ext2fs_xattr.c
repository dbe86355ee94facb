/*
 * ext2fs_xattr.c — extended attributes of ext2/3/4 in the on-disk format
 * of ext4 (ext2fs_format.h): entries in the inode body after
 * i_extra_isize, and in one external block (i_file_acl) that inodes with
 * the same attributes may share.  The VFS (vfs_xattr.c) has checked
 * names, sizes and permissions; this file maps names to namespace
 * indexes (user. 1, trusted. 4, security. 6), finds, lists and changes
 * entries, and keeps the block's header, hashes and checksum as Linux and
 * e2fsck want them.
 *
 * Reading walks the two areas in place, checking every entry first (the
 * image is input: bad offsets or sizes, a bad magic or checksum give
 * EUCLEAN, never a read outside the area).  The walker is shared with
 * inline data (system.data in the inode, ext2fs_inline_read).
 *
 * Changing works on copies: both areas are parsed into lists, the
 * attribute is put where Linux puts it (in the inode if it fits there,
 * else in the block; ENOSPC if neither holds it), and the areas that
 * changed are written out whole: values packed from the end, block
 * entries sorted by (index, name length, name).  Each change is one
 * transaction of the journal (ext2fs_journal.c), its block and inode
 * written through ext2fs_bdwrite_meta.  A block shared with
 * other inodes (h_refcount > 1) is never changed in place: the inode gets
 * a copy and the old block loses a reference; a block left empty is
 * freed.  The old block's buffer stays busy from the read to the end of
 * the change, which keeps its reference count consistent when inodes
 * sharing it change at the same time.  Other names the image holds
 * (posix ACLs, system.data) are kept as they are and not listed.
 *
 * Callers hold the vnode lock: a reader to get and list, a writer to
 * change.
 */
#include "ext2fs.h"

/* An attribute as parsed: name and value point into the area read. */
struct xent {
	uint8_t x_index;
	uint8_t x_namelen;
	const char *x_name;
	uint32_t x_size;
	const uint8_t *x_value;
};

/* The attributes of one area, in their order there. */
struct xlist {
	struct xent *xl_ents;
	unsigned xl_n, xl_max;
};

static const struct {
	uint8_t idx;
	const char *prefix;
	size_t len;
} xattr_names[] = {
    {EXT2_XATTR_INDEX_USER, "user.", 5},
    {EXT2_XATTR_INDEX_TRUSTED, "trusted.", 8},
    {EXT2_XATTR_INDEX_SECURITY, "security.", 9},
};

/* The index of name's namespace and the rest of the name. */
static int
xattr_split(
    const char *name, uint8_t *idxp, const char **restp, size_t *restlenp)
{
	for (size_t i = 0; i < sizeof(xattr_names) / sizeof(xattr_names[0]);
	     i++) {
		if (strncmp(name, xattr_names[i].prefix, xattr_names[i].len) ==
		    0) {
			*idxp = xattr_names[i].idx;
			*restp = name + xattr_names[i].len;
			*restlenp = strlen(*restp);
			if (*restlenp == 0 || *restlenp > EXT2_NAME_MAX)
				return EINVAL;
			return 0;
		}
	}
	return EOPNOTSUPP;
}

/* -------------------------------------------------------------- reading */

/*
 * Checks the entries of an area and calls fn with each until it returns
 * nonzero (which is returned).  Offsets count from base: entries lie in
 * [first, end), values in [past the end mark, end).
 */
static int
xattr_walk(const uint8_t *base, size_t first, size_t end,
    int (*fn)(void *arg, const struct xent *x), void *arg)
{
	const struct ext2_xattr_entry *e;
	size_t p, vstart;
	uint32_t w;
	int r;

	/* The names first: where the list ends bounds the values. */
	for (p = first;; p += EXT2_XATTR_ENTRY_LEN(e->e_name_len)) {
		if (p + 4 > end)
			return EUCLEAN;
		memcpy(&w, base + p, 4);
		if (w == 0)
			break;
		e = (const struct ext2_xattr_entry *)(base + p);
		if (p + sizeof(*e) > end || e->e_name_len == 0 ||
		    p + EXT2_XATTR_ENTRY_LEN(e->e_name_len) + 4 > end ||
		    strnlen(e->e_name, e->e_name_len) != e->e_name_len)
			return EUCLEAN;
	}
	vstart = p + 4;
	for (p = first;; p += EXT2_XATTR_ENTRY_LEN(e->e_name_len)) {
		struct xent x;
		size_t offs;

		memcpy(&w, base + p, 4);
		if (w == 0)
			break;
		e = (const struct ext2_xattr_entry *)(base + p);
		offs = le16(e->e_value_offs);
		x.x_size = le32(e->e_value_size);
		if (e->e_value_inum != 0 || x.x_size > XATTR_SIZE_MAX)
			return EUCLEAN;
		if (x.x_size != 0 &&
		    (offs < vstart || offs > end ||
		        EXT2_XATTR_VALUE_LEN(x.x_size) > end - offs))
			return EUCLEAN;
		x.x_index = e->e_name_index;
		x.x_namelen = e->e_name_len;
		x.x_name = e->e_name;
		x.x_value = x.x_size ? base + offs : base;
		if ((r = fn(arg, &x)) != 0)
			return r;
	}
	return 0;
}

/*
 * The in-inode area: its start (the magic) and size; false when the
 * inode has no room after i_extra_isize.
 */
static bool
xattr_ibody(struct ext2fs_inode *ei, uint8_t **hdrp, size_t *sizep)
{
	struct ext2fs_mount *em = ei->ei_em;
	size_t start;

	if (em->em_isize <= EXT2_GOOD_OLD_INODE_SIZE)
		return false;
	start = EXT2_GOOD_OLD_INODE_SIZE + le16(ei->ei_raw->i_extra_isize);
	if (start + 4 > em->em_isize)
		return false;
	*hdrp = (uint8_t *)ei->ei_raw + start;
	*sizep = em->em_isize - start;
	return true;
}

/* Walks the in-inode entries (none without the magic). */
static int
xattr_ibody_walk(struct ext2fs_inode *ei,
    int (*fn)(void *arg, const struct xent *x), void *arg)
{
	uint8_t *hdr;
	size_t size;
	uint32_t magic;

	if (!xattr_ibody(ei, &hdr, &size))
		return 0;
	memcpy(&magic, hdr, 4);
	if (le32(magic) != EXT2_XATTR_MAGIC)
		return 0;
	return xattr_walk(hdr + 4, 0, size - 4, fn, arg);
}

static uint64_t
xattr_blkno(struct ext2fs_inode *ei)
{
	uint64_t blk = le32(ei->ei_raw->i_file_acl_lo);

	if (EXT2_HAS_INCOMPAT(ei->ei_em, EXT2_INCOMPAT_64BIT))
		blk |= (uint64_t)le16(ei->ei_raw->i_file_acl_high) << 32;
	return blk;
}

static void
xattr_blkno_set(struct ext2fs_inode *ei, uint64_t blk)
{
	ei->ei_raw->i_file_acl_lo = le32((uint32_t)blk);
	ei->ei_raw->i_file_acl_high = le16((uint16_t)(blk >> 32));
}

static uint32_t
xattr_block_csum(struct ext2fs_mount *em, uint64_t blk, const uint8_t *data)
{
	uint64_t leblk = le64(blk);
	uint32_t zero = 0, crc;
	size_t off = offsetof(struct ext2_xattr_header, h_checksum);

	crc = ext2fs_crc32c(em->em_csumseed, &leblk, 8);
	crc = ext2fs_crc32c(crc, data, off);
	crc = ext2fs_crc32c(crc, &zero, 4);
	return ext2fs_crc32c(crc, data + off + 4, em->em_bsize - off - 4);
}

/*
 * Reads and checks the inode's attribute block: *bpp busy (NULL when the
 * inode has none).
 */
static int
xattr_block_read(struct ext2fs_inode *ei, struct buf **bpp)
{
	struct ext2fs_mount *em = ei->ei_em;
	const struct ext2_xattr_header *h;
	uint64_t blk = xattr_blkno(ei);
	const char *why = NULL;
	struct buf *bp;
	int error;

	*bpp = NULL;
	if (blk == 0)
		return 0;
	if (!ext2fs_blk_ok(em, blk, 1)) {
		printf("ext2fs: inode %u: xattr block %llu out of range\n",
		    ei->ei_ino, (unsigned long long)blk);
		return EUCLEAN;
	}
	if ((error = ext2fs_bread(em, blk, &bp)) != 0)
		return error;
	h = bp->b_data;
	if (le32(h->h_magic) != EXT2_XATTR_MAGIC)
		why = "bad magic";
	else if (le32(h->h_blocks) != 1)
		why = "more than one block";
	else if (h->h_refcount == 0)
		why = "no references";
	else if (em->em_csum &&
	    le32(h->h_checksum) != xattr_block_csum(em, blk, bp->b_data))
		why = "checksum mismatch";
	if (why != NULL) {
		printf("ext2fs: inode %u: xattr block %llu: %s\n", ei->ei_ino,
		    (unsigned long long)blk, why);
		brelse(bp);
		return EUCLEAN;
	}
	*bpp = bp;
	return 0;
}

/* Finding one attribute. */
struct xfind {
	uint8_t xf_index;
	const char *xf_name;
	size_t xf_namelen;
	struct xent xf_found;
};

static int
xfind_fn(void *arg, const struct xent *x)
{
	struct xfind *xf = arg;

	if (x->x_index != xf->xf_index || x->x_namelen != xf->xf_namelen ||
	    memcmp(x->x_name, xf->xf_name, xf->xf_namelen) != 0)
		return 0;
	xf->xf_found = *x;
	return 1;
}

int
ext2fs_xattr_ibody_find(struct ext2fs_inode *ei, int index, const char *name,
    const uint8_t **valp, size_t *lenp)
{
	struct xfind xf = {(uint8_t)index, name, strlen(name), {0}};
	int r = xattr_ibody_walk(ei, xfind_fn, &xf);

	if (r == 0)
		return ENODATA;
	if (r != 1)
		return r;
	*valp = xf.xf_found.x_value;
	*lenp = xf.xf_found.x_size;
	return 0;
}

int
ext2fs_getxattr(struct vnode *vp, const char *name, void *buf, size_t *lenp)
{
	struct ext2fs_inode *ei = VTOEI(vp);
	struct xfind xf;
	struct buf *bp;
	int r;

	memset(&xf, 0, sizeof(xf));
	if ((r = xattr_split(
	         name, &xf.xf_index, &xf.xf_name, &xf.xf_namelen)) != 0)
		return r;
	if ((r = xattr_ibody_walk(ei, xfind_fn, &xf)) == 0) {
		if ((r = xattr_block_read(ei, &bp)) != 0)
			return r;
		if (bp == NULL)
			return ENODATA;
		r = xattr_walk(bp->b_data, sizeof(struct ext2_xattr_header),
		    ei->ei_em->em_bsize, xfind_fn, &xf);
	} else {
		bp = NULL;
	}
	if (r == 1) {
		r = 0;
		if (buf != NULL && xf.xf_found.x_size > *lenp)
			r = ERANGE;
		else if (buf != NULL)
			memcpy(buf, xf.xf_found.x_value, xf.xf_found.x_size);
		*lenp = xf.xf_found.x_size;
	} else if (r == 0) {
		r = ENODATA;
	}
	if (bp != NULL)
		brelse(bp);
	return r;
}

/* Listing: the whole names of the namespaces served. */
struct xlistctx {
	int (*xc_fill)(void *arg, const char *name, size_t namelen);
	void *xc_arg;
};

static int
xlist_fn(void *arg, const struct xent *x)
{
	struct xlistctx *xc = arg;
	char name[EXT2_NAME_MAX + 16];

	for (size_t i = 0; i < sizeof(xattr_names) / sizeof(xattr_names[0]);
	     i++) {
		if (xattr_names[i].idx != x->x_index)
			continue;
		memcpy(name, xattr_names[i].prefix, xattr_names[i].len);
		memcpy(name + xattr_names[i].len, x->x_name, x->x_namelen);
		return xc->xc_fill(
		    xc->xc_arg, name, xattr_names[i].len + x->x_namelen);
	}
	return 0;
}

int
ext2fs_listxattr(struct vnode *vp,
    int (*fill)(void *arg, const char *name, size_t namelen), void *arg)
{
	struct ext2fs_inode *ei = VTOEI(vp);
	struct xlistctx xc = {fill, arg};
	struct buf *bp;
	int r;

	if ((r = xattr_ibody_walk(ei, xlist_fn, &xc)) != 0)
		return r;
	if ((r = xattr_block_read(ei, &bp)) != 0 || bp == NULL)
		return r;
	r = xattr_walk(bp->b_data, sizeof(struct ext2_xattr_header),
	    ei->ei_em->em_bsize, xlist_fn, &xc);
	brelse(bp);
	return r;
}

/* ------------------------------------------------------------- changing */

static int
xlist_add(void *arg, const struct xent *x)
{
	struct xlist *xl = arg;

	if (xl->xl_n == xl->xl_max) {
		unsigned max = xl->xl_max ? xl->xl_max * 2 : 16;
		struct xent *n = kmem_alloc(max * sizeof(*n), KM_SLEEP);

		if (n == NULL)
			return ENOMEM;
		if (xl->xl_n > 0)
			memcpy(n, xl->xl_ents, xl->xl_n * sizeof(*n));
		if (xl->xl_ents != NULL)
			kmem_free(xl->xl_ents, xl->xl_max * sizeof(*n));
		xl->xl_ents = n;
		xl->xl_max = max;
	}
	xl->xl_ents[xl->xl_n++] = *x;
	return 0;
}

static void
xlist_free(struct xlist *xl)
{
	if (xl->xl_ents != NULL)
		kmem_free(xl->xl_ents, xl->xl_max * sizeof(*xl->xl_ents));
	memset(xl, 0, sizeof(*xl));
}

static void
xlist_del(struct xlist *xl, unsigned i)
{
	memmove(&xl->xl_ents[i], &xl->xl_ents[i + 1],
	    (xl->xl_n - i - 1) * sizeof(*xl->xl_ents));
	xl->xl_n--;
}

/* Linux's order of block entries: index, then name length, then name. */
static int
xent_cmp(const struct xent *a, const struct xent *b)
{
	if (a->x_index != b->x_index)
		return a->x_index < b->x_index ? -1 : 1;
	if (a->x_namelen != b->x_namelen)
		return a->x_namelen < b->x_namelen ? -1 : 1;
	return memcmp(a->x_name, b->x_name, a->x_namelen);
}

/* Sorts a block's list (insertion: a block holds a few hundred at most). */
static void
xlist_sort(struct xlist *xl)
{
	for (unsigned i = 1; i < xl->xl_n; i++) {
		struct xent x = xl->xl_ents[i];
		unsigned j = i;

		for (; j > 0 && xent_cmp(&xl->xl_ents[j - 1], &x) > 0; j--)
			xl->xl_ents[j] = xl->xl_ents[j - 1];
		xl->xl_ents[j] = x;
	}
}

static int
xlist_find(const struct xlist *xl, const struct xent *x)
{
	for (unsigned i = 0; i < xl->xl_n; i++)
		if (xent_cmp(&xl->xl_ents[i], x) == 0)
			return (int)i;
	return -1;
}

static size_t
xent_space(const struct xent *x)
{
	return EXT2_XATTR_ENTRY_LEN(x->x_namelen) +
	    EXT2_XATTR_VALUE_LEN(x->x_size);
}

/* Bytes the list takes in an area, the end mark included. */
static size_t
xlist_space(const struct xlist *xl)
{
	size_t n = 4;

	for (unsigned i = 0; i < xl->xl_n; i++)
		n += xent_space(&xl->xl_ents[i]);
	return n;
}

static uint32_t
xattr_hash(const struct ext2_xattr_entry *e, const uint8_t *value)
{
	uint32_t hash = 0, w;

	for (unsigned i = 0; i < e->e_name_len; i++)
		hash = (hash << EXT2_XATTR_NAME_HASH_SHIFT) ^
		    (hash >> (32 - EXT2_XATTR_NAME_HASH_SHIFT)) ^
		    (uint8_t)e->e_name[i];
	for (size_t i = 0; i < EXT2_XATTR_VALUE_LEN(le32(e->e_value_size));
	     i += 4) {
		memcpy(&w, value + i, 4);
		hash = (hash << EXT2_XATTR_VALUE_HASH_SHIFT) ^
		    (hash >> (32 - EXT2_XATTR_VALUE_HASH_SHIFT)) ^ le32(w);
	}
	return hash;
}

/*
 * Writes the list into an area as xattr_walk reads it: entries from
 * first, values from end down (base as there).  The list fits.  Returns
 * the hash of the entries' hashes (block header).
 */
static uint32_t
xattr_layout(uint8_t *base, size_t first, size_t end, const struct xlist *xl)
{
	size_t p = first, top = end;
	uint32_t bhash = 0;
	bool zero = false;

	memset(base + first, 0, end - first);
	for (unsigned i = 0; i < xl->xl_n; i++) {
		const struct xent *x = &xl->xl_ents[i];
		struct ext2_xattr_entry *e =
		    (struct ext2_xattr_entry *)(base + p);
		uint32_t h;

		if (x->x_size > 0) {
			top -= EXT2_XATTR_VALUE_LEN(x->x_size);
			memcpy(base + top, x->x_value, x->x_size);
		}
		e->e_name_len = x->x_namelen;
		e->e_name_index = x->x_index;
		e->e_value_offs = le16((uint16_t)(x->x_size ? top : 0));
		e->e_value_inum = 0;
		e->e_value_size = le32(x->x_size);
		memcpy(e->e_name, x->x_name, x->x_namelen);
		h = xattr_hash(e, base + top);
		e->e_hash = le32(h);
		zero |= h == 0;
		bhash = (bhash << EXT2_XATTR_BLOCK_HASH_SHIFT) ^
		    (bhash >> (32 - EXT2_XATTR_BLOCK_HASH_SHIFT)) ^ h;
		p += EXT2_XATTR_ENTRY_LEN(x->x_namelen);
		KASSERT(p + 4 <= top);
	}
	return zero ? 0 : bhash;
}

/* Metadata buffers of attributes go out through the journal. */
static void
xattr_bwrite(struct ext2fs_mount *em, struct buf *bp)
{
	ext2fs_bdwrite_meta(em, bp);
}

/* Fills in a block's header and checksum; refcount as given. */
static void
xattr_block_seal(struct ext2fs_mount *em, uint64_t blk, uint8_t *data,
    uint32_t refcount, uint32_t hash)
{
	struct ext2_xattr_header *h = (struct ext2_xattr_header *)data;

	memset(h, 0, sizeof(*h));
	h->h_magic = le32(EXT2_XATTR_MAGIC);
	h->h_refcount = le32(refcount);
	h->h_blocks = le32(1);
	h->h_hash = le32(hash);
	if (em->em_csum)
		h->h_checksum = le32(xattr_block_csum(em, blk, data));
}

/*
 * Lets go of the inode's reference to block bp (busy, given up here):
 * one reference less, or the block freed with the last.
 */
static void
xattr_block_unref(struct ext2fs_mount *em, struct buf *bp, uint64_t blk)
{
	struct ext2_xattr_header *h = bp->b_data;
	uint32_t ref = le32(h->h_refcount);

	if (ref > 1) {
		h->h_refcount = le32(ref - 1);
		if (em->em_csum)
			h->h_checksum =
			    le32(xattr_block_csum(em, blk, bp->b_data));
		xattr_bwrite(em, bp);
		return;
	}
	brelse(bp);
	ext2fs_bfree(em, blk, 1);
}

/* The first use of attributes on an image without them turns them on. */
static void
xattr_feature_on(struct ext2fs_mount *em)
{
	mutex_enter(&em->em_lock);
	if (!(le32(em->em_sb.s_feature_compat) & EXT2_COMPAT_EXT_ATTR)) {
		em->em_sb.s_feature_compat |= le32(EXT2_COMPAT_EXT_ATTR);
		atomic_store_relaxed(
		    &em->em_compat, em->em_compat | EXT2_COMPAT_EXT_ATTR);
		em->em_sbdirty = true;
	}
	mutex_exit(&em->em_lock);
}

/*
 * Sets (val != NULL) or removes an attribute.  Holds the vnode lock as a
 * writer.
 */
static int
xattr_change(struct ext2fs_inode *ei, const char *name, const void *val,
    size_t len, int flags)
{
	struct ext2fs_mount *em = ei->ei_em;
	struct xlist ib = {0}, bl = {0};
	struct xent nx;
	struct buf *bp = NULL, *nbp = NULL;
	uint8_t *hdr = NULL, *icopy = NULL, *bcopy = NULL;
	uint64_t oblk = xattr_blkno(ei), nblk = 0;
	size_t isize = 0, restlen, icap = 0;
	uint32_t oref = 0, magic;
	const char *rest;
	bool hasib, ibchg = false, blchg = false;
	int ii, bi, error;

	if ((error = xattr_split(name, &nx.x_index, &rest, &restlen)) != 0)
		return error;
	nx.x_namelen = (uint8_t)restlen;
	nx.x_name = rest;
	nx.x_size = (uint32_t)len;
	nx.x_value = val;

	/* Both areas, parsed from copies that writing will not disturb. */
	hasib = xattr_ibody(ei, &hdr, &isize);
	if (hasib) {
		icap = isize - 4;
		if ((icopy = kmem_alloc(isize, KM_SLEEP)) == NULL)
			return ENOMEM;
		memcpy(icopy, hdr, isize);
		memcpy(&magic, icopy, 4);
		if (le32(magic) == EXT2_XATTR_MAGIC &&
		    (error = xattr_walk(icopy + 4, 0, icap, xlist_add, &ib)) !=
		        0)
			goto out;
	}
	if ((error = xattr_block_read(ei, &bp)) != 0)
		goto out;
	if (bp != NULL) {
		oref =
		    le32(((struct ext2_xattr_header *)bp->b_data)->h_refcount);
		if ((bcopy = kmem_alloc(em->em_bsize, KM_SLEEP)) == NULL) {
			error = ENOMEM;
			goto out;
		}
		memcpy(bcopy, bp->b_data, em->em_bsize);
		error = xattr_walk(bcopy, sizeof(struct ext2_xattr_header),
		    em->em_bsize, xlist_add, &bl);
		if (error)
			goto out;
	}

	/*
	 * Values that overlap read well one by one but may take more room
	 * than their area has: such an area cannot be laid out again.
	 */
	if ((hasib && xlist_space(&ib) > icap) ||
	    (bp != NULL &&
	        xlist_space(&bl) >
	            em->em_bsize - sizeof(struct ext2_xattr_header))) {
		printf("ext2fs: inode %u: xattr values overlap\n", ei->ei_ino);
		error = EUCLEAN;
		goto out;
	}

	/* Where it is, and where it goes. */
	ii = xlist_find(&ib, &nx);
	bi = ii >= 0 ? -1 : xlist_find(&bl, &nx);
	error = 0;
	if (ii < 0 && bi < 0 && (val == NULL || (flags & XATTR_REPLACE)))
		error = ENODATA;
	else if ((ii >= 0 || bi >= 0) && val != NULL && (flags & XATTR_CREATE))
		error = EEXIST;
	if (error)
		goto out;
	if (val == NULL) {
		if (ii >= 0) {
			xlist_del(&ib, (unsigned)ii);
			ibchg = true;
		} else {
			xlist_del(&bl, (unsigned)bi);
			blchg = true;
		}
	} else if (hasib &&
	    xlist_space(&ib) + xent_space(&nx) -
	            (ii >= 0 ? xent_space(&ib.xl_ents[ii]) : 0) <=
	        icap) {
		/* In the inode, as Linux prefers. */
		if (ii >= 0)
			ib.xl_ents[ii] = nx;
		else if ((error = xlist_add(&ib, &nx)) != 0)
			goto out;
		ibchg = true;
		if (bi >= 0) {
			xlist_del(&bl, (unsigned)bi);
			blchg = true;
		}
	} else {
		if (ii >= 0) {
			xlist_del(&ib, (unsigned)ii);
			ibchg = true;
		}
		if (bi >= 0)
			bl.xl_ents[bi] = nx;
		else if ((error = xlist_add(&bl, &nx)) != 0)
			goto out;
		blchg = true;
		xlist_sort(&bl);
		if (xlist_space(&bl) >
		    em->em_bsize - sizeof(struct ext2_xattr_header)) {
			error = ENOSPC;
			goto out;
		}
	}

	/*
	 * The block first: a new one (none yet, or the old one shared) is
	 * allocated before anything changes, so ENOSPC leaves all as it was.
	 */
	if (blchg && bl.xl_n > 0 && (bp == NULL || oref > 1)) {
		uint32_t n = 1;
		uint64_t goal = em->em_firstdata +
		    (uint64_t)((ei->ei_ino - 1) / em->em_ipg) * em->em_bpg;

		if ((error = ext2fs_balloc(em, goal, &nblk, &n)) != 0)
			goto out;
		if ((error = ext2fs_getblk(em, nblk, &nbp)) != 0) {
			ext2fs_bfree(em, nblk, 1);
			goto out;
		}
		memset(nbp->b_data, 0, em->em_bsize);
		xattr_block_seal(em, nblk, nbp->b_data, 1,
		    xattr_layout(nbp->b_data, sizeof(struct ext2_xattr_header),
		        em->em_bsize, &bl));
		xattr_bwrite(em, nbp);
		if (bp != NULL) {
			xattr_block_unref(em, bp, oblk);
			bp = NULL;
		} else {
			ext2fs_iblocks_add(ei, 1);
		}
		xattr_blkno_set(ei, nblk);
	} else if (blchg && bl.xl_n > 0) {
		/* Ours alone: rewritten in place. */
		xattr_block_seal(em, oblk, bp->b_data, 1,
		    xattr_layout(bp->b_data, sizeof(struct ext2_xattr_header),
		        em->em_bsize, &bl));
		xattr_bwrite(em, bp);
		bp = NULL;
	} else if (blchg) {
		/* Empty: the inode lets go of it. */
		xattr_block_unref(em, bp, oblk);
		bp = NULL;
		ext2fs_iblocks_add(ei, -1);
		xattr_blkno_set(ei, 0);
	}
	if (ibchg) {
		if (ib.xl_n == 0) {
			memset(hdr, 0, isize);
		} else {
			magic = le32(EXT2_XATTR_MAGIC);
			memcpy(hdr, &magic, 4);
			(void)xattr_layout(hdr + 4, 0, icap, &ib);
		}
	}
	xattr_feature_on(em);
	ext2fs_itime_now(ei, "c");
	error = ext2fs_iupdate(ei);
out:
	if (bp != NULL)
		brelse(bp);
	xlist_free(&ib);
	xlist_free(&bl);
	if (icopy != NULL)
		kmem_free(icopy, isize);
	if (bcopy != NULL)
		kmem_free(bcopy, em->em_bsize);
	return error;
}

/*
 * Each change is one transaction of the journal; ENOSPC is retried once
 * after a commit when freed blocks wait for one (as the vnode operations
 * of ext2fs_vnops.c do).
 */
static int
xattr_change_tx(struct ext2fs_inode *ei, const char *name, const void *val,
    size_t len, int flags)
{
	struct ext2fs_mount *em = ei->ei_em;
	int error;

	do {
		ext2fs_trans_begin(em, 0);
		error = xattr_change(ei, name, val, len, flags);
		ext2fs_trans_end(em, 0);
	} while (error == ENOSPC && ext2fs_jnl_retry(em));
	return error;
}

int
ext2fs_setxattr(
    struct vnode *vp, const char *name, const void *val, size_t len, int flags)
{
	KASSERT(val != NULL);
	return xattr_change_tx(VTOEI(vp), name, val, len, flags);
}

int
ext2fs_removexattr(struct vnode *vp, const char *name)
{
	return xattr_change_tx(VTOEI(vp), name, NULL, 0, 0);
}

/*
 * The inode is being freed: it lets go of its attribute block (in-inode
 * ones go with the inode).  A bad block is left alone (e2fsck's to mend).
 */
void
ext2fs_xattr_drop(struct ext2fs_inode *ei)
{
	struct ext2fs_mount *em = ei->ei_em;
	uint64_t blk = xattr_blkno(ei);
	struct buf *bp;

	if (blk == 0)
		return;
	if (xattr_block_read(ei, &bp) == 0 && bp != NULL) {
		xattr_block_unref(em, bp, blk);
		ext2fs_iblocks_add(ei, -1);
	}
	xattr_blkno_set(ei, 0);
}
