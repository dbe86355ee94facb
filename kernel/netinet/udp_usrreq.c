/*
 * udp_usrreq.c — UDP (RFC 768) with Linux's socket behaviour: bind,
 * connect (and AF_UNSPEC to disconnect), sendto on connected sockets too,
 * checksums verified (zero: none) and always sent, broadcasts only with
 * SO_BROADCAST, multicast to the sockets that joined the group, IP-level
 * control messages, and ICMP errors reported on connected sockets: the
 * hard ones (port or protocol unreachable: ECONNREFUSED, ENOPROTOOPT, ...)
 * always, every one with IP_RECVERR, as so_error for the next call.
 *
 * Input runs in the receiving thread: the pcb is found under the table's
 * reader lock with a reference, then the socket is locked to append the
 * datagram (sbappendaddr: [source][control][data]).
 */
#include "fs/procfs/procfs.h"
#include "netinet/ip_icmp.h"
#include "netinet/ip_var.h"
#include "netinet/udp.h"

#define UDP_MAXDELIV 64 /* sockets one broadcast or multicast reaches */

static struct inpcbtable *udbtable;

/* Appends datagram m (UDP header at off) to inp's socket; consumes m. */
static void
udp_append(struct inpcb *inp, struct mbuf *m, int off, bool mcast)
{
	struct socket *so = inp->inp_socket;
	struct ip *ip = mtod(m, struct ip *);
	struct udphdr *uh = (struct udphdr *)(mtod(m, char *) + off);
	struct mbuf *control = NULL;
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = uh->uh_sport;
	sin.sin_addr = ip->ip_src;
	solock(so);
	if ((inp->inp_flags & INP_DEAD) || (so->so_state & SS_CANTRCVMORE))
		goto drop;
	if (mcast &&
	    !in_pcb_member(inp, ip->ip_dst.s_addr, m->m_pkthdr.rcvif)) {
		IN_STATINC(UDPS_IgnoredMulti);
		goto drop;
	}
	if (inp->inp_flags & (INP_RECVPKTINFO | INP_RECVTTL | INP_RECVTOS))
		control = in_rcv_control(inp, ip, m->m_pkthdr.rcvif);
	m_adj(m, off + UDP_HDRLEN);
	if (!sbappendaddr(&so->so_rcv, (struct sockaddr *)&sin, sizeof(sin), m,
	        control)) {
		IN_STATINC(UDPS_RcvbufErrors);
		IN_STATINC(UDPS_InErrors);
		atomic_inc(&inp->inp_drops);
		m_freem(control);
		goto drop;
	}
	IN_STATINC(UDPS_InDatagrams);
	sorwakeup(so);
	sounlock(so);
	return;
drop:
	sounlock(so);
	m_freem(m);
}

/* A broadcast or multicast: a copy to every socket that takes it. */
static void
udp_multi_input(struct mbuf *m, int off, in_addr_t src, in_port_t sport,
    in_addr_t dst, in_port_t dport, bool mcast)
{
	struct inpcb *pcbs[UDP_MAXDELIV];
	int n;

	n = in_pcbcollect(
	    udbtable, src, sport, dst, dport, NULL, NULL, pcbs, UDP_MAXDELIV);
	if (n == 0) {
		IN_STATINC(UDPS_NoPorts);
		m_freem(m);
		return;
	}
	for (int i = 0; i < n; i++) {
		struct mbuf *c = m;

		if (i < n - 1)
			c = m_copym(m, 0, M_COPYALL, M_DONTWAIT);
		if (c != NULL)
			udp_append(pcbs[i], c, off, mcast);
		in_pcbunref(pcbs[i]);
	}
}

static void
udp_input(struct mbuf *m, int off)
{
	struct ip *ip;
	struct udphdr *uh;
	struct inpcb *inp;
	int ulen, len = m->m_pkthdr.len - off;
	in_addr_t dst;

	if (__predict_false(len < UDP_HDRLEN))
		goto bad;
	if (m->m_len < off + UDP_HDRLEN &&
	    (m = m_pullup(m, off + UDP_HDRLEN)) == NULL) {
		IN_STATINC(UDPS_InErrors);
		return;
	}
	ip = mtod(m, struct ip *);
	uh = (struct udphdr *)(mtod(m, char *) + off);
	ulen = ntohs(uh->uh_ulen);
	if (__predict_false(ulen < UDP_HDRLEN || ulen > len))
		goto bad;
	if (ulen < len)
		m_adj(m, ulen - len);
	if (uh->uh_sum != 0 && !(m->m_pkthdr.csum_flags & M_CSUM_DATA_OK) &&
	    in4_cksum(m, IPPROTO_UDP, off, ulen, ip->ip_src.s_addr,
	        ip->ip_dst.s_addr) != 0) {
		IN_STATINC(UDPS_InCsumErrors);
		goto bad;
	}
	dst = ip->ip_dst.s_addr;
	if ((m->m_flags & (M_BCAST | M_MCAST)) || IN_MULTICAST(dst) ||
	    dst == INADDR_BROADCAST) {
		udp_multi_input(m, off, ip->ip_src.s_addr, uh->uh_sport, dst,
		    uh->uh_dport, IN_MULTICAST(dst));
		return;
	}
	inp = in_pcblookup(
	    udbtable, ip->ip_src.s_addr, uh->uh_sport, dst, uh->uh_dport, true);
	if (inp == NULL) {
		IN_STATINC(UDPS_NoPorts);
		icmp_error(m, ICMP_UNREACH, ICMP_UNREACH_PORT, 0);
		m_freem(m);
		return;
	}
	udp_append(inp, m, off, false);
	in_pcbunref(inp);
	return;
bad:
	IN_STATINC(UDPS_InErrors);
	m_freem(m);
}

static void
udp_ctlinput(int cmd, in_addr_t dst, const struct ip *ip, int iplen,
    uint32_t mtu __unused)
{
	const struct udphdr *uh;
	struct inpcb *inp;
	struct socket *so;
	int hlen = IP_HL(ip);
	bool hard = cmd == ECONNREFUSED || cmd == ENOPROTOOPT ||
	    cmd == EHOSTDOWN || cmd == ENONET;

	if (iplen < hlen + UDP_HDRLEN)
		return;
	uh = (const struct udphdr *)((const char *)ip + hlen);
	inp = in_pcblookup(udbtable, dst, uh->uh_dport, ip->ip_src.s_addr,
	    uh->uh_sport, false);
	if (inp == NULL)
		return;
	so = inp->inp_socket;
	solock(so);
	if (!(inp->inp_flags & INP_DEAD) &&
	    (hard || (inp->inp_flags & INP_RECVERR)))
		soseterror(so, cmd);
	sounlock(so);
	in_pcbunref(inp);
}

static const struct ip_protocol udp_protocol = {
    .ipp_input = udp_input,
    .ipp_ctlinput = udp_ctlinput,
};

/* ----------------------------------------------------- user requests */

int
udp_attach(struct socket *so, int proto)
{
	if (proto != 0 && proto != IPPROTO_UDP)
		return EPROTONOSUPPORT;
	return in_pcballoc(so, udbtable);
}

void
udp_detach(struct socket *so)
{
	struct inpcb *inp = so->so_pcb;

	if (inp != NULL && !(inp->inp_flags & INP_DEAD))
		in_pcbdetach(inp);
}

int
udp_bind(struct socket *so, const struct sockaddr *nam, socklen_t len)
{
	struct sockaddr_in sin;
	int error;

	if ((error = in_sockaddr_check(nam, len, true)) != 0)
		return error;
	memcpy(&sin, nam, sizeof(sin));
	/* Linux accepts AF_UNSPEC for INADDR_ANY only. */
	if (sin.sin_family == AF_UNSPEC && sin.sin_addr.s_addr != INADDR_ANY)
		return EAFNOSUPPORT;
	return in_pcbbind(so->so_pcb, &sin);
}

int
udp_connect(struct socket *so, const struct sockaddr *nam, socklen_t len)
{
	struct sockaddr_in sin;
	int error;

	if (len >= sizeof(sa_family_t) && nam->sa_family == AF_UNSPEC)
		return udp_disconnect(so);
	if ((error = in_sockaddr_check(nam, len, false)) != 0)
		return error;
	memcpy(&sin, nam, sizeof(sin));
	error = in_pcbconnect(so->so_pcb, &sin);
	if (error == 0)
		soisconnected(so);
	return error;
}

int
udp_disconnect(struct socket *so)
{
	struct inpcb *inp = so->so_pcb;

	if (inp->inp_faddr != INADDR_ANY)
		in_pcbdisconnect(inp);
	so->so_state &= ~SS_ISCONNECTED;
	return 0;
}

int
udp_shutdown(struct socket *so __unused)
{
	return 0;
}

void
udp_abort(struct socket *so)
{
	soisdisconnected(so);
}

int
udp_send(struct socket *so, struct mbuf *m, const struct sockaddr *nam,
    socklen_t namlen, struct mbuf *control, int flags)
{
	struct inpcb *inp = so->so_pcb;
	struct ip *ip;
	struct udphdr *uh;
	in_addr_t dst, src;
	in_port_t dport;
	int ttl, tos, len = m->m_pkthdr.len, oflags = 0, error;

	KASSERT(solocked(so));
	src = inp->inp_laddr;
	ttl = inp->inp_ttl;
	tos = inp->inp_tos;
	error = in_cmsg_parse(control, &src, &ttl, &tos);
	m_freem(control);
	if (error)
		goto bad;
	if (nam != NULL) {
		struct sockaddr_in sin;

		if ((error = in_sockaddr_check(nam, namlen, true)) != 0)
			goto bad;
		memcpy(&sin, nam, sizeof(sin));
		if (sin.sin_family == AF_UNSPEC) {
			error = EAFNOSUPPORT;
			goto bad;
		}
		if (sin.sin_port == 0) {
			error = EINVAL;
			goto bad;
		}
		dst = sin.sin_addr.s_addr;
		dport = sin.sin_port;
		if (dst == INADDR_ANY)
			dst = htonl(INADDR_LOOPBACK);
	} else if (inp->inp_faddr != INADDR_ANY) {
		dst = inp->inp_faddr;
		dport = inp->inp_fport;
	} else {
		error = EDESTADDRREQ;
		goto bad;
	}
	if (len + UDP_HDRLEN + IP_MINHDR > IP_MAXPACKET) {
		error = EMSGSIZE;
		goto bad;
	}
	if (inp->inp_lport == 0 && (error = in_pcbbind(inp, NULL)) != 0)
		goto bad;
	if (src == INADDR_ANY || IN_MULTICAST(src)) {
		if (IN_MULTICAST(dst) && inp->inp_moptions.imo_ifp != NULL) {
			struct in_ifaddr *ia =
			    in_ifaddr_first(inp->inp_moptions.imo_ifp);

			if (ia != NULL) {
				src = ia->ia_addr;
				ifa_release(&ia->ia_ifa);
			}
		}
		if ((src == INADDR_ANY || IN_MULTICAST(src)) &&
		    (error = ip_select_source(dst, &inp->inp_route, &src)) != 0)
			goto bad;
	}
	if (so->so_options & SO_OPT_BROADCAST)
		oflags |= IP_ALLOWBROADCAST;
	if ((so->so_options & SO_OPT_DONTROUTE) || (flags & MSG_DONTROUTE))
		oflags |= IP_ROUTETOIF;

	M_PREPEND(m, IP_MINHDR + UDP_HDRLEN, M_WAIT);
	if (m == NULL)
		return ENOBUFS;
	ip = mtod(m, struct ip *);
	uh = (struct udphdr *)(ip + 1);
	uh->uh_sport = inp->inp_lport;
	uh->uh_dport = dport;
	uh->uh_ulen = htons((uint16_t)(len + UDP_HDRLEN));
	/* The checksum is left to the interface or to ip_output (mbuf.h). */
	uh->uh_sum = in4_pseudo(src, dst, IPPROTO_UDP, len + UDP_HDRLEN);
	m->m_pkthdr.csum_flags |= M_CSUM_PARTIAL;
	m->m_pkthdr.csum_start = IP_MINHDR;
	m->m_pkthdr.csum_offset = offsetof(struct udphdr, uh_sum);
	ip->ip_vhl = 0x45;
	ip->ip_tos = (uint8_t)tos;
	ip->ip_len = htons((uint16_t)(len + UDP_HDRLEN + IP_MINHDR));
	ip->ip_id = 0;
	ip->ip_off = 0;
	ip->ip_ttl =
	    IN_MULTICAST(dst) ? inp->inp_moptions.imo_ttl : (uint8_t)ttl;
	ip->ip_p = IPPROTO_UDP;
	ip->ip_sum = 0;
	ip->ip_src.s_addr = src;
	ip->ip_dst.s_addr = dst;
	IN_STATINC(UDPS_OutDatagrams);
	error = ip_output(m, &inp->inp_route, oflags, &inp->inp_moptions);
	if (error == ENOBUFS)
		IN_STATINC(UDPS_SndbufErrors);
	return error;
bad:
	m_freem(m);
	return error;
}

int
udp_ctloutput(
    int op, struct socket *so, int level, int name, void *val, socklen_t *len)
{
	if (level == SOL_IP)
		return in_ctloutput_ip(op, so->so_pcb, name, val, len);
	return ENOPROTOOPT;
}

int
udp_ioctl(struct socket *so, unsigned long cmd, void *uarg)
{
	return in_control(so, cmd, uarg);
}

static int
udp_procfs(void *arg __unused, struct pfs_buf *b)
{
	in_pcb_procfs(udbtable, b, false);
	return 0;
}

void
udp_init(void)
{
	udbtable = in_pcbtable_create("udp", 512);
	ip_register_proto(IPPROTO_UDP, &udp_protocol);
	procfs_register("net/udp", udp_procfs, NULL, NULL);
}
