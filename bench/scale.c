/*
 * scale — how null system calls scale over virtual CPUs.
 *
 * Runs rump_sys_getpid() in a loop on 1 and on 2 threads for a fixed time
 * and reports the aggregate rate in calls per second.  In the "bound"
 * configurations each thread first makes its own process with
 * rump_pub_lwproc_rfork(RUMP_RFCFDG); in the "implicit" ones the threads
 * share the implicit context of pid 1.  The threads start together on a
 * barrier and poll a stop flag every BATCH calls, so the flag costs nothing
 * measurable.  Each repetition runs all four configurations in turn.
 * Set RUMP_NCPU in the environment (bench/run.sh uses 2).  Prints one line
 * per configuration, "bound1 ... bound2 ... implicit1 ... implicit2 ...",
 * with the calls/s of each repetition, then for each a "cpu_<name>" line:
 * the CPU time the workers got from the host over nthreads x wall time.
 * On a shared machine a run whose figure is well below 1 was starved by
 * other processes, not slowed by the kernel.
 * Usage: scale [repetitions (5)] [milliseconds per run (400)].
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/reboot.h>
#include <unistd.h>

#include <rump/rump.h>

#include "bench.h"
#include "bench_team.h"

#define BATCH       256
#define MAX_THREADS 2
#define MAX_REPS    100

struct worker {
	struct bench_worker w_bw; /* first: bench_team.h */
	bool w_bound;
};

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t calls = 0;
	int error;

	if (w->w_bound && (error = rump_pub_lwproc_rfork(RUMP_RFCFDG)) != 0)
		bench_fail("rump_pub_lwproc_rfork", error);
	if (rump_sys_getpid() == -1)
		bench_fail("rump_sys_getpid", errno);
	bench_worker_begin(&w->w_bw);
	while (bench_running()) {
		for (int i = 0; i < BATCH; i++)
			rump_sys_getpid();
		calls += BATCH;
	}
	bench_worker_end(&w->w_bw, calls);
	if (w->w_bound)
		rump_pub_lwproc_releaselwp();
	return NULL;
}

/*
 * Runs nthreads workers for ms milliseconds; returns aggregate calls/s and
 * sets *cpu to the share of nthreads x wall time the workers ran.
 */
static double
run(int nthreads, bool bound, long ms, double *cpu)
{
	struct worker w[MAX_THREADS];
	struct bench_worker *ws[MAX_THREADS];

	for (int i = 0; i < nthreads; i++) {
		w[i].w_bound = bound;
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
		bool bound;
	} cfg[] = {
	    {"bound1", 1, true},
	    {"bound2", 2, true},
	    {"implicit1", 1, false},
	    {"implicit2", 2, false},
	};
	enum { NCFG = sizeof(cfg) / sizeof(cfg[0]) };
	static double rate[NCFG][MAX_REPS], cpu[NCFG][MAX_REPS];
	char name[32];
	double dummy;
	int reps = argc > 1 ? atoi(argv[1]) : 5;
	long ms = argc > 2 ? atol(argv[2]) : 400;
	int error;

	if (reps < 1 || reps > MAX_REPS || ms < 1) {
		fprintf(stderr, "usage: scale [repetitions 1..%d] [ms]\n",
		    MAX_REPS);
		return 2;
	}
	if ((error = rump_init()) != 0)
		bench_fail("rump_init", error);
	/* Warm up: the first threads pay for lwp and stack caches. */
	run(2, true, 50, &dummy);
	run(2, false, 50, &dummy);
	for (int r = 0; r < reps; r++)
		for (int c = 0; c < NCFG; c++)
			rate[c][r] =
			    run(cfg[c].nthreads, cfg[c].bound, ms, &cpu[c][r]);
	for (int c = 0; c < NCFG; c++)
		bench_print(cfg[c].name, rate[c], reps, 0);
	for (int c = 0; c < NCFG; c++) {
		snprintf(name, sizeof(name), "cpu_%s", cfg[c].name);
		bench_print(name, cpu[c], reps, 2);
	}
	if (rump_sys_reboot(RB_HALT_SYSTEM) == -1)
		bench_fail("rump_sys_reboot", errno);
	return 0;
}
