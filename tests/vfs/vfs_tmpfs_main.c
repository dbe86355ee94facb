/*
 * vfs_tmpfs_main.c — the VFS conformance suite (vfs_cases.c) run against
 * rumpk's root tmpfs, in /t of a kernel booted by each case; built as
 * build/tests/vfs/t_vfs_tmpfs (see vfs.mk).  tmpfs is expected to behave
 * as Linux's: it claims every capability of the suite.
 */
#include "vfs.h"

static struct vfs_target tmpfs_target = {
    .vt_name = "tmpfs",
    .vt_api = &vfs_api_rump,
    .vt_caps = VFS_TMPFILE | VFS_SYMLINKS | VFS_HARDLINKS | VFS_SPECIALS |
        VFS_PERMS | VFS_SPARSE | VFS_ROOT | VFS_MOUNT | VFS_RUMPK |
        VFS_ANYNAME | VFS_DIRNLINK | VFS_XATTR,
    .vt_name_max = 255,
    .vt_xattr_max = 65536,
    .vt_time_gran_ns = 1,
    .vt_fs_magic = 0x01021994, /* TMPFS_MAGIC */
    .vt_setup = vfs_setup_rump,
};

struct vfs_target *vfs_target = &tmpfs_target;
