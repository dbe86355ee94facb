/*
 * in.c — IPv4 addresses of interfaces: adding and removing them with
 * their connected routes, the questions input and output ask about them
 * (is this address ours? a broadcast of that interface?), the SIOC*
 * address ioctls with Linux's semantics, and 127.0.0.1/8 on lo0 at boot.
 *
 * Every address is an in_ifaddr: on its interface's list (ifa_insert,
 * which holds a reference), on netinet's list of all addresses and in a
 * hash by address (each of ours holding one more reference), and the
 * source address of its connected route (held by the route).
 *
 * Locks: in_cfg_lock (adaptive) serializes configuration: adding,
 * removing and changing addresses, with their routes; under it,
 * in_ifaddr_lock (rwlock) guards the hash, the list and the mutable
 * fields of in_ifaddr (netmask, subnet, broadcast, plen).  Packet paths
 * take in_ifaddr_lock as readers only, briefly.  Order: in_cfg_lock →
 * (ifnet_lock | rt_lock | in_ifaddr_lock), never two of the latter.
 */
#include "netinet/ip_var.h"

#define IA_HASHSIZE 64

krwlock_t in_ifaddr_lock;
static kmutex_t in_cfg_lock;
static struct in_ifaddr *in_ifaddr_hash[IA_HASHSIZE]; /* [in_ifaddr_lock] */
static struct in_ifaddr *in_ifaddr_list;              /* [in_ifaddr_lock] */

uint64_t *in_stats;
size_t in_stats_stride;

static inline unsigned
ia_hash(in_addr_t addr)
{
	uint32_t h = ntohl(addr);

	return (h ^ (h >> 8) ^ (h >> 16)) & (IA_HASHSIZE - 1);
}

static inline bool
ia_usable(const struct in_ifaddr *ia)
{
	return !atomic_load_relaxed(&ia->ia_ifa.ifa_ifp->if_detached);
}

uint64_t
in_stat_get(enum in_stat s)
{
	uint64_t sum = 0;

	if (in_stats == NULL)
		return 0;
	for (int i = 0; i < ncpu; i++)
		sum += atomic_load_relaxed((uint64_t *)((char *)in_stats +
		                               (size_t)i * in_stats_stride) +
		    s);
	return sum;
}

in_addr_t
in_len2mask(int plen)
{
	if (plen <= 0)
		return 0;
	if (plen >= 32)
		return 0xffffffff;
	return htonl(~((1u << (32 - plen)) - 1));
}

int
in_mask2len(in_addr_t mask)
{
	uint32_t m = ntohl(mask);
	int plen = 0;

	/* (no __builtin_popcount: it may call libgcc) */
	for (uint32_t b = m; b != 0; b &= b - 1)
		plen++;

	return m == ntohl(in_len2mask(plen)) ? plen : -1;
}

bool
in_aton(const char *s, in_addr_t *addrp)
{
	uint32_t a = 0;
	int parts = 0;

	for (;;) {
		uint32_t v = 0;
		int digits = 0;

		while (*s >= '0' && *s <= '9') {
			v = v * 10 + (uint32_t)(*s++ - '0');
			if (++digits > 3 || v > 255)
				return false;
		}
		if (digits == 0)
			return false;
		a = a << 8 | v;
		parts++;
		if (*s == '\0')
			break;
		if (*s++ != '.' || parts == 4)
			return false;
	}
	if (parts != 4)
		return false;
	*addrp = htonl(a);
	return true;
}

struct in_ifaddr *
in_ifaddr_lookup(in_addr_t addr)
{
	struct in_ifaddr *ia;

	rw_enter(&in_ifaddr_lock, RW_READER);
	for (ia = in_ifaddr_hash[ia_hash(addr)]; ia != NULL; ia = ia->ia_hnext)
		if (ia->ia_addr == addr && ia_usable(ia)) {
			ifa_hold(&ia->ia_ifa);
			break;
		}
	rw_exit(&in_ifaddr_lock);
	return ia;
}

bool
in_ifaddr_islocal(in_addr_t addr)
{
	struct in_ifaddr *ia;
	bool found = false;

	rw_enter(&in_ifaddr_lock, RW_READER);
	for (ia = in_ifaddr_hash[ia_hash(addr)]; ia != NULL; ia = ia->ia_hnext)
		if (ia->ia_addr == addr && ia_usable(ia)) {
			found = true;
			break;
		}
	rw_exit(&in_ifaddr_lock);
	return found;
}

struct in_ifaddr *
in_ifaddr_first(struct ifnet *ifp)
{
	struct in_ifaddr *ia;

	rw_enter(&in_ifaddr_lock, RW_READER);
	for (ia = in_ifaddr_list; ia != NULL; ia = ia->ia_next)
		if (ia->ia_ifa.ifa_ifp == ifp) {
			ifa_hold(&ia->ia_ifa);
			break;
		}
	rw_exit(&in_ifaddr_lock);
	return ia;
}

struct in_ifaddr *
in_ifaddr_onlink(in_addr_t addr)
{
	struct in_ifaddr *ia;

	rw_enter(&in_ifaddr_lock, RW_READER);
	for (ia = in_ifaddr_list; ia != NULL; ia = ia->ia_next)
		if ((addr & ia->ia_netmask) == ia->ia_subnet && ia_usable(ia) &&
		    (ia->ia_ifa.ifa_ifp->if_flags & IFF_UP)) {
			ifa_hold(&ia->ia_ifa);
			break;
		}
	rw_exit(&in_ifaddr_lock);
	return ia;
}

void
in_ifaddr_foreach(void (*fn)(struct in_ifaddr *, void *), void *arg)
{
	struct in_ifaddr *ia;

	rw_enter(&in_ifaddr_lock, RW_READER);
	for (ia = in_ifaddr_list; ia != NULL; ia = ia->ia_next)
		if (ia_usable(ia))
			fn(ia, arg);
	rw_exit(&in_ifaddr_lock);
}

bool
in_broadcast(in_addr_t addr, struct ifnet *ifp)
{
	struct in_ifaddr *ia;
	bool bcast = false;

	if (addr == INADDR_BROADCAST || addr == INADDR_ANY)
		return true;
	if (IN_MULTICAST(addr))
		return false;
	rw_enter(&in_ifaddr_lock, RW_READER);
	for (ia = in_ifaddr_list; ia != NULL; ia = ia->ia_next) {
		if (ifp != NULL && ia->ia_ifa.ifa_ifp != ifp)
			continue;
		if (!(ia->ia_ifa.ifa_ifp->if_flags & IFF_BROADCAST))
			continue;
		/* The subnet's broadcast, and the old all-zeros host part. */
		if ((ia->ia_broadcast != 0 && addr == ia->ia_broadcast) ||
		    (ia->ia_plen < 31 &&
		        (addr == (ia->ia_subnet | ~ia->ia_netmask) ||
		            addr == ia->ia_subnet))) {
			bcast = true;
			break;
		}
	}
	rw_exit(&in_ifaddr_lock);
	return bcast;
}

static void
in_ifaddr_free(struct ifaddr *ifa)
{
	struct in_ifaddr *ia = container_of(ifa, struct in_ifaddr, ia_ifa);

	if_release(ifa->ifa_ifp);
	kmem_free(ia, sizeof(*ia));
}

static void
sin_fill(struct sockaddr_storage *ss, in_addr_t addr)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = addr;
}

/* Sets the mask-dependent fields of ia; in_ifaddr_lock writer, and
 * ifnet_lock writer for ifa_netmask/ifa_broadaddr. */
static void
ia_setmask(struct in_ifaddr *ia, int plen, in_addr_t bcast)
{
	ia->ia_plen = plen;
	ia->ia_netmask = in_len2mask(plen);
	ia->ia_subnet = ia->ia_addr & ia->ia_netmask;
	ia->ia_broadcast = bcast;
	sin_fill(&ia->ia_ifa.ifa_netmask, ia->ia_netmask);
	sin_fill(&ia->ia_ifa.ifa_broadaddr, bcast);
}

static in_addr_t
ia_default_bcast(struct ifnet *ifp, in_addr_t addr, int plen)
{
	if ((ifp->if_flags & IFF_BROADCAST) && plen < 31)
		return addr | ~in_len2mask(plen);
	return 0;
}

/* Adds the connected route of ia (in_cfg_lock held).  A route to the same
 * network through another interface is left alone (EEXIST). */
static void
ia_addroute(struct in_ifaddr *ia)
{
	struct sockaddr_in dst;
	int error;

	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	dst.sin_addr.s_addr = ia->ia_subnet;
	error = rt_add((struct sockaddr *)&dst, ia->ia_plen, NULL,
	    ia->ia_ifa.ifa_ifp, &ia->ia_ifa, RTF_UP, 0);
	if (error != 0 && error != EEXIST)
		printf("netinet: no connected route for %s: error %d\n",
		    ia->ia_ifa.ifa_ifp->if_xname, error);
}

/* The address addr of ifp (in_cfg_lock held), not held. */
static struct in_ifaddr *
ia_find(struct ifnet *ifp, in_addr_t addr)
{
	struct in_ifaddr *ia;

	KASSERT(mutex_owned(&in_cfg_lock));
	for (ia = in_ifaddr_list; ia != NULL; ia = ia->ia_next)
		if (ia->ia_ifa.ifa_ifp == ifp &&
		    (addr == INADDR_ANY || ia->ia_addr == addr))
			return ia;
	return NULL;
}

static int
in_addr_add_locked(struct ifnet *ifp, in_addr_t addr, int plen, in_addr_t bcast)
{
	struct in_ifaddr *ia, **iap;
	unsigned h;

	KASSERT(mutex_owned(&in_cfg_lock));
	if (plen < 0 || plen > 32 || addr == INADDR_ANY ||
	    addr == INADDR_BROADCAST || IN_MULTICAST(addr) || IN_BADCLASS(addr))
		return EINVAL;
	if (ifp->if_detached)
		return ENXIO;
	if (bcast == INADDR_ANY)
		bcast = ia_default_bcast(ifp, addr, plen);
	ia = ia_find(ifp, addr);
	if (ia != NULL) {
		/* The same address again: a new prefix (ip addr replace). */
		if (ia->ia_plen == plen && ia->ia_broadcast == bcast)
			return EEXIST;
		rt_purge_ifa(&ia->ia_ifa);
		rw_enter(&ifnet_lock, RW_WRITER);
		rw_enter(&in_ifaddr_lock, RW_WRITER);
		ia_setmask(ia, plen, bcast);
		rw_exit(&in_ifaddr_lock);
		rw_exit(&ifnet_lock);
		ia_addroute(ia);
		return 0;
	}
	ia = kmem_zalloc(sizeof(*ia), KM_SLEEP);
	if (ia == NULL)
		return ENOBUFS;
	if_hold(ifp);
	ia->ia_ifa.ifa_ifp = ifp;
	ia->ia_ifa.ifa_refcnt = 1; /* netinet's lists */
	ia->ia_ifa.ifa_free = in_ifaddr_free;
	ia->ia_addr = addr;
	sin_fill(&ia->ia_ifa.ifa_addr, addr);
	ia_setmask(ia, plen, bcast);
	ifa_insert(ifp, &ia->ia_ifa);
	rw_enter(&in_ifaddr_lock, RW_WRITER);
	h = ia_hash(addr);
	ia->ia_hnext = in_ifaddr_hash[h];
	in_ifaddr_hash[h] = ia;
	for (iap = &in_ifaddr_list; *iap != NULL; iap = &(*iap)->ia_next)
		continue;
	*iap = ia;
	rw_exit(&in_ifaddr_lock);
	ia_addroute(ia);
	arp_ifaddr_added(ia);
	return 0;
}

int
in_addr_add(struct ifnet *ifp, in_addr_t addr, int plen)
{
	int error;

	mutex_enter(&in_cfg_lock);
	error = in_addr_add_locked(ifp, addr, plen, INADDR_ANY);
	mutex_exit(&in_cfg_lock);
	return error;
}

static void
ia_unlink(struct in_ifaddr *ia)
{
	struct in_ifaddr **iap;

	rw_enter(&in_ifaddr_lock, RW_WRITER);
	for (iap = &in_ifaddr_hash[ia_hash(ia->ia_addr)]; *iap != ia;
	     iap = &(*iap)->ia_hnext)
		KASSERT(*iap != NULL);
	*iap = ia->ia_hnext;
	for (iap = &in_ifaddr_list; *iap != ia; iap = &(*iap)->ia_next)
		KASSERT(*iap != NULL);
	*iap = ia->ia_next;
	rw_exit(&in_ifaddr_lock);
}

static void
in_addr_delete_ia(struct in_ifaddr *ia)
{
	struct ifnet *ifp = ia->ia_ifa.ifa_ifp;
	struct in_ifaddr *other;

	KASSERT(mutex_owned(&in_cfg_lock));
	ia_unlink(ia);
	rt_purge_ifa(&ia->ia_ifa);
	ifa_remove(ifp, &ia->ia_ifa);
	other = in_ifaddr_first(ifp);
	if (other == NULL)
		arp_purge_ifp(ifp); /* nothing left to answer ARP for */
	else
		ifa_release(&other->ia_ifa);
	ifa_release(&ia->ia_ifa);
}

int
in_addr_delete(struct ifnet *ifp, in_addr_t addr)
{
	struct in_ifaddr *ia;
	int error = 0;

	mutex_enter(&in_cfg_lock);
	ia = ia_find(ifp, addr);
	if (ia == NULL || addr == INADDR_ANY)
		error = EADDRNOTAVAIL;
	else
		in_addr_delete_ia(ia);
	mutex_exit(&in_cfg_lock);
	return error;
}

/* Forgets the addresses of interfaces that went away (in_cfg_lock). */
static void
in_purge_detached(void)
{
	struct in_ifaddr *ia;

	KASSERT(mutex_owned(&in_cfg_lock));
again:
	for (ia = in_ifaddr_list; ia != NULL; ia = ia->ia_next)
		if (ia->ia_ifa.ifa_ifp->if_detached) {
			in_addr_delete_ia(ia);
			goto again;
		}
}

/* The interface is going away (if_detach, through if_register_af_detach):
 * its addresses, their routes and its ARP entries go first. */
static void
in_ifdetach(struct ifnet *ifp)
{
	struct in_ifaddr *ia;

	mutex_enter(&in_cfg_lock);
	while ((ia = ia_find(ifp, INADDR_ANY)) != NULL)
		in_addr_delete_ia(ia);
	mutex_exit(&in_cfg_lock);
	arp_purge_ifp(ifp);
}

/* ---------------------------------------------------------- the ioctls */

/* Linux's inet_abc_len: the classful prefix of addr, -1 if none. */
static int
in_classful_len(in_addr_t addr)
{
	uint32_t a = ntohl(addr);

	if (addr == INADDR_ANY)
		return 0;
	if ((a & 0x80000000) == 0)
		return 8;
	if ((a & 0xc0000000) == 0x80000000)
		return 16;
	if ((a & 0xe0000000) == 0xc0000000)
		return 24;
	return -1;
}

static int
ifreq_sin(const struct ifreq *ifr, in_addr_t *addrp)
{
	struct sockaddr_in sin;

	memcpy(&sin, &ifr->ifr_addr, sizeof(sin));
	if (sin.sin_family != AF_INET)
		return EINVAL;
	*addrp = sin.sin_addr.s_addr;
	return 0;
}

static void
ifreq_setsin(struct ifreq *ifr, in_addr_t addr)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = addr;
	memcpy(&ifr->ifr_addr, &sin, sizeof(sin));
}

int
in_control(struct socket *so __unused, unsigned long cmd, void *uarg)
{
	struct ifreq ifr;
	struct ifnet *ifp;
	struct in_ifaddr *ia;
	in_addr_t addr = INADDR_ANY;
	bool out = false;
	int error, plen;

	switch (cmd) {
	case SIOCGIFADDR:
	case SIOCSIFADDR:
	case SIOCGIFNETMASK:
	case SIOCSIFNETMASK:
	case SIOCGIFBRDADDR:
	case SIOCSIFBRDADDR:
	case SIOCGIFDSTADDR:
	case SIOCDIFADDR:
		break;
	default:
		return ENOTTY;
	}
	if ((error = copyin(uarg, &ifr, sizeof(ifr))) != 0)
		return error;
	ifr.ifr_name[IFNAMSIZ - 1] = '\0';
	ifp = if_lookup(ifr.ifr_name);
	if (ifp == NULL)
		return ENODEV;
	mutex_enter(&in_cfg_lock);
	in_purge_detached();
	ia = ia_find(ifp, INADDR_ANY); /* the primary address */
	switch (cmd) {
	case SIOCGIFADDR:
	case SIOCGIFDSTADDR:
	case SIOCGIFNETMASK:
	case SIOCGIFBRDADDR:
		if (ia == NULL) {
			error = EADDRNOTAVAIL;
			break;
		}
		memset(&ifr.ifr_ifru, 0, sizeof(ifr.ifr_ifru));
		ifreq_setsin(&ifr,
		    cmd == SIOCGIFNETMASK       ? ia->ia_netmask
		        : cmd == SIOCGIFBRDADDR ? ia->ia_broadcast
		                                : ia->ia_addr);
		out = true;
		break;
	case SIOCSIFADDR:
		if ((error = ifreq_sin(&ifr, &addr)) != 0)
			break;
		plen = in_classful_len(addr);
		if (plen < 0) {
			error = EINVAL;
			break;
		}
		if (ia != NULL) {
			if (ia->ia_addr == addr)
				break;
			in_addr_delete_ia(ia);
		}
		if (addr == INADDR_ANY) /* Linux: setting 0.0.0.0 deletes */
			break;
		if (ifp->if_flags & IFF_POINTOPOINT)
			plen = 32;
		error = in_addr_add_locked(ifp, addr, plen, INADDR_ANY);
		break;
	case SIOCSIFNETMASK: {
		in_addr_t bcast;

		if (ia == NULL) {
			error = EADDRNOTAVAIL;
			break;
		}
		if ((error = ifreq_sin(&ifr, &addr)) != 0)
			break;
		plen = in_mask2len(addr);
		if (plen < 0) {
			error = EINVAL;
			break;
		}
		if (plen == ia->ia_plen)
			break;
		/* A broadcast address the user set stays; the default one
		 * follows the mask. */
		bcast = ia->ia_broadcast;
		if (bcast == ia_default_bcast(ifp, ia->ia_addr, ia->ia_plen))
			bcast = ia_default_bcast(ifp, ia->ia_addr, plen);
		rt_purge_ifa(&ia->ia_ifa);
		rw_enter(&ifnet_lock, RW_WRITER);
		rw_enter(&in_ifaddr_lock, RW_WRITER);
		ia_setmask(ia, plen, bcast);
		rw_exit(&in_ifaddr_lock);
		rw_exit(&ifnet_lock);
		ia_addroute(ia);
		break;
	}
	case SIOCSIFBRDADDR:
		if (ia == NULL) {
			error = EADDRNOTAVAIL;
			break;
		}
		if ((error = ifreq_sin(&ifr, &addr)) != 0)
			break;
		rw_enter(&ifnet_lock, RW_WRITER);
		rw_enter(&in_ifaddr_lock, RW_WRITER);
		ia_setmask(ia, ia->ia_plen, addr);
		rw_exit(&in_ifaddr_lock);
		rw_exit(&ifnet_lock);
		break;
	case SIOCDIFADDR:
		if ((error = ifreq_sin(&ifr, &addr)) != 0)
			break;
		if (addr != INADDR_ANY)
			ia = ia_find(ifp, addr);
		if (ia == NULL) {
			error = EADDRNOTAVAIL;
			break;
		}
		in_addr_delete_ia(ia);
		break;
	}
	mutex_exit(&in_cfg_lock);
	if_release(ifp);
	if (error == 0 && out)
		error = copyout(&ifr, uarg, sizeof(ifr));
	return error;
}

/* ------------------------------------------------------------ boot */

RUMP_COMPONENT(RUMP_COMPONENT_NET)
{
	size_t sz = IN_NSTATS * sizeof(uint64_t);

	rw_init(&in_ifaddr_lock);
	mutex_init(&in_cfg_lock, MUTEX_DEFAULT);
	in_stats_stride = kmem_percpu_stride(sz);
	in_stats = kmem_percpu_zalloc(sz, KM_SLEEP);
	if_register_af_detach(AF_INET, in_ifdetach);
}

RUMP_COMPONENT(RUMP_COMPONENT_NET_IFCFG)
{
	int error;

	if (lo0_ifp == NULL)
		return;
	error = in_addr_add(lo0_ifp, htonl(INADDR_LOOPBACK), 8);
	if (error)
		printf("netinet: 127.0.0.1/8 on lo0: error %d\n", error);
}
