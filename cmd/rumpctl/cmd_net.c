/*
 * cmd_net.c — the network configuration commands against the kernel's
 * Linux ABI: rump.ifconfig (net-tools' output; create, destroy, linkstr,
 * inet, up, down, mtu), rump.route (route -n's table from
 * /proc/net/route; add and del with SIOCADDRT/SIOCDELRT) and
 * rump.netstat (-r, -i, -a from /proc/net/{route,dev,tcp,udp,unix}).
 *
 * Our private ioctls, as the kernel's network stack implements them:
 *   SIOCSIFLINKSTR  ifreq.ifr_data → struct ifr_linkstr: the interface's
 *                   link string (shmif: the bus file)
 *   SIOCIFCREATE, SIOCIFDESTROY  ifreq.ifr_name: make or remove a cloned
 *                   interface ("shmif0", "virt0")
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/route.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rump/rump_syscalls.h>

#include "rumpctl.h"

#define SIOCSIFLINKSTR 0x89F0
#define SIOCIFCREATE   0x89F1
#define SIOCIFDESTROY  0x89F2

struct ifr_linkstr {
	const char *il_str;
	size_t il_len;
};

static int
net_socket(void)
{
	int s = rump_sys_socket(AF_INET, SOCK_DGRAM, 0);

	if (s == -1)
		net_error(errno, "socket");
	return s;
}

static bool
parse_inet(const char *s, struct in_addr *a)
{
	if (strcmp(s, "default") == 0) {
		a->s_addr = INADDR_ANY;
		return true;
	}
	return inet_pton(AF_INET, s, a) == 1;
}

static void
set_sin(struct sockaddr *sa, struct in_addr a)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr = a;
	memcpy(sa, &sin, sizeof(sin));
}

static struct in_addr
prefix_mask(int len)
{
	struct in_addr m;

	m.s_addr = len == 0 ? 0 : htonl(0xffffffffu << (32 - len));
	return m;
}

/* -------------------------------------------------------- /proc/net */

struct netdev {
	char nd_name[IFNAMSIZ];
	unsigned long long nd_rx[8], nd_tx[8]; /* bytes packets errs drop
	                                          fifo frame/colls ... */
};

/* The interfaces of /proc/net/dev; -1 if it cannot be read. */
static int
read_netdev(struct netdev **devsp, size_t *np)
{
	char *buf, *line, *save;
	struct netdev *devs = NULL;
	size_t n = 0;

	if (kread_file("/proc/net/dev", &buf, NULL) == -1)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':'), *name = line;
		struct netdev *d;

		if (colon == NULL)
			continue;
		*colon = '\0';
		while (*name == ' ')
			name++;
		devs = realloc(devs, (n + 1) * sizeof(*devs));
		if (devs == NULL)
			exit(1);
		d = &devs[n];
		memset(d, 0, sizeof(*d));
		snprintf(d->nd_name, sizeof(d->nd_name), "%s", name);
		if (sscanf(colon + 1,
		        "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu "
		        "%llu "
		        "%llu %llu %llu %llu %llu",
		        &d->nd_rx[0], &d->nd_rx[1], &d->nd_rx[2], &d->nd_rx[3],
		        &d->nd_rx[4], &d->nd_rx[5], &d->nd_rx[6], &d->nd_rx[7],
		        &d->nd_tx[0], &d->nd_tx[1], &d->nd_tx[2], &d->nd_tx[3],
		        &d->nd_tx[4], &d->nd_tx[5], &d->nd_tx[6],
		        &d->nd_tx[7]) < 16)
			continue;
		n++;
	}
	free(buf);
	*devsp = devs;
	*np = n;
	return 0;
}

/* Names from SIOCGIFCONF (interfaces with an address) when there is no
 * /proc/net/dev. */
static int
ifconf_names(int s, struct netdev **devsp, size_t *np)
{
	struct ifreq reqs[64];
	struct ifconf ifc;
	struct netdev *devs;
	size_t n;

	ifc.ifc_len = sizeof(reqs);
	ifc.ifc_req = reqs;
	if (rump_sys_ioctl(s, SIOCGIFCONF, &ifc) == -1)
		return -1;
	n = (size_t)ifc.ifc_len / sizeof(reqs[0]);
	devs = calloc(n ? n : 1, sizeof(*devs));
	if (devs == NULL)
		exit(1);
	for (size_t i = 0; i < n; i++)
		memcpy(devs[i].nd_name, reqs[i].ifr_name, IFNAMSIZ - 1);
	*devsp = devs;
	*np = n;
	return 0;
}

/* --------------------------------------------------------- ifconfig */

static const struct {
	int flag;
	const char *name;
} if_flags[] = {
    {IFF_UP, "UP"},
    {IFF_BROADCAST, "BROADCAST"},
    {IFF_DEBUG, "DEBUG"},
    {IFF_LOOPBACK, "LOOPBACK"},
    {IFF_POINTOPOINT, "POINTOPOINT"},
    {IFF_NOTRAILERS, "NOTRAILERS"},
    {IFF_RUNNING, "RUNNING"},
    {IFF_NOARP, "NOARP"},
    {IFF_PROMISC, "PROMISC"},
    {IFF_ALLMULTI, "ALLMULTI"},
    {IFF_MULTICAST, "MULTICAST"},
};

static void
if_init(const char *name, struct ifreq *ifr)
{
	memset(ifr, 0, sizeof(*ifr));
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", name);
}

static int
if_ioctl(int s, unsigned long req, const char *name, struct ifreq *ifr)
{
	if_init(name, ifr);
	return rump_sys_ioctl(s, req, ifr);
}

static void
if_show(int s, const struct netdev *d)
{
	struct ifreq ifr;
	int flags = 0, mtu = 0;
	char sep = '<';

	if (if_ioctl(s, SIOCGIFFLAGS, d->nd_name, &ifr) == 0)
		flags = ifr.ifr_flags;
	if (if_ioctl(s, SIOCGIFMTU, d->nd_name, &ifr) == 0)
		mtu = ifr.ifr_mtu;
	printf("%s: flags=%d", d->nd_name, flags & 0xffff);
	for (size_t i = 0; i < sizeof(if_flags) / sizeof(if_flags[0]); i++) {
		if (flags & if_flags[i].flag) {
			printf("%c%s", sep, if_flags[i].name);
			sep = ',';
		}
	}
	printf("%s  mtu %d\n", sep == '<' ? "<>" : ">", mtu);
	if (if_ioctl(s, SIOCGIFADDR, d->nd_name, &ifr) == 0 &&
	    ifr.ifr_addr.sa_family == AF_INET) {
		struct sockaddr_in sin;
		char a[INET_ADDRSTRLEN], m[INET_ADDRSTRLEN] = "0.0.0.0";

		memcpy(&sin, &ifr.ifr_addr, sizeof(sin));
		inet_ntop(AF_INET, &sin.sin_addr, a, sizeof(a));
		if (if_ioctl(s, SIOCGIFNETMASK, d->nd_name, &ifr) == 0) {
			memcpy(&sin, &ifr.ifr_netmask, sizeof(sin));
			inet_ntop(AF_INET, &sin.sin_addr, m, sizeof(m));
		}
		printf("        inet %s  netmask %s", a, m);
		if ((flags & IFF_BROADCAST) &&
		    if_ioctl(s, SIOCGIFBRDADDR, d->nd_name, &ifr) == 0) {
			memcpy(&sin, &ifr.ifr_broadaddr, sizeof(sin));
			inet_ntop(AF_INET, &sin.sin_addr, a, sizeof(a));
			printf("  broadcast %s", a);
		}
		printf("\n");
	}
	if (flags & IFF_LOOPBACK) {
		printf("        loop  txqueuelen 1000  (Local Loopback)\n");
	} else if (if_ioctl(s, SIOCGIFHWADDR, d->nd_name, &ifr) == 0) {
		unsigned char *h = (unsigned char *)ifr.ifr_hwaddr.sa_data;

		printf("        ether %02x:%02x:%02x:%02x:%02x:%02x  "
		       "txqueuelen 1000  (Ethernet)\n",
		    h[0], h[1], h[2], h[3], h[4], h[5]);
	}
	printf(
	    "        RX packets %llu  bytes %llu\n", d->nd_rx[1], d->nd_rx[0]);
	printf("        RX errors %llu  dropped %llu  overruns %llu  frame "
	       "%llu\n",
	    d->nd_rx[2], d->nd_rx[3], d->nd_rx[4], d->nd_rx[5]);
	printf(
	    "        TX packets %llu  bytes %llu\n", d->nd_tx[1], d->nd_tx[0]);
	printf("        TX errors %llu  dropped %llu overruns %llu  carrier "
	       "%llu  collisions %llu\n\n",
	    d->nd_tx[2], d->nd_tx[3], d->nd_tx[4], d->nd_tx[6], d->nd_tx[5]);
}

static int
if_setflag(int s, const char *name, int set, int clear)
{
	struct ifreq ifr;
	int flags;

	if (if_ioctl(s, SIOCGIFFLAGS, name, &ifr) == -1) {
		warnerr(errno, "%s: SIOCGIFFLAGS", name);
		return 1;
	}
	flags = (ifr.ifr_flags | set) & ~clear;
	if_init(name, &ifr);
	ifr.ifr_flags = (short)flags;
	if (rump_sys_ioctl(s, SIOCSIFFLAGS, &ifr) == -1) {
		warnerr(errno, "%s: SIOCSIFFLAGS", name);
		return 1;
	}
	return 0;
}

static int
if_inet(int s, const char *name, const char *spec, const char *mask)
{
	char *addr = xstrdup(spec), *slash = strchr(addr, '/');
	struct in_addr a, m;
	struct ifreq ifr;
	int status = 0;

	if (slash != NULL) {
		char *end;
		long len = strtol(slash + 1, &end, 10);

		*slash = '\0';
		if (*end != '\0' || len < 0 || len > 32 || slash[1] == '\0') {
			warnmsg("%s: bad prefix length", spec);
			free(addr);
			return 1;
		}
		m = prefix_mask((int)len);
	}
	if (!parse_inet(addr, &a)) {
		warnmsg("%s: host name lookup failure", addr);
		free(addr);
		return 1;
	}
	if (mask != NULL && !parse_inet(mask, &m)) {
		warnmsg("%s: bad netmask", mask);
		free(addr);
		return 1;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	set_sin(&ifr.ifr_addr, a);
	if (rump_sys_ioctl(s, SIOCSIFADDR, &ifr) == -1) {
		warnerr(errno, "%s: SIOCSIFADDR", name);
		status = 1;
	} else if (slash != NULL || mask != NULL) {
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
		set_sin(&ifr.ifr_netmask, m);
		if (rump_sys_ioctl(s, SIOCSIFNETMASK, &ifr) == -1) {
			warnerr(errno, "%s: SIOCSIFNETMASK", name);
			status = 1;
		}
	}
	free(addr);
	return status;
}

int
cmd_ifconfig(int argc, char **argv)
{
	struct netdev *devs = NULL;
	struct ifreq ifr;
	size_t n = 0;
	const char *name;
	int s, status = 0, i;

	if (argc > 1 && strcmp(argv[1], "-a") == 0) {
		argc--;
		argv++;
	}
	if ((s = net_socket()) == -1)
		return 1;
	if (argc == 1 || argc == 2) {
		if (read_netdev(&devs, &n) == -1 &&
		    ifconf_names(s, &devs, &n) == -1) {
			net_error(errno, "cannot list interfaces");
			rump_sys_close(s);
			return 1;
		}
		for (size_t j = 0; j < n; j++) {
			if (argc == 2 && strcmp(devs[j].nd_name, argv[1]) != 0)
				continue;
			if (argc == 1 || strcmp(devs[j].nd_name, argv[1]) == 0)
				if_show(s, &devs[j]);
			if (argc == 2)
				break;
		}
		if (argc == 2) {
			size_t j;

			for (j = 0; j < n; j++)
				if (strcmp(devs[j].nd_name, argv[1]) == 0)
					break;
			if (j == n) {
				warnmsg("%s: error fetching interface "
				        "information: Device not found",
				    argv[1]);
				status = 1;
			}
		}
		free(devs);
		rump_sys_close(s);
		return status;
	}
	name = argv[1];
	if (strlen(name) >= IFNAMSIZ) {
		warnmsg("%s: interface name too long", name);
		rump_sys_close(s);
		return 1;
	}
	for (i = 2; i < argc && status == 0; i++) {
		const char *op = argv[i];

		if (strcmp(op, "create") == 0 || strcmp(op, "destroy") == 0) {
			bool create = op[0] == 'c';

			if (if_ioctl(s, create ? SIOCIFCREATE : SIOCIFDESTROY,
			        name, &ifr) == -1) {
				if (errno == ENOSYS || errno == EAFNOSUPPORT)
					net_error(errno, name);
				else
					warnerr(errno, "%s: %s", name,
					    create ? "SIOCIFCREATE"
					           : "SIOCIFDESTROY");
				status = 1;
			}
		} else if (strcmp(op, "up") == 0) {
			status = if_setflag(s, name, IFF_UP, 0);
		} else if (strcmp(op, "down") == 0) {
			status = if_setflag(s, name, 0, IFF_UP);
		} else if (strcmp(op, "linkstr") == 0 && i + 1 < argc) {
			struct ifr_linkstr ls;

			i++;
			ls.il_str = argv[i];
			ls.il_len = strlen(argv[i]);

			memset(&ifr, 0, sizeof(ifr));
			snprintf(
			    ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
			ifr.ifr_data = (void *)&ls;
			if (rump_sys_ioctl(s, SIOCSIFLINKSTR, &ifr) == -1) {
				warnerr(errno, "%s: SIOCSIFLINKSTR", name);
				status = 1;
			}
		} else if (strcmp(op, "mtu") == 0 && i + 1 < argc) {
			char *end;
			long mtu = strtol(argv[++i], &end, 10);

			if (*end != '\0' || mtu <= 0 || mtu > 65535) {
				warnmsg("%s: bad mtu", argv[i]);
				status = 1;
				break;
			}
			if_init(name, &ifr);
			ifr.ifr_mtu = (int)mtu;
			if (rump_sys_ioctl(s, SIOCSIFMTU, &ifr) == -1) {
				warnerr(errno, "%s: SIOCSIFMTU", name);
				status = 1;
			}
		} else if (strcmp(op, "inet") == 0 && i + 1 < argc) {
			const char *addr = argv[++i], *mask = NULL;

			if (i + 2 < argc &&
			    strcmp(argv[i + 1], "netmask") == 0) {
				mask = argv[i + 2];
				i += 2;
			}
			status = if_inet(s, name, addr, mask);
		} else if (strcmp(op, "netmask") == 0 && i + 1 < argc) {
			struct in_addr m;

			if (!parse_inet(argv[++i], &m)) {
				warnmsg("%s: bad netmask", argv[i]);
				status = 1;
				break;
			}
			if_init(name, &ifr);
			set_sin(&ifr.ifr_netmask, m);
			if (rump_sys_ioctl(s, SIOCSIFNETMASK, &ifr) == -1) {
				warnerr(errno, "%s: SIOCSIFNETMASK", name);
				status = 1;
			}
		} else if ((op[0] >= '0' && op[0] <= '9')) {
			const char *mask = NULL;

			if (i + 2 < argc &&
			    strcmp(argv[i + 1], "netmask") == 0) {
				mask = argv[i + 2];
				i += 2;
			}
			status = if_inet(s, name, op, mask);
		} else {
			warnmsg("%s: unknown or incomplete operation %s", name,
			    q(op));
			status = 1;
		}
	}
	rump_sys_close(s);
	return status;
}

/* ------------------------------------------------------------ route */

struct rtrow {
	char rr_iface[IFNAMSIZ];
	struct in_addr rr_dst, rr_gw, rr_mask;
	unsigned rr_flags, rr_refcnt, rr_use, rr_metric, rr_mtu, rr_window,
	    rr_irtt;
};

static int
read_routes(struct rtrow **rowsp, size_t *np)
{
	char *buf, *line, *save;
	struct rtrow *rows = NULL;
	size_t n = 0;
	bool first = true;

	if (kread_file("/proc/net/route", &buf, NULL) == -1)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		struct rtrow r;
		unsigned dst, gw, mask;

		if (first) { /* the header */
			first = false;
			continue;
		}
		if (sscanf(line, "%15s %x %x %x %u %u %u %x %u %u %u",
		        r.rr_iface, &dst, &gw, &r.rr_flags, &r.rr_refcnt,
		        &r.rr_use, &r.rr_metric, &mask, &r.rr_mtu, &r.rr_window,
		        &r.rr_irtt) != 11)
			continue;
		/* Linux prints the addresses as their in-memory words. */
		r.rr_dst.s_addr = dst;
		r.rr_gw.s_addr = gw;
		r.rr_mask.s_addr = mask;
		rows = realloc(rows, (n + 1) * sizeof(*rows));
		if (rows == NULL)
			exit(1);
		rows[n++] = r;
	}
	free(buf);
	*rowsp = rows;
	*np = n;
	return 0;
}

static void
rt_flags(unsigned f, char *b)
{
	char *p = b;

	if (f & RTF_UP)
		*p++ = 'U';
	if (f & RTF_GATEWAY)
		*p++ = 'G';
	if (f & RTF_HOST)
		*p++ = 'H';
	if (f & RTF_REINSTATE)
		*p++ = 'R';
	if (f & RTF_DYNAMIC)
		*p++ = 'D';
	if (f & RTF_MODIFIED)
		*p++ = 'M';
	if (f & RTF_REJECT)
		*p++ = '!';
	*p = '\0';
}

static int
route_show(bool numeric, bool netstat)
{
	struct rtrow *rows;
	size_t n;

	if (read_routes(&rows, &n) == -1) {
		net_error(errno, "cannot read /proc/net/route");
		return 1;
	}
	printf("Kernel IP routing table\n");
	if (netstat)
		printf(
		    "Destination     Gateway         Genmask         Flags   "
		    "MSS Window  irtt Iface\n");
	else
		printf("Destination     Gateway         Genmask         Flags "
		       "Metric Ref    Use Iface\n");
	for (size_t i = 0; i < n; i++) {
		char d[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN], m[INET_ADDRSTRLEN],
		    f[16];

		inet_ntop(AF_INET, &rows[i].rr_dst, d, sizeof(d));
		inet_ntop(AF_INET, &rows[i].rr_gw, g, sizeof(g));
		inet_ntop(AF_INET, &rows[i].rr_mask, m, sizeof(m));
		if (!numeric && rows[i].rr_dst.s_addr == 0)
			strcpy(d, "default");
		rt_flags(rows[i].rr_flags, f);
		if (netstat)
			printf("%-15s %-15s %-15s %-5s %5u %-6u %5u %s\n", d, g,
			    m, f, rows[i].rr_mtu, rows[i].rr_window,
			    rows[i].rr_irtt, rows[i].rr_iface);
		else
			printf("%-15s %-15s %-15s %-5s %-6u %-2u %7u %s\n", d,
			    g, m, f, rows[i].rr_metric, rows[i].rr_refcnt,
			    rows[i].rr_use, rows[i].rr_iface);
	}
	free(rows);
	return 0;
}

int
cmd_route(int argc, char **argv)
{
	bool numeric = false, add, host = false, net = false;
	struct in_addr dst, gw = {0}, mask = {0};
	bool havegw = false, havemask = false;
	char *target, *slash, dev[IFNAMSIZ] = "";
	struct rtentry rt;
	int i = 1, s;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-n") == 0)
			numeric = true;
		else if (strcmp(argv[i], "-net") == 0 ||
		    strcmp(argv[i], "-host") == 0)
			break;
		else
			return usage_error(1, "unknown option %s", q(argv[i]));
	}
	if (i == argc)
		return route_show(numeric, false);
	if (strcmp(argv[i], "add") == 0)
		add = true;
	else if (strcmp(argv[i], "del") == 0 || strcmp(argv[i], "delete") == 0)
		add = false;
	else if (strcmp(argv[i], "show") == 0 || strcmp(argv[i], "get") == 0)
		return route_show(true, false);
	else
		return usage_error(1, "unknown command %s", q(argv[i]));
	for (i++; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-net") == 0)
			net = true;
		else if (strcmp(argv[i], "-host") == 0)
			host = true;
		else
			return usage_error(1, "unknown option %s", q(argv[i]));
	}
	if (i == argc)
		return usage_error(1, "missing target");
	target = xstrdup(argv[i++]);
	if ((slash = strchr(target, '/')) != NULL) {
		char *end;
		long len = strtol(slash + 1, &end, 10);

		*slash = '\0';
		if (*end != '\0' || len < 0 || len > 32) {
			warnmsg("%s: bad prefix length", argv[i - 1]);
			return 1;
		}
		mask = prefix_mask((int)len);
		havemask = true;
	}
	if (!parse_inet(target, &dst)) {
		warnmsg("%s: unknown host", target);
		return 1;
	}
	if (strcmp(target, "default") == 0) {
		mask.s_addr = 0;
		havemask = true;
	}
	free(target);
	for (; i < argc; i++) {
		const char *kw = argv[i];

		if (strcmp(kw, "gw") == 0 || strcmp(kw, "gateway") == 0) {
			if (++i == argc || !parse_inet(argv[i], &gw)) {
				warnmsg("bad gateway %s",
				    i < argc ? q(argv[i]) : "");
				return 1;
			}
			havegw = true;
		} else if (strcmp(kw, "netmask") == 0 ||
		    strcmp(kw, "genmask") == 0) {
			if (++i == argc || !parse_inet(argv[i], &mask)) {
				warnmsg("bad netmask %s",
				    i < argc ? q(argv[i]) : "");
				return 1;
			}
			havemask = true;
		} else if (strcmp(kw, "dev") == 0 ||
		    strcmp(kw, "-interface") == 0) {
			if (++i == argc || strlen(argv[i]) >= IFNAMSIZ) {
				warnmsg("bad device name");
				return 1;
			}
			snprintf(dev, sizeof(dev), "%s", argv[i]);
		} else if (strcmp(kw, "metric") == 0 && i + 1 < argc) {
			i++; /* accepted */
		} else if (parse_inet(kw, &gw)) {
			havegw = true; /* NetBSD style: route add default GW */
		} else if (i == argc - 1 && dev[0] == '\0' &&
		    strlen(kw) < IFNAMSIZ) {
			snprintf(
			    dev, sizeof(dev), "%s", kw); /* route add .. IF */
		} else {
			return usage_error(1, "unknown argument %s", q(kw));
		}
	}
	if (!havemask)
		mask = host || !net ? prefix_mask(32) : prefix_mask(32);
	if (net && !havemask) {
		/* A classful guess, as route(8) makes for -net without mask. */
		uint32_t a = ntohl(dst.s_addr);

		mask = prefix_mask(a == 0 ? 0
		        : (a >> 31) == 0  ? 8
		        : (a >> 30) == 2  ? 16
		                          : 24);
	}
	memset(&rt, 0, sizeof(rt));
	set_sin(&rt.rt_dst, dst);
	set_sin(&rt.rt_gateway, gw);
	set_sin(&rt.rt_genmask, mask);
	rt.rt_flags = RTF_UP;
	if (havegw)
		rt.rt_flags |= RTF_GATEWAY;
	if (mask.s_addr == 0xffffffffu)
		rt.rt_flags |= RTF_HOST;
	if (dev[0] != '\0')
		rt.rt_dev = dev;
	if ((s = net_socket()) == -1)
		return 1;
	if (rump_sys_ioctl(s, add ? SIOCADDRT : SIOCDELRT, &rt) == -1) {
		if (errno == ENOSYS || errno == EAFNOSUPPORT)
			net_error(errno, add ? "SIOCADDRT" : "SIOCDELRT");
		else
			warnerr(errno, "%s", add ? "SIOCADDRT" : "SIOCDELRT");
		rump_sys_close(s);
		return 1;
	}
	rump_sys_close(s);
	return 0;
}

/* ---------------------------------------------------------- netstat */

static const char *tcp_states[] = {"", "ESTABLISHED", "SYN_SENT", "SYN_RECV",
    "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK",
    "LISTEN", "CLOSING"};

static void
hexaddr(const char *hex, char *out, size_t len)
{
	unsigned a, port;
	struct in_addr ia;
	char ip[INET_ADDRSTRLEN];

	if (sscanf(hex, "%x:%x", &a, &port) != 2) {
		snprintf(out, len, "?");
		return;
	}
	ia.s_addr = a;
	inet_ntop(AF_INET, &ia, ip, sizeof(ip));
	if (port == 0)
		snprintf(out, len, "%s:*", ip);
	else
		snprintf(out, len, "%s:%u", ip, port);
}

static void
netstat_inet(const char *proto, bool all)
{
	char path[64], *buf, *line, *save;
	bool first = true;

	snprintf(path, sizeof(path), "/proc/net/%s", proto);
	if (kread_file(path, &buf, NULL) == -1)
		return;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char local[64], rem[64], l[64], r[64];
		unsigned st, txq, rxq;

		if (first) {
			first = false;
			continue;
		}
		if (sscanf(line, "%*d: %63s %63s %x %x:%x", local, rem, &st,
		        &txq, &rxq) != 5)
			continue;
		if (strcmp(proto, "tcp") == 0 && st == 10 && !all)
			continue;
		if (strcmp(proto, "udp") == 0 && !all)
			continue;
		hexaddr(local, l, sizeof(l));
		hexaddr(rem, r, sizeof(r));
		printf("%-5s %6u %6u %-23s %-23s %-11s\n", proto, rxq, txq, l,
		    r,
		    strcmp(proto, "tcp") == 0 && st < 12       ? tcp_states[st]
		        : strcmp(proto, "udp") == 0 && st == 1 ? "ESTABLISHED"
		                                               : "");
	}
	free(buf);
}

static void
netstat_unix(bool all)
{
	char *buf, *line, *save;
	bool first = true;

	if (kread_file("/proc/net/unix", &buf, NULL) == -1)
		return;
	printf("Active UNIX domain sockets (%s)\n",
	    all ? "servers and established" : "w/o servers");
	printf("Proto RefCnt Flags       Type       State         I-Node   "
	       "Path\n");
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned refs, proto, flags, type, st;
		unsigned long inode;
		char path[4096] = "";
		static const char *types[] = {
		    "", "STREAM", "DGRAM", "RAW", "RDM", "SEQPACKET"};
		static const char *states[] = {
		    "", "", "CONNECTING", "CONNECTED", "DISCONNECTING"};

		if (first) {
			first = false;
			continue;
		}
		if (sscanf(line, "%*s %x %x %x %x %x %lu %4095s", &refs, &proto,
		        &flags, &type, &st, &inode, path) < 6)
			continue;
		if ((flags & (1 << 16)) && !all)
			continue; /* listening */
		printf("unix  %-6u [ %s]%*s %-10s %-13s %-8lu %s\n", refs,
		    flags & (1 << 16) ? "ACC " : "", flags & (1 << 16) ? 7 : 11,
		    "", type < 6 ? types[type] : "?",
		    flags & (1 << 16) ? "LISTENING"
		        : st < 5      ? states[st]
		                      : "",
		    inode, path);
	}
	free(buf);
}

static int
netstat_ifaces(void)
{
	struct netdev *devs;
	size_t n;
	int s;

	if (read_netdev(&devs, &n) == -1) {
		net_error(errno, "cannot read /proc/net/dev");
		return 1;
	}
	s = rump_sys_socket(AF_INET, SOCK_DGRAM, 0);
	printf("Kernel Interface table\n");
	printf("Iface      MTU    RX-OK RX-ERR RX-DRP RX-OVR    TX-OK TX-ERR "
	       "TX-DRP TX-OVR Flg\n");
	for (size_t i = 0; i < n; i++) {
		struct ifreq ifr;
		int mtu = 0, fl = 0;
		char f[16], *p = f;

		if (s != -1 &&
		    if_ioctl(s, SIOCGIFMTU, devs[i].nd_name, &ifr) == 0)
			mtu = ifr.ifr_mtu;
		if (s != -1 &&
		    if_ioctl(s, SIOCGIFFLAGS, devs[i].nd_name, &ifr) == 0)
			fl = ifr.ifr_flags;
		if (fl & IFF_BROADCAST)
			*p++ = 'B';
		if (fl & IFF_LOOPBACK)
			*p++ = 'L';
		if (fl & IFF_MULTICAST)
			*p++ = 'M';
		if (fl & IFF_PROMISC)
			*p++ = 'P';
		if (fl & IFF_RUNNING)
			*p++ = 'R';
		if (fl & IFF_UP)
			*p++ = 'U';
		*p = '\0';
		printf("%-8s %5d %8llu %6llu %6llu %6llu %8llu %6llu %6llu "
		       "%6llu %s\n",
		    devs[i].nd_name, mtu, devs[i].nd_rx[1], devs[i].nd_rx[2],
		    devs[i].nd_rx[3], devs[i].nd_rx[4], devs[i].nd_tx[1],
		    devs[i].nd_tx[2], devs[i].nd_tx[3], devs[i].nd_tx[4], f);
	}
	if (s != -1)
		rump_sys_close(s);
	free(devs);
	return 0;
}

int
cmd_netstat(int argc, char **argv)
{
	bool routes = false, ifaces = false, all = false, numeric = false;
	int c;

	while ((c = getopt(argc, argv, "rianltuxe")) != -1) {
		switch (c) {
		case 'r':
			routes = true;
			break;
		case 'i':
			ifaces = true;
			break;
		case 'a':
		case 'l':
			all = true;
			break;
		case 'n':
			numeric = true;
			break;
		case 't':
		case 'u':
		case 'x':
		case 'e':
			break;
		default:
			return usage_error(1, NULL);
		}
	}
	if (routes)
		return route_show(numeric, true);
	if (ifaces)
		return netstat_ifaces();
	printf("Active Internet connections (%s)\n",
	    all ? "servers and established" : "w/o servers");
	printf("Proto Recv-Q Send-Q Local Address           Foreign Address    "
	       "     State      \n");
	netstat_inet("tcp", all);
	netstat_inet("udp", all);
	netstat_unix(all);
	return 0;
}
