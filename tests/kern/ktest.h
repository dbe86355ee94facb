/*
 * ktest.h — the kernel-side test helpers (ktest.c), as the test programs
 * call them.  Each returns 0 or an errno.
 */
#ifndef TESTS_KERN_KTEST_H
#define TESTS_KERN_KTEST_H

/* Schedules n callouts delay_us[i] from now; order[] gets ids in firing
 * order, late_ns[i] how long after its deadline callout i ran. */
int rump_ktest_callouts(
    int n, const uint32_t *delay_us, int *order, int64_t *late_ns);
int rump_ktest_cv_timedwait(uint64_t ns, uint64_t *elapsed_ns);
int rump_ktest_kthreads(int nthreads, int *count);
int rump_ktest_softint_workqueue(int *soft_count, int *work_count);
int rump_ktest_memlimit(size_t *allocated, size_t *limit);
int rump_ktest_snprintf(char *buf, size_t len, int value);
void rump_ktest_lock_reversal(void);
void rump_ktest_lock_self(void);

#endif
