/*
 * pfstest.h — the kernel-side helpers of t_procfs (pfstest.c): files
 * registered with procfs as a kernel subsystem registers them.  Each
 * returns 0 or an errno.
 */
#ifndef TESTS_FS_PROCFS_PFSTEST_H
#define TESTS_FS_PROCFS_PFSTEST_H

#include <stddef.h>

/*
 * Kinds of test file:
 *   PFSTEST_COUNTER  reads "<n>\n", n counting the snapshots made;
 *                    writable: a write sets the stored value that
 *                    rump_pfstest_value() returns
 *   PFSTEST_BIG      reads `size` bytes: line i is "line <i>\n" padded
 *   PFSTEST_FAIL     the read function fails with EIO
 */
#define PFSTEST_COUNTER 1
#define PFSTEST_BIG     2
#define PFSTEST_FAIL    3
int rump_pfstest_register(const char *path, int kind, size_t size, int rw);
void rump_pfstest_unregister(const char *path);
/* The last value written to a PFSTEST_COUNTER file (NUL-terminated). */
int rump_pfstest_value(char *buf, size_t len);

#endif
