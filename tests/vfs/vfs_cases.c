/*
 * vfs_cases.c — the cases of the file-system-independent VFS conformance
 * suite, written once against struct vfs_api (vfs.h) and linked into one
 * program per target.  They cover what NetBSD's tests/fs/vfs covers
 * (t_vnops, t_io, t_ro, t_unpriv, t_full, t_renamerace, t_rmdirrace,
 * t_mtime_write, t_mtime_otrunc) with Linux's semantics and errno values:
 * lookup, directories, rename, links, large directories and odd names,
 * file I/O, open flags, stat and timestamps, permissions as another user,
 * read-only and full file systems, races, record locks, the working and
 * root directories, bad pointers, descriptor limits, mounts and extended
 * attributes.
 *
 * Every case starts in a fresh, empty work directory (vfs_dir) with umask
 * 0, as root where the target allows it.  The order below follows that
 * list; helpers come first.
 */
#include <limits.h>
#include <stdbool.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <dirent.h>
#include <unistd.h>

#include "vfs.h"

char vfs_dir[512];

#define MiB         (1024 * 1024)
#define OLD_TIME    1000000000 /* 2001-09-09: older than any test run */
#define TMPFS_MAGIC 0x01021994

/* ------------------------------------------------------------ framework */

void *
vfs_shared_alloc(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		T_FAIL("mmap: %s", strerror(errno));
	return p;
}

static const struct {
	unsigned int cap;
	const char *what;
} cap_names[] = {
    {VFS_SYMLINKS, "symbolic links"},
    {VFS_HARDLINKS, "hard links"},
    {VFS_SPECIALS, "fifos and device nodes"},
    {VFS_PERMS, "permissions and owners"},
    {VFS_CASEFOLD, "case-insensitive names"},
    {VFS_SPARSE, "sparse files"},
    {VFS_TMPFILE, "O_TMPFILE"},
    {VFS_ROOT, "root privileges"},
    {VFS_MOUNT, "mounting tmpfs"},
    {VFS_RUMPK, "rumpk"},
    {VFS_DIRNLINK, "directory link counts"},
    {VFS_ANYNAME, "names of any byte"},
    {VFS_XATTR, "extended attributes"},
};

void
vfs_need(const struct vfs_target *t, unsigned int caps)
{
	unsigned int missing = caps & ~t->vt_caps;

	for (size_t i = 0; i < sizeof(cap_names) / sizeof(cap_names[0]); i++)
		if (missing & cap_names[i].cap)
			T_SKIP("target %s lacks %s", t->vt_name,
			    cap_names[i].what);
	if (missing)
		T_SKIP("target %s lacks capability %#x", t->vt_name, missing);
}

void
vfs_run(void (*body)(struct vfs_target *, const struct vfs_api *))
{
	struct vfs_target *t = vfs_target;

	/*
	 * A read-only target has no fresh directory to work in; its cases
	 * will need a prepared image and cases of their own.
	 */
	if (t->vt_caps & VFS_RDONLY)
		T_SKIP("target %s is read-only", t->vt_name);
	t->vt_setup(t);
	body(t, t->vt_api);
	if (t->vt_teardown != NULL)
		t->vt_teardown(t);
}

/* Mounting is possible in this case, or the case skips. */
static void
need_mount(struct vfs_target *t, const struct vfs_api *v)
{
	int error;

	vfs_need(t, VFS_MOUNT | VFS_ROOT);
	error = v->mount_prepare();
	if (error)
		T_SKIP("cannot get a private mount namespace: %s",
		    strerror(error));
}

/* ------------------------------------------------------------- helpers */

/* Creates (or truncates) path with mode and writes len bytes of buf. */
static void
put(const struct vfs_api *v, const char *path, const void *buf, size_t len,
    mode_t mode)
{
	int fd;

	T_OK(fd = v->open(path, O_WRONLY | O_CREAT | O_TRUNC, mode));
	if (len > 0)
		T_EQ(v->write(fd, buf, len), len);
	T_OK(v->close(fd));
}

static void
puts_(const struct vfs_api *v, const char *path, const char *s)
{
	put(v, path, s, strlen(s), 0644);
}

/* Reads up to len bytes of path into buf; returns how many. */
static size_t
get(const struct vfs_api *v, const char *path, void *buf, size_t len)
{
	ssize_t n;
	size_t got = 0;
	int fd;

	T_OK(fd = v->open(path, O_RDONLY, 0));
	while (got < len) {
		T_OK(n = v->read(fd, (char *)buf + got, len - got));
		if (n == 0)
			break;
		got += (size_t)n;
	}
	T_OK(v->close(fd));
	return got;
}

/* path holds exactly the string s. */
static void
expect_content(const struct vfs_api *v, const char *path, const char *s)
{
	char buf[256];
	size_t n = get(v, path, buf, sizeof(buf) - 1);

	buf[n] = '\0';
	if (n != strlen(s) || memcmp(buf, s, n) != 0)
		T_FAIL("%s holds \"%s\", expected \"%s\"", path, buf, s);
}

static struct stat
st_of(const struct vfs_api *v, const char *path)
{
	struct stat st;

	memset(&st, 0, sizeof(st));
	if (v->stat(path, &st) == -1)
		T_FAIL("stat %s: %s", path, strerror(errno));
	return st;
}

static struct stat
lst_of(const struct vfs_api *v, const char *path)
{
	struct stat st;

	memset(&st, 0, sizeof(st));
	if (v->lstat(path, &st) == -1)
		T_FAIL("lstat %s: %s", path, strerror(errno));
	return st;
}

static struct stat
fst_of(const struct vfs_api *v, int fd)
{
	struct stat st;

	memset(&st, 0, sizeof(st));
	T_OK(v->fstat(fd, &st));
	return st;
}

static int
exists(const struct vfs_api *v, const char *path)
{
	struct stat st;

	if (v->lstat(path, &st) == 0)
		return 1;
	T_EQ(errno, ENOENT);
	return 0;
}

/* Waits for a second process; its failure or skip becomes the case's. */
static void
proc_join(const struct vfs_api *v, struct vfs_proc *p)
{
	int r = v->proc_wait(p);

	if (r == 77)
		T_SKIP("the second process skipped");
	if (r != 0)
		T_FAIL("the second process failed (see above)");
}

/* Runs fn(arg) as uid/gid in a second process and waits for it. */
static void
as_user(
    struct vfs_target *t, uid_t uid, gid_t gid, void (*fn)(void *), void *arg)
{
	const struct vfs_api *v = t->vt_api;

	vfs_need(t, VFS_ROOT | VFS_PERMS);
	proc_join(v, v->proc_start(uid, gid, fn, arg));
}

static struct timespec
now(const struct vfs_api *v)
{
	struct timespec ts;

	T_OK(v->clock_gettime(CLOCK_REALTIME, &ts));
	return ts;
}

/* Sets atime and mtime of path to OLD_TIME. */
static void
set_old(const struct vfs_api *v, const char *path)
{
	struct timespec ts[2] = {{OLD_TIME, 0}, {OLD_TIME, 0}};

	T_OK(v->utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW));
}

/* ts is recent: not before OLD_TIME + a day, not after now + 2 s. */
static void
expect_recent(const struct vfs_api *v, struct timespec ts, const char *what)
{
	struct timespec n = now(v);

	if (ts.tv_sec < OLD_TIME + 86400 || ts.tv_sec > n.tv_sec + 2)
		T_FAIL("%s is %lld, now is %lld", what, (long long)ts.tv_sec,
		    (long long)n.tv_sec);
}

/* Sleeps ms milliseconds of host time. */
static void
msleep(unsigned int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/*
 * Lists directory path with getdents64 in chunks of bufsize bytes, calling
 * fn on each entry; returns the number of entries.
 */
static int
list_dir(const struct vfs_api *v, const char *path, size_t bufsize,
    void (*fn)(const struct vfs_dirent64 *, void *), void *arg)
{
	static char buf[65536] __attribute__((aligned(8)));
	int fd, count = 0;
	ssize_t n;

	T_ASSERT(bufsize <= sizeof(buf));
	T_OK(fd = v->open(path, O_RDONLY | O_DIRECTORY, 0));
	for (;;) {
		T_OK(n = v->getdents64(fd, buf, bufsize));
		if (n == 0)
			break;
		for (ssize_t off = 0; off < n;) {
			const struct vfs_dirent64 *d =
			    (const struct vfs_dirent64 *)(buf + off);

			T_ASSERT(d->d_reclen >= 20 && d->d_reclen % 8 == 0);
			T_ASSERT(off + d->d_reclen <= n);
			T_ASSERT(strlen(d->d_name) < (size_t)d->d_reclen - 19);
			if (fn != NULL)
				fn(d, arg);
			count++;
			off += d->d_reclen;
		}
	}
	T_OK(v->close(fd));
	return count;
}

/* ------------------------------------------------------------- lookups */

VFS_CASE(lookup_dot, "\".\" and \"..\" name a directory and its parent")
{
	struct stat a, b;
	char parent[512], *slash;

	T_OK(v->mkdir("d", 0755));
	T_OK(v->mkdir("d/e", 0755));
	puts_(v, "f", "x");
	a = st_of(v, "d");
	b = st_of(v, "d/.");
	T_EQ(a.st_ino, b.st_ino);
	b = st_of(v, "d/e/..");
	T_EQ(a.st_ino, b.st_ino);
	b = st_of(v, "d/e/../.././d");
	T_EQ(a.st_ino, b.st_ino);
	a = st_of(v, ".");
	b = st_of(v, "d/..");
	T_EQ(a.st_ino, b.st_ino);
	T_EQ(a.st_dev, b.st_dev);
	snprintf(parent, sizeof(parent), "%s", vfs_dir);
	slash = strrchr(parent, '/');
	T_ASSERT(slash != NULL);
	if (slash == parent)
		slash[1] = '\0';
	else
		*slash = '\0';
	a = st_of(v, parent);
	b = st_of(v, "..");
	T_EQ(a.st_ino, b.st_ino);
	a = st_of(v, "/");
	b = st_of(v, "/..");
	T_EQ(a.st_ino, b.st_ino);
	b = st_of(v, "/../../..");
	T_EQ(a.st_ino, b.st_ino);
	T_ERRNO(v->stat("none/..", &a), ENOENT);
	T_ERRNO(v->stat("f/..", &a), ENOTDIR);
	T_ERRNO(v->stat("f/.", &a), ENOTDIR);
}

VFS_CASE(lookup_trailing_slash,
    "trailing slashes: dir/ works, file/ is ENOTDIR, mkdir d/ works")
{
	struct stat st;

	T_OK(v->mkdir("d", 0755));
	puts_(v, "f", "x");
	T_OK(v->stat("d/", &st));
	T_ASSERT(S_ISDIR(st.st_mode));
	T_OK(v->stat("d//", &st));
	T_OK(v->lstat("d/", &st));
	T_ERRNO(v->stat("f/", &st), ENOTDIR);
	T_ERRNO(v->lstat("f/", &st), ENOTDIR);
	T_ERRNO(v->open("f/", O_RDONLY, 0), ENOTDIR);
	T_ERRNO(v->unlink("f/"), ENOTDIR);
	T_ERRNO(v->rename("f/", "g"), ENOTDIR);
	T_ERRNO(v->open("n/", O_RDWR | O_CREAT, 0644), EISDIR);
	T_ASSERT(!exists(v, "n"));
	T_OK(v->mkdir("e/", 0755));
	T_ASSERT(S_ISDIR(st_of(v, "e").st_mode));
	T_OK(v->rename("e/", "g/"));
	T_OK(v->rmdir("g/"));
	T_ASSERT(!exists(v, "g"));
	T_OK(v->rename("d/", "e"));
	T_OK(v->rmdir("e//"));
}

VFS_CASE(lookup_slashes, "repeated slashes and ./ components collapse")
{
	char path[600];
	struct stat a;

	T_OK(v->mkdir("d", 0755));
	puts_(v, "d/f", "x");
	a = st_of(v, "d/f");
	T_EQ(st_of(v, "d//f").st_ino, a.st_ino);
	T_EQ(st_of(v, "d///f").st_ino, a.st_ino);
	T_EQ(st_of(v, ".//d/./f").st_ino, a.st_ino);
	T_EQ(st_of(v, "d/../d/f").st_ino, a.st_ino);
	snprintf(path, sizeof(path), "/%s//d//f", vfs_dir);
	T_EQ(st_of(v, path).st_ino, a.st_ino);
	snprintf(path, sizeof(path), "%s/./d/../d/f", vfs_dir);
	T_EQ(st_of(v, path).st_ino, a.st_ino);
}

VFS_CASE(lookup_empty, "the empty path is ENOENT; AT_EMPTY_PATH uses the fd")
{
	struct stat st, fst;
	int fd;

	puts_(v, "f", "xyz");
	T_ERRNO(v->stat("", &st), ENOENT);
	T_ERRNO(v->lstat("", &st), ENOENT);
	T_ERRNO(v->open("", O_RDONLY, 0), ENOENT);
	T_ERRNO(v->open("", O_RDWR | O_CREAT, 0644), ENOENT);
	T_ERRNO(v->mkdir("", 0755), ENOENT);
	T_ERRNO(v->unlink(""), ENOENT);
	T_ERRNO(v->rmdir(""), ENOENT);
	T_ERRNO(v->rename("", "x"), ENOENT);
	T_ERRNO(v->rename("f", ""), ENOENT);
	T_ERRNO(v->chdir(""), ENOENT);
	T_OK(fd = v->open("f", O_RDONLY, 0));
	T_ERRNO(v->fstatat(fd, "", &st, 0), ENOENT);
	T_OK(v->fstatat(fd, "", &st, AT_EMPTY_PATH));
	fst = fst_of(v, fd);
	T_EQ(st.st_ino, fst.st_ino);
	T_EQ(st.st_size, 3);
	T_OK(v->close(fd));
}

VFS_CASE(lookup_nametoolong,
    "a 256-byte component and a path of 4096 bytes are ENAMETOOLONG")
{
	char name[300], *path;
	struct stat st;
	size_t i;

	memset(name, 'n', 256);
	name[256] = '\0';
	T_ERRNO(v->stat(name, &st), ENAMETOOLONG);
	T_ERRNO(v->open(name, O_RDWR | O_CREAT, 0644), ENAMETOOLONG);
	T_ERRNO(v->mkdir(name, 0755), ENAMETOOLONG);
	path = malloc(8192);
	T_ASSERT(path != NULL);
	puts_(v, "f", "x");
	puts_(v, "fg", "x");
	/* "./" * 2047 + "f": 4095 bytes, the longest path there is. */
	for (i = 0; i < 2047; i++)
		memcpy(path + 2 * i, "./", 2);
	strcpy(path + 2 * i, "f");
	T_EQ(strlen(path), 4095);
	T_OK(v->stat(path, &st));
	strcpy(path + 2 * i, "fg");
	T_ERRNO(v->stat(path, &st), ENAMETOOLONG);
	T_ERRNO(v->open(path, O_RDONLY, 0), ENAMETOOLONG);
	memset(path, 'a', 5000);
	path[5000] = '\0';
	T_ERRNO(v->mkdir(path, 0755), ENAMETOOLONG);
	free(path);
}

VFS_CASE(lookup_eloop, "a chain of 40 symlinks resolves, 41 are ELOOP")
{
	char a[16], b[16];
	struct stat st;

	vfs_need(t, VFS_SYMLINKS);
	puts_(v, "f", "x");
	T_OK(v->symlink("f", "s0"));
	for (int i = 1; i <= 40; i++) {
		snprintf(a, sizeof(a), "s%d", i);
		snprintf(b, sizeof(b), "s%d", i - 1);
		T_OK(v->symlink(b, a));
	}
	T_OK(v->stat("s39", &st)); /* 40 links */
	T_ASSERT(S_ISREG(st.st_mode));
	T_ERRNO(v->stat("s40", &st), ELOOP);
	T_ERRNO(v->open("s40", O_RDONLY, 0), ELOOP);
	T_OK(v->lstat("s40", &st));
	T_OK(v->symlink("loop", "loop"));
	T_ERRNO(v->stat("loop", &st), ELOOP);
	T_ERRNO(v->stat("loop/x", &st), ELOOP);
	T_ERRNO(v->open("loop", O_RDWR | O_CREAT, 0644), ELOOP);
	T_OK(v->symlink("b", "a"));
	T_OK(v->symlink("a", "b"));
	T_ERRNO(v->stat("a", &st), ELOOP);
	T_ERRNO(v->chdir("a"), ELOOP);
}

VFS_CASE(lookup_enotdir, "a file in the middle of a path is ENOTDIR")
{
	struct stat st;

	puts_(v, "f", "x");
	T_ERRNO(v->stat("f/x", &st), ENOTDIR);
	T_ERRNO(v->open("f/x", O_RDWR | O_CREAT, 0644), ENOTDIR);
	T_ERRNO(v->mkdir("f/x", 0755), ENOTDIR);
	T_ERRNO(v->unlink("f/x"), ENOTDIR);
	T_ERRNO(v->chdir("f"), ENOTDIR);
	T_ERRNO(v->stat("none/x", &st), ENOENT);
	T_ERRNO(v->open("none/x", O_RDWR | O_CREAT, 0644), ENOENT);
	T_ERRNO(v->open("none", O_RDONLY, 0), ENOENT);
}

/* --------------------------------------------------------- directories */

VFS_CASE(mkdir_rmdir, "mkdir makes an empty directory, rmdir removes it")
{
	struct stat st, p0, p1;
	int n;

	p0 = st_of(v, ".");
	T_OK(v->mkdir("d", 0751));
	st = st_of(v, "d");
	T_ASSERT(S_ISDIR(st.st_mode));
	if (t->vt_caps & VFS_PERMS)
		T_EQ(st.st_mode & 07777, 0751);
	n = list_dir(v, "d", 4096, NULL, NULL);
	T_EQ(n, 2); /* . and .. */
	p1 = st_of(v, ".");
	if (t->vt_caps & VFS_DIRNLINK) {
		T_EQ(st.st_nlink, 2);
		T_EQ(p1.st_nlink, p0.st_nlink + 1);
	}
	T_OK(v->rmdir("d"));
	T_ERRNO(v->stat("d", &st), ENOENT);
	T_ERRNO(v->rmdir("d"), ENOENT);
	p1 = st_of(v, ".");
	T_EQ(p1.st_nlink, p0.st_nlink);
	T_OK(v->mkdir("d", 0755));
	T_OK(v->mkdir("d/e", 0755));
	T_OK(v->mkdir("d/e/f", 0755));
	T_OK(v->rmdir("d/e/f"));
	T_OK(v->rmdir("d/e"));
	T_OK(v->rmdir("d"));
}

VFS_CASE(mkdir_eexist, "mkdir over a directory, file or symlink is EEXIST")
{
	T_OK(v->mkdir("d", 0755));
	puts_(v, "f", "x");
	T_ERRNO(v->mkdir("d", 0755), EEXIST);
	T_ERRNO(v->mkdir("f", 0755), EEXIST);
	T_ERRNO(v->mkdir(".", 0755), EEXIST);
	T_ERRNO(v->mkdir("..", 0755), EEXIST);
	if (t->vt_caps & VFS_SYMLINKS) {
		T_OK(v->symlink("none", "dangling"));
		T_ERRNO(v->mkdir("dangling", 0755), EEXIST);
		T_ASSERT(!exists(v, "none"));
	}
	T_ERRNO(v->mkdir("none/x", 0755), ENOENT);
}

VFS_CASE(rmdir_notempty, "rmdir of a non-empty directory is ENOTEMPTY")
{
	T_OK(v->mkdir("d", 0755));
	puts_(v, "d/f", "x");
	errno = 0;
	T_ASSERT(
	    v->rmdir("d") == -1 && (errno == ENOTEMPTY || errno == EEXIST));
	T_OK(v->unlink("d/f"));
	T_OK(v->mkdir("d/e", 0755));
	errno = 0;
	T_ASSERT(
	    v->rmdir("d") == -1 && (errno == ENOTEMPTY || errno == EEXIST));
	T_OK(v->rmdir("d/e"));
	if (t->vt_caps & VFS_SYMLINKS) {
		T_OK(v->symlink("x", "d/s"));
		errno = 0;
		T_ASSERT(v->rmdir("d") == -1 &&
		    (errno == ENOTEMPTY || errno == EEXIST));
		T_OK(v->unlink("d/s"));
	}
	T_OK(v->rmdir("d"));
}

VFS_CASE(rmdir_dot, "rmdir of . is EINVAL, of .. ENOTEMPTY, of a file ENOTDIR")
{
	T_OK(v->mkdir("d", 0755));
	T_OK(v->mkdir("d/e", 0755));
	puts_(v, "f", "x");
	T_ERRNO(v->rmdir("."), EINVAL);
	T_ERRNO(v->rmdir("d/."), EINVAL);
	T_ERRNO(v->rmdir("d/e/."), EINVAL);
	T_ERRNO(v->rmdir(".."), ENOTEMPTY);
	T_ERRNO(v->rmdir("d/e/.."), ENOTEMPTY);
	T_ERRNO(v->rmdir("f"), ENOTDIR);
	T_ERRNO(v->rmdir("f/"), ENOTDIR);
	if (t->vt_caps & VFS_SYMLINKS) {
		T_OK(v->symlink("d/e", "s"));
		T_ERRNO(v->rmdir("s"), ENOTDIR);
		T_ASSERT(exists(v, "d/e"));
	}
	T_ASSERT(exists(v, "d/e"));
}

VFS_CASE(unlink_dir, "unlink of a directory is EISDIR; unlinkat AT_REMOVEDIR")
{
	T_OK(v->mkdir("d", 0755));
	puts_(v, "f", "x");
	T_ERRNO(v->unlink("d"), EISDIR);
	T_ERRNO(v->unlinkat(AT_FDCWD, "f", AT_REMOVEDIR), ENOTDIR);
	T_ERRNO(v->unlinkat(AT_FDCWD, "f", 0x1), EINVAL);
	T_OK(v->unlinkat(AT_FDCWD, "d", AT_REMOVEDIR));
	T_OK(v->unlinkat(AT_FDCWD, "f", 0));
	T_ASSERT(!exists(v, "d"));
	T_ASSERT(!exists(v, "f"));
	T_ERRNO(v->unlink("f"), ENOENT);
}

VFS_CASE(rmdir_cwd, "the removed working directory accepts no new entries")
{
	char buf[600];
	struct stat st;
	int fd;
	ssize_t n;

	T_OK(v->mkdir("z", 0755));
	T_OK(fd = v->open("z", O_RDONLY | O_DIRECTORY, 0));
	T_OK(v->chdir("z"));
	T_OK(v->rmdir("../z"));
	T_ERRNO(v->open("new", O_RDWR | O_CREAT, 0644), ENOENT);
	T_ERRNO(v->mkdir("q", 0755), ENOENT);
	T_OK(v->stat(".", &st));
	T_ASSERT(S_ISDIR(st.st_mode));
	T_EQ(st.st_nlink, 0);
	errno = 0;
	T_ASSERT(v->getcwd(buf, sizeof(buf)) == NULL);
	T_EQ(errno, ENOENT);
	/* Linux says ENOENT, the BSDs list nothing: both mean "gone". */
	n = v->getdents64(fd, buf, sizeof(buf));
	T_ASSERT(n == 0 || (n == -1 && errno == ENOENT));
	T_OK(v->close(fd));
	T_OK(v->chdir(vfs_dir));
	T_ASSERT(!exists(v, "z"));
}

/* -------------------------------------------------------------- rename */

VFS_CASE(rename_file, "rename moves a file: old name gone, inode and data kept")
{
	struct stat a, b;

	puts_(v, "a", "data");
	a = st_of(v, "a");
	T_OK(v->rename("a", "b"));
	T_ASSERT(!exists(v, "a"));
	b = st_of(v, "b");
	T_EQ(a.st_ino, b.st_ino);
	expect_content(v, "b", "data");
	T_ERRNO(v->rename("a", "c"), ENOENT);
	T_ERRNO(v->rename("b", "none/c"), ENOENT);
	puts_(v, "f", "x");
	T_ERRNO(v->rename("b", "f/c"), ENOTDIR);
	T_ERRNO(v->rename(".", "x"), EBUSY);
	T_ERRNO(v->rename("b", "."), EBUSY);
	T_OK(v->mkdir("d", 0755));
	T_ERRNO(v->rename("d/.", "x"), EBUSY);
	T_ERRNO(v->rename("d/..", "x"), EBUSY);
}

VFS_CASE(
    rename_into_self, "renaming a directory into its own subtree is EINVAL")
{
	T_OK(v->mkdir("a", 0755));
	T_OK(v->mkdir("a/b", 0755));
	T_ERRNO(v->rename("a", "a/b/c"), EINVAL);
	T_ERRNO(v->rename("a", "a/c"), EINVAL);
	T_ERRNO(v->rename("a/b", "a"), ENOTEMPTY);
	T_OK(v->rename("a", "a")); /* the same directory: nothing happens */
	T_ASSERT(exists(v, "a/b"));
	T_OK(v->rename("a/b", "c"));
	T_OK(v->rename("a", "c/a"));
	T_ASSERT(exists(v, "c/a"));
}

VFS_CASE(rename_dir_over_dir,
    "a directory replaces an empty one; over a non-empty one ENOTEMPTY")
{
	struct stat a;

	T_OK(v->mkdir("a", 0755));
	puts_(v, "a/f", "x");
	T_OK(v->mkdir("b", 0755));
	puts_(v, "b/g", "x");
	T_OK(v->mkdir("e", 0755));
	errno = 0;
	T_ASSERT(v->rename("a", "b") == -1 &&
	    (errno == ENOTEMPTY || errno == EEXIST));
	a = st_of(v, "a");
	T_OK(v->rename("a", "e"));
	T_EQ(st_of(v, "e").st_ino, a.st_ino);
	T_ASSERT(exists(v, "e/f"));
	T_ASSERT(!exists(v, "a"));
}

VFS_CASE(rename_type_mismatch,
    "a directory over a file is ENOTDIR, a file over a directory EISDIR")
{
	T_OK(v->mkdir("d", 0755));
	puts_(v, "f", "x");
	T_ERRNO(v->rename("d", "f"), ENOTDIR);
	T_ERRNO(v->rename("f", "d"), EISDIR);
	T_ASSERT(S_ISDIR(st_of(v, "d").st_mode));
	T_ASSERT(S_ISREG(st_of(v, "f").st_mode));
}

VFS_CASE(rename_replace_atomic,
    "rename over a file: the old file lives on in its open descriptor")
{
	struct stat a, st;
	char buf[16];
	int fd;

	puts_(v, "a", "new");
	puts_(v, "b", "old");
	a = st_of(v, "a");
	T_OK(fd = v->open("b", O_RDONLY, 0));
	T_OK(v->rename("a", "b"));
	T_ASSERT(!exists(v, "a"));
	T_EQ(st_of(v, "b").st_ino, a.st_ino);
	expect_content(v, "b", "new");
	T_EQ(v->read(fd, buf, sizeof(buf)), 3);
	T_ASSERT(memcmp(buf, "old", 3) == 0);
	st = fst_of(v, fd);
	T_EQ(st.st_nlink, 0);
	T_ASSERT(st.st_ino != a.st_ino);
	T_OK(v->close(fd));
}

VFS_CASE(
    rename_same_file, "rename onto itself or onto a hard link does nothing")
{
	struct stat a;

	puts_(v, "f", "x");
	a = st_of(v, "f");
	T_OK(v->rename("f", "f"));
	T_EQ(st_of(v, "f").st_ino, a.st_ino);
	T_EQ(st_of(v, "f").st_nlink, 1);
	if (t->vt_caps & VFS_HARDLINKS) {
		T_OK(v->link("f", "h"));
		T_OK(v->rename("f", "h"));
		T_ASSERT(exists(v, "f"));
		T_ASSERT(exists(v, "h"));
		T_EQ(st_of(v, "h").st_nlink, 2);
	}
	T_OK(v->mkdir("d", 0755));
	T_OK(v->rename("d", "./d/"));
	T_ASSERT(exists(v, "d"));
}

VFS_CASE(rename_dir_nlink,
    "moving a directory updates the parents' link counts and its ..")
{
	struct stat p1, p2, d2;

	T_OK(v->mkdir("p1", 0755));
	T_OK(v->mkdir("p2", 0755));
	T_OK(v->mkdir("p1/sub", 0755));
	puts_(v, "p1/sub/f", "x");
	p1 = st_of(v, "p1");
	p2 = st_of(v, "p2");
	T_OK(v->rename("p1/sub", "p2/sub"));
	T_EQ(st_of(v, "p2/sub/..").st_ino, p2.st_ino);
	T_ASSERT(exists(v, "p2/sub/f"));
	if (t->vt_caps & VFS_DIRNLINK) {
		T_EQ(st_of(v, "p1").st_nlink, p1.st_nlink - 1);
		T_EQ(st_of(v, "p2").st_nlink, p2.st_nlink + 1);
		T_EQ(st_of(v, "p2/sub").st_nlink, 2);
	}
	/* Over an empty directory in a third parent. */
	T_OK(v->mkdir("p3", 0755));
	T_OK(v->mkdir("p3/sub", 0755));
	T_OK(v->rename("p2/sub", "p3/sub"));
	d2 = st_of(v, "p3");
	T_EQ(st_of(v, "p3/sub/..").st_ino, d2.st_ino);
	if (t->vt_caps & VFS_DIRNLINK) {
		T_EQ(d2.st_nlink, 3);
		T_EQ(st_of(v, "p2").st_nlink, 2);
	}
	/* Within one parent the count does not move. */
	T_OK(v->rename("p3/sub", "p3/sub2"));
	T_EQ(st_of(v, "p3").st_nlink, d2.st_nlink);
}

VFS_CASE(rename_noreplace, "renameat2 RENAME_NOREPLACE onto a name is EEXIST")
{
	puts_(v, "a", "a");
	puts_(v, "b", "b");
	T_ERRNO(v->renameat2(AT_FDCWD, "a", AT_FDCWD, "b", RENAME_NOREPLACE),
	    EEXIST);
	expect_content(v, "b", "b");
	T_OK(v->renameat2(AT_FDCWD, "a", AT_FDCWD, "c", RENAME_NOREPLACE));
	T_ASSERT(!exists(v, "a"));
	expect_content(v, "c", "a");
	T_OK(v->mkdir("d", 0755));
	T_ERRNO(v->renameat2(AT_FDCWD, "c", AT_FDCWD, "d", RENAME_NOREPLACE),
	    EEXIST);
	T_ERRNO(v->renameat2(AT_FDCWD, "c", AT_FDCWD, "e",
	            RENAME_NOREPLACE | RENAME_EXCHANGE),
	    EINVAL);
	T_ERRNO(v->renameat2(AT_FDCWD, "c", AT_FDCWD, "e", 0x80000), EINVAL);
}

VFS_CASE(
    rename_exchange, "renameat2 RENAME_EXCHANGE swaps files and directories")
{
	struct stat a, b, p1, p2;

	puts_(v, "a", "a");
	puts_(v, "b", "b");
	a = st_of(v, "a");
	b = st_of(v, "b");
	T_OK(v->renameat2(AT_FDCWD, "a", AT_FDCWD, "b", RENAME_EXCHANGE));
	T_EQ(st_of(v, "a").st_ino, b.st_ino);
	T_EQ(st_of(v, "b").st_ino, a.st_ino);
	expect_content(v, "a", "b");
	expect_content(v, "b", "a");
	T_ERRNO(v->renameat2(AT_FDCWD, "a", AT_FDCWD, "none", RENAME_EXCHANGE),
	    ENOENT);
	/* Directory and file in different parents. */
	T_OK(v->mkdir("p1", 0755));
	T_OK(v->mkdir("p2", 0755));
	T_OK(v->mkdir("p1/d", 0755));
	puts_(v, "p1/d/in", "x");
	puts_(v, "p2/f", "f");
	p1 = st_of(v, "p1");
	p2 = st_of(v, "p2");
	T_OK(v->renameat2(AT_FDCWD, "p1/d", AT_FDCWD, "p2/f", RENAME_EXCHANGE));
	T_ASSERT(S_ISDIR(st_of(v, "p2/f").st_mode));
	T_ASSERT(S_ISREG(st_of(v, "p1/d").st_mode));
	T_ASSERT(exists(v, "p2/f/in"));
	T_EQ(st_of(v, "p2/f/..").st_ino, p2.st_ino);
	if (t->vt_caps & VFS_DIRNLINK) {
		T_EQ(st_of(v, "p1").st_nlink, p1.st_nlink - 1);
		T_EQ(st_of(v, "p2").st_nlink, p2.st_nlink + 1);
	}
	/* Two directories. */
	T_OK(v->mkdir("p1/e", 0755));
	puts_(v, "p1/e/mark", "e");
	T_OK(v->renameat2(AT_FDCWD, "p1/e", AT_FDCWD, "p2/f", RENAME_EXCHANGE));
	T_ASSERT(exists(v, "p1/e/in"));
	T_ASSERT(exists(v, "p2/f/mark"));
	T_EQ(st_of(v, "p1/e/..").st_ino, p1.st_ino);
	T_EQ(st_of(v, "p2/f/..").st_ino, p2.st_ino);
	/* A directory with its own descendant is still EINVAL. */
	T_OK(v->mkdir("p1/e/deep", 0755));
	T_ERRNO(v->renameat2(
	            AT_FDCWD, "p1/e", AT_FDCWD, "p1/e/deep", RENAME_EXCHANGE),
	    EINVAL);
}

VFS_CASE(rename_cross_dir, "renames across directories move files and subtrees")
{
	struct stat a, d;
	char buf[8];

	T_OK(v->mkdir("x", 0755));
	T_OK(v->mkdir("y", 0755));
	puts_(v, "x/f", "x");
	a = st_of(v, "x/f");
	T_OK(v->rename("x/f", "y/g"));
	T_EQ(st_of(v, "y/g").st_ino, a.st_ino);
	T_OK(v->mkdir("x/t", 0755));
	T_OK(v->mkdir("x/t/u", 0755));
	puts_(v, "x/t/u/leaf", "leaf");
	T_OK(v->rename("x/t", "y/t2"));
	d = st_of(v, "y");
	T_EQ(st_of(v, "y/t2/..").st_ino, d.st_ino);
	T_EQ(get(v, "y/t2/u/../u/leaf", buf, sizeof(buf)), 4);
	T_ASSERT(!exists(v, "x/t"));
	T_OK(v->rename("y", "x/y"));
	T_EQ(st_of(v, "x/y/t2/u/../../..").st_ino, st_of(v, "x").st_ino);
	T_ERRNO(v->rename("x", "x/y/t2/u/z"), EINVAL);
}

/* --------------------------------------------------------------- links */

VFS_CASE(link_basic, "hard links share the inode and count in st_nlink")
{
	struct stat a, b;

	vfs_need(t, VFS_HARDLINKS);
	puts_(v, "f", "data");
	set_old(v, "f");
	T_OK(v->link("f", "g"));
	a = st_of(v, "f");
	b = st_of(v, "g");
	T_EQ(a.st_ino, b.st_ino);
	T_EQ(a.st_nlink, 2);
	expect_recent(v, a.st_ctim, "ctime after link");
	T_OK(v->mkdir("d", 0755));
	T_OK(v->link("g", "d/h"));
	T_EQ(st_of(v, "f").st_nlink, 3);
	T_OK(v->unlink("f"));
	T_EQ(st_of(v, "g").st_nlink, 2);
	expect_content(v, "d/h", "data");
	puts_(v, "d/h", "more");
	expect_content(v, "g", "more");
	T_OK(v->unlink("g"));
	T_EQ(st_of(v, "d/h").st_nlink, 1);
}

VFS_CASE(link_errors, "link to a directory is EPERM; onto a name EEXIST")
{
	struct stat st;

	vfs_need(t, VFS_HARDLINKS);
	T_OK(v->mkdir("d", 0755));
	puts_(v, "f", "x");
	puts_(v, "g", "x");
	T_ERRNO(v->link("d", "d2"), EPERM);
	T_ERRNO(v->link("f", "g"), EEXIST);
	T_ERRNO(v->link("f", "d"), EEXIST);
	T_ERRNO(v->link("none", "n2"), ENOENT);
	T_ERRNO(v->link("f", "none/x"), ENOENT);
	if (t->vt_caps & VFS_SYMLINKS) {
		/* link() does not follow; linkat AT_SYMLINK_FOLLOW does. */
		T_OK(v->symlink("f", "s"));
		T_OK(v->link("s", "hs"));
		T_ASSERT(S_ISLNK(lst_of(v, "hs").st_mode));
		T_EQ(lst_of(v, "s").st_nlink, 2);
		T_OK(v->linkat(
		    AT_FDCWD, "s", AT_FDCWD, "hf", AT_SYMLINK_FOLLOW));
		st = lst_of(v, "hf");
		T_ASSERT(S_ISREG(st.st_mode));
		T_EQ(st.st_ino, st_of(v, "f").st_ino);
	}
}

VFS_CASE(
    symlink_basic, "symlink and readlink; lstat sees the link, stat the target")
{
	char buf[64];
	struct stat st;

	vfs_need(t, VFS_SYMLINKS);
	puts_(v, "f", "data");
	T_OK(v->symlink("f", "s"));
	st = lst_of(v, "s");
	T_ASSERT(S_ISLNK(st.st_mode));
	T_EQ(st.st_size, 1);
	st = st_of(v, "s");
	T_ASSERT(S_ISREG(st.st_mode));
	T_EQ(st.st_ino, st_of(v, "f").st_ino);
	memset(buf, 'X', sizeof(buf));
	T_EQ(v->readlink("s", buf, sizeof(buf)), 1);
	T_EQ(buf[0], 'f');
	T_EQ(buf[1], 'X'); /* no NUL is written */
	T_OK(v->symlink("some/longer/../target", "s2"));
	T_EQ(v->readlink("s2", buf, 4), 4); /* truncated */
	T_ASSERT(memcmp(buf, "some", 4) == 0);
	T_EQ(lst_of(v, "s2").st_size, strlen("some/longer/../target"));
	T_ERRNO(v->readlink("f", buf, sizeof(buf)), EINVAL);
	T_ERRNO(v->readlink("none", buf, sizeof(buf)), ENOENT);
	T_ERRNO(v->symlink("x", "f"), EEXIST);
	expect_content(v, "s", "data");
	T_OK(v->unlink("s"));
	T_ASSERT(exists(v, "f"));
}

VFS_CASE(symlink_dangling, "a dangling symlink: lstat works, stat is ENOENT")
{
	struct stat st;
	char buf[16];

	vfs_need(t, VFS_SYMLINKS);
	T_OK(v->symlink("none", "s"));
	T_ERRNO(v->stat("s", &st), ENOENT);
	T_OK(v->lstat("s", &st));
	T_ERRNO(v->open("s", O_RDONLY, 0), ENOENT);
	T_EQ(v->readlink("s", buf, sizeof(buf)), 4);
	T_OK(v->rename("s", "s2"));
	T_OK(v->unlink("s2"));
}

VFS_CASE(symlink_dir_path, "a symlink to a directory is followed inside paths")
{
	struct stat st;

	vfs_need(t, VFS_SYMLINKS);
	T_OK(v->mkdir("d", 0755));
	puts_(v, "d/f", "x");
	T_OK(v->symlink("d", "s"));
	T_OK(v->symlink("../d", "d/up"));
	T_EQ(st_of(v, "s/f").st_ino, st_of(v, "d/f").st_ino);
	T_EQ(st_of(v, "d/up/up/up/f").st_ino, st_of(v, "d/f").st_ino);
	st = lst_of(v, "s/"); /* a trailing slash follows */
	T_ASSERT(S_ISDIR(st.st_mode));
	T_ASSERT(S_ISLNK(lst_of(v, "s").st_mode));
	puts_(v, "s/g", "y");
	T_ASSERT(exists(v, "d/g"));
	T_OK(v->chdir("s"));
	T_ASSERT(exists(v, "g"));
	T_OK(v->chdir(vfs_dir));
	T_OK(v->symlink(vfs_dir, "abs"));
	T_EQ(st_of(v, "abs/d/f").st_ino, st_of(v, "d/f").st_ino);
	T_ERRNO(v->rmdir("s"), ENOTDIR);
}

VFS_CASE(
    symlink_nofollow, "O_NOFOLLOW on a symlink is ELOOP; O_PATH opens the link")
{
	struct stat st;
	int fd;

	vfs_need(t, VFS_SYMLINKS);
	puts_(v, "f", "x");
	T_OK(v->symlink("f", "s"));
	T_ERRNO(v->open("s", O_RDONLY | O_NOFOLLOW, 0), ELOOP);
	T_ERRNO(v->open("s", O_RDWR | O_CREAT | O_NOFOLLOW, 0644), ELOOP);
	T_OK(fd = v->open("s", O_PATH | O_NOFOLLOW, 0));
	st = fst_of(v, fd);
	T_ASSERT(S_ISLNK(st.st_mode));
	T_OK(v->close(fd));
	T_OK(fd = v->open("f", O_RDONLY | O_NOFOLLOW, 0));
	T_OK(v->close(fd));
	/* Only the last component is exempt from following. */
	T_OK(v->mkdir("d", 0755));
	puts_(v, "d/g", "x");
	T_OK(v->symlink("d", "sd"));
	T_OK(fd = v->open("sd/g", O_RDONLY | O_NOFOLLOW, 0));
	T_OK(v->close(fd));
	T_OK(v->fstatat(AT_FDCWD, "s", &st, AT_SYMLINK_NOFOLLOW));
	T_ASSERT(S_ISLNK(st.st_mode));
}

VFS_CASE(symlink_lengths,
    "an empty symlink target is ENOENT; 4095 bytes (or the fs's limit) work")
{
	size_t max = t->vt_symlink_max ? t->vt_symlink_max : 4095;
	char *target, *buf;
	struct stat st;

	vfs_need(t, VFS_SYMLINKS);
	T_ERRNO(v->symlink("", "s"), ENOENT);
	T_ASSERT(!exists(v, "s"));
	target = malloc(4097);
	buf = malloc(4097);
	T_ASSERT(target != NULL && buf != NULL && max <= 4095);
	for (size_t i = 0; i < max; i++)
		target[i] = (i % 8 == 7) ? '/' : 'a' + i % 26;
	target[max] = '\0';
	T_OK(v->symlink(target, "long"));
	T_EQ(lst_of(v, "long").st_size, max);
	T_EQ(v->readlink("long", buf, 4097), max);
	T_ASSERT(memcmp(buf, target, max) == 0);
	T_ERRNO(v->stat("long", &st), ENOENT);
	strcat(target, "b");
	T_ERRNO(v->symlink(target, "long2"), ENAMETOOLONG);
	free(target);
	free(buf);
}

/* ------------------------------------------- large directories, names */

#define NMANY 2500

struct many {
	unsigned char m_seen[NMANY];
	uint64_t m_ino[NMANY];
	int m_dots, m_sub, m_lnk;
};

static void
many_entry(const struct vfs_dirent64 *d, void *arg)
{
	struct many *m = arg;
	int i;
	char c;

	if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0) {
		T_EQ(d->d_type, DT_DIR);
		m->m_dots++;
		return;
	}
	if (strcmp(d->d_name, "sub") == 0) {
		T_EQ(d->d_type, DT_DIR);
		m->m_sub++;
		return;
	}
	if (strcmp(d->d_name, "lnk") == 0) {
		T_EQ(d->d_type, DT_LNK);
		m->m_lnk++;
		return;
	}
	if (sscanf(d->d_name, "f%d%c", &i, &c) != 1 || i < 0 || i >= NMANY)
		T_FAIL("unexpected entry \"%s\"", d->d_name);
	T_EQ(d->d_type, DT_REG);
	T_ASSERT(d->d_ino != 0);
	m->m_seen[i]++;
	m->m_ino[i] = d->d_ino;
}

static void
many_check(const struct vfs_api *v, struct many *m, int lnk)
{
	char name[32];

	T_EQ(m->m_dots, 2);
	T_EQ(m->m_sub, 1);
	T_EQ(m->m_lnk, lnk);
	for (int i = 0; i < NMANY; i++)
		if (m->m_seen[i] != 1)
			T_FAIL("f%04d listed %d times", i, m->m_seen[i]);
	for (int i = 0; i < NMANY; i += 97) {
		snprintf(name, sizeof(name), "f%04d", i);
		T_EQ(st_of(v, name).st_ino, m->m_ino[i]);
	}
	memset(m, 0, sizeof(*m));
}

VFS_CASE(dir_many_files,
    "2,500 files in one directory: each listed once with d_type, removed")
{
	static struct many m;
	char name[32];
	int fd, n;

	for (int i = 0; i < NMANY; i++) {
		snprintf(name, sizeof(name), "f%04d", i);
		T_OK(fd = v->open(name, O_WRONLY | O_CREAT | O_EXCL, 0644));
		T_OK(v->close(fd));
	}
	T_OK(v->mkdir("sub", 0755));
	n = (t->vt_caps & VFS_SYMLINKS) ? 1 : 0;
	if (n)
		T_OK(v->symlink("f0000", "lnk"));
	T_EQ(list_dir(v, ".", 65536, many_entry, &m), NMANY + 3 + n);
	many_check(v, &m, n);
	/* Small buffers: a few entries per call. */
	T_EQ(list_dir(v, ".", 128, many_entry, &m), NMANY + 3 + n);
	many_check(v, &m, n);
	for (int i = 0; i < NMANY; i += 2) {
		snprintf(name, sizeof(name), "f%04d", i);
		T_OK(v->unlink(name));
	}
	for (int i = 1; i < NMANY; i += 2) {
		snprintf(name, sizeof(name), "f%04d", i);
		T_ASSERT(exists(v, name));
		T_OK(v->unlink(name));
	}
	T_OK(v->rmdir("sub"));
	if (n)
		T_OK(v->unlink("lnk"));
	T_EQ(list_dir(v, ".", 4096, NULL, NULL), 2);
}

VFS_CASE(dir_rewind, "getdents64 after lseek(0) lists again; bad buffers fail")
{
	char buf[4096] __attribute__((aligned(8)));
	char name[32];
	ssize_t n, total = 0, again = 0;
	int fd, ffd;

	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "file-%03d", i);
		puts_(v, name, "");
	}
	T_OK(fd = v->open(".", O_RDONLY | O_DIRECTORY, 0));
	T_OK(n = v->getdents64(fd, buf, 256));
	T_ASSERT(n > 0);
	T_EQ(v->lseek(fd, 0, SEEK_SET), 0);
	while ((n = v->getdents64(fd, buf, sizeof(buf))) > 0)
		total += n;
	T_OK(n);
	T_EQ(v->lseek(fd, 0, SEEK_SET), 0);
	while ((n = v->getdents64(fd, buf, sizeof(buf))) > 0)
		again += n;
	T_EQ(again, total);
	T_EQ(v->lseek(fd, 0, SEEK_SET), 0);
	T_ERRNO(v->getdents64(fd, buf, 10), EINVAL);
	T_OK(v->close(fd));
	T_OK(ffd = v->open("file-000", O_RDONLY, 0));
	T_ERRNO(v->getdents64(ffd, buf, sizeof(buf)), ENOTDIR);
	T_OK(v->close(ffd));
	T_ERRNO(v->getdents64(ffd, buf, sizeof(buf)), EBADF);
	T_EQ(list_dir(v, ".", 4096, NULL, NULL), 102);
}

struct onebyte {
	int ob_seen[256];
	int ob_other;
};

static void
onebyte_entry(const struct vfs_dirent64 *d, void *arg)
{
	struct onebyte *ob = arg;

	if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
		return;
	if (strlen(d->d_name) == 1)
		ob->ob_seen[(unsigned char)d->d_name[0]]++;
	else
		ob->ob_other++;
}

VFS_CASE(names_one_byte, "every one-byte name: create, stat, list, unlink")
{
	static struct onebyte ob;
	char name[2] = {0, 0};
	struct stat st;
	int fd, made = 0;

	T_OK(v->stat(".", &st));
	T_EQ(st.st_ino, st_of(v, vfs_dir).st_ino);
	for (int c = 1; c < 256; c++) {
		if (c == '/' || c == '.')
			continue;
		name[0] = (char)c;
		fd = v->open(name, O_RDWR | O_CREAT | O_EXCL, 0644);
		if (fd == -1 && !(t->vt_caps & VFS_ANYNAME) &&
		    (errno == EINVAL || errno == EILSEQ))
			continue;
		if (fd == -1)
			T_FAIL("create name byte %#x: %s", c, strerror(errno));
		T_EQ(v->write(fd, name, 1), 1);
		T_OK(v->close(fd));
		st = lst_of(v, name);
		T_ASSERT(S_ISREG(st.st_mode));
		T_EQ(st.st_size, 1);
		made++;
		if (t->vt_caps & VFS_CASEFOLD) {
			T_OK(v->unlink(name));
			T_ASSERT(!exists(v, name));
		}
	}
	if (t->vt_caps & VFS_CASEFOLD)
		return;
	if (t->vt_caps & VFS_ANYNAME)
		T_EQ(made, 253);
	list_dir(v, ".", 4096, onebyte_entry, &ob);
	T_EQ(ob.ob_other, 0);
	for (int c = 1; c < 256; c++) {
		if (c == '/' || c == '.')
			continue;
		name[0] = (char)c;
		if (!(t->vt_caps & VFS_ANYNAME) && !exists(v, name))
			continue;
		T_EQ(ob.ob_seen[c], 1);
		T_OK(v->unlink(name));
		T_ERRNO(v->lstat(name, &st), ENOENT);
	}
	T_EQ(list_dir(v, ".", 4096, NULL, NULL), 2);
}

struct findname {
	const char *fn_name;
	int fn_found;
};

static void
find_entry(const struct vfs_dirent64 *d, void *arg)
{
	struct findname *fn = arg;

	if (strcmp(d->d_name, fn->fn_name) == 0)
		fn->fn_found++;
}

VFS_CASE(
    name_max, "names of the longest length work; one byte more is ENAMETOOLONG")
{
	size_t max = t->vt_name_max;
	char *a = malloc(max + 2), *b = malloc(max + 2), *c = malloc(max + 2);
	struct findname fn;
	struct stat st;

	T_ASSERT(a != NULL && b != NULL && c != NULL);
	memset(a, 'a', max);
	a[max] = '\0';
	memset(b, 'b', max);
	b[max] = '\0';
	memset(c, 'c', max + 1);
	c[max + 1] = '\0';
	puts_(v, a, "x");
	T_OK(v->stat(a, &st));
	fn.fn_name = a;
	fn.fn_found = 0;
	list_dir(v, ".", 4096, find_entry, &fn);
	T_EQ(fn.fn_found, 1);
	T_OK(v->rename(a, b));
	T_OK(v->mkdir(a, 0755));
	T_ERRNO(v->open(c, O_RDWR | O_CREAT, 0644), ENAMETOOLONG);
	T_ERRNO(v->stat(c, &st), ENAMETOOLONG);
	T_ERRNO(v->mkdir(c, 0755), ENAMETOOLONG);
	T_ERRNO(v->rename(b, c), ENAMETOOLONG);
	T_ERRNO(v->unlink(c), ENAMETOOLONG);
	if (t->vt_caps & VFS_HARDLINKS)
		T_ERRNO(v->link(b, c), ENAMETOOLONG);
	if (t->vt_caps & VFS_SYMLINKS) {
		T_ERRNO(v->symlink("x", c), ENAMETOOLONG);
		T_OK(v->unlink(b));
		T_OK(v->symlink("x", b));
	}
	T_OK(v->unlink(b));
	T_OK(v->rmdir(a));
	free(a);
	free(b);
	free(c);
}

VFS_CASE(name_case, "names are case-sensitive, or fold case where the fs does")
{
	struct stat st;

	puts_(v, "Foo", "upper");
	if (t->vt_caps & VFS_CASEFOLD) {
		T_EQ(st_of(v, "FOO").st_ino, st_of(v, "Foo").st_ino);
		T_ERRNO(
		    v->open("foo", O_RDWR | O_CREAT | O_EXCL, 0644), EEXIST);
		return;
	}
	T_ERRNO(v->stat("FOO", &st), ENOENT);
	T_ERRNO(v->stat("foo", &st), ENOENT);
	puts_(v, "foo", "lower");
	T_ASSERT(st_of(v, "foo").st_ino != st_of(v, "Foo").st_ino);
	expect_content(v, "Foo", "upper");
	expect_content(v, "foo", "lower");
}

/* ----------------------------------------------------------------- I/O */

static int
all_bytes(const unsigned char *p, size_t n, unsigned char c)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != c)
			return 0;
	return 1;
}

VFS_CASE(io_sparse, "a write at 1 MiB leaves a hole that reads as zeros")
{
	static unsigned char buf[65536];
	off_t data, hole;
	struct stat st;
	int fd;

	T_OK(fd = v->open("sparse", O_RDWR | O_CREAT, 0644));
	T_EQ(v->pwrite(fd, "x", 1, MiB), 1);
	st = fst_of(v, fd);
	T_EQ(st.st_size, MiB + 1);
	for (off_t off = 0; off < MiB; off += sizeof(buf)) {
		memset(buf, 0xff, sizeof(buf));
		T_EQ(v->pread(fd, buf, sizeof(buf), off), sizeof(buf));
		if (!all_bytes(buf, sizeof(buf), 0))
			T_FAIL("hole at %lld does not read as zeros",
			    (long long)off);
	}
	T_EQ(v->pread(fd, buf, 10, MiB), 1);
	T_EQ(buf[0], 'x');
	T_OK(data = v->lseek(fd, 0, SEEK_DATA));
	T_OK(hole = v->lseek(fd, 0, SEEK_HOLE));
	if (t->vt_caps & VFS_SPARSE) {
		T_EQ(data, MiB);
		T_EQ(hole, 0);
		T_EQ(v->lseek(fd, MiB, SEEK_HOLE), MiB + 1);
		T_ASSERT(st.st_blocks * 512 < 256 * 1024);
	} else {
		T_ASSERT(data >= 0 && data <= MiB);
		T_ASSERT(hole >= 0 && hole <= MiB + 1);
	}
	T_ERRNO(v->lseek(fd, MiB + 1, SEEK_DATA), ENXIO);
	T_ERRNO(v->lseek(fd, MiB + 5, SEEK_HOLE), ENXIO);
	/* Filling the middle of the hole. */
	T_EQ(v->pwrite(fd, "mid", 3, MiB / 2), 3);
	T_EQ(v->pread(fd, buf, 5, MiB / 2 - 1), 5);
	T_ASSERT(memcmp(buf, "\0mid\0", 5) == 0);
	T_EQ(fst_of(v, fd).st_size, MiB + 1);
	T_OK(v->close(fd));
}

VFS_CASE(
    io_extend, "writes and ftruncate extend a file; the gap reads as zeros")
{
	char buf[16384];
	int fd;

	T_OK(fd = v->open("f", O_RDWR | O_CREAT, 0644));
	for (int i = 0; i < 10; i++) {
		memset(buf, 'a' + i, 1000);
		T_EQ(v->write(fd, buf, 1000), 1000);
		T_EQ(fst_of(v, fd).st_size, 1000 * (i + 1));
	}
	T_OK(v->ftruncate(fd, 20000));
	T_EQ(fst_of(v, fd).st_size, 20000);
	T_EQ(v->pread(fd, buf, 10000, 10000), 10000);
	T_ASSERT(all_bytes((unsigned char *)buf, 10000, 0));
	T_EQ(v->pread(fd, buf, 1000, 9000), 1000);
	T_ASSERT(all_bytes((unsigned char *)buf, 1000, 'j'));
	T_EQ(v->lseek(fd, 30000, SEEK_SET), 30000);
	T_EQ(v->write(fd, "end", 3), 3);
	T_EQ(fst_of(v, fd).st_size, 30003);
	T_EQ(v->pread(fd, buf, 10003, 20000), 10003);
	T_ASSERT(all_bytes((unsigned char *)buf, 10000, 0));
	T_ASSERT(memcmp(buf + 10000, "end", 3) == 0);
	T_OK(v->close(fd));
}

VFS_CASE(io_shrink, "truncate shrinks; re-extending reads zeros past the cut")
{
	static unsigned char buf[3 * 4096 + 100];
	int fd;

	memset(buf, 0xaa, sizeof(buf));
	put(v, "f", buf, sizeof(buf), 0644);
	T_OK(v->truncate("f", 100));
	T_EQ(st_of(v, "f").st_size, 100);
	T_OK(fd = v->open("f", O_RDWR, 0));
	T_OK(v->ftruncate(fd, sizeof(buf)));
	memset(buf, 0x55, sizeof(buf));
	T_EQ(v->pread(fd, buf, sizeof(buf), 0), sizeof(buf));
	T_ASSERT(all_bytes(buf, 100, 0xaa));
	if (!all_bytes(buf + 100, sizeof(buf) - 100, 0))
		T_FAIL("stale data past the truncation point");
	/* Shrink to inside a page, extend by writing past the end. */
	T_OK(v->ftruncate(fd, 5000));
	T_EQ(v->pwrite(fd, "z", 1, 9000), 1);
	T_EQ(v->pread(fd, buf, 4001, 5000), 4001);
	T_ASSERT(all_bytes(buf, 4000, 0));
	T_EQ(buf[4000], 'z');
	T_OK(v->ftruncate(fd, 0));
	T_EQ(v->read(fd, buf, 10), 0);
	T_EQ(fst_of(v, fd).st_size, 0);
	T_OK(v->close(fd));
}

VFS_CASE(io_append, "O_APPEND writes at the end, even after lseek")
{
	char buf[64];
	int fd, fd2;

	puts_(v, "f", "abc");
	T_OK(fd = v->open("f", O_RDWR | O_APPEND, 0));
	T_OK(fd2 = v->open("f", O_RDWR, 0));
	T_EQ(v->lseek(fd, 0, SEEK_SET), 0);
	T_EQ(v->write(fd, "def", 3), 3);
	T_EQ(v->lseek(fd, 0, SEEK_CUR), 6);
	T_EQ(v->pwrite(fd2, "XYZW", 4, 6), 4); /* another writer extends */
	T_EQ(v->lseek(fd, 1, SEEK_SET), 1);
	T_EQ(v->write(fd, "g", 1), 1);
	T_EQ(v->lseek(fd, 0, SEEK_CUR), 11);
	T_EQ(v->pread(fd, buf, sizeof(buf), 0), 11);
	T_ASSERT(memcmp(buf, "abcdefXYZWg", 11) == 0);
	T_EQ(v->fcntl(fd, F_GETFL, 0) & O_APPEND, O_APPEND);
	T_OK(v->close(fd));
	T_OK(v->close(fd2));
}

VFS_CASE(io_otrunc, "O_TRUNC empties an existing file and keeps its inode")
{
	char buf[16];
	struct stat a;
	int fd;

	puts_(v, "f", "some data");
	a = st_of(v, "f");
	T_OK(fd = v->open("f", O_RDWR | O_TRUNC, 0));
	T_EQ(fst_of(v, fd).st_size, 0);
	T_EQ(fst_of(v, fd).st_ino, a.st_ino);
	T_EQ(v->read(fd, buf, sizeof(buf)), 0);
	T_EQ(v->write(fd, "new", 3), 3);
	T_OK(v->close(fd));
	expect_content(v, "f", "new");
	T_OK(fd = v->open("f", O_WRONLY | O_CREAT | O_TRUNC, 0600));
	T_OK(v->close(fd));
	T_EQ(st_of(v, "f").st_size, 0);
	if (t->vt_caps & VFS_PERMS)
		T_EQ(st_of(v, "f").st_mode & 0777, 0644); /* mode kept */
}

VFS_CASE(
    io_overwrite, "overwriting 512 B and 64 KiB blocks in the middle of a file")
{
	static unsigned char model[384 * 1024], buf[384 * 1024];
	const size_t size = 256 * 1024;
	const struct {
		off_t off;
		size_t len;
	} w[] = {{1000, 512}, {70000, 65536}, {65536, 65536}, {size - 512, 512},
	    {size - 100, 65536}, {0, 1}, {4095, 2}};
	int fd;

	for (size_t i = 0; i < size; i++)
		model[i] = (unsigned char)(i * 7 + i / 251);
	put(v, "f", model, size, 0644);
	T_OK(fd = v->open("f", O_RDWR, 0));
	for (size_t k = 0; k < sizeof(w) / sizeof(w[0]); k++) {
		for (size_t i = 0; i < w[k].len; i++)
			buf[i] = (unsigned char)(k * 31 + i);
		T_EQ(v->pwrite(fd, buf, w[k].len, w[k].off), w[k].len);
		memcpy(model + w[k].off, buf, w[k].len);
	}
	T_EQ(fst_of(v, fd).st_size, size - 100 + 65536);
	T_OK(v->close(fd));
	T_EQ(get(v, "f", buf, sizeof(buf)), size - 100 + 65536);
	for (size_t i = 0; i < size - 100 + 65536; i++)
		if (buf[i] != model[i])
			T_FAIL("byte %zu is %#x, expected %#x", i, buf[i],
			    model[i]);
}

VFS_CASE(
    io_unlinked, "an unlinked file stays readable and writable through its fd")
{
	char buf[32];
	int fd, fd2;

	puts_(v, "f", "hello");
	T_OK(fd = v->open("f", O_RDWR, 0));
	T_OK(fd2 = v->open("f", O_RDONLY, 0));
	T_OK(v->unlink("f"));
	T_ASSERT(!exists(v, "f"));
	T_EQ(fst_of(v, fd).st_nlink, 0);
	T_EQ(v->read(fd, buf, 5), 5);
	T_ASSERT(memcmp(buf, "hello", 5) == 0);
	T_EQ(v->write(fd, " world", 6), 6);
	T_EQ(v->pread(fd2, buf, sizeof(buf), 0), 11);
	T_ASSERT(memcmp(buf, "hello world", 11) == 0);
	T_OK(v->ftruncate(fd, 3));
	T_EQ(fst_of(v, fd2).st_size, 3);
	T_OK(v->close(fd));
	T_EQ(v->read(fd2, buf, sizeof(buf)), 3);
	T_OK(v->close(fd2));
	puts_(v, "f", "again"); /* the name is free for a new file */
	expect_content(v, "f", "again");
}

VFS_CASE(io_pread_pwrite, "pread and pwrite leave the file offset alone")
{
	char buf[16];
	int fd;

	T_OK(fd = v->open("f", O_RDWR | O_CREAT, 0644));
	T_EQ(v->write(fd, "0123456789", 10), 10);
	T_EQ(v->lseek(fd, 2, SEEK_SET), 2);
	T_EQ(v->pread(fd, buf, 3, 5), 3);
	T_ASSERT(memcmp(buf, "567", 3) == 0);
	T_EQ(v->pwrite(fd, "ab", 2, 8), 2);
	T_EQ(v->lseek(fd, 0, SEEK_CUR), 2);
	T_EQ(v->read(fd, buf, 2), 2);
	T_ASSERT(memcmp(buf, "23", 2) == 0);
	T_EQ(v->pread(fd, buf, sizeof(buf), 8), 2);
	T_ASSERT(memcmp(buf, "ab", 2) == 0);
	T_EQ(v->pread(fd, buf, sizeof(buf), 10), 0);
	T_EQ(v->pread(fd, buf, sizeof(buf), 1000), 0);
	T_ERRNO(v->pread(fd, buf, 1, -1), EINVAL);
	T_ERRNO(v->pwrite(fd, buf, 1, -1), EINVAL);
	T_OK(v->close(fd));
}

VFS_CASE(io_lseek,
    "lseek: SEEK_SET/CUR/END, beyond EOF, negative EINVAL, pipes ESPIPE")
{
	char buf[16];
	int fd, p[2];

	T_OK(fd = v->open("f", O_RDWR | O_CREAT, 0644));
	T_EQ(v->write(fd, "0123456789", 10), 10);
	T_EQ(v->lseek(fd, 0, SEEK_END), 10);
	T_EQ(v->lseek(fd, -3, SEEK_END), 7);
	T_EQ(v->read(fd, buf, 5), 3);
	T_EQ(v->lseek(fd, -2, SEEK_CUR), 8);
	T_EQ(v->lseek(fd, 100, SEEK_END), 110);
	T_EQ(v->read(fd, buf, 5), 0);
	T_EQ(fst_of(v, fd).st_size, 10);
	T_EQ(v->write(fd, "x", 1), 1);
	T_EQ(fst_of(v, fd).st_size, 111);
	T_EQ(v->pread(fd, buf, 2, 10), 2);
	T_EQ(buf[0], 0);
	T_ERRNO(v->lseek(fd, -1, SEEK_SET), EINVAL);
	T_ERRNO(v->lseek(fd, -1000, SEEK_END), EINVAL);
	T_ERRNO(v->lseek(fd, 0, 99), EINVAL);
	T_EQ(v->lseek(fd, 0, SEEK_CUR), 111);
	T_OK(v->close(fd));
	T_ERRNO(v->lseek(fd, 0, SEEK_SET), EBADF);
	T_OK(v->pipe2(p, 0));
	T_ERRNO(v->lseek(p[0], 0, SEEK_SET), ESPIPE);
	T_OK(v->close(p[0]));
	T_OK(v->close(p[1]));
}

VFS_CASE(io_directory, "writing a directory is EISDIR, reading its fd EISDIR")
{
	char buf[16];
	int fd;

	T_OK(v->mkdir("d", 0755));
	T_ERRNO(v->open("d", O_WRONLY, 0), EISDIR);
	T_ERRNO(v->open("d", O_RDWR, 0), EISDIR);
	T_ERRNO(v->open("d", O_WRONLY | O_CREAT, 0644), EISDIR);
	T_ERRNO(v->open(".", O_RDWR | O_CREAT, 0644), EISDIR);
	T_OK(fd = v->open("d", O_RDONLY, 0));
	T_ERRNO(v->read(fd, buf, sizeof(buf)), EISDIR);
	T_ERRNO(v->pread(fd, buf, sizeof(buf), 0), EISDIR);
	T_ERRNO(v->write(fd, buf, 1), EBADF);
	T_OK(v->close(fd));
	T_ERRNO(v->truncate("d", 0), EISDIR);
}

VFS_CASE(
    io_access_mode, "reads need a readable fd, writes a writable one (EBADF)")
{
	char buf[8];
	int fd;

	puts_(v, "f", "data");
	T_OK(fd = v->open("f", O_RDONLY, 0));
	T_ERRNO(v->write(fd, "x", 1), EBADF);
	T_ERRNO(v->pwrite(fd, "x", 1, 0), EBADF);
	T_ERRNO(v->ftruncate(fd, 0), EINVAL);
	T_OK(v->close(fd));
	T_OK(fd = v->open("f", O_WRONLY, 0));
	T_ERRNO(v->read(fd, buf, 1), EBADF);
	T_ERRNO(v->pread(fd, buf, 1, 0), EBADF);
	T_OK(v->close(fd));
	T_ERRNO(v->read(fd, buf, 1), EBADF);
	T_ERRNO(v->close(fd), EBADF);
	T_ERRNO(v->truncate("f", -1), EINVAL);
	T_ERRNO(v->truncate("none", 0), ENOENT);
	expect_content(v, "f", "data");
}

VFS_CASE(io_large, "a 4 MiB file written in 64 KiB chunks reads back intact")
{
	static uint32_t buf[16384];
	int fd;

	T_OK(fd = v->open("big", O_RDWR | O_CREAT, 0644));
	for (uint32_t k = 0; k < 64; k++) {
		for (uint32_t i = 0; i < 16384; i++)
			buf[i] = k * 16384 + i;
		T_EQ(v->write(fd, buf, sizeof(buf)), sizeof(buf));
	}
	T_OK(v->fsync(fd));
	T_EQ(fst_of(v, fd).st_size, 4 * MiB);
	T_EQ(v->lseek(fd, 0, SEEK_SET), 0);
	for (uint32_t k = 0; k < 64; k++) {
		T_EQ(v->read(fd, buf, sizeof(buf)), sizeof(buf));
		for (uint32_t i = 0; i < 16384; i++)
			if (buf[i] != k * 16384 + i)
				T_FAIL(
				    "word %u of chunk %u is %u", i, k, buf[i]);
	}
	T_EQ(v->read(fd, buf, sizeof(buf)), 0);
	T_OK(v->close(fd));
}

VFS_CASE(io_offset_limits,
    "writes whose end overflows off_t are EINVAL, past the size limit EFBIG")
{
	off_t max = t->vt_max_file_size;
	int fd;

	T_OK(fd = v->open("f", O_RDWR | O_CREAT, 0644));
	T_ERRNO(v->pwrite(fd, "x", 1, LLONG_MAX), EINVAL);
	T_ERRNO(v->pwrite(fd, "xy", 2, LLONG_MAX - 1), EINVAL);
	T_ERRNO(v->ftruncate(fd, -1), EINVAL);
	if (max > 0) {
		T_ERRNO(v->pwrite(fd, "x", 1, max), EFBIG);
		T_OK(v->ftruncate(fd, max));
		T_ERRNO(v->ftruncate(fd, max + 1), EFBIG);
	}
	T_EQ(fst_of(v, fd).st_size, max > 0 ? max : 0);
	T_OK(v->close(fd));
}

/* ---------------------------------------------------------- open flags */

VFS_CASE(open_excl, "O_CREAT|O_EXCL on an existing name is EEXIST")
{
	int fd;

	T_OK(fd = v->open("f", O_RDWR | O_CREAT | O_EXCL, 0644));
	T_OK(v->close(fd));
	T_ERRNO(v->open("f", O_RDWR | O_CREAT | O_EXCL, 0644), EEXIST);
	T_OK(v->mkdir("d", 0755));
	T_ERRNO(v->open("d", O_RDONLY | O_CREAT | O_EXCL, 0644), EEXIST);
	if (t->vt_caps & VFS_SYMLINKS) {
		T_OK(v->symlink("f", "s"));
		T_ERRNO(v->open("s", O_RDWR | O_CREAT | O_EXCL, 0644), EEXIST);
	}
	T_OK(fd = v->open("f", O_RDWR | O_CREAT, 0600)); /* plain O_CREAT */
	T_OK(v->close(fd));
	T_ERRNO(v->open("none", O_RDWR, 0), ENOENT);
}

VFS_CASE(
    open_directory, "O_DIRECTORY on a file is ENOTDIR, on a directory works")
{
	int fd;

	puts_(v, "f", "x");
	T_OK(v->mkdir("d", 0755));
	T_ERRNO(v->open("f", O_RDONLY | O_DIRECTORY, 0), ENOTDIR);
	T_OK(fd = v->open("d", O_RDONLY | O_DIRECTORY, 0));
	T_OK(v->close(fd));
	if (t->vt_caps & VFS_SYMLINKS) {
		T_OK(v->symlink("d", "sd"));
		T_OK(v->symlink("f", "sf"));
		T_OK(fd = v->open("sd", O_RDONLY | O_DIRECTORY, 0));
		T_OK(v->close(fd));
		T_ERRNO(v->open("sf", O_RDONLY | O_DIRECTORY, 0), ENOTDIR);
	}
}

VFS_CASE(open_creat_dangling,
    "O_CREAT through a dangling symlink creates its target")
{
	int fd;

	vfs_need(t, VFS_SYMLINKS);
	T_OK(v->symlink("target", "s"));
	T_ERRNO(v->open("s", O_RDWR | O_CREAT | O_EXCL, 0644), EEXIST);
	T_OK(fd = v->open("s", O_RDWR | O_CREAT, 0644));
	T_EQ(v->write(fd, "via", 3), 3);
	T_OK(v->close(fd));
	expect_content(v, "target", "via");
	T_ASSERT(S_ISLNK(lst_of(v, "s").st_mode));
	T_OK(v->symlink("nodir/target", "s2"));
	T_ERRNO(v->open("s2", O_RDWR | O_CREAT, 0644), ENOENT);
}

VFS_CASE(
    open_path, "O_PATH descriptors: fstat and *at work, read and write EBADF")
{
	struct stat st;
	char buf[8];
	int fd, dfd, fd2;

	puts_(v, "f", "data");
	T_OK(v->mkdir("d", 0755));
	puts_(v, "d/g", "g");
	T_OK(fd = v->open("f", O_PATH, 0));
	st = fst_of(v, fd);
	T_ASSERT(S_ISREG(st.st_mode));
	T_EQ(st.st_size, 4);
	T_ERRNO(v->read(fd, buf, sizeof(buf)), EBADF);
	T_ERRNO(v->write(fd, "x", 1), EBADF);
	T_ERRNO(v->fchmod(fd, 0600), EBADF);
	T_EQ(v->fcntl(fd, F_GETFL, 0) & O_PATH, O_PATH);
	T_OK(v->close(fd));
	T_OK(dfd = v->open("d", O_PATH | O_DIRECTORY, 0));
	T_OK(fd2 = v->openat(dfd, "g", O_RDONLY, 0));
	T_EQ(v->read(fd2, buf, sizeof(buf)), 1);
	T_OK(v->close(fd2));
	T_ERRNO(v->getdents64(dfd, buf, sizeof(buf)), EBADF);
	T_OK(v->fchdir(dfd));
	T_ASSERT(exists(v, "g"));
	T_OK(v->close(dfd));
}

VFS_CASE(open_tmpfile, "O_TMPFILE makes an unnamed file that linkat can name")
{
	struct stat st;
	int fd;

	vfs_need(t, VFS_TMPFILE);
	T_OK(fd = v->open(".", O_TMPFILE | O_RDWR, 0600));
	st = fst_of(v, fd);
	T_ASSERT(S_ISREG(st.st_mode));
	T_EQ(st.st_nlink, 0);
	T_EQ(list_dir(v, ".", 4096, NULL, NULL), 2);
	T_EQ(v->write(fd, "tmp", 3), 3);
	T_OK(v->linkat(fd, "", AT_FDCWD, "named", AT_EMPTY_PATH));
	T_EQ(fst_of(v, fd).st_nlink, 1);
	expect_content(v, "named", "tmp");
	T_OK(v->close(fd));
	T_OK(fd = v->open(".", O_TMPFILE | O_RDWR | O_EXCL, 0600));
	T_ERRNO(v->linkat(fd, "", AT_FDCWD, "other", AT_EMPTY_PATH), ENOENT);
	T_OK(v->close(fd));
	puts_(v, "f", "x");
	T_ERRNO(v->open("f", O_TMPFILE | O_RDWR, 0600), ENOTDIR);
	T_ERRNO(v->open(".", O_TMPFILE | O_RDONLY, 0600), EINVAL);
}

VFS_CASE(open_cloexec, "O_CLOEXEC shows in F_GETFD; fcntl flags and dup")
{
	int fd, fd2, fl;

	puts_(v, "f", "x");
	T_OK(fd = v->open("f", O_RDONLY | O_CLOEXEC, 0));
	T_EQ(v->fcntl(fd, F_GETFD, 0), FD_CLOEXEC);
	T_OK(fd2 = v->dup(fd));
	T_EQ(v->fcntl(fd2, F_GETFD, 0), 0);
	T_OK(v->fcntl(fd2, F_SETFD, FD_CLOEXEC));
	T_EQ(v->fcntl(fd2, F_GETFD, 0), FD_CLOEXEC);
	T_OK(v->close(fd2));
	T_OK(fd2 = v->fcntl(fd, F_DUPFD_CLOEXEC, 20));
	T_ASSERT(fd2 >= 20);
	T_EQ(v->fcntl(fd2, F_GETFD, 0), FD_CLOEXEC);
	T_OK(v->close(fd2));
	T_OK(v->close(fd));
	T_OK(fd = v->open("f", O_RDWR, 0));
	T_EQ(v->fcntl(fd, F_GETFD, 0), 0);
	T_OK(fl = v->fcntl(fd, F_GETFL, 0));
	T_EQ(fl & O_ACCMODE, O_RDWR);
	T_EQ(fl & O_APPEND, 0);
	T_OK(v->fcntl(fd, F_SETFL, fl | O_APPEND));
	T_EQ(v->fcntl(fd, F_GETFL, 0) & O_APPEND, O_APPEND);
	T_EQ(v->write(fd, "y", 1), 1);
	T_OK(v->close(fd));
	expect_content(v, "f", "xy");
}

VFS_CASE(
    dup_offset, "dup'd descriptors share the offset, separate opens do not")
{
	char c;
	int a, b, c2;

	puts_(v, "f", "0123456789");
	T_OK(a = v->open("f", O_RDONLY, 0));
	T_OK(b = v->dup(a));
	T_OK(c2 = v->open("f", O_RDONLY, 0));
	T_EQ(v->read(a, &c, 1), 1);
	T_EQ(v->read(b, &c, 1), 1);
	T_EQ(c, '1');
	T_EQ(v->read(c2, &c, 1), 1);
	T_EQ(c, '0');
	T_EQ(v->lseek(b, 0, SEEK_CUR), 2);
	T_EQ(v->dup2(c2, b), b);
	T_EQ(v->lseek(b, 0, SEEK_CUR), 1);
	T_EQ(v->lseek(a, 0, SEEK_CUR), 2);
	T_OK(v->close(a));
	T_OK(v->close(b));
	T_OK(v->close(c2));
}

VFS_CASE(openat_family, "the *at calls resolve relative paths from their dirfd")
{
	struct stat st;
	char buf[8];
	int dfd, fd, ffd;

	T_OK(v->mkdir("d", 0755));
	T_OK(dfd = v->open("d", O_RDONLY | O_DIRECTORY, 0));
	T_OK(fd = v->openat(dfd, "f", O_RDWR | O_CREAT, 0644));
	T_EQ(v->write(fd, "at", 2), 2);
	T_OK(v->close(fd));
	expect_content(v, "d/f", "at");
	T_OK(v->fstatat(dfd, "f", &st, 0));
	T_EQ(st.st_ino, st_of(v, "d/f").st_ino);
	T_OK(v->mkdirat(dfd, "sub", 0755));
	T_ASSERT(S_ISDIR(st_of(v, "d/sub").st_mode));
	T_OK(v->renameat2(dfd, "f", dfd, "sub/g", 0));
	T_ASSERT(exists(v, "d/sub/g"));
	T_OK(v->renameat2(dfd, "sub/g", AT_FDCWD, "top", 0));
	T_ASSERT(exists(v, "top"));
	T_OK(fd = v->openat(AT_FDCWD, "top", O_RDONLY, 0));
	T_EQ(v->read(fd, buf, sizeof(buf)), 2);
	T_OK(ffd = v->openat(dfd, vfs_dir, O_RDONLY | O_DIRECTORY, 0));
	T_OK(v->close(ffd)); /* an absolute path ignores dirfd */
	T_ERRNO(v->openat(fd, "x", O_RDONLY, 0), ENOTDIR);
	T_ERRNO(v->fstatat(fd, "x", &st, 0), ENOTDIR);
	T_OK(v->close(fd));
	T_ERRNO(v->openat(fd, "x", O_RDONLY, 0), EBADF);
	T_ERRNO(v->mkdirat(fd, "x", 0755), EBADF);
	T_ERRNO(v->unlinkat(dfd, "sub", 0), EISDIR);
	T_OK(v->unlinkat(dfd, "sub", AT_REMOVEDIR));
	T_ERRNO(v->fstatat(dfd, "x", &st, 0x12345), EINVAL);
	if (t->vt_caps & VFS_HARDLINKS) {
		T_OK(v->linkat(AT_FDCWD, "top", dfd, "h", 0));
		T_EQ(st_of(v, "d/h").st_ino, st_of(v, "top").st_ino);
	}
	T_OK(v->close(dfd));
}

/* -------------------------------------------------- stat and timestamps */

VFS_CASE(stat_fields, "stat reports type, mode, links, owner, size and device")
{
	struct stat st, dot;

	dot = st_of(v, ".");
	T_ASSERT(S_ISDIR(dot.st_mode));
	put(v, "f", "hello", 5, 0640);
	st = st_of(v, "f");
	T_EQ(st.st_mode & S_IFMT, S_IFREG);
	if (t->vt_caps & VFS_PERMS) {
		T_EQ(st.st_mode & 07777, 0640);
		T_EQ(st.st_uid, v->geteuid());
		T_EQ(st.st_gid, v->getegid());
	}
	T_EQ(st.st_nlink, 1);
	T_EQ(st.st_size, 5);
	T_ASSERT(st.st_blksize > 0);
	T_EQ(st.st_dev, dot.st_dev);
	T_ASSERT(st.st_ino != dot.st_ino);
	T_OK(v->mkdir("d", 0710));
	st = st_of(v, "d");
	T_EQ(st.st_mode & S_IFMT, S_IFDIR);
	if (t->vt_caps & VFS_PERMS)
		T_EQ(st.st_mode & 07777, 0710);
	if (t->vt_caps & VFS_SYMLINKS) {
		T_OK(v->symlink("four", "s"));
		st = lst_of(v, "s");
		T_EQ(st.st_mode & S_IFMT, S_IFLNK);
		T_EQ(st.st_size, 4);
	}
	if (t->vt_caps & VFS_SPECIALS) {
		T_OK(v->mknod("p", S_IFIFO | 0600, 0));
		st = st_of(v, "p");
		T_EQ(st.st_mode & S_IFMT, S_IFIFO);
		T_EQ(st.st_size, 0);
	}
	T_ERRNO(v->stat("none", &st), ENOENT);
	T_ERRNO(v->fstat(-1, &st), EBADF);
}

VFS_CASE(stat_blocks, "st_blocks starts at 0 and grows with the data written")
{
	static char buf[65536];
	struct stat a, b, c;
	int fd;

	T_OK(fd = v->open("f", O_RDWR | O_CREAT, 0644));
	a = fst_of(v, fd);
	T_EQ(a.st_blocks, 0);
	memset(buf, 'b', sizeof(buf));
	T_EQ(v->write(fd, buf, sizeof(buf)), sizeof(buf));
	T_OK(v->fsync(fd));
	b = fst_of(v, fd);
	T_ASSERT(b.st_blocks * 512 >= 65536);
	for (int i = 0; i < 15; i++)
		T_EQ(v->write(fd, buf, sizeof(buf)), sizeof(buf));
	T_OK(v->fsync(fd));
	c = fst_of(v, fd);
	T_ASSERT(c.st_blocks * 512 >= MiB);
	T_ASSERT(c.st_blocks > b.st_blocks);
	T_OK(v->ftruncate(fd, 0));
	T_EQ(fst_of(v, fd).st_blocks, 0);
	T_OK(v->close(fd));
}

struct inofind {
	const char *if_name;
	uint64_t if_ino;
};

static void
ino_entry(const struct vfs_dirent64 *d, void *arg)
{
	struct inofind *f = arg;

	if (strcmp(d->d_name, f->if_name) == 0)
		f->if_ino = d->d_ino;
}

VFS_CASE(stat_ino, "st_ino is stable across stat, fstat, rename and reopen")
{
	struct inofind f = {"g", 0};
	struct stat a, b;
	int fd;

	puts_(v, "f", "x");
	puts_(v, "other", "y");
	a = st_of(v, "f");
	T_ASSERT(a.st_ino != st_of(v, "other").st_ino);
	T_OK(fd = v->open("f", O_RDONLY, 0));
	T_EQ(fst_of(v, fd).st_ino, a.st_ino);
	T_EQ(lst_of(v, "f").st_ino, a.st_ino);
	T_OK(v->rename("f", "g"));
	b = st_of(v, "g");
	T_EQ(b.st_ino, a.st_ino);
	T_EQ(b.st_dev, a.st_dev);
	T_EQ(fst_of(v, fd).st_ino, a.st_ino);
	T_OK(v->close(fd));
	T_OK(fd = v->open("g", O_RDONLY, 0));
	T_EQ(fst_of(v, fd).st_ino, a.st_ino);
	T_OK(v->close(fd));
	list_dir(v, ".", 4096, ino_entry, &f);
	T_EQ(f.if_ino, a.st_ino);
}

VFS_CASE(
    mtime_write, "a write updates mtime and ctime, not atime (t_mtime_write)")
{
	struct stat st;
	int fd;

	puts_(v, "f", "x");
	set_old(v, "f");
	T_OK(fd = v->open("f", O_WRONLY, 0));
	st = fst_of(v, fd);
	T_EQ(st.st_mtim.tv_sec, OLD_TIME);
	T_EQ(v->write(fd, "y", 1), 1);
	st = fst_of(v, fd);
	expect_recent(v, st.st_mtim, "mtime after write");
	expect_recent(v, st.st_ctim, "ctime after write");
	T_EQ(st.st_atim.tv_sec, OLD_TIME);
	/* pwrite too. */
	set_old(v, "f");
	T_EQ(v->pwrite(fd, "z", 1, 100), 1);
	expect_recent(v, fst_of(v, fd).st_mtim, "mtime after pwrite");
	T_OK(v->close(fd));
	/* And a rewrite through O_TRUNC and write. */
	set_old(v, "f");
	put(v, "f", "abc", 3, 0644);
	expect_recent(v, st_of(v, "f").st_mtim, "mtime after rewrite");
}

VFS_CASE(
    mtime_otrunc, "open with O_TRUNC updates mtime and ctime (t_mtime_otrunc)")
{
	struct stat st;
	int fd;

	puts_(v, "f", "data");
	set_old(v, "f");
	T_OK(fd = v->open("f", O_WRONLY | O_TRUNC, 0));
	st = fst_of(v, fd);
	T_EQ(st.st_size, 0);
	expect_recent(v, st.st_mtim, "mtime after O_TRUNC");
	expect_recent(v, st.st_ctim, "ctime after O_TRUNC");
	T_OK(v->close(fd));
	/* Also when the file was already empty. */
	set_old(v, "f");
	T_OK(fd = v->open("f", O_RDWR | O_TRUNC, 0));
	expect_recent(v, fst_of(v, fd).st_mtim, "mtime after O_TRUNC of empty");
	T_OK(v->close(fd));
}

VFS_CASE(mtime_truncate, "truncate and ftruncate update mtime and ctime")
{
	struct stat st;
	int fd;

	puts_(v, "f", "data");
	set_old(v, "f");
	T_OK(v->truncate("f", 2));
	st = st_of(v, "f");
	expect_recent(v, st.st_mtim, "mtime after truncate");
	expect_recent(v, st.st_ctim, "ctime after truncate");
	set_old(v, "f");
	T_OK(fd = v->open("f", O_WRONLY, 0));
	T_OK(v->ftruncate(fd, 5000));
	expect_recent(v, fst_of(v, fd).st_mtim, "mtime after ftruncate");
	T_OK(v->close(fd));
}

VFS_CASE(dir_times,
    "creating, removing and renaming entries update the directory's times")
{
	struct stat st;

	T_OK(v->mkdir("d", 0755));
	T_OK(v->mkdir("e", 0755));
	set_old(v, "d");
	puts_(v, "d/f", "x");
	st = st_of(v, "d");
	expect_recent(v, st.st_mtim, "dir mtime after create");
	expect_recent(v, st.st_ctim, "dir ctime after create");
	set_old(v, "d");
	T_OK(v->mkdir("d/sub", 0755));
	expect_recent(v, st_of(v, "d").st_mtim, "dir mtime after mkdir");
	set_old(v, "d");
	set_old(v, "e");
	T_OK(v->rename("d/f", "e/f"));
	expect_recent(
	    v, st_of(v, "d").st_mtim, "source dir mtime after rename");
	expect_recent(
	    v, st_of(v, "e").st_mtim, "target dir mtime after rename");
	set_old(v, "e");
	T_OK(v->unlink("e/f"));
	expect_recent(v, st_of(v, "e").st_mtim, "dir mtime after unlink");
	set_old(v, "d");
	T_OK(v->rmdir("d/sub"));
	expect_recent(v, st_of(v, "d").st_mtim, "dir mtime after rmdir");
	/* Reading a directory changes neither. */
	set_old(v, "d");
	list_dir(v, "d", 4096, NULL, NULL);
	T_EQ(st_of(v, "d").st_mtim.tv_sec, OLD_TIME);
}

VFS_CASE(ctime_meta, "chmod, chown and link update ctime but not mtime")
{
	struct stat st;

	puts_(v, "f", "x");
	set_old(v, "f");
	/* utimensat itself set ctime; only mtime can be made old. */
	if (t->vt_caps & VFS_PERMS) {
		msleep(20);
		st = st_of(v, "f");
		T_OK(v->chmod("f", 0600));
		struct stat st2 = st_of(v, "f");
		T_ASSERT(st2.st_ctim.tv_sec > st.st_ctim.tv_sec ||
		    (st2.st_ctim.tv_sec == st.st_ctim.tv_sec &&
		        st2.st_ctim.tv_nsec > st.st_ctim.tv_nsec) ||
		    t->vt_time_gran_ns > 10000000);
		T_EQ(st2.st_mtim.tv_sec, OLD_TIME);
		if (t->vt_caps & VFS_ROOT) {
			msleep(20);
			T_OK(v->chown("f", 7, 8));
			struct stat st3 = st_of(v, "f");
			T_ASSERT(st3.st_ctim.tv_sec > st2.st_ctim.tv_sec ||
			    (st3.st_ctim.tv_sec == st2.st_ctim.tv_sec &&
			        st3.st_ctim.tv_nsec > st2.st_ctim.tv_nsec) ||
			    t->vt_time_gran_ns > 10000000);
			T_EQ(st3.st_mtim.tv_sec, OLD_TIME);
		}
	}
	if (t->vt_caps & VFS_HARDLINKS) {
		st = st_of(v, "f");
		msleep(20);
		T_OK(v->link("f", "g"));
		struct stat st4 = st_of(v, "f");
		T_ASSERT(st4.st_ctim.tv_sec > st.st_ctim.tv_sec ||
		    (st4.st_ctim.tv_sec == st.st_ctim.tv_sec &&
		        st4.st_ctim.tv_nsec > st.st_ctim.tv_nsec) ||
		    t->vt_time_gran_ns > 10000000);
		T_EQ(st4.st_mtim.tv_sec, OLD_TIME);
	}
	expect_recent(v, st_of(v, "f").st_ctim, "ctime");
}

VFS_CASE(utimensat_rules,
    "utimensat: explicit nanoseconds, UTIME_NOW, UTIME_OMIT, NULL")
{
	struct timespec ts[2];
	struct stat st;
	long gran = t->vt_time_gran_ns > 0 ? t->vt_time_gran_ns : 1;
	long long sec = 1234567891, nsec = 123456789;
	int fd;

	puts_(v, "f", "x");
	ts[0].tv_sec = 1111111111;
	ts[0].tv_nsec = 5;
	ts[1].tv_sec = sec;
	ts[1].tv_nsec = nsec;
	T_OK(v->utimensat(AT_FDCWD, "f", ts, 0));
	st = st_of(v, "f");
	if (gran < 1000000000) {
		T_EQ(st.st_mtim.tv_sec, sec);
		T_EQ(st.st_mtim.tv_nsec, nsec - nsec % gran);
	} else {
		T_EQ(st.st_mtim.tv_sec, sec - sec % (gran / 1000000000));
	}
	/* UTIME_OMIT keeps one, UTIME_NOW sets the other to now. */
	ts[0].tv_nsec = UTIME_NOW;
	ts[1].tv_nsec = UTIME_OMIT;
	T_OK(v->utimensat(AT_FDCWD, "f", ts, 0));
	st = st_of(v, "f");
	expect_recent(v, st.st_atim, "atime after UTIME_NOW");
	T_EQ(st.st_mtim.tv_sec, gran < 1000000000 ? sec : st.st_mtim.tv_sec);
	/* Both omitted: a valid call that changes neither. */
	ts[0].tv_nsec = UTIME_OMIT;
	ts[1].tv_nsec = UTIME_OMIT;
	T_OK(v->utimensat(AT_FDCWD, "f", ts, 0));
	T_EQ(st_of(v, "f").st_mtim.tv_sec, st.st_mtim.tv_sec);
	/* NULL: both now. */
	set_old(v, "f");
	T_OK(v->utimensat(AT_FDCWD, "f", NULL, 0));
	st = st_of(v, "f");
	expect_recent(v, st.st_atim, "atime after NULL times");
	expect_recent(v, st.st_mtim, "mtime after NULL times");
	expect_recent(v, st.st_ctim, "ctime after utimensat");
	/* Through a descriptor. */
	ts[0].tv_sec = ts[1].tv_sec = 1500000000;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	T_OK(fd = v->open("f", O_RDONLY, 0));
	T_OK(v->futimens(fd, ts));
	T_EQ(fst_of(v, fd).st_mtim.tv_sec, 1500000000);
	T_OK(v->close(fd));
	ts[1].tv_nsec = 1000000000;
	T_ERRNO(v->utimensat(AT_FDCWD, "f", ts, 0), EINVAL);
	T_ERRNO(v->utimensat(AT_FDCWD, "none", NULL, 0), ENOENT);
	if (t->vt_caps & VFS_SYMLINKS) {
		T_OK(v->symlink("f", "s"));
		set_old(v, "s"); /* AT_SYMLINK_NOFOLLOW: the link itself */
		T_EQ(lst_of(v, "s").st_mtim.tv_sec, OLD_TIME);
		T_EQ(st_of(v, "f").st_mtim.tv_sec, 1500000000);
	}
}

VFS_CASE(
    atime_read, "a read updates an atime older than mtime (relatime at least)")
{
	struct timespec ts[2] = {{OLD_TIME, 0}, {OLD_TIME + 1000, 0}};
	struct stat st;
	char buf[8];

	puts_(v, "f", "data");
	T_OK(v->utimensat(AT_FDCWD, "f", ts, 0));
	T_EQ(get(v, "f", buf, sizeof(buf)), 4);
	st = st_of(v, "f");
	T_EQ(st.st_mtim.tv_sec, OLD_TIME + 1000);
	if (t->vt_caps & VFS_NOATIME)
		T_EQ(st.st_atim.tv_sec, OLD_TIME);
	else
		expect_recent(v, st.st_atim, "atime after read");
}

/* --------------------------------------------------------- permissions */

#define VA (vfs_target->vt_api)

static void
child_open_others(void *arg)
{
	const struct vfs_api *v = VA;
	struct stat st;
	int fd;

	(void)arg;
	T_EQ(v->geteuid(), 1);
	T_ERRNO(v->open("secret", O_RDONLY, 0), EACCES);
	T_ERRNO(v->open("secret", O_WRONLY, 0), EACCES);
	T_OK(v->stat("secret", &st)); /* the directory is searchable */
	T_OK(fd = v->open("public", O_RDONLY, 0));
	T_OK(v->close(fd));
	T_ERRNO(v->open("public", O_WRONLY, 0), EACCES);
	T_ERRNO(v->open("public", O_RDWR, 0), EACCES);
	T_ERRNO(v->open("public", O_WRONLY | O_TRUNC, 0), EACCES);
	T_ERRNO(v->truncate("public", 0), EACCES);
	T_OK(fd = v->open("all", O_RDWR, 0));
	T_EQ(v->write(fd, "w", 1), 1);
	T_OK(v->close(fd));
	T_OK(v->truncate("all", 0));
}

VFS_CASE(perm_open_others,
    "as uid 1: opening root's 0600 file is EACCES, 0644 read-only")
{
	vfs_need(t, VFS_PERMS | VFS_ROOT);
	put(v, "secret", "s", 1, 0600);
	put(v, "public", "p", 1, 0644);
	put(v, "all", "a", 1, 0666);
	as_user(t, 1, 1, child_open_others, NULL);
	expect_content(v, "public", "p");
	T_EQ(st_of(v, "all").st_size, 0);
}

static void
child_create_denied(void *arg)
{
	const struct vfs_api *v = VA;
	int fd;

	(void)arg;
	T_ERRNO(v->open("rd/new", O_RDWR | O_CREAT, 0644), EACCES);
	T_ERRNO(v->mkdir("rd/sub", 0755), EACCES);
	T_ERRNO(v->unlink("rd/f"), EACCES);
	T_ERRNO(v->rename("rd/f", "rd/g"), EACCES);
	T_ERRNO(v->rename("rd/f", "wd/g"), EACCES);
	T_ERRNO(v->rmdir("rd/e"), EACCES);
	if (vfs_target->vt_caps & VFS_SYMLINKS)
		T_ERRNO(v->symlink("x", "rd/s"), EACCES);
	if (vfs_target->vt_caps & VFS_SPECIALS)
		T_ERRNO(v->mknod("rd/p", S_IFIFO | 0644, 0), EACCES);
	T_ERRNO(v->open("new", O_RDWR | O_CREAT, 0644), EACCES);
	T_OK(fd = v->open("wd/new", O_RDWR | O_CREAT, 0644));
	T_OK(v->close(fd));
	T_OK(v->mkdir("wd/sub", 0755));
	T_OK(v->rename("wd/new", "wd/sub/new"));
}

VFS_CASE(perm_create_dir,
    "as uid 1: no entries made or removed in root's 0755 directory")
{
	struct stat st;

	vfs_need(t, VFS_PERMS | VFS_ROOT);
	T_OK(v->mkdir("rd", 0755));
	T_OK(v->mkdir("rd/e", 0755));
	T_OK(v->mkdir("wd", 0777));
	puts_(v, "rd/f", "x");
	as_user(t, 1, 1, child_create_denied, NULL);
	T_ASSERT(exists(v, "rd/f"));
	T_ASSERT(!exists(v, "rd/new"));
	st = st_of(v, "wd/sub/new");
	T_EQ(st.st_uid, 1);
	T_EQ(st.st_gid, 1);
}

static void
child_search(void *arg)
{
	const struct vfs_api *v = VA;
	struct stat st;
	char buf[4];
	int fd;

	(void)arg;
	T_ERRNO(v->stat("nx/f", &st), EACCES);
	T_ERRNO(v->open("nx/f", O_RDONLY, 0), EACCES);
	T_ERRNO(v->chdir("nx"), EACCES);
	T_OK(fd = v->open("nx", O_RDONLY | O_DIRECTORY, 0)); /* r, no x */
	T_OK(v->close(fd));
	T_OK(v->stat("xo/f", &st));
	T_ERRNO(v->open("xo", O_RDONLY | O_DIRECTORY, 0), EACCES);
	T_EQ(get(v, "xo/f", buf, sizeof(buf)), 1);
	T_OK(v->chdir("xo"));
	T_OK(v->stat("f", &st));
	T_OK(v->chdir(".."));
	T_ERRNO(v->access("nx/f", F_OK), EACCES);
}

VFS_CASE(perm_search, "as uid 1: a directory without x cannot be searched")
{
	vfs_need(t, VFS_PERMS | VFS_ROOT);
	T_OK(v->mkdir("nx", 0776));
	puts_(v, "nx/f", "x");
	T_OK(v->mkdir("xo", 0711));
	puts_(v, "xo/f", "x");
	as_user(t, 1, 1, child_search, NULL);
}

static void
child_chmod_chown(void *arg)
{
	const struct vfs_api *v = VA;
	struct stat st;
	int fd;

	(void)arg;
	T_ERRNO(v->chmod("rf", 0666), EPERM);
	T_ERRNO(v->chown("rf", 1, 1), EPERM);
	T_ERRNO(v->chown("rf", (uid_t)-1, 1), EPERM);
	T_OK(fd = v->open("rf", O_RDONLY, 0));
	T_ERRNO(v->fchmod(fd, 0666), EPERM);
	T_ERRNO(v->fchown(fd, 1, 1), EPERM);
	T_OK(v->close(fd));
	put(v, "w/own", "o", 1, 0644);
	T_OK(v->chmod("w/own", 0600));
	T_EQ(st_of(v, "w/own").st_mode & 07777, 0600);
	T_ERRNO(v->chown("w/own", 2, (gid_t)-1), EPERM);
	T_ERRNO(v->chown("w/own", (uid_t)-1, 5), EPERM);
	T_OK(v->chown("w/own", 1, 1));
	T_OK(v->chown("w/own", (uid_t)-1, (gid_t)-1));
	st = st_of(v, "w/own");
	T_EQ(st.st_uid, 1);
	T_EQ(st.st_gid, 1);
}

VFS_CASE(
    perm_chmod_chown, "as uid 1: chmod and chown of others' files are EPERM")
{
	struct stat st;

	vfs_need(t, VFS_PERMS | VFS_ROOT);
	puts_(v, "rf", "x");
	T_OK(v->mkdir("w", 0777));
	as_user(t, 1, 1, child_chmod_chown, NULL);
	T_EQ(st_of(v, "rf").st_mode & 07777, 0644);
	T_OK(v->chown("w/own", 3, 4));
	st = st_of(v, "w/own");
	T_EQ(st.st_uid, 3);
	T_EQ(st.st_gid, 4);
	/* chown of a regular file drops set-user-ID, even for root. */
	T_OK(v->chmod("w/own", 04755));
	T_EQ(st_of(v, "w/own").st_mode & 07777, 04755);
	T_OK(v->chown("w/own", 5, 5));
	T_EQ(st_of(v, "w/own").st_mode & 07777, 0755);
}

static void
child_sticky_owner(void *arg)
{
	const struct vfs_api *v = VA;

	if (arg == NULL) { /* first pass: make files */
		puts_(v, "st/a", "a");
		puts_(v, "st/a2", "a2");
		T_OK(v->mkdir("st/ad", 0755));
		return;
	}
	/* third pass: the owner removes its own, not others' */
	T_ERRNO(v->unlink("st/c"), EPERM);
	T_ERRNO(v->rename("st/a2", "st/c"), EPERM);
	T_OK(v->unlink("st/a"));
	T_OK(v->unlink("st/a2"));
	T_OK(v->rmdir("st/ad"));
}

static void
child_sticky_other(void *arg)
{
	const struct vfs_api *v = VA;

	(void)arg;
	T_ERRNO(v->unlink("st/a"), EPERM);
	T_ERRNO(v->rename("st/a", "st/b"), EPERM);
	T_ERRNO(v->rmdir("st/ad"), EPERM);
	puts_(v, "st/c", "c");
}

VFS_CASE(perm_sticky,
    "in a sticky directory only the owner removes or renames a file")
{
	vfs_need(t, VFS_PERMS | VFS_ROOT);
	T_OK(v->mkdir("st", 01777));
	T_EQ(st_of(v, "st").st_mode & 07777, 01777);
	as_user(t, 1, 1, child_sticky_owner, NULL);
	as_user(t, 2, 2, child_sticky_other, NULL);
	as_user(t, 1, 1, child_sticky_owner, (void *)1);
	T_OK(v->unlink("st/c")); /* root may */
	T_EQ(list_dir(v, "st", 4096, NULL, NULL), 2);
}

static void
child_setgid(void *arg)
{
	const struct vfs_api *v = VA;

	(void)arg;
	puts_(v, "sg/cf", "x");
	T_EQ(st_of(v, "sg/cf").st_gid, 7);
	T_EQ(st_of(v, "sg/cf").st_uid, 1);
}

VFS_CASE(perm_setgid_dir, "files made in a setgid directory take its group")
{
	struct stat st;

	vfs_need(t, VFS_PERMS | VFS_ROOT);
	T_OK(v->mkdir("sg", 0777));
	T_OK(v->chown("sg", 0, 7));
	T_OK(v->chmod("sg", 02777));
	puts_(v, "sg/f", "x");
	T_EQ(st_of(v, "sg/f").st_gid, 7);
	T_OK(v->mkdir("sg/sub", 0755));
	st = st_of(v, "sg/sub");
	T_EQ(st.st_gid, 7);
	T_EQ(st.st_mode & S_ISGID, S_ISGID);
	puts_(v, "plain", "x");
	T_EQ(st_of(v, "plain").st_gid, v->getegid());
	as_user(t, 1, 1, child_setgid, NULL);
}

VFS_CASE(perm_umask, "the umask masks the modes of new files and directories")
{
	vfs_need(t, VFS_PERMS);
	T_EQ(v->umask(022), 0);
	put(v, "a", "", 0, 0666);
	T_EQ(st_of(v, "a").st_mode & 07777, 0644);
	T_OK(v->mkdir("da", 0777));
	T_EQ(st_of(v, "da").st_mode & 07777, 0755);
	T_EQ(v->umask(077), 022);
	put(v, "b", "", 0, 0666);
	T_EQ(st_of(v, "b").st_mode & 07777, 0600);
	T_OK(v->mkdir("db", 0777));
	T_EQ(st_of(v, "db").st_mode & 07777, 0700);
	if (t->vt_caps & VFS_SPECIALS) {
		T_OK(v->mknod("p", S_IFIFO | 0666, 0));
		T_EQ(st_of(v, "p").st_mode & 07777, 0600);
	}
	if (t->vt_caps & VFS_SYMLINKS) {
		T_OK(v->symlink("a", "s"));
		T_EQ(lst_of(v, "s").st_mode & 0777, 0777);
	}
	/* An existing file keeps its mode when opened with O_CREAT. */
	put(v, "a", "", 0, 0600);
	T_EQ(st_of(v, "a").st_mode & 07777, 0644);
	T_EQ(v->umask(0), 077);
	put(v, "c", "", 0, 0666);
	T_EQ(st_of(v, "c").st_mode & 07777, 0666);
}

static void
child_access(void *arg)
{
	const struct vfs_api *v = VA;

	(void)arg;
	T_OK(v->access("r0", F_OK));
	T_ERRNO(v->access("r0", R_OK), EACCES);
	T_ERRNO(v->access("r640", R_OK), EACCES);
	T_OK(v->access("r644", R_OK));
	T_ERRNO(v->access("r644", W_OK), EACCES);
	T_ERRNO(v->access("r644", R_OK | W_OK), EACCES);
	T_OK(v->access("x755", X_OK));
	T_OK(v->access("x755", R_OK | X_OK));
	T_ERRNO(v->access("x100", X_OK), EACCES);
	T_OK(v->faccessat(AT_FDCWD, "r644", R_OK, AT_EACCESS));
	T_ERRNO(v->faccessat(AT_FDCWD, "r644", W_OK, AT_EACCESS), EACCES);
	put(v, "w/own", "", 0, 0400);
	T_ERRNO(v->access("w/own", W_OK), EACCES); /* owner bits rule */
	T_OK(v->access("w/own", R_OK));
	T_OK(v->access("w", W_OK | X_OK));
}

VFS_CASE(perm_access,
    "access and faccessat check R_OK, W_OK and X_OK as root and uid 1")
{
	vfs_need(t, VFS_PERMS | VFS_ROOT);
	put(v, "r0", "", 0, 0);
	put(v, "r640", "", 0, 0640);
	put(v, "r644", "", 0, 0644);
	put(v, "x100", "", 0, 0100);
	put(v, "x755", "", 0, 0755);
	T_OK(v->mkdir("w", 0777));
	T_OK(v->access("r0", R_OK | W_OK)); /* root reads and writes all */
	T_ERRNO(v->access("r644", X_OK), EACCES); /* but needs an x bit */
	T_OK(v->access("x100", X_OK));
	T_OK(v->access("w", X_OK));
	T_ERRNO(v->access("none", F_OK), ENOENT);
	T_ERRNO(v->access("r644", 0x10), EINVAL);
	as_user(t, 1, 1, child_access, NULL);
}

static void
child_utimes(void *arg)
{
	const struct vfs_api *v = VA;
	struct timespec ts[2] = {{OLD_TIME, 0}, {OLD_TIME, 0}};
	struct timespec now2[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};

	(void)arg;
	T_OK(v->utimensat(AT_FDCWD, "pub", NULL, 0)); /* writable: now */
	T_OK(v->utimensat(AT_FDCWD, "pub", now2, 0));
	T_ERRNO(v->utimensat(AT_FDCWD, "pub", ts, 0), EPERM);
	T_ERRNO(v->utimensat(AT_FDCWD, "ro", NULL, 0), EACCES);
	T_ERRNO(v->utimensat(AT_FDCWD, "ro", ts, 0), EPERM);
	put(v, "w/own", "", 0, 0444);
	T_OK(v->utimensat(AT_FDCWD, "w/own", ts, 0)); /* the owner may */
	T_EQ(st_of(v, "w/own").st_mtim.tv_sec, OLD_TIME);
}

VFS_CASE(perm_utimes,
    "as uid 1: setting times needs ownership, \"now\" write access")
{
	vfs_need(t, VFS_PERMS | VFS_ROOT);
	put(v, "pub", "", 0, 0666);
	put(v, "ro", "", 0, 0644);
	T_OK(v->mkdir("w", 0777));
	set_old(v, "pub");
	as_user(t, 1, 1, child_utimes, NULL);
	expect_recent(v, st_of(v, "pub").st_mtim, "mtime set by uid 1");
}

VFS_CASE(
    chmod_basic, "chmod and fchmod set all twelve mode bits; through symlinks")
{
	int fd;

	vfs_need(t, VFS_PERMS);
	puts_(v, "f", "x");
	T_OK(v->chmod("f", 0));
	T_EQ(st_of(v, "f").st_mode & 07777, 0);
	T_EQ(st_of(v, "f").st_mode & S_IFMT, S_IFREG);
	if (t->vt_caps & VFS_ROOT) {
		T_OK(v->chmod("f", 07777));
		T_EQ(st_of(v, "f").st_mode & 07777, 07777);
	}
	T_OK(v->chmod("f", 0400));
	T_OK(fd = v->open("f", O_RDONLY, 0));
	T_OK(v->fchmod(fd, 0640));
	T_EQ(fst_of(v, fd).st_mode & 07777, 0640);
	T_OK(v->close(fd));
	T_OK(v->mkdir("d", 0755));
	T_OK(v->chmod("d", 01777));
	T_EQ(st_of(v, "d").st_mode, S_IFDIR | 01777);
	if (t->vt_caps & VFS_SYMLINKS) {
		T_OK(v->symlink("f", "s"));
		T_OK(v->chmod("s", 0604));
		T_EQ(st_of(v, "f").st_mode & 07777, 0604);
		T_EQ(lst_of(v, "s").st_mode & 0777, 0777);
	}
	T_ERRNO(v->chmod("none", 0644), ENOENT);
}

VFS_CASE(chown_basic, "chown, fchown and lchown as root; -1 keeps a field")
{
	struct stat st;
	int fd;

	vfs_need(t, VFS_PERMS | VFS_ROOT);
	puts_(v, "f", "x");
	T_OK(v->chown("f", 5, 6));
	st = st_of(v, "f");
	T_EQ(st.st_uid, 5);
	T_EQ(st.st_gid, 6);
	T_OK(v->chown("f", (uid_t)-1, 9));
	st = st_of(v, "f");
	T_EQ(st.st_uid, 5);
	T_EQ(st.st_gid, 9);
	T_OK(fd = v->open("f", O_RDONLY, 0));
	T_OK(v->fchown(fd, 10, (gid_t)-1));
	T_EQ(fst_of(v, fd).st_uid, 10);
	T_EQ(fst_of(v, fd).st_gid, 9);
	T_OK(v->close(fd));
	if (t->vt_caps & VFS_SYMLINKS) {
		T_OK(v->symlink("f", "s"));
		T_OK(v->lchown("s", 11, 12));
		T_EQ(lst_of(v, "s").st_uid, 11);
		T_EQ(st_of(v, "f").st_uid, 10);
		T_OK(v->chown("s", 13, 14));
		T_EQ(st_of(v, "f").st_uid, 13);
		T_EQ(lst_of(v, "s").st_uid, 11);
	}
	T_ERRNO(v->chown("none", 0, 0), ENOENT);
}

/* -------------------------------------------- read-only and full mounts */

VFS_CASE(rdonly_mount,
    "on a read-only mount every change is EROFS, reads work (t_ro)")
{
	struct timespec ts[2] = {{OLD_TIME, 0}, {OLD_TIME, 0}};
	struct statfs sf;
	char buf[8];
	int fd;

	need_mount(t, v);
	T_OK(v->mkdir("mnt", 0755));
	T_OK(v->mount("tmpfs", "mnt", "tmpfs", 0, "size=1m"));
	puts_(v, "mnt/f", "ro data");
	T_OK(v->mkdir("mnt/d", 0755));
	T_OK(v->mount("tmpfs", "mnt", "tmpfs", MS_REMOUNT | MS_RDONLY, NULL));
	T_OK(v->statfs("mnt", &sf));
	T_EQ(sf.f_flags & ST_RDONLY, ST_RDONLY);
	expect_content(v, "mnt/f", "ro data");
	T_OK(fd = v->open("mnt/f", O_RDONLY, 0));
	T_EQ(v->read(fd, buf, sizeof(buf)), 7);
	T_ERRNO(v->fchmod(fd, 0600), EROFS);
	T_OK(v->close(fd));
	T_ERRNO(v->open("mnt/g", O_RDWR | O_CREAT, 0644), EROFS);
	T_ERRNO(v->open("mnt/f", O_WRONLY, 0), EROFS);
	T_ERRNO(v->open("mnt/f", O_RDWR, 0), EROFS);
	T_ERRNO(v->open("mnt/f", O_RDONLY | O_TRUNC, 0), EROFS);
	T_ERRNO(v->unlink("mnt/f"), EROFS);
	T_ERRNO(v->mkdir("mnt/e", 0755), EROFS);
	T_ERRNO(v->rmdir("mnt/d"), EROFS);
	T_ERRNO(v->rename("mnt/f", "mnt/g"), EROFS);
	T_ERRNO(v->symlink("f", "mnt/s"), EROFS);
	T_ERRNO(v->link("mnt/f", "mnt/h"), EROFS);
	T_ERRNO(v->mknod("mnt/p", S_IFIFO | 0644, 0), EROFS);
	T_ERRNO(v->chmod("mnt/f", 0600), EROFS);
	T_ERRNO(v->chown("mnt/f", 1, 1), EROFS);
	T_ERRNO(v->utimensat(AT_FDCWD, "mnt/f", ts, 0), EROFS);
	T_ERRNO(v->truncate("mnt/f", 0), EROFS);
	T_ERRNO(v->access("mnt/f", W_OK), EROFS);
	T_OK(v->access("mnt/f", R_OK));
	T_EQ(list_dir(v, "mnt", 4096, NULL, NULL), 4);
	T_OK(v->mount("tmpfs", "mnt", "tmpfs", MS_REMOUNT, NULL));
	puts_(v, "mnt/g", "rw again");
	T_OK(v->umount2("mnt", 0));
	/* Read-only from the start. */
	T_OK(v->mount("tmpfs", "mnt", "tmpfs", MS_RDONLY, "size=1m"));
	T_ERRNO(v->mkdir("mnt/x", 0755), EROFS);
	T_ERRNO(v->open("mnt/x", O_RDWR | O_CREAT, 0644), EROFS);
	T_OK(v->umount2("mnt", 0));
}

VFS_CASE(full_enospc,
    "writing a full file system is ENOSPC; after unlink it works (t_full)")
{
	static char buf[65536];
	size_t total = 0;
	ssize_t n;
	struct statfs sf;
	int fd;

	need_mount(t, v);
	T_OK(v->mkdir("mnt", 0755));
	T_OK(v->mount("tmpfs", "mnt", "tmpfs", 0, "size=1m"));
	T_OK(v->statfs("mnt", &sf));
	T_ASSERT((uint64_t)sf.f_blocks * sf.f_bsize <= 2 * MiB);
	memset(buf, 'f', sizeof(buf));
	T_OK(fd = v->open("mnt/fill", O_WRONLY | O_CREAT, 0644));
	for (;;) {
		n = v->write(fd, buf, sizeof(buf));
		if (n == -1) {
			T_EQ(errno, ENOSPC);
			break;
		}
		T_ASSERT(n > 0);
		total += (size_t)n;
		T_ASSERT(total <= 2 * MiB);
	}
	T_ASSERT(total >= MiB / 2);
	T_OK(v->close(fd));
	T_ERRNO(v->pwrite(fd = v->open("mnt/fill", O_WRONLY, 0), buf,
	            sizeof(buf), (off_t)total),
	    ENOSPC);
	T_OK(v->close(fd));
	T_EQ(st_of(v, "mnt/fill").st_size, total);
	T_OK(v->statfs("mnt", &sf));
	T_ASSERT(sf.f_bavail * sf.f_bsize < sizeof(buf));
	T_OK(v->unlink("mnt/fill"));
	T_OK(fd = v->open("mnt/again", O_WRONLY | O_CREAT, 0644));
	for (int i = 0; i < 8; i++)
		T_EQ(v->write(fd, buf, sizeof(buf)), sizeof(buf));
	T_OK(v->close(fd));
	T_OK(v->umount2("mnt", 0));
}

/* --------------------------------------------------------------- races */

struct race {
	int r_stop; /* atomic */
	int r_id;
	unsigned long r_ok, r_err;
	int r_bad_errno;
	const char *r_what;
};

static int
race_expected(int e, const int *allowed)
{
	for (; *allowed != 0; allowed++)
		if (e == *allowed)
			return 1;
	return 0;
}

static void
race_count(struct race *r, int rv, const int *allowed, const char *what)
{
	if (rv != -1) {
		r->r_ok++;
		return;
	}
	r->r_err++;
	if (!race_expected(errno, allowed) && r->r_bad_errno == 0) {
		r->r_bad_errno = errno;
		r->r_what = what;
	}
}

static unsigned int
race_rand(unsigned int *seed)
{
	*seed = *seed * 1103515245 + 12345;
	return (*seed >> 16) & 0x7fff;
}

static const int rename_errs[] = {ENOENT, EEXIST, ENOTEMPTY, 0};

static void *
race_renamer(void *arg)
{
	struct race *r = arg;
	const struct vfs_api *v = VA;
	unsigned int seed = (unsigned int)r->r_id * 7919 + 1;
	char a[32], b[32];
	int fd;

	while (!__atomic_load_n(&r->r_stop, __ATOMIC_RELAXED)) {
		unsigned int x = race_rand(&seed) % 8, y = race_rand(&seed) % 8;

		if (r->r_id % 2 == 0) {
			snprintf(a, sizeof(a), "rr/f%u", x);
			snprintf(b, sizeof(b), "rr/f%u", y);
			fd = v->open(a, O_WRONLY | O_CREAT, 0644);
			race_count(r, fd, rename_errs, "create");
			if (fd != -1)
				v->close(fd);
		} else {
			snprintf(a, sizeof(a), "rr/d%u", x);
			snprintf(b, sizeof(b), "rr/d%u", y);
			race_count(r, v->mkdir(a, 0755), rename_errs, "mkdir");
		}
		race_count(r, v->rename(a, b), rename_errs, "rename");
	}
	return NULL;
}

static void *
race_unlinker(void *arg)
{
	struct race *r = arg;
	const struct vfs_api *v = VA;
	unsigned int seed = (unsigned int)r->r_id * 104729 + 3;
	char a[32];
	struct stat st;

	while (!__atomic_load_n(&r->r_stop, __ATOMIC_RELAXED)) {
		unsigned int x = race_rand(&seed) % 8;

		snprintf(a, sizeof(a), "rr/f%u", x);
		race_count(r, v->unlink(a), rename_errs, "unlink");
		snprintf(a, sizeof(a), "rr/d%u", x);
		race_count(r, v->rmdir(a), rename_errs, "rmdir");
		race_count(r, v->stat(a, &st), rename_errs, "stat");
	}
	return NULL;
}

/* Runs n threads of fn1 and n of fn2 for secs seconds; checks errnos. */
static void
race_run(int n, void *(*fn1)(void *), void *(*fn2)(void *), unsigned secs)
{
	pthread_t th[64];
	struct race *r = calloc((size_t)(2 * n), sizeof(*r));
	unsigned long ok = 0, err = 0;

	T_ASSERT(r != NULL && 2 * n <= 64);
	/* A deadlock must fail this case, not wait for the harness. */
	alarm(secs + 30);
	for (int i = 0; i < 2 * n; i++) {
		r[i].r_id = i;
		T_EQ(pthread_create(&th[i], NULL, i < n ? fn1 : fn2, &r[i]), 0);
	}
	msleep(secs * 1000);
	for (int i = 0; i < 2 * n; i++)
		__atomic_store_n(&r[i].r_stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < 2 * n; i++) {
		T_EQ(pthread_join(th[i], NULL), 0);
		if (r[i].r_bad_errno)
			T_FAIL("thread %d: %s gave unexpected %s", i,
			    r[i].r_what, strerror(r[i].r_bad_errno));
		ok += r[i].r_ok;
		err += r[i].r_err;
	}
	fprintf(
	    stderr, "  %lu calls succeeded, %lu failed as expected\n", ok, err);
	T_ASSERT(ok > 100);
	free(r);
}

struct sweep {
	const struct vfs_api *sw_v;
	const char *sw_dir;
};

static void
sweep_entry(const struct vfs_dirent64 *d, void *arg)
{
	struct sweep *sw = arg;
	char path[300];

	if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
		return;
	snprintf(path, sizeof(path), "%s/%s", sw->sw_dir, d->d_name);
	if (d->d_type == DT_DIR)
		T_OK(sw->sw_v->rmdir(path));
	else
		T_OK(sw->sw_v->unlink(path));
}

/* Every entry left in dir is sound and goes away; dir is then empty. */
static void
sweep_dir(const struct vfs_api *v, const char *dir)
{
	struct sweep sw = {v, dir};

	list_dir(v, dir, 4096, sweep_entry, &sw);
	T_EQ(list_dir(v, dir, 4096, NULL, NULL), 2);
	T_OK(v->rmdir(dir));
}

VFS_CASE(race_rename,
    "8+8 threads race create/rename and unlink for 5 s (t_renamerace)")
{
	T_OK(v->mkdir("rr", 0755));
	race_run(8, race_renamer, race_unlinker, 5);
	sweep_dir(v, "rr");
}

static const int rmdir_errs[] = {ENOENT, EEXIST, ENOTEMPTY, 0};

static void *
race_rmdir_maker(void *arg)
{
	struct race *r = arg;
	const struct vfs_api *v = VA;
	int fd;

	while (!__atomic_load_n(&r->r_stop, __ATOMIC_RELAXED)) {
		race_count(r, v->mkdir("x", 0755), rmdir_errs, "mkdir x");
		race_count(r, v->mkdir("x/y", 0755), rmdir_errs, "mkdir x/y");
		fd = v->open("x/y/f", O_WRONLY | O_CREAT, 0644);
		race_count(r, fd, rmdir_errs, "create x/y/f");
		if (fd != -1)
			v->close(fd);
		race_count(r, v->unlink("x/y/f"), rmdir_errs, "unlink");
	}
	return NULL;
}

static void *
race_rmdir_remover(void *arg)
{
	struct race *r = arg;
	const struct vfs_api *v = VA;
	char buf[1024] __attribute__((aligned(8)));
	struct stat st;
	ssize_t n;
	int fd;

	while (!__atomic_load_n(&r->r_stop, __ATOMIC_RELAXED)) {
		race_count(r, v->rmdir("x/y"), rmdir_errs, "rmdir x/y");
		race_count(r, v->rmdir("x"), rmdir_errs, "rmdir x");
		race_count(
		    r, v->stat("x/y/..", &st), rmdir_errs, "stat x/y/..");
		fd = v->open("x", O_RDONLY | O_DIRECTORY, 0);
		race_count(r, fd, rmdir_errs, "open x");
		if (fd != -1) {
			while ((n = v->getdents64(fd, buf, sizeof(buf))) > 0)
				;
			race_count(r, (int)n, rmdir_errs, "getdents64 x");
			v->close(fd);
		}
	}
	return NULL;
}

VFS_CASE(race_rmdir,
    "threads race mkdir/rmdir/lookup of nested directories (t_rmdirrace)")
{
	race_run(4, race_rmdir_maker, race_rmdir_remover, 2);
	v->unlink("x/y/f");
	v->rmdir("x/y");
	v->rmdir("x");
	T_EQ(list_dir(v, ".", 4096, NULL, NULL), 2);
}

/* -------------------------------------------------------- record locks */

struct lockshare {
	int ls_state;
	int ls_released;
	pid_t ls_pid;
	int ls_fd;
};

static int
ls_get(int *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

static void
ls_set(int *p, int x)
{
	__atomic_store_n(p, x, __ATOMIC_SEQ_CST);
}

/* Waits until the second process reached state. */
static void
ls_wait(struct lockshare *ls, int state)
{
	for (int i = 0; ls_get(&ls->ls_state) < state; i++) {
		if (i > 10000)
			T_FAIL(
			    "the second process did not reach state %d", state);
		msleep(1);
	}
}

static int
lk(const struct vfs_api *v, int fd, int cmd, short type, off_t start, off_t len,
    struct flock *out)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = start;
	fl.l_len = len;
	int r = v->fcntl(fd, cmd, (long)&fl);
	if (out != NULL)
		*out = fl;
	return r;
}

#define T_LOCKED(expr)                                                         \
	do {                                                                   \
		errno = 0;                                                     \
		if ((expr) != -1 || (errno != EAGAIN && errno != EACCES))      \
			T_FAIL("%s did not fail with EAGAIN: %s", #expr,       \
			    strerror(errno));                                  \
	} while (0)

static void
child_lock_posix(void *arg)
{
	struct lockshare *ls = arg;
	const struct vfs_api *v = VA;
	struct flock fl;
	int fd;

	T_OK(fd = v->open("lk", O_RDWR, 0));
	T_OK(lk(v, fd, F_GETLK, F_WRLCK, 0, 0, &fl));
	T_EQ(fl.l_type, F_WRLCK);
	T_EQ(fl.l_start, 0);
	T_EQ(fl.l_len, 10);
	T_EQ(fl.l_pid, ls->ls_pid);
	T_LOCKED(lk(v, fd, F_SETLK, F_WRLCK, 0, 5, NULL));
	T_LOCKED(lk(v, fd, F_SETLK, F_RDLCK, 9, 1, NULL));
	T_OK(lk(v, fd, F_SETLK, F_RDLCK, 50, 10, NULL)); /* shared */
	T_LOCKED(lk(v, fd, F_SETLK, F_WRLCK, 55, 1, NULL));
	T_OK(lk(v, fd, F_SETLK, F_UNLCK, 50, 10, NULL));
	T_OK(lk(v, fd, F_SETLK, F_WRLCK, 20, 10, NULL)); /* no overlap */
	T_OK(lk(v, fd, F_SETLK, F_UNLCK, 20, 10, NULL));
	T_OK(lk(v, fd, F_GETLK, F_RDLCK, 55, 1, &fl));
	T_EQ(fl.l_type, F_UNLCK);
	/* The inherited descriptor does not carry the parent's locks. */
	T_LOCKED(lk(v, ls->ls_fd, F_SETLK, F_WRLCK, 0, 1, NULL));
	ls_set(&ls->ls_state, 1);
	T_OK(lk(v, fd, F_SETLKW, F_WRLCK, 0, 10, NULL));
	T_EQ(ls_get(&ls->ls_released), 1);
	ls_set(&ls->ls_state, 2);
	T_OK(v->close(fd));
}

VFS_CASE(lock_posix, "fcntl F_SETLK/F_GETLK/F_SETLKW between two processes")
{
	static char zeros[100];
	struct lockshare *ls = vfs_shared_alloc(sizeof(*ls));
	struct vfs_proc *p;
	int fd;

	put(v, "lk", zeros, sizeof(zeros), 0644);
	T_OK(fd = v->open("lk", O_RDWR, 0));
	T_OK(lk(v, fd, F_SETLK, F_WRLCK, 0, 10, NULL));
	T_OK(lk(v, fd, F_SETLK, F_RDLCK, 50, 10, NULL));
	T_OK(lk(v, fd, F_SETLK, F_WRLCK, 0, 10, NULL)); /* own: no conflict */
	ls->ls_pid = v->getpid();
	ls->ls_fd = fd;
	p = v->proc_start((uid_t)-1, (gid_t)-1, child_lock_posix, ls);
	ls_wait(ls, 1);
	msleep(200);
	T_EQ(ls_get(&ls->ls_state), 1); /* still blocked in F_SETLKW */
	ls_set(&ls->ls_released, 1);
	T_OK(lk(v, fd, F_SETLK, F_UNLCK, 0, 10, NULL));
	proc_join(v, p);
	T_EQ(ls_get(&ls->ls_state), 2);
	T_ERRNO(lk(v, fd, F_SETLK, 99, 0, 10, NULL), EINVAL);
	T_OK(v->close(fd));
}

static void
child_lock_try(void *arg)
{
	struct lockshare *ls = arg;
	const struct vfs_api *v = VA;
	int fd;

	T_OK(fd = v->open("lk", O_RDWR, 0));
	if (ls->ls_state == 0)
		T_LOCKED(lk(v, fd, F_SETLK, F_WRLCK, 0, 0, NULL));
	else
		T_OK(lk(v, fd, F_SETLK, F_WRLCK, 0, 0, NULL));
	T_OK(v->close(fd));
}

VFS_CASE(lock_posix_close,
    "closing any descriptor of a file drops the process's locks")
{
	struct lockshare *ls = vfs_shared_alloc(sizeof(*ls));
	int fd, fd2;

	puts_(v, "lk", "lock");
	T_OK(fd = v->open("lk", O_RDWR, 0));
	T_OK(lk(v, fd, F_SETLK, F_WRLCK, 0, 0, NULL));
	proc_join(v, v->proc_start((uid_t)-1, (gid_t)-1, child_lock_try, ls));
	T_OK(fd2 = v->open("lk", O_RDONLY, 0));
	T_OK(v->close(fd2));
	ls->ls_state = 1;
	proc_join(v, v->proc_start((uid_t)-1, (gid_t)-1, child_lock_try, ls));
	T_OK(v->close(fd));
}

static void
child_lock_ofd(void *arg)
{
	struct lockshare *ls = arg;
	const struct vfs_api *v = VA;
	int fd;

	/* The inherited description owns the lock, a new one does not. */
	T_OK(lk(v, ls->ls_fd, F_OFD_SETLK, F_WRLCK, 0, 0, NULL));
	T_OK(fd = v->open("lk", O_RDWR, 0));
	T_LOCKED(lk(v, fd, F_OFD_SETLK, F_WRLCK, 0, 0, NULL));
	T_LOCKED(lk(v, fd, F_SETLK, F_RDLCK, 0, 1, NULL));
	T_OK(v->close(fd));
}

VFS_CASE(lock_ofd, "F_OFD_* locks belong to the open file description")
{
	struct lockshare *ls = vfs_shared_alloc(sizeof(*ls));
	struct flock fl;
	int fd1, fd2;

	puts_(v, "lk", "lock");
	T_OK(fd1 = v->open("lk", O_RDWR, 0));
	T_OK(fd2 = v->open("lk", O_RDWR, 0));
	T_OK(lk(v, fd1, F_OFD_SETLK, F_WRLCK, 0, 0, NULL));
	T_LOCKED(lk(v, fd2, F_OFD_SETLK, F_WRLCK, 0, 0, NULL));
	T_LOCKED(lk(v, fd2, F_OFD_SETLK, F_RDLCK, 2, 1, NULL));
	T_LOCKED(lk(v, fd2, F_SETLK, F_WRLCK, 0, 1, NULL));
	T_OK(lk(v, fd2, F_OFD_GETLK, F_RDLCK, 0, 1, &fl));
	T_EQ(fl.l_type, F_WRLCK);
	T_EQ(fl.l_pid, -1);
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_RDLCK;
	fl.l_pid = 5;
	T_ERRNO(v->fcntl(fd2, F_OFD_SETLK, (long)&fl), EINVAL);
	ls->ls_fd = fd1;
	proc_join(v, v->proc_start((uid_t)-1, (gid_t)-1, child_lock_ofd, ls));
	T_OK(v->close(fd1));
	T_OK(lk(v, fd2, F_OFD_SETLK, F_WRLCK, 0, 0, NULL));
	T_OK(v->close(fd2));
}

static void
child_flock(void *arg)
{
	struct lockshare *ls = arg;
	const struct vfs_api *v = VA;
	int fd;

	T_OK(fd = v->open("lk", O_RDONLY, 0));
	T_ERRNO(v->flock(fd, LOCK_SH | LOCK_NB), EWOULDBLOCK);
	ls_set(&ls->ls_state, 1);
	T_OK(v->flock(fd, LOCK_EX));
	T_EQ(ls_get(&ls->ls_released), 1);
	ls_set(&ls->ls_state, 2);
	T_OK(v->close(fd));
}

VFS_CASE(lock_flock,
    "flock: shared and exclusive locks of open files, across processes")
{
	struct lockshare *ls = vfs_shared_alloc(sizeof(*ls));
	struct vfs_proc *p;
	int fd1, fd2, fd3;

	puts_(v, "lk", "lock");
	T_OK(fd1 = v->open("lk", O_RDONLY, 0));
	T_OK(fd2 = v->open("lk", O_RDONLY, 0));
	T_OK(v->flock(fd1, LOCK_EX));
	T_ERRNO(v->flock(fd2, LOCK_EX | LOCK_NB), EWOULDBLOCK);
	T_ERRNO(v->flock(fd2, LOCK_SH | LOCK_NB), EWOULDBLOCK);
	T_OK(fd3 = v->dup(fd1));
	T_OK(v->flock(fd3, LOCK_UN)); /* the same description */
	T_OK(v->flock(fd2, LOCK_SH | LOCK_NB));
	T_OK(v->flock(fd1, LOCK_SH | LOCK_NB));
	T_ERRNO(v->flock(fd1, LOCK_EX | LOCK_NB), EWOULDBLOCK);
	T_OK(v->flock(fd2, LOCK_UN));
	T_OK(v->flock(fd1, LOCK_EX | LOCK_NB)); /* upgrade */
	T_ERRNO(v->flock(fd1, 0), EINVAL);
	p = v->proc_start((uid_t)-1, (gid_t)-1, child_flock, ls);
	ls_wait(ls, 1);
	msleep(200);
	T_EQ(ls_get(&ls->ls_state), 1);
	ls_set(&ls->ls_released, 1);
	/*
	 * LOCK_UN, not close: the second process holds copies of fd1 and
	 * fd3 (its table is a copy), so the description stays open.
	 */
	T_OK(v->flock(fd3, LOCK_UN));
	proc_join(v, p);
	T_OK(v->close(fd3));
	T_OK(v->close(fd1));
	T_EQ(ls_get(&ls->ls_state), 2);
	T_OK(v->close(fd2));
}

/* -------------------------------------------------------- cwd and root */

static void
expect_cwd(const struct vfs_api *v, const char *want)
{
	char buf[600];

	if (v->getcwd(buf, sizeof(buf)) != buf)
		T_FAIL("getcwd: %s", strerror(errno));
	if (strcmp(buf, want) != 0)
		T_FAIL("getcwd is \"%s\", expected \"%s\"", buf, want);
}

VFS_CASE(cwd_getcwd, "getcwd after chdir and after the directory was renamed")
{
	char want[600], small[2];

	expect_cwd(v, vfs_dir);
	T_OK(v->mkdir("a", 0755));
	T_OK(v->mkdir("a/b", 0755));
	T_OK(v->chdir("a/b"));
	snprintf(want, sizeof(want), "%s/a/b", vfs_dir);
	expect_cwd(v, want);
	T_OK(v->rename("../../a", "../../renamed"));
	snprintf(want, sizeof(want), "%s/renamed/b", vfs_dir);
	expect_cwd(v, want);
	T_OK(v->mkdir("../../other", 0755));
	T_ERRNO(v->rename(".", "../../other/b"), EBUSY);
	T_OK(v->rename("../b", "../../other/b"));
	snprintf(want, sizeof(want), "%s/other/b", vfs_dir);
	expect_cwd(v, want);
	errno = 0;
	T_ASSERT(v->getcwd(small, sizeof(small)) == NULL);
	T_EQ(errno, ERANGE);
	T_OK(v->chdir(".."));
	snprintf(want, sizeof(want), "%s/other", vfs_dir);
	expect_cwd(v, want);
	T_OK(v->chdir("/"));
	expect_cwd(v, "/");
	T_OK(v->chdir(vfs_dir));
	expect_cwd(v, vfs_dir);
}

VFS_CASE(
    cwd_fchdir, "fchdir to a directory fd; chdir/fchdir to a file is ENOTDIR")
{
	char want[600];
	int dfd, ffd;

	T_OK(v->mkdir("d", 0755));
	puts_(v, "d/f", "x");
	puts_(v, "file", "x");
	T_OK(dfd = v->open("d", O_RDONLY | O_DIRECTORY, 0));
	T_OK(ffd = v->open("file", O_RDONLY, 0));
	T_OK(v->fchdir(dfd));
	snprintf(want, sizeof(want), "%s/d", vfs_dir);
	expect_cwd(v, want);
	T_ASSERT(exists(v, "f"));
	T_ERRNO(v->fchdir(ffd), ENOTDIR);
	T_ERRNO(v->chdir("../file"), ENOTDIR);
	T_ERRNO(v->chdir("../none"), ENOENT);
	T_ERRNO(v->fchdir(-1), EBADF);
	T_OK(v->chdir(".."));
	expect_cwd(v, vfs_dir);
	T_OK(v->close(dfd));
	T_OK(v->close(ffd));
}

static void
child_chroot(void *arg)
{
	(void)arg;
	T_ERRNO(VA->chroot("r"), EPERM);
}

VFS_CASE(chroot_dotdot, "after chroot, \"..\" of the new root is the new root")
{
	struct stat root;
	char buf[16];

	vfs_need(t, VFS_ROOT);
	T_OK(v->mkdir("r", 0755));
	T_OK(v->mkdir("r/sub", 0755));
	puts_(v, "r/sub/f", "jail");
	root = st_of(v, "r");
	if (t->vt_caps & VFS_PERMS)
		as_user(t, 1, 1, child_chroot, NULL);
	T_ERRNO(v->chroot("none"), ENOENT);
	T_ERRNO(v->chroot("r/sub/f"), ENOTDIR);
	T_OK(v->chroot("r"));
	T_OK(v->chdir("/"));
	T_EQ(st_of(v, "/").st_ino, root.st_ino);
	T_EQ(st_of(v, "/..").st_ino, root.st_ino);
	T_EQ(st_of(v, "..").st_ino, root.st_ino);
	T_EQ(st_of(v, "/../../..").st_ino, root.st_ino);
	expect_cwd(v, "/");
	T_EQ(get(v, "/../sub/f", buf, sizeof(buf)), 4);
	T_OK(v->chdir("sub"));
	expect_cwd(v, "/sub");
	T_EQ(st_of(v, "../../..").st_ino, root.st_ino);
	T_OK(v->chdir("/"));
}

/* ------------------------------------------------- faults and limits */

VFS_CASE(efault, "bad pointers give EFAULT, never a crash")
{
	char *bad = (char *)8;
	struct stat st;
	int fd, dfd;

	puts_(v, "f", "safe");
	/* libc declares its paths nonnull: NULL is for rumpk only. */
	if (t->vt_caps & VFS_RUMPK) {
		T_ERRNO(v->open(NULL, O_RDONLY, 0), EFAULT);
		T_ERRNO(v->stat(NULL, &st), EFAULT);
		T_ERRNO(v->mkdir(NULL, 0755), EFAULT);
		T_ERRNO(v->unlink(NULL), EFAULT);
		T_ERRNO(v->rename(NULL, "x"), EFAULT);
		T_ERRNO(v->rename("f", NULL), EFAULT);
	}
	T_ERRNO(v->open(bad, O_RDONLY, 0), EFAULT);
	T_ERRNO(v->stat(bad, &st), EFAULT);
	T_ERRNO(v->stat("f", (struct stat *)bad), EFAULT);
	T_ERRNO(v->lstat("f", (struct stat *)bad), EFAULT);
	T_ERRNO(v->mkdir(bad, 0755), EFAULT);
	T_ERRNO(v->unlink(bad), EFAULT);
	T_ERRNO(v->rename(bad, "x"), EFAULT);
	T_ERRNO(v->rename("f", bad), EFAULT);
	T_ERRNO(v->chdir(bad), EFAULT);
	T_OK(fd = v->open("f", O_RDWR, 0));
	T_ERRNO(v->fstat(fd, (struct stat *)bad), EFAULT);
	T_ERRNO(v->read(fd, bad, 1), EFAULT);
	T_ERRNO(v->write(fd, bad, 1), EFAULT);
	T_ERRNO(v->pread(fd, bad, 1, 0), EFAULT);
	T_ERRNO(v->pwrite(fd, bad, 1, 0), EFAULT);
	T_ERRNO(v->utimensat(AT_FDCWD, "f", (struct timespec *)bad, 0), EFAULT);
	T_OK(v->close(fd));
	T_OK(dfd = v->open(".", O_RDONLY | O_DIRECTORY, 0));
	T_ERRNO(v->getdents64(dfd, bad, 4096), EFAULT);
	T_OK(v->close(dfd));
	if (t->vt_caps & VFS_SYMLINKS) {
		T_OK(v->symlink("f", "s"));
		T_ERRNO(v->readlink("s", bad, 10), EFAULT);
		T_ERRNO(v->symlink(bad, "s2"), EFAULT);
	}
	errno = 0;
	T_ASSERT(v->getcwd(bad, 100) == NULL);
	T_EQ(errno, EFAULT);
	expect_content(v, "f", "safe");
}

VFS_CASE(emfile, "past RLIMIT_NOFILE (32) open, dup and pipe2 are EMFILE")
{
	struct rlimit rl = {32, 32};
	int fds[64], n = 0, fd, p[2];

	puts_(v, "f", "x");
	T_OK(v->setrlimit(RLIMIT_NOFILE, &rl));
	for (;;) {
		fd = v->open("f", O_RDONLY, 0);
		if (fd == -1) {
			T_EQ(errno, EMFILE);
			break;
		}
		T_ASSERT(fd < 32);
		T_ASSERT(n < 64);
		fds[n++] = fd;
	}
	T_ASSERT(n >= 16);
	T_ERRNO(v->dup(fds[0]), EMFILE);
	T_ERRNO(v->fcntl(fds[0], F_DUPFD, 0), EMFILE);
	T_ERRNO(v->fcntl(fds[0], F_DUPFD, 40), EINVAL);
	T_ERRNO(v->dup2(fds[0], 40), EBADF);
	T_ERRNO(v->pipe2(p, 0), EMFILE);
	T_ERRNO(v->open("g", O_RDWR | O_CREAT, 0644), EMFILE);
	T_ASSERT(!exists(v, "g"));
	T_OK(v->close(fds[n - 1]));
	T_OK(fd = v->open("f", O_RDONLY, 0));
	T_EQ(fd, fds[n - 1]);
	for (int i = 0; i < n; i++)
		T_OK(v->close(fds[i]));
}

/* -------------------------------------------------------------- mounts */

VFS_CASE(mount_basic, "a tmpfs mounted on a directory hides it until unmounted")
{
	struct stat dot, st;
	struct statfs sf;

	need_mount(t, v);
	T_OK(v->mkdir("mnt", 0755));
	puts_(v, "mnt/under", "x");
	puts_(v, "top", "x");
	dot = st_of(v, ".");
	T_OK(v->mount("tmpfs", "mnt", "tmpfs", 0, "size=1m"));
	T_ASSERT(!exists(v, "mnt/under"));
	st = st_of(v, "mnt");
	T_ASSERT(st.st_dev != dot.st_dev);
	T_EQ(list_dir(v, "mnt", 4096, NULL, NULL), 2);
	T_OK(v->statfs("mnt", &sf));
	T_EQ(sf.f_type, TMPFS_MAGIC);
	st = st_of(v, "mnt/..");
	T_EQ(st.st_ino, dot.st_ino);
	T_EQ(st.st_dev, dot.st_dev);
	puts_(v, "mnt/f", "on top");
	T_EQ(st_of(v, "mnt/f").st_dev, st_of(v, "mnt").st_dev);
	T_ERRNO(v->rename("mnt/f", "g"), EXDEV);
	T_ERRNO(v->rename("top", "mnt/top"), EXDEV);
	if (t->vt_caps & VFS_HARDLINKS)
		T_ERRNO(v->link("mnt/f", "g"), EXDEV);
	T_ERRNO(v->rmdir("mnt"), EBUSY);
	T_ERRNO(v->rename("mnt", "mnt2"), EBUSY);
	/* A second mount on top covers the first. */
	T_OK(v->mount("tmpfs", "mnt", "tmpfs", 0, "size=1m"));
	T_ASSERT(!exists(v, "mnt/f"));
	T_OK(v->umount2("mnt", 0));
	expect_content(v, "mnt/f", "on top");
	T_OK(v->umount2("mnt", 0));
	T_ASSERT(exists(v, "mnt/under"));
	T_ASSERT(!exists(v, "mnt/f"));
	T_ERRNO(v->umount2("mnt", 0), EINVAL);
	T_ERRNO(v->umount2("none", 0), ENOENT);
	T_ERRNO(v->mount("tmpfs", "none", "tmpfs", 0, NULL), ENOENT);
	T_ERRNO(v->mount("tmpfs", "top", "tmpfs", 0, NULL), ENOTDIR);
	T_ERRNO(v->mount("x", "mnt", "no-such-fs", 0, NULL), ENODEV);
}

static void
child_umount(void *arg)
{
	(void)arg;
	T_ERRNO(VA->umount2("mnt", 0), EPERM);
	T_ERRNO(VA->mount("tmpfs", "mnt", "tmpfs", 0, NULL), EPERM);
}

VFS_CASE(mount_busy, "unmounting with an open file or a cwd inside is EBUSY")
{
	char path[600];
	int fd;

	need_mount(t, v);
	T_OK(v->mkdir("mnt", 0755));
	T_OK(v->mount("tmpfs", "mnt", "tmpfs", 0, "size=1m"));
	puts_(v, "mnt/f", "x");
	T_OK(fd = v->open("mnt/f", O_RDONLY, 0));
	T_ERRNO(v->umount2("mnt", 0), EBUSY);
	T_OK(v->close(fd));
	T_OK(fd = v->open("mnt", O_RDONLY | O_DIRECTORY, 0));
	T_ERRNO(v->umount2("mnt", 0), EBUSY);
	T_OK(v->close(fd));
	T_OK(v->chdir("mnt"));
	snprintf(path, sizeof(path), "%s/mnt", vfs_dir);
	T_ERRNO(v->umount2(path, 0), EBUSY);
	T_OK(v->chdir(vfs_dir));
	if (t->vt_caps & VFS_PERMS)
		as_user(t, 1, 1, child_umount, NULL);
	T_OK(v->umount2("mnt", 0));
	T_ASSERT(!exists(v, "mnt/f"));
}

VFS_CASE(mount_detach,
    "umount2 MNT_DETACH: gone from the namespace, open files live on")
{
	char buf[16];
	int fd;

	need_mount(t, v);
	T_OK(v->mkdir("mnt", 0755));
	T_OK(v->mount("tmpfs", "mnt", "tmpfs", 0, "size=1m"));
	puts_(v, "mnt/f", "detached");
	T_OK(fd = v->open("mnt/f", O_RDWR, 0));
	T_OK(v->umount2("mnt", MNT_DETACH));
	T_ASSERT(!exists(v, "mnt/f"));
	T_EQ(list_dir(v, "mnt", 4096, NULL, NULL), 2);
	T_EQ(v->read(fd, buf, sizeof(buf)), 8);
	T_ASSERT(memcmp(buf, "detached", 8) == 0);
	T_EQ(v->write(fd, "!", 1), 1);
	T_EQ(fst_of(v, fd).st_size, 9);
	T_OK(v->close(fd));
	T_ERRNO(v->umount2("mnt", MNT_DETACH), EINVAL);
}

/* ------------------------------------------------ special files and misc */

static void
child_mknod(void *arg)
{
	const struct vfs_api *v = VA;

	(void)arg;
	T_ERRNO(v->mknod("w/c", S_IFCHR | 0600, makedev(1, 3)), EPERM);
	T_OK(v->mknod("w/p", S_IFIFO | 0644, 0));
}

VFS_CASE(
    mknod_fifo, "mknod makes fifos (data flows, poll works) and device nodes")
{
	struct pollfd pfd;
	struct stat st;
	char buf[8];
	int rfd, wfd;

	vfs_need(t, VFS_SPECIALS);
	T_OK(v->mknod("p", S_IFIFO | 0644, 0));
	st = st_of(v, "p");
	T_ASSERT(S_ISFIFO(st.st_mode));
	if (t->vt_caps & VFS_PERMS)
		T_EQ(st.st_mode & 07777, 0644);
	T_ERRNO(v->mknod("p", S_IFIFO | 0644, 0), EEXIST);
	T_ERRNO(v->open("p", O_WRONLY | O_NONBLOCK, 0), ENXIO);
	T_OK(rfd = v->open("p", O_RDONLY | O_NONBLOCK, 0));
	T_OK(wfd = v->open("p", O_WRONLY | O_NONBLOCK, 0));
	pfd.fd = rfd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	T_EQ(v->poll(&pfd, 1, 0), 0);
	T_EQ(v->write(wfd, "hi", 2), 2);
	T_EQ(v->poll(&pfd, 1, 1000), 1);
	T_EQ(pfd.revents & POLLIN, POLLIN);
	T_EQ(v->read(rfd, buf, sizeof(buf)), 2);
	T_ASSERT(memcmp(buf, "hi", 2) == 0);
	T_ERRNO(v->read(rfd, buf, sizeof(buf)), EAGAIN);
	T_ERRNO(v->lseek(rfd, 0, SEEK_SET), ESPIPE);
	T_OK(v->close(wfd));
	T_EQ(v->read(rfd, buf, sizeof(buf)), 0);
	T_OK(v->close(rfd));
	T_EQ(st_of(v, "p").st_size, 0);
	T_OK(v->mknod("r", S_IFREG | 0600, 0));
	T_ASSERT(S_ISREG(st_of(v, "r").st_mode));
	T_ERRNO(v->mknod("d", S_IFDIR | 0755, 0), EPERM);
	T_ERRNO(v->mknod("bad", 0160000 | 0644, 0), EINVAL);
	if (t->vt_caps & VFS_ROOT) {
		T_OK(v->mknod("c", S_IFCHR | 0600, makedev(1, 3)));
		st = st_of(v, "c");
		T_ASSERT(S_ISCHR(st.st_mode));
		T_EQ(st.st_rdev, makedev(1, 3));
		T_OK(v->mknod("b", S_IFBLK | 0600, makedev(7, 0)));
		T_ASSERT(S_ISBLK(st_of(v, "b").st_mode));
		T_EQ(st_of(v, "b").st_rdev, makedev(7, 0));
	}
	if ((t->vt_caps & (VFS_ROOT | VFS_PERMS)) == (VFS_ROOT | VFS_PERMS)) {
		T_OK(v->mkdir("w", 0777));
		as_user(t, 1, 1, child_mknod, NULL);
		T_ASSERT(S_ISFIFO(st_of(v, "w/p").st_mode));
	}
}

VFS_CASE(
    poll_file, "poll on regular files and directories reports ready at once")
{
	struct pollfd pfd[2];
	int fd, dfd;

	puts_(v, "f", "x");
	T_OK(fd = v->open("f", O_RDWR, 0));
	T_OK(dfd = v->open(".", O_RDONLY | O_DIRECTORY, 0));
	pfd[0].fd = fd;
	pfd[0].events = POLLIN | POLLOUT;
	pfd[1].fd = dfd;
	pfd[1].events = POLLIN;
	pfd[0].revents = pfd[1].revents = 0;
	T_EQ(v->poll(pfd, 2, 1000), 2);
	T_EQ(pfd[0].revents, POLLIN | POLLOUT);
	T_EQ(pfd[1].revents & POLLIN, POLLIN);
	T_OK(v->close(fd));
	T_OK(v->close(dfd));
}

VFS_CASE(
    statfs_fields, "statfs and fstatfs describe the file system consistently")
{
	struct statfs a, b;
	int fd;

	T_OK(v->statfs(".", &a));
	T_ASSERT(a.f_bsize > 0);
	T_ASSERT(a.f_blocks >= a.f_bfree);
	T_ASSERT(a.f_bfree >= a.f_bavail);
	T_ASSERT(a.f_files >= a.f_ffree);
	T_EQ(a.f_namelen, t->vt_name_max);
	if (t->vt_fs_magic)
		T_EQ(a.f_type, t->vt_fs_magic);
	T_OK(fd = v->open(".", O_RDONLY | O_DIRECTORY, 0));
	T_OK(v->fstatfs(fd, &b));
	T_OK(v->close(fd));
	T_EQ(a.f_type, b.f_type);
	T_EQ(a.f_bsize, b.f_bsize);
	T_EQ(a.f_blocks, b.f_blocks);
	T_ASSERT(memcmp(&a.f_fsid, &b.f_fsid, sizeof(a.f_fsid)) == 0);
	T_ERRNO(v->statfs("none", &a), ENOENT);
	T_ERRNO(v->fstatfs(-1, &a), EBADF);
}

VFS_CASE(fsync_kinds,
    "fsync and fdatasync on files and directories; EINVAL on pipes")
{
	int fd, dfd, p[2];

	puts_(v, "f", "x");
	T_OK(fd = v->open("f", O_RDWR, 0));
	T_EQ(v->write(fd, "y", 1), 1);
	T_OK(v->fsync(fd));
	T_OK(v->fdatasync(fd));
	T_OK(v->close(fd));
	T_OK(fd = v->open("f", O_RDONLY, 0));
	T_OK(v->fsync(fd));
	T_OK(v->close(fd));
	T_OK(dfd = v->open(".", O_RDONLY | O_DIRECTORY, 0));
	T_OK(v->fsync(dfd));
	T_OK(v->close(dfd));
	T_OK(v->sync());
	T_OK(v->pipe2(p, 0));
	T_ERRNO(v->fsync(p[0]), EINVAL);
	T_OK(v->close(p[0]));
	T_OK(v->close(p[1]));
	T_ERRNO(v->fsync(-1), EBADF);
}

/* ------------------------------------------------- extended attributes */

/*
 * The attribute list of path (l: not following a symlink; path NULL: of
 * fd) into buf; checks that asking with size 0 gives the same length and
 * that one byte less is ERANGE.  Returns the length.
 */
static size_t
xlist_of(const struct vfs_api *v, const char *path, int fd, bool l, char *buf,
    size_t len)
{
	ssize_t n, q;

	if (path == NULL) {
		T_OK(q = v->flistxattr(fd, NULL, 0));
		T_OK(n = v->flistxattr(fd, buf, len));
	} else if (l) {
		T_OK(q = v->llistxattr(path, NULL, 0));
		T_OK(n = v->llistxattr(path, buf, len));
	} else {
		T_OK(q = v->listxattr(path, NULL, 0));
		T_OK(n = v->listxattr(path, buf, len));
	}
	T_EQ(q, n);
	T_ASSERT(n == 0 || buf[n - 1] == '\0');
	if (n > 0 && path != NULL)
		T_ERRNO(l ? v->llistxattr(path, buf, (size_t)n - 1)
		          : v->listxattr(path, buf, (size_t)n - 1),
		    ERANGE);
	return (size_t)n;
}

/* Whether the list (of len bytes) names name. */
static bool
xlist_has(const char *list, size_t len, const char *name)
{
	for (size_t i = 0; i < len; i += strlen(list + i) + 1)
		if (strcmp(list + i, name) == 0)
			return true;
	return false;
}

/* How many names in the list start with prefix. */
static int
xlist_count(const char *list, size_t len, const char *prefix)
{
	int n = 0;

	for (size_t i = 0; i < len; i += strlen(list + i) + 1)
		n += strncmp(list + i, prefix, strlen(prefix)) == 0;
	return n;
}

/* The value of name on path is the len bytes at want. */
static void
xexpect(const struct vfs_api *v, const char *path, const char *name,
    const void *want, size_t len)
{
	static char buf[65536 + 16];

	T_EQ(v->getxattr(path, name, NULL, 0), len);
	T_EQ(v->getxattr(path, name, buf, sizeof(buf)), len);
	T_ASSERT(memcmp(buf, want, len) == 0);
	if (len > 1) /* (a size of 0 would ask the length) */
		T_ERRNO(v->getxattr(path, name, buf, len - 1), ERANGE);
}

VFS_CASE(xattr_basic,
    "user.* attributes: set, get (size 0 asks the length, ERANGE when "
    "short), list, replace, remove; XATTR_CREATE and XATTR_REPLACE")
{
	static const char bin[] = {'a', 0, 'b', 0, (char)0xff, 0};
	char list[4096], buf[64];
	size_t n;

	vfs_need(t, VFS_XATTR);
	puts_(v, "f", "data");
	T_OK(v->mkdir("d", 0755));
	n = xlist_of(v, "f", -1, false, list, sizeof(list));
	T_EQ(xlist_count(list, n, "user."), 0);
	T_ERRNO(v->getxattr("f", "user.a", buf, sizeof(buf)), ENODATA);
	T_ERRNO(v->getxattr("f", "user.a", NULL, 0), ENODATA);

	T_OK(v->setxattr("f", "user.a", "hello", 5, 0));
	xexpect(v, "f", "user.a", "hello", 5);
	T_ERRNO(v->getxattr("f", "user.a", buf, 4), ERANGE);
	T_OK(v->setxattr("f", "user.empty", "", 0, 0));
	xexpect(v, "f", "user.empty", "", 0);
	T_OK(v->setxattr("f", "user.bin", bin, sizeof(bin), 0));
	xexpect(v, "f", "user.bin", bin, sizeof(bin));
	n = xlist_of(v, "f", -1, false, list, sizeof(list));
	T_EQ(xlist_count(list, n, "user."), 3);
	T_ASSERT(xlist_has(list, n, "user.a"));
	T_ASSERT(xlist_has(list, n, "user.empty"));
	T_ASSERT(xlist_has(list, n, "user.bin"));

	/* Replacing: longer, shorter, with and without the flags. */
	T_OK(v->setxattr("f", "user.a", "a much longer value", 19, 0));
	xexpect(v, "f", "user.a", "a much longer value", 19);
	T_OK(v->setxattr("f", "user.a", "s", 1, XATTR_REPLACE));
	xexpect(v, "f", "user.a", "s", 1);
	T_ERRNO(v->setxattr("f", "user.a", "x", 1, XATTR_CREATE), EEXIST);
	xexpect(v, "f", "user.a", "s", 1);
	T_ERRNO(v->setxattr("f", "user.new", "x", 1, XATTR_REPLACE), ENODATA);
	T_ERRNO(v->getxattr("f", "user.new", NULL, 0), ENODATA);
	T_OK(v->setxattr("f", "user.new", "x", 1, XATTR_CREATE));
	xexpect(v, "f", "user.new", "x", 1);
	T_ERRNO(v->setxattr("f", "user.new", "x", 1, 4), EINVAL);
	/* The contents of the file do not change. */
	expect_content(v, "f", "data");

	/* Removing. */
	T_OK(v->removexattr("f", "user.a"));
	T_ERRNO(v->getxattr("f", "user.a", NULL, 0), ENODATA);
	T_ERRNO(v->removexattr("f", "user.a"), ENODATA);
	T_ERRNO(v->removexattr("f", "user.never"), ENODATA);
	n = xlist_of(v, "f", -1, false, list, sizeof(list));
	T_EQ(xlist_count(list, n, "user."), 3);
	T_ASSERT(!xlist_has(list, n, "user.a"));
	xexpect(v, "f", "user.bin", bin, sizeof(bin));
	T_OK(v->removexattr("f", "user.bin"));
	T_OK(v->removexattr("f", "user.empty"));
	T_OK(v->removexattr("f", "user.new"));
	n = xlist_of(v, "f", -1, false, list, sizeof(list));
	T_EQ(xlist_count(list, n, "user."), 0);

	/* Directories have them too. */
	T_OK(v->setxattr("d", "user.dir", "D", 1, 0));
	xexpect(v, "d", "user.dir", "D", 1);
	n = xlist_of(v, "d", -1, false, list, sizeof(list));
	T_ASSERT(xlist_has(list, n, "user.dir"));
	T_OK(v->removexattr("d", "user.dir"));

	T_ERRNO(v->setxattr("none", "user.a", "x", 1, 0), ENOENT);
	T_ERRNO(v->getxattr("none", "user.a", NULL, 0), ENOENT);
	T_ERRNO(v->listxattr("none", NULL, 0), ENOENT);
	T_ERRNO(v->removexattr("none", "user.a"), ENOENT);
	T_ERRNO(v->getxattr("f/x", "user.a", NULL, 0), ENOTDIR);
}

VFS_CASE(xattr_names,
    "attribute names: empty or over 255 bytes ERANGE, a bare prefix "
    "EINVAL, unknown and system.* namespaces EOPNOTSUPP; values over "
    "64 KiB E2BIG")
{
	char name[300], list[4096];
	static char big[65537];
	size_t n;

	vfs_need(t, VFS_XATTR);
	puts_(v, "f", "");
	T_ERRNO(v->setxattr("f", "", "x", 1, 0), ERANGE);
	T_ERRNO(v->getxattr("f", "", NULL, 0), ERANGE);
	T_ERRNO(v->removexattr("f", ""), ERANGE);
	/* 255 bytes in all, the prefix included, is the longest. */
	memset(name, 'n', sizeof(name));
	memcpy(name, "user.", 5);
	name[255] = '\0';
	T_OK(v->setxattr("f", name, "long", 4, 0));
	xexpect(v, "f", name, "long", 4);
	n = xlist_of(v, "f", -1, false, list, sizeof(list));
	T_ASSERT(xlist_has(list, n, name));
	T_OK(v->removexattr("f", name));
	name[255] = 'n';
	name[256] = '\0';
	T_ERRNO(v->setxattr("f", name, "long", 4, 0), ERANGE);
	T_ERRNO(v->getxattr("f", name, NULL, 0), ERANGE);
	T_ERRNO(v->removexattr("f", name), ERANGE);

	T_ERRNO(v->setxattr("f", "user.", "x", 1, 0), EINVAL);
	T_ERRNO(v->getxattr("f", "user.", NULL, 0), EINVAL);
	T_ERRNO(v->setxattr("f", "nonesuch.a", "x", 1, 0), EOPNOTSUPP);
	T_ERRNO(v->getxattr("f", "nonesuch.a", NULL, 0), EOPNOTSUPP);
	T_ERRNO(v->removexattr("f", "nonesuch.a"), EOPNOTSUPP);
	T_ERRNO(v->setxattr("f", "user", "x", 1, 0), EOPNOTSUPP);
	T_ERRNO(v->getxattr("f", "system.rumpk_none", NULL, 0), EOPNOTSUPP);
	T_ERRNO(v->setxattr("f", "system.rumpk_none", "x", 1, 0), EOPNOTSUPP);
	/* Sizes: a value over XATTR_SIZE_MAX never gets in. */
	T_ERRNO(v->setxattr("f", "user.big", big, sizeof(big), 0), E2BIG);
	T_ERRNO(v->getxattr("f", "user.big", NULL, 0), ENODATA);
	/* A buffer bigger than any value is fine. */
	T_OK(v->setxattr("f", "user.small", "s", 1, 0));
	T_EQ(v->getxattr("f", "user.small", big, sizeof(big)), 1);
	T_EQ(v->listxattr("f", big, sizeof(big)), v->listxattr("f", NULL, 0));
}

VFS_CASE(xattr_sizes,
    "values as long as the file system holds read back whole; 64 KiB "
    "fits or is ENOSPC; many attributes on one file")
{
	static char val[65536 + 16], back[65536];
	char name[32], list[8192];
	size_t n, max = t->vt_xattr_max;
	int r;

	vfs_need(t, VFS_XATTR);
	T_ASSERT(max > 0 && max <= sizeof(back));
	for (size_t i = 0; i < sizeof(val); i++)
		val[i] = (char)(i * 7 + i / 251);
	puts_(v, "f", "");
	T_OK(v->setxattr("f", "user.big", val, max, 0));
	xexpect(v, "f", "user.big", val, max);
	/* Shrinking it, then growing it back. */
	T_OK(v->setxattr("f", "user.big", val + 1, 10, 0));
	xexpect(v, "f", "user.big", val + 1, 10);
	T_OK(v->setxattr("f", "user.big", val + 2, max, 0));
	xexpect(v, "f", "user.big", val + 2, max);
	T_OK(v->removexattr("f", "user.big"));
	/* The largest value the interface allows: stored whole or refused. */
	r = v->setxattr("f", "user.max", val, sizeof(back), 0);
	if (r == 0) {
		T_EQ(v->getxattr("f", "user.max", back, sizeof(back)),
		    sizeof(back));
		T_ASSERT(memcmp(back, val, sizeof(back)) == 0);
		T_OK(v->removexattr("f", "user.max"));
	} else {
		T_EQ(errno, ENOSPC);
		T_ERRNO(v->getxattr("f", "user.max", NULL, 0), ENODATA);
	}

	/* Many small ones: all listed, each its own. */
	puts_(v, "m", "");
	for (int i = 0; i < 16; i++) {
		snprintf(name, sizeof(name), "user.m%02d", i);
		T_OK(v->setxattr("m", name, val + i, 8, 0));
	}
	n = xlist_of(v, "m", -1, false, list, sizeof(list));
	T_EQ(xlist_count(list, n, "user."), 16);
	for (int i = 0; i < 16; i++) {
		snprintf(name, sizeof(name), "user.m%02d", i);
		T_ASSERT(xlist_has(list, n, name));
		xexpect(v, "m", name, val + i, 8);
	}
	for (int i = 0; i < 16; i += 2) {
		snprintf(name, sizeof(name), "user.m%02d", i);
		T_OK(v->removexattr("m", name));
	}
	n = xlist_of(v, "m", -1, false, list, sizeof(list));
	T_EQ(xlist_count(list, n, "user."), 8);
	for (int i = 0; i < 16; i++) {
		snprintf(name, sizeof(name), "user.m%02d", i);
		if (i % 2 == 0)
			T_ERRNO(v->getxattr("m", name, NULL, 0), ENODATA);
		else
			xexpect(v, "m", name, val + i, 8);
	}
	/* And the others again, with other values. */
	for (int i = 0; i < 16; i += 2) {
		snprintf(name, sizeof(name), "user.m%02d", i);
		T_OK(v->setxattr("m", name, val + 100 + i, 12, XATTR_CREATE));
	}
	for (int i = 0; i < 16; i++) {
		snprintf(name, sizeof(name), "user.m%02d", i);
		xexpect(
		    v, "m", name, val + (i % 2 ? i : 100 + i), i % 2 ? 8 : 12);
	}
}

VFS_CASE(xattr_symlink,
    "xattr calls follow a symlink, the l* calls act on it: user.* there "
    "is EPERM to set and ENODATA to get; trusted.* works on it")
{
	char list[4096];
	size_t n;

	vfs_need(t, VFS_XATTR | VFS_SYMLINKS);
	puts_(v, "f", "");
	T_OK(v->symlink("f", "l"));
	T_OK(v->symlink("none", "dangling"));
	T_OK(v->setxattr("l", "user.a", "via", 3, 0));
	xexpect(v, "f", "user.a", "via", 3);
	xexpect(v, "l", "user.a", "via", 3);
	n = xlist_of(v, "l", -1, false, list, sizeof(list));
	T_ASSERT(xlist_has(list, n, "user.a"));
	T_ERRNO(v->lgetxattr("l", "user.a", NULL, 0), ENODATA);
	T_ERRNO(v->lsetxattr("l", "user.b", "x", 1, 0), EPERM);
	T_ERRNO(v->lremovexattr("l", "user.a"), EPERM);
	n = xlist_of(v, "l", -1, true, list, sizeof(list));
	T_EQ(xlist_count(list, n, "user."), 0);
	/* l* on a file is the plain call. */
	T_OK(v->lsetxattr("f", "user.b", "B", 1, 0));
	T_EQ(v->lgetxattr("f", "user.b", NULL, 0), 1);
	T_OK(v->lremovexattr("f", "user.b"));
	T_ERRNO(v->getxattr("dangling", "user.a", NULL, 0), ENOENT);
	T_ERRNO(v->setxattr("dangling", "user.a", "x", 1, 0), ENOENT);
	T_OK(v->removexattr("l", "user.a"));
	T_ERRNO(v->getxattr("f", "user.a", NULL, 0), ENODATA);
	if (!(t->vt_caps & VFS_ROOT))
		return;
	T_OK(v->lsetxattr("l", "trusted.t", "link", 4, 0));
	T_EQ(v->lgetxattr("l", "trusted.t", NULL, 0), 4);
	T_ERRNO(v->getxattr("l", "trusted.t", NULL, 0), ENODATA);
	n = xlist_of(v, "l", -1, true, list, sizeof(list));
	T_ASSERT(xlist_has(list, n, "trusted.t"));
	T_OK(v->lremovexattr("l", "trusted.t"));
	T_ERRNO(v->lgetxattr("l", "trusted.t", NULL, 0), ENODATA);
}

VFS_CASE(xattr_fd,
    "fsetxattr, fgetxattr, flistxattr and fremovexattr on descriptors "
    "(read-only ones too); O_PATH descriptors EBADF")
{
	char list[4096], buf[16];
	size_t n;
	int fd, pfd;

	vfs_need(t, VFS_XATTR);
	puts_(v, "f", "");
	T_OK(fd = v->open("f", O_RDONLY, 0));
	T_OK(v->fsetxattr(fd, "user.fd", "by fd", 5, 0));
	T_EQ(v->fgetxattr(fd, "user.fd", NULL, 0), 5);
	T_EQ(v->fgetxattr(fd, "user.fd", buf, sizeof(buf)), 5);
	T_ASSERT(memcmp(buf, "by fd", 5) == 0);
	T_ERRNO(v->fgetxattr(fd, "user.fd", buf, 2), ERANGE);
	T_ERRNO(v->fsetxattr(fd, "user.fd", "x", 1, XATTR_CREATE), EEXIST);
	xexpect(v, "f", "user.fd", "by fd", 5);
	n = xlist_of(v, NULL, fd, false, list, sizeof(list));
	T_ASSERT(xlist_has(list, n, "user.fd"));
	T_OK(v->fremovexattr(fd, "user.fd"));
	T_ERRNO(v->fremovexattr(fd, "user.fd"), ENODATA);
	T_ERRNO(v->fgetxattr(fd, "user.fd", NULL, 0), ENODATA);
	T_OK(pfd = v->open("f", O_PATH, 0));
	T_ERRNO(v->fsetxattr(pfd, "user.p", "x", 1, 0), EBADF);
	T_ERRNO(v->fgetxattr(pfd, "user.p", NULL, 0), EBADF);
	T_ERRNO(v->flistxattr(pfd, NULL, 0), EBADF);
	T_ERRNO(v->fremovexattr(pfd, "user.p"), EBADF);
	T_OK(v->close(pfd));
	T_OK(v->close(fd));
	T_ERRNO(v->fgetxattr(fd, "user.fd", NULL, 0), EBADF);
	T_ERRNO(v->fsetxattr(-1, "user.fd", "x", 1, 0), EBADF);
	T_OK(fd = v->open(".", O_RDONLY | O_DIRECTORY, 0));
	T_OK(v->fsetxattr(fd, "user.d", "dir", 3, 0));
	T_OK(v->close(fd));
	xexpect(v, ".", "user.d", "dir", 3);
}

/* The change time of path, after a pause long enough to see it move. */
static struct timespec
ctime_then_pause(struct vfs_target *t, const char *path)
{
	struct timespec c = st_of(t->vt_api, path).st_ctim;

	msleep(t->vt_time_gran_ns >= 1000000000 ? 1100 : 20);
	return c;
}

static bool
ts_after(struct timespec a, struct timespec b)
{
	return a.tv_sec > b.tv_sec ||
	    (a.tv_sec == b.tv_sec && a.tv_nsec > b.tv_nsec);
}

VFS_CASE(xattr_ctime,
    "setting and removing an attribute change ctime, not mtime; a "
    "failed change changes nothing")
{
	struct timespec c0, c1;
	struct stat st;

	vfs_need(t, VFS_XATTR);
	puts_(v, "f", "x");
	set_old(v, "f");
	c0 = ctime_then_pause(t, "f");
	T_OK(v->setxattr("f", "user.a", "1", 1, 0));
	st = st_of(v, "f");
	T_ASSERT(ts_after(st.st_ctim, c0));
	T_EQ(st.st_mtim.tv_sec, OLD_TIME);
	T_EQ(st.st_atim.tv_sec, OLD_TIME);
	c1 = ctime_then_pause(t, "f");
	T_ERRNO(v->setxattr("f", "user.a", "2", 1, XATTR_CREATE), EEXIST);
	T_ERRNO(v->removexattr("f", "user.none"), ENODATA);
	T_EQ(v->getxattr("f", "user.a", NULL, 0), 1);
	st = st_of(v, "f");
	T_EQ(st.st_ctim.tv_sec, c1.tv_sec);
	T_EQ(st.st_ctim.tv_nsec, c1.tv_nsec);
	T_OK(v->removexattr("f", "user.a"));
	st = st_of(v, "f");
	T_ASSERT(ts_after(st.st_ctim, c1));
	T_EQ(st.st_mtim.tv_sec, OLD_TIME);
}

VFS_CASE(xattr_links,
    "attributes belong to the file: seen through a hard link, kept "
    "across rename, gone with the file")
{
	vfs_need(t, VFS_XATTR | VFS_HARDLINKS);
	puts_(v, "a", "");
	T_OK(v->setxattr("a", "user.x", "shared", 6, 0));
	T_OK(v->link("a", "b"));
	xexpect(v, "b", "user.x", "shared", 6);
	T_OK(v->setxattr("b", "user.y", "Y", 1, 0));
	xexpect(v, "a", "user.y", "Y", 1);
	T_OK(v->rename("a", "c"));
	xexpect(v, "c", "user.x", "shared", 6);
	T_OK(v->unlink("b"));
	T_OK(v->unlink("c"));
	puts_(v, "c", "");
	T_ERRNO(v->getxattr("c", "user.x", NULL, 0), ENODATA);
}

static void
child_xattr(void *arg)
{
	const struct vfs_api *v = VA;
	char list[4096], buf[16];
	size_t n;

	(void)arg;
	/* user.*: reading needs read access, changing write access. */
	xexpect(v, "ro", "user.a", "A", 1);
	T_ERRNO(v->setxattr("ro", "user.b", "x", 1, 0), EACCES);
	T_ERRNO(v->removexattr("ro", "user.a"), EACCES);
	T_ERRNO(v->getxattr("noacc", "user.a", buf, sizeof(buf)), EACCES);
	T_ERRNO(v->getxattr("noacc", "user.none", buf, sizeof(buf)), EACCES);
	T_OK(v->setxattr("pubw", "user.w", "w", 1, 0));
	T_OK(v->removexattr("pubw", "user.w"));
	/* Listing needs no access; trusted.* names are not shown. */
	n = xlist_of(v, "noacc", -1, false, list, sizeof(list));
	T_ASSERT(xlist_has(list, n, "user.a"));
	T_ASSERT(xlist_has(list, n, "security.s"));
	T_EQ(xlist_count(list, n, "trusted."), 0);
	/* trusted.*: root's. */
	T_ERRNO(v->getxattr("ro", "trusted.t", buf, sizeof(buf)), ENODATA);
	T_ERRNO(v->setxattr("pubw", "trusted.t", "x", 1, 0), EPERM);
	T_ERRNO(v->removexattr("ro", "trusted.t"), EPERM);
	/* security.*: anyone reads it; only root changes it. */
	T_EQ(v->getxattr("noacc", "security.s", buf, sizeof(buf)), 3);
	T_ASSERT(memcmp(buf, "sec", 3) == 0);
	put(v, "w/own", "", 0, 0600);
	T_OK(v->setxattr("w/own", "user.mine", "m", 1, 0));
	T_ERRNO(v->setxattr("w/own", "security.s", "x", 1, 0), EPERM);
	T_ERRNO(v->removexattr("noacc", "security.s"), EPERM);
	/* A sticky directory: only its owner changes its user.* ones. */
	T_ERRNO(v->setxattr("sticky", "user.s", "x", 1, 0), EPERM);
	xexpect(v, "sticky", "user.k", "K", 1);
	T_OK(v->setxattr("w", "user.open", "o", 1, 0));
}

VFS_CASE(xattr_perms,
    "as uid 1: user.* needs read or write access (sticky directories "
    "ownership), trusted.* is hidden, security.* is root's to change")
{
	vfs_need(t, VFS_XATTR | VFS_PERMS | VFS_ROOT);
	put(v, "ro", "", 0, 0644);
	put(v, "noacc", "", 0, 0600);
	put(v, "pubw", "", 0, 0666);
	T_OK(v->mkdir("w", 0777));
	T_OK(v->mkdir("sticky", 01777));
	T_OK(v->setxattr("ro", "user.a", "A", 1, 0));
	T_OK(v->setxattr("ro", "trusted.t", "T", 1, 0));
	T_OK(v->setxattr("noacc", "user.a", "N", 1, 0));
	T_OK(v->setxattr("noacc", "security.s", "sec", 3, 0));
	T_OK(v->setxattr("noacc", "trusted.t", "T", 1, 0));
	T_OK(v->setxattr("sticky", "user.k", "K", 1, 0));
	as_user(t, 1, 1, child_xattr, NULL);
	xexpect(v, "ro", "trusted.t", "T", 1);
	xexpect(v, "w/own", "user.mine", "m", 1);
	xexpect(v, "w", "user.open", "o", 1);
	T_ERRNO(v->getxattr("pubw", "user.w", NULL, 0), ENODATA);
}

VFS_CASE(xattr_specials,
    "user.* on fifos and devices: EPERM to set, ENODATA to get; "
    "trusted.* and security.* work there")
{
	char list[4096];
	size_t n;
	int p[2];

	vfs_need(t, VFS_XATTR | VFS_SPECIALS | VFS_ROOT);
	T_OK(v->mknod("fifo", S_IFIFO | 0666, 0));
	T_OK(v->mknod("null", S_IFCHR | 0666, makedev(1, 3)));
	T_ERRNO(v->setxattr("fifo", "user.a", "x", 1, 0), EPERM);
	T_ERRNO(v->getxattr("fifo", "user.a", NULL, 0), ENODATA);
	T_ERRNO(v->removexattr("fifo", "user.a"), EPERM);
	T_ERRNO(v->setxattr("null", "user.a", "x", 1, 0), EPERM);
	T_OK(v->setxattr("null", "trusted.dev", "D", 1, 0));
	T_OK(v->setxattr("fifo", "security.f", "F", 1, 0));
	xexpect(v, "null", "trusted.dev", "D", 1);
	xexpect(v, "fifo", "security.f", "F", 1);
	n = xlist_of(v, "fifo", -1, false, list, sizeof(list));
	T_ASSERT(xlist_has(list, n, "security.f"));
	T_OK(v->removexattr("null", "trusted.dev"));
	T_OK(v->removexattr("fifo", "security.f"));
	/* A pipe is no file of the file system: it has none. */
	T_OK(v->pipe2(p, 0));
	T_EQ(v->flistxattr(p[0], NULL, 0), 0);
	T_ERRNO(v->fgetxattr(p[0], "trusted.x", NULL, 0), EOPNOTSUPP);
	T_OK(v->close(p[0]));
	T_OK(v->close(p[1]));
}
