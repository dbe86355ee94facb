/*
 * netinet/ip_icmp.h — ICMP messages on the wire (RFC 792), network order.
 * The type and code values of errors that transports see are in in_var.h.
 */
#ifndef KERNEL_NETINET_IP_ICMP_H
#define KERNEL_NETINET_IP_ICMP_H

#include "netinet/ip.h"

struct icmp {
	uint8_t icmp_type;
	uint8_t icmp_code;
	uint16_t icmp_cksum;
	union {
		struct {
			uint16_t id;
			uint16_t seq;
		} ih_idseq;       /* echo, timestamp */
		uint32_t ih_void; /* unused in most errors */
		struct {
			uint16_t pad;
			uint16_t mtu; /* ICMP_UNREACH_NEEDFRAG (RFC 1191) */
		} ih_pmtu;
		uint8_t ih_pptr; /* parameter problem */
	} icmp_hun;
} __attribute__((__packed__, __aligned__(2)));
#define icmp_id      icmp_hun.ih_idseq.id
#define icmp_seq     icmp_hun.ih_idseq.seq
#define icmp_void    icmp_hun.ih_void
#define icmp_nextmtu icmp_hun.ih_pmtu.mtu
#define icmp_pptr    icmp_hun.ih_pptr
#define ICMP_MINLEN  8
/* An error carries the offending IP header and at least 8 bytes of it. */
#define ICMP_ERRLEN (ICMP_MINLEN + IP_MINHDR + 8)

#define ICMP_ECHOREPLY     0
#define ICMP_SOURCEQUENCH  4
#define ICMP_REDIRECT      5
#define ICMP_ECHO          8
#define ICMP_ROUTERADVERT  9
#define ICMP_ROUTERSOLICIT 10
#define ICMP_PARAMPROB     12
#define ICMP_TSTAMP        13
#define ICMP_TSTAMPREPLY   14
#define ICMP_IREQ          15
#define ICMP_IREQREPLY     16
#define ICMP_MASKREQ       17
#define ICMP_MASKREPLY     18
#define ICMP_MAXTYPE       18

/* Unreachable codes beyond those in in_var.h. */
#define ICMP_UNREACH_SRCFAIL           5
#define ICMP_UNREACH_NET_UNKNOWN       6
#define ICMP_UNREACH_HOST_UNKNOWN      7
#define ICMP_UNREACH_ISOLATED          8
#define ICMP_UNREACH_NET_PROHIB        9
#define ICMP_UNREACH_HOST_PROHIB       10
#define ICMP_UNREACH_TOSNET            11
#define ICMP_UNREACH_TOSHOST           12
#define ICMP_UNREACH_FILTER_PROHIB     13
#define ICMP_UNREACH_HOST_PRECEDENCE   14
#define ICMP_UNREACH_PRECEDENCE_CUTOFF 15

/* Is type an error message (RFC 1812: never answer an error with one)? */
static inline bool
icmp_is_error(int type)
{
	return type == 3 /* ICMP_UNREACH */ || type == ICMP_SOURCEQUENCH ||
	    type == ICMP_REDIRECT || type == 11 /* ICMP_TIMXCEED */ ||
	    type == ICMP_PARAMPROB;
}

#endif /* KERNEL_NETINET_IP_ICMP_H */
