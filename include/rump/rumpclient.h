/*
 * rumpclient.h — the remote client library (librumpclient, pkg-config
 * rumpclient): the rump_sys_* calls of <rump/rump_syscalls.h>, sent to a
 * rump kernel server (rump_server, rump_init_server) instead of a kernel
 * linked into the program.  A program links against either unchanged.
 *
 * The server is named by RUMP_SERVER (unix://path, unix:///abs/path,
 * tcp://A.B.C.D:PORT).  rumpclient_init() connects; the program is then a
 * process of the remote kernel, with its own descriptors, cwd and
 * credentials.  Functions return -1 and set errno on failure unless they
 * say otherwise.  The protocol: docs/sysproxy.md.
 */
#ifndef RUMP_RUMPCLIENT_H
#define RUMP_RUMPCLIENT_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <rump/rump_syscalls.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Connects to RUMP_SERVER; after an exec (rumpclient_exec) it takes the
 * process over instead. */
int rumpclient_init(void);

/*
 * fork(2) and vfork(2) for clients: the child is a new process of the
 * kernel with a copy of the parent's descriptor table.  vfork is fork.
 */
pid_t rumpclient_fork(void);
pid_t rumpclient_vfork(void);

/*
 * The steps of rumpclient_fork for programs that fork by other means:
 * prefork asks the server for the child process now; after the host fork
 * the child calls fork_init with it, the parent frees it with
 * fork_cancel when the fork failed, or with free() otherwise.
 */
struct rumpclient_fork;
struct rumpclient_fork *rumpclient_prefork(void);
int rumpclient_fork_init(struct rumpclient_fork *rf);
void rumpclient_fork_cancel(struct rumpclient_fork *rf);

/*
 * execve(2) that keeps the kernel process: descriptors without
 * close-on-exec survive.  The new image must call rumpclient_init().
 */
int rumpclient_exec(const char *path, char *const argv[], char *const envp[]);

/* daemon(3) for clients. */
int rumpclient_daemon(int nochdir, int noclose);

/*
 * What to do when the connection breaks: 0 (the default) fails every
 * later call with ENOTCONN; N > 0 tries to reconnect for N seconds;
 * INFTIME forever, ONCE once, DIE exits the program.  After a reconnect
 * the client is a new process of the kernel (its old descriptors are
 * gone).
 */
#define RUMPCLIENT_RETRYCONN_INFTIME ((time_t)-1)
#define RUMPCLIENT_RETRYCONN_ONCE    ((time_t)-2)
#define RUMPCLIENT_RETRYCONN_DIE     ((time_t)-3)
void rumpclient_setconnretry(time_t retrytime);

/*
 * System call num (Linux x86-64 number) with argsize bytes of 64-bit
 * argument slots at sysarg; pointers are followed by round trips.
 * Returns 0 or an errno value (not -1), like rump_pub_syscall().
 */
int rumpclient_syscall(
    int num, const void *sysarg, size_t argsize, long *retval);

#ifdef __cplusplus
}
#endif

#endif /* RUMP_RUMPCLIENT_H */
