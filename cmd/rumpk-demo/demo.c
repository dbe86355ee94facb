/*
 * rumpk-demo — boots a rump kernel inside this process and shows what it
 * does: system calls in the implicit context of pid 1, a new process made
 * with rfork and its own credentials, a write to the kernel's console, and
 * a clean halt.  Everything uses the host's own <unistd.h>, <sys/utsname.h>
 * and errno values, because the kernel speaks the Linux ABI.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/utsname.h>
#include <time.h>

#include <rump/rump.h>

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int
main(void)
{
	struct utsname u;
	double t0 = now_ms();
	int error;

	if ((error = rump_init()) != 0) {
		fprintf(stderr, "rump_init: %s\n", strerror(error));
		return 1;
	}
	printf("booted a rump kernel in %.3f ms\n", now_ms() - t0);
	if (rump_sys_uname(&u) == -1) {
		perror("rump_sys_uname");
		return 1;
	}
	printf("uname: %s %s %s %s\n", u.sysname, u.nodename, u.release,
	    u.machine);
	printf("implicit context: pid %d, uid %d\n", rump_sys_getpid(),
	    rump_sys_getuid());

	if ((error = rump_pub_lwproc_rfork(RUMP_RFFDG)) != 0) {
		fprintf(stderr, "rfork: %s\n", strerror(error));
		return 1;
	}
	printf("rfork: new process pid %d, parent %d\n", rump_sys_getpid(),
	    rump_sys_getppid());
	if (rump_sys_setuid(1000) == -1) {
		perror("rump_sys_setuid");
		return 1;
	}
	printf("setuid(1000) in pid %d: uid now %d\n", rump_sys_getpid(),
	    rump_sys_getuid());
	if (rump_sys_setuid(0) == -1)
		printf("setuid(0) back as uid 1000: %s, as it should be\n",
		    strerror(errno));

	const char msg[] = "hello from inside the kernel (its console, fd 1)\n";
	fflush(stdout);
	if (rump_sys_write(1, msg, sizeof(msg) - 1) != (ssize_t)sizeof(msg) - 1)
		perror("rump_sys_write");
	rump_pub_lwproc_releaselwp();
	printf("released the process; back in pid %d with uid %d\n",
	    rump_sys_getpid(), rump_sys_getuid());

	if (rump_sys_reboot(RB_HALT_SYSTEM) == -1) {
		perror("rump_sys_reboot");
		return 1;
	}
	printf("halted; a call now gives: %s\n",
	    rump_sys_getpid() == -1 ? strerror(errno) : "(no error?)");
	return 0;
}
