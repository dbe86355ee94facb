/*
 * if_arp.c — ARP (RFC 826) for IPv4 over Ethernet: the next-hop resolver
 * of ether_output for AF_INET, answering requests for our addresses,
 * learning from replies and requests to us, and gratuitous ARP when an
 * address is added to an interface that is up.
 *
 * The cache is one table of entries keyed by (interface, address), each
 * with a state, as a simplified form of Linux's neighbour states:
 *
 *   INCOMPLETE --reply--> REACHABLE --30 s--> (stale: used, and re-asked)
 *       |                    ^   |                    |
 *       | 3 requests, 1 s    +---+---- reply ---------+
 *       v   apart, no reply            3 requests unanswered: removed
 *   FAILED (3 s: senders get EHOSTUNREACH) --> removed
 *
 * An INCOMPLETE entry holds the last few packets sent to it and sends
 * them when the answer comes; when it fails they are dropped with an
 * ICMP host unreachable to ourselves, which reports EHOSTUNREACH to the
 * sockets that sent them (as Linux's arp_error_report does).
 *
 * Locks: each hash bucket has a mutex guarding its chain and entries.
 * Nothing is sent while one is held: frames and released packets are
 * collected and sent after.  Entries hold their interface; those of an
 * interface that is detached are dropped by the timer.
 */
#include "fs/procfs/procfs.h"
#include "netinet/ip_icmp.h"
#include "netinet/ip_var.h"

#define ARP_HASHSIZE     256
#define ARP_REACHABLE_NS (30ULL * 1000000000ULL)
#define ARP_RETRY_NS     (1000000000ULL)
#define ARP_FAILHOLD_NS  (3ULL * 1000000000ULL)
#define ARP_GC_NS        (60ULL * 1000000000ULL)
#define ARP_MAXTRIES     3
#define ARP_HOLDQ        256  /* packets held per entry (Linux: ~100+) */
#define ARP_HOLDMAX      2048 /* and by all entries together */

#define ARPOP_REQUEST 1
#define ARPOP_REPLY   2

/* The ARP packet for IPv4 over Ethernet. */
struct ether_arp {
	uint16_t ar_hrd; /* ARPHRD_ETHER */
	uint16_t ar_pro; /* ETHERTYPE_IP */
	uint8_t ar_hln;  /* 6 */
	uint8_t ar_pln;  /* 4 */
	uint16_t ar_op;
	uint8_t arp_sha[ETHER_ADDR_LEN];
	uint8_t arp_spa[4];
	uint8_t arp_tha[ETHER_ADDR_LEN];
	uint8_t arp_tpa[4];
} __attribute__((__packed__));
CTASSERT(sizeof(struct ether_arp) == 28);

enum lle_state { LLE_INCOMPLETE, LLE_REACHABLE, LLE_FAILED };

/* [b] the bucket's lock  [I] immutable */
struct llentry {
	struct llentry *la_next;        /* [b] */
	struct ifnet *la_ifp;           /* [I] held */
	in_addr_t la_addr;              /* [I] */
	uint8_t la_mac[ETHER_ADDR_LEN]; /* [b] */
	enum lle_state la_state;        /* [b] */
	uint64_t la_expire;             /* [b] REACHABLE until / FAILED until */
	uint64_t la_lastreq;            /* [b] last request sent */
	int la_asked;                   /* [b] requests since the last answer */
	struct mbufq la_hold;           /* [b] packets waiting (INCOMPLETE) */
};

struct arp_bucket {
	kmutex_t ab_lock;
	struct llentry *ab_head; /* [ab_lock] */
} __cacheline_aligned;

static struct arp_bucket arp_table[ARP_HASHSIZE];
static unsigned arp_nentries;   /* [a] */
static unsigned arp_nheld;      /* [a] packets held by all entries */
static kmutex_t arp_timer_lock; /* spin: arp_timer_on */
static bool arp_timer_on;
static struct callout arp_timer;

static inline struct arp_bucket *
arp_bucket(const struct ifnet *ifp, in_addr_t addr)
{
	uint32_t h = ntohl(addr) * 0x9e3779b1u ^ (uint32_t)ifp->if_index;

	return &arp_table[(h ^ (h >> 16)) & (ARP_HASHSIZE - 1)];
}

static void
arp_timer_start(void)
{
	mutex_enter(&arp_timer_lock);
	if (!arp_timer_on) {
		arp_timer_on = true;
		callout_schedule_ns(&arp_timer, ARP_RETRY_NS);
	}
	mutex_exit(&arp_timer_lock);
}

/* Sends an ARP packet out of ifp (no lock held). */
static void
arp_send(struct ifnet *ifp, int op, in_addr_t spa, in_addr_t tpa,
    const uint8_t *tha, const uint8_t *edst)
{
	struct ether_header *eh;
	struct ether_arp *ea;
	struct mbuf *m;

	m = m_gethdr(M_DONTWAIT, MT_DATA);
	if (m == NULL)
		return;
	m->m_len = m->m_pkthdr.len = ETHER_MIN_LEN;
	memset(mtod(m, char *), 0, ETHER_MIN_LEN);
	eh = mtod(m, struct ether_header *);
	ea = (struct ether_arp *)(eh + 1);
	memcpy(eh->ether_dhost, edst, ETHER_ADDR_LEN);
	memcpy(eh->ether_shost, ifp->if_hwaddr, ETHER_ADDR_LEN);
	eh->ether_type = htons(ETHERTYPE_ARP);
	ea->ar_hrd = htons(ARPHRD_ETHER);
	ea->ar_pro = htons(ETHERTYPE_IP);
	ea->ar_hln = ETHER_ADDR_LEN;
	ea->ar_pln = 4;
	ea->ar_op = htons((uint16_t)op);
	memcpy(ea->arp_sha, ifp->if_hwaddr, ETHER_ADDR_LEN);
	memcpy(ea->arp_spa, &spa, 4);
	if (tha != NULL)
		memcpy(ea->arp_tha, tha, ETHER_ADDR_LEN);
	memcpy(ea->arp_tpa, &tpa, 4);
	if (op == ARPOP_REQUEST)
		IN_STATINC(ARPS_Requests);
	else
		IN_STATINC(ARPS_Replies);
	(void)ether_output_frame(ifp, m);
}

/* A request for addr out of ifp, from our address on it. */
static void
arp_request(struct ifnet *ifp, in_addr_t addr)
{
	struct in_ifaddr *ia;
	in_addr_t src = INADDR_ANY;

	/* Prefer the address of the subnet addr is on. */
	ia = in_ifaddr_onlink(addr);
	if (ia != NULL && ia->ia_ifa.ifa_ifp == ifp)
		src = ia->ia_addr;
	if (ia != NULL)
		ifa_release(&ia->ia_ifa);
	if (src == INADDR_ANY && (ia = in_ifaddr_first(ifp)) != NULL) {
		src = ia->ia_addr;
		ifa_release(&ia->ia_ifa);
	}
	arp_send(ifp, ARPOP_REQUEST, src, addr, NULL, etherbroadcastaddr);
}

static void
lle_free(struct llentry *la)
{
	__atomic_sub_fetch(
	    &arp_nheld, (unsigned)la->la_hold.mq_len, __ATOMIC_RELAXED);
	mbufq_drain(&la->la_hold);
	if_release(la->la_ifp);
	kmem_free(la, sizeof(*la));
	atomic_dec(&arp_nentries);
}

/* Sends the packets that waited for la's answer (no lock held). */
static void
arp_flush_held(struct ifnet *ifp, in_addr_t addr, struct mbuf *list)
{
	struct sockaddr_in sin;
	struct mbuf *m;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = addr;
	while ((m = list) != NULL) {
		list = m->m_nextpkt;
		m->m_nextpkt = NULL;
		(void)ifp->if_output(ifp, m, (struct sockaddr *)&sin, NULL);
	}
}

/* Takes la's held packets as a list (bucket lock held). */
static struct mbuf *
lle_take_held(struct llentry *la)
{
	struct mbuf *head = NULL, **tail = &head, *m;

	while ((m = mbufq_dequeue(&la->la_hold)) != NULL) {
		atomic_dec(&arp_nheld);
		*tail = m;
		tail = &m->m_nextpkt;
	}
	return head;
}

/* Drops packets that could not be delivered, telling their senders. */
static void
arp_fail_held(struct mbuf *list)
{
	struct mbuf *m;

	while ((m = list) != NULL) {
		list = m->m_nextpkt;
		m->m_nextpkt = NULL;
		icmp_error(m, ICMP_UNREACH, ICMP_UNREACH_HOST, 0);
		IN_STATINC(ARPS_Drops);
		m_freem(m);
	}
}

static int
arpresolve(struct ifnet *ifp, struct mbuf *m, const struct sockaddr *dst,
    struct rtentry *rt __unused, uint8_t *enaddr)
{
	in_addr_t addr = ((const struct sockaddr_in *)dst)->sin_addr.s_addr;
	struct arp_bucket *b;
	struct llentry *la;
	uint64_t now;
	bool ask = false;
	int error;

	if ((m->m_flags & M_BCAST) || addr == INADDR_BROADCAST ||
	    (ifp->if_flags & IFF_NOARP)) {
		memcpy(enaddr, etherbroadcastaddr, ETHER_ADDR_LEN);
		return 0;
	}
	if ((m->m_flags & M_MCAST) || IN_MULTICAST(addr)) {
		uint32_t a = ntohl(addr);

		enaddr[0] = 0x01;
		enaddr[1] = 0x00;
		enaddr[2] = 0x5e;
		enaddr[3] = (uint8_t)((a >> 16) & 0x7f);
		enaddr[4] = (uint8_t)(a >> 8);
		enaddr[5] = (uint8_t)a;
		return 0;
	}
	b = arp_bucket(ifp, addr);
	now = getnanouptime();
	mutex_enter(&b->ab_lock);
	for (la = b->ab_head; la != NULL; la = la->la_next)
		if (la->la_addr == addr && la->la_ifp == ifp)
			break;
	if (__predict_true(la != NULL && la->la_state == LLE_REACHABLE)) {
		memcpy(enaddr, la->la_mac, ETHER_ADDR_LEN);
		if (__predict_false(now >= la->la_expire) &&
		    now - la->la_lastreq >= ARP_RETRY_NS) {
			/* Stale: keep using it, but ask again. */
			la->la_lastreq = now;
			la->la_asked++;
			ask = true;
		}
		mutex_exit(&b->ab_lock);
		if (ask) {
			arp_request(ifp, addr);
			arp_timer_start();
		}
		return 0;
	}
	if (la != NULL && la->la_state == LLE_FAILED) {
		if (now < la->la_expire) {
			mutex_exit(&b->ab_lock);
			return EHOSTUNREACH; /* m is the caller's */
		}
		la->la_state = LLE_INCOMPLETE;
		la->la_asked = 0;
		la->la_lastreq = 0;
	}
	if (la == NULL) {
		la = kmem_zalloc(sizeof(*la), KM_NOSLEEP);
		if (la == NULL) {
			mutex_exit(&b->ab_lock);
			return ENOBUFS;
		}
		if_hold(ifp);
		la->la_ifp = ifp;
		la->la_addr = addr;
		la->la_state = LLE_INCOMPLETE;
		mbufq_init(&la->la_hold, ARP_HOLDQ);
		la->la_next = b->ab_head;
		b->ab_head = la;
		atomic_inc(&arp_nentries);
	}
	/* INCOMPLETE: hold the packet, dropping the oldest if full. */
	if (la->la_hold.mq_len >= ARP_HOLDQ ||
	    (atomic_load_relaxed(&arp_nheld) >= ARP_HOLDMAX &&
	        la->la_hold.mq_len > 0)) {
		m_freem(mbufq_dequeue(&la->la_hold));
		atomic_dec(&arp_nheld);
		IN_STATINC(ARPS_Drops);
	}
	if (mbufq_enqueue(&la->la_hold, m) == 0)
		atomic_inc(&arp_nheld);
	else {
		IN_STATINC(ARPS_Drops);
		m_freem(m);
	}
	/*
	 * The first request goes out at once: la_lastreq is 0 then, and the
	 * uptime may still be below the retry interval just after boot.
	 */
	if ((la->la_asked == 0 || now - la->la_lastreq >= ARP_RETRY_NS) &&
	    la->la_asked < ARP_MAXTRIES) {
		la->la_lastreq = now;
		la->la_asked++;
		ask = true;
	}
	mutex_exit(&b->ab_lock);
	if (ask)
		arp_request(ifp, addr);
	arp_timer_start();
	error = EWOULDBLOCK;
	return error;
}

static void
arp_timeout(void *arg __unused)
{
	struct llentry *dead = NULL, *la, **lap;
	struct mbuf *failed = NULL, **ftail = &failed;
	struct {
		struct ifnet *ifp;
		in_addr_t addr;
	} ask[32];
	int nask = 0;
	uint64_t now = getnanouptime();

	for (int i = 0; i < ARP_HASHSIZE; i++) {
		struct arp_bucket *b = &arp_table[i];

		if (atomic_load_relaxed(&b->ab_head) == NULL)
			continue;
		mutex_enter(&b->ab_lock);
		for (lap = &b->ab_head; (la = *lap) != NULL;) {
			bool remove = false, retry = false;

			if (atomic_load_relaxed(&la->la_ifp->if_detached))
				remove = true;
			else if (la->la_state == LLE_FAILED)
				remove = now >= la->la_expire;
			else if (now - la->la_lastreq < ARP_RETRY_NS)
				;
			else if (la->la_state == LLE_INCOMPLETE) {
				if (la->la_asked < ARP_MAXTRIES)
					retry = true;
				else {
					struct mbuf *h = lle_take_held(la);

					*ftail = h;
					while (*ftail != NULL)
						ftail = &(*ftail)->m_nextpkt;
					la->la_state = LLE_FAILED;
					la->la_expire = now + ARP_FAILHOLD_NS;
				}
			} else if (now >= la->la_expire) {
				/* REACHABLE gone stale: re-asked on use. */
				if (la->la_asked >= ARP_MAXTRIES)
					remove = true;
				else if (la->la_asked > 0)
					retry = true;
				else if (now >= la->la_expire + ARP_GC_NS)
					remove = true;
			}
			if (retry && nask < (int)nitems(ask)) {
				la->la_lastreq = now;
				la->la_asked++;
				ask[nask].ifp = la->la_ifp;
				ask[nask].addr = la->la_addr;
				if_hold(la->la_ifp);
				nask++;
			}
			if (remove) {
				*lap = la->la_next;
				la->la_next = dead;
				dead = la;
			} else
				lap = &la->la_next;
		}
		mutex_exit(&b->ab_lock);
	}
	for (int i = 0; i < nask; i++) {
		arp_request(ask[i].ifp, ask[i].addr);
		if_release(ask[i].ifp);
	}
	arp_fail_held(failed);
	while ((la = dead) != NULL) {
		dead = la->la_next;
		lle_free(la);
	}
	mutex_enter(&arp_timer_lock);
	if (atomic_load_relaxed(&arp_nentries) > 0)
		callout_schedule_ns(&arp_timer, ARP_RETRY_NS);
	else
		arp_timer_on = false;
	mutex_exit(&arp_timer_lock);
}

static void
arp_input(struct ifnet *ifp, struct mbuf *m)
{
	struct ether_arp *ea;
	struct arp_bucket *b;
	struct llentry *la;
	struct mbuf *held = NULL;
	uint8_t sha[ETHER_ADDR_LEN];
	in_addr_t spa, tpa;
	bool forus;
	int op;

	if (m->m_pkthdr.len < (int)sizeof(*ea))
		goto drop;
	if (m->m_len < (int)sizeof(*ea) &&
	    (m = m_pullup(m, (int)sizeof(*ea))) == NULL)
		return;
	ea = mtod(m, struct ether_arp *);
	if (ea->ar_hrd != htons(ARPHRD_ETHER) ||
	    ea->ar_pro != htons(ETHERTYPE_IP) || ea->ar_hln != ETHER_ADDR_LEN ||
	    ea->ar_pln != 4)
		goto drop;
	op = ntohs(ea->ar_op);
	if (op != ARPOP_REQUEST && op != ARPOP_REPLY)
		goto drop;
	memcpy(sha, ea->arp_sha, ETHER_ADDR_LEN);
	memcpy(&spa, ea->arp_spa, 4);
	memcpy(&tpa, ea->arp_tpa, 4);
	/* Our own, or from a broadcast or multicast hardware address. */
	if (memcmp(sha, ifp->if_hwaddr, ETHER_ADDR_LEN) == 0 || (sha[0] & 1))
		goto drop;
	if (IN_MULTICAST(tpa) || IN_LOOPBACK(tpa))
		goto drop;
	forus = in_ifaddr_islocal(tpa);
	if (spa == INADDR_ANY) {
		/* An address probe (RFC 5227): defend ours, learn nothing. */
		if (op == ARPOP_REQUEST && forus)
			arp_send(ifp, ARPOP_REPLY, tpa, spa, sha, sha);
		goto drop;
	}
	if (in_ifaddr_islocal(spa)) {
		printf("netinet: %s: %02x:%02x:%02x:%02x:%02x:%02x claims one "
		       "of our addresses\n",
		    ifp->if_xname, sha[0], sha[1], sha[2], sha[3], sha[4],
		    sha[5]);
		goto reply;
	}
	if (IN_MULTICAST(spa) || spa == INADDR_BROADCAST)
		goto drop;

	b = arp_bucket(ifp, spa);
	mutex_enter(&b->ab_lock);
	for (la = b->ab_head; la != NULL; la = la->la_next)
		if (la->la_addr == spa && la->la_ifp == ifp)
			break;
	if (la == NULL && forus) {
		la = kmem_zalloc(sizeof(*la), KM_NOSLEEP);
		if (la != NULL) {
			if_hold(ifp);
			la->la_ifp = ifp;
			la->la_addr = spa;
			mbufq_init(&la->la_hold, ARP_HOLDQ);
			la->la_next = b->ab_head;
			b->ab_head = la;
			atomic_inc(&arp_nentries);
		}
	}
	if (la != NULL) {
		memcpy(la->la_mac, sha, ETHER_ADDR_LEN);
		la->la_state = LLE_REACHABLE;
		la->la_expire = getnanouptime() + ARP_REACHABLE_NS;
		la->la_asked = 0;
		held = lle_take_held(la);
	}
	mutex_exit(&b->ab_lock);
	if (la != NULL)
		arp_timer_start();
	if (held != NULL)
		arp_flush_held(ifp, spa, held);
reply:
	if (op == ARPOP_REQUEST && forus)
		arp_send(ifp, ARPOP_REPLY, tpa, spa, sha, sha);
drop:
	m_freem(m);
}

void
arp_ifaddr_added(struct in_ifaddr *ia)
{
	struct ifnet *ifp = ia->ia_ifa.ifa_ifp;

	if (ifp->if_type != ARPHRD_ETHER || !(ifp->if_flags & IFF_UP) ||
	    (ifp->if_flags & IFF_NOARP))
		return;
	arp_send(ifp, ARPOP_REQUEST, ia->ia_addr, ia->ia_addr, NULL,
	    etherbroadcastaddr);
}

void
arp_purge_ifp(struct ifnet *ifp)
{
	struct llentry *dead = NULL, *la, **lap;

	for (int i = 0; i < ARP_HASHSIZE; i++) {
		struct arp_bucket *b = &arp_table[i];

		mutex_enter(&b->ab_lock);
		for (lap = &b->ab_head; (la = *lap) != NULL;) {
			if (la->la_ifp == ifp) {
				*lap = la->la_next;
				la->la_next = dead;
				dead = la;
			} else
				lap = &la->la_next;
		}
		mutex_exit(&b->ab_lock);
	}
	while ((la = dead) != NULL) {
		dead = la->la_next;
		lle_free(la);
	}
}

static int
arp_procfs(void *arg __unused, struct pfs_buf *b)
{
	pfs_printf(b,
	    "IP address       HW type     Flags       HW address  "
	    "          Mask     Device\n");
	for (int i = 0; i < ARP_HASHSIZE; i++) {
		struct arp_bucket *bk = &arp_table[i];
		struct llentry *la;

		mutex_enter(&bk->ab_lock);
		for (la = bk->ab_head; la != NULL; la = la->la_next) {
			uint32_t a = ntohl(la->la_addr);
			char ip[16], hw[18];
			const uint8_t *e = la->la_mac;
			bool complete = la->la_state == LLE_REACHABLE;

			snprintf(ip, sizeof(ip), "%u.%u.%u.%u", a >> 24,
			    (a >> 16) & 255, (a >> 8) & 255, a & 255);
			snprintf(hw, sizeof(hw),
			    "%02x:%02x:%02x:%02x:%02x:%02x",
			    complete ? e[0] : 0, complete ? e[1] : 0,
			    complete ? e[2] : 0, complete ? e[3] : 0,
			    complete ? e[4] : 0, complete ? e[5] : 0);
			pfs_printf(b, "%-16s 0x%-10x0x%-10x%-17s     %-8s %s\n",
			    ip, ARPHRD_ETHER, complete ? 0x2 : 0x0, hw, "*",
			    la->la_ifp->if_xname);
		}
		mutex_exit(&bk->ab_lock);
	}
	return 0;
}

void
arp_init(void)
{
	for (int i = 0; i < ARP_HASHSIZE; i++)
		mutex_init(&arp_table[i].ab_lock, MUTEX_DEFAULT);
	mutex_init(&arp_timer_lock, MUTEX_SPIN);
	callout_init(&arp_timer, arp_timeout, NULL);
	ether_register_input(ETHERTYPE_ARP, arp_input);
	ether_register_resolver(AF_INET, arpresolve);
	procfs_register("net/arp", arp_procfs, NULL, NULL);
}

RUMP_COMPONENT(RUMP_COMPONENT_NET)
{
	arp_init();
}
