/*
 * t_rumpuser.c — tests of the POSIX platform (librumpuser) on its own,
 * without a kernel.
 *
 * A fake upcall table stands in for the kernel: it has one virtual CPU (a
 * flag under a host mutex) and counts, per host thread, how often a
 * hypercall gave the CPU back (backend_unschedule) and took it again
 * (backend_schedule).  It fails the case when a thread releases a CPU it
 * does not hold or takes one twice, so every case also checks the blocking
 * rule of rumpuser.h.  Most cases "boot" first: init, then take the CPU and
 * bind an lwp, as a kernel thread inside a hypercall would be.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef LIBRUMPUSER
#define LIBRUMPUSER
#endif
#include "rump/rumpuser.h"

#include "../harness.h"

#define MS 1000000ULL

struct lwp {
	int l_id;
};

/*
 * The fake kernel
 */

static pthread_mutex_t vcpu_mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t vcpu_cv = PTHREAD_COND_INITIALIZER;
static bool vcpu_busy;           /* [vcpu_mtx] */
static pthread_t vcpu_holder;    /* [vcpu_mtx] valid when vcpu_busy */
static __thread bool t_have_cpu; /* this thread holds the vCPU */
static __thread int t_nunsched;  /* backend_unschedule calls, this thread */
static __thread int t_nsched;    /* backend_schedule calls, this thread */
static int n_newlwp;             /* [a] hyp_lwproc_newlwp calls */

static void
vcpu_take(void)
{
	if (t_have_cpu)
		T_FAIL("fake: thread takes the vCPU twice");
	pthread_mutex_lock(&vcpu_mtx);
	while (vcpu_busy)
		pthread_cond_wait(&vcpu_cv, &vcpu_mtx);
	vcpu_busy = true;
	vcpu_holder = pthread_self();
	pthread_mutex_unlock(&vcpu_mtx);
	t_have_cpu = true;
}

static void
vcpu_give(void)
{
	if (!t_have_cpu)
		T_FAIL("fake: thread releases a vCPU it does not hold");
	t_have_cpu = false;
	pthread_mutex_lock(&vcpu_mtx);
	vcpu_busy = false;
	pthread_cond_signal(&vcpu_cv);
	pthread_mutex_unlock(&vcpu_mtx);
}

/* The calling thread holds the vCPU, by its own and the global account. */
static bool
vcpu_held_by_me(void)
{
	bool held;

	pthread_mutex_lock(&vcpu_mtx);
	held = vcpu_busy && pthread_equal(vcpu_holder, pthread_self());
	pthread_mutex_unlock(&vcpu_mtx);
	return held && t_have_cpu;
}

static bool
vcpu_is_busy(void)
{
	bool busy;

	pthread_mutex_lock(&vcpu_mtx);
	busy = vcpu_busy;
	pthread_mutex_unlock(&vcpu_mtx);
	return busy;
}

static void
fake_backend_unschedule(int nlocks, int *countp, void *interlock)
{
	(void)nlocks;
	(void)interlock;
	t_nunsched++;
	*countp = 0;
	vcpu_give();
}

static void
fake_backend_schedule(int nlocks, void *interlock)
{
	(void)nlocks;
	(void)interlock;
	t_nsched++;
	vcpu_take();
}

static int
fake_newlwp(int pid)
{
	struct lwp *l = malloc(sizeof(*l));

	if (pid != 0)
		T_FAIL("fake: newlwp in pid %d, want 0", pid);
	l->l_id = 1000 + __atomic_add_fetch(&n_newlwp, 1, __ATOMIC_RELAXED);
	rumpuser_curlwpop(RUMPUSER_LWP_CREATE, l);
	rumpuser_curlwpop(RUMPUSER_LWP_SET, l);
	return 0;
}

static const struct rumpuser_hyperup fake_hyp = {
    .hyp_schedule = vcpu_take,
    .hyp_unschedule = vcpu_give,
    .hyp_backend_unschedule = fake_backend_unschedule,
    .hyp_backend_schedule = fake_backend_schedule,
    .hyp_lwproc_newlwp = fake_newlwp,
};

static struct lwp lwp_main = {1}, lwp_helper = {2};

/* Init, then hold the vCPU with lwp_main bound, as a kernel thread would. */
static void
boot(void)
{
	T_EQ(rumpuser_init(RUMPUSER_VERSION, &fake_hyp), 0);
	vcpu_take();
	rumpuser_curlwpop(RUMPUSER_LWP_SET, &lwp_main);
}

static void
sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) == -1)
		continue;
}

struct helper {
	void (*h_fn)(void *);
	void *h_arg;
};

static void *
helper_main(void *v)
{
	struct helper *h = v;

	rumpuser_curlwpop(RUMPUSER_LWP_SET, &lwp_helper);
	h->h_fn(h->h_arg);
	rumpuser_curlwpop(RUMPUSER_LWP_CLEAR, &lwp_helper);
	return NULL;
}

/* Starts fn(arg) in a new host thread bound to lwp_helper. */
static pthread_t
helper_start(struct helper *h, void (*fn)(void *), void *arg)
{
	pthread_t pt;

	h->h_fn = fn;
	h->h_arg = arg;
	T_EQ(pthread_create(&pt, NULL, helper_main, h), 0);
	return pt;
}

/* Runs fn(arg) in a new host thread bound to lwp_helper, and waits. */
static void
in_helper(void (*fn)(void *), void *arg)
{
	struct helper h;

	T_EQ(pthread_join(helper_start(&h, fn, arg), NULL), 0);
}

/* Sends our stderr to a temporary file until capture_end(). */
static int capture_saved_fd = -1;
static char capture_path[64];

static void
capture_begin(void)
{
	int fd;

	snprintf(capture_path, sizeof(capture_path), "/tmp/t_rumpuser.XXXXXX");
	T_OK(fd = mkstemp(capture_path));
	fflush(stderr);
	T_OK(capture_saved_fd = dup(STDERR_FILENO));
	T_OK(dup2(fd, STDERR_FILENO));
	close(fd);
}

static void
capture_end(char *buf, size_t buflen)
{
	ssize_t n;
	int fd;

	fflush(stderr);
	T_OK(dup2(capture_saved_fd, STDERR_FILENO));
	close(capture_saved_fd);
	T_OK(fd = open(capture_path, O_RDONLY));
	T_OK(n = read(fd, buf, buflen - 1));
	buf[n] = '\0';
	close(fd);
	unlink(capture_path);
}

/* A new empty temporary file; its name goes to path. */
static void
tmp_file(char *path, size_t pathlen)
{
	int fd;

	snprintf(path, pathlen, "/tmp/t_rumpuser.XXXXXX");
	T_OK(fd = mkstemp(path));
	close(fd);
}

/*
 * Init
 */

T_CASE(init_version_mismatch, "wrong version: EINVAL and a message naming both")
{
	char msg[512], want[128];
	int rv;

	capture_begin();
	rv = rumpuser_init(RUMPUSER_VERSION + 1, &fake_hyp);
	capture_end(msg, sizeof(msg));
	T_EQ(rv, EINVAL);
	snprintf(want, sizeof(want),
	    "rumpuser: version mismatch: kernel wants %d, platform provides %d",
	    RUMPUSER_VERSION + 1, RUMPUSER_VERSION);
	if (strstr(msg, want) == NULL)
		T_FAIL("stderr was \"%s\"", msg);
	T_EQ(rumpuser_init(RUMPUSER_VERSION, &fake_hyp), 0);
}

T_CASE(curlwp_set_clear,
    "curlwp is NULL until SET, the lwp after, NULL after CLEAR")
{
	struct lwp l = {7};

	T_ASSERT(rumpuser_curlwp() == NULL);
	rumpuser_curlwpop(RUMPUSER_LWP_CREATE, &l);
	rumpuser_curlwpop(RUMPUSER_LWP_SET, &l);
	T_ASSERT(rumpuser_curlwp() == &l);
	rumpuser_curlwpop(RUMPUSER_LWP_CLEAR, &l);
	T_ASSERT(rumpuser_curlwp() == NULL);
	rumpuser_curlwpop(RUMPUSER_LWP_DESTROY, &l);
}

T_CASE(curlwp_set_twice_aborts, "SET on a bound thread aborts with a message")
{
	struct lwp a = {1}, b = {2};
	int status;
	pid_t pid;

	T_OK(pid = fork());
	if (pid == 0) {
		close(STDERR_FILENO);
		rumpuser_curlwpop(RUMPUSER_LWP_SET, &a);
		rumpuser_curlwpop(RUMPUSER_LWP_SET, &b);
		_exit(0);
	}
	T_OK(waitpid(pid, &status, 0));
	T_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
}

/*
 * Mutexes
 */

struct mtx_hold {
	struct rumpuser_mtx *mh_mtx;
	unsigned mh_ms;
	int mh_held; /* [a] */
	bool mh_cpu_was_busy;
};

/* Holds the mutex for mh_ms without a CPU, and looks at the vCPU. */
static void
hold_mutex(void *v)
{
	struct mtx_hold *mh = v;

	rumpuser_mutex_enter_nowrap(mh->mh_mtx);
	__atomic_store_n(&mh->mh_held, 1, __ATOMIC_RELEASE);
	sleep_ms(mh->mh_ms);
	mh->mh_cpu_was_busy = vcpu_is_busy();
	rumpuser_mutex_exit(mh->mh_mtx);
}

static void
wait_flag(int *flag)
{
	while (__atomic_load_n(flag, __ATOMIC_ACQUIRE) == 0)
		sleep_ms(1);
}

T_CASE(mutex_fast_path, "uncontended enter and tryenter keep the vCPU")
{
	struct rumpuser_mtx *mtx;

	boot();
	rumpuser_mutex_init(&mtx, RUMPUSER_MTX_KMUTEX);
	rumpuser_mutex_enter(mtx);
	rumpuser_mutex_exit(mtx);
	T_EQ(rumpuser_mutex_tryenter(mtx), 0);
	rumpuser_mutex_exit(mtx);
	T_EQ(t_nunsched, 0);
	T_EQ(t_nsched, 0);
	T_ASSERT(vcpu_held_by_me());
	rumpuser_mutex_destroy(mtx);
}

T_CASE(mutex_contended, "contended enter releases the vCPU while it waits")
{
	struct mtx_hold mh = {.mh_ms = 100};
	struct helper h;
	pthread_t pt;

	boot();
	rumpuser_mutex_init(&mh.mh_mtx, RUMPUSER_MTX_KMUTEX);
	pt = helper_start(&h, hold_mutex, &mh);
	wait_flag(&mh.mh_held);
	T_EQ(rumpuser_mutex_tryenter(mh.mh_mtx), EBUSY);
	rumpuser_mutex_enter(mh.mh_mtx);
	T_EQ(t_nunsched, 1);
	T_EQ(t_nsched, 1);
	T_ASSERT(vcpu_held_by_me());
	rumpuser_mutex_exit(mh.mh_mtx);
	T_EQ(pthread_join(pt, NULL), 0);
	T_ASSERT(!mh.mh_cpu_was_busy);
	rumpuser_mutex_destroy(mh.mh_mtx);
}

T_CASE(mutex_spin, "a SPIN mutex never releases the vCPU, even contended")
{
	struct mtx_hold mh = {.mh_ms = 100};
	struct helper h;
	pthread_t pt;

	boot();
	rumpuser_mutex_init(&mh.mh_mtx, RUMPUSER_MTX_SPIN);
	pt = helper_start(&h, hold_mutex, &mh);
	wait_flag(&mh.mh_held);
	rumpuser_mutex_enter(mh.mh_mtx);
	T_EQ(t_nunsched, 0);
	T_EQ(t_nsched, 0);
	rumpuser_mutex_exit(mh.mh_mtx);
	T_EQ(pthread_join(pt, NULL), 0);
	T_ASSERT(mh.mh_cpu_was_busy);
	rumpuser_mutex_destroy(mh.mh_mtx);
}

struct mtx_probe {
	struct rumpuser_mtx *mp_mtx;
	int mp_rv;
	struct lwp *mp_owner;
};

/* Tries the mutex from another lwp; notes the owner; lets go of it. */
static void
probe_mutex(void *v)
{
	struct mtx_probe *mp = v;

	mp->mp_rv = rumpuser_mutex_tryenter(mp->mp_mtx);
	rumpuser_mutex_owner(mp->mp_mtx, &mp->mp_owner);
	if (mp->mp_rv == 0)
		rumpuser_mutex_exit(mp->mp_mtx);
}

T_CASE(mutex_kmutex_owner, "a KMUTEX records its owning lwp")
{
	struct mtx_probe mp;
	struct lwp *l;

	boot();
	rumpuser_mutex_init(&mp.mp_mtx, RUMPUSER_MTX_KMUTEX);
	rumpuser_mutex_owner(mp.mp_mtx, &l);
	T_ASSERT(l == NULL);
	rumpuser_mutex_enter(mp.mp_mtx);
	rumpuser_mutex_owner(mp.mp_mtx, &l);
	T_ASSERT(l == &lwp_main);
	in_helper(probe_mutex, &mp);
	T_EQ(mp.mp_rv, EBUSY);
	T_ASSERT(mp.mp_owner == &lwp_main);
	rumpuser_mutex_exit(mp.mp_mtx);
	rumpuser_mutex_owner(mp.mp_mtx, &l);
	T_ASSERT(l == NULL);

	in_helper(probe_mutex, &mp);
	T_EQ(mp.mp_rv, 0);
	T_ASSERT(mp.mp_owner == &lwp_helper);
	rumpuser_mutex_owner(mp.mp_mtx, &l);
	T_ASSERT(l == NULL);
	rumpuser_mutex_destroy(mp.mp_mtx);
}

/*
 * Condition variables
 */

T_CASE(cv_timedwait_timeout, "timedwait times out after the time, not before")
{
	struct rumpuser_mtx *mtx;
	struct rumpuser_cv *cv;
	uint64_t t0, el;
	struct lwp *l;
	int waiters;

	boot();
	rumpuser_mutex_init(&mtx, RUMPUSER_MTX_KMUTEX);
	rumpuser_cv_init(&cv);
	rumpuser_mutex_enter(mtx);
	t0 = t_now_ns();
	T_EQ(rumpuser_cv_timedwait(cv, mtx, 0, 200 * MS), ETIMEDOUT);
	el = t_now_ns() - t0;
	T_ASSERT(el >= 200 * MS);
	T_ASSERT(el < 2000 * MS);
	/* nsec past a second is carried into seconds. */
	t0 = t_now_ns();
	T_EQ(rumpuser_cv_timedwait(cv, mtx, 0, 1100 * MS), ETIMEDOUT);
	el = t_now_ns() - t0;
	T_ASSERT(el >= 1100 * MS);
	T_ASSERT(el < 3000 * MS);
	T_EQ(t_nunsched, 2);
	T_EQ(t_nsched, 2);
	T_ASSERT(vcpu_held_by_me());
	rumpuser_mutex_owner(mtx, &l);
	T_ASSERT(l == &lwp_main);
	rumpuser_cv_has_waiters(cv, &waiters);
	T_EQ(waiters, 0);
	rumpuser_mutex_exit(mtx);
	rumpuser_cv_destroy(cv);
	rumpuser_mutex_destroy(mtx);
}

struct cv_test {
	struct rumpuser_mtx *ct_mtx;
	struct rumpuser_cv *ct_cv;
	int ct_flag; /* [ct_mtx] */
	int ct_waiters;
	bool ct_cpu_was_busy;
	bool ct_with_cpu; /* signal like a kernel thread, holding the CPU */
};

static void
cv_signaller(void *v)
{
	struct cv_test *ct = v;

	sleep_ms(50);
	if (ct->ct_with_cpu) {
		vcpu_take();
		rumpuser_mutex_enter(ct->ct_mtx);
	} else {
		rumpuser_mutex_enter_nowrap(ct->ct_mtx);
		ct->ct_cpu_was_busy = vcpu_is_busy();
	}
	rumpuser_cv_has_waiters(ct->ct_cv, &ct->ct_waiters);
	ct->ct_flag = 1;
	rumpuser_cv_signal(ct->ct_cv);
	rumpuser_mutex_exit(ct->ct_mtx);
	if (ct->ct_with_cpu)
		vcpu_give();
}

T_CASE(cv_signal_wakes, "cv_wait and cv_timedwait wake on a signal")
{
	struct cv_test ct = {.ct_with_cpu = true};
	struct helper h;
	struct lwp *l;
	pthread_t pt;

	boot();
	rumpuser_mutex_init(&ct.ct_mtx, RUMPUSER_MTX_KMUTEX);
	rumpuser_cv_init(&ct.ct_cv);

	rumpuser_mutex_enter(ct.ct_mtx);
	pt = helper_start(&h, cv_signaller, &ct);
	while (!ct.ct_flag)
		rumpuser_cv_wait(ct.ct_cv, ct.ct_mtx);
	rumpuser_mutex_owner(ct.ct_mtx, &l);
	T_ASSERT(l == &lwp_main);
	T_ASSERT(vcpu_held_by_me());
	T_EQ(ct.ct_waiters, 1);
	rumpuser_mutex_exit(ct.ct_mtx);
	T_EQ(pthread_join(pt, NULL), 0);
	T_ASSERT(t_nunsched >= 1);
	T_EQ(t_nunsched, t_nsched);

	ct.ct_flag = 0;
	rumpuser_mutex_enter(ct.ct_mtx);
	pt = helper_start(&h, cv_signaller, &ct);
	while (!ct.ct_flag)
		T_EQ(rumpuser_cv_timedwait(ct.ct_cv, ct.ct_mtx, 10, 0), 0);
	rumpuser_mutex_exit(ct.ct_mtx);
	T_EQ(pthread_join(pt, NULL), 0);

	rumpuser_cv_destroy(ct.ct_cv);
	rumpuser_mutex_destroy(ct.ct_mtx);
}

T_CASE(cv_wait_nowrap, "cv_wait_nowrap keeps the vCPU while it waits")
{
	struct cv_test ct = {.ct_with_cpu = false};
	struct helper h;
	struct lwp *l;
	pthread_t pt;

	boot();
	rumpuser_mutex_init(&ct.ct_mtx, RUMPUSER_MTX_KMUTEX);
	rumpuser_cv_init(&ct.ct_cv);
	rumpuser_mutex_enter(ct.ct_mtx);
	pt = helper_start(&h, cv_signaller, &ct);
	while (!ct.ct_flag)
		rumpuser_cv_wait_nowrap(ct.ct_cv, ct.ct_mtx);
	T_EQ(t_nunsched, 0);
	rumpuser_mutex_owner(ct.ct_mtx, &l);
	T_ASSERT(l == &lwp_main);
	rumpuser_mutex_exit(ct.ct_mtx);
	T_EQ(pthread_join(pt, NULL), 0);
	T_ASSERT(ct.ct_cpu_was_busy);
	T_EQ(ct.ct_waiters, 1);
	rumpuser_cv_destroy(ct.ct_cv);
	rumpuser_mutex_destroy(ct.ct_mtx);
}

/*
 * Threads holding the one vCPU hand a token round through a mutex and a
 * condition variable, so wakers and woken race for the mutex and the CPU
 * all the time.  A lock order mistake between the two deadlocks here.
 */
#define PP_THREADS 4
#define PP_ROUNDS  1500

struct pingpong {
	struct rumpuser_mtx *pp_mtx;
	struct rumpuser_cv *pp_cv;
	int pp_turn; /* [pp_mtx] */
	bool pp_bad_owner;
};

struct pp_thread {
	struct pingpong *pt_pp;
	int pt_idx;
	struct lwp pt_lwp;
};

static void *
pingpong_main(void *v)
{
	struct pp_thread *pt = v;
	struct pingpong *pp = pt->pt_pp;
	struct lwp *l;

	rumpuser_curlwpop(RUMPUSER_LWP_SET, &pt->pt_lwp);
	vcpu_take();
	for (int r = 0; r < PP_ROUNDS; r++) {
		rumpuser_mutex_enter(pp->pp_mtx);
		while (pp->pp_turn % PP_THREADS != pt->pt_idx) {
			if (r % 2)
				rumpuser_cv_wait(pp->pp_cv, pp->pp_mtx);
			else
				rumpuser_cv_timedwait(
				    pp->pp_cv, pp->pp_mtx, 10, 0);
		}
		rumpuser_mutex_owner(pp->pp_mtx, &l);
		if (l != &pt->pt_lwp)
			pp->pp_bad_owner = true;
		pp->pp_turn++;
		rumpuser_cv_broadcast(pp->pp_cv);
		rumpuser_mutex_exit(pp->pp_mtx);
	}
	vcpu_give();
	rumpuser_curlwpop(RUMPUSER_LWP_CLEAR, &pt->pt_lwp);
	return NULL;
}

static void
pingpong(int flags)
{
	struct pp_thread pt[PP_THREADS];
	pthread_t thr[PP_THREADS];
	struct pingpong pp = {0};

	boot();
	rumpuser_mutex_init(&pp.pp_mtx, flags);
	rumpuser_cv_init(&pp.pp_cv);
	vcpu_give();
	for (int i = 0; i < PP_THREADS; i++) {
		pt[i].pt_pp = &pp;
		pt[i].pt_idx = i;
		pt[i].pt_lwp.l_id = 100 + i;
		T_EQ(pthread_create(&thr[i], NULL, pingpong_main, &pt[i]), 0);
	}
	for (int i = 0; i < PP_THREADS; i++)
		T_EQ(pthread_join(thr[i], NULL), 0);
	T_EQ(pp.pp_turn, PP_THREADS * PP_ROUNDS);
	T_ASSERT(!pp.pp_bad_owner);
	rumpuser_cv_destroy(pp.pp_cv);
	rumpuser_mutex_destroy(pp.pp_mtx);
}

T_CASE(cv_pingpong_adaptive,
    "4 threads on 1 vCPU pass a token through a KMUTEX + cv")
{
	pingpong(RUMPUSER_MTX_KMUTEX);
}

T_CASE(cv_pingpong_spin,
    "4 threads on 1 vCPU pass a token through a SPIN mutex + cv")
{
	pingpong(RUMPUSER_MTX_SPIN | RUMPUSER_MTX_KMUTEX);
}

/*
 * Reader/writer locks
 */

struct rw_probe {
	struct rumpuser_rw *rp_rw;
	int rp_rv;
	int rp_held;
};

static void
rw_try_read(void *v)
{
	struct rw_probe *rp = v;

	rp->rp_rv = rumpuser_rw_tryenter(RUMPUSER_RW_READER, rp->rp_rw);
}

static void
rw_try_write(void *v)
{
	struct rw_probe *rp = v;

	rp->rp_rv = rumpuser_rw_tryenter(RUMPUSER_RW_WRITER, rp->rp_rw);
}

static void
rw_release(void *v)
{
	struct rw_probe *rp = v;

	rumpuser_rw_exit(rp->rp_rw);
}

static void
rw_held_write(void *v)
{
	struct rw_probe *rp = v;

	rumpuser_rw_held(RUMPUSER_RW_WRITER, rp->rp_rw, &rp->rp_held);
}

static int
held(int op, struct rumpuser_rw *rw)
{
	int h;

	rumpuser_rw_held(op, rw, &h);
	return h;
}

T_CASE(rwlock_semantics,
    "readers share, writers exclude, upgrade, downgrade, held")
{
	struct rw_probe rp;
	struct rumpuser_rw *rw;

	boot();
	rumpuser_rw_init(&rw);
	rp.rp_rw = rw;
	T_EQ(held(RUMPUSER_RW_READER, rw), 0);
	T_EQ(held(RUMPUSER_RW_WRITER, rw), 0);

	/* Two readers: neither can upgrade. */
	rumpuser_rw_enter(RUMPUSER_RW_READER, rw);
	T_EQ(held(RUMPUSER_RW_READER, rw), 1);
	T_EQ(held(RUMPUSER_RW_WRITER, rw), 0);
	in_helper(rw_try_read, &rp);
	T_EQ(rp.rp_rv, 0);
	in_helper(rw_try_write, &rp);
	T_EQ(rp.rp_rv, EBUSY);
	T_EQ(rumpuser_rw_tryupgrade(rw), EBUSY);
	in_helper(rw_release, &rp);

	/* Alone: the upgrade works and the helper is kept out. */
	T_EQ(rumpuser_rw_tryupgrade(rw), 0);
	T_EQ(held(RUMPUSER_RW_WRITER, rw), 1);
	T_EQ(held(RUMPUSER_RW_READER, rw), 0);
	in_helper(rw_held_write, &rp);
	T_EQ(rp.rp_held, 0);
	in_helper(rw_try_read, &rp);
	T_EQ(rp.rp_rv, EBUSY);
	in_helper(rw_try_write, &rp);
	T_EQ(rp.rp_rv, EBUSY);

	/* Downgraded: readers get in, writers do not. */
	rumpuser_rw_downgrade(rw);
	T_EQ(held(RUMPUSER_RW_WRITER, rw), 0);
	T_EQ(held(RUMPUSER_RW_READER, rw), 1);
	in_helper(rw_try_write, &rp);
	T_EQ(rp.rp_rv, EBUSY);
	in_helper(rw_try_read, &rp);
	T_EQ(rp.rp_rv, 0);
	in_helper(rw_release, &rp);
	rumpuser_rw_exit(rw);

	/* Free: a writer gets it, then the main thread cannot. */
	in_helper(rw_try_write, &rp);
	T_EQ(rp.rp_rv, 0);
	T_EQ(held(RUMPUSER_RW_WRITER, rw), 0);
	T_EQ(rumpuser_rw_tryenter(RUMPUSER_RW_READER, rw), EBUSY);
	T_EQ(rumpuser_rw_tryenter(RUMPUSER_RW_WRITER, rw), EBUSY);
	in_helper(rw_release, &rp);
	T_EQ(rumpuser_rw_tryenter(RUMPUSER_RW_WRITER, rw), 0);
	T_EQ(held(RUMPUSER_RW_WRITER, rw), 1);
	rumpuser_rw_exit(rw);
	T_EQ(held(RUMPUSER_RW_WRITER, rw), 0);

	T_EQ(t_nunsched, 0);
	rumpuser_rw_destroy(rw);
}

struct rw_hold {
	struct rumpuser_rw *rh_rw;
	int rh_held; /* [a] */
	bool rh_cpu_was_busy;
};

static void
hold_write(void *v)
{
	struct rw_hold *rh = v;

	if (rumpuser_rw_tryenter(RUMPUSER_RW_WRITER, rh->rh_rw) != 0)
		T_FAIL("helper could not take the free lock");
	__atomic_store_n(&rh->rh_held, 1, __ATOMIC_RELEASE);
	sleep_ms(100);
	rh->rh_cpu_was_busy = vcpu_is_busy();
	rumpuser_rw_exit(rh->rh_rw);
}

T_CASE(rwlock_contended, "a blocked rw_enter releases the vCPU while it waits")
{
	struct rw_hold rh = {0};
	struct helper h;
	pthread_t pt;

	boot();
	rumpuser_rw_init(&rh.rh_rw);
	pt = helper_start(&h, hold_write, &rh);
	wait_flag(&rh.rh_held);
	rumpuser_rw_enter(RUMPUSER_RW_READER, rh.rh_rw);
	T_EQ(t_nunsched, 1);
	T_EQ(t_nsched, 1);
	T_EQ(held(RUMPUSER_RW_READER, rh.rh_rw), 1);
	rumpuser_rw_exit(rh.rh_rw);
	T_EQ(pthread_join(pt, NULL), 0);
	T_ASSERT(!rh.rh_cpu_was_busy);

	/* And as a writer, keeping its lwp as owner across the wait. */
	rh.rh_held = 0;
	pt = helper_start(&h, hold_write, &rh);
	wait_flag(&rh.rh_held);
	rumpuser_rw_enter(RUMPUSER_RW_WRITER, rh.rh_rw);
	T_EQ(held(RUMPUSER_RW_WRITER, rh.rh_rw), 1);
	rumpuser_rw_exit(rh.rh_rw);
	T_EQ(pthread_join(pt, NULL), 0);
	rumpuser_rw_destroy(rh.rh_rw);
}

/*
 * Block I/O
 */

#define NBIO  64
#define BIOSZ 4096

struct bio_ctx {
	struct rumpuser_mtx *bc_mtx;
	struct rumpuser_cv *bc_cv;
	int bc_ndone; /* [bc_mtx] */
};

struct bio_one {
	struct bio_ctx *bo_ctx;
	size_t bo_bytes;
	int bo_error;
	bool bo_done;
	bool bo_had_cpu;
	struct lwp *bo_lwp;
	pthread_t bo_thread;
	char bo_buf[BIOSZ];
};

static void
bio_done(void *arg, size_t bytes, int error)
{
	struct bio_one *bo = arg;
	struct bio_ctx *bc = bo->bo_ctx;
	bool had_cpu = vcpu_held_by_me();

	rumpuser_mutex_enter(bc->bc_mtx);
	if (bo->bo_done)
		T_FAIL("biodone called twice");
	bo->bo_bytes = bytes;
	bo->bo_error = error;
	bo->bo_had_cpu = had_cpu;
	bo->bo_lwp = rumpuser_curlwp();
	bo->bo_thread = pthread_self();
	bo->bo_done = true;
	bc->bc_ndone++;
	rumpuser_cv_broadcast(bc->bc_cv);
	rumpuser_mutex_exit(bc->bc_mtx);
}

static void
bio_wait(struct bio_ctx *bc, int n)
{
	rumpuser_mutex_enter(bc->bc_mtx);
	while (bc->bc_ndone < n)
		rumpuser_cv_wait(bc->bc_cv, bc->bc_mtx);
	rumpuser_mutex_exit(bc->bc_mtx);
}

static void
bio_ctx_init(struct bio_ctx *bc)
{
	rumpuser_mutex_init(&bc->bc_mtx, RUMPUSER_MTX_KMUTEX);
	rumpuser_cv_init(&bc->bc_cv);
	bc->bc_ndone = 0;
}

/* Counts the different threads that ran the biodones of bo[0..n). */
static int
bio_nthreads(struct bio_one *bo, int n)
{
	int distinct = 0;

	for (int i = 0; i < n; i++) {
		int j;

		for (j = 0; j < i; j++)
			if (pthread_equal(bo[i].bo_thread, bo[j].bo_thread))
				break;
		if (j == i)
			distinct++;
	}
	return distinct;
}

T_CASE(bio_concurrent,
    "64 writes then 64 reads in flight at once, right data, biodone on a vCPU")
{
	static struct bio_one wr[NBIO], rd[NBIO];
	struct bio_ctx bc;
	char path[64], buf[BIOSZ];
	int fd, nthr;

	boot();
	bio_ctx_init(&bc);
	tmp_file(path, sizeof(path));
	T_EQ(rumpuser_open(path, RUMPUSER_OPEN_RDWR | RUMPUSER_OPEN_BIO, &fd),
	    0);
	for (int i = 0; i < NBIO; i++) {
		wr[i].bo_ctx = &bc;
		memset(wr[i].bo_buf, 'A' + i % 26, BIOSZ);
		wr[i].bo_buf[0] = (char)i;
		rumpuser_bio(fd,
		    RUMPUSER_BIO_WRITE | (i % 8 == 0 ? RUMPUSER_BIO_SYNC : 0),
		    wr[i].bo_buf, BIOSZ, (int64_t)(NBIO - 1 - i) * BIOSZ,
		    bio_done, &wr[i]);
	}
	bio_wait(&bc, NBIO);
	for (int i = 0; i < NBIO; i++) {
		T_EQ(wr[i].bo_error, 0);
		T_EQ(wr[i].bo_bytes, BIOSZ);
		T_ASSERT(wr[i].bo_had_cpu);
		T_ASSERT(wr[i].bo_lwp != NULL);
		T_ASSERT(wr[i].bo_lwp != &lwp_main);
	}

	bc.bc_ndone = 0;
	for (int i = 0; i < NBIO; i++) {
		rd[i].bo_ctx = &bc;
		rumpuser_bio(fd, RUMPUSER_BIO_READ, rd[i].bo_buf, BIOSZ,
		    (int64_t)(NBIO - 1 - i) * BIOSZ, bio_done, &rd[i]);
	}
	bio_wait(&bc, NBIO);
	for (int i = 0; i < NBIO; i++) {
		T_EQ(rd[i].bo_error, 0);
		T_EQ(rd[i].bo_bytes, BIOSZ);
		T_ASSERT(rd[i].bo_had_cpu);
		T_ASSERT(memcmp(rd[i].bo_buf, wr[i].bo_buf, BIOSZ) == 0);
	}
	/* The file says the same to the host. */
	T_EQ(pread(fd, buf, BIOSZ, 0), BIOSZ);
	T_ASSERT(memcmp(buf, wr[NBIO - 1].bo_buf, BIOSZ) == 0);

	nthr = bio_nthreads(wr, NBIO);
	if (nthr < 2)
		nthr = bio_nthreads(rd, NBIO);
	T_ASSERT(nthr >= 2);
	T_ASSERT(nthr <= 4);
	T_ASSERT(__atomic_load_n(&n_newlwp, __ATOMIC_RELAXED) >= nthr);
	T_ASSERT(__atomic_load_n(&n_newlwp, __ATOMIC_RELAXED) <= 4);
	T_EQ(rumpuser_close(fd), 0);
	unlink(path);
}

T_CASE(bio_threads_env, "RUMPUSER_BIO_THREADS=2 gives two I/O threads")
{
	static struct bio_one wr[NBIO];
	struct bio_ctx bc;
	char path[64];
	int fd;

	setenv("RUMPUSER_BIO_THREADS", "2", 1);
	boot();
	bio_ctx_init(&bc);
	tmp_file(path, sizeof(path));
	T_EQ(rumpuser_open(path, RUMPUSER_OPEN_RDWR, &fd), 0);
	for (int i = 0; i < NBIO; i++) {
		wr[i].bo_ctx = &bc;
		rumpuser_bio(fd, RUMPUSER_BIO_WRITE, wr[i].bo_buf, BIOSZ,
		    (int64_t)i * BIOSZ, bio_done, &wr[i]);
	}
	bio_wait(&bc, NBIO);
	T_ASSERT(bio_nthreads(wr, NBIO) <= 2);
	T_ASSERT(__atomic_load_n(&n_newlwp, __ATOMIC_RELAXED) <= 2);
	rumpuser_close(fd);
	unlink(path);
}

T_CASE(bio_error, "a failed transfer reports 0 bytes and the errno (EBADF)")
{
	static struct bio_one bo;
	struct bio_ctx bc;
	char path[64];
	int fd;

	boot();
	bio_ctx_init(&bc);
	tmp_file(path, sizeof(path));
	T_EQ(rumpuser_open(path, RUMPUSER_OPEN_WRONLY | RUMPUSER_OPEN_BIO, &fd),
	    0);
	bo.bo_ctx = &bc;
	rumpuser_bio(fd, RUMPUSER_BIO_READ, bo.bo_buf, BIOSZ, 0, bio_done, &bo);
	bio_wait(&bc, 1);
	T_EQ(bo.bo_error, EBADF);
	T_EQ(bo.bo_bytes, 0);
	T_ASSERT(bo.bo_had_cpu);
	rumpuser_close(fd);
	unlink(path);
}

T_CASE(bio_synchronous,
    "RUMP_THREADS=0: the transfer and biodone happen in the caller")
{
	static struct bio_one bo;
	struct bio_ctx bc;
	char path[64];
	int fd;

	setenv("RUMP_THREADS", "0", 1);
	boot();
	bio_ctx_init(&bc);
	tmp_file(path, sizeof(path));
	T_EQ(rumpuser_open(path, RUMPUSER_OPEN_RDWR | RUMPUSER_OPEN_BIO, &fd),
	    0);
	bo.bo_ctx = &bc;
	memset(bo.bo_buf, 'x', BIOSZ);
	t_nunsched = 0;
	rumpuser_bio(fd, RUMPUSER_BIO_WRITE | RUMPUSER_BIO_SYNC, bo.bo_buf,
	    BIOSZ, 512, bio_done, &bo);
	T_ASSERT(bo.bo_done);
	T_ASSERT(pthread_equal(bo.bo_thread, pthread_self()));
	T_ASSERT(bo.bo_had_cpu);
	T_EQ(bo.bo_error, 0);
	T_EQ(bo.bo_bytes, BIOSZ);
	T_EQ(t_nunsched, 1);
	T_EQ(n_newlwp, 0);
	rumpuser_close(fd);
	unlink(path);
}

/*
 * Parameters
 */

static const char *
param(const char *name, char *buf, size_t len, int *errorp)
{
	*errorp = rumpuser_getparam(name, buf, len);
	return buf;
}

T_CASE(getparam_ncpu, "NCPU: host cores by default, RUMP_NCPU=3, =host, junk")
{
	char buf[32], want[32];
	int error;

	snprintf(want, sizeof(want), "%ld", sysconf(_SC_NPROCESSORS_ONLN));
	unsetenv("RUMP_NCPU");
	T_ASSERT(strcmp(param(RUMPUSER_PARAM_NCPU, buf, sizeof(buf), &error),
	             want) == 0);
	T_EQ(error, 0);
	setenv("RUMP_NCPU", "3", 1);
	T_ASSERT(strcmp(param(RUMPUSER_PARAM_NCPU, buf, sizeof(buf), &error),
	             "3") == 0);
	T_EQ(error, 0);
	setenv("RUMP_NCPU", "host", 1);
	T_ASSERT(strcmp(param(RUMPUSER_PARAM_NCPU, buf, sizeof(buf), &error),
	             want) == 0);
	T_EQ(error, 0);
	setenv("RUMP_NCPU", "3x", 1);
	capture_begin();
	error = rumpuser_getparam(RUMPUSER_PARAM_NCPU, buf, sizeof(buf));
	capture_end(buf, sizeof(buf));
	T_EQ(error, EINVAL);
}

T_CASE(getparam_hostname, "HOSTNAME is rump-<pid>.<host>")
{
	char buf[512], want[512], host[256];

	T_EQ(rumpuser_getparam(RUMPUSER_PARAM_HOSTNAME, buf, sizeof(buf)), 0);
	T_OK(gethostname(host, sizeof(host)));
	snprintf(want, sizeof(want), "rump-%05d.%s", (int)getpid(), host);
	if (strcmp(buf, want) != 0)
		T_FAIL("got \"%s\", want \"%s\"", buf, want);
}

T_CASE(
    getparam_other, "unknown _names EINVAL, others from the environment, E2BIG")
{
	char buf[16];
	int error;

	T_EQ(rumpuser_getparam("_RUMPUSER_NOSUCH", buf, sizeof(buf)), EINVAL);
	unsetenv("T_RUMPUSER_PARAM");
	T_EQ(rumpuser_getparam("T_RUMPUSER_PARAM", buf, sizeof(buf)), ENOENT);
	setenv("T_RUMPUSER_PARAM", "bar", 1);
	T_ASSERT(strcmp(param("T_RUMPUSER_PARAM", buf, sizeof(buf), &error),
	             "bar") == 0);
	T_EQ(error, 0);
	T_EQ(rumpuser_getparam("T_RUMPUSER_PARAM", buf, 3), E2BIG);
	T_EQ(rumpuser_getparam("T_RUMPUSER_PARAM", buf, 4), 0);
	T_EQ(rumpuser_getparam(RUMPUSER_PARAM_HOSTNAME, buf, 4), E2BIG);
}

/*
 * Clocks
 */

T_CASE(clock_read, "RELWALL reads the wall clock, ABSMONO the monotonic one")
{
	struct timespec ts;
	int64_t sec;
	long nsec;

	T_EQ(rumpuser_clock_gettime(RUMPUSER_CLOCK_RELWALL, &sec, &nsec), 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	T_ASSERT(ts.tv_sec - sec <= 1 && ts.tv_sec >= sec);
	T_ASSERT(nsec >= 0 && nsec < 1000000000L);
	T_EQ(rumpuser_clock_gettime(RUMPUSER_CLOCK_ABSMONO, &sec, &nsec), 0);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	T_ASSERT(ts.tv_sec - sec <= 1 && ts.tv_sec >= sec);
	T_EQ(rumpuser_clock_gettime(7, &sec, &nsec), EINVAL);
}

T_CASE(clock_sleep_absmono,
    "ABSMONO sleeps until the deadline, not less, without the vCPU")
{
	struct timespec dl, now;
	uint64_t t0;

	boot();
	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_nsec += 150 * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	T_EQ(
	    rumpuser_clock_sleep(RUMPUSER_CLOCK_ABSMONO, dl.tv_sec, dl.tv_nsec),
	    0);
	clock_gettime(CLOCK_MONOTONIC, &now);
	T_ASSERT(now.tv_sec > dl.tv_sec ||
	    (now.tv_sec == dl.tv_sec && now.tv_nsec >= dl.tv_nsec));
	T_EQ(t_nunsched, 1);
	T_EQ(t_nsched, 1);

	/* A deadline in the past returns at once. */
	t0 = t_now_ns();
	T_EQ(rumpuser_clock_sleep(RUMPUSER_CLOCK_ABSMONO, 0, 0), 0);
	T_ASSERT(t_now_ns() - t0 < 100 * MS);
	T_EQ(rumpuser_clock_sleep(RUMPUSER_CLOCK_ABSMONO, 0, -1), EINVAL);
}

T_CASE(clock_sleep_relwall, "RELWALL sleeps for the duration")
{
	uint64_t t0, el;

	boot();
	t0 = t_now_ns();
	T_EQ(
	    rumpuser_clock_sleep(RUMPUSER_CLOCK_RELWALL, 0, 120 * 1000000L), 0);
	el = t_now_ns() - t0;
	T_ASSERT(el >= 120 * MS);
	T_ASSERT(el < 2000 * MS);
	T_EQ(t_nunsched, 1);
}

/*
 * Threads
 */

struct thr_test {
	int tt_value; /* [a] */
	char tt_name[32];
};

static void *
thr_joinable(void *v)
{
	struct thr_test *tt = v;

	pthread_getname_np(pthread_self(), tt->tt_name, sizeof(tt->tt_name));
	__atomic_store_n(&tt->tt_value, 42, __ATOMIC_RELEASE);
	rumpuser_thread_exit();
}

T_CASE(thread_create_join,
    "joinable and detached threads run; names are cut to 15")
{
	struct thr_test tj = {0}, td = {0};
	void *cookie = NULL;

	boot();
	T_EQ(rumpuser_thread_create(thr_joinable, &tj,
	         "a_rather_long_thread_name", 1, 0, -1, &cookie),
	    0);
	T_ASSERT(cookie != NULL);
	T_EQ(rumpuser_thread_join(cookie), 0);
	T_EQ(t_nunsched, 1);
	T_EQ(t_nsched, 1);
	T_EQ(tj.tt_value, 42);
	T_ASSERT(strcmp(tj.tt_name, "a_rather_long_t") == 0);

	T_EQ(rumpuser_thread_create(
	         thr_joinable, &td, "short", 0, 0, -1, &cookie),
	    0);
	wait_flag(&td.tt_value);
	T_ASSERT(strcmp(td.tt_name, "short") == 0);
}

/*
 * Files
 */

T_CASE(open_modes, "open: create, excl, access modes, bad bits")
{
	char path[64];
	struct stat st;
	int fd;

	umask(022);
	tmp_file(path, sizeof(path));
	unlink(path);
	T_EQ(rumpuser_open(path, RUMPUSER_OPEN_RDONLY, &fd), ENOENT);
	T_EQ(rumpuser_open(path,
	         RUMPUSER_OPEN_RDWR | RUMPUSER_OPEN_CREATE | RUMPUSER_OPEN_EXCL,
	         &fd),
	    0);
	T_OK(fstat(fd, &st));
	T_EQ(st.st_mode & 0777, 0644);
	T_ASSERT(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	T_EQ(rumpuser_close(fd), 0);
	T_EQ(rumpuser_open(path,
	         RUMPUSER_OPEN_RDWR | RUMPUSER_OPEN_CREATE | RUMPUSER_OPEN_EXCL,
	         &fd),
	    EEXIST);
	T_EQ(rumpuser_open(
	         path, RUMPUSER_OPEN_WRONLY | RUMPUSER_OPEN_CREATE, &fd),
	    0);
	T_EQ(fcntl(fd, F_GETFL) & O_ACCMODE, O_WRONLY);
	T_EQ(rumpuser_close(fd), 0);
	T_EQ(rumpuser_open(path, RUMPUSER_OPEN_ACCMODE, &fd), EINVAL);
	T_EQ(rumpuser_open(path, 0x1000, &fd), EINVAL);
	T_EQ(rumpuser_close(-1), EBADF);
	unlink(path);
}

T_CASE(fileinfo_types, "type and size of a file, a directory, /dev/null")
{
	char path[64];
	uint64_t size;
	int type, fd;

	tmp_file(path, sizeof(path));
	T_OK(fd = open(path, O_WRONLY));
	T_EQ(write(fd, "hello, world", 12), 12);
	close(fd);
	T_EQ(rumpuser_getfileinfo(path, &size, &type), 0);
	T_EQ(type, RUMPUSER_FT_REG);
	T_EQ(size, 12);
	T_EQ(rumpuser_getfileinfo(path, NULL, NULL), 0);
	unlink(path);
	T_EQ(rumpuser_getfileinfo(path, &size, &type), ENOENT);
	T_EQ(rumpuser_getfileinfo("/tmp", &size, &type), 0);
	T_EQ(type, RUMPUSER_FT_DIR);
	T_EQ(rumpuser_getfileinfo("/dev/null", &size, &type), 0);
	T_EQ(type, RUMPUSER_FT_CHR);
	T_EQ(size, 0);

	/* After init it gives the vCPU back, also when it fails. */
	boot();
	T_EQ(rumpuser_getfileinfo("/dev/null", &size, &type), 0);
	T_EQ(rumpuser_getfileinfo(path, &size, &type), ENOENT);
	T_EQ(t_nunsched, 2);
	T_EQ(t_nsched, 2);
	T_ASSERT(vcpu_held_by_me());
}

T_CASE(iov_roundtrip, "iovwrite then iovread at an offset, several vectors")
{
	char a[] = "0123456789", b[] = "abcdefghij", out[20];
	char r1[7], r2[7], r3[6];
	struct rumpuser_iovec wv[2] = {{a, 10}, {b, 10}};
	struct rumpuser_iovec rv[3] = {{r1, 7}, {r2, 7}, {r3, 6}};
	char path[64];
	size_t n;
	int fd;

	boot();
	tmp_file(path, sizeof(path));
	T_EQ(rumpuser_open(path, RUMPUSER_OPEN_RDWR, &fd), 0);
	T_EQ(t_nunsched, 1); /* open may block too */
	t_nunsched = t_nsched = 0;
	T_EQ(rumpuser_iovwrite(fd, wv, 2, 100, &n), 0);
	T_EQ(n, 20);
	T_EQ(lseek(fd, 0, SEEK_CUR), 0);
	T_EQ(rumpuser_iovread(fd, rv, 3, 100, &n), 0);
	T_EQ(n, 20);
	memcpy(out, r1, 7);
	memcpy(out + 7, r2, 7);
	memcpy(out + 14, r3, 6);
	T_ASSERT(memcmp(out, "0123456789abcdefghij", 20) == 0);
	/* Past the end: a short read is no error. */
	T_EQ(rumpuser_iovread(fd, rv, 3, 110, &n), 0);
	T_EQ(n, 10);
	T_EQ(rumpuser_iovread(fd, rv, 3, -5, &n), EINVAL);
	T_EQ(t_nunsched, 3);
	T_EQ(t_nsched, 3);
	rumpuser_close(fd);
	unlink(path);
}

T_CASE(iov_noseek, "NOSEEK reads and writes at the descriptor's position")
{
	char a[] = "hello ", b[] = "pipe", r[16];
	struct rumpuser_iovec wv[2] = {{a, 6}, {b, 4}};
	struct rumpuser_iovec rv[1] = {{r, sizeof(r)}};
	char path[64];
	size_t n;
	int p[2], fd;

	boot();
	T_OK(pipe(p));
	T_EQ(rumpuser_iovwrite(p[1], wv, 2, RUMPUSER_IOV_NOSEEK, &n), 0);
	T_EQ(n, 10);
	T_EQ(rumpuser_iovread(p[0], rv, 1, RUMPUSER_IOV_NOSEEK, &n), 0);
	T_EQ(n, 10);
	T_ASSERT(memcmp(r, "hello pipe", 10) == 0);
	/* A pipe cannot seek: with an offset it fails. */
	T_EQ(rumpuser_iovwrite(p[1], wv, 2, 0, &n), ESPIPE);

	tmp_file(path, sizeof(path));
	T_EQ(rumpuser_open(path, RUMPUSER_OPEN_RDWR, &fd), 0);
	T_EQ(rumpuser_iovwrite(fd, wv, 2, RUMPUSER_IOV_NOSEEK, &n), 0);
	T_EQ(rumpuser_iovwrite(fd, wv, 1, RUMPUSER_IOV_NOSEEK, &n), 0);
	T_EQ(lseek(fd, 0, SEEK_CUR), 16);
	T_OK(lseek(fd, 6, SEEK_SET));
	T_EQ(rumpuser_iovread(fd, rv, 1, RUMPUSER_IOV_NOSEEK, &n), 0);
	T_EQ(n, 10);
	T_ASSERT(memcmp(r, "pipehello ", 10) == 0);
	rumpuser_close(fd);
	unlink(path);
}

T_CASE(syncfd_flags,
    "syncfd flushes on WRITE, does nothing for READ, rejects junk")
{
	char path[64];
	int fd;

	boot();
	tmp_file(path, sizeof(path));
	T_EQ(rumpuser_open(path, RUMPUSER_OPEN_RDWR, &fd), 0);
	t_nunsched = 0;
	T_EQ(rumpuser_syncfd(fd, RUMPUSER_SYNCFD_READ, 0, 0), 0);
	T_EQ(t_nunsched, 0);
	T_EQ(rumpuser_syncfd(fd, RUMPUSER_SYNCFD_WRITE, 0, 0), 0);
	T_EQ(rumpuser_syncfd(
	         fd, RUMPUSER_SYNCFD_BOTH | RUMPUSER_SYNCFD_SYNC, 0, 0),
	    0);
	T_EQ(rumpuser_syncfd(
	         fd, RUMPUSER_SYNCFD_WRITE | RUMPUSER_SYNCFD_BARRIER, 0, 0),
	    0);
	T_EQ(t_nunsched, 3);
	T_EQ(rumpuser_syncfd(fd, 0x100, 0, 0), EINVAL);
	T_EQ(rumpuser_syncfd(-1, RUMPUSER_SYNCFD_WRITE, 0, 0), EBADF);
	rumpuser_close(fd);
	unlink(path);
}

/*
 * Memory
 */

T_CASE(malloc_align, "malloc honours the alignment; bad alignments EINVAL")
{
	static const int aligns[] = {0, 1, 8, 64, 4096, 65536};
	void *p;

	for (size_t i = 0; i < sizeof(aligns) / sizeof(aligns[0]); i++) {
		size_t a = aligns[i] < (int)sizeof(void *) ? sizeof(void *)
		                                           : (size_t)aligns[i];

		T_EQ(rumpuser_malloc(1000, aligns[i], &p), 0);
		T_EQ((uintptr_t)p % a, 0);
		memset(p, 0x5a, 1000);
		rumpuser_free(p, 1000);
	}
	T_EQ(rumpuser_malloc(16, 3, &p), EINVAL);
	T_EQ(rumpuser_malloc(16, -8, &p), EINVAL);
}

T_CASE(anonmmap_align, "anonmmap maps RW memory aligned to alignbit")
{
	void *p;

	T_EQ(rumpuser_anonmmap(NULL, 10000, 0, 0, &p), 0);
	memset(p, 1, 10000);
	rumpuser_unmap(p, 10000);
	T_EQ(rumpuser_anonmmap(NULL, 100000, 21, 0, &p), 0);
	T_EQ((uintptr_t)p % (1u << 21), 0);
	memset(p, 2, 100000);
	rumpuser_unmap(p, 100000);
	T_EQ(rumpuser_anonmmap(NULL, 4096, 12, 1, &p), 0);
	rumpuser_unmap(p, 4096);
	T_EQ(rumpuser_anonmmap(NULL, 4096, 99, 0, &p), EINVAL);
}

/*
 * errno, signals, exit, console, randomness, daemonizing, sysproxy
 */

T_CASE(seterrno_sets, "seterrno sets the caller's errno")
{
	rumpuser_seterrno(ENOSPC);
	T_EQ(errno, ENOSPC);
}

static volatile sig_atomic_t got_usr1;

static void
on_usr1(int sig)
{
	(void)sig;
	got_usr1++;
}

T_CASE(kill_self, "kill raises the signal in our own process")
{
	signal(SIGUSR1, on_usr1);
	T_EQ(rumpuser_kill(RUMPUSER_PID_SELF, SIGUSR1), 0);
	T_EQ(got_usr1, 1);
	T_EQ(rumpuser_kill(getpid(), SIGUSR1), 0);
	T_EQ(got_usr1, 2);
	T_EQ(rumpuser_kill(RUMPUSER_PID_SELF, 12345), EINVAL);
}

T_CASE(exit_panic, "exit(PANIC) says so and aborts; exit(n) exits n")
{
	char msg[256];
	int status;
	pid_t pid;

	capture_begin();
	T_OK(pid = fork());
	if (pid == 0)
		rumpuser_exit(RUMPUSER_PANIC);
	T_OK(waitpid(pid, &status, 0));
	capture_end(msg, sizeof(msg));
	T_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
	T_ASSERT(strstr(msg, "rump kernel halted (panic)") != NULL);

	T_OK(pid = fork());
	if (pid == 0)
		rumpuser_exit(3);
	T_OK(waitpid(pid, &status, 0));
	T_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 3);
}

T_CASE(console_lines, "putchar writes whole lines to stderr; dprintf formats")
{
	const char *s = "kernel says hi\n";
	char msg[256];

	capture_begin();
	for (const char *p = s; *p != '\0'; p++)
		rumpuser_putchar(*p);
	rumpuser_dprintf("%s=%d\n", "x", 5);
	rumpuser_putchar('n');
	rumpuser_putchar('o');
	capture_end(msg, sizeof(msg));
	T_ASSERT(strcmp(msg, "kernel says hi\nx=5\n") == 0);
}

T_CASE(random_bytes,
    "getrandom returns bytes, waits without the vCPU unless NOWAIT")
{
	unsigned char buf[64], zero[64] = {0};
	size_t n;

	boot();
	T_EQ(rumpuser_getrandom(buf, sizeof(buf), 0, &n), 0);
	T_ASSERT(n > 0 && n <= sizeof(buf));
	T_EQ(t_nunsched, 1);
	T_EQ(rumpuser_getrandom(buf, sizeof(buf), RUMPUSER_RANDOM_NOWAIT, &n),
	    0);
	T_ASSERT(n > 0);
	T_EQ(t_nunsched, 1);
	T_ASSERT(memcmp(buf, zero, n) != 0);
	T_EQ(rumpuser_getrandom(buf, sizeof(buf), 0x80, &n), EINVAL);
}

/* In the daemon: begin again must say EINPROGRESS; report with result. */
static void __attribute__((noreturn)) daemon_child(int result)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		int error = rumpuser_daemonize_begin();

		/* Only the daemon returns here; the parent exits in begin. */
		if (error != 0)
			_exit(100);
		if (getsid(0) != getpid())
			result = 101;
		if (rumpuser_daemonize_begin() != EINPROGRESS)
			result = 102;
		if (rumpuser_daemonize_done(result) != 0)
			_exit(103);
		if (rumpuser_daemonize_done(0) != ENOENT)
			_exit(104);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 200);
}

T_CASE(daemonize_status, "the parent exits with the status the daemon reports")
{
	int status;
	pid_t pid;

	T_EQ(rumpuser_daemonize_done(0), ENOENT);
	T_OK(pid = fork());
	if (pid == 0)
		daemon_child(0);
	T_OK(waitpid(pid, &status, 0));
	T_ASSERT(WIFEXITED(status));
	T_EQ(WEXITSTATUS(status), 0);

	T_OK(pid = fork());
	if (pid == 0)
		daemon_child(EIO);
	T_OK(waitpid(pid, &status, 0));
	T_ASSERT(WIFEXITED(status));
	T_EQ(WEXITSTATUS(status), EIO);
}

T_CASE(sysproxy_stubs,
    "sysproxy hypercalls outside a client's request "
    "refuse (tests/sysproxy has the rest)")
{
	char buf[8];
	size_t len = sizeof(buf);
	void *p;

	T_EQ(rumpuser_sp_init("bogus://x", "Linux", "6", "x86_64"), EINVAL);
	T_EQ(rumpuser_sp_copyin(NULL, buf, buf, 1), EFAULT);
	T_EQ(rumpuser_sp_copyinstr(NULL, buf, buf, &len), EFAULT);
	T_EQ(rumpuser_sp_copyout(NULL, buf, buf, 1), EFAULT);
	T_EQ(rumpuser_sp_copyoutstr(NULL, "x", buf, &len), EFAULT);
	T_EQ(rumpuser_sp_anonmmap(NULL, 4096, &p), EFAULT);
	T_EQ(rumpuser_sp_raise(NULL, SIGINT), ESRCH);
	rumpuser_sp_fini(NULL);
}
