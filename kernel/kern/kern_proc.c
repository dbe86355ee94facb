/*
 * kern_proc.c — processes and lwps, and the lwproc interface of
 * rump_lwproc(3) through which a host thread gets a context of its own.
 *
 * proc0 (pid 0) is the kernel itself: kernel threads and platform threads
 * live there.  proc1 (pid 1, "rumplocal") is where host threads without an
 * lwp run.  Every other process is made by rfork (local callers) or by the
 * sysproxy server (one per remote client), and goes away with its last lwp;
 * its children are then handed to proc1.
 */
#include "proc.h"

#include "../../include/rump/rump.h"

struct proc proc0;
struct proc *proc1;
kmutex_t proc_lock;
const struct vmspace_ops *vmspace_remote;

#define PIDHASH_SIZE 256
#define PID_MAX      4194304
static LIST_HEAD(, proc) pidhash[PIDHASH_SIZE]; /* [P] */
static pid_t pid_next = 2;                      /* [P] */
static int nprocs;                              /* [P] */

static void
pid_insert(struct proc *p)
{
	LIST_INSERT_HEAD(
	    &pidhash[(unsigned)p->p_pid % PIDHASH_SIZE], p, p_list);
	nprocs++;
}

struct proc *
proc_find(pid_t pid)
{
	struct proc *p;

	KASSERT(mutex_owned(&proc_lock));
	if (pid < 0)
		return NULL;
	LIST_FOREACH (p, &pidhash[(unsigned)pid % PIDHASH_SIZE], p_list)
		if (p->p_pid == pid)
			return p;
	return NULL;
}

/* The next free pid.  Caller holds proc_lock. */
static pid_t
pid_alloc(void)
{
	for (;;) {
		pid_t pid = pid_next++;

		if (pid_next >= PID_MAX)
			pid_next = 2;
		if (proc_find(pid) == NULL)
			return pid;
	}
}

static void
proc_setup(struct proc *p, pid_t pid, const char *comm)
{
	mutex_init(&p->p_lock, MUTEX_DEFAULT);
	LIST_INIT(&p->p_lwps);
	p->p_pid = pid;
	p->p_nextlid = 1;
	p->p_vmops = &vmspace_local;
	strlcpy(p->p_comm, comm, sizeof(p->p_comm));
}

static const struct rlimit rlimit_default[RLIM_NLIMITS] = {
    [RLIMIT_CPU] = {RLIM_INFINITY, RLIM_INFINITY},
    [RLIMIT_FSIZE] = {RLIM_INFINITY, RLIM_INFINITY},
    [RLIMIT_DATA] = {RLIM_INFINITY, RLIM_INFINITY},
    [RLIMIT_STACK] = {8 << 20, RLIM_INFINITY},
    [RLIMIT_CORE] = {0, RLIM_INFINITY},
    [RLIMIT_RSS] = {RLIM_INFINITY, RLIM_INFINITY},
    [RLIMIT_NPROC] = {RLIM_INFINITY, RLIM_INFINITY},
    [RLIMIT_NOFILE] = {1024, 4096},
    [RLIMIT_MEMLOCK] = {8 << 20, 8 << 20},
    [RLIMIT_AS] = {RLIM_INFINITY, RLIM_INFINITY},
    [RLIMIT_LOCKS] = {RLIM_INFINITY, RLIM_INFINITY},
    [RLIMIT_SIGPENDING] = {1024, 1024},
    [RLIMIT_MSGQUEUE] = {819200, 819200},
    [RLIMIT_NICE] = {0, 0},
    [RLIMIT_RTPRIO] = {0, 0},
    [RLIMIT_RTTIME] = {RLIM_INFINITY, RLIM_INFINITY},
};

/* Sets up proc0 and proc1.  Runs during boot on lwp0 of proc0. */
void
proc_init(void)
{
	int error;

	mutex_init(&proc_lock, MUTEX_DEFAULT);
	proc_setup(&proc0, 0, "system");
	proc0.p_flags = P_SYSTEM;
	proc0.p_cred = kauth_cred_alloc_root();
	proc0.p_umask = 022;
	memcpy(proc0.p_rlimit, rlimit_default, sizeof(rlimit_default));
	if ((proc0.p_fd = fd_create()) == NULL)
		panic("proc_init: no memory for proc0");
	mutex_enter(&proc_lock);
	pid_insert(&proc0);
	mutex_exit(&proc_lock);

	/* proc1 gets pid 1 by hand: pid_alloc starts at 2. */
	error = proc_create(&proc0, RUMP_RFCFDG, &proc1);
	if (error)
		panic("proc_init: cannot create pid 1: error %d", error);
	strlcpy(proc1->p_comm, "rumplocal", sizeof(proc1->p_comm));
	if ((error = console_open_std(proc1)) != 0)
		panic("proc_init: console for pid 1: error %d", error);
}

int
proc_create(struct proc *parent, int rfflags, struct proc **pp)
{
	struct proc *p;
	int error = 0;

	if ((p = kmem_zalloc(sizeof(*p), KM_SLEEP)) == NULL)
		return ENOMEM;
	proc_setup(p, -1, parent->p_comm);

	mutex_enter(&parent->p_lock);
	/*
	 * A copy of its own: credentials are held and dropped on every
	 * call, and processes on different CPUs should not share the count.
	 */
	if ((p->p_cred = kauth_cred_dup(parent->p_cred)) == NULL) {
		mutex_exit(&parent->p_lock);
		mutex_destroy(&p->p_lock);
		kmem_free(p, sizeof(*p));
		return ENOMEM;
	}
	p->p_umask = parent->p_umask;
	memcpy(p->p_rlimit, parent->p_rlimit, sizeof(p->p_rlimit));
	if (rfflags & RUMP_RFCFDG) {
		p->p_fd = fd_create();
		if (p->p_fd == NULL)
			error = ENOMEM;
	} else if (rfflags & RUMP_RFFDG) {
		error = fd_copy(parent->p_fd, &p->p_fd);
	} else {
		p->p_fd = parent->p_fd;
		fd_share(p->p_fd);
	}
	mutex_exit(&parent->p_lock);
	if (error)
		goto fail;
	if ((error = proc_hooks_fork(parent, p)) != 0) {
		fd_free(p->p_fd);
		goto fail;
	}

	mutex_enter(&proc_lock);
	if (proc1 == NULL && parent == &proc0)
		p->p_pid = 1;
	else
		p->p_pid = pid_alloc();
	p->p_pptr = parent;
	pid_insert(p);
	mutex_exit(&proc_lock);
	*pp = p;
	return 0;

fail:
	kauth_cred_free(p->p_cred);
	mutex_destroy(&p->p_lock);
	kmem_free(p, sizeof(*p));
	return error;
}

/* Tears down a process whose last lwp is gone. */
static void
proc_exit(struct proc *p)
{
	struct proc *q;

	KASSERT(p != &proc0 && p != proc1);
	mutex_enter(&proc_lock);
	LIST_REMOVE(p, p_list);
	nprocs--;
	/* Orphans go to pid 1. */
	for (int i = 0; i < PIDHASH_SIZE; i++)
		LIST_FOREACH (q, &pidhash[i], p_list)
			if (q->p_pptr == p)
				q->p_pptr = proc1;
	mutex_exit(&proc_lock);

	fd_exit_hooks(p);
	proc_hooks_exit(p);
	fd_free(p->p_fd);
	kauth_cred_free(p->p_cred);
	mutex_destroy(&p->p_lock);
	kmem_free(p, sizeof(*p));
}

int
lwp_create(struct proc *p, int flags, struct lwp **lp)
{
	struct lwp *l;

	if ((l = kmem_zalloc(sizeof(*l), KM_SLEEP)) == NULL)
		return ENOMEM;
	l->l_proc = p;
	l->l_flags = flags;
	l->l_stat = LSIDL;
	mutex_enter(&p->p_lock);
	if (p->p_flags & P_WEXIT) {
		mutex_exit(&p->p_lock);
		kmem_free(l, sizeof(*l));
		return EBUSY;
	}
	l->l_lid = p->p_nextlid++;
	LIST_INSERT_HEAD(&p->p_lwps, l, l_sibling);
	p->p_nlwps++;
	mutex_exit(&p->p_lock);
	rumpuser_curlwpop(RUMPUSER_LWP_CREATE, l);
	*lp = l;
	return 0;
}

/*
 * Implicit lwps live outside the allocator (they are made while a CPU is
 * being bound, before the thread has a current lwp, and freed when a
 * thread unbinds, holding no CPU) and outside proc1's list (pid 1 never
 * exits).
 */
struct lwp *
lwp_alloc_implicit(void)
{
	struct lwp *l;

	if (rumpuser_malloc(sizeof(*l), 0, (void **)&l) != 0)
		panic("lwp_alloc_implicit: out of host memory");
	memset(l, 0, sizeof(*l));
	l->l_proc = proc1;
	l->l_flags = LW_IMPLICIT;
	l->l_stat = LSONPROC;
	return l;
}

/*
 * Frees lwp l; the process goes with its last lwp.  The caller holds a CPU
 * through some lwp (possibly l itself, which it must not use afterwards
 * except to release that CPU).
 */
void
lwp_free(struct lwp *l)
{
	struct proc *p = l->l_proc;
	bool last;

	if (l->l_flags & LW_IMPLICIT) {
		rumpuser_free(l, sizeof(*l));
		return;
	}
	rumpuser_curlwpop(RUMPUSER_LWP_DESTROY, l);
	mutex_enter(&p->p_lock);
	LIST_REMOVE(l, l_sibling);
	last = --p->p_nlwps == 0 && p != &proc0 && p != proc1;
	if (last)
		p->p_flags |= P_WEXIT;
	mutex_exit(&p->p_lock);
	if (last)
		proc_exit(p);
	kmem_free(l, sizeof(*l));
}

/*
 * Binds l to the calling host thread in place of whatever was bound.  The
 * thread holds no CPU.  Binding an lwp that runs in another thread is a
 * bug of the caller, and fatal.
 */
static void
lwproc_bind(struct lwp *l)
{
	struct lwp *old = rumpuser_curlwp();
	int idle = LSIDL;

	if (old == l)
		return;
	if (l != NULL &&
	    !__atomic_compare_exchange_n(&l->l_stat, &idle, LSONPROC, false,
	        __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		panic("rump_lwproc_switch: lwp %d.%d is running in another "
		      "thread",
		    l->l_proc->p_pid, l->l_lid);
	if (old != NULL) {
		rumpuser_curlwpop(RUMPUSER_LWP_CLEAR, old);
		if (old->l_flags & LW_IMPLICIT)
			lwp_free(
			    old); /* needs no CPU: see lwp_alloc_implicit */
		else
			atomic_store_release(&old->l_stat, LSIDL);
	}
	if (l != NULL)
		rumpuser_curlwpop(RUMPUSER_LWP_SET, l);
}

RUMP_API int
rump_pub_lwproc_rfork(int flags)
{
	struct lwp *l, *nl = NULL;
	struct proc *p;
	int error;

	if (flags & ~(RUMP_RFFDG | RUMP_RFCFDG) ||
	    (flags & (RUMP_RFFDG | RUMP_RFCFDG)) == (RUMP_RFFDG | RUMP_RFCFDG))
		return EINVAL;
	l = sched_enter();
	error = proc_create(l->l_proc, flags, &p);
	if (error == 0) {
		error = lwp_create(p, 0, &nl);
		if (error)
			proc_exit(p);
	}
	sched_exit(l);
	if (error == 0)
		lwproc_bind(nl);
	return error;
}

RUMP_API int
rump_pub_lwproc_newlwp(pid_t pid)
{
	struct lwp *l, *nl = NULL;
	struct proc *p;
	int error;

	l = sched_enter();
	mutex_enter(&proc_lock);
	p = proc_find(pid);
	if (p == NULL)
		error = ESRCH;
	else
		error = lwp_create(p, 0, &nl);
	mutex_exit(&proc_lock);
	sched_exit(l);
	if (error == 0)
		lwproc_bind(nl);
	return error;
}

RUMP_API void
rump_pub_lwproc_switch(struct lwp *l)
{
	lwproc_bind(l);
}

RUMP_API void
rump_pub_lwproc_releaselwp(void)
{
	struct lwp *l = rumpuser_curlwp(), *il;

	if (l == NULL || (l->l_flags & LW_IMPLICIT))
		panic("rump_lwproc_releaselwp: the thread has no lwp");
	lwproc_bind(NULL);
	/* Free it from an implicit context: l cannot release its own CPU. */
	il = sched_enter();
	l->l_stat = LSZOMB;
	lwp_free(l);
	sched_exit(il);
}

RUMP_API struct lwp *
rump_pub_lwproc_curlwp(void)
{
	struct lwp *l = rumpuser_curlwp();

	if (l == NULL || (l->l_flags & LW_IMPLICIT))
		return NULL;
	return l;
}

/* Upcalls for the platform's own threads and the sysproxy transport. */
static void
hyp_lwproc_switch(struct lwp *l)
{
	lwproc_bind(l);
}

static void
hyp_lwproc_release(void)
{
	rump_pub_lwproc_releaselwp();
}

static int
hyp_lwproc_newlwp(int pid)
{
	return rump_pub_lwproc_newlwp(pid);
}

static struct lwp *
hyp_lwproc_curlwp(void)
{
	return rump_pub_lwproc_curlwp();
}

/*
 * A process for a remote client (sysproxy): like rump_pub_lwproc_rfork,
 * child of the thread's current process (pid 1 when it has none), named
 * comm, and with the remote address-space ops and priv as their cookie.
 */
static int
hyp_lwproc_rfork(void *priv, int flags, const char *comm)
{
	struct lwp *l, *nl = NULL;
	struct proc *p;
	int error;

	if (flags & ~(RUMP_RFFDG | RUMP_RFCFDG) ||
	    (flags & (RUMP_RFFDG | RUMP_RFCFDG)) == (RUMP_RFFDG | RUMP_RFCFDG))
		return EINVAL;
	if (priv != NULL && vmspace_remote == NULL)
		return EOPNOTSUPP;
	l = sched_enter();
	error = proc_create(l->l_proc, flags, &p);
	if (error == 0) {
		if (priv != NULL) {
			p->p_vmops = vmspace_remote;
			p->p_vmarg = priv;
		}
		if (comm != NULL)
			strlcpy(p->p_comm, comm, sizeof(p->p_comm));
		error = lwp_create(p, 0, &nl);
		if (error)
			proc_exit(p);
	}
	sched_exit(l);
	if (error == 0)
		lwproc_bind(nl);
	return error;
}

/*
 * A remote client exec'd a new image in the current process: it takes the
 * new name, and its close-on-exec descriptors are closed.
 */
static void
hyp_execnotify(const char *comm)
{
	struct lwp *l = sched_enter();
	struct proc *p = l->l_proc;
	struct filedesc *fdp;
	bool cloexec, more;

	mutex_enter(&p->p_lock);
	strlcpy(p->p_comm, comm, sizeof(p->p_comm));
	fdp = p->p_fd;
	mutex_exit(&p->p_lock);
	for (int fd = 0;; fd++) {
		mutex_enter(&fdp->fd_lock);
		more = fd < fdp->fd_nfiles;
		cloexec = more && fdp->fd_files[fd] != NULL &&
		    (fdp->fd_flags[fd] & FD_CLOEXEC);
		mutex_exit(&fdp->fd_lock);
		if (!more)
			break;
		if (cloexec)
			(void)fd_close(fd);
	}
	sched_exit(l);
}

static int
hyp_getpid(void)
{
	struct lwp *l = rumpuser_curlwp();

	return l ? l->l_proc->p_pid : 1;
}

void proc_upcalls(struct rumpuser_hyperup *hyp);
void
proc_upcalls(struct rumpuser_hyperup *hyp)
{
	hyp->hyp_lwproc_switch = hyp_lwproc_switch;
	hyp->hyp_lwproc_release = hyp_lwproc_release;
	hyp->hyp_lwproc_newlwp = hyp_lwproc_newlwp;
	hyp->hyp_lwproc_curlwp = hyp_lwproc_curlwp;
	hyp->hyp_getpid = hyp_getpid;
	hyp->hyp_lwproc_rfork = hyp_lwproc_rfork;
	hyp->hyp_execnotify = hyp_execnotify;
}

/* Number of processes, for tests and statistics. */
int proc_count(void);
int
proc_count(void)
{
	int n;

	mutex_enter(&proc_lock);
	n = nprocs;
	mutex_exit(&proc_lock);
	return n;
}
