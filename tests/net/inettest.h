/*
 * inettest.h — the kernel-side helpers of the IPv4 tests (inettest.c),
 * as t_inet calls them.  Each enters the kernel and returns 0 or an errno
 * (EINVAL with a message on the console when a check inside fails).
 */
#ifndef TESTS_NET_INETTEST_H
#define TESTS_NET_INETTEST_H

#include <stdint.h>

/* Checks in_cksum/in4_cksum/in_cksum_add over chains of many shapes
 * against a byte-at-a-time reference. */
int rump_ktest_inet_cksum(void);

/* One fragment to feed into ip_input on lo0 (127.0.0.2 → 127.0.0.1,
 * protocol 253): payload bytes [off, off + len) of datagram id, byte i
 * being (i * 7 + seed) & 0xff. */
struct kt_frag {
	uint16_t kf_off; /* bytes, a multiple of 8 */
	uint16_t kf_len;
	uint8_t kf_mf;
	uint8_t kf_seed;
	uint16_t kf_id;
};
/*
 * Feeds frags[0..n) in order; *ndeliv gets the datagrams delivered to
 * protocol 253, *len the payload length of the last one, *pattern_ok
 * whether its bytes were (i * 7 + seed0) with seed0 the first fragment's
 * seed, *nqueues the reassembly queues left.
 */
int rump_ktest_inet_reass(const struct kt_frag *frags, int n, int *ndeliv,
    int *len, int *pattern_ok, int *nqueues);
/* Expires every reassembly queue now; *timexceed gets the ICMP time
 * exceeded messages sent, *nqueues the queues left. */
int rump_ktest_inet_reass_expire(int *timexceed, int *nqueues);
/* Feeds a catalogue of malformed headers and `nrandom` random packets
 * (seeded) into ip_input; *leaked gets mbufs not returned afterwards. */
int rump_ktest_inet_malformed(int nrandom, uint32_t seed, long *leaked);

#endif /* TESTS_NET_INETTEST_H */
