/*
 * rumpctl.h — what the commands of rumpctl share: the command table,
 * messages in the shape of their coreutils/net-tools namesakes, the two
 * sides of a copy (the host's files and the kernel's), and small parsers.
 *
 * rumpctl is a host program: it talks to a rump kernel through the
 * rump_sys_* calls of <rump/rump_syscalls.h>, with the Linux ABI values of
 * the host's own headers.  Linked with librumpclient the kernel is a
 * remote one (RUMP_SERVER=url); linked with the kernel libraries it boots
 * one of its own (connect.c is the one place that differs).
 */
#ifndef CMD_RUMPCTL_RUMPCTL_H
#define CMD_RUMPCTL_RUMPCTL_H

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

struct rumpctl_cmd {
	const char *rc_name;
	int (*rc_main)(int argc, char **argv);
	const char *rc_usage; /* synopsis, after the name */
	const char *rc_help;  /* one line */
	bool rc_nokernel;     /* runs without connecting (none yet) */
};
extern const struct rumpctl_cmd rumpctl_cmds[];

/* The name messages start with: "rump.ls". */
extern const char *progname;
extern const struct rumpctl_cmd *curcmd;

/* Connects to (or boots) the kernel: 0 or an errno. */
int rumpctl_connect(void);

/* Messages: "rump.X: text" and "rump.X: text: strerror(errno)". */
void warnmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warnerr(int error, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* "Try 'rump.X --help' for more information." and the status. */
int usage_error(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Prints --help of the current command; 0. */
int print_help(void);
/* Whether argv[1..] asks for --help (which is then printed). */
bool wants_help(int argc, char **argv);
/*
 * A name quoted as coreutils quotes it in messages: 'name', or "name"
 * when it holds a single quote.  Returns one of a few rotating buffers.
 */
const char *q(const char *s);

/*
 * One side of a copy: the host's file system or the kernel's.  Calls
 * return -1 with errno set, as the system calls do.
 */
struct fsops {
	const char *fs_name; /* "host" or "rump" */
	int (*fs_open)(const char *path, int flags, mode_t mode);
	ssize_t (*fs_read)(int fd, void *buf, size_t len);
	ssize_t (*fs_write)(int fd, const void *buf, size_t len);
	int (*fs_close)(int fd);
	int (*fs_stat)(const char *path, struct stat *st);
	int (*fs_lstat)(const char *path, struct stat *st);
	int (*fs_fstat)(int fd, struct stat *st);
	int (*fs_mkdir)(const char *path, mode_t mode);
	int (*fs_rmdir)(const char *path);
	int (*fs_unlink)(const char *path);
	ssize_t (*fs_readlink)(const char *path, char *buf, size_t len);
	int (*fs_symlink)(const char *target, const char *path);
	int (*fs_chmod)(const char *path, mode_t mode);
	int (*fs_lchown)(const char *path, uid_t uid, gid_t gid);
	int (*fs_utimens)(const char *path, const struct timespec ts[2]);
	int (*fs_mknod)(const char *path, mode_t mode, dev_t dev);
	/* The names in a directory, without "." and "..", unsorted. */
	int (*fs_listdir)(const char *path, char ***namesp, size_t *np);
};
extern const struct fsops host_fs, rump_fs;
void free_names(char **names, size_t n);
/* Sorts names as ls does (strcoll). */
void sort_names(char **names, size_t n);

/* Reads a whole file of the kernel: malloc'd, NUL-terminated; or -1. */
int kread_file(const char *path, char **bufp, size_t *lenp);

/* path + "/" + name, malloc'd (exits on no memory). */
char *path_join(const char *dir, const char *name);
/* The last component of path (without trailing slashes), malloc'd. */
char *path_base(const char *path);
void *xmalloc(size_t n);
char *xstrdup(const char *s);

/*
 * Modes: parses an octal or symbolic (chmod(1)) mode against old; the
 * new mode, or -1 if malformed.  umask applies to symbolic modes that
 * name no "who", as chmod(1) does.  isdir: for X.
 */
long parse_mode(const char *s, mode_t old, bool isdir, mode_t umask);
/* "drwxr-xr-x" for st_mode (10 characters and a NUL). */
void mode_string(mode_t m, char *buf);
/* User and group names from the host's databases, or the number. */
const char *user_name(uid_t uid);
const char *group_name(gid_t gid);
/* Parses a size with dd's suffixes (c w b k K M G kB MB GB, xN); -1. */
long long parse_dd_size(const char *s);
/* Human-readable size as df -h prints it ("1.5G", "12K", "0"). */
void human_size(unsigned long long bytes, char *buf, size_t len);

/* The commands. */
int cmd_ls(int argc, char **argv);
int cmd_cat(int argc, char **argv);
int cmd_cp(int argc, char **argv);
int cmd_mv(int argc, char **argv);
int cmd_mkdir(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_rmdir(int argc, char **argv);
int cmd_ln(int argc, char **argv);
int cmd_chmod(int argc, char **argv);
int cmd_chown(int argc, char **argv);
int cmd_stat(int argc, char **argv);
int cmd_df(int argc, char **argv);
int cmd_dd(int argc, char **argv);
int cmd_mount(int argc, char **argv);
int cmd_umount(int argc, char **argv);
int cmd_halt(int argc, char **argv);
int cmd_sysctl(int argc, char **argv);
int cmd_ifconfig(int argc, char **argv);
int cmd_route(int argc, char **argv);
int cmd_ping(int argc, char **argv);
int cmd_netstat(int argc, char **argv);

/* A network call failed: a clear message for ENOSYS/EAFNOSUPPORT. */
void net_error(int error, const char *what);

#endif /* CMD_RUMPCTL_RUMPCTL_H */
