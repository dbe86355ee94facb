/*
 * kern_sys.c — the base's remaining system calls: process ids, umask,
 * uname and sethostname, resource limits, getrandom, sched_yield and kill.
 */
#include "syscall.h"

int
sys_getpid(struct lwp *l, const void *v __unused, register_t *retval)
{
	*retval = l->l_proc->p_pid;
	return 0;
}

int
sys_getppid(struct lwp *l, const void *v __unused, register_t *retval)
{
	mutex_enter(&proc_lock);
	*retval = l->l_proc->p_pptr ? l->l_proc->p_pptr->p_pid : 0;
	mutex_exit(&proc_lock);
	return 0;
}

int
sys_umask(struct lwp *l, const void *v, register_t *retval)
{
	SYSCALL_ARGS(umask);
	struct proc *p = l->l_proc;

	mutex_enter(&p->p_lock);
	*retval = p->p_umask;
	p->p_umask = SCARG(uap, mask) & 0777;
	mutex_exit(&p->p_lock);
	return 0;
}

int
sys_uname(struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(uname);
	struct utsname u;

	memset(&u, 0, sizeof(u));
	strlcpy(u.sysname, "Linux", sizeof(u.sysname));
	mutex_enter(&hostname_lock);
	strlcpy(u.nodename, hostname, sizeof(u.nodename));
	mutex_exit(&hostname_lock);
	strlcpy(u.release, "6.1.0-rumpk", sizeof(u.release));
	snprintf(u.version, sizeof(u.version), "rumpk %d", RUMPK_VERSION);
	strlcpy(u.machine, "x86_64", sizeof(u.machine));
	strlcpy(u.domainname, "(none)", sizeof(u.domainname));
	return copyout(&u, SCARG(uap, buf), sizeof(u));
}

int
sys_sethostname(
    struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(sethostname);
	char buf[UTS_LEN];
	size_t len = SCARG(uap, len);
	kauth_cred_t c;
	int error;

	if (len >= UTS_LEN)
		return EINVAL;
	c = kauth_cred_get();
	error = c->cr_euid == 0 ? 0 : EPERM;
	kauth_cred_free(c);
	if (error)
		return error;
	if ((error = copyin(SCARG(uap, name), buf, len)) != 0)
		return error;
	buf[len] = '\0';
	mutex_enter(&hostname_lock);
	memcpy(hostname, buf, len + 1);
	mutex_exit(&hostname_lock);
	return 0;
}

/*
 * Reads and optionally sets a limit of process p.  Raising a hard limit
 * needs root; a soft limit may not exceed the hard one.
 */
static int
dorlimit(
    struct proc *p, int resource, const struct rlimit *nl, struct rlimit *ol)
{
	kauth_cred_t c;
	int error = 0;

	if (resource < 0 || resource >= RLIM_NLIMITS)
		return EINVAL;
	if (nl != NULL && nl->rlim_cur > nl->rlim_max)
		return EINVAL;
	c = kauth_cred_get();
	mutex_enter(&p->p_lock);
	if (ol != NULL)
		*ol = p->p_rlimit[resource];
	if (nl != NULL) {
		if (nl->rlim_max > p->p_rlimit[resource].rlim_max &&
		    c->cr_euid != 0)
			error = EPERM;
		else if (resource == RLIMIT_NOFILE && nl->rlim_max > 1048576)
			error = EPERM; /* Linux's nr_open */
		else
			p->p_rlimit[resource] = *nl;
	}
	mutex_exit(&p->p_lock);
	kauth_cred_free(c);
	return error;
}

int
sys_getrlimit(struct lwp *l, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(getrlimit);
	struct rlimit rl;
	int error;

	if ((error = dorlimit(l->l_proc, SCARG(uap, resource), NULL, &rl)))
		return error;
	return copyout(&rl, SCARG(uap, rlim), sizeof(rl));
}

int
sys_setrlimit(struct lwp *l, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(setrlimit);
	struct rlimit rl;
	int error;

	if ((error = copyin(SCARG(uap, rlim), &rl, sizeof(rl))) != 0)
		return error;
	return dorlimit(l->l_proc, SCARG(uap, resource), &rl, NULL);
}

int
sys_prlimit64(struct lwp *l, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(prlimit64);
	struct rlimit nl, ol;
	struct proc *p = l->l_proc;
	int error;

	if (SCARG(uap, new_limit) != NULL &&
	    (error = copyin(SCARG(uap, new_limit), &nl, sizeof(nl))) != 0)
		return error;
	if (SCARG(uap, pid) == 0 || SCARG(uap, pid) == p->p_pid) {
		error = dorlimit(p, SCARG(uap, resource),
		    SCARG(uap, new_limit) ? &nl : NULL, &ol);
	} else {
		/* Another process: proc_lock keeps it from exiting meanwhile.
		 */
		kauth_cred_t c = kauth_cred_get();
		bool root = c->cr_euid == 0;

		kauth_cred_free(c);
		mutex_enter(&proc_lock);
		p = proc_find(SCARG(uap, pid));
		if (p == NULL || (p->p_flags & P_SYSTEM))
			error = ESRCH;
		else if (!root)
			error = EPERM;
		else
			error = dorlimit(p, SCARG(uap, resource),
			    SCARG(uap, new_limit) ? &nl : NULL, &ol);
		mutex_exit(&proc_lock);
	}
	if (error == 0 && SCARG(uap, old_limit) != NULL)
		error = copyout(&ol, SCARG(uap, old_limit), sizeof(ol));
	return error;
}

int
sys_getrandom(struct lwp *l __unused, const void *v, register_t *retval)
{
	SYSCALL_ARGS(getrandom);
	unsigned flags = SCARG(uap, flags);
	size_t want = SCARG(uap, buflen), done = 0;
	char *ubuf = SCARG(uap, buf);
	char buf[256];
	int error = 0;

	if (flags & ~(unsigned)(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE) ||
	    (flags & GRND_RANDOM && flags & GRND_INSECURE))
		return EINVAL;
	if (want == 0)
		return 0;
	if (want > 0x1ffffff)
		want =
		    0x1ffffff; /* Linux returns at most 32 MiB - 1 per call */
	while (done < want) {
		size_t n = MIN(want - done, sizeof(buf)), got = 0;
		int hflags =
		    (flags & GRND_NONBLOCK) ? RUMPUSER_RANDOM_NOWAIT : 0;

		error = rumpuser_getrandom(buf, n, hflags, &got);
		if (error == 0 && got > 0)
			error = copyout(buf, ubuf + done, got);
		if (error || got == 0)
			break;
		done += got;
	}
	memset(buf, 0, sizeof(buf));
	if (done > 0) {
		*retval = (register_t)done;
		return 0;
	}
	return error ? error : EAGAIN;
}

int
sys_sched_yield(
    struct lwp *l __unused, const void *v __unused, register_t *retval __unused)
{
	return 0;
}

/*
 * kill: signal 0 checks that the process exists.  A signal to the caller's
 * own process is raised in the host process that holds the kernel (the
 * RAISE signal model of rump); to another process of the kernel it is
 * recorded as pending there.
 */
int
sys_kill(struct lwp *l, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(kill);
	int sig = SCARG(uap, sig);
	pid_t pid = SCARG(uap, pid);
	struct proc *p;

	if (sig < 0 || sig >= NSIG)
		return EINVAL;
	if (pid == 0 || pid == l->l_proc->p_pid) {
		if (sig != 0)
			(void)rumpuser_kill(RUMPUSER_PID_SELF, sig);
		return 0;
	}
	if (pid < 0)
		return EPERM; /* process groups are not kept */
	mutex_enter(&proc_lock);
	p = proc_find(pid);
	if (p != NULL && p != &proc0 && sig != 0) {
		mutex_enter(&p->p_lock);
		p->p_sigpend |= 1ULL << (sig - 1);
		mutex_exit(&p->p_lock);
	}
	mutex_exit(&proc_lock);
	return p != NULL && p != &proc0 ? 0 : ESRCH;
}
