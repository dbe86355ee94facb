/*
 * t_boot.c — booting and halting: many fresh processes in a row, the
 * version check of the hypercall interface, verbose boot.
 */
#define LIBRUMPUSER 1
#include <stdint.h>
#include <stdio.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rump/rump.h>
#include <rump/rumpuser.h>

#include "harness.h"

T_CASE(boot_halt_50, "boot and halt in 50 fresh processes")
{
	for (int i = 0; i < 50; i++) {
		pid_t pid = fork();
		int status;

		T_ASSERT(pid != -1);
		if (pid == 0) {
			if (rump_init() != 0 || rump_sys_getpid() != 1 ||
			    rump_pub_lwproc_rfork(RUMP_RFFDG) != 0 ||
			    rump_sys_reboot(RB_HALT_SYSTEM) != 0)
				_exit(1);
			_exit(0);
		}
		T_OK(waitpid(pid, &status, 0));
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			T_FAIL("process %d: status 0x%x", i, status);
	}
}

T_CASE(
    poweroff_exits, "reboot(RB_POWER_OFF) ends the host process with status 0")
{
	pid_t pid = fork();
	int status;

	T_ASSERT(pid != -1);
	if (pid == 0) {
		if (rump_init() != 0)
			_exit(1);
		rump_sys_reboot(RB_POWER_OFF);
		_exit(2);
	}
	T_OK(waitpid(pid, &status, 0));
	T_ASSERT(WIFEXITED(status));
	T_EQ(WEXITSTATUS(status), 0);
}

T_CASE(
    version_mismatch, "rumpuser_init with a wrong version fails with a message")
{
	struct rumpuser_hyperup hyp;
	int p[2], error;
	char msg[256] = "";

	memset(&hyp, 0, sizeof(hyp));
	T_OK(pipe(p));
	fflush(stderr);
	int saved = dup(2);
	dup2(p[1], 2);
	error = rumpuser_init(RUMPUSER_VERSION + 1, &hyp);
	fflush(stderr);
	dup2(saved, 2);
	close(p[1]);
	ssize_t n = read(p[0], msg, sizeof(msg) - 1);
	T_ASSERT(n > 0);
	msg[n] = '\0';
	T_ASSERT(error != 0);
	T_ASSERT(strstr(msg, "version") != NULL);
	/* The kernel itself still boots on the right version. */
	T_EQ(rump_init(), 0);
}

T_CASE(verbose_boot, "RUMP_VERBOSE=1 prints the boot messages")
{
	int p[2];
	char msg[4096] = "";

	T_OK(pipe(p));
	setenv("RUMP_VERBOSE", "1", 1);
	setenv("RUMP_NCPU", "3", 1);
	int saved = dup(2);
	dup2(p[1], 2);
	T_EQ(rump_init(), 0);
	T_OK(rump_sys_reboot(RB_HALT_SYSTEM));
	dup2(saved, 2);
	close(p[1]);
	ssize_t n = read(p[0], msg, sizeof(msg) - 1);
	T_ASSERT(n > 0);
	msg[n] = '\0';
	if (strstr(msg, "3 virtual CPUs") == NULL ||
	    strstr(msg, "halted") == NULL)
		T_FAIL("boot messages: %s", msg);
}
