/*
 * knet.h — kernel-side helpers of the socket and interface tests
 * (knet.c, built as kernel code and linked only into those tests).
 */
#ifndef TESTS_NET_KNET_H
#define TESTS_NET_KNET_H

#include <stddef.h>
#include <stdint.h>

/* mbufs and clusters in use now. */
void rump_knet_mbuf_stats(uint64_t *mbufs, uint64_t *clusters);
/* Runs the mbuf unit checks; 0, or the line of the first failed check
 * with its text in msg. */
int rump_knet_mbuf_selftest(char *msg, size_t msglen);
/* Longest-prefix lookup of an IPv4 address (host order) in the routing
 * table: the interface name, 0 or an errno. */
int rump_knet_rt_lookup(uint32_t addr, char *ifname, size_t len);

#endif
