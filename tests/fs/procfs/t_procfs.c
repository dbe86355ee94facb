/*
 * t_procfs.c — procfs (kernel/fs/procfs) from the caller's side: /proc
 * mounted at boot, its directory tree, the files procfs publishes itself
 * (mounts, hostname, uptime, meminfo), files registered from inside the
 * kernel (pfstest.c) with their snapshots, offsets, writes and late
 * registration, mounting it elsewhere, and what it refuses.
 */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>

#include "harness.h"
#include "pfstest.h"
#include "rumptest.h"

#define PROC_SUPER_MAGIC 0x9fa0

struct ldirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* Reads a whole file of the kernel into buf (NUL-terminated). */
static size_t
slurp(const char *path, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;
	int fd;

	T_OK(fd = rump_sys_open(path, O_RDONLY));
	while (got + 1 < len &&
	    (n = rump_sys_read(fd, buf + got, len - 1 - got)) > 0)
		got += (size_t)n;
	T_ASSERT(got + 1 < len);
	buf[got] = '\0';
	T_OK(rump_sys_close(fd));
	return got;
}

static void
put(const char *path, const char *s)
{
	int fd;

	T_OK(fd = rump_sys_open(path, O_WRONLY | O_TRUNC));
	T_EQ(rump_sys_write(fd, s, strlen(s)), (ssize_t)strlen(s));
	T_OK(rump_sys_close(fd));
}

/* Whether directory path lists name (with type). */
static bool
lists(const char *path, const char *name, unsigned char type)
{
	char buf[256];
	bool found = false;
	long n;
	int fd;

	T_OK(fd = rump_sys_open(path, O_RDONLY | O_DIRECTORY));
	/* A small buffer: the listing takes several calls. */
	while ((n = rump_sys_getdents64(fd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n;) {
			struct ldirent64 *d = (void *)(buf + off);

			if (strcmp(d->d_name, name) == 0 && d->d_type == type)
				found = true;
			off += d->d_reclen;
		}
	}
	T_EQ(n, 0);
	T_OK(rump_sys_close(fd));
	return found;
}

T_CASE(boot_mounted, "/proc is a procfs mounted at boot")
{
	struct statfs sf;
	struct stat st;

	t_boot();
	T_OK(rump_sys_stat("/proc", &st));
	T_ASSERT(S_ISDIR(st.st_mode));
	T_EQ(st.st_mode & 07777, 0555);
	T_EQ(st.st_ino, 1);
	T_OK(rump_sys_statfs("/proc", &sf));
	T_EQ(sf.f_type, PROC_SUPER_MAGIC);
	T_ASSERT(lists("/proc", "mounts", DT_REG));
	T_ASSERT(lists("/proc", "uptime", DT_REG));
	T_ASSERT(lists("/proc", "meminfo", DT_REG));
	T_ASSERT(lists("/proc", "sys", DT_DIR));
	T_ASSERT(lists("/proc/sys/kernel", "hostname", DT_REG));
	T_ASSERT(lists("/proc", "..", DT_DIR));
}

T_CASE(stat_files, "files have size 0, mode 0444 or 0644, owner root")
{
	struct stat st;

	t_boot();
	T_OK(rump_sys_stat("/proc/uptime", &st));
	T_ASSERT(S_ISREG(st.st_mode));
	T_EQ(st.st_mode & 07777, 0444);
	T_EQ(st.st_size, 0);
	T_EQ(st.st_uid, 0);
	T_EQ(st.st_nlink, 1);
	T_OK(rump_sys_stat("/proc/sys/kernel/hostname", &st));
	T_EQ(st.st_mode & 07777, 0644);
	T_ERRNO(rump_sys_stat("/proc/nonesuch", &st), ENOENT);
	T_ERRNO(rump_sys_stat("/proc/uptime/x", &st), ENOTDIR);
}

T_CASE(mounts, "/proc/mounts lists the mounts in Linux's format")
{
	char buf[4096];

	t_boot();
	slurp("/proc/mounts", buf, sizeof(buf));
	T_ASSERT(strncmp(buf, "tmpfs / tmpfs rw 0 0\n", 21) == 0);
	T_ASSERT(strstr(buf,
	             "proc /proc proc "
	             "rw,nosuid,nodev,noexec,relatime 0 0\n") != NULL);
	T_OK(rump_sys_mkdir("/mnt", 0755));
	T_OK(rump_sys_mkdir("/mnt/a b", 0755));
	T_OK(rump_sys_mkdir("/mnt/c", 0755));
	T_OK(rump_sys_mount("scratch", "/mnt/a b", "tmpfs", MS_NOEXEC, NULL));
	T_OK(rump_sys_mkdir("/mnt/a b/in", 0755));
	T_OK(rump_sys_mount("inner", "/mnt/a b/in", "tmpfs", MS_RDONLY, NULL));
	T_OK(rump_sys_mount("tmpfs", "/mnt/c", "tmpfs", 0, "size=1m"));
	slurp("/proc/mounts", buf, sizeof(buf));
	T_ASSERT(strstr(buf,
	             "scratch /mnt/a\\040b tmpfs rw,noexec 0 0\n"
	             "inner /mnt/a\\040b/in tmpfs ro 0 0\n"
	             "tmpfs /mnt/c tmpfs rw 0 0\n") != NULL);
	T_OK(rump_sys_umount2("/mnt/a b/in", 0));
	slurp("/proc/mounts", buf, sizeof(buf));
	T_ASSERT(strstr(buf, "inner") == NULL);
	T_ASSERT(strstr(buf, "scratch /mnt/a\\040b") != NULL);
}

T_CASE(hostname, "sys/kernel/hostname reads and sets uname's nodename")
{
	struct utsname u;
	char buf[128];

	t_boot();
	T_OK(rump_sys_uname(&u));
	slurp("/proc/sys/kernel/hostname", buf, sizeof(buf));
	T_ASSERT(strlen(buf) > 0 && buf[strlen(buf) - 1] == '\n');
	buf[strlen(buf) - 1] = '\0';
	T_ASSERT(strcmp(buf, u.nodename) == 0);
	put("/proc/sys/kernel/hostname", "newname\n");
	T_OK(rump_sys_uname(&u));
	T_ASSERT(strcmp(u.nodename, "newname") == 0);
	slurp("/proc/sys/kernel/hostname", buf, sizeof(buf));
	T_ASSERT(strcmp(buf, "newname\n") == 0);
	T_OK(rump_sys_sethostname("viasys", 6));
	slurp("/proc/sys/kernel/hostname", buf, sizeof(buf));
	T_ASSERT(strcmp(buf, "viasys\n") == 0);
}

T_CASE(uptime_meminfo, "uptime and meminfo have Linux's shape")
{
	char buf[1024];
	double up, idle;

	t_boot();
	slurp("/proc/uptime", buf, sizeof(buf));
	T_EQ(sscanf(buf, "%lf %lf", &up, &idle), 2);
	T_ASSERT(up >= 0 && up < 3600);
	slurp("/proc/meminfo", buf, sizeof(buf));
	T_ASSERT(strncmp(buf, "MemTotal:", 9) == 0);
	T_ASSERT(strstr(buf, "\nMemFree:") != NULL);
	T_ASSERT(strstr(buf, "\nKmemUsed:") != NULL);
	slurp("/proc/version", buf, sizeof(buf));
	T_ASSERT(strncmp(buf, "Linux version ", 14) == 0);
}

T_CASE(snapshot_per_open, "each open reads the snapshot made at its open")
{
	char a[32], b[32];
	int fd1, fd2;

	t_boot();
	T_EQ(rump_pfstest_register("test/counter", PFSTEST_COUNTER, 0, 0), 0);
	T_OK(fd1 = rump_sys_open("/proc/test/counter", O_RDONLY));
	T_OK(fd2 = rump_sys_open("/proc/test/counter", O_RDONLY));
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	T_EQ(rump_sys_read(fd1, a, sizeof(a)), 2);
	T_EQ(rump_sys_read(fd2, b, sizeof(b)), 2);
	T_ASSERT(strcmp(a, "1\n") == 0);
	T_ASSERT(strcmp(b, "2\n") == 0);
	/* Read again from the start: the same snapshot. */
	T_EQ(rump_sys_lseek(fd1, 0, SEEK_SET), 0);
	T_EQ(rump_sys_read(fd1, a, sizeof(a)), 2);
	T_ASSERT(strncmp(a, "1\n", 2) == 0);
	T_EQ(rump_sys_read(fd1, a, sizeof(a)), 0);
	T_OK(rump_sys_close(fd1));
	T_OK(rump_sys_close(fd2));
	slurp("/proc/test/counter", a, sizeof(a));
	T_ASSERT(strcmp(a, "3\n") == 0);
	T_EQ(rump_pfstest_register("test/counter", PFSTEST_COUNTER, 0, 0),
	    EEXIST);
	T_EQ(rump_pfstest_register("test/counter/x", PFSTEST_COUNTER, 0, 0),
	    ENOTDIR);
	T_EQ(rump_pfstest_register("test/../x", PFSTEST_COUNTER, 0, 0), EINVAL);
	T_EQ(rump_pfstest_register("", PFSTEST_COUNTER, 0, 0), EINVAL);
}

T_CASE(offsets, "a big file reads the same in pieces, at offsets, by pread")
{
	const size_t size = 100000;
	char *whole = malloc(size + 1), *piece = malloc(size + 1);
	size_t got = 0;
	ssize_t n;
	int fd;

	T_ASSERT(whole != NULL && piece != NULL);
	t_boot();
	T_EQ(rump_pfstest_register("big", PFSTEST_BIG, size, 0), 0);
	T_OK(fd = rump_sys_open("/proc/big", O_RDONLY));
	while ((n = rump_sys_read(fd, whole + got, 4096)) > 0)
		got += (size_t)n;
	T_EQ(n, 0);
	T_EQ(got, size);
	T_ASSERT(memcmp(whole, "line 00000000 .\n", 16) == 0);
	/* lseek then read, pread, SEEK_END (size 0, as Linux). */
	T_EQ(rump_sys_lseek(fd, 50000, SEEK_SET), 50000);
	T_EQ(rump_sys_read(fd, piece, 100), 100);
	T_ASSERT(memcmp(piece, whole + 50000, 100) == 0);
	T_EQ(rump_sys_pread64(fd, piece, 1000, 99500), 500);
	T_ASSERT(memcmp(piece, whole + 99500, 500) == 0);
	T_EQ(rump_sys_pread64(fd, piece, 10, 200000), 0);
	T_EQ(rump_sys_lseek(fd, 0, SEEK_END), 0);
	T_OK(rump_sys_close(fd));
	free(whole);
	free(piece);
}

T_CASE(write_value, "a write hands its whole buffer to the write function")
{
	char v[64];
	int fd;

	t_boot();
	T_EQ(rump_pfstest_register("sys/test/value", PFSTEST_COUNTER, 0, 1), 0);
	put("/proc/sys/test/value", "42\n");
	T_EQ(rump_pfstest_value(v, sizeof(v)), 0);
	T_ASSERT(strcmp(v, "42\n") == 0);
	/* The write function's error comes back from write(2). */
	memset(v, 'x', sizeof(v));
	T_OK(fd = rump_sys_open("/proc/sys/test/value", O_WRONLY));
	T_ERRNO(rump_sys_write(fd, v, sizeof(v)), EINVAL);
	T_OK(rump_sys_close(fd));
	/* Read-only files refuse writers, root included. */
	T_ERRNO(rump_sys_open("/proc/uptime", O_WRONLY), EACCES);
	T_ERRNO(rump_sys_open("/proc/uptime", O_RDWR | O_TRUNC), EACCES);
}

T_CASE(read_error, "a failing read function fails the open")
{
	t_boot();
	T_EQ(rump_pfstest_register("bad", PFSTEST_FAIL, 0, 0), 0);
	T_ERRNO(rump_sys_open("/proc/bad", O_RDONLY), EIO);
}

T_CASE(late_register, "a file registered after a failed lookup appears")
{
	struct stat st;
	char buf[32];

	t_boot();
	T_ERRNO(rump_sys_stat("/proc/late", &st), ENOENT);
	T_ERRNO(rump_sys_stat("/proc/dir/late", &st), ENOENT);
	T_EQ(rump_pfstest_register("late", PFSTEST_COUNTER, 0, 0), 0);
	T_EQ(rump_pfstest_register("dir/late", PFSTEST_COUNTER, 0, 0), 0);
	T_OK(rump_sys_stat("/proc/late", &st));
	T_OK(rump_sys_stat("/proc/dir/late", &st));
	slurp("/proc/dir/late", buf, sizeof(buf));
	T_ASSERT(strcmp(buf, "1\n") == 0);
}

T_CASE(unregister, "an unregistered file goes; an open one reads to its end")
{
	struct stat st;
	char buf[32];
	int fd;

	t_boot();
	T_EQ(rump_pfstest_register("gone/a", PFSTEST_COUNTER, 0, 0), 0);
	T_EQ(rump_pfstest_register("gone/b", PFSTEST_COUNTER, 0, 0), 0);
	T_OK(fd = rump_sys_open("/proc/gone/a", O_RDONLY));
	rump_pfstest_unregister("gone/a");
	T_ERRNO(rump_sys_stat("/proc/gone/a", &st), ENOENT);
	T_OK(rump_sys_stat("/proc/gone/b", &st));
	T_EQ(rump_sys_read(fd, buf, sizeof(buf)), 2);
	T_OK(rump_sys_close(fd));
	rump_pfstest_unregister("gone");
	T_ERRNO(rump_sys_stat("/proc/gone", &st), ENOENT);
	T_ASSERT(!lists("/proc", "gone", DT_DIR));
	rump_pfstest_unregister("never/there");
}

T_CASE(mount_again, "mount -t proc elsewhere shows the same tree")
{
	char buf[4096];
	struct stat st;

	t_boot();
	T_OK(rump_sys_mkdir("/p2", 0755));
	T_OK(rump_sys_mount("proc", "/p2", "proc", 0, "hidepid=2"));
	T_OK(rump_sys_stat("/p2/sys/kernel/hostname", &st));
	T_EQ(rump_pfstest_register("after", PFSTEST_COUNTER, 0, 0), 0);
	T_OK(rump_sys_stat("/p2/after", &st));
	slurp("/p2/mounts", buf, sizeof(buf));
	T_ASSERT(strstr(buf, "proc /p2 proc rw 0 0\n") != NULL);
	T_OK(rump_sys_umount2("/p2", 0));
	T_ERRNO(rump_sys_stat("/p2/after", &st), ENOENT);
	T_OK(rump_sys_stat("/proc/after", &st));
}

T_CASE(refusals, "names in /proc cannot be made, removed or renamed")
{
	t_boot();
	T_ERRNO(rump_sys_open("/proc/new", O_WRONLY | O_CREAT, 0644), EACCES);
	T_ERRNO(rump_sys_mkdir("/proc/newdir", 0755), EPERM);
	T_ERRNO(rump_sys_unlink("/proc/uptime"), EPERM);
	T_ERRNO(rump_sys_rmdir("/proc/sys"), EPERM);
	T_ERRNO(rump_sys_rename("/proc/uptime", "/proc/up2"), EPERM);
	T_ERRNO(rump_sys_chmod("/proc/uptime", 0666), EPERM);
	T_ERRNO(rump_sys_symlink("x", "/proc/sym"), EPERM);
}

T_CASE(poll_ready, "procfs files poll readable")
{
	struct pollfd pfd;

	t_boot();
	T_OK(pfd.fd = rump_sys_open("/proc/uptime", O_RDONLY));
	pfd.events = POLLIN;
	pfd.revents = 0;
	T_EQ(rump_sys_poll(&pfd, 1, 0), 1);
	T_ASSERT(pfd.revents & POLLIN);
	T_OK(rump_sys_close(pfd.fd));
}

T_CASE(many_opens, "opening and closing often leaks no vnodes or memory")
{
	char buf[64];

	t_boot();
	for (int i = 0; i < 20000; i++)
		slurp("/proc/uptime", buf, sizeof(buf));
	T_OK(rump_sys_umount2("/proc", 0));
	T_OK(rump_sys_mount("proc", "/proc", "proc", 0, NULL));
	slurp("/proc/uptime", buf, sizeof(buf));
}
