/*
 * jnl_ext2fs.c — what the ext4 journal costs (kernel/fs/ext2fs/
 * ext2fs_journal.c), against the host in the same run.
 *
 *   commit latency: pwrite of 4 KiB + fsync, on an ext4 image through
 *     rumpk (appending, so each fsync commits a transaction; and
 *     overwriting, data only), vs the host writing and fsyncing a host
 *     file in the same directory;
 *   metadata-heavy: 10,000 files created (open O_CREAT + close) in one
 *     directory, then unmount (everything written), on ext4 with a
 *     journal vs ext4 made with -O ^has_journal.
 *
 * Usage: jnl_ext2fs DIR REPS OUT.json.  Prints a table and writes the
 * medians and ratios as JSON to OUT.json.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>

#include "bench.h"

#define FSYNC_N  200
#define NFILES   10000
#define MAXREPS  15

static char dir[256];

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void
mkimage(const char *img, const char *opts)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
	    "rm -f '%s' && PATH=$PATH:/sbin:/usr/sbin mke2fs -q -F -t ext4 "
	    "-b 4096 %s '%s' 256M >/dev/null 2>&1",
	    img, opts, img);
	if (system(cmd) != 0)
		bench_fail("mke2fs", EIO);
}

static void
mount_img(const char *img, const char *key)
{
	int error;

	if ((error = rump_pub_etfs_register(key, img, RUMP_ETFS_BLK)) != 0)
		bench_fail("etfs_register", error);
	if (rump_sys_mount(key, "/mnt", "ext4", 0, NULL) == -1)
		bench_fail("mount", errno);
}

static void
umount_img(const char *key)
{
	if (rump_sys_umount2("/mnt", 0) == -1)
		bench_fail("unmount", errno);
	if (rump_pub_etfs_remove(key) != 0)
		bench_fail("etfs_remove", EIO);
}

/* Median µs of FSYNC_N pwrite(4 KiB) + fsync; append: at the end. */
static double
fsync_rump(bool append)
{
	static char buf[4096];
	double v[FSYNC_N];
	int fd;

	memset(buf, 'j', sizeof(buf));
	fd = rump_sys_open("/mnt/f", O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd == -1)
		bench_fail("open", errno);
	if (rump_sys_pwrite64(fd, buf, sizeof(buf), 0) != sizeof(buf) ||
	    rump_sys_fsync(fd) == -1)
		bench_fail("write", errno);
	for (int i = 0; i < FSYNC_N; i++) {
		off_t off = append ? (off_t)(i + 1) * 4096 : 0;
		uint64_t t0 = bench_now_ns();

		if (rump_sys_pwrite64(fd, buf, sizeof(buf), off) !=
		        sizeof(buf) ||
		    rump_sys_fsync(fd) == -1)
			bench_fail("pwrite+fsync", errno);
		v[i] = (double)(bench_now_ns() - t0) / 1000;
	}
	rump_sys_close(fd);
	rump_sys_unlink("/mnt/f");
	return median(v, FSYNC_N);
}

static double
fsync_host(bool append)
{
	static char buf[4096];
	char path[300];
	double v[FSYNC_N];
	int fd;

	memset(buf, 'h', sizeof(buf));
	snprintf(path, sizeof(path), "%s/jnl-host-file", dir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644)) == -1)
		bench_fail(path, errno);
	if (pwrite(fd, buf, sizeof(buf), 0) != sizeof(buf) || fsync(fd) == -1)
		bench_fail("host write", errno);
	for (int i = 0; i < FSYNC_N; i++) {
		off_t off = append ? (off_t)(i + 1) * 4096 : 0;
		uint64_t t0 = bench_now_ns();

		if (pwrite(fd, buf, sizeof(buf), off) != sizeof(buf) ||
		    fsync(fd) == -1)
			bench_fail("host pwrite+fsync", errno);
		v[i] = (double)(bench_now_ns() - t0) / 1000;
	}
	close(fd);
	unlink(path);
	return median(v, FSYNC_N);
}

/* Seconds to create NFILES files in one directory and unmount. */
static double
create_files(const char *img, const char *key)
{
	char name[32];
	uint64_t t0;

	mount_img(img, key);
	if (rump_sys_mkdir("/mnt/d", 0755) == -1)
		bench_fail("mkdir", errno);
	t0 = bench_now_ns();
	for (int i = 0; i < NFILES; i++) {
		int fd;

		snprintf(name, sizeof(name), "/mnt/d/f%d", i);
		fd = rump_sys_open(name, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd == -1 || rump_sys_close(fd) == -1)
			bench_fail("create", errno);
	}
	umount_img(key);
	return (double)(bench_now_ns() - t0) / 1e9;
}

int
main(int argc, char **argv)
{
	double fr_a[MAXREPS], fr_o[MAXREPS], fh_a[MAXREPS], fh_o[MAXREPS];
	double cj[MAXREPS], cn[MAXREPS];
	char img[300], imgn[300];
	int reps, error;
	FILE *out;

	if (argc != 4) {
		fprintf(stderr, "usage: jnl_ext2fs DIR REPS OUT.json\n");
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s", argv[1]);
	reps = atoi(argv[2]);
	if (reps < 1 || reps > MAXREPS)
		reps = 5;
	snprintf(img, sizeof(img), "%s/jnl-bench-%d.img", dir, (int)getpid());
	snprintf(imgn, sizeof(imgn), "%s/jnl-bench-nj-%d.img", dir,
	    (int)getpid());
	if ((error = rump_init()) != 0)
		bench_fail("rump_init", error);
	if (rump_sys_mkdir("/mnt", 0755) == -1)
		bench_fail("mkdir /mnt", errno);

	mkimage(img, "");
	mount_img(img, "/dev/jb");
	for (int r = 0; r < reps; r++) {
		/* Interleaved, so that noise hits both sides alike. */
		fr_a[r] = fsync_rump(true);
		fh_a[r] = fsync_host(true);
		fr_o[r] = fsync_rump(false);
		fh_o[r] = fsync_host(false);
	}
	umount_img("/dev/jb");
	for (int r = 0; r < reps; r++) {
		mkimage(img, "");
		mkimage(imgn, "-O ^has_journal");
		cj[r] = create_files(img, "/dev/jb");
		cn[r] = create_files(imgn, "/dev/jn");
	}
	unlink(img);
	unlink(imgn);

	double mra = median(fr_a, reps), mha = median(fh_a, reps);
	double mro = median(fr_o, reps), mho = median(fh_o, reps);
	double mcj = median(cj, reps), mcn = median(cn, reps);

	printf("ext4 journal (medians of %d runs, host file in %s)\n", reps,
	    dir);
	printf("  4 KiB append + fsync (commit): rumpk %8.1f us  host %8.1f us"
	       "  ratio %.2f\n",
	    mra, mha, mra / mha);
	printf("  4 KiB overwrite + fsync:       rumpk %8.1f us  host %8.1f us"
	       "  ratio %.2f\n",
	    mro, mho, mro / mho);
	printf("  create %d files + unmount:  journal %.3f s  no journal "
	       "%.3f s  ratio %.2f\n",
	    NFILES, mcj, mcn, mcj / mcn);
	if ((out = fopen(argv[3], "w")) == NULL)
		bench_fail(argv[3], errno);
	fprintf(out,
	    "{\n  \"benchmark\": \"ext2fs journal\",\n  \"reps\": %d,\n"
	    "  \"dir\": \"%s\",\n"
	    "  \"fsync_append_4k_us\": {\"rumpk\": %.1f, \"host\": %.1f, "
	    "\"ratio\": %.3f},\n"
	    "  \"fsync_overwrite_4k_us\": {\"rumpk\": %.1f, \"host\": %.1f, "
	    "\"ratio\": %.3f},\n"
	    "  \"create_%d_s\": {\"journal\": %.3f, \"no_journal\": %.3f, "
	    "\"ratio\": %.3f}\n}\n",
	    reps, dir, mra, mha, mra / mha, mro, mho, mro / mho, NFILES, mcj,
	    mcn, mcj / mcn);
	fclose(out);
	return 0;
}
