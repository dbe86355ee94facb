/*
 * t_ext2fs_xattr.c — extended attributes of the ext2/ext3/ext4 driver
 * against the oracles: attributes written through rumpk (small ones in
 * the inode, big ones in the block, many on one file; user., trusted.,
 * security.) pass `e2fsck -fn`, read back through debugfs (ea_list,
 * ea_get) and through the Linux kernel's own driver (loop mount, then
 * getfattr -d -m-); attributes that mke2fs -d copied from a host tree
 * read back through rumpk; a block Linux shares between inodes is copied
 * before it changes and freed with its last user; a full image refuses
 * a new attribute block with ENOSPC and nothing else; power cuts while
 * attributes change on journaled ext4 leave fsync'd ones there and
 * e2fsck clean; corrupt attribute
 * blocks and in-inode areas give EUCLEAN, never a crash.  Cases needing
 * root, a loop device or host xattrs skip visibly.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdbool.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>

#include "e2fs_util.h"
#include "rumpuser_fault.h"
#include "harness.h"

/* snprintf into buf that fails the case when the result does not fit. */
#define FMT(buf, size, ...)                                                    \
	do {                                                                   \
		if ((size_t)snprintf(buf, size, __VA_ARGS__) >=                \
		    (size_t)(size))                                            \
			T_FAIL("too long for %s", #buf);                       \
	} while (0)

#define MNT  E2_MNT
#define TREE MNT "/tree"

static char img[256], src[300], out[300];

/* Removes the case's files (by hand: a failing case leaves them). */
static void
cleanup(void)
{
	char cmd[1200];

	FMT(cmd, sizeof(cmd), "rm -rf '%s' '%s' '%s'", src, out, img);
	if (img[0])
		(void)system(cmd);
}

/* Whether the attr package's getfattr and setfattr are there. */
static bool
have_attr_tools(void)
{
	return system("command -v getfattr >/dev/null 2>&1 && "
	              "command -v setfattr >/dev/null 2>&1") == 0;
}

/* ------------------------------------------------------------ the spec */

/* Deterministic bytes of a value. */
static void
xval(unsigned char *buf, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (unsigned char)(seed >> 16);
	}
}

struct xattr_spec {
	char xs_name[256];
	size_t xs_len;
	unsigned xs_seed;
};

struct file_spec {
	char fs_path[64]; /* under the tree */
	char fs_type;     /* 'f' file, 'd' directory, 'l' symlink */
	int fs_n;
	struct xattr_spec fs_x[80];
};

static struct file_spec spec[12];
static int nspec;

static struct file_spec *
spec_file(const char *path, char type)
{
	struct file_spec *f = &spec[nspec++];

	T_ASSERT(nspec <= (int)(sizeof(spec) / sizeof(spec[0])));
	memset(f, 0, sizeof(*f));
	FMT(f->fs_path, sizeof(f->fs_path), "%s", path);
	f->fs_type = type;
	return f;
}

static void
spec_attr(struct file_spec *f, const char *name, size_t len)
{
	struct xattr_spec *x = &f->fs_x[f->fs_n++];

	T_ASSERT(f->fs_n <= (int)(sizeof(f->fs_x) / sizeof(f->fs_x[0])));
	FMT(x->xs_name, sizeof(x->xs_name), "%s", name);
	x->xs_len = len;
	x->xs_seed = (unsigned)(nspec * 1000 + f->fs_n);
}

/*
 * The tree's attributes for a block size: small ones that fit in a
 * 256-byte inode, values of half a block that need the block, a file
 * with as many as a block holds, symlinks and directories with some.
 * trusted.* only as root (the host needs it for mke2fs -d trees).
 */
static void
spec_make(unsigned bsize, bool trusted)
{
	struct file_spec *f;
	char name[256];

	nspec = 0;
	f = spec_file("small", 'f');
	spec_attr(f, "user.a", 5);
	spec_attr(f, "security.s", 8);
	f = spec_file("big", 'f');
	spec_attr(f, "user.big", bsize / 2);
	spec_attr(f, "user.tiny", 1);
	f = spec_file("many", 'f');
	for (unsigned i = 0; i < bsize / 64; i++) {
		FMT(name, sizeof(name), "%s.attr%03u",
		    trusted && i % 3 == 1 ? "trusted"
		        : i % 3 == 2      ? "security"
		                          : "user",
		    i);
		spec_attr(f, name, 4 + i % 9);
	}
	f = spec_file("empty", 'f');
	spec_attr(f, "user.empty", 0);
	f = spec_file("long", 'f');
	memset(name, 'L', 255);
	memcpy(name, "user.", 5);
	name[255] = '\0';
	spec_attr(f, name, 3);
	f = spec_file("dir", 'd');
	spec_attr(f, "user.d", 2);
	spec_attr(f, "security.big", bsize / 3);
	f = spec_file("none", 'f');
	if (trusted) {
		f = spec_file("fastlink", 'l');
		spec_attr(f, "trusted.link", bsize / 2);
		f = spec_file("mixed", 'f');
		spec_attr(f, "trusted.t", 6);
		spec_attr(f, "trusted.big", bsize / 4);
		spec_attr(f, "user.u", 7);
	}
}

/* ------------------------------------------------------------ checkers */

/* The names in a list, split in place; returns how many. */
static int
split_list(char *list, ssize_t len, char **names, int max)
{
	int n = 0;

	for (ssize_t i = 0; i < len; i += (ssize_t)strlen(list + i) + 1) {
		T_ASSERT(n < max);
		names[n++] = list + i;
	}
	return n;
}

/*
 * What rumpk shows of the tree at root matches the spec exactly: the
 * names listed and each value.
 */
static void
check_rump(const char *root)
{
	static char list[65536];
	static unsigned char want[65536], got[65536];
	char path[512], *names[128];

	for (int i = 0; i < nspec; i++) {
		struct file_spec *f = &spec[i];
		ssize_t n;
		int nn;

		FMT(path, sizeof(path), "%s/%s", root, f->fs_path);
		T_OK(n = rump_sys_llistxattr(path, list, sizeof(list)));
		nn = split_list(list, n, names, 128);
		if (nn != f->fs_n)
			T_FAIL("%s: %d attributes listed, %d set", path, nn,
			    f->fs_n);
		for (int k = 0; k < f->fs_n; k++) {
			struct xattr_spec *x = &f->fs_x[k];
			bool listed = false;

			for (int j = 0; j < nn; j++)
				listed |= strcmp(names[j], x->xs_name) == 0;
			if (!listed)
				T_FAIL("%s: %s not listed", path, x->xs_name);
			xval(want, x->xs_len, x->xs_seed);
			n = rump_sys_lgetxattr(
			    path, x->xs_name, got, sizeof(got));
			if (n != (ssize_t)x->xs_len ||
			    memcmp(got, want, x->xs_len) != 0)
				T_FAIL("%s: %s reads back wrong (%zd: %s)",
				    path, x->xs_name, n,
				    n < 0 ? strerror(errno) : "bytes");
		}
	}
}

/* Writes the tree and its attributes through rumpk, with some churn. */
static void
write_rump(const char *root)
{
	static unsigned char val[65536];
	char path[512];
	int fd;

	if (rump_sys_mkdir(root, 0755) == -1)
		T_FAIL("mkdir %s: %s", root, strerror(errno));
	for (int i = 0; i < nspec; i++) {
		struct file_spec *f = &spec[i];

		FMT(path, sizeof(path), "%s/%s", root, f->fs_path);
		if (f->fs_type == 'd') {
			T_OK(rump_sys_mkdir(path, 0755));
		} else if (f->fs_type == 'l') {
			T_OK(rump_sys_symlink("small", path));
		} else {
			T_OK(
			    fd = rump_sys_open(path, O_WRONLY | O_CREAT, 0644));
			T_EQ(rump_sys_write(fd, f->fs_path, 3), 3);
			T_OK(rump_sys_close(fd));
		}
		/* Churn: what moves between inode and block and goes. */
		xval(val, sizeof(val), 77);
		T_OK(rump_sys_lsetxattr(
		    path, "trusted.churn", val, 900, XATTR_CREATE));
		T_OK(rump_sys_lsetxattr(path, "trusted.churn", val, 9, 0));
		for (int k = 0; k < f->fs_n; k++) {
			struct xattr_spec *x = &f->fs_x[k];

			/* First a value of another length, then the real one.
			 */
			T_OK(rump_sys_lsetxattr(path, x->xs_name, val,
			    x->xs_len > 40 ? 10 : 100, 0));
			xval(val, x->xs_len, x->xs_seed);
			if (rump_sys_lsetxattr(path, x->xs_name, val, x->xs_len,
			        XATTR_REPLACE) == -1)
				T_FAIL("%s: set %s (%zu bytes): %s", path,
				    x->xs_name, x->xs_len, strerror(errno));
			xval(val, sizeof(val), 77);
		}
		T_OK(rump_sys_lremovexattr(path, "trusted.churn"));
	}
}

/* debugfs reads every attribute of the spec from the image. */
static void
check_debugfs(const char *img, const char *dir)
{
	static char listing[65536];
	static unsigned char want[65536], got[65536];
	char tmp[300];

	FMT(tmp, sizeof(tmp), "%s.ea", img);
	for (int i = 0; i < nspec; i++) {
		struct file_spec *f = &spec[i];

		T_EQ(e2_run(listing, sizeof(listing),
		         "debugfs -R 'ea_list %s/%s' '%s'", dir, f->fs_path,
		         img),
		    0);
		for (int k = 0; k < f->fs_n; k++) {
			struct xattr_spec *x = &f->fs_x[k];
			int fd;
			ssize_t n;

			if (strstr(listing, x->xs_name) == NULL)
				T_FAIL("debugfs ea_list %s: no %s in\n%s",
				    f->fs_path, x->xs_name, listing);
			unlink(tmp);
			T_EQ(e2_run(NULL, 0,
			         "debugfs -R 'ea_get -f %s %s/%s %s' '%s' "
			         ">/dev/null 2>&1",
			         tmp, dir, f->fs_path, x->xs_name, img),
			    0);
			T_OK(fd = open(tmp, O_RDONLY));
			n = read(fd, got, sizeof(got));
			close(fd);
			xval(want, x->xs_len, x->xs_seed);
			if (n != (ssize_t)x->xs_len ||
			    memcmp(got, want, x->xs_len) != 0)
				T_FAIL("debugfs ea_get %s %s: %zd bytes, "
				       "wrong",
				    f->fs_path, x->xs_name, n);
		}
	}
	unlink(tmp);
}

static int
hexval(int c)
{
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/*
 * A getfattr -R -h -d -m- -e hex dump of the tree (Linux's view, made
 * by the caller) lists exactly the spec's attributes with its values.
 */
static void
check_getfattr(const char *dump)
{
	static unsigned char want[65536], got[65536];
	char line[140000], cur[512] = "";
	int seen[12][80];
	FILE *fp;

	memset(seen, 0, sizeof(seen));
	T_ASSERT((fp = fopen(dump, "r")) != NULL);
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *eq;
		int fi = -1, xi = -1;
		size_t n = 0;

		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "# file: ", 8) == 0) {
			const char *p = line + 8;

			if (strncmp(p, "./", 2) == 0)
				p += 2;
			FMT(cur, sizeof(cur), "%s", p);
			continue;
		}
		if (line[0] == '\0' || (eq = strchr(line, '=')) == NULL)
			continue;
		*eq = '\0';
		for (int i = 0; i < nspec; i++)
			if (strcmp(spec[i].fs_path, cur) == 0)
				fi = i;
		if (fi < 0)
			T_FAIL(
			    "getfattr: %s has %s, not in the spec", cur, line);
		for (int k = 0; k < spec[fi].fs_n; k++)
			if (strcmp(spec[fi].fs_x[k].xs_name, line) == 0)
				xi = k;
		if (xi < 0)
			T_FAIL(
			    "getfattr: %s has %s, not in the spec", cur, line);
		T_ASSERT(strncmp(eq + 1, "0x", 2) == 0);
		for (char *h = eq + 3; h[0] && h[1]; h += 2)
			got[n++] =
			    (unsigned char)(hexval(h[0]) << 4 | hexval(h[1]));
		xval(want, spec[fi].fs_x[xi].xs_len, spec[fi].fs_x[xi].xs_seed);
		if (n != spec[fi].fs_x[xi].xs_len || memcmp(got, want, n) != 0)
			T_FAIL("getfattr: %s %s differs (%zu bytes)", cur, line,
			    n);
		seen[fi][xi] = 1;
	}
	fclose(fp);
	for (int i = 0; i < nspec; i++)
		for (int k = 0; k < spec[i].fs_n; k++)
			if (!seen[i][k])
				T_FAIL("getfattr: %s lacks %s", spec[i].fs_path,
				    spec[i].fs_x[k].xs_name);
}

/* ----------------------------------------------------- written by us */

static void
write_check(const char *type, unsigned bsize, const char *extra)
{
	char cmd[1000], dump[300];
	int st;

	e2_need_tools();
	e2_image_path(img, sizeof(img), "xw");
	FMT(out, sizeof(out), "%s.mnt", img);
	spec_make(bsize, true);
	e2_mkfs(img, type, bsize, extra, "64M");
	e2_boot();
	e2_register(img);
	e2_mount(type, 0);
	write_rump(TREE);
	check_rump(TREE);
	e2_umount();
	e2_fsck(img);
	e2_mount(type, MS_RDONLY);
	check_rump(TREE);
	e2_umount();
	check_debugfs(img, "/tree");
	if (geteuid() != 0) {
		cleanup();
		T_SKIP("written and checked by e2fsck and debugfs; not root: "
		       "no loop mount for Linux's reading");
	}
	if (!have_attr_tools()) {
		cleanup();
		T_SKIP("checked by e2fsck and debugfs; no getfattr (package "
		       "attr) for Linux's reading");
	}
	T_OK(mkdir(out, 0755));
	/* Mounted only for the dump, so a failure leaves no mount behind. */
	FMT(dump, sizeof(dump), "%s.getfattr", img);
	st = e2_run(cmd, sizeof(cmd),
	    "mount -t %s -o loop,ro '%s' '%s' || exit 99; "
	    "(cd '%s/tree' && getfattr -R -h -d -m- -e hex .) > '%s'; r=$?; "
	    "umount '%s'; exit $r",
	    type, img, out, out, dump, out);
	if (st == 99) {
		cleanup();
		T_SKIP("checked by e2fsck and debugfs; mount -o loop,ro is "
		       "not allowed here: %s",
		    cmd);
	}
	if (st != 0)
		T_FAIL("getfattr on Linux's mount failed (%d): %s", st, cmd);
	check_getfattr(dump);
	unlink(dump);
	cleanup();
}

T_CASE(write_ext4_4k,
    "attributes written on ext4 (4 KiB, metadata_csum) pass e2fsck, "
    "debugfs and Linux (getfattr) read them")
{
	write_check("ext4", 4096, NULL);
}

T_CASE(write_ext4_1k, "the same on ext4 with 1 KiB blocks")
{
	write_check("ext4", 1024, NULL);
}

T_CASE(write_ext3_4k, "the same on ext3 (no metadata_csum)")
{
	write_check("ext3", 4096, NULL);
}

T_CASE(write_ext2_128,
    "the same on ext2 with 128-byte inodes (every attribute in the "
    "block) and without ext_attr at first")
{
	/* Everything in the block; the first one turns ext_attr on. */
	write_check("ext2", 4096, "-I 128 -O ^ext_attr");
}

T_CASE(full_image,
    "on a full image an attribute that needs a new block is ENOSPC and "
    "changes nothing; in-inode ones still fit; e2fsck agrees")
{
	static char buf[65536];
	char got[16];
	int fd;
	ssize_t n;

	e2_need_tools();
	e2_image_path(img, sizeof(img), "xf");
	e2_mkfs(img, "ext4", 1024, "-m 0", "4M");
	e2_boot();
	e2_register(img);
	e2_mount("ext4", 0);
	T_OK(rump_sys_mknod(MNT "/f", S_IFREG | 0644, 0));
	T_OK(fd = rump_sys_open(MNT "/fill", O_WRONLY | O_CREAT, 0644));
	while ((n = rump_sys_write(fd, buf, sizeof(buf))) > 0)
		continue;
	T_EQ(errno, ENOSPC);
	while (rump_sys_write(fd, buf, 1024) > 0)
		continue;
	T_OK(rump_sys_close(fd));
	T_ERRNO(rump_sys_setxattr(MNT "/f", "user.big", buf, 600, 0), ENOSPC);
	T_ERRNO(rump_sys_getxattr(MNT "/f", "user.big", NULL, 0), ENODATA);
	T_EQ(rump_sys_listxattr(MNT "/f", NULL, 0), 0);
	T_OK(rump_sys_setxattr(MNT "/f", "user.s", "small", 5, 0));
	T_EQ(rump_sys_getxattr(MNT "/f", "user.s", got, sizeof(got)), 5);
	e2_umount();
	e2_fsck(img);
	e2_mount("ext4", 0);
	T_OK(rump_sys_unlink(MNT "/fill"));
	T_OK(rump_sys_setxattr(MNT "/f", "user.big", buf, 600, 0));
	T_EQ(rump_sys_getxattr(MNT "/f", "user.big", NULL, 0), 600);
	e2_umount();
	e2_fsck(img);
	cleanup();
}

/* -------------------------------------------- made by mke2fs -d */

/* Whether the host directory takes user xattrs. */
static bool
host_has_xattrs(const char *dir)
{
	char p[400];
	int fd, r;

	FMT(p, sizeof(p), "%s/.probe", dir);
	if ((fd = open(p, O_WRONLY | O_CREAT, 0600)) == -1)
		return false;
	r = fsetxattr(fd, "user.probe", "x", 1, 0);
	close(fd);
	unlink(p);
	return r == 0;
}

static void
read_mkfs_d(const char *type, unsigned bsize)
{
	static unsigned char val[65536];
	bool root = geteuid() == 0;
	char path[512], extra[400];

	e2_need_tools();
	e2_image_path(img, sizeof(img), "xr");
	FMT(src, sizeof(src), "%s.src", img);
	T_OK(mkdir(src, 0755));
	if (!host_has_xattrs(src)) {
		cleanup();
		T_SKIP("the host's %s takes no user xattrs", src);
	}
	spec_make(bsize, root);
	for (int i = 0; i < nspec; i++) {
		struct file_spec *f = &spec[i];

		FMT(path, sizeof(path), "%s/%s", src, f->fs_path);
		if (f->fs_type == 'd')
			T_OK(mkdir(path, 0755));
		else if (f->fs_type == 'l')
			T_OK(symlink("small", path));
		else
			close(open(path, O_WRONLY | O_CREAT, 0644));
		for (int k = 0; k < f->fs_n; k++) {
			xval(val, f->fs_x[k].xs_len, f->fs_x[k].xs_seed);
			if (lsetxattr(path, f->fs_x[k].xs_name, val,
			        f->fs_x[k].xs_len, 0) == -1)
				T_FAIL("host setxattr %s %s: %s", path,
				    f->fs_x[k].xs_name, strerror(errno));
		}
	}
	FMT(extra, sizeof(extra), "-d '%s'", src);
	e2_mkfs(img, type, bsize, extra, "64M");
	e2_fsck(img);
	e2_boot();
	e2_register(img);
	e2_mount(type, MS_RDONLY);
	check_rump(MNT);
	e2_umount();
	/* Read-write: change each file's set, and e2fsck still agrees. */
	e2_mount(type, 0);
	for (int i = 0; i < nspec; i++) {
		struct file_spec *f = &spec[i];

		FMT(path, sizeof(path), "%s/%s", MNT, f->fs_path);
		if (f->fs_n == 0)
			continue;
		T_OK(rump_sys_lremovexattr(path, f->fs_x[0].xs_name));
		f->fs_x[0] = f->fs_x[--f->fs_n];
		if (f->fs_type == 'l')
			continue;
		spec_attr(f, "user.added", 20);
		xval(val, 20, f->fs_x[f->fs_n - 1].xs_seed);
		T_OK(rump_sys_lsetxattr(path, "user.added", val, 20, 0));
	}
	check_rump(MNT);
	e2_umount();
	e2_fsck(img);
	cleanup();
}

T_CASE(read_mkfs_d_ext4,
    "attributes set on a host tree and copied by mke2fs -d (ext4, "
    "4 KiB) read back through rumpk; then changed, e2fsck agrees")
{
	read_mkfs_d("ext4", 4096);
}

T_CASE(read_mkfs_d_ext2, "the same on ext2 with 1 KiB blocks")
{
	read_mkfs_d("ext2", 1024);
}

/* ------------------------------------------- a block Linux shares */

/* The File ACL block of path in img, from debugfs. */
static unsigned long
acl_block(const char *path)
{
	char buf[8192], *p;

	T_EQ(e2_run(buf, sizeof(buf), "debugfs -R 'stat %s' '%s'", path, img),
	    0);
	if ((p = strstr(buf, "File ACL: ")) == NULL)
		T_FAIL("debugfs stat %s: no File ACL in\n%s", path, buf);
	return strtoul(p + 10, NULL, 10);
}

static void
remount_fsck(void)
{
	e2_umount();
	e2_fsck(img);
	e2_mount("ext4", 0);
}

T_CASE(shared_block,
    "a block Linux shares among three inodes: changing one copies it, "
    "emptying one drops a reference, the last user frees it")
{
	static unsigned char val[3000], got[3000];
	char cmd[2000];
	unsigned long b;

	e2_need_tools();
	if (geteuid() != 0)
		T_SKIP("not root: no loop mount for Linux to share a block");
	if (!have_attr_tools())
		T_SKIP("no setfattr (package attr)");
	e2_image_path(img, sizeof(img), "xs");
	FMT(out, sizeof(out), "%s.mnt", img);
	e2_mkfs(img, "ext4", 4096, NULL, "32M");
	T_OK(mkdir(out, 0755));
	xval(val, sizeof(val), 5);
	/* The same big attribute on a, b and c: mbcache shares the block. */
	{
		char hexf[300];
		FILE *hf;

		FMT(hexf, sizeof(hexf), "%s.hex", img);
		T_ASSERT((hf = fopen(hexf, "w")) != NULL);
		for (size_t i = 0; i < sizeof(val); i++)
			fprintf(hf, "%02x", val[i]);
		fclose(hf);
		FMT(cmd, sizeof(cmd),
		    "mount -o loop '%s' '%s' || exit 1; for f in a b c; do "
		    "touch '%s'/$f && setfattr -n user.big -v 0x$(cat '%s') "
		    "'%s'/$f || r=1; done; umount '%s'; rm -f '%s'; exit $r",
		    img, out, out, hexf, out, out, hexf);
		if (e2_run(cmd, sizeof(cmd), "r=0; %s", cmd) != 0) {
			cleanup();
			T_SKIP("mount -o loop is not allowed here: %s", cmd);
		}
	}
	b = acl_block("/a");
	if (b == 0 || acl_block("/b") != b || acl_block("/c") != b) {
		cleanup();
		T_SKIP("Linux did not share the attribute block here");
	}
	e2_fsck(img);
	e2_boot();
	e2_register(img);
	e2_mount("ext4", 0);
	/* a changes (in the block: too big for the inode): a copy. */
	T_OK(rump_sys_setxattr(MNT "/a", "user.more", val, 200, 0));
	T_EQ(rump_sys_getxattr(MNT "/b", "user.more", NULL, 0), -1);
	remount_fsck();
	T_EQ(rump_sys_getxattr(MNT "/a", "user.big", got, sizeof(got)),
	    sizeof(val));
	T_ASSERT(memcmp(got, val, sizeof(val)) == 0);
	T_EQ(rump_sys_getxattr(MNT "/b", "user.big", got, sizeof(got)),
	    sizeof(val));
	T_ASSERT(memcmp(got, val, sizeof(val)) == 0);
	e2_umount();
	T_ASSERT(acl_block("/a") != b && acl_block("/a") != 0);
	T_EQ(acl_block("/b"), b);
	T_EQ(acl_block("/c"), b);
	e2_mount("ext4", 0);
	/* b empties its set: the shared block keeps c only. */
	T_OK(rump_sys_removexattr(MNT "/b", "user.big"));
	remount_fsck();
	T_EQ(rump_sys_listxattr(MNT "/b", NULL, 0), 0);
	T_EQ(rump_sys_getxattr(MNT "/c", "user.big", got, sizeof(got)),
	    sizeof(val));
	T_ASSERT(memcmp(got, val, sizeof(val)) == 0);
	/* c changes the value in place (the block is now its alone). */
	T_OK(rump_sys_setxattr(MNT "/c", "user.big", val + 1, 1000, 0));
	e2_umount();
	e2_fsck(img);
	T_EQ(acl_block("/b"), 0);
	T_EQ(acl_block("/c"), b);
	e2_mount("ext4", 0);
	/* The last users go: the blocks are freed (e2fsck counts them). */
	T_OK(rump_sys_unlink(MNT "/c"));
	T_OK(rump_sys_unlink(MNT "/a"));
	remount_fsck();
	e2_umount();
	e2_fsck(img);
	/* Linux reads what is left. */
	FMT(cmd, sizeof(cmd),
	    "mount -o loop,ro '%s' '%s' && getfattr -d -m- '%s/b'; r=$?; "
	    "umount '%s'; exit $r",
	    img, out, out, out);
	T_EQ(e2_run(NULL, 0, "%s", cmd), 0);
	cleanup();
}

/* ------------------------------------------------------ corrupt input */

/* The byte offset in the image of path's attribute block, and of its inode. */
static off_t
acl_offset(const char *path, unsigned bsize)
{
	return (off_t)acl_block(path) * bsize;
}

static off_t
inode_offset(const char *path, unsigned bsize)
{
	char buf[4096], *p;
	unsigned long blk, off;

	T_EQ(e2_run(buf, sizeof(buf), "debugfs -R 'imap %s' '%s'", path, img),
	    0);
	if ((p = strstr(buf, "located at block ")) == NULL ||
	    sscanf(p, "located at block %lu, offset %lx", &blk, &off) != 2)
		T_FAIL("debugfs imap %s: %s", path, buf);
	return (off_t)blk * bsize + (off_t)off;
}

static void
poke(off_t off, const void *bytes, size_t n)
{
	int fd;

	T_OK(fd = open(img, O_RDWR));
	T_EQ(pwrite(fd, bytes, n, off), (ssize_t)n);
	T_OK(close(fd));
}

static void
peek(off_t off, void *bytes, size_t n)
{
	int fd;

	T_OK(fd = open(img, O_RDONLY));
	T_EQ(pread(fd, bytes, n, off), (ssize_t)n);
	T_OK(close(fd));
}

/* Every call on path fails as corrupt (or, for list, at least fails). */
static void
expect_corrupt(const char *path, const char *name, const char *what)
{
	char buf[4096];
	ssize_t r;

	r = rump_sys_getxattr(path, name, buf, sizeof(buf));
	if (r != -1 || (errno != EUCLEAN && errno != EIO))
		T_FAIL("%s: getxattr gave %zd (%s), not EUCLEAN", what, r,
		    strerror(errno));
	r = rump_sys_listxattr(path, buf, sizeof(buf));
	if (r != -1 || (errno != EUCLEAN && errno != EIO))
		T_FAIL("%s: listxattr gave %zd (%s), not EUCLEAN", what, r,
		    strerror(errno));
	r = rump_sys_setxattr(path, "user.new", "x", 1, 0);
	if (r != -1 || (errno != EUCLEAN && errno != EIO))
		T_FAIL("%s: setxattr gave %zd (%s), not EUCLEAN", what, r,
		    strerror(errno));
	r = rump_sys_removexattr(path, name);
	if (r != -1 || (errno != EUCLEAN && errno != EIO))
		T_FAIL("%s: removexattr gave %zd (%s), not EUCLEAN", what, r,
		    strerror(errno));
}

/* Makes an image with /blk (attributes in a block) and /ib (in the inode). */
static void
corrupt_image(const char *extra)
{
	static unsigned char val[2000];

	e2_image_path(img, sizeof(img), "xc");
	e2_mkfs(img, "ext4", 4096, extra, "8M");
	e2_boot();
	e2_register(img);
	e2_mount("ext4", 0);
	xval(val, sizeof(val), 9);
	T_OK(rump_sys_mknod(MNT "/blk", S_IFREG | 0644, 0));
	T_OK(rump_sys_mknod(MNT "/ib", S_IFREG | 0644, 0));
	T_OK(rump_sys_setxattr(MNT "/blk", "user.big", val, sizeof(val), 0));
	T_OK(rump_sys_setxattr(MNT "/blk", "user.b2", val, 100, 0));
	T_OK(rump_sys_setxattr(MNT "/ib", "user.big", val, 30, 0));
	e2_umount();
	e2_fsck(img);
}

T_CASE(corrupt_block,
    "a corrupt attribute block (magic, h_blocks, refcount, offsets, "
    "sizes, names, no end mark, out of range, checksum) is EUCLEAN")
{
	static const struct {
		const char *what;
		unsigned off; /* in the block */
		uint32_t val;
		unsigned len;
	} bad[] = {
	    {"bad magic", 0, 0xEA010000, 4},
	    {"two blocks", 8, 2, 4},
	    {"no references", 4, 0, 4},
	    {"value offset past the block", 32 + 2, 0xFFF0, 2},
	    {"value offset into the entries", 32 + 2, 36, 2},
	    {"value size past the block", 32 + 8, 5000, 4},
	    {"value size over 64 KiB", 32 + 8, 0x7FFFFFFF, 4},
	    {"name length past the block", 32, 0xFF, 1},
	    {"value in another inode", 32 + 4, 12, 4},
	};
	unsigned char save[4096];
	off_t boff;

	e2_need_tools();
	corrupt_image("-O ^metadata_csum");
	boff = acl_offset("/blk", 4096);
	T_ASSERT(boff > 0);
	peek(boff, save, sizeof(save));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		poke(boff + bad[i].off, &bad[i].val, bad[i].len);
		e2_mount("ext4", 0);
		expect_corrupt(MNT "/blk", "user.big", bad[i].what);
		e2_umount();
		poke(boff, save, sizeof(save));
	}
	/*
	 * Two values on the same bytes, more than the block holds in all:
	 * each reads, but no change can lay them out again.
	 */
	{
		uint16_t offs;
		uint32_t size = 2040;
		char got[4096];

		memcpy(&offs, save + 52 + 2, 2); /* user.big's, second entry */
		poke(boff + 32 + 2, &offs, 2);   /* user.b2's, first */
		poke(boff + 32 + 8, &size, 4);
		e2_mount("ext4", 0);
		if (rump_sys_getxattr(
		        MNT "/blk", "user.b2", got, sizeof(got)) != 2040)
			T_FAIL("overlapping values: getxattr: %s (offs %u)",
			    strerror(errno), offs);
		T_ERRNO(rump_sys_setxattr(MNT "/blk", "user.new", "x", 1, 0),
		    EUCLEAN);
		T_ERRNO(rump_sys_setxattr(MNT "/blk", "user.new", got, 200, 0),
		    EUCLEAN);
		T_ERRNO(rump_sys_removexattr(MNT "/blk", "user.b2"), EUCLEAN);
		e2_umount();
		poke(boff, save, sizeof(save));
	}
	/* No end mark: entries all the way. */
	{
		unsigned char ff[4096 - 32];

		memset(ff, 0x11, sizeof(ff));
		poke(boff + 32, ff, sizeof(ff));
		e2_mount("ext4", 0);
		expect_corrupt(MNT "/blk", "user.big", "no end mark");
		/* Deleting the file leaves the bad block to e2fsck. */
		T_OK(rump_sys_unlink(MNT "/blk"));
		e2_umount();
		poke(boff, save, sizeof(save));
	}
	/* i_file_acl outside the file system. */
	T_EQ(e2_run(NULL, 0, "debugfs -w -R 'sif /ib file_acl 99999999' '%s'",
	         img),
	    0);
	e2_mount("ext4", 0);
	expect_corrupt(MNT "/ib", "user.none", "block out of range");
	e2_umount();
	cleanup();
}

T_CASE(corrupt_block_csum,
    "with metadata_csum, one changed byte of an attribute block is a "
    "checksum mismatch: EUCLEAN")
{
	unsigned char save[1];
	off_t boff;

	e2_need_tools();
	corrupt_image(NULL);
	boff = acl_offset("/blk", 4096);
	peek(boff + 4000, save, 1);
	save[0] ^= 0x40;
	poke(boff + 4000, save, 1);
	e2_mount("ext4", 0);
	expect_corrupt(MNT "/blk", "user.big", "checksum mismatch");
	e2_umount();
	cleanup();
}

T_CASE(corrupt_inode,
    "a corrupt in-inode attribute area (offsets, sizes, names, no end "
    "mark) is EUCLEAN")
{
	static const struct {
		const char *what;
		unsigned off; /* from the first entry */
		uint32_t val;
		unsigned len;
	} bad[] = {
	    {"value offset past the inode", 2, 0x0400, 2},
	    {"value offset into the entries", 2, 0, 2},
	    {"value size past the inode", 8, 200, 4},
	    {"name length past the inode", 0, 0xF0, 1},
	    {"value in another inode", 4, 12, 4},
	};
	unsigned char save[256], ff[92];
	off_t ioff, first;
	uint16_t extra;

	e2_need_tools();
	corrupt_image("-O ^metadata_csum -I 256");
	ioff = inode_offset("/ib", 4096);
	peek(ioff, save, sizeof(save));
	memcpy(&extra, save + 128, 2);
	first = ioff + 128 + extra + 4;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		poke(first + bad[i].off, &bad[i].val, bad[i].len);
		e2_mount("ext4", 0);
		expect_corrupt(MNT "/ib", "user.big", bad[i].what);
		e2_umount();
		poke(ioff, save, sizeof(save));
	}
	memset(ff, 0x22, sizeof(ff));
	poke(first, ff, (size_t)(ioff + 256 - first));
	e2_mount("ext4", 0);
	expect_corrupt(MNT "/ib", "user.big", "no end mark");
	e2_umount();
	cleanup();
}

/*
 * Random damage: bytes of the block and of the in-inode area flipped by
 * a seeded generator; each image is mounted and its attributes walked,
 * read, set and removed, and the file unlinked.  Anything may fail; the
 * kernel must not crash, and (with SAN=asan) not touch memory it should
 * not.
 */
T_CASE(corrupt_random,
    "seeded random damage to attribute blocks and areas: errors, never "
    "a crash (run it under ASan)")
{
	unsigned seed = 12345, rounds = getenv("E2_FULL") ? 2000 : 300;
	static char list[65536], val[65536];
	unsigned char *good, b;
	off_t boff, ioff, size;
	int fd;

	e2_need_tools();
	corrupt_image("-O ^metadata_csum -I 256");
	boff = acl_offset("/blk", 4096);
	ioff = inode_offset("/ib", 4096);
	/* The whole good image, to put back after each round's writes. */
	T_OK(fd = open(img, O_RDWR));
	T_OK(size = lseek(fd, 0, SEEK_END));
	T_ASSERT((good = malloc((size_t)size)) != NULL);
	T_EQ(pread(fd, good, (size_t)size, 0), size);
	for (unsigned r = 0; r < rounds; r++) {
		const char *path = r % 2 ? MNT "/blk" : MNT "/ib";
		unsigned nflip = 1 + r % 4;
		ssize_t n;

		for (unsigned k = 0; k < nflip; k++) {
			off_t at;

			seed = seed * 1103515245u + 12345u;
			/* Mostly the header and entries, sometimes values. */
			if (r % 2)
				at = boff +
				    (off_t)((seed >> 8) %
				        (seed & 1 ? 4096 : 160));
			else
				at = ioff + 128 + (off_t)((seed >> 8) % 128);
			b = good[at] ^ (unsigned char)(1u << ((seed >> 4) & 7));
			T_EQ(pwrite(fd, &b, 1, at), 1);
		}
		if (rump_sys_mount(E2_DEV, MNT, "ext4", 0, NULL) == 0) {
			n = rump_sys_listxattr(path, list, sizeof(list));
			for (ssize_t i = 0; n > 0 && i < n;
			     i += (ssize_t)strlen(list + i) + 1)
				(void)rump_sys_getxattr(
				    path, list + i, val, sizeof(val));
			(void)rump_sys_getxattr(path, "user.big", val, 10);
			(void)rump_sys_setxattr(path, "user.new", "x", 1, 0);
			(void)rump_sys_setxattr(
			    path, "user.big", val, 1000, XATTR_REPLACE);
			(void)rump_sys_removexattr(path, "user.b2");
			(void)rump_sys_unlink(path);
			T_OK(rump_sys_umount2(MNT, 0));
		}
		T_EQ(pwrite(fd, good, (size_t)size, 0), size);
	}
	T_OK(close(fd));
	free(good);
	fprintf(stderr, "  %u damaged images walked\n", rounds);
	cleanup();
}

/* ------------------------------------------------------ power cuts */

#define CUT_FILES 12

/* What the workload reports after each fsync. */
struct cut_rec {
	int cr_step;             /* phase * CUT_FILES + file */
	unsigned long long cr_w; /* block writes made when it returned */
};

/*
 * The workload of the crash sweep: files get a small (in-inode) and a
 * big (block) attribute and are fsync'd; then each loses the small one
 * and gets another big value, fsync'd again.  Each fsync reports its
 * step and the write count down the pipe: a step is durable when the
 * cut came after its writes.
 */
static void
cut_workload(int pfd)
{
	static unsigned char a[1500], b[1500];
	char path[64];
	int fd;

	xval(a, sizeof(a), 1);
	xval(b, sizeof(b), 2);
	for (int phase = 0; phase < 2; phase++) {
		for (int i = 0; i < CUT_FILES; i++) {
			struct cut_rec r = {phase * CUT_FILES + i, 0};

			FMT(path, sizeof(path), MNT "/f%02d", i);
			if (phase == 0) {
				T_OK(fd = rump_sys_open(
				         path, O_WRONLY | O_CREAT, 0644));
				T_OK(rump_sys_fsetxattr(
				    fd, "user.small", "s", 1, 0));
				T_OK(rump_sys_fsetxattr(
				    fd, "user.big", a, sizeof(a), 0));
			} else {
				T_OK(fd = rump_sys_open(path, O_RDONLY));
				T_OK(rump_sys_fremovexattr(fd, "user.small"));
				T_OK(rump_sys_fsetxattr(
				    fd, "user.big", b, sizeof(b), 0));
			}
			T_OK(rump_sys_fsync(fd));
			r.cr_w = rumpuser_fault_blkwrites();
			T_OK(rump_sys_close(fd));
			if (write(pfd, &r, sizeof(r)) != sizeof(r))
				_exit(3);
		}
	}
}

/*
 * Runs the workload in a child whose writes stop after limit (-1:
 * never); returns the last step that is durable (-1: none) and sets
 * *totalp to the writes of the whole run.
 */
static int
cut_run(long long limit, unsigned long long *totalp)
{
	struct cut_rec r;
	int p[2], st, last = -1;
	pid_t pid;

	T_OK(pipe(p));
	fflush(NULL);
	if ((pid = fork()) == 0) {
		char b[32];

		close(p[0]);
		if (limit >= 0) {
			FMT(b, sizeof(b), "%lld", limit);
			setenv("RUMP_BLK_WRITE_LIMIT", b, 1);
		}
		e2_boot();
		e2_register(img);
		e2_mount("ext4", 0);
		cut_workload(p[1]);
		(void)rump_sys_umount2(MNT, 0);
		r.cr_step = -1;
		r.cr_w = rumpuser_fault_blkwrites();
		if (write(p[1], &r, sizeof(r)) != sizeof(r))
			_exit(3);
		_exit(0);
	}
	T_ASSERT(pid > 0);
	close(p[1]);
	while (read(p[0], &r, sizeof(r)) == sizeof(r)) {
		if (r.cr_step < 0) {
			*totalp = r.cr_w;
			continue;
		}
		if (limit < 0 || r.cr_w <= (unsigned long long)limit)
			last = r.cr_step;
	}
	close(p[0]);
	T_EQ(waitpid(pid, &st, 0), pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		T_FAIL("the workload cut after %lld writes died (0x%x)", limit,
		    st);
	return last;
}

/*
 * After a cut: a fresh kernel replays the journal; every file whose
 * fsync was durable has its attributes (a first-phase file may show the
 * second phase's, which a later commit may have made durable too).
 */
static void
cut_verify(int last, long long cut)
{
	static unsigned char a[1500], b[1500], got[1500];
	pid_t pid;
	int st;

	xval(a, sizeof(a), 1);
	xval(b, sizeof(b), 2);
	fflush(NULL);
	if ((pid = fork()) == 0) {
		char path[64];

		e2_boot();
		e2_register(img);
		e2_mount("ext4", 0);
		for (int i = 0; i < CUT_FILES; i++) {
			bool p0 = last >= i, p1 = last >= CUT_FILES + i;
			ssize_t n, s;

			if (!p0)
				continue;
			FMT(path, sizeof(path), MNT "/f%02d", i);
			n = rump_sys_getxattr(
			    path, "user.big", got, sizeof(got));
			s = rump_sys_getxattr(path, "user.small", NULL, 0);
			if (n != (ssize_t)sizeof(got) ||
			    (memcmp(got, a, sizeof(a)) != 0 &&
			        memcmp(got, b, sizeof(b)) != 0))
				T_FAIL("cut %lld: %s: user.big lost (%zd)", cut,
				    path, n);
			if (p1 && (memcmp(got, b, sizeof(b)) != 0 || s != -1))
				T_FAIL("cut %lld: %s: the fsync'd change is "
				       "lost",
				    cut, path);
			if (!p1 && memcmp(got, a, sizeof(a)) == 0 && s != 1)
				T_FAIL(
				    "cut %lld: %s: user.small lost", cut, path);
		}
		e2_umount();
		_exit(0);
	}
	T_ASSERT(pid > 0);
	T_EQ(waitpid(pid, &st, 0), pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		T_FAIL("after a cut at write %lld: remount or check failed "
		       "(0x%x)",
		    cut, st);
}

T_CASE(crash_sweep,
    "power cuts after N block writes (sampled) while attributes are set "
    "and fsync'd on journaled ext4: the remount replays, fsync'd "
    "attributes are there, e2fsck clean")
{
	char base[300], cmd[700];
	unsigned long long w = 0, dummy;
	int n = getenv("E2_FULL") ? 120 : 30, last;
	uint32_t rnd = 777;

	e2_need_tools();
	e2_image_path(img, sizeof(img), "xk");
	FMT(base, sizeof(base), "%s.base", img);
	e2_mkfs(base, "ext4", 4096, "-J size=4", "32M");
	FMT(cmd, sizeof(cmd), "cp --sparse=always '%s' '%s'", base, img);
	T_EQ(system(cmd), 0);
	last = cut_run(-1, &w);
	T_EQ(last, 2 * CUT_FILES - 1);
	e2_fsck(img);
	T_ASSERT(w > 2 * CUT_FILES);
	for (int k = 0; k < n; k++) {
		long long cut;

		rnd = rnd * 1103515245u + 12345u;
		cut = (long long)(w * (unsigned long long)k / (unsigned)n +
		    (rnd >> 8) % (w / (unsigned)n + 1));
		T_EQ(system(cmd), 0);
		last = cut_run(cut, &dummy);
		cut_verify(last, cut);
		e2_fsck(img);
	}
	fprintf(stderr,
	    "  %llu writes, %d cuts: replayed, fsync'd attributes there, "
	    "e2fsck clean\n",
	    w, n);
	FMT(cmd, sizeof(cmd), "rm -f '%s' '%s'", base, img);
	(void)system(cmd);
}
