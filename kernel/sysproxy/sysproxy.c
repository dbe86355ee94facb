/*
 * sysproxy.c — the kernel side of remote clients (librumpsysproxy).
 *
 * The transport lives in the platform (rumpuser_sp_*): it accepts clients,
 * makes one process per client through hyp_lwproc_rfork() with the
 * client's cookie, and runs each request on the client's lwp through
 * hyp_syscall().  What the kernel adds is the address space of such a
 * process: its copyin/copyout go back to the platform with the cookie,
 * which serves them from the data the request carried or asks the client.
 * Linking this component makes rump_init_server() available; without it,
 * the platform refuses remote processes.
 */
#include "kern/proc.h"

#include "../../include/rump/rump.h"

static int
remote_copyin(void *arg, const void *uaddr, void *kaddr, size_t len)
{
	if (len == 0)
		return 0;
	return rumpuser_sp_copyin(arg, uaddr, kaddr, len);
}

static int
remote_copyout(void *arg, const void *kaddr, void *uaddr, size_t len)
{
	if (len == 0)
		return 0;
	return rumpuser_sp_copyout(arg, kaddr, uaddr, len);
}

/*
 * The platform copies at most *lenp bytes and sets *lenp to the number
 * copied, the NUL included; no NUL within the limit is ENAMETOOLONG.
 */
static int
remote_copyinstr(
    void *arg, const void *uaddr, char *kaddr, size_t len, size_t *done)
{
	size_t n = len;
	int error;

	if (len == 0)
		return ENAMETOOLONG;
	error = rumpuser_sp_copyinstr(arg, uaddr, kaddr, &n);
	if (done != NULL)
		*done = n;
	return error;
}

static const struct vmspace_ops vmspace_sysproxy = {
    .vo_copyin = remote_copyin,
    .vo_copyout = remote_copyout,
    .vo_copyinstr = remote_copyinstr,
};

RUMP_COMPONENT(RUMP_COMPONENT_KERN)
{
	vmspace_remote = &vmspace_sysproxy;
}

RUMP_API int
rump_init_server(const char *url)
{
	if (url == NULL)
		return EINVAL;
	return rumpuser_sp_init(url, "Linux", "rumpk-0.1", "x86_64");
}
