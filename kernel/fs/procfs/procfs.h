/*
 * procfs.h — the kernel's /proc, as the rest of the kernel sees it: a way
 * to publish text files in Linux's formats ("net/route", "meminfo",
 * "sys/net/ipv4/ip_forward") that user programs read and write with
 * ordinary file calls.
 *
 * A subsystem registers a file with a read function, which fills a text
 * buffer when the file is opened (the opener then reads that snapshot at
 * any offset), and optionally a write function, which gets each write(2)
 * whole.  Registration works before and after /proc is mounted; the files
 * appear in every mount of procfs.  procfs is part of the VFS faction
 * (librumpvfs) and is mounted on /proc at boot.
 *
 * Callbacks run in the context of the caller's system call, holding no
 * procfs lock, and may sleep; they must not unregister their own file.
 * After procfs_unregister() returns, the file's callbacks are no longer
 * running and will not be called again, so arg may be freed.
 */
#ifndef KERNEL_FS_PROCFS_PROCFS_H
#define KERNEL_FS_PROCFS_PROCFS_H

#include "kern/kern.h"

struct pfs_buf; /* a growing text buffer owned by procfs */
void pfs_printf(struct pfs_buf *b, const char *fmt, ...) __printflike(2, 3);
void pfs_write(struct pfs_buf *b, const void *data, size_t len);
/* Fills b with the file's contents: called at open(), the reader then
 * reads that snapshot. Returns 0 or an errno. */
typedef int (*pfs_read_fn)(void *arg, struct pfs_buf *b);
/* Called by write(2) with the whole buffer of that write (a value written
 * to /proc/sys/...); NULL makes the file read-only (mode 0444, else 0644). */
typedef int (*pfs_write_fn)(void *arg, const char *data, size_t len);
/* Registers a file at a path below /proc ("net/route",
 * "sys/net/ipv4/ip_forward"); directories are made as needed.  May be
 * called before or after /proc is mounted (from component init). Returns
 * 0/errno. */
int procfs_register(
    const char *path, pfs_read_fn rd, pfs_write_fn wr, void *arg);
void procfs_unregister(const char *path);

#endif /* KERNEL_FS_PROCFS_PROCFS_H */
