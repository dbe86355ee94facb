/*
 * rumpuser.h — the hypercall interface between the rump kernel and the
 * platform it runs on.
 *
 * This is the only way out of the kernel: everything under kernel/ reaches
 * the host through these functions, and a platform (platform/posix, later
 * platform/hw and platform/sim) provides nothing else.  The shape follows
 * NetBSD's rumpuser(3) version 17; the version number is our own and is
 * checked exactly by rumpuser_init().
 *
 * Rules:
 *  - Every int-returning hypercall returns 0 or an errno value in the Linux
 *    numbering.  Hypercalls returning void cannot fail.  A platform
 *    translates host error numbers in exactly one function.
 *  - A hypercall is entered holding a virtual CPU of the kernel.  A hypercall
 *    that may block releases the CPU first through
 *    hyp_backend_unschedule() and takes one back through
 *    hyp_backend_schedule() before it returns.  The _nowrap variants never
 *    release the CPU: they are for callers that hold none or must keep it.
 *  - Integer offsets are int64_t and enums are passed as int, so that the
 *    interface does not depend on the host's types.
 *
 * This header includes nothing; the includer provides <stdint.h> and
 * <stddef.h> (or the kernel's equivalents).  It is for kernels and
 * platforms, not for applications.
 */
#ifndef RUMP_RUMPUSER_H
#define RUMP_RUMPUSER_H

#if !defined(_KERNEL) && !defined(LIBRUMPUSER)
#error "rumpuser.h is for the rump kernel and its platforms only"
#endif

#define RUMPUSER_VERSION 1001

struct lwp;

/*
 * Upcalls: functions of the kernel that the platform may call.  The table is
 * handed to rumpuser_init() and stays valid until the process exits.  The
 * lwproc upcalls (switch, release, rfork, newlwp, curlwp) and hyp_syscall
 * are called holding no virtual CPU: they take one themselves.
 */
struct rumpuser_hyperup {
	void (*hyp_schedule)(void);
	void (*hyp_unschedule)(void);
	void (*hyp_backend_unschedule)(
	    int nlocks, int *countp, void *interlock);
	void (*hyp_backend_schedule)(int nlocks, void *interlock);
	void (*hyp_lwproc_switch)(struct lwp *l);
	void (*hyp_lwproc_release)(void);
	int (*hyp_lwproc_rfork)(void *priv, int flags, const char *comm);
	int (*hyp_lwproc_newlwp)(int pid);
	struct lwp *(*hyp_lwproc_curlwp)(void);
	int (*hyp_syscall)(int num, void *args, long *retval);
	void (*hyp_lwpexit)(void);
	void (*hyp_execnotify)(const char *comm);
	int (*hyp_getpid)(void);
	void *hyp__extra[8];
};

/* Initialisation: fails with a message unless version == RUMPUSER_VERSION. */
int rumpuser_init(int version, const struct rumpuser_hyperup *hyp);

/* Memory.  alignment is in bytes (0: pointer alignment). */
int rumpuser_malloc(size_t len, int alignment, void **memp);
void rumpuser_free(void *mem, size_t len);
int rumpuser_anonmmap(
    void *prefaddr, size_t size, int alignbit, int exec, void **memp);
void rumpuser_unmap(void *addr, size_t len);

/* Files and block I/O. */
#define RUMPUSER_OPEN_RDONLY  0x0000
#define RUMPUSER_OPEN_WRONLY  0x0001
#define RUMPUSER_OPEN_RDWR    0x0002
#define RUMPUSER_OPEN_ACCMODE 0x0003
#define RUMPUSER_OPEN_CREATE  0x0004 /* a missing file is created */
#define RUMPUSER_OPEN_EXCL    0x0008 /* with CREATE: fail if it exists */
#define RUMPUSER_OPEN_BIO     0x0010 /* the fd will serve rumpuser_bio */
int rumpuser_open(const char *name, int mode, int *fdp);
int rumpuser_close(int fd);

#define RUMPUSER_FT_OTHER 0
#define RUMPUSER_FT_DIR   1
#define RUMPUSER_FT_REG   2
#define RUMPUSER_FT_BLK   3
#define RUMPUSER_FT_CHR   4
int rumpuser_getfileinfo(const char *name, uint64_t *size, int *type);

#define RUMPUSER_BIO_READ  0x01
#define RUMPUSER_BIO_WRITE 0x02
#define RUMPUSER_BIO_SYNC  0x04 /* durable before completion */
typedef void (*rump_biodone_fn)(void *donearg, size_t bytes_done, int error);
/*
 * Starts the transfer and returns at once.  biodone is called exactly once,
 * from a platform thread that holds a virtual CPU; after it the platform no
 * longer touches data.
 */
void rumpuser_bio(int fd, int op, void *data, size_t dlen, int64_t off,
    rump_biodone_fn biodone, void *donearg);

struct rumpuser_iovec {
	void *iov_base;
	size_t iov_len;
};
#define RUMPUSER_IOV_NOSEEK ((int64_t)-1)
int rumpuser_iovread(int fd, struct rumpuser_iovec *iov, size_t iovlen,
    int64_t off, size_t *retv);
int rumpuser_iovwrite(int fd, const struct rumpuser_iovec *iov, size_t iovlen,
    int64_t off, size_t *retv);

#define RUMPUSER_SYNCFD_READ    0x01
#define RUMPUSER_SYNCFD_WRITE   0x02
#define RUMPUSER_SYNCFD_BOTH    (RUMPUSER_SYNCFD_READ | RUMPUSER_SYNCFD_WRITE)
#define RUMPUSER_SYNCFD_BARRIER 0x04
#define RUMPUSER_SYNCFD_SYNC    0x08
int rumpuser_syncfd(int fd, int flags, uint64_t start, uint64_t len);

/*
 * Clocks.  RELWALL: gettime reads wall-clock time, sleep sleeps for a
 * duration.  ABSMONO: gettime reads a monotonic clock, sleep sleeps until
 * that clock reaches the given time.
 */
enum rumpclock { RUMPUSER_CLOCK_RELWALL, RUMPUSER_CLOCK_ABSMONO };
int rumpuser_clock_gettime(int enum_rumpclock, int64_t *sec, long *nsec);
int rumpuser_clock_sleep(int enum_rumpclock, int64_t sec, long nsec);

/*
 * Parameters, as strings.  Names starting with '_' are mandatory: every
 * platform answers them.  Others come from the environment on POSIX.
 */
#define RUMPUSER_PARAM_NCPU     "_RUMPUSER_NCPU"
#define RUMPUSER_PARAM_HOSTNAME "_RUMPUSER_HOSTNAME"
int rumpuser_getparam(const char *name, void *buf, size_t buflen);

/* Sets errno of the calling host thread (for rump_sys_* callers). */
void rumpuser_seterrno(int error);

#define RUMPUSER_PID_SELF ((int64_t)-1)
int rumpuser_kill(int64_t pid, int sig);
#define RUMPUSER_PANIC (-1)
void rumpuser_exit(int value) __attribute__((__noreturn__));

/* Console. putchar is the path of the kernel's printf. */
void rumpuser_putchar(int ch);
void rumpuser_dprintf(const char *fmt, ...)
    __attribute__((__format__(__printf__, 1, 2)));

#define RUMPUSER_RANDOM_HARD   0x01
#define RUMPUSER_RANDOM_NOWAIT 0x02
int rumpuser_getrandom(void *buf, size_t buflen, int flags, size_t *retp);

/*
 * Threads.  fun never returns; it ends with rumpuser_thread_exit().
 * cookie is filled only when mustjoin.
 */
int rumpuser_thread_create(void *(*fun)(void *), void *arg, const char *thrname,
    int mustjoin, int priority, int cpuidx, void **cookie);
void rumpuser_thread_exit(void) __attribute__((__noreturn__));
int rumpuser_thread_join(void *cookie);

/*
 * The lwp bound to the calling host thread.  SET binds l (the thread has no
 * binding), CLEAR removes the binding of l.  CREATE and DESTROY tell the
 * platform that l starts or stops being a valid context.  rumpuser_curlwp()
 * is on every fast path: it returns NULL when nothing is bound.  When a
 * host thread exits with an lwp bound, the platform unbinds it by calling
 * hyp_lwproc_switch(NULL) from that thread, holding no virtual CPU.
 */
enum rumplwpop {
	RUMPUSER_LWP_CREATE,
	RUMPUSER_LWP_DESTROY,
	RUMPUSER_LWP_SET,
	RUMPUSER_LWP_CLEAR
};
void rumpuser_curlwpop(int enum_rumplwpop, struct lwp *l);
struct lwp *rumpuser_curlwp(void);

/*
 * Mutexes.  SPIN: acquiring never releases the virtual CPU.  KMUTEX: the
 * mutex records its owning lwp, so rumpuser_mutex_owner() can answer.
 */
struct rumpuser_mtx;
#define RUMPUSER_MTX_SPIN   0x01
#define RUMPUSER_MTX_KMUTEX 0x02
void rumpuser_mutex_init(struct rumpuser_mtx **mtxp, int flags);
void rumpuser_mutex_enter(struct rumpuser_mtx *mtx);
void rumpuser_mutex_enter_nowrap(struct rumpuser_mtx *mtx);
int rumpuser_mutex_tryenter(struct rumpuser_mtx *mtx);
void rumpuser_mutex_exit(struct rumpuser_mtx *mtx);
void rumpuser_mutex_destroy(struct rumpuser_mtx *mtx);
void rumpuser_mutex_owner(struct rumpuser_mtx *mtx, struct lwp **lp);

struct rumpuser_rw;
enum rumprwlock { RUMPUSER_RW_READER, RUMPUSER_RW_WRITER };
void rumpuser_rw_init(struct rumpuser_rw **rwp);
void rumpuser_rw_enter(int enum_rumprwlock, struct rumpuser_rw *rw);
int rumpuser_rw_tryenter(int enum_rumprwlock, struct rumpuser_rw *rw);
int rumpuser_rw_tryupgrade(struct rumpuser_rw *rw);
void rumpuser_rw_downgrade(struct rumpuser_rw *rw);
void rumpuser_rw_exit(struct rumpuser_rw *rw);
void rumpuser_rw_destroy(struct rumpuser_rw *rw);
void rumpuser_rw_held(int enum_rumprwlock, struct rumpuser_rw *rw, int *heldp);

/*
 * Condition variables.  timedwait takes a relative timeout and returns
 * ETIMEDOUT when it ran out, 0 when signalled.
 */
struct rumpuser_cv;
void rumpuser_cv_init(struct rumpuser_cv **cvp);
void rumpuser_cv_destroy(struct rumpuser_cv *cv);
void rumpuser_cv_wait(struct rumpuser_cv *cv, struct rumpuser_mtx *mtx);
void rumpuser_cv_wait_nowrap(struct rumpuser_cv *cv, struct rumpuser_mtx *mtx);
int rumpuser_cv_timedwait(struct rumpuser_cv *cv, struct rumpuser_mtx *mtx,
    int64_t sec, int64_t nsec);
void rumpuser_cv_signal(struct rumpuser_cv *cv);
void rumpuser_cv_broadcast(struct rumpuser_cv *cv);
void rumpuser_cv_has_waiters(struct rumpuser_cv *cv, int *waitersp);

/* Daemonizing: begin before rump_init(), done when the service is up. */
int rumpuser_daemonize_begin(void);
int rumpuser_daemonize_done(int error);

/*
 * Sysproxy: the transport of remote clients.  arg is the per-client cookie
 * the platform passed to hyp_lwproc_rfork().
 */
int rumpuser_sp_init(const char *url, const char *ostype, const char *osrelease,
    const char *machine);
int rumpuser_sp_copyin(void *arg, const void *raddr, void *laddr, size_t len);
int rumpuser_sp_copyinstr(
    void *arg, const void *raddr, void *laddr, size_t *lenp);
int rumpuser_sp_copyout(void *arg, const void *laddr, void *raddr, size_t len);
int rumpuser_sp_copyoutstr(
    void *arg, const void *laddr, void *raddr, size_t *lenp);
int rumpuser_sp_anonmmap(void *arg, size_t howmuch, void **addr);
int rumpuser_sp_raise(void *arg, int signo);
void rumpuser_sp_fini(void *arg);

#endif /* RUMP_RUMPUSER_H */
