/*
 * ip_reass.c — reassembly of IPv4 fragments addressed to us.
 *
 * A datagram being reassembled is a queue (struct ipq) keyed by source,
 * destination, id and protocol, holding its fragments sorted by offset.
 * Policy, as Linux since 4.19 and RFC 5722 for IPv6: an exact duplicate
 * of a fragment is dropped alone; any other overlap drops the whole
 * datagram (overlaps are how evasion and poisoning attacks work, and no
 * honest sender makes them).  A datagram is given up after 30 seconds
 * (ICMP time exceeded in reassembly if its first fragment came), when it
 * would exceed 64 fragments or IP_MAXPACKET, and the oldest ones go when
 * fragments hold more than 4 MB (down to 3 MB) or there are more than
 * 1024 of them.
 *
 * Locks: ipq_lock (adaptive) guards every queue, the hash, the age list
 * and the totals.  ICMP errors and frees happen after it is dropped.
 */
#include "netinet/ip_var.h"

#define IPQ_HASHSIZE   64
#define IPQ_MAXFRAGS   64
#define IPQ_MAXQUEUES  1024
#define IPQ_TIMEOUT_NS (30ULL * 1000000000ULL)
#define IPQ_MEM_HIGH   (4 * 1024 * 1024)
#define IPQ_MEM_LOW    (3 * 1024 * 1024)

struct ipq_frag {
	int f_off, f_end; /* payload bytes [f_off, f_end) */
	struct mbuf *f_m; /* the fragment with its IP header */
};

struct ipq {
	struct ipq *q_hnext;           /* hash chain */
	struct ipq *q_anext, *q_aprev; /* age list, oldest first */
	in_addr_t q_src, q_dst;
	uint16_t q_id;
	uint8_t q_p;
	uint64_t q_expire; /* monotonic ns */
	int q_total;       /* payload length once the last came, else -1 */
	int q_bytes;       /* payload bytes held */
	size_t q_mem;      /* storage accounted */
	int q_nfrags;
	struct ipq_frag q_frags[IPQ_MAXFRAGS];
};

static kmutex_t ipq_lock;
static struct ipq *ipq_hash[IPQ_HASHSIZE];  /* [ipq_lock] */
static struct ipq *ipq_oldest, *ipq_newest; /* [ipq_lock] age list */
static int ipq_count;                       /* [ipq_lock] */
static size_t ipq_mem;                      /* [ipq_lock] */
static bool ipq_timer_on;                   /* [ipq_lock] */
static struct callout ipq_timer;

static inline unsigned
ipq_hashfn(in_addr_t src, in_addr_t dst, uint16_t id, uint8_t p)
{
	uint32_t h = src ^ (dst * 0x9e3779b1u) ^ ((uint32_t)id << 8 | p);

	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	return h & (IPQ_HASHSIZE - 1);
}

/* Unlinks q from the hash and age list (ipq_lock held). */
static void
ipq_unlink(struct ipq *q)
{
	struct ipq **qp;

	KASSERT(mutex_owned(&ipq_lock));
	for (qp = &ipq_hash[ipq_hashfn(q->q_src, q->q_dst, q->q_id, q->q_p)];
	     *qp != q; qp = &(*qp)->q_hnext)
		KASSERT(*qp != NULL);
	*qp = q->q_hnext;
	if (q->q_aprev != NULL)
		q->q_aprev->q_anext = q->q_anext;
	else
		ipq_oldest = q->q_anext;
	if (q->q_anext != NULL)
		q->q_anext->q_aprev = q->q_aprev;
	else
		ipq_newest = q->q_aprev;
	q->q_anext = q->q_aprev = NULL;
	ipq_count--;
	ipq_mem -= q->q_mem;
}

/* Frees an unlinked queue; with timedout, sends ICMP time exceeded for
 * it first (no lock held). */
static void
ipq_free(struct ipq *q, bool timedout)
{
	if (timedout && q->q_nfrags > 0 && q->q_frags[0].f_off == 0)
		icmp_error(
		    q->q_frags[0].f_m, ICMP_TIMXCEED, ICMP_TIMXCEED_REASS, 0);
	for (int i = 0; i < q->q_nfrags; i++)
		m_freem(q->q_frags[i].f_m);
	kmem_free(q, sizeof(*q));
}

static void
ipq_timeout(void *arg __unused)
{
	struct ipq *q, *expired = NULL;
	uint64_t now = getnanouptime();

	mutex_enter(&ipq_lock);
	while ((q = ipq_oldest) != NULL && q->q_expire <= now) {
		ipq_unlink(q);
		q->q_hnext = expired;
		expired = q;
	}
	if (ipq_oldest != NULL)
		callout_schedule_ns(&ipq_timer, 1000000000ULL);
	else
		ipq_timer_on = false;
	mutex_exit(&ipq_lock);
	while ((q = expired) != NULL) {
		expired = q->q_hnext;
		IN_STATINC(IPS_ReasmTimeout);
		IN_STATINC(IPS_ReasmFails);
		ipq_free(q, true);
	}
}

/* Makes room: unlinks the oldest queues onto *freelist while memory or
 * their number is over the limits (ipq_lock held). */
static void
ipq_evict(struct ipq **freelist, size_t incoming)
{
	struct ipq *q;

	KASSERT(mutex_owned(&ipq_lock));
	if (ipq_mem + incoming <= IPQ_MEM_HIGH && ipq_count < IPQ_MAXQUEUES)
		return;
	while ((q = ipq_oldest) != NULL &&
	    (ipq_mem + incoming > IPQ_MEM_LOW || ipq_count >= IPQ_MAXQUEUES)) {
		ipq_unlink(q);
		q->q_hnext = *freelist;
		*freelist = q;
	}
}

/* The storage a fragment is charged for. */
static size_t
frag_mem(const struct mbuf *m)
{
	size_t mem = 0;

	for (; m != NULL; m = m->m_next)
		mem += MSIZE + ((m->m_flags & M_EXT) ? m->m_ext.ext_size : 0);
	return mem;
}

/* Joins the fragments of complete queue q (unlinked) into one datagram. */
static struct mbuf *
ipq_join(struct ipq *q)
{
	struct mbuf *m = q->q_frags[0].f_m, *n;
	struct ip *ip = mtod(m, struct ip *);
	int hlen = IP_HL(ip), csum = m->m_pkthdr.csum_flags;

	for (int i = 1; i < q->q_nfrags; i++) {
		n = q->q_frags[i].f_m;
		csum &= n->m_pkthdr.csum_flags;
		m_adj(n, IP_HL(mtod(n, struct ip *)));
		m_cat(m, n);
	}
	m->m_pkthdr.len = hlen + q->q_total;
	/* What is left to do of offloads is per fragment, not for the whole. */
	m->m_pkthdr.csum_flags =
	    (uint16_t)((csum & M_CSUM_DATA_OK) | M_CSUM_IPv4_OK);
	ip->ip_len = htons((uint16_t)(hlen + q->q_total));
	ip->ip_off = 0;
	ip->ip_sum = 0;
	ip->ip_sum = in_cksum(m, 0, hlen);
	kmem_free(q, sizeof(*q));
	/*
	 * Fragments often share one big buffer each (a sender's cluster cut
	 * by m_copym): a socket buffer would charge the datagram for every
	 * share.  Such a chain is copied into storage of its own size.
	 */
	if (frag_mem(m) > 2 * (size_t)m->m_pkthdr.len + 4 * MSIZE) {
		struct mbuf *n = m_dup(m, 0, M_COPYALL, M_DONTWAIT);

		if (n != NULL) {
			m_freem(m);
			m = n;
		}
	}
	return m;
}

struct mbuf *
ip_reass(struct mbuf *m, int hlen)
{
	struct ip *ip = mtod(m, struct ip *);
	struct ipq *q, *freelist = NULL, *bad = NULL;
	uint16_t ipoff = ntohs(ip->ip_off);
	int off = (ipoff & IP_OFFMASK) << 3;
	int plen = ntohs(ip->ip_len) - hlen, end = off + plen, i;
	bool more = (ipoff & IP_MF) != 0;
	size_t mem;
	unsigned h;

	/* Every fragment but the last carries a multiple of 8 bytes. */
	if ((more && (plen == 0 || (plen & 7) != 0)) ||
	    hlen + end > IP_MAXPACKET) {
		IN_STATINC(IPS_ReasmFails);
		m_freem(m);
		return NULL;
	}
	mem = frag_mem(m);
	h = ipq_hashfn(
	    ip->ip_src.s_addr, ip->ip_dst.s_addr, ip->ip_id, ip->ip_p);
	mutex_enter(&ipq_lock);
	ipq_evict(&freelist, mem);
	for (q = ipq_hash[h]; q != NULL; q = q->q_hnext)
		if (q->q_src == ip->ip_src.s_addr &&
		    q->q_dst == ip->ip_dst.s_addr && q->q_id == ip->ip_id &&
		    q->q_p == ip->ip_p)
			break;
	if (q == NULL) {
		q = kmem_alloc(sizeof(*q), KM_NOSLEEP);
		if (q == NULL)
			goto drop;
		q->q_src = ip->ip_src.s_addr;
		q->q_dst = ip->ip_dst.s_addr;
		q->q_id = ip->ip_id;
		q->q_p = ip->ip_p;
		q->q_expire = getnanouptime() + IPQ_TIMEOUT_NS;
		q->q_total = -1;
		q->q_bytes = 0;
		q->q_mem = 0;
		q->q_nfrags = 0;
		q->q_hnext = ipq_hash[h];
		ipq_hash[h] = q;
		q->q_anext = NULL;
		q->q_aprev = ipq_newest;
		if (ipq_newest != NULL)
			ipq_newest->q_anext = q;
		else
			ipq_oldest = q;
		ipq_newest = q;
		ipq_count++;
		if (!ipq_timer_on) {
			ipq_timer_on = true;
			callout_schedule_ns(&ipq_timer, 1000000000ULL);
		}
	}

	/* The last fragment fixes the length; nothing may lie beyond it. */
	if (!more) {
		if (q->q_total >= 0 && q->q_total != end)
			goto kill;
		if (q->q_nfrags > 0 && q->q_frags[q->q_nfrags - 1].f_end > end)
			goto kill;
	} else if (q->q_total >= 0 && end > q->q_total)
		goto kill;
	/* Where it goes, and whether it overlaps a neighbour. */
	for (i = 0; i < q->q_nfrags && q->q_frags[i].f_off < off; i++)
		continue;
	if (i < q->q_nfrags && q->q_frags[i].f_off == off &&
	    q->q_frags[i].f_end == end) {
		mutex_exit(&ipq_lock); /* an exact duplicate */
		m_freem(m);
		goto out;
	}
	if ((i > 0 && q->q_frags[i - 1].f_end > off) ||
	    (i < q->q_nfrags && q->q_frags[i].f_off < end) ||
	    (plen == 0 && off != 0))
		goto kill;
	if (q->q_nfrags == IPQ_MAXFRAGS)
		goto kill;
	memmove(&q->q_frags[i + 1], &q->q_frags[i],
	    (size_t)(q->q_nfrags - i) * sizeof(q->q_frags[0]));
	q->q_frags[i].f_off = off;
	q->q_frags[i].f_end = end;
	q->q_frags[i].f_m = m;
	q->q_nfrags++;
	q->q_bytes += plen;
	q->q_mem += mem;
	ipq_mem += mem;
	if (!more)
		q->q_total = end;
	/* No overlaps: as many bytes as the length means no holes. */
	if (q->q_total >= 0 && q->q_bytes == q->q_total) {
		ipq_unlink(q);
		mutex_exit(&ipq_lock);
		IN_STATINC(IPS_ReasmOKs);
		m = ipq_join(q);
		goto done;
	}
	mutex_exit(&ipq_lock);
	m = NULL;
	goto done;

kill:
	ipq_unlink(q);
	bad = q;
drop:
	mutex_exit(&ipq_lock);
	IN_STATINC(IPS_ReasmFails);
	m_freem(m);
out:
	m = NULL;
done:
	if (bad != NULL)
		ipq_free(bad, false);
	while ((q = freelist) != NULL) {
		freelist = q->q_hnext;
		IN_STATINC(IPS_ReasmFails);
		ipq_free(q, false);
	}
	return m;
}

int
ip_reass_count(void)
{
	int n;

	mutex_enter(&ipq_lock);
	n = ipq_count;
	mutex_exit(&ipq_lock);
	return n;
}

void
ip_reass_expire_all(void)
{
	mutex_enter(&ipq_lock);
	for (struct ipq *q = ipq_oldest; q != NULL; q = q->q_anext)
		q->q_expire = 0;
	mutex_exit(&ipq_lock);
	ipq_timeout(NULL);
}

void
ip_reass_init(void)
{
	mutex_init(&ipq_lock, MUTEX_DEFAULT);
	callout_init(&ipq_timer, ipq_timeout, NULL);
}
