/*
 * kern_callout.c — callouts on a timer wheel, run by one clock thread.
 *
 * The wheel has CALLOUT_NWHEEL buckets of CALLOUT_TICK nanoseconds; a
 * callout hangs in the bucket of its deadline's tick, whatever the round.
 * The clock thread sleeps until the earliest deadline (no periodic tick
 * when nothing is pending), then runs every callout whose deadline has
 * passed, in deadline order, without holding the callout lock.
 *
 * The clock thread starts with the first callout scheduled, so a kernel
 * that never needs one boots without it.
 *
 * Lock: callout_lock guards every callout's c_flags and c_entry, the
 * wheel, and the clock thread's state; clock_start_lock serialises the
 * start of the thread (taken before callout_lock, never inside it).
 */
#include "proc.h"

#define CALLOUT_TICK   1000000ULL /* 1 ms */
#define CALLOUT_NWHEEL 512
#define C_PENDING      0x01
#define C_RUNNING      0x02
#define C_DUE          0x04 /* taken off the wheel, about to run */

static kmutex_t callout_lock;
static kcondvar_t callout_cv;      /* the clock thread sleeps here */
static kcondvar_t callout_done_cv; /* callout_halt waits here */
static LIST_HEAD(, callout) wheel[CALLOUT_NWHEEL];
static int callout_npending;
static uint64_t callout_next; /* earliest pending deadline, or ~0 */
static bool callout_exiting;
static struct lwp *clock_lwp;
static kmutex_t clock_start_lock;
static bool clock_started; /* [a] */

static void clock_thread(void *);
/*
 * Callouts taken off the wheel to run, in deadline order [callout_lock].
 * Rescheduling or stopping one takes it off again, so it neither runs
 * early nor runs after its owner has let it go.
 */
static struct callout *callout_due;

static void
callout_undue(struct callout *c)
{
	struct callout **pp;

	for (pp = &callout_due; *pp != NULL; pp = &(*pp)->c_duenext)
		if (*pp == c) {
			*pp = c->c_duenext;
			break;
		}
	c->c_duenext = NULL;
	c->c_flags &= ~C_DUE;
}

static void
clock_start(void)
{
	int error;

	mutex_enter(&clock_start_lock);
	if (!clock_started) {
		error = kthread_create(
		    clock_thread, NULL, "clock", KTHREAD_MUSTJOIN, &clock_lwp);
		if (error)
			panic("clock_start: cannot start the clock thread: %d",
			    error);
		atomic_store_release(&clock_started, true);
	}
	mutex_exit(&clock_start_lock);
}

static inline unsigned
tick_bucket(uint64_t tick)
{
	return (unsigned)(tick % CALLOUT_NWHEEL);
}

void
callout_init(struct callout *c, void (*fn)(void *), void *arg)
{
	memset(c, 0, sizeof(*c));
	c->c_fn = fn;
	c->c_arg = arg;
}

void
callout_schedule_at(struct callout *c, uint64_t deadline)
{
	if (__predict_false(!atomic_load_acquire(&clock_started)))
		clock_start();
	mutex_enter(&callout_lock);
	if (c->c_flags & C_PENDING) {
		LIST_REMOVE(c, c_entry);
		callout_npending--;
	}
	if (c->c_flags & C_DUE)
		callout_undue(c);
	c->c_deadline = deadline;
	c->c_flags |= C_PENDING;
	LIST_INSERT_HEAD(
	    &wheel[tick_bucket(deadline / CALLOUT_TICK)], c, c_entry);
	callout_npending++;
	if (deadline < callout_next) {
		callout_next = deadline;
		cv_signal(&callout_cv);
	}
	mutex_exit(&callout_lock);
}

void
callout_schedule_ns(struct callout *c, uint64_t delta)
{
	callout_schedule_at(c, getnanouptime() + delta);
}

/* Takes a pending callout off the wheel; true if it was pending. */
bool
callout_stop(struct callout *c)
{
	bool was;

	mutex_enter(&callout_lock);
	was = (c->c_flags & (C_PENDING | C_DUE)) != 0;
	if (c->c_flags & C_PENDING) {
		LIST_REMOVE(c, c_entry);
		callout_npending--;
		c->c_flags &= ~C_PENDING;
	}
	if (c->c_flags & C_DUE)
		callout_undue(c);
	mutex_exit(&callout_lock);
	return was;
}

/* Stops c and waits until a call in progress has returned. */
bool
callout_halt(struct callout *c)
{
	bool was = callout_stop(c);

	/* clock_lwp is set before clock_started (release), and only read
	 * after it: the clock thread may be starting in another thread. */
	KASSERTMSG(!atomic_load_acquire(&clock_started) || curlwp != clock_lwp,
	    "callout_halt: called from a callout (would wait for itself)");
	mutex_enter(&callout_lock);
	while (c->c_flags & C_RUNNING)
		cv_wait(&callout_done_cv, &callout_lock);
	mutex_exit(&callout_lock);
	return was;
}

bool
callout_pending(struct callout *c)
{
	bool p;

	mutex_enter(&callout_lock);
	p = (c->c_flags & (C_PENDING | C_DUE)) != 0;
	mutex_exit(&callout_lock);
	return p;
}

void
callout_destroy(struct callout *c)
{
	KASSERTMSG(!(c->c_flags & (C_PENDING | C_RUNNING)),
	    "callout_destroy: callout %p still pending or running", c);
}

/*
 * The earliest pending deadline.  A full walk of the pending callouts: the
 * clock thread does it once per pass, not per callout.
 */
static uint64_t
callout_earliest(void)
{
	uint64_t best = UINT64_MAX;
	struct callout *c;

	if (callout_npending == 0)
		return UINT64_MAX;
	for (unsigned i = 0; i < CALLOUT_NWHEEL; i++)
		LIST_FOREACH (c, &wheel[i], c_entry)
			if (c->c_deadline < best)
				best = c->c_deadline;
	return best;
}

/* Moves the callouts due at `now` from bucket b onto *due, sorted. */
static void
callout_collect(unsigned b, uint64_t now)
{
	struct callout *c, *next;

	for (c = LIST_FIRST(&wheel[b]); c != NULL; c = next) {
		next = LIST_NEXT(c, c_entry);
		if (c->c_deadline > now)
			continue;
		LIST_REMOVE(c, c_entry);
		callout_npending--;
		c->c_flags &= ~C_PENDING;
		c->c_flags |= C_DUE;
		/* Insertion into the due list, by deadline. */
		struct callout **pp = &callout_due;
		while (*pp != NULL && (*pp)->c_deadline <= c->c_deadline)
			pp = &(*pp)->c_duenext;
		c->c_duenext = *pp;
		*pp = c;
	}
}

static void
clock_thread(void *arg __unused)
{
	mutex_enter(&callout_lock);
	while (!callout_exiting) {
		uint64_t now = getnanouptime();
		uint64_t tick = now / CALLOUT_TICK;
		struct callout *c;

		if (callout_next > now) {
			if (callout_next == UINT64_MAX)
				cv_wait(&callout_cv, &callout_lock);
			else
				(void)cv_timedwait(&callout_cv, &callout_lock,
				    callout_next - now);
			continue;
		}
		/*
		 * Every due callout has a deadline between callout_next (never
		 * above the earliest) and now: visit the buckets of those
		 * ticks, all of them if that is a round or more.
		 */
		uint64_t from = callout_next / CALLOUT_TICK;
		if (tick - from + 1 >= CALLOUT_NWHEEL) {
			for (unsigned b = 0; b < CALLOUT_NWHEEL; b++)
				callout_collect(b, now);
		} else {
			for (uint64_t t = from; t <= tick; t++)
				callout_collect(tick_bucket(t), now);
		}
		while ((c = callout_due) != NULL) {
			callout_due = c->c_duenext;
			c->c_duenext = NULL;
			c->c_flags = (c->c_flags & ~C_DUE) | C_RUNNING;
			mutex_exit(&callout_lock);
			c->c_fn(c->c_arg);
			mutex_enter(&callout_lock);
			c->c_flags &= ~C_RUNNING;
			cv_broadcast(&callout_done_cv);
		}
		callout_next = callout_earliest();
	}
	mutex_exit(&callout_lock);
}

void callout_startup(void);
void
callout_startup(void)
{
	mutex_init(&callout_lock, MUTEX_DEFAULT);
	mutex_init(&clock_start_lock, MUTEX_DEFAULT);
	cv_init(&callout_cv);
	cv_init(&callout_done_cv);
	callout_next = UINT64_MAX;
}

void callout_shutdown(void);
void
callout_shutdown(void)
{
	mutex_enter(&clock_start_lock);
	mutex_enter(&callout_lock);
	callout_exiting = true;
	cv_signal(&callout_cv);
	mutex_exit(&callout_lock);
	if (clock_started)
		(void)kthread_join(clock_lwp);
	clock_started = true; /* no new thread after halt */
	mutex_exit(&clock_start_lock);
}
