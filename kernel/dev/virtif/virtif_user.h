/*
 * virtif_user.h — the component hypercalls of virtif: what the driver
 * (kernel side, virtif_if.c) asks of its host part (virtif_user.c, built
 * without _KERNEL with the platform's flags, linked into
 * librumpnet_virtif): a host TAP device (Linux /dev/net/tun, IFF_TAP |
 * IFF_NO_PI) opened by name, frames written and read whole, and a wait
 * for the next frame that gives back the virtual CPU.  Functions return 0
 * or an errno in the kernel's numbering.  Includes nothing; the includer
 * has rumpuser.h's struct rumpuser_iovec.
 *
 * Offloads are negotiated when the device is opened: asked for with
 * VIRTIF_F_VNET, the TAP gets IFF_VNET_HDR if the host has it, a header
 * of VIRTIF_VNET_HDRLEN bytes (net/if_vnet.h, TUNSETVNETHDRSZ) before
 * every frame read and written, and then as much of TUNSETOFFLOAD
 * (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6, or TUN_F_CSUM alone) as it
 * takes: what the host may send us undone.  Writing partial checksums
 * and TSO packets needs only the header.  Without VIRTIF_F_VNET, or on a
 * host without it, frames are plain and the device's offloads are
 * turned off (a persistent TAP keeps them from its last user).
 */
#ifndef KERNEL_DEV_VIRTIF_VIRTIF_USER_H
#define KERNEL_DEV_VIRTIF_VIRTIF_USER_H

struct virtif_user;
struct rumpuser_iovec;

#define VIRTIF_VNET_HDRLEN 12   /* sizeof(struct virtio_net_hdr) */
#define VIRTIF_F_VNET      0x01 /* frames carry the virtio-net header */
#define VIRTIF_F_RXCSUM    0x02 /* the host may send partial checksums */
#define VIRTIF_F_RXTSO4    0x04 /* the host may send TCP/IPv4 up to 64 KiB */
#define VIRTIF_F_RXTSO6    0x08 /* the host may send TCP/IPv6 up to 64 KiB */

/* Attaches to (creating if needed) TAP device devname; want is 0 or
 * VIRTIF_F_VNET, *featp gets the VIRTIF_F_* that hold. */
int rumpcomp_virtif_create(
    const char *devname, int want, int *featp, struct virtif_user **vup);
/* Writes one frame (with the header first, in iov[0], under
 * VIRTIF_F_VNET); ENOBUFS when the device queue is full.  Never blocks. */
int rumpcomp_virtif_send(
    struct virtif_user *vu, const struct rumpuser_iovec *iov, size_t iovcnt);
/* Reads one frame (header first) scattered over iov; EAGAIN when none is
 * waiting.  *got is the bytes read.  Never blocks. */
int rumpcomp_virtif_recv(struct virtif_user *vu,
    const struct rumpuser_iovec *iov, size_t iovcnt, size_t *got);
/* Sleeps without the virtual CPU until a frame waits, a kick or timeout. */
int rumpcomp_virtif_wait(struct virtif_user *vu, int timeout_ms);
/* Wakes a wait in progress or the next one. */
void rumpcomp_virtif_kick(struct virtif_user *vu);
void rumpcomp_virtif_destroy(struct virtif_user *vu);

#endif /* KERNEL_DEV_VIRTIF_VIRTIF_USER_H */
