/*
 * kern_thread.c — kernel threads: host threads with an lwp of the kernel
 * process (pid 0).  A kernel thread holds a virtual CPU while it runs and,
 * like any caller, gives it up whenever it blocks.
 */
#include "proc.h"

struct kthread_start {
	void (*ks_fn)(void *);
	void *ks_arg;
	struct lwp *ks_lwp;
	bool ks_mustjoin;
};

static void *
kthread_trampoline(void *arg)
{
	struct kthread_start ks = *(struct kthread_start *)arg;
	struct lwp *l = ks.ks_lwp;

	rumpuser_curlwpop(RUMPUSER_LWP_SET, l);
	(void)sched_enter();
	kmem_free(arg, sizeof(ks));
	ks.ks_fn(ks.ks_arg);
	if (!ks.ks_mustjoin) {
		/* Nobody joins: free the lwp from an implicit context. */
		sched_exit(l);
		rumpuser_curlwpop(RUMPUSER_LWP_CLEAR, l);
		struct lwp *il = sched_enter();
		lwp_free(l);
		sched_exit(il);
	} else {
		sched_exit(l);
		rumpuser_curlwpop(RUMPUSER_LWP_CLEAR, l);
	}
	rumpuser_thread_exit();
}

int
kthread_create(
    void (*fn)(void *), void *arg, const char *name, int flags, struct lwp **lp)
{
	struct kthread_start *ks;
	struct lwp *l;
	void *cookie = NULL;
	int error;

	if ((ks = kmem_alloc(sizeof(*ks), KM_SLEEP)) == NULL)
		return ENOMEM;
	if ((error = lwp_create(&proc0, LW_SYSTEM, &l)) != 0) {
		kmem_free(ks, sizeof(*ks));
		return error;
	}
	l->l_stat = LSONPROC;
	*ks =
	    (struct kthread_start){fn, arg, l, (flags & KTHREAD_MUSTJOIN) != 0};
	error = rumpuser_thread_create(kthread_trampoline, ks, name,
	    (flags & KTHREAD_MUSTJOIN) != 0, 0, -1, &cookie);
	if (error) {
		kmem_free(ks, sizeof(*ks));
		lwp_free(l);
		return error;
	}
	l->l_kthread = cookie;
	if (lp != NULL)
		*lp = l;
	return 0;
}

/* Waits for a KTHREAD_MUSTJOIN thread to return and frees its lwp. */
int
kthread_join(struct lwp *l)
{
	int error = rumpuser_thread_join(l->l_kthread);

	if (error == 0)
		lwp_free(l);
	return error;
}
