/*
 * vfs_cache.c — the name cache: (directory vnode, name) → vnode, or a
 * negative entry saying the name does not exist.
 *
 * Entries hold no references.  The VFS removes them when it changes a
 * directory (cache_remove on create, remove and rename) and when a vnode
 * is reclaimed (cache_purge).  Every vnode keeps two lists, the entries
 * naming it and the entries of names in it, so purging costs only what
 * the vnode has.  At most NC_MAX entries, oldest dropped first; names
 * longer than NC_NAMELEN are not cached.
 *
 * Locks: a stripe lock per group of hash chains guards the chains;
 * nc_list_lock guards the LRU list, the per-vnode lists and the count.
 * Order: stripe lock → nc_list_lock; cache_lookup takes the vnode cache's
 * locks under a stripe lock.
 */
#include "vfs.h"

bool vcache_tryget(struct vnode *vp);

#define NC_NHASH   8192
#define NC_NLOCKS  256
#define NC_MAX     65536
#define NC_NAMELEN 48

/* [s] stripe lock  [L] nc_list_lock  [I] immutable */
struct ncentry {
	struct vnode *nc_dvp;                /* [I] */
	struct vnode *nc_vp;                 /* [I] NULL: negative */
	uint32_t nc_hash;                    /* [I] */
	uint8_t nc_namelen;                  /* [I] */
	char nc_name[NC_NAMELEN];            /* [I] */
	struct ncentry *nc_hnext;            /* [s] hash chain */
	struct ncentry *nc_lnext, *nc_lprev; /* [L] LRU */
	struct ncentry *nc_tnext, *nc_tprev; /* [L] nc_vp's v_ncnames */
	struct ncentry *nc_cnext, *nc_cprev; /* [L] nc_dvp's v_ncchildren */
};

static struct ncentry *nc_hash[NC_NHASH];
static kmutex_t nc_locks[NC_NLOCKS];
static kmutex_t nc_list_lock;
static struct ncentry *nc_lru_head, *nc_lru_tail; /* [L] */
static unsigned nc_count;                         /* [L] */

static uint32_t
nc_hashof(struct vnode *dvp, const char *name, size_t len)
{
	uint32_t h = 2166136261u ^ (uint32_t)((uintptr_t)dvp >> 5);

	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)name[i]) * 16777619u;
	/* FNV's low bits see only the low bits of each byte: mix them. */
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

static kmutex_t *
nc_lockof(uint32_t h)
{
	return &nc_locks[(h % NC_NHASH) % NC_NLOCKS];
}

/* Links nc into the LRU and its vnodes' lists. */
static void
nc_lists_insert(struct ncentry *nc)
{
	struct ncentry *head;

	KASSERT(mutex_owned(&nc_list_lock));
	nc->nc_lnext = NULL;
	nc->nc_lprev = nc_lru_tail;
	if (nc_lru_tail)
		nc_lru_tail->nc_lnext = nc;
	else
		nc_lru_head = nc;
	nc_lru_tail = nc;

	/* Heads are written atomically: cache_purge peeks without the lock. */
	head = nc->nc_dvp->v_ncchildren;
	nc->nc_cprev = NULL;
	nc->nc_cnext = head;
	if (head)
		head->nc_cprev = nc;
	atomic_store_relaxed(&nc->nc_dvp->v_ncchildren, (void *)nc);
	if (nc->nc_vp) {
		head = nc->nc_vp->v_ncnames;
		nc->nc_tprev = NULL;
		nc->nc_tnext = head;
		if (head)
			head->nc_tprev = nc;
		atomic_store_relaxed(&nc->nc_vp->v_ncnames, (void *)nc);
	}
	atomic_store_relaxed(&nc_count, nc_count + 1);
}

static void
nc_lists_remove(struct ncentry *nc)
{
	KASSERT(mutex_owned(&nc_list_lock));
	if (nc->nc_lprev)
		nc->nc_lprev->nc_lnext = nc->nc_lnext;
	else
		nc_lru_head = nc->nc_lnext;
	if (nc->nc_lnext)
		nc->nc_lnext->nc_lprev = nc->nc_lprev;
	else
		nc_lru_tail = nc->nc_lprev;

	if (nc->nc_cprev)
		nc->nc_cprev->nc_cnext = nc->nc_cnext;
	else
		atomic_store_relaxed(
		    &nc->nc_dvp->v_ncchildren, (void *)nc->nc_cnext);
	if (nc->nc_cnext)
		nc->nc_cnext->nc_cprev = nc->nc_cprev;
	if (nc->nc_vp) {
		if (nc->nc_tprev)
			nc->nc_tprev->nc_tnext = nc->nc_tnext;
		else
			atomic_store_relaxed(
			    &nc->nc_vp->v_ncnames, (void *)nc->nc_tnext);
		if (nc->nc_tnext)
			nc->nc_tnext->nc_tprev = nc->nc_tprev;
	}
	atomic_store_relaxed(&nc_count, nc_count - 1);
}

/* Unlinks from the hash; the stripe lock is held. */
static void
nc_hash_unlink(struct ncentry *nc)
{
	struct ncentry **pp = &nc_hash[nc->nc_hash % NC_NHASH];

	while (*pp != nc)
		pp = &(*pp)->nc_hnext;
	*pp = nc->nc_hnext;
}

static struct ncentry *
nc_find(struct vnode *dvp, const char *name, size_t len, uint32_t h)
{
	struct ncentry *nc;

	for (nc = nc_hash[h % NC_NHASH]; nc; nc = nc->nc_hnext)
		if (nc->nc_hash == h && nc->nc_dvp == dvp &&
		    nc->nc_namelen == len &&
		    memcmp(nc->nc_name, name, len) == 0)
			return nc;
	return NULL;
}

/*
 * Returns 0 with *vpp referenced on a hit, ENOENT on a negative hit, and
 * -1 when the name is not cached.
 */
int
cache_lookup(
    struct vnode *dvp, const char *name, size_t len, struct vnode **vpp)
{
	uint32_t h;
	struct ncentry *nc;
	kmutex_t *lock;
	int result = -1;

	if (len > NC_NAMELEN)
		return -1;
	h = nc_hashof(dvp, name, len);
	lock = nc_lockof(h);
	mutex_enter(lock);
	if ((nc = nc_find(dvp, name, len, h)) != NULL) {
		if (nc->nc_vp == NULL) {
			result = ENOENT;
		} else if (vcache_tryget(nc->nc_vp)) {
			/* Never waits: a reclaim purges under our lock. */
			*vpp = nc->nc_vp;
			result = 0;
		}
	}
	mutex_exit(lock);
	return result;
}

void
cache_enter(struct vnode *dvp, const char *name, size_t len, struct vnode *vp)
{
	struct ncentry *nc, *old;
	uint32_t h;
	kmutex_t *lock;

	if (len > NC_NAMELEN || (len == 1 && name[0] == '.') ||
	    (len == 2 && name[0] == '.' && name[1] == '.'))
		return;
	if ((nc = kmem_alloc(sizeof(*nc), KM_NOSLEEP)) == NULL)
		return;
	h = nc_hashof(dvp, name, len);
	nc->nc_dvp = dvp;
	nc->nc_vp = vp;
	nc->nc_hash = h;
	nc->nc_namelen = (uint8_t)len;
	memcpy(nc->nc_name, name, len);
	lock = nc_lockof(h);
	mutex_enter(lock);
	if ((old = nc_find(dvp, name, len, h)) != NULL)
		nc_hash_unlink(old);
	nc->nc_hnext = nc_hash[h % NC_NHASH];
	nc_hash[h % NC_NHASH] = nc;
	mutex_enter(&nc_list_lock);
	if (old)
		nc_lists_remove(old);
	nc_lists_insert(nc);
	mutex_exit(&nc_list_lock);
	mutex_exit(lock);
	if (old)
		kmem_free(old, sizeof(*old));

	/* Over the limit: drop the oldest (by a copy of its name). */
	while (atomic_load_relaxed(&nc_count) > NC_MAX) {
		char vname[NC_NAMELEN];
		struct vnode *vdvp;
		size_t vlen;

		mutex_enter(&nc_list_lock);
		if (nc_lru_head == NULL) {
			mutex_exit(&nc_list_lock);
			break;
		}
		vdvp = nc_lru_head->nc_dvp;
		vlen = nc_lru_head->nc_namelen;
		memcpy(vname, nc_lru_head->nc_name, vlen);
		mutex_exit(&nc_list_lock);
		cache_remove(vdvp, vname, vlen);
	}
}

void
cache_remove(struct vnode *dvp, const char *name, size_t len)
{
	struct ncentry *nc;
	uint32_t h;
	kmutex_t *lock;

	if (len > NC_NAMELEN)
		return;
	h = nc_hashof(dvp, name, len);
	lock = nc_lockof(h);
	mutex_enter(lock);
	if ((nc = nc_find(dvp, name, len, h)) != NULL) {
		nc_hash_unlink(nc);
		mutex_enter(&nc_list_lock);
		nc_lists_remove(nc);
		mutex_exit(&nc_list_lock);
	}
	mutex_exit(lock);
	if (nc)
		kmem_free(nc, sizeof(*nc));
}

/* Drops every entry naming vp, or naming something in it. */
void
cache_purge(struct vnode *vp)
{
	char name[NC_NAMELEN];

	/*
	 * Unlocked look first: at reclaim no one can name vp anew (a lookup
	 * that enters an entry holds a reference), and most vnodes have none.
	 */
	if (atomic_load_relaxed(&vp->v_ncnames) == NULL &&
	    atomic_load_relaxed(&vp->v_ncchildren) == NULL)
		return;
	for (;;) {
		struct ncentry *nc;
		struct vnode *dvp;
		size_t len;

		mutex_enter(&nc_list_lock);
		nc = vp->v_ncnames ? vp->v_ncnames : vp->v_ncchildren;
		if (nc == NULL) {
			mutex_exit(&nc_list_lock);
			return;
		}
		dvp = nc->nc_dvp;
		len = nc->nc_namelen;
		memcpy(name, nc->nc_name, len);
		mutex_exit(&nc_list_lock);
		/* (dvp, name) has one entry, this one: each turn drops it. */
		cache_remove(dvp, name, len);
	}
}

void nc_init(void);
void
nc_init(void)
{
	for (int i = 0; i < NC_NLOCKS; i++)
		mutex_init(&nc_locks[i], MUTEX_DEFAULT);
	mutex_init(&nc_list_lock, MUTEX_DEFAULT);
}
