/*
 * rumpuser_sp.c — the sysproxy hypercalls, through which remote clients
 * reach the kernel over a socket.  The transport arrives with the
 * remote-client issue; until then there is no server, sp_init refuses, and
 * the calls that would talk to a client (they can only be reached through
 * one) say the operation is not supported.
 */
#include <errno.h>

#include "rumpuser_int.h"

RUMPUSER_EXPORT int
rumpuser_sp_init(const char *url, const char *ostype, const char *osrelease,
    const char *machine)
{
	(void)url;
	(void)ostype;
	(void)osrelease;
	(void)machine;
	return EOPNOTSUPP;
}

RUMPUSER_EXPORT int
rumpuser_sp_copyin(void *arg, const void *raddr, void *laddr, size_t len)
{
	(void)arg;
	(void)raddr;
	(void)laddr;
	(void)len;
	return EOPNOTSUPP;
}

RUMPUSER_EXPORT int
rumpuser_sp_copyinstr(void *arg, const void *raddr, void *laddr, size_t *lenp)
{
	(void)arg;
	(void)raddr;
	(void)laddr;
	(void)lenp;
	return EOPNOTSUPP;
}

RUMPUSER_EXPORT int
rumpuser_sp_copyout(void *arg, const void *laddr, void *raddr, size_t len)
{
	(void)arg;
	(void)laddr;
	(void)raddr;
	(void)len;
	return EOPNOTSUPP;
}

RUMPUSER_EXPORT int
rumpuser_sp_copyoutstr(void *arg, const void *laddr, void *raddr, size_t *lenp)
{
	(void)arg;
	(void)laddr;
	(void)raddr;
	(void)lenp;
	return EOPNOTSUPP;
}

RUMPUSER_EXPORT int
rumpuser_sp_anonmmap(void *arg, size_t howmuch, void **addr)
{
	(void)arg;
	(void)howmuch;
	(void)addr;
	return EOPNOTSUPP;
}

RUMPUSER_EXPORT int
rumpuser_sp_raise(void *arg, int signo)
{
	(void)arg;
	(void)signo;
	return EOPNOTSUPP;
}

RUMPUSER_EXPORT void
rumpuser_sp_fini(void *arg)
{
	(void)arg;
}
