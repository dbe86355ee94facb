/*
 * t_if.c — interfaces and routes: lo0 at boot (index 1, flags, MTU), the
 * interface ioctls (SIOCGIFCONF, flags, MTU, names and indexes),
 * creating and destroying interfaces and their errors, routes added and
 * deleted with SIOCADDRT/SIOCDELRT and read back from /proc/net/route and
 * a kernel lookup, /proc/net/dev, and a capture of lo0 read by tcpdump.
 */
#include <arpa/inet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <net/route.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <rump/netconfig.h>

#include "harness.h"
#include "knet.h"
#include "rumptest.h"
#include "sockapi.h"

#ifndef SIOCIFCREATE
#define SIOCSIFLINKSTR 0x89F0
#define SIOCIFCREATE   0x89F1
#define SIOCIFDESTROY  0x89F2
#endif

static uint64_t mb0, cl0;

static int
boot_sock(void)
{
	int s;

	signal(SIGPIPE, SIG_IGN);
	t_boot();
	rump_knet_mbuf_stats(&mb0, &cl0);
	if ((s = rump_sys_socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		T_FAIL("socket: %s", strerror(errno));
	return s;
}

static void
leakcheck(void)
{
	uint64_t mb, cl;

	for (int i = 0; i < 200; i++) {
		rump_knet_mbuf_stats(&mb, &cl);
		if (mb == mb0 && cl == cl0)
			return;
		usleep(5000);
	}
	T_FAIL("mbuf leak: %llu mbufs, %llu clusters", (unsigned long long)mb,
	    (unsigned long long)cl);
}

static void
ifr_init(struct ifreq *ifr, const char *name)
{
	memset(ifr, 0, sizeof(*ifr));
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", name);
}

/* Reads a rump file into buf (NUL-terminated). */
static void
readfile(const char *path, char *buf, size_t len)
{
	int fd;
	ssize_t n;

	T_OK(fd = rump_sys_open(path, O_RDONLY));
	T_ASSERT((n = rump_sys_read(fd, buf, len - 1)) >= 0);
	buf[n] = '\0';
	T_OK(rump_sys_close(fd));
}

T_CASE(lo0, "lo0 exists at boot: index 1, up, loopback, running, MTU 65536")
{
	struct ifreq ifr;
	int s = boot_sock();

	ifr_init(&ifr, "lo0");
	T_OK(rump_sys_ioctl(s, SIOCGIFINDEX, &ifr));
	T_EQ(ifr.ifr_ifindex, 1);
	ifr_init(&ifr, "lo0");
	T_OK(rump_sys_ioctl(s, SIOCGIFFLAGS, &ifr));
	T_EQ(ifr.ifr_flags & (IFF_UP | IFF_LOOPBACK | IFF_RUNNING),
	    IFF_UP | IFF_LOOPBACK | IFF_RUNNING);
	T_EQ(ifr.ifr_flags & IFF_BROADCAST, 0);
	ifr_init(&ifr, "lo0");
	T_OK(rump_sys_ioctl(s, SIOCGIFMTU, &ifr));
	T_EQ(ifr.ifr_mtu, 65536);
	ifr_init(&ifr, "lo0");
	T_OK(rump_sys_ioctl(s, SIOCGIFHWADDR, &ifr));
	T_EQ(ifr.ifr_hwaddr.sa_family, ARPHRD_LOOPBACK);
	ifr_init(&ifr, "");
	ifr.ifr_ifindex = 1;
	T_OK(rump_sys_ioctl(s, SIOCGIFNAME, &ifr));
	T_ASSERT(strcmp(ifr.ifr_name, "lo0") == 0);
	ifr.ifr_ifindex = 77;
	T_ERRNO(rump_sys_ioctl(s, SIOCGIFNAME, &ifr), ENODEV);
	ifr_init(&ifr, "nope0");
	T_ERRNO(rump_sys_ioctl(s, SIOCGIFFLAGS, &ifr), ENODEV);
	T_ERRNO(rump_sys_ioctl(s, SIOCGIFFLAGS, (void *)8), EFAULT);
	/* The address netinet puts on it. */
	ifr_init(&ifr, "lo0");
	T_OK(rump_sys_ioctl(s, SIOCGIFADDR, &ifr));
	T_EQ(((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr.s_addr,
	    htonl(INADDR_LOOPBACK));
	T_OK(rump_sys_close(s));
	leakcheck();
}

T_CASE(ifflags_mtu, "SIOCSIFFLAGS brings lo0 down and up; SIOCSIFMTU limits")
{
	struct ifreq ifr;
	int s = boot_sock();

	ifr_init(&ifr, "lo0");
	T_OK(rump_sys_ioctl(s, SIOCGIFFLAGS, &ifr));
	ifr.ifr_flags &= ~IFF_UP;
	T_OK(rump_sys_ioctl(s, SIOCSIFFLAGS, &ifr));
	T_OK(rump_sys_ioctl(s, SIOCGIFFLAGS, &ifr));
	T_EQ(ifr.ifr_flags & (IFF_UP | IFF_RUNNING), 0);
	ifr.ifr_flags |= IFF_UP;
	T_OK(rump_sys_ioctl(s, SIOCSIFFLAGS, &ifr));
	T_OK(rump_sys_ioctl(s, SIOCGIFFLAGS, &ifr));
	T_EQ(ifr.ifr_flags & (IFF_UP | IFF_RUNNING), IFF_UP | IFF_RUNNING);
	ifr_init(&ifr, "lo0");
	ifr.ifr_mtu = 9000;
	T_OK(rump_sys_ioctl(s, SIOCSIFMTU, &ifr));
	T_OK(rump_sys_ioctl(s, SIOCGIFMTU, &ifr));
	T_EQ(ifr.ifr_mtu, 9000);
	ifr.ifr_mtu = 20;
	T_ERRNO(rump_sys_ioctl(s, SIOCSIFMTU, &ifr), EINVAL);
	T_EQ(rump_pub_netconfig_ifsetmtu("lo0", 65536), 0);
	T_EQ(rump_pub_netconfig_ifsetmtu("lo0", 1 << 20), EINVAL);
	T_EQ(rump_pub_netconfig_ifdown("lo0"), 0);
	T_EQ(rump_pub_netconfig_ifup("lo0"), 0);
	T_EQ(rump_pub_netconfig_ifup("nope0"), ENXIO);
	T_OK(rump_sys_close(s));
	leakcheck();
}

T_CASE(ifconf, "SIOCGIFCONF lists the IPv4 addresses; NULL asks the size")
{
	struct ifreq reqs[8];
	struct ifconf ifc;
	int s = boot_sock();

	memset(&ifc, 0, sizeof(ifc));
	T_OK(rump_sys_ioctl(s, SIOCGIFCONF, &ifc));
	T_EQ(ifc.ifc_len, sizeof(struct ifreq));
	ifc.ifc_len = sizeof(reqs);
	ifc.ifc_req = reqs;
	T_OK(rump_sys_ioctl(s, SIOCGIFCONF, &ifc));
	T_EQ(ifc.ifc_len, sizeof(struct ifreq));
	T_ASSERT(strcmp(reqs[0].ifr_name, "lo0") == 0);
	T_EQ(reqs[0].ifr_addr.sa_family, AF_INET);
	T_EQ(((struct sockaddr_in *)&reqs[0].ifr_addr)->sin_addr.s_addr,
	    htonl(INADDR_LOOPBACK));
	/* Too small for one: nothing. */
	ifc.ifc_len = sizeof(struct ifreq) - 1;
	T_OK(rump_sys_ioctl(s, SIOCGIFCONF, &ifc));
	T_EQ(ifc.ifc_len, 0);
	ifc.ifc_len = sizeof(reqs);
	ifc.ifc_req = (struct ifreq *)8;
	T_ERRNO(rump_sys_ioctl(s, SIOCGIFCONF, &ifc), EFAULT);
	T_OK(rump_sys_close(s));
	leakcheck();
}

T_CASE(ifcreate_errors, "interface create/destroy: unknown, malformed, twice")
{
	struct ifreq ifr;
	int s = boot_sock();

	T_EQ(rump_pub_netconfig_ifcreate("foo0"), ENXIO);
	T_EQ(rump_pub_netconfig_ifcreate("shmif"), EINVAL);
	T_EQ(rump_pub_netconfig_ifcreate(""), EINVAL);
	T_EQ(rump_pub_netconfig_ifcreate("0"), EINVAL);
	T_EQ(rump_pub_netconfig_ifdestroy("lo0"), EOPNOTSUPP);
	T_EQ(rump_pub_netconfig_ifdestroy("shmif7"), ENXIO);
	T_EQ(rump_pub_netconfig_ifcreate("shmif3"), 0);
	T_EQ(rump_pub_netconfig_ifcreate("shmif3"), EEXIST);
	ifr_init(&ifr, "shmif3");
	T_ERRNO(rump_sys_ioctl(s, SIOCIFCREATE, &ifr), EEXIST);
	T_OK(rump_sys_ioctl(s, SIOCGIFINDEX, &ifr));
	T_EQ(ifr.ifr_ifindex, 2);
	ifr_init(&ifr, "shmif3");
	T_OK(rump_sys_ioctl(s, SIOCIFDESTROY, &ifr));
	T_ERRNO(rump_sys_ioctl(s, SIOCIFDESTROY, &ifr), ENXIO);
	T_ERRNO(rump_sys_ioctl(s, SIOCGIFINDEX, &ifr), ENODEV);
	ifr_init(&ifr, "bogus1");
	T_ERRNO(rump_sys_ioctl(s, SIOCIFCREATE, &ifr), ENXIO);
	T_OK(rump_sys_close(s));
	leakcheck();
}

static void
mkrt(struct rtentry *rt, const char *dst, const char *mask, const char *gw,
    char *dev, int flags)
{
	memset(rt, 0, sizeof(*rt));
	((struct sockaddr_in *)&rt->rt_dst)->sin_family = AF_INET;
	inet_pton(AF_INET, dst, &((struct sockaddr_in *)&rt->rt_dst)->sin_addr);
	((struct sockaddr_in *)&rt->rt_genmask)->sin_family = AF_INET;
	inet_pton(
	    AF_INET, mask, &((struct sockaddr_in *)&rt->rt_genmask)->sin_addr);
	if (gw != NULL) {
		((struct sockaddr_in *)&rt->rt_gateway)->sin_family = AF_INET;
		inet_pton(AF_INET, gw,
		    &((struct sockaddr_in *)&rt->rt_gateway)->sin_addr);
		flags |= RTF_GATEWAY;
	}
	rt->rt_flags = (unsigned short)(flags | RTF_UP);
	rt->rt_dev = dev;
}

T_CASE(routes, "SIOCADDRT/SIOCDELRT, /proc/net/route, longest prefix wins")
{
	struct rtentry rt;
	char lo[] = "lo0", bad[] = "nope0", buf[4096], name[16];
	int s = boot_sock();

	mkrt(&rt, "10.9.0.0", "255.255.0.0", NULL, lo, 0);
	T_OK(rump_sys_ioctl(s, SIOCADDRT, &rt));
	T_ERRNO(rump_sys_ioctl(s, SIOCADDRT, &rt), EEXIST);
	mkrt(&rt, "10.9.8.0", "255.255.255.0", "127.0.0.2", NULL, 0);
	T_OK(rump_sys_ioctl(s, SIOCADDRT, &rt));
	readfile("/proc/net/route", buf, sizeof(buf));
	T_ASSERT(strncmp(buf,
	             "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse"
	             "\tMetric\tMask\t\tMTU\tWindow\tIRTT",
	             70) == 0);
	T_ASSERT(strstr(buf,
	             "lo0\t0000090A\t00000000\t0001\t0\t0\t0\t0000FFFF"
	             "\t0\t0\t0") != NULL);
	T_ASSERT(
	    strstr(buf, "lo0\t0008090A\t0200007F\t0003\t0\t0\t0\t00FFFFFF") !=
	    NULL);
	/* Every line is 127 characters and a newline, as Linux pads them. */
	for (char *p = buf; *p != '\0';) {
		char *nl = strchr(p, '\n');

		T_ASSERT(nl != NULL);
		T_EQ(nl - p, 127);
		p = nl + 1;
	}
	T_EQ(rump_knet_rt_lookup(0x0a090801, name, sizeof(name)), 0);
	T_EQ(rump_knet_rt_lookup(0x0a090101, name, sizeof(name)), 0);
	T_ASSERT(strcmp(name, "lo0") == 0);
	T_EQ(rump_knet_rt_lookup(0x0b000001, name, sizeof(name)), ENETUNREACH);
	mkrt(&rt, "10.9.8.0", "255.255.255.0", NULL, NULL, 0);
	T_OK(rump_sys_ioctl(s, SIOCDELRT, &rt));
	T_ERRNO(rump_sys_ioctl(s, SIOCDELRT, &rt), ESRCH);
	/* Malformed requests. */
	mkrt(&rt, "10.9.0.1", "255.255.0.0", NULL, lo, 0);
	T_ERRNO(rump_sys_ioctl(s, SIOCADDRT, &rt), EINVAL);
	mkrt(&rt, "10.9.0.0", "255.0.255.0", NULL, lo, 0);
	T_ERRNO(rump_sys_ioctl(s, SIOCADDRT, &rt), EINVAL);
	mkrt(&rt, "10.7.0.0", "255.255.0.0", NULL, bad, 0);
	T_ERRNO(rump_sys_ioctl(s, SIOCADDRT, &rt), ENODEV);
	mkrt(&rt, "10.7.0.0", "255.255.0.0", "192.168.77.1", NULL, 0);
	T_ERRNO(rump_sys_ioctl(s, SIOCADDRT, &rt), ENETUNREACH);
	mkrt(&rt, "10.7.0.0", "255.255.0.0", NULL, lo, 0);
	rt.rt_dst.sa_family = AF_INET6;
	T_ERRNO(rump_sys_ioctl(s, SIOCADDRT, &rt), EAFNOSUPPORT);
	T_ERRNO(rump_sys_ioctl(s, SIOCADDRT, (void *)8), EFAULT);
	/* A host route. */
	mkrt(&rt, "10.9.1.1", "0.0.0.0", NULL, lo, RTF_HOST);
	T_OK(rump_sys_ioctl(s, SIOCADDRT, &rt));
	T_OK(rump_sys_ioctl(s, SIOCDELRT, &rt));
	mkrt(&rt, "10.9.0.0", "255.255.0.0", NULL, NULL, 0);
	T_OK(rump_sys_ioctl(s, SIOCDELRT, &rt));
	T_EQ(rump_knet_rt_lookup(0x0a090101, name, sizeof(name)), ENETUNREACH);
	T_OK(rump_sys_close(s));
	leakcheck();
}

T_CASE(proc_net_dev, "/proc/net/dev has Linux's header and counts lo0")
{
	char buf[4096];
	struct sockaddr_in sin;
	unsigned long long rb, rp, tb, tp;
	int s = boot_sock(), r;
	char *p;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(9);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	T_EQ(
	    rump_sys_sendto(s, "x", 1, 0, (struct sockaddr *)&sin, sizeof(sin)),
	    1);
	usleep(50000);
	readfile("/proc/net/dev", buf, sizeof(buf));
	T_ASSERT(strncmp(buf,
	             "Inter-|   Receive                                       "
	             "         |  Transmit\n"
	             " face |bytes    packets errs drop fifo frame compressed "
	             "multicast|bytes    packets errs drop fifo colls carrier "
	             "compressed\n",
	             strlen("Inter-|   Receive  ")) == 0);
	T_ASSERT((p = strstr(buf, "   lo0: ")) != NULL);
	r = sscanf(p + 8, "%llu %llu %*u %*u %*u %*u %*u %*u %llu %llu", &rb,
	    &rp, &tb, &tp);
	T_EQ(r, 4);
	T_ASSERT(tp >= 1 && rp >= 1 && tb >= 29 && rb >= 29);
	T_OK(rump_sys_close(s));
	leakcheck();
}

T_CASE(pcap_lo0, "a capture of lo0 is a pcap file tcpdump reads")
{
	char path[] = "/tmp/t_if_pcapXXXXXX", cmd[300], out[4096];
	struct sockaddr_in sin;
	uint32_t hdr[6];
	FILE *f;
	size_t n;
	int s = boot_sock(), fd;

	T_OK(fd = mkstemp(path));
	close(fd);
	T_EQ(rump_pub_netconfig_pcap("lo0", path), 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(4242);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	T_EQ(rump_sys_sendto(
	         s, "captured", 8, 0, (struct sockaddr *)&sin, sizeof(sin)),
	    8);
	usleep(50000);
	T_EQ(rump_pub_netconfig_pcap("lo0", NULL), 0);
	T_ASSERT((f = fopen(path, "rb")) != NULL);
	T_EQ(fread(hdr, 4, 6, f), 6);
	fclose(f);
	T_EQ(hdr[0], 0xa1b2c3d4);
	T_EQ(hdr[1], 0x00040002);
	T_EQ(hdr[5], 0); /* LINKTYPE_NULL */
	if (system("tcpdump --version >/dev/null 2>&1") != 0) {
		unlink(path);
		T_SKIP("no tcpdump");
	}
	snprintf(cmd, sizeof(cmd), "tcpdump -n -r %s 2>/dev/null", path);
	T_ASSERT((f = popen(cmd, "r")) != NULL);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	pclose(f);
	unlink(path);
	if (strstr(out, "127.0.0.1") == NULL || strstr(out, "4242") == NULL ||
	    strstr(out, "UDP, length 8") == NULL)
		T_FAIL("tcpdump says: %s", out);
	T_OK(rump_sys_close(s));
	leakcheck();
}
