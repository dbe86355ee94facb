/*
 * t_syscalls.c — the system calls of the kernel base, called with the
 * host's own headers and constants (the kernel speaks the Linux ABI):
 * credentials, time, limits, uname, randomness, signals, descriptors,
 * bad pointers and unknown numbers.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <rump/rump.h>

#include "harness.h"
#include "rumptest.h"

T_CASE(init_twice, "a second rump_init returns 0")
{
	t_boot();
	T_EQ(rump_init(), 0);
	T_EQ(rump_sys_getpid(), 1);
}

T_CASE(before_init, "a system call before rump_init fails with ENXIO")
{
	T_ERRNO(rump_sys_getpid(), ENXIO);
}

T_CASE(unknown_syscall, "unknown and unimplemented syscall numbers give ENOSYS")
{
	long rv[2];

	t_boot();
	T_EQ(rump_pub_syscall(100000, NULL, rv), ENOSYS);
	T_EQ(rump_pub_syscall(-5, NULL, rv), ENOSYS);
	T_EQ(rump_pub_syscall(SYS_fork, NULL, rv), ENOSYS);
	T_EQ(rump_pub_syscall(SYS_getpid, NULL, rv), 0);
	T_EQ(rv[0], 1);
}

T_CASE(halt, "reboot(RB_HALT_SYSTEM) stops the kernel; later calls get ENXIO")
{
	t_boot();
	T_ERRNO(rump_sys_reboot(0x1234), EINVAL);
	T_OK(rump_sys_reboot(RB_DISABLE_CAD));
	T_OK(rump_sys_reboot(RB_HALT_SYSTEM));
	T_ERRNO(rump_sys_getpid(), ENXIO);
	T_EQ(rump_init(), EBUSY);
}

T_CASE(halt_unpriv, "reboot as a non-root user is EPERM")
{
	t_boot();
	T_EQ(rump_pub_lwproc_rfork(0), 0);
	T_OK(rump_sys_setuid(1));
	T_ERRNO(rump_sys_reboot(RB_HALT_SYSTEM), EPERM);
	T_EQ(rump_sys_getuid(), 1);
}

T_CASE(setuid_rules, "setuid/setreuid/setresuid follow Linux's rules")
{
	uid_t r, e, s;

	t_boot();
	T_EQ(rump_pub_lwproc_rfork(0), 0);
	T_OK(rump_sys_setresuid(10, 20, 30));
	T_OK(rump_sys_getresuid(&r, &e, &s));
	T_EQ(r, 10);
	T_EQ(e, 20);
	T_EQ(s, 30);
	/* Unprivileged: the effective id may move among r, e, s only. */
	T_OK(rump_sys_setuid(30));
	T_EQ(rump_sys_geteuid(), 30);
	T_EQ(rump_sys_getuid(), 10);
	T_ERRNO(rump_sys_setuid(0), EPERM);
	T_ERRNO(rump_sys_setresuid(-1, 99, -1), EPERM);
	T_OK(rump_sys_setreuid(-1, 10));
	T_OK(rump_sys_getresuid(&r, &e, &s));
	T_EQ(r, 10);
	T_EQ(e, 10);
	T_EQ(s, 30);
	/* The real id may become the real or effective one, not the saved. */
	T_ERRNO(rump_sys_setreuid(30, -1), EPERM);
	T_OK(rump_sys_setreuid(-1, 30));
	T_OK(rump_sys_getresuid(&r, &e, &s));
	T_EQ(r, 10);
	T_EQ(e, 30);
	T_EQ(s, 30);
	T_OK(rump_sys_setreuid(30, -1));
	T_OK(rump_sys_getresuid(&r, &e, &s));
	T_EQ(r, 30);
	T_EQ(e, 30);
	T_EQ(s, 30);
}

T_CASE(setgid_groups, "group ids and supplementary groups")
{
	gid_t g[4] = {100, 200, 300, 400}, out[8], r, e, s;

	t_boot();
	T_EQ(rump_pub_lwproc_rfork(0), 0);
	T_EQ(rump_sys_getgroups(0, NULL), 0);
	T_OK(rump_sys_setgroups(4, g));
	T_EQ(rump_sys_getgroups(0, NULL), 4);
	T_ERRNO(rump_sys_getgroups(2, out), EINVAL);
	T_EQ(rump_sys_getgroups(8, out), 4);
	T_EQ(out[3], 400);
	T_ERRNO(rump_sys_setgroups(1000, g), EINVAL);
	T_OK(rump_sys_setresgid(5, 6, 7));
	T_OK(rump_sys_getresgid(&r, &e, &s));
	T_EQ(r, 5);
	T_EQ(e, 6);
	T_EQ(s, 7);
	T_OK(rump_sys_setuid(1));
	T_ERRNO(rump_sys_setgroups(1, g), EPERM);
	T_ERRNO(rump_sys_setgid(100), EPERM);
	T_OK(rump_sys_setgid(7));
	T_EQ(rump_sys_getegid(), 7);
}

T_CASE(umask, "umask returns the old mask and keeps permission bits only")
{
	t_boot();
	T_EQ(rump_sys_umask(077), 022);
	T_EQ(rump_sys_umask(0177777), 077);
	T_EQ(rump_sys_umask(0), 0777);
}

T_CASE(uname_hostname,
    "uname names the platform's host name; sethostname is root's")
{
	struct utsname u;
	char want[80];

	t_boot();
	T_OK(rump_sys_uname(&u));
	T_ASSERT(strcmp(u.sysname, "Linux") == 0);
	snprintf(want, sizeof(want), "rump-%05d", (int)getpid());
	T_ASSERT(strncmp(u.nodename, want, strlen(want)) == 0);
	T_OK(rump_sys_sethostname("kernel-one", 10));
	T_OK(rump_sys_uname(&u));
	T_ASSERT(strcmp(u.nodename, "kernel-one") == 0);
	T_ERRNO(rump_sys_sethostname("x", 65), EINVAL);
	T_EQ(rump_pub_lwproc_rfork(0), 0);
	T_OK(rump_sys_setuid(5));
	T_ERRNO(rump_sys_sethostname("nope", 4), EPERM);
}

T_CASE(clocks, "clock_gettime, gettimeofday and clock_getres")
{
	struct timespec a, b, host, res;
	struct timeval tv;

	t_boot();
	T_OK(rump_sys_clock_gettime(CLOCK_MONOTONIC, &a));
	T_OK(rump_sys_clock_gettime(CLOCK_MONOTONIC, &b));
	T_ASSERT(b.tv_sec > a.tv_sec ||
	    (b.tv_sec == a.tv_sec && b.tv_nsec >= a.tv_nsec));
	T_OK(rump_sys_clock_gettime(CLOCK_REALTIME, &a));
	clock_gettime(CLOCK_REALTIME, &host);
	T_ASSERT(llabs((long long)(host.tv_sec - a.tv_sec)) <= 1);
	T_OK(rump_sys_gettimeofday(&tv, NULL));
	T_ASSERT(llabs((long long)(host.tv_sec - tv.tv_sec)) <= 1);
	T_OK(rump_sys_clock_getres(CLOCK_MONOTONIC, &res));
	T_ERRNO(rump_sys_clock_gettime(99, &a), EINVAL);
	T_ERRNO(rump_sys_clock_gettime(CLOCK_MONOTONIC, (void *)8), EFAULT);
}

T_CASE(sleeps, "nanosleep and clock_nanosleep sleep at least as long as asked")
{
	struct timespec req = {0, 30 * 1000 * 1000}, now;
	uint64_t t0;

	t_boot();
	t0 = t_now_ns();
	T_OK(rump_sys_nanosleep(&req, NULL));
	T_ASSERT(t_now_ns() - t0 >= 30 * 1000 * 1000);

	T_OK(rump_sys_clock_gettime(CLOCK_MONOTONIC, &now));
	now.tv_nsec += 20 * 1000 * 1000;
	if (now.tv_nsec >= 1000000000) {
		now.tv_sec++;
		now.tv_nsec -= 1000000000;
	}
	t0 = t_now_ns();
	T_OK(rump_sys_clock_nanosleep(
	    CLOCK_MONOTONIC, TIMER_ABSTIME, &now, NULL));
	T_ASSERT(t_now_ns() - t0 >= 15 * 1000 * 1000);
	req.tv_nsec = 2000000000;
	T_ERRNO(rump_sys_nanosleep(&req, NULL), EINVAL);
	T_ERRNO(
	    rump_sys_clock_nanosleep(CLOCK_MONOTONIC, 8, &now, NULL), EINVAL);
}

T_CASE(rlimits, "getrlimit, setrlimit and prlimit64")
{
	struct rlimit rl, old;

	t_boot();
	T_OK(rump_sys_getrlimit(RLIMIT_NOFILE, &rl));
	T_EQ(rl.rlim_cur, 1024);
	rl.rlim_cur = 64;
	T_OK(rump_sys_setrlimit(RLIMIT_NOFILE, &rl));
	T_OK(rump_sys_prlimit64(0, RLIMIT_NOFILE, NULL, &old));
	T_EQ(old.rlim_cur, 64);
	rl.rlim_cur = rl.rlim_max + 1;
	T_ERRNO(rump_sys_setrlimit(RLIMIT_NOFILE, &rl), EINVAL);
	T_ERRNO(rump_sys_getrlimit(99, &rl), EINVAL);
	T_EQ(rump_pub_lwproc_rfork(0), 0);
	T_OK(rump_sys_getrlimit(RLIMIT_NOFILE, &rl));
	T_EQ(rl.rlim_cur, 64); /* inherited */
	T_OK(rump_sys_setuid(3));
	rl.rlim_max += 1;
	T_ERRNO(rump_sys_setrlimit(RLIMIT_NOFILE, &rl), EPERM);
	T_ERRNO(rump_sys_prlimit64(1, RLIMIT_NOFILE, NULL, &old), EPERM);
	T_ERRNO(rump_sys_prlimit64(4242, RLIMIT_NOFILE, NULL, &old), ESRCH);
}

T_CASE(fd_limits, "dup up to RLIMIT_NOFILE, then EMFILE; dup2/dup3/fcntl rules")
{
	struct rlimit rl = {16, 16};
	int fd, n = 0;

	t_boot();
	T_OK(rump_sys_setrlimit(RLIMIT_NOFILE, &rl));
	while ((fd = rump_sys_dup(1)) != -1)
		n++;
	T_EQ(errno, EMFILE);
	T_EQ(n, 13);
	T_OK(rump_sys_close(15));
	T_ERRNO(rump_sys_close(15), EBADF);
	T_ERRNO(rump_sys_close(-1), EBADF);
	T_EQ(rump_sys_dup2(1, 15), 15);
	T_EQ(rump_sys_dup2(15, 15), 15);
	T_ERRNO(rump_sys_dup2(1, 16), EBADF);
	T_ERRNO(rump_sys_dup3(1, 1, 0), EINVAL);
	T_ERRNO(rump_sys_dup3(1, 5, O_NONBLOCK), EINVAL);
	T_EQ(rump_sys_dup3(1, 5, O_CLOEXEC), 5);
	T_EQ(rump_sys_fcntl(5, F_GETFD), FD_CLOEXEC);
	T_OK(rump_sys_fcntl(5, F_SETFD, 0));
	T_EQ(rump_sys_fcntl(5, F_GETFD), 0);
	T_OK(rump_sys_close(3));
	T_EQ(rump_sys_fcntl(1, F_DUPFD_CLOEXEC, 2), 3);
	T_EQ(rump_sys_fcntl(3, F_GETFD), FD_CLOEXEC);
	T_EQ(rump_sys_fcntl(1, F_GETFL) & O_ACCMODE, O_RDWR);
	T_OK(rump_sys_fcntl(1, F_SETFL, O_NONBLOCK));
	T_ASSERT(rump_sys_fcntl(1, F_GETFL) & O_NONBLOCK);
	T_ERRNO(rump_sys_fcntl(1, 9999), EINVAL);
	T_ERRNO(rump_sys_fcntl(99, F_GETFD), EBADF);
}

T_CASE(console_io, "the console fds read EOF and take writes, also vectored")
{
	char buf[8];
	struct iovec iov[2] = {{(void *)"con", 3}, {(void *)"sole\n", 5}};

	t_boot();
	T_EQ(rump_sys_read(0, buf, sizeof(buf)), 0);
	T_EQ(rump_sys_write(2, "console\n", 8), 8);
	T_EQ(rump_sys_writev(2, iov, 2), 8);
	T_ERRNO(rump_sys_writev(2, iov, -1), EINVAL);
	T_ERRNO(rump_sys_write(2, (void *)16, 8), EFAULT);
	T_ERRNO(rump_sys_read(9, buf, 1), EBADF);
}

T_CASE(efault, "bad pointers give EFAULT, never a crash")
{
	t_boot();
	T_ERRNO(rump_sys_uname(NULL), EFAULT);
	T_ERRNO(rump_sys_uname((void *)0xffff800000000000UL), EFAULT);
	T_ERRNO(rump_sys_getresuid(NULL, NULL, NULL), EFAULT);
	T_ERRNO(rump_sys_getrlimit(RLIMIT_NOFILE, (void *)1), EFAULT);
	T_ERRNO(rump_sys_setgroups(1, NULL), EFAULT);
	T_ERRNO(rump_sys_sethostname(NULL, 4), EFAULT);
	T_ERRNO(rump_sys_nanosleep(NULL, NULL), EFAULT);
	T_ERRNO(rump_sys_getrandom((void *)0x7ffffffffff0UL, 64, 0), EFAULT);
}

T_CASE(getrandom_fill, "getrandom fills buffers, checks its flags")
{
	unsigned char a[512], b[512];

	t_boot();
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	T_EQ(rump_sys_getrandom(a, sizeof(a), 0), 512);
	T_EQ(rump_sys_getrandom(b, sizeof(b), GRND_NONBLOCK), 512);
	T_ASSERT(memcmp(a, b, sizeof(a)) != 0);
	T_ERRNO(rump_sys_getrandom(a, 8, 0x80), EINVAL);
	T_ERRNO(rump_sys_getrandom(a, 8, GRND_RANDOM | GRND_INSECURE), EINVAL);
	T_EQ(rump_sys_getrandom(a, 0, 0), 0);
}

static volatile sig_atomic_t got_usr1;

static void
on_usr1(int sig)
{
	(void)sig;
	got_usr1 = 1;
}

T_CASE(kill_self, "kill of the caller's own process raises it in the host")
{
	t_boot();
	signal(SIGUSR1, on_usr1);
	T_OK(rump_sys_kill(rump_sys_getpid(), SIGUSR1));
	T_EQ(got_usr1, 1);
	T_OK(rump_sys_kill(1, 0));
	T_ERRNO(rump_sys_kill(4242, 0), ESRCH);
	T_ERRNO(rump_sys_kill(1, 99), EINVAL);
	T_EQ(rump_pub_lwproc_rfork(0), 0);
	T_OK(rump_sys_kill(1, SIGTERM)); /* recorded in pid 1, not raised */
	T_OK(rump_sys_sched_yield());
}
