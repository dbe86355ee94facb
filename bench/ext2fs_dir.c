/*
 * ext2fs_dir — creating and looking up many names in one ext4 directory:
 * rumpk (hashed directories, ext2fs_htree.c) against the host's own
 * file system, in the same run.
 *
 *   ext2fs_dir rump DIR N    mke2fs -t ext4 of an image in DIR (outside
 *       the clock), rump_init, etfs, mount; then open(O_CREAT|O_EXCL) +
 *       close of N names in one new directory, then stat of each name;
 *       prints "create_rump_N <us per file>" and "stat_rump_N <us>".
 *   ext2fs_dir host DIR N    the same calls on the host in a new
 *       directory under DIR (run.sh loop-mounts an ext4 image made the
 *       same way there as root, else it is the host's tmpfs); the names
 *       are removed afterwards, outside the clock.
 *
 * Neither side syncs inside the clock.
 */
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>

#include "bench.h"

struct ops {
	int (*o_open)(const char *, int, ...);
	int (*o_close)(int);
	int (*o_stat)(const char *, struct stat *);
	int (*o_mkdir)(const char *, mode_t);
};

static void
run(const char *side, const struct ops *o, const char *dir, long n)
{
	char path[600], name[64];
	struct stat st;
	uint64_t t0, t1, t2;

	snprintf(path, sizeof(path), "%s/d%ld", dir, n);
	if (o->o_mkdir(path, 0755) == -1)
		bench_fail("mkdir", errno);
	t0 = bench_now_ns();
	for (long i = 0; i < n; i++) {
		int fd;

		snprintf(path, sizeof(path), "%s/d%ld/f%07ld", dir, n, i);
		if ((fd = o->o_open(path, O_WRONLY | O_CREAT | O_EXCL, 0644)) ==
		    -1)
			bench_fail("create", errno);
		o->o_close(fd);
	}
	t1 = bench_now_ns();
	for (long i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/d%ld/f%07ld", dir, n, i);
		if (o->o_stat(path, &st) == -1)
			bench_fail("stat", errno);
	}
	t2 = bench_now_ns();
	snprintf(name, sizeof(name), "create_%s_%ld", side, n);
	printf("%s %.3f\n", name, (double)(t1 - t0) / 1e3 / (double)n);
	snprintf(name, sizeof(name), "stat_%s_%ld", side, n);
	printf("%s %.3f\n", name, (double)(t2 - t1) / 1e3 / (double)n);
}

static int
host_open(const char *p, int fl, ...)
{
	return open(p, fl, 0644);
}

static int
rump_open(const char *p, int fl, ...)
{
	return rump_sys_open(p, fl, 0644);
}

int
main(int argc, char **argv)
{
	char img[600], cmd[1400];
	long n;
	int error;

	if (argc != 4) {
		fprintf(stderr, "usage: ext2fs_dir rump|host DIR N\n");
		return 2;
	}
	n = atol(argv[3]);
	if (strcmp(argv[1], "host") == 0) {
		static const struct ops h = {host_open, close, stat, mkdir};

		run("host", &h, argv[2], n);
		snprintf(cmd, sizeof(cmd), "rm -rf '%s/d%ld'", argv[2], n);
		return system(cmd) == 0 ? 0 : 1;
	}
	if (strcmp(argv[1], "rump") != 0)
		return 2;
	snprintf(img, sizeof(img), "%s/e2dir-%d.img", argv[2], (int)getpid());
	snprintf(cmd, sizeof(cmd),
	    "PATH=$PATH:/sbin:/usr/sbin mke2fs -q -F -t ext4 -N %ld '%s' 1G "
	    ">/dev/null 2>&1",
	    n + 1000, img);
	if (system(cmd) != 0)
		bench_fail("mke2fs", EIO);
	if ((error = rump_init()) != 0)
		bench_fail("rump_init", error);
	if ((error = rump_pub_etfs_register("/dev/e2", img, RUMP_ETFS_BLK)))
		bench_fail("etfs", error);
	if (rump_sys_mkdir("/mnt", 0755) == -1 ||
	    rump_sys_mount("/dev/e2", "/mnt", "ext4", 0, NULL) == -1)
		bench_fail("mount", errno);
	{
		static const struct ops r = {
		    rump_open, rump_sys_close, rump_sys_stat, rump_sys_mkdir};

		run("rump", &r, "/mnt", n);
	}
	if (rump_sys_umount2("/mnt", 0) == -1)
		bench_fail("umount", errno);
	unlink(img);
	return 0;
}
