/*
 * kern_sched.c — virtual CPUs and the binding of host threads to them.
 *
 * A host thread runs kernel code only while it holds a virtual CPU.  It
 * takes one on entry (sched_enter) and gives it back on return or
 * before it blocks in a hypercall (the backend upcalls).  The fast path is
 * one compare-and-swap on the CPU the thread's lwp last used and one
 * plain store to release it: no lock that all CPUs share, no fence.  Only when
 * every CPU is busy does a thread sleep, on sched_mtx/sched_cv, until one is
 * released.
 *
 * A thread with no lwp of its own gets an implicit lwp of pid 1 at its
 * first call, and keeps it bound between calls, so later calls take the
 * same fast path as a thread with an lwp of its own (and come back to the
 * same CPU).  The implicit lwp goes when the thread binds another lwp or
 * exits (the platform unbinds the lwps of exiting threads).
 */
#include "proc.h"

struct cpu_info *cpu_infos;
int ncpu;

/*
 * Sleepers for a CPU.  sched_waiters is read by every releasing thread;
 * the mutex and condvar are touched only when it is non-zero.
 */
unsigned sched_waiters;
static struct rumpuser_mtx *sched_mtx;
static struct rumpuser_cv *sched_cv;

/* How often a thread waiting for a CPU looks again (see cpu_acquire). */
#define SCHED_RECHECK_NS 1000000

/* Marks a CPU taken by a thread whose implicit lwp is not yet chosen. */
#define CPU_BUSY ((struct lwp *)(uintptr_t)1)

void
sched_init(int n)
{
	int error;

	error = rumpuser_malloc(sizeof(struct cpu_info) * (size_t)n,
	    COHERENCY_UNIT, (void **)&cpu_infos);
	if (error)
		panic(
		    "sched_init: cannot allocate %d CPUs: error %d", n, error);
	memset(cpu_infos, 0, sizeof(struct cpu_info) * (size_t)n);
	for (int i = 0; i < n; i++)
		cpu_infos[i].ci_index = i;
	ncpu = n;
	rumpuser_mutex_init(&sched_mtx, RUMPUSER_MTX_SPIN);
	rumpuser_cv_init(&sched_cv);
}

static inline bool
cpu_tryget(struct cpu_info *ci, struct lwp *owner)
{
	struct lwp *expect = NULL;

	if (atomic_load_relaxed(&ci->ci_curlwp) != NULL)
		return false;
	return __atomic_compare_exchange_n(&ci->ci_curlwp, &expect, owner,
	    false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
}

static struct cpu_info *
cpu_scan(struct lwp *owner, int hint)
{
	int i = hint;

	for (int n = 0; n < ncpu; n++) {
		if (cpu_tryget(&cpu_infos[i], owner))
			return &cpu_infos[i];
		if (++i == ncpu)
			i = 0;
	}
	return NULL;
}

/* Takes a CPU for owner, preferring CPU hint; sleeps while all are busy. */
static struct cpu_info *
cpu_acquire(struct lwp *owner, int hint)
{
	struct cpu_info *ci;

	if (__predict_true(cpu_tryget(&cpu_infos[hint], owner)))
		return &cpu_infos[hint];
	if ((ci = cpu_scan(owner, hint)) != NULL)
		return ci;

	/*
	 * All busy: sleep until a CPU is released.  A releasing thread
	 * stores NULL and then reads sched_waiters without a fence (the
	 * fast path can afford no more), so it may miss our announcement
	 * while its store is still on its way: the wait is timed and we look
	 * again every SCHED_RECHECK_NS, which bounds what such a miss costs.
	 * While we wait, the backend upcalls of our own lwp must not try to
	 * take a CPU for us (LW_SCHEDWAIT).
	 */
	__atomic_add_fetch(&sched_waiters, 1, __ATOMIC_SEQ_CST);
	if (owner != CPU_BUSY)
		owner->l_flags |= LW_SCHEDWAIT;
	rumpuser_mutex_enter_nowrap(sched_mtx);
	while ((ci = cpu_scan(owner, hint)) == NULL)
		(void)rumpuser_cv_timedwait(
		    sched_cv, sched_mtx, 0, SCHED_RECHECK_NS);
	rumpuser_mutex_exit(sched_mtx);
	if (owner != CPU_BUSY)
		owner->l_flags &= ~LW_SCHEDWAIT;
	__atomic_sub_fetch(&sched_waiters, 1, __ATOMIC_SEQ_CST);
	return ci;
}

/* A CPU was released and someone waits for one. */
void
sched_wakeup(void)
{
	rumpuser_mutex_enter_nowrap(sched_mtx);
	rumpuser_cv_signal(sched_cv);
	rumpuser_mutex_exit(sched_mtx);
}

static inline void
cpu_release(struct cpu_info *ci)
{
	atomic_store_release(&ci->ci_curlwp, NULL);
	if (__predict_false(atomic_load_relaxed(&sched_waiters) != 0))
		sched_wakeup();
}

/*
 * A CPU for a thread with no lwp: spread threads by a hash of their stack
 * page, so that each keeps coming back to the same CPU.  (Thread stacks of
 * one size sit at a fixed stride; a plain shift would map them all alike.)
 */
static inline int
implicit_hint(void)
{
	char here;
	uint64_t h = ((uintptr_t)&here >> 16) * 0x9e3779b97f4a7c15ULL;

	return (int)((h >> 32) % (unsigned)ncpu);
}

/*
 * Enters the kernel: the calling host thread takes a CPU and gets its lwp
 * (binding an implicit one of pid 1 when it has none), which it returns.
 */
struct lwp *
sched_enter(void)
{
	struct lwp *l = rumpuser_curlwp();
	struct cpu_info *ci;

	if (__predict_true(l != NULL)) {
		KASSERT(l->l_cpu == NULL);
		ci = cpu_acquire(l, l->l_cpuhint);
		l->l_cpu = ci;
		l->l_cpuhint = ci->ci_index;
		return l;
	}
	ci = cpu_acquire(CPU_BUSY, implicit_hint());
	l = lwp_alloc_implicit();
	l->l_cpu = ci;
	l->l_cpuhint = ci->ci_index;
	atomic_store_relaxed(&ci->ci_curlwp, l);
	rumpuser_curlwpop(RUMPUSER_LWP_SET, l);
	return l;
}

/* Leaves the kernel: gives back the CPU. */
void
sched_exit(struct lwp *l)
{
	struct cpu_info *ci = l->l_cpu;

	KASSERT(ci != NULL && atomic_load_relaxed(&ci->ci_curlwp) == l);
	l->l_cpu = NULL;
	cpu_release(ci);
}

/*
 * The backend upcalls: a hypercall that is about to block gives up the CPU
 * but keeps the thread's lwp, and takes a CPU again before it returns.
 * There is no big kernel lock, so nlocks is always 0.
 */
static void
backend_unschedule(int nlocks __unused, int *countp, void *interlock __unused)
{
	struct lwp *l = rumpuser_curlwp();
	struct cpu_info *ci;

	if (countp)
		*countp = 0;
	if (l == NULL || (ci = l->l_cpu) == NULL || (l->l_flags & LW_SCHEDWAIT))
		return;
	l->l_cpu = NULL;
	cpu_release(ci);
}

static void
backend_schedule(int nlocks __unused, void *interlock __unused)
{
	struct lwp *l = rumpuser_curlwp();
	struct cpu_info *ci;

	if (l == NULL || l->l_cpu != NULL || (l->l_flags & LW_SCHEDWAIT))
		return;
	ci = cpu_acquire(l, l->l_cpuhint);
	l->l_cpu = ci;
	l->l_cpuhint = ci->ci_index;
}

static void
hyp_schedule(void)
{
	(void)sched_enter();
}

static void
hyp_unschedule(void)
{
	sched_exit(rumpuser_curlwp());
}

RUMP_API void
rump_schedule(void)
{
	hyp_schedule();
}

RUMP_API void
rump_unschedule(void)
{
	hyp_unschedule();
}

/* Used by kern_init.c to fill the upcall table. */
void sched_upcalls(struct rumpuser_hyperup *hyp);
void
sched_upcalls(struct rumpuser_hyperup *hyp)
{
	hyp->hyp_schedule = hyp_schedule;
	hyp->hyp_unschedule = hyp_unschedule;
	hyp->hyp_backend_unschedule = backend_unschedule;
	hyp->hyp_backend_schedule = backend_schedule;
}
