/*
 * nettest.h — kernel-side helpers of the network tests and the network
 * fuzzer (nettest_kern.c, built as kernel code), as the programs call
 * them.  Each returns 0 or an errno.
 */
#ifndef TESTS_NET_NETTEST_H
#define TESTS_NET_NETTEST_H

/*
 * Attaches "fake0", an Ethernet interface whose transmit counts frames and
 * frees them (or hands them to rump_nettest_output's buffer), with MAC
 * 02:00:00:00:00:01.  Configure it like any interface afterwards.
 */
int rump_nettest_fakeif(void);
/* Hands frame buf (len bytes, from the Ethernet header) to fake0's input
 * as its driver's receive thread would. */
int rump_nettest_input(const void *buf, size_t len);
/* The same with a virtio-net header in front (vh, vhlen bytes: 12), as a
 * TAP with IFF_VNET_HDR gives it (net/if_vnet.h): EINVAL, counted, when
 * the header is malformed for the frame and the frame was dropped. */
int rump_nettest_input_vnet(
    const void *vh, size_t vhlen, const void *buf, size_t len);
/* Frames rump_nettest_input_vnet dropped for their header so far. */
int rump_nettest_vnet_bad(uint64_t *count);
/* Frames fake0 sent so far; the last one (up to buflen bytes) in buf. */
int rump_nettest_output(
    uint64_t *count, void *buf, size_t buflen, size_t *lastlen);
/* mbufs and clusters in use (mbuf_stats). */
int rump_nettest_mbufs(uint64_t *mbufs, uint64_t *clusters);
/* Expires every IP reassembly queue now (they hold mbufs for 30 s). */
int rump_nettest_flush(void);

#endif /* TESTS_NET_NETTEST_H */
