/*
 * rumpuser_component.c — the helpers of include/rump/rumpuser_component.h
 * for the host parts of components (rumpcomp_* in librumpnet_shmif,
 * librumpnet_virtif, ...): giving back and taking again the virtual CPU
 * around a blocking host call, and the errno translation.  They are thin
 * exports of what the hypercalls of this platform use themselves.
 */
#include <stdint.h>

#include "rump/rumpuser_component.h"
#include "rumpuser_int.h"

RUMPUSER_EXPORT void *
rumpuser_component_unschedule(void)
{
	return (void *)(intptr_t)rumpuser__unschedule();
}

RUMPUSER_EXPORT void
rumpuser_component_schedule(void *cookie)
{
	rumpuser__reschedule((int)(intptr_t)cookie);
}

RUMPUSER_EXPORT int
rumpuser_component_errtrans(int hosterrno)
{
	return rumpuser__errtrans(hosterrno);
}
