/*
 * t_descrip.c — the system calls that work on any descriptor, on what the
 * base has: pipes and the console (descriptors 0, 1 and 2 of pid 1).
 * lseek, pread64, pwrite64, preadv, pwritev, fstat, ioctl and
 * close_range, called with the host's own headers.
 */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <termios.h>
#include <unistd.h>

#include <rump/rump.h>

#include "harness.h"
#include "rumptest.h"

/* Whether descriptor fd is open in the calling process. */
static int
isopen(int fd)
{
	return rump_sys_fcntl(fd, F_GETFD) != -1;
}

T_CASE(lseek_espipe, "lseek on a pipe or the console is ESPIPE")
{
	int fds[2];

	t_boot();
	T_OK(rump_sys_pipe(fds));
	T_ERRNO(rump_sys_lseek(fds[0], 0, SEEK_SET), ESPIPE);
	T_ERRNO(rump_sys_lseek(fds[1], 0, SEEK_CUR), ESPIPE);
	T_ERRNO(rump_sys_lseek(0, 0, SEEK_SET), ESPIPE);
	T_ERRNO(rump_sys_lseek(1, 10, SEEK_END), ESPIPE);
	T_ERRNO(rump_sys_lseek(99, 0, SEEK_SET), EBADF);
	T_ERRNO(rump_sys_lseek(-1, 0, SEEK_SET), EBADF);
}

T_CASE(pread_espipe, "positional I/O on a pipe or the console is ESPIPE")
{
	char buf[4] = "abc";
	struct iovec iov = {buf, 3};
	int fds[2];

	t_boot();
	T_OK(rump_sys_pipe(fds));
	T_EQ(rump_sys_write(fds[1], buf, 3), 3);
	T_ERRNO(rump_sys_pread64(fds[0], buf, 3, 0), ESPIPE);
	T_ERRNO(rump_sys_pwrite64(fds[1], buf, 3, 0), ESPIPE);
	T_ERRNO(rump_sys_preadv(fds[0], &iov, 1, 0), ESPIPE);
	T_ERRNO(rump_sys_pwritev(fds[1], &iov, 1, 0), ESPIPE);
	T_ERRNO(rump_sys_pread64(0, buf, 3, 0), ESPIPE);
	T_ERRNO(rump_sys_pwrite64(1, buf, 3, 0), ESPIPE);
	/* ESPIPE comes before the access mode is looked at, as on Linux. */
	T_ERRNO(rump_sys_pread64(fds[1], buf, 3, 0), ESPIPE);
	/* The data is still there for read(2). */
	T_EQ(rump_sys_read(fds[0], buf, 3), 3);
}

T_CASE(pread_einval,
    "a negative offset is EINVAL, checked before the "
    "descriptor")
{
	char buf[4];
	struct iovec iov = {buf, 3};
	int fds[2];

	t_boot();
	T_OK(rump_sys_pipe(fds));
	T_ERRNO(rump_sys_pread64(fds[0], buf, 3, -1), EINVAL);
	T_ERRNO(rump_sys_pwrite64(fds[1], buf, 3, -1), EINVAL);
	T_ERRNO(rump_sys_preadv(fds[0], &iov, 1, -4096), EINVAL);
	T_ERRNO(rump_sys_pwritev(fds[1], &iov, 1, -1), EINVAL);
	T_ERRNO(rump_sys_pread64(99, buf, 3, -1), EINVAL);
	T_ERRNO(rump_sys_pread64(99, buf, 3, 0), EBADF);
	T_ERRNO(rump_sys_preadv(fds[0], &iov, -1, 0), EINVAL);
	T_ERRNO(rump_sys_preadv(fds[0], (struct iovec *)8, 1, 0), EFAULT);
}

T_CASE(fstat_console, "fstat of the console: a character device")
{
	struct stat st;

	t_boot();
	T_OK(rump_sys_fstat(0, &st));
	T_ASSERT(S_ISCHR(st.st_mode));
	T_EQ(major(st.st_rdev), 5);
	T_EQ(minor(st.st_rdev), 1);
	T_OK(rump_sys_fstat(2, &st));
	T_ASSERT(S_ISCHR(st.st_mode));
	T_ERRNO(rump_sys_fstat(99, &st), EBADF);
	T_ERRNO(rump_sys_fstat(1, NULL), EFAULT);
	T_ERRNO(rump_sys_fstat(1, (struct stat *)8), EFAULT);
}

T_CASE(ioctl_fionbio, "FIONBIO sets and clears O_NONBLOCK")
{
	int fds[2], on = 1;
	char c;

	t_boot();
	T_OK(rump_sys_pipe(fds));
	T_OK(rump_sys_ioctl(fds[0], FIONBIO, &on));
	T_EQ(rump_sys_fcntl(fds[0], F_GETFL), O_RDONLY | O_NONBLOCK);
	T_ERRNO(rump_sys_read(fds[0], &c, 1), EAGAIN);
	on = 0;
	T_OK(rump_sys_ioctl(fds[0], FIONBIO, &on));
	T_EQ(rump_sys_fcntl(fds[0], F_GETFL), O_RDONLY);
	/* The flag belongs to the open file: a duplicate shares it. */
	on = 42;
	T_OK(rump_sys_ioctl(fds[1], FIONBIO, &on));
	T_OK(fds[0] = rump_sys_dup(fds[1]));
	T_EQ(rump_sys_fcntl(fds[0], F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	T_ERRNO(rump_sys_ioctl(fds[1], FIONBIO, (int *)8), EFAULT);
	T_ERRNO(rump_sys_ioctl(fds[1], FIONBIO, NULL), EFAULT);
}

T_CASE(ioctl_cloexec, "FIOCLEX and FIONCLEX set the descriptor's flag only")
{
	int fds[2], d;

	t_boot();
	T_OK(rump_sys_pipe(fds));
	T_OK(d = rump_sys_dup(fds[0]));
	T_OK(rump_sys_ioctl(fds[0], FIOCLEX));
	T_EQ(rump_sys_fcntl(fds[0], F_GETFD), FD_CLOEXEC);
	T_EQ(rump_sys_fcntl(d, F_GETFD), 0);
	T_OK(rump_sys_ioctl(fds[0], FIONCLEX));
	T_EQ(rump_sys_fcntl(fds[0], F_GETFD), 0);
	T_OK(rump_sys_ioctl(1, FIOCLEX));
	T_EQ(rump_sys_fcntl(1, F_GETFD), FD_CLOEXEC);
}

T_CASE(ioctl_enotty, "requests a file does not know are ENOTTY")
{
	struct termios tio;
	int fds[2], n;

	t_boot();
	T_OK(rump_sys_pipe(fds));
	T_ERRNO(rump_sys_ioctl(0, TCGETS, &tio), ENOTTY);
	T_ERRNO(rump_sys_ioctl(1, FIONREAD, &n), ENOTTY);
	T_ERRNO(rump_sys_ioctl(fds[0], TCGETS, &tio), ENOTTY);
	T_ERRNO(rump_sys_ioctl(fds[0], 0x12345678, &n), ENOTTY);
	T_ERRNO(rump_sys_ioctl(99, FIONREAD, &n), EBADF);
	/* The request is 32 bits wide, as on Linux. */
	T_OK(rump_sys_ioctl(fds[0], 0xffffffff00000000ul | FIONREAD, &n));
	T_EQ(n, 0);
}

T_CASE(close_range_basic, "close_range closes the range and nothing else")
{
	int fds[2];

	t_boot();
	for (int i = 0; i < 3; i++)
		T_OK(rump_sys_pipe(fds)); /* 3..8 */
	T_OK(rump_sys_close_range(4, 6, 0));
	T_ASSERT(isopen(3));
	T_ASSERT(!isopen(4) && !isopen(5) && !isopen(6));
	T_ASSERT(isopen(7) && isopen(8));
	/* Holes and slots past the table are fine. */
	T_OK(rump_sys_close_range(4, 100000, 0));
	T_ASSERT(isopen(3) && !isopen(7) && !isopen(8));
	T_ASSERT(isopen(0) && isopen(1) && isopen(2));
	T_OK(rump_sys_close_range(3, ~0u, 0));
	T_ASSERT(!isopen(3));
	T_ASSERT(isopen(2));
	T_OK(rump_sys_close_range(1000, 2000, 0));
	T_ERRNO(rump_sys_close_range(5, 4, 0), EINVAL);
	T_ERRNO(rump_sys_close_range(0, 10, 1), EINVAL);
	T_ERRNO(rump_sys_close_range(0, 10, 0x100), EINVAL);
}

T_CASE(close_range_eof,
    "closing a pipe's writer by close_range is EOF for "
    "its reader")
{
	int fds[2];
	char c;

	t_boot();
	T_OK(rump_sys_pipe(fds));
	T_OK(rump_sys_close_range((unsigned)fds[1], (unsigned)fds[1], 0));
	T_EQ(rump_sys_read(fds[0], &c, 1), 0);
}

T_CASE(close_range_cloexec, "CLOSE_RANGE_CLOEXEC marks instead of closing")
{
	int fds[2];

	t_boot();
	T_OK(rump_sys_pipe(fds));
	T_OK(rump_sys_pipe(fds));
	T_OK(rump_sys_close_range(4, ~0u, CLOSE_RANGE_CLOEXEC));
	T_EQ(rump_sys_fcntl(3, F_GETFD), 0);
	for (int fd = 4; fd <= 6; fd++)
		T_EQ(rump_sys_fcntl(fd, F_GETFD), FD_CLOEXEC);
	T_ERRNO(rump_sys_fcntl(7, F_GETFD), EBADF);
}

T_CASE(close_range_shared,
    "in a shared table close_range closes for all; "
    "with CLOSE_RANGE_UNSHARE for the caller only")
{
	struct lwp *parent, *child;
	int fds[2];

	t_boot();
	T_EQ(rump_pub_lwproc_rfork(RUMP_RFCFDG), 0);
	parent = rump_pub_lwproc_curlwp();
	T_OK(rump_sys_pipe(fds));          /* 0, 1 */
	T_OK(rump_sys_pipe(fds));          /* 2, 3 */
	T_EQ(rump_pub_lwproc_rfork(0), 0); /* shares the table */
	child = rump_pub_lwproc_curlwp();
	T_OK(rump_sys_close_range(3, 3, 0));
	rump_pub_lwproc_switch(parent);
	T_ASSERT(!isopen(3));

	rump_pub_lwproc_switch(child);
	T_OK(rump_sys_close_range(0, ~0u, CLOSE_RANGE_UNSHARE));
	T_ASSERT(!isopen(0) && !isopen(2));
	T_OK(rump_sys_pipe(fds));
	T_EQ(fds[0], 0);
	rump_pub_lwproc_switch(parent);
	T_ASSERT(isopen(0) && isopen(1) && isopen(2));
	T_ASSERT(!isopen(3));
	/* The parent's table is its own now: closing there leaves the child. */
	T_OK(rump_sys_close(0));
	rump_pub_lwproc_switch(child);
	T_ASSERT(isopen(0) && isopen(1));
	/* Unsharing a table nobody shares changes nothing. */
	T_OK(rump_sys_close_range(5, 5, CLOSE_RANGE_UNSHARE));
	T_ASSERT(isopen(0) && isopen(1));
}

T_CASE(close_range_unshare_cloexec,
    "CLOSE_RANGE_UNSHARE with _CLOEXEC marks "
    "the caller's copy only")
{
	struct lwp *parent;
	int fds[2];

	t_boot();
	T_EQ(rump_pub_lwproc_rfork(RUMP_RFFDG), 0);
	parent = rump_pub_lwproc_curlwp();
	T_OK(rump_sys_pipe(fds));
	T_EQ(rump_pub_lwproc_rfork(0), 0);
	T_OK(rump_sys_close_range(
	    0, ~0u, CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC));
	T_EQ(rump_sys_fcntl(fds[0], F_GETFD), FD_CLOEXEC);
	rump_pub_lwproc_switch(parent);
	T_EQ(rump_sys_fcntl(fds[0], F_GETFD), 0);
}

T_CASE(dup2_closes, "dup2 over a pipe's last writer is EOF for its reader")
{
	int fds[2];
	char c;

	t_boot();
	T_OK(rump_sys_pipe(fds));
	T_EQ(rump_sys_dup2(0, fds[1]), fds[1]);
	T_EQ(rump_sys_read(fds[0], &c, 1), 0);
}
