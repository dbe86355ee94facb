/*
 * ktest.c — kernel-side helpers of the kernel-base tests.  Built as kernel
 * code (freestanding, renamed like the kernel) and linked only into the
 * test programs; each rump_ktest_* enters the kernel, exercises one
 * internal facility and reports what it saw.
 */
#include "kern/proc.h"

#include "ktest.h"

struct co_rec {
	struct callout c;
	uint64_t deadline;
	int id;
	int *order;
	int *n;
	int64_t *late; /* fired at - deadline, ns */
	kmutex_t *lock;
};

static void
co_fire(void *arg)
{
	struct co_rec *r = arg;
	uint64_t now = getnanouptime();

	mutex_enter(r->lock);
	r->late[r->id] = (int64_t)(now - r->deadline);
	r->order[(*r->n)++] = r->id;
	mutex_exit(r->lock);
}

RUMP_API int
rump_ktest_callouts(
    int n, const uint32_t *delay_us, int *order, int64_t *late_ns)
{
	struct lwp *l = sched_enter();
	struct co_rec *recs;
	kmutex_t lock;
	int fired = 0, error = 0;

	if (n <= 0 || n > 64) {
		error = EINVAL;
		goto out;
	}
	recs = kmem_zalloc(sizeof(*recs) * (size_t)n, KM_SLEEP);
	if (recs == NULL) {
		error = ENOMEM;
		goto out;
	}
	mutex_init(&lock, MUTEX_DEFAULT);
	uint64_t base = getnanouptime();
	for (int i = 0; i < n; i++) {
		struct co_rec *r = &recs[i];

		*r = (struct co_rec){.deadline = base + delay_us[i] * 1000ULL,
		    .id = i,
		    .order = order,
		    .n = &fired,
		    .late = late_ns,
		    .lock = &lock};
		callout_init(&r->c, co_fire, r);
		callout_schedule_at(&r->c, r->deadline);
	}
	for (int tries = 0; tries < 2000; tries++) {
		mutex_enter(&lock);
		int done = fired;
		mutex_exit(&lock);
		if (done == n)
			break;
		kpause_ns(1000000);
	}
	for (int i = 0; i < n; i++)
		callout_halt(&recs[i].c);
	if (fired != n)
		error = ETIMEDOUT;
	mutex_destroy(&lock);
	kmem_free(recs, sizeof(*recs) * (size_t)n);
out:
	sched_exit(l);
	return error;
}

RUMP_API int
rump_ktest_cv_timedwait(uint64_t ns, uint64_t *elapsed_ns)
{
	struct lwp *l = sched_enter();
	kmutex_t m;
	kcondvar_t cv;
	int error;

	mutex_init(&m, MUTEX_DEFAULT);
	cv_init(&cv);
	uint64_t t0 = getnanouptime();
	mutex_enter(&m);
	error = cv_timedwait(&cv, &m, ns);
	KASSERT(mutex_owned(&m));
	mutex_exit(&m);
	*elapsed_ns = getnanouptime() - t0;
	cv_destroy(&cv);
	mutex_destroy(&m);
	sched_exit(l);
	return error;
}

struct kt_count {
	kmutex_t lock;
	kcondvar_t cv;
	int count;
};

static void
kt_bump(void *arg)
{
	struct kt_count *c = arg;

	for (int i = 0; i < 1000; i++) {
		mutex_enter(&c->lock);
		c->count++;
		cv_broadcast(&c->cv);
		mutex_exit(&c->lock);
	}
}

RUMP_API int
rump_ktest_kthreads(int nthreads, int *count)
{
	struct lwp *l = sched_enter(), *t[16];
	struct kt_count c;
	int error = 0, started = 0;

	if (nthreads > 16)
		nthreads = 16;
	mutex_init(&c.lock, MUTEX_DEFAULT);
	cv_init(&c.cv);
	c.count = 0;
	for (int i = 0; i < nthreads && error == 0; i++) {
		error = kthread_create(
		    kt_bump, &c, "ktest", KTHREAD_MUSTJOIN, &t[i]);
		if (error == 0)
			started++;
	}
	for (int i = 0; i < started; i++)
		(void)kthread_join(t[i]);
	*count = c.count;
	cv_destroy(&c.cv);
	mutex_destroy(&c.lock);
	sched_exit(l);
	return error;
}

static void
kt_soft(void *arg)
{
	kt_bump(arg);
}

struct kt_work {
	struct work w;
	struct kt_count *c;
};

static void
kt_work(struct work *w, void *arg __unused)
{
	kt_bump(((struct kt_work *)w)->c);
}

RUMP_API int
rump_ktest_softint_workqueue(int *soft_count, int *work_count)
{
	struct lwp *l = sched_enter();
	struct kt_count sc, wc;
	struct softint *si;
	struct workqueue *wq;
	struct kt_work works[8];
	int error = 0;

	mutex_init(&sc.lock, MUTEX_DEFAULT);
	cv_init(&sc.cv);
	sc.count = 0;
	mutex_init(&wc.lock, MUTEX_DEFAULT);
	cv_init(&wc.cv);
	wc.count = 0;

	if ((si = softint_establish(kt_soft, &sc)) == NULL) {
		error = ENOMEM;
		goto out;
	}
	softint_schedule(si);
	mutex_enter(&sc.lock);
	while (sc.count < 1000)
		if (cv_timedwait(&sc.cv, &sc.lock, 5000000000ULL) != 0)
			break;
	mutex_exit(&sc.lock);
	softint_disestablish(si);

	if ((error = workqueue_create(&wq, "ktestwq", kt_work, NULL)) != 0)
		goto out;
	for (int i = 0; i < 8; i++) {
		works[i].c = &wc;
		workqueue_enqueue(wq, &works[i].w);
	}
	workqueue_wait(wq);
	workqueue_destroy(wq);
out:
	*soft_count = sc.count;
	*work_count = wc.count;
	sched_exit(l);
	return error;
}

/* Allocates 64 KiB blocks until the allocator says no; frees them all. */
RUMP_API int
rump_ktest_memlimit(size_t *allocated, size_t *limit)
{
	struct lwp *l = sched_enter();
	void **blocks;
	size_t n = 0, max = 1 << 16;
	int error = 0;

	blocks = kmem_alloc(sizeof(void *) * 4096, KM_SLEEP);
	if (blocks == NULL) {
		error = ENOMEM;
		goto out;
	}
	while (n < 4096 && (blocks[n] = kmem_alloc(max, KM_SLEEP)) != NULL)
		n++;
	if (n == 4096)
		error = EFBIG; /* the limit never hit */
	*allocated = n * max;
	*limit = kmem_limit();
	while (n > 0)
		kmem_free(blocks[--n], max);
	kmem_free(blocks, sizeof(void *) * 4096);
out:
	sched_exit(l);
	return error;
}

/* Takes two locks in one order, then in the other. */
RUMP_API void
rump_ktest_lock_reversal(void)
{
	struct lwp *l = sched_enter();
	static kmutex_t a, b;

	mutex_init(&a, MUTEX_DEFAULT);
	mutex_init(&b, MUTEX_DEFAULT);
	mutex_enter(&a);
	mutex_enter(&b);
	mutex_exit(&b);
	mutex_exit(&a);
	mutex_enter(&b);
	mutex_enter(&a); /* the checker panics here */
	mutex_exit(&a);
	mutex_exit(&b);
	sched_exit(l);
}

RUMP_API void
rump_ktest_lock_self(void)
{
	struct lwp *l = sched_enter();
	static kmutex_t a;

	mutex_init(&a, MUTEX_DEFAULT);
	mutex_enter(&a);
	mutex_enter(&a); /* the checker panics here */
	sched_exit(l);
}

/* snprintf into buf (size len; buf may be NULL to count only). */
int
rump_ktest_snprintf(char *buf, size_t len, int value)
{
	return snprintf(buf, len, "v=%d", value);
}
