/*
 * kern_hooks.c — the hooks through which factions follow the life of
 * processes (struct proc_hooks in proc.h).
 *
 * A faction registers its hooks once, from a constructor or its component
 * init; they are never taken away, so the list is pushed onto without a
 * lock (constructors run before any lock exists) and walked without one.
 * The base calls them: ph_fork when a process is made (kern_proc.c),
 * ph_exit when it goes (kern_proc.c), ph_fdclose when a process closes a
 * descriptor (kern_descrip.c).  Hooks run in the calling lwp, holding a
 * virtual CPU and no lock of the base, so they may sleep.
 */
#include "proc.h"

static struct proc_hooks *proc_hooks_list; /* [a] pushed, never removed */

void
proc_hooks_register(struct proc_hooks *ph)
{
	struct proc_hooks *head;

	do {
		head = atomic_load_acquire(&proc_hooks_list);
		ph->ph_next = head;
	} while (!__atomic_compare_exchange_n(&proc_hooks_list, &head, ph,
	    false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
}

/*
 * Runs every ph_fork for a new child.  When one fails, the ph_exit hooks
 * of those that succeeded before it run for the child, and its error is
 * returned: the fork fails as if no hook had run.
 */
int
proc_hooks_fork(struct proc *parent, struct proc *child)
{
	struct proc_hooks *ph, *undo;
	int error;

	for (ph = atomic_load_acquire(&proc_hooks_list); ph; ph = ph->ph_next) {
		if (ph->ph_fork == NULL)
			continue;
		if ((error = ph->ph_fork(parent, child)) == 0)
			continue;
		for (undo = atomic_load_acquire(&proc_hooks_list); undo != ph;
		     undo = undo->ph_next)
			if (undo->ph_fork != NULL && undo->ph_exit != NULL)
				undo->ph_exit(child);
		return error;
	}
	return 0;
}

/* Runs every ph_exit for a process whose last lwp is gone. */
void
proc_hooks_exit(struct proc *p)
{
	struct proc_hooks *ph;

	for (ph = atomic_load_acquire(&proc_hooks_list); ph; ph = ph->ph_next)
		if (ph->ph_exit != NULL)
			ph->ph_exit(p);
}

/* Runs every ph_fdclose: process p closes one of its descriptors of fp. */
void
proc_hooks_fdclose(struct proc *p, struct file *fp)
{
	struct proc_hooks *ph;

	for (ph = atomic_load_acquire(&proc_hooks_list); ph; ph = ph->ph_next)
		if (ph->ph_fdclose != NULL)
			ph->ph_fdclose(p, fp);
}
