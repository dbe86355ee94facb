/*
 * ip_output.c — sending IPv4 datagrams: the route (through the caller's
 * route cache), the source address, the header's id and checksum,
 * broadcast and multicast rules, fragmentation, and the hand-off to the
 * interface's if_output with the next hop.
 *
 * A datagram to one of our own addresses on a non-loopback interface goes
 * out through lo0, as BSD's local routes do, so it reaches our own input
 * in a softint and never re-enters the sender's socket lock.  Copies of
 * broadcasts and multicasts we send are looped to our input the same way
 * (ip_loopback_defer), Linux-style.
 *
 * The per-packet path takes no lock: the route cache belongs to the
 * caller (a socket's, under its so_lock) and remembers, for its
 * destination and routing generation, whether that destination is local
 * or a broadcast (rc_flags).
 */
#include "netinet/ip_var.h"
#include "netinet/tcp.h"

int ip_defttl = IP_DEFTTL;

#define RCF_CLASSIFIED 0x01 /* RCF_LOCAL/RCF_BCAST are known */
#define RCF_LOCAL      0x02 /* rc_dst is ours: out through lo0 */
#define RCF_BCAST      0x04 /* rc_dst is a broadcast of the route's ifp */

#define IP_LINKHDR_SPACE 16 /* room left in front for a link header */

/* ------------------------------------------------------- route caches */

struct rtentry *
rtcache_lookup(struct route_cache *rc, in_addr_t dst, int *error)
{
	unsigned gen = atomic_load_acquire(&rt_generation);
	struct rtentry *rt = rc->rc_rt;
	struct sockaddr_in sin;

	if (__predict_true(rt != NULL && rc->rc_gen == gen &&
	        rc->rc_dst == dst &&
	        (atomic_load_relaxed(&rt->rt_flags) & RTF_UP)))
		return rt;
	if (rt != NULL) {
		rt_release(rt);
		rc->rc_rt = NULL;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = dst;
	*error = rt_lookup((struct sockaddr *)&sin, &rt);
	if (*error != 0)
		return NULL;
	rc->rc_rt = rt;
	rc->rc_gen = gen;
	rc->rc_dst = dst;
	rc->rc_flags = 0;
	return rt;
}

void
rtcache_free(struct route_cache *rc)
{
	if (rc->rc_rt != NULL)
		rt_release(rc->rc_rt);
	rc->rc_rt = NULL;
	rc->rc_flags = 0;
}

/* Fills rc_flags for rc's destination routed through ifp. */
static int
rc_classify(struct route_cache *rc, in_addr_t dst, struct ifnet *ifp)
{
	if (!(rc->rc_flags & RCF_CLASSIFIED)) {
		int f = RCF_CLASSIFIED;

		if (!(ifp->if_flags & IFF_LOOPBACK)) {
			if (in_ifaddr_islocal(dst))
				f |= RCF_LOCAL;
			else if (in_broadcast(dst, ifp))
				f |= RCF_BCAST;
		}
		rc->rc_flags = f;
	}
	return rc->rc_flags;
}

static in_addr_t
rt_srcaddr(struct rtentry *rt, struct ifnet *ifp)
{
	in_addr_t src = INADDR_ANY;
	struct in_ifaddr *ia;

	if (rt != NULL && rt->rt_ifa != NULL &&
	    rt->rt_ifa->ifa_addr.ss_family == AF_INET)
		return ((struct sockaddr_in *)&rt->rt_ifa->ifa_addr)
		    ->sin_addr.s_addr;
	ia = in_ifaddr_first(ifp);
	if (ia != NULL) {
		src = ia->ia_addr;
		ifa_release(&ia->ia_ifa);
	}
	return src;
}

int
ip_select_source(in_addr_t dst, struct route_cache *rc, in_addr_t *srcp)
{
	struct route_cache tmp = {0};
	struct rtentry *rt;
	int error = 0;

	if (in_ifaddr_islocal(dst)) {
		*srcp = dst;
		return 0;
	}
	if (rc == NULL)
		rc = &tmp;
	rt = rtcache_lookup(rc, dst, &error);
	if (rt == NULL)
		goto out;
	*srcp = rt_srcaddr(rt, rt->rt_ifp);
	if (*srcp == INADDR_ANY)
		error = EADDRNOTAVAIL;
out:
	rtcache_free(&tmp);
	return error;
}

struct ifnet *
ip_route_ifp(in_addr_t dst, struct route_cache *rc)
{
	struct rtentry *rt;
	int error;

	rt = rtcache_lookup(rc, dst, &error);
	if (rt == NULL)
		return NULL;
	if (rc_classify(rc, dst, rt->rt_ifp) & RCF_LOCAL)
		return lo0_ifp;
	return rt->rt_ifp;
}

int
ip_mtu_to(in_addr_t dst, struct route_cache *rc)
{
	struct route_cache tmp = {0};
	struct rtentry *rt;
	int error, mtu = 576;

	if (rc == NULL)
		rc = &tmp;
	rt = rtcache_lookup(rc, dst, &error);
	if (rt != NULL) {
		if (rc_classify(rc, dst, rt->rt_ifp) & RCF_LOCAL)
			mtu = lo0_ifp != NULL ? lo0_ifp->if_mtu : 65536;
		else if (rt->rt_mtu != 0)
			mtu = (int)rt->rt_mtu;
		else
			mtu = rt->rt_ifp->if_mtu;
	}
	rtcache_free(&tmp);
	return mtu;
}

unsigned
ip_maxwin_to(in_addr_t dst, struct route_cache *rc)
{
	struct route_cache tmp = {0};
	struct rtentry *rt;
	unsigned win = 0;
	int error;

	if (rc == NULL)
		rc = &tmp;
	rt = rtcache_lookup(rc, dst, &error);
	if (rt != NULL && !(rc_classify(rc, dst, rt->rt_ifp) & RCF_LOCAL))
		win = rt->rt_ifp->if_maxwin;
	rtcache_free(&tmp);
	return win;
}

/* ---------------------------------------------------------------- ids */

struct ip_id_slot {
	uint16_t is_next; /* [a] */
	bool is_init;
} __cacheline_aligned;
#define IP_ID_NSLOT 64
static struct ip_id_slot ip_ids[IP_ID_NSLOT];

/* A counter per CPU from a random start: ids of one sender stay distinct
 * for 65536 datagrams, and no cache line is shared. */
uint16_t
ip_newid(void)
{
	struct ip_id_slot *s = &ip_ids[curcpu()->ci_index % IP_ID_NSLOT];

	if (__predict_false(!s->is_init)) {
		s->is_next = (uint16_t)in_random32();
		s->is_init = true;
	}
	return htons(__atomic_fetch_add(&s->is_next, 1, __ATOMIC_RELAXED));
}

/* ------------------------------------------------- loopback of copies */

static kmutex_t ip_loopq_lock; /* spin: guards ip_loopq */
static struct mbufq ip_loopq;
static struct softint *ip_loop_si;

static void
ip_loop_softint(void *arg __unused)
{
	struct mbuf *m;

	for (;;) {
		struct ifnet *ifp;

		mutex_enter(&ip_loopq_lock);
		m = mbufq_dequeue(&ip_loopq);
		mutex_exit(&ip_loopq_lock);
		if (m == NULL)
			break;
		ifp = m->m_pkthdr.rcvif;
		ip_input(ifp, m);
		if_release(ifp);
	}
}

void
ip_loopback_defer(struct ifnet *ifp, struct mbuf *m)
{
	int error;

	if_hold(ifp);
	m->m_pkthdr.rcvif = ifp;
	m->m_flags |= M_LOOP;
	m->m_pkthdr.csum_flags |= M_CSUM_IPv4_OK | M_CSUM_DATA_OK;
	mutex_enter(&ip_loopq_lock);
	error = mbufq_enqueue(&ip_loopq, m);
	mutex_exit(&ip_loopq_lock);
	if (error) {
		if_release(ifp);
		m_freem(m);
		return;
	}
	softint_schedule(ip_loop_si);
}

/* ------------------------------------------------------ fragmentation */

/* The options of header ip (hlen bytes) that every fragment carries
 * (copied flag set), into buf; returns their length padded to 4. */
static int
ip_copied_options(const struct ip *ip, int hlen, uint8_t *buf)
{
	const uint8_t *opt = (const uint8_t *)(ip + 1);
	int olen = hlen - IP_MINHDR, n = 0, i = 0;

	while (i < olen) {
		int type = opt[i], len;

		if (type == 0)
			break;
		if (type == 1) {
			i++;
			continue;
		}
		if (i + 1 >= olen)
			break;
		len = opt[i + 1];
		if (len < 2 || i + len > olen)
			break;
		if (type & 0x80) {
			memcpy(buf + n, opt + i, (size_t)len);
			n += len;
		}
		i += len;
	}
	while (n & 3)
		buf[n++] = 0;
	return n;
}

/*
 * Cuts packet m (IP header of hlen bytes first, contiguous) into
 * fragments of at most mtu bytes, sent one after the other through ifp.
 * Consumes m.
 */
static int
ip_fragment(struct mbuf *m, struct ifnet *ifp, int mtu, int hlen,
    const struct sockaddr *nexthop, struct rtentry *rt)
{
	struct ip *ip = mtod(m, struct ip *);
	uint8_t opts[40];
	struct mbuf *frags = NULL, **tail = &frags, *mh;
	int len = ntohs(ip->ip_len), chunk, off, ohlen, error = 0;
	uint16_t ipoff = ntohs(ip->ip_off);
	int base = ipoff & IP_OFFMASK;
	bool lastmf = (ipoff & IP_MF) != 0;

	if (ipoff & IP_DF) {
		IN_STATINC(IPS_FragFails);
		m_freem(m);
		return EMSGSIZE;
	}
	chunk = (mtu - hlen) & ~7;
	ohlen = IP_MINHDR + ip_copied_options(ip, hlen, opts);
	if (chunk < 8 || (mtu - ohlen) < 8) {
		IN_STATINC(IPS_FragFails);
		m_freem(m);
		return EMSGSIZE;
	}
	/* Every fragment after the first, with its own copy of the header. */
	for (off = hlen + chunk; off < len;) {
		int n = (mtu - ohlen) & ~7;
		struct ip *fip;
		bool more;

		if (off + n >= len) {
			n = len - off;
			more = lastmf;
		} else
			more = true;
		mh = m_gethdr(M_DONTWAIT, MT_HEADER);
		if (mh == NULL) {
			error = ENOBUFS;
			goto bad;
		}
		mh->m_data += IP_LINKHDR_SPACE;
		mh->m_len = ohlen;
		fip = mtod(mh, struct ip *);
		memcpy(fip, ip, IP_MINHDR);
		memcpy(fip + 1, opts, (size_t)(ohlen - IP_MINHDR));
		fip->ip_vhl = (uint8_t)(0x40 | (ohlen >> 2));
		fip->ip_off = htons((uint16_t)((base + ((off - hlen) >> 3)) |
		    (more ? IP_MF : 0)));
		fip->ip_len = htons((uint16_t)(ohlen + n));
		fip->ip_sum = 0;
		fip->ip_sum = in_cksum(mh, 0, ohlen);
		mh->m_next = m_copym(m, off, n, M_DONTWAIT);
		if (mh->m_next == NULL) {
			m_freem(mh);
			error = ENOBUFS;
			goto bad;
		}
		mh->m_pkthdr.len = ohlen + n;
		mh->m_flags |= m->m_flags & (M_BCAST | M_MCAST);
		*tail = mh;
		tail = &mh->m_nextpkt;
		off += n;
		IN_STATINC(IPS_FragCreates);
	}
	/* The first fragment is what is left of m. */
	m_adj(m, -(len - (hlen + chunk)));
	ip->ip_len = htons((uint16_t)(hlen + chunk));
	ip->ip_off = htons((uint16_t)(ipoff | IP_MF));
	ip->ip_sum = 0;
	ip->ip_sum = in_cksum(m, 0, hlen);
	IN_STATINC(IPS_FragCreates);
	m->m_nextpkt = frags;
	for (; m != NULL; m = mh) {
		mh = m->m_nextpkt;
		m->m_nextpkt = NULL;
		if (error == 0)
			error = ifp->if_output(ifp, m, nexthop, rt);
		else
			m_freem(m);
	}
	if (error == 0)
		IN_STATINC(IPS_FragOKs);
	else
		IN_STATINC(IPS_FragFails);
	return error;
bad:
	IN_STATINC(IPS_FragFails);
	m_freem_list(frags);
	m_freem(m);
	return error;
}

/* ------------------------------------------------------------ offload */

/* Does ifp finish this packet's offload work (mbuf.h) itself? */
static bool
ip_ifp_offloads(const struct ifnet *ifp, const struct mbuf *m)
{
	int caps = atomic_load_relaxed(&ifp->if_capenable);
	int f = m->m_pkthdr.csum_flags;

	if ((f & M_CSUM_TSOv4) &&
	    (caps & (IFCAP_TSO4 | IFCAP_CSUM_IPv4)) !=
	        (IFCAP_TSO4 | IFCAP_CSUM_IPv4))
		return false;
	if ((f & M_CSUM_PARTIAL) && !(caps & IFCAP_CSUM_IPv4))
		return false;
	return true;
}

static int ip_output_if(struct mbuf *m, struct ifnet *ifp, int hlen, int mtu,
    const struct sockaddr *nexthop, struct rtentry *rt, bool loopcopy);

/*
 * The software side of M_CSUM_TSOv4: cuts TCP packet m (IP header of hlen
 * bytes) into segments of gso_size payload bytes, each with a copy of the
 * headers, its own ip_len, ip_id (counting up from m's), sequence number
 * and flags (FIN and PSH only on the last, CWR only on the first) and a
 * checksum left partial for ip_output_if to finish or offload, and sends
 * them through ifp in order.  Consumes m; the first error is returned.
 */
static int
ip_gso_segment(struct mbuf *m, struct ifnet *ifp, int hlen, int mtu,
    const struct sockaddr *nexthop, struct rtentry *rt)
{
	struct ip *ip;
	struct tcphdr *th;
	int thlen, hdrlen, paylen, mss, error = 0;
	uint16_t id;
	uint32_t seq;
	uint8_t flags;

	if (m->m_len < hlen + TCP_MINHDR &&
	    (m = m_pullup(m, hlen + TCP_MINHDR)) == NULL)
		return ENOBUFS;
	th = (struct tcphdr *)(void *)(mtod(m, char *) + hlen);
	thlen = TH_OFF(th);
	hdrlen = hlen + thlen;
	mss = m->m_pkthdr.gso_size;
	paylen = m->m_pkthdr.len - hdrlen;
	if (thlen < TCP_MINHDR || paylen < 0 || mss == 0 ||
	    hdrlen > MLEN - IP_LINKHDR_SPACE) {
		m_freem(m);
		return EINVAL;
	}
	if (m->m_len < hdrlen && (m = m_pullup(m, hdrlen)) == NULL)
		return ENOBUFS;
	ip = mtod(m, struct ip *);
	th = (struct tcphdr *)(void *)(mtod(m, char *) + hlen);
	id = ntohs(ip->ip_id);
	seq = ntohl(th->th_seq);
	flags = th->th_flags;
	for (int off = 0;; off += mss) {
		int n = MIN(mss, paylen - off);
		bool last = off + n >= paylen;
		struct mbuf *s;
		struct ip *sip;
		struct tcphdr *sth;
		uint8_t clear = 0;

		s = m_gethdr(M_DONTWAIT, MT_HEADER);
		if (s == NULL) {
			error = ENOBUFS;
			break;
		}
		s->m_data += IP_LINKHDR_SPACE;
		memcpy(mtod(s, void *), mtod(m, void *), (size_t)hdrlen);
		s->m_len = hdrlen;
		if (n > 0 &&
		    (s->m_next = m_copym(m, hdrlen + off, n, M_DONTWAIT)) ==
		        NULL) {
			m_freem(s);
			error = ENOBUFS;
			break;
		}
		s->m_pkthdr.len = hdrlen + n;
		s->m_flags |= m->m_flags & (M_BCAST | M_MCAST);
		sip = mtod(s, struct ip *);
		sth = (struct tcphdr *)(void *)(mtod(s, char *) + hlen);
		sip->ip_len = htons((uint16_t)(hdrlen + n));
		sip->ip_id = htons(id++);
		sth->th_seq = htonl(seq + (uint32_t)off);
		if (!last)
			clear |= TH_FIN | TH_PSH;
		if (off != 0)
			clear |= TH_CWR;
		sth->th_flags = (uint8_t)(flags & ~clear);
		sth->th_sum = in4_pseudo(ip->ip_src.s_addr, ip->ip_dst.s_addr,
		    IPPROTO_TCP, thlen + n);
		s->m_pkthdr.csum_flags = M_CSUM_PARTIAL;
		s->m_pkthdr.csum_start = (uint16_t)hlen;
		s->m_pkthdr.csum_offset = offsetof(struct tcphdr, th_sum);
		error = ip_output_if(s, ifp, hlen, mtu, nexthop, rt, false);
		if (error != 0 || last)
			break;
	}
	m_freem(m);
	return error;
}

/*
 * The last steps of output on ifp: the offload work ifp cannot do done in
 * software, fragmentation, the header checksum, the copy for our own
 * input, the hand-off.  Consumes m.
 */
static int
ip_output_if(struct mbuf *m, struct ifnet *ifp, int hlen, int mtu,
    const struct sockaddr *nexthop, struct rtentry *rt, bool loopcopy)
{
	struct ip *ip = mtod(m, struct ip *);
	int len = ntohs(ip->ip_len), f = m->m_pkthdr.csum_flags, error;

	if (__predict_false(f & M_CSUM_TSO)) {
		int mss = m->m_pkthdr.gso_size, hdrlen;
		uint8_t offx2;

		if (!(f & M_CSUM_TSOv4) || ip->ip_p != IPPROTO_TCP ||
		    m->m_pkthdr.len < hlen + TCP_MINHDR) {
			m_freem(m);
			return EINVAL;
		}
		m_copydata(m, hlen + 12, 1, &offx2);
		hdrlen = hlen + ((offx2 >> 4) << 2);
		if (!(f & M_CSUM_PARTIAL)) {
			/* Received coalesced with its checksum verified, not
			 * partial: only cut apart here, each part summed. */
			return ip_gso_segment(m, ifp, hlen, mtu, nexthop, rt);
		}
		if (len <= hdrlen + mss) {
			/* One segment: nothing to cut. */
			m->m_pkthdr.csum_flags &= (uint16_t)~M_CSUM_TSO;
		} else if (!ip_ifp_offloads(ifp, m) || len > IFCAP_TSO_MAXLEN ||
		    hdrlen + mss > mtu) {
			/* The interface cannot cut it, or not to this MTU. */
			return ip_gso_segment(m, ifp, hlen, mtu, nexthop, rt);
		}
	}
	f = m->m_pkthdr.csum_flags;
	if ((f & M_CSUM_PARTIAL) &&
	    ((len > mtu && !(f & M_CSUM_TSO)) || !ip_ifp_offloads(ifp, m))) {
		if ((error = in_cksum_finish(m)) != 0) {
			m_freem(m);
			return error;
		}
		ip = mtod(m, struct ip *);
	}
	if (len > mtu && !(f & M_CSUM_TSO)) {
		if (loopcopy) {
			struct mbuf *c = m_dup(m, 0, M_COPYALL, M_DONTWAIT);

			if (c != NULL) {
				struct ip *cip = mtod(c, struct ip *);

				cip->ip_sum = 0;
				cip->ip_sum = in_cksum(c, 0, hlen);
				ip_loopback_defer(ifp, c);
			}
		}
		return ip_fragment(m, ifp, mtu, hlen, nexthop, rt);
	}
	ip->ip_sum = 0;
	ip->ip_sum = in_cksum(m, 0, hlen);
	if (loopcopy) {
		struct mbuf *c = m_dup(m, 0, M_COPYALL, M_DONTWAIT);

		if (c != NULL)
			ip_loopback_defer(ifp, c);
	}
	return ifp->if_output(ifp, m, nexthop, rt);
}

/* ------------------------------------------------------------- output */

int
ip_output(
    struct mbuf *m, struct route_cache *rc, int flags, struct ip_moptions *imo)
{
	struct route_cache tmp = {0};
	struct sockaddr_in nh;
	struct rtentry *rt = NULL;
	struct ifnet *ifp = NULL;
	struct ip *ip;
	in_addr_t dst;
	int hlen, len, mtu, error = 0, rcf = 0;
	bool bcast = false, mcast = false, loopcopy = false;

	KASSERT(m->m_flags & M_PKTHDR);
	IN_STATINC(IPS_OutRequests);
	if (m->m_len < IP_MINHDR && (m = m_pullup(m, IP_MINHDR)) == NULL) {
		IN_STATINC(IPS_OutDiscards);
		return ENOBUFS;
	}
	ip = mtod(m, struct ip *);
	if (flags & IP_RAWOUTPUT) {
		hlen = IP_HL(ip);
		if (hlen < IP_MINHDR || hlen > m->m_pkthdr.len) {
			error = EINVAL;
			goto bad;
		}
		if (m->m_len < hlen && (m = m_pullup(m, hlen)) == NULL) {
			IN_STATINC(IPS_OutDiscards);
			return ENOBUFS;
		}
		ip = mtod(m, struct ip *);
	} else {
		hlen = IP_MINHDR;
		ip->ip_vhl = 0x45;
	}
	len = ntohs(ip->ip_len);
	if (len != m->m_pkthdr.len || len < hlen) {
		error = EINVAL;
		goto bad;
	}
	if (rc == NULL)
		rc = &tmp;
	dst = ip->ip_dst.s_addr;

	if (IN_MULTICAST(dst)) {
		mcast = true;
		if (imo != NULL && imo->imo_ifp != NULL)
			ifp = imo->imo_ifp;
		else if (ip->ip_src.s_addr != INADDR_ANY) {
			struct in_ifaddr *ia =
			    in_ifaddr_lookup(ip->ip_src.s_addr);

			if (ia != NULL) {
				ifp = ia->ia_ifa.ifa_ifp;
				ifa_release(&ia->ia_ifa);
			}
		}
		if (ifp == NULL) {
			rt = rtcache_lookup(rc, dst, &error);
			if (rt == NULL)
				goto noroute;
			ifp = rt->rt_ifp;
			rt = NULL;
		}
		loopcopy = (imo == NULL || imo->imo_loop) &&
		    !(ifp->if_flags & IFF_LOOPBACK);
	} else if (dst == INADDR_BROADCAST) {
		bcast = true;
		if (imo != NULL && imo->imo_ifp != NULL)
			ifp = imo->imo_ifp;
		else if (ip->ip_src.s_addr != INADDR_ANY) {
			struct in_ifaddr *ia =
			    in_ifaddr_lookup(ip->ip_src.s_addr);

			if (ia != NULL) {
				ifp = ia->ia_ifa.ifa_ifp;
				ifa_release(&ia->ia_ifa);
			}
		}
		if (ifp == NULL) {
			rt = rtcache_lookup(rc, dst, &error);
			if (rt == NULL)
				goto noroute;
			ifp = rt->rt_ifp;
			rt = NULL;
		}
	} else if (flags & IP_ROUTETOIF) {
		struct in_ifaddr *ia = in_ifaddr_onlink(dst);

		if (ia == NULL) {
			error = ENETUNREACH;
			goto noroute;
		}
		ifp = ia->ia_ifa.ifa_ifp;
		if (ip->ip_src.s_addr == INADDR_ANY)
			ip->ip_src.s_addr = ia->ia_addr;
		ifa_release(&ia->ia_ifa);
		bcast = in_broadcast(dst, ifp);
	} else {
		rt = rtcache_lookup(rc, dst, &error);
		if (__predict_false(rt == NULL))
			goto noroute;
		ifp = rt->rt_ifp;
		rcf = rc_classify(rc, dst, ifp);
		if (rcf & RCF_LOCAL) {
			if (lo0_ifp == NULL) {
				error = ENETUNREACH;
				goto bad;
			}
			if (ip->ip_src.s_addr == INADDR_ANY)
				ip->ip_src.s_addr = dst;
			ifp = lo0_ifp;
			rt = NULL;
		} else if (rcf & RCF_BCAST)
			bcast = true;
	}
	if (bcast) {
		if (!(flags & IP_ALLOWBROADCAST)) {
			error = EACCES;
			goto bad;
		}
		if (!(ifp->if_flags & IFF_BROADCAST) &&
		    !(ifp->if_flags & IFF_LOOPBACK)) {
			error = EADDRNOTAVAIL;
			goto bad;
		}
		loopcopy = !(ifp->if_flags & IFF_LOOPBACK);
	}
	if (__predict_false(!(ifp->if_flags & IFF_UP))) {
		error = ENETDOWN;
		goto bad;
	}
	if (ip->ip_src.s_addr == INADDR_ANY) {
		ip->ip_src.s_addr = rt_srcaddr(rt, ifp);
		if (ip->ip_src.s_addr == INADDR_ANY && !bcast) {
			error = EADDRNOTAVAIL;
			goto bad;
		}
	}
	memset(&nh, 0, sizeof(nh));
	nh.sin_family = AF_INET;
	nh.sin_addr.s_addr = dst;
	if (rt != NULL && (rt->rt_flags & RTF_GATEWAY) && !bcast && !mcast)
		memcpy(&nh, &rt->rt_gateway, sizeof(nh));
	if (!(flags & IP_FORWARDING) &&
	    (!(flags & IP_RAWOUTPUT) || ip->ip_id == 0))
		ip->ip_id = ip_newid();
	if (bcast)
		m->m_flags |= M_BCAST;
	if (mcast)
		m->m_flags |= M_MCAST;
	mtu = (rt != NULL && rt->rt_mtu != 0) ? (int)rt->rt_mtu : ifp->if_mtu;
	error = ip_output_if(
	    m, ifp, hlen, mtu, (struct sockaddr *)&nh, rt, loopcopy);
	rtcache_free(&tmp);
	return error;
noroute:
	IN_STATINC(IPS_OutNoRoutes);
	if (error == 0)
		error = ENETUNREACH;
bad:
	IN_STATINC(IPS_OutDiscards);
	rtcache_free(&tmp);
	m_freem(m);
	return error;
}

RUMP_COMPONENT(RUMP_COMPONENT_NET)
{
	mutex_init(&ip_loopq_lock, MUTEX_SPIN);
	mbufq_init(&ip_loopq, 512);
	ip_loop_si = softint_establish(ip_loop_softint, NULL);
	if (ip_loop_si == NULL)
		panic("ip_output: no softint");
}
