/*
 * sp_basic.c — one fixed sequence of system calls whose results it
 * prints, built twice: against librumpclient (sp_basic_remote, talking to
 * RUMP_SERVER) and against the kernel (sp_basic_local, in a fresh process
 * of its own kernel).  t_sysproxy's basic case runs both and compares the
 * outputs line by line.  Each area (files, pipes, extended attributes) is
 * a section; the socket calls join
 * when the networking component has them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#ifdef SP_LOCAL
#include <rump/rump.h>
#else
#include <rump/rumpclient.h>
#endif

#define SHOW(what, expr)                                                       \
	do {                                                                   \
		errno = 0;                                                     \
		long long r_ = (long long)(expr);                              \
		printf(                                                        \
		    "%s = %lld errno %d\n", what, r_, r_ == -1 ? errno : 0);   \
	} while (0)

static void
sec_file(void)
{
	char buf[20000], back[20000], dbuf[4096];
	struct stat st;
	unsigned sum = 0;
	int fd;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i * 7 + 3);
	SHOW("mkdir /d", rump_sys_mkdir("/d", 0755));
	SHOW("mkdir /d again", rump_sys_mkdir("/d", 0755));
	SHOW("open /d/f", fd = rump_sys_open("/d/f", O_CREAT | O_RDWR, 0640));
	SHOW("write 20000", rump_sys_write(fd, buf, sizeof(buf)));
	SHOW("lseek 0", rump_sys_lseek(fd, 0, SEEK_SET));
	SHOW("read 20000", rump_sys_read(fd, back, sizeof(back)));
	for (size_t i = 0; i < sizeof(back); i++)
		sum = sum * 31 + (unsigned char)back[i];
	printf("sum %u equal %d\n", sum, memcmp(buf, back, sizeof(buf)) == 0);
	SHOW("read at eof", rump_sys_read(fd, back, 10));
	SHOW("pread 5 at 100", rump_sys_pread64(fd, back, 5, 100));
	printf("pread data %d\n", memcmp(back, buf + 100, 5) == 0);
	SHOW("fstat", rump_sys_fstat(fd, &st));
	printf("mode %o nlink %ld\n", st.st_mode, (long)st.st_nlink);
	SHOW("stat /d/f", rump_sys_stat("/d/f", &st));
	printf("mode %o\n", st.st_mode);
	SHOW("stat missing", rump_sys_stat("/d/nothere", &st));
	SHOW("stat NULL", rump_sys_stat(NULL, &st));
	SHOW("close", rump_sys_close(fd));
	SHOW("close again", rump_sys_close(fd));
	SHOW("open /d/h", fd = rump_sys_open("/d/h", O_CREAT | O_WRONLY, 0600));
	{
		struct iovec iov[3] = {
		    {buf, 10}, {buf + 100, 300}, {buf + 5000, 7000}};
		SHOW("writev", rump_sys_writev(fd, iov, 3));
	}
	SHOW("close h", rump_sys_close(fd));
	SHOW("open /d", fd = rump_sys_open("/d", O_RDONLY | O_DIRECTORY));
	{
		long n = rump_sys_getdents64(fd, dbuf, sizeof(dbuf));
		char names[8][256];
		int nn = 0;

		printf("getdents64 > 0: %d\n", n > 0);
		for (long off = 0; off < n && nn < 8;) {
			struct dirent64 *de = (struct dirent64 *)(dbuf + off);

			snprintf(names[nn++], 256, "%s", de->d_name);
			off += de->d_reclen;
		}
		/* Order is the file system's: sort for the comparison. */
		qsort(names, (size_t)nn, 256,
		    (int (*)(const void *, const void *))strcmp);
		for (int i = 0; i < nn; i++)
			printf("entry %s\n", names[i]);
	}
	SHOW("close dir", rump_sys_close(fd));
	SHOW("rename", rump_sys_rename("/d/f", "/d/g"));
	SHOW("stat old", rump_sys_stat("/d/f", &st));
	SHOW("stat new", rump_sys_stat("/d/g", &st));
	SHOW("unlink g", rump_sys_unlink("/d/g"));
	SHOW("unlink h", rump_sys_unlink("/d/h"));
	SHOW("rmdir", rump_sys_rmdir("/d"));
	SHOW("chdir /", rump_sys_chdir("/"));
	printf("getcwd %s\n", rump_sys_getcwd(dbuf, sizeof(dbuf)));
	SHOW("umask", rump_sys_umask(022));
	SHOW("umask again", rump_sys_umask(022));
}

static void
sec_pipe(void)
{
	int p[2] = {-1, -1};
	char b[64];

	SHOW("pipe2", rump_sys_pipe2(p, O_CLOEXEC));
	SHOW("write pipe", rump_sys_write(p[1], "through the pipe", 16));
	{
		struct pollfd pf = {p[0], POLLIN, 0};
		SHOW("poll", rump_sys_poll(&pf, 1, 1000));
		printf("revents %d\n", pf.revents);
	}
	SHOW("read pipe", rump_sys_read(p[0], b, sizeof(b)));
	printf("data %.16s\n", b);
	SHOW("dup", rump_sys_dup(p[0]) >= 0);
	SHOW("close w", rump_sys_close(p[1]));
	SHOW("read eof", rump_sys_read(p[0], b, sizeof(b)));
	SHOW("close r", rump_sys_close(p[0]));
}

static void
sec_xattr(void)
{
	static char val[20000], back[20000];
	char list[256];
	long n;
	int fd;

	for (size_t i = 0; i < sizeof(val); i++)
		val[i] = (char)(i * 13 + 1);
	SHOW("open /x", fd = rump_sys_open("/x", O_CREAT | O_RDWR, 0644));
	SHOW("setxattr user.a",
	    rump_sys_setxattr("/x", "user.a", "alpha", 5, 0));
	SHOW("setxattr user.big 20000",
	    rump_sys_setxattr("/x", "user.big", val, sizeof(val), 0));
	SHOW("setxattr create again",
	    rump_sys_setxattr("/x", "user.a", "x", 1, 1 /* XATTR_CREATE */));
	SHOW("getxattr size 0", rump_sys_getxattr("/x", "user.a", NULL, 0));
	SHOW("getxattr short", rump_sys_getxattr("/x", "user.a", back, 2));
	SHOW("getxattr", rump_sys_getxattr("/x", "user.a", back, sizeof(back)));
	printf("value %.5s\n", back);
	SHOW("fgetxattr big",
	    rump_sys_fgetxattr(fd, "user.big", back, sizeof(back)));
	printf("big equal %d\n", memcmp(back, val, sizeof(val)) == 0);
	SHOW("listxattr size 0", rump_sys_listxattr("/x", NULL, 0));
	SHOW("listxattr", n = rump_sys_listxattr("/x", list, sizeof(list)));
	for (long i = 0; i > -1 && i < n; i += (long)strlen(list + i) + 1)
		printf("name %s\n", list + i);
	SHOW("removexattr", rump_sys_removexattr("/x", "user.a"));
	SHOW("removexattr again", rump_sys_removexattr("/x", "user.a"));
	SHOW("fremovexattr", rump_sys_fremovexattr(fd, "user.big"));
	SHOW("close", rump_sys_close(fd));
	SHOW("unlink", rump_sys_unlink("/x"));
}

/* A sum of n bytes that depends on their order. */
static unsigned
sum_of(const unsigned char *b, size_t n)
{
	unsigned sum = 0;

	for (size_t i = 0; i < n; i++)
		sum = sum * 31 + b[i];
	return sum;
}

/*
 * Bulk data: replies big enough to go into place straight from the
 * socket, reads that come back short, and buffers beyond what one frame
 * carries (the server's copy requests then move them).
 */
static void
sec_bulk(void)
{
	static unsigned char big[3 << 20], back[3 << 20];
	struct iovec iov[3];
	int fd;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)(i * 131 + (i >> 12));
	SHOW("open bulk",
	    fd = rump_sys_open("/bulk", O_CREAT | O_TRUNC | O_RDWR, 0644));
	SHOW("write 3M", rump_sys_write(fd, big, sizeof(big)));
	SHOW("write 256K", rump_sys_write(fd, big, 256 << 10));
	SHOW("lseek", rump_sys_lseek(fd, 0, SEEK_SET));
	SHOW("read 3M", rump_sys_read(fd, back, sizeof(back)));
	printf("3M equal %d\n", memcmp(big, back, sizeof(big)) == 0);
	memset(back, 0xee, sizeof(back));
	SHOW("pread 256K", rump_sys_pread64(fd, back, 256 << 10, 12345));
	printf("256K equal %d\n", memcmp(big + 12345, back, 256 << 10) == 0);
	memset(back, 0xee, 512 << 10);
	SHOW("pread short",
	    rump_sys_pread64(fd, back, 512 << 10, sizeof(big) + 200000));
	printf("short sum %u rest untouched %d\n",
	    sum_of(back, (256 << 10) - 200000),
	    back[(256 << 10) - 200000] == 0xee &&
	        back[(512 << 10) - 1] == 0xee);
	SHOW("pread 5001", rump_sys_pread64(fd, back + 3, 5001, 7));
	printf("5001 equal %d\n", memcmp(big + 7, back + 3, 5001) == 0);
	iov[0] = (struct iovec){back, 70000};
	iov[1] = (struct iovec){back + 100000, 5};
	iov[2] = (struct iovec){back + 200000, 300000};
	SHOW("lseek 1000", rump_sys_lseek(fd, 1000, SEEK_SET));
	SHOW("readv", rump_sys_readv(fd, iov, 3));
	printf("readv equal %d %d %d\n", memcmp(back, big + 1000, 70000) == 0,
	    memcmp(back + 100000, big + 71000, 5) == 0,
	    memcmp(back + 200000, big + 71005, 300000) == 0);
	SHOW("pread at eof", rump_sys_pread64(fd, back, 65536, 1 << 30));
	SHOW("close bulk", rump_sys_close(fd));
	SHOW("unlink bulk", rump_sys_unlink("/bulk"));
}

static const struct {
	const char *name;
	void (*fn)(void);
} sections[] = {
    {"file", sec_file}, {"pipe", sec_pipe}, {"xattr", sec_xattr},
    {"bulk", sec_bulk},
    /* {"socket", sec_socket}: with the networking calls */
};

int
main(void)
{
#ifdef SP_LOCAL
	/* Like a remote client: a process of its own, no descriptors. */
	if (rump_init() != 0 || rump_pub_lwproc_rfork(RUMP_RFCFDG) != 0) {
		fprintf(stderr, "sp_basic_local: cannot boot\n");
		return 1;
	}
#else
	if (rumpclient_init() != 0) {
		perror("rumpclient_init");
		return 1;
	}
#endif
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		printf("== %s\n", sections[i].name);
		sections[i].fn();
	}
	return 0;
}
