/*
 * if_ethersubr.c — Ethernet: the link layer of shmif and virtif.
 *
 * Input (ether_input, in the driver's receiving thread): count, tap,
 * keep frames addressed to us (our address, broadcast, multicast; others
 * only feed the capture in promiscuous mode), strip the header and hand
 * the packet to the input registered for its ethertype.  Output
 * (ether_output): the family's resolver finds the next hop's address
 * (ARP for IPv4), the header goes in front, and ether_output_frame
 * counts, taps and passes the frame to the driver's if_transmit.
 */
#include "net/net_impl.h"

#define ETHER_NTYPES 8

const uint8_t etherbroadcastaddr[ETHER_ADDR_LEN] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* Registered at component init, read without a lock afterwards. */
static struct {
	uint16_t type;
	void (*input)(struct ifnet *, struct mbuf *);
} ether_inputs[ETHER_NTYPES];
static ether_resolve_fn ether_resolvers[AF_MAX];

void
ether_register_input(
    uint16_t ethertype, void (*input)(struct ifnet *, struct mbuf *))
{
	for (int i = 0; i < ETHER_NTYPES; i++)
		if (ether_inputs[i].input == NULL ||
		    ether_inputs[i].type == ethertype) {
			ether_inputs[i].type = ethertype;
			atomic_store_release(&ether_inputs[i].input, input);
			return;
		}
	panic("ether_register_input: table full");
}

void
ether_register_resolver(int af, ether_resolve_fn fn)
{
	KASSERT(af > 0 && af < AF_MAX);
	ether_resolvers[af] = fn;
}

void
ether_random_addr(uint8_t *addr, uint8_t p0, uint8_t p1)
{
	size_t n = 0;

	if (rumpuser_getrandom(addr + 2, 4, 0, &n) != 0 || n != 4) {
		uint64_t t = getnanouptime();

		memcpy(addr + 2, &t, 4);
	}
	addr[0] = (uint8_t)((p0 | 0x02) & ~0x01);
	addr[1] = p1;
}

void
ether_ifattach(struct ifnet *ifp, const uint8_t *hwaddr)
{
	ifp->if_type = ARPHRD_ETHER;
	ifp->if_hdrlen = ETHER_HDR_LEN;
	ifp->if_addrlen = ETHER_ADDR_LEN;
	if (ifp->if_mtu == 0)
		ifp->if_mtu = ETHERMTU;
	ifp->if_flags |= IFF_BROADCAST | IFF_MULTICAST;
	if (hwaddr != NULL)
		memcpy(ifp->if_hwaddr, hwaddr, ETHER_ADDR_LEN);
	else
		ether_random_addr(ifp->if_hwaddr, 0xb2, 0xa0);
	ifp->if_output = ether_output;
	ifp->if_input = ether_input;
}

void
ether_input(struct ifnet *ifp, struct mbuf *m)
{
	void (*input)(struct ifnet *, struct mbuf *) = NULL;
	struct ether_header *eh;
	uint16_t type;
	int len = m_length(m);

	if_addstat(ifp, ifs_ipackets, 1);
	if_addstat(ifp, ifs_ibytes, (uint64_t)len);
	if (atomic_load_relaxed(&ifp->if_pcap) != NULL)
		if_pcap_tap(ifp, m);
	if (!(atomic_load_relaxed(&ifp->if_flags) & IFF_UP))
		goto drop;
	if (len < ETHER_HDR_LEN) {
		if_addstat(ifp, ifs_ierrors, 1);
		goto drop;
	}
	if ((m = m_pullup(m, ETHER_HDR_LEN)) == NULL) {
		if_addstat(ifp, ifs_iqdrops, 1);
		return;
	}
	eh = mtod(m, struct ether_header *);
	if (eh->ether_dhost[0] & 1) {
		if (memcmp(eh->ether_dhost, etherbroadcastaddr,
		        ETHER_ADDR_LEN) == 0)
			m->m_flags |= M_BCAST;
		else
			m->m_flags |= M_MCAST;
		if_addstat(ifp, ifs_imcasts, 1);
	} else if (memcmp(eh->ether_dhost, ifp->if_hwaddr, ETHER_ADDR_LEN) !=
	    0) {
		/* Not ours: seen only by the capture. */
		goto drop;
	}
	type = ntohs(eh->ether_type);
	for (int i = 0; i < ETHER_NTYPES; i++)
		if (ether_inputs[i].type == type) {
			input = atomic_load_acquire(&ether_inputs[i].input);
			break;
		}
	if (input == NULL) {
		if_addstat(ifp, ifs_iqdrops, 1);
		goto drop;
	}
	m->m_pkthdr.rcvif = ifp;
	if (m->m_pkthdr.rcvtime_ns == 0)
		m->m_pkthdr.rcvtime_ns = getnanouptime();
	m_adj(m, ETHER_HDR_LEN);
	input(ifp, m);
	return;
drop:
	m_freem(m);
}

int
ether_output_frame(struct ifnet *ifp, struct mbuf *m)
{
	int len = m->m_flags & M_PKTHDR ? m->m_pkthdr.len : m_length(m);
	int error;

	if ((atomic_load_relaxed(&ifp->if_flags) & (IFF_UP | IFF_RUNNING)) !=
	        (IFF_UP | IFF_RUNNING) ||
	    ifp->if_transmit == NULL) {
		if_addstat(ifp, ifs_oerrors, 1);
		m_freem(m);
		return ENETDOWN;
	}
	if (atomic_load_relaxed(&ifp->if_pcap) != NULL)
		if_pcap_tap(ifp, m);
	error = ifp->if_transmit(ifp, m);
	if (error) {
		if (error == ENOBUFS)
			if_addstat(ifp, ifs_oqdrops, 1);
		else
			if_addstat(ifp, ifs_oerrors, 1);
		return error;
	}
	if_addstat(ifp, ifs_opackets, 1);
	if_addstat(ifp, ifs_obytes, (uint64_t)len);
	return 0;
}

int
ether_output(struct ifnet *ifp, struct mbuf *m, const struct sockaddr *dst,
    struct rtentry *rt)
{
	uint8_t enaddr[ETHER_ADDR_LEN];
	struct ether_header *eh;
	ether_resolve_fn resolve = NULL;
	uint16_t type;
	int error;

	if ((atomic_load_relaxed(&ifp->if_flags) & (IFF_UP | IFF_RUNNING)) !=
	    (IFF_UP | IFF_RUNNING)) {
		m_freem(m);
		return ENETDOWN;
	}
	switch (dst->sa_family) {
	case AF_INET:
		type = ETHERTYPE_IP;
		break;
	case AF_INET6:
		type = ETHERTYPE_IPV6;
		break;
	default:
		m_freem(m);
		return EAFNOSUPPORT;
	}
	resolve = ether_resolvers[dst->sa_family];
	if (resolve == NULL) {
		m_freem(m);
		return EAFNOSUPPORT;
	}
	error = resolve(ifp, m, dst, rt, enaddr);
	if (error == EWOULDBLOCK)
		return 0; /* held until the address is known */
	if (error) {
		m_freem(m);
		return error;
	}
	M_PREPEND(m, ETHER_HDR_LEN, M_DONTWAIT);
	if (m == NULL) {
		if_addstat(ifp, ifs_oqdrops, 1);
		return ENOBUFS;
	}
	eh = mtod(m, struct ether_header *);
	memcpy(eh->ether_dhost, enaddr, ETHER_ADDR_LEN);
	memcpy(eh->ether_shost, ifp->if_hwaddr, ETHER_ADDR_LEN);
	eh->ether_type = htons(type);
	return ether_output_frame(ifp, m);
}
