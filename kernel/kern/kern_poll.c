/*
 * kern_poll.c — waiting for files to become ready: selinfo records and
 * notifications (proc.h), and the poll, ppoll, select and pselect6 system
 * calls with their hand-written rump_sys_ppoll and rump_sys_pselect6
 * stubs.
 *
 * A poll call keeps a context on its stack: a mutex, a condition variable,
 * a "fired" flag and an array of entries.  While it scans the descriptors,
 * each file's fo_poll that finds nothing ready calls selrecord(), which
 * links one entry of the calling lwp's context into the file's selinfo.
 * When the file changes state it calls selnotify(), which sets the flag of
 * every context recorded there and signals it.  The poller sleeps until
 * its flag is set or its time runs out, unlinks all its entries and scans
 * again.  Nothing is lost between a scan and the sleep: the flag is
 * cleared before the scan, and a file tests its state and records under
 * the lock under which that state changes.  When a call is done, its
 * entries are unlinked; a selinfo that goes away first (seldestroy) wakes
 * and unlinks whoever is recorded on it.
 *
 * selrecord finds the context of the calling lwp in a small hash table.
 * There is no signal delivery inside the kernel yet: ppoll's and
 * pselect6's signal masks are checked and copied in as Linux does, and
 * otherwise ignored; no wait ends with EINTR.
 */
#include "syscall.h"

#include "rump/rump_syscalls.h" /* the stubs' prototypes */

/*
 * [s] sel_lock  [x] sc_lock  [I] immutable while the call runs
 * Lock order: a file's own lock (e.g. pipe_lock) → sel_lock → sc_lock.
 */
struct selctx;
struct selent {
	struct selctx *se_ctx; /* [I] */
	struct selinfo *se_si; /* [s] NULL when not linked */
	void *se_next;         /* [s] next entry on se_si */
	void **se_prev;        /* [s] the pointer to this entry */
};

struct selctx {
	kmutex_t sc_lock;
	kcondvar_t sc_cv;
	bool sc_fired;           /* [x] a recorded selinfo was notified */
	struct lwp *sc_lwp;      /* [I] the polling lwp */
	struct selctx *sc_hnext; /* [s] in sel_hash */
	bool sc_record;          /* [s] selrecord links entries */
	bool sc_overflow;        /* [s] a record found no free entry */
	struct selent *sc_ents;  /* [I] */
	int sc_nents;            /* [I] */
	int sc_used;             /* [s] entries handed out */
};

#define SEL_HASH 64
static kmutex_t sel_lock;
static struct selctx *sel_hash[SEL_HASH]; /* [s] contexts by lwp */

#define SEL_BUCKET(l) (((uintptr_t)(l) >> 7) % SEL_HASH)
/* With more records than entries, wakeups may be missed: rescan this often. */
#define SEL_OVERFLOW_NS (10 * 1000 * 1000ULL)
#define NS              1000000000ULL

RUMP_COMPONENT(RUMP_COMPONENT_KERN)
{
	mutex_init(&sel_lock, MUTEX_DEFAULT);
}

/* Unlinks se from its selinfo.  Holds sel_lock. */
static void
selent_unlink(struct selent *se)
{
	KASSERT(mutex_owned(&sel_lock));
	if (se->se_si == NULL)
		return;
	if (se->se_next != NULL)
		((struct selent *)se->se_next)->se_prev = se->se_prev;
	atomic_store_release(se->se_prev, se->se_next);
	se->se_si = NULL;
}

static void
selctx_wake(struct selctx *sc)
{
	mutex_enter(&sc->sc_lock);
	sc->sc_fired = true;
	cv_signal(&sc->sc_cv);
	mutex_exit(&sc->sc_lock);
}

void
selrecord(struct selinfo *sip)
{
	struct lwp *l = curlwp;
	struct selctx *sc;
	struct selent *se;

	mutex_enter(&sel_lock);
	for (sc = sel_hash[SEL_BUCKET(l)]; sc != NULL; sc = sc->sc_hnext)
		if (sc->sc_lwp == l)
			break;
	if (sc == NULL || !sc->sc_record)
		goto out; /* not in a poll call, or it needs no wakeup */
	for (se = sip->si_waiters; se != NULL; se = se->se_next)
		if (se->se_ctx == sc)
			goto out; /* recorded here already */
	if (sc->sc_used == sc->sc_nents) {
		sc->sc_overflow = true;
		goto out;
	}
	se = &sc->sc_ents[sc->sc_used++];
	se->se_si = sip;
	se->se_next = sip->si_waiters;
	if (se->se_next != NULL)
		((struct selent *)se->se_next)->se_prev = &se->se_next;
	se->se_prev = &sip->si_waiters;
	atomic_store_release(&sip->si_waiters, (void *)se);
out:
	mutex_exit(&sel_lock);
}

/*
 * Wakes every poller recorded on sip; they scan again and see for
 * themselves what is ready, so events only documents the cause.
 */
void
selnotify(struct selinfo *sip, int events __unused)
{
	struct selent *se;

	if (atomic_load_acquire(&sip->si_waiters) == NULL)
		return;
	mutex_enter(&sel_lock);
	for (se = sip->si_waiters; se != NULL; se = se->se_next)
		selctx_wake(se->se_ctx);
	mutex_exit(&sel_lock);
}

/* The object of sip goes away: its pollers are woken and unlinked. */
void
seldestroy(struct selinfo *sip)
{
	struct selent *se;

	if (atomic_load_acquire(&sip->si_waiters) == NULL)
		return;
	mutex_enter(&sel_lock);
	while ((se = sip->si_waiters) != NULL) {
		selctx_wake(se->se_ctx);
		selent_unlink(se);
	}
	mutex_exit(&sel_lock);
}

static void
selctx_init(struct selctx *sc, struct selent *ents, int nents)
{
	struct lwp *l = curlwp;
	unsigned b = SEL_BUCKET(l);

	mutex_init(&sc->sc_lock, MUTEX_DEFAULT);
	cv_init(&sc->sc_cv);
	sc->sc_fired = false;
	sc->sc_lwp = l;
	sc->sc_record = false;
	sc->sc_overflow = false;
	sc->sc_ents = ents;
	sc->sc_nents = nents;
	sc->sc_used = 0;
	for (int i = 0; i < nents; i++) {
		ents[i].se_ctx = sc;
		ents[i].se_si = NULL;
	}
	mutex_enter(&sel_lock);
	sc->sc_hnext = sel_hash[b];
	sel_hash[b] = sc;
	mutex_exit(&sel_lock);
}

/* Unlinks every entry of sc; returns whether some record overflowed. */
static bool
selctx_clear(struct selctx *sc)
{
	bool overflow;

	mutex_enter(&sel_lock);
	for (int i = 0; i < sc->sc_used; i++)
		selent_unlink(&sc->sc_ents[i]);
	sc->sc_used = 0;
	overflow = sc->sc_overflow;
	sc->sc_overflow = false;
	mutex_exit(&sel_lock);
	return overflow;
}

static void
selctx_fini(struct selctx *sc)
{
	struct selctx **scp;

	(void)selctx_clear(sc);
	mutex_enter(&sel_lock);
	for (scp = &sel_hash[SEL_BUCKET(sc->sc_lwp)]; *scp != sc;
	     scp = &(*scp)->sc_hnext)
		KASSERT(*scp != NULL);
	*scp = sc->sc_hnext;
	mutex_exit(&sel_lock);
	cv_destroy(&sc->sc_cv);
	mutex_destroy(&sc->sc_lock);
}

/* Whether fo_poll calls from now on record (scans that may sleep). */
static void
selctx_record(struct selctx *sc, bool on)
{
	mutex_enter(&sel_lock);
	sc->sc_record = on;
	mutex_exit(&sel_lock);
}

/* The ready events of fp among events (POLLERR and POLLHUP always). */
static int
file_poll(struct file *fp, int events)
{
	events |= POLLERR | POLLHUP;
	if (fp->f_ops->fo_poll == NULL) /* as Linux: always ready */
		return (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM) & events;
	return fp->f_ops->fo_poll(fp, events) & events;
}

/*
 * One scan over what a call waits for: fills in the results, sets *nready
 * and returns 0, or returns an errno that ends the call.
 */
typedef int (*selscan_t)(struct selctx *sc, void *arg, int *nready);

/*
 * Scans until something is ready or the time runs out.  timo: -1 waits
 * forever, 0 scans once, else the nanoseconds to wait at most; a timeout
 * is followed by one last scan, as Linux does.  *endp gets the monotonic
 * deadline (timo > 0 only).
 */
static int
sel_run(struct selctx *sc, int64_t timo, selscan_t scan, void *arg, int *nready,
    uint64_t *endp)
{
	uint64_t deadline = 0, now, wait;
	bool timedout = false, overflow;
	int error;

	if (timo > 0) {
		deadline = getnanouptime() + (uint64_t)timo;
		*endp = deadline;
	}
	for (;;) {
		mutex_enter(&sc->sc_lock);
		sc->sc_fired = false;
		mutex_exit(&sc->sc_lock);
		selctx_record(sc, timo != 0 && !timedout);
		error = scan(sc, arg, nready);
		if (error || *nready > 0 || timo == 0 || timedout)
			break;
		/*
		 * With an overflowed record some file may never wake us:
		 * sleep in short steps.  The flag is read before the entries
		 * go, so a record that overflowed in this scan counts.
		 */
		mutex_enter(&sel_lock);
		overflow = sc->sc_overflow;
		mutex_exit(&sel_lock);
		mutex_enter(&sc->sc_lock);
		while (!sc->sc_fired) {
			if (timo < 0 && !overflow) {
				cv_wait(&sc->sc_cv, &sc->sc_lock);
				continue;
			}
			wait = SEL_OVERFLOW_NS;
			if (timo > 0) {
				now = getnanouptime();
				if (now >= deadline) {
					timedout = true;
					break;
				}
				wait = overflow ? MIN(wait, deadline - now)
				                : deadline - now;
			}
			(void)cv_timedwait(&sc->sc_cv, &sc->sc_lock, wait);
			if (overflow)
				break;
		}
		mutex_exit(&sc->sc_lock);
		(void)selctx_clear(sc);
	}
	return error;
}

/* A timespec timeout in ns, Linux's checks: negative or bad is EINVAL. */
static int
timo_from_ts(const struct timespec *ts, int64_t *timo)
{
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= (long)NS)
		return EINVAL;
	if ((uint64_t)ts->tv_sec >= (uint64_t)INT64_MAX / NS - 1)
		*timo = -1; /* centuries: forever */
	else
		*timo = (int64_t)((uint64_t)ts->tv_sec * NS +
		    (uint64_t)ts->tv_nsec);
	return 0;
}

/* The time left until monotonic deadline end, never negative. */
static void
timo_left(uint64_t end, struct timespec *ts)
{
	uint64_t now = getnanouptime(), left = now < end ? end - now : 0;

	ts->tv_sec = (time_t)(left / NS);
	ts->tv_nsec = (long)(left % NS);
}

/*
 * Copies the caller's signal mask in, checking it as Linux does, and
 * drops it: there is no signal delivery inside the kernel to mask yet.
 */
static int
sigmask_check(const void *umask, size_t size)
{
	sigset_t ss;

	if (umask == NULL)
		return 0;
	if (size != sizeof(sigset_t))
		return EINVAL;
	return copyin(umask, &ss, sizeof(ss));
}

/* poll */

static int
poll_scan(struct selctx *sc, void *arg, int *nready)
{
	struct {
		struct pollfd *fds;
		nfds_t nfds;
	} *pa = arg;
	struct file *fp;
	int n = 0;

	for (nfds_t i = 0; i < pa->nfds; i++) {
		struct pollfd *pfd = &pa->fds[i];

		pfd->revents = 0;
		if (pfd->fd < 0)
			continue;
		if (fd_getfile(pfd->fd, &fp) != 0) {
			pfd->revents = POLLNVAL;
		} else {
			pfd->revents =
			    (short)file_poll(fp, (unsigned short)pfd->events);
			(void)file_release(fp);
		}
		if (pfd->revents != 0 && n++ == 0)
			selctx_record(sc, false); /* no sleep ahead now */
	}
	*nready = n;
	return 0;
}

#define POLL_STACK 32

/* The common part of poll and ppoll. */
static int
dopoll(struct pollfd *ufds, nfds_t nfds, int64_t timo, uint64_t *endp,
    register_t *retval)
{
	struct pollfd sfds[POLL_STACK], *fds = sfds;
	struct selent sents[2 * POLL_STACK], *ents = sents;
	size_t nents = 2 * POLL_STACK;
	struct proc *p = curproc;
	struct selctx sc;
	rlim_t lim;
	int error, n = 0;
	struct {
		struct pollfd *fds;
		nfds_t nfds;
	} pa;

	mutex_enter(&p->p_lock);
	lim = p->p_rlimit[RLIMIT_NOFILE].rlim_cur;
	mutex_exit(&p->p_lock);
	if (nfds > lim || nfds > 1048576)
		return EINVAL;
	if (nfds > POLL_STACK) {
		nents = 2 * nfds;
		fds = kmem_alloc(sizeof(*fds) * nfds, KM_SLEEP);
		ents = kmem_alloc(sizeof(*ents) * nents, KM_SLEEP);
		if (fds == NULL || ents == NULL) {
			error = ENOMEM;
			goto out;
		}
	}
	if ((error = copyin(ufds, fds, sizeof(*fds) * nfds)) != 0)
		goto out;
	pa.fds = fds;
	pa.nfds = nfds;
	selctx_init(&sc, ents, (int)nents);
	error = sel_run(&sc, timo, poll_scan, &pa, &n, endp);
	selctx_fini(&sc);
	if (error == 0)
		error = copyout(fds, ufds, sizeof(*fds) * nfds);
	if (error == 0)
		*retval = n;
out:
	if (fds != sfds && fds != NULL)
		kmem_free(fds, sizeof(*fds) * nfds);
	if (ents != sents && ents != NULL)
		kmem_free(ents, sizeof(*ents) * nents);
	return error;
}

int
sys_poll(struct lwp *l __unused, const void *v, register_t *retval)
{
	SYSCALL_ARGS(poll);
	int timeout = SCARG(uap, timeout);
	uint64_t end;

	return dopoll(SCARG(uap, fds), SCARG(uap, nfds),
	    timeout < 0 ? -1 : (int64_t)timeout * 1000000, &end, retval);
}

/*
 * ppoll: the timeout is a timespec, and what is left of it is written
 * back (Linux's raw call does; a failure to write it is ignored).
 */
int
sys_ppoll(struct lwp *l __unused, const void *v, register_t *retval)
{
	SYSCALL_ARGS(ppoll);
	struct timespec *utmo = (void *)(uintptr_t)SCARG(uap, tmo), ts;
	int64_t timo = -1;
	uint64_t end = 0;
	int error;

	if (utmo != NULL) {
		if ((error = copyin(utmo, &ts, sizeof(ts))) != 0)
			return error;
		if ((error = timo_from_ts(&ts, &timo)) != 0)
			return error;
	}
	if ((error = sigmask_check(
	         SCARG(uap, sigmask), SCARG(uap, sigsetsize))) != 0)
		return error;
	error = dopoll(SCARG(uap, fds), SCARG(uap, nfds), timo, &end, retval);
	if (utmo != NULL && timo > 0) {
		timo_left(end, &ts);
		(void)copyout(&ts, utmo, sizeof(ts));
	}
	return error;
}

/* select */

#define NFDBITS (8 * sizeof(unsigned long))
#define SEL_IN  (POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR)
#define SEL_OUT (POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR)
#define SEL_EX  (POLLPRI)

struct selargs {
	int sa_nfds;
	unsigned long sa_in[3][FD_SETSIZE / NFDBITS]; /* read, write, except */
	unsigned long sa_out[3][FD_SETSIZE / NFDBITS];
};

static int
select_scan(struct selctx *sc, void *arg, int *nready)
{
	static const int sel_events[3] = {SEL_IN, SEL_OUT, SEL_EX};
	struct selargs *sa = arg;
	struct file *fp;
	int n = 0, mask;

	memset(sa->sa_out, 0, sizeof(sa->sa_out));
	for (int fd = 0; fd < sa->sa_nfds; fd++) {
		unsigned w = (unsigned)fd / NFDBITS;
		unsigned long bit = 1UL << ((unsigned)fd % NFDBITS);
		int events = 0;

		for (int s = 0; s < 3; s++)
			if (sa->sa_in[s][w] & bit)
				events |= sel_events[s];
		if (events == 0)
			continue;
		if (fd_getfile(fd, &fp) != 0)
			return EBADF;
		mask = file_poll(fp, events);
		(void)file_release(fp);
		for (int s = 0; s < 3; s++) {
			if ((sa->sa_in[s][w] & bit) && (mask & sel_events[s])) {
				sa->sa_out[s][w] |= bit;
				if (n++ == 0)
					selctx_record(sc, false);
			}
		}
	}
	*nready = n;
	return 0;
}

/* The common part of select and pselect6. */
static int
doselect(int nfds, fd_set *usets[3], int64_t timo, uint64_t *endp,
    register_t *retval)
{
	struct selent *ents = NULL;
	struct selargs *sa;
	struct selctx sc;
	size_t nbytes, nents = 0;
	int error, n = 0;

	if (nfds < 0 || nfds > FD_SETSIZE)
		return EINVAL;
	if ((sa = kmem_zalloc(sizeof(*sa), KM_SLEEP)) == NULL)
		return ENOMEM;
	sa->sa_nfds = nfds;
	nbytes = howmany((size_t)nfds, NFDBITS) * sizeof(unsigned long);
	for (int s = 0; s < 3; s++) {
		if (usets[s] == NULL)
			continue;
		if ((error = copyin(usets[s], sa->sa_in[s], nbytes)) != 0)
			goto out;
	}
	/* The bits past nfds in the last word are not the call's. */
	if (nfds % NFDBITS != 0)
		for (int s = 0; s < 3; s++)
			sa->sa_in[s][nfds / NFDBITS] &=
			    (1UL << (nfds % NFDBITS)) - 1;
	for (int fd = 0; fd < nfds; fd++)
		for (int s = 0; s < 3; s++)
			if (sa->sa_in[s][fd / NFDBITS] &
			    (1UL << (fd % NFDBITS)))
				nents += 2;
	if (nents > 0 &&
	    (ents = kmem_alloc(sizeof(*ents) * nents, KM_SLEEP)) == NULL) {
		error = ENOMEM;
		goto out;
	}
	selctx_init(&sc, ents, (int)nents);
	error = sel_run(&sc, timo, select_scan, sa, &n, endp);
	selctx_fini(&sc);
	for (int s = 0; error == 0 && s < 3; s++)
		if (usets[s] != NULL)
			error = copyout(sa->sa_out[s], usets[s], nbytes);
	if (error == 0)
		*retval = n;
out:
	if (ents != NULL)
		kmem_free(ents, sizeof(*ents) * nents);
	kmem_free(sa, sizeof(*sa));
	return error;
}

/*
 * select: the timeval is updated to the time left, as Linux does (a
 * failure to write it is ignored).
 */
int
sys_select(struct lwp *l __unused, const void *v, register_t *retval)
{
	SYSCALL_ARGS(select);
	fd_set *usets[3] = {
	    SCARG(uap, readfds), SCARG(uap, writefds), SCARG(uap, exceptfds)};
	struct timeval *utv = SCARG(uap, timeout), tv;
	struct timespec ts;
	int64_t timo = -1;
	uint64_t end = 0;
	int error;

	if (utv != NULL) {
		if ((error = copyin(utv, &tv, sizeof(tv))) != 0)
			return error;
		if (tv.tv_sec < 0 || tv.tv_usec < 0)
			return EINVAL;
		ts.tv_sec = tv.tv_sec + tv.tv_usec / 1000000;
		ts.tv_nsec = (long)(tv.tv_usec % 1000000) * 1000;
		if ((error = timo_from_ts(&ts, &timo)) != 0)
			return error;
	}
	error = doselect(SCARG(uap, nfds), usets, timo, &end, retval);
	if (utv != NULL && timo > 0) {
		timo_left(end, &ts);
		tv.tv_sec = ts.tv_sec;
		tv.tv_usec = ts.tv_nsec / 1000;
		(void)copyout(&tv, utv, sizeof(tv));
	}
	return error;
}

/*
 * pselect6: the sixth argument points to a pair {sigset pointer, size}.
 * The timespec is updated to the time left, as for select.
 */
int
sys_pselect6(struct lwp *l __unused, const void *v, register_t *retval)
{
	SYSCALL_ARGS(pselect6);
	fd_set *usets[3] = {
	    SCARG(uap, readfds), SCARG(uap, writefds), SCARG(uap, exceptfds)};
	struct timespec *uts = (void *)(uintptr_t)SCARG(uap, timeout), ts;
	struct {
		const void *ss;
		size_t size;
	} pack;
	int64_t timo = -1;
	uint64_t end = 0;
	int error;

	if (uts != NULL) {
		if ((error = copyin(uts, &ts, sizeof(ts))) != 0)
			return error;
		if ((error = timo_from_ts(&ts, &timo)) != 0)
			return error;
	}
	if (SCARG(uap, sigmask) != NULL) {
		if ((error = copyin(SCARG(uap, sigmask), &pack, sizeof(pack))))
			return error;
		if ((error = sigmask_check(pack.ss, pack.size)) != 0)
			return error;
	}
	error = doselect(SCARG(uap, nfds), usets, timo, &end, retval);
	if (uts != NULL && timo > 0) {
		timo_left(end, &ts);
		(void)copyout(&ts, uts, sizeof(ts));
	}
	return error;
}

/*
 * The hand-written stubs.  As libc's ppoll and pselect, they leave the
 * caller's timeout alone: the kernel updates a copy.  A timeout pointer
 * into the null page is EFAULT; other bad ones fault here, as in libc.
 */
#define STUB_BADPTR(p) ((p) != NULL && (uintptr_t)(p) < 4096)

RUMP_API int
rump_sys_ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *tmo,
    const sigset_t *sigmask)
{
	struct timespec ts;
	register_t args[5], rv[2] = {0, 0};
	int error = EFAULT;

	if (!STUB_BADPTR(tmo)) {
		if (tmo != NULL)
			ts = *tmo;
		args[0] = (register_t)fds;
		args[1] = (register_t)nfds;
		args[2] = (register_t)(tmo != NULL ? &ts : NULL);
		args[3] = (register_t)sigmask;
		args[4] = (register_t)sizeof(sigset_t);
		error = syscall_local(SYS_ppoll, args, rv);
	}
	if (__predict_false(error != 0)) {
		rumpuser_seterrno(error);
		return -1;
	}
	return (int)rv[0];
}

RUMP_API int
rump_sys_pselect6(int nfds, fd_set *readfds, fd_set *writefds,
    fd_set *exceptfds, const struct timespec *timeout, const sigset_t *sigmask)
{
	struct timespec ts;
	struct {
		const sigset_t *ss;
		size_t size;
	} pack = {sigmask, sizeof(sigset_t)};
	register_t args[6], rv[2] = {0, 0};
	int error = EFAULT;

	if (!STUB_BADPTR(timeout)) {
		if (timeout != NULL)
			ts = *timeout;
		args[0] = (register_t)nfds;
		args[1] = (register_t)readfds;
		args[2] = (register_t)writefds;
		args[3] = (register_t)exceptfds;
		args[4] = (register_t)(timeout != NULL ? &ts : NULL);
		args[5] = (register_t)&pack;
		error = syscall_local(SYS_pselect6, args, rv);
	}
	if (__predict_false(error != 0)) {
		rumpuser_seterrno(error);
		return -1;
	}
	return (int)rv[0];
}
