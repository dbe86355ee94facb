/*
 * in_pcb.c — protocol control blocks of the IPv4 transports (UDP, TCP,
 * raw IP): their addresses and ports, the tables that input uses to find
 * the socket of a packet, port allocation and the SOL_IP options.
 *
 * A table hashes its pcbs twice: connected ones (foreign address set) by
 * their 4-tuple, for the exact match of input; bound ones by local port,
 * for the wildcard match (listeners, unconnected datagram sockets) and for
 * bind's conflict check.  A list of all pcbs serves /proc and raw input.
 *
 * Locks: each table has one rwlock, it_lock: writers are bind, connect,
 * disconnect and detach (with the socket's so_lock held: order so_lock →
 * it_lock); readers are input lookups, which hold it only to find the pcb
 * and take a reference (inp_refcnt), then drop it, lock the socket and
 * check INP_DEAD.  A pcb's reference keeps its socket alive: the socket is
 * freed (sofree) only once so_pcb is NULL, which the last reference does.
 *
 * Life of a pcb:
 *   in_pcballoc (refcnt 1: the socket's) → in_pcbbind / in_pcbconnect
 *   (hashed) → ... → in_pcbdetach (unhashed, INP_DEAD, the socket's
 *   reference dropped) → the last in_pcbunref frees it and then the socket.
 *
 * Ephemeral ports follow RFC 6056's double-hash algorithm (as Linux does):
 * a keyed hash of the destination chooses where the search starts and a
 * table of 256 perturbations, indexed by another hash, spreads successive
 * connections; the range is Linux's, 32768–60999.
 */
#include "fs/procfs/procfs.h"
#include "netinet/ip_var.h"

#define IPPORT_EPHEMERAL_FIRST 32768
#define IPPORT_EPHEMERAL_LAST  60999
#define INP_PERTURB            256
#define IP_MAX_MEMBERSHIPS     20

/*
 * inp_hash bits, written with it_lock held as writer: what readers under
 * the table lock may look at (inp_flags and so_options change under the
 * socket's lock alone).  A detached pcb is on no list, so table readers
 * never meet INP_DEAD.
 */
#define INH_PORT      0x01 /* on the port hash */
#define INH_CONN      0x02 /* on the connection hash */
#define INH_LISTEN    0x04 /* in_pcblisten succeeded */
#define INH_REUSEADDR 0x08 /* SO_REUSEADDR when bound */
#define INH_REUSEPORT 0x10 /* SO_REUSEPORT when bound */
/* Private inp_flags beyond in_var.h's. */
#define INP_LADDRBOUND 0x0200 /* [s] bound to a specific address */

struct ip_mships {
	int im_n;
	struct {
		in_addr_t group;
		int ifindex;
	} im_m[IP_MAX_MEMBERSHIPS];
};

struct inpcbtable {
	krwlock_t it_lock;
	const char *it_name;              /* [I] */
	unsigned it_mask;                 /* [I] buckets - 1 */
	uint32_t it_secret;               /* [I] */
	struct inpcb **it_conn;           /* [t] by 4-tuple */
	struct inpcb **it_port;           /* [t] by local port */
	struct inpcb *it_all;             /* [t] every live pcb */
	int it_count;                     /* [t] */
	uint16_t it_perturb[INP_PERTURB]; /* [t writer] */
};

struct inpcbtable *
in_pcbtable_create(const char *name, int nbuckets)
{
	struct inpcbtable *tbl;
	unsigned n = 16;

	while (n < (unsigned)nbuckets && n < (1u << 20))
		n <<= 1;
	tbl = kmem_zalloc(sizeof(*tbl), KM_SLEEP);
	if (tbl == NULL)
		panic("in_pcbtable_create: no memory for %s", name);
	tbl->it_conn = kmem_zalloc(n * sizeof(struct inpcb *), KM_SLEEP);
	tbl->it_port = kmem_zalloc(n * sizeof(struct inpcb *), KM_SLEEP);
	if (tbl->it_conn == NULL || tbl->it_port == NULL)
		panic("in_pcbtable_create: no memory for %s", name);
	rw_init(&tbl->it_lock);
	tbl->it_name = name;
	tbl->it_mask = n - 1;
	tbl->it_secret = in_random32();
	for (int i = 0; i < INP_PERTURB; i++)
		tbl->it_perturb[i] = (uint16_t)in_random32();
	return tbl;
}

static void inp_reuse_sync(struct inpcb *inp);

static inline unsigned
conn_hash(const struct inpcbtable *tbl, in_addr_t faddr, in_port_t fport,
    in_addr_t laddr, in_port_t lport)
{
	uint32_t h = faddr * 0x9e3779b1u;

	h ^= laddr ^ ((uint32_t)fport << 16 | lport) ^ tbl->it_secret;
	h ^= h >> 15;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h & tbl->it_mask;
}

static inline unsigned
port_hash(const struct inpcbtable *tbl, in_port_t lport)
{
	return ntohs(lport) & tbl->it_mask;
}

/* Unlinks inp from the hashes it is on (it_lock writer). */
static void
in_pcbunhash(struct inpcb *inp)
{
	struct inpcbtable *tbl = inp->inp_table;
	struct inpcb **pp;

	KASSERT(rw_write_held(&tbl->it_lock));
	if (inp->inp_hash & INH_CONN) {
		pp = &tbl->it_conn[inp->inp_hconn];
		while (*pp != inp) {
			KASSERTMSG(*pp != NULL, "in_pcbunhash: not on conn");
			pp = &(*pp)->inp_hnext;
		}
		*pp = inp->inp_hnext;
		inp->inp_hnext = NULL;
	}
	if (inp->inp_hash & INH_PORT) {
		pp = &tbl->it_port[inp->inp_hport];
		while (*pp != inp) {
			KASSERTMSG(*pp != NULL, "in_pcbunhash: not on port");
			pp = &(*pp)->inp_pnext;
		}
		*pp = inp->inp_pnext;
		inp->inp_pnext = NULL;
	}
	inp->inp_hash &= ~(INH_PORT | INH_CONN);
}

/* Links inp into the hashes its fields call for (it_lock writer). */
static void
in_pcbhash(struct inpcb *inp)
{
	struct inpcbtable *tbl = inp->inp_table;
	unsigned h;

	KASSERT(rw_write_held(&tbl->it_lock));
	KASSERT((inp->inp_hash & (INH_PORT | INH_CONN)) == 0);
	if (inp->inp_lport != 0) {
		h = port_hash(tbl, inp->inp_lport);
		inp->inp_hport = h;
		inp->inp_pnext = tbl->it_port[h];
		tbl->it_port[h] = inp;
		inp->inp_hash |= INH_PORT;
	}
	if (inp->inp_faddr != INADDR_ANY) {
		h = conn_hash(tbl, inp->inp_faddr, inp->inp_fport,
		    inp->inp_laddr, inp->inp_lport);
		inp->inp_hconn = h;
		inp->inp_hnext = tbl->it_conn[h];
		tbl->it_conn[h] = inp;
		inp->inp_hash |= INH_CONN;
	}
}

void
in_pcbrehash(struct inpcb *inp)
{
	rw_enter(&inp->inp_table->it_lock, RW_WRITER);
	in_pcbunhash(inp);
	inp_reuse_sync(inp);
	in_pcbhash(inp);
	rw_exit(&inp->inp_table->it_lock);
}

int
in_pcballoc(struct socket *so, struct inpcbtable *tbl)
{
	struct inpcb *inp;

	inp = kmem_zalloc(sizeof(*inp), KM_SLEEP);
	if (inp == NULL)
		return ENOBUFS;
	inp->inp_socket = so;
	inp->inp_table = tbl;
	inp->inp_refcnt = 1;
	inp->inp_ttl = (uint8_t)atomic_load_relaxed(&ip_defttl);
	inp->inp_moptions.imo_ttl = 1;
	inp->inp_moptions.imo_loop = true;
	rw_enter(&tbl->it_lock, RW_WRITER);
	inp->inp_lnext = tbl->it_all;
	if (tbl->it_all != NULL)
		tbl->it_all->inp_lprev = inp;
	tbl->it_all = inp;
	tbl->it_count++;
	rw_exit(&tbl->it_lock);
	so->so_pcb = inp;
	return 0;
}

static inline bool
inp_listening(const struct inpcb *p)
{
	return (p->inp_hash & INH_LISTEN) != 0;
}

/* Notes inp's own reuse options for others' bind checks (so_lock and
 * it_lock as writer held). */
static void
inp_reuse_sync(struct inpcb *inp)
{
	short o = inp->inp_socket->so_options;

	KASSERT(rw_write_held(&inp->inp_table->it_lock));
	inp->inp_hash &= ~(INH_REUSEADDR | INH_REUSEPORT);
	if (o & SO_OPT_REUSEADDR)
		inp->inp_hash |= INH_REUSEADDR;
	if (o & SO_OPT_REUSEPORT)
		inp->inp_hash |= INH_REUSEPORT;
}

/*
 * Whether binding inp to laddr:lport clashes with another pcb (it_lock
 * held): Linux's rules.  Sockets that both set SO_REUSEPORT share; with
 * SO_REUSEADDR on both, a port is shared unless the other one listens.
 * Ephemeral choices (strict) share with nobody.
 */
static bool
in_pcbconflict(struct inpcb *inp, in_addr_t laddr, in_port_t lport, bool strict)
{
	struct inpcbtable *tbl = inp->inp_table;
	short mine = inp->inp_socket->so_options;
	struct inpcb *p;

	for (p = tbl->it_port[port_hash(tbl, lport)]; p != NULL;
	     p = p->inp_pnext) {
		if (p == inp || p->inp_lport != lport)
			continue;
		if (p->inp_laddr != INADDR_ANY && laddr != INADDR_ANY &&
		    p->inp_laddr != laddr)
			continue;
		if (strict)
			return true;
		if ((mine & SO_OPT_REUSEPORT) && (p->inp_hash & INH_REUSEPORT))
			continue;
		if ((mine & SO_OPT_REUSEADDR) &&
		    (p->inp_hash & INH_REUSEADDR) && !inp_listening(p))
			continue;
		return true;
	}
	return false;
}

/*
 * Chooses an ephemeral port for inp bound (or to be bound) to laddr,
 * towards faddr:fport (0: unknown) — RFC 6056 algorithm 4 (it_lock
 * writer).  EADDRNOTAVAIL when the range is exhausted.
 */
static int
in_pcbephemeral(struct inpcb *inp, in_addr_t laddr, in_addr_t faddr,
    in_port_t fport, in_port_t *portp)
{
	struct inpcbtable *tbl = inp->inp_table;
	const uint32_t n = IPPORT_EPHEMERAL_LAST - IPPORT_EPHEMERAL_FIRST + 1;
	uint32_t offset, idx;

	KASSERT(rw_write_held(&tbl->it_lock));
	if (faddr != INADDR_ANY) {
		struct {
			in_addr_t l, f;
			in_port_t fp;
			uint16_t salt;
		} k = {laddr, faddr, fport, 0};

		offset = (uint32_t)in_keyedhash(&k, sizeof(k));
		k.salt = 1;
		idx = (uint32_t)in_keyedhash(&k, sizeof(k)) % INP_PERTURB;
	} else {
		offset = in_random32();
		idx = offset >> 24;
	}
	offset += tbl->it_perturb[idx];
	for (uint32_t i = 0; i < n; i++) {
		in_port_t port = htons(
		    (uint16_t)(IPPORT_EPHEMERAL_FIRST + (offset + i) % n));

		if (!in_pcbconflict(inp, laddr, port, true)) {
			/* Two steps: the next search from the same place does
			 * not find the port just freed (RFC 6056 4.4). */
			tbl->it_perturb[idx] += (uint16_t)(i + 2);
			*portp = port;
			return 0;
		}
	}
	return EADDRNOTAVAIL;
}

int
in_pcbbind(struct inpcb *inp, const struct sockaddr_in *sin)
{
	struct inpcbtable *tbl = inp->inp_table;
	in_addr_t laddr = INADDR_ANY;
	in_port_t lport = 0;
	int error = 0;

	KASSERT(solocked(inp->inp_socket));
	if (inp->inp_lport != 0 || inp->inp_laddr != INADDR_ANY)
		return EINVAL;
	if (sin != NULL) {
		laddr = sin->sin_addr.s_addr;
		lport = sin->sin_port;
		if (laddr != INADDR_ANY && !IN_MULTICAST(laddr) &&
		    laddr != INADDR_BROADCAST && !in_ifaddr_islocal(laddr) &&
		    !in_broadcast(laddr, NULL))
			return EADDRNOTAVAIL;
	}
	rw_enter(&tbl->it_lock, RW_WRITER);
	if (lport == 0) {
		error = in_pcbephemeral(inp, laddr, INADDR_ANY, 0, &lport);
		if (error)
			goto out;
		inp->inp_flags |= INP_ANONPORT;
	} else if (in_pcbconflict(inp, laddr, lport, false)) {
		error = EADDRINUSE;
		goto out;
	}
	in_pcbunhash(inp);
	inp->inp_laddr = laddr;
	inp->inp_lport = lport;
	if (laddr != INADDR_ANY)
		inp->inp_flags |= INP_LADDRBOUND;
	inp_reuse_sync(inp);
	in_pcbhash(inp);
out:
	rw_exit(&tbl->it_lock);
	return error;
}

int
in_pcblisten(struct inpcb *inp)
{
	struct inpcbtable *tbl = inp->inp_table;
	short mine;
	struct inpcb *p;
	int error = 0;

	KASSERT(solocked(inp->inp_socket));
	if (inp->inp_lport == 0) {
		error = in_pcbbind(inp, NULL);
		if (error)
			return error;
	}
	mine = inp->inp_socket->so_options;
	rw_enter(&tbl->it_lock, RW_WRITER);
	inp_reuse_sync(inp);
	for (p = tbl->it_port[port_hash(tbl, inp->inp_lport)]; p != NULL;
	     p = p->inp_pnext) {
		if (p == inp || p->inp_lport != inp->inp_lport ||
		    !inp_listening(p))
			continue;
		if (p->inp_laddr != INADDR_ANY &&
		    inp->inp_laddr != INADDR_ANY &&
		    p->inp_laddr != inp->inp_laddr)
			continue;
		if ((mine & SO_OPT_REUSEPORT) && (p->inp_hash & INH_REUSEPORT))
			continue;
		error = EADDRINUSE;
		break;
	}
	if (error == 0)
		inp->inp_hash |= INH_LISTEN;
	rw_exit(&tbl->it_lock);
	return error;
}

int
in_pcbconnect(struct inpcb *inp, const struct sockaddr_in *sin)
{
	struct inpcbtable *tbl = inp->inp_table;
	in_addr_t faddr = sin->sin_addr.s_addr, laddr = inp->inp_laddr;
	in_port_t fport = sin->sin_port, lport = inp->inp_lport;
	struct inpcb *p;
	int error;

	KASSERT(solocked(inp->inp_socket));
	if (fport == 0)
		return EADDRNOTAVAIL;
	/* Connecting to 0.0.0.0 means this host (Linux: the loopback). */
	if (faddr == INADDR_ANY)
		faddr = htonl(INADDR_LOOPBACK);
	if ((faddr == INADDR_BROADCAST || in_broadcast(faddr, NULL)) &&
	    !(inp->inp_socket->so_options & SO_OPT_BROADCAST))
		return EACCES;
	if (laddr == INADDR_ANY || IN_MULTICAST(laddr)) {
		error = ip_select_source(faddr, &inp->inp_route, &laddr);
		if (error)
			return error;
	}
	rw_enter(&tbl->it_lock, RW_WRITER);
	if (lport == 0) {
		error = in_pcbephemeral(inp, laddr, faddr, fport, &lport);
		if (error)
			goto out;
		inp->inp_flags |= INP_ANONPORT;
	}
	for (p = tbl->it_conn[conn_hash(tbl, faddr, fport, laddr, lport)];
	     p != NULL; p = p->inp_hnext) {
		if (p != inp && p->inp_faddr == faddr &&
		    p->inp_fport == fport && p->inp_laddr == laddr &&
		    p->inp_lport == lport) {
			error = EADDRINUSE;
			goto out;
		}
	}
	in_pcbunhash(inp);
	inp->inp_laddr = laddr;
	inp->inp_lport = lport;
	inp->inp_faddr = faddr;
	inp->inp_fport = fport;
	inp_reuse_sync(inp);
	in_pcbhash(inp);
	error = 0;
out:
	rw_exit(&tbl->it_lock);
	return error;
}

void
in_pcbset(struct inpcb *inp, in_addr_t laddr, in_port_t lport, in_addr_t faddr,
    in_port_t fport)
{
	KASSERT(solocked(inp->inp_socket));
	rw_enter(&inp->inp_table->it_lock, RW_WRITER);
	in_pcbunhash(inp);
	inp->inp_laddr = laddr;
	inp->inp_lport = lport;
	inp->inp_faddr = faddr;
	inp->inp_fport = fport;
	in_pcbhash(inp);
	rw_exit(&inp->inp_table->it_lock);
}

void
in_pcbdisconnect(struct inpcb *inp)
{
	struct inpcbtable *tbl = inp->inp_table;

	KASSERT(solocked(inp->inp_socket));
	rw_enter(&tbl->it_lock, RW_WRITER);
	in_pcbunhash(inp);
	inp->inp_faddr = INADDR_ANY;
	inp->inp_fport = 0;
	/* Like Linux: what connect chose is given back. */
	if (!(inp->inp_flags & INP_LADDRBOUND))
		inp->inp_laddr = INADDR_ANY;
	if (inp->inp_flags & INP_ANONPORT) {
		inp->inp_lport = 0;
		inp->inp_flags &= ~INP_ANONPORT;
	}
	in_pcbhash(inp);
	rw_exit(&tbl->it_lock);
	rtcache_free(&inp->inp_route);
}

static void
in_pcbfree(struct inpcb *inp)
{
	rtcache_free(&inp->inp_route);
	if (inp->inp_moptions.imo_ifp != NULL)
		if_release(inp->inp_moptions.imo_ifp);
	if (inp->inp_mships != NULL)
		kmem_free(inp->inp_mships, sizeof(*inp->inp_mships));
	kmem_free(inp, sizeof(*inp));
}

void
in_pcbdetach(struct inpcb *inp)
{
	struct inpcbtable *tbl = inp->inp_table;
	struct socket *so = inp->inp_socket;

	KASSERT(solocked(so));
	KASSERT(!(inp->inp_flags & INP_DEAD));
	rw_enter(&tbl->it_lock, RW_WRITER);
	in_pcbunhash(inp);
	if (inp->inp_lnext != NULL)
		inp->inp_lnext->inp_lprev = inp->inp_lprev;
	if (inp->inp_lprev != NULL)
		inp->inp_lprev->inp_lnext = inp->inp_lnext;
	else
		tbl->it_all = inp->inp_lnext;
	tbl->it_count--;
	inp->inp_flags |= INP_DEAD;
	rw_exit(&tbl->it_lock);
	rtcache_free(&inp->inp_route);
	if (atomic_dec(&inp->inp_refcnt) == 0) {
		so->so_pcb = NULL;
		in_pcbfree(inp);
	}
	/* Else an input path holds it: its in_pcbunref frees both. */
}

void
in_pcbref(struct inpcb *inp)
{
	atomic_inc(&inp->inp_refcnt);
}

void
in_pcbunref(struct inpcb *inp)
{
	struct socket *so;

	if (atomic_dec(&inp->inp_refcnt) != 0)
		return;
	KASSERTMSG(inp->inp_flags & INP_DEAD, "in_pcbunref: live pcb");
	so = inp->inp_socket;
	if (solocked(so)) {
		/* A caller that kept the lock: it releases the socket. */
		so->so_pcb = NULL;
		in_pcbfree(inp);
		return;
	}
	solock(so);
	so->so_pcb = NULL;
	in_pcbfree(inp);
	sofree(so);
}

struct inpcb *
in_pcblookup(struct inpcbtable *tbl, in_addr_t faddr, in_port_t fport,
    in_addr_t laddr, in_port_t lport, bool wildcard)
{
	struct inpcb *p, *best = NULL;
	int bestscore = 0, nbest = 0;

	rw_enter(&tbl->it_lock, RW_READER);
	for (p = tbl->it_conn[conn_hash(tbl, faddr, fport, laddr, lport)];
	     p != NULL; p = p->inp_hnext) {
		if (p->inp_faddr == faddr && p->inp_fport == fport &&
		    p->inp_laddr == laddr && p->inp_lport == lport) {
			in_pcbref(p);
			rw_exit(&tbl->it_lock);
			return p;
		}
	}
	if (!wildcard)
		goto out;
	/*
	 * The best unconnected pcb on the port: listeners before the rest (a
	 * socket bound with SO_REUSEADDR beside a listener gets no SYNs),
	 * then a specific local address before the wildcard.  Among equals
	 * (SO_REUSEPORT) the flow's hash picks one, so a flow stays put.
	 */
	for (p = tbl->it_port[port_hash(tbl, lport)]; p != NULL;
	     p = p->inp_pnext) {
		int score;

		if (p->inp_lport != lport || p->inp_faddr != INADDR_ANY)
			continue;
		if (p->inp_laddr == laddr)
			score = 2;
		else if (p->inp_laddr == INADDR_ANY)
			score = 1;
		else
			continue;
		if (inp_listening(p))
			score += 4;
		if (score > bestscore) {
			bestscore = score;
			best = p;
			nbest = 1;
		} else if (score == bestscore)
			nbest++;
	}
	if (nbest > 1) {
		int pick = (int)(conn_hash(tbl, faddr, fport, laddr, lport) %
		    (unsigned)nbest);

		for (p = tbl->it_port[port_hash(tbl, lport)]; p != NULL;
		     p = p->inp_pnext) {
			int score;

			if (p->inp_lport != lport || p->inp_faddr != INADDR_ANY)
				continue;
			if (p->inp_laddr == laddr)
				score = 2;
			else if (p->inp_laddr == INADDR_ANY)
				score = 1;
			else
				continue;
			if (inp_listening(p))
				score += 4;
			if (score == bestscore && pick-- == 0) {
				best = p;
				break;
			}
		}
	}
	if (best != NULL)
		in_pcbref(best);
out:
	rw_exit(&tbl->it_lock);
	return best;
}

void
in_pcbnotify(struct inpcbtable *tbl, in_addr_t faddr, in_port_t fport,
    in_addr_t laddr, in_port_t lport, int error)
{
	struct inpcb *inp;
	struct socket *so;

	inp = in_pcblookup(tbl, faddr, fport, laddr, lport, false);
	if (inp == NULL)
		return;
	so = inp->inp_socket;
	solock(so);
	if (!(inp->inp_flags & INP_DEAD))
		soseterror(so, error);
	sounlock(so);
	in_pcbunref(inp);
}

static bool
in_pcbmatch(const struct inpcb *p, in_addr_t faddr, in_port_t fport,
    in_addr_t laddr, in_port_t lport)
{
	if (lport != 0 && p->inp_lport != lport)
		return false;
	if (p->inp_laddr != INADDR_ANY && p->inp_laddr != laddr)
		return false;
	if (p->inp_faddr != INADDR_ANY && p->inp_faddr != faddr)
		return false;
	if (p->inp_fport != 0 && p->inp_fport != fport)
		return false;
	return true;
}

int
in_pcbcollect(struct inpcbtable *tbl, in_addr_t faddr, in_port_t fport,
    in_addr_t laddr, in_port_t lport, bool (*filter)(struct inpcb *, void *),
    void *arg, struct inpcb **pcbs, int max)
{
	struct inpcb *p;
	int n = 0;

	rw_enter(&tbl->it_lock, RW_READER);
	if (lport != 0) {
		for (p = tbl->it_port[port_hash(tbl, lport)];
		     p != NULL && n < max; p = p->inp_pnext) {
			if (!in_pcbmatch(p, faddr, fport, laddr, lport) ||
			    (filter != NULL && !filter(p, arg)))
				continue;
			in_pcbref(p);
			pcbs[n++] = p;
		}
	} else {
		for (p = tbl->it_all; p != NULL && n < max; p = p->inp_lnext) {
			if (!in_pcbmatch(p, faddr, fport, laddr, 0) ||
			    (filter != NULL && !filter(p, arg)))
				continue;
			in_pcbref(p);
			pcbs[n++] = p;
		}
	}
	rw_exit(&tbl->it_lock);
	return n;
}

void
in_pcbforeach(
    struct inpcbtable *tbl, void (*fn)(struct inpcb *, void *), void *arg)
{
	struct inpcb *p;

	rw_enter(&tbl->it_lock, RW_READER);
	for (p = tbl->it_all; p != NULL; p = p->inp_lnext)
		fn(p, arg);
	rw_exit(&tbl->it_lock);
}

static void
in_fillsa(
    struct sockaddr_storage *ss, socklen_t *len, in_addr_t addr, in_port_t port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = port;
	sin->sin_addr.s_addr = addr;
	*len = sizeof(*sin);
}

void
in_setsockaddr(
    const struct inpcb *inp, struct sockaddr_storage *ss, socklen_t *len)
{
	in_fillsa(ss, len, inp->inp_laddr, inp->inp_lport);
}

void
in_setpeeraddr(
    const struct inpcb *inp, struct sockaddr_storage *ss, socklen_t *len)
{
	in_fillsa(ss, len, inp->inp_faddr, inp->inp_fport);
}

int
in_sockaddr(struct socket *so, struct sockaddr_storage *ss, socklen_t *len)
{
	struct inpcb *inp = so->so_pcb;

	if (inp == NULL || (inp->inp_flags & INP_DEAD))
		return EINVAL;
	in_setsockaddr(inp, ss, len);
	return 0;
}

int
in_peeraddr(struct socket *so, struct sockaddr_storage *ss, socklen_t *len)
{
	struct inpcb *inp = so->so_pcb;

	if (inp == NULL || (inp->inp_flags & INP_DEAD))
		return EINVAL;
	if (inp->inp_faddr == INADDR_ANY)
		return ENOTCONN;
	in_setpeeraddr(inp, ss, len);
	return 0;
}

int
in_sockaddr_check(const struct sockaddr *nam, socklen_t len, bool unspec_ok)
{
	if (len < sizeof(struct sockaddr_in))
		return EINVAL;
	if (nam->sa_family == AF_INET)
		return 0;
	if (unspec_ok && nam->sa_family == AF_UNSPEC)
		return 0;
	return EAFNOSUPPORT;
}

/* ------------------------------------------------------ SOL_IP options */

/* An int option's value: an int, or one byte for the options Linux
 * accepts that way. */
static int
opt_getint(const void *val, socklen_t len, bool byte_ok, int *vp)
{
	if (len >= sizeof(int)) {
		memcpy(vp, val, sizeof(int));
		return 0;
	}
	if (byte_ok && len >= 1) {
		*vp = *(const uint8_t *)val;
		return 0;
	}
	return EINVAL;
}

static int
opt_putint(void *val, socklen_t *len, int v)
{
	if (*len >= sizeof(int)) {
		memcpy(val, &v, sizeof(int));
		*len = sizeof(int);
		return 0;
	}
	if (*len > 0 && v >= 0 && v <= 255) {
		*(uint8_t *)val = (uint8_t)v;
		*len = 1;
		return 0;
	}
	return EINVAL;
}

static int
in_mship(struct inpcb *inp, bool add, const void *val, socklen_t len)
{
	struct ip_mreqn mr;
	struct ip_mships *ms;
	struct ifnet *ifp;
	int i;

	memset(&mr, 0, sizeof(mr));
	if (len >= sizeof(struct ip_mreqn))
		memcpy(&mr, val, sizeof(mr));
	else if (len >= sizeof(struct ip_mreq))
		memcpy(&mr, val, sizeof(struct ip_mreq));
	else
		return EINVAL;
	if (!IN_MULTICAST(mr.imr_multiaddr.s_addr))
		return EINVAL;
	if (mr.imr_ifindex == 0 && mr.imr_address.s_addr != INADDR_ANY) {
		struct in_ifaddr *ia = in_ifaddr_lookup(mr.imr_address.s_addr);

		if (ia == NULL)
			return ENODEV;
		mr.imr_ifindex = ia->ia_ifa.ifa_ifp->if_index;
		ifa_release(&ia->ia_ifa);
	} else if (mr.imr_ifindex != 0) {
		ifp = if_byindex(mr.imr_ifindex);
		if (ifp == NULL)
			return ENODEV;
		if_release(ifp);
	}
	ms = inp->inp_mships;
	for (i = 0; ms != NULL && i < ms->im_n; i++)
		if (ms->im_m[i].group == mr.imr_multiaddr.s_addr &&
		    (ms->im_m[i].ifindex == mr.imr_ifindex || !add))
			break;
	if (!add) {
		if (ms == NULL || i == ms->im_n)
			return EADDRNOTAVAIL;
		ms->im_m[i] = ms->im_m[--ms->im_n];
		return 0;
	}
	if (ms != NULL && i < ms->im_n)
		return EADDRINUSE;
	if (ms == NULL) {
		ms = kmem_zalloc(sizeof(*ms), KM_SLEEP);
		if (ms == NULL)
			return ENOBUFS;
		inp->inp_mships = ms;
	}
	if (ms->im_n == IP_MAX_MEMBERSHIPS)
		return ENOBUFS;
	ms->im_m[ms->im_n].group = mr.imr_multiaddr.s_addr;
	ms->im_m[ms->im_n].ifindex = mr.imr_ifindex;
	ms->im_n++;
	return 0;
}

bool
in_pcb_member(const struct inpcb *inp, in_addr_t group, const struct ifnet *ifp)
{
	const struct ip_mships *ms = inp->inp_mships;

	for (int i = 0; ms != NULL && i < ms->im_n; i++)
		if (ms->im_m[i].group == group &&
		    (ms->im_m[i].ifindex == 0 || ifp == NULL ||
		        ms->im_m[i].ifindex == ifp->if_index))
			return true;
	return false;
}

static int
in_flagopt(struct inpcb *inp, int op, int flag, void *val, socklen_t *len)
{
	int v, error;

	if (op == PRCO_GETOPT)
		return opt_putint(val, len, (inp->inp_flags & flag) != 0);
	if ((error = opt_getint(val, *len, true, &v)) != 0)
		return error;
	if (v)
		inp->inp_flags |= flag;
	else
		inp->inp_flags &= ~flag;
	return 0;
}

int
in_ctloutput_ip(int op, struct inpcb *inp, int name, void *val, socklen_t *len)
{
	struct ip_moptions *imo = &inp->inp_moptions;
	int v, error = 0;

	KASSERT(solocked(inp->inp_socket));
	switch (name) {
	case IP_TOS:
		if (op == PRCO_GETOPT)
			return opt_putint(val, len, inp->inp_tos);
		if ((error = opt_getint(val, *len, true, &v)) != 0)
			return error;
		/* The ECN bits are the transport's (Linux keeps them). */
		inp->inp_tos = (uint8_t)((v & ~3) | (inp->inp_tos & 3));
		return 0;
	case IP_TTL:
		if (op == PRCO_GETOPT)
			return opt_putint(val, len, inp->inp_ttl);
		if ((error = opt_getint(val, *len, false, &v)) != 0)
			return error;
		if (v == -1)
			v = atomic_load_relaxed(&ip_defttl);
		if (v < 1 || v > 255)
			return EINVAL;
		inp->inp_ttl = (uint8_t)v;
		return 0;
	case IP_HDRINCL:
		if (inp->inp_socket->so_type != SOCK_RAW)
			return ENOPROTOOPT;
		return in_flagopt(inp, op, INP_HDRINCL, val, len);
	case IP_PKTINFO:
		return in_flagopt(inp, op, INP_RECVPKTINFO, val, len);
	case IP_RECVTTL:
		return in_flagopt(inp, op, INP_RECVTTL, val, len);
	case IP_RECVTOS:
		return in_flagopt(inp, op, INP_RECVTOS, val, len);
	case IP_RECVERR:
		return in_flagopt(inp, op, INP_RECVERR, val, len);
	case IP_MTU_DISCOVER:
		if (op == PRCO_GETOPT)
			return opt_putint(val, len, 1);
		if ((error = opt_getint(val, *len, false, &v)) != 0)
			return error;
		return v >= 0 && v <= 5 ? 0 : EINVAL;
	case IP_MTU:
		if (op != PRCO_GETOPT)
			return ENOPROTOOPT;
		if (inp->inp_faddr == INADDR_ANY)
			return ENOTCONN;
		return opt_putint(
		    val, len, ip_mtu_to(inp->inp_faddr, &inp->inp_route));
	case IP_OPTIONS:
		if (op == PRCO_GETOPT) {
			*len = 0;
			return 0;
		}
		return *len == 0 ? 0 : EINVAL;
	case IP_MULTICAST_TTL:
		if (op == PRCO_GETOPT)
			return opt_putint(val, len, imo->imo_ttl);
		if ((error = opt_getint(val, *len, true, &v)) != 0)
			return error;
		if (v == -1)
			v = 1;
		if (v < 0 || v > 255)
			return EINVAL;
		imo->imo_ttl = (uint8_t)v;
		return 0;
	case IP_MULTICAST_LOOP:
		if (op == PRCO_GETOPT)
			return opt_putint(val, len, imo->imo_loop);
		if ((error = opt_getint(val, *len, true, &v)) != 0)
			return error;
		imo->imo_loop = v != 0;
		return 0;
	case IP_MULTICAST_IF: {
		struct ip_mreqn mr;
		struct ifnet *ifp = NULL;

		if (op == PRCO_GETOPT) {
			struct in_addr a = {INADDR_ANY};

			if (imo->imo_ifp != NULL) {
				struct in_ifaddr *ia =
				    in_ifaddr_first(imo->imo_ifp);

				if (ia != NULL) {
					a.s_addr = ia->ia_addr;
					ifa_release(&ia->ia_ifa);
				}
			}
			if (*len < sizeof(a))
				return EINVAL;
			memcpy(val, &a, sizeof(a));
			*len = sizeof(a);
			return 0;
		}
		memset(&mr, 0, sizeof(mr));
		if (*len >= sizeof(struct ip_mreqn))
			memcpy(&mr, val, sizeof(mr));
		else if (*len >= sizeof(struct ip_mreq))
			memcpy(&mr, val, sizeof(struct ip_mreq));
		else if (*len >= sizeof(struct in_addr))
			memcpy(&mr.imr_address, val, sizeof(struct in_addr));
		else
			return EINVAL;
		if (mr.imr_ifindex != 0) {
			ifp = if_byindex(mr.imr_ifindex);
			if (ifp == NULL)
				return ENODEV;
		} else if (mr.imr_address.s_addr != INADDR_ANY) {
			struct in_ifaddr *ia =
			    in_ifaddr_lookup(mr.imr_address.s_addr);

			if (ia == NULL)
				return EADDRNOTAVAIL;
			ifp = ia->ia_ifa.ifa_ifp;
			if_hold(ifp);
			ifa_release(&ia->ia_ifa);
		}
		if (imo->imo_ifp != NULL)
			if_release(imo->imo_ifp);
		imo->imo_ifp = ifp;
		return 0;
	}
	case IP_ADD_MEMBERSHIP:
	case IP_DROP_MEMBERSHIP:
		if (op == PRCO_GETOPT)
			return ENOPROTOOPT;
		return in_mship(inp, name == IP_ADD_MEMBERSHIP, val, *len);
	default:
		return ENOPROTOOPT;
	}
}

/* ---------------------------------------------------- control messages */

bool
in_cmsg_add(struct mbuf **cp, int level, int type, const void *data, size_t len)
{
	struct cmsghdr ch;
	struct mbuf *m = *cp;
	size_t space = CMSG_SPACE(len);
	char pad[sizeof(size_t)] = {0};

	if (m == NULL) {
		m = m_get(M_DONTWAIT, MT_CONTROL);
		if (m == NULL)
			return false;
		*cp = m;
	}
	ch.cmsg_len = CMSG_LEN(len);
	ch.cmsg_level = level;
	ch.cmsg_type = type;
	if (m_copyback(m, m_length(m), sizeof(ch), &ch, M_DONTWAIT) != 0)
		return false;
	if (m_copyback(m, m_length(m), (int)len, data, M_DONTWAIT) != 0)
		return false;
	if (space > CMSG_LEN(len) &&
	    m_copyback(m, m_length(m), (int)(space - CMSG_LEN(len)), pad,
	        M_DONTWAIT) != 0)
		return false;
	return true;
}

int
in_cmsg_parse(struct mbuf *control, in_addr_t *srcp, int *ttlp, int *tosp)
{
	char buf[512];
	int len, off;

	if (control == NULL)
		return 0;
	len = m_length(control);
	if (len > (int)sizeof(buf))
		return EINVAL;
	m_copydata(control, 0, len, buf);
	for (off = 0; off + (int)sizeof(struct cmsghdr) <= len;) {
		struct cmsghdr ch;
		const char *data;
		size_t dlen;
		int v;

		memcpy(&ch, buf + off, sizeof(ch));
		if (ch.cmsg_len < sizeof(ch) ||
		    ch.cmsg_len > (size_t)(len - off))
			return EINVAL;
		data = buf + off + CMSG_ALIGN(sizeof(ch));
		dlen = ch.cmsg_len - CMSG_ALIGN(sizeof(ch));
		off += (int)CMSG_ALIGN(ch.cmsg_len);
		if (ch.cmsg_level != SOL_IP)
			continue;
		switch (ch.cmsg_type) {
		case IP_PKTINFO: {
			struct in_pktinfo pi;

			if (dlen < sizeof(pi))
				return EINVAL;
			memcpy(&pi, data, sizeof(pi));
			if (pi.ipi_spec_dst.s_addr != INADDR_ANY)
				*srcp = pi.ipi_spec_dst.s_addr;
			break;
		}
		case IP_TTL:
			if (dlen < sizeof(int))
				return EINVAL;
			memcpy(&v, data, sizeof(v));
			if (v < 1 || v > 255)
				return EINVAL;
			*ttlp = v;
			break;
		case IP_TOS:
			if (dlen < 1)
				return EINVAL;
			if (dlen >= sizeof(int))
				memcpy(&v, data, sizeof(v));
			else
				v = *(const uint8_t *)data;
			if (v < 0 || v > 255)
				return EINVAL;
			*tosp = v;
			break;
		default:
			return EINVAL;
		}
	}
	return 0;
}

/* ---------------------------------------------------------- /proc/net */

struct pcb_pfs {
	struct pfs_buf *pp_b;
	int pp_sl;
	bool pp_raw;
};

static void
pcb_pfs_line(struct inpcb *inp, void *arg)
{
	struct pcb_pfs *pp = arg;
	struct socket *so = inp->inp_socket;
	char line[160];
	int n, st = inp->inp_faddr != INADDR_ANY ? 1 : 7;
	unsigned lport =
	    pp->pp_raw ? (unsigned)inp->inp_proto : ntohs(inp->inp_lport);
	unsigned fport = pp->pp_raw ? 0 : ntohs(inp->inp_fport);

	/* Linux prints the addresses as the raw 32-bit value in hex. */
	n = snprintf(line, sizeof(line),
	    "%5d: %08X:%04X %08X:%04X %02X %08X:%08X %02X:%08lX %08X %5u %8d "
	    "%lu %d %016lx %llu",
	    pp->pp_sl++, inp->inp_laddr, lport, inp->inp_faddr, fport, st,
	    (unsigned)atomic_load_relaxed(&so->so_snd.sb_cc),
	    (unsigned)atomic_load_relaxed(&so->so_rcv.sb_cc), 0, 0UL, 0, 0u, 0,
	    0UL, atomic_load_relaxed(&inp->inp_refcnt), 0UL,
	    (unsigned long long)atomic_load_relaxed(&inp->inp_drops));
	if (pp->pp_raw)
		pfs_printf(pp->pp_b, "%s\n", line);
	else
		pfs_printf(pp->pp_b, "%-127s\n", line);
	(void)n;
}

void
in_pcb_procfs(struct inpcbtable *tbl, struct pfs_buf *b, bool raw)
{
	struct pcb_pfs pp = {b, 0, raw};
	const char *hdr = "  sl  local_address rem_address   st tx_queue "
	                  "rx_queue tr tm->when retrnsmt   uid  timeout "
	                  "inode ref pointer drops";

	if (raw)
		pfs_printf(b, "%s\n", hdr);
	else
		pfs_printf(b, "%-127s\n", hdr);
	in_pcbforeach(tbl, pcb_pfs_line, &pp);
}
