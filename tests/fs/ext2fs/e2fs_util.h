/*
 * e2fs_util.h — helpers of the ext2fs tests: images made by mke2fs,
 * checked by e2fsck and read by debugfs (e2fsprogs, the oracle), and
 * mounted in a rump kernel through an etfs block device.
 */
#ifndef TESTS_FS_EXT2FS_E2FS_UTIL_H
#define TESTS_FS_EXT2FS_E2FS_UTIL_H

#include <stddef.h>

/* The device key images are registered under, and where cases mount it. */
#define E2_DEV "/dev/e2img"
#define E2_MNT "/mnt"

/* Skips the case (visibly) unless mke2fs, e2fsck and debugfs exist. */
void e2_need_tools(void);
/* A fresh path for an image (in $TMPDIR or /tmp) in buf. */
void e2_image_path(char *buf, size_t len, const char *tag);
/*
 * Runs a shell command; returns its exit status (or -1).  Its output
 * goes to out (up to outlen bytes) when out is not NULL, else to stderr.
 */
int e2_run(char *out, size_t outlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* mke2fs -t type -b bsize [extra] img size: fails the case if it fails. */
void e2_mkfs(const char *img, const char *type, unsigned bsize,
    const char *extra, const char *size);
/* e2fsck -fn img: fails the case (showing its output) unless clean. */
void e2_fsck(const char *img);
/* Registers img as the block device E2_DEV of the running kernel. */
void e2_register(const char *img);
/* rump_init() and the directory E2_MNT: fails the case if either fails. */
void e2_boot(void);
/* Mounts E2_DEV on E2_MNT as type: fails the case if it fails. */
void e2_mount(const char *type, unsigned long flags);
/* Unmounts E2_MNT: fails the case if it fails. */
void e2_umount(void);
/* Corrupt-image rounds: E2_CORRUPT_ROUNDS, or 2,000 with E2_FULL=1, else
 * dflt. */
int e2_corrupt_rounds(int dflt);

#endif
