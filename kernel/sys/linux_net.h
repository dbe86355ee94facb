/*
 * sys/linux_net.h — the Linux userspace ABI of sockets, interfaces and
 * routes (x86-64 layouts): the values and structures that cross
 * rump_sys_socket(), setsockopt(), the SIOC* ioctls and friends.  Callers
 * use their host's <sys/socket.h>, <netinet/in.h>, <net/if.h> and
 * <linux/route.h> with the same values.  Wire formats of the protocols
 * live in the protocols' own headers (netinet/ip.h, netinet/tcp.h, ...).
 */
#ifndef KERNEL_SYS_LINUX_NET_H
#define KERNEL_SYS_LINUX_NET_H

#include "linux_abi.h"


typedef uint16_t sa_family_t;
typedef uint16_t in_port_t;
typedef uint32_t in_addr_t;

/* <sys/socket.h> */
#define AF_UNSPEC  0
#define AF_UNIX    1
#define AF_LOCAL   AF_UNIX
#define AF_INET    2
#define AF_INET6   10
#define AF_NETLINK 16
#define AF_PACKET  17
#define AF_MAX     46
#define PF_UNSPEC  AF_UNSPEC
#define PF_UNIX    AF_UNIX
#define PF_INET    AF_INET
#define PF_INET6   AF_INET6

#define SOCK_STREAM    1
#define SOCK_DGRAM     2
#define SOCK_RAW       3
#define SOCK_SEQPACKET 5
#define SOCK_TYPE_MASK 0xf
#define SOCK_NONBLOCK  O_NONBLOCK
#define SOCK_CLOEXEC   O_CLOEXEC

#define SOL_SOCKET 1
#define SOL_IP     0
#define SOL_TCP    6
#define SOL_UDP    17
#define SOL_IPV6   41
#define SOL_RAW    255

#define SO_DEBUG       1
#define SO_REUSEADDR   2
#define SO_TYPE        3
#define SO_ERROR       4
#define SO_DONTROUTE   5
#define SO_BROADCAST   6
#define SO_SNDBUF      7
#define SO_RCVBUF      8
#define SO_KEEPALIVE   9
#define SO_OOBINLINE   10
#define SO_NO_CHECK    11
#define SO_PRIORITY    12
#define SO_LINGER      13
#define SO_REUSEPORT   15
#define SO_PASSCRED    16
#define SO_PEERCRED    17
#define SO_RCVLOWAT    18
#define SO_SNDLOWAT    19
#define SO_RCVTIMEO    20 /* struct timeval (64-bit time_t: the "old" number) */
#define SO_SNDTIMEO    21
#define SO_TIMESTAMP   29
#define SO_ACCEPTCONN  30
#define SO_SNDBUFFORCE 32
#define SO_RCVBUFFORCE 33
#define SO_PROTOCOL    38
#define SO_DOMAIN      39
#define SO_RCVTIMEO_NEW 66
#define SO_SNDTIMEO_NEW 67

#define MSG_OOB          0x01
#define MSG_PEEK         0x02
#define MSG_DONTROUTE    0x04
#define MSG_CTRUNC       0x08
#define MSG_TRUNC        0x20
#define MSG_DONTWAIT     0x40
#define MSG_EOR          0x80
#define MSG_WAITALL      0x100
#define MSG_ERRQUEUE     0x2000
#define MSG_NOSIGNAL     0x4000
#define MSG_MORE         0x8000
#define MSG_WAITFORONE   0x10000
#define MSG_CMSG_CLOEXEC 0x40000000

#define SHUT_RD   0
#define SHUT_WR   1
#define SHUT_RDWR 2

#define SCM_RIGHTS      1
#define SCM_CREDENTIALS 2
#define SCM_TIMESTAMP   SO_TIMESTAMP

#define SOMAXCONN 4096

struct sockaddr {
	sa_family_t sa_family;
	char sa_data[14];
};
struct sockaddr_storage {
	sa_family_t ss_family;
	char ss_data[126];
} __attribute__((__aligned__(8)));
struct linger {
	int l_onoff;
	int l_linger;
};
struct ucred {
	int32_t pid;
	uint32_t uid;
	uint32_t gid;
};
struct msghdr {
	void *msg_name;
	socklen_t msg_namelen;
	struct iovec *msg_iov;
	size_t msg_iovlen;
	void *msg_control;
	size_t msg_controllen;
	int msg_flags;
};
struct mmsghdr {
	struct msghdr msg_hdr;
	unsigned int msg_len;
};
struct cmsghdr {
	size_t cmsg_len;
	int cmsg_level;
	int cmsg_type;
};
#define CMSG_ALIGN(len) (((len) + sizeof(size_t) - 1) & ~(sizeof(size_t) - 1))
#define CMSG_SPACE(len) (CMSG_ALIGN(len) + CMSG_ALIGN(sizeof(struct cmsghdr)))
#define CMSG_LEN(len)   (CMSG_ALIGN(sizeof(struct cmsghdr)) + (len))
#define CMSG_DATA(c)    ((unsigned char *)(c) + CMSG_ALIGN(sizeof(struct cmsghdr)))

/* <sys/un.h> */
struct sockaddr_un {
	sa_family_t sun_family;
	char sun_path[108];
};

/* <netinet/in.h> */
#define IPPROTO_IP      0
#define IPPROTO_ICMP    1
#define IPPROTO_IGMP    2
#define IPPROTO_TCP     6
#define IPPROTO_UDP     17
#define IPPROTO_IPV6    41
#define IPPROTO_ICMPV6  58
#define IPPROTO_RAW     255
#define IPPROTO_MAX     256

struct in_addr {
	in_addr_t s_addr; /* network byte order */
};
struct sockaddr_in {
	sa_family_t sin_family;
	in_port_t sin_port; /* network byte order */
	struct in_addr sin_addr;
	uint8_t sin_zero[8];
};
struct in6_addr {
	union {
		uint8_t u6_addr8[16];
		uint16_t u6_addr16[8];
		uint32_t u6_addr32[4];
	} in6_u;
};
#define s6_addr in6_u.u6_addr8
struct sockaddr_in6 {
	sa_family_t sin6_family;
	in_port_t sin6_port;
	uint32_t sin6_flowinfo;
	struct in6_addr sin6_addr;
	uint32_t sin6_scope_id;
};
struct ip_mreq {
	struct in_addr imr_multiaddr;
	struct in_addr imr_interface;
};
struct ip_mreqn {
	struct in_addr imr_multiaddr;
	struct in_addr imr_address;
	int imr_ifindex;
};
struct in_pktinfo {
	int ipi_ifindex;
	struct in_addr ipi_spec_dst;
	struct in_addr ipi_addr;
};

#define INADDR_ANY       ((in_addr_t)0x00000000)
#define INADDR_BROADCAST ((in_addr_t)0xffffffff)
#define INADDR_LOOPBACK  ((in_addr_t)0x7f000001) /* host order */

#define IP_TOS             1
#define IP_TTL             2
#define IP_HDRINCL         3
#define IP_OPTIONS         4
#define IP_RECVOPTS        6
#define IP_PKTINFO         8
#define IP_MTU_DISCOVER    10
#define IP_RECVERR         11
#define IP_RECVTTL         12
#define IP_RECVTOS         13
#define IP_MTU             14
#define IP_MULTICAST_IF    32
#define IP_MULTICAST_TTL   33
#define IP_MULTICAST_LOOP  34
#define IP_ADD_MEMBERSHIP  35
#define IP_DROP_MEMBERSHIP 36

/* <netinet/tcp.h> */
#define TCP_NODELAY    1
#define TCP_MAXSEG     2
#define TCP_CORK       3
#define TCP_KEEPIDLE   4
#define TCP_KEEPINTVL  5
#define TCP_KEEPCNT    6
#define TCP_SYNCNT     7
#define TCP_LINGER2    8
#define TCP_DEFER_ACCEPT 9
#define TCP_WINDOW_CLAMP 10
#define TCP_INFO       11
#define TCP_QUICKACK   12
#define TCP_CONGESTION 13

/* <net/if.h> */
#define IFNAMSIZ 16
#define IFF_UP          0x1
#define IFF_BROADCAST   0x2
#define IFF_DEBUG       0x4
#define IFF_LOOPBACK    0x8
#define IFF_POINTOPOINT 0x10
#define IFF_NOTRAILERS  0x20
#define IFF_RUNNING     0x40
#define IFF_NOARP       0x80
#define IFF_PROMISC     0x100
#define IFF_ALLMULTI    0x200
#define IFF_MULTICAST   0x1000
#define IFF_LOWER_UP    0x10000

struct ifmap {
	unsigned long mem_start;
	unsigned long mem_end;
	unsigned short base_addr;
	unsigned char irq;
	unsigned char dma;
	unsigned char port;
};
struct ifreq {
	char ifr_name[IFNAMSIZ];
	union {
		struct sockaddr ifru_addr;
		struct sockaddr ifru_dstaddr;
		struct sockaddr ifru_broadaddr;
		struct sockaddr ifru_netmask;
		struct sockaddr ifru_hwaddr;
		short ifru_flags;
		int ifru_ivalue;
		int ifru_mtu;
		struct ifmap ifru_map;
		char ifru_slave[IFNAMSIZ];
		char ifru_newname[IFNAMSIZ];
		void *ifru_data;
	} ifr_ifru;
};
#define ifr_addr    ifr_ifru.ifru_addr
#define ifr_dstaddr ifr_ifru.ifru_dstaddr
#define ifr_broadaddr ifr_ifru.ifru_broadaddr
#define ifr_netmask ifr_ifru.ifru_netmask
#define ifr_hwaddr  ifr_ifru.ifru_hwaddr
#define ifr_flags   ifr_ifru.ifru_flags
#define ifr_ifindex ifr_ifru.ifru_ivalue
#define ifr_metric  ifr_ifru.ifru_ivalue
#define ifr_mtu     ifr_ifru.ifru_mtu
#define ifr_data    ifr_ifru.ifru_data
struct ifconf {
	int ifc_len;
	union {
		char *ifcu_buf;
		struct ifreq *ifcu_req;
	} ifc_ifcu;
};

/* <net/if_arp.h> */
#define ARPHRD_ETHER    1
#define ARPHRD_LOOPBACK 772
#define ARPHRD_NONE     0xfffe

/* <linux/route.h>, named linux_rtentry here: the kernel's own rtentry is the
 * routing table's entry (net/route.h). */
struct linux_rtentry {
	unsigned long rt_pad1;
	struct sockaddr rt_dst;
	struct sockaddr rt_gateway;
	struct sockaddr rt_genmask;
	unsigned short rt_flags;
	short rt_pad2;
	unsigned long rt_pad3;
	void *rt_pad4;
	short rt_metric;
	char *rt_dev;
	unsigned long rt_mtu;
	unsigned long rt_window;
	unsigned short rt_irtt;
};
#define RTF_UP      0x0001
#define RTF_GATEWAY 0x0002
#define RTF_HOST    0x0004
#define RTF_REINSTATE 0x0008
#define RTF_DYNAMIC 0x0010
#define RTF_MODIFIED 0x0020
#define RTF_MTU     0x0040
#define RTF_REJECT  0x0200

/* ioctls on sockets (<linux/sockios.h>, <asm-generic/ioctls.h>). */
#define FIONREAD       0x541B
#define FIONBIO        0x5421
#define FIOASYNC       0x5452
#define SIOCOUTQ       0x5411 /* = TIOCOUTQ */
#define SIOCATMARK     0x8905
#define SIOCGSTAMP     0x8906
#define SIOCADDRT      0x890B
#define SIOCDELRT      0x890C
#define SIOCGIFNAME    0x8910
#define SIOCGIFCONF    0x8912
#define SIOCGIFFLAGS   0x8913
#define SIOCSIFFLAGS   0x8914
#define SIOCGIFADDR    0x8915
#define SIOCSIFADDR    0x8916
#define SIOCGIFDSTADDR 0x8917
#define SIOCSIFDSTADDR 0x8918
#define SIOCGIFBRDADDR 0x8919
#define SIOCSIFBRDADDR 0x891a
#define SIOCGIFNETMASK 0x891b
#define SIOCSIFNETMASK 0x891c
#define SIOCGIFMETRIC  0x891d
#define SIOCSIFMETRIC  0x891e
#define SIOCGIFMTU     0x8921
#define SIOCSIFMTU     0x8922
#define SIOCSIFHWADDR  0x8924
#define SIOCGIFHWADDR  0x8927
#define SIOCGIFINDEX   0x8933
#define SIOCDIFADDR    0x8936
/*
 * rumpk's own (in Linux's SIOCDEVPRIVATE range): create and destroy an
 * interface by name (ifr_name: "shmif0", "virt0") and set its link string
 * (ifr_data points to a struct if_linkstr: the shmif bus file, the TAP
 * device name; NULL str unsets it).
 */
#define SIOCSIFLINKSTR 0x89F0
#define SIOCIFCREATE   0x89F1
#define SIOCIFDESTROY  0x89F2
#define SIOCGIFLINKSTR 0x89F3
struct if_linkstr {
	const char *ls_str;
	size_t ls_len; /* without the NUL; at most 4095 */
};

CTASSERT_ABI(sizeof(struct sockaddr_in) == 16);
CTASSERT_ABI(sizeof(struct sockaddr_in6) == 28);
CTASSERT_ABI(sizeof(struct sockaddr_un) == 110);
CTASSERT_ABI(sizeof(struct sockaddr_storage) == 128);
CTASSERT_ABI(sizeof(struct msghdr) == 56);
CTASSERT_ABI(sizeof(struct mmsghdr) == 64);
CTASSERT_ABI(sizeof(struct cmsghdr) == 16);
CTASSERT_ABI(sizeof(struct ifreq) == 40);
CTASSERT_ABI(sizeof(struct ifconf) == 16);
CTASSERT_ABI(sizeof(struct linux_rtentry) == 120);

/* Byte order (x86-64 is little-endian; the wire is big-endian). */
static inline uint16_t
htons(uint16_t x)
{
	return __builtin_bswap16(x);
}
static inline uint32_t
htonl(uint32_t x)
{
	return __builtin_bswap32(x);
}
#define ntohs(x) htons(x)
#define ntohl(x) htonl(x)

#endif /* KERNEL_SYS_LINUX_NET_H */
