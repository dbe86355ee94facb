/*
 * t_dev.c — the memory devices the kernel makes in /dev at boot (null,
 * zero, full, random, urandom), with Linux's numbers, seen through the
 * system calls with the host's constants.
 */
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <rump/rump.h>

#include "harness.h"
#include "rumptest.h"

T_CASE(nodes, "/dev holds null, zero, full, random, urandom as char 1:N, 0666")
{
	static const struct {
		const char *path;
		unsigned minor;
	} n[] = {{"/dev/null", 3}, {"/dev/zero", 5}, {"/dev/full", 7},
	    {"/dev/random", 8}, {"/dev/urandom", 9}};
	struct stat st;

	t_boot();
	T_OK(rump_sys_stat("/dev", &st));
	T_ASSERT(S_ISDIR(st.st_mode));
	T_EQ(st.st_mode & 07777, 0755);
	for (size_t i = 0; i < sizeof(n) / sizeof(n[0]); i++) {
		T_OK(rump_sys_stat(n[i].path, &st));
		T_ASSERT(S_ISCHR(st.st_mode));
		T_EQ(st.st_mode & 07777, 0666);
		T_EQ(major(st.st_rdev), 1);
		T_EQ(minor(st.st_rdev), n[i].minor);
	}
}

T_CASE(null, "/dev/null swallows writes and reads end of file")
{
	char buf[64];
	int fd;

	t_boot();
	T_OK(fd = rump_sys_open("/dev/null", O_RDWR));
	T_EQ(rump_sys_write(fd, "hello", 5), 5);
	T_EQ(rump_sys_pwrite64(fd, buf, sizeof(buf), 12345), sizeof(buf));
	T_EQ(rump_sys_read(fd, buf, sizeof(buf)), 0);
	T_OK(rump_sys_close(fd));
}

T_CASE(zero, "/dev/zero reads zeros, also in large reads, and swallows writes")
{
	static char big[100000];
	char buf[100];
	int fd;

	t_boot();
	T_OK(fd = rump_sys_open("/dev/zero", O_RDWR));
	memset(buf, 0x55, sizeof(buf));
	T_EQ(rump_sys_read(fd, buf, sizeof(buf)), sizeof(buf));
	for (size_t i = 0; i < sizeof(buf); i++)
		T_EQ(buf[i], 0);
	memset(big, 0x55, sizeof(big));
	T_EQ(rump_sys_read(fd, big, sizeof(big)), sizeof(big));
	for (size_t i = 0; i < sizeof(big); i++)
		if (big[i] != 0)
			T_FAIL("byte %zu is %d", i, big[i]);
	T_EQ(rump_sys_write(fd, buf, 10), 10);
	T_OK(rump_sys_close(fd));
}

T_CASE(full, "/dev/full reads zeros and refuses writes with ENOSPC")
{
	char buf[32];
	int fd;

	t_boot();
	T_OK(fd = rump_sys_open("/dev/full", O_RDWR));
	memset(buf, 1, sizeof(buf));
	T_EQ(rump_sys_read(fd, buf, sizeof(buf)), sizeof(buf));
	T_EQ(buf[0], 0);
	T_EQ(buf[31], 0);
	T_ERRNO(rump_sys_write(fd, "x", 1), ENOSPC);
	T_OK(rump_sys_close(fd));
}

static void
check_random(const char *path)
{
	unsigned char a[64], b[64];
	int fd, zeros = 0;

	T_OK(fd = rump_sys_open(path, O_RDONLY));
	T_EQ(rump_sys_read(fd, a, sizeof(a)), sizeof(a));
	T_EQ(rump_sys_read(fd, b, sizeof(b)), sizeof(b));
	T_ASSERT(memcmp(a, b, sizeof(a)) != 0);
	for (size_t i = 0; i < sizeof(a); i++)
		zeros += a[i] == 0;
	T_ASSERT(zeros < 16);
	T_OK(rump_sys_close(fd));
	T_OK(fd = rump_sys_open(path, O_WRONLY));
	T_EQ(rump_sys_write(fd, a, sizeof(a)), sizeof(a));
	T_OK(rump_sys_close(fd));
}

T_CASE(urandom_dev, "/dev/urandom reads bytes that differ from read to read")
{
	t_boot();
	check_random("/dev/urandom");
}

T_CASE(random_dev, "/dev/random reads bytes that differ from read to read")
{
	t_boot();
	check_random("/dev/random");
}

T_CASE(poll_ready, "the memory devices are always ready for poll")
{
	struct pollfd pfd[2];

	t_boot();
	T_OK(pfd[0].fd = rump_sys_open("/dev/null", O_RDWR));
	T_OK(pfd[1].fd = rump_sys_open("/dev/zero", O_RDONLY));
	pfd[0].events = POLLIN | POLLOUT;
	pfd[1].events = POLLIN;
	T_EQ(rump_sys_poll(pfd, 2, 1000), 2);
	T_EQ(pfd[0].revents, POLLIN | POLLOUT);
	T_EQ(pfd[1].revents, POLLIN);
}

T_CASE(mknod_null, "a node made with mknod elsewhere reaches the same driver")
{
	char buf[8] = "abcdefg";
	int fd;

	t_boot();
	T_OK(rump_sys_mknod("/mynull", S_IFCHR | 0600, makedev(1, 5)));
	T_OK(fd = rump_sys_open("/mynull", O_RDONLY));
	T_EQ(rump_sys_read(fd, buf, sizeof(buf)), sizeof(buf));
	T_EQ(buf[3], 0);
	T_OK(rump_sys_close(fd));
}

T_CASE(nodev, "a node with a number no driver serves gives ENXIO on open")
{
	t_boot();
	T_OK(rump_sys_mknod("/nodev", S_IFCHR | 0600, makedev(123, 45)));
	T_ERRNO(rump_sys_open("/nodev", O_RDONLY), ENXIO);
}
