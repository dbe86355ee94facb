/*
 * sp_exec_child.c — the image t_sysproxy's exec case runs with
 * rumpclient_exec: it takes the kernel process over and checks that
 * descriptor argv[1] survived and argv[2] (close-on-exec) did not, and
 * that its pid is still argv[3].  Exit status 0 when all holds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <rump/rumpclient.h>

int
main(int argc, char **argv)
{
	struct stat st;

	if (argc != 4 || rumpclient_init() != 0) {
		perror("sp_exec_child");
		return 2;
	}
	if (rump_sys_fstat(atoi(argv[1]), &st) != 0) {
		fprintf(stderr, "sp_exec_child: fd %s: %d\n", argv[1], errno);
		return 3;
	}
	if (rump_sys_fstat(atoi(argv[2]), &st) == 0 || errno != EBADF) {
		fprintf(stderr, "sp_exec_child: fd %s survived\n", argv[2]);
		return 4;
	}
	if (rump_sys_getpid() != atoi(argv[3])) {
		fprintf(stderr, "sp_exec_child: pid changed\n");
		return 5;
	}
	return 0;
}
