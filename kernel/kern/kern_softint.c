/*
 * kern_softint.c — softints and workqueues: deferred work run on kernel
 * threads.
 *
 * A softint is a function to run soon, once per softint_schedule() that
 * finds it idle (scheduling a pending softint again does nothing).  One
 * softint thread per virtual CPU takes them from a shared queue; the
 * threads start with the first softint scheduled.  A
 * workqueue has a thread of its own and runs its work items in order.
 *
 * Locks: softint_lock guards the softint queue and every si_flags;
 * wq_lock of each workqueue guards its queue and counters.
 */
#include "proc.h"

#define SI_PENDING 0x01
#define SI_RUNNING 0x02
#define SI_DEAD    0x04

struct softint {
	void (*si_fn)(void *);
	void *si_arg;
	int si_flags;
	struct softint *si_next;
};

static kmutex_t softint_lock;
static kcondvar_t softint_cv;
static kcondvar_t softint_done_cv;
static struct softint *softint_head, **softint_tail = &softint_head;
static bool softint_exiting;
static struct lwp **softint_lwps;
static int softint_nthreads;
static kmutex_t softint_start_lock; /* before softint_lock */
static bool softint_started;        /* [a] */

static void softint_thread(void *);

static void
softint_start(void)
{
	mutex_enter(&softint_start_lock);
	for (int i = softint_nthreads; !softint_started && i < ncpu; i++) {
		char name[16];

		snprintf(name, sizeof(name), "softint%d", i);
		if (kthread_create(softint_thread, NULL, name, KTHREAD_MUSTJOIN,
		        &softint_lwps[i]) != 0)
			panic("softint_start: cannot start %s", name);
		softint_nthreads++;
	}
	atomic_store_release(&softint_started, true);
	mutex_exit(&softint_start_lock);
}

struct softint *
softint_establish(void (*fn)(void *), void *arg)
{
	struct softint *si = kmem_zalloc(sizeof(*si), KM_SLEEP);

	if (si != NULL) {
		si->si_fn = fn;
		si->si_arg = arg;
	}
	return si;
}

void
softint_schedule(struct softint *si)
{
	if (__predict_false(!atomic_load_acquire(&softint_started)))
		softint_start();
	mutex_enter(&softint_lock);
	if (!(si->si_flags & (SI_PENDING | SI_DEAD))) {
		si->si_flags |= SI_PENDING;
		si->si_next = NULL;
		*softint_tail = si;
		softint_tail = &si->si_next;
		cv_signal(&softint_cv);
	}
	mutex_exit(&softint_lock);
}

/* Takes si off the queue, waits for a running call, then frees it. */
void
softint_disestablish(struct softint *si)
{
	mutex_enter(&softint_lock);
	si->si_flags |= SI_DEAD;
	if (si->si_flags & SI_PENDING) {
		struct softint **pp = &softint_head;

		while (*pp != si)
			pp = &(*pp)->si_next;
		*pp = si->si_next;
		if (softint_tail == &si->si_next)
			softint_tail = pp;
		si->si_flags &= ~SI_PENDING;
	}
	while (si->si_flags & SI_RUNNING)
		cv_wait(&softint_done_cv, &softint_lock);
	mutex_exit(&softint_lock);
	kmem_free(si, sizeof(*si));
}

static void
softint_thread(void *arg __unused)
{
	mutex_enter(&softint_lock);
	for (;;) {
		struct softint *si = softint_head;

		if (si == NULL) {
			if (softint_exiting)
				break;
			cv_wait(&softint_cv, &softint_lock);
			continue;
		}
		if ((softint_head = si->si_next) == NULL)
			softint_tail = &softint_head;
		si->si_flags = (si->si_flags & ~SI_PENDING) | SI_RUNNING;
		mutex_exit(&softint_lock);
		si->si_fn(si->si_arg);
		mutex_enter(&softint_lock);
		si->si_flags &= ~SI_RUNNING;
		cv_broadcast(&softint_done_cv);
	}
	mutex_exit(&softint_lock);
}

void softint_startup(void);
void
softint_startup(void)
{
	mutex_init(&softint_lock, MUTEX_DEFAULT);
	mutex_init(&softint_start_lock, MUTEX_DEFAULT);
	cv_init(&softint_cv);
	cv_init(&softint_done_cv);
	softint_lwps =
	    kmem_zalloc(sizeof(struct lwp *) * (size_t)ncpu, KM_SLEEP);
	if (softint_lwps == NULL)
		panic("softint_startup: no memory");
}

/* Runs what is queued, then stops the softint threads. */
void softint_shutdown(void);
void
softint_shutdown(void)
{
	mutex_enter(&softint_start_lock);
	mutex_enter(&softint_lock);
	softint_exiting = true;
	cv_broadcast(&softint_cv);
	mutex_exit(&softint_lock);
	for (int i = 0; i < softint_nthreads; i++)
		(void)kthread_join(softint_lwps[i]);
	softint_started = true; /* no new threads after halt */
	mutex_exit(&softint_start_lock);
	kmem_free(softint_lwps, sizeof(struct lwp *) * (size_t)ncpu);
}

struct workqueue {
	kmutex_t wq_lock;
	kcondvar_t wq_cv;      /* the thread waits for work */
	kcondvar_t wq_done_cv; /* workqueue_wait waits for progress */
	struct work *wq_head, **wq_tail;
	uint64_t wq_enqueued, wq_done;
	bool wq_exiting;
	void (*wq_fn)(struct work *, void *);
	void *wq_arg;
	struct lwp *wq_lwp;
};

static void
workqueue_thread(void *arg)
{
	struct workqueue *wq = arg;

	mutex_enter(&wq->wq_lock);
	for (;;) {
		struct work *wk = wq->wq_head;

		if (wk == NULL) {
			if (wq->wq_exiting)
				break;
			cv_wait(&wq->wq_cv, &wq->wq_lock);
			continue;
		}
		if ((wq->wq_head = wk->wk_next) == NULL)
			wq->wq_tail = &wq->wq_head;
		mutex_exit(&wq->wq_lock);
		wq->wq_fn(wk, wq->wq_arg);
		mutex_enter(&wq->wq_lock);
		wq->wq_done++;
		cv_broadcast(&wq->wq_done_cv);
	}
	mutex_exit(&wq->wq_lock);
}

int
workqueue_create(struct workqueue **wqp, const char *name,
    void (*fn)(struct work *, void *), void *arg)
{
	struct workqueue *wq = kmem_zalloc(sizeof(*wq), KM_SLEEP);
	int error;

	if (wq == NULL)
		return ENOMEM;
	mutex_init(&wq->wq_lock, MUTEX_DEFAULT);
	cv_init(&wq->wq_cv);
	cv_init(&wq->wq_done_cv);
	wq->wq_tail = &wq->wq_head;
	wq->wq_fn = fn;
	wq->wq_arg = arg;
	error = kthread_create(
	    workqueue_thread, wq, name, KTHREAD_MUSTJOIN, &wq->wq_lwp);
	if (error) {
		cv_destroy(&wq->wq_done_cv);
		cv_destroy(&wq->wq_cv);
		mutex_destroy(&wq->wq_lock);
		kmem_free(wq, sizeof(*wq));
		return error;
	}
	*wqp = wq;
	return 0;
}

void
workqueue_enqueue(struct workqueue *wq, struct work *wk)
{
	mutex_enter(&wq->wq_lock);
	KASSERT(!wq->wq_exiting);
	wk->wk_next = NULL;
	*wq->wq_tail = wk;
	wq->wq_tail = &wk->wk_next;
	wq->wq_enqueued++;
	cv_signal(&wq->wq_cv);
	mutex_exit(&wq->wq_lock);
}

void
workqueue_wait(struct workqueue *wq)
{
	mutex_enter(&wq->wq_lock);
	uint64_t target = wq->wq_enqueued;
	while (wq->wq_done < target)
		cv_wait(&wq->wq_done_cv, &wq->wq_lock);
	mutex_exit(&wq->wq_lock);
}

/* Runs the work already queued, then stops the thread and frees wq. */
void
workqueue_destroy(struct workqueue *wq)
{
	mutex_enter(&wq->wq_lock);
	wq->wq_exiting = true;
	cv_signal(&wq->wq_cv);
	mutex_exit(&wq->wq_lock);
	(void)kthread_join(wq->wq_lwp);
	cv_destroy(&wq->wq_done_cv);
	cv_destroy(&wq->wq_cv);
	mutex_destroy(&wq->wq_lock);
	kmem_free(wq, sizeof(*wq));
}
