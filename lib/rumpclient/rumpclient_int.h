/*
 * rumpclient_int.h — what the generated stubs (rumpclient_syscalls.c,
 * from scripts/gensyscalls.awk -v out=clientstubs) and the library share.
 */
#ifndef LIB_RUMPCLIENT_RUMPCLIENT_INT_H
#define LIB_RUMPCLIENT_RUMPCLIENT_INT_H

#include <stddef.h>
#include <stdint.h>

#define RC_IN    0x01 /* the kernel reads it: carried in the request */
#define RC_OUT   0x02 /* the kernel writes it: comes back in the reply */
#define RC_STR   0x04 /* a NUL-terminated string (len is computed) */
#define RC_INOUT (RC_IN | RC_OUT)

/* A pointer argument as syscalls.master describes it. */
struct rc_region {
	const void *rg_addr;
	size_t rg_len;
	unsigned rg_flags;
};

/*
 * Sends system call num with nargs argument slots and the regions, waits
 * for the reply; returns 0 (rv filled) or an errno value.
 */
int rumpclient__call(int num, const int64_t *args, unsigned nargs,
    const struct rc_region *rg, unsigned nrg, int64_t *rv)
    __attribute__((visibility("hidden")));

#endif /* LIB_RUMPCLIENT_RUMPCLIENT_INT_H */
