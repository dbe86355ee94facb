/*
 * kern_init.c — booting and halting the kernel, components and parameters.
 *
 * rump_init() brings the kernel up on the calling thread: it hands the
 * upcall table to the platform, makes the virtual CPUs, binds the boot
 * lwp of proc0 to take CPU 0, brings up memory, time, processes, the
 * clock, softint threads, then runs every linked component's init by
 * level.  It returns with the thread unbound, as it found it.
 *
 * rump_sys_reboot() runs the halt hooks (file systems sync there), stops
 * the kernel threads and, for RB_POWER_OFF and RB_AUTOBOOT, exits the host
 * process; RB_HALT_SYSTEM returns to the caller with the kernel stopped.
 */
#include "syscall.h"

#include "../../include/rump/rump.h"

enum { KERN_COLD, KERN_BOOTING, KERN_UP, KERN_HALTED };
static int kern_state;
extern int kern_running;

char hostname[UTS_LEN];
kmutex_t hostname_lock;

static struct rump_component *components;
static struct halt_hook *halt_hooks;
static struct lwp lwp0;

void sched_upcalls(struct rumpuser_hyperup *);
void proc_upcalls(struct rumpuser_hyperup *);
void syscall_upcalls(struct rumpuser_hyperup *);
void lockdebug_init(void);
void kmem_init(void);
void time_init(void);
void callout_startup(void);
void callout_shutdown(void);
void softint_startup(void);
void softint_shutdown(void);

/* Called by constructors, before main() or at dlopen(): no locks exist. */
void
component_register(struct rump_component *rc)
{
	struct rump_component *head;

	do {
		head = __atomic_load_n(&components, __ATOMIC_ACQUIRE);
		rc->rc_next = head;
	} while (!__atomic_compare_exchange_n(
	    &components, &head, rc, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
}

void
halt_hook_register(struct halt_hook *hh)
{
	hh->hh_next = halt_hooks;
	halt_hooks = hh;
}

int
kern_getparam(const char *name, char *buf, size_t len)
{
	return rumpuser_getparam(name, buf, len);
}

static struct rumpuser_hyperup hyp;

static int
boot_ncpu(void)
{
	char buf[16];
	int64_t n;

	if (rumpuser_getparam(RUMPUSER_PARAM_NCPU, buf, sizeof(buf)) != 0) {
		printf("rump_init: the platform gives no valid %s\n",
		    RUMPUSER_PARAM_NCPU);
		return -1;
	}
	n = parse_size(buf);
	if (n < 1 || n > 256) {
		printf(
		    "rump_init: bad number of CPUs \"%s\" (1 to 256)\n", buf);
		return -1;
	}
	return (int)n;
}

RUMP_API int
rump_init(void)
{
	int state = KERN_COLD, n, error;
	char buf[8];

	if (!__atomic_compare_exchange_n(&kern_state, &state, KERN_BOOTING,
	        false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		if (state != KERN_HALTED)
			return 0;
		printf("rump_init: the kernel was halted; booting again needs "
		       "a new host process\n");
		return EBUSY;
	}
	sched_upcalls(&hyp);
	proc_upcalls(&hyp);
	syscall_upcalls(&hyp);
	if ((error = rumpuser_init(RUMPUSER_VERSION, &hyp)) != 0) {
		kern_state = KERN_COLD;
		return error;
	}
	if (rumpuser_getparam("RUMP_VERBOSE", buf, sizeof(buf)) == 0 &&
	    buf[0] != '0')
		boot_verbose = true;
	if ((n = boot_ncpu()) < 0) {
		kern_state = KERN_COLD;
		return EINVAL;
	}

	sched_init(n);
	lockdebug_init();
	lwp0.l_proc = &proc0;
	lwp0.l_flags = LW_SYSTEM;
	lwp0.l_stat = LSONPROC;
	rumpuser_curlwpop(RUMPUSER_LWP_SET, &lwp0);
	(void)sched_enter();

	kmem_init();
	time_init();
	proc_init();
	mutex_init(&hostname_lock, MUTEX_DEFAULT);
	if (rumpuser_getparam(
	        RUMPUSER_PARAM_HOSTNAME, hostname, sizeof(hostname)) != 0)
		panic("rump_init: the platform gives no %s",
		    RUMPUSER_PARAM_HOSTNAME);
	aprint_verbose("rumpk %d.%d.%d: %d virtual CPUs, host name %s\n",
	    RUMPK_VERSION / 10000, RUMPK_VERSION / 100 % 100,
	    RUMPK_VERSION % 100, ncpu, hostname);
	callout_startup();
	softint_startup();

	for (int level = RUMP_COMPONENT_KERN; level <= RUMP_COMPONENT_POSTINIT;
	     level++) {
		struct rump_component *rc;

		for (rc = components; rc != NULL; rc = rc->rc_next) {
			if (rc->rc_level != level)
				continue;
			aprint_verbose(
			    "component %s at level %d\n", rc->rc_name, level);
			rc->rc_init();
		}
	}

	sched_exit(&lwp0);
	rumpuser_curlwpop(RUMPUSER_LWP_CLEAR, &lwp0);
	atomic_store_release(&kern_running, 1);
	atomic_store_release(&kern_state, KERN_UP);
	return 0;
}

RUMP_API int
rump_getversion(void)
{
	return RUMPK_VERSION;
}

/* Halts the kernel: sync, stop the threads; later calls get ENXIO. */
static void
kern_halt(void)
{
	for (struct halt_hook *hh = halt_hooks; hh != NULL; hh = hh->hh_next)
		hh->hh_fn();
	atomic_store_release(&kern_running, 0);
	softint_shutdown();
	callout_shutdown();
	atomic_store_release(&kern_state, KERN_HALTED);
	aprint_verbose("rumpk: halted\n");
}

/*
 * Stops serving remote clients (rumpuser_sp_fini): a remote caller of
 * reboot gets its reply first.  Without a server this does nothing.
 */
static void
sp_fini(struct lwp *l)
{
	struct proc *p = l->l_proc;

	rumpuser_sp_fini(vmspace_remote != NULL && p->p_vmops == vmspace_remote
	        ? p->p_vmarg
	        : NULL);
}

int
sys_reboot(struct lwp *l, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(reboot);
	unsigned magic2 = (unsigned)SCARG(uap, magic2);
	kauth_cred_t cred;
	bool root;

	if ((unsigned)SCARG(uap, magic1) != LINUX_REBOOT_MAGIC1 ||
	    (magic2 != LINUX_REBOOT_MAGIC2 && magic2 != LINUX_REBOOT_MAGIC2A &&
	        magic2 != LINUX_REBOOT_MAGIC2B &&
	        magic2 != LINUX_REBOOT_MAGIC2C))
		return EINVAL;
	cred = kauth_cred_get();
	root = cred->cr_euid == 0;
	kauth_cred_free(cred);
	if (!root)
		return EPERM;
	switch (SCARG(uap, cmd)) {
	case RB_ENABLE_CAD:
	case RB_DISABLE_CAD:
		return 0;
	case RB_HALT_SYSTEM:
		kern_halt();
		sp_fini(l);
		return 0;
	case RB_POWER_OFF:
	case RB_AUTOBOOT:
		/* A rump kernel powers off or restarts with its host process.
		 */
		kern_halt();
		sp_fini(l);
		sched_exit(l);
		rumpuser_exit(0);
	default:
		return EINVAL;
	}
}

/* glibc's reboot(cmd): the magic numbers are added here. */
RUMP_API int
rump_sys_reboot(int cmd)
{
	register_t args[4] = {(register_t)LINUX_REBOOT_MAGIC1,
	    (register_t)LINUX_REBOOT_MAGIC2, (register_t)(unsigned)cmd, 0};
	register_t rv[2] = {0, 0};
	int error = syscall_local(SYS_reboot, args, rv);

	if (error) {
		rumpuser_seterrno(error);
		return -1;
	}
	return 0;
}
