/*
 * t_pipe.c — pipes, called with the host's own headers: blocking and
 * non-blocking transfers, end of file, EPIPE and SIGPIPE, PIPE_BUF
 * atomicity between concurrent writers, a large transfer between two
 * threads, pipe2 flags, FIONREAD, fstat, bad pointers, descriptor limits
 * and pipes shared by rforked processes.
 */
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <rump/rump.h>

#include "harness.h"
#include "rumptest.h"

#define PIPESZ 65536
#ifndef MIN
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#endif

static void
sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Writes all of buf to rump fd fd, or fails the case. */
static void
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = rump_sys_write(fd, p, len);

		if (n <= 0)
			T_FAIL("write: %zd (%s)", n, strerror(errno));
		p += n;
		len -= (size_t)n;
	}
}

T_CASE(basic, "bytes written to a pipe come out in order; ends are one-way")
{
	int fds[2];
	char buf[16];

	t_boot();
	T_OK(rump_sys_pipe(fds));
	T_EQ(fds[0], 3);
	T_EQ(fds[1], 4);
	T_EQ(rump_sys_fcntl(fds[0], F_GETFL) & O_ACCMODE, O_RDONLY);
	T_EQ(rump_sys_fcntl(fds[1], F_GETFL) & O_ACCMODE, O_WRONLY);
	T_EQ(rump_sys_write(fds[1], "hello", 5), 5);
	T_EQ(rump_sys_write(fds[1], ", world", 7), 7);
	T_EQ(rump_sys_read(fds[0], buf, 5), 5);
	T_ASSERT(memcmp(buf, "hello", 5) == 0);
	T_EQ(rump_sys_read(fds[0], buf, sizeof(buf)), 7);
	T_ASSERT(memcmp(buf, ", world", 7) == 0);
	T_ERRNO(rump_sys_write(fds[0], "x", 1), EBADF);
	T_ERRNO(rump_sys_read(fds[1], buf, 1), EBADF);
	T_OK(rump_sys_close(fds[0]));
	T_OK(rump_sys_close(fds[1]));
	T_ERRNO(rump_sys_close(fds[0]), EBADF);
}

T_CASE(zero_length, "reads and writes of 0 bytes return 0 at once")
{
	int fds[2];
	char c;

	t_boot();
	T_OK(rump_sys_pipe(fds));
	T_EQ(rump_sys_read(fds[0], &c, 0), 0);
	T_OK(rump_sys_close(fds[0]));
	T_EQ(rump_sys_write(fds[1], &c, 0), 0);
}

struct delayed {
	int fd;
	int ms;
	const char *data;
	size_t len;
	ssize_t result;
	int error;
};

static void *
delayed_write(void *arg)
{
	struct delayed *d = arg;

	sleep_ms(d->ms);
	d->result = rump_sys_write(d->fd, d->data, d->len);
	d->error = errno;
	return NULL;
}

static void *
delayed_close(void *arg)
{
	struct delayed *d = arg;

	sleep_ms(d->ms);
	d->result = rump_sys_close(d->fd);
	return NULL;
}

T_CASE(blocking_read, "a blocked read is woken by a writer in another thread")
{
	struct delayed d;
	pthread_t t;
	uint64_t t0;
	char buf[32];
	int fds[2];

	t_boot();
	T_OK(rump_sys_pipe(fds));
	d = (struct delayed){fds[1], 100, "wake up", 7, 0, 0};
	t0 = t_now_ns();
	T_EQ(pthread_create(&t, NULL, delayed_write, &d), 0);
	T_EQ(rump_sys_read(fds[0], buf, sizeof(buf)), 7);
	T_ASSERT(t_now_ns() - t0 >= 90000000u);
	T_ASSERT(memcmp(buf, "wake up", 7) == 0);
	pthread_join(t, NULL);
	T_EQ(d.result, 7);
}

T_CASE(eof, "read returns what is left, then 0 once the writers are gone")
{
	int fds[2], fd2;
	char buf[8];

	t_boot();
	T_OK(rump_sys_pipe(fds));
	T_OK(fd2 = rump_sys_dup(fds[1]));
	T_EQ(rump_sys_write(fds[1], "abc", 3), 3);
	T_OK(rump_sys_close(fds[1]));
	T_EQ(rump_sys_read(fds[0], buf, sizeof(buf)), 3);
	/* A duplicate of the write end keeps the pipe open: no EOF yet. */
	T_OK(rump_sys_fcntl(fds[0], F_SETFL, O_NONBLOCK));
	T_ERRNO(rump_sys_read(fds[0], buf, sizeof(buf)), EAGAIN);
	T_OK(rump_sys_close(fd2));
	T_EQ(rump_sys_read(fds[0], buf, sizeof(buf)), 0);
	T_EQ(rump_sys_read(fds[0], buf, sizeof(buf)), 0);
}

T_CASE(eof_wakes_reader, "closing the last writer wakes a blocked reader")
{
	struct delayed d;
	pthread_t t;
	char buf[8];
	int fds[2];

	t_boot();
	T_OK(rump_sys_pipe(fds));
	d = (struct delayed){fds[1], 100, NULL, 0, -1, 0};
	T_EQ(pthread_create(&t, NULL, delayed_close, &d), 0);
	T_EQ(rump_sys_read(fds[0], buf, sizeof(buf)), 0);
	pthread_join(t, NULL);
	T_EQ(d.result, 0);
}

T_CASE(nonblock_read, "an empty non-blocking pipe reads EAGAIN")
{
	int fds[2];
	char buf[8];

	t_boot();
	T_OK(rump_sys_pipe2(fds, O_NONBLOCK));
	T_ERRNO(rump_sys_read(fds[0], buf, sizeof(buf)), EAGAIN);
	T_EQ(rump_sys_write(fds[1], "x", 1), 1);
	T_EQ(rump_sys_read(fds[0], buf, sizeof(buf)), 1);
	T_ERRNO(rump_sys_read(fds[0], buf, sizeof(buf)), EAGAIN);
}

T_CASE(nonblock_write, "a full non-blocking pipe writes EAGAIN or a part")
{
	static char big[PIPESZ + 1000];
	int fds[2];
	char buf[PIPE_BUF];

	t_boot();
	T_OK(rump_sys_pipe(fds));
	T_OK(rump_sys_fcntl(fds[1], F_SETFL, O_NONBLOCK));
	/* A large write takes what fits and reports it. */
	T_EQ(rump_sys_write(fds[1], big, sizeof(big)), PIPESZ);
	T_ERRNO(rump_sys_write(fds[1], "x", 1), EAGAIN);
	/* Room for less than PIPE_BUF: a PIPE_BUF write goes whole or not. */
	T_EQ(rump_sys_read(fds[0], buf, 100), 100);
	T_ERRNO(rump_sys_write(fds[1], buf, PIPE_BUF), EAGAIN);
	T_EQ(rump_sys_write(fds[1], buf, 100), 100);
	T_ERRNO(rump_sys_write(fds[1], buf, 1), EAGAIN);
	T_EQ(rump_sys_read(fds[0], buf, PIPE_BUF), PIPE_BUF);
	T_EQ(rump_sys_write(fds[1], buf, PIPE_BUF), PIPE_BUF);
}

static volatile sig_atomic_t sigpipes;

static void
on_sigpipe(int sig)
{
	(void)sig;
	sigpipes++;
}

T_CASE(epipe_sigpipe, "writing with no reader is EPIPE and raises SIGPIPE")
{
	struct sigaction sa;
	int fds[2];

	t_boot();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigpipe;
	T_OK(sigaction(SIGPIPE, &sa, NULL));
	T_OK(rump_sys_pipe(fds));
	T_OK(rump_sys_close(fds[0]));
	T_ERRNO(rump_sys_write(fds[1], "x", 1), EPIPE);
	T_EQ(sigpipes, 1);
	T_ERRNO(rump_sys_write(fds[1], "xy", 2), EPIPE);
	T_EQ(sigpipes, 2);
}

T_CASE(epipe_ignored, "with SIGPIPE ignored the writer sees EPIPE only")
{
	int fds[2];

	t_boot();
	signal(SIGPIPE, SIG_IGN);
	T_OK(rump_sys_pipe(fds));
	T_OK(rump_sys_close(fds[0]));
	T_ERRNO(rump_sys_write(fds[1], "x", 1), EPIPE);
}

T_CASE(epipe_blocked_writer,
    "a writer blocked on a full pipe gets its count "
    "when the reader goes")
{
	static char big[PIPESZ + 5000];
	struct delayed d;
	pthread_t t;
	int fds[2];

	t_boot();
	signal(SIGPIPE, SIG_IGN);
	T_OK(rump_sys_pipe(fds));
	d = (struct delayed){fds[1], 0, big, sizeof(big), 0, 0};
	T_EQ(pthread_create(&t, NULL, delayed_write, &d), 0);
	sleep_ms(100);
	T_OK(rump_sys_close(fds[0]));
	pthread_join(t, NULL);
	T_EQ(d.result, PIPESZ);
	T_ERRNO(rump_sys_write(fds[1], "x", 1), EPIPE);
}

/*
 * PIPE_BUF atomicity: writers send records "len (2 bytes), writer id,
 * sequence (2 bytes), payload" of 6..PIPE_BUF bytes; the reader parses the
 * stream, so bytes of one record mixed into another break it.
 */
#define NWRITERS 4
#define NRECORDS 3000

struct atomic_writer {
	int fd;
	int id;
};

static void
record_fill(unsigned char *rec, size_t len, int id, unsigned seq)
{
	rec[0] = (unsigned char)(len & 0xff);
	rec[1] = (unsigned char)(len >> 8);
	rec[2] = (unsigned char)id;
	rec[3] = (unsigned char)(seq & 0xff);
	rec[4] = (unsigned char)(seq >> 8);
	for (size_t i = 5; i < len; i++)
		rec[i] = (unsigned char)(id * 31 + seq + i);
}

static void *
atomic_writer(void *arg)
{
	struct atomic_writer *w = arg;
	unsigned char rec[PIPE_BUF];
	unsigned rnd = (unsigned)w->id * 2654435761u + 1;

	for (unsigned seq = 0; seq < NRECORDS; seq++) {
		size_t len;

		rnd = rnd * 1103515245u + 12345u;
		len = 6 + (rnd >> 8) % (PIPE_BUF - 5);
		if (seq % 7 == 0)
			len = PIPE_BUF;
		record_fill(rec, len, w->id, seq);
		if (rump_sys_write(w->fd, rec, len) != (ssize_t)len)
			return (void *)1;
	}
	return NULL;
}

T_CASE(pipe_buf_atomic,
    "concurrent writes of <= PIPE_BUF bytes never "
    "interleave")
{
	struct atomic_writer w[NWRITERS];
	pthread_t t[NWRITERS];
	unsigned next[NWRITERS] = {0};
	static unsigned char stream[2 * PIPE_BUF], want[PIPE_BUF];
	size_t have = 0;
	int fds[2], done = 0;

	t_boot();
	T_OK(rump_sys_pipe(fds));
	for (int i = 0; i < NWRITERS; i++) {
		w[i] = (struct atomic_writer){fds[1], i};
		T_EQ(pthread_create(&t[i], NULL, atomic_writer, &w[i]), 0);
	}
	while (done < NWRITERS * NRECORDS) {
		ssize_t n =
		    rump_sys_read(fds[0], stream + have, sizeof(stream) - have);
		size_t off = 0;

		T_ASSERT(n > 0);
		have += (size_t)n;
		while (have - off >= 5) {
			size_t len = stream[off] | (size_t)stream[off + 1] << 8;
			int id = stream[off + 2];
			unsigned seq =
			    stream[off + 3] | (unsigned)stream[off + 4] << 8;

			T_ASSERT(len >= 6 && len <= PIPE_BUF);
			T_ASSERT(id < NWRITERS);
			T_EQ(seq, next[id]);
			if (have - off < len)
				break;
			record_fill(want, len, id, seq);
			if (memcmp(stream + off, want, len) != 0)
				T_FAIL("record %d.%u of %zu bytes is mixed", id,
				    seq, len);
			next[id]++;
			done++;
			off += len;
		}
		memmove(stream, stream + off, have - off);
		have -= off;
	}
	for (int i = 0; i < NWRITERS; i++) {
		void *rv;

		pthread_join(t[i], &rv);
		T_ASSERT(rv == NULL);
	}
	T_EQ(have, 0);
}

/* 16 MiB from one thread to another, in odd sizes, checked byte by byte. */
#define BIG (16u << 20)

static unsigned char
stream_byte(size_t i)
{
	return (unsigned char)((i * 2654435761u) >> 13);
}

static void *
big_writer(void *arg)
{
	int fd = *(int *)arg;
	static unsigned char buf[100000];
	size_t off = 0, chunk = 1;

	while (off < BIG) {
		size_t n = MIN(chunk, BIG - off);

		for (size_t i = 0; i < n; i++)
			buf[i] = stream_byte(off + i);
		write_all(fd, buf, n);
		off += n;
		chunk = (chunk * 7 + 13) % sizeof(buf) + 1;
	}
	rump_sys_close(fd);
	return NULL;
}

T_CASE(large_transfer, "16 MiB pass through a pipe between two threads intact")
{
	static unsigned char buf[70000];
	uint64_t sum_w = 0, sum_r = 0;
	size_t off = 0, chunk = 3;
	pthread_t t;
	int fds[2];

	t_boot();
	T_OK(rump_sys_pipe(fds));
	T_EQ(pthread_create(&t, NULL, big_writer, &fds[1]), 0);
	for (;;) {
		ssize_t n = rump_sys_read(fds[0], buf, chunk);

		T_ASSERT(n >= 0);
		if (n == 0)
			break;
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != stream_byte(off + (size_t)i))
				T_FAIL("byte %zu differs", off + (size_t)i);
			sum_r = sum_r * 31 + buf[i];
		}
		off += (size_t)n;
		chunk = (chunk * 5 + 11) % sizeof(buf) + 1;
	}
	pthread_join(t, NULL);
	for (size_t i = 0; i < BIG; i++)
		sum_w = sum_w * 31 + stream_byte(i);
	T_EQ(off, BIG);
	T_EQ(sum_r, sum_w);
}

T_CASE(pipe2_flags, "pipe2 takes O_CLOEXEC and O_NONBLOCK, nothing else")
{
	int fds[2];

	t_boot();
	T_OK(rump_sys_pipe2(fds, O_CLOEXEC));
	T_EQ(rump_sys_fcntl(fds[0], F_GETFD), FD_CLOEXEC);
	T_EQ(rump_sys_fcntl(fds[1], F_GETFD), FD_CLOEXEC);
	T_EQ(rump_sys_fcntl(fds[0], F_GETFL) & O_NONBLOCK, 0);
	T_OK(rump_sys_pipe2(fds, O_NONBLOCK));
	T_EQ(rump_sys_fcntl(fds[0], F_GETFD), 0);
	T_EQ(rump_sys_fcntl(fds[0], F_GETFL), O_RDONLY | O_NONBLOCK);
	T_EQ(rump_sys_fcntl(fds[1], F_GETFL), O_WRONLY | O_NONBLOCK);
	T_ERRNO(rump_sys_pipe2(fds, O_DIRECT | O_NONBLOCK), EINVAL);
	T_ERRNO(rump_sys_pipe2(fds, O_APPEND), EINVAL);
	T_ERRNO(rump_sys_pipe2(fds, -1), EINVAL);
}

T_CASE(readv_writev, "writev and readv move scattered buffers through a pipe")
{
	char a[] = "one", b[] = "two", c[] = "three", out[16] = {0};
	struct iovec wv[3] = {{a, 3}, {b, 3}, {c, 5}};
	struct iovec rv[2] = {{out, 4}, {out + 4, 12}};
	int fds[2];

	t_boot();
	T_OK(rump_sys_pipe(fds));
	T_EQ(rump_sys_writev(fds[1], wv, 3), 11);
	T_EQ(rump_sys_readv(fds[0], rv, 2), 11);
	T_ASSERT(memcmp(out, "onetwothree", 11) == 0);
}

T_CASE(fionread, "FIONREAD tells how many bytes wait in the pipe")
{
	char buf[200];
	int fds[2], n = -1;

	t_boot();
	T_OK(rump_sys_pipe(fds));
	T_OK(rump_sys_ioctl(fds[0], FIONREAD, &n));
	T_EQ(n, 0);
	T_EQ(rump_sys_write(fds[1], buf, 123), 123);
	T_OK(rump_sys_ioctl(fds[0], FIONREAD, &n));
	T_EQ(n, 123);
	T_OK(rump_sys_ioctl(fds[1], FIONREAD, &n));
	T_EQ(n, 123);
	T_EQ(rump_sys_read(fds[0], buf, 23), 23);
	T_OK(rump_sys_ioctl(fds[0], FIONREAD, &n));
	T_EQ(n, 100);
	T_ERRNO(rump_sys_ioctl(fds[0], FIONREAD, (void *)8), EFAULT);
	T_ERRNO(rump_sys_ioctl(fds[0], TCGETS, buf), ENOTTY);
}

T_CASE(fstat_pipe, "fstat of a pipe's ends: one FIFO inode per pipe")
{
	struct stat a, b, c;
	int fds[2], fds2[2];

	t_boot();
	T_OK(rump_sys_pipe(fds));
	T_OK(rump_sys_pipe(fds2));
	T_EQ(rump_sys_write(fds[1], "xyz", 3), 3);
	T_OK(rump_sys_fstat(fds[0], &a));
	T_OK(rump_sys_fstat(fds[1], &b));
	T_OK(rump_sys_fstat(fds2[0], &c));
	T_ASSERT(S_ISFIFO(a.st_mode));
	T_EQ(a.st_mode & 07777, 0600);
	T_EQ(a.st_ino, b.st_ino);
	T_ASSERT(a.st_ino != c.st_ino);
	T_EQ(a.st_size, 0);
	T_EQ(a.st_nlink, 1);
	T_EQ(a.st_uid, 0);
	T_ASSERT(a.st_mtim.tv_sec > 1000000000);
	T_ERRNO(rump_sys_fstat(fds[0], (struct stat *)16), EFAULT);
}

T_CASE(bad_pointers, "bad buffers give EFAULT; the pipe keeps its data")
{
	int fds[2], nfds[2];
	char buf[8];

	t_boot();
	T_ERRNO(rump_sys_pipe(NULL), EFAULT);
	T_ERRNO(rump_sys_pipe2((int *)8, 0), EFAULT);
	/* The failed calls left no descriptor behind. */
	T_OK(rump_sys_pipe(fds));
	T_EQ(fds[0], 3);
	T_EQ(fds[1], 4);
	T_ERRNO(rump_sys_write(fds[1], (void *)16, 4), EFAULT);
	T_EQ(rump_sys_write(fds[1], "data", 4), 4);
	T_ERRNO(rump_sys_read(fds[0], (void *)16, 4), EFAULT);
	T_EQ(rump_sys_read(fds[0], buf, sizeof(buf)), 4);
	T_ASSERT(memcmp(buf, "data", 4) == 0);
	T_OK(rump_sys_pipe(nfds));
	T_EQ(nfds[0], 5);
}

T_CASE(emfile,
    "pipe fails with EMFILE at the descriptor limit, leaking "
    "nothing")
{
	struct rlimit rl = {8, 8};
	int fds[2], n = 0;

	t_boot();
	T_OK(rump_sys_setrlimit(RLIMIT_NOFILE, &rl));
	while (rump_sys_pipe(fds) == 0)
		n++;
	T_EQ(errno, EMFILE);
	T_EQ(n, 2); /* 3..6; the third gets 7, no room for its write end */
	T_OK(rump_sys_close(6));
	T_OK(fds[0] = rump_sys_dup(0));
	T_EQ(fds[0], 6);
	T_OK(fds[0] = rump_sys_dup(0));
	T_EQ(fds[0], 7);
}

T_CASE(rfork_shared,
    "processes with copied descriptor tables share a pipe; "
    "the last writer's exit is EOF")
{
	struct lwp *child;
	char buf[16];
	int fds[2];

	t_boot();
	T_OK(rump_sys_pipe(fds));
	T_EQ(rump_pub_lwproc_rfork(RUMP_RFFDG), 0);
	child = rump_pub_lwproc_curlwp();
	T_ASSERT(rump_sys_getpid() > 1);
	T_OK(rump_sys_close(fds[0]));
	T_EQ(rump_sys_write(fds[1], "from child", 10), 10);

	rump_pub_lwproc_switch(NULL);
	T_EQ(rump_sys_getpid(), 1);
	T_OK(rump_sys_close(fds[1]));
	T_EQ(rump_sys_read(fds[0], buf, sizeof(buf)), 10);
	T_ASSERT(memcmp(buf, "from child", 10) == 0);
	T_OK(rump_sys_fcntl(fds[0], F_SETFL, O_NONBLOCK));
	T_ERRNO(rump_sys_read(fds[0], buf, sizeof(buf)), EAGAIN);

	/* The child exits: its table goes, and with it the last writer. */
	rump_pub_lwproc_switch(child);
	rump_pub_lwproc_releaselwp();
	T_EQ(rump_sys_getpid(), 1);
	T_EQ(rump_sys_read(fds[0], buf, sizeof(buf)), 0);
}

struct proc_reader {
	struct lwp *l;
	int fd;
	char buf[32];
	ssize_t n;
};

static void *
proc_reader(void *arg)
{
	struct proc_reader *r = arg;

	rump_pub_lwproc_switch(r->l);
	r->n = rump_sys_read(r->fd, r->buf, sizeof(r->buf));
	rump_pub_lwproc_releaselwp();
	return NULL;
}

T_CASE(rfork_threads,
    "a thread of one process reads what a thread of "
    "another writes")
{
	struct proc_reader r;
	pthread_t t;
	int fds[2];

	t_boot();
	T_OK(rump_sys_pipe(fds));
	T_EQ(rump_pub_lwproc_rfork(RUMP_RFFDG), 0);
	r.l = rump_pub_lwproc_curlwp();
	r.fd = fds[0];
	rump_pub_lwproc_switch(NULL);
	T_EQ(pthread_create(&t, NULL, proc_reader, &r), 0);
	sleep_ms(50);
	T_EQ(rump_sys_write(fds[1], "across", 6), 6);
	pthread_join(t, NULL);
	T_EQ(r.n, 6);
	T_ASSERT(memcmp(r.buf, "across", 6) == 0);
}
