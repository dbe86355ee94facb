/*
 * tmpfs_vfsops.c — tmpfs as a file-system type: mount options, mount,
 * remount, unmount, the root, statfs, and loading a vnode for a node.
 *
 * tmpfs is the kernel's root file system and may be mounted anywhere.
 * It registers itself as "tmpfs" from a constructor rather than a
 * component init, so that it is known before the VFS core's own init
 * mounts the root, whatever order the inits run in (vfs_register only
 * links the ops into a list).
 *
 * Options, as Linux's tmpfs takes them ("key=value,..."):
 *   size=N[k|m|g|%]  the most data it holds, rounded up to pages; N% is of
 *                    the kernel's memory limit (RUMP_MEMLIMIT); 0: no limit
 *   nr_blocks=N      the same in pages
 *   nr_inodes=N      the most nodes; 0: no limit
 * By default, as Linux with its RAM, both are half of the kernel's memory
 * limit in pages, so that a full tmpfs leaves memory to delete files
 * with; without a memory limit there is none.
 *   mode=OCTAL       permissions of the root (default 0755)
 *   uid=N, gid=N     owner of the root (default: the mounting caller)
 * Linux's huge=, mpol=, inode32, inode64 and noswap are accepted and mean
 * nothing here.  Anything else is EINVAL.
 */
#include "tmpfs_impl.h"

/* What statfs calls the total when there is no limit: 1 TiB, 2^32 nodes. */
#define TMPFS_NOLIMIT_PAGES ((uint64_t)1 << 28)
#define TMPFS_NOLIMIT_NODES ((uint64_t)1 << 32)

struct tmpfs_args {
	uint64_t ta_maxpages;
	uint64_t ta_maxnodes;
	mode_t ta_mode;
	uid_t ta_uid;
	gid_t ta_gid;
	bool ta_has_size;
	bool ta_has_nodes;
};

/* Parses a number in base 8 or 10 no larger than max. */
static bool
tmpfs_parse_uint(const char *s, unsigned base, uint64_t max, uint64_t *vp)
{
	uint64_t v = 0;

	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (d >= base || v > (max - d) / base)
			return false;
		v = v * base + d;
	}
	*vp = v;
	return true;
}

/* Parses size=: bytes with a k/m/g suffix, or a percentage of memory. */
static bool
tmpfs_parse_pages(const char *val, bool percent_ok, uint64_t *pagesp)
{
	size_t len = strlen(val);
	char num[32];
	uint64_t pct;
	int64_t bytes;

	if (percent_ok && len > 1 && val[len - 1] == '%') {
		if (len > sizeof(num))
			return false;
		memcpy(num, val, len - 1);
		num[len - 1] = '\0';
		if (!tmpfs_parse_uint(num, 10, 100000, &pct))
			return false;
		/* Without a memory limit a share of it is no limit. */
		*pagesp = howmany(
		    (uint64_t)kmem_limit() / 100 * pct, TMPFS_PAGE_SIZE);
		return true;
	}
	bytes = parse_size(val);
	if (bytes < 0)
		return false;
	*pagesp = howmany((uint64_t)bytes, TMPFS_PAGE_SIZE);
	return true;
}

static int
tmpfs_parse_opts(const char *opts, struct tmpfs_args *ta)
{
	char item[80], *val;
	const char *p, *end;
	uint64_t v;
	size_t len;
	int64_t n;

	for (p = opts; p != NULL && *p != '\0';
	     p = *end != '\0' ? end + 1 : end) {
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		len = (size_t)(end - p);
		if (len == 0)
			continue;
		if (len >= sizeof(item)) {
			printf("tmpfs: option too long: \"%.*s...\"\n", 16, p);
			return EINVAL;
		}
		memcpy(item, p, len);
		item[len] = '\0';
		val = strchr(item, '=');
		if (val != NULL)
			*val++ = '\0';

		if (strcmp(item, "inode32") == 0 ||
		    strcmp(item, "inode64") == 0 || strcmp(item, "noswap") == 0)
			continue;
		if (val == NULL) {
			if (strcmp(item, "size") == 0 ||
			    strcmp(item, "nr_blocks") == 0 ||
			    strcmp(item, "nr_inodes") == 0 ||
			    strcmp(item, "mode") == 0 ||
			    strcmp(item, "uid") == 0 ||
			    strcmp(item, "gid") == 0)
				printf("tmpfs: option \"%s\" needs a value\n",
				    item);
			else
				printf("tmpfs: unknown option \"%s\"\n", item);
			return EINVAL;
		}
		if (strcmp(item, "size") == 0 ||
		    strcmp(item, "nr_blocks") == 0) {
			if (item[0] == 's') {
				if (!tmpfs_parse_pages(val, true, &v))
					goto bad;
			} else {
				n = parse_size(val);
				if (n < 0)
					goto bad;
				v = (uint64_t)n;
			}
			ta->ta_maxpages = v;
			ta->ta_has_size = true;
		} else if (strcmp(item, "nr_inodes") == 0) {
			n = parse_size(val);
			if (n < 0)
				goto bad;
			ta->ta_maxnodes = (uint64_t)n;
			ta->ta_has_nodes = true;
		} else if (strcmp(item, "mode") == 0) {
			if (!tmpfs_parse_uint(val, 8, ALLPERMS, &v))
				goto bad;
			ta->ta_mode = (mode_t)v;
		} else if (strcmp(item, "uid") == 0) {
			if (!tmpfs_parse_uint(val, 10, UINT32_MAX - 1, &v))
				goto bad;
			ta->ta_uid = (uid_t)v;
		} else if (strcmp(item, "gid") == 0) {
			if (!tmpfs_parse_uint(val, 10, UINT32_MAX - 1, &v))
				goto bad;
			ta->ta_gid = (gid_t)v;
		} else if (strcmp(item, "huge") == 0 ||
		    strcmp(item, "mpol") == 0) {
			continue;
		} else {
			printf("tmpfs: unknown option \"%s\"\n", item);
			return EINVAL;
		}
		continue;
	bad:
		printf(
		    "tmpfs: bad value for option \"%s\": \"%s\"\n", item, val);
		return EINVAL;
	}
	return 0;
}

static int
tmpfs_mount(struct mount *mp, const char *source __unused, const char *opts)
{
	struct tmpfs_args ta = {.ta_mode = 0755};
	struct tmpfs_mount *tm = NULL;
	struct tmpfs_node *root;
	kauth_cred_t cred;
	int error;

	if (curlwp != NULL) {
		cred = kauth_cred_get();
		ta.ta_uid = cred->cr_euid;
		ta.ta_gid = cred->cr_egid;
		kauth_cred_free(cred);
	}
	error = tmpfs_parse_opts(opts, &ta);
	if (error)
		goto out;
	if (!ta.ta_has_size)
		ta.ta_maxpages = kmem_limit() / 2 / TMPFS_PAGE_SIZE;
	if (!ta.ta_has_nodes)
		ta.ta_maxnodes = kmem_limit() / 2 / TMPFS_PAGE_SIZE;
	tm = kmem_zalloc(sizeof(*tm), KM_SLEEP);
	if (tm == NULL) {
		error = ENOMEM;
		goto out;
	}
	tm->tm_pcpu = kmem_percpu_zalloc(sizeof(struct tmpfs_pcpu), KM_SLEEP);
	if (tm->tm_pcpu == NULL) {
		kmem_free(tm, sizeof(*tm));
		tm = NULL;
		error = ENOMEM;
		goto out;
	}
	tm->tm_maxpages = ta.ta_maxpages;
	tm->tm_maxnodes = ta.ta_maxnodes;
	tm->tm_nextino = TMPFS_ROOT_INO - 1;
	error = tmpfs_node_alloc(
	    tm, VDIR, ta.ta_mode, ta.ta_uid, ta.ta_gid, 0, NULL, &root);
	if (error)
		goto out;
	root->tn_dir.tdr_parent = root;
	tmpfs_nlink_set(root, 2);
	tm->tm_root = root;
	mp->mnt_data = tm;
	tm = NULL;
out:
	if (tm != NULL)
		tmpfs_mount_rele(tm);
	return error;
}

/*
 * Remount: size and nr_inodes may change, but not below what is in use
 * (EINVAL, as Linux); the root's mode and owner stay.  MS_RDONLY is the
 * VFS's business.
 */
static int
tmpfs_remount(struct mount *mp, unsigned long flags __unused, const char *opts)
{
	struct tmpfs_mount *tm = VFS_TO_TMPFS(mp);
	struct tmpfs_args ta = {.ta_mode = 0755};
	int error;

	error = tmpfs_parse_opts(opts, &ta);
	if (error)
		return error;
	/* Limits count the globals: fold the CPUs' counts in first. */
	tmpfs_counts_fold(tm);
	if (ta.ta_has_size && ta.ta_maxpages != 0 &&
	    ta.ta_maxpages < atomic_load_relaxed(&tm->tm_pages))
		return EINVAL;
	if (ta.ta_has_nodes && ta.ta_maxnodes != 0 &&
	    ta.ta_maxnodes < atomic_load_relaxed(&tm->tm_nodes))
		return EINVAL;
	if (ta.ta_has_size)
		atomic_store_relaxed(&tm->tm_maxpages, ta.ta_maxpages);
	if (ta.ta_has_nodes)
		atomic_store_relaxed(&tm->tm_maxnodes, ta.ta_maxnodes);
	return 0;
}

/*
 * Frees every node that has no vnode; those that do (the root, held by
 * the VFS, and with MNT_FORCE whatever was still open) stay, unlinked and
 * empty, until their vnodes are reclaimed, and the mount's counters stay
 * with them (the last node frees the mount).
 */
static int
tmpfs_unmount(struct mount *mp, int flags __unused)
{
	struct tmpfs_mount *tm = VFS_TO_TMPFS(mp);

	tmpfs_free_tree(tm);
	mp->mnt_data = NULL;
	tmpfs_mount_rele(tm);
	return 0;
}

static int
tmpfs_root(struct mount *mp, struct vnode **vpp)
{
	struct tmpfs_mount *tm = VFS_TO_TMPFS(mp);

	return tmpfs_node_vget(mp, tm->tm_root, vpp);
}

static int
tmpfs_statfs(struct mount *mp, struct statfs *sf)
{
	struct tmpfs_mount *tm = VFS_TO_TMPFS(mp);
	uint64_t pages, nodes;
	uint64_t maxpages = atomic_load_relaxed(&tm->tm_maxpages);
	uint64_t maxnodes = atomic_load_relaxed(&tm->tm_maxnodes);
	uint64_t total, avail;
	size_t lim = kmem_limit(), used = kmem_used();

	tmpfs_counts(tm, &pages, &nodes);

	if (maxpages != 0) {
		total = maxpages;
		avail = maxpages > pages ? maxpages - pages : 0;
	} else if (lim != 0) {
		/* No limit of its own: what the kernel's memory allows. */
		avail = lim > used ? (lim - used) / TMPFS_PAGE_SIZE : 0;
		total = MAX(lim / TMPFS_PAGE_SIZE, pages + avail);
	} else {
		total = MAX(TMPFS_NOLIMIT_PAGES, pages);
		avail = total - pages;
	}
	if (maxnodes == 0)
		maxnodes = MAX(TMPFS_NOLIMIT_NODES, nodes);
	sf->f_type = TMPFS_MAGIC;
	sf->f_bsize = TMPFS_PAGE_SIZE;
	sf->f_frsize = TMPFS_PAGE_SIZE;
	sf->f_blocks = total;
	sf->f_bfree = avail;
	sf->f_bavail = avail;
	sf->f_files = maxnodes;
	sf->f_ffree = maxnodes > nodes ? maxnodes - nodes : 0;
	sf->f_fsid.val[0] = (int)(uint32_t)mp->mnt_id;
	sf->f_fsid.val[1] = (int)(uint32_t)(mp->mnt_id >> 32);
	sf->f_namelen = TMPFS_NAME_MAX;
	sf->f_flags |= ST_VALID | (vfs_isrdonly(mp) ? ST_RDONLY : 0);
	return 0;
}

static int
tmpfs_sync(struct mount *mp __unused, bool waitfor __unused)
{
	return 0; /* everything is in memory already */
}

/*
 * The key is a node's address (tn_self).  The node stays valid here: it
 * was found through a name under its directory's lock, or is the root.
 */
static int
tmpfs_loadvnode(
    struct mount *mp __unused, struct vnode *vp, const void *key, size_t keylen)
{
	struct tmpfs_node *tn;

	KASSERT(keylen == sizeof(tn));
	memcpy(&tn, key, sizeof(tn));
	KASSERT(tn->tn_self == tn);
	tmpfs_node_hold(tn); /* dropped by reclaim */
	vp->v_type = tn->tn_type;
	/* The VFS sends device I/O to the driver of v_rdev. */
	vp->v_op = &tmpfs_vnodeops;
	vp->v_rdev = tn->tn_rdev;
	vp->v_data = tn;
	return 0;
}

struct vfsops tmpfs_vfsops = {
    .vfs_name = "tmpfs",
    .vfs_mount = tmpfs_mount,
    .vfs_remount = tmpfs_remount,
    .vfs_unmount = tmpfs_unmount,
    .vfs_root = tmpfs_root,
    .vfs_statfs = tmpfs_statfs,
    .vfs_sync = tmpfs_sync,
    .vfs_loadvnode = tmpfs_loadvnode,
};

__attribute__((constructor)) static void
tmpfs_register(void)
{
	vfs_register(&tmpfs_vfsops);
}
