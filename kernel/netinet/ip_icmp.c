/*
 * ip_icmp.c — ICMP (RFC 792): answering echo and timestamp requests,
 * generating errors about packets we received (icmp_error) under the
 * rules of RFC 1812 4.3.2.7 with a global rate limit, and passing
 * received errors to the transport of the offending packet (ctlinput)
 * as the errno Linux reports for them.  Raw ICMP sockets get a copy of
 * every message from ip_deliver before this file sees it.
 */
#include "netinet/ip_icmp.h"
#include "netinet/ip_var.h"

/* Linux's icmp_msgs_per_sec and icmp_msgs_burst. */
#define ICMP_RATE  1000
#define ICMP_BURST 50
/* Linux quotes as much of the offending packet as fits in 576 bytes. */
#define ICMP_QUOTE_MAX (576 - IP_MINHDR - ICMP_MINLEN)

static kmutex_t icmp_rl_lock; /* spin: the token bucket */
static uint64_t icmp_rl_last; /* [icmp_rl_lock] ns */
static int icmp_rl_tokens;    /* [icmp_rl_lock] */

static bool
icmp_ratelimit_ok(in_addr_t dst)
{
	uint64_t now, add;
	bool ok;

	/* No limit towards ourselves (Linux: none on loopback). */
	if (IN_LOOPBACK(dst) || in_ifaddr_islocal(dst))
		return true;
	now = getnanouptime();
	mutex_enter(&icmp_rl_lock);
	add = (now - icmp_rl_last) * ICMP_RATE / 1000000000ULL;
	if (add > 0) {
		icmp_rl_tokens = (int)MIN(
		    (uint64_t)ICMP_BURST, (uint64_t)icmp_rl_tokens + add);
		icmp_rl_last = now;
	}
	ok = icmp_rl_tokens > 0;
	if (ok)
		icmp_rl_tokens--;
	mutex_exit(&icmp_rl_lock);
	if (!ok)
		IN_STATINC(ICMPS_OutRateLimitGlobal);
	return ok;
}

int
icmp_unreach_errno(int code)
{
	switch (code) {
	case ICMP_UNREACH_NET:
	case ICMP_UNREACH_NET_UNKNOWN:
	case ICMP_UNREACH_NET_PROHIB:
	case ICMP_UNREACH_TOSNET:
		return ENETUNREACH;
	case ICMP_UNREACH_PROTOCOL:
		return ENOPROTOOPT;
	case ICMP_UNREACH_PORT:
		return ECONNREFUSED;
	case ICMP_UNREACH_NEEDFRAG:
		return EMSGSIZE;
	case ICMP_UNREACH_SRCFAIL:
		return EOPNOTSUPP;
	case ICMP_UNREACH_HOST_UNKNOWN:
		return EHOSTDOWN;
	case ICMP_UNREACH_ISOLATED:
		return ENONET;
	default:
		return EHOSTUNREACH;
	}
}

/* Our address to answer from: the one the packet was sent to if it is
 * ours, else one of the receiving interface, else the route's. */
static in_addr_t
icmp_reply_src(in_addr_t odst, in_addr_t osrc, struct ifnet *rcvif)
{
	struct in_ifaddr *ia;
	in_addr_t src = INADDR_ANY;

	/* Ours, or of the loopback's network (all of 127/8 is local). */
	if (in_ifaddr_islocal(odst) ||
	    (IN_LOOPBACK(odst) && rcvif != NULL &&
	        (rcvif->if_flags & IFF_LOOPBACK)))
		return odst;
	if (rcvif != NULL && (ia = in_ifaddr_first(rcvif)) != NULL) {
		src = ia->ia_addr;
		ifa_release(&ia->ia_ifa);
		return src;
	}
	if (ip_select_source(osrc, NULL, &src) != 0)
		return INADDR_ANY;
	return src;
}

void
icmp_error(struct mbuf *m, int type, int code, uint32_t info)
{
	struct ip oip, *ip;
	struct icmp *icp;
	struct mbuf *n;
	in_addr_t osrc, odst, src;
	int ohlen, olen, qlen, total;

	if (m->m_pkthdr.len < IP_MINHDR)
		return;
	m_copydata(m, 0, IP_MINHDR, &oip);
	ohlen = IP_HL(&oip);
	olen = MIN((int)ntohs(oip.ip_len), m->m_pkthdr.len);
	if (ohlen < IP_MINHDR || olen < ohlen)
		return;
	osrc = oip.ip_src.s_addr;
	odst = oip.ip_dst.s_addr;
	/* RFC 1812 4.3.2.7: not about fragments but the first, link or IP
	 * broadcasts and multicasts, odd sources, or ICMP errors. */
	if (oip.ip_off & htons(IP_OFFMASK))
		return;
	if (m->m_flags & (M_BCAST | M_MCAST))
		return;
	if (IN_MULTICAST(odst) || odst == INADDR_BROADCAST)
		return;
	if (osrc == INADDR_ANY || osrc == INADDR_BROADCAST ||
	    IN_MULTICAST(osrc) || IN_BADCLASS(osrc) || IN_ZERONET(osrc))
		return;
	if (m->m_pkthdr.rcvif != NULL && in_broadcast(odst, m->m_pkthdr.rcvif))
		return;
	if (oip.ip_p == IPPROTO_ICMP && type != ICMP_REDIRECT) {
		uint8_t itype;

		if (olen < ohlen + 1)
			return;
		m_copydata(m, ohlen, 1, &itype);
		if (itype > ICMP_MAXTYPE || icmp_is_error(itype))
			return;
	}
	if (!icmp_ratelimit_ok(osrc))
		return;
	src = icmp_reply_src(odst, osrc, m->m_pkthdr.rcvif);
	if (src == INADDR_ANY)
		return;

	qlen = MIN(olen, ICMP_QUOTE_MAX);
	total = IP_MINHDR + ICMP_MINLEN + qlen;
	n = m_getcl(M_DONTWAIT, MT_DATA, M_PKTHDR, MCLBYTES);
	if (n == NULL) {
		IN_STATINC(ICMPS_OutErrors);
		return;
	}
	n->m_data += 16; /* room for a link header */
	n->m_len = n->m_pkthdr.len = total;
	ip = mtod(n, struct ip *);
	icp = (struct icmp *)(ip + 1);
	m_copydata(m, 0, qlen, (char *)(icp + 1));
	memset(icp, 0, sizeof(*icp));
	icp->icmp_type = (uint8_t)type;
	icp->icmp_code = (uint8_t)code;
	if (type == ICMP_UNREACH && code == ICMP_UNREACH_NEEDFRAG)
		icp->icmp_nextmtu = htons((uint16_t)info);
	else if (type == ICMP_PARAMPROB)
		icp->icmp_pptr = (uint8_t)info;
	icp->icmp_cksum = in_cksum(n, IP_MINHDR, ICMP_MINLEN + qlen);
	memset(ip, 0, sizeof(*ip));
	ip->ip_vhl = 0x45;
	ip->ip_tos = (uint8_t)((oip.ip_tos & 0x1e) | 0xc0);
	ip->ip_len = htons((uint16_t)total);
	ip->ip_ttl = (uint8_t)atomic_load_relaxed(&ip_defttl);
	ip->ip_p = IPPROTO_ICMP;
	ip->ip_src.s_addr = src;
	ip->ip_dst.s_addr = osrc;
	IN_STATINC(ICMPS_OutMsgs);
	if (type == ICMP_UNREACH)
		IN_STATINC(ICMPS_OutDestUnreachs);
	else if (type == ICMP_TIMXCEED)
		IN_STATINC(ICMPS_OutTimeExcds);
	(void)ip_output(n, NULL, 0, NULL);
}

/* Turns request m (ICMP at off, icmplen bytes) into its reply of type
 * rtype and sends it.  Consumes m. */
static void
icmp_reflect(struct mbuf *m, int off, int icmplen, int rtype)
{
	struct ip *ip;
	struct icmp *icp;
	in_addr_t osrc, odst, src;
	struct ifnet *rcvif = m->m_pkthdr.rcvif;

	if (!M_WRITABLE(m)) {
		struct mbuf *n = m_dup(m, 0, M_COPYALL, M_DONTWAIT);

		m_freem(m);
		if (n == NULL)
			return;
		m = n;
	}
	if (m->m_len < off + ICMP_MINLEN &&
	    (m = m_pullup(m, off + ICMP_MINLEN)) == NULL)
		return;
	ip = mtod(m, struct ip *);
	osrc = ip->ip_src.s_addr;
	odst = ip->ip_dst.s_addr;
	src = icmp_reply_src(odst, osrc, rcvif);
	if (src == INADDR_ANY) {
		m_freem(m);
		return;
	}
	if (off > IP_MINHDR) {
		/* No options in the reply: the header moves up to the data. */
		memmove(mtod(m, char *) + off - IP_MINHDR, ip, IP_MINHDR);
		m_adj(m, off - IP_MINHDR);
		off = IP_MINHDR;
		ip = mtod(m, struct ip *);
	}
	icp = (struct icmp *)(mtod(m, char *) + off);
	icp->icmp_type = (uint8_t)rtype;
	icp->icmp_cksum = 0;
	icp->icmp_cksum = in_cksum(m, off, icmplen);
	ip->ip_vhl = 0x45;
	ip->ip_len = htons((uint16_t)(off + icmplen));
	ip->ip_off = 0;
	ip->ip_ttl = (uint8_t)atomic_load_relaxed(&ip_defttl);
	ip->ip_src.s_addr = src;
	ip->ip_dst.s_addr = osrc;
	m->m_flags &= ~(M_BCAST | M_MCAST | M_LOOP);
	m->m_pkthdr.rcvif = NULL;
	m->m_pkthdr.csum_flags = 0;
	IN_STATINC(ICMPS_OutMsgs);
	(void)ip_output(m, NULL, 0, NULL);
}

/* Milliseconds since midnight UT, network order (RFC 792 timestamps). */
static uint32_t
icmp_ms_today(void)
{
	return htonl((uint32_t)((getnanotime() / 1000000ULL) % 86400000ULL));
}

void
icmp_input(struct mbuf *m, int off)
{
	struct icmp *icp;
	struct ip *inner;
	const struct ip_protocol *ipp;
	int icmplen = m->m_pkthdr.len - off, ihlen, error = 0;
	uint32_t mtu = 0;

	IN_STATINC(ICMPS_InMsgs);
	if (icmplen < ICMP_MINLEN)
		goto err;
	if (m->m_len < off + ICMP_MINLEN &&
	    (m = m_pullup(m, off + ICMP_MINLEN)) == NULL) {
		IN_STATINC(ICMPS_InErrors);
		return;
	}
	if (!(m->m_pkthdr.csum_flags & M_CSUM_DATA_OK) &&
	    in_cksum(m, off, icmplen) != 0) {
		IN_STATINC(ICMPS_InCsumErrors);
		goto err;
	}
	icp = (struct icmp *)(mtod(m, char *) + off);
	switch (icp->icmp_type) {
	case ICMP_ECHO:
		IN_STATINC(ICMPS_InEchos);
		/* Linux's icmp_echo_ignore_broadcasts. */
		if (m->m_flags & (M_BCAST | M_MCAST))
			break;
		IN_STATINC(ICMPS_OutEchoReps);
		icmp_reflect(m, off, icmplen, ICMP_ECHOREPLY);
		return;
	case ICMP_TSTAMP: {
		uint32_t ts[3];

		IN_STATINC(ICMPS_InTimestamps);
		if (icmplen < ICMP_MINLEN + 12 ||
		    (m->m_flags & (M_BCAST | M_MCAST)))
			break;
		m_copydata(m, off + ICMP_MINLEN, 12, ts);
		ts[1] = ts[2] = icmp_ms_today();
		if (m_copyback(m, off + ICMP_MINLEN, 12, ts, M_DONTWAIT) != 0)
			break;
		IN_STATINC(ICMPS_OutTimestampReps);
		icmp_reflect(m, off, ICMP_MINLEN + 12, ICMP_TSTAMPREPLY);
		return;
	}
	case ICMP_ECHOREPLY:
		IN_STATINC(ICMPS_InEchoReps);
		break;
	case ICMP_TSTAMPREPLY:
		IN_STATINC(ICMPS_InTimestampReps);
		break;
	case ICMP_REDIRECT:
		IN_STATINC(ICMPS_InRedirects); /* hosts may ignore them */
		break;
	case ICMP_SOURCEQUENCH:
		IN_STATINC(ICMPS_InSrcQuenchs); /* RFC 6633: ignored */
		break;
	case ICMP_UNREACH:
	case ICMP_TIMXCEED:
	case ICMP_PARAMPROB:
		if (icp->icmp_type == ICMP_UNREACH) {
			IN_STATINC(ICMPS_InDestUnreachs);
			error = icmp_unreach_errno(icp->icmp_code);
			if (icp->icmp_code == ICMP_UNREACH_NEEDFRAG)
				mtu = ntohs(icp->icmp_nextmtu);
		} else if (icp->icmp_type == ICMP_TIMXCEED) {
			IN_STATINC(ICMPS_InTimeExcds);
			error = EHOSTUNREACH;
		} else {
			IN_STATINC(ICMPS_InParmProbs);
			error = EPROTO;
		}
		if (icmplen < ICMP_MINLEN + IP_MINHDR + 8)
			goto err;
		if (m->m_len < off + ICMP_MINLEN + IP_MINHDR &&
		    (m = m_pullup(m, off + ICMP_MINLEN + IP_MINHDR)) == NULL)
			return;
		inner = (struct ip *)(mtod(m, char *) + off + ICMP_MINLEN);
		ihlen = IP_HL(inner);
		if (IP_VERSION(inner) != 4 || ihlen < IP_MINHDR ||
		    icmplen < ICMP_MINLEN + ihlen + 8)
			goto err;
		if (m->m_len < off + ICMP_MINLEN + ihlen + 8 &&
		    (m = m_pullup(m, off + ICMP_MINLEN + ihlen + 8)) == NULL)
			return;
		inner = (struct ip *)(mtod(m, char *) + off + ICMP_MINLEN);
		ipp = ip_proto_get(inner->ip_p);
		if (ipp != NULL && ipp->ipp_ctlinput != NULL)
			ipp->ipp_ctlinput(error, inner->ip_dst.s_addr, inner,
			    MIN(icmplen - ICMP_MINLEN,
			        m->m_len - off - ICMP_MINLEN),
			    mtu);
		break;
	default:
		break;
	}
	m_freem(m);
	return;
err:
	IN_STATINC(ICMPS_InErrors);
	m_freem(m);
}

static const struct ip_protocol icmp_protocol = {
    .ipp_input = icmp_input,
};

void
icmp_init(void)
{
	mutex_init(&icmp_rl_lock, MUTEX_SPIN);
	icmp_rl_tokens = ICMP_BURST;
	icmp_rl_last = getnanouptime();
	ip_register_proto(IPPROTO_ICMP, &icmp_protocol);
}

RUMP_COMPONENT(RUMP_COMPONENT_NET)
{
	icmp_init();
}
