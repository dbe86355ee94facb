/*
 * net/if.h — network interfaces, their addresses, Ethernet and packet
 * capture: what drivers (lo0, shmif, virtif) and protocols (netinet) share.
 *
 * Life of an interface:
 *   if_create("shmif0") → the cloner's ifc_create allocates it and calls
 *   if_attach (or a driver calls if_attach directly: lo0) → configured and
 *   brought up (if_up: driver's if_init) → packets flow → if_down →
 *   if_detach (routes and addresses through it removed, no new references)
 *   → the last if_release frees it (driver's if_free).
 *
 * Packet flow:
 *   input:  driver thread → ifp->if_input(ifp, m) (ether_input for Ethernet)
 *           → the protocol's input registered for its ethertype, run in
 *           that same thread (no queue on the fast path; lo0 defers to a
 *           softint so a sender never re-enters its own socket lock).
 *   output: protocol → ifp->if_output(ifp, m, dst, rt) (ether_output:
 *           resolve the next hop with the family's resolver, prepend the
 *           header) → ifp->if_transmit(ifp, m) (the driver).
 * Both directions pass the frame to if_pcap_tap() when capture is on.
 * The callers of if_input/if_output hold a vCPU; neither is called with a
 * socket lock of the receiving side held.
 *
 * Locks: ifnet_lock (an rwlock) guards the interface list and each
 * interface's address list; if_flags/if_mtu change under it as writer.
 * [I] immutable after attach  [L] ifnet_lock  [a] atomic  [d] the driver
 */
#ifndef KERNEL_NET_IF_H
#define KERNEL_NET_IF_H

#include "kern/kern.h"
#include "sys/linux_net.h"
#include "net/mbuf.h"

struct rtentry;
struct ifnet;

/* An address of an interface, of any family.  Held by reference. */
struct ifaddr {
	struct sockaddr_storage ifa_addr;    /* [I] */
	struct sockaddr_storage ifa_netmask; /* [L] */
	struct sockaddr_storage ifa_broadaddr; /* [L] or the peer (p2p) */
	struct ifnet *ifa_ifp;               /* [I] */
	unsigned ifa_refcnt;                 /* [a] */
	int ifa_flags;                       /* [L] */
	void (*ifa_free)(struct ifaddr *);   /* [I] frees the containing struct */
	struct ifaddr *ifa_next;             /* [L] on ifp->if_addrs */
};
void ifa_hold(struct ifaddr *ifa);
void ifa_release(struct ifaddr *ifa);
/* Adds/removes an address on ifp's list (the list holds a reference). */
void ifa_insert(struct ifnet *ifp, struct ifaddr *ifa);
void ifa_remove(struct ifnet *ifp, struct ifaddr *ifa);
/* First address of family af on ifp, held; NULL if none. */
struct ifaddr *ifa_first(struct ifnet *ifp, int af);

struct if_stats {
	uint64_t ifs_ipackets, ifs_ibytes, ifs_ierrors, ifs_iqdrops;
	uint64_t ifs_opackets, ifs_obytes, ifs_oerrors, ifs_oqdrops;
	uint64_t ifs_imcasts, ifs_collisions;
};

/*
 * Offloads an interface does for the protocols (if_capenable): it takes
 * packets with the matching mbuf offload state (mbuf.h, M_CSUM_PARTIAL,
 * M_CSUM_TSO*) as they are and finishes them itself (virtif hands them to
 * the host in a virtio-net header; lo0 needs no checksum at all).
 * ip_output finishes in software whatever an interface cannot do.  A TSO
 * packet is at most IFCAP_TSO_MAXLEN bytes from the network header on.
 */
#define IFCAP_CSUM_IPv4  0x01 /* TCP/UDP checksums over IPv4 */
#define IFCAP_CSUM_IPv6  0x02 /* TCP/UDP checksums over IPv6 */
#define IFCAP_TSO4       0x04 /* TCP segmentation over IPv4 (with CSUM) */
#define IFCAP_TSO6       0x08 /* TCP segmentation over IPv6 (with CSUM) */
#define IFCAP_TSO_MAXLEN 65535

struct ifnet {
	char if_xname[IFNAMSIZ]; /* [I] "shmif0" */
	int if_index;            /* [I] 1.. */
	int if_flags;            /* [L] IFF_* (Linux values) */
	int if_mtu;              /* [L] */
	int if_type;             /* [I] ARPHRD_ETHER, ARPHRD_LOOPBACK */
	int if_hdrlen;           /* [I] link header length (14 for Ethernet) */
	int if_addrlen;          /* [I] hardware address length (6) */
	uint8_t if_hwaddr[6];    /* [L] */
	void *if_softc;          /* [I] the driver's */
	unsigned if_refcnt;      /* [a] */
	bool if_detached;        /* [L] no new references */
	int if_capenable;        /* [a] IFCAP_* on now (the driver sets it) */
	/* [I] Bytes the link can hold for a receiver that is not reading
	 * yet (shmif: half its ring, which writers overwrite); TCP offers no
	 * larger receive window over it.  0: no such limit. */
	unsigned if_maxwin;

	/* Driver operations.  if_transmit consumes m (frame with its link
	 * header) and returns 0 or an errno (ENOBUFS when full, ENETDOWN). */
	int (*if_init)(struct ifnet *ifp); /* bring the link up */
	void (*if_stop)(struct ifnet *ifp);
	int (*if_transmit)(struct ifnet *ifp, struct mbuf *m);
	/* Driver ioctls (SIOCSIFLINKSTR, SIOCSIFMTU, ...) with a kernel copy of
	 * the argument; ENOTTY for the ones it does not know. */
	int (*if_ioctl)(struct ifnet *ifp, unsigned long cmd, void *data);
	void (*if_free)(struct ifnet *ifp);

	/* Link layer, set by ether_ifattach/if_loop_attach.  if_output consumes
	 * m (a network-layer packet) and sends it to next hop dst. */
	int (*if_output)(struct ifnet *ifp, struct mbuf *m,
	    const struct sockaddr *dst, struct rtentry *rt);
	void (*if_input)(struct ifnet *ifp, struct mbuf *m);

	struct ifaddr *if_addrs;   /* [L] */
	struct if_stats if_stats;  /* [a] */
	void *if_pcap;             /* [a] capture file, NULL when off */
	void *if_linkstr;          /* [d] */
	struct ifnet *if_next;     /* [L] */
	void *if_afdata[AF_MAX];   /* [I] per-family state (netinet: ARP) */
};
#define if_addstat(ifp, field, n) __atomic_add_fetch(&(ifp)->if_stats.field, (n), __ATOMIC_RELAXED)

extern krwlock_t ifnet_lock;

/* Interfaces. */
/* Names, numbers and attaches ifp (if_xname set by the caller, or made from
 * the cloner's prefix); the list takes a reference. */
int if_attach(struct ifnet *ifp);
/* Takes ifp off the list, brings it down, lets the families drop their
 * state of it (if_register_af_detach), purges its routes and addresses
 * and drops the list's reference (if_free runs at the last release). */
void if_detach(struct ifnet *ifp);
/* A family's cleanup of an interface being detached (netinet: its
 * addresses, ARP entries), called by if_detach without ifnet_lock. */
void if_register_af_detach(int af, void (*fn)(struct ifnet *ifp));
/* By name or index, held; NULL if none. */
struct ifnet *if_lookup(const char *name);
struct ifnet *if_byindex(int index);
void if_hold(struct ifnet *ifp);
void if_release(struct ifnet *ifp);
int if_up(struct ifnet *ifp);
void if_down(struct ifnet *ifp);
/* Calls fn for every attached interface under ifnet_lock (reader). */
void if_foreach(void (*fn)(struct ifnet *, void *), void *arg);
/* The generic interface ioctls (SIOCGIFCONF, SIOCxIFFLAGS, SIOCxIFMTU,
 * SIOCGIFHWADDR, SIOCGIFINDEX, SIOCGIFNAME, SIOCIFCREATE/DESTROY,
 * SIOCxIFLINKSTR ...) with the caller's argument; ENOTTY if not one. */
int ifioctl(unsigned long cmd, void *uarg);

/* Cloners: "shmif" and "virt" register one each; if_create("shmif0")
 * finds the cloner by the name's prefix. */
struct if_cloner {
	const char *ifc_name; /* "shmif" */
	int (*ifc_create)(struct if_cloner *ifc, int unit, struct ifnet **ifpp);
	int (*ifc_destroy)(struct ifnet *ifp);
	struct if_cloner *ifc_next;
};
void if_cloner_attach(struct if_cloner *ifc);
/*
 * Creates "shmif0": EINVAL for a malformed name, ENXIO if no cloner has
 * the prefix, EEXIST if it exists.  The cloner's ifc_create runs with
 * if_xname empty or set by the driver; if_attach names it.  *ifpp (may
 * be NULL) gets the interface, not held (valid until destroyed).
 */
int if_create(const char *name, struct ifnet **ifpp);
/* Destroys a cloned interface: ifc_destroy calls if_detach.  ENXIO if
 * there is none, EOPNOTSUPP if no cloner made it (lo0). */
int if_destroy(const char *name);

/* Ethernet (if_ethersubr.c). */
#define ETHER_ADDR_LEN  6
#define ETHER_HDR_LEN   14
#define ETHER_MIN_LEN   60 /* without the FCS */
#define ETHER_MAX_LEN   1514
#define ETHERMTU        1500
#define ETHERTYPE_IP    0x0800
#define ETHERTYPE_ARP   0x0806
#define ETHERTYPE_VLAN  0x8100
#define ETHERTYPE_IPV6  0x86DD
struct ether_header {
	uint8_t ether_dhost[ETHER_ADDR_LEN];
	uint8_t ether_shost[ETHER_ADDR_LEN];
	uint16_t ether_type; /* network byte order */
} __attribute__((__packed__));
extern const uint8_t etherbroadcastaddr[ETHER_ADDR_LEN];
/* Sets up ifp's link layer (if_output, if_input, type, flags, MTU and the
 * address; a random one if hwaddr is NULL).  Call it before if_attach. */
void ether_ifattach(struct ifnet *ifp, const uint8_t *hwaddr);
void ether_input(struct ifnet *ifp, struct mbuf *m);
int ether_output(struct ifnet *ifp, struct mbuf *m, const struct sockaddr *dst,
    struct rtentry *rt);
/* A protocol's input for an ethertype: consumes m (link header removed). */
void ether_register_input(uint16_t ethertype, void (*input)(struct ifnet *, struct mbuf *));
/*
 * Next-hop resolution of a family for Ethernet output (netinet registers
 * ARP for AF_INET): fills enaddr and returns 0, or takes m (queued until
 * the answer comes, or freed) and returns EWOULDBLOCK, or returns an errno
 * with m not consumed.
 */
typedef int (*ether_resolve_fn)(struct ifnet *ifp, struct mbuf *m,
    const struct sockaddr *dst, struct rtentry *rt, uint8_t *enaddr);
void ether_register_resolver(int af, ether_resolve_fn fn);
/* Sends a complete frame built by the caller (ARP): consumes m. */
int ether_output_frame(struct ifnet *ifp, struct mbuf *m);
/* Fills a random locally administered unicast address with prefix p0:p1. */
void ether_random_addr(uint8_t *addr, uint8_t p0, uint8_t p1);

/* Loopback (if_loop.c): lo0, up at boot with 127.0.0.1/8 once netinet is
 * linked.  lo0_ifp is NULL before the net component's init. */
extern struct ifnet *lo0_ifp;
/* Hands a packet of family af to that family's input (the network layer's
 * demux used by lo0); families register theirs. */
void if_register_af_input(int af, void (*input)(struct ifnet *, struct mbuf *));
void if_af_input(int af, struct ifnet *ifp, struct mbuf *m);

/* Packet capture (if_pcap.c): every frame in and out of ifp written to a
 * pcap file (LINKTYPE_ETHERNET; LINKTYPE_NULL for lo0).  Turned on at
 * attach by the parameter RUMP_PCAP_<ifname>=path, or by
 * rump_pub_netconfig_pcap(ifname, path).  Does not consume m. */
int if_pcap_open(struct ifnet *ifp, const char *hostpath);
void if_pcap_close(struct ifnet *ifp);
void if_pcap_tap(struct ifnet *ifp, const struct mbuf *m);

#endif /* KERNEL_NET_IF_H */
