/*
 * net/mbuf.h — packet buffers.
 *
 * A packet is a chain of mbufs linked by m_next; the first carries the
 * packet header (M_PKTHDR: total length, receiving interface, checksum
 * state).  Packets in a queue are linked by m_nextpkt of their first mbuf.
 * An mbuf holds its data inside itself (up to MLEN, MHLEN with a header)
 * or in external storage: a cluster of MCLBYTES or a big cluster of
 * MBIGCLBYTES from the mbuf allocator, or a buffer of the caller's with a
 * free function (m_extadd), all reference-counted so that m_copym shares
 * data instead of copying it (TCP keeps its send buffer and hands shared
 * copies to IP for each segment).  Data shared by more than one mbuf is
 * read-only: M_WRITABLE tells whether an mbuf's data may be written.
 *
 * Ownership: a function that takes an mbuf chain consumes it, on success
 * and on failure alike (it is freed or queued), unless its comment says
 * otherwise; m_pullup and friends free the chain when they fail and
 * return NULL.
 *
 * mbufs are allocated from per-CPU caches (kmem); the "how" argument is
 * M_WAIT (may sleep, never fails unless RUMP_MEMLIMIT is hit) or
 * M_DONTWAIT (may return NULL; input paths use it).
 */
#ifndef KERNEL_NET_MBUF_H
#define KERNEL_NET_MBUF_H

#include "kern/kern.h"

#define MSIZE       256   /* an mbuf with its internal storage */
#define MCLBYTES    2048  /* a cluster: one Ethernet frame */
#define MBIGCLBYTES 65536 /* a big cluster: bulk socket data */

#define M_WAIT     0x01
#define M_DONTWAIT 0x02

/* m_flags */
#define M_PKTHDR 0x0001 /* first of a packet: m_pkthdr is valid */
#define M_EXT    0x0002 /* data is in external storage (m_ext) */
#define M_EOR    0x0004 /* end of a record (SOCK_SEQPACKET) */
#define M_BCAST  0x0010 /* received as link-level broadcast */
#define M_MCAST  0x0020 /* received as link-level multicast */
#define M_LOOP   0x0040 /* came back through the loopback */
#define M_PROMISC 0x0080 /* received only because of promiscuous mode */

/* m_type */
#define MT_DATA    1
#define MT_HEADER  2
#define MT_SONAME  3 /* a sockaddr in a receive record */
#define MT_CONTROL 4 /* ancillary data in a receive record */
#define MT_OOBDATA 5

/*
 * Checksum and segmentation offload state (m_pkthdr.csum_flags, with
 * csum_start, csum_offset and gso_size), shared by the protocols, the
 * interfaces and their drivers; the interface side (IFCAP_*) is in if.h.
 *
 * On input, a driver or lo0 says what is already known:
 *   M_CSUM_IPv4_OK   the IPv4 header checksum was verified;
 *   M_CSUM_DATA_OK   the TCP/UDP checksum was verified, or there is none to
 *                    verify because the packet never left this host (lo0,
 *                    a TAP frame the host's own stack made: virtio's
 *                    DATA_VALID and NEEDS_CSUM).  Input skips the check.
 * On output, a protocol leaves work for the interface:
 *   M_CSUM_PARTIAL   the TCP/UDP checksum is not computed: the 16-bit
 *                    field at csum_start + csum_offset (csum_start counted
 *                    from the start of the network header, i.e. the IP
 *                    header length) holds the pseudo-header sum, not
 *                    complemented, and the sum of the bytes from
 *                    csum_start to the end, complemented, belongs there;
 *   M_CSUM_TSOv4/v6  the packet is a TCP segment longer than one: it is to
 *                    be cut into segments of gso_size payload bytes each
 *                    with its own copy of the headers (ids, lengths,
 *                    sequence numbers, flags and checksums made right);
 *                    TCP sends them with M_CSUM_PARTIAL.
 * ip_output hands PARTIAL/TSO packets as they are only to an interface
 * whose if_capenable has the matching IFCAP_*; for any other interface it
 * does the work in software first (in_cksum_finish, ip_gso_segment), so
 * every other interface (shmif) sees finished packets.  A received packet
 * may carry PARTIAL/TSO too (a GRO'd TAP frame, with DATA_OK); a
 * forwarded one keeps them and is finished on the way out the same way.
 */
#define M_CSUM_IPv4_OK 0x01 /* IPv4 header checksum verified */
#define M_CSUM_DATA_OK 0x02 /* TCP/UDP checksum verified or not needed */
#define M_CSUM_PARTIAL 0x04 /* TCP/UDP checksum left to the interface */
#define M_CSUM_TSOv4   0x08 /* TCP/IPv4 to cut into gso_size segments */
#define M_CSUM_TSOv6   0x10 /* TCP/IPv6 likewise (no IPv6 stack yet) */
#define M_CSUM_TSO     (M_CSUM_TSOv4 | M_CSUM_TSOv6)

struct ifnet;

struct pkthdr {
	struct ifnet *rcvif;  /* receiving interface; NULL for output */
	int len;              /* total length of the packet */
	uint16_t csum_flags;  /* M_CSUM_* */
	uint16_t gso_size;    /* M_CSUM_TSO*: payload bytes per segment */
	uint32_t flowid;      /* for spreading work over CPUs */
	uint16_t csum_start;  /* M_CSUM_PARTIAL: from the network header */
	uint16_t csum_offset; /* M_CSUM_PARTIAL: of the field from csum_start */
	uint64_t rcvtime_ns;  /* monotonic time of reception, 0 if unknown */
};

/* External storage: its own buffer, shared by reference count. */
struct m_ext {
	char *ext_buf;
	size_t ext_size;
	unsigned *ext_refcnt; /* [a] number of mbufs sharing ext_buf */
	void (*ext_free)(void *buf, size_t size, void *arg);
	void *ext_arg;
};

struct mbuf {
	struct mbuf *m_next;    /* next mbuf of this packet */
	struct mbuf *m_nextpkt; /* next packet in a queue */
	char *m_data;           /* where the data starts */
	int m_len;              /* bytes of data in this mbuf */
	short m_flags;          /* M_* */
	short m_type;           /* MT_* */
	struct pkthdr m_pkthdr; /* valid with M_PKTHDR */
	struct m_ext m_ext;     /* valid with M_EXT */
	char m_dat[];           /* internal storage up to MSIZE */
};
#define MLEN  ((int)(MSIZE - sizeof(struct mbuf)))
#define MHLEN MLEN /* the header is always present in the layout */

#define mtod(m, t) ((t)((m)->m_data))
/* Storage bounds of m, internal or external. */
#define M_BUFADDR(m) ((m)->m_flags & M_EXT ? (m)->m_ext.ext_buf : (m)->m_dat)
#define M_BUFSIZE(m)                                                           \
	((m)->m_flags & M_EXT ? (int)(m)->m_ext.ext_size : MLEN)
#define M_LEADINGSPACE(m)                                                      \
	(M_WRITABLE(m) ? (int)((m)->m_data - M_BUFADDR(m)) : 0)
#define M_TRAILINGSPACE(m)                                                     \
	(M_WRITABLE(m) ? (int)(M_BUFADDR(m) + M_BUFSIZE(m) -                   \
	                       ((m)->m_data + (m)->m_len))                     \
	               : 0)
#define M_WRITABLE(m)                                                          \
	(!((m)->m_flags & M_EXT) ||                                            \
	    __atomic_load_n((m)->m_ext.ext_refcnt, __ATOMIC_ACQUIRE) == 1)

/* Allocation. */
struct mbuf *m_get(int how, int type);
struct mbuf *m_gethdr(int how, int type);
/* An mbuf (with a header if flags has M_PKTHDR) and a cluster of at least
 * size bytes (MCLBYTES or MBIGCLBYTES). */
struct mbuf *m_getcl(int how, int type, int flags, size_t size);
/* Attaches a caller's buffer as external storage; free(buf, size, arg) runs
 * when the last reference goes. */
void m_extadd(struct mbuf *m, void *buf, size_t size,
    void (*free)(void *, size_t, void *), void *arg);
/* Frees one mbuf and returns its m_next. */
struct mbuf *m_free(struct mbuf *m);
/* Frees a whole chain (NULL is fine). */
void m_freem(struct mbuf *m);
/* Frees a queue of packets linked by m_nextpkt. */
void m_freem_list(struct mbuf *m);

/* Copying. */
/* Copies len bytes at offset off of chain m to buf (must be in range). */
void m_copydata(const struct mbuf *m, int off, int len, void *buf);
/* Writes len bytes at offset off, extending the chain as needed; 0/ENOBUFS.
 * Writing into shared storage copies it first. */
int m_copyback(struct mbuf *m, int off, int len, const void *buf, int how);
/* A new chain referring to len bytes (M_COPYALL: to the end) of m from off,
 * sharing external storage; with off 0 the packet header is copied. */
#define M_COPYALL 1000000000
struct mbuf *m_copym(struct mbuf *m, int off, int len, int how);
/* A full copy of a packet whose data is all writable by the new owner. */
struct mbuf *m_dup(struct mbuf *m, int off, int len, int how);
/* A new packet with a copy of buf (a received frame); off is the space to
 * leave in front. */
struct mbuf *m_devget(
    const void *buf, int len, int off, struct ifnet *ifp, int how);

/* Reshaping. */
/* Makes the first len bytes contiguous in the first mbuf; NULL (chain freed)
 * if the packet is shorter or memory is short. */
struct mbuf *m_pullup(struct mbuf *m, int len);
/* Puts len bytes of writable space in front; NULL (chain freed) on failure. */
struct mbuf *m_prepend(struct mbuf *m, int len, int how);
#define M_PREPEND(m, plen, how)                                                \
	do {                                                                   \
		if (M_LEADINGSPACE(m) >= (plen)) {                             \
			(m)->m_data -= (plen);                                 \
			(m)->m_len += (plen);                                  \
			if ((m)->m_flags & M_PKTHDR)                           \
				(m)->m_pkthdr.len += (plen);                   \
		} else                                                         \
			(m) = m_prepend((m), (plen), (how));                   \
	} while (0)
/* Trims req bytes from the head (req > 0) or the tail (req < 0). */
void m_adj(struct mbuf *m, int req);
/* Appends chain n to m (n's header, if any, is dropped). */
void m_cat(struct mbuf *m, struct mbuf *n);
/* Splits m at len: m keeps the first len bytes, the rest is returned as a
 * new packet (NULL on failure: m unchanged). */
struct mbuf *m_split(struct mbuf *m, int len, int how);
/* Appends len bytes of cp at the end of packet m; 0 or ENOBUFS. */
int m_append(struct mbuf *m, int len, const void *cp);
/* Total data length of a chain (m_pkthdr.len is the cached value). */
int m_length(const struct mbuf *m);
/* Moves the packet header from `from` to `to` (a fresh mbuf). */
void m_move_pkthdr(struct mbuf *to, struct mbuf *from);

/* Queues of packets (m_nextpkt), with a limit. */
struct mbufq {
	struct mbuf *mq_head, *mq_tail;
	int mq_len, mq_maxlen;
};
void mbufq_init(struct mbufq *q, int maxlen);
/* 0, or ENOBUFS when full (m is then NOT consumed: the caller frees it). */
int mbufq_enqueue(struct mbufq *q, struct mbuf *m);
struct mbuf *mbufq_dequeue(struct mbufq *q);
void mbufq_drain(struct mbufq *q);

/* Statistics for leak checks in tests: mbufs and clusters in use. */
void mbuf_stats(uint64_t *mbufs, uint64_t *clusters);

#endif /* KERNEL_NET_MBUF_H */
