/*
 * npstream.c — the deterministic byte stream of the network tests
 * (np_stream, netproc.h): what senders send and receivers hash, the same
 * in every program (kernels, lwip_peer, the Linux peers' checks).
 */
#include <stdint.h>
#include <string.h>

#include "sha256.h"

void np_stream(uint64_t seed, uint64_t off, void *buf, size_t len);
void np_stream_hash(uint64_t seed, uint64_t nbytes, char hex[65]);

#define NP_CHUNK (256 * 1024)

/* splitmix64: word i of stream seed. */
static inline uint64_t
np_word(uint64_t seed, uint64_t i)
{
	uint64_t z = seed * 0x9e3779b97f4a7c15ULL + i * 0xbf58476d1ce4e5b9ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void
np_stream(uint64_t seed, uint64_t off, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len > 0 && (off & 7) != 0) {
		*p++ = (uint8_t)(np_word(seed, off / 8) >> (8 * (off & 7)));
		off++;
		len--;
	}
	for (; len >= 8; len -= 8, off += 8, p += 8) {
		uint64_t w = np_word(seed, off / 8);
		memcpy(p, &w, 8);
	}
	for (; len > 0; len--, off++)
		*p++ = (uint8_t)(np_word(seed, off / 8) >> (8 * (off & 7)));
}

void
np_stream_hash(uint64_t seed, uint64_t nbytes, char hex[65])
{
	static uint8_t buf[NP_CHUNK];
	struct sha256 h;
	uint8_t d[32];

	sha256_init(&h);
	for (uint64_t off = 0; off < nbytes;) {
		size_t n =
		    nbytes - off < NP_CHUNK ? (size_t)(nbytes - off) : NP_CHUNK;
		np_stream(seed, off, buf, n);
		sha256_update(&h, buf, n);
		off += n;
	}
	sha256_final(&h, d);
	sha256_hex(d, hex);
}
