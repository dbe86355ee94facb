/*
 * rump.h — the public interface of a rump kernel linked into a program.
 *
 * Boot with rump_init(), then call the kernel through rump_sys_*()
 * (<rump/rump_syscalls.h>, included here).  Give each host thread that
 * works in the kernel a context of its own with the lwproc calls, or let it
 * run in the implicit context of pid 1.  Everything returns 0 or an errno
 * value (Linux numbering) unless it says otherwise.
 */
#ifndef RUMP_RUMP_H
#define RUMP_RUMP_H

#include <stdint.h>
#include <sys/types.h>

#include <rump/rump_syscalls.h>

#ifdef __cplusplus
extern "C" {
#endif

struct lwp;

/* Boots the kernel; a second call returns 0 and does nothing. */
int rump_init(void);
/* The kernel's version: major * 10000 + minor * 100 + patch. */
int rump_getversion(void);

/*
 * rump_lwproc(3).  rfork makes a new process, child of the current one,
 * with one lwp that becomes the calling thread's; the thread's previous lwp
 * stays as it was.  Flags: share the descriptor table (0), copy it
 * (RUMP_RFFDG) or start with an empty one (RUMP_RFCFDG).
 */
#define RUMP_RFFDG      0x01
#define RUMP_RFCFDG     0x02
#define RUMP_RFFD_SHARE 0x00
#define RUMP_RFFD_COPY  RUMP_RFFDG
#define RUMP_RFFD_CLEAR RUMP_RFCFDG
int rump_pub_lwproc_rfork(int flags);
/* A new lwp in process pid (0: the kernel), bound to the thread. ESRCH. */
int rump_pub_lwproc_newlwp(pid_t pid);
/* Binds l to the calling thread (NULL: implicit context of pid 1). */
void rump_pub_lwproc_switch(struct lwp *l);
/* Frees the thread's lwp; its process goes with its last lwp. */
void rump_pub_lwproc_releaselwp(void);
/* The thread's lwp, NULL in the implicit context. */
struct lwp *rump_pub_lwproc_curlwp(void);

/*
 * Runs system call number num (Linux x86-64 numbering) with up to six
 * register-sized arguments; returns 0 or an errno and fills retval[0..1].
 * rump_sys_*() are the typed way to do the same.
 */
int rump_pub_syscall(int num, const long *args, long *retval);

/*
 * rump_etfs(3): host files in the kernel's namespace (librumpvfs).  A key is
 * an absolute path; REG maps a host file, BLK a host file or device as a
 * block device (disk images), CHR an unbuffered character device, DIR and
 * DIR_SUBDIRS the children (or the whole tree) of a host directory.
 * _withsize maps the window [begin, begin + size) of the host file.
 */
enum rump_etfs_type {
	RUMP_ETFS_REG,
	RUMP_ETFS_BLK,
	RUMP_ETFS_CHR,
	RUMP_ETFS_DIR,
	RUMP_ETFS_DIR_SUBDIRS
};
#define RUMP_ETFS_SIZE_ENDOFF ((uint64_t)-1)
int rump_pub_etfs_register(
    const char *key, const char *hostpath, enum rump_etfs_type ftype);
int rump_pub_etfs_register_withsize(const char *key, const char *hostpath,
    enum rump_etfs_type ftype, uint64_t begin, uint64_t size);
int rump_pub_etfs_remove(const char *key);

/*
 * Serves remote clients at url (librumpsysproxy; docs/sysproxy.md):
 * "unix://relative/path", "unix:///absolute/path" (a socket of mode 0600,
 * removed at halt) or "tcp://ADDR:PORT" (ADDR 0 or * for every address).  Each
 * client becomes a process of the kernel.
 */
int rump_init_server(const char *url);

/* Takes and releases a virtual CPU around direct calls into the kernel. */
void rump_schedule(void);
void rump_unschedule(void);

#ifdef __cplusplus
}
#endif

#endif /* RUMP_RUMP_H */
