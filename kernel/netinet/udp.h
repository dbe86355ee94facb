/*
 * netinet/udp.h — the UDP header on the wire (RFC 768), network order.
 */
#ifndef KERNEL_NETINET_UDP_H
#define KERNEL_NETINET_UDP_H

#include "sys/linux_net.h"

struct udphdr {
	uint16_t uh_sport;
	uint16_t uh_dport;
	uint16_t uh_ulen; /* header and data */
	uint16_t uh_sum;  /* 0: none (IPv4); a computed 0 is sent as 0xffff */
} __attribute__((__packed__, __aligned__(2)));
#define UDP_HDRLEN 8

#endif /* KERNEL_NETINET_UDP_H */
