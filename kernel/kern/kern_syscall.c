/*
 * kern_syscall.c — the system call table and the entry from local callers.
 *
 * The table starts empty; each component fills in its handlers from its
 * constructor (the generated sysent_<component>.c), so a call whose
 * component is not linked answers ENOSYS.  syscall_local() is the whole
 * path of a local call: take a CPU, run the handler in the caller's
 * thread, give the CPU back.
 */
#include "syscall.h"

#define SYSENT_SIZE 512
CTASSERT(SYS_MAXSYSCALL <= SYSENT_SIZE);

/* Written by constructors before rump_init(), read-only afterwards. */
static sy_call_t sysent[SYSENT_SIZE];

/* 1 while the kernel runs: between the end of boot and halt. */
int kern_running;

void
syscall_register(const struct sysent_init *si)
{
	for (; si->si_num >= 0; si++) {
		if (si->si_num >= SYSENT_SIZE)
			panic("syscall_register: number %d out of range",
			    si->si_num);
		if (si->si_call != NULL)
			sysent[si->si_num] = si->si_call;
	}
}

int
syscall_dispatch(
    struct lwp *l, int num, const register_t *args, register_t *retval)
{
	if ((unsigned)num >= SYSENT_SIZE || sysent[num] == NULL)
		return ENOSYS;
	return sysent[num](l, args, retval);
}

int
syscall_local(int num, const register_t *args, register_t *retval)
{
	struct lwp *l;
	sy_call_t call;
	int error;

	if (__predict_false((unsigned)num >= SYSENT_SIZE))
		return ENOSYS;
	if (__predict_false(!atomic_load_relaxed(&kern_running)))
		return ENXIO;
	if (__predict_false((call = sysent[num]) == NULL))
		return ENOSYS;
	l = sched_enter_fast();
	error = call(l, args, retval);
	sched_exit_fast(l);
	return error;
}

RUMP_API int
rump_pub_syscall(int num, const long *args, long *retval)
{
	static const register_t none[6];

	return syscall_local(num, args ? args : none, retval);
}

/* The sysproxy upcall: a remote client's call, on its lwp. */
static int
hyp_syscall(int num, void *args, long *retval)
{
	struct lwp *l = sched_enter();
	int error = syscall_dispatch(l, num, args, retval);

	sched_exit(l);
	return error;
}

void syscall_upcalls(struct rumpuser_hyperup *hyp);
void
syscall_upcalls(struct rumpuser_hyperup *hyp)
{
	hyp->hyp_syscall = hyp_syscall;
}
