/*
 * netinet/ip.h — the IPv4 header on the wire (RFC 791).  All multi-byte
 * fields are in network byte order.
 */
#ifndef KERNEL_NETINET_IP_H
#define KERNEL_NETINET_IP_H

#include "sys/linux_net.h"

struct ip {
	uint8_t ip_vhl;     /* version << 4 | header length in 32-bit words */
	uint8_t ip_tos;
	uint16_t ip_len;    /* total length */
	uint16_t ip_id;
	uint16_t ip_off;    /* IP_DF | IP_MF | fragment offset in 8-byte units */
	uint8_t ip_ttl;
	uint8_t ip_p;
	uint16_t ip_sum;
	struct in_addr ip_src, ip_dst;
} __attribute__((__packed__, __aligned__(2)));
#define IP_VERSION(ip) ((ip)->ip_vhl >> 4)
#define IP_HL(ip)      (((ip)->ip_vhl & 0x0f) << 2) /* bytes */
#define IP_DF          0x4000
#define IP_MF          0x2000
#define IP_OFFMASK     0x1fff
#define IP_MAXPACKET   65535
#define IP_DEFTTL      64
#define IP_MINHDR      20

#endif /* KERNEL_NETINET_IP_H */
