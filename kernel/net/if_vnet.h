/*
 * net/if_vnet.h — the virtio-net header (virtio 1.x, 5.1.6 "struct
 * virtio_net_hdr"), as a Linux TAP device with IFF_VNET_HDR puts it in
 * front of every frame in both directions: the offload state of the
 * frame (partial checksum, segmentation) that our mbufs carry in
 * m_pkthdr (mbuf.h).  Fields are little-endian (what a TAP uses on a
 * little-endian host, and virtio 1.x always); num_buffers is there to
 * make the header 12 bytes (TUNSETVNETHDRSZ) and is ignored.
 *
 * vnet_hdr_input/output (if_vnet.c) translate between the header and the
 * mbuf state for any driver of such a device (virtif today).
 */
#ifndef KERNEL_NET_IF_VNET_H
#define KERNEL_NET_IF_VNET_H

#include "net/mbuf.h"

struct virtio_net_hdr {
	uint8_t vh_flags;        /* VNET_HDR_F_* */
	uint8_t vh_gso_type;     /* VNET_HDR_GSO_* */
	uint16_t vh_hdr_len;     /* link + network + transport headers */
	uint16_t vh_gso_size;    /* payload bytes per segment */
	uint16_t vh_csum_start;  /* from the start of the frame */
	uint16_t vh_csum_offset; /* of the checksum field from csum_start */
	uint16_t vh_num_buffers; /* unused here */
} __attribute__((__packed__));
_Static_assert(sizeof(struct virtio_net_hdr) == 12, "virtio_net_hdr size");

#define VNET_HDR_F_NEEDS_CSUM 0x01 /* checksum from csum_start left to do */
#define VNET_HDR_F_DATA_VALID 0x02 /* checksums verified (receive only) */

#define VNET_HDR_GSO_NONE  0
#define VNET_HDR_GSO_TCPV4 1
#define VNET_HDR_GSO_UDP   3
#define VNET_HDR_GSO_TCPV6 4
#define VNET_HDR_GSO_ECN   0x80 /* with TCPV4/6: CWR may be set */

/* The smallest gso_size taken on input: smaller ones would make a
 * forwarded packet into thousands of segments. */
#define VNET_HDR_MIN_GSO 64

/*
 * Takes the offload state of a received Ethernet frame m (from its
 * Ethernet header, m_pkthdr.len bytes) from its header vh into
 * m_pkthdr: DATA_VALID and NEEDS_CSUM make it M_CSUM_DATA_OK (the host's
 * own stack made it), NEEDS_CSUM adds M_CSUM_PARTIAL with csum_start
 * counted from the network header, a TCPV4/TCPV6 gso_type adds
 * M_CSUM_TSOv4/v6 and gso_size.  Returns 0, or EINVAL for a malformed
 * header (unknown flags or gso types, csum_start or offset beyond the
 * frame, segmentation of something that is not a whole TCP packet of
 * that family, a tiny gso_size): the caller drops m and counts it.  m is
 * not consumed either way.
 */
int vnet_hdr_input(struct mbuf *m, const struct virtio_net_hdr *vh);
/* Fills vh for Ethernet frame m (its link header is linkhdr bytes) from
 * the offload state of m (all zero when there is none). */
void vnet_hdr_output(
    const struct mbuf *m, int linkhdr, struct virtio_net_hdr *vh);

#endif /* KERNEL_NET_IF_VNET_H */
