/*
 * sockapi.h — one table of socket calls for two targets, so that a
 * sequence runs unchanged against the host kernel (the oracle) and
 * against rumpk, and the tests compare what both return.
 */
#ifndef TESTS_NET_SOCKAPI_H
#define TESTS_NET_SOCKAPI_H

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>

struct sockapi {
	const char *sa_name;
	const char *sa_dir; /* a directory to bind paths in */
	int (*sa_socket)(int, int, int);
	int (*sa_socketpair)(int, int, int, int *);
	int (*sa_bind)(int, const struct sockaddr *, socklen_t);
	int (*sa_listen)(int, int);
	int (*sa_connect)(int, const struct sockaddr *, socklen_t);
	int (*sa_accept4)(int, struct sockaddr *, socklen_t *, int);
	ssize_t (*sa_sendto)(
	    int, const void *, size_t, int, const struct sockaddr *, socklen_t);
	ssize_t (*sa_recvfrom)(
	    int, void *, size_t, int, struct sockaddr *, socklen_t *);
	ssize_t (*sa_sendmsg)(int, const struct msghdr *, int);
	ssize_t (*sa_recvmsg)(int, struct msghdr *, int);
	int (*sa_shutdown)(int, int);
	int (*sa_close)(int);
	int (*sa_getsockopt)(int, int, int, void *, socklen_t *);
	int (*sa_setsockopt)(int, int, int, const void *, socklen_t);
	int (*sa_getsockname)(int, struct sockaddr *, socklen_t *);
	int (*sa_getpeername)(int, struct sockaddr *, socklen_t *);
	int (*sa_poll)(struct pollfd *, nfds_t, int);
	int (*sa_fstat)(int, struct stat *);
	int (*sa_stat)(const char *, struct stat *);
	int (*sa_unlink)(const char *);
	ssize_t (*sa_read)(int, void *, size_t);
	ssize_t (*sa_write)(int, const void *, size_t);
	int (*sa_ioctl)(int, unsigned long, void *);
	int (*sa_fcntl)(int, int, long);
};

static int
host_ioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg);
}
static int
host_fcntl(int fd, int cmd, long arg)
{
	return fcntl(fd, cmd, arg);
}
static int
rump_ioctl(int fd, unsigned long req, void *arg)
{
	return rump_sys_ioctl(fd, req, arg);
}
static int
rump_fcntl(int fd, int cmd, long arg)
{
	return rump_sys_fcntl(fd, cmd, arg);
}

static inline struct sockapi
sockapi_host(const char *dir)
{
	return (struct sockapi){"host", dir, socket, socketpair, bind, listen,
	    connect, accept4, sendto, recvfrom, sendmsg, recvmsg, shutdown,
	    close, getsockopt, setsockopt, getsockname, getpeername, poll,
	    fstat, stat, unlink, read, write, host_ioctl, host_fcntl};
}

static inline struct sockapi
sockapi_rump(const char *dir)
{
	return (struct sockapi){"rump", dir, rump_sys_socket,
	    rump_sys_socketpair, rump_sys_bind, rump_sys_listen,
	    rump_sys_connect, rump_sys_accept4, rump_sys_sendto,
	    rump_sys_recvfrom, rump_sys_sendmsg, rump_sys_recvmsg,
	    rump_sys_shutdown, rump_sys_close, rump_sys_getsockopt,
	    rump_sys_setsockopt, rump_sys_getsockname, rump_sys_getpeername,
	    rump_sys_poll, rump_sys_fstat, rump_sys_stat, rump_sys_unlink,
	    rump_sys_read, rump_sys_write, rump_ioctl, rump_fcntl};
}

/* A call's outcome: its value, or -errno. */
static inline long
outcome(long r)
{
	return r < 0 ? -(long)errno : r;
}

#endif
