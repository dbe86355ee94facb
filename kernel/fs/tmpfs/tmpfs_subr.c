/*
 * tmpfs_subr.c — the data structures of tmpfs under its vnode operations:
 * nodes and their holds, the accounting of pages and nodes against the
 * mount's limits, directories (a hash table of names for lookup, a slot
 * array in creation order for readdir) and the radix tree of pages of a
 * regular file.  The vnode operations (tmpfs_vnops.c) call these with the
 * vnode locks that the comments in tmpfs_impl.h name.
 */
#include "tmpfs_impl.h"

/* ------------------------------------------------------------- accounting */

static struct tmpfs_pcpu *
tmpfs_pcpu(struct tmpfs_mount *tm)
{
	return &tm->tm_pcpu[curcpu()->ci_index];
}

/*
 * Takes n of a count (pages or nodes) limited by *max; without a limit
 * the CPU's own delta counts it.
 */
static int
tmpfs_count_reserve(struct tmpfs_mount *tm, uint64_t *count, int64_t *delta,
    uint64_t *max, uint64_t n)
{
	uint64_t lim = atomic_load_relaxed(max);
	uint64_t cur;

	if (lim == 0) {
		/* Only this CPU's holder writes its delta: no lock prefix. */
		atomic_store_relaxed(
		    delta, atomic_load_relaxed(delta) + (int64_t)n);
		return 0;
	}
	(void)tm;
	cur = atomic_load_relaxed(count);
	do {
		if (cur + n > lim || cur + n < cur)
			return ENOSPC;
	} while (!atomic_cas(count, &cur, cur + n));
	return 0;
}

static void
tmpfs_count_release(uint64_t *count, int64_t *delta, uint64_t *max, uint64_t n)
{
	if (atomic_load_relaxed(max) == 0)
		__atomic_sub_fetch(delta, (int64_t)n, __ATOMIC_SEQ_CST);
	else
		__atomic_sub_fetch(count, n, __ATOMIC_SEQ_CST);
}

#define PAGES_RESERVE(tm, n)                                                   \
	tmpfs_count_reserve(tm, &(tm)->tm_pages, &tmpfs_pcpu(tm)->tp_pages,    \
	    &(tm)->tm_maxpages, n)
#define PAGES_RELEASE(tm, n)                                                   \
	tmpfs_count_release(                                                   \
	    &(tm)->tm_pages, &tmpfs_pcpu(tm)->tp_pages, &(tm)->tm_maxpages, n)
#define NODES_RESERVE(tm)                                                      \
	tmpfs_count_reserve(tm, &(tm)->tm_nodes, &tmpfs_pcpu(tm)->tp_nodes,    \
	    &(tm)->tm_maxnodes, 1)
#define NODES_RELEASE(tm)                                                      \
	tmpfs_count_release(                                                   \
	    &(tm)->tm_nodes, &tmpfs_pcpu(tm)->tp_nodes, &(tm)->tm_maxnodes, 1)

int
tmpfs_pages_reserve(struct tmpfs_mount *tm, uint64_t n)
{
	return PAGES_RESERVE(tm, n);
}

void
tmpfs_pages_release(struct tmpfs_mount *tm, uint64_t n)
{
	PAGES_RELEASE(tm, n);
}

/* The mount's page and node counts: the globals and every CPU's delta. */
void
tmpfs_counts(struct tmpfs_mount *tm, uint64_t *pages, uint64_t *nodes)
{
	int64_t p = (int64_t)atomic_load_relaxed(&tm->tm_pages);
	int64_t n = (int64_t)atomic_load_relaxed(&tm->tm_nodes);

	for (int i = 0; i < ncpu; i++) {
		p += atomic_load_relaxed(&tm->tm_pcpu[i].tp_pages);
		n += atomic_load_relaxed(&tm->tm_pcpu[i].tp_nodes);
	}
	*pages = p > 0 ? (uint64_t)p : 0;
	*nodes = n > 0 ? (uint64_t)n : 0;
}

/* Before a limit applies: the deltas join the global counts. */
void
tmpfs_counts_fold(struct tmpfs_mount *tm)
{
	for (int i = 0; i < ncpu; i++) {
		int64_t p = __atomic_exchange_n(
		    &tm->tm_pcpu[i].tp_pages, 0, __ATOMIC_RELAXED);
		int64_t n = __atomic_exchange_n(
		    &tm->tm_pcpu[i].tp_nodes, 0, __ATOMIC_RELAXED);

		__atomic_add_fetch(
		    &tm->tm_pages, (uint64_t)p, __ATOMIC_RELAXED);
		__atomic_add_fetch(
		    &tm->tm_nodes, (uint64_t)n, __ATOMIC_RELAXED);
	}
}

/* An inode number from the CPU's block (blocks come from tm_nextino). */
static uint64_t
tmpfs_ino_alloc(struct tmpfs_mount *tm)
{
	struct tmpfs_pcpu *tp = tmpfs_pcpu(tm);

	if (tp->tp_ino_next == tp->tp_ino_end) {
		tp->tp_ino_next = __atomic_add_fetch(&tm->tm_nextino,
		                      TMPFS_INO_BLOCK, __ATOMIC_RELAXED) -
		    TMPFS_INO_BLOCK + 1;
		tp->tp_ino_end = tp->tp_ino_next + TMPFS_INO_BLOCK;
	}
	return tp->tp_ino_next++;
}

/* Whether n more pages fit now (a hint: others may take them first). */
bool
tmpfs_pages_avail(struct tmpfs_mount *tm, uint64_t n)
{
	uint64_t lim = atomic_load_relaxed(&tm->tm_maxpages);

	return lim == 0 || atomic_load_relaxed(&tm->tm_pages) + n <= lim;
}

/* Frees tm once it is unmounted and its last node is gone. */
static void
tmpfs_mount_maybe_free(struct tmpfs_mount *tm)
{
	uint64_t pages, nodes;
	unsigned expect = 0;

	tmpfs_counts(tm, &pages, &nodes);
	if (nodes != 0 ||
	    !__atomic_compare_exchange_n(&tm->tm_freed, &expect, 1, false,
	        __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return;
	KASSERT(pages == 0);
	if (tm->tm_pcpu != NULL)
		kmem_percpu_free(tm->tm_pcpu, sizeof(struct tmpfs_pcpu));
	kmem_free(tm, sizeof(*tm));
}

/* The mount goes (unmount, or a mount that failed). */
void
tmpfs_mount_rele(struct tmpfs_mount *tm)
{
	/* Sequentially consistent with the node count: see node_gone. */
	__atomic_store_n(&tm->tm_unmounted, true, __ATOMIC_SEQ_CST);
	tmpfs_mount_maybe_free(tm);
}

/*
 * A node went (its count was dropped, sequentially consistent): if the
 * mount is gone too, the last node frees it.  Either this sees the
 * unmount or the unmount's count sees this node gone.
 */
void
tmpfs_mount_node_gone(struct tmpfs_mount *tm)
{
	if (__atomic_load_n(&tm->tm_unmounted, __ATOMIC_SEQ_CST))
		tmpfs_mount_maybe_free(tm);
}

/* ------------------------------------------------------------------ times */

void
tmpfs_time_set(struct timespec *t, const struct timespec *v)
{
	atomic_store_relaxed(&t->tv_sec, v->tv_sec);
	atomic_store_relaxed(&t->tv_nsec, v->tv_nsec);
}

void
tmpfs_time_get(const struct timespec *t, struct timespec *v)
{
	v->tv_sec = atomic_load_relaxed(&t->tv_sec);
	v->tv_nsec = atomic_load_relaxed(&t->tv_nsec);
}

/* Sets the named times of tn to now. */
void
tmpfs_update(struct tmpfs_node *tn, int which)
{
	uint64_t now = getnanotime();
	struct timespec ts = {
	    (time_t)(now / 1000000000u), (long)(now % 1000000000u)};

	if (which & TMPFS_ATIME)
		tmpfs_time_set(&tn->tn_atime, &ts);
	if (which & TMPFS_MTIME)
		tmpfs_time_set(&tn->tn_mtime, &ts);
	if (which & TMPFS_CTIME)
		tmpfs_time_set(&tn->tn_ctime, &ts);
}

/* ------------------------------------------------------------------ nodes */

/*
 * Makes a node of type with one hold (for the name the caller gives it)
 * and nlink 0; the caller links it and sets nlink.  ENOSPC past the
 * mount's nr_inodes.
 */
int
tmpfs_node_alloc(struct tmpfs_mount *tm, enum vtype type, mode_t mode,
    uid_t uid, gid_t gid, dev_t rdev, const char *target,
    struct tmpfs_node **tnp)
{
	struct tmpfs_node *tn = NULL;
	int error;

	error = NODES_RESERVE(tm);
	if (error)
		return error;
	tn = kmem_zalloc(sizeof(*tn), KM_SLEEP);
	if (tn == NULL) {
		error = ENOMEM;
		goto out;
	}
	if (type == VLNK) {
		size_t len = strlen(target);

		KASSERT(len <= TMPFS_SYMLINK_MAX);
		tn->tn_lnk.tl_target = kmem_alloc(len + 1, KM_SLEEP);
		if (tn->tn_lnk.tl_target == NULL) {
			error = ENOMEM;
			goto out;
		}
		memcpy(tn->tn_lnk.tl_target, target, len + 1);
		tn->tn_lnk.tl_len = len;
	} else if (type == VDIR) {
		tn->tn_dir.tdr_nextseq = TMPFS_SEQ_FIRST;
	}
	tn->tn_self = tn;
	tn->tn_mount = tm;
	tn->tn_type = type;
	tn->tn_ino = tmpfs_ino_alloc(tm);
	tn->tn_rdev = (type == VCHR || type == VBLK) ? rdev : 0;
	tn->tn_mode = mode & ALLPERMS;
	tn->tn_uid = uid;
	tn->tn_gid = gid;
	tn->tn_holds = 1;
	tmpfs_update(tn, TMPFS_ATIME | TMPFS_MTIME | TMPFS_CTIME);
	tn->tn_btime = tn->tn_mtime;
	*tnp = tn;
	tn = NULL;
out:
	if (tn != NULL)
		kmem_free(tn, sizeof(*tn));
	if (error)
		NODES_RELEASE(tm);
	return error;
}

static void
tmpfs_node_free(struct tmpfs_node *tn)
{
	struct tmpfs_mount *tm = tn->tn_mount;
	struct tmpfs_dir *d;

	tmpfs_xattr_free_all(tn);
	switch (tn->tn_type) {
	case VREG:
		tmpfs_page_free_range(tn, 0, UINT64_MAX);
		KASSERT(
		    tn->tn_reg.pm_npages == 0 && tn->tn_reg.pm_root == NULL);
		break;
	case VDIR:
		d = &tn->tn_dir;
		KASSERT(d->tdr_nentries == 0);
		if (d->tdr_hash != NULL)
			kmem_free(d->tdr_hash,
			    d->tdr_nbuckets * sizeof(*d->tdr_hash));
		if (d->tdr_slots != NULL)
			kmem_free(d->tdr_slots,
			    d->tdr_maxslots * sizeof(*d->tdr_slots));
		break;
	case VLNK:
		kmem_free(tn->tn_lnk.tl_target, tn->tn_lnk.tl_len + 1);
		break;
	default:
		break;
	}
	kmem_free(tn, sizeof(*tn));
	NODES_RELEASE(tm);
	tmpfs_mount_node_gone(tm);
}

void
tmpfs_node_hold(struct tmpfs_node *tn)
{
	unsigned n __unused = atomic_inc(&tn->tn_holds);

	KASSERT(n >= 2);
}

/* Drops a hold; the last one frees the node. */
void
tmpfs_node_rele(struct tmpfs_node *tn)
{
	if (__atomic_sub_fetch(&tn->tn_holds, 1, __ATOMIC_ACQ_REL) == 0)
		tmpfs_node_free(tn);
}

/*
 * Caller holds tn's vnode lock (or has the only path to tn).  A new node
 * goes from 0 to its first count keeping the hold it was made with.
 */
void
tmpfs_nlink_set(struct tmpfs_node *tn, nlink_t n)
{
	nlink_t old = tn->tn_nlink;

	atomic_store_relaxed(&tn->tn_nlink, n);
	if (old > 0 && n == 0)
		tmpfs_node_rele(tn);
}

/* The vnode of tn, referenced: tn must be linked or have a vnode. */
int
tmpfs_node_vget(struct mount *mp, struct tmpfs_node *tn, struct vnode **vpp)
{
	return vcache_get(mp, &tn->tn_self, sizeof(tn->tn_self), vpp);
}

/* ------------------------------------------------------------ directories */

static uint32_t
tmpfs_hash(const char *name, size_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)name[i];
		h *= 16777619u;
	}
	return h ^ (h >> 15);
}

int
tmpfs_dirent_alloc(const char *name, size_t len, struct tmpfs_dirent **dep)
{
	struct tmpfs_dirent *de;

	if (len > TMPFS_NAME_MAX)
		return ENAMETOOLONG;
	if (len == 0)
		return ENOENT;
	de = kmem_alloc(sizeof(*de) + len, KM_SLEEP);
	if (de == NULL)
		return ENOMEM;
	de->td_hnext = NULL;
	de->td_node = NULL;
	de->td_slot = 0;
	de->td_hash = tmpfs_hash(name, len);
	de->td_namelen = (uint16_t)len;
	memcpy(de->td_name, name, len);
	*dep = de;
	return 0;
}

void
tmpfs_dirent_free(struct tmpfs_dirent *de)
{
	kmem_free(de, sizeof(*de) + de->td_namelen);
}

/* Caller holds dnode's vnode lock. */
struct tmpfs_dirent *
tmpfs_dir_lookup(struct tmpfs_node *dnode, const char *name, size_t len)
{
	struct tmpfs_dir *d = &dnode->tn_dir;
	struct tmpfs_dirent *de;
	uint32_t h;

	KASSERT(dnode->tn_type == VDIR);
	if (d->tdr_nentries == 0 || len > TMPFS_NAME_MAX)
		return NULL;
	h = tmpfs_hash(name, len);
	for (de = d->tdr_hash[h & (d->tdr_nbuckets - 1)]; de != NULL;
	     de = de->td_hnext) {
		if (de->td_hash == h && de->td_namelen == len &&
		    memcmp(de->td_name, name, len) == 0)
			return de;
	}
	return NULL;
}

/*
 * Moves the entries to a table of nbuckets (a power of two).  Fails only
 * for want of memory, leaving the old table.
 */
static int
tmpfs_dir_rehash(struct tmpfs_dir *d, uint32_t nbuckets)
{
	struct tmpfs_dirent **nh, *de;

	KASSERT((nbuckets & (nbuckets - 1)) == 0 && nbuckets > 0);
	nh = kmem_zalloc(nbuckets * sizeof(*nh), KM_SLEEP);
	if (nh == NULL)
		return ENOMEM;
	for (uint32_t i = 0; i < d->tdr_nslots; i++) {
		de = d->tdr_slots[i].ds_ent;
		if (de == NULL)
			continue;
		de->td_hnext = nh[de->td_hash & (nbuckets - 1)];
		nh[de->td_hash & (nbuckets - 1)] = de;
	}
	if (d->tdr_hash != NULL)
		kmem_free(d->tdr_hash, d->tdr_nbuckets * sizeof(*d->tdr_hash));
	d->tdr_hash = nh;
	d->tdr_nbuckets = nbuckets;
	return 0;
}

/* Squeezes the holes out of the slot array, in place. */
static void
tmpfs_dir_compact(struct tmpfs_dir *d)
{
	uint32_t j = 0;

	for (uint32_t i = 0; i < d->tdr_nslots; i++) {
		struct tmpfs_dirent *de = d->tdr_slots[i].ds_ent;

		if (de == NULL)
			continue;
		d->tdr_slots[j] = d->tdr_slots[i];
		de->td_slot = j++;
	}
	KASSERT(j == d->tdr_nentries);
	d->tdr_nslots = j;
	d->tdr_nholes = 0;
}

static int
tmpfs_dir_resize_slots(struct tmpfs_dir *d, uint32_t max)
{
	struct tmpfs_dslot *ns;

	KASSERT(max >= d->tdr_nslots);
	ns = kmem_alloc(max * sizeof(*ns), KM_SLEEP);
	if (ns == NULL)
		return ENOMEM;
	if (d->tdr_slots != NULL) {
		memcpy(ns, d->tdr_slots, d->tdr_nslots * sizeof(*ns));
		kmem_free(d->tdr_slots, d->tdr_maxslots * sizeof(*ns));
	}
	d->tdr_slots = ns;
	d->tdr_maxslots = max;
	return 0;
}

/*
 * Makes room for one more entry, so that the next tmpfs_dir_attach()
 * cannot fail.  Caller holds dnode's vnode lock as a writer.
 */
int
tmpfs_dir_reserve(struct tmpfs_node *dnode)
{
	struct tmpfs_dir *d = &dnode->tn_dir;
	int error;

	KASSERT(dnode->tn_type == VDIR);
	if (d->tdr_nentries == UINT32_MAX / 2)
		return ENOSPC;
	if (d->tdr_nbuckets == 0) {
		error = tmpfs_dir_rehash(d, 8);
		if (error)
			return error;
	} else if (d->tdr_nentries >= d->tdr_nbuckets) {
		/* Without memory for a bigger table the chains grow. */
		(void)tmpfs_dir_rehash(d, d->tdr_nbuckets * 2);
	}
	if (d->tdr_nslots < d->tdr_maxslots)
		return 0;
	if (d->tdr_nholes > d->tdr_nslots / 4) {
		tmpfs_dir_compact(d);
		return 0;
	}
	return tmpfs_dir_resize_slots(
	    d, d->tdr_maxslots == 0 ? 8 : d->tdr_maxslots * 2);
}

/*
 * Enters de, naming tn, at the end of dnode's readdir order.  Caller
 * holds dnode's vnode lock as a writer and made room with
 * tmpfs_dir_reserve(); the caller sets the nlinks.
 */
void
tmpfs_dir_attach(
    struct tmpfs_node *dnode, struct tmpfs_dirent *de, struct tmpfs_node *tn)
{
	struct tmpfs_dir *d = &dnode->tn_dir;
	struct tmpfs_dirent **b;

	KASSERT(dnode->tn_type == VDIR);
	KASSERT(d->tdr_nbuckets > 0 && d->tdr_nslots < d->tdr_maxslots);
	de->td_node = tn;
	b = &d->tdr_hash[de->td_hash & (d->tdr_nbuckets - 1)];
	de->td_hnext = *b;
	*b = de;
	de->td_slot = d->tdr_nslots;
	d->tdr_slots[d->tdr_nslots].ds_seq = d->tdr_nextseq++;
	d->tdr_slots[d->tdr_nslots].ds_ent = de;
	d->tdr_nslots++;
	d->tdr_nentries++;
}

/*
 * Takes de out of dnode; the caller frees it and sets the nlinks.  Caller
 * holds dnode's vnode lock as a writer.  The tables shrink as the
 * directory empties, and only when memory allows.
 */
void
tmpfs_dir_detach(struct tmpfs_node *dnode, struct tmpfs_dirent *de)
{
	struct tmpfs_dir *d = &dnode->tn_dir;
	struct tmpfs_dirent **pp;

	KASSERT(dnode->tn_type == VDIR && d->tdr_nentries > 0);
	for (pp = &d->tdr_hash[de->td_hash & (d->tdr_nbuckets - 1)]; *pp != de;
	     pp = &(*pp)->td_hnext)
		KASSERT(*pp != NULL);
	*pp = de->td_hnext;
	de->td_hnext = NULL;

	KASSERT(d->tdr_slots[de->td_slot].ds_ent == de);
	d->tdr_slots[de->td_slot].ds_ent = NULL;
	d->tdr_nholes++;
	d->tdr_nentries--;
	while (d->tdr_nslots > 0 &&
	    d->tdr_slots[d->tdr_nslots - 1].ds_ent == NULL) {
		d->tdr_nslots--;
		d->tdr_nholes--;
	}
	if (d->tdr_nholes > 8 && d->tdr_nholes > d->tdr_nslots / 2)
		tmpfs_dir_compact(d);
	if (d->tdr_maxslots > 64 && d->tdr_nslots < d->tdr_maxslots / 4)
		(void)tmpfs_dir_resize_slots(d, d->tdr_maxslots / 2);
	if (d->tdr_nbuckets > 64 && d->tdr_nentries < d->tdr_nbuckets / 8)
		(void)tmpfs_dir_rehash(d, d->tdr_nbuckets / 4);
}

/*
 * The first slot of dnode whose cookie is not below cookie (tdr_nslots
 * when none).  Caller holds dnode's vnode lock.
 */
uint32_t
tmpfs_dir_first_slot(struct tmpfs_node *dnode, off_t cookie)
{
	struct tmpfs_dir *d = &dnode->tn_dir;
	uint32_t lo = 0, hi = d->tdr_nslots;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (d->tdr_slots[mid].ds_seq < cookie)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Frees the whole tree of an unmounted file system, without recursion:
 * each directory is emptied entry by entry, descending into
 * subdirectories and climbing back through their parents.  A node whose
 * last name goes loses its name hold; a node that still has a vnode (the
 * root, or anything a forced unmount left behind) stays, empty and
 * unlinked, until its vnode is reclaimed.
 */
void
tmpfs_free_tree(struct tmpfs_mount *tm)
{
	struct tmpfs_node *dir = tm->tm_root, *child, *parent;
	struct tmpfs_dirent *de;
	struct tmpfs_dir *d;

	for (;;) {
		d = &dir->tn_dir;
		if (d->tdr_nentries > 0) {
			KASSERT(d->tdr_nslots > 0);
			de = d->tdr_slots[d->tdr_nslots - 1].ds_ent;
			tmpfs_dir_detach(dir, de);
			child = de->td_node;
			tmpfs_dirent_free(de);
			if (child->tn_type == VDIR) {
				tmpfs_nlink_set(dir, tmpfs_nlink(dir) - 1);
				dir = child;
			} else {
				tmpfs_nlink_set(child, tmpfs_nlink(child) - 1);
			}
			continue;
		}
		parent = d->tdr_parent;
		d->tdr_parent = NULL;
		tmpfs_nlink_set(dir, 0);
		if (dir == tm->tm_root)
			break;
		dir = parent;
	}
}

/* --------------------------------------------------------------- page map */

/* Pages covered by a radix subtree of height h. */
static inline uint64_t
tmpfs_radix_span(int h)
{
	return (uint64_t)1 << (TMPFS_RADIX_SHIFT * h);
}

static inline unsigned
tmpfs_radix_index(uint64_t idx, int h)
{
	return (unsigned)(idx >> (TMPFS_RADIX_SHIFT * (h - 1))) &
	    (TMPFS_RADIX - 1);
}

/* Caller holds tn's vnode lock. */
void *
tmpfs_page_lookup(struct tmpfs_node *tn, uint64_t idx)
{
	struct tmpfs_pmap *pm = &tn->tn_reg;
	void *n = pm->pm_root;

	if (n == NULL || idx >= tmpfs_radix_span(pm->pm_height))
		return NULL;
	for (int h = pm->pm_height; h > 0 && n != NULL; h--)
		n = ((void **)n)[tmpfs_radix_index(idx, h)];
	return n;
}

/*
 * The page at idx, made (zeroed, and counted against the mount's size)
 * when it is a hole.  ENOSPC past the size limit, ENOMEM.  Caller holds
 * tn's vnode lock as a writer.  On failure the tree may keep empty
 * interior nodes, which are harmless and freed with the file.
 */
int
tmpfs_page_get(struct tmpfs_node *tn, uint64_t idx, void **pagep)
{
	struct tmpfs_mount *tm = tn->tn_mount;
	struct tmpfs_pmap *pm = &tn->tn_reg;
	void **slotp, *page;
	int error;

	KASSERT(idx <= (TMPFS_MAXFILESIZE >> TMPFS_PAGE_SHIFT));
	while (idx >= tmpfs_radix_span(pm->pm_height)) {
		void **top;

		KASSERT(pm->pm_height < TMPFS_RADIX_MAXH);
		if (pm->pm_root == NULL) {
			pm->pm_height++;
			continue;
		}
		top = kmem_zalloc(TMPFS_RADIX * sizeof(void *), KM_SLEEP);
		if (top == NULL)
			return ENOMEM;
		top[0] = pm->pm_root;
		pm->pm_root = top;
		pm->pm_height++;
	}
	slotp = &pm->pm_root;
	for (int h = pm->pm_height; h > 0; h--) {
		if (*slotp == NULL) {
			*slotp =
			    kmem_zalloc(TMPFS_RADIX * sizeof(void *), KM_SLEEP);
			if (*slotp == NULL)
				return ENOMEM;
		}
		slotp = &((void **)*slotp)[tmpfs_radix_index(idx, h)];
	}
	if (*slotp != NULL) {
		*pagep = *slotp;
		return 0;
	}
	error = PAGES_RESERVE(tm, 1);
	if (error)
		return error;
	page = kmem_zalloc(TMPFS_PAGE_SIZE, KM_SLEEP);
	if (page == NULL) {
		PAGES_RELEASE(tm, 1);
		return ENOMEM;
	}
	*slotp = page;
	pm->pm_npages++;
	*pagep = page;
	return 0;
}

/*
 * Frees the pages in [start, end) of the subtree at *slotp (height h,
 * first page base); returns whether the subtree is now empty.
 */
static bool
tmpfs_radix_free(void **slotp, int h, uint64_t base, uint64_t start,
    uint64_t end, uint64_t *freed)
{
	void **slots = *slotp;
	uint64_t span;
	unsigned i, i0, i1;

	if (slots == NULL)
		return true;
	if (h == 0) {
		if (base < start || base >= end)
			return false;
		kmem_free(slots, TMPFS_PAGE_SIZE);
		*slotp = NULL;
		(*freed)++;
		return true;
	}
	span = tmpfs_radix_span(h - 1);
	i0 = start > base ? (unsigned)((start - base) / span) : 0;
	i1 = end - base >= tmpfs_radix_span(h)
	    ? TMPFS_RADIX - 1
	    : (unsigned)((end - 1 - base) / span);
	for (i = i0; i <= i1; i++)
		(void)tmpfs_radix_free(
		    &slots[i], h - 1, base + i * span, start, end, freed);
	for (i = 0; i < TMPFS_RADIX; i++)
		if (slots[i] != NULL)
			return false;
	kmem_free(slots, TMPFS_RADIX * sizeof(void *));
	*slotp = NULL;
	return true;
}

/*
 * Frees the pages of [start, end) (page indexes) and gives them back to
 * the mount; the tree gets lower when it can.  Caller holds tn's vnode
 * lock as a writer.
 */
void
tmpfs_page_free_range(struct tmpfs_node *tn, uint64_t start, uint64_t end)
{
	struct tmpfs_pmap *pm = &tn->tn_reg;
	uint64_t freed = 0;

	if (pm->pm_root == NULL) {
		pm->pm_height = 0;
		return;
	}
	end = MIN(end, tmpfs_radix_span(pm->pm_height));
	if (start < end)
		(void)tmpfs_radix_free(
		    &pm->pm_root, pm->pm_height, 0, start, end, &freed);
	while (pm->pm_root != NULL && pm->pm_height > 0) {
		void **slots = pm->pm_root;
		unsigned i;

		for (i = 1; i < TMPFS_RADIX && slots[i] == NULL; i++)
			;
		if (i < TMPFS_RADIX)
			break;
		pm->pm_root = slots[0];
		pm->pm_height--;
		kmem_free(slots, TMPFS_RADIX * sizeof(void *));
	}
	if (pm->pm_root == NULL)
		pm->pm_height = 0;
	KASSERT(pm->pm_npages >= freed);
	pm->pm_npages -= freed;
	if (freed > 0)
		PAGES_RELEASE(tn->tn_mount, freed);
}

static bool
tmpfs_radix_next(
    void *n, int h, uint64_t base, uint64_t idx, bool present, uint64_t *found)
{
	uint64_t span;
	unsigned i;

	if (n == NULL) {
		if (present)
			return false;
		*found = MAX(base, idx);
		return true;
	}
	if (h == 0) {
		if (!present)
			return false;
		*found = base;
		return true;
	}
	span = tmpfs_radix_span(h - 1);
	i = idx > base ? (unsigned)((idx - base) / span) : 0;
	for (; i < TMPFS_RADIX; i++)
		if (tmpfs_radix_next(((void **)n)[i], h - 1, base + i * span,
		        idx, present, found))
			return true;
	return false;
}

/*
 * The first page index at or after idx that is present (present) or a
 * hole (!present); false when there is none.  Every index past the tree
 * is a hole.  Caller holds tn's vnode lock.
 */
bool
tmpfs_page_next(
    struct tmpfs_node *tn, uint64_t idx, bool present, uint64_t *found)
{
	struct tmpfs_pmap *pm = &tn->tn_reg;
	uint64_t span = tmpfs_radix_span(pm->pm_height);

	if (idx < span &&
	    tmpfs_radix_next(
	        pm->pm_root, pm->pm_height, 0, idx, present, found))
		return true;
	if (present)
		return false;
	*found = MAX(idx, span);
	return true;
}

/* Pages present in [start, end).  Caller holds tn's vnode lock. */
uint64_t
tmpfs_page_count_range(struct tmpfs_node *tn, uint64_t start, uint64_t end)
{
	uint64_t n = 0, idx = start, f;

	if (start == 0 && end >= tmpfs_radix_span(tn->tn_reg.pm_height))
		return tn->tn_reg.pm_npages;
	while (idx < end && tmpfs_page_next(tn, idx, true, &f) && f < end) {
		n++;
		idx = f + 1;
	}
	return n;
}

/*
 * Sets the size of a regular file: shrinking frees the pages past the
 * end (also those fallocate kept past it) and zeroes the rest of the last
 * page, so that bytes past the size are always zero.  Caller holds tn's
 * vnode lock as a writer.
 */
int
tmpfs_truncate(struct tmpfs_node *tn, off_t size)
{
	KASSERT(tn->tn_type == VREG);
	if (size < 0)
		return EINVAL;
	if (size < tn->tn_size) {
		uint64_t first = howmany((uint64_t)size, TMPFS_PAGE_SIZE);
		size_t off = (size_t)size & TMPFS_PAGE_MASK;
		char *page;

		tmpfs_page_free_range(tn, first, UINT64_MAX);
		if (off != 0) {
			page = tmpfs_page_lookup(
			    tn, (uint64_t)size >> TMPFS_PAGE_SHIFT);
			if (page != NULL)
				memset(page + off, 0, TMPFS_PAGE_SIZE - off);
		}
	}
	tn->tn_size = size;
	return 0;
}
