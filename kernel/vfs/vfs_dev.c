/*
 * vfs_dev.c — the device switch: which driver serves a device number.
 *
 * A driver attaches its struct devsw for each device number it serves
 * (devsw_attach); a VCHR or VBLK vnode, wherever it lives, finds its
 * driver by v_rdev (devsw_lookup) and the VFS passes read, write, ioctl,
 * poll, open and close to it; the buffer cache sends block I/O to
 * d_strategy.  Character and block devices share one table, so a driver
 * must not pick a major number that another kind already uses: the memory
 * devices are char major 1, etfs block devices major 240 and etfs
 * character devices major 241 (Linux's "local/experimental" range).
 *
 * Lookups take no lock: the table is a hash of entries that are never
 * freed.  A detached entry keeps its device number with a NULL switch and
 * is reused when the number is attached again, so the memory held is
 * bounded by the number of distinct devices ever attached.  The devsw
 * structures themselves must stay valid for the life of the kernel
 * (drivers use static const ones), because a caller may still hold the
 * pointer devsw_lookup returned while the device is detached; drivers
 * answer ENXIO for a device they no longer serve.
 */
#include "vfs.h"

#define DEVSW_NHASH 64

/* [I] de_dev, de_next once published  [a] de_sw */
struct devsw_ent {
	dev_t de_dev;
	const struct devsw *de_sw;
	struct devsw_ent *de_next;
};

static struct devsw_ent *devsw_hash[DEVSW_NHASH]; /* [a], inserts: devsw_lock */
static kmutex_t devsw_lock;

static unsigned
devsw_bucket(dev_t dev)
{
	return (major(dev) * 31u + minor(dev)) % DEVSW_NHASH;
}

static struct devsw_ent *
devsw_find(dev_t dev)
{
	struct devsw_ent *de;

	de = atomic_load_acquire(&devsw_hash[devsw_bucket(dev)]);
	for (; de != NULL; de = de->de_next)
		if (de->de_dev == dev)
			return de;
	return NULL;
}

int
devsw_attach(dev_t dev, const struct devsw *sw)
{
	struct devsw_ent *de, *nde;
	unsigned b = devsw_bucket(dev);
	int error = 0;

	KASSERT(sw != NULL);
	/* Allocate before locking: the allocator may run reclaim hooks. */
	nde = kmem_zalloc(sizeof(*nde), KM_SLEEP);
	mutex_enter(&devsw_lock);
	if ((de = devsw_find(dev)) != NULL) {
		if (de->de_sw != NULL)
			error = EEXIST;
		else
			atomic_store_release(&de->de_sw, sw);
		goto out;
	}
	if (nde == NULL) {
		error = ENOMEM;
		goto out;
	}
	nde->de_dev = dev;
	nde->de_sw = sw;
	nde->de_next = devsw_hash[b];
	atomic_store_release(&devsw_hash[b], nde);
	nde = NULL;
out:
	mutex_exit(&devsw_lock);
	if (nde != NULL)
		kmem_free(nde, sizeof(*nde));
	return error;
}

void
devsw_detach(dev_t dev)
{
	struct devsw_ent *de;

	mutex_enter(&devsw_lock);
	if ((de = devsw_find(dev)) != NULL)
		atomic_store_release(&de->de_sw, NULL);
	mutex_exit(&devsw_lock);
}

/* The driver of dev, or NULL (the caller answers ENXIO). */
const struct devsw *
devsw_lookup(dev_t dev)
{
	struct devsw_ent *de = devsw_find(dev);

	return de != NULL ? atomic_load_acquire(&de->de_sw) : NULL;
}

/* Before any component can attach a device. */
RUMP_COMPONENT(RUMP_COMPONENT_KERN)
{
	mutex_init(&devsw_lock, MUTEX_DEFAULT);
}
