/*
 * if.c — network interfaces (net/if.h): the list of interfaces, their
 * references and addresses, cloners (if_create/if_destroy), the generic
 * interface ioctls, the network-layer demux used by lo0, and
 * /proc/net/dev.
 *
 * The list and every interface's address list are guarded by ifnet_lock
 * (an rwlock: lookups read, changes write).  An interface on the list
 * holds one reference of its own; lookups return it held.  if_detach
 * takes it off the list (no new references), lets the families and the
 * routing table drop what refers to it, and drops the list's reference;
 * the driver's if_free runs when the last holder lets go.
 *
 * Cloners are serialised by if_clone_lock, which is held across the
 * driver's ifc_create/ifc_destroy (they may sleep) and taken before
 * ifnet_lock.
 */
#include "net/net_impl.h"

#include "fs/procfs/procfs.h"

krwlock_t ifnet_lock;
static struct ifnet *ifnet_list; /* [L] in attach order */
static int if_nextindex = 1;     /* [L] */
static kmutex_t if_clone_lock;
static struct if_cloner *if_cloners; /* [C] if_clone_lock */
static const char *if_create_name;   /* [C] name being created */
static void (*if_af_inputs[AF_MAX])(struct ifnet *, struct mbuf *); /* [I] */
static void (*if_af_detaches[AF_MAX])(struct ifnet *);              /* [I] */

static int if_proc_dev(void *arg, struct pfs_buf *b);

RUMP_COMPONENT(RUMP_COMPONENT_KERN)
{
	rw_init(&ifnet_lock);
	mutex_init(&if_clone_lock, MUTEX_DEFAULT);
	LOCKINIT_DONE();
}

RUMP_COMPONENT(RUMP_COMPONENT_NET)
{
	(void)procfs_register("net/dev", if_proc_dev, NULL, NULL);
}

/* ------------------------------------------------------------- addresses */

void
ifa_hold(struct ifaddr *ifa)
{
	atomic_inc(&ifa->ifa_refcnt);
}

void
ifa_release(struct ifaddr *ifa)
{
	if (atomic_dec(&ifa->ifa_refcnt) == 0 && ifa->ifa_free != NULL)
		ifa->ifa_free(ifa);
}

void
ifa_insert(struct ifnet *ifp, struct ifaddr *ifa)
{
	struct ifaddr **pp;

	ifa_hold(ifa);
	rw_enter(&ifnet_lock, RW_WRITER);
	ifa->ifa_next = NULL;
	for (pp = &ifp->if_addrs; *pp != NULL; pp = &(*pp)->ifa_next)
		;
	*pp = ifa;
	rw_exit(&ifnet_lock);
}

void
ifa_remove(struct ifnet *ifp, struct ifaddr *ifa)
{
	struct ifaddr **pp;
	bool found = false;

	rw_enter(&ifnet_lock, RW_WRITER);
	for (pp = &ifp->if_addrs; *pp != NULL; pp = &(*pp)->ifa_next)
		if (*pp == ifa) {
			*pp = ifa->ifa_next;
			ifa->ifa_next = NULL;
			found = true;
			break;
		}
	rw_exit(&ifnet_lock);
	if (found)
		ifa_release(ifa);
}

struct ifaddr *
ifa_first(struct ifnet *ifp, int af)
{
	struct ifaddr *ifa;

	rw_enter(&ifnet_lock, RW_READER);
	for (ifa = ifp->if_addrs; ifa != NULL; ifa = ifa->ifa_next)
		if (ifa->ifa_addr.ss_family == af) {
			ifa_hold(ifa);
			break;
		}
	rw_exit(&ifnet_lock);
	return ifa;
}

/* ------------------------------------------------------------ interfaces */

void
if_hold(struct ifnet *ifp)
{
	atomic_inc(&ifp->if_refcnt);
}

void
if_release(struct ifnet *ifp)
{
	if (atomic_dec(&ifp->if_refcnt) != 0)
		return;
	KASSERT(ifp->if_detached);
	if (ifp->if_free != NULL)
		ifp->if_free(ifp);
}

/* The interface named name, or NULL.  Holds ifnet_lock. */
static struct ifnet *
if_find(const char *name)
{
	struct ifnet *ifp;

	KASSERT(rw_lock_held(&ifnet_lock));
	for (ifp = ifnet_list; ifp != NULL; ifp = ifp->if_next)
		if (strncmp(ifp->if_xname, name, IFNAMSIZ) == 0)
			return ifp;
	return NULL;
}

int
if_attach(struct ifnet *ifp)
{
	struct ifnet **pp;
	char param[32 + IFNAMSIZ], path[256];

	if (ifp->if_xname[0] == '\0') {
		if (if_create_name == NULL)
			return EINVAL;
		strlcpy(ifp->if_xname, if_create_name, IFNAMSIZ);
	}
	if (ifp->if_mtu == 0)
		ifp->if_mtu = ETHERMTU;
	rw_enter(&ifnet_lock, RW_WRITER);
	if (if_find(ifp->if_xname) != NULL) {
		rw_exit(&ifnet_lock);
		return EEXIST;
	}
	ifp->if_index = if_nextindex++;
	ifp->if_refcnt = 1;
	ifp->if_detached = false;
	ifp->if_next = NULL;
	for (pp = &ifnet_list; *pp != NULL; pp = &(*pp)->if_next)
		;
	*pp = ifp;
	rw_exit(&ifnet_lock);
	snprintf(param, sizeof(param), "RUMP_PCAP_%s", ifp->if_xname);
	if (kern_getparam(param, path, sizeof(path)) == 0 && path[0] != '\0')
		(void)if_pcap_open(ifp, path);
	aprint_verbose(
	    "%s: attached as interface %d\n", ifp->if_xname, ifp->if_index);
	return 0;
}

void
if_register_af_detach(int af, void (*fn)(struct ifnet *))
{
	KASSERT(af > 0 && af < AF_MAX);
	if_af_detaches[af] = fn;
}

void
if_detach(struct ifnet *ifp)
{
	struct ifnet **pp;
	struct ifaddr *ifa;

	if_down(ifp);
	rw_enter(&ifnet_lock, RW_WRITER);
	for (pp = &ifnet_list; *pp != NULL; pp = &(*pp)->if_next)
		if (*pp == ifp) {
			*pp = ifp->if_next;
			break;
		}
	ifp->if_detached = true;
	rw_exit(&ifnet_lock);
	/* The families let go of their addresses, then the routes go. */
	for (int af = 0; af < AF_MAX; af++)
		if (if_af_detaches[af] != NULL)
			if_af_detaches[af](ifp);
	rt_purge_ifp(ifp);
	for (;;) {
		rw_enter(&ifnet_lock, RW_WRITER);
		if ((ifa = ifp->if_addrs) != NULL) {
			ifp->if_addrs = ifa->ifa_next;
			ifa->ifa_next = NULL;
		}
		rw_exit(&ifnet_lock);
		if (ifa == NULL)
			break;
		rt_purge_ifa(ifa);
		ifa_release(ifa);
	}
	if_pcap_close(ifp);
	if_release(ifp);
}

struct ifnet *
if_lookup(const char *name)
{
	struct ifnet *ifp;

	rw_enter(&ifnet_lock, RW_READER);
	if ((ifp = if_find(name)) != NULL)
		if_hold(ifp);
	rw_exit(&ifnet_lock);
	return ifp;
}

struct ifnet *
if_byindex(int index)
{
	struct ifnet *ifp;

	rw_enter(&ifnet_lock, RW_READER);
	for (ifp = ifnet_list; ifp != NULL; ifp = ifp->if_next)
		if (ifp->if_index == index) {
			if_hold(ifp);
			break;
		}
	rw_exit(&ifnet_lock);
	return ifp;
}

int
if_up(struct ifnet *ifp)
{
	int error = 0;

	if (atomic_load_relaxed(&ifp->if_flags) & IFF_UP)
		return 0;
	if (ifp->if_detached)
		return ENXIO;
	if (ifp->if_init != NULL && (error = ifp->if_init(ifp)) != 0)
		return error;
	rw_enter(&ifnet_lock, RW_WRITER);
	atomic_store_relaxed(
	    &ifp->if_flags, ifp->if_flags | IFF_UP | IFF_RUNNING);
	rw_exit(&ifnet_lock);
	return 0;
}

void
if_down(struct ifnet *ifp)
{
	bool wasup;

	rw_enter(&ifnet_lock, RW_WRITER);
	wasup = (ifp->if_flags & IFF_UP) != 0;
	atomic_store_relaxed(
	    &ifp->if_flags, ifp->if_flags & ~(IFF_UP | IFF_RUNNING));
	rw_exit(&ifnet_lock);
	if (wasup && ifp->if_stop != NULL)
		ifp->if_stop(ifp);
}

void
if_foreach(void (*fn)(struct ifnet *, void *), void *arg)
{
	struct ifnet *ifp;

	rw_enter(&ifnet_lock, RW_READER);
	for (ifp = ifnet_list; ifp != NULL; ifp = ifp->if_next)
		fn(ifp, arg);
	rw_exit(&ifnet_lock);
}

void
if_register_af_input(int af, void (*input)(struct ifnet *, struct mbuf *))
{
	KASSERT(af > 0 && af < AF_MAX);
	if_af_inputs[af] = input;
}

void
if_af_input(int af, struct ifnet *ifp, struct mbuf *m)
{
	void (*fn)(struct ifnet *, struct mbuf *) = NULL;

	if (af > 0 && af < AF_MAX)
		fn = if_af_inputs[af];
	if (fn == NULL) {
		if_addstat(ifp, ifs_iqdrops, 1);
		m_freem(m);
		return;
	}
	fn(ifp, m);
}

/* --------------------------------------------------------------- cloners */

void
if_cloner_attach(struct if_cloner *ifc)
{
	mutex_enter(&if_clone_lock);
	ifc->ifc_next = if_cloners;
	if_cloners = ifc;
	mutex_exit(&if_clone_lock);
}

/*
 * Splits "shmif12" into its cloner (by prefix) and unit.  EINVAL for a
 * malformed name, ENXIO when no cloner has the prefix.  Holds
 * if_clone_lock.
 */
static int
if_clone_parse(const char *name, struct if_cloner **ifcp, int *unitp)
{
	size_t len = strnlen(name, IFNAMSIZ), plen;
	struct if_cloner *ifc;
	long unit = 0;

	KASSERT(mutex_owned(&if_clone_lock));
	if (len == 0 || len >= IFNAMSIZ)
		return EINVAL;
	for (plen = len;
	     plen > 0 && name[plen - 1] >= '0' && name[plen - 1] <= '9'; plen--)
		;
	if (plen == 0 || plen == len)
		return EINVAL;
	if (name[plen] == '0' && plen + 1 < len)
		return EINVAL; /* "shmif01" */
	for (size_t i = plen; i < len; i++) {
		unit = unit * 10 + (name[i] - '0');
		if (unit > 1000000)
			return EINVAL;
	}
	for (ifc = if_cloners; ifc != NULL; ifc = ifc->ifc_next)
		if (strlen(ifc->ifc_name) == plen &&
		    strncmp(ifc->ifc_name, name, plen) == 0)
			break;
	if (ifc == NULL)
		return ENXIO;
	*ifcp = ifc;
	*unitp = (int)unit;
	return 0;
}

int
if_create(const char *name, struct ifnet **ifpp)
{
	struct if_cloner *ifc;
	struct ifnet *ifp = NULL;
	int unit, error;

	mutex_enter(&if_clone_lock);
	if ((error = if_clone_parse(name, &ifc, &unit)) != 0)
		goto out;
	rw_enter(&ifnet_lock, RW_READER);
	if (if_find(name) != NULL)
		error = EEXIST;
	rw_exit(&ifnet_lock);
	if (error)
		goto out;
	if_create_name = name;
	error = ifc->ifc_create(ifc, unit, &ifp);
	if_create_name = NULL;
	if (error == 0 && ifpp != NULL)
		*ifpp = ifp;
out:
	mutex_exit(&if_clone_lock);
	return error;
}

int
if_destroy(const char *name)
{
	struct if_cloner *ifc;
	struct ifnet *ifp;
	int unit, error;

	mutex_enter(&if_clone_lock);
	if ((ifp = if_lookup(name)) == NULL) {
		error = ENXIO;
		goto out;
	}
	error = if_clone_parse(name, &ifc, &unit);
	if (error == 0 && ifc->ifc_destroy == NULL)
		error = EOPNOTSUPP;
	if (error) {
		if (error == ENXIO)
			error = EOPNOTSUPP; /* not made by a cloner (lo0) */
		if_release(ifp);
		goto out;
	}
	if_release(ifp); /* the driver's destroy detaches it */
	error = ifc->ifc_destroy(ifp);
out:
	mutex_exit(&if_clone_lock);
	return error;
}

/* ----------------------------------------------------------------- ioctls */

int
if_set_linkstr(struct ifnet *ifp, const char *str, size_t len)
{
	struct if_linkstr ls = {str, len};

	if (ifp->if_ioctl == NULL)
		return ENOTTY;
	return ifp->if_ioctl(ifp, SIOCSIFLINKSTR, &ls);
}

/* The first address of family af of ifp as a sockaddr, per cmd. */
static int
if_getaddr(struct ifnet *ifp, unsigned long cmd, struct sockaddr *sa)
{
	struct ifaddr *ifa;
	const struct sockaddr_storage *ss;

	if ((ifa = ifa_first(ifp, AF_INET)) == NULL)
		return EADDRNOTAVAIL;
	rw_enter(&ifnet_lock, RW_READER);
	switch (cmd) {
	case SIOCGIFNETMASK:
		ss = &ifa->ifa_netmask;
		break;
	case SIOCGIFBRDADDR:
	case SIOCGIFDSTADDR:
		ss = &ifa->ifa_broadaddr;
		break;
	default:
		ss = &ifa->ifa_addr;
		break;
	}
	memcpy(sa, ss, sizeof(*sa));
	sa->sa_family = AF_INET;
	rw_exit(&ifnet_lock);
	ifa_release(ifa);
	return 0;
}

/* The ifioctls on a kernel struct ifreq (not SIOCGIFCONF). */
int
ifioctl_kern(unsigned long cmd, struct ifreq *ifr)
{
	struct ifnet *ifp;
	int error = 0, flags, mtu;

	ifr->ifr_name[IFNAMSIZ - 1] = '\0';
	switch (cmd) {
	case SIOCIFCREATE:
		return if_create(ifr->ifr_name, NULL);
	case SIOCIFDESTROY:
		return if_destroy(ifr->ifr_name);
	case SIOCGIFNAME:
		if ((ifp = if_byindex(ifr->ifr_ifindex)) == NULL)
			return ENODEV;
		strlcpy(ifr->ifr_name, ifp->if_xname, IFNAMSIZ);
		if_release(ifp);
		return 0;
	}
	if ((ifp = if_lookup(ifr->ifr_name)) == NULL)
		return ENODEV;
	switch (cmd) {
	case SIOCGIFFLAGS:
		ifr->ifr_flags = (short)atomic_load_relaxed(&ifp->if_flags);
		break;
	case SIOCSIFFLAGS:
		flags = (unsigned short)ifr->ifr_flags;
		if ((flags & IFF_UP) && !(ifp->if_flags & IFF_UP))
			error = if_up(ifp);
		else if (!(flags & IFF_UP) && (ifp->if_flags & IFF_UP))
			if_down(ifp);
		if (error == 0) {
			int mask = IFF_DEBUG | IFF_NOTRAILERS | IFF_NOARP |
			    IFF_PROMISC | IFF_ALLMULTI;

			rw_enter(&ifnet_lock, RW_WRITER);
			atomic_store_relaxed(&ifp->if_flags,
			    (ifp->if_flags & ~mask) | (flags & mask));
			rw_exit(&ifnet_lock);
			if (ifp->if_ioctl != NULL)
				(void)ifp->if_ioctl(ifp, SIOCSIFFLAGS, ifr);
		}
		break;
	case SIOCGIFMTU:
		ifr->ifr_mtu = atomic_load_relaxed(&ifp->if_mtu);
		break;
	case SIOCSIFMTU:
		mtu = ifr->ifr_mtu;
		error = ENOTTY;
		if (ifp->if_ioctl != NULL)
			error = ifp->if_ioctl(ifp, SIOCSIFMTU, ifr);
		if (error == ENOTTY)
			error = mtu < 68 || mtu > 65536 ? EINVAL : 0;
		if (error == 0) {
			rw_enter(&ifnet_lock, RW_WRITER);
			atomic_store_relaxed(&ifp->if_mtu, mtu);
			rw_exit(&ifnet_lock);
			atomic_inc(&rt_generation);
		}
		break;
	case SIOCGIFHWADDR:
		memset(&ifr->ifr_hwaddr, 0, sizeof(ifr->ifr_hwaddr));
		ifr->ifr_hwaddr.sa_family = (sa_family_t)ifp->if_type;
		rw_enter(&ifnet_lock, RW_READER);
		memcpy(ifr->ifr_hwaddr.sa_data, ifp->if_hwaddr,
		    (size_t)MIN(ifp->if_addrlen, 6));
		rw_exit(&ifnet_lock);
		break;
	case SIOCSIFHWADDR:
		if (ifp->if_type != ARPHRD_ETHER) {
			error = EOPNOTSUPP;
			break;
		}
		if (ifr->ifr_hwaddr.sa_family != ARPHRD_ETHER ||
		    (ifr->ifr_hwaddr.sa_data[0] & 1)) {
			error = EINVAL;
			break;
		}
		rw_enter(&ifnet_lock, RW_WRITER);
		memcpy(ifp->if_hwaddr, ifr->ifr_hwaddr.sa_data, 6);
		rw_exit(&ifnet_lock);
		break;
	case SIOCGIFINDEX:
		ifr->ifr_ifindex = ifp->if_index;
		break;
	case SIOCGIFMETRIC:
		ifr->ifr_metric = 0;
		break;
	case SIOCSIFMETRIC:
		break;
	case SIOCGIFADDR:
	case SIOCGIFNETMASK:
	case SIOCGIFBRDADDR:
	case SIOCGIFDSTADDR:
		error = if_getaddr(ifp, cmd, &ifr->ifr_addr);
		break;
	default:
		error = ENOTTY;
		break;
	}
	if_release(ifp);
	return error;
}

struct ifconf_ctx {
	struct ifreq *buf; /* kernel, or NULL: count only */
	int max, n;
};

static void
ifconf_one(struct ifnet *ifp, void *arg)
{
	struct ifconf_ctx *c = arg;
	struct ifaddr *ifa;

	for (ifa = ifp->if_addrs; ifa != NULL; ifa = ifa->ifa_next) {
		if (ifa->ifa_addr.ss_family != AF_INET)
			continue;
		if (c->buf != NULL) {
			struct ifreq *r;

			if (c->n >= c->max)
				return;
			r = &c->buf[c->n];
			memset(r, 0, sizeof(*r));
			strlcpy(r->ifr_name, ifp->if_xname, IFNAMSIZ);
			memcpy(
			    &r->ifr_addr, &ifa->ifa_addr, sizeof(r->ifr_addr));
		}
		c->n++;
	}
}

static int
ifconf(void *uarg)
{
	struct ifconf ifc;
	struct ifconf_ctx c = {NULL, 0, 0};
	int error;

	if ((error = copyin(uarg, &ifc, sizeof(ifc))) != 0)
		return error;
	if (ifc.ifc_ifcu.ifcu_buf == NULL) {
		if_foreach(ifconf_one, &c);
		ifc.ifc_len = c.n * (int)sizeof(struct ifreq);
		return copyout(&ifc, uarg, sizeof(ifc));
	}
	if (ifc.ifc_len < 0)
		return EINVAL;
	c.max = MIN(ifc.ifc_len / (int)sizeof(struct ifreq), 1024);
	if (c.max > 0 &&
	    (c.buf = kmem_zalloc(
	         sizeof(struct ifreq) * (size_t)c.max, KM_SLEEP)) == NULL)
		return ENOMEM;
	if (c.max > 0)
		if_foreach(ifconf_one, &c);
	c.n = MIN(c.n, c.max);
	if (c.n > 0)
		error = copyout(c.buf, ifc.ifc_ifcu.ifcu_buf,
		    sizeof(struct ifreq) * (size_t)c.n);
	if (c.buf != NULL)
		kmem_free(c.buf, sizeof(struct ifreq) * (size_t)c.max);
	if (error)
		return error;
	ifc.ifc_len = c.n * (int)sizeof(struct ifreq);
	return copyout(&ifc, uarg, sizeof(ifc));
}

/* The link-string ioctls, whose ifr_data points to a struct if_linkstr. */
static int
if_linkstr_ioctl(unsigned long cmd, struct ifreq *ifr)
{
	struct if_linkstr uls, kls;
	struct ifnet *ifp;
	char *buf = NULL;
	int error;

	if ((error = copyin(ifr->ifr_data, &uls, sizeof(uls))) != 0)
		return error;
	if ((ifp = if_lookup(ifr->ifr_name)) == NULL)
		return ENODEV;
	if (ifp->if_ioctl == NULL) {
		error = ENOTTY;
		goto out;
	}
	if (cmd == SIOCSIFLINKSTR) {
		if (uls.ls_str == NULL) {
			error = if_set_linkstr(ifp, NULL, 0);
			goto out;
		}
		if (uls.ls_len > 4095) {
			error = EINVAL;
			goto out;
		}
		if ((buf = kmem_alloc(uls.ls_len + 1, KM_SLEEP)) == NULL) {
			error = ENOMEM;
			goto out;
		}
		if ((error = copyin(uls.ls_str, buf, uls.ls_len)) != 0)
			goto out;
		buf[uls.ls_len] = '\0';
		if (strlen(buf) != uls.ls_len) {
			error = EINVAL;
			goto out;
		}
		error = if_set_linkstr(ifp, buf, uls.ls_len);
		goto out;
	}
	/* SIOCGIFLINKSTR: the driver fills a buffer of 4096 bytes. */
	if ((buf = kmem_zalloc(4096 + 1, KM_SLEEP)) == NULL) {
		error = ENOMEM;
		goto out;
	}
	kls.ls_str = buf;
	kls.ls_len = 4096;
	if ((error = ifp->if_ioctl(ifp, SIOCGIFLINKSTR, &kls)) != 0)
		goto out;
	kls.ls_len = strnlen(buf, 4096);
	if (uls.ls_str != NULL && uls.ls_len > 0) {
		size_t n = MIN(uls.ls_len, kls.ls_len + 1);

		error = copyout(buf, (void *)(uintptr_t)uls.ls_str, n);
	}
	uls.ls_len = kls.ls_len;
	if (error == 0)
		error = copyout(&uls, ifr->ifr_data, sizeof(uls));
out:
	if (buf != NULL)
		kmem_free(buf, cmd == SIOCSIFLINKSTR ? uls.ls_len + 1 : 4097);
	if_release(ifp);
	return error;
}

static bool
ifioctl_known(unsigned long cmd)
{
	switch (cmd) {
	case SIOCIFCREATE:
	case SIOCIFDESTROY:
	case SIOCGIFNAME:
	case SIOCGIFFLAGS:
	case SIOCSIFFLAGS:
	case SIOCGIFMTU:
	case SIOCSIFMTU:
	case SIOCGIFHWADDR:
	case SIOCSIFHWADDR:
	case SIOCGIFINDEX:
	case SIOCGIFMETRIC:
	case SIOCSIFMETRIC:
	case SIOCGIFADDR:
	case SIOCGIFNETMASK:
	case SIOCGIFBRDADDR:
	case SIOCGIFDSTADDR:
		return true;
	default:
		return false;
	}
}

int
ifioctl(unsigned long cmd, void *uarg)
{
	struct ifreq ifr;
	int error;

	if (cmd == SIOCGIFCONF)
		return ifconf(uarg);
	if (cmd != SIOCSIFLINKSTR && cmd != SIOCGIFLINKSTR &&
	    !ifioctl_known(cmd))
		return ENOTTY;
	if ((error = copyin(uarg, &ifr, sizeof(ifr))) != 0)
		return error;
	ifr.ifr_name[IFNAMSIZ - 1] = '\0';
	if (cmd == SIOCSIFLINKSTR || cmd == SIOCGIFLINKSTR)
		return if_linkstr_ioctl(cmd, &ifr);
	if ((error = ifioctl_kern(cmd, &ifr)) != 0)
		return error;
	switch (cmd) {
	case SIOCGIFNAME:
	case SIOCGIFFLAGS:
	case SIOCGIFMTU:
	case SIOCGIFHWADDR:
	case SIOCGIFINDEX:
	case SIOCGIFMETRIC:
	case SIOCGIFADDR:
	case SIOCGIFNETMASK:
	case SIOCGIFBRDADDR:
	case SIOCGIFDSTADDR:
		return copyout(&ifr, uarg, sizeof(ifr));
	default:
		return 0;
	}
}

/* -------------------------------------------------------------- /proc/net */

static void
if_proc_dev_one(struct ifnet *ifp, void *arg)
{
	struct pfs_buf *b = arg;
	struct if_stats st, *s = &st;

	/* The counters are atomic ([a]); a snapshot of them. */
	for (size_t i = 0; i < sizeof(st) / sizeof(uint64_t); i++)
		((uint64_t *)&st)[i] = __atomic_load_n(
		    &((const uint64_t *)&ifp->if_stats)[i], __ATOMIC_RELAXED);
	pfs_printf(b,
	    "%6s: %7llu %7llu %4llu %4llu %4llu %5llu %10llu %9llu "
	    "%8llu %7llu %4llu %4llu %4llu %5llu %7llu %10llu\n",
	    ifp->if_xname, (unsigned long long)s->ifs_ibytes,
	    (unsigned long long)s->ifs_ipackets,
	    (unsigned long long)s->ifs_ierrors,
	    (unsigned long long)s->ifs_iqdrops, 0ULL, 0ULL, 0ULL,
	    (unsigned long long)s->ifs_imcasts,
	    (unsigned long long)s->ifs_obytes,
	    (unsigned long long)s->ifs_opackets,
	    (unsigned long long)s->ifs_oerrors,
	    (unsigned long long)s->ifs_oqdrops, 0ULL,
	    (unsigned long long)s->ifs_collisions, 0ULL, 0ULL);
}

static int
if_proc_dev(void *arg __unused, struct pfs_buf *b)
{
	pfs_printf(b,
	    "Inter-|   Receive                            "
	    "                    |  Transmit\n"
	    " face |bytes    packets errs drop fifo frame "
	    "compressed multicast|bytes    packets errs "
	    "drop fifo colls carrier compressed\n");
	if_foreach(if_proc_dev_one, b);
	return 0;
}
