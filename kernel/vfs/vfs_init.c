/*
 * vfs_init.c — bringing up the VFS faction: the vnode and name caches, the
 * root file system (tmpfs), /dev and /tmp, the cwd and root of every
 * process, and syncing at halt.
 */
#include "vfs.h"

void vcache_init(void);
void nc_init(void);
void vfs_sync_all(bool wait);
int vfs_domount(struct vnode *covered, const char *fstype, const char *source,
    unsigned long flags, const char *opts, struct mount **mpp);

static struct cwdinfo *
cwdi_alloc(struct vnode *cdir, struct vnode *rdir)
{
	struct cwdinfo *cwdi = kmem_alloc(sizeof(*cwdi), KM_SLEEP);

	if (cwdi == NULL)
		return NULL;
	cwdi->cwdi_cdir = cdir;
	cwdi->cwdi_rdir = rdir;
	if (cdir)
		vref(cdir);
	if (rdir)
		vref(rdir);
	return cwdi;
}

static void
cwdi_free(struct cwdinfo *cwdi)
{
	if (cwdi->cwdi_cdir)
		vrele(cwdi->cwdi_cdir);
	if (cwdi->cwdi_rdir)
		vrele(cwdi->cwdi_rdir);
	kmem_free(cwdi, sizeof(*cwdi));
}

/* A child starts where its parent is. */
static int
vfs_proc_fork(struct proc *parent, struct proc *child)
{
	struct cwdinfo *pc, *c;

	mutex_enter(&parent->p_lock);
	pc = parent->p_cwdi;
	c = pc ? cwdi_alloc(pc->cwdi_cdir, pc->cwdi_rdir)
	       : cwdi_alloc(rootvnode, NULL);
	mutex_exit(&parent->p_lock);
	if (c == NULL)
		return ENOMEM;
	child->p_cwdi = c;
	return 0;
}

static void
vfs_proc_exit(struct proc *p)
{
	if (p->p_cwdi != NULL)
		cwdi_free(p->p_cwdi);
	p->p_cwdi = NULL;
}

static void
vfs_proc_fdclose(struct proc *p, struct file *fp)
{
	if (fp->f_ops->fo_type == DTYPE_VNODE)
		vfs_lockf_fdclose(p, fp);
}

static struct proc_hooks vfs_proc_hooks = {
    .ph_fork = vfs_proc_fork,
    .ph_exit = vfs_proc_exit,
    .ph_fdclose = vfs_proc_fdclose,
};

static void
vfs_halt(void)
{
	vfs_sync_all(true);
}
static struct halt_hook vfs_halt_hook = {vfs_halt, NULL};

/* Makes directory `name` in the root with mode, as the kernel. */
static void
root_mkdir(const char *name, mode_t mode)
{
	struct componentname cn = {name, strlen(name), proc0.p_cred};
	struct vnode *vp;
	struct vattr va;
	int error;

	vattr_null(&va);
	va.va_type = VDIR;
	va.va_mode = mode;
	vn_lock(rootvnode, RW_WRITER);
	error = rootvnode->v_op->vop_mkdir(rootvnode, &cn, &va, &vp);
	vn_unlock(rootvnode);
	if (error)
		panic("vfs_init: cannot make /%s: error %d", name, error);
	vrele(vp);
}

RUMP_COMPONENT(RUMP_COMPONENT_VFS)
{
	struct mount *mp;
	int error;

	mutex_init(&mount_lock, MUTEX_DEFAULT);
	vcache_init();
	nc_init();
	error = vfs_domount(NULL, "tmpfs", "rootfs", 0, "mode=0755", &mp);
	if (error)
		panic("vfs_init: cannot mount the root tmpfs: error %d", error);
	rootmount = mp;
	rootvnode = mp->mnt_root;
	vref(rootvnode); /* rootvnode's own reference */

	/* Processes made before the VFS came up start at the root. */
	proc0.p_cwdi = cwdi_alloc(rootvnode, NULL);
	proc1->p_cwdi = cwdi_alloc(rootvnode, NULL);
	if (proc0.p_cwdi == NULL || proc1->p_cwdi == NULL)
		panic("vfs_init: no memory");
	proc_hooks_register(&vfs_proc_hooks);
	halt_hook_register(&vfs_halt_hook);

	root_mkdir("tmp", 01777);
	vfs_dev_mknodes();
	aprint_verbose("vfs: root file system tmpfs\n");
}
