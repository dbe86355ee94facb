/*
 * net/route.h — the routing table: longest-prefix match per family
 * (AF_INET now, AF_INET6 later), with a default route.
 *
 * A route is found with rt_lookup() and held by reference until
 * rt_release().  Holders that keep a route (a connected socket's cached
 * route) compare rt_generation with the value they saw: any change to the
 * table bumps it and the holder looks the route up again.
 *
 * Routes are added by address configuration (the connected network of an
 * interface address, RTF_UP without RTF_GATEWAY), by SIOCADDRT /
 * rump_pub_netconfig_ipv4_gw, and removed with their interface.
 *
 * Locks: rt_lock (rwlock) guards the table; an entry's fields are
 * immutable once inserted, except rt_refcnt [a] and rt_flags RTF_UP, which
 * deletion clears (held entries stay valid but unusable).
 */
#ifndef KERNEL_NET_ROUTE_H
#define KERNEL_NET_ROUTE_H

#include "net/if.h"

struct rtentry {
	struct sockaddr_storage rt_dst;     /* [I] network (masked) */
	struct sockaddr_storage rt_mask;    /* [I] */
	struct sockaddr_storage rt_gateway; /* [I] with RTF_GATEWAY */
	int rt_plen;                        /* [I] prefix length */
	int rt_flags;                       /* RTF_* (Linux values) */
	int rt_metric;                      /* [I] */
	uint32_t rt_mtu;                    /* [I] 0: the interface's */
	struct ifnet *rt_ifp;               /* [I] held */
	struct ifaddr *rt_ifa;              /* [I] source address, held */
	unsigned rt_refcnt;                 /* [a] */
	uint64_t rt_use;                    /* [a] lookups that found it */
	struct rtentry *rt_next;            /* [rt_lock] hash chain */
};

extern unsigned rt_generation; /* [a] bumped by every change */

/*
 * Longest-prefix match for dst; with several of the same prefix the lowest
 * metric wins.  Returns 0 and the route held, or ENETUNREACH (EHOSTUNREACH
 * for RTF_REJECT).
 */
int rt_lookup(const struct sockaddr *dst, struct rtentry **rtp);
void rt_hold(struct rtentry *rt);
void rt_release(struct rtentry *rt);
/*
 * Adds a route.  gateway may be NULL (directly connected via ifp).  If ifp
 * is NULL it is the interface through which the gateway is reachable
 * (ENETUNREACH if none).  ifa may be NULL: the first address of the
 * family on ifp is used.  EEXIST if the same dst/mask/metric exists.
 */
int rt_add(const struct sockaddr *dst, int plen, const struct sockaddr *gateway,
    struct ifnet *ifp, struct ifaddr *ifa, int flags, int metric);
/* Deletes the matching route (gateway/ifp NULL match any); ESRCH if none. */
int rt_delete(const struct sockaddr *dst, int plen,
    const struct sockaddr *gateway, struct ifnet *ifp, int metric);
/* Removes every route through ifp, or using address ifa. */
void rt_purge_ifp(struct ifnet *ifp);
void rt_purge_ifa(struct ifaddr *ifa);
/* Calls fn for every route of family af under rt_lock (reader). */
void rt_foreach(int af, void (*fn)(struct rtentry *, void *), void *arg);
/* SIOCADDRT/SIOCDELRT with the caller's struct linux_rtentry. */
int rt_ioctl(unsigned long cmd, void *uarg);

/* The sockaddr helpers used by every family. */
int sockaddr_plen(const struct sockaddr *mask); /* prefix length of a mask */
bool sockaddr_eq(const struct sockaddr *a, const struct sockaddr *b);

#endif /* KERNEL_NET_ROUTE_H */
