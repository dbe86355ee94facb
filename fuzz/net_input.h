/*
 * net_input.h — the network fuzz target's entry points (net_input.c), for
 * libFuzzer and for the seeded run of tests/net/t_netfuzz.c.
 */
#ifndef FUZZ_NET_INPUT_H
#define FUZZ_NET_INPUT_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
/* One input: a flag byte, then (2-byte little-endian length, frame)...;
 * with flag bit 1 each record starts with a 12-byte virtio-net header. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Recomputes the IPv4 header and TCP/UDP/ICMP checksums of frame f. */
void netfuzz_fix_checksums(uint8_t *f, size_t len);
/* Empties the harness's sockets. */
void netfuzz_drain(void);
/* Closes them (end of a run, before a leak check). */
void netfuzz_close(void);

#endif /* FUZZ_NET_INPUT_H */
