/*
 * vfs_vnode.c — vnodes: references, the vnode cache and reclaiming.
 *
 * Every vnode in use or cached sits in a hash by (mount, key).  The life
 * cycle is the one written in vfs.h: LOADING while its file system fills
 * it in, ACTIVE while referenced or idle on the LRU list, RECLAIMING when
 * its file system lets go of the node, then freed.  A reference is a count;
 * dropping one that is not the last takes no lock.  The last reference
 * calls vop_inactive, and the vnode either goes on the LRU list or, when
 * its file is gone, is reclaimed at once.  The cache keeps at most
 * vcache_max idle vnodes (RUMP_NVNODES) and gives them back when memory
 * is short.
 *
 * Lock: vcache_lock guards the hash, the LRU list, every v_state and the
 * transitions of v_usecount between 0 and 1.  It is taken after vnode
 * locks and never held across a file-system operation.
 */
#include "vfs.h"

void vfs_fifo_reclaim(struct vnode *vp);

#define VCACHE_NHASH 16384

static kmutex_t vcache_lock;
static kcondvar_t vcache_cv; /* a LOADING or RECLAIMING vnode changed */
static struct vnode *vcache_hash[VCACHE_NHASH];
static struct vnode *lru_head, *lru_tail;
static unsigned lru_count;
static unsigned vcache_max = 8192;
static unsigned vcache_total;

static uint32_t
vcache_hashof(struct mount *mp, const void *key, size_t keylen)
{
	const uint8_t *k = key;
	uint32_t h = 2166136261u ^ (uint32_t)((uintptr_t)mp >> 4);

	for (size_t i = 0; i < keylen; i++)
		h = (h ^ k[i]) * 16777619u;
	return h;
}

static void
lru_remove(struct vnode *vp)
{
	KASSERT(mutex_owned(&vcache_lock));
	if (vp->v_lruprev)
		vp->v_lruprev->v_lrunext = vp->v_lrunext;
	else
		lru_head = vp->v_lrunext;
	if (vp->v_lrunext)
		vp->v_lrunext->v_lruprev = vp->v_lruprev;
	else
		lru_tail = vp->v_lruprev;
	vp->v_lrunext = vp->v_lruprev = NULL;
	lru_count--;
}

static void
lru_append(struct vnode *vp)
{
	KASSERT(mutex_owned(&vcache_lock));
	vp->v_lrunext = NULL;
	vp->v_lruprev = lru_tail;
	if (lru_tail)
		lru_tail->v_lrunext = vp;
	else
		lru_head = vp;
	lru_tail = vp;
	lru_count++;
}

static void
hash_remove(struct vnode *vp)
{
	struct vnode **pp = &vcache_hash[vp->v_hash % VCACHE_NHASH];

	KASSERT(mutex_owned(&vcache_lock));
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
	struct mount *mp = vp->v_mount;

	cache_purge(vp);
	vfs_fifo_reclaim(vp);
	if (vp->v_data != NULL && vp->v_op->vop_reclaim != NULL)
		(void)vp->v_op->vop_reclaim(vp);
	vp->v_data = NULL;
	mutex_enter(&vcache_lock);
	vp->v_state = VS_RECLAIMED;
	mp->mnt_nvnodes--;
	vcache_total--;
	cv_broadcast(&vcache_cv);
	mutex_exit(&vcache_lock);
	vnode_free(vp);
}

/* Takes the oldest idle vnode off the cache, if there are too many. */
static struct vnode *
lru_victim(unsigned max)
{
	struct vnode *vp = lru_head;

	KASSERT(mutex_owned(&vcache_lock));
	if (lru_count <= max || vp == NULL)
		return NULL;
	KASSERT(vp->v_usecount == 0 && vp->v_state == VS_ACTIVE);
	lru_remove(vp);
	hash_remove(vp);
	vp->v_state = VS_RECLAIMING;
	return vp;
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
	struct vnode *victim;
	bool recycle = false;

	/* Not the last reference: no lock. */
	while (n > 1) {
		if (__atomic_compare_exchange_n(&vp->v_usecount, &n, n - 1,
			false, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
			return;
	}
	KASSERTMSG(n == 1, "vrele: vnode %p has no reference", vp);

	/* Still holding it, so it cannot go away under inactive. */
	if (vp->v_op->vop_inactive != NULL)
		(void)vp->v_op->vop_inactive(vp, &recycle);

	mutex_enter(&vcache_lock);
	if (atomic_dec(&vp->v_usecount) != 0) {
		/* Revived by a lookup meanwhile. */
		mutex_exit(&vcache_lock);
		return;
	}
	if (recycle || (vp->v_mount->mnt_iflag & MNTI_UNMOUNTING) ||
	    vcache_max == 0) {
		hash_remove(vp);
		vp->v_state = VS_RECLAIMING;
		mutex_exit(&vcache_lock);
		vnode_reclaim(vp);
		return;
	}
	lru_append(vp);
	victim = lru_victim(vcache_max);
	mutex_exit(&vcache_lock);
	if (victim != NULL)
		vnode_reclaim(victim);
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
vcache_get(struct mount *mp, const void *key, size_t keylen,
    struct vnode **vpp)
{
	uint32_t h = vcache_hashof(mp, key, keylen);
	struct vnode *vp, *nvp = NULL;
	int error;

	KASSERT(keylen <= sizeof(vp->v_key));
	mutex_enter(&vcache_lock);
again:
	for (vp = vcache_hash[h % VCACHE_NHASH]; vp; vp = vp->v_hashnext) {
		if (vp->v_hash == h && vp->v_mount == mp &&
		    vp->v_keylen == keylen && memcmp(vp->v_key, key, keylen) == 0)
			break;
	}
	if (vp != NULL) {
		if (vp->v_state != VS_ACTIVE) {
			cv_wait(&vcache_cv, &vcache_lock);
			goto again;
		}
		if (atomic_load_relaxed(&vp->v_usecount) == 0)
			lru_remove(vp);
		atomic_inc(&vp->v_usecount);
		mutex_exit(&vcache_lock);
		if (nvp != NULL)
			vnode_free(nvp);
		*vpp = vp;
		return 0;
	}
	if (nvp == NULL) {
		/* Allocate outside the lock, then look again. */
		mutex_exit(&vcache_lock);
		nvp = kmem_zalloc(sizeof(*nvp), KM_SLEEP);
		if (nvp == NULL)
			return ENOMEM;
		rw_init(&nvp->v_lock);
		mutex_init(&nvp->v_interlock, MUTEX_DEFAULT);
		mutex_enter(&vcache_lock);
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
	mp->mnt_nvnodes++;
	vcache_total++;
	mutex_exit(&vcache_lock);

	error = mp->mnt_op->vfs_loadvnode(mp, vp, key, keylen);

	mutex_enter(&vcache_lock);
	if (error) {
		hash_remove(vp);
		mp->mnt_nvnodes--;
		vcache_total--;
		vp->v_state = VS_RECLAIMED;
		cv_broadcast(&vcache_cv);
		mutex_exit(&vcache_lock);
		vnode_free(vp);
		return error;
	}
	vp->v_state = VS_ACTIVE;
	cv_broadcast(&vcache_cv);
	mutex_exit(&vcache_lock);
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
	bool ok;

	mutex_enter(&vcache_lock);
	ok = vp->v_state == VS_ACTIVE;
	if (ok) {
		if (atomic_load_relaxed(&vp->v_usecount) == 0)
			lru_remove(vp);
		atomic_inc(&vp->v_usecount);
	}
	mutex_exit(&vcache_lock);
	return ok;
}

/*
 * Takes a vnode out of the hash, so that lookups of its key make a new
 * one; the vnode itself lives on until its last reference.
 */
void
vcache_remove(struct vnode *vp)
{
	mutex_enter(&vcache_lock);
	if (vp->v_state == VS_ACTIVE) {
		hash_remove(vp);
		vp->v_state = VS_RECLAIMING;
	}
	mutex_exit(&vcache_lock);
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

	mutex_enter(&vcache_lock);
	for (int i = 0; i < VCACHE_NHASH; i++) {
		for (vp = vcache_hash[i]; vp; vp = vp->v_hashnext) {
			if (vp->v_mount != mp || vp == mp->mnt_root)
				continue;
			if (vp->v_state != VS_ACTIVE ||
			    atomic_load_relaxed(&vp->v_usecount) != 0)
				busy++;
		}
	}
	if (busy && !force) {
		mutex_exit(&vcache_lock);
		return EBUSY;
	}
	for (int i = 0; i < VCACHE_NHASH; i++) {
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
	mutex_exit(&vcache_lock);
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
	mutex_enter(&vcache_lock);
	KASSERT(vp->v_usecount == 1);
	vp->v_usecount = 0;
	hash_remove(vp);
	vp->v_state = VS_RECLAIMING;
	mutex_exit(&vcache_lock);
	vnode_reclaim(vp);
}

/* Memory is short: reclaim idle vnodes. */
static size_t
vcache_reclaim(void *arg __unused)
{
	struct vnode *vp;
	size_t freed = 0;

	for (int i = 0; i < 1024; i++) {
		mutex_enter(&vcache_lock);
		vp = lru_victim(0);
		mutex_exit(&vcache_lock);
		if (vp == NULL)
			break;
		vnode_reclaim(vp);
		freed += sizeof(*vp);
	}
	return freed;
}
static struct kmem_reclaimer vcache_reclaimer = {vcache_reclaim, NULL, NULL};

void vcache_init(void);
void
vcache_init(void)
{
	char buf[16];

	mutex_init(&vcache_lock, MUTEX_DEFAULT);
	cv_init(&vcache_cv);
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
