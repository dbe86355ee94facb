/*
 * mbuf.c — packet buffers (net/mbuf.h): allocation, external storage
 * shared by reference count, copying, reshaping and packet queues.
 *
 * An mbuf is a kmem object of MSIZE bytes (kmem keeps per-CPU magazines,
 * so the common allocation takes no lock).  External storage carries a
 * reference count in a small kmem object of its own, so an mbuf and the
 * buffer it points to have independent lives: the last m_free of any of
 * the mbufs sharing a buffer frees it.  Clusters of MCLBYTES are kmem
 * objects; big clusters (MBIGCLBYTES, too large for kmem's classes) are
 * kept in a per-CPU cache of a few each, backed by a global depot that a
 * kmem reclaimer empties when memory is short.
 *
 * Counters of mbufs and clusters in use live on per-CPU cache lines and
 * are summed by mbuf_stats() for the tests' leak checks.
 */
#include "net/mbuf.h"

#include "kern/proc.h"

#define MB_NSLOT   64 /* per-CPU slots; CPUs beyond use slot index % 64 */
#define BIGC_CACHE 8  /* big clusters kept per CPU */
#define BIGC_DEPOT 64 /* and in the depot */

struct mb_pcpu {
	int64_t mp_mbufs;    /* [a] */
	int64_t mp_clusters; /* [a] */
	int mp_nbig;         /* [c] the CPU's holder */
	void *mp_big[BIGC_CACHE];
} __cacheline_aligned;

static struct mb_pcpu mb_pcpu[MB_NSLOT];

/* The depot of big clusters: [d] bigc_lock, a spin mutex taken briefly. */
static kmutex_t bigc_lock;
static void *bigc_depot[BIGC_DEPOT]; /* [d] */
static int bigc_ndepot;              /* [d] */
static bool bigc_ready;

static inline struct mb_pcpu *
mb_cpu(void)
{
	return &mb_pcpu[curcpu()->ci_index % MB_NSLOT];
}

/* Whether the slot of this CPU is its alone (its holder needs no lock). */
static inline bool
mb_cpu_private(void)
{
	return ncpu <= MB_NSLOT;
}

static size_t
bigc_reclaim(void *arg __unused)
{
	size_t freed = 0;
	void *p;

	for (;;) {
		mutex_enter(&bigc_lock);
		p = bigc_ndepot > 0 ? bigc_depot[--bigc_ndepot] : NULL;
		mutex_exit(&bigc_lock);
		if (p == NULL)
			break;
		kmem_free(p, MBIGCLBYTES);
		freed += MBIGCLBYTES;
	}
	return freed;
}

static struct kmem_reclaimer bigc_reclaimer = {bigc_reclaim, NULL, NULL};

RUMP_COMPONENT(RUMP_COMPONENT_KERN)
{
	mutex_init(&bigc_lock, MUTEX_SPIN);
	kmem_reclaimer_register(&bigc_reclaimer);
	atomic_store_release(&bigc_ready, true);
}

static void *
bigc_alloc(int how)
{
	struct mb_pcpu *mp = mb_cpu();
	void *p = NULL;

	if (mb_cpu_private() && mp->mp_nbig > 0)
		return mp->mp_big[--mp->mp_nbig];
	if (atomic_load_acquire(&bigc_ready)) {
		mutex_enter(&bigc_lock);
		if (bigc_ndepot > 0)
			p = bigc_depot[--bigc_ndepot];
		mutex_exit(&bigc_lock);
	}
	if (p == NULL)
		p = kmem_alloc(
		    MBIGCLBYTES, how == M_WAIT ? KM_SLEEP : KM_NOSLEEP);
	return p;
}

static void
bigc_free(void *p)
{
	struct mb_pcpu *mp = mb_cpu();

	if (mb_cpu_private() && mp->mp_nbig < BIGC_CACHE) {
		mp->mp_big[mp->mp_nbig++] = p;
		return;
	}
	if (atomic_load_acquire(&bigc_ready)) {
		mutex_enter(&bigc_lock);
		if (bigc_ndepot < BIGC_DEPOT) {
			bigc_depot[bigc_ndepot++] = p;
			p = NULL;
		}
		mutex_exit(&bigc_lock);
	}
	if (p != NULL)
		kmem_free(p, MBIGCLBYTES);
}

static inline void
mb_count(int64_t *ctr, int64_t n)
{
	__atomic_add_fetch(ctr, n, __ATOMIC_RELAXED);
}

void
mbuf_stats(uint64_t *mbufs, uint64_t *clusters)
{
	int64_t m = 0, c = 0;

	for (int i = 0; i < MB_NSLOT; i++) {
		m += __atomic_load_n(&mb_pcpu[i].mp_mbufs, __ATOMIC_RELAXED);
		c += __atomic_load_n(&mb_pcpu[i].mp_clusters, __ATOMIC_RELAXED);
	}
	if (mbufs)
		*mbufs = (uint64_t)m;
	if (clusters)
		*clusters = (uint64_t)c;
}

/* ------------------------------------------------------------ allocation */

static inline int
mb_kmflags(int how)
{
	return how == M_WAIT ? KM_SLEEP : KM_NOSLEEP;
}

struct mbuf *
m_get(int how, int type)
{
	struct mbuf *m = kmem_alloc(MSIZE, mb_kmflags(how));

	if (m == NULL)
		return NULL;
	m->m_next = m->m_nextpkt = NULL;
	m->m_data = m->m_dat;
	m->m_len = 0;
	m->m_flags = 0;
	m->m_type = (short)type;
	mb_count(&mb_cpu()->mp_mbufs, 1);
	return m;
}

struct mbuf *
m_gethdr(int how, int type)
{
	struct mbuf *m = m_get(how, type);

	if (m == NULL)
		return NULL;
	m->m_flags = M_PKTHDR;
	memset(&m->m_pkthdr, 0, sizeof(m->m_pkthdr));
	return m;
}

/* Frees cluster storage made by m_getcl (ext_free of clusters). */
static void
mb_cluster_free(void *buf, size_t size, void *arg __unused)
{
	if (size == MBIGCLBYTES)
		bigc_free(buf);
	else
		kmem_free(buf, size);
	mb_count(&mb_cpu()->mp_clusters, -1);
}

struct mbuf *
m_getcl(int how, int type, int flags, size_t size)
{
	struct mbuf *m;
	unsigned *ref;
	void *buf;

	size = size > MCLBYTES ? MBIGCLBYTES : MCLBYTES;
	m = (flags & M_PKTHDR) ? m_gethdr(how, type) : m_get(how, type);
	if (m == NULL)
		return NULL;
	if ((ref = kmem_alloc(sizeof(*ref), mb_kmflags(how))) == NULL)
		goto fail;
	buf = size == MBIGCLBYTES ? bigc_alloc(how)
	                          : kmem_alloc(MCLBYTES, mb_kmflags(how));
	if (buf == NULL) {
		kmem_free(ref, sizeof(*ref));
		goto fail;
	}
	*ref = 1;
	mb_count(&mb_cpu()->mp_clusters, 1);
	m->m_ext = (struct m_ext){buf, size, ref, mb_cluster_free, NULL};
	m->m_flags |= M_EXT;
	m->m_data = buf;
	return m;
fail:
	m_free(m);
	return NULL;
}

void
m_extadd(struct mbuf *m, void *buf, size_t size,
    void (*freefn)(void *, size_t, void *), void *arg)
{
	unsigned *ref = kmem_alloc(sizeof(*ref), KM_SLEEP);

	KASSERT(!(m->m_flags & M_EXT));
	if (ref == NULL)
		panic("m_extadd: no memory for a reference count");
	*ref = 1;
	m->m_ext = (struct m_ext){buf, size, ref, freefn, arg};
	m->m_flags |= M_EXT;
	m->m_data = buf;
}

/* Shares n's external storage with m (a fresh mbuf without storage). */
static void
mb_ext_share(struct mbuf *m, const struct mbuf *n)
{
	KASSERT(n->m_flags & M_EXT);
	__atomic_add_fetch(n->m_ext.ext_refcnt, 1, __ATOMIC_RELAXED);
	m->m_ext = n->m_ext;
	m->m_flags |= M_EXT;
}

/* Drops m's reference to its external storage. */
static void
mb_ext_release(struct mbuf *m)
{
	unsigned *ref = m->m_ext.ext_refcnt;

	if (__atomic_load_n(ref, __ATOMIC_ACQUIRE) == 1 ||
	    __atomic_sub_fetch(ref, 1, __ATOMIC_ACQ_REL) == 0) {
		kmem_free(ref, sizeof(*ref));
		m->m_ext.ext_free(
		    m->m_ext.ext_buf, m->m_ext.ext_size, m->m_ext.ext_arg);
	}
	m->m_flags &= ~M_EXT;
}

struct mbuf *
m_free(struct mbuf *m)
{
	struct mbuf *n = m->m_next;

	if (m->m_flags & M_EXT)
		mb_ext_release(m);
	mb_count(&mb_cpu()->mp_mbufs, -1);
	kmem_free(m, MSIZE);
	return n;
}

void
m_freem(struct mbuf *m)
{
	while (m != NULL)
		m = m_free(m);
}

void
m_freem_list(struct mbuf *m)
{
	struct mbuf *n;

	while (m != NULL) {
		n = m->m_nextpkt;
		m_freem(m);
		m = n;
	}
}

/* --------------------------------------------------------------- copying */

void
m_copydata(const struct mbuf *m, int off, int len, void *buf)
{
	char *cp = buf;
	int n;

	KASSERT(off >= 0 && len >= 0);
	while (off > 0) {
		KASSERTMSG(m != NULL, "m_copydata: offset past the chain");
		if (off < m->m_len)
			break;
		off -= m->m_len;
		m = m->m_next;
	}
	while (len > 0) {
		KASSERTMSG(m != NULL, "m_copydata: length past the chain");
		n = MIN(m->m_len - off, len);
		memcpy(cp, mtod(m, char *) + off, (size_t)n);
		cp += n;
		len -= n;
		off = 0;
		m = m->m_next;
	}
}

int
m_length(const struct mbuf *m)
{
	int len = 0;

	for (; m != NULL; m = m->m_next)
		len += m->m_len;
	return len;
}

void
m_move_pkthdr(struct mbuf *to, struct mbuf *from)
{
	KASSERT(from->m_flags & M_PKTHDR);
	to->m_pkthdr = from->m_pkthdr;
	to->m_flags = (short)((to->m_flags & M_EXT) |
	    (from->m_flags &
	        (M_PKTHDR | M_BCAST | M_MCAST | M_LOOP | M_PROMISC | M_EOR)));
	if (!(to->m_flags & M_EXT))
		to->m_data = to->m_dat;
	from->m_flags &= ~M_PKTHDR;
}

struct mbuf *
m_copym(struct mbuf *m, int off, int len, int how)
{
	struct mbuf *top = NULL, **np = &top, *n;
	bool copyhdr = off == 0 && (m->m_flags & M_PKTHDR);

	if (off < 0 || len < 0)
		return NULL;
	while (off > 0) {
		if (m == NULL)
			return NULL;
		if (off < m->m_len)
			break;
		off -= m->m_len;
		m = m->m_next;
	}
	while (len > 0) {
		if (m == NULL) {
			if (len != M_COPYALL)
				goto nospace;
			break;
		}
		n = copyhdr ? m_gethdr(how, m->m_type) : m_get(how, m->m_type);
		if (n == NULL)
			goto nospace;
		if (copyhdr) {
			n->m_pkthdr = m->m_pkthdr;
			n->m_flags |= m->m_flags & (M_BCAST | M_MCAST | M_LOOP);
			if (len != M_COPYALL)
				n->m_pkthdr.len = len;
			copyhdr = false;
		}
		n->m_len = MIN(len, m->m_len - off);
		if (m->m_flags & M_EXT) {
			mb_ext_share(n, m);
			n->m_data = m->m_data + off;
		} else {
			memcpy(
			    n->m_data, mtod(m, char *) + off, (size_t)n->m_len);
		}
		n->m_flags |= m->m_flags & M_EOR;
		if (len != M_COPYALL)
			len -= n->m_len;
		off = 0;
		m = m->m_next;
		*np = n;
		np = &n->m_next;
	}
	return top;
nospace:
	m_freem(top);
	return NULL;
}

/* A chain of fresh writable storage for len bytes (a header first). */
static struct mbuf *
mb_alloc_chain(int len, int how, int type, bool pkthdr)
{
	struct mbuf *top = NULL, **np = &top, *n;
	int left = len;

	do {
		bool hdr = pkthdr && top == NULL;
		int flags = hdr ? M_PKTHDR : 0;

		if (left > MCLBYTES)
			n = m_getcl(how, type, flags, MBIGCLBYTES);
		else if (left > MLEN)
			n = m_getcl(how, type, flags, MCLBYTES);
		else
			n = hdr ? m_gethdr(how, type) : m_get(how, type);
		if (n == NULL) {
			m_freem(top);
			return NULL;
		}
		n->m_len = MIN(left, M_BUFSIZE(n));
		left -= n->m_len;
		*np = n;
		np = &n->m_next;
	} while (left > 0);
	if (pkthdr)
		top->m_pkthdr.len = len;
	return top;
}

struct mbuf *
m_dup(struct mbuf *m, int off, int len, int how)
{
	struct mbuf *top, *n;
	int total = m_length(m), done = 0;

	if (off < 0 || off > total)
		return NULL;
	if (len == M_COPYALL || len > total - off)
		len = total - off;
	if (len < 0)
		return NULL;
	top = mb_alloc_chain(len, how, m->m_type, (m->m_flags & M_PKTHDR));
	if (top == NULL)
		return NULL;
	if (m->m_flags & M_PKTHDR) {
		top->m_pkthdr = m->m_pkthdr;
		top->m_pkthdr.len = len;
		top->m_flags |= m->m_flags & (M_BCAST | M_MCAST | M_LOOP);
	}
	for (n = top; n != NULL; n = n->m_next) {
		m_copydata(m, off + done, n->m_len, mtod(n, char *));
		done += n->m_len;
	}
	return top;
}

struct mbuf *
m_devget(const void *buf, int len, int off, struct ifnet *ifp, int how)
{
	struct mbuf *top, *n;
	const char *cp = buf;

	if (len < 0 || off < 0 || off > MLEN)
		return NULL;
	top = mb_alloc_chain(len + off, how, MT_DATA, true);
	if (top == NULL)
		return NULL;
	top->m_data += off;
	top->m_len -= off;
	top->m_pkthdr.len = len;
	top->m_pkthdr.rcvif = ifp;
	for (n = top; n != NULL; n = n->m_next) {
		memcpy(mtod(n, char *), cp, (size_t)n->m_len);
		cp += n->m_len;
	}
	return top;
}

/*
 * Gives m private storage: its data is copied out of shared external
 * storage (contents and position kept).  0 or ENOBUFS.
 */
static int
mb_make_writable(struct mbuf *m, int how)
{
	struct mbuf *n;
	int lead;

	if (M_WRITABLE(m))
		return 0;
	lead = (int)(m->m_data - m->m_ext.ext_buf);
	n = m_getcl(how, m->m_type, 0, m->m_ext.ext_size);
	if (n == NULL)
		return ENOBUFS;
	memcpy(n->m_ext.ext_buf + lead, m->m_data, (size_t)m->m_len);
	mb_ext_release(m);
	m->m_ext = n->m_ext;
	m->m_flags |= M_EXT;
	m->m_data = m->m_ext.ext_buf + lead;
	n->m_flags &= ~M_EXT; /* the storage moved to m */
	m_free(n);
	return 0;
}

/* A zeroed mbuf for m_copyback's growth, with room for about want bytes. */
static struct mbuf *
mb_get_grow(int how, int type, int want, int *lenp)
{
	struct mbuf *n;

	if (want > MLEN)
		n = m_getcl(how, type, 0, want > MCLBYTES ? MBIGCLBYTES : 0);
	else
		n = m_get(how, type);
	if (n == NULL)
		return NULL;
	*lenp = MIN(want, M_BUFSIZE(n));
	memset(mtod(n, char *), 0, (size_t)*lenp);
	return n;
}

int
m_copyback(struct mbuf *m0, int off, int len, const void *buf, int how)
{
	const char *cp = buf;
	struct mbuf *m = m0, *n;
	int mlen, totlen = 0;

	if (off < 0 || len < 0)
		return EINVAL;
	while (off > (mlen = m->m_len)) {
		off -= mlen;
		totlen += mlen;
		if (m->m_next == NULL) {
			int nl;

			n = mb_get_grow(how, m->m_type, off + len, &nl);
			if (n == NULL)
				return ENOBUFS;
			n->m_len = nl;
			m->m_next = n;
		}
		m = m->m_next;
	}
	while (len > 0) {
		if (mb_make_writable(m, how) != 0)
			return ENOBUFS;
		mlen = MIN(m->m_len - off, len);
		if (mlen == 0 && m->m_next == NULL && M_TRAILINGSPACE(m) > 0) {
			mlen = MIN(M_TRAILINGSPACE(m), len);
			m->m_len += mlen;
		}
		memcpy(mtod(m, char *) + off, cp, (size_t)mlen);
		cp += mlen;
		len -= mlen;
		totlen += mlen + off;
		off = 0;
		if (len == 0)
			break;
		if (m->m_next == NULL) {
			int nl;

			if ((n = mb_get_grow(how, m->m_type, len, &nl)) == NULL)
				return ENOBUFS;
			n->m_len = nl;
			m->m_next = n;
		}
		m = m->m_next;
	}
	if ((m0->m_flags & M_PKTHDR) && m0->m_pkthdr.len < totlen)
		m0->m_pkthdr.len = totlen;
	return 0;
}

/* ------------------------------------------------------------- reshaping */

struct mbuf *
m_pullup(struct mbuf *m, int len)
{
	struct mbuf *n, *top;
	int need, cnt;

	if (m->m_len >= len)
		return m;
	if (len > MBIGCLBYTES)
		goto bad;
	/* Room in the first mbuf itself? */
	if (M_WRITABLE(m) && m->m_next != NULL &&
	    M_BUFADDR(m) + M_BUFSIZE(m) - m->m_data >= len) {
		top = m;
		n = m->m_next;
	} else {
		if (len > MLEN)
			top = m_getcl(M_DONTWAIT, m->m_type,
			    m->m_flags & M_PKTHDR, (size_t)len);
		else
			top = (m->m_flags & M_PKTHDR)
			    ? m_gethdr(M_DONTWAIT, m->m_type)
			    : m_get(M_DONTWAIT, m->m_type);
		if (top == NULL)
			goto bad;
		if (m->m_flags & M_PKTHDR)
			m_move_pkthdr(top, m);
		top->m_next = m;
		n = m;
	}
	/* Move bytes from n onwards into top until it holds len. */
	need = len - top->m_len;
	while (need > 0 && n != NULL) {
		cnt = MIN(need, n->m_len);
		memcpy(mtod(top, char *) + top->m_len, mtod(n, char *),
		    (size_t)cnt);
		top->m_len += cnt;
		need -= cnt;
		n->m_len -= cnt;
		n->m_data += cnt;
		if (n->m_len == 0) {
			n = m_free(n);
			top->m_next = n;
		}
	}
	if (need > 0) {
		m_freem(top);
		return NULL;
	}
	top->m_next = n;
	return top;
bad:
	m_freem(m);
	return NULL;
}

struct mbuf *
m_prepend(struct mbuf *m, int len, int how)
{
	struct mbuf *n;

	if (len > MLEN) {
		m_freem(m);
		return NULL;
	}
	n = (m->m_flags & M_PKTHDR) ? m_gethdr(how, m->m_type)
	                            : m_get(how, m->m_type);
	if (n == NULL) {
		m_freem(m);
		return NULL;
	}
	if (m->m_flags & M_PKTHDR)
		m_move_pkthdr(n, m);
	n->m_next = m;
	n->m_data = n->m_dat + MLEN - len;
	n->m_len = len;
	if (n->m_flags & M_PKTHDR)
		n->m_pkthdr.len += len;
	return n;
}

void
m_adj(struct mbuf *mp, int req)
{
	struct mbuf *m = mp;
	int len = req, count;

	if (mp == NULL)
		return;
	if (len >= 0) {
		/* Trim from the head. */
		while (m != NULL && len > 0) {
			if (m->m_len <= len) {
				len -= m->m_len;
				m->m_len = 0;
				m = m->m_next;
			} else {
				m->m_len -= len;
				m->m_data += len;
				len = 0;
			}
		}
		if (mp->m_flags & M_PKTHDR)
			mp->m_pkthdr.len -= req - len;
		return;
	}
	/* Trim from the tail: find the new length and cut there. */
	len = -len;
	count = m_length(mp);
	if (len > count)
		len = count;
	count -= len;
	if (mp->m_flags & M_PKTHDR)
		mp->m_pkthdr.len = count;
	for (m = mp; m != NULL; m = m->m_next) {
		if (m->m_len >= count) {
			m->m_len = count;
			for (m = m->m_next; m != NULL; m = m->m_next)
				m->m_len = 0;
			break;
		}
		count -= m->m_len;
	}
}

void
m_cat(struct mbuf *m, struct mbuf *n)
{
	while (m->m_next != NULL)
		m = m->m_next;
	while (n != NULL) {
		if ((n->m_flags & M_EXT) || n->m_len > M_TRAILINGSPACE(m) ||
		    (m->m_flags & M_EXT)) {
			if (n->m_flags & M_PKTHDR)
				n->m_flags &= ~M_PKTHDR;
			m->m_next = n;
			return;
		}
		memcpy(mtod(m, char *) + m->m_len, mtod(n, char *),
		    (size_t)n->m_len);
		m->m_len += n->m_len;
		n = m_free(n);
	}
}

struct mbuf *
m_split(struct mbuf *m0, int len0, int how)
{
	struct mbuf *m, *n;
	int len = len0, remain;

	if (len0 < 0)
		return NULL;
	for (m = m0; m != NULL && len > m->m_len; m = m->m_next)
		len -= m->m_len;
	if (m == NULL)
		return NULL;
	remain = m->m_len - len;
	if (m0->m_flags & M_PKTHDR) {
		n = m_gethdr(how, m0->m_type);
		if (n == NULL)
			return NULL;
		n->m_pkthdr = m0->m_pkthdr;
		n->m_pkthdr.len = m0->m_pkthdr.len - len0;
		m0->m_pkthdr.len = len0;
	} else if (remain == 0) {
		n = m->m_next;
		m->m_next = NULL;
		return n;
	} else {
		n = m_get(how, m->m_type);
		if (n == NULL)
			return NULL;
	}
	if (remain == 0) {
		/* Split at an mbuf boundary: n is an empty head. */
		n->m_next = m->m_next;
		m->m_next = NULL;
		return n;
	}
	if (m->m_flags & M_EXT) {
		mb_ext_share(n, m);
		n->m_data = m->m_data + len;
	} else if (remain > MLEN) {
		/* Cannot happen with internal storage of MLEN bytes. */
		m_free(n);
		return NULL;
	} else {
		memcpy(n->m_data, mtod(m, char *) + len, (size_t)remain);
	}
	n->m_len = remain;
	m->m_len = len;
	n->m_next = m->m_next;
	m->m_next = NULL;
	return n;
}

int
m_append(struct mbuf *m0, int len, const void *cpv)
{
	const char *cp = cpv;
	struct mbuf *m, *n;
	int remainder = len, space;

	for (m = m0; m->m_next != NULL; m = m->m_next)
		;
	space = M_TRAILINGSPACE(m);
	if (space > 0) {
		space = MIN(space, remainder);
		memcpy(mtod(m, char *) + m->m_len, cp, (size_t)space);
		m->m_len += space;
		cp += space;
		remainder -= space;
	}
	while (remainder > 0) {
		n = remainder > MLEN
		    ? m_getcl(M_DONTWAIT, m->m_type, 0,
		          remainder > MCLBYTES ? MBIGCLBYTES : MCLBYTES)
		    : m_get(M_DONTWAIT, m->m_type);
		if (n == NULL)
			break;
		n->m_len = MIN(M_BUFSIZE(n), remainder);
		memcpy(mtod(n, char *), cp, (size_t)n->m_len);
		cp += n->m_len;
		remainder -= n->m_len;
		m->m_next = n;
		m = n;
	}
	if (m0->m_flags & M_PKTHDR)
		m0->m_pkthdr.len += len - remainder;
	return remainder == 0 ? 0 : ENOBUFS;
}

/* ---------------------------------------------------------------- queues */

void
mbufq_init(struct mbufq *q, int maxlen)
{
	q->mq_head = q->mq_tail = NULL;
	q->mq_len = 0;
	q->mq_maxlen = maxlen;
}

int
mbufq_enqueue(struct mbufq *q, struct mbuf *m)
{
	if (q->mq_len >= q->mq_maxlen)
		return ENOBUFS;
	m->m_nextpkt = NULL;
	if (q->mq_tail != NULL)
		q->mq_tail->m_nextpkt = m;
	else
		q->mq_head = m;
	q->mq_tail = m;
	q->mq_len++;
	return 0;
}

struct mbuf *
mbufq_dequeue(struct mbufq *q)
{
	struct mbuf *m = q->mq_head;

	if (m == NULL)
		return NULL;
	q->mq_head = m->m_nextpkt;
	if (q->mq_head == NULL)
		q->mq_tail = NULL;
	m->m_nextpkt = NULL;
	q->mq_len--;
	return m;
}

void
mbufq_drain(struct mbufq *q)
{
	struct mbuf *m;

	while ((m = mbufq_dequeue(q)) != NULL)
		m_freem(m);
}
