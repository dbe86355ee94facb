/*
 * kern_time.c — clocks and sleeping, and the time system calls:
 * gettimeofday, clock_gettime, clock_getres, nanosleep, clock_nanosleep.
 *
 * The monotonic clock is the platform's ABSMONO clock counted from boot;
 * the wall clock is the platform's RELWALL clock.  Sleeps release the
 * virtual CPU (the hypercall does it).
 */
#include "syscall.h"

uint64_t boottime_ns;        /* wall clock at boot */
static uint64_t bootmono_ns; /* monotonic clock at boot */

#define NS 1000000000ULL

static uint64_t
hyp_clock(int which)
{
	int64_t sec;
	long nsec;

	if (rumpuser_clock_gettime(which, &sec, &nsec) != 0)
		panic("hyp_clock: the platform clock %d failed", which);
	return (uint64_t)sec * NS + (uint64_t)nsec;
}

void time_init(void);
void
time_init(void)
{
	bootmono_ns = hyp_clock(RUMPUSER_CLOCK_ABSMONO);
	boottime_ns = hyp_clock(RUMPUSER_CLOCK_RELWALL);
}

uint64_t
getnanouptime(void)
{
	return hyp_clock(RUMPUSER_CLOCK_ABSMONO) - bootmono_ns;
}

uint64_t
getnanotime(void)
{
	return hyp_clock(RUMPUSER_CLOCK_RELWALL);
}

void
kpause_ns(uint64_t ns)
{
	(void)rumpuser_clock_sleep(
	    RUMPUSER_CLOCK_RELWALL, (int64_t)(ns / NS), (long)(ns % NS));
}

/* Sleeps until monotonic uptime `deadline`. */
static void
kpause_until(uint64_t deadline)
{
	uint64_t abs = deadline + bootmono_ns;

	(void)rumpuser_clock_sleep(
	    RUMPUSER_CLOCK_ABSMONO, (int64_t)(abs / NS), (long)(abs % NS));
}

static void
ns_to_ts(uint64_t ns, struct timespec *ts)
{
	ts->tv_sec = (time_t)(ns / NS);
	ts->tv_nsec = (long)(ns % NS);
}

static int
ts_to_ns(const struct timespec *ts, uint64_t *ns)
{
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= (long)NS)
		return EINVAL;
	if ((uint64_t)ts->tv_sec > (UINT64_MAX - NS) / NS)
		*ns = UINT64_MAX / 2;
	else
		*ns = (uint64_t)ts->tv_sec * NS + (uint64_t)ts->tv_nsec;
	return 0;
}

/* The value of clock id in nanoseconds; monotonic clocks count from boot. */
static int
clock_read(clockid_t id, uint64_t *ns)
{
	switch (id) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
		*ns = getnanotime();
		return 0;
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
		*ns = getnanouptime();
		return 0;
	default:
		return EINVAL;
	}
}

int
sys_gettimeofday(
    struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(gettimeofday);
	int error = 0;

	if (SCARG(uap, tv) != NULL) {
		uint64_t ns = getnanotime();
		struct timeval tv = {
		    (time_t)(ns / NS), (suseconds_t)(ns % NS / 1000)};

		error = copyout(&tv, SCARG(uap, tv), sizeof(tv));
	}
	if (error == 0 && SCARG(uap, tz) != NULL) {
		struct timezone tz = {0, 0};

		error = copyout(&tz, SCARG(uap, tz), sizeof(tz));
	}
	return error;
}

int
sys_clock_gettime(
    struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(clock_gettime);
	struct timespec ts;
	uint64_t ns;
	int error;

	if ((error = clock_read(SCARG(uap, clockid), &ns)) != 0)
		return error;
	ns_to_ts(ns, &ts);
	return copyout(&ts, SCARG(uap, tp), sizeof(ts));
}

int
sys_clock_getres(
    struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(clock_getres);
	struct timespec ts = {0, 1};
	uint64_t ns;
	int error;

	if ((error = clock_read(SCARG(uap, clockid), &ns)) != 0)
		return error;
	if (SCARG(uap, res) == NULL)
		return 0;
	return copyout(&ts, SCARG(uap, res), sizeof(ts));
}

static int
dosleep(
    clockid_t id, int flags, const struct timespec *ureq, struct timespec *urem)
{
	struct timespec req;
	uint64_t ns, now;
	int error;

	if ((error = copyin(ureq, &req, sizeof(req))) != 0)
		return error;
	if ((error = ts_to_ns(&req, &ns)) != 0)
		return error;
	if ((error = clock_read(id, &now)) != 0)
		return error;
	if (flags & TIMER_ABSTIME) {
		if (ns <= now)
			return 0;
		ns -= now;
	}
	/* Sleep on the monotonic clock, so a wall-clock step cannot cut it. */
	kpause_until(getnanouptime() + ns);
	(void)urem; /* nothing interrupts a sleep: nothing remains */
	return 0;
}

int
sys_nanosleep(
    struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(nanosleep);

	return dosleep(CLOCK_MONOTONIC, 0, SCARG(uap, req), SCARG(uap, rem));
}

int
sys_clock_nanosleep(
    struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(clock_nanosleep);

	if (SCARG(uap, flags) & ~TIMER_ABSTIME)
		return EINVAL;
	return dosleep(SCARG(uap, clockid), SCARG(uap, flags), SCARG(uap, req),
	    SCARG(uap, rem));
}
