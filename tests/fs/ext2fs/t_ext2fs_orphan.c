/*
 * t_ext2fs_orphan.c — the orphan list of the ext2/3/4 driver against
 * e2fsprogs and Linux: a file removed while open keeps its space until
 * the last close, and is on the superblock's orphan list (as dumpe2fs
 * and debugfs show) until then; a process that ends without unmounting
 * leaves the list on disk, and the next read-write mount frees what is
 * on it (e2fsck -fn clean after) while a read-only one leaves it; Linux
 * accepts such an image too; O_TMPFILE files are orphans until linkat
 * names them; an orphan with links (a truncation a crash cut short) is
 * truncated to its size; a bad list is an error message, not a crash.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdbool.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>

#include "e2fs_util.h"
#include "harness.h"

#define MNT E2_MNT
#define MiB (1024 * 1024)

static char img[256], img2[300], mnt[300];

static void
cleanup(void)
{
	if (img[0])
		unlink(img);
	if (img2[0])
		unlink(img2);
	if (mnt[0])
		rmdir(mnt);
}

/* A file of len bytes at path, left open for writing; its fd. */
static int
put_open(const char *path, size_t len)
{
	static char buf[65536];
	int fd;

	memset(buf, 'o', sizeof(buf));
	if ((fd = rump_sys_open(path, O_RDWR | O_CREAT, 0644)) == -1)
		T_FAIL("create %s: %s", path, strerror(errno));
	for (size_t n = 0; n < len; n += sizeof(buf))
		T_EQ(rump_sys_write(fd, buf, sizeof(buf)), sizeof(buf));
	return fd;
}

static long long
free_blocks(void)
{
	struct statfs sf;

	T_OK(rump_sys_statfs(MNT, &sf));
	return (long long)sf.f_bfree;
}

static unsigned
ino_of(int fd)
{
	struct stat st;

	T_OK(rump_sys_fstat(fd, &st));
	return (unsigned)st.st_ino;
}

/* The superblock's first orphan, from dumpe2fs (0: none). */
static unsigned
first_orphan(const char *image)
{
	char out[16384], *p;

	if (e2_run(out, sizeof(out), "dumpe2fs -h '%s'", image) != 0)
		T_FAIL("dumpe2fs %s: %.300s", image, out);
	if ((p = strstr(out, "First orphan inode:")) == NULL)
		return 0;
	return (unsigned)strtoul(p + strlen("First orphan inode:"), NULL, 10);
}

/* An inode's link count and dtime, from debugfs. */
static void
stat_of(const char *image, unsigned ino, unsigned *links, unsigned *dtime)
{
	char out[8192], *p;

	if (e2_run(out, sizeof(out), "debugfs -R 'stat <%u>' '%s'", ino,
	        image) != 0 ||
	    (p = strstr(out, "Links: ")) == NULL)
		T_FAIL("debugfs stat <%u>: %.300s", ino, out);
	*links = (unsigned)strtoul(p + 7, NULL, 10);
	*dtime = 0;
	if ((p = strstr(out, "dtime: 0x")) != NULL)
		*dtime = (unsigned)strtoul(p + 7, NULL, 16);
}

T_CASE(unlink_open,
    "a file removed while open: on the orphan list (dumpe2fs) until the "
    "last close, space back then, e2fsck clean")
{
	long long before, during;
	unsigned ino, links, dtime;
	int fd;

	e2_need_tools();
	e2_image_path(img, sizeof(img), "ou");
	e2_mkfs(img, "ext4", 4096, NULL, "64M");
	e2_boot();
	e2_register(img);
	e2_mount("ext4", 0);
	before = free_blocks();
	fd = put_open(MNT "/f", 8 * MiB);
	ino = ino_of(fd);
	T_OK(rump_sys_unlink(MNT "/f"));
	during = free_blocks();
	T_ASSERT(during <= before - 2048);
	T_OK(rump_sys_sync());
	T_EQ(first_orphan(img), ino);
	stat_of(img, ino, &links, &dtime);
	T_EQ(links, 0);
	T_EQ(dtime, 0); /* the end of the list */
	/* A removed open file still reads, writes and truncates. */
	T_EQ(rump_sys_pwrite64(fd, "x", 1, 100), 1);
	T_OK(rump_sys_ftruncate(fd, 4 * MiB));
	/* (A journal gives freed blocks back at its commit.) */
	T_OK(rump_sys_fsync(fd));
	T_ASSERT(free_blocks() >= during + 1000);
	T_ERRNO(
	    rump_sys_mount(E2_DEV, MNT, "ext4", MS_REMOUNT | MS_RDONLY, NULL),
	    EBUSY);
	T_OK(rump_sys_close(fd));
	T_OK(rump_sys_sync());
	T_EQ(free_blocks(), before);
	T_EQ(first_orphan(img), 0);
	e2_umount();
	e2_fsck(img);
	cleanup();
}

T_CASE(orphan_middle,
    "three removed open files: closing the middle one relinks the list "
    "on disk (debugfs dtime)")
{
	unsigned ino[3], links, dtime;
	int fd[3];

	e2_need_tools();
	e2_image_path(img, sizeof(img), "om");
	e2_mkfs(img, "ext4", 1024, NULL, "16M");
	e2_boot();
	e2_register(img);
	e2_mount("ext4", 0);
	for (int i = 0; i < 3; i++) {
		char p[64];

		snprintf(p, sizeof(p), MNT "/f%d", i);
		fd[i] = put_open(p, 65536);
		ino[i] = ino_of(fd[i]);
		T_OK(rump_sys_unlink(p));
	}
	T_OK(rump_sys_sync());
	/* Newest first: 2 → 1 → 0. */
	T_EQ(first_orphan(img), ino[2]);
	stat_of(img, ino[2], &links, &dtime);
	T_EQ(dtime, ino[1]);
	T_OK(rump_sys_close(fd[1]));
	T_OK(rump_sys_sync());
	T_EQ(first_orphan(img), ino[2]);
	stat_of(img, ino[2], &links, &dtime);
	T_EQ(dtime, ino[0]);
	stat_of(img, ino[0], &links, &dtime);
	T_EQ(dtime, 0);
	T_OK(rump_sys_close(fd[2]));
	T_OK(rump_sys_sync());
	T_EQ(first_orphan(img), ino[0]);
	T_OK(rump_sys_close(fd[0]));
	e2_umount();
	T_EQ(first_orphan(img), 0);
	e2_fsck(img);
	cleanup();
}

/*
 * A child process mounts img, leaves files removed while open (and an
 * O_TMPFILE file) on the orphan list, syncs and ends without unmounting.
 * Returns the orphans' inode numbers in ino[0..2].
 */
static void
crash_with_orphans(const char *type, unsigned ino[3])
{
	int p[2], st;
	pid_t pid;

	T_OK(pipe(p));
	T_OK(pid = fork());
	if (pid == 0) {
		unsigned out[3];
		int fd;

		close(p[0]);
		e2_boot();
		e2_register(img);
		e2_mount(type, 0);
		T_OK(rump_sys_mkdir(MNT "/d", 0755));
		/* a: removed while open. */
		fd = put_open(MNT "/d/a", 3 * MiB);
		out[0] = ino_of(fd);
		T_OK(rump_sys_unlink(MNT "/d/a"));
		/* An O_TMPFILE file. */
		T_OK(fd = rump_sys_open(MNT "/d", O_TMPFILE | O_RDWR, 0600));
		T_EQ(rump_sys_write(fd, "tmp", 3), 3);
		out[1] = ino_of(fd);
		/* b: replaced by a rename while open. */
		fd = put_open(MNT "/b", 65536);
		out[2] = ino_of(fd);
		T_OK(fd = rump_sys_open(MNT "/keep", O_RDWR | O_CREAT, 0644));
		T_OK(rump_sys_close(fd));
		T_OK(rump_sys_rename(MNT "/keep", MNT "/b"));
		T_OK(rump_sys_sync());
		T_EQ(write(p[1], out, sizeof(out)), (ssize_t)sizeof(out));
		_exit(0); /* no unmount, no halt */
	}
	close(p[1]);
	T_EQ(read(p[0], ino, 3 * sizeof(unsigned)),
	    (ssize_t)(3 * sizeof(unsigned)));
	close(p[0]);
	T_EQ(waitpid(pid, &st, 0), pid);
	T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void
crash_case(const char *type, unsigned bsize)
{
	unsigned ino[3], links, dtime;
	char out[4096];
	struct stat st;

	e2_need_tools();
	e2_image_path(img, sizeof(img), "oc");
	e2_mkfs(img, type, bsize, NULL, "32M");
	crash_with_orphans(type, ino);
	/* The list on disk, newest first: b, the O_TMPFILE file, a. */
	T_EQ(first_orphan(img), ino[2]);
	stat_of(img, ino[2], &links, &dtime);
	T_EQ(links, 0);
	T_EQ(dtime, ino[1]);
	stat_of(img, ino[1], &links, &dtime);
	T_EQ(links, 0);
	T_EQ(dtime, ino[0]);
	stat_of(img, ino[0], &links, &dtime);
	T_EQ(links, 0);
	T_EQ(dtime, 0);

	/* Linux accepts the image: read-only, and read-write (it cleans). */
	if (geteuid() != 0) {
		fprintf(stderr, "  SKIP (part): not root, no loop mount\n");
	} else {
		snprintf(img2, sizeof(img2), "%s.linux", img);
		snprintf(mnt, sizeof(mnt), "%s.mnt", img);
		T_OK(mkdir(mnt, 0755));
		T_EQ(e2_run(out, sizeof(out), "cp '%s' '%s'", img, img2), 0);
		if (e2_run(out, sizeof(out), "mount -o loop,ro '%s' '%s'", img2,
		        mnt) != 0) {
			fprintf(
			    stderr, "  SKIP (part): mount -o loop: %s\n", out);
		} else {
			int r = e2_run(
			    out, sizeof(out), "ls '%s/b' '%s/d'", mnt, mnt);

			T_EQ(e2_run(NULL, 0, "umount '%s'", mnt), 0);
			T_EQ(r, 0);
			T_EQ(e2_run(out, sizeof(out), "mount -o loop '%s' '%s'",
			         img2, mnt),
			    0);
			T_EQ(e2_run(NULL, 0, "umount '%s'", mnt), 0);
			T_EQ(first_orphan(img2), 0);
			e2_fsck(img2);
			fprintf(
			    stderr, "  Linux mounts it and cleans the list\n");
		}
	}

	/* Ours: read-only leaves the list, read-write frees it all. */
	e2_boot();
	e2_register(img);
	e2_mount(type, MS_RDONLY);
	T_OK(rump_sys_stat(MNT "/b", &st));
	e2_umount();
	T_EQ(first_orphan(img), ino[2]);
	e2_mount(type, 0);
	e2_umount();
	T_EQ(first_orphan(img), 0);
	for (int i = 0; i < 3; i++) {
		stat_of(img, ino[i], &links, &dtime);
		T_EQ(links, 0);
		T_ASSERT(dtime > 1000000000u); /* a time: freed */
	}
	e2_fsck(img);
	cleanup();
}

T_CASE(crash_ext4,
    "ext4: orphans left by a process that ended without unmount (after a "
    "sync) are freed by the next read-write mount; Linux accepts them")
{
	crash_case("ext4", 4096);
}

T_CASE(crash_ext2, "the same on ext2 with 1 KiB blocks (indirect blocks)")
{
	crash_case("ext2", 1024);
}

T_CASE(orphan_truncate,
    "an orphan with links (a truncation cut short) is truncated to its "
    "size at mount")
{
	char src[400], out[4096];
	unsigned ino;
	int fd;

	e2_need_tools();
	e2_image_path(img, sizeof(img), "ot");
	snprintf(src, sizeof(src), "%s.src", img);
	T_OK(mkdir(src, 0755));
	snprintf(out, sizeof(out), "%s/big", src);
	T_OK(fd = open(out, O_WRONLY | O_CREAT, 0644));
	for (int i = 0; i < 64; i++)
		T_EQ(write(fd, out, 4096), 4096);
	T_OK(close(fd));
	snprintf(out, sizeof(out), "-d '%s'", src);
	e2_mkfs(img, "ext4", 4096, out, "32M");
	T_EQ(e2_run(NULL, 0, "rm -rf '%s'", src), 0);
	T_EQ(e2_run(out, sizeof(out),
	         "debugfs -R 'stat /big' '%s' | grep -o "
	         "'Inode: [0-9]*'",
	         img),
	    0);
	ino = (unsigned)strtoul(strstr(out, "Inode: ") + 7, NULL, 10);
	/* As a crash after the size went to disk, before the blocks. */
	T_EQ(e2_run(NULL, 0,
	         "debugfs -w -R 'sif /big size 5000' '%s' && debugfs -w -R "
	         "'ssv last_orphan %u' '%s'",
	         img, ino, img),
	    0);
	e2_boot();
	e2_register(img);
	e2_mount("ext4", 0);
	e2_umount();
	T_EQ(first_orphan(img), 0);
	e2_fsck(img);
	T_EQ(e2_run(out, sizeof(out), "debugfs -R 'stat /big' '%s'", img), 0);
	T_ASSERT(strstr(out, "Size: 5000") != NULL);
	T_ASSERT(strstr(out, "Blockcount: 16") != NULL); /* 2 blocks */
	cleanup();
}

T_CASE(orphan_bad,
    "a bad orphan list (an inode out of range, a loop) is reported and "
    "dropped, not followed")
{
	unsigned ino;
	int fd;

	e2_need_tools();
	e2_image_path(img, sizeof(img), "ob");
	e2_mkfs(img, "ext4", 1024, NULL, "8M");
	e2_boot();
	e2_register(img);
	e2_mount("ext4", 0);
	T_OK(fd = rump_sys_open(MNT "/f", O_RDWR | O_CREAT, 0644));
	ino = ino_of(fd);
	T_OK(rump_sys_close(fd));
	e2_umount();
	T_OK(rump_pub_etfs_remove(E2_DEV));
	/* Out of range. */
	T_EQ(e2_run(
	         NULL, 0, "debugfs -w -R 'ssv last_orphan 99999999' '%s'", img),
	    0);
	e2_register(img);
	e2_mount("ext4", 0);
	e2_umount();
	T_OK(rump_pub_etfs_remove(E2_DEV));
	T_EQ(first_orphan(img), 0);
	/* A loop: f names itself; it has a link, so it is truncated. */
	T_EQ(e2_run(NULL, 0,
	         "debugfs -w -R 'ssv last_orphan %u' '%s' && debugfs -w -R "
	         "'sif <%u> dtime %u' '%s'",
	         ino, img, ino, ino, img),
	    0);
	e2_register(img);
	e2_mount("ext4", 0);
	T_OK(rump_sys_access(MNT "/f", F_OK));
	e2_umount();
	T_EQ(first_orphan(img), 0);
	e2_fsck(img);
	cleanup();
}

T_CASE(tmpfile_link,
    "O_TMPFILE on ext4: an orphan until linkat names it; unnamed ones "
    "are freed at close; e2fsck clean")
{
	long long before;
	int fd, fd2;

	e2_need_tools();
	e2_image_path(img, sizeof(img), "ol");
	e2_mkfs(img, "ext4", 4096, NULL, "32M");
	e2_boot();
	e2_register(img);
	e2_mount("ext4", 0);
	before = free_blocks();
	T_OK(fd = rump_sys_open(MNT, O_TMPFILE | O_RDWR, 0640));
	T_EQ(rump_sys_write(fd, "hello", 5), 5);
	T_OK(fd2 = rump_sys_open(MNT, O_TMPFILE | O_RDWR, 0600));
	T_EQ(rump_sys_write(fd2, "gone", 4), 4);
	T_OK(rump_sys_sync());
	T_EQ(first_orphan(img), ino_of(fd2));
	T_OK(rump_sys_linkat(fd, "", AT_FDCWD, MNT "/named", AT_EMPTY_PATH));
	T_OK(rump_sys_sync());
	T_EQ(first_orphan(img), ino_of(fd2)); /* the named one is off it */
	T_OK(rump_sys_close(fd));
	T_OK(rump_sys_close(fd2));
	e2_umount();
	T_EQ(first_orphan(img), 0);
	e2_fsck(img);
	e2_mount("ext4", 0);
	{
		char buf[8];

		T_OK(fd = rump_sys_open(MNT "/named", O_RDONLY, 0));
		T_EQ(rump_sys_read(fd, buf, sizeof(buf)), 5);
		T_ASSERT(memcmp(buf, "hello", 5) == 0);
		T_OK(rump_sys_close(fd));
	}
	T_ASSERT(free_blocks() <= before);
	e2_umount();
	cleanup();
}
