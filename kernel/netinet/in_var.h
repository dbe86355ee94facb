/*
 * netinet/in_var.h — what the IPv4 protocols share inside netinet: the
 * interface addresses, IP output and the protocol demux, checksums, and
 * protocol control blocks (inpcb) with their lookup tables.
 *
 * Input: ether_input → ip_input (ip_input.c: checks, reassembly, local
 * delivery or forwarding) → the input registered for ip_p
 * (ip_register_proto: tcp_input, udp_input, icmp_input, rip_input),
 * in the receiving thread.  ICMP errors reach the protocol of the packet
 * that caused them through its ctlinput.
 *
 * Output: a protocol builds its header after a struct ip and calls
 * ip_output, which routes (through the caller's route cache), fills the
 * rest of the IP header, fragments and hands the packet to the interface.
 */
#ifndef KERNEL_NETINET_IN_VAR_H
#define KERNEL_NETINET_IN_VAR_H

#include "net/if.h"
#include "net/route.h"
#include "net/socket.h"
#include "netinet/ip.h"

/* An IPv4 address of an interface (ifa_addr/netmask/broadaddr are
 * sockaddr_in).  Host-order copies for fast checks. */
struct in_ifaddr {
	struct ifaddr ia_ifa;
	in_addr_t ia_addr;      /* [I] network order */
	in_addr_t ia_netmask;   /* network order */
	in_addr_t ia_subnet;    /* addr & mask, network order */
	in_addr_t ia_broadcast; /* network order */
	int ia_plen;
	/* Appended: netinet's own links (in_ifaddr_lock). */
	struct in_ifaddr *ia_hnext; /* address hash chain */
	struct in_ifaddr *ia_next;  /* every address, in order of addition */
};
/* Is addr (network order) one of ours?  Returns the ifaddr held or NULL. */
struct in_ifaddr *in_ifaddr_lookup(in_addr_t addr);
/* Is addr a broadcast address of ifp (or 255.255.255.255)? */
bool in_broadcast(in_addr_t addr, struct ifnet *ifp);
/* Adds/removes an address on ifp (with its connected route); from the
 * SIOCSIFADDR family of ioctls and rump_pub_netconfig_ipv4_ifaddr. */
int in_addr_add(struct ifnet *ifp, in_addr_t addr, int plen);
int in_addr_delete(struct ifnet *ifp, in_addr_t addr);
/* The AF_INET socket ioctls (pr_ioctl of every AF_INET protocol). */
int in_control(struct socket *so, unsigned long cmd, void *uarg);

/* A cached route of a socket or a caller (see rt_generation). */
struct route_cache {
	struct rtentry *rc_rt; /* held, or NULL */
	unsigned rc_gen;
	in_addr_t rc_dst;
	int rc_flags; /* appended: ip_output's notes on rc_dst (RCF_*) */
};
/* Returns rc's route for dst (looking it up again when stale), not held
 * beyond rc's own reference; NULL with *error set if unreachable. */
struct rtentry *rtcache_lookup(struct route_cache *rc, in_addr_t dst, int *error);
void rtcache_free(struct route_cache *rc);

/* Multicast and per-socket IP options that ip_output needs. */
struct ip_moptions {
	struct ifnet *imo_ifp; /* IP_MULTICAST_IF, held, or NULL */
	uint8_t imo_ttl;       /* IP_MULTICAST_TTL (default 1) */
	bool imo_loop;         /* IP_MULTICAST_LOOP (default true) */
};

/*
 * Sends packet m that starts with a struct ip.  The caller fills ip_tos,
 * ip_len, ip_off (IP_DF or 0), ip_ttl, ip_p, ip_src (INADDR_ANY: the
 * route's source address is put in) and ip_dst, in network order, and the
 * transport checksum (computed over the final source address: use
 * ip_select_source first when ip_src is INADDR_ANY).  ip_output fills
 * ip_vhl (unless IP_RAWOUTPUT), ip_id, ip_sum and fragments when the packet
 * is larger than the MTU (EMSGSIZE with IP_DF).  Consumes m.  rc may be
 * NULL (a temporary lookup) and imo NULL.
 */
#define IP_FORWARDING     0x01 /* being forwarded: keep TTL/ids as given */
#define IP_RAWOUTPUT      0x02 /* header complete (IP_HDRINCL) */
#define IP_ROUTETOIF      0x04 /* SO_DONTROUTE: only on-link */
#define IP_ALLOWBROADCAST 0x08 /* SO_BROADCAST */
int ip_output(struct mbuf *m, struct route_cache *rc, int flags,
    struct ip_moptions *imo);
/* The source address for dst (the outgoing route's interface address). */
int ip_select_source(in_addr_t dst, struct route_cache *rc, in_addr_t *srcp);
/* MTU towards dst for transport segment sizing (route, then interface). */
int ip_mtu_to(in_addr_t dst, struct route_cache *rc);
/* The if_maxwin of the interface to dst (0: none, or local). */
unsigned ip_maxwin_to(in_addr_t dst, struct route_cache *rc);
extern int ip_forwarding; /* [a] /proc/sys/net/ipv4/ip_forward */
extern int ip_defttl;     /* [a] */

/*
 * Transport demux.  input consumes m; off is the IP header length.
 * ctlinput reports an ICMP error: cmd is the errno it maps to
 * (EHOSTUNREACH, ECONNREFUSED, EMSGSIZE with mtu, ...), dst the remote
 * address and ip the header of the offending packet followed by at least
 * 8 bytes of its payload (contiguous).
 */
struct ip_protocol {
	void (*ipp_input)(struct mbuf *m, int off);
	void (*ipp_ctlinput)(int cmd, in_addr_t dst, const struct ip *ip, int iplen, uint32_t mtu);
};
void ip_register_proto(int proto, const struct ip_protocol *ipp);
/* Raw sockets see every packet of their protocol too (rip_input). */

/* ICMP (ip_icmp.c): error replies for a received packet (not consumed). */
void icmp_error(struct mbuf *m, int type, int code, uint32_t info);
#define ICMP_UNREACH          3
#define ICMP_UNREACH_NET      0
#define ICMP_UNREACH_HOST     1
#define ICMP_UNREACH_PROTOCOL 2
#define ICMP_UNREACH_PORT     3
#define ICMP_UNREACH_NEEDFRAG 4
#define ICMP_TIMXCEED         11
#define ICMP_TIMXCEED_INTRANS 0
#define ICMP_TIMXCEED_REASS   1

/* Checksums (in_cksum.c). */
/* Internet checksum of len bytes of m from off (already complemented). */
uint16_t in_cksum(const struct mbuf *m, int off, int len);
/* Transport checksum of len bytes at off with the IPv4 pseudo-header. */
uint16_t in4_cksum(const struct mbuf *m, int proto, int off, int len,
    in_addr_t src, in_addr_t dst);
/* The IPv4 pseudo-header sum (not complemented) of a transport segment of
 * len bytes: what an M_CSUM_PARTIAL packet carries in its checksum field. */
uint16_t in4_pseudo(in_addr_t src, in_addr_t dst, int proto, int len);
/* Completes the TCP/UDP checksum of an M_CSUM_PARTIAL IPv4 packet in
 * software (mbuf.h) and clears the flag; 0, or an errno with m kept. */
int in_cksum_finish(struct mbuf *m);
/* Ones'-complement sum helper for incremental use. */
uint32_t in_cksum_add(uint32_t sum, const void *buf, size_t len);
uint16_t in_cksum_fold(uint32_t sum);

/*
 * Protocol control blocks of UDP, TCP and raw sockets (in_pcb.c): the
 * local and foreign address/port of a socket, hashed for input lookups.
 * An inpcb lives as long as its socket's protocol needs it; input paths
 * find it under the table's lock, take a reference (inp_ref), drop the
 * table lock, lock the socket and then check INP_DEAD.
 * [t] table lock  [s] the socket's so_lock  [I] immutable  [a] atomic
 */
struct inpcbtable;
struct inpcb {
	struct socket *inp_socket;    /* [I] */
	struct inpcbtable *inp_table; /* [I] */
	in_addr_t inp_laddr;          /* [s,t] network order */
	in_addr_t inp_faddr;          /* [s,t] */
	in_port_t inp_lport;          /* [s,t] network order */
	in_port_t inp_fport;          /* [s,t] */
	int inp_flags;                /* [s] INP_* */
	unsigned inp_refcnt;          /* [a] */
	uint8_t inp_ttl, inp_tos;     /* [s] IP_TTL, IP_TOS */
	struct ip_moptions inp_moptions; /* [s] */
	struct route_cache inp_route; /* [s] */
	void *inp_ppcb;               /* [s] the transport's (tcpcb) */
	struct inpcb *inp_hnext;      /* [t] connection hash chain */
	struct inpcb *inp_pnext;      /* [t] port hash chain */
	struct inpcb *inp_lnext, *inp_lprev; /* [t] all pcbs of the table */
	/* Appended for UDP and raw sockets. */
	int inp_proto;                /* [I] raw: the protocol */
	int inp_hash;                 /* [t] which lists the pcb is on */
	struct ip_mships *inp_mships; /* [s] IP_ADD_MEMBERSHIP groups */
	uint32_t inp_icmpfilter;      /* [s] ICMP_FILTER of raw ICMP */
	uint64_t inp_drops;           /* [a] datagrams dropped (full) */
	unsigned inp_hconn, inp_hport; /* [t] buckets it is hashed on */
};
#define INP_DEAD      0x01 /* detached: ignore */
#define INP_HDRINCL   0x02
#define INP_RECVPKTINFO 0x04
#define INP_RECVTTL   0x08
#define INP_RECVTOS   0x10
#define INP_RECVERR   0x20
#define INP_ANONPORT  0x40 /* the port was chosen by the kernel */

struct inpcbtable *in_pcbtable_create(const char *name, int nbuckets);
/* A new pcb for so (so_pcb set), in table tbl. */
int in_pcballoc(struct socket *so, struct inpcbtable *tbl);
/* Binds to sin (NULL or port 0: an ephemeral port, random per RFC 6056);
 * EADDRINUSE unless SO_REUSEADDR/SO_REUSEPORT allow sharing; EADDRNOTAVAIL
 * if the address is not ours; EACCES never (every client is root). */
int in_pcbbind(struct inpcb *inp, const struct sockaddr_in *sin);
/* Sets the foreign address (choosing the local address and port when
 * unbound); EADDRINUSE if the 4-tuple exists. */
int in_pcbconnect(struct inpcb *inp, const struct sockaddr_in *sin);
void in_pcbdisconnect(struct inpcb *inp);
/* Unlinks the pcb (INP_DEAD) and drops the socket's reference to it. */
void in_pcbdetach(struct inpcb *inp);
void in_pcbref(struct inpcb *inp);
void in_pcbunref(struct inpcb *inp);
/* Exact 4-tuple match, else (wildcard) the best bound/listening socket;
 * returns the pcb with a reference, or NULL.  Addresses network order. */
struct inpcb *in_pcblookup(struct inpcbtable *tbl, in_addr_t faddr,
    in_port_t fport, in_addr_t laddr, in_port_t lport, bool wildcard);
/* Calls fn for every live pcb (for /proc/net and ctlinput broadcasts),
 * holding the table lock: fn must not sleep or take a socket lock. */
void in_pcbforeach(struct inpcbtable *tbl, void (*fn)(struct inpcb *, void *), void *arg);
/* Options at level SOL_IP common to all AF_INET sockets. */
int in_ctloutput_ip(int op, struct inpcb *inp, int name, void *val, socklen_t *len);
void in_setsockaddr(const struct inpcb *inp, struct sockaddr_storage *ss, socklen_t *len);
void in_setpeeraddr(const struct inpcb *inp, struct sockaddr_storage *ss, socklen_t *len);

/* Randomness for ISNs, ports and IP ids (keyed hash over kernel secrets). */
uint32_t in_random32(void);

/* ---- Added by netinet (appended; nothing above changed). ---- */

/* Classes of addresses (network order). */
#define IN_MULTICAST(a) ((ntohl(a) & 0xf0000000) == 0xe0000000)
#define IN_LOOPBACK(a)  ((ntohl(a) & 0xff000000) == 0x7f000000)
#define IN_ZERONET(a)   ((ntohl(a) & 0xff000000) == 0)
#define IN_BADCLASS(a)  ((ntohl(a) & 0xf0000000) == 0xf0000000)

/*
 * Checksum conventions: every value is in network order as it lies in
 * the packet.  in_cksum_add returns a partial (uncomplemented) 32-bit
 * sum; buf must start at an even offset of what is summed.
 * in_cksum_fold folds a partial sum and COMPLEMENTS it: the result is
 * what goes into a checksum field, and a sum over data that includes a
 * correct checksum field folds to 0.
 */

/* SipHash-2-4 of len bytes under the kernel's secret key (RFC 6528 ISNs:
 * hash the 4-tuple and add a clock). */
uint64_t in_keyedhash(const void *buf, size_t len);
/*
 * listen(2) of a bound pcb (binds an ephemeral port first if unbound):
 * EADDRINUSE if another socket listens on the same port and overlapping
 * address, unless both have SO_REUSEPORT.  so_lock held; call before
 * setting SO_OPT_ACCEPTCONN.
 */
int in_pcblisten(struct inpcb *inp);
/* Rehashes after the transport changed inp_laddr/faddr/ports itself. */
void in_pcbrehash(struct inpcb *inp);
/*
 * in_pcbunref drops a reference taken by in_pcblookup or in_pcbref.  Call
 * it without the socket's lock: the last reference of a detached pcb
 * frees the pcb and then the socket (sofree) if nothing else holds it.
 * in_pcbdetach is called with so_lock held and drops the socket's own
 * reference: so_pcb becomes NULL at once unless an input path still holds
 * a reference, in which case the socket lives until that one is dropped.
 */
/* Reports an ICMP error to the connected pcbs of tbl that match (UDP's
 * and raw sockets' ctlinput): sets so_error (soseterror). */
void in_pcbnotify(struct inpcbtable *tbl, in_addr_t faddr, in_port_t fport,
    in_addr_t laddr, in_port_t lport, int error);
/*
 * Input to several sockets (broadcast, multicast, raw): collects up to max
 * live pcbs that match (faddr/fport/laddr/lport; a pcb's own wildcard
 * fields match anything, lport 0 matches every port) into pcbs[] with a
 * reference each; returns the number.  filter may further select (table
 * lock held: no sleeping, no socket locks).
 */
int in_pcbcollect(struct inpcbtable *tbl, in_addr_t faddr, in_port_t fport,
    in_addr_t laddr, in_port_t lport, bool (*filter)(struct inpcb *, void *),
    void *arg, struct inpcb **pcbs, int max);

#endif /* KERNEL_NETINET_IN_VAR_H */
