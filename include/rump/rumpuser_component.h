/*
 * rumpuser_component.h — what the host parts of kernel components (the
 * rumpcomp_* functions of drivers such as shmif and virtif, compiled
 * without _KERNEL next to their driver) may use of the platform, as
 * NetBSD's rumpuser_component(3):
 *
 *	void *cookie = rumpuser_component_unschedule();
 *	... a host call that may block (poll, read, an inotify wait) ...
 *	rumpuser_component_schedule(cookie);
 *
 * A rumpcomp_* function is entered holding a virtual CPU, like a
 * hypercall; before it blocks it gives the CPU back with the pair above, so
 * other threads of the kernel run meanwhile.  Host error numbers become
 * the kernel's (Linux) ones with rumpuser_component_errtrans().
 *
 * This header includes nothing.  It is for component host parts and
 * platforms, not for kernel code or applications.
 */
#ifndef RUMP_RUMPUSER_COMPONENT_H
#define RUMP_RUMPUSER_COMPONENT_H

#if defined(_KERNEL)
#error "rumpuser_component.h is for the host side of components"
#endif

/* Gives back the calling thread's virtual CPU; returns what schedule needs. */
void *rumpuser_component_unschedule(void);
/* Takes a virtual CPU again (cookie from unschedule). */
void rumpuser_component_schedule(void *cookie);
/* A host errno in the kernel's numbering. */
int rumpuser_component_errtrans(int hosterrno);

#endif /* RUMP_RUMPUSER_COMPONENT_H */
