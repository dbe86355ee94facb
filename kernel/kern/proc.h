/*
 * proc.h — virtual CPUs, lwps, processes, credentials, descriptors and the
 * movement of data between the kernel and its callers.
 *
 * Typical life of a caller's context:
 *   rump_pub_lwproc_rfork()  → process + lwp, bound to the host thread
 *   rump_sys_*()             → schedule (take a vCPU) … unschedule
 *   rump_pub_lwproc_releaselwp() → lwp freed; the process exits with its
 *                                  last lwp
 * A host thread with no lwp of its own runs in an implicit lwp of pid 1.
 *
 * Lock order: proc_lock → p_lock → fd_lock → cred (immutable).
 */
#ifndef KERNEL_KERN_PROC_H
#define KERNEL_KERN_PROC_H

#include "kern.h"

struct proc;
struct file;

/*
 * A virtual CPU.  A host thread runs kernel code only while it holds one.
 * [a] atomic  [c] only the holder of this CPU
 */
struct cpu_info {
	struct lwp *ci_curlwp;    /* [a] holder, NULL when free */
	int ci_index;             /* immutable */
	struct kmem_cpu *ci_kmem; /* [c] per-CPU allocator caches */
	uint64_t ci_nsyscalls;    /* [c] statistics */
} __cacheline_aligned;

extern struct cpu_info *cpu_infos;
extern int ncpu;

/*
 * Credentials are immutable once shared: a change makes a new copy
 * (kauth_cred_dup) and swaps the process's pointer under p_lock.
 */
struct kauth_cred {
	unsigned cr_refcnt; /* [a] */
	uid_t cr_uid, cr_euid, cr_suid;
	gid_t cr_gid, cr_egid, cr_sgid;
	int cr_ngroups;
	gid_t cr_groups[32];
};
#define NGROUPS_KERN 32
typedef struct kauth_cred *kauth_cred_t;
kauth_cred_t kauth_cred_alloc_root(void);
kauth_cred_t kauth_cred_dup(kauth_cred_t c);
void kauth_cred_hold(kauth_cred_t c);
void kauth_cred_free(kauth_cred_t c);
bool kauth_cred_groupmember(kauth_cred_t c, gid_t gid);
/* Returns the caller's current credentials, held; free with _free. */
kauth_cred_t kauth_cred_get(void);

/*
 * An lwp: the kernel's view of a thread of a process.
 * States: LSIDL (created, not bound) → LSONPROC (bound to a host thread) →
 * LSIDL again when unbound by a switch → LSZOMB (released).  l_stat is
 * guarded by the owning process's p_lock; the binding itself is the host
 * thread's (rumpuser_curlwp).
 * [I] immutable  [p] p_lock  [c] only the host thread bound to it
 */
struct lwp {
	struct proc *l_proc;       /* [I] */
	struct cpu_info *l_cpu;    /* [c] the CPU held, NULL when none */
	lwpid_t l_lid;             /* [I] */
	int l_flags;               /* [p] LW_* */
	int l_stat;                /* [p] LS* */
	int l_nheld;               /* [c] lockdebug: locks held */
	int l_held[16];            /* [c] lockdebug: classes held, in order */
	int l_cpuhint;             /* [c] index of the CPU last held */
	void *l_private;           /* [c] for factions (e.g. the VFS) */
	void *l_netbatch;          /* [c] the network's batch (net_batch.h) */
	void *l_kthread;           /* [I] host thread of a kernel thread */
	LIST_ENTRY(lwp) l_sibling; /* [p] */
};
#define LW_IMPLICIT  0x01 /* implicit context of a thread with no lwp */
#define LW_SYSTEM    0x02 /* kernel thread */
#define LW_WEXIT     0x04 /* being torn down */
#define LW_SCHEDWAIT 0x08 /* [c] waiting for a CPU in cpu_acquire */
#define LSIDL        1
#define LSONPROC     2
#define LSZOMB       3

/*
 * Address-space operations of a process: how the kernel reads and writes
 * the caller's memory.  Local callers share the kernel's address space;
 * remote clients (sysproxy) get their own ops.
 */
struct vmspace_ops {
	int (*vo_copyin)(void *arg, const void *uaddr, void *kaddr, size_t len);
	int (*vo_copyout)(
	    void *arg, const void *kaddr, void *uaddr, size_t len);
	/* Copies a string of at most len bytes with its NUL; *done counts it.
	 */
	int (*vo_copyinstr)(void *arg, const void *uaddr, char *kaddr,
	    size_t len, size_t *done);
};
extern const struct vmspace_ops vmspace_local;
/*
 * The ops of remote clients, set by the sysproxy component when it is
 * linked; a process made by hyp_lwproc_rfork() with a client cookie uses
 * them with that cookie as p_vmarg.
 */
extern const struct vmspace_ops *vmspace_remote;

/*
 * A process.
 * [I] immutable  [p] p_lock  [P] proc_lock  [a] atomic
 */
struct proc {
	pid_t p_pid;         /* [I] */
	struct proc *p_pptr; /* [P] parent */
	kmutex_t p_lock;
	kauth_cred_t p_cred;   /* [p] */
	struct filedesc *p_fd; /* [p] descriptor table */
	void *p_cwdi;          /* [p] cwd/root, owned by the VFS */
	mode_t p_umask;        /* [p] */
	struct rlimit p_rlimit[RLIM_NLIMITS]; /* [p] */
	LIST_HEAD(, lwp) p_lwps;              /* [p] */
	int p_nlwps;                          /* [p] */
	lwpid_t p_nextlid;                    /* [p] */
	int p_flags;                          /* [p] P_* */
	uint64_t p_sigpend;                /* [p] pending signals (bit n-1) */
	char p_comm[16];                   /* [p] */
	const struct vmspace_ops *p_vmops; /* [I] */
	void *p_vmarg;                     /* [I] */
	LIST_ENTRY(proc) p_list;           /* [P] all processes */
};
#define P_SYSTEM 0x01 /* the kernel process, pid 0 */
#define P_WEXIT  0x02 /* exiting */

extern struct proc proc0;  /* the kernel itself */
extern struct proc *proc1; /* "rumplocal": implicit callers */
extern kmutex_t proc_lock;

/* The lwp of the calling host thread (NULL outside the kernel). */
static inline struct lwp *
curlwp_get(void)
{
	return rumpuser_curlwp();
}
#define curlwp   curlwp_get()
#define curproc  (curlwp->l_proc)
#define curcpu() (curlwp->l_cpu)

/* Scheduling (kern_sched.c). */
void sched_init(int ncpu);
struct lwp *sched_enter(void);
void sched_exit(struct lwp *l);
void sched_wakeup(void);
extern unsigned sched_waiters;

/*
 * The system call fast path, inline: a thread with an lwp takes the CPU it
 * used last with one compare-and-swap, and gives it back with one plain
 * store (why no fence is needed: see cpu_acquire in kern_sched.c).
 * Anything else goes through sched_enter/sched_exit.
 */
static inline struct lwp *
sched_enter_fast(void)
{
	struct lwp *l = rumpuser_curlwp();

	if (__predict_true(l != NULL)) {
		struct cpu_info *ci = &cpu_infos[l->l_cpuhint];
		struct lwp *expect = NULL;

		if (__predict_true(
		        __atomic_compare_exchange_n(&ci->ci_curlwp, &expect, l,
		            false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))) {
			l->l_cpu = ci;
			return l;
		}
	}
	return sched_enter();
}

static inline void
sched_exit_fast(struct lwp *l)
{
	struct cpu_info *ci = l->l_cpu;

	l->l_cpu = NULL;
	atomic_store_release(&ci->ci_curlwp, NULL);
	if (__predict_false(atomic_load_relaxed(&sched_waiters) != 0))
		sched_wakeup();
}

/* Processes and lwps (kern_proc.c). */
void proc_init(void);
/* New process, child of parent, sharing/copying/clearing its fds (RUMP_RF*). */
int proc_create(struct proc *parent, int rfflags, struct proc **pp);
int lwp_create(struct proc *p, int flags, struct lwp **lp);
void lwp_free(struct lwp *l);
struct proc *proc_find(pid_t pid); /* caller holds proc_lock */
struct lwp *lwp_alloc_implicit(void);

/* Descriptors (kern_descrip.c). */
struct uio;
struct stat;
/*
 * Operations of an open file.  fo_read and fo_write move uio->uio_resid
 * bytes at uio->uio_offset; with FOF_UPDATE_OFFSET they work at the
 * file's own offset instead (read(2)), which they read and advance under
 * f_lock, and O_APPEND writes go to the end.  A NULL op is refused: EBADF
 * for read/write, ESPIPE for seek, ENOTTY for ioctl, EINVAL otherwise.
 */
struct fileops {
	int (*fo_read)(struct file *fp, struct uio *uio, int flags);
	int (*fo_write)(struct file *fp, struct uio *uio, int flags);
	/* ioctl with the caller's argument pointer, copied in/out by fo_ioctl
	 */
	int (*fo_ioctl)(
	    struct file *fp, unsigned long cmd, void *uarg, register_t *retval);
	int (*fo_fcntl_setfl)(struct file *fp, int flags);
	/* Returns the ready events of `events`; records the poller if none. */
	int (*fo_poll)(struct file *fp, int events);
	int (*fo_stat)(struct file *fp, struct stat *st);
	int (*fo_seek)(struct file *fp, off_t off, int whence, off_t *newoff);
	int (*fo_close)(struct file *fp);
	int fo_type; /* DTYPE_* */
};
#define FOF_UPDATE_OFFSET 0x01
#define DTYPE_VNODE       1
#define DTYPE_PIPE        2
#define DTYPE_SOCKET      3
#define DTYPE_CONSOLE     4
/*
 * An open file, shared by every descriptor that refers to it.
 * [a] atomic  [f] f_lock  [I] immutable
 */
struct file {
	unsigned f_count; /* [a] references */
	int f_flag;       /* [f] O_ACCMODE bits | O_APPEND | O_NONBLOCK ... */
	const struct fileops *f_ops; /* [I] */
	void *f_data;                /* [I] */
	off_t f_offset;              /* [f] */
	kmutex_t f_lock;
	void *f_lockf; /* [f] OFD and flock() locks, VFS-owned */
};
int file_alloc(
    const struct fileops *ops, void *data, int flags, struct file **fpp);
void file_hold(struct file *fp);
int file_release(struct file *fp);

/*
 * Hooks of factions into process life: the VFS gives each process its
 * cwd/root (p_cwdi) at fork and takes them at exit; descriptors are
 * closed by the base.  A hook that fails makes the fork fail.
 */
struct proc_hooks {
	int (*ph_fork)(struct proc *parent, struct proc *child);
	void (*ph_exit)(struct proc *p);
	/*
	 * Called on every close of a descriptor of fp by p (Linux drops a
	 * process's record locks of a file on any close of it).
	 */
	void (*ph_fdclose)(struct proc *p, struct file *fp);
	struct proc_hooks *ph_next;
};
void proc_hooks_register(struct proc_hooks *ph);
int proc_hooks_fork(struct proc *parent, struct proc *child);
void proc_hooks_exit(struct proc *p);
void proc_hooks_fdclose(struct proc *p, struct file *fp);

/*
 * Waiting for files to become ready (kern_poll.c).  A file keeps a
 * selinfo; its fo_poll calls selrecord() when nothing is ready, and the
 * file calls selnotify() when something may have become ready.
 */
struct selinfo {
	void *si_waiters; /* [sel_lock] pollers recorded here */
};
void selrecord(struct selinfo *sip);
void selnotify(struct selinfo *sip, int events);
void seldestroy(struct selinfo *sip);

/* [l] fd_lock */
struct filedesc {
	unsigned fd_refcnt; /* [a] processes sharing the table */
	kmutex_t fd_lock;
	int fd_nfiles;          /* [l] slots allocated */
	struct file **fd_files; /* [l] */
	uint8_t *fd_flags;      /* [l] FD_CLOEXEC per slot */
};
struct filedesc *fd_create(void);
int fd_copy(struct filedesc *src, struct filedesc **dstp);
void fd_share(struct filedesc *fdp);
void fd_free(struct filedesc *fdp);
void fd_exit_hooks(struct proc *p);
/* Installs fp at the lowest free slot >= minfd; takes a reference to fp. */
int fd_install(
    struct filedesc *fdp, struct file *fp, int minfd, int fdflags, int *fdout);
/* Looks up fd and returns its file held; release with file_release. */
int fd_getfile(int fd, struct file **fpp);
int fd_close(int fd);
int console_open_std(struct proc *p);

/*
 * Moving data between a caller's buffers and the kernel (kern_copy.c).
 * Every pointer that comes from a caller goes through these; a bad one
 * gives EFAULT.
 */
int copyin(const void *uaddr, void *kaddr, size_t len);
int copyout(const void *kaddr, void *uaddr, size_t len);
int copyinstr(const void *uaddr, char *kaddr, size_t len, size_t *done);

enum uio_rw { UIO_READ, UIO_WRITE };
struct iovec {
	void *iov_base;
	size_t iov_len;
};
struct uio {
	struct iovec *uio_iov;
	int uio_iovcnt;
	off_t uio_offset;
	size_t uio_resid;
	enum uio_rw uio_rw;
	bool uio_sys; /* buffers are kernel memory, not the caller's */
};
/* Moves up to n bytes between kernel buffer buf and the uio's buffers. */
int uiomove(void *buf, size_t n, struct uio *uio);

#endif /* KERNEL_KERN_PROC_H */
