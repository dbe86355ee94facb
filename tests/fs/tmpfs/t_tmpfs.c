/*
 * t_tmpfs.c — tmpfs (kernel/fs/tmpfs) from the caller's side, through
 * rump_sys_* with the host's own constants: mount options and limits
 * (size, nr_inodes, mode, uid, gid), a full file system, statfs, large
 * directories, sparse files with SEEK_DATA/SEEK_HOLE and fallocate,
 * rename (with RENAME_EXCHANGE), readdir while entries go, link counts,
 * extended attributes against the size limit, and threads working in
 * directories of their own.
 *
 * Each case boots a kernel and mounts a tmpfs of its own on /mnt.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <rump/rump.h>

#include "harness.h"
#include "rumptest.h"

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif
#define TMPFS_MAGIC 0x01021994
#define PG          4096

struct ldirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* Boots and mounts a tmpfs with opts on /mnt. */
static void
boot_mount(const char *opts)
{
	t_boot();
	if (rump_sys_mkdir("/mnt", 0755) == -1 && errno != EEXIST)
		T_FAIL("mkdir /mnt: %s", strerror(errno));
	T_OK(rump_sys_mount("tmpfs", "/mnt", "tmpfs", 0, opts));
}

static void
make_file(const char *path, size_t len, char c)
{
	char buf[PG];
	int fd;

	memset(buf, c, sizeof(buf));
	T_OK(fd = rump_sys_open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644));
	for (size_t off = 0; off < len; off += sizeof(buf)) {
		size_t n = len - off < sizeof(buf) ? len - off : sizeof(buf);

		T_EQ(rump_sys_write(fd, buf, n), n);
	}
	T_OK(rump_sys_close(fd));
}

static long long
blocks_of(const char *path)
{
	struct stat st;

	T_OK(rump_sys_stat(path, &st));
	return st.st_blocks;
}

/* ------------------------------------------------------------ options */

T_CASE(default_root, "the root tmpfs and a plain mount: a directory of 0755")
{
	struct statfs sf;
	struct stat st;

	boot_mount(NULL);
	T_OK(rump_sys_statfs("/", &sf));
	T_EQ(sf.f_type, TMPFS_MAGIC);
	T_OK(rump_sys_statfs("/mnt", &sf));
	T_EQ(sf.f_type, TMPFS_MAGIC);
	T_OK(rump_sys_stat("/mnt", &st));
	T_ASSERT(S_ISDIR(st.st_mode));
	T_EQ(st.st_mode & 07777, 0755);
	T_EQ(st.st_nlink, 2);
	T_EQ(st.st_uid, 0);
	T_OK(rump_sys_umount2("/mnt", 0));
}

T_CASE(mount_opts, "mode=, uid=, gid= set the root; nr_inodes= limits nodes")
{
	struct stat st;
	int fd;

	boot_mount("mode=01770,uid=123,gid=456,nr_inodes=3");
	T_OK(rump_sys_stat("/mnt", &st));
	T_EQ(st.st_mode, S_IFDIR | 01770);
	T_EQ(st.st_uid, 123);
	T_EQ(st.st_gid, 456);
	/* The root is one node: two more fit. */
	T_OK(fd = rump_sys_open("/mnt/a", O_CREAT | O_WRONLY, 0600));
	T_OK(rump_sys_close(fd));
	T_OK(rump_sys_mkdir("/mnt/b", 0700));
	T_ERRNO(rump_sys_open("/mnt/c", O_CREAT | O_WRONLY, 0600), ENOSPC);
	T_ERRNO(rump_sys_symlink("a", "/mnt/c"), ENOSPC);
	T_OK(rump_sys_unlink("/mnt/a"));
	T_OK(rump_sys_symlink("b", "/mnt/c"));
}

T_CASE(bad_options, "unknown options and malformed values are EINVAL")
{
	boot_mount(NULL);
	T_OK(rump_sys_mkdir("/mnt/x", 0755));
	T_ERRNO(
	    rump_sys_mount("tmpfs", "/mnt/x", "tmpfs", 0, "bogus=1"), EINVAL);
	T_ERRNO(rump_sys_mount("tmpfs", "/mnt/x", "tmpfs", 0, "nosuchflag"),
	    EINVAL);
	T_ERRNO(
	    rump_sys_mount("tmpfs", "/mnt/x", "tmpfs", 0, "size=abc"), EINVAL);
	T_ERRNO(rump_sys_mount("tmpfs", "/mnt/x", "tmpfs", 0, "size="), EINVAL);
	T_ERRNO(rump_sys_mount("tmpfs", "/mnt/x", "tmpfs", 0, "size"), EINVAL);
	T_ERRNO(
	    rump_sys_mount("tmpfs", "/mnt/x", "tmpfs", 0, "mode=0999"), EINVAL);
	T_ERRNO(
	    rump_sys_mount("tmpfs", "/mnt/x", "tmpfs", 0, "uid=-1"), EINVAL);
	T_ERRNO(rump_sys_mount("tmpfs", "/mnt/x", "tmpfs", 0, "size=1m,gid=x"),
	    EINVAL);
	/* Linux's options that mean nothing here are accepted. */
	T_OK(rump_sys_mount("tmpfs", "/mnt/x", "tmpfs", 0,
	    "size=1M,huge=never,inode64,,nr_inodes=1k"));
	T_OK(rump_sys_umount2("/mnt/x", 0));
}

/* --------------------------------------------------------- size limit */

T_CASE(fill_enospc,
    "a size=1m tmpfs fills to ENOSPC with a short write; "
    "deleting frees the space")
{
	static char buf[100000];
	struct statfs sf;
	size_t total = 0;
	ssize_t n;
	int fd;

	boot_mount("size=1m");
	T_OK(rump_sys_statfs("/mnt", &sf));
	T_EQ(sf.f_blocks, 256);
	T_EQ(sf.f_bfree, 256);
	memset(buf, 'z', sizeof(buf));
	T_OK(fd = rump_sys_open("/mnt/big", O_CREAT | O_WRONLY, 0644));
	for (;;) {
		n = rump_sys_write(fd, buf, sizeof(buf));
		if (n == -1) {
			T_EQ(errno, ENOSPC);
			break;
		}
		total += (size_t)n;
		if ((size_t)n < sizeof(buf))
			T_EQ(total, 1 << 20); /* the short one fills it */
		T_ASSERT(total <= 1 << 20);
	}
	T_EQ(total, 1 << 20);
	T_OK(rump_sys_statfs("/mnt", &sf));
	T_EQ(sf.f_bfree, 0);
	T_EQ(sf.f_bavail, 0);
	/* A hole costs nothing, but writing into it does. */
	T_ERRNO(rump_sys_pwrite64(fd, buf, 1, 10 << 20), ENOSPC);
	T_OK(rump_sys_close(fd));
	T_OK(fd = rump_sys_open("/mnt/other", O_CREAT | O_WRONLY, 0644));
	T_ERRNO(rump_sys_write(fd, buf, 1), ENOSPC);
	T_OK(rump_sys_close(fd));

	T_OK(rump_sys_unlink("/mnt/big"));
	T_OK(rump_sys_statfs("/mnt", &sf));
	T_EQ(sf.f_bfree, 256);
	make_file("/mnt/again", 512 * 1024, 'a');
	T_OK(rump_sys_truncate("/mnt/again", 4096 * 3 + 1));
	T_OK(rump_sys_statfs("/mnt", &sf));
	T_EQ(sf.f_bfree, 256 - 4);
}

T_CASE(enospc_open_unlinked,
    "an open unlinked file keeps its pages until "
    "closed")
{
	struct statfs sf;
	int fd;

	boot_mount("size=64k");
	make_file("/mnt/f", 64 * 1024, 'q');
	T_OK(fd = rump_sys_open("/mnt/f", O_RDONLY));
	T_OK(rump_sys_unlink("/mnt/f"));
	T_OK(rump_sys_statfs("/mnt", &sf));
	T_EQ(sf.f_bfree, 0);
	T_OK(rump_sys_close(fd));
	T_OK(rump_sys_statfs("/mnt", &sf));
	T_EQ(sf.f_bfree, 16);
}

T_CASE(remount_size, "remount changes the size, never below what is used")
{
	struct statfs sf;

	boot_mount("size=1m");
	make_file("/mnt/f", 512 * 1024, 'r');
	T_ERRNO(rump_sys_mount(NULL, "/mnt", NULL, MS_REMOUNT, "size=256k"),
	    EINVAL);
	T_OK(rump_sys_mount(NULL, "/mnt", NULL, MS_REMOUNT, "size=2m"));
	T_OK(rump_sys_statfs("/mnt", &sf));
	T_EQ(sf.f_blocks, 512);
	T_EQ(sf.f_bfree, 512 - 128);
	T_ERRNO(rump_sys_mount(NULL, "/mnt", NULL, MS_REMOUNT, "junk"), EINVAL);
}

T_CASE(statfs_numbers, "statfs: magic, block size, blocks and nodes used")
{
	struct statfs sf;
	int fd;

	boot_mount("size=4m,nr_inodes=100");
	T_OK(rump_sys_statfs("/mnt", &sf));
	T_EQ(sf.f_type, TMPFS_MAGIC);
	T_EQ(sf.f_bsize, PG);
	T_EQ(sf.f_frsize, PG);
	T_EQ(sf.f_blocks, 1024);
	T_EQ(sf.f_bfree, 1024);
	T_EQ(sf.f_bavail, 1024);
	T_EQ(sf.f_files, 100);
	T_EQ(sf.f_ffree, 99);
	T_EQ(sf.f_namelen, 255);
	make_file("/mnt/f", 10 * PG - 1, 'n');
	T_OK(rump_sys_mkdir("/mnt/d", 0755));
	T_OK(rump_sys_statfs("/mnt", &sf));
	T_EQ(sf.f_bfree, 1014);
	T_EQ(sf.f_ffree, 97);
	T_OK(fd = rump_sys_open("/mnt/f", O_RDONLY));
	T_OK(rump_sys_fstatfs(fd, &sf));
	T_EQ(sf.f_bfree, 1014);
	T_OK(rump_sys_close(fd));
	T_OK(rump_sys_unlink("/mnt/f"));
	T_OK(rump_sys_rmdir("/mnt/d"));
	T_OK(rump_sys_statfs("/mnt", &sf));
	T_EQ(sf.f_bfree, 1024);
	T_EQ(sf.f_ffree, 99);
	/* Unlimited: a large number that still moves with use. */
	T_OK(rump_sys_statfs("/", &sf));
	T_ASSERT(sf.f_blocks >= 1 << 20);
	T_ASSERT(sf.f_bfree <= sf.f_blocks);
}

T_CASE(xattr_space,
    "extended attributes count against size= in pages: ENOSPC when "
    "full, space back on remove and unlink; EROFS read-only")
{
	static char val[65536];
	struct statfs sf;
	int fd;

	boot_mount("size=64k");
	memset(val, 'v', sizeof(val));
	make_file("/mnt/f", 0, 'x');
	T_OK(rump_sys_setxattr("/mnt/f", "user.big1", val, 60000, 0));
	T_OK(rump_sys_statfs("/mnt", &sf));
	T_EQ(sf.f_bfree, 1); /* 60000 bytes and their entry: 15 pages */
	T_OK(rump_sys_setxattr("/mnt/f", "trusted.b2", val, 4000, 0));
	T_OK(rump_sys_statfs("/mnt", &sf));
	T_EQ(sf.f_bfree, 0);
	T_ERRNO(rump_sys_setxattr("/mnt/f", "user.b3", val, 2000, 0), ENOSPC);
	T_ERRNO(rump_sys_getxattr("/mnt/f", "user.b3", NULL, 0), ENODATA);
	/* A value that would grow past the limit is refused whole. */
	T_ERRNO(
	    rump_sys_setxattr("/mnt/f", "trusted.b2", val, 9000, 0), ENOSPC);
	T_EQ(rump_sys_getxattr("/mnt/f", "trusted.b2", NULL, 0), 4000);
	make_file("/mnt/g", 0, 'x');
	T_OK(fd = rump_sys_open("/mnt/g", O_WRONLY));
	T_ERRNO(rump_sys_write(fd, val, PG), ENOSPC);
	T_OK(rump_sys_close(fd));
	T_OK(rump_sys_removexattr("/mnt/f", "user.big1"));
	T_OK(rump_sys_statfs("/mnt", &sf));
	T_EQ(sf.f_bfree, 15);
	T_OK(rump_sys_setxattr("/mnt/g", "user.g", val, 20000, 0));
	/* An unlinked file keeps its attributes while open. */
	T_OK(fd = rump_sys_open("/mnt/g", O_RDONLY));
	T_OK(rump_sys_unlink("/mnt/g"));
	T_EQ(rump_sys_fgetxattr(fd, "user.g", NULL, 0), 20000);
	T_OK(rump_sys_statfs("/mnt", &sf));
	T_EQ(sf.f_bfree, 10);
	T_OK(rump_sys_close(fd));
	T_OK(rump_sys_statfs("/mnt", &sf));
	T_EQ(sf.f_bfree, 15);
	T_OK(rump_sys_unlink("/mnt/f"));
	T_OK(rump_sys_statfs("/mnt", &sf));
	T_EQ(sf.f_bfree, 16);
	/* Read-only: reading stays, changing is EROFS. */
	make_file("/mnt/r", 0, 'x');
	T_OK(rump_sys_setxattr("/mnt/r", "user.r", "r", 1, 0));
	T_OK(rump_sys_mount(NULL, "/mnt", NULL, MS_REMOUNT | MS_RDONLY, NULL));
	T_EQ(rump_sys_getxattr("/mnt/r", "user.r", NULL, 0), 1);
	T_EQ(rump_sys_listxattr("/mnt/r", NULL, 0), 7);
	T_ERRNO(rump_sys_setxattr("/mnt/r", "user.r", "x", 1, 0), EROFS);
	T_ERRNO(rump_sys_removexattr("/mnt/r", "user.r"), EROFS);
	T_ERRNO(rump_sys_setxattr("/mnt/r", "trusted.r", "x", 1, 0), EROFS);
	T_OK(rump_sys_mount(NULL, "/mnt", NULL, MS_REMOUNT, NULL));
	T_OK(rump_sys_removexattr("/mnt/r", "user.r"));
}

/* --------------------------------------------------------- directories */

T_CASE(bigdir, "100,000 files in one directory: create, stat, list, unlink")
{
	enum { N = 100000 };
	static char buf[65536];
	char path[64];
	struct stat st;
	uint64_t t0 = t_now_ns(), t1;
	long count = 0;
	ssize_t n;
	int fd;

	boot_mount(NULL);
	T_OK(rump_sys_mkdir("/mnt/d", 0755));
	for (int i = 0; i < N; i++) {
		snprintf(path, sizeof(path), "/mnt/d/file%d", i);
		fd = rump_sys_open(path, O_CREAT | O_EXCL | O_WRONLY, 0644);
		if (fd == -1)
			T_FAIL("create %s: %s", path, strerror(errno));
		T_OK(rump_sys_close(fd));
	}
	T_OK(rump_sys_stat("/mnt/d", &st));
	T_EQ(st.st_size, (N + 2) * 20);
	for (int i = 0; i < N; i++) {
		snprintf(path, sizeof(path), "/mnt/d/file%d", i);
		if (rump_sys_stat(path, &st) == -1)
			T_FAIL("stat %s: %s", path, strerror(errno));
	}
	T_ERRNO(rump_sys_stat("/mnt/d/file100000", &st), ENOENT);
	T_OK(fd = rump_sys_open("/mnt/d", O_RDONLY | O_DIRECTORY));
	while ((n = rump_sys_getdents64(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off < n;) {
			struct ldirent64 *d = (struct ldirent64 *)(buf + off);

			count++;
			off += d->d_reclen;
		}
	}
	T_EQ(n, 0);
	T_EQ(count, N + 2);
	T_OK(rump_sys_close(fd));
	for (int i = 0; i < N; i++) {
		snprintf(path, sizeof(path), "/mnt/d/file%d", i);
		if (rump_sys_unlink(path) == -1)
			T_FAIL("unlink %s: %s", path, strerror(errno));
	}
	T_OK(rump_sys_rmdir("/mnt/d"));
	t1 = t_now_ns();
	printf("bigdir: %d files created, stated, listed, removed in %.2f s\n",
	    N, (double)(t1 - t0) / 1e9);
	T_ASSERT(t1 - t0 < 60ull * 1000000000ull);
}

T_CASE(readdir_deleting,
    "readdir while deleting: every remaining entry seen "
    "exactly once")
{
	enum { N = 2000 };
	static unsigned char seen[N], gone[N];
	char buf[512], path[64];
	int fd, nseen = 0, ngone = 0;
	ssize_t n;

	boot_mount(NULL);
	T_OK(rump_sys_mkdir("/mnt/d", 0755));
	for (int i = 0; i < N; i++) {
		snprintf(path, sizeof(path), "/mnt/d/%d", i);
		make_file(path, 0, 0);
	}
	T_OK(fd = rump_sys_open("/mnt/d", O_RDONLY | O_DIRECTORY));
	while ((n = rump_sys_getdents64(fd, buf, sizeof(buf))) > 0) {
		int batch[64], nbatch = 0;

		for (ssize_t off = 0; off < n;) {
			struct ldirent64 *d = (struct ldirent64 *)(buf + off);
			int i;

			off += d->d_reclen;
			if (strcmp(d->d_name, ".") == 0 ||
			    strcmp(d->d_name, "..") == 0)
				continue;
			i = atoi(d->d_name);
			T_ASSERT(i >= 0 && i < N);
			if (seen[i] || gone[i])
				T_FAIL(
				    "entry %d seen twice or after removal", i);
			T_EQ(d->d_type, DT_REG);
			seen[i] = 1;
			nseen++;
			T_ASSERT(nbatch < 64);
			batch[nbatch++] = i;
			snprintf(path, sizeof(path), "/mnt/d/%d", i);
			T_OK(rump_sys_unlink(path));
		}
		/* Also remove some not seen yet: they must not show up. */
		for (int k = 0; k < nbatch; k++) {
			int j = batch[k] + 7;

			if (batch[k] % 3 == 0 && j < N && !seen[j] &&
			    !gone[j]) {
				snprintf(path, sizeof(path), "/mnt/d/%d", j);
				T_OK(rump_sys_unlink(path));
				gone[j] = 1;
				ngone++;
			}
		}
	}
	T_EQ(n, 0);
	T_EQ(nseen + ngone, N);
	T_OK(rump_sys_close(fd));
	T_OK(rump_sys_rmdir("/mnt/d"));
}

T_CASE(readdir_seek, "telldir cookies stay valid across removals")
{
	char buf[4096];
	struct ldirent64 *d;
	off_t cookie;
	ssize_t n;
	int fd;

	boot_mount(NULL);
	make_file("/mnt/a", 0, 0);
	make_file("/mnt/b", 0, 0);
	make_file("/mnt/c", 0, 0);
	T_OK(fd = rump_sys_open("/mnt", O_RDONLY | O_DIRECTORY));
	/* Read ".", "..", "a": remember where "b" starts. */
	T_ASSERT((n = rump_sys_getdents64(fd, buf, sizeof(buf))) > 0);
	d = (struct ldirent64 *)buf;
	T_ASSERT(strcmp(d->d_name, ".") == 0);
	d = (struct ldirent64 *)(buf + d->d_reclen);
	T_ASSERT(strcmp(d->d_name, "..") == 0);
	d = (struct ldirent64 *)((char *)d + d->d_reclen);
	T_ASSERT(strcmp(d->d_name, "a") == 0);
	cookie = d->d_off;
	T_OK(rump_sys_unlink("/mnt/b"));
	T_EQ(rump_sys_lseek(fd, cookie, SEEK_SET), cookie);
	T_ASSERT((n = rump_sys_getdents64(fd, buf, sizeof(buf))) > 0);
	d = (struct ldirent64 *)buf;
	T_ASSERT(strcmp(d->d_name, "c") == 0);
	T_EQ(d->d_reclen, n);
	T_OK(rump_sys_close(fd));
}

T_CASE(dir_nlink, "directories: nlink 2 + subdirectories, ENOTEMPTY, names")
{
	char name[300];
	struct stat st, st2;

	boot_mount(NULL);
	T_OK(rump_sys_mkdir("/mnt/d", 0755));
	T_OK(rump_sys_mkdir("/mnt/d/a", 0755));
	T_OK(rump_sys_mkdir("/mnt/d/b", 0755));
	make_file("/mnt/d/f", 1, 'f');
	T_OK(rump_sys_stat("/mnt/d", &st));
	T_EQ(st.st_nlink, 4);
	T_OK(rump_sys_stat("/mnt", &st));
	T_EQ(st.st_nlink, 3);
	T_OK(rump_sys_stat("/mnt/d/a/..", &st2));
	T_OK(rump_sys_stat("/mnt/d", &st));
	T_EQ(st.st_ino, st2.st_ino);
	T_ERRNO(rump_sys_rmdir("/mnt/d"), ENOTEMPTY);
	T_ERRNO(rump_sys_mkdir("/mnt/d/a", 0755), EEXIST);
	T_OK(rump_sys_rmdir("/mnt/d/a"));
	T_OK(rump_sys_stat("/mnt/d", &st));
	T_EQ(st.st_nlink, 3);
	memset(name, 'n', sizeof(name));
	memcpy(name, "/mnt/", 5);
	name[5 + 255] = '\0';
	make_file(name, 0, 0);
	T_OK(rump_sys_unlink(name));
	name[5 + 255] = 'n';
	name[5 + 256] = '\0';
	T_ERRNO(rump_sys_mkdir(name, 0755), ENAMETOOLONG);
}

T_CASE(nodes, "symlinks, hard links (EMLINK), fifos and devices")
{
	char buf[PATH_MAX + 10];
	char target[PATH_MAX];
	struct stat st;

	boot_mount(NULL);
	T_OK(rump_sys_symlink("some/where", "/mnt/l"));
	T_EQ(rump_sys_readlink("/mnt/l", buf, sizeof(buf)), 10);
	T_ASSERT(memcmp(buf, "some/where", 10) == 0);
	T_OK(rump_sys_lstat("/mnt/l", &st));
	T_ASSERT(S_ISLNK(st.st_mode));
	T_EQ(st.st_size, 10);
	memset(target, 't', sizeof(target));
	target[PATH_MAX - 1] = '\0';
	T_OK(rump_sys_symlink(target, "/mnt/long"));
	T_EQ(rump_sys_readlink("/mnt/long", buf, sizeof(buf)), PATH_MAX - 1);

	T_OK(rump_sys_mknod("/mnt/fifo", S_IFIFO | 0600, 0));
	T_OK(rump_sys_stat("/mnt/fifo", &st));
	T_ASSERT(S_ISFIFO(st.st_mode));
	T_OK(rump_sys_mknod("/mnt/chr", S_IFCHR | 0600, makedev(12, 34)));
	T_OK(rump_sys_stat("/mnt/chr", &st));
	T_ASSERT(S_ISCHR(st.st_mode));
	T_EQ(st.st_rdev, makedev(12, 34));
	T_OK(rump_sys_mknod("/mnt/blk", S_IFBLK | 0600, makedev(7, 1)));
	T_OK(rump_sys_stat("/mnt/blk", &st));
	T_ASSERT(S_ISBLK(st.st_mode));
	T_EQ(st.st_rdev, makedev(7, 1));
	T_OK(rump_sys_chmod("/mnt/blk", 0640));
	T_OK(rump_sys_stat("/mnt/blk", &st));
	T_EQ(st.st_mode, S_IFBLK | 0640);

	make_file("/mnt/f", 3, 'x');
	for (int i = 1; i < 65000; i++) {
		snprintf(buf, sizeof(buf), "/mnt/h%d", i);
		if (rump_sys_link("/mnt/f", buf) == -1)
			T_FAIL("link %d: %s", i, strerror(errno));
	}
	T_OK(rump_sys_stat("/mnt/f", &st));
	T_EQ(st.st_nlink, 65000);
	T_ERRNO(rump_sys_link("/mnt/f", "/mnt/one-more"), EMLINK);
	T_OK(rump_sys_unlink("/mnt/h1"));
	T_OK(rump_sys_link("/mnt/f", "/mnt/one-more"));
}

/* ------------------------------------------------------------- rename */

T_CASE(rename_exchange,
    "RENAME_EXCHANGE of two directories in different "
    "parents, and of a directory with a file")
{
	struct stat a, b, st;

	boot_mount(NULL);
	T_OK(rump_sys_mkdir("/mnt/a", 0755));
	T_OK(rump_sys_mkdir("/mnt/b", 0755));
	T_OK(rump_sys_mkdir("/mnt/a/x", 0755));
	make_file("/mnt/a/x/in_x", 1, '1');
	T_OK(rump_sys_mkdir("/mnt/b/y", 0755));
	T_OK(rump_sys_mkdir("/mnt/b/y/in_y", 0755));
	T_OK(rump_sys_renameat2(
	    AT_FDCWD, "/mnt/a/x", AT_FDCWD, "/mnt/b/y", RENAME_EXCHANGE));
	T_OK(rump_sys_stat("/mnt/a/x/in_y", &st));
	T_ASSERT(S_ISDIR(st.st_mode));
	T_OK(rump_sys_stat("/mnt/b/y/in_x", &st));
	T_ASSERT(S_ISREG(st.st_mode));
	T_OK(rump_sys_stat("/mnt/a", &a));
	T_OK(rump_sys_stat("/mnt/b", &b));
	T_EQ(a.st_nlink, 3);
	T_EQ(b.st_nlink, 3);
	T_OK(rump_sys_stat("/mnt/a/x/..", &st));
	T_EQ(st.st_ino, a.st_ino);
	T_OK(rump_sys_stat("/mnt/b/y/..", &st));
	T_EQ(st.st_ino, b.st_ino);

	/* A directory for a file: the link counts move. */
	make_file("/mnt/b/file", 5, 'f');
	T_OK(rump_sys_renameat2(
	    AT_FDCWD, "/mnt/a/x", AT_FDCWD, "/mnt/b/file", RENAME_EXCHANGE));
	T_OK(rump_sys_stat("/mnt/a/x", &st));
	T_ASSERT(S_ISREG(st.st_mode));
	T_EQ(st.st_size, 5);
	T_OK(rump_sys_stat("/mnt/b/file/in_y", &st));
	T_OK(rump_sys_stat("/mnt/a", &a));
	T_OK(rump_sys_stat("/mnt/b", &b));
	T_EQ(a.st_nlink, 2);
	T_EQ(b.st_nlink, 4);
	T_OK(rump_sys_stat("/mnt/b/file/..", &st));
	T_EQ(st.st_ino, b.st_ino);
	T_ERRNO(rump_sys_renameat2(AT_FDCWD, "/mnt/a/x", AT_FDCWD,
	            "/mnt/a/none", RENAME_EXCHANGE),
	    ENOENT);
}

T_CASE(rename_replace, "rename over files and directories; ENOTEMPTY")
{
	struct stat st;
	char buf[8];
	int fd;

	boot_mount(NULL);
	make_file("/mnt/f", 3, 'f');
	make_file("/mnt/g", 4, 'g');
	T_OK(fd = rump_sys_open("/mnt/g", O_RDONLY));
	T_OK(rump_sys_rename("/mnt/f", "/mnt/g"));
	T_ERRNO(rump_sys_stat("/mnt/f", &st), ENOENT);
	T_OK(rump_sys_stat("/mnt/g", &st));
	T_EQ(st.st_size, 3);
	/* The replaced file lives on while open. */
	T_OK(rump_sys_fstat(fd, &st));
	T_EQ(st.st_nlink, 0);
	T_EQ(rump_sys_read(fd, buf, sizeof(buf)), 4);
	T_OK(rump_sys_close(fd));

	T_OK(rump_sys_mkdir("/mnt/d1", 0755));
	T_OK(rump_sys_mkdir("/mnt/d2", 0755));
	T_OK(rump_sys_mkdir("/mnt/d2/sub", 0755));
	T_ERRNO(rump_sys_rename("/mnt/d1", "/mnt/d2"), ENOTEMPTY);
	T_OK(rump_sys_rmdir("/mnt/d2/sub"));
	T_OK(rump_sys_mkdir("/mnt/d1/sub1", 0755));
	T_OK(rump_sys_stat("/mnt", &st));
	T_EQ(st.st_nlink, 4);
	T_OK(rump_sys_rename("/mnt/d1", "/mnt/d2"));
	T_OK(rump_sys_stat("/mnt", &st));
	T_EQ(st.st_nlink, 3);
	T_OK(rump_sys_stat("/mnt/d2/sub1", &st));
	/* Into another directory, and back under a new name. */
	T_OK(rump_sys_mkdir("/mnt/e", 0755));
	T_OK(rump_sys_rename("/mnt/d2", "/mnt/e/moved"));
	T_OK(rump_sys_stat("/mnt/e", &st));
	T_EQ(st.st_nlink, 3);
	T_OK(rump_sys_stat("/mnt/e/moved/..", &st));
	T_OK(rump_sys_rename("/mnt/e/moved", "/mnt/back"));
	T_OK(rump_sys_stat("/mnt/e", &st));
	T_EQ(st.st_nlink, 2);
	T_OK(rump_sys_stat("/mnt/back/sub1", &st));
}

/* --------------------------------------------------------- file data */

T_CASE(sparse_huge,
    "a sparse file of 1 TiB with a few pages uses a few "
    "blocks; holes read as zeros")
{
	const off_t tib = (off_t)1 << 40;
	char buf[PG], zero[PG];
	struct stat st;
	int fd;

	boot_mount("size=1m");
	T_OK(fd = rump_sys_open("/mnt/s", O_CREAT | O_RDWR, 0644));
	T_EQ(rump_sys_pwrite64(fd, "a", 1, 0), 1);
	T_EQ(rump_sys_pwrite64(fd, "b", 1, tib / 2), 1);
	T_EQ(rump_sys_pwrite64(fd, "c", 1, tib - 1), 1);
	T_OK(rump_sys_fstat(fd, &st));
	T_EQ(st.st_size, tib);
	T_EQ(st.st_blocks, 3 * 8);
	T_EQ(st.st_blksize, PG);
	memset(zero, 0, sizeof(zero));
	T_EQ(rump_sys_pread64(fd, buf, PG, tib / 4), PG);
	T_ASSERT(memcmp(buf, zero, PG) == 0);
	T_EQ(rump_sys_pread64(fd, buf, PG, tib - PG), PG);
	T_EQ(buf[PG - 1], 'c');
	T_ASSERT(memcmp(buf, zero, PG - 1) == 0);
	T_EQ(rump_sys_pread64(fd, buf, PG, tib), 0);
	/* Shrinking frees the pages past the end. */
	T_OK(rump_sys_ftruncate(fd, tib / 2));
	T_OK(rump_sys_fstat(fd, &st));
	T_EQ(st.st_blocks, 8);
	T_OK(rump_sys_ftruncate(fd, 0));
	T_OK(rump_sys_fstat(fd, &st));
	T_EQ(st.st_blocks, 0);
	T_OK(rump_sys_close(fd));
	/* Ending past the largest offset, as Linux. */
	T_OK(fd = rump_sys_open("/mnt/t", O_CREAT | O_RDWR, 0644));
	T_ERRNO(rump_sys_pwrite64(fd, "x", 1, INT64_MAX), EINVAL);
	T_EQ(rump_sys_pwrite64(fd, "x", 1, INT64_MAX - 1), 1);
	T_OK(rump_sys_fstat(fd, &st));
	T_EQ(st.st_size, INT64_MAX);
	T_EQ(st.st_blocks, 8);
	T_ERRNO(rump_sys_fallocate(fd, 0, INT64_MAX - 10, 20), EFBIG);
	T_OK(rump_sys_close(fd));
}

T_CASE(truncate_tail, "truncate zeroes the tail of the last page")
{
	char buf[2 * PG];
	int fd;

	boot_mount(NULL);
	make_file("/mnt/f", 2 * PG, 'x');
	T_OK(rump_sys_truncate("/mnt/f", 100));
	T_OK(rump_sys_truncate("/mnt/f", 2 * PG));
	T_EQ(blocks_of("/mnt/f"), 8);
	T_OK(fd = rump_sys_open("/mnt/f", O_RDWR));
	T_EQ(rump_sys_read(fd, buf, sizeof(buf)), sizeof(buf));
	for (int i = 0; i < 2 * PG; i++)
		if (buf[i] != (i < 100 ? 'x' : 0))
			T_FAIL("byte %d is %d", i, buf[i]);
	/* O_APPEND writes at the end. */
	T_OK(rump_sys_close(fd));
	T_OK(fd = rump_sys_open("/mnt/f", O_WRONLY | O_APPEND));
	T_EQ(rump_sys_write(fd, "end", 3), 3);
	T_OK(rump_sys_close(fd));
	T_OK(fd = rump_sys_open("/mnt/f", O_RDONLY));
	T_EQ(rump_sys_pread64(fd, buf, 10, 2 * PG), 3);
	T_ASSERT(memcmp(buf, "end", 3) == 0);
	T_OK(rump_sys_close(fd));
}

T_CASE(seek_data_hole, "SEEK_DATA and SEEK_HOLE follow the page map")
{
	const off_t M = 1 << 20;
	int fd;

	boot_mount(NULL);
	T_OK(fd = rump_sys_open("/mnt/f", O_CREAT | O_RDWR, 0644));
	T_EQ(rump_sys_pwrite64(fd, "d", 1, 10), 1);
	T_EQ(rump_sys_pwrite64(fd, "dd", 2, M + PG - 1), 2);
	T_OK(rump_sys_ftruncate(fd, 4 * M));
	T_EQ(rump_sys_lseek(fd, 0, SEEK_DATA), 0);
	T_EQ(rump_sys_lseek(fd, 5, SEEK_DATA), 5);
	T_EQ(rump_sys_lseek(fd, 0, SEEK_HOLE), PG);
	T_EQ(rump_sys_lseek(fd, PG, SEEK_HOLE), PG);
	T_EQ(rump_sys_lseek(fd, PG, SEEK_DATA), M);
	T_EQ(rump_sys_lseek(fd, M, SEEK_HOLE), M + 2 * PG);
	T_EQ(rump_sys_lseek(fd, M + 100, SEEK_DATA), M + 100);
	T_ERRNO(rump_sys_lseek(fd, M + 2 * PG, SEEK_DATA), ENXIO);
	T_EQ(rump_sys_lseek(fd, 4 * M - 1, SEEK_HOLE), 4 * M - 1);
	T_ERRNO(rump_sys_lseek(fd, 4 * M, SEEK_DATA), ENXIO);
	T_ERRNO(rump_sys_lseek(fd, 4 * M, SEEK_HOLE), ENXIO);
	/* Fully written: the only hole is at the end. */
	T_OK(rump_sys_ftruncate(fd, 0));
	T_EQ(rump_sys_pwrite64(fd, "abc", 3, 0), 3);
	T_EQ(rump_sys_lseek(fd, 0, SEEK_HOLE), 3);
	T_EQ(rump_sys_lseek(fd, 1, SEEK_DATA), 1);
	T_OK(rump_sys_close(fd));
}

T_CASE(fallocate_modes,
    "fallocate allocates, keeps the size, punches "
    "holes; ENOSPC leaves nothing")
{
	char buf[4 * PG];
	struct stat st;
	int fd;

	boot_mount("size=256k");
	make_file("/mnt/f", 4 * PG, 'x');
	T_OK(fd = rump_sys_open("/mnt/f", O_RDWR));
	T_ERRNO(
	    rump_sys_fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, PG), EOPNOTSUPP);
	T_OK(rump_sys_fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
	    PG + 100, 2 * PG - 50));
	T_OK(rump_sys_fstat(fd, &st));
	T_EQ(st.st_size, 4 * PG);
	T_EQ(st.st_blocks, 3 * 8);
	T_EQ(rump_sys_pread64(fd, buf, sizeof(buf), 0), sizeof(buf));
	for (int i = 0; i < 4 * PG; i++) {
		bool hole = i >= PG + 100 && i < 3 * PG + 50;

		if (buf[i] != (hole ? 0 : 'x'))
			T_FAIL("byte %d is %d", i, buf[i]);
	}
	T_EQ(rump_sys_lseek(fd, PG, SEEK_HOLE), 2 * PG);
	/* Within one page: zeroes only. */
	T_OK(rump_sys_fallocate(
	    fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 10, 20));
	T_EQ(rump_sys_pread64(fd, buf, 40, 0), 40);
	T_EQ(buf[9], 'x');
	T_EQ(buf[10], 0);
	T_EQ(buf[29], 0);
	T_EQ(buf[30], 'x');

	/* Mode 0 allocates and extends; KEEP_SIZE allocates past the end. */
	T_OK(rump_sys_fallocate(fd, 0, 0, 10 * PG));
	T_OK(rump_sys_fstat(fd, &st));
	T_EQ(st.st_size, 10 * PG);
	T_EQ(st.st_blocks, 10 * 8);
	T_OK(rump_sys_fallocate(fd, FALLOC_FL_KEEP_SIZE, 10 * PG, 2 * PG));
	T_OK(rump_sys_fstat(fd, &st));
	T_EQ(st.st_size, 10 * PG);
	T_EQ(st.st_blocks, 12 * 8);
	/* 64 pages fit in all; 52 are free. */
	T_ERRNO(rump_sys_fallocate(fd, 0, 0, 65 * PG), ENOSPC);
	T_OK(rump_sys_fstat(fd, &st));
	T_EQ(st.st_size, 10 * PG);
	T_EQ(st.st_blocks, 12 * 8);
	T_OK(rump_sys_fallocate(fd, 0, 0, 64 * PG));
	T_OK(rump_sys_fstat(fd, &st));
	T_EQ(st.st_blocks, 64 * 8);
	T_ERRNO(rump_sys_fallocate(fd, 0, -1, PG), EINVAL);
	T_ERRNO(rump_sys_fallocate(fd, 0, 0, 0), EINVAL);
	T_OK(rump_sys_close(fd));
}

T_CASE(memlimit,
    "with a kernel memory limit tmpfs takes half by default; "
    "ENOMEM or ENOSPC, never a crash, and deleting recovers")
{
	static char buf[65536];
	struct statfs sf;
	char path[64];
	int fd, nfiles = 0, err;
	size_t total = 0;
	ssize_t n;

	setenv("RUMP_MEMLIMIT", "24m", 1);
	boot_mount(NULL);
	T_OK(rump_sys_statfs("/mnt", &sf));
	T_EQ(sf.f_blocks, (12 << 20) / PG);
	T_EQ(sf.f_files, (12 << 20) / PG);
	T_OK(rump_sys_mkdir("/mnt/d", 0755));
	T_OK(fd = rump_sys_open("/mnt/big", O_CREAT | O_WRONLY, 0644));
	while ((n = rump_sys_write(fd, buf, sizeof(buf))) > 0)
		total += (size_t)n;
	err = errno;
	T_ASSERT(n == -1 && (err == ENOMEM || err == ENOSPC));
	T_ASSERT(total > 1 << 20 && total <= 12 << 20);
	T_OK(rump_sys_close(fd));
	T_OK(rump_sys_unlink("/mnt/big"));
	/* Names and nodes until memory runs out too. */
	for (;;) {
		snprintf(path, sizeof(path), "/mnt/d/%d", nfiles);
		fd = rump_sys_open(path, O_CREAT | O_WRONLY, 0644);
		if (fd == -1) {
			T_ASSERT(errno == ENOMEM || errno == ENOSPC);
			break;
		}
		T_OK(rump_sys_close(fd));
		nfiles++;
		T_ASSERT(nfiles < 10000000);
	}
	T_ASSERT(nfiles > 1000);
	/* Not a crash either when memory runs out with the limit off. */
	T_OK(rump_sys_unlink("/mnt/d/0"));
	T_OK(rump_sys_mount(NULL, "/mnt", NULL, MS_REMOUNT, "size=0"));
	T_OK(fd = rump_sys_open("/mnt/big", O_CREAT | O_WRONLY, 0644));
	while ((n = rump_sys_write(fd, buf, sizeof(buf))) > 0)
		;
	T_ASSERT(n == -1 && (errno == ENOMEM || errno == ENOSPC));
	T_OK(rump_sys_ftruncate(fd, 0));
	T_OK(rump_sys_close(fd));
	T_OK(rump_sys_unlink("/mnt/big"));
	T_OK(rump_sys_mount(NULL, "/mnt", NULL, MS_REMOUNT, "size=50%"));
	for (int i = 1; i < nfiles; i++) {
		snprintf(path, sizeof(path), "/mnt/d/%d", i);
		T_OK(rump_sys_unlink(path));
	}
	T_OK(rump_sys_rmdir("/mnt/d"));
	make_file("/mnt/again", 4 << 20, 'a');
	T_OK(rump_sys_unlink("/mnt/again"));
	T_OK(rump_sys_umount2("/mnt", 0));
}

/* --------------------------------------------------------- threads */

struct worker {
	pthread_t w_thread;
	int w_id;
	int w_errors;
};

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	char dir[64], path[96];
	int fd;

	snprintf(dir, sizeof(dir), "/mnt/w%d", w->w_id);
	for (int round = 0; round < 20; round++) {
		for (int i = 0; i < 200; i++) {
			snprintf(path, sizeof(path), "%s/f%d", dir, i);
			fd = rump_sys_open(
			    path, O_CREAT | O_EXCL | O_WRONLY, 0644);
			if (fd == -1 || rump_sys_write(fd, path, 20) != 20 ||
			    rump_sys_close(fd) == -1)
				w->w_errors++;
		}
		snprintf(path, sizeof(path), "%s/sub", dir);
		if (rump_sys_mkdir(path, 0755) == -1)
			w->w_errors++;
		for (int i = 0; i < 200; i++) {
			snprintf(path, sizeof(path), "%s/f%d", dir, i);
			if (rump_sys_unlink(path) == -1)
				w->w_errors++;
		}
		snprintf(path, sizeof(path), "%s/sub", dir);
		if (rump_sys_rmdir(path) == -1)
			w->w_errors++;
	}
	return NULL;
}

T_CASE(threads,
    "4 threads create and remove files in their own "
    "directories")
{
	struct worker w[4];
	struct statfs sf0, sf;
	char dir[64];
	struct stat st;

	boot_mount("size=16m");
	T_OK(rump_sys_statfs("/mnt", &sf0));
	for (int i = 0; i < 4; i++) {
		snprintf(dir, sizeof(dir), "/mnt/w%d", i);
		T_OK(rump_sys_mkdir(dir, 0755));
	}
	T_OK(rump_sys_statfs("/mnt", &sf0));
	for (int i = 0; i < 4; i++) {
		w[i].w_id = i;
		w[i].w_errors = 0;
		T_EQ(pthread_create(&w[i].w_thread, NULL, worker_main, &w[i]),
		    0);
	}
	for (int i = 0; i < 4; i++) {
		T_EQ(pthread_join(w[i].w_thread, NULL), 0);
		T_EQ(w[i].w_errors, 0);
		snprintf(dir, sizeof(dir), "/mnt/w%d", i);
		T_OK(rump_sys_stat(dir, &st));
		T_EQ(st.st_nlink, 2);
		T_EQ(st.st_size, 40);
		T_OK(rump_sys_rmdir(dir));
	}
	T_OK(rump_sys_statfs("/mnt", &sf));
	T_EQ(sf.f_bfree, sf0.f_bfree);
	T_EQ(sf.f_ffree, sf0.f_ffree + 4);
}

/* --------------------------------------------------------- unmount */

T_CASE(unmount_busy,
    "unmount frees a populated tmpfs; EBUSY while open, "
    "MNT_FORCE regardless")
{
	struct stat st;
	int fd;

	t_boot();
	T_OK(rump_sys_mkdir("/mnt", 0755));
	for (int round = 0; round < 10; round++) {
		T_OK(rump_sys_mount("tmpfs", "/mnt", "tmpfs", 0, "size=1m"));
		T_OK(rump_sys_mkdir("/mnt/a", 0755));
		T_OK(rump_sys_mkdir("/mnt/a/b", 0755));
		make_file("/mnt/a/b/f", 3 * PG, 'u');
		T_OK(rump_sys_link("/mnt/a/b/f", "/mnt/hard"));
		T_OK(rump_sys_symlink("a/b/f", "/mnt/sym"));
		T_OK(rump_sys_umount2("/mnt", 0));
		T_ERRNO(rump_sys_stat("/mnt/a", &st), ENOENT);
	}
	T_OK(rump_sys_mount("tmpfs", "/mnt", "tmpfs", 0, NULL));
	make_file("/mnt/open", PG, 'o');
	T_OK(fd = rump_sys_open("/mnt/open", O_RDWR));
	T_ERRNO(rump_sys_umount2("/mnt", 0), EBUSY);
	T_OK(rump_sys_close(fd));
	T_OK(rump_sys_umount2("/mnt", 0));
}
