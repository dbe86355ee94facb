/*
 * virtif_user.h — the component hypercalls of virtif: what the driver
 * (kernel side, virtif_if.c) asks of its host part (virtif_user.c, built
 * without _KERNEL with the platform's flags, linked into
 * librumpnet_virtif): a host TAP device (Linux /dev/net/tun, IFF_TAP |
 * IFF_NO_PI) opened by name, frames written and read whole, and a wait
 * for the next frame that gives back the virtual CPU.  Functions return 0
 * or an errno in the kernel's numbering.  Includes nothing; the includer
 * has rumpuser.h's struct rumpuser_iovec.
 */
#ifndef KERNEL_DEV_VIRTIF_VIRTIF_USER_H
#define KERNEL_DEV_VIRTIF_VIRTIF_USER_H

struct virtif_user;
struct rumpuser_iovec;

/* Attaches to (creating if needed) TAP device devname. */
int rumpcomp_virtif_create(const char *devname, struct virtif_user **vup);
/* Writes one frame; ENOBUFS when the device queue is full.  Never blocks. */
int rumpcomp_virtif_send(
    struct virtif_user *vu, const struct rumpuser_iovec *iov, size_t iovcnt);
/* Reads one frame into buf; EAGAIN when none is waiting.  Never blocks. */
int rumpcomp_virtif_recv(
    struct virtif_user *vu, void *buf, size_t len, size_t *got);
/* Sleeps without the virtual CPU until a frame waits, a kick or timeout. */
int rumpcomp_virtif_wait(struct virtif_user *vu, int timeout_ms);
/* Wakes a wait in progress or the next one. */
void rumpcomp_virtif_kick(struct virtif_user *vu);
void rumpcomp_virtif_destroy(struct virtif_user *vu);

#endif /* KERNEL_DEV_VIRTIF_VIRTIF_USER_H */
