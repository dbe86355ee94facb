/*
 * t_lwproc.c — processes and lwps through the rump_lwproc(3) interface:
 * rfork, newlwp, switch, releaselwp and curlwp.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rump/rump.h>

#include "harness.h"
#include "rumptest.h"

T_CASE(implicit_pid1, "a thread with no lwp runs in pid 1, curlwp is NULL")
{
	t_boot();
	T_EQ(rump_sys_getpid(), 1);
	T_EQ(rump_sys_getppid(), 0);
	T_ASSERT(rump_pub_lwproc_curlwp() == NULL);
}

T_CASE(rfork_newpid, "rfork gives a new pid, child of the caller's process")
{
	pid_t a, b;

	t_boot();
	T_EQ(rump_pub_lwproc_rfork(RUMP_RFFDG), 0);
	a = rump_sys_getpid();
	T_ASSERT(a > 1);
	T_EQ(rump_sys_getppid(), 1);
	T_ASSERT(rump_pub_lwproc_curlwp() != NULL);
	T_EQ(rump_pub_lwproc_rfork(RUMP_RFFDG), 0);
	b = rump_sys_getpid();
	T_ASSERT(b > 1 && b != a);
	T_EQ(rump_sys_getppid(), a);
}

T_CASE(rfork_badflags, "rfork with both fd flags or unknown flags is EINVAL")
{
	t_boot();
	T_EQ(rump_pub_lwproc_rfork(RUMP_RFFDG | RUMP_RFCFDG), EINVAL);
	T_EQ(rump_pub_lwproc_rfork(0x100), EINVAL);
	T_EQ(rump_sys_getpid(), 1);
}

T_CASE(inherit_creds, "children inherit the credentials of their parent")
{
	uid_t r, e, s;

	t_boot();
	T_EQ(rump_pub_lwproc_rfork(0), 0);
	T_OK(rump_sys_setresgid(7, 7, 7));
	T_OK(rump_sys_setresuid(5, 6, 5));
	T_EQ(rump_pub_lwproc_rfork(0), 0);
	T_OK(rump_sys_getresuid(&r, &e, &s));
	T_EQ(r, 5);
	T_EQ(e, 6);
	T_EQ(s, 5);
	T_EQ(rump_sys_getgid(), 7);
}

T_CASE(setuid_isolated, "setuid in one rforked process leaves another alone")
{
	struct lwp *a, *b;

	t_boot();
	T_EQ(rump_pub_lwproc_rfork(0), 0);
	a = rump_pub_lwproc_curlwp();
	rump_pub_lwproc_switch(NULL);
	T_EQ(rump_pub_lwproc_rfork(0), 0);
	b = rump_pub_lwproc_curlwp();
	T_OK(rump_sys_setuid(42));
	T_EQ(rump_sys_getuid(), 42);
	rump_pub_lwproc_switch(a);
	T_EQ(rump_sys_getuid(), 0);
	rump_pub_lwproc_switch(NULL);
	T_EQ(rump_sys_getuid(), 0); /* pid 1 too */
	rump_pub_lwproc_switch(b);
	T_EQ(rump_sys_geteuid(), 42);
}

T_CASE(fd_flags, "rfork 0 shares, RFFDG copies, RFCFDG clears the fd table")
{
	int fd;

	t_boot();
	/* pid 1 has the console on 0, 1 and 2. */
	T_OK(rump_sys_fcntl(0, F_GETFD));
	T_OK(rump_sys_fcntl(2, F_GETFD));

	T_EQ(rump_pub_lwproc_rfork(RUMP_RFCFDG), 0);
	T_ERRNO(rump_sys_fcntl(0, F_GETFD), EBADF);
	T_ERRNO(rump_sys_write(1, "x", 1), EBADF);
	rump_pub_lwproc_releaselwp();

	T_EQ(rump_pub_lwproc_rfork(RUMP_RFFDG), 0);
	T_OK(rump_sys_fcntl(1, F_GETFD));
	T_OK(fd = rump_sys_dup(1));
	rump_pub_lwproc_releaselwp();
	T_ERRNO(rump_sys_fcntl(fd, F_GETFD), EBADF); /* a copy: not in pid 1 */

	T_EQ(rump_pub_lwproc_rfork(0), 0);
	T_OK(fd = rump_sys_dup(1));
	rump_pub_lwproc_releaselwp();
	T_OK(rump_sys_fcntl(fd, F_GETFD)); /* shared with pid 1 */
	T_OK(rump_sys_close(fd));
}

T_CASE(newlwp_esrch, "newlwp of a pid that does not exist is ESRCH")
{
	t_boot();
	T_EQ(rump_pub_lwproc_newlwp(31337), ESRCH);
	T_EQ(rump_pub_lwproc_newlwp(-1), ESRCH);
	T_ASSERT(rump_pub_lwproc_curlwp() == NULL);
}

T_CASE(lwps_128, "128 lwps in one process; it goes away with its last lwp")
{
	struct lwp *l[128];
	pid_t pid;

	t_boot();
	T_EQ(rump_pub_lwproc_rfork(RUMP_RFCFDG), 0);
	pid = rump_sys_getpid();
	l[0] = rump_pub_lwproc_curlwp();
	for (int i = 1; i < 128; i++) {
		T_EQ(rump_pub_lwproc_newlwp(pid), 0);
		l[i] = rump_pub_lwproc_curlwp();
		T_ASSERT(l[i] != l[i - 1]);
	}
	for (int i = 0; i < 128; i++) {
		rump_pub_lwproc_switch(l[i]);
		T_EQ(rump_sys_getpid(), pid);
	}
	for (int i = 0; i < 128; i++) {
		rump_pub_lwproc_switch(l[i]);
		rump_pub_lwproc_releaselwp();
		T_ASSERT(rump_pub_lwproc_curlwp() == NULL);
		if (i == 126) {
			/* One lwp left: the process is still there. */
			T_EQ(rump_pub_lwproc_newlwp(pid), 0);
			rump_pub_lwproc_releaselwp();
		}
	}
	T_EQ(rump_pub_lwproc_newlwp(pid), ESRCH);
	T_EQ(rump_sys_getpid(), 1);
}

T_CASE(switch_back, "switching between lwps switches the process context")
{
	struct lwp *a, *b;
	pid_t pa, pb;

	t_boot();
	T_EQ(rump_pub_lwproc_rfork(0), 0);
	a = rump_pub_lwproc_curlwp();
	pa = rump_sys_getpid();
	T_EQ(rump_pub_lwproc_rfork(0), 0);
	b = rump_pub_lwproc_curlwp();
	pb = rump_sys_getpid();
	rump_pub_lwproc_switch(a);
	T_EQ(rump_sys_getpid(), pa);
	rump_pub_lwproc_switch(b);
	T_EQ(rump_sys_getpid(), pb);
	rump_pub_lwproc_switch(NULL);
	T_EQ(rump_sys_getpid(), 1);
}

static void
expect_abort(void (*fn)(void))
{
	pid_t pid = fork();
	int status;

	T_ASSERT(pid != -1);
	if (pid == 0) {
		fn();
		_exit(0);
	}
	T_OK(waitpid(pid, &status, 0));
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT)
		T_FAIL("expected the child to abort, status 0x%x", status);
}

/* The kernel boots in the forked child: threads do not survive fork. */
static void
release_without_lwp(void)
{
	t_boot();
	rump_pub_lwproc_releaselwp();
}

T_CASE(release_nolwp, "releaselwp without an lwp of one's own panics")
{
	expect_abort(release_without_lwp);
}

static struct lwp *busy_lwp;

static void *
switch_to_busy(void *arg)
{
	(void)arg;
	rump_pub_lwproc_switch(busy_lwp);
	return NULL;
}

static void
switch_from_other_thread(void)
{
	pthread_t t;

	t_boot();
	if (rump_pub_lwproc_rfork(0) != 0)
		_exit(1);
	busy_lwp = rump_pub_lwproc_curlwp();
	pthread_create(&t, NULL, switch_to_busy, NULL);
	pthread_join(t, NULL);
}

T_CASE(switch_running, "switching to an lwp bound to another thread panics")
{
	expect_abort(switch_from_other_thread);
}

static void *
rfork_and_exit(void *arg)
{
	struct lwp **lp = arg;

	if (rump_pub_lwproc_rfork(0) != 0)
		return NULL;
	*lp = rump_pub_lwproc_curlwp();
	return NULL; /* exits with the lwp bound */
}

T_CASE(thread_exit_unbinds,
    "an exiting thread's lwp can be taken by another thread")
{
	struct lwp *l = NULL;
	pthread_t t;
	pid_t pid;

	t_boot();
	T_EQ(pthread_create(&t, NULL, rfork_and_exit, &l), 0);
	T_EQ(pthread_join(t, NULL), 0);
	T_ASSERT(l != NULL);
	rump_pub_lwproc_switch(l);
	pid = rump_sys_getpid();
	T_ASSERT(pid > 1);
	rump_pub_lwproc_releaselwp();
	T_EQ(rump_pub_lwproc_newlwp(pid), ESRCH);
}

static void *
one_call(void *arg)
{
	*(int *)arg = rump_sys_getpid();
	return NULL;
}

T_CASE(short_threads, "2000 short-lived threads each make a call in pid 1")
{
	t_boot();
	for (int i = 0; i < 2000; i++) {
		pthread_t t;
		int pid = 0;

		T_EQ(pthread_create(&t, NULL, one_call, &pid), 0);
		T_EQ(pthread_join(t, NULL), 0);
		T_EQ(pid, 1);
	}
}
