/*
 * uipc_sockbuf.c — socket buffers (struct sockbuf in net/socket.h): queues
 * of records of mbuf chains, their accounting and the waits on them.
 *
 * A record is a chain linked by m_next; records are linked by m_nextpkt
 * of their first mbufs.  A datagram record is [MT_SONAME] [MT_CONTROL...]
 * data...; a stream buffer is one record that grows (plus, for AF_UNIX,
 * a new record wherever control messages ride with the data).  sb_cc
 * counts the data bytes only; sb_mbcnt counts the storage (MSIZE per
 * mbuf and the size of external buffers), which keeps a flood of tiny
 * packets from pinning much more memory than sb_hiwat says.
 *
 * Every function here is called with the owning socket's so_lock held.
 */
#include "net/socket.h"

#include "net/net_impl.h"

#define SB_MBMAX_FACTOR 8 /* storage allowed per byte of sb_hiwat */

static inline bool
sb_isdata(const struct mbuf *m)
{
	return m->m_type != MT_SONAME && m->m_type != MT_CONTROL;
}

/* Accounts m as held by sb. */
static inline void
sballoc(struct sockbuf *sb, const struct mbuf *m)
{
	if (sb_isdata(m))
		sb->sb_cc += (size_t)m->m_len;
	sb->sb_mbcnt += MSIZE;
	if (m->m_flags & M_EXT)
		sb->sb_mbcnt += m->m_ext.ext_size;
}

/* Accounts m as no longer held by sb. */
static inline void
sbfree(struct sockbuf *sb, const struct mbuf *m)
{
	if (sb_isdata(m))
		sb->sb_cc -= (size_t)m->m_len;
	sb->sb_mbcnt -= MSIZE;
	if (m->m_flags & M_EXT)
		sb->sb_mbcnt -= m->m_ext.ext_size;
}

void
sb_account_take(struct sockbuf *sb, const struct mbuf *m)
{
	sbfree(sb, m);
}

void
sb_account_give(struct sockbuf *sb, const struct mbuf *m)
{
	sballoc(sb, m);
}

/*
 * Appends chain m to the end of the last record, folding small mbufs
 * into writable room at the tail.  Returns the new tail.
 */
static void
sbcompress(struct sockbuf *sb, struct mbuf *m)
{
	struct mbuf *n = sb->sb_mbtail;

	while (m != NULL) {
		if (m->m_len == 0 && (m->m_flags & M_EOR) == 0 &&
		    (n != NULL || m->m_next != NULL)) {
			m = m_free(m);
			continue;
		}
		if (n != NULL && !(n->m_flags & M_EOR) &&
		    n->m_type == m->m_type && m->m_len <= MCLBYTES / 4 &&
		    m->m_len <= M_TRAILINGSPACE(n) && sb_isdata(n)) {
			memcpy(mtod(n, char *) + n->m_len, mtod(m, char *),
			    (size_t)m->m_len);
			n->m_len += m->m_len;
			if (sb_isdata(m))
				sb->sb_cc += (size_t)m->m_len;
			n->m_flags |= m->m_flags & M_EOR;
			m = m_free(m);
			continue;
		}
		if (n != NULL)
			n->m_next = m;
		else {
			/* A new first record. */
			KASSERT(sb->sb_mb == NULL);
			sb->sb_mb = sb->sb_lastrecord = m;
		}
		m->m_flags &= ~M_PKTHDR;
		sballoc(sb, m);
		n = m;
		m = m->m_next;
		n->m_next = NULL;
	}
	sb->sb_mbtail = n;
}

void
sbappendstream(struct sockbuf *sb, struct mbuf *m)
{
	if (m == NULL)
		return;
	KASSERT(m->m_nextpkt == NULL);
	sbcompress(sb, m);
}

/* Links record m (already accounted) at the end of sb. */
static void
sb_linkrecord(struct sockbuf *sb, struct mbuf *m)
{
	struct mbuf *n;

	if (sb->sb_lastrecord != NULL)
		sb->sb_lastrecord->m_nextpkt = m;
	else
		sb->sb_mb = m;
	sb->sb_lastrecord = m;
	for (n = m; n->m_next != NULL; n = n->m_next)
		;
	sb->sb_mbtail = n;
}

void
sbappendrecord(struct sockbuf *sb, struct mbuf *m)
{
	struct mbuf *n;

	if (m == NULL)
		return;
	m->m_nextpkt = NULL;
	for (n = m; n != NULL; n = n->m_next)
		sballoc(sb, n);
	sb_linkrecord(sb, m);
}

/* Data bytes and storage of a chain. */
static void
sb_measure(const struct mbuf *m, size_t *datap, size_t *storep)
{
	size_t data = 0, store = 0;

	for (; m != NULL; m = m->m_next) {
		if (sb_isdata(m))
			data += (size_t)m->m_len;
		store += MSIZE + ((m->m_flags & M_EXT) ? m->m_ext.ext_size : 0);
	}
	*datap = data;
	*storep = store;
}

bool
sbappendaddr(struct sockbuf *sb, const struct sockaddr *asa, socklen_t salen,
    struct mbuf *m, struct mbuf *control)
{
	struct mbuf *a = NULL, *n, *head;
	size_t data, store, cdata, cstore;

	sb_measure(m, &data, &store);
	sb_measure(control, &cdata, &cstore);
	(void)cdata;
	if ((long)data > sbspace(sb) && sb->sb_mb != NULL)
		return false;
	if (sb->sb_mbcnt + store + cstore > sb->sb_mbmax && sb->sb_mb != NULL)
		return false;
	if (asa != NULL) {
		if (salen > (socklen_t)MLEN)
			return false;
		if ((a = m_get(M_DONTWAIT, MT_SONAME)) == NULL)
			return false;
		memcpy(mtod(a, void *), asa, salen);
		a->m_len = (int)salen;
	}
	/* [a] [control...] [m...] */
	head = a;
	n = a;
	if (control != NULL) {
		if (n != NULL)
			n->m_next = control;
		else
			head = control;
		for (n = control; n->m_next != NULL; n = n->m_next)
			;
	}
	if (n != NULL)
		n->m_next = m;
	else
		head = m;
	if (head == NULL)
		return true;
	head->m_nextpkt = NULL;
	for (n = head; n != NULL; n = n->m_next)
		sballoc(sb, n);
	sb_linkrecord(sb, head);
	return true;
}

bool
sbappendcontrol(struct sockbuf *sb, struct mbuf *m, struct mbuf *control)
{
	return sbappendaddr(sb, NULL, 0, m, control);
}

/* Frees a record's mbufs; control messages are disposed of (files). */
void
sb_freechain(struct mbuf *m)
{
	while (m != NULL) {
		if (m->m_type == MT_CONTROL)
			unp_dispose(m);
		m = m_free(m);
	}
}

void
sbdrop(struct sockbuf *sb, int len)
{
	struct mbuf *m = sb->sb_mb, *next;

	next = m != NULL ? m->m_nextpkt : NULL;
	while (len > 0) {
		if (m == NULL) {
			KASSERTMSG(
			    next != NULL, "sbdrop: %d bytes too many", len);
			m = next;
			next = m->m_nextpkt;
			continue;
		}
		if (sb_isdata(m) && m->m_len > len) {
			m->m_len -= len;
			m->m_data += len;
			sb->sb_cc -= (size_t)len;
			break;
		}
		if (sb_isdata(m))
			len -= m->m_len;
		sbfree(sb, m);
		if (m->m_type == MT_CONTROL)
			unp_dispose(m);
		m = m_free(m);
	}
	while (m != NULL && m->m_len == 0 && sb_isdata(m) &&
	    !(m->m_flags & M_EOR)) {
		sbfree(sb, m);
		m = m_free(m);
	}
	if (m != NULL) {
		m->m_nextpkt = next;
		sb->sb_mb = m;
		if (next == NULL)
			sb->sb_lastrecord = m;
	} else {
		sb->sb_mb = next;
	}
	if (sb->sb_mb == NULL)
		sb->sb_mbtail = sb->sb_lastrecord = NULL;
}

void
sbdroprecord(struct sockbuf *sb)
{
	struct mbuf *m = sb->sb_mb, *n;

	if (m == NULL)
		return;
	sb->sb_mb = m->m_nextpkt;
	m->m_nextpkt = NULL;
	for (n = m; n != NULL; n = n->m_next)
		sbfree(sb, n);
	sb_freechain(m);
	if (sb->sb_mb == NULL)
		sb->sb_mbtail = sb->sb_lastrecord = NULL;
}

/* Detaches everything queued in sb and returns it (records by m_nextpkt). */
struct mbuf *
sbdetach_all(struct sockbuf *sb)
{
	struct mbuf *m = sb->sb_mb;

	sb->sb_mb = sb->sb_mbtail = sb->sb_lastrecord = NULL;
	sb->sb_cc = 0;
	sb->sb_mbcnt = 0;
	return m;
}

/* Frees records detached by sbdetach_all (outside any socket lock). */
void
sb_freerecords(struct mbuf *m)
{
	struct mbuf *n;

	while (m != NULL) {
		n = m->m_nextpkt;
		m->m_nextpkt = NULL;
		sb_freechain(m);
		m = n;
	}
}

void
sbflush(struct sockbuf *sb)
{
	sb_freerecords(sbdetach_all(sb));
}

int
sbreserve(struct sockbuf *sb, size_t cc)
{
	if (cc == 0 || cc > SB_MAX)
		return ENOBUFS;
	sb->sb_hiwat = cc;
	sb->sb_mbmax =
	    MIN(cc * SB_MBMAX_FACTOR, (size_t)SB_MAX * SB_MBMAX_FACTOR);
	if (sb->sb_lowat > sb->sb_hiwat)
		sb->sb_lowat = sb->sb_hiwat;
	return 0;
}

int
sbwait(struct socket *so, struct sockbuf *sb)
{
	KASSERT(solocked(so));
	sb->sb_flags |= SB_WAITING;
	if (sb->sb_timeo_ns != 0) {
		if (cv_timedwait(&sb->sb_cv, &so->so_lock, sb->sb_timeo_ns) ==
		    ETIMEDOUT)
			return EWOULDBLOCK;
		return 0;
	}
	cv_wait(&sb->sb_cv, &so->so_lock);
	return 0;
}
