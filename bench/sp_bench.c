/*
 * sp_bench.c — remote-client benchmarks (linked with librumpclient; or,
 * built as sp_local with SP_LOCAL, the same loops on a kernel in this
 * process).  Prints raw samples, one metric a line; bench/run.sh makes
 * medians and bench/results/sysproxy.json.
 *
 *   sp_bench pingpong REPS N  bare unix-socket round trips between two
 *                             host processes, frames of the getpid sizes
 *   sp_bench getpid REPS N    remote getpid round trips (RUMP_SERVER)
 *   sp_bench ofrc REPS N      open+fstat+read 4 KiB+close, and the frames
 *                             each call took
 *   sp_bench multi REPS MS K  K client processes doing getpid for MS ms
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#ifdef SP_LOCAL
#include <rump/rump.h>
#else
#include <rump/rumpclient.h>
void rumpclient__frames(uint64_t *sent, uint64_t *received);
#endif

#define REQ_LEN  32 /* a getpid request: header + empty body */
#define RESP_LEN 48 /* its reply: header + retval[2] + chunk count */

static void
pingpong(int reps, long n)
{
	double v[64];
	char buf[64];
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		bench_fail("socketpair", errno);
	if ((pid = fork()) == 0) {
		close(sv[0]);
		for (;;) {
			if (read(sv[1], buf, REQ_LEN) <= 0)
				_exit(0);
			if (write(sv[1], buf, RESP_LEN) != RESP_LEN)
				_exit(1);
		}
	}
	close(sv[1]);
	memset(buf, 0, sizeof(buf));
	for (int r = 0; r < reps; r++) {
		uint64_t t0 = bench_now_ns();

		for (long i = 0; i < n; i++) {
			if (write(sv[0], buf, REQ_LEN) != REQ_LEN ||
			    read(sv[0], buf, RESP_LEN) != RESP_LEN)
				bench_fail("pingpong", errno);
		}
		v[r] = (double)(bench_now_ns() - t0) / (double)n;
	}
	close(sv[0]);
	waitpid(pid, NULL, 0);
	bench_print("pingpong_ns", v, reps, 0);
}

static void
boot(void)
{
#ifdef SP_LOCAL
	if (rump_init() != 0 || rump_pub_lwproc_rfork(RUMP_RFCFDG) != 0)
		bench_fail("rump_init", EINVAL);
#else
	if (rumpclient_init() != 0)
		bench_fail("rumpclient_init", errno);
#endif
}

static void
getpid_loop(int reps, long n)
{
	double v[64];

	boot();
	for (int r = 0; r < reps; r++) {
		uint64_t t0 = bench_now_ns();

		for (long i = 0; i < n; i++)
			if (rump_sys_getpid() < 0)
				bench_fail("getpid", errno);
		v[r] = (double)(bench_now_ns() - t0) / (double)n;
	}
	bench_print("getpid_ns", v, reps, 0);
}

static void
ofrc(int reps, long n)
{
	static char data[4096], back[4096];
	double v[64];
	struct stat st;
	int fd;

	boot();
	fd = rump_sys_open("/bench", O_CREAT | O_RDWR, 0644);
	if (fd < 0 || rump_sys_write(fd, data, sizeof(data)) != 4096 ||
	    rump_sys_close(fd) != 0)
		bench_fail("setup", errno);
	for (int r = 0; r < reps; r++) {
		uint64_t t0 = bench_now_ns();

		for (long i = 0; i < n; i++) {
			if ((fd = rump_sys_open("/bench", O_RDONLY)) < 0 ||
			    rump_sys_fstat(fd, &st) != 0 ||
			    rump_sys_read(fd, back, sizeof(back)) != 4096 ||
			    rump_sys_close(fd) != 0)
				bench_fail("ofrc", errno);
		}
		v[r] = (double)(bench_now_ns() - t0) / (double)n;
	}
	bench_print("ofrc_ns", v, reps, 0);
#ifndef SP_LOCAL
	{
		uint64_t s0, r0, s1, r1;
		double f;

		rumpclient__frames(&s0, &r0);
		fd = rump_sys_open("/bench", O_RDONLY);
		rump_sys_fstat(fd, &st);
		rump_sys_read(fd, back, sizeof(back));
		rump_sys_close(fd);
		rumpclient__frames(&s1, &r1);
		f = (double)(s1 - s0) / 4.0;
		bench_print("ofrc_roundtrips_per_call", &f, 1, 2);
		f = (double)(r1 - r0) / 4.0;
		bench_print("ofrc_replies_per_call", &f, 1, 2);
	}
#endif
}

static void
multi(int reps, long ms, int k)
{
	double v[64];

	for (int r = 0; r < reps; r++) {
		int p[2];
		long total = 0;
		pid_t kids[256];

		if (pipe(p) < 0)
			bench_fail("pipe", errno);
		for (int i = 0; i < k; i++) {
			if ((kids[i] = fork()) == 0) {
				uint64_t end;
				long calls = 0;

				boot();
				rump_sys_getpid(); /* connected before timing */
				end = bench_now_ns() + (uint64_t)ms * 1000000;
				while (bench_now_ns() < end) {
					for (int j = 0; j < 64; j++)
						rump_sys_getpid();
					calls += 64;
				}
				if (write(p[1], &calls, sizeof(calls)) < 0)
					_exit(1);
				_exit(0);
			}
		}
		close(p[1]);
		for (int i = 0; i < k; i++) {
			long c = 0;

			if (read(p[0], &c, sizeof(c)) == sizeof(c))
				total += c;
			waitpid(kids[i], NULL, 0);
		}
		close(p[0]);
		v[r] = (double)total * 1000.0 / (double)ms;
	}
	bench_print("multi_calls_per_s", v, reps, 0);
}

int
main(int argc, char **argv)
{
	int reps;

	if (argc < 4)
		bench_fail("usage: sp_bench MODE REPS N [K]", EINVAL);
	reps = atoi(argv[2]);
	if (reps < 1 || reps > 64)
		bench_fail("REPS (1 to 64)", EINVAL);
	if (strcmp(argv[1], "pingpong") == 0)
		pingpong(reps, atol(argv[3]));
	else if (strcmp(argv[1], "getpid") == 0)
		getpid_loop(reps, atol(argv[3]));
	else if (strcmp(argv[1], "ofrc") == 0)
		ofrc(reps, atol(argv[3]));
	else if (strcmp(argv[1], "multi") == 0 && argc == 5)
		multi(reps, atol(argv[3]), atoi(argv[4]));
	else
		bench_fail(argv[1], EINVAL);
	return 0;
}
