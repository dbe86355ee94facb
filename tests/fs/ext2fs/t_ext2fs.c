/*
 * t_ext2fs.c — the ext2/ext3/ext4 driver against e2fsprogs: images that
 * mke2fs makes (and fills with -d) are read back byte for byte; trees
 * written through rumpk pass e2fsck -fn and read back through debugfs
 * rdump; feature bits are refused or limited as the format says; a full
 * image gives ENOSPC and recovers; corrupt images give errors, never a
 * crash.  Cases skip visibly when e2fsprogs is missing.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <stdbool.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <unistd.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>

#include "e2fs_util.h"
#include "harness.h"

#define MNT E2_MNT
#define MiB (1024 * 1024)
/* Files in the big directory: 20,000 with E2_FULL=1 (mke2fs -d alone
 * takes half a minute over them), else 5,000. */
#define NMANY (getenv("E2_FULL") ? 20000 : 5000)

static char img[256], src[300], out[300];

static int
mount_as(const char *type, unsigned long flags)
{
	return rump_sys_mount(E2_DEV, MNT, type, flags, NULL);
}

/*
 * Removes the case's image and trees; a failing case leaves them for a
 * look (the harness ends a case with _exit, so this is called by hand).
 */
static void
cleanup(void)
{
	char cmd[1200];

	if (src[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", src);
		(void)system(cmd);
	}
	if (out[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", out);
		(void)system(cmd);
	}
	if (img[0])
		unlink(img);
}

/* ------------------------------------------------------ the host tree */

static void
xfill(unsigned char *buf, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (unsigned char)(seed >> 16);
	}
}

static void
host_put(
    const char *dir, const char *name, size_t len, unsigned seed, mode_t mode)
{
	char path[1024];
	unsigned char *buf = malloc(len + 1);
	int fd;

	T_ASSERT(buf != NULL);
	xfill(buf, len, seed);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	T_OK(fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode));
	T_EQ(write(fd, buf, len), (ssize_t)len);
	T_OK(fchmod(fd, mode));
	T_OK(close(fd));
	free(buf);
}

static void
host_pwrite(const char *path, off_t off, size_t len, unsigned seed)
{
	unsigned char buf[8192];
	int fd;

	T_ASSERT(len <= sizeof(buf));
	xfill(buf, len, seed);
	T_OK(fd = open(path, O_WRONLY | O_CREAT, 0644));
	T_EQ(pwrite(fd, buf, len, off), (ssize_t)len);
	T_OK(close(fd));
}

static void
host_times(const char *path, time_t sec, long nsec)
{
	struct timespec ts[2] = {{sec, nsec}, {sec, nsec}};

	T_OK(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW));
}

/*
 * Makes the source tree: files of many sizes, a fragmented file (many
 * extents), a sparse file past 4 GiB, hard links, fast and slow
 * symlinks, device nodes, a fifo, modes and owners, old, fractional and
 * post-2038 times, and (nmany > 0) a directory with nmany files.
 */
static void
make_tree(const char *dir, int nmany, off_t sparse)
{
	static const size_t sizes[] = {0, 1, 59, 60, 61, 1023, 1024, 1025, 4095,
	    4096, 4097, 65537, MiB + 3, 3 * MiB};
	size_t nsizes = sizeof(sizes) / sizeof(sizes[0]) - (sparse == 0);
	char path[1024], name[64], lng[1100];

	T_OK(mkdir(dir, 0755));
	for (size_t i = 0; i < nsizes; i++) {
		snprintf(name, sizeof(name), "f%zu", sizes[i]);
		host_put(dir, name, sizes[i], (unsigned)i + 1, 0644);
	}
	host_put(dir, "secret", 100, 77, 0600);
	host_put(dir, "setuid", 10, 78, 04755);
	snprintf(path, sizeof(path), "%s/secret", dir);
	T_OK(chown(path, 1234, 5678));
	host_times(path, 1000000000, 123456789);
	snprintf(path, sizeof(path), "%s/f4096", dir);
	host_times(path, 4102444800LL, 987654321); /* 2100-01-01 */
	snprintf(path, sizeof(path), "%s/f1", dir);
	host_times(path, -86400 * 365, 5); /* 1969 */
	/* Fragmented: 80 data blocks between holes, so many extents. */
	snprintf(path, sizeof(path), "%s/frag", dir);
	for (int i = 0; i < 80; i++)
		host_pwrite(path, (off_t)i * 16384, 4096, 900 + (unsigned)i);
	if (sparse > 0) {
		snprintf(path, sizeof(path), "%s/sparse", dir);
		host_pwrite(path, 0, 100, 1);
		host_pwrite(path, (off_t)1 << 30, 5000, 2);
		host_pwrite(path, ((off_t)4 << 30) + 12345, 8000, 3);
		host_pwrite(path, sparse - 10, 10, 4);
	}
	snprintf(path, sizeof(path), "%s/sub", dir);
	T_OK(mkdir(path, 0750));
	snprintf(path, sizeof(path), "%s/sub/a/", dir);
	T_OK(mkdir(path, 0700));
	snprintf(path, sizeof(path), "%s/sub/a/b", dir);
	T_OK(mkdir(path, 0755));
	host_put(path, "deep", 5000, 99, 0644);
	snprintf(path, sizeof(path), "%s/sub/sticky", dir);
	T_OK(mkdir(path, 0777));
	T_OK(chmod(path, 01777));
	snprintf(path, sizeof(path), "%s/sub/hl2", dir);
	snprintf(lng, sizeof(lng), "%s/f1025", dir);
	T_OK(link(lng, path));
	snprintf(path, sizeof(path), "%s/hl3", dir);
	T_OK(link(lng, path));
	snprintf(path, sizeof(path), "%s/sl_fast", dir);
	T_OK(symlink("f1025", path));
	memset(lng, 'x', 200);
	memcpy(lng, "sub/", 4);
	lng[200] = '\0';
	snprintf(path, sizeof(path), "%s/sl_slow", dir);
	T_OK(symlink(lng, path));
	snprintf(path, sizeof(path), "%s/sl_dangling", dir);
	T_OK(symlink("nowhere/at/all", path));
	snprintf(path, sizeof(path), "%s/fifo", dir);
	T_OK(mkfifo(path, 0640));
	if (geteuid() == 0) {
		snprintf(path, sizeof(path), "%s/cdev", dir);
		T_OK(mknod(path, S_IFCHR | 0600, makedev(1, 3)));
		snprintf(path, sizeof(path), "%s/bdev", dir);
		T_OK(mknod(path, S_IFBLK | 0660, makedev(8, 1)));
		snprintf(path, sizeof(path), "%s/bigdev", dir);
		T_OK(mknod(path, S_IFCHR | 0600, makedev(300, 70000)));
	} else {
		fprintf(stderr, "  (not root: no device nodes in the tree)\n");
	}
	if (nmany > 0) {
		snprintf(path, sizeof(path), "%s/many", dir);
		T_OK(mkdir(path, 0755));
		for (int i = 0; i < nmany; i++) {
			int fd;

			snprintf(
			    path, sizeof(path), "%s/many/file%05d", dir, i);
			T_OK(fd = open(path, O_WRONLY | O_CREAT, 0644));
			if (i % 1000 == 0)
				T_EQ(write(fd, path, 10), 10);
			T_OK(close(fd));
		}
	}
	snprintf(path, sizeof(path), "%s/sub", dir);
	host_times(path, 1500000000, 1);
}

/* ------------------------------------------------------- comparisons */

/* Compares [off, off+len) of a host fd and a rump fd. */
static void
cmp_range(const char *what, int hfd, int rfd, off_t off, off_t len)
{
	static char hb[MiB], rb[MiB];

	while (len > 0) {
		size_t n = (size_t)(len < MiB ? len : MiB);
		ssize_t h = pread(hfd, hb, n, off);
		ssize_t r = rump_sys_pread64(rfd, rb, n, off);

		if (h != r)
			T_FAIL("%s: at %lld read %zd bytes, host %zd", what,
			    (long long)off, r, h);
		if (h <= 0)
			return;
		if (memcmp(hb, rb, (size_t)h) != 0)
			T_FAIL("%s: data differs in %lld+%zd", what,
			    (long long)off, h);
		off += h;
		len -= h;
	}
}

/* Compares a regular file's contents, going by the host's data map. */
static void
cmp_file(const char *what, const char *hpath, const char *rpath, off_t size)
{
	int hfd, rfd;
	off_t d = 0, h;
	char z[512];

	T_OK(hfd = open(hpath, O_RDONLY));
	if ((rfd = rump_sys_open(rpath, O_RDONLY, 0)) == -1)
		T_FAIL("%s: open: %s", what, strerror(errno));
	while (d < size) {
		d = lseek(hfd, d, SEEK_DATA);
		if (d < 0)
			break;
		h = lseek(hfd, d, SEEK_HOLE);
		cmp_range(what, hfd, rfd, d, h - d);
		/* The hole after it reads as zeros here too. */
		if (h < size) {
			ssize_t n = rump_sys_pread64(rfd, z, sizeof(z),
			    h + (size - h) / 2 / 4096 * 4096);

			T_ASSERT(n > 0);
			for (ssize_t i = 0; i < n; i++)
				if (z[i] != 0)
					T_FAIL("%s: hole is not zero", what);
		}
		d = h;
	}
	T_OK(close(hfd));
	T_OK(rump_sys_close(rfd));
}

static bool
time_eq(struct timespec a, struct timespec b, bool nsec)
{
	return a.tv_sec == b.tv_sec && (!nsec || a.tv_nsec == b.tv_nsec);
}

struct cmpopts {
	bool co_times;   /* compare mtimes (and nanoseconds), but the root's */
	bool co_owners;  /* compare uid/gid */
	bool co_nlink;   /* compare link counts */
	bool co_nsec;    /* and nanoseconds (mke2fs -d keeps seconds only) */
	long co_entries; /* entries compared, out */
};

/* Compares the tree at host path h with the rump path r, recursively. */
static void
cmp_tree(const char *h, const char *r, struct cmpopts *co)
{
	struct stat hs, rs;
	char hp[1024], rp[1024];
	DIR *d;
	struct dirent *de;

	T_OK(lstat(h, &hs));
	if (rump_sys_lstat(r, &rs) == -1)
		T_FAIL("lstat %s: %s", r, strerror(errno));
	co->co_entries++;
	if (hs.st_mode != rs.st_mode && co->co_entries > 1)
		T_FAIL("%s: mode %o, host %o", r, rs.st_mode, hs.st_mode);
	if (co->co_owners && co->co_entries > 1 &&
	    (hs.st_uid != rs.st_uid || hs.st_gid != rs.st_gid))
		T_FAIL("%s: owner %u:%u, host %u:%u", r, rs.st_uid, rs.st_gid,
		    hs.st_uid, hs.st_gid);
	if (!S_ISDIR(hs.st_mode) && hs.st_size != rs.st_size)
		T_FAIL("%s: size %lld, host %lld", r, (long long)rs.st_size,
		    (long long)hs.st_size);
	if (co->co_nlink && !S_ISDIR(hs.st_mode) && hs.st_nlink != rs.st_nlink)
		T_FAIL("%s: nlink %lu, host %lu", r, (unsigned long)rs.st_nlink,
		    (unsigned long)hs.st_nlink);
	if (co->co_times && !S_ISLNK(hs.st_mode) && co->co_entries > 1 &&
	    !time_eq(hs.st_mtim, rs.st_mtim, co->co_nsec))
		T_FAIL("%s: mtime %lld.%09ld, host %lld.%09ld", r,
		    (long long)rs.st_mtim.tv_sec, rs.st_mtim.tv_nsec,
		    (long long)hs.st_mtim.tv_sec, hs.st_mtim.tv_nsec);
	if (S_ISCHR(hs.st_mode) || S_ISBLK(hs.st_mode)) {
		if (hs.st_rdev != rs.st_rdev)
			T_FAIL("%s: rdev %u:%u, host %u:%u", r,
			    major(rs.st_rdev), minor(rs.st_rdev),
			    major(hs.st_rdev), minor(hs.st_rdev));
	} else if (S_ISLNK(hs.st_mode)) {
		char hb[4096], rb[4096];
		ssize_t hn = readlink(h, hb, sizeof(hb));
		ssize_t rn = rump_sys_readlink(r, rb, sizeof(rb));

		if (hn != rn || hn < 0 || memcmp(hb, rb, (size_t)hn) != 0)
			T_FAIL("%s: symlink target differs", r);
	} else if (S_ISREG(hs.st_mode)) {
		cmp_file(r, h, r, hs.st_size);
	} else if (S_ISDIR(hs.st_mode)) {
		long hn = 0, rn = 0;
		char buf[8192];
		int fd;
		ssize_t n;

		T_ASSERT((d = opendir(h)) != NULL);
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			hn++;
			snprintf(hp, sizeof(hp), "%s/%s", h, de->d_name);
			snprintf(rp, sizeof(rp), "%s/%s", r, de->d_name);
			cmp_tree(hp, rp, co);
		}
		closedir(d);
		/* The same number of entries here (less lost+found). */
		if ((fd = rump_sys_open(r, O_RDONLY | O_DIRECTORY, 0)) == -1)
			T_FAIL("open %s: %s", r, strerror(errno));
		while ((n = rump_sys_getdents64(fd, buf, sizeof(buf))) > 0) {
			for (ssize_t off = 0; off < n;) {
				struct dirent64 *e = (void *)(buf + off);

				if (strcmp(e->d_name, ".") != 0 &&
				    strcmp(e->d_name, "..") != 0 &&
				    strcmp(e->d_name, "lost+found") != 0)
					rn++;
				off += e->d_reclen;
			}
		}
		T_OK(n);
		T_OK(rump_sys_close(fd));
		if (hn != rn)
			T_FAIL("%s: %ld entries, host %ld", r, rn, hn);
	}
}

/* --------------------------------------------------- reading images */

/*
 * Changes the big directory (hashed by mke2fs when it is big enough):
 * new names, removed ones, a rename out; e2fsck must stay clean and
 * every name must still be found.
 */
static void
change_many(const char *type, int nmany)
{
	char p[128], q[128];
	struct stat st;
	int fd;

	e2_mount(type, 0);
	for (int i = 0; i < 300; i++) {
		snprintf(p, sizeof(p), MNT "/many/new%04d", i);
		if ((fd = rump_sys_open(
		         p, O_WRONLY | O_CREAT | O_EXCL, 0600)) == -1)
			T_FAIL("create %s: %s", p, strerror(errno));
		T_OK(rump_sys_close(fd));
	}
	for (int i = 0; i < nmany; i += 7) {
		snprintf(p, sizeof(p), MNT "/many/file%05d", i);
		T_OK(rump_sys_unlink(p));
	}
	snprintf(p, sizeof(p), MNT "/many/file%05d", 1);
	snprintf(q, sizeof(q), MNT "/moved");
	T_OK(rump_sys_rename(p, q));
	e2_umount();
	e2_fsck(img);
	/* The index stays (rumpk keeps it valid as names come and go). */
	{
		static char dump[1 << 16];
		int st = e2_run(dump, sizeof(dump),
		    "debugfs -R 'htree /many' '%s' | head -20", img);

		if (st != 0 || strstr(dump, "Root node dump") == NULL)
			T_FAIL("/many lost its index: %.300s", dump);
	}
	e2_mount(type, MS_RDONLY);
	for (int i = 0; i < nmany; i++) {
		snprintf(p, sizeof(p), MNT "/many/file%05d", i);
		if (i % 7 == 0 || i == 1)
			T_ERRNO(rump_sys_lstat(p, &st), ENOENT);
		else
			T_OK(rump_sys_lstat(p, &st));
	}
	T_OK(rump_sys_lstat(MNT "/moved", &st));
	T_OK(rump_sys_lstat(MNT "/many/new0299", &st));
	e2_umount();
}

static void
read_back(const char *type, unsigned bsize, int nmany, off_t sparse)
{
	char extra[1200];
	struct cmpopts co = {true, true, true, false, 0};

	e2_need_tools();
	e2_image_path(img, sizeof(img), "rd");
	snprintf(src, sizeof(src), "%s.src", img);
	make_tree(src, nmany, sparse);
	/* mke2fs -d 1.47 keeps 32-bit seconds only: no 2100 here. */
	snprintf(extra, sizeof(extra), "%s/f4096", src);
	host_times(extra, 1900000000, 0);
	snprintf(extra, sizeof(extra), "-N 32768 -d '%s'", src);
	e2_mkfs(img, type, bsize, extra, "256M");
	if (nmany > 0) {
		/* e2fsck -D indexes big directories (htree), as Linux would. */
		int st = e2_run(NULL, 0, "e2fsck -fyD '%s' >/dev/null", img);

		T_ASSERT(st == 0 || st == 1);
		st = e2_run(
		    extra, sizeof(extra), "debugfs -R 'htree /many' '%s'", img);
		if (st != 0 || strstr(extra, "Root node dump") == NULL)
			T_FAIL("/many is not hash-indexed: %.200s", extra);
	}
	e2_boot();
	e2_register(img);
	e2_mount(type, MS_RDONLY);
	cmp_tree(src, MNT, &co);
	fprintf(stderr, "  %ld entries compared\n", co.co_entries);
	e2_umount();
	/* Read-write too, untouched: e2fsck stays clean. */
	e2_mount(type, 0);
	co.co_entries = 0;
	cmp_tree(src, MNT, &co);
	e2_umount();
	e2_fsck(img);
	if (nmany > 0)
		change_many(type, nmany);
	cleanup();
}

T_CASE(read_ext4_4k,
    "mke2fs -t ext4 -b 4096 -d tree (20,000-file dir, "
    "5 GiB sparse) reads back byte for byte")
{
	read_back("ext4", 4096, NMANY, (off_t)5 << 30);
}

T_CASE(read_ext4_1k, "mke2fs -t ext4 -b 1024 -d tree reads back")
{
	read_back("ext4", 1024, 2000, (off_t)5 << 30);
}

T_CASE(read_ext3_4k, "mke2fs -t ext3 -b 4096 -d tree reads back")
{
	read_back("ext3", 4096, 0, (off_t)5 << 30);
}

T_CASE(read_ext2_1k,
    "mke2fs -t ext2 -b 1024 -d tree (triple indirect) "
    "reads back")
{
	read_back("ext2", 1024, 2000, (off_t)5 << 30);
}

/* --------------------------------------------------- writing images */

/* Copies the host tree h into the rump directory r. */
static void
copy_in(const char *h, const char *r)
{
	struct stat hs;
	char hp[1024], rp[1024];
	DIR *d;
	struct dirent *de;
	struct timespec ts[2];

	T_OK(lstat(h, &hs));
	if (S_ISDIR(hs.st_mode)) {
		if (rump_sys_mkdir(r, 0700) == -1 && errno != EEXIST)
			T_FAIL("mkdir %s: %s", r, strerror(errno));
		T_ASSERT((d = opendir(h)) != NULL);
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(hp, sizeof(hp), "%s/%s", h, de->d_name);
			snprintf(rp, sizeof(rp), "%s/%s", r, de->d_name);
			copy_in(hp, rp);
		}
		closedir(d);
	} else if (S_ISREG(hs.st_mode)) {
		int hfd, rfd;
		static char buf[MiB];
		off_t dpos = 0, hpos;

		T_OK(hfd = open(h, O_RDONLY));
		if ((rfd = rump_sys_open(
		         r, O_WRONLY | O_CREAT | O_EXCL, 0600)) == -1)
			T_FAIL("create %s: %s", r, strerror(errno));
		while ((dpos = lseek(hfd, dpos, SEEK_DATA)) >= 0) {
			hpos = lseek(hfd, dpos, SEEK_HOLE);
			while (dpos < hpos) {
				ssize_t n = pread(hfd, buf,
				    (size_t)(hpos - dpos < MiB ? hpos - dpos
				                               : MiB),
				    dpos);

				T_ASSERT(n > 0);
				T_EQ(rump_sys_pwrite64(
				         rfd, buf, (size_t)n, dpos),
				    n);
				dpos += n;
			}
		}
		T_OK(rump_sys_ftruncate(rfd, hs.st_size));
		T_OK(close(hfd));
		T_OK(rump_sys_close(rfd));
	} else if (S_ISLNK(hs.st_mode)) {
		char tb[4096];
		ssize_t n = readlink(h, tb, sizeof(tb) - 1);

		T_ASSERT(n > 0);
		tb[n] = '\0';
		if (rump_sys_symlink(tb, r) == -1)
			T_FAIL("symlink %s: %s", r, strerror(errno));
	} else {
		if (rump_sys_mknod(r, hs.st_mode, hs.st_rdev) == -1)
			T_FAIL("mknod %s: %s", r, strerror(errno));
	}
	if (!S_ISLNK(hs.st_mode))
		T_OK(rump_sys_chmod(r, hs.st_mode & 07777));
	T_OK(rump_sys_lchown(r, hs.st_uid, hs.st_gid));
	if (!S_ISLNK(hs.st_mode))
		T_OK(rump_sys_chmod(r, hs.st_mode & 07777));
	ts[0] = hs.st_atim;
	ts[1] = hs.st_mtim;
	T_OK(rump_sys_utimensat(AT_FDCWD, r, ts, AT_SYMLINK_NOFOLLOW));
}

/* diff -r of two trees, less what debugfs rdump does not make. */
#define DIFF_TREES "diff -r --no-dereference -x fifo -x cdev -x bdev -x bigdev"
/*
 * A listing of names, types, modes, owners, sizes (not of directories:
 * those differ between file systems) and symlink targets.
 */
#define LIST_TREE(skipspecials)                                                \
	"find . " skipspecials " -printf '%%p %%y %%m %%U %%G %%s %%l\\n' | "  \
	"awk '$2 == \"d\" { $6 = 0 } { print }' | sort"

static void
write_tree(const char *type, unsigned bsize)
{
	struct cmpopts co = {true, true, false, true, 0};
	char cmd[4000], big[400], info[4096];
	int st;

	e2_need_tools();
	e2_image_path(img, sizeof(img), "wr");
	snprintf(src, sizeof(src), "%s.src", img);
	snprintf(out, sizeof(out), "%s.out", img);
	make_tree(src, 3000, 0);
	e2_mkfs(img, type, bsize, "-N 16384", "128M");
	e2_boot();
	e2_register(img);
	e2_mount(type, 0);
	copy_in(src, MNT "/tree");
	cmp_tree(src, MNT "/tree", &co);
	/* A sparse file past 4 GiB, outside the tree rdump copies. */
	T_OK(mkdir(out, 0755));
	snprintf(big, sizeof(big), "%s/big", out);
	host_pwrite(big, 0, 100, 1);
	host_pwrite(big, ((off_t)4 << 30) + 12345, 8000, 3);
	host_pwrite(big, ((off_t)5 << 30) - 10, 10, 4);
	copy_in(big, MNT "/big");
	co.co_entries = 0;
	cmp_tree(big, MNT "/big", &co);
	unlink(big);
	e2_umount();
	e2_fsck(img);
	/* And again after a remount, from the image. */
	e2_mount(type, MS_RDONLY);
	co.co_entries = 0;
	cmp_tree(src, MNT "/tree", &co);
	e2_umount();
	/* debugfs reads what we wrote. */
	st = e2_run(info, sizeof(info), "debugfs -R 'stat /big' '%s'", img);
	T_EQ(st, 0);
	if (strstr(info, "Size: 5368709120") == NULL)
		T_FAIL("debugfs stat /big: %s", info);
	st = e2_run(
	    NULL, 0, "debugfs -R 'rdump /tree %s' '%s' >/dev/null", out, img);
	T_EQ(st, 0);
	snprintf(cmd, sizeof(cmd), DIFF_TREES " '%s' '%s/tree' >&2", src, out);
	if (system(cmd) != 0)
		T_FAIL("debugfs rdump of the tree differs from the source");
	/* (rdump sets permission bits only: no setuid, no sticky.) */
	snprintf(cmd, sizeof(cmd),
	    "(cd '%s' && " LIST_TREE(
	        "! -type p ! -type c ! -type b") ") | sed -e 's/ 4755 / 755 /' "
	                                         "-e 's/ 1777 / 777 /' > "
	                                         "'%s.l1' && "
	                                         "(cd '%s/tree' && " LIST_TREE(
	                                             "") ") > '%s.l2' && "
	                                                 "diff '%s.l1' '%s.l2' "
	                                                 ">&2; r=$?; rm -f "
	                                                 "'%s.l1' '%s.l2'; "
	                                                 "exit $r",
	    src, img, out, img, img, img, img, img);
	if (system(cmd) != 0)
		T_FAIL("debugfs rdump: modes, owners or sizes differ");
	cleanup();
}

T_CASE(write_ext4_4k,
    "a tree written through rumpk on ext4 (4 KiB) passes "
    "e2fsck -fn and debugfs rdump matches")
{
	write_tree("ext4", 4096);
}

T_CASE(write_ext4_1k, "the same on ext4 with 1 KiB blocks")
{
	write_tree("ext4", 1024);
}

T_CASE(write_ext3_4k, "the same on ext3 (indirect blocks, 4 KiB)")
{
	write_tree("ext3", 4096);
}

T_CASE(write_ext2_1k, "the same on ext2 (indirect blocks, 1 KiB)")
{
	write_tree("ext2", 1024);
}

T_CASE(loop_mount,
    "Linux's own driver reads a tree we wrote (mount -o "
    "loop,ro, as root)")
{
	struct cmpopts co = {true, true, false, true, 0};
	char cmd[4000];

	e2_need_tools();
	if (geteuid() != 0)
		T_SKIP("not root: cannot loop-mount");
	e2_image_path(img, sizeof(img), "lp");
	snprintf(src, sizeof(src), "%s.src", img);
	snprintf(out, sizeof(out), "%s.mnt", img);
	make_tree(src, 100, 0);
	e2_mkfs(img, "ext4", 4096, NULL, "128M");
	e2_boot();
	e2_register(img);
	e2_mount("ext4", 0);
	copy_in(src, MNT "/tree");
	e2_umount();
	e2_fsck(img);
	T_OK(mkdir(out, 0755));
	if (e2_run(cmd, sizeof(cmd), "mount -o loop,ro '%s' '%s'", img, out)) {
		cleanup();
		T_SKIP("mount -o loop,ro is not allowed here: %s", cmd);
	}
	snprintf(cmd, sizeof(cmd),
	    DIFF_TREES " '%s' '%s/tree' >&2 && (cd '%s' && " LIST_TREE(
	        "") ") > '%s.l1' && (cd '%s/tree' && " LIST_TREE("") ") > "
	                                                             "'%s.l2' "
	                                                             "&& "
	                                                             "diff "
	                                                             "'%s.l1' "
	                                                             "'%s.l2' "
	                                                             ">&2; "
	                                                             "r=$?; "
	                                                             "umount "
	                                                             "'%s'; rm "
	                                                             "-f "
	                                                             "'%s.l1' "
	                                                             "'%s.l2'; "
	                                                             "exit $r",
	    src, out, src, img, out, img, img, img, out, img, img);
	if (system(cmd) != 0)
		T_FAIL("the Linux driver reads another tree");
	(void)co;
	cleanup();
}

/* ------------------------------------------------------ other checks */

T_CASE(features,
    "unknown incompat: EINVAL; unknown ro_compat: read-only only; "
    "needs_recovery: replayed, or read-only with noload")
{
	e2_need_tools();
	e2_image_path(img, sizeof(img), "ft");
	e2_boot();
	e2_mkfs(img, "ext4", 1024, NULL, "8M");
	T_EQ(e2_run(NULL, 0,
	         "debugfs -w -R 'ssv feature_incompat 0x80000242' '%s'", img),
	    0);
	e2_register(img);
	T_ERRNO(mount_as("ext4", MS_RDONLY), EINVAL);
	T_ERRNO(mount_as("ext4", 0), EINVAL);
	T_OK(rump_pub_etfs_remove(E2_DEV));

	e2_mkfs(img, "ext4", 4096, NULL, "8M");
	T_EQ(e2_run(NULL, 0,
	         "debugfs -w -R 'feature ^has_journal' '%s' && "
	         "debugfs -w -R 'ssv feature_ro_compat 0x80000000' "
	         "'%s'",
	         img, img),
	    0);
	e2_register(img);
	T_ERRNO(mount_as("ext4", 0), EROFS);
	e2_mount("ext4", MS_RDONLY);
	T_ERRNO(rump_sys_mkdir(MNT "/x", 0755), EROFS);
	T_ERRNO(rump_sys_mount(E2_DEV, MNT, "ext4", MS_REMOUNT, NULL), EROFS);
	e2_umount();
	T_OK(rump_pub_etfs_remove(E2_DEV));

	e2_mkfs(img, "ext3", 4096, NULL, "8M");
	T_EQ(
	    e2_run(NULL, 0, "debugfs -w -R 'feature needs_recovery' '%s'", img),
	    0);
	e2_register(img);
	/* needs_recovery with an empty log: noload only read-only. */
	T_ERRNO(rump_sys_mount(E2_DEV, MNT, "ext3", 0, "noload"), EINVAL);
	T_OK(rump_sys_mount(E2_DEV, MNT, "ext3", MS_RDONLY, "norecovery"));
	T_ERRNO(rump_sys_mount(E2_DEV, MNT, "ext3", MS_REMOUNT, NULL), EROFS);
	e2_umount();
	e2_mount("ext3", 0);
	e2_umount();
	T_OK(rump_pub_etfs_remove(E2_DEV));
	e2_fsck(img);
	T_EQ(e2_run(NULL, 0,
	         "dumpe2fs -h '%s' 2>/dev/null | grep -q needs_recovery", img),
	    1);

	/* Not an ext2 image at all. */
	T_EQ(e2_run(NULL, 0,
	         "dd if=/dev/zero of='%s' bs=1k count=1024 "
	         "2>/dev/null",
	         img),
	    0);
	e2_register(img);
	T_ERRNO(mount_as("ext2", 0), EINVAL);
	cleanup();
}

T_CASE(enospc,
    "a full image gives ENOSPC; after unlink writes work; "
    "e2fsck stays clean")
{
	static char buf[65536];
	struct statfs sf;
	size_t total = 0;
	ssize_t n;
	int fd;

	e2_need_tools();
	e2_image_path(img, sizeof(img), "ns");
	e2_mkfs(img, "ext4", 1024, "-m 0", "8M");
	e2_boot();
	e2_register(img);
	e2_mount("ext4", 0);
	memset(buf, 'f', sizeof(buf));
	T_OK(fd = rump_sys_open(MNT "/fill", O_WRONLY | O_CREAT, 0644));
	for (;;) {
		n = rump_sys_write(fd, buf, sizeof(buf));
		if (n == -1) {
			T_EQ(errno, ENOSPC);
			break;
		}
		total += (size_t)n;
		T_ASSERT(total <= 8 * MiB);
	}
	T_ASSERT(total >= 4 * MiB);
	T_OK(rump_sys_close(fd));
	T_OK(rump_sys_statfs(MNT, &sf));
	T_ASSERT(sf.f_bfree < 64);
	T_ERRNO(rump_sys_mkdir(MNT "/d", 0755), ENOSPC);
	T_OK(rump_sys_unlink(MNT "/fill"));
	T_OK(fd = rump_sys_open(MNT "/again", O_WRONLY | O_CREAT, 0644));
	for (int i = 0; i < 16; i++)
		T_EQ(rump_sys_write(fd, buf, sizeof(buf)), sizeof(buf));
	T_OK(rump_sys_close(fd));
	T_OK(rump_sys_mkdir(MNT "/d", 0755));
	e2_umount();
	e2_fsck(img);
	cleanup();
}

T_CASE(reuse_dirty,
    "blocks freed while their data is dirty in the cache, then taken by "
    "a large write past the cache, read back the new data")
{
	static unsigned char a[256 * 1024], b[256 * 1024], c[256 * 1024];
	int fd;

	e2_need_tools();
	e2_image_path(img, sizeof(img), "rd");
	e2_mkfs(img, "ext4", 4096, "", "16M");
	e2_boot();
	e2_register(img);
	e2_mount("ext4", 0);
	xfill(a, sizeof(a), 1);
	xfill(b, sizeof(b), 2);
	/* Small writes: the data stays in the cache, dirty. */
	T_OK(fd = rump_sys_open(MNT "/old", O_WRONLY | O_CREAT, 0644));
	for (size_t off = 0; off < sizeof(a); off += 4096)
		T_EQ(rump_sys_write(fd, a + off, 4096), 4096);
	T_OK(rump_sys_close(fd));
	T_OK(rump_sys_unlink(MNT "/old"));
	/* One large write of new blocks: past the cache, same blocks. */
	T_OK(fd = rump_sys_open(MNT "/new", O_RDWR | O_CREAT, 0644));
	T_EQ(rump_sys_write(fd, b, sizeof(b)), sizeof(b));
	T_EQ(rump_sys_pread64(fd, c, sizeof(c), 0), sizeof(c));
	T_ASSERT(memcmp(b, c, sizeof(b)) == 0);
	T_OK(rump_sys_fsync(fd));
	T_OK(rump_sys_close(fd));
	e2_umount();
	e2_fsck(img);
	/* And on the image, after the cache is gone. */
	e2_mount("ext4", MS_RDONLY);
	T_OK(fd = rump_sys_open(MNT "/new", O_RDONLY));
	memset(c, 0, sizeof(c));
	T_EQ(rump_sys_read(fd, c, sizeof(c)), sizeof(c));
	T_ASSERT(memcmp(b, c, sizeof(b)) == 0);
	T_OK(rump_sys_close(fd));
	e2_umount();
	cleanup();
}

T_CASE(times_2038,
    "nanoseconds and times past 2038 survive a remount; "
    "128-byte inodes keep seconds")
{
	struct timespec ts[2] = {{4102444800LL, 123456789}, {-1, 999}};
	struct stat st;
	int fd;

	e2_need_tools();
	e2_image_path(img, sizeof(img), "tm");
	e2_boot();
	e2_mkfs(img, "ext4", 4096, NULL, "8M");
	e2_register(img);
	e2_mount("ext4", 0);
	T_OK(fd = rump_sys_open(MNT "/f", O_WRONLY | O_CREAT, 0644));
	T_OK(rump_sys_close(fd));
	T_OK(rump_sys_utimensat(AT_FDCWD, MNT "/f", ts, 0));
	e2_umount();
	e2_fsck(img);
	e2_mount("ext4", MS_RDONLY);
	T_OK(rump_sys_stat(MNT "/f", &st));
	T_EQ(st.st_atim.tv_sec, 4102444800LL);
	T_EQ(st.st_atim.tv_nsec, 123456789);
	T_EQ(st.st_mtim.tv_sec, -1);
	T_EQ(st.st_mtim.tv_nsec, 999);
	e2_umount();
	T_OK(rump_pub_etfs_remove(E2_DEV));

	e2_mkfs(img, "ext2", 1024, "-I 128", "8M");
	e2_register(img);
	e2_mount("ext2", 0);
	T_OK(fd = rump_sys_open(MNT "/f", O_WRONLY | O_CREAT, 0644));
	T_OK(rump_sys_close(fd));
	ts[0].tv_sec = 1700000000;
	T_OK(rump_sys_utimensat(AT_FDCWD, MNT "/f", ts, 0));
	T_OK(rump_sys_stat(MNT "/f", &st));
	T_EQ(st.st_atim.tv_sec, 1700000000);
	T_EQ(st.st_atim.tv_nsec, 0);
	e2_umount();
	e2_fsck(img);
	cleanup();
}

/* ------------------------------------------------------ corrupt images */

/* Reads everything under path; errors are fine, crashes are not. */
static void
walk(const char *path, int depth)
{
	char buf[4096], p[1024];
	struct stat st;
	int fd;
	ssize_t n;

	if (depth > 8 || rump_sys_lstat(path, &st) == -1)
		return;
	if (S_ISLNK(st.st_mode)) {
		(void)rump_sys_readlink(path, buf, sizeof(buf));
		return;
	}
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		return; /* a fifo would wait for a writer */
	if ((fd = rump_sys_open(path, O_RDONLY | O_NONBLOCK, 0)) == -1)
		return;
	if (S_ISDIR(st.st_mode)) {
		while ((n = rump_sys_getdents64(fd, buf, sizeof(buf))) > 0) {
			for (ssize_t off = 0; off < n;) {
				struct dirent64 *e = (void *)(buf + off);

				off += e->d_reclen;
				if (strcmp(e->d_name, ".") == 0 ||
				    strcmp(e->d_name, "..") == 0)
					continue;
				snprintf(
				    p, sizeof(p), "%s/%s", path, e->d_name);
				walk(p, depth + 1);
			}
		}
	} else if (S_ISREG(st.st_mode)) {
		off_t off = 0;

		while (off < 4 * MiB &&
		    (n = rump_sys_read(fd, buf, sizeof(buf))) > 0)
			off += n;
	}
	rump_sys_close(fd);
}

static void
corrupt_run(const char *type, unsigned bsize, int rounds, unsigned seed0)
{
	char pristine[300], cmd[1400];
	unsigned char *orig;
	size_t len, meta;
	int fd, mounted = 0, refused = 0;

	e2_need_tools();
	e2_image_path(img, sizeof(img), "cr");
	snprintf(src, sizeof(src), "%s.src", img);
	snprintf(pristine, sizeof(pristine), "%s.orig", img);
	make_tree(src, 200, 0);
	snprintf(cmd, sizeof(cmd), "-N 512 -d '%s'", src);
	e2_mkfs(pristine, type, bsize, cmd, "4M");
	/* The metadata sits in front: the first quarter of a small image. */
	T_OK(fd = open(pristine, O_RDONLY));
	len = 4 * MiB;
	meta = len / 4;
	orig = malloc(len);
	T_ASSERT(orig != NULL);
	T_EQ(pread(fd, orig, len, 0), (ssize_t)len);
	close(fd);
	unlink(pristine);
	e2_boot();
	for (int r = 0; r < rounds; r++) {
		unsigned s = seed0 + (unsigned)r * 7919u;
		int flips = 1 + (int)(s % 8);

		/* A fresh copy with a few bits flipped. */
		T_OK(fd = open(img, O_WRONLY | O_CREAT | O_TRUNC, 0644));
		for (int i = 0; i < flips; i++) {
			size_t off;

			s = s * 1103515245u + 12345u;
			off = 1024 + (s >> 4) % (meta - 1024);
			orig[off] ^= (unsigned char)(1u << (s % 8));
		}
		T_EQ(write(fd, orig, len), (ssize_t)len);
		close(fd);
		/* Undo in the copy kept in memory. */
		s = seed0 + (unsigned)r * 7919u;
		for (int i = 0; i < flips; i++) {
			size_t off;

			s = s * 1103515245u + 12345u;
			off = 1024 + (s >> 4) % (meta - 1024);
			orig[off] ^= (unsigned char)(1u << (s % 8));
		}
		if (getenv("E2_VERBOSE"))
			fprintf(stderr, "  round %d (%d flips)\n", r, flips);
		e2_register(img);
		if (mount_as(type, 0) == -1 &&
		    mount_as(type, MS_RDONLY) == -1) {
			refused++;
		} else {
			int wfd;

			mounted++;
			walk(MNT, 0);
			wfd =
			    rump_sys_open(MNT "/new", O_WRONLY | O_CREAT, 0644);
			if (wfd != -1) {
				(void)rump_sys_write(wfd, orig, 70000);
				rump_sys_close(wfd);
			}
			(void)rump_sys_mkdir(MNT "/newdir", 0755);
			(void)rump_sys_unlink(MNT "/f4097");
			(void)rump_sys_rename(MNT "/f1", MNT "/sub/f1");
			(void)rump_sys_unlink(MNT "/many/file00007");
			walk(MNT, 0);
			if (rump_sys_umount2(MNT, 0) == -1)
				T_FAIL("round %d: unmount: %s", r,
				    strerror(errno));
		}
		T_OK(rump_pub_etfs_remove(E2_DEV));
	}
	fprintf(stderr, "  %d rounds: %d mounted, %d refused\n", rounds,
	    mounted, refused);
	free(orig);
	cleanup();
}

T_CASE(corrupt_ext4,
    "200 seeded bit-flip images (ext4, 1 KiB): errors, no "
    "crash or hang")
{
	corrupt_run("ext4", 1024, e2_corrupt_rounds(200), 1);
}

T_CASE(corrupt_ext2,
    "100 seeded bit-flip images (ext2, 4 KiB): errors, no "
    "crash or hang")
{
	corrupt_run("ext2", 4096, e2_corrupt_rounds(100), 77);
}
