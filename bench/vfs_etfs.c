/*
 * vfs_etfs — sequential I/O on a host image file through an etfs block
 * device, against the same I/O done directly on the host file.
 *
 * A host file of the given size (256 MiB) is made in $BENCH_ETFS_DIR
 * (default /var/tmp, a disk-backed directory) and filled once, outside
 * the clock.  The kernel maps it with
 * rump_pub_etfs_register("/dev/img", file, RUMP_ETFS_BLK).  Each
 * repetition, in turn:
 *   host_write  pwrite() of the whole file in 1 MiB calls, then fsync();
 *   host_read   pread() of the whole file in 1 MiB calls;
 *   write       rump_sys_open("/dev/img", O_RDWR), rump_sys_write() of the
 *               whole device in 1 MiB calls, then rump_sys_fsync();
 *   read        rump_sys_open("/dev/img", O_RDONLY), rump_sys_read() of the
 *               whole device in 1 MiB calls.
 * All in MB/s (10^6 bytes per second); the fsync is inside the write time,
 * the open and close are outside.  The first 8 bytes of every 1 MiB block
 * carry the repetition and block number of the side that wrote it, and
 * each read checks them; at the end the host reads back what the kernel
 * wrote last.  No cache is dropped (that needs root): both sides read
 * through the host's page cache, where the file mostly lives.
 * Prints "param", then "host_write", "host_read", "write", "read" lines,
 * one value per repetition.
 * Usage: vfs_etfs [repetitions (5)] [size in MiB (256)]
 */
#include <signal.h>
#include <sys/reboot.h>

#include "vfsbench.h"

#define MAX_REPS 100
#define MIB      (1024ul * 1024ul)
#define KEY      "/dev/img"

static char *host_path;

static void
cleanup(void)
{
	if (host_path != NULL)
		unlink(host_path);
}

/* A kernel panic aborts: remove the image anyway, then die as asked. */
static void
on_abort(int sig)
{
	if (host_path != NULL)
		unlink(host_path);
	signal(sig, SIG_DFL);
	raise(sig);
}

static double
mbps(uint64_t bytes, uint64_t ns)
{
	return (double)bytes * 1e3 / (double)ns;
}

static uint64_t
stamp_of(int side, int rep, uint64_t block)
{
	return (uint64_t)side << 56 | (uint64_t)rep << 32 | block;
}

static void
check(const char *who, const char *buf, uint64_t want)
{
	uint64_t got;

	memcpy(&got, buf, sizeof(got));
	if (got != want) {
		fprintf(stderr,
		    "bench: %s read the wrong data: stamp %#llx, "
		    "wanted %#llx\n",
		    who, (unsigned long long)got, (unsigned long long)want);
		exit(1);
	}
}

static void
io_fail(const char *what, ssize_t got)
{
	bench_fail(what, got < 0 ? errno : EIO);
}

static double
host_write(int fd, char *buf, uint64_t nblk, int rep)
{
	uint64_t t0, t1, st;
	ssize_t got;

	t0 = bench_now_ns();
	for (uint64_t i = 0; i < nblk; i++) {
		st = stamp_of(1, rep, i);
		memcpy(buf, &st, sizeof(st));
		if ((got = pwrite(fd, buf, MIB, (off_t)(i * MIB))) !=
		    (ssize_t)MIB)
			io_fail("host pwrite", got);
	}
	if (fsync(fd) == -1)
		bench_fail("host fsync", errno);
	t1 = bench_now_ns();
	return mbps(nblk * MIB, t1 - t0);
}

static double
host_read(int fd, char *buf, uint64_t nblk, int side, int rep)
{
	uint64_t t0, t1;
	ssize_t got;

	t0 = bench_now_ns();
	for (uint64_t i = 0; i < nblk; i++) {
		if ((got = pread(fd, buf, MIB, (off_t)(i * MIB))) !=
		    (ssize_t)MIB)
			io_fail("host pread", got);
		check("host", buf, stamp_of(side, rep, i));
	}
	t1 = bench_now_ns();
	return mbps(nblk * MIB, t1 - t0);
}

static double
rump_write(char *buf, uint64_t nblk, int rep)
{
	uint64_t t0, t1, st;
	ssize_t got;
	int fd;

	if ((fd = rump_sys_open(KEY, O_RDWR)) == -1)
		bench_fail("rump: open " KEY, errno);
	t0 = bench_now_ns();
	for (uint64_t i = 0; i < nblk; i++) {
		st = stamp_of(2, rep, i);
		memcpy(buf, &st, sizeof(st));
		if ((got = rump_sys_write(fd, buf, MIB)) != (ssize_t)MIB)
			io_fail("rump: write " KEY, got);
	}
	if (rump_sys_fsync(fd) == -1)
		bench_fail("rump: fsync " KEY, errno);
	t1 = bench_now_ns();
	if (rump_sys_close(fd) == -1)
		bench_fail("rump: close " KEY, errno);
	return mbps(nblk * MIB, t1 - t0);
}

static double
rump_read(char *buf, uint64_t nblk, int rep)
{
	uint64_t t0, t1;
	ssize_t got;
	int fd;

	if ((fd = rump_sys_open(KEY, O_RDONLY)) == -1)
		bench_fail("rump: open " KEY, errno);
	t0 = bench_now_ns();
	for (uint64_t i = 0; i < nblk; i++) {
		if ((got = rump_sys_read(fd, buf, MIB)) != (ssize_t)MIB)
			io_fail("rump: read " KEY, got);
		check("rump", buf, stamp_of(2, rep, i));
	}
	t1 = bench_now_ns();
	if ((got = rump_sys_read(fd, buf, MIB)) != 0)
		io_fail("rump: read at the end of " KEY, got < 0 ? got : 0);
	if (rump_sys_close(fd) == -1)
		bench_fail("rump: close " KEY, errno);
	return mbps(nblk * MIB, t1 - t0);
}

int
main(int argc, char **argv)
{
	static double hw[MAX_REPS], hr[MAX_REPS], rw[MAX_REPS], rr[MAX_REPS];
	const char *base = getenv("BENCH_ETFS_DIR");
	int reps = argc > 1 ? atoi(argv[1]) : 5;
	long mb = argc > 2 ? atol(argv[2]) : 256;
	uint64_t nblk;
	char *buf;
	int fd, error;

	if (reps < 1 || reps > MAX_REPS || mb < 1 || mb > 65536) {
		fprintf(stderr, "usage: vfs_etfs [repetitions 1..%d] [MiB]\n",
		    MAX_REPS);
		return 2;
	}
	nblk = (uint64_t)mb;
	if (base == NULL || *base == '\0')
		base = "/var/tmp";
	if (asprintf(&host_path, "%s/rumpk-etfs.XXXXXX", base) == -1)
		bench_fail("asprintf", ENOMEM);
	if ((fd = mkstemp(host_path)) == -1) {
		error = errno;
		free(host_path);
		host_path = NULL;
		bench_fail("mkstemp", error);
	}
	atexit(cleanup);
	signal(SIGABRT, on_abort);
	if ((buf = malloc(MIB)) == NULL)
		bench_fail("malloc", ENOMEM);
	memset(buf, 0x6b, MIB);
	/* Fill the file once, so neither side pays for allocating blocks. */
	host_write(fd, buf, nblk, 0);

	printf(
	    "param size_mib=%ld block_kib=1024 image_dir=%s rump_threads=%s\n",
	    mb, base, getenv("RUMP_THREADS") ? getenv("RUMP_THREADS") : "");
	fflush(stdout);
	if ((error = rump_init()) != 0)
		bench_fail("rump_init", error);
	if ((error = rump_pub_etfs_register(KEY, host_path, RUMP_ETFS_BLK)) !=
	    0)
		bench_fail("rump_pub_etfs_register", error);
	if ((error = rump_pub_lwproc_rfork(RUMP_RFFDG)) != 0)
		bench_fail("rump_pub_lwproc_rfork", error);
	/* Warm up the kernel's path once (and its buffers). */
	rump_write(buf, nblk, MAX_REPS);
	rump_read(buf, nblk, MAX_REPS);

	for (int r = 0; r < reps; r++) {
		hw[r] = host_write(fd, buf, nblk, r);
		hr[r] = host_read(fd, buf, nblk, 1, r);
		rw[r] = rump_write(buf, nblk, r);
		rr[r] = rump_read(buf, nblk, r);
	}
	/* What the kernel wrote last is in the host file. */
	host_read(fd, buf, nblk, 2, reps - 1);
	bench_print("host_write", hw, reps, 0);
	bench_print("host_read", hr, reps, 0);
	bench_print("write", rw, reps, 0);
	bench_print("read", rr, reps, 0);
	rump_pub_lwproc_releaselwp();
	if (rump_sys_reboot(RB_HALT_SYSTEM) == -1)
		bench_fail("rump_sys_reboot", errno);
	close(fd);
	return 0;
}
