/*
 * inettest.c — kernel-side helpers of the IPv4 tests (t_inet): built as
 * kernel code (freestanding, renamed like the kernel) and linked only into
 * the test programs.  They exercise what userland cannot reach directly:
 * the checksum routines over odd mbuf chains, reassembly fed with crafted
 * fragments, and ip_input fed with malformed and random packets.
 */
#include "kern/proc.h"
#include "netinet/ip_icmp.h"
#include "netinet/ip_var.h"
#include "netinet/udp.h"

#include "inettest.h"

#define KT_PROTO 253

static uint32_t
kt_rand(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

/* ------------------------------------------------------------ checksums */

/* The reference: big-endian words one at a time, as wire order. */
static uint16_t
ref_cksum(const uint8_t *p, int len, uint32_t sum)
{
	for (int i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* A chain holding buf, cut in pieces of random sizes (1..maxpiece). */
static struct mbuf *
kt_chain(const uint8_t *buf, int len, uint32_t *seed, int maxpiece)
{
	struct mbuf *top = NULL, **mp = &top;
	int off = 0;

	while (off < len || top == NULL) {
		struct mbuf *m = top == NULL ? m_gethdr(M_WAIT, MT_DATA)
		                             : m_get(M_WAIT, MT_DATA);
		int n = (int)(kt_rand(seed) % (uint32_t)maxpiece) + 1;

		if (m == NULL) {
			m_freem(top);
			return NULL;
		}
		n = MIN(n, len - off);
		n = MIN(n, MLEN);
		/* Start at an odd address now and then. */
		if (kt_rand(seed) & 1)
			m->m_data += 1;
		memcpy(mtod(m, char *), buf + off, (size_t)n);
		m->m_len = n;
		off += n;
		*mp = m;
		mp = &m->m_next;
	}
	top->m_pkthdr.len = len;
	return top;
}

RUMP_API int
rump_ktest_inet_cksum(void)
{
	struct lwp *l = sched_enter();
	static uint8_t buf[4096];
	uint32_t seed = 0x12345678;
	int error = 0;

	for (int iter = 0; iter < 3000 && error == 0; iter++) {
		int len = (int)(kt_rand(&seed) % 3000) + 1;
		int off = (int)(kt_rand(&seed) % (uint32_t)len);
		int maxpiece = iter % 3 == 0 ? 3 : iter % 3 == 1 ? 60 : 2000;
		struct mbuf *m;
		uint16_t got, want;

		for (int i = 0; i < len; i++)
			buf[i] = (uint8_t)kt_rand(&seed);
		/* Now and then all ones, where carries pile up. */
		if (iter % 17 == 0)
			memset(buf, 0xff, (size_t)len);
		m = kt_chain(buf, len, &seed, maxpiece);
		if (m == NULL) {
			error = ENOMEM;
			break;
		}
		got = in_cksum(m, off, len - off);
		want = ref_cksum(buf + off, len - off, 0);
		if (got != want) {
			printf("in_cksum: len %d off %d: %04x, want %04x\n",
			    len, off, got, want);
			error = EINVAL;
		}
		/* in4_cksum: the pseudo-header of UDP. */
		{
			in_addr_t src = kt_rand(&seed), dst = kt_rand(&seed);
			uint8_t ph[12];
			uint32_t s = 0;
			int tl = len - off;

			memcpy(ph, &src, 4);
			memcpy(ph + 4, &dst, 4);
			ph[8] = 0;
			ph[9] = IPPROTO_UDP;
			ph[10] = (uint8_t)(tl >> 8);
			ph[11] = (uint8_t)tl;
			for (int i = 0; i < 12; i += 2)
				s += (uint32_t)(ph[i] << 8 | ph[i + 1]);
			got = in4_cksum(m, IPPROTO_UDP, off, tl, src, dst);
			want = ref_cksum(buf + off, tl, s);
			if (got != want) {
				printf("in4_cksum: len %d off %d: %04x, want "
				       "%04x\n",
				    len, off, got, want);
				error = EINVAL;
			}
		}
		/* Incremental: two pieces, the first of even length. */
		{
			int a = (len / 2) & ~1;
			uint32_t s = in_cksum_add(0, buf, (size_t)a);

			s = in_cksum_add(s, buf + a, (size_t)(len - a));
			if (in_cksum_fold(s) != ref_cksum(buf, len, 0)) {
				printf(
				    "in_cksum_add: len %d split %d\n", len, a);
				error = EINVAL;
			}
		}
		m_freem(m);
	}
	sched_exit(l);
	return error;
}

/* ----------------------------------------------------------- reassembly */

static kmutex_t kt_lock;
static bool kt_ready;
static int kt_ndeliv;          /* [kt_lock] */
static int kt_lastlen;         /* [kt_lock] */
static uint8_t kt_last[70000]; /* [kt_lock] */

static void
kt_input(struct mbuf *m, int off)
{
	int len = m->m_pkthdr.len - off;

	mutex_enter(&kt_lock);
	kt_ndeliv++;
	kt_lastlen = len;
	if (len > 0 && len <= (int)sizeof(kt_last))
		m_copydata(m, off, len, kt_last);
	mutex_exit(&kt_lock);
	m_freem(m);
}

static const struct ip_protocol kt_protocol = {.ipp_input = kt_input};

static void
kt_setup(void)
{
	if (!kt_ready) {
		mutex_init(&kt_lock, MUTEX_DEFAULT);
		ip_register_proto(KT_PROTO, &kt_protocol);
		kt_ready = true;
	}
}

static struct mbuf *
kt_fragment(const struct kt_frag *f)
{
	struct mbuf *m;
	struct ip *ip;
	int total = IP_MINHDR + f->kf_len;

	m = m_getcl(M_WAIT, MT_DATA, M_PKTHDR,
	    total > MCLBYTES ? MBIGCLBYTES : MCLBYTES);
	if (m == NULL)
		return NULL;
	m->m_len = m->m_pkthdr.len = total;
	ip = mtod(m, struct ip *);
	memset(ip, 0, sizeof(*ip));
	ip->ip_vhl = 0x45;
	ip->ip_len = htons((uint16_t)total);
	ip->ip_id = htons(f->kf_id);
	ip->ip_off =
	    htons((uint16_t)((f->kf_off >> 3) | (f->kf_mf ? IP_MF : 0)));
	ip->ip_ttl = 64;
	ip->ip_p = KT_PROTO;
	ip->ip_src.s_addr = htonl(0x7f000002);
	ip->ip_dst.s_addr = htonl(0x7f000001);
	ip->ip_sum = in_cksum(m, 0, IP_MINHDR);
	for (int i = 0; i < f->kf_len; i++)
		mtod(m, uint8_t *)[IP_MINHDR + i] =
		    (uint8_t)((f->kf_off + i) * 7 + f->kf_seed);
	m->m_pkthdr.rcvif = lo0_ifp;
	return m;
}

RUMP_API int
rump_ktest_inet_reass(const struct kt_frag *frags, int n, int *ndeliv, int *len,
    int *pattern_ok, int *nqueues)
{
	struct lwp *l = sched_enter();
	int error = 0;

	if (lo0_ifp == NULL) {
		error = ENXIO;
		goto out;
	}
	kt_setup();
	mutex_enter(&kt_lock);
	kt_ndeliv = 0;
	kt_lastlen = -1;
	mutex_exit(&kt_lock);
	for (int i = 0; i < n; i++) {
		struct mbuf *m = kt_fragment(&frags[i]);

		if (m == NULL) {
			error = ENOMEM;
			goto out;
		}
		ip_input(lo0_ifp, m);
	}
	mutex_enter(&kt_lock);
	*ndeliv = kt_ndeliv;
	*len = kt_lastlen;
	*pattern_ok = kt_lastlen >= 0;
	for (int i = 0; i < kt_lastlen && i < (int)sizeof(kt_last); i++)
		if (kt_last[i] != (uint8_t)(i * 7 + frags[0].kf_seed)) {
			*pattern_ok = 0;
			break;
		}
	mutex_exit(&kt_lock);
	*nqueues = ip_reass_count();
out:
	sched_exit(l);
	return error;
}

RUMP_API int
rump_ktest_inet_reass_expire(int *timexceed, int *nqueues)
{
	struct lwp *l = sched_enter();
	uint64_t before = in_stat_get(ICMPS_OutTimeExcds);

	ip_reass_expire_all();
	*timexceed = (int)(in_stat_get(ICMPS_OutTimeExcds) - before);
	*nqueues = ip_reass_count();
	sched_exit(l);
	return 0;
}

/* ------------------------------------------------------------ malformed */

static struct mbuf *
kt_packet(const uint8_t *buf, int len)
{
	struct mbuf *m = m_getcl(M_WAIT, MT_DATA, M_PKTHDR, MCLBYTES);

	if (m == NULL)
		return NULL;
	len = MIN(len, MCLBYTES);
	memcpy(mtod(m, char *), buf, (size_t)len);
	m->m_len = m->m_pkthdr.len = len;
	m->m_pkthdr.rcvif = lo0_ifp;
	return m;
}

static void
kt_feed(const uint8_t *buf, int len)
{
	struct mbuf *m = kt_packet(buf, len);

	if (m != NULL)
		ip_input(lo0_ifp, m);
}

/* A valid header (hl words) in buf for a packet of len bytes. */
static void
kt_hdr(uint8_t *buf, int hl, int len, int proto)
{
	struct ip ip;
	uint32_t s;

	memset(&ip, 0, sizeof(ip));
	ip.ip_vhl = (uint8_t)(0x40 | hl);
	ip.ip_len = htons((uint16_t)len);
	ip.ip_ttl = 64;
	ip.ip_p = (uint8_t)proto;
	ip.ip_src.s_addr = htonl(0x7f000002);
	ip.ip_dst.s_addr = htonl(0x7f000001);
	memcpy(buf, &ip, sizeof(ip));
	if (hl > 5)
		memset(buf + IP_MINHDR, 1, (size_t)(hl * 4 - IP_MINHDR));
	buf[10] = buf[11] = 0;
	s = in_cksum_add(0, buf, (size_t)(hl * 4));
	ip.ip_sum = in_cksum_fold(s);
	memcpy(buf + 10, &ip.ip_sum, 2);
}

RUMP_API int
rump_ktest_inet_malformed(int nrandom, uint32_t seed, long *leaked)
{
	struct lwp *l = sched_enter();
	static uint8_t buf[MCLBYTES];
	uint64_t mb0, cl0, mb1, cl1;
	int error = 0;

	if (lo0_ifp == NULL) {
		error = ENXIO;
		goto out;
	}
	kt_setup();
	kpause_ns(50000000);
	mbuf_stats(&mb0, &cl0);

	/* The catalogue. */
	memset(buf, 0, sizeof(buf));
	kt_feed(buf, 0);  /* empty */
	kt_feed(buf, 10); /* shorter than a header */
	kt_hdr(buf, 5, 40, IPPROTO_UDP);
	buf[0] = 0x65; /* version 6 */
	kt_feed(buf, 40);
	kt_hdr(buf, 4, 40, IPPROTO_UDP); /* header length 16 */
	kt_feed(buf, 40);
	kt_hdr(buf, 15, 40, IPPROTO_UDP); /* header longer than packet */
	kt_feed(buf, 40);
	kt_hdr(buf, 5, 40, IPPROTO_UDP);
	buf[10] ^= 0x55; /* bad checksum */
	kt_feed(buf, 40);
	kt_hdr(buf, 5, 12, IPPROTO_UDP); /* ip_len < header */
	kt_feed(buf, 40);
	kt_hdr(buf, 5, 400, IPPROTO_UDP); /* ip_len > packet */
	kt_feed(buf, 40);
	kt_hdr(buf, 5, 24, IPPROTO_UDP); /* truncated UDP header */
	kt_feed(buf, 24);
	kt_hdr(buf, 5, 40, IPPROTO_UDP); /* UDP length > datagram */
	buf[24] = 0xff;
	buf[25] = 0xff;
	kt_feed(buf, 40);
	kt_hdr(buf, 5, 40, IPPROTO_UDP); /* UDP length < 8 */
	buf[24] = 0;
	buf[25] = 3;
	kt_feed(buf, 40);
	kt_hdr(buf, 5, 30, IPPROTO_TCP); /* truncated TCP header */
	kt_feed(buf, 30);
	kt_hdr(buf, 5, 40, IPPROTO_TCP); /* TCP data offset past the end */
	buf[32] = 0xf0;
	kt_feed(buf, 40);
	kt_hdr(buf, 5, 24, IPPROTO_ICMP); /* truncated ICMP */
	kt_feed(buf, 24);
	/* ICMP unreachable quoting a truncated or bogus inner header. */
	for (int inner = 0; inner < 4; inner++) {
		int len = IP_MINHDR + ICMP_MINLEN + (inner == 0 ? 4 : 28);
		struct icmp ic;
		uint16_t sum;

		memset(buf, 0, sizeof(buf));
		kt_hdr(buf, 5, len, IPPROTO_ICMP);
		memset(&ic, 0, sizeof(ic));
		ic.icmp_type = ICMP_UNREACH;
		ic.icmp_code = ICMP_UNREACH_PORT;
		memcpy(buf + IP_MINHDR, &ic, sizeof(ic));
		buf[28] = inner == 1 ? 0x4f : inner == 2 ? 0x41 : 0x45;
		buf[28 + 9] = inner == 3 ? IPPROTO_TCP : IPPROTO_UDP;
		sum = in_cksum_fold(in_cksum_add(
		    0, buf + IP_MINHDR, (size_t)(len - IP_MINHDR)));
		memcpy(buf + IP_MINHDR + 2, &sum, 2);
		kt_feed(buf, len);
	}
	/* Fragments: a length not a multiple of 8 with MF, and one beyond
	 * 64 KB. */
	{
		uint16_t mf = htons(IP_MF), sum;

		kt_hdr(buf, 5, 33, KT_PROTO);
		memcpy(buf + 6, &mf, 2);
		buf[10] = buf[11] = 0;
		sum = in_cksum_fold(in_cksum_add(0, buf, IP_MINHDR));
		memcpy(buf + 10, &sum, 2);
		kt_feed(buf, 33);
	}
	{
		uint16_t off = htons(0x1fff); /* offset 65528 */
		uint16_t sum;

		kt_hdr(buf, 5, 60, KT_PROTO);
		memcpy(buf + 6, &off, 2);
		buf[10] = buf[11] = 0;
		sum = in_cksum_fold(in_cksum_add(0, buf, IP_MINHDR));
		memcpy(buf + 10, &sum, 2);
		kt_feed(buf, 60);
	}

	/* Random packets: valid IP headers around random contents, half of
	 * them with correct transport checksums. */
	for (int i = 0; i < nrandom; i++) {
		static const int protos[] = {IPPROTO_ICMP, IPPROTO_UDP,
		    IPPROTO_TCP, KT_PROTO, IPPROTO_IGMP, 99};
		int proto = protos[kt_rand(&seed) % nitems(protos)];
		int hl = kt_rand(&seed) % 4 == 0
		    ? 5 + (int)(kt_rand(&seed) % 11)
		    : 5;
		int len = hl * 4 + (int)(kt_rand(&seed) % 200);
		int off = hl * 4;

		for (int j = 0; j < len; j++)
			buf[j] = (uint8_t)kt_rand(&seed);
		kt_hdr(buf, hl, len, proto);
		if (kt_rand(&seed) % 8 == 0) {
			/* A fragment. */
			uint16_t fo =
			    htons((uint16_t)(kt_rand(&seed) & 0x3fff));
			uint16_t sum;

			memcpy(buf + 6, &fo, 2);
			buf[10] = buf[11] = 0;
			sum = in_cksum_fold(in_cksum_add(0, buf, (size_t)off));
			memcpy(buf + 10, &sum, 2);
		}
		if (kt_rand(&seed) & 1) {
			struct mbuf *m;
			int so = proto == IPPROTO_UDP ? 6
			    : proto == IPPROTO_TCP    ? 16
			    : proto == IPPROTO_ICMP   ? 2
			                              : -1;

			if (proto == IPPROTO_UDP && len - off >= 8) {
				buf[off + 4] = (uint8_t)((len - off) >> 8);
				buf[off + 5] = (uint8_t)(len - off);
			}
			if (proto == IPPROTO_TCP && len - off >= 20)
				buf[off + 12] =
				    (uint8_t)((5 + kt_rand(&seed) % 4) << 4);
			if (so >= 0 && len - off >= so + 2) {
				buf[off + so] = buf[off + so + 1] = 0;
				m = kt_packet(buf, len);
				if (m != NULL) {
					uint16_t sum = proto == IPPROTO_ICMP
					    ? in_cksum(m, off, len - off)
					    : in4_cksum(m, proto, off,
					          len - off, htonl(0x7f000002),
					          htonl(0x7f000001));

					m_freem(m);
					memcpy(buf + off + so, &sum, 2);
				}
			}
		}
		kt_feed(buf, len);
	}

	/* Whatever was queued for reassembly or answered goes away. */
	ip_reass_expire_all();
	*leaked = 0;
	for (int tries = 0; tries < 100; tries++) {
		kpause_ns(20000000);
		mbuf_stats(&mb1, &cl1);
		*leaked = (long)(mb1 - mb0);
		if (*leaked <= 0)
			break;
	}
out:
	sched_exit(l);
	return error;
}
