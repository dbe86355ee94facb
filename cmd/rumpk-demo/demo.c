/*
 * rumpk-demo — boots a rump kernel inside this process and shows what it
 * does: system calls in the implicit context of pid 1, files made in the
 * kernel's root tmpfs and read back, a tmpfs mounted with a size limit
 * filling up, a new process made with rfork and its own credentials, a
 * write to the kernel's console, and a clean halt.  Everything uses the
 * host's own <fcntl.h>, <sys/stat.h>, <unistd.h> and errno values, because
 * the kernel speaks the Linux ABI.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>

#include <rump/rump.h>

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Lists directory path of the kernel's namespace. */
static void
list(const char *path)
{
	char buf[4096];
	long n;
	int fd = rump_sys_open(path, O_RDONLY | O_DIRECTORY);

	printf("  %s:", path);
	while ((n = rump_sys_getdents64(fd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);

			printf(
			    " %s%s", d->d_name, d->d_type == DT_DIR ? "/" : "");
			off += d->d_reclen;
		}
	}
	printf("\n");
	rump_sys_close(fd);
}

static int
files(void)
{
	const char text[] = "written inside the kernel\n";
	char buf[64], big[65536];
	struct stat st;
	ssize_t n;
	int fd;

	printf("the root file system (tmpfs):\n");
	list("/");
	list("/dev");
	if (rump_sys_mkdir("/home", 0755) == -1 ||
	    (fd = rump_sys_open("/home/hello.txt", O_CREAT | O_RDWR, 0644)) ==
	        -1) {
		perror("mkdir/open in the kernel");
		return 1;
	}
	rump_sys_write(fd, text, sizeof(text) - 1);
	n = rump_sys_pread64(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	rump_sys_fstat(fd, &st);
	rump_sys_close(fd);
	printf("made /home/hello.txt: %ld bytes, mode %o, inode %lu; it reads "
	       "\"%.*s\"\n",
	    (long)st.st_size, st.st_mode, (unsigned long)st.st_ino,
	    (int)strcspn(buf, "\n"), buf);
	rump_sys_symlink("hello.txt", "/home/link");
	rump_sys_rename("/home/hello.txt", "/home/greeting.txt");
	list("/home");

	if (rump_sys_mount("tmpfs", "/tmp", "tmpfs", 0, "size=256k") == -1) {
		perror("mount tmpfs on /tmp");
		return 1;
	}
	fd = rump_sys_open("/tmp/fill", O_CREAT | O_WRONLY, 0600);
	memset(big, 'x', sizeof(big));
	long total = 0;
	while ((n = rump_sys_write(fd, big, sizeof(big))) > 0)
		total += n;
	printf("mounted a 256 KiB tmpfs on /tmp: filled it with %ld bytes, "
	       "then: %s\n",
	    total, strerror(errno));
	rump_sys_close(fd);
	rump_sys_unlink("/tmp/fill");
	if (rump_sys_umount2("/tmp", 0) == -1) {
		perror("umount /tmp");
		return 1;
	}
	return 0;
}

int
main(void)
{
	struct utsname u;
	double t0 = now_ms();
	int error;

	if ((error = rump_init()) != 0) {
		fprintf(stderr, "rump_init: %s\n", strerror(error));
		return 1;
	}
	printf("booted a rump kernel in %.3f ms\n", now_ms() - t0);
	if (rump_sys_uname(&u) == -1) {
		perror("rump_sys_uname");
		return 1;
	}
	printf("uname: %s %s %s %s\n", u.sysname, u.nodename, u.release,
	    u.machine);
	printf("implicit context: pid %d, uid %d\n", rump_sys_getpid(),
	    rump_sys_getuid());

	if (files() != 0)
		return 1;

	if ((error = rump_pub_lwproc_rfork(RUMP_RFFDG)) != 0) {
		fprintf(stderr, "rfork: %s\n", strerror(error));
		return 1;
	}
	printf("rfork: new process pid %d, parent %d\n", rump_sys_getpid(),
	    rump_sys_getppid());
	if (rump_sys_setuid(1000) == -1) {
		perror("rump_sys_setuid");
		return 1;
	}
	printf("setuid(1000) in pid %d: uid now %d\n", rump_sys_getpid(),
	    rump_sys_getuid());
	if (rump_sys_setuid(0) == -1)
		printf("setuid(0) back as uid 1000: %s, as it should be\n",
		    strerror(errno));

	const char msg[] = "hello from inside the kernel (its console, fd 1)\n";
	fflush(stdout);
	if (rump_sys_write(1, msg, sizeof(msg) - 1) != (ssize_t)sizeof(msg) - 1)
		perror("rump_sys_write");
	rump_pub_lwproc_releaselwp();
	printf("released the process; back in pid %d with uid %d\n",
	    rump_sys_getpid(), rump_sys_getuid());

	if (rump_sys_reboot(RB_HALT_SYSTEM) == -1) {
		perror("rump_sys_reboot");
		return 1;
	}
	printf("halted; a call now gives: %s\n",
	    rump_sys_getpid() == -1 ? strerror(errno) : "(no error?)");
	return 0;
}
