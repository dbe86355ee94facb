/*
 * netinet/tcp.h — the TCP header and its options on the wire (RFC 9293,
 * RFC 7323 window scale and timestamps, RFC 2018 SACK).  Multi-byte fields
 * are in network byte order.  The code that uses it is tcp_*.c; the
 * connection state is in tcp_var.h.
 */
#ifndef KERNEL_NETINET_TCP_H
#define KERNEL_NETINET_TCP_H

#include "sys/linux_net.h"

typedef uint32_t tcp_seq;

struct tcphdr {
	uint16_t th_sport;
	uint16_t th_dport;
	tcp_seq th_seq;
	tcp_seq th_ack;
	uint8_t th_offx2; /* data offset in 32-bit words << 4 */
	uint8_t th_flags;
	uint16_t th_win;
	uint16_t th_sum;
	uint16_t th_urp;
} __attribute__((__packed__, __aligned__(2)));
#define TH_OFF(th) (((th)->th_offx2 >> 4) << 2) /* header bytes */

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10
#define TH_URG 0x20
#define TH_ECE 0x40
#define TH_CWR 0x80

#define TCP_MINHDR  20
#define TCP_MAXOLEN 40 /* options after the fixed header */

/* Options. */
#define TCPOPT_EOL             0
#define TCPOPT_NOP             1
#define TCPOPT_MAXSEG          2
#define TCPOLEN_MAXSEG         4
#define TCPOPT_WINDOW          3
#define TCPOLEN_WINDOW         3
#define TCPOPT_SACK_PERMITTED  4
#define TCPOLEN_SACK_PERMITTED 2
#define TCPOPT_SACK            5
#define TCPOLEN_SACK           8 /* per block */
#define TCPOPT_TIMESTAMP       8
#define TCPOLEN_TIMESTAMP      10
#define TCPOLEN_TSTAMP_APPA    12 /* NOP NOP timestamp: the aligned form */

#define TCP_MAXWINSCALE 14 /* RFC 7323 */
#define TCP_MAXWIN      65535
#define TCP_DEFAULT_MSS 536 /* RFC 9293 3.7.1 without an MSS option */

#endif /* KERNEL_NETINET_TCP_H */
