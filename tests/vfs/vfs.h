/*
 * vfs.h — the file-system-independent conformance suite: one set of cases
 * (vfs_cases.c) run against several targets.
 *
 * A target is a table of system calls (struct vfs_api: the host's libc in
 * vfs_host.c, rump_sys_* in vfs_rump.c), a setup function that makes a fresh
 * work directory and enters it, and the capabilities of the file system
 * under test (symlinks, hard links, permissions, ...).  Each test program
 * defines the one target it runs against (vfs_target) and links the same
 * vfs_cases.o: build/tests/vfs/t_vfs_host checks the cases against the host
 * kernel, which is the oracle, and t_vfs_tmpfs runs them on rumpk's root
 * tmpfs.  A later program for a disk file system fills in vt_fstype and
 * friends and clears the capabilities its file system lacks.
 *
 * A case is written once with VFS_CASE(name, desc) { ... }; its body gets
 * the target t and its call table v, and runs in the work directory.  A
 * case that cannot run on a target says why with T_SKIP, usually through
 * vfs_need().
 */
#ifndef TESTS_VFS_VFS_H
#define TESTS_VFS_VFS_H

#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <time.h>

#include "harness.h"

/* renameat2 flags; older C libraries do not define them. */
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

/* Linux's struct linux_dirent64, which getdents64 fills. */
struct vfs_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* A process made by proc_start: opaque, owned by the api until proc_wait. */
struct vfs_proc;

/*
 * The system calls a case may make.  Members are named after the calls
 * (not given a struct prefix) so that a case reads like the program it
 * stands for: v->open(...), v->rename(...).  Each behaves as the libc
 * function of that name: -1 and errno on failure.
 */
struct vfs_api {
	int (*open)(const char *path, int flags, mode_t mode);
	int (*openat)(int dirfd, const char *path, int flags, mode_t mode);
	int (*close)(int fd);
	ssize_t (*read)(int fd, void *buf, size_t n);
	ssize_t (*write)(int fd, const void *buf, size_t n);
	ssize_t (*pread)(int fd, void *buf, size_t n, off_t off);
	ssize_t (*pwrite)(int fd, const void *buf, size_t n, off_t off);
	off_t (*lseek)(int fd, off_t off, int whence);
	int (*stat)(const char *path, struct stat *st);
	int (*lstat)(const char *path, struct stat *st);
	int (*fstat)(int fd, struct stat *st);
	int (*fstatat)(int dirfd, const char *path, struct stat *st, int flags);
	int (*mkdir)(const char *path, mode_t mode);
	int (*mkdirat)(int dirfd, const char *path, mode_t mode);
	int (*rmdir)(const char *path);
	int (*unlink)(const char *path);
	int (*unlinkat)(int dirfd, const char *path, int flags);
	int (*rename)(const char *from, const char *to);
	int (*renameat2)(int fromfd, const char *from, int tofd, const char *to,
	    unsigned int flags);
	int (*link)(const char *from, const char *to);
	int (*linkat)(
	    int fromfd, const char *from, int tofd, const char *to, int flags);
	int (*symlink)(const char *target, const char *path);
	ssize_t (*readlink)(const char *path, char *buf, size_t n);
	int (*chmod)(const char *path, mode_t mode);
	int (*fchmod)(int fd, mode_t mode);
	int (*chown)(const char *path, uid_t uid, gid_t gid);
	int (*fchown)(int fd, uid_t uid, gid_t gid);
	int (*lchown)(const char *path, uid_t uid, gid_t gid);
	int (*truncate)(const char *path, off_t len);
	int (*ftruncate)(int fd, off_t len);
	ssize_t (*getdents64)(int fd, void *buf, size_t n);
	int (*chdir)(const char *path);
	int (*fchdir)(int fd);
	/* The buffer, or NULL and errno, as libc's getcwd. */
	char *(*getcwd)(char *buf, size_t size);
	int (*chroot)(const char *path);
	int (*fsync)(int fd);
	int (*fdatasync)(int fd);
	int (*sync)(void);
	int (*utimensat)(int dirfd, const char *path,
	    const struct timespec times[2], int flags);
	int (*futimens)(int fd, const struct timespec times[2]);
	int (*access)(const char *path, int mode);
	int (*faccessat)(int dirfd, const char *path, int mode, int flags);
	int (*fcntl)(int fd, int cmd, long arg);
	int (*flock)(int fd, int op);
	int (*statfs)(const char *path, struct statfs *sf);
	int (*fstatfs)(int fd, struct statfs *sf);
	int (*mknod)(const char *path, mode_t mode, dev_t dev);
	int (*dup)(int fd);
	int (*dup2)(int fd, int to);
	int (*pipe2)(int fds[2], int flags);
	int (*poll)(struct pollfd *fds, nfds_t n, int timeout);
	mode_t (*umask)(mode_t mask);
	int (*mount)(const char *src, const char *dir, const char *type,
	    unsigned long flags, const void *data);
	int (*umount2)(const char *dir, int flags);
	int (*setrlimit)(int res, const struct rlimit *rl);
	pid_t (*getpid)(void);
	uid_t (*geteuid)(void);
	gid_t (*getegid)(void);
	int (*clock_gettime)(clockid_t clk, struct timespec *ts);
	int (*setxattr)(const char *path, const char *name, const void *val,
	    size_t len, int flags);
	int (*lsetxattr)(const char *path, const char *name, const void *val,
	    size_t len, int flags);
	int (*fsetxattr)(
	    int fd, const char *name, const void *val, size_t len, int flags);
	ssize_t (*getxattr)(
	    const char *path, const char *name, void *val, size_t len);
	ssize_t (*lgetxattr)(
	    const char *path, const char *name, void *val, size_t len);
	ssize_t (*fgetxattr)(int fd, const char *name, void *val, size_t len);
	ssize_t (*listxattr)(const char *path, char *list, size_t len);
	ssize_t (*llistxattr)(const char *path, char *list, size_t len);
	ssize_t (*flistxattr)(int fd, char *list, size_t len);
	int (*removexattr)(const char *path, const char *name);
	int (*lremovexattr)(const char *path, const char *name);
	int (*fremovexattr)(int fd, const char *name);

	/*
	 * A second process of the system under test running fn(arg)
	 * concurrently with the caller, with its own descriptor table (a
	 * copy of the caller's) and, unless uid/gid are -1, the credentials
	 * uid/gid and no supplementary groups.  The host forks; rumpk runs
	 * fn on a new host thread in an rforked kernel process.  fn may use
	 * the T_ macros.  proc_wait returns 0 when fn returned, 77 when it
	 * skipped, 1 when it failed.  Memory the two share must come from
	 * vfs_shared_alloc().
	 */
	struct vfs_proc *(*proc_start)(
	    uid_t uid, gid_t gid, void (*fn)(void *), void *arg);
	int (*proc_wait)(struct vfs_proc *p);
	/*
	 * Makes mounting possible for this case (the host enters a private
	 * mount namespace); 0 or an errno.
	 */
	int (*mount_prepare)(void);
};

/* Capabilities of a target (vt_caps). */
enum {
	VFS_SYMLINKS = 1 << 0,  /* symbolic links */
	VFS_HARDLINKS = 1 << 1, /* more than one link to a file */
	VFS_SPECIALS = 1 << 2,  /* mknod: fifos and device nodes */
	VFS_PERMS = 1 << 3,     /* mode bits and owners stored and enforced */
	VFS_RDONLY = 1 << 4,    /* the file system under test is read-only */
	VFS_CASEFOLD = 1 << 5,  /* names compare without case */
	VFS_SPARSE = 1 << 6,    /* holes use no blocks; SEEK_DATA/SEEK_HOLE */
	VFS_TMPFILE = 1 << 7,   /* O_TMPFILE */
	VFS_ROOT = 1 << 8,      /* the caller is root (may drop privileges) */
	VFS_MOUNT = 1 << 9,     /* the case may mount tmpfs file systems */
	VFS_RUMPK = 1 << 10,   /* rumpk: checks only it can take (NULL paths) */
	VFS_NOATIME = 1 << 11, /* reads never update atime */
	VFS_ANYNAME = 1 << 12, /* a name may hold any byte but '/' and NUL */
	VFS_DIRNLINK = 1 << 13, /* a directory's st_nlink counts its subdirs */
	VFS_XATTR = 1 << 14,    /* extended attributes: user., trusted., ... */
};

struct vfs_target {
	const char *vt_name;
	const struct vfs_api *vt_api;
	unsigned int vt_caps;
	size_t vt_name_max;        /* longest name, in bytes */
	off_t vt_max_file_size;    /* largest file size, 0: not tested */
	long vt_time_gran_ns;      /* granularity of mtime, in ns */
	unsigned long vt_fs_magic; /* statfs f_type, 0: not checked */
	/*
	 * Makes a fresh work directory, enters it and writes its absolute
	 * path to vfs_dir; may adjust the capabilities after probing.  Fails
	 * the case (T_FAIL) when it cannot.
	 */
	void (*vt_setup)(struct vfs_target *t);
	/*
	 * For targets that test a mounted file system (rumpk): after boot,
	 * vt_prepare (if set) registers what the mount needs, then
	 * vt_source is mounted on /mnt as vt_fstype with vt_mntflags and
	 * vt_mntdata, and the work directory is made inside.
	 */
	void (*vt_prepare)(const struct vfs_target *t);
	const char *vt_fstype;
	const char *vt_source;
	unsigned long vt_mntflags;
	const char *vt_mntdata;
	/*
	 * After a case body returned (passed so far), in the case's process:
	 * e.g. unmount and check the image with the file system's own fsck.
	 * May fail the case (T_FAIL).  NULL: nothing.
	 */
	void (*vt_teardown)(const struct vfs_target *t);
	/* The longest symlink target, in bytes; 0: 4095 (PATH_MAX - 1). */
	size_t vt_symlink_max;
	/*
	 * With VFS_XATTR: the longest value one attribute of a file with
	 * no others surely holds (ext4: what fits in a block).
	 */
	size_t vt_xattr_max;
};

/* The target of this program; defined by its main file. */
extern struct vfs_target *vfs_target;
/* The absolute path of the work directory of the running case. */
extern char vfs_dir[512];

extern const struct vfs_api vfs_api_host, vfs_api_rump;
void vfs_setup_host(struct vfs_target *t);
void vfs_setup_rump(struct vfs_target *t);

/* Memory that a process made by proc_start shares with its parent. */
void *vfs_shared_alloc(size_t len);

/* Skips the case unless the target has every capability in caps. */
void vfs_need(const struct vfs_target *t, unsigned int caps);

/* Sets up the target, then runs a case body in the work directory. */
void vfs_run(void (*body)(struct vfs_target *, const struct vfs_api *));

#define VFS_CASE(name, desc)                                                   \
	static void name##_body(struct vfs_target *, const struct vfs_api *);  \
	T_CASE(name, desc)                                                     \
	{                                                                      \
		vfs_run(name##_body);                                          \
	}                                                                      \
	static void name##_body(__attribute__((unused)) struct vfs_target *t,  \
	    __attribute__((unused)) const struct vfs_api *v)

#endif /* TESTS_VFS_VFS_H */
