/*
 * if_vnet.c — the virtio-net header of TAP frames (if_vnet.h) into and
 * out of the mbuf offload state (mbuf.h).  Input is parsed defensively:
 * the header comes from the host but is checked against the frame it
 * describes, so a bad one is dropped, never trusted into a bad offset.
 */
#include "net/if.h"
#include "net/if_vnet.h"

#define ETHERTYPE_OFF 12
#define IP4_MINHDR    20
#define IP6_HDR       40
#define PROTO_TCP     6
#define PROTO_UDP     17
#define TCP_MINHDR_   20

static inline uint16_t
vh16(uint16_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return __builtin_bswap16(v);
#else
	return v;
#endif
}

/* What the frame's headers say, as far as they are in it. */
struct vnet_l3 {
	int l3;    /* ETHERTYPE_IP, ETHERTYPE_IPV6 or 0 */
	int nhlen; /* network header length (IPv6: the fixed one) */
	int proto; /* transport protocol, -1 if unknown */
	bool frag; /* an IPv4 fragment */
	int thlen; /* TCP header length, 0 if not TCP or not all there */
};

static void
vnet_parse(const struct mbuf *m, struct vnet_l3 *p)
{
	uint8_t h[ETHER_HDR_LEN + 60 + 60];
	int len = m->m_pkthdr.len, n = MIN(len, (int)sizeof(h)), type;

	memset(p, 0, sizeof(*p));
	p->proto = -1;
	if (n < ETHER_HDR_LEN)
		return;
	m_copydata(m, 0, n, h);
	type = h[ETHERTYPE_OFF] << 8 | h[ETHERTYPE_OFF + 1];
	if (type == ETHERTYPE_IP && n >= ETHER_HDR_LEN + IP4_MINHDR &&
	    (h[ETHER_HDR_LEN] >> 4) == 4) {
		const uint8_t *ip = h + ETHER_HDR_LEN;
		int hl = (ip[0] & 15) * 4;

		if (hl < IP4_MINHDR || ETHER_HDR_LEN + hl > n)
			return;
		p->l3 = type;
		p->nhlen = hl;
		p->proto = ip[9];
		p->frag = ((ip[6] & 0x3f) | ip[7]) != 0; /* MF or an offset */
	} else if (type == ETHERTYPE_IPV6 && n >= ETHER_HDR_LEN + IP6_HDR &&
	    (h[ETHER_HDR_LEN] >> 4) == 6) {
		p->l3 = type;
		p->nhlen = IP6_HDR;
		p->proto = h[ETHER_HDR_LEN + 6];
	} else
		return;
	if (p->proto == PROTO_TCP && !p->frag &&
	    ETHER_HDR_LEN + p->nhlen + TCP_MINHDR_ <= n) {
		int thlen = (h[ETHER_HDR_LEN + p->nhlen + 12] >> 4) * 4;

		if (thlen >= TCP_MINHDR_ &&
		    ETHER_HDR_LEN + p->nhlen + thlen <= len)
			p->thlen = thlen;
	}
}

int
vnet_hdr_input(struct mbuf *m, const struct virtio_net_hdr *vh)
{
	struct pkthdr *ph = &m->m_pkthdr;
	int len = ph->len, start, off, gso = vh->vh_gso_type;
	struct vnet_l3 p;
	uint16_t f = 0;

	ph->csum_flags = 0;
	ph->gso_size = 0;
	if (vh->vh_flags & ~(VNET_HDR_F_NEEDS_CSUM | VNET_HDR_F_DATA_VALID))
		return EINVAL;
	if (vh->vh_flags == 0 && gso == VNET_HDR_GSO_NONE)
		return 0; /* the common case of a plain frame */
	vnet_parse(m, &p);
	if (vh->vh_flags & (VNET_HDR_F_NEEDS_CSUM | VNET_HDR_F_DATA_VALID))
		f |= M_CSUM_DATA_OK;
	if (vh->vh_flags & VNET_HDR_F_NEEDS_CSUM) {
		start = vh16(vh->vh_csum_start);
		off = vh16(vh->vh_csum_offset);
		if (start < ETHER_HDR_LEN || start >= len || off > len ||
		    start + off + 2 > len)
			return EINVAL;
		f |= M_CSUM_PARTIAL;
		ph->csum_start = (uint16_t)(start - ETHER_HDR_LEN);
		ph->csum_offset = (uint16_t)off;
	}
	if (gso != VNET_HDR_GSO_NONE) {
		int mss = vh16(vh->vh_gso_size);

		/* Only what we negotiated: whole TCP packets, no ECN. */
		if ((gso != VNET_HDR_GSO_TCPV4 && gso != VNET_HDR_GSO_TCPV6) ||
		    p.thlen == 0 || mss < VNET_HDR_MIN_GSO ||
		    !(f & M_CSUM_DATA_OK))
			return EINVAL;
		if ((gso == VNET_HDR_GSO_TCPV4) != (p.l3 == ETHERTYPE_IP))
			return EINVAL;
		/* A partial checksum must be TCP's. */
		if ((f & M_CSUM_PARTIAL) &&
		    (ph->csum_start != p.nhlen || ph->csum_offset != 16))
			return EINVAL;
		f |= gso == VNET_HDR_GSO_TCPV4 ? M_CSUM_TSOv4 : M_CSUM_TSOv6;
		ph->gso_size = (uint16_t)mss;
	}
	ph->csum_flags = f;
	return 0;
}

void
vnet_hdr_output(const struct mbuf *m, int linkhdr, struct virtio_net_hdr *vh)
{
	const struct pkthdr *ph = &m->m_pkthdr;

	memset(vh, 0, sizeof(*vh));
	if (!(ph->csum_flags & M_CSUM_PARTIAL))
		return;
	vh->vh_flags = VNET_HDR_F_NEEDS_CSUM;
	vh->vh_csum_start = vh16((uint16_t)(linkhdr + ph->csum_start));
	vh->vh_csum_offset = vh16(ph->csum_offset);
	if (ph->csum_flags & M_CSUM_TSO) {
		int th = linkhdr + ph->csum_start;
		uint8_t offx2 = 0;

		if (th + 13 <= ph->len)
			m_copydata(m, th + 12, 1, &offx2);
		vh->vh_gso_type = ph->csum_flags & M_CSUM_TSOv4
		    ? VNET_HDR_GSO_TCPV4
		    : VNET_HDR_GSO_TCPV6;
		vh->vh_gso_size = vh16(ph->gso_size);
		vh->vh_hdr_len = vh16((uint16_t)(th + ((offx2 >> 4) << 2)));
	}
}
