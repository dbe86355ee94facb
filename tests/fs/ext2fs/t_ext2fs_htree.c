/*
 * t_ext2fs_htree.c — hashed (htree, dir_index) directories of the ext4
 * driver against e2fsprogs and Linux: big directories made through rumpk
 * pass e2fsck -fn (which checks every leaf's hashes against the index in
 * pass 2) and parse in debugfs's htree dump, every name is found, and
 * Linux's own driver lists the same names; directories indexed by
 * mke2fs/e2fsck -D stay indexed and valid as names come and go; every
 * hash (legacy, half_md4, tea, signed and unsigned) agrees with
 * e2fsck's; readdir in block order misses nothing while leaves split
 * under it; corrupt index blocks give errors, never a crash.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>

#include "e2fs_util.h"
#include "harness.h"

#define MNT E2_MNT

static char img[256], work[300];

static void
cleanup(void)
{
	char cmd[700];

	if (work[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", work);
		(void)system(cmd);
	}
	if (img[0])
		unlink(img);
}

/* The i-th name of a test: of varied lengths, unique. */
static void
name_of(char *buf, size_t len, int i)
{
	static const char pad[] = "abcdefghijklmnopqrstuvwxyz0123456789";

	snprintf(buf, len, "n%d_%.*s", i, i % 29, pad);
}

static void
create_ok(const char *path)
{
	int fd = rump_sys_open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);

	if (fd == -1)
		T_FAIL("create %s: %s", path, strerror(errno));
	T_OK(rump_sys_close(fd));
}

/* debugfs's htree dump of path parses: its root and no complaint. */
static void
htree_ok(const char *path)
{
	static char out[1 << 20];
	int st;

	/* (debugfs looks for index checksums also without metadata_csum.) */
	st = e2_run(out, sizeof(out),
	    "debugfs -R 'htree %s' '%s' | grep -v 'space for checksum'", path,
	    img);
	if (st != 0 || strstr(out, "Root node dump") == NULL ||
	    strstr(out, "orrupt") != NULL || strstr(out, "while ") != NULL ||
	    strstr(out, "does not match") != NULL)
		T_FAIL("debugfs htree %s: %.400s", path, out);
}

/* The inode flags of path, from debugfs. */
static unsigned
iflags_of(const char *path)
{
	char out[4096], *p;
	int st;

	st = e2_run(out, sizeof(out), "debugfs -R 'stat %s' '%s'", path, img);
	if (st != 0 || (p = strstr(out, "Flags: 0x")) == NULL)
		T_FAIL("debugfs stat %s: %.300s", path, out);
	return (unsigned)strtoul(p + 7, NULL, 16);
}

#define EXT2_INDEX_FL 0x1000

/*
 * Writes the names 0..n-1 (name_of), sorted as sort(1) in the C locale
 * sorts them, to file.
 */
static void
names_file(const char *file, int n)
{
	char cmd[700], name[64];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "LC_ALL=C sort > '%s'", file);
	T_ASSERT((f = popen(cmd, "w")) != NULL);
	for (int i = 0; i < n; i++) {
		name_of(name, sizeof(name), i);
		fprintf(f, "%s\n", name);
	}
	T_EQ(pclose(f), 0);
}

/* Linux's driver lists dir of the image as the names 0..n-1 (root). */
static void
linux_lists(const char *dir, int n)
{
	char mnt[400], cmd[4000];

	if (geteuid() != 0) {
		fprintf(stderr, "  SKIP (part): not root, no loop mount\n");
		return;
	}
	snprintf(mnt, sizeof(mnt), "%s/mnt", work);
	T_OK(mkdir(mnt, 0755));
	if (e2_run(cmd, sizeof(cmd), "mount -o loop,ro '%s' '%s'", img, mnt)) {
		fprintf(stderr, "  SKIP (part): mount -o loop,ro: %s\n", cmd);
		return;
	}
	names_file(strcat(strcpy(cmd, work), "/want"), n);
	/* Each name looked up, through Linux's own htree code. */
	snprintf(cmd, sizeof(cmd),
	    "ls -f1 '%s%s' | grep -v -x -e . -e .. | LC_ALL=C sort > "
	    "'%s/got' && (cd '%s%s' && xargs -d '\\n' -a '%s/want' ls -d "
	    ">/dev/null); r=$?; umount '%s'; [ $r -eq 0 ] && cmp -s "
	    "'%s/got' '%s/want'",
	    mnt, dir, work, mnt, dir, work, mnt, work, work);
	if (system(cmd) != 0)
		T_FAIL("Linux lists or finds other names in %s", dir);
	fprintf(stderr, "  Linux lists and finds the same %d names\n", n);
}

/* Linux finds every name of the file names (one a line) in dir. */
static void
linux_finds(const char *dir, const char *names)
{
	char mnt[400], cmd[4000];

	if (geteuid() != 0) {
		fprintf(stderr, "  SKIP (part): not root, no loop mount\n");
		return;
	}
	snprintf(mnt, sizeof(mnt), "%s/mnt", work);
	(void)mkdir(mnt, 0755);
	if (e2_run(cmd, sizeof(cmd), "mount -o loop,ro '%s' '%s'", img, mnt)) {
		fprintf(stderr, "  SKIP (part): mount -o loop,ro: %s\n", cmd);
		return;
	}
	snprintf(cmd, sizeof(cmd),
	    "(cd '%s%s' && xargs -d '\\n' -a '%s' ls -d >/dev/null); r=$?; "
	    "umount '%s'; exit $r",
	    mnt, dir, names, mnt);
	if (system(cmd) != 0)
		T_FAIL("Linux does not find every name in %s", dir);
}

/*
 * n files made in one directory through rumpk; then e2fsck, debugfs's
 * htree, a lookup of every name and Linux's listing.
 */
static void
many(const char *type, unsigned bsize, int n)
{
	char path[128], name[64];
	struct stat st;
	uint64_t t0;

	e2_need_tools();
	e2_image_path(img, sizeof(img), "ht");
	snprintf(work, sizeof(work), "%s.d", img);
	T_OK(mkdir(work, 0755));
	snprintf(path, sizeof(path), "-N %d", n + 1000);
	e2_mkfs(img, type, bsize, path,
	    bsize == 1024        ? "400M"
	        : bsize == 65536 ? "2G"
	                         : "1G");
	e2_boot();
	e2_register(img);
	e2_mount(type, 0);
	T_OK(rump_sys_mkdir(MNT "/d", 0755));
	t0 = t_now_ns();
	for (int i = 0; i < n; i++) {
		name_of(name, sizeof(name), i);
		snprintf(path, sizeof(path), MNT "/d/%s", name);
		create_ok(path);
	}
	fprintf(stderr, "  %d creates: %.1f us each\n", n,
	    (double)(t_now_ns() - t0) / 1000.0 / n);
	e2_umount();
	e2_fsck(img);
	htree_ok("/d");
	T_ASSERT(iflags_of("/d") & EXT2_INDEX_FL);
	e2_mount(type, MS_RDONLY);
	for (int i = 0; i < n; i++) {
		name_of(name, sizeof(name), i);
		snprintf(path, sizeof(path), MNT "/d/%s", name);
		if (rump_sys_stat(path, &st) == -1)
			T_FAIL("stat %s: %s", path, strerror(errno));
	}
	T_ERRNO(rump_sys_stat(MNT "/d/absent", &st), ENOENT);
	e2_umount();
	linux_lists("/d", n);
	cleanup();
}

static int
nmany(void)
{
	return getenv("E2_FULL") ? 100000 : 20000;
}

T_CASE(many_4k,
    "20,000 files (100,000 with E2_FULL) in one ext4 4K directory: "
    "e2fsck, debugfs htree, lookups, Linux")
{
	many("ext4", 4096, nmany());
}

T_CASE(many_1k, "the same on ext4 with 1 KiB blocks (a 2-level index)")
{
	many("ext4", 1024, nmany());
}

/* Every create checksums whole 64 KiB blocks: fewer names here. */
T_CASE(many_64k,
    "6,000 names with 64 KiB blocks (rec_len of a whole block, 8,187 "
    "entries to a root; Linux cannot mount these)")
{
	many("ext4", 65536, 6000);
}

T_CASE(many_ext2, "the same on ext2, 1 KiB (indirect blocks, no checksums)")
{
	many("ext2", 1024, nmany());
}

/*
 * Each hash e2fsck knows, signed and unsigned: names with bytes past
 * 0x7f and of many lengths (past the 16 and 32 bytes a round of tea and
 * half_md4 take) entered through rumpk; e2fsck recomputes every name's
 * hash with its own code and checks it against the leaf's range, and
 * Linux (root) finds each name through the index by its own hash.
 */
T_CASE(hashes,
    "legacy, half_md4 and tea, signed and unsigned: e2fsck and Linux "
    "agree with every hash")
{
	static const char *const algs[] = {"legacy", "half_md4", "tea"};
	char path[400], name[300], names[400];
	struct stat st;
	FILE *f;

	e2_need_tools();
	e2_image_path(img, sizeof(img), "hh");
	snprintf(work, sizeof(work), "%s.d", img);
	T_OK(mkdir(work, 0755));
	snprintf(names, sizeof(names), "%s/names", work);
	e2_boot();
	for (int a = 0; a < 3; a++) {
		for (int uns = 0; uns < 2; uns++) {
			int n = 1500;

			e2_mkfs(img, "ext4", 1024, "-N 4096", "32M");
			T_EQ(e2_run(NULL, 0,
			         "debugfs -w -R 'ssv def_hash_version %s' '%s' "
			         "&& debugfs -w -R 'ssv flags %d' '%s'",
			         algs[a], img, uns ? 2 : 1, img),
			    0);
			e2_register(img);
			e2_mount("ext4", 0);
			T_OK(rump_sys_mkdir(MNT "/d", 0755));
			T_ASSERT((f = fopen(names, "w")) != NULL);
			for (int i = 0; i < n; i++) {
				int len = 1 + (i * 7) % 90;

				for (int j = 0; j < len; j++)
					name[j] = (char)(0x41 +
					    ((i * 31 + j * 17) % 190));
				snprintf(name + len, sizeof(name) - (size_t)len,
				    "%d", i);
				for (char *c = name; *c; c++)
					if (*c == '/' || *c == 0x7f)
						*c = 'x';
				snprintf(path, sizeof(path), MNT "/d/%s", name);
				create_ok(path);
				fprintf(f, "%s\n", name);
			}
			T_EQ(fclose(f), 0);
			e2_umount();
			e2_fsck(img);
			htree_ok("/d");
			linux_finds("/d", names);
			T_OK(rump_pub_etfs_remove(E2_DEV));
			fprintf(stderr, "  %s %s: e2fsck clean\n", algs[a],
			    uns ? "unsigned" : "signed");
		}
	}
	(void)st;
	cleanup();
}

/* Creates n empty files named name_of(0..n-1) in host directory dir. */
static void
host_names(const char *dir, int n)
{
	char path[1200], name[64];

	T_OK(mkdir(dir, 0755));
	for (int i = 0; i < n; i++) {
		int fd;

		name_of(name, sizeof(name), i);
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		T_OK(fd = open(path, O_WRONLY | O_CREAT, 0644));
		T_OK(close(fd));
	}
}

/* mke2fs -d fills a directory in time quadratic in its size. */
T_CASE(mkfs_indexed,
    "a 5,000-file (20,000 with E2_FULL) directory of mke2fs -d, indexed "
    "by e2fsck -D: names added and removed through rumpk, the index "
    "stays on and valid")
{
	char src[400], path[600], name[64];
	struct stat st;
	int n = getenv("E2_FULL") ? 20000 : 5000, extra = 5000;
	uint64_t t0 = t_now_ns();

	e2_need_tools();
	e2_image_path(img, sizeof(img), "hm");
	snprintf(work, sizeof(work), "%s.d", img);
	T_OK(mkdir(work, 0755));
	snprintf(src, sizeof(src), "%s/src", work);
	T_OK(mkdir(src, 0755));
	snprintf(path, sizeof(path), "%s/d", src);
	host_names(path, n);
	snprintf(path, sizeof(path), "-N 40000 -d '%s'", src);
	e2_mkfs(img, "ext4", 4096, path, "256M");
	T_ASSERT(e2_run(NULL, 0, "e2fsck -fyD '%s'", img) <= 1);
	htree_ok("/d");
	fprintf(stderr, "  mke2fs -d and e2fsck -D: %.1f s\n",
	    (double)(t_now_ns() - t0) / 1e9);
	e2_boot();
	e2_register(img);
	t0 = t_now_ns();
	e2_mount("ext4", 0);
	for (int i = n; i < n + extra; i++) {
		name_of(name, sizeof(name), i);
		snprintf(path, sizeof(path), MNT "/d/%s", name);
		create_ok(path);
	}
	for (int i = 0; i < n + extra; i += 3) {
		name_of(name, sizeof(name), i);
		snprintf(path, sizeof(path), MNT "/d/%s", name);
		T_OK(rump_sys_unlink(path));
	}
	T_OK(rump_sys_rename(MNT "/d/n1_a", MNT "/moved"));
	T_OK(rump_sys_mkdir(MNT "/d/sub", 0755));
	T_OK(rump_sys_rename(MNT "/d/sub", MNT "/sub2")); /* ".." changes */
	T_OK(rump_sys_rename(MNT "/sub2", MNT "/d/sub"));
	/* The indexed directory moves: ".." in its root block changes. */
	T_OK(rump_sys_mkdir(MNT "/p", 0755));
	T_OK(rump_sys_rename(MNT "/d", MNT "/p/d"));
	T_OK(rump_sys_stat(MNT "/p/d/..", &st));
	T_OK(rump_sys_rename(MNT "/p/d", MNT "/d"));
	T_OK(rump_sys_rename(MNT "/d", MNT "/p/d"));
	e2_umount();
	e2_fsck(img);
	e2_mount("ext4", 0);
	T_OK(rump_sys_rename(MNT "/p/d", MNT "/d"));
	e2_umount();
	fprintf(stderr, "  changes through rumpk: %.1f s\n",
	    (double)(t_now_ns() - t0) / 1e9);
	e2_fsck(img);
	htree_ok("/d");
	T_ASSERT(iflags_of("/d") & EXT2_INDEX_FL);
	e2_mount("ext4", MS_RDONLY);
	for (int i = 0; i < n + extra; i++) {
		name_of(name, sizeof(name), i);
		snprintf(path, sizeof(path), MNT "/d/%s", name);
		if (i % 3 == 0 || i == 1)
			T_ERRNO(rump_sys_stat(path, &st), ENOENT);
		else if (rump_sys_stat(path, &st) == -1)
			T_FAIL("stat %s: %s", path, strerror(errno));
	}
	T_OK(rump_sys_stat(MNT "/moved", &st));
	T_OK(rump_sys_stat(MNT "/d/sub/..", &st));
	e2_umount();
	cleanup();
}

/* Reads entries of fd until n are read (or the end); marks them seen. */
static int
read_some(int fd, int n, unsigned char *seen, int nseen)
{
	char buf[512];
	int got = 0;
	ssize_t len;

	while (
	    got < n && (len = rump_sys_getdents64(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off < len;) {
			struct dirent64 *e = (void *)(buf + off);
			int i;

			off += e->d_reclen;
			if (sscanf(e->d_name, "n%d_", &i) == 1 && i >= 0 &&
			    i < nseen)
				seen[i]++;
			got++;
		}
	}
	return got;
}

T_CASE(readdir_splits,
    "readdir across many leaf splits still returns every name that was "
    "there all along")
{
	char path[128], name[64];
	static unsigned char seen[3000];
	int n = 3000, fd;

	e2_need_tools();
	e2_image_path(img, sizeof(img), "hr");
	e2_mkfs(img, "ext4", 1024, "-N 16384", "64M");
	e2_boot();
	e2_register(img);
	e2_mount("ext4", 0);
	T_OK(rump_sys_mkdir(MNT "/d", 0755));
	for (int i = 0; i < n; i++) {
		name_of(name, sizeof(name), i);
		snprintf(path, sizeof(path), MNT "/d/%s", name);
		create_ok(path);
	}
	T_OK(fd = rump_sys_open(MNT "/d", O_RDONLY | O_DIRECTORY, 0));
	read_some(fd, n / 2, seen, n);
	/* Three times as many names again: nearly every leaf splits. */
	for (int i = 0; i < 3 * n; i++) {
		snprintf(path, sizeof(path), MNT "/d/m%d_%.*s", i, i % 40,
		    "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz");
		create_ok(path);
	}
	read_some(fd, 1 << 30, seen, n);
	T_OK(rump_sys_close(fd));
	for (int i = 0; i < n; i++)
		if (seen[i] == 0)
			T_FAIL("readdir missed n%d_", i);
	e2_umount();
	e2_fsck(img);
	cleanup();
}

/* ------------------------------------------------------ corrupt indexes */

static unsigned
rnd(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

static uint32_t
le32_at(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* Counts outcomes of the operations of a round. */
struct outcome {
	int oc_ok, oc_enoent, oc_euclean, oc_other;
};

static void
count_rv(struct outcome *oc, long rv, int ok_errno)
{
	if (rv != -1)
		oc->oc_ok++;
	else if (errno == ok_errno)
		oc->oc_enoent++;
	else if (errno == EUCLEAN || errno == EIO)
		oc->oc_euclean++;
	else
		oc->oc_other++;
}

/*
 * Rounds of seeded mutations of the index blocks (root and nodes) of a
 * 7,000-name directory: each mutated image is mounted, and names are
 * looked up, entered, removed and listed.  Errors are fine; a crash, a
 * hang or an unmount that fails is not.
 */
static void
index_mutations(bool csum, int rounds, unsigned seed)
{
	char path[128], name[64], out[1 << 16], *p;
	unsigned char *orig, *cur;
	uint64_t blocks[64];
	unsigned nblk = 0, bs = 1024, levels, count;
	struct outcome oc = {0, 0, 0, 0};
	size_t len = 12u << 20;
	int fd, n = 7000, refused = 0;

	e2_need_tools();
	e2_image_path(img, sizeof(img), "hc");
	e2_mkfs(img, "ext4", bs, csum ? "-N 7500" : "-N 7500 -O ^metadata_csum",
	    "12M");
	e2_boot();
	e2_register(img);
	e2_mount("ext4", 0);
	T_OK(rump_sys_mkdir(MNT "/d", 0755));
	for (int i = 0; i < n; i++) {
		name_of(name, sizeof(name), i);
		snprintf(path, sizeof(path), MNT "/d/%s", name);
		create_ok(path);
	}
	e2_umount();
	T_OK(rump_pub_etfs_remove(E2_DEV));
	e2_fsck(img);
	/* The index blocks: the root (logical 0) and, below it, nodes. */
	T_EQ(e2_run(out, sizeof(out),
	         "(debugfs -R 'blocks /d' '%s' 2>/dev/null)", img),
	    0);
	for (p = out; *p != '\0' && nblk < 64;) {
		char *end;
		unsigned long long b = strtoull(p, &end, 10);

		if (end == p) {
			p++;
			continue;
		}
		blocks[nblk++] = b;
		p = end;
	}
	T_ASSERT(nblk > 2);
	orig = malloc(len);
	cur = malloc(len);
	T_ASSERT(orig != NULL && cur != NULL);
	T_OK(fd = open(img, O_RDONLY));
	T_EQ(pread(fd, orig, len, 0), (ssize_t)len);
	close(fd);
	levels = orig[blocks[0] * bs + 24 + 6];
	count =
	    orig[blocks[0] * bs + 32 + 2] | orig[blocks[0] * bs + 33 + 2] << 8;
	T_EQ(levels, 1);
	fprintf(
	    stderr, "  root: %u entries, %u level(s) below\n", count, levels);

	for (int r = 0; r < rounds; r++) {
		unsigned s = seed + (unsigned)r * 7919u;
		int muts = 1 + (int)(rnd(&s) % 3);

		memcpy(cur, orig, len);
		for (int m = 0; m < muts; m++) {
			/* The root, or a node the root names. */
			unsigned which = rnd(&s) % (count + 1), off, span;
			uint64_t lb = 0;
			unsigned char *b;

			if (which > 0)
				lb = le32_at(orig + blocks[0] * bs + 32 +
				         8 * (which - 1) + 4) &
				    0x0fffffff;
			if (lb >= nblk)
				lb = 0;
			b = cur + blocks[lb] * bs;
			span = (lb == 0 ? 32 : 8) + 8 * 32 + 8;
			off = rnd(&s) % span;
			switch (rnd(&s) % 4) {
			case 0:
				b[off] ^= (unsigned char)(1u << (rnd(&s) % 8));
				break;
			case 1:
				b[off] = 0xff;
				break;
			case 2:
				b[off] = 0;
				break;
			default:
				b[off] = (unsigned char)(b[off] + 1);
				break;
			}
		}
		T_OK(fd = open(img, O_WRONLY | O_TRUNC));
		T_EQ(write(fd, cur, len), (ssize_t)len);
		close(fd);
		e2_register(img);
		if (rump_sys_mount(E2_DEV, MNT, "ext4", 0, NULL) == -1) {
			refused++;
			T_OK(rump_pub_etfs_remove(E2_DEV));
			continue;
		}
		for (int i = 0; i < 60; i++) {
			struct stat st;

			name_of(
			    name, sizeof(name), (int)(rnd(&s) % (unsigned)n));
			snprintf(path, sizeof(path), MNT "/d/%s", name);
			count_rv(&oc, rump_sys_stat(path, &st), ENOENT);
		}
		for (int i = 0; i < 40; i++) {
			snprintf(path, sizeof(path), MNT "/d/new%d_%d", r, i);
			fd = rump_sys_open(path, O_WRONLY | O_CREAT, 0644);
			count_rv(&oc, fd, ENOSPC);
			if (fd != -1)
				rump_sys_close(fd);
		}
		for (int i = 0; i < 40; i++) {
			name_of(
			    name, sizeof(name), (int)(rnd(&s) % (unsigned)n));
			snprintf(path, sizeof(path), MNT "/d/%s", name);
			count_rv(&oc, rump_sys_unlink(path), ENOENT);
		}
		if ((fd = rump_sys_open(MNT "/d", O_RDONLY | O_DIRECTORY, 0)) !=
		    -1) {
			char buf[4096];

			while (rump_sys_getdents64(fd, buf, sizeof(buf)) > 0)
				;
			rump_sys_close(fd);
		}
		if (rump_sys_umount2(MNT, 0) == -1)
			T_FAIL("round %d: unmount: %s", r, strerror(errno));
		T_OK(rump_pub_etfs_remove(E2_DEV));
	}
	fprintf(stderr,
	    "  %d rounds (%d refused): %d ok, %d ENOENT/ENOSPC, %d "
	    "EUCLEAN/EIO, "
	    "%d other\n",
	    rounds, refused, oc.oc_ok, oc.oc_enoent, oc.oc_euclean,
	    oc.oc_other);
	T_ASSERT(oc.oc_euclean > 0);
	T_EQ(oc.oc_other, 0);
	free(orig);
	free(cur);
	cleanup();
}

T_CASE(corrupt_index,
    "200 seeded mutations of dx_root/dx_node fields (no metadata_csum): "
    "errors, no crash")
{
	index_mutations(false, e2_corrupt_rounds(200), 5);
}

T_CASE(corrupt_index_csum,
    "50 mutations of index blocks with metadata_csum: checksum errors, "
    "no crash")
{
	index_mutations(true, e2_corrupt_rounds(50), 11);
}

/* ------------------------------------------------------ index depth */

/* The indirect levels of path's index, from debugfs. */
static int
levels_of(const char *path)
{
	char out[4096], *p;

	if (e2_run(out, sizeof(out), "debugfs -R 'htree %s' '%s' | head -8",
	        path, img) != 0 ||
	    (p = strstr(out, "Indirect levels: ")) == NULL)
		T_FAIL("debugfs htree %s: %.300s", path, out);
	return atoi(p + strlen("Indirect levels: "));
}

/*
 * Names of 250 bytes in 1 KiB blocks (3 to a leaf): with large_dir the
 * index grows a third level; without, the directory fills up (ENOSPC)
 * and stays valid.
 */
static void
deep(bool largedir)
{
	char path[300], name[260];
	int i, n = 36000, fd;

	e2_need_tools();
	e2_image_path(img, sizeof(img), "hd");
	e2_mkfs(img, "ext4", 1024,
	    largedir ? "-N 40000 -O large_dir" : "-N 40000", "200M");
	e2_boot();
	e2_register(img);
	e2_mount("ext4", 0);
	T_OK(rump_sys_mkdir(MNT "/d", 0755));
	memset(name, 'x', 250);
	name[250] = '\0';
	for (i = 0; i < n; i++) {
		int k = snprintf(name, sizeof(name), "%d_", i);

		name[k] = 'x';
		snprintf(path, sizeof(path), MNT "/d/%s", name);
		fd = rump_sys_open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd == -1) {
			if (largedir || errno != ENOSPC)
				T_FAIL("create %d: %s", i, strerror(errno));
			break;
		}
		T_OK(rump_sys_close(fd));
	}
	fprintf(stderr, "  %d names of 250 bytes\n", i);
	if (!largedir) {
		T_ASSERT(i < n && i > 10000);
		/* Full for this name, not for every use: a file elsewhere. */
		T_OK(
		    fd = rump_sys_open(MNT "/other", O_WRONLY | O_CREAT, 0644));
		T_OK(rump_sys_close(fd));
	}
	e2_umount();
	e2_fsck(img);
	htree_ok("/d");
	T_EQ(levels_of("/d"), largedir ? 2 : 1);
	cleanup();
}

T_CASE(deep_large_dir, "large_dir: the index grows to 3 levels, e2fsck clean")
{
	deep(true);
}

T_CASE(
    index_full, "without large_dir a 2-level index fills: ENOSPC, e2fsck clean")
{
	deep(false);
}

/* ------------------------------------------------------------ threads */

#define TH_N 3000

struct th {
	pthread_t t_thread;
	int t_id;
	int t_errors;
	char t_what[400];
};

static void
th_err(struct th *t, const char *what, const char *path)
{
	if (t->t_errors++ == 0)
		snprintf(t->t_what, sizeof(t->t_what), "%s %s: %s", what, path,
		    strerror(errno));
}

static void *
th_main(void *arg)
{
	struct th *t = arg;
	char p[128], q[128];
	struct stat st;
	int fd;

	for (int i = 0; i < TH_N; i++) {
		switch (t->t_id) {
		case 0: /* creates in /a, moves every 5th to /b */
			snprintf(p, sizeof(p), MNT "/a/c0_%d_long_name", i);
			if ((fd = rump_sys_open(
			         p, O_RDWR | O_CREAT | O_EXCL, 0644)) == -1) {
				th_err(t, "create", p);
				break;
			}
			rump_sys_close(fd);
			if (i % 5 == 0) {
				snprintf(q, sizeof(q), MNT "/b/r0_%d", i);
				if (rump_sys_rename(p, q) == -1)
					th_err(t, "rename", p);
			}
			/* An orphan: removed while open, then closed. */
			snprintf(p, sizeof(p), MNT "/a/o_%d", i);
			if ((fd = rump_sys_open(p, O_RDWR | O_CREAT, 0644)) ==
			        -1 ||
			    rump_sys_unlink(p) == -1 ||
			    rump_sys_write(fd, p, 8) != 8 ||
			    rump_sys_close(fd) == -1)
				th_err(t, "orphan", p);
			break;
		case 1: /* creates in /b, removes every 3rd again */
			snprintf(p, sizeof(p), MNT "/b/c1_%d", i);
			if ((fd = rump_sys_open(
			         p, O_RDWR | O_CREAT | O_EXCL, 0644)) == -1) {
				th_err(t, "create", p);
				break;
			}
			rump_sys_close(fd);
			if (i % 3 == 0 && rump_sys_unlink(p) == -1)
				th_err(t, "unlink", p);
			break;
		default: /* looks up names the others make */
			snprintf(p, sizeof(p), MNT "/a/c0_%d_long_name",
			    (i * 7) % TH_N);
			(void)rump_sys_stat(p, &st);
			snprintf(p, sizeof(p), MNT "/b/c1_%d", (i * 13) % TH_N);
			(void)rump_sys_stat(p, &st);
			if (i % 500 == 0 &&
			    (fd = rump_sys_open(
			         MNT "/a", O_RDONLY | O_DIRECTORY, 0)) != -1) {
				char buf[4096];

				while (rump_sys_getdents64(
				           fd, buf, sizeof(buf)) > 0)
					;
				rump_sys_close(fd);
			}
			break;
		}
	}
	return NULL;
}

T_CASE(threads,
    "3 threads: creates, renames between two indexed directories, "
    "removals, orphans and lookups at once; e2fsck clean, names right")
{
	struct th t[3];
	char p[128];
	struct stat st;

	e2_need_tools();
	e2_image_path(img, sizeof(img), "hx");
	e2_mkfs(img, "ext4", 1024, "-N 16384", "64M");
	e2_boot();
	e2_register(img);
	e2_mount("ext4", 0);
	T_OK(rump_sys_mkdir(MNT "/a", 0755));
	T_OK(rump_sys_mkdir(MNT "/b", 0755));
	for (int i = 0; i < 3; i++) {
		t[i].t_id = i;
		t[i].t_errors = 0;
		T_EQ(pthread_create(&t[i].t_thread, NULL, th_main, &t[i]), 0);
	}
	for (int i = 0; i < 3; i++) {
		T_EQ(pthread_join(t[i].t_thread, NULL), 0);
		if (t[i].t_errors != 0)
			T_FAIL("thread %d: %d errors, first: %s", i,
			    t[i].t_errors, t[i].t_what);
	}
	e2_umount();
	e2_fsck(img);
	htree_ok("/a");
	htree_ok("/b");
	e2_mount("ext4", MS_RDONLY);
	for (int i = 0; i < TH_N; i++) {
		snprintf(p, sizeof(p), MNT "/a/c0_%d_long_name", i);
		T_EQ(rump_sys_stat(p, &st) == 0, i % 5 != 0);
		snprintf(p, sizeof(p), MNT "/b/r0_%d", i);
		T_EQ(rump_sys_stat(p, &st) == 0, i % 5 == 0);
		snprintf(p, sizeof(p), MNT "/b/c1_%d", i);
		T_EQ(rump_sys_stat(p, &st) == 0, i % 3 != 0);
		snprintf(p, sizeof(p), MNT "/a/o_%d", i);
		T_ERRNO(rump_sys_stat(p, &st), ENOENT);
	}
	e2_umount();
	cleanup();
}

struct racer {
	pthread_t r_thread;
	int r_made, r_exist, r_other;
};

static void *
race_main(void *arg)
{
	struct racer *r = arg;
	char p[128];

	for (int i = 0; i < TH_N; i++) {
		int fd;

		snprintf(p, sizeof(p), MNT "/d/same_%d", i);
		fd = rump_sys_open(p, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd != -1) {
			r->r_made++;
			rump_sys_close(fd);
		} else if (errno == EEXIST) {
			r->r_exist++;
		} else {
			r->r_other++;
		}
	}
	return NULL;
}

T_CASE(same_names,
    "2 threads make the same names with O_EXCL in an indexed directory: "
    "each name once (EEXIST for the other), no duplicate entries")
{
	struct racer r[2];
	char buf[4096];
	long n = 0;
	int fd;
	ssize_t len;

	memset(r, 0, sizeof(r));
	e2_need_tools();
	e2_image_path(img, sizeof(img), "hs");
	e2_mkfs(img, "ext4", 1024, "-N 16384", "32M");
	e2_boot();
	e2_register(img);
	e2_mount("ext4", 0);
	T_OK(rump_sys_mkdir(MNT "/d", 0755));
	for (int i = 0; i < 2; i++)
		T_EQ(pthread_create(&r[i].r_thread, NULL, race_main, &r[i]), 0);
	for (int i = 0; i < 2; i++) {
		T_EQ(pthread_join(r[i].r_thread, NULL), 0);
		T_EQ(r[i].r_other, 0);
	}
	fprintf(stderr, "  made %d + %d, EEXIST %d + %d\n", r[0].r_made,
	    r[1].r_made, r[0].r_exist, r[1].r_exist);
	T_EQ(r[0].r_made + r[1].r_made, TH_N);
	T_EQ(r[0].r_exist + r[1].r_exist, TH_N);
	T_OK(fd = rump_sys_open(MNT "/d", O_RDONLY | O_DIRECTORY, 0));
	while ((len = rump_sys_getdents64(fd, buf, sizeof(buf))) > 0)
		for (ssize_t off = 0; off < len;) {
			struct dirent64 *e = (void *)(buf + off);

			n += strncmp(e->d_name, "same_", 5) == 0;
			off += e->d_reclen;
		}
	T_OK(rump_sys_close(fd));
	T_EQ(n, TH_N);
	e2_umount();
	e2_fsck(img); /* pass 2 reports duplicate entries */
	cleanup();
}
