/*
 * if_loop.c — the loopback interface lo0, made at boot (the first
 * interface: index 1), up, MTU 65536.
 *
 * A packet sent on lo0 gets a 4-byte header with its family in host
 * order (the layout of pcap's LINKTYPE_NULL) and goes on a queue; a
 * softint takes it off and hands it to the family's input.  The sender
 * therefore never runs the receiving side's input in its own call, with
 * its own socket lock held.  One softint instance drains the queue at a
 * time (lo_running), so packets keep their order.
 */
#include "net/net_impl.h"

#define LO_MTU  65536
#define LO_QMAX 2048

struct ifnet *lo0_ifp;

static kmutex_t lo_lock;
static struct mbufq lo_queue; /* [lo_lock] */
static bool lo_running;       /* [lo_lock] a softint is draining */
static struct softint *lo_si;

static void
lo_softint(void *arg)
{
	struct ifnet *ifp = arg;
	struct mbuf *m, *list;
	uint32_t af;

	mutex_enter(&lo_lock);
	if (lo_running) {
		mutex_exit(&lo_lock);
		return;
	}
	lo_running = true;
	for (;;) {
		list = lo_queue.mq_head;
		if (list == NULL)
			break;
		lo_queue.mq_head = lo_queue.mq_tail = NULL;
		lo_queue.mq_len = 0;
		mutex_exit(&lo_lock);
		while ((m = list) != NULL) {
			list = m->m_nextpkt;
			m->m_nextpkt = NULL;
			m_copydata(m, 0, sizeof(af), &af);
			m_adj(m, sizeof(af));
			if_addstat(ifp, ifs_ipackets, 1);
			if_addstat(ifp, ifs_ibytes, (uint64_t)m->m_pkthdr.len);
			m->m_pkthdr.rcvtime_ns = getnanouptime();
			if_af_input((int)af, ifp, m);
		}
		mutex_enter(&lo_lock);
	}
	lo_running = false;
	mutex_exit(&lo_lock);
}

static int
lo_output(struct ifnet *ifp, struct mbuf *m, const struct sockaddr *dst,
    struct rtentry *rt __unused)
{
	uint32_t af = dst->sa_family;
	int len, error = 0;
	bool kick;

	if (!(atomic_load_relaxed(&ifp->if_flags) & IFF_UP)) {
		m_freem(m);
		return ENETDOWN;
	}
	KASSERT(m->m_flags & M_PKTHDR);
	len = m->m_pkthdr.len;
	M_PREPEND(m, (int)sizeof(af), M_DONTWAIT);
	if (m == NULL) {
		if_addstat(ifp, ifs_oqdrops, 1);
		return ENOBUFS;
	}
	memcpy(mtod(m, void *), &af, sizeof(af));
	m->m_pkthdr.rcvif = ifp;
	m->m_pkthdr.csum_flags |= M_CSUM_IPv4_OK | M_CSUM_DATA_OK;
	m->m_flags |= M_LOOP;
	if (atomic_load_relaxed(&ifp->if_pcap) != NULL)
		if_pcap_tap(ifp, m);
	mutex_enter(&lo_lock);
	if (mbufq_enqueue(&lo_queue, m) != 0) {
		error = ENOBUFS;
		kick = false;
	} else {
		kick = !lo_running && lo_queue.mq_len == 1;
	}
	mutex_exit(&lo_lock);
	if (error) {
		if_addstat(ifp, ifs_oqdrops, 1);
		m_freem(m);
		return error;
	}
	if_addstat(ifp, ifs_opackets, 1);
	if_addstat(ifp, ifs_obytes, (uint64_t)len);
	if (kick)
		softint_schedule(lo_si);
	return 0;
}

static int
lo_ioctl(struct ifnet *ifp __unused, unsigned long cmd, void *data)
{
	struct ifreq *ifr = data;

	if (cmd == SIOCSIFMTU)
		return ifr->ifr_mtu < 68 || ifr->ifr_mtu > LO_MTU ? EINVAL : 0;
	return ENOTTY;
}

RUMP_COMPONENT(RUMP_COMPONENT_NET_IF)
{
	struct ifnet *ifp = kmem_zalloc(sizeof(*ifp), KM_SLEEP);

	if (ifp == NULL)
		panic("lo0: no memory");
	mutex_init(&lo_lock, MUTEX_DEFAULT);
	mbufq_init(&lo_queue, LO_QMAX);
	if ((lo_si = softint_establish(lo_softint, ifp)) == NULL)
		panic("lo0: no softint");
	strlcpy(ifp->if_xname, "lo0", IFNAMSIZ);
	ifp->if_type = ARPHRD_LOOPBACK;
	ifp->if_mtu = LO_MTU;
	ifp->if_flags = IFF_UP | IFF_LOOPBACK | IFF_RUNNING;
	/* Nothing on the loopback is ever corrupted: checksums left partial
	 * stay so (and input takes them as verified), as Linux's lo. */
	ifp->if_capenable = IFCAP_CSUM_IPv4 | IFCAP_CSUM_IPv6;
	ifp->if_output = lo_output;
	ifp->if_ioctl = lo_ioctl;
	if (if_attach(ifp) != 0)
		panic("lo0: cannot attach");
	lo0_ifp = ifp;
}
