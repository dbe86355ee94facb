/*
 * vfs_ext2fs_main.c — the VFS conformance suite (tests/vfs/vfs_cases.c)
 * run on rumpk's ext2/ext3/ext4 driver.  Built once per file-system type
 * and block size (E2_TYPE, E2_BSIZE: see ext2fs.mk) as
 * build/tests/fs/ext2fs/t_vfs_<type>_<bsize>.
 *
 * Each case makes a fresh image with mke2fs, registers it as an etfs
 * block device, mounts it on /mnt and runs in /mnt/t; afterwards it
 * unmounts and the image must pass `e2fsck -fn` (exit 0).
 *
 * Reads never update atime.  Symlink targets are limited to a block
 * minus one byte, as on Linux.
 */
#include <sys/mount.h>
#include <unistd.h>

#include <rump/rump.h>

#include "../../vfs/vfs.h"
#include "e2fs_util.h"

#define E2_ext2       0
#define E2_ext3       0
#define E2_ext4       1
#define E2_CAT(a, b)  a##b
#define E2_XCAT(a, b) E2_CAT(a, b)
#define E2_EXTENTS    E2_XCAT(E2_, E2_TYPE)

#define STR2(x) #x
#define STR(x)  STR2(x)

static char img[512];

static void
e2_prepare(const struct vfs_target *t __attribute__((unused)))
{
	e2_need_tools();
	e2_image_path(img, sizeof(img), "vfs");
	e2_mkfs(img, STR(E2_TYPE), E2_BSIZE, "-N 16384", "64M");
	e2_register(img);
}

/* A descriptor of the real root, to leave a case's chroot by. */
#define ROOTFD 1000

static void
e2_setup(struct vfs_target *t)
{
	int fd;

	vfs_setup_rump(t);
	if ((fd = rump_sys_open("/", O_RDONLY | O_DIRECTORY, 0)) == -1 ||
	    rump_sys_dup2(fd, ROOTFD) == -1)
		T_FAIL("setup: open /: %s", strerror(errno));
	rump_sys_close(fd);
}

/*
 * Unmounts the image and checks it.  A mount a case detached inside the
 * image keeps its covered directory busy until halt, so then the image is
 * only synced; e2fsck must find it consistent either way.
 */
static void
e2_teardown(const struct vfs_target *t __attribute__((unused)))
{
	if (rump_sys_fchdir(ROOTFD) == -1 || rump_sys_chroot(".") == -1)
		T_FAIL("teardown: back to the root: %s", strerror(errno));
	rump_sys_chdir("/");
	for (int fd = 0; fd <= ROOTFD; fd++)
		(void)rump_sys_close(fd);
	if (rump_sys_umount2("/mnt", 0) == -1) {
		if (errno != EBUSY)
			T_FAIL("unmount /mnt: %s", strerror(errno));
		if (rump_sys_sync() == -1)
			T_FAIL("sync: %s", strerror(errno));
	}
	e2_fsck(img);
	unlink(img);
}

static struct vfs_target e2_target = {
    .vt_name = STR(E2_TYPE) "-" STR(E2_BSIZE),
    .vt_api = &vfs_api_rump,
    .vt_caps = VFS_SYMLINKS | VFS_HARDLINKS | VFS_SPECIALS | VFS_PERMS |
        VFS_SPARSE | VFS_ROOT | VFS_MOUNT | VFS_RUMPK | VFS_ANYNAME |
        VFS_DIRNLINK | VFS_NOATIME | VFS_XATTR | VFS_TMPFILE,
    .vt_name_max = 255,
    .vt_time_gran_ns = 1,
    .vt_fs_magic = 0xEF53,
    .vt_setup = e2_setup,
    .vt_prepare = e2_prepare,
    .vt_fstype = STR(E2_TYPE),
    .vt_source = E2_DEV,
    .vt_teardown = e2_teardown,
    /* A block less its header, one entry and the end mark. */
    .vt_xattr_max = E2_BSIZE - 32 - 28 - 4,
    .vt_symlink_max = E2_BSIZE - 1 < 4095 ? E2_BSIZE - 1 : 4095,
    /* ext4 (extents, huge_file): 2^32 - 1 blocks; ext2/3: not tested. */
    .vt_max_file_size = E2_EXTENTS ? 0xFFFFFFFFLL * E2_BSIZE : 0,
};

struct vfs_target *vfs_target = &e2_target;
