/*
 * etfs.h — host files in the kernel's namespace (vfs_etfs.c), as the VFS
 * core sees them, and the block-device helpers of the buffer cache that
 * block drivers use (vfs_bio.c).
 *
 * namei() asks etfs_lookup() about every absolute path before it walks
 * the tree: a path that is a registered key (or, for RUMP_ETFS_DIR and
 * RUMP_ETFS_DIR_SUBDIRS keys, names something below one) resolves to an
 * etfs vnode, whatever the root file system holds at that path.
 */
#ifndef KERNEL_VFS_ETFS_H
#define KERNEL_VFS_ETFS_H

#include "vfs.h"

/*
 * path[0..len) is an absolute path as the caller gave it (not
 * NUL-terminated).  Returns 0 and a referenced vnode when it names an
 * etfs key or, below a directory key, one of its children; ENOENT when it
 * is no key (namei then walks the tree as usual); other errors (ENOMEM,
 * EACCES, ...) when it is a key whose host file cannot be reached.
 */
int etfs_lookup(const char *path, size_t len, struct vnode **vpp);

/*
 * Kernel-internal ioctl of block devices: make completed writes durable
 * (uarg unused).  bflush(dev, true) sends it to the driver after the
 * writes are done.  (Belongs next to struct devsw in vfs.h.)
 */
#ifndef DIOCCACHESYNC
#define DIOCCACHESYNC 0x7fff6401UL
#endif

/*
 * Reads and writes of a block device of devsize bytes by programs, at
 * uio_offset, through the buffer cache in BIO_RAWBSIZE blocks (so they
 * see each other's data and the buffers of file systems).  Reads stop at
 * the end of the device; a write that starts there fails with ENOSPC.
 */
#define BIO_RAWBSIZE 4096
int bio_rawread(dev_t dev, uint64_t devsize, struct uio *uio);
int bio_rawwrite(dev_t dev, uint64_t devsize, struct uio *uio, int ioflag);

#endif /* KERNEL_VFS_ETFS_H */
