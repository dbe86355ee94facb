/*
 * vfs_meta — tmpfs metadata operations against the host's tmpfs.
 *
 * Two loops, each run on the kernel's root tmpfs through rump_sys_*() and
 * on the host's tmpfs (/dev/shm, in a fresh directory) through the host's
 * system calls, with the same call sequence and the same file names:
 *
 *   meta      N times: open(name, O_CREAT|O_EXCL|O_RDWR) + fstat + close +
 *             unlink, every name different; the directory stays small.
 *             Reported in operations (the four calls) per second.
 *   createN   open(O_CREAT|O_EXCL|O_WRONLY) + close of N files into one
 *             empty directory, N = 10,000 and N = 100,000.  Reported in
 *             microseconds per file.  The files are removed afterwards,
 *             outside the clock.
 *
 * Both sides work relative to their current directory (chdir into the
 * benchmark directory first), so neither pays for a longer path.  The
 * kernel side runs in a process of its own (rump_pub_lwproc_rfork).  Each
 * repetition runs every loop on both sides in turn, so noise hits them
 * alike.  Prints "meta_rump", "meta_host" (ops/s), "create_small_rump",
 * "create_small_host", "create_large_rump", "create_large_host" (us per
 * file), one value per repetition, after a "param" line with the sizes.
 * Usage: vfs_meta [repetitions (5)] [meta files (100000)]
 *        [small create (10000)] [large create (100000)]
 * The host directory is made under $BENCH_HOST_TMPFS (default /dev/shm).
 */
#include <sys/reboot.h>

#include "vfsbench.h"

#define MAX_REPS 100

static char *host_dir;

static void
cleanup(void)
{
	if (host_dir != NULL)
		bench_host_rmtree(host_dir);
}

/* The kernel or the host: the same calls through one of two tables. */
struct ops {
	const char *name;
	int (*mkdir)(const char *, mode_t);
	int (*chdir)(const char *);
	int (*rmdir)(const char *);
	int (*open)(const char *, int, ...);
	int (*fstat)(int, struct stat *);
	int (*close)(int);
	int (*unlink)(const char *);
};

static const struct ops rump_ops = {"rump", rump_sys_mkdir, rump_sys_chdir,
    rump_sys_rmdir, rump_sys_open, rump_sys_fstat, rump_sys_close,
    rump_sys_unlink};
static const struct ops host_ops = {
    "host", mkdir, chdir, rmdir, open, fstat, close, unlink};

static void
fail(const struct ops *o, const char *what, const char *arg)
{
	int error = errno;
	char msg[256];

	snprintf(msg, sizeof(msg), "%s: %s(%s)", o->name, what, arg);
	bench_fail(msg, error);
}

/* Makes directory dir (relative to the side's benchmark root), enters it. */
static void
enter(const struct ops *o, const char *root, const char *dir)
{
	if (o->chdir(root) == -1)
		fail(o, "chdir", root);
	if (o->mkdir(dir, 0755) == -1)
		fail(o, "mkdir", dir);
	if (o->chdir(dir) == -1)
		fail(o, "chdir", dir);
}

static void
leave(const struct ops *o, const char *root, const char *dir)
{
	if (o->chdir(root) == -1)
		fail(o, "chdir", root);
	if (o->rmdir(dir) == -1)
		fail(o, "rmdir", dir);
}

/* create+fstat+close+unlink of n files; returns operations per second. */
static double
run_meta(const struct ops *o, const char *root, const char *dir, unsigned n,
    unsigned seq)
{
	struct stat st;
	char name[16];
	uint64_t t0, t1;
	int fd;

	enter(o, root, dir);
	t0 = bench_now_ns();
	for (unsigned i = 0; i < n; i++) {
		bench_name(name, 'm', seq + i);
		if ((fd = o->open(name, O_CREAT | O_EXCL | O_RDWR, 0644)) == -1)
			fail(o, "open", name);
		if (o->fstat(fd, &st) == -1)
			fail(o, "fstat", name);
		if (o->close(fd) == -1)
			fail(o, "close", name);
		if (o->unlink(name) == -1)
			fail(o, "unlink", name);
	}
	t1 = bench_now_ns();
	if (!S_ISREG(st.st_mode) || st.st_size != 0)
		fail(o, "fstat gave a wrong mode or size for", name);
	leave(o, root, dir);
	return (double)n * 1e9 / (double)(t1 - t0);
}

/* Creates n files in one new directory; returns microseconds per file. */
static double
run_create(const struct ops *o, const char *root, const char *dir, unsigned n)
{
	char name[16];
	uint64_t t0, t1;
	int fd;

	enter(o, root, dir);
	t0 = bench_now_ns();
	for (unsigned i = 0; i < n; i++) {
		bench_name(name, 'f', i);
		if ((fd = o->open(name, O_CREAT | O_EXCL | O_WRONLY, 0644)) ==
		    -1)
			fail(o, "open", name);
		if (o->close(fd) == -1)
			fail(o, "close", name);
	}
	t1 = bench_now_ns();
	for (unsigned i = 0; i < n; i++)
		if (o->unlink(bench_name(name, 'f', i)) == -1)
			fail(o, "unlink", name);
	leave(o, root, dir);
	return (double)(t1 - t0) / 1e3 / (double)n;
}

int
main(int argc, char **argv)
{
	static double meta[2][MAX_REPS], small[2][MAX_REPS], large[2][MAX_REPS];
	const struct ops *side[2] = {&rump_ops, &host_ops};
	const char *base = getenv("BENCH_HOST_TMPFS");
	int reps = argc > 1 ? atoi(argv[1]) : 5;
	long nmeta = argc > 2 ? atol(argv[2]) : 100000;
	long nsmall = argc > 3 ? atol(argv[3]) : 10000;
	long nlarge = argc > 4 ? atol(argv[4]) : 100000;
	const char *root[2];
	char dir[32];
	int error;

	if (reps < 1 || reps > MAX_REPS || nmeta < 1 || nsmall < 1 ||
	    nlarge < 1 || nmeta > 10000000 || nlarge > 10000000) {
		fprintf(stderr,
		    "usage: vfs_meta [repetitions 1..%d] "
		    "[meta files] [small create] [large create]\n",
		    MAX_REPS);
		return 2;
	}
	if (base == NULL || *base == '\0')
		base = "/dev/shm";
	host_dir = bench_host_mkdtemp(base);
	atexit(cleanup);
	printf("param meta_files=%ld small_files=%ld large_files=%ld "
	       "host_dir=%s\n",
	    nmeta, nsmall, nlarge, base);
	fflush(stdout);
	if ((error = rump_init()) != 0)
		bench_fail("rump_init", error);
	if ((error = rump_pub_lwproc_rfork(RUMP_RFFDG)) != 0)
		bench_fail("rump_pub_lwproc_rfork", error);
	if (rump_sys_mkdir("/bench", 0755) == -1)
		bench_fail("rump: mkdir /bench", errno);
	root[0] = "/bench";
	root[1] = host_dir;

	/* Warm up both sides: caches, first allocations, page faults. */
	for (int s = 0; s < 2; s++) {
		run_meta(side[s], root[s], "warm", 2000, 0);
		run_create(side[s], root[s], "warm", 2000);
	}
	for (int r = 0; r < reps; r++) {
		for (int s = 0; s < 2; s++) {
			snprintf(dir, sizeof(dir), "meta%d", r);
			meta[s][r] = run_meta(side[s], root[s], dir,
			    (unsigned)nmeta, (unsigned)r * (unsigned)nmeta);
		}
		for (int s = 0; s < 2; s++) {
			snprintf(dir, sizeof(dir), "small%d", r);
			small[s][r] =
			    run_create(side[s], root[s], dir, (unsigned)nsmall);
		}
		for (int s = 0; s < 2; s++) {
			snprintf(dir, sizeof(dir), "large%d", r);
			large[s][r] =
			    run_create(side[s], root[s], dir, (unsigned)nlarge);
		}
	}
	bench_print("meta_rump", meta[0], reps, 0);
	bench_print("meta_host", meta[1], reps, 0);
	bench_print("create_small_rump", small[0], reps, 3);
	bench_print("create_small_host", small[1], reps, 3);
	bench_print("create_large_rump", large[0], reps, 3);
	bench_print("create_large_host", large[1], reps, 3);
	rump_pub_lwproc_releaselwp();
	if (rump_sys_reboot(RB_HALT_SYSTEM) == -1)
		bench_fail("rump_sys_reboot", errno);
	return 0;
}
