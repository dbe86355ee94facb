/*
 * in_cksum.c — the Internet checksum (RFC 1071) over buffers and mbuf
 * chains, and the IPv4 pseudo-header sum of TCP and UDP.
 *
 * Sums are computed in memory order: 16-bit words are read as the host
 * (little-endian) reads them, which gives the byte-swapped ones'-complement
 * sum; stored back in memory that value has the right wire bytes (the sum
 * is invariant under byte rotation).  So every value here is taken and
 * given in network order as it lies in the packet, and no byte swap is
 * ever needed.
 *
 * The inner loop adds 64-bit words with end-around carry (add + adc), four
 * at a time; the 64-bit partial sum is folded to 16 bits at the end.  A
 * segment of an mbuf chain that starts at an odd offset of the packet is
 * summed as if even and its sum byte-swapped.
 */
#include "netinet/in_var.h"

static inline uint64_t
add64(uint64_t s, uint64_t x)
{
	uint64_t r;

	if (__builtin_add_overflow(s, x, &r))
		r++;
	return r;
}

static inline uint32_t
fold64(uint64_t s)
{
	uint32_t r;

	if (__builtin_add_overflow((uint32_t)s, (uint32_t)(s >> 32), &r))
		r++;
	return r;
}

static inline uint16_t
fold32(uint32_t s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* The partial sum of len bytes at p, p being at an even packet offset. */
static uint64_t
cksum_buf(const uint8_t *p, size_t len)
{
	uint64_t s = 0, a, b, c, d;

	while (len >= 64) {
		memcpy(&a, p, 8);
		memcpy(&b, p + 8, 8);
		memcpy(&c, p + 16, 8);
		memcpy(&d, p + 24, 8);
		s = add64(s, a);
		s = add64(s, b);
		s = add64(s, c);
		s = add64(s, d);
		memcpy(&a, p + 32, 8);
		memcpy(&b, p + 40, 8);
		memcpy(&c, p + 48, 8);
		memcpy(&d, p + 56, 8);
		s = add64(s, a);
		s = add64(s, b);
		s = add64(s, c);
		s = add64(s, d);
		p += 64;
		len -= 64;
	}
	while (len >= 8) {
		memcpy(&a, p, 8);
		s = add64(s, a);
		p += 8;
		len -= 8;
	}
	if (len > 0) {
		a = 0;
		memcpy(&a, p, len); /* an odd last byte pads with zero */
		s = add64(s, a);
	}
	return s;
}

uint32_t
in_cksum_add(uint32_t sum, const void *buf, size_t len)
{
	return fold64(add64(sum, cksum_buf(buf, len)));
}

uint16_t
in_cksum_fold(uint32_t sum)
{
	return (uint16_t)~fold32(sum);
}

static inline uint16_t
swab16(uint16_t x)
{
	return (uint16_t)(x << 8 | x >> 8);
}

/* The folded (not complemented) sum of len bytes of m from off, which the
 * caller guarantees are in the chain. */
static uint16_t
cksum_chain(const struct mbuf *m, int off, int len)
{
	uint64_t s = 0;
	bool odd = false;

	while (m != NULL && off >= m->m_len) {
		off -= m->m_len;
		m = m->m_next;
	}
	for (; m != NULL && len > 0; m = m->m_next, off = 0) {
		int n = MIN(m->m_len - off, len);
		uint16_t part;

		if (n <= 0)
			continue;
		part = fold32(
		    fold64(cksum_buf(mtod(m, uint8_t *) + off, (size_t)n)));
		s += odd ? swab16(part) : part;
		if (n & 1)
			odd = !odd;
		len -= n;
	}
	KASSERTMSG(len == 0, "in_cksum: %d bytes beyond the chain", len);
	return fold32(fold64(s));
}

uint16_t
in_cksum(const struct mbuf *m, int off, int len)
{
	/* The common case: all of it in the first mbuf. */
	if (off + len <= m->m_len)
		return (uint16_t)~fold32(
		    fold64(cksum_buf(mtod(m, uint8_t *) + off, (size_t)len)));
	return (uint16_t)~cksum_chain(m, off, len);
}

uint16_t
in4_cksum(const struct mbuf *m, int proto, int off, int len, in_addr_t src,
    in_addr_t dst)
{
	uint64_t s;

	s = (uint64_t)src + dst + htons((uint16_t)proto) + htons((uint16_t)len);
	if (off + len <= m->m_len)
		s = add64(s, cksum_buf(mtod(m, uint8_t *) + off, (size_t)len));
	else
		s += cksum_chain(m, off, len);
	return (uint16_t)~fold32(fold64(s));
}

uint16_t
in4_pseudo(in_addr_t src, in_addr_t dst, int proto, int len)
{
	uint64_t s;

	s = (uint64_t)src + dst + htons((uint16_t)proto) + htons((uint16_t)len);
	return fold32(fold64(s));
}

/*
 * The software side of M_CSUM_PARTIAL: sums the packet from csum_start
 * (the field there holds the pseudo-header sum, so the result covers
 * it), complements and stores the result in the field.  UDP's checksum
 * of 0 is sent as 0xffff (0 means "none").  Writing into shared storage
 * copies it first (m_copyback); ENOBUFS if that fails.
 */
int
in_cksum_finish(struct mbuf *m)
{
	struct pkthdr *ph = &m->m_pkthdr;
	int start = ph->csum_start, field = start + ph->csum_offset;
	uint16_t sum;
	uint8_t proto;

	KASSERT(ph->csum_flags & M_CSUM_PARTIAL);
	if (__predict_false(field + 2 > ph->len || start >= ph->len))
		return EINVAL;
	sum = in_cksum(m, start, ph->len - start);
	m_copydata(m, 9, 1, &proto); /* the IPv4 header's ip_p */
	if (sum == 0 && proto == IPPROTO_UDP)
		sum = 0xffff;
	if (m_copyback(m, field, 2, &sum, M_DONTWAIT) != 0)
		return ENOBUFS;
	ph->csum_flags &= (uint16_t)~M_CSUM_PARTIAL;
	return 0;
}
