/*
 * t_poll.c — poll, ppoll, select and pselect6 over pipes and the console,
 * with the host's <poll.h> and <sys/select.h>: readiness, wakeups from
 * other threads, timeouts that do not end early, POLLHUP, POLLERR,
 * POLLNVAL, EBADF, EINVAL, EFAULT, the time left written back by select,
 * and many pollers on one pipe.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <unistd.h>

#include <rump/rump.h>

#include "harness.h"
#include "rumptest.h"

#define MS 1000000ull

static void
sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

struct delayed {
	int fd;
	int ms;
	int close; /* close fd instead of writing a byte */
};

static void *
delayed_act(void *arg)
{
	struct delayed *d = arg;

	sleep_ms(d->ms);
	if (d->close)
		rump_sys_close(d->fd);
	else
		rump_sys_write(d->fd, "!", 1);
	return NULL;
}

static void
later(pthread_t *t, struct delayed *d, int fd, int ms, int close)
{
	*d = (struct delayed){fd, ms, close};
	T_EQ(pthread_create(t, NULL, delayed_act, d), 0);
}

T_CASE(poll_ready, "poll reports what a pipe's ends are ready for")
{
	struct pollfd p[2];
	int fds[2];

	t_boot();
	T_OK(rump_sys_pipe(fds));
	p[0] = (struct pollfd){fds[0], POLLIN, -1};
	p[1] = (struct pollfd){fds[1], POLLOUT, -1};
	T_EQ(rump_sys_poll(p, 2, 0), 1);
	T_EQ(p[0].revents, 0);
	T_EQ(p[1].revents, POLLOUT);
	T_EQ(rump_sys_write(fds[1], "x", 1), 1);
	T_EQ(rump_sys_poll(p, 2, 0), 2);
	T_EQ(p[0].revents, POLLIN);
	T_EQ(p[1].revents, POLLOUT);
	/* Only the events asked for, besides POLLERR and POLLHUP. */
	p[0].events = POLLOUT;
	T_EQ(rump_sys_poll(p, 1, 0), 0);
	T_EQ(p[0].revents, 0);
	p[0].events = POLLIN | POLLRDNORM;
	T_EQ(rump_sys_poll(p, 1, 0), 1);
	T_EQ(p[0].revents, POLLIN | POLLRDNORM);
}

T_CASE(poll_timeout, "poll with nothing ready waits its timeout, not less")
{
	struct pollfd p;
	uint64_t t0, dt;
	int fds[2];

	t_boot();
	T_OK(rump_sys_pipe(fds));
	p = (struct pollfd){fds[0], POLLIN, 0};
	t0 = t_now_ns();
	T_EQ(rump_sys_poll(&p, 1, 200), 0);
	dt = t_now_ns() - t0;
	T_ASSERT(dt >= 200 * MS);
	T_ASSERT(dt < 2000 * MS);
	t0 = t_now_ns();
	T_EQ(rump_sys_poll(NULL, 0, 50), 0);
	T_ASSERT(t_now_ns() - t0 >= 50 * MS);
}

T_CASE(poll_wakeup, "a poll waiting forever is woken by a writer")
{
	struct delayed d;
	struct pollfd p;
	pthread_t t;
	uint64_t t0;
	int fds[2];

	t_boot();
	T_OK(rump_sys_pipe(fds));
	p = (struct pollfd){fds[0], POLLIN, 0};
	t0 = t_now_ns();
	later(&t, &d, fds[1], 100, 0);
	T_EQ(rump_sys_poll(&p, 1, -1), 1);
	T_ASSERT(t_now_ns() - t0 >= 90 * MS);
	T_EQ(p.revents, POLLIN);
	pthread_join(t, NULL);
}

static char fullbuf[65536];

static void *
drain(void *arg)
{
	sleep_ms(100);
	rump_sys_read(*(int *)arg, fullbuf, 8192);
	return NULL;
}

T_CASE(poll_pollout_wakeup,
    "a poll for POLLOUT on a full pipe wakes when a "
    "reader makes room")
{
	struct pollfd p;
	pthread_t t;
	int fds[2];

	t_boot();
	T_OK(rump_sys_pipe2(fds, O_NONBLOCK));
	T_EQ(rump_sys_write(fds[1], fullbuf, sizeof(fullbuf)),
	    (ssize_t)sizeof(fullbuf));
	p = (struct pollfd){fds[1], POLLOUT, 0};
	T_EQ(rump_sys_poll(&p, 1, 0), 0);
	T_EQ(pthread_create(&t, NULL, drain, &fds[0]), 0);
	T_EQ(rump_sys_poll(&p, 1, 5000), 1);
	T_EQ(p.revents, POLLOUT);
	pthread_join(t, NULL);
}

T_CASE(pollhup, "the read end hangs up when the writers are gone")
{
	struct delayed d;
	struct pollfd p;
	pthread_t t;
	int fds[2];

	t_boot();
	T_OK(rump_sys_pipe(fds));
	p = (struct pollfd){fds[0], POLLIN, 0};
	later(&t, &d, fds[1], 50, 1);
	T_EQ(rump_sys_poll(&p, 1, 5000), 1);
	T_EQ(p.revents, POLLHUP);
	pthread_join(t, NULL);

	T_OK(rump_sys_pipe(fds));
	T_EQ(rump_sys_write(fds[1], "x", 1), 1);
	T_OK(rump_sys_close(fds[1]));
	p = (struct pollfd){fds[0], 0, 0};
	T_EQ(rump_sys_poll(&p, 1, 0), 1);
	T_EQ(p.revents, POLLHUP); /* reported even when not asked for */
	p.events = POLLIN;
	T_EQ(rump_sys_poll(&p, 1, 0), 1);
	T_EQ(p.revents, POLLIN | POLLHUP);
}

T_CASE(pollerr, "the write end is in error when the readers are gone")
{
	struct pollfd p;
	int fds[2];

	t_boot();
	T_OK(rump_sys_pipe(fds));
	T_OK(rump_sys_close(fds[0]));
	p = (struct pollfd){fds[1], POLLOUT, 0};
	T_EQ(rump_sys_poll(&p, 1, 0), 1);
	T_ASSERT(p.revents & POLLERR);
}

T_CASE(pollnval, "bad descriptors are POLLNVAL; negative ones are skipped")
{
	struct pollfd p[3];
	int fds[2];

	t_boot();
	T_OK(rump_sys_pipe(fds));
	p[0] = (struct pollfd){100, POLLIN, 0};
	p[1] = (struct pollfd){-1, POLLIN, 77};
	p[2] = (struct pollfd){fds[0], POLLIN, 0};
	T_EQ(rump_sys_poll(p, 3, 1000), 1);
	T_EQ(p[0].revents, POLLNVAL);
	T_EQ(p[1].revents, 0);
	T_EQ(p[2].revents, 0);
}

T_CASE(poll_errors, "poll: EINVAL past RLIMIT_NOFILE, EFAULT for bad arrays")
{
	struct rlimit rl = {16, 16};
	struct pollfd p[17];

	t_boot();
	memset(p, 0, sizeof(p));
	for (int i = 0; i < 17; i++)
		p[i].fd = -1;
	T_EQ(rump_sys_poll(p, 17, 0), 0);
	T_OK(rump_sys_setrlimit(RLIMIT_NOFILE, &rl));
	T_EQ(rump_sys_poll(p, 16, 0), 0);
	T_ERRNO(rump_sys_poll(p, 17, 0), EINVAL);
	T_ERRNO(rump_sys_poll((struct pollfd *)8, 1, 0), EFAULT);
	T_ERRNO(rump_sys_poll(NULL, 1, 0), EFAULT);
}

T_CASE(poll_console, "the console is always ready")
{
	struct pollfd p[2] = {{0, POLLIN, 0}, {1, POLLOUT, 0}};

	t_boot();
	T_EQ(rump_sys_poll(p, 2, -1), 2);
	T_EQ(p[0].revents, POLLIN);
	T_EQ(p[1].revents, POLLOUT);
}

T_CASE(poll_many, "one ready pipe among a hundred is found and woken for")
{
	struct pollfd p[100];
	int wfd[100], fds[2];
	struct delayed d;
	pthread_t t;

	t_boot();
	for (int i = 0; i < 100; i++) {
		T_OK(rump_sys_pipe(fds));
		p[i] = (struct pollfd){fds[0], POLLIN, 0};
		wfd[i] = fds[1];
	}
	later(&t, &d, wfd[57], 50, 0);
	T_EQ(rump_sys_poll(p, 100, 5000), 1);
	for (int i = 0; i < 100; i++)
		T_EQ(p[i].revents, i == 57 ? POLLIN : 0);
	pthread_join(t, NULL);
}

T_CASE(poll_same_fd, "a descriptor listed twice is reported twice")
{
	struct pollfd p[2];
	struct delayed d;
	pthread_t t;
	int fds[2];

	t_boot();
	T_OK(rump_sys_pipe(fds));
	p[0] = (struct pollfd){fds[0], POLLIN, 0};
	p[1] = (struct pollfd){fds[0], POLLIN, 0};
	later(&t, &d, fds[1], 50, 0);
	T_EQ(rump_sys_poll(p, 2, 5000), 2);
	pthread_join(t, NULL);
}

/* Many threads poll the same pipe; one write wakes them all. */
#define NPOLLERS 8
static int shared_rfd;

static void *
poller(void *arg)
{
	struct pollfd p = {shared_rfd, POLLIN, 0};

	(void)arg;
	return (void *)(intptr_t)rump_sys_poll(&p, 1, 10000);
}

T_CASE(poll_concurrent, "every poller of a pipe wakes when it becomes ready")
{
	pthread_t t[NPOLLERS];
	int fds[2];

	t_boot();
	T_OK(rump_sys_pipe(fds));
	shared_rfd = fds[0];
	for (int i = 0; i < NPOLLERS; i++)
		T_EQ(pthread_create(&t[i], NULL, poller, NULL), 0);
	sleep_ms(100);
	T_EQ(rump_sys_write(fds[1], "x", 1), 1);
	for (int i = 0; i < NPOLLERS; i++) {
		void *rv;

		pthread_join(t[i], &rv);
		T_EQ((intptr_t)rv, 1);
	}
}

struct proc_writer {
	struct lwp *l;
	int fd;
	pthread_barrier_t
	    b; /* the process stays until the first poll is seen */
};

static void *
proc_writer(void *arg)
{
	struct proc_writer *w = arg;

	rump_pub_lwproc_switch(w->l);
	sleep_ms(50);
	rump_sys_write(w->fd, "c", 1);
	pthread_barrier_wait(&w->b);
	rump_pub_lwproc_releaselwp();
	return NULL;
}

T_CASE(poll_rfork, "a poll in one process is woken by a write in another")
{
	struct pollfd p;
	struct lwp *child;
	int fds[2];
	pthread_t t;
	struct proc_writer w;

	t_boot();
	T_OK(rump_sys_pipe(fds));
	T_EQ(rump_pub_lwproc_rfork(RUMP_RFFDG), 0);
	child = rump_pub_lwproc_curlwp();
	T_OK(rump_sys_close(fds[0]));
	rump_pub_lwproc_switch(NULL);
	T_OK(rump_sys_close(fds[1]));
	w.l = child;
	w.fd = fds[1];
	T_EQ(pthread_barrier_init(&w.b, NULL, 2), 0);
	T_EQ(pthread_create(&t, NULL, proc_writer, &w), 0);
	p = (struct pollfd){fds[0], POLLIN, 0};
	T_EQ(rump_sys_poll(&p, 1, 5000), 1);
	T_EQ(p.revents, POLLIN);
	pthread_barrier_wait(&w.b);
	pthread_join(t, NULL);
	/* The child is gone: with it the last writer. */
	T_EQ(rump_sys_poll(&p, 1, 5000), 1);
	T_EQ(p.revents, POLLIN | POLLHUP);
}

T_CASE(ppoll_basic,
    "ppoll: timespec timeouts, the caller's copy untouched, "
    "signal masks accepted")
{
	struct timespec ts = {0, 100 * 1000000};
	struct pollfd p;
	sigset_t ss;
	uint64_t t0;
	int fds[2];

	t_boot();
	sigemptyset(&ss);
	sigaddset(&ss, SIGUSR1);
	T_OK(rump_sys_pipe(fds));
	p = (struct pollfd){fds[0], POLLIN, 0};
	t0 = t_now_ns();
	T_EQ(rump_sys_ppoll(&p, 1, &ts, NULL), 0);
	T_ASSERT(t_now_ns() - t0 >= 100 * MS);
	T_EQ(ts.tv_sec, 0);
	T_EQ(ts.tv_nsec, 100 * 1000000);
	T_EQ(rump_sys_ppoll(&p, 1, &ts, &ss), 0);
	T_EQ(rump_sys_write(fds[1], "x", 1), 1);
	T_EQ(rump_sys_ppoll(&p, 1, NULL, &ss), 1);
	T_EQ(p.revents, POLLIN);
	ts.tv_nsec = 1000000000;
	T_ERRNO(rump_sys_ppoll(&p, 1, &ts, NULL), EINVAL);
	ts = (struct timespec){-1, 0};
	T_ERRNO(rump_sys_ppoll(&p, 1, &ts, NULL), EINVAL);
	T_ERRNO(rump_sys_ppoll(&p, 1, (struct timespec *)8, NULL), EFAULT);
	T_ERRNO(rump_sys_ppoll(&p, 1, NULL, (sigset_t *)8), EFAULT);
}

T_CASE(ppoll_raw,
    "the raw ppoll writes back the time left and checks the "
    "signal set's size")
{
	struct timespec ts = {5, 0};
	unsigned long mask = 0;
	struct pollfd p;
	struct delayed d;
	pthread_t t;
	int fds[2];
	long args[5], rv[2];

	t_boot();
	T_OK(rump_sys_pipe(fds));
	p = (struct pollfd){fds[0], POLLIN, 0};
	args[0] = (long)&p;
	args[1] = 1;
	args[2] = (long)&ts;
	args[3] = (long)&mask;
	args[4] = 4;
	T_EQ(rump_pub_syscall(271, args, rv), EINVAL);
	args[4] = 8;
	later(&t, &d, fds[1], 100, 0);
	T_EQ(rump_pub_syscall(271, args, rv), 0);
	T_EQ(rv[0], 1);
	pthread_join(t, NULL);
	T_ASSERT(ts.tv_sec == 4 || ts.tv_sec == 3);
	T_ASSERT(ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000);
}

T_CASE(select_basic, "select reports readable and writable descriptors")
{
	fd_set r, w;
	struct timeval tv = {0, 0};
	int fds[2];

	t_boot();
	T_OK(rump_sys_pipe(fds));
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(fds[0], &r);
	FD_SET(fds[1], &w);
	T_EQ(rump_sys_select(fds[1] + 1, &r, &w, NULL, &tv), 1);
	T_ASSERT(!FD_ISSET(fds[0], &r));
	T_ASSERT(FD_ISSET(fds[1], &w));
	T_EQ(rump_sys_write(fds[1], "x", 1), 1);
	FD_SET(fds[0], &r);
	FD_SET(fds[1], &w);
	T_EQ(rump_sys_select(fds[1] + 1, &r, &w, NULL, NULL), 2);
	T_ASSERT(FD_ISSET(fds[0], &r));
	T_ASSERT(FD_ISSET(fds[1], &w));
	/* The same descriptor in two sets counts twice. */
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(1, &r);
	FD_SET(1, &w);
	T_EQ(rump_sys_select(2, &r, &w, NULL, NULL), 2);
}

T_CASE(select_timeout, "select waits its timeout and leaves the timeval at 0")
{
	struct timeval tv = {0, 150000};
	uint64_t t0;
	fd_set r;
	int fds[2];

	t_boot();
	T_OK(rump_sys_pipe(fds));
	FD_ZERO(&r);
	FD_SET(fds[0], &r);
	t0 = t_now_ns();
	T_EQ(rump_sys_select(fds[0] + 1, &r, NULL, NULL, &tv), 0);
	T_ASSERT(t_now_ns() - t0 >= 150 * MS);
	T_ASSERT(!FD_ISSET(fds[0], &r));
	T_EQ(tv.tv_sec, 0);
	T_EQ(tv.tv_usec, 0);
	/* No descriptors: a sleep. */
	tv = (struct timeval){0, 50000};
	t0 = t_now_ns();
	T_EQ(rump_sys_select(0, NULL, NULL, NULL, &tv), 0);
	T_ASSERT(t_now_ns() - t0 >= 50 * MS);
}

T_CASE(select_time_left, "select woken early writes back the time left")
{
	struct timeval tv = {2, 0};
	struct delayed d;
	pthread_t t;
	fd_set r;
	int fds[2];

	t_boot();
	T_OK(rump_sys_pipe(fds));
	FD_ZERO(&r);
	FD_SET(fds[0], &r);
	later(&t, &d, fds[1], 100, 0);
	T_EQ(rump_sys_select(fds[0] + 1, &r, NULL, NULL, &tv), 1);
	T_ASSERT(FD_ISSET(fds[0], &r));
	pthread_join(t, NULL);
	T_ASSERT(tv.tv_sec == 1);
	T_ASSERT(tv.tv_usec > 0 && tv.tv_usec <= 910000);
}

T_CASE(select_hup, "a pipe whose writers are gone is readable for select")
{
	struct delayed d;
	pthread_t t;
	fd_set r;
	int fds[2];

	t_boot();
	T_OK(rump_sys_pipe(fds));
	FD_ZERO(&r);
	FD_SET(fds[0], &r);
	later(&t, &d, fds[1], 50, 1);
	T_EQ(rump_sys_select(fds[0] + 1, &r, NULL, NULL, NULL), 1);
	T_ASSERT(FD_ISSET(fds[0], &r));
	pthread_join(t, NULL);
}

T_CASE(select_errors, "select: EBADF, EINVAL and EFAULT")
{
	struct timeval tv = {0, 0};
	fd_set r;

	t_boot();
	FD_ZERO(&r);
	FD_SET(50, &r);
	T_ERRNO(rump_sys_select(51, &r, NULL, NULL, &tv), EBADF);
	/* Bits at or past nfds are not looked at. */
	T_EQ(rump_sys_select(50, &r, NULL, NULL, &tv), 0);
	T_ERRNO(rump_sys_select(-1, NULL, NULL, NULL, &tv), EINVAL);
	T_ERRNO(rump_sys_select(FD_SETSIZE + 1, NULL, NULL, NULL, &tv), EINVAL);
	tv.tv_usec = -1;
	T_ERRNO(rump_sys_select(0, NULL, NULL, NULL, &tv), EINVAL);
	tv = (struct timeval){-1, 0};
	T_ERRNO(rump_sys_select(0, NULL, NULL, NULL, &tv), EINVAL);
	tv = (struct timeval){0, 0};
	T_ERRNO(rump_sys_select(1, (fd_set *)8, NULL, NULL, &tv), EFAULT);
	T_ERRNO(
	    rump_sys_select(0, NULL, NULL, NULL, (struct timeval *)8), EFAULT);
}

T_CASE(pselect6_basic, "pselect6: timespec timeouts, signal masks, readiness")
{
	struct timespec ts = {0, 80 * 1000000};
	uint64_t t0;
	sigset_t ss;
	fd_set r;
	int fds[2];

	t_boot();
	sigemptyset(&ss);
	T_OK(rump_sys_pipe(fds));
	FD_ZERO(&r);
	FD_SET(fds[0], &r);
	t0 = t_now_ns();
	T_EQ(rump_sys_pselect6(fds[0] + 1, &r, NULL, NULL, &ts, &ss), 0);
	T_ASSERT(t_now_ns() - t0 >= 80 * MS);
	T_EQ(ts.tv_nsec, 80 * 1000000); /* the caller's copy is left alone */
	T_EQ(rump_sys_write(fds[1], "x", 1), 1);
	FD_SET(fds[0], &r);
	T_EQ(rump_sys_pselect6(fds[0] + 1, &r, NULL, NULL, NULL, NULL), 1);
	T_ASSERT(FD_ISSET(fds[0], &r));
	ts.tv_nsec = -5;
	T_ERRNO(
	    rump_sys_pselect6(fds[0] + 1, &r, NULL, NULL, &ts, NULL), EINVAL);
	T_ERRNO(
	    rump_sys_pselect6(fds[0] + 1, &r, NULL, NULL, NULL, (sigset_t *)8),
	    EFAULT);
}
