/*
 * kern.h — what the rest of the kernel may use of the kernel base.
 *
 * The base sits directly on the hypercall interface (rumpuser.h) and gives
 * every other part of the kernel: console output and panics, memory
 * (kmem), locks, virtual CPUs and the current lwp, kernel threads, time and
 * callouts, softints and workqueues, and component registration.  Processes,
 * lwps, credentials and descriptors are in proc.h; the system call machinery
 * is in syscall.h.
 */
#ifndef KERNEL_KERN_KERN_H
#define KERNEL_KERN_KERN_H

#include "../sys/errno.h"
#include "../sys/linux_abi.h"
#include "../sys/types.h"

#ifndef _KERNEL
#define _KERNEL 1
#endif
#include "../../include/rump/rumpuser.h"

/* The kernel's version: major * 10000 + minor * 100 + patch. */
#define RUMPK_VERSION 100

/* Public API functions of the kernel (rump_*) are exported; nothing else. */
#define RUMP_API __attribute__((visibility("default")))

#define __unused            __attribute__((__unused__))
#define __noreturn          __attribute__((__noreturn__))
#define __printflike(f, a)  __attribute__((__format__(__printf__, f, a)))
#define __predict_true(x)   __builtin_expect(!!(x), 1)
#define __predict_false(x)  __builtin_expect(!!(x), 0)
#define __cacheline_aligned __attribute__((__aligned__(64)))
#define COHERENCY_UNIT      64

#define MIN(a, b)     ((a) < (b) ? (a) : (b))
#define MAX(a, b)     ((a) > (b) ? (a) : (b))
#define howmany(x, y) (((x) + ((y)-1)) / (y))
#define roundup(x, y) (howmany(x, y) * (y))
#define nitems(a)     (sizeof(a) / sizeof((a)[0]))
#define container_of(p, type, member)                                          \
	((type *)(void *)((char *)(p)-offsetof(type, member)))

/* Atomics: thin names over the compiler's builtins. */
#define atomic_load_relaxed(p)     __atomic_load_n((p), __ATOMIC_RELAXED)
#define atomic_load_acquire(p)     __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define atomic_store_relaxed(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define atomic_store_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define atomic_inc(p)              __atomic_add_fetch((p), 1, __ATOMIC_SEQ_CST)
#define atomic_dec(p)              __atomic_sub_fetch((p), 1, __ATOMIC_SEQ_CST)
#define atomic_add(p, v)           __atomic_add_fetch((p), (v), __ATOMIC_SEQ_CST)
#define atomic_cas(p, oldp, new)                                               \
	__atomic_compare_exchange_n(                                           \
	    (p), (oldp), (new), false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)

/*
 * Doubly linked lists with a head pointer (BSD LIST_*), enough for the
 * kernel's needs.  An entry is unlinked by LIST_REMOVE in O(1).
 */
#define LIST_HEAD(name, type)                                                  \
	struct name {                                                          \
		struct type *lh_first;                                         \
	}
#define LIST_ENTRY(type)                                                       \
	struct {                                                               \
		struct type *le_next;                                          \
		struct type **le_prev;                                         \
	}
#define LIST_FIRST(h)   ((h)->lh_first)
#define LIST_NEXT(e, f) ((e)->f.le_next)
#define LIST_EMPTY(h)   ((h)->lh_first == NULL)
#define LIST_INIT(h)    ((h)->lh_first = NULL)
#define LIST_FOREACH(v, h, f)                                                  \
	for ((v) = (h)->lh_first; (v); (v) = (v)->f.le_next)
#define LIST_INSERT_HEAD(h, e, f)                                              \
	do {                                                                   \
		if (((e)->f.le_next = (h)->lh_first) != NULL)                  \
			(h)->lh_first->f.le_prev = &(e)->f.le_next;            \
		(h)->lh_first = (e);                                           \
		(e)->f.le_prev = &(h)->lh_first;                               \
	} while (0)
#define LIST_REMOVE(e, f)                                                      \
	do {                                                                   \
		if ((e)->f.le_next != NULL)                                    \
			(e)->f.le_next->f.le_prev = (e)->f.le_prev;            \
		*(e)->f.le_prev = (e)->f.le_next;                              \
	} while (0)

/* Console and panics (kern_prf.c). */
int printf(const char *fmt, ...) __printflike(1, 2);
int vprintf(const char *fmt, va_list ap);
int snprintf(char *buf, size_t len, const char *fmt, ...) __printflike(3, 4);
int vsnprintf(char *buf, size_t len, const char *fmt, va_list ap);
void panic(const char *fmt, ...) __noreturn __printflike(1, 2);
/* Verbose boot messages, printed when RUMP_VERBOSE is set. */
extern bool boot_verbose;
#define aprint_verbose(...)                                                    \
	do {                                                                   \
		if (boot_verbose)                                              \
			printf(__VA_ARGS__);                                   \
	} while (0)

#define KASSERT(e)                                                             \
	do {                                                                   \
		if (__predict_false(!(e)))                                     \
			panic("kernel assertion \"%s\" failed: %s:%d", #e,     \
			    __FILE__, __LINE__);                               \
	} while (0)
#define KASSERTMSG(e, ...)                                                     \
	do {                                                                   \
		if (__predict_false(!(e)))                                     \
			panic(__VA_ARGS__);                                    \
	} while (0)
#define CTASSERT(e) _Static_assert(e, #e)

/*
 * Strings and memory (kern_string.c, kernel/arch/<arch>/arch_string.c).
 * The kernel is built -ffreestanding, which also means -fno-builtin: without
 * the macros below every memcpy(&word, p, 8) would be an out-of-line call
 * (the checksum loop, header copies).  Through __builtin_* the compiler
 * inlines copies of known small size and calls the functions for the rest.
 * The files that define them say (memcpy)(...) to escape the macro.
 */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
#define memcpy(d, s, n)  __builtin_memcpy(d, s, n)
#define memmove(d, s, n) __builtin_memmove(d, s, n)
#define memset(d, c, n)  __builtin_memset(d, c, n)
#define memcmp(a, b, n)  __builtin_memcmp(a, b, n)
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
size_t strlcpy(char *dst, const char *src, size_t size);
char *strchr(const char *s, int c);
/* Parses a decimal number with an optional k/m/g suffix; -1 if malformed. */
int64_t parse_size(const char *s);

/*
 * Memory (kern_kmem.c).  kmem_alloc() returns NULL when memory is short:
 * with KM_SLEEP the reclaim hooks run first, with KM_NOSLEEP they do not.
 * Every caller handles NULL (usually as ENOMEM).  kmem_free() takes the size
 * that was allocated.
 */
#define KM_SLEEP   0x01
#define KM_NOSLEEP 0x02
void *kmem_alloc(size_t size, int flags);
void *kmem_zalloc(size_t size, int flags);
void kmem_free(void *p, size_t size);
char *kmem_strdup(const char *s, int flags);
/* Per-CPU arrays: an element per CPU, each on cache lines of its own. */
void *kmem_percpu_zalloc(size_t size, int flags);
void kmem_percpu_free(void *p, size_t size);
size_t kmem_percpu_stride(size_t size);
void kmem_strfree(char *s);
/* A reclaim hook frees cached memory; it returns the bytes it freed. */
struct kmem_reclaimer {
	size_t (*kr_fn)(void *arg);
	void *kr_arg;
	struct kmem_reclaimer *kr_next;
};
void kmem_reclaimer_register(struct kmem_reclaimer *kr);
/* Bytes taken from the host now, and the limit (0: none). */
size_t kmem_used(void);
size_t kmem_limit(void);

/*
 * Locks (kern_lock.c).  A kmutex is adaptive by default: a thread that must
 * wait for it releases its virtual CPU.  MUTEX_SPIN mutexes never do and
 * must be held only briefly.  Waiting on a kcondvar always releases the
 * CPU.  Lock order is written where locks are declared; RUMP_LOCKDEBUG=1
 * turns on a checker that panics at the first order reversal and at a
 * thread locking a mutex it holds.
 */
#define MUTEX_DEFAULT 0
#define MUTEX_SPIN    1
/*
 * A mutex is its owner's lwp in one word, taken with one compare-and-swap.
 * An adaptive mutex's waiters sleep on a hypercall mutex and condvar made
 * at its first contention (bit MTX_WAITERS of the word says some sleep);
 * a spin mutex's waiters spin, keeping their CPU.
 */
typedef struct kmutex {
	uintptr_t mtx_owner;          /* [a] owner lwp | MTX_WAITERS */
	struct rumpuser_mtx *mtx_hyp; /* [a] sleeping, made on demand */
	struct rumpuser_cv *mtx_cv;   /* [a] */
	int mtx_class;                /* lockdebug class, 0 when not tracked */
	int mtx_type;
} kmutex_t;
void mutex_init(kmutex_t *m, int type);
void mutex_destroy(kmutex_t *m);
void mutex_enter(kmutex_t *m);
bool mutex_tryenter(kmutex_t *m);
void mutex_exit(kmutex_t *m);
bool mutex_owned(kmutex_t *m);

/*
 * rwlocks: a word of state taken with one compare-and-swap when there is
 * no contention (readers count in it, a writer sets RW_WRITE); waiters
 * sleep on the lock's hypercall mutex and condvar.  A waiting writer keeps
 * new readers out.
 */
typedef enum { RW_READER, RW_WRITER } krw_t;
typedef struct krwlock {
	unsigned long rw_state;      /* [a] RW_* bits, readers << RW_SHIFT */
	struct lwp *rw_writer;       /* [a] the holding writer */
	struct rumpuser_mtx *rw_mtx; /* sleeping */
	struct rumpuser_cv *rw_cv;
	int rw_class;
} krwlock_t;
void rw_init(krwlock_t *rw);
void rw_destroy(krwlock_t *rw);
void rw_enter(krwlock_t *rw, krw_t op);
bool rw_tryenter(krwlock_t *rw, krw_t op);
bool rw_tryupgrade(krwlock_t *rw);
void rw_downgrade(krwlock_t *rw);
void rw_exit(krwlock_t *rw);
bool rw_write_held(krwlock_t *rw);
bool rw_read_held(krwlock_t *rw);
bool rw_lock_held(krwlock_t *rw);

/*
 * A condvar: waiters sleep on its own hypercall mutex and condvar, and a
 * generation count says whether a signal came since they began to wait.
 */
typedef struct kcondvar {
	struct rumpuser_mtx *cv_mtx;
	struct rumpuser_cv *cv_hyp;
	unsigned cv_gen;   /* [cv_mtx] */
	unsigned cv_nwait; /* [cv_mtx] */
} kcondvar_t;
void cv_init(kcondvar_t *cv);
void cv_destroy(kcondvar_t *cv);
void cv_wait(kcondvar_t *cv, kmutex_t *m);
/* Waits at most ns nanoseconds: 0 when woken, ETIMEDOUT when not. */
int cv_timedwait(kcondvar_t *cv, kmutex_t *m, uint64_t ns);
void cv_signal(kcondvar_t *cv);
void cv_broadcast(kcondvar_t *cv);
bool cv_has_waiters(kcondvar_t *cv);

/* Time (kern_time.c), in nanoseconds. */
uint64_t getnanouptime(void); /* monotonic since boot */
uint64_t getnanotime(void);   /* wall clock since the Epoch */
void kpause_ns(uint64_t ns);  /* sleeps, releasing the CPU */
extern uint64_t boottime_ns;

/*
 * Callouts (kern_callout.c): a function run once, from the clock thread,
 * no earlier than its deadline.  States: idle → pending (schedule) →
 * running (the clock thread calls it) → idle; stop takes pending back to
 * idle; halt also waits for a running call to finish (never from inside
 * the callout itself).  Guarded by the callout lock.
 */
struct callout {
	uint64_t c_deadline; /* monotonic ns */
	void (*c_fn)(void *);
	void *c_arg;
	int c_flags;
	LIST_ENTRY(callout) c_entry; /* on the wheel (pending) */
	struct callout *c_duenext;   /* on the clock thread's due list */
};
void callout_init(struct callout *c, void (*fn)(void *), void *arg);
void callout_schedule_ns(struct callout *c, uint64_t delta_ns);
void callout_schedule_at(struct callout *c, uint64_t deadline_ns);
bool callout_stop(struct callout *c);
bool callout_halt(struct callout *c);
bool callout_pending(struct callout *c);
void callout_destroy(struct callout *c);

/* Kernel threads (kern_thread.c).  A thread returns from fn to exit. */
#define KTHREAD_MUSTJOIN 0x01
struct lwp;
int kthread_create(void (*fn)(void *), void *arg, const char *name, int flags,
    struct lwp **lp);
int kthread_join(struct lwp *l);

/* Softints: fn runs soon, on a softint thread, after softint_schedule(). */
struct softint;
struct softint *softint_establish(void (*fn)(void *), void *arg);
void softint_schedule(struct softint *si);
void softint_disestablish(struct softint *si);

/* Workqueues: each enqueued work runs fn(work, arg) on the queue's thread. */
struct work {
	struct work *wk_next;
};
struct workqueue;
int workqueue_create(struct workqueue **wqp, const char *name,
    void (*fn)(struct work *, void *), void *arg);
void workqueue_enqueue(struct workqueue *wq, struct work *wk);
/* Waits until every work enqueued before the call has run. */
void workqueue_wait(struct workqueue *wq);
void workqueue_destroy(struct workqueue *wq);

/*
 * Components.  A component is a library that registers itself when it is
 * linked: RUMP_COMPONENT(level) { ... } runs at its level during
 * rump_init(), levels in the order below.
 */
enum rump_component_level {
	RUMP_COMPONENT_KERN = 1,
	RUMP_COMPONENT_SYSCALL,
	RUMP_COMPONENT_VFS,
	RUMP_COMPONENT_VFS_FS,
	RUMP_COMPONENT_NET,
	RUMP_COMPONENT_NET_IF,
	RUMP_COMPONENT_NET_IFCFG,
	RUMP_COMPONENT_DEV,
	RUMP_COMPONENT_POSTINIT,
};
struct rump_component {
	int rc_level;
	void (*rc_init)(void);
	const char *rc_name;
	struct rump_component *rc_next;
};
void component_register(struct rump_component *rc);
#define RUMP_COMPONENT(level)                                                  \
	static void rc_init_##level(void);                                     \
	static struct rump_component rc_##level = {                            \
	    level, rc_init_##level, __FILE__, NULL};                           \
	__attribute__((constructor)) static void rc_ctor_##level(void)         \
	{                                                                      \
		component_register(&rc_##level);                               \
	}                                                                      \
	static void rc_init_##level(void)

/*
 * Halt hooks run in rump_sys_reboot(), latest registered first, before the
 * kernel threads stop (file systems sync here).
 */
struct halt_hook {
	void (*hh_fn)(void);
	struct halt_hook *hh_next;
};
void halt_hook_register(struct halt_hook *hh);

/* Parameters from the platform (rumpuser_getparam), as a string. */
int kern_getparam(const char *name, char *buf, size_t len);

extern char hostname[UTS_LEN];
extern kmutex_t hostname_lock;

#endif /* KERNEL_KERN_KERN_H */
