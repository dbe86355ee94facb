/*
 * netinet/ip_var.h — what the IPv4 files of netinet share among
 * themselves beyond in_var.h: statistics, the reassembly queue, ARP, the
 * raw socket input, the socket-facing helpers of UDP and raw IP, and the
 * tables' registration with /proc.  Transports other than ours (TCP) may
 * use the statistics and in_keyedhash; the rest is internal.
 */
#ifndef KERNEL_NETINET_IP_VAR_H
#define KERNEL_NETINET_IP_VAR_H

#include "kern/proc.h"
#include "netinet/in_var.h"

#ifndef ENONET
#define ENONET 64 /* Linux: machine is not on the network */
#endif

/*
 * Counters, one block per CPU (kmem_percpu_zalloc), summed for
 * /proc/net/snmp.  The holder of a CPU increments its own block without
 * atomics.  Names follow Linux's MIB names.
 */
enum in_stat {
	IPS_InReceives,
	IPS_InHdrErrors,
	IPS_InAddrErrors,
	IPS_ForwDatagrams,
	IPS_InUnknownProtos,
	IPS_InDiscards,
	IPS_InDelivers,
	IPS_OutRequests,
	IPS_OutDiscards,
	IPS_OutNoRoutes,
	IPS_ReasmTimeout,
	IPS_ReasmReqds,
	IPS_ReasmOKs,
	IPS_ReasmFails,
	IPS_FragOKs,
	IPS_FragFails,
	IPS_FragCreates,
	ICMPS_InMsgs,
	ICMPS_InErrors,
	ICMPS_InCsumErrors,
	ICMPS_InDestUnreachs,
	ICMPS_InTimeExcds,
	ICMPS_InParmProbs,
	ICMPS_InSrcQuenchs,
	ICMPS_InRedirects,
	ICMPS_InEchos,
	ICMPS_InEchoReps,
	ICMPS_InTimestamps,
	ICMPS_InTimestampReps,
	ICMPS_OutMsgs,
	ICMPS_OutErrors,
	ICMPS_OutRateLimitGlobal,
	ICMPS_OutDestUnreachs,
	ICMPS_OutTimeExcds,
	ICMPS_OutEchoReps,
	ICMPS_OutTimestampReps,
	UDPS_InDatagrams,
	UDPS_NoPorts,
	UDPS_InErrors,
	UDPS_OutDatagrams,
	UDPS_RcvbufErrors,
	UDPS_SndbufErrors,
	UDPS_InCsumErrors,
	UDPS_IgnoredMulti,
	ARPS_Requests,
	ARPS_Replies,
	ARPS_Drops,
	IN_NSTATS
};
extern uint64_t *in_stats;     /* [c] per CPU, IN_NSTATS each */
extern size_t in_stats_stride; /* [I] bytes between CPUs' blocks */

static inline void
in_stat_add(enum in_stat s, uint64_t n)
{
	if (__predict_true(in_stats != NULL))
		((uint64_t *)((char *)in_stats +
		    (size_t)curcpu()->ci_index * in_stats_stride))[s] += n;
}
#define IN_STATINC(s) in_stat_add((s), 1)
uint64_t in_stat_get(enum in_stat s);

/* Addresses (in.c). */
extern krwlock_t in_ifaddr_lock; /* the address hash and list */
/* Is addr (network order) an address of ours on an attached interface? */
bool in_ifaddr_islocal(in_addr_t addr);
/* The first address of ifp, held, or NULL. */
struct in_ifaddr *in_ifaddr_first(struct ifnet *ifp);
/* An address of ours whose connected network holds addr (network order),
 * held, or NULL: the on-link interface for SO_DONTROUTE. */
struct in_ifaddr *in_ifaddr_onlink(in_addr_t addr);
/* Calls fn for every address (reader lock held: fn must not sleep). */
void in_ifaddr_foreach(void (*fn)(struct in_ifaddr *, void *), void *arg);
/* Parses "a.b.c.d" into a network-order address; false if malformed. */
bool in_aton(const char *s, in_addr_t *addrp);
/* The prefix length of a network-order mask, -1 if not contiguous. */
int in_mask2len(in_addr_t mask);
in_addr_t in_len2mask(int plen);

/* Output helpers (ip_output.c). */
/* The interface and next hop that ip_output would use for dst (no
 * broadcast checks), for transports that want to know before building
 * their header; the ifp is not held (valid while the route cache is). */
struct ifnet *ip_route_ifp(in_addr_t dst, struct route_cache *rc);
/* Hands a copy of a broadcast or multicast packet that we send to our own
 * input, later, from a softint (the sender holds its socket lock).
 * Consumes m. */
void ip_loopback_defer(struct ifnet *ifp, struct mbuf *m);
uint16_t ip_newid(void);

/* Input (ip_input.c). */
void ip_input(struct ifnet *ifp, struct mbuf *m);
/* Local delivery of a complete datagram (after reassembly). */
void ip_deliver(struct mbuf *m, int hlen);
const struct ip_protocol *ip_proto_get(int proto);

/* Reassembly (ip_reass.c). */
/* Takes fragment m (header checked, hlen bytes contiguous); returns the
 * whole datagram when m completes it, else NULL (queued or dropped). */
struct mbuf *ip_reass(struct mbuf *m, int hlen);
void ip_reass_init(void);
/* Test hooks: queues held now, and a forced expiry of every queue. */
int ip_reass_count(void);
void ip_reass_expire_all(void);

/* ARP (if_arp.c). */
void arp_init(void);
/* Announces a new address (gratuitous ARP) if ifp is up and Ethernet. */
void arp_ifaddr_added(struct in_ifaddr *ia);
/* Forgets what was learnt through ifp (address removed or if down). */
void arp_purge_ifp(struct ifnet *ifp);

/* ICMP (ip_icmp.c). */
void icmp_init(void);
void icmp_input(struct mbuf *m, int off);
/* Maps an ICMP unreachable code to the errno transports report. */
int icmp_unreach_errno(int code);

/* Raw sockets (raw_ip.c): a copy of every received datagram of proto to
 * each matching raw socket (m is not consumed). */
void rip_input_copies(struct mbuf *m, int hlen, int proto);
bool rip_wants(int proto);
void rip_init(void);
extern const struct protosw rip_protosw_template;

/* The control messages (IP_PKTINFO, IP_TTL, IP_TOS) that the receiver
 * of a datagram with header ip asked for; NULL if none (so_lock held). */
struct mbuf *in_rcv_control(
    struct inpcb *inp, const struct ip *ip, struct ifnet *ifp);

/* UDP (udp_usrreq.c). */
void udp_init(void);

/* The protocol switch (in_proto.c). */
extern struct domain inetdomain;
/* The user requests of UDP and raw IP, for in_proto.c's table. */
int udp_attach(struct socket *so, int proto);
void udp_detach(struct socket *so);
int udp_bind(struct socket *so, const struct sockaddr *nam, socklen_t len);
int udp_connect(struct socket *so, const struct sockaddr *nam, socklen_t len);
int udp_disconnect(struct socket *so);
int udp_shutdown(struct socket *so);
void udp_abort(struct socket *so);
int udp_send(struct socket *so, struct mbuf *m, const struct sockaddr *nam,
    socklen_t namlen, struct mbuf *control, int flags);
int udp_ctloutput(
    int op, struct socket *so, int level, int name, void *val, socklen_t *len);
int udp_ioctl(struct socket *so, unsigned long cmd, void *uarg);
int in_sockaddr(struct socket *so, struct sockaddr_storage *ss, socklen_t *len);
int in_peeraddr(struct socket *so, struct sockaddr_storage *ss, socklen_t *len);
int rip_attach(struct socket *so, int proto);
void rip_detach(struct socket *so);
int rip_bind(struct socket *so, const struct sockaddr *nam, socklen_t len);
int rip_connect(struct socket *so, const struct sockaddr *nam, socklen_t len);
int rip_disconnect(struct socket *so);
int rip_shutdown(struct socket *so);
void rip_abort(struct socket *so);
int rip_send(struct socket *so, struct mbuf *m, const struct sockaddr *nam,
    socklen_t namlen, struct mbuf *control, int flags);
int rip_ctloutput(
    int op, struct socket *so, int level, int name, void *val, socklen_t *len);
int rip_ioctl(struct socket *so, unsigned long cmd, void *uarg);

/* Common socket helpers (in_pcb.c). */
/* Sets all four addresses and ports of inp at once and rehashes it (raw
 * sockets, which have no ports and skip bind's checks); so_lock held. */
void in_pcbset(struct inpcb *inp, in_addr_t laddr, in_port_t lport,
    in_addr_t faddr, in_port_t fport);
/* /proc/net/udp and /proc/net/raw lines of a pcb table. */
struct pfs_buf;
void in_pcb_procfs(struct inpcbtable *tbl, struct pfs_buf *b, bool raw);
/* Whether inp joined group (on ifp, or on any interface if it did not
 * name one); so_lock or the table lock held. */
bool in_pcb_member(
    const struct inpcb *inp, in_addr_t group, const struct ifnet *ifp);
/* Checks a caller's sockaddr_in: 0, EINVAL (short) or EAFNOSUPPORT. */
int in_sockaddr_check(
    const struct sockaddr *nam, socklen_t len, bool unspec_ok);
/* Appends a control message to *cp (allocating it); false if no memory. */
bool in_cmsg_add(
    struct mbuf **cp, int level, int type, const void *data, size_t len);
/* Parses the IP-level control messages of a send (IP_PKTINFO, IP_TTL,
 * IP_TOS); EINVAL on malformed ones.  Fields not given stay as they are. */
int in_cmsg_parse(struct mbuf *control, in_addr_t *srcp, int *ttlp, int *tosp);

#endif /* KERNEL_NETINET_IP_VAR_H */
