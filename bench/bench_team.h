/*
 * bench_team.h — running a team of worker threads for a fixed time: the
 * scaling benchmarks (scale.c, vfs_scale.c) share it.
 *
 * A worker struct begins with a struct bench_worker.  bench_team_run()
 * starts the workers on a barrier, lets them run for ms milliseconds, stops
 * them and returns the team's operations per second.  A worker calls
 * bench_worker_begin() once it is ready, loops while bench_running(), and
 * ends with bench_worker_end(w, ops).
 */
#ifndef BENCH_BENCH_TEAM_H
#define BENCH_BENCH_TEAM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "bench.h"

struct bench_worker {
	pthread_t bw_thread;
	uint64_t bw_ops;    /* operations done in the timed run */
	uint64_t bw_cpu_ns; /* thread CPU time spent in the timed run */
	uint64_t bw_cpu0;
};

static pthread_barrier_t bench_start;
static atomic_bool bench_stop;

static inline uint64_t
bench_thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void
bench_worker_begin(struct bench_worker *bw)
{
	pthread_barrier_wait(&bench_start);
	bw->bw_cpu0 = bench_thread_cpu_ns();
}

static inline bool
bench_running(void)
{
	return !atomic_load_explicit(&bench_stop, memory_order_relaxed);
}

static inline void
bench_worker_end(struct bench_worker *bw, uint64_t ops)
{
	bw->bw_cpu_ns = bench_thread_cpu_ns() - bw->bw_cpu0;
	bw->bw_ops = ops;
}

/*
 * Runs nthreads workers fn(ws[i]) for ms milliseconds; returns aggregate
 * operations per second and sets *cpu to the share of nthreads x wall time
 * the workers ran.
 */
static inline double
bench_team_run(struct bench_worker **ws, int nthreads, void *(*fn)(void *),
    long ms, double *cpu)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
	uint64_t t0, t1, ops = 0, cpu_ns = 0;
	int error;

	atomic_store(&bench_stop, false);
	if ((error = pthread_barrier_init(
	         &bench_start, NULL, (unsigned)nthreads + 1)) != 0)
		bench_fail("pthread_barrier_init", error);
	for (int i = 0; i < nthreads; i++) {
		ws[i]->bw_ops = 0;
		if ((error = pthread_create(
		         &ws[i]->bw_thread, NULL, fn, ws[i])) != 0)
			bench_fail("pthread_create", error);
	}
	pthread_barrier_wait(&bench_start);
	t0 = bench_now_ns();
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		continue;
	atomic_store(&bench_stop, true);
	for (int i = 0; i < nthreads; i++) {
		pthread_join(ws[i]->bw_thread, NULL);
		ops += ws[i]->bw_ops;
		cpu_ns += ws[i]->bw_cpu_ns;
	}
	t1 = bench_now_ns();
	*cpu = (double)cpu_ns / ((double)(t1 - t0) * nthreads);
	pthread_barrier_destroy(&bench_start);
	return (double)ops * 1e9 / (double)(t1 - t0);
}

#endif /* BENCH_BENCH_TEAM_H */
