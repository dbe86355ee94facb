/*
 * sha256.h — SHA-256 (FIPS 180-4) for the network tests, to compare what
 * was sent with what arrived.  Test code only: the kernel has none.
 */
#ifndef TESTS_NET_SHA256_H
#define TESTS_NET_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t s_h[8];
	uint64_t s_len; /* bytes hashed so far */
	uint8_t s_buf[64];
	size_t s_nbuf;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t digest[32]);
/* The digest as 64 lowercase hex digits and a NUL. */
void sha256_hex(const uint8_t digest[32], char hex[65]);

#endif /* TESTS_NET_SHA256_H */
