/*
 * ext2fs_mount.c — the ext2/3/4 driver under libFuzzer (make fuzz): each
 * input is a list of mutations of a small pristine ext4 image (made once
 * with mke2fs -d at start-up, 1 KiB blocks, metadata_csum off so that
 * the fuzzer gets past the checksums to the structures behind them),
 * with a hash-indexed directory (e2fsck -D) and an inode on the orphan
 * list (which a read-write mount truncates).  The mutated image is
 * mounted, walked (readdir, stat, readlink, read, extended attributes
 * where the host tree could have them), written to (create, write, set
 * an attribute, mkdir, rename, unlink, names entered into the indexed
 * directory) and unmounted; any crash, hang or sanitizer report is a
 * bug, errors are expected.
 *
 * An input is records of 4 bytes: a 24-bit little-endian byte offset
 * into the image (modulo its size) and a byte XORed in there.
 *
 *	make fuzz && ./build-fuzz/fuzz/ext2fs_mount -max_total_time=60
 *
 * tests/fs/ext2fs/t_ext2fs.c (corrupt_*) runs seeded bit flips of the
 * same kind in make check.  Needs mke2fs (e2fsprogs) on the PATH.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>

#define IMGSIZE (512 * 1024)

static unsigned char *pristine;
static char imgpath[256];

static void __attribute__((noreturn)) fz_die(const char *what)
{
	fprintf(stderr, "ext2fs_mount: %s: %s\n", what, strerror(errno));
	abort();
}

static void
fz_init(void)
{
	char dir[300], cmd[4096];
	FILE *f;

	snprintf(
	    imgpath, sizeof(imgpath), "/tmp/ext2fs_fuzz-%d.img", (int)getpid());
	snprintf(dir, sizeof(dir), "%s.d", imgpath);
	snprintf(cmd, sizeof(cmd),
	    "set -e; rm -rf '%s'; mkdir -p '%s/sub/deep'; cd '%s'; "
	    "echo hello > a; head -c 70000 /dev/zero | tr '\\0' x > big; "
	    "ln -s a sl; ln -s $(printf 'x%%.0s' $(seq 100)) slow; "
	    "ln a hl; mkfifo fifo; for i in $(seq 60); do : > sub/f$i; done; "
	    "echo deep > sub/deep/file; mkdir h; "
	    "for i in $(seq 150); do : > h/name_$i; done; "
	    "setfattr -n user.small -v 1 a 2>/dev/null || true; "
	    "setfattr -n user.blk -v $(printf 'v%%.0s' $(seq 600)) big "
	    "2>/dev/null || true; "
	    "export PATH=$PATH:/sbin:/usr/sbin; mke2fs -q -F -t ext4 -b 1024 "
	    "-O ^metadata_csum,^has_journal -N 256 -d . '%s' 512k; "
	    "e2fsck -fyD '%s' >/dev/null || [ $? -eq 1 ]; "
	    "debugfs -w -R \"ssv last_orphan $(debugfs -R 'stat /big' '%s' "
	    "2>/dev/null | sed -n 's/^Inode: \\([0-9]*\\).*/\\1/p')\" '%s'; "
	    "cd /; rm -rf '%s'",
	    dir, dir, dir, imgpath, imgpath, imgpath, imgpath, dir);
	if (system(cmd) != 0)
		fz_die("mke2fs -d (e2fsprogs needed)");
	pristine = malloc(IMGSIZE);
	if (pristine == NULL || (f = fopen(imgpath, "rb")) == NULL ||
	    fread(pristine, 1, IMGSIZE, f) != IMGSIZE)
		fz_die("reading the image");
	fclose(f);
	if ((errno = rump_init()) != 0)
		fz_die("rump_init");
	if (rump_sys_mkdir("/mnt", 0755) == -1)
		fz_die("mkdir /mnt");
}

static void
fz_walk(const char *path, int depth)
{
	char buf[4096], p[512];
	struct stat st;
	ssize_t n;
	int fd;

	if (depth > 6 || rump_sys_lstat(path, &st) == -1)
		return;
	n = rump_sys_llistxattr(path, buf, sizeof(buf));
	for (ssize_t i = 0; i < n; i += (ssize_t)strlen(buf + i) + 1)
		(void)rump_sys_lgetxattr(path, buf + i, p, sizeof(p));
	if (S_ISLNK(st.st_mode)) {
		(void)rump_sys_readlink(path, buf, sizeof(buf));
		return;
	}
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		return;
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
				fz_walk(p, depth + 1);
			}
		}
	} else {
		off_t total = 0;

		while (total < 1 << 20 &&
		    (n = rump_sys_read(fd, buf, sizeof(buf))) > 0)
			total += n;
	}
	rump_sys_close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char img[IMGSIZE];
	static char junk[8192];
	int fd;

	if (pristine == NULL)
		fz_init();
	memcpy(img, pristine, IMGSIZE);
	for (size_t i = 0; i + 4 <= size; i += 4) {
		size_t off = ((size_t)data[i] | (size_t)data[i + 1] << 8 |
		                 (size_t)data[i + 2] << 16) %
		    IMGSIZE;

		img[off] ^= data[i + 3];
	}
	if ((fd = open(imgpath, O_WRONLY | O_TRUNC)) == -1 ||
	    write(fd, img, IMGSIZE) != IMGSIZE || close(fd) == -1)
		fz_die("writing the image");
	if (rump_pub_etfs_register("/dev/fz", imgpath, RUMP_ETFS_BLK) != 0)
		fz_die("etfs_register");
	if (rump_sys_mount("/dev/fz", "/mnt", "ext4", 0, NULL) == 0 ||
	    rump_sys_mount(
	        "/dev/fz", "/mnt", "ext4", 1 /* MS_RDONLY */, NULL) == 0) {
		fz_walk("/mnt", 0);
		if ((fd = rump_sys_open(
		         "/mnt/new", O_WRONLY | O_CREAT, 0644)) != -1) {
			(void)rump_sys_write(fd, junk, sizeof(junk));
			rump_sys_close(fd);
		}
		(void)rump_sys_setxattr("/mnt/big", "user.blk", junk, 700, 0);
		(void)rump_sys_mkdir("/mnt/sub/newdir", 0755);
		(void)rump_sys_rename("/mnt/a", "/mnt/sub/a");
		(void)rump_sys_unlink("/mnt/big");
		(void)rump_sys_rmdir("/mnt/sub/deep");
		for (int i = 0; i < 40; i++) {
			char p[64];

			snprintf(p, sizeof(p), "/mnt/h/new_name_%d", i);
			if ((fd = rump_sys_open(p, O_WRONLY | O_CREAT, 0644)) !=
			    -1)
				rump_sys_close(fd);
			snprintf(p, sizeof(p), "/mnt/h/name_%d", 3 * i + 1);
			(void)rump_sys_unlink(p);
		}
		fz_walk("/mnt", 0);
		if (rump_sys_umount2("/mnt", 0) == -1)
			fz_die("unmount");
	}
	if (rump_pub_etfs_remove("/dev/fz") != 0)
		fz_die("etfs_remove");
	return 0;
}
