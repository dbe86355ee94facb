/*
 * rumpuser_int.h — what the files of the POSIX platform (librumpuser) share
 * and nobody else sees: the export macro, the copy of the kernel's upcall
 * table, the one errno translation, and the helpers that give the virtual
 * CPU back to the kernel around a hypercall that may block.
 *
 * Symbol visibility: the library is built with -fvisibility=hidden, and only
 * the functions of rumpuser.h carry RUMPUSER_EXPORT.  The shared helpers are
 * named rumpuser__* (two underscores) and marked hidden explicitly, so they
 * stay hidden even when a file is compiled without that flag.
 */
#ifndef PLATFORM_POSIX_RUMPUSER_INT_H
#define PLATFORM_POSIX_RUMPUSER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rump/rumpuser.h"

#define RUMPUSER_EXPORT __attribute__((visibility("default")))
#define RUMPUSER_HIDDEN __attribute__((visibility("hidden")))

/* The kernel's upcalls, copied by rumpuser_init(); zero before it. */
extern struct rumpuser_hyperup rumpuser__hyp RUMPUSER_HIDDEN;

/*
 * Host errno -> the errno numbering of the kernel (Linux).  Every int
 * hypercall passes a host error through here and nowhere else.
 */
int rumpuser__errtrans(int host_error) RUMPUSER_HIDDEN;
/* The fault switch (rumpuser_fault.h): whether to apply the next write. */
bool rumpuser__blkwrite_apply(void) RUMPUSER_HIDDEN;

/* Aborts with "rumpuser: what: strerror(rv)" when a host call that cannot
 * fail by contract (rv is its error number) failed all the same. */
void rumpuser__check(int rv, const char *what) RUMPUSER_HIDDEN;

/* Flushes the calling thread's rumpuser_putchar() buffer. */
void rumpuser__putchar_flush(void) RUMPUSER_HIDDEN;

/*
 * The blocking rule of rumpuser.h: a hypercall about to block gives its
 * virtual CPU back first and takes one again afterwards:
 *
 *	int nlocks = rumpuser__unschedule();
 *	... blocking host call; save errno here ...
 *	rumpuser__reschedule(nlocks);
 *
 * backend_schedule() may itself change errno, so a caller reads errno
 * before rescheduling.  Before rumpuser_init() there is no kernel to hand a
 * CPU back to, and both helpers do nothing.
 */
static inline int
rumpuser__unschedule(void)
{
	int nlocks = 0;

	if (rumpuser__hyp.hyp_backend_unschedule != NULL)
		rumpuser__hyp.hyp_backend_unschedule(0, &nlocks, NULL);
	return nlocks;
}

static inline void
rumpuser__reschedule(int nlocks)
{
	if (rumpuser__hyp.hyp_backend_schedule != NULL)
		rumpuser__hyp.hyp_backend_schedule(nlocks, NULL);
}

/* Runs the statement op without a virtual CPU (op must not need errno). */
#define KLOCK_WRAP(op)                                                         \
	do {                                                                   \
		int klock_nlocks_ = rumpuser__unschedule();                    \
		op;                                                            \
		rumpuser__reschedule(klock_nlocks_);                           \
	} while (0)

#endif /* PLATFORM_POSIX_RUMPUSER_INT_H */
