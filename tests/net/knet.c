/*
 * knet.c — kernel-side helpers of the socket and interface tests: mbuf
 * counters for leak checks, the mbuf unit checks, and a route lookup.
 * Built as kernel code (freestanding, renamed like the kernel); each
 * rump_knet_* takes a virtual CPU for the caller.
 */
#include "kern/proc.h"
#include "net/mbuf.h"
#include "net/route.h"

#include "knet.h"

void
rump_knet_mbuf_stats(uint64_t *mbufs, uint64_t *clusters)
{
	struct lwp *l = sched_enter();

	mbuf_stats(mbufs, clusters);
	sched_exit(l);
}

#define CHECK(e)                                                               \
	do {                                                                   \
		if (!(e)) {                                                    \
			snprintf(msg, msglen, "%s", #e);                       \
			error = __LINE__;                                      \
			goto out;                                              \
		}                                                              \
	} while (0)

/* A packet of len bytes with byte i = (i * 7 + seed) & 0xff. */
static struct mbuf *
mkpkt(int len, int seed)
{
	char *buf = kmem_alloc((size_t)len + 1, KM_SLEEP);
	struct mbuf *m;

	for (int i = 0; i < len; i++)
		buf[i] = (char)((i * 7 + seed) & 0xff);
	m = m_devget(buf, len, 0, NULL, M_WAIT);
	kmem_free(buf, (size_t)len + 1);
	return m;
}

static bool
pktok(const struct mbuf *m, int off, int len, int seed)
{
	char *buf = kmem_alloc((size_t)len + 1, KM_SLEEP);
	bool ok = true;

	m_copydata(m, 0, len, buf);
	for (int i = 0; i < len; i++)
		if (buf[i] != (char)(((i + off) * 7 + seed) & 0xff))
			ok = false;
	kmem_free(buf, (size_t)len + 1);
	return ok;
}

int
rump_knet_mbuf_selftest(char *msg, size_t msglen)
{
	struct lwp *l = sched_enter();
	struct mbuf *m = NULL, *n = NULL, *c = NULL;
	uint64_t m0, c0, m1, c1;
	struct mbufq q;
	char small[64];
	int error = 0;

	mbuf_stats(&m0, &c0);
	/* m_devget of a frame, a bulk packet; lengths and contents. */
	m = mkpkt(1514, 3);
	CHECK(m != NULL && (m->m_flags & M_PKTHDR) && m->m_pkthdr.len == 1514);
	CHECK(m_length(m) == 1514 && pktok(m, 0, 1514, 3));
	m_freem(m);
	m = mkpkt(200000, 5);
	CHECK(m != NULL && m_length(m) == 200000 && pktok(m, 0, 200000, 5));

	/* m_copym shares clusters: not writable until the copy goes. */
	c = m_copym(m, 1000, 70000, M_WAIT);
	CHECK(c != NULL && m_length(c) == 70000 && pktok(c, 1000, 70000, 5));
	CHECK(!M_WRITABLE(m));
	m_freem(c);
	c = NULL;
	CHECK(M_WRITABLE(m));
	c = m_copym(m, 0, M_COPYALL, M_WAIT);
	CHECK(
	    c != NULL && (c->m_flags & M_PKTHDR) && c->m_pkthdr.len == 200000);
	/* m_copyback into shared storage copies first. */
	memset(small, 'z', sizeof(small));
	CHECK(m_copyback(c, 65530, 10, small, M_WAIT) == 0);
	CHECK(pktok(m, 0, 200000, 5));
	m_copydata(c, 65530, 10, small + 20);
	CHECK(memcmp(small + 20, "zzzzzzzzzz", 10) == 0);
	m_freem(c);
	c = NULL;

	/* m_split and m_cat put it back together. */
	n = m_split(m, 77777, M_WAIT);
	CHECK(n != NULL && m->m_pkthdr.len == 77777 &&
	    n->m_pkthdr.len == 200000 - 77777);
	CHECK(m_length(m) == 77777 && pktok(n, 77777, 200000 - 77777, 5));
	m_cat(m, n);
	n = NULL;
	m->m_pkthdr.len = m_length(m);
	CHECK(m_length(m) == 200000 && pktok(m, 0, 200000, 5));

	/* m_adj from both ends. */
	m_adj(m, 100);
	m_adj(m, -100);
	CHECK(m->m_pkthdr.len == 199800 && m_length(m) == 199800);
	CHECK(pktok(m, 100, 199800, 5));

	/* m_pullup across mbufs, m_prepend. */
	m_freem(m);
	m = mkpkt(40, 9);
	n = mkpkt(300, 11);
	CHECK(m != NULL && n != NULL);
	m_cat(m, n);
	n = NULL;
	m->m_pkthdr.len = 340;
	m = m_pullup(m, 120);
	CHECK(m != NULL && m->m_len >= 120 && m_length(m) == 340);
	m = m_prepend(m, 20, M_WAIT);
	CHECK(m != NULL && m->m_pkthdr.len == 360 && m->m_len == 20);
	M_PREPEND(m, 8, M_WAIT);
	CHECK(m != NULL && m->m_pkthdr.len == 368);
	CHECK(m_pullup(m_copym(m, 0, 10, M_WAIT), 11) == NULL);
	m_freem(m);
	m = NULL;

	/* m_append grows a packet; m_copyback past its end extends it. */
	m = m_gethdr(M_WAIT, MT_DATA);
	CHECK(m != NULL);
	for (int i = 0; i < 1000; i++)
		CHECK(m_append(m, 7, "abcdefg") == 0);
	CHECK(m->m_pkthdr.len == 7000 && m_length(m) == 7000);
	CHECK(m_copyback(m, 9000, 5, "hello", M_WAIT) == 0);
	CHECK(m->m_pkthdr.len == 9005 && m_length(m) == 9005);
	m_copydata(m, 9000, 5, small);
	CHECK(memcmp(small, "hello", 5) == 0);
	m_copydata(m, 7000, 1, small);
	CHECK(small[0] == 0);
	/* m_dup is a private copy. */
	c = m_dup(m, 0, M_COPYALL, M_WAIT);
	CHECK(c != NULL && c->m_pkthdr.len == 9005 && M_WRITABLE(c));
	m_freem(c);
	c = NULL;

	/* Queues. */
	mbufq_init(&q, 2);
	CHECK(mbufq_enqueue(&q, m) == 0);
	n = m_get(M_WAIT, MT_DATA);
	CHECK(mbufq_enqueue(&q, n) == 0);
	c = m_get(M_WAIT, MT_DATA);
	CHECK(mbufq_enqueue(&q, c) == ENOBUFS);
	m_freem(c);
	c = NULL;
	CHECK(mbufq_dequeue(&q) == m);
	mbufq_drain(&q);
	n = NULL;
	m_freem(m);
	m = NULL;

	mbuf_stats(&m1, &c1);
	CHECK(m1 == m0 && c1 == c0);
out:
	if (error) {
		m_freem(m);
		m_freem(n);
		m_freem(c);
	}
	sched_exit(l);
	return error;
}

int
rump_knet_rt_lookup(uint32_t addr, char *ifname, size_t len)
{
	struct lwp *l = sched_enter();
	struct sockaddr_in sin;
	struct rtentry *rt;
	int error;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(addr);
	error = rt_lookup((struct sockaddr *)&sin, &rt);
	if (error == 0) {
		strlcpy(ifname, rt->rt_ifp->if_xname, len);
		rt_release(rt);
	}
	sched_exit(l);
	return error;
}
