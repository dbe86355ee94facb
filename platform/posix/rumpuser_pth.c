/*
 * rumpuser_pth.c — threads, the lwp binding of a host thread, and the
 * mutex, rwlock and condition variable hypercalls, on pthreads.
 *
 * The kernel's own locks are built on these.  Every operation that may
 * block takes the non-blocking path first (trylock) and only releases the
 * virtual CPU for the slow path; the _nowrap variants and SPIN mutexes never
 * release it.
 *
 * Lock order between virtual CPUs and these locks.  A thread waiting for a
 * plain (non-SPIN) mutex or an rwlock holds no CPU, so it is safe to hold
 * one of those while waiting for a CPU: the order is lock, then CPU.  A
 * thread waiting for a SPIN mutex keeps its CPU, so nobody may wait for a
 * CPU while holding a SPIN mutex: the order is CPU, then SPIN mutex.  The
 * end of a condition variable wait follows the order of its mutex's kind.
 * enter_nowrap on a plain mutex, and cv_wait_nowrap, break the first rule;
 * they are for callers that hold no CPU or know that no holder of the
 * mutex waits for one (the scheduler's own locks).
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rumpuser_int.h"

/*
 * Locks and condvars get a cache line each: the kernel makes many at once
 * (lock stripes), and two locks sharing a line would make threads that
 * use different locks on different CPUs fight over it.
 */
#define LOCK_ALIGN 64

static void *
xmalloc_lock(size_t len, const char *what)
{
	void *p = NULL;

	if (posix_memalign(&p, LOCK_ALIGN,
	        (len + LOCK_ALIGN - 1) / LOCK_ALIGN * LOCK_ALIGN) != 0) {
		fprintf(stderr, "rumpuser: %s: out of memory\n", what);
		abort();
	}
	return p;
}

/*
 * Threads
 */

struct thr_start {
	void *(*ts_fun)(void *);
	void *ts_arg;
	char ts_name[16]; /* pthread names hold 15 characters and a NUL */
};

/* The new thread names itself, so no one names a thread that has gone. */
static void *
thr_trampoline(void *v)
{
	struct thr_start ts = *(struct thr_start *)v;

	free(v);
	if (ts.ts_name[0] != '\0')
		pthread_setname_np(pthread_self(), ts.ts_name);
	return ts.ts_fun(ts.ts_arg);
}

/*
 * priority and cpuidx are hints we ignore.  A host short of threads for a
 * moment (EAGAIN) gets ten tries 10 ms apart.
 */
RUMPUSER_EXPORT int
rumpuser_thread_create(void *(*fun)(void *), void *arg, const char *thrname,
    int mustjoin, int priority, int cpuidx, void **cookie)
{
	const struct timespec retry_pause = {0, 10 * 1000 * 1000};
	struct thr_start *ts = NULL;
	pthread_attr_t attr;
	pthread_t *ptp = NULL, pt;
	int rv, tries;

	(void)priority;
	(void)cpuidx;
	if ((rv = pthread_attr_init(&attr)) != 0)
		return rumpuser__errtrans(rv);
	rv = pthread_attr_setdetachstate(&attr,
	    mustjoin ? PTHREAD_CREATE_JOINABLE : PTHREAD_CREATE_DETACHED);
	if (rv != 0)
		goto out;
	if ((ts = malloc(sizeof(*ts))) == NULL) {
		rv = ENOMEM;
		goto out;
	}
	if (mustjoin && (ptp = malloc(sizeof(*ptp))) == NULL) {
		rv = ENOMEM;
		goto out;
	}
	ts->ts_fun = fun;
	ts->ts_arg = arg;
	ts->ts_name[0] = '\0';
	if (thrname != NULL)
		snprintf(ts->ts_name, sizeof(ts->ts_name), "%s", thrname);

	for (tries = 0; tries < 10; tries++) {
		rv = pthread_create(&pt, &attr, thr_trampoline, ts);
		if (rv != EAGAIN)
			break;
		KLOCK_WRAP(nanosleep(&retry_pause, NULL));
	}
	if (rv != 0)
		goto out;
	ts = NULL; /* the thread owns it now */
	if (mustjoin) {
		*ptp = pt;
		*cookie = ptp;
		ptp = NULL;
	}
out:
	free(ts);
	free(ptp);
	pthread_attr_destroy(&attr);
	return rumpuser__errtrans(rv);
}

RUMPUSER_EXPORT void
rumpuser_thread_exit(void)
{
	rumpuser__putchar_flush();
	pthread_exit(NULL);
}

RUMPUSER_EXPORT int
rumpuser_thread_join(void *cookie)
{
	pthread_t *ptp = cookie;
	int rv;

	KLOCK_WRAP(rv = pthread_join(*ptp, NULL));
	if (rv == 0)
		free(ptp);
	return rumpuser__errtrans(rv);
}

/*
 * The lwp bound to the host thread.  Read on every system call, so it is an
 * initial-exec TLS variable: one load, no lock, no pthread_getspecific().
 */

static __thread struct lwp *curlwp_tls
    __attribute__((tls_model("initial-exec")));
static __thread int curlwp_exit_hooked
    __attribute__((tls_model("initial-exec")));
static pthread_key_t curlwp_exit_key;
static pthread_once_t curlwp_exit_once = PTHREAD_ONCE_INIT;

/*
 * A thread that exits with an lwp bound gives it back to the kernel
 * (hyp_lwproc_switch(NULL)), so the kernel can free an implicit lwp or let
 * another thread take a real one.  The key's value only makes the
 * destructor run; the lwp is read from the thread's own variable.
 */
static void
curlwp_thread_exit(void *unused)
{
	(void)unused;
	if (curlwp_tls != NULL && rumpuser__hyp.hyp_lwproc_switch != NULL)
		rumpuser__hyp.hyp_lwproc_switch(NULL);
}

static void
curlwp_exit_key_create(void)
{
	if (pthread_key_create(&curlwp_exit_key, curlwp_thread_exit) != 0) {
		fprintf(stderr, "rumpuser: cannot create a thread key\n");
		abort();
	}
}

RUMPUSER_EXPORT void
rumpuser_curlwpop(int enum_rumplwpop, struct lwp *l)
{
	switch (enum_rumplwpop) {
	case RUMPUSER_LWP_CREATE:
	case RUMPUSER_LWP_DESTROY:
		break; /* we keep no list of lwps */
	case RUMPUSER_LWP_SET:
		if (curlwp_tls != NULL) {
			fprintf(stderr,
			    "rumpuser_curlwpop: SET %p: thread "
			    "already bound to %p\n",
			    (void *)l, (void *)curlwp_tls);
			abort();
		}
		curlwp_tls = l;
		if (__builtin_expect(!curlwp_exit_hooked, 0)) {
			pthread_once(&curlwp_exit_once, curlwp_exit_key_create);
			pthread_setspecific(curlwp_exit_key, (void *)1);
			curlwp_exit_hooked = 1;
		}
		break;
	case RUMPUSER_LWP_CLEAR:
		if (curlwp_tls != l) {
			fprintf(stderr,
			    "rumpuser_curlwpop: CLEAR %p: thread "
			    "bound to %p\n",
			    (void *)l, (void *)curlwp_tls);
			abort();
		}
		curlwp_tls = NULL;
		break;
	default:
		fprintf(
		    stderr, "rumpuser_curlwpop: bad op %d\n", enum_rumplwpop);
		abort();
	}
}

RUMPUSER_EXPORT struct lwp *
rumpuser_curlwp(void)
{
	return curlwp_tls;
}

/*
 * Mutexes.  m_owner is written only by the holder of m_mtx and read by
 * anyone (mutex_owned() asks from any thread), hence atomic.
 */

struct rumpuser_mtx {
	pthread_mutex_t m_mtx;
	struct lwp *m_owner; /* [m,a] owning lwp, KMUTEX only */
	int m_flags;         /* [I] RUMPUSER_MTX_* */
};

static inline void
mtx_set_owner(struct rumpuser_mtx *mtx, struct lwp *l)
{
	if (mtx->m_flags & RUMPUSER_MTX_KMUTEX)
		__atomic_store_n(&mtx->m_owner, l, __ATOMIC_RELAXED);
}

RUMPUSER_EXPORT void
rumpuser_mutex_init(struct rumpuser_mtx **mtxp, int flags)
{
	struct rumpuser_mtx *mtx = xmalloc_lock(sizeof(*mtx), "mutex_init");

	rumpuser__check(pthread_mutex_init(&mtx->m_mtx, NULL), "mutex_init");
	mtx->m_owner = NULL;
	mtx->m_flags = flags;
	*mtxp = mtx;
}

RUMPUSER_EXPORT void
rumpuser_mutex_enter_nowrap(struct rumpuser_mtx *mtx)
{
	rumpuser__check(pthread_mutex_lock(&mtx->m_mtx), "mutex_enter");
	mtx_set_owner(mtx, rumpuser_curlwp());
}

RUMPUSER_EXPORT void
rumpuser_mutex_enter(struct rumpuser_mtx *mtx)
{
	int rv;

	if (mtx->m_flags & RUMPUSER_MTX_SPIN) {
		rumpuser_mutex_enter_nowrap(mtx);
		return;
	}
	rv = pthread_mutex_trylock(&mtx->m_mtx);
	if (rv == EBUSY)
		KLOCK_WRAP(rv = pthread_mutex_lock(&mtx->m_mtx));
	rumpuser__check(rv, "mutex_enter");
	mtx_set_owner(mtx, rumpuser_curlwp());
}

RUMPUSER_EXPORT int
rumpuser_mutex_tryenter(struct rumpuser_mtx *mtx)
{
	int rv;

	rv = pthread_mutex_trylock(&mtx->m_mtx);
	if (rv == 0)
		mtx_set_owner(mtx, rumpuser_curlwp());
	else if (rv != EBUSY)
		rumpuser__check(rv, "mutex_tryenter");
	return rumpuser__errtrans(rv);
}

RUMPUSER_EXPORT void
rumpuser_mutex_exit(struct rumpuser_mtx *mtx)
{
	mtx_set_owner(mtx, NULL);
	rumpuser__check(pthread_mutex_unlock(&mtx->m_mtx), "mutex_exit");
}

RUMPUSER_EXPORT void
rumpuser_mutex_destroy(struct rumpuser_mtx *mtx)
{
	rumpuser__check(pthread_mutex_destroy(&mtx->m_mtx), "mutex_destroy");
	free(mtx);
}

RUMPUSER_EXPORT void
rumpuser_mutex_owner(struct rumpuser_mtx *mtx, struct lwp **lp)
{
	if ((mtx->m_flags & RUMPUSER_MTX_KMUTEX) == 0) {
		fprintf(stderr, "rumpuser_mutex_owner: not a KMUTEX\n");
		abort();
	}
	*lp = __atomic_load_n(&mtx->m_owner, __ATOMIC_RELAXED);
}

/*
 * Reader/writer locks, our own on a pthread mutex and two condition
 * variables, because pthread rwlocks can neither upgrade nor downgrade nor
 * say who holds them.
 *
 * States: free (rw_readers == 0, !rw_writer), read-held by rw_readers
 * lwps, write-held by rw_owner.  Transitions: enter/tryenter, exit,
 * tryupgrade (sole reader -> writer), downgrade (writer -> sole reader).
 * Writers are preferred: while one waits, no new reader gets in, so a
 * stream of readers cannot starve it (and a reader must not enter again
 * while it holds the lock: with a writer waiting, that deadlocks).  rw_mtx is
 * held only for a few instructions and is taken without releasing the virtual
 * CPU.
 */

struct rumpuser_rw {
	pthread_mutex_t rw_mtx;
	pthread_cond_t rw_rcv; /* readers wait here */
	pthread_cond_t rw_wcv; /* writers wait here */
	int rw_readers;        /* [rw_mtx] lwps holding it as reader */
	int rw_wwait;          /* [rw_mtx] writers waiting */
	bool rw_writer;        /* [rw_mtx] write-held */
	struct lwp *rw_owner;  /* [rw_mtx] the writer's lwp */
};

RUMPUSER_EXPORT void
rumpuser_rw_init(struct rumpuser_rw **rwp)
{
	struct rumpuser_rw *rw = xmalloc_lock(sizeof(*rw), "rw_init");

	rumpuser__check(pthread_mutex_init(&rw->rw_mtx, NULL), "rw_init");
	rumpuser__check(pthread_cond_init(&rw->rw_rcv, NULL), "rw_init");
	rumpuser__check(pthread_cond_init(&rw->rw_wcv, NULL), "rw_init");
	rw->rw_readers = 0;
	rw->rw_wwait = 0;
	rw->rw_writer = false;
	rw->rw_owner = NULL;
	*rwp = rw;
}

/* Called with rw_mtx held: takes the lock if that needs no wait. */
static bool
rw_try_locked(struct rumpuser_rw *rw, int op)
{
	if (op == RUMPUSER_RW_WRITER) {
		if (rw->rw_writer || rw->rw_readers > 0)
			return false;
		rw->rw_writer = true;
		rw->rw_owner = rumpuser_curlwp();
	} else {
		if (rw->rw_writer || rw->rw_wwait > 0)
			return false;
		rw->rw_readers++;
	}
	return true;
}

static void
rw_lock_mtx(struct rumpuser_rw *rw)
{
	rumpuser__check(pthread_mutex_lock(&rw->rw_mtx), "rw lock");
}

static void
rw_unlock_mtx(struct rumpuser_rw *rw)
{
	rumpuser__check(pthread_mutex_unlock(&rw->rw_mtx), "rw unlock");
}

/* Called with rw_mtx held: waits until op can be had and takes it. */
static void
rw_wait_locked(struct rumpuser_rw *rw, int op)
{
	if (op == RUMPUSER_RW_WRITER) {
		rw->rw_wwait++;
		while (rw->rw_writer || rw->rw_readers > 0)
			pthread_cond_wait(&rw->rw_wcv, &rw->rw_mtx);
		rw->rw_wwait--;
	} else {
		while (rw->rw_writer || rw->rw_wwait > 0)
			pthread_cond_wait(&rw->rw_rcv, &rw->rw_mtx);
	}
	if (!rw_try_locked(rw, op)) {
		fprintf(stderr, "rumpuser_rw_enter: woke to a held lock\n");
		abort();
	}
}

RUMPUSER_EXPORT void
rumpuser_rw_enter(int enum_rumprwlock, struct rumpuser_rw *rw)
{
	struct lwp *l;
	int nlocks;

	rw_lock_mtx(rw);
	if (rw_try_locked(rw, enum_rumprwlock)) {
		rw_unlock_mtx(rw);
		return;
	}
	rw_unlock_mtx(rw);

	l = rumpuser_curlwp();
	nlocks = rumpuser__unschedule();
	rw_lock_mtx(rw);
	rw_wait_locked(rw, enum_rumprwlock);
	/* l was read while we held a CPU, when the binding was sure. */
	if (enum_rumprwlock == RUMPUSER_RW_WRITER)
		rw->rw_owner = l;
	rw_unlock_mtx(rw);
	rumpuser__reschedule(nlocks);
}

RUMPUSER_EXPORT int
rumpuser_rw_tryenter(int enum_rumprwlock, struct rumpuser_rw *rw)
{
	bool got;

	rw_lock_mtx(rw);
	got = rw_try_locked(rw, enum_rumprwlock);
	rw_unlock_mtx(rw);
	return got ? 0 : rumpuser__errtrans(EBUSY);
}

/* The caller holds rw as reader; it gets it as writer if it is alone. */
RUMPUSER_EXPORT int
rumpuser_rw_tryupgrade(struct rumpuser_rw *rw)
{
	int rv = 0;

	rw_lock_mtx(rw);
	if (rw->rw_writer || rw->rw_readers != 1) {
		rv = rumpuser__errtrans(EBUSY);
		goto out;
	}
	rw->rw_readers = 0;
	rw->rw_writer = true;
	rw->rw_owner = rumpuser_curlwp();
out:
	rw_unlock_mtx(rw);
	return rv;
}

/* The writer becomes a reader; no other writer gets in between. */
RUMPUSER_EXPORT void
rumpuser_rw_downgrade(struct rumpuser_rw *rw)
{
	rw_lock_mtx(rw);
	rw->rw_writer = false;
	rw->rw_owner = NULL;
	rw->rw_readers = 1;
	if (rw->rw_wwait == 0)
		pthread_cond_broadcast(&rw->rw_rcv);
	rw_unlock_mtx(rw);
}

RUMPUSER_EXPORT void
rumpuser_rw_exit(struct rumpuser_rw *rw)
{
	rw_lock_mtx(rw);
	if (rw->rw_writer) {
		rw->rw_writer = false;
		rw->rw_owner = NULL;
	} else if (rw->rw_readers > 0) {
		rw->rw_readers--;
	} else {
		fprintf(stderr, "rumpuser_rw_exit: lock not held\n");
		abort();
	}
	if (rw->rw_readers == 0) {
		if (rw->rw_wwait > 0)
			pthread_cond_signal(&rw->rw_wcv);
		else
			pthread_cond_broadcast(&rw->rw_rcv);
	}
	rw_unlock_mtx(rw);
}

RUMPUSER_EXPORT void
rumpuser_rw_destroy(struct rumpuser_rw *rw)
{
	rumpuser__check(pthread_cond_destroy(&rw->rw_wcv), "rw_destroy");
	rumpuser__check(pthread_cond_destroy(&rw->rw_rcv), "rw_destroy");
	rumpuser__check(pthread_mutex_destroy(&rw->rw_mtx), "rw_destroy");
	free(rw);
}

/*
 * WRITER: the calling lwp holds it as writer.  READER: some lwp holds it as
 * reader (readers are counted, not named).
 */
RUMPUSER_EXPORT void
rumpuser_rw_held(int enum_rumprwlock, struct rumpuser_rw *rw, int *heldp)
{
	rw_lock_mtx(rw);
	if (enum_rumprwlock == RUMPUSER_RW_WRITER)
		*heldp = rw->rw_writer && rw->rw_owner == rumpuser_curlwp();
	else
		*heldp = rw->rw_readers > 0;
	rw_unlock_mtx(rw);
}

/*
 * Condition variables.  c_nwaiters changes only under the interlock mutex
 * but is read without it by has_waiters, hence atomic.  Timeouts are taken
 * on CLOCK_MONOTONIC so that setting the wall clock does not move them.
 */

struct rumpuser_cv {
	pthread_cond_t c_cv;
	int c_nwaiters; /* [interlock,a] threads waiting */
};

RUMPUSER_EXPORT void
rumpuser_cv_init(struct rumpuser_cv **cvp)
{
	struct rumpuser_cv *cv = xmalloc_lock(sizeof(*cv), "cv_init");
	pthread_condattr_t attr;

	rumpuser__check(pthread_condattr_init(&attr), "cv_init");
	rumpuser__check(
	    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC), "cv_init");
	rumpuser__check(pthread_cond_init(&cv->c_cv, &attr), "cv_init");
	pthread_condattr_destroy(&attr);
	cv->c_nwaiters = 0;
	*cvp = cv;
}

RUMPUSER_EXPORT void
rumpuser_cv_destroy(struct rumpuser_cv *cv)
{
	rumpuser__check(pthread_cond_destroy(&cv->c_cv), "cv_destroy");
	free(cv);
}

/*
 * Waits on cv, until deadline when it is not NULL, without a virtual CPU,
 * and returns 0 or ETIMEDOUT (host).  The host mutex comes back from the
 * wait held.  A plain mutex may be held while waiting for a CPU (its
 * waiters hold none); a SPIN mutex may not, since a thread holding a CPU
 * may be waiting for it, so for SPIN: drop it, get a CPU, take it again.
 */
static int
cv_wait_unscheduled(struct rumpuser_cv *cv, struct rumpuser_mtx *mtx,
    const struct timespec *deadline)
{
	struct lwp *l = rumpuser_curlwp();
	int nlocks, rv;

	__atomic_add_fetch(&cv->c_nwaiters, 1, __ATOMIC_RELAXED);
	mtx_set_owner(mtx, NULL);
	nlocks = rumpuser__unschedule();
	if (deadline == NULL) {
		rv = pthread_cond_wait(&cv->c_cv, &mtx->m_mtx);
	} else {
		rv = pthread_cond_timedwait(&cv->c_cv, &mtx->m_mtx, deadline);
		if (rv != ETIMEDOUT)
			rumpuser__check(rv, "cv_timedwait");
	}
	__atomic_sub_fetch(&cv->c_nwaiters, 1, __ATOMIC_RELAXED);
	if (mtx->m_flags & RUMPUSER_MTX_SPIN) {
		rumpuser__check(pthread_mutex_unlock(&mtx->m_mtx), "cv_wait");
		rumpuser__reschedule(nlocks);
		rumpuser_mutex_enter_nowrap(mtx);
	} else {
		mtx_set_owner(mtx, l);
		rumpuser__reschedule(nlocks);
	}
	return rv;
}

RUMPUSER_EXPORT void
rumpuser_cv_wait(struct rumpuser_cv *cv, struct rumpuser_mtx *mtx)
{
	rumpuser__check(cv_wait_unscheduled(cv, mtx, NULL), "cv_wait");
}

RUMPUSER_EXPORT void
rumpuser_cv_wait_nowrap(struct rumpuser_cv *cv, struct rumpuser_mtx *mtx)
{
	__atomic_add_fetch(&cv->c_nwaiters, 1, __ATOMIC_RELAXED);
	mtx_set_owner(mtx, NULL);
	rumpuser__check(pthread_cond_wait(&cv->c_cv, &mtx->m_mtx), "cv_wait");
	__atomic_sub_fetch(&cv->c_nwaiters, 1, __ATOMIC_RELAXED);
	mtx_set_owner(mtx, rumpuser_curlwp());
}

/*
 * The deadline is computed before the CPU is released, so time spent
 * waiting for a CPU afterwards counts against the timeout.  A timeout so
 * long that the deadline overflows is clamped to a very long one.
 */
RUMPUSER_EXPORT int
rumpuser_cv_timedwait(
    struct rumpuser_cv *cv, struct rumpuser_mtx *mtx, int64_t sec, int64_t nsec)
{
	const int64_t max_sec = INT64_MAX / 4;
	struct timespec deadline;

	if (nsec < 0 || sec < 0)
		sec = nsec = 0;
	sec += nsec / 1000000000;
	nsec %= 1000000000;
	if (sec > max_sec)
		sec = max_sec;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += (time_t)sec;
	deadline.tv_nsec += (long)nsec;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	return rumpuser__errtrans(cv_wait_unscheduled(cv, mtx, &deadline));
}

RUMPUSER_EXPORT void
rumpuser_cv_signal(struct rumpuser_cv *cv)
{
	rumpuser__check(pthread_cond_signal(&cv->c_cv), "cv_signal");
}

RUMPUSER_EXPORT void
rumpuser_cv_broadcast(struct rumpuser_cv *cv)
{
	rumpuser__check(pthread_cond_broadcast(&cv->c_cv), "cv_broadcast");
}

RUMPUSER_EXPORT void
rumpuser_cv_has_waiters(struct rumpuser_cv *cv, int *waitersp)
{
	*waitersp = __atomic_load_n(&cv->c_nwaiters, __ATOMIC_RELAXED);
}
