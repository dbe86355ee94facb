/*
 * raw_ip.c — SOCK_RAW sockets of AF_INET for any protocol (ping uses
 * IPPROTO_ICMP), with Linux's behaviour: a received datagram is delivered
 * whole, IP header included, to every raw socket of its protocol whose
 * bound and connected addresses match; sending builds the IP header unless
 * IP_HDRINCL (always on for IPPROTO_RAW), in which case the caller's
 * header is used and the kernel fills ip_len, the checksum and, when
 * zero, the id and source address.  ICMP sockets may filter types with
 * ICMP_FILTER (level SOL_RAW).
 *
 * Raw pcbs have no ports: they live on their table's list only, and
 * input walks it (in_pcbcollect) when rip_count says a socket of the
 * protocol exists, so datagrams of other protocols pay one load.
 */
#include "fs/procfs/procfs.h"
#include "netinet/ip_icmp.h"
#include "netinet/ip_var.h"

#define ICMP_FILTER  1 /* SOL_RAW option of IPPROTO_ICMP sockets */
#define RIP_MAXDELIV 64

static struct inpcbtable *ripcbtable;
static unsigned rip_count[IPPROTO_MAX]; /* [a] raw sockets per protocol */

bool
rip_wants(int proto)
{
	return atomic_load_relaxed(&rip_count[proto & 0xff]) != 0;
}

struct rip_sel {
	int rs_proto;
	int rs_icmptype; /* -1 if not ICMP */
};

static bool
rip_select(struct inpcb *inp, void *arg)
{
	const struct rip_sel *rs = arg;

	if (inp->inp_proto != rs->rs_proto)
		return false;
	if (rs->rs_icmptype >= 0 && rs->rs_icmptype < 32 &&
	    (atomic_load_relaxed(&inp->inp_icmpfilter) &
	        (1u << rs->rs_icmptype)))
		return false;
	return true;
}

struct mbuf *
in_rcv_control(struct inpcb *inp, const struct ip *ip, struct ifnet *ifp)
{
	struct mbuf *control = NULL;

	if (inp->inp_flags & INP_RECVPKTINFO) {
		struct in_pktinfo pi;

		pi.ipi_ifindex = ifp != NULL ? ifp->if_index : 0;
		pi.ipi_spec_dst = ip->ip_dst;
		pi.ipi_addr = ip->ip_dst;
		in_cmsg_add(&control, SOL_IP, IP_PKTINFO, &pi, sizeof(pi));
	}
	if (inp->inp_flags & INP_RECVTTL) {
		int ttl = ip->ip_ttl;

		in_cmsg_add(&control, SOL_IP, IP_TTL, &ttl, sizeof(ttl));
	}
	if (inp->inp_flags & INP_RECVTOS) {
		uint8_t tos = ip->ip_tos;

		in_cmsg_add(&control, SOL_IP, IP_TOS, &tos, sizeof(tos));
	}
	return control;
}

void
rip_input_copies(struct mbuf *m, int hlen, int proto)
{
	struct ip *ip = mtod(m, struct ip *);
	struct inpcb *pcbs[RIP_MAXDELIV];
	struct rip_sel rs = {proto, -1};
	struct sockaddr_in sin;
	int n;

	if (proto == IPPROTO_RAW)
		return; /* Linux: IPPROTO_RAW sockets only send */
	if (proto == IPPROTO_ICMP && m->m_pkthdr.len > hlen) {
		uint8_t type;

		m_copydata(m, hlen, 1, &type);
		rs.rs_icmptype = type;
	}
	n = in_pcbcollect(ripcbtable, ip->ip_src.s_addr, 0, ip->ip_dst.s_addr,
	    0, rip_select, &rs, pcbs, RIP_MAXDELIV);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr = ip->ip_src;
	for (int i = 0; i < n; i++) {
		struct inpcb *inp = pcbs[i];
		struct socket *so = inp->inp_socket;
		struct mbuf *c, *control = NULL;

		solock(so);
		if ((inp->inp_flags & INP_DEAD) ||
		    (so->so_state & SS_CANTRCVMORE))
			goto next;
		c = m_copym(m, 0, M_COPYALL, M_DONTWAIT);
		if (c == NULL)
			goto next;
		if (inp->inp_flags &
		    (INP_RECVPKTINFO | INP_RECVTTL | INP_RECVTOS))
			control = in_rcv_control(inp, ip, m->m_pkthdr.rcvif);
		if (!sbappendaddr(&so->so_rcv, (struct sockaddr *)&sin,
		        sizeof(sin), c, control)) {
			m_freem(c);
			m_freem(control);
			atomic_inc(&inp->inp_drops);
		} else
			sorwakeup(so);
	next:
		sounlock(so);
		in_pcbunref(inp);
	}
}

/* ----------------------------------------------------- user requests */

int
rip_attach(struct socket *so, int proto)
{
	struct inpcb *inp;
	int error;

	if (proto <= 0 || proto >= IPPROTO_MAX)
		return EPROTONOSUPPORT;
	error = in_pcballoc(so, ripcbtable);
	if (error)
		return error;
	inp = so->so_pcb;
	inp->inp_proto = proto;
	if (proto == IPPROTO_RAW)
		inp->inp_flags |= INP_HDRINCL;
	atomic_inc(&rip_count[proto]);
	return 0;
}

void
rip_detach(struct socket *so)
{
	struct inpcb *inp = so->so_pcb;

	if (inp == NULL || (inp->inp_flags & INP_DEAD))
		return;
	atomic_dec(&rip_count[inp->inp_proto]);
	in_pcbdetach(inp);
}

int
rip_bind(struct socket *so, const struct sockaddr *nam, socklen_t len)
{
	struct inpcb *inp = so->so_pcb;
	struct sockaddr_in sin;
	int error;

	if ((error = in_sockaddr_check(nam, len, false)) != 0)
		return error;
	memcpy(&sin, nam, sizeof(sin));
	if (sin.sin_addr.s_addr != INADDR_ANY &&
	    !in_ifaddr_islocal(sin.sin_addr.s_addr) &&
	    !IN_MULTICAST(sin.sin_addr.s_addr) &&
	    !in_broadcast(sin.sin_addr.s_addr, NULL))
		return EADDRNOTAVAIL;
	in_pcbset(inp, sin.sin_addr.s_addr, 0, inp->inp_faddr, 0);
	return 0;
}

int
rip_connect(struct socket *so, const struct sockaddr *nam, socklen_t len)
{
	struct inpcb *inp = so->so_pcb;
	struct sockaddr_in sin;
	int error;

	if ((error = in_sockaddr_check(nam, len, true)) != 0)
		return error;
	memcpy(&sin, nam, sizeof(sin));
	if (sin.sin_family == AF_UNSPEC)
		return rip_disconnect(so);
	in_pcbset(inp, inp->inp_laddr, 0, sin.sin_addr.s_addr, 0);
	soisconnected(so);
	return 0;
}

int
rip_disconnect(struct socket *so)
{
	struct inpcb *inp = so->so_pcb;

	if (inp->inp_faddr == INADDR_ANY)
		return ENOTCONN;
	in_pcbset(inp, inp->inp_laddr, 0, INADDR_ANY, 0);
	so->so_state &= ~SS_ISCONNECTED;
	return 0;
}

int
rip_shutdown(struct socket *so __unused)
{
	return 0;
}

void
rip_abort(struct socket *so)
{
	soisdisconnected(so);
}

int
rip_send(struct socket *so, struct mbuf *m, const struct sockaddr *nam,
    socklen_t namlen, struct mbuf *control, int flags)
{
	struct inpcb *inp = so->so_pcb;
	struct ip *ip;
	in_addr_t dst, src;
	int ttl, tos, len, oflags = 0, error;

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

		if ((error = in_sockaddr_check(nam, namlen, false)) != 0)
			goto bad;
		memcpy(&sin, nam, sizeof(sin));
		dst = sin.sin_addr.s_addr;
	} else if (inp->inp_faddr != INADDR_ANY)
		dst = inp->inp_faddr;
	else {
		error = EDESTADDRREQ;
		goto bad;
	}
	if (so->so_options & SO_OPT_BROADCAST)
		oflags |= IP_ALLOWBROADCAST;
	if ((so->so_options & SO_OPT_DONTROUTE) || (flags & MSG_DONTROUTE))
		oflags |= IP_ROUTETOIF;
	len = m->m_pkthdr.len;
	if (inp->inp_flags & INP_HDRINCL) {
		if (len < IP_MINHDR || len > IP_MAXPACKET) {
			error = len < IP_MINHDR ? EINVAL : EMSGSIZE;
			goto bad;
		}
		if (m->m_len < IP_MINHDR &&
		    (m = m_pullup(m, IP_MINHDR)) == NULL)
			return ENOBUFS;
		ip = mtod(m, struct ip *);
		if (IP_HL(ip) < IP_MINHDR || IP_HL(ip) > len) {
			error = EINVAL;
			goto bad;
		}
		if (!M_WRITABLE(m)) {
			struct mbuf *n = m_dup(m, 0, M_COPYALL, M_WAIT);

			m_freem(m);
			if (n == NULL)
				return ENOBUFS;
			m = n;
			ip = mtod(m, struct ip *);
		}
		ip->ip_len = htons((uint16_t)len);
		if (ip->ip_src.s_addr == INADDR_ANY)
			ip->ip_src.s_addr = src;
		oflags |= IP_RAWOUTPUT;
	} else {
		if (len + IP_MINHDR > IP_MAXPACKET) {
			error = EMSGSIZE;
			goto bad;
		}
		M_PREPEND(m, IP_MINHDR, M_WAIT);
		if (m == NULL)
			return ENOBUFS;
		ip = mtod(m, struct ip *);
		memset(ip, 0, sizeof(*ip));
		ip->ip_vhl = 0x45;
		ip->ip_tos = (uint8_t)tos;
		ip->ip_len = htons((uint16_t)(len + IP_MINHDR));
		ip->ip_ttl = IN_MULTICAST(dst) ? inp->inp_moptions.imo_ttl
		                               : (uint8_t)ttl;
		ip->ip_p = (uint8_t)inp->inp_proto;
		ip->ip_src.s_addr = src;
		ip->ip_dst.s_addr = dst;
	}
	return ip_output(m, &inp->inp_route, oflags, &inp->inp_moptions);
bad:
	m_freem(m);
	return error;
}

int
rip_ctloutput(
    int op, struct socket *so, int level, int name, void *val, socklen_t *len)
{
	struct inpcb *inp = so->so_pcb;

	if (level == SOL_IP)
		return in_ctloutput_ip(op, inp, name, val, len);
	if (level == SOL_RAW && name == ICMP_FILTER &&
	    inp->inp_proto == IPPROTO_ICMP) {
		if (op == PRCO_GETOPT) {
			if (*len > sizeof(uint32_t))
				*len = sizeof(uint32_t);
			memcpy(val, &inp->inp_icmpfilter, *len);
			return 0;
		}
		uint32_t f;

		if (*len < sizeof(uint32_t))
			return EINVAL;
		memcpy(&f, val, sizeof(f));
		atomic_store_relaxed(&inp->inp_icmpfilter, f);
		return 0;
	}
	return ENOPROTOOPT;
}

int
rip_ioctl(struct socket *so, unsigned long cmd, void *uarg)
{
	return in_control(so, cmd, uarg);
}

static int
rip_procfs(void *arg __unused, struct pfs_buf *b)
{
	in_pcb_procfs(ripcbtable, b, true);
	return 0;
}

void
rip_init(void)
{
	ripcbtable = in_pcbtable_create("raw", 16);
	procfs_register("net/raw", rip_procfs, NULL, NULL);
}
