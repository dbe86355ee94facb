/*
 * t_lockexit.c — record locks of a process go with it, also when its
 * descriptor table lives on in another process (rfork 0 shares it).
 */
#include <fcntl.h>
#include <unistd.h>

#include "harness.h"
#include "rumptest.h"

static int
setlk(int fd, short type)
{
	struct flock fl = {.l_type = type, .l_whence = SEEK_SET};

	return rump_sys_fcntl(fd, F_SETLK, &fl);
}

T_CASE(
    exit_shared_table, "a process's POSIX locks go when it exits, table shared")
{
	int fd;

	t_boot();
	T_OK(fd = rump_sys_open("/tmp/lk", O_CREAT | O_RDWR, 0600));
	T_EQ(rump_pub_lwproc_rfork(0), 0); /* shares pid 1's table */
	T_OK(setlk(fd, F_WRLCK));
	rump_pub_lwproc_releaselwp(); /* the process exits */
	/* pid 1 (never freed, so never the same address) can lock it now. */
	T_OK(setlk(fd, F_WRLCK));
	T_OK(setlk(fd, F_UNLCK));
}

T_CASE(exit_copied_table, "a process's POSIX locks go when it exits, own table")
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	int fd;

	t_boot();
	T_OK(fd = rump_sys_open("/tmp/lk", O_CREAT | O_RDWR, 0600));
	T_EQ(rump_pub_lwproc_rfork(RUMP_RFFDG), 0);
	T_OK(setlk(fd, F_WRLCK));
	struct lwp *holder = rump_pub_lwproc_curlwp();
	rump_pub_lwproc_switch(NULL);
	T_EQ(rump_pub_lwproc_rfork(RUMP_RFFDG), 0);
	struct lwp *other = rump_pub_lwproc_curlwp();
	T_ERRNO(setlk(fd, F_WRLCK), EAGAIN);
	T_OK(rump_sys_fcntl(fd, F_GETLK, &fl));
	T_EQ(fl.l_type, F_WRLCK);
	rump_pub_lwproc_switch(holder);
	rump_pub_lwproc_releaselwp();
	rump_pub_lwproc_switch(other);
	T_OK(setlk(fd, F_WRLCK));
}
