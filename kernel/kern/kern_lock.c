/*
 * kern_lock.c — mutexes, rwlocks and condition variables over the
 * hypercall locks, and the lock-order checker.
 *
 * The hypercall locks already release the virtual CPU while they block, so
 * a kernel lock is a thin layer.  What this file adds is checking: with
 * RUMP_LOCKDEBUG=1 every lock belongs to a class (the place that
 * initialised it), each lwp keeps the classes it holds, and the first time
 * two classes are taken in both orders the kernel panics naming both.  A
 * thread that enters a mutex it already holds panics too.  Pairs of the
 * same class are not checked (vnode locks of a parent and a child share a
 * class), and only direct pairs are recorded, not transitive chains.
 */
#include "proc.h"

bool lockdebug_enabled;

#define LD_MAXCLASS 1024
static struct {
	struct rumpuser_mtx *ld_mtx; /* guards everything below */
	int ld_nclass;
	uintptr_t ld_site[LD_MAXCLASS]; /* class n: initialised at site[n] */
	uint8_t ld_order[LD_MAXCLASS][LD_MAXCLASS / 8]; /* a before b */
} * ld;

void lockdebug_init(void);
void
lockdebug_init(void)
{
	char buf[8];

	if (kern_getparam("RUMP_LOCKDEBUG", buf, sizeof(buf)) != 0 ||
	    buf[0] == '0')
		return;
	if (rumpuser_malloc(sizeof(*ld), 0, (void **)&ld) != 0)
		panic("lockdebug_init: no memory");
	memset(ld, 0, sizeof(*ld));
	rumpuser_mutex_init(&ld->ld_mtx, RUMPUSER_MTX_SPIN);
	ld->ld_nclass = 1; /* class 0 means untracked */
	lockdebug_enabled = true;
}

static int
lockdebug_class(uintptr_t site)
{
	int c;

	if (!lockdebug_enabled)
		return 0;
	rumpuser_mutex_enter_nowrap(ld->ld_mtx);
	for (c = 1; c < ld->ld_nclass; c++)
		if (ld->ld_site[c] == site)
			goto out;
	if (ld->ld_nclass == LD_MAXCLASS) {
		c = 0; /* too many classes: stop tracking new ones */
		goto out;
	}
	c = ld->ld_nclass++;
	ld->ld_site[c] = site;
out:
	rumpuser_mutex_exit(ld->ld_mtx);
	return c;
}

#define LD_BIT(a, b) (ld->ld_order[a][(b) / 8] & (1u << ((b) % 8)))

static void
lockdebug_acquired(int c)
{
	struct lwp *l = curlwp;

	if (c == 0 || l == NULL)
		return;
	rumpuser_mutex_enter_nowrap(ld->ld_mtx);
	for (int i = 0; i < l->l_nheld && i < (int)nitems(l->l_held); i++) {
		int h = l->l_held[i];

		if (h == c)
			continue;
		if (LD_BIT(c, h)) {
			uintptr_t hs = ld->ld_site[h], cs = ld->ld_site[c];

			rumpuser_mutex_exit(ld->ld_mtx);
			panic("lockdebug: lock order reversal: lock of class "
			      "%p taken while holding class %p; earlier the "
			      "other way round",
			    (void *)cs, (void *)hs);
		}
		ld->ld_order[h][c / 8] |= (uint8_t)(1u << (c % 8));
	}
	rumpuser_mutex_exit(ld->ld_mtx);
	if (l->l_nheld < (int)nitems(l->l_held))
		l->l_held[l->l_nheld] = c;
	l->l_nheld++;
}

static void
lockdebug_released(int c)
{
	struct lwp *l = curlwp;
	int n;

	if (c == 0 || l == NULL || l->l_nheld == 0)
		return;
	n = MIN(l->l_nheld, (int)nitems(l->l_held));
	for (int i = n - 1; i >= 0; i--) {
		if (l->l_held[i] == c) {
			for (int j = i; j < n - 1; j++)
				l->l_held[j] = l->l_held[j + 1];
			break;
		}
	}
	l->l_nheld--;
}

#define MTX_WAITERS ((uintptr_t)1)

void
mutex_init(kmutex_t *m, int type)
{
	m->mtx_owner = 0;
	m->mtx_hyp = NULL;
	m->mtx_cv = NULL;
	m->mtx_type = type;
	m->mtx_class = lockdebug_class((uintptr_t)__builtin_return_address(0));
}

void
mutex_destroy(kmutex_t *m)
{
	KASSERTMSG(atomic_load_relaxed(&m->mtx_owner) == 0,
	    "mutex_destroy: mutex %p is held", m);
	if (atomic_load_acquire(&m->mtx_cv) != NULL) {
		struct rumpuser_mtx *hm = atomic_load_acquire(&m->mtx_hyp);

		/* Waits for an exiting owner still waking sleepers
		 * (mutex_exit). */
		rumpuser_mutex_enter_nowrap(hm);
		rumpuser_mutex_exit(hm);
		rumpuser_cv_destroy(m->mtx_cv);
		rumpuser_mutex_destroy(hm);
	}
}

/*
 * Makes the hypercall mutex and condvar a contended lock sleeps on, once:
 * a racing maker frees its own.  The condvar is stored last, so a lock
 * whose condvar is seen has both.
 */
static void
lock_sleep_init(struct rumpuser_mtx **mtxp, struct rumpuser_cv **cvp)
{
	struct rumpuser_mtx *hm, *expect = NULL;
	struct rumpuser_cv *cv;

	if (atomic_load_acquire(cvp) != NULL)
		return;
	rumpuser_mutex_init(&hm, RUMPUSER_MTX_KMUTEX);
	rumpuser_cv_init(&cv);
	if (__atomic_compare_exchange_n(
	        mtxp, &expect, hm, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		atomic_store_release(cvp, cv);
		return;
	}
	rumpuser_cv_destroy(cv);
	rumpuser_mutex_destroy(hm);
	while (atomic_load_acquire(cvp) == NULL)
		; /* the winner stores its condvar next */
}

static void
mutex_sleep_init(kmutex_t *m)
{
	lock_sleep_init(&m->mtx_hyp, &m->mtx_cv);
}

static inline bool
mutex_try(kmutex_t *m, uintptr_t me)
{
	uintptr_t expect = 0;

	return __atomic_compare_exchange_n(&m->mtx_owner, &expect, me, false,
	    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

/*
 * The slow path of an adaptive mutex: sleep until the owner lets go.
 * MTX_WAITERS is set under the hypercall mutex before sleeping, and the
 * releasing owner takes that mutex to wake us, so no wakeup is lost.  A
 * sleeper that then takes the mutex keeps the bit (other sleepers may
 * remain): its exit wakes them, perhaps for nothing.
 */
static void
mutex_sleep(kmutex_t *m, uintptr_t me)
{
	struct rumpuser_mtx *hm;
	struct rumpuser_cv *hcv;

	mutex_sleep_init(m);
	hm = atomic_load_acquire(&m->mtx_hyp);
	hcv = atomic_load_acquire(&m->mtx_cv);
	rumpuser_mutex_enter(hm);
	for (;;) {
		uintptr_t old = atomic_load_relaxed(&m->mtx_owner);

		if ((old & ~MTX_WAITERS) == 0) {
			if (__atomic_compare_exchange_n(&m->mtx_owner, &old,
			        me | MTX_WAITERS, false, __ATOMIC_ACQUIRE,
			        __ATOMIC_RELAXED))
				break;
			continue;
		}
		if (!(old & MTX_WAITERS) &&
		    !__atomic_compare_exchange_n(&m->mtx_owner, &old,
		        old | MTX_WAITERS, false, __ATOMIC_SEQ_CST,
		        __ATOMIC_RELAXED))
			continue;
		rumpuser_cv_wait(hcv, hm);
	}
	rumpuser_mutex_exit(hm);
}

void
mutex_enter(kmutex_t *m)
{
	uintptr_t me = (uintptr_t)curlwp;

	KASSERTMSG(me != 0, "mutex_enter: no lwp (outside the kernel?)");
	if (__predict_false(lockdebug_enabled) && mutex_owned(m))
		panic("mutex_enter: locking against myself: mutex %p", m);
	if (__predict_false(!mutex_try(m, me))) {
		if (m->mtx_type == MUTEX_SPIN) {
			while (!mutex_try(m, me))
				__builtin_ia32_pause();
		} else {
			mutex_sleep(m, me);
		}
	}
	if (__predict_false(lockdebug_enabled))
		lockdebug_acquired(m->mtx_class);
}

bool
mutex_tryenter(kmutex_t *m)
{
	if (!mutex_try(m, (uintptr_t)curlwp))
		return false;
	if (__predict_false(lockdebug_enabled))
		lockdebug_acquired(m->mtx_class);
	return true;
}

void
mutex_exit(kmutex_t *m)
{
	uintptr_t old;

	if (__predict_false(lockdebug_enabled)) {
		if (!mutex_owned(m))
			panic("mutex_exit: mutex %p not held by the caller", m);
		lockdebug_released(m->mtx_class);
	}
	/*
	 * With no sleeper the owner word is cleared with one CAS.  With
	 * sleepers it is cleared inside the hypercall mutex they sleep on:
	 * the next owner may destroy m as soon as the word is clear, and
	 * mutex_destroy passes through that hypercall mutex first, so it
	 * waits for this wakeup to finish with m.
	 */
	for (;;) {
		old = atomic_load_relaxed(&m->mtx_owner);
		if (__predict_true(!(old & MTX_WAITERS))) {
			if (__atomic_compare_exchange_n(&m->mtx_owner, &old, 0,
			        false, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
				return;
			continue;
		}
		/* The sleeper that set the bit made these first. */
		struct rumpuser_mtx *hm = atomic_load_acquire(&m->mtx_hyp);
		struct rumpuser_cv *hcv = atomic_load_acquire(&m->mtx_cv);

		/* Wrapped enter: a woken sleeper holds it waiting for a CPU. */
		rumpuser_mutex_enter(hm);
		__atomic_store_n(&m->mtx_owner, 0, __ATOMIC_SEQ_CST);
		rumpuser_cv_broadcast(hcv);
		rumpuser_mutex_exit(hm);
		return;
	}
}

bool
mutex_owned(kmutex_t *m)
{
	struct lwp *l = curlwp;

	return l != NULL &&
	    (atomic_load_relaxed(&m->mtx_owner) & ~MTX_WAITERS) == (uintptr_t)l;
}

#define RW_WRITE       0x1UL /* a writer holds it */
#define RW_WANTWRITE   0x2UL /* a writer waits: readers stay out */
#define RW_WAITERS     0x4UL /* someone sleeps on rw_cv */
#define RW_SHIFT       3
#define RW_READER_UNIT (1UL << RW_SHIFT)

/*
 * The hypercall mutex and condvar a contended rwlock sleeps on are made
 * at its first contention: most rwlocks (one per vnode) never sleep.
 */
void
rw_init(krwlock_t *rw)
{
	rw->rw_state = 0;
	rw->rw_writer = NULL;
	rw->rw_mtx = NULL;
	rw->rw_cv = NULL;
	rw->rw_class = lockdebug_class((uintptr_t)__builtin_return_address(0));
}

static void
rw_sleep_init(krwlock_t *rw)
{
	lock_sleep_init(&rw->rw_mtx, &rw->rw_cv);
}

void
rw_destroy(krwlock_t *rw)
{
	KASSERTMSG(rw->rw_state == 0, "rw_destroy: rwlock %p is held", rw);
	if (atomic_load_acquire(&rw->rw_cv) != NULL) {
		rumpuser_cv_destroy(rw->rw_cv);
		rumpuser_mutex_destroy(atomic_load_acquire(&rw->rw_mtx));
	}
}

/* One attempt; for readers, fails while a writer holds or wants it. */
static inline bool
rw_try(krwlock_t *rw, krw_t op)
{
	unsigned long old = atomic_load_relaxed(&rw->rw_state);

	if (op == RW_READER) {
		while (!(old & (RW_WRITE | RW_WANTWRITE))) {
			if (__atomic_compare_exchange_n(&rw->rw_state, &old,
			        old + RW_READER_UNIT, false, __ATOMIC_ACQUIRE,
			        __ATOMIC_RELAXED))
				return true;
		}
		return false;
	}
	/* A writer may take it when no one holds it (waiters' bits stay). */
	while ((old & ~(RW_WANTWRITE | RW_WAITERS)) == 0) {
		if (__atomic_compare_exchange_n(&rw->rw_state, &old,
		        (old & RW_WAITERS) | RW_WRITE, false, __ATOMIC_ACQUIRE,
		        __ATOMIC_RELAXED)) {
			atomic_store_relaxed(&rw->rw_writer, curlwp);
			return true;
		}
	}
	return false;
}

static void
rw_wake(krwlock_t *rw)
{
	/* RW_WAITERS was set by a sleeper, which made the objects first. */
	struct rumpuser_mtx *hm;
	struct rumpuser_cv *hcv;

	while ((hcv = atomic_load_acquire(&rw->rw_cv)) == NULL)
		;
	hm = atomic_load_acquire(&rw->rw_mtx);
	/*
	 * The wrapped enter: a sleeper coming back from rw_cv holds rw_mtx
	 * while it waits for a CPU, so we must not hold ours while waiting.
	 */
	rumpuser_mutex_enter(hm);
	__atomic_and_fetch(&rw->rw_state, ~RW_WAITERS, __ATOMIC_SEQ_CST);
	rumpuser_cv_broadcast(hcv);
	rumpuser_mutex_exit(hm);
}

void
rw_enter(krwlock_t *rw, krw_t op)
{
	if (__predict_false(lockdebug_enabled) && op == RW_WRITER &&
	    rw_write_held(rw))
		panic("rw_enter: locking against myself: rwlock %p", rw);
	if (__predict_true(rw_try(rw, op)))
		goto out;
	rw_sleep_init(rw);
	struct rumpuser_mtx *hm = atomic_load_acquire(&rw->rw_mtx);
	struct rumpuser_cv *hcv = atomic_load_acquire(&rw->rw_cv);
	/*
	 * Sleep: announce ourselves (RW_WAITERS, and RW_WANTWRITE for a
	 * writer) under the mutex, then retry; a releaser that sees the bit
	 * takes the mutex to wake us, so no wakeup is lost.
	 */
	rumpuser_mutex_enter(hm);
	for (;;) {
		unsigned long bits =
		    RW_WAITERS | (op == RW_WRITER ? RW_WANTWRITE : 0);

		__atomic_or_fetch(&rw->rw_state, bits, __ATOMIC_SEQ_CST);
		if (rw_try(rw, op))
			break;
		rumpuser_cv_wait(hcv, hm);
	}
	rumpuser_mutex_exit(hm);
	/* Others may still wait: let them look again. */
	if (atomic_load_relaxed(&rw->rw_state) & RW_WAITERS)
		rw_wake(rw);
out:
	if (__predict_false(lockdebug_enabled))
		lockdebug_acquired(rw->rw_class);
}

bool
rw_tryenter(krwlock_t *rw, krw_t op)
{
	if (!rw_try(rw, op))
		return false;
	if (__predict_false(lockdebug_enabled))
		lockdebug_acquired(rw->rw_class);
	return true;
}

/* Reader → writer when the caller is the only reader. */
bool
rw_tryupgrade(krwlock_t *rw)
{
	unsigned long old = atomic_load_relaxed(&rw->rw_state);

	while ((old & ~(RW_WANTWRITE | RW_WAITERS)) == RW_READER_UNIT) {
		if (__atomic_compare_exchange_n(&rw->rw_state, &old,
		        (old & RW_WAITERS) | RW_WRITE, false, __ATOMIC_ACQUIRE,
		        __ATOMIC_RELAXED)) {
			atomic_store_relaxed(&rw->rw_writer, curlwp);
			return true;
		}
	}
	return false;
}

/* Writer → reader, letting other readers in. */
void
rw_downgrade(krwlock_t *rw)
{
	unsigned long old = atomic_load_relaxed(&rw->rw_state), new;

	KASSERT(old & RW_WRITE);
	atomic_store_relaxed(&rw->rw_writer, NULL);
	do {
		new = (old & ~(RW_WRITE | RW_WANTWRITE)) + RW_READER_UNIT;
	} while (!__atomic_compare_exchange_n(&rw->rw_state, &old, new, false,
	    __ATOMIC_RELEASE, __ATOMIC_RELAXED));
	if (new &RW_WAITERS)
		rw_wake(rw);
}

void
rw_exit(krwlock_t *rw)
{
	unsigned long old = atomic_load_relaxed(&rw->rw_state), new;

	if (__predict_false(lockdebug_enabled))
		lockdebug_released(rw->rw_class);
	if (old & RW_WRITE) {
		atomic_store_relaxed(&rw->rw_writer, NULL);
		/* The writer's wish is fulfilled: WANTWRITE goes with it. */
		new = __atomic_and_fetch(&rw->rw_state,
		    ~(RW_WRITE | RW_WANTWRITE), __ATOMIC_SEQ_CST);
	} else {
		KASSERTMSG(
		    old >= RW_READER_UNIT, "rw_exit: rwlock %p not held", rw);
		new = __atomic_sub_fetch(
		    &rw->rw_state, RW_READER_UNIT, __ATOMIC_SEQ_CST);
		/* The last reader lets a waiting writer retry. */
		if (new >= RW_READER_UNIT)
			return;
	}
	if (new &RW_WAITERS)
		rw_wake(rw);
}

bool
rw_write_held(krwlock_t *rw)
{
	return (atomic_load_relaxed(&rw->rw_state) & RW_WRITE) &&
	    atomic_load_relaxed(&rw->rw_writer) == curlwp;
}

/* Some reader holds it (readers are not tracked one by one). */
bool
rw_read_held(krwlock_t *rw)
{
	return atomic_load_relaxed(&rw->rw_state) >= RW_READER_UNIT;
}

bool
rw_lock_held(krwlock_t *rw)
{
	return rw_write_held(rw) || rw_read_held(rw);
}

void
cv_init(kcondvar_t *cv)
{
	rumpuser_mutex_init(&cv->cv_mtx, RUMPUSER_MTX_KMUTEX);
	rumpuser_cv_init(&cv->cv_hyp);
	cv->cv_gen = 0;
	cv->cv_nwait = 0;
}

void
cv_destroy(kcondvar_t *cv)
{
	rumpuser_cv_destroy(cv->cv_hyp);
	rumpuser_mutex_destroy(cv->cv_mtx);
	cv->cv_hyp = NULL;
}

/*
 * Waits for a signal after m is released, then takes m again.  The
 * condvar's own mutex is taken before m is let go, and every signal
 * takes it to count a generation: a signal that comes after the release
 * finds us waiting (or about to, holding the mutex) and is not lost.
 * ns: 0 waits without a limit.
 */
static int
cv_dowait(kcondvar_t *cv, kmutex_t *m, uint64_t ns)
{
	unsigned gen;
	int error = 0;

	KASSERT(!lockdebug_enabled || mutex_owned(m));
	rumpuser_mutex_enter(cv->cv_mtx);
	gen = cv->cv_gen;
	cv->cv_nwait++;
	mutex_exit(m);
	while (gen == cv->cv_gen && error == 0) {
		if (ns == 0)
			rumpuser_cv_wait(cv->cv_hyp, cv->cv_mtx);
		else
			error = rumpuser_cv_timedwait(cv->cv_hyp, cv->cv_mtx,
			    (int64_t)(ns / 1000000000u),
			    (int64_t)(ns % 1000000000u));
	}
	if (gen != cv->cv_gen)
		error = 0; /* signalled, even if the time ran out too */
	cv->cv_nwait--;
	rumpuser_mutex_exit(cv->cv_mtx);
	mutex_enter(m);
	return error;
}

void
cv_wait(kcondvar_t *cv, kmutex_t *m)
{
	(void)cv_dowait(cv, m, 0);
}

int
cv_timedwait(kcondvar_t *cv, kmutex_t *m, uint64_t ns)
{
	return cv_dowait(cv, m, ns == 0 ? 1 : ns);
}

void
cv_signal(kcondvar_t *cv)
{
	rumpuser_mutex_enter(cv->cv_mtx);
	if (cv->cv_nwait > 0) {
		cv->cv_gen++;
		rumpuser_cv_signal(cv->cv_hyp);
	}
	rumpuser_mutex_exit(cv->cv_mtx);
}

void
cv_broadcast(kcondvar_t *cv)
{
	rumpuser_mutex_enter(cv->cv_mtx);
	if (cv->cv_nwait > 0) {
		cv->cv_gen++;
		rumpuser_cv_broadcast(cv->cv_hyp);
	}
	rumpuser_mutex_exit(cv->cv_mtx);
}

bool
cv_has_waiters(kcondvar_t *cv)
{
	bool w;

	rumpuser_mutex_enter(cv->cv_mtx);
	w = cv->cv_nwait > 0;
	rumpuser_mutex_exit(cv->cv_mtx);
	return w;
}
