/*
 * sys/linux_fs.h — the Linux userspace ABI of files and file systems
 * (x86-64 layouts): struct stat, statx, statfs, linux_dirent64, flock,
 * pollfd, fd_set, file types and permission bits, and the flags of
 * open, *at, mount, umount2, renameat2, fallocate, lseek, access, the
 * extended-attribute calls and the ioctls the VFS answers.  Callers use the
 * host's own headers with the same values.
 */
#ifndef KERNEL_SYS_LINUX_FS_H
#define KERNEL_SYS_LINUX_FS_H

#include "linux_abi.h"

typedef unsigned long dev_t;
typedef unsigned long ino_t;
typedef unsigned long nlink_t;
typedef long blksize_t;
typedef long blkcnt_t;
typedef unsigned long nfds_t;

/* <sys/stat.h> */
#define S_IFMT     0170000
#define S_IFSOCK   0140000
#define S_IFLNK    0120000
#define S_IFREG    0100000
#define S_IFBLK    0060000
#define S_IFDIR    0040000
#define S_IFCHR    0020000
#define S_IFIFO    0010000
#define S_ISUID    04000
#define S_ISGID    02000
#define S_ISVTX    01000
#define S_IRWXU    0700
#define S_IRUSR    0400
#define S_IWUSR    0200
#define S_IXUSR    0100
#define S_IRWXG    070
#define S_IRWXO    07
#define ALLPERMS   07777
#define S_ISDIR(m) (((m)&S_IFMT) == S_IFDIR)
#define S_ISREG(m) (((m)&S_IFMT) == S_IFREG)
#define S_ISLNK(m) (((m)&S_IFMT) == S_IFLNK)

struct stat {
	dev_t st_dev;
	ino_t st_ino;
	nlink_t st_nlink;
	unsigned int st_mode;
	unsigned int st_uid;
	unsigned int st_gid;
	int __pad0;
	dev_t st_rdev;
	off_t st_size;
	blksize_t st_blksize;
	blkcnt_t st_blocks;
	struct timespec st_atim;
	struct timespec st_mtim;
	struct timespec st_ctim;
	long __reserved[3];
};
CTASSERT_ABI(sizeof(struct stat) == 144);

struct statx_timestamp {
	int64_t tv_sec;
	uint32_t tv_nsec;
	int32_t __reserved;
};
struct statx {
	uint32_t stx_mask;
	uint32_t stx_blksize;
	uint64_t stx_attributes;
	uint32_t stx_nlink;
	uint32_t stx_uid;
	uint32_t stx_gid;
	uint16_t stx_mode;
	uint16_t __spare0[1];
	uint64_t stx_ino;
	uint64_t stx_size;
	uint64_t stx_blocks;
	uint64_t stx_attributes_mask;
	struct statx_timestamp stx_atime;
	struct statx_timestamp stx_btime;
	struct statx_timestamp stx_ctime;
	struct statx_timestamp stx_mtime;
	uint32_t stx_rdev_major;
	uint32_t stx_rdev_minor;
	uint32_t stx_dev_major;
	uint32_t stx_dev_minor;
	uint64_t __spare2[14];
};
CTASSERT_ABI(sizeof(struct statx) == 256);
#define STATX_TYPE        0x0001U
#define STATX_MODE        0x0002U
#define STATX_NLINK       0x0004U
#define STATX_UID         0x0008U
#define STATX_GID         0x0010U
#define STATX_ATIME       0x0020U
#define STATX_MTIME       0x0040U
#define STATX_CTIME       0x0080U
#define STATX_INO         0x0100U
#define STATX_SIZE        0x0200U
#define STATX_BLOCKS      0x0400U
#define STATX_BASIC_STATS 0x07ffU
#define STATX_BTIME       0x0800U

struct statfs {
	long f_type;
	long f_bsize;
	unsigned long f_blocks;
	unsigned long f_bfree;
	unsigned long f_bavail;
	unsigned long f_files;
	unsigned long f_ffree;
	struct {
		int val[2];
	} f_fsid;
	long f_namelen;
	long f_frsize;
	long f_flags;
	long f_spare[4];
};
CTASSERT_ABI(sizeof(struct statfs) == 120);
#define TMPFS_MAGIC      0x01021994
#define EXT2_SUPER_MAGIC 0xEF53

/* getdents64 records; d_reclen rounds up to 8 bytes. */
struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};
#define DT_UNKNOWN 0
#define DT_FIFO    1
#define DT_CHR     2
#define DT_DIR     4
#define DT_BLK     6
#define DT_REG     8
#define DT_LNK     10
#define DT_SOCK    12

/* *at() */
#define AT_FDCWD            (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR        0x200
#define AT_SYMLINK_FOLLOW   0x400
#define AT_EACCESS          0x200
#define AT_NO_AUTOMOUNT     0x800
#define AT_EMPTY_PATH       0x1000
#define AT_STATX_SYNC_TYPE  0x6000

/* access() */
#define F_OK 0
#define X_OK 1
#define W_OK 2
#define R_OK 4

/* lseek() */
#define SEEK_SET  0
#define SEEK_CUR  1
#define SEEK_END  2
#define SEEK_DATA 3
#define SEEK_HOLE 4

/* utimensat() */
#define UTIME_NOW  ((1l << 30) - 1l)
#define UTIME_OMIT ((1l << 30) - 2l)

/* renameat2() */
#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE  2
#define RENAME_WHITEOUT  4

/* fallocate() */
#define FALLOC_FL_KEEP_SIZE  0x01
#define FALLOC_FL_PUNCH_HOLE 0x02

/* mount() and umount2() */
#define MS_RDONLY       1
#define MS_NOSUID       2
#define MS_NODEV        4
#define MS_NOEXEC       8
#define MS_SYNCHRONOUS  16
#define MS_REMOUNT      32
#define MS_MANDLOCK     64
#define MS_DIRSYNC      128
#define MS_NOATIME      1024
#define MS_NODIRATIME   2048
#define MS_BIND         4096
#define MS_MOVE         8192
#define MS_REC          16384
#define MS_SILENT       32768
#define MS_RELATIME     (1 << 21)
#define MS_STRICTATIME  (1 << 24)
#define MS_LAZYTIME     (1 << 25)
#define MNT_FORCE       1
#define MNT_DETACH      2
#define MNT_EXPIRE      4
#define UMOUNT_NOFOLLOW 8
/* statfs f_flags */
#define ST_RDONLY      1
#define ST_NOSUID      2
#define ST_NODEV       4
#define ST_NOEXEC      8
#define ST_SYNCHRONOUS 16
#define ST_VALID       32
#define ST_NOATIME     1024
#define ST_RELATIME    4096

/* fcntl() record locks */
#define F_GETLK      5
#define F_SETLK      6
#define F_SETLKW     7
#define F_OFD_GETLK  36
#define F_OFD_SETLK  37
#define F_OFD_SETLKW 38
#define F_RDLCK      0
#define F_WRLCK      1
#define F_UNLCK      2
struct flock {
	short l_type;
	short l_whence;
	off_t l_start;
	off_t l_len;
	pid_t l_pid;
};
CTASSERT_ABI(sizeof(struct flock) == 32);

/* flock() */
#define LOCK_SH 1
#define LOCK_EX 2
#define LOCK_NB 4
#define LOCK_UN 8

/* close_range() */
#define CLOSE_RANGE_UNSHARE 2
#define CLOSE_RANGE_CLOEXEC 4

/* poll() and select() */
#define POLLIN     0x001
#define POLLPRI    0x002
#define POLLOUT    0x004
#define POLLERR    0x008
#define POLLHUP    0x010
#define POLLNVAL   0x020
#define POLLRDNORM 0x040
#define POLLRDBAND 0x080
#define POLLWRNORM 0x100
#define POLLWRBAND 0x200
#define POLLRDHUP  0x2000
struct pollfd {
	int fd;
	short events;
	short revents;
};
#define FD_SETSIZE 1024
typedef struct {
	unsigned long fds_bits[FD_SETSIZE / (8 * sizeof(unsigned long))];
} fd_set;

/* ioctl() */
#define FIONREAD     0x541B
#define FIONBIO      0x5421
#define FIOCLEX      0x5451
#define FIONCLEX     0x5450
#define TCGETS       0x5401
#define BLKGETSIZE64 0x80081272
#define BLKSSZGET    0x1268
#define BLKGETSIZE   0x1260
#define BLKFLSBUF    0x1261

/* Limits */
#define NAME_MAX    255
#define PATH_MAX    4096
#define PIPE_BUF    4096
#define MAXSYMLINKS 40

/* <sys/xattr.h> and Linux's <linux/limits.h> */
#define XATTR_CREATE   0x1
#define XATTR_REPLACE  0x2
#define XATTR_NAME_MAX 255   /* a whole name, prefix included */
#define XATTR_SIZE_MAX 65536 /* a value */
#define XATTR_LIST_MAX 65536 /* the list listxattr returns */

/* Device numbers, glibc's encoding */
#define major(d) ((unsigned)((((d) >> 32) & 0xfffff000) | (((d) >> 8) & 0xfff)))
#define minor(d) ((unsigned)((((d) >> 12) & 0xffffff00) | ((d)&0xff)))
#define makedev(ma, mi)                                                        \
	((dev_t)((((dev_t)(ma)&0xfffff000) << 32) |                            \
	    (((dev_t)(ma)&0xfff) << 8) | (((dev_t)(mi)&0xffffff00) << 12) |    \
	    ((dev_t)(mi)&0xff)))

#endif /* KERNEL_SYS_LINUX_FS_H */
