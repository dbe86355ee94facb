/*
 * rumpuser_daemonize.c — turning a kernel server into a daemon whose start
 * the shell can still see fail.
 *
 * begin() forks before the kernel starts any thread (threads do not survive
 * fork): the parent stays in the foreground, waiting on a pipe, and exits
 * with the status the child sends; the child goes on in a new session.
 * When the service is up (or has failed), the child calls done(error): on
 * success its stdio goes to /dev/null, and either way the parent learns the
 * outcome (0 success, else an errno) and exits with it.
 *
 * States: IDLE --begin--> BEGUN (in the child) --done--> DONE.  begin()
 * other than from IDLE is EINPROGRESS; done() other than from BEGUN is
 * ENOENT.  Single-threaded by contract, so the state needs no lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "rumpuser_int.h"

static enum { DMN_IDLE, DMN_BEGUN, DMN_DONE } dmn_state = DMN_IDLE;
static int dmn_pipe = -1; /* [BEGUN] child's end, to report on */

/* The parent: wait for the child's word and exit with it. */
static void __attribute__((noreturn)) dmn_parent(int rfd)
{
	int status;
	ssize_t n;

	do
		n = read(rfd, &status, sizeof(status));
	while (n == -1 && errno == EINTR);
	if (n != (ssize_t)sizeof(status)) {
		fprintf(stderr, "rumpuser: daemon died before it was up\n");
		status = EXIT_FAILURE;
	}
	_exit(status);
}

RUMPUSER_EXPORT int
rumpuser_daemonize_begin(void)
{
	int fds[2], error = 0;
	pid_t pid;

	if (dmn_state != DMN_IDLE)
		return EINPROGRESS;
	if (pipe2(fds, O_CLOEXEC) == -1)
		return rumpuser__errtrans(errno);
	fflush(NULL); /* or both processes print what is buffered */
	if ((pid = fork()) == -1) {
		error = rumpuser__errtrans(errno);
		close(fds[0]);
		close(fds[1]);
		goto out;
	}
	if (pid != 0) {
		close(fds[1]);
		dmn_parent(fds[0]);
	}
	close(fds[0]);
	dmn_pipe = fds[1];
	dmn_state = DMN_BEGUN;
	if (setsid() == -1)
		error = rumpuser__errtrans(errno); /* still a daemon of sorts */
out:
	return error;
}

static int
dmn_devnull(void)
{
	int fd, error = 0;

	if ((fd = open("/dev/null", O_RDWR)) == -1)
		return errno;
	for (int i = STDIN_FILENO; i <= STDERR_FILENO; i++)
		if (dup2(fd, i) == -1 && error == 0)
			error = errno;
	if (fd > STDERR_FILENO)
		close(fd);
	return error;
}

RUMPUSER_EXPORT int
rumpuser_daemonize_done(int error)
{
	int status = error, rv = 0;
	ssize_t n;

	if (dmn_state != DMN_BEGUN)
		return ENOENT;
	if (status == 0) {
		fflush(NULL);
		rv = dmn_devnull();
		status = rv;
	}
	do
		n = write(dmn_pipe, &status, sizeof(status));
	while (n == -1 && errno == EINTR);
	if (n == -1 && rv == 0)
		rv = errno;
	close(dmn_pipe);
	dmn_pipe = -1;
	dmn_state = DMN_DONE;
	return rumpuser__errtrans(rv);
}
