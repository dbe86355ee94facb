/*
 * rumpclient_nostub.c — the remote stubs of the calls whose libc
 * signature differs from the system call (NOSTUB in syscalls.master),
 * written by hand as the kernel's local ones are (kern_init.c,
 * kern_poll.c, vfs_syscalls.c).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/select.h>

#include "rump/rump_syscalls.h"
#include "rumpclient_int.h"

#define LINUX_REBOOT_MAGIC1 0xfee1deadU
#define LINUX_REBOOT_MAGIC2 672274793U
#define KSIGSET             8 /* the kernel's sigset_t */

static int
rc_ret(int error)
{
	if (error != 0) {
		errno = error;
		return -1;
	}
	return 0;
}

/* glibc's reboot(cmd): the magic numbers are added here. */
int
rump_sys_reboot(int cmd)
{
	int64_t args[4] = {(int64_t)LINUX_REBOOT_MAGIC1,
	    (int64_t)LINUX_REBOOT_MAGIC2, (int64_t)(unsigned)cmd, 0};
	int64_t rv[2];

	return rc_ret(rumpclient__call(169, args, 4, NULL, 0, rv));
}

char *
rump_sys_getcwd(char *buf, size_t size)
{
	int64_t args[2] = {(int64_t)(intptr_t)buf, (int64_t)size};
	const struct rc_region rg[1] = {{buf, size, RC_OUT}};
	int64_t rv[2];

	if (rc_ret(rumpclient__call(79, args, 2, rg, 1, rv)) != 0)
		return NULL;
	return buf;
}

int
rump_sys_ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *tmo,
    const sigset_t *sigmask)
{
	int64_t args[5] = {(int64_t)(intptr_t)fds, (int64_t)nfds,
	    (int64_t)(intptr_t)tmo, (int64_t)(intptr_t)sigmask, KSIGSET};
	const struct rc_region rg[3] = {
	    {fds, (size_t)nfds * sizeof(struct pollfd), RC_INOUT},
	    {tmo, sizeof(struct timespec), RC_IN},
	    {sigmask, KSIGSET, RC_IN},
	};
	int64_t rv[2];
	int error = rumpclient__call(271, args, 5, rg, 3, rv);

	return error ? rc_ret(error) : (int)rv[0];
}

int
rump_sys_pselect6(int nfds, fd_set *readfds, fd_set *writefds,
    fd_set *exceptfds, const struct timespec *timeout, const sigset_t *sigmask)
{
	/* Linux's sixth argument: the mask's address and size, in memory. */
	uint64_t pack[2] = {(uint64_t)(uintptr_t)sigmask, KSIGSET};
	int64_t args[6] = {nfds, (int64_t)(intptr_t)readfds,
	    (int64_t)(intptr_t)writefds, (int64_t)(intptr_t)exceptfds,
	    (int64_t)(intptr_t)timeout, (int64_t)(intptr_t)pack};
	const struct rc_region rg[6] = {
	    {readfds, sizeof(fd_set), RC_INOUT},
	    {writefds, sizeof(fd_set), RC_INOUT},
	    {exceptfds, sizeof(fd_set), RC_INOUT},
	    {timeout, sizeof(struct timespec), RC_IN},
	    {pack, sizeof(pack), RC_IN},
	    {sigmask, KSIGSET, RC_IN},
	};
	int64_t rv[2];
	int error = rumpclient__call(270, args, 6, rg, 6, rv);

	return error ? rc_ret(error) : (int)rv[0];
}
