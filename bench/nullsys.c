/*
 * nullsys — the cost of the null system call, rump_sys_getpid(), on one
 * thread, against a floor measured in the same run.
 *
 * Four loops, each timed with CLOCK_MONOTONIC:
 *   floor     an uncontended pthread_mutex_lock + unlock pair, the least a
 *             call that takes a virtual CPU can hope to cost;
 *   host      syscall(SYS_getpid), the host kernel's null call, for scale;
 *   implicit  rump_sys_getpid() from a thread with no lwp (pid 1);
 *   bound     rump_sys_getpid() after rump_pub_lwproc_rfork(RUMP_RFCFDG).
 * The loop length of each is calibrated once to take about BENCH_SLICE_NS
 * (at most 10M calls), then every repetition runs all four in turn, so a
 * noisy neighbour slows all of them alike.  Prints one line per loop with
 * the ns per call of each repetition, and a "loops" line with the counts.
 * Usage: nullsys [repetitions] (default 7).
 */
#include <pthread.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <rump/rump.h>

#include "bench.h"

#define BENCH_SLICE_NS  250000000ull
#define BENCH_MAX_LOOPS 10000000ull
#define BENCH_MAX_REPS  100

enum { V_FLOOR, V_HOST, V_IMPLICIT, V_BOUND, V_COUNT };
static const char *const vname[V_COUNT] = {
    "floor", "host", "implicit", "bound"};

static pthread_mutex_t floor_mtx = PTHREAD_MUTEX_INITIALIZER;

static void
loop_floor(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		pthread_mutex_lock(&floor_mtx);
		pthread_mutex_unlock(&floor_mtx);
	}
}

static void *
idle_thread(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static void
loop_host(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		syscall(SYS_getpid);
}

static void
loop_rump(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		rump_sys_getpid();
}

/*
 * Runs variant v for n calls and returns ns per call.  The bound variant
 * makes its process before the clock starts and frees it after it stops.
 */
static double
run(int v, uint64_t n)
{
	uint64_t t0, t1;
	int error;

	switch (v) {
	case V_FLOOR:
		t0 = bench_now_ns();
		loop_floor(n);
		t1 = bench_now_ns();
		break;
	case V_HOST:
		t0 = bench_now_ns();
		loop_host(n);
		t1 = bench_now_ns();
		break;
	case V_IMPLICIT:
		if (rump_sys_getpid() != 1)
			bench_fail("implicit context is not pid 1", EINVAL);
		t0 = bench_now_ns();
		loop_rump(n);
		t1 = bench_now_ns();
		break;
	default:
		if ((error = rump_pub_lwproc_rfork(RUMP_RFCFDG)) != 0)
			bench_fail("rump_pub_lwproc_rfork", error);
		if (rump_sys_getpid() <= 1)
			bench_fail("bound thread is still pid 1", EINVAL);
		t0 = bench_now_ns();
		loop_rump(n);
		t1 = bench_now_ns();
		rump_pub_lwproc_releaselwp();
		break;
	}
	return (double)(t1 - t0) / (double)n;
}

/* A loop length that takes about BENCH_SLICE_NS; warms the path up too. */
static uint64_t
calibrate(int v)
{
	uint64_t n = 1000;
	double per;

	for (;;) {
		per = run(v, n);
		if (per * (double)n >= 20e6 || n >= BENCH_MAX_LOOPS)
			break;
		n *= 4;
	}
	n = (uint64_t)((double)BENCH_SLICE_NS / per);
	if (n > BENCH_MAX_LOOPS)
		n = BENCH_MAX_LOOPS;
	if (n < 10000)
		n = 10000;
	return n;
}

int
main(int argc, char **argv)
{
	static double ns[V_COUNT][BENCH_MAX_REPS];
	uint64_t loops[V_COUNT];
	int reps = argc > 1 ? atoi(argv[1]) : 7;
	int error;

	if (reps < 1 || reps > BENCH_MAX_REPS) {
		fprintf(stderr, "usage: nullsys [repetitions 1..%d]\n",
		    BENCH_MAX_REPS);
		return 2;
	}
	if ((error = rump_init()) != 0)
		bench_fail("rump_init", error);
	for (int v = 0; v < V_COUNT; v++)
		loops[v] = calibrate(v);
	for (int r = 0; r < reps; r++)
		for (int v = 0; v < V_COUNT; v++)
			ns[v][r] = run(v, loops[v]);
	for (int v = 0; v < V_COUNT; v++)
		bench_print(vname[v], ns[v], reps, 2);

	/*
	 * The floor again with a second thread alive: glibc leaves out the
	 * lock prefix of its mutexes while a process has one thread, which
	 * this process has while the loops above run (the kernel starts its
	 * threads on first use).  With two threads the pair costs two real
	 * atomic operations, as the kernel's CPU enter and exit always do.
	 */
	{
		static double mt[BENCH_MAX_REPS];
		pthread_t idle;

		if ((error = pthread_create(&idle, NULL, idle_thread, NULL)) !=
		    0)
			bench_fail("pthread_create", error);
		for (int r = 0; r < reps; r++)
			mt[r] = run(V_FLOOR, loops[V_FLOOR]);
		bench_print("floor_mt", mt, reps, 2);
	}
	printf("loops");
	for (int v = 0; v < V_COUNT; v++)
		printf(" %s=%llu", vname[v], (unsigned long long)loops[v]);
	printf("\n");
	if (rump_sys_reboot(RB_HALT_SYSTEM) == -1)
		bench_fail("rump_sys_reboot", errno);
	return 0;
}
