/*
 * rumpuser_fault.h — the posix platform's block-write fault switch, for
 * tests of disk file systems (a power cut after the Nth write).
 *
 * RUMP_BLK_WRITE_LIMIT=N in the environment (read at the first write), or
 * rumpuser_fault_blkwrite_limit(N): the first N positional writes to host
 * files are applied — rumpuser_bio writes (block devices) and positional
 * rumpuser_iovwrite — and every later one is dropped silently, reported as
 * done, as if the power went off after the Nth.  N < 0 turns it off.
 * Writes are numbered in the order they are handed to the host (the
 * number is taken just before the pwrite), so with asynchronous I/O on
 * the thread pool a write numbered <= N is applied even if one numbered
 * higher was issued at the same time; any write the kernel waited for
 * before issuing another has the lower number.
 */
#ifndef PLATFORM_POSIX_RUMPUSER_FAULT_H
#define PLATFORM_POSIX_RUMPUSER_FAULT_H

#include <stdbool.h>

void rumpuser_fault_blkwrite_limit(long long n);
/* Writes numbered so far (applied or dropped). */
unsigned long long rumpuser_fault_blkwrites(void);

#endif
