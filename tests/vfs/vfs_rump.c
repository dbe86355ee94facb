/*
 * vfs_rump.c — rumpk as a target of the VFS conformance suite: the call
 * table is rump_sys_*, and setup boots a kernel in the case's process,
 * (optionally) mounts the file system under test on /mnt, and makes and
 * enters a fresh work directory: /t on the root tmpfs, /mnt/t on a mount.
 *
 * Cases run in the implicit context of pid 1 (root).  A second process is
 * a host thread that rforks a kernel process of its own (a copy of pid 1's
 * descriptor table, its cwd and credentials) and drops to the asked
 * uid/gid there; no host fork is needed, since the kernel lives in this
 * host process.
 */
#include <pthread.h>
#include <unistd.h>

#include <rump/rump.h>

#include "vfs.h"

static int
r_open(const char *path, int flags, mode_t mode)
{
	return rump_sys_open(path, flags, mode);
}

static int
r_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	return rump_sys_openat(dirfd, path, flags, mode);
}

static int
r_fcntl(int fd, int cmd, long arg)
{
	return rump_sys_fcntl(fd, cmd, arg);
}

static int
r_futimens(int fd, const struct timespec times[2])
{
	return rump_sys_utimensat(fd, NULL, times, 0);
}

struct vfs_proc {
	pthread_t vp_thread;
	uid_t vp_uid;
	gid_t vp_gid;
	void (*vp_fn)(void *);
	void *vp_arg;
};

static void *
r_proc_main(void *arg)
{
	struct vfs_proc *p = arg;
	int error;

	error = rump_pub_lwproc_rfork(RUMP_RFFDG);
	if (error)
		T_FAIL("rump_pub_lwproc_rfork: %s", strerror(error));
	if (p->vp_gid != (gid_t)-1) {
		T_OK(rump_sys_setgroups(0, NULL));
		T_OK(rump_sys_setgid(p->vp_gid));
	}
	if (p->vp_uid != (uid_t)-1)
		T_OK(rump_sys_setuid(p->vp_uid));
	p->vp_fn(p->vp_arg);
	rump_pub_lwproc_releaselwp();
	return NULL;
}

static struct vfs_proc *
r_proc_start(uid_t uid, gid_t gid, void (*fn)(void *), void *arg)
{
	struct vfs_proc *p = calloc(1, sizeof(*p));
	int error;

	T_ASSERT(p != NULL);
	p->vp_uid = uid;
	p->vp_gid = gid;
	p->vp_fn = fn;
	p->vp_arg = arg;
	error = pthread_create(&p->vp_thread, NULL, r_proc_main, p);
	if (error)
		T_FAIL("pthread_create: %s", strerror(error));
	return p;
}

/* A failure in the thread ends the whole case, so joining means success. */
static int
r_proc_wait(struct vfs_proc *p)
{
	int error = pthread_join(p->vp_thread, NULL);

	free(p);
	return error ? 1 : 0;
}

static int
r_mount_prepare(void)
{
	return 0;
}

const struct vfs_api vfs_api_rump = {
    .open = r_open,
    .openat = r_openat,
    .close = rump_sys_close,
    .read = rump_sys_read,
    .write = rump_sys_write,
    .pread = rump_sys_pread64,
    .pwrite = rump_sys_pwrite64,
    .lseek = rump_sys_lseek,
    .stat = rump_sys_stat,
    .lstat = rump_sys_lstat,
    .fstat = rump_sys_fstat,
    .fstatat = rump_sys_newfstatat,
    .mkdir = rump_sys_mkdir,
    .mkdirat = rump_sys_mkdirat,
    .rmdir = rump_sys_rmdir,
    .unlink = rump_sys_unlink,
    .unlinkat = rump_sys_unlinkat,
    .rename = rump_sys_rename,
    .renameat2 = rump_sys_renameat2,
    .link = rump_sys_link,
    .linkat = rump_sys_linkat,
    .symlink = rump_sys_symlink,
    .readlink = rump_sys_readlink,
    .chmod = rump_sys_chmod,
    .fchmod = rump_sys_fchmod,
    .chown = rump_sys_chown,
    .fchown = rump_sys_fchown,
    .lchown = rump_sys_lchown,
    .truncate = rump_sys_truncate,
    .ftruncate = rump_sys_ftruncate,
    .getdents64 = rump_sys_getdents64,
    .chdir = rump_sys_chdir,
    .fchdir = rump_sys_fchdir,
    .getcwd = rump_sys_getcwd,
    .chroot = rump_sys_chroot,
    .fsync = rump_sys_fsync,
    .fdatasync = rump_sys_fdatasync,
    .sync = rump_sys_sync,
    .utimensat = rump_sys_utimensat,
    .futimens = r_futimens,
    .access = rump_sys_access,
    .faccessat = rump_sys_faccessat,
    .fcntl = r_fcntl,
    .flock = rump_sys_flock,
    .statfs = rump_sys_statfs,
    .fstatfs = rump_sys_fstatfs,
    .mknod = rump_sys_mknod,
    .dup = rump_sys_dup,
    .dup2 = rump_sys_dup2,
    .pipe2 = rump_sys_pipe2,
    .poll = rump_sys_poll,
    .umask = rump_sys_umask,
    .mount = rump_sys_mount,
    .umount2 = rump_sys_umount2,
    .setrlimit = rump_sys_setrlimit,
    .getpid = rump_sys_getpid,
    .geteuid = rump_sys_geteuid,
    .getegid = rump_sys_getegid,
    .clock_gettime = rump_sys_clock_gettime,
    .setxattr = rump_sys_setxattr,
    .lsetxattr = rump_sys_lsetxattr,
    .fsetxattr = rump_sys_fsetxattr,
    .getxattr = rump_sys_getxattr,
    .lgetxattr = rump_sys_lgetxattr,
    .fgetxattr = rump_sys_fgetxattr,
    .listxattr = rump_sys_listxattr,
    .llistxattr = rump_sys_llistxattr,
    .flistxattr = rump_sys_flistxattr,
    .removexattr = rump_sys_removexattr,
    .lremovexattr = rump_sys_lremovexattr,
    .fremovexattr = rump_sys_fremovexattr,
    .proc_start = r_proc_start,
    .proc_wait = r_proc_wait,
    .mount_prepare = r_mount_prepare,
};

void
vfs_setup_rump(struct vfs_target *t)
{
	const char *base = "";
	int error;

	error = rump_init();
	if (error)
		T_FAIL("rump_init: %s", strerror(error));
	if (t->vt_fstype != NULL) {
		if (t->vt_prepare != NULL)
			t->vt_prepare(t);
		if (rump_sys_mkdir("/mnt", 0755) == -1 && errno != EEXIST)
			T_FAIL("setup: mkdir /mnt: %s", strerror(errno));
		if (rump_sys_mount(t->vt_source, "/mnt", t->vt_fstype,
		        t->vt_mntflags, t->vt_mntdata) == -1)
			T_FAIL("setup: mount %s on /mnt: %s", t->vt_fstype,
			    strerror(errno));
		base = "/mnt";
	}
	snprintf(vfs_dir, sizeof(vfs_dir), "%s/t", base);
	rump_sys_umask(0);
	if (rump_sys_mkdir(vfs_dir, 0755) == -1)
		T_FAIL("setup: mkdir %s: %s", vfs_dir, strerror(errno));
	if (rump_sys_chdir(vfs_dir) == -1)
		T_FAIL("setup: chdir %s: %s", vfs_dir, strerror(errno));
}
