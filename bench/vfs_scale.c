/*
 * vfs_scale — how tmpfs file work scales from one thread to two.
 *
 * Each worker thread makes its own kernel process with
 * rump_pub_lwproc_rfork(RUMP_RFFDG), makes its own directory /s<i> on the
 * root tmpfs and enters it, then loops: open(f<n>, O_CREAT|O_EXCL|O_WRONLY)
 * + write of 4 KiB + close + unlink, a new name each time.  One such loop
 * is one operation.  Configurations "rump1" and "rump2" run 1 and 2
 * workers for a fixed time; "host1" and "host2" run the same loop with
 * host system calls in directories of the host's tmpfs ($BENCH_HOST_TMPFS,
 * default /dev/shm), for information.  The workers start on a barrier and
 * poll a stop flag every BATCH operations.  Each repetition runs the four
 * configurations in turn.  Set RUMP_NCPU in the environment (bench/run.sh
 * uses 2).  Prints one line per configuration with the aggregate ops/s of
 * each repetition, then "cpu_<name>" lines: the CPU time the workers got
 * from the host over nthreads x wall time (well below 1: the run was
 * starved by other processes on the machine).
 * Usage: vfs_scale [repetitions (5)] [milliseconds per run (400)] [config]
 * With a config name ("rump2", ...), only that configuration runs and
 * only its lines are printed: for profiling (perf record) one of them.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/reboot.h>

#include "vfsbench.h"
#include "bench_team.h"

#define BATCH       32
#define MAX_THREADS 2
#define MAX_REPS    100
#define WSIZE       4096

static char *host_dir;

static void
cleanup(void)
{
	if (host_dir != NULL)
		bench_host_rmtree(host_dir);
}

struct worker {
	struct bench_worker w_bw; /* first: bench_team.h */
	int w_index;
	bool w_rump;
	int w_dirfd;    /* host: the worker's directory */
	uint64_t w_seq; /* next file number, kept over runs */
};

static void
wfail(struct worker *w, const char *what, const char *arg)
{
	int error = errno;
	char msg[256];

	snprintf(msg, sizeof(msg), "%s worker %d: %s(%s)",
	    w->w_rump ? "rump" : "host", w->w_index, what, arg);
	bench_fail(msg, error);
}

/*
 * One operation, in the kernel or on the host by w_rump.  Both look up one
 * name relative to the worker's directory: the kernel through the
 * process's current directory, the host (whose current directory is per
 * host process, shared by the threads) through a directory descriptor.
 */
static inline void
one_op(struct worker *w, char *name, const char *data)
{
	int fd;

	bench_name(name, 'f', (unsigned)w->w_seq++);
	if (w->w_rump) {
		if ((fd = rump_sys_open(
		         name, O_CREAT | O_EXCL | O_WRONLY, 0644)) == -1)
			wfail(w, "open", name);
		if (rump_sys_write(fd, data, WSIZE) != WSIZE)
			wfail(w, "write", name);
		if (rump_sys_close(fd) == -1)
			wfail(w, "close", name);
		if (rump_sys_unlink(name) == -1)
			wfail(w, "unlink", name);
	} else {
		if ((fd = openat(w->w_dirfd, name, O_CREAT | O_EXCL | O_WRONLY,
		         0644)) == -1)
			wfail(w, "openat", name);
		if (write(fd, data, WSIZE) != WSIZE)
			wfail(w, "write", name);
		if (close(fd) == -1)
			wfail(w, "close", name);
		if (unlinkat(w->w_dirfd, name, 0) == -1)
			wfail(w, "unlinkat", name);
	}
}

static void *
worker_main(void *arg)
{
	static char data[WSIZE];
	struct worker *w = arg;
	uint64_t ops = 0;
	char dir[32], name[16];
	int error;

	if (w->w_rump) {
		if ((error = rump_pub_lwproc_rfork(RUMP_RFFDG)) != 0)
			bench_fail("rump_pub_lwproc_rfork", error);
		snprintf(dir, sizeof(dir), "/s%d", w->w_index);
		if (rump_sys_mkdir(dir, 0755) == -1 && errno != EEXIST)
			wfail(w, "mkdir", dir);
		if (rump_sys_chdir(dir) == -1)
			wfail(w, "chdir", dir);
	}
	bench_worker_begin(&w->w_bw);
	while (bench_running()) {
		for (int i = 0; i < BATCH; i++)
			one_op(w, name, data);
		ops += BATCH;
	}
	bench_worker_end(&w->w_bw, ops);
	if (w->w_rump)
		rump_pub_lwproc_releaselwp();
	return NULL;
}

/*
 * Runs nthreads workers of one side for ms milliseconds; returns aggregate
 * ops/s and sets *cpu to the share of nthreads x wall time they ran.
 */
static double
run(struct worker *w, int nthreads, bool rump, long ms, double *cpu)
{
	struct bench_worker *ws[MAX_THREADS];

	for (int i = 0; i < nthreads; i++) {
		w[i].w_rump = rump;
		ws[i] = &w[i].w_bw;
	}
	return bench_team_run(ws, nthreads, worker_main, ms, cpu);
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int nthreads;
		bool rump;
	} cfg[] = {
	    {"rump1", 1, true},
	    {"rump2", 2, true},
	    {"host1", 1, false},
	    {"host2", 2, false},
	};
	enum { NCFG = sizeof(cfg) / sizeof(cfg[0]) };
	static double rate[NCFG][MAX_REPS], cpu[NCFG][MAX_REPS];
	struct worker w[MAX_THREADS];
	const char *base = getenv("BENCH_HOST_TMPFS");
	int reps = argc > 1 ? atoi(argv[1]) : 5;
	long ms = argc > 2 ? atol(argv[2]) : 400;
	const char *only = argc > 3 ? argv[3] : NULL;
	char name[32];
	double dummy;
	int error;

	if (reps < 1 || reps > MAX_REPS || ms < 1) {
		fprintf(stderr, "usage: vfs_scale [repetitions 1..%d] [ms]\n",
		    MAX_REPS);
		return 2;
	}
	if (base == NULL || *base == '\0')
		base = "/dev/shm";
	host_dir = bench_host_mkdtemp(base);
	atexit(cleanup);
	memset(w, 0, sizeof(w));
	for (int i = 0; i < MAX_THREADS; i++) {
		char *d;

		w[i].w_index = i;
		if (asprintf(&d, "%s/s%d", host_dir, i) == -1)
			bench_fail("asprintf", ENOMEM);
		if (mkdir(d, 0755) == -1)
			bench_fail(d, errno);
		if ((w[i].w_dirfd = open(d, O_RDONLY | O_DIRECTORY)) == -1)
			bench_fail(d, errno);
		free(d);
	}
	printf("param ms=%ld write_bytes=%d host_dir=%s\n", ms, WSIZE, base);
	fflush(stdout);
	if ((error = rump_init()) != 0)
		bench_fail("rump_init", error);
	/* Warm up: the first threads pay for lwp, stack and vnode caches. */
	run(w, 2, true, 50, &dummy);
	run(w, 2, false, 50, &dummy);
	for (int r = 0; r < reps; r++)
		for (int c = 0; c < NCFG; c++)
			if (only == NULL || strcmp(only, cfg[c].name) == 0)
				rate[c][r] = run(w, cfg[c].nthreads,
				    cfg[c].rump, ms, &cpu[c][r]);
	for (int c = 0; c < NCFG; c++)
		if (only == NULL || strcmp(only, cfg[c].name) == 0)
			bench_print(cfg[c].name, rate[c], reps, 0);
	for (int c = 0; c < NCFG; c++) {
		if (only != NULL && strcmp(only, cfg[c].name) != 0)
			continue;
		snprintf(name, sizeof(name), "cpu_%s", cfg[c].name);
		bench_print(name, cpu[c], reps, 2);
	}
	for (int i = 0; i < MAX_THREADS; i++)
		close(w[i].w_dirfd);
	if (rump_sys_reboot(RB_HALT_SYSTEM) == -1)
		bench_fail("rump_sys_reboot", errno);
	return 0;
}
