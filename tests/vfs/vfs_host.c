/*
 * vfs_host.c — the host kernel as a target of the VFS conformance suite:
 * the call table is the host's libc (raw syscall() where libc has no
 * wrapper), and the work directory is a fresh mkdtemp directory under
 * /tmp.  This target is the oracle: every case must pass on it or skip
 * with a reason.
 *
 * Setup forks: the child runs the case; the parent waits for it, removes
 * the work directory and exits as the child did, so a failed or skipped
 * case leaves nothing behind.  Second processes are forked children,
 * which drop privileges with setresgid/setresuid when asked (root only).
 * Cases that mount enter a private mount namespace first, so their mounts
 * vanish with the case process.
 */
#include <ftw.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <grp.h>
#include <unistd.h>

#include "vfs.h"

static int
h_open(const char *path, int flags, mode_t mode)
{
	return open(path, flags, mode);
}

static int
h_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	return openat(dirfd, path, flags, mode);
}

static int
h_renameat2(
    int fromfd, const char *from, int tofd, const char *to, unsigned int flags)
{
	return (int)syscall(SYS_renameat2, fromfd, from, tofd, to, flags);
}

static ssize_t
h_getdents64(int fd, void *buf, size_t n)
{
	return syscall(SYS_getdents64, fd, buf, n);
}

static int
h_sync(void)
{
	sync();
	return 0;
}

static int
h_setrlimit(int res, const struct rlimit *rl)
{
	return setrlimit((__rlimit_resource_t)res, rl);
}

static int
h_fcntl(int fd, int cmd, long arg)
{
	return fcntl(fd, cmd, (void *)arg);
}

struct vfs_proc {
	pid_t vp_pid;
};

static struct vfs_proc *
h_proc_start(uid_t uid, gid_t gid, void (*fn)(void *), void *arg)
{
	struct vfs_proc *p;

	if ((uid != (uid_t)-1 || gid != (gid_t)-1) && geteuid() != 0)
		T_SKIP("host: not root, cannot switch to uid %d gid %d",
		    (int)uid, (int)gid);
	p = calloc(1, sizeof(*p));
	T_ASSERT(p != NULL);
	fflush(NULL);
	p->vp_pid = fork();
	T_OK(p->vp_pid);
	if (p->vp_pid == 0) {
		if (gid != (gid_t)-1) {
			T_OK(setgroups(0, NULL));
			T_OK(setresgid(gid, gid, gid));
		}
		if (uid != (uid_t)-1)
			T_OK(setresuid(uid, uid, uid));
		fn(arg);
		fflush(NULL);
		_exit(0);
	}
	return p;
}

static int
h_proc_wait(struct vfs_proc *p)
{
	int status;

	while (waitpid(p->vp_pid, &status, 0) == -1)
		if (errno != EINTR)
			T_FAIL("waitpid: %s", strerror(errno));
	free(p);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
		return 77;
	if (WIFEXITED(status))
		return 1;
	fprintf(
	    stderr, "  second process killed by signal %d\n", WTERMSIG(status));
	return 1;
}

static int
h_mount_prepare(void)
{
	if (geteuid() != 0)
		return EPERM;
	if (unshare(CLONE_NEWNS) == -1)
		return errno;
	/* Keep our mounts from propagating back to the host's namespace. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		return errno;
	return 0;
}

const struct vfs_api vfs_api_host = {
    .open = h_open,
    .openat = h_openat,
    .close = close,
    .read = read,
    .write = write,
    .pread = pread,
    .pwrite = pwrite,
    .lseek = lseek,
    .stat = stat,
    .lstat = lstat,
    .fstat = fstat,
    .fstatat = fstatat,
    .mkdir = mkdir,
    .mkdirat = mkdirat,
    .rmdir = rmdir,
    .unlink = unlink,
    .unlinkat = unlinkat,
    .rename = rename,
    .renameat2 = h_renameat2,
    .link = link,
    .linkat = linkat,
    .symlink = symlink,
    .readlink = readlink,
    .chmod = chmod,
    .fchmod = fchmod,
    .chown = chown,
    .fchown = fchown,
    .lchown = lchown,
    .truncate = truncate,
    .ftruncate = ftruncate,
    .getdents64 = h_getdents64,
    .chdir = chdir,
    .fchdir = fchdir,
    .getcwd = getcwd,
    .chroot = chroot,
    .fsync = fsync,
    .fdatasync = fdatasync,
    .sync = h_sync,
    .utimensat = utimensat,
    .futimens = futimens,
    .access = access,
    .faccessat = faccessat,
    .fcntl = h_fcntl,
    .flock = flock,
    .statfs = statfs,
    .fstatfs = fstatfs,
    .mknod = mknod,
    .dup = dup,
    .dup2 = dup2,
    .pipe2 = pipe2,
    .poll = poll,
    .umask = umask,
    .mount = mount,
    .umount2 = umount2,
    .setrlimit = h_setrlimit,
    .getpid = getpid,
    .geteuid = geteuid,
    .getegid = getegid,
    .clock_gettime = clock_gettime,
    .setxattr = setxattr,
    .lsetxattr = lsetxattr,
    .fsetxattr = fsetxattr,
    .getxattr = getxattr,
    .lgetxattr = lgetxattr,
    .fgetxattr = fgetxattr,
    .listxattr = listxattr,
    .llistxattr = llistxattr,
    .flistxattr = flistxattr,
    .removexattr = removexattr,
    .lremovexattr = lremovexattr,
    .fremovexattr = fremovexattr,
    .proc_start = h_proc_start,
    .proc_wait = h_proc_wait,
    .mount_prepare = h_mount_prepare,
};

/* Cleanup: make every directory writable and searchable, then remove. */
static int
rm_open_up(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type == FTW_D || type == FTW_DNR)
		chmod(path, (st->st_mode & 07777) | 0700);
	return 0;
}

static int
rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	remove(path);
	return 0;
}

static volatile sig_atomic_t host_alarm;

static void
on_alarm(int sig)
{
	(void)sig;
	host_alarm = 1;
}

/*
 * The parent side of setup: wait for the case, clean up, leave as the
 * case did.  On the harness's time limit (SIGALRM) the case is killed and
 * the parent dies by SIGALRM too, so the harness reports the time limit.
 */
static void __attribute__((noreturn)) host_reap(pid_t pid)
{
	struct sigaction sa;
	int status = 0, sig = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL); /* no SA_RESTART: waitpid sees EINTR */
	while (waitpid(pid, &status, 0) == -1) {
		if (errno == EINTR && host_alarm) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			sig = SIGALRM;
			break;
		}
		if (errno != EINTR)
			break;
	}
	nftw(vfs_dir, rm_open_up, 16, FTW_PHYS | FTW_MOUNT);
	nftw(vfs_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	fflush(NULL);
	if (sig == 0 && WIFSIGNALED(status))
		sig = WTERMSIG(status);
	if (sig != 0) {
		signal(sig, SIG_DFL);
		raise(sig);
	}
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

/* Probes the file system of the work directory for what it supports. */
static void
host_probe(struct vfs_target *t)
{
	struct statvfs sv;
	struct statfs sf;
	struct stat st;
	int fd;

	if (geteuid() == 0)
		t->vt_caps |= VFS_ROOT | VFS_MOUNT;
	if (statfs(".", &sf) == 0) {
		if (sf.f_namelen > 0)
			t->vt_name_max = (size_t)sf.f_namelen;
		switch ((unsigned long)sf.f_type) {
		case 0xEF53:     /* ext2/3/4 */
		case 0x01021994: /* tmpfs */
		case 0x58465342: /* xfs */
		case 0x9123683E: /* btrfs */
			t->vt_caps |= VFS_SPARSE;
			break;
		}
	}
	if (statvfs(".", &sv) == 0 && (sv.f_flag & ST_NOATIME))
		t->vt_caps |= VFS_NOATIME;
	/* Timestamps in nanoseconds, or whole seconds on old inodes. */
	fd = open("probe", O_RDWR | O_CREAT, 0600);
	if (fd != -1) {
		struct timespec ts[2] = {{1, 123456789}, {1, 123456789}};

		if (futimens(fd, ts) == 0 && fstat(fd, &st) == 0 &&
		    st.st_mtim.tv_nsec != 123456789)
			t->vt_time_gran_ns = 1000000000;
		close(fd);
		unlink("probe");
	}
	fd = open(".", O_TMPFILE | O_RDWR, 0600);
	if (fd != -1) {
		t->vt_caps |= VFS_TMPFILE;
		close(fd);
	}
	/* Directories that count their subdirectories in st_nlink. */
	if (mkdir("probe", 0755) == 0 && mkdir("probe/x", 0755) == 0 &&
	    stat("probe", &st) == 0 && st.st_nlink == 3)
		t->vt_caps |= VFS_DIRNLINK;
	rmdir("probe/x");
	rmdir("probe");
	/*
	 * User extended attributes, and the longest value the file system
	 * takes (ext4: what fits in a block; tmpfs: a page).
	 */
	fd = open("probe", O_RDWR | O_CREAT, 0600);
	if (fd != -1) {
		static const size_t sizes[] = {65536, 16000, 4000, 1000, 100};
		static char val[65536];

		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			if (fsetxattr(fd, "user.probe", val, sizes[i], 0) ==
			    0) {
				t->vt_caps |= VFS_XATTR;
				t->vt_xattr_max = sizes[i];
				break;
			}
			if (errno != ENOSPC && errno != E2BIG)
				break;
		}
		close(fd);
		unlink("probe");
	}
	if (!(t->vt_caps & VFS_XATTR))
		fprintf(stderr,
		    "  (the host's %s has no user extended attributes: "
		    "xattr cases skip)\n",
		    vfs_dir);
}

void
vfs_setup_host(struct vfs_target *t)
{
	char tmpl[] = "/tmp/rumpk-vfs.XXXXXX";
	char *real;
	pid_t pid;

	if (mkdtemp(tmpl) == NULL)
		T_FAIL("mkdtemp: %s", strerror(errno));
	real = realpath(tmpl, NULL);
	T_ASSERT(real != NULL);
	snprintf(vfs_dir, sizeof(vfs_dir), "%s", real);
	free(real);
	/* Other users (uid 1, 2) must reach the work directory. */
	T_OK(chmod(vfs_dir, 0755));
	fflush(NULL);
	pid = fork();
	if (pid == -1) {
		rmdir(vfs_dir);
		T_FAIL("fork: %s", strerror(errno));
	}
	if (pid != 0)
		host_reap(pid);
	T_OK(chdir(vfs_dir));
	umask(0);
	host_probe(t);
}
