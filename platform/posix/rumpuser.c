/*
 * rumpuser.c — the small hypercalls of the POSIX platform: initialisation
 * and the upcall table, the errno translation, parameters, errno of the
 * caller, signals and exit, the console, random numbers, clocks and memory.
 * Threads and locks are in rumpuser_pth.c, files in rumpuser_file.c, block
 * I/O in rumpuser_bio.c.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "rumpuser_int.h"

struct rumpuser_hyperup rumpuser__hyp;

/*
 * Initialisation
 */

RUMPUSER_EXPORT int
rumpuser_init(int version, const struct rumpuser_hyperup *hyp)
{
	if (version != RUMPUSER_VERSION) {
		fprintf(stderr,
		    "rumpuser: version mismatch: kernel wants %d, platform "
		    "provides %d\n",
		    version, RUMPUSER_VERSION);
		return EINVAL;
	}
	if (hyp == NULL)
		return EINVAL;
	rumpuser__hyp = *hyp;
	return 0;
}

/*
 * Errors
 */

#if defined(__linux__)
/* The kernel numbers errors as Linux does: nothing to translate. */
int
rumpuser__errtrans(int host_error)
{
	return host_error;
}
#else
/*
 * Another host goes here: a table from its errno values to Linux's, e.g.
 * { [EAGAIN] = 11, [EDEADLK] = 35, ... }, with EIO for anything unknown.
 */
#error "rumpuser__errtrans: write the host errno -> Linux errno table"
#endif

void
rumpuser__check(int rv, const char *what)
{
	if (rv == 0)
		return;
	fprintf(stderr, "rumpuser: %s: %s\n", what, strerror(rv));
	abort();
}

/*
 * The kernel passes Linux numbers, which are the host's here; a non-Linux
 * host would map back through the inverse of rumpuser__errtrans().
 */
RUMPUSER_EXPORT void
rumpuser_seterrno(int error)
{
	errno = error;
}

/*
 * Parameters
 */

static int
param_ncpu(char *val, size_t vallen)
{
	const char *env = getenv("RUMP_NCPU");
	long n;
	char *end;

	if (env == NULL || strcmp(env, "host") == 0) {
		n = sysconf(_SC_NPROCESSORS_ONLN);
		if (n < 1)
			n = 1;
	} else {
		errno = 0;
		n = strtol(env, &end, 10);
		if (errno != 0 || end == env || *end != '\0' || n < 1 ||
		    n > INT_MAX) {
			fprintf(stderr,
			    "rumpuser: RUMP_NCPU=\"%s\": want a number or "
			    "\"host\"\n",
			    env);
			return EINVAL;
		}
	}
	snprintf(val, vallen, "%ld", n);
	return 0;
}

static void
param_hostname(char *val, size_t vallen)
{
	char host[256];

	if (gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = '\0';
		snprintf(val, vallen, "rump-%05d.%s", (int)getpid(), host);
	} else {
		snprintf(val, vallen, "rump-%05d", (int)getpid());
	}
}

/*
 * Names starting with '_' are the mandatory parameters, which we compute;
 * anything else comes from the environment.  A buffer too small for the
 * value and its NUL gives E2BIG (as with an argument list too long), and
 * buf is then left untouched.
 */
RUMPUSER_EXPORT int
rumpuser_getparam(const char *name, void *buf, size_t buflen)
{
	char tmp[300];
	const char *val;
	size_t len;
	int error = 0;

	if (strcmp(name, RUMPUSER_PARAM_NCPU) == 0) {
		if ((error = param_ncpu(tmp, sizeof(tmp))) != 0)
			goto out;
		val = tmp;
	} else if (strcmp(name, RUMPUSER_PARAM_HOSTNAME) == 0) {
		param_hostname(tmp, sizeof(tmp));
		val = tmp;
	} else if (name[0] == '_') {
		error = EINVAL;
		goto out;
	} else if ((val = getenv(name)) == NULL) {
		error = ENOENT;
		goto out;
	}
	len = strlen(val);
	if (len >= buflen) {
		error = E2BIG;
		goto out;
	}
	memcpy(buf, val, len + 1);
out:
	return error;
}

/*
 * Signals and exit
 */

RUMPUSER_EXPORT int
rumpuser_kill(int64_t pid, int sig)
{
	int rv;

	if (pid == RUMPUSER_PID_SELF || pid == (int64_t)getpid())
		rv = raise(sig);
	else if (pid <= 0 || pid > INT_MAX)
		return EINVAL; /* no process groups, no broadcast */
	else
		rv = kill((pid_t)pid, sig);
	return rv == 0 ? 0 : rumpuser__errtrans(errno);
}

RUMPUSER_EXPORT void
rumpuser_exit(int value)
{
	rumpuser__putchar_flush();
	if (value == RUMPUSER_PANIC) {
		fprintf(stderr, "rump kernel halted (panic)\n");
		abort();
	}
	exit(value);
}

/*
 * Console.  rumpuser_putchar() collects a line per thread and writes it
 * with one write(2), so lines of different threads do not interleave by
 * character.  It writes to standard error, not standard output (NetBSD's
 * choice): kernel messages must not mix into the data a program prints.
 */

#define PUTCHAR_BUFSZ 256

static __thread struct {
	size_t pc_len;
	char pc_buf[PUTCHAR_BUFSZ];
} putchar_line;

void
rumpuser__putchar_flush(void)
{
	size_t done = 0;
	ssize_t n;

	while (done < putchar_line.pc_len) {
		n = write(STDERR_FILENO, putchar_line.pc_buf + done,
		    putchar_line.pc_len - done);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* nowhere to write to: drop the line */
		done += (size_t)n;
	}
	putchar_line.pc_len = 0;
}

RUMPUSER_EXPORT void
rumpuser_putchar(int ch)
{
	int saved_errno = errno;

	putchar_line.pc_buf[putchar_line.pc_len++] = (char)ch;
	if (ch == '\n' || putchar_line.pc_len == PUTCHAR_BUFSZ)
		rumpuser__putchar_flush();
	errno = saved_errno;
}

RUMPUSER_EXPORT void
rumpuser_dprintf(const char *fmt, ...)
{
	int saved_errno = errno;
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	errno = saved_errno;
}

/*
 * Random numbers.  getrandom(2) may return fewer bytes than asked (the
 * urandom source gives at most 32 MiB a call, the random one much less);
 * the caller sees the count in *retp.  HARD asks for the blocking pool.
 */
RUMPUSER_EXPORT int
rumpuser_getrandom(void *buf, size_t buflen, int flags, size_t *retp)
{
	unsigned int gflags = 0;
	int nlocks = 0, error;
	ssize_t n;

	if (flags & ~(RUMPUSER_RANDOM_HARD | RUMPUSER_RANDOM_NOWAIT))
		return EINVAL;
	if (flags & RUMPUSER_RANDOM_NOWAIT)
		gflags |= GRND_NONBLOCK;
	if (flags & RUMPUSER_RANDOM_HARD)
		gflags |= GRND_RANDOM;
	/* Without NOWAIT it waits, early in boot, for the pool to fill. */
	if ((flags & RUMPUSER_RANDOM_NOWAIT) == 0)
		nlocks = rumpuser__unschedule();
	do
		n = getrandom(buf, buflen, gflags);
	while (n == -1 && errno == EINTR);
	error = n == -1 ? errno : 0;
	if ((flags & RUMPUSER_RANDOM_NOWAIT) == 0)
		rumpuser__reschedule(nlocks);
	if (error != 0) {
		*retp = 0;
		return rumpuser__errtrans(error);
	}
	*retp = (size_t)n;
	return 0;
}

/*
 * Clocks
 */

RUMPUSER_EXPORT int
rumpuser_clock_gettime(int enum_rumpclock, int64_t *sec, long *nsec)
{
	struct timespec ts;
	clockid_t clk;

	switch (enum_rumpclock) {
	case RUMPUSER_CLOCK_RELWALL:
		clk = CLOCK_REALTIME;
		break;
	case RUMPUSER_CLOCK_ABSMONO:
		clk = CLOCK_MONOTONIC;
		break;
	default:
		return EINVAL;
	}
	if (clock_gettime(clk, &ts) == -1)
		return rumpuser__errtrans(errno);
	*sec = (int64_t)ts.tv_sec;
	*nsec = ts.tv_nsec;
	return 0;
}

/*
 * RELWALL sleeps for a duration (measured on the monotonic clock, so that
 * setting the wall clock does not stretch it); ABSMONO sleeps until the
 * monotonic clock reaches a time.  Either is restarted after a signal.
 */
RUMPUSER_EXPORT int
rumpuser_clock_sleep(int enum_rumpclock, int64_t sec, long nsec)
{
	struct timespec ts;
	int flags, nlocks, rv;

	if (nsec < 0 || nsec >= 1000000000L)
		return EINVAL;
	switch (enum_rumpclock) {
	case RUMPUSER_CLOCK_RELWALL:
		flags = 0;
		break;
	case RUMPUSER_CLOCK_ABSMONO:
		flags = TIMER_ABSTIME;
		break;
	default:
		return EINVAL;
	}
	if (sec < 0)
		return 0; /* a duration or a time already passed */
	ts.tv_sec = (time_t)sec;
	ts.tv_nsec = nsec;

	nlocks = rumpuser__unschedule();
	/* clock_nanosleep() returns the error; the remainder is in ts. */
	while (
	    (rv = clock_nanosleep(CLOCK_MONOTONIC, flags, &ts, &ts)) == EINTR)
		continue;
	rumpuser__reschedule(nlocks);
	return rumpuser__errtrans(rv);
}

/*
 * Memory
 */

RUMPUSER_EXPORT int
rumpuser_malloc(size_t len, int alignment, void **memp)
{
	size_t align = (size_t)alignment;
	void *mem;
	int rv;

	if (alignment < 0 || (align & (align - 1)) != 0)
		return EINVAL;
	/* posix_memalign() wants a power of two of at least a pointer. */
	if (align < sizeof(void *))
		align = sizeof(void *);
	rv = posix_memalign(&mem, align, len);
	if (rv != 0)
		return rumpuser__errtrans(rv);
	*memp = mem;
	return 0;
}

RUMPUSER_EXPORT void
rumpuser_free(void *mem, size_t len)
{
	(void)len;
	free(mem);
}

/*
 * An alignment larger than a page is had by mapping alignment more bytes
 * than asked and unmapping the unaligned head and the tail.
 */
RUMPUSER_EXPORT int
rumpuser_anonmmap(
    void *prefaddr, size_t size, int alignbit, int exec, void **memp)
{
	size_t pagesz = (size_t)sysconf(_SC_PAGESIZE);
	size_t align, maplen, head, tail;
	uintptr_t base, aligned;
	int prot = PROT_READ | PROT_WRITE;
	void *mem;

	if (exec)
		prot |= PROT_EXEC;
	if (alignbit < 0 || alignbit >= (int)(sizeof(size_t) * CHAR_BIT))
		return EINVAL;
	align = (size_t)1 << alignbit;
	if (size == 0)
		return EINVAL;
	if (align <= pagesz) {
		mem = mmap(
		    prefaddr, size, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (mem == MAP_FAILED)
			return rumpuser__errtrans(errno);
		*memp = mem;
		return 0;
	}

	size = (size + pagesz - 1) & ~(pagesz - 1);
	if (size + align < size)
		return ENOMEM;
	maplen = size + align;
	mem = mmap(prefaddr, maplen, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return rumpuser__errtrans(errno);
	base = (uintptr_t)mem;
	aligned = (base + align - 1) & ~(uintptr_t)(align - 1);
	head = aligned - base;
	tail = maplen - head - size;
	if (head != 0)
		munmap(mem, head);
	if (tail != 0)
		munmap((void *)(aligned + size), tail);
	*memp = (void *)aligned;
	return 0;
}

RUMPUSER_EXPORT void
rumpuser_unmap(void *addr, size_t len)
{
	munmap(addr, len);
}
