/*
 * rump/netconfig.h — configuring a rump kernel's network from C, as
 * buildrump's rump_pub_netconfig_*: each returns 0 or an errno (Linux
 * values) and needs the networking components linked (librumpnet,
 * librumpnet_netinet; librumpnet_shmif or librumpnet_virtif for those
 * interfaces).  Call them after rump_init(), from a thread with or without
 * an lwp of its own.  The same is reachable through socket ioctls (the
 * Linux SIOC* calls and rumpk's SIOCIFCREATE/SIOCSIFLINKSTR), which is
 * what rump.ifconfig uses.
 */
#ifndef RUMP_NETCONFIG_H
#define RUMP_NETCONFIG_H

#ifdef __cplusplus
extern "C" {
#endif

/* Interfaces: create by name ("shmif0", "virt0"), destroy, up, down. */
int rump_pub_netconfig_ifcreate(const char *ifname);
int rump_pub_netconfig_ifdestroy(const char *ifname);
int rump_pub_netconfig_ifup(const char *ifname);
int rump_pub_netconfig_ifdown(const char *ifname);
/* The link string: the bus file of a shmif, the TAP device of a virt. */
int rump_pub_netconfig_ifsetlinkstr(const char *ifname, const char *linkstr);
int rump_pub_netconfig_ifsetmtu(const char *ifname, int mtu);

/* IPv4 addresses ("10.0.0.1", "255.255.255.0" or a prefix length). */
int rump_pub_netconfig_ipv4_ifaddr(
    const char *ifname, const char *addr, const char *mask);
int rump_pub_netconfig_ipv4_ifaddr_cidr(
    const char *ifname, const char *addr, int prefixlen);
/* The default route through gateway addr. */
int rump_pub_netconfig_ipv4_gw(const char *addr);
/* A route to net/prefixlen through gateway addr. */
int rump_pub_netconfig_ipv4_route(
    const char *net, int prefixlen, const char *gateway);
/* IP forwarding between interfaces: on (1) or off (0). */
int rump_pub_netconfig_ipv4_forwarding(int on);

/* Packet capture of every frame in and out of ifname to a pcap file on the
 * host (NULL path stops it).  Also: RUMP_PCAP_<ifname>=path at boot. */
int rump_pub_netconfig_pcap(const char *ifname, const char *hostpath);

/*
 * shmif: creates the next shmifN attached to bus file busfile (created if
 * missing) and returns N in *ifnum.
 */
int rump_pub_shmif_create(const char *busfile, int *ifnum);

/*
 * Counters of a shmif interface, for tests and benchmarks (0, or ENXIO if
 * ifname is not a shmif interface):
 *   rxframes, txframes  frames handed to the stack, written to the bus
 *   short, corrupt      frames skipped: shorter than an Ethernet header;
 *                       impossible length or offsets
 *   overruns            the receiver fell a whole ring behind the writers
 *   resets              a corrupt bus started over by our writer
 *   nomem               frames dropped for want of an mbuf
 *   faultdrop, faultreorder  RUMP_SHMIF_FAULT at work
 *   doorbells, sleeps   doorbell writes; receiver sleeps waiting for one
 *   csumok, csumbad     TCP/UDP checksums checked while copying a frame
 *                       off the ring: right, wrong (left to the stack)
 */
struct rump_shmif_stats {
	unsigned long long ss_rxframes, ss_txframes;
	unsigned long long ss_short, ss_corrupt;
	unsigned long long ss_overruns, ss_resets, ss_nomem;
	unsigned long long ss_faultdrop, ss_faultreorder;
	unsigned long long ss_doorbells, ss_sleeps;
	unsigned long long ss_csumok, ss_csumbad;
};
int rump_pub_shmif_stats(const char *ifname, struct rump_shmif_stats *st);

#ifdef __cplusplus
}
#endif

#endif /* RUMP_NETCONFIG_H */
