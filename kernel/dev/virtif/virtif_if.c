/*
 * virtif_if.c — virt, Ethernet through a host TAP device (NetBSD's
 * virt(4)): the way a rump kernel reaches real hosts.  Interfaces "virtN"
 * come from the cloner "virt".  The link string names the TAP device
 * (default "tun<N>", as NetBSD's virtif on Linux); it is opened when the
 * interface comes up (or when the link string is set) through the host
 * part (virtif_user.c: /dev/net/tun, IFF_TAP | IFF_NO_PI), which needs
 * the host's privileges for TAP devices.  The MAC address is random,
 * b2:a0:xx:xx:xx:xx.
 *
 * The link string is "NAME[,offload=on|off]"; the default of the option
 * is the parameter RUMP_VIRTIF_OFFLOAD (on when unset).  With offloads on
 * and a host that has them, every frame carries a virtio-net header
 * (net/if_vnet.h) and the interface has IFCAP_CSUM_IPv4/6 and
 * IFCAP_TSO4/6: TCP hands it segments of up to 64 KiB with their
 * checksums partial, which the host cuts and sums (or, delivering them to
 * its own stack, takes as they are), and the host hands us its TCP
 * packets coalesced (GRO) up to 64 KiB with checksums marked valid or
 * partial.  With offloads off, or on a host without IFF_VNET_HDR, frames
 * are plain Ethernet and ip_output finishes checksums in software.
 *
 * Sending runs in the caller's thread: the header and the frame's mbufs
 * go to the host as one gathered write.  Receiving runs in one kernel
 * thread per interface: it reads frames while the TAP has any, straight
 * into an mbuf cluster (and, for a frame longer than that, on into a big
 * cluster chained after it), up to a batch, which it then hands to
 * ifp->if_input one after the other; then sleeps in poll() without its
 * virtual CPU.  A frame whose header is malformed is dropped and counted
 * (ifs_ierrors, in /proc/net/dev).  RUMP_VIRTIF_FAULT="drop=P,reorder=P,
 * seed=N" injects loss and reordering on receive, as RUMP_SHMIF_FAULT
 * does for shmif (dev/shmif/if_fault.h).
 *
 * The TAP attachment (struct virtif_att) is referenced by the interface
 * and by the receiver while it reads; the last reference closes it.
 * Locks: sc_attlock (rwlock) guards sc_att (senders: readers; link
 * changes: writer), sc_lock the receiver's state [l], in that order.
 * [I] immutable after creation  [w] sc_attlock  [l] sc_lock
 * [r] the receiver thread  [a] atomic
 */
#include "kern/kern.h"
#include "kern/proc.h"
#include "net/if.h"
#include "net/if_vnet.h"
#include "net/mbuf.h"
#include "dev/shmif/if_fault.h"
#include "dev/virtif/virtif_user.h"

#define VIRTIF_WAIT_MS 1000
#define VIRTIF_ALIGN   2  /* puts the IP header on a 4-byte boundary */
#define VIRTIF_MAXIOV  32 /* mbufs of a frame sent without copying */
#define VIRTIF_MAXMTU  9000
#define VIRTIF_LINKMAX 64           /* a link string: a TAP name and options */
#define VIRTIF_BATCH   16           /* frames read before they go up */
#define VIRTIF_BATCHB  (128 * 1024) /* or bytes */

struct virtif_att {
	unsigned va_refcnt;        /* [a] */
	struct virtif_user *va_vu; /* [I] */
	int va_feat;               /* [I] VIRTIF_F_* negotiated */
};

struct virtif_sc {
	struct ifnet sc_if; /* [I] */
	int sc_unit;        /* [I] */
	krwlock_t sc_attlock;
	struct virtif_att *sc_att; /* [w] and [l] to change */
	char *sc_linkstr;          /* [w] TAP name; NULL: "tun<N>" */

	kmutex_t sc_lock;
	kcondvar_t sc_cv;
	bool sc_running;          /* [l] */
	bool sc_dying;            /* [l] */
	struct lwp *sc_rcvl;      /* [I] */
	struct if_fault sc_fault; /* [r] */
};

static int virtif_clone_create(struct if_cloner *, int, struct ifnet **);
static void virtif_rcv_stop(struct virtif_sc *);
static int virtif_clone_destroy(struct ifnet *);
static struct if_cloner virtif_cloner = {
    .ifc_name = "virt",
    .ifc_create = virtif_clone_create,
    .ifc_destroy = virtif_clone_destroy,
};

static void
virtif_att_release(struct virtif_att *va)
{
	if (atomic_dec(&va->va_refcnt) != 0)
		return;
	rumpcomp_virtif_destroy(va->va_vu);
	kmem_free(va, sizeof(*va));
}

/* Is the offload option's value "on" (true) or "off"; EINVAL if neither. */
static int
virtif_onoff(const char *v, size_t len, bool *onp)
{
	if (len == 2 && strncmp(v, "on", 2) == 0)
		*onp = true;
	else if (len == 3 && strncmp(v, "off", 3) == 0)
		*onp = false;
	else
		return EINVAL;
	return 0;
}

/*
 * Parses link string ls ("NAME[,offload=on|off]", NULL: "tun<unit>") into
 * the TAP name and whether to ask for offloads; EINVAL if malformed.
 */
static int
virtif_parse_link(
    const struct virtif_sc *sc, const char *ls, char *name, bool *offloadp)
{
	char def[8];
	const char *comma;
	size_t nlen;

	*offloadp = true;
	if (kern_getparam("RUMP_VIRTIF_OFFLOAD", def, sizeof(def)) == 0 &&
	    virtif_onoff(def, strlen(def), offloadp) != 0)
		*offloadp = true;
	if (ls == NULL) {
		snprintf(name, IFNAMSIZ, "tun%d", sc->sc_unit);
		return 0;
	}
	comma = strchr(ls, ',');
	nlen = comma != NULL ? (size_t)(comma - ls) : strlen(ls);
	if (nlen == 0 || nlen >= IFNAMSIZ)
		return EINVAL;
	memcpy(name, ls, nlen);
	name[nlen] = '\0';
	while (comma != NULL) {
		const char *opt = comma + 1;
		size_t olen;

		comma = strchr(opt, ',');
		olen = comma != NULL ? (size_t)(comma - opt) : strlen(opt);
		if (olen > 8 && strncmp(opt, "offload=", 8) == 0) {
			if (virtif_onoff(opt + 8, olen - 8, offloadp) != 0)
				return EINVAL;
		} else
			return EINVAL;
	}
	return 0;
}

/* The offloads the interface does with TAP features feat. */
static int
virtif_caps(int feat)
{
	if (!(feat & VIRTIF_F_VNET))
		return 0;
	/* The host takes partial checksums and TSO from any vnet writer. */
	return IFCAP_CSUM_IPv4 | IFCAP_CSUM_IPv6 | IFCAP_TSO4 | IFCAP_TSO6;
}

/* Opens the TAP for sc; called holding sc_attlock as writer. */
static int
virtif_open(struct virtif_sc *sc)
{
	struct virtif_att *va;
	char name[IFNAMSIZ];
	bool offload;
	int error;

	KASSERT(rw_write_held(&sc->sc_attlock));
	if (sc->sc_att != NULL)
		return 0;
	if ((error = virtif_parse_link(sc, sc->sc_linkstr, name, &offload)) !=
	    0)
		return error;
	if ((va = kmem_zalloc(sizeof(*va), KM_SLEEP)) == NULL)
		return ENOMEM;
	error = rumpcomp_virtif_create(
	    name, offload ? VIRTIF_F_VNET : 0, &va->va_feat, &va->va_vu);
	if (error) {
		kmem_free(va, sizeof(*va));
		return error;
	}
	va->va_refcnt = 1;
	atomic_store_relaxed(&sc->sc_if.if_capenable, virtif_caps(va->va_feat));
	mutex_enter(&sc->sc_lock);
	sc->sc_att = va;
	cv_broadcast(&sc->sc_cv);
	mutex_exit(&sc->sc_lock);
	return 0;
}

/* Closes the TAP (the receiver lets go of it when it notices). */
static void
virtif_close(struct virtif_sc *sc)
{
	struct virtif_att *va;

	rw_enter(&sc->sc_attlock, RW_WRITER);
	mutex_enter(&sc->sc_lock);
	va = sc->sc_att;
	sc->sc_att = NULL;
	mutex_exit(&sc->sc_lock);
	atomic_store_relaxed(&sc->sc_if.if_capenable, 0);
	rw_exit(&sc->sc_attlock);
	if (va != NULL) {
		rumpcomp_virtif_kick(va->va_vu);
		virtif_att_release(va);
	}
}

/* ------------------------------------------------------------- sending */

static int
virtif_transmit(struct ifnet *ifp, struct mbuf *m)
{
	struct virtif_sc *sc = ifp->if_softc;
	struct rumpuser_iovec iov[1 + VIRTIF_MAXIOV];
	struct virtio_net_hdr vh;
	struct virtif_att *va;
	struct mbuf *n;
	size_t cnt = 1;
	int len = m->m_pkthdr.len, f = m->m_pkthdr.csum_flags, max, error;

	max = (f & M_CSUM_TSO) ? IFCAP_TSO_MAXLEN
	                       : atomic_load_relaxed(&ifp->if_mtu);
	if (__predict_false(len < ETHER_HDR_LEN || len > max + ETHER_HDR_LEN)) {
		m_freem(m);
		return EMSGSIZE;
	}
	for (n = m; n != NULL; n = n->m_next) {
		if (n->m_len == 0)
			continue;
		if (cnt == nitems(iov))
			break;
		iov[cnt].iov_base = mtod(n, void *);
		iov[cnt].iov_len = (size_t)n->m_len;
		cnt++;
	}
	if (n != NULL) {
		/* A long chain: make it one piece. */
		struct mbuf *c = m_dup(m, 0, len, M_DONTWAIT);

		m_freem(m);
		if (c == NULL || c->m_next != NULL) {
			m_freem(c);
			return ENOBUFS;
		}
		m = c;
		iov[1].iov_base = mtod(m, void *);
		iov[1].iov_len = (size_t)m->m_len;
		cnt = 2;
	}
	rw_enter(&sc->sc_attlock, RW_READER);
	va = sc->sc_att;
	if (va == NULL || !atomic_load_relaxed(&sc->sc_running))
		error = ENETDOWN;
	else if (va->va_feat & VIRTIF_F_VNET) {
		vnet_hdr_output(m, ETHER_HDR_LEN, &vh);
		iov[0].iov_base = &vh;
		iov[0].iov_len = sizeof(vh);
		error = rumpcomp_virtif_send(va->va_vu, iov, cnt);
	} else if (__predict_false(f & (M_CSUM_PARTIAL | M_CSUM_TSO)))
		error = EIO; /* made for the device it had before */
	else
		error = rumpcomp_virtif_send(va->va_vu, iov + 1, cnt - 1);
	rw_exit(&sc->sc_attlock);
	m_freem(m); /* ether_output_frame counts the outcome */
	return error;
}

/* ------------------------------------------------------------ receiving */

/* ether_input counts the packet and taps the capture. */
static void
virtif_input(struct virtif_sc *sc, struct mbuf *m)
{
	struct ifnet *ifp = &sc->sc_if;

	ifp->if_input(ifp, m);
}

/* Does a frame to dst concern us?  Sets M_BCAST etc in *flags. */
static bool
virtif_wanted(struct virtif_sc *sc, const uint8_t *dst, int *flags)
{
	struct ifnet *ifp = &sc->sc_if;

	*flags = 0;
	if (dst[0] & 1) {
		*flags = memcmp(dst, etherbroadcastaddr, ETHER_ADDR_LEN) == 0
		    ? M_BCAST
		    : M_MCAST;
		return true;
	}
	if (memcmp(dst, ifp->if_hwaddr, ETHER_ADDR_LEN) == 0)
		return true;
	if (atomic_load_relaxed(&ifp->if_flags) & IFF_PROMISC) {
		*flags = M_PROMISC;
		return true;
	}
	return false;
}

/* Hands the frames read so far to the stack, in order. */
static void
virtif_rcv_flush(struct virtif_sc *sc, struct mbuf **batch, int *nbp)
{
	for (int i = 0; i < *nbp; i++)
		virtif_input(sc, batch[i]);
	*nbp = 0;
}

/*
 * Receives from va until the interface stops or va is replaced.  Each
 * read lands in a fresh mbuf cluster m (its first MCLBYTES) and, when the
 * frame is longer (TSO, a large MTU), on in big cluster `big`, which is
 * then chained to m; a short frame leaves `big` for the next read.
 */
static void
virtif_rcv_tap(struct virtif_sc *sc, struct virtif_att *va)
{
	struct ifnet *ifp = &sc->sc_if;
	struct mbuf *m = NULL, *big = NULL, *held = NULL;
	struct mbuf *batch[VIRTIF_BATCH + 1];
	struct rumpuser_iovec iov[3];
	struct virtio_net_hdr vh;
	bool vnet = (va->va_feat & VIRTIF_F_VNET) != 0;
	size_t got, hdr = vnet ? sizeof(vh) : 0, room;
	int error, flags, nb = 0, nbytes = 0, cnt;

	while (atomic_load_relaxed(&sc->sc_running) &&
	    atomic_load_relaxed(&sc->sc_att) == va &&
	    !atomic_load_relaxed(&sc->sc_dying)) {
		int mtu = atomic_load_relaxed(&ifp->if_mtu);
		bool needbig = (va->va_feat & VIRTIF_F_RXTSO4) ||
		    mtu + ETHER_HDR_LEN + VIRTIF_ALIGN > MCLBYTES;

		if (m == NULL) {
			m = m_getcl(M_DONTWAIT, MT_DATA, M_PKTHDR, MCLBYTES);
			if (m == NULL) {
				virtif_rcv_flush(sc, batch, &nb);
				kpause_ns(1000000);
				continue;
			}
			m->m_data += VIRTIF_ALIGN;
		}
		if (needbig && big == NULL) {
			big = m_getcl(M_DONTWAIT, MT_DATA, 0, MBIGCLBYTES);
			if (big == NULL) {
				virtif_rcv_flush(sc, batch, &nb);
				kpause_ns(1000000);
				continue;
			}
		}
		cnt = 0;
		if (vnet) {
			iov[cnt].iov_base = &vh;
			iov[cnt++].iov_len = hdr;
		}
		room = MCLBYTES - VIRTIF_ALIGN;
		iov[cnt].iov_base = mtod(m, void *);
		iov[cnt++].iov_len = room;
		if (needbig) {
			iov[cnt].iov_base = mtod(big, void *);
			iov[cnt++].iov_len = MBIGCLBYTES;
		}
		error = rumpcomp_virtif_recv(va->va_vu, iov, (size_t)cnt, &got);
		if (error == EAGAIN) {
			if (held != NULL) {
				batch[nb++] = held;
				held = NULL;
			}
			/* The batch goes up; what came meanwhile wakes the
			 * wait at once (no read to find it out). */
			if (nb > 0) {
				virtif_rcv_flush(sc, batch, &nb);
				nbytes = 0;
			}
			(void)rumpcomp_virtif_wait(va->va_vu, VIRTIF_WAIT_MS);
			continue;
		}
		if (error) {
			if_addstat(ifp, ifs_ierrors, 1);
			kpause_ns(10000000);
			continue;
		}
		if (got < hdr + ETHER_HDR_LEN ||
		    got - hdr >= room + (needbig ? MBIGCLBYTES : 0)) {
			if_addstat(ifp, ifs_ierrors, 1);
			continue; /* the mbufs are used again */
		}
		got -= hdr;
		if (!virtif_wanted(sc, mtod(m, uint8_t *), &flags))
			continue;
		m->m_flags &= ~(M_BCAST | M_MCAST | M_PROMISC);
		m->m_flags |= flags;
		if (got > room) {
			m->m_len = (int)room;
			big->m_len = (int)(got - room);
			m->m_next = big;
			big = NULL;
		} else
			m->m_len = (int)got;
		m->m_pkthdr.len = (int)got;
		m->m_pkthdr.rcvif = ifp;
		m->m_pkthdr.csum_flags = 0;
		if (vnet && __predict_false(vnet_hdr_input(m, &vh) != 0)) {
			if_addstat(ifp, ifs_ierrors, 1);
			m_freem(m);
			m = NULL;
			continue;
		}
		if (__predict_false(if_fault_active(&sc->sc_fault))) {
			if (if_fault_drop(&sc->sc_fault)) {
				m_freem(m);
				m = NULL;
				continue;
			}
			if (held == NULL && if_fault_reorder(&sc->sc_fault)) {
				held = m;
				m = NULL;
				continue;
			}
		}
		batch[nb++] = m;
		nbytes += (int)got;
		m = NULL;
		if (held != NULL) {
			batch[nb++] = held;
			held = NULL;
		}
		if (nb >= VIRTIF_BATCH || nbytes >= VIRTIF_BATCHB) {
			virtif_rcv_flush(sc, batch, &nb);
			nbytes = 0;
		}
	}
	virtif_rcv_flush(sc, batch, &nb);
	m_freem(m);
	m_freem(big);
	m_freem(held);
}

static void
virtif_rcv(void *arg)
{
	struct virtif_sc *sc = arg;
	struct virtif_att *va;

	for (;;) {
		mutex_enter(&sc->sc_lock);
		while (!sc->sc_dying && !(sc->sc_running && sc->sc_att != NULL))
			cv_wait(&sc->sc_cv, &sc->sc_lock);
		if (sc->sc_dying) {
			mutex_exit(&sc->sc_lock);
			return;
		}
		va = sc->sc_att;
		atomic_inc(&va->va_refcnt);
		mutex_exit(&sc->sc_lock);
		virtif_rcv_tap(sc, va);
		virtif_att_release(va);
	}
}

/* ------------------------------------------------------------ ifnet ops */

static int
virtif_init(struct ifnet *ifp)
{
	struct virtif_sc *sc = ifp->if_softc;
	int error;

	rw_enter(&sc->sc_attlock, RW_WRITER);
	error = virtif_open(sc);
	if (error == 0) {
		mutex_enter(&sc->sc_lock);
		sc->sc_running = true;
		cv_broadcast(&sc->sc_cv);
		mutex_exit(&sc->sc_lock);
	}
	rw_exit(&sc->sc_attlock);
	return error;
}

static void
virtif_stop(struct ifnet *ifp)
{
	struct virtif_sc *sc = ifp->if_softc;

	mutex_enter(&sc->sc_lock);
	sc->sc_running = false;
	if (sc->sc_att != NULL)
		rumpcomp_virtif_kick(sc->sc_att->va_vu);
	mutex_exit(&sc->sc_lock);
}

static int
virtif_ioctl(struct ifnet *ifp, unsigned long cmd, void *data)
{
	struct virtif_sc *sc = ifp->if_softc;
	struct if_linkstr *ls = data;
	int error = 0;

	switch (cmd) {
	case SIOCSIFLINKSTR:
		if (atomic_load_relaxed(&ifp->if_flags) & IFF_UP)
			return EBUSY;
		if (ls->ls_str == NULL || strcmp(ls->ls_str, "unset") == 0) {
			virtif_close(sc);
			rw_enter(&sc->sc_attlock, RW_WRITER);
			if (sc->sc_linkstr != NULL)
				kmem_strfree(sc->sc_linkstr);
			sc->sc_linkstr = NULL;
			rw_exit(&sc->sc_attlock);
			return 0;
		}
		if (ls->ls_len == 0 || ls->ls_len >= VIRTIF_LINKMAX)
			return EINVAL;
		{
			char name[IFNAMSIZ];
			bool offload;

			if (virtif_parse_link(sc, ls->ls_str, name, &offload))
				return EINVAL;
		}
		rw_enter(&sc->sc_attlock, RW_WRITER);
		if (sc->sc_linkstr != NULL)
			error = EBUSY;
		else if ((sc->sc_linkstr = kmem_strdup(ls->ls_str, KM_SLEEP)) ==
		    NULL)
			error = ENOMEM;
		else if (sc->sc_att == NULL && (error = virtif_open(sc)) != 0) {
			kmem_strfree(sc->sc_linkstr);
			sc->sc_linkstr = NULL;
		}
		rw_exit(&sc->sc_attlock);
		return error;
	case SIOCGIFLINKSTR: {
		char name[VIRTIF_LINKMAX];
		size_t len;

		rw_enter(&sc->sc_attlock, RW_READER);
		if (sc->sc_linkstr != NULL)
			strlcpy(name, sc->sc_linkstr, sizeof(name));
		else
			snprintf(name, sizeof(name), "tun%d", sc->sc_unit);
		rw_exit(&sc->sc_attlock);
		len = strlen(name);
		if (ls->ls_str != NULL) {
			if (ls->ls_len < len + 1)
				error = ENAMETOOLONG;
			else
				memcpy((char *)ls->ls_str, name, len + 1);
		}
		ls->ls_len = len;
		return error;
	}
	case SIOCSIFMTU: {
		struct ifreq *ifr = data;

		if (ifr->ifr_mtu < 68 || ifr->ifr_mtu > VIRTIF_MAXMTU)
			return EINVAL;
		return ENOTTY; /* valid: the generic code sets it */
	}
	default:
		return ENOTTY;
	}
}

static void
virtif_free(struct ifnet *ifp)
{
	struct virtif_sc *sc = ifp->if_softc;

	if (sc->sc_linkstr != NULL)
		kmem_strfree(sc->sc_linkstr);
	cv_destroy(&sc->sc_cv);
	mutex_destroy(&sc->sc_lock);
	rw_destroy(&sc->sc_attlock);
	kmem_free(sc, sizeof(*sc));
}

/* ---------------------------------------------------------------- cloner */

static int
virtif_clone_create(
    struct if_cloner *ifc __unused, int unit, struct ifnet **ifpp)
{
	struct virtif_sc *sc;
	struct ifnet *ifp;
	uint8_t mac[ETHER_ADDR_LEN];
	char fault[128];
	uint64_t seed;
	size_t got;
	int error;

	if ((sc = kmem_zalloc(sizeof(*sc), KM_SLEEP)) == NULL)
		return ENOMEM;
	sc->sc_unit = unit;
	if (rumpuser_getrandom(&seed, sizeof(seed), 0, &got) != 0)
		seed = getnanotime();
	if (kern_getparam("RUMP_VIRTIF_FAULT", fault, sizeof(fault)) != 0)
		fault[0] = '\0';
	if ((error = if_fault_parse(&sc->sc_fault, fault, seed | 1)) != 0) {
		printf("virt%d: bad RUMP_VIRTIF_FAULT \"%s\"\n", unit, fault);
		kmem_free(sc, sizeof(*sc));
		return error;
	}
	rw_init(&sc->sc_attlock);
	mutex_init(&sc->sc_lock, MUTEX_DEFAULT);
	cv_init(&sc->sc_cv);

	ifp = &sc->sc_if;
	snprintf(ifp->if_xname, sizeof(ifp->if_xname), "virt%d", unit);
	ifp->if_softc = sc;
	ifp->if_flags = IFF_BROADCAST | IFF_MULTICAST;
	ifp->if_mtu = ETHERMTU;
	ifp->if_init = virtif_init;
	ifp->if_stop = virtif_stop;
	ifp->if_transmit = virtif_transmit;
	ifp->if_ioctl = virtif_ioctl;
	ifp->if_free = virtif_free;
	ether_random_addr(mac, 0xb2, 0xa0);
	ether_ifattach(ifp, mac);

	error = kthread_create(
	    virtif_rcv, sc, ifp->if_xname, KTHREAD_MUSTJOIN, &sc->sc_rcvl);
	if (error) {
		virtif_free(ifp);
		return error;
	}
	if ((error = if_attach(ifp)) != 0) {
		virtif_rcv_stop(sc);
		virtif_free(ifp);
		return error;
	}
	*ifpp = ifp;
	return 0;
}

/* Ends the receiver thread. */
static void
virtif_rcv_stop(struct virtif_sc *sc)
{
	mutex_enter(&sc->sc_lock);
	sc->sc_dying = true;
	cv_broadcast(&sc->sc_cv);
	if (sc->sc_att != NULL)
		rumpcomp_virtif_kick(sc->sc_att->va_vu);
	mutex_exit(&sc->sc_lock);
	kthread_join(sc->sc_rcvl);
}

/* Down, off the list, receiver gone, TAP closed; if_free does the rest. */
static int
virtif_clone_destroy(struct ifnet *ifp)
{
	struct virtif_sc *sc = ifp->if_softc;

	if_down(ifp);
	virtif_rcv_stop(sc);
	virtif_close(sc);
	if_detach(ifp);
	return 0;
}

RUMP_COMPONENT(RUMP_COMPONENT_NET_IF)
{
	if_cloner_attach(&virtif_cloner);
}
