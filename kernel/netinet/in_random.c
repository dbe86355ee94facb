/*
 * in_random.c — unpredictable numbers for the IPv4 protocols: ephemeral
 * ports (RFC 6056), IP ids, TCP initial sequence numbers (RFC 6528).
 *
 * Everything is SipHash-2-4 under a 128-bit key drawn from the host's
 * random source (rumpuser_getrandom) the first time it is needed:
 * in_keyedhash() hashes the caller's bytes, in_random32() hashes a
 * per-CPU counter, so neither takes a lock nor shares a cache line.
 */
#include "kern/proc.h"
#include "netinet/ip_var.h"

static uint64_t in_key[2]; /* [a] set once, then immutable */
static int in_key_state;   /* [a] 0 unset, 1 being set, 2 set */

struct in_rnd_pcpu {
	uint64_t r_counter; /* [c] */
} __cacheline_aligned;
#define IN_RND_NSLOT 64
static struct in_rnd_pcpu in_rnd_pcpu[IN_RND_NSLOT];

static void
in_key_init(void)
{
	int expect = 0;
	uint64_t k[2] = {0, 0};
	size_t got = 0;

	if (atomic_load_acquire(&in_key_state) == 2)
		return;
	if (!atomic_cas(&in_key_state, &expect, 1)) {
		while (atomic_load_acquire(&in_key_state) != 2)
			__builtin_ia32_pause();
		return;
	}
	if (rumpuser_getrandom(k, sizeof(k), 0, &got) != 0 ||
	    got != sizeof(k)) {
		/* No host randomness: the clock is better than nothing. */
		k[0] ^= getnanotime();
		k[1] ^= getnanouptime() * 0x9e3779b97f4a7c15ULL;
	}
	in_key[0] = k[0];
	in_key[1] = k[1];
	atomic_store_release(&in_key_state, 2);
}

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                               \
	do {                                                                   \
		v0 += v1;                                                      \
		v1 = ROTL(v1, 13);                                             \
		v1 ^= v0;                                                      \
		v0 = ROTL(v0, 32);                                             \
		v2 += v3;                                                      \
		v3 = ROTL(v3, 16);                                             \
		v3 ^= v2;                                                      \
		v0 += v3;                                                      \
		v3 = ROTL(v3, 21);                                             \
		v3 ^= v0;                                                      \
		v2 += v1;                                                      \
		v1 = ROTL(v1, 17);                                             \
		v1 ^= v2;                                                      \
		v2 = ROTL(v2, 32);                                             \
	} while (0)

static uint64_t
siphash24(const uint64_t key[2], const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t v0 = 0x736f6d6570736575ULL ^ key[0];
	uint64_t v1 = 0x646f72616e646f6dULL ^ key[1];
	uint64_t v2 = 0x6c7967656e657261ULL ^ key[0];
	uint64_t v3 = 0x7465646279746573ULL ^ key[1];
	uint64_t m, b = (uint64_t)len << 56;

	for (; len >= 8; len -= 8, p += 8) {
		memcpy(&m, p, 8);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	m = 0;
	memcpy(&m, p, len);
	b |= m;
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t
in_keyedhash(const void *buf, size_t len)
{
	in_key_init();
	return siphash24(in_key, buf, len);
}

uint32_t
in_random32(void)
{
	struct in_rnd_pcpu *r;
	uint64_t msg[2];

	in_key_init();
	r = &in_rnd_pcpu[curcpu()->ci_index % IN_RND_NSLOT];
	/* With more CPUs than slots two may share one: count atomically. */
	msg[0] = __atomic_add_fetch(&r->r_counter, 1, __ATOMIC_RELAXED);
	msg[1] = (uint64_t)curcpu()->ci_index;
	return (uint32_t)siphash24(in_key, msg, sizeof(msg));
}
