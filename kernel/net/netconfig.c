/*
 * netconfig.c — rump_pub_netconfig_* (include/rump/netconfig.h) for
 * interfaces: create, destroy, up, down, link string, MTU and packet
 * capture.  Each takes a virtual CPU for the calling thread like the
 * other rump_pub_* entry points and works on kernel copies (the strings
 * are the caller's, in the kernel's address space).  The IPv4 calls live
 * in netinet, rump_pub_shmif_create in the shmif driver.
 */
#include "net/net_impl.h"

#include "rump/netconfig.h"

/* Runs fn(ifp, arg) on the interface named ifname, inside the kernel. */
static int
nc_with_if(const char *ifname, int (*fn)(struct ifnet *, const void *),
    const void *arg)
{
	struct lwp *l;
	struct ifnet *ifp;
	int error;

	if (ifname == NULL)
		return EINVAL;
	l = sched_enter();
	if ((ifp = if_lookup(ifname)) == NULL) {
		error = ENXIO;
	} else {
		error = fn(ifp, arg);
		if_release(ifp);
	}
	sched_exit(l);
	return error;
}

RUMP_API int
rump_pub_netconfig_ifcreate(const char *ifname)
{
	struct lwp *l;
	int error;

	if (ifname == NULL)
		return EINVAL;
	l = sched_enter();
	error = if_create(ifname, NULL);
	sched_exit(l);
	return error;
}

RUMP_API int
rump_pub_netconfig_ifdestroy(const char *ifname)
{
	struct lwp *l;
	int error;

	if (ifname == NULL)
		return EINVAL;
	l = sched_enter();
	error = if_destroy(ifname);
	sched_exit(l);
	return error;
}

static int
nc_up(struct ifnet *ifp, const void *arg __unused)
{
	return if_up(ifp);
}

static int
nc_down(struct ifnet *ifp, const void *arg __unused)
{
	if_down(ifp);
	return 0;
}

static int
nc_linkstr(struct ifnet *ifp, const void *arg)
{
	const char *s = arg;

	if (s != NULL && strlen(s) > 4095)
		return EINVAL;
	return if_set_linkstr(ifp, s, s != NULL ? strlen(s) : 0);
}

static int
nc_mtu(struct ifnet *ifp, const void *arg)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	strlcpy(ifr.ifr_name, ifp->if_xname, IFNAMSIZ);
	ifr.ifr_mtu = *(const int *)arg;
	return ifioctl_kern(SIOCSIFMTU, &ifr);
}

static int
nc_pcap(struct ifnet *ifp, const void *arg)
{
	if (arg == NULL) {
		if_pcap_close(ifp);
		return 0;
	}
	return if_pcap_open(ifp, arg);
}

RUMP_API int
rump_pub_netconfig_ifup(const char *ifname)
{
	return nc_with_if(ifname, nc_up, NULL);
}

RUMP_API int
rump_pub_netconfig_ifdown(const char *ifname)
{
	return nc_with_if(ifname, nc_down, NULL);
}

RUMP_API int
rump_pub_netconfig_ifsetlinkstr(const char *ifname, const char *linkstr)
{
	return nc_with_if(ifname, nc_linkstr, linkstr);
}

RUMP_API int
rump_pub_netconfig_ifsetmtu(const char *ifname, int mtu)
{
	return nc_with_if(ifname, nc_mtu, &mtu);
}

RUMP_API int
rump_pub_netconfig_pcap(const char *ifname, const char *hostpath)
{
	return nc_with_if(ifname, nc_pcap, hostpath);
}
