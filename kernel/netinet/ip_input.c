/*
 * ip_input.c — receiving IPv4 datagrams: header checks, martian
 * filtering, reassembly, delivery to the transport registered for the
 * protocol (and copies to raw sockets), and forwarding when
 * ip_forwarding is on.
 *
 * Runs in the receiving thread (a driver's, or lo0's softint), never with
 * a socket lock held.  Every header field is read only after the packet
 * was found long enough and made contiguous (m_pullup): a malformed
 * packet is counted and dropped.  The IP header is left as received
 * (ip_len in network order, including the header); transports take the
 * payload length from ip_len - off (equal to m_pkthdr.len - off, as the
 * packet is trimmed to ip_len here).
 */
#include "fs/procfs/procfs.h"
#include "netinet/ip_icmp.h"
#include "netinet/ip_var.h"
#include "netinet/tcp.h"

int ip_forwarding; /* [a] */

static const struct ip_protocol *ip_protox[IPPROTO_MAX]; /* [a] */

void
ip_register_proto(int proto, const struct ip_protocol *ipp)
{
	KASSERT(proto > 0 && proto < IPPROTO_MAX);
	atomic_store_release(&ip_protox[proto], ipp);
}

const struct ip_protocol *
ip_proto_get(int proto)
{
	return atomic_load_acquire(&ip_protox[proto & 0xff]);
}

static void ip_forward(struct ifnet *ifp, struct mbuf *m, int hlen);

void
ip_input(struct ifnet *ifp, struct mbuf *m)
{
	struct ip *ip;
	int hlen, len;
	in_addr_t src, dst;

	KASSERT(m->m_flags & M_PKTHDR);
	IN_STATINC(IPS_InReceives);
	if (__predict_false(m->m_pkthdr.len < IP_MINHDR))
		goto hdrerr;
	if (__predict_false(m->m_len < IP_MINHDR) &&
	    (m = m_pullup(m, IP_MINHDR)) == NULL) {
		IN_STATINC(IPS_InDiscards);
		return;
	}
	ip = mtod(m, struct ip *);
	if (__predict_false(IP_VERSION(ip) != 4))
		goto hdrerr;
	hlen = IP_HL(ip);
	if (__predict_false(hlen < IP_MINHDR || hlen > m->m_pkthdr.len))
		goto hdrerr;
	if (m->m_len < hlen) {
		if ((m = m_pullup(m, hlen)) == NULL) {
			IN_STATINC(IPS_InDiscards);
			return;
		}
		ip = mtod(m, struct ip *);
	}
	if (!(m->m_pkthdr.csum_flags & M_CSUM_IPv4_OK)) {
		if (__predict_false(in_cksum(m, 0, hlen) != 0))
			goto hdrerr;
		m->m_pkthdr.csum_flags |= M_CSUM_IPv4_OK;
	}
	len = ntohs(ip->ip_len);
	if (__predict_false(len < hlen || len > m->m_pkthdr.len))
		goto hdrerr;
	if (len < m->m_pkthdr.len)
		m_adj(m, len - m->m_pkthdr.len); /* link-layer padding */
	src = ip->ip_src.s_addr;
	dst = ip->ip_dst.s_addr;
	m->m_pkthdr.rcvif = ifp;

	/* Martians (RFC 1812 5.3.7). */
	if (__predict_false(IN_MULTICAST(src) || src == INADDR_BROADCAST ||
	        IN_BADCLASS(src) || IN_ZERONET(dst)))
		goto addrerr;
	if (!(ifp->if_flags & IFF_LOOPBACK)) {
		if (IN_LOOPBACK(src) || IN_LOOPBACK(dst))
			goto addrerr;
		if (IN_ZERONET(src) && src != INADDR_ANY)
			goto addrerr;
		if (src != INADDR_ANY && !(m->m_flags & M_LOOP) &&
		    in_broadcast(src, ifp))
			goto addrerr;
	}

	/* Ours?  Anything that came through the loopback is; then our
	 * addresses on any interface (the weak host model, as Linux), the
	 * broadcasts of the receiving interface and multicasts. */
	if (ifp->if_flags & IFF_LOOPBACK)
		goto ours;
	if (IN_MULTICAST(dst)) {
		m->m_flags |= M_MCAST;
		goto ours;
	}
	if (in_ifaddr_islocal(dst))
		goto ours;
	if (dst == INADDR_BROADCAST || in_broadcast(dst, ifp)) {
		m->m_flags |= M_BCAST;
		goto ours;
	}
	if (src == INADDR_ANY)
		goto addrerr;
	if (!atomic_load_relaxed(&ip_forwarding) ||
	    (m->m_flags & (M_BCAST | M_MCAST))) {
		IN_STATINC(IPS_InAddrErrors);
		m_freem(m);
		return;
	}
	ip_forward(ifp, m, hlen);
	return;

ours:
	if (ip->ip_off & htons(IP_MF | IP_OFFMASK)) {
		IN_STATINC(IPS_ReasmReqds);
		m = ip_reass(m, hlen);
		if (m == NULL)
			return;
		ip = mtod(m, struct ip *);
		hlen = IP_HL(ip);
	}
	ip_deliver(m, hlen);
	return;

hdrerr:
	IN_STATINC(IPS_InHdrErrors);
	m_freem(m);
	return;
addrerr:
	IN_STATINC(IPS_InAddrErrors);
	m_freem(m);
}

void
ip_deliver(struct mbuf *m, int hlen)
{
	struct ip *ip = mtod(m, struct ip *);
	int proto = ip->ip_p;
	const struct ip_protocol *ipp;
	bool raw = rip_wants(proto);

	if (raw)
		rip_input_copies(m, hlen, proto);
	ipp = ip_proto_get(proto);
	if (__predict_true(ipp != NULL && ipp->ipp_input != NULL)) {
		IN_STATINC(IPS_InDelivers);
		ipp->ipp_input(m, hlen);
		return;
	}
	if (raw) {
		IN_STATINC(IPS_InDelivers);
	} else {
		IN_STATINC(IPS_InUnknownProtos);
		if (!(m->m_flags & (M_BCAST | M_MCAST)))
			icmp_error(m, ICMP_UNREACH, ICMP_UNREACH_PROTOCOL, 0);
	}
	m_freem(m);
}

/* Input of lo0 and of Ethernet for ETHERTYPE_IP. */
static void
ip_input_if(struct ifnet *ifp, struct mbuf *m)
{
	ip_input(ifp, m);
}

/* ---------------------------------------------------------- forwarding */

/*
 * Forwards m, received on ifp, that is not for us (ip_forwarding set):
 * TTL, route, MTU, with the ICMP errors of RFC 1812.  Consumes m.
 */
static void
ip_forward(struct ifnet *ifp, struct mbuf *m, int hlen)
{
	struct route_cache rc = {0};
	struct ip *ip = mtod(m, struct ip *);
	struct rtentry *rt;
	struct mbuf *quote;
	int error, mtu, len = ntohs(ip->ip_len);
	bool segfit = false;

	if (ip->ip_ttl <= 1) {
		icmp_error(m, ICMP_TIMXCEED, ICMP_TIMXCEED_INTRANS, 0);
		m_freem(m);
		return;
	}
	rt = rtcache_lookup(&rc, ip->ip_dst.s_addr, &error);
	if (rt == NULL) {
		IN_STATINC(IPS_OutNoRoutes);
		icmp_error(m, ICMP_UNREACH,
		    error == EHOSTUNREACH ? ICMP_UNREACH_HOST
		                          : ICMP_UNREACH_NET,
		    0);
		m_freem(m);
		return;
	}
	mtu = rt->rt_mtu != 0 ? (int)rt->rt_mtu : rt->rt_ifp->if_mtu;
	/* A coalesced TCP packet (M_CSUM_TSO) goes out as its segments: it
	 * is too big only if they are. */
	if ((m->m_pkthdr.csum_flags & M_CSUM_TSO) && len > mtu &&
	    m->m_pkthdr.len >= hlen + TCP_MINHDR) {
		uint8_t offx2;

		m_copydata(m, hlen + 12, 1, &offx2);
		segfit =
		    hlen + ((offx2 >> 4) << 2) + m->m_pkthdr.gso_size <= mtu;
	}
	if (len > mtu && !segfit && (ip->ip_off & htons(IP_DF))) {
		icmp_error(
		    m, ICMP_UNREACH, ICMP_UNREACH_NEEDFRAG, (uint32_t)mtu);
		IN_STATINC(IPS_FragFails);
		rtcache_free(&rc);
		m_freem(m);
		return;
	}
	(void)ifp;
	/* Keep the start of the packet for an error after output fails. */
	quote = m_copym(m, 0, MIN(len, hlen + 8), M_DONTWAIT);
	if (!M_WRITABLE(m) || m->m_len < hlen) {
		struct mbuf *n = m_dup(m, 0, M_COPYALL, M_DONTWAIT);

		m_freem(m);
		if (n == NULL ||
		    (n->m_len < hlen && (n = m_pullup(n, hlen)) == NULL)) {
			m_freem(quote);
			rtcache_free(&rc);
			IN_STATINC(IPS_InDiscards);
			return;
		}
		m = n;
		ip = mtod(m, struct ip *);
	}
	ip->ip_ttl--; /* ip_output computes the checksum again */
	m->m_flags &= ~(M_BCAST | M_MCAST | M_LOOP);
	m->m_pkthdr.rcvif = NULL;
	/* Offload work left undone (a GRO'd TAP frame) is finished on the
	 * way out, by the next interface or by ip_output. */
	m->m_pkthdr.csum_flags &= M_CSUM_PARTIAL | M_CSUM_TSO;
	IN_STATINC(IPS_ForwDatagrams);
	error = ip_output(m, &rc, IP_FORWARDING | IP_RAWOUTPUT, NULL);
	if (error != 0 && quote != NULL) {
		int type = ICMP_UNREACH, code = ICMP_UNREACH_HOST;

		if (error == EMSGSIZE)
			code = ICMP_UNREACH_NEEDFRAG;
		else if (error == ENETUNREACH)
			code = ICMP_UNREACH_NET;
		if (error != ENOBUFS && error != EWOULDBLOCK)
			icmp_error(quote, type, code,
			    code == ICMP_UNREACH_NEEDFRAG ? (uint32_t)mtu : 0);
	}
	m_freem(quote);
	rtcache_free(&rc);
}

/* ------------------------------------------------------------ /proc */

static int
ip_forward_read(void *arg __unused, struct pfs_buf *b)
{
	pfs_printf(b, "%d\n", atomic_load_relaxed(&ip_forwarding) ? 1 : 0);
	return 0;
}

static int
ip_forward_write(void *arg __unused, const char *data, size_t len)
{
	int v = 0;
	size_t i = 0;

	while (i < len && (data[i] == ' ' || data[i] == '\t'))
		i++;
	if (i == len || data[i] < '0' || data[i] > '9')
		return EINVAL;
	for (; i < len && data[i] >= '0' && data[i] <= '9'; i++)
		v = v * 10 + (data[i] - '0');
	for (; i < len; i++)
		if (data[i] != '\n' && data[i] != ' ')
			return EINVAL;
	atomic_store_relaxed(&ip_forwarding, v != 0);
	return 0;
}

static int
snmp_read(void *arg __unused, struct pfs_buf *b)
{
	static const struct {
		const char *name;
		int stat; /* -1, -2: Forwarding, DefaultTTL */
	} ipf[] = {{"Forwarding", -1}, {"DefaultTTL", -2},
	    {"InReceives", IPS_InReceives}, {"InHdrErrors", IPS_InHdrErrors},
	    {"InAddrErrors", IPS_InAddrErrors},
	    {"ForwDatagrams", IPS_ForwDatagrams},
	    {"InUnknownProtos", IPS_InUnknownProtos},
	    {"InDiscards", IPS_InDiscards}, {"InDelivers", IPS_InDelivers},
	    {"OutRequests", IPS_OutRequests}, {"OutDiscards", IPS_OutDiscards},
	    {"OutNoRoutes", IPS_OutNoRoutes},
	    {"ReasmTimeout", IPS_ReasmTimeout}, {"ReasmReqds", IPS_ReasmReqds},
	    {"ReasmOKs", IPS_ReasmOKs}, {"ReasmFails", IPS_ReasmFails},
	    {"FragOKs", IPS_FragOKs}, {"FragFails", IPS_FragFails},
	    {"FragCreates", IPS_FragCreates}};
	static const struct {
		const char *name;
		int stat; /* -1: not counted (0) */
	} icf[] = {{"InMsgs", ICMPS_InMsgs}, {"InErrors", ICMPS_InErrors},
	    {"InCsumErrors", ICMPS_InCsumErrors},
	    {"InDestUnreachs", ICMPS_InDestUnreachs},
	    {"InTimeExcds", ICMPS_InTimeExcds},
	    {"InParmProbs", ICMPS_InParmProbs},
	    {"InSrcQuenchs", ICMPS_InSrcQuenchs},
	    {"InRedirects", ICMPS_InRedirects}, {"InEchos", ICMPS_InEchos},
	    {"InEchoReps", ICMPS_InEchoReps},
	    {"InTimestamps", ICMPS_InTimestamps},
	    {"InTimestampReps", ICMPS_InTimestampReps}, {"InAddrMasks", -1},
	    {"InAddrMaskReps", -1}, {"OutMsgs", ICMPS_OutMsgs},
	    {"OutErrors", ICMPS_OutErrors},
	    {"OutRateLimitGlobal", ICMPS_OutRateLimitGlobal},
	    {"OutRateLimitHost", -1},
	    {"OutDestUnreachs", ICMPS_OutDestUnreachs},
	    {"OutTimeExcds", ICMPS_OutTimeExcds}, {"OutParmProbs", -1},
	    {"OutSrcQuenchs", -1}, {"OutRedirects", -1}, {"OutEchos", -1},
	    {"OutEchoReps", ICMPS_OutEchoReps}, {"OutTimestamps", -1},
	    {"OutTimestampReps", ICMPS_OutTimestampReps}, {"OutAddrMasks", -1},
	    {"OutAddrMaskReps", -1}};
	static const struct {
		const char *name;
		int stat;
	} udf[] = {{"InDatagrams", UDPS_InDatagrams}, {"NoPorts", UDPS_NoPorts},
	    {"InErrors", UDPS_InErrors}, {"OutDatagrams", UDPS_OutDatagrams},
	    {"RcvbufErrors", UDPS_RcvbufErrors},
	    {"SndbufErrors", UDPS_SndbufErrors},
	    {"InCsumErrors", UDPS_InCsumErrors},
	    {"IgnoredMulti", UDPS_IgnoredMulti}, {"MemErrors", -1}};
	size_t i;

	pfs_printf(b, "Ip:");
	for (i = 0; i < nitems(ipf); i++)
		pfs_printf(b, " %s", ipf[i].name);
	pfs_printf(b, "\nIp:");
	for (i = 0; i < nitems(ipf); i++) {
		if (ipf[i].stat == -1)
			pfs_printf(b, " %d",
			    atomic_load_relaxed(&ip_forwarding) ? 1 : 2);
		else if (ipf[i].stat == -2)
			pfs_printf(b, " %d", atomic_load_relaxed(&ip_defttl));
		else
			pfs_printf(b, " %llu",
			    (unsigned long long)in_stat_get(
			        (enum in_stat)ipf[i].stat));
	}
	pfs_printf(b, "\nIcmp:");
	for (i = 0; i < nitems(icf); i++)
		pfs_printf(b, " %s", icf[i].name);
	pfs_printf(b, "\nIcmp:");
	for (i = 0; i < nitems(icf); i++)
		pfs_printf(b, " %llu",
		    icf[i].stat < 0 ? 0ULL
		                    : (unsigned long long)in_stat_get(
		                          (enum in_stat)icf[i].stat));
	pfs_printf(b, "\nUdp:");
	for (i = 0; i < nitems(udf); i++)
		pfs_printf(b, " %s", udf[i].name);
	pfs_printf(b, "\nUdp:");
	for (i = 0; i < nitems(udf); i++)
		pfs_printf(b, " %llu",
		    udf[i].stat < 0 ? 0ULL
		                    : (unsigned long long)in_stat_get(
		                          (enum in_stat)udf[i].stat));
	pfs_printf(b, "\n");
	return 0;
}

RUMP_COMPONENT(RUMP_COMPONENT_NET)
{
	ip_reass_init();
	ether_register_input(ETHERTYPE_IP, ip_input_if);
	if_register_af_input(AF_INET, ip_input_if);
	procfs_register(
	    "sys/net/ipv4/ip_forward", ip_forward_read, ip_forward_write, NULL);
	procfs_register("net/snmp", snmp_read, NULL, NULL);
}
