/*
 * in_netconfig.c — the IPv4 part of rump_pub_netconfig_* (rump/netconfig.h):
 * addresses, routes and forwarding configured from C.  Each call enters
 * the kernel from the caller's thread (with or without an lwp of its own)
 * as the rump_pub_lwproc_* calls do, and returns 0 or an errno.
 */
#include "kern/proc.h"
#include "netinet/ip_var.h"

#include "rump/netconfig.h"

static int
netconfig_ifaddr(const char *ifname, const char *addr, int plen)
{
	struct ifnet *ifp;
	in_addr_t a;
	int error;

	if (ifname == NULL || addr == NULL || !in_aton(addr, &a))
		return EINVAL;
	if (plen < 0 || plen > 32)
		return EINVAL;
	ifp = if_lookup(ifname);
	if (ifp == NULL)
		return ENXIO;
	error = in_addr_add(ifp, a, plen);
	if_release(ifp);
	return error;
}

RUMP_API int
rump_pub_netconfig_ipv4_ifaddr(
    const char *ifname, const char *addr, const char *mask)
{
	struct lwp *l;
	in_addr_t m;
	int error, plen = -1;

	if (mask == NULL)
		return EINVAL;
	if (in_aton(mask, &m))
		plen = in_mask2len(m);
	else {
		/* A prefix length is accepted here too ("24"). */
		const char *s = mask;

		plen = 0;
		if (*s == '/')
			s++;
		if (*s == '\0')
			return EINVAL;
		for (; *s != '\0'; s++) {
			if (*s < '0' || *s > '9' || plen > 32)
				return EINVAL;
			plen = plen * 10 + (*s - '0');
		}
	}
	if (plen < 0 || plen > 32)
		return EINVAL;
	l = sched_enter();
	error = netconfig_ifaddr(ifname, addr, plen);
	sched_exit(l);
	return error;
}

RUMP_API int
rump_pub_netconfig_ipv4_ifaddr_cidr(
    const char *ifname, const char *addr, int prefixlen)
{
	struct lwp *l;
	int error;

	l = sched_enter();
	error = netconfig_ifaddr(ifname, addr, prefixlen);
	sched_exit(l);
	return error;
}

static int
netconfig_route(const char *net, int plen, const char *gw)
{
	struct sockaddr_in dst, gate;
	in_addr_t d = INADDR_ANY, g;

	if (gw == NULL || !in_aton(gw, &g) || plen < 0 || plen > 32)
		return EINVAL;
	if (net != NULL && !in_aton(net, &d))
		return EINVAL;
	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	dst.sin_addr.s_addr = d & in_len2mask(plen);
	memset(&gate, 0, sizeof(gate));
	gate.sin_family = AF_INET;
	gate.sin_addr.s_addr = g;
	return rt_add((struct sockaddr *)&dst, plen, (struct sockaddr *)&gate,
	    NULL, NULL, RTF_UP | RTF_GATEWAY | (plen == 32 ? RTF_HOST : 0), 0);
}

RUMP_API int
rump_pub_netconfig_ipv4_gw(const char *addr)
{
	struct lwp *l;
	int error;

	l = sched_enter();
	error = netconfig_route(NULL, 0, addr);
	sched_exit(l);
	return error;
}

RUMP_API int
rump_pub_netconfig_ipv4_route(
    const char *net, int prefixlen, const char *gateway)
{
	struct lwp *l;
	int error;

	if (net == NULL)
		return EINVAL;
	l = sched_enter();
	error = netconfig_route(net, prefixlen, gateway);
	sched_exit(l);
	return error;
}

RUMP_API int
rump_pub_netconfig_ipv4_forwarding(int on)
{
	atomic_store_relaxed(&ip_forwarding, on != 0);
	return 0;
}
