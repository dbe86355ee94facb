/*
 * t_vfs_host.c — the VFS conformance suite (vfs_cases.c) run against the
 * host kernel in a fresh directory under /tmp: the oracle that tells the
 * cases are right.  What the host's file system supports (O_TMPFILE,
 * holes, directory link counts, the longest name) is probed at setup;
 * running as root adds the cases that drop privileges, chroot and mount.
 */
#include "vfs.h"

static struct vfs_target host_target = {
    .vt_name = "host",
    .vt_api = &vfs_api_host,
    .vt_caps =
        VFS_SYMLINKS | VFS_HARDLINKS | VFS_SPECIALS | VFS_PERMS | VFS_ANYNAME,
    .vt_name_max = 255,
    .vt_time_gran_ns = 1,
    .vt_setup = vfs_setup_host,
};

struct vfs_target *vfs_target = &host_target;
