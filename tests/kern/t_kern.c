/*
 * t_kern.c — kernel-internal facilities seen from inside, through the
 * ktest helpers: callouts, timed condvar waits, kernel threads, softints,
 * workqueues, the memory limit and the lock-order checker.
 */
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rump/rump.h>

#include "harness.h"
#include "kern/ktest.h"

T_CASE(callout_order, "callouts fire in deadline order and never early")
{
	uint32_t delay[8] = {
	    40000, 10000, 30000, 5000, 20000, 15000, 1000, 25000};
	int order[8];
	int64_t late[8];

	T_EQ(rump_init(), 0);
	T_EQ(rump_ktest_callouts(8, delay, order, late), 0);
	for (int i = 0; i < 8; i++) {
		if (late[i] < 0)
			T_FAIL("callout %d fired %lld ns early", i,
			    (long long)-late[i]);
		if (i > 0 && delay[order[i]] < delay[order[i - 1]])
			T_FAIL("callout %d (%u us) fired after %d (%u us)",
			    order[i - 1], delay[order[i - 1]], order[i],
			    delay[order[i]]);
	}
}

T_CASE(
    callout_same_tick, "many callouts in one tick and past deadlines all fire")
{
	uint32_t delay[64];
	int order[64];
	int64_t late[64];

	T_EQ(rump_init(), 0);
	for (int i = 0; i < 64; i++)
		delay[i] = (uint32_t)(i % 3 == 0 ? 0 : 2000 + 10 * i);
	T_EQ(rump_ktest_callouts(64, delay, order, late), 0);
	for (int i = 0; i < 64; i++)
		T_ASSERT(late[i] >= 0);
}

T_CASE(cv_timedwait, "a timed condvar wait with no wakeup times out, not early")
{
	uint64_t elapsed;

	T_EQ(rump_init(), 0);
	T_EQ(rump_ktest_cv_timedwait(50 * 1000 * 1000, &elapsed), ETIMEDOUT);
	T_ASSERT(elapsed >= 50 * 1000 * 1000);
	T_ASSERT(elapsed < 2000ULL * 1000 * 1000);
}

T_CASE(kthread_join, "kernel threads run and are joined")
{
	int count;

	setenv("RUMP_NCPU", "2", 1);
	T_EQ(rump_init(), 0);
	T_EQ(rump_ktest_kthreads(8, &count), 0);
	T_EQ(count, 8 * 1000);
}

T_CASE(softint_workqueue, "softints and workqueue items run")
{
	int soft, work;

	T_EQ(rump_init(), 0);
	T_EQ(rump_ktest_softint_workqueue(&soft, &work), 0);
	T_EQ(soft, 1000);
	T_EQ(work, 8 * 1000);
}

T_CASE(
    memlimit_enomem, "RUMP_MEMLIMIT=4m: allocations fail cleanly at the limit")
{
	size_t got, limit;
	int error;

	setenv("RUMP_MEMLIMIT", "4m", 1);
	T_EQ(rump_init(), 0);
	T_EQ(rump_ktest_memlimit(&got, &limit), 0);
	T_EQ(limit, 4 << 20);
	T_ASSERT(got > 0 && got <= limit);
	/* After freeing, the memory can be had again. */
	T_EQ(rump_ktest_memlimit(&got, &limit), 0);
	/* Processes are kernel memory too: rfork runs into ENOMEM, no crash. */
	for (int i = 0; i < 100000; i++) {
		error = rump_pub_lwproc_rfork(RUMP_RFCFDG);
		if (error)
			break;
	}
	T_EQ(error, ENOMEM);
	rump_pub_lwproc_switch(NULL);
	T_EQ(rump_sys_getpid(), 1);
}

T_CASE(
    memlimit_malformed, "a malformed RUMP_MEMLIMIT is ignored with a message")
{
	size_t got, limit;

	setenv("RUMP_MEMLIMIT", "4x", 1);
	T_EQ(rump_init(), 0);
	T_EQ(rump_ktest_memlimit(&got, &limit), EFBIG);
	T_EQ(limit, 0);
}

static void
expect_panic(void (*fn)(void))
{
	pid_t pid = fork();
	int status;

	T_ASSERT(pid != -1);
	if (pid == 0) {
		setenv("RUMP_LOCKDEBUG", "1", 1);
		if (rump_init() != 0)
			_exit(2);
		fn();
		_exit(0);
	}
	T_OK(waitpid(pid, &status, 0));
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT)
		T_FAIL("expected a panic, child status 0x%x", status);
}

T_CASE(lockdebug_reversal, "RUMP_LOCKDEBUG=1 panics on a lock order reversal")
{
	expect_panic(rump_ktest_lock_reversal);
}

T_CASE(lockdebug_self, "RUMP_LOCKDEBUG=1 panics on locking a held mutex")
{
	expect_panic(rump_ktest_lock_self);
}

T_CASE(snprintf_count, "snprintf(NULL, 0, ...) counts without printing")
{
	char small[4];

	T_EQ(rump_init(), 0);
	T_EQ(rump_ktest_snprintf(NULL, 0, 12345), 7);
	T_EQ(rump_ktest_snprintf(small, sizeof(small), 12345), 7);
	T_EQ(strcmp(small, "v=1"), 0);
}
