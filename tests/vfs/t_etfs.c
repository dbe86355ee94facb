/*
 * t_etfs.c — host files in the kernel's namespace (rump_etfs(3)) and the
 * buffer cache under etfs block devices: regular files and windows,
 * block devices (pattern writes, ioctls, huge sparse images, write-back
 * by fsync, close, the syncer and halt, a small cache), character
 * devices, directory keys, and the rules of keys and their removal.
 */
#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rump/rump.h>

#include "harness.h"
#include "rumptest.h"

static char tdir[64];

/* A host scratch directory for the case; its files are removed at done(). */
static const char *
hpath(const char *name)
{
	static char buf[4][256];
	static int n;
	char *p = buf[n++ % 4];

	if (tdir[0] == '\0') {
		strcpy(tdir, "/tmp/t_etfs.XXXXXX");
		if (mkdtemp(tdir) == NULL)
			T_FAIL("mkdtemp: %s", strerror(errno));
	}
	snprintf(p, sizeof(buf[0]), "%s/%s", tdir, name);
	return p;
}

static void
done(void)
{
	char cmd[128];

	if (tdir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tdir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", tdir);
	}
}

static void
host_write(const char *path, const void *data, size_t len, off_t size)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

	if (fd == -1)
		T_FAIL("open %s: %s", path, strerror(errno));
	if (len > 0 && write(fd, data, len) != (ssize_t)len)
		T_FAIL("write %s: %s", path, strerror(errno));
	if (size > 0 && ftruncate(fd, size) == -1) {
		int e = errno;

		close(fd);
		if (e == EFBIG || e == EINVAL)
			T_SKIP("the host cannot make a %lld-byte file",
			    (long long)size);
		T_FAIL("ftruncate %s: %s", path, strerror(e));
	}
	close(fd);
}

static void
host_pread(const char *path, void *buf, size_t len, off_t off)
{
	int fd = open(path, O_RDONLY);

	if (fd == -1)
		T_FAIL("open %s: %s", path, strerror(errno));
	if (pread(fd, buf, len, off) != (ssize_t)len)
		T_FAIL("pread %s: %s", path, strerror(errno));
	close(fd);
}

static void
fill(unsigned char *p, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (unsigned char)((i * 131 + seed * 7 + (i >> 9)) & 0xff);
}

T_CASE(reg_rw, "REG: read, write and seek a host file; the host sees writes")
{
	const char *hp = hpath("reg");
	char buf[64];
	struct stat st;
	int fd;

	t_boot();
	host_write(hp, "hello, world\n", 13, 0);
	T_EQ(rump_pub_etfs_register("/hostfile", hp, RUMP_ETFS_REG), 0);
	T_OK(rump_sys_stat("/hostfile", &st));
	T_ASSERT(S_ISREG(st.st_mode));
	T_EQ(st.st_mode & 07777, 0644);
	T_EQ(st.st_size, 13);
	T_EQ(st.st_uid, 0);
	T_OK(fd = rump_sys_open("/hostfile", O_RDWR));
	T_EQ(rump_sys_read(fd, buf, sizeof(buf)), 13);
	T_ASSERT(memcmp(buf, "hello, world\n", 13) == 0);
	T_EQ(rump_sys_lseek(fd, 7, SEEK_SET), 7);
	T_EQ(rump_sys_write(fd, "rump!", 5), 5);
	T_EQ(rump_sys_lseek(fd, 0, SEEK_END), 13);
	T_EQ(rump_sys_write(fd, "more\n", 5), 5);
	T_OK(rump_sys_fsync(fd));
	T_OK(rump_sys_fstat(fd, &st));
	T_EQ(st.st_size, 18);
	memset(buf, 0, sizeof(buf));
	T_EQ(rump_sys_pread64(fd, buf, sizeof(buf), 0), 18);
	T_ASSERT(memcmp(buf, "hello, rump!\nmore\n", 18) == 0);
	memset(buf, 0, sizeof(buf));
	host_pread(hp, buf, 18, 0);
	T_ASSERT(memcmp(buf, "hello, rump!\nmore\n", 18) == 0);
	T_OK(rump_sys_close(fd));
	/* O_APPEND goes to the host file's end. */
	T_OK(fd = rump_sys_open("/hostfile", O_WRONLY | O_APPEND));
	T_EQ(rump_sys_write(fd, "end", 3), 3);
	T_OK(rump_sys_close(fd));
	host_pread(hp, buf, 3, 18);
	T_ASSERT(memcmp(buf, "end", 3) == 0);
	done();
}

T_CASE(reg_withsize, "REG withsize: the window [begin, begin+size) of the file")
{
	static unsigned char data[10000], buf[10000];
	const char *hp = hpath("win");
	struct stat st;
	int fd;

	t_boot();
	fill(data, sizeof(data), 1);
	host_write(hp, data, sizeof(data), 0);
	T_EQ(rump_pub_etfs_register_withsize(
	         "/win", hp, RUMP_ETFS_REG, 1000, 2000),
	    0);
	T_OK(rump_sys_stat("/win", &st));
	T_EQ(st.st_size, 2000);
	T_OK(fd = rump_sys_open("/win", O_RDWR));
	T_EQ(rump_sys_read(fd, buf, sizeof(buf)), 2000);
	T_ASSERT(memcmp(buf, data + 1000, 2000) == 0);
	T_EQ(rump_sys_pread64(fd, buf, 100, 1990), 10);
	T_ASSERT(memcmp(buf, data + 2990, 10) == 0);
	T_EQ(rump_sys_pread64(fd, buf, 100, 2000), 0);
	T_EQ(rump_sys_pwrite64(fd, "ABCD", 4, 0), 4);
	T_EQ(rump_sys_pwrite64(fd, "WXYZ", 4, 1998), 2);
	T_ERRNO(rump_sys_pwrite64(fd, "Q", 1, 2000), ENOSPC);
	T_OK(rump_sys_close(fd));
	host_pread(hp, buf, 10000, 0);
	T_ASSERT(memcmp(buf, data, 1000) == 0);
	T_ASSERT(memcmp(buf + 1000, "ABCD", 4) == 0);
	T_ASSERT(memcmp(buf + 2998, "WX", 2) == 0);
	T_EQ(buf[3000], data[3000]);
	/* Past the end of the host file is refused. */
	T_EQ(rump_pub_etfs_register_withsize(
	         "/win2", hp, RUMP_ETFS_REG, 9000, 2000),
	    EINVAL);
	T_EQ(rump_pub_etfs_register_withsize(
	         "/win3", hp, RUMP_ETFS_REG, 9000, RUMP_ETFS_SIZE_ENDOFF),
	    0);
	T_OK(rump_sys_stat("/win3", &st));
	T_EQ(st.st_size, 1000);
	done();
}

#define IMG_SIZE (64ll << 20)

T_CASE(blk_pattern, "BLK: pwrite at odd 512-aligned offsets, read back, host")
{
	static const struct {
		off_t off;
		size_t len;
	} w[] = {{512, 512}, {3 * 512, 7 * 512}, {4095 * 512, 3 * 4096},
	    {(IMG_SIZE / 2) + 512 * 9, 129 * 512}, {IMG_SIZE - 1536, 1536},
	    {12345 * 512, 1 << 20}, {7 * 512 + 100 * 4096, 1500 * 512}};
	const char *hp = hpath("disk.img");
	unsigned char *p, *q;
	struct stat st;
	int fd;

	t_boot();
	host_write(hp, NULL, 0, IMG_SIZE);
	T_EQ(rump_pub_etfs_register("/dev/blk0", hp, RUMP_ETFS_BLK), 0);
	T_OK(rump_sys_stat("/dev/blk0", &st));
	T_ASSERT(S_ISBLK(st.st_mode));
	T_EQ(st.st_mode & 07777, 0600);
	T_OK(fd = rump_sys_open("/dev/blk0", O_RDWR));
	p = malloc(2 << 20);
	q = malloc(2 << 20);
	T_ASSERT(p != NULL && q != NULL);
	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		fill(p, w[i].len, (unsigned)i);
		T_EQ(rump_sys_pwrite64(fd, p, w[i].len, w[i].off), w[i].len);
	}
	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		fill(p, w[i].len, (unsigned)i);
		memset(q, 0, w[i].len);
		T_EQ(rump_sys_pread64(fd, q, w[i].len, w[i].off), w[i].len);
		if (memcmp(p, q, w[i].len) != 0)
			T_FAIL("write %zu reads back wrong", i);
	}
	/* Reads stop at the end; writes there are ENOSPC. */
	T_EQ(rump_sys_pread64(fd, q, 4096, IMG_SIZE - 512), 512);
	T_EQ(rump_sys_pread64(fd, q, 4096, IMG_SIZE), 0);
	T_ERRNO(rump_sys_pwrite64(fd, q, 512, IMG_SIZE), ENOSPC);
	T_OK(rump_sys_fsync(fd));
	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		fill(p, w[i].len, (unsigned)i);
		host_pread(hp, q, w[i].len, w[i].off);
		if (memcmp(p, q, w[i].len) != 0)
			T_FAIL("write %zu is not on the host", i);
	}
	/* The untouched sector before the first write is still zero. */
	host_pread(hp, q, 512, 0);
	for (int i = 0; i < 512; i++)
		T_EQ(q[i], 0);
	T_OK(rump_sys_close(fd));
	free(p);
	free(q);
	done();
}

T_CASE(blk_ioctl, "BLK: BLKGETSIZE64, BLKSSZGET, BLKGETSIZE, lseek SEEK_END")
{
	const char *hp = hpath("disk.img");
	uint64_t size = 0;
	unsigned long sectors = 0;
	int fd, ssz = 0;

	t_boot();
	host_write(hp, NULL, 0, IMG_SIZE + 100); /* a partial last sector */
	T_EQ(rump_pub_etfs_register("/blk", hp, RUMP_ETFS_BLK), 0);
	T_OK(fd = rump_sys_open("/blk", O_RDONLY));
	T_OK(rump_sys_ioctl(fd, BLKGETSIZE64, &size));
	T_EQ(size, IMG_SIZE);
	T_OK(rump_sys_ioctl(fd, BLKSSZGET, &ssz));
	T_EQ(ssz, 512);
	T_OK(rump_sys_ioctl(fd, BLKGETSIZE, &sectors));
	T_EQ(sectors, IMG_SIZE / 512);
	T_EQ(rump_sys_lseek(fd, 0, SEEK_END), IMG_SIZE);
	T_ERRNO(rump_sys_write(fd, "x", 1), EBADF);
	T_OK(rump_sys_close(fd));
	done();
}

T_CASE(blk_huge, "BLK: a sparse host image over 2 TB reports its size")
{
	const char *hp = hpath("huge.img");
	const off_t big = 3ll << 40;
	unsigned char buf[4096], out[4096];
	uint64_t size = 0;
	int fd;

	t_boot();
	host_write(hp, NULL, 0, big);
	T_EQ(rump_pub_etfs_register("/huge", hp, RUMP_ETFS_BLK), 0);
	T_OK(fd = rump_sys_open("/huge", O_RDWR));
	T_OK(rump_sys_ioctl(fd, BLKGETSIZE64, &size));
	T_EQ(size, big);
	fill(buf, sizeof(buf), 9);
	T_EQ(rump_sys_pwrite64(fd, buf, sizeof(buf), big - 8192), 4096);
	T_OK(rump_sys_fsync(fd));
	host_pread(hp, out, sizeof(out), big - 8192);
	T_ASSERT(memcmp(buf, out, sizeof(buf)) == 0);
	T_OK(rump_sys_close(fd));
	done();
}

T_CASE(blk_withsize, "BLK withsize: a partition of an image")
{
	const char *hp = hpath("disk.img");
	unsigned char buf[512], out[512];
	uint64_t size = 0;
	int fd;

	t_boot();
	host_write(hp, NULL, 0, 1 << 20);
	T_EQ(rump_pub_etfs_register_withsize(
	         "/part", hp, RUMP_ETFS_BLK, 65536, 131072),
	    0);
	T_OK(fd = rump_sys_open("/part", O_RDWR));
	T_OK(rump_sys_ioctl(fd, BLKGETSIZE64, &size));
	T_EQ(size, 131072);
	fill(buf, sizeof(buf), 3);
	T_EQ(rump_sys_pwrite64(fd, buf, 512, 131072 - 512), 512);
	T_ERRNO(rump_sys_pwrite64(fd, buf, 512, 131072), ENOSPC);
	T_OK(rump_sys_close(fd));
	host_pread(hp, out, 512, 65536 + 131072 - 512);
	T_ASSERT(memcmp(buf, out, 512) == 0);
	done();
}

/* Writes a pattern without fsync; the host must see it after `how`. */
static void
blk_writeback(int how)
{
	const char *hp = hpath("disk.img");
	unsigned char *p = malloc(1 << 20), *q = malloc(1 << 20);
	int fd;

	T_ASSERT(p != NULL && q != NULL);
	host_write(hp, NULL, 0, 16 << 20);
	T_EQ(rump_pub_etfs_register("/blk", hp, RUMP_ETFS_BLK), 0);
	T_OK(fd = rump_sys_open("/blk", O_RDWR));
	fill(p, 1 << 20, 5);
	T_EQ(rump_sys_pwrite64(fd, p, 1 << 20, 3 << 20), 1 << 20);
	switch (how) {
	case 0: /* the syncer, within two of its periods */
		for (int i = 0; i < 120; i++) {
			host_pread(hp, q, 1 << 20, 3 << 20);
			if (memcmp(p, q, 1 << 20) == 0)
				break;
			usleep(100000);
		}
		break;
	case 1: /* the last close */
		T_OK(rump_sys_close(fd));
		break;
	case 2: /* halt */
		T_OK(rump_sys_reboot(RB_HALT_SYSTEM));
		break;
	}
	host_pread(hp, q, 1 << 20, 3 << 20);
	T_ASSERT(memcmp(p, q, 1 << 20) == 0);
	free(p);
	free(q);
	done();
}

T_CASE(bio_syncer, "buffer cache: the syncer writes delayed writes back")
{
	t_boot();
	blk_writeback(0);
}

T_CASE(bio_close, "buffer cache: the last close of a block device writes back")
{
	t_boot();
	blk_writeback(1);
}

T_CASE(bio_halt, "buffer cache: halting the kernel writes back")
{
	t_boot();
	blk_writeback(2);
}

T_CASE(bio_small, "buffer cache: a 1 MiB cache handles 24 MiB of I/O")
{
	const char *hp = hpath("disk.img");
	const size_t chunk = 256 << 10, total = 24 << 20;
	unsigned char *p = malloc(chunk), *q = malloc(chunk);
	int fd;

	T_ASSERT(p != NULL && q != NULL);
	setenv("RUMP_BUFCACHE", "1m", 1);
	t_boot();
	host_write(hp, NULL, 0, total);
	T_EQ(rump_pub_etfs_register("/blk", hp, RUMP_ETFS_BLK), 0);
	T_OK(fd = rump_sys_open("/blk", O_RDWR));
	for (size_t off = 0; off < total; off += chunk) {
		fill(p, chunk, (unsigned)(off / chunk));
		T_EQ(rump_sys_pwrite64(fd, p, chunk, (off_t)off), chunk);
	}
	/* Sequential reads: read-ahead and clustered reads. */
	for (size_t off = 0; off < total; off += chunk) {
		fill(p, chunk, (unsigned)(off / chunk));
		T_EQ(rump_sys_pread64(fd, q, chunk, (off_t)off), chunk);
		if (memcmp(p, q, chunk) != 0)
			T_FAIL("chunk at %zu reads back wrong", off);
	}
	T_OK(rump_sys_fsync(fd));
	for (size_t off = 0; off < total; off += chunk) {
		fill(p, chunk, (unsigned)(off / chunk));
		host_pread(hp, q, chunk, (off_t)off);
		if (memcmp(p, q, chunk) != 0)
			T_FAIL("chunk at %zu is not on the host", off);
	}
	T_OK(rump_sys_close(fd));
	free(p);
	free(q);
	done();
}

T_CASE(bio_hostdata, "BLK reads see data the host file held at registration")
{
	const char *hp = hpath("disk.img");
	static unsigned char p[1 << 20], q[1 << 20];
	int fd;

	t_boot();
	fill(p, sizeof(p), 11);
	host_write(hp, p, sizeof(p), 0);
	T_EQ(rump_pub_etfs_register("/blk", hp, RUMP_ETFS_BLK), 0);
	T_OK(fd = rump_sys_open("/blk", O_RDONLY));
	/* Odd-sized sequential reads, crossing blocks. */
	for (size_t off = 0; off < sizeof(q);) {
		size_t n = sizeof(q) - off < 1000 + off % 7777
		    ? sizeof(q) - off
		    : 1000 + off % 7777;

		T_EQ(rump_sys_read(fd, q + off, n), n);
		off += n;
	}
	T_ASSERT(memcmp(p, q, sizeof(p)) == 0);
	T_OK(rump_sys_close(fd));
	done();
}

T_CASE(chr, "CHR: an unbuffered host file as a character device")
{
	const char *hp = hpath("chr");
	char buf[16];
	struct stat st;
	int fd;

	t_boot();
	host_write(hp, "0123456789", 10, 0);
	T_EQ(rump_pub_etfs_register("/dev/hchr", hp, RUMP_ETFS_CHR), 0);
	T_OK(rump_sys_stat("/dev/hchr", &st));
	T_ASSERT(S_ISCHR(st.st_mode));
	T_OK(fd = rump_sys_open("/dev/hchr", O_RDWR));
	T_EQ(rump_sys_read(fd, buf, 4), 4);
	T_ASSERT(memcmp(buf, "0123", 4) == 0);
	T_EQ(rump_sys_write(fd, "ab", 2), 2);
	host_pread(hp, buf, 10, 0); /* no fsync: unbuffered */
	T_ASSERT(memcmp(buf, "0123ab6789", 10) == 0);
	T_OK(rump_sys_close(fd));
	done();
}

static int
dir_has(const char *dir, const char *name)
{
	char buf[4096];
	int fd, n, found = 0;

	T_OK(fd = rump_sys_open(dir, O_RDONLY | O_DIRECTORY));
	while ((n = (int)rump_sys_getdents64(fd, buf, sizeof(buf))) > 0)
		for (int off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);

			if (strcmp(d->d_name, name) == 0)
				found = 1;
			off += d->d_reclen;
		}
	T_EQ(n, 0);
	T_OK(rump_sys_close(fd));
	return found;
}

T_CASE(key_rules, "keys: absolute, leading slashes collapse, exact path only")
{
	const char *hp = hpath("f");
	struct stat st;

	t_boot();
	host_write(hp, "x", 1, 0);
	T_EQ(rump_pub_etfs_register("key", hp, RUMP_ETFS_REG), EINVAL);
	T_EQ(rump_pub_etfs_register("", hp, RUMP_ETFS_REG), EINVAL);
	T_EQ(rump_pub_etfs_register("/", hp, RUMP_ETFS_REG), EINVAL);
	T_EQ(rump_pub_etfs_register("/k", hp, (enum rump_etfs_type)99), EINVAL);
	T_EQ(rump_pub_etfs_register("/k", hpath("missing"), RUMP_ETFS_REG),
	    ENOENT);
	T_EQ(rump_pub_etfs_register("//key", hp, RUMP_ETFS_REG), 0);
	T_EQ(rump_pub_etfs_register("/key", hp, RUMP_ETFS_REG), EEXIST);
	T_OK(rump_sys_stat("/key", &st));
	T_OK(rump_sys_stat("///key", &st));
	T_EQ(st.st_size, 1);
	/* Not found under another directory, nor relative from there. */
	T_OK(rump_sys_mkdir("/sub", 0755));
	T_ERRNO(rump_sys_stat("/sub/key", &st), ENOENT);
	T_OK(rump_sys_chdir("/sub"));
	T_ERRNO(rump_sys_stat("key", &st), ENOENT);
	/* The rest is compared byte for byte. */
	T_EQ(rump_pub_etfs_register("/a/b", hp, RUMP_ETFS_REG), 0);
	T_OK(rump_sys_stat("/a/b", &st));
	T_ERRNO(rump_sys_stat("/a//b", &st), ENOENT);
	/* Keys are not listed by readdir. */
	T_ASSERT(dir_has("/", "sub"));
	T_ASSERT(!dir_has("/", "key"));
	T_ASSERT(!dir_has("/", "a"));
	T_EQ(rump_pub_etfs_remove("key"), EINVAL);
	T_EQ(rump_pub_etfs_remove("/nokey"), ENOENT);
	T_EQ(rump_pub_etfs_remove("/key"), 0);
	T_ERRNO(rump_sys_stat("/key", &st), ENOENT);
	T_EQ(rump_pub_etfs_remove("//a/b"), 0);
	done();
}

T_CASE(
    remove_busy, "remove: EBUSY while open; after close it goes; re-register")
{
	const char *hp = hpath("f"), *bp = hpath("disk.img");
	char c;
	int fd;

	t_boot();
	host_write(hp, "abc", 3, 0);
	host_write(bp, NULL, 0, 1 << 20);
	T_EQ(rump_pub_etfs_register("/key", hp, RUMP_ETFS_REG), 0);
	T_OK(fd = rump_sys_open("/key", O_RDONLY));
	T_EQ(rump_pub_etfs_remove("/key"), EBUSY);
	T_EQ(rump_sys_read(fd, &c, 1), 1);
	T_OK(rump_sys_close(fd));
	T_EQ(rump_pub_etfs_remove("/key"), 0);
	T_ERRNO(rump_sys_open("/key", O_RDONLY), ENOENT);
	T_EQ(rump_pub_etfs_register("/key", hp, RUMP_ETFS_REG), 0);
	T_OK(fd = rump_sys_open("/key", O_RDONLY));
	T_EQ(rump_sys_read(fd, &c, 1), 1);
	T_EQ(c, 'a');
	T_OK(rump_sys_close(fd));

	T_EQ(rump_pub_etfs_register("/blk", bp, RUMP_ETFS_BLK), 0);
	T_OK(fd = rump_sys_open("/blk", O_RDWR));
	T_EQ(rump_pub_etfs_remove("/blk"), EBUSY);
	T_EQ(rump_sys_pwrite64(fd, "data", 4, 0), 4);
	T_OK(rump_sys_close(fd));
	T_EQ(rump_pub_etfs_remove("/blk"), 0);
	T_EQ(rump_pub_etfs_register("/blk", bp, RUMP_ETFS_BLK), 0);
	T_OK(fd = rump_sys_open("/blk", O_RDONLY));
	char buf[4];
	T_EQ(rump_sys_read(fd, buf, 4), 4);
	T_ASSERT(memcmp(buf, "data", 4) == 0);
	T_OK(rump_sys_close(fd));
	done();
}

T_CASE(many_blk, "at least 64 block devices at once")
{
	const char *hp = hpath("disk.img");
	char key[32];
	uint64_t size;
	int fd;

	t_boot();
	host_write(hp, NULL, 0, 1 << 20);
	for (int i = 0; i < 80; i++) {
		snprintf(key, sizeof(key), "/ld%d", i);
		T_EQ(rump_pub_etfs_register_withsize(
		         key, hp, RUMP_ETFS_BLK, (uint64_t)i * 8192, 8192),
		    0);
	}
	for (int i = 0; i < 80; i++) {
		snprintf(key, sizeof(key), "/ld%d", i);
		T_OK(fd = rump_sys_open(key, O_RDWR));
		T_OK(rump_sys_ioctl(fd, BLKGETSIZE64, &size));
		T_EQ(size, 8192);
		T_EQ(rump_sys_pwrite64(fd, &i, sizeof(i), 0), sizeof(i));
		T_OK(rump_sys_close(fd));
	}
	for (int i = 0; i < 80; i++) {
		int v = -1;

		host_pread(hp, &v, sizeof(v), (off_t)i * 8192);
		T_EQ(v, i);
		snprintf(key, sizeof(key), "/ld%d", i);
		T_EQ(rump_pub_etfs_remove(key), 0);
	}
	done();
}

T_CASE(dir, "DIR: immediate children only; DIR_SUBDIRS: the whole tree")
{
	char d[256], buf[16];
	struct stat st;
	int fd;

	t_boot();
	snprintf(d, sizeof(d), "%s", hpath("tree"));
	T_OK(mkdir(d, 0755));
	T_OK(mkdir(hpath("tree/s"), 0755));
	host_write(hpath("tree/a"), "top", 3, 0);
	host_write(hpath("tree/s/b"), "deep", 4, 0);
	T_EQ(rump_pub_etfs_register("/d", d, RUMP_ETFS_DIR), 0);
	T_EQ(rump_pub_etfs_register("/ds", d, RUMP_ETFS_DIR_SUBDIRS), 0);
	T_EQ(rump_pub_etfs_register("/x", hpath("tree/a"), RUMP_ETFS_DIR),
	    ENOTDIR);
	T_OK(rump_sys_stat("/d", &st));
	T_ASSERT(S_ISDIR(st.st_mode));
	T_OK(fd = rump_sys_open("/d/a", O_RDONLY));
	T_EQ(rump_sys_read(fd, buf, sizeof(buf)), 3);
	T_ASSERT(memcmp(buf, "top", 3) == 0);
	T_EQ(rump_pub_etfs_remove("/d"), EBUSY);
	T_OK(rump_sys_close(fd));
	T_OK(rump_sys_stat("/d/s", &st));
	T_ASSERT(S_ISDIR(st.st_mode));
	T_ERRNO(rump_sys_stat("/d/s/b", &st), ENOENT);
	T_ERRNO(rump_sys_stat("/d/nothere", &st), ENOENT);
	T_OK(fd = rump_sys_open("/ds/s/b", O_RDWR));
	T_EQ(rump_sys_read(fd, buf, sizeof(buf)), 4);
	T_ASSERT(memcmp(buf, "deep", 4) == 0);
	T_EQ(rump_sys_pwrite64(fd, "DE", 2, 0), 2);
	T_OK(rump_sys_close(fd));
	T_OK(rump_sys_stat("/ds/s/../a", &st));
	T_EQ(st.st_size, 3);
	host_pread(hpath("tree/s/b"), buf, 4, 0);
	T_ASSERT(memcmp(buf, "DEep", 4) == 0);
	/* Relative lookups below a directory key. */
	T_OK(rump_sys_chdir("/ds/s"));
	T_OK(rump_sys_stat("b", &st));
	T_EQ(st.st_size, 4);
	/* readdir of a directory key: "." and ".." (no host readdir). */
	T_ASSERT(dir_has("/ds", "."));
	T_OK(rump_sys_chdir("/"));
	T_EQ(rump_pub_etfs_remove("/d"), 0);
	T_ERRNO(rump_sys_stat("/d/a", &st), ENOENT);
	done();
}
