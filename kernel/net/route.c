/*
 * route.c — the routing table (net/route.h): per family, one small hash
 * table per prefix length, scanned from the longest prefix to the
 * shortest; SIOCADDRT/SIOCDELRT; /proc/net/route.
 *
 * Entries are immutable once in the table except rt_flags' RTF_UP,
 * cleared when deleted, and the counters.  The table holds a reference to
 * each entry; lookups return another.  An entry holds its interface and
 * address, which it releases when freed.
 */
#include "net/net_impl.h"

#include "fs/procfs/procfs.h"

#define RT_NBUCKET 64
#define RT_MAXPLEN 128

struct rt_family {
	int rf_af;
	int rf_maxplen; /* 32, 128 */
	int rf_count[RT_MAXPLEN + 1];
	struct rtentry **rf_hash[RT_MAXPLEN + 1]; /* lazily allocated */
};

static krwlock_t rt_lock;
unsigned rt_generation;
static struct rt_family rt_inet = {.rf_af = AF_INET, .rf_maxplen = 32};
static struct rt_family rt_inet6 = {.rf_af = AF_INET6, .rf_maxplen = 128};

static int rt_proc_route(void *arg, struct pfs_buf *b);

RUMP_COMPONENT(RUMP_COMPONENT_KERN)
{
	rw_init(&rt_lock);
	LOCKINIT_DONE();
}

RUMP_COMPONENT(RUMP_COMPONENT_NET)
{
	(void)procfs_register("net/route", rt_proc_route, NULL, NULL);
}

static struct rt_family *
rt_family(int af)
{
	if (af == AF_INET)
		return &rt_inet;
	if (af == AF_INET6)
		return &rt_inet6;
	return NULL;
}

/* The address bytes of sa (NULL if not an address family we route). */
static const uint8_t *
rt_addr(const struct sockaddr *sa, int *lenp)
{
	if (sa->sa_family == AF_INET) {
		*lenp = 4;
		return (const uint8_t *)&(
		    (const struct sockaddr_in *)(const void *)sa)
		    ->sin_addr;
	}
	if (sa->sa_family == AF_INET6) {
		*lenp = 16;
		return ((const struct sockaddr_in6 *)(const void *)sa)
		    ->sin6_addr.s6_addr;
	}
	return NULL;
}

static void
rt_mask_bytes(const uint8_t *in, int len, int plen, uint8_t *out)
{
	for (int i = 0; i < len; i++) {
		int bits = plen - i * 8;

		if (bits >= 8)
			out[i] = in[i];
		else if (bits <= 0)
			out[i] = 0;
		else
			out[i] = in[i] & (uint8_t)(0xff << (8 - bits));
	}
}

static unsigned
rt_hashbytes(const uint8_t *b, int len)
{
	uint32_t h = 2166136261u;

	for (int i = 0; i < len; i++)
		h = (h ^ b[i]) * 16777619u;
	return h % RT_NBUCKET;
}

int
sockaddr_plen(const struct sockaddr *mask)
{
	const uint8_t *b;
	int len, plen = 0, i;

	if ((b = rt_addr(mask, &len)) == NULL)
		return -1;
	for (i = 0; i < len && b[i] == 0xff; i++)
		plen += 8;
	if (i < len) {
		uint8_t c = b[i];

		while (c & 0x80) {
			plen++;
			c = (uint8_t)(c << 1);
		}
		if (c != 0)
			return -1;
		for (i++; i < len; i++)
			if (b[i] != 0)
				return -1;
	}
	return plen;
}

bool
sockaddr_eq(const struct sockaddr *a, const struct sockaddr *b)
{
	const uint8_t *pa, *pb;
	int la, lb;

	if (a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_UNIX)
		return strncmp(((const struct sockaddr_un *)(const void *)a)
		                   ->sun_path,
		           ((const struct sockaddr_un *)(const void *)b)
		               ->sun_path,
		           sizeof(((struct sockaddr_un *)0)->sun_path)) == 0;
	pa = rt_addr(a, &la);
	pb = rt_addr(b, &lb);
	if (pa == NULL || pb == NULL)
		return memcmp(a, b, sizeof(*a)) == 0;
	if (((const struct sockaddr_in *)(const void *)a)->sin_port !=
	    ((const struct sockaddr_in *)(const void *)b)->sin_port)
		return false;
	return memcmp(pa, pb, (size_t)la) == 0;
}

void
rt_hold(struct rtentry *rt)
{
	atomic_inc(&rt->rt_refcnt);
}

void
rt_release(struct rtentry *rt)
{
	if (atomic_dec(&rt->rt_refcnt) != 0)
		return;
	if (rt->rt_ifa != NULL)
		ifa_release(rt->rt_ifa);
	if (rt->rt_ifp != NULL)
		if_release(rt->rt_ifp);
	kmem_free(rt, sizeof(*rt));
}

int
rt_lookup(const struct sockaddr *dst, struct rtentry **rtp)
{
	struct rt_family *rf = rt_family(dst->sa_family);
	struct rtentry *rt, *best = NULL;
	uint8_t key[16];
	const uint8_t *a;
	int len;

	*rtp = NULL;
	if (rf == NULL || (a = rt_addr(dst, &len)) == NULL)
		return ENETUNREACH;
	rw_enter(&rt_lock, RW_READER);
	for (int plen = rf->rf_maxplen; plen >= 0 && best == NULL; plen--) {
		if (rf->rf_count[plen] == 0)
			continue;
		rt_mask_bytes(a, len, plen, key);
		rt = rf->rf_hash[plen][rt_hashbytes(key, len)];
		for (; rt != NULL; rt = rt->rt_next) {
			const uint8_t *d =
			    rt_addr((const struct sockaddr *)&rt->rt_dst, &len);

			if (rt->rt_plen != plen || memcmp(d, key, (size_t)len))
				continue;
			if (rt->rt_ifp != NULL &&
			    !(atomic_load_relaxed(&rt->rt_ifp->if_flags) &
			        IFF_UP) &&
			    !(rt->rt_flags & RTF_REJECT))
				continue;
			if (best == NULL || rt->rt_metric < best->rt_metric)
				best = rt;
		}
	}
	if (best != NULL) {
		rt_hold(best);
		__atomic_add_fetch(&best->rt_use, 1, __ATOMIC_RELAXED);
	}
	rw_exit(&rt_lock);
	if (best == NULL)
		return ENETUNREACH;
	if (best->rt_flags & RTF_REJECT) {
		rt_release(best);
		return EHOSTUNREACH;
	}
	*rtp = best;
	return 0;
}

/* The entry of exactly (dst, plen) matching the rest; holds rt_lock. */
static struct rtentry **
rt_find(struct rt_family *rf, const uint8_t *key, int len, int plen,
    const struct sockaddr *gateway, struct ifnet *ifp, int metric)
{
	struct rtentry **pp;

	if (rf->rf_count[plen] == 0)
		return NULL;
	pp = &rf->rf_hash[plen][rt_hashbytes(key, len)];
	for (; *pp != NULL; pp = &(*pp)->rt_next) {
		struct rtentry *rt = *pp;
		int l;

		if (rt->rt_plen != plen ||
		    memcmp(rt_addr((const struct sockaddr *)&rt->rt_dst, &l),
		        key, (size_t)len) != 0)
			continue;
		if (metric >= 0 && rt->rt_metric != metric)
			continue;
		if (gateway != NULL &&
		    (!(rt->rt_flags & RTF_GATEWAY) ||
		        !sockaddr_eq(
		            gateway, (const struct sockaddr *)&rt->rt_gateway)))
			continue;
		if (ifp != NULL && rt->rt_ifp != ifp)
			continue;
		return pp;
	}
	return NULL;
}

int
rt_add(const struct sockaddr *dst, int plen, const struct sockaddr *gateway,
    struct ifnet *ifp, struct ifaddr *ifa, int flags, int metric)
{
	struct rt_family *rf = rt_family(dst->sa_family);
	struct rtentry *rt, *grt = NULL, **bucket;
	uint8_t key[16];
	const uint8_t *a;
	int len, error = 0;

	if (rf == NULL || (a = rt_addr(dst, &len)) == NULL)
		return EAFNOSUPPORT;
	if (plen < 0 || plen > rf->rf_maxplen || metric < 0)
		return EINVAL;
	if (gateway != NULL && gateway->sa_family != dst->sa_family)
		return EINVAL;
	if (ifp == NULL) {
		if (gateway == NULL)
			return EINVAL;
		if ((error = rt_lookup(gateway, &grt)) != 0)
			return ENETUNREACH;
		if ((grt->rt_flags & RTF_GATEWAY) || grt->rt_ifp == NULL) {
			rt_release(grt);
			return ENETUNREACH;
		}
		ifp = grt->rt_ifp;
	}
	if ((rt = kmem_zalloc(sizeof(*rt), KM_SLEEP)) == NULL) {
		error = ENOMEM;
		goto out;
	}
	rt_mask_bytes(a, len, plen, key);
	rt->rt_dst.ss_family = dst->sa_family;
	rt->rt_mask.ss_family = dst->sa_family;
	memcpy((void *)rt_addr((struct sockaddr *)&rt->rt_dst, &len), key,
	    (size_t)len);
	{
		uint8_t ones[16], mbytes[16];

		memset(ones, 0xff, sizeof(ones));
		rt_mask_bytes(ones, len, plen, mbytes);
		memcpy((void *)rt_addr((struct sockaddr *)&rt->rt_mask, &len),
		    mbytes, (size_t)len);
	}
	if (gateway != NULL) {
		memcpy(&rt->rt_gateway, gateway,
		    gateway->sa_family == AF_INET6
		        ? sizeof(struct sockaddr_in6)
		        : sizeof(struct sockaddr_in));
		flags |= RTF_GATEWAY;
	} else {
		flags &= ~RTF_GATEWAY;
	}
	if (plen == rf->rf_maxplen)
		flags |= RTF_HOST;
	rt->rt_plen = plen;
	rt->rt_flags = flags | RTF_UP;
	rt->rt_metric = metric;
	if_hold(ifp);
	rt->rt_ifp = ifp;
	if (ifa != NULL)
		ifa_hold(ifa);
	else
		ifa = ifa_first(ifp, dst->sa_family);
	rt->rt_ifa = ifa;
	rt->rt_refcnt = 1; /* the table's */

	rw_enter(&rt_lock, RW_WRITER);
	if (ifp->if_detached) {
		error = ENXIO;
	} else if (rt_find(rf, key, len, plen, NULL, NULL, metric) != NULL) {
		error = EEXIST;
	} else if (rf->rf_hash[plen] == NULL &&
	    (rf->rf_hash[plen] = kmem_zalloc(
	         sizeof(struct rtentry *) * RT_NBUCKET, KM_SLEEP)) == NULL) {
		error = ENOMEM;
	}
	if (error == 0) {
		bucket = &rf->rf_hash[plen][rt_hashbytes(key, len)];
		rt->rt_next = *bucket;
		*bucket = rt;
		rf->rf_count[plen]++;
		atomic_inc(&rt_generation);
	}
	rw_exit(&rt_lock);
	if (error)
		rt_release(rt);
out:
	if (grt != NULL)
		rt_release(grt);
	return error;
}

/* Unlinks *pp; holds rt_lock as writer.  Returns the entry to release. */
static struct rtentry *
rt_unlink(struct rt_family *rf, struct rtentry **pp)
{
	struct rtentry *rt = *pp;

	*pp = rt->rt_next;
	rt->rt_next = NULL;
	rf->rf_count[rt->rt_plen]--;
	__atomic_and_fetch(&rt->rt_flags, ~RTF_UP, __ATOMIC_RELAXED);
	atomic_inc(&rt_generation);
	return rt;
}

int
rt_delete(const struct sockaddr *dst, int plen, const struct sockaddr *gateway,
    struct ifnet *ifp, int metric)
{
	struct rt_family *rf = rt_family(dst->sa_family);
	struct rtentry **pp, *rt = NULL;
	uint8_t key[16];
	const uint8_t *a;
	int len;

	if (rf == NULL || (a = rt_addr(dst, &len)) == NULL)
		return EAFNOSUPPORT;
	if (plen < 0 || plen > rf->rf_maxplen)
		return EINVAL;
	rt_mask_bytes(a, len, plen, key);
	rw_enter(&rt_lock, RW_WRITER);
	if ((pp = rt_find(rf, key, len, plen, gateway, ifp, metric)) != NULL)
		rt = rt_unlink(rf, pp);
	rw_exit(&rt_lock);
	if (rt == NULL)
		return ESRCH;
	rt_release(rt);
	return 0;
}

/* Removes every route for which match() holds. */
static void
rt_purge(bool (*match)(struct rtentry *, const void *), const void *arg)
{
	struct rt_family *fams[] = {&rt_inet, &rt_inet6};
	struct rtentry *dead = NULL, *rt, **pp;

	rw_enter(&rt_lock, RW_WRITER);
	for (size_t f = 0; f < nitems(fams); f++) {
		struct rt_family *rf = fams[f];

		for (int plen = 0; plen <= rf->rf_maxplen; plen++) {
			if (rf->rf_count[plen] == 0)
				continue;
			for (int b = 0; b < RT_NBUCKET; b++) {
				pp = &rf->rf_hash[plen][b];
				while (*pp != NULL) {
					if (!match(*pp, arg)) {
						pp = &(*pp)->rt_next;
						continue;
					}
					rt = rt_unlink(rf, pp);
					rt->rt_next = dead;
					dead = rt;
				}
			}
		}
	}
	rw_exit(&rt_lock);
	while ((rt = dead) != NULL) {
		dead = rt->rt_next;
		rt->rt_next = NULL;
		rt_release(rt);
	}
}

static bool
rt_match_ifp(struct rtentry *rt, const void *arg)
{
	return rt->rt_ifp == arg;
}

static bool
rt_match_ifa(struct rtentry *rt, const void *arg)
{
	return rt->rt_ifa == arg;
}

void
rt_purge_ifp(struct ifnet *ifp)
{
	rt_purge(rt_match_ifp, ifp);
}

void
rt_purge_ifa(struct ifaddr *ifa)
{
	rt_purge(rt_match_ifa, ifa);
}

void
rt_foreach(int af, void (*fn)(struct rtentry *, void *), void *arg)
{
	struct rt_family *rf = rt_family(af);

	if (rf == NULL)
		return;
	rw_enter(&rt_lock, RW_READER);
	for (int plen = rf->rf_maxplen; plen >= 0; plen--) {
		if (rf->rf_count[plen] == 0)
			continue;
		for (int b = 0; b < RT_NBUCKET; b++)
			for (struct rtentry *rt = rf->rf_hash[plen][b];
			     rt != NULL; rt = rt->rt_next)
				fn(rt, arg);
	}
	rw_exit(&rt_lock);
}

/* SIOCADDRT/SIOCDELRT of IPv4 routes, with kernel copies. */
int
rt_ioctl_kern(
    unsigned long cmd, const struct linux_rtentry *rte, const char *devname)
{
	const struct sockaddr_in *dst, *mask, *gw;
	struct ifnet *ifp = NULL;
	struct sockaddr_in d;
	int plen, metric, error;

	dst = (const struct sockaddr_in *)(const void *)&rte->rt_dst;
	mask = (const struct sockaddr_in *)(const void *)&rte->rt_genmask;
	gw = (const struct sockaddr_in *)(const void *)&rte->rt_gateway;
	if (dst->sin_family != AF_INET)
		return EAFNOSUPPORT;
	if (rte->rt_flags & RTF_HOST) {
		plen = 32;
	} else {
		if (mask->sin_addr.s_addr != 0 && mask->sin_family != AF_INET)
			return EAFNOSUPPORT;
		uint32_t m = ntohl(mask->sin_addr.s_addr);

		plen = 0;
		while (plen < 32 && (m & (0x80000000u >> plen)))
			plen++;
		if (plen < 32 && (m << plen) != 0)
			return EINVAL;
		if (plen < 32 &&
		    (ntohl(dst->sin_addr.s_addr) & ~(plen ? m : 0)) != 0)
			return EINVAL;
	}
	if ((rte->rt_flags & RTF_GATEWAY) && gw->sin_family != AF_INET)
		return EINVAL;
	if (devname != NULL && devname[0] != '\0' &&
	    (ifp = if_lookup(devname)) == NULL)
		return ENODEV;
	memset(&d, 0, sizeof(d));
	d.sin_family = AF_INET;
	d.sin_addr = dst->sin_addr;
	if (cmd == SIOCADDRT) {
		metric = rte->rt_metric > 0 ? rte->rt_metric - 1 : 0;
		error = rt_add((struct sockaddr *)&d, plen,
		    (rte->rt_flags & RTF_GATEWAY) ? (const struct sockaddr *)gw
		                                  : NULL,
		    ifp, NULL,
		    rte->rt_flags &
		        (RTF_REJECT | RTF_DYNAMIC | RTF_MODIFIED | RTF_MTU),
		    metric);
		if (error == 0 && (rte->rt_flags & RTF_MTU) && rte->rt_mtu) {
			struct rtentry *rt;

			/* The MTU is part of the entry: set it now. */
			rw_enter(&rt_lock, RW_WRITER);
			struct rtentry **pp;
			uint8_t key[4];

			memcpy(key, &d.sin_addr, 4);
			rt_mask_bytes(key, 4, plen, key);
			pp =
			    rt_find(&rt_inet, key, 4, plen, NULL, NULL, metric);
			rt = pp != NULL ? *pp : NULL;
			if (rt != NULL)
				rt->rt_mtu = (uint32_t)rte->rt_mtu;
			rw_exit(&rt_lock);
		}
	} else if (cmd == SIOCDELRT) {
		metric = rte->rt_metric > 0 ? rte->rt_metric - 1 : -1;
		error = rt_delete((struct sockaddr *)&d, plen,
		    (rte->rt_flags & RTF_GATEWAY) ? (const struct sockaddr *)gw
		                                  : NULL,
		    ifp, metric);
	} else {
		error = ENOTTY;
	}
	if (ifp != NULL)
		if_release(ifp);
	return error;
}

int
rt_ioctl(unsigned long cmd, void *uarg)
{
	struct linux_rtentry rte;
	char dev[IFNAMSIZ];
	int error;

	if ((error = copyin(uarg, &rte, sizeof(rte))) != 0)
		return error;
	dev[0] = '\0';
	if (rte.rt_dev != NULL) {
		error = copyinstr(rte.rt_dev, dev, sizeof(dev), NULL);
		if (error == ENAMETOOLONG)
			return ENODEV;
		if (error)
			return error;
	}
	return rt_ioctl_kern(cmd, &rte, dev);
}

/* /proc/net/route: the IPv4 routes in Linux's format. */
static void
rt_proc_one(struct rtentry *rt, void *arg)
{
	struct pfs_buf *b = arg;
	const struct sockaddr_in *d = (const void *)&rt->rt_dst;
	const struct sockaddr_in *m = (const void *)&rt->rt_mask;
	const struct sockaddr_in *g = (const void *)&rt->rt_gateway;
	char line[160];
	int flags = RTF_UP;

	if (rt->rt_flags & RTF_GATEWAY)
		flags |= RTF_GATEWAY;
	if (rt->rt_flags & RTF_HOST)
		flags |= RTF_HOST;
	if (rt->rt_flags & RTF_REJECT)
		flags |= RTF_REJECT;
	snprintf(line, sizeof(line),
	    "%s\t%08X\t%08X\t%04X\t%d\t%u\t%d\t%08X\t%d\t%u\t%u",
	    rt->rt_ifp != NULL ? rt->rt_ifp->if_xname : "*", d->sin_addr.s_addr,
	    (rt->rt_flags & RTF_GATEWAY) ? g->sin_addr.s_addr : 0, flags, 0, 0,
	    rt->rt_metric, m->sin_addr.s_addr, (int)rt->rt_mtu, 0, 0);
	pfs_printf(b, "%-127s\n", line);
}

static int
rt_proc_route(void *arg __unused, struct pfs_buf *b)
{
	pfs_printf(b, "%-127s\n",
	    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask"
	    "\t\tMTU\tWindow\tIRTT");
	rt_foreach(AF_INET, rt_proc_one, b);
	return 0;
}
