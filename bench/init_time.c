/*
 * init_time — the cost of booting: one rump_init() in a fresh process.
 *
 * Prints one line, "<ns> <kB>": the wall time of the rump_init() call alone
 * (CLOCK_MONOTONIC around it) and the resident memory it added (VmRSS from
 * /proc/self/status after minus before).  The status file is read with
 * open/read into a static buffer so the measurement itself allocates
 * nothing.  bench/run.sh runs this program many times, because a boot in a
 * process that has booted before would measure nothing.  The kernel is
 * halted afterwards, outside the measurement, so a failing halt shows too.
 */
#include <fcntl.h>
#include <sys/reboot.h>
#include <unistd.h>

#include <rump/rump.h>

#include "bench.h"

static char status_buf[8192];

/* VmRSS of this process in kB. */
static long
vmrss_kb(void)
{
	ssize_t n, len = 0;
	char *p;
	int fd;

	if ((fd = open("/proc/self/status", O_RDONLY)) == -1)
		bench_fail("open /proc/self/status", errno);
	while ((n = read(fd, status_buf + len,
	            sizeof(status_buf) - 1 - (size_t)len)) > 0)
		len += n;
	if (n == -1)
		bench_fail("read /proc/self/status", errno);
	close(fd);
	status_buf[len] = '\0';
	if ((p = strstr(status_buf, "VmRSS:")) == NULL)
		bench_fail("no VmRSS in /proc/self/status", ENOENT);
	return strtol(p + 6, NULL, 10);
}

int
main(void)
{
	uint64_t t0, t1;
	long rss0, rss1;
	int error;

	rss0 = vmrss_kb();
	t0 = bench_now_ns();
	error = rump_init();
	t1 = bench_now_ns();
	rss1 = vmrss_kb();
	if (error != 0)
		bench_fail("rump_init", error);
	printf("%llu %ld\n", (unsigned long long)(t1 - t0), rss1 - rss0);
	if (rump_sys_reboot(RB_HALT_SYSTEM) == -1)
		bench_fail("rump_sys_reboot", errno);
	return 0;
}
