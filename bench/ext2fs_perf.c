/*
 * ext2fs_perf — ext4 through rumpk against the tools people use on the
 * host: mke2fs -d, fuse2fs + cp -a, debugfs rdump, and host files.
 *
 * One program, one mode per invocation; bench/run.sh runs the modes in
 * turn (repetitions interleaved so noise hits every side alike), checks
 * the results (e2fsck -fn, diff of the trees; not timed) and reports.
 * Every mode prints raw samples, "name value", or "skip name why".
 * Times are wall clock (CLOCK_MONOTONIC) of the whole job, in ns.
 *
 *   gentree DIR
 *       makes the source tree (deterministic: a fixed seed): about 6,000
 *       files and 220 MB in about 400 directories nested up to 14 deep,
 *       at most a few hundred entries each, symlinks, modes, owners and
 *       nanosecond times; prints its "param" counts.
 *   mkfsd IMG TREE SIZE      mke2fs -t ext4 -d TREE IMG SIZE
 *   mkfs IMG SIZE            mke2fs -t ext4 IMG SIZE (the empty image)
 *   populate IMG TREE SIZE   mke2fs of the empty image, then rump_init,
 *       etfs BLK, mount ext4, the walk of TREE copied in (mkdir, open,
 *       write, close, lchown, chmod, utimensat, symlink) and the unmount,
 *       all in the time: the same end state as mkfsd, from nothing.
 *   fuse IMG TREE SIZE MNT   mke2fs of the empty image, fuse2fs IMG MNT,
 *       cp -a TREE/. MNT, sync, umount and the exit of fuse2fs.
 *   readtree IMG OUT         rump_init, mount ext4 read-only, every
 *       directory, file and symlink of the image made again under the
 *       host directory OUT (data, mode, owner, times), unmount.
 *   rdump IMG OUT            debugfs -R "rdump / OUT" IMG
 *   seq DIR MIB REPS         sequential write and read of one file of
 *       MIB MiB in 1 MiB calls: rumpk on an ext4 image in DIR (write +
 *       fsync + unmount; read on a fresh mount) against a host file in
 *       DIR (write + fsync; read).  Both read cold: before each read the
 *       host's cache of that file (the image, for rumpk) is dropped
 *       with posix_fadvise(POSIX_FADV_DONTNEED).
 *   scale DIR REPS           RUMP_NCPU=2: 1 thread, then 2 threads,
 *       each in its own process and directory, writing BENCH_E2_SCALE_MB
 *       (128) MiB each in 256 KiB files, and the sync after them, on an
 *       ext4 image in DIR; MB/s of all, and the CPU share the process got
 *       (CPU time over 2 x wall time).  run.sh puts the image in the host
 *       tmpfs: this measures how the file system's work spreads over two
 *       CPUs, not how fast the host's disk takes the data.  Then, for
 *       comparison, the host's own 1 and 2 threads pwrite()ing the same
 *       bytes in the same chunks into one file in DIR (the image is one
 *       file, and Linux takes a file's lock for each write to it).
 *   scalefuse DIR REPS       the same loop through a fuse2fs mount (the
 *       CPU share then leaves fuse2fs's own time out).
 */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>

#include "bench.h"

#define MIB          (1024ul * 1024ul)
#define KEY          "/dev/e2bench"
#define MNT          "/mnt"
#define CHUNK        MIB
#define SCALE_FILE   (256 * 1024)
#define MAX_THREADS  2
#define TREE_DIRS    400
#define TREE_MAXDEEP 14

static char *iobuf;

static long
env_long(const char *name, long dflt)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? atol(v) : dflt;
}

/* xorshift64*: the tree is the same on every run. */
static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static uint64_t
rng_range(uint64_t lo, uint64_t hi)
{
	return lo + rng() % (hi - lo + 1);
}

static void
fill_random(char *p, size_t n)
{
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		uint64_t v = rng();
		memcpy(p + i, &v, 8);
	}
	for (; i < n; i++)
		p[i] = (char)rng();
}

static void
rfail(const char *what, const char *path)
{
	fprintf(stderr, "bench: %s %s: %s\n", what, path, strerror(errno));
	exit(1);
}

/* Runs argv (stdout to /dev/null); returns its exit status. */
static int
run_cmd(char *const argv[], bool quiet_err)
{
	pid_t pid;
	int st;

	if ((pid = fork()) == -1)
		bench_fail("fork", errno);
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		if (fd >= 0) {
			dup2(fd, 1);
			if (quiet_err)
				dup2(fd, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			bench_fail("waitpid", errno);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static void
must_run(char *const argv[])
{
	if (run_cmd(argv, false) != 0) {
		fprintf(stderr, "bench: %s failed\n", argv[0]);
		exit(1);
	}
}

static void
mkfs_empty(const char *img, const char *size)
{
	char *argv[] = {"mke2fs", "-q", "-F", "-t", "ext4", (char *)img,
	    (char *)size, NULL};

	unlink(img);
	must_run(argv);
}

/* ---- the source tree ---- */

struct tdir {
	char path[512];
	int depth;
	int nent;
};

static void
set_meta(const char *path, mode_t mode, bool islink)
{
	static const uid_t ids[] = {0, 1000, 1001, 65534};
	struct timespec ts[2];
	uid_t u = ids[rng() % 4];

	if (!islink && chmod(path, mode) == -1)
		rfail("chmod", path);
	/* Owners need root; without it the tree keeps ours. */
	(void)lchown(path, u, ids[rng() % 4]);
	ts[0].tv_sec = (time_t)rng_range(1300000000, 1700000000);
	ts[0].tv_nsec = (long)rng_range(0, 999999999);
	ts[1].tv_sec = (time_t)rng_range(1300000000, 1700000000);
	ts[1].tv_nsec = (long)rng_range(0, 999999999);
	if (utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW) == -1)
		rfail("utimensat", path);
}

static int
gentree(const char *root)
{
	static struct tdir dirs[TREE_DIRS];
	int ndirs = 1, nfiles = 0, nlinks = 0, maxdepth = 0;
	uint64_t bytes = 0;
	char path[1024], parent[sizeof(dirs[0].path) - 16];
	char *buf = malloc(32 * MIB);

	if (buf == NULL)
		bench_fail("malloc", ENOMEM);
	if (mkdir(root, 0755) == -1)
		rfail("mkdir", root);
	snprintf(dirs[0].path, sizeof(dirs[0].path), "%s", root);
	/* Directories: a bushy top and a few deep chains. */
	while (ndirs < TREE_DIRS) {
		int p = (int)(rng() % (uint64_t)ndirs);
		struct tdir *d = &dirs[ndirs];

		if (ndirs % 25 == 0) {
			/* Deepen the deepest-so-far chain. */
			for (int i = 0; i < ndirs; i++)
				if (dirs[i].depth > dirs[p].depth &&
				    dirs[i].depth < TREE_MAXDEEP)
					p = i;
		}
		if (dirs[p].depth >= TREE_MAXDEEP || dirs[p].nent > 40)
			continue;
		snprintf(parent, sizeof(parent), "%s", dirs[p].path);
		snprintf(d->path, sizeof(d->path), "%s/dir%03d_%c", parent,
		    ndirs, (char)('a' + rng() % 26));
		d->depth = dirs[p].depth + 1;
		if (d->depth > maxdepth)
			maxdepth = d->depth;
		dirs[p].nent++;
		if (mkdir(d->path, 0755) == -1)
			rfail("mkdir", d->path);
		ndirs++;
	}
	/*
	 * Files: 10 of 8 MiB, 40 of 1 MiB, 600 of 16-180 KiB, 5400 of
	 * 0-16 KiB (a source tree with some binaries), about 220 MB.
	 */
	for (int i = 0; i < 6050; i++) {
		struct tdir *d;
		size_t size;
		int fd;

		do
			d = &dirs[rng() % TREE_DIRS];
		while (d->nent >= 300);
		if (i < 10)
			size = 8 * MIB;
		else if (i < 50)
			size = MIB;
		else if (i < 650)
			size = (size_t)rng_range(16 * 1024, 180 * 1024);
		else
			size = (size_t)rng_range(0, 16 * 1024);
		snprintf(path, sizeof(path), "%s/f%04d%s", d->path, i,
		    i % 3 == 0       ? ".c"
		        : i % 3 == 1 ? ".h"
		                     : ".o");
		fill_random(buf, size);
		if ((fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0644)) == -1)
			rfail("open", path);
		if (write(fd, buf, size) != (ssize_t)size)
			rfail("write", path);
		close(fd);
		set_meta(path,
		    i % 7 == 0        ? 0755
		        : i % 11 == 0 ? 0600
		                      : 0644,
		    false);
		d->nent++;
		nfiles++;
		bytes += size;
	}
	/* Symlinks: short (in the inode) and long (a block). */
	for (int i = 0; i < 60; i++) {
		struct tdir *d = &dirs[rng() % TREE_DIRS];
		char target[300];

		if (i % 2)
			snprintf(target, sizeof(target), "../f%04d.c", i);
		else
			snprintf(target, sizeof(target),
			    "some/rather/long/relative/target/path/that/does/"
			    "not/fit/in/the/sixty/bytes/of/i_block/%04d/%s",
			    i, "tail-of-the-name-for-a-slow-symlink");
		snprintf(path, sizeof(path), "%s/link%02d", d->path, i);
		if (symlink(target, path) == -1)
			rfail("symlink", path);
		set_meta(path, 0777, true);
		nlinks++;
	}
	/* Directory times last: making entries changes them. */
	for (int i = TREE_DIRS - 1; i >= 0; i--)
		set_meta(dirs[i].path, i % 9 == 0 ? 0700 : 0755, false);
	printf("param tree_files=%d tree_dirs=%d tree_symlinks=%d "
	       "tree_bytes=%llu tree_maxdepth=%d\n",
	    nfiles, ndirs, nlinks, (unsigned long long)bytes, maxdepth);
	free(buf);
	return 0;
}

/* ---- rumpk side ---- */

static void
rump_boot(const char *img, bool rdonly)
{
	int error;

	if ((error = rump_init()) != 0)
		bench_fail("rump_init", error);
	if ((error = rump_pub_etfs_register(KEY, img, RUMP_ETFS_BLK)) != 0)
		bench_fail("etfs_register", error);
	if (rump_sys_mkdir(MNT, 0755) == -1 && errno != EEXIST)
		rfail("rump mkdir", MNT);
	if (rump_sys_mount(KEY, MNT, "ext4", rdonly ? MS_RDONLY : 0, NULL) ==
	    -1)
		rfail("rump mount", img);
}

static void
rump_unmount(void)
{
	if (rump_sys_umount2(MNT, 0) == -1)
		rfail("rump umount", MNT);
}

/* Copies host file src to rump path dst. */
static void
copy_in_file(const char *src, const char *dst, const struct stat *st)
{
	int in, out;
	ssize_t n;

	if ((in = open(src, O_RDONLY)) == -1)
		rfail("open", src);
	out = rump_sys_open(
	    dst, O_CREAT | O_EXCL | O_WRONLY, st->st_mode & 07777);
	if (out == -1)
		rfail("rump open", dst);
	while ((n = read(in, iobuf, CHUNK)) > 0)
		if (rump_sys_write(out, iobuf, (size_t)n) != n)
			rfail("rump write", dst);
	if (n == -1)
		rfail("read", src);
	close(in);
	if (rump_sys_close(out) == -1)
		rfail("rump close", dst);
}

static void
copy_in_meta(const char *dst, const struct stat *st)
{
	struct timespec ts[2] = {st->st_atim, st->st_mtim};

	if (rump_sys_lchown(dst, st->st_uid, st->st_gid) == -1)
		rfail("rump lchown", dst);
	if (!S_ISLNK(st->st_mode) &&
	    rump_sys_chmod(dst, st->st_mode & 07777) == -1)
		rfail("rump chmod", dst);
	if (rump_sys_utimensat(AT_FDCWD, dst, ts, AT_SYMLINK_NOFOLLOW) == -1)
		rfail("rump utimensat", dst);
}

/* Copies the contents of host directory src into rump directory dst. */
static void
copy_in(const char *src, const char *dst, uint64_t *nfiles)
{
	char s[4096], d[4096];
	struct dirent *de;
	struct stat st;
	DIR *dir;

	if ((dir = opendir(src)) == NULL)
		rfail("opendir", src);
	while ((de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(s, sizeof(s), "%s/%s", src, de->d_name);
		snprintf(d, sizeof(d), "%s/%s", dst, de->d_name);
		if (lstat(s, &st) == -1)
			rfail("lstat", s);
		if (S_ISDIR(st.st_mode)) {
			if (rump_sys_mkdir(d, st.st_mode & 07777) == -1)
				rfail("rump mkdir", d);
			copy_in(s, d, nfiles);
		} else if (S_ISREG(st.st_mode)) {
			copy_in_file(s, d, &st);
			++*nfiles;
		} else if (S_ISLNK(st.st_mode)) {
			ssize_t n = readlink(s, iobuf, 4095);

			if (n < 0)
				rfail("readlink", s);
			iobuf[n] = '\0';
			if (rump_sys_symlink(iobuf, d) == -1)
				rfail("rump symlink", d);
		} else {
			continue;
		}
		copy_in_meta(d, &st);
	}
	closedir(dir);
}

static void
populate(const char *img, const char *tree, const char *size)
{
	uint64_t t0, t1, t2, nfiles = 0;
	struct stat st;

	t0 = bench_now_ns();
	mkfs_empty(img, size);
	t1 = bench_now_ns();
	rump_boot(img, false);
	copy_in(tree, MNT, &nfiles);
	if (stat(tree, &st) == -1)
		rfail("stat", tree);
	copy_in_meta(MNT, &st);
	rump_unmount();
	t2 = bench_now_ns();
	printf("populate_ns %llu\n", (unsigned long long)(t2 - t0));
	printf("mkfs_empty_ns %llu\n", (unsigned long long)(t1 - t0));
	printf("param populate_files=%llu\n", (unsigned long long)nfiles);
}

struct ldirent {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static void
copy_out_meta(const char *dst, const struct stat *st)
{
	struct timespec ts[2] = {st->st_atim, st->st_mtim};

	(void)lchown(dst, st->st_uid, st->st_gid);
	if (!S_ISLNK(st->st_mode) && chmod(dst, st->st_mode & 07777) == -1)
		rfail("chmod", dst);
	if (utimensat(AT_FDCWD, dst, ts, AT_SYMLINK_NOFOLLOW) == -1)
		rfail("utimensat", dst);
}

/* Copies the rump directory src into the host directory dst. */
static void
copy_out(const char *src, const char *dst, uint64_t *nfiles)
{
	char s[4096], d[4096];
	char *dbuf = malloc(65536);
	struct stat st;
	int dfd;
	long n;

	if (dbuf == NULL)
		bench_fail("malloc", ENOMEM);
	if ((dfd = rump_sys_open(src, O_RDONLY | O_DIRECTORY)) == -1)
		rfail("rump open", src);
	while ((n = rump_sys_getdents64(dfd, dbuf, 65536)) > 0) {
		for (long off = 0; off < n;) {
			struct ldirent *de = (struct ldirent *)(dbuf + off);

			off += de->d_reclen;
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0 ||
			    (strcmp(de->d_name, "lost+found") == 0 &&
			        strcmp(src, MNT) == 0))
				continue;
			snprintf(s, sizeof(s), "%s/%s", src, de->d_name);
			snprintf(d, sizeof(d), "%s/%s", dst, de->d_name);
			if (rump_sys_lstat(s, &st) == -1)
				rfail("rump lstat", s);
			if (S_ISDIR(st.st_mode)) {
				if (mkdir(d, 0700) == -1)
					rfail("mkdir", d);
				copy_out(s, d, nfiles);
			} else if (S_ISREG(st.st_mode)) {
				int in, out;
				ssize_t k;

				in = rump_sys_open(s, O_RDONLY);
				if (in == -1)
					rfail("rump open", s);
				out =
				    open(d, O_CREAT | O_EXCL | O_WRONLY, 0600);
				if (out == -1)
					rfail("open", d);
				while (
				    (k = rump_sys_read(in, iobuf, CHUNK)) > 0)
					if (write(out, iobuf, (size_t)k) != k)
						rfail("write", d);
				if (k == -1)
					rfail("rump read", s);
				rump_sys_close(in);
				close(out);
				++*nfiles;
			} else if (S_ISLNK(st.st_mode)) {
				long k = rump_sys_readlink(s, iobuf, 4095);

				if (k < 0)
					rfail("rump readlink", s);
				iobuf[k] = '\0';
				if (symlink(iobuf, d) == -1)
					rfail("symlink", d);
			} else {
				continue;
			}
			copy_out_meta(d, &st);
		}
	}
	if (n == -1)
		rfail("rump getdents64", src);
	rump_sys_close(dfd);
	free(dbuf);
}

static void
readtree(const char *img, const char *out)
{
	uint64_t t0, t1, nfiles = 0;
	struct stat st;

	t0 = bench_now_ns();
	rump_boot(img, true);
	if (mkdir(out, 0700) == -1 && errno != EEXIST)
		rfail("mkdir", out);
	copy_out(MNT, out, &nfiles);
	if (rump_sys_lstat(MNT, &st) == -1)
		rfail("rump lstat", MNT);
	copy_out_meta(out, &st);
	rump_unmount();
	t1 = bench_now_ns();
	printf("readtree_ns %llu\n", (unsigned long long)(t1 - t0));
	printf("param readtree_files=%llu\n", (unsigned long long)nfiles);
}

/* ---- the reference tools ---- */

static void
timed_cmd(const char *name, char *const argv[], bool quiet_err)
{
	uint64_t t0 = bench_now_ns();

	if (run_cmd(argv, quiet_err) != 0) {
		fprintf(stderr, "bench: %s failed\n", argv[0]);
		exit(1);
	}
	printf("%s %llu\n", name, (unsigned long long)(bench_now_ns() - t0));
}

static bool
is_mounted(const char *mnt)
{
	char line[4096], want[4200];
	bool found = false;
	FILE *f;

	if ((f = fopen("/proc/self/mounts", "r")) == NULL)
		return false;
	snprintf(want, sizeof(want), " %s ", mnt);
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, want) != NULL;
	fclose(f);
	return found;
}

/*
 * Starts fuse2fs -f img mnt in a child and waits for the mount; returns
 * the pid, or -1 (with why) when FUSE does not work here.
 */
static pid_t
fuse_start(const char *img, const char *mnt, const char **why)
{
	pid_t pid;
	int st;

	if (access("/dev/fuse", R_OK | W_OK) == -1) {
		*why = "no usable /dev/fuse";
		return -1;
	}
	if ((pid = fork()) == -1)
		bench_fail("fork", errno);
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		if (fd >= 0)
			dup2(fd, 1), dup2(fd, 2);
		execlp("fuse2fs", "fuse2fs", "-f", img, mnt, NULL);
		_exit(127);
	}
	for (int i = 0; i < 2000; i++) {
		if (is_mounted(mnt))
			return pid;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			*why = WIFEXITED(st) && WEXITSTATUS(st) == 127
			    ? "fuse2fs not installed"
			    : "fuse2fs could not mount (no FUSE here?)";
			return -1;
		}
		usleep(1000);
	}
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	*why = "fuse2fs did not mount in 2 s";
	return -1;
}

/* Unmounts and waits for fuse2fs to write everything and exit. */
static void
fuse_stop(const char *mnt, pid_t pid)
{
	char *argv[] = {"umount", (char *)mnt, NULL};
	int st;

	must_run(argv);
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			bench_fail("waitpid", errno);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "bench: fuse2fs exited badly\n");
		exit(1);
	}
}

static void
fuse_populate(
    const char *img, const char *tree, const char *size, const char *mnt)
{
	char src[4096];
	char *cp[] = {"cp", "-a", src, (char *)mnt, NULL};
	char *sync_argv[] = {"sync", "-f", (char *)mnt, NULL};
	const char *why = NULL;
	uint64_t t0, t1;
	pid_t pid;

	snprintf(src, sizeof(src), "%s/.", tree);
	t0 = bench_now_ns();
	mkfs_empty(img, size);
	if ((pid = fuse_start(img, mnt, &why)) == -1) {
		printf("skip fuse %s\n", why);
		return;
	}
	must_run(cp);
	must_run(sync_argv);
	fuse_stop(mnt, pid);
	t1 = bench_now_ns();
	printf("fuse_ns %llu\n", (unsigned long long)(t1 - t0));
}

/* ---- sequential I/O ---- */

static double
mbps(uint64_t bytes, uint64_t ns)
{
	return (double)bytes * 1e3 / (double)ns;
}

static void
stamp(uint64_t rep, uint64_t i)
{
	uint64_t v = rep << 32 | i;

	memcpy(iobuf, &v, 8);
}

static void
check_stamp(const char *who, uint64_t rep, uint64_t i)
{
	uint64_t v;

	memcpy(&v, iobuf, 8);
	if (v != (rep << 32 | i)) {
		fprintf(stderr, "bench: %s: block %llu of rep %llu is wrong\n",
		    who, (unsigned long long)i, (unsigned long long)rep);
		exit(1);
	}
}

static void
drop_host_cache(const char *path)
{
	int fd = open(path, O_RDONLY);

	if (fd == -1)
		rfail("open", path);
	(void)fdatasync(fd);
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	close(fd);
}

static void
seq(const char *dir, long mib, int reps)
{
	double hw[100], hr[100], rw[100], rr[100];
	char img[4096], host[4096], size[32];
	uint64_t bytes = (uint64_t)mib * MIB, t0;
	int fd;

	if (reps > 100)
		reps = 100;
	snprintf(img, sizeof(img), "%s/e2bench-seq.%d.img", dir, (int)getpid());
	snprintf(
	    host, sizeof(host), "%s/e2bench-seq.%d.host", dir, (int)getpid());
	snprintf(size, sizeof(size), "%ldM", mib + mib / 4 + 256);
	mkfs_empty(img, size);
	rump_boot(img, false);
	fill_random(iobuf, CHUNK);
	for (int r = 0; r < reps; r++) {
		uint64_t rep = (uint64_t)r + 1;

		/* Host write: the same bytes, fsync in the time. */
		unlink(host);
		t0 = bench_now_ns();
		if ((fd = open(host, O_CREAT | O_WRONLY | O_TRUNC, 0644)) == -1)
			rfail("open", host);
		for (uint64_t i = 0; i < bytes / CHUNK; i++) {
			stamp(rep, i);
			if (write(fd, iobuf, CHUNK) != (ssize_t)CHUNK)
				rfail("write", host);
		}
		if (fsync(fd) == -1)
			rfail("fsync", host);
		close(fd);
		hw[r] = mbps(bytes, bench_now_ns() - t0);

		/* rumpk write: fsync and unmount in the time. */
		if (r > 0 && rump_sys_mount(KEY, MNT, "ext4", 0, NULL) == -1)
			rfail("rump mount", img);
		(void)rump_sys_unlink(MNT "/big");
		(void)rump_sys_sync();
		t0 = bench_now_ns();
		fd = rump_sys_open(
		    MNT "/big", O_CREAT | O_WRONLY | O_TRUNC, 0644);
		if (fd == -1)
			rfail("rump open", MNT "/big");
		for (uint64_t i = 0; i < bytes / CHUNK; i++) {
			stamp(rep, i);
			if (rump_sys_write(fd, iobuf, CHUNK) != (ssize_t)CHUNK)
				rfail("rump write", MNT "/big");
		}
		if (rump_sys_fsync(fd) == -1)
			rfail("rump fsync", MNT "/big");
		rump_sys_close(fd);
		rump_unmount();
		rw[r] = mbps(bytes, bench_now_ns() - t0);

		/* Host read, cold. */
		drop_host_cache(host);
		t0 = bench_now_ns();
		if ((fd = open(host, O_RDONLY)) == -1)
			rfail("open", host);
		for (uint64_t i = 0; i < bytes / CHUNK; i++) {
			if (read(fd, iobuf, CHUNK) != (ssize_t)CHUNK)
				rfail("read", host);
			check_stamp("host read", rep, i);
		}
		close(fd);
		hr[r] = mbps(bytes, bench_now_ns() - t0);

		/* rumpk read: a fresh mount, the image out of the host cache.
		 */
		drop_host_cache(img);
		if (rump_sys_mount(KEY, MNT, "ext4", MS_RDONLY, NULL) == -1)
			rfail("rump mount", img);
		t0 = bench_now_ns();
		if ((fd = rump_sys_open(MNT "/big", O_RDONLY)) == -1)
			rfail("rump open", MNT "/big");
		for (uint64_t i = 0; i < bytes / CHUNK; i++) {
			if (rump_sys_read(fd, iobuf, CHUNK) != (ssize_t)CHUNK)
				rfail("rump read", MNT "/big");
			check_stamp("rump read", rep, i);
		}
		rump_sys_close(fd);
		rr[r] = mbps(bytes, bench_now_ns() - t0);
		rump_unmount();
	}
	printf("param seq_mib=%ld seq_dir=%s\n", mib, dir);
	bench_print("seq_host_write", hw, reps, 1);
	bench_print("seq_rump_write", rw, reps, 1);
	bench_print("seq_host_read", hr, reps, 1);
	bench_print("seq_rump_read", rr, reps, 1);
	unlink(host);
	unlink(img);
}

/* ---- 2 threads against 1 ---- */

struct sworker {
	pthread_t sw_thread;
	bool sw_rump;
	char sw_dir[4096];
	long sw_files;
	pthread_barrier_t *sw_bar;
};

static void *
sworker_run(void *arg)
{
	struct sworker *w = arg;
	char *buf = malloc(SCALE_FILE), path[4200];
	int error, fd;

	if (buf == NULL)
		bench_fail("malloc", ENOMEM);
	memset(buf, 0x5a, SCALE_FILE);
	if (w->sw_rump && (error = rump_pub_lwproc_rfork(RUMP_RFFDG)) != 0)
		bench_fail("rump_pub_lwproc_rfork", error);
	pthread_barrier_wait(w->sw_bar);
	for (long i = 0; i < w->sw_files; i++) {
		snprintf(path, sizeof(path), "%s/f%ld", w->sw_dir, i);
		buf[0] = (char)i;
		if (w->sw_rump) {
			fd = rump_sys_open(
			    path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
			if (fd == -1)
				rfail("rump open", path);
			if (rump_sys_write(fd, buf, SCALE_FILE) != SCALE_FILE)
				rfail("rump write", path);
			rump_sys_close(fd);
		} else {
			if ((fd = open(path, O_CREAT | O_WRONLY | O_TRUNC,
			         0644)) == -1)
				rfail("open", path);
			if (write(fd, buf, SCALE_FILE) != SCALE_FILE)
				rfail("write", path);
			close(fd);
		}
	}
	if (w->sw_rump)
		rump_pub_lwproc_releaselwp();
	free(buf);
	return NULL;
}

/*
 * The host's own figure for writers sharing one file: thread i of n
 * pwrite()s `files` chunks of SCALE_FILE bytes into its own part of one
 * host file (the image is one host file, and Linux takes the file's
 * lock for each write).
 */
struct hworker {
	pthread_t hw_thread;
	int hw_fd;
	off_t hw_base;
	long hw_files;
	pthread_barrier_t *hw_bar;
};

static void *
hworker_run(void *arg)
{
	struct hworker *w = arg;
	char *buf = malloc(SCALE_FILE);

	if (buf == NULL)
		bench_fail("malloc", ENOMEM);
	memset(buf, 0x5a, SCALE_FILE);
	pthread_barrier_wait(w->hw_bar);
	for (long i = 0; i < w->hw_files; i++)
		if (pwrite(w->hw_fd, buf, SCALE_FILE,
		        w->hw_base + (off_t)i * SCALE_FILE) != SCALE_FILE)
			bench_fail("pwrite", errno);
	free(buf);
	return NULL;
}

static double
host_onefile_run(const char *dir, int n, long files)
{
	struct hworker ws[MAX_THREADS];
	pthread_barrier_t bar;
	char path[4200];
	uint64_t t0, t1;
	int fd;

	snprintf(
	    path, sizeof(path), "%s/e2bench-onefile.%d", dir, (int)getpid());
	if ((fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644)) == -1)
		rfail("open", path);
	pthread_barrier_init(&bar, NULL, (unsigned)n + 1);
	for (int i = 0; i < n; i++) {
		ws[i].hw_fd = fd;
		ws[i].hw_base = (off_t)i * files * SCALE_FILE;
		ws[i].hw_files = files;
		ws[i].hw_bar = &bar;
		if (pthread_create(
		        &ws[i].hw_thread, NULL, hworker_run, &ws[i]) != 0)
			bench_fail("pthread_create", errno);
	}
	pthread_barrier_wait(&bar);
	t0 = bench_now_ns();
	for (int i = 0; i < n; i++)
		pthread_join(ws[i].hw_thread, NULL);
	t1 = bench_now_ns();
	pthread_barrier_destroy(&bar);
	close(fd);
	unlink(path);
	return mbps((uint64_t)n * (uint64_t)files * SCALE_FILE, t1 - t0);
}

/* CPU time (user + system) of the whole process so far, in ns. */
static uint64_t
proc_cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) *
	    1000000000u +
	    (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000u;
}

/*
 * One run of n threads under base (MNT or a host mount); MB/s.  *share is
 * the process's CPU time over 2 CPUs x wall time: well below 1 means the
 * host gave the CPUs to others (or the threads slept on a lock).
 */
static double
scale_run(
    const char *base, bool rump, int n, long files, int rep, double *share)
{
	uint64_t c0;
	struct sworker ws[MAX_THREADS];
	pthread_barrier_t bar;
	uint64_t t0, t1;
	int error;

	pthread_barrier_init(&bar, NULL, (unsigned)n + 1);
	for (int i = 0; i < n; i++) {
		ws[i].sw_rump = rump;
		ws[i].sw_files = files;
		ws[i].sw_bar = &bar;
		snprintf(ws[i].sw_dir, sizeof(ws[i].sw_dir), "%s/t%d_%d_%d",
		    base, n, i, rep);
		if ((rump ? rump_sys_mkdir(ws[i].sw_dir, 0755)
		          : mkdir(ws[i].sw_dir, 0755)) == -1)
			rfail("mkdir", ws[i].sw_dir);
	}
	if (rump)
		(void)rump_sys_sync();
	else
		sync();
	for (int i = 0; i < n; i++)
		if ((error = pthread_create(
		         &ws[i].sw_thread, NULL, sworker_run, &ws[i])) != 0)
			bench_fail("pthread_create", error);
	pthread_barrier_wait(&bar);
	t0 = bench_now_ns();
	c0 = proc_cpu_ns();
	for (int i = 0; i < n; i++)
		pthread_join(ws[i].sw_thread, NULL);
	if (rump) {
		(void)rump_sys_sync();
	} else {
		char *argv[] = {"sync", "-f", (char *)base, NULL};
		must_run(argv);
	}
	t1 = bench_now_ns();
	*share = (double)(proc_cpu_ns() - c0) / (2.0 * (double)(t1 - t0));
	pthread_barrier_destroy(&bar);
	/* Out of the clock: make room for the next run. */
	for (int i = 0; i < n; i++) {
		char path[4200];

		for (long f = 0; f < files; f++) {
			snprintf(
			    path, sizeof(path), "%s/f%ld", ws[i].sw_dir, f);
			if ((rump ? rump_sys_unlink(path) : unlink(path)) == -1)
				rfail("unlink", path);
		}
		if ((rump ? rump_sys_rmdir(ws[i].sw_dir)
		          : rmdir(ws[i].sw_dir)) == -1)
			rfail("rmdir", ws[i].sw_dir);
	}
	return mbps((uint64_t)n * (uint64_t)files * SCALE_FILE, t1 - t0);
}

static void
scale(const char *dir, int reps, bool fuse)
{
	long mib = env_long("BENCH_E2_SCALE_MB", 128);
	long files = mib * (long)MIB / SCALE_FILE;
	double one[100], two[100], s1[100], s2[100], h1[100], h2[100];
	char img[4096], mnt[4096];
	const char *why = NULL;
	pid_t pid = -1;

	if (reps > 100)
		reps = 100;
	snprintf(
	    img, sizeof(img), "%s/e2bench-scale.%d.img", dir, (int)getpid());
	mkfs_empty(img, "1536M");
	if (fuse) {
		snprintf(mnt, sizeof(mnt), "%s/e2bench-scale.%d.mnt", dir,
		    (int)getpid());
		if (mkdir(mnt, 0755) == -1)
			rfail("mkdir", mnt);
		if ((pid = fuse_start(img, mnt, &why)) == -1) {
			printf("skip scalefuse %s\n", why);
			rmdir(mnt);
			unlink(img);
			return;
		}
	} else {
		rump_boot(img, false);
	}
	for (int r = 0; r < reps; r++) {
		one[r] =
		    scale_run(fuse ? mnt : MNT, !fuse, 1, files, r, &s1[r]);
		two[r] =
		    scale_run(fuse ? mnt : MNT, !fuse, 2, files, r, &s2[r]);
		if (!fuse) {
			h1[r] = host_onefile_run(dir, 1, files);
			h2[r] = host_onefile_run(dir, 2, files);
		}
	}
	printf("param scale_mib_per_thread=%ld scale_file_kib=%d\n", mib,
	    SCALE_FILE / 1024);
	bench_print(fuse ? "scale_fuse1" : "scale_rump1", one, reps, 1);
	bench_print(fuse ? "scale_fuse2" : "scale_rump2", two, reps, 1);
	bench_print(fuse ? "cpu_scale_fuse1" : "cpu_scale_rump1", s1, reps, 3);
	bench_print(fuse ? "cpu_scale_fuse2" : "cpu_scale_rump2", s2, reps, 3);
	if (!fuse) {
		bench_print("scale_host_onefile1", h1, reps, 1);
		bench_print("scale_host_onefile2", h2, reps, 1);
	}
	if (fuse) {
		fuse_stop(mnt, pid);
		rmdir(mnt);
	} else {
		rump_unmount();
	}
	unlink(img);
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: ext2fs_perf gentree DIR | mkfsd IMG TREE SIZE | "
	    "mkfs IMG SIZE |\n"
	    "       populate IMG TREE SIZE | fuse IMG TREE SIZE MNT |\n"
	    "       readtree IMG OUT | rdump IMG OUT | seq DIR MIB REPS |\n"
	    "       scale DIR REPS | scalefuse DIR REPS\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		usage();
	if ((iobuf = malloc(CHUNK)) == NULL)
		bench_fail("malloc", ENOMEM);
	umask(0);
	if (strcmp(argv[1], "gentree") == 0 && argc == 3)
		return gentree(argv[2]);
	if (strcmp(argv[1], "mkfsd") == 0 && argc == 5) {
		char *a[] = {"mke2fs", "-q", "-F", "-t", "ext4", "-d", argv[3],
		    argv[2], argv[4], NULL};

		unlink(argv[2]);
		timed_cmd("mkfsd_ns", a, false);
	} else if (strcmp(argv[1], "mkfs") == 0 && argc == 4) {
		uint64_t t0 = bench_now_ns();

		mkfs_empty(argv[2], argv[3]);
		printf("mkfs_empty_ns %llu\n",
		    (unsigned long long)(bench_now_ns() - t0));
	} else if (strcmp(argv[1], "populate") == 0 && argc == 5) {
		populate(argv[2], argv[3], argv[4]);
	} else if (strcmp(argv[1], "fuse") == 0 && argc == 6) {
		fuse_populate(argv[2], argv[3], argv[4], argv[5]);
	} else if (strcmp(argv[1], "readtree") == 0 && argc == 4) {
		readtree(argv[2], argv[3]);
	} else if (strcmp(argv[1], "rdump") == 0 && argc == 4) {
		char cmd[4200];
		char *a[] = {"debugfs", "-R", cmd, argv[2], NULL};

		snprintf(cmd, sizeof(cmd), "rdump / %s", argv[3]);
		if (mkdir(argv[3], 0700) == -1 && errno != EEXIST)
			rfail("mkdir", argv[3]);
		/* Its banner goes to stderr; the tree is checked after. */
		timed_cmd("rdump_ns", a, true);
	} else if (strcmp(argv[1], "seq") == 0 && argc == 5) {
		seq(argv[2], atol(argv[3]), atoi(argv[4]));
	} else if (strcmp(argv[1], "scale") == 0 && argc == 4) {
		scale(argv[2], atoi(argv[3]), false);
	} else if (strcmp(argv[1], "scalefuse") == 0 && argc == 4) {
		scale(argv[2], atoi(argv[3]), true);
	} else {
		usage();
	}
	return 0;
}
