/*
 * vfs_io — sequential write and read of one large tmpfs file, against the
 * memcpy bandwidth of this machine.
 *
 * Each repetition, in turn:
 *   memcpy    copies a 256 MiB buffer into another, 1 MiB at a time, as
 *             many passes as make the file size (both buffers are touched
 *             beforehand): the floor, in MB/s (10^6 bytes per second);
 *   rump      for 64 KiB and for 1 MiB calls: creates /io on the kernel's
 *             root tmpfs, rump_sys_write()s the whole size from one buffer,
 *             then reads it back with rump_sys_read() into one buffer; each
 *             direction timed alone, in MB/s.  The first 8 bytes of every
 *             call carry its index and the read side checks them.  The file
 *             is removed afterwards, outside the clock;
 *   host      the same with 1 MiB calls on a file of the host's tmpfs
 *             ($BENCH_HOST_TMPFS, default /dev/shm), for information.
 * The size is 1 GiB unless given, and halved until three times it fits in
 * MemAvailable (the kernel's copy, the host's copy, slack); the "param"
 * line says the size used.  Prints "memcpy", "write_64k", "read_64k",
 * "write_1m", "read_1m", "host_write_1m", "host_read_1m" (MB/s), one value
 * per repetition.
 * Usage: vfs_io [repetitions (5)] [size in MiB (1024)]
 */
#include <sys/reboot.h>

#include "vfsbench.h"

#define MAX_REPS 100
#define MIB      (1024ul * 1024ul)
#define COPY_BUF (256 * MIB)

static char *host_dir;

static void
cleanup(void)
{
	if (host_dir != NULL)
		bench_host_rmtree(host_dir);
}

/* Through a volatile pointer, so the copies cannot be optimised away. */
static void *(*volatile copy_fn)(void *, const void *, size_t) = memcpy;

static double
mbps(uint64_t bytes, uint64_t ns)
{
	return (double)bytes * 1e3 / (double)ns;
}

/* Copies size bytes in 1 MiB blocks from src to dst (COPY_BUF each). */
static double
run_memcpy(char *dst, const char *src, uint64_t size)
{
	uint64_t t0, t1, done = 0;

	t0 = bench_now_ns();
	while (done < size)
		for (size_t off = 0; off < COPY_BUF && done < size;
		     off += MIB, done += MIB)
			copy_fn(dst + off, src + off, MIB);
	t1 = bench_now_ns();
	return mbps(size, t1 - t0);
}

struct fileops {
	const char *name;
	int (*open)(const char *, int, ...);
	ssize_t (*write)(int, const void *, size_t);
	ssize_t (*read)(int, void *, size_t);
	off_t (*lseek)(int, off_t, int);
	int (*close)(int);
	int (*unlink)(const char *);
};

static const struct fileops rump_fops = {"rump", rump_sys_open, rump_sys_write,
    rump_sys_read, rump_sys_lseek, rump_sys_close, rump_sys_unlink};
static const struct fileops host_fops = {
    "host", open, write, read, lseek, close, unlink};

static void
fail(const struct fileops *o, const char *what)
{
	int error = errno;
	char msg[128];

	snprintf(msg, sizeof(msg), "%s: %s", o->name, what);
	bench_fail(msg, error);
}

/*
 * Writes size bytes to a new file path in calls of bs bytes, then reads
 * them back; sets the MB/s of each direction.
 */
static void
run_file(const struct fileops *o, const char *path, char *buf, size_t bs,
    uint64_t size, double *wr, double *rd)
{
	uint64_t t0, t1, n = size / bs, stamp;
	ssize_t got;
	int fd;

	if ((fd = o->open(path, O_CREAT | O_EXCL | O_RDWR, 0644)) == -1)
		fail(o, "open");
	t0 = bench_now_ns();
	for (uint64_t i = 0; i < n; i++) {
		memcpy(buf, &i, sizeof(i));
		if ((got = o->write(fd, buf, bs)) != (ssize_t)bs) {
			if (got >= 0)
				errno = EIO;
			fail(o, "write");
		}
	}
	t1 = bench_now_ns();
	*wr = mbps(n * bs, t1 - t0);
	if (o->lseek(fd, 0, SEEK_SET) != 0)
		fail(o, "lseek");
	t0 = bench_now_ns();
	for (uint64_t i = 0; i < n; i++) {
		if ((got = o->read(fd, buf, bs)) != (ssize_t)bs) {
			if (got >= 0)
				errno = EIO;
			fail(o, "read");
		}
		memcpy(&stamp, buf, sizeof(stamp));
		if (stamp != i) {
			errno = EILSEQ;
			fail(o, "read gave the wrong data");
		}
	}
	t1 = bench_now_ns();
	*rd = mbps(n * bs, t1 - t0);
	if ((got = o->read(fd, buf, bs)) != 0) {
		errno = got < 0 ? errno : EFBIG;
		fail(o, "read at the end of the file");
	}
	if (o->close(fd) == -1)
		fail(o, "close");
	if (o->unlink(path) == -1)
		fail(o, "unlink");
}

int
main(int argc, char **argv)
{
	enum { M_MEMCPY, M_W64, M_R64, M_W1, M_R1, M_HW1, M_HR1, M_COUNT };
	static const char *const mname[M_COUNT] = {"memcpy", "write_64k",
	    "read_64k", "write_1m", "read_1m", "host_write_1m", "host_read_1m"};
	static double v[M_COUNT][MAX_REPS];
	const char *base = getenv("BENCH_HOST_TMPFS");
	int reps = argc > 1 ? atoi(argv[1]) : 5;
	long mb = argc > 2 ? atol(argv[2]) : 1024;
	uint64_t size, avail;
	char *src, *dst, *buf, *hpath;
	int error;

	if (reps < 1 || reps > MAX_REPS || mb < 1) {
		fprintf(stderr, "usage: vfs_io [repetitions 1..%d] [MiB]\n",
		    MAX_REPS);
		return 2;
	}
	size = (uint64_t)mb * MIB;
	avail = bench_mem_available();
	while (avail != 0 && size > 16 * MIB && 3 * size + 2 * COPY_BUF > avail)
		size /= 2;
	if (base == NULL || *base == '\0')
		base = "/dev/shm";
	host_dir = bench_host_mkdtemp(base);
	atexit(cleanup);
	if (asprintf(&hpath, "%s/io", host_dir) == -1)
		bench_fail("asprintf", ENOMEM);
	if ((src = malloc(COPY_BUF)) == NULL ||
	    (dst = malloc(COPY_BUF)) == NULL || (buf = malloc(MIB)) == NULL)
		bench_fail("malloc", ENOMEM);
	memset(src, 0x5a, COPY_BUF);
	memset(dst, 0xa5, COPY_BUF);
	memset(buf, 0x3c, MIB);

	printf("param size_mib=%llu asked_mib=%ld mem_available_mib=%llu "
	       "host_dir=%s\n",
	    (unsigned long long)(size / MIB), mb,
	    (unsigned long long)(avail / MIB), base);
	fflush(stdout);
	if ((error = rump_init()) != 0)
		bench_fail("rump_init", error);
	if ((error = rump_pub_lwproc_rfork(RUMP_RFFDG)) != 0)
		bench_fail("rump_pub_lwproc_rfork", error);

	/*
	 * Warm up: one full-size pass of each side first.  In a virtual
	 * machine the first touch of guest memory the hypervisor has not
	 * backed yet costs far more than the copy; that is not what is
	 * measured here.
	 */
	run_memcpy(dst, src, COPY_BUF);
	run_file(&rump_fops, "/io", buf, MIB, size, &v[0][0], &v[0][0]);
	run_file(&host_fops, hpath, buf, MIB, size, &v[0][0], &v[0][0]);
	for (int r = 0; r < reps; r++) {
		v[M_MEMCPY][r] = run_memcpy(dst, src, size);
		run_file(&rump_fops, "/io", buf, 64 * 1024, size, &v[M_W64][r],
		    &v[M_R64][r]);
		run_file(&rump_fops, "/io", buf, MIB, size, &v[M_W1][r],
		    &v[M_R1][r]);
		run_file(&host_fops, hpath, buf, MIB, size, &v[M_HW1][r],
		    &v[M_HR1][r]);
	}
	for (int m = 0; m < M_COUNT; m++)
		bench_print(mname[m], v[m], reps, 0);
	rump_pub_lwproc_releaselwp();
	if (rump_sys_reboot(RB_HALT_SYSTEM) == -1)
		bench_fail("rump_sys_reboot", errno);
	free(hpath);
	return 0;
}
