/*
 * procfs_subr.c — the tree of /proc: text buffers (pfs_printf,
 * pfs_write), registering and unregistering files, node references, and
 * running a node's read and write functions.
 *
 * The tree is global: each mount of procfs shows the same files.  A file
 * registered after a lookup of its name found nothing would stay hidden
 * behind the name cache's negative entry, so registering purges that name
 * in every mount (procfs_vfsops.c keeps the list of them).
 */
#include "procfs_impl.h"

kmutex_t pfs_lock;
kcondvar_t pfs_cv;
struct pfs_mount *pfs_mounts;
static uint64_t pfs_nextino = PFS_ROOT_INO; /* [t] */

struct pfs_node pfs_root = {
    .pn_name = "",
    .pn_type = VDIR,
    .pn_ino = PFS_ROOT_INO,
    .pn_parent = &pfs_root,
    .pn_nextseq = 2,
    .pn_refs = 1, /* never freed */
};

/* ---------------------------------------------------------- buffers */

/* Makes room for n more bytes (and a NUL); false when that fails. */
static bool
pfs_buf_reserve(struct pfs_buf *b, size_t n)
{
	size_t cap;
	char *p;

	if (b->pb_error)
		return false;
	if (n > PFS_BUF_MAX || b->pb_len + n > PFS_BUF_MAX) {
		b->pb_error = EFBIG;
		return false;
	}
	if (b->pb_len + n + 1 <= b->pb_cap)
		return true;
	cap = b->pb_cap ? b->pb_cap : 256;
	while (cap < b->pb_len + n + 1)
		cap *= 2;
	if ((p = kmem_alloc(cap, KM_SLEEP)) == NULL) {
		b->pb_error = ENOMEM;
		return false;
	}
	if (b->pb_len > 0)
		memcpy(p, b->pb_data, b->pb_len);
	if (b->pb_data != NULL)
		kmem_free(b->pb_data, b->pb_cap);
	b->pb_data = p;
	b->pb_cap = cap;
	return true;
}

void
pfs_write(struct pfs_buf *b, const void *data, size_t len)
{
	if (len == 0 || !pfs_buf_reserve(b, len))
		return;
	memcpy(b->pb_data + b->pb_len, data, len);
	b->pb_len += len;
	b->pb_data[b->pb_len] = '\0';
}

void
pfs_printf(struct pfs_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	/*
	 * Try in what is left, then grow to the size that needs.  (Never
	 * with no buffer: the kernel's vsnprintf prints to the console then.)
	 */
	if (!pfs_buf_reserve(b, 64))
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->pb_data + b->pb_len, b->pb_cap - b->pb_len, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	if (b->pb_len + (size_t)n < b->pb_cap) {
		b->pb_len += (size_t)n;
		return;
	}
	if (!pfs_buf_reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	(void)vsnprintf(b->pb_data + b->pb_len, b->pb_cap - b->pb_len, fmt, ap);
	va_end(ap);
	b->pb_len += (size_t)n;
}

void
pfs_buf_free(struct pfs_buf *b)
{
	if (b->pb_data != NULL)
		kmem_free(b->pb_data, b->pb_cap);
	b->pb_data = NULL;
	b->pb_len = b->pb_cap = 0;
}

void
pfs_snap_rele(struct pfs_snap *ps)
{
	if (atomic_dec(&ps->ps_refs) != 0)
		return;
	pfs_buf_free(&ps->ps_buf);
	kmem_free(ps, sizeof(*ps));
}

/* ------------------------------------------------------------ nodes */

void
pfs_node_hold(struct pfs_node *pn)
{
	atomic_inc(&pn->pn_refs);
}

void
pfs_node_rele(struct pfs_node *pn)
{
	if (atomic_dec(&pn->pn_refs) != 0)
		return;
	KASSERT(pn != &pfs_root && pn->pn_gone);
	kmem_free(pn, sizeof(*pn));
}

struct pfs_node *
pfs_node_child(struct pfs_node *dir, const char *name, size_t len)
{
	struct pfs_node *pn;

	KASSERT(mutex_owned(&pfs_lock));
	for (pn = dir->pn_children; pn != NULL; pn = pn->pn_next)
		if (pn->pn_namelen == len &&
		    memcmp(pn->pn_name, name, len) == 0)
			return pn;
	return NULL;
}

/* Marks a node busy so unregistering waits; false if it is gone. */
static bool
pfs_node_busy(struct pfs_node *pn)
{
	bool ok;

	mutex_enter(&pfs_lock);
	ok = !pn->pn_gone;
	if (ok)
		pn->pn_busy++;
	mutex_exit(&pfs_lock);
	return ok;
}

static void
pfs_node_unbusy(struct pfs_node *pn)
{
	mutex_enter(&pfs_lock);
	if (--pn->pn_busy == 0 && pn->pn_gone)
		cv_broadcast(&pfs_cv);
	mutex_exit(&pfs_lock);
}

/*
 * Makes the snapshot of a file: a new one, referenced once for the
 * caller.  A file that went away reads as empty, as on Linux a file of a
 * removed entry does (EIO there; an open file here just ends).
 */
int
pfs_node_read(struct pfs_node *pn, struct pfs_snap **psp)
{
	struct pfs_snap *ps;
	int error = 0;

	if ((ps = kmem_zalloc(sizeof(*ps), KM_SLEEP)) == NULL)
		return ENOMEM;
	ps->ps_refs = 1;
	if (pn->pn_read != NULL && pfs_node_busy(pn)) {
		error = pn->pn_read(pn->pn_arg, &ps->ps_buf);
		pfs_node_unbusy(pn);
		if (error == 0)
			error = ps->ps_buf.pb_error;
	}
	if (error) {
		pfs_snap_rele(ps);
		return error;
	}
	*psp = ps;
	return 0;
}

int
pfs_node_write(struct pfs_node *pn, const char *data, size_t len)
{
	int error;

	if (pn->pn_write == NULL)
		return EACCES;
	if (!pfs_node_busy(pn))
		return EIO;
	error = pn->pn_write(pn->pn_arg, data, len);
	pfs_node_unbusy(pn);
	return error;
}

/*
 * Removes negative name-cache entries of name in dir in every mount.
 * Caller holds pfs_lock.
 */
static void
pfs_purge_name(struct pfs_node *dir, const char *name, size_t len)
{
	struct pfs_mount *pm;
	struct vnode *dvp;

	KASSERT(mutex_owned(&pfs_lock));
	for (pm = pfs_mounts; pm != NULL; pm = pm->pm_next) {
		if (pfs_node_vget(pm->pm_mount, dir, &dvp) != 0)
			continue;
		cache_remove(dvp, name, len);
		vrele(dvp);
	}
}

/* Removes the name-cache entries of names in dir, in every mount. */
static void
pfs_purge_dir(struct pfs_node *dir)
{
	struct pfs_mount *pm;
	struct vnode *dvp;

	KASSERT(mutex_owned(&pfs_lock));
	for (pm = pfs_mounts; pm != NULL; pm = pm->pm_next) {
		if (pfs_node_vget(pm->pm_mount, dir, &dvp) != 0)
			continue;
		cache_purge(dvp);
		vrele(dvp);
	}
}

/*
 * Splits the next component off *pathp: its start and length, with *pathp
 * moved past it.  EINVAL for ".", ".." and empty paths, ENAMETOOLONG for
 * long names.
 */
static int
pfs_component(const char **pathp, const char **namep, size_t *lenp)
{
	const char *p = *pathp, *e;

	while (*p == '/')
		p++;
	if (*p == '\0')
		return EINVAL;
	for (e = p; *e != '\0' && *e != '/'; e++)
		;
	if ((e - p == 1 && p[0] == '.') ||
	    (e - p == 2 && p[0] == '.' && p[1] == '.'))
		return EINVAL;
	if (e - p > NAME_MAX)
		return ENAMETOOLONG;
	while (*e == '/')
		e++;
	*namep = p;
	*lenp = (size_t)(e - p);
	while (*lenp > 0 && p[*lenp - 1] == '/')
		(*lenp)--;
	*pathp = e;
	return 0;
}

/* Makes a node in dir.  Caller holds pfs_lock. */
static int
pfs_node_make(struct pfs_node *dir, const char *name, size_t len,
    enum vtype type, struct pfs_node **pnp)
{
	struct pfs_node *pn;
	uint64_t now;

	KASSERT(mutex_owned(&pfs_lock));
	if ((pn = kmem_zalloc(sizeof(*pn), KM_SLEEP)) == NULL)
		return ENOMEM;
	memcpy(pn->pn_name, name, len);
	pn->pn_name[len] = '\0';
	pn->pn_namelen = len;
	pn->pn_type = type;
	pn->pn_ino = ++pfs_nextino;
	pn->pn_seq = dir->pn_nextseq++;
	pn->pn_nextseq = 2;
	now = getnanotime();
	pn->pn_time.tv_sec = (time_t)(now / 1000000000u);
	pn->pn_time.tv_nsec = (long)(now % 1000000000u);
	pn->pn_refs = 1; /* the tree's */
	pn->pn_parent = dir;
	if (dir->pn_lastchild != NULL)
		dir->pn_lastchild->pn_next = pn;
	else
		dir->pn_children = pn;
	dir->pn_lastchild = pn;
	dir->pn_nchildren++;
	*pnp = pn;
	return 0;
}

int
procfs_register(const char *path, pfs_read_fn rd, pfs_write_fn wr, void *arg)
{
	struct pfs_node *dir = &pfs_root, *pn;
	const char *p = path, *name;
	size_t len;
	int error;

	if (path == NULL || rd == NULL)
		return EINVAL;
	mutex_enter(&pfs_lock);
	for (;;) {
		if ((error = pfs_component(&p, &name, &len)) != 0)
			goto out;
		pn = pfs_node_child(dir, name, len);
		if (*p == '\0')
			break;
		if (pn == NULL) {
			if ((error = pfs_node_make(dir, name, len, VDIR, &pn)))
				goto out;
			pfs_purge_name(dir, name, len);
		} else if (pn->pn_type != VDIR) {
			error = ENOTDIR;
			goto out;
		}
		dir = pn;
	}
	if (pn != NULL) {
		error = EEXIST;
		goto out;
	}
	if ((error = pfs_node_make(dir, name, len, VREG, &pn)) != 0)
		goto out;
	pn->pn_read = rd;
	pn->pn_write = wr;
	pn->pn_arg = arg;
	pfs_purge_name(dir, name, len);
out:
	mutex_exit(&pfs_lock);
	return error;
}

/* Takes pn and everything below it out of the tree.  pfs_lock held. */
static void
pfs_node_remove(struct pfs_node *pn)
{
	struct pfs_node *dir = pn->pn_parent, **pp, *prev = NULL;

	KASSERT(mutex_owned(&pfs_lock));
	while (pn->pn_children != NULL)
		pfs_node_remove(pn->pn_children);
	/* Lookups must not find it through the name cache any more. */
	pfs_purge_name(dir, pn->pn_name, pn->pn_namelen);
	if (pn->pn_type == VDIR)
		pfs_purge_dir(pn);
	for (pp = &dir->pn_children; *pp != pn; pp = &(*pp)->pn_next)
		prev = *pp;
	*pp = pn->pn_next;
	if (dir->pn_lastchild == pn)
		dir->pn_lastchild = prev;
	dir->pn_nchildren--;
	pn->pn_next = NULL;
	pn->pn_parent = NULL;
	__atomic_store_n(&pn->pn_gone, true, __ATOMIC_RELAXED);
	/* Callbacks of it may be running: let them finish. */
	while (pn->pn_busy > 0)
		cv_wait(&pfs_cv, &pfs_lock);
	pfs_node_rele(pn); /* the tree's reference */
}

/* Removes the file (or the directory with all below it) at path. */
void
procfs_unregister(const char *path)
{
	struct pfs_node *pn = &pfs_root;
	const char *p = path, *name;
	size_t len;

	if (path == NULL)
		return;
	mutex_enter(&pfs_lock);
	while (*p != '\0' && pn != NULL) {
		if (pfs_component(&p, &name, &len) != 0) {
			pn = NULL;
			break;
		}
		pn = pn->pn_type == VDIR ? pfs_node_child(pn, name, len) : NULL;
	}
	if (pn != NULL && pn != &pfs_root)
		pfs_node_remove(pn);
	mutex_exit(&pfs_lock);
}

/* At the base's level: later components may register from their inits. */
RUMP_COMPONENT(RUMP_COMPONENT_KERN)
{
	uint64_t now = getnanotime();

	mutex_init(&pfs_lock, MUTEX_DEFAULT);
	cv_init(&pfs_cv);
	pfs_root.pn_time.tv_sec = (time_t)(now / 1000000000u);
	pfs_root.pn_time.tv_nsec = (long)(now % 1000000000u);
}
