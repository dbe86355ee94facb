/*
 * harness.c — runs the cases a test program declared with T_CASE(), each in
 * a forked child under a time limit; see harness.h.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "harness.h"

#include <signal.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern const struct t_case __start_t_cases[], __stop_t_cases[];

#define T_EXIT_SKIP 77

void
t_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "  %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(NULL);
	_exit(1);
}

void
t_skip(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "  SKIP reason: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(NULL);
	_exit(T_EXIT_SKIP);
}

uint64_t
t_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static const char *
progname(const char *argv0)
{
	const char *s = strrchr(argv0, '/');

	return s ? s + 1 : argv0;
}

static int
selected(const struct t_case *tc, int argc, char **argv)
{
	if (argc < 2)
		return 1;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], tc->tc_name) == 0)
			return 1;
	return 0;
}

/* Runs one case in a child; returns 0 pass, 1 fail, 2 skip. */
static int
run_case(const struct t_case *tc, unsigned timeout)
{
	uint64_t t0 = t_now_ns();
	pid_t pid;
	int status;

	fflush(NULL);
	pid = fork();
	if (pid == -1) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		setpgid(0, 0);
		alarm(timeout);
		tc->tc_fn();
		fflush(NULL);
		_exit(0);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return 1;
	/* Whatever the case left behind in its process group goes too. */
	kill(-pid, SIGKILL);
	double secs = (double)(t_now_ns() - t0) / 1e9;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		printf("PASS %s (%.2fs)\n", tc->tc_name, secs);
		return 0;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == T_EXIT_SKIP) {
		printf("SKIP %s\n", tc->tc_name);
		return 2;
	}
	if (WIFSIGNALED(status))
		printf("FAIL %s: killed by signal %d%s (%.2fs)\n", tc->tc_name,
		    WTERMSIG(status),
		    WTERMSIG(status) == SIGALRM ? " (time limit)" : "", secs);
	else
		printf("FAIL %s: exit status %d (%.2fs)\n", tc->tc_name,
		    WEXITSTATUS(status), secs);
	return 1;
}

int
main(int argc, char **argv)
{
	const char *to = getenv("T_TIMEOUT");
	unsigned timeout = to ? (unsigned)atoi(to) : 120;
	int counts[3] = {0, 0, 0}, found = 0;

	if (argc == 2 && strcmp(argv[1], "-l") == 0) {
		for (const struct t_case *tc = __start_t_cases;
		     tc < __stop_t_cases; tc++)
			printf("%-28s %s\n", tc->tc_name, tc->tc_desc);
		return 0;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (const struct t_case *tc = __start_t_cases; tc < __stop_t_cases;
	     tc++) {
		if (!selected(tc, argc, argv))
			continue;
		found++;
		counts[run_case(tc, timeout)]++;
	}
	if (argc >= 2 && found != argc - 1) {
		fprintf(
		    stderr, "%s: unknown case name given\n", progname(argv[0]));
		counts[1]++;
	}
	printf("%s: %d passed, %d failed, %d skipped\n", progname(argv[0]),
	    counts[0], counts[1], counts[2]);
	return counts[1] ? 1 : 0;
}
