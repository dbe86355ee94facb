/*
 * sys/types.h — the kernel's basic types.
 *
 * The kernel is built freestanding: it may use the compiler's own
 * freestanding headers (stddef.h, stdint.h, stdbool.h, stdarg.h) and
 * nothing of the host.  The widths below are those of the Linux userspace
 * ABI on 64-bit architectures, which is the kernel's ABI (DESIGN §3).
 */
#ifndef KERNEL_SYS_TYPES_H
#define KERNEL_SYS_TYPES_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef long ssize_t;
typedef long register_t;
typedef int pid_t;
typedef int lwpid_t;
typedef unsigned int uid_t;
typedef unsigned int gid_t;
typedef unsigned int mode_t;
typedef long off_t;
typedef long time_t;
typedef long suseconds_t;
typedef int clockid_t;
typedef unsigned long rlim_t;
typedef uint32_t socklen_t;

#define NULL_PTR ((void *)0)

#endif /* KERNEL_SYS_TYPES_H */
