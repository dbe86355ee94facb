/*
 * syscall.h — system call entry and dispatch.
 *
 * Every system call enters through syscall_local() (callers linked with the
 * kernel) or through the sysproxy server (remote callers): the calling host
 * thread takes a virtual CPU, runs the handler itself through every layer,
 * and releases the CPU.  Handlers are registered per component from the
 * table generated from kernel/syscalls.master; a number nobody registered
 * answers ENOSYS.
 */
#ifndef KERNEL_KERN_SYSCALL_H
#define KERNEL_KERN_SYSCALL_H

#include "proc.h"
#include "../sys/linux_fs.h"

#define syscallarg(t)                                                          \
	union {                                                                \
		register_t pad;                                                \
		t datum;                                                       \
	}
#define SCARG(uap, name) ((uap)->name.datum)
/* Declares uap, the typed view of a handler's argument slots. */
#define SYSCALL_ARGS(name) const struct sys_##name##_args *uap = v

#include "syscallargs.h" /* generated */

typedef int (*sy_call_t)(struct lwp *, const void *, register_t *);
struct sysent_init {
	int si_num;
	int si_narg;
	sy_call_t si_call;
};
void syscall_register(const struct sysent_init *si);

/* Runs system call num for the calling host thread; returns an errno. */
int syscall_local(int num, const register_t *args, register_t *retval);
/* The same for a thread already holding a CPU (sysproxy). */
int syscall_dispatch(
    struct lwp *l, int num, const register_t *args, register_t *retval);

#endif /* KERNEL_KERN_SYSCALL_H */
