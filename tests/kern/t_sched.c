/*
 * t_sched.c — many host threads in the kernel at once: the virtual CPUs
 * must neither deadlock nor lose or duplicate work, whatever their number,
 * with bound and implicit threads and with calls that block.
 */
#include <pthread.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

#include <rump/rump.h>

#include "harness.h"

#define NTHREADS 16
#define NCALLS   100000

struct worker {
	int w_index;
	long w_ok;
	long w_bad;
	pid_t w_pid;
};

static void *
worker(void *arg)
{
	struct worker *w = arg;
	bool bound = w->w_index % 2 == 0;

	/* Even threads get a process of their own, odd ones run implicitly. */
	if (bound && rump_pub_lwproc_rfork(RUMP_RFCFDG) != 0) {
		w->w_bad = NCALLS;
		return NULL;
	}
	w->w_pid = rump_sys_getpid();
	for (int i = 0; i < NCALLS; i++) {
		pid_t p;

		if (i % 1024 == 0) {
			/* A call that takes a lock and one that blocks. */
			mode_t m = rump_sys_umask(022);
			(void)m;
			if (i % 16384 == 0) {
				struct timespec ts = {0, 100000};
				rump_sys_nanosleep(&ts, NULL);
			}
		}
		p = rump_sys_getpid();
		if (p == w->w_pid && (bound ? p > 1 : p == 1))
			w->w_ok++;
		else
			w->w_bad++;
	}
	if (bound)
		rump_pub_lwproc_releaselwp();
	return NULL;
}

static void
stress(const char *ncpu)
{
	pthread_t t[NTHREADS];
	struct worker w[NTHREADS];
	long ok = 0, bad = 0;

	setenv("RUMP_NCPU", ncpu, 1);
	T_EQ(rump_init(), 0);
	for (int i = 0; i < NTHREADS; i++) {
		w[i] = (struct worker){.w_index = i};
		T_EQ(pthread_create(&t[i], NULL, worker, &w[i]), 0);
	}
	for (int i = 0; i < NTHREADS; i++) {
		T_EQ(pthread_join(t[i], NULL), 0);
		ok += w[i].w_ok;
		bad += w[i].w_bad;
	}
	T_EQ(bad, 0);
	T_EQ(ok, (long)NTHREADS * NCALLS);
	/* Every bound process has been released: pids are all distinct. */
	for (int i = 0; i < NTHREADS; i += 2)
		for (int j = i + 2; j < NTHREADS; j += 2)
			T_ASSERT(w[i].w_pid != w[j].w_pid);
}

T_CASE(stress_ncpu1, "16 threads x 100000 calls on 1 virtual CPU")
{
	stress("1");
}

T_CASE(stress_ncpu2, "16 threads x 100000 calls on 2 virtual CPUs")
{
	stress("2");
}

T_CASE(stress_ncpu4, "16 threads x 100000 calls on 4 virtual CPUs")
{
	stress("4");
}

static void *
sleeper(void *arg)
{
	struct timespec ts = {0, 200 * 1000 * 1000};

	(void)arg;
	rump_sys_nanosleep(&ts, NULL);
	return NULL;
}

T_CASE(
    sleep_releases_cpu, "a thread sleeping in the kernel does not hold its CPU")
{
	pthread_t t;
	uint64_t t0;

	setenv("RUMP_NCPU", "1", 1);
	T_EQ(rump_init(), 0);
	T_EQ(pthread_create(&t, NULL, sleeper, NULL), 0);
	usleep(20000);
	t0 = t_now_ns();
	for (int i = 0; i < 1000; i++)
		T_EQ(rump_sys_getpid(), 1);
	/* Had the sleeper kept the only CPU, this would take 180 ms or more. */
	T_ASSERT(t_now_ns() - t0 < 100 * 1000 * 1000);
	T_EQ(pthread_join(t, NULL), 0);
}

T_CASE(ncpu_param, "RUMP_NCPU accepts a number or host; garbage fails boot")
{
	setenv("RUMP_NCPU", "zero", 1);
	T_EQ(rump_init(), EINVAL);
	setenv("RUMP_NCPU", "host", 1);
	T_EQ(rump_init(), 0);
	T_EQ(rump_sys_getpid(), 1);
}
