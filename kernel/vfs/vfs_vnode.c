/*
 * vfs_vnode.c — vnodes: references, the vnode cache and reclaiming.
 *
 * Every vnode in use or cached sits in a hash by (mount, key).  The life
 * cycle is the one written in vfs.h: LOADING while its file system fills
 * it in, ACTIVE while referenced or idle on an LRU list, RECLAIMING when
 * its file system lets go of the node, then freed.  A reference is a
 * count; dropping one that is not the last takes no lock.  The last
 * reference calls vop_inactive, and the vnode either goes on the LRU list
 * of the CPU that dropped it or, when its file is gone, is reclaimed at
 * once.  Each CPU keeps at most its share of vcache_max idle vnodes
 * (RUMP_NVNODES); all of them go when memory is short.  Nothing here is
 * shared by all CPUs on the fast paths: no global lock, no global count.
 *
 * Locks: the hash is split in VC_NLOCKS stripes; a stripe's lock guards
 * its chains and, for the vnodes in them, v_state and the transitions of
 * v_usecount between 0 and 1.  Each CPU's LRU list has its own lock,
 * taken after a stripe lock.  Neither is held across a file-system call.
 * Lock order: vnode locks → stripe lock → LRU lock.
 */
#include "vfs.h"

void vfs_fifo_reclaim(struct vnode *vp);

#define VCACHE_NHASH 16384
#define VC_NLOCKS    256
#define VC_OFFLRU    (-1) /* not on a list */
#define VC_EVICTING  (-2) /* taken off by an evictor, decision pending */

struct vc_stripe {
	kmutex_t vs_lock;
	kcondvar_t vs_cv; /* a LOADING or RECLAIMING vnode changed */
} __cacheline_aligned;

/* [l] vl_lock.  One per CPU, each a cache line (kmem_percpu_zalloc). */
struct vc_lru {
	union {
		struct {
			kmutex_t vl_lock;
			struct vnode *vl_head, *vl_tail; /* [l] */
			unsigned vl_count;               /* [l] */
		};
		char vl_pad[COHERENCY_UNIT];
	};
};

static struct vc_stripe vc_stripes[VC_NLOCKS];
static struct vnode *vcache_hash[VCACHE_NHASH]; /* [stripe] */
static struct vc_lru *vc_lrus;                  /* one per CPU */
static unsigned vcache_max = 8192; /* idle vnodes, split among CPUs */

static uint32_t
vcache_hashof(struct mount *mp, const void *key, size_t keylen)
{
	const uint8_t *k = key;
	uint32_t h = 2166136261u ^ (uint32_t)((uintptr_t)mp >> 4);

	for (size_t i = 0; i < keylen; i++)
		h = (h ^ k[i]) * 16777619u;
	/* FNV's low bits see only the low bits of each byte: mix them. */
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

static struct vc_stripe *
stripe_of(uint32_t h)
{
	return &vc_stripes[(h % VCACHE_NHASH) % VC_NLOCKS];
}

/*
 * Takes vp off its LRU list, if it is on one.  Holds vp's stripe.  An
 * evictor may take vp off its list at the same time (it holds only the
 * list's lock): so v_lruidx is read again under that lock.
 */
static void
lru_remove(struct vnode *vp)
{
	struct vc_lru *vl;
	int idx = atomic_load_relaxed(&vp->v_lruidx);

	KASSERT(mutex_owned(&stripe_of(vp->v_hash)->vs_lock));
	if (idx < 0) {
		/* Off every list; an evictor will see it revived. */
		atomic_store_relaxed(&vp->v_lruidx, VC_OFFLRU);
		return;
	}
	vl = &vc_lrus[idx];
	mutex_enter(&vl->vl_lock);
	if (atomic_load_relaxed(&vp->v_lruidx) != idx) {
		mutex_exit(&vl->vl_lock);
		atomic_store_relaxed(&vp->v_lruidx, VC_OFFLRU);
		return;
	}
	if (vp->v_lruprev)
		vp->v_lruprev->v_lrunext = vp->v_lrunext;
	else
		vl->vl_head = vp->v_lrunext;
	if (vp->v_lrunext)
		vp->v_lrunext->v_lruprev = vp->v_lruprev;
	else
		vl->vl_tail = vp->v_lruprev;
	atomic_store_relaxed(&vl->vl_count, vl->vl_count - 1);
	vp->v_lrunext = vp->v_lruprev = NULL;
	atomic_store_relaxed(&vp->v_lruidx, VC_OFFLRU);
	mutex_exit(&vl->vl_lock);
}

static void
lru_append(struct vnode *vp, int idx)
{
	struct vc_lru *vl = &vc_lrus[idx];

	KASSERT(mutex_owned(&stripe_of(vp->v_hash)->vs_lock));
	mutex_enter(&vl->vl_lock);
	vp->v_lrunext = NULL;
	vp->v_lruprev = vl->vl_tail;
	if (vl->vl_tail)
		vl->vl_tail->v_lrunext = vp;
	else
		vl->vl_head = vp;
	vl->vl_tail = vp;
	atomic_store_relaxed(&vl->vl_count, vl->vl_count + 1);
	atomic_store_relaxed(&vp->v_lruidx, idx);
	mutex_exit(&vl->vl_lock);
}

static void
hash_remove(struct vnode *vp)
{
	struct vnode **pp = &vcache_hash[vp->v_hash % VCACHE_NHASH];

	KASSERT(mutex_owned(&stripe_of(vp->v_hash)->vs_lock));
	while (*pp != vp)
		pp = &(*pp)->v_hashnext;
	*pp = vp->v_hashnext;
	vp->v_hashnext = NULL;
}

static void
vnode_free(struct vnode *vp)
{
	seldestroy(&vp->v_sel);
	rw_destroy(&vp->v_lock);
	mutex_destroy(&vp->v_interlock);
	kmem_free(vp, sizeof(*vp));
}

/*
 * Lets the file system go of an unreferenced vnode that is already out of
 * the hash (state RECLAIMING), then frees it.  No locks held.
 */
static void
vnode_reclaim(struct vnode *vp)
{
	struct vc_stripe *vs = stripe_of(vp->v_hash);
	cache_purge(vp);
	vfs_fifo_reclaim(vp);
	if (vp->v_data != NULL && vp->v_op->vop_reclaim != NULL)
		(void)vp->v_op->vop_reclaim(vp);
	vp->v_data = NULL;
	mutex_enter(&vs->vs_lock);
	vp->v_state = VS_RECLAIMED;
	cv_broadcast(&vs->vs_cv);
	mutex_exit(&vs->vs_lock);
	vnode_free(vp);
}

/*
 * Evicts the oldest idle vnode of list idx if it holds more than max, or
 * with max 0 of any list.  No locks held.
 */
static bool
lru_evict(int idx, unsigned max)
{
	struct vnode *vp = NULL;
	struct vc_stripe *vs;

	if (max != 0 && atomic_load_relaxed(&vc_lrus[idx].vl_count) <= max)
		return false;
	for (int n = 0; n < (max ? 1 : ncpu) && vp == NULL; n++) {
		struct vc_lru *vl = &vc_lrus[(idx + n) % ncpu];

		mutex_enter(&vl->vl_lock);
		if ((vp = vl->vl_head) != NULL) {
			vl->vl_head = vp->v_lrunext;
			if (vl->vl_head)
				vl->vl_head->v_lruprev = NULL;
			else
				vl->vl_tail = NULL;
			vp->v_lrunext = vp->v_lruprev = NULL;
			atomic_store_relaxed(&vp->v_lruidx, VC_EVICTING);
			atomic_store_relaxed(&vl->vl_count, vl->vl_count - 1);
		}
		mutex_exit(&vl->vl_lock);
	}
	if (vp == NULL)
		return false;
	/* Decide under its stripe: a lookup may have revived it meanwhile. */
	vs = stripe_of(vp->v_hash);
	mutex_enter(&vs->vs_lock);
	if (atomic_load_relaxed(&vp->v_lruidx) != VC_EVICTING ||
	    vp->v_state != VS_ACTIVE ||
	    atomic_load_relaxed(&vp->v_usecount) != 0) {
		mutex_exit(&vs->vs_lock);
		return true;
	}
	atomic_store_relaxed(&vp->v_lruidx, VC_OFFLRU);
	hash_remove(vp);
	vp->v_state = VS_RECLAIMING;
	mutex_exit(&vs->vs_lock);
	vnode_reclaim(vp);
	return true;
}

void
vref(struct vnode *vp)
{
	unsigned n = __atomic_add_fetch(&vp->v_usecount, 1, __ATOMIC_RELAXED);

	KASSERTMSG(n > 1, "vref: vnode %p was not referenced", vp);
}

void
vrele(struct vnode *vp)
{
	unsigned n = atomic_load_relaxed(&vp->v_usecount);
	struct vc_stripe *vs;
	bool recycle = false;
	int idx;

	/* Not the last reference: no lock. */
	while (n > 1) {
		if (__atomic_compare_exchange_n(&vp->v_usecount, &n, n - 1,
		        false, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
			return;
	}
	KASSERTMSG(n == 1, "vrele: vnode %p has no reference", vp);

	/* Still holding it, so it cannot go away under inactive. */
	if (vp->v_op->vop_inactive != NULL && vp->v_data != NULL)
		(void)vp->v_op->vop_inactive(vp, &recycle);

	vs = stripe_of(vp->v_hash);
	mutex_enter(&vs->vs_lock);
	if (atomic_dec(&vp->v_usecount) != 0) {
		/* Revived by a lookup meanwhile. */
		mutex_exit(&vs->vs_lock);
		return;
	}
	if (recycle || (vp->v_mount->mnt_iflag & MNTI_UNMOUNTING) ||
	    vcache_max == 0 || vp->v_state != VS_ACTIVE) {
		if (vp->v_state == VS_ACTIVE)
			hash_remove(vp);
		vp->v_state = VS_RECLAIMING;
		mutex_exit(&vs->vs_lock);
		vnode_reclaim(vp);
		return;
	}
	idx = curcpu()->ci_index;
	lru_append(vp, idx);
	mutex_exit(&vs->vs_lock);
	(void)lru_evict(idx, MAX(vcache_max / (unsigned)ncpu, 1));
}

void
vn_lock(struct vnode *vp, krw_t op)
{
	rw_enter(&vp->v_lock, op);
}

void
vn_unlock(struct vnode *vp)
{
	rw_exit(&vp->v_lock);
}

int
vcache_get(struct mount *mp, const void *key, size_t keylen, struct vnode **vpp)
{
	uint32_t h = vcache_hashof(mp, key, keylen);
	struct vc_stripe *vs = stripe_of(h);
	struct vnode *vp, *nvp = NULL;
	int error;

	KASSERT(keylen <= sizeof(vp->v_key));
	mutex_enter(&vs->vs_lock);
again:
	for (vp = vcache_hash[h % VCACHE_NHASH]; vp; vp = vp->v_hashnext) {
		if (vp->v_hash == h && vp->v_mount == mp &&
		    vp->v_keylen == keylen &&
		    memcmp(vp->v_key, key, keylen) == 0)
			break;
	}
	if (vp != NULL) {
		if (vp->v_state != VS_ACTIVE) {
			cv_wait(&vs->vs_cv, &vs->vs_lock);
			goto again;
		}
		if (atomic_load_relaxed(&vp->v_usecount) == 0)
			lru_remove(vp);
		atomic_inc(&vp->v_usecount);
		mutex_exit(&vs->vs_lock);
		if (nvp != NULL)
			vnode_free(nvp);
		*vpp = vp;
		return 0;
	}
	if (nvp == NULL) {
		/* Allocate outside the lock, then look again. */
		mutex_exit(&vs->vs_lock);
		nvp = kmem_zalloc(sizeof(*nvp), KM_SLEEP);
		if (nvp == NULL)
			return ENOMEM;
		rw_init(&nvp->v_lock);
		mutex_init(&nvp->v_interlock, MUTEX_DEFAULT);
		nvp->v_lruidx = VC_OFFLRU;
		mutex_enter(&vs->vs_lock);
		goto again;
	}
	vp = nvp;
	vp->v_mount = mp;
	memcpy(vp->v_key, key, keylen);
	vp->v_keylen = keylen;
	vp->v_hash = h;
	vp->v_state = VS_LOADING;
	vp->v_usecount = 1;
	vp->v_hashnext = vcache_hash[h % VCACHE_NHASH];
	vcache_hash[h % VCACHE_NHASH] = vp;
	mutex_exit(&vs->vs_lock);

	error = mp->mnt_op->vfs_loadvnode(mp, vp, key, keylen);

	mutex_enter(&vs->vs_lock);
	if (error) {
		hash_remove(vp);
		vp->v_state = VS_RECLAIMED;
		cv_broadcast(&vs->vs_cv);
		mutex_exit(&vs->vs_lock);
		vnode_free(vp);
		return error;
	}
	vp->v_state = VS_ACTIVE;
	cv_broadcast(&vs->vs_cv);
	mutex_exit(&vs->vs_lock);
	*vpp = vp;
	return 0;
}

/*
 * References vp if it is still an active vnode: for the name cache, which
 * knows vp exists (its entry is purged before vp is freed) but not whether
 * it is being reclaimed.  Never waits.
 */
bool vcache_tryget(struct vnode *vp);
bool
vcache_tryget(struct vnode *vp)
{
	struct vc_stripe *vs = stripe_of(vp->v_hash);
	bool ok;

	mutex_enter(&vs->vs_lock);
	ok = vp->v_state == VS_ACTIVE;
	if (ok) {
		if (atomic_load_relaxed(&vp->v_usecount) == 0)
			lru_remove(vp);
		atomic_inc(&vp->v_usecount);
	}
	mutex_exit(&vs->vs_lock);
	return ok;
}

/*
 * Takes a vnode out of the hash, so that lookups of its key make a new
 * one; the vnode itself lives on until its last reference.
 */
void
vcache_remove(struct vnode *vp)
{
	struct vc_stripe *vs = stripe_of(vp->v_hash);

	mutex_enter(&vs->vs_lock);
	if (vp->v_state == VS_ACTIVE) {
		hash_remove(vp);
		vp->v_state = VS_RECLAIMING;
	}
	mutex_exit(&vs->vs_lock);
}

/*
 * For unmount: reclaims every idle vnode of mp and counts the ones still
 * referenced other than the root (held once by the mount itself).
 */
int vcache_flush_mount(struct mount *mp, bool force);
int
vcache_flush_mount(struct mount *mp, bool force)
{
	struct vnode *vp, *next, *list = NULL;
	int busy = 0;

	for (int s = 0; s < VC_NLOCKS; s++) {
		mutex_enter(&vc_stripes[s].vs_lock);
		for (int i = s; i < VCACHE_NHASH; i += VC_NLOCKS)
			for (vp = vcache_hash[i]; vp; vp = vp->v_hashnext)
				if (vp->v_mount == mp && vp != mp->mnt_root &&
				    (vp->v_state != VS_ACTIVE ||
				        atomic_load_relaxed(&vp->v_usecount) !=
				            0))
					busy++;
		mutex_exit(&vc_stripes[s].vs_lock);
	}
	if (busy && !force)
		return EBUSY;
	for (int s = 0; s < VC_NLOCKS; s++) {
		mutex_enter(&vc_stripes[s].vs_lock);
		for (int i = s; i < VCACHE_NHASH; i += VC_NLOCKS) {
			for (vp = vcache_hash[i]; vp; vp = next) {
				next = vp->v_hashnext;
				if (vp->v_mount != mp || vp == mp->mnt_root ||
				    vp->v_state != VS_ACTIVE ||
				    atomic_load_relaxed(&vp->v_usecount) != 0)
					continue;
				lru_remove(vp);
				hash_remove(vp);
				vp->v_state = VS_RECLAIMING;
				vp->v_lrunext = list;
				list = vp;
			}
		}
		mutex_exit(&vc_stripes[s].vs_lock);
	}
	for (vp = list; vp; vp = next) {
		next = vp->v_lrunext;
		vnode_reclaim(vp);
	}
	return busy ? EBUSY : 0;
}

/* Reclaims the root vnode of a mount being unmounted (its last ref). */
void vcache_reclaim_root(struct vnode *vp);
void
vcache_reclaim_root(struct vnode *vp)
{
	struct vc_stripe *vs = stripe_of(vp->v_hash);

	mutex_enter(&vs->vs_lock);
	KASSERT(vp->v_usecount == 1);
	vp->v_usecount = 0;
	hash_remove(vp);
	vp->v_state = VS_RECLAIMING;
	mutex_exit(&vs->vs_lock);
	vnode_reclaim(vp);
}

/* Memory is short: reclaim idle vnodes. */
static size_t
vcache_reclaim(void *arg __unused)
{
	size_t freed = 0;

	for (int i = 0; i < 1024 && lru_evict(0, 0); i++)
		freed += sizeof(struct vnode);
	return freed;
}
static struct kmem_reclaimer vcache_reclaimer = {vcache_reclaim, NULL, NULL};

void vcache_init(void);
void
vcache_init(void)
{
	char buf[16];

	for (int i = 0; i < VC_NLOCKS; i++) {
		mutex_init(&vc_stripes[i].vs_lock, MUTEX_DEFAULT);
		cv_init(&vc_stripes[i].vs_cv);
	}
	vc_lrus = kmem_percpu_zalloc(sizeof(*vc_lrus), KM_SLEEP);
	if (vc_lrus == NULL)
		panic("vcache_init: no memory");
	for (int i = 0; i < ncpu; i++)
		mutex_init(&vc_lrus[i].vl_lock, MUTEX_DEFAULT);
	if (kern_getparam("RUMP_NVNODES", buf, sizeof(buf)) == 0) {
		int64_t n = parse_size(buf);

		if (n >= 0 && n < (1 << 30))
			vcache_max = (unsigned)n;
		else
			printf("vfs: ignoring malformed RUMP_NVNODES \"%s\"\n",
			    buf);
	}
	kmem_reclaimer_register(&vcache_reclaimer);
}
