/*
 * procfs_vfsops.c — procfs as a file-system type ("proc", as Linux calls
 * it): mount, unmount, the root, statfs and loading a vnode for a node;
 * and the mount on /proc at boot.
 *
 * Every mount shows the one tree of procfs_subr.c.  Options are accepted
 * and ignored (Linux's hidepid=, gid=, subset= have nothing to act on
 * here).  The VFS's own init mounts the root first; procfs mounts itself
 * on /proc at the file systems' level, after it.
 */
#include "procfs_impl.h"

int vfs_domount(struct vnode *covered, const char *fstype, const char *source,
    unsigned long flags, const char *opts, struct mount **mpp);

static int
procfs_mount(
    struct mount *mp, const char *source __unused, const char *opts __unused)
{
	struct pfs_mount *pm;

	if ((pm = kmem_zalloc(sizeof(*pm), KM_SLEEP)) == NULL)
		return ENOMEM;
	pm->pm_mount = mp;
	mp->mnt_data = pm;
	mutex_enter(&pfs_lock);
	pm->pm_next = pfs_mounts;
	pfs_mounts = pm;
	mutex_exit(&pfs_lock);
	return 0;
}

static int
procfs_unmount(struct mount *mp, int flags __unused)
{
	struct pfs_mount *pm = mp->mnt_data, **pp;

	mutex_enter(&pfs_lock);
	for (pp = &pfs_mounts; *pp != NULL; pp = &(*pp)->pm_next) {
		if (*pp == pm) {
			*pp = pm->pm_next;
			break;
		}
	}
	mutex_exit(&pfs_lock);
	mp->mnt_data = NULL;
	kmem_free(pm, sizeof(*pm));
	return 0;
}

static int
procfs_root(struct mount *mp, struct vnode **vpp)
{
	return pfs_node_vget(mp, &pfs_root, vpp);
}

static int
procfs_statfs(struct mount *mp __unused, struct statfs *sf)
{
	sf->f_type = PROC_SUPER_MAGIC;
	sf->f_bsize = 4096;
	sf->f_frsize = 4096;
	sf->f_namelen = NAME_MAX;
	return 0;
}

static int
procfs_sync(struct mount *mp __unused, bool waitfor __unused)
{
	return 0;
}

/* The key names a node its caller holds (procfs_impl.h). */
static int
procfs_loadvnode(
    struct mount *mp __unused, struct vnode *vp, const void *key, size_t keylen)
{
	struct pfs_vnode *pv;
	struct pfs_key k;

	KASSERT(keylen == sizeof(k));
	memcpy(&k, key, sizeof(k));
	if ((pv = kmem_zalloc(sizeof(*pv), KM_SLEEP)) == NULL)
		return ENOMEM;
	mutex_init(&pv->pv_lock, MUTEX_DEFAULT);
	pfs_node_hold(k.pk_node); /* dropped by reclaim */
	pv->pv_node = k.pk_node;
	vp->v_type = k.pk_node->pn_type;
	vp->v_op = &procfs_vnodeops;
	vp->v_data = pv;
	return 0;
}

struct vfsops procfs_vfsops = {
    .vfs_name = "proc",
    .vfs_mount = procfs_mount,
    .vfs_unmount = procfs_unmount,
    .vfs_root = procfs_root,
    .vfs_statfs = procfs_statfs,
    .vfs_sync = procfs_sync,
    .vfs_loadvnode = procfs_loadvnode,
};

__attribute__((constructor)) static void
procfs_vfs_register(void)
{
	vfs_register(&procfs_vfsops);
}

/* Makes /proc in the root (as the kernel) and mounts procfs on it. */
RUMP_COMPONENT(RUMP_COMPONENT_VFS_FS)
{
	struct componentname cn = {"proc", 4, proc0.p_cred};
	struct mount *mp;
	struct vnode *vp;
	struct vattr va;
	int error;

	procfs_kern_init();
	vattr_null(&va);
	va.va_type = VDIR;
	va.va_mode = 0555;
	vn_lock(rootvnode, RW_WRITER);
	error = rootvnode->v_op->vop_mkdir(rootvnode, &cn, &va, &vp);
	vn_unlock(rootvnode);
	if (error) {
		printf("procfs: cannot make /proc: error %d\n", error);
		return;
	}
	error = vfs_domount(vp, "proc", "proc",
	    MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME, NULL, &mp);
	vrele(vp);
	if (error)
		printf("procfs: cannot mount /proc: error %d\n", error);
	else
		aprint_verbose("procfs: mounted on /proc\n");
}
