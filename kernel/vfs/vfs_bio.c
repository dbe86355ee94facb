/*
 * vfs_bio.c — the buffer cache: blocks of block devices cached in memory
 * for disk file systems and for programs that read and write a block
 * device.  Below it are the drivers' d_strategy routines (etfs block
 * devices: rumpuser_bio); above it, file systems (bread/bdwrite/...) and
 * the raw device path (bio_rawread/bio_rawwrite).
 *
 * A buffer caches one block: b_bsize bytes at byte offset b_blkno *
 * b_bsize of device b_dev.  Buffers are found by (dev, blkno, bsize) in a
 * hash.  At most one cached buffer covers any byte of a device: when a
 * buffer of another size overlaps a new one, it is written back if dirty
 * and dropped first, so a file system and a program reading the raw
 * device (or two block sizes) stay coherent.
 *
 * Buffer states (b_flags, under buf_lock):
 *   busy (B_BUSY)  held by one owner: the caller of getblk/bread until
 *                  brelse/bdwrite/bwrite, or an I/O in flight (B_ASYNC:
 *                  biodone releases it).  Others wait on b_cv.
 *   idle           on the LRU list, clean (B_DONE) or dirty (B_DELWRI).
 *   gone           out of the hash (B_INVAL); freed when no waiter is left.
 * Typical sequences: bread → use → brelse; bread/getblk → modify →
 * bdwrite (the syncer or bflush writes it later) or bwrite (now).  An
 * owner may set B_INVAL (drop it), B_AGE (recycle it first) or B_ASYNC
 * (bwrite returns at once) before handing a buffer back.  B_PINNED
 * (a journal's uncommitted metadata) keeps a dirty buffer out of every
 * write-back and of recycling until its owner clears it; bwrite of a
 * pinned buffer still writes it, and so does a resolved overlap.
 *
 * Drivers: d_strategy(bp) transfers b_bcount bytes at byte offset
 * b_blkno * b_bsize (B_READ: into b_data, else from it), sets b_error on
 * failure and calls biodone(bp) when done, from any thread, possibly
 * before d_strategy returns.  It is called with no lock held.  A buf
 * without B_ASYNC is one its caller waits for at once (bread, bwrite):
 * the driver may do it in the calling thread, as etfs does, so the
 * synchronous path has no hand-off to another thread.
 *
 * Read-ahead: bread of block n, when the previous bread on that device
 * was of block n - 1 (with the same size), also starts asynchronous reads
 * of blocks n+1 .. n+RA_BLOCKS that are not cached; it does so when less
 * than half of that window is under way, so the reads go out in batches.
 * A read of the raw device reads its own blocks with breadn (below), in
 * transfers of up to BIO_MAXPHYS.  File systems that know where a
 * file's data lies read it with breadn (the missing block and the
 * uncached ones after it in one synchronous transfer) and bio_prefetch
 * (asynchronous reads of a window ahead).
 *
 * Write clustering: write-back (syncer, bflush, memory pressure) sorts
 * the dirty buffers by device, size and block, and sends each run of
 * adjacent blocks to the driver as one larger buf: a temporary "cluster"
 * buf with the run's first b_blkno and b_bsize and a b_bcount of k *
 * bsize bytes (at most BIO_MAXPHYS), so it is an ordinary buf to the
 * driver.  Read-ahead is clustered the same way.  When memory for a
 * cluster is short, the blocks go out one by one.
 *
 * Memory: the data and headers of all buffers stay under a budget
 * (RUMP_BUFCACHE, default 32 MiB).  A new buffer past the budget first
 * frees idle clean buffers from the cold end of the LRU and starts the
 * write-back of dirty ones found there.  The kmem reclaim hook frees every
 * idle clean buffer.  Delayed writes are written back by the syncer thread
 * every SYNC_INTERVAL (started on the first bdwrite, stopped by a halt
 * hook that also writes everything back) and by bflush.  An asynchronous
 * write that fails leaves the buffer clean; the error is reported by the
 * next bflush(dev, true) of its device (as fsync reports it on Linux).
 *
 * Lock order: buffer busy ownership → buf_lock.  buf_lock is a leaf: no
 * allocation that may reclaim (KM_SLEEP), no driver call and no copy to a
 * caller happens under it.
 */
#include "etfs.h"

#define BIO_MAXPHYS      (512 * 1024)
#define BIO_CLFREE_MAX   16 /* idle cluster data buffers kept */
#define RAW_DIRECT       16 /* whole blocks a raw write sends past the cache */
#define RA_BLOCKS        7
#define SYNC_INTERVAL    (5 * 1000000000ull)
#define BUFCACHE_DEFAULT (32 * 1024 * 1024)
#define BD_NSIZES        4
#define BD_NHASH         64

/* Private b_flags, above those of vfs.h. */
#define B_IODONE  0x10000  /* the transfer is over (biowait) */
#define B_WRITING 0x20000  /* a write is in flight (counted in bd_nwriting) */
#define B_CLUSTER 0x40000  /* a temporary cluster buf of several buffers */
#define B_AGE     0x80000  /* goes to the cold end of the LRU when released */
#define B_RAW     0x100000 /* a temporary buf of bio_directwrite */

/*
 * Per-device state, made on the first buffer of a device and kept.
 * [b] buf_lock  [I] immutable
 */
struct bdev {
	dev_t bd_dev;                 /* [I] */
	struct bdev *bd_next;         /* [b] */
	int64_t bd_lastblk;           /* [b] last block bread, for read-ahead */
	unsigned bd_lastbsize;        /* [b] */
	int64_t bd_ranext;            /* [b] first block not read ahead yet */
	unsigned bd_nwriting;         /* [b] writes in flight */
	int bd_error;                 /* [b] unreported async write error */
	unsigned bd_bsize[BD_NSIZES]; /* [b] block sizes with buffers */
	unsigned bd_nbufs[BD_NSIZES]; /* [b] how many of each */
	unsigned bd_nother;           /* [b] buffers of further sizes */
};

/* A buffer with the cache's own fields. [b] buf_lock  [B] busy owner */
struct bufx {
	struct buf bx_buf;
	struct bdev *bx_bdev;  /* [I] */
	struct bufx *bx_cnext; /* [B] write-back list, cluster members */
};
#define BX(bp) container_of(bp, struct bufx, bx_buf)

static kmutex_t buf_lock;
static struct buf **buf_hash;            /* [b] */
static size_t buf_hashmask;              /* [I] */
static struct buf *lru_head, *lru_tail;  /* [b] idle buffers, cold first */
static struct bdev *bdev_hash[BD_NHASH]; /* [b] */
static size_t bio_bytes;                 /* [b] memory held by buffers */
static size_t bio_budget;                /* [I] */
static size_t bio_dirtybytes;            /* [b] */
static unsigned bio_nwriting;            /* [b] writes in flight */
static kcondvar_t bio_iocv;              /* a write finished */
static void *bio_clfree[BIO_CLFREE_MAX]; /* [b] idle cluster data */
static unsigned bio_clfree_n;            /* [b] */

/* The syncer. [b] */
enum { SYNCER_NONE, SYNCER_RUNNING, SYNCER_STOPPED };
static int syncer_state;
static bool syncer_stop;
static kcondvar_t syncer_cv;
static struct lwp *syncer_lwp;

static void bio_strategy(struct buf *bp);
static void bio_issue(struct bufx *list, bool rd, bool here);

static size_t
bx_size(const struct buf *bp)
{
	return sizeof(struct bufx) + bp->b_bsize;
}

static size_t
buf_bucket(dev_t dev, int64_t blkno)
{
	uint64_t h = (uint64_t)dev * 0x9e3779b97f4a7c15ull ^ (uint64_t)blkno;

	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	return (size_t)(h ^ (h >> 32)) & buf_hashmask;
}

static struct buf *
hash_find(dev_t dev, int64_t blkno, unsigned bsize)
{
	struct buf *bp;

	KASSERT(mutex_owned(&buf_lock));
	for (bp = buf_hash[buf_bucket(dev, blkno)]; bp; bp = bp->b_hashnext)
		if (bp->b_dev == dev && bp->b_blkno == blkno &&
		    bp->b_bsize == bsize)
			return bp;
	return NULL;
}

static void
hash_remove(struct buf *bp)
{
	struct buf **pp = &buf_hash[buf_bucket(bp->b_dev, bp->b_blkno)];

	while (*pp != bp)
		pp = &(*pp)->b_hashnext;
	*pp = bp->b_hashnext;
	bp->b_hashnext = NULL;
}

static void
lru_remove(struct buf *bp)
{
	if (bp->b_lruprev)
		bp->b_lruprev->b_lrunext = bp->b_lrunext;
	else
		lru_head = bp->b_lrunext;
	if (bp->b_lrunext)
		bp->b_lrunext->b_lruprev = bp->b_lruprev;
	else
		lru_tail = bp->b_lruprev;
	bp->b_lrunext = bp->b_lruprev = NULL;
}

static void
lru_insert(struct buf *bp, bool cold)
{
	if (cold) {
		bp->b_lruprev = NULL;
		bp->b_lrunext = lru_head;
		if (lru_head)
			lru_head->b_lruprev = bp;
		else
			lru_tail = bp;
		lru_head = bp;
	} else {
		bp->b_lrunext = NULL;
		bp->b_lruprev = lru_tail;
		if (lru_tail)
			lru_tail->b_lrunext = bp;
		else
			lru_head = bp;
		lru_tail = bp;
	}
}

static struct bdev *
bdev_find(dev_t dev)
{
	struct bdev *bd;

	KASSERT(mutex_owned(&buf_lock));
	for (bd = bdev_hash[dev % BD_NHASH]; bd; bd = bd->bd_next)
		if (bd->bd_dev == dev)
			return bd;
	return NULL;
}

/* The state of dev, made if needed; NULL when memory is short. */
static struct bdev *
bdev_get(dev_t dev)
{
	struct bdev *bd, *nbd;

	mutex_enter(&buf_lock);
	bd = bdev_find(dev);
	mutex_exit(&buf_lock);
	if (bd != NULL)
		return bd;
	if ((nbd = kmem_zalloc(sizeof(*nbd), KM_SLEEP)) == NULL)
		return NULL;
	nbd->bd_dev = dev;
	nbd->bd_lastblk = -2;
	mutex_enter(&buf_lock);
	if ((bd = bdev_find(dev)) == NULL) {
		bd = nbd;
		nbd = NULL;
		bd->bd_next = bdev_hash[dev % BD_NHASH];
		bdev_hash[dev % BD_NHASH] = bd;
	}
	mutex_exit(&buf_lock);
	if (nbd != NULL)
		kmem_free(nbd, sizeof(*nbd));
	return bd;
}

static void
bdev_countsize(struct bdev *bd, unsigned bsize, int delta)
{
	int freeslot = -1;

	for (int i = 0; i < BD_NSIZES; i++) {
		if (bd->bd_nbufs[i] > 0 && bd->bd_bsize[i] == bsize) {
			bd->bd_nbufs[i] += (unsigned)delta;
			return;
		}
		if (bd->bd_nbufs[i] == 0 && freeslot < 0)
			freeslot = i;
	}
	if (delta > 0 && freeslot >= 0) {
		bd->bd_bsize[freeslot] = bsize;
		bd->bd_nbufs[freeslot] = 1;
	} else {
		bd->bd_nother += (unsigned)delta;
	}
}

/* Frees a buffer that is out of the hash and the LRU, with no waiters. */
static void
bio_free_locked(struct bufx *bx)
{
	struct buf *bp = &bx->bx_buf;

	KASSERT(mutex_owned(&buf_lock));
	KASSERT(bp->b_refcnt == 0 && (bp->b_flags & B_INVAL));
	bio_bytes -= bx_size(bp);
	bdev_countsize(bx->bx_bdev, bp->b_bsize, -1);
	cv_destroy(&bp->b_cv);
	kmem_free(bp->b_data, bp->b_bsize);
	kmem_free(bx, sizeof(*bx));
}

/* Takes a buffer out of the hash; it is freed when nobody waits for it. */
static void
bio_unhash_locked(struct bufx *bx)
{
	struct buf *bp = &bx->bx_buf;

	KASSERT(mutex_owned(&buf_lock));
	hash_remove(bp);
	if (bp->b_flags & B_DELWRI)
		bio_dirtybytes -= bp->b_bsize;
	bp->b_flags = (bp->b_flags & ~B_DELWRI) | B_INVAL;
	if (bp->b_refcnt == 0)
		bio_free_locked(bx);
	else
		cv_broadcast(&bp->b_cv);
}

/* The owner lets go of a busy buffer. */
static void
bio_release_locked(struct bufx *bx)
{
	struct buf *bp = &bx->bx_buf;
	int f = bp->b_flags;

	KASSERT(mutex_owned(&buf_lock));
	KASSERT(f & B_BUSY);
	bp->b_flags &= ~(B_BUSY | B_READ | B_ASYNC | B_IODONE | B_AGE);
	if ((f & B_INVAL) || ((f & B_ERROR) && !(f & B_DELWRI)) ||
	    !(f & (B_DONE | B_DELWRI))) {
		bp->b_flags &= ~B_INVAL; /* bio_unhash_locked sets it */
		bio_unhash_locked(bx);
		return;
	}
	bp->b_flags &= ~B_ERROR;
	bp->b_error = 0;
	lru_insert(bp, (f & B_AGE) != 0);
	if (bp->b_refcnt > 0)
		cv_broadcast(&bp->b_cv);
}

/*
 * Waits for the busy buffer bp to change (the caller then looks again).
 * Returns with buf_lock held; bp may be gone.
 */
static void
bio_waitbusy(struct buf *bp)
{
	bp->b_refcnt++;
	cv_wait(&bp->b_cv, &buf_lock);
	bp->b_refcnt--;
	if ((bp->b_flags & B_INVAL) && bp->b_refcnt == 0)
		bio_free_locked(BX(bp));
}

/* Marks an idle buffer busy for a write-back (buffer and counters). */
static void
bio_startwrite_locked(struct bufx *bx)
{
	struct buf *bp = &bx->bx_buf;

	KASSERT(mutex_owned(&buf_lock));
	if (bp->b_flags & B_DELWRI)
		bio_dirtybytes -= bp->b_bsize;
	bp->b_flags &= ~(B_DELWRI | B_READ | B_IODONE | B_ERROR);
	bp->b_flags |= B_WRITING;
	bp->b_error = 0;
	bx->bx_bdev->bd_nwriting++;
	bio_nwriting++;
}

/*
 * The end of a transfer of one buffer.  Asynchronous transfers release
 * the buffer here; others wake biowait().
 */
static void
bio_done_locked(struct bufx *bx)
{
	struct buf *bp = &bx->bx_buf;
	bool write = false;

	KASSERT(mutex_owned(&buf_lock));
	bp->b_flags |= B_IODONE;
	if (bp->b_error)
		bp->b_flags |= B_ERROR;
	if (bp->b_flags & B_WRITING) {
		write = true;
		bp->b_flags &= ~B_WRITING;
		bx->bx_bdev->bd_nwriting--;
		bio_nwriting--;
		cv_broadcast(&bio_iocv);
	} else if ((bp->b_flags & B_READ) && bp->b_error == 0) {
		bp->b_flags |= B_DONE;
	}
	if (!(bp->b_flags & B_ASYNC)) {
		cv_broadcast(&bp->b_cv);
		return;
	}
	if (write && bp->b_error) {
		/* The data stays valid here; bflush reports the loss. */
		if (bx->bx_bdev->bd_error == 0)
			bx->bx_bdev->bd_error = bp->b_error;
		bp->b_flags &= ~B_ERROR;
		bp->b_error = 0;
	}
	bio_release_locked(bx);
}

/*
 * Data of cluster bufs: BIO_MAXPHYS bytes each, kept on a short free list
 * so that every cluster does not cost the host an mmap, page faults and
 * an munmap (allocations that large bypass kmem's caches).
 */
static void *
bio_cldata_get(void)
{
	void *p = NULL;

	mutex_enter(&buf_lock);
	if (bio_clfree_n > 0)
		p = bio_clfree[--bio_clfree_n];
	mutex_exit(&buf_lock);
	return p != NULL ? p : kmem_alloc(BIO_MAXPHYS, KM_NOSLEEP);
}

static void
bio_cldata_put(void *p)
{
	mutex_enter(&buf_lock);
	if (bio_clfree_n < BIO_CLFREE_MAX) {
		bio_clfree[bio_clfree_n++] = p;
		p = NULL;
	}
	mutex_exit(&buf_lock);
	if (p != NULL)
		kmem_free(p, BIO_MAXPHYS);
}

void
biodone(struct buf *bp)
{
	struct bufx *m, *next;
	char *p;

	if (bp->b_flags & B_RAW) {
		mutex_enter(&buf_lock);
		bp->b_flags |= B_IODONE | (bp->b_error ? B_ERROR : 0);
		cv_broadcast(&bp->b_cv);
		mutex_exit(&buf_lock);
		return;
	}
	if (!(bp->b_flags & B_CLUSTER)) {
		mutex_enter(&buf_lock);
		bio_done_locked(BX(bp));
		mutex_exit(&buf_lock);
		return;
	}
	/* A cluster: its members are busy, so their data is ours to fill. */
	p = bp->b_data;
	if ((bp->b_flags & B_READ) && bp->b_error == 0 && bp->b_iov == NULL)
		for (m = BX(bp)->bx_cnext; m != NULL; m = m->bx_cnext) {
			memcpy(m->bx_buf.b_data, p, m->bx_buf.b_bsize);
			p += m->bx_buf.b_bsize;
		}
	mutex_enter(&buf_lock);
	for (m = BX(bp)->bx_cnext; m != NULL; m = next) {
		next = m->bx_cnext;
		m->bx_cnext = NULL;
		m->bx_buf.b_error = bp->b_error;
		bio_done_locked(m);
	}
	mutex_exit(&buf_lock);
	if (bp->b_iov != NULL)
		kmem_free(bp->b_iov, bp->b_iovcnt * sizeof(*bp->b_iov));
	else
		bio_cldata_put(bp->b_data);
	kmem_free(BX(bp), sizeof(struct bufx));
}

int
biowait(struct buf *bp)
{
	int error;

	mutex_enter(&buf_lock);
	while (!(bp->b_flags & B_IODONE))
		cv_wait(&bp->b_cv, &buf_lock);
	error = bp->b_error;
	if (error == 0 && (bp->b_flags & B_ERROR))
		error = EIO;
	mutex_exit(&buf_lock);
	return error;
}

static void
bio_strategy(struct buf *bp)
{
	const struct devsw *sw = devsw_lookup(bp->b_dev);

	if (sw == NULL || sw->d_strategy == NULL) {
		bp->b_error = ENXIO;
		biodone(bp);
		return;
	}
	sw->d_strategy(bp);
}

/* Sorts a list by (dev, bsize, blkno): a merge sort of the linked list. */
static bool
bx_before(const struct bufx *a, const struct bufx *b)
{
	if (a->bx_buf.b_dev != b->bx_buf.b_dev)
		return a->bx_buf.b_dev < b->bx_buf.b_dev;
	if (a->bx_buf.b_bsize != b->bx_buf.b_bsize)
		return a->bx_buf.b_bsize < b->bx_buf.b_bsize;
	return a->bx_buf.b_blkno < b->bx_buf.b_blkno;
}

static struct bufx *
bx_sort(struct bufx *list)
{
	struct bufx *a = NULL, *b = NULL, *next, *head = NULL, **tailp = &head;
	bool toa = true;

	if (list == NULL || list->bx_cnext == NULL)
		return list;
	for (; list != NULL; list = next, toa = !toa) {
		next = list->bx_cnext;
		if (toa) {
			list->bx_cnext = a;
			a = list;
		} else {
			list->bx_cnext = b;
			b = list;
		}
	}
	a = bx_sort(a);
	b = bx_sort(b);
	while (a != NULL && b != NULL) {
		if (bx_before(b, a)) {
			*tailp = b;
			b = b->bx_cnext;
		} else {
			*tailp = a;
			a = a->bx_cnext;
		}
		tailp = &(*tailp)->bx_cnext;
	}
	*tailp = a != NULL ? a : b;
	return head;
}

/*
 * Sends k busy buffers (a list of adjacent blocks) to the driver as one
 * cluster buf, asynchronous unless sync.  A synchronous cluster (done in
 * the calling thread) hands the driver the members' own data as pieces
 * (b_iov); an asynchronous one gets a copy in one piece, as rumpuser_bio
 * takes one.  False when memory is short.
 */
static bool
bio_cluster(struct bufx *chunk, unsigned k, bool rd, bool sync)
{
	unsigned bsize = chunk->bx_buf.b_bsize, i = 0;
	struct rumpuser_iovec *iov = NULL;
	struct bufx *cx, *m;
	char *data = NULL, *p;

	if ((cx = kmem_zalloc(sizeof(*cx), KM_NOSLEEP)) == NULL)
		return false;
	KASSERT((size_t)k * bsize <= BIO_MAXPHYS);
	if (sync) {
		iov = kmem_alloc(k * sizeof(*iov), KM_NOSLEEP);
		if (iov == NULL) {
			kmem_free(cx, sizeof(*cx));
			return false;
		}
		for (m = chunk; m != NULL; m = m->bx_cnext, i++) {
			iov[i].iov_base = m->bx_buf.b_data;
			iov[i].iov_len = bsize;
		}
		KASSERT(i == k);
	} else {
		if ((data = bio_cldata_get()) == NULL) {
			kmem_free(cx, sizeof(*cx));
			return false;
		}
		if (!rd)
			for (p = data, m = chunk; m != NULL; m = m->bx_cnext) {
				memcpy(p, m->bx_buf.b_data, bsize);
				p += bsize;
			}
	}
	cx->bx_buf.b_iov = iov;
	cx->bx_buf.b_iovcnt = iov != NULL ? k : 0;
	cx->bx_cnext = chunk;
	cx->bx_buf.b_dev = chunk->bx_buf.b_dev;
	cx->bx_buf.b_bsize = bsize;
	cx->bx_buf.b_bcount = k * bsize;
	cx->bx_buf.b_blkno = chunk->bx_buf.b_blkno;
	cx->bx_buf.b_data = data;
	cx->bx_buf.b_flags =
	    B_BUSY | B_CLUSTER | (sync ? 0 : B_ASYNC) | (rd ? B_READ : 0);
	bio_strategy(&cx->bx_buf);
	return true;
}

/*
 * Starts the transfers of a list of busy buffers, in clusters where
 * blocks are adjacent.  Each buffer carries B_ASYNC and B_READ or
 * B_WRITING already, so nobody waits for it and biodone releases it.
 * With here, the clusters themselves go without B_ASYNC, so that the
 * driver may do them in this thread before returning (write-back by a
 * thread that has nothing better to do than wait for it: a writer over
 * the budget, fsync, the syncer); else they are asynchronous (the
 * driver's threads).
 */
static void
bio_issue(struct bufx *list, bool rd, bool here)
{
	struct bufx *run, *last, *chunk, *next;
	unsigned n, k, maxk;

	list = bx_sort(list);
	while (list != NULL) {
		/* Take the next run of adjacent blocks. */
		run = last = list;
		n = 1;
		while (last->bx_cnext != NULL &&
		    last->bx_cnext->bx_buf.b_dev == run->bx_buf.b_dev &&
		    last->bx_cnext->bx_buf.b_bsize == run->bx_buf.b_bsize &&
		    last->bx_cnext->bx_buf.b_blkno ==
		        last->bx_buf.b_blkno + 1) {
			last = last->bx_cnext;
			n++;
		}
		list = last->bx_cnext;
		last->bx_cnext = NULL;
		maxk = MAX(BIO_MAXPHYS / run->bx_buf.b_bsize, 1);
		/* Cut it into chunks of at most BIO_MAXPHYS bytes. */
		while (run != NULL) {
			k = MIN(n, maxk);
			chunk = run;
			last = chunk;
			for (unsigned i = 1; i < k; i++)
				last = last->bx_cnext;
			run = last->bx_cnext;
			last->bx_cnext = NULL;
			n -= k;
			if ((k > 1 || here) && bio_cluster(chunk, k, rd, here))
				continue;
			for (; chunk != NULL; chunk = next) {
				next = chunk->bx_cnext;
				chunk->bx_cnext = NULL;
				bio_strategy(&chunk->bx_buf);
			}
		}
	}
}

/*
 * Writes back up to `max` bytes of idle dirty buffers of dev (NODEV:
 * all), coldest first, in this thread when the driver can (bio_issue);
 * returns how many bytes it started.
 */
static size_t
bio_writeback(dev_t dev, size_t max)
{
	struct buf *bp, *next;
	struct bufx *list = NULL;
	size_t started = 0;

	mutex_enter(&buf_lock);
	for (bp = lru_head; bp != NULL && started < max; bp = next) {
		next = bp->b_lrunext;
		if (!(bp->b_flags & B_DELWRI) || (bp->b_flags & B_PINNED) ||
		    (dev != NODEV && bp->b_dev != dev))
			continue;
		lru_remove(bp);
		bp->b_flags |= B_BUSY | B_ASYNC;
		bio_startwrite_locked(BX(bp));
		BX(bp)->bx_cnext = list;
		list = BX(bp);
		started += bp->b_bsize;
	}
	mutex_exit(&buf_lock);
	if (list != NULL)
		bio_issue(list, false, true);
	return started;
}

/*
 * Makes room for `need` more bytes: frees idle clean buffers from the
 * cold end and starts writing back dirty ones found there (they are
 * freed by a later call once clean).
 */
static void
bio_shrink(size_t need)
{
	struct buf *bp, *next;
	struct bufx *list = NULL;
	size_t want, got = 0;

	mutex_enter(&buf_lock);
	if (bio_bytes + need <= bio_budget) {
		mutex_exit(&buf_lock);
		return;
	}
	/* Free a little more than needed so the next calls do not come here. */
	want = bio_bytes + need - bio_budget + bio_budget / 64;
	for (bp = lru_head; bp != NULL && got < want; bp = next) {
		next = bp->b_lrunext;
		if (bp->b_flags & B_PINNED)
			continue;
		if (bp->b_flags & B_DELWRI) {
			lru_remove(bp);
			bp->b_flags |= B_BUSY | B_ASYNC | B_AGE;
			bio_startwrite_locked(BX(bp));
			BX(bp)->bx_cnext = list;
			list = BX(bp);
			continue;
		}
		got += bx_size(bp);
		lru_remove(bp);
		bio_unhash_locked(BX(bp));
	}
	/* Everything idle was dirty: wait a little for a write to finish. */
	if (got < want && list == NULL && bio_nwriting > 0)
		(void)cv_timedwait(&bio_iocv, &buf_lock, 100000000);
	mutex_exit(&buf_lock);
	/* The writer that filled the cache pays for the write-back. */
	if (list != NULL)
		bio_issue(list, false, true);
}

/*
 * Another buffer of dev overlapping bytes [blkno * bsize, +bsize), or
 * NULL.  Only devices that have buffers of several sizes pay for this.
 */
static struct buf *
bio_overlap_locked(struct bdev *bd, dev_t dev, int64_t blkno, unsigned bsize)
{
	uint64_t start = (uint64_t)blkno * bsize, end = start + bsize;
	struct buf *bp;

	KASSERT(mutex_owned(&buf_lock));
	if (bd->bd_nother > 0) {
		for (size_t i = 0; i <= buf_hashmask; i++)
			for (bp = buf_hash[i]; bp != NULL; bp = bp->b_hashnext)
				if (bp->b_dev == dev && bp->b_bsize != bsize &&
				    (uint64_t)bp->b_blkno * bp->b_bsize < end &&
				    (uint64_t)(bp->b_blkno + 1) * bp->b_bsize >
				        start)
					return bp;
		return NULL;
	}
	for (int i = 0; i < BD_NSIZES; i++) {
		unsigned t = bd->bd_bsize[i];

		if (bd->bd_nbufs[i] == 0 || t == bsize)
			continue;
		for (uint64_t b = start / t; b <= (end - 1) / t; b++)
			if ((bp = hash_find(dev, (int64_t)b, t)) != NULL)
				return bp;
	}
	return NULL;
}

/*
 * Deals with an overlapping buffer: waits while it is busy, writes it
 * back when dirty, and drops it.  Called and returns with buf_lock held;
 * the caller looks everything up again afterwards.
 */
static void
bio_resolve_overlap(struct buf *ob)
{
	if (ob->b_flags & B_BUSY) {
		bio_waitbusy(ob);
		return;
	}
	lru_remove(ob);
	if (ob->b_flags & B_DELWRI) {
		ob->b_flags |= B_BUSY;
		bio_startwrite_locked(BX(ob));
		mutex_exit(&buf_lock);
		bio_strategy(ob);
		(void)biowait(ob);
		mutex_enter(&buf_lock);
		ob->b_flags |= B_INVAL;
		bio_release_locked(BX(ob));
		return;
	}
	bio_unhash_locked(BX(ob));
}

/*
 * Returns the buffer of (dev, blkno, bsize), busy, made if needed (its
 * data then invalid: B_DONE clear).  NULL when no memory can be found.
 */
struct buf *
getblk(dev_t dev, int64_t blkno, unsigned bsize)
{
	struct bufx *nbx = NULL;
	struct buf *bp, *ob;
	struct bdev *bd;
	void *data = NULL;

	KASSERT(bsize > 0 && blkno >= 0);
	if ((bd = bdev_get(dev)) == NULL)
		return NULL;
	mutex_enter(&buf_lock);
again:
	if ((bp = hash_find(dev, blkno, bsize)) != NULL) {
		if (bp->b_flags & B_BUSY) {
			bio_waitbusy(bp);
			goto again;
		}
		lru_remove(bp);
		bp->b_flags |= B_BUSY;
		bp->b_flags &= ~(B_ERROR | B_IODONE);
		bp->b_error = 0;
		goto out;
	}
	if ((ob = bio_overlap_locked(bd, dev, blkno, bsize)) != NULL) {
		bio_resolve_overlap(ob);
		goto again;
	}
	if (nbx == NULL) {
		/* Make a buffer without the lock, then look again. */
		mutex_exit(&buf_lock);
		bio_shrink(sizeof(*nbx) + bsize);
		nbx = kmem_zalloc(sizeof(*nbx), KM_SLEEP);
		data = kmem_alloc(bsize, KM_SLEEP);
		if (nbx == NULL || data == NULL) {
			if (nbx != NULL)
				kmem_free(nbx, sizeof(*nbx));
			if (data != NULL)
				kmem_free(data, bsize);
			return NULL;
		}
		cv_init(&nbx->bx_buf.b_cv);
		mutex_enter(&buf_lock);
		goto again;
	}
	bp = &nbx->bx_buf;
	nbx->bx_bdev = bd;
	bp->b_dev = dev;
	bp->b_blkno = blkno;
	bp->b_bsize = bsize;
	bp->b_bcount = bsize;
	bp->b_data = data;
	bp->b_flags = B_BUSY;
	bp->b_hashnext = buf_hash[buf_bucket(dev, blkno)];
	buf_hash[buf_bucket(dev, blkno)] = bp;
	bdev_countsize(bd, bsize, 1);
	bio_bytes += bx_size(bp);
	nbx = NULL;
out:
	mutex_exit(&buf_lock);
	if (nbx != NULL) {
		cv_destroy(&nbx->bx_buf.b_cv);
		kmem_free(nbx, sizeof(*nbx));
		kmem_free(data, bsize);
	}
	return bp;
}

/*
 * A new busy buffer for reading block b of dev (B_READ | B_ASYNC set),
 * in the hash; NULL when the block is cached already or in another size
 * (*cached true), or when the budget or memory is short.
 */
static struct bufx *
bio_newread(struct bdev *bd, dev_t dev, int64_t b, unsigned bsize, bool *cached)
{
	struct bufx *nbx;
	void *data;
	bool skip, full;

	mutex_enter(&buf_lock);
	skip = hash_find(dev, b, bsize) != NULL || bd->bd_nother > 0 ||
	    bio_overlap_locked(bd, dev, b, bsize) != NULL;
	full = bio_bytes + sizeof(*nbx) + bsize > bio_budget;
	mutex_exit(&buf_lock);
	*cached = skip;
	if (skip || full)
		return NULL;
	if ((nbx = kmem_zalloc(sizeof(*nbx), KM_NOSLEEP)) == NULL)
		return NULL;
	if ((data = kmem_alloc(bsize, KM_NOSLEEP)) == NULL) {
		kmem_free(nbx, sizeof(*nbx));
		return NULL;
	}
	cv_init(&nbx->bx_buf.b_cv);
	mutex_enter(&buf_lock);
	if (hash_find(dev, b, bsize) != NULL ||
	    bio_overlap_locked(bd, dev, b, bsize) != NULL) {
		mutex_exit(&buf_lock);
		cv_destroy(&nbx->bx_buf.b_cv);
		kmem_free(data, bsize);
		kmem_free(nbx, sizeof(*nbx));
		*cached = true;
		return NULL;
	}
	nbx->bx_bdev = bd;
	nbx->bx_buf.b_dev = dev;
	nbx->bx_buf.b_blkno = b;
	nbx->bx_buf.b_bsize = bsize;
	nbx->bx_buf.b_bcount = bsize;
	nbx->bx_buf.b_data = data;
	nbx->bx_buf.b_flags = B_BUSY | B_READ | B_ASYNC;
	nbx->bx_buf.b_hashnext = buf_hash[buf_bucket(dev, b)];
	buf_hash[buf_bucket(dev, b)] = &nbx->bx_buf;
	bdev_countsize(bd, bsize, 1);
	bio_bytes += bx_size(&nbx->bx_buf);
	mutex_exit(&buf_lock);
	return nbx;
}

/* The number of blocks of bsize on dev, or INT64_MAX when unknown. */
static int64_t
bio_devblocks(dev_t dev, unsigned bsize)
{
	const struct devsw *sw = devsw_lookup(dev);
	uint64_t bytes;
	unsigned secsize;

	if (sw != NULL && sw->d_size != NULL &&
	    sw->d_size(dev, &bytes, &secsize) == 0)
		return (int64_t)howmany(bytes, bsize);
	return INT64_MAX;
}

/*
 * Starts asynchronous reads of the blocks first .. first+n-1 of dev that
 * are neither cached nor past the end of the device.  Speculative: gives
 * up quietly when memory is short or the device mixes block sizes.
 */
static void
bio_readahead(
    struct bdev *bd, dev_t dev, int64_t first, unsigned n, unsigned bsize)
{
	int64_t nblk = bio_devblocks(dev, bsize);
	struct bufx *list = NULL, *nbx;
	bool cached;

	if (first >= nblk)
		return;
	n = (unsigned)MIN((int64_t)n, nblk - first);
	for (int64_t b = first; b < first + n; b++) {
		if ((nbx = bio_newread(bd, dev, b, bsize, &cached)) == NULL) {
			if (cached)
				continue;
			break;
		}
		nbx->bx_cnext = list;
		list = nbx;
	}
	if (list != NULL)
		bio_issue(list, true, false);
}

void
bio_prefetch(dev_t dev, int64_t blkno, unsigned n, unsigned bsize)
{
	struct bdev *bd;

	if (blkno < 0 || n == 0 || (bd = bdev_get(dev)) == NULL)
		return;
	bio_readahead(bd, dev, blkno, n, bsize);
}

/*
 * Returns in *bpp the busy buffer of (dev, blkno, bsize) with valid data.
 * On an error the buffer is dropped and *bpp is NULL.
 */
int
bread(dev_t dev, int64_t blkno, unsigned bsize, struct buf **bpp)
{
	struct buf *bp;
	struct bdev *bd;
	int64_t ra = 0;
	bool seq, hit;
	int error = 0;

	*bpp = NULL;
	if ((bp = getblk(dev, blkno, bsize)) == NULL)
		return ENOMEM;
	bd = BX(bp)->bx_bdev;
	mutex_enter(&buf_lock);
	seq = bd->bd_lastbsize == bsize && blkno == bd->bd_lastblk + 1;
	bd->bd_lastblk = blkno;
	bd->bd_lastbsize = bsize;
	/*
	 * Read ahead when fewer than half of the next RA_BLOCKS are under
	 * way, so that blocks go out in batches (clusters), not one by one.
	 */
	if (!seq)
		bd->bd_ranext = blkno + 1;
	else if (bd->bd_ranext <= blkno + RA_BLOCKS / 2) {
		ra = MAX(bd->bd_ranext, blkno + 1);
		bd->bd_ranext = blkno + RA_BLOCKS + 1;
	}
	hit = (bp->b_flags & B_DONE) != 0;
	if (!hit)
		bp->b_flags |= B_READ;
	mutex_exit(&buf_lock);
	if (!hit)
		bio_strategy(bp);
	if (ra > 0)
		bio_readahead(
		    bd, dev, ra, (unsigned)(blkno + RA_BLOCKS + 1 - ra), bsize);
	if (!hit && (error = biowait(bp)) != 0) {
		mutex_enter(&buf_lock);
		bp->b_flags |= B_INVAL;
		bio_release_locked(BX(bp));
		mutex_exit(&buf_lock);
		return error;
	}
	*bpp = bp;
	return 0;
}

int
breadn(dev_t dev, int64_t blkno, unsigned bsize, unsigned n, struct buf **bpp)
{
	struct bufx *list, *last, *nbx;
	struct buf *bp;
	struct bdev *bd;
	unsigned k = 1, maxk = MAX(BIO_MAXPHYS / bsize, 1);
	int64_t nblk;
	bool cached;
	int error;

	*bpp = NULL;
	if ((bp = getblk(dev, blkno, bsize)) == NULL)
		return ENOMEM;
	if (bp->b_flags & B_DONE) {
		*bpp = bp;
		return 0;
	}
	bd = BX(bp)->bx_bdev;
	mutex_enter(&buf_lock);
	bp->b_flags |= B_READ;
	mutex_exit(&buf_lock);
	/* The uncached blocks right after it join the transfer. */
	list = last = BX(bp);
	last->bx_cnext = NULL;
	nblk = bio_devblocks(dev, bsize);
	n = (unsigned)MIN((int64_t)MIN(n, maxk), MAX(nblk - blkno, 1));
	while (k < n &&
	    (nbx = bio_newread(bd, dev, blkno + k, bsize, &cached)) != NULL) {
		last->bx_cnext = nbx;
		last = nbx;
		k++;
	}
	if (k == 1 || !bio_cluster(list, k, true, true)) {
		struct bufx *next;

		for (nbx = list; nbx != NULL; nbx = next) {
			next = nbx->bx_cnext;
			nbx->bx_cnext = NULL;
			bio_strategy(&nbx->bx_buf);
		}
	}
	if ((error = biowait(bp)) != 0) {
		mutex_enter(&buf_lock);
		bp->b_flags |= B_INVAL;
		bio_release_locked(BX(bp));
		mutex_exit(&buf_lock);
		return error;
	}
	*bpp = bp;
	return 0;
}

/*
 * Writes n whole blocks blkno .. blkno+n-1 of dev from uio past the cache,
 * in transfers of up to BIO_MAXPHYS through one bounce buffer, and
 * returns when they are written.  Cached buffers of those blocks are
 * dropped first, dirty or not: their contents are being replaced.  For
 * file data in blocks just allocated, which nobody else can be using;
 * EOPNOTSUPP when dev has buffers of several sizes (then the caller goes
 * through the cache).  When the copy from uio fails, the rest of that
 * transfer is written as zeros and the error returned.
 */
int
bio_directwrite(
    dev_t dev, int64_t blkno, unsigned n, unsigned bsize, struct uio *uio)
{
	unsigned maxk = MAX(BIO_MAXPHYS / bsize, 1);
	struct bufx *bx = NULL;
	struct buf *bp;
	struct bdev *bd;
	void *data;
	int error = 0;

	if ((bd = bdev_get(dev)) == NULL)
		return ENOMEM;
	if (BIO_MAXPHYS < bsize)
		return EOPNOTSUPP;
	mutex_enter(&buf_lock);
	for (int i = 0; i < BD_NSIZES; i++)
		if (bd->bd_nother > 0 ||
		    (bd->bd_nbufs[i] > 0 && bd->bd_bsize[i] != bsize)) {
			mutex_exit(&buf_lock);
			return EOPNOTSUPP;
		}
	for (int64_t b = blkno; b < blkno + n; b++) {
		while ((bp = hash_find(dev, b, bsize)) != NULL) {
			if (bp->b_flags & B_BUSY) {
				bio_waitbusy(bp);
				continue;
			}
			lru_remove(bp);
			bio_unhash_locked(BX(bp));
		}
	}
	mutex_exit(&buf_lock);
	if ((bx = kmem_zalloc(sizeof(*bx), KM_SLEEP)) == NULL)
		return ENOMEM;
	if ((data = bio_cldata_get()) == NULL) {
		kmem_free(bx, sizeof(*bx));
		return ENOMEM;
	}
	bp = &bx->bx_buf;
	cv_init(&bp->b_cv);
	while (n > 0 && error == 0) {
		unsigned k = MIN(n, maxk);
		size_t len = (size_t)k * bsize, before = uio->uio_resid;
		int cerr, werr;

		cerr = uiomove(data, len, uio);
		if (cerr != 0)
			memset((char *)data + (before - uio->uio_resid), 0,
			    len - (before - uio->uio_resid));
		bp->b_dev = dev;
		bp->b_blkno = blkno;
		bp->b_bsize = bsize;
		bp->b_bcount = (unsigned)len;
		bp->b_data = data;
		bp->b_error = 0;
		bp->b_flags = B_BUSY | B_RAW;
		bio_strategy(bp);
		werr = biowait(bp);
		error = werr != 0 ? werr : cerr;
		blkno += k;
		n -= k;
	}
	cv_destroy(&bp->b_cv);
	bio_cldata_put(data);
	kmem_free(bx, sizeof(*bx));
	return error;
}

void
brelse(struct buf *bp)
{
	mutex_enter(&buf_lock);
	bio_release_locked(BX(bp));
	mutex_exit(&buf_lock);
}

static void syncer_start(void);

void
bdwrite(struct buf *bp)
{
	bool pressure, start;

	mutex_enter(&buf_lock);
	KASSERT(bp->b_flags & B_BUSY);
	if (syncer_state == SYNCER_STOPPED && !(bp->b_flags & B_PINNED)) {
		mutex_exit(&buf_lock);
		(void)bwrite(bp); /* nobody would write it later */
		return;
	}
	if (!(bp->b_flags & B_DELWRI))
		bio_dirtybytes += bp->b_bsize;
	bp->b_flags |= B_DELWRI | B_DONE;
	pressure = bio_dirtybytes > bio_budget / 2;
	bio_release_locked(BX(bp));
	if (pressure && syncer_state == SYNCER_RUNNING)
		cv_signal(&syncer_cv);
	start = syncer_state == SYNCER_NONE;
	mutex_exit(&buf_lock);
	if (start)
		syncer_start();
}

/*
 * Writes bp now and releases it.  With B_ASYNC it returns at once and
 * errors reach the next bflush(dev, true).  On a write error the data
 * stays cached (clean) and the error is returned.
 */
int
bwrite(struct buf *bp)
{
	bool async;
	int error;

	mutex_enter(&buf_lock);
	KASSERT(bp->b_flags & B_BUSY);
	bp->b_flags |= B_DONE;
	async = (bp->b_flags & B_ASYNC) != 0;
	bio_startwrite_locked(BX(bp));
	mutex_exit(&buf_lock);
	bio_strategy(bp);
	if (async)
		return 0;
	error = biowait(bp);
	mutex_enter(&buf_lock);
	bp->b_flags &= ~B_ERROR;
	bio_release_locked(BX(bp));
	mutex_exit(&buf_lock);
	return error;
}

/* Sends DIOCCACHESYNC to the driver of dev: completed writes durable. */
static int
bio_cachesync(dev_t dev)
{
	const struct devsw *sw = devsw_lookup(dev);
	register_t rv = 0;
	int error;

	if (sw == NULL || sw->d_ioctl == NULL)
		return 0;
	error = sw->d_ioctl(dev, DIOCCACHESYNC, NULL, &rv);
	return error == ENOTTY || error == ENXIO ? 0 : error;
}

/*
 * Writes back every idle dirty buffer of dev (NODEV: all devices).  With
 * wait, also waits until every write of dev in flight is over, makes them
 * durable and returns the first write error not reported before.
 * Buffers that owners hold busy are theirs to write.
 */
int
bflush(dev_t dev, bool wait)
{
	dev_t devs[16];
	struct bdev *bd;
	int error = 0, e, n;

	(void)bio_writeback(dev, SIZE_MAX);
	if (!wait)
		return 0;
	mutex_enter(&buf_lock);
	if (dev == NODEV) {
		while (bio_nwriting > 0)
			cv_wait(&bio_iocv, &buf_lock);
	} else if ((bd = bdev_find(dev)) != NULL) {
		while (bd->bd_nwriting > 0)
			cv_wait(&bio_iocv, &buf_lock);
	}
	mutex_exit(&buf_lock);
	/* Report and sync per device, a few devices at a time. */
	for (size_t h = 0; h < BD_NHASH; h++) {
		mutex_enter(&buf_lock);
		n = 0;
		for (bd = bdev_hash[h]; bd != NULL && n < (int)nitems(devs);
		     bd = bd->bd_next) {
			if (dev != NODEV && bd->bd_dev != dev)
				continue;
			if (bd->bd_error != 0 && error == 0)
				error = bd->bd_error;
			bd->bd_error = 0;
			devs[n++] = bd->bd_dev;
		}
		mutex_exit(&buf_lock);
		for (int i = 0; i < n; i++)
			if ((e = bio_cachesync(devs[i])) != 0 && error == 0)
				error = e;
	}
	return error;
}

/*
 * Drops every buffer of dev, dirty or not, waiting for those in use.  For
 * a device that goes away (after an unmount, bflush first).
 */
void
binval(dev_t dev)
{
	struct buf *bp;
	struct bdev *bd;

	mutex_enter(&buf_lock);
	/* Each bucket is looked at again after a change, not the whole hash. */
	for (size_t i = 0; i <= buf_hashmask; i++) {
	again:
		for (bp = buf_hash[i]; bp != NULL; bp = bp->b_hashnext) {
			if (bp->b_dev != dev)
				continue;
			if (bp->b_flags & B_BUSY) {
				bio_waitbusy(bp);
			} else {
				lru_remove(bp);
				bio_unhash_locked(BX(bp));
			}
			goto again;
		}
	}
	if ((bd = bdev_find(dev)) != NULL) {
		bd->bd_lastblk = -2;
		bd->bd_lastbsize = 0;
		bd->bd_ranext = 0;
		bd->bd_error = 0;
	}
	mutex_exit(&buf_lock);
}

/*
 * Raw device I/O for programs (see etfs.h): through the cache in blocks of
 * BIO_RAWBSIZE, so it shares buffers with file systems using that size.
 */
int
bio_rawread(dev_t dev, uint64_t devsize, struct uio *uio)
{
	struct buf *bp;
	int64_t last;
	int error = 0;

	if (uio->uio_offset < 0)
		return EINVAL;
	if ((uint64_t)uio->uio_offset >= devsize || uio->uio_resid == 0)
		return 0;
	last = (int64_t)((MIN((uint64_t)uio->uio_offset + uio->uio_resid,
	                      devsize) -
	                     1) /
	    BIO_RAWBSIZE);
	while (uio->uio_resid > 0) {
		off_t off = uio->uio_offset;
		int64_t blk = off / BIO_RAWBSIZE;
		size_t boff, n;

		if ((uint64_t)off >= devsize)
			break;
		boff = (size_t)(off % BIO_RAWBSIZE);
		n = MIN(BIO_RAWBSIZE - boff, uio->uio_resid);
		n = (size_t)MIN((uint64_t)n, devsize - (uint64_t)off);
		/* A miss brings the request's next blocks in the same transfer.
		 */
		if ((error = breadn(dev, blk, BIO_RAWBSIZE,
		         (unsigned)MIN(last - blk + 1, (int64_t)BIO_MAXPHYS),
		         &bp)) != 0)
			break;
		error = uiomove((char *)bp->b_data + boff, n, uio);
		brelse(bp);
		if (error)
			break;
	}
	return error;
}

int
bio_rawwrite(dev_t dev, uint64_t devsize, struct uio *uio, int ioflag)
{
	struct buf *bp;
	size_t start = uio->uio_resid;
	int error = 0;

	while (uio->uio_resid > 0) {
		off_t off = uio->uio_offset;
		size_t boff, n;
		int64_t blk;

		if (off < 0)
			return EINVAL;
		if ((uint64_t)off >= devsize) {
			if (uio->uio_resid == start)
				error = ENOSPC;
			break;
		}
		blk = off / BIO_RAWBSIZE;
		boff = (size_t)(off % BIO_RAWBSIZE);
		n = MIN(BIO_RAWBSIZE - boff, uio->uio_resid);
		n = (size_t)MIN((uint64_t)n, devsize - (uint64_t)off);
		if (boff == 0 && uio->uio_resid >= RAW_DIRECT * BIO_RAWBSIZE &&
		    devsize - (uint64_t)off >= RAW_DIRECT * BIO_RAWBSIZE) {
			/* Many whole blocks: to the device now, past the cache.
			 */
			uint64_t k =
			    MIN(uio->uio_resid, devsize - (uint64_t)off) /
			    BIO_RAWBSIZE;
			size_t before = uio->uio_resid;

			error = bio_directwrite(dev, blk,
			    (unsigned)MIN(k, (uint64_t)UINT32_MAX / 2),
			    BIO_RAWBSIZE, uio);
			if (error == 0)
				continue;
			if (uio->uio_resid != before ||
			    (error != EOPNOTSUPP && error != ENOMEM))
				break;
			error = 0;
		}
		if (boff == 0 && n == BIO_RAWBSIZE) {
			/* The whole block is new: no need to read it. */
			if ((bp = getblk(dev, blk, BIO_RAWBSIZE)) == NULL) {
				error = ENOMEM;
				break;
			}
		} else if ((error = bread(dev, blk, BIO_RAWBSIZE, &bp)) != 0) {
			break;
		}
		if ((error = uiomove((char *)bp->b_data + boff, n, uio)) != 0) {
			mutex_enter(&buf_lock);
			if (!(bp->b_flags & B_DONE))
				bp->b_flags |= B_INVAL;
			bio_release_locked(BX(bp));
			mutex_exit(&buf_lock);
			break;
		}
		if (ioflag & (IO_SYNC | IO_DSYNC)) {
			if ((error = bwrite(bp)) != 0)
				break;
		} else {
			bdwrite(bp);
		}
	}
	return error;
}

/* The syncer: writes back delayed writes every SYNC_INTERVAL. */
static void
syncer_thread(void *arg __unused)
{
	mutex_enter(&buf_lock);
	while (!syncer_stop) {
		(void)cv_timedwait(&syncer_cv, &buf_lock, SYNC_INTERVAL);
		if (syncer_stop)
			break;
		mutex_exit(&buf_lock);
		(void)bio_writeback(NODEV, SIZE_MAX);
		mutex_enter(&buf_lock);
	}
	mutex_exit(&buf_lock);
}

static void
syncer_start(void)
{
	int error;

	mutex_enter(&buf_lock);
	if (syncer_state != SYNCER_NONE) {
		mutex_exit(&buf_lock);
		return;
	}
	syncer_state = SYNCER_RUNNING;
	mutex_exit(&buf_lock);
	error = kthread_create(
	    syncer_thread, NULL, "syncer", KTHREAD_MUSTJOIN, &syncer_lwp);
	if (error) {
		/* Try again at the next bdwrite; bflush still writes. */
		static bool warned;

		if (!warned)
			printf(
			    "bio: cannot start the syncer: error %d\n", error);
		warned = true;
		mutex_enter(&buf_lock);
		syncer_state = SYNCER_NONE;
		mutex_exit(&buf_lock);
	}
}

/* At halt: stop the syncer, then write everything back. */
static void
bio_halt(void)
{
	bool join;

	mutex_enter(&buf_lock);
	join = syncer_state == SYNCER_RUNNING && syncer_lwp != NULL;
	syncer_state = SYNCER_STOPPED;
	syncer_stop = true;
	cv_broadcast(&syncer_cv);
	mutex_exit(&buf_lock);
	if (join)
		(void)kthread_join(syncer_lwp);
	syncer_lwp = NULL;
	(void)bflush(NODEV, true);
}

/* The kmem reclaim hook: frees every idle clean buffer. */
static size_t
bio_reclaim(void *arg __unused)
{
	void *cl[BIO_CLFREE_MAX];
	struct buf *bp, *next;
	size_t freed = 0;
	unsigned n;

	mutex_enter(&buf_lock);
	for (bp = lru_head; bp != NULL; bp = next) {
		next = bp->b_lrunext;
		if (bp->b_flags & (B_DELWRI | B_PINNED))
			continue;
		freed += bx_size(bp);
		lru_remove(bp);
		bio_unhash_locked(BX(bp));
	}
	if (bio_dirtybytes > 0 && syncer_state == SYNCER_RUNNING)
		cv_signal(&syncer_cv);
	n = bio_clfree_n;
	memcpy(cl, bio_clfree, n * sizeof(cl[0]));
	bio_clfree_n = 0;
	mutex_exit(&buf_lock);
	for (unsigned i = 0; i < n; i++)
		kmem_free(cl[i], BIO_MAXPHYS);
	return freed + n * BIO_MAXPHYS;
}

static struct halt_hook bio_halthook = {bio_halt, NULL};
static struct kmem_reclaimer bio_reclaimer = {bio_reclaim, NULL, NULL};

RUMP_COMPONENT(RUMP_COMPONENT_VFS)
{
	char buf[32];
	int64_t v;
	size_t nb;

	bio_budget = BUFCACHE_DEFAULT;
	if (kern_getparam("RUMP_BUFCACHE", buf, sizeof(buf)) == 0) {
		if ((v = parse_size(buf)) >= 1024 * 1024)
			bio_budget = (size_t)v;
		else
			printf("bio: RUMP_BUFCACHE=\"%s\": want at least 1m, "
			       "using %zu bytes\n",
			    buf, bio_budget);
	}
	for (nb = 256; nb < bio_budget / 4096 / 2 && nb < (1u << 20); nb *= 2)
		continue;
	if ((buf_hash = kmem_zalloc(nb * sizeof(*buf_hash), KM_SLEEP)) == NULL)
		panic("bio: no memory for the buffer hash");
	buf_hashmask = nb - 1;
	mutex_init(&buf_lock, MUTEX_DEFAULT);
	cv_init(&bio_iocv);
	cv_init(&syncer_cv);
	halt_hook_register(&bio_halthook);
	kmem_reclaimer_register(&bio_reclaimer);
}
