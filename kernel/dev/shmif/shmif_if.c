/*
 * shmif_if.c — shmif, Ethernet over a shared bus file (NetBSD's shmif(4),
 * bus format version 3: shmif_bus.h).  Every interface attached to the
 * same file sees every frame written to it, so kernels in different
 * processes talk to each other without privileges, and ours share a bus
 * with NetBSD's rump kernels.
 *
 * Interfaces "shmifN" come from the cloner "shmif" (or from
 * rump_pub_shmif_create()).  The link string (SIOCSIFLINKSTR, allowed only
 * while the interface is down; EBUSY if one is set; NULL or "unset" takes
 * it away) names the bus file, which is created if missing and mapped.
 * Each interface has a random MAC b2:a0:xx:xx:xx:xx and a random 64-bit
 * sender id that its own frames carry.
 *
 * Sending runs in the caller's thread: take the bus lock, copy the frame
 * from its mbufs into the ring, unlock, ring the doorbell (see below).
 * Receiving runs in one kernel thread per interface: it takes the bus lock,
 * copies every new frame meant for it (up to SHMIF_RXBATCH per hold) into
 * fresh mbufs, checking TCP/UDP checksums while it copies
 * (shmif_getframe), unlocks and hands them to ifp->if_input, and goes on
 * until the ring is drained (or SHMIF_RXBUDGET frames), all inside one
 * net_batch (net/net_batch.h): the readers it wakes, the ACKs TCP owes and
 * the data those ACKs let out, and the doorbell after them, come once at
 * the end of the batch rather than once per frame.  When the ring has
 * nothing new it spins a little without its virtual CPU
 * (RUMP_SHMIF_SPIN_US; by default 20 on hosts of more than two cores,
 * else none) and then sleeps until a doorbell (rumpcomp_shmif_watchwait,
 * inotify on the bus file).
 *
 * MTU: 1500 by default (NetBSD's readers take no more); SIOCSIFMTU up to
 * SHMIF_MAXMTU (65535) for buses between rumpk kernels.  Writers overwrite
 * frames that a slow reader has not read, so the interface tells TCP not
 * to offer a window beyond half the ring (if_maxwin).
 *
 * Doorbells.  NetBSD's readers sleep until the bus file is written, so
 * every frame must be followed by a doorbell write (a 4-byte pwrite of
 * the version word), which costs a system call of a few microseconds.
 * Our readers say when they sleep: they count themselves in the header's
 * spare word (NetBSD leaves it alone) and look at the ring once more
 * before sleeping.  A writer rings at once when that count, less its own
 * interface's receiver, is not zero,
 * or when it has not rung for RUMP_SHMIF_DOORBELL microseconds (default
 * 100); otherwise a callout rings soon after.  So every frame is followed
 * by a doorbell within that delay plus a clock tick (readers that do not
 * count themselves — NetBSD's — see every frame, at worst that late), and
 * between our kernels a busy bus needs almost no doorbell system calls.
 * RUMP_SHMIF_DOORBELL=0 rings after every frame, as NetBSD does.  Frames
 * sent inside a net_batch (a burst from tcp_output, or what the receiver
 * sends while draining) take that decision once, at the end of the batch
 * or after an eighth of the ring (SHMIF_BELL_BYTES), whichever is first.
 *
 * Life of the bus attachment (struct shmif_att): made when the link string
 * is set, referenced by the interface (sc_att), by the receiver while it
 * reads the bus and freed (unmapped, closed) with the last reference.
 *
 * Locks: sc_attlock (rwlock) guards sc_att: senders hold it as readers for
 * the length of a send, setting or clearing the link string takes it as
 * writer.  sc_lock guards the receiver's state [l]; the receiver sleeps on
 * sc_cv.  Order: sc_attlock → sc_lock.  The bus lock is taken last and held
 * only for copies.
 * [I] immutable after creation  [l] sc_lock  [w] sc_attlock
 * [r] the receiver thread only  [a] atomic
 */
#include "kern/kern.h"
#include "kern/proc.h"
#include "net/if.h"
#include "net/mbuf.h"
#include "net/net_batch.h"
#include "dev/shmif/shmif_impl.h"
#include "dev/shmif/shmif_user.h"
#include "dev/shmif/if_fault.h"
#include "../../../include/rump/netconfig.h"

extern int kern_running; /* kern_syscall.c */

#define SHMIF_RXBATCH  32  /* frames copied per hold of the bus lock */
#define SHMIF_RXBUDGET 256 /* frames handed up per net_batch */
/* Bytes a batch may write before it must ring (an eighth of the ring). */
#define SHMIF_BELL_BYTES  (SHMIF_DATASIZE / 8)
#define SHMIF_WAIT_MS     1000 /* longest sleep without a doorbell */
#define SHMIF_DOORBELL_NS 100000ULL
#define SHMIF_ALIGN       2 /* puts the IP header on a 4-byte boundary */

struct shmif_att {
	unsigned sa_refcnt;       /* [a] */
	struct shmif_mem *sa_bus; /* [I] the mapping */
	int sa_fd;                /* [I] the bus file */
	void *sa_watch;           /* [I] rumpcomp_shmif_watch* */
	char *sa_path;            /* [I] the link string */
};

struct shmif_sc {
	struct ifnet sc_if; /* [I] */
	int sc_unit;        /* [I] */
	uint64_t sc_uid;    /* [I] sender id of our frames */
	krwlock_t sc_attlock;
	struct shmif_att *sc_att; /* [w] and [l] to change; either to read */

	kmutex_t sc_lock;
	kcondvar_t sc_cv;
	bool sc_running;     /* [l] between if_init and if_stop */
	bool sc_dying;       /* [l] the receiver must exit */
	struct lwp *sc_rcvl; /* [I] the receiver */

	uint32_t sc_nextpkt; /* [r] where the receiver reads next */
	uint64_t sc_devgen;  /* [r] the generation it reads in */
	/*
	 * [l] Where the receiver starts: if_init takes the end of the bus
	 * when the interface comes up, so that no frame sent after that is
	 * missed however late the receiver thread runs; the receiver moves
	 * it to sc_nextpkt/sc_devgen and clears sc_rxstart (which its loop
	 * also reads without the lock, as a hint).
	 */
	bool sc_rxstart;
	uint32_t sc_startpkt;
	uint64_t sc_startgen;
	struct if_fault sc_fault; /* [r] */
	uint64_t sc_spin_ns;      /* [I] */
	unsigned sc_rxcounted;    /* [a] our receiver is in shm_spare */

	uint64_t sc_bell_ns;     /* [I] see Doorbells; 0: after every frame */
	uint64_t sc_lastbell;    /* [a] uptime of the last doorbell */
	unsigned sc_bellpending; /* [a] a frame waits for its doorbell */
	unsigned sc_batchbytes;  /* [a] written by batches since a doorbell */
	struct callout sc_bellco;

	struct rump_shmif_stats sc_st; /* [a] */
};
#define sc_stat(sc, f, n)                                                      \
	__atomic_add_fetch(&(sc)->sc_st.f, (n), __ATOMIC_RELAXED)

static int shmif_clone_create(struct if_cloner *, int, struct ifnet **);
static void shmif_rcv_stop(struct shmif_sc *);
static int shmif_clone_destroy(struct ifnet *);
static struct if_cloner shmif_cloner = {
    .ifc_name = "shmif",
    .ifc_create = shmif_clone_create,
    .ifc_destroy = shmif_clone_destroy,
};

/* ----------------------------------------------------------- attachment */

static void
shmif_att_release(struct shmif_att *sa)
{
	if (atomic_dec(&sa->sa_refcnt) != 0)
		return;
	rumpcomp_shmif_watchfree(sa->sa_watch);
	rumpcomp_shmif_munmap(sa->sa_bus, SHMIF_BUSMEM_SIZE);
	rumpuser_close(sa->sa_fd);
	kmem_strfree(sa->sa_path);
	kmem_free(sa, sizeof(*sa));
}

/*
 * Opens and maps bus file path, initialising the bus if we are the first
 * (magic still 0).  ENOEXEC if the file holds something else.
 */
static int
shmif_att_open(const char *path, struct shmif_att **sap)
{
	struct shmif_att *sa;
	struct shmif_mem *bus;
	void *mem;
	int fd, error;

	error =
	    rumpuser_open(path, RUMPUSER_OPEN_RDWR | RUMPUSER_OPEN_CREATE, &fd);
	if (error)
		return error;
	error = rumpcomp_shmif_mmap(fd, SHMIF_BUSMEM_SIZE, &mem);
	if (error)
		goto fail_close;
	bus = mem;
	if (bus->shm_magic != 0 && bus->shm_magic != SHMIF_MAGIC) {
		error = ENOEXEC;
		goto fail_unmap;
	}
	if ((sa = kmem_zalloc(sizeof(*sa), KM_SLEEP)) == NULL) {
		error = ENOMEM;
		goto fail_unmap;
	}
	if ((sa->sa_path = kmem_strdup(path, KM_SLEEP)) == NULL) {
		kmem_free(sa, sizeof(*sa));
		error = ENOMEM;
		goto fail_unmap;
	}
	error = rumpcomp_shmif_watchsetup(fd, &sa->sa_watch);
	if (error) {
		kmem_strfree(sa->sa_path);
		kmem_free(sa, sizeof(*sa));
		goto fail_unmap;
	}
	shmif_lockbus(bus);
	if (bus->shm_magic == 0) {
		bus->shm_magic = SHMIF_MAGIC;
		bus->shm_version = SHMIF_VERSION;
		bus->shm_first = SHMIF_DATASIZE;
	}
	shmif_unlockbus(bus);
	sa->sa_refcnt = 1;
	sa->sa_bus = bus;
	sa->sa_fd = fd;
	*sap = sa;
	return 0;

fail_unmap:
	rumpcomp_shmif_munmap(mem, SHMIF_BUSMEM_SIZE);
fail_close:
	rumpuser_close(fd);
	return error;
}

/* Sets (path != NULL) or clears the link string; the interface is down. */
static int
shmif_setlinkstr(struct shmif_sc *sc, const char *path)
{
	struct shmif_att *sa = NULL, *old;
	int error;

	if (path != NULL && (error = shmif_att_open(path, &sa)) != 0)
		return error;
	rw_enter(&sc->sc_attlock, RW_WRITER);
	old = sc->sc_att;
	if (sa != NULL && old != NULL) {
		rw_exit(&sc->sc_attlock);
		shmif_att_release(sa);
		return EBUSY;
	}
	mutex_enter(&sc->sc_lock);
	sc->sc_att = sa;
	cv_broadcast(&sc->sc_cv);
	mutex_exit(&sc->sc_lock);
	rw_exit(&sc->sc_attlock);
	if (old != NULL) {
		/* The receiver lets go of old when it sees it gone. */
		rumpcomp_shmif_watchkick(old->sa_watch);
		shmif_att_release(old);
	}
	return 0;
}

/* ------------------------------------------------------------- doorbells */

static void
shmif_ring(struct shmif_sc *sc, struct shmif_att *sa, uint64_t now)
{
	atomic_store_relaxed(&sc->sc_bellpending, 0);
	atomic_store_relaxed(&sc->sc_lastbell, now);
	(void)rumpcomp_shmif_doorbell(sa->sa_fd);
	sc_stat(sc, ss_doorbells, 1);
}

/* The deferred doorbell of frames sent since the last one. */
static void
shmif_bell_callout(void *arg)
{
	struct shmif_sc *sc = arg;

	if (!__atomic_exchange_n(&sc->sc_bellpending, 0, __ATOMIC_SEQ_CST))
		return;
	if (!rw_tryenter(&sc->sc_attlock, RW_READER))
		return; /* the link is changing: nobody to wake on it */
	if (sc->sc_att != NULL)
		shmif_ring(sc, sc->sc_att, getnanouptime());
	rw_exit(&sc->sc_attlock);
}

static void shmif_doorbell(struct shmif_sc *sc, struct shmif_att *sa);

/* The doorbell of frames that a net_batch wrote (its driver flush). */
static void
shmif_bell_flush(void *arg)
{
	struct shmif_sc *sc = arg;

	atomic_store_relaxed(&sc->sc_batchbytes, 0);
	rw_enter(&sc->sc_attlock, RW_READER);
	if (sc->sc_att != NULL)
		shmif_doorbell(sc, sc->sc_att);
	rw_exit(&sc->sc_attlock);
	if_release(&sc->sc_if);
}

/*
 * After a frame of len bytes was written (the bus unlocked).  Inside a
 * packet batch (a burst from tcp_output, or the ACKs and data our receiver
 * sends while it drains the ring) the doorbell waits for the end of the
 * batch, or until the batch wrote an eighth of the ring.
 */
static void
shmif_doorbell_after(struct shmif_sc *sc, struct shmif_att *sa, int len)
{
	if (curlwp->l_netbatch != NULL &&
	    atomic_load_relaxed(&sc->sc_batchbytes) < SHMIF_BELL_BYTES) {
		int r = net_batch_flush(shmif_bell_flush, sc);

		if (r == 1)
			if_hold(&sc->sc_if); /* shmif_bell_flush drops it */
		if (r != 0) {
			__atomic_add_fetch(&sc->sc_batchbytes, (unsigned)len,
			    __ATOMIC_RELAXED);
			return;
		}
	}
	atomic_store_relaxed(&sc->sc_batchbytes, 0);
	shmif_doorbell(sc, sa);
}

/* After frames were written (the bus unlocked): wake who needs it. */
static void
shmif_doorbell(struct shmif_sc *sc, struct shmif_att *sa)
{
	uint64_t now, last;
	uint32_t sleepers;

	/*
	 * Pairs with the sleeper's count-then-look in watchwait.  Our own
	 * receiver needs no doorbell for our frames: it is left out of the
	 * count (read after it, so that we may count it wrongly only as
	 * asleep, which costs a doorbell, never as awake).
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	sleepers = __atomic_load_n(&sa->sa_bus->shm_spare, __ATOMIC_SEQ_CST);
	sleepers -= __atomic_load_n(&sc->sc_rxcounted, __ATOMIC_SEQ_CST);
	if (sc->sc_bell_ns == 0 || sleepers != 0) {
		shmif_ring(sc, sa, getnanouptime());
		return;
	}
	now = getnanouptime();
	last = atomic_load_relaxed(&sc->sc_lastbell);
	if (now - last >= sc->sc_bell_ns) {
		shmif_ring(sc, sa, now);
		return;
	}
	if (!__atomic_exchange_n(&sc->sc_bellpending, 1, __ATOMIC_SEQ_CST))
		callout_schedule_at(&sc->sc_bellco, last + sc->sc_bell_ns);
}

/* -------------------------------------------------------------- sending */

/*
 * Writes frame m (len bytes) to the locked bus after the newest frame.
 * EINVAL if the bus is corrupt in the way (the caller resets it).
 */
static int
shmif_put(struct shmif_sc *sc, struct shmif_mem *bus, struct mbuf *m, int len)
{
	struct shmif_pkthdr sp;
	uint64_t now = getnanotime();
	uint32_t off;
	bool wrap = false;

	if (bus->shm_magic != SHMIF_MAGIC || bus->shm_last >= SHMIF_DATASIZE ||
	    bus->shm_first > SHMIF_DATASIZE ||
	    shmif_ring_nextoff(bus, bus->shm_last, &off) != 0)
		return EINVAL;
	memset(&sp, 0, sizeof(sp));
	sp.sp_len = (uint32_t)len;
	sp.sp_sec = (uint32_t)(now / 1000000000ULL);
	sp.sp_usec = (uint32_t)(now % 1000000000ULL / 1000);
	sp.sp_sender = sc->sc_uid;
	/* Atomic stores: sleepers read these two without the bus lock. */
	__atomic_store_n(&bus->shm_last, off, __ATOMIC_RELAXED);
	if (shmif_ring_write(bus, &off, &sp, sizeof(sp), &wrap) != 0)
		return EINVAL;
	for (; m != NULL; m = m->m_next) {
		if (m->m_len == 0)
			continue;
		if (shmif_ring_write(bus, &off, mtod(m, void *),
		        (uint32_t)m->m_len, &wrap) != 0)
			return EINVAL;
	}
	if (wrap)
		__atomic_store_n(
		    &bus->shm_gen, bus->shm_gen + 1, __ATOMIC_RELAXED);
	return 0;
}

/* if_transmit: consumes m. */
static int
shmif_transmit(struct ifnet *ifp, struct mbuf *m)
{
	struct shmif_sc *sc = ifp->if_softc;
	struct shmif_att *sa;
	struct shmif_mem *bus;
	int len = m->m_pkthdr.len, error = 0;

	if (__predict_false(len < ETHER_HDR_LEN ||
	        len > atomic_load_relaxed(&ifp->if_mtu) + ETHER_HDR_LEN ||
	        len > SHMIF_MAXFRAME)) {
		m_freem(m);
		return EMSGSIZE;
	}
	rw_enter(&sc->sc_attlock, RW_READER);
	if (__predict_false((sa = sc->sc_att) == NULL ||
	        !atomic_load_relaxed(&sc->sc_running))) {
		rw_exit(&sc->sc_attlock);
		m_freem(m);
		return ENETDOWN;
	}
	bus = sa->sa_bus;
	shmif_lockbus(bus);
	if (__predict_false(shmif_put(sc, bus, m, len) != 0)) {
		/* Someone scribbled on the bus: start it over, then send. */
		shmif_ring_reset(bus);
		sc_stat(sc, ss_resets, 1);
		if (shmif_put(sc, bus, m, len) != 0)
			error = EIO;
	}
	shmif_unlockbus(bus);
	if (error == 0) {
		sc_stat(sc, ss_txframes, 1);
		shmif_doorbell_after(sc, sa, len);
	}
	rw_exit(&sc->sc_attlock);
	m_freem(m);
	return error;
}

/* ------------------------------------------------------------ receiving */

/*
 * Hands m up (fault injection first); *heldp is the frame held back.
 * ether_input counts the packet and taps the capture.
 */
static void
shmif_deliver(struct shmif_sc *sc, struct mbuf *m, struct mbuf **heldp)
{
	struct ifnet *ifp = &sc->sc_if;

	if (__predict_false(if_fault_active(&sc->sc_fault))) {
		if (if_fault_drop(&sc->sc_fault)) {
			sc_stat(sc, ss_faultdrop, 1);
			m_freem(m);
			return;
		}
		if (*heldp == NULL && if_fault_reorder(&sc->sc_fault)) {
			sc_stat(sc, ss_faultreorder, 1);
			*heldp = m;
			return;
		}
	}
	sc_stat(sc, ss_rxframes, 1);
	ifp->if_input(ifp, m);
	if (*heldp != NULL) {
		m = *heldp;
		*heldp = NULL;
		sc_stat(sc, ss_rxframes, 1);
		ifp->if_input(ifp, m);
	}
}

/* Does a frame from sender to dst concern us? Sets M_BCAST etc in *flags. */
static bool
shmif_wanted(
    struct shmif_sc *sc, uint64_t sender, const uint8_t *dst, int *flags)
{
	struct ifnet *ifp = &sc->sc_if;

	*flags = 0;
	if (sender == sc->sc_uid)
		return false;
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

/*
 * Where the TCP or UDP segment of an IPv4 frame (the len bytes at ring
 * offset off) starts, when the driver can check its checksum: an
 * unfragmented packet that fills the frame exactly (no Ethernet padding).
 * 0 otherwise: the stack checks what we cannot.  *pseudo is the sum of
 * the pseudo-header (in_cksum.c's memory order).
 */
static uint32_t
shmif_csum_l4off(
    const struct shmif_mem *bus, uint32_t off, uint32_t len, uint64_t *pseudo)
{
	uint8_t h[ETHER_HDR_LEN + 20];
	uint32_t hl, src, dst;
	bool wrap = false;

	if (len < sizeof(h))
		return 0;
	shmif_ring_read(bus, h, off, sizeof(h), &wrap);
	hl = (uint32_t)(h[14] & 0x0f) * 4;
	if (h[12] != 0x08 || h[13] != 0x00 || (h[14] >> 4) != 4 || hl < 20 ||
	    ETHER_HDR_LEN + hl > len ||
	    ((uint32_t)h[16] << 8 | h[17]) != len - ETHER_HDR_LEN ||
	    ((h[20] & 0x3f) | h[21]) != 0 || (h[23] != 6 && h[23] != 17))
		return 0;
	memcpy(&src, h + 26, 4);
	memcpy(&dst, h + 30, 4);
	*pseudo = (uint64_t)src + dst + htons((uint16_t)h[23]) +
	    htons((uint16_t)(len - ETHER_HDR_LEN - hl));
	return ETHER_HDR_LEN + hl;
}

/*
 * A packet of the len bytes of frame at ring offset off: in one cluster,
 * or for frames beyond a big cluster a big cluster and a small one.
 *
 * The TCP or UDP checksum is checked here while the frame is copied out
 * of the ring (one pass over the data, not a copy and then the stack's
 * in_cksum); a frame that passes is marked M_CSUM_DATA_OK, one that does
 * not or cannot be checked here goes up unmarked and the stack checks it
 * (and drops it if it is wrong).  Senders still compute every checksum,
 * so what is on the bus is right for tcpdump and NetBSD.
 */
static struct mbuf *
shmif_getframe(struct shmif_sc *sc, const struct shmif_mem *bus, uint32_t off,
    uint32_t len)
{
	struct shmif_cksum cs = {0, false};
	struct mbuf *m, *n;
	uint32_t first = len, rest = 0, l4off;
	uint64_t pseudo = 0;
	bool wrap = false;

	if (len + SHMIF_ALIGN <= MCLBYTES)
		m = m_getcl(M_DONTWAIT, MT_DATA, M_PKTHDR, MCLBYTES);
	else {
		m = m_getcl(M_DONTWAIT, MT_DATA, M_PKTHDR, MBIGCLBYTES);
		if (len + SHMIF_ALIGN > MBIGCLBYTES) {
			first = MBIGCLBYTES - SHMIF_ALIGN;
			rest = len - first;
		}
	}
	if (m == NULL)
		return NULL;
	m->m_data += SHMIF_ALIGN;
	l4off = shmif_csum_l4off(bus, off, len, &pseudo);
	if (l4off == 0)
		off = shmif_ring_read(bus, m->m_data, off, first, &wrap);
	else {
		off = shmif_ring_read(bus, m->m_data, off, l4off, &wrap);
		off = shmif_ring_read_sum(
		    bus, m->m_data + l4off, off, first - l4off, &wrap, &cs);
	}
	m->m_len = (int)first;
	m->m_pkthdr.len = (int)len;
	if (rest > 0) {
		CTASSERT(
		    SHMIF_MAXFRAME + SHMIF_ALIGN <= MBIGCLBYTES + MCLBYTES);
		if ((n = m_getcl(M_DONTWAIT, MT_DATA, 0, MCLBYTES)) == NULL) {
			m_freem(m);
			return NULL;
		}
		if (l4off == 0)
			shmif_ring_read(bus, n->m_data, off, rest, &wrap);
		else
			shmif_ring_read_sum(
			    bus, n->m_data, off, rest, &wrap, &cs);
		n->m_len = (int)rest;
		m->m_next = n;
	}
	if (l4off != 0) {
		uint64_t t = pseudo + cs.ics_sum;

		t = (t & 0xffff) + (t >> 16);
		t = (t & 0xffff) + (t >> 16);
		t = (t & 0xffff) + (t >> 16);
		if (t == 0xffff) {
			m->m_pkthdr.csum_flags |= M_CSUM_DATA_OK;
			sc_stat(sc, ss_csumok, 1);
		} else
			sc_stat(sc, ss_csumbad, 1);
	}
	return m;
}

/*
 * Takes the new frames off the locked bus, up to SHMIF_RXBATCH of those we
 * want, into q[]; returns how many, and in *progress whether the read
 * position moved at all.  *lastp and *genp are the bus state to wait on when
 * nothing was new.
 */
static int
shmif_take(struct shmif_sc *sc, struct shmif_mem *bus, struct mbuf **q,
    bool *progress, uint32_t *lastp, uint64_t *genp)
{
	struct ifnet *ifp = &sc->sc_if;
	int n = 0, steps = 0;

	*progress = false;
	*lastp = bus->shm_last;
	*genp = bus->shm_gen;
	while (n < SHMIF_RXBATCH && steps++ < 4 * SHMIF_RXBATCH) {
		struct shmif_pkthdr sp;
		uint8_t eh[ETHER_HDR_LEN];
		uint32_t lastoff, off, dataoff;
		struct mbuf *m;
		bool wrap = false;
		int flags;

		if (bus->shm_magic != SHMIF_MAGIC ||
		    bus->shm_last >= SHMIF_DATASIZE ||
		    bus->shm_first > SHMIF_DATASIZE ||
		    shmif_ring_nextoff(bus, bus->shm_last, &lastoff) != 0) {
			/* Nothing can be read until a writer repairs it. */
			sc_stat(sc, ss_corrupt, 1);
			break;
		}
		if (sc->sc_devgen == bus->shm_gen && sc->sc_nextpkt == lastoff)
			break; /* nothing new */
		*progress = true;
		if (bus->shm_gen < sc->sc_devgen ||
		    !shmif_ring_stillvalid(
		        bus, sc->sc_nextpkt, sc->sc_devgen, lastoff)) {
			/*
			 * Overrun (or the bus started over): go to first, in
			 * the generation before the end of the newest frame
			 * when the valid region wraps, as stillvalid counts
			 * it.  (Comparing first with the start of the newest
			 * frame, as NetBSD does, is wrong by one when that
			 * frame wraps, and the reader would find itself
			 * overrun again and again.)
			 */
			sc_stat(sc, ss_overruns, 1);
			sc->sc_nextpkt = bus->shm_first;
			sc->sc_devgen = bus->shm_first >= lastoff
			    ? bus->shm_gen - 1
			    : bus->shm_gen;
		}
		off = shmif_ring_read(
		    bus, &sp, sc->sc_nextpkt, sizeof(sp), &wrap);
		if (sp.sp_len > SHMIF_MAXFRAME) {
			/* A corrupt header: skip to the end of the ring. */
			sc_stat(sc, ss_corrupt, 1);
			sc->sc_nextpkt = lastoff;
			sc->sc_devgen = bus->shm_gen;
			continue;
		}
		dataoff = off;
		off = (off + sp.sp_len) % SHMIF_DATASIZE;
		if (dataoff + sp.sp_len >= SHMIF_DATASIZE)
			wrap = true;
		sc->sc_nextpkt = off;
		if (wrap)
			sc->sc_devgen++;
		if (sp.sp_len < ETHER_HDR_LEN) {
			sc_stat(sc, ss_short, 1);
			continue;
		}
		if (sp.sp_len > (uint32_t)atomic_load_relaxed(&ifp->if_mtu) +
		        ETHER_HDR_LEN) {
			if_addstat(ifp, ifs_ierrors, 1);
			continue;
		}
		shmif_ring_read(bus, eh, dataoff, sizeof(eh), &wrap);
		if (!shmif_wanted(sc, sp.sp_sender, eh, &flags))
			continue;
		if ((m = shmif_getframe(sc, bus, dataoff, sp.sp_len)) == NULL) {
			sc_stat(sc, ss_nomem, 1);
			if_addstat(ifp, ifs_iqdrops, 1);
			continue;
		}
		m->m_pkthdr.rcvif = ifp;
		m->m_flags |= flags;
		q[n++] = m;
	}
	return n;
}

/*
 * The reader's position just after the newest frame of the locked bus:
 * only what is sent from now on is read.
 */
static void
shmif_rxend(struct shmif_mem *bus, uint32_t *pktp, uint64_t *genp)
{
	uint32_t lastoff;

	*genp = bus->shm_gen;
	if (bus->shm_last < SHMIF_DATASIZE &&
	    shmif_ring_nextoff(bus, bus->shm_last, &lastoff) == 0)
		*pktp = lastoff;
	else
		*pktp = bus->shm_last % SHMIF_DATASIZE;
}

/* The receiver takes the start if_init left it, if any. */
static void
shmif_rxadopt(struct shmif_sc *sc)
{
	mutex_enter(&sc->sc_lock);
	if (sc->sc_rxstart) {
		sc->sc_nextpkt = sc->sc_startpkt;
		sc->sc_devgen = sc->sc_startgen;
		atomic_store_relaxed(&sc->sc_rxstart, false);
	}
	mutex_exit(&sc->sc_lock);
}

/* Reads bus attachment sa until the interface stops or sa goes. */
static void
shmif_rcv_bus(struct shmif_sc *sc, struct shmif_att *sa)
{
	struct shmif_mem *bus = sa->sa_bus;
	struct mbuf *q[SHMIF_RXBATCH], *held = NULL;
	uint32_t last;
	uint64_t gen;
	bool progress;
	int n, slept;

	/* Where if_init put the start, or after the newest frame. */
	shmif_lockbus(bus);
	shmif_rxend(bus, &sc->sc_nextpkt, &sc->sc_devgen);
	shmif_unlockbus(bus);
	shmif_rxadopt(sc);

	while (atomic_load_relaxed(&sc->sc_running) &&
	    atomic_load_relaxed(&sc->sc_att) == sa &&
	    !atomic_load_relaxed(&sc->sc_dying)) {
		struct net_batch nb;
		int budget = SHMIF_RXBUDGET;

		if (atomic_load_relaxed(&sc->sc_rxstart))
			shmif_rxadopt(sc); /* down and up again meanwhile */

		/*
		 * Drain the ring in one batch (up to a budget): the stack's
		 * wakeups, ACKs and doorbells come once, at its end.
		 */
		net_batch_begin(&nb, NET_BATCH_ALL);
		do {
			shmif_lockbus(bus);
			n = shmif_take(sc, bus, q, &progress, &last, &gen);
			shmif_unlockbus(bus);
			for (int i = 0; i < n; i++)
				shmif_deliver(sc, q[i], &held);
			budget -= MAX(n, 1);
		} while (progress && budget > 0);
		if (!progress && held != NULL) {
			/* Nothing came after it: deliver it now. */
			struct mbuf *m = held;

			held = NULL;
			shmif_deliver(sc, m, &held);
			progress = true;
		}
		net_batch_end(&nb);
		if (progress)
			continue;
		(void)rumpcomp_shmif_watchwait(sa->sa_watch, bus, last, gen,
		    sc->sc_spin_ns, SHMIF_WAIT_MS, &sc->sc_rxcounted, &slept);
		if (slept)
			sc_stat(sc, ss_sleeps, 1);
	}
	m_freem(held);
}

static void
shmif_rcv(void *arg)
{
	struct shmif_sc *sc = arg;
	struct shmif_att *sa;

	for (;;) {
		mutex_enter(&sc->sc_lock);
		while (!sc->sc_dying && !(sc->sc_running && sc->sc_att != NULL))
			cv_wait(&sc->sc_cv, &sc->sc_lock);
		if (sc->sc_dying) {
			mutex_exit(&sc->sc_lock);
			return;
		}
		sa = sc->sc_att;
		atomic_inc(&sa->sa_refcnt);
		mutex_exit(&sc->sc_lock);
		shmif_rcv_bus(sc, sa);
		shmif_att_release(sa);
	}
}

/* ------------------------------------------------------------ ifnet ops */

static int
shmif_init(struct ifnet *ifp)
{
	struct shmif_sc *sc = ifp->if_softc;
	int error = 0;

	mutex_enter(&sc->sc_lock);
	if (sc->sc_att == NULL)
		error = ENXIO;
	else {
		struct shmif_mem *bus = sc->sc_att->sa_bus;

		shmif_lockbus(bus);
		shmif_rxend(bus, &sc->sc_startpkt, &sc->sc_startgen);
		shmif_unlockbus(bus);
		atomic_store_relaxed(&sc->sc_rxstart, true);
		sc->sc_running = true;
		cv_broadcast(&sc->sc_cv);
	}
	mutex_exit(&sc->sc_lock);
	return error;
}

static void
shmif_stop(struct ifnet *ifp)
{
	struct shmif_sc *sc = ifp->if_softc;

	mutex_enter(&sc->sc_lock);
	sc->sc_running = false;
	if (sc->sc_att != NULL)
		rumpcomp_shmif_watchkick(sc->sc_att->sa_watch);
	mutex_exit(&sc->sc_lock);
}

static int
shmif_ioctl(struct ifnet *ifp, unsigned long cmd, void *data)
{
	struct shmif_sc *sc = ifp->if_softc;
	struct if_linkstr *ls = data;
	int error = 0;

	switch (cmd) {
	case SIOCSIFLINKSTR:
		if (atomic_load_relaxed(&ifp->if_flags) & IFF_UP)
			return EBUSY;
		if (ls->ls_str == NULL || strcmp(ls->ls_str, "unset") == 0)
			return shmif_setlinkstr(sc, NULL);
		if (ls->ls_len == 0)
			return EINVAL;
		return shmif_setlinkstr(sc, ls->ls_str);
	case SIOCGIFLINKSTR:
		rw_enter(&sc->sc_attlock, RW_READER);
		if (sc->sc_att == NULL)
			error = ENOENT;
		else if (ls->ls_str == NULL) /* asks for the length */
			ls->ls_len = strlen(sc->sc_att->sa_path);
		else {
			size_t len = strlen(sc->sc_att->sa_path);

			if (ls->ls_len < len + 1)
				error = ENAMETOOLONG;
			else
				memcpy((char *)ls->ls_str, sc->sc_att->sa_path,
				    len + 1);
			ls->ls_len = len;
		}
		rw_exit(&sc->sc_attlock);
		return error;
	case SIOCSIFMTU: {
		struct ifreq *ifr = data;

		if (ifr->ifr_mtu < 68 || ifr->ifr_mtu > SHMIF_MAXMTU)
			return EINVAL;
		return ENOTTY; /* valid: the generic code sets it */
	}
	default:
		return ENOTTY;
	}
}

static void
shmif_free(struct ifnet *ifp)
{
	struct shmif_sc *sc = ifp->if_softc;

	callout_destroy(&sc->sc_bellco);
	cv_destroy(&sc->sc_cv);
	mutex_destroy(&sc->sc_lock);
	rw_destroy(&sc->sc_attlock);
	kmem_free(sc, sizeof(*sc));
}

/* ---------------------------------------------------------------- cloner */

static uint64_t
shmif_param_u64(const char *name, uint64_t dflt)
{
	char buf[32];
	int64_t v;

	if (kern_getparam(name, buf, sizeof(buf)) != 0)
		return dflt;
	v = parse_size(buf);
	return v < 0 ? dflt : (uint64_t)v;
}

static int
shmif_clone_create(
    struct if_cloner *ifc __unused, int unit, struct ifnet **ifpp)
{
	struct shmif_sc *sc;
	struct ifnet *ifp;
	uint8_t mac[ETHER_ADDR_LEN];
	char fault[128];
	size_t got;
	int error;

	if ((sc = kmem_zalloc(sizeof(*sc), KM_SLEEP)) == NULL)
		return ENOMEM;
	sc->sc_unit = unit;
	if (rumpuser_getrandom(&sc->sc_uid, sizeof(sc->sc_uid), 0, &got) != 0 ||
	    got != sizeof(sc->sc_uid))
		sc->sc_uid = getnanotime() ^ ((uint64_t)unit << 48) ^
		    (uint64_t)(uintptr_t)sc;
	if (kern_getparam("RUMP_SHMIF_FAULT", fault, sizeof(fault)) != 0)
		fault[0] = '\0';
	error = if_fault_parse(&sc->sc_fault, fault, sc->sc_uid | 1);
	if (error) {
		printf("shmif%d: bad RUMP_SHMIF_FAULT \"%s\"\n", unit, fault);
		kmem_free(sc, sizeof(*sc));
		return error;
	}
	sc->sc_spin_ns = shmif_param_u64("RUMP_SHMIF_SPIN_US", ~0ULL);
	if (sc->sc_spin_ns != ~0ULL)
		sc->sc_spin_ns *= 1000;
	else
		sc->sc_spin_ns = SHMIF_SPIN_AUTO;
	sc->sc_bell_ns =
	    shmif_param_u64("RUMP_SHMIF_DOORBELL", SHMIF_DOORBELL_NS / 1000) *
	    1000;
	rw_init(&sc->sc_attlock);
	mutex_init(&sc->sc_lock, MUTEX_DEFAULT);
	cv_init(&sc->sc_cv);
	callout_init(&sc->sc_bellco, shmif_bell_callout, sc);

	ifp = &sc->sc_if;
	snprintf(ifp->if_xname, sizeof(ifp->if_xname), "shmif%d", unit);
	ifp->if_softc = sc;
	ifp->if_flags = IFF_BROADCAST | IFF_MULTICAST;
	ifp->if_mtu = ETHERMTU;
	ifp->if_maxwin = SHMIF_DATASIZE / 2;
	ifp->if_init = shmif_init;
	ifp->if_stop = shmif_stop;
	ifp->if_transmit = shmif_transmit;
	ifp->if_ioctl = shmif_ioctl;
	ifp->if_free = shmif_free;
	ether_random_addr(mac, 0xb2, 0xa0);
	ether_ifattach(ifp, mac);

	error = kthread_create(
	    shmif_rcv, sc, ifp->if_xname, KTHREAD_MUSTJOIN, &sc->sc_rcvl);
	if (error) {
		shmif_free(ifp);
		return error;
	}
	if ((error = if_attach(ifp)) != 0) {
		shmif_rcv_stop(sc);
		shmif_free(ifp);
		return error;
	}
	aprint_verbose("%s: Ethernet address %02x:%02x:%02x:%02x:%02x:%02x\n",
	    ifp->if_xname, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	*ifpp = ifp;
	return 0;
}

/* Ends the receiver thread. */
static void
shmif_rcv_stop(struct shmif_sc *sc)
{
	mutex_enter(&sc->sc_lock);
	sc->sc_dying = true;
	cv_broadcast(&sc->sc_cv);
	if (sc->sc_att != NULL)
		rumpcomp_shmif_watchkick(sc->sc_att->sa_watch);
	mutex_exit(&sc->sc_lock);
	kthread_join(sc->sc_rcvl);
}

/*
 * Takes the interface down and off the list, stops the receiver and lets
 * go of the bus; if_free frees the rest when the last reference goes.
 */
static int
shmif_clone_destroy(struct ifnet *ifp)
{
	struct shmif_sc *sc = ifp->if_softc;

	if_down(ifp);
	shmif_rcv_stop(sc);
	(void)shmif_setlinkstr(sc, NULL);
	callout_halt(&sc->sc_bellco);
	if_detach(ifp);
	return 0;
}

RUMP_COMPONENT(RUMP_COMPONENT_NET_IF)
{
	if_cloner_attach(&shmif_cloner);
}

/* ------------------------------------------------------------ public API */

static int
shmif_create(const char *busfile, int *ifnum)
{
	struct ifnet *ifp;
	char name[IFNAMSIZ];
	int error, unit;

	for (unit = 0;; unit++) {
		snprintf(name, sizeof(name), "shmif%d", unit);
		if ((ifp = if_lookup(name)) == NULL)
			break;
		if_release(ifp);
	}
	error = if_create(name, &ifp);
	if (error)
		return error;
	if (busfile != NULL) {
		error = shmif_setlinkstr(ifp->if_softc, busfile);
		if (error) {
			(void)if_destroy(name);
			return error;
		}
	}
	if (ifnum != NULL)
		*ifnum = unit;
	return 0;
}

RUMP_API int
rump_pub_shmif_create(const char *busfile, int *ifnum)
{
	struct lwp *l;
	int error;

	if (!atomic_load_acquire(&kern_running))
		return ENXIO;
	l = sched_enter();
	error = shmif_create(busfile, ifnum);
	sched_exit(l);
	return error;
}

RUMP_API int
rump_pub_shmif_stats(const char *ifname, struct rump_shmif_stats *st)
{
	struct ifnet *ifp;
	struct lwp *l;
	int error = 0;

	if (!atomic_load_acquire(&kern_running))
		return ENXIO;
	l = sched_enter();
	ifp = if_lookup(ifname);
	if (ifp == NULL || ifp->if_transmit != shmif_transmit)
		error = ENXIO;
	else {
		struct shmif_sc *sc = ifp->if_softc;
		const unsigned long long *src = (const void *)&sc->sc_st;
		unsigned long long *dst = (void *)st;

		for (size_t i = 0; i < sizeof(*st) / sizeof(*dst); i++)
			dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
	}
	if (ifp != NULL)
		if_release(ifp);
	sched_exit(l);
	return error;
}
