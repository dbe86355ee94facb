/*
 * t_ext2fs_journal.c — the ext3/ext4 journal of the ext2fs driver
 * (kernel/fs/ext2fs/ext2fs_journal.c) against e2fsprogs and the Linux
 * kernel.
 *
 * Replay: journals written by debugfs (journal_write: descriptors,
 * escaped blocks, revokes, checksums v3, an uncommitted transaction) and
 * one made by hand that wraps around the end of the log are replayed by
 * our mount and by e2fsck -fy on a copy; the replayed blocks must match
 * byte for byte.  Journals that cannot be replayed are refused.
 *
 * Writing: a transaction our driver commits (fsync) is replayed from a
 * copy of the image taken before it is checkpointed, by e2fsck, by the
 * Linux kernel (mount -o loop, as root) and by our own mount.  Unmount
 * leaves an empty log and no needs_recovery.
 *
 * Crash consistency: a workload runs in a child with the platform's
 * fault switch (RUMP_BLK_WRITE_LIMIT, platform/posix/rumpuser_fault.h)
 * cutting the power after N writes, for N sampled over the workload's
 * write count; then the image is mounted again (replayed), every file
 * whose fsync returned before the cut must be intact, and e2fsck -fn must
 * be clean.  E2_FULL=1 samples more N.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdbool.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>

#include "e2fs_util.h"
#include "harness.h"
#include "rumpuser_fault.h"

#define MNT E2_MNT

static char img[256], cpy[300];

static void
rm_images(const char *base)
{
	(void)e2_run(NULL, 0, "rm -f '%s' '%s'.*", base, base);
}

/* Deterministic contents of test files. */
static void
pattern(unsigned char *buf, size_t len, unsigned seed)
{
	uint32_t x = seed * 2654435761u + 12345;

	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245u + 12345;
		buf[i] = (unsigned char)(x >> 16);
	}
}

/* Writes a host file of n bytes: fill(byte) or a pattern (fill < 0). */
static void
host_file(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(data, 1, n, f) != n || fclose(f) != 0)
		T_FAIL("writing %s", path);
}

/* Reads block blk (bsize bytes) of a host image. */
static void
img_block(const char *path, unsigned bsize, uint64_t blk, void *buf)
{
	int fd = open(path, O_RDONLY);

	if (fd == -1 ||
	    pread(fd, buf, bsize, (off_t)(blk * bsize)) != (ssize_t)bsize)
		T_FAIL(
		    "reading block %llu of %s", (unsigned long long)blk, path);
	close(fd);
}

static void
img_write(const char *path, uint64_t off, const void *buf, size_t n)
{
	int fd = open(path, O_WRONLY);

	if (fd == -1 || pwrite(fd, buf, n, (off_t)off) != (ssize_t)n)
		T_FAIL("writing %s at %llu", path, (unsigned long long)off);
	close(fd);
}

/* The file-system block of journal block n (debugfs bmap). */
static uint64_t
jblock(const char *path, unsigned n)
{
	char out[256];

	if (e2_run(out, sizeof(out), "debugfs -R 'bmap <8> %u' '%s' | tail -1",
	        n, path) != 0)
		T_FAIL("debugfs bmap <8> %u failed: %s", n, out);
	return strtoull(out, NULL, 10);
}

static bool
needs_recovery(const char *path)
{
	return e2_run(NULL, 0,
	           "dumpe2fs -h '%s' 2>/dev/null | grep -q needs_recovery",
	           path) == 0;
}

/* Journal start in the journal superblock (dumpe2fs "Journal start"). */
static long
journal_start(const char *path)
{
	char out[256];

	if (e2_run(out, sizeof(out),
	        "dumpe2fs -h '%s' 2>/dev/null | sed -n 's/^Journal start: "
	        "*//p'",
	        path) != 0)
		T_FAIL("dumpe2fs %s: %s", path, out);
	return strtol(out, NULL, 10);
}

/* cp src dst: a copy of an image, as a crash would leave it. */
static void
copy_image(const char *src, const char *dst)
{
	if (e2_run(NULL, 0, "cp --sparse=always '%s' '%s'", src, dst) != 0)
		T_FAIL("cp %s %s", src, dst);
}

/* Mounts a second image under key E2_DEV "2" at /mnt2 and unmounts it. */
static void
rumpk_replay(const char *path, const char *type, unsigned long flags)
{
	int error = rump_pub_etfs_register(E2_DEV "2", path, RUMP_ETFS_BLK);

	if (error)
		T_FAIL("etfs_register %s: %s", path, strerror(error));
	if (rump_sys_mkdir("/mnt2", 0755) == -1 && errno != EEXIST)
		T_FAIL("mkdir /mnt2");
	if (rump_sys_mount(E2_DEV "2", "/mnt2", type, flags, NULL) == -1)
		T_FAIL("mount %s (replay): %s", path, strerror(errno));
}

static void
rumpk_done(void)
{
	if (rump_sys_umount2("/mnt2", 0) == -1)
		T_FAIL("unmount /mnt2: %s", strerror(errno));
	if (rump_pub_etfs_remove(E2_DEV "2") != 0)
		T_FAIL("etfs_remove");
}

/* ---------------------------------------------------------- replay */

/*
 * debugfs writes four transactions: T1 logs blocks a (a pattern) and b
 * (which begins with the jbd2 magic, so it is escaped); T2 revokes a;
 * T3 logs c; T4 logs d but has no commit block.  Replayed: b and c; a
 * and d stay as they were.
 */
static void
replay_case(const char *type, unsigned bsize, const char *size,
    const char *jopen, unsigned long flags)
{
	unsigned char *d1, *d2, *got, *want;
	uint64_t blk[4], nblocks;
	char out[512];
	uint32_t magic = 0x98393bc0; /* JBD2_MAGIC, big-endian in memory */

	e2_need_tools();
	e2_image_path(img, sizeof(img), "jr");
	e2_mkfs(img, type, bsize, NULL, size);
	nblocks = strtoull(size, NULL, 10) * 1024 * 1024 / bsize;
	for (int i = 0; i < 4; i++)
		blk[i] = nblocks - 16 + (uint64_t)i; /* free, at the end */
	d1 = malloc(2 * bsize);
	d2 = malloc(bsize);
	got = malloc(bsize);
	want = malloc(bsize);
	T_ASSERT(d1 && d2 && got && want);
	pattern(d1, 2 * bsize, 1);
	memcpy(d1 + bsize, &magic, 4);
	pattern(d2, bsize, 2);
	snprintf(cpy, sizeof(cpy), "%s.d1", img);
	host_file(cpy, d1, 2 * bsize);
	snprintf(cpy, sizeof(cpy), "%s.d2", img);
	host_file(cpy, d2, bsize);
	if (e2_run(out, sizeof(out),
	        "printf '%%s\\n' '%s' 'jw -b %llu,%llu %s.d1' "
	        "'jw -r %llu /dev/null' 'jw -b %llu %s.d2' "
	        "'jw -b %llu -c %s.d2' 'jc' | debugfs -w -f - '%s' >/dev/null",
	        jopen, (unsigned long long)blk[0], (unsigned long long)blk[1],
	        img, (unsigned long long)blk[0], (unsigned long long)blk[2],
	        img, (unsigned long long)blk[3], img, img) != 0)
		T_FAIL("debugfs journal_write: %s", out);
	T_ASSERT(needs_recovery(img));
	T_ASSERT(journal_start(img) != 0);

	/* The oracle: e2fsck replays a copy. */
	snprintf(cpy, sizeof(cpy), "%s.e2", img);
	copy_image(img, cpy);
	(void)e2_run(out, sizeof(out), "e2fsck -fy '%s'", cpy);
	e2_fsck(cpy);

	e2_boot();
	e2_register(img);
	e2_mount(type, flags);
	e2_umount();
	e2_fsck(img);
	T_ASSERT(!needs_recovery(img));
	T_EQ(journal_start(img), 0);
	for (int i = 0; i < 4; i++) {
		img_block(img, bsize, blk[i], got);
		img_block(cpy, bsize, blk[i], want);
		if (memcmp(got, want, bsize) != 0)
			T_FAIL("block %llu differs from e2fsck's replay",
			    (unsigned long long)blk[i]);
	}
	img_block(img, bsize, blk[1], got);
	T_ASSERT(memcmp(got, d1 + bsize, bsize) == 0); /* unescaped */
	img_block(img, bsize, blk[2], got);
	T_ASSERT(memcmp(got, d2, bsize) == 0);
	img_block(img, bsize, blk[0], got);
	T_ASSERT(memcmp(got, d1, bsize) != 0); /* revoked */
	img_block(img, bsize, blk[3], got);
	T_ASSERT(memcmp(got, d2, bsize) != 0); /* not committed */
	rm_images(img);
}

T_CASE(replay_ext4_4k_csum,
    "debugfs' journal (csum v3, 64bit, escape, revoke, uncommitted) "
    "replays as e2fsck does; e2fsck -fn clean")
{
	replay_case("ext4", 4096, "16M", "jo -c", 0);
}

T_CASE(replay_ext4_1k_ro,
    "the same on a 1 KiB ext4 without journal checksums, replayed by a "
    "read-only mount")
{
	replay_case("ext4", 1024, "16M", "jo", MS_RDONLY);
}

T_CASE(replay_ext3_4k, "the same on ext3 (32-bit tags, no checksums)")
{
	replay_case("ext3", 4096, "16M", "jo", 0);
}

static void
put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static void
put_be16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

T_CASE(replay_wrap,
    "a transaction that wraps around the end of the log (made by hand) "
    "replays as e2fsck does")
{
	enum { BS = 4096, ML = 1024 };
	unsigned char blk[BS], got[BS], want[BS], x[BS], y[BS];
	uint64_t home[2] = {4096 - 20, 4096 - 19}, jb;

	e2_need_tools();
	e2_image_path(img, sizeof(img), "jw");
	e2_mkfs(img, "ext4", BS, "-J size=4", "16M");
	/* Journal blocks: desc at ML-2, data at ML-1 and 1, commit at 2. */
	pattern(x, BS, 3);
	pattern(y, BS, 4);
	memset(blk, 0, BS);
	put_be32(blk, 0xC03B3998);
	put_be32(blk + 4, 1); /* descriptor */
	put_be32(blk + 8, 7);
	put_be32(blk + 12, (uint32_t)home[0]);
	put_be16(blk + 18, 0);   /* flags: the UUID follows */
	memset(blk + 20, 0, 16); /* UUID (not checked) */
	put_be32(blk + 36, (uint32_t)home[1]);
	put_be16(blk + 42, 2 | 8); /* SAME_UUID | LAST_TAG */
	img_write(img, jblock(img, ML - 2) * BS, blk, BS);
	img_write(img, jblock(img, ML - 1) * BS, x, BS);
	img_write(img, jblock(img, 1) * BS, y, BS);
	memset(blk, 0, BS);
	put_be32(blk, 0xC03B3998);
	put_be32(blk + 4, 2); /* commit */
	put_be32(blk + 8, 7);
	img_write(img, jblock(img, 2) * BS, blk, BS);
	/* A stale commit of transaction 6 after it: not replayed. */
	put_be32(blk + 8, 6);
	img_write(img, jblock(img, 3) * BS, blk, BS);
	/* The journal superblock: s_sequence 7, s_start ML-2. */
	jb = jblock(img, 0);
	img_block(img, BS, jb, blk);
	T_EQ((blk[16] << 24 | blk[17] << 16 | blk[18] << 8 | blk[19]), ML);
	put_be32(blk + 0x18, 7);
	put_be32(blk + 0x1C, ML - 2);
	img_write(img, jb * BS, blk, BS);
	T_EQ(
	    e2_run(NULL, 0, "debugfs -w -R 'feature needs_recovery' '%s'", img),
	    0);
	snprintf(cpy, sizeof(cpy), "%s.e2", img);
	copy_image(img, cpy);
	(void)e2_run(NULL, 0, "e2fsck -fy '%s'", cpy);
	e2_fsck(cpy);
	img_block(cpy, BS, home[0], want);
	T_ASSERT(memcmp(want, x, BS) == 0); /* e2fsck agrees on the format */

	e2_boot();
	e2_register(img);
	e2_mount("ext4", 0);
	e2_umount();
	e2_fsck(img);
	for (int i = 0; i < 2; i++) {
		img_block(img, BS, home[i], got);
		img_block(cpy, BS, home[i], want);
		T_ASSERT(memcmp(got, want, BS) == 0);
	}
	img_block(img, BS, home[1], got);
	T_ASSERT(memcmp(got, y, BS) == 0);
	T_EQ(journal_start(img), 0);
	rm_images(img);
}

T_CASE(replay_refused,
    "a journal with a bad magic or an unknown feature is refused "
    "(EINVAL); a bad commit checksum ends the log where e2fsck ends it")
{
	unsigned char blk[4096], got[4096], want[4096], d[4096];
	uint64_t jb, home;

	e2_need_tools();
	e2_image_path(img, sizeof(img), "jx");
	e2_boot();
	e2_mkfs(img, "ext4", 4096, NULL, "16M");
	T_EQ(
	    e2_run(NULL, 0, "debugfs -w -R 'feature needs_recovery' '%s'", img),
	    0);
	jb = jblock(img, 0);
	img_block(img, 4096, jb, blk);
	memcpy(d, blk, 4096);
	blk[0] ^= 0xFF;
	img_write(img, jb * 4096, blk, 4096);
	e2_register(img);
	T_ERRNO(rump_sys_mount(E2_DEV, MNT, "ext4", 0, NULL), EINVAL);
	T_ERRNO(rump_sys_mount(E2_DEV, MNT, "ext4", MS_RDONLY, NULL), EINVAL);
	/* An unknown incompatible journal feature (no checksum here). */
	memcpy(blk, d, 4096);
	blk[0x2B] |= 0x80;
	img_write(img, jb * 4096, blk, 4096);
	T_ERRNO(rump_sys_mount(E2_DEV, MNT, "ext4", 0, NULL), EINVAL);
	/* norecovery still mounts it read-only. */
	T_OK(rump_sys_mount(E2_DEV, MNT, "ext4", MS_RDONLY, "norecovery"));
	e2_umount();
	T_OK(rump_pub_etfs_remove(E2_DEV));
	rm_images(img);

	/* Two transactions with checksums; the second's commit is bad. */
	e2_mkfs(img, "ext4", 4096, NULL, "16M");
	home = 4096 - 30;
	pattern(d, 4096, 9);
	snprintf(cpy, sizeof(cpy), "%s.d", img);
	host_file(cpy, d, 4096);
	T_EQ(e2_run(NULL, 0,
	         "printf '%%s\\n' 'jo -c' 'jw -b %llu %s' 'jw -b %llu %s' "
	         "jc | debugfs -w -f - '%s' >/dev/null",
	         (unsigned long long)home, cpy, (unsigned long long)home + 1,
	         cpy, img),
	    0);
	/* T1: desc at 1, data at 2, commit at 3; T2's commit at 6. */
	jb = jblock(img, 6);
	img_block(img, 4096, jb, blk);
	T_EQ(blk[7], 2); /* a commit block */
	blk[100] ^= 1;
	img_write(img, jb * 4096, blk, 4096);
	snprintf(cpy, sizeof(cpy), "%s.e2", img);
	copy_image(img, cpy);
	(void)e2_run(NULL, 0, "e2fsck -fy '%s'", cpy);
	e2_register(img);
	e2_mount("ext4", 0);
	e2_umount();
	e2_fsck(img);
	for (int i = 0; i < 2; i++) {
		img_block(img, 4096, home + (uint64_t)i, got);
		img_block(cpy, 4096, home + (uint64_t)i, want);
		T_ASSERT(memcmp(got, want, 4096) == 0);
	}
	img_block(img, 4096, home, got);
	T_ASSERT(memcmp(got, d, 4096) == 0);
	img_block(img, 4096, home + 1, got);
	T_ASSERT(memcmp(got, d, 4096) != 0);
	rm_images(img);
}

T_CASE(replay_corrupt,
    "journals with bytes flipped in their log blocks: the mount replays "
    "or refuses, never crashes")
{
	unsigned char blk[4096], d[8192];
	uint64_t jb[12];
	uint32_t rnd = 4242;
	int mounted = 0, refused = 0;

	e2_need_tools();
	e2_image_path(img, sizeof(img), "jz");
	e2_mkfs(img, "ext4", 4096, NULL, "16M");
	pattern(d, sizeof(d), 11);
	snprintf(cpy, sizeof(cpy), "%s.d", img);
	host_file(cpy, d, sizeof(d));
	T_EQ(e2_run(NULL, 0,
	         "printf '%%s\\n' 'jo -c' 'jw -b 4000,4001 %s' "
	         "'jw -r 4000 /dev/null' 'jw -b 4002,4003 %s' jc | "
	         "debugfs -w -f - '%s' >/dev/null",
	         cpy, cpy, img),
	    0);
	for (unsigned i = 0; i < 12; i++)
		jb[i] = jblock(img, i);
	snprintf(cpy, sizeof(cpy), "%s.base", img);
	copy_image(img, cpy);
	e2_boot();
	for (int round = 0; round < 40; round++) {
		copy_image(cpy, img);
		for (int k = 0; k < 1 + round % 4; k++) {
			unsigned b, off;

			rnd = rnd * 1103515245u + 12345;
			b = 1 + (rnd >> 8) % 10;
			rnd = rnd * 1103515245u + 12345;
			off = (rnd >> 8) % (round % 2 ? 64 : 4096);
			img_block(img, 4096, jb[b], blk);
			blk[off] ^= (unsigned char)(1u << (rnd % 8));
			img_write(img, jb[b] * 4096, blk, 4096);
		}
		e2_register(img);
		if (rump_sys_mount(E2_DEV, MNT, "ext4", 0, NULL) == 0) {
			mounted++;
			e2_umount();
		} else {
			T_ASSERT(errno == EINVAL || errno == EUCLEAN ||
			    errno == EIO);
			refused++;
		}
		T_OK(rump_pub_etfs_remove(E2_DEV));
	}
	printf("  40 corrupt journals: %d mounted, %d refused\n", mounted,
	    refused);
	rm_images(img);
}

/* ------------------------------------------------ the workload */

/* A file whose fsync returned: what it holds, and the writes by then. */
struct rec {
	char r_name[64];
	unsigned r_size;
	unsigned r_seed;
	unsigned long long r_writes;
};

#define MAXREC 256

static int
write_file(const char *name, unsigned size, unsigned seed, bool sync)
{
	unsigned char *buf = malloc(size + 1); /* threads call this too */
	int fd, error = 0;

	if (buf == NULL)
		return -1;
	pattern(buf, size, seed);
	if ((fd = rump_sys_open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644)) ==
	    -1) {
		free(buf);
		return -1;
	}
	for (unsigned off = 0; off < size;) {
		unsigned n = size - off < 8192 ? size - off : 8192;
		ssize_t w = rump_sys_write(fd, buf + off, n);

		if (w <= 0) {
			error = -1;
			break;
		}
		off += (unsigned)w;
	}
	if (error == 0 && sync && rump_sys_fsync(fd) == -1)
		error = -1;
	if (rump_sys_close(fd) == -1)
		error = -1;
	free(buf);
	return error;
}

static void
add_rec(
    struct rec *recs, int *nrec, const char *name, unsigned size, unsigned seed)
{
	struct rec *r;

	if (*nrec >= MAXREC)
		return;
	r = &recs[(*nrec)++];
	snprintf(r->r_name, sizeof(r->r_name), "%s", name);
	r->r_size = size;
	r->r_seed = seed;
	r->r_writes = rumpuser_fault_blkwrites();
}

/*
 * Creates files and directories, writes, fsyncs some, renames, unlinks
 * and truncates others (never a file once fsync'd).  Errors are ignored
 * (after a cut the kernel may read back what never reached the disk);
 * recs gets the files whose fsync returned.
 */
static void
workload(const char *root, int nfiles, struct rec *recs, int *nrec)
{
	char name[64], dirs[3][48], to[80];

	*nrec = 0;
	snprintf(dirs[0], sizeof(dirs[0]), "%s/a", root);
	snprintf(dirs[1], sizeof(dirs[1]), "%s/b", root);
	snprintf(dirs[2], sizeof(dirs[2]), "%s/a/sub", root);
	for (int i = 0; i < 3; i++)
		(void)rump_sys_mkdir(dirs[i], 0755);
	for (int i = 0; i < nfiles; i++) {
		unsigned size = (unsigned)(i * 7919) % 70000 + 1;
		unsigned seed = 100 + (unsigned)i;

		if (i % 5 == 4)
			size = 300000 + (unsigned)i;
		snprintf(name, sizeof(name), "%s/f%d", dirs[i % 3], i);
		switch (i % 4) {
		case 0:
			if (write_file(name, size, seed, true) == 0)
				add_rec(recs, nrec, name, size, seed);
			break;
		case 1:
			(void)write_file(name, size, seed, false);
			snprintf(
			    to, sizeof(to), "%s/r%d", dirs[(i + 1) % 3], i);
			(void)rump_sys_rename(name, to);
			break;
		case 2:
			(void)write_file(name, size, seed, false);
			(void)rump_sys_unlink(name);
			break;
		case 3: {
			int fd;

			(void)write_file(name, size, seed, false);
			(void)rump_sys_truncate(name, size / 2);
			fd = rump_sys_open(name, O_WRONLY | O_APPEND);
			if (fd != -1) {
				(void)rump_sys_write(fd, name, 20);
				(void)rump_sys_close(fd);
			}
			break;
		}
		}
		if (i % 7 == 3) {
			snprintf(name, sizeof(name), "%s/d%d", dirs[1], i);
			(void)rump_sys_mkdir(name, 0755);
			if (i % 2)
				(void)rump_sys_rmdir(name);
		}
	}
	/* Many small commits, so the log fills and is checkpointed. */
	for (int i = 0; i < nfiles; i++) {
		snprintf(name, sizeof(name), "%s/s%d", dirs[i % 2], i);
		if (write_file(
		        name, 100 + (unsigned)i, 500 + (unsigned)i, true) == 0)
			add_rec(recs, nrec, name, 100 + (unsigned)i,
			    500 + (unsigned)i);
	}
	snprintf(name, sizeof(name), "%s/last", root);
	if (write_file(name, 12345, 7, true) == 0)
		add_rec(recs, nrec, name, 12345, 7);
}

/* Checks the files of recs (those fsync'd by `writes` writes) under root. */
static void
check_recs(const char *root, const char *from, const struct rec *recs, int nrec,
    unsigned long long writes)
{
	static unsigned char want[400000], got[400000];
	char path[160];

	for (int i = 0; i < nrec; i++) {
		const struct rec *r = &recs[i];
		struct stat st;
		ssize_t n;
		int fd;

		if (r->r_writes > writes)
			continue;
		snprintf(
		    path, sizeof(path), "%s%s", root, r->r_name + strlen(from));
		pattern(want, r->r_size, r->r_seed);
		if ((fd = rump_sys_open(path, O_RDONLY)) == -1)
			T_FAIL("%s (fsync'd after %llu writes, cut at %llu) is "
			       "missing: %s",
			    path, r->r_writes, writes, strerror(errno));
		T_OK(rump_sys_fstat(fd, &st));
		if (st.st_size != (off_t)r->r_size)
			T_FAIL("%s: size %lld, want %u", path,
			    (long long)st.st_size, r->r_size);
		n = rump_sys_read(fd, got, sizeof(got));
		T_EQ(n, r->r_size);
		if (memcmp(got, want, r->r_size) != 0)
			T_FAIL("%s: contents differ", path);
		T_OK(rump_sys_close(fd));
	}
}

/* The same checks of a tree the host sees (the Linux kernel's mount). */
static void
check_recs_host(const char *root, const char *from, const struct rec *recs,
    int nrec, unsigned long long writes)
{
	static unsigned char want[400000], got[400000];
	char path[300];

	for (int i = 0; i < nrec; i++) {
		const struct rec *r = &recs[i];
		FILE *f;
		size_t n;

		if (r->r_writes > writes)
			continue;
		snprintf(
		    path, sizeof(path), "%s%s", root, r->r_name + strlen(from));
		pattern(want, r->r_size, r->r_seed);
		if ((f = fopen(path, "rb")) == NULL)
			T_FAIL("Linux: %s is missing", path);
		n = fread(got, 1, sizeof(got), f);
		fclose(f);
		if (n != r->r_size || memcmp(got, want, n) != 0)
			T_FAIL("Linux: %s differs (%zu bytes, want %u)", path,
			    n, r->r_size);
	}
}

/* ------------------------------------------ commits and unmount */

static struct rec recs[MAXREC];
static int nrec;

/* Runs the workload, fsyncs, and copies the image before unmounting. */
static void
commit_then_copy(const char *type, unsigned bsize, int ncopies)
{
	e2_need_tools();
	e2_image_path(img, sizeof(img), "jc");
	e2_mkfs(img, type, bsize, NULL, "32M");
	e2_boot();
	e2_register(img);
	e2_mount(type, 0);
	T_ASSERT(needs_recovery(img)); /* on the disk while mounted */
	workload(MNT, 24, recs, &nrec);
	T_ASSERT(nrec > 5);
	for (int i = 0; i < ncopies; i++) {
		snprintf(cpy, sizeof(cpy), "%s.c%d", img, i);
		copy_image(img, cpy);
	}
	snprintf(cpy, sizeof(cpy), "%s.c0", img);
	/* The copy holds committed transactions not yet checkpointed. */
	T_ASSERT(needs_recovery(cpy));
	T_ASSERT(journal_start(cpy) != 0);
	e2_umount();
	e2_fsck(img);
	T_ASSERT(!needs_recovery(img));
	T_EQ(journal_start(img), 0);
}

static void
commit_case(const char *type, unsigned bsize)
{
	char out[4096], path[400];

	commit_then_copy(type, bsize, 2);
	/* e2fsck replays copy 0. */
	snprintf(cpy, sizeof(cpy), "%s.c0", img);
	(void)e2_run(out, sizeof(out), "e2fsck -fy '%s'", cpy);
	e2_fsck(cpy);
	for (int i = 0; i < nrec; i++) {
		static unsigned char want[400000];
		FILE *f;
		size_t n;

		snprintf(path, sizeof(path), "%s.dump", img);
		if (e2_run(out, sizeof(out), "debugfs -R 'dump %s %s' '%s'",
		        recs[i].r_name + strlen(MNT), path, cpy) != 0)
			T_FAIL("debugfs dump: %s", out);
		pattern(want, recs[i].r_size, recs[i].r_seed);
		f = fopen(path, "rb");
		T_ASSERT(f != NULL);
		n = fread(out, 1, 0, f);
		{
			static unsigned char got[400000];

			n = fread(got, 1, sizeof(got), f);
			fclose(f);
			if (n != recs[i].r_size ||
			    memcmp(got, want, recs[i].r_size) != 0)
				T_FAIL("e2fsck's replay: %s differs",
				    recs[i].r_name);
		}
	}
	/* Our mount replays copy 1. */
	snprintf(cpy, sizeof(cpy), "%s.c1", img);
	rumpk_replay(cpy, type, 0);
	check_recs("/mnt2", MNT, recs, nrec, ~0ull);
	rumpk_done();
	e2_fsck(cpy);
	T_ASSERT(!needs_recovery(cpy));
	rm_images(img);
}

T_CASE(commit_ext4_4k,
    "fsync'd transactions copied before checkpoint: e2fsck and our mount "
    "replay them; unmount leaves an empty log; e2fsck -fn clean")
{
	commit_case("ext4", 4096);
}

T_CASE(commit_ext4_1k, "the same with 1 KiB blocks")
{
	commit_case("ext4", 1024);
}

T_CASE(commit_ext3_4k, "the same on ext3 (indirect blocks, no checksums)")
{
	commit_case("ext3", 4096);
}

/* Whether the host lets us loop-mount (root, a loop device): else why. */
static const char *
linux_mount_unavailable(void)
{
	if (geteuid() != 0)
		return "not root: the Linux kernel's mount needs it";
	if (e2_run(NULL, 0, "command -v losetup && losetup -f") != 0)
		return "no free loop device";
	return NULL;
}

/* Mounts path with the Linux kernel (replaying), checks recs, unmounts. */
static void
linux_check(const char *path, unsigned long long writes)
{
	char mp[300], out[4096];

	snprintf(mp, sizeof(mp), "%s.mnt", img);
	if (mkdir(mp, 0755) == -1 && errno != EEXIST)
		T_FAIL("mkdir %s", mp);
	if (e2_run(out, sizeof(out), "mount -o loop '%s' '%s'", path, mp) != 0)
		T_FAIL("Linux mount -o loop %s: %s", path, out);
	check_recs_host(mp, MNT, recs, nrec, writes);
	if (e2_run(out, sizeof(out), "umount '%s'", mp) != 0)
		T_FAIL("umount: %s", out);
	rmdir(mp);
	e2_fsck(path);
}

T_CASE(commit_linux,
    "the Linux kernel replays the transactions our driver committed "
    "(mount -o loop, root)")
{
	const char *why = linux_mount_unavailable();

	if (why != NULL)
		T_SKIP("%s", why);
	commit_then_copy("ext4", 4096, 1);
	snprintf(cpy, sizeof(cpy), "%s.c0", img);
	linux_check(cpy, ~0ull);
	T_ASSERT(!needs_recovery(cpy));
	rm_images(img);
}

/* ------------------------------------------------ the crash sweep */

#define SWEEP_FILES 50

/*
 * Runs the workload on path in a child whose fault switch cuts the power
 * after `limit` writes (-1: never); its records come back in recs.
 * Returns the number of writes the child made.
 */
static unsigned long long
sweep_workload(const char *path, const char *type, long long limit)
{
	unsigned long long w = 0;
	int p[2], st;
	size_t got = 0;
	char *buf;
	pid_t pid;

	T_OK(pipe(p));
	fflush(NULL);
	if ((pid = fork()) == 0) {
		char b[32];
		int error;

		close(p[0]);
		if (limit >= 0) {
			snprintf(b, sizeof(b), "%lld", limit);
			setenv("RUMP_BLK_WRITE_LIMIT", b, 1);
		}
		e2_boot();
		if ((error = rump_pub_etfs_register(
		         E2_DEV, path, RUMP_ETFS_BLK)) != 0)
			_exit(2);
		e2_mount(type, 0);
		workload(MNT, SWEEP_FILES, recs, &nrec);
		(void)rump_sys_umount2(MNT, 0);
		w = rumpuser_fault_blkwrites();
		if (write(p[1], &nrec, sizeof(nrec)) != sizeof(nrec) ||
		    write(p[1], recs, sizeof(recs)) != sizeof(recs) ||
		    write(p[1], &w, sizeof(w)) != sizeof(w))
			_exit(3);
		_exit(0);
	}
	T_ASSERT(pid > 0);
	close(p[1]);
	buf = malloc(sizeof(nrec) + sizeof(recs) + sizeof(w));
	T_ASSERT(buf != NULL);
	for (;;) {
		ssize_t n = read(p[0], buf + got,
		    sizeof(nrec) + sizeof(recs) + sizeof(w) - got);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(p[0]);
	T_EQ(waitpid(pid, &st, 0), pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		T_FAIL("the workload cut after %lld writes died (status 0x%x)",
		    limit, st);
	T_EQ(got, sizeof(nrec) + sizeof(recs) + sizeof(w));
	memcpy(&nrec, buf, sizeof(nrec));
	memcpy(recs, buf + sizeof(nrec), sizeof(recs));
	memcpy(&w, buf + sizeof(nrec) + sizeof(recs), sizeof(w));
	free(buf);
	return w;
}

/* Mounts path in a fresh kernel (a child), replaying, and checks recs. */
static void
sweep_verify(const char *path, const char *type, unsigned long long cut)
{
	pid_t pid;
	int st;

	fflush(NULL);
	if ((pid = fork()) == 0) {
		e2_boot();
		if (rump_pub_etfs_register(E2_DEV, path, RUMP_ETFS_BLK) != 0)
			_exit(2);
		e2_mount(type, 0);
		check_recs(MNT, MNT, recs, nrec, cut);
		e2_umount();
		_exit(0);
	}
	T_ASSERT(pid > 0);
	T_EQ(waitpid(pid, &st, 0), pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		T_FAIL("after a cut at write %llu: the remount or a fsync'd "
		       "file failed (status 0x%x)",
		    cut, st);
}

static void
sweep_case(const char *type, unsigned bsize, int quick, int full)
{
	char base[300], out[256];
	unsigned long long w, cut;
	int nsample = getenv("E2_FULL") ? full : quick, fsyncs;
	uint32_t rnd = 12345;

	e2_need_tools();
	e2_image_path(img, sizeof(img), "js");
	snprintf(base, sizeof(base), "%s.base", img);
	/* The smallest journal (1024 blocks), so the log fills and is
	 * checkpointed during the workload. */
	e2_mkfs(base, type, bsize, bsize == 1024 ? "-J size=1" : "-J size=4",
	    "32M");
	copy_image(base, img);
	w = sweep_workload(img, type, -1);
	fsyncs = nrec;
	T_ASSERT(w > 50 && fsyncs > 5);
	e2_fsck(img);
	for (int k = 0; k < nsample; k++) {
		/* Evenly over [0, w], each moved by a seeded jitter. */
		rnd = rnd * 1103515245u + 12345;
		cut = w * (unsigned long long)k / (unsigned long long)nsample +
		    (rnd >> 8) % (w / (unsigned long long)nsample + 1);
		if (cut > w)
			cut = w;
		copy_image(base, img);
		(void)sweep_workload(img, type, (long long)cut);
		sweep_verify(img, type, cut);
		if (e2_run(out, sizeof(out), "e2fsck -fn '%s' >/dev/null",
		        img) != 0) {
			char keep[320];

			snprintf(keep, sizeof(keep), "%s.cut%llu", img, cut);
			copy_image(img, keep);
			e2_fsck(img); /* fails, showing the output */
		}
	}
	printf("  %s %u: %llu writes, %d fsyncs, %d cuts: all replayed, "
	       "fsync'd files intact, e2fsck clean\n",
	    type, bsize, w, fsyncs, nsample);
	rm_images(img);
}

T_CASE(crash_sweep_4k,
    "power cut after N writes (N sampled over the workload's writes), "
    "ext4 4 KiB: remount replays, fsync'd files intact, e2fsck clean")
{
	sweep_case("ext4", 4096, 60, 240);
}

T_CASE(crash_sweep_1k, "the same on ext4 with 1 KiB blocks")
{
	sweep_case("ext4", 1024, 60, 240);
}

T_CASE(crash_sweep_ext3,
    "the same on ext3 4 KiB (indirect blocks, no checksums), fewer cuts")
{
	sweep_case("ext3", 4096, 30, 120);
}

T_CASE(crash_linux,
    "the Linux kernel mounts an image cut in the middle of the workload: "
    "fsync'd files intact, e2fsck clean (root)")
{
	const char *why = linux_mount_unavailable();
	char base[300];
	unsigned long long w, cut;

	if (why != NULL)
		T_SKIP("%s", why);
	e2_need_tools();
	e2_image_path(img, sizeof(img), "jl");
	snprintf(base, sizeof(base), "%s.base", img);
	e2_mkfs(base, "ext4", 4096, NULL, "32M");
	copy_image(base, img);
	w = sweep_workload(img, "ext4", -1);
	for (int k = 1; k <= 3; k++) {
		cut = w * (unsigned long long)k / 4;
		copy_image(base, img);
		(void)sweep_workload(img, "ext4", (long long)cut);
		T_ASSERT(needs_recovery(img));
		linux_check(img, cut);
	}
	rm_images(img);
}

T_CASE(commit_timer,
    "changes nobody fsyncs are committed by the journal thread (commit=1):"
    " a copy taken 3 s later replays them")
{
	static struct rec r[1];
	int n = 0;

	e2_need_tools();
	e2_image_path(img, sizeof(img), "jt");
	e2_mkfs(img, "ext4", 4096, NULL, "16M");
	e2_boot();
	e2_register(img);
	T_ERRNO(rump_sys_mount(E2_DEV, MNT, "ext4", 0, "commit=x"), EINVAL);
	T_OK(rump_sys_mount(E2_DEV, MNT, "ext4", 0, "commit=1"));
	T_OK(write_file(MNT "/unsynced", 50000, 5, false));
	sleep(3);
	snprintf(cpy, sizeof(cpy), "%s.c", img);
	copy_image(img, cpy);
	rumpk_replay(cpy, "ext4", 0);
	snprintf(r[0].r_name, sizeof(r[0].r_name), "%s", MNT "/unsynced");
	r[0].r_size = 50000;
	r[0].r_seed = 5;
	n = 1;
	check_recs("/mnt2", MNT, r, n, ~0ull);
	rumpk_done();
	e2_fsck(cpy);
	e2_umount();
	e2_fsck(img);
	rm_images(img);
}

T_CASE(remount,
    "remount read-only empties the log and clears needs_recovery; "
    "read-write again journals; data=journal is EINVAL")
{
	e2_need_tools();
	e2_image_path(img, sizeof(img), "jm");
	e2_mkfs(img, "ext4", 1024, NULL, "16M");
	e2_boot();
	e2_register(img);
	T_ERRNO(rump_sys_mount(E2_DEV, MNT, "ext4", 0, "data=journal"), EINVAL);
	T_OK(rump_sys_mount(E2_DEV, MNT, "ext4", 0, "data=writeback"));
	T_OK(write_file(MNT "/a", 3000, 1, true));
	T_OK(rump_sys_mount(E2_DEV, MNT, "ext4", MS_REMOUNT | MS_RDONLY, NULL));
	T_ASSERT(!needs_recovery(img));
	T_EQ(journal_start(img), 0);
	e2_fsck(img);
	T_OK(rump_sys_mount(E2_DEV, MNT, "ext4", MS_REMOUNT, NULL));
	T_ASSERT(needs_recovery(img));
	T_OK(write_file(MNT "/b", 3000, 2, true));
	T_ASSERT(journal_start(img) != 0);
	e2_umount();
	e2_fsck(img);
	T_ASSERT(!needs_recovery(img));
	rm_images(img);
}

/* One of the threads of the concurrency case: files of its own. */
static void *
conc_thread(void *arg)
{
	long t = (long)arg;
	char name[64], to[64];

	for (int i = 0; i < 150; i++) {
		snprintf(name, sizeof(name), MNT "/t%ld/f%d", t, i);
		if (write_file(name, 3000 + (unsigned)(i * 37),
		        (unsigned)(t * 1000 + i), i % 3 == 0) != 0)
			return (void *)1;
		if (i % 3 == 1) {
			snprintf(to, sizeof(to), MNT "/t%ld/g%d", t, i);
			if (rump_sys_rename(name, to) != 0)
				return (void *)1;
		} else if (i % 3 == 2 && rump_sys_unlink(name) != 0) {
			return (void *)1;
		}
		if (i % 10 == 9)
			rump_sys_sync();
	}
	return NULL;
}

T_CASE(concurrent,
    "four threads create, write, fsync, rename and unlink at once while "
    "commits run: files intact, e2fsck clean")
{
	static unsigned char want[16384], got[16384];
	pthread_t th[4];
	char name[64];

	e2_need_tools();
	e2_image_path(img, sizeof(img), "jq");
	e2_mkfs(img, "ext4", 1024, "-J size=1", "32M");
	e2_boot();
	e2_register(img);
	T_OK(rump_sys_mount(E2_DEV, MNT, "ext4", 0, "commit=1"));
	for (long t = 0; t < 4; t++) {
		snprintf(name, sizeof(name), MNT "/t%ld", t);
		T_OK(rump_sys_mkdir(name, 0755));
	}
	for (long t = 0; t < 4; t++)
		T_EQ(pthread_create(&th[t], NULL, conc_thread, (void *)t), 0);
	for (long t = 0; t < 4; t++) {
		void *rv;

		T_EQ(pthread_join(th[t], &rv), 0);
		T_ASSERT(rv == NULL);
	}
	e2_umount();
	e2_fsck(img);
	e2_mount("ext4", MS_RDONLY);
	for (long t = 0; t < 4; t++)
		for (int i = 0; i < 150; i += 3) {
			unsigned size = 3000 + (unsigned)(i * 37);
			int fd;

			snprintf(name, sizeof(name), MNT "/t%ld/f%d", t, i);
			pattern(want, size, (unsigned)(t * 1000 + i));
			T_OK(fd = rump_sys_open(name, O_RDONLY));
			T_EQ(rump_sys_read(fd, got, sizeof(got)), size);
			T_ASSERT(memcmp(got, want, size) == 0);
			T_OK(rump_sys_close(fd));
		}
	e2_umount();
	rm_images(img);
}
