/*
 * rumpuser_bio.c — asynchronous block I/O for the kernel's disks.
 *
 * rumpuser_bio() puts a request on a bounded queue and returns; a small
 * pool of host threads (RUMPUSER_BIO_THREADS, default 4), started on first
 * use, takes requests off it, does the pread/pwrite without a virtual CPU,
 * then takes a CPU to call the request's biodone, so biodone runs in kernel
 * context like an interrupt handler would.  Each pool thread gets an lwp of
 * its own in the kernel's process 0 when it starts.
 *
 * With RUMP_THREADS=0 (a kernel without threads) the transfer is done in
 * the caller before rumpuser_bio() returns, and biodone is called there.
 *
 * Writes pass the fault switch first (rumpuser_fault.h): past
 * RUMP_BLK_WRITE_LIMIT they are dropped and reported done.
 *
 * Request life: caller fills a struct bio_req -> queued under bq_mtx ->
 * copied out by a pool thread -> transfer -> biodone.  After biodone the
 * platform no longer touches data.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "rumpuser_int.h"

#define BIO_QLEN            128
#define BIO_THREADS_DEFAULT 4
#define BIO_THREADS_MAX     64

struct bio_req {
	int br_fd;
	int br_op;
	void *br_data;
	size_t br_dlen;
	int64_t br_off;
	rump_biodone_fn br_done;
	void *br_donearg;
};

/*
 * The queue: a ring of BIO_QLEN requests.  bq_mtx is held only to add or
 * remove one, never while waiting for a CPU, so a caller may take it while
 * holding one.
 */
static struct {
	pthread_mutex_t bq_mtx;
	pthread_cond_t bq_nonempty;       /* pool threads wait here */
	pthread_cond_t bq_nonfull;        /* callers wait here */
	unsigned bq_head;                 /* [bq_mtx] oldest request */
	unsigned bq_count;                /* [bq_mtx] requests queued */
	struct bio_req bq_ring[BIO_QLEN]; /* [bq_mtx] */
} bioq = {
    .bq_mtx = PTHREAD_MUTEX_INITIALIZER,
    .bq_nonempty = PTHREAD_COND_INITIALIZER,
    .bq_nonfull = PTHREAD_COND_INITIALIZER,
};

static pthread_once_t bio_once = PTHREAD_ONCE_INIT;
static bool bio_synchronous; /* [I after bio_once] */

/*
 * Does the transfer of r and returns bytes done and an error.  A read that
 * meets the end of the file stops short without an error.  On an error
 * nothing counts as done.
 */
static void
bio_transfer(const struct bio_req *r, size_t *donep, int *errorp)
{
	char *data = r->br_data;
	size_t done = 0;
	ssize_t n;
	int error = 0;

	if ((r->br_op & (RUMPUSER_BIO_READ | RUMPUSER_BIO_WRITE)) == 0 ||
	    (r->br_op & (RUMPUSER_BIO_READ | RUMPUSER_BIO_WRITE)) ==
	        (RUMPUSER_BIO_READ | RUMPUSER_BIO_WRITE) ||
	    r->br_off < 0) {
		error = EINVAL;
		goto out;
	}
	if ((r->br_op & RUMPUSER_BIO_WRITE) && !rumpuser__blkwrite_apply()) {
		done =
		    r->br_dlen; /* the fault switch: dropped, as a power cut */
		goto out;
	}
	while (done < r->br_dlen) {
		if (r->br_op & RUMPUSER_BIO_READ)
			n = pread(r->br_fd, data + done, r->br_dlen - done,
			    (off_t)(r->br_off + (int64_t)done));
		else
			n = pwrite(r->br_fd, data + done, r->br_dlen - done,
			    (off_t)(r->br_off + (int64_t)done));
		if (n == -1) {
			if (errno == EINTR)
				continue;
			error = errno;
			goto out;
		}
		if (n == 0) {
			if (r->br_op & RUMPUSER_BIO_WRITE)
				error = EIO; /* no progress: do not spin */
			break;
		}
		done += (size_t)n;
	}
	if ((r->br_op & RUMPUSER_BIO_WRITE) && (r->br_op & RUMPUSER_BIO_SYNC) &&
	    error == 0 && fdatasync(r->br_fd) == -1)
		error = errno;
out:
	*donep = error == 0 ? done : 0;
	*errorp = rumpuser__errtrans(error);
}

static void *
bio_thread(void *arg)
{
	struct bio_req r;
	size_t done;
	int error;

	(void)arg;
	pthread_setname_np(pthread_self(), "rumpuser_bio");
	/* The lwproc upcalls take a CPU themselves (see rumpuser.h). */
	error = rumpuser__hyp.hyp_lwproc_newlwp(0);
	if (error != 0)
		fprintf(stderr,
		    "rumpuser_bio: no lwp for the I/O thread "
		    "(error %d)\n",
		    error);

	for (;;) {
		pthread_mutex_lock(&bioq.bq_mtx);
		while (bioq.bq_count == 0)
			pthread_cond_wait(&bioq.bq_nonempty, &bioq.bq_mtx);
		r = bioq.bq_ring[bioq.bq_head];
		bioq.bq_head = (bioq.bq_head + 1) % BIO_QLEN;
		bioq.bq_count--;
		pthread_cond_signal(&bioq.bq_nonfull);
		pthread_mutex_unlock(&bioq.bq_mtx);

		bio_transfer(&r, &done, &error);

		rumpuser__hyp.hyp_schedule();
		r.br_done(r.br_donearg, done, error);
		rumpuser__hyp.hyp_unschedule();
	}
	return NULL;
}

/*
 * Runs once, in the first caller of rumpuser_bio(), while other callers
 * may wait in pthread_once() holding their CPUs: so it must not give its
 * own CPU up (no rumpuser_thread_create(), whose retries do).
 */
static void
bio_start(void)
{
	const char *env;
	long n = BIO_THREADS_DEFAULT, started = 0;
	pthread_attr_t attr;
	pthread_t pt;
	char *end;

	env = getenv("RUMP_THREADS");
	if (env != NULL && env[0] == '0') {
		bio_synchronous = true;
		return;
	}
	if ((env = getenv("RUMPUSER_BIO_THREADS")) != NULL) {
		n = strtol(env, &end, 10);
		if (end == env || *end != '\0' || n < 1 ||
		    n > BIO_THREADS_MAX) {
			fprintf(stderr,
			    "rumpuser: RUMPUSER_BIO_THREADS=\"%s\": "
			    "want 1..%d, using %d\n",
			    env, BIO_THREADS_MAX, BIO_THREADS_DEFAULT);
			n = BIO_THREADS_DEFAULT;
		}
	}
	if (pthread_attr_init(&attr) == 0) {
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		for (long i = 0; i < n; i++)
			if (pthread_create(&pt, &attr, bio_thread, NULL) == 0)
				started++;
		pthread_attr_destroy(&attr);
	}
	if (started == 0) {
		fprintf(stderr,
		    "rumpuser_bio: no I/O threads, doing I/O "
		    "synchronously\n");
		bio_synchronous = true;
	}
}

RUMPUSER_EXPORT void
rumpuser_bio(int fd, int op, void *data, size_t dlen, int64_t off,
    rump_biodone_fn biodone, void *donearg)
{
	struct bio_req r = {
	    .br_fd = fd,
	    .br_op = op,
	    .br_data = data,
	    .br_dlen = dlen,
	    .br_off = off,
	    .br_done = biodone,
	    .br_donearg = donearg,
	};
	size_t done;
	int nlocks = 0, error;
	bool unscheduled = false;

	pthread_once(&bio_once, bio_start);

	if (bio_synchronous) {
		nlocks = rumpuser__unschedule();
		bio_transfer(&r, &done, &error);
		rumpuser__reschedule(nlocks);
		biodone(donearg, done, error);
		return;
	}

	pthread_mutex_lock(&bioq.bq_mtx);
	if (bioq.bq_count == BIO_QLEN) {
		/* Full: wait for room without a CPU. */
		pthread_mutex_unlock(&bioq.bq_mtx);
		nlocks = rumpuser__unschedule();
		unscheduled = true;
		pthread_mutex_lock(&bioq.bq_mtx);
		while (bioq.bq_count == BIO_QLEN)
			pthread_cond_wait(&bioq.bq_nonfull, &bioq.bq_mtx);
	}
	bioq.bq_ring[(bioq.bq_head + bioq.bq_count) % BIO_QLEN] = r;
	bioq.bq_count++;
	pthread_cond_signal(&bioq.bq_nonempty);
	pthread_mutex_unlock(&bioq.bq_mtx);
	if (unscheduled)
		rumpuser__reschedule(nlocks);
}
